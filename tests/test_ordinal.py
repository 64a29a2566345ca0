"""validate.sem.ordinal: thresholds, polychoric correlations, Gamma (NACOV) and the WLSMV test.

Reference numbers: tests/fixtures/ordinal/*.json, made by make_reference.R there with lavaan
0.6.14. Tolerances are explicit in each test; the figures achieved when this was written are
in the comments (the brief asked for 1e-4 on thresholds/correlations, 1e-3 relative on Gamma).
"""

from __future__ import annotations

import doctest
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.stats import norm

import validate.sem.ordinal as ordinal_module
from instruments.errors import InputError
from validate.sem.ordinal import (
    OrdinalWarning,
    baseline_test,
    bvn_cdf,
    dwls_fit_function,
    dwls_robust_vcov,
    ordinal_moments,
    polychoric,
    scaled_shifted_test,
    wlsmv_fit_indices,
)

FIX = Path(__file__).parent / "fixtures" / "ordinal"


def _load(name):
    ref = json.loads((FIX / f"{name}.json").read_text(encoding="utf-8"))
    data = pd.read_csv(FIX / f"{name}.csv")
    return ref, data


def _matrix(block):
    return np.array(block["values"], dtype=float)


@pytest.fixture(scope="module")
def hs():
    ref, data = _load("hs_ordinal5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # this data set must not warn
        mom = ordinal_moments(data)
    return ref, data, mom


@pytest.fixture(scope="module")
def sparse():
    ref, data = _load("sparse_likert")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mom = ordinal_moments(data)
    return ref, data, mom


# ---------------------------------------------------------------------------------------------
# Bivariate normal CDF
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "h,k,r",
    [
        (0.3, -0.2, 0.5),
        (1.5, 2.0, 0.95),
        (-1.0, 0.5, -0.97),
        (2.5, -2.5, 0.999),
        (-3.0, -3.0, 0.2),
        (0.1, 0.1, -0.3),
        (-2.0, 1.0, 0.8),
        (1.0, 1.0, -0.93),
        (0.0, 0.0, 0.9999),
        (-0.7, 1.2, 0.6),
        (2.0, -0.4, -0.6),
    ],
)
def test_bvn_cdf_matches_quadrature(h, k, r):
    s = np.sqrt(1 - r * r)
    ref = integrate.quad(lambda x: norm.pdf(x) * norm.cdf((k - r * x) / s), -np.inf, h, epsabs=1e-15, epsrel=1e-13)[0]
    assert abs(float(bvn_cdf(h, k, r)) - ref) < 1e-14  # achieved 4e-16


def test_bvn_cdf_limits_and_broadcasting():
    x = np.array([-np.inf, np.inf, 0.4, np.inf, 0.3, 0.3])
    y = np.array([0.2, -0.5, np.inf, np.inf, -0.2, -0.2])
    r = np.array([0.3, 0.3, -0.4, 0.9, 1.0, -1.0])
    got = bvn_cdf(x, y, r)
    want = [0.0, norm.cdf(-0.5), norm.cdf(0.4), 1.0, norm.cdf(-0.2), norm.cdf(0.3) - norm.cdf(0.2)]
    np.testing.assert_allclose(got, want, atol=1e-15)
    assert bvn_cdf(np.zeros((2, 3)), 0.0, 0.5).shape == (2, 3)
    assert float(bvn_cdf(0.0, 0.0, 0.5)) == pytest.approx(1 / 4 + np.arcsin(0.5) / (2 * np.pi), abs=1e-15)


def test_bvn_cdf_rejects_bad_rho():
    with pytest.raises(ValueError, match=r"bvn_cdf: rho must lie in \[-1, 1\]"):
        bvn_cdf(0.0, 0.0, 1.2)


# ---------------------------------------------------------------------------------------------
# Against lavaan: Holzinger-Swineford cut into 5 categories (n = 301, 9 items)
# ---------------------------------------------------------------------------------------------


def test_hs_thresholds(hs):
    ref, _, mom = hs
    th = ref["sampstat"]["thresholds"]
    np.testing.assert_allclose(mom.threshold_vector, th["values"], rtol=0, atol=1e-6)  # achieved 1e-15
    assert [f"{i}|{t}" for i, t in zip(mom.thresholds["item"], mom.thresholds["threshold"])] == th["names"]
    assert list(mom.thresholds.columns) == ["item", "threshold", "code_below", "code_above", "estimate", "se"]
    assert mom.thresholds.loc[0, ["code_below", "code_above"]].tolist() == [1, 2]
    assert mom.threshold_item.tolist() == [i for i in range(9) for _ in range(4)]
    assert mom.n == ref["sampstat"]["n"] == 301


def test_hs_polychoric(hs):
    ref, data, mom = hs
    want = _matrix(ref["sampstat"]["polychoric"])
    np.testing.assert_allclose(mom.corr.to_numpy(), want, rtol=0, atol=1e-6)  # achieved 2.2e-8
    np.testing.assert_allclose(mom.corr.to_numpy(), _matrix(ref["lavcor"]), rtol=0, atol=1e-6)
    assert list(mom.corr.index) == list(mom.corr.columns) == [f"x{i}" for i in range(1, 10)]
    # the cheaper polychoric() gives the same matrix
    np.testing.assert_allclose(polychoric(data).to_numpy(), mom.corr.to_numpy(), rtol=0, atol=1e-12)


def test_hs_wls_obs_order_and_labels(hs):
    ref, _, mom = hs
    assert mom.labels == ref["sampstat"]["wls_obs"]["names"] == ref["sampstat"]["gamma"]["names"]
    np.testing.assert_allclose(mom.wls_obs, ref["sampstat"]["wls_obs"]["values"], rtol=0, atol=1e-6)
    # vech order without diagonal: column-wise below the diagonal
    assert mom.labels[36:39] == ["x1~~x2", "x1~~x3", "x1~~x4"]
    assert mom.labels[44] == "x2~~x3"


def test_hs_nacov(hs):
    ref, _, mom = hs
    gamma = _matrix(ref["sampstat"]["gamma"])
    assert mom.nacov.shape == gamma.shape == (72, 72)
    # achieved: max abs difference 2.5e-8 (largest element 2.2), 7.5e-7 relative on |elements| > 1e-3
    np.testing.assert_allclose(mom.nacov, gamma, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mom.wls_weight_diag, ref["sampstat"]["wls_vd"], rtol=1e-6)
    np.testing.assert_allclose(mom.nacov, mom.nacov.T, atol=1e-12)
    # NACOV is n * acov: the threshold SEs are sqrt(diag / n)
    np.testing.assert_allclose(mom.thresholds["se"], np.sqrt(np.diag(gamma)[:36] / 301), rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# Against lavaan: sparse simulated Likert answers (empty cells, a skipped code, 2x2 zero.add)
# ---------------------------------------------------------------------------------------------


def test_sparse_matches_lavaan(sparse):
    ref, _, mom = sparse
    ss = ref["sampstat"]
    assert mom.labels == ss["gamma"]["names"]
    np.testing.assert_allclose(mom.threshold_vector, ss["thresholds"]["values"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(mom.corr.to_numpy(), _matrix(ss["polychoric"]), rtol=0, atol=1e-6)  # 3e-8
    np.testing.assert_allclose(mom.corr.to_numpy(), _matrix(ref["lavcor"]), rtol=0, atol=1e-6)
    # achieved: max abs difference 1.0e-7 (largest element 19), 4.4e-6 relative on |elements| > 1e-3
    np.testing.assert_allclose(mom.nacov, _matrix(ss["gamma"]), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(mom.wls_weight_diag, ss["wls_vd"], rtol=1e-6)


def test_unobserved_codes_are_dropped(sparse):
    ref, _, mom = sparse
    # s5 has codes 1, 2, 4, 5, 6 (nobody chose 3) and s3 has 1-5 and 7: lavaan keeps observed ones
    assert mom.categories["s5"] == (1, 2, 4, 5, 6)
    assert mom.categories["s3"] == (1, 2, 3, 4, 5, 7)
    s5 = mom.thresholds[mom.thresholds["item"] == "s5"]
    assert s5["threshold"].tolist() == ["t1", "t2", "t3", "t4"]
    assert s5[["code_below", "code_above"]].to_numpy().tolist() == [[1, 2], [2, 4], [4, 5], [5, 6]]
    assert sum(n.startswith("s5|") for n in ref["sampstat"]["thresholds"]["names"]) == 4


def test_two_by_two_zero_cell_rule(sparse):
    _, _, mom = sparse
    pair = mom.pairs[(mom.pairs["item_a"] == "b1") & (mom.pairs["item_b"] == "b2")].iloc[0]
    assert pair["empty_cells"] == 1
    # lavaan 0.6.14 moves 0.5 into the empty cell (zero.add = c(0.5, 0), margins kept): 0.862937
    assert pair["estimate"] == pytest.approx(0.862936550640326, abs=1e-6)
    # without that rule the ML estimate of the raw table runs to the bound 0.999
    raw = ordinal_module._fit_rho(
        np.array([[[85.0, 43.0], [0.0, 22.0]]]),
        np.array([[-np.inf, mom.threshold_vector[-2], np.inf]]),
        np.array([[-np.inf, mom.threshold_vector[-1], np.inf]]),
        np.array([0.5]),
    )[0]
    assert raw[0] > 0.99


EDGE = json.loads((FIX / "tetrachoric_edge_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", ["both_thresholds_zero", "no_empty_cell", "independent", "empty_diagonal_cell"])
def test_binary_pairs_match_lavaan(case):
    d = pd.DataFrame({"a": EDGE[case]["a"], "b": EDGE[case]["b"]})
    assert polychoric(d).loc["b", "a"] == pytest.approx(EDGE[case]["rho"], abs=1e-6)  # achieved 2e-8


def test_empty_cells_in_larger_tables_are_counted(sparse):
    _, data, mom = sparse
    pair = mom.pairs[(mom.pairs["item_a"] == "s1") & (mom.pairs["item_b"] == "s3")].iloc[0]
    table = pd.crosstab(data["s1"], data["s3"])  # 7 x 6 table of observed codes
    assert pair["empty_cells"] == int((table.to_numpy() == 0).sum()) == 19
    assert list(mom.pairs.columns) == ["item_a", "item_b", "estimate", "se", "empty_cells"]


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


def test_item_order_permutes_results(hs):
    _, data, mom = hs
    order = ["x3", "x1", "x9", "x2"]
    sub = ordinal_moments(data, items=order)
    np.testing.assert_allclose(sub.corr.to_numpy(), mom.corr.loc[order, order].to_numpy(), atol=1e-10)
    idx = {lab: i for i, lab in enumerate(mom.labels)}

    def full_label(lab):
        if "~~" in lab:
            a, b = lab.split("~~")
            return f"{a}~~{b}" if f"{a}~~{b}" in idx else f"{b}~~{a}"
        return lab

    pick = [idx[full_label(lab)] for lab in sub.labels]
    np.testing.assert_allclose(sub.nacov, mom.nacov[np.ix_(pick, pick)], rtol=1e-8, atol=1e-10)


def test_floats_and_codes_beyond_scale_are_fine():
    d = pd.DataFrame({"a": [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 1.0, 2.0], "b": [10, 10, 20, 30, 20, 30, 20, 20]})
    # codes are only labels of ordered categories; 10/20/30 give the same as 1/2/3
    r1 = polychoric(d).loc["a", "b"]
    r2 = polychoric(d.assign(b=d["b"] // 10)).loc["a", "b"]
    assert r1 == pytest.approx(r2, abs=1e-14)
    assert r1 == pytest.approx(0.825, abs=5e-4)  # lavCor: 0.825


def test_blocks_of_tables_give_the_same_answer(sparse, monkeypatch):
    _, data, mom = sparse
    calls = []
    block = ordinal_module._cell_terms_block

    def spy(*args):
        calls.append(args[0].shape[0])
        return block(*args)

    monkeypatch.setattr(ordinal_module, "_cell_terms_block", spy)
    rng = np.random.default_rng(3)
    likert = data[["s1", "s2", "s3", "s4", "s5"]]
    copies = [likert.add_suffix("_0")] + [
        likert.iloc[rng.permutation(len(likert))].reset_index(drop=True).add_suffix(f"_{c}") for c in range(1, 6)
    ]
    big = pd.concat([copies[0].reset_index(drop=True)] + copies[1:], axis=1)  # 30 items, 435 pairs of 7x7 tables
    again = ordinal_moments(big)
    assert max(calls) == 20000 // 64 and len(calls) > 4  # worked through in blocks
    np.testing.assert_allclose(again.corr.to_numpy()[:5, :5], mom.corr.to_numpy()[:5, :5], atol=1e-12)
    np.testing.assert_allclose(again.nacov[:27, :27], mom.nacov[:27, :27], atol=1e-10)  # s1..s5 thresholds


def test_speed_48_items_600_respondents():
    rng = np.random.default_rng(7)
    n, p = 600, 48
    f = rng.normal(size=(n, 6))
    y = np.column_stack([0.7 * f[:, j // 8] + np.sqrt(0.51) * rng.normal(size=n) for j in range(p)])
    codes = np.digitize(y, [-1.8, -1.0, -0.4, 0.2, 0.9, 1.6]) + 1
    df = pd.DataFrame(codes, columns=[f"q{j}" for j in range(p)])
    t0 = time.perf_counter()
    mom = ordinal_moments(df)
    seconds = time.perf_counter() - t0
    assert seconds < 5.0  # about 0.4 s on 2 busy cores; the brief asks for well under 2 s
    assert mom.nacov.shape == (48 * 6 + 1128,) * 2
    # (Gamma is a sum of n = 600 outer products, so of rank <= 600 < 1416: PSD, not PD)
    assert (np.diag(mom.nacov) > 0).all() and np.array_equal(mom.nacov, mom.nacov.T)
    within = mom.corr.to_numpy()[:8, :8][np.triu_indices(8, 1)]
    assert 0.35 < within.mean() < 0.6  # true polychoric 0.49


def test_summary_and_to_dict(hs):
    _, _, mom = hs
    s = mom.summary()
    assert list(s.columns) == ["statistic", "kind", "estimate", "se", "wls_weight"]
    assert s["kind"].value_counts().to_dict() == {"threshold": 36, "polychoric": 36}
    d = mom.to_dict()
    json.dumps(d)
    assert d["n"] == 301 and d["categories"]["x1"] == [1, 2, 3, 4, 5] and d["warnings"] == []


def test_docstring_examples_run():
    result = doctest.testmod(ordinal_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5
    assert result.failed == 0


# ---------------------------------------------------------------------------------------------
# Warnings
# ---------------------------------------------------------------------------------------------

# n = 10 random answers whose pairwise polychoric matrix is not positive definite
NON_PD = pd.DataFrame(
    {
        "p": [3, 1, 2, 3, 1, 3, 3, 2, 2, 3],
        "q": [2, 1, 3, 2, 3, 2, 1, 1, 1, 2],
        "r": [2, 1, 2, 2, 3, 1, 1, 1, 1, 2],
        "s": [1, 1, 2, 2, 1, 3, 3, 2, 1, 1],
        "t": [1, 3, 3, 3, 2, 3, 1, 2, 1, 2],
    }
)


def test_non_positive_definite_warns_and_is_not_smoothed():
    with pytest.warns(OrdinalWarning) as rec:
        mom = ordinal_moments(NON_PD)
    msgs = [str(w.message) for w in rec]
    pd_msg = [m for m in msgs if "not positive definite" in m]
    assert pd_msg == [
        (
            "the polychoric correlation matrix of p, q, r, s, t is not positive definite (smallest "
            "eigenvalue -0.1461); it was left as estimated (not smoothed). DWLS can still fit a model "
            "to it, but check sparse items and near-redundant pairs"
        )
    ]
    assert (
        "items q and r: polychoric correlation 0.9990 is (nearly) +1; the two items may be "
        "redundant or their table too sparse" in msgs
    )
    assert list(mom.warnings) == msgs
    assert np.linalg.eigvalsh(mom.corr.to_numpy())[0] < -0.1  # left as estimated
    assert mom.corr.loc["q", "r"] == pytest.approx(0.999, abs=1e-9)  # lavaan's upper bound
    with pytest.warns(OrdinalWarning) as rec:
        polychoric(NON_PD)
    assert [str(w.message) for w in rec] == msgs


def test_two_empty_cells_in_2x2_gives_one_and_refuses_gamma():
    d = pd.DataFrame({"a": [1, 1, 1, 2, 2, 2, 1, 2], "b": [1, 1, 1, 2, 2, 2, 1, 2], "c": [1, 2, 3, 3, 2, 1, 2, 3]})
    with pytest.warns(OrdinalWarning) as rec:
        r = polychoric(d)
    assert r.loc["a", "b"] == 1.0
    assert (
        "items a and b: their 2x2 table has two empty cells, so the polychoric (tetrachoric) "
        "correlation is set to +1, as lavaan does" in [str(w.message) for w in rec]
    )
    with pytest.warns(OrdinalWarning), pytest.raises(InputError) as info:
        ordinal_moments(d)
    assert str(info.value) == (
        "the sampling variance of a polychoric correlation of exactly +1 or -1 cannot be computed, "
        "so WLSMV cannot use these items (lavaan stops here too); drop one item of each pair or merge "
        "sparse answer categories\n"
        "  - items a and b: their 2x2 table has two empty cells (correlation +1)"
    )
    with pytest.warns(OrdinalWarning) as rec:
        assert polychoric(d.assign(b=3 - d["b"])).loc["a", "b"] == -1.0
    assert "correlation is set to -1, as lavaan does" in str(rec[0].message)


def test_listwise_drops_and_warns(hs):
    _, data, _ = hs
    d = data.copy().astype(float)
    d.loc[[3, 10], "x2"] = np.nan
    with pytest.warns(OrdinalWarning) as rec:
        m = ordinal_moments(d, missing="listwise")
    assert str(rec[0].message) == "2 respondent(s) with missing answers left out: rows 3, 10"
    assert m.n == 299 and m.dropped_rows == (3, 10)
    direct = ordinal_moments(data.drop(index=[3, 10]))
    np.testing.assert_allclose(m.nacov, direct.nacov, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Errors a user can meet
# ---------------------------------------------------------------------------------------------


def _error(df, **kw):
    with pytest.raises(InputError) as info:
        ordinal_moments(df, **kw)
    return str(info.value)


def test_single_category_item():
    d = pd.DataFrame({"PID1": [1, 2, 3, 4], "PID3": [7, 7, 7, 7]})
    assert _error(d) == (
        "item PID3 has a single answer category (all answers are 7); polychoric correlations need at least 2"
    )
    d["PID4"] = 2
    assert _error(d) == (
        "2 items have a single answer category; polychoric correlations need at least 2\n"
        "  - item PID3 has a single answer category (all answers are 7); polychoric correlations need at least 2\n"
        "  - item PID4 has a single answer category (all answers are 2); polychoric correlations need at least 2"
    )


def test_missing_answers_are_named():
    d = pd.DataFrame({"a": [1, 2, np.nan, 3, 1, 2], "b": [1, 2, 2, 3, np.nan, np.nan]}, index=[11, 12, 13, 14, 15, 16])
    assert _error(d) == (
        "polychoric correlations (WLSMV) need complete answers; drop or impute the respondents with "
        "missing answers first, or use missing='listwise'\n"
        "  - column a: 1 missing answer(s), rows 13\n"
        "  - column b: 2 missing answer(s), rows 15, 16"
    )


def test_bad_codes_are_named():
    d = pd.DataFrame({"a": [1, 2, 3], "b": [1, 2.5, 3], "c": ["1", "x", "2"]})
    assert _error(d) == (
        "ordinal items must hold whole-number answer codes\n"
        "  - column b, row 1: 2.5 is not a whole-number answer code\n"
        "  - column c, row 1: 'x' is not a numeric answer code"
    )
    d = pd.DataFrame({"a": [1, 2, 3], "b": ["y", "x", "2"]})
    assert _error(d) == (
        "ordinal items must hold whole-number answer codes\n"
        "  - column b, row 0: 'y' is not a numeric answer code (2 such cells)"
    )
    d = pd.DataFrame({"a": [1, 2, 3], "b": [1, np.inf, 2]})
    assert (
        _error(d) == "ordinal items must hold whole-number answer codes\n  - column b, row 1: inf is not an answer code"
    )


def test_unknown_and_duplicate_items_and_options():
    d = pd.DataFrame({"a": [1, 2, 3], "b": [1, 2, 2]})
    assert _error(d, items=["a", "z"]) == "item column(s) z not found in the data; the columns are a, b"
    assert _error(d, items=["a", "a"]) == "item(s) a listed more than once"
    assert _error(d, items=[]) == "no items given: polychoric correlations need at least 2 ordinal items"
    assert _error(d, missing="ml") == "missing='ml' is not an option; expected 'error', 'listwise' or 'pairwise'"
    assert _error(d.iloc[:1]) == "polychoric correlations need at least 2 complete respondents; found 1"
    wide = pd.DataFrame({"a": np.arange(30) % 5, "age": np.arange(18, 48)})
    assert _error(wide) == (
        "ordinal items are rating scales with at most 20 answer categories; treat these columns as "
        "continuous or recode them\n  - item age has 30 different answer codes"
    )
    with pytest.raises(InputError) as info:
        ordinal_moments(d.to_numpy())
    assert str(info.value) == "ordinal items must come as a pandas DataFrame of answer codes, got ndarray"


# ---------------------------------------------------------------------------------------------
# DWLS objective, robust SEs and the scaled-shifted test, against lavaan's own CFA fit
# ---------------------------------------------------------------------------------------------

FACTORS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
ITEMS = [f"x{i}" for i in range(1, 10)]


def _free_names(ref):
    return ref["delta"]["names"]


def _implied(theta, names):
    """Tiny CFA (delta parameterisation): thresholds, vech(Lambda Phi Lambda') off the diagonal."""
    val = dict(zip(names, theta))
    lam = np.zeros((9, 3))
    for f, (fac, items) in enumerate(FACTORS.items()):
        for item in items:
            lam[ITEMS.index(item), f] = val.get(f"{fac}=~{item}", 1.0)  # marker loadings fixed at 1
    facs = list(FACTORS)
    phi = np.empty((3, 3))
    for a in range(3):
        for b in range(3):
            key = f"{facs[a]}~~{facs[b]}"
            phi[a, b] = val[key] if key in val else val[f"{facs[b]}~~{facs[a]}"]
    sigma = lam @ phi @ lam.T
    th = [val[n] for n in names if "|" in n]
    cols, rows = np.triu_indices(9, 1)
    return np.concatenate([th, sigma[rows, cols]])


def _estimates(ref):
    pe = pd.DataFrame(ref["parameters"])
    est = dict(zip(pe["lhs"] + pe["op"] + pe["rhs"], pe["est"]))
    se = dict(zip(pe["lhs"] + pe["op"] + pe["rhs"], pe["se"]))
    names = _free_names(ref)
    return names, np.array([est[n] for n in names]), np.array([se[n] for n in names])


def _jacobian(theta, names, h=1e-6):
    cols = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        cols.append((_implied(theta + e, names) - _implied(theta - e, names)) / (2 * h))
    return np.column_stack(cols)


def test_tiny_cfa_reproduces_lavaan_implied_moments_and_delta(hs):
    ref, _, _ = hs
    names, theta, _ = _estimates(ref)
    np.testing.assert_allclose(_implied(theta, names), ref["wls_est"]["values"], atol=1e-8)
    np.testing.assert_allclose(_jacobian(theta, names), _matrix(ref["delta"]), atol=1e-7)


def test_dwls_fit_function_and_gradient(hs):
    ref, _, mom = hs
    names, theta, _ = _estimates(ref)
    implied = _implied(theta, names)
    f, grad = dwls_fit_function(mom.wls_obs, implied, mom.wls_weight_diag, mom.n, _jacobian(theta, names))
    assert 2 * mom.n * f == pytest.approx(ref["fit"]["chisq"], rel=1e-6)  # 56.7788; achieved 1e-9
    # lavaan's estimates are a minimum: the gradient vanishes (scale: |d f / d theta| ~ 0.1 at theta + 0.05)
    assert np.abs(grad).max() < 1e-6
    _, away = dwls_fit_function(
        mom.wls_obs, _implied(theta + 0.05, names), mom.wls_weight_diag, mom.n, _jacobian(theta + 0.05, names)
    )
    assert np.abs(away).max() > 1e-3
    # the analytic gradient is the derivative of f (central differences, away from the minimum)
    t_away = theta + 0.02
    _, g_away = dwls_fit_function(
        mom.wls_obs, _implied(t_away, names), mom.wls_weight_diag, mom.n, _jacobian(t_away, names)
    )
    fd = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = 1e-5
        fp, _ = dwls_fit_function(mom.wls_obs, _implied(t_away + e, names), mom.wls_weight_diag, mom.n)
        fm, _ = dwls_fit_function(mom.wls_obs, _implied(t_away - e, names), mom.wls_weight_diag, mom.n)
        fd.append((fp - fm) / 2e-5)
    np.testing.assert_allclose(g_away, fd, rtol=1e-5, atol=1e-9)
    with pytest.raises(ValueError, match="must be vectors of one length"):
        dwls_fit_function(mom.wls_obs, implied[:-1], mom.wls_weight_diag, mom.n)


def test_robust_standard_errors_match_lavaan(hs):
    ref, _, mom = hs
    names, theta, se = _estimates(ref)
    vcov = dwls_robust_vcov(_jacobian(theta, names), mom.wls_weight_diag, mom.nacov, mom.n)
    np.testing.assert_allclose(np.sqrt(np.diag(vcov)), se, rtol=1e-5)  # achieved 1e-8


def test_scaled_shifted_test_matches_lavaan(hs):
    ref, _, mom = hs
    names, theta, _ = _estimates(ref)
    lav = ref["test"]["scaled.shifted"]
    # (a) lavaan's own Delta, W and Gamma
    ss = ref["sampstat"]
    t_ref = scaled_shifted_test(
        ref["fit"]["chisq"], _matrix(ref["delta"]), np.array(ss["wls_vd"]), _matrix(ss["gamma"]), 24
    )
    assert t_ref.stat == pytest.approx(lav["stat"], rel=1e-9)
    # (b) everything computed here: our moments, our Gamma, our Jacobian of the tiny CFA
    f, _ = dwls_fit_function(mom.wls_obs, _implied(theta, names), mom.wls_weight_diag, mom.n)
    t = scaled_shifted_test(2 * mom.n * f, _jacobian(theta, names), mom.wls_weight_diag, mom.nacov, 24)
    assert t.stat == pytest.approx(83.3852783446002, rel=1e-6)  # lavaan chisq.scaled
    assert t.scaling_factor == pytest.approx(lav["scaling.factor"], rel=1e-6)
    assert t.shift_parameter == pytest.approx(lav["shift.parameter"], rel=1e-6)
    assert t.trace_ugamma == pytest.approx(lav["trace.UGamma"], rel=1e-6)
    assert t.trace_ugamma2 == pytest.approx(lav["trace.UGamma2"], rel=1e-6)
    assert t.pvalue == pytest.approx(lav["pvalue"], rel=1e-4)
    assert t.df == 24 and t.stat_unscaled == pytest.approx(ref["fit"]["chisq"], rel=1e-6)
    with pytest.raises(ValueError, match="do not fit together"):
        scaled_shifted_test(56.8, _matrix(ref["delta"])[:-1], mom.wls_weight_diag, mom.nacov, 24)


def test_baseline_and_fit_indices_match_lavaan(hs):
    ref, _, mom = hs
    names, theta, _ = _estimates(ref)
    base = baseline_test(mom)
    fit = ref["fit"]
    assert base.stat_unscaled == pytest.approx(fit["baseline_chisq"], rel=1e-6)  # achieved 2e-8
    assert base.stat == pytest.approx(fit["baseline_chisq_scaled"], rel=1e-6)
    assert base.df == fit["baseline_df"] == 36
    f, _ = dwls_fit_function(mom.wls_obs, _implied(theta, names), mom.wls_weight_diag, mom.n)
    model = scaled_shifted_test(2 * mom.n * f, _jacobian(theta, names), mom.wls_weight_diag, mom.nacov, 24)
    got = wlsmv_fit_indices(model, base, mom.n)
    for key in [
        "chisq",
        "df",
        "pvalue",
        "chisq_scaled",
        "pvalue_scaled",
        "chisq_scaling_factor",
        "baseline_chisq",
        "baseline_chisq_scaled",
        "cfi",
        "tli",
        "rmsea",
        "cfi_scaled",
        "tli_scaled",
        "rmsea_scaled",
    ]:
        assert got[key] == pytest.approx(fit[key], rel=1e-5), key
    assert got["chisq_shift_parameter"] == pytest.approx(ref["test"]["scaled.shifted"]["shift.parameter"], rel=1e-6)
    # a model that fits perfectly: CFI 1, RMSEA 0
    perfect = wlsmv_fit_indices(model.__class__(**{**model.__dict__, "stat": 10.0, "stat_unscaled": 10.0}), base, mom.n)
    assert perfect["cfi"] == 1.0 and perfect["rmsea"] == 0.0 and perfect["cfi_scaled"] == 1.0
