"""results.docx: APA 7 tables (three rules, no vertical lines, no leading zeros) and the path diagrams."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from instruments.spec import load_spec
from validate.report import apa, write_docx
from validate.report.word import build_document

HERE = Path(__file__).parent
FIX = HERE / "fixtures" / "report"
ROOT = HERE.parent
EXAMPLE = json.loads((FIX / "results_example.json").read_text(encoding="utf-8"))
MINIMAL = json.loads((FIX / "results_minimal.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def doc_en(tmp_path_factory):
    spec = load_spec(ROOT / EXAMPLE["spec"]["path"])
    path = write_docx(EXAMPLE, spec, tmp_path_factory.mktemp("docx") / "results.docx", "en")
    return Document(str(path))


@pytest.fixture(scope="module")
def doc_zh():
    return build_document(MINIMAL, load_spec(ROOT / "tests/fixtures/specs/minimal.yaml"), "zh")


def _border(el, tag, side):
    box = el.find(qn(tag))
    if box is None:
        return None
    node = box.find(qn(f"w:{side}"))
    return None if node is None else node.get(qn("w:val"))


def _caption_before(doc, table):
    """The two paragraphs just before a table: number and title."""
    body = list(doc.element.body.iterchildren())
    i = body.index(table._tbl)
    return Paragraph(body[i - 2], doc), Paragraph(body[i - 1], doc)


def _find_table(doc, title):
    for tab in doc.tables:
        num, ttl = _caption_before(doc, tab)
        if ttl.text == title:
            return tab
    raise AssertionError(f"no table titled {title!r}")


def test_every_table_has_apa_rules_and_caption(doc_en):
    assert len(doc_en.tables) >= 30
    for k, tab in enumerate(doc_en.tables, start=1):
        tblPr = tab._tbl.tblPr
        assert _border(tblPr, "w:tblBorders", "top") == "single"
        assert _border(tblPr, "w:tblBorders", "bottom") == "single"
        for side in ("left", "right", "insideV", "insideH"):
            assert _border(tblPr, "w:tblBorders", side) == "nil"
        for cell in tab.rows[0].cells:
            assert _border(cell._tc.tcPr, "w:tcBorders", "bottom") == "single"
        for cell in tab.rows[-1].cells if len(tab.rows) > 1 else []:
            tcPr = cell._tc.tcPr
            assert tcPr is None or _border(tcPr, "w:tcBorders", "bottom") is None
        num, ttl = _caption_before(doc_en, tab)
        assert num.text == f"Table {k}"
        assert all(r.bold for r in num.runs) and all(r.italic for r in ttl.runs)


def test_leading_zeros_and_p_values(doc_en):
    fit = _find_table(doc_en, "Model fit")
    head = [c.text for c in fit.rows[0].cells]
    for col in ("CFI", "TLI", "RMSEA", "SRMR", "p"):
        j = head.index(col)
        vals = [r.cells[j].text for r in fit.rows[1:]]
        assert vals and all(v.startswith((".", "< .")) for v in vals), (col, vals)
    j = head.index("\u03c7\u00b2")
    assert all(r.cells[j].text[0].isdigit() for r in fit.rows[1:])  # chi-square keeps its digits
    assert "AIC" not in head  # left for the workbook
    rel = _find_table(doc_en, "Reliability and convergent validity")
    head = [c.text for c in rel.rows[0].cells]
    for col in ("CR (standardised)", "AVE", "Cronbach's \u03b1"):
        j = head.index(col)
        assert all(r.cells[j].text.startswith(".") for r in rel.rows[1:])
    paths = _find_table(doc_en, "Hypothesis tests (structural paths)")
    head = [c.text for c in paths.rows[0].cells]
    ps = [r.cells[head.index("p")].text for r in paths.rows[1:]]
    assert "< .001" in ps and not any(p.startswith("0.") for p in ps)
    betas = [r.cells[head.index("\u03b2")].text for r in paths.rows[1:]]
    assert all(b.lstrip("\u2212").startswith(".") for b in betas)
    b = [r.cells[head.index("B")].text for r in paths.rows[1:]]
    assert all(x.lstrip("\u2212").startswith("0.") for x in b)  # unstandardised keeps the zero
    assert len(paths.rows) == 1 + len(EXAMPLE["mechanisms"]["producer"]["structural"]["paths"])


def test_notes_cite_the_thresholds_and_diagrams_are_images(doc_en):
    text = "\n".join(p.text for p in doc_en.paragraphs)
    assert "Note. Cut-offs: CFI \u2265 .95" in text and "(Hu & Bentler, 1999)" in text
    assert "Henseler, Ringle & Sarstedt, 2015" in text and "Fornell & Larcker, 1981" in text
    assert len(doc_en.inline_shapes) == len(EXAMPLE["mechanisms"])
    assert sum(p.text.startswith("Figure ") for p in doc_en.paragraphs) == len(EXAMPLE["mechanisms"])
    assert "first loading fixed to 1" in text.lower() or "fixing its first loading to 1" in text


def test_chinese_document_sets_east_asian_font(doc_zh):
    fonts = doc_zh.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "SimSun"
    texts = [p.text for p in doc_zh.paragraphs]
    assert "表 1" in texts and "结构模型" in texts
    runs = [r for p in doc_zh.paragraphs for r in p.runs if "结构模型" in r.text]
    assert runs and runs[0].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "SimSun"
    rel = next(
        t
        for t in doc_zh.tables
        if t.rows[0].cells[0].text == "构念" and "组合信度 CR（标准化）" in [c.text for c in t.rows[0].cells]
    )
    row = next(r for r in rel.rows if r.cells[0].text == "ACT")
    assert row.cells[4].text == apa.MISSING  # omega not computed
    text = "\n".join(texts)
    assert "\u2014 = 无法计算" in text
    assert "omega of ACT not computed" in text  # the reason, in the warnings list


def test_without_a_chinese_font_the_diagram_uses_english_and_says_so(monkeypatch):
    import validate.report.figures as figures

    monkeypatch.setattr(figures, "cjk_font_path", lambda: None)
    png, used = figures.path_diagram_png(
        load_spec(ROOT / "tests/fixtures/specs/minimal.yaml").mechanisms["main"],
        MINIMAL["mechanisms"]["main"]["structural"]["paths"],
        "zh",
    )
    assert used == "en" and png.startswith(b"\x89PNG")
    doc = build_document(MINIMAL, load_spec(ROOT / "tests/fixtures/specs/minimal.yaml"), "zh")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "生成本文件的计算机上没有中文字体，因此路径图使用英文标签。" in text
    assert len(doc.inline_shapes) == 1
