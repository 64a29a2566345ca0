"""Bad data, unidentified and inadmissible solutions: clear errors or flagged results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from validate.sem import ModelError, ModelSyntaxError, UnknownVariableError, fit_sem

FIX = Path(__file__).parent / "fixtures"
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(FIX / "data" / "holzinger_swineford_1939.csv")


def _exact_data(R, n=200, seed=1, cols=None):
    """Data whose sample covariance (divisor N) equals R exactly."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, len(R)))
    Z -= Z.mean(0)
    L = np.linalg.cholesky(Z.T @ Z / n)
    Z = Z @ np.linalg.inv(L).T
    Y = Z @ np.linalg.cholesky(R).T
    return pd.DataFrame(Y, columns=cols or [f"v{i + 1}" for i in range(len(R))])


def test_unknown_variable(hs):
    with pytest.raises(UnknownVariableError) as ei:
        fit_sem(HS.replace("x6", "x66"), hs)
    assert "x66" in str(ei.value) and ei.value.line == 2
    assert isinstance(ei.value, ModelError) and isinstance(ei.value, ModelSyntaxError)


def test_zero_variance_column(hs):
    d = hs.copy()
    d["x5"] = 3.0
    with pytest.raises(ModelError, match=r"zero variance.*x5"):
        fit_sem(HS, d)


def test_too_few_rows(hs):
    # fewer cases than free parameters: lavaan fits it, and so do we, with a warning
    res = fit_sem(HS, hs.head(8))
    assert any("only 8 cases for 13 free parameters" in w for w in res.warnings)
    with pytest.raises(ModelError, match="too few rows.*observed variables"):
        few = pd.concat([hs[hs.school == "Pasteur"].head(4), hs[hs.school == "Grant-White"]])
        fit_sem(HS, few, group="school")


def test_collinear_columns(hs):
    d = hs.copy()
    d["x3"] = d["x1"] + d["x2"]
    with pytest.raises(ModelError, match=r"not positive definite.*x1.*x2.*x3"):
        fit_sem(HS, d)


def test_non_numeric_column(hs):
    d = hs.copy()
    d["x2"] = d["x2"].astype(str)
    d.loc[3, "x2"] = "n/a?"
    with pytest.raises(ModelError, match="non-numeric.*x2"):
        fit_sem(HS, d)


def test_heywood_case_flagged():
    # one-factor model whose ML solution needs loading^2 = .8*.8/.3 > 1 for v1
    R = np.array([[1, 0.8, 0.8], [0.8, 1, 0.3], [0.8, 0.3, 1]])
    res = fit_sem("f =~ v1 + v2 + v3", _exact_data(R))
    assert res.converged and not res.admissible
    assert any("Heywood" in w and "'v1'" in w for w in res.warnings)
    v1 = res.params[(res.params.lhs == "v1") & (res.params.op == "~~")].iloc[0]
    assert v1["estimate"] < 0
    assert res.to_dict()["admissible"] is False


def test_non_convergence_reported(hs):
    res = fit_sem(HS, hs, max_iter=2)
    assert not res.converged and not res.admissible
    assert any("did not converge" in w for w in res.warnings)
    assert np.isnan(res.fit["chisq"])
    free = res.params["free"] > 0
    assert res.params.loc[free, "se"].isna().all()


def test_unidentified_model_gives_nan_se(hs):
    res = fit_sem("f =~ x1 + x2", hs)
    assert not res.admissible
    assert any("singular" in w and "not be identified" in w for w in res.warnings)
    free = res.params["free"] > 0
    assert res.params.loc[free, "se"].isna().all()
    assert res.fit["df"] < 0


def test_listwise_deletion_warning(hs):
    d = hs.copy()
    d.loc[[0, 5], "x1"] = np.nan
    res = fit_sem(HS, d)
    assert res.n == len(hs) - 2
    assert any("2 case(s)" in w for w in res.warnings)


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_fiml_with_fixed_x_covariates(hs, estimator):
    # agreement with lavaan: tests/test_sem_battery.py (hs_fiml_fixed_x, hs_fiml_ml_x); here what
    # the result says about the cases with a missing covariate and the statistics not computed
    d = hs.copy()
    d.loc[[0, 3, 7], "ageyr"] = np.nan
    d.loc[[1, 2], "x1"] = np.nan
    res = fit_sem("visual =~ x1 + x2 + x3\nvisual ~ ageyr", d, missing="fiml", estimator=estimator)
    assert res.n == len(hs) - 3 and res.converged
    assert any(
        w.startswith("3 case(s) with missing values on the exogenous covariate(s) ageyr were removed")
        for w in res.warnings
    )
    assert np.isnan(res.fit["cfi_robust"]) and any("not computed yet (NaN)" in n for n in res.notes)
    kept = fit_sem("visual =~ x1 + x2 + x3\nvisual ~ ageyr", d, missing="ml.x", estimator=estimator)
    assert kept.n == len(hs)


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_fiml_unidentified_model_flagged_and_robust_measures_explained(estimator):
    """A factor with free loadings and free variance under FIML: no SEs, and the robust/scaled
    statistics that need the information matrix are NaN with a note saying why."""
    df = pd.read_csv(FIX / "lavaan" / "holzinger_missing.csv")
    res = fit_sem(
        "f =~ NA*x1 + x2 + x3\nf ~~ NA*f\ng =~ x4 + x5 + x6", df, kind="cfa", missing="fiml", estimator=estimator
    )
    assert res.converged and not res.admissible and res.vcov is None
    assert any(w.startswith("the information matrix is singular") and "f ~~ f" in w for w in res.warnings)
    assert (
        "the information matrix of the model is singular, so the FIML-corrected robust "
        "CFI/TLI/RMSEA could not be computed (NaN)"
    ) in res.notes
    assert np.isnan(res.fit["cfi_robust"]) and np.isfinite(res.fit["chisq"])
    if estimator == "MLR":
        assert (
            "the observed information matrix is singular, so the scaled (Yuan-Bentler) test and "
            "the scaled CFI/TLI/RMSEA could not be computed (NaN)"
        ) in res.notes
        assert np.isnan(res.fit["chisq_scaled"])
