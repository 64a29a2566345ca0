"""Fit measures with lavaan's definitions and names (``.`` -> ``_``).

Notes
-----
Formulas follow lavaan 0.6 (lav_fit_cfi.R, lav_fit_rmsea.R, lav_fit_srmr.R):
``chisq = N * F``; CFI/TLI with the independence baseline (CFI clipped to
[0, 1]); RMSEA ``sqrt(max(0, X2/(N df) - c/N)) * sqrt(G)``; its 90% CI by
inverting the non-central chi-square; p(close) with H0 RMSEA <= .05;
robust CFI/TLI/RMSEA (Brosseau-Liard & Savalei) with the scaling factors;
SRMR is Bentler's version (residuals standardised by sample SDs, means
included with a mean structure), pooled over groups with weights N_g/N.
Checked against the four lavaan 0.6.14 fixtures in tests/fixtures/lavaan.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize
from scipy import stats as sps

__all__ = ["cfi", "pchisq", "rmsea", "rmsea_ci", "rmsea_pvalue", "srmr_bentler", "tli"]


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
