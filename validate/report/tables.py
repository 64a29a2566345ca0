"""The report's tables, built once from a results dict and rendered by every writer.

A :class:`Table` holds raw values (numbers stay numbers, ``None`` where a
statistic could not be computed) and a :class:`Column` list saying how each
column is formatted. :mod:`.html` and :mod:`.word` format the values with
:mod:`.apa`; :mod:`.excel` writes the numbers as numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from instruments.spec import Mechanism, ModelSpec

from . import apa
from .i18n import STRINGS, reason_text, t, text
from .results import Results, View, plain

__all__ = [
    "Column",
    "Table",
    "mechanism_tables",
    "summary_table",
    "comparison_tables",
    "method_table",
    "method_paragraphs",
    "fit_models",
    "verdict_name",
    "NUMBERED_TABLES",
    "warnings_table",
    "construct_label",
    "path_label",
    "fit_verdicts",
    "FIT_CUTOFFS",
]

#: Column kinds: how a value is shown.
#: text, int, num2 (2 decimals), num3, bounded2/bounded3 (no leading zero), p, pct (1 decimal), verdict.
#: ci3/ci_b3 hold a (lower, upper) pair shown as "[a, b]" (ci_b3 without leading zeros); the
#: workbook writes the two bounds in two numeric columns.
KINDS = ("text", "int", "num2", "num3", "bounded2", "bounded3", "p", "pct", "verdict", "ci3", "ci_b3")

#: Tables numbered "Table n" in every writer, in report order. HTML and Word number the same tables in
#: the same order, so "Table 7" names one table in both; tables only the page shows (the screening log,
#: the bootstrap counts) are numbered S1, S2 ... there.
NUMBERED_TABLES = (
    "screening_summary",
    "descriptives",
    "mardia",
    "fit",
    "fit_robust",
    "fit_criteria",
    "loadings",
    "reliability",
    "validity_amos",
    "second_order",
    "htmt",
    "htmt_ci",
    "fornell_larcker",
    "item_total",
    "kmo",
    "common_method",
    "marker_cfa",
    "marker_items",
    "marker_lw",
    "competing_models",
    "modindices",
    "paths",
    "r2",
    "chisq_diff",
    "controls",
    "moderation",
    "simple_slopes",
    "indirect",
    "moderated_mediation",
    "invariance",
    "partial_invariance",
    "mg_tests",
    "mg_paths",
    "group_differences",
    # PLS-SEM (validate.pls.report.DOCX_TABLES), after the covariance-based tables in both writers
    "pls_settings",
    "pls_compare",
    "pls_outer",
    "pls_reliability",
    "pls_htmt",
    "pls_fornell_larcker",
    "pls_hoc_measurement",
    "pls_hoc_reliability",
    "pls_hoc_htmt",
    "pls_hoc_stage1_outer",
    "pls_hoc_stage1_reliability",
    "pls_paths",
    "pls_r2",
    "pls_indirect",
    "pls_fit",
    "pls_predict",
    "pls_cvpat",
    "pls_ipma",
    "pls_micom",
    "pls_mga",
)
NUMBERED_TABLES += ("pls_controls", "pls_moderation", "pls_simple_slopes")  # PLS moderation and controls

#: Fit cut-offs: (key, comparison, value, source).
FIT_CUTOFFS = (
    ("cfi", ">=", 0.95, "Hu & Bentler (1999)"),
    ("tli", ">=", 0.95, "Hu & Bentler (1999)"),
    ("rmsea", "<=", 0.06, "Hu & Bentler (1999)"),
    ("srmr", "<=", 0.08, "Hu & Bentler (1999)"),
    ("chisq_df", "<=", 3.0, "Kline (2016)"),
)


@dataclass
class Column:
    key: str
    header: str
    kind: str = "text"


@dataclass
class Table:
    """One table: ``rows`` are dicts keyed by :attr:`Column.key`."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    mechanism: str | None = None
    #: cells to mark (row index, column key) -> "ok"/"warn"/"fail"/"ns", used to colour verdicts
    marks: dict[tuple[int, str], str] = field(default_factory=dict)
    #: per-cell format overriding the column's kind: (row index, column key) -> kind
    cell_kinds: dict[tuple[int, str], str] = field(default_factory=dict)

    def kind(self, i: int, col: Column) -> str:
        return self.cell_kinds.get((i, col.key), col.kind)

    def format(self, i: int, col: Column) -> str:
        return format_value(self.rows[i].get(col.key), self.kind(i, col))


def format_value(v: Any, kind: str) -> str:
    """Text of a value in a column of ``kind`` (APA style)."""
    if isinstance(v, str) and v == "":
        return ""
    if kind in ("text", "verdict"):
        if v is None:
            return apa.MISSING
        if isinstance(v, float) and not math.isfinite(v):
            return apa.MISSING
        return str(v)
    if kind == "int":
        return apa.fmt_int(v)
    if kind == "num2":
        return apa.fmt_num(v, 2)
    if kind == "num3":
        return apa.fmt_num(v, 3)
    if kind == "bounded2":
        return apa.fmt_num(v, 2, leading_zero=False)
    if kind == "bounded3":
        return apa.fmt_num(v, 3, leading_zero=False)
    if kind == "p":
        return apa.fmt_p(v)
    if kind == "pct":
        return apa.fmt_num(v, 1)
    if kind in ("ci3", "ci_b3"):
        lo, hi = v if isinstance(v, (tuple, list)) and len(v) == 2 else (None, None)
        return apa.fmt_ci(lo, hi, 3, leading_zero=kind == "ci3")
    raise ValueError(f"unknown column kind {kind!r}; expected one of {', '.join(KINDS)}")


# --------------------------------------------------------------------------- helpers


def construct_label(mech: Mechanism | None, cid: str, lang: str, with_id: bool = False) -> str:
    """The construct's label in ``lang`` (its id when the spec does not know it)."""
    c = mech.constructs.get(cid) if mech is not None else None
    if c is None:
        return str(cid)
    lab = text(c.label, lang, str(cid))
    return f"{lab} ({cid})" if with_id else lab


def path_label(src: str, dst: str, mech: Mechanism | None = None, lang: str = "en") -> str:
    return f"{src} \u2192 {dst}"


def _warn_notes(*lists: Any) -> list[str]:
    out = []
    for w in lists:
        for s in w or ():
            if s:
                out.append(str(s))
    return out


def _verdict(lang: str, ok: bool | None) -> str | None:
    if ok is None:
        return None
    return t("v_meets" if ok else "v_fails", lang)


def _cmp(v: Any, op: str, cut: float) -> bool | None:
    f = apa.as_float(v)
    if f is None:
        return None
    return {">=": f >= cut, "<=": f <= cut, ">": f > cut, "<": f < cut}[op]


def _chisq_df(fitd: View | dict) -> float | None:
    c, d = apa.as_float(fitd.get("chisq")), apa.as_float(fitd.get("df"))
    if c is None or d is None or d <= 0:
        return None
    return c / d


_OPS = {">=": "\u2265", "<=": "\u2264", ">": ">", "<": "<"}


def fit_verdicts(fitd: View | dict) -> dict[str, bool | None]:
    """``{index: meets cut-off}`` for CFI, TLI, RMSEA, SRMR and chi2/df (``None`` when missing)."""
    return {k: _cmp(_chisq_df(fitd) if k == "chisq_df" else fitd.get(k), op, cut) for k, op, cut, _ in FIT_CUTOFFS}


# --------------------------------------------------------------------------- tables


def fit_models(mres: View) -> list[tuple[str, View, View]]:
    """The fitted models of a mechanism: (label key, fit dict, the section holding ``n_obs``), fitted ones only.

    Harman's single-factor CFA keeps its fit under ``measurement.single_factor_cfa.fit``.
    """
    meas = mres.obj("measurement")
    struct = mres.obj("structural")
    single = meas.obj("single_factor_cfa")
    models = [
        ("m_measurement", meas.obj("fit"), meas),
        ("m_single", single.obj("fit"), single),
        ("m_structural", struct.obj("fit"), struct),
    ]
    return [(k, f, sec) for k, f, sec in models if f]


def _n_total(mres: View, sec: View) -> Any:
    """The M of "used N of M": the rows given to the model (the screened responses)."""
    for s in (sec, mres.measurement):  # Harman's single-factor CFA has no n_total of its own
        if s.defines("n_total") and s.has("n_total"):
            return s.get("n_total")
    return mres.get("n_used")


def _fit_table(mres: View, mid: str, lang: str) -> Table | None:
    models = fit_models(mres)
    if not models:
        return None
    cols = [
        Column("model", t("c_model", lang)),
        Column("n_obs", t("c_n_obs", lang), "int"),
        Column("n_total", t("c_n_total", lang), "int"),
        Column("chisq", t("c_chisq", lang), "num2"),
        Column("df", t("c_df", lang), "int"),
        Column("pvalue", t("c_p", lang), "p"),
        Column("chisq_df", t("c_chisq_df", lang), "num2"),
        Column("cfi", t("c_cfi", lang), "bounded3"),
        Column("tli", t("c_tli", lang), "bounded3"),
        Column("rmsea", t("c_rmsea", lang), "bounded3"),
        Column("rmsea_ci", t("c_rmsea_ci", lang), "ci_b3"),
        Column("srmr", t("c_srmr", lang), "bounded3"),
        Column("aic", t("c_aic", lang), "num2"),
        Column("bic", t("c_bic", lang), "num2"),
    ]
    rows, marks = [], {}
    for i, (k, f, sec) in enumerate(models):
        row = {c.key: f.get(c.key) for c in cols if c.key in _FIT_KEYS}
        row["model"] = t(k, lang)
        row["n_obs"], row["n_total"] = sec.get("n_obs"), _n_total(mres, sec)
        row["chisq_df"] = _chisq_df(f)
        row["rmsea_ci"] = (f.get("rmsea_ci_lower"), f.get("rmsea_ci_upper"))
        rows.append(row)
        if k != "m_single":
            for idx, ok in fit_verdicts(f).items():
                if ok is not None:
                    marks[(i, idx)] = "ok" if ok else "fail"
    notes = [t("note_fit", lang), t("note_n_obs", lang, method=missing_name(mres.get("missing"), lang))]
    return Table("fit", t("t_fit", lang), cols, rows, notes, mid, marks)


#: the columns of the fit table read from a model's ``fit`` (the others are derived)
_FIT_KEYS = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")


def _robust_fit_table(mres: View, mid: str, lang: str) -> Table | None:
    keys = ("chisq_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "cfi_robust", "tli_robust", "rmsea_robust")
    models = [(k, f) for k, f, _ in fit_models(mres) if any(f.get(x) is not None for x in keys)]
    if not models:
        return None
    cols = [
        Column("model", t("c_model", lang)),
        Column("chisq_scaled", t("c_chisq_scaled", lang), "num2"),
        Column("cfi_scaled", t("c_cfi_scaled", lang), "bounded3"),
        Column("tli_scaled", t("c_tli_scaled", lang), "bounded3"),
        Column("rmsea_scaled", t("c_rmsea_scaled", lang), "bounded3"),
        Column("cfi_robust", t("c_cfi_robust", lang), "bounded3"),
        Column("tli_robust", t("c_tli_robust", lang), "bounded3"),
        Column("rmsea_robust", t("c_rmsea_robust", lang), "bounded3"),
    ]
    rows = [{"model": t(k, lang), **{x: f.get(x) for x in keys}} for k, f in models]
    return Table("fit_robust", t("t_fit_robust", lang), cols, rows, [t("note_fit_robust", lang)], mid)


def _fit_criteria_table(mres: View, mid: str, lang: str) -> Table | None:
    models = [(k, f) for k, f, _ in fit_models(mres) if k != "m_single"]
    if not models:
        return None
    cols = [
        Column("model", t("c_model", lang)),
        Column("index", t("c_index", lang)),
        Column("value", t("c_value", lang), "num3"),
        Column("criterion", t("c_criterion", lang)),
        Column("verdict", t("c_verdict", lang), "verdict"),
        Column("source", t("c_source", lang)),
    ]
    names = {"cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA", "srmr": "SRMR", "chisq_df": "\u03c7\u00b2/df"}
    rows, marks = [], {}
    for k, f in models:
        ver = fit_verdicts(f)
        for idx, op, cut, src in FIT_CUTOFFS:
            val = _chisq_df(f) if idx == "chisq_df" else apa.as_float(f.get(idx))
            cut_s = apa.fmt_num(cut, 2, leading_zero=idx == "chisq_df")
            rows.append(
                {
                    "model": t(k, lang),
                    "index": names[idx],
                    "value": val,
                    "criterion": _OPS[op] + " " + cut_s,
                    "verdict": _verdict(lang, ver[idx]),
                    "source": src,
                }
            )
            if ver[idx] is not None:
                marks[(len(rows) - 1, "verdict")] = "ok" if ver[idx] else "fail"
    kinds = {(i, "value"): ("num2" if r["index"] == names["chisq_df"] else "bounded3") for i, r in enumerate(rows)}
    return Table("fit_criteria", t("t_fit_criteria", lang), cols, rows, [t("note_fit", lang)], mid, marks, kinds)


def _reliability_table(mres: View, mech: Mechanism | None, mid: str, lang: str) -> Table | None:
    meas = mres.obj("measurement")
    rel = meas.obj("reliability")
    if not rel:
        return None
    cols = [
        Column("construct", t("c_construct", lang)),
        Column("label", ""),
        Column("alpha", t("c_alpha", lang), "bounded3"),
        Column("alpha_std", t("c_alpha_std", lang), "bounded3"),
        Column("omega", t("c_omega", lang), "bounded3"),
        Column("cr", t("c_cr", lang), "bounded3"),
        Column("ave", t("c_ave", lang), "bounded3"),
        Column("cr_ok", t("c_cr_ok", lang), "verdict"),
        Column("ave_ok", t("c_ave_ok", lang), "verdict"),
    ]
    cols[1].header = t("c_label", lang)
    rows, marks = [], {}
    for cid, v in rel.items():
        cr_ok, ave_ok = _cmp(v.get("cr"), ">", 0.70), _cmp(v.get("ave"), ">", 0.50)
        rows.append(
            {
                "construct": cid,
                "label": construct_label(mech, cid, lang),
                "alpha": v.get("alpha"),
                "alpha_std": v.get("alpha_std"),
                "omega": v.get("omega"),
                "cr": v.get("cr"),
                "ave": v.get("ave"),
                "cr_ok": _verdict(lang, cr_ok),
                "ave_ok": _verdict(lang, ave_ok),
            }
        )
        for key, ok in (("cr_ok", cr_ok), ("ave_ok", ave_ok), ("cr", cr_ok), ("ave", ave_ok)):
            if ok is not None:
                marks[(len(rows) - 1, key)] = "ok" if ok else "fail"
        for key in ("alpha", "omega"):
            ok = _cmp(v.get(key), ">=", 0.70)
            if ok is not None:
                marks[(len(rows) - 1, key)] = "ok" if ok else "fail"
    return Table(
        "reliability",
        t("t_reliability", lang),
        cols,
        rows,
        [t("note_reliability", lang)] + _warn_notes(meas.get("warnings")),
        mid,
        marks,
    )


def _matrix_table(
    key: str, title: str, mat: dict, mech, mid: str, lang: str, kind: str, diag: dict | None = None
) -> Table | None:
    if not mat:
        return None
    order = list(mat)
    cols = [Column("construct", t("c_construct", lang))] + [Column(c, c, kind) for c in order]
    rows = []
    for i, a in enumerate(order):
        row: dict[str, Any] = {"construct": f"{construct_label(mech, a, lang)} ({a})", "_id": a}
        for j, b in enumerate(order):
            if j < i:
                row[b] = apa.as_float(mat.obj(a).get(b))
                if row[b] is None:
                    row[b] = apa.as_float(mat.obj(b).get(a))
            elif j == i and diag is not None:
                row[b] = diag.get(a)
            else:
                row[b] = ""
        rows.append(row)
    return Table(key, title, cols, rows, [], mid)


def _htmt_table(mres, mech, mid, lang) -> Table | None:
    meas = mres.obj("measurement")
    tab = _matrix_table("htmt", t("t_htmt", lang), meas.get("htmt"), mech, mid, lang, "bounded3")
    if tab is None:
        return None
    tab.notes.append(t("note_htmt", lang))
    for i, row in enumerate(tab.rows):
        for c in tab.columns[1:]:
            v = row.get(c.key)
            if isinstance(v, float):
                tab.marks[(i, c.key)] = "fail" if v >= 0.90 else ("warn" if v >= 0.85 else "ok")
    return tab


def _fornell_table(mres, mech, mid, lang) -> Table | None:
    meas = mres.obj("measurement")
    fc = meas.obj("factor_correlations")
    rel = meas.obj("reliability")
    if not fc:
        return None
    diag = {}
    for c in fc:
        ave = apa.as_float(rel.obj(c).get("ave"))
        diag[c] = math.sqrt(ave) if ave is not None and ave >= 0 else None
    tab = _matrix_table("fornell_larcker", t("t_fornell", lang), fc, mech, mid, lang, "bounded3", diag)
    if tab is None:
        return None
    tab.notes.append(t("note_fornell", lang))
    order = list(fc)
    for i, a in enumerate(order):
        for _j, b in enumerate(order[:i]):
            v = tab.rows[i].get(b)
            if isinstance(v, float):
                lim = [x for x in (diag.get(a), diag.get(b)) if x is not None]
                if lim:
                    tab.marks[(i, b)] = "fail" if abs(v) >= min(lim) else "ok"
    return tab


def _p_text(p) -> str:
    """``= .049`` or ``< .001`` (a p value in running text)."""
    s = apa.fmt_p(p)
    return s if s.startswith("<") or s == "\u2014" else f"= {s}"


def _has_moderated_mediation(struct: View, ind: View) -> bool:
    """Whether ``structural.moderated_mediation`` has a row for the chain of the indirect-effect row ``ind``."""
    return any(r.get("key") == ind.get("key") for r in struct.rows("moderated_mediation"))


_MM_KEYS = ("estimate", "se", "ci_lower", "ci_upper", "excludes_zero")


def _mm_table_rows(mm: View) -> list[dict]:
    """The table rows of one ``structural.moderated_mediation`` entry: the index, then the conditional
    indirect effects at -1, 0, +1 SD (each a dict of the entry's values, ``reason`` where one is missing)."""
    why = mm.get("reason")
    if mm.get("index") is not None:
        idx = mm.obj("index")
        rows = [{**{k: idx.get(k) for k in _MM_KEYS}, "reason": why}]
    else:
        rows = [{**dict.fromkeys(_MM_KEYS), "reason": mm.get("index_reason") or why}]
    rows[0].update(stat="index", moderator_value=None, moderator_sd=None)
    rows += [
        {**{k: c.get(k) for k in _MM_KEYS + ("moderator_sd", "moderator_value")}, "stat": "conditional", "reason": why}
        for c in mm.rows("conditional")
    ]
    return rows


def _moderated_mediation_table(struct: View, mid: str, lang: str) -> Table | None:
    """``structural.moderated_mediation``: per chain through a moderated path, the index of moderated mediation
    and the conditional indirect effects at the moderator's mean and +-1 SD (Hayes, 2015)."""
    mms = struct.rows("moderated_mediation")
    if not mms:
        return None
    completed = struct.obj("bootstrap").get("completed")
    notes = [t("note_moderated_mediation", lang, completed=apa.fmt_int(completed))]
    level = {-1: "v_minus_sd", 0: "v_mean", 1: "v_plus_sd"}
    rows, marks = [], {}
    for m in mms:
        chain = " \u2192 ".join(str(c) for c in m.list("chain"))
        paths = ", ".join(str(p).replace(" -> ", " \u2192 ") for p in m.list("moderated_paths"))
        for r in _mm_table_rows(m):
            if r["stat"] == "index":
                stat = t("v_mm_index", lang)
            else:
                stat = f"{m.get('moderator')} {t(level.get(r.get('moderator_sd'), 'v_mean'), lang)}"
            if r.get("excludes_zero") is not None:
                marks[(len(rows), "stat")] = "ok" if r["excludes_zero"] else "ns"
            value = "" if r["stat"] == "index" else r.get("moderator_value")  # the index is per unit: no value
            rows.append(
                {
                    "chain": chain,
                    "moderated": paths,
                    "stat": stat,
                    "moderator_value": value,
                    "estimate": r.get("estimate"),
                    "se": r.get("se"),
                    "ci": (r.get("ci_lower"), r.get("ci_upper")),
                }
            )
        if m.get("index") is None:
            notes.append(
                t(
                    "note_mm_no_index",
                    lang,
                    chain=chain,
                    mod=m.get("moderator"),
                    paths=paths,
                    n=len(m.list("moderated_paths")),
                )
            )
        for key in ("reason", "se_reason"):
            if m.get(key):
                notes.append(f"{t('missing_reason', lang)}{t('colon', lang)}{reason_text(m[key], lang)}")
    tab = Table(
        "moderated_mediation",
        t("t_moderated_mediation", lang),
        [
            Column("chain", t("c_chain", lang)),
            Column("moderated", t("c_moderated_path", lang)),
            Column("stat", t("c_mm_statistic", lang)),
            Column("moderator_value", t("c_moderator_value", lang), "num3"),
            Column("estimate", t("c_estimate", lang), "num3"),
            Column("se", t("c_se_delta", lang), "num3"),
            Column("ci", t("c_ci", lang), "ci3"),
        ],
        rows,
        list(dict.fromkeys(notes)),
        mid,
    )
    tab.marks.update(marks)
    return tab


def _moderation_tables(struct: View, mid: str, lang: str) -> tuple[Table | None, Table | None]:
    """``structural.moderation``: the interaction paths, and their simple slopes with Johnson-Neyman bounds."""
    mods = struct.rows("moderation")
    if not mods:
        return None, None
    notes = [t("note_moderation", lang, method=mods[0].get("method", ""))]
    for m in mods:
        eff = m.obj("moderator_effect")
        if m.get("main_effect_added") and eff:
            notes.append(
                t(
                    "note_main_effect_added",
                    lang,
                    path=path_label(m.get("moderator"), m.get("to")),
                    b=apa.fmt_num(eff.get("estimate"), 3),
                    p=_p_text(eff.get("p_value")),
                )
            )
    rows = []
    for m in mods:
        sup = m.get("supported")
        rows.append(
            {
                "path": path_label(m.get("from"), m.get("to")),
                "moderator": m.get("moderator"),
                "interaction": m.get("product"),
                "estimate": m.get("estimate"),
                "se": m.get("se"),
                "z": m.get("z"),
                "p_value": m.get("p_value"),
                "std": m.get("std"),
                "stars": apa.stars(m.get("p_value")),
                "supported": None if sup is None else t("v_supported" if sup else "v_not_supported", lang),
            }
        )
    mod_tab = Table(
        "moderation",
        t("t_moderation", lang),
        [
            Column("path", t("c_path", lang)),
            Column("moderator", t("c_moderator", lang)),
            Column("interaction", t("c_interaction", lang)),
            Column("estimate", t("c_estimate", lang), "num3"),
            Column("se", t("c_se", lang), "num3"),
            Column("z", t("c_z", lang), "num2"),
            Column("p_value", t("c_p", lang), "p"),
            Column("std", t("c_beta", lang), "bounded3"),
            Column("stars", ""),
            Column("supported", t("c_supported", lang), "verdict"),
        ],
        rows,
        notes,
        mid,
    )
    for i, m in enumerate(mods):
        if m.get("supported") is not None:
            mod_tab.marks[(i, "supported")] = "ok" if m.get("supported") else "fail"
    srows, snotes = [], [t("note_simple_slopes", lang)]
    level = {-1: "v_minus_sd", 0: "v_mean", 1: "v_plus_sd"}
    for m in mods:
        for s in m.rows("simple_slopes"):
            srows.append(
                {
                    "path": path_label(m.get("from"), m.get("to")),
                    "moderator": m.get("moderator"),
                    "level": t(level[s["moderator_sd"]], lang) if s.get("moderator_sd") in level else "",
                    **{k: s.get(k) for k in ("moderator_value", "estimate", "se", "z", "p_value")},
                    "ci": (s.get("ci_lower"), s.get("ci_upper")),
                }
            )
        jn = m.obj("johnson_neyman")
        if jn:
            kind = jn.get("significant")
            lo, hi = apa.fmt_num(jn.get("lower"), 2), apa.fmt_num(jn.get("upper"), 2)
            snotes.append(
                t(
                    "note_jn",
                    lang,
                    path=path_label(m.get("from"), m.get("to")),
                    mod=m.get("moderator"),
                    sd=apa.fmt_num(m.get("moderator_sd"), 2),
                    alpha=jn.get("alpha"),
                    where=t(f"jn_{kind}", lang, lo=lo, hi=hi),
                )
            )
        elif m.get("reason"):
            snotes.append(f"{t('missing_reason', lang)}{t('colon', lang)}{m['reason']}")
    slope_tab = (
        Table(
            "simple_slopes",
            t("t_simple_slopes", lang),
            [
                Column("path", t("c_path", lang)),
                Column("moderator", t("c_moderator", lang)),
                Column("level", t("c_slope_at", lang)),
                Column("moderator_value", t("c_moderator_value", lang), "num3"),
                Column("estimate", t("c_estimate", lang), "num3"),
                Column("se", t("c_se", lang), "num3"),
                Column("z", t("c_z", lang), "num2"),
                Column("p_value", t("c_p", lang), "p"),
                Column("ci", t("c_ci_wald", lang), "ci3"),
            ],
            srows,
            snotes,
            mid,
        )
        if srows
        else None
    )
    return mod_tab, slope_tab


def _second_order_table(meas: View, mech: Mechanism | None, mid: str, lang: str) -> Table | None:
    """``measurement.second_order.constructs``: omega at both levels, partial omega, CR and AVE."""
    so = meas.obj("second_order")
    rows = so.rows("constructs")
    if not rows:
        return None
    notes = [t("note_second_order", lang)]
    tc = apa.as_float(so.get("target_coefficient"))
    if tc is not None:
        notes.append(t("note_target_coefficient", lang, tc=f"{tc:.3f}"))
    for r in rows:
        if r.get("reason"):
            notes.append(f"{r.get('construct')}{t('colon', lang)}{r['reason']}")
    return Table(
        "second_order",
        t("t_second_order", lang),
        [
            Column("construct", t("c_construct", lang)),
            Column("label", t("c_label", lang)),
            Column("dims", t("c_dimensions", lang)),
            Column("omega_l1", t("c_omega_l1", lang), "bounded3"),
            Column("omega_l2", t("c_omega_l2", lang), "bounded3"),
            Column("partial_omega_l1", t("c_partial_omega_l1", lang), "bounded3"),
            Column("omega_higher", t("c_omega_higher", lang), "bounded3"),
            Column("cr", t("c_cr", lang), "bounded3"),
            Column("ave", t("c_ave", lang), "bounded3"),
        ],
        [
            {
                **{
                    k: r.get(k)
                    for k in ("construct", "omega_l1", "omega_l2", "partial_omega_l1", "omega_higher", "cr", "ave")
                },
                "label": construct_label(mech, r.get("construct"), lang),
                "dims": ", ".join(str(d) for d in r.list("dimensions")),
            }
            for r in rows
        ],
        notes,
        mid,
    )


def _records_table(key, title, records: list[View], cols, mid, notes=(), limit=None, derive=None) -> Table | None:
    """A table with a row per record; ``derive(record)`` gives the columns that are not keys of the record."""
    if not records:
        return None
    rows = []
    for r in records:
        extra = derive(r) if derive is not None else {}
        rows.append({c.key: extra[c.key] if c.key in extra else r.get(c.key) for c in cols})
    if limit is not None:
        rows = rows[:limit]
    return Table(key, title, cols, rows, list(notes), mid)


def mechanism_tables(results: dict, spec: ModelSpec | None, mid: str, lang: str) -> dict[str, Table]:
    """Every table of one mechanism, keyed by table key, in report order (absent tables left out)."""
    mres = Results.of(results).mechanism(mid)
    mech = spec.mechanisms.get(mid) if spec is not None else None
    T: dict[str, Table | None] = {}
    scr = mres.obj("screening")
    T["screening_summary"] = _records_table(
        "screening_summary",
        t("t_screening_summary", lang),
        scr.rows("summary"),
        [
            Column("rule", t("c_rule", lang)),
            Column("flagged", t("c_flagged", lang), "int"),
            Column("dropped", t("c_dropped", lang), "int"),
        ],
        mid,
        derive=lambda r: {"rule": coded_name("rule", r.get("rule"), lang)},
    )
    T["screening_log"] = _records_table(
        "screening_log",
        t("t_screening_log", lang),
        scr.rows("log"),
        [
            Column("resp_id", t("c_resp_id", lang)),
            Column("rule", t("c_rule", lang)),
            Column("detail", t("c_detail", lang)),
            Column("action", t("c_action", lang)),
        ],
        mid,
        derive=lambda r: {
            "rule": coded_name("rule", r.get("rule"), lang),
            "action": coded_name("action", r.get("action"), lang),
        },
    )
    T["descriptives"] = _records_table(
        "descriptives",
        t("t_descriptives", lang),
        mres.rows("descriptives"),
        [
            Column("item", t("c_item", lang)),
            Column("construct", t("c_construct", lang)),
            Column("n", t("c_n", lang), "int"),
            Column("mean", t("c_mean", lang), "num2"),
            Column("sd", t("c_sd", lang), "num2"),
            Column("skew", t("c_skew", lang), "num2"),
            Column("kurtosis", t("c_kurtosis", lang), "num2"),
            Column("floor_pct", t("c_floor", lang), "pct"),
            Column("ceiling_pct", t("c_ceiling", lang), "pct"),
        ],
        mid,
        [t("note_descriptives", lang)],
    )
    if T["descriptives"] is not None and mech is not None:
        items = {it.id: it for it in mech.items}
        T["descriptives"].columns.insert(1, Column("text", t("c_item_text", lang)))
        for row in T["descriptives"].rows:
            it = items.get(str(row.get("item")))
            row["text"] = (text(it.text, lang) + (" (R)" if it.reverse else "")) if it is not None else None
    # results.json holds psych::mardia's records (test, estimate, statistic, df, p_value); the table shows
    # b1p (skewness) and b2p (kurtosis) with their p values
    mar = {r.get("test"): r for r in mres.rows("mardia")}
    if "skewness" in mar or "kurtosis" in mar:
        rows = [
            {"statistic": t(name, lang), "value": mar[test].get("estimate"), "p_value": mar[test].get("p_value")}
            for test, name in (("skewness", "s_mardia_skew"), ("kurtosis", "s_mardia_kurt"))
            if test in mar
        ]
        T["mardia"] = Table(
            "mardia",
            t("t_mardia", lang),
            [
                Column("statistic", t("c_statistic", lang)),
                Column("value", t("c_value", lang), "num2"),
                Column("p_value", t("c_p", lang), "p"),
            ],
            rows,
            [t("note_mardia", lang)],
            mid,
        )
    meas = mres.obj("measurement")
    T["fit"] = _fit_table(mres, mid, lang)
    T["fit_robust"] = _robust_fit_table(mres, mid, lang)
    T["fit_criteria"] = _fit_criteria_table(mres, mid, lang)
    load = _records_table(
        "loadings",
        t("t_loadings", lang),
        meas.rows("loadings"),
        [
            Column("construct", t("c_construct", lang)),
            Column("item", t("c_item", lang)),
            Column("estimate", t("c_estimate", lang), "num3"),
            Column("se", t("c_se", lang), "num3"),
            Column("z", t("c_z", lang), "num2"),
            Column("p_value", t("c_p", lang), "p"),
            Column("std", t("c_std_loading", lang), "bounded3"),
        ],
        mid,
        [t("note_loadings", lang)],
    )
    if load is not None:
        for i, row in enumerate(load.rows):
            s = apa.as_float(row.get("std"))
            if s is not None:
                load.marks[(i, "std")] = "ok" if abs(s) >= 0.70 else ("warn" if abs(s) >= 0.50 else "fail")
    T["loadings"] = load
    if load is not None and any(r.get("second_order") for r in meas.rows("loadings")):
        load.notes.append(t("note_loadings_second_order", lang))
    T["reliability"] = _reliability_table(mres, mech, mid, lang)
    T["validity_amos"] = _validity_amos_table(mres, mech, mid, lang)
    T["second_order"] = _second_order_table(meas, mech, mid, lang)
    T["fit_amos"] = _fit_amos_table(mres, mid, lang)
    T["htmt"] = _htmt_table(mres, mech, mid, lang)
    T["htmt_ci"] = _htmt_ci_table(meas, mech, mid, lang)
    T["fornell_larcker"] = _fornell_table(mres, mech, mid, lang)
    T["item_total"] = _records_table(
        "item_total",
        t("t_item_total", lang),
        meas.rows("item_total"),
        [
            Column("construct", t("c_construct", lang)),
            Column("item", t("c_item", lang)),
            Column("r_drop", t("c_r_drop", lang), "bounded3"),
            Column("alpha_if_deleted", t("c_alpha_if_deleted", lang), "bounded3"),
        ],
        mid,
        [t("note_item_total", lang)],
    )
    kmo, bart, har = meas.obj("kmo"), meas.obj("bartlett"), meas.obj("harman")
    if kmo or bart or har:
        rows = []
        if kmo:
            rows.append({"statistic": t("s_kmo", lang), "value": kmo.get("overall"), "df": None, "p_value": None})
        if bart:
            rows.append(
                {
                    "statistic": t("s_bartlett", lang),
                    "value": bart.get("chisq"),
                    "df": bart.get("df"),
                    "p_value": bart.get("p_value"),
                }
            )
        if har:
            rows.append(
                {"statistic": t("s_harman", lang), "value": har.get("first_factor_share"), "df": None, "p_value": None}
            )
        T["kmo"] = Table(
            "kmo",
            t("t_kmo", lang),
            [
                Column("statistic", t("c_statistic", lang)),
                Column("value", t("c_value", lang), "num2"),
                Column("df", t("c_df", lang), "int"),
                Column("p_value", t("c_p", lang), "p"),
            ],
            rows,
            [t("note_kmo", lang)],
            mid,
        )
        for i, row in enumerate(rows):
            if row["statistic"] != t("s_bartlett", lang):
                T["kmo"].cell_kinds[(i, "value")] = "bounded3"
    T["common_method"] = _common_method_table(meas, mid, lang)
    T["marker_cfa"] = _marker_cfa_table(meas, mid, lang)
    T["marker_items"] = _marker_items_table(meas, mech, mid, lang)
    T["marker_lw"] = _marker_lw_table(meas, mech, mid, lang)
    _note_no_marker(T.get("common_method"), meas, lang)
    T["competing_models"] = _competing_table(meas, mech, mid, lang)
    T["modindices"] = _records_table(
        "modindices",
        t("t_modindices", lang),
        sorted(meas.rows("modindices"), key=lambda m: -(apa.as_float(m.get("mi")) or 0)),
        [
            Column("lhs", t("c_lhs", lang)),
            Column("op", t("c_op", lang)),
            Column("rhs", t("c_rhs", lang)),
            Column("mi", t("c_mi", lang), "num2"),
            Column("epc", t("c_epc", lang), "num3"),
            Column("sepc_all", t("c_sepc_all", lang), "num3"),
        ],
        mid,
        [t("note_modindices", lang)],
        limit=20,
    )
    struct = mres.obj("structural")
    paths = struct.rows("paths")
    if paths:
        rows = []
        for p in paths:
            sup = p.get("supported")
            rows.append(
                {
                    "hypothesis": p.get("hypothesis") or "",
                    "path": path_label(p.get("from"), p.get("to")),
                    "estimate": p.get("estimate"),
                    "se": p.get("se"),
                    "z": p.get("z"),
                    "p_value": p.get("p_value"),
                    "p_holm": p.get("p_holm"),
                    "p_fdr_bh": p.get("p_fdr_bh"),
                    "std": p.get("std"),
                    "stars": apa.stars(p.get("p_value")),
                    "f2": p.get("f2"),
                    "supported": None if sup is None else t("v_supported" if sup else "v_not_supported", lang),
                }
            )
        tab = Table(
            "paths",
            t("t_paths", lang),
            [
                Column("hypothesis", t("c_hypothesis", lang)),
                Column("path", t("c_path", lang)),
                Column("estimate", t("c_estimate", lang), "num3"),
                Column("se", t("c_se", lang), "num3"),
                Column("z", t("c_z", lang), "num2"),
                Column("p_value", t("c_p", lang), "p"),
                *(
                    [Column("p_holm", t("c_p_holm", lang), "p"), Column("p_fdr_bh", t("c_p_fdr_bh", lang), "p")]
                    if any("p_holm" in p for p in paths)
                    else []
                ),
                Column("std", t("c_beta", lang), "bounded3"),
                Column("stars", ""),
                Column("f2", t("c_f2", lang), "num3"),
                Column("supported", t("c_supported", lang), "verdict"),
            ],
            rows,
            [t("note_paths", lang)]
            + (
                [
                    t(
                        "note_adjust_" + str(struct.obj("adjust").get("method") or "none"),
                        lang,
                        k=struct.obj("adjust").get("family_size") or len(paths),
                    )
                ]
                if struct.get("adjust")
                else []
            ),
            mid,
        )
        for i, p in enumerate(paths):
            if p.get("supported") is not None:
                tab.marks[(i, "supported")] = "ok" if p.get("supported") else "fail"
        T["paths"] = tab
    r2 = struct.obj("r2")
    if r2:
        T["r2"] = Table(
            "r2",
            t("t_r2", lang),
            [
                Column("construct", t("c_construct", lang)),
                Column("label", t("c_label", lang)),
                Column("r2", t("c_r2", lang), "bounded3"),
            ],
            [{"construct": c, "label": construct_label(mech, c, lang), "r2": v} for c, v in r2.items()],
            [t("note_r2", lang)],
            mid,
        )
    cd = struct.obj("chisq_diff")
    if cd:
        notes = [t("note_chisq_diff", lang)]
        if cd.get("reason"):
            notes.append(f"{t('missing_reason', lang)}{t('colon', lang)}{reason_text(cd['reason'], lang)}")
        T["chisq_diff"] = Table(
            "chisq_diff",
            t("t_chisq_diff", lang),
            [
                Column("models", t("c_models", lang)),
                Column("chisq_diff", t("c_chisq_diff", lang), "num2"),
                Column("df_diff", t("c_df_diff", lang), "int"),
                Column("p_value", t("c_p", lang), "p"),
            ],
            [
                dict(
                    models=t("m_struct_vs_cfa", lang),
                    chisq_diff=cd.get("chisq_diff"),
                    df_diff=cd.get("df_diff"),
                    p_value=cd.get("p_value"),
                )
            ],
            notes,
            mid,
        )
    T["controls"] = _records_table(
        "controls",
        t("t_controls", lang),
        struct.rows("controls"),
        [
            Column("variable", t("c_control", lang)),
            Column("to", t("c_on", lang)),
            Column("estimate", t("c_estimate", lang), "num3"),
            Column("se", t("c_se", lang), "num3"),
            Column("z", t("c_z", lang), "num2"),
            Column("p_value", t("c_p", lang), "p"),
            Column("std", t("c_beta", lang), "bounded3"),
            Column("stars", ""),
        ],
        mid,
        [t("note_controls", lang)],
        derive=lambda r: {"stars": apa.stars(r.get("p_value"))},
    )
    T["moderation"], T["simple_slopes"] = _moderation_tables(struct, mid, lang)
    ind = struct.rows("indirect")
    if ind:
        boot = struct.obj("bootstrap")
        rows = [
            {
                "chain": " \u2192 ".join(str(c) for c in p.list("chain")),
                "estimate": p.get("estimate"),
                "std": p.get("std"),
                "se": p.get("se"),
                "ci": (p.get("ci_lower"), p.get("ci_upper")),
                "bca": (p.get("bca_lower"), p.get("bca_upper")),
                "std_ci": (p.get("std_ci_lower"), p.get("std_ci_upper")),
                "vaf": p.get("vaf"),
                "mediation": mediation_name(p.get("mediation"), lang),
            }
            for p in ind
        ]
        completed = boot.get("completed")
        T["indirect"] = Table(
            "indirect",
            t("t_indirect", lang),
            [
                Column("chain", t("c_chain", lang)),
                Column("estimate", t("c_estimate", lang), "num3"),
                Column("se", t("c_se", lang), "num3"),
                Column("ci", t("c_ci", lang), "ci3"),
                Column("bca", t("c_bca", lang), "ci3"),
                Column("std", t("c_beta", lang), "bounded3"),
                Column("std_ci", t("c_std_ci", lang), "ci_b3"),
                Column("mediation", t("c_mediation", lang)),
                Column("vaf", t("c_vaf", lang), "num2"),
            ],
            rows,
            [
                t(
                    "note_indirect",
                    lang,
                    completed=apa.fmt_int(completed),
                    methods=t("ci_pct_bca" if any(p.get("bca_lower") is not None for p in ind) else "ci_pct", lang),
                )
            ]
            + _vaf_notes(ind, lang)
            + [
                t(
                    "note_indirect_moderated_mm" if _has_moderated_mediation(struct, p) else "note_indirect_moderated",
                    lang,
                    chain=" \u2192 ".join(str(c) for c in p.list("chain")),
                    mods=", ".join(str(x) for x in p.list("at_moderator_mean")),
                )
                for p in ind
                if p.get("at_moderator_mean")
            ]
            + _warn_notes(struct.get("warnings")),
            mid,
        )
        for i, p in enumerate(ind):
            lo, hi = apa.as_float(p.get("ci_lower")), apa.as_float(p.get("ci_upper"))
            if lo is not None and hi is not None:
                T["indirect"].marks[(i, "chain")] = "ok" if (lo > 0 or hi < 0) else "ns"
        if boot:
            T["bootstrap"] = Table(
                "bootstrap",
                t("t_bootstrap", lang),
                [Column("statistic", t("c_statistic", lang)), Column("value", t("c_value", lang), "int")],
                [
                    {"statistic": t("s_requested", lang), "value": boot.get("requested")},
                    {"statistic": t("s_completed", lang), "value": boot.get("completed")},
                    {"statistic": t("s_failed", lang), "value": boot.get("failed")},
                ],
                [],
                mid,
            )
    T["moderated_mediation"] = _moderated_mediation_table(struct, mid, lang)
    inv = mres.obj("invariance")
    if inv:
        T["invariance"] = _invariance_table(inv, mid, lang)
    part = _partial_table(inv.obj("partial"), mid, lang, inv.obj("level_labels"))
    if part is not None and not part.rows and T.get("invariance") is not None:
        T["invariance"].notes.extend(part.notes[1:])  # nothing was released: the verdicts go with the levels
        part = None
    T["partial_invariance"] = part
    mg = mres.obj("multigroup")
    if mg:
        T["mg_paths"] = _mg_paths_table(mg, spec, mid, lang, inv.obj("level_labels"))
        tests = mg.rows("equality_tests")

        def mg_test(p):
            return {
                "path": path_label(p.get("from"), p.get("to")),
                "differs": None if p.get("differs") is None else t("v_yes" if p.get("differs") else "v_no", lang),
            }

        T["mg_tests"] = _records_table(
            "mg_tests",
            t("t_mg_tests", lang),
            tests,
            [
                Column("hypothesis", t("c_hypothesis", lang)),
                Column("path", t("c_path", lang)),
                Column("chisq_diff", t("c_chisq_diff", lang), "num2"),
                Column("df_diff", t("c_df_diff", lang), "int"),
                Column("p_value", t("c_p", lang), "p"),
                Column("differs", t("c_differs", lang), "verdict"),
            ],
            mid,
            [t("note_mg", lang)]
            + [
                f"{mg_test(p)['path']}{t('colon', lang)}{reason_text(p['reason'], lang)}"
                for p in tests
                if p.get("reason")
            ],
            derive=mg_test,
        )
    T["group_differences"] = _group_diff_table(mres, spec, mech, mid, lang)
    from validate.pls.report import pls_tables

    T.update(pls_tables(results, spec, mid, lang))
    return {k: v for k, v in T.items() if v is not None}


#: The AMOS-style fit set: (key, header or i18n key, kind).
AMOS_FIT = (
    ("chisq", "c_chisq", "num2"),
    ("df", "c_df", "int"),
    ("chisq_df", "c_chisq_df", "num2"),
    ("gfi", "GFI", "bounded3"),
    ("agfi", "AGFI", "bounded3"),
    ("nfi", "NFI", "bounded3"),
    ("ifi", "IFI", "bounded3"),
    ("tli", "TLI", "bounded3"),
    ("cfi", "CFI", "bounded3"),
    ("rfi", "RFI", "bounded3"),
    ("pgfi", "PGFI", "bounded3"),
    ("pnfi", "PNFI", "bounded3"),
    ("rmr", "RMR", "num3"),
    ("srmr", "SRMR", "bounded3"),
    ("rmsea", "RMSEA", "bounded3"),
    ("ecvi", "ECVI", "num3"),
)


def _partial_table(part: View, mid: str, lang: str, names: dict | None = None) -> Table | None:
    levels = [(lv, part.obj(lv)) for lv in ("metric", "scalar") if part.obj(lv)]
    if not levels:
        return None
    cols = [
        Column("level", t("c_level", lang)),
        Column("parameter", t("c_parameter", lang)),
        Column("group_label", t("c_largest_in", lang)),
        Column("x2", t("c_score_x2", lang), "num2"),
        Column("p_value", t("c_p", lang), "p"),
        Column("chisq", t("c_chisq", lang), "num2"),
        Column("df", t("c_df", lang), "int"),
        Column("cfi", t("c_cfi", lang), "bounded3"),
        Column("rmsea", t("c_rmsea", lang), "bounded3"),
    ]
    rows, notes = [], [t("note_partial", lang)]
    for lv, res in levels:
        name = t(f"m_{lv}", lang)
        for r in res.rows("released"):
            row = {"level": name, **{c.key: r.get(c.key) for c in cols[1:]}}
            row["group_label"] = (names or {}).get(str(r.get("group_label")), r.get("group_label"))
            rows.append(row)
        verdict = t("s_partial_ok" if res.get("established") else "s_partial_not", lang, level=name)
        notes.append(verdict + (f"{t('colon', lang)}{res['reason']}" if res.get("reason") else ""))
    return Table("partial_invariance", t("t_partial", lang), cols, rows, notes, mid)


def _htmt_ci_table(meas: View, mech: Mechanism | None, mid: str, lang: str) -> Table | None:
    recs = meas.rows("htmt_ci")
    if not recs:
        return None
    cols = [
        Column("pair", t("c_pair", lang)),
        Column("estimate", t("c_htmt", lang), "bounded3"),
        Column("ci", t("c_ci", lang), "ci_b3"),
        Column("ok85", t("c_upper_085", lang), "verdict"),
        Column("ok90", t("c_upper_090", lang), "verdict"),
    ]
    rows, marks, notes = [], {}, [t("note_htmt_ci", lang, b=apa.fmt_int(max(r.get("resamples") or 0 for r in recs)))]
    for r in recs:
        a, b = str(r.get("construct_a")), str(r.get("construct_b"))
        rows.append(
            {
                "pair": f"{construct_label(mech, a, lang)} – {construct_label(mech, b, lang)}",
                "estimate": r.get("estimate"),
                "ci": (r.get("ci_lower"), r.get("ci_upper")),
                "ok85": _verdict(lang, r.get("upper_below_085")),
                "ok90": _verdict(lang, r.get("upper_below_090")),
            }
        )
        for key, ok in (("ok85", r.get("upper_below_085")), ("ok90", r.get("upper_below_090"))):
            if ok is not None:
                marks[(len(rows) - 1, key)] = "ok" if ok else "fail"
        if r.get("warnings"):
            notes.append(f"{rows[-1]['pair']}{t('colon', lang)}{r['warnings']}")
    return Table("htmt_ci", t("t_htmt_ci", lang), cols, rows, notes, mid, marks)


def _fit_amos_table(mres: View, mid: str, lang: str) -> Table | None:
    models = [(k, f) for k, f, _ in fit_models(mres) if f.get("nfi") is not None or f.get("gfi") is not None]
    if not models:
        return None
    cols = [Column("model", t("c_model", lang))] + [
        Column(key, t(head, lang) if head.startswith("c_") else head, kind) for key, head, kind in AMOS_FIT
    ]
    rows = [{"model": t(k, lang), **{key: f.get(key) for key, _, _ in AMOS_FIT}} for k, f in models]
    return Table("fit_amos", t("t_fit_amos", lang), cols, rows, [t("note_fit_amos", lang)], mid)


def _validity_amos_table(mres: View, mech: Mechanism | None, mid: str, lang: str) -> Table | None:
    meas = mres.obj("measurement")
    rel = dict(meas.obj("reliability").items())
    if not any(v.get("cr") is not None for v in rel.values()):
        return None
    cols = [
        Column("construct", t("c_construct", lang)),
        Column("label", t("c_label", lang)),
        Column("cr", t("c_cr", lang), "bounded3"),
        Column("ave_std", t("c_ave_std", lang), "bounded3"),
        Column("msv", t("c_msv", lang), "bounded3"),
        Column("asv", t("c_asv", lang), "bounded3"),
        Column("maxrh", t("c_maxrh", lang), "bounded3"),
        Column("msv_ok", t("c_msv_ok", lang), "verdict"),
    ]
    rows, marks = [], {}
    for cid, v in rel.items():
        cr_ok, ave_ok = _cmp(v.get("cr"), ">", 0.70), _cmp(v.get("ave_std"), ">", 0.50)
        msv, ave = apa.as_float(v.get("msv")), apa.as_float(v.get("ave_std"))
        msv_ok = None if msv is None or ave is None else msv < ave
        rows.append(
            {
                "construct": cid,
                "label": construct_label(mech, cid, lang),
                "cr": v.get("cr"),
                "ave_std": v.get("ave_std"),
                "msv": v.get("msv"),
                "asv": v.get("asv"),
                "maxrh": v.get("maxrh"),
                "msv_ok": _verdict(lang, msv_ok),
            }
        )
        for key, ok in (("cr", cr_ok), ("ave_std", ave_ok), ("msv_ok", msv_ok)):
            if ok is not None:
                marks[(len(rows) - 1, key)] = "ok" if ok else "fail"
    return Table("validity_amos", t("t_validity_amos", lang), cols, rows, [t("note_validity_amos", lang)], mid, marks)


def _common_method_table(meas: View, mid: str, lang: str) -> Table | None:
    cm = meas.obj("common_method")
    ul = cm.obj("ulmc")
    one = meas.obj("single_factor_cfa")
    fit = meas.obj("fit")
    if not fit or not (ul or one):
        return None
    keys = ("chisq", "df", "cfi", "rmsea")
    cols = [
        Column("model", t("c_model", lang)),
        Column("chisq", t("c_chisq", lang), "num2"),
        Column("df", t("c_df", lang), "int"),
        Column("cfi", t("c_cfi", lang), "bounded3"),
        Column("rmsea", t("c_rmsea", lang), "bounded3"),
        Column("chisq_diff", t("c_chisq_diff", lang), "num2"),
        Column("df_diff", t("c_df_diff", lang), "int"),
        Column("p_value", t("c_p", lang), "p"),
        Column("delta_cfi", t("c_delta_cfi", lang), "num3"),
        Column("delta_rmsea", t("c_delta_rmsea", lang), "num3"),
        Column("method_variance", t("c_method_variance", lang), "bounded3"),
    ]
    na = dict(chisq_diff="", df_diff="", p_value="", delta_cfi="", delta_rmsea="", method_variance="")
    rows = [{"model": t("m_cfa", lang), **{k: fit.get(k) for k in keys}, **na}]
    notes = [t("note_common_method", lang)]
    if one:
        f1 = one.obj("fit")
        rows.append(
            {
                "model": t("m_single", lang),
                **{k: f1.get(k) for k in keys},
                **na,
                "chisq_diff": one.get("chisq_diff"),
                "df_diff": one.get("df_diff"),
                "p_value": one.get("p_value"),
            }
        )
    if ul:
        fu = ul.obj("fit")
        rows.append(
            {
                "model": t("m_ulmc", lang),
                **{k: fu.get(k) for k in keys},
                **{
                    k: ul.get(k)
                    for k in ("chisq_diff", "df_diff", "p_value", "delta_cfi", "delta_rmsea", "method_variance")
                },
            }
        )
        if ul.get("reason"):
            notes.append(f"{t('missing_reason', lang)}{t('colon', lang)}{ul['reason']}")
    elif cm.get("reason"):
        notes.append(f"ULMC{t('colon', lang)}{cm['reason']}")
    return Table("common_method", t("t_common_method", lang), cols, rows, notes, mid)


def _note_no_marker(tab: Table | None, meas: View, lang: str) -> None:
    """Say once, under the common-method table, why no marker test was run."""
    cm = meas.obj("common_method")
    if tab is not None and cm.get("marker") is None and cm.get("marker_reason"):
        tab.notes.append(t("note_no_marker", lang, reason=reason_text(cm["marker_reason"], lang)))


def _marker_cfa_table(meas: View, mid: str, lang: str) -> Table | None:
    """The CFA marker technique (Williams et al., 2010): each model's fit and the Δχ² test of its step."""
    mk = meas.obj("common_method").obj("marker")
    cm = mk.obj("cfa_marker")
    notes = []
    if not mk:
        return None
    if not cm:
        if mk.get("cfa_marker_reason"):
            return Table(
                "marker_cfa",
                t("t_marker_cfa", lang),
                [Column("model", t("c_model", lang))],
                [],
                [f"{t('missing_reason', lang)}{t('colon', lang)}{reason_text(mk['cfa_marker_reason'], lang)}"],
                mid,
            )
        return None
    cols = [
        Column("model", t("c_model", lang)),
        Column("chisq", t("c_chisq", lang), "num2"),
        Column("df", t("c_df", lang), "int"),
        Column("cfi", t("c_cfi", lang), "bounded3"),
        Column("rmsea", t("c_rmsea", lang), "bounded3"),
        Column("compared", t("c_compared_with", lang)),
        Column("chisq_diff", t("c_chisq_diff", lang), "num2"),
        Column("df_diff", t("c_df_diff", lang), "int"),
        Column("p_value", t("c_p", lang), "p"),
    ]
    tests = {r.get("free") if r.get("comparison") != "method_vs_method_r" else "method_r": r for r in cm.rows("tests")}
    rows = []
    for m in cm.rows("models"):
        name = str(m.get("name"))
        row = {"model": t(f"m_marker_{name}", lang), **{k: m.get(k) for k in ("chisq", "df", "cfi", "rmsea")}}
        tst = tests.get(name)
        if tst is None:
            row.update(compared="", chisq_diff="", df_diff="", p_value="")
        else:
            other = tst.get("restricted") if name != "method_r" else tst.get("free")
            row.update(
                compared=t(f"m_marker_{other}", lang), **{k: tst.get(k) for k in ("chisq_diff", "df_diff", "p_value")}
            )
        rows.append(row)
        if m.get("reason"):
            notes.append(f"{row['model']}{t('colon', lang)}{reason_text(m['reason'], lang)}")
    markers = ", ".join(str(x) for x in cm.list("markers"))
    notes.insert(0, t("note_marker_cfa", lang, markers=markers, n=apa.fmt_int(cm.get("n_obs"))))
    if cm.get("single_indicator"):
        notes.append(t("note_marker_single", lang))
    if cm.get("retained"):
        mv = apa.fmt_num(cm.get("method_variance"), 3, leading_zero=False)
        notes.append(
            t(
                "note_marker_result",
                lang,
                retained=t(f"m_marker_{cm['retained']}", lang),
                mv=mv,
                effects=_yes_no(lang, cm.get("method_effects")),
                biased=_yes_no(lang, cm.get("biased_correlations")),
            )
        )
    if cm.get("reason"):
        notes.append(f"{t('missing_reason', lang)}{t('colon', lang)}{reason_text(cm['reason'], lang)}")
    return Table("marker_cfa", t("t_marker_cfa", lang), cols, rows, notes, mid)


def _marker_items_table(meas: View, mech: Mechanism | None, mid: str, lang: str) -> Table | None:
    """Per item of the retained marker model: substantive and marker loadings and the share of method variance."""
    cm = meas.obj("common_method").obj("marker").obj("cfa_marker")
    rows = cm.rows("items")
    if not rows or not cm.get("retained"):
        return None
    cols = [
        Column("construct", t("c_construct", lang)),
        Column("item", t("c_item", lang)),
        Column("substantive_loading_std", t("c_substantive_loading", lang), "num3"),
        Column("method_loading_std", t("c_marker_loading", lang), "num3"),
        Column("method_variance", t("c_method_variance", lang), "bounded3"),
    ]
    out = [
        {
            "construct": construct_label(mech, str(r.get("construct")), lang),
            "item": r.get("item"),
            **{c.key: r.get(c.key) for c in cols[2:]},
        }
        for r in rows
    ]
    notes = [t("note_marker_items", lang, retained=t(f"m_marker_{cm['retained']}", lang))]
    if cm.get("reason"):
        notes.append(f"{t('missing_reason', lang)}{t('colon', lang)}{reason_text(cm['reason'], lang)}")
    return Table("marker_items", t("t_marker_items", lang), cols, out, notes, mid)


def _yes_no(lang: str, v: bool | None) -> str:
    return apa.MISSING if v is None else t("v_yes" if v else "v_no", lang)


def _marker_lw_table(meas: View, mech: Mechanism | None, mid: str, lang: str) -> Table | None:
    """Construct correlations corrected for the marker variable (Lindell & Whitney, 2001)."""
    lw = meas.obj("common_method").obj("marker").obj("lindell_whitney")
    if not lw:
        return None
    cols = [
        Column("pair", t("c_pair", lang)),
        Column("r", t("c_r_uncorrected", lang), "bounded3"),
        Column("p_value", t("c_p", lang), "p"),
        Column("r_corrected", t("c_r_corrected", lang), "bounded3"),
        Column("t_corrected", t("c_t_corrected", lang), "num2"),
        Column("p_value_corrected", t("c_p_corrected", lang), "p"),
    ]
    rows = []
    for r in lw.rows("correlations"):
        pair = (
            f"{construct_label(mech, str(r.get('construct_a')), lang)} – "
            f"{construct_label(mech, str(r.get('construct_b')), lang)}"
        )
        rows.append({"pair": pair, **{c.key: r.get(c.key) for c in cols[1:]}})
    notes = [t("note_marker_lw", lang, n=lw.get("n"))]
    if lw.get("r_m") is not None:
        second = lw.get("r_m_second")
        notes.append(
            t(
                "note_marker_rm",
                lang,
                rm=apa.fmt_num(lw["r_m"], 3, leading_zero=False),
                marker=lw.get("r_m_marker"),
                construct=construct_label(mech, str(lw.get("r_m_construct")), lang),
                second=apa.fmt_num(second, 3, leading_zero=False) if second is not None else apa.MISSING,
            )
        )
        notes.append(
            t(
                "note_marker_sig",
                lang,
                before=lw.get("n_significant"),
                after=lw.get("n_significant_corrected"),
                total=len(rows),
            )
        )
    if lw.get("reason"):
        notes.append(f"{t('missing_reason', lang)}{t('colon', lang)}{reason_text(lw['reason'], lang)}")
    return Table("marker_lw", t("t_marker_lw", lang), cols, rows, notes, mid)


def _competing_table(meas: View, mech: Mechanism | None, mid: str, lang: str) -> Table | None:
    models = meas.rows("competing_models")
    if len(models) < 2:
        return None
    k = len(meas.obj("reliability"))
    cols = [
        Column("model", t("c_model", lang)),
        Column("chisq", t("c_chisq", lang), "num2"),
        Column("df", t("c_df", lang), "int"),
        Column("cfi", t("c_cfi", lang), "bounded3"),
        Column("tli", t("c_tli", lang), "bounded3"),
        Column("rmsea", t("c_rmsea", lang), "bounded3"),
        Column("srmr", t("c_srmr", lang), "bounded3"),
        Column("chisq_diff", t("c_chisq_diff", lang), "num2"),
        Column("df_diff", t("c_df_diff", lang), "int"),
        Column("p_value", t("c_p", lang), "p"),
    ]
    rows, notes = [], [t("note_competing", lang)]
    for m in models:
        name = m.get("name")
        if name == "full":
            label = t("m_full", lang, k=k)
        elif name == "merged":
            a, b = (m.list("constructs_merged") + [None, None])[:2]
            label = t("m_merged", lang, a=construct_label(mech, str(a), lang), b=construct_label(mech, str(b), lang))
        else:
            label = t("m_one_factor", lang)
        row = {"model": label, **{c.key: m.get(c.key) for c in cols[1:]}}
        if name == "full":
            row.update(chisq_diff="", df_diff="", p_value="")
        rows.append(row)
        if m.get("reason"):
            notes.append(f"{label}{t('colon', lang)}{m['reason']}")
    return Table("competing_models", t("t_competing", lang), cols, rows, notes, mid)


def _group_diff_table(mres: View, spec: ModelSpec | None, mech: Mechanism | None, mid: str, lang: str) -> Table | None:
    recs = mres.rows("group_differences")
    if not recs:
        return None
    questions = {q.id: q for q in spec.background} if spec is not None else {}
    cols = [
        Column("construct", t("c_construct", lang)),
        Column("by", t("c_by", lang)),
        Column("test", t("c_test", lang)),
        Column("groups", t("c_groups_means", lang)),
        Column("statistic", t("c_statistic", lang), "num2"),
        Column("df", t("c_df", lang), "num2"),
        Column("df2", t("c_df2", lang), "num2"),
        Column("p_value", t("c_p", lang), "p"),
        Column("effect_size", t("c_effect", lang), "num3"),
    ]
    rows, notes = [], [t("note_group_diff", lang)]
    for r in recs:
        q = questions.get(r.get("by"))
        by = text(q.text, lang) if q is not None else str(r.get("by"))
        groups = "; ".join(f"{g.get('label')} {apa.fmt_num(g.get('mean'), 2)} ({g.get('n')})" for g in r.rows("groups"))
        test = {"welch_t": t("s_welch_t", lang), "welch_anova": t("s_welch_anova", lang)}.get(r.get("test"), "")
        row = {
            "construct": construct_label(mech, str(r.get("construct")), lang),
            "by": by,
            "test": test,
            "groups": groups,
            **{k: r.get(k) for k in ("statistic", "df", "df2", "p_value", "effect_size")},
        }
        if r.get("test") == "welch_t":
            row["df2"] = ""
        rows.append(row)
        if r.get("reason"):
            notes.append(f"{row['construct']} × {by}{t('colon', lang)}{r['reason']}")
    return Table("group_differences", t("t_group_diff", lang), cols, rows, notes, mid)


def _invariance_table(inv: View, mid: str, lang: str) -> Table:
    """Configural, metric and scalar models with their n, fit, differences and verdicts."""
    tests = {str(x.get("model")): x for x in inv.rows("tests")}
    rows = []
    for m in ("configural", "metric", "scalar"):
        f = inv.obj(m)
        if not f and m not in tests:
            continue
        tt = tests.get(m) or (
            {k: "" for k in ("chisq_diff", "df_diff", "p_value", "delta_cfi", "delta_rmsea", "verdict")}
            if m == "configural"
            else {}
        )
        v = tt.get("verdict")
        rows.append(
            {
                "model": t(f"m_{m}", lang),
                "n_obs": f.get("n_obs"),
                "chisq": f.get("chisq"),
                "df": f.get("df"),
                "cfi": f.get("cfi"),
                "rmsea": f.get("rmsea"),
                "srmr": f.get("srmr"),
                "chisq_diff": tt.get("chisq_diff"),
                "df_diff": tt.get("df_diff"),
                "p_value": tt.get("p_value"),
                "delta_cfi": tt.get("delta_cfi"),
                "delta_rmsea": tt.get("delta_rmsea"),
                "verdict": verdict_name(v, lang) if v else v,
                "_verdict": v,
            }
        )
    chk = inv.obj("configural_check")
    notes = [t("note_invariance", lang)]
    if chk:
        notes.append(t("note_configural", lang))
        if chk.get("reason"):
            notes.append(t("note_not_established", lang, reason=_configural_reason(chk, inv, lang)))
    hom = inv.obj("second_order_means")
    if hom:
        notes.append(t("note_inv_second_order", lang, constructs=", ".join(str(c) for c in hom.list("constructs"))))
    by = inv.obj("configural").obj("n_obs_by_group")
    if by:
        names = inv.obj("level_labels")
        notes.append(
            t("c_n_groups", lang)
            + t("colon", lang)
            + ", ".join(f"{names.get(g, g)} {apa.fmt_int(n)}" for g, n in by.items())
        )
    tab = Table(
        "invariance",
        t("t_invariance", lang),
        [
            Column("model", t("c_model", lang)),
            Column("n_obs", t("c_n_obs", lang), "int"),
            Column("chisq", t("c_chisq", lang), "num2"),
            Column("df", t("c_df", lang), "int"),
            Column("cfi", t("c_cfi", lang), "bounded3"),
            Column("rmsea", t("c_rmsea", lang), "bounded3"),
            Column("srmr", t("c_srmr", lang), "bounded3"),
            Column("chisq_diff", t("c_chisq_diff", lang), "num2"),
            Column("df_diff", t("c_df_diff", lang), "int"),
            Column("p_value", t("c_p", lang), "p"),
            Column("delta_cfi", t("c_delta_cfi", lang), "bounded3"),
            Column("delta_rmsea", t("c_delta_rmsea", lang), "bounded3"),
            Column("verdict", t("c_verdict", lang), "verdict"),
        ],
        rows,
        notes + _warn_notes(inv.get("warnings")),
        mid,
    )
    for i, row in enumerate(rows):
        v = row.pop("_verdict", None)
        if v:
            tab.marks[(i, "verdict")] = {"supported": "ok", "not supported": "fail"}.get(str(v), "warn")
    return tab


def _configural_reason(chk: View, inv: View, lang: str) -> str:
    """Why invariance is not established, in ``lang``, from the values of ``configural_check``."""
    why = []
    if chk.get("fits") is False and chk.get("cfi") is not None and chk.get("rmsea") is not None:
        why.append(
            t(
                "why_configural_fit",
                lang,
                cfi=apa.fmt_num(chk["cfi"], 3, False),
                rmsea=apa.fmt_num(chk["rmsea"], 3, False),
            )
        )
    if chk.get("enough_cases") is False:
        g = str(chk.get("smallest_group"))
        why.append(
            t(
                "why_few_cases",
                lang,
                group=inv.obj("level_labels").get(g, g),
                n=apa.fmt_int(chk.get("smallest_n")),
                npar=apa.fmt_num(chk.get("npar_per_group"), 0),
                ratio=apa.fmt_num(chk.get("cases_per_parameter"), 2),
            )
        )
    return t("list_sep", lang).join(why) if why else str(chk.get("reason"))


def verdict_name(v: Any, lang: str) -> str | None:
    """An invariance verdict of results.json (``supported``, ``not supported``, ``not established``) in ``lang``."""
    if v is None:
        return None
    key = "inv_" + str(v).strip().lower().replace(" ", "_")
    return t(key, lang) if key in STRINGS else str(v)


def _vaf_notes(ind: list[View], lang: str) -> list[str]:
    """Why VAF is "—" for a chain: one note per reason, naming the chains."""
    by: dict[str, list[str]] = {}
    for p in ind:
        if p.get("vaf") is None and p.get("vaf_reason"):
            by.setdefault(reason_text(p["vaf_reason"], lang), []).append(
                " \u2192 ".join(str(c) for c in p.list("chain"))
            )
    out = [t("note_vaf_missing", lang, chains="; ".join(chains), reason=r) for r, chains in by.items()]
    why = sorted(
        {reason_text(p["reason"], lang) for p in ind if p.get("reason")}
        | {reason_text(p["bca_reason"], lang) for p in ind if p.get("bca_reason")}
    )
    return out + [f"{t('missing_reason', lang)}{t('colon', lang)}{w}" for w in why]


def _mg_paths_table(mg: View, spec: ModelSpec | None, mid: str, lang: str, names: dict | None = None) -> Table | None:
    """Paths by group of the free multi-group model, one row per path and a β and p column per group."""
    recs = mg.rows("paths")
    if not recs:
        return None
    groups: list[str] = []
    order: list[tuple[str, str]] = []
    cell: dict[tuple[str, str, str], dict] = {}
    for p in recs:
        g = str(p.get("group"))
        key = (str(p.get("from")), str(p.get("to")))
        if g not in groups:
            groups.append(g)
        if key not in order:
            order.append(key)
        cell[(key[0], key[1], g)] = p
    cols = [Column("path", t("c_path", lang))]
    by = mg.obj("n_obs_by_group")
    for i, g in enumerate(groups):
        first = next((p for p in recs if str(p.get("group")) == g), {})
        name = (names or {}).get(g) or first.get("group_label") or group_label(spec, g, lang)
        n = f" (n = {apa.fmt_int(by[g])})" if g in by else ""
        cols += [Column(f"b{i}", f"{name}{n} \u03b2", "bounded3"), Column(f"p{i}", f"{name} p", "p")]
    rows, marks = [], {}
    for r, (a, b) in enumerate(order):
        row: dict[str, Any] = {"path": path_label(a, b)}
        for i, g in enumerate(groups):
            p = cell.get((a, b, g), {})
            row[f"b{i}"] = p.get("std")
            row[f"p{i}"] = p.get("p_value")
            pv = apa.as_float(p.get("p_value"))
            if pv is not None and pv >= 0.05:
                marks[(r, f"b{i}")] = "ns"
        rows.append(row)
    return Table(
        "mg_paths",
        t("t_mg_paths", lang),
        cols,
        rows,
        [t("note_mg_paths", lang)] + _warn_notes(mg.get("warnings")),
        mid,
        marks,
    )


def coded_name(kind: str, v: Any, lang: str) -> Any:
    """A code of results.json (a screening rule, an action) in words of ``lang``; unknown codes as they are."""
    key = f"{kind}_{v}"
    return t(key, lang) if isinstance(v, str) and key in STRINGS else v


def mediation_name(v: Any, lang: str) -> str | None:
    """Translated mediation type (Zhao, Lynch & Chen 2010 names and full/partial/none); other text as is."""
    if v is None:
        return None
    key = "med_" + str(v).strip().lower().replace("-", "_").replace(" ", "_")
    return t(key, lang) if key in STRINGS else str(v)


def group_label(spec: ModelSpec | None, code: Any, lang: str) -> str:
    """Label of a group (platform) code from the spec's group question; the code itself otherwise."""
    q = spec.group_question if spec is not None else None
    if q is not None:
        for ch in q.choices:
            if str(ch.code) == str(code):
                return text(ch.label, lang, str(code))
    return str(code)


def model_section(m: View) -> tuple[str, View]:
    """The model a mechanism's summary reports: the SEM when it was fitted, else the CFA."""
    struct, meas = m.obj("structural"), m.obj("measurement")
    return ("m_structural", struct) if struct.obj("fit") else ("m_measurement", meas)


def summary_table(results: dict, spec: ModelSpec | None, lang: str) -> Table:
    cols = [
        Column("mechanism", t("c_mechanism", lang)),
        Column("label", t("c_label", lang)),
        Column("n_raw", t("n_raw", lang), "int"),
        Column("n_used", t("n_used", lang), "int"),
        Column("n_dropped", t("n_dropped", lang), "int"),
        Column("n_obs", t("c_n_model", lang), "int"),
        Column("missing", t("meth_missing", lang)),
        Column("cfi", "CFI", "bounded3"),
        Column("rmsea", "RMSEA", "bounded3"),
        Column("srmr", "SRMR", "bounded3"),
        Column("supported", t("c_n_supported", lang), "text"),
    ]
    rows = []
    for mid, m in Results.of(results).mechanisms.items():
        mech = spec.mechanisms.get(mid) if spec is not None else None
        which, sec = model_section(m)
        f = sec.obj("fit")
        paths = m.structural.rows("paths") or m.pls.rows("paths")  # --method pls
        nsup = sum(1 for p in paths if p.get("supported") is True)
        nr, nu = m.get("n_raw"), m.get("n_used")
        rows.append(
            {
                "mechanism": mid,
                "label": text(plain(m.get("label")), lang) or (text(mech.label, lang) if mech else ""),
                "n_raw": nr,
                "n_used": nu,
                "n_dropped": (nr - nu) if isinstance(nr, int) and isinstance(nu, int) else None,
                "n_obs": sec.get("n_obs"),
                "missing": missing_name(m.get("missing"), lang) or None,
                "cfi": f.get("cfi"),
                "rmsea": f.get("rmsea"),
                "srmr": f.get("srmr"),
                "supported": f"{nsup} / {len(paths)}" if any(p.get("supported") is not None for p in paths) else None,
            }
        )
    return Table("summary", t("t_summary", lang), cols, rows, [t("note_fit", lang), t("note_summary_n", lang)])


def comparison_tables(results: dict, lang: str, compact: bool = False) -> list[Table]:
    """The mechanisms' paths and indirect effects side by side (``results["comparison"]``).

    ``compact`` leaves out each mechanism's own construct ids (the role names the row), so the
    tables fit a portrait Word page.
    """
    comp = Results.of(results).obj("comparison")
    mids = [str(m) for m in comp.list("mechanisms")]
    if len(mids) < 2:
        return []
    out = []
    role = Column("role", t("c_role", lang))
    cols = [role]
    for m in mids:
        cols += [] if compact else [Column(m, m)]
        cols += [Column(f"{m}_std", f"{m} β", "bounded3"), Column(f"{m}_p", f"{m} p", "p")]

    def named(r: View) -> dict:
        # the columns are named after the mechanisms (consumer_std, ...): read as the row's own keys
        row = dict(r.raw)
        row["role"] = text(plain(r.get("role_label")), lang) or r.get("role")
        return row

    rows = [named(r) for r in comp.rows("paths")]
    if rows:
        out.append(Table("compare_paths", t("t_compare_paths", lang), cols, rows, [t("note_compare", lang)]))
    cols = [role]
    for m in mids:
        cols += [] if compact else [Column(m, m)]
        cols += [Column(f"{m}_std", f"{m} β", "bounded3"), Column(f"{m}_ci", f"{m} 95% CI", "ci3")]
    rows = []
    for r in comp.rows("indirect"):
        r = named(r)
        for m in mids:
            lo, hi = r.get(f"{m}_ci_lower"), r.get(f"{m}_ci_upper")
            r[f"{m}_ci"] = (lo, hi) if lo is not None and hi is not None else None
        rows.append(r)
    if rows:
        out.append(Table("compare_indirect", t("t_compare_indirect", lang), cols, rows, [t("note_compare", lang)]))
    return out


def missing_name(v: Any, lang: str) -> str:
    key = {
        "listwise": "missing_listwise",
        "fiml": "missing_fiml",
        "ml": "missing_fiml",
        "pairwise": "missing_pairwise",
    }.get(str(v).lower())
    return t(key, lang) if key else ("" if v is None else str(v))


def method_rows(results: dict, lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs describing how the analysis was run."""
    results = Results.of(results)
    o = results.obj("options")
    sw = results.obj("software")
    sp = results.obj("spec")
    yesno = lambda v: None if v is None else t("v_yes" if v else "v_no", lang)  # noqa: E731
    rows = [
        (t("meth_estimator", lang), o.get("estimator")),
        (t("meth_missing_option", lang), o.get("missing")),
    ]
    for mid, m in results.mechanisms.items():
        if m.get("missing"):
            rows.append((f"{t('meth_missing', lang)} ({mid})", missing_name(m.get("missing"), lang)))
    rows += [
        (
            t("meth_invalid", lang),
            t("invalid_" + str(o.get("invalid") or "stop"), lang)
            if str(o.get("invalid") or "stop") in ("stop", "missing")
            else o.get("invalid"),
        ),
        (t("meth_group", lang), o.get("group")),
        (t("meth_bootstrap", lang), o.get("bootstrap")),
        (t("meth_seed", lang), o.get("seed")),
        (t("meth_alpha", lang), o.get("alpha")),
        (t("meth_direct", lang), yesno(o.get("direct_effects"))),
        (t("meth_spec", lang), f"{sp.get('name') or ''} ({sp.get('path') or ''})".strip()),
        (t("meth_sha", lang), sp.get("sha256")),
        (t("meth_software", lang), ", ".join(f"{k} {v}" for k, v in sw.items() if v is not None) or None),
        (t("meth_created", lang), results.get("created")),
    ]
    from validate.pls.report import method_row

    if o.get("method") == "pls":  # the CB-SEM estimator and missing-value options were not used
        rows = [r for r in rows if r[0] not in (t("meth_estimator", lang), t("meth_missing", lang))]
    rows.insert(0, method_row(o, lang))
    return [(k, apa.MISSING if v is None or v == "" else str(v)) for k, v in rows]


def method_paragraphs(results: dict, lang: str) -> list[str]:
    """The Method text: for each mechanism, the n each model used of how many, the missing-data method and why."""
    out = []
    results = Results.of(results)
    for mid, m in results.mechanisms.items():
        meas, struct = m.measurement, m.structural
        detail = m.obj("missing_detail")
        parts = []
        for key, sec in (("m_measurement", meas), ("m_structural", struct)):
            if sec.get("n_obs") is not None:
                name = t(key, lang)
                name = name[:1].lower() + name[1:] if lang == "en" else name
                parts.append(
                    t(
                        "meth_used_n",
                        lang,
                        model=name,
                        n=apa.fmt_int(sec.get("n_obs")),
                        total=apa.fmt_int(_n_total(m, sec)),
                    )
                )
        if not parts and not m.get("missing"):
            continue
        s = t(
            "meth_sample",
            lang,
            mechanism=text(plain(m.get("label")), lang) or mid,
            n_raw=apa.fmt_int(m.get("n_raw")),
            n_used=apa.fmt_int(m.get("n_used")),
        )
        if parts:
            s += " " + t(
                "meth_models", lang, parts=t("list_sep", lang).join(parts), method=missing_name(m.get("missing"), lang)
            )
        if detail.get("n_incomplete") is not None:
            auto = detail.get("requested") == "auto" and m.get("missing") in ("fiml", "listwise", "pairwise")
            s += " " + t(
                f"meth_why_auto_{m.get('missing')}" if auto else "meth_why_explicit",
                lang,
                n_incomplete=apa.fmt_int(detail.get("n_incomplete")),
                n_cells=apa.fmt_int(detail.get("n_empty_cells")),
            )
        by = m.obj("multigroup").obj("n_obs_by_group") or m.obj("invariance").obj("configural").obj("n_obs_by_group")
        if by:
            names = m.obj("invariance").obj("level_labels")
            s += " " + t(
                "meth_groups",
                lang,
                group=m.obj("invariance").get("group") or "",
                sizes=t("list_sep", lang).join(f"{names.get(g, g)} n = {apa.fmt_int(n)}" for g, n in by.items()),
            )
        so = meas.obj("second_order").rows("constructs")
        if so:
            s += " " + t(
                "meth_second_order",
                lang,
                constructs=t("list_sep", lang).join(
                    f"{r.get('construct')} ({', '.join(str(d) for d in r.list('dimensions'))})" for r in so
                ),
            )
        ctl = struct.rows("controls")
        if ctl:
            s += " " + t(
                "meth_controls",
                lang,
                controls=t("list_sep", lang).join(f"{r.get('variable')} \u2192 {r.get('to')}" for r in ctl),
            )
        mods = struct.rows("moderation")
        if mods:
            s += " " + t(
                "meth_moderation",
                lang,
                mods=t("list_sep", lang).join(
                    f"{r.get('moderator')} \u00d7 {path_label(r.get('from'), r.get('to'))}" for r in mods
                ),
            )
        mms = struct.rows("moderated_mediation")
        if mms:
            arrow = " \u2192 "
            s += " " + t(
                "meth_moderated_mediation",
                lang,
                chains=t("list_sep", lang).join(
                    t("mm_chain", lang, chain=arrow.join(str(c) for c in r.list("chain")), mod=r.get("moderator"))
                    for r in mms
                ),
            )
        out.append(s)
    inv = results.obj("invalid_cells")
    if inv.get("n"):
        out.append(t("meth_invalid_cells", lang, n=apa.fmt_int(inv.get("n"))))
    return out


def method_table(results: dict, lang: str) -> Table:
    rows = [{"key": k, "value": v} for k, v in method_rows(results, lang)]
    rows += [{"key": t("meth_sample_n", lang), "value": p} for p in method_paragraphs(results, lang)]
    for k in ("conv_marker", "conv_exo", "conv_auto_cov_y", "conv_std"):
        rows.append({"key": t("meth_conventions", lang), "value": t(k, lang)})
    return Table(
        "method", t("t_method", lang), [Column("key", t("c_key", lang)), Column("value", t("c_value", lang))], rows
    )


def all_warnings(results: dict) -> list[tuple[str, str]]:
    """(where, message) for every warning in the results, top level first."""
    results = Results.of(results)
    out = [("", str(w)) for w in results.list("warnings")]
    for mid, m in results.mechanisms.items():
        out += [(mid, str(w)) for w in m.list("warnings")]
        for sec in ("measurement", "structural", "invariance", "multigroup", "pls"):  # the sections with warnings
            out += [(f"{mid} / {sec}", str(w)) for w in m.obj(sec).list("warnings")]
    return out


def warnings_table(results: dict, lang: str) -> Table:
    return Table(
        "warnings",
        t("t_warnings", lang),
        [Column("section", t("c_section", lang)), Column("message", t("c_message", lang))],
        [{"section": w, "message": m} for w, m in all_warnings(results)],
    )


def iter_tables(results: dict, spec: ModelSpec | None, lang: str) -> Iterable[Table]:
    results = Results.of(results)
    yield summary_table(results, spec, lang)
    yield from comparison_tables(results, lang)
    for mid in results.mechanisms:
        yield from mechanism_tables(results, spec, mid, lang).values()
    yield method_table(results, lang)
    yield warnings_table(results, lang)
