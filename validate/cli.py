"""The ``vcc`` command line: options in, library calls, messages out.

No statistics live here. Every library error a user can meet is a
:class:`instruments.errors.VccError`; it is printed as a short message and the
command exits with code 2. An unexpected failure prints one line asking for a
report (``--debug`` shows the traceback) and exits with code 1.
"""

from __future__ import annotations

import argparse
import sys

from instruments.errors import VccError

__all__ = ["main", "build_parser"]

EXIT_USER_ERROR = 2
EXIT_INTERNAL = 1


def _add_model(p: argparse.ArgumentParser, mechanism: bool = True) -> None:
    p.add_argument("--model", metavar="FILE", help="model spec (YAML); default: the bundled short-video model")
    if mechanism:
        p.add_argument("--mechanism", metavar="M", help="only this mechanism (default: all)")


def _add_out(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--out", metavar="DIR", required=required, help="output folder")
    p.add_argument("--force", action="store_true", help="write into an existing, non-empty output folder")


def _add_screening(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--keep-unfinished",
        action="store_true",
        help="keep responses a platform marks unfinished (Qualtrics Finished = False); "
        "previews and spam are always left out",
    )
    p.add_argument(
        "--screen",
        action="append",
        default=[],
        metavar="RULE=VALUE",
        help="screening setting, repeatable: a rule (missing, zero_variance, longstring, attention, "
        "speeder, outlier) = flag|drop|off, or max_missing, longstring_share, speed_ratio, "
        "outlier_p = a number, or reverse = yes|no. Defaults: flag only, except respondents "
        "with more than half the items missing or identical answers to every item are dropped",
    )


def _screening_options(pairs: list[str]):
    """``["attention=drop", "speed_ratio=0.4"]`` -> ScreeningOptions, or an InputError naming the pair."""
    from dataclasses import fields

    from instruments.errors import InputError
    from validate.screening import ScreeningOptions

    known = {f.name: f.type for f in fields(ScreeningOptions)}
    kw: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in known:
            raise InputError(f"--screen {pair}: expected RULE=VALUE with RULE one of {', '.join(known)}")
        value = value.strip()
        if key == "reverse":
            if value.lower() not in ("yes", "no", "true", "false"):
                raise InputError(f"--screen {pair}: expected reverse=yes or reverse=no")
            kw[key] = value.lower() in ("yes", "true")
        elif key in ("max_missing", "longstring_share", "speed_ratio", "outlier_p"):
            try:
                kw[key] = float(value)
            except ValueError:
                raise InputError(f"--screen {pair}: {value!r} is not a number") from None
        elif key == "min_answered_for_variance":
            if not value.isdigit():
                raise InputError(f"--screen {pair}: {value!r} is not a whole number")
            kw[key] = int(value)
        else:
            kw[key] = value.lower()
    return ScreeningOptions(**kw)


def _add_analysis(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--estimator",
        default="ML",
        type=str.upper,
        choices=["ML", "MLR", "WLSMV"],
        help="ML (default), MLR (robust), or WLSMV (ordinal items)",
    )
    p.add_argument(
        "--missing",
        default="auto",
        choices=["auto", "fiml", "listwise", "pairwise"],
        help="missing answers: auto (default: full-information ML when an item cell is empty, "
        "pairwise deletion with WLSMV), fiml, listwise, or pairwise (WLSMV)",
    )
    p.add_argument(
        "--invalid",
        default="stop",
        choices=["stop", "missing"],
        help="invalid cells (9 on a 1-7 scale, text): stop (default) lists every one and exits; "
        "missing analyses them as missing answers and the report says where",
    )
    p.add_argument(
        "--group",
        metavar="COLUMN",
        help="compare groups of any column of the data file (its header, or a Wenjuanxing question "
        "title), e.g. platform",
    )
    p.add_argument(
        "--bootstrap",
        type=int,
        default=5000,
        metavar="N",
        help="bootstrap resamples for indirect effects (default 5000; 0 to skip)",
    )
    p.add_argument("--seed", type=int, default=20240601, metavar="S", help="random seed (default 20240601)")
    p.add_argument(
        "--workers", type=int, default=None, metavar="N", help="worker processes for the bootstrap (default: all cores)"
    )
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the bootstrap on this Dask cluster (needs: pip install '.[cluster]')",
    )
    p.add_argument(
        "--direct-effects",
        action="store_true",
        help="also fit the spec's direct paths (drivers -> outcomes), to test mediation",
    )
    p.add_argument("--alpha", type=float, default=0.05, help="significance level for hypotheses (default .05)")
    p.add_argument(
        "--adjust",
        default="none",
        choices=["none", "holm", "fdr_bh"],
        help="judge hypotheses by Holm- or Benjamini-Hochberg-adjusted p-values (default: none; "
        "both adjusted columns are reported either way)",
    )
    p.add_argument(
        "--collapse-empty",
        action="store_true",
        help="WLSMV with --group: merge an answer category nobody chose within a group into its "
        "neighbour (named in the Method section), instead of stopping",
    )
    p.add_argument("--lang", default="en", choices=["en", "zh"], help="report language")
    p.add_argument(
        "--format",
        dest="fmt",
        default="auto",
        metavar="F",
        help="input format (default auto): template, csv, wjx, qualtrics, google, msforms",
    )
    p.add_argument("--mapping", metavar="FILE", help="explicit column -> item id mapping (CSV or YAML)")


def toolkit_version() -> str:
    """The installed package's version (its metadata), or the source tree's when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    from validate import __version__

    try:
        installed = version("vcc-toolkit")
    except PackageNotFoundError:
        return __version__
    # An editable or stale install may lag the source tree that is running: say so rather than guess.
    return installed if installed == __version__ else f"{__version__} (installed metadata: {installed})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vcc",
        description="Value co-creation survey toolkit: questionnaires, ingest, screening, CFA/SEM, reports.",
    )
    parser.add_argument("--version", action="version", version=f"vcc {toolkit_version()}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p_model = sub.add_parser("model", help="show or check a model spec")
    msub = p_model.add_subparsers(dest="model_command", metavar="ACTION")
    msub.required = True
    p_show = msub.add_parser("show", help="print constructs, items, paths and the lavaan syntax")
    _add_model(p_show)
    p_show.add_argument("--direct-effects", action="store_true", help="include the direct paths")
    p_show.add_argument("--lang", default="en", choices=["en", "zh"])
    p_check = msub.add_parser("check", help="validate a spec file and list every problem")
    p_check.add_argument("file", metavar="FILE")

    p_inst = sub.add_parser(
        "instrument",
        help="write questionnaires (HTML, Word), codebook, XLSForm, Wenjuanxing and Qualtrics import files",
    )
    _add_model(p_inst)
    p_inst.add_argument("--lang", default="both", choices=["en", "zh", "both"])
    _add_out(p_inst)

    p_tpl = sub.add_parser("template", help="write the Excel response template")
    _add_model(p_tpl)
    _add_out(p_tpl)

    p_ing = sub.add_parser("ingest", help="read and screen response files")
    p_ing.add_argument("files", nargs="+", metavar="FILE")
    _add_model(p_ing)
    p_ing.add_argument(
        "--format",
        dest="fmt",
        default="auto",
        metavar="F",
        help="input format (default auto): template, csv, wjx, qualtrics, google, msforms",
    )
    p_ing.add_argument("--mapping", metavar="FILE", help="explicit column -> item id mapping (CSV or YAML)")
    p_ing.add_argument("--print-mapping", action="store_true", help="print how columns map to items and stop")
    _add_screening(p_ing)
    _add_out(p_ing, required=False)

    p_val = sub.add_parser(
        "validate", help="the whole pipeline: ingest, screening, measurement, structural model, platforms, report"
    )
    p_val.add_argument("files", nargs="+", metavar="DATA")
    _add_model(p_val)
    _add_analysis(p_val)
    from validate.pls.cli import add_pls_arguments

    add_pls_arguments(p_val)  # --method cb|pls|both and the PLS options
    _add_screening(p_val)
    _add_out(p_val)

    p_pow = sub.add_parser("power", help="Monte Carlo power analysis: the sample size each path needs")
    _add_model(p_pow)
    eff = p_pow.add_mutually_exclusive_group()
    eff.add_argument("--effects", metavar="FILE", help="expected standardised effects (YAML or JSON)")
    eff.add_argument(
        "--assume-std", nargs="+", metavar="PATH=VALUE", help='e.g. "PID -> PAP=0.3" or 0.2 for every other path'
    )
    p_pow.add_argument("--n", default="200,300,500,800", metavar="N1,N2,...", help="sample sizes to simulate")
    p_pow.add_argument("--replications", type=int, default=1000, metavar="R")
    p_pow.add_argument("--seed", type=int, default=20240601, metavar="S")
    p_pow.add_argument("--workers", type=int, default=None, metavar="N")
    p_pow.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask cluster")
    p_pow.add_argument("--direct-effects", action="store_true", help="also fit the spec's direct paths")
    p_pow.add_argument("--alpha", type=float, default=0.05)
    p_pow.add_argument("--target", type=float, default=0.8, help="target power (default .80)")
    _add_out(p_pow)

    sub.add_parser("schema", help="print the JSON Schema of results.json (the contract every run's results follow)")

    p_demo = sub.add_parser("demo", help="run the whole pipeline on the bundled example data")
    p_demo.add_argument("--out", metavar="DIR", default="vcc-demo", help="output folder (default vcc-demo)")
    p_demo.add_argument("--force", action="store_true", help="write into an existing, non-empty folder")
    p_demo.add_argument(
        "--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples (default 1000 for a quick demo)"
    )
    p_demo.add_argument("--seed", type=int, default=20240601, metavar="S")
    p_demo.add_argument("--workers", type=int, default=None, metavar="N")
    p_demo.add_argument("--lang", default="en", choices=["en", "zh"])
    p_demo.add_argument("--estimator", default="ML", type=str.upper, choices=["ML", "MLR", "WLSMV"])
    p_demo.add_argument(
        "--model",
        default=None,
        metavar="SPEC",
        help="the bundled model to run: short_video_vcc (default) or second_order (the four "
        "activities and the four outcomes as second-order constructs), or a spec file",
    )
    p_demo.add_argument(
        "--method",
        default="cb",
        choices=("cb", "pls", "both"),
        help="cb (default), pls (platforms compared by MICOM and PLS multigroup tests) or both",
    )
    from validate.pls.cli import add_hoc_argument

    add_hoc_argument(p_demo)  # --hoc-approach for the second-order variant under --method pls

    from validate.app.command import add_app_parser  # argparse only; the web framework loads on start

    add_app_parser(sub)
    return parser


def _spec(path: str | None):
    from instruments.spec import load_spec

    spec = load_spec(path)
    for w in spec.warnings:
        print(f"vcc: warning: {w}", file=sys.stderr)
    return spec


def _cmd_model(args) -> int:
    if args.model_command == "check":
        spec = _spec(args.file)
        n_items = sum(len(m.items) for m in spec.mechanisms.values())
        print(f"{args.file}: OK: {len(spec.mechanisms)} mechanism(s), {n_items} items, {len(spec.warnings)} warning(s)")
        return 0
    from instruments.describe import describe_spec

    print(describe_spec(_spec(args.model), mechanism=args.mechanism, lang=args.lang, direct=args.direct_effects))
    return 0


def _cmd_instrument(args) -> int:
    from instruments.generate import write_instruments
    from instruments.outputs import prepare_out_dir

    spec = _spec(args.model)
    spec.select(args.mechanism)  # fail early on an unknown mechanism
    out = prepare_out_dir(args.out, args.force)
    paths = write_instruments(spec, out, mechanism=args.mechanism, lang=args.lang)
    _print_written(paths)
    return 0


def _cmd_template(args) -> int:
    from instruments.generate import write_templates
    from instruments.outputs import prepare_out_dir

    spec = _spec(args.model)
    spec.select(args.mechanism)
    out = prepare_out_dir(args.out, args.force)
    _print_written(write_templates(spec, out, mechanism=args.mechanism))
    return 0


def _cmd_ingest(args) -> int:
    from validate.pipeline import run_ingest

    spec = _spec(args.model)
    if not args.print_mapping and not args.out:
        raise VccError("vcc ingest needs --out DIR (or --print-mapping to only show the column mapping)")
    run_ingest(
        args.files,
        spec,
        out=args.out,
        fmt=args.fmt,
        mapping=args.mapping,
        mechanism=args.mechanism,
        print_mapping=args.print_mapping,
        force=args.force,
        screening=_screening_options(args.screen),
        keep_unfinished=args.keep_unfinished,
    )
    return 0


def _cmd_validate(args) -> int:
    from validate.pipeline import AnalysisOptions, run_validate
    from validate.pls.cli import pls_fields

    spec = _spec(args.model)
    opts = AnalysisOptions(
        estimator=args.estimator,
        missing=args.missing,
        invalid=args.invalid,
        group=args.group,
        bootstrap=args.bootstrap,
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        direct_effects=args.direct_effects,
        alpha=args.alpha,
        adjust=args.adjust,
        collapse_empty=args.collapse_empty,
        lang=args.lang,
        fmt=args.fmt,
        mapping=args.mapping,
        mechanism=args.mechanism,
        screening=_screening_options(args.screen),
        keep_unfinished=args.keep_unfinished,
        **pls_fields(args),
    )
    run_validate(args.files, spec, opts, out=args.out, force=args.force)
    return 0


def _cmd_power(args) -> int:
    from instruments.errors import InputError
    from instruments.outputs import prepare_out_dir
    from validate.power.study import load_effects, parse_assume_std, power_study

    ns = []
    for tok in args.n.split(","):
        tok = tok.strip()
        if not tok.isdigit() or int(tok) < 1:
            raise InputError(f"--n {args.n}: {tok!r} is not a positive whole number; expected e.g. 200,300,500,800")
        ns.append(int(tok))
    spec = _spec(args.model)
    eff = load_effects(args.effects) if args.effects else None
    effects, common = parse_assume_std(args.assume_std or [])
    mids = [m.id for m in spec.select(args.mechanism)]  # default: every mechanism, as the help says
    out = prepare_out_dir(args.out, args.force)
    written = []
    for mid in mids:
        res = power_study(
            spec,
            mid,
            ns=ns,
            replications=args.replications,
            effects=eff["effects"] if eff else (effects or None),
            assume_std=common,
            loadings=eff["loadings"] if eff else None,
            exogenous_corr=eff["exogenous_corr"] if eff else None,
            direct_effects=args.direct_effects or None,
            seed=args.seed,
            workers=args.workers,
            scheduler=args.scheduler,
            alpha=args.alpha,
            target=args.target,
        )
        _print_power(res, args.replications)
        written += res.write(out / mid if len(mids) > 1 else out)
    _print_written(written)
    return 0


def _print_power(res, replications: int) -> None:
    """A readable console table: assumed effects, power with its Monte Carlo interval, the n for the target."""
    print(
        f"\nmechanism {res.mechanism}: power by sample size ({replications} replications per n; "
        f"two-sided alpha = {res.alpha:g}; [ ] = Monte Carlo 95% interval)"
    )
    table = res.console_table()
    if not table.empty:
        print(table.to_string(index=False))
    overall = res.overall or {}
    if overall.get("note"):
        print(f"all hypothesised paths: {overall['note']}")
    for a in res.assumptions:
        print(f"  assumed: {a}")


def _cmd_demo(args) -> int:
    from validate.pipeline import run_demo

    run_demo(
        out=args.out,
        force=args.force,
        bootstrap=args.bootstrap,
        seed=args.seed,
        workers=args.workers,
        lang=args.lang,
        estimator=args.estimator,
        method=args.method,
        model=args.model,
        hoc_approach=getattr(args, "hoc_approach", "disjoint"),
    )
    return 0


def _cmd_schema(args) -> int:
    from validate.report.schema import schema_text

    sys.stdout.write(schema_text())
    return 0


def _cmd_app(args) -> int:
    from validate.app.command import run_app

    return run_app(args)


def _print_written(paths) -> None:
    paths = list(paths)
    print(f"wrote {len(paths)} file(s):")
    for p in paths:
        print(f"  {p}")


COMMANDS = {
    "model": _cmd_model,
    "instrument": _cmd_instrument,
    "template": _cmd_template,
    "ingest": _cmd_ingest,
    "validate": _cmd_validate,
    "power": _cmd_power,
    "demo": _cmd_demo,
    "app": _cmd_app,
    "schema": _cmd_schema,
}


def main(argv: list[str] | None = None) -> int:
    """Run ``vcc``; returns the exit code (0 ok, 1 internal error, 2 user error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except VccError as exc:
        print(f"vcc: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("vcc: interrupted; no output was left half-written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # an internal bug: one line, not a traceback
        if args.debug:
            raise
        print(
            f"vcc: internal error: {type(exc).__name__}: {exc}\n"
            "vcc: this is a bug in the toolkit; run again with --debug and report the traceback",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
