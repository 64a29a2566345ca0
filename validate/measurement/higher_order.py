"""Second-order (higher-order) constructs: reliability and convergent validity.

A second-order construct ``OUT =~ COST + REV + EXP`` is measured by first-order
constructs (its *dimensions*), which are measured by items. Its reliability is
reported as semTools reports it (``reliabilityL2`` and ``compRelSEM(higher=)``)
and its CR and AVE from the standardised second-order loadings, as theses do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["reliability_l2", "second_order_summary"]


def _latent_cov(params: pd.DataFrame, factors: list[str]) -> np.ndarray:
    k = len(factors)
    ix = {f: i for i, f in enumerate(factors)}
    B = np.zeros((k, k))
    Psi = np.zeros((k, k))
    for r in params.itertuples(index=False):
        if r.op == "=~" and r.lhs in ix and r.rhs in ix:
            B[ix[r.rhs], ix[r.lhs]] = r.estimate  # a first-order factor regressed on its second-order factor
        elif r.op == "~" and r.lhs in ix and r.rhs in ix:
            B[ix[r.lhs], ix[r.rhs]] = r.estimate
        elif r.op == "~~" and r.lhs in ix and r.rhs in ix:
            Psi[ix[r.lhs], ix[r.rhs]] = Psi[ix[r.rhs], ix[r.lhs]] = r.estimate
    T = np.linalg.inv(np.eye(k) - B)
    return T @ Psi @ T.T


def reliability_l2(params: pd.DataFrame, second: str, sample_cov: pd.DataFrame | None = None) -> dict:
    """Reliability of a second-order factor: omega at level 1 and level 2, partial omega.

    Parameters
    ----------
    params : pandas.DataFrame
        A fitted model's parameter table (``lhs``, ``op``, ``rhs``, ``estimate``) in which
        ``second =~ dimensions`` and every dimension ``=~`` its items (one group).
    second : str
        The second-order factor.
    sample_cov : pandas.DataFrame, optional
        The sample covariance of the items (lavaan's, divided by N), for ``omega_higher``.

    Returns
    -------
    dict
        ``omega_l1`` (the proportion of the variance of the sum of all the items explained by
        the second-order factor), ``omega_l2`` (the proportion of the variance of the sum of the
        dimensions explained by it), ``partial_omega_l1`` (``omega_l1`` with the dimensions'
        unique variance left out of the denominator), ``omega_higher`` (semTools'
        ``compRelSEM(higher=)``: the explained variance over the *observed* variance of the
        item sum; ``None`` without ``sample_cov``), ``dimensions`` and ``items``.

    Notes
    -----
    With second-order loadings :math:`\\gamma_k`, first-order loadings :math:`\\lambda_{ik}`,
    dimension disturbances :math:`\\psi_k`, item residual covariances :math:`\\Theta` and the
    model-implied variance :math:`\\phi` of the second-order factor (semTools
    ``reliabilityL2``)::

        common_l1 = (sum_i sum_k lambda_ik gamma_k)^2 phi
        unique_l1 = sum_k (sum_i lambda_ik)^2 psi_k
        error_l1  = sum(Theta[items, items])
        omega_l1  = common_l1 / (common_l1 + unique_l1 + error_l1)
        partial_omega_l1 = common_l1 / (common_l1 + error_l1)
        omega_l2  = (sum_k gamma_k)^2 phi / ((sum_k gamma_k)^2 phi + sum(Psi[dims, dims]))

    ``omega_higher`` is ``common_l1 / sum(S[items, items])``. Checked against semTools 0.5.6
    (``reliabilityL2``, ``compRelSEM(higher = ...)``) on ``tests/fixtures/richer`` to 1e-9.

    References
    ----------
    Raykov, T., & Marcoulides, G. A. (2012). Evaluation of validity and reliability for hierarchical
    scales using latent variable modeling. *Structural Equation Modeling, 19*(3), 495-508.
    """
    pt = params
    load = pt[pt.op == "=~"]
    factors = list(dict.fromkeys(load.lhs))
    dims = [r.rhs for r in load.itertuples(index=False) if r.lhs == second]
    if not dims:
        raise ValueError(f"{second} has no dimensions (no '{second} =~ ...' row)")
    gamma = np.array([float(load[(load.lhs == second) & (load.rhs == d)].estimate.iloc[0]) for d in dims])
    items = [r.rhs for r in load.itertuples(index=False) if r.lhs in dims]
    lam = pd.DataFrame(0.0, index=items, columns=dims)
    for r in load.itertuples(index=False):
        if r.lhs in dims:
            lam.loc[r.rhs, r.lhs] = r.estimate
    theta = pd.DataFrame(0.0, index=items, columns=items)
    psi = pd.DataFrame(0.0, index=dims, columns=dims)
    for r in pt[pt.op == "~~"].itertuples(index=False):
        if r.lhs in items and r.rhs in items:
            theta.loc[r.lhs, r.rhs] = theta.loc[r.rhs, r.lhs] = r.estimate
        elif r.lhs in dims and r.rhs in dims:
            psi.loc[r.lhs, r.rhs] = psi.loc[r.rhs, r.lhs] = r.estimate
    cov = _latent_cov(pt, factors)
    phi = float(cov[factors.index(second), factors.index(second)])
    l1 = lam.to_numpy() @ gamma
    common_l1 = float(l1.sum() ** 2 * phi)
    unique_l1 = float(sum(lam[d].sum() ** 2 * psi.loc[d, d] for d in dims))
    error_l1 = float(theta.to_numpy().sum())
    common_l2 = float(gamma.sum() ** 2 * phi)
    error_l2 = float(psi.to_numpy().sum())
    higher = None
    if sample_cov is not None:
        higher = common_l1 / float(sample_cov.loc[items, items].to_numpy().sum())
    return {
        "omega_l1": common_l1 / (common_l1 + unique_l1 + error_l1),
        "omega_l2": common_l2 / (common_l2 + error_l2),
        "partial_omega_l1": common_l1 / (common_l1 + error_l1),
        "omega_higher": higher,
        "dimensions": dims,
        "items": items,
    }


def second_order_summary(params: pd.DataFrame, second: str) -> dict:
    """CR and AVE of a second-order construct from its standardised second-order loadings.

    Parameters
    ----------
    params : pandas.DataFrame
        Parameter table with ``std_all``.
    second : str

    Returns
    -------
    dict
        ``cr`` (composite reliability), ``ave`` (average variance extracted) and ``loadings``
        (the standardised loadings of the dimensions, in order).

    Notes
    -----
    With standardised loadings :math:`\\gamma_k` of the :math:`K` dimensions,
    ``CR = (sum gamma)^2 / ((sum gamma)^2 + sum(1 - gamma^2))`` and ``AVE = sum(gamma^2) / K``
    (Fornell & Larcker, 1981), the first-order formulas applied to the second-order loadings.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with unobservable
    variables and measurement error. *Journal of Marketing Research, 18*(1), 39-50.
    """
    rows = params[(params.op == "=~") & (params.lhs == second)]
    g = rows.std_all.to_numpy(dtype=float)
    s = g.sum()
    return {
        "cr": float(s**2 / (s**2 + (1 - g**2).sum())),
        "ave": float((g**2).mean()),
        "loadings": [float(x) for x in g],
    }
