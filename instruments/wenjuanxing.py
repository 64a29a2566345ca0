"""Wenjuanxing (问卷星, wjx.cn) text import: ``wenjuanxing_<mechanism>_<lang>.txt``.

Paste the file into Wenjuanxing's "批量导入题目 / 文本导入" box (or upload
it). No official grammar is published; the syntax followed is the widely used
convention: the type tags ``[单选题]``, ``[多选题]``, ``[填空题]``,
``[矩阵量表题]`` are those recognised by Wenjuanxing's text-import page script,
and the matrix layout (a line of space-separated column labels, then one row
per line) is the one documented for Wenjuanxing's text format in its API SDK
(``wjx-api-sdk`` / ``wjx-cli``, "矩阵题格式：第一行为空格分隔的列头，后续每行为一个行标题"):

* line 1: the questionnaire title; line 2: the description (instructions);
  a blank line;
* each question: ``n. 题干[题型]`` on one line, then its options one per line,
  then a blank line;
* single-choice background question: ``[单选题]`` and one option per line;
  multiple choice: ``[多选题]``; text or number: ``[填空题]`` without options;
* each item block (one construct, as in the printed questionnaire, see
  :mod:`instruments._layout`) is one matrix-scale question
  ``n. 题干[矩阵量表题]``: the next line holds the scale labels separated by
  single spaces (the matrix columns), then one row statement per line. The
  attention check is a row of the block it sits in.

Decisions and caveats (check after import):

* In the English file, a scale label containing spaces has them replaced by
  ``-`` ("Strongly-disagree"), because the column line is split on spaces.
* Wenjuanxing scores matrix-scale columns 1..k by default; when the spec's scale
  does not start at 1, set the scores to the spec's codes after import.
* Wenjuanxing numbers a matrix as one question, so its numbers differ from the
  printed questionnaire's; its export names the rows ``n(row text)``: map them
  to item ids in row order with the codebook.
* Square brackets in spec texts become full-width ``［］`` and line breaks become
  spaces, so a text can never be read as a type tag or a new question.
* The consent text opens the consent question's stem; an "other, please
  specify" choice is followed by a ``[填空题]`` question for the text.
* A block on another scale (frequency) has that scale's labels as its columns
  and the reference period in its stem; a block with "not applicable" has one
  more column with that label (Wenjuanxing scores it ``k + 1``, which is the
  spec's N/A code by default).
* The text format carries no logic: ending the survey on a consent or screener
  answer (跳题逻辑 -> 结束作答), asking a question only after some answers
  (显示逻辑), the specify boxes, row randomisation (行随机) and the N/A score
  are listed, by this file's question numbers, in
  ``survey_logic_<mechanism>_<lang>.txt`` (:mod:`instruments.logic`): set them
  after the import.
"""

from __future__ import annotations

import re
from pathlib import Path

from ._layout import block_prompt, languages, layout, question_text, ui
from .errors import InputError
from .outputs import write_text
from .spec import ModelSpec, specify_id

__all__ = ["wenjuanxing_numbers", "wenjuanxing_text", "write_wenjuanxing"]


def _clean(s: str) -> str:
    s = re.sub(r"\s*[\r\n]+\s*", " ", s).strip()
    return s.replace("[", "［").replace("]", "］")


def wenjuanxing_text(spec: ModelSpec, mechanism: str, lang: str = "zh") -> str:
    """The Wenjuanxing import text of one mechanism in one language (``en`` or ``zh``)."""
    if lang not in ("en", "zh"):
        languages(lang)  # an unknown value: InputError
        raise InputError(f"lang={lang!r}: the Wenjuanxing text holds one language; expected en or zh")
    return _build(spec, mechanism, lang)[0]


def wenjuanxing_numbers(spec: ModelSpec, mechanism: str) -> dict[str, int]:
    """Wenjuanxing question number of each question id, specify box and block (``section_<n>``)."""
    return _build(spec, mechanism, "zh")[1]


def _build(spec: ModelSpec, mechanism: str, lang: str) -> tuple[str, dict[str, int]]:
    lay = layout(spec, mechanism)
    lines = [_clean(lay.title(lang)), _clean(lay.instructions(lang)), ""]
    numbers: dict[str, int] = {}
    n = 0

    def question(q) -> None:
        nonlocal n
        n += 1
        numbers[q.id] = n
        tag = {"single": "[单选题]", "multiple": "[多选题]"}.get(q.type, "[填空题]")
        stem = _clean(question_text(lay, q).get(lang, q.text.get("en", "")))
        if q.section == "consent":
            stem = _clean(spec.consent.text.get(lang, "")) + " " + stem
        lines.append(f"{n}. {stem}{tag}")
        for ch in q.choices:
            lines.append(_clean(ch.label.get(lang, ch.label.get("en", ""))))
        lines.append("")
        for ch in q.specify_choices:
            n += 1
            numbers[specify_id(q, ch)] = n
            lines.append(f"{n}. {_clean(ui('specify_q', lang, label=ch.label.get(lang, '')))}[填空题]")
            lines.append("")

    for _, q in lay.background:
        question(q)
    na = spec.not_applicable
    for block in lay.blocks:
        n += 1
        numbers[f"section_{block.section}"] = n
        sep = "：" if lang == "zh" else ": "
        stem = f"{ui('section', lang, n=block.section)}{sep}{block_prompt(block, lang)}"
        lines.append(f"{n}. {_clean(stem)}[矩阵量表题]")
        bsc = block.scale or spec.scale
        labels = [re.sub(r"\s+", "-", _clean(bsc.label(c, lang))) for c in bsc.codes]
        if block.has_na:
            labels.append(re.sub(r"\s+", "-", _clean(na.label.get(lang, ""))))
        lines.append(" ".join(labels))
        for r in block.rows:
            lines.append(_clean(r.text.get(lang, r.text.get("en", ""))))
        lines.append("")
    for _, q in lay.closing:
        question(q)
    return "\n".join(lines), numbers


def write_wenjuanxing(
    spec: ModelSpec, out_dir: str | Path, mechanism: str | None = None, lang: str = "both"
) -> list[Path]:
    """Write ``wenjuanxing_<mechanism>_<lang>.txt`` (UTF-8) per mechanism and language; returns the paths."""
    paths = []
    for mech in spec.select(mechanism):
        for lg in languages(lang):
            paths.append(
                write_text(Path(out_dir) / f"wenjuanxing_{mech.id}_{lg}.txt", wenjuanxing_text(spec, mech.id, lg))
            )
    return paths
