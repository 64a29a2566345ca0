"""The survey logic a text import cannot carry: what to set after importing into Wenjuanxing or Qualtrics.

Wenjuanxing's text import and Qualtrics' Advanced Format TXT hold questions,
choices and matrices but no logic. :func:`logic_rules` lists every rule the
spec implies, for one mechanism, with the question numbers each platform
gives it; :func:`write_logic` writes them as ``survey_logic_<mechanism>_<lang>.txt``
beside the import files. The XLSForm carries the same rules itself
(``relevant``, ``constraint``), except randomisation, which ODK cannot do.

The rules:

* ``end_survey``: a consent or screener answer outside ``continue_if`` ends
  the survey (Wenjuanxing: 跳题逻辑, choose 结束作答 for those options;
  Qualtrics: Survey Flow, a Branch on those answers followed by End of Survey);
* ``ask_if``: a question shown only after some answers (Wenjuanxing: 关联逻辑 /
  显示逻辑; Qualtrics: Display Logic);
* ``specify``: the "please specify" box shown only when its choice is chosen
  (as ``ask_if``);
* ``randomize``: a block whose rows are shown in random order (Wenjuanxing:
  the matrix's 行随机 / 选项随机; Qualtrics: the matrix's Randomization >
  Randomize the order of all statements);
* ``not_applicable``: a block with a "not applicable" column whose score must
  be the spec's N/A code (Wenjuanxing scores it ``k + 1`` by default; the
  Qualtrics recode value is already the code);
* ``range``: a number question with bounds (Wenjuanxing: 填空题 > 数字 with a
  minimum and maximum; Qualtrics: Validation > Content Validation > Number
  with a range).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._layout import languages, layout, range_text
from .outputs import write_text
from .spec import ModelSpec, specify_id
from .wenjuanxing import wenjuanxing_numbers

__all__ = ["LOGIC_COLUMNS", "logic_rules", "logic_text", "write_logic"]

#: Columns of :func:`logic_rules`, in order.
LOGIC_COLUMNS = ["kind", "variable", "number", "wenjuanxing_number", "qualtrics_id", "rule_en", "rule_zh"]


def _labels(q, codes, lang: str) -> str:
    sep = " / " if lang == "en" else "、"
    return sep.join(f"{c} “{ch.label.get(lang, '')}”" for c in codes for ch in q.choices if ch.code == c)


def logic_rules(spec: ModelSpec, mechanism: str) -> pd.DataFrame:
    """Every logic rule of one mechanism's questionnaire.

    Returns
    -------
    pandas.DataFrame
        One row per rule, columns:

        - ``kind``: ``end_survey``, ``ask_if``, ``specify``, ``randomize``,
          ``not_applicable`` or ``range``
        - ``variable``: the question id (``section_<n>`` for a block)
        - ``number``: its number in the printed questionnaire (a block: its
          first row's number)
        - ``wenjuanxing_number``: its number in the Wenjuanxing import
        - ``qualtrics_id``: its ``[[ID:...]]`` in the Qualtrics import
        - ``rule_en``, ``rule_zh``: the rule in words
    """
    lay = layout(spec, mechanism)
    mid = lay.mechanism.id
    wjx = wenjuanxing_numbers(spec, mid)
    numbers = lay.number_of
    rows = []

    def add(kind, var, number, qid, en, zh):
        rows.append(
            {
                "kind": kind,
                "variable": var,
                "number": number,
                "wenjuanxing_number": wjx.get(var, ""),
                "qualtrics_id": qid,
                "rule_en": en,
                "rule_zh": zh,
            }
        )

    for number, q in lay.questions:
        ends = q.ends_for(mid)
        if ends:
            add(
                "end_survey",
                q.id,
                number,
                q.id,
                f"Question {number} ({q.id}): answering {_labels(q, ends, 'en')} ends the survey.",
                f"第{number}题（{q.id}）：选择{_labels(q, ends, 'zh')}时结束作答。",
            )
        if q.ask_if is not None:
            src = q.ask_if.question
            add(
                "ask_if",
                q.id,
                number,
                q.id,
                f"Question {number} ({q.id}): show only if question {numbers[src]} ({src}) is answered "
                f"{_labels(_q(lay, src), q.ask_if.answers, 'en')}.",
                f"第{number}题（{q.id}）：仅当第{numbers[src]}题（{src}）选择"
                f"{_labels(_q(lay, src), q.ask_if.answers, 'zh')}时显示。",
            )
        for ch in q.specify_choices:
            v = specify_id(q, ch)
            add(
                "specify",
                v,
                number,
                v,
                f"Text box {v}: show only if question {number} ({q.id}) is answered {_labels(q, [ch.code], 'en')}.",
                f"填空 {v}：仅当第{number}题（{q.id}）选择{_labels(q, [ch.code], 'zh')}时显示。",
            )
        if range_text(q, "en"):
            add(
                "range",
                q.id,
                number,
                q.id,
                f"Question {number} ({q.id}): accept a whole number {range_text(q, 'en')}.",
                f"第{number}题（{q.id}）：只接受 {range_text(q, 'zh')} 的整数。",
            )
    na = spec.not_applicable
    for block in lay.blocks:
        var = f"section_{block.section}"
        first = block.rows[0].number
        if block.construct.randomize:
            add(
                "randomize",
                var,
                first,
                var,
                f"Section {block.section} (questions {first}-{block.rows[-1].number}): show the rows in random order.",
                f"第{block.section}部分（第{first}-{block.rows[-1].number}题）：矩阵各行随机排序。",
            )
        if block.has_na:
            mixed = (
                ""
                if all(r.na for r in block.rows)
                else (" Only these rows offer it: " + ", ".join(r.id for r in block.rows if r.na) + ".")
            )
            add(
                "not_applicable",
                var,
                first,
                var,
                f"Section {block.section}: the column “{na.label['en']}” is scored {na.code} (not a scale "
                f"point; read as missing and counted).{mixed}",
                f"第{block.section}部分：“{na.label['zh']}”一列计分为 {na.code}（不是量表分值；录入时视为缺失并计数）。"
                + (f"仅 {', '.join(r.id for r in block.rows if r.na)} 可选该项。" if mixed else ""),
            )
    return pd.DataFrame(rows, columns=LOGIC_COLUMNS)


def _q(lay, qid):
    return next(q for _, q in lay.questions if q.id == qid)


_HEAD = {
    "en": {
        "title": "Survey logic to set after importing: {title} ({mid})",
        "intro": (
            "The Wenjuanxing text import and the Qualtrics TXT import carry the questions only. Set "
            "these rules on the platform after importing, then test the survey with a few answers "
            "that should end it and a few that should not. (The XLSForm carries the rules itself, "
            "except row randomisation, which ODK cannot do.)"
        ),
        "none": "This questionnaire needs no logic.",
        "printed": "printed questionnaire",
        "wjx": "Wenjuanxing question",
        "qualtrics": "Qualtrics ID",
        "how": {
            "end_survey": "Wenjuanxing: 跳题逻辑 > 结束作答 for these options. Qualtrics: Survey Flow > Branch "
            "on these answers > End of Survey.",
            "ask_if": "Wenjuanxing: 关联逻辑 (display logic). Qualtrics: Display Logic on the question.",
            "specify": "Wenjuanxing: 关联逻辑 on the text box, or 选项后加填空框 on the option. Qualtrics: "
            "Display Logic, or Allow text entry on the choice.",
            "randomize": "Wenjuanxing: the matrix's 行随机. Qualtrics: the matrix's Randomization > Randomize "
            "the order of all statements.",
            "not_applicable": "Wenjuanxing: set the column's score (分值). Qualtrics: the recode value is already set.",
            "range": "Wenjuanxing: 填空题 > 数字, 最小值/最大值. Qualtrics: Add Validation > Content Validation "
            "> Number, with the range.",
        },
    },
    "zh": {
        "title": "导入后需设置的问卷逻辑：{title}（{mid}）",
        "intro": (
            "问卷星文本导入与 Qualtrics TXT 导入只包含题目本身。导入后请在平台上设置以下逻辑，"
            "然后分别用应结束作答和不应结束作答的选项试填几次。（XLSForm 已包含这些逻辑，"
            "但 ODK 无法随机排列题目顺序。）"
        ),
        "none": "本问卷无需设置逻辑。",
        "printed": "纸质问卷题号",
        "wjx": "问卷星题号",
        "qualtrics": "Qualtrics ID",
        "how": {
            "end_survey": "问卷星：跳题逻辑 > 对这些选项选择“结束作答”。Qualtrics：Survey Flow > 对这些答案设 "
            "Branch > End of Survey。",
            "ask_if": "问卷星：关联逻辑（显示逻辑）。Qualtrics：题目的 Display Logic。",
            "specify": "问卷星：对填空题设关联逻辑，或在该选项后加填空框。Qualtrics：Display Logic，或对该选项启用 "
            "Allow text entry。",
            "randomize": "问卷星：矩阵题设置“行随机”。Qualtrics：矩阵题 Randomization > Randomize the order of "
            "all statements。",
            "not_applicable": "问卷星：设置该列的分值。Qualtrics：编码值已设好。",
            "range": "问卷星：填空题 > 数字，设置最小值/最大值。Qualtrics：Add Validation > Content Validation > "
            "Number，填写范围。",
        },
    },
}


def logic_text(spec: ModelSpec, mechanism: str, lang: str = "en") -> str:
    """The logic notes of one mechanism in one language (``en`` or ``zh``) as plain text."""
    if lang not in ("en", "zh"):
        languages(lang)
        from .errors import InputError

        raise InputError(f"lang={lang!r}: the survey logic notes hold one language; expected en or zh")
    h = _HEAD[lang]
    lay = layout(spec, mechanism)
    rules = logic_rules(spec, mechanism)
    out = [h["title"].format(title=lay.title(lang), mid=lay.mechanism.id), "", h["intro"], ""]
    if rules.empty:
        out.append(h["none"])
    for kind, grp in rules.groupby("kind", sort=False):
        out += [f"## {kind}", h["how"][kind], ""]
        for r in grp.itertuples(index=False):
            out.append(
                f"- {r.rule_en if lang == 'en' else r.rule_zh}  [{h['printed']} {r.number}; "
                f"{h['wjx']} {r.wenjuanxing_number}; {h['qualtrics']} {r.qualtrics_id}]"
            )
        out.append("")
    return "\n".join(out)


def write_logic(spec: ModelSpec, out_dir: str | Path, mechanism: str | None = None, lang: str = "both") -> list[Path]:
    """Write ``survey_logic_<mechanism>_<lang>.txt`` per mechanism and language; returns the paths."""
    paths = []
    for mech in spec.select(mechanism):
        for lg in languages(lang):
            paths.append(write_text(Path(out_dir) / f"survey_logic_{mech.id}_{lg}.txt", logic_text(spec, mech.id, lg)))
    return paths
