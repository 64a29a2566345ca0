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
Checked against the four lavaan 0.6.14 fixtures in tests/fixtures/lavaan.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize
from scipy import stats as sps

__all__ = [
    "cfi",
    "pchisq",
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
    ncp = n * df / c_hat * h0 ** 2 / g
    return float(1 - pchisq(x2, df, ncp))


def rmsea_notclose_pvalue(x2, df, n, g=1, c_hat=1.0, h0=0.08):
    """lavaan's ``rmsea.notclose.pvalue``: ``P(chi2(df, ncp) <= x2)`` under H0 RMSEA >= ``h0``."""
    if df <= 0 or not np.isfinite(x2):
        return np.nan
    ncp = n * df / c_hat * h0 ** 2 / g
    return float(pchisq(x2, df, ncp))


def _finite(*values):
    return all(v is not None and np.isfinite(v) for v in values)


def rmsea_scaled_measures(chisq, df, n, g=1, *, scaling_factor, chisq_scaled=None,
                          test="yuan.bentler.mplus", level=0.90, close_h0=0.05, notclose_h0=0.08):
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
        return {"rmsea_scaled": nan, "rmsea_ci_lower_scaled": nan, "rmsea_ci_upper_scaled": nan,
                "rmsea_pvalue_scaled": nan, "rmsea_notclose_pvalue_scaled": nan}
    lo, hi = rmsea_ci(x2, df2, n, g, level=level)
    return {"rmsea_scaled": rmsea(x2, df2, n, g), "rmsea_ci_lower_scaled": lo, "rmsea_ci_upper_scaled": hi,
            "rmsea_pvalue_scaled": rmsea_pvalue(x2, df2, n, g, h0=close_h0),
            "rmsea_notclose_pvalue_scaled": rmsea_notclose_pvalue(x2, df2, n, g, h0=notclose_h0)}


def rmsea_robust_measures(xx3, df3, n, g=1, *, c_hat3, c_hat=None, xx3_scaled=None,
                          level=0.90, close_h0=0.05, notclose_h0=0.08):
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
    out = {"rmsea_robust": nan, "rmsea_ci_lower_robust": nan, "rmsea_ci_upper_robust": nan,
               "rmsea_pvalue_robust": nan, "rmsea_notclose_pvalue_robust": nan}
    if _finite(xx3, df3, n, c_hat3):
        out["rmsea_robust"] = rmsea(xx3, df3, n, g, c_hat=c_hat3)
    if _finite(xx3_scaled, df3, n, c_hat):
        lo, hi = rmsea_ci(xx3_scaled, df3, n, g, c_hat=c_hat, level=level)
        out.update(rmsea_ci_lower_robust=lo, rmsea_ci_upper_robust=hi,
                   rmsea_pvalue_robust=rmsea_pvalue(xx3_scaled, df3, n, g, c_hat=c_hat, h0=close_h0),
                   rmsea_notclose_pvalue_robust=rmsea_notclose_pvalue(xx3_scaled, df3, n, g,
                                                                       c_hat=c_hat, h0=notclose_h0))
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
        ss += np.sum(rm ** 2)
        return float(np.sqrt(ss / (ne + p))), float(np.sqrt(ss_nomean / ne))
    return float(np.sqrt(ss / ne)), float(np.sqrt(ss / ne))
