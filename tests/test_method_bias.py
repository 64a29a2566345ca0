"""ULMC and the competing-model CFA table against lavaan 0.6.14 (method_bias_reference.R).

The data (tests/fixtures/lavaan/method_factor_data.csv) were simulated once with numpy:
``rng = np.random.default_rng(20261201)``, n = 500, three constructs (correlations .45, .30, .35)
of four items each (loadings .8, .7, .6, .5), a common method factor loading .4 on every item,
residual variance 1 - λ² - .16 + .1, rounded to 4 decimals.
"""

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_ref

from validate.measurement.method_bias import competing_models, merged_syntax, ulmc, ulmc_syntax
from validate.sem import fit_sem

FIX = Path(__file__).parent / "fixtures" / "lavaan"
REF = json.loads((FIX / "method_bias_reference.json").read_text())
CONSTRUCTS = {
    "A": [f"y{i}" for i in range(1, 5)],
    "B": [f"y{i}" for i in range(5, 9)],
    "C": [f"y{i}" for i in range(9, 13)],
}
# Achieved: 2e-7 or less (fit, Δχ², method variance); asserted at about 100x lavaan's 5e-6 stopping noise.
TOL = 5e-4


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(FIX / "method_factor_data.csv")


@pytest.fixture(scope="module")
def full(data):
    res = fit_sem("\n".join(f"{c} =~ " + " + ".join(i) for c, i in CONSTRUCTS.items()), data, kind="cfa")
    assert res.converged
    return res


def test_ulmc_matches_lavaan(data, full):
    out = ulmc(data, CONSTRUCTS, full.fit)
    ref = REF["ulmc"]
    assert out["converged"] and out["admissible"]
    for k in ("chisq", "df", "cfi", "rmsea", "srmr"):
        assert_ref(out["fit"][k], ref[k], TOL, k)
    for k in ("chisq_diff", "df_diff", "p_value", "method_variance", "method_loading_std"):
        assert_ref(out[k], ref[k], TOL, k)
    assert_ref(out["delta_cfi"], ref["cfi"] - REF["full"]["cfi"], TOL, "delta_cfi")
    assert "CMV_METHOD ~~ 0*A" in ulmc_syntax(CONSTRUCTS)


def test_competing_models_match_lavaan(data, full):
    pt = full.params
    cor = pt[(pt.op == "~~") & pt.lhs.isin(CONSTRUCTS) & pt.rhs.isin(CONSTRUCTS)]
    fc = pd.DataFrame(1.0, index=list(CONSTRUCTS), columns=list(CONSTRUCTS))
    for r in cor.itertuples(index=False):
        fc.loc[r.lhs, r.rhs] = fc.loc[r.rhs, r.lhs] = r.std_all
    rows = {r["name"]: r for r in competing_models(data, CONSTRUCTS, full.fit, fc)}
    assert list(rows) == ["full", "merged", "one_factor"]
    assert rows["merged"]["constructs_merged"] == REF["merged"]["pair"]
    for name in ("merged", "one_factor"):
        for k in ("chisq", "df", "cfi", "rmsea", "chisq_diff", "df_diff"):
            assert_ref(rows[name][k], REF[name][k], TOL, f"{name} {k}")
    assert rows["full"]["p_value"] is None
    assert "A_B =~ y1 + y2 + y3 + y4 + y5 + y6 + y7 + y8" in merged_syntax(CONSTRUCTS, "A", "B")


def test_ulmc_that_does_not_converge_says_why(data, monkeypatch):
    import validate.sem as sem

    class NotConverged:
        converged = False
        admissible = False

    monkeypatch.setattr(sem, "fit_sem", lambda *a, **k: NotConverged())
    out = ulmc(data, CONSTRUCTS, {"chisq": 1.0, "df": 1.0, "cfi": 1.0, "rmsea": 0.0})
    assert out["fit"] is None and out["method_variance"] is None and "did not converge" in out["reason"]
