"""validate.measurement.descriptives against psych 2.2.9 (tests/fixtures/psych/psych_reference.json)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_ref

from validate.measurement.descriptives import (
    ItemDataError,
    MissingItemError,
    NonNumericItemError,
    TooFewItemsError,
    ZeroVarianceError,
    item_descriptives,
    mardia,
)

FIX = Path(__file__).parent / "fixtures"
REF = json.loads((FIX / "psych" / "psych_reference.json").read_text())
HS = pd.read_csv(FIX / "data" / "holzinger_swineford_1939.csv")
ITEMS = [f"x{i}" for i in range(1, 10)]


def with_holes() -> pd.DataFrame:
    """The missing-value pattern make_reference.R punches (1-based row numbers)."""
    x = HS[ITEMS].copy()
    for item, rows in REF["missing_pattern"].items():
        x.loc[np.asarray(rows) - 1, item] = np.nan
    return x


# Achieved: 3.5e-14 against psych 2.2.9 (closed forms on the same data).
TOL = 1e-10


def assert_close(got, ref, rel=TOL):
    assert_ref(got, ref, rel)


DESC_COLUMNS = [
    "item",
    "n",
    "n_missing",
    "mean",
    "sd",
    "min",
    "max",
    "skewness",
    "kurtosis",
    "floor_pct",
    "ceiling_pct",
    "warnings",
]


@pytest.mark.parametrize("key, missing", [("describe", False), ("describe_missing", True)])
def test_item_descriptives_match_psych_describe(key, missing):
    data = with_holes() if missing else HS
    out = item_descriptives(data, ITEMS)
    ref = REF[key]
    assert list(out["item"]) == ref["item"]
    assert list(out["n"]) == ref["n"]
    for col, rcol in [("mean", "mean"), ("sd", "sd"), ("skewness", "skew"), ("kurtosis", "kurtosis")]:
        assert_close(out[col], ref[rcol])


@pytest.mark.parametrize("skew_type", [1, 2])
def test_other_skew_types_match_psych(skew_type):
    out = item_descriptives(HS, ITEMS, skew_type=skew_type)
    assert_close(out["skewness"], REF[f"describe_type{skew_type}"]["skew"])
    assert_close(out["kurtosis"], REF[f"describe_type{skew_type}"]["kurtosis"])


def test_floor_ceiling_and_fixed_columns():
    df = pd.DataFrame({"a": [1, 1, 2, 5, 5, 5, np.nan, 3], "b": [2, 3, 3, 4, 4, 2, 3, 3]})
    out = item_descriptives(df, scale_min=1, scale_max=5)
    assert list(out.columns) == DESC_COLUMNS
    a = out.set_index("item").loc["a"]
    assert a["n"] == 7 and a["n_missing"] == 1
    assert a["floor_pct"] == pytest.approx(100 * 2 / 7)
    assert a["ceiling_pct"] == pytest.approx(100 * 3 / 7)
    assert out.set_index("item").loc["b", "floor_pct"] == 0.0
    no_bounds = item_descriptives(df)
    assert list(no_bounds.columns) == DESC_COLUMNS
    assert no_bounds["floor_pct"].isna().all()
    assert "floor_pct needs scale_min" in no_bounds.loc[0, "warnings"]


def test_zero_variance_item_gives_nan_with_reason():
    df = pd.DataFrame({"PID1": [1, 2, 3, 4], "PID2": [4, 4, 4, 4]})
    out = item_descriptives(df).set_index("item")
    assert np.isnan(out.loc["PID2", "skewness"]) and np.isnan(out.loc["PID2", "kurtosis"])
    assert "item PID2 has zero variance (all answers are 4)" in out.loc["PID2", "warnings"]
    assert np.isfinite(out.loc["PID1", "skewness"])


def test_value_outside_scale_is_rejected():
    df = pd.DataFrame({"PID1": [1, 2, 7]})
    with pytest.raises(ItemDataError, match="item PID1 has the value 7, above scale_max = 5"):
        item_descriptives(df, scale_min=1, scale_max=5)
    with pytest.raises(ValueError, match=r"scale_min \(5\) must be smaller than scale_max \(1\)"):
        item_descriptives(df, scale_min=5, scale_max=1)


def test_bad_columns_named_in_message():
    df = pd.DataFrame({"PID1": [1, 2, 3], "PID2": ["a", "b", "c"], "PID3": [np.nan] * 3})
    with pytest.raises(NonNumericItemError, match="item PID2 is not numeric .*value 'a'"):
        item_descriptives(df, ["PID1", "PID2"])
    with pytest.raises(ItemDataError, match=r"item PID3 has no observed values \(all missing\)"):
        item_descriptives(df, ["PID1", "PID3"])
    with pytest.raises(MissingItemError, match="item\\(s\\) PID9 not found in the data"):
        item_descriptives(df, ["PID9"])
    # numbers stored as text are accepted
    text = pd.DataFrame({"q": ["1", "2", "4"]})
    assert item_descriptives(text)["mean"].iloc[0] == pytest.approx(7 / 3)


@pytest.mark.parametrize(
    "key, cols, missing",
    [("mardia", ITEMS, False), ("mardia_visual", ["x1", "x2", "x3"], False), ("mardia_missing", ITEMS, True)],
)
def test_mardia_matches_psych(key, cols, missing):
    data = with_holes() if missing else HS
    out = mardia(data, cols).set_index("test")
    ref = REF[key]
    assert out.loc["skewness", "n_obs"] == ref["n_obs"] and out.loc["kurtosis", "n_vars"] == ref["n_var"]
    assert_close(out.loc["skewness", "estimate"], ref["b1p"])
    assert_close(out.loc["kurtosis", "estimate"], ref["b2p"])
    assert_close(out.loc["skewness", "statistic"], ref["skew"])
    assert_close(out.loc["skewness_small_sample", "statistic"], ref["small_skew"])
    assert_close(out.loc["kurtosis", "statistic"], ref["kurtosis"])
    # p-values: relative agreement (they can be ~1e-14)
    for row, rkey in [("skewness", "p_skew"), ("skewness_small_sample", "p_small"), ("kurtosis", "p_kurt")]:
        assert out.loc[row, "p_value"] == pytest.approx(ref[rkey], rel=1e-6)
    assert out.loc["skewness", "df"] == len(cols) * (len(cols) + 1) * (len(cols) + 2) / 6
    if missing:
        assert "rows with missing values dropped" in out.loc["skewness", "warnings"]


def test_mardia_bad_input():
    with pytest.raises(TooFewItemsError, match="Mardia's test needs at least 2 items, got 1"):
        mardia(HS, ["x1"])
    df = pd.DataFrame({"A1": [1.0, 2, 3, 4, 5], "A2": [3.0] * 5, "A3": [2.0, 1, 4, 3, 5]})
    with pytest.raises(ZeroVarianceError, match=r"item A2 has zero variance \(all answers are 3\)"):
        mardia(df)
    dup = pd.DataFrame({"A1": [1.0, 2, 3, 4, 5, 2], "A2": [2.0, 4, 6, 8, 10, 4]})
    with pytest.raises(ItemDataError, match="singular"):
        mardia(dup)


@pytest.mark.parametrize("n, p, block", [(50, 3, 7), (400, 9, 64), (257, 28, 100), (30, 2, 1000)])
def test_mardia_sums_blockwise_equal_the_direct_form(n, p, block):
    # The tensor form is an exact identity; the two sides differ only by rounding
    # (observed ~1e-14 relative), so 1e-10 is a safe margin.
    from validate.measurement.descriptives import mardia_sums

    rng = np.random.default_rng(n + p)
    x = rng.gamma(2.0, size=(n, p)) @ rng.normal(size=(p, p))  # skewed, correlated
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / (n - 1)
    d = xc @ np.linalg.solve(s, xc.T)
    cubes, sq = mardia_sums(xc, s, block_rows=block)
    assert cubes == pytest.approx(np.sum(d**3), rel=1e-10)
    assert sq == pytest.approx(np.sum(np.diag(d) ** 2), rel=1e-10)
