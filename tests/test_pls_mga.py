"""MICOM and PLS multigroup analysis (validate.pls.mga) against seminr, data-level computations and simulations.

seminr (test-only oracle) has PLS-MGA (Henseler's test) but no MICOM and no permutation MGA. Given the
same bootstrap resamples of each group, the group path coefficients and Henseler's p agree with seminr's
``estimate_pls_mga`` to 1e-15 (achieved; asserted 1e-8, see tests/test_pls.py for why). MICOM's c and
the step-3 differences are checked against a data-level computation with fit_pls (achieved 1.3e-15,
asserted 1e-10), and its
decisions on simulated groups with and without a difference in weights, means and variances.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from instruments.errors import InputError
from tests.conftest import needs_seminr, sm
from validate.pls import PLSModel, fit_pls
from validate.pls.mga import compare_groups, henseler_p, micom_mga
from validate.pls.model import prepare_data
from validate.structural.bootstrap import resample_indices

TOL = 1e-8  # achieved ~1e-15

C = {"X": ["x1", "x2", "x3"], "M": ["m1", "m2", "m3"], "Y": ["y1", "y2", "y3"]}
P = [("X", "M"), ("X", "Y"), ("M", "Y")]


def _group(n, seed, b_xm=0.6, shift=0.0, scale=1.0, flip=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n) * scale + shift
    m = b_xm * x + rng.normal(size=n) * 0.8
    y = 0.3 * x + 0.5 * m + rng.normal(size=n) * 0.7
    cols = {}
    for name, f in (("x", x), ("m", m), ("y", y)):
        load = (1.0, 0.9, 0.8) if not (flip and name == "x") else (1.0, 0.1, -0.6)
        for i in range(3):
            cols[f"{name}{i + 1}"] = load[i] * f + rng.normal(size=n) * 0.6
    return pd.DataFrame(cols)


def test_henseler_p_is_the_pairwise_count():
    rng = np.random.default_rng(1)
    b1, b2 = rng.normal(0.3, 0.1, 200), rng.normal(0.2, 0.12, 150)
    grid = (2 * b1.mean() - b1 - 2 * b2.mean())[:, None] + b2[None, :]
    assert henseler_p(b1, b2) == pytest.approx(1 - np.count_nonzero(grid > 0) / grid.size, abs=1e-15)
    assert henseler_p(b1, b2) < 0.5  # group 1's coefficient is larger: the one-sided p is small


@needs_seminr
def test_pls_mga_matches_seminr_with_the_same_resamples():
    from tests.test_pls import CORP, CORP_PATHS, _dataset, _seminr_fit

    df = _dataset("corp_rep_data.csv").replace(-99, np.nan)
    df = df.fillna(df.mean())
    m = _seminr_fit(df, CORP, CORP_PATHS)
    keep = (df.servicetype == 1).to_numpy()
    n1, n2 = int(keep.sum()), int((~keep).sum())
    B, seed = 300, 7
    i1 = np.array([resample_indices(seed, b, n1) for b in range(B)])
    i2 = np.array([resample_indices(seed, b, n2) for b in range(B)])
    ref = sm.estimate_pls_mga(m, keep, nboot=B, group1_indices=i1, group2_indices=i2)
    out = micom_mga(
        df.assign(g=np.where(keep, "a", "b")),
        PLSModel(CORP, CORP_PATHS),
        "g",
        permutations=50,
        bootstrap=B,
        seed=seed,
        workers=1,
    )
    rows = out["pairs"][0]["mga"]["paths"]
    assert [(r.source, r.target) for r in ref] == [(x["from"], x["to"]) for x in rows]
    for r, x in zip(ref, rows):
        assert abs(r.group1_beta - x["beta_1"]) < TOL and abs(r.group2_beta - x["beta_2"]) < TOL
        assert abs(r.pls_mga_p - x["p_henseler"]) < TOL
        assert x["p_henseler_two_sided"] == pytest.approx(2 * min(r.pls_mga_p, 1 - r.pls_mga_p))
        # the parametric and Welch tests from the same bootstrap SEs, by hand (Sarstedt et al. 2011)
        se1, se2 = x["se_1"], x["se_2"]
        d = x["diff"]
        t_p = d / (
            np.sqrt(((n1 - 1) ** 2 * se1**2 + (n2 - 1) ** 2 * se2**2) / (n1 + n2 - 2)) * np.sqrt(1 / n1 + 1 / n2)
        )
        v1, v2 = (n1 - 1) / n1 * se1**2, (n2 - 1) / n2 * se2**2
        df_w = (v1 + v2) ** 2 / ((n1 - 1) / n1**2 * se1**4 + (n2 - 1) / n2**2 * se2**4) - 2
        assert x["t_parametric"] == pytest.approx(t_p, rel=1e-12) and x["df_parametric"] == n1 + n2 - 2
        assert x["t_welch"] == pytest.approx(d / np.sqrt(v1 + v2), rel=1e-12)
        assert x["df_welch"] == pytest.approx(df_w, rel=1e-12)


def test_micom_statistics_agree_with_a_data_level_computation():
    g1, g2 = _group(120, 1), _group(140, 2, b_xm=0.2)
    model = PLSModel(C, P)
    out = compare_groups(
        prepare_data(g1, model).raw, prepare_data(g2, model).raw, model, permutations=40, bootstrap=0, seed=3, workers=1
    )
    pooled = pd.concat([g1, g2], ignore_index=True)
    z = (pooled - pooled.mean()) / pooled.std()
    w1 = fit_pls(g1, C, P).weights().set_index("item").estimate
    w2 = fit_pls(g2, C, P).weights().set_index("item").estimate
    fp = fit_pls(pooled, C, P)
    for r, mv in zip(out["micom"]["compositional"], out["micom"]["means_variances"]):
        its = C[r["construct"]]
        c = np.corrcoef(z[its] @ w1[its], z[its] @ w2[its])[0, 1]
        assert abs(r["c"] - c) < 1e-10
        s = fp.scores[r["construct"]]
        assert abs(mv["mean_diff"] - (s[:120].mean() - s[120:].mean())) < 1e-10
        assert abs(mv["log_var_ratio_diff"] - np.log(s[:120].var(ddof=1) / s[120:].var(ddof=1))) < 1e-10
    paths = {(p["from"], p["to"]): p for p in out["mga"]["paths"]}
    b1 = fit_pls(g1, C, P).paths().set_index(["from", "to"]).estimate
    b2 = fit_pls(g2, C, P).paths().set_index(["from", "to"]).estimate
    for key, p in paths.items():
        assert abs(p["diff"] - (b1[key] - b2[key])) < 1e-10
    assert out["mga"]["bootstrap"] == 0 and paths[("X", "M")]["p_henseler"] is None
    assert out["permutations"]["completed"] == 40


def test_micom_and_mga_decide_as_the_simulated_groups_differ():
    model = PLSModel(C, P)
    raw = lambda d: prepare_data(d, model).raw  # noqa: E731
    same = compare_groups(
        raw(_group(200, 1)), raw(_group(200, 2)), model, permutations=200, bootstrap=0, seed=5, workers=1
    )
    assert same["micom"]["verdict"] == "full"
    assert not any(p["differs"] for p in same["mga"]["paths"])
    # X's indicators weighted differently in group 2: no compositional invariance for X
    flip = compare_groups(
        raw(_group(200, 1)), raw(_group(200, 2, flip=True)), model, permutations=200, bootstrap=0, seed=5, workers=1
    )
    comp = {r["construct"]: r for r in flip["micom"]["compositional"]}
    assert comp["X"]["invariant"] is False and comp["X"]["p_value"] < 0.05 and comp["M"]["invariant"]
    assert flip["micom"]["verdict"] == "none"
    # same weights but X shifted and spread in group 2, and a weaker X -> M path: partial invariance,
    # X's mean and variance differ, and the permutation test finds the path difference
    diff = compare_groups(
        raw(_group(250, 1)),
        raw(_group(250, 2, b_xm=0.0, shift=1.0, scale=1.6)),
        model,
        permutations=200,
        bootstrap=0,
        seed=5,
        workers=1,
    )
    mv = {r["construct"]: r for r in diff["micom"]["means_variances"]}
    assert diff["micom"]["verdict"] == "partial"
    assert not mv["X"]["mean_equal"] and not mv["X"]["log_var_ratio_equal"]
    xm = next(p for p in diff["mga"]["paths"] if (p["from"], p["to"]) == ("X", "M"))
    assert xm["differs"] and xm["p_permutation"] < 0.01


def test_same_seed_same_result_whatever_the_workers():
    model = PLSModel(C, P)
    g1, g2 = prepare_data(_group(80, 1), model).raw, prepare_data(_group(90, 2), model).raw
    a = compare_groups(g1, g2, model, permutations=60, bootstrap=0, seed=9, workers=1)
    b = compare_groups(g1, g2, model, permutations=60, bootstrap=0, seed=9, workers=2)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_bad_input():
    df = pd.concat([_group(60, 1).assign(g=1), _group(60, 2).assign(g=1)])
    model = PLSModel(C, P)
    with pytest.raises(InputError, match="one group only"):
        micom_mga(df, model, "g", permutations=50, bootstrap=0)
    with pytest.raises(InputError, match="no column 'h'"):
        micom_mga(df, model, "h", permutations=50, bootstrap=0)
    with pytest.raises(InputError, match="--permutations 5"):
        micom_mga(df, model, "g", permutations=5, bootstrap=0)


def test_a_group_that_cannot_carry_the_model_is_reported_not_a_stop():
    from validate.pls.report import pls_tables

    a, b = _group(80, 1).assign(g="a"), _group(90, 2).assign(g="b")
    c = _group(30, 3).assign(g="c", x2=4.0)  # x2 has one answer in group c
    model = PLSModel(C, P)
    out = micom_mga(pd.concat([a, b, c], ignore_index=True), model, "g", permutations=30, bootstrap=0, workers=1)
    pairs = {tuple(p["groups"]): p for p in out["pairs"]}
    assert "micom" in pairs[("a", "b")]
    for key in (("a", "c"), ("b", "c")):
        assert "group c" in pairs[key]["error"] and "x2" in pairs[key]["error"] and pairs[key]["n"][1] == 30
    from validate.pls.pipeline import _groups_entry  # the results.json shape and the report keep the reason

    po = type(
        "O",
        (),
        {
            "permutations": 30,
            "bootstrap": 0,
            "seed": 1,
            "scheme": "path",
            "consistent": False,
            "missing": "mean",
            "tol": 1e-7,
            "max_iter": 300,
            "alpha": 0.05,
            "progress": False,
            "scheduler": None,
            "workers": 1,
            "group": "g",
        },
    )()
    entry = _groups_entry(pd.concat([a, b, c], ignore_index=True), model, po, "m")
    pls = fit_pls(pd.concat([a, b]), C, P).to_dict()
    tabs = pls_tables({"mechanisms": {"m": {"pls": {**pls, **entry}}}}, None, "m", "en")
    assert "pls_micom_1" in tabs and "pls_mga_1" in tabs and "pls_micom_2" not in tabs
    assert any("a vs c: not compared" in n for n in tabs["pls_settings"].notes)
