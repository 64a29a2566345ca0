"""Fit measures with lavaan's definitions and names (``.`` -> ``_``).

Notes
-----
Formulas follow lavaan 0.6 (lav_fit_cfi.R, lav_fit_rmsea.R, lav_fit_srmr.R):
``chisq = N * F``; CFI/TLI with the independence baseline (CFI clipped to
[0, 1]); RMSEA ``sqrt(max(0, X2/(N df) - c/N)) * sqrt(G)``; its 90% CI by
inverting the non-central chi-square; p(close) with H0 RMSEA <= .05;
robust CFI/TLI/RMSEA (Brosseau-Liard & Savalei) with the scaling factors;
the scaled and robust RMSEA with interval and p-values as lav_fit_rmsea_lavobject
(:func:`rmsea_scaled_measures`, :func:`rmsea_robust_measures`);
SRMR is Bentler's version (residuals standardised by sample SDs, means
included with a mean structure), pooled over groups with weights N_g/N.
The AMOS-style indices (:func:`incremental_indices`: NFI, IFI, RFI, RNI, PNFI; :func:`pgfi`,
:func:`ecvi`, :func:`rmr`) follow lav_fit_cfi.R, lav_fit_gfi.R, lav_fit_other.R and
lav_residuals_summary, including lavaan's edge cases (NA when the model has more df than the
baseline, 1 when a numerator turns negative).
Checked against the lavaan 0.6.14 fixtures in tests/fixtures/lavaan (fit_measures_full.json holds
every fitMeasures() value for five models; agreement 1e-8 or better).

References
----------
Bentler, P. M., & Bonett, D. G. (1980). Significance tests and goodness of fit in the analysis of
covariance structures. Psychological Bulletin, 88(3), 588-606. (NFI)
Bollen, K. A. (1986). Sample size and Bentler and Bonett's nonnormed fit index. Psychometrika, 51,
375-377. (RFI); Bollen, K. A. (1989). A new incremental fit index for general structural equation
models. Sociological Methods & Research, 17(3), 303-316. (IFI)
James, L. R., Mulaik, S. A., & Brett, J. M. (1982). Causal analysis. Sage. (PNFI)
Mulaik, S. A., et al. (1989). Evaluation of goodness-of-fit indices for structural equation models.
Psychological Bulletin, 105(3), 430-445. (PGFI)
Browne, M. W., & Cudeck, R. (1989). Single sample cross-validation indices for covariance
structures. Multivariate Behavioral Research, 24(4), 445-455. (ECVI)
"""

from __future__ import annotations

import numpy as np
from scipy import optimize
from scipy import stats as sps

__all__ = [
    "cfi",
    "ecvi",
    "gfi_group",
    "incremental_indices",
    "normal_weight",
    "pchisq",
    "pgfi",
    "rmr",
    "rmsea",
    "rmsea_ci",
    "rmsea_notclose_pvalue",
    "rmsea_pvalue",
    "rmsea_robust_measures",
    "rmsea_scaled_measures",
    "srmr_bentler",
    "tli",
]


def pchisq(x, df, ncp=0.0):
    """Chi-square CDF with optional non-centrality."""
    if ncp <= 0:
        return float(sps.chi2.cdf(x, df))
    return float(sps.ncx2.cdf(x, df, ncp))


def rmsea(x2, df, n, g=1, c_hat=1.0):
    if df <= 0:
        return 0.0
    return float(np.sqrt(max((x2 / n) / df - c_hat / n, 0.0)) * np.sqrt(g))


def rmsea_ci(x2, df, n, g=1, c_hat=1.0, level=0.90):
    """Lower and upper limit of the RMSEA confidence interval."""
    if not (np.isfinite(x2) and df > 0):
        return np.nan, np.nan
    upper_perc = 1 - (1 - level) / 2
    lower_perc = (1 - level) / 2

    def f_low(lam):
        return pchisq(x2, df, lam) - upper_perc

    def f_up(lam):
        return pchisq(x2, df, lam) - lower_perc

    if df < 1 or f_low(0.0) < 0:
        lo = 0.0
    else:
        lam = optimize.brentq(f_low, 0.0, max(x2, 1e-8), xtol=1e-12)
        lo = np.sqrt(c_hat * lam / (n * df)) * np.sqrt(g)
    n_r = max(n, 4 * x2)
    if df < 1 or f_up(n_r) > 0 or f_up(0.0) < 0:
        hi = 0.0
    else:
        lam = optimize.brentq(f_up, 0.0, n_r, xtol=1e-12)
        hi = np.sqrt(c_hat * lam / (n * df)) * np.sqrt(g)
    return float(lo), float(hi)


def rmsea_pvalue(x2, df, n, g=1, c_hat=1.0, h0=0.05):
    if df <= 0 or not np.isfinite(x2):
        return np.nan
    ncp = n * df / c_hat * h0**2 / g
    return float(1 - pchisq(x2, df, ncp))


def rmsea_notclose_pvalue(x2, df, n, g=1, c_hat=1.0, h0=0.08):
    """lavaan's ``rmsea.notclose.pvalue``: ``P(chi2(df, ncp) <= x2)`` under H0 RMSEA >= ``h0``."""
    if df <= 0 or not np.isfinite(x2):
        return np.nan
    ncp = n * df / c_hat * h0**2 / g
    return float(pchisq(x2, df, ncp))


def _finite(*values):
    return all(v is not None and np.isfinite(v) for v in values)


def rmsea_scaled_measures(
    chisq,
    df,
    n,
    g=1,
    *,
    scaling_factor,
    chisq_scaled=None,
    test="yuan.bentler.mplus",
    level=0.90,
    close_h0=0.05,
    notclose_h0=0.08,
):
    """lavaan's ``rmsea.scaled`` with its interval and p-values (``lav_fit_rmsea_lavobject``).

    Parameters
    ----------
    chisq : float
        The unscaled test statistic (lavaan's ``chisq``).
    df : float
        Its degrees of freedom.
    n : float
        Sample size lavaan uses for the RMSEA (``ntotal``; ``ntotal - 1`` for (D)WLS).
    g : int
        Number of groups.
    scaling_factor : float
        ``chisq.scaling.factor``.
    chisq_scaled : float, optional
        ``chisq.scaled``; needed for ``test = "scaled.shifted"`` only.
    test : {"yuan.bentler.mplus", "yuan.bentler", "satorra.bentler", "scaled.shifted", ...}
        lavaan's name of the scaled test.
    level, close_h0, notclose_h0 : float
        Confidence level, H0 of the close-fit and of the not-close-fit test.

    Returns
    -------
    dict
        ``rmsea_scaled``, ``rmsea_ci_lower_scaled``, ``rmsea_ci_upper_scaled``,
        ``rmsea_pvalue_scaled``, ``rmsea_notclose_pvalue_scaled``; NaN where lavaan gives NA.

    Notes
    -----
    For a mean-scaled test lavaan keeps the *unscaled* statistic and multiplies the degrees of
    freedom by the scaling factor (``df2 = sum(trace.UGamma) = c * df``), so the interval
    comes from the non-central chi-square on ``c * df`` degrees of freedom -- not from
    ``chisq_scaled`` on ``df``, which gives the same point estimate but another interval. For
    the scaled-shifted test (WLSMV) it uses ``chisq_scaled`` on ``df``.
    """
    if test == "scaled.shifted":
        x2, df2 = chisq_scaled, df
    else:
        x2 = chisq
        df2 = scaling_factor * df if _finite(scaling_factor, df) else np.nan
        if not np.isfinite(df2) or df2 == 0:
            df2 = np.nan
    nan = float("nan")
    if not _finite(x2, df2, n):
        return {
            "rmsea_scaled": nan,
            "rmsea_ci_lower_scaled": nan,
            "rmsea_ci_upper_scaled": nan,
            "rmsea_pvalue_scaled": nan,
            "rmsea_notclose_pvalue_scaled": nan,
        }
    lo, hi = rmsea_ci(x2, df2, n, g, level=level)
    return {
        "rmsea_scaled": rmsea(x2, df2, n, g),
        "rmsea_ci_lower_scaled": lo,
        "rmsea_ci_upper_scaled": hi,
        "rmsea_pvalue_scaled": rmsea_pvalue(x2, df2, n, g, h0=close_h0),
        "rmsea_notclose_pvalue_scaled": rmsea_notclose_pvalue(x2, df2, n, g, h0=notclose_h0),
    }


def rmsea_robust_measures(
    xx3, df3, n, g=1, *, c_hat3, c_hat=None, xx3_scaled=None, level=0.90, close_h0=0.05, notclose_h0=0.08
):
    """lavaan's ``rmsea.robust`` with its interval and p-values (``lav_fit_rmsea_lavobject``).

    Parameters
    ----------
    xx3 : float
        The statistic of the robust RMSEA: the unscaled ``chisq`` for complete data; the
        FIML-corrected ``XX3`` (:func:`validate.sem.robust_fiml.fiml_corrected`) with
        missing data; ``XX3`` of lavaan's ``lav_fit_catml_dwls`` for categorical data.
    df3 : float
        Its degrees of freedom.
    n : float
        Sample size lavaan uses for the RMSEA.
    g : int
        Number of groups.
    c_hat3 : float
        The scaling factor of the point estimate (``c`` for a mean-scaled test;
        ``a (df - b) / df`` for a scaled-shifted one; ``c.hat3`` of the FIML correction).
    c_hat : float, optional
        The scaling factor of the interval and p-values; defaults to ``c_hat3``. lavaan uses
        the test's ``scaling.factor`` here for a complete-data continuous fit (so it differs
        from ``c_hat3`` for a scaled-shifted test) and ``c.hat3`` otherwise.
    xx3_scaled : float, optional
        The scaled statistic the interval inverts; defaults to ``xx3 / c_hat3`` (lavaan's
        ``XX3.scaled`` for FIML and categorical data, ``chisq.scaled`` for a mean-scaled test).
    level, close_h0, notclose_h0 : float
        Confidence level, H0 of the close-fit and of the not-close-fit test.

    Returns
    -------
    dict
        ``rmsea_robust``, ``rmsea_ci_lower_robust``, ``rmsea_ci_upper_robust``,
        ``rmsea_pvalue_robust``, ``rmsea_notclose_pvalue_robust``; NaN where lavaan gives NA.

    Notes
    -----
    Brosseau-Liard, Savalei & Li (2012) and, with missing data, Savalei (2018) / Zhang &
    Savalei (2023): the interval inverts the non-central chi-square of ``XX3.scaled`` on
    ``df3`` degrees of freedom and rescales the non-centrality by ``c_hat``:
    ``sqrt(c_hat * lambda / (n * df3)) * sqrt(g)``.
    """
    if c_hat is None:
        c_hat = c_hat3
    if xx3_scaled is None and _finite(xx3, c_hat3) and c_hat3 != 0:
        xx3_scaled = xx3 / c_hat3
    nan = float("nan")
    out = {
        "rmsea_robust": nan,
        "rmsea_ci_lower_robust": nan,
        "rmsea_ci_upper_robust": nan,
        "rmsea_pvalue_robust": nan,
        "rmsea_notclose_pvalue_robust": nan,
    }
    if _finite(xx3, df3, n, c_hat3):
        out["rmsea_robust"] = rmsea(xx3, df3, n, g, c_hat=c_hat3)
    if _finite(xx3_scaled, df3, n, c_hat):
        lo, hi = rmsea_ci(xx3_scaled, df3, n, g, c_hat=c_hat, level=level)
        out.update(
            rmsea_ci_lower_robust=lo,
            rmsea_ci_upper_robust=hi,
            rmsea_pvalue_robust=rmsea_pvalue(xx3_scaled, df3, n, g, c_hat=c_hat, h0=close_h0),
            rmsea_notclose_pvalue_robust=rmsea_notclose_pvalue(xx3_scaled, df3, n, g, c_hat=c_hat, h0=notclose_h0),
        )
    return out


def cfi(x2, df, x2b, dfb, c_hat=None, c_hat_b=None):
    if c_hat is not None and df > 0:
        t1 = max(x2 - c_hat * df, 0.0)
        t2 = max(x2 - c_hat * df, x2b - c_hat_b * dfb, 0.0)
    else:
        t1 = max(x2 - df, 0.0)
        t2 = max(x2 - df, x2b - dfb, 0.0)
    if np.isclose(t1, 0.0) and np.isclose(t2, 0.0):
        return 1.0
    return float(1 - t1 / t2)


def tli(x2, df, x2b, dfb, c_hat=None, c_hat_b=None):
    if c_hat is not None and df > 0:
        t1 = (x2 - c_hat * df) * dfb
        t2 = (x2b - c_hat_b * dfb) * df
    else:
        t1 = (x2 - df) * dfb
        t2 = (x2b - dfb) * df
    if df > 0 and abs(t2) > 0:
        return float(1 - t1 / t2)
    return 1.0


def srmr_bentler(S, mean, Sigma, mu, meanstructure):
    """Bentler's SRMR for one group (residuals scaled by sample SDs)."""
    sd = np.sqrt(np.diag(S))
    R = (S - Sigma) / np.outer(sd, sd)
    p = len(sd)
    il = np.tril_indices(p)
    ss = np.sum(R[il] ** 2)
    ne = p * (p + 1) / 2
    ss_nomean = ss
    if meanstructure:
        rm = (mean - mu) / sd
        ss += np.sum(rm**2)
        return float(np.sqrt(ss / (ne + p))), float(np.sqrt(ss_nomean / ne))
    return float(np.sqrt(ss / ne)), float(np.sqrt(ss / ne))


def incremental_indices(x2: float, df: float, x2b: float, dfb: float) -> dict[str, float]:
    """NFI, IFI, RFI, RNI and PNFI against the independence baseline, as lavaan defines them.

    Parameters
    ----------
    x2, df : float
        The model's chi-square and degrees of freedom.
    x2b, dfb : float
        The baseline (independence) model's chi-square and degrees of freedom.

    Returns
    -------
    dict
        ``nfi`` = (X2b - X2) / X2b; ``ifi`` = (X2b - X2) / (X2b - df); ``rfi`` =
        (X2b/dfb - X2/df) / (X2b/dfb); ``rni`` = 1 - (X2 - df) / (X2b - dfb) (the CFI without
        its clipping); ``pnfi`` = (df/dfb) * NFI. NaN where lavaan gives NA.
    """
    nan = float("nan")
    vals = (x2, df, x2b, dfb)
    if not all(np.isfinite(v) for v in vals):
        return dict(nfi=nan, ifi=nan, rfi=nan, rni=nan, pnfi=nan)
    # NFI
    if df > dfb or np.isclose(x2b, 0.0):
        nfi = nan
    elif df > 0:
        nfi = (x2b - x2) / x2b
    else:
        nfi = 1.0
    # PNFI
    pnfi = (df / dfb) * (x2b - x2) / x2b if dfb > 0 and x2b > 0 else nan
    # IFI
    t1, t2 = x2b - x2, x2b - df
    if t2 < 0:
        ifi = 1.0
    elif np.isclose(t2, 0.0):
        ifi = nan
    else:
        ifi = t1 / t2
    # RFI
    if df > dfb:
        rfi = nan
    elif df > 0 and dfb > 0:
        t1, t2 = x2b / dfb - x2 / df, x2b / dfb
        rfi = 1.0 if (t1 < 0 or t2 < 0) else t1 / t2
    else:
        rfi = 1.0
    # RNI
    t1, t2 = x2 - df, x2b - dfb
    rni = nan if np.isclose(t2, 0.0) else 1 - t1 / t2
    return dict(nfi=float(nfi), ifi=float(ifi), rfi=float(rfi), rni=float(rni), pnfi=float(pnfi))


def pgfi(gfi: float, nel: float, df: float) -> float:
    """Parsimony GFI, (df / nel) * GFI, with nel the number of modelled sample statistics (LISREL)."""
    if not (np.isfinite(gfi) and np.isfinite(nel) and np.isfinite(df)) or nel == 0:
        return float("nan")
    return float(df / nel * gfi)


def ecvi(x2: float, npar: float, n: float) -> float:
    """Expected cross-validation index, X2/N + 2 q/N (Browne & Cudeck 1989, eq. 5; lavaan's form)."""
    return float(x2 / n + 2 * npar / n)


def rmr(S, mean, Sigma, mu, meanstructure) -> tuple[float, float]:
    """Root mean square residual for one group: raw (unstandardised) residuals of the covariances.

    Returns ``(rmr, rmr_nomean)``: over the p(p+1)/2 non-duplicated covariances, plus the p means
    when the model has a mean structure (lavaan's ``rmr`` and ``rmr_nomean``).
    """
    p = S.shape[0]
    il = np.tril_indices(p)
    ss = float(np.sum((S - Sigma)[il] ** 2))
    ne = p * (p + 1) / 2
    nomean = float(np.sqrt(ss / ne))
    if meanstructure:
        return float(np.sqrt((ss + np.sum((mean - mu) ** 2)) / (ne + p))), nomean
    return nomean, nomean


def normal_weight(Sigma_inv, rr, cc, meanstructure: bool) -> np.ndarray:
    """The normal-theory weight of (vech Sigma[, mu]): 1/2 D'(V (x) V) D, and V for the means.

    ``rr, cc`` index the non-duplicated covariance cells; the result has the same order
    (covariances, then means when ``meanstructure``).
    """
    V = Sigma_inv
    s = np.where(rr == cc, 0.5, 1.0)
    cov = (V[np.ix_(rr, rr)] * V[np.ix_(cc, cc)] + V[np.ix_(rr, cc)] * V[np.ix_(cc, rr)]) * np.outer(s, s)
    if not meanstructure:
        return cov
    ps, p = len(rr), V.shape[0]
    W = np.zeros((ps + p, ps + p))
    W[:ps, :ps] = cov
    W[ps:, ps:] = V
    return W


def gfi_group(S, mean, Sigma, mu, W, rr, cc, meanstructure: bool, x_idx=()) -> float:
    """GFI of one group, 1 - e'We / s'Ws (Tanaka & Huba 1985; lavaan's lav_fit_gfi).

    ``s`` stacks the sample statistics (vech S, then the means with a mean structure), ``e`` the
    residuals, ``W`` the weight in the same order. Statistics of the fixed exogenous covariates
    ``x_idx`` (their covariances and means) are left out, as lavaan zeroes their weights.
    """
    e = (S - Sigma)[rr, cc]
    s = S[rr, cc]
    x = np.zeros(S.shape[0], dtype=bool)
    x[list(x_idx)] = True
    keep = ~(x[rr] & x[cc])
    if meanstructure:
        e = np.concatenate([e, mean - mu])
        s = np.concatenate([s, mean])
        keep = np.concatenate([keep, ~x])
    e, s, W = e[keep], s[keep], W[np.ix_(keep, keep)]
    return float(1 - (e @ W @ e) / (s @ W @ s))
