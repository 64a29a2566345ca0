"""MLR: Huber-White sandwich standard errors and the Yuan-Bentler scaled test.

Notes
-----
Follows lavaan 0.6's ``estimator = "MLR"`` for complete data:

* bread = observed information of the structured model (Hessian of
  ``fmin = F/2``, numerically differentiated analytic gradient, as lavaan
  does), meat = outer products of casewise scores

  ``vcov = A^-1 B A^-1`` on the total-sample scale

* test = "yuan.bentler.mplus": ``c = (tr_h1 - tr_h0) / df`` with
  ``tr_h1 = sum_g tr(B1_g A1_g^-1)`` (unstructured model at the sample
  moments) and ``tr_h0 = sum_g (N_g/N) tr(B0_g E^-1)``.

Checked against holzinger_cfa_mlr.json (lavaan 0.6.14).
"""

from __future__ import annotations

import numpy as np

from .estimate import casewise_scores, chol_inv, gradient_and_information
from .model import CompiledModel, SampleStats

__all__ = ["h1_trace", "observed_information", "sandwich", "yb_trace"]


def observed_information(cm: CompiledModel, theta, stats: SampleStats):
    """Per-observation observed information: Hessian of ``F/2`` (central differences)."""
    q = cm.nfree
    H = np.zeros((q, q))
    for k in range(q):
        h = 1e-5 * max(1.0, abs(theta[k]))
        tp = theta.copy()
        tp[k] += h
        tm = theta.copy()
        tm[k] -= h
        _, gp, _ = gradient_and_information(cm, tp, stats, hessian=False)
        _, gm, _ = gradient_and_information(cm, tm, stats, hessian=False)
        H[:, k] = (gp - gm) / (2 * h)
    H = 0.5 * (H + H.T)
    return 0.5 * H


def sandwich(cm, theta, stats, data_list):
    """Return (vcov, A_per_obs, B0_groups) for the sandwich estimator."""
    A = observed_information(cm, theta, stats)
    scores = casewise_scores(cm, theta, data_list, stats)
    N = stats.ntotal
    B0 = [s.T @ s / len(s) for s in scores]
    B = sum(w * b for w, b in zip(stats.weights, B0))
    Ai = np.linalg.inv(A)
    vcov = Ai @ B @ Ai / N
    return vcov, A, B0


def h1_trace(cm: CompiledModel, data_list, stats: SampleStats):
    """sum_g tr(B1_g A1_g^-1) for the unrestricted (saturated) model."""
    rr, cc = cm.rr, cm.cc
    w = cm.vech_w
    total = 0.0
    for g in range(cm.ngroups):
        S = stats.cov[g]
        Si, _ = chol_inv(S)
        f = np.where(rr == cc, 1 / np.sqrt(2), np.sqrt(2))
        Gam = np.outer(f, f) * (Si[np.ix_(rr, rr)] * Si[np.ix_(cc, cc)] + Si[np.ix_(rr, cc)] * Si[np.ix_(cc, rr)])
        A1 = 0.5 * Gam
        E = data_list[g] - stats.mean[g]
        U = E @ Si
        Z = -0.5 * w * (Si[rr, cc][None, :] - U[:, rr] * U[:, cc])
        if cm.meanstructure:
            A1 = np.block([[A1, np.zeros((len(rr), cm.p))], [np.zeros((cm.p, len(rr))), Si]])
            Z = np.hstack([Z, U])
        B1 = Z.T @ Z / len(Z)
        total += np.trace(np.linalg.solve(A1, B1))
    return float(total)


def yb_trace(A, B0, stats: SampleStats):
    """sum_g (N_g/N) tr(B0_g A^-1) for the structured model."""
    Ai = np.linalg.inv(A)
    return float(sum(w * np.sum(b * Ai.T) for w, b in zip(stats.weights, B0)))
