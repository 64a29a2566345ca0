"""Scaled and robust RMSEA: 90% interval, p(close) and p(not close) against lavaan 0.6.14.

Fixtures: tests/fixtures/lavaan/rmsea_ci_*.json, every ``fitMeasures()`` value of three
Holzinger-Swineford CFAs (MLR; MLR + FIML on holzinger_missing.csv; WLSMV on the 5-category
data), made by tests/fixtures/lavaan/rmsea_ci_reference.R, which also stores lavaan's
``XX3, df3, c.hat3, XX3.scaled`` (the inputs of the robust RMSEA) for the FIML and the
WLSMV fit. Tolerance: 1e-6 relative.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from validate.sem import fit_sem
from validate.sem import fitmeasures as fm

FIX = Path(__file__).parent / "fixtures"
REL = 1e-6
SCALED = (
    "rmsea_scaled",
    "rmsea_ci_lower_scaled",
    "rmsea_ci_upper_scaled",
    "rmsea_pvalue_scaled",
    "rmsea_notclose_pvalue_scaled",
)
ROBUST = (
    "rmsea_robust",
    "rmsea_ci_lower_robust",
    "rmsea_ci_upper_robust",
    "rmsea_pvalue_robust",
    "rmsea_notclose_pvalue_robust",
)


def _load(name):
    return json.loads((FIX / "lavaan" / name).read_text())


def _check(got: dict, ref: dict, keys, floor=0.0):
    """|got - ref| <= 1e-6 * max(|ref|, floor) for every key."""
    for k in keys:
        assert k in got, f"{k} missing"
        assert math.isfinite(got[k]), f"{k}: got {got[k]}, lavaan {ref[k]}"
        assert abs(got[k] - ref[k]) <= REL * max(abs(ref[k]), floor), f"{k}: got {got[k]!r}, lavaan {ref[k]!r}"


# ---------------------------------------------------------------- formulas from lavaan's inputs


def test_mlr_scaled_interval_uses_unscaled_chisq_on_c_times_df():
    f = _load("rmsea_ci_hs_mlr.json")["fit"]
    got = fm.rmsea_scaled_measures(f["chisq"], f["df"], f["ntotal"], scaling_factor=f["chisq_scaling_factor"])
    _check(got, f, SCALED)
    # the naive interval of chisq_scaled on df has the same point estimate but another interval
    lo, hi = fm.rmsea_ci(f["chisq_scaled"], f["df"], f["ntotal"])
    assert got["rmsea_scaled"] == pytest.approx(fm.rmsea(f["chisq_scaled"], f["df"], f["ntotal"]), rel=1e-12)
    assert abs(lo - f["rmsea_ci_lower_scaled"]) > 1e-4
    assert abs(hi - f["rmsea_ci_upper_scaled"]) > 1e-4


def test_mlr_robust_interval_from_scaled_chisq():
    f = _load("rmsea_ci_hs_mlr.json")["fit"]
    c = f["chisq_scaling_factor"]
    got = fm.rmsea_robust_measures(f["chisq"], f["df"], f["ntotal"], c_hat3=c)
    _check(got, f, ROBUST)
    explicit = fm.rmsea_robust_measures(
        f["chisq"], f["df"], f["ntotal"], c_hat3=c, c_hat=c, xx3_scaled=f["chisq_scaled"]
    )
    _check(explicit, f, ROBUST)


def test_fiml_robust_interval_from_lavaan_inputs():
    d = _load("rmsea_ci_hs_fiml_mlr.json")
    f, r = d["fit"], d["robust_inputs"]
    assert r["XX3.scaled"] == pytest.approx(r["XX3"] / r["c.hat3"], rel=1e-12)
    got = fm.rmsea_robust_measures(r["XX3"], r["df3"], f["ntotal"], c_hat3=r["c.hat3"])
    _check(got, f, ROBUST)
    got = fm.rmsea_scaled_measures(f["chisq"], f["df"], f["ntotal"], scaling_factor=f["chisq_scaling_factor"])
    _check(got, f, SCALED)


def test_wlsmv_scaled_and_robust_from_lavaan_inputs():
    d = _load("rmsea_ci_hs_ordinal5_wlsmv.json")
    f, r = d["fit"], d["robust_inputs"]
    n = len(pd.read_csv(FIX / "ordinal" / "hs_ordinal5.csv")) - 1  # lavaan's N - 1 for (D)WLS
    got = fm.rmsea_scaled_measures(
        f["chisq"],
        f["df"],
        n,
        scaling_factor=f["chisq_scaling_factor"],
        chisq_scaled=f["chisq_scaled"],
        test="scaled.shifted",
    )
    _check(got, f, SCALED)
    got = fm.rmsea_robust_measures(r["XX3"], r["df3"], n, c_hat3=r["c.hat3"], xx3_scaled=r["XX3.scaled"])
    _check(got, f, ROBUST)


def test_missing_inputs_give_nan():
    got = fm.rmsea_scaled_measures(85.0, 24, 301, scaling_factor=float("nan"))
    assert set(got) == set(SCALED) and all(np.isnan(v) for v in got.values())
    got = fm.rmsea_scaled_measures(85.0, 0, 301, scaling_factor=1.1)
    assert all(np.isnan(v) for v in got.values())
    got = fm.rmsea_robust_measures(float("nan"), 24, 301, c_hat3=float("nan"))
    assert set(got) == set(ROBUST) and all(np.isnan(v) for v in got.values())


def test_good_fit_lower_limit_is_zero():
    # chisq below df: the lower limit is 0 (lavaan's lower.lambda(0) < 0 branch), p(close) large
    got = fm.rmsea_scaled_measures(20.0, 24, 301, scaling_factor=1.2)
    assert got["rmsea_scaled"] == 0.0 and got["rmsea_ci_lower_scaled"] == 0.0
    assert 0 < got["rmsea_ci_upper_scaled"] < 0.05 and got["rmsea_pvalue_scaled"] > 0.9


# ------------------------------------------------------------------------- through fit_sem
# End to end the MLR scaling factor itself differs from lavaan's by ~1e-7 relative (numerical
# observed information), which moves p-values near 5e-4 by ~1.4e-6 relative; so p-values below
# 1e-3 are held to 1e-9 absolute (FLOOR), everything else to 1e-6 relative.
FLOOR = 1e-3


def test_wlsmv_fit_sem_scaled_interval():
    d = _load("rmsea_ci_hs_ordinal5_wlsmv.json")
    data = pd.read_csv(FIX / "ordinal" / "hs_ordinal5.csv")
    res = fit_sem(d["model"], data, estimator="WLSMV", kind="cfa")
    _check(res.fit, d["fit"], SCALED[:4], FLOOR)


def test_mlr_fit_sem():
    d = _load("rmsea_ci_hs_mlr.json")
    data = pd.read_csv(FIX / "data" / "holzinger_swineford_1939.csv")
    res = fit_sem(d["model"], data, kind="cfa", estimator="MLR")
    _check(res.fit, d["fit"], SCALED + ROBUST, FLOOR)


def test_fiml_mlr_fit_sem():
    d = _load("rmsea_ci_hs_fiml_mlr.json")
    data = pd.read_csv(FIX / "lavaan" / "holzinger_missing.csv")
    res = fit_sem(d["model"], data, kind="cfa", missing="fiml", estimator="MLR")
    _check(res.fit, d["fit"], SCALED + ROBUST, FLOOR)
