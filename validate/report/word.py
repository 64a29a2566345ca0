"""``results.docx``: APA 7 tables and the path diagrams, ready to paste into a manuscript.

Tables follow APA 7 (Publication Manual, 2020, sections 7.8-7.21): the table
number in bold above an italic title, three horizontal rules (top of the table,
under the header, bottom) and no vertical rules, two or three decimals, no
leading zero for statistics that cannot exceed 1, ``p < .001``, and a note with
the cut-offs and their sources under the table. Chinese text gets an East Asian
font (``w:eastAsia``).
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from instruments.outputs import atomic_write
from instruments.spec import ModelSpec

from . import apa
from .figures import path_diagram_png
from .i18n import REFERENCES, t, text
from .results import Results, plain
from .tables import (
    NUMBERED_TABLES,
    Table,
    all_warnings,
    comparison_tables,
    mechanism_tables,
    method_paragraphs,
    method_rows,
    missing_name,
    model_section,
    summary_table,
)

__all__ = ["build_document", "write_docx", "DOCX_TABLES", "WIDE_TABLES", "add_heading", "set_orientation"]

#: Tables with too many columns for a portrait page; they get a landscape section of their own.
WIDE_TABLES = ("indirect", "mg_paths")

#: Tables put in the Word report, in order (the long ones stay in the workbook).
DOCX_TABLES = NUMBERED_TABLES
#: Columns left out of the Word tables (too wide for a page).
DOCX_DROP = {"descriptives": {"text"}, "fit": {"aic", "bic"}}

LATIN_FONT = "Times New Roman"
EAST_ASIA_FONT = {"zh": "SimSun", "en": "SimSun"}
RULE = {"val": "single", "sz": "8", "space": "0", "color": "000000"}


def _set_fonts(run_or_style, lang: str) -> None:
    """Latin font plus the East Asian font (``w:eastAsia``) on a run or style."""
    el = run_or_style.element if hasattr(run_or_style, "element") else run_or_style._element
    rpr = el.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)  # a theme font would win over the named one
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), EAST_ASIA_FONT[lang])


def add_heading(doc, txt: str, level: int, lang: str):
    h = doc.add_heading(level=level)
    _set_fonts(h.add_run(txt), lang)
    return h


def _borders(el, tag: str, sides: dict[str, dict[str, str] | None]) -> None:
    """Set ``w:tblBorders``/``w:tcBorders`` sides: a dict of attributes, or None for no line."""
    box = el.find(qn(tag))
    if box is None:
        box = OxmlElement(tag)
        el.append(box)
    for side, attrs in sides.items():
        node = box.find(qn(f"w:{side}"))
        if node is None:
            node = OxmlElement(f"w:{side}")
            box.append(node)
        for k, v in (attrs or {"val": "nil"}).items():
            node.set(qn(f"w:{k}"), v)


def _apa_rules(table, header_cells) -> None:
    """Three-line table: rule above and below the table and under the header; nothing else."""
    tblPr = table._tbl.tblPr
    _borders(
        tblPr,
        "w:tblBorders",
        {"top": RULE, "left": None, "bottom": RULE, "right": None, "insideH": None, "insideV": None},
    )
    for cell in header_cells:
        tcPr = cell._tc.get_or_add_tcPr()
        _borders(tcPr, "w:tcBorders", {"bottom": RULE})


def _para(doc, txt: str = "", *, bold=False, italic=False, size=None, align=None, lang="en", space_after=None):
    p = doc.add_paragraph()
    if txt:
        r = p.add_run(txt)
        r.bold, r.italic = bold, italic
        if size:
            r.font.size = Pt(size)
        _set_fonts(r, lang)
    if align is not None:
        p.alignment = align
    if space_after is not None:
        p.paragraph_format.space_after = Pt(space_after)
    return p


def _caption(doc, kind: str, number: int, title: str, lang: str) -> None:
    p = _para(doc, f"{t(kind, lang)} {number}", bold=True, lang=lang, space_after=0)
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.space_before = Pt(12)
    p = _para(doc, title, italic=True, lang=lang, space_after=4)
    p.paragraph_format.keep_with_next = True


def _notes(doc, notes: list[str], lang: str) -> None:
    if not notes:
        return
    p = doc.add_paragraph()
    r = p.add_run(t("note_lead", lang))
    r.italic = True
    r.font.size = Pt(9)
    _set_fonts(r, lang)
    r = p.add_run((" " if lang == "en" else "") + " ".join(notes))
    r.font.size = Pt(9)
    _set_fonts(r, lang)
    p.paragraph_format.space_after = Pt(10)


def _text_len(s: str) -> float:
    """Width of ``s`` in units of a lower-case letter (capitals and CJK are wider)."""
    return sum(1.75 if unicodedata.east_asian_width(ch) in ("W", "F") else 1.3 if ch.isupper() else 1.0 for ch in s)


def _set_widths(table, cols, texts: list[list[str]], grid: list, total_cm: float = 17.0) -> None:
    """Column widths from their texts: each column as wide as its longest cell, and when the
    table is wider than the page, the long text columns wrap (never a number or a header word)."""
    per_char, pad = 0.18, 0.45  # cm per lower-case character at 9 pt, cell padding
    natural, least = [], []
    for j, c in enumerate(cols):
        word = max((_text_len(w) for w in c.header.split()), default=1.0)
        body = [row[j] for row in texts]
        longest = max((_text_len(x) for x in body), default=1.0)
        head = _text_len(c.header)
        nat = max(longest, min(head, 14.0), word, 3.0)
        wrap_ok = c.kind in ("text", "verdict") and any(
            " " in x or any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in x) for x in body
        )
        low = max(word, 3.0, 10.0 if wrap_ok else longest)
        natural.append(nat * per_char + pad)
        least.append(min(nat, low) * per_char + pad)
    width = list(natural)
    excess = sum(width) - total_cm
    if excess > 0:
        room = [n - m for n, m in zip(natural, least)]
        if sum(room) > 0:
            cut = min(1.0, excess / sum(room))
            width = [n - r * cut for n, r in zip(natural, room)]
        if sum(width) > total_cm:  # still too wide: shrink everything alike
            width = [w * total_cm / sum(width) for w in width]
    table.autofit = False
    tblPr = table._tbl.tblPr
    layout = tblPr.find(qn("w:tblLayout"))
    if layout is None:
        layout = OxmlElement("w:tblLayout")
        tblPr.append(layout)
    layout.set(qn("w:type"), "fixed")
    ncol = len(cols)
    for j, w_cm in enumerate(width):
        w = Cm(w_cm)
        table.columns[j].width = w
        for cell in grid[j::ncol]:
            cell.width = w


def _table_style(doc, lang: str):
    """The paragraph style of table cells (created once per document)."""
    from docx.enum.style import WD_STYLE_TYPE

    try:
        return doc.styles["VCC Table"]
    except KeyError:
        st = doc.styles.add_style("VCC Table", WD_STYLE_TYPE.PARAGRAPH)
        st.base_style = doc.styles["Normal"]
        st.font.size = Pt(9)
        st.paragraph_format.space_before = Pt(0)
        st.paragraph_format.space_after = Pt(0)
        st.paragraph_format.line_spacing = 1.0
        _set_fonts(st, lang)
        return st


def add_apa_table(doc, tab: Table, number: int, lang: str, width_cm: float = 17.0) -> Any:
    """Add ``tab`` as an APA table (caption, three rules, note); returns the python-docx table.

    ``width_cm`` is the text width the table may take: 17 cm on portrait A4, 25.7 on landscape.
    """
    drop = DOCX_DROP.get(tab.key, set())
    cols = [c for c in tab.columns if c.key not in drop]
    _caption(doc, "table", number, tab.title, lang)
    table = doc.add_table(rows=1 + len(tab.rows), cols=len(cols))
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    ncol = len(cols)
    grid = table._cells  # row-major; row.cells would rebuild the grid for every row

    style_id = _table_style(doc, lang).style_id

    def put(cell, s: str, align) -> None:
        para = cell.paragraphs[0]
        para._p.get_or_add_pPr().style = style_id  # 9 pt, no spacing (para.style = ... is slow)
        para.add_run(s)
        para.alignment = align

    for j, c in enumerate(cols):
        left = j == 0 or c.kind in ("text", "verdict")
        put(grid[j], c.header, WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER)
    missing = False
    texts: list[list[str]] = []
    for i, row in enumerate(tab.rows):
        line = []
        for j, c in enumerate(cols):
            if tab.key in ("htmt", "fornell_larcker") and c.key == "construct":
                s = str(row.get("_id", row.get("construct")))
            else:
                s = tab.format(i, c)
            missing |= s == apa.MISSING
            text_like = tab.kind(i, c) in ("text", "verdict")
            put(
                grid[(i + 1) * ncol + j],
                s,
                WD_ALIGN_PARAGRAPH.LEFT if (j == 0 or text_like) else WD_ALIGN_PARAGRAPH.CENTER,
            )
            line.append(s)
        texts.append(line)
    _set_widths(table, cols, texts, grid, total_cm=width_cm)
    _apa_rules(table, grid[:ncol])
    notes = list(tab.notes)
    if missing:
        notes.append(t("missing_reason", lang) + ".")
    _notes(doc, notes, lang)
    return table


def set_orientation(doc, landscape: bool) -> None:
    """Start a new section (on a new page) in landscape or portrait A4 with 2 cm margins."""
    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    w, h = (Cm(29.7), Cm(21.0)) if landscape else (Cm(21.0), Cm(29.7))
    sec.page_width, sec.page_height = w, h
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(2.0))


def build_document(results: dict, spec: ModelSpec | None, lang: str = "en"):
    """The Word document (not yet saved)."""
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(2.0))
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(11)
    _set_fonts(normal, lang)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        try:
            _set_fonts(doc.styles[name], lang)
        except KeyError:  # pragma: no cover - the default template has them
            pass
    results = Results.of(results)
    sp = results.obj("spec")
    title = text(plain(sp.get("title")), lang)  # None when the spec declares no title: never the file name
    add_heading(doc, f"{title} \u2014 {t('report_title', lang)}" if title else t("report_title", lang), 0, lang)
    tk = results.obj("toolkit")
    _para(
        doc,
        t(
            "generated",
            lang,
            created=results.get("created") or apa.MISSING,
            toolkit=tk.get("name") or "vcc",
            version=tk.get("version") or "",
        ),
        lang=lang,
    )
    n_tab, n_fig = 0, 0
    n_tab += 1
    add_apa_table(doc, summary_table(results, spec, lang), n_tab, lang)
    for tab in comparison_tables(results, lang, compact=True):
        n_tab += 1
        add_apa_table(doc, tab, n_tab, lang)
    for mid, mres in results.mechanisms.items():
        mech = spec.mechanisms.get(mid) if spec is not None else None
        mtitle = text(plain(mres.get("label")), lang) or (text(mech.label, lang) if mech is not None else str(mid))
        add_heading(doc, f"{t('mechanism', lang)}{t('colon', lang)}{mtitle}", 1, lang)
        tabs = mechanism_tables(results, spec, mid, lang)
        sections = [
            ("sec_sample", ("screening_summary",)),
            ("sec_descriptives", ("descriptives", "mardia")),
            (
                "sec_measurement",
                (
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
                ),
            ),
            (
                "sec_structural",
                (
                    "paths",
                    "r2",
                    "chisq_diff",
                    "controls",
                    "moderation",
                    "simple_slopes",
                    "indirect",
                    "moderated_mediation",
                ),
            ),
            ("sec_groups", ("invariance", "partial_invariance", "mg_tests", "mg_paths", "group_differences")),
        ]
        for head, keys in sections:
            present = [k for k in keys if k in tabs and k in DOCX_TABLES]
            struct = mres.structural
            if head == "sec_structural" and (present or mech is not None):
                add_heading(doc, t(head, lang), 2, lang)
                png, used = path_diagram_png(mech, [p.raw for p in struct.rows("paths")], lang, struct.obj("r2").raw)
                n_fig += 1
                set_orientation(doc, landscape=True)  # the diagram is wide: a landscape page keeps its text legible
                _caption(doc, "figure", n_fig, f"{t('sec_diagram', lang)}{t('colon', lang)}{mtitle}", lang)
                doc.add_picture(io.BytesIO(png), width=Cm(25.0))
                doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                notes = [t("note_diagram", lang)]
                if used != lang:
                    notes.append(t("note_diagram_english", lang))
                _notes(doc, notes, lang)
                set_orientation(doc, landscape=False)
            elif present:
                add_heading(doc, t(head, lang), 2, lang)
            if head == "sec_sample":
                nr, nu = mres.get("n_raw"), mres.get("n_used")
                n_obs = model_section(mres)[1].get("n_obs")
                _para(
                    doc,
                    f"{t('n_raw', lang)}{t('colon', lang)}{apa.fmt_int(nr)}{t('list_sep', lang)}"
                    f"{t('n_used', lang)}{t('colon', lang)}{apa.fmt_int(nu)}{t('list_sep', lang)}"
                    f"{t('c_n_model', lang)}{t('colon', lang)}{apa.fmt_int(n_obs)} "
                    f"({missing_name(mres.get('missing'), lang) or apa.MISSING}).",
                    lang=lang,
                )
            for k in present:
                n_tab += 1
                wide = k in WIDE_TABLES
                if wide:
                    set_orientation(doc, landscape=True)  # nine columns fit a landscape page, not a portrait one
                add_apa_table(doc, tabs[k], n_tab, lang, width_cm=25.7 if wide else 17.0)
                if wide:
                    set_orientation(doc, landscape=False)
        from validate.pls.report import add_pls_docx

        n_tab = add_pls_docx(doc, results, spec, mid, lang, n_tab)
    add_heading(doc, t("sec_method", lang), 1, lang)
    _para(doc, t("method_intro", lang, toolkit=tk.get("name") or "vcc", version=tk.get("version") or ""), lang=lang)
    for par in method_paragraphs(results, lang):  # the n of each model, the missing-data method and why
        _para(doc, par, lang=lang)
    for k, v in method_rows(results, lang):
        p = doc.add_paragraph(style="List Bullet")
        r = p.add_run(f"{k}{t('colon', lang)}")
        r.bold = True
        _set_fonts(r, lang)
        _set_fonts(p.add_run(v), lang)
    _para(doc, t("meth_conventions", lang), bold=True, lang=lang)
    for k in ("conv_marker", "conv_exo", "conv_auto_cov_y", "conv_std"):
        _set_fonts(doc.add_paragraph(style="List Bullet").add_run(t(k, lang)), lang)
    ws = all_warnings(results)
    if ws:
        add_heading(doc, t("warnings", lang), 1, lang)
        if t("warnings_original", lang):
            _para(doc, t("warnings_original", lang), lang=lang)
        for where, w in ws:
            _set_fonts(doc.add_paragraph(style="List Bullet").add_run(f"{where}: {w}" if where else w), lang)
    add_heading(doc, t("references", lang), 1, lang)
    for ref in REFERENCES:
        p = _para(doc, ref, lang=lang, size=10)
        p.paragraph_format.left_indent = Cm(1.27)
        p.paragraph_format.first_line_indent = Cm(-1.27)
    doc.core_properties.title = title or t("report_title", lang)
    doc.core_properties.author = tk.get("name") or "vcc"
    doc.core_properties.language = "zh-CN" if lang == "zh" else "en-US"
    return doc


def write_docx(results: dict, spec: ModelSpec | None, path: str | Path, lang: str = "en") -> Path:
    """Write ``results.docx`` atomically."""
    doc = build_document(results, spec, lang)
    return atomic_write(path, lambda p: doc.save(str(p)))
