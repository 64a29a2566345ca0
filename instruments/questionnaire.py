"""Printable questionnaires: a self-contained HTML page and a Word document.

Both are written from :func:`instruments._layout.layout`, so the question
numbers match the codebook's ``position`` column and the response template's
column order:

* the consent text and question, the screeners and the background questions
  first (section 1), then one matrix table per construct, grouped by stage
  (driver, proposition, activity, outcome), items in spec order, the
  attention check(s) spread through the blocks on the spec's scale, then the
  background questions placed at the end;
* an answer that ends the survey is marked "(the survey ends)", a question
  asked only after some answers says so, "other, please specify" has a line
  to write on, a block on another scale (frequency) shows that scale and its
  reference period, and a block with "not applicable" has that column (a
  dash where a row does not offer it);
* respondents see neither construct names nor reverse-keying;
* ``lang="en"`` or ``"zh"`` writes that language; ``lang="both"`` writes the
  English and the Chinese versions *and* a bilingual version (Chinese first,
  English beneath each text): ``questionnaire_<mechanism>_<lang>.html`` /
  ``.docx`` with ``<lang>`` in ``en``, ``zh``, ``both``.

Every text from the spec is HTML-escaped, so an item text containing markup
(``<script>``) is shown, never run. The page has no scripts and no external
resources.

In Word, every run sets an East Asian font (``w:eastAsia="SimSun"``, 宋体)
besides the Latin one, and the document language ``zh-CN`` for East Asian
text, so Chinese renders in Word and LibreOffice (which substitutes a
metric-compatible CJK font, e.g. Noto Serif CJK SC, where SimSun is absent).
"""

from __future__ import annotations

import html
from pathlib import Path

from ._layout import (
    Layout,
    ask_if_text,
    block_prompt,
    choice_note,
    languages,
    layout,
    question_text,
    range_text,
    save_docx,
    ui,
)
from .outputs import write_text
from .spec import ModelSpec

__all__ = [
    "questionnaire_docx",
    "questionnaire_html",
    "write_questionnaire_docx",
    "write_questionnaire_html",
]

_HTML_LANG = {"en": "en", "zh": "zh-CN", "both": "zh-CN"}

_CSS = """
@page { size: A4; margin: 18mm 15mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
       "SimSun", "Helvetica Neue", Arial, sans-serif; font-size: 11pt; line-height: 1.45;
       color: #000; max-width: 190mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 16pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 12.5pt; margin: 7mm 0 2mm; border-bottom: 1px solid #000; padding-bottom: 1mm; }
.en { color: #333; font-size: 0.92em; }
.instructions, .respondent { margin: 2mm 0 4mm; }
.question { margin: 0 0 4mm; page-break-inside: avoid; break-inside: avoid; }
.question .text { font-weight: bold; }
.hint { font-style: italic; font-size: 0.9em; }
ul.choices { list-style: none; margin: 1mm 0 0; padding: 0 0 0 6mm; }
ul.choices li { margin: 0.5mm 0; }
.box { display: inline-block; width: 3.2mm; height: 3.2mm; border: 1px solid #000;
       margin-right: 2mm; vertical-align: -0.3mm; }
.line { display: inline-block; width: 70mm; border-bottom: 1px solid #000; height: 5mm; }
table.matrix { width: 100%; border-collapse: collapse; margin: 1mm 0 3mm; }
table.matrix th, table.matrix td { border: 1px solid #000; padding: 1.2mm 1.5mm; vertical-align: middle; }
table.matrix thead { display: table-header-group; }
table.matrix th { font-size: 0.85em; font-weight: bold; text-align: center; background: #eee; }
table.matrix td.no { width: 9mm; text-align: center; }
table.matrix td.code { width: 13mm; text-align: center; }
table.matrix tr { page-break-inside: avoid; break-inside: avoid; }
.thanks { text-align: center; margin-top: 8mm; font-weight: bold; }
.consent { border: 1px solid #000; padding: 2mm 3mm; margin: 0 0 4mm; }
table.matrix td.nacell { background: #eee; }
@media print { body { padding: 0; } th { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
""".strip()


def _esc(s: str) -> str:
    return html.escape(s, quote=True)


def _h(text: dict[str, str] | str, lang: str) -> str:
    """Escaped text in one language, or Chinese with English beneath for ``both``."""
    if isinstance(text, str):
        text = {"en": text, "zh": text}
    if lang == "both":
        zh, en = text.get("zh", text.get("en", "")), text.get("en", "")
        if zh == en:
            return f'<span lang="zh-CN">{_esc(zh)}</span>'
        return f'<span lang="zh-CN">{_esc(zh)}</span><br><span lang="en" class="en">{_esc(en)}</span>'
    return f'<span lang="{_HTML_LANG[lang]}">{_esc(text.get(lang, text.get("en", "")))}</span>'


def _h_ui(key: str, lang: str, **fmt) -> str:
    t = {lg: ui(key, lg, **fmt) for lg in ("en", "zh")}
    return _h(t, lang)


def questionnaire_html(spec: ModelSpec, mechanism: str, lang: str = "en") -> str:
    """The printable questionnaire of one mechanism as a self-contained HTML page.

    Parameters
    ----------
    spec : ModelSpec
    mechanism : str
        Mechanism id.
    lang : {"en", "zh", "both"}
        ``both``: Chinese with the English text beneath.

    Returns
    -------
    str
        A complete UTF-8 HTML document (no scripts, no external resources).
    """
    if lang not in ("en", "zh", "both"):
        languages(lang)  # raises InputError
    lay = layout(spec, mechanism)
    sc = spec.scale
    title_lang = "zh" if lang == "both" else lang
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{_HTML_LANG[lang]}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(lay.title(title_lang))}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(lay.spec.title, lang)}</h1>",
    ]
    resp = lay.mechanism.respondent
    if resp:
        who = {lg: ui("respondent", lg, who=resp.get(lg, resp.get("en", ""))) for lg in ("en", "zh")}
        out.append(f'<p class="respondent">{_h(who, lang)}</p>')
    ins = {lg: lay.instructions(lg) for lg in ("en", "zh")}
    out.append(f'<p class="instructions">{_h(ins, lang)}</p>')

    na = spec.not_applicable

    def question(number, q) -> None:
        out.append('<div class="question">')
        out.append(f'<p><span class="text">{number}. {_h(question_text(lay, q), lang)}</span>')
        hint = {"single": "paper_single", "multiple": "paper_multiple"}.get(q.type, "paper_text")
        hints = {lg: ui(hint, lg) for lg in ("en", "zh")}
        if q.hint:
            hints = {lg: f"{q.hint.get(lg, '')} {hints[lg]}" for lg in hints}
        if range_text(q, "en"):
            hints = {lg: f"{hints[lg]} {range_text(q, lg)}" for lg in hints}
        out.append(f' <span class="hint">({_h(hints, lang)})</span></p>')
        cond = {lg: ask_if_text(lay, q, lg) for lg in ("en", "zh")}
        if cond["en"]:
            out.append(f'<p class="hint">{_h(cond, lang)}</p>')
        if q.type in ("single", "multiple"):
            out.append('<ul class="choices">')
            for ch in q.choices:
                label = {lg: ch.label.get(lg, "") + choice_note(lay, q, ch.code, lg) for lg in ("en", "zh")}
                line = ' <span class="line" style="width:40mm"></span>' if ch.specify else ""
                out.append(f'<li><span class="box"></span>{_h(label, lang)}{line}</li>')
            out.append("</ul>")
        else:
            out.append('<p><span class="line"></span></p>')
        out.append("</div>")

    section_open = False
    for number, q in lay.background:
        if q.section == "consent":
            out.append(f"<h2>{_h_ui('consent', lang)}</h2>")
            out.append(f'<div class="consent"><p>{_h(spec.consent.text, lang)}</p></div>')
        elif not section_open:
            out.append(f"<h2>{_h_ui('section', lang, n=1)} · {_h_ui('background', lang)}</h2>")
            section_open = True
        question(number, q)

    for block in lay.blocks:
        bsc = block.scale or sc
        out.append(f"<h2>{_h_ui('section', lang, n=block.section)}</h2>")
        prompt = {lg: f"{block_prompt(block, lg)} {ui('paper_matrix', lg)}" for lg in ("en", "zh")}
        out.append(f"<p>{_h(prompt, lang)}</p>")
        out.append('<table class="matrix">')
        out.append("<thead><tr>")
        out.append(f'<th scope="col">{_h_ui("no", lang)}</th><th scope="col">{_h_ui("statement", lang)}</th>')
        for code in bsc.codes:
            labels = {lg: bsc.label(code, lg) for lg in ("en", "zh") if lg in bsc.labels}
            out.append(f'<th scope="col">{code}<br>{_h(labels, lang)}</th>')
        if block.has_na:
            out.append(f'<th scope="col">{na.code}<br>{_h(na.label, lang)}</th>')
        out.append("</tr></thead>")
        out.append("<tbody>")
        for row in block.rows:
            cells = "".join(f'<td class="code">{code}</td>' for code in bsc.codes)
            if block.has_na:
                cells += f'<td class="code">{na.code}</td>' if row.na else '<td class="code nacell">—</td>'
            out.append(f'<tr><td class="no">{row.number}</td><td>{_h(row.text, lang)}</td>{cells}</tr>')
        out.append("</tbody></table>")

    if lay.closing:
        out.append(f"<h2>{_h_ui('section', lang, n=lay.closing_section)} · {_h_ui('closing', lang)}</h2>")
        for number, q in lay.closing:
            question(number, q)
    out.append(f'<p class="thanks">{_h_ui("thanks", lang)}</p>')
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def write_questionnaire_html(
    spec: ModelSpec, out_dir: str | Path, mechanism: str | None = None, lang: str = "both"
) -> list[Path]:
    """Write ``questionnaire_<mechanism>_<lang>.html`` for each selected mechanism.

    ``lang="both"`` writes the ``en``, ``zh`` and bilingual ``both`` pages.
    Returns the paths written.
    """
    langs = languages(lang) + (["both"] if lang == "both" else [])
    out_dir = Path(out_dir)
    paths = []
    for mech in spec.select(mechanism):
        for lg in langs:
            paths.append(
                write_text(out_dir / f"questionnaire_{mech.id}_{lg}.html", questionnaire_html(spec, mech.id, lg))
            )
    return paths


# --------------------------------------------------------------------------- Word

_LATIN_FONT = "Times New Roman"
_CJK_FONT = "SimSun"


def _set_fonts(run_or_style, size: float | None = None, bold: bool | None = None) -> None:
    """Latin + East Asian font on a run or style (python-docx only sets w:ascii/w:hAnsi)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = run_or_style.font
    font.name = _LATIN_FONT
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = run_or_style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), _LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), _CJK_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _set_default_fonts(doc) -> None:
    """The East Asian font in the document defaults too (w:docDefaults/w:rPrDefault)."""
    from docx.oxml.ns import qn

    styles = doc.styles.element
    rpr = styles.find(qn("w:docDefaults") + "/" + qn("w:rPrDefault") + "/" + qn("w:rPr"))
    if rpr is None:
        return
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), _LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), _CJK_FONT)


_SIMSUN_FONT_ENTRY = (
    '<w:font w:name="SimSun"><w:altName w:val="宋体"/><w:panose1 w:val="02010600030101010101"/>'
    '<w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>'
)


def _declare_cjk_font(doc) -> None:
    """Declare SimSun (alternative name 宋体, GB2312 charset) in the font table.

    Word and LibreOffice use the declaration to pick a substitute CJK font
    when SimSun itself is not installed.
    """
    for part in doc.part.package.iter_parts():
        if str(part.partname) == "/word/fontTable.xml" and hasattr(part, "_blob"):
            xml = part._blob.decode("utf-8")
            if 'w:name="SimSun"' not in xml and "</w:fonts>" in xml:
                part._blob = xml.replace("</w:fonts>", _SIMSUN_FONT_ENTRY + "</w:fonts>").encode("utf-8")
            return


def _texts(text: dict[str, str] | str, lang: str) -> list[tuple[str, bool]]:
    """(text, secondary?) pieces: one for a single language, zh then en for ``both``."""
    if isinstance(text, str):
        return [(text, False)]
    if lang == "both":
        zh, en = text.get("zh", text.get("en", "")), text.get("en", "")
        return [(zh, False)] if zh == en else [(zh, False), (en, True)]
    return [(text.get(lang, text.get("en", "")), False)]


def _write(
    par, text: dict[str, str] | str, lang: str, size: float = 10.5, bold: bool = False, prefix: str = ""
) -> None:
    """Add the text as runs; fonts come from the Normal style and the document defaults."""
    from docx.shared import Pt

    pieces = _texts(text, lang)
    for i, (t, secondary) in enumerate(pieces):
        if i:
            par.add_run().add_break()
        run = par.add_run((prefix if i == 0 else "") + t)
        run.font.size = Pt(size - 1 if secondary else size)
        if bold and not secondary:
            run.font.bold = True
        if secondary:
            run.font.italic = True


def _uitext(key: str, **fmt) -> dict[str, str]:
    return {lg: ui(key, lg, **fmt) for lg in ("en", "zh")}


def questionnaire_docx(spec: ModelSpec, mechanism: str, lang: str = "en"):
    """The questionnaire of one mechanism as a python-docx ``Document`` (a table per block).

    Parameters
    ----------
    spec : ModelSpec
    mechanism : str
    lang : {"en", "zh", "both"}

    Returns
    -------
    docx.document.Document
    """
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    if lang not in ("en", "zh", "both"):
        languages(lang)
    lay: Layout = layout(spec, mechanism)
    sc = spec.scale
    doc = docx.Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(1.8)
    sec.top_margin = sec.bottom_margin = Cm(1.8)
    _set_fonts(doc.styles["Normal"], size=10.5)
    _set_default_fonts(doc)
    _declare_cjk_font(doc)

    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _write(p, lay.spec.title, lang, size=15, bold=True)
    resp = lay.mechanism.respondent
    if resp:
        _write(
            doc.add_paragraph(),
            {lg: ui("respondent", lg, who=resp.get(lg, resp.get("en", ""))) for lg in ("en", "zh")},
            lang,
        )
    _write(doc.add_paragraph(), {lg: lay.instructions(lg) for lg in ("en", "zh")}, lang)

    def heading(text: dict[str, str]) -> None:
        hp = doc.add_paragraph()
        hp.paragraph_format.space_before = Cm(0.4)
        hp.paragraph_format.keep_with_next = True
        _write(hp, text, lang, size=12, bold=True)

    na = spec.not_applicable

    def question(number, q) -> None:
        qp = doc.add_paragraph()
        qp.paragraph_format.keep_with_next = True
        _write(qp, question_text(lay, q), lang, bold=True, prefix=f"{number}. ")
        hint = {"single": "paper_single", "multiple": "paper_multiple"}.get(q.type, "paper_text")
        hints = {lg: ui(hint, lg) for lg in ("en", "zh")}
        if q.hint:
            hints = {lg: f"{q.hint.get(lg, '')} {hints[lg]}" for lg in hints}
        if range_text(q, "en"):
            hints = {lg: f"{hints[lg]} {range_text(q, lg)}" for lg in hints}
        hp = doc.add_paragraph()
        hp.paragraph_format.keep_with_next = True
        _write(hp, {lg: f"({hints[lg]})" for lg in ("en", "zh")}, lang, size=9)
        cond = {lg: ask_if_text(lay, q, lg) for lg in ("en", "zh")}
        if cond["en"]:
            _write(doc.add_paragraph(), cond, lang, size=9)
        if q.type in ("single", "multiple"):
            for ch in q.choices:
                cp = doc.add_paragraph()
                cp.paragraph_format.left_indent = Cm(0.8)
                line = " ________" if ch.specify else ""
                _write(
                    cp,
                    {lg: f"□ {ch.label.get(lg, '')}{choice_note(lay, q, ch.code, lg)}{line}" for lg in ("en", "zh")},
                    lang,
                )
        else:
            lp = doc.add_paragraph()
            lp.add_run("_" * 40)

    section_open = False
    for number, q in lay.background:
        if q.section == "consent":
            heading(_uitext("consent"))
            _write(doc.add_paragraph(), spec.consent.text, lang)
        elif not section_open:
            heading({lg: f"{ui('section', lg, n=1)} · {ui('background', lg)}" for lg in ("en", "zh")})
            section_open = True
        question(number, q)

    no_w = Cm(1.1)
    for block in lay.blocks:
        bsc = block.scale or sc
        n_codes = len(bsc.codes) + (1 if block.has_na else 0)
        code_w = Cm(1.45 if lang != "both" else 1.6) if n_codes <= 8 else Cm(1.3)
        text_w = Cm(21.0 - 3.6) - no_w - code_w * n_codes
        heading(_uitext("section", n=block.section))
        _write(
            doc.add_paragraph(),
            {lg: f"{block_prompt(block, lg)} {ui('paper_matrix', lg)}" for lg in ("en", "zh")},
            lang,
            size=9.5,
        )
        table = doc.add_table(rows=1 + len(block.rows), cols=2 + n_codes)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        widths = [no_w, text_w] + [code_w] * n_codes
        hdr = table.rows[0]
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        trpr = hdr._tr.get_or_add_trPr()
        th = OxmlElement("w:tblHeader")  # repeat the header row on every page
        th.set(qn("w:val"), "true")
        trpr.append(th)
        heads = [_uitext("no"), _uitext("statement")] + [
            {lg: f"{code} {bsc.label(code, lg)}" for lg in ("en", "zh") if lg in bsc.labels} for code in bsc.codes
        ]
        if block.has_na:
            heads.append({lg: f"{na.code} {na.label.get(lg, '')}" for lg in ("en", "zh")})
        hdr_cells = hdr.cells
        for j, text in enumerate(heads):
            cell = hdr_cells[j]
            cell.width = widths[j]
            cp = cell.paragraphs[0]
            cp.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _write(cp, text, lang, size=8.5, bold=True)
        for r, row in zip(list(table.rows)[1:], block.rows):
            cant = OxmlElement("w:cantSplit")
            r._tr.get_or_add_trPr().append(cant)
            vals = [str(row.number), row.text] + [str(c) for c in bsc.codes]
            if block.has_na:
                vals.append(str(na.code) if row.na else "—")
            cells = r.cells
            for j, v in enumerate(vals):
                cell = cells[j]
                cell.width = widths[j]
                cp = cell.paragraphs[0]
                if j != 1:
                    cp.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _write(cp, v, lang, size=10)

    if lay.closing:
        heading({lg: f"{ui('section', lg, n=lay.closing_section)} · {ui('closing', lg)}" for lg in ("en", "zh")})
        for number, q in lay.closing:
            question(number, q)
    tp = doc.add_paragraph()
    tp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _write(tp, _uitext("thanks"), lang, bold=True)
    return doc


def write_questionnaire_docx(
    spec: ModelSpec, out_dir: str | Path, mechanism: str | None = None, lang: str = "both"
) -> list[Path]:
    """Write ``questionnaire_<mechanism>_<lang>.docx`` for each selected mechanism.

    ``lang="both"`` writes the ``en``, ``zh`` and bilingual ``both`` documents.
    Returns the paths written.
    """
    langs = languages(lang) + (["both"] if lang == "both" else [])
    out_dir = Path(out_dir)
    paths = []
    for mech in spec.select(mechanism):
        for lg in langs:
            doc = questionnaire_docx(spec, mech.id, lg)
            paths.append(save_docx(doc, out_dir / f"questionnaire_{mech.id}_{lg}.docx"))
    return paths
