"""Convergent and discriminant validity and common-method-bias checks.

* :func:`htmt` / :func:`htmt_matrix` - heterotrait-monotrait ratio, as ``semTools::htmt`` 0.5.6.
* :func:`fornell_larcker` - sqrt(AVE) against the inter-construct correlations.
* :func:`convergent_validity` - AVE > .50 and CR > .70 markers on a reliability table.
* :func:`cross_loadings` - item correlations with unit-weighted construct scores.
* :func:`harman_single_factor` - Harman's single-factor test (share of the first factor).

Every table has fixed columns and a ``warnings`` column (empty string when there is nothing to
report). Threshold markers are booleans next to the statistic, with the cut-off in the column
name, so a report can print them without re-deciding the rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from validate.measurement.descriptives import (
    ItemDataError,
    TooFewItemsError,
    check_variance,
    constructs_arg,
    item_frame,
    join_reasons,
)

__all__ = [
    "convergent_validity",
    "cross_loadings",
    "fornell_larcker",
    "harman_single_factor",
    "htmt",
    "htmt_bootstrap",
    "htmt_matrix",
]


# --------------------------------------------------------------------------------------
# HTMT
# --------------------------------------------------------------------------------------
def _construct_data(df, constructs, what, min_constructs=1):
    cons = constructs_arg(constructs, min_constructs=min_constructs)
    frames = [item_frame(df, items, min_items=1, what=what, construct=name) for name, items in cons.items()]
    return cons, pd.concat(frames, axis=1)


def htmt(
    df: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    mean: str = "geometric",
    absolute: bool = True,
) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations for every pair of constructs.

    Parameters
    ----------
    df : DataFrame
        Item responses. Rows with a missing value on any listed item are dropped (listwise,
        semTools' default ``missing = "listwise"``).
    constructs : dict
        ``{construct: [items]}``, at least two constructs.
    mean : {"geometric", "arithmetic"}
        ``"geometric"`` (default, as ``semTools::htmt`` 0.5.6's default ``htmt2 = TRUE``) is
        HTMT2 of Roemer, Schuberth & Henseler (2021), appropriate for congeneric indicators;
        ``"arithmetic"`` is the original HTMT of Henseler, Ringle & Sarstedt (2015),
        ``htmt(..., htmt2 = FALSE)``.
    absolute : bool, default True
        Use absolute correlations (semTools' default). ``False`` is only allowed with
        ``mean="arithmetic"``; the geometric mean needs positive values (semTools silently
        ignores ``absolute = FALSE`` there - we raise instead).

    Returns
    -------
    DataFrame
        One row per unordered pair (in the order of ``constructs``): ``construct_a``,
        ``construct_b``, ``estimate``, ``mean`` (the ``mean`` argument), ``below_085``,
        ``below_090`` (``estimate`` < .85 / .90), ``n_obs``, ``warnings``.

    Raises
    ------
    TooFewItemsError
        Fewer than two constructs, or fewer than 2 complete rows.
    ZeroVarianceError, NonNumericItemError, MissingItemError, ItemDataError
        Bad item columns.

    Notes
    -----
    With :math:`r_{ij}` the Pearson correlations of the listwise-complete data (absolute
    values), and :math:`M` the chosen mean (geometric :math:`\\exp\\overline{\\log r}` or
    arithmetic), :math:`HTMT_{ab} = M(r_{ij}: i\\in a, j\\in b) /
    \\sqrt{M(r_{ij}: i<j \\in a) \\cdot M(r_{ij}: i<j\\in b)}`. A construct with a single item
    has no monotrait correlation, so its HTMT is NaN with a warning (semTools returns NaN
    silently). Checked against ``semTools::htmt`` 0.5.6 on the Holzinger-Swineford three-factor
    model (geometric; arithmetic with and without absolute values; geometric with listwise
    deletion) within 1e-12. Discriminant validity is doubtful when HTMT >= .85 (conceptually
    distinct constructs) or >= .90 (conceptually similar ones; Henseler et al., 2015).

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing
    discriminant validity in variance-based structural equation modeling. *Journal of the
    Academy of Marketing Science, 43*(1), 115-135.

    Roemer, E., Schuberth, F., & Henseler, J. (2021). HTMT2 - an improved criterion for
    assessing discriminant validity in structural equation modeling. *Industrial Management &
    Data Systems, 121*(12), 2637-2650.
    """
    if mean not in ("geometric", "arithmetic"):
        raise ValueError(f"mean must be 'geometric' (HTMT2) or 'arithmetic' (HTMT), got {mean!r}")
    if not absolute and mean == "geometric":
        raise ValueError(
            "absolute=False is only possible with mean='arithmetic'; the geometric mean (HTMT2) needs absolute correlations"
        )
    cons, x = _construct_data(df, constructs, "HTMT", min_constructs=2)
    complete = x.dropna()
    n = len(complete)
    if n < 3:
        raise TooFewItemsError(f"HTMT needs at least 3 complete rows, got {n} after listwise deletion")
    for name, items in cons.items():
        check_variance(complete[items], what="HTMT", construct=name)
    r = np.corrcoef(complete.to_numpy(), rowvar=False)
    if absolute:
        r = np.abs(r)
    pos = {c: i for i, c in enumerate(complete.columns)}
    n_dropped = len(x) - n
    common = f"{n_dropped} rows with missing values dropped (listwise)" if n_dropped else ""

    def m(vals: np.ndarray) -> float:
        if vals.size == 0:
            return np.nan
        if mean == "geometric":
            with np.errstate(divide="ignore"):
                return float(np.exp(np.mean(np.log(vals))))
        return float(np.mean(vals))

    mono = {}
    for name, items in cons.items():
        idx = [pos[i] for i in items]
        block = r[np.ix_(idx, idx)]
        mono[name] = m(block[np.triu_indices(len(idx), 1)])
    names = list(cons)
    rows = []
    for a_i, a in enumerate(names):
        for b in names[a_i + 1 :]:
            reasons = [common]
            hetero = m(r[np.ix_([pos[i] for i in cons[a]], [pos[i] for i in cons[b]])].ravel())
            denom = np.sqrt(mono[a] * mono[b])
            for c in (a, b):
                if len(cons[c]) < 2:
                    reasons.append(f"construct {c} has a single item; HTMT needs at least 2 items per construct")
                elif not mono[c] > 0:
                    reasons.append(
                        f"items of construct {c} are uncorrelated (or negatively on average); HTMT undefined"
                    )
            est = float(hetero / denom) if denom > 0 else np.nan
            if not np.isfinite(est):
                est = np.nan
            rows.append(
                {
                    "construct_a": a,
                    "construct_b": b,
                    "estimate": est,
                    "mean": mean,
                    "below_085": bool(est < 0.85) if np.isfinite(est) else False,
                    "below_090": bool(est < 0.90) if np.isfinite(est) else False,
                    "n_obs": n,
                    "warnings": join_reasons(reasons),
                }
            )
    return pd.DataFrame(
        rows, columns=["construct_a", "construct_b", "estimate", "mean", "below_085", "below_090", "n_obs", "warnings"]
    )


def _htmt_vector(x: np.ndarray, blocks: list[np.ndarray], pairs: list[tuple[int, int]]) -> np.ndarray:
    """HTMT2 (geometric, absolute correlations) of every pair, from complete rows ``x``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.abs(np.corrcoef(x, rowvar=False))
        logr = np.log(r)
        mono = np.array(
            [np.mean(logr[np.ix_(b, b)][np.triu_indices(len(b), 1)]) if len(b) > 1 else np.nan for b in blocks]
        )
        het = np.array([np.mean(logr[np.ix_(blocks[a], blocks[b])]) for a, b in pairs])
        return np.exp(het - 0.5 * (mono[[a for a, _ in pairs]] + mono[[b for _, b in pairs]]))


def htmt_bootstrap(
    df: pd.DataFrame, constructs: Mapping[str, Sequence[str]], n_boot: int, seed: int, level: float = 0.95
) -> pd.DataFrame:
    """Percentile bootstrap intervals of every HTMT2 (Franke & Sarstedt, 2019).

    Parameters
    ----------
    df : DataFrame
        The rows to resample, in the order the structural bootstrap resamples them: resample ``b``
        takes rows :func:`validate.structural.bootstrap.resample_indices` ``(seed, b, len(df))``, so the
        intervals come from the same resamples as the indirect effects'. HTMT is computed on the complete
        rows of each resample, as :func:`htmt` is on the sample.
    constructs : dict
        ``{construct: [items]}``.
    n_boot, seed : int
        Resamples and the root seed (``--bootstrap``, ``--seed``).
    level : float
        Interval level (0.95).

    Returns
    -------
    DataFrame
        One row per pair: ``construct_a``, ``construct_b``, ``estimate`` (the sample's HTMT2),
        ``ci_lower``, ``ci_upper``, ``upper_below_085``, ``upper_below_090`` (discriminant validity
        established when the upper bound is below the threshold; Franke & Sarstedt, 2019),
        ``resamples`` (those whose HTMT could be computed), ``warnings``.

    Notes
    -----
    Agrees with a percentile bootstrap of ``semTools::htmt`` within Monte Carlo error
    (tests/test_validity.py). The intervals use the geometric-mean HTMT2 that :func:`htmt` reports.

    References
    ----------
    Franke, G., & Sarstedt, M. (2019). Heuristics versus statistics in discriminant validity testing: a
    comparison of four procedures. *Internet Research, 29*(3), 430-447.
    """
    from validate.structural.bootstrap import resample_indices

    point = htmt(df, constructs)
    cols = [i for items in constructs.values() for i in items]
    x = df[cols].to_numpy(float)
    pos = {c: i for i, c in enumerate(cols)}
    names = list(constructs)
    blocks = [np.array([pos[i] for i in constructs[c]]) for c in names]
    pairs = [(a, b) for a in range(len(names)) for b in range(a + 1, len(names))]
    draws = np.full((n_boot, len(pairs)), np.nan)
    n = len(x)
    for b in range(n_boot):
        xb = x[resample_indices(seed, b, n)]
        xb = xb[~np.isnan(xb).any(axis=1)]
        if len(xb) < 3:
            continue
        draws[b] = _htmt_vector(xb, blocks, pairs)
    alpha = (1 - level) / 2
    rows = []
    for j, (a, b) in enumerate(pairs):
        d = draws[:, j]
        d = d[np.isfinite(d)]
        est = point.iloc[j]["estimate"]
        warn = [point.iloc[j]["warnings"]] if point.iloc[j]["warnings"] else []
        if len(d) < 2:
            lo = hi = np.nan
            warn.append("fewer than 2 resamples gave an HTMT")
        else:
            lo, hi = np.quantile(d, [alpha, 1 - alpha])
        rows.append(
            {
                "construct_a": names[a],
                "construct_b": names[b],
                "estimate": est,
                "ci_lower": float(lo),
                "ci_upper": float(hi),
                "upper_below_085": bool(hi < 0.85) if np.isfinite(hi) else None,
                "upper_below_090": bool(hi < 0.90) if np.isfinite(hi) else None,
                "resamples": int(len(d)),
                "warnings": join_reasons(warn),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "construct_a",
            "construct_b",
            "estimate",
            "ci_lower",
            "ci_upper",
            "upper_below_085",
            "upper_below_090",
            "resamples",
            "warnings",
        ],
    )


def htmt_matrix(table: pd.DataFrame, value: str = "estimate") -> pd.DataFrame:
    """Square symmetric matrix (diagonal 1) from the long table :func:`htmt` returns."""
    names = list(dict.fromkeys(list(table["construct_a"]) + list(table["construct_b"])))
    out = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for _, r in table.iterrows():
        out.loc[r["construct_a"], r["construct_b"]] = r[value]
        out.loc[r["construct_b"], r["construct_a"]] = r[value]
    return out


# --------------------------------------------------------------------------------------
# Fornell-Larcker and convergent validity
# --------------------------------------------------------------------------------------
def fornell_larcker(ave: pd.Series, factor_corr: pd.DataFrame) -> pd.DataFrame:
    """Fornell-Larcker criterion: sqrt(AVE) of each construct against its correlations.

    Parameters
    ----------
    ave : Series
        AVE per construct (index = construct names), e.g. the ``ave`` column of
        :func:`validate.measurement.reliability.reliability_from_cfa` indexed by ``construct``.
    factor_corr : DataFrame
        Correlations between the constructs (standardised factor covariances from the CFA,
        lavaan's ``lavInspect(fit, "cor.lv")``), labelled rows and columns.

    Returns
    -------
    DataFrame
        One row per construct: ``construct``, ``ave``, ``sqrt_ave``, ``max_abs_corr`` (largest
        absolute correlation with another construct), ``max_corr_with`` (that construct),
        ``passes`` (``sqrt_ave > max_abs_corr``), ``warnings``.

    Raises
    ------
    ValueError
        Labels do not match, the matrix is not a symmetric correlation matrix, AVE outside
        [0, 1].

    Notes
    -----
    Discriminant validity holds for construct :math:`a` when :math:`\\sqrt{AVE_a} >
    |\\phi_{ab}|` for every :math:`b \\ne a`, equivalently :math:`AVE_a > \\phi_{ab}^2`
    (Fornell & Larcker, 1981). The criterion is known to miss discriminant-validity problems
    when loadings are similar (Henseler et al., 2015), so report it alongside HTMT. A NaN AVE
    (e.g. a cross-loading item) gives ``passes = False`` with a warning.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with
    unobservable variables and measurement error. *Journal of Marketing Research, 18*(1), 39-50.

    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing
    discriminant validity in variance-based structural equation modeling. *Journal of the
    Academy of Marketing Science, 43*(1), 115-135.
    """
    if not isinstance(ave, pd.Series):
        raise TypeError(f"ave must be a pandas Series indexed by construct, got {type(ave).__name__}")
    if not isinstance(factor_corr, pd.DataFrame):
        raise TypeError(
            f"factor_corr must be a pandas DataFrame with construct labels, got {type(factor_corr).__name__}"
        )
    names = [str(n) for n in ave.index]
    ave = pd.Series(ave.to_numpy(dtype="float64"), index=names)
    fc = factor_corr.copy()
    fc.index = [str(i) for i in fc.index]
    fc.columns = [str(c) for c in fc.columns]
    missing = [n for n in names if n not in fc.index or n not in fc.columns]
    if missing:
        raise ValueError(f"construct(s) {', '.join(missing)} of ave are missing from factor_corr")
    if len(names) < 2:
        raise TooFewItemsError("the Fornell-Larcker criterion needs at least 2 constructs")
    r = fc.loc[names, names].to_numpy(dtype="float64")
    if not np.isfinite(r).all():
        raise ValueError("factor_corr contains missing values")
    if not np.allclose(r, r.T, atol=1e-8):
        raise ValueError("factor_corr is not symmetric")
    if not np.allclose(np.diag(r), 1.0, atol=1e-6):
        bad = [n for n, v in zip(names, np.diag(r)) if abs(v - 1) > 1e-6]
        raise ValueError(
            f"factor_corr must be a correlation matrix (diagonal 1); diagonal of {', '.join(bad)} is not 1 - "
            "standardise factor covariances first"
        )
    bad = [n for n, v in ave.items() if np.isfinite(v) and not 0 <= v <= 1]
    if bad:
        raise ValueError(f"AVE of {', '.join(bad)} is outside [0, 1]")
    rows = []
    for i, n in enumerate(names):
        off = np.abs(np.delete(r[i], i))
        others = [m for m in names if m != n]
        j = int(np.argmax(off))
        reasons = []
        a = ave[n]
        if not np.isfinite(a):
            reasons.append(f"AVE of {n} is missing; criterion cannot be checked")
        if off.max() >= 1:
            reasons.append(f"correlation of {n} with {others[j]} is >= 1 in absolute value (improper solution)")
        sq = float(np.sqrt(a)) if np.isfinite(a) else np.nan
        rows.append(
            {
                "construct": n,
                "ave": float(a),
                "sqrt_ave": sq,
                "max_abs_corr": float(off.max()),
                "max_corr_with": others[j],
                "passes": bool(np.isfinite(sq) and sq > off.max()),
                "warnings": join_reasons(reasons),
            }
        )
    return pd.DataFrame(
        rows, columns=["construct", "ave", "sqrt_ave", "max_abs_corr", "max_corr_with", "passes", "warnings"]
    )


def convergent_validity(
    reliability: pd.DataFrame, ave_threshold: float = 0.50, cr_threshold: float = 0.70, cr_column: str = "omega"
) -> pd.DataFrame:
    """AVE and composite-reliability markers for a :func:`reliability_from_cfa` table.

    Parameters
    ----------
    reliability : DataFrame
        Output of :func:`validate.measurement.reliability.reliability_from_cfa` (needs ``construct``,
        ``ave`` and ``cr_column``).
    ave_threshold : float, default .50
        AVE cut-off (Fornell & Larcker, 1981; Hair et al., 2019).
    cr_threshold : float, default .70
        Composite reliability cut-off (Hair et al., 2019; Bagozzi & Yi, 1988 use .60).
    cr_column : str, default "omega"
        Which omega to treat as CR.

    Returns
    -------
    DataFrame
        ``construct``, ``ave``, ``cr``, ``ave_ok`` (``ave`` > ``ave_threshold``), ``cr_ok``
        (``cr`` > ``cr_threshold``), ``warnings``. The thresholds are arguments; the column
        names do not change with them.

    References
    ----------
    Bagozzi, R. P., & Yi, Y. (1988). On the evaluation of structural equation models.
    *Journal of the Academy of Marketing Science, 16*(1), 74-94.

    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with
    unobservable variables and measurement error. *Journal of Marketing Research, 18*(1), 39-50.

    Hair, J. F., Risher, J. J., Sarstedt, M., & Ringle, C. M. (2019). When to use and how to
    report the results of PLS-SEM. *European Business Review, 31*(1), 2-24.
    """
    need = {"construct", "ave", cr_column}
    if not isinstance(reliability, pd.DataFrame) or not need <= set(reliability.columns):
        raise ValueError(f"reliability must be a DataFrame with columns {sorted(need)} (see reliability_from_cfa)")
    rows = []
    for _, r in reliability.iterrows():
        reasons = [r["warnings"]] if "warnings" in reliability.columns and r["warnings"] else []
        ave, cr = float(r["ave"]), float(r[cr_column])
        if not np.isfinite(ave):
            reasons.append(f"AVE of {r['construct']} missing")
        if not np.isfinite(cr):
            reasons.append(f"CR of {r['construct']} missing")
        rows.append(
            {
                "construct": r["construct"],
                "ave": ave,
                "cr": cr,
                "ave_ok": bool(np.isfinite(ave) and ave > ave_threshold),
                "cr_ok": bool(np.isfinite(cr) and cr > cr_threshold),
                "warnings": join_reasons(reasons),
            }
        )
    return pd.DataFrame(rows, columns=["construct", "ave", "cr", "ave_ok", "cr_ok", "warnings"])


# --------------------------------------------------------------------------------------
# cross-loadings
# --------------------------------------------------------------------------------------
def cross_loadings(df: pd.DataFrame, constructs: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Correlation of every item with every construct's unit-weighted mean score.

    Parameters
    ----------
    df : DataFrame
        Item responses; missing answers allowed.
    constructs : dict
        ``{construct: [items]}``.

    Returns
    -------
    DataFrame
        One row per (item, construct): ``item``, ``assigned_construct``, ``construct``,
        ``loading`` (Pearson correlation of the item with the construct score), ``own``
        (``construct == assigned_construct``), ``highest_is_own`` (the item correlates more
        with its own construct than with any other - the cross-loading criterion), ``n_obs``
        (pairs used), ``warnings``.

    Notes
    -----
    A construct score is the mean of the construct's available item answers per respondent
    (unit weights; a respondent with no answer on a construct has no score). The item is part
    of its own construct's score, as in the PLS-SEM cross-loading table (Chin, 1998; SmartPLS);
    SmartPLS, however, weights items with PLS outer weights, so its values differ slightly from
    these unit-weighted ones (they coincide for equally weighted composites). Correlations are
    pairwise complete. Checked against R's ``cor(x, rowMeans(...))`` on the Holzinger-Swineford
    items within 1e-12.

    References
    ----------
    Chin, W. W. (1998). The partial least squares approach to structural equation modeling.
    In G. A. Marcoulides (Ed.), *Modern methods for business research* (pp. 295-336). Erlbaum.

    Hair, J. F., Risher, J. J., Sarstedt, M., & Ringle, C. M. (2019). When to use and how to
    report the results of PLS-SEM. *European Business Review, 31*(1), 2-24.
    """
    cons, x = _construct_data(df, constructs, "cross-loadings", min_constructs=1)
    for name, items in cons.items():
        check_variance(x[items], what="cross-loadings", construct=name)
    scores = pd.DataFrame({name: x[items].mean(axis=1, skipna=True) for name, items in cons.items()})
    rows = []
    for own, items in cons.items():
        for item in items:
            vals = {}
            ns = {}
            for name in cons:
                pair = pd.concat([x[item], scores[name]], axis=1).dropna()
                ns[name] = len(pair)
                if len(pair) < 3 or pair.iloc[:, 1].nunique() < 2:
                    vals[name] = np.nan
                else:
                    vals[name] = float(np.corrcoef(pair.iloc[:, 0], pair.iloc[:, 1])[0, 1])
            others = [v for k, v in vals.items() if k != own and np.isfinite(v)]
            highest = bool(np.isfinite(vals[own]) and all(vals[own] > abs(v) for v in others))
            for name in cons:
                reasons = []
                if not np.isfinite(vals[name]):
                    reasons.append(
                        f"correlation of {item} with {name} score undefined (fewer than 3 pairs or constant score)"
                    )
                if name == own and not highest and others:
                    reasons.append(f"item {item} correlates at least as strongly with another construct as with {own}")
                rows.append(
                    {
                        "item": item,
                        "assigned_construct": own,
                        "construct": name,
                        "loading": vals[name],
                        "own": name == own,
                        "highest_is_own": highest,
                        "n_obs": ns[name],
                        "warnings": join_reasons(reasons),
                    }
                )
    return pd.DataFrame(
        rows,
        columns=["item", "assigned_construct", "construct", "loading", "own", "highest_is_own", "n_obs", "warnings"],
    )


# --------------------------------------------------------------------------------------
# Harman's single-factor test
# --------------------------------------------------------------------------------------
def harman_single_factor(df: pd.DataFrame, items: Sequence[str] | None = None, threshold: float = 0.50) -> pd.DataFrame:
    """Harman's single-factor test for common method variance.

    Parameters
    ----------
    df : DataFrame
        Item responses of *all* substantive items of the study; listwise deletion.
    items : sequence of str, optional
        Items to use (default: all columns). At least 3.
    threshold : float, default .50
        Conventional cut-off: a first factor explaining more than half of the variance signals
        common method bias.

    Returns
    -------
    DataFrame
        Two rows, ``method`` = ``"pca"`` and ``"minres_1factor"``, with columns ``method``,
        ``variance_explained`` (eigenvalue or sum of squared loadings of the first factor),
        ``share`` (``variance_explained`` / number of items), ``exceeds_threshold``
        (``share`` > ``threshold``), ``n_items``, ``n_obs``, ``warnings``.

    Notes
    -----
    ``"pca"`` is the usual operationalisation - SPSS "Principal components, 1 fixed factor,
    no rotation": the largest eigenvalue of the item correlation matrix divided by the number
    of items (checked against ``psych::principal(nfactors = 1, rotate = "none")`` within
    1e-12). ``"minres_1factor"`` is a one-factor common-factor model (``psych::fa(nfactors = 1,
    fm = "minres")``): sum of squared loadings / items, which excludes unique variance and
    is therefore smaller (checked within 1e-5). Podsakoff et al. (2003) point out the test is
    insensitive; report it with other evidence (e.g. a marker variable or a common-method
    factor).

    References
    ----------
    Harman, H. H. (1976). *Modern factor analysis* (3rd ed.). University of Chicago Press.

    Podsakoff, P. M., MacKenzie, S. B., Lee, J.-Y., & Podsakoff, N. P. (2003). Common method
    biases in behavioral research: A critical review of the literature and recommended
    remedies. *Journal of Applied Psychology, 88*(5), 879-903.
    """
    from validate.blas import single_threaded_blas
    from validate.measurement.efa import minres_fit  # local import: efa imports nothing from here

    x = item_frame(df, items, min_items=3, what="Harman's single-factor test")
    complete = x.dropna()
    n, p = complete.shape
    if n < 3:
        raise TooFewItemsError(f"Harman's test needs at least 3 complete rows, got {n}")
    check_variance(complete, what="Harman's single-factor test")
    r = np.corrcoef(complete.to_numpy(), rowvar=False)
    ev = np.linalg.eigvalsh(r)[::-1]
    note = f"{len(x) - n} rows with missing values dropped (listwise)" if len(x) > n else ""
    fa_reasons = [note]
    try:
        with single_threaded_blas():
            loadings, _, _ = minres_fit(r, 1)
        ss = float(np.sum(loadings**2))
    except (ItemDataError, np.linalg.LinAlgError) as exc:  # pragma: no cover - defensive
        ss = np.nan
        fa_reasons.append(f"one-factor minres did not converge: {exc}")
    rows = [
        {"method": "pca", "variance_explained": float(ev[0]), "share": float(ev[0] / p), "warnings": note},
        {"method": "minres_1factor", "variance_explained": ss, "share": ss / p, "warnings": join_reasons(fa_reasons)},
    ]
    out = pd.DataFrame(rows)
    out["exceeds_threshold"] = out["share"] > threshold
    out["n_items"] = p
    out["n_obs"] = n
    return out[["method", "variance_explained", "share", "exceeds_threshold", "n_items", "n_obs", "warnings"]]
