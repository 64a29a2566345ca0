"""``vcc validate`` on damaged data: a clear message (exit 2) or a warning, never an internal error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from instruments.spec import load_spec
from validate.cli import main
from validate.power.simulate import simulate_study

SPEC = Path(__file__).parent / "fixtures" / "specs" / "minimal.yaml"


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return simulate_study(load_spec(SPEC), {1: 60, 2: 60, 3: 60}, seed=7).data["main"]


def _run(tmp_path, df: pd.DataFrame | None, *args, model=SPEC, name="data.csv"):
    data = tmp_path / name
    if df is not None:
        df.to_csv(data, index=False)
    out = tmp_path / "out"
    code = main(["validate", str(data), "--model", str(model), "--bootstrap", "0", "--out", str(out), *args])
    return code, out


def _results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def _all_warnings(entry: dict) -> list[str]:
    ws = list(entry.get("warnings", []))
    for part in ("measurement", "structural", "invariance"):
        ws += (entry.get(part) or {}).get("warnings") or []
    return ws


def test_empty_item_names_the_item_not_another(tmp_path, study, capsys):
    df = study.copy()
    df["ACT2"] = np.nan
    code, out = _run(tmp_path, df)
    assert code == 0
    ws = _all_warnings(_results(out)["mechanisms"]["main"])
    assert any("item(s) ACT2 have no answers at all" in w for w in ws)
    # before the fix, Mardia, KMO, EFA ... blamed DRV1, the first item, for the empty ACT2
    assert not any("DRV1 has no observed values" in w for w in ws)
    assert "item descriptives of ACT2 could not be computed: the item has no observed values (all missing)" in ws
    desc = _results(out)["mechanisms"]["main"]["descriptives"]
    assert [r["item"] for r in desc] == ["DRV1", "DRV2", "DRV3", "ACT1", "ACT3", "OUT1", "OUT2", "OUT3"]
    assert "warning(s); see the report" in capsys.readouterr().out


def test_single_group_level_is_a_warning(tmp_path, study):
    df = study.copy()
    df["platform"] = 1
    code, out = _run(tmp_path, df, "--group", "platform")
    assert code == 0
    m = _results(out)["mechanisms"]["main"]
    assert m["invariance"]["configural"] is None and "multigroup" not in m
    assert any(
        "groups cannot be compared because every answered response is in group '1'" in w
        for w in m["invariance"]["warnings"]
    )


def test_measurement_only_spec_with_group_tests_invariance(tmp_path, study):
    text = SPEC.read_text(encoding="utf-8")
    spec = tmp_path / "measurement_only.yaml"
    spec.write_text(
        text.replace('    paths: ["DRV -> ACT", "ACT -> OUT"]\n', "").replace('    direct_paths: ["DRV -> OUT"]\n', ""),
        encoding="utf-8",
    )
    code, out = _run(tmp_path, study, "--group", "platform", model=spec)
    assert code == 0
    m = _results(out)["mechanisms"]["main"]
    assert "structural" not in m
    assert m["invariance"]["configural"] is not None  # before: --group was silently ignored


def test_tiny_group_is_rejected_before_the_analysis(tmp_path, study, capsys):
    df = pd.concat([study[study.platform != 3], study[study.platform == 3].head(3)])
    code, out = _run(tmp_path, df, "--group", "platform")
    assert code == 2
    err = capsys.readouterr().err
    assert "--group platform: group(s) '3' (3 respondents) have too few respondents" in err
    assert "[main] measurement model" not in err  # rejected before any model was fitted


def test_multigroup_wlsmv_names_empty_categories(tmp_path, study):
    code, out = _run(tmp_path, study, "--group", "platform", "--estimator", "WLSMV")
    assert code == 0
    ws = _all_warnings(_results(out)["mechanisms"]["main"])
    # 60 answers per platform on 7 points: some platform never used some code (lavaan stops there)
    assert any("item DRV1, group 1: nobody chose answer code 1" in w and "--collapse-empty" in w for w in ws)


def test_fiml_with_wlsmv_is_rejected(tmp_path, study, capsys):
    code, _ = _run(tmp_path, study, "--missing", "fiml", "--estimator", "WLSMV")
    assert code == 2
    assert "--missing fiml cannot be combined with --estimator WLSMV" in capsys.readouterr().err


def test_duplicate_resp_id_names_both_cells(tmp_path, study, capsys):
    df = study.copy()
    df.loc[5, "resp_id"] = df.loc[4, "resp_id"]
    code, _ = _run(tmp_path, df, name="dup.csv")
    assert code == 2
    err = capsys.readouterr().err
    assert "appears twice: dup.csv, cell A6 and dup.csv, cell A7" in err


def test_constant_and_collinear_items_are_warnings(tmp_path, study):
    df = study.copy()
    df["ACT2"] = 3
    df["OUT2"] = df["OUT1"]
    code, out = _run(tmp_path, df)
    assert code == 0
    m = _results(out)["mechanisms"]["main"]
    ws = _all_warnings(m)
    assert any("item ACT2 has zero variance (all answers are 3)" in w for w in ws)
    assert m["measurement"]["fit"] is None and m["structural"].get("paths") is None


def _bad_cells(study):
    df = study.copy().astype(object)
    df.loc[0, "ACT1"] = 0
    df.loc[1, "OUT1"] = 9
    df.loc[2, "DRV1"] = "—"
    df.loc[3, "OUT3"] = "不适用"
    return df


def test_bad_cells_stop_the_run_and_are_named(tmp_path, study, capsys):
    code, out = _run(tmp_path, _bad_cells(study), name="bad.csv")
    assert code == 2  # before: exit 0, and nothing on the console or in the report
    err = capsys.readouterr().err
    assert "invalid cell(s) in the responses; nothing was analysed" in err
    assert "--invalid missing" in err
    # every cell: file, sheet, cell as the spreadsheet names it, value, what was expected
    assert "  - bad.csv, cell H2 (column 'ACT1', respondent M0001): '0': 0 is outside the scale 1-5; expected" in err
    for cell, value in (("H2", "'0'"), ("L3", "'9'"), ("E4", "'—'")):
        line = next(x for x in err.splitlines() if f"cell {cell} " in x)
        assert value in line and "expected a whole number 1-5" in line, line
    assert not (out / "results.json").exists()


def test_bad_cells_as_missing_are_reported(tmp_path, study, capsys):
    code, out = _run(tmp_path, _bad_cells(study), "--invalid", "missing", name="bad.csv")
    assert code == 0
    probs = pd.read_csv(out / "problems.csv", encoding="utf-8-sig")
    got = {(r.cell, r.column) for r in probs.itertuples()}
    assert {("H2", "ACT1"), ("L3", "OUT1"), ("E4", "DRV1")} <= got
    assert any("0 is outside the scale 1-5" in p for p in probs["problem"])
    res = _results(out)
    assert res["invalid_cells"]["n"] == len(probs)
    assert {c["cell"] for c in res["invalid_cells"]["cells"]} == set(probs["cell"])
    assert res["warnings"][0].startswith(f"{len(probs)} invalid cell(s) were set to missing (--invalid missing): ")
    assert "cell H2 ('0')" in res["warnings"][0]
    assert f"{len(probs)} invalid cell(s) were analysed as missing answers" in capsys.readouterr().out
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "cell H2 (&#39;0&#39;)" in html
    assert res["mechanisms"]["main"]["n_used"] == 180


def test_five_respondents_gives_warnings_not_a_crash(tmp_path, study):
    code, out = _run(tmp_path, study.head(5))
    assert code == 0
    ws = _all_warnings(_results(out)["mechanisms"]["main"])
    assert any("too few rows: 5 complete cases for 9 observed variables" in w for w in ws)


def test_empty_item_with_fiml_says_no_answers_not_zero_variance(tmp_path, study):
    df = study.copy().astype(object)
    df["ACT2"] = "N/A"
    code, out = _run(tmp_path, df, "--missing", "fiml")
    assert code == 0
    ws = _all_warnings(_results(out)["mechanisms"]["main"])
    assert "the CFA could not be computed: no observed values in column(s) ['ACT2']: every case is missing" in ws
    assert not any("zero variance in column(s) ['ACT2']" in w for w in ws)


def test_group_on_a_continuous_column_gives_a_short_message(tmp_path, study, capsys):
    code, _ = _run(tmp_path, study, "--group", "duration_sec")
    assert code == 2
    # the error itself, not the spec's warnings printed before it
    err = "\n".join(ln for ln in capsys.readouterr().err.splitlines() if not ln.startswith("vcc: warning:"))
    assert "have a single respondent" in err and " more have a single respondent" in err
    assert "is it really a grouping question" in err
    assert len(err) < 600  # before: every one of ~100 levels was listed


def test_spss_file_is_named_as_such(tmp_path, capsys):
    sav = tmp_path / "data.sav"
    sav.write_bytes(b"$FL2@(#) IBM SPSS STATISTICS 64-bit")
    code, _ = _run(tmp_path, None, name="data.sav")
    assert code == 2
    assert "data.sav: is an SPSS data file (.sav), which the toolkit does not read" in capsys.readouterr().err


def test_same_file_twice_is_named(tmp_path, study, capsys):
    data = tmp_path / "data.csv"
    study.to_csv(data, index=False)
    code = main(
        ["validate", str(data), str(data), "--model", str(SPEC), "--bootstrap", "0", "--out", str(tmp_path / "out")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert f"{data}: the same response file is given twice" in err
    assert "appears twice" not in err  # before: 180 duplicate-respondent problems, each naming the same cell


def test_wlsmv_auto_with_holes_says_what_to_do_and_rows_are_respondents(tmp_path, study, capsys):
    from validate.missing import wlsmv_supports

    df = study.copy()
    df.loc[[3, 10], "ACT2"] = np.nan
    if not wlsmv_supports("pairwise"):
        code, _ = _run(tmp_path, df, "--estimator", "WLSMV")
        assert code == 2  # auto would mean pairwise deletion, which the engine cannot do yet: said, not skipped
        err = capsys.readouterr().err
        assert "--missing auto with --estimator WLSMV: 2 respondent(s) have 2 empty item cell(s)" in err
        assert "use --missing listwise" in err
    code, out = _run(tmp_path, df, "--estimator", "WLSMV", "--missing", "listwise")
    assert code == 0
    m = _results(out)["mechanisms"]["main"]
    assert m["missing"] == "listwise" and m["measurement"]["n_obs"] == m["n_used"] - 2
    ids = df["resp_id"].iloc[[3, 10]].tolist()
    # the rows a user sees (the respondent ids), not 0-based positions 3 and 10
    assert any(f"rows '{ids[0]}', '{ids[1]}'" in w for w in _all_warnings(m)), _all_warnings(m)


def test_group_column_may_be_a_mapping_target(tmp_path, study):
    df = study.rename(columns={"platform": "Q3"})
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("column,item\nQ3,usage\n", encoding="utf-8")  # before: "'usage' is not an item ..."
    code, out = _run(tmp_path, df, "--group", "usage", "--mapping", str(mapping), "--missing", "listwise")
    assert code == 0
    m = _results(out)["mechanisms"]["main"]
    assert m["invariance"]["group"] == "usage"
    assert m["invariance"]["configural"]["n_obs_by_group"] == {"1": 60, "2": 60, "3": 60}
    assert "usage" in pd.read_csv(out / "mapping.csv")["mapped_to"].tolist()


def test_group_by_wenjuanxing_title_declared_or_not():
    from validate.ingest.responses import ingest
    from validate.pipeline import group_column

    spec = load_spec(SPEC)
    # a declared question, named by its title as the export heads it: the spec's coded column
    assert group_column(spec, "1、您最常使用哪个平台？") == "platform"
    assert group_column(spec, "Which platform do you use most?") == "platform"
    # an undeclared column of the export, carried as answered
    assert group_column(spec, "来源") == "来源"
    res = ingest(
        Path(__file__).parent / "fixtures" / "exports" / "wjx_codes.xlsx", spec, extra_columns={"来源": "--group"}
    )
    col = res.data["main"]["来源"]
    assert col.notna().all() and col.map(type).eq(str).all()
    from instruments.errors import InputError

    with pytest.raises(InputError) as err:
        ingest(
            Path(__file__).parent / "fixtures" / "exports" / "wjx_codes.xlsx",
            spec,
            extra_columns={"来源渠道": "--group"},
        )
    line = err.value.problems[0]
    assert "--group 来源渠道: there is no column headed '来源渠道'; the closest header is '来源' (column D)" in line
    assert "expected one of the file's headers: '序号', '提交答卷时间'" in line
