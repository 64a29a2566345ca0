"""The one questionnaire layout every instrument format is written from.

Every writer (HTML, Word, XLSForm, Wenjuanxing, Qualtrics, codebook, response
template) asks :func:`layout` for the order of the questions, so a question's
number on paper, its row in the codebook and its column in the response
template always agree.

The layout rules:

* The consent text and question come first (when the spec has ``consent``),
  then the screeners (shared, then the mechanism's own), then the background
  questions with ``position: start`` (shared, then the mechanism's own): all
  in section 1. A consent or screener answer outside ``continue_if`` ends the
  survey; a question with ``ask_if`` is asked only after the answers named.
  The platform question (``role: group``) frames every later answer, so it is
  asked before the statements.
* The items follow, one block (one matrix table) per construct. Blocks
  are grouped by stage in the order of :data:`instruments.spec.STAGES`
  (driver, proposition, activity, outcome); within a stage, and within a
  block, the spec's order is kept. Printed questionnaires are never shuffled;
  a block with ``randomize: items`` is shuffled by the platforms that can.
* The attention checks of the mechanism are spread evenly through the items
  of the blocks on the spec's own scale (a check names a label of that scale):
  with ``n`` checks and ``N`` such items, check ``k`` comes right after item
  ``max(1, floor(k * N / (n + 1)))`` (for one check: after item ``N // 2``, in
  the middle), as a row of the block that item belongs to.
* Background questions with ``position: end`` (demographics) come last, in a
  section after the item blocks.
* An "other, please specify" choice adds a text variable right after its
  question (:func:`instruments.spec.specify_id`).
* Respondents never see construct names, stages or reverse flags: blocks are
  headed "Section 2", "Section 3", ... only.
* Questions are numbered 1, 2, ... through the whole questionnaire
  (background questions included); the codebook's ``position`` column is this
  number.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .errors import InputError
from .spec import (
    STAGES,
    AttentionCheck,
    BackgroundQuestion,
    Construct,
    Item,
    Mechanism,
    ModelSpec,
    Scale,
    specify_id,
)

__all__ = [
    "FIXED_TIME",
    "LANG_OPTIONS",
    "UI",
    "Block",
    "Layout",
    "Row",
    "block_prompt",
    "languages",
    "layout",
    "question_columns",
    "save_docx",
    "save_workbook",
    "scale_label_text",
    "ui",
]

#: Values accepted by the ``lang`` argument of the writers.
LANG_OPTIONS = ("en", "zh", "both")

#: The fixed creation/modification time written into every generated workbook and
#: document, so regenerating from the same spec gives the same file.
FIXED_TIME = datetime(2024, 1, 1, 0, 0, 0)

#: Respondent-facing fixed texts, in both languages.
UI: dict[str, dict[str, str]] = {
    "background": {"en": "About you", "zh": "基本信息"},
    "section": {"en": "Section {n}", "zh": "第{n}部分"},
    "no": {"en": "No.", "zh": "题号"},
    "statement": {"en": "Statement", "zh": "题目"},
    "instructions_default": {
        "en": (
            "Please read each statement and indicate how much you agree with it, "
            "thinking about your own use of short-video platforms. There are no right or "
            "wrong answers. Your answers are anonymous and used for research only."
        ),
        "zh": "请阅读每一项陈述，并根据您使用短视频平台的实际情况，选择您对该陈述的同意程度。"
        "答案没有对错之分。本问卷匿名填写，所得数据仅用于学术研究。",
    },
    "matrix_prompt": {
        "en": "How much do you agree with each statement? Choose one answer per row.",
        "zh": "您在多大程度上同意以下各项陈述？每行选择一个答案。",
    },
    "matrix_prompt_period": {
        "en": "Thinking of {period}, how much do you agree with each statement? Choose one answer per row.",
        "zh": "请回想{period}的情况，您在多大程度上同意以下各项陈述？每行选择一个答案。",
    },
    "frequency_prompt": {
        "en": "In {period}, how often did you do each of the following? Choose one answer per row.",
        "zh": "在{period}里，您做以下各项的频率如何？每行选择一个答案。",
    },
    "other_prompt": {"en": "Choose one answer per row.", "zh": "每行选择一个答案。"},
    "consent": {"en": "Information and consent", "zh": "知情同意"},
    "screening": {"en": "Screening questions", "zh": "筛选题"},
    "closing": {"en": "About you", "zh": "个人信息"},
    "ends": {"en": "the survey ends", "zh": "问卷结束"},
    "ask_if": {"en": "Answer only if you chose {answers} in question {n}.", "zh": "仅当第{n}题选择了{answers}时作答。"},
    "specify": {"en": "please specify", "zh": "请注明"},
    "specify_q": {"en": "{label}: please specify", "zh": "{label}：请注明"},
    "na_note": {"en": '"{label}" is offered only where it is shown.', "zh": "仅在列出“{label}”的题目中可选择该项。"},
    "screened_out": {
        "en": "Thank you. This survey is for other respondents, so it ends here.",
        "zh": "感谢您的参与。本问卷面向其他受访者，问卷到此结束。",
    },
    "paper_matrix": {
        "en": "Circle one number in each row.",
        "zh": "请在每一行圈选一个数字。",
    },
    "paper_single": {"en": "Tick one box.", "zh": "请勾选一项。"},
    "paper_multiple": {"en": "Tick all that apply.", "zh": "可多选。"},
    "paper_text": {"en": "Please write your answer.", "zh": "请填写。"},
    "respondent": {"en": "Who should answer: {who}", "zh": "调查对象：{who}"},
    "thanks": {"en": "Thank you for your participation!", "zh": "问卷到此结束，感谢您的参与！"},
}


def ui(key: str, lang: str, **fmt) -> str:
    """A fixed respondent-facing text in ``lang`` (``en`` or ``zh``)."""
    return UI[key][lang].format(**fmt)


def languages(lang: str) -> list[str]:
    """The single languages a ``lang`` option stands for (``both`` -> ``en``, ``zh``).

    Raises
    ------
    InputError
        If ``lang`` is not one of ``en``, ``zh``, ``both``.
    """
    if lang not in LANG_OPTIONS:
        raise InputError(f"lang={lang!r} is not supported; expected one of {', '.join(LANG_OPTIONS)}")
    return ["en", "zh"] if lang == "both" else [lang]


@dataclass(frozen=True)
class Row:
    """One row of an item matrix: a Likert item or an attention check."""

    id: str
    text: dict[str, str]
    number: int
    kind: str  # "item" | "attention_check"
    item: Item | None = None
    check: AttentionCheck | None = None
    na: bool = False  # the row offers "not applicable"


@dataclass(frozen=True)
class Block:
    """One matrix table: the items of one construct (plus any attention check placed there)."""

    section: int  # the respondent-facing section number (background is section 1)
    construct: Construct
    rows: tuple[Row, ...]
    scale: Scale | None = None  # the scale the rows are answered on

    @property
    def has_na(self) -> bool:
        return any(r.na for r in self.rows)


@dataclass(frozen=True)
class Layout:
    """The questionnaire of one mechanism, in the order respondents see it."""

    spec: ModelSpec
    mechanism: Mechanism
    background: tuple[tuple[int, BackgroundQuestion], ...]  # section 1: consent, screeners, start questions
    blocks: tuple[Block, ...]
    closing: tuple[tuple[int, BackgroundQuestion], ...] = ()  # background questions with position: end

    @property
    def rows(self) -> list[Row]:
        return [r for b in self.blocks for r in b.rows]

    @property
    def questions(self) -> list[tuple[int, BackgroundQuestion]]:
        """Every coded question outside the item matrix (section 1 and the closing section)."""
        return list(self.background) + list(self.closing)

    @property
    def closing_section(self) -> int:
        return (self.blocks[-1].section if self.blocks else 1) + 1

    @property
    def number_of(self) -> dict[str, int]:
        """Question number of each question id."""
        return {q.id: n for n, q in self.questions}

    @property
    def columns(self) -> list[str]:
        """Variable names in questionnaire order: section 1, then items and checks, then closing questions.

        An "other, please specify" text variable follows its question.
        """
        return (
            question_columns(q for _, q in self.background)
            + [r.id for r in self.rows]
            + question_columns(q for _, q in self.closing)
        )

    def title(self, lang: str) -> str:
        return self.spec.title.get(lang) or self.spec.title.get("en", self.spec.name)

    def instructions(self, lang: str) -> str:
        ins = self.mechanism.instructions
        return ins[lang] if ins and lang in ins else ui("instructions_default", lang)

    def respondent(self, lang: str) -> str | None:
        r = self.mechanism.respondent
        return r.get(lang) if r else None


def _stage_rank(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)


def layout(spec: ModelSpec, mechanism: Mechanism | str) -> Layout:
    """Lay out the questionnaire of one mechanism (see the module notes for the rules).

    Parameters
    ----------
    spec : ModelSpec
    mechanism : Mechanism or str
        The mechanism or its id.

    Returns
    -------
    Layout
    """
    mech = spec.mechanism(mechanism) if isinstance(mechanism, str) else mechanism
    # a second-order construct has no items of its own: its dimensions are asked
    constructs = sorted(
        (c for c in mech.constructs.values() if not c.second_order), key=lambda c: _stage_rank(c.stage)
    )  # stable
    asked = spec.questions_for(mech.id)
    first = [q for q in asked if q.section != "background" or q.position == "start"]
    last = [q for q in asked if q.section == "background" and q.position == "end"]
    background = tuple((i + 1, q) for i, q in enumerate(first))
    checks = spec.attention_checks_for(mech.id)
    n_items = sum(len(c.items) for c in constructs if c.scale is None)
    # after which item (1-based position among the items on the spec's own scale) each check goes
    after = {}
    for k, chk in enumerate(checks, start=1):
        pos = max(1, k * n_items // (len(checks) + 1)) if n_items else 0
        after.setdefault(pos, []).append(chk)
    number = len(background)
    seen = 0
    blocks = []
    for s, c in enumerate(constructs, start=2):
        rows = []
        for it in c.items:
            number += 1
            rows.append(Row(it.id, it.text, number, "item", item=it, na=it.not_applicable))
            if c.scale is not None:
                continue
            seen += 1
            for chk in after.get(seen, []):
                number += 1
                rows.append(Row(chk.id, chk.text, number, "attention_check", check=chk))
        blocks.append(Block(s, c, tuple(rows), spec.scale_of(c)))
    closing = tuple((number + i + 1, q) for i, q in enumerate(last))
    return Layout(spec, mech, background, tuple(blocks), closing)


def question_columns(questions) -> list[str]:
    """Variables of coded questions: each id, then its "please specify" text variables."""
    out = []
    for q in questions:
        out.append(q.id)
        out += [specify_id(q, ch) for ch in q.specify_choices]
    return out


def block_prompt(block: Block, lang: str) -> str:
    """The question above a block's matrix: the scale's prompt, with the construct's reference period."""
    sc = block.scale
    period = block.construct.period
    if sc is not None and sc.prompt:
        text = sc.prompt.get(lang, sc.prompt.get("en", ""))
        return text.format(period=period.get(lang, "")) if period and "{period}" in text else text
    kind = sc.kind if sc is not None else "agreement"
    if kind == "frequency":
        return ui("frequency_prompt", lang, period=period[lang] if period else "")
    if kind == "agreement":
        return ui("matrix_prompt_period", lang, period=period[lang]) if period else ui("matrix_prompt", lang)
    return ui("other_prompt", lang)


def scale_label_text(spec: ModelSpec, lang: str, scale: Scale | None = None, na: bool = False) -> str:
    """``1 = Strongly disagree; 2 = Disagree; ...`` in one language (``na``: the N/A code appended)."""
    sc = scale or spec.scale
    out = "; ".join(f"{c} = {sc.label(c, lang)}" for c in sc.codes)
    if na and spec.not_applicable is not None:
        out += f"; {spec.not_applicable.code} = {spec.not_applicable.label.get(lang, '')}"
    return out


# --------------------------------------------------------------------------- files


def save_workbook(wb, path: str | Path) -> Path:
    """Save an openpyxl workbook atomically, byte for byte the same each time.

    The workbook's created/modified times are set to :data:`FIXED_TIME` and the
    zip entries get a fixed date, so regenerating from the same spec gives the
    same file.
    """
    import io

    from openpyxl.writer.excel import ExcelWriter

    from .outputs import atomic_write

    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "vcc-toolkit"
    wb.properties.lastModifiedBy = "vcc-toolkit"
    buf = io.BytesIO()
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()  # closes the archive; does not touch .modified
    return atomic_write(path, lambda p: p.write_bytes(_fixed_zip(buf.getvalue())))


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip archive with every entry dated 1980-01-01 (reproducible bytes)."""
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def save_docx(doc, path: str | Path) -> Path:
    """Save a python-docx document atomically with fixed core properties (reproducible bytes)."""
    import io

    from .outputs import atomic_write

    cp = doc.core_properties
    cp.created = FIXED_TIME
    cp.modified = FIXED_TIME
    cp.last_printed = FIXED_TIME
    cp.author = "vcc-toolkit"
    cp.last_modified_by = "vcc-toolkit"
    cp.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return atomic_write(path, lambda p: p.write_bytes(_fixed_zip(buf.getvalue())))


# --------------------------------------------------------------------------- question notes


def ask_if_text(lay: Layout, q: BackgroundQuestion, lang: str) -> str | None:
    """ "Answer only if you chose "A" or "B" in question 3." for a question with ``ask_if``."""
    if q.ask_if is None:
        return None
    src = next((x for _, x in lay.questions if x.id == q.ask_if.question), None)
    if src is None:
        return None
    labels = [f"“{ch.label.get(lang, '')}”" for ch in src.choices if ch.code in q.ask_if.answers]
    answers = (" or " if lang == "en" else "或").join(labels)
    return ui("ask_if", lang, answers=answers, n=lay.number_of[src.id])


def choice_note(lay: Layout, q: BackgroundQuestion, code: int, lang: str) -> str:
    """What follows a choice on paper: "(the survey ends)", "(please specify)"."""
    ch = next(c for c in q.choices if c.code == code)
    parts = []
    if ch.specify:
        parts.append(ui("specify", lang))
    if code in q.ends_for(lay.mechanism.id):
        parts.append(ui("ends", lang))
    if not parts:
        return ""
    return (" (" + "; ".join(parts) + ")") if lang == "en" else ("（" + "；".join(parts) + "）")


def question_text(lay: Layout, q: BackgroundQuestion) -> dict[str, str]:
    """The question's text as this mechanism's respondents see it."""
    return q.text_for(lay.mechanism.id)


def range_text(q: BackgroundQuestion, lang: str) -> str | None:
    """ "(0 to 1440)" for a number question with bounds."""
    if q.min is None and q.max is None:
        return None
    lo = "" if q.min is None else f"{q.min:g}"
    hi = "" if q.max is None else f"{q.max:g}"
    if lang == "en":
        return f"{lo} to {hi}" if lo and hi else (f"at least {lo}" if lo else f"at most {hi}")
    return f"{lo}–{hi}" if lo and hi else (f"不小于{lo}" if lo else f"不大于{hi}")
