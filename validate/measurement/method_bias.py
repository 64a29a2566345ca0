"""Common method bias beyond Harman's test, and the competing-model CFA table.

- :func:`ulmc`: the unmeasured latent method construct (Podsakoff et al., 2003; Williams et al.,
  2010): the CFA plus one method factor on which every item loads equally, orthogonal to the
  constructs, compared with the CFA.
- :func:`competing_models`: the full CFA against the model that merges its two most correlated
  constructs and against the one-factor model (Δχ² tests against the full model).
- :func:`lindell_whitney`: the marker-variable correction of the construct correlations
  (Lindell & Whitney, 2001), when the spec declares a marker variable.
- :func:`cfa_marker`: the CFA marker technique (Williams, Hartman & Cavazotte, 2010): CFA,
  baseline, Method-C, Method-U and Method-R models and their Δχ² tests.

Both refit the CFA with :func:`validate.sem.fit_sem` under the same estimator and missing-data
method as the CFA they are compared with, and agree with lavaan 0.6.14 (tests/fixtures/lavaan/
method_bias_reference.R, marker_reference.R).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "MARKER_FACTOR",
    "METHOD_FACTOR",
    "cfa_marker",
    "competing_models",
    "lindell_whitney",
    "marker_syntax",
    "merged_syntax",
    "one_factor_syntax",
    "ulmc",
    "ulmc_syntax",
]

#: The name of the method factor in the ULMC model (kept out of the constructs' namespace).
METHOD_FACTOR = "CMV_METHOD"
#: The name of the marker latent variable in the CFA marker technique.
MARKER_FACTOR = "CMV_MARKER"


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


def ulmc(
    data: pd.DataFrame, constructs: Mapping[str, Sequence[str]], cfa_fit: Mapping[str, Any], start=None, **fit_kwargs
) -> dict:
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
    out: dict = {
        "converged": bool(res.converged),
        "admissible": bool(res.admissible),
        "note": "every item loads on one method factor with equal loadings; the method factor is "
        "uncorrelated with the constructs",
    }
    if not res.converged:
        out.update(
            fit=None,
            chisq_diff=None,
            df_diff=None,
            p_value=None,
            delta_cfi=None,
            delta_rmsea=None,
            method_variance=None,
            method_loading_std=None,
            reason="the ULMC model did not converge",
        )
        return out
    out["fit"] = _fit_summary(res.fit)
    out.update(_chisq_test(cfa_fit, res.fit))
    out["delta_cfi"] = float(res.fit["cfi"] - cfa_fit["cfi"])
    out["delta_rmsea"] = float(res.fit["rmsea"] - cfa_fit["rmsea"])
    pt = res.params
    m = pt[(pt.op == "=~") & (pt.lhs == METHOD_FACTOR)]["std_all"].to_numpy(dtype=float)
    if res.admissible and len(m) and np.all(np.isfinite(m)):
        out["method_variance"] = float(np.mean(m**2))
        out["method_loading_std"] = float(np.mean(m))
    else:
        out["method_variance"] = out["method_loading_std"] = None
        out["reason"] = "the ULMC solution is inadmissible (a negative variance); the method variance is not reported"
    return out


def competing_models(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    cfa_fit: Mapping[str, Any],
    factor_correlations: pd.DataFrame,
    *,
    one_factor_fit: Mapping[str, Any] | None = None,
    **fit_kwargs,
) -> list[dict]:
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

    rows = [
        {
            "name": "full",
            "constructs_merged": None,
            **_fit_summary(cfa_fit),
            "chisq_diff": None,
            "df_diff": None,
            "p_value": None,
        }
    ]
    names = [c for c in constructs if c in factor_correlations.index]
    best, pair = -1.0, None
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
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
            row.update(
                chisq=None,
                df=None,
                cfi=None,
                tli=None,
                rmsea=None,
                srmr=None,
                chisq_diff=None,
                df_diff=None,
                p_value=None,
                reason=f"the {name.replace('_', '-')} model did not converge",
            )
        else:
            row.update(_fit_summary(fit))
            row.update(_chisq_test(fit, cfa_fit))
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- marker variables


def lindell_whitney(scores: pd.DataFrame, markers: pd.DataFrame, *, alpha: float = 0.05) -> dict:
    r"""The Lindell & Whitney (2001) marker-variable correction of the construct correlations.

    Parameters
    ----------
    scores : pandas.DataFrame
        One column per construct: the construct scores (e.g. the mean of each respondent's items).
    markers : pandas.DataFrame
        One column per marker variable (a question theoretically unrelated to the constructs).
    alpha : float
        The significance level at which correlations are counted as significant.

    Returns
    -------
    dict
        ``method`` (``"lindell_whitney"``); ``markers`` (the marker columns); ``n`` (respondents
        with every score and marker, listwise); ``r_m`` (the estimate of common method variance
        that is partialled out: the smallest positive correlation of a marker with a construct
        score), ``r_m_rule`` (``"smallest_positive"``), ``r_m_marker`` and ``r_m_construct`` (the pair
        it comes from), ``r_m_second`` (the second-smallest positive correlation, Lindell &
        Whitney's more conservative choice; None with one positive correlation); ``alpha``;
        ``n_significant`` and ``n_significant_corrected`` (construct pairs significant at ``alpha``
        before and after the correction); ``marker_correlations`` (rows: ``marker``,
        ``construct``, ``r``, ``p_value``); ``correlations`` (rows: ``construct_a``,
        ``construct_b``, ``r`` (uncorrected), ``p_value`` (Pearson's test, df = n - 2),
        ``r_corrected``, ``t_corrected``, ``df_corrected``, ``p_value_corrected``); ``reason``
        (None, or why nothing could be corrected).

    Notes
    -----
    The corrected correlation is :math:`r_A = (r_U - r_M) / (1 - r_M)` and its test
    :math:`t = r_A / \sqrt{(1 - r_A^2) / (n - 3)}` on :math:`n - 3` degrees of freedom (one
    further degree of freedom for the partialled marker), two-sided (Lindell & Whitney, 2001,
    eqs. 4-5). The uncorrected test is R's ``cor.test``. Checked against a hand computation in R
    (tests/fixtures/lavaan/marker_reference.R) to 1e-12.

    References
    ----------
    Lindell, M. K., & Whitney, D. J. (2001). Accounting for common method variance in
    cross-sectional research designs. *Journal of Applied Psychology, 86*(1), 114-121.
    """
    cons, marks = list(scores.columns), list(markers.columns)
    both = pd.concat([scores.astype(float), markers.astype(float)], axis=1).dropna()
    n = int(len(both))
    out: dict = {
        "method": "lindell_whitney",
        "markers": marks,
        "n": n,
        "r_m": None,
        "r_m_rule": "smallest_positive",
        "r_m_marker": None,
        "r_m_construct": None,
        "r_m_second": None,
        "alpha": float(alpha),
        "n_significant": None,
        "n_significant_corrected": None,
        "marker_correlations": [],
        "correlations": [],
        "reason": None,
    }
    if n < 5:
        out["reason"] = f"only {n} respondents answered every construct and the marker; at least 5 are needed"
        return out
    flat = [m for m in marks if both[m].nunique() < 2]
    if flat:
        out["reason"] = (
            f"the marker {', '.join(flat)} has the same answer for every respondent (no variance), so "
            "it correlates with nothing"
        )
        return out
    R = both.corr().to_numpy()
    idx = {c: i for i, c in enumerate(both.columns)}

    def cor_p(r: float, df: int) -> float | None:
        if not np.isfinite(r) or abs(r) >= 1:
            return None
        tt = r * np.sqrt(df / (1 - r * r))
        return float(2 * stats.t.sf(abs(tt), df))

    mc = []
    for m in marks:
        for c in cons:
            r = float(R[idx[m], idx[c]])
            mc.append({"marker": m, "construct": c, "r": r if np.isfinite(r) else None, "p_value": cor_p(r, n - 2)})
    out["marker_correlations"] = mc
    positive = sorted(
        (row["r"], row["marker"], row["construct"]) for row in mc if row["r"] is not None and row["r"] > 0
    )
    if not positive:
        out["reason"] = (
            "no marker correlates positively with a construct, so there is no estimate of common "
            "method variance to partial out (Lindell & Whitney, 2001)"
        )
    else:
        out["r_m"], out["r_m_marker"], out["r_m_construct"] = float(positive[0][0]), positive[0][1], positive[0][2]
        out["r_m_second"] = float(positive[1][0]) if len(positive) > 1 else None
    rm = out["r_m"]
    rows, sig, sig_c = [], 0, 0
    for i, a in enumerate(cons):
        for b in cons[i + 1 :]:
            r = float(R[idx[a], idx[b]])
            p = cor_p(r, n - 2)
            row = {
                "construct_a": a,
                "construct_b": b,
                "r": r if np.isfinite(r) else None,
                "p_value": p,
                "r_corrected": None,
                "t_corrected": None,
                "df_corrected": float(n - 3),
                "p_value_corrected": None,
            }
            if rm is not None and np.isfinite(r):
                ra = (r - rm) / (1 - rm)
                row["r_corrected"] = float(ra)
                if abs(ra) < 1:
                    tt = ra / np.sqrt((1 - ra * ra) / (n - 3))
                    row["t_corrected"] = float(tt)
                    row["p_value_corrected"] = float(2 * stats.t.sf(abs(tt), n - 3))
            sig += p is not None and p < alpha
            sig_c += row["p_value_corrected"] is not None and row["p_value_corrected"] < alpha
            rows.append(row)
    out["correlations"] = rows
    out["n_significant"] = int(sig)
    out["n_significant_corrected"] = int(sig_c) if rm is not None else None
    return out


def _num(v: float) -> str:
    return f"{float(v):.17g}"


def marker_syntax(
    constructs: Mapping[str, Sequence[str]],
    markers: Sequence[str],
    model: str,
    *,
    marker_loadings: Mapping[str, float] | None = None,
    marker_residuals: Mapping[str, float] | None = None,
    correlations: Mapping[tuple[str, str], float] | None = None,
) -> str:
    """lavaan syntax of one model of the CFA marker technique (fitted with ``std.lv = TRUE``).

    Parameters
    ----------
    constructs : mapping
        Construct -> its items.
    markers : sequence of str
        The marker indicators (columns); one indicator is taken as measured without error
        (its residual variance fixed at 0).
    model : {"cfa", "baseline", "method_c", "method_u", "method_r_c", "method_r_u"}
        ``cfa``: the constructs and the marker factor, all correlated. ``baseline``: the marker's
        loadings and residual variances fixed at ``marker_loadings`` / ``marker_residuals`` (the
        CFA's), the marker uncorrelated with the constructs. ``method_c``: the baseline plus a
        marker loading on every item, all equal (label ``mc``). ``method_u``: those loadings free.
        ``method_r_c`` / ``method_r_u``: Method-C / Method-U with the construct correlations fixed at
        ``correlations`` (the baseline's).
    """
    items = [i for its in constructs.values() for i in its]
    names = list(constructs)
    lines = _cfa_lines(constructs)
    if model == "cfa":
        lines.append(f"{MARKER_FACTOR} =~ " + " + ".join(markers))
        if len(markers) == 1:
            lines.append(f"{markers[0]} ~~ 0*{markers[0]}")
        return "\n".join(lines)
    if marker_loadings is None or marker_residuals is None:
        raise ValueError(f"the {model} model needs the CFA's marker loadings and residual variances")
    terms = [f"{_num(marker_loadings[m])}*{m}" for m in markers]
    if model in ("method_c", "method_r_c"):
        terms += [f"mc*{i}" for i in items]
    elif model in ("method_u", "method_r_u"):
        terms += list(items)
    elif model != "baseline":
        raise ValueError(f"unknown marker model {model!r}")
    lines.append(f"{MARKER_FACTOR} =~ " + " + ".join(terms))
    lines += [f"{m} ~~ {_num(marker_residuals[m])}*{m}" for m in markers]
    lines += [f"{MARKER_FACTOR} ~~ 0*{c}" for c in names]
    if model.startswith("method_r"):
        if correlations is None:
            raise ValueError("the Method-R model needs the baseline's construct correlations")
        lines += [f"{a} ~~ {_num(correlations[(a, b)])}*{b}" for i, a in enumerate(names) for b in names[i + 1 :]]
    return "\n".join(lines)


def cfa_marker(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    markers: Sequence[str],
    *,
    alpha: float = 0.05,
    **fit_kwargs,
) -> dict:
    r"""The CFA marker technique (Williams, Hartman & Cavazotte, 2010).

    Parameters
    ----------
    data : pandas.DataFrame
        The responses: the constructs' items and the marker columns.
    constructs : mapping
        Construct -> its items, as in the CFA (the marker is not among them).
    markers : sequence of str
        The marker indicators: one or more columns measuring one marker factor.
    alpha : float
        Level of the Δχ² tests that decide which model is retained.
    **fit_kwargs
        Passed to :func:`validate.sem.fit_sem` (``estimator``, ``missing``), as for the CFA.

    Returns
    -------
    dict
        ``method`` (``"cfa_marker"``), ``markers``, ``single_indicator`` (one marker, its residual
        fixed at 0), ``n_obs`` (the respondents the CFA with the marker used); ``models``: one row per model (``name`` in cfa, baseline, method_c, method_u,
        method_r; ``converged``, ``admissible``, ``chisq``, ``df``, ``pvalue``, ``cfi``, ``tli``,
        ``rmsea``, ``srmr``, ``reason``); ``tests``: one row per Δχ² test (``comparison``:
        baseline_vs_method_c, method_c_vs_method_u, method_vs_method_r; ``restricted``, ``free``,
        ``chisq_diff``, ``df_diff``, ``p_value``); ``retained`` (method_c or method_u: Method-U when
        it fits significantly better than Method-C) and ``method_effects`` (True when the baseline
        is rejected against Method-C), ``biased_correlations`` (True when Method-R fits
        significantly worse than the retained model); ``items``: per substantive item of the
        retained model (``construct``, ``item``, ``substantive_loading_std``,
        ``method_loading_std``, ``method_variance`` = the squared standardised marker loading, the
        share of the item's variance due to the marker factor); ``method_variance`` (their mean);
        ``note``; ``reason`` (None, or why the sequence stopped).

    Notes
    -----
    Every model is fitted with the latent variances fixed at 1 (``std.lv = TRUE``), so the
    construct covariances are correlations and Method-R can fix them at the baseline's values.
    The baseline fixes the marker's loadings and residual variances at the CFA's estimates and
    makes the marker orthogonal to the constructs; Method-C adds one equal marker loading on
    every substantive item, Method-U frees those loadings, Method-R fixes the construct
    correlations of the retained model at the baseline's. A single marker indicator is taken as
    measured without error (residual variance 0), so the marker factor is the observed marker;
    Williams et al. (2010) and Simmering et al. (2015) recommend several marker items, which this
    allows (several marker questions). The Δχ² tests use the unscaled χ², as the ULMC test does.
    Agrees with lavaan 0.6.14 to 4.3e-6 (1.3e-5 with FIML) on simulated data with one and with three
    marker indicators (tests/fixtures/lavaan/marker_reference.R).

    References
    ----------
    Williams, L. J., Hartman, N., & Cavazotte, F. (2010). Method variance and marker variables: A
    review and comprehensive CFA marker technique. *Organizational Research Methods, 13*(3), 477-514.

    Simmering, M. J., Fuller, C. M., Richardson, H. A., Ocal, Y., & Atinc, G. M. (2015). Marker
    variable choice, reporting, and interpretation in the detection of common method variance.
    *Organizational Research Methods, 18*(3), 473-511.
    """
    from validate.sem import fit_sem

    markers = list(markers)
    names = list(constructs)
    out: dict = {
        "method": "cfa_marker",
        "markers": markers,
        "single_indicator": len(markers) == 1,
        "n_obs": None,
        "models": [],
        "tests": [],
        "retained": None,
        "method_effects": None,
        "biased_correlations": None,
        "items": [],
        "method_variance": None,
        "reason": None,
        "note": "latent variances fixed at 1; baseline: the marker's loadings and residual variances fixed at "
        "the CFA's, the marker uncorrelated with the constructs; Method-C: one equal marker loading "
        "on every item; Method-U: free marker loadings; Method-R: the retained model with the "
        "construct correlations fixed at the baseline's (Williams et al., 2010)"
        + ("; the single marker indicator is taken as measured without error" if len(markers) == 1 else ""),
    }
    fits: dict[str, Any] = {}

    def run(name: str, syntax: str):
        res = fit_sem(syntax, data, kind="cfa", std_lv=True, **fit_kwargs)
        row = {"name": name, "converged": bool(res.converged), "admissible": bool(res.admissible)}
        if res.converged:
            row.update(_fit_summary(res.fit))
            row["reason"] = None if res.admissible else "the solution is inadmissible (a negative variance)"
            fits[name] = res
        else:
            row.update(
                chisq=None,
                df=None,
                pvalue=None,
                cfi=None,
                tli=None,
                rmsea=None,
                srmr=None,
                reason=f"the {name.replace('_', '-')} model did not converge",
            )
        out["models"].append(row)
        return res if res.converged else None

    def test(label: str, restricted: str, free: str) -> dict | None:
        if restricted not in fits or free not in fits:
            return None
        row = {
            "comparison": label,
            "restricted": restricted,
            "free": free,
            **_chisq_test(fits[restricted].fit, fits[free].fit),
        }
        out["tests"].append(row)
        return row

    cfa = run("cfa", marker_syntax(constructs, markers, "cfa"))
    out["n_obs"] = int(cfa.n) if cfa is not None else None
    if cfa is None or not cfa.admissible:
        out["reason"] = "the CFA with the marker factor " + ("did not converge" if cfa is None else "is inadmissible")
        return out
    pt = cfa.params
    lam = {r.rhs: float(r.estimate) for r in pt[(pt.op == "=~") & (pt.lhs == MARKER_FACTOR)].itertuples()}
    res_var = {
        r.lhs: float(r.estimate) for r in pt[(pt.op == "~~") & (pt.lhs == pt.rhs) & pt.lhs.isin(markers)].itertuples()
    }
    fixed = {"marker_loadings": lam, "marker_residuals": res_var}
    base = run("baseline", marker_syntax(constructs, markers, "baseline", **fixed))
    run("method_c", marker_syntax(constructs, markers, "method_c", **fixed))
    run("method_u", marker_syntax(constructs, markers, "method_u", **fixed))
    t1 = test("baseline_vs_method_c", "baseline", "method_c")
    t2 = test("method_c_vs_method_u", "method_c", "method_u")
    if base is None or t1 is None:
        out["reason"] = "the baseline or Method-C model did not converge; the sequence of tests stops"
        return out
    out["method_effects"] = bool(t1["p_value"] is not None and t1["p_value"] < alpha)
    retained = "method_u" if (t2 is not None and t2["p_value"] is not None and t2["p_value"] < alpha) else "method_c"
    out["retained"] = retained
    bp = base.params
    cor = {
        (r.lhs, r.rhs): float(r.estimate)
        for r in bp[(bp.op == "~~") & bp.lhs.isin(names) & bp.rhs.isin(names) & (bp.lhs != bp.rhs)].itertuples()
    }
    cor.update({(b, a): v for (a, b), v in list(cor.items())})
    run("method_r", marker_syntax(constructs, markers, "method_r_" + retained[-1], correlations=cor, **fixed))
    t3 = test("method_vs_method_r", "method_r", retained)
    if t3 is not None:
        out["biased_correlations"] = bool(t3["p_value"] is not None and t3["p_value"] < alpha)
    ret = fits[retained]
    rp = ret.params
    sub = {(r.lhs, r.rhs): float(r.std_all) for r in rp[(rp.op == "=~") & rp.lhs.isin(names)].itertuples()}
    meth = {r.rhs: float(r.std_all) for r in rp[(rp.op == "=~") & (rp.lhs == MARKER_FACTOR)].itertuples()}
    rows = []
    for c, its in constructs.items():
        for i in its:
            m = meth.get(i)
            rows.append(
                {
                    "construct": c,
                    "item": i,
                    "substantive_loading_std": sub.get((c, i)),
                    "method_loading_std": m,
                    "method_variance": None if m is None else m * m,
                }
            )
    if ret.admissible:
        out["items"] = rows
        out["method_variance"] = float(np.mean([r["method_variance"] for r in rows]))
    else:
        out["items"] = [{**r, "method_loading_std": None, "method_variance": None} for r in rows]
        out["reason"] = (
            f"the retained {retained.replace('_', '-')} solution is inadmissible; no method variance is reported"
        )
    return out
