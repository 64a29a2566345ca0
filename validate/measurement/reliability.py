"""Internal-consistency and composite reliability.

* :func:`cronbach_alpha` - raw and standardised alpha, as ``psych::alpha``.
* :func:`item_total` - corrected item-total correlation (``r.drop``) and alpha if item deleted.
* :func:`composite_reliability`, :func:`average_variance_extracted` - from plain loadings.
* :func:`reliability_from_cfa` - alpha, omega, omega2, omega3 and AVE per factor from the
  estimates of any CFA fit, as ``semTools::reliability`` 0.5.6.
* :func:`sample_covariance` - the ML (divisor n) covariance matrix lavaan calls the sample
  covariance, which ``omega3`` needs.

All tables have fixed columns and a ``warnings`` column (empty string when there is nothing to
report); a statistic that cannot be computed is NaN with the reason in ``warnings``.
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
    "CFAInputError",
    "average_variance_extracted",
    "composite_reliability",
    "convergent_discriminant_summary",
    "cronbach_alpha",
    "item_total",
    "reliability_from_cfa",
    "sample_covariance",
]


class CFAInputError(ValueError):
    """CFA estimates passed to :func:`reliability_from_cfa` do not fit together."""


def _scales(df: pd.DataFrame, constructs, what: str) -> dict[str, list[str]]:
    if constructs is None:
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"{what} needs a pandas DataFrame of item responses, got {type(df).__name__}")
        return {"scale": list(df.columns)}
    if isinstance(constructs, (list, tuple, pd.Index)):
        return {"scale": list(constructs)}
    return constructs_arg(constructs)


def _alpha_from_cov(c: np.ndarray) -> float:
    k = c.shape[0]
    return float(k / (k - 1) * (1.0 - np.trace(c) / c.sum()))


def _cov_pairwise(x: pd.DataFrame, construct: str, what: str) -> np.ndarray:
    """Pairwise-complete covariance (divisor n-1), as R's ``cov(x, use = "pairwise")``."""
    c = x.cov(min_periods=2)
    if c.isna().to_numpy().any():
        i, j = np.argwhere(c.isna().to_numpy())[0]
        raise ItemDataError(
            f"items {c.index[i]} and {c.columns[j]} of construct {construct} are never answered together; "
            f"{what} cannot be computed"
        )
    return c.to_numpy()


def cronbach_alpha(
    df: pd.DataFrame, constructs: Mapping[str, Sequence[str]] | Sequence[str] | None = None
) -> pd.DataFrame:
    """Cronbach's alpha, raw and standardised, per construct (``psych::alpha``).

    Parameters
    ----------
    df : DataFrame
        Item responses, one row per respondent; missing values allowed.
    constructs : dict or list, optional
        ``{construct: [items]}``; a plain list of items, or ``None`` (all columns), is one
        construct called ``"scale"``. Items must already be reverse-keyed where needed.

    Returns
    -------
    DataFrame
        One row per construct: ``construct``, ``n_items``, ``n_obs`` (rows with at least one
        answer), ``raw_alpha``, ``std_alpha``, ``average_r`` (mean inter-item correlation),
        ``warnings``.

    Raises
    ------
    TooFewItemsError
        A construct has fewer than 2 items.
    ZeroVarianceError
        An item has zero variance (psych would drop it with a warning; we refuse, because the
        score the user computes would still contain it).
    NonNumericItemError, MissingItemError, ItemDataError
        Non-numeric, unknown or all-missing column.

    Notes
    -----
    With :math:`C` the pairwise-complete covariance matrix (divisor :math:`n-1`, psych's
    default ``use = "pairwise"``) and :math:`R` the matching correlation matrix of
    :math:`k` items: raw :math:`\\alpha = \\frac{k}{k-1}(1 - \\operatorname{tr}C / \\sum C)`,
    standardised :math:`\\alpha_s = \\frac{k}{k-1}(1 - k / \\sum R)`. Checked against
    ``psych::alpha`` 2.2.9 on the three Holzinger-Swineford scales and all nine items,
    complete and with missing values, within 1e-12. A negative alpha (negative average
    covariance) is returned with a warning; it usually means an item needs reverse-keying.
    Conventional thresholds: alpha >= .70 acceptable (Nunnally & Bernstein, 1994).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika, 16*(3), 297-334.

    Nunnally, J. C., & Bernstein, I. H. (1994). *Psychometric theory* (3rd ed.). McGraw-Hill.
    """
    rows = []
    for name, items in _scales(df, constructs, "Cronbach's alpha").items():
        x = item_frame(df, items, min_items=2, what="Cronbach's alpha", construct=name)
        check_variance(x, what="alpha", construct=name)
        c = _cov_pairwise(x, name, "alpha")
        sd = np.sqrt(np.diag(c))
        r = c / np.outer(sd, sd)
        k = len(items)
        raw = _alpha_from_cov(c)
        std = float(k / (k - 1) * (1.0 - k / r.sum()))
        reasons = []
        if raw < 0:
            reasons.append(
                f"alpha for construct {name} is negative (items covary negatively on average); "
                "check for items that need reverse-keying"
            )
        n_pairs = int(x.notna().all(axis=1).sum())
        if n_pairs < len(x.dropna(how="all")):
            reasons.append("pairwise-complete covariances used (missing values present)")
        rows.append(
            {
                "construct": name,
                "n_items": k,
                "n_obs": int(x.notna().any(axis=1).sum()),
                "raw_alpha": raw,
                "std_alpha": std,
                "average_r": float((r.sum() - k) / (k * (k - 1))),
                "warnings": join_reasons(reasons),
            }
        )
    return pd.DataFrame(
        rows, columns=["construct", "n_items", "n_obs", "raw_alpha", "std_alpha", "average_r", "warnings"]
    )


def item_total(df: pd.DataFrame, constructs: Mapping[str, Sequence[str]] | Sequence[str] | None = None) -> pd.DataFrame:
    """Corrected item-total correlation and alpha if item deleted (``psych::alpha``).

    Parameters
    ----------
    df : DataFrame
        Item responses; missing values allowed (pairwise covariances, as psych).
    constructs : dict or list, optional
        As in :func:`cronbach_alpha`.

    Returns
    -------
    DataFrame
        One row per (construct, item): ``construct``, ``item``, ``r_drop`` (correlation of the
        item with the sum of the *other* items of its construct, psych's ``r.drop``),
        ``alpha_if_deleted`` (raw alpha of the remaining items, psych's
        ``alpha.drop$raw_alpha``), ``warnings``.

    Raises
    ------
    TooFewItemsError, ZeroVarianceError, NonNumericItemError, MissingItemError, ItemDataError
        As :func:`cronbach_alpha`.

    Notes
    -----
    From the pairwise covariance matrix :math:`C`:
    :math:`r_{drop,i} = (\\sum_j C_{ij} - C_{ii}) / \\sqrt{C_{ii} \\sum_{j,l \\ne i} C_{jl}}`.
    Checked against ``psych::alpha`` 2.2.9 (Holzinger-Swineford scales, complete and with
    missing values) within 1e-12. For a two-item construct alpha if deleted is NaN with a
    warning (alpha of a single item is undefined; psych prints a covariance ratio there
    instead). Items with ``r_drop`` < .30 are often flagged for review (Nunnally &
    Bernstein, 1994).

    References
    ----------
    Nunnally, J. C., & Bernstein, I. H. (1994). *Psychometric theory* (3rd ed.). McGraw-Hill.
    """
    rows = []
    for name, items in _scales(df, constructs, "item-total statistics").items():
        x = item_frame(df, items, min_items=2, what="item-total statistics", construct=name)
        check_variance(x, what="item-total statistics", construct=name)
        c = _cov_pairwise(x, name, "item-total statistics")
        k = len(items)
        for i, item in enumerate(items):
            keep = [j for j in range(k) if j != i]
            v_drop = c[np.ix_(keep, keep)].sum()
            c_drop = c[:, i].sum() - c[i, i]
            r_drop = float(c_drop / np.sqrt(c[i, i] * v_drop))
            reasons = []
            if k > 2:
                a_del = _alpha_from_cov(c[np.ix_(keep, keep)])
            else:
                a_del = np.nan
                reasons.append(f"construct {name} has 2 items; alpha of the single remaining item is undefined")
            if r_drop < 0:
                reasons.append(f"item {item} correlates negatively with the rest of construct {name}; reverse-keyed?")
            rows.append(
                {
                    "construct": name,
                    "item": item,
                    "r_drop": r_drop,
                    "alpha_if_deleted": a_del,
                    "warnings": join_reasons(reasons),
                }
            )
    return pd.DataFrame(rows, columns=["construct", "item", "r_drop", "alpha_if_deleted", "warnings"])


# --------------------------------------------------------------------------------------
# composite reliability from CFA estimates
# --------------------------------------------------------------------------------------
def _as_float_array(v, name: str) -> np.ndarray:
    a = np.asarray(v, dtype="float64").ravel()
    if a.size == 0:
        raise CFAInputError(f"{name} is empty")
    if not np.isfinite(a).all():
        raise CFAInputError(f"{name} contains missing or infinite values")
    return a


def composite_reliability(
    loadings,
    residual_variances,
    factor_variance: float = 1.0,
    residual_covariances=None,
) -> float:
    """Composite reliability (omega, "CR") of one factor from its unstandardised estimates.

    Parameters
    ----------
    loadings : array-like
        Loadings :math:`\\lambda_i` of the factor's indicators (same metric as ``factor_variance``).
    residual_variances : array-like
        Residual (error) variances :math:`\\theta_{ii}`, same order.
    factor_variance : float, default 1
        Factor variance :math:`\\psi` (1 for standardised loadings / a standardised factor).
    residual_covariances : array-like, optional
        The full :math:`k \\times k` residual covariance matrix, when indicators have
        correlated errors; its diagonal must equal ``residual_variances``.

    Returns
    -------
    float
        :math:`\\omega = (\\sum\\lambda_i)^2\\psi / [(\\sum\\lambda_i)^2\\psi + \\sum_i\\theta_{ii} + 2\\sum_{i<j}\\theta_{ij}]`.

    Notes
    -----
    This is ``semTools::reliability()``'s ``omega`` (Raykov, 1997; Bentler, 2009) and
    Fornell & Larcker's (1981) composite reliability when there are no correlated errors.
    Cross-loadings of indicators on other factors are ignored here; use
    :func:`reliability_from_cfa` for ``omega2``/``omega3``, which account for them.
    Threshold: CR >= .70 (Hair et al., 2019; Fornell & Larcker, 1981).

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with
    unobservable variables and measurement error. *Journal of Marketing Research, 18*(1), 39-50.

    Hair, J. F., Risher, J. J., Sarstedt, M., & Ringle, C. M. (2019). When to use and how to
    report the results of PLS-SEM. *European Business Review, 31*(1), 2-24.

    Raykov, T. (1997). Estimation of composite reliability for congeneric measures.
    *Applied Psychological Measurement, 21*(2), 173-184.
    """
    lam = _as_float_array(loadings, "loadings")
    th = _as_float_array(residual_variances, "residual_variances")
    if lam.size != th.size:
        raise CFAInputError(f"got {lam.size} loadings but {th.size} residual variances")
    if not np.isfinite(factor_variance) or factor_variance <= 0:
        raise CFAInputError(f"factor_variance must be positive, got {factor_variance}")
    error = th.sum()
    if residual_covariances is not None:
        tm = np.asarray(residual_covariances, dtype="float64")
        if tm.shape != (lam.size, lam.size):
            raise CFAInputError(f"residual_covariances must be {lam.size}x{lam.size}, got shape {tm.shape}")
        if not np.allclose(np.diag(tm), th):
            raise CFAInputError("the diagonal of residual_covariances differs from residual_variances")
        error = tm.sum()
    common = lam.sum() ** 2 * factor_variance
    return float(common / (common + error))


def average_variance_extracted(loadings, residual_variances, factor_variance: float = 1.0) -> float:
    """Average variance extracted (AVE) of one factor, as ``semTools::reliability()``'s ``avevar``.

    Returns
    -------
    float
        :math:`\\sum_i\\lambda_i^2\\psi / \\sum_i(\\lambda_i^2\\psi + \\theta_{ii})`.

    Notes
    -----
    With standardised loadings (:math:`\\lambda_i^2\\psi + \\theta_{ii} = 1`) this is the mean
    squared standardised loading of Fornell & Larcker (1981); with unstandardised estimates it
    is a variance-weighted version (semTools 0.5.6 uses the unstandardised one, and so do we).
    Threshold: AVE >= .50 (Fornell & Larcker, 1981; Hair et al., 2019).

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with
    unobservable variables and measurement error. *Journal of Marketing Research, 18*(1), 39-50.
    """
    lam = _as_float_array(loadings, "loadings")
    th = _as_float_array(residual_variances, "residual_variances")
    if lam.size != th.size:
        raise CFAInputError(f"got {lam.size} loadings but {th.size} residual variances")
    if not np.isfinite(factor_variance) or factor_variance <= 0:
        raise CFAInputError(f"factor_variance must be positive, got {factor_variance}")
    true = lam**2 * factor_variance
    return float(true.sum() / (true + th).sum())


def sample_covariance(df: pd.DataFrame, items: Sequence[str] | None = None) -> pd.DataFrame:
    """ML sample covariance matrix (divisor n, listwise deletion), as lavaan's ``sampstat``.

    ``semTools::reliability()`` takes ``omega3``'s denominator from lavaan's sample statistics,
    which divide by n, not n-1; pass this matrix as ``sample_cov`` to
    :func:`reliability_from_cfa` to reproduce it for a complete-data (listwise) ML fit.
    """
    x = item_frame(df, items, min_items=1, what="the sample covariance").dropna()
    if len(x) < 2:
        raise TooFewItemsError(f"the sample covariance needs at least 2 complete rows, got {len(x)}")
    return x.cov(ddof=0)


def _lambda_matrix(lambda_) -> pd.DataFrame:
    if isinstance(lambda_, pd.DataFrame):
        lam = lambda_.astype("float64")
    elif isinstance(lambda_, Mapping):
        if not lambda_:
            raise CFAInputError("lambda_ has no factors")
        cols = {}
        for f, s in lambda_.items():
            if not isinstance(s, (pd.Series, Mapping)):
                raise CFAInputError(
                    f"loadings of factor {f} must be a pandas Series (or dict) indexed by item, got {type(s).__name__}"
                )
            cols[str(f)] = pd.Series(s, dtype="float64")
        lam = pd.DataFrame(cols)
        lam = lam.reindex(list(dict.fromkeys(i for s in cols.values() for i in s.index))).fillna(0.0)
    else:
        raise CFAInputError(
            "lambda_ must be a dict {factor: Series of loadings indexed by item} or an items x factors DataFrame, "
            f"got {type(lambda_).__name__}"
        )
    if not np.isfinite(lam.to_numpy()).all():
        raise CFAInputError("lambda_ contains missing or infinite loadings")
    return lam


def _square(m, names: list[str], what: str) -> np.ndarray:
    if isinstance(m, pd.Series):  # residual variances only
        missing = [n for n in names if n not in m.index]
        if missing:
            raise CFAInputError(f"{what} has no entry for {', '.join(missing)}")
        return np.diag(m.loc[names].to_numpy(dtype="float64"))
    if not isinstance(m, pd.DataFrame):
        raise CFAInputError(f"{what} must be a pandas DataFrame with row and column labels, got {type(m).__name__}")
    missing = [n for n in names if n not in m.index or n not in m.columns]
    if missing:
        raise CFAInputError(f"{what} has no row/column for {', '.join(missing)}")
    a = m.loc[names, names].to_numpy(dtype="float64")
    if not np.isfinite(a).all():
        raise CFAInputError(f"{what} contains missing or infinite values")
    if not np.allclose(a, a.T, atol=1e-10 * max(1.0, np.abs(a).max())):
        raise CFAInputError(f"{what} is not symmetric")
    return a


def reliability_from_cfa(
    lambda_: Mapping[str, pd.Series] | pd.DataFrame,
    theta: pd.DataFrame | pd.Series,
    psi: pd.DataFrame,
    sample_cov: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Alpha, omega, omega2, omega3 and AVE per factor from CFA estimates (``semTools::reliability``).

    Parameters
    ----------
    lambda_ : dict or DataFrame
        Unstandardised loadings: ``{factor: Series indexed by item}`` (items absent from a
        factor's Series load 0 on it), or an items x factors DataFrame (lavaan's
        ``lavInspect(fit, "est")$lambda``).
    theta : DataFrame or Series
        Residual covariance matrix (items x items, lavaan's ``theta``); a Series of residual
        variances when there are no residual covariances.
    psi : DataFrame
        Factor covariance matrix (factors x factors). semTools uses the model-implied latent
        covariance ``cov.lv``, which equals ``psi`` in a CFA without structural paths.
    sample_cov : DataFrame, optional
        Observed covariance matrix of the items, for ``alpha`` and ``omega3``. To match
        semTools use the ML version (divisor n; :func:`sample_covariance`), which is what
        lavaan stores. Without it ``alpha`` and ``omega3`` are NaN with a warning.

    Returns
    -------
    DataFrame
        One row per factor: ``construct``, ``n_items``, ``alpha``, ``omega``, ``omega2``,
        ``omega3``, ``ave``, ``warnings``.

    Raises
    ------
    CFAInputError
        Labels of ``lambda_``, ``theta``, ``psi``, ``sample_cov`` do not match, or values are
        missing / not symmetric / a factor variance is not positive.

    Notes
    -----
    For factor :math:`j` with indicator set :math:`I_j` (non-zero loadings), implied
    covariance :math:`\\hat\\Sigma = \\Lambda\\Psi\\Lambda^\\top + \\Theta` and
    :math:`c_j = (\\sum_{i\\in I_j}\\lambda_{ij})^2\\psi_{jj}`:

    * ``omega`` :math:`= c_j / (c_j + \\sum_{i,l \\in I_j}\\theta_{il})` (residual covariances
      counted twice, once per triangle);
    * ``omega2`` :math:`= c_j / \\sum_{i,l\\in I_j}\\hat\\Sigma_{il}` (model-implied total
      variance of the sum score; differs from ``omega`` when items cross-load);
    * ``omega3`` :math:`= c_j / \\sum_{i,l\\in I_j} S_{il}` (observed variance of the sum score;
      Bentler, 2009);
    * ``alpha`` from :math:`S`: :math:`\\frac{k}{k-1}(1-\\operatorname{tr}S/\\sum S)`;
    * ``ave`` :math:`= \\sum_i \\lambda_{ij}^2\\psi_{jj} / \\sum_i (\\lambda_{ij}^2\\psi_{jj} +
      \\theta_{ii})`, only when no indicator of the factor loads on another factor; otherwise
      NaN with a warning, as semTools 0.5.6 reports NA.

    This is the code path of semTools 0.5.6 ``reliability()`` for continuous indicators and
    one group. Checked against semTools 0.5.6 / lavaan 0.6.14 on the Holzinger-Swineford
    3-factor CFA and on a variant with a cross-loading (visual =~ x9) and a residual
    covariance (x2 ~~ x3): all values within 1e-9 relative
    (``tests/fixtures/psych/make_reference.R``). Categorical indicators (semTools' ordinal
    omega) are not covered. Thresholds: omega/CR >= .70, AVE >= .50 (Fornell & Larcker, 1981;
    Hair et al., 2019); see :func:`validate.measurement.validity.convergent_validity`.

    References
    ----------
    Bentler, P. M. (2009). Alpha, dimension-free, and model-based internal consistency
    reliability. *Psychometrika, 74*(1), 137-143.

    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with
    unobservable variables and measurement error. *Journal of Marketing Research, 18*(1), 39-50.

    Hair, J. F., Risher, J. J., Sarstedt, M., & Ringle, C. M. (2019). When to use and how to
    report the results of PLS-SEM. *European Business Review, 31*(1), 2-24.

    Jorgensen, T. D., Pornprasertmanit, S., Schoemann, A. M., & Rosseel, Y. (2022). *semTools:
    Useful tools for structural equation modeling* (R package version 0.5-6).
    """
    lam = _lambda_matrix(lambda_)
    items = [str(i) for i in lam.index]
    lam.index = items
    factors = [str(f) for f in lam.columns]
    lam.columns = factors
    L = lam.to_numpy()
    T = _square(theta, items, "theta")
    P = _square(psi, factors, "psi")
    if (np.diag(P) <= 0).any():
        bad = [f for f, v in zip(factors, np.diag(P)) if v <= 0]
        raise CFAInputError(f"factor variance of {', '.join(bad)} in psi is not positive")
    S = _square(sample_cov, items, "sample_cov") if sample_cov is not None else None
    implied = L @ P @ L.T + T
    truevar = L @ P @ L.T

    rows = []
    for j, f in enumerate(factors):
        idx = np.flatnonzero(L[:, j] != 0)
        reasons: list[str] = []
        row = {
            "construct": f,
            "n_items": len(idx),
            "alpha": np.nan,
            "omega": np.nan,
            "omega2": np.nan,
            "omega3": np.nan,
            "ave": np.nan,
        }
        if len(idx) < 2:
            reasons.append(
                f"factor {f} has {len(idx)} indicator{'s' if len(idx) != 1 else ''}; reliability needs at least 2"
            )
            row["warnings"] = join_reasons(reasons)
            rows.append(row)
            continue
        ix = np.ix_(idx, idx)
        lj = L[idx, j]
        faccontrib = np.outer(lj, lj) * P[j, j]
        commonfac = faccontrib.sum()
        row["omega"] = float(commonfac / (commonfac + T[ix].sum()))
        row["omega2"] = float(commonfac / implied[ix].sum())
        truefac = np.diag(faccontrib)
        trueitem = np.diag(truevar)[idx]
        if np.abs(trueitem - truefac).sum() < 1e-5:
            row["ave"] = float(trueitem.sum() / (trueitem + np.diag(T)[idx]).sum())
        else:
            others = sorted({items[i] for i in idx if np.any(np.delete(L[i], j) != 0)}, key=items.index)
            reasons.append(
                f"AVE of {f} is undefined because {', '.join(others)} also load(s) on another factor "
                "(semTools reports NA)"
            )
        if S is not None:
            sj = S[ix]
            row["alpha"] = _alpha_from_cov(sj)
            row["omega3"] = float(commonfac / sj.sum())
        else:
            reasons.append("alpha and omega3 need sample_cov")
        if (np.diag(T)[idx] < 0).any():
            neg = [items[i] for i in idx if T[i, i] < 0]
            reasons.append(f"negative residual variance (Heywood case) for {', '.join(neg)}")
        row["warnings"] = join_reasons(reasons)
        rows.append(row)
    return pd.DataFrame(rows, columns=["construct", "n_items", "alpha", "omega", "omega2", "omega3", "ave", "warnings"])


def convergent_discriminant_summary(std_loadings: pd.DataFrame, factor_correlations: pd.DataFrame) -> pd.DataFrame:
    r"""Per construct: CR and AVE on the standardised solution, MSV, ASV and maximal reliability H.

    The table AMOS users know from Gaskin's validity master (Hair et al., 2019), computed from the
    CFA's standardised loadings and factor correlations.

    Parameters
    ----------
    std_loadings : pandas.DataFrame
        Columns ``construct``, ``item``, ``std`` (completely standardised loadings, lavaan's
        ``std.all``); one row per loading of an item on its construct.
    factor_correlations : pandas.DataFrame
        The constructs' correlation matrix, indexed and labelled by construct.

    Returns
    -------
    pandas.DataFrame
        One row per construct: ``construct``, ``n_items``, ``cr_std`` (composite reliability),
        ``ave_std``, ``msv``, ``asv``, ``maxrh``, ``warnings``.

    Notes
    -----
    With standardised loadings :math:`l_i` and :math:`\theta_i = 1 - l_i^2`:

    - ``cr_std`` :math:`= (\sum l_i)^2 / ((\sum l_i)^2 + \sum \theta_i)` (Fornell & Larcker,
      1981; what AMOS users report as CR). It differs slightly from semTools' ``omega``, which
      uses the unstandardised estimates (and residual covariances, if any).
    - ``ave_std`` :math:`= \sum l_i^2 / k`.
    - ``msv``, ``asv``: the largest and the mean squared correlation of the construct with the
      others (discriminant validity when MSV < AVE).
    - ``maxrh`` :math:`= 1 / (1 + 1 / \sum (l_i^2 / (1 - l_i^2)))`, Hancock & Mueller's (2001)
      maximal reliability H.

    A loading of magnitude 1 or more (a Heywood case) leaves CR, AVE and H undefined: they are
    NaN with the reason in ``warnings``. Checked against the same formulas applied in R to
    lavaan 0.6.14's ``std.all`` (tests/fixtures/lavaan/validity_reference.R).

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with unobservable
    variables and measurement error. *Journal of Marketing Research, 18*(1), 39-50.

    Hancock, G. R., & Mueller, R. O. (2001). Rethinking construct reliability within latent variable
    systems. In R. Cudeck, S. du Toit, & D. Sörbom (Eds.), *Structural equation modeling: Present
    and future* (pp. 195-216). Scientific Software International.

    Hair, J. F., Black, W. C., Babin, B. J., & Anderson, R. E. (2019). *Multivariate data analysis*
    (8th ed.). Cengage.
    """
    need = {"construct", "item", "std"}
    if not need <= set(std_loadings.columns):
        raise CFAInputError(f"std_loadings needs the columns {sorted(need)}, got {list(std_loadings.columns)}")
    fc = factor_correlations
    rows = []
    for c, grp in std_loadings.groupby("construct", sort=False):
        lam = grp["std"].to_numpy(dtype=float)
        warn = []
        row = {"construct": c, "n_items": int(len(lam))}
        if not np.all(np.isfinite(lam)):
            warn.append("a standardised loading is missing")
        if np.any(np.abs(lam) >= 1):
            warn.append("a standardised loading is 1 or more in magnitude (Heywood case)")
        if warn:
            row.update(cr_std=np.nan, ave_std=np.nan, maxrh=np.nan)
        else:
            th = 1 - lam**2
            row["cr_std"] = float(lam.sum() ** 2 / (lam.sum() ** 2 + th.sum()))
            row["ave_std"] = float(np.mean(lam**2))
            ratio = float(np.sum(lam**2 / th))
            row["maxrh"] = float(1 / (1 + 1 / ratio)) if ratio > 0 else np.nan
        others = [o for o in fc.columns if o != c] if c in fc.index else []
        r2 = np.array([float(fc.loc[c, o]) ** 2 for o in others])
        if len(r2) and np.all(np.isfinite(r2)):
            row["msv"], row["asv"] = float(r2.max()), float(r2.mean())
        else:
            row["msv"] = row["asv"] = np.nan
            if not len(r2):
                warn.append("no other construct to correlate with")
        row["warnings"] = "; ".join(warn)
        rows.append(row)
    return pd.DataFrame(rows, columns=["construct", "n_items", "cr_std", "ave_std", "msv", "asv", "maxrh", "warnings"])
