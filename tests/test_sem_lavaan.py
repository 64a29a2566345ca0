"""validate.sem against lavaan 0.6.14 reference results (tests/fixtures/lavaan).

Tolerance: 1e-3 x max(1, |reference|) for every number, as the fixture README asks.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_ref

from validate.sem import fit_sem

FIX = Path(__file__).parent / "fixtures"
# Achieved: 4.6e-6 (invariance, PoliticalDemocracy: lavaan's own stopping rule; our gradient is ~1e-15),
# 2.8e-5 for the two-group MLR with FIML (lavaan stops earlier there; chisq agrees to 1e-9; that test
# also asserts its own 5e-5 bound). Asserted at about 100x the typical 5e-6.
TOL = 5e-4


def _load(name):
    return json.loads((FIX / "lavaan" / name).read_text())


def _data(name):
    return pd.read_csv(FIX / "data" / name)


def _close(mine, ref, what, tol=TOL):
    assert mine is not None and np.isfinite(mine), f"{what}: got {mine}, lavaan {ref}"
    assert_ref(mine, ref, tol, what)


def _row(params, ref, group=None):
    rhs = ref["rhs"]
    sel = (params["lhs"] == ref["lhs"]) & (params["op"] == ref["op"])
    if ref["op"] == ":=":
        sel &= params["rhs"].str.replace(" ", "") == rhs.replace(" ", "")
    else:
        sel &= params["rhs"] == rhs
    if group is not None:
        sel &= params["group"] == group
    rows = params[sel]
    assert len(rows) == 1, f"parameter {ref['lhs']} {ref['op']} {rhs} (group {group}) not found once"
    return rows.iloc[0]


def _check_params(params, refs, keys=("est", "se", "std_all", "std_lv"), groups=None):
    for i, ref in enumerate(refs):
        row = _row(params, ref, None if groups is None else groups[i])
        what = f"{ref['lhs']} {ref['op']} {ref['rhs']}"
        for k in keys:
            mine = {"est": "estimate"}.get(k, k)
            if ref.get(k) is None:
                continue
            _close(row[mine], ref[k], f"{what} {k}")
        if ref.get("z") is None:  # fixed parameter: lavaan se = 0, z NA
            assert row["se"] == 0 and np.isnan(row["z"])


def _check_fit(fit, ref, skip=()):
    for k, v in ref.items():
        if k in skip or v is None:
            continue
        assert k in fit, f"fit measure {k} missing"
        _close(fit[k], v, k)


@pytest.fixture(scope="module")
def hs():
    return _data("holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def hs_ml(hs):
    ref = _load("holzinger_cfa_ml.json")
    return ref, fit_sem(ref["model"], hs, kind="cfa")


def test_holzinger_ml_parameters(hs_ml):
    ref, res = hs_ml
    assert res.converged and res.admissible and res.warnings == []
    _check_params(res.params, ref["parameters"])
    assert len(res.params) == len(ref["parameters"])


def test_holzinger_ml_fit(hs_ml):
    ref, res = hs_ml
    _check_fit(res.fit, ref["fit"])


def test_holzinger_ml_modindices(hs_ml):
    ref, res = hs_ml
    mi = res.modindices(top=10)
    assert len(mi) == 10
    for (_, mine), r in zip(mi.iterrows(), ref["modindices_top10"]):
        assert (mine["lhs"], mine["op"], mine["rhs"]) == (r["lhs"], r["op"], r["rhs"])
        _close(mine["mi"], r["mi"], f"mi {r['lhs']}{r['op']}{r['rhs']}")
        _close(mine["epc"], r["epc"], "epc")
        _close(mine["sepc_all"], r["sepc.all"], "sepc.all")


def test_holzinger_mlr(hs):
    ref = _load("holzinger_cfa_mlr.json")
    res = fit_sem(ref["model"], hs, kind="cfa", estimator="MLR")
    assert res.converged and res.admissible
    _check_params(res.params, ref["parameters"])
    _check_fit(res.fit, ref["fit"])
    # robust SEs really differ from the ML ones
    ml = _load("holzinger_cfa_ml.json")["parameters"]
    assert abs(ref["parameters"][1]["se"] - ml[1]["se"]) > 0.01


def test_political_democracy(tmp_path):
    ref = _load("political_democracy_sem.json")
    res = fit_sem(ref["model"], _data("political_democracy.csv"))
    assert res.converged and res.admissible
    _check_params(res.params, ref["parameters"])
    _check_fit(res.fit, ref["fit"])
    assert set(res.r2) == set(ref["r2"])
    for k, v in ref["r2"].items():
        _close(res.r2[k], v, f"r2 {k}")
    ind = res.params[res.params["lhs"] == "indirect"].iloc[0]
    assert ind["op"] == ":=" and abs(ind["estimate"] - 1.24178280736893) < 1e-4
    # JSON export
    d = res.to_dict()
    json.dumps(d)
    assert d["fit"]["rmsea_ci_lower"] == 0


@pytest.mark.parametrize(
    "name,equal", [("configural", ()), ("metric", ("loadings",)), ("scalar", ("loadings", "intercepts"))]
)
def test_invariance_school(hs, name, equal):
    ref = _load("holzinger_invariance_school.json")
    res = fit_sem(ref["model"], hs, group="school", group_equal=equal, kind="cfa")
    assert res.converged and res.admissible
    assert res.group_labels == ["Pasteur", "Grant-White"]
    _check_fit(res.fit, ref[name])
    if name == "metric":
        refs = ref["metric_parameters"]
        groups = [1 if i < len(refs) // 2 else 2 for i in range(len(refs))]
        _check_params(res.params, refs, groups=groups)
        # lavaan's labels for the constrained loadings
        lab = res.params[(res.params["lhs"] == "visual") & (res.params["rhs"] == "x2")]["label"]
        assert list(lab) == [".p2.", ".p2."]


def test_invariance_lrt(hs):
    ref = _load("holzinger_invariance_school.json")
    fits = {
        n: fit_sem(ref["model"], hs, group="school", group_equal=e, kind="cfa").fit
        for n, e in [("configural", ()), ("metric", ("loadings",)), ("scalar", ("loadings", "intercepts"))]
    }
    from scipy import stats

    for prev, cur, r in [("configural", "metric", ref["lrt"][1]), ("metric", "scalar", ref["lrt"][2])]:
        d = fits[cur]["chisq"] - fits[prev]["chisq"]
        ddf = fits[cur]["df"] - fits[prev]["df"]
        _close(d, r["chisq_diff"], "chisq diff")
        assert ddf == r["df_diff"]
        _close(stats.chi2.sf(d, ddf), r["p"], "p diff")


def test_holzinger_fiml():
    """missing = "ml": data with holes made by a fixed rule (tests/fixtures/lavaan/holzinger_missing.csv)."""
    ref = _load("holzinger_cfa_fiml.json")
    df = pd.read_csv(FIX / "lavaan" / "holzinger_missing.csv")
    res = fit_sem(ref["model"], df, kind="cfa", missing="fiml")
    assert res.converged and res.admissible and res.n == ref["n"]
    _check_params(res.params, ref["parameters"])
    _check_fit(res.fit, ref["fit"])  # incl. the FIML-corrected ("V6") robust CFI/TLI/RMSEA
    for k in ("cfi_robust", "tli_robust", "rmsea_robust"):
        assert abs(res.fit[k] - ref["fit"][k]) <= 1e-6, k


def test_holzinger_fiml_mlr():
    """estimator = "MLR", missing = "ml": sandwich SEs, Yuan-Bentler (Mplus) test, FIML-corrected robust fit.

    Agreement is far better than the file's 1e-3: 1e-6 x max(1, |ref|) for estimates, SEs,
    std.all and every fit measure (observed: 5e-7 or better).
    """
    ref = _load("holzinger_cfa_fiml_mlr.json")
    df = pd.read_csv(FIX / "lavaan" / "holzinger_missing.csv")
    res = fit_sem(ref["model"], df, kind="cfa", missing="fiml", estimator="MLR")
    assert res.converged and res.admissible and res.warnings == [] and res.n == ref["n"]
    _check_params(res.params, ref["parameters"])
    for p in ref["parameters"]:
        row = _row(res.params, p)
        for k, mk in (("est", "estimate"), ("se", "se"), ("std_all", "std_all")):
            assert abs(row[mk] - p[k]) <= 1e-6 * max(1.0, abs(p[k])), f"{p['lhs']} {p['op']} {p['rhs']} {k}"
    _check_fit(res.fit, ref["fit"])
    for k, v in ref["fit"].items():
        assert abs(res.fit[k] - v) <= 1e-6 * max(1.0, abs(v)), k
    # the ML fit of the same data has the same estimates and chi-square, other SEs
    ml = fit_sem(ref["model"], df, kind="cfa", missing="fiml")
    assert np.allclose(ml.params["estimate"], res.params["estimate"], atol=1e-10)
    assert ml.fit["chisq"] == pytest.approx(res.fit["chisq"], abs=1e-9)
    free = res.params["free"] > 0
    assert np.max(np.abs(ml.params.loc[free, "se"] - res.params.loc[free, "se"])) > 1e-3


def test_sem_with_fixed_x_covariates(hs):
    """Observed exogenous covariates: variances/covariances fixed at sample values, conditional logl."""
    ref = _load("holzinger_sem_covariates.json")
    res = fit_sem(ref["model"], hs)
    assert res.converged and res.admissible
    _check_params(res.params, ref["parameters"])
    assert len(res.params) == len(ref["parameters"])
    _check_fit(res.fit, ref["fit"])
    names = ["x1", "x2", "x3", "x4", "x5", "x6", "visual", "textual"]
    for k, v in zip(names, ref["r2"]):
        _close(res.r2[k], v, f"r2 {k}")


@pytest.mark.parametrize(
    "name, estimator, missing",
    [
        ("holzinger_cfa_mlr_modindices.json", "MLR", "listwise"),
        ("holzinger_cfa_fiml_modindices.json", "ML", "fiml"),
        ("holzinger_cfa_fiml_mlr_modindices.json", "MLR", "fiml"),
    ],
)
def test_modindices_mlr_and_fiml(hs, name, estimator, missing):
    """modindices() after MLR and/or FIML (lavaan_modindices.R): lavaan uses the expected
    information whatever the estimator, so MLR gives ML's indices; with FIML the expected
    information and the score are those of the missing-data likelihood. Agreement 1e-5 relative."""
    ref = _load(name)
    df = hs if missing == "listwise" else pd.read_csv(FIX / "lavaan" / "holzinger_missing.csv")
    res = fit_sem(ref["model"], df, kind="cfa", estimator=estimator, missing=missing)
    assert res.fit["chisq"] == pytest.approx(ref["chisq"], rel=1e-7)
    mi = res.modindices(top=10)
    assert len(mi) == len(ref["modindices"]) == 10
    for (_, mine), r in zip(mi.iterrows(), ref["modindices"]):
        what = f"{r['lhs']}{r['op']}{r['rhs']}"
        assert (mine["lhs"], mine["op"], mine["rhs"]) == (r["lhs"], r["op"], r["rhs"]), what
        for k in ("mi", "epc", "sepc_lv", "sepc_all"):
            assert abs(mine[k] - r[k]) <= 1e-5 * max(1.0, abs(r[k])), f"{what} {k}: {mine[k]} vs {r[k]}"


def test_groups_fiml_mlr():
    """Robust FIML with two groups (holzinger_groups_fiml_mlr.json): group weights in the sandwich,
    the scaling factors and the FIML-corrected robust indices. Estimates and SEs agree to 5e-5
    (lavaan's own optimiser stops earlier than ours on this flatter two-group likelihood; the
    chi-square agrees to 1e-9), fit measures to 1e-5 relative."""
    ref = _load("holzinger_groups_fiml_mlr.json")
    df = pd.read_csv(FIX / "lavaan" / "holzinger_missing.csv")
    res = fit_sem(ref["model"], df, kind="cfa", missing="fiml", estimator="MLR", group="school")
    assert res.converged and res.admissible and res.group_labels == ["Pasteur", "Grant-White"]
    groups = [p["group"] for p in ref["parameters"]]
    _check_params(res.params, ref["parameters"], keys=("est", "se", "std_all"), groups=groups)
    for p, g in zip(ref["parameters"], groups):
        row = _row(res.params, p, g)
        for k, mk in (("est", "estimate"), ("se", "se")):
            assert abs(row[mk] - p[k]) <= 5e-5 * max(1.0, abs(p[k])), f"{p['lhs']} {p['op']} {p['rhs']} {k}"
    for k, v in ref["fit"].items():
        assert abs(res.fit[k] - v) <= 1e-5 * max(1.0, abs(v)), k
