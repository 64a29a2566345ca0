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
variable's available-case mean and variance). The model is fitted by Newton-type steps
(:func:`fiml_fit`: the complete-data expected Hessian far from the optimum, the exact one near
it, each kept while it works); :func:`fiml_refit` refits the estimates alone from a start (the
bootstrap). Standard errors use the observed information, lavaan's default with
``missing = "ml"``, computed analytically (:func:`fiml_information`: per pattern a low-rank
update of the complete-data terms, plus the second derivatives of the implied moments). :class:`Patterns` also gives the casewise scores, the saturated model's
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
from scipy.linalg import lapack

from .estimate import add_sigma_curvature, chol_inv, cov_hessian
from .model import CompiledModel

__all__ = [
    "Patterns",
    "em_h1",
    "fiml_expected_information",
    "fiml_fit",
    "fiml_information",
    "fiml_loglik",
    "fiml_observed_information",
    "fiml_refit",
]

_L2PI = float(np.log(2 * np.pi))


def _vech_lut(p, rr, cc):
    """``lut[i, j]``: position of the cell (i, j) (either order) in the vech order ``(rr, cc)``."""
    lut = np.empty((p, p), dtype=np.intp)
    k = np.arange(len(rr))
    lut[rr, cc] = k
    lut[cc, rr] = k
    return lut


_GATHER_CACHE: dict = {}


def _vech_gathers(p, rr, cc):
    """Flat indices into a (vech x vech) matrix ``K`` of the four products of the information.

    For cells ``(a, b)`` (rows) and ``(c, d)`` (columns), ``a = rr``, ``b = cc``: ``K`` at
    ``[(b,a),(a',b')]``, ``[(b,b'),(a,a')]``, ``[(a,a'),(b,b')]`` and ``[(a,b'),(b,a')]``
    (``(i,j)`` = the vech position of the cell, either order). Cached per ``p``.
    """
    key = (p, rr.tobytes(), cc.tobytes())
    out = _GATHER_CACHE.get(key)
    if out is None:
        lut = _vech_lut(p, rr, cc)
        ps = len(rr)
        A, B = rr, cc
        out = tuple(
            lut[i1[:, None], i2[None, :]] * ps + lut[j1[:, None], j2[None, :]]
            for (i1, i2, j1, j2) in ((B, A, A, B), (B, B, A, A), (A, A, B, B), (A, B, B, A))
        )
        _GATHER_CACHE.clear()
        _GATHER_CACHE[key] = out
    return out


class _Pattern:
    """One missing-data pattern: observed and missing variables, count, cases.

    ``mean`` and ``cov`` (divisor n) of the observed variables are computed when first read.
    """

    __slots__ = ("obs", "n", "rows", "complete", "miss", "_Y", "_mean", "_cov")

    def __init__(self, obs, n, rows, complete, miss, Y):
        self.obs, self.n, self.rows, self.complete, self.miss = obs, n, rows, complete, miss
        self._Y = Y
        self._mean = self._cov = None

    @property
    def ixo(self):
        return np.ix_(self.obs, self.obs)

    def _moments(self):
        rows = self._Y[np.ix_(self.rows, self.obs)]
        self._mean = rows.mean(axis=0)
        E = rows - self._mean
        self._cov = E.T @ E / self.n

    @property
    def mean(self):
        if self._mean is None:
            self._moments()
        return self._mean

    @property
    def cov(self):
        if self._cov is None:
            self._moments()
        return self._cov


@dataclass
class _Group:
    """The incomplete patterns with the same number ``k`` of missing variables."""

    k: int
    pid: np.ndarray  # (P,) positions in Patterns.patterns
    miss: np.ndarray  # (P, k) missing variables of each pattern
    npat: np.ndarray  # (P,) cases per pattern
    rows: np.ndarray  # (n_k,) the cases (positions in Patterns.Y)
    cpat: np.ndarray  # (n_k,) each case's pattern (position in pid)
    cmiss: np.ndarray  # (n_k, k) each case's missing variables
    flat_mm: np.ndarray  # (P, k, k) flat positions of (m, m) in a p x p matrix
    flat_case: np.ndarray  # (n_k, k) flat positions of the cases' missing cells in an n x p matrix


@dataclass
class _Solved:
    """Everything at one (Sigma, mu) that the likelihood and its derivatives are made of."""

    Vi: np.ndarray  # Sigma^-1
    logdet: float
    ll: float  # log-likelihood
    E: np.ndarray  # (n, p) residuals y - mu, zero where missing
    Ehat: np.ndarray  # (n, p) residuals with the missing ones replaced by their conditional means
    U: np.ndarray  # (n, p) Sigma_oo^-1 e_o, zero where missing (= Ehat @ Vi)
    D: np.ndarray  # (p, p) sum over cases of M^-1 placed at (m, m) (conditional covariances)
    minv: list  # per group: (P, k, k) M^-1 of each pattern


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
        # patterns: one byte string per row (bits of the mask), sorted and grouped
        packed = np.ascontiguousarray(np.packbits(mask, axis=1))
        keys, first, inv = np.unique(
            packed.view(np.dtype((np.void, packed.shape[1]))).ravel(), return_index=True, return_inverse=True
        )
        inv = inv.ravel()
        order = np.argsort(inv, kind="stable")
        bounds = np.searchsorted(inv[order], np.arange(len(keys) + 1))
        self.patterns = []
        allv = np.arange(p)
        for k in range(len(keys)):
            key = mask[first[k]]
            idx = order[bounds[k] : bounds[k + 1]]
            o = allv[key]
            self.patterns.append(_Pattern(o, len(idx), idx, len(o) == p, allv[~key], Y))
        self.groups = []
        ks = np.array([len(pt.miss) for pt in self.patterns])
        for k in np.unique(ks[ks > 0]):
            pid = np.flatnonzero(ks == k)
            rows = np.concatenate([self.patterns[i].rows for i in pid])
            cpat = np.repeat(np.arange(len(pid)), [self.patterns[i].n for i in pid])
            miss = np.stack([self.patterns[i].miss for i in pid])
            cmiss = miss[cpat]
            self.groups.append(
                _Group(
                    int(k),
                    pid,
                    miss,
                    np.array([self.patterns[i].n for i in pid], dtype=float),
                    rows,
                    cpat,
                    cmiss,
                    miss[:, :, None] * p + miss[:, None, :],
                    rows[:, None] * p + cmiss,
                )
            )
        self._miss_flat = np.flatnonzero(~mask)

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
        Dflat = np.zeros(p * p)
        ldm = 0.0
        minv = []
        Uf, Ef = U.reshape(-1), Ehat.reshape(-1)
        for gr in self.groups:
            M = Vi.take(gr.flat_mm)  # (P, k, k) = Vi[m, m]
            if gr.k == 1:  # the common case: a scalar
                if not np.all(M > 0):
                    return None
                Mi = 1.0 / M
                ldm += float(gr.npat @ np.log(M[:, 0, 0]))
                z = Mi[gr.cpat, 0, 0] * Uf.take(gr.flat_case[:, 0])
                Ef[gr.flat_case[:, 0]] = -z
                U[gr.rows] -= z[:, None] * Vi.take(gr.cmiss[:, 0], axis=0)
            else:
                try:
                    L = np.linalg.cholesky(M)
                except np.linalg.LinAlgError:
                    return None
                ldm += 2.0 * float(gr.npat @ np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1))
                Mi = np.linalg.inv(M)
                z = np.einsum("nab,nb->na", Mi[gr.cpat], Uf.take(gr.flat_case))
                Ef[gr.flat_case] = -z
                U[gr.rows] -= np.einsum("na,nap->np", z, Vi[gr.cmiss])
            minv.append(Mi)
            Dflat += np.bincount(gr.flat_mm.ravel(), weights=(Mi * gr.npat[:, None, None]).ravel(), minlength=p * p)
        Uf[self._miss_flat] = 0.0
        quad = float(np.vdot(E, U))
        ll = -0.5 * (self._nobs * _L2PI + self.n * logdet + ldm + quad)
        return _Solved(Vi, logdet, ll, E, Ehat, U, Dflat.reshape(p, p), minv)

    def _derivatives(self, s: _Solved):
        """``(GS, gm)``: dl/dSigma (symmetric matrix form) and dl/dmu at a solved point."""
        Vi = s.Vi
        W = self.n * Vi - Vi @ s.D @ Vi - s.U.T @ s.U  # sum over cases of Sigma_oo^-1 - u u'
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
                Vm = Vi[m]  # (k, p)
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
            Gm = Vi[gr.miss]  # (P, k, p)
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
        vecs = np.stack([Vf[rr, cc] for Vf in Vfs])
        ns = np.array([pt.n for pt in self.patterns], dtype=float)
        Vsum = self.n * s.Vi - s.Vi @ s.D @ s.Vi
        K = (vecs.T * ns) @ vecs  # K[(a,b),(c,d)] = sum n V_ab V_cd, over vech pairs
        _, _, g_aabb, g_abba = _vech_gathers(p, rr, cc)
        sc = np.where(rr == cc, 0.5, 1.0)
        cov = K.take(g_aabb)
        cov += K.take(g_abba)
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
            Z[k] = ((Up.T @ Up) / pt.n - 0.5 * Vf).ravel()  # V C V - V/2
            vv[k] = Up.sum(axis=0) / pt.n  # V (ybar - mu)
            ns[k] = pt.n
        Vsum = self.n * s.Vi - s.Vi @ s.D @ s.Vi
        Xn = X.T * ns
        L = Xn @ vv  # L[(m,a), b] = sum n V_ma v_b
        # K[(i,j),(k,l)] = sum n V_ij Z_kl, over vech pairs (V and Z are symmetric)
        K = Xn[rr * p + cc] @ Z[:, rr * p + cc]
        g_baab, g_bbaa, g_aabb, _ = _vech_gathers(p, rr, cc)
        A, B = rr, cc
        sc = np.where(rr == cc, 0.5, 1.0)
        t1 = K.take(g_baab)  # V_bc Z_ad
        cov = t1 + t1.T  # + V_ad Z_bc
        cov += K.take(g_bbaa)  # V_bd Z_ac
        cov += K.take(g_aabb)  # V_ac Z_bd
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
    def cell_hessian(self, st, s: _Solved | None = None, expected=False, observed=True):
        """Exact Hessian of ``-2 l`` (total over cases) with respect to the free cells of a group.

        ``st`` is the model's :class:`validate.sem.model._State` at the point. Per pattern, with
        ``V = Sigma_oo^-1`` (padded), ``W = V - V C V`` and ``r = V (ybar - mu)``, a case's
        ``f = log|Sigma_oo| + tr(V C)`` has

        ``d2f = tr(V dS_k V dS_l) - 2 tr(V dS_k W dS_l) + 2 r' (dS_k V dmu_l + dS_l V dmu_k)
        + 2 dmu_k' V dmu_l + tr(W d2S_kl) - 2 r' d2mu_kl``.

        Every ``dS_k = u v' + v u'`` has ``u``, ``v`` among the rows of ``Z`` (the model's
        basis), so the traces are gathered from ``Q = Z V Z'`` and ``Z W Z'`` as in the
        complete-data Hessian. A pattern's ``Q_p = Q_0 - L_p L_p'`` is a rank-``k`` update of the
        complete-data ``Q_0 = Z Sigma^-1 Z'`` (``L_p = Z Sigma^-1 E_m F``, ``F F' = M^-1``), so
        the sums over patterns of the products of gathers are the complete-data terms (with
        the case-weighted sum of the updates) plus one matrix product over the missing cells
        (rows: ``k^2`` per pattern and ``k`` per case). The second derivatives of the implied
        moments are linear in ``W`` and ``r`` and use their sums over the cases.

        With ``expected=True`` also returns the expected information of the cells (total over
        cases): ``sum_p n_p [tr(V dS_k V dS_l) / 2 + dmu_k' V dmu_l]``; with ``observed=False``
        only that (``(None, expected)``).
        """
        b = st.b
        if s is None:
            s = self._solved(st.Sigma, st.mu)
        n = self.n
        Vi = s.Vi
        Z = st.basis()
        ZVi = Z @ Vi
        Q0 = ZVi @ Z.T
        ZU = s.U @ Z.T  # rows z_i = Z u_i
        dmu = st.dmu()
        Vd = Vi @ dmu.T  # (p, c)
        zu, zv = b.z_u, b.z_v
        uu, vv, uv = b.z_uu, b.z_vv, b.z_uv
        Q0uu, Q0vv, Q0uv = Q0.take(uu), Q0.take(vv), Q0.take(uv)
        # expected part: sum_p n_p (Quu Qvv + Quv Quv')
        Dl = ZVi @ s.D @ ZVi.T  # sum_p n_p L_p L_p'
        Dluu, Dlvv, Dluv = Dl.take(uu), Dl.take(vv), Dl.take(uv)
        Hq = n * (Q0uu * Q0vv)
        Hq += n * (Q0uv * Q0uv.T)
        Hq -= Q0uu * Dlvv
        Hq -= Dluu * Q0vv
        t = Q0uv * Dluv.T
        Hq -= t
        Hq -= t.T
        c = len(zu)
        if observed:
            # data part: sum over cases of the Q-gathers times (z_i z_i')-gathers
            St = ZU.T @ ZU
            Suv = St.take(uv)
            Hs = Q0uv.T * Suv
            Hs += Q0vv * St.take(uu)
            Hs += Q0uu * St.take(vv)
            Hs += Q0uv * Suv.T
            # cross terms with the means
            sz = ZU.sum(axis=0)
            ZVd0 = Z @ Vd
            X = sz[zu][:, None] * ZVd0[zv] + sz[zv][:, None] * ZVd0[zu]
        for gr, Mi in zip(self.groups, s.minv):
            F = np.linalg.cholesky(Mi)  # (P, k, k), F F' = M^-1
            m = gr.miss
            L = np.einsum("zpa,pab->pzb", ZVi[:, m], F)  # (P, nz, k)
            Lu, Lv = L[:, zu, :], L[:, zv, :]  # (P, c, k)
            xab = np.einsum("pca,pcb->pabc", Lu, Lv)  # (P, k, k, c)
            xs = xab + xab.transpose(0, 2, 1, 3)
            xw = (xab * gr.npat[:, None, None, None]).reshape(-1, c)
            Hq += xw.T @ xs.reshape(-1, c)
            if not observed:
                continue
            zc = ZU[gr.rows]  # (n_k, nz)
            y = Lu[gr.cpat] * zc[:, zv, None] + Lv[gr.cpat] * zc[:, zu, None]  # (n_k, c, k)
            y = y.transpose(0, 2, 1).reshape(-1, c)
            Hs -= y.T @ y
            starts = np.flatnonzero(np.r_[True, np.diff(gr.cpat) != 0])
            sp = np.add.reduceat(zc, starts, axis=0)  # (P, nz): sum of z_i per pattern
            w = sp[:, zu, None] * Lv + sp[:, zv, None] * Lu  # (P, c, k)
            Ld = np.einsum("pba,pbc->pac", F, Vd[m])  # (P, k, c)
            X -= np.einsum("pca,pad->cd", w, Ld)
        DV = dmu @ Vi
        Hmm = n * (DV @ dmu.T) - DV @ s.D @ DV.T  # sum_p n_p dmu V_p dmu'
        if not observed:
            return None, Hq * b.z_s2 + Hmm
        Hc = (Hs - Hq) * (2.0 * b.z_s2)
        X *= b.z_su[:, None]
        X += X.T
        Hc += 2.0 * X
        Hc += 2.0 * Hmm
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
                Hc[:nA, nA + nS :] += am
                Hc[nA + nS :, :nA] += am.T
        if expected:
            return Hc, Hq * b.z_s2 + Hmm
        return Hc


def em_h1(pat: Patterns, max_iter=500, tol=1e-5, start=None):
    """EM estimates of the saturated mean vector and covariance matrix.

    Returns ``(Sigma, mu, ll)``. Starts from ``start = (Sigma, mu)`` if given, else from the
    available-case means and (ML) variances. Stops, as lavaan 0.6.14's
    ``lav_mvnorm_missing_h1_estimate_moments``, when no mean, variance or covariance changes by
    ``tol`` or more in an iteration (lavaan's ``em.h1.tol``, default 1e-5; at most ``max_iter``
    iterations, its ``em.h1.iter.max``) and returns that last iterate, with lavaan's small
    ridge when an eigenvalue falls below 1e-6. The FIML-corrected robust CFI/TLI/RMSEA use
    these moments directly, so the same rule keeps them equal to lavaan's (a tighter rule
    moved the robust TLI by 1e-5 on data with 35% of the answers missing).

    The E step fills each case's missing residuals with their conditional means
    (:meth:`Patterns.solve`); the M step adds the conditional covariances ``M^-1`` to the
    cross-products (Little & Rubin 2002, 8.2.1).
    """
    if start is not None:
        Sigma, mu = np.array(start[0], dtype=float), np.array(start[1], dtype=float)
    else:
        mu = np.nanmean(pat.Y, axis=0)
        var = np.nanvar(pat.Y, axis=0)
        var[~np.isfinite(var) | (var == 0)] = 1.0
        Sigma = np.diag(var)
    n = pat.n
    diag = np.arange(pat.p)
    for _ in range(max_iter):
        s = pat._solved(Sigma, mu)
        Eh = s.Ehat
        delta = Eh.sum(axis=0) / n
        S_new = (Eh.T @ Eh + s.D) / n - np.outer(delta, delta)
        S_new = 0.5 * (S_new + S_new.T)
        if np.linalg.eigvalsh(S_new)[0] < 1e-6:
            S_new[diag, diag] += np.max(np.diag(S_new)) * 1e-8
        change = max(float(np.max(np.abs(delta))), float(np.max(np.abs(S_new - Sigma))))
        Sigma, mu = S_new, mu + delta
        if change < tol:
            break
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
        grad += b.agg @ gc if b.cell_inv is None else gc.take(b.cell_inv)
        if hessian:
            Vi = s.Vi
            UV, VV = U @ Vi, V @ Vi
            Hc = 2.0 * ((UV @ U.T) * (VV @ V.T) + (UV @ V.T) * (UV @ V.T).T) + 2.0 * (dmu @ Vi @ dmu.T)
            H += pat.n / N * _aggregate(b, Hc, q)
    return -2.0 * ll / N, grad, H


def _fisher_hessian(cm: CompiledModel, theta, pats):
    """Complete-data expected Hessian of ``-2 logl / N`` at ``theta`` (data-free but for the n's)."""
    N = sum(p.n for p in pats)
    q = cm.nfree
    H = np.zeros((q, q))
    for g, pat in enumerate(pats):
        try:
            st = cm.state(theta, g)
        except np.linalg.LinAlgError:
            return None
        Vi, _ = chol_inv(st.Sigma)
        if Vi is None:
            return None
        Hc = cov_hessian(st, Vi, None, None, st.basis(), False)
        if cm.meanstructure:
            dmu = st.dmu()
            Hc += 2.0 * ((dmu @ Vi) @ dmu.T)
        H += pat.n / N * _aggregate(cm.blocks[g], Hc, q)
    return H


def _exact_hessian(cm: CompiledModel, theta, pats):
    """Exact Hessian of ``-2 logl / N`` (None where an implied matrix is not positive definite)."""
    N = sum(p.n for p in pats)
    q = cm.nfree
    H = np.zeros((q, q))
    for g, pat in enumerate(pats):
        try:
            st = cm.state(theta, g)
        except np.linalg.LinAlgError:
            return None
        s = pat.solve(st.Sigma, st.mu)
        if s is None:
            return None
        H += _aggregate(cm.blocks[g], pat.cell_hessian(st, s), q) / N
    return 0.5 * (H + H.T)


def _chord(cm: CompiledModel, pats, theta, tol, max_iter, newton_switch=1e-2):
    """Newton steps with a Hessian kept while it works (chord iterations) from ``theta``.

    The Hessian is the complete-data expected one (:func:`_fisher_hessian`) while the largest
    gradient element is above ``newton_switch``, the exact one (:func:`_exact_hessian`) below
    it; it is factored once and refreshed at the current point when a step shrinks the
    gradient by less than half or needs back-tracking. From a start near the
    optimum (a bootstrap resample started at the full-sample estimates) each step gains about
    one digit for one gradient evaluation. Returns ``(theta, F, g, converged, iterations)``:
    converged when the largest gradient element is below ``tol`` (or below ``sqrt(tol)`` when no
    step decreases ``F`` at machine precision any more); otherwise :func:`fiml_fit` continues by
    scoring with line search.
    """
    F, g, _ = fiml_grad(cm, theta, pats, hessian=False)
    if not np.isfinite(F):
        return theta, F, g, False, 0
    factor = None
    exact = False
    gprev = np.inf
    for it in range(1, max_iter + 1):
        gmax = np.max(np.abs(g))
        if gmax < tol:
            return theta, F, g, True, it
        near = gmax < newton_switch
        if factor is None or gmax > 0.5 * gprev or (near and not exact):
            factor = None
            for hess in (_exact_hessian, _fisher_hessian) if near else (_fisher_hessian,):
                H = hess(cm, theta, pats)
                if H is not None:
                    c, info = lapack.dpotrf(H, lower=1, clean=1)
                    if info == 0:
                        factor, exact = c, hess is _exact_hessian
                        break
            if factor is None:
                return theta, F, g, False, it
        gprev = gmax
        step, info = lapack.dpotrs(factor, g, lower=1)
        if info != 0 or not np.all(np.isfinite(step)):
            return theta, F, g, False, it
        slope = g @ step
        slack = 1e-14 * max(1.0, abs(F))
        alpha = 1.0
        for _ in range(30):
            trial = theta - alpha * step
            Ft, gt, _ = fiml_grad(cm, trial, pats, hessian=False)
            if np.isfinite(Ft) and Ft <= F - 1e-4 * alpha * slope + slack:
                break
            alpha *= 0.5
        else:  # no decrease at machine precision: at the minimum, or stuck
            return theta, F, g, bool(gmax < np.sqrt(tol)), it
        if alpha < 1.0:
            gprev = np.inf
            factor = None
        theta, F, g = trial, Ft, gt
    return theta, F, g, False, max_iter


def fiml_fit(cm: CompiledModel, pats, theta0, max_iter=500, tol=1e-9):
    """Minimise -2 logl / N; returns (theta, F, converged, iters).

    Chord iterations (:func:`_chord`) first; where they stall, Fisher scoring with line search.
    Converged when the largest gradient element is below ``tol``, or when ``F`` no longer
    decreases at machine precision with the gradient below ``sqrt(tol)``.
    """
    theta = np.array(theta0, dtype=float)
    if cm.nfree == 0:
        F = fiml_grad(cm, theta, pats, hessian=False)[0]
        return theta, F, bool(np.isfinite(F)), 0
    theta, F, g, conv, it0 = _chord(cm, pats, theta, tol, min(50, max_iter))
    if conv:
        return theta, F, True, it0
    F, g, H = fiml_grad(cm, theta, pats)
    if not np.isfinite(F):
        return theta, F, False, it0
    for it in range(it0 + 1, max_iter + 1):
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


def fiml_information(cm: CompiledModel, theta, pats, observed=True):
    """``(observed, expected)``: total information matrices (over cases) of the free parameters.

    ``observed`` is minus the Hessian of the log-likelihood (lavaan's default information with
    ``missing = "ml"``), ``expected`` the expected information of the missing-data likelihood
    (each pattern's complete-data information of its observed variables). Both are the sums
    over groups of ``agg Hc agg'`` with the cell matrices of :meth:`Patterns.cell_hessian`.
    With ``observed=False`` only the expected one is computed (``observed`` is None).
    """
    q = cm.nfree
    H = np.zeros((q, q)) if observed else None
    E = np.zeros((q, q))
    for g, pat in enumerate(pats):
        st = cm.state(theta, g)
        Hc, Ec = pat.cell_hessian(st, expected=True, observed=observed)
        if observed:
            H += 0.5 * _aggregate(cm.blocks[g], Hc, q)
        E += _aggregate(cm.blocks[g], Ec, q)
    return (0.5 * (H + H.T) if observed else None), 0.5 * (E + E.T)


def fiml_observed_information(cm: CompiledModel, theta, pats):
    """Total observed information (minus the Hessian of the log-likelihood), analytic.

    See :func:`fiml_information`. Agrees with central differences of the analytic gradient
    (:func:`_numerical_observed_information`) to about 1e-9 relative.
    """
    return fiml_information(cm, theta, pats)[0]


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
    """Total expected information of the free parameters (see :func:`fiml_information`)."""
    return fiml_information(cm, theta, pats, observed=False)[1]


def fiml_refit(model, Y_list, start, *, max_iter: int = 200, tol: float = 1e-9, blas_threads_1: bool = True):
    """Refit a model's estimates by FIML from raw rows with missing values (bootstrap refits).

    The FIML counterpart of :func:`validate.sem.estimate.fit_moments` with a start: no
    saturated model, standard errors or fit measures, only the estimates, from ``start``
    (e.g. the full-sample estimates) by :func:`fiml_fit`.

    Parameters
    ----------
    model : ParTable or CompiledModel
        The model (fitted with ``missing="fiml"``, so with a mean structure); compiling is
        cached on the ParTable, so pass the same object on every call.
    Y_list : sequence of ndarray
        Per group, the rows (``n_g x p``, columns in the order of ``ov_names``; NaN where
        missing). Rows with no answer are left out, as in :func:`validate.sem.fit_sem`.
    start : ndarray
        Starting values of the free parameters.
    max_iter, tol
        Optimiser limits (largest gradient element of ``-2 logl / N``).
    blas_threads_1 : bool
        Limit BLAS to one thread during the fit; pass False when the caller already does.

    Returns
    -------
    validate.sem.MomentFit
        ``theta``, ``fmin`` (``-logl / N`` up to a constant, lavaan's FIML ``fmin`` scale),
        ``chisq`` (NaN: no saturated model is fitted), ``converged``, ``admissible`` (no
        negative variance, latent covariance matrices positive definite), ``iterations``,
        ``warnings``.

    Notes
    -----
    The estimates are those of ``fit_sem(..., missing="fiml", start=full_fit,
    estimates_only=True)`` to the optimiser's tolerance (tests/test_sem_fiml.py), without the
    parameter table, standardised solution and data checks that ``fit_sem`` builds around
    them (about two thirds of its time for a bootstrap refit of a 48-item model).
    """
    from validate.blas import single_threaded_blas

    from .estimate import MomentFit, admissibility, compiled_model

    if blas_threads_1:
        with single_threaded_blas():
            return fiml_refit(model, Y_list, start, max_iter=max_iter, tol=tol, blas_threads_1=False)
    cm = compiled_model(model)
    if not cm.meanstructure:
        raise ValueError("FIML needs a model with a mean structure (parse it with missing='fiml')")
    pats = [Patterns(np.asarray(Y, dtype=float)) for Y in Y_list]
    if len(pats) != cm.ngroups or any(p.p != cm.p for p in pats):
        raise ValueError(f"expected {cm.ngroups} group(s) of rows with {cm.p} columns")
    theta, F, conv, its = fiml_fit(cm, pats, start, max_iter=max_iter, tol=tol)
    warn = []
    problems = admissibility(cm, theta) if conv else []
    for g, name, what in problems:
        warn.append(f"{what}{' for ' + name if name else ''} (group {g + 1})")
    return MomentFit(theta, F / 2, float("nan"), bool(conv), bool(conv and not problems), its, None, warn)
