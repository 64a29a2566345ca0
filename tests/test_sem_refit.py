"""The bootstrap's refit path: fit_moments(start=...) -> refit_newton, and EffectVector."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from validate.sem import fit_moments, fit_sem, latent_structure
from validate.sem.effects import EffectVector
from validate.sem.estimate import admissibility, compiled_model, optimize_ml, refit_newton
from validate.sem.model import SampleStats
from validate.structural.analysis import effect_vector
from validate.structural.mediation import enumerate_chains

FIX = Path(__file__).parent / "fixtures"


def _moments(Y):
    return np.cov(Y, rowvar=False, bias=True), Y.mean(0)


@pytest.fixture(scope="module")
def pd_fit():
    ref = json.loads((FIX / "lavaan" / "political_democracy_sem.json").read_text())
    df = pd.read_csv(FIX / "data" / "political_democracy.csv")
    res = fit_sem(ref["model"], df)
    Y = df[list(res.spec.ov_names)].to_numpy(float)
    return res, Y


@pytest.fixture(scope="module")
def hs_fit():
    df = pd.read_csv(FIX / "data" / "holzinger_swineford_1939.csv")
    res = fit_sem(
        "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\ntextual ~ visual\nspeed ~ textual", df
    )
    Y = df[list(res.spec.ov_names)].to_numpy(float)
    return res, Y


def _tight(cm, S, m, n, start):
    """The optimum: optimize_ml (scoring, then Newton), polished by exact Newton steps until they vanish.

    optimize_ml alone can stop ~1e-7 short ("no further decrease" once F stops changing).
    """
    stats = SampleStats([S], [m], [n])
    ref = optimize_ml(cm, stats, start, tol=1e-13)
    pol = refit_newton(cm, stats, ref.theta, tol=1e-16, step_tol=1e-13, chord_tol=1e-14, lazy=0.0, max_iter=30)
    assert pol.converged, pol.message
    return pol.theta


def test_refit_agrees_with_a_tight_fit(hs_fit):
    res, Y = hs_fit
    cm = compiled_model(res.spec)
    rng = np.random.default_rng(11)
    n = len(Y)
    for _ in range(15):
        S, m = _moments(Y[rng.integers(0, n, n)])
        fit = fit_moments(res.spec, [S], [m], [n], start=res.theta)
        assert fit.converged
        np.testing.assert_allclose(fit.theta, _tight(cm, S, m, n, res.theta), rtol=0, atol=1e-8)
        # fmin is the quadratic prediction after the last step: still the minimum to ~1e-12
        slow = optimize_ml(cm, SampleStats([S], [m], [n]), res.theta)
        assert abs(fit.fmin - slow.fmin) < 1e-10


def test_refit_small_sample_and_heywood_cases(pd_fit):
    """PoliticalDemocracy (n = 75): resamples far from the start, some with negative variances."""
    res, Y = pd_fit
    cm = compiled_model(res.spec)
    rng = np.random.default_rng(3)
    n = len(Y)
    inadmissible = 0
    for _ in range(40):
        S, m = _moments(Y[rng.integers(0, n, n)])
        r = refit_newton(cm, SampleStats([S], [m], [n]), res.theta)
        assert r.converged, r.message
        ref = _tight(cm, S, m, n, res.theta)
        np.testing.assert_allclose(r.theta, ref, rtol=0, atol=1e-8)
        inadmissible += bool(admissibility(cm, r.theta))
    assert inadmissible >= 3  # negative residual variances are reached (through the linear scale)


def test_refit_gives_up_cleanly_and_fit_moments_falls_back(pd_fit):
    res, Y = pd_fit
    cm = compiled_model(res.spec)
    S, m = _moments(Y)
    bad = res.theta.copy()
    bad[cm.variance_mask] = -5.0  # implied covariance matrix not positive definite
    r = refit_newton(cm, SampleStats([S], [m], [len(Y)]), bad)
    assert not r.converged
    assert r.message == "Newton refit gave up: the start is not admissible"
    fit = fit_moments(res.spec, [S], [m], [len(Y)], start=bad)
    assert not fit.converged  # optimize_ml says the same from that start
    # a start that is merely far away still ends at the full-sample estimates
    far = res.theta * 1.5
    fit = fit_moments(res.spec, [S], [m], [len(Y)], start=far)
    assert fit.converged
    np.testing.assert_allclose(fit.theta, res.theta, rtol=0, atol=1e-6)


def test_start_information_cache_follows_the_start(hs_fit):
    res, Y = hs_fit
    S, m = _moments(Y)
    n = len(Y)
    a = fit_moments(res.spec, [S], [m], [n], start=res.theta)
    b = fit_moments(res.spec, [S], [m], [n], start=res.theta * 0.9)  # another start: cache rebuilt
    c = fit_moments(res.spec, [S], [m], [n], start=res.theta)
    for f in (a, b, c):
        assert f.converged
        np.testing.assert_allclose(f.theta, res.theta, rtol=0, atol=1e-7)


def test_refit_multigroup():
    df = pd.read_csv(FIX / "data" / "holzinger_swineford_1939.csv")
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    res = fit_sem(model, df, kind="cfa", group="school", group_equal=("loadings",))
    cm = compiled_model(res.spec)
    rng = np.random.default_rng(5)
    groups = [df[df["school"] == g][list(res.spec.ov_names)].to_numpy(float) for g in sorted(df["school"].unique())]
    for _ in range(5):
        Ss, ms, ns = [], [], []
        for Y in groups:
            S, m = _moments(Y[rng.integers(0, len(Y), len(Y))])
            Ss.append(S)
            ms.append(m)
            ns.append(len(Y))
        fit = fit_moments(res.spec, Ss, ms, ns, start=res.theta)
        ref = optimize_ml(cm, SampleStats(Ss, ms, ns), res.theta, tol=1e-13)
        assert fit.converged
        np.testing.assert_allclose(fit.theta, ref.theta, rtol=0, atol=1e-7)


def test_effect_vector_matches_latent_structure(pd_fit):
    res, Y = pd_fit
    factors = ["ind60", "dem60", "dem65"]
    chains = enumerate_chains([("ind60", "dem60"), ("ind60", "dem65"), ("dem60", "dem65")])
    pairs = sorted({(c.source, c.target) for c in chains})
    ev = EffectVector(res.spec, factors, chains, pairs)
    B, cov = latent_structure(res.spec, res.theta, factors)
    want = effect_vector(B, cov, factors, chains, pairs)
    got = ev(res.theta)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    # indirect ind60 -> dem60 -> dem65 = a * b (lavaan: 1.24178280736893)
    assert abs(got[0] - 1.24178280736893) < 1e-4
    assert B[1, 0] == pytest.approx(res.params.query("op == '~' and lhs == 'dem60'").estimate.iloc[0])
