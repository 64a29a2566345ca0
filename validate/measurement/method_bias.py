"""Common method bias beyond Harman's test, and the competing-model CFA table.

- :func:`ulmc`: the unmeasured latent method construct (Podsakoff et al., 2003; Williams et al.,
  2010): the CFA plus one method factor on which every item loads equally, orthogonal to the
  constructs, compared with the CFA.
- :func:`competing_models`: the full CFA against the model that merges its two most correlated
  constructs and against the one-factor model (Δχ² tests against the full model).

Both refit the CFA with :func:`validate.sem.fit_sem` under the same estimator and missing-data
method as the CFA they are compared with, and agree with lavaan 0.6.14 (tests/fixtures/lavaan/
method_bias_reference.R).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["METHOD_FACTOR", "competing_models", "merged_syntax", "one_factor_syntax", "ulmc", "ulmc_syntax"]

#: The name of the method factor in the ULMC model (kept out of the constructs' namespace).
METHOD_FACTOR = "CMV_METHOD"


def _cfa_lines(constructs: Mapping[str, Sequence[str]]) -> list[str]:
    return [f"{c} =~ " + " + ".join(items) for c, items in constructs.items()]


def ulmc_syntax(constructs: Mapping[str, Sequence[str]]) -> str:
    """lavaan syntax of the ULMC model: the CFA, plus a method factor with equal loadings.

    The method factor's loadings are fixed at 1 and its variance is free, which is the same
    model as one free loading shared by every item with the variance fixed at 1; it is
    uncorrelated with every construct.
    """
    items = [i for its in constructs.values() for i in its]
    lines = _cfa_lines(constructs)
    lines.append(f"{METHOD_FACTOR} =~ " + " + ".join(f"1*{i}" for i in items))
    lines.append(f"{METHOD_FACTOR} ~~ {METHOD_FACTOR}")
    lines += [f"{METHOD_FACTOR} ~~ 0*{c}" for c in constructs]
    return "\n".join(lines)


def merged_syntax(constructs: Mapping[str, Sequence[str]], a: str, b: str) -> str:
    """The CFA with constructs ``a`` and ``b`` measured by one factor (named ``a_b``)."""
    merged = {}
    for c, items in constructs.items():
        if c == b:
            continue
        merged[f"{a}_{b}" if c == a else c] = list(items) + (list(constructs[b]) if c == a else [])
    return "\n".join(_cfa_lines(merged))


def one_factor_syntax(items: Sequence[str]) -> str:
    """Every item on one factor (Harman's single-factor CFA)."""
    return "CMV =~ " + " + ".join(items)


def _chisq_test(restricted: dict, free: dict) -> dict[str, float | None]:
    d_chi = restricted["chisq"] - free["chisq"]
    d_df = restricted["df"] - free["df"]
    p = float(stats.chi2.sf(d_chi, d_df)) if d_df > 0 and np.isfinite(d_chi) else None
    return {"chisq_diff": float(d_chi), "df_diff": float(d_df), "p_value": p}


def _fit_summary(fit: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(fit[k]) for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr") if k in fit}


def ulmc(data: pd.DataFrame, constructs: Mapping[str, Sequence[str]], cfa_fit: Mapping[str, Any],
         start=None, **fit_kwargs) -> dict:
    """The unmeasured latent method construct test.

    Parameters
    ----------
    data : pandas.DataFrame
        The responses the CFA was fitted on.
    constructs : mapping
        Construct -> its items, as in the CFA.
    cfa_fit : mapping
        The CFA's fit measures (``chisq``, ``df``, ``cfi``, ``rmsea``), from the same data and options.
    start : validate.sem.SemResult, optional
        The CFA's fit: its estimates start the ULMC model (the method factor starts at lavaan's
        defaults). A method factor is often inadmissible; starting from the CFA reports that
        without the engine's refits from other starts.
    **fit_kwargs
        Passed to :func:`validate.sem.fit_sem` (``estimator``, ``missing``), as for the CFA.

    Returns
    -------
    dict
        ``fit`` (chisq, df, pvalue, cfi, tli, rmsea, srmr of the ULMC model); ``chisq_diff``,
        ``df_diff``, ``p_value`` (the CFA against the ULMC model, which nests it); ``delta_cfi``
        and ``delta_rmsea`` (ULMC minus CFA); ``method_variance``, the mean squared standardised
        method loading (the share of item variance the method factor explains);
        ``method_loading_std`` (their mean); ``converged``, ``admissible``; ``note``.

    Notes
    -----
    A ΔCFI above .01 or a method variance above .25 is the usual sign of a method factor worth
    reporting (Williams et al., 2010; Podsakoff et al., 2003); the table reports the numbers
    and leaves the reading to the criteria the study states.

    References
    ----------
    Podsakoff, P. M., MacKenzie, S. B., Lee, J.-Y., & Podsakoff, N. P. (2003). Common method biases
    in behavioral research. *Journal of Applied Psychology, 88*(5), 879-903.

    Williams, L. J., Hartman, N., & Cavazotte, F. (2010). Method variance and marker variables: A
    review and comprehensive CFA marker technique. *Organizational Research Methods, 13*(3), 477-514.
    """
    from validate.sem import fit_sem

    res = fit_sem(ulmc_syntax(constructs), data, kind="cfa", start=start, **fit_kwargs)
    out: dict = {"converged": bool(res.converged), "admissible": bool(res.admissible),
                 "note": "every item loads on one method factor with equal loadings; the method factor is "
                         "uncorrelated with the constructs"}
    if not res.converged:
        out.update(fit=None, chisq_diff=None, df_diff=None, p_value=None, delta_cfi=None, delta_rmsea=None,
                   method_variance=None, method_loading_std=None,
                   reason="the ULMC model did not converge")
        return out
    out["fit"] = _fit_summary(res.fit)
    out.update(_chisq_test(cfa_fit, res.fit))
    out["delta_cfi"] = float(res.fit["cfi"] - cfa_fit["cfi"])
    out["delta_rmsea"] = float(res.fit["rmsea"] - cfa_fit["rmsea"])
    pt = res.params
    m = pt[(pt.op == "=~") & (pt.lhs == METHOD_FACTOR)]["std_all"].to_numpy(dtype=float)
    if res.admissible and len(m) and np.all(np.isfinite(m)):
        out["method_variance"] = float(np.mean(m ** 2))
        out["method_loading_std"] = float(np.mean(m))
    else:
        out["method_variance"] = out["method_loading_std"] = None
        out["reason"] = "the ULMC solution is inadmissible (a negative variance); the method variance is not reported"
    return out


def competing_models(data: pd.DataFrame, constructs: Mapping[str, Sequence[str]], cfa_fit: Mapping[str, Any],
                     factor_correlations: pd.DataFrame, *, one_factor_fit: Mapping[str, Any] | None = None,
                     **fit_kwargs) -> list[dict]:
    """The competing-model CFA table: full, the two most correlated constructs merged, one factor.

    Parameters
    ----------
    data, constructs, cfa_fit, **fit_kwargs
        As for :func:`ulmc`.
    factor_correlations : pandas.DataFrame
        The CFA's construct correlations (to find the most correlated pair).
    one_factor_fit : mapping, optional
        The one-factor CFA's fit when it was already fitted (Harman's CFA); refitted otherwise.

    Returns
    -------
    list of dict
        One per model: ``name`` (``full``, ``merged``, ``one_factor``), ``constructs_merged``
        (the merged pair, or None), ``chisq``, ``df``, ``cfi``, ``tli``, ``rmsea``, ``srmr``,
        ``chisq_diff``, ``df_diff``, ``p_value`` (against the full model; None for it), and
        ``reason`` when a model could not be fitted (its statistics are then None).
    """
    from validate.sem import fit_sem

    rows = [{"name": "full", "constructs_merged": None, **_fit_summary(cfa_fit),
             "chisq_diff": None, "df_diff": None, "p_value": None}]
    names = [c for c in constructs if c in factor_correlations.index]
    best, pair = -1.0, None
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            r = abs(float(factor_correlations.loc[a, b]))
            if np.isfinite(r) and r > best:
                best, pair = r, (a, b)
    candidates = []
    if pair is not None and len(constructs) > 2:
        candidates.append(("merged", list(pair), merged_syntax(constructs, *pair), None))
    items = [i for its in constructs.values() for i in its]
    candidates.append(("one_factor", None, one_factor_syntax(items), one_factor_fit))
    for name, merged, syntax, known in candidates:
        row = {"name": name, "constructs_merged": merged}
        fit = known
        if fit is None:
            res = fit_sem(syntax, data, kind="cfa", **fit_kwargs)
            fit = res.fit if res.converged else None
        if fit is None:
            row.update(chisq=None, df=None, cfi=None, tli=None, rmsea=None, srmr=None, chisq_diff=None,
                       df_diff=None, p_value=None, reason=f"the {name.replace('_', '-')} model did not converge")
        else:
            row.update(_fit_summary(fit))
            row.update(_chisq_test(fit, cfa_fit))
        rows.append(row)
    return rows
