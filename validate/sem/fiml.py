"""Full-information ML (lavaan's ``missing = "ml"``) for incomplete data.

The casewise normal log-likelihood is evaluated from the inverse of the full implied covariance
matrix alone: a case missing the variables ``m`` has ``Sigma_oo^-1 = V_oo - V_om M^-1 V_mo``
(``V = Sigma^-1``, ``M = V_mm``, a ``k x k`` matrix for ``k`` missing answers) and
``log|Sigma_oo| = log|Sigma| + log|M|`` (partitioned inverse; e.g. Harville 1997, 8.5). Filling
a case's missing residuals with their conditional means ``e_m = -M^-1 (V e)_m`` makes
``u = V e`` zero on the missing variables and equal to ``Sigma_oo^-1 e_o`` on the observed ones,
so the log-likelihood, its gradient and the E step of EM are a few products of ``n x p``
matrices plus one small ``k x k`` solve per missing-data pattern (patterns with the same ``k``
batched) instead of one Cholesky factorisation per pattern.

The unrestricted (h1) model is fitted by EM; the independence baseline has a closed form (each
variable's available-case mean and variance). Standard errors use the observed information,
lavaan's default with ``missing = "ml"``, computed analytically (:func:`fiml_observed_information`:
per pattern a low-rank update of the complete-data terms, plus the second derivatives of the
implied moments). :class:`Patterns` also gives the casewise scores, the saturated model's
observed information and the expected information that robust FIML
(:mod:`validate.sem.robust_fiml`) and modification indices need.

Notes
-----
Checked against lavaan 0.6.14 ``cfa(..., missing = "ml")`` on the Holzinger-Swineford data with
artificial holes (tests/fixtures/lavaan/holzinger_cfa_fiml.json), and the analytic observed
information against central differences of the analytic gradient (tests/test_sem_fiml.py).

References
----------
Harville, D. A. (1997). Matrix algebra from a statistician's perspective. Springer.
Little, R. J. A., & Rubin, D. B. (2002). Statistical analysis with missing data (2nd ed.), ch. 8
(EM for the multivariate normal). Wiley.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .estimate import add_sigma_curvature, chol_inv
from .model import CompiledModel

__all__ = ["Patterns", "em_h1", "fiml_expected_information", "fiml_fit", "fiml_loglik",
           "fiml_observed_information"]

_L2PI = float(np.log(2 * np.pi))


@dataclass
class _Pattern:
    obs: np.ndarray       # indices of observed variables
    n: int
    mean: np.ndarray      # mean of observed part
    cov: np.ndarray       # covariance (divisor n) of observed part
    ixo: tuple = None     # np.ix_(obs, obs), cached
    rows: np.ndarray = None  # positions of the pattern's cases in Patterns.Y
    complete: bool = False
    miss: np.ndarray = None  # indices of the missing variables


@dataclass
class _Group:
    """The incomplete patterns with the same number ``k`` of missing variables."""

    k: int
    pid: np.ndarray       # (P,) positions in Patterns.patterns
    miss: np.ndarray      # (P, k) missing variables of each pattern
    npat: np.ndarray      # (P,) cases per pattern
    rows: np.ndarray      # (n_k,) the cases (positions in Patterns.Y)
    cpat: np.ndarray      # (n_k,) each case's pattern (position in pid)


@dataclass
class _Solved:
    """Everything at one (Sigma, mu) that the likelihood and its derivatives are made of."""

    Vi: np.ndarray        # Sigma^-1
    logdet: float
    ll: float             # log-likelihood
    E: np.ndarray         # (n, p) residuals y - mu, zero where missing
    Ehat: np.ndarray      # (n, p) residuals with the missing ones replaced by their conditional means
    U: np.ndarray         # (n, p) Sigma_oo^-1 e_o, zero where missing (= Ehat @ Vi)
    D: np.ndarray         # (p, p) sum over cases of M^-1 placed at (m, m) (conditional covariances)
    minv: list            # per group: (P, k, k) M^-1 of each pattern


class Patterns:
    """Missing-data patterns of one group.

    Rows with no observed value are dropped (as lavaan). ``patterns`` lists the patterns (observed
    variables, count, observed-variable means and covariances, cases); the incomplete ones are
    also grouped by the number of missing variables for the batched computations.
    """

    def __init__(self, Y: np.ndarray):
        mask = ~np.isnan(Y)
        keep = mask.any(axis=1)
        Y, mask = Y[keep], mask[keep]
        self.Y = Y
        self.mask = mask
        self.n = len(Y)
        self.p = p = Y.shape[1]
        self._Y0 = np.where(mask, Y, 0.0)
        self._maskf = mask.astype(float)
        self._nobs = int(mask.sum())
        keys, inv = np.unique(mask, axis=0, return_inverse=True)
        inv = inv.ravel()
        order = np.argsort(inv, kind="stable")
        bounds = np.searchsorted(inv[order], np.arange(len(keys) + 1))
        self.patterns = []
        allv = np.arange(p)
        for k, key in enumerate(keys):
            idx = order[bounds[k]:bounds[k + 1]]
            o = np.flatnonzero(key)
            rows = Y[np.ix_(idx, o)]
            m = rows.mean(axis=0)
            E = rows - m
            self.patterns.append(_Pattern(o, len(idx), m, E.T @ E / len(idx), np.ix_(o, o), idx,
                                          len(o) == p, allv[~key]))
        self.groups = []
        ks = np.array([len(pt.miss) for pt in self.patterns])
        for k in np.unique(ks[ks > 0]):
            pid = np.flatnonzero(ks == k)
            rows = np.concatenate([self.patterns[i].rows for i in pid])
            cpat = np.repeat(np.arange(len(pid)), [self.patterns[i].n for i in pid])
            self.groups.append(_Group(int(k), pid, np.stack([self.patterns[i].miss for i in pid]),
                                      np.array([self.patterns[i].n for i in pid], dtype=float),
                                      rows, cpat))

    # ------------------------------------------------------------------ core
    def solve(self, Sigma, mu):
        """The pieces of the likelihood at ``(Sigma, mu)`` (a :class:`_Solved`); None if not PD."""
        Vi, logdet = chol_inv(Sigma)
        if Vi is None:
            return None
        E = self._Y0 - self._maskf * mu
        U = E @ Vi
        Ehat = E.copy()
        p = self.p
        D = np.zeros((p, p))
        ldm = 0.0
        minv = []
        for gr in self.groups:
            m = gr.miss
            M = Vi[m[:, :, None], m[:, None, :]]
            try:
                L = np.linalg.cholesky(M)
            except np.linalg.LinAlgError:
                return None
            ldm += 2.0 * float(gr.npat @ np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1))
            Mi = np.linalg.inv(M)
            minv.append(Mi)
            r, mi = gr.rows, m[gr.cpat]
            f = np.take_along_axis(U[r], mi, axis=1)
            z = np.einsum("nab,nb->na", Mi[gr.cpat], f)
            Ehat[r[:, None], mi] = -z
            U[r] -= np.einsum("na,nap->np", z, Vi[mi])
            np.add.at(D, (m[:, :, None], m[:, None, :]), Mi * gr.npat[:, None, None])
        U[~self.mask] = 0.0
        quad = float(np.vdot(E, U))
        ll = -0.5 * (self._nobs * _L2PI + self.n * logdet + ldm + quad)
        return _Solved(Vi, logdet, ll, E, Ehat, U, D, minv)

    def _derivatives(self, s: _Solved):
        """``(GS, gm)``: dl/dSigma (symmetric matrix form) and dl/dmu at a solved point."""
        Vi = s.Vi
        W = self.n * Vi - Vi @ s.D @ Vi - s.U.T @ s.U   # sum over cases of Sigma_oo^-1 - u u'
        return -0.5 * W, s.U.sum(axis=0)

    def evaluate(self, Sigma, mu, grad=True):
        """Log-likelihood and (optionally) its derivatives with respect to Sigma and mu.

        Returns ``(ll, GS, gm)``: ``GS`` is ``dl/dSigma`` as a symmetric matrix (each element
        treated as distinct), ``gm = dl/dmu``; ``(-inf, None, None)`` when a pattern's implied
        covariance matrix is not positive definite.
        """
        s = self.solve(Sigma, mu)
        if s is None:
            return -np.inf, None, None
        if not grad:
            return s.ll, None, None
        GS, gm = self._derivatives(s)
        return s.ll, GS, gm

    def loglik(self, Sigma, mu):
        return self.evaluate(Sigma, mu, grad=False)[0]

    def dloglik(self, Sigma, mu):
        """Derivatives of the log-likelihood with respect to Sigma (symmetric matrix form) and mu."""
        _, GS, gm = self.evaluate(Sigma, mu)
        return GS, gm

    def _solved(self, Sigma, mu):
        s = self.solve(Sigma, mu)
        if s is None:
            raise np.linalg.LinAlgError("implied covariance matrix not positive definite")
        return s

    def _padded_inverses(self, s: _Solved):
        """Per pattern (in ``self.patterns`` order): ``Sigma_oo^-1`` zero-padded to p x p."""
        out = [None] * len(self.patterns)
        Vi = s.Vi
        for gr, Mi in zip(self.groups, s.minv):
            for j, pid in enumerate(gr.pid):
                m = gr.miss[j]
                Vm = Vi[m]                       # (k, p)
                Vf = Vi - Vm.T @ Mi[j] @ Vm
                Vf[m, :] = 0.0
                Vf[:, m] = 0.0
                out[pid] = Vf
        for i, pt in enumerate(self.patterns):
            if pt.complete:
                out[i] = Vi
        return out

    def moment_scores(self, Sigma, mu, rr, cc, vech_w):
        """Casewise derivatives of the log-likelihood with respect to (vech Sigma, mu).

        One row per case (in the order of ``self.Y``); columns are the covariance cells
        ``(rr, cc)`` (each distinct element one parameter) followed by the means, as
        :meth:`CompiledModel.delta`. Variables a case did not answer contribute zero.
        """
        s = self._solved(Sigma, mu)
        U = s.U
        Vi = s.Vi
        Vcase = np.broadcast_to(Vi[rr, cc], (self.n, len(rr))).copy()
        for gr, Mi in zip(self.groups, s.minv):
            Gm = Vi[gr.miss]                                   # (P, k, p)
            H = np.einsum("jab,jbp->jap", Mi, Gm)
            corr = np.einsum("jap,jap->jp", Gm[:, :, rr], H[:, :, cc])
            Vcase[gr.rows] -= corr[gr.cpat]
        cov = 0.5 * vech_w * (U[:, rr] * U[:, cc] - Vcase)
        cov[~(self.mask[:, rr] & self.mask[:, cc])] = 0.0
        return np.hstack([cov, U])

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
        s = self._solved(Sigma, np.zeros(p))
        Vfs = self._padded_inverses(s)
        vecs = np.stack([Vf.ravel() for Vf in Vfs])
        ns = np.array([pt.n for pt in self.patterns], dtype=float)
        Vsum = self.n * s.Vi - s.Vi @ s.D @ s.Vi
        K = (vecs.T * ns) @ vecs
        A, B = rr, cc
        sc = np.where(rr == cc, 0.5, 1.0)
        cov = (K[A[:, None] * p + A[None, :], B[:, None] * p + B[None, :]]
               + K[A[:, None] * p + B[None, :], B[:, None] * p + A[None, :]])
        cov *= np.outer(sc, sc)
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
        s = self._solved(Sigma, mu)
        Vfs = self._padded_inverses(s)
        P = len(self.patterns)
        X = np.zeros((P, p * p))
        Z = np.zeros((P, p * p))
        vv = np.zeros((P, p))
        ns = np.zeros(P)
        for k, (pt, Vf) in enumerate(zip(self.patterns, Vfs)):
            # n C = sum over the pattern's cases of e e' (zero where missing)
            Up = s.U[pt.rows]
            X[k] = Vf.ravel()
            Z[k] = ((Up.T @ Up) / pt.n - 0.5 * Vf).ravel()     # V C V - V/2
            vv[k] = Up.sum(axis=0) / pt.n                        # V (ybar - mu)
            ns[k] = pt.n
        Vsum = self.n * s.Vi - s.Vi @ s.D @ s.Vi
        Xn = X.T * ns
        K = Xn @ Z                      # K[(i,j),(k,l)] = sum n V_ij Z_kl
        L = Xn @ vv                     # L[(m,a), b] = sum n V_ma v_b
        A, B = rr, cc
        sc = np.where(rr == cc, 0.5, 1.0)
        t1 = K[B[:, None] * p + A[None, :], A[:, None] * p + B[None, :]]   # V_bc Z_ad
        cov = t1 + t1.T                                                      # + V_ad Z_bc
        cov += K[B[:, None] * p + B[None, :], A[:, None] * p + A[None, :]]  # V_bd Z_ac
        cov += K[A[:, None] * p + A[None, :], B[:, None] * p + B[None, :]]  # V_ac Z_bd
        cov *= np.outer(sc, sc)
        m = np.arange(p)
        mc = (L[m[:, None] * p + A[None, :], B[None, :]] + L[m[:, None] * p + B[None, :], A[None, :]]) * sc
        ps = len(rr)
        info = np.zeros((ps + p, ps + p))
        info[:ps, :ps] = cov
        info[ps:, :ps] = mc
        info[:ps, ps:] = mc.T
        info[ps:, ps:] = Vsum
        return info

    # ---------------------------------------------------------------- model Hessian
    def cell_hessian(self, st, s: _Solved | None = None):
        """Exact Hessian of ``-2 l`` (total over cases) with respect to the free cells of a group.

        ``st`` is the model's :class:`validate.sem.model._State` at the point. Per pattern, with
        ``V = Sigma_oo^-1`` (padded), ``W = V - V C V`` and ``r = V (ybar - mu)``, a case's
        ``f = log|Sigma_oo| + tr(V C)`` has

        ``d2f = tr(V dS_k V dS_l) - 2 tr(V dS_k W dS_l) + 2 r' (dS_k V dmu_l + dS_l V dmu_k)
        + 2 dmu_k' V dmu_l + tr(W d2S_kl) - 2 r' d2mu_kl``.

        The first four terms are gathered per pattern from ``Z V Z'`` (a rank-``k`` update of
        the complete-data ``Z Sigma^-1 Z'``); the second derivatives of the implied moments are
        linear in ``W`` and ``r`` and use their sums over the cases.
        """
        b = st.b
        if s is None:
            s = self._solved(st.Sigma, st.mu)
        n = self.n
        Vi = s.Vi
        Z = st.basis()
        ZVi = Z @ Vi
        Q0 = ZVi @ Z.T
        ZU = s.U @ Z.T
        dmu = st.dmu()
        Vd = Vi @ dmu.T                   # (p, c)
        ZVd0 = Z @ Vd                     # (nz, c)
        zu, zv = b.z_u, b.z_v
        uu, vv, uv = b.z_uu, b.z_vv, b.z_uv
        c = len(zu)
        Hq = np.zeros((c, c))
        Hr = np.zeros((c, c))
        X = np.zeros((c, c))
        mis = {}
        for gr, Mi in zip(self.groups, s.minv):
            for j, pid in enumerate(gr.pid):
                mis[pid] = (gr.miss[j], Mi[j])
        for i, pt in enumerate(self.patterns):
            if pt.complete:
                Q, ZVd = Q0, ZVd0
            else:
                m, Mi = mis[i]
                Y = ZVi[:, m]
                YM = Y @ Mi
                Q = Q0 - YM @ Y.T
                ZVd = ZVd0 - YM @ Vd[m]
            Zp = ZU[pt.rows]
            R = pt.n * Q - Zp.T @ Zp          # Z (n W) Z'
            Quu, Qvv, Quv = Q.take(uu), Q.take(vv), Q.take(uv)
            Hq += pt.n * (Quu * Qvv + Quv * Quv.T)
            Ruv = R.take(uv)
            Hr += Quv.T * Ruv
            Hr += Qvv * R.take(uu)
            Hr += Quu * R.take(vv)
            Hr += Quv * Ruv.T
            sp = Zp.sum(axis=0)               # Z sum_i u_i = n Z r
            X += sp[zu][:, None] * ZVd[zv] + sp[zv][:, None] * ZVd[zu]
        Hc = (Hq - Hr) * (2.0 * b.z_s2)
        X *= b.z_su[:, None]
        X += X.T
        Hc += 2.0 * X
        DV = dmu @ Vi
        Hc += 2.0 * (n * (DV @ dmu.T) - DV @ s.D @ DV.T)
        # second derivatives of Sigma and mu
        W = n * Vi - Vi @ s.D @ Vi - s.U.T @ s.U
        add_sigma_curvature(st, Z @ W @ Z.T, Hc)
        nA, nS, nM = b.nA, b.nS, b.nM
        if nA and st.cm.meanstructure:
            gG = -2.0 * (st.G.T @ s.U.sum(axis=0))
            T = st.T
            Tm = T @ st.m
            ar, ac = b.A_r, b.A_c
            t2 = gG[ar][:, None] * T[ac[:, None], ar[None, :]] * Tm[ac][None, :]
            Hc[:nA, :nA] += t2 + t2.T
            if nM:
                am = gG[ar][:, None] * T[ac[:, None], b.m_r[None, :]]
                Hc[:nA, nA + nS:] += am
                Hc[nA + nS:, :nA] += am.T
        return Hc


def em_h1(pat: Patterns, max_iter=5000, tol=1e-10, start=None):
    """EM estimates of the saturated mean vector and covariance matrix.

    Returns ``(Sigma, mu, ll)``. Starts from ``start = (Sigma, mu)`` if given, else from the
    available-case means and variances. Stops when the log-likelihood changes by less than
    ``tol * max(1, |ll|)`` between two iterations. The E step fills each case's missing
    residuals with their conditional means (:meth:`Patterns.solve`); the M step adds the
    conditional covariances ``M^-1`` to the cross-products (Little & Rubin 2002, 8.2.1).
    """
    if start is not None:
        Sigma, mu = np.array(start[0], dtype=float), np.array(start[1], dtype=float)
    else:
        mu = np.nanmean(pat.Y, axis=0)
        Sigma = np.diag(np.nanvar(pat.Y, axis=0))
    n = pat.n
    prev = -np.inf
    ll = -np.inf
    for _ in range(max_iter):
        s = pat._solved(Sigma, mu)
        ll = s.ll
        if abs(ll - prev) < tol * max(1.0, abs(ll)):
            return Sigma, mu, ll
        prev = ll
        Eh = s.Ehat
        delta = Eh.sum(axis=0) / n
        Sigma = (Eh.T @ Eh + s.D) / n - np.outer(delta, delta)
        Sigma = 0.5 * (Sigma + Sigma.T)
        mu = mu + delta
    return Sigma, mu, pat.loglik(Sigma, mu)


def fiml_loglik(cm: CompiledModel, theta, pats):
    total = 0.0
    for g, pat in enumerate(pats):
        Sigma, mu = cm.implied(theta, g)
        total += pat.loglik(Sigma, mu)
    return total


def _aggregate(b, Hc, q):
    if b.cell_inv is not None:
        return Hc.take(b.cell_inv2).reshape(q, q)
    return b.agg @ Hc @ b.agg.T


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
        s = pat.solve(Sigma, mu)
        if s is None or not np.isfinite(s.ll):
            return np.inf, None, None
        ll += s.ll
        GS, gm = pat._derivatives(s)
        # d(-2 l / N) / dcell:  tr(dL/dSigma dSigma) with dSigma = u v' + v u'
        gc = -2.0 / N * (2.0 * np.einsum("ij,ij->i", U @ GS, V) + dmu @ gm)
        grad += b.agg @ gc
        if hessian:
            Vi = s.Vi
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
    """Total observed information (Hessian of -logl) of the free parameters, analytic.

    The sum over groups of ``agg Hc agg' / 2`` with ``Hc`` = :meth:`Patterns.cell_hessian`.
    Agrees with central differences of the analytic gradient (the earlier implementation,
    :func:`_numerical_observed_information`) to about 1e-8 relative.
    """
    q = cm.nfree
    H = np.zeros((q, q))
    for g, pat in enumerate(pats):
        st = cm.state(theta, g)
        H += 0.5 * _aggregate(cm.blocks[g], pat.cell_hessian(st), q)
    return 0.5 * (H + H.T)


def _numerical_observed_information(cm: CompiledModel, theta, pats):
    """Total observed information by central differences of the gradient (for checking)."""
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


def fiml_expected_information(cm: CompiledModel, theta, pats):
    """Total expected information of the free parameters: ``sum_g Delta' I_g Delta``.

    ``I_g`` is :meth:`Patterns.expected_information` at the implied moments.
    """
    q = cm.nfree
    out = np.zeros((q, q))
    for g, pat in enumerate(pats):
        D = cm.delta(theta, g)
        out += D.T @ pat.expected_information(cm.implied(theta, g)[0], cm.rr, cm.cc) @ D
    return out
