"""The one questionnaire layout every instrument format is written from.

Every writer (HTML, Word, XLSForm, Wenjuanxing, Qualtrics, codebook, response
template) asks :func:`layout` for the order of the questions, so a question's
number on paper, its row in the codebook and its column in the response
template always agree.

The layout rules:

* Background questions come **first** (section 1), in spec order. The platform
  question (``role: group``) frames every later answer, so it is asked before
  the statements.
* The Likert items follow, one block (one matrix table) per construct. Blocks
  are grouped by stage in the order of :data:`instruments.spec.STAGES`
  (driver, proposition, activity, outcome); within a stage, and within a
  block, the spec's order is kept. Nothing is shuffled.
* The attention checks of the mechanism are spread evenly through the item
  matrix: with ``n`` checks and ``N`` items, check ``k`` comes right after item
  ``max(1, floor(k * N / (n + 1)))`` (for one check: after item ``N // 2``, in
  the middle), as a row of the block that item belongs to.
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
)

__all__ = [
    "FIXED_TIME",
    "LANG_OPTIONS",
    "UI",
    "Block",
    "Layout",
    "Row",
    "languages",
    "layout",
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
        "en": ("Please read each statement and indicate how much you agree with it, "
               "thinking about your own use of short-video platforms. There are no right or "
               "wrong answers. Your answers are anonymous and used for research only."),
        "zh": "请阅读每一项陈述，并根据您使用短视频平台的实际情况，选择您对该陈述的同意程度。"
              "答案没有对错之分。本问卷匿名填写，所得数据仅用于学术研究。",
    },
    "matrix_prompt": {
        "en": "How much do you agree with each statement? Choose one answer per row.",
        "zh": "您在多大程度上同意以下各项陈述？每行选择一个答案。",
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


@dataclass(frozen=True)
class Block:
    """One matrix table: the items of one construct (plus any attention check placed there)."""

    section: int  # the respondent-facing section number (background is section 1)
    construct: Construct
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Layout:
    """The questionnaire of one mechanism, in the order respondents see it."""

    spec: ModelSpec
    mechanism: Mechanism
    background: tuple[tuple[int, BackgroundQuestion], ...]
    blocks: tuple[Block, ...]

    @property
    def rows(self) -> list[Row]:
        return [r for b in self.blocks for r in b.rows]

    @property
    def columns(self) -> list[str]:
        """Variable names in questionnaire order: background ids, then items and checks."""
        return [q.id for _, q in self.background] + [r.id for r in self.rows]

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
    constructs = sorted(mech.constructs.values(), key=lambda c: _stage_rank(c.stage))  # stable
    background = tuple((i + 1, q) for i, q in enumerate(spec.background))
    checks = spec.attention_checks_for(mech.id)
    n_items = sum(len(c.items) for c in constructs)
    # after which item (1-based position in the item sequence) each check goes
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
            seen += 1
            rows.append(Row(it.id, it.text, number, "item", item=it))
            for chk in after.get(seen, []):
                number += 1
                rows.append(Row(chk.id, chk.text, number, "attention_check", check=chk))
        blocks.append(Block(s, c, tuple(rows)))
    return Layout(spec, mech, background, tuple(blocks))


def scale_label_text(spec: ModelSpec, lang: str) -> str:
    """``1 = Strongly disagree; 2 = Disagree; ...`` in one language."""
    sc = spec.scale
    return "; ".join(f"{c} = {sc.label(c, lang)}" for c in sc.codes)


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
