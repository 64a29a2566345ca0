"""Instruments generated from a spec: every format opens with its own reader and keeps the Chinese."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest
import yaml

from instruments._layout import layout
from instruments.codebook import (
    CODEBOOK_COLUMNS,
    codebook,
    value_labels,
    write_codebook,
)
from instruments.errors import InputError, SpecError
from instruments.generate import write_instruments
from instruments.qualtrics import qualtrics_text, write_qualtrics
from instruments.questionnaire import (
    questionnaire_html,
    write_questionnaire_docx,
    write_questionnaire_html,
)
from instruments.spec import load_spec
from instruments.wenjuanxing import wenjuanxing_text, write_wenjuanxing
from instruments.xlsform import write_xlsform

MINIMAL = Path(__file__).parent / "fixtures" / "specs" / "minimal.yaml"


@pytest.fixture(scope="module")
def spec():
    return load_spec(MINIMAL)


def make_spec(tmp_path: Path, edit) -> object:
    """A copy of the minimal spec, changed by ``edit(raw_dict)``, loaded."""
    raw = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    edit(raw)
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_spec(p)


def item_texts(spec, lang):
    return [it.text[lang] for it in spec.mechanisms["main"].items]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.data, self.attrs = [], [], {}
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.setdefault(tag, []).append(dict(attrs))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if not self._in_style:
            self.data.append(data)


def parse_html(text: str) -> _Collect:
    p = _Collect()
    p.feed(text)
    p.close()
    return p


# --------------------------------------------------------------------------- layout


def test_layout_order_background_first_stages_and_attention_check_in_the_middle(spec):
    lay = layout(spec, "main")
    assert lay.columns == [
        "platform",
        "gender",
        "DRV1",
        "DRV2",
        "DRV3",
        "ACT1",
        "ATT1",
        "ACT2",
        "ACT3",
        "OUT1",
        "OUT2",
        "OUT3",
    ]
    assert [n for n, _ in lay.background] == [1, 2]
    assert [r.number for r in lay.rows] == list(range(3, 13))
    assert [b.section for b in lay.blocks] == [2, 3, 4]
    assert [r.kind for r in lay.blocks[1].rows] == ["item", "attention_check", "item", "item"]


def test_layout_groups_blocks_by_stage_keeping_spec_order(tmp_path):
    def edit(raw):
        c = raw["mechanisms"]["main"]["constructs"]
        raw["mechanisms"]["main"]["constructs"] = {"OUT": c["OUT"], "ACT": c["ACT"], "DRV": c["DRV"]}

    s = make_spec(tmp_path, edit)
    assert [b.construct.id for b in layout(s, "main").blocks] == ["DRV", "ACT", "OUT"]


# --------------------------------------------------------------------------- HTML


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_has_every_text_in_its_language_and_no_theory(spec, tmp_path, lang):
    paths = write_questionnaire_html(spec, tmp_path, lang=lang)
    assert [p.name for p in paths] == [f"questionnaire_main_{lang}.html"]
    text = paths[0].read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in text
    assert "@page" in text and "@media print" in text
    doc = parse_html(text)
    assert doc.attrs["html"][0]["lang"] == {"en": "en", "zh": "zh-CN"}[lang]
    body = "".join(doc.data)
    for t in item_texts(spec, lang) + [spec.attention_checks[0].text[lang]]:
        assert t in body
    for q in spec.background:
        assert q.text[lang] in body
        for ch in q.choices:
            assert ch.label[lang] in body
    for label in spec.scale.labels[lang]:
        assert label in body
    # no construct ids, construct labels or reverse flags shown to respondents
    rest = body
    for t in item_texts(spec, lang):
        rest = rest.replace(t, "")
    for c in spec.mechanisms["main"].constructs.values():
        assert c.label[lang] not in rest
        assert not re.search(rf"\b{c.id}\d*\b", body)
    assert "reverse" not in body.lower() and "反向" not in body
    other = "zh" if lang == "en" else "en"
    assert item_texts(spec, other)[0] not in body
    assert "script" not in doc.tags
    # one matrix table per construct block, the scale labels as column headers
    assert doc.tags.count("table") == 3
    assert doc.tags.count("th") == 3 * (2 + 5)


def test_html_both_shows_chinese_with_english_beneath(spec, tmp_path):
    paths = write_questionnaire_html(spec, tmp_path, lang="both")
    assert [p.name for p in paths] == [
        "questionnaire_main_en.html",
        "questionnaire_main_zh.html",
        "questionnaire_main_both.html",
    ]
    text = paths[2].read_text(encoding="utf-8")
    body = "".join(parse_html(text).data)
    for zh, en in zip(item_texts(spec, "zh"), item_texts(spec, "en")):
        assert zh in body and en in body
        assert body.index(zh) < body.index(en)
    assert '<span lang="en" class="en">I am driven to create.</span>' in text


def test_html_escapes_spec_text(tmp_path):
    evil = "<script>alert('x')</script> & <b>bold</b>"

    def edit(raw):
        raw["mechanisms"]["main"]["constructs"]["DRV"]["items"][0]["text"] = {"en": evil, "zh": evil + "中文"}
        raw["background"][1]["choices"][0]["label"]["en"] = "<img src=x onerror=alert(1)>"

    s = make_spec(tmp_path, edit)
    for lang in ("en", "zh", "both"):
        text = questionnaire_html(s, "main", lang)
        doc = parse_html(text)
        assert "script" not in doc.tags and "img" not in doc.tags and "b" not in doc.tags
        assert evil in "".join(doc.data)
        assert "&lt;script&gt;" in text


def test_questionnaire_lang_errors(spec, tmp_path):
    with pytest.raises(InputError, match=r"lang='fr' is not supported; expected one of en, zh, both"):
        write_questionnaire_html(spec, tmp_path, lang="fr")
    with pytest.raises(InputError, match=r"lang='de' is not supported"):
        questionnaire_html(spec, "main", "de")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- Word


def _docx_text(d) -> str:
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def test_docx_opens_with_tables_per_block_and_keeps_chinese(spec, tmp_path):
    paths = write_questionnaire_docx(spec, tmp_path, lang="both")
    assert [p.name for p in paths] == [
        "questionnaire_main_en.docx",
        "questionnaire_main_zh.docx",
        "questionnaire_main_both.docx",
    ]
    zh = docx.Document(paths[1])
    assert len(zh.tables) == 3
    assert [c.text for c in zh.tables[0].rows[0].cells] == ["题号", "题目"] + [
        f"{i} {lab}" for i, lab in enumerate(spec.scale.labels["zh"], start=1)
    ]
    text = _docx_text(zh)
    for t in item_texts(spec, "zh") + [spec.attention_checks[0].text["zh"]]:
        assert t in text
    assert "I am driven to create." not in text
    assert "驱动" not in text and "DRV" not in text
    both = _docx_text(docx.Document(paths[2]))
    assert "我有创作的动力。\nI am driven to create." in both
    en = _docx_text(docx.Document(paths[0]))
    assert "I am driven to create." in en and "我有创作的动力。" not in en


def test_docx_sets_east_asian_font(spec, tmp_path):
    from docx.oxml.ns import qn

    path = write_questionnaire_docx(spec, tmp_path, lang="zh")[0]
    d = docx.Document(path)
    rfonts = d.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == "SimSun"
    lang = d.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN"
    import zipfile

    with zipfile.ZipFile(path) as z:
        assert '<w:altName w:val="宋体"/>' in z.read("word/fontTable.xml").decode("utf-8")


# --------------------------------------------------------------------------- codebook


def test_codebook_table(spec):
    cb = codebook(spec)
    assert list(cb.columns) == CODEBOOK_COLUMNS
    assert list(cb["variable"]) == layout(spec, "main").columns
    assert list(cb["position"]) == list(range(1, 13))
    row = cb.set_index("variable").loc["DRV3"]
    assert (row["construct"], row["construct_label_zh"], row["stage"], row["reverse"]) == (
        "DRV",
        "驱动",
        "driver",
        True,
    )
    assert row["value_labels_zh"] == "1 = 非常不同意; 2 = 不同意; 3 = 一般; 4 = 同意; 5 = 非常同意"
    assert (row["scale_min"], row["scale_max"]) == (1, 5)
    att = cb.set_index("variable").loc["ATT1"]
    assert (att["kind"], att["expected"], att["construct"], att["reverse"]) == ("attention_check", "4", "", False)
    bg = cb.set_index("variable").loc["gender"]
    assert (bg["kind"], bg["type"], bg["value_labels_zh"]) == ("background", "single", "1 = 男; 2 = 女")
    assert cb["reverse"].sum() == 1
    vl = value_labels(spec)
    assert len(vl) == 3 + 2 + 10 * 5
    assert vl.iloc[0].tolist() == ["main", "platform", 1, "Douyin/TikTok", "抖音"]


def test_codebook_files_round_trip(spec, tmp_path):
    paths = write_codebook(spec, tmp_path)
    assert [p.name for p in paths] == ["codebook_main.xlsx", "codebook_main.csv", "codebook_main_values.csv"]
    wb = openpyxl.load_workbook(paths[0])
    assert wb.sheetnames == ["Variables", "Values"]
    ws = wb["Variables"]
    assert ws.freeze_panes == "B2"
    assert [c.value for c in ws[1]] == CODEBOOK_COLUMNS
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(values) == 12
    zh_col = CODEBOOK_COLUMNS.index("text_zh")
    assert {v[zh_col] for v in values} >= set(item_texts(spec, "zh"))
    assert ws.column_dimensions["I"].width == 60  # text_en
    assert paths[1].read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(paths[1], encoding="utf-8-sig", keep_default_na=False, dtype=str)
    assert list(back["text_zh"]) == list(codebook(spec)["text_zh"])
    vals = pd.read_csv(paths[2], encoding="utf-8-sig")
    assert list(vals.columns) == ["mechanism", "variable", "code", "label_en", "label_zh"]


def test_codebook_cells_cannot_run_as_formulas(tmp_path):
    def edit(raw):
        raw["mechanisms"]["main"]["constructs"]["DRV"]["items"][0]["text"] = {
            "en": '=HYPERLINK("http://x")',
            "zh": "+1 中文",
        }

    s = make_spec(tmp_path, edit)
    paths = write_codebook(s, tmp_path / "out")
    ws = openpyxl.load_workbook(paths[0])["Variables"]
    texts = [
        (r[CODEBOOK_COLUMNS.index("text_en")].value, r[CODEBOOK_COLUMNS.index("text_zh")].value)
        for r in ws.iter_rows(min_row=2)
    ]
    assert ('\'=HYPERLINK("http://x")', "'+1 中文") in texts
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    with open(paths[1], encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[2]["text_en"] == '\'=HYPERLINK("http://x")'


# --------------------------------------------------------------------------- XLSForm


def test_xlsform_converts_with_pyxform_and_keeps_chinese(spec, tmp_path):
    from pyxform.xls2xform import convert

    path = write_xlsform(spec, tmp_path)[0]
    assert path.name == "xlsform_main.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["survey", "choices", "settings"]
    survey = [[c.value for c in row] for row in wb["survey"].iter_rows()]
    head = survey[0]
    assert head[:4] == ["type", "name", "label::English (en)", "label::Chinese (zh)"]
    rows = {r[1]: dict(zip(head, r)) for r in survey[1:] if r[1]}
    assert rows["DRV1"]["type"] == "select_one likert"
    assert rows["DRV1"]["label::Chinese (zh)"] == "我有创作的动力。"
    assert rows["ATT1"]["type"] == "select_one likert"
    assert rows["gender"]["type"] == "select_one bg_gender"
    types = [r[0] for r in survey[1:]]
    assert types.count("begin_group") == 4 and types.count("end_group") == 4
    assert rows["section_2"]["appearance"] == "field-list"
    settings = dict(zip([c.value for c in wb["settings"][1]], [c.value for c in wb["settings"][2]]))
    assert settings["form_id"] == "vcc_minimal_main"
    assert settings["default_language"] == "English (en)"
    assert settings["version"] == spec.sha256[:10]
    choices = [[c.value for c in row] for row in wb["choices"].iter_rows(min_row=2)]
    assert ["likert", "4", "Agree", "同意"] in choices
    assert ["bg_gender", "2", "Female", "女"] in choices

    result = convert(xlsform=str(path), validate=False)
    assert result.xform.startswith("<?xml")
    assert '<translation lang="Chinese (zh)">' in result.xform
    for t in item_texts(spec, "zh") + item_texts(spec, "en"):
        assert t in result.xform
    lay = layout(spec, "main")
    for _, q in lay.background:
        assert f'nodeset="/data/background/{q.id}"' in result.xform
    for block in lay.blocks:
        for r in block.rows:
            assert f'nodeset="/data/section_{block.section}/{r.id}"' in result.xform


# --------------------------------------------------------------------------- Wenjuanxing


def test_wenjuanxing_text_structure(spec, tmp_path):
    paths = write_wenjuanxing(spec, tmp_path)
    assert [p.name for p in paths] == ["wenjuanxing_main_en.txt", "wenjuanxing_main_zh.txt"]
    lines = paths[1].read_text(encoding="utf-8").split("\n")
    assert lines[0] == "最小测试模型"
    assert lines[3] == "1. 您最常使用哪个平台？[单选题]"
    assert lines[4:7] == ["抖音", "快手", "小红书"]
    matrices = [i for i, line in enumerate(lines) if line.endswith("[矩阵量表题]")]
    assert len(matrices) == 3
    assert lines[matrices[0]].startswith("3. ")
    assert lines[matrices[0] + 1] == "非常不同意 不同意 一般 同意 非常同意"
    assert lines[matrices[0] + 2 : matrices[0] + 5] == ["我有创作的动力。", "我想分享。", "我很少感到有动力。"]
    assert lines[matrices[1] + 3] == spec.attention_checks[0].text["zh"]
    en = paths[0].read_text(encoding="utf-8").split("\n")
    m = next(i for i, line in enumerate(en) if line.endswith("[矩阵量表题]"))
    assert en[m + 1] == "Strongly-disagree Disagree Neutral Agree Strongly-agree"


def test_wenjuanxing_text_cannot_inject_tags(tmp_path):
    def edit(raw):
        raw["mechanisms"]["main"]["constructs"]["DRV"]["items"][0]["text"]["zh"] = "坏[单选题]\n2. 新题"

    s = make_spec(tmp_path, edit)
    text = wenjuanxing_text(s, "main", "zh")
    assert "坏［单选题］ 2. 新题" in text
    assert text.count("[单选题]") == 2
    with pytest.raises(InputError, match="lang='both': the Wenjuanxing text holds one language; expected en or zh"):
        wenjuanxing_text(s, "main", "both")


# --------------------------------------------------------------------------- Qualtrics


def test_qualtrics_advanced_format(spec, tmp_path):
    paths = write_qualtrics(spec, tmp_path, lang="zh")
    assert [p.name for p in paths] == ["qualtrics_main_zh.txt"]
    text = paths[0].read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0] == "[[AdvancedFormat]]"
    assert text.count("[[Question:Matrix]]") == 3
    assert text.count("[[PageBreak]]") == 3
    assert text.count("[[Block:") == 4
    assert "[[Question:MC:SingleAnswer:Vertical]]\n[[ID:gender]]\n性别\n[[AdvancedChoices]]\n[[Choice:1]]\n男" in text
    i = lines.index("[[ID:section_3]]")
    assert lines[i + 2 : i + 7] == [
        "[[Choices]]",
        "我经常互动。",
        spec.attention_checks[0].text["zh"],
        "我会回复评论。",
        "我参与挑战活动。",
    ]
    assert lines[i + 7 : i + 10] == ["[[AdvancedAnswers]]", "[[Answer:1]]", "非常不同意"]
    assert text.count("[[Answer:") == 3 * 5
    with pytest.raises(InputError, match="a Qualtrics TXT file holds one language"):
        qualtrics_text(spec, "main", "both")


def test_qualtrics_escapes_html_and_tags(tmp_path):
    def edit(raw):
        raw["mechanisms"]["main"]["constructs"]["ACT"]["items"][0]["text"]["en"] = "<b>x</b> [[PageBreak]]"

    s = make_spec(tmp_path, edit)
    text = qualtrics_text(s, "main", "en")
    assert "&lt;b&gt;x&lt;/b&gt; &#91;&#91;PageBreak&#93;&#93;" in text
    assert text.count("[[PageBreak]]") == 3


# --------------------------------------------------------------------------- entry point


def test_write_instruments_lang_options(spec, tmp_path):
    names = {p.name for p in write_instruments(spec, tmp_path / "en", lang="en")}
    review = {
        "item_adaptation_main.xlsx",
        "item_adaptation_main.docx",
        "translation_record_main.xlsx",
        "translation_record_main.docx",
    }
    assert (
        names
        == {
            "questionnaire_main_en.html",
            "questionnaire_main_en.docx",
            "codebook_main.xlsx",
            "codebook_main.csv",
            "codebook_main_values.csv",
            "xlsform_main.xlsx",
            "wenjuanxing_main_en.txt",
            "qualtrics_main_en.txt",
            "survey_logic_main_en.txt",
            "pilot_guide_en.docx",
        }
        | review
    )
    assert {p.name for p in (tmp_path / "en").iterdir()} == names
    zh = {p.name for p in write_instruments(spec, tmp_path / "zh", lang="zh")}
    assert {n for n in zh if "_zh" in n} == {
        "questionnaire_main_zh.html",
        "questionnaire_main_zh.docx",
        "wenjuanxing_main_zh.txt",
        "qualtrics_main_zh.txt",
        "survey_logic_main_zh.txt",
        "pilot_guide_zh.docx",
    }
    assert not any("_en" in n for n in zh)
    both = {p.name for p in write_instruments(spec, tmp_path / "both")}
    assert len(both) == 14 + 4 + 4
    assert {"questionnaire_main_both.html", "questionnaire_main_both.docx"} <= both
    with pytest.raises(InputError, match=r"lang='EN' is not supported; expected one of en, zh, both"):
        write_instruments(spec, tmp_path / "bad", lang="EN")
    assert not (tmp_path / "bad").exists()


def test_unknown_mechanism(spec, tmp_path):
    with pytest.raises(SpecError, match=r"minimal\.yaml: there is no mechanism 'nope'; expected one of: main"):
        write_instruments(spec, tmp_path / "out", mechanism="nope")
    assert not (tmp_path / "out").exists()


def test_bundled_spec_writes_every_instrument(tmp_path):
    from pyxform.xls2xform import convert

    s = load_spec()
    mech = next(iter(s.mechanisms))
    paths = write_instruments(s, tmp_path, mechanism=mech, lang="zh")
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    xlsform = next(p for p in paths if p.name.startswith("xlsform_"))
    xform = convert(xlsform=str(xlsform), validate=False).xform
    html_text = next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8")
    body = "".join(parse_html(html_text).data)
    for it in s.mechanisms[mech].items:
        assert it.text["zh"] in body
        assert it.text["zh"].replace("&", "&amp;").replace("<", "&lt;") in xform


def test_every_background_question_type_in_every_format(tmp_path):
    from pyxform.xls2xform import convert

    def edit(raw):
        raw["background"] += [
            {
                "id": "apps",
                "type": "multiple",
                "text": {"en": "Which apps?", "zh": "哪些应用？"},
                "choices": [
                    {"code": 1, "label": {"en": "A", "zh": "甲"}},
                    {"code": 2, "label": {"en": "B", "zh": "乙"}},
                ],
            },
            {"id": "city", "type": "text", "text": {"en": "Your city", "zh": "您所在的城市"}},
            {"id": "hours", "type": "number", "text": {"en": "Hours per day", "zh": "每天使用小时数"}},
        ]
        raw["mechanisms"]["main"]["respondent"] = {"en": "Creators", "zh": "创作者"}

    s = make_spec(tmp_path, edit)
    paths = {p.name: p for p in write_instruments(s, tmp_path / "out", lang="both")}
    xform = convert(xlsform=str(paths["xlsform_main.xlsx"]), validate=False).xform
    assert '<bind nodeset="/data/background/hours" type="int" required="true()"/>' in xform
    assert '<select ref="/data/background/apps">' in xform
    ws = openpyxl.load_workbook(paths["xlsform_main.xlsx"])["survey"]
    types = {r[1].value: r[0].value for r in ws.iter_rows(min_row=2)}
    assert (types["apps"], types["city"], types["hours"]) == ("select_multiple bg_apps", "text", "integer")
    wjx = paths["wenjuanxing_main_zh.txt"].read_text(encoding="utf-8")
    assert "3. 哪些应用？[多选题]\n甲\n乙\n" in wjx and "4. 您所在的城市[填空题]\n\n" in wjx
    qx = paths["qualtrics_main_en.txt"].read_text(encoding="utf-8")
    assert "[[Question:MC:MultipleAnswer:Vertical]]\n[[ID:apps]]" in qx
    assert "[[Question:TE:SingleLine]]\n[[ID:hours]]\nHours per day\n" in qx
    page = "".join(parse_html(paths["questionnaire_main_en.html"].read_text(encoding="utf-8")).data)
    assert "Tick all that apply." in page and "Who should answer: Creators" in page
    doc = _docx_text(docx.Document(paths["questionnaire_main_zh.docx"]))
    assert "调查对象：创作者" in doc and "(可多选。)" in doc
    cb = codebook(s).set_index("variable")
    assert cb.loc["city", "type"] == "text" and cb.loc["city", "value_labels_en"] == ""
    assert cb.loc["apps", "position"] == 3 and cb.loc["DRV1", "position"] == 6
