"""validate.measurement.reliability against psych::alpha 2.2.9 and semTools::reliability 0.5.6."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ref_error

from validate.measurement.descriptives import (
    ItemDataError,
    NonNumericItemError,
    TooFewItemsError,
    ZeroVarianceError,
)
from validate.measurement.reliability import (
    CFAInputError,
    average_variance_extracted,
    composite_reliability,
    cronbach_alpha,
    item_total,
    reliability_from_cfa,
    sample_covariance,
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


# Achieved: 2.7e-15 against psych::alpha and semTools::reliability (closed forms on the same data).
TOL = 1e-10


def close(got, ref, rel=TOL):
    return ref_error(got, ref) <= rel


def matrix(records):
    return pd.DataFrame(records).set_index("_row")


# ---------------------------------------------------------------- psych::alpha
@pytest.mark.parametrize("key, missing", [("alpha", False), ("alpha_missing", True)])
def test_alpha_and_item_total_match_psych(key, missing):
    data = with_holes() if missing else HS
    a = cronbach_alpha(data, SCALES).set_index("construct")
    it = item_total(data, SCALES).set_index("item")
    for name, items in SCALES.items():
        ref = REF[key][name]
        assert close(a.loc[name, "raw_alpha"], ref["raw_alpha"])
        assert close(a.loc[name, "std_alpha"], ref["std_alpha"])
        for i in items:
            assert close(it.loc[i, "r_drop"], ref["r_drop"][i])
            assert close(it.loc[i, "alpha_if_deleted"], ref["alpha_if_deleted"][i])
    if missing:
        assert "pairwise" in a.loc["visual", "warnings"]


def test_alpha_matches_lavaan_fixture_psych_block():
    a = cronbach_alpha(HS, SCALES).set_index("construct")
    it = item_total(HS, SCALES).set_index("item")
    for name, ref in LAV["alpha_psych"].items():
        assert close(a.loc[name, "raw_alpha"], ref["raw_alpha"])
        assert close(a.loc[name, "std_alpha"], ref["std_alpha"])
        for i, v in ref["r_drop"].items():
            assert close(it.loc[i, "r_drop"], v)
            assert close(it.loc[i, "alpha_if_deleted"], ref["alpha_if_deleted"][i])


def test_alpha_all_nine_items_as_list():
    ref = REF["alpha_all9"]
    a = cronbach_alpha(HS, ITEMS)
    assert list(a.columns) == ["construct", "n_items", "n_obs", "raw_alpha", "std_alpha", "average_r", "warnings"]
    assert a.loc[0, "construct"] == "scale" and a.loc[0, "n_items"] == 9
    assert close(a.loc[0, "raw_alpha"], ref["raw_alpha"]) and close(a.loc[0, "std_alpha"], ref["std_alpha"])
    it = item_total(HS[ITEMS]).set_index("item")
    for i in ITEMS:
        assert close(it.loc[i, "r_drop"], ref["r_drop"][i])
        assert close(it.loc[i, "alpha_if_deleted"], ref["alpha_if_deleted"][i])


def test_two_item_scale_alpha_if_deleted_is_nan_with_reason():
    it = item_total(HS, {"pair": ["x4", "x5"]})
    assert it["alpha_if_deleted"].isna().all()
    assert "construct pair has 2 items" in it.loc[0, "warnings"]
    assert close(it.loc[0, "r_drop"], HS["x4"].corr(HS["x5"]))


def test_negative_alpha_is_flagged():
    df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [5, 4, 3, 2, 1], "c": [1, 2, 3, 5, 4]})
    a = cronbach_alpha(df)
    assert a.loc[0, "raw_alpha"] < 0
    assert "reverse-keying" in a.loc[0, "warnings"]


def test_alpha_bad_input_messages():
    df = pd.DataFrame(
        {
            "PID1": [1, 2, 3, 5],
            "PID2": [4, 4, 4, 4],
            "PID3": [2, 3, 3, 4],
            "TXT": ["x", "y", "z", "w"],
            "GONE": [np.nan] * 4,
        }
    )
    with pytest.raises(
        ZeroVarianceError,
        match=r"item PID2 has zero variance \(all answers are 4\); alpha for construct PID cannot be computed",
    ):
        cronbach_alpha(df, {"PID": ["PID1", "PID2", "PID3"]})
    with pytest.raises(TooFewItemsError, match="Cronbach's alpha of construct PID needs at least 2 items, got 1"):
        cronbach_alpha(df, {"PID": ["PID1"]})
    with pytest.raises(NonNumericItemError, match="item TXT of construct PID is not numeric"):
        cronbach_alpha(df, {"PID": ["PID1", "TXT"]})
    with pytest.raises(ItemDataError, match=r"item GONE of construct PID has no observed values \(all missing\)"):
        item_total(df, {"PID": ["PID1", "PID3", "GONE"]})
    with pytest.raises(ItemDataError, match="constructs must be a non-empty dict"):
        cronbach_alpha(df, {})


# ---------------------------------------------------------------- semTools::reliability
def lavaan_estimates():
    """Lambda, Theta, Psi from the lavaan parameter table in holzinger_cfa_ml.json."""
    p = pd.DataFrame(LAV["parameters"])
    lam = {f: p[(p.op == "=~") & (p.lhs == f)].set_index("rhs")["est"] for f in SCALES}
    theta = pd.DataFrame(0.0, index=ITEMS, columns=ITEMS)
    psi = pd.DataFrame(0.0, index=list(SCALES), columns=list(SCALES))
    for _, r in p[p.op == "~~"].iterrows():
        m = theta if r.lhs in ITEMS else psi
        m.loc[r.lhs, r.rhs] = m.loc[r.rhs, r.lhs] = r.est
    return lam, theta, psi


def test_reliability_from_lavaan_fixture_parameters():
    lam, theta, psi = lavaan_estimates()
    out = reliability_from_cfa(lam, theta, psi, sample_covariance(HS, ITEMS)).set_index("construct")
    assert list(out.reset_index().columns) == [
        "construct",
        "n_items",
        "alpha",
        "omega",
        "omega2",
        "omega3",
        "ave",
        "warnings",
    ]
    for f, ref in LAV["reliability"].items():
        for col, rkey in [
            ("alpha", "alpha"),
            ("omega", "omega"),
            ("omega2", "omega2"),
            ("omega3", "omega3"),
            ("ave", "avevar"),
        ]:
            assert close(out.loc[f, col], ref[rkey]), (f, col)


@pytest.mark.parametrize("case", ["reliability_simple", "reliability_complex"])
def test_reliability_matches_semtools(case):
    c = REF[case]
    lam = matrix(c["lambda"])
    sample_cov = (
        pd.DataFrame(c["sample_cov"], index=c["sample_cov_rows"])
        if "_row" not in c["sample_cov"][0]
        else matrix(c["sample_cov"])
    )
    out = reliability_from_cfa(lam, matrix(c["theta"]), matrix(c["psi"]), sample_cov).set_index("construct")
    for f, ref in c["reliability"].items():
        for col, rkey in [
            ("alpha", "alpha"),
            ("omega", "omega"),
            ("omega2", "omega2"),
            ("omega3", "omega3"),
            ("ave", "avevar"),
        ]:
            if ref[rkey] is None:
                assert np.isnan(out.loc[f, col])
                assert "x9 also load(s) on another factor" in out.loc[f, "warnings"]
            else:
                assert close(out.loc[f, col], ref[rkey]), (case, f, col)
    if case == "reliability_complex":
        assert out.loc["visual", "n_items"] == 4


def test_scalar_helpers_match_semtools():
    lam, theta, psi = lavaan_estimates()
    ref = LAV["reliability"]["visual"]
    th = np.diag(theta.loc[SCALES["visual"], SCALES["visual"]])
    assert close(composite_reliability(lam["visual"], th, psi.loc["visual", "visual"]), ref["omega"])
    assert close(average_variance_extracted(lam["visual"], th, psi.loc["visual", "visual"]), ref["avevar"])
    # standardised loadings, factor variance 1: the textbook Fornell-Larcker formulas
    std = np.array([0.8, 0.7, 0.6])
    assert composite_reliability(std, 1 - std**2) == pytest.approx(
        std.sum() ** 2 / (std.sum() ** 2 + (1 - std**2).sum())
    )
    assert average_variance_extracted(std, 1 - std**2) == pytest.approx(np.mean(std**2))
    tm = np.diag(1 - std**2)
    tm[0, 1] = tm[1, 0] = 0.1
    assert composite_reliability(std, 1 - std**2, residual_covariances=tm) == pytest.approx(
        std.sum() ** 2 / (std.sum() ** 2 + (1 - std**2).sum() + 0.2)
    )


def test_reliability_without_sample_cov_and_bad_input():
    lam, theta, psi = lavaan_estimates()
    out = reliability_from_cfa(lam, pd.Series(np.diag(theta), index=ITEMS), psi)
    assert out["alpha"].isna().all() and out["omega3"].isna().all()
    assert "alpha and omega3 need sample_cov" in out.loc[0, "warnings"]
    assert close(out.set_index("construct").loc["speed", "omega"], LAV["reliability"]["speed"]["omega"])
    with pytest.raises(CFAInputError, match="psi has no row/column for speed"):
        reliability_from_cfa(lam, theta, psi.loc[["visual", "textual"], ["visual", "textual"]])
    with pytest.raises(CFAInputError, match="theta has no row/column for x9"):
        reliability_from_cfa(lam, theta.iloc[:8, :8], psi)
    with pytest.raises(CFAInputError, match="got 3 loadings but 2 residual variances"):
        composite_reliability([0.7, 0.7, 0.7], [0.5, 0.5])
    single = reliability_from_cfa(
        {"f": pd.Series({"x1": 1.0}), "g": lam["speed"]},
        theta,
        psi.rename(index={"visual": "f"}, columns={"visual": "f"}).rename(index={"speed": "g"}, columns={"speed": "g"}),
    )
    assert np.isnan(single.loc[0, "omega"]) and "factor f has 1 indicator" in single.loc[0, "warnings"]


def test_convergent_discriminant_summary_formulas_and_heywood():
    from validate.measurement.reliability import convergent_discriminant_summary

    std = pd.DataFrame(
        {"construct": ["A"] * 3 + ["B"] * 3, "item": list("abcdef"), "std": [0.7, 0.8, 0.6, 0.9, 1.02, 0.5]}
    )
    fc = pd.DataFrame([[1.0, 0.4], [0.4, 1.0]], index=["A", "B"], columns=["A", "B"])
    out = convergent_discriminant_summary(std, fc).set_index("construct")
    lam = np.array([0.7, 0.8, 0.6])
    assert close(out.loc["A", "cr_std"], lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum()))
    assert close(out.loc["A", "ave_std"], np.mean(lam**2))
    assert close(out.loc["A", "maxrh"], 1 / (1 + 1 / np.sum(lam**2 / (1 - lam**2))))
    assert close(out.loc["A", "msv"], 0.16) and close(out.loc["A", "asv"], 0.16)
    # a standardised loading above 1 leaves CR, AVE and H undefined, with the reason
    assert np.isnan(out.loc["B", "cr_std"]) and "Heywood" in out.loc["B", "warnings"]
