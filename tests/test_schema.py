"""results.json follows its JSON Schema (validate/report/results.schema.json, printed by `vcc schema`).

The demo-like FIML run and the grouped run of tests/test_report_truth.py are validated there; this
file validates a grouped WLSMV run and a PLS + CB run, and checks that the schema can fail.
"""

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from validate.cli import main
from validate.power.simulate import simulate_study
from validate.report.schema import SCHEMA_VERSION, load_schema, validate_results

FIX = Path(__file__).parent / "fixtures"


def test_vcc_schema_prints_a_valid_json_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert schema == load_schema()


def _results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_grouped_wlsmv_run_follows_the_schema(tmp_path):
    out = tmp_path / "out"
    assert (
        main(
            [
                "validate",
                str(FIX / "ordinal" / "hs_ordinal5_school.csv"),
                "--model",
                str(FIX / "specs" / "holzinger.yaml"),
                "--estimator",
                "WLSMV",
                "--group",
                "school",
                "--bootstrap",
                "0",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    res = _results(out)
    assert res["schema_version"] == SCHEMA_VERSION
    assert validate_results(res) == []


@pytest.mark.slow
def test_pls_and_cb_run_follows_the_schema(tmp_path):
    from instruments.spec import load_spec

    spec = load_spec(FIX / "specs" / "minimal.yaml")
    study = simulate_study(spec, {1: 100, 2: 100}, paths={"DRV -> ACT": 0.5, "ACT -> OUT": 0.4}, seed=11)
    data = tmp_path / "responses.csv"
    study.data["main"].to_csv(data, index=False)
    out = tmp_path / "out"
    assert (
        main(
            [
                "validate",
                str(data),
                "--model",
                str(FIX / "specs" / "minimal.yaml"),
                "--method",
                "both",
                "--bootstrap",
                "100",
                "--workers",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    res = _results(out)
    assert "pls" in res["mechanisms"]["main"]
    assert validate_results(res) == []


def test_the_schema_can_fail(tmp_path):
    """A run's results with a key removed, a key no writer knows, or a string for a number are refused."""
    from instruments.spec import load_spec

    spec = load_spec(FIX / "specs" / "minimal.yaml")
    study = simulate_study(spec, {1: 150}, paths={"DRV -> ACT": 0.5, "ACT -> OUT": 0.4}, seed=5)
    data = tmp_path / "responses.csv"
    study.data["main"].to_csv(data, index=False)
    out = tmp_path / "out"
    assert (
        main(
            [
                "validate",
                str(data),
                "--model",
                str(FIX / "specs" / "minimal.yaml"),
                "--bootstrap",
                "0",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    res = _results(out)
    assert validate_results(res) == []
    bad = copy.deepcopy(res)
    del bad["options"]
    assert any("'options' is a required property" in e for e in validate_results(bad))
    bad = copy.deepcopy(res)
    bad["mechanisms"]["main"]["measurment"] = {}
    assert any("measurment" in e for e in validate_results(bad))
    bad = copy.deepcopy(res)
    bad["mechanisms"]["main"]["measurement"]["fit"]["cfi"] = "0.95"
    assert any("measurement/fit/cfi" in e for e in validate_results(bad))
    assert validate_results({**res, "schema_version": "0.9"})  # another version of the contract
