"""Empirical influence values of ML estimates and of functions of them (the infinitesimal jackknife).

The BCa bootstrap interval needs an acceleration constant, which Efron (1987) defines from the
empirical influence function of the statistic. The leave-one-out jackknife approximates it with
one refit per respondent, so its cost grows with n (45 of 63 s at n = 14,400). For a normal-theory
ML estimate the influence function is available in closed form from the casewise scores and the
observed information, at the cost of one pass over the data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from validate.blas import single_threaded_blas

from .estimate import compiled_model, gradient_and_information
from .model import SampleStats

__all__ = ["influence_values", "EffectInfluence"]


def influence_values(
    spec,
    theta: np.ndarray,
    data: np.ndarray,
    fn: Callable[[np.ndarray], np.ndarray] | None = None,
    *,
    block_rows: int = 4096,
) -> np.ndarray:
    """Empirical influence values of ``fn(theta_hat)`` at each row of complete data.

    Parameters
    ----------
    spec : ParTable or CompiledModel
        The fitted single-group model (``SemResult.spec``), fitted by normal-theory ML to ``data``.
    theta : ndarray, shape (q,)
        The ML estimates on ``data`` (free-parameter vector).
    data : ndarray, shape (n, p)
        The complete rows the model was fitted to, columns in the model's ``ov_names`` order.
    fn : callable, optional
        ``theta -> vector of k statistics`` (e.g. :class:`validate.sem.effects.EffectVector`);
        default: the parameters themselves.
    block_rows : int
        Rows processed at once; memory is ``O(block_rows * p^2)``, never ``O(n^2)``.

    Returns
    -------
    ndarray, shape (n, k)
        ``U[i] = J A^-1 s_i``: row ``i``'s influence on each statistic. They sum to zero (to rounding).

    Raises
    ------
    ValueError
        The model has several groups or fixed exogenous covariates (their moments are held at the
        sample values, so the formula below does not cover them), or the information is singular.

    Notes
    -----
    The ML estimate solves :math:`\\sum_i s_i(\\hat\\theta) = 0` with :math:`s_i` the casewise score
    (:func:`validate.sem.estimate.casewise_scores`; with saturated means the sample mean is
    plugged in and its own influence drops out, because the expected derivative of the
    covariance score with respect to the mean is zero there). As an M-estimator its influence
    function is :math:`IF_i = A^{-1} s_i` with :math:`A = -\\frac1n \\sum_i \\partial s_i /
    \\partial\\theta'`, the observed information per observation, which is half the exact Hessian
    of the discrepancy :math:`F` (:func:`~validate.sem.estimate.gradient_and_information` with
    ``exact=True``). A smooth function :math:`t = f(\\theta)` has :math:`U_i = J\\, IF_i` with
    :math:`J = \\partial f/\\partial\\theta'` by central differences. Leave-one-out values satisfy
    :math:`t_{(i)} \\approx t - U_i / (n - 1)` (the infinitesimal jackknife); the acceleration
    :math:`a = \\sum U_i^3 / (6 (\\sum U_i^2)^{3/2})` is Efron's (1987, eq. 6.7) own definition.
    The scores are those of :func:`~validate.sem.estimate.casewise_scores`, contracted with
    :math:`K = J A^{-1}` before the product with the model Jacobian, so a block of rows costs one
    ``(rows x p*) @ (p* x k)`` product. ``tests/test_influence.py`` checks :math:`U` for the
    parameters against the derivative of refits to perturbed moments (to ~3e-6) and, for
    indirect effects, against exact leave-one-out refits.

    References
    ----------
    Efron, B. (1987). Better bootstrap confidence intervals. *JASA, 82*, 171-185.

    Jaeckel, L. A. (1972). *The infinitesimal jackknife*. Bell Laboratories Memorandum MM 72-1215-11.

    Hampel, F. R. (1974). The influence curve and its role in robust estimation. *JASA, 69*, 383-393.
    """
    with single_threaded_blas():  # small products: threads only cost (badly so on a busy machine)
        return _influence_values(spec, theta, data, fn, block_rows)


def _influence_values(spec, theta, data, fn, block_rows):
    cm = compiled_model(spec)
    if cm.ngroups != 1:
        raise ValueError("influence values are implemented for single-group models only")
    if cm.has_exo:
        raise ValueError("influence values do not cover fixed exogenous covariates (fixed.x)")
    x = np.asarray(data, dtype=float)
    n = x.shape[0]
    theta = np.asarray(theta, dtype=float)
    mean = x.mean(axis=0)
    cov = _cov_n(x, mean, block_rows)
    stats = SampleStats([cov], [mean], [n])
    cm.set_exo(stats)
    F, _, H = gradient_and_information(cm, theta, stats, exact=True)
    if H is None or not np.isfinite(F):
        raise ValueError("the model-implied covariance matrix is not positive definite at the estimates")
    info = 0.5 * H
    if fn is None:
        jac = np.eye(theta.size)
    else:
        jac = _jacobian(fn, theta)
    try:
        K = np.linalg.solve(info, jac.T).T  # (k, q) = J A^-1 (A is symmetric)
    except np.linalg.LinAlgError as exc:
        raise ValueError("the information matrix is singular") from exc
    # s_i = Dt' [-0.5 w (vech(Vi) - vech(u_i u_i')), u_i] with u_i = Vi (x_i - mu)
    # (casewise_scores), so K s_i = 0.5 (u_i u_i')_w P_cov - 0.5 vech(Vi)_w P_cov + u_i' P_mean
    # with P = Dt K' precomputed: one (block x p*) product per block instead of two.
    Sigma, mu = cm.implied(theta, 0)
    if not cm.meanstructure:
        mu = mean
    Vi = np.linalg.inv(Sigma)
    Vi = 0.5 * (Vi + Vi.T)
    P = cm.delta(theta, 0) @ K.T  # (p* [+ p], k)
    rr, cc = cm.rr, cm.cc
    pstar = rr.size
    Pc = 0.5 * cm.vech_w[:, None] * P[:pstar]
    const = Vi[rr, cc] @ Pc
    out = np.empty((n, jac.shape[0]))
    for start in range(0, n, block_rows):
        u = (x[start : start + block_rows] - mu) @ Vi
        blk = (u[:, rr] * u[:, cc]) @ Pc
        blk -= const
        if cm.meanstructure:
            blk += u @ P[pstar:]
        out[start : start + len(u)] = blk
    return out


def _cov_n(x: np.ndarray, mean: np.ndarray, block_rows: int) -> np.ndarray:
    """Covariance matrix with divisor n, accumulated over row blocks."""
    p = x.shape[1]
    acc = np.zeros((p, p))
    for start in range(0, x.shape[0], block_rows):
        xc = x[start : start + block_rows] - mean
        acc += xc.T @ xc
    return acc / x.shape[0]


def _jacobian(fn: Callable[[np.ndarray], np.ndarray], theta: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of ``fn`` at ``theta`` (steps 1e-6 relative: error ~1e-10)."""
    f0 = np.asarray(fn(theta), dtype=float)
    jac = np.empty((f0.size, theta.size))
    for j in range(theta.size):
        h = 1e-6 * max(1.0, abs(theta[j]))
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        jac[:, j] = (np.asarray(fn(tp), dtype=float) - np.asarray(fn(tm), dtype=float)) / (2 * h)
    return jac


class EffectInfluence:
    """Picklable ``data -> influence values`` of a function of the estimates (see :func:`influence_values`).

    Parameters
    ----------
    spec : ParTable
    theta : ndarray
        The full-sample estimates.
    fn : callable, optional
        ``theta -> statistics`` (e.g. ``SemBootstrapStatistic.effects``).
    """

    def __init__(self, spec, theta: np.ndarray, fn: Callable[[np.ndarray], np.ndarray] | None = None):
        self.spec = spec
        self.theta = np.asarray(theta, dtype=float)
        self.fn = fn

    def __call__(self, data: np.ndarray) -> np.ndarray:
        return influence_values(self.spec, self.theta, data, self.fn)
