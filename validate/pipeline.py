"""The main jobs: ``vcc ingest``, ``vcc validate`` and ``vcc demo``.

Each job is a sequence of library calls whose results are gathered into one
results dict (the contract of ``results.json``) and handed to the report
writers. Output files are first written into a staging folder beside the
output folder and moved into place only when every step has succeeded, so a
run that fails half-way leaves no half-written report under the final names.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import platform as _platform
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from instruments.errors import InputError
from instruments.outputs import prepare_out_dir
from instruments.spec import ModelSpec, load_spec
from validate.missing import MISSING_CHOICES, choose_missing, wlsmv_supports

__all__ = [
    "AnalysisOptions",
    "run_ingest",
    "run_validate",
    "run_demo",
    "analyse",
    "example_data_path",
    "choose_missing",
    "MISSING_CHOICES",
]

#: ``--adjust``: the p-value that judges each hypothesis (unadjusted, Holm, or Benjamini-Hochberg).
ADJUST_CHOICES = ("none", "holm", "fdr_bh")


@dataclass
class AnalysisOptions:
    """Options of ``vcc validate``; the defaults follow lavaan's ``sem()``."""

    estimator: str = "ML"
    missing: str = "auto"
    group: str | None = None
    invalid: str = "stop"
    bootstrap: int = 5000
    seed: int = 20240601
    workers: int | None = None
    scheduler: str | None = None
    direct_effects: bool = False
    alpha: float = 0.05
    adjust: str = "none"  # none | holm | fdr_bh: which p-value judges each hypothesis
    collapse_empty: bool = False  # WLSMV with groups: merge answer categories nobody chose in a group
    lang: str = "en"
    fmt: str = "auto"
    mapping: str | None = None
    mechanism: str | None = None
    auto_cov_y: bool = True
    progress: bool = True
    screening: object = None  # validate.screening.ScreeningOptions; None means the documented defaults
    keep_unfinished: bool = False
    method: str = "cb"  # cb | pls | both (validate.pls)
    pls_scheme: str = "path"
    pls_consistent: bool = False
    pls_missing: str = "mean"
    pls_modes: dict | None = None
    pls_predict_folds: int = 10
    pls_predict_repetitions: int = 10
    pls_predict_approach: str = "direct"
    pls_permutations: int = 5000
    pls_ipma_targets: list | None = None
    pls_moderation: str = "two_stage"
    pls_hoc_approach: str = "disjoint"  # higher-order constructs: disjoint or embedded two-stage approach

    def check(self) -> None:
        from validate.pls.cli import check_method

        check_method(self.method)
        if self.estimator not in ("ML", "MLR", "WLSMV"):
            raise InputError(f"--estimator {self.estimator}: expected ML, MLR or WLSMV")
        if self.missing not in MISSING_CHOICES:
            raise InputError(f"--missing {self.missing}: expected one of {', '.join(MISSING_CHOICES)}")
        if self.adjust not in ADJUST_CHOICES:
            raise InputError(f"--adjust {self.adjust}: expected one of {', '.join(ADJUST_CHOICES)}")
        if self.invalid not in ("stop", "missing"):
            raise InputError(f"--invalid {self.invalid}: expected stop (the default) or missing")
        if self.estimator == "WLSMV" and self.missing == "fiml":
            raise InputError(
                "--missing fiml cannot be combined with --estimator WLSMV "
                "(lavaan's WLSMV uses pairwise or listwise data); use --missing pairwise or listwise"
            )
        if self.missing == "pairwise" and self.estimator != "WLSMV":
            raise InputError(
                f"--missing pairwise goes with --estimator WLSMV (lavaan's pairwise deletion of the "
                f"polychoric correlations); with {self.estimator} use --missing fiml or listwise"
            )
        if self.missing == "pairwise" and not wlsmv_supports("pairwise"):
            raise InputError(
                "--missing pairwise: pairwise deletion with WLSMV is not available in this version "
                "of the engine yet; use --missing listwise (respondents with an empty item cell are "
                "left out)"
            )
        if self.group and self.estimator == "WLSMV" and not wlsmv_supports("group"):
            raise InputError(
                f"--group {self.group} with --estimator WLSMV: the multi-group WLSMV model (needed for "
                "measurement invariance and the group comparison of paths) is not available in this "
                "version of the engine yet; use --estimator MLR with --group, or run WLSMV without "
                "--group"
            )
        if self.bootstrap < 0:
            raise InputError(f"--bootstrap {self.bootstrap}: expected 0 (no bootstrap) or a positive number")
        if 0 < self.bootstrap < 100:
            raise InputError(
                f"--bootstrap {self.bootstrap}: too few resamples for confidence intervals; "
                "expected 0 or at least 100 (5000 recommended)"
            )
        if not 0 < self.alpha < 1:
            raise InputError(f"--alpha {self.alpha}: expected a number between 0 and 1, e.g. 0.05")
        if self.workers is not None and self.workers < 1:
            raise InputError(f"--workers {self.workers}: expected 1 or more")


def example_data_path() -> Path:
    """The bundled example responses (simulated; see ``data_templates/example/README.md``)."""
    from importlib import resources

    return Path(str(resources.files("data_templates") / "example" / "example_responses.xlsx"))


#: Bundled spec files whose example data were simulated from their own population (folder of
#: ``data_templates``); every other spec runs on the first-order example (:func:`example_data_path`).
DEMO_DATA = {"short_video_vcc_second_order.yaml": "example_second_order"}


def demo_data_path(spec_file: str | Path | None = None) -> Path:
    """The example responses ``vcc demo`` analyses with the spec ``spec_file``.

    The second-order variant has its own simulated data (``data_templates/example_second_order``,
    drawn from a second-order population: the first-order example is inadmissible for it); any other
    spec gets :func:`example_data_path`.
    """
    from importlib import resources

    folder = DEMO_DATA.get(Path(spec_file).name) if spec_file is not None else None
    if folder is None:
        return example_data_path()
    return Path(str(resources.files("data_templates") / folder / "example_responses.xlsx"))


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


def run_ingest(
    files,
    spec: ModelSpec,
    *,
    out=None,
    fmt="auto",
    mapping=None,
    mechanism=None,
    print_mapping=False,
    force=False,
    screening=None,
    keep_unfinished=False,
) -> dict:
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
            raise InputError(
                f"{f}: the same response file is given twice (also as {seen[key]}); expected each file once"
            )
        seen[key] = f


def analyse(
    data: dict[str, pd.DataFrame], spec: ModelSpec, opts: AnalysisOptions, screening: dict | None = None
) -> dict:
    """Measurement and structural analysis of each mechanism; returns the results dict."""
    from validate.measurement.analysis import analyse_measurement
    from validate.structural.analysis import analyse_structural

    opts.check()
    from validate.report.schema import SCHEMA_VERSION

    results: dict = {
        "schema_version": SCHEMA_VERSION,
        "toolkit": {"name": "vcc", "version": _version()},
        "spec": {"name": spec.name, "path": str(spec.path), "sha256": spec.sha256, "title": _declared_title(spec)},
        "options": {
            **{k: v for k, v in asdict(opts).items() if k not in ("progress", "screening")},
            "screening": opts.screening.to_dict() if opts.screening is not None else "defaults",
        },
        "software": _software(),
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "warnings": list(spec.warnings),
        "mechanisms": {},
    }
    chosen = {}
    for m in spec.select(opts.mechanism):  # every mechanism's method first: a refusal comes before any fit
        if m.id in data:
            chosen[m.id] = choose_missing(data[m.id], m.item_ids, opts.estimator, opts.missing)
        if opts.method in ("pls", "both") and m.second_order and (m.moderations or m.controls):
            parts = [k for k, v in (("moderations", m.moderations), ("controls", m.controls)) if v]
            raise InputError(
                f"mechanism {m.id}: PLS-SEM fits second-order constructs (two-stage approach) and "
                f"{', '.join(parts)}, but not both in one model in this version; run with --method cb, "
                f"or drop the {' and '.join(parts)} for the PLS run"
            )
    for m in spec.select(opts.mechanism):
        if m.id not in data:
            results["warnings"].append(f"no responses for mechanism {m.id}; skipped")
            continue
        df = _user_index(data[m.id])
        how = chosen[m.id]
        mopts = replace(opts, missing=how["method"])  # the method this mechanism's models are fitted with
        entry: dict = {
            "label": m.label,
            "n_raw": int((screening or {}).get(m.id, {}).get("n_raw", len(df))),
            "n_used": int(len(df)),
            "missing": how["method"],
            "missing_detail": how,
            "warnings": [],
        }
        if screening and m.id in screening:
            entry["screening"] = screening[m.id].get("report")
            invalid = screening[m.id].get("invalid_cells")
            if invalid:
                entry["invalid_cells"] = invalid
        if opts.method in ("pls", "both") and m.paths:
            from validate.pls.pipeline import run_pls

            _progress(f"[{m.id}] PLS-SEM ...", opts.progress)
            entry.update(
                run_pls(df, m, opts, scales={i: (spec.item_scale(i).min, spec.item_scale(i).max) for i in m.item_ids})
            )
        if opts.method == "pls":  # with --group, run_pls has run MICOM and the multigroup analysis
            results["mechanisms"][m.id] = entry
            continue
        _progress(f"[{m.id}] measurement model ({_missing_words(how['method'])}) ...", opts.progress)
        entry.update(analyse_measurement(df, m, spec, mopts))
        _stamp_n(entry.get("measurement"), how["method"], len(df))
        if m.paths:
            _progress(f"[{m.id}] structural model ...", opts.progress)
            cfa_fit = (entry.get("measurement") or {}).get("fit")
            entry.update(analyse_structural(df, m, spec, mopts, cfa_fit=cfa_fit))
            _stamp_n(entry.get("structural"), how["method"], len(df))
        elif opts.group:
            from validate.structural.analysis import platform_comparison

            _progress(f"[{m.id}] groups ...", opts.progress)
            entry.update(platform_comparison(df, m, spec, mopts))  # measurement invariance needs no paths
        results["mechanisms"][m.id] = entry
        from validate.sem.robust_fiml import clear_h1_cache

        clear_h1_cache()  # the next mechanism has other data: free this one's FIML saturated-model pieces
    from validate.structural.analysis import compare_mechanisms

    comparison = compare_mechanisms(results, spec)
    if comparison is not None:
        results["comparison"] = comparison
    return results


def _declared_title(spec: ModelSpec) -> dict | None:
    """The spec's title, or None when the spec declares none (the loader then stands in its name or file stem)."""
    stand_ins = [{"en": str(spec.name)}, {"en": Path(str(spec.path)).stem}]
    return None if not spec.title or spec.title in stand_ins else spec.title


def _user_index(df: pd.DataFrame) -> pd.DataFrame:
    """The responses indexed by respondent id (序号, the file's id column), so that a statistic naming a
    row names the respondent the user sees, never a 0-based position."""
    if "resp_id" not in df.columns or df["resp_id"].isna().any() or df["resp_id"].duplicated().any():
        return df
    out = df.copy()
    out.index = pd.Index(df["resp_id"].astype(str), name="respondent")
    return out


def _missing_words(method: str) -> str:
    return {"fiml": "full-information ML", "listwise": "listwise deletion", "pairwise": "pairwise deletion"}.get(
        method, method
    )


def _stamp_n(section: dict | None, method: str, n_total: int) -> None:
    """Add ``missing`` and ``n_total`` (the M of lavaan's "used N of M") beside a section's ``n_obs``."""
    if isinstance(section, dict):
        section["missing"] = method
        section["n_total"] = int(n_total)


def run_validate(files, spec: ModelSpec, opts: AnalysisOptions, *, out, force=False) -> dict:
    """``vcc validate``: the whole pipeline, from response files to the report.

    The whole run uses one BLAS thread (:func:`validate.blas.single_threaded_blas`; the fits
    always did): its matrices are small, and idle OpenBLAS threads spinning between the calls of
    the measurement step and the report writers cost more CPU than the threads gain (measured on
    the 28-item study of ``bench/fixed_cost.py`` on 2 cores: 24 s of CPU with the default two
    threads, 7 s with one). The worker processes of the bootstrap run one thread each already.
    """
    from validate.blas import single_threaded_blas

    with single_threaded_blas():
        return _run_validate(files, spec, opts, out=out, force=force)


def _run_validate(files, spec: ModelSpec, opts: AnalysisOptions, *, out, force=False) -> dict:
    from validate.ingest.responses import ingest
    from validate.report import write_report
    from validate.screening import screen

    opts.check()
    _check_files(files)
    out = prepare_out_dir(out, force, inputs=files)
    _progress("reading responses ...", opts.progress)
    group = group_column(spec, opts.group)
    if group != opts.group:
        opts = replace(opts, group=group)
    known = (
        {q.id for q in spec.background}
        | {"resp_id", "duration_sec"}
        | {a.id for a in spec.attention_checks}
        | {i for m in spec.mechanisms.values() for i in m.item_ids}
    )
    extra = {group: "--group"} if group and group not in known else None  # an undeclared column, carried as is
    res = ingest(
        files,
        spec,
        fmt=opts.fmt,
        mapping=opts.mapping,
        mechanism=opts.mechanism,
        keep_unfinished=opts.keep_unfinished,
        extra_columns=extra,
    )
    invalid = _invalid_cells(res, opts.invalid)
    cleaned, screening = {}, {}
    for mid, df in res.data.items():
        if opts.mechanism and mid != opts.mechanism:
            continue
        sr = screen(df, spec.mechanism(mid), spec, options=opts.screening)
        cleaned[mid] = sr.data
        screening[mid] = {"n_raw": len(df), "report": _screening_report(sr), "invalid_cells": _cells_of(invalid, df)}
    if not cleaned:
        raise InputError("no responses of any mechanism were found in " + ", ".join(map(str, files)))
    if opts.group:
        for mid, df in cleaned.items():
            if opts.group not in df.columns:
                heads = [str(h) for h in res.mapping["header"].tolist() if str(h).strip()]
                close = difflib.get_close_matches(opts.group, heads, n=1, cutoff=0.0)
                raise InputError(
                    f"--group {opts.group}: there is no column '{opts.group}' in the responses of "
                    f"mechanism {mid}"
                    + (f"; the closest header is '{close[0]}'" if close else "")
                    + f"; expected one of the file's headers: {', '.join(repr(h) for h in heads[:40])}"
                )
            from validate.structural.analysis import check_groups

            check_groups(df, opts.group, len(spec.mechanism(mid).item_ids))  # before any long computation
    results = analyse(cleaned, spec, opts, screening)
    na = getattr(res, "not_applicable", None)
    for mid, entry in results["mechanisms"].items():  # "not applicable" answers: read as missing, counted here
        if na is not None and (na["mechanism"] == mid).any():
            entry["not_applicable"] = [
                {"item": str(r.variable), "n_not_applicable": int(r.n_not_applicable)}
                for r in na[na["mechanism"] == mid].itertuples(index=False)
            ]
    results["inputs"] = [str(f) for f in files]
    results["warnings"] = list(getattr(res, "warnings", [])) + results["warnings"]  # what ingest left out
    if invalid is not None and len(invalid):
        results["invalid_cells"] = {
            "n": int(len(invalid)),
            "action": "set to missing (--invalid missing)",
            "cells": _cell_records(invalid),
        }
        results["warnings"].insert(
            0,
            f"{len(invalid)} invalid cell(s) were set to missing (--invalid missing): "
            + _cell_list(invalid, 20)
            + "; all of them are in problems.csv",
        )
    with _Staging(out) as stage:
        res.write(stage)
        written = write_report(results, spec, stage, lang=opts.lang, data=cleaned)
    _summary(results, out, written)
    return results


def group_column(spec: ModelSpec, name: str | None) -> str | None:
    """The data column ``--group NAME`` means: a background question's id, found by id or by its text
    (English or Chinese, as a question title), else ``NAME`` itself, an undeclared column of the file."""
    if not name:
        return name
    from validate.ingest.responses import strip_number, text_key

    ids = {q.id for q in spec.background}
    if name in ids:
        return name
    keys = {text_key(name), text_key(strip_number(name))} - {""}  # "1、您最常使用哪个平台？" as a title
    for q in spec.background:
        if keys & ({text_key(q.id)} | {text_key(v) for v in (q.text or {}).values()}):
            return q.id
    return name


def _invalid_cells(res, action: str) -> pd.DataFrame | None:
    """The cells ingest could not use; stop (exit 2) listing every one, unless ``--invalid missing``."""
    prob = res.problems
    if prob is None or not len(prob):
        return None
    if action == "missing":
        return prob
    raise InputError(
        f"{len(prob)} invalid cell(s) in the responses; nothing was analysed. Correct them in the file, or pass "
        "--invalid missing to analyse them as missing answers (the report then says where)",
        [
            f"{_where(r)}, cell {r.cell} (column '{r.column}', respondent {r.resp_id}): "
            f"{r.value!r}: {r.problem}; expected {r.expected}"
            for r in prob.itertuples(index=False)
        ],
    )


def _where(r) -> str:
    return f"{r.file}, sheet {r.sheet}" if isinstance(r.sheet, str) and r.sheet else str(r.file)


def _cells_of(invalid: pd.DataFrame | None, df: pd.DataFrame) -> list[dict]:
    if invalid is None or not len(invalid) or "resp_id" not in df.columns:
        return []
    return _cell_records(invalid[invalid["resp_id"].astype(str).isin(df["resp_id"].astype(str))])


def _cell_records(invalid: pd.DataFrame) -> list[dict]:
    cols = ["file", "sheet", "cell", "column", "resp_id", "value", "problem", "expected"]
    return [
        {k: (None if v is None or (isinstance(v, float) and v != v) else str(v)) for k, v in r.items()}
        for r in invalid[cols].to_dict(orient="records")
    ]


def _cell_list(invalid: pd.DataFrame, limit: int) -> str:
    where = [f"{_where(r)}, cell {r.cell} ({r.value!r})" for r in invalid.head(limit).itertuples()]
    more = f" and {len(invalid) - limit} more" if len(invalid) > limit else ""
    return "; ".join(where) + more


def _screening_report(sr) -> dict:
    """The screening result in the shape of results.json: one summary row per rule and the log."""
    rep = sr.to_dict()
    rep["summary"] = [
        {
            "rule": s["rule"],
            "setting": s.get("setting"),
            "action": s.get("action"),
            "flagged": s.get("n_flagged"),
            "dropped": s.get("n_dropped"),
            "note": s.get("note"),
        }
        for s in rep.get("summary", [])
    ]
    log = sr.log
    rep["log"] = (
        [
            {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
            for r in log.astype(object).to_dict(orient="records")
        ]
        if log is not None
        else []
    )
    return rep


#: The bundled variants of the thesis spec ``vcc demo --model`` runs (same items; the data of each:
#: :func:`demo_data_path`).
DEMO_MODELS = {
    "short_video_vcc": "short_video_vcc.yaml",
    "first_order": "short_video_vcc.yaml",
    "second_order": "short_video_vcc_second_order.yaml",
    "short_video_vcc_second_order": "short_video_vcc_second_order.yaml",
}


def run_demo(
    *,
    out="vcc-demo",
    force=False,
    bootstrap=1000,
    seed=20240601,
    workers=None,
    lang="en",
    estimator="ML",
    method="cb",
    model: str | None = None,
    hoc_approach: str = "disjoint",
) -> dict:
    """``vcc demo``: ``vcc validate`` on the bundled example data, comparing platforms.

    With ``method="pls"`` (or ``both``) the platforms are compared by MICOM and the PLS multigroup tests,
    with as many permutations as bootstrap resamples. ``model``: a bundled variant (``short_video_vcc``,
    ``second_order``) or a spec file; ``None`` runs the bundled first-order spec. ``hoc_approach``: how PLS
    estimates second-order constructs (``disjoint`` or ``embedded`` two-stage approach).
    """
    from instruments.spec import default_spec_path

    data = example_data_path()
    if model is None or model in DEMO_MODELS:
        spec = load_spec(default_spec_path().with_name(DEMO_MODELS[model or "short_video_vcc"]))
        data = demo_data_path(DEMO_MODELS[model or "short_video_vcc"])
    elif Path(model).exists():
        spec = load_spec(model)
    else:
        raise InputError(
            f"--model {model}: not a bundled model ({', '.join(sorted(DEMO_MODELS))}) nor an existing spec file"
        )
    if not data.exists():
        raise InputError(f"{data}: the bundled example data is missing; reinstall the toolkit")
    group = spec.group_question.id if spec.group_question else None
    opts = AnalysisOptions(
        estimator=estimator,
        bootstrap=bootstrap,
        seed=seed,
        workers=workers,
        lang=lang,
        group=group,
        method=method,
        pls_permutations=max(20, bootstrap),
        pls_hoc_approach=hoc_approach,
    )
    return run_validate([data], spec, opts, out=out, force=force)


def _summary(results: dict, out: Path, written) -> None:
    print()
    if results.get("invalid_cells"):
        print(
            f"{results['invalid_cells']['n']} invalid cell(s) were analysed as missing answers (--invalid missing); "
            f"see problems.csv"
        )
    for mid, m in results["mechanisms"].items():
        for line in summary_lines(mid, m):
            print(line)
        pls = (m.get("pls") or {}).get("paths") or []
        if pls:
            print(f"  PLS-SEM: {sum(bool(p.get('supported')) for p in pls)} of {len(pls)} hypotheses supported")
        for pr in ((m.get("pls") or {}).get("micom") or {}).get("pairs") or []:
            words = {
                "full": "full measurement invariance",
                "partial": "partial measurement invariance (paths may be compared)",
                "none": "no compositional invariance",
            }
            print(
                f"  PLS MICOM, {((m.get('pls') or {}).get('micom') or {}).get('group')} "
                f"{' vs '.join(pr.get('groups') or [])}: {words.get(pr.get('verdict'), pr.get('verdict'))}"
            )
    n_warn = len(results.get("warnings", []))
    for m in results["mechanisms"].values():  # the warnings of each statistic, where the report shows them
        n_warn += len(m.get("warnings", []))
        for part in ("measurement", "structural", "invariance", "multigroup", "pls"):
            n_warn += len((m.get(part) or {}).get("warnings") or [])
    if n_warn:
        print(f"{n_warn} warning(s); see the report")
    print(f"wrote to {out}:")
    for name in written or {}:
        print(f"  {Path(out) / Path(written[name]).name}")


def summary_lines(mid: str, m: dict) -> list[str]:
    """The console lines of one mechanism: the n each model used (lavaan's "used N of M"), its fit, groups."""
    part = m.get("structural") if (m.get("structural") or {}).get("fit") else m.get("measurement")
    part = part or {}
    fit = part.get("fit") or {}
    what = "SEM" if part is m.get("structural") else "CFA"
    n_obs, n_total = part.get("n_obs"), part.get("n_total", m.get("n_used"))
    line = f"{mid}: {m.get('n_used')} of {m.get('n_raw')} responses kept after screening"
    if n_obs is not None:
        line += f"; {what} used {n_obs} of {n_total} ({_missing_words(m.get('missing') or part.get('missing'))})"
    sfx = "_scaled" if fit.get("chisq_scaled") is not None else ""  # MLR and WLSMV report the scaled test
    if fit.get("cfi" + sfx) is not None:
        line += (
            f", chi2{'(scaled)' if sfx else ''}({fit.get('df'):.0f}) = {fit.get('chisq' + sfx):.2f}, "
            f"CFI = {fit.get('cfi' + sfx):.3f}, RMSEA = {fit.get('rmsea' + sfx):.3f}, "
            f"SRMR = {fit.get('srmr'):.3f}"
        )
    paths = (m.get("structural") or {}).get("paths") or []
    if paths:
        sup = sum(bool(p.get("supported")) for p in paths)
        line += f"; {sup} of {len(paths)} hypotheses supported"
    lines = [line]
    inv = m.get("invariance") or {}
    mg = m.get("multigroup") or {}
    by = mg.get("n_obs_by_group") or (inv.get("configural") or {}).get("n_obs_by_group")
    if by:
        names = inv.get("level_labels") or {}
        lines.append(
            f"  groups of {inv.get('group') or mg.get('group')}: "
            + ", ".join(f"{names.get(g, g)} n = {n}" for g, n in by.items())
        )
        verdicts = [f"{x.get('model')}: {x.get('verdict')}" for x in inv.get("tests") or []]
        if verdicts:
            lines.append(
                "  measurement invariance: "
                + "; ".join(verdicts)
                + (
                    f" ({inv['configural_check']['reason']})"
                    if (inv.get("configural_check") or {}).get("reason")
                    else ""
                )
            )
        for lv, part in (inv.get("partial") or {}).items():
            if isinstance(part, dict) and "released" in part:
                rel = ", ".join(r["parameter"] for r in part["released"]) or "nothing"
                lines.append(
                    f"  partial {lv} invariance: {'established' if part.get('established') else 'not established'}"
                    f" (released {rel})"
                )
    return lines


def _version() -> str:
    from validate import __version__

    return __version__


def _software() -> dict:
    import scipy

    return {
        "python": _platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "vcc": _version(),
    }
