"""Ingest: every platform's export of the same answers gives the same data; every problem names its cell."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from instruments.errors import InputError
from instruments.spec import load_spec
from validate.ingest.responses import (
    MAPPING_COLUMNS,
    PROBLEM_COLUMNS,
    ingest,
    read_mapping,
    render_mapping,
    text_key,
)

ROOT = Path(__file__).resolve().parent
EXPORTS = ROOT / "fixtures" / "exports"
SPEC = load_spec(ROOT / "fixtures" / "specs" / "minimal.yaml")
ITEMS = ["DRV1", "DRV2", "DRV3", "ACT1", "ACT2", "ACT3", "OUT1", "OUT2", "OUT3"]
HEADER = ["resp_id", "platform", "gender", "duration_sec", *ITEMS, "ATT1"]

FIXTURES = {
    "template.xlsx": "template",
    "template.csv": "template",
    "wjx_codes.xlsx": "wjx",
    "wjx_text.xlsx": "wjx",
    "wjx_text_gbk.csv": "wjx",
    "wjx_text_html.xls": "wjx",
    "qualtrics_numeric.csv": "qualtrics",
    "qualtrics_text.xlsx": "qualtrics",
    "qualtrics_legacy.csv": "qualtrics",
    "google_forms.csv": "google",
    "msforms.xlsx": "msforms",
}


def expected() -> pd.DataFrame:
    df = pd.read_csv(EXPORTS / "expected.csv", dtype={"resp_id": str})
    return df


def write_xlsx(path: Path, rows: list[list], sheet: str = "main", extra=None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    if extra:
        extra(ws)
    wb.save(path)
    return path


def good_rows(n: int = 4) -> list[list]:
    rows = [HEADER]
    for i in range(n):
        rows.append([f"r{i + 1}", 1 + i % 3, 1 + i % 2, 100 + 10 * i] + [1 + (i + j) % 5 for j in range(9)] + [4])
    return rows


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- same answers everywhere


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_export_ingests_to_the_same_data(name):
    before = digest(EXPORTS / name)
    res = ingest(EXPORTS / name, SPEC)
    assert digest(EXPORTS / name) == before  # never writes to the input
    assert res.format == FIXTURES[name]
    assert list(res.data) == ["main"]
    got = res.data["main"]
    exp = expected()
    assert res.problems.empty, res.problems.to_string()
    cols = [c for c in exp.columns if c not in ("resp_id", "duration_sec")]
    pd.testing.assert_frame_equal(got[cols].reset_index(drop=True), exp[cols].astype(float), check_dtype=True)
    if FIXTURES[name] != "google":  # Google Forms records no duration
        np.testing.assert_allclose(got["duration_sec"].to_numpy(), exp["duration_sec"].to_numpy(float))
    else:
        assert "duration_sec" not in got.columns
    if FIXTURES[name] in ("template", "wjx", "msforms"):
        assert got["resp_id"].tolist() == exp["resp_id"].tolist()
    assert list(got.columns[:3]) == ["resp_id", "platform", "gender"]
    assert got["OUT2"].isna().sum() == 1 and got["ACT1"].isna().sum() == 1  # skipped cells are missing


def test_wjx_variants_are_recognised():
    assert ingest(EXPORTS / "wjx_codes.xlsx", SPEC).sources["variant"].tolist() == ["codes"]
    assert ingest(EXPORTS / "wjx_text.xlsx", SPEC).sources["variant"].tolist() == ["text"]


def test_mapping_table_says_how_each_column_was_matched():
    res = ingest(EXPORTS / "wjx_codes.xlsx", SPEC)
    mp = res.mapping
    assert list(mp.columns) == MAPPING_COLUMNS
    row = mp[mp["mapped_to"] == "DRV1"].iloc[0]
    assert (row["column"], row["header"], row["how"]) == ("I", "3、(我有创作的动力。)", "text")
    assert mp.loc[mp["header"] == "序号", "mapped_to"].item() == "resp_id"
    assert mp.loc[mp["header"] == "来自IP", "mapped_to"].item() == ""
    tpl = ingest(EXPORTS / "template.xlsx", SPEC).mapping
    assert set(tpl.loc[tpl["mapped_to"].isin(ITEMS), "how"]) == {"id"}
    assert set(tpl["sheet"]) == {"main"}  # Codebook and Instructions sheets are not read
    text = render_mapping(res)
    assert "wjx_codes.xlsx, sheet Sheet1: 14 of 22 columns used" in text
    assert "-> DRV1 (text)" in text and "(not used" in text


def test_qualtrics_uses_three_header_rows():
    res = ingest(EXPORTS / "qualtrics_numeric.csv", SPEC)
    assert res.sources["header_rows"].tolist() == [3]
    assert res.data["main"]["resp_id"].iloc[0] == "R_01aBcDeFgHiJk"
    assert ingest(EXPORTS / "qualtrics_legacy.csv", SPEC).sources["header_rows"].tolist() == [1]


def test_several_files_are_stacked_and_generated_ids_stay_unique():
    res = ingest([EXPORTS / "google_forms.csv", EXPORTS / "template.csv"], SPEC)
    df = res.data["main"]
    assert len(df) == 16 and df["resp_id"].is_unique
    assert df["resp_id"].iloc[0] == "google_forms:1"
    assert res.format == "mixed"


def test_text_key_folds_width_case_punctuation_and_spaces():
    assert text_key("５、我有创作的动力。") == text_key("5 我有创作的动力")
    assert text_key("Strongly  AGREE!") == "stronglyagree"
    assert text_key("ＤＲＶ１") == "drv1"


def test_text_labels_map_to_scale_codes_in_both_languages(tmp_path):
    rows = [HEADER] + [
        [
            "a",
            "抖音",
            "Female",
            60,
            "非常同意",
            "Strongly agree",
            "strongly  AGREE",
            "Ｎｅｕｔｒａｌ",
            "同意",
            "不同意",
            "非常不同意",
            "一般",
            "agree",
            "同意",
        ]
    ]
    res = ingest(write_xlsx(tmp_path / "t.xlsx", rows), SPEC)
    df = res.data["main"]
    assert df[ITEMS].iloc[0].tolist() == [5, 5, 5, 3, 4, 2, 1, 3, 4]
    assert (df["platform"].item(), df["gender"].item()) == (1.0, 2.0)


def test_headers_matched_by_text_with_numbers_and_full_width_punctuation(tmp_path):
    head = ["ID", "Q1. Which platform do you use most?", "性别"] + [
        f"Q{k + 3}. {SPEC.mechanisms['main'].items[k].text['en']}"
        if k % 2
        else f"{k + 3}．{SPEC.mechanisms['main'].items[k].text['zh']}"
        for k in range(9)
    ]
    rows = [head, ["x1", 2, 1] + [3] * 9]
    res = ingest(write_xlsx(tmp_path / "t.xlsx", rows), SPEC)
    assert res.mapping.loc[res.mapping["mapped_to"].isin(ITEMS), "how"].eq("text").sum() == 9
    assert res.data["main"]["platform"].item() == 2.0


# --------------------------------------------------------------------------- cell problems


def test_cell_problems_name_file_sheet_cell_value_and_expectation(tmp_path):
    rows = good_rows(3)
    rows[2][4] = 9  # E3: DRV1 out of scale
    rows[3][5] = "maybe"  # F4: DRV2 not a label
    rows[1][6] = 3.5  # G2: DRV3 not whole
    rows[3][1] = "Weibo"  # B4: platform not a choice
    rows[1][3] = "fast"  # D2: duration not a duration
    f = write_xlsx(tmp_path / "responses.xlsx", rows, sheet="main")
    res = ingest(f, SPEC)
    pr = res.problems
    assert list(pr.columns) == PROBLEM_COLUMNS
    by_cell = pr.set_index("cell")
    assert set(by_cell.index) == {"E3", "F4", "G2", "B4", "D2"}
    assert by_cell.loc["E3", "problem"] == "9 is outside the scale 1-5"
    assert by_cell.loc["E3", "file"] == "responses.xlsx" and by_cell.loc["E3", "sheet"] == "main"
    assert by_cell.loc["E3", "column"] == "DRV1" and by_cell.loc["E3", "resp_id"] == "r2"
    assert by_cell.loc["E3", "value"] == "9"
    assert by_cell.loc["E3", "expected"].startswith("a whole number 1-5 or a scale label (Strongly disagree")
    assert "非常同意" in by_cell.loc["E3", "expected"]
    assert by_cell.loc["F4", "problem"] == "'maybe' is not a label of the scale"
    assert by_cell.loc["G2", "problem"] == "3.5 is not a whole number"
    assert by_cell.loc["B4", "problem"] == "'Weibo' is not a choice of question platform"
    assert by_cell.loc["B4", "expected"].startswith("one of 1 (Douyin/TikTok / 抖音)")
    assert by_cell.loc["D2", "problem"] == "'fast' is not a duration"
    df = res.data["main"]
    assert np.isnan(df.loc[1, "DRV1"]) and np.isnan(df.loc[2, "DRV2"]) and np.isnan(df.loc[0, "DRV3"])
    assert np.isnan(df.loc[2, "platform"]) and np.isnan(df.loc[0, "duration_sec"])
    assert df.loc[0, "DRV1"] == 1.0  # the rest is untouched


def test_cell_names_count_header_rows_in_qualtrics(tmp_path):
    text = (EXPORTS / "qualtrics_numeric.csv").read_text(encoding="utf-8-sig").splitlines()
    fields = text[4].split(",")
    fields[13] = "8"  # column N (DRV1) of the second respondent, CSV record 5
    text[4] = ",".join(fields)
    f = tmp_path / "q.csv"
    f.write_text("\n".join(text), encoding="utf-8")
    pr = ingest(f, SPEC).problems
    assert pr[["file", "sheet", "cell", "value"]].values.tolist() == [["q.csv", "", "N5", "8"]]
    assert pr["column"].item().startswith("Q3_1 | Please indicate")


def test_empty_resp_id_is_a_cell_problem(tmp_path):
    rows = good_rows(2)
    rows[2][0] = None
    pr = ingest(write_xlsx(tmp_path / "t.xlsx", rows), SPEC).problems
    assert pr["cell"].tolist() == ["A3"]
    assert pr["problem"].item() == "the respondent id is empty; the row was given the id row3"


def test_duration_formats_are_parsed(tmp_path):
    rows = good_rows(4)
    for r, v in zip(rows[1:], ["185秒", "3分5秒", "0:03:05", 185]):
        r[3] = v
    df = ingest(write_xlsx(tmp_path / "t.xlsx", rows), SPEC).data["main"]
    assert df["duration_sec"].tolist() == [185.0] * 4


def test_wjx_skip_codes_are_missing_not_problems():
    res = ingest(EXPORTS / "wjx_codes.xlsx", SPEC)
    assert res.problems.empty
    assert res.data["main"]["OUT2"].isna().sum() == 1


# --------------------------------------------------------------------------- file problems


def problems_of(exc: pytest.ExceptionInfo) -> str:
    return str(exc.value)


def test_empty_file(tmp_path):
    f = tmp_path / "empty.xlsx"
    f.write_bytes(b"")
    with pytest.raises(InputError) as e:
        ingest(f, SPEC)
    assert "empty.xlsx: the file is empty (0 bytes); expected survey responses" in problems_of(e)
    assert "nothing was ingested" in problems_of(e)


def test_blank_csv_and_blank_workbook(tmp_path):
    f = tmp_path / "blank.csv"
    f.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="blank.csv: the file has no rows"):
        ingest(f, SPEC)
    w = write_xlsx(tmp_path / "blank.xlsx", [])
    with pytest.raises(InputError, match=r"blank.xlsx: the file is empty \(no cells with values\)"):
        ingest(w, SPEC)


def test_password_protected_workbook(tmp_path):
    f = tmp_path / "locked.xlsx"
    f.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(InputError) as e:
        ingest(f, SPEC)
    assert "locked.xlsx: the workbook is password-protected (encrypted)" in problems_of(e)
    assert "remove the password" in problems_of(e)


def test_not_a_spreadsheet(tmp_path):
    pdf = tmp_path / "answers.xlsx"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"\x00" * 50)
    with pytest.raises(InputError, match=r"answers.xlsx: is not a spreadsheet \(it looks like a PDF file\)"):
        ingest(pdf, SPEC)
    import zipfile

    docx = tmp_path / "answers2.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(InputError, match="answers2.xlsx: is a Word document, not an Excel workbook"):
        ingest(docx, SPEC)
    binary = tmp_path / "data.csv"
    binary.write_bytes(b"\x01\x02\x00\x00abc")
    with pytest.raises(InputError, match="data.csv: is not a spreadsheet or a text"):
        ingest(binary, SPEC)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="nope.xlsx: the file does not exist"):
        ingest(tmp_path / "nope.xlsx", SPEC)


def test_html_saved_as_xls_without_lxml(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "lxml", None)
    with pytest.raises(InputError) as e:
        ingest(EXPORTS / "wjx_text_html.xls", SPEC)
    msg = problems_of(e)
    assert "wjx_text_html.xls: is an HTML page saved with an .xls name" in msg
    assert "save it as .xlsx" in msg


def test_merged_header_cells(tmp_path):
    f = write_xlsx(tmp_path / "merged.xlsx", good_rows(), extra=lambda ws: ws.merge_cells("E1:F1"))
    with pytest.raises(InputError) as e:
        ingest(f, SPEC)
    assert "merged.xlsx, sheet main: has merged cells (E1:F1)" in problems_of(e)
    assert "unmerge them" in problems_of(e)


def test_formulas_instead_of_values(tmp_path):
    def add(ws):
        ws["E2"] = "=1+2"
        ws["F3"] = "=SUM(E2:E3)"

    f = write_xlsx(tmp_path / "formulas.xlsx", good_rows(), extra=add)
    with pytest.raises(InputError) as e:
        ingest(f, SPEC)
    assert "formulas.xlsx, sheet main: 2 cell(s) hold formulas instead of values (E2, F3)" in problems_of(e)
    assert "Paste Special > Values" in problems_of(e)


def test_required_item_column_missing(tmp_path):
    rows = [[c for c in r[:-2]] + [r[-1]] for r in good_rows()]  # drop OUT3
    f = write_xlsx(tmp_path / "short.xlsx", rows)
    with pytest.raises(InputError) as e:
        ingest(f, SPEC)
    msg = problems_of(e)
    assert "short.xlsx, sheet main: no column for item OUT3 of mechanism main" in msg
    assert '"It was worth it." / "这是值得的。"' in msg
    assert e.value.mapping["mapped_to"].tolist()[:2] == ["resp_id", "platform"]  # the mapping for --print-mapping


def test_item_column_appearing_twice(tmp_path):
    rows = [r + [r[4]] for r in good_rows()]
    rows[0][-1] = "我有创作的动力。"  # DRV1 again, by its Chinese text, in column O
    f = write_xlsx(tmp_path / "twice.xlsx", rows)
    with pytest.raises(InputError) as e:
        ingest(f, SPEC)
    assert "twice.xlsx, sheet main: columns E ('DRV1'), O ('我有创作的动力。') all map to 'DRV1'" in problems_of(e)


def test_duplicate_respondent_ids(tmp_path):
    rows = good_rows(3)
    rows[3][0] = "r1"
    f = write_xlsx(tmp_path / "dups.xlsx", rows)
    with pytest.raises(InputError) as e:
        ingest(f, SPEC)
    assert (
        "respondent id 'r1' appears twice: dups.xlsx, sheet main, cell A2 and dups.xlsx, sheet main, cell A4"
        in problems_of(e)
    )
    g = write_xlsx(tmp_path / "other.xlsx", good_rows(1))
    h = write_xlsx(tmp_path / "again.xlsx", good_rows(1))
    with pytest.raises(InputError, match="'r1' appears twice: other.xlsx, sheet main, cell A2 and again.xlsx"):
        ingest([g, h], SPEC)


def test_header_without_responses(tmp_path):
    f = tmp_path / "head.csv"
    f.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="head.csv: has a header row but no responses below it"):
        ingest(f, SPEC)


def test_no_column_matches(tmp_path):
    f = tmp_path / "other.csv"
    f.write_text("name,age\nAnn,31\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        ingest(f, SPEC)
    assert "other.csv: no column matches an item of the model spec (columns: name, age)" in problems_of(e)
    assert "DRV1, DRV2, DRV3" in problems_of(e)


def test_every_problem_is_listed_at_once(tmp_path):
    a = tmp_path / "a.xlsx"
    a.write_bytes(b"")
    rows = [[c for c in r[:-2]] + [r[-1]] for r in good_rows()]
    b = write_xlsx(tmp_path / "b.xlsx", rows)
    with pytest.raises(InputError) as e:
        ingest([a, b], SPEC)
    assert len(e.value.problems) == 2
    assert e.value.headline == "2 problems in the response files; nothing was ingested"


def test_unknown_format_and_mechanism():
    with pytest.raises(InputError, match="unknown format 'spss'; expected one of: auto, template"):
        ingest(EXPORTS / "template.csv", SPEC, fmt="spss")
    with pytest.raises(Exception, match="there is no mechanism 'nope'"):
        ingest(EXPORTS / "template.csv", SPEC, mechanism="nope")


def test_forced_format(tmp_path):
    res = ingest(EXPORTS / "wjx_codes.xlsx", SPEC, fmt="wjx")
    assert res.format == "wjx" and res.problems.empty
    res = ingest(EXPORTS / "template.csv", SPEC, fmt="csv")
    assert res.format == "template"


# --------------------------------------------------------------------------- mapping files


def test_mapping_file_overrides_automatic_matching(tmp_path):
    head = ["Respondent", "Plat", "Sex"] + [f"item_{k}" for k in range(9)] + ["DRV1"]
    rows = [head, ["p1", 1, 2] + list(range(1, 6)) + [1, 2, 3, 4] + [5]]
    f = write_xlsx(tmp_path / "odd.xlsx", rows)
    m = tmp_path / "map.csv"
    m.write_text(
        "column,item\nRespondent,resp_id\nPlat,platform\nSex,gender\n"
        + "".join(f"item_{k},{ITEMS[k]}\n" for k in range(9))
        + "DRV1,ignore\n",
        encoding="utf-8",
    )
    res = ingest(f, SPEC, mapping=m)
    df = res.data["main"]
    assert df["resp_id"].item() == "p1"
    assert df[ITEMS].iloc[0].tolist() == [1, 2, 3, 4, 5, 1, 2, 3, 4]
    mp = res.mapping.set_index("header")
    assert mp.loc["item_0", "how"] == "mapping" and mp.loc["item_0", "mapped_to"] == "DRV1"
    assert mp.loc["DRV1", "mapped_to"] == ""
    y = tmp_path / "map.yaml"
    y.write_text(
        "Respondent: resp_id\nPlat: platform\nSex: gender\n"
        + "".join(f"item_{k}: {ITEMS[k]}\n" for k in range(9))
        + "DRV1: ignore\n",
        encoding="utf-8",
    )
    assert ingest(f, SPEC, mapping=y).data["main"].equals(df)


def test_mapping_file_with_unknown_ids(tmp_path):
    m = tmp_path / "map.csv"
    m.write_text("Q1,DRV9\nQ2,DRV1\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_mapping(m, SPEC)
    assert "map.csv: the mapping file names 1 unknown id(s)" in problems_of(e)
    assert "line 1: 'Q1' -> 'DRV9': 'DRV9' is not an item" in problems_of(e)
    one = tmp_path / "one.csv"
    one.write_text("Q1\n", encoding="utf-8")
    with pytest.raises(InputError, match="one.csv, line 1: expected two columns"):
        read_mapping(one, SPEC)
    with pytest.raises(InputError, match="nomap.csv: the mapping file does not exist"):
        read_mapping(tmp_path / "nomap.csv", SPEC)
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.yaml: expected a mapping of 'column header: item id' lines"):
        read_mapping(bad, SPEC)


# --------------------------------------------------------------------------- outputs and safety


def test_write_outputs(tmp_path):
    rows = good_rows(2)
    rows[1][4] = "=cmd|' /C calc'!A0"  # text that would run as a formula if written back unescaped
    f = tmp_path / "in.csv"
    pd.DataFrame(rows[1:], columns=rows[0]).to_csv(f, index=False)
    res = ingest(f, SPEC)
    paths = res.write(tmp_path / "out")
    names = sorted(p.name for p in paths)
    assert names == ["mapping.csv", "problems.csv", "problems.xlsx", "responses_main.csv"]
    pr = pd.read_csv(tmp_path / "out" / "problems.csv", encoding="utf-8-sig")
    assert pr["cell"].tolist() == ["E2"]
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "out" / "problems.xlsx")["problems"]
    values = [c.value for c in ws[2]]
    assert values[5] == "'=cmd|' /C calc'!A0"  # safe_cell escaped it
    assert not list((tmp_path / "out").glob("*.part"))


def test_openpyxl_uses_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


# --------------------------------------------------------------------------- the toolkit's own template


def test_the_template_written_by_vcc_template_reads_back(tmp_path):
    from instruments.templates import response_template

    wb = response_template(SPEC)
    ws = wb["main"]
    head = [c.value for c in ws[1]]
    for i in range(3):
        ws.append([f"t{i}"] + [1 if h in ("platform", "gender") else 1 + (i + k) % 5 for k, h in enumerate(head[1:])])
    f = tmp_path / "response_template.xlsx"
    wb.save(f)
    res = ingest(f, SPEC)
    assert res.format == "template" and res.problems.empty
    df = res.data["main"]
    assert df["resp_id"].tolist() == ["t0", "t1", "t2"]
    assert df.loc[0, "DRV1"] == 1 + (0 + head.index("DRV1") - 1) % 5
    assert set(res.mapping["sheet"]) == {"main"}


# --------------------------------------------------------------------------- several mechanisms

TWO = """
name: two
title: {en: Two, zh: 二}
scale: {min: 1, max: 5, labels: {en: [a, b, c, d, e], zh: [一, 二, 三, 四, 五]}}
mechanisms:
  prod:
    label: {en: Producers, zh: 创作者}
    constructs:
      P:
        label: {en: P, zh: P}
        stage: driver
        items:
          - {id: P1, text: {en: I post videos., zh: 我发布视频。}}
          - {id: P2, text: {en: I edit my clips., zh: 我剪辑视频。}}
          - {id: P3, text: {en: The platform gives me value., zh: 平台给我带来价值。}}
  cons:
    label: {en: Consumers, zh: 观众}
    constructs:
      C:
        label: {en: C, zh: C}
        stage: driver
        items:
          - {id: C1, text: {en: I watch videos., zh: 我观看视频。}}
          - {id: C2, text: {en: I like clips., zh: 我点赞视频。}}
          - {id: C3, text: {en: The platform gives me value., zh: 平台给我带来价值。}}
"""


def two_spec(tmp_path):
    p = tmp_path / "two.yaml"
    p.write_text(TWO, encoding="utf-8")
    return load_spec(p)


def test_each_sheet_goes_to_its_mechanism_and_shared_texts_resolve(tmp_path):
    spec = two_spec(tmp_path)
    wb = Workbook()
    ws = wb.active
    ws.title = "prod"
    ws.append(["resp_id", "P1", "P2", "P3"])
    ws.append(["a", 1, 2, 3])
    ws2 = wb.create_sheet("cons")
    ws2.append(["resp_id", "C1", "C2", "C3"])
    ws2.append(["b", 4, 5, 1])
    wb.save(tmp_path / "both.xlsx")
    res = ingest(tmp_path / "both.xlsx", spec)
    assert sorted(res.data) == ["cons", "prod"]
    assert res.data["cons"][["C1", "C2", "C3"]].iloc[0].tolist() == [4, 5, 1]
    # by text: the shared statement goes to the mechanism the other columns choose
    f = tmp_path / "cons.csv"
    f.write_text(
        "ID,Start time,Completion time,I watch videos.,我点赞视频。,平台给我带来价值。\n"
        "7,2024-01-01 10:00:00,2024-01-01 10:03:00,2,3,4\n",
        encoding="utf-8",
    )
    res = ingest(f, spec)
    assert list(res.data) == ["cons"]
    assert res.data["cons"].iloc[0][["resp_id", "duration_sec", "C3"]].tolist() == ["7", 180.0, 4.0]
    only = ingest(tmp_path / "both.xlsx", spec, mechanism="prod")
    assert list(only.data) == ["prod"]


def test_ambiguous_mechanism_is_an_error(tmp_path):
    spec = two_spec(tmp_path)
    f = tmp_path / "shared.csv"
    f.write_text("resp_id,平台给我带来价值。\n1,3\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        ingest(f, spec)
    assert (
        "shared.csv: the columns match items of several mechanisms equally (prod: 1, cons: 1); "
        "name one with --mechanism"
    ) in str(e.value)
    with pytest.raises(InputError, match="shared.csv: no column for item C1 of mechanism cons"):
        ingest(f, spec, mechanism="cons")


def test_numbered_ids_from_several_surveys_are_kept_apart(tmp_path):
    import shutil

    a = shutil.copy(EXPORTS / "wjx_codes.xlsx", tmp_path / "link_a.xlsx")
    b = shutil.copy(EXPORTS / "wjx_text.xlsx", tmp_path / "link_b.xlsx")
    df = ingest([a, b], SPEC).data["main"]
    assert len(df) == 16 and df["resp_id"].is_unique
    assert df["resp_id"].iloc[[0, 8]].tolist() == ["link_a:1", "link_b:1"]


def test_encrypted_workbook_named_xls(tmp_path):
    f = tmp_path / "locked.xls"
    f.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + "EncryptionInfo".encode("utf-16-le"))
    with pytest.raises(InputError, match="locked.xls: the workbook is password-protected"):
        ingest(f, SPEC)


def test_docstring_examples_run(monkeypatch):
    import doctest

    import validate.ingest.responses
    import validate.screening

    monkeypatch.chdir(ROOT.parent)
    for mod in (validate.ingest.responses, validate.screening):
        res = doctest.testmod(mod)
        assert res.attempted > 0 and res.failed == 0, mod.__name__


def test_generic_file_with_common_id_and_duration_headers(tmp_path):
    f = tmp_path / "plain.csv"
    f.write_text("编号,用时," + ",".join(ITEMS) + "\nA7,3分5秒," + ",".join(["3"] * 9) + "\n", encoding="utf-8")
    res = ingest(f, SPEC)
    assert res.format == "generic"
    assert res.data["main"][["resp_id", "duration_sec"]].iloc[0].tolist() == ["A7", 185.0]


# --------------------------------------------------------------------------- Qualtrics previews, spam, unfinished

Q_ITEMS_HEAD = ["StartDate", "Status", "Progress", "ResponseId", "Q1", "Q2"] + ITEMS + ["Q4"]


def qualtrics_csv(path: Path, rows: list[tuple], with_finished: bool = True) -> Path:
    """rows: (resp id, status, progress, finished); answers are all 3."""
    head = list(Q_ITEMS_HEAD) + (["Finished"] if with_finished else [])
    lines = [",".join(head)]
    for rid, status, progress, finished in rows:
        cells = ["2024-05-12 10:00:00", str(status), str(progress), rid, "1", "2"] + ["3"] * 9 + ["4"]
        lines.append(",".join(cells + ([str(finished)] if with_finished else [])))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_qualtrics_previews_spam_and_unfinished_are_left_out():
    res = ingest(EXPORTS / "qualtrics_numeric.csv", SPEC)
    df = res.data["main"]
    assert len(df) == 8 and not df["resp_id"].isin(["R_PreviewXyZ01", "R_SpamXyZ0001", "R_UnfinXyZ001"]).any()
    assert res.warnings == [
        "qualtrics_numeric.csv: 1 survey-preview response(s) left out / 已剔除预览作答 1 份 "
        "(Status = Survey Preview): R_PreviewXyZ01; 1 spam response(s) left out / 已剔除垃圾作答 1 份 "
        "(Status = Spam): R_SpamXyZ0001; 1 unfinished response(s) left out / 已剔除未完成作答 1 份 "
        "(Finished = False): R_UnfinXyZ001"
    ]
    assert res.left_out.values.tolist() == [
        ["qualtrics_numeric.csv", "", 12, "R_PreviewXyZ01", "survey-preview", "Status = Survey Preview"],
        ["qualtrics_numeric.csv", "", 13, "R_SpamXyZ0001", "spam", "Status = Spam"],
        ["qualtrics_numeric.csv", "", 14, "R_UnfinXyZ001", "unfinished", "Finished = False, Progress = 40"],
    ]
    assert res.sources["n_responses"].tolist() == [8]
    mp = res.mapping.set_index("header")
    for h in ("Status | Response Type", "Finished", "Progress"):
        assert (mp.loc[h, "mapped_to"], mp.loc[h, "how"]) == ("", "filter")
    assert "C  Status | Response Type" in render_mapping(res) and "(filter: leaves out previews" in render_mapping(res)
    # the choice-text export says "Survey Preview" and "False"
    txt = ingest(EXPORTS / "qualtrics_text.xlsx", SPEC)
    assert txt.left_out["reason"].tolist() == ["survey-preview", "unfinished"]
    assert txt.warnings[0].startswith("qualtrics_text.xlsx, sheet Sheet0: 1 survey-preview response(s) left out")


def test_keep_unfinished_keeps_them_and_says_so():
    res = ingest(EXPORTS / "qualtrics_numeric.csv", SPEC, keep_unfinished=True)
    df = res.data["main"]
    assert len(df) == 9 and df["resp_id"].iloc[-1] == "R_UnfinXyZ001"
    last = df.iloc[-1]
    assert last[["platform", "DRV1", "ACT1"]].tolist() == [3.0, 4.0, 4.0]
    assert last[["ACT2", "OUT3", "ATT1"]].isna().all()  # not reached: missing, not a problem
    assert res.problems.empty
    assert res.left_out["resp_id"].tolist() == ["R_PreviewXyZ01", "R_SpamXyZ0001"]  # previews and spam still go
    assert res.warnings[0].endswith(
        "1 unfinished response(s) kept (keep_unfinished=True) / 保留未完成作答 1 份 (Finished = False): R_UnfinXyZ001"
    )
    mp = res.mapping.set_index("header")
    assert mp.loc["Finished", "how"] == "" and mp.loc["Progress", "how"] == ""
    assert mp.loc["Status | Response Type", "how"] == "filter"


def test_progress_decides_when_there_is_no_finished_column(tmp_path):
    f = qualtrics_csv(
        tmp_path / "q.csv",
        [("R_a", 0, 100, ""), ("R_b", 0, 55, ""), ("R_c", "IP Address", 99.5, "")],
        with_finished=False,
    )
    res = ingest(f, SPEC)
    assert res.data["main"]["resp_id"].tolist() == ["R_a"]
    assert res.warnings == [
        "q.csv: 2 unfinished response(s) left out / 已剔除未完成作答 2 份 (Progress < 100): R_b, R_c"
    ]
    assert res.left_out["value"].tolist() == ["Progress = 55", "Progress = 99.5"]


def test_finished_wins_over_progress_and_many_ids_are_shortened(tmp_path):
    rows = [("R_ok", 0, 40, 1)] + [(f"R_p{i:02d}", 1, 100, 1) for i in range(23)]
    res = ingest(qualtrics_csv(tmp_path / "q.csv", rows), SPEC)
    assert res.data["main"]["resp_id"].tolist() == ["R_ok"]  # Finished = 1 although Progress is 40
    shown = ", ".join(f"R_p{i:02d}" for i in range(20))
    assert res.warnings == [
        f"q.csv: 23 survey-preview response(s) left out / 已剔除预览作答 23 份 "
        f"(Status = Survey Preview): {shown}, ... and 3 more"
    ]


def test_every_response_left_out_is_an_error(tmp_path):
    f = qualtrics_csv(tmp_path / "q.csv", [("R_a", 1, 100, 1), ("R_b", 0, 20, 0)])
    with pytest.raises(InputError) as e:
        ingest(f, SPEC)
    assert e.value.problems == [
        "q.csv: all 2 responses were left out as survey previews, spam, test or unfinished responses (see the "
        "warnings); expected at least one real, finished response (unfinished ones can be kept with "
        "keep_unfinished=True / --keep-unfinished)"
    ]
    res = ingest(f, SPEC, keep_unfinished=True)
    assert res.data["main"]["resp_id"].tolist() == ["R_b"]


# --------------------------------------------------------------------------- Wenjuanxing multiple choice in 0/1 columns


def spec_with_video(tmp_path: Path):
    import yaml

    raw = yaml.safe_load((ROOT / "fixtures" / "specs" / "minimal.yaml").read_text(encoding="utf-8"))
    raw["background"].append(
        {
            "id": "video",
            "type": "multiple",
            "text": {"en": "Which kinds of short videos do you watch?", "zh": "您常看哪些类型的短视频？"},
            "choices": [
                {"code": 1, "label": {"en": "Comedy", "zh": "搞笑"}},
                {"code": 2, "label": {"en": "Food", "zh": "美食"}},
                {"code": 3, "label": {"en": "Knowledge", "zh": "知识"}},
            ],
        }
    )
    p = tmp_path / "video.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_spec(p)


def test_wjx_option_columns_become_one_multiple_choice_column(tmp_path):
    spec = spec_with_video(tmp_path)
    codes = ingest(EXPORTS / "wjx_codes.xlsx", spec)
    text = ingest(EXPORTS / "wjx_text.xlsx", spec)
    want = ["1;2", "2", "3", "1;3", "1", "2;3", "1", "3"]  # ANSWERS in make_exports.py
    assert codes.data["main"]["video"].tolist() == want
    assert text.data["main"]["video"].tolist() == want  # the "按文本" export (┋-joined) agrees
    assert codes.problems.empty
    mp = codes.mapping.set_index("header")
    assert mp.loc[["7、(搞笑)", "7、(美食)", "7、(知识)"], "mapped_to"].tolist() == ["video=1", "video=2", "video=3"]
    assert set(mp.loc[["7、(搞笑)", "7、(知识)"], "how"]) == {"choice"}
    assert list(codes.data["main"].columns[:4]) == ["resp_id", "platform", "gender", "video"]


def test_wjx_option_columns_with_stem_skip_codes_and_bad_values(tmp_path):
    spec = spec_with_video(tmp_path)
    head = [
        "序号",
        "所用时间",
        *ITEMS,
        "7、您常看哪些类型的短视频？(知识)",
        "7、您常看哪些类型的短视频？(搞笑)",
        "8、(Sports)",
        "9、别的问题(搞笑)",
    ]
    rows = [
        head,
        [1, "100秒", *[3] * 9, 1, 1, 0, 1],
        [2, "100秒", *[3] * 9, 0, 0, 1, 0],  # nothing chosen: missing
        [3, "100秒", *[3] * 9, -3, -3, 0, 0],  # skipped by logic: missing
        [4, "100秒", *[3] * 9, 2, 1, 0, 0],
    ]
    f = write_xlsx(tmp_path / "wjx.xlsx", rows, sheet="Sheet1")
    res = ingest(f, spec)
    vals = res.data["main"]["video"].tolist()
    assert vals[0] == "1;3" and pd.isna(vals[1]) and pd.isna(vals[2]) and vals[3] == "1"
    assert res.problems[["cell", "value", "problem", "expected"]].values.tolist() == [
        ["L5", "2", "'2' is not 0 or 1 in an option column of question video", "1 (chosen) or 0 (not chosen)"]
    ]
    mp = res.mapping.set_index("header")
    # a label that is not a choice, or a stem of another question: left unmapped
    assert mp.loc["8、(Sports)", "mapped_to"] == "" and mp.loc["9、别的问题(搞笑)", "mapped_to"] == ""
