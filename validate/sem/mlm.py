"""MLM: ML estimates with Satorra-Bentler robust standard errors and scaled test (complete data).

Notes
-----
As lavaan 0.6's ``estimator = "MLM"`` (``se = "robust.sem"``, ``test = "satorra.bentler"``), per
group ``g`` with weight ``w_g = N_g / N``:

* ``Gamma_g``: the asymptotic covariance matrix of the sample statistics ``(vech(S_g), ybar_g)``,
  the average outer product of ``z_i = (vech((y_i - ybar)(y_i - ybar)') - vech(S), y_i - ybar)``
  (divisor ``N_g``);
* ``W_g``: the normal-theory weight (expected information of the saturated model) at the
  model-implied moments, ``0.5 D' (Sigma^-1 (x) Sigma^-1) D`` for the covariances and
  ``Sigma^-1`` for the means; ``Delta_g`` the Jacobian of the implied moments;
* ``E = sum_g w_g Delta_g' W_g Delta_g`` (expected information), ``vcov =
  E^-1 (sum_g w_g Delta_g' W_g Gamma_g W_g Delta_g) E^-1 / N``;
* ``U_g = W_g - w_g W_g Delta_g E^-1 Delta_g' W_g``, scaling factor ``c = sum_g tr(U_g Gamma_g) / df``
  and ``chisq_scaled = chisq / c``; the baseline model's factor the same way, then the scaled and
  robust CFI/TLI/RMSEA as for MLR.

Checked against lavaan 0.6.14 on the battery (tests/fixtures/lavaan/battery.json).

References
----------
Satorra, A., & Bentler, P. M. (1994). Corrections to test statistics and standard errors in
covariance structure analysis. In A. von Eye & C. C. Clogg (Eds.), Latent variables analysis
(pp. 399-419). Sage.
"""

from __future__ import annotations

import numpy as np

from .model import CompiledModel, SampleStats

__all__ = ["gamma_matrices", "satorra_bentler"]


def gamma_matrices(cm: CompiledModel, data_list, stats: SampleStats, x_idx=()):
    """``Gamma_g`` per group (N divisor), over ``vech(S)`` and, with a mean structure, the means.

    With fixed covariates (``x_idx``, fixed.x) each case's statistics are taken less their part
    predicted by the covariates (OLS), as lavaan's ``lav_samplestats_Gamma``: the covariates'
    own moments then carry no sampling variability.
    """
    rr, cc = cm.rr, cm.cc
    xi = np.asarray(sorted(int(i) for i in x_idx), dtype=np.intp)
    out = []
    for g, Y in enumerate(data_list):
        E = Y - stats.mean[g]
        Z = E[:, rr] * E[:, cc]
        if cm.meanstructure:
            Z = np.hstack([Z, Y])
        if len(xi):
            # fixed.x: subtract the part explained by the covariates (OLS of every other variable
            # on them), so the covariates' own moments carry no sampling variability
            X1 = np.column_stack([np.ones(len(Y)), Y[:, xi]])
            beta = np.linalg.lstsq(X1, Y, rcond=None)[0]
            Yhat = X1 @ beta
            Yhat[:, xi] = Y[:, xi]
            Eh = Yhat - Yhat.mean(axis=0)
            Zh = Eh[:, rr] * Eh[:, cc]
            if cm.meanstructure:
                Zh = np.hstack([Zh, Yhat])
            Z = Z - Zh
        Zc = Z - Z.mean(axis=0)
        out.append(Zc.T @ Zc / len(Y))
    return out


def _weight(cm: CompiledModel, Sigma):
    rr, cc = cm.rr, cm.cc
    Si = np.linalg.inv(Sigma)
    # 0.5 D' (Si x Si) D on vech, with the duplication of off-diagonal elements
    W = 0.5 * (Si[np.ix_(rr, rr)] * Si[np.ix_(cc, cc)] + Si[np.ix_(rr, cc)] * Si[np.ix_(cc, rr)])
    f = np.where(rr == cc, 1.0, 2.0)
    W = W * np.outer(f, f) * 0.5
    if cm.meanstructure:
        p = cm.p
        n = len(rr)
        Wf = np.zeros((n + p, n + p))
        Wf[:n, :n] = W
        Wf[n:, n:] = Si
        W = Wf
    return W


def satorra_bentler(cm: CompiledModel, theta, stats: SampleStats, data_list, gammas=None, x_idx=()):
    """Robust covariance matrix of the estimates and ``sum_g w_g tr(U_g Gamma_g)``.

    Returns
    -------
    vcov : ndarray (q, q)
    trace : float
        ``sum_g tr(U_g Gamma_g)``; the scaling factor is ``trace / df``.
    """
    if gammas is None:
        gammas = gamma_matrices(cm, data_list, stats, x_idx)
    w = stats.weights
    Ds, Ws = [], []
    for g in range(cm.ngroups):
        Sigma, _ = cm.implied(theta, g)
        Ds.append(cm.delta(theta, g))
        Ws.append(_weight(cm, Sigma))
    E = sum(w[g] * Ds[g].T @ Ws[g] @ Ds[g] for g in range(cm.ngroups))
    Ei = np.linalg.inv(E)
    B = sum(w[g] * Ds[g].T @ Ws[g] @ gammas[g] @ Ws[g] @ Ds[g] for g in range(cm.ngroups))
    vcov = Ei @ B @ Ei / stats.ntotal
    trace = 0.0
    for g in range(cm.ngroups):
        WD = Ws[g] @ Ds[g]
        U = Ws[g] - w[g] * WD @ Ei @ WD.T
        trace += float(np.sum(U * gammas[g].T))
    return vcov, trace
