"""PLS tables in the reports (HTML fragment, Excel sheets, Word tables) and run_pls on the bundled example."""

from __future__ import annotations

import json

import pytest
from docx import Document
from openpyxl import Workbook

from instruments.errors import InputError
from instruments.spec import load_spec
from validate.pls.pipeline import PLSOptions, pls_options, run_pls
from validate.pls.report import STRINGS, add_pls_docx, add_pls_sheets, pls_tables, render_pls_html
from validate.report import to_jsonable


@pytest.fixture(scope="module")
def consumer():
    from validate.ingest.responses import ingest
    from validate.pipeline import example_data_path
    from validate.screening import screen

    spec = load_spec()
    res = ingest([example_data_path()], spec, mechanism="consumer")
    mech = spec.mechanism("consumer")
    return spec, mech, screen(res.data["consumer"], mech, spec).data


@pytest.fixture(scope="module")
def results(consumer):
    spec, mech, df = consumer
    out = run_pls(df, mech, bootstrap=100, bca=False, progress=False, workers=1)
    cb_paths = [
        {
            "hypothesis": p["hypothesis"],
            "from": p["from"],
            "to": p["to"],
            "std": 0.1,
            "p_value": 0.5,
            "supported": False,
        }
        for p in out["pls"]["paths"]
    ]
    return to_jsonable({"mechanisms": {"consumer": {"label": mech.label, "structural": {"paths": cb_paths}, **out}}})


def test_run_pls_on_the_bundled_example(consumer, results):
    spec, mech, df = consumer
    pls = results["mechanisms"]["consumer"]["pls"]
    json.dumps(pls, allow_nan=False)
    assert pls["converged"] and pls["n_obs"] == len(df) and pls["scheme"] == "path"
    assert pls["missing"]["method"] == "mean replacement"
    hyps = [p["hypothesis"] for p in pls["paths"]]
    assert hyps == [p.hypothesis for p in mech.active_paths(False)]
    for p in pls["paths"]:
        assert p["supported"] == (p["p_value"] < 0.05)
        assert p["ci_lower"] <= p["estimate"] <= p["ci_upper"]
    assert pls["bootstrap"]["requested"] == 100 and pls["bootstrap"]["seed"] == 20240601
    assert set(pls["reliability"]) == set(mech.constructs)
    pr = pls["predict"]  # PLSpredict: every indicator of an endogenous construct, with its benchmarks
    endo = {p["to"] for p in pls["paths"]}
    assert [r["item"] for r in pr["items"]] == [
        i for c in mech.constructs if c in endo for i in mech.constructs[c].item_ids
    ]
    assert all(r["q2_predict"] is not None and r["lm_rmse"] > 0 for r in pr["items"])


def test_modes_from_the_spec_or_a_mapping(consumer):
    spec, mech, df = consumer
    first = next(iter(mech.constructs))
    out = run_pls(df, mech, bootstrap=0, progress=False, modes={first: "formative"}, predict_folds=0)["pls"]
    assert out["predict"] == {"skipped": "not requested (--predict-folds 0 or --predict-repetitions 0)"}
    assert out["modes"][first] == "B" and out["reliability"][first]["alpha"] is None
    assert any("no bootstrap" in w for w in out["warnings"])
    assert all(p["supported"] is None and p["se"] is None for p in out["paths"])
    with pytest.raises(InputError, match="NOPE is not a construct"):
        run_pls(df, mech, bootstrap=0, progress=False, modes={"NOPE": "A"})
    with pytest.raises(InputError, match="mode 'X' is not known"):
        run_pls(df, mech, bootstrap=0, progress=False, modes={first: "X"})


def test_options_are_read_from_vcc_validate_options():
    from validate.pipeline import AnalysisOptions

    po = pls_options(AnalysisOptions(bootstrap=300, seed=9, alpha=0.01, missing="fiml"))
    assert (po.bootstrap, po.seed, po.alpha, po.missing, po.scheme) == (300, 9, 0.01, "mean", "path")
    with pytest.raises(InputError, match="--scheme star"):
        PLSOptions(scheme="star").check()
    with pytest.raises(InputError, match="--bootstrap 50"):
        pls_options(None, bootstrap=50)
    with pytest.raises(InputError, match="--predict-approach sideways"):
        pls_options(None, predict_approach="sideways")
    with pytest.raises(InputError, match="--predict-folds 1"):
        pls_options(None, predict_folds=1)
    with pytest.raises(InputError, match="--pls-missing pairwise"):
        pls_options(None, missing="pairwise")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tables_in_every_writer(results, lang):
    spec = load_spec()
    tabs = pls_tables(results, spec, "consumer", lang)
    assert {
        "pls_settings",
        "pls_outer",
        "pls_reliability",
        "pls_htmt",
        "pls_fornell_larcker",
        "pls_paths",
        "pls_r2",
        "pls_indirect",
        "pls_fit",
        "pls_compare",
        "pls_cross_loadings",
        "pls_predict",
        "pls_cvpat",
    } <= set(tabs)
    pred = tabs["pls_predict"]
    pr = results["mechanisms"]["consumer"]["pls"]["predict"]
    assert len(pred.rows) == pr["n_items"] and pr["folds"] == 10 and pr["repetitions"] == 10
    assert ("10-fold cross-validation repeated 10 times" if lang == "en" else "10 折交叉验证重复 10 次") in pred.notes[
        0
    ]
    html = render_pls_html(results, spec, "consumer", lang, counter=[4])
    assert 'data-section="pls"' in html and ("Table 5" if lang == "en" else "表 5") in html
    assert ("mean replacement" if lang == "en" else "均值替换") in html
    assert ("percentile intervals" if lang == "en" else "百分位置信区间") in html  # no BCa was run: not claimed
    wb = Workbook()
    names = add_pls_sheets(wb, results, spec, lang)
    assert "consumer-pls_paths" in names and "consumer-pls_vs_cb" in names
    ws = wb["consumer-pls_paths"]
    assert ws.cell(2, 1).value == "H1" and isinstance(ws.cell(2, 3).value, float)
    doc = Document()
    assert add_pls_docx(doc, results, spec, "consumer", lang, number=3) == 3 + 12
    assert render_pls_html({"mechanisms": {"consumer": {}}}, spec, "consumer", lang) == ""


def test_every_string_has_both_languages():
    for key, v in STRINGS.items():
        assert set(v) == {"en", "zh"} and all(v.values()), key


def test_command_line_options():
    import argparse

    from validate.pls.cli import add_pls_arguments, check_method, parse_modes, pls_fields

    p = argparse.ArgumentParser()
    add_pls_arguments(p)
    args = p.parse_args(
        [
            "--method",
            "both",
            "--scheme",
            "centroid",
            "--consistent",
            "--pls-mode",
            "PID=formative",
            "--pls-mode",
            "PAC=A",
        ]
    )
    assert pls_fields(args) == {
        "method": "both",
        "pls_scheme": "centroid",
        "pls_consistent": True,
        "pls_missing": "mean",
        "pls_modes": {"PID": "B", "PAC": "A"},
        "pls_predict_folds": 10,
        "pls_predict_repetitions": 10,
        "pls_predict_approach": "direct",
        "pls_permutations": 5000,
        "pls_ipma_targets": None,
        "pls_moderation": "two_stage",
        "pls_hoc_approach": "disjoint",
    }
    with pytest.raises(InputError, match="--pls-mode PID: expected CONSTRUCT=A"):
        parse_modes(["PID"])
    with pytest.raises(InputError, match="--pls-mode PID=Q: mode 'Q' is not known"):
        parse_modes(["PID=Q"])
    with pytest.raises(InputError, match="--method sem"):
        check_method("sem")


def test_cli_options_module_is_light():
    import subprocess
    import sys

    code = "import sys, validate.pls.cli; print('pandas' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]  # building vcc's parser loads no numerical library


def test_method_row():
    from validate.pls.report import method_row

    assert method_row({}, "en") == ("Method", "CB-SEM (covariance-based, lavaan-compatible)")
    assert method_row({"method": "pls"}, "zh")[1].startswith("PLS-SEM")
    assert method_row({"method": "both"}, "en")[1] == "CB-SEM and PLS-SEM, side by side"


def test_pls_table_keys_are_numbered_in_both_writers():
    """HTML and Word number the same tables: every PLS table Word gets is a numbered table on the page."""
    from validate.pls.report import DOCX_TABLES
    from validate.report.tables import NUMBERED_TABLES

    assert set(DOCX_TABLES) <= set(NUMBERED_TABLES)
