"""Full-information ML (lavaan's ``missing = "ml"``) for incomplete data.

The casewise normal log-likelihood is evaluated per missing-data pattern
from the pattern's observed-variable means and covariances.  The
unrestricted (h1) model is fitted by EM; the independence baseline has a
closed form (each variable's available-case mean and variance).  Standard
errors use the observed information (numerical Hessian of the analytic
gradient), lavaan's default with ``missing = "ml"``.  :class:`Patterns` also
gives the casewise scores, the saturated model's observed information and the
expected information that robust FIML (:mod:`validate.sem.robust_fiml`) and
modification indices need.

Notes
-----
Checked against lavaan 0.6.14 ``cfa(..., missing = "ml")`` on the
Holzinger-Swineford data with artificial holes
(tests/fixtures/lavaan/holzinger_cfa_fiml.json).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .estimate import chol_inv
from .model import CompiledModel

__all__ = ["Patterns", "em_h1", "fiml_fit", "fiml_loglik"]


@dataclass
class _Pattern:
    obs: np.ndarray       # indices of observed variables
    n: int
    mean: np.ndarray      # mean of observed part
    cov: np.ndarray       # covariance (divisor n) of observed part
    ixo: tuple = None     # np.ix_(obs, obs), cached
    rows: np.ndarray = None  # positions of the pattern's cases in Patterns.Y
    complete: bool = False


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
        inv = inv.ravel()
        self.patterns = []
        for k, key in enumerate(keys):
            idx = np.flatnonzero(inv == k)
            rows = Y[idx][:, key]
            m = rows.mean(axis=0)
            E = rows - m
            o = np.flatnonzero(key)
            self.patterns.append(_Pattern(o, len(rows), m, E.T @ E / len(rows), np.ix_(o, o), idx,
                                          len(o) == self.p))

    def evaluate(self, Sigma, mu, grad=True):
        """Log-likelihood and (optionally) its derivatives with respect to Sigma and mu.

        Returns ``(ll, GS, gm)``: ``GS`` is ``dl/dSigma`` as a symmetric matrix (each element
        treated as distinct), ``gm = dl/dmu``; ``(-inf, None, None)`` when a pattern's implied
        covariance matrix is not positive definite.
        """
        p = self.p
        GS = np.zeros((p, p)) if grad else None
        gm = np.zeros(p) if grad else None
        ll = 0.0
        l2pi = np.log(2 * np.pi)
        for pt in self.patterns:
            o = pt.obs
            if pt.complete:
                Vi, logdet = chol_inv(Sigma)
                d = pt.mean - mu
            else:
                Vi, logdet = chol_inv(Sigma[pt.ixo])
                d = pt.mean - mu[o]
            if Vi is None:
                return -np.inf, None, None
            C = pt.cov + np.outer(d, d)
            ll -= 0.5 * pt.n * (len(o) * l2pi + logdet + np.vdot(C, Vi))
            if grad:
                VC = Vi @ C
                W = Vi - VC @ Vi
                if pt.complete:
                    GS -= (0.5 * pt.n) * W
                    gm += pt.n * (Vi @ d)
                else:
                    GS[pt.ixo] -= (0.5 * pt.n) * W
                    gm[o] += pt.n * (Vi @ d)
        return ll, GS, gm

    def loglik(self, Sigma, mu):
        return self.evaluate(Sigma, mu, grad=False)[0]

    def dloglik(self, Sigma, mu):
        """Derivatives of the log-likelihood with respect to Sigma (symmetric matrix form) and mu."""
        _, GS, gm = self.evaluate(Sigma, mu)
        return GS, gm

    def moment_scores(self, Sigma, mu, rr, cc, vech_w):
        """Casewise derivatives of the log-likelihood with respect to (vech Sigma, mu).

        One row per case (in the order of ``self.Y``); columns are the covariance cells
        ``(rr, cc)`` (each distinct element one parameter) followed by the means, as
        :meth:`CompiledModel.delta`. Variables a case did not answer contribute zero.
        """
        p = self.p
        out = np.zeros((self.n, len(rr) + p))
        for pt in self.patterns:
            o = pt.obs
            Vi, _ = chol_inv(Sigma[pt.ixo])
            if Vi is None:
                raise np.linalg.LinAlgError("implied covariance matrix not positive definite")
            U = np.zeros((len(pt.rows), p))
            U[:, o] = (self.Y[pt.rows][:, o] - mu[o]) @ Vi
            Vf = np.zeros((p, p))
            Vf[pt.ixo] = Vi
            cov = 0.5 * vech_w * (U[:, rr] * U[:, cc] - Vf[rr, cc])
            has = np.zeros(p, dtype=bool)
            has[o] = True
            cov[:, ~(has[rr] & has[cc])] = 0.0
            out[pt.rows, :len(rr)] = cov
            out[pt.rows, len(rr):] = U
        return out

    def _padded(self, Sigma, mu=None):
        """Per pattern: n, Sigma_oo^-1 zero-padded to p x p, and (with ``mu``) the padded d, C."""
        p = self.p
        for pt in self.patterns:
            Vi, _ = chol_inv(Sigma[pt.ixo])
            if Vi is None:
                raise np.linalg.LinAlgError("implied covariance matrix not positive definite")
            Vf = np.zeros((p, p))
            Vf[pt.ixo] = Vi
            if mu is None:
                yield pt, Vi, Vf
            else:
                yield pt, Vi, Vf, pt.mean - mu[pt.obs]

    def expected_information(self, Sigma, rr, cc):
        """Expected information of the missing-data likelihood in (vech Sigma, mu), total over cases.

        Each pattern contributes its cases times the complete-data expected information of its
        observed variables (lavaan's ``lav_mvnorm_missing_information_expected`` times N):
        ``s_ab s_cd (V_ac V_bd + V_ad V_bc)`` for the covariance cells (``s`` = 1/2 on the
        diagonal) and ``V`` for the means, ``V`` the pattern's inverse covariance matrix
        padded with zeros. The sum over patterns of the products is one matrix product
        ``K = sum_p n_p vec(V_p) vec(V_p)'`` from which the cells are gathered.
        """
        p = self.p
        P = len(self.patterns)
        vecs = np.zeros((P, p * p))
        ns = np.zeros(P)
        Vsum = np.zeros((p, p))
        for k, (pt, _Vi, Vf) in enumerate(self._padded(Sigma)):
            vecs[k] = Vf.ravel()
            ns[k] = pt.n
            Vsum += pt.n * Vf
        K = (vecs.T * ns) @ vecs
        A, B = rr, cc
        s = np.where(rr == cc, 0.5, 1.0)
        cov = (K[A[:, None] * p + A[None, :], B[:, None] * p + B[None, :]]
               + K[A[:, None] * p + B[None, :], B[:, None] * p + A[None, :]])
        cov *= np.outer(s, s)
        ps = len(rr)
        info = np.zeros((ps + p, ps + p))
        info[:ps, :ps] = cov
        info[ps:, ps:] = Vsum
        return info

    def h1_information(self, Sigma, mu, rr, cc):
        """Observed information (minus the Hessian) of the saturated log-likelihood, total over cases.

        Parameters are ``(vech Sigma, mu)`` as in :meth:`moment_scores` (cells ``rr >= cc``, each
        distinct element one parameter). lavaan's ``lav_mvnorm_missing_information_observed_
        samplestats`` times N. Per pattern, with ``V = Sigma_oo^-1``, ``C`` the pattern's
        moments about ``mu``, ``Z = V C V - V / 2`` and ``v = V (ybar - mu)``: covariance cells
        ``n s s' (V_bc Z_ad + V_ad Z_bc + V_bd Z_ac + V_ac Z_bd)``, means x cells
        ``n s (V_ma v_b + V_mb v_a)``, means ``n V``; summed over patterns by matrix products
        as in :meth:`expected_information`.
        """
        p = self.p
        P = len(self.patterns)
        X = np.zeros((P, p * p))
        Z = np.zeros((P, p * p))
        vv = np.zeros((P, p))
        ns = np.zeros(P)
        Vsum = np.zeros((p, p))
        for k, (pt, Vi, Vf, d) in enumerate(self._padded(Sigma, mu)):
            C = pt.cov + np.outer(d, d)
            Zo = Vi @ C @ Vi - 0.5 * Vi
            Zf = np.zeros((p, p))
            Zf[pt.ixo] = Zo
            X[k] = Vf.ravel()
            Z[k] = Zf.ravel()
            vv[k, pt.obs] = Vi @ d
            ns[k] = pt.n
            Vsum += pt.n * Vf
        Xn = X.T * ns
        K = Xn @ Z                      # K[(i,j),(k,l)] = sum n V_ij Z_kl
        L = Xn @ vv                     # L[(m,a), b] = sum n V_ma v_b
        A, B = rr, cc
        s = np.where(rr == cc, 0.5, 1.0)
        t1 = K[B[:, None] * p + A[None, :], A[:, None] * p + B[None, :]]   # V_bc Z_ad
        cov = t1 + t1.T                                                      # + V_ad Z_bc
        cov += K[B[:, None] * p + B[None, :], A[:, None] * p + A[None, :]]  # V_bd Z_ac
        cov += K[A[:, None] * p + A[None, :], B[:, None] * p + B[None, :]]  # V_ac Z_bd
        cov *= np.outer(s, s)
        m = np.arange(p)
        mc = (L[m[:, None] * p + A[None, :], B[None, :]] + L[m[:, None] * p + B[None, :], A[None, :]]) * s
        ps = len(rr)
        info = np.zeros((ps + p, ps + p))
        info[:ps, :ps] = cov
        info[ps:, :ps] = mc
        info[:ps, ps:] = mc.T
        info[ps:, ps:] = Vsum
        return info


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
        try:
            Sigma, mu, U, V, dmu = cm.cells(theta, g)
        except np.linalg.LinAlgError:
            return np.inf, None, None
        l, GS, gm = pat.evaluate(Sigma, mu)
        if not np.isfinite(l):
            return np.inf, None, None
        ll += l
        # d(-2 l / N) / dcell:  tr(dL/dSigma dSigma) with dSigma = u v' + v u'
        gc = -2.0 / N * (2.0 * np.einsum("ij,ij->i", U @ GS, V) + dmu @ gm)
        grad += b.agg @ gc
        if hessian:
            Vi, _ = chol_inv(Sigma)
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
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", linalg.LinAlgWarning)
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
