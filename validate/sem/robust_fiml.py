"""Robust inference for FIML (lavaan's ``estimator = "MLR", missing = "ml"``) and the
FIML-corrected "robust" CFI/TLI/RMSEA.

Standard errors
---------------
Huber-White sandwich ``A^-1 B A^-1`` with ``A`` the observed information of the missing-data
likelihood (numerical Hessian, :func:`validate.sem.fiml.fiml_observed_information`) and ``B``
the cross-product of the casewise scores of the missing-data log-likelihood at the estimates
(lavaan's ``lav_model_information_firstorder`` with ``lav_mvnorm_missing_scores_mu_vech_sigma``).

Scaled test ("yuan.bentler.mplus")
----------------------------------
``c = (tr(B1 A1^-1) - tr(B0 A^-1)) / df``: ``A1`` and ``B1`` are the observed information and
the casewise-score cross-product of the *saturated* missing-data model at its EM estimates
(lavaan's ``h1.information = "unstructured"``), ``B0`` the casewise-score cross-product of the
model. The baseline (independence) model gets its own factor the same way; its information is
diagonal in closed form (available-case means and variances are its FIML estimates).

Robust CFI/TLI/RMSEA ("FIML-corrected", Zhang & Savalei)
-------------------------------------------------------
As lavaan 0.6.14's ``lav_fit_fiml_corrected``: ``XX3`` is the ML chi-square of the FIML
estimates against the EM moments (as if they were complete-data moments), with the scaling
factor ``k / df`` where, with ``Wm``/``Jm`` the saturated model's observed information and
score cross-product, ``Wc`` the complete-data information at the EM moments,
``U = Wm - Wm D (D' Wm D)^-1 D' Wm``, ``Gamma = Wm^-1 Jm Wm^-1``:
``k = tr(U Wm^-1 Wc Wm^-1 U Gamma)`` for MLR (version "V3") and ``k = tr(Wc Wm^-1 U Wm^-1)``
for ML (version "V6"). The same for the independence model gives the baseline's factor.

Cost
----
Everything that depends on the data alone (the saturated model's information ``Wm`` and its
inverse, ``Wc``, ``tr(Wc Wm^-1)``, ``tr(Wc Gamma)`` and the whole baseline factor) is computed
once per data set: :func:`h1_pieces` keeps the pieces of the last few data sets (keyed by a hash
of the data and of the EM moments), so the nested models of an analysis (CFA, SEM, the
invariance levels, the multi-group models) pay for them once. Per model, the products with the
Jacobian ``D`` use only the columns of the parameters that move the group's moments (in a
multi-group model each group's block), which gives the same sums without the zero columns.

Notes
-----
Checked against lavaan 0.6.14 ``cfa(..., estimator = "MLR", missing = "ml")`` and
``missing = "ml"`` on tests/fixtures/lavaan/holzinger_missing.csv
(holzinger_cfa_fiml_mlr.json, holzinger_cfa_fiml.json).

References
----------
Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean and covariance
structure analysis with nonnormal missing data. Sociological Methodology, 30, 165-200.
Zhang, X., & Savalei, V. (2023). New computations for RMSEA and CFI following FIML and TS
estimation with missing data. Psychological Methods, 28(2), 263-283.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
from scipy.linalg import lapack

from .estimate import chol_inv
from .model import CompiledModel

__all__ = ["clear_h1_cache", "fiml_casewise_scores", "fiml_corrected", "fiml_sandwich", "fiml_yb_factors"]


def fiml_casewise_scores(cm: CompiledModel, theta, pats):
    """Casewise derivatives of the FIML log-likelihood with respect to the free parameters, per group."""
    out = []
    for g, pat in enumerate(pats):
        Sigma, mu = cm.implied(theta, g)
        M = pat.moment_scores(Sigma, mu, cm.rr, cm.cc, cm.vech_w)
        out.append(M @ cm.delta(theta, g))
    return out


def fiml_sandwich(A_total, scores):
    """``(vcov, B_total)``: ``A^-1 B A^-1`` with ``B = sum_i s_i s_i'`` (total-sample scales)."""
    B = sum(s.T @ s for s in scores)
    Ai = np.linalg.inv(A_total)
    V = Ai @ B @ Ai
    return 0.5 * (V + V.T), B


def _complete_h1_information(Sigma, rr, cc):
    """Per-case information of the saturated complete-data model at (Sigma, .), lavaan's parameters."""
    Vi, _ = chol_inv(Sigma)
    s = np.where(rr == cc, 0.5, 1.0)
    # tr(E_ab Vi E_cd Vi) / 2 with dSigma/dsigma_ab = E_ab = s (e_a e_b' + e_b e_a')
    H = (Vi[np.ix_(rr, rr)] * Vi[np.ix_(cc, cc)] + Vi[np.ix_(rr, cc)] * Vi[np.ix_(cc, rr)]) * np.outer(s, s)
    p = len(Sigma)
    out = np.zeros((len(rr) + p, len(rr) + p))
    out[: len(rr), : len(rr)] = H
    out[len(rr) :, len(rr) :] = Vi
    return out


def _complete_info_times(Vi, D, rr, cc):
    """``I D``, ``I`` = :func:`_complete_h1_information` at ``Vi = Sigma^-1``, without forming ``I``.

    Column ``k`` of ``D`` holds ``(vech dSigma_k, dmu_k)``; ``I`` maps it to
    ``(s * vech(Vi dSigma_k Vi), Vi dmu_k)`` with ``s`` = 1/2 on the diagonal cells.
    """
    p = len(Vi)
    ps = len(rr)
    X = np.zeros((D.shape[1], p, p))
    X[:, rr, cc] = D[:ps].T
    X[:, cc, rr] = D[:ps].T
    Y = Vi @ X @ Vi
    out = np.empty_like(D, dtype=float)
    out[:ps] = Y[:, rr, cc].T * np.where(rr == cc, 0.5, 1.0)[:, None]
    out[ps:] = Vi @ D[ps:]
    return out


class _H1:
    """Saturated-model pieces of one group at the EM estimates (per-case scale).

    ``A1`` is the observed information and ``A1i`` its inverse; the casewise-score cross-product
    ``B1 = M'M / n`` is kept as ``R = M A1^-1`` (``A1^-1 B1 A1^-1 = R'R / n``), so no product of
    two ``K x K`` matrices is formed (``K`` = number of moments).
    """

    def __init__(self, pat, Sigma, mu, rr, cc, vech_w):
        self.n = pat.n
        self.A1 = pat.h1_information(Sigma, mu, rr, cc) / pat.n
        self.A1i = _pd_inverse(self.A1)
        self._args = (pat, Sigma, mu, rr, cc, vech_w)
        self._R = None

    @property
    def R(self):
        """``M A1^-1`` with ``M`` the casewise scores of the saturated model (computed on first use)."""
        if self._R is None:
            pat, Sigma, mu, rr, cc, vech_w = self._args
            M = pat.moment_scores(Sigma, mu, rr, cc, vech_w)
            self._R = M @ self.A1i
            self._trace = float(np.vdot(M, self._R)) / pat.n  # tr(B1 A1^-1)
        return self._R

    @property
    def trace(self):
        """``tr(B1 A1^-1)``."""
        _ = self.R
        return self._trace


def _pd_inverse(A):
    """Inverse of a symmetric positive-definite matrix by Cholesky (LU when that fails)."""
    c, info = lapack.dpotrf(A, lower=1, clean=1)
    if info == 0:
        Ai, info = lapack.dpotri(c, lower=1)
        if info == 0:
            Ai = np.tril(Ai)
            return Ai + np.tril(Ai, -1).T
    return np.linalg.inv(A)


class H1Pieces(list):
    """The :class:`_H1` of each group, and ``memo``: the data-only results of :func:`fiml_corrected`
    (filled on first use, reused by every model fitted to the same data)."""

    def __init__(self, items):
        super().__init__(items)
        self.memo: dict = {}


#: The saturated-model pieces of the last few data sets (see :func:`h1_pieces`).
_H1_CACHE: OrderedDict = OrderedDict()
_H1_CACHE_SIZE = 2


def _data_key(pats, h1_cov, h1_mean, rr, cc, vech_w) -> bytes:
    """A digest of the data (each group's rows, missing cells included), the EM moments and the
    moment layout: equal digests give equal saturated-model pieces."""
    h = hashlib.blake2b(digest_size=20)
    for pat, S, m in zip(pats, h1_cov, h1_mean):
        for a in (pat.Y, S, m):
            a = np.ascontiguousarray(a, dtype=float)
            h.update(repr(a.shape).encode())
            h.update(a.tobytes())
    for a in (rr, cc, vech_w):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr(len(pats)).encode())
    return h.digest()


def clear_h1_cache() -> None:
    """Forget the saturated-model pieces of earlier data sets (for timing a cold fit, or memory)."""
    _H1_CACHE.clear()


def h1_pieces(cm: CompiledModel, pats, h1_cov, h1_mean) -> H1Pieces:
    """The saturated model's pieces of each group (an :class:`H1Pieces`), from the cache when the
    same data and EM moments were seen in one of the last ``_H1_CACHE_SIZE`` calls."""
    key = _data_key(pats, h1_cov, h1_mean, cm.rr, cm.cc, cm.vech_w)
    h1 = _H1_CACHE.get(key)
    if h1 is None:
        h1 = H1Pieces([_H1(pat, h1_cov[g], h1_mean[g], cm.rr, cm.cc, cm.vech_w) for g, pat in enumerate(pats)])
        _H1_CACHE[key] = h1
        while len(_H1_CACHE) > _H1_CACHE_SIZE:
            _H1_CACHE.popitem(last=False)
    else:
        _H1_CACHE.move_to_end(key)
    return h1


def _independence(pats):
    """Per group: available-case means and (ML) variances, i.e. the FIML independence estimates."""
    out = []
    for pat in pats:
        m = np.nanmean(pat.Y, axis=0)
        v = np.nanvar(pat.Y, axis=0)
        out.append((m, v))
    return out


def _independence_scores_info(pats, ind):
    """Casewise scores (per group) and total observed information of the independence model.

    Parameters per group: the p variances, then the p means.
    """
    scores, infos = [], []
    for pat, (m, v) in zip(pats, ind):
        Y = pat.Y
        obs = ~np.isnan(Y)
        E = np.where(obs, Y - m, 0.0)
        s_var = np.where(obs, 0.5 * (E * E / v**2 - 1.0 / v), 0.0)
        s_mean = E / v
        scores.append(np.hstack([s_var, s_mean]))
        nj = obs.sum(axis=0)
        infos.append(np.concatenate([nj / (2 * v**2), nj / v]))
    return scores, infos


def fiml_yb_factors(h1, scores, A_total, ind_pats):
    """Yuan-Bentler (Mplus variant) scaling factors of the model and of the baseline.

    Returns ``(c_model_times_df, c_baseline_times_dfb)``, i.e. the traces; divide by the
    degrees of freedom.
    """
    tr_h1 = sum(h.trace for h in h1)
    B = sum(s.T @ s for s in scores)
    tr_h0 = float(np.sum(B * np.linalg.inv(A_total).T))
    ind = _independence(ind_pats)
    bs, binfo = _independence_scores_info(ind_pats, ind)
    tr_b = sum(float(np.sum((s * s).sum(axis=0) / i)) for s, i in zip(bs, binfo))
    return tr_h1 - tr_h0, tr_h1 - tr_b


def _ml_chisq(Sigma, mu, S, m, n):
    """``n * F_ML`` of implied (Sigma, mu) against complete-data moments (S, m)."""
    Vi, logdet = chol_inv(Sigma)
    d = m - mu
    p = len(S)
    ldS = np.linalg.slogdet(S)[1]
    return n * (logdet + np.sum(S * Vi) - ldS - p + d @ Vi @ d)


def _checked_inverse(M):
    """Inverse of a symmetric positive-definite matrix; LinAlgError when it is (nearly) singular."""
    d = np.sqrt(np.abs(np.diag(M)))
    d[d == 0] = 1.0
    ev = np.linalg.eigvalsh(M / np.outer(d, d))
    if ev[0] < 1e-10 * max(1.0, ev[-1]):
        raise np.linalg.LinAlgError("singular information matrix")
    return np.linalg.inv(M)


def _memo(h1, key, compute):
    """``h1.memo[key]``, computed by ``compute()`` on first use (always computed for a plain list)."""
    memo = getattr(h1, "memo", None)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def fiml_corrected(cm: CompiledModel, theta, pats, h1, h1_cov, h1_mean, df, bdf, version):
    """lavaan's ``lav_fit_fiml_corrected``: (XX3, c3, XX3_null, c3_null).

    The matrices of the module docstring are block-diagonal over groups and are never
    multiplied as ``K x K`` matrices: with ``E = (D' Wm D)^-1 D' Wm`` and ``P = I - D E``,
    ``Wm^-1 U Wm^-1 = Wm^-1 - D (D' Wm D)^-1 D'`` and ``U Wm^-1 Wc Wm^-1 U = P' Wc P``, so

    * V6: ``k = tr(Wc Wm^-1) - tr((D' Wm D)^-1 D' Wc D)``;
    * V3: ``k = tr(Wc Gamma) - 2 tr(Wc D E Gamma) + tr(D' Wc D E Gamma E')`` with
      ``Gamma = R' R / (n f)`` from :class:`_H1`.

    ``h1`` is :func:`h1_pieces` of the same ``pats``, ``h1_cov`` and ``h1_mean``: the terms that
    depend on the data alone (``tr(Wc Wm^-1)``, ``tr(Wc Gamma)``, the baseline's ``XX3_null`` and
    factor) are kept in its ``memo`` and computed once per data set.
    """
    G = len(pats)
    N = sum(p.n for p in pats)
    fg = np.array([p.n / N for p in pats])
    rr, cc = cm.rr, cm.cc
    ps = len(rr)
    p = cm.p
    XX3 = sum(_ml_chisq(*cm.implied(theta, g), h1_cov[g], h1_mean[g], pats[g].n) for g in range(G))
    ind = _memo(h1, "independence", lambda: _independence(pats))
    XX3n = _memo(
        h1,
        "XX3_null",
        lambda: sum(_ml_chisq(np.diag(v), m, h1_cov[g], h1_mean[g], pats[g].n) for g, (m, v) in enumerate(ind)),
    )
    Vis = _memo(h1, "Sigma_inverses", lambda: [chol_inv(h1_cov[g])[0] for g in range(G)])

    def wc_wmi():
        Wc = [fg[g] * _complete_h1_information(h1_cov[g], rr, cc) for g in range(G)]
        return sum(float(np.vdot(Wc[g], h1[g].A1i)) / fg[g] for g in range(G))

    def wc_gam():
        return sum(
            float(np.vdot(_complete_info_times(Vis[g], h1[g].R.T, rr, cc), h1[g].R.T)) / h1[g].n for g in range(G)
        )

    tr_wc_wmi = _memo(h1, "tr_wc_wmi", wc_wmi) if version != "V3" else None
    tr_wc_gam = _memo(h1, "tr_wc_gam", wc_gam) if version == "V3" else None

    def kfac(Ds):
        """``Ds``: per group, the Jacobian (K x npar) of the moments.

        Each group's products use only the columns of ``D`` that are not zero in that group (a
        multi-group model's other groups' parameters): the same sums without the zero terms.
        """
        q = Ds[0].shape[1]
        if q == 0:  # nothing estimated: U = Wm
            return tr_wc_gam if version == "V3" else tr_wc_wmi
        DWmD = np.zeros((q, q))
        DWcD = np.zeros((q, q))
        blocks = []
        for g in range(G):
            nz = np.flatnonzero(np.any(Ds[g] != 0, axis=0))
            Dg = Ds[g][:, nz]
            WmD = fg[g] * (h1[g].A1 @ Dg)
            WcD = fg[g] * _complete_info_times(Vis[g], Dg, rr, cc)
            ix = np.ix_(nz, nz)
            DWmD[ix] += Dg.T @ WmD
            DWcD[ix] += Dg.T @ WcD
            blocks.append((nz, WmD, WcD))
        Ei = _checked_inverse(DWmD)
        if version != "V3":
            return tr_wc_wmi - float(np.vdot(Ei, DWcD))
        out = tr_wc_gam
        EGE = np.zeros_like(DWcD)
        for g, (nz, WmD, WcD) in enumerate(blocks):
            E = Ei[:, nz] @ WmD.T  # (npar, K)
            ER = E @ h1[g].R.T  # (npar, n)
            s = 1.0 / (h1[g].n * fg[g])
            EG = (ER @ h1[g].R) * s  # E Gamma
            out -= 2.0 * float(np.vdot(WcD, EG[nz].T))
            EGE += (ER @ ER.T) * s
        return out + float(np.vdot(DWcD, EGE))

    def baseline_factor():
        k = ps + p
        diag_cells = np.flatnonzero(rr == cc)
        db = np.zeros((k, 2 * p))
        db[diag_cells, rr[diag_cells]] = 1.0
        db[ps + np.arange(p), p + np.arange(p)] = 1.0
        if G > 1:  # the baseline's parameters are per group
            DBs = [np.hstack([np.zeros((k, 2 * p * g)), db, np.zeros((k, 2 * p * (G - g - 1)))]) for g in range(G)]
        else:
            DBs = [db]
        return kfac(DBs)

    c3 = kfac([cm.delta(theta, g) for g in range(G)]) / df if df > 0 else np.nan
    c3n = _memo(h1, ("baseline_factor", version), baseline_factor) / bdf if bdf > 0 else np.nan
    return float(XX3), c3, float(XX3n), c3n
