"""The writers read results.json through schema-checked views (validate/report/results.py).

A writer can no longer read a key that results.json does not have: every key a view is asked for
must be in the schema (validate/report/results.schema.json), a key the writer needs raises an error
naming it when absent, and a key that is optional by schema reads as None or empty. The writers'
own tests (test_report*.py, test_schema.py, test_pls_*.py) render real runs through these views, so
a wrong key there fails at once.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from instruments.spec import load_spec
from validate.report.results import (
    MechanismResults,
    Results,
    ResultsKeyError,
    ResultsSchemaError,
    View,
    accessor_paths,
    free_form_paths,
    schema_node,
)
from validate.report.tables import mechanism_tables

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "report"
MINIMAL = json.loads((FIX / "results_minimal.json").read_text(encoding="utf-8"))
WRITERS = [
    "validate/report/tables.py",
    "validate/report/html.py",
    "validate/report/word.py",
    "validate/report/excel.py",
    "validate/report/apa.py",
    "validate/report/power.py",
    "validate/pls/report.py",
]


def test_every_named_accessor_path_is_in_the_schema():
    paths = accessor_paths()
    assert ("mechanisms", "*", "measurement") in paths and ("mechanisms", "*", "structural", "paths") in paths
    missing = ["/".join(p) for p in paths if schema_node(p) is None]
    assert missing == []


def test_schema_node_knows_what_the_schema_does_not_have():
    assert schema_node(("mechanisms", "*", "measurement", "reliability", "*", "ave")) is not None
    assert schema_node(("mechanisms", "*", "structural", "paths", "[]", "p_value")) is not None
    assert schema_node(("mechanisms", "*", "measurement", "reliabilities")) is None  # a wrong key
    assert schema_node(("mechanisms", "*", "structural", "paths", "[]", "pvalue")) is None


def test_a_key_the_schema_does_not_define_is_an_error_naming_where():
    mres = Results.of(MINIMAL).mechanism("main")
    with pytest.raises(ResultsSchemaError, match=r"mechanisms/main/measurement has no key 'reliabilities'"):
        mres.measurement.obj("reliabilities")
    row = mres.structural.rows("paths")[0]
    with pytest.raises(ResultsSchemaError, match=r"mechanisms/main/structural/paths/0 has no key 'pvalue'"):
        row.get("pvalue")


def test_a_needed_key_that_is_absent_is_an_error_naming_it():
    res = Results.of({"mechanisms": {"main": {"label": "x", "structural": {}}}})
    with pytest.raises(ResultsKeyError, match=r"results.json: mechanisms/main/structural has no key 'fit'"):
        res.mechanism("main").structural["fit"]
    with pytest.raises(ResultsKeyError, match=r"mechanisms has no mechanism 'other' \(it has: main\)"):
        res.mechanism("other")
    with pytest.raises(ResultsKeyError, match=r"mechanisms/main has no object 'measurement'"):
        res.mechanism("main").section("measurement")


def test_a_key_optional_by_schema_reads_as_absent():
    m = Results.of({"mechanisms": {"main": {"label": "x"}}}).mechanism("main")
    assert isinstance(m, MechanismResults)
    assert m.get("missing") is None and m.get("missing", "listwise") == "listwise"
    assert not m.invariance and m.invariance.obj("configural").get("cfi") is None
    assert m.structural.rows("paths") == [] and m.list("warnings") == []
    assert m.structural.empty_row("paths").get("std") is None


def test_views_read_values_objects_and_rows():
    m = Results.of(MINIMAL).mechanism("main")
    assert m.measurement.reliability("DRV")["ave"] == 0.561
    with pytest.raises(
        ResultsKeyError, match=r"measurement/reliability has no construct 'XYZ' \(it has: DRV, ACT, OUT\)"
    ):
        m.measurement.reliability("XYZ")
    assert [p.get("to") for p in m.structural.paths] == [p.get("to") for p in m.structural.rows("paths")]
    rel = m.measurement.obj("reliability")
    assert isinstance(rel, View) and rel.path == "mechanisms/main/measurement/reliability"
    assert rel.obj("DRV").get("alpha") == MINIMAL["mechanisms"]["main"]["measurement"]["reliability"]["DRV"]["alpha"]
    paths = m.structural.rows("paths")
    assert [p["from"] for p in paths] == [p["from"] for p in MINIMAL["mechanisms"]["main"]["structural"]["paths"]]
    with pytest.raises(TypeError, match="mechanisms/main/measurement/reliability should be a list"):
        m.measurement.rows("reliability")


def test_the_mardia_table_reads_the_records_results_json_has():
    """results.json holds psych::mardia's records; the table once read keys (skew, skew_p) it never had."""
    tabs = mechanism_tables(MINIMAL, load_spec(ROOT / "tests/fixtures/specs/minimal.yaml"), "main", "en")
    rows = tabs["mardia"].rows
    assert rows[0]["value"] == 152.3 and rows[0]["p_value"] == 0.0021
    assert rows[1]["value"] is None  # kurtosis could not be computed: "—" in the report


def test_free_form_objects_are_few_and_listed():
    """Objects whose keys the schema does not list are read unchecked; keep them few."""
    free = free_form_paths()
    assert all(isinstance(p, str) for p in free)
    assert "mechanisms/*/invariance/partial" in free and len(free) < 20, free


@pytest.mark.parametrize("path", WRITERS)
def test_writers_do_not_use_the_old_guards(path):
    """The old ``as_dict``/``as_list`` guards are gone; no writer may bring them back (they read through views)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    calls = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("as_dict", "as_list")
    ]
    assert calls == [], f"{path}: old guards at lines {calls}"
