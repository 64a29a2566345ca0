"""Report tables of PLS higher-order constructs (``pls.higher_order``), in English and Chinese.

Built from ``results["mechanisms"][m]["pls"]["higher_order"]`` (see
:meth:`validate.pls.higher_order.HOCResults.to_dict`) as :class:`validate.report.tables.Table` objects,
so the HTML page, the Word report and the workbook format them as the other PLS tables;
:func:`validate.pls.report.pls_tables` adds them. The strings live here (:data:`STRINGS`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from validate.pls.report import pair, reliability_rows
from validate.report import apa
from validate.report.i18n import check_lang
from validate.report.results import View
from validate.report.tables import Column, Table

__all__ = ["STRINGS", "th", "hoc_tables", "hoc_setting_row", "TABLE_KEYS"]

STRINGS: dict[str, dict[str, str]] = {
    "s_hoc": {"en": "Higher-order constructs", "zh": "高阶构念"},
    "hoc_disjoint": {"en": "disjoint two-stage approach ({n}: {names})", "zh": "分离式两阶段法（{n} 个：{names}）"},
    "hoc_embedded": {"en": "embedded two-stage approach ({n}: {names})", "zh": "嵌入式两阶段法（{n} 个：{names}）"},
    "t_hoc_meas": {
        "en": "PLS-SEM: measurement of the higher-order constructs (stage 2)",
        "zh": "PLS-SEM：高阶构念的测量（第二阶段）",
    },
    "t_hoc_rel": {
        "en": "PLS-SEM: reliability and convergent validity of the higher-order constructs (stage 2)",
        "zh": "PLS-SEM：高阶构念的信度与收敛效度（第二阶段）",
    },
    "t_hoc_htmt": {
        "en": "PLS-SEM: discriminant validity of the higher-order constructs (HTMT, stage 2)",
        "zh": "PLS-SEM：高阶构念的区分效度（HTMT，第二阶段）",
    },
    "t_hoc_s1_outer": {
        "en": "PLS-SEM: outer loadings of the dimensions (stage 1)",
        "zh": "PLS-SEM：各维度的外部载荷（第一阶段）",
    },
    "t_hoc_s1_rel": {
        "en": "PLS-SEM: reliability and convergent validity of the dimensions (stage 1)",
        "zh": "PLS-SEM：各维度的信度与收敛效度（第一阶段）",
    },
    "c_construct": {"en": "Construct", "zh": "构念"},
    "c_hoc": {"en": "Higher-order construct", "zh": "高阶构念"},
    "c_dimension": {"en": "Dimension", "zh": "维度"},
    "c_item": {"en": "Item", "zh": "题项"},
    "c_type": {"en": "Type", "zh": "类型"},
    "c_loading": {"en": "Loading", "zh": "载荷"},
    "c_weight": {"en": "Weight", "zh": "权重"},
    "c_ci": {"en": "95% CI", "zh": "95% 置信区间"},
    "c_t": {"en": "t", "zh": "t"},
    "c_p": {"en": "p (weight)", "zh": "p（权重）"},
    "c_vif": {"en": "VIF", "zh": "VIF"},
    "c_alpha": {"en": "Cronbach's α", "zh": "Cronbach's α"},
    "c_rho_a": {"en": "ρA", "zh": "ρA"},
    "c_rho_c": {"en": "ρC", "zh": "组合信度 ρC"},
    "c_ave": {"en": "AVE", "zh": "平均方差抽取 AVE"},
    "c_pair": {"en": "Constructs", "zh": "构念对"},
    "c_htmt": {"en": "HTMT", "zh": "HTMT"},
    "type_reflective-reflective": {"en": "reflective-reflective", "zh": "反映型-反映型"},
    "type_reflective-formative": {"en": "reflective-formative", "zh": "反映型-形成型"},
    "type_formative-reflective": {"en": "formative-reflective", "zh": "形成型-反映型"},
    "type_formative-formative": {"en": "formative-formative", "zh": "形成型-形成型"},
    "note_meas": {
        "en": "{approach}: stage 1 estimates the dimensions' scores{stage1}; stage 2 measures each "
        "higher-order construct by them (Becker et al., 2012; Sarstedt et al., 2019). Every bootstrap "
        "resample re-runs both stages. Reflective-reflective (Mode A): loadings above .708; "
        "reflective-formative (Mode B): judge the weights, their significance and the VIF (< 3 "
        "ideally, < 5 at most).",
        "zh": "{approach}：第一阶段估计各维度得分{stage1}；第二阶段以这些得分测量高阶构念（Becker 等，2012；"
        "Sarstedt 等，2019）。每次 bootstrap 重抽样均重新估计两个阶段。反映型-反映型（模式 A）：载荷宜大于"
        " .708；反映型-形成型（模式 B）：看权重及其显著性与 VIF（理想 < 3，最多 < 5）。",
    },
    "approach_disjoint": {"en": "Disjoint two-stage approach", "zh": "分离式两阶段法"},
    "approach_embedded": {"en": "Embedded two-stage approach", "zh": "嵌入式两阶段法"},
    "stage1_disjoint": {
        "en": " in a model without the higher-order constructs, the dimensions linked directly to "
        "their constructs' antecedents and outcomes",
        "zh": "（模型中不含高阶构念，各维度直接与其前因和结果构念相连）",
    },
    "stage1_embedded": {
        "en": " in the repeated-indicator model (each higher-order construct measured by all items of its dimensions)",
        "zh": "（重复指标模型：高阶构念由其各维度的全部题项测量）",
    },
    "note_rel": {
        "en": "Computed from the dimensions' stage-1 scores as indicators: ρC and ρA between .70 and .95, AVE "
        "above .50 (Hair et al., 2022; Sarstedt et al., 2019). Formative (Mode B) higher-order constructs "
        "are not listed: reliability and AVE assume reflective measurement.",
        "zh": "以各维度第一阶段得分为指标计算：ρC 与 ρA 宜在 .70 至 .95 之间，AVE 宜大于 .50（Hair 等，2022；"
        "Sarstedt 等，2019）。形成型（模式 B）高阶构念不列出：信度与 AVE 以反映型测量为前提。",
    },
    "note_htmt": {
        "en": "HTMT of each reflective higher-order construct with the other constructs of stage 2, below .85 "
        "(conservative) or .90 (Henseler et al., 2015).",
        "zh": "各反映型高阶构念与第二阶段其他构念的 HTMT，宜低于 .85（保守）或 .90（Henseler 等，2015）。",
    },
    "note_s1": {
        "en": "The dimensions' own measurement, from stage 1 ({approach}); their bootstrap intervals come from "
        "the same two-stage resamples. Loadings above .708; ρC and ρA between .70 and .95, AVE above .50 "
        "(Hair et al., 2022).",
        "zh": "各维度自身的测量，来自第一阶段（{approach}）；其 bootstrap 置信区间来自同一两阶段重抽样。载荷宜大于 "
        ".708；ρC 与 ρA 宜在 .70 至 .95 之间，AVE 宜大于 .50（Hair 等，2022）。",
    },
}

#: The tables, in report order (HTML, Word, workbook).
TABLE_KEYS = (
    "pls_hoc_measurement",
    "pls_hoc_reliability",
    "pls_hoc_htmt",
    "pls_hoc_stage1_outer",
    "pls_hoc_stage1_reliability",
)


def th(key: str, lang: str = "en", **fmt: Any) -> str:
    """A higher-order report string in ``lang``, formatted with ``fmt``."""
    check_lang(lang)
    s = STRINGS[key][lang]
    return s.format(**fmt) if fmt else s


def _type(t, lang):
    return th(f"type_{t}", lang) if f"type_{t}" in STRINGS else str(t)


def hoc_setting_row(pls: View, lang: str) -> tuple[str, str] | None:
    """The ("Higher-order constructs", approach) row of the PLS settings table; None without HOCs."""
    ho = pls.obj("higher_order")
    if not ho:
        return None
    names = [c.get("construct") for c in ho.rows("constructs")]
    key = "hoc_embedded" if ho.get("approach") == "embedded" else "hoc_disjoint"
    return th("s_hoc", lang), th(key, lang, n=len(names), names=", ".join(map(str, names)))


def _rel_columns(lang: str, first: str = "c_construct") -> list[Column]:
    return [
        Column("construct", th(first, lang)),
        Column("alpha", th("c_alpha", lang), "bounded3"),
        Column("rho_a", th("c_rho_a", lang), "bounded3"),
        Column("rho_c", th("c_rho_c", lang), "bounded3"),
        Column("ave", th("c_ave", lang), "bounded3"),
    ]


def hoc_tables(pls: View, lab: Callable[[str], str], lang: str, mid: str | None = None) -> dict[str, Table]:
    """The higher-order tables of one mechanism's ``pls`` entry, keyed as :data:`TABLE_KEYS` ({} without HOCs)."""
    check_lang(lang)
    ho = pls.obj("higher_order")
    if not ho:
        return {}
    approach = "embedded" if ho.get("approach") == "embedded" else "disjoint"
    out: dict[str, Table] = {}
    hocs = ho.rows("constructs")

    rows, marks = [], {}
    for c in hocs:
        loads = {r.get("dimension"): r for r in c.rows("loadings")}
        for w in c.rows("weights"):
            d = w.get("dimension")
            ld = loads.get(d) or c.empty_row("loadings")
            rows.append(
                {
                    "construct": lab(c.get("construct")),
                    "dimension": lab(d),
                    "type": _type(c.get("type"), lang),
                    "loading": ld.get("estimate"),
                    "loading_ci": pair(ld.get("ci_lower"), ld.get("ci_upper")),
                    "weight": w.get("estimate"),
                    "weight_ci": pair(w.get("ci_lower"), w.get("ci_upper")),
                    "weight_t": w.get("t"),
                    "weight_p": w.get("p_value"),
                    "vif": w.get("vif"),
                }
            )
            i = len(rows) - 1
            if c.get("mode") == "A" and apa.as_float(ld.get("estimate")) is not None:
                marks[(i, "loading")] = "ok" if ld["estimate"] > 0.708 else "warn"
            if apa.as_float(w.get("vif")) is not None and w["vif"] >= 5:
                marks[(i, "vif")] = "fail"
    note = th("note_meas", lang, approach=th(f"approach_{approach}", lang), stage1=th(f"stage1_{approach}", lang))
    out["pls_hoc_measurement"] = Table(
        "pls_hoc_measurement",
        th("t_hoc_meas", lang),
        [
            Column("construct", th("c_hoc", lang)),
            Column("dimension", th("c_dimension", lang)),
            Column("type", th("c_type", lang)),
            Column("loading", th("c_loading", lang), "num3"),
            Column("loading_ci", th("c_ci", lang), "ci3"),
            Column("weight", th("c_weight", lang), "num3"),
            Column("weight_ci", th("c_ci", lang), "ci3"),
            Column("weight_t", th("c_t", lang), "num2"),
            Column("weight_p", th("c_p", lang), "p"),
            Column("vif", th("c_vif", lang), "num2"),
        ],
        rows,
        [note] + [str(w) for w in ho.list("warnings")],
        mid,
        marks,
    )

    refl = {c.get("construct"): c.obj("reliability") for c in hocs if c.get("reliability") is not None}
    if refl:
        rows, marks = reliability_rows(refl.items(), lab)
        out["pls_hoc_reliability"] = Table(
            "pls_hoc_reliability",
            th("t_hoc_rel", lang),
            _rel_columns(lang, "c_hoc"),
            rows,
            [th("note_rel", lang)],
            mid,
            marks,
        )
        rows, marks = [], {}
        for c in hocs:
            for other, v in c.obj("htmt").items():
                rows.append({"pair": f"{c.get('construct')} \u2013 {other}", "htmt": v})
                f = apa.as_float(v)
                if f is not None:
                    marks[(len(rows) - 1, "htmt")] = "ok" if f < 0.85 else ("warn" if f < 0.90 else "fail")
        if rows:
            out["pls_hoc_htmt"] = Table(
                "pls_hoc_htmt",
                th("t_hoc_htmt", lang),
                [Column("pair", th("c_pair", lang)), Column("htmt", th("c_htmt", lang), "num3")],
                rows,
                [th("note_htmt", lang)],
                mid,
                marks,
            )

    s1 = ho.obj("stage1")
    wts = {(w.get("construct"), w.get("item")): w for w in s1.rows("weights")}
    rows, marks = [], {}
    for ld in s1.rows("loadings"):
        c, it = ld.get("construct"), ld.get("item")
        w = wts.get((c, it)) or s1.empty_row("weights")
        rows.append(
            {
                "construct": lab(c),
                "item": it,
                "loading": ld.get("estimate"),
                "loading_ci": pair(ld.get("ci_lower"), ld.get("ci_upper")),
                "weight": w.get("estimate"),
            }
        )
        if apa.as_float(ld.get("estimate")) is not None:
            marks[(len(rows) - 1, "loading")] = "ok" if ld["estimate"] > 0.708 else "warn"
    s1_note = th("note_s1", lang, approach=th(f"approach_{approach}", lang))
    out["pls_hoc_stage1_outer"] = Table(
        "pls_hoc_stage1_outer",
        th("t_hoc_s1_outer", lang),
        [
            Column("construct", th("c_dimension", lang)),
            Column("item", th("c_item", lang)),
            Column("loading", th("c_loading", lang), "num3"),
            Column("loading_ci", th("c_ci", lang), "ci3"),
            Column("weight", th("c_weight", lang), "num3"),
        ],
        rows,
        [s1_note],
        mid,
        marks,
    )
    rel = {c: v for c, v in s1.obj("reliability").items() if v.get("mode") == "A"}  # Mode B: none
    rows, marks = reliability_rows(rel.items(), lab)
    out["pls_hoc_stage1_reliability"] = Table(
        "pls_hoc_stage1_reliability",
        th("t_hoc_s1_rel", lang),
        _rel_columns(lang, "c_dimension"),
        rows,
        [s1_note],
        mid,
        marks,
    )
    return out
