"""Score tests of equality constraints (lavaan's ``lavTestScore``).

Equality constraints (``group_equal``, shared labels) are shared free parameters in the engine. In
the *free* parameterisation every constrained row has its own parameter; ``T`` maps the constrained
parameters onto the free ones (``theta_free = T theta``). With the per-observation score ``s`` and
expected information ``I`` of the free parameterisation at the constrained estimates:

- the total test of all constraints is ``N s' I^-1 s`` (df = the number of constraints);
- the univariate test of constraint ``r`` (releasing row ``j`` from its shared parameter) adds one
  parameter, row j's departure from the shared value (the column ``e_j``), so that
  ``T_r = [T, e_j]`` and ``T_r' s = (0, s_j)`` at the constrained estimates: the statistic is
  ``N s_j^2 / V`` with ``V = I_jj - a' M^-1 a``, ``M = T' I T`` and ``a = T' I e_j`` (the form of a
  modification index), the same as lavaan's bordered-matrix computation.

A constraint between the rows of groups 1 and g is written as lavaan writes it: one row per group
after the first, the first group's row being the reference. With FIML the information is the
expected information of the missing-data likelihood, as for the modification indices.

Notes
-----
Checked against lavaan 0.6.14 ``lavTestScore()`` (univariate and total tests) for the metric and
scalar invariance models of Holzinger-Swineford by school (tests/fixtures/lavaan/score_test_reference.R).

References
----------
Bentler, P. M., & Chou, C.-P. (1992). Some new covariance structure model improvement statistics.
*Sociological Methods & Research, 21*(2), 259-282.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import linalg
from scipy import stats as sps

from .errors import ModelError
from .estimate import gradient_and_information
from .model import CompiledModel

__all__ = ["equality_score_tests"]


def _solver(M: np.ndarray):
    """``a -> M^-1 a`` by Cholesky, or by the pseudo-inverse when ``M`` is singular (as lavaan's ginv)."""
    try:
        fac = linalg.cho_factor(M)
        return lambda a: linalg.cho_solve(fac, a)
    except linalg.LinAlgError:
        pinv = np.linalg.pinv(M)
        return lambda a: pinv @ a


def _free_parameterisation(core: pd.DataFrame):
    """The partable with one parameter per free row, and T (rows x constrained params)."""
    free = core["free"].to_numpy()
    rows = np.flatnonzero(free > 0)
    q = int(free.max()) if len(rows) else 0
    T = np.zeros((len(rows), q))
    T[np.arange(len(rows)), free[rows] - 1] = 1.0
    aug = core[["lhs", "op", "rhs", "group", "free", "ustart", "exo"]].copy()
    new_free = np.zeros(len(core), dtype=int)
    new_free[rows] = np.arange(1, len(rows) + 1)
    aug["free"] = new_free
    return aug, rows, T


def equality_score_tests(res) -> tuple[pd.DataFrame, dict]:
    """Univariate score tests of every equality constraint of a fitted model, and the total test.

    Parameters
    ----------
    res : validate.sem.SemResult
        A converged ML/MLR fit (complete data or FIML) with equality constraints.

    Returns
    -------
    table : pandas.DataFrame
        One row per constraint: ``lhs``, ``op``, ``rhs`` (the parameter), ``group`` (the group whose
        row would be released, 1-based), ``group_label``, ``reference_group``, ``x2``, ``df`` (1),
        ``p_value``; sorted by the order of the parameter table.
    total : dict
        ``x2``, ``df``, ``p_value`` of releasing all constraints at once.
    """
    if res.estimator == "WLSMV":
        raise ModelError("score tests of equality constraints are not implemented for WLSMV")
    if not res.converged or getattr(res, "estimates_only", False):
        raise ModelError("score tests need a converged fit with standard errors")
    spec = res.spec
    core = spec.partable[spec.partable["op"] != ":="].reset_index(drop=True)
    aug, rows, T = _free_parameterisation(core)
    counts = T.sum(axis=0)
    if not np.any(counts > 1):
        raise ModelError("the model has no equality constraints to test")
    cm = CompiledModel(aug, spec.ov_names, spec.lv_names, spec.ngroups, spec.meanstructure)
    cm.set_exo(res._stats)
    theta_f = T @ res.theta
    if getattr(res, "missing", "listwise") == "fiml":
        from .modindices import fiml_information_score

        info, score = fiml_information_score(cm, theta_f, res._data)
    else:
        _, grad, H = gradient_and_information(cm, theta_f, res._stats)
        info, score = 0.5 * H, -0.5 * grad
    N = res.n
    M = T.T @ info @ T  # the constrained model's information
    Ta = T.T @ info  # (q x qf): column j is T' I e_j
    Minv_a = _solver(M)
    out = []
    group_of_row = core["group"].to_numpy()[rows]
    labels = list(res.group_labels) if res.group_labels else []
    for k in np.flatnonzero(counts > 1):
        members = np.flatnonzero(T[:, k] > 0)
        members = members[np.argsort(group_of_row[members], kind="stable")]
        ref = members[0]
        for j in members[1:]:
            # releasing row j: a new parameter for row j's departure from parameter k (column e_j)
            a = Ta[:, j]
            V = info[j, j] - a @ Minv_a(a)
            x2 = N * score[j] ** 2 / V if V > np.finfo(float).eps ** (1 / 3) else np.nan
            r = core.iloc[rows[j]]
            g = int(r["group"])
            out.append(
                {
                    "lhs": r["lhs"],
                    "op": r["op"],
                    "rhs": r["rhs"],
                    "group": g,
                    "group_label": labels[g - 1] if len(labels) >= g else g,
                    "reference_group": int(group_of_row[ref]),
                    "x2": float(x2),
                    "df": 1,
                    "p_value": float(sps.chi2.sf(x2, 1)) if np.isfinite(x2) else np.nan,
                }
            )
    n_con = int(np.sum(counts[counts > 1] - 1))
    try:
        total = float(N * score @ np.linalg.solve(info, score))
    except np.linalg.LinAlgError:
        total = float(N * score @ np.linalg.pinv(info) @ score)
    return (
        pd.DataFrame(
            out, columns=["lhs", "op", "rhs", "group", "group_label", "reference_group", "x2", "df", "p_value"]
        ),
        {"x2": total, "df": n_con, "p_value": float(sps.chi2.sf(total, n_con))},
    )
