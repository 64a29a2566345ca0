"""Documents a supervisor or ethics board reviews: item adaptation table, translation record, pilot guide.

Files written for each selected mechanism ``<m>``:

==================================  =============================================================
``item_adaptation_<m>.xlsx/.docx``  one row per item: construct, item, text (en, zh), source,
                                    ``adopted`` / ``adapted`` / ``self-developed``, where the
                                    original wording is found, the construct's mode and scale
``translation_record_<m>.xlsx``     every respondent-facing text (title, instructions, consent,
``translation_record_<m>.docx``     questions, choices, statements, scale labels) in English and
                                    Chinese, with empty columns for an independent back-translation,
                                    the differences found and how they were resolved
``pilot_guide_<lang>.docx``         one page: cognitive interviews, the pilot sample, what to check
                                    with ``vcc validate`` and when to drop an item
==================================  =============================================================

The translation record follows the forward / blind back-translation /
committee procedure (Brislin 1970): the back-translator sees only the Chinese
column. The pilot guide's thresholds are the conventions the toolkit's report
applies (Hair et al. 2019; Fornell & Larcker 1981; Henseler et al. 2015).

References
----------
Brislin, R. W. (1970). Back-translation for cross-cultural research. *Journal of
Cross-Cultural Psychology*, 1(3), 185-216.

Willis, G. B. (2005). *Cognitive interviewing: A tool for improving questionnaire
design*. Sage.

Hair, J. F., Black, W. C., Babin, B. J., & Anderson, R. E. (2019). *Multivariate data
analysis* (8th ed.). Cengage.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._layout import block_prompt, languages, layout, question_text, save_docx, save_workbook, ui
from .codebook import add_table_sheet
from .spec import STAGES, ModelSpec, specify_id

__all__ = [
    "ADAPTATION_COLUMNS",
    "TRANSLATION_COLUMNS",
    "adaptation_table",
    "pilot_guide_docx",
    "translation_record",
    "write_review",
]

#: Columns of :func:`adaptation_table`, in order.
ADAPTATION_COLUMNS = [
    "mechanism",
    "construct",
    "construct_label_en",
    "construct_label_zh",
    "stage",
    "mode",
    "scale",
    "item",
    "text_en",
    "text_zh",
    "reverse",
    "adaptation",
    "source",
    "original",
]
#: Columns of :func:`translation_record`, in order.
TRANSLATION_COLUMNS = [
    "mechanism",
    "element",
    "variable",
    "text_en",
    "text_zh",
    "back_translation",
    "differences",
    "resolution",
]


def adaptation_table(spec: ModelSpec, mechanism: str | None = None) -> pd.DataFrame:
    """One row per item: where its wording comes from.

    Returns
    -------
    pandas.DataFrame
        Columns ``mechanism``, ``construct``, ``construct_label_en``,
        ``construct_label_zh``, ``stage``, ``mode`` (reflective or formative),
        ``scale`` (the scale's name), ``item``, ``text_en``, ``text_zh``,
        ``reverse`` (bool), ``adaptation`` (``adopted``, ``adapted``,
        ``self-developed``, or ``not stated``), ``source`` (the item's source,
        else its construct's) and ``original`` (where the original wording is
        found). Constructs in questionnaire order (by stage).
    """
    rows = []
    for m in spec.select(mechanism):
        for c in sorted(m.constructs.values(), key=lambda c: STAGES.index(c.stage)):
            for it in c.items:
                rows.append(
                    {
                        "mechanism": m.id,
                        "construct": c.id,
                        "construct_label_en": c.label.get("en", ""),
                        "construct_label_zh": c.label.get("zh", ""),
                        "stage": c.stage,
                        "mode": c.mode,
                        "scale": spec.scale_of(c).name,
                        "item": it.id,
                        "text_en": it.text.get("en", ""),
                        "text_zh": it.text.get("zh", ""),
                        "reverse": bool(it.reverse),
                        "adaptation": it.adaptation or "not stated",
                        "source": it.source or c.source or "",
                        "original": it.original or "",
                    }
                )
    return pd.DataFrame(rows, columns=ADAPTATION_COLUMNS)


def translation_record(spec: ModelSpec, mechanism: str) -> pd.DataFrame:
    """Every respondent-facing text of one mechanism's questionnaire, in questionnaire order.

    Returns
    -------
    pandas.DataFrame
        Columns ``mechanism``, ``element`` (``title``, ``instructions``,
        ``consent``, ``question``, ``choice``, ``specify``, ``block_prompt``,
        ``statement``, ``attention_check``, ``scale_label``,
        ``not_applicable``), ``variable`` (the id, ``question=code`` for a
        choice, ``scale:name=code`` for a scale label), ``text_en``,
        ``text_zh``, and the empty columns ``back_translation``,
        ``differences``, ``resolution`` for the translation committee.
    """
    lay = layout(spec, mechanism)
    mid = lay.mechanism.id
    rows = []

    def add(element, var, text):
        rows.append(
            {
                "mechanism": mid,
                "element": element,
                "variable": var,
                "text_en": text.get("en", ""),
                "text_zh": text.get("zh", ""),
                "back_translation": "",
                "differences": "",
                "resolution": "",
            }
        )

    add("title", "title", {lg: lay.title(lg) for lg in ("en", "zh")})
    add("instructions", "instructions", {lg: lay.instructions(lg) for lg in ("en", "zh")})
    if spec.consent is not None:
        add("consent", "consent_text", spec.consent.text)

    def question(q):
        add("question", q.id, question_text(lay, q))
        for ch in q.choices:
            add("choice", f"{q.id}={ch.code}", ch.label)
        for ch in q.specify_choices:
            add(
                "specify",
                specify_id(q, ch),
                {lg: ui("specify_q", lg, label=ch.label.get(lg, "")) for lg in ("en", "zh")},
            )

    for _, q in lay.background:
        question(q)
    scales = {}
    for block in lay.blocks:
        add("block_prompt", f"section_{block.section}", {lg: block_prompt(block, lg) for lg in ("en", "zh")})
        scales.setdefault(block.scale.name, block.scale)
        for r in block.rows:
            add("statement" if r.kind == "item" else "attention_check", r.id, r.text)
    for _, q in lay.closing:
        question(q)
    for name, sc in scales.items():
        for code in sc.codes:
            add("scale_label", f"scale:{name}={code}", {lg: sc.label(code, lg) for lg in ("en", "zh")})
    if any(r.na for r in lay.rows):
        add("not_applicable", f"not_applicable={spec.not_applicable.code}", spec.not_applicable.label)
    return pd.DataFrame(rows, columns=TRANSLATION_COLUMNS)


# --------------------------------------------------------------------------- Word tables


def _table_docx(title: str, note: str, df: pd.DataFrame, widths_cm: dict[str, float], landscape: bool = True):
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    from .questionnaire import _declare_cjk_font, _set_default_fonts, _set_fonts

    doc = docx.Document()
    sec = doc.sections[0]
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
    sec.left_margin = sec.right_margin = sec.top_margin = sec.bottom_margin = Cm(1.5)
    _set_fonts(doc.styles["Normal"], size=9)
    _set_default_fonts(doc)
    _declare_cjk_font(doc)
    p = doc.add_paragraph()
    r = p.add_run(title)
    r.font.bold = True
    r.font.size = Pt(13)
    doc.add_paragraph(note)
    cols = list(df.columns)
    table = doc.add_table(rows=1 + len(df), cols=len(cols))
    table.style = "Table Grid"
    table.autofit = False
    for j, c in enumerate(cols):
        cell = table.rows[0].cells[j]
        cell.width = Cm(widths_cm.get(c, 2.0))
        run = cell.paragraphs[0].add_run(c)
        run.font.bold = True
        run.font.size = Pt(8)
    for i, rec in enumerate(df.itertuples(index=False), start=1):
        cells = table.rows[i].cells
        for j, v in enumerate(rec):
            cells[j].width = Cm(widths_cm.get(cols[j], 2.0))
            run = cells[j].paragraphs[0].add_run("" if v is None else str(v))
            run.font.size = Pt(8)
    return doc


_ADAPT_NOTE = (
    "adopted: the original item's wording, translated; adapted: reworded for short-video platforms "
    "(the original is named); self-developed: written for this study. Cite the sources in the thesis "
    "and report every change made after the pilot. / adopted：沿用原题措辞（翻译）；adapted：针对短视频"
    "情境改写（注明原量表）；self-developed：为本研究自编。论文中须注明来源，并报告预调研后的所有修改。"
)
_TRANS_NOTE = (
    "Procedure (Brislin 1970): a bilingual translator who has not seen the English fills in "
    "back_translation from the Chinese column only; the research team lists the differences in meaning "
    "and records how each was resolved (and any rewording in the spec). / 程序：由未见过英文原文的双语译者"
    "仅根据中文列回译填写 back_translation；研究团队列出语义差异并记录处理方式（及对规格文件的修改）。"
)


def write_review(spec: ModelSpec, out_dir: str | Path, mechanism: str | None = None, lang: str = "both") -> list[Path]:
    """Write the item adaptation table and translation record (Excel, Word) per mechanism and the pilot guide.

    Returns
    -------
    list of Path
        ``item_adaptation_<m>.xlsx``, ``item_adaptation_<m>.docx``,
        ``translation_record_<m>.xlsx``, ``translation_record_<m>.docx`` per
        mechanism, then ``pilot_guide_<lang>.docx`` per language.
    """
    from openpyxl import Workbook

    langs = languages(lang)
    out_dir = Path(out_dir)
    paths = []
    for mech in spec.select(mechanism):
        ad = adaptation_table(spec, mech.id)
        wb = Workbook()
        wb.remove(wb.active)
        add_table_sheet(wb, "Adaptation", ad)
        paths.append(save_workbook(wb, out_dir / f"item_adaptation_{mech.id}.xlsx"))
        shown = ad[["construct", "item", "text_en", "text_zh", "adaptation", "source", "original"]]
        doc = _table_docx(
            f"Item adaptation table / 题项来源与改编表: {mech.id}",
            _ADAPT_NOTE,
            shown,
            {
                "construct": 1.6,
                "item": 1.4,
                "text_en": 6.5,
                "text_zh": 5.0,
                "adaptation": 2.2,
                "source": 5.5,
                "original": 4.5,
            },
        )
        paths.append(save_docx(doc, out_dir / f"item_adaptation_{mech.id}.docx"))
        tr = translation_record(spec, mech.id)
        wb = Workbook()
        wb.remove(wb.active)
        add_table_sheet(wb, "Translation", tr)
        paths.append(save_workbook(wb, out_dir / f"translation_record_{mech.id}.xlsx"))
        shown = tr[["variable", "text_en", "text_zh", "back_translation", "differences", "resolution"]]
        doc = _table_docx(
            f"Translation record / 翻译记录: {mech.id}",
            _TRANS_NOTE,
            shown,
            {
                "variable": 2.4,
                "text_en": 6.5,
                "text_zh": 5.5,
                "back_translation": 5.5,
                "differences": 3.5,
                "resolution": 3.3,
            },
        )
        paths.append(save_docx(doc, out_dir / f"translation_record_{mech.id}.docx"))
    for lg in langs:
        paths.append(save_docx(pilot_guide_docx(spec, lg), out_dir / f"pilot_guide_{lg}.docx"))
    return paths


# --------------------------------------------------------------------------- pilot guide

_GUIDE = {
    "en": {
        "title": "Pilot guide: {title}",
        "sections": [
            (
                "1. Cognitive interviews (before the pilot)",
                [
                    "Interview 5-10 people per questionnaire ({mechs}) from the population you will sample: "
                    "different platforms, ages and, for creators, follower bands and monetisation.",
                    "Let them answer aloud, then probe: What does this statement mean to you? What period did you "
                    "think of? How did you choose between two answers? Was any statement impossible to answer or "
                    "about two things at once? (Willis 2005)",
                    "Check the consent text, the screeners and the routing, the reference periods, the frequency "
                    "labels and every Chinese wording. Record each problem and each rewording in "
                    "translation_record and the spec, then run vcc model check again.",
                ],
            ),
            (
                "2. The pilot",
                [
                    "Field the survey the way the main study will run (same platform, same link, same logic), to "
                    "at least 30-50 respondents per questionnaire; 100 or more if you want an exploratory factor "
                    "analysis. Pilot respondents are not part of the main sample.",
                    "Test the logic first: a declined consent and each failing screener answer must end the "
                    "survey (see survey_logic_<mechanism>_<lang>.txt for Wenjuanxing and Qualtrics).",
                ],
            ),
            (
                "3. What to check with vcc validate",
                [
                    "Run: vcc validate pilot.xlsx --model SPEC.yaml --out pilot_report",
                    "Completion time (speeders), the attention checks' pass rate, straight-lining.",
                    "Per item: missing answers and 'Not applicable' answers (more than 10-15 % means many cannot "
                    "answer it: reword, add a filter or drop it), floor or ceiling effects (more than 15 % at an end "
                    "of the scale), the standard deviation.",
                    "Per construct: corrected item-total correlation (below .30 is weak), Cronbach's alpha and CR "
                    "(at least .70), standardised CFA loadings (below .50 is weak; .70 is the target), AVE (at least "
                    ".50), HTMT between constructs (below .85, or .90 for conceptually close constructs).",
                ],
            ),
            (
                "4. When to drop or reword an item",
                [
                    "Only when the statistics and the content agree: a weak loading or item-total correlation AND a "
                    "problem seen in the interviews (misread, double meaning, redundant with another item). Never "
                    "drop an item only to raise model fit.",
                    "Keep at least 3 items per reflective construct (the spec has 4-6 so you can drop the weakest) "
                    "and keep the construct's breadth. Formative constructs: do not drop by loadings or alpha; check "
                    "the indicators' VIF (below 3.3) and weights, and keep every facet the definition needs.",
                    "Record every change in the item adaptation table and the spec, then freeze the spec: its "
                    "sha256 is printed in the response template and in every report.",
                ],
            ),
        ],
    },
    "zh": {
        "title": "预调研指南：{title}",
        "sections": [
            (
                "1. 认知访谈（预调研之前）",
                [
                    "每份问卷（{mechs}）访谈 5-10 名目标总体中的受访者：覆盖不同平台、年龄；创作者还应覆盖不同粉丝量级和变现情况。",
                    "请受访者边想边答，再追问：这句话对您来说是什么意思？您想到的是哪段时间？您如何在两个选项之间做出选择？"
                    "是否有题目无法回答，或同时问了两件事？（Willis 2005）",
                    "检查知情同意文本、筛选题与分流、参照时间段、频率选项以及每一处中文措辞。将每个问题和每处改写记录在"
                    " translation_record 和规格文件中，然后重新运行 vcc model check。",
                ],
            ),
            (
                "2. 预调研",
                [
                    "按正式调查的方式发放（同一平台、同一链接、同一逻辑），每份问卷至少 30-50 份；如需探索性因子分析，"
                    "100 份以上。预调研样本不并入正式样本。",
                    "先测试逻辑：拒绝知情同意以及每个不符合条件的筛选答案都必须结束作答（问卷星与 Qualtrics 的设置见 "
                    "survey_logic_<机制>_<语言>.txt）。",
                ],
            ),
            (
                "3. 用 vcc validate 检查什么",
                [
                    "运行：vcc validate pilot.xlsx --model SPEC.yaml --out pilot_report",
                    "作答时间（过快作答）、注意力检测题的通过率、直线作答。",
                    "逐题：缺失与“不适用”的比例（超过 10-15% 说明许多人无法回答：应改写、加过滤题或删除）、"
                    "地板或天花板效应（量表一端超过 15%）、标准差。",
                    "逐构念：校正的题项-总分相关（低于 .30 偏弱）、Cronbach's α 与组合信度 CR（至少 .70）、"
                    "CFA 标准化载荷（低于 .50 偏弱，目标 .70）、AVE（至少 .50）、构念间 HTMT（低于 .85；概念相近时低于 .90）。",
                ],
            ),
            (
                "4. 何时删除或改写题项",
                [
                    "只有统计结果与内容判断一致时才删除：载荷或题项-总分相关偏低，且访谈中发现问题（误读、歧义、与其他题重复）。"
                    "不要仅为了提高模型拟合而删题。",
                    "每个反映型构念至少保留 3 题（规格中每个构念有 4-6 题，可删去最弱的题），并保持构念的内容广度。"
                    "形成型构念不按载荷或 α 删题，而应检查指标的 VIF（低于 3.3）与权重，并保留定义所需的每个方面。",
                    "将每处修改记录在题项来源与改编表和规格文件中，然后冻结规格文件：其 sha256 会印在数据录入模板和每份报告中。",
                ],
            ),
        ],
    },
}


def pilot_guide_docx(spec: ModelSpec, lang: str = "en"):
    """The one-page pilot guide in one language (``en`` or ``zh``) as a python-docx ``Document``."""
    import docx
    from docx.shared import Cm, Pt

    from .questionnaire import _declare_cjk_font, _set_default_fonts, _set_fonts

    if lang not in ("en", "zh"):
        languages(lang)
        from .errors import InputError

        raise InputError(f"lang={lang!r}: the pilot guide is written in one language; expected en or zh")
    g = _GUIDE[lang]
    doc = docx.Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(1.8)
    sec.top_margin = sec.bottom_margin = Cm(1.5)
    _set_fonts(doc.styles["Normal"], size=9.5)
    _set_default_fonts(doc)
    _declare_cjk_font(doc)
    p = doc.add_paragraph()
    r = p.add_run(g["title"].format(title=spec.title.get(lang, spec.name)))
    r.font.bold = True
    r.font.size = Pt(13)
    mechs = ", ".join(spec.mechanisms)
    for head, paras in g["sections"]:
        hp = doc.add_paragraph()
        hp.paragraph_format.space_before = Pt(4)
        hp.paragraph_format.space_after = Pt(1)
        hr = hp.add_run(head)
        hr.font.bold = True
        for text in paras:
            bp = doc.add_paragraph(style="List Bullet")
            bp.paragraph_format.space_after = Pt(1)
            bp.add_run(text.format(mechs=mechs))
    return doc
