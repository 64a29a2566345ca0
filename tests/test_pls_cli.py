"""``vcc validate --method pls|both`` end to end on the bundled example (the wiring of validate.pls)."""

from __future__ import annotations

import json

import pytest

from validate.cli import main
from validate.pipeline import example_data_path


def _run(tmp_path, *extra):
    out = tmp_path / "out"
    code = main(["validate", str(example_data_path()), "--mechanism", "consumer", "--out", str(out), *extra])
    return code, out


def test_method_pls(tmp_path):
    code, out = _run(tmp_path, "--method", "pls", "--bootstrap", "0", "--pls-mode", "CID=B", "--scheme", "factorial")
    assert code == 0
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    m = res["mechanisms"]["consumer"]
    assert "structural" not in m and "measurement" not in m  # CB-SEM not run
    pls = m["pls"]
    assert pls["scheme"] == "factorial" and pls["modes"]["CID"] == "B" and pls["converged"]
    assert res["options"]["method"] == "pls"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'data-section="pls"' in html and "factorial" in html
    assert "PLS-SEM (the CB-SEM options estimator and missing do not apply)" in html  # the method section
    assert "0 / 32" not in html  # no bootstrap: no hypothesis judged, so no count of supported ones
    from instruments.spec import load_spec

    spec = load_spec()
    mech = spec.mechanism("consumer")  # IPMA: by default every outcome-stage construct, scales from the spec
    assert list(pls["ipma"]["targets"]) == [c for c, v in mech.constructs.items() if v.stage == "outcome"]
    item = mech.item_ids[0]
    assert pls["ipma"]["scales"][item] == [spec.item_scale(item).min, spec.item_scale(item).max]
    assert html.count('data-figure="pls_ipma"') == len(pls["ipma"]["targets"])
    assert pls["predict"]["folds"] == 10 and pls["predict"]["items"]


@pytest.mark.slow
def test_method_both_side_by_side(tmp_path):
    code, out = _run(tmp_path, "--method", "both", "--bootstrap", "100", "--workers", "1", "--lang", "zh")
    assert code == 0
    m = json.loads((out / "results.json").read_text(encoding="utf-8"))["mechanisms"]["consumer"]
    assert m["structural"]["paths"] and m["pls"]["paths"]
    assert [p["hypothesis"] for p in m["pls"]["paths"]] == [p["hypothesis"] for p in m["structural"]["paths"]]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'data-table="pls_compare"' in html and "CB-SEM 与 PLS-SEM" in html


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--method", "pls", "--pls-mode", "CID"], "--pls-mode CID: expected CONSTRUCT=A"),
        (["--method", "pls", "--pls-mode", "NOPE=B", "--bootstrap", "0"], "NOPE is not a construct"),
        (["--method", "pls", "--bootstrap", "0", "--ipma-target", "CID"], "--ipma-target CID: an exogenous construct"),
    ],
)
def test_bad_pls_options_exit_2(tmp_path, capsys, extra, message):
    code, _ = _run(tmp_path, *extra)
    assert code == 2 and message in capsys.readouterr().err


@pytest.mark.slow
def test_method_pls_with_groups_runs_micom_and_mga(tmp_path):
    """--group with --method pls: MICOM and the multigroup tests for every pair of platforms, in every report."""
    code, out = _run(
        tmp_path,
        "--method",
        "pls",
        "--group",
        "platform",
        "--permutations",
        "50",
        "--bootstrap",
        "100",
        "--predict-folds",
        "0",
        "--workers",
        "1",
    )
    assert code == 0
    m = json.loads((out / "results.json").read_text(encoding="utf-8"))["mechanisms"]["consumer"]
    pls = m["pls"]
    assert not any("--group" in w for w in m["warnings"])  # no longer "CB-SEM only"
    pairs = [tuple(p["groups"]) for p in pls["micom"]["pairs"]]
    assert pairs == [("1", "2"), ("1", "3"), ("2", "3")] == [tuple(p["groups"]) for p in pls["mga"]["pairs"]]
    for p in pls["micom"]["pairs"]:
        assert p["permutations"]["completed"] == 50 and p["verdict"] in ("full", "partial", "none")
        assert {r["construct"] for r in p["compositional"]} == set(pls["reliability"])
    for p in pls["mga"]["pairs"]:
        assert len(p["paths"]) == len(pls["paths"]) and p["bootstrap"] == 100
        assert all(0 < r["p_permutation"] <= 1 and r["p_welch"] is not None for r in p["paths"])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('data-table="pls_micom"') == 3 and html.count('data-table="pls_mga"') == 3
    assert "Douyin vs Kuaishou" in html and "Kuaishou vs Xiaohongshu (RED)" in html
    assert pls["predict"] == {"skipped": "not requested (--predict-folds 0 or --predict-repetitions 0)"}


def test_too_few_permutations_exit_2(tmp_path, capsys):
    code, _ = _run(tmp_path, "--method", "pls", "--group", "platform", "--permutations", "5", "--bootstrap", "0")
    assert code == 2 and "--permutations 5" in capsys.readouterr().err
