"""validate.sem.fiml: the batched missing-data likelihood, its derivatives and the analytic information.

The reference for every check here is an independent computation: the casewise normal
log-likelihood from each pattern's own ``Sigma_oo`` (scipy), central differences of the
analytic gradient, or of the log-likelihood itself. Agreement with lavaan is in
tests/test_sem_lavaan.py (holzinger_cfa_fiml*.json) and bench/fiml.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from validate.sem import fit_sem
from validate.sem.fiml import (
    Patterns,
    _numerical_observed_information,
    em_h1,
    fiml_fit,
    fiml_grad,
    fiml_information,
)
from validate.sem.model import vech_indices

FIX = Path(__file__).parent / "fixtures"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs_missing():
    return pd.read_csv(FIX / "lavaan" / "holzinger_missing.csv")


def _holey(n=150, p=7, frac=0.3, seed=3):
    """Correlated data with many holes (cases missing 1 to 5 of 7 variables)."""
    rng = np.random.default_rng(seed)
    L = rng.uniform(0.4, 0.9, size=(p, 2))
    Y = rng.normal(size=(n, 2)) @ L.T + rng.normal(scale=0.6, size=(n, p)) + np.arange(p)
    Y[rng.random((n, p)) < frac] = np.nan
    Y = Y[(~np.isnan(Y)).any(axis=1)]
    return Y


def _direct_loglik(Y, Sigma, mu):
    """Sum over cases of the normal log-density of the observed part (one Sigma_oo per case)."""
    ll = 0.0
    for y in Y:
        o = ~np.isnan(y)
        ll += stats.multivariate_normal(mu[o], Sigma[np.ix_(o, o)]).logpdf(y[o])
    return ll


def _moments(p, seed=1):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(p, p))
    return A @ A.T / p + np.eye(p), rng.normal(size=p) + np.arange(p)


def test_loglik_matches_the_casewise_density():
    Y = _holey()
    pat = Patterns(Y)
    assert max(g.k for g in pat.groups) >= 4  # the batched downdate is exercised beyond k = 1
    Sigma, mu = _moments(Y.shape[1])
    ll = pat.loglik(Sigma, mu)
    ref = _direct_loglik(Y, Sigma, mu)
    assert abs(ll - ref) <= 1e-10 * abs(ref)  # observed: ~1e-15


def test_derivatives_match_differences_of_the_loglik():
    Y = _holey(n=80, p=5)
    pat = Patterns(Y)
    Sigma, mu = _moments(5, seed=2)
    GS, gm = pat.dloglik(Sigma, mu)
    h = 1e-6
    for i, j in [(0, 0), (3, 1), (4, 2)]:
        E = np.zeros((5, 5))
        E[i, j] = E[j, i] = h
        num = (pat.loglik(Sigma + E, mu) - pat.loglik(Sigma - E, mu)) / (2 * h)
        ana = GS[i, j] * (2 if i != j else 1)
        assert abs(num - ana) <= 1e-6 * max(1.0, abs(ana))  # central differences: ~1e-8
    for j in range(5):
        e = np.zeros(5)
        e[j] = h
        num = (pat.loglik(Sigma, mu + e) - pat.loglik(Sigma, mu - e)) / (2 * h)
        assert abs(num - gm[j]) <= 1e-6 * max(1.0, abs(gm[j]))


def test_casewise_scores_sum_to_the_gradient():
    Y = _holey()
    p = Y.shape[1]
    pat = Patterns(Y)
    Sigma, mu = _moments(p, seed=4)
    rr, cc = vech_indices(p)
    M = pat.moment_scores(Sigma, mu, rr, cc, np.where(rr == cc, 1.0, 2.0))
    assert M.shape == (pat.n, len(rr) + p)
    GS, gm = pat.dloglik(Sigma, mu)
    w = np.where(rr == cc, 1.0, 2.0)
    assert np.allclose(M[:, : len(rr)].sum(axis=0), GS[rr, cc] * w, rtol=1e-10, atol=1e-10)
    assert np.allclose(M[:, len(rr) :].sum(axis=0), gm, rtol=1e-10, atol=1e-10)
    # a case contributes nothing for a variable it did not answer
    miss = np.isnan(pat.Y)
    assert np.all(M[:, len(rr) :][miss] == 0)


def test_em_reaches_the_saturated_maximum():
    Y = _holey()
    pat = Patterns(Y)
    Sigma, mu, ll = em_h1(pat, tol=1e-12, max_iter=5000)
    GS, gm = pat.dloglik(Sigma, mu)
    assert np.max(np.abs(GS)) < 1e-4 and np.max(np.abs(gm)) < 1e-4
    assert abs(ll - _direct_loglik(Y, Sigma, mu)) <= 1e-9 * abs(ll)
    # a warm start at the solution stops at once with the same answer
    S2, m2, ll2 = em_h1(pat, tol=1e-12, start=(Sigma, mu))
    assert abs(ll2 - ll) < 1e-9 and np.allclose(S2, Sigma, atol=1e-6)


def test_saturated_observed_information_matches_differences():
    Y = _holey(n=60, p=4)
    p = 4
    pat = Patterns(Y)
    Sigma, mu, _ = em_h1(pat)
    Sigma = Sigma + 0.05 * np.eye(p)  # off the maximum: the data terms matter
    rr, cc = vech_indices(p)
    info = pat.h1_information(Sigma, mu, rr, cc)
    ps = len(rr)
    w = np.where(rr == cc, 1.0, 2.0)

    def grad(x):
        S = np.zeros((p, p))
        S[rr, cc] = x[:ps]
        S[cc, rr] = x[:ps]
        GS, gm = pat.dloglik(S, x[ps:])
        return np.concatenate([GS[rr, cc] * w, gm])

    x0 = np.concatenate([Sigma[rr, cc], mu])
    num = np.zeros((ps + p, ps + p))
    for k in range(ps + p):
        e = np.zeros(ps + p)
        e[k] = 1e-6
        num[:, k] = -(grad(x0 + e) - grad(x0 - e)) / 2e-6
    assert np.max(np.abs(info - num)) <= 1e-6 * np.max(np.abs(num))  # observed: ~1e-9


def _compiled(model, df, **kw):
    res = fit_sem(model, df, missing="fiml", **kw)
    Ys = [np.asarray(Y) for Y in res._data]
    return res, res._cm, [Patterns(Y) for Y in Ys]


@pytest.mark.parametrize(
    "model, kw",
    [
        (HS_MODEL, dict(kind="cfa")),
        # regressions among latent variables, two groups, equal loadings and intercepts: the latent
        # means are free in the second group, so the second derivatives of the implied means count
        (
            HS_MODEL + "\ntextual ~ visual\nspeed ~ textual",
            dict(group="school", group_equal=("loadings", "intercepts")),
        ),
    ],
)
def test_analytic_observed_information_matches_differences(hs_missing, model, kw):
    res, cm, pats = _compiled(model, hs_missing, **kw)
    rng = np.random.default_rng(0)
    theta = res.theta * (1 + 0.05 * rng.standard_normal(len(res.theta)))  # off the optimum
    A, E = fiml_information(cm, theta, pats)
    num = _numerical_observed_information(cm, theta, pats)
    assert np.max(np.abs(A - num)) <= 1e-6 * np.max(np.abs(num))  # observed: ~1e-9
    # the expected information: the observed one's expectation, positive definite here
    assert np.all(np.linalg.eigvalsh(E) > 0)


def test_fiml_fit_from_a_poor_start_reaches_the_same_optimum(hs_missing):
    res, cm, pats = _compiled(HS_MODEL, hs_missing, kind="cfa")
    start = res.theta * 1.3
    theta, F, conv, _ = fiml_fit(cm, pats, start)
    assert conv
    assert np.max(np.abs(theta - res.theta)) < 1e-6
    assert np.max(np.abs(fiml_grad(cm, theta, pats, hessian=False)[1])) < 1e-8


def test_fiml_refit_gives_fit_sems_estimates(hs_missing):
    """The bootstrap's fast path: the same estimates as fit_sem(start=..., estimates_only=True)."""
    from validate.sem.fiml import fiml_refit

    full = fit_sem(HS_MODEL + "\ntextual ~ visual", hs_missing, missing="fiml")
    rng = np.random.default_rng(5)
    boot = hs_missing.iloc[rng.integers(0, len(hs_missing), len(hs_missing))].reset_index(drop=True)
    ref = fit_sem(HS_MODEL + "\ntextual ~ visual", boot, missing="fiml", start=full, estimates_only=True)
    Y = boot[list(full.spec.ov_names)].to_numpy(float)
    r = fiml_refit(full.spec, [Y], full.theta)
    assert r.converged and r.admissible and r.warnings == []
    assert np.max(np.abs(r.theta - ref.theta)) < 1e-7  # both converged to a gradient of 1e-9
    with pytest.raises(ValueError, match="columns"):
        fiml_refit(full.spec, [Y[:, :4]], full.theta)


def test_cell_space_expected_information_matches_the_moment_space_one(hs_missing):
    """fiml_expected_information (cells, low-rank per pattern) = Delta' I(vech Sigma, mu) Delta."""
    from validate.sem.fiml import fiml_expected_information

    res, cm, pats = _compiled(HS_MODEL + "\ntextual ~ visual", hs_missing)
    E = fiml_expected_information(cm, res.theta, pats)
    D = cm.delta(res.theta, 0)
    ref = D.T @ pats[0].expected_information(cm.implied(res.theta, 0)[0], cm.rr, cm.cc) @ D
    assert np.max(np.abs(E - ref)) <= 1e-10 * np.max(np.abs(ref))  # observed: ~1e-15
