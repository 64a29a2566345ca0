"""fit_sem(..., estimates_only=True): the estimates of a full fit, without inference.

Tolerance: 1e-8 absolute on every estimate, std_lv, std_all and R2 (the fits take the same path,
so they agree to rounding).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from validate.sem import ModelError, fit_sem
from validate.sem import fiml as fiml_mod

FIX = Path(__file__).parent / "fixtures"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
SEM_MODEL = (FIX / "structural" / "minimal_sem.lav").read_text()


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(FIX / "data" / "holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def hs_missing():
    return pd.read_csv(FIX / "lavaan" / "holzinger_missing.csv")


@pytest.fixture(scope="module")
def likert():
    return pd.read_csv(FIX / "structural" / "minimal_sem.csv")


def _same_estimates(full, eo):
    a, b = full.params, eo.params
    assert list(a["lhs"]) == list(b["lhs"]) and list(a["op"]) == list(b["op"])
    assert list(a["rhs"]) == list(b["rhs"])
    for col in ("estimate", "std_lv", "std_all"):
        x, y = a[col].to_numpy(float), b[col].to_numpy(float)
        assert np.array_equal(np.isnan(x), np.isnan(y)), col
        ok = ~np.isnan(x)
        assert np.max(np.abs(x[ok] - y[ok])) <= 1e-8, col
    assert eo.converged == full.converged and eo.admissible == full.admissible
    assert set(eo.r2) == set(full.r2)
    for k in full.r2:
        assert abs(eo.r2[k] - full.r2[k]) <= 1e-8


def _no_inference(eo):
    free = eo.params["free"] > 0
    assert eo.params.loc[free, ["se", "z", "p_value", "ci_lower", "ci_upper"]].isna().all().all()
    assert (eo.params.loc[~free & (eo.params["op"] != ":="), "se"] == 0).all()
    assert eo.vcov is None
    assert set(eo.fit) <= {"npar", "ntotal", "fmin"}
    assert eo.estimates_only
    assert any("estimates_only=True" in n for n in eo.notes)


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_listwise_same_estimates(hs, estimator):
    full = fit_sem(HS_MODEL, hs, kind="cfa", estimator=estimator)
    eo = fit_sem(HS_MODEL, hs, kind="cfa", estimator=estimator, estimates_only=True)
    _same_estimates(full, eo)
    _no_inference(eo)
    assert full.vcov is not None and "cfi" in full.fit


def test_defined_parameters_estimates_only(likert):
    full = fit_sem(SEM_MODEL, likert)
    eo = fit_sem(SEM_MODEL, likert, estimates_only=True)
    _same_estimates(full, eo)
    d = eo.params[eo.params["op"] == ":="]
    assert len(d) == 2 and d["estimate"].notna().all() and d["se"].isna().all()


def test_fiml_same_estimates_without_start(hs_missing):
    full = fit_sem(HS_MODEL, hs_missing, kind="cfa", missing="fiml")
    eo = fit_sem(HS_MODEL, hs_missing, kind="cfa", missing="fiml", estimates_only=True)
    _same_estimates(full, eo)
    _no_inference(eo)


def test_fiml_bootstrap_refit_skips_h1(hs_missing, monkeypatch):
    """A resample refitted from the full-sample estimates: no saturated EM fit, same estimates."""
    full0 = fit_sem(HS_MODEL, hs_missing, kind="cfa", missing="fiml")
    rng = np.random.default_rng(7)
    boot = hs_missing.iloc[rng.integers(0, len(hs_missing), len(hs_missing))].reset_index(drop=True)
    full = fit_sem(HS_MODEL, boot, kind="cfa", missing="fiml", start=full0)

    def no_em(*a, **k):
        raise AssertionError("the saturated EM fit ran")

    monkeypatch.setattr(fiml_mod, "em_h1", no_em)
    eo = fit_sem(HS_MODEL, boot, kind="cfa", missing="fiml", start=full0, estimates_only=True)
    _same_estimates(full, eo)
    _no_inference(eo)


def test_fiml_refit_from_start_matches_fit_from_scratch(hs_missing):
    full0 = fit_sem(HS_MODEL, hs_missing, kind="cfa", missing="fiml")
    rng = np.random.default_rng(3)
    boot = hs_missing.iloc[rng.integers(0, len(hs_missing), len(hs_missing))].reset_index(drop=True)
    a = fit_sem(HS_MODEL, boot, kind="cfa", missing="fiml", start=full0, estimates_only=True)
    b = fit_sem(HS_MODEL, boot, kind="cfa", missing="fiml")
    free = a.params["free"] > 0
    diff = np.abs(a.params.loc[free, "estimate"].to_numpy() - b.params.loc[free, "estimate"].to_numpy())
    assert diff.max() < 1e-6


def test_wlsmv_same_estimates(likert):
    full = fit_sem(SEM_MODEL, likert, estimator="WLSMV")
    eo = fit_sem(SEM_MODEL, likert, estimator="WLSMV", estimates_only=True)
    _same_estimates(full, eo)
    _no_inference(eo)
    thr = eo.params[eo.params["op"] == "|"]
    assert len(thr) > 0 and thr["estimate"].notna().all()


def test_wlsmv_start(likert):
    full0 = fit_sem(SEM_MODEL, likert, estimator="WLSMV")
    rng = np.random.default_rng(11)
    boot = likert.iloc[rng.integers(0, len(likert), len(likert))].reset_index(drop=True)
    a = fit_sem(SEM_MODEL, boot, estimator="WLSMV", start=full0, estimates_only=True)
    b = fit_sem(SEM_MODEL, boot, estimator="WLSMV", start=full0)
    c = fit_sem(SEM_MODEL, boot, estimator="WLSMV")
    _same_estimates(b, a)
    free = a.params["free"] > 0
    diff = np.abs(a.params.loc[free, "estimate"].to_numpy() - c.params.loc[free, "estimate"].to_numpy())
    assert diff.max() < 1e-6
    assert a.iterations < c.iterations


def test_inadmissible_still_flagged():
    """A Heywood case makes an estimates-only fit inadmissible too, with the same warning."""
    # one-factor model whose ML solution needs loading^2 = .8*.8/.3 > 1 for v1
    R = np.array([[1, 0.8, 0.8], [0.8, 1, 0.3], [0.8, 0.3, 1]])
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((200, 3))
    data = pd.DataFrame(Z @ np.linalg.cholesky(R).T, columns=["v1", "v2", "v3"])
    full = fit_sem("f =~ v1 + v2 + v3", data)
    eo = fit_sem("f =~ v1 + v2 + v3", data, estimates_only=True)
    assert full.converged and eo.converged
    assert not full.admissible and not eo.admissible
    heywood = [w for w in eo.warnings if "Heywood" in w and "'v1'" in w]
    assert heywood and heywood == [w for w in full.warnings if "Heywood" in w]


def test_modindices_refused(hs):
    eo = fit_sem(HS_MODEL, hs, kind="cfa", estimates_only=True)
    with pytest.raises(
        ModelError, match="modification indices need a full fit; this result was fitted with estimates_only=True"
    ):
        eo.modindices()


def test_parse_cache_returns_independent_specs(hs):
    """Repeated fits parse the model once; a result's parameter table is its own copy."""
    from validate.sem.syntax import parse_model, parse_model_cached

    a = parse_model_cached(HS_MODEL, kind="cfa")
    b = parse_model_cached(HS_MODEL, kind="cfa")
    assert a is not b and a.partable is not b.partable
    a.partable.loc[0, "ustart"] = 99.0
    a.ov_names.append("zz")
    c = parse_model_cached(HS_MODEL, kind="cfa")
    ref = parse_model(HS_MODEL, kind="cfa")
    pd.testing.assert_frame_equal(c.partable, ref.partable)
    assert c.ov_names == ref.ov_names
    r1 = fit_sem(HS_MODEL, hs, kind="cfa", estimates_only=True)
    r1.spec.partable.loc[:, "free"] = 0
    r2 = fit_sem(HS_MODEL, hs, kind="cfa", estimates_only=True)
    assert np.allclose(r1.params["estimate"], r2.params["estimate"], atol=1e-12)
