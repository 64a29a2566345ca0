"""Matrix representation of a structural-equation model (RAM form).

All variables (observed first, then latent) are stacked in one vector
``v = A v + e`` with ``Cov(e) = S`` and intercepts ``m``.  With
``T = (I - A)^-1`` and ``G = F T`` (``F`` selects the observed rows), the
model-implied moments are ``Sigma = G S G'`` and ``mu = G m``.  Loadings
(``f =~ x``) sit in ``A[x, f]``, regressions (``y ~ x``) in ``A[y, x]``,
(residual) variances/covariances in ``S`` and intercepts in ``m``.

Derivatives are computed per matrix *cell*: every free cell contributes a
rank-two term to ``dSigma`` (``u v' + v u'``) which keeps gradients and the
expected information cheap.  Cells that share a free parameter (labels,
group equality constraints) are summed through an aggregation matrix.

Notes
-----
Implied moments, gradients and information were checked against finite
differences and against lavaan 0.6.14 estimates/SEs (tests/test_sem_*.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

__all__ = ["CompiledModel", "SampleStats", "vech_indices"]


def vech_indices(p: int):
    """Row/column indices of the lower triangle (incl. diagonal), column-major."""
    rr, cc = [], []
    for c in range(p):
        for r in range(c, p):
            rr.append(r)
            cc.append(c)
    return np.asarray(rr, dtype=np.intp), np.asarray(cc, dtype=np.intp)


@dataclass
class SampleStats:
    """Per-group sample moments (covariances with divisor N)."""

    cov: list
    mean: list
    nobs: list

    def __post_init__(self):
        self.cov = [np.asarray(s, dtype=float) for s in self.cov]
        self.mean = [np.asarray(m, dtype=float).ravel() for m in self.mean]
        self.nobs = [int(n) for n in self.nobs]
        self.ntotal = int(sum(self.nobs))
        self.weights = np.asarray(self.nobs, dtype=float) / self.ntotal
        self.logdet = []
        for s in self.cov:
            L, info = lapack.dpotrf(s, lower=1)
            if info == 0:
                self.logdet.append(2.0 * float(np.sum(np.log(L.diagonal()))))
                continue
            sign, ld = np.linalg.slogdet(s)
            self.logdet.append(ld if sign > 0 else np.nan)


class _Block:
    __slots__ = (
        "A0",
        "A_c",
        "A_lin",
        "S_lin",
        "S_lint",
        "cell_inv",
        "cell_inv2",
        "h_ji",
        "h_jj",
        "h_ii",
        "h_ja",
        "h_jb",
        "h_ib",
        "h_ia",
        "h_ssc",
        "z_u",
        "z_v",
        "z_su",
        "z_s2",
        "z_uu",
        "z_vv",
        "z_uv",
        "A_k",
        "A_r",
        "S0",
        "S_c",
        "S_k",
        "S_r",
        "agg",
        "cell_param",
        "cell_r",
        "cell_scale",
        "exo_S",
        "exo_m",
        "m0",
        "m_k",
        "m_r",
        "nA",
        "nM",
        "nS",
    )


class CompiledModel:
    """Index arrays for filling the RAM matrices of every group.

    Parameters
    ----------
    partable : pandas.DataFrame
        Parameter table from :func:`validate.sem.syntax.parse_model`.
    ov_names, lv_names : list of str
    ngroups : int
    meanstructure : bool
    """

    def __init__(self, partable, ov_names, lv_names, ngroups, meanstructure):
        self.ov_names = list(ov_names)
        self.lv_names = list(lv_names)
        self.p = p = len(ov_names)
        self.nlv = len(lv_names)
        self.nv = nv = p + self.nlv
        self.ngroups = ngroups
        self.meanstructure = bool(meanstructure)
        pt = partable[partable["op"] != ":="]
        self.nfree = q = int(pt["free"].max()) if len(pt) else 0
        self.rr, self.cc = vech_indices(p)
        self.pstar = len(self.rr)
        self.vech_w = np.where(self.rr == self.cc, 1.0, 2.0)
        pos = {n: i for i, n in enumerate(self.ov_names + self.lv_names)}
        self.pos = pos
        self.eye = np.eye(nv)
        # locate each partable row in the matrices: (group, kind, r, c)
        self.row_kind = np.zeros(len(partable), dtype=np.int8)  # 0 none, 1 A, 2 S, 3 m
        self.row_r = np.zeros(len(partable), dtype=np.intp)
        self.row_c = np.zeros(len(partable), dtype=np.intp)
        self.row_group = partable["group"].to_numpy().astype(int) - 1
        self.row_free = partable["free"].to_numpy().astype(int)
        self.blocks: list[_Block] = []
        lhs = partable["lhs"].to_numpy()
        rhs = partable["rhs"].to_numpy()
        ops = partable["op"].to_numpy()
        free = self.row_free
        ustart = partable["ustart"].to_numpy(dtype=float)
        exo = partable["exo"].to_numpy().astype(int)
        for g in range(ngroups):
            b = _Block()
            b.A0 = np.zeros((nv, nv))
            b.S0 = np.zeros((nv, nv))
            b.m0 = np.zeros(nv)
            Ar, Ac, Ak, Sr, Sc, Sk, mr, mk = [], [], [], [], [], [], [], []
            exo_S, exo_m = [], []
            for i in np.flatnonzero(self.row_group == g):
                op = ops[i]
                if op == "=~":
                    r, c, kind = pos[rhs[i]], pos[lhs[i]], 1
                elif op in ("~", "<~"):  # '<~': a composite regressed on its observed components
                    r, c, kind = pos[lhs[i]], pos[rhs[i]], 1
                elif op == "~~":
                    r, c = pos[lhs[i]], pos[rhs[i]]
                    if r < c:
                        r, c = c, r
                    kind = 2
                elif op == "~1":
                    r, c, kind = pos[lhs[i]], 0, 3
                else:
                    continue
                self.row_kind[i], self.row_r[i], self.row_c[i] = kind, r, c
                k = free[i] - 1
                val = ustart[i]
                if kind == 1:
                    if k >= 0:
                        Ar.append(r)
                        Ac.append(c)
                        Ak.append(k)
                    else:
                        b.A0[r, c] = val
                elif kind == 2:
                    if k >= 0:
                        Sr.append(r)
                        Sc.append(c)
                        Sk.append(k)
                    elif exo[i]:
                        exo_S.append((r, c))
                    else:
                        b.S0[r, c] = b.S0[c, r] = val
                else:
                    if k >= 0:
                        mr.append(r)
                        mk.append(k)
                    elif exo[i]:
                        exo_m.append(r)
                    else:
                        b.m0[r] = val
            b.A_r, b.A_c, b.A_k = (np.asarray(x, dtype=np.intp) for x in (Ar, Ac, Ak))
            b.S_r, b.S_c, b.S_k = (np.asarray(x, dtype=np.intp) for x in (Sr, Sc, Sk))
            b.m_r, b.m_k = np.asarray(mr, dtype=np.intp), np.asarray(mk, dtype=np.intp)
            b.nA, b.nS, b.nM = len(Ar), len(Sr), len(mr)
            b.cell_r = np.concatenate([b.A_r, b.S_r, b.m_r])
            b.cell_scale = np.concatenate([np.ones(b.nA), np.where(b.S_r == b.S_c, 0.5, 1.0), np.ones(b.nM)])
            b.cell_param = np.concatenate([b.A_k, b.S_k, b.m_k])
            agg = np.zeros((q, len(b.cell_param)))
            agg[b.cell_param, np.arange(len(b.cell_param))] = 1.0
            b.agg = agg
            b.exo_S = np.asarray(exo_S, dtype=np.intp).reshape(-1, 2)
            b.exo_m = np.asarray(exo_m, dtype=np.intp)
            _precompute(b, nv, q)
            self.blocks.append(b)
        # free parameters that are variances in every cell they fill
        cells_var = np.zeros(q, dtype=bool)
        cells_other = np.zeros(q, dtype=bool)
        for b in self.blocks:
            diag = b.S_r == b.S_c
            cells_var[b.S_k[diag]] = True
            cells_other[b.S_k[~diag]] = True
            cells_other[b.A_k] = True
            cells_other[b.m_k] = True
        self.variance_mask = cells_var & ~cells_other
        self.has_exo = any(len(b.exo_S) or len(b.exo_m) for b in self.blocks)
        # no variable is regressed on an observed one (A[:, :p] == 0 in every
        # group): (I - A)^-1 only needs the inverse of the latent block
        self.lv_predictors_only = all(not np.any(b.A0[:, :p]) and not np.any(b.A_c < p) for b in self.blocks)

    # ------------------------------------------------------------------
    def set_exo(self, stats: SampleStats) -> None:
        """Fix exogenous-covariate moments (fixed.x) at their sample values."""
        for g, b in enumerate(self.blocks):
            if len(b.exo_S):
                r, c = b.exo_S[:, 0], b.exo_S[:, 1]
                b.S0[r, c] = stats.cov[g][r, c]
                b.S0[c, r] = stats.cov[g][r, c]
            if len(b.exo_m):
                b.m0[b.exo_m] = stats.mean[g][b.exo_m]

    def matrices(self, theta, g):
        """Return (A, S, m) of group ``g`` for the free-parameter vector ``theta``."""
        b = self.blocks[g]
        theta = np.asarray(theta, dtype=float)
        A = b.A0.copy()
        A.put(b.A_lin, theta.take(b.A_k))
        S = b.S0.copy()
        v = theta.take(b.S_k)
        S.put(b.S_lin, v)
        S.put(b.S_lint, v)
        m = b.m0.copy()
        m.put(b.m_r, theta.take(b.m_k))
        return A, S, m

    def inverse_i_minus_a(self, A):
        """``T = (I - A)^-1``; raises ``numpy.linalg.LinAlgError`` if ``I - A`` is singular.

        When only latent variables are predictors, ``I - A`` is block upper
        triangular, ``[[I, -Lambda], [0, I - B]]``, and only ``(I - B)^-1`` is
        inverted.
        """
        if not self.lv_predictors_only:
            return _lu_inverse(self.eye - A)
        p = self.p
        T = self.eye.copy()
        if self.nlv:
            T22 = _lu_inverse(T[p:, p:] - A[p:, p:])
            T[p:, p:] = T22
            T[:p, p:] = A[:p, p:] @ T22
        return T

    def implied(self, theta, g, full=False):
        """Model-implied covariance matrix and mean vector of group ``g``.

        With ``full=True`` also returns the total (co)variances of all
        variables, observed and latent, and ``T = (I - A)^-1``.
        """
        A, S, m = self.matrices(theta, g)
        T = self.inverse_i_minus_a(A)
        G = T[: self.p]
        Sigma = G @ S @ G.T
        mu = G @ m
        if not full:
            return Sigma, mu
        return Sigma, mu, T @ S @ T.T, T @ m, A, S, m, T

    def state(self, theta, g):
        """Everything the derivatives need at ``theta``: a :class:`_State`."""
        A, S, m = self.matrices(theta, g)
        T = self.inverse_i_minus_a(A)
        return _State(self, g, A, S, m, T)

    def cells(self, theta, g):
        """Rank-two factors of the derivatives of Sigma and mu per free cell.

        Returns
        -------
        Sigma, mu : ndarray
        U, V : ndarray, (ncells, p)
            ``dSigma/dcell = u v' + v u'``.
        dmu : ndarray, (ncells, p)
        """
        st = self.state(theta, g)
        X, dmu = st.cells()
        c = len(X) // 2
        return st.Sigma, st.mu, X[:c], X[c:], dmu

    def delta(self, theta, g):
        """Jacobian of (vech(Sigma), mu) with respect to the free parameters.

        Returns an array of shape (pstar [+ p], nfree).
        """
        b = self.blocks[g]
        Sigma, mu, U, V, dmu = self.cells(theta, g)
        rr, cc = self.rr, self.cc
        dcov = U[:, rr] * V[:, cc] + V[:, rr] * U[:, cc]
        if self.meanstructure:
            dcells = np.hstack([dcov, dmu])
        else:
            dcells = dcov
        return (b.agg @ dcells).T


def _lu_inverse(M):
    lu, piv, info = lapack.dgetrf(M, overwrite_a=1)
    if info == 0:
        Mi, info = lapack.dgetri(lu, piv, overwrite_lu=1)
    if info != 0:
        raise np.linalg.LinAlgError("I - A is singular")
    return Mi


def _precompute(b: _Block, nv: int, q: int) -> None:
    """Flat index maps of a block, so the hot loops gather with ``take``/``put``."""
    b.A_lin = b.A_r * nv + b.A_c
    b.S_lin = b.S_r * nv + b.S_c
    b.S_lint = b.S_c * nv + b.S_r
    ncell = len(b.cell_param)
    # one cell per free parameter (no labels/equality constraints): a permutation
    if ncell == q and np.array_equal(np.sort(b.cell_param), np.arange(q)):
        b.cell_inv = np.argsort(b.cell_param)
        b.cell_inv2 = (b.cell_inv[:, None] * ncell + b.cell_inv[None, :]).ravel()
    else:
        b.cell_inv = b.cell_inv2 = None
    i, j = b.A_r, b.A_c
    a_, c_ = b.S_r, b.S_c
    # second derivatives of Sigma (exact Hessian): gathers of T, L, Tot, K
    b.h_ji = j[None, :] * nv + i[:, None]  # [k, l] -> (j_l, i_k)
    b.h_jj = j[:, None] * nv + j[None, :]
    b.h_ii = i[:, None] * nv + i[None, :]
    b.h_ja = j[:, None] * nv + a_[None, :]
    b.h_jb = j[:, None] * nv + c_[None, :]
    b.h_ib = i[:, None] * nv + c_[None, :]
    b.h_ia = i[:, None] * nv + a_[None, :]
    b.h_ssc = np.where(a_ == c_, 0.5, 1.0)
    # every rank-two factor of a cell is a row of Z = [G'; T S G'; 0] (2 nv + 1 rows):
    # u = Z[z_u] * z_su, v = Z[z_v]; m-cells point at the zero row
    nz = 2 * nv + 1
    zero = 2 * nv
    nA, nM = b.nA, b.nM
    b.z_u = np.concatenate([b.A_r, b.S_r, np.full(nM, zero, dtype=np.intp)]).astype(np.intp)
    b.z_v = np.concatenate([nv + b.A_c, b.S_c, np.full(nM, zero, dtype=np.intp)]).astype(np.intp)
    b.z_su = np.concatenate([np.ones(nA), np.where(b.S_r == b.S_c, 0.5, 1.0), np.zeros(nM)])
    b.z_s2 = np.outer(b.z_su, b.z_su)
    b.z_uu = b.z_u[:, None] * nz + b.z_u[None, :]
    b.z_vv = b.z_v[:, None] * nz + b.z_v[None, :]
    b.z_uv = b.z_u[:, None] * nz + b.z_v[None, :]


class _State:
    """Matrices of one group at one parameter vector (internal)."""

    __slots__ = ("A", "S", "m", "T", "G", "TS", "Tot", "C", "Sigma", "mu", "b", "cm")

    def __init__(self, cm, g, A, S, m, T):
        self.cm, self.b = cm, cm.blocks[g]
        self.A, self.S, self.m, self.T = A, S, m, T
        p = cm.p
        self.G = G = T[:p]
        self.TS = TS = T @ S
        self.C = C = TS @ G.T  # T S G'  (nv x p)
        self.Sigma = np.ascontiguousarray(C[:p])
        self.mu = G @ m
        self.Tot = None

    def total(self):
        """``T S T'``: total (co)variances of all variables."""
        if self.Tot is None:
            self.Tot = self.TS @ self.T.T
        return self.Tot

    def basis(self):
        """``Z = [G'; T S G'; 0]`` (2 nv + 1 x p): the rows the cells' rank-two factors are made of."""
        cm = self.cm
        nv = cm.nv
        Z = np.empty((2 * nv + 1, cm.p))
        Z[:nv] = self.G.T
        Z[nv : 2 * nv] = self.C
        Z[2 * nv] = 0.0
        return Z

    def dmu(self):
        """Derivatives of the implied means per cell (ncells x p)."""
        b, cm = self.b, self.cm
        nA, nS, nM = b.nA, b.nS, b.nM
        dmu = np.zeros((nA + nS + nM, cm.p))
        if cm.meanstructure:
            Gt = self.G.T
            if nA:
                Tm = self.T @ self.m
                dmu[:nA] = Gt.take(b.A_r, axis=0) * Tm.take(b.A_c)[:, None]
            if nM:
                dmu[nA + nS :] = Gt.take(b.m_r, axis=0)
        return dmu

    def cells(self):
        """Stacked rank-two factors ``X = [U; V]`` (2 ncells x p) and ``dmu`` (ncells x p)."""
        b, cm = self.b, self.cm
        Gt = self.G.T
        nA, nS, nM = b.nA, b.nS, b.nM
        c = nA + nS + nM
        X = np.zeros((2 * c, cm.p))
        if nA + nS:
            X[: nA + nS] = Gt.take(b.cell_r[: nA + nS], axis=0)
            X[: nA + nS] *= b.cell_scale[: nA + nS, None]
        if nA:
            X[c : c + nA] = self.C.take(b.A_c, axis=0)
        if nS:
            X[c + nA : c + nA + nS] = Gt.take(b.S_c, axis=0)
        dmu = np.zeros((c, cm.p))
        if cm.meanstructure:
            if nA:
                Tm = self.T @ self.m
                dmu[:nA] = Gt.take(b.A_r, axis=0) * Tm.take(b.A_c)[:, None]
            if nM:
                dmu[nA + nS :] = Gt.take(b.m_r, axis=0)
        return X, dmu
