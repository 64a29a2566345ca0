"""validate.measurement.validity against semTools::htmt 0.5.6 and psych 2.2.9."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from validate.measurement.descriptives import (
    ItemDataError,
    NonNumericItemError,
    TooFewItemsError,
    ZeroVarianceError,
)
from validate.measurement.reliability import reliability_from_cfa
from validate.measurement.validity import (
    convergent_validity,
    cross_loadings,
    fornell_larcker,
    harman_single_factor,
    htmt,
    htmt_matrix,
)

FIX = Path(__file__).parent / "fixtures"
REF = json.loads((FIX / "psych" / "psych_reference.json").read_text())
LAV = json.loads((FIX / "lavaan" / "holzinger_cfa_ml.json").read_text())
HS = pd.read_csv(FIX / "data" / "holzinger_swineford_1939.csv")
ITEMS = [f"x{i}" for i in range(1, 10)]
SCALES = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


def with_holes() -> pd.DataFrame:
    x = HS[ITEMS].copy()
    for item, rows in REF["missing_pattern"].items():
        x.loc[np.asarray(rows) - 1, item] = np.nan
    return x


def matrix(records):
    return pd.DataFrame(records).set_index("_row")


def assert_close(got, ref, rel=1e-3):
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    assert np.all(np.abs(got - ref) <= rel * np.maximum(1.0, np.abs(ref))), np.max(np.abs(got - ref))


HTMT_COLUMNS = ["construct_a", "construct_b", "estimate", "mean", "below_085", "below_090", "n_obs", "warnings"]


@pytest.mark.parametrize(
    "key, kwargs, missing",
    [
        ("htmt2", {}, False),
        ("htmt", {"mean": "arithmetic"}, False),
        ("htmt_signed", {"mean": "arithmetic", "absolute": False}, False),
        ("htmt2_missing", {}, True),
    ],
)
def test_htmt_matches_semtools(key, kwargs, missing):
    data = with_holes() if missing else HS
    out = htmt(data, SCALES, **kwargs)
    assert list(out.columns) == HTMT_COLUMNS
    assert len(out) == 3
    m = htmt_matrix(out)
    ref = matrix(REF["htmt"][key]).loc[m.index, m.columns]
    assert_close(m.to_numpy(), ref.to_numpy())
    assert out["below_085"].all()
    if missing:
        assert out.loc[0, "n_obs"] == len(data.dropna()) == 234
        assert "dropped (listwise)" in out.loc[0, "warnings"]


def test_htmt_default_matches_lavaan_fixture():
    m = htmt_matrix(htmt(HS, SCALES))
    ref = matrix(LAV["htmt"]).loc[m.index, m.columns]
    assert_close(m.to_numpy(), ref.to_numpy())


def test_htmt_thresholds_and_single_item_construct():
    df = HS[ITEMS].copy()
    df["x4b"] = df["x4"] + np.random.default_rng(0).normal(0, 0.05, len(df))
    out = htmt(df, {"a": ["x4", "x5"], "b": ["x4b", "x6"], "c": ["x7"]}, mean="arithmetic")
    ab = out.iloc[0]
    assert ab["estimate"] > 0.9 and not ab["below_090"] and not ab["below_085"]
    ac = out.iloc[1]
    assert np.isnan(ac["estimate"]) and "construct c has a single item" in ac["warnings"]
    assert not ac["below_085"]


def test_htmt_bad_input():
    with pytest.raises(TooFewItemsError, match="at least 2 constructs are needed, got 1"):
        htmt(HS, {"visual": SCALES["visual"]})
    with pytest.raises(ValueError, match="absolute=False is only possible with mean='arithmetic'"):
        htmt(HS, SCALES, absolute=False)
    df = HS[ITEMS].copy()
    df["x2"] = 4.0
    with pytest.raises(
        ZeroVarianceError, match=r"item x2 has zero variance \(all answers are 4\); HTMT for construct visual"
    ):
        htmt(df, SCALES)
    df = HS[ITEMS].copy()
    df["x8"] = "high"
    with pytest.raises(NonNumericItemError, match="item x8 of construct speed is not numeric"):
        htmt(df, SCALES)
    with pytest.raises(ItemDataError, match="item x1 is assigned to both construct visual and construct speed"):
        htmt(HS, {"visual": ["x1", "x2"], "speed": ["x1", "x8"]})


def test_fornell_larcker_from_cfa():
    c = REF["reliability_simple"]
    rel = reliability_from_cfa(matrix(c["lambda"]), matrix(c["theta"]), matrix(c["psi"]))
    ave = rel.set_index("construct")["ave"]
    phi = matrix(c["std_factor_cor"])
    out = fornell_larcker(ave, phi).set_index("construct")
    assert list(out.reset_index().columns) == [
        "construct",
        "ave",
        "sqrt_ave",
        "max_abs_corr",
        "max_corr_with",
        "passes",
        "warnings",
    ]
    for f in SCALES:
        assert_close(out.loc[f, "ave"], LAV["reliability"][f]["avevar"])
        others = phi.loc[f].drop(f).abs()
        assert_close(out.loc[f, "max_abs_corr"], others.max())
        assert out.loc[f, "max_corr_with"] == others.idxmax()
        assert out.loc[f, "passes"] == (np.sqrt(ave[f]) > others.max())
    # visual: sqrt(.371) = .609 > |r| with textual (.459) and speed (.471)
    assert out["passes"].all()


def test_fornell_larcker_bad_input():
    ave = pd.Series({"a": 0.6, "b": 0.5})
    with pytest.raises(ValueError, match="construct\\(s\\) b of ave are missing from factor_corr"):
        fornell_larcker(ave, pd.DataFrame([[1.0]], index=["a"], columns=["a"]))
    cov = pd.DataFrame([[2.0, 0.3], [0.3, 1.0]], index=["a", "b"], columns=["a", "b"])
    with pytest.raises(ValueError, match="diagonal of a is not 1"):
        fornell_larcker(ave, cov)
    nan = fornell_larcker(pd.Series({"a": np.nan, "b": 0.5}), cov / np.sqrt(np.outer([2, 1], [2, 1])))
    assert not nan.loc[0, "passes"] and "AVE of a is missing" in nan.loc[0, "warnings"]


def test_convergent_validity_markers():
    c = REF["reliability_simple"]
    rel = reliability_from_cfa(matrix(c["lambda"]), matrix(c["theta"]), matrix(c["psi"]))
    out = convergent_validity(rel).set_index("construct")
    assert list(out.loc["textual", ["ave_ok", "cr_ok"]]) == [True, True]  # .72, .89
    assert list(out.loc["visual", ["ave_ok", "cr_ok"]]) == [False, False]  # .37, .63


def test_cross_loadings_match_r():
    out = cross_loadings(HS, SCALES)
    assert list(out.columns) == [
        "item",
        "assigned_construct",
        "construct",
        "loading",
        "own",
        "highest_is_own",
        "n_obs",
        "warnings",
    ]
    m = out.pivot(index="item", columns="construct", values="loading")
    ref = matrix(REF["cross_loadings"])
    assert_close(m.loc[ref.index, ref.columns].to_numpy(), ref.to_numpy())
    assert out["highest_is_own"].all()
    assert out.loc[out["own"], "construct"].tolist() == out.loc[out["own"], "assigned_construct"].tolist()


def test_harman_single_factor_matches_psych():
    out = harman_single_factor(HS, ITEMS).set_index("method")
    h = REF["harman"]
    assert_close(out.loc["pca", "variance_explained"], h["pc_eigenvalues"][0])
    assert_close(out.loc["pca", "share"], h["pc_share"])
    assert_close(out.loc["minres_1factor", "share"], h["fa1_share"])
    assert not out["exceeds_threshold"].any()
    with pytest.raises(TooFewItemsError, match="Harman's single-factor test needs at least 3 items, got 2"):
        harman_single_factor(HS, ["x1", "x2"])


def test_htmt_bootstrap_intervals_within_monte_carlo_error_of_semtools():
    """Percentile intervals of HTMT2 from 2,000 resamples against a percentile bootstrap of semTools::htmt
    (htmt_bootstrap_reference.R, 2,000 other resamples): each bound differs by less than 4 combined Monte
    Carlo SDs, the SD of one run's quantile read off R's draws as half the distance between the
    quantiles at p -/+ sqrt(p(1-p)/B) (the order-statistic band)."""
    from validate.measurement.validity import htmt_bootstrap

    ref = json.loads((FIX / "lavaan" / "htmt_bootstrap_reference.json").read_text())
    hs = pd.read_csv(FIX / "data" / "holzinger_swineford_1939.csv")
    cons = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
    out = htmt_bootstrap(hs, cons, ref["B"], seed=20240601)
    assert [[r.construct_a, r.construct_b] for r in out.itertuples()] == ref["pairs"]
    for r, est, q in zip(out.itertuples(), ref["estimate"], ref["quantiles"]):
        assert abs(r.estimate - est) < 1e-12  # the point estimate is semTools' exactly
        for got, (lo, mid, hi) in ((r.ci_lower, q[0:3]), (r.ci_upper, q[3:6])):
            sd = (hi - lo) / 2
            assert abs(got - mid) < 4 * np.sqrt(2) * sd, (r.construct_a, r.construct_b, got, mid, sd)
        assert r.resamples == ref["B"] and r.upper_below_085


def test_htmt_bootstrap_uses_the_structural_resamples():
    """Resample b takes the rows resample_indices(seed, b, n) gives the indirect effects' bootstrap."""
    from validate.measurement.validity import _htmt_vector, htmt_bootstrap
    from validate.structural.bootstrap import resample_indices

    hs = pd.read_csv(FIX / "data" / "holzinger_swineford_1939.csv")
    cons = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]}
    one = htmt_bootstrap(hs, cons, 1, seed=7)
    x = hs[["x1", "x2", "x3", "x4", "x5", "x6"]].to_numpy(float)
    v = [
        _htmt_vector(x[resample_indices(7, b, len(hs))], [np.array([0, 1, 2]), np.array([3, 4, 5])], [(0, 1)])[0]
        for b in (0, 1)
    ]
    assert one.loc[0, "resamples"] == 1 and np.isnan(one.loc[0, "ci_lower"])  # one resample: no interval
    two = htmt_bootstrap(hs, cons, 2, seed=7)
    lo, hi = min(v), max(v)  # R's type-7 quantiles of two draws
    assert two.loc[0, "ci_lower"] == pytest.approx(lo + 0.025 * (hi - lo), abs=1e-14)
    assert two.loc[0, "ci_upper"] == pytest.approx(lo + 0.975 * (hi - lo), abs=1e-14)
