"""Consent, screeners, routing, per-mechanism questions, frequency scales, N/A and randomisation in every format.

The fixture ``features.yaml`` has every questionnaire feature of the spec in a small
two-mechanism model; each test reads one format back with its own reader (pyxform, python-docx,
openpyxl, the HTML parser) and checks what the spec says is there.
"""

from __future__ import annotations

import re
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest

from instruments._layout import layout
from instruments.codebook import codebook, value_labels
from instruments.generate import write_instruments
from instruments.logic import LOGIC_COLUMNS, logic_rules, logic_text
from instruments.qualtrics import qualtrics_text
from instruments.questionnaire import questionnaire_html
from instruments.review import ADAPTATION_COLUMNS, TRANSLATION_COLUMNS, adaptation_table, translation_record
from instruments.spec import load_spec
from instruments.templates import write_templates
from instruments.wenjuanxing import wenjuanxing_numbers, wenjuanxing_text
from instruments.xlsform import xlsform_tables

FEATURES = Path(__file__).parent / "fixtures" / "specs" / "features.yaml"


@pytest.fixture(scope="module")
def spec():
    return load_spec(FEATURES)


@pytest.fixture(scope="module")
def written(spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("features")
    return {p.name: p for p in write_instruments(spec, out, lang="both")}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --------------------------------------------------------------------------- spec and layout


def test_spec_reads_every_feature(spec):
    assert spec.warnings == ()
    assert spec.consent.question.id == "consent" and spec.consent.question.ends_for("creator") == (2,)
    role = next(q for q in spec.background if q.id == "role")
    assert role.ends_for("creator") == (2,) and role.ends_for("viewer") == (1, 3)
    assert [q.id for q in spec.questions_for("viewer")] == ["consent", "role", "platform", "gender"]
    c = spec.mechanisms["creator"].constructs
    assert c["INT"].scale.name == "frequency" and c["INT"].mode == "formative" and c["MOT"].randomize
    assert c["INC"].not_applicable and all(it.not_applicable for it in c["INC"].items)
    assert [it.not_applicable for it in c["INT"].items] == [False, False, True]
    assert spec.not_applicable.code == 6  # max + 1 by default
    assert c["MOT"].items[0].adaptation == "adapted" and c["MOT"].items[0].original == "SIMS"
    assert spec.item_scale("INT1").name == "frequency" and spec.item_scale("ATT1") is spec.scale


def test_layout_order(spec):
    lay = layout(spec, "creator")
    assert [q.id for _, q in lay.background] == [
        "consent",
        "role",
        "posted",
        "platform",
        "earns",
        "income_source",
        "hours",
    ]
    assert [q.id for _, q in lay.closing] == ["gender"]
    assert lay.columns == [
        "consent",
        "role",
        "posted",
        "platform",
        "platform_other",
        "earns",
        "income_source",
        "hours",
        "MOT1",
        "MOT2",
        "ATT1",
        "MOT3",
        "INT1",
        "INT2",
        "INT3",
        "INC1",
        "ATT2",
        "INC2",
        "INC3",
        "gender",
    ]
    # the checks sit only in blocks on the spec's own scale, never in the frequency block
    assert [r.id for r in lay.blocks[1].rows] == ["INT1", "INT2", "INT3"]
    assert lay.closing[0][0] == 19 and lay.closing_section == 5
    assert [r.na for r in lay.blocks[2].rows] == [True, False, True, True]  # ATT2 offers no N/A


# --------------------------------------------------------------------------- printed questionnaires


def test_html_shows_consent_routing_periods_scales_and_na(spec):
    page = _text(questionnaire_html(spec, "creator", "en"))
    assert "Information and consent" in page and "You are invited to a study." in page
    assert "No, I do not agree (the survey ends)" in page
    assert "I watch (the survey ends)" in page and "I create (the survey ends)" not in page
    assert "Where do you publish most?" in page  # the creators' wording of the platform question
    assert "Other (please specify)" in page
    assert "Answer only if you chose “Yes” in question 5." in page
    assert "Hours a day spent creating" in page and "Please write your answer. 0 to 24" in page
    assert "In the past 3 months, how often did you do each of the following?" in page
    assert "Thinking of the past 6 months, how much do you agree with each statement?" in page
    for label in spec.scales["frequency"].labels["en"]:
        assert label in page
    assert page.count("6 Does not apply") == 2  # the INT and INC blocks have an N/A column
    viewer = _text(questionnaire_html(spec, "viewer", "zh"))
    assert "您主要在哪里发布？" not in viewer and "您最常使用哪个平台？" in viewer
    assert "我创作（问卷结束）" in viewer and "两者都有（问卷结束）" in viewer


def test_docx_has_the_same_features(written):
    doc = docx.Document(written["questionnaire_creator_en.docx"])
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "You are invited to a study." in text and "□ I watch (the survey ends)" in text
    assert "Answer only if you chose “Yes” in question 5." in text
    heads = [[c.text for c in t.rows[0].cells] for t in doc.tables]
    assert heads[1][2:] == ["1 Never", "2 Rarely", "3 Sometimes", "4 Often", "5 Always", "6 Does not apply"]
    rows = [[c.text for c in r.cells] for r in doc.tables[1].rows[1:]]
    assert [r[-1] for r in rows] == ["—", "—", "6"]  # only INT3 offers N/A


# --------------------------------------------------------------------------- XLSForm


def test_xlsform_routing_relevance_and_constraints_convert_with_pyxform(spec, written):
    from pyxform.xls2xform import convert

    tables = xlsform_tables(spec, "creator")
    rows = {r["name"]: r for r in tables["survey"] if r.get("name")}
    gate = "(${consent} = '1') and (${role} = '1' or ${role} = '3') and (${posted} = '1')"
    assert rows["role"]["relevant"] == "(${consent} = '1')"
    assert rows["posted"]["relevant"] == "(${consent} = '1') and (${role} = '1' or ${role} = '3')"
    assert rows["background"]["relevant"] == gate and rows["section_2"]["relevant"] == gate
    assert rows["closing"]["relevant"] == gate and rows["thanks"]["relevant"] == gate
    assert rows["screened_out"]["relevant"] == f"not({gate})"
    assert rows["income_source"]["relevant"] == "selected(${earns}, '1')"
    assert rows["platform_other"]["relevant"] == "selected(${platform}, '3')"
    assert rows["hours"]["constraint"] == ". >= 0 and . <= 24"
    assert rows["INT1"]["type"] == "select_one likert_frequency"
    assert rows["INT3"]["type"] == "select_one likert_frequency_na"
    assert rows["INC1"]["type"] == "select_one likert_na" and rows["ATT2"]["type"] == "select_one likert"
    choices = {(c["list_name"], c["name"]): c["label::English (en)"] for c in tables["choices"]}
    assert choices[("likert_frequency_na", "6")] == "Does not apply"
    assert ("likert", "6") not in choices and choices[("likert_frequency", "1")] == "Never"
    viewer = {r["name"]: r for r in xlsform_tables(spec, "viewer")["survey"] if r.get("name")}
    assert viewer["section_2"]["relevant"] == "(${consent} = '1') and (${role} = '2')"
    for m in ("creator", "viewer"):
        xform = convert(xlsform=str(written[f"xlsform_{m}.xlsx"]), validate=False).xform
        assert "relevant=" in xform
    xform = convert(xlsform=str(written["xlsform_creator.xlsx"]), validate=False).xform
    assert 'constraint=". &gt;= 0 and . &lt;= 24"' in xform
    assert "selected( /data/background/earns , '1')" in xform


# --------------------------------------------------------------------------- platform imports and logic notes


def test_wenjuanxing_and_qualtrics_carry_consent_na_and_specify(spec):
    wjx = wenjuanxing_text(spec, "creator", "zh").split("\n")
    assert wjx[3] == "1. 邀请您参与一项研究，参与完全自愿。 阅读以上说明后，您是否同意参与本次调查？[单选题]"
    assert "5. 其他：请注明[填空题]" in wjx
    i = wjx.index(next(line for line in wjx if "在过去3个月里" in line))
    assert wjx[i + 1] == "从不 很少 有时 经常 总是 不适用"
    assert wenjuanxing_numbers(spec, "creator")["gender"] == max(wenjuanxing_numbers(spec, "creator").values())
    q = qualtrics_text(spec, "creator", "en")
    assert "[[ID:consent]]\nYou are invited to a study. Taking part is voluntary.<br><br>" in q
    assert "[[Question:TE:SingleLine]]\n[[ID:platform_other]]\nOther: please specify" in q
    assert "[[Answer:6]]\nDoes not apply" in q and "[[Block:Closing]]" in q
    assert q.count("[[Answer:6]]") == 2


def test_logic_rules_list_what_the_imports_cannot_carry(spec, written):
    rules = logic_rules(spec, "creator")
    assert list(rules.columns) == LOGIC_COLUMNS
    kinds = rules.groupby("kind")["variable"].apply(list).to_dict()
    assert kinds["end_survey"] == ["consent", "role", "posted"]
    assert kinds["ask_if"] == ["income_source"] and kinds["specify"] == ["platform_other"]
    assert kinds["range"] == ["hours"] and kinds["randomize"] == ["section_2"]
    assert kinds["not_applicable"] == ["section_3", "section_4"]
    role = rules[(rules.kind == "end_survey") & (rules.variable == "role")].iloc[0]
    assert role.rule_en == "Question 2 (role): answering 2 “I watch” ends the survey."
    assert role.wenjuanxing_number == 2 and role.qualtrics_id == "role"
    viewer = logic_rules(spec, "viewer")
    assert (
        viewer.loc[viewer.variable == "role", "rule_zh"].iloc[0]
        == "第2题（role）：选择1 “我创作”、3 “两者都有”时结束作答。"
    )
    text = written["survey_logic_creator_zh.txt"].read_text(encoding="utf-8")
    assert "跳题逻辑" in text and "行随机" in text and logic_text(spec, "creator", "zh") == text


# --------------------------------------------------------------------------- codebook, template, review documents


def test_codebook_records_scales_periods_na_and_routing(spec):
    cb = codebook(spec, "creator").set_index("variable")
    assert cb.loc["consent", "kind"] == "consent" and cb.loc["consent", "ends_survey"] == "2"
    assert cb.loc["role", "kind"] == "screener" and cb.loc["role", "ends_survey"] == "2"
    assert cb.loc["platform", "text_en"] == "Where do you publish most?"
    assert cb.loc["platform_other", "kind"] == "specify" and cb.loc["platform_other", "ask_if"] == "platform in 3"
    assert cb.loc["income_source", "ask_if"] == "earns in 1"
    assert cb.loc["INT3", "scale"] == "frequency" and cb.loc["INT3", "not_applicable_code"] == 6
    assert cb.loc["INT1", "not_applicable_code"] == "" and cb.loc["INT1", "period_en"] == "the past 3 months"
    assert cb.loc["INT1", "mode"] == "formative" and cb.loc["MOT1", "randomize"] == "items"
    assert cb.loc["MOT1", "adaptation"] == "adapted" and cb.loc["MOT1", "original"] == "SIMS"
    assert cb.loc["INT1", "value_labels_en"].startswith("1 = Never; 2 = Rarely")
    assert cb.loc["INC1", "value_labels_zh"].endswith("; 6 = 不适用")
    vl = value_labels(spec, "creator")
    assert vl[vl.variable == "INC2"]["code"].tolist() == [1, 2, 3, 4, 5, 6]
    assert vl[vl.variable == "ATT2"]["code"].tolist() == [1, 2, 3, 4, 5]


def test_template_allows_the_na_code_only_where_offered(spec, tmp_path):
    wb = openpyxl.load_workbook(write_templates(spec, tmp_path, "creator")[0])
    ws = wb["creator"]
    head = [c.value for c in ws[1]]
    assert head == ["resp_id"] + layout(spec, "creator").columns
    dvs = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    col = {h: openpyxl.utils.get_column_letter(j) for j, h in enumerate(head, start=1)}

    def covered(sqref: str) -> set[str]:
        out = set()
        for rng in sqref.split():
            a, b = (re.match(r"[A-Z]+", x).group() for x in rng.split(":"))
            out |= {h for h, c in col.items() if len(c) == len(a) and a <= c <= b}
        return out

    with_na = covered(next(k for k, f in dvs.items() if f == '"1,2,3,4,5,6"'))
    assert with_na == {"INT3", "INC1", "INC2", "INC3"}
    assert covered(next(k for k, f in dvs.items() if f == '"1,2,3,4,5"')) == {
        "MOT1",
        "MOT2",
        "ATT1",
        "MOT3",
        "INT1",
        "INT2",
        "ATT2",
    }
    assert f"{col['gender']}2:{col['gender']}" in " ".join(dvs)  # closing questions validated too
    text = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value)
    assert "enter 6 for that answer" in text and "frequency scale" in text


def test_adaptation_table_and_translation_record(spec, written):
    ad = adaptation_table(spec, "creator")
    assert list(ad.columns) == ADAPTATION_COLUMNS
    assert ad["item"].tolist() == ["MOT1", "MOT2", "MOT3", "INT1", "INT2", "INT3", "INC1", "INC2", "INC3"]
    assert ad.set_index("item").loc["MOT3", "adaptation"] == "self-developed"
    assert ad.set_index("item").loc["INT1", "adaptation"] == "not stated"
    assert ad.set_index("item").loc["INT1", "mode"] == "formative"
    tr = translation_record(spec, "creator")
    assert list(tr.columns) == TRANSLATION_COLUMNS
    assert set(spec.mechanisms["creator"].item_ids) <= set(tr["variable"])
    assert {
        "consent_text",
        "consent",
        "role=2",
        "platform_other",
        "ATT1",
        "scale:frequency=5",
        "not_applicable=6",
    } <= set(tr["variable"])
    assert (tr["back_translation"] == "").all()
    book = pd.read_excel(written["translation_record_creator.xlsx"], sheet_name=None, engine="calamine")
    assert list(book) == ["Translation"] and "back_translation" in book["Translation"].columns
    d = docx.Document(written["item_adaptation_creator.docx"])
    cells = [c.text for r in d.tables[0].rows for c in r.cells]
    assert "我创作是因为好玩。" in cells and "adapted" in cells
    d = docx.Document(written["translation_record_viewer.docx"])
    assert [c.text for c in d.tables[0].rows[0].cells][3] == "back_translation"
    guide = "\n".join(p.text for p in docx.Document(written["pilot_guide_zh.docx"]).paragraphs)
    assert "认知访谈" in guide and "vcc validate" in guide and "HTMT" in guide and "creator, viewer" in guide


# --------------------------------------------------------------------------- ingest


def test_ingest_reads_not_applicable_as_missing_and_counts_it(spec, tmp_path):
    from validate.ingest.responses import ingest

    lay = layout(spec, "creator")
    rows = []
    for k in range(3):
        r = {c: 3 for c in lay.columns}
        r.update(
            {
                "resp_id": f"r{k}",
                "consent": 1,
                "role": 1,
                "posted": 1,
                "platform": 1,
                "platform_other": "",
                "earns": 2,
                "income_source": "",
                "hours": 2,
                "ATT1": 1,
                "ATT2": 5,
                "gender": 1,
            }
        )
        rows.append(r)
    rows[0]["INC1"] = 6
    rows[1]["INC1"] = "不适用"
    rows[1]["INT3"] = "Does not apply"
    rows[2]["INT1"] = 6  # INT1 offers no N/A: a value outside the scale
    path = tmp_path / "responses.csv"
    pd.DataFrame(rows, columns=["resp_id", *lay.columns]).to_csv(path, index=False)
    res = ingest([path], spec, mechanism="creator")
    df = res.data["creator"].set_index("resp_id")
    assert pd.isna(df.loc["r0", "INC1"]) and pd.isna(df.loc["r1", "INC1"]) and pd.isna(df.loc["r1", "INT3"])
    assert df.loc["r2", "INC1"] == 3
    na = res.not_applicable.set_index("variable")["n_not_applicable"].to_dict()
    assert na == {"INT3": 1, "INC1": 2, "INC2": 0, "INC3": 0}
    assert res.problems["column"].tolist() == ["INT1"] and "outside the scale 1-5" in res.problems["problem"].iloc[0]
    names = [p.name for p in res.write(tmp_path / "out")]
    assert "not_applicable.csv" in names


@pytest.mark.slow
def test_validate_reports_the_not_applicable_counts(spec, tmp_path):
    """results.json: mechanisms.<m>.not_applicable lists each item offering N/A with its count."""
    from validate.pipeline import AnalysisOptions, run_validate
    from validate.power.simulate import simulate_study

    st = simulate_study(spec, {1: 90, 2: 90}, mechanisms=["creator"], seed=3, not_applicable_rate=0.05)
    df = st.data["creator"]
    path = tmp_path / "creator.csv"
    df.to_csv(path, index=False)
    res = run_validate([path], spec, AnalysisOptions(bootstrap=0, progress=False, missing="fiml"), out=tmp_path / "out")
    got = {d["item"]: d["n_not_applicable"] for d in res["mechanisms"]["creator"]["not_applicable"]}
    expected = {
        i: int(df[i].eq(spec.not_applicable.code).fillna(False).sum()) for i in spec.not_applicable_items("creator")
    }
    assert got == expected and sum(got.values()) == int(st.missing["n_not_applicable"].sum()) > 0


@pytest.mark.slow
def test_bundled_xlsform_passes_odk_validate(tmp_path):
    """ODK Validate (JavaRosa, shipped with pyxform) accepts the bundled spec's forms: routing and constraints parse."""
    import shutil

    from pyxform.xls2xform import convert

    if shutil.which("java") is None:
        pytest.skip("ODK Validate needs Java")
    s = load_spec()
    path = write_instruments(s, tmp_path, mechanism="consumer", lang="en")
    xlsform = next(p for p in path if p.name == "xlsform_consumer.xlsx")
    result = convert(xlsform=str(xlsform), validate=True)
    assert result.warnings == []
    assert "relevant=" in result.xform and "constraint=" in result.xform


def test_ingest_matches_a_mechanism_specific_wording_and_frequency_labels(spec, tmp_path):
    """A header with the creators' wording of the platform question, and answers given as frequency labels."""
    from validate.ingest.responses import ingest

    lay = layout(spec, "creator")
    items = [r.id for r in lay.rows]
    head = ["序号", "Where do you publish most?"] + items
    rows = [
        [1, "Kuaishou"] + ["Often" if i.startswith("INT") else 3 for i in items],
        [2, "抖音"] + ["总是" if i.startswith("INT") else 4 for i in items],
    ]
    path = tmp_path / "export.csv"
    pd.DataFrame(rows, columns=head).to_csv(path, index=False)
    res = ingest([path], spec, mechanism="creator")
    df = res.data["creator"]
    assert df["platform"].tolist() == [2, 1]
    assert df["INT1"].tolist() == [4, 5] and res.problems.empty
