"""Qualtrics Advanced Format TXT import: ``qualtrics_<mechanism>_<lang>.txt``.

Import with Survey > Tools > Import/Export > Import Survey. The Advanced
Format has no translations, so one file is written per language (add the other
language with Qualtrics' Translate Survey, or import the two files as two
surveys). Layout (the same blocks as the printed questionnaire, see
:mod:`instruments._layout`):

* ``[[AdvancedFormat]]``, then ``[[Block:Background]]`` with a descriptive
  text (``[[Question:DB]]``, the title and instructions) and the background
  questions: ``[[Question:MC:SingleAnswer:Vertical]]`` (or
  ``MC:MultipleAnswer:Vertical``; ``TE:SingleLine`` for text and number
  questions) with ``[[ID:<question id>]]`` and ``[[AdvancedChoices]]`` /
  ``[[Choice:<code>]]`` so the recode values are the spec's codes;
* for each item block, ``[[PageBreak]]``, ``[[Block:Section n]]`` and one
  ``[[Question:Matrix]]`` with ``[[ID:section_n]]``, the statements under
  ``[[Choices]]`` (the attention check is one of them, where it sits) and the
  scale points under ``[[AdvancedAnswers]]`` as ``[[Answer:<code>]]``.

Qualtrics exports a matrix row as column ``section_n_<row>``; the codebook's
order within each block maps rows to item ids.

The consent text opens the consent question (``[[ID:consent]]``); screeners and
the closing background questions are multiple-choice questions like the
others; an "other, please specify" choice is followed by a ``TE:SingleLine``
question ``<question>_other``; a block on another scale (frequency) has that
scale's answers and its reference period in the question text; a block with
"not applicable" has one more answer ``[[Answer:<N/A code>]]``. The Advanced
Format has no logic, so ending the survey (Survey Flow: Branch -> End of
Survey), display logic, the specify boxes' display logic and "Randomize the
order of statements" are listed in ``survey_logic_<mechanism>_<lang>.txt``
(:mod:`instruments.logic`): set them after the import. Question text in Qualtrics is
HTML, so spec texts are HTML-escaped, ``[`` is written as ``&#91;`` (a text
can never open a ``[[tag]]``) and line breaks become ``<br>``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from ._layout import block_prompt, languages, layout, question_text, ui
from .errors import InputError
from .outputs import write_text
from .spec import ModelSpec, specify_id

__all__ = ["qualtrics_text", "write_qualtrics"]


def _q(s: str) -> str:
    s = html.escape(s.strip(), quote=False).replace("[", "&#91;").replace("]", "&#93;")
    return re.sub(r"\s*\r?\n\s*", "<br>", s)


def qualtrics_text(spec: ModelSpec, mechanism: str, lang: str = "en") -> str:
    """The Qualtrics Advanced Format TXT of one mechanism in one language (``en`` or ``zh``)."""
    if lang not in ("en", "zh"):
        languages(lang)  # an unknown value: InputError
        raise InputError(f"lang={lang!r}: a Qualtrics TXT file holds one language; expected en or zh")
    lay = layout(spec, mechanism)

    def t(text: dict[str, str]) -> str:
        return _q(text.get(lang, text.get("en", "")))

    out = ["[[AdvancedFormat]]", ""]
    out += [
        "[[Block:Background]]",
        "",
        "[[Question:DB]]",
        "[[ID:intro]]",
        f"<b>{_q(lay.title(lang))}</b><br><br>{_q(lay.instructions(lang))}",
        "",
    ]

    def question(q) -> None:
        nonlocal out
        kind = {"single": "MC:SingleAnswer:Vertical", "multiple": "MC:MultipleAnswer:Vertical"}.get(
            q.type, "TE:SingleLine"
        )
        stem = t(question_text(lay, q))
        if q.section == "consent":
            stem = t(spec.consent.text) + "<br><br>" + stem
        out += [f"[[Question:{kind}]]", f"[[ID:{q.id}]]", stem]
        if q.choices:
            out.append("[[AdvancedChoices]]")
            for ch in q.choices:
                out += [f"[[Choice:{ch.code}]]", t(ch.label)]
        out.append("")
        for ch in q.specify_choices:
            out += [
                "[[Question:TE:SingleLine]]",
                f"[[ID:{specify_id(q, ch)}]]",
                _q(ui("specify_q", lang, label=ch.label.get(lang, ""))),
                "",
            ]

    for _, q in lay.background:
        question(q)
    na = spec.not_applicable
    for block in lay.blocks:
        bsc = block.scale or spec.scale
        out += [
            "[[PageBreak]]",
            "",
            f"[[Block:Section {block.section}]]",
            "",
            "[[Question:Matrix]]",
            f"[[ID:section_{block.section}]]",
            _q(block_prompt(block, lang)),
            "[[Choices]]",
        ]
        out += [t(r.text) for r in block.rows]
        out.append("[[AdvancedAnswers]]")
        for code in bsc.codes:
            out += [f"[[Answer:{code}]]", _q(bsc.label(code, lang))]
        if block.has_na:
            out += [f"[[Answer:{na.code}]]", t(na.label)]
        out.append("")
    if lay.closing:
        out += ["[[PageBreak]]", "", "[[Block:Closing]]", ""]
        for _, q in lay.closing:
            question(q)
    return "\n".join(out)


def write_qualtrics(
    spec: ModelSpec, out_dir: str | Path, mechanism: str | None = None, lang: str = "both"
) -> list[Path]:
    """Write ``qualtrics_<mechanism>_<lang>.txt`` per mechanism and language; returns the paths."""
    paths = []
    for mech in spec.select(mechanism):
        for lg in languages(lang):
            paths.append(write_text(Path(out_dir) / f"qualtrics_{mech.id}_{lg}.txt", qualtrics_text(spec, mech.id, lg)))
    return paths
