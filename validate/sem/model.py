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
            sign, ld = np.linalg.slogdet(s)
            self.logdet.append(ld if sign > 0 else np.nan)


class _Block:
    __slots__ = (
        "A0",
        "A_c",
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
                elif op == "~":
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
                        Ar.append(r); Ac.append(c); Ak.append(k)
                    else:
                        b.A0[r, c] = val
                elif kind == 2:
                    if k >= 0:
                        Sr.append(r); Sc.append(c); Sk.append(k)
                    elif exo[i]:
                        exo_S.append((r, c))
                    else:
                        b.S0[r, c] = b.S0[c, r] = val
                else:
                    if k >= 0:
                        mr.append(r); mk.append(k)
                    elif exo[i]:
                        exo_m.append(r)
                    else:
                        b.m0[r] = val
            b.A_r, b.A_c, b.A_k = (np.asarray(x, dtype=np.intp) for x in (Ar, Ac, Ak))
            b.S_r, b.S_c, b.S_k = (np.asarray(x, dtype=np.intp) for x in (Sr, Sc, Sk))
            b.m_r, b.m_k = np.asarray(mr, dtype=np.intp), np.asarray(mk, dtype=np.intp)
            b.nA, b.nS, b.nM = len(Ar), len(Sr), len(mr)
            b.cell_r = np.concatenate([b.A_r, b.S_r, b.m_r])
            b.cell_scale = np.concatenate([np.ones(b.nA), np.where(b.S_r == b.S_c, 0.5, 1.0),
                                           np.ones(b.nM)])
            b.cell_param = np.concatenate([b.A_k, b.S_k, b.m_k])
            agg = np.zeros((q, len(b.cell_param)))
            agg[b.cell_param, np.arange(len(b.cell_param))] = 1.0
            b.agg = agg
            b.exo_S = np.asarray(exo_S, dtype=np.intp).reshape(-1, 2)
            b.exo_m = np.asarray(exo_m, dtype=np.intp)
            self.blocks.append(b)

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
        A = b.A0.copy()
        A[b.A_r, b.A_c] = theta[b.A_k]
        S = b.S0.copy()
        v = theta[b.S_k]
        S[b.S_r, b.S_c] = v
        S[b.S_c, b.S_r] = v
        m = b.m0.copy()
        m[b.m_r] = theta[b.m_k]
        return A, S, m

    def implied(self, theta, g, full=False):
        """Model-implied covariance matrix and mean vector of group ``g``.

        With ``full=True`` also returns the total (co)variances of all
        variables, observed and latent, and ``T = (I - A)^-1``.
        """
        A, S, m = self.matrices(theta, g)
        T = np.linalg.inv(self.eye - A)
        G = T[: self.p]
        Sigma = G @ S @ G.T
        mu = G @ m
        if not full:
            return Sigma, mu
        return Sigma, mu, T @ S @ T.T, T @ m, A, S, m, T

    def cells(self, theta, g):
        """Rank-two factors of the derivatives of Sigma and mu per free cell.

        Returns
        -------
        Sigma, mu : ndarray
        U, V : ndarray, (ncells, p)
            ``dSigma/dcell = u v' + v u'``.
        dmu : ndarray, (ncells, p)
        """
        b = self.blocks[g]
        A, S, m = self.matrices(theta, g)
        T = np.linalg.inv(self.eye - A)
        G = T[: self.p]
        SG = S @ G.T
        Sigma = G @ SG
        mu = G @ m
        Gt = G.T
        U = Gt[b.cell_r] * b.cell_scale[:, None]
        V = np.empty_like(U)
        nA, nS = b.nA, b.nS
        if nA:
            V[:nA] = (T @ SG)[b.A_c]
        if nS:
            V[nA:nA + nS] = Gt[b.S_c]
        if b.nM:
            V[nA + nS:] = 0.0
            U[nA + nS:] = 0.0
        dmu = np.zeros_like(U)
        if self.meanstructure:
            if nA:
                Tm = T @ m
                dmu[:nA] = Gt[b.A_r] * Tm[b.A_c][:, None]
            if b.nM:
                dmu[nA + nS:] = Gt[b.m_r]
        return Sigma, mu, U, V, dmu

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
