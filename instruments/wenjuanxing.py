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
"""

from __future__ import annotations

import re
from pathlib import Path

from ._layout import languages, layout, ui
from .errors import InputError
from .outputs import write_text
from .spec import ModelSpec

__all__ = ["wenjuanxing_text", "write_wenjuanxing"]


def _clean(s: str) -> str:
    s = re.sub(r"\s*[\r\n]+\s*", " ", s).strip()
    return s.replace("[", "［").replace("]", "］")


def wenjuanxing_text(spec: ModelSpec, mechanism: str, lang: str = "zh") -> str:
    """The Wenjuanxing import text of one mechanism in one language (``en`` or ``zh``)."""
    if lang not in ("en", "zh"):
        languages(lang)  # an unknown value: InputError
        raise InputError(f"lang={lang!r}: the Wenjuanxing text holds one language; expected en or zh")
    lay = layout(spec, mechanism)
    sc = spec.scale
    lines = [_clean(lay.title(lang)), _clean(lay.instructions(lang)), ""]
    n = 0
    for _, q in lay.background:
        n += 1
        tag = {"single": "[单选题]", "multiple": "[多选题]"}.get(q.type, "[填空题]")
        lines.append(f"{n}. {_clean(q.text.get(lang, q.text.get('en', '')))}{tag}")
        for ch in q.choices:
            lines.append(_clean(ch.label.get(lang, ch.label.get("en", ""))))
        lines.append("")
    labels = [re.sub(r"\s+", "-", _clean(sc.label(c, lang))) for c in sc.codes]
    for block in lay.blocks:
        n += 1
        stem = f"{ui('section', lang, n=block.section)}: {ui('matrix_prompt', lang)}"
        if lang == "zh":
            stem = f"{ui('section', lang, n=block.section)}：{ui('matrix_prompt', lang)}"
        lines.append(f"{n}. {_clean(stem)}[矩阵量表题]")
        lines.append(" ".join(labels))
        for r in block.rows:
            lines.append(_clean(r.text.get(lang, r.text.get("en", ""))))
        lines.append("")
    return "\n".join(lines)


def write_wenjuanxing(spec: ModelSpec, out_dir: str | Path, mechanism: str | None = None,
                      lang: str = "both") -> list[Path]:
    """Write ``wenjuanxing_<mechanism>_<lang>.txt`` (UTF-8) per mechanism and language; returns the paths."""
    paths = []
    for mech in spec.select(mechanism):
        for lg in languages(lang):
            paths.append(write_text(Path(out_dir) / f"wenjuanxing_{mech.id}_{lg}.txt",
                                    wenjuanxing_text(spec, mech.id, lg)))
    return paths
