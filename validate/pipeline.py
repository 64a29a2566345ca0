"""The main jobs: ``vcc ingest``, ``vcc validate`` and ``vcc demo``.

Each job is a sequence of library calls whose results are gathered into one
results dict (the contract of ``results.json``) and handed to the report
writers. Output files are first written into a staging folder beside the
output folder and moved into place only when every step has succeeded, so a
run that fails half-way leaves no half-written report under the final names.
"""

from __future__ import annotations

import datetime as _dt
import platform as _platform
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from instruments.errors import InputError
from instruments.outputs import prepare_out_dir
from instruments.spec import ModelSpec, load_spec

__all__ = ["AnalysisOptions", "run_ingest", "run_validate", "run_demo", "analyse", "example_data_path"]


@dataclass
class AnalysisOptions:
    """Options of ``vcc validate``; the defaults follow lavaan's ``sem()``."""

    estimator: str = "ML"
    missing: str = "listwise"
    group: str | None = None
    bootstrap: int = 5000
    seed: int = 20240601
    workers: int | None = None
    scheduler: str | None = None
    direct_effects: bool = False
    alpha: float = 0.05
    lang: str = "en"
    fmt: str = "auto"
    mapping: str | None = None
    mechanism: str | None = None
    auto_cov_y: bool = True
    progress: bool = True
    screening: object = None  # validate.screening.ScreeningOptions; None means the documented defaults
    keep_unfinished: bool = False

    def check(self) -> None:
        if self.estimator not in ("ML", "MLR", "WLSMV"):
            raise InputError(f"--estimator {self.estimator}: expected ML, MLR or WLSMV")
        if self.missing not in ("listwise", "fiml"):
            raise InputError(f"--missing {self.missing}: expected listwise or fiml")
        if self.estimator == "WLSMV" and self.missing == "fiml":
            raise InputError("--missing fiml cannot be combined with --estimator WLSMV "
                             "(lavaan's WLSMV uses pairwise or listwise data); use --missing listwise")
        if self.bootstrap < 0:
            raise InputError(f"--bootstrap {self.bootstrap}: expected 0 (no bootstrap) or a positive number")
        if 0 < self.bootstrap < 100:
            raise InputError(f"--bootstrap {self.bootstrap}: too few resamples for confidence intervals; "
                             "expected 0 or at least 100 (5000 recommended)")
        if not 0 < self.alpha < 1:
            raise InputError(f"--alpha {self.alpha}: expected a number between 0 and 1, e.g. 0.05")
        if self.workers is not None and self.workers < 1:
            raise InputError(f"--workers {self.workers}: expected 1 or more")


def example_data_path() -> Path:
    """The bundled example responses (simulated; see ``data_templates/example/README.md``)."""
    from importlib import resources

    return Path(str(resources.files("data_templates") / "example" / "example_responses.xlsx"))


def _progress(msg: str, enabled: bool = True) -> None:
    if enabled:
        print(msg, file=sys.stderr, flush=True)


@dataclass
class _Staging:
    """A staging folder beside ``out``; its files move into ``out`` on success."""

    out: Path

    def __enter__(self) -> Path:
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".staging", dir=self.out.parent))
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                for f in sorted(self.tmp.rglob("*")):
                    if f.is_file():
                        dest = self.out / f.relative_to(self.tmp)
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        f.replace(dest)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def run_ingest(files, spec: ModelSpec, *, out=None, fmt="auto", mapping=None, mechanism=None,
               print_mapping=False, force=False, screening=None, keep_unfinished=False) -> dict:
    """``vcc ingest``: read, map and screen responses; write the cleaned data and the logs."""
    from validate.ingest.responses import ingest, render_mapping
    from validate.screening import screen

    _check_files(files)
    try:
        res = ingest(files, spec, fmt=fmt, mapping=mapping, mechanism=mechanism, keep_unfinished=keep_unfinished)
    except InputError as exc:
        if print_mapping and getattr(exc, "mapping", None) is not None:
            print(render_mapping(exc.mapping))  # show what did match, then the problems
        raise
    if print_mapping:
        print(render_mapping(res))
        return {}
    out = prepare_out_dir(out, force, inputs=files)
    summary = {}
    with _Staging(out) as stage:
        res.write(stage)
        for mid, df in res.data.items():
            sr = screen(df, spec.mechanism(mid), spec, options=screening)
            sr.write(stage, mid)
            summary[mid] = sr
    _print_ingest_summary(res, summary, out)
    return summary


def _print_ingest_summary(res, screened, out) -> None:
    for w in getattr(res, "warnings", []):
        print(f"vcc: warning: {w}", file=sys.stderr)
    n_problems = len(res.problems)
    for mid, sr in screened.items():
        print(f"{mid}: {len(res.data[mid])} responses read, {len(sr.data)} kept after screening")
    if n_problems:
        print(f"{n_problems} cell(s) could not be used and were set to missing; see {Path(out) / 'problems.csv'}")
    print(f"outputs in {out}")


def _check_files(files) -> None:
    missing = [f for f in files if not Path(f).exists()]
    if missing:
        raise InputError("input file(s) not found: " + ", ".join(str(m) for m in missing))
    seen: dict = {}
    for f in files:
        key = Path(f).resolve()
        if key in seen:
            raise InputError(f"{f}: the same response file is given twice (also as {seen[key]}); "
                             "expected each file once")
        seen[key] = f


def analyse(data: dict[str, pd.DataFrame], spec: ModelSpec, opts: AnalysisOptions,
            screening: dict | None = None) -> dict:
    """Measurement and structural analysis of each mechanism; returns the results dict."""
    from validate.measurement.analysis import analyse_measurement
    from validate.structural.analysis import analyse_structural

    opts.check()
    results: dict = {
        "toolkit": {"name": "vcc", "version": _version()},
        "spec": {"name": spec.name, "path": str(spec.path), "sha256": spec.sha256, "title": spec.title},
        "options": {**{k: v for k, v in asdict(opts).items() if k not in ("progress", "screening")},
                    "screening": opts.screening.to_dict() if opts.screening is not None else "defaults"},
        "software": _software(),
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "warnings": list(spec.warnings),
        "mechanisms": {},
    }
    for m in spec.select(opts.mechanism):
        if m.id not in data:
            results["warnings"].append(f"no responses for mechanism {m.id}; skipped")
            continue
        df = data[m.id]
        entry: dict = {"label": m.label, "n_raw": int((screening or {}).get(m.id, {}).get("n_raw", len(df))),
                       "n_used": int(len(df)), "warnings": []}
        if screening and m.id in screening:
            entry["screening"] = screening[m.id].get("report")
        _progress(f"[{m.id}] measurement model ...", opts.progress)
        entry.update(analyse_measurement(df, m, spec, opts))
        if m.paths:
            _progress(f"[{m.id}] structural model ...", opts.progress)
            cfa_fit = (entry.get("measurement") or {}).get("fit")
            entry.update(analyse_structural(df, m, spec, opts, cfa_fit=cfa_fit))
        elif opts.group:
            from validate.structural.analysis import platform_comparison

            _progress(f"[{m.id}] groups ...", opts.progress)
            entry.update(platform_comparison(df, m, spec, opts))  # measurement invariance needs no paths
        results["mechanisms"][m.id] = entry
    from validate.structural.analysis import compare_mechanisms

    comparison = compare_mechanisms(results, spec)
    if comparison is not None:
        results["comparison"] = comparison
    return results


def run_validate(files, spec: ModelSpec, opts: AnalysisOptions, *, out, force=False) -> dict:
    """``vcc validate``: the whole pipeline, from response files to the report."""
    from validate.ingest.responses import ingest
    from validate.report import write_report
    from validate.screening import screen

    opts.check()
    _check_files(files)
    out = prepare_out_dir(out, force, inputs=files)
    _progress("reading responses ...", opts.progress)
    res = ingest(files, spec, fmt=opts.fmt, mapping=opts.mapping, mechanism=opts.mechanism,
                 keep_unfinished=opts.keep_unfinished)
    cleaned, screening = {}, {}
    for mid, df in res.data.items():
        if opts.mechanism and mid != opts.mechanism:
            continue
        sr = screen(df, spec.mechanism(mid), spec, options=opts.screening)
        cleaned[mid] = sr.data
        screening[mid] = {"n_raw": len(df), "report": _screening_report(sr)}
    if not cleaned:
        raise InputError("no responses of any mechanism were found in " + ", ".join(map(str, files)))
    if opts.group:
        for mid, df in cleaned.items():
            if opts.group not in df.columns:
                raise InputError(f"--group {opts.group}: there is no column '{opts.group}' in the responses of "
                                 f"mechanism {mid}; expected one of: {', '.join(map(str, df.columns[:12]))}")
            from validate.structural.analysis import check_groups

            check_groups(df, opts.group, len(spec.mechanism(mid).item_ids))  # before any long computation
    results = analyse(cleaned, spec, opts, screening)
    na = getattr(res, "not_applicable", None)
    for mid, entry in results["mechanisms"].items():  # "not applicable" answers: read as missing, counted here
        if na is not None and (na["mechanism"] == mid).any():
            entry["not_applicable"] = [{"item": str(r.variable), "n_not_applicable": int(r.n_not_applicable)}
                                       for r in na[na["mechanism"] == mid].itertuples(index=False)]
    results["inputs"] = [str(f) for f in files]
    results["warnings"] = list(getattr(res, "warnings", [])) + results["warnings"]  # what ingest left out
    with _Staging(out) as stage:
        res.write(stage)
        written = write_report(results, spec, stage, lang=opts.lang, data=cleaned)
    _summary(results, out, written)
    return results


def _screening_report(sr) -> dict:
    """The screening result in the shape of results.json: one summary row per rule and the log."""
    rep = sr.to_dict()
    rep["summary"] = [{"rule": s["rule"], "setting": s.get("setting"), "action": s.get("action"),
                       "flagged": s.get("n_flagged"), "dropped": s.get("n_dropped"), "note": s.get("note")}
                      for s in rep.get("summary", [])]
    log = sr.log
    rep["log"] = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                  for r in log.astype(object).to_dict(orient="records")] if log is not None else []
    return rep


def run_demo(*, out="vcc-demo", force=False, bootstrap=1000, seed=20240601, workers=None, lang="en",
             estimator="ML") -> dict:
    """``vcc demo``: ``vcc validate`` on the bundled example data, comparing platforms."""
    data = example_data_path()
    if not data.exists():
        raise InputError(f"{data}: the bundled example data is missing; reinstall the toolkit")
    spec = load_spec()
    group = spec.group_question.id if spec.group_question else None
    opts = AnalysisOptions(estimator=estimator, bootstrap=bootstrap, seed=seed, workers=workers,
                           lang=lang, group=group)
    return run_validate([data], spec, opts, out=out, force=force)


def _summary(results: dict, out: Path, written) -> None:
    print()
    for mid, m in results["mechanisms"].items():
        fit = (m.get("structural") or m.get("measurement") or {}).get("fit") or {}
        line = f"{mid}: n = {m['n_used']}"
        sfx = "_scaled" if fit.get("chisq_scaled") is not None else ""  # MLR and WLSMV report the scaled test
        if fit.get("cfi" + sfx) is not None:
            line += (f", chi2{'(scaled)' if sfx else ''}({fit.get('df'):.0f}) = {fit.get('chisq' + sfx):.2f}, "
                     f"CFI = {fit.get('cfi' + sfx):.3f}, RMSEA = {fit.get('rmsea' + sfx):.3f}, "
                     f"SRMR = {fit.get('srmr'):.3f}")
        paths = (m.get("structural") or {}).get("paths") or []
        if paths:
            sup = sum(bool(p.get("supported")) for p in paths)
            line += f"; {sup} of {len(paths)} hypotheses supported"
        print(line)
    n_warn = len(results.get("warnings", []))
    for m in results["mechanisms"].values():  # the warnings of each statistic, where the report shows them
        n_warn += len(m.get("warnings", []))
        for part in ("measurement", "structural", "invariance", "multigroup"):
            n_warn += len((m.get(part) or {}).get("warnings") or [])
    if n_warn:
        print(f"{n_warn} warning(s); see the report")
    print(f"wrote to {out}:")
    for name in (written or {}):
        print(f"  {Path(out) / Path(written[name]).name}")


def _version() -> str:
    from validate import __version__

    return __version__


def _software() -> dict:
    import scipy

    return {"python": _platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "pandas": pd.__version__, "vcc": _version()}



