"""Influence values of SEM estimates (the infinitesimal jackknife) against exact leave-one-out refits."""

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from instruments.spec import load_spec
from validate.power.simulate import simulate_mechanism
from validate.sem import fit_sem
from validate.sem.influence import EffectInfluence, influence_values
from validate.structural.analysis import SemBootstrapStatistic
from validate.structural.bootstrap import bca_jackknife, jackknife
from validate.structural.mediation import enumerate_chains

ROOT = Path(__file__).resolve().parents[1]
B_REF = 1000  # the Monte Carlo yardstick: a run of 1,000 resamples


def _acceleration(jk):
    d = jk.mean(axis=0) - jk
    return (d**3).sum(axis=0) / (6 * (d**2).sum(axis=0) ** 1.5)


@pytest.fixture(scope="module")
def bench28():
    """The 28-item benchmark model fitted to n = 300 simulated respondents, and its exact jackknife."""
    spec = load_spec(ROOT / "bench" / "specs" / "bench_28.yaml")
    mech = spec.mechanisms["main"]
    df = simulate_mechanism(mech, spec.scale, 300, paths=0.35, seed=3)
    factors = list(mech.constructs)
    active = mech.active_paths(False)
    chains = enumerate_chains([(p.source, p.target) for p in active])
    pairs = sorted({(c.source, c.target) for c in chains}, key=lambda t: (factors.index(t[0]), factors.index(t[1])))
    res = fit_sem(mech.lavaan_syntax(structural=True), df, kind="sem")
    items = list(res.spec.ov_names)
    data = df[items].to_numpy(float)
    stat = SemBootstrapStatistic(res.spec, res.theta, items, factors, chains, pairs)
    return {"res": res, "data": data, "stat": stat, "jk": jackknife(stat, data, stat.k)}


def test_influence_values_are_the_linearised_jackknife(bench28):
    res, data, stat, jk = bench28["res"], bench28["data"], bench28["stat"], bench28["jk"]
    n = data.shape[0]
    U = influence_values(res.spec, res.theta, data, stat.effects)
    assert U.shape == (n, stat.k)
    # an M-estimator's influence values sum to zero: the score equations at the estimate
    assert np.max(np.abs(U.sum(axis=0))) < 1e-6 * np.max(np.abs(U))
    exact = (n - 1) * (stat.effects(res.theta) - jk)  # jackknife estimate of each row's influence
    # the two differ by the second-order (curvature) term, O(1/n) of the first: observed
    # correlation >= 0.9996 and relative RMS difference <= 0.027 at n = 300
    for j in range(stat.k):
        assert np.corrcoef(U[:, j], exact[:, j])[0, 1] > 0.99
        assert np.sqrt(np.mean((U[:, j] - exact[:, j]) ** 2)) < 0.1 * exact[:, j].std()


def test_acceleration_from_influence_agrees_with_the_jackknife(bench28):
    res, data, stat, jk = bench28["res"], bench28["data"], bench28["stat"], bench28["jk"]
    lin = bca_jackknife(
        stat, data, stat.k, influence=EffectInfluence(res.spec, res.theta, stat.effects), exact_max_n=100
    )
    a_jk, a_if = _acceleration(jk), _acceleration(lin)
    assert np.all(np.isfinite(a_if)) and not np.allclose(a_if, 0)
    # The BCa interval reads the draws at the levels Phi(z0 + (z0 + z) / (1 - a (z0 + z))).
    # Tolerance: the two accelerations move those levels (z0 = 0, z = +-1.96) by less than a
    # quarter of the Monte Carlo SD of a 2.5% quantile level from 1,000 resamples,
    # sqrt(.025 * .975 / 1000) = 0.0049. Observed: |a_jk - a_if| <= 1.5e-3 (|a| up to 9.6e-3),
    # levels <= 3.4e-4.
    mc_sd = np.sqrt(0.025 * 0.975 / B_REF)
    for z in (-1.96, 1.96):
        lv_jk = stats.norm.cdf(z / (1 - a_jk * z))
        lv_if = stats.norm.cdf(z / (1 - a_if * z))
        assert np.max(np.abs(lv_jk - lv_if)) < 0.25 * mc_sd
    assert np.max(np.abs(a_jk - a_if)) < 0.2 * np.max(np.abs(a_jk))


def test_bca_jackknife_is_exact_up_to_the_threshold(bench28):
    res, data, stat, jk = bench28["res"], bench28["data"], bench28["stat"], bench28["jk"]
    infl = EffectInfluence(res.spec, res.theta, stat.effects)
    np.testing.assert_array_equal(bca_jackknife(stat, data, stat.k, influence=infl), jk)  # n = 300 <= 1,000
    np.testing.assert_array_equal(bca_jackknife(stat, data, stat.k, exact_max_n=10), jk)  # no influence given

    def broken(_):
        raise ValueError("singular")

    np.testing.assert_array_equal(bca_jackknife(stat, data, stat.k, influence=broken, exact_max_n=10), jk)


def test_parameter_influence_is_the_derivative_of_the_estimate():
    # The influence function is d theta / d eps of the fit to (1 - eps) F_n + eps delta_i (Hampel 1974):
    # fit the perturbed moments at eps = +-h and difference them. Holzinger-Swineford CFA, n = 301.
    import pandas as pd

    from validate.sem import fit_moments

    hs = pd.read_csv(ROOT / "tests" / "fixtures" / "data" / "holzinger_swineford_1939.csv")
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    res = fit_sem(model, hs)
    x = hs[list(res.spec.ov_names)].to_numpy(float)
    n = x.shape[0]
    U = influence_values(res.spec, res.theta, x)
    mean = x.mean(axis=0)
    S = np.cov(x.T, bias=True)

    def fit_at(e, xi):
        m = (1 - e) * mean + e * xi
        Se = (1 - e) * (S + np.outer(mean - m, mean - m)) + e * np.outer(xi - m, xi - m)
        r = fit_moments(res.spec, [Se], [m], [n], start=res.theta, tol=1e-12)
        assert r.converged
        return r.theta

    def deriv(i, h):
        return (fit_at(h, x[i]) - fit_at(-h, x[i])) / (2 * h)

    for i in (0, 17, 150, 300):
        # Richardson's extrapolation of two central differences: truncation O(h^4); what is
        # left is the refits' own tolerance (~1e-7 in theta) over h. Observed <= 3e-6 relative.
        d = (4 * deriv(i, 1e-3) - deriv(i, 2e-3)) / 3
        assert np.max(np.abs(d - U[i])) < 1e-4 * max(1.0, np.max(np.abs(U[i])))


def test_influence_values_refuse_what_they_do_not_cover():
    import pandas as pd

    hs = pd.read_csv(ROOT / "tests" / "fixtures" / "data" / "holzinger_swineford_1939.csv")
    res = fit_sem("visual =~ x1 + x2 + x3", hs, group="school")
    with pytest.raises(ValueError, match="single-group"):
        influence_values(res.spec, res.theta, hs[["x1", "x2", "x3"]].to_numpy(float))


def test_pipeline_bca_from_influence_values_matches_the_jackknife(monkeypatch):
    # The structural analysis switches to influence values above EXACT_JACKKNIFE_MAX_N; lower it
    # to run both on the same 300 respondents and the same 200 draws.
    import pandas as pd

    import validate.structural.bootstrap as bootstrap
    from validate.pipeline import AnalysisOptions
    from validate.structural.analysis import analyse_structural

    fix = ROOT / "tests" / "fixtures"
    spec = load_spec(fix / "specs" / "minimal.yaml")
    data = pd.read_csv(fix / "structural" / "minimal_sem.csv")
    opts = AnalysisOptions(bootstrap=200, seed=5, workers=1, direct_effects=True, progress=False)
    exact = analyse_structural(data, spec.mechanism("main"), spec, opts)["structural"]
    monkeypatch.setattr(bootstrap, "EXACT_JACKKNIFE_MAX_N", 10)
    linear = analyse_structural(data, spec.mechanism("main"), spec, opts)["structural"]
    for a, b in zip(exact["indirect"], linear["indirect"]):
        assert (a["ci_lower"], a["ci_upper"]) == (b["ci_lower"], b["ci_upper"])  # the same draws
        draws = np.sort(np.array(exact["bootstrap"]["draws"][a["key"]]))
        for bound in ("bca_lower", "bca_upper"):
            # the quantile levels move by < 1e-3 (a fifth of a rank of 200 draws): neighbouring draws at most
            k = np.searchsorted(draws, a[bound])
            lo, hi = draws[max(k - 1, 0)], draws[min(k + 1, draws.size - 1)]
            assert lo <= b[bound] <= hi, (bound, a[bound], b[bound])
