"""Excel response templates: layout, validation lists, reproducibility, and drift of data_templates/."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import yaml

from instruments._layout import layout
from instruments.errors import SpecError
from instruments.spec import load_spec
from instruments.templates import MAX_ROWS, write_templates

HERE = Path(__file__).parent
MINIMAL = HERE / "fixtures" / "specs" / "minimal.yaml"
COMMITTED = HERE.parent / "data_templates"


@pytest.fixture(scope="module")
def spec():
    return load_spec(MINIMAL)


def make_spec(tmp_path: Path, edit):
    raw = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    edit(raw)
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_spec(p)


def validations(ws) -> list[tuple[str, str, str | None]]:
    return sorted((str(dv.sqref), dv.type, dv.formula1) for dv in ws.data_validations.dataValidation)


def test_template_sheets_header_and_validations(spec, tmp_path):
    paths = write_templates(spec, tmp_path)
    assert [p.name for p in paths] == ["response_template.xlsx"]
    wb = openpyxl.load_workbook(paths[0])
    assert wb.sheetnames == ["Instructions", "main", "Codebook"]
    ws = wb["main"]
    assert [c.value for c in ws[1]] == [
        "resp_id",
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
    assert ws.max_row == 1  # one header row of ids, no data
    assert ws.freeze_panes == "B2"
    last = MAX_ROWS + 1
    assert validations(ws) == sorted(
        [
            (f"B2:B{last}", "list", '"1,2,3"'),
            (f"C2:C{last}", "list", '"1,2"'),
            (f"D2:M{last}", "list", '"1,2,3,4,5"'),
        ]
    )
    item_dv = next(dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith("D2"))
    assert item_dv.allow_blank and item_dv.showErrorMessage
    assert item_dv.error == "Enter a code 1-5 (blank = missing) / 请输入 1-5 的代码（空白表示缺失）"

    cb = wb["Codebook"]
    head = [c.value for c in cb[1]]
    rows = [dict(zip(head, [c.value for c in r])) for r in cb.iter_rows(min_row=2)]
    assert [r["variable"] for r in rows] == layout(spec, "main").columns
    assert next(r for r in rows if r["variable"] == "DRV3")["text_zh"] == "我很少感到有动力。"
    assert next(r for r in rows if r["variable"] == "DRV3")["reverse"] is True


def test_template_instructions_are_bilingual(spec, tmp_path):
    ws = openpyxl.load_workbook(write_templates(spec, tmp_path)[0])["Instructions"]
    assert [c.value for c in ws[1]] == ["English", "中文"]
    en = "\n".join(str(c.value) for c in ws["A"] if c.value)
    zh = "\n".join(str(c.value) for c in ws["B"] if c.value)
    assert "1 = Strongly disagree; 2 = Disagree; 3 = Neutral; 4 = Agree; 5 = Strongly agree" in en
    assert "1 = 非常不同意; 2 = 不同意; 3 = 一般; 4 = 同意; 5 = 非常同意" in zh
    assert "A blank cell means a missing answer" in en and "空白单元格表示缺失值" in zh
    assert "Reverse-worded statements: enter the answer exactly as the respondent gave it" in en
    assert "反向题：请按受访者的原始作答录入" in zh
    assert spec.sha256[:12] in en


def test_template_for_one_mechanism(tmp_path):
    def edit(raw):
        raw["mechanisms"]["second"] = yaml.safe_load(yaml.safe_dump(raw["mechanisms"]["main"]))
        for c in raw["mechanisms"]["second"]["constructs"].values():
            for it in c["items"]:
                it["id"] = "S" + it["id"]
        raw["attention_checks"][0]["mechanisms"] = ["second"]

    s = make_spec(tmp_path, edit)
    both = openpyxl.load_workbook(write_templates(s, tmp_path / "all")[0])
    assert both.sheetnames == ["Instructions", "main", "second", "Codebook"]
    assert "ATT1" not in [c.value for c in both["main"][1]]
    assert "ATT1" in [c.value for c in both["second"][1]]
    paths = write_templates(s, tmp_path / "one", mechanism="second")
    assert [p.name for p in paths] == ["response_template_second.xlsx"]
    wb = openpyxl.load_workbook(paths[0])
    assert wb.sheetnames == ["Instructions", "second", "Codebook"]
    assert {c.value for c in wb["Codebook"]["D"][1:]} == {"second"}  # mechanism column


def test_template_rejects_mechanism_ids_that_cannot_be_sheet_names(tmp_path):
    def clash(raw):
        raw["mechanisms"]["codebook"] = raw["mechanisms"].pop("main")

    s = make_spec(tmp_path, clash)
    with pytest.raises(
        SpecError,
        match=r"spec\.yaml: mechanisms\.codebook: the mechanism id clashes with the "
        r"template's 'codebook' sheet; expected an id other than Instructions or Codebook",
    ):
        write_templates(s, tmp_path / "out")
    long_id = "m" * 32

    def too_long(raw):
        raw["mechanisms"][long_id] = raw["mechanisms"].pop("main")

    s = make_spec(tmp_path, too_long)
    with pytest.raises(
        SpecError,
        match=rf"mechanisms\.{long_id}: the mechanism id is 32 characters long; "
        "expected at most 31, the longest Excel sheet name",
    ):
        write_templates(s, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_template_unknown_mechanism(spec, tmp_path):
    with pytest.raises(SpecError, match="there is no mechanism 'x'; expected one of: main"):
        write_templates(spec, tmp_path, mechanism="x")


def test_template_is_reproducible_byte_for_byte(spec, tmp_path):
    a = write_templates(spec, tmp_path / "a")[0].read_bytes()
    b = write_templates(spec, tmp_path / "b")[0].read_bytes()
    assert a == b
    props = openpyxl.load_workbook(tmp_path / "a" / "response_template.xlsx").properties
    assert props.created.year == 2024 and props.modified == props.created


# --------------------------------------------------------------------------- committed templates


def _snapshot(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {
        "sheets": wb.sheetnames,
        "cells": {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb},
        "validations": {
            ws.title: sorted(
                (str(dv.sqref), dv.type, dv.operator, dv.formula1, bool(dv.allow_blank), dv.error, dv.errorTitle)
                for dv in ws.data_validations.dataValidation
            )
            for ws in wb
        },
        "freeze": {ws.title: ws.freeze_panes for ws in wb},
    }


def _expected_names(spec) -> list[str]:
    return sorted(["response_template.xlsx"] + [f"response_template_{m}.xlsx" for m in spec.mechanisms])


def test_committed_templates_match_the_bundled_spec(tmp_path):
    """data_templates/ must be what the bundled spec generates; regenerate with
    ``python -m instruments.generate data_templates``."""
    spec = load_spec()
    committed = sorted(p.name for p in COMMITTED.glob("*.xlsx"))
    assert committed == _expected_names(spec), (
        "data_templates/ is out of date; run: python -m instruments.generate data_templates"
    )
    fresh = write_templates(spec, tmp_path)
    for m in spec.mechanisms:
        fresh += write_templates(spec, tmp_path, m)
    for p in fresh:
        assert _snapshot(COMMITTED / p.name) == _snapshot(p), (
            f"data_templates/{p.name} differs from what the bundled spec generates; "
            "run: python -m instruments.generate data_templates"
        )


def test_drift_check_detects_a_changed_template(tmp_path):
    spec = load_spec()
    p = write_templates(spec, tmp_path / "a")[0]
    before = _snapshot(p)
    wb = openpyxl.load_workbook(p)
    ws = wb[next(iter(spec.mechanisms))]
    ws.cell(row=1, column=ws.max_column, value="CHANGED")
    wb.save(p)
    assert _snapshot(p) != before
