"""Full-information ML (lavaan's ``missing = "ml"``) for incomplete data.

The casewise normal log-likelihood is evaluated per missing-data pattern
from the pattern's observed-variable means and covariances.  The
unrestricted (h1) model is fitted by EM; the independence baseline has a
closed form (each variable's available-case mean and variance).  Standard
errors use the observed information (numerical Hessian of the analytic
gradient), lavaan's default with ``missing = "ml"``.

Notes
-----
Checked against lavaan 0.6.14 ``cfa(..., missing = "ml")`` on the
Holzinger-Swineford data with artificial holes
(tests/fixtures/lavaan/holzinger_cfa_fiml.json).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .estimate import _chol_inv
from .model import CompiledModel

__all__ = ["Patterns", "em_h1", "fiml_fit", "fiml_loglik"]


@dataclass
class _Pattern:
    obs: np.ndarray       # indices of observed variables
    n: int
    mean: np.ndarray      # mean of observed part
    cov: np.ndarray       # covariance (divisor n) of observed part


class Patterns:
    """Missing-data patterns of one group."""

    def __init__(self, Y: np.ndarray):
        mask = ~np.isnan(Y)
        keep = mask.any(axis=1)
        Y, mask = Y[keep], mask[keep]
        self.Y = Y
        self.n = len(Y)
        self.p = Y.shape[1]
        keys, inv = np.unique(mask, axis=0, return_inverse=True)
        self.patterns = []
        for k, key in enumerate(keys):
            rows = Y[inv.ravel() == k][:, key]
            m = rows.mean(axis=0)
            E = rows - m
            self.patterns.append(_Pattern(np.flatnonzero(key), len(rows), m, E.T @ E / len(rows)))

    def loglik(self, Sigma, mu):
        ll = 0.0
        for pt in self.patterns:
            o = pt.obs
            Vi, logdet = _chol_inv(Sigma[np.ix_(o, o)])
            if Vi is None:
                return -np.inf
            d = pt.mean - mu[o]
            ll += -pt.n / 2 * (len(o) * np.log(2 * np.pi) + logdet + np.sum(pt.cov * Vi) + d @ Vi @ d)
        return ll

    def dloglik(self, Sigma, mu):
        """Derivatives of the log-likelihood with respect to Sigma (symmetric matrix form) and mu."""
        p = self.p
        GS = np.zeros((p, p))
        gm = np.zeros(p)
        for pt in self.patterns:
            o = pt.obs
            Vi, _ = _chol_inv(Sigma[np.ix_(o, o)])
            d = pt.mean - mu[o]
            Vd = Vi @ d
            W = Vi - Vi @ (pt.cov + np.outer(d, d)) @ Vi
            GS[np.ix_(o, o)] += -0.5 * pt.n * W
            gm[o] += pt.n * Vd
        return GS, gm


def em_h1(pat: Patterns, max_iter=5000, tol=1e-10):
    """EM estimates of the saturated mean vector and covariance matrix."""
    Y = pat.Y
    mu = np.nanmean(Y, axis=0)
    Sigma = np.diag(np.nanvar(Y, axis=0))
    p = pat.p
    prev = -np.inf
    for _ in range(max_iter):
        T1 = np.zeros(p)
        T2 = np.zeros((p, p))
        for pt in pat.patterns:
            o = pt.obs
            m = np.setdiff1d(np.arange(p), o)
            n = pt.n
            if len(m) == 0:
                T1 += n * pt.mean
                T2 += n * (pt.cov + np.outer(pt.mean, pt.mean))
                continue
            Soo = Sigma[np.ix_(o, o)]
            B = linalg.solve(Soo, Sigma[np.ix_(o, m)], assume_a="pos").T  # (m, o)
            C = Sigma[np.ix_(m, m)] - B @ Sigma[np.ix_(o, m)]
            # expected sufficient statistics summed over the pattern's cases
            mo = pt.mean
            mm = mu[m] + B @ (mo - mu[o])
            s1 = np.zeros(p)
            s1[o], s1[m] = mo, mm
            T1 += n * s1
            Soo_s = pt.cov + np.outer(mo, mo)                     # E[yo yo']
            Smo = B @ (Soo_s - np.outer(mu[o], mo)) + np.outer(mu[m], mo)  # E[ym yo']
            a = mu[m] - B @ mu[o]
            Smm = (np.outer(a, a) + np.outer(a, mo) @ B.T + B @ np.outer(mo, a)
                   + B @ Soo_s @ B.T + C)                                 # E[ym ym']
            T2[np.ix_(o, o)] += n * Soo_s
            T2[np.ix_(m, o)] += n * Smo
            T2[np.ix_(o, m)] += n * Smo.T
            T2[np.ix_(m, m)] += n * Smm
        mu = T1 / pat.n
        Sigma = T2 / pat.n - np.outer(mu, mu)
        Sigma = 0.5 * (Sigma + Sigma.T)
        ll = pat.loglik(Sigma, mu)
        if abs(ll - prev) < tol * max(1.0, abs(ll)):
            break
        prev = ll
    return Sigma, mu, ll


def fiml_loglik(cm: CompiledModel, theta, pats):
    total = 0.0
    for g, pat in enumerate(pats):
        Sigma, mu = cm.implied(theta, g)
        total += pat.loglik(Sigma, mu)
    return total


def fiml_grad(cm: CompiledModel, theta, pats, hessian=True):
    """-2 logl / N, its gradient, and a complete-data Fisher approximation of its Hessian."""
    N = sum(p.n for p in pats)
    q = cm.nfree
    grad = np.zeros(q)
    H = np.zeros((q, q)) if hessian else None
    ll = 0.0
    for g, pat in enumerate(pats):
        b = cm.blocks[g]
        Sigma, mu, U, V, dmu = cm.cells(theta, g)
        l = pat.loglik(Sigma, mu)
        if not np.isfinite(l):
            return np.inf, None, None
        ll += l
        GS, gm = pat.dloglik(Sigma, mu)
        # d(-2 l / N) / dcell:  tr(dL/dSigma dSigma) with dSigma = u v' + v u'
        gc = -2.0 / N * (2.0 * np.einsum("ij,ij->i", U @ GS, V) + dmu @ gm)
        grad += b.agg @ gc
        if hessian:
            Vi, _ = _chol_inv(Sigma)
            UV, VV = U @ Vi, V @ Vi
            Hc = 2.0 * ((UV @ U.T) * (VV @ V.T) + (UV @ V.T) * (UV @ V.T).T) + 2.0 * (dmu @ Vi @ dmu.T)
            H += pat.n / N * (b.agg @ Hc @ b.agg.T)
    return -2.0 * ll / N, grad, H


def fiml_fit(cm: CompiledModel, pats, theta0, max_iter=500, tol=1e-9):
    """Minimise -2 logl / N by scoring with line search; returns (theta, F, converged, iters)."""
    theta = np.array(theta0, dtype=float)
    F, g, H = fiml_grad(cm, theta, pats)
    if not np.isfinite(F):
        return theta, F, False, 0
    for it in range(1, max_iter + 1):
        if np.max(np.abs(g)) < tol:
            return theta, F, True, it
        try:
            step = linalg.solve(H, g, assume_a="sym")
        except (linalg.LinAlgError, ValueError):
            step = linalg.lstsq(H, g)[0]
        slope = g @ step
        alpha = 1.0
        ok = False
        for _ in range(40):
            trial = theta - alpha * step
            Ft, gt, Ht = fiml_grad(cm, trial, pats)
            if np.isfinite(Ft) and Ft <= F - 1e-4 * alpha * slope:
                ok = True
                break
            alpha *= 0.5
        if not ok:
            return theta, F, bool(np.max(np.abs(g)) < np.sqrt(tol)), it
        if abs(F - Ft) < 1e-15 * max(1.0, abs(F)) and np.max(np.abs(gt)) < np.sqrt(tol):
            return trial, Ft, True, it
        theta, F, g, H = trial, Ft, gt, Ht
    return theta, F, False, max_iter


def fiml_observed_information(cm: CompiledModel, theta, pats):
    """Total observed information (Hessian of -logl) by central differences."""
    N = sum(p.n for p in pats)
    q = cm.nfree
    Hs = np.zeros((q, q))
    for k in range(q):
        h = 1e-5 * max(1.0, abs(theta[k]))
        tp, tm = theta.copy(), theta.copy()
        tp[k] += h
        tm[k] -= h
        gp = fiml_grad(cm, tp, pats, hessian=False)[1]
        gm = fiml_grad(cm, tm, pats, hessian=False)[1]
        Hs[:, k] = (gp - gm) / (2 * h)
    Hs = 0.5 * (Hs + Hs.T)
    return Hs * N / 2.0
