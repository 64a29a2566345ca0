"""Partial measurement invariance: release the constraints that fail, one at a time, by score test.

When the metric (equal loadings) or scalar (equal loadings and intercepts) model fails its criteria
against the level before it, the constraint with the largest univariate score test
(:func:`validate.sem.score_test.equality_score_tests`, lavaan's ``lavTestScore``) among those the
level added is released in every group (lavaan's ``group.partial``), the model is refitted, and the
search repeats until the criteria hold or no remaining constraint is significant at ``alpha``
(Byrne, Shavelson & Muthén, 1989; Cheung & Rensvold, 2002).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from scipy import stats as sps

__all__ = ["LEVEL_OPS", "partial_invariance"]

#: The parameters each level constrains: loadings (metric), then intercepts (scalar).
LEVEL_OPS = {"metric": "=~", "scalar": "~1"}


def _name(lhs: str, op: str, rhs: str) -> str:
    return f"{lhs}{op}" if op == "~1" else f"{lhs}{op}{rhs}"


def _criteria_hold(fit: dict, previous: dict, delta_cfi: float, delta_rmsea: float) -> bool:
    return (fit["cfi"] - previous["cfi"] >= -delta_cfi) and (fit["rmsea"] - previous["rmsea"] <= delta_rmsea)


def partial_invariance(
    level: str,
    fit_level: Callable[[Sequence[str]], object],
    start_fit,
    previous_fit,
    *,
    alpha: float = 0.05,
    delta_cfi: float = 0.01,
    delta_rmsea: float = 0.015,
    max_steps: int = 20,
) -> dict:
    """Search for a partially invariant model at ``level``.

    Parameters
    ----------
    level : {"metric", "scalar"}
    fit_level : callable
        ``fit_level(released)`` fits the level's model with the parameters in ``released`` (lavaan
        ``group.partial`` names such as ``"visual=~x2"`` or ``"x7~1"``) free in every group, and returns
        a :class:`validate.sem.SemResult`. Released parameters of earlier levels are its business.
    start_fit : validate.sem.SemResult
        The level's fully constrained model (already fitted).
    previous_fit : validate.sem.SemResult
        The model of the level before (configural for metric, the final metric model for scalar).
    alpha : float
        Only constraints with a score-test p below ``alpha`` are released.
    delta_cfi, delta_rmsea : float
        The criteria against ``previous_fit``: ΔCFI ≥ -delta_cfi and ΔRMSEA ≤ delta_rmsea.

    Returns
    -------
    dict
        ``level``; ``released``: one record per step (``parameter``, ``group_label`` of the largest
        test, ``x2``, ``p_value``, and the refitted model's ``chisq``, ``df``, ``cfi``, ``rmsea``);
        ``established`` (the criteria hold at the end); ``fit`` of the final model;
        ``chisq_diff``, ``df_diff``, ``p_value`` (final model against ``previous_fit``);
        ``reason`` when the search stopped without establishing invariance; ``result``: the final
        :class:`SemResult` (not JSON; the caller drops it).
    """
    from validate.sem.score_test import equality_score_tests

    op = LEVEL_OPS[level]
    current, released, steps = start_fit, [], []
    reason = None
    prev = previous_fit.fit
    while not _criteria_hold(current.fit, prev, delta_cfi, delta_rmsea):
        if len(steps) >= max_steps:
            reason = f"stopped after {max_steps} released parameters"
            break
        table, _ = equality_score_tests(current)
        table = table[(table["op"] == op)]
        table = table[~table.apply(lambda r: _name(r.lhs, r.op, r.rhs) in released, axis=1)]
        table = table.dropna(subset=["x2"]).sort_values("x2", ascending=False)
        if table.empty or table["p_value"].iloc[0] >= alpha:
            reason = (
                f"no remaining {'loading' if op == '=~' else 'intercept'} constraint has a significant "
                f"score test (p < {alpha:g}); the criteria still fail"
            )
            break
        top = table.iloc[0]
        name = _name(top.lhs, top.op, top.rhs)
        released.append(name)
        refit = fit_level(list(released))
        if not refit.converged:
            reason = f"the model with {name} released did not converge"
            released.pop()
            break
        current = refit
        steps.append(
            {
                "parameter": name,
                "group_label": str(top.group_label),
                "x2": float(top.x2),
                "p_value": float(top.p_value),
                **{k: float(current.fit[k]) for k in ("chisq", "df", "cfi", "rmsea")},
            }
        )
    d_chi = current.fit["chisq"] - prev["chisq"]
    d_df = current.fit["df"] - prev["df"]
    return {
        "level": level,
        "released": steps,
        "established": bool(_criteria_hold(current.fit, prev, delta_cfi, delta_rmsea)),
        "fit": {k: float(current.fit[k]) for k in ("chisq", "df", "cfi", "tli", "rmsea", "srmr") if k in current.fit},
        "chisq_diff": float(d_chi),
        "df_diff": float(d_df),
        "p_value": float(sps.chi2.sf(d_chi, d_df)) if d_df > 0 else None,
        "reason": reason,
        "result": current,
    }
