"""Sample statistics of ordinal (Likert) items for WLSMV, computed as lavaan computes them.

lavaan's ``estimator = "WLSMV"`` with ``ordered =`` items does not fit the model to the raw
answers but to three data-only summaries, which this module computes (complete data, one
group, all items ordinal, no exogenous covariates):

1. *thresholds* per item from its marginal proportions, ``tau_k = qnorm(P(y <= k))``;
2. *polychoric correlations*, pair by pair, by two-step maximum likelihood (Olsson 1979):
   thresholds fixed at step 1, rho maximising the bivariate-normal likelihood of the 2-way
   table;
3. *Gamma* (lavaan's ``NACOV``), the asymptotic covariance matrix of (thresholds, polychoric
   correlations), from the casewise scores of the univariate and bivariate likelihoods
   (Muthen 1984; lavaan's ``muthen1984()``), and
4. the diagonal weight matrix of DWLS, ``1 / diag(NACOV)`` (lavaan's ``WLS.VD``).

Public functions
----------------
* :func:`ordinal_moments` - all of the above, as an :class:`OrdinalMoments`.
* :func:`polychoric` - the polychoric correlation matrix only (no Gamma; faster).
* :func:`bvn_cdf` - the bivariate normal CDF (Genz 2004 / Drezner-Wesolowsky 1990), vectorised.
* :func:`dwls_fit_function` - the DWLS discrepancy and its gradient, lavaan's scaling.
* :func:`dwls_robust_vcov` - robust (sandwich) covariance of DWLS estimates, lavaan's SEs.
* :func:`scaled_shifted_test` - the mean-and-variance adjusted (scaled-shifted) chi-square,
  lavaan's default test for WLSMV.
* :func:`baseline_test`, :func:`wlsmv_fit_indices` - the independence model's test (data only)
  and CFI / TLI / RMSEA, standard and scaled.

Conventions (all as lavaan 0.6.14)
---------------------------------
* Categories are the *observed* answer codes of each item: a code nobody chose is dropped
  (lavaan turns each item into ``ordered()``), so an item answered only with 1, 2, 4, 5 on a
  1-7 scale has 3 thresholds. The ``code_below``/``code_above`` columns of
  :attr:`OrdinalMoments.thresholds` say which codes each threshold separates.
* Moment order: all thresholds of item 1, then item 2, ...; then the correlations in lavaan's
  ``vech`` order without the diagonal, i.e. column-wise below the diagonal:
  (2,1), (3,1), ..., (p,1), (3,2), ...
* ``NACOV`` is ``N`` times the asymptotic covariance matrix (lavaan stores ``N * WLS.W``;
  ``gamma.n.minus.one = FALSE``), so ``sqrt(diag(NACOV) / N)`` are the standard errors.
* Empty cells: lavaan's defaults ``zero.add = c(0.5, 0.0)``, ``zero.keep.margins = TRUE``:
  only a 2x2 table with exactly one empty cell is changed (0.5 moved into it and its opposite
  corner, out of the other two, so the margins stay), and only for estimating rho, not for
  Gamma. Larger tables with empty cells are used as they are.
* A 2x2 table with two empty cells gives rho = +1 or -1 (with a warning), as lavaan does.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from instruments.errors import InputError

__all__ = [
    "OrdinalMoments",
    "OrdinalWarning",
    "ordinal_moments",
    "polychoric",
    "bvn_cdf",
    "dwls_fit_function",
    "dwls_robust_vcov",
    "scaled_shifted_test",
    "ScaledShiftedTest",
    "baseline_test",
    "wlsmv_fit_indices",
    "catml_robust_test",
    "CatMLTest",
    "mixed_moments",
]

_TWOPI = 2.0 * np.pi
_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))  # lavaan's floor for cell probabilities
_RHO_BOUND = 0.999  # lavaan's nlminb bounds for rho
_MAX_CATEGORIES = 20  # more distinct codes than this is not a rating scale
# Gauss-Legendre rules on [-1, 1]; Genz's choice: 6 points for |r| < 0.3, 12 below 0.75, else 20
_GL = {n: np.polynomial.legendre.leggauss(n) for n in (6, 12, 20)}
_GL_X, _GL_W = _GL[20]


class OrdinalWarning(UserWarning):
    """Something about the ordinal sample statistics the user should know (also kept in
    :attr:`OrdinalMoments.warnings`)."""


# ----------------------------------------------------------------------------------------
# Bivariate normal CDF
# ----------------------------------------------------------------------------------------


def _bvnu(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X > h, Y > k) for finite h, k and -1 < r < 1 (equal shapes), Genz's BVNU."""
    out = np.empty(h.shape, dtype=float)
    low = np.abs(r) < 0.925
    ar = np.abs(r)
    for sel, npts in ((ar < 0.3, 6), ((ar >= 0.3) & (ar < 0.75), 12), (low & (ar >= 0.75), 20)):
        if not sel.any():
            continue
        gx, gw = _GL[npts]
        hl, kl, rl = h[sel], k[sel], r[sel]
        hk = hl * kl
        hs = (hl * hl + kl * kl) / 2.0
        asr = np.arcsin(rl)
        sn = np.sin(asr[:, None] * (gx[None, :] + 1.0) / 2.0)
        terms = np.exp((sn * hk[:, None] - hs[:, None]) / (1.0 - sn * sn))
        out[sel] = (terms @ gw) * asr / (2.0 * _TWOPI) + ndtr(-hl) * ndtr(-kl)
    high = ~low
    if high.any():
        hh, kh, rh = h[high], k[high].copy(), r[high]
        neg = rh < 0
        kh[neg] = -kh[neg]
        hk = hh * kh
        bvn = np.zeros(hh.shape)
        inner = np.abs(rh) < 1.0
        if inner.any():
            hi, ki, hki, ri = hh[inner], kh[inner], hk[inner], rh[inner]
            as_ = (1.0 - ri) * (1.0 + ri)
            a = np.sqrt(as_)
            bs = (hi - ki) ** 2
            c = (4.0 - hki) / 8.0
            d = (12.0 - hki) / 16.0
            val = (
                a
                * np.exp(-(bs / as_ + hki) / 2.0)
                * (1.0 - c * (bs - as_) * (1.0 - d * bs / 5.0) / 3.0 + c * d * as_ * as_ / 5.0)
            )
            b = np.sqrt(bs)
            ok = hki > -160.0
            corr = np.where(
                ok,
                np.exp(-np.where(ok, hki, 0.0) / 2.0)
                * np.sqrt(_TWOPI)
                * ndtr(-b / a)
                * b
                * (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0),
                0.0,
            )
            val = val - corr
            ah = a / 2.0
            xs = (ah[:, None] * (_GL_X[None, :] + 1.0)) ** 2
            rs = np.sqrt(1.0 - xs)
            integrand = np.exp(-(bs[:, None] / xs + hki[:, None]) / 2.0) * (
                np.exp(-hki[:, None] * (1.0 - rs) / (2.0 * (1.0 + rs))) / rs
                - (1.0 + c[:, None] * xs * (1.0 + d[:, None] * xs))
            )
            val = val + ah * (integrand @ _GL_W)
            bvn[inner] = -val / _TWOPI
        pos = rh > 0
        bvn[pos] = bvn[pos] + ndtr(-np.maximum(hh[pos], kh[pos]))
        bvn[neg] = -bvn[neg] + np.maximum(0.0, ndtr(-hh[neg]) - ndtr(-kh[neg]))
        out[high] = bvn
    return out


def bvn_cdf(x, y, rho) -> np.ndarray:
    """Bivariate standard normal CDF ``P(X <= x, Y <= y)`` with correlation ``rho``.

    Parameters
    ----------
    x, y : array_like
        Upper limits; ``-inf`` and ``+inf`` are allowed.
    rho : array_like
        Correlations in [-1, 1]. The three arguments broadcast against each other.

    Returns
    -------
    numpy.ndarray
        The probabilities, in the broadcast shape.

    Notes
    -----
    Genz's (2004) refinement of Drezner & Wesolowsky (1990), the algorithm of the Fortran
    routine behind R's ``pbivnorm`` (which lavaan uses), vectorised, with Genz's 6-, 12- and
    20-point Gauss-Legendre rules; absolute error below 1e-15 against adaptive quadrature.

    References
    ----------
    Drezner, Z., & Wesolowsky, G. O. (1990). On the computation of the bivariate normal
    integral. Journal of Statistical Computation and Simulation, 35, 101-107.
    Genz, A. (2004). Numerical computation of rectangular bivariate and trivariate normal and
    t probabilities. Statistics and Computing, 14, 251-260.

    Examples
    --------
    >>> round(float(bvn_cdf(0.0, 0.0, 0.5)), 6)  # 1/4 + asin(0.5) / (2 pi)
    0.333333
    """
    x, y, rho = np.broadcast_arrays(
        np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(rho, dtype=float)
    )
    shape = x.shape
    x, y, rho = x.ravel(), y.ravel(), rho.ravel()
    if np.any(np.isnan(rho)) or np.any(np.abs(rho) > 1.0):
        raise ValueError("bvn_cdf: rho must lie in [-1, 1]")
    out = np.zeros(x.shape)
    zero = (x == -np.inf) | (y == -np.inf)
    xinf = (x == np.inf) & ~zero
    yinf = (y == np.inf) & ~zero & ~xinf
    out[xinf] = ndtr(y[xinf])
    out[yinf] = ndtr(x[yinf])
    fin = ~(zero | xinf | yinf)
    one = fin & (rho == 1.0)
    mone = fin & (rho == -1.0)
    out[one] = ndtr(np.minimum(x[one], y[one]))
    out[mone] = np.maximum(0.0, ndtr(x[mone]) - ndtr(-y[mone]))
    rest = fin & ~one & ~mone
    if rest.any():
        out[rest] = _bvnu(-x[rest], -y[rest], rho[rest])
    return out.reshape(shape)


def _bvn_density(x, y, rho):
    """phi2(x, y; rho) and d log phi2 / d rho; zero where x or y is infinite."""
    fin = np.isfinite(x) & np.isfinite(y)
    xf = np.where(fin, x, 0.0)
    yf = np.where(fin, y, 0.0)
    r2 = 1.0 - rho * rho
    q = xf * xf - 2.0 * rho * xf * yf + yf * yf
    dens = np.where(fin, np.exp(-q / (2.0 * r2)) / (_TWOPI * np.sqrt(r2)), 0.0)
    dlog = (rho * r2 + xf * yf * r2 - rho * q) / (r2 * r2)
    return dens, dlog


# ----------------------------------------------------------------------------------------
# Data handling
# ----------------------------------------------------------------------------------------


@dataclass
class _Coded:
    items: list[str]
    y: np.ndarray  # (n, p) category index 0..K_i-1
    levels: list[np.ndarray]  # observed codes per item, sorted
    counts: list[np.ndarray]
    dropped_rows: list
    n: int


def _label(value) -> str:
    """A row label as the user wrote it (numpy scalars as plain numbers, text quoted)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _row_label(index, pos) -> str:
    return f"row {_label(index[pos])}"


def _code_items(df: pd.DataFrame, items, missing: str) -> _Coded:
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"ordinal items must come as a pandas DataFrame of answer codes, got {type(df).__name__}")
    if missing not in ("error", "listwise", "pairwise"):
        raise InputError(f"missing={missing!r} is not an option; expected 'error', 'listwise' or 'pairwise'")
    if items is None:
        items = list(df.columns)
    else:
        items = list(items)
        absent = [str(i) for i in items if i not in df.columns]
        if absent:
            raise InputError(
                f"item column(s) {', '.join(absent)} not found in the data; "
                f"the columns are {', '.join(map(str, df.columns))}"
            )
    if len(items) == 0:
        raise InputError("no items given: polychoric correlations need at least 2 ordinal items")
    dup = sorted({str(i) for i in items if items.count(i) > 1})
    if dup:
        raise InputError(f"item(s) {', '.join(dup)} listed more than once")
    problems: list[str] = []
    values = {}
    for item in items:
        col = df[item]
        num = pd.to_numeric(col, errors="coerce")
        bad_text = num.isna() & col.notna()
        if bad_text.any():
            pos = int(np.flatnonzero(bad_text.to_numpy())[0])
            problems.append(
                f"column {item}, {_row_label(df.index, pos)}: {col.iloc[pos]!r} is not a numeric answer code"
                + (f" ({int(bad_text.sum())} such cells)" if bad_text.sum() > 1 else "")
            )
            continue
        arr = num.to_numpy(dtype=float, na_value=np.nan)
        frac = np.isfinite(arr) & (arr != np.round(arr))
        if frac.any():
            pos = int(np.flatnonzero(frac)[0])
            problems.append(
                f"column {item}, {_row_label(df.index, pos)}: {arr[pos]:g} is not a whole-number answer code"
            )
            continue
        if np.isinf(arr).any():
            pos = int(np.flatnonzero(np.isinf(arr))[0])
            problems.append(f"column {item}, {_row_label(df.index, pos)}: {arr[pos]} is not an answer code")
            continue
        values[item] = arr
    if problems:
        raise InputError("ordinal items must hold whole-number answer codes", problems)
    mat = np.column_stack([values[i] for i in items])
    miss = np.isnan(mat)
    dropped: list = []
    if miss.any():
        if missing == "error":
            lines = []
            for j, item in enumerate(items):
                rows = np.flatnonzero(miss[:, j])
                if rows.size:
                    shown = ", ".join(_label(df.index[r]) for r in rows[:5])
                    more = f" and {rows.size - 5} more" if rows.size > 5 else ""
                    lines.append(f"column {item}: {rows.size} missing answer(s), rows {shown}{more}")
            raise InputError(
                "polychoric correlations (WLSMV) need complete answers; drop or impute the "
                "respondents with missing answers first, or use missing='listwise'",
                lines,
            )
        # pairwise: only respondents without a single answer are left out (lavaan)
        keep = ~miss.all(axis=1) if missing == "pairwise" else ~miss.any(axis=1)
        dropped = [v.item() if isinstance(v, np.generic) else v for v in df.index[~keep]]
        mat = mat[keep]
    n = mat.shape[0]
    if n < 2:
        raise InputError(f"polychoric correlations need at least 2 complete respondents; found {n}")
    y = np.full(mat.shape, -1, dtype=np.intp)  # -1: missing (pairwise only)
    levels, counts, single = [], [], []
    for j, item in enumerate(items):
        obs = ~np.isnan(mat[:, j])
        lev, inv, cnt = np.unique(mat[obs, j], return_inverse=True, return_counts=True)
        if lev.size < 2:
            if lev.size == 0:
                raise InputError(f"item {item} has no answers")
            single.append((item, lev[0]))
        y[obs, j] = inv
        levels.append(lev.astype(np.int64))
        counts.append(cnt)
    many = [(it, lev.size) for it, lev in zip(items, levels) if lev.size > _MAX_CATEGORIES]
    if many:
        raise InputError(
            f"ordinal items are rating scales with at most {_MAX_CATEGORIES} answer categories; "
            "treat these columns as continuous or recode them",
            [f"item {it} has {k} different answer codes" for it, k in many],
        )
    if single:
        msgs = [
            f"item {it} has a single answer category (all answers are {int(code)}); "
            "polychoric correlations need at least 2"
            for it, code in single
        ]
        if len(msgs) == 1:
            raise InputError(msgs[0])
        raise InputError(
            f"{len(msgs)} items have a single answer category; polychoric correlations need at least 2", msgs
        )
    return _Coded(list(items), y, levels, counts, dropped, n)


# ----------------------------------------------------------------------------------------
# Polychoric estimation, all pairs at once
# ----------------------------------------------------------------------------------------


def _dd(g: np.ndarray) -> np.ndarray:
    """Rectangle differences over the last two axes: G[a+1,b+1] - G[a,b+1] - G[a+1,b] + G[a,b]."""
    return g[..., 1:, 1:] - g[..., :-1, 1:] - g[..., 1:, :-1] + g[..., :-1, :-1]


def _cell_terms(u1, u2, rho, second=True):
    """Cell probabilities of bivariate tables and their rho derivatives.

    u1 (m, K+1), u2 (m, K+1): category bounds (-inf, thresholds..., +inf padding).
    Returns P (m, K, K) floored at sqrt(eps), dP/drho, and d2P/drho2 (if second).
    Works through the tables in blocks of about 20,000 cells to bound memory.
    """
    m, k1 = u1.shape
    step = max(1, 20000 // (k1 * k1))
    if m <= step:
        return _cell_terms_block(u1, u2, rho, second)
    parts = [
        _cell_terms_block(u1[i : i + step], u2[i : i + step], rho[i : i + step], second) for i in range(0, m, step)
    ]
    return tuple(None if parts[0][j] is None else np.concatenate([p[j] for p in parts]) for j in range(3))


def _cell_terms_block(u1, u2, rho, second):
    x = u1[:, :, None]
    y = u2[:, None, :]
    x, y = np.broadcast_arrays(x, y)
    r = np.broadcast_to(rho[:, None, None], x.shape)
    f = bvn_cdf(x, y, r)
    p = np.maximum(_dd(f), _SQRT_EPS)
    dens, dlog = _bvn_density(x, y, r)
    dp = _dd(dens)
    d2p = _dd(dens * dlog) if second else None
    return p, dp, d2p


def _bounds(thresholds: list[np.ndarray], kmax: int) -> np.ndarray:
    u = np.full((len(thresholds), kmax + 1), np.inf)
    u[:, 0] = -np.inf
    for i, t in enumerate(thresholds):
        u[i, 1 : t.size + 1] = t
    return u


def _fit_rho(freq, u1, u2, start):
    """Maximise the 2-way-table likelihood in rho for every table (safeguarded Newton)."""
    m = freq.shape[0]
    rho = np.clip(start, -0.9, 0.9).astype(float)
    lo = np.full(m, -_RHO_BOUND)
    hi = np.full(m, _RHO_BOUND)
    active = np.ones(m, dtype=bool)
    for _ in range(100):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        p, dp, d2p = _cell_terms(u1[idx], u2[idx], rho[idx])
        fr = freq[idx]
        g = (fr * dp / p).sum(axis=(1, 2))
        h = (fr * (d2p / p - (dp / p) ** 2)).sum(axis=(1, 2))
        r0 = rho[idx]
        up = g > 0
        lo[idx] = np.where(up, r0, lo[idx])
        hi[idx] = np.where(up, hi[idx], r0)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = r0 - g / h
        ok = (h < 0) & np.isfinite(newton) & (newton >= lo[idx]) & (newton <= hi[idx])
        new = np.where(ok, newton, (lo[idx] + hi[idx]) / 2.0)
        rho[idx] = new
        done = (ok & (np.abs(new - r0) < 1e-10)) | (hi[idx] - lo[idx] < 1e-12)
        active[idx[done]] = False
    return rho, active


@dataclass
class _PairFit:
    first: np.ndarray  # lavaan's y1: the later item (row of the lower triangle)
    second: np.ndarray  # lavaan's y2: the earlier item (column)
    rho: np.ndarray
    tables: np.ndarray  # (m, K, K) counts, first x second
    empty_cells: np.ndarray
    warnings: list[str]


def _pairs(coded: _Coded, thresholds: list[np.ndarray]) -> _PairFit:
    p = len(coded.items)
    cols, rows = np.triu_indices(p, 1)  # (col j, row i), j < i, in lavaan's vech order
    kmax = max(lev.size for lev in coded.levels)
    onehot = np.zeros((coded.n, p, kmax))
    seen = coded.y >= 0
    onehot[np.arange(coded.n)[:, None], np.arange(p)[None, :], np.where(seen, coded.y, 0)] = seen
    flat = onehot.reshape(coded.n, p * kmax)
    cross = (flat.T @ flat).reshape(p, kmax, p, kmax)
    tables = cross[rows, :, cols, :]  # (m, K, K): rows item (y1) x cols item (y2)
    u = _bounds(thresholds, kmax)
    u1, u2 = u[rows], u[cols]
    yf = np.where(seen, coded.y, np.nan).astype(float)
    yc = np.nan_to_num(yf - np.nanmean(yf, axis=0))
    sd = np.sqrt((yc**2).sum(axis=0))
    start = (yc[:, rows] * yc[:, cols]).sum(axis=0) / (sd[rows] * sd[cols])
    ncat = np.array([lev.size for lev in coded.levels])
    empty = np.array(
        [int((tables[k, : ncat[rows[k]], : ncat[cols[k]]] == 0).sum()) for k in range(rows.size)], dtype=int
    )
    msgs: list[str] = []
    freq = tables.copy()
    fixed = np.full(rows.size, np.nan)
    # lavaan's special cases for 2x2 tables (zero.add = c(0.5, 0), zero.keep.margins = TRUE)
    for k in np.flatnonzero((ncat[rows] == 2) & (ncat[cols] == 2)):
        t = freq[k, :2, :2]
        a, b = coded.items[rows[k]], coded.items[cols[k]]
        zeros = t == 0
        if zeros.sum() == 2:
            fixed[k] = 1.0 if t[0, 0] > 0 else -1.0
            msgs.append(
                f"items {b} and {a}: their 2x2 table has two empty cells, so the polychoric "
                f"(tetrachoric) correlation is set to {fixed[k]:+.0f}, as lavaan does"
            )
            continue
        if zeros.sum() == 1:
            sign = 1.0 if (zeros[0, 0] or zeros[1, 1]) else -1.0
            t += sign * np.array([[0.5, -0.5], [-0.5, 0.5]])
        if t[0, 0] * t[1, 1] == t[0, 1] * t[1, 0]:
            fixed[k] = 0.0
        elif thresholds[rows[k]][0] == 0.0 and thresholds[cols[k]][0] == 0.0:
            fixed[k] = -np.cos(2.0 * np.pi * t[0, 0] / t.sum())
    todo = np.isnan(fixed)
    rho = fixed.copy()
    if todo.any():
        est, unconverged = _fit_rho(freq[todo], u1[todo], u2[todo], start[todo])
        rho[todo] = est
        for k in np.flatnonzero(todo)[unconverged]:
            msgs.append(
                f"items {coded.items[cols[k]]} and {coded.items[rows[k]]}: the polychoric "
                "correlation did not converge in 100 iterations"
            )
    for k in np.flatnonzero(np.abs(rho) > 0.99):
        msgs.append(
            f"items {coded.items[cols[k]]} and {coded.items[rows[k]]}: polychoric correlation "
            f"{rho[k]:.4f} is (nearly) {'+1' if rho[k] > 0 else '-1'}; the two items may be redundant "
            "or their table too sparse"
        )
    return _PairFit(rows, cols, rho, tables, empty, msgs)


def _univariate(coded: _Coded) -> list[np.ndarray]:
    return [ndtri(np.cumsum(c)[:-1] / c.sum()) for c in coded.counts]


def _corr_matrix(p: int, fit: _PairFit) -> np.ndarray:
    r = np.eye(p)
    r[fit.first, fit.second] = fit.rho
    r[fit.second, fit.first] = fit.rho
    return r


# ----------------------------------------------------------------------------------------
# Gamma (NACOV), Muthen (1984)
# ----------------------------------------------------------------------------------------


def _nacov(coded: _Coded, thresholds: list[np.ndarray], fit: _PairFit) -> np.ndarray:
    n = coded.y.shape[0]
    g = np.hstack(_influence(coded, thresholds, fit))
    out = n * (g.T @ g)
    return (out + out.T) / 2.0


def _influence(coded: _Coded, thresholds: list[np.ndarray], fit: _PairFit):
    """Casewise influence functions of the thresholds and of the polychoric correlations."""
    n = coded.y.shape[0]
    nth = np.array([t.size for t in thresholds])
    th_start = np.concatenate([[0], np.cumsum(nth)[:-1]])
    nth_total = int(nth.sum())
    # step 1: influence functions of the thresholds, A11^-1 s_i (block-diagonal A11)
    if_th = np.zeros((n, nth_total))
    for i, t in enumerate(thresholds):
        k = t.size
        prop = coded.counts[i] / coded.counts[i].sum()
        dens = np.exp(-0.5 * t * t) / np.sqrt(_TWOPI)
        score = np.zeros((k + 1, k))  # score[c, k]: d log pi_c / d tau_k
        score[np.arange(k), np.arange(k)] = dens / prop[:k]
        score[np.arange(1, k + 1), np.arange(k)] = -dens / prop[1:]
        a11 = score.T @ (coded.counts[i][:, None] * score)
        yi = coded.y[:, i]
        if_th[:, th_start[i] : th_start[i] + k] = np.where(
            (yi >= 0)[:, None], (score @ np.linalg.inv(a11))[np.maximum(yi, 0)], 0.0
        )
    m = fit.rho.size
    if m == 0:
        return if_th, np.zeros((n, 0))
    kmax = max(lev.size for lev in coded.levels)
    u = _bounds(thresholds, kmax)
    rows, cols, rho = fit.first, fit.second, fit.rho
    u1, u2 = u[rows], u[cols]
    pr, dp, _ = _cell_terms(u1, u2, np.clip(rho, -1 + 1e-12, 1 - 1e-12), second=False)
    s_rho = dp / pr  # casewise rho score by cell
    s_rho[pr <= _SQRT_EPS] = 0.0  # lavaan: NA, then dropped from the sums
    freq = fit.tables
    a22 = (freq * s_rho * s_rho).sum(axis=(1, 2))
    q = freq * s_rho / pr  # n_ab * s_ab / P_ab
    # derivatives of the corner CDF in each argument: phi(x) Phi((y - rho x) / R)
    r = np.sqrt(1.0 - rho * rho)[:, None, None]
    rr = rho[:, None, None]
    xb = u1[:, :, None]
    yb = u2[:, None, :]
    xf = np.where(np.isfinite(xb), xb, 0.0)
    yf = np.where(np.isfinite(yb), yb, 0.0)
    with np.errstate(invalid="ignore"):
        arg1 = np.where(np.isfinite(yb), (yf - rr * xf) / r, yb)
        arg2 = np.where(np.isfinite(xb), (xf - rr * yf) / r, xb)
    d1 = np.where(np.isfinite(xb), np.exp(-0.5 * xf * xf) / np.sqrt(_TWOPI), 0.0) * ndtr(arg1)
    d2 = np.where(np.isfinite(yb), np.exp(-0.5 * yf * yf) / np.sqrt(_TWOPI), 0.0) * ndtr(arg2)
    e1 = d1[:, 1:-1, 1:] - d1[:, 1:-1, :-1]  # (m, K-1 bounds, K cols)
    e2 = d2[:, 1:, 1:-1] - d2[:, :-1, 1:-1]  # (m, K rows, K-1 bounds)
    a21_first = (e1 * (q[:, :-1, :] - q[:, 1:, :])).sum(axis=2)  # (m, K-1)
    a21_second = (e2 * (q[:, :, :-1] - q[:, :, 1:])).sum(axis=1)
    a21 = np.zeros((m, nth_total))
    for block, items in ((a21_first, rows), (a21_second, cols)):
        kk = np.arange(kmax - 1)[None, :]
        valid = kk < nth[items][:, None]
        rr_idx = np.broadcast_to(np.arange(m)[:, None], valid.shape)[valid]
        cc_idx = th_start[items][:, None] + kk
        a21[rr_idx, np.broadcast_to(cc_idx, valid.shape)[valid]] = block[valid]
    # casewise rho scores
    y1, y2 = coded.y[:, rows], coded.y[:, cols]
    both = (y1 >= 0) & (y2 >= 0)
    sc_cor = s_rho.reshape(m, kmax * kmax)[np.arange(m)[None, :], np.where(both, y1 * kmax + y2, 0)]
    sc_cor = np.where(both, sc_cor, 0.0)
    if_cor = (sc_cor - if_th @ a21.T) / a22
    return if_th, if_cor


# ----------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrdinalMoments:
    """Ordinal sample statistics of one group, as lavaan's WLSMV uses them.

    Attributes
    ----------
    items : tuple of str
        The items, in the order of every matrix and vector here.
    n : int
        Respondents used.
    thresholds : pandas.DataFrame
        One row per threshold, items in order. Columns: ``item``, ``threshold`` (``t1``,
        ``t2``, ...), ``code_below`` and ``code_above`` (the observed answer codes it
        separates), ``estimate`` and ``se`` (``sqrt(diag(NACOV) / n)``).
    threshold_vector : numpy.ndarray
        ``thresholds.estimate`` as a flat vector (lavaan order).
    threshold_item : numpy.ndarray
        For each threshold, the 0-based position of its item (lavaan's ``th.idx`` minus 1).
    corr : pandas.DataFrame
        Polychoric correlation matrix, items as index and columns.
    pairs : pandas.DataFrame
        One row per correlation in vech order. Columns: ``item_a`` (earlier item),
        ``item_b``, ``estimate``, ``se``, ``empty_cells`` (empty cells of the 2-way table of
        observed categories).
    nacov : numpy.ndarray
        lavaan's NACOV (``lavInspect(fit, "gamma")``): ``n`` times the asymptotic covariance
        matrix of :attr:`wls_obs`.
    wls_weight_diag : numpy.ndarray
        ``1 / diag(nacov)``, lavaan's ``WLS.VD`` for DWLS.
    categories : dict
        Observed answer codes per item.
    dropped_rows : tuple
        Index labels of respondents left out (``missing="listwise"``).
    warnings : tuple of str
        Everything that was also issued as :class:`OrdinalWarning`.
    """

    items: tuple
    n: int
    thresholds: pd.DataFrame
    threshold_vector: np.ndarray
    threshold_item: np.ndarray
    corr: pd.DataFrame
    pairs: pd.DataFrame
    nacov: np.ndarray
    wls_weight_diag: np.ndarray
    categories: dict
    dropped_rows: tuple = ()
    warnings: tuple = field(default=())
    numeric: tuple = ()
    univariate: np.ndarray | None = None
    univariate_labels: tuple = ()

    @property
    def univariate_vector(self) -> np.ndarray:
        """lavaan's univariate part of ``WLS.obs``: thresholds (and, with continuous items, their
        means in the items' order, then their variances)."""
        return self.threshold_vector if self.univariate is None else self.univariate

    @property
    def corr_vector(self) -> np.ndarray:
        """Polychoric correlations in lavaan's vech order without the diagonal."""
        return self.pairs["estimate"].to_numpy()

    @property
    def wls_obs(self) -> np.ndarray:
        """lavaan's ``WLS.obs``: thresholds then vech correlations (``lavInspect(fit, "wls.obs")``)."""
        return np.concatenate([self.univariate_vector, self.corr_vector])

    @property
    def labels(self) -> list[str]:
        """lavaan's names of :attr:`wls_obs`: ``x1|t1``, ..., (``x7~1``, ``x7~~x7``), ``x1~~x2``, ..."""
        th = list(self.univariate_labels) or [
            f"{i}|{t}" for i, t in zip(self.thresholds["item"], self.thresholds["threshold"])
        ]
        return th + [f"{a}~~{b}" for a, b in zip(self.pairs["item_a"], self.pairs["item_b"])]

    def summary(self) -> pd.DataFrame:
        """Every sample statistic in one table: columns ``statistic`` (lavaan's name),
        ``kind`` (``threshold`` / ``polychoric``), ``estimate``, ``se``, ``wls_weight``."""
        est = self.wls_obs
        return pd.DataFrame(
            {
                "statistic": self.labels,
                "kind": (
                    [
                        ("mean" if lab.endswith("~1") else "variance" if "~~" in lab else "threshold")
                        for lab in self.labels[: self.univariate_vector.size]
                    ]
                    + ["polychoric"] * len(self.pairs)
                ),
                "estimate": est,
                "se": np.sqrt(np.diag(self.nacov) / self.n),
                "wls_weight": self.wls_weight_diag,
            }
        )

    def to_dict(self) -> dict:
        """JSON-ready summary (no Gamma matrix)."""
        return {
            "n": self.n,
            "items": list(self.items),
            "categories": {k: [int(c) for c in v] for k, v in self.categories.items()},
            "statistics": self.summary().to_dict(orient="records"),
            "dropped_rows": [str(r) for r in self.dropped_rows],
            "warnings": list(self.warnings),
        }


def _emit(msgs: list[str]) -> None:
    for msg in msgs:
        warnings.warn(msg, OrdinalWarning, stacklevel=3)


def _pd_message(corr: np.ndarray, items: list[str]) -> list[str]:
    if corr.shape[0] < 2:
        return []
    ev = np.linalg.eigvalsh(corr)
    if ev[0] > 1e-10:
        return []
    msg = (
        f"the polychoric correlation matrix of {', '.join(items)} is not positive definite "
        f"(smallest eigenvalue {ev[0]:.4g}); it was left as estimated (not smoothed). DWLS can "
        "still fit a model to it, but check sparse items and near-redundant pairs"
    )
    return [msg]


def polychoric(df: pd.DataFrame, items: Sequence[str] | None = None, *, missing: str = "error") -> pd.DataFrame:
    """Polychoric correlation matrix by lavaan's two-step ML (``lavCor(data, ordered = items)``).

    Parameters
    ----------
    df : pandas.DataFrame
        Whole-number answer codes, one column per item.
    items : sequence of str, optional
        Columns to use (default: all).
    missing : {"error", "listwise"}
        What to do with missing answers: refuse (default), or drop those respondents.

    Returns
    -------
    pandas.DataFrame
        Square matrix, items as index and columns.

    Notes
    -----
    Matches lavaan 0.6.14's ``lavCor`` to 3e-8; see :func:`ordinal_moments`.

    Examples
    --------
    >>> d = pd.DataFrame({"a": [1, 2, 2, 3, 3, 3, 1, 2], "b": [1, 1, 2, 3, 2, 3, 2, 2]})
    >>> round(float(polychoric(d).loc["a", "b"]), 3)  # lavCor(d, ordered = c("a", "b")): 0.825
    0.825
    """
    coded = _code_items(df, items, missing)
    th = _univariate(coded)
    fit = _pairs(coded, th)
    corr = _corr_matrix(len(coded.items), fit)
    msgs = fit.warnings + _pd_message(corr, coded.items)
    _emit(msgs)
    return pd.DataFrame(corr, index=coded.items, columns=coded.items)


def ordinal_moments(df: pd.DataFrame, items: Sequence[str] | None = None, *, missing: str = "error") -> OrdinalMoments:
    """Thresholds, polychoric correlations, Gamma and DWLS weights, as lavaan's WLSMV.

    Parameters
    ----------
    df : pandas.DataFrame
        Whole-number answer codes, one column per item (floats that are whole numbers are
        fine). Only the answer codes that occur count as categories.
    items : sequence of str, optional
        Columns to use, in this order (default: all columns).
    missing : {"error", "listwise", "pairwise"}
        Missing answers: raise :class:`~instruments.errors.InputError` naming them (default),
        or leave those respondents out (listed in ``dropped_rows`` and a warning), as
        lavaan's default ``missing = "listwise"``, or use every answer, as lavaan's
        ``missing = "pairwise"``: thresholds from each item's answers, each polychoric
        correlation from the pair's complete answers, and NACOV from the casewise scores with
        a missing answer's score 0 (only respondents without any answer are left out).
        Matches lavaan 0.6.14 to 5e-8 (``tests/fixtures/ordinal/hs_ordinal5_holes.csv``).

    Returns
    -------
    OrdinalMoments

    Raises
    ------
    InputError
        Unknown columns, answers that are not whole numbers, missing answers (with
        ``missing="error"``), an item with a single answer category or more than 20, or two binary items
        whose 2x2 table has two empty cells (correlation +-1, no sampling variance).

    Warns
    -----
    OrdinalWarning
        Non-positive-definite polychoric matrix (left as is), correlations of (nearly) +-1,
        a 2x2 table with two empty cells, respondents dropped.

    Notes
    -----
    Thresholds: ``qnorm`` of the cumulative proportions. Each polychoric correlation
    maximises ``sum n_ab log P_ab(rho)`` over the observed table with the thresholds fixed,
    by Newton steps with the analytic derivatives (``dP/drho`` is the rectangle sum of the
    bivariate normal density) inside a shrinking bracket on [-0.999, 0.999], lavaan's bounds.
    Gamma is the sandwich of Muthen (1984) as lavaan builds it: with casewise scores
    ``s_i`` of the univariate likelihoods (thresholds) and ``s_r`` of the bivariate ones
    (rho), ``A11`` the block-diagonal outer product of the ``s_i``, ``A22`` the diagonal of
    ``sum s_r^2`` and ``A21`` the cross-products of ``s_r`` with the bivariate threshold
    scores, each respondent's influence is ``A11^-1 s_i`` and
    ``A22^-1 (s_r - A21 A11^-1 s_i)``; ``NACOV = n * sum(influence influence')``.
    Checked against lavaan 0.6.14 (``tests/fixtures/ordinal``: Holzinger-Swineford in 5
    categories, n = 301, and sparse simulated 7-point data, n = 150): thresholds agree to
    1e-14, polychoric correlations to 3e-8, NACOV elements to 1e-7 absolute (4e-6 relative
    for elements above 1e-3), ``WLS.VD`` to 5e-8 relative.

    References
    ----------
    Muthen, B. (1984). A general structural equation model with dichotomous, ordered
    categorical, and continuous latent variable indicators. Psychometrika, 49, 115-132.
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
    coefficient. Psychometrika, 44, 443-460.
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2).

    Examples
    --------
    >>> d = pd.DataFrame({"a": [1, 2, 2, 3, 3, 3, 1, 2, 3, 1],
    ...                   "b": [1, 1, 2, 3, 2, 3, 2, 2, 3, 2],
    ...                   "c": [2, 1, 2, 2, 1, 2, 1, 1, 2, 1]})
    >>> mom = ordinal_moments(d)
    >>> print(mom.thresholds[["item", "threshold", "code_below", "code_above", "estimate"]]
    ...       .head(2).round(3).to_string(index=False))
    item threshold  code_below  code_above  estimate
       a        t1           1           2    -0.524
       a        t2           2           3     0.253
    >>> mom.nacov.shape
    (8, 8)
    """
    coded = _code_items(df, items, missing)
    th = _univariate(coded)
    fit = _pairs(coded, th)
    p = len(coded.items)
    corr = _corr_matrix(p, fit)
    msgs = list(fit.warnings)
    if coded.dropped_rows:
        shown = ", ".join(_label(r) for r in coded.dropped_rows[:10])
        more = f" and {len(coded.dropped_rows) - 10} more" if len(coded.dropped_rows) > 10 else ""
        msgs.insert(0, f"{len(coded.dropped_rows)} respondent(s) with missing answers left out: rows {shown}{more}")
    msgs += _pd_message(corr, coded.items)
    _emit(msgs)
    unit = np.flatnonzero(np.abs(fit.rho) >= 1.0)
    if unit.size:
        raise InputError(
            "the sampling variance of a polychoric correlation of exactly +1 or -1 cannot be "
            "computed, so WLSMV cannot use these items (lavaan stops here too); drop one item "
            "of each pair or merge sparse answer categories",
            [
                f"items {coded.items[fit.second[k]]} and {coded.items[fit.first[k]]}: their 2x2 table "
                f"has two empty cells (correlation {fit.rho[k]:+.0f})"
                for k in unit
            ],
        )
    nacov = _nacov(coded, th, fit)
    diag = np.diag(nacov).copy()
    with np.errstate(divide="ignore"):
        wd = 1.0 / diag
    se = np.sqrt(diag / coded.n)
    nth = sum(t.size for t in th)
    rows = []
    for i, (item, t) in enumerate(zip(coded.items, th)):
        lev = coded.levels[i]
        for k in range(t.size):
            rows.append((item, f"t{k + 1}", int(lev[k]), int(lev[k + 1]), float(t[k])))
    thr = pd.DataFrame(rows, columns=["item", "threshold", "code_below", "code_above", "estimate"])
    thr["se"] = se[:nth]
    pairs = pd.DataFrame(
        {
            "item_a": [coded.items[j] for j in fit.second],
            "item_b": [coded.items[i] for i in fit.first],
            "estimate": fit.rho,
            "se": se[nth:],
            "empty_cells": fit.empty_cells,
        }
    )
    return OrdinalMoments(
        items=tuple(coded.items),
        n=coded.n,
        thresholds=thr,
        threshold_vector=thr["estimate"].to_numpy(),
        threshold_item=np.repeat(np.arange(p), [t.size for t in th]),
        corr=pd.DataFrame(corr, index=coded.items, columns=coded.items),
        pairs=pairs,
        nacov=nacov,
        wls_weight_diag=wd,
        categories={item: tuple(int(c) for c in lev) for item, lev in zip(coded.items, coded.levels)},
        dropped_rows=tuple(coded.dropped_rows),
        warnings=tuple(msgs),
    )


# ----------------------------------------------------------------------------------------
# DWLS discrepancy and the scaled-shifted test
# ----------------------------------------------------------------------------------------


def dwls_fit_function(obs, implied, weight_diag, n, jacobian=None):
    """DWLS discrepancy between sample and model-implied moments, with lavaan's scaling.

    Parameters
    ----------
    obs : array_like
        Sample moments, :attr:`OrdinalMoments.wls_obs`.
    implied : array_like
        Model-implied moments in the same order (thresholds, vech correlations).
    weight_diag : array_like
        Diagonal of the weight matrix, :attr:`OrdinalMoments.wls_weight_diag`.
    n : int
        Number of respondents.
    jacobian : array_like, optional
        ``d implied / d theta`` (moments x parameters), lavaan's Delta.

    Returns
    -------
    f : float
        lavaan's ``fx`` for (D)WLS: ``0.5 * (n - 1) / n * d' W d`` with ``d = obs - implied``.
        The unscaled test statistic is ``T = 2 * n * f = (n - 1) * d' W d`` (lavaan's
        ``chisq``; note ``n - 1``).
    gradient : numpy.ndarray or None
        ``d f / d theta = -(n - 1) / n * Delta' W d`` when ``jacobian`` is given.

    Notes
    -----
    Checked against lavaan 0.6.14: with lavaan's ``wls.obs``, ``wls.est`` and ``WLS.VD`` of
    the Holzinger-Swineford ordinal CFA, ``2 n f`` equals its ``chisq`` and the gradient at
    its estimates is zero.
    """
    obs = np.asarray(obs, dtype=float)
    implied = np.asarray(implied, dtype=float)
    w = np.asarray(weight_diag, dtype=float)
    if not (obs.shape == implied.shape == w.shape) or obs.ndim != 1:
        raise ValueError(
            f"dwls_fit_function: obs {obs.shape}, implied {implied.shape} and weight_diag {w.shape} "
            "must be vectors of one length"
        )
    if n < 2:
        raise ValueError(f"dwls_fit_function: n must be at least 2, got {n}")
    c = (n - 1) / n
    d = obs - implied
    f = 0.5 * c * float(d @ (w * d))
    if jacobian is None:
        return f, None
    jac = np.asarray(jacobian, dtype=float)
    if jac.ndim != 2 or jac.shape[0] != d.size:
        raise ValueError(f"dwls_fit_function: jacobian {jac.shape} must have {d.size} rows")
    return f, -c * (jac.T @ (w * d))


def _sandwich_parts(what: str, Delta, W, Gamma):
    """``Delta``, ``W`` (a vector is its diagonal) and ``Gamma`` as float arrays whose shapes fit."""
    delta = np.asarray(Delta, dtype=float)
    gamma = np.asarray(Gamma, dtype=float)
    w = np.asarray(W, dtype=float)
    if w.ndim == 1:
        w = np.diag(w)
    q = gamma.shape[0]
    if gamma.shape != (q, q) or w.shape != (q, q) or delta.ndim != 2 or delta.shape[0] != q:
        raise ValueError(f"{what}: Gamma {gamma.shape}, W {w.shape} and Delta {delta.shape} do not fit together")
    return delta, w, gamma


def dwls_robust_vcov(Delta, W, Gamma, n) -> np.ndarray:
    """Robust (sandwich) covariance matrix of DWLS estimates, lavaan's ``se = "robust.sem"``.

    Parameters
    ----------
    Delta : array_like
        Jacobian of the implied moments w.r.t. the free parameters (moments x parameters).
    W : array_like
        Weight matrix or its diagonal (:attr:`OrdinalMoments.wls_weight_diag`).
    Gamma : array_like
        NACOV (:attr:`OrdinalMoments.nacov`).
    n : int
        Number of respondents.

    Returns
    -------
    numpy.ndarray
        ``(D'WD)^-1 D'W Gamma W D (D'WD)^-1 / (n - 1)`` (parameters x parameters); lavaan
        divides by ``n - 1``, matching its ``(n - 1) / n`` scaled DWLS objective. Matches
        lavaan 0.6.14's WLSMV standard errors on the Holzinger-Swineford ordinal CFA to 1e-8.
    """
    delta, w, gamma = _sandwich_parts("dwls_robust_vcov", Delta, W, Gamma)
    wd = w @ delta
    bread = np.linalg.inv(delta.T @ wd)
    meat = wd.T @ gamma @ wd
    v = bread @ meat @ bread / (n - 1)
    return (v + v.T) / 2.0


@dataclass(frozen=True)
class ScaledShiftedTest:
    """Mean-and-variance adjusted chi-square (lavaan's ``scaled.shifted``).

    Attributes: ``stat`` (adjusted statistic), ``df``, ``pvalue``, ``scaling_factor``
    (lavaan's, ``1 / a``), ``shift_parameter`` (``b``), ``trace_ugamma``,
    ``trace_ugamma2``, ``stat_unscaled``.
    """

    stat: float
    df: int
    pvalue: float
    scaling_factor: float
    shift_parameter: float
    trace_ugamma: float
    trace_ugamma2: float
    stat_unscaled: float


def scaled_shifted_test(T, Delta, W, Gamma, df) -> ScaledShiftedTest:
    """Satorra-Bentler mean-and-variance adjusted ("scaled-shifted") test, as lavaan's WLSMV.

    Parameters
    ----------
    T : float
        The unscaled DWLS statistic, lavaan's ``chisq`` = ``(n - 1) * (s - sigma)' W (s - sigma)``
        (see :func:`dwls_fit_function`).
    Delta : array_like
        Jacobian of the model-implied moments with respect to the free parameters
        (moments x parameters), at the estimates.
    W : array_like
        Weight matrix, or its diagonal as a vector (:attr:`OrdinalMoments.wls_weight_diag`).
    Gamma : array_like
        NACOV (:attr:`OrdinalMoments.nacov`), on the same scale as ``W``'s inverse.
    df : int
        Model degrees of freedom.

    Returns
    -------
    ScaledShiftedTest

    Notes
    -----
    ``U = W - W Delta (Delta' W Delta)^-1 Delta' W``; with ``a = sqrt(df / tr((U Gamma)^2))``
    and ``b = df - a tr(U Gamma)`` the statistic is ``a T + b``, referred to chi-square on
    ``df`` (Asparouhov & Muthen 2010; lavaan ``lav_test_satorra_bentler``, which reports
    ``scaling.factor = 1 / a`` and ``shift.parameter = b``). Matches lavaan 0.6.14 on the
    Holzinger-Swineford ordinal CFA to 1e-6 relative.

    References
    ----------
    Asparouhov, T., & Muthen, B. (2010). Simple second order chi-square correction.
    Mplus technical appendix.
    Satorra, A., & Bentler, P. M. (1994). Corrections to test statistics and standard errors
    in covariance structure analysis. In von Eye & Clogg (Eds.), Latent variables analysis.
    """
    from scipy.stats import chi2

    delta, w, gamma = _sandwich_parts("scaled_shifted_test", Delta, W, Gamma)
    wd = w @ delta
    info = delta.T @ wd
    u = w - wd @ np.linalg.solve(info, wd.T)
    ug = u @ gamma
    tr1 = float(np.trace(ug))
    tr2 = float(np.sum(ug * ug.T))
    if df <= 0 or tr2 <= 0:
        raise ValueError(f"scaled_shifted_test: needs df > 0 and tr((U Gamma)^2) > 0; got df = {df}, trace {tr2:g}")
    a = np.sqrt(df / tr2)
    b = df - a * tr1
    stat = a * float(T) + b
    return ScaledShiftedTest(
        stat=float(stat),
        df=int(df),
        pvalue=float(chi2.sf(stat, df)),
        scaling_factor=float(1.0 / a),
        shift_parameter=float(b),
        trace_ugamma=tr1,
        trace_ugamma2=tr2,
        stat_unscaled=float(T),
    )


def baseline_test(moments) -> ScaledShiftedTest:
    """The baseline (independence) model's DWLS test, as lavaan's ``baseline.chisq``.

    The baseline model of ordinal items keeps the thresholds free and sets every polychoric
    correlation to 0, so it depends on the data only: ``T = sum_g (n_g - 1) sum(w_r r^2)`` over
    the correlations, on ``G p (p - 1) / 2`` degrees of freedom, with the same scaled-shifted
    adjustment as the model (``Delta`` is the identity on the thresholds).

    Parameters
    ----------
    moments : OrdinalMoments or list of OrdinalMoments
        One per group.

    Returns
    -------
    ScaledShiftedTest
        ``stat_unscaled`` is lavaan's ``baseline.chisq``, ``stat`` its
        ``baseline.chisq.scaled``. Matches lavaan 0.6.14 on the Holzinger-Swineford ordinal
        data to 1e-8 relative (one group and two schools).
    """
    moms = list(moments) if isinstance(moments, (list, tuple)) else [moments]
    ntot = sum(m.n for m in moms)
    stat, ws, gammas, blocks = 0.0, [], [], []
    for m in moms:
        nth = m.univariate_vector.size  # thresholds (and means, variances of continuous items) stay free
        q = m.wls_obs.size
        if q == nth:
            raise ValueError("baseline_test: needs at least 2 items")
        fg = m.n / ntot
        w = m.wls_weight_diag
        stat += (m.n - 1) * float(np.sum(w[nth:] * m.corr_vector**2))
        delta = np.zeros((q, nth))
        delta[:nth, :nth] = np.eye(nth)
        blocks.append(delta)
        ws.append(fg * w)
        gammas.append(m.nacov / fg)
    from scipy.linalg import block_diag

    df = sum(len(m.pairs) for m in moms)
    return scaled_shifted_test(stat, block_diag(*blocks), np.concatenate(ws), block_diag(*gammas), df)


@dataclass(frozen=True)
class CatMLTest:
    """The ML test on the polychoric correlations behind lavaan's robust CFI/TLI/RMSEA for
    categorical data (``lav_fit_catml_dwls``): ``stat`` (XX3), ``df`` (df3), ``c_hat``
    (c.hat3), ``stat_null`` (XX3.null), ``df_null``, ``c_hat_null``."""

    stat: float
    df: int
    c_hat: float
    stat_null: float
    df_null: int
    c_hat_null: float


def catml_robust_test(R, Sigma, nobs, Delta, W, Gamma, E_inv, df) -> CatMLTest | None:
    """The ML test on polychoric correlations that lavaan's robust fit indices for WLSMV use.

    Parameters
    ----------
    R, Sigma : list of numpy.ndarray
        Per group: the polychoric correlation matrix and the model-implied one at the WLSMV
        estimates.
    nobs : list of int
        Respondents per group.
    Delta : list of numpy.ndarray
        Per group: the rows of the WLSMV Jacobian that belong to the correlations (no thresholds).
    W : list of numpy.ndarray
        Per group: the DWLS weights of the correlations (``1 / diag(NACOV)``).
    Gamma : list of numpy.ndarray
        Per group: the correlations' block of NACOV.
    E_inv : numpy.ndarray
        Inverse of the WLSMV information ``sum_g (n_g / N) Delta_g' W_g Delta_g`` (all moments).
    df : int
        Degrees of freedom of the ML model on the correlations (``G p (p - 1) / 2`` minus the
        free parameters other than thresholds).

    Returns
    -------
    CatMLTest or None
        None when a polychoric matrix is not positive definite (an eigenvalue below
        ``sqrt(eps)``), where lavaan gives NA.

    Notes
    -----
    lavaan's ``lav_fit_catml_dwls`` (0.6.14): the model is evaluated, not refitted, by ML on
    the polychoric correlations (``estimator = "catML"``, ``correlation = TRUE``):
    ``XX3 = sum_g n_g (log|Sigma_g| - log|R_g| + tr(R_g Sigma_g^-1) - p)``. With
    ``V_g = (n_g / N) [S_ik S_jl + S_il S_jk]`` (``S = Sigma_g^-1``, rows and columns the
    correlations ``(i, j)``, ``(k, l)``), ``W = bdiag((n_g / N) W_g)``, ``Gamma =
    bdiag(Gamma_g / (n_g / N))`` and ``WiU = I - Delta E^-1 Delta' W``,
    ``c.hat3 = tr(WiU' V WiU Gamma) / df``; the baseline has ``XX3.null = -sum_g n_g log|R_g|``
    and ``c.hat3.null = tr(Gamma) / df.null``. ``cfi.robust``, ``tli.robust`` and
    ``rmsea.robust`` then follow Savalei (2021) with these (see
    :func:`validate.sem.fitmeasures.cfi`, :func:`validate.sem.fitmeasures.rmsea_robust_measures`).
    Matches lavaan 0.6.14's ``fitMeasures(fit, c("cfi.robust", "tli.robust", "rmsea.robust",
    "rmsea.ci.lower.robust", "rmsea.ci.upper.robust"))`` to 1e-7 on the ordinal fixtures
    (one group: Holzinger-Swineford CFA and SEM, sparse 7-point items; two groups: configural
    and metric models by school).

    References
    ----------
    Savalei, V. (2021). Improving fit indices in structural equation modeling with categorical
    data. Multivariate Behavioral Research, 56(3), 390-407.
    """
    from scipy.linalg import block_diag

    ntot = float(sum(nobs))
    stat = stat_null = 0.0
    Vs, Ws, Gs = [], [], []
    for Rg, Sg, n, wg, gg in zip(R, Sigma, nobs, W, Gamma):
        Rg, Sg = np.asarray(Rg, float), np.asarray(Sg, float)
        if np.any(np.linalg.eigvalsh(Rg) < np.sqrt(np.finfo(float).eps)):
            return None
        p = len(Rg)
        Si = np.linalg.inv(Sg)
        ld_s, ld_r = np.linalg.slogdet(Sg)[1], np.linalg.slogdet(Rg)[1]
        stat += n * (ld_s - ld_r + float(np.sum(Rg * Si)) - p)
        stat_null += -n * ld_r
        j_idx, i_idx = np.triu_indices(p, 1)  # vech order without the diagonal: (i > j), column-wise
        order = np.lexsort((i_idx, j_idx))
        i_idx, j_idx = i_idx[order], j_idx[order]
        V = Si[np.ix_(i_idx, i_idx)] * Si[np.ix_(j_idx, j_idx)] + Si[np.ix_(i_idx, j_idx)] * Si[np.ix_(j_idx, i_idx)]
        fg = n / ntot
        Vs.append(fg * V)
        Ws.append(fg * np.asarray(wg, float))
        Gs.append(np.asarray(gg, float) / fg)
    V_all, G_all = block_diag(*Vs), block_diag(*Gs)
    w_all = np.concatenate(Ws)
    D = np.vstack(Delta)
    WiU = np.eye(len(w_all)) - D @ np.asarray(E_inv) @ (D.T * w_all[None, :])
    ks = float(np.sum((WiU.T @ V_all @ WiU) * G_all.T))
    df_null = int(sum(len(r) * (len(r) - 1) // 2 for r in R))
    if df <= 0:
        raise ValueError(f"the ML model on the polychoric correlations has {df} degrees of freedom")
    return CatMLTest(
        stat=float(stat),
        df=int(df),
        c_hat=ks / df,
        stat_null=float(stat_null),
        df_null=df_null,
        c_hat_null=float(np.trace(G_all)) / df_null,
    )


def wlsmv_fit_indices(model: ScaledShiftedTest, baseline: ScaledShiftedTest, n: int, ngroups: int = 1) -> dict:
    """Chi-square based fit indices of a WLSMV fit, lavaan's standard and ``.scaled`` versions.

    Parameters
    ----------
    model, baseline : ScaledShiftedTest
        From :func:`scaled_shifted_test` (the fitted model) and :func:`baseline_test`.
    n : int
        Number of respondents (all groups).
    ngroups : int
        Number of groups.

    Returns
    -------
    dict
        ``chisq``, ``df``, ``pvalue``, ``chisq_scaled``, ``pvalue_scaled``,
        ``chisq_scaling_factor``, ``chisq_shift_parameter``, ``baseline_chisq``,
        ``baseline_df``, ``baseline_chisq_scaled``, ``cfi``, ``tli``, ``rmsea``,
        ``cfi_scaled``, ``tli_scaled``, ``rmsea_scaled`` (lavaan's ``fitMeasures`` names with
        ``_``).

    Notes
    -----
    ``CFI = 1 - max(T - df, 0) / max(T - df, Tb - dfb, 0)``; ``TLI = (Tb/dfb - T/df) /
    (Tb/dfb - 1)``; ``RMSEA = sqrt(max(T - df, 0) / (df (n - G))) sqrt(G)`` (lavaan uses
    ``n - G`` for DWLS). The ``_scaled`` versions put the scaled-shifted statistics in place of ``T`` and
    ``Tb``. The *robust* CFI/TLI/RMSEA (Savalei 2021) come from :func:`catml_robust_test`. Matches lavaan 0.6.14 on the Holzinger-Swineford ordinal CFA to 1e-6.
    """
    from scipy.stats import chi2

    def trio(t, tb, df, dfb):
        cfi_den = max(t - df, tb - dfb, 0.0)
        cfi = 1.0 - max(t - df, 0.0) / cfi_den if cfi_den > 0 else 1.0
        tli = (tb / dfb - t / df) / (tb / dfb - 1.0)
        rmsea = float(np.sqrt(max(t - df, 0.0) / (df * (n - ngroups))) * np.sqrt(ngroups))
        return float(cfi), float(tli), rmsea

    df, dfb = model.df, baseline.df
    cfi, tli, rmsea = trio(model.stat_unscaled, baseline.stat_unscaled, df, dfb)
    cfi_s, tli_s, rmsea_s = trio(model.stat, baseline.stat, df, dfb)
    return {
        "chisq": model.stat_unscaled,
        "df": df,
        "pvalue": float(chi2.sf(model.stat_unscaled, df)),
        "chisq_scaled": model.stat,
        "pvalue_scaled": model.pvalue,
        "chisq_scaling_factor": model.scaling_factor,
        "chisq_shift_parameter": model.shift_parameter,
        "baseline_chisq": baseline.stat_unscaled,
        "baseline_df": dfb,
        "baseline_chisq_scaled": baseline.stat,
        "cfi": cfi,
        "tli": tli,
        "rmsea": rmsea,
        "cfi_scaled": cfi_s,
        "tli_scaled": tli_s,
        "rmsea_scaled": rmsea_s,
    }


# ----------------------------------------------------------------------------------------
# Ordered and continuous items together
# ----------------------------------------------------------------------------------------


def _polyserial(z, y, tau):
    """Two-step polyserial correlation of standardised ``z`` with categories ``y`` (0-based),
    thresholds ``tau`` fixed; returns (rho, casewise rho scores)."""
    up = np.concatenate([tau, [np.inf]])[y]
    lo = np.concatenate([[-np.inf], tau])[y]

    def parts(rho):
        r = np.sqrt(1.0 - rho * rho)
        bu, bl = (up - rho * z) / r, (lo - rho * z) / r
        P = np.maximum(ndtr(bu) - ndtr(bl), _SQRT_EPS)
        fu = np.where(np.isfinite(bu), np.exp(-0.5 * np.where(np.isfinite(bu), bu, 0.0) ** 2), 0.0) / np.sqrt(_TWOPI)
        fl = np.where(np.isfinite(bl), np.exp(-0.5 * np.where(np.isfinite(bl), bl, 0.0) ** 2), 0.0) / np.sqrt(_TWOPI)
        du = np.where(np.isfinite(up), (np.where(np.isfinite(up), up, 0.0) * rho - z) / r**3, 0.0)
        dl = np.where(np.isfinite(lo), (np.where(np.isfinite(lo), lo, 0.0) * rho - z) / r**3, 0.0)
        return P, fu, fl, du, dl, r, bu, bl

    def score(rho):
        P, fu, fl, du, dl, *_ = parts(rho)
        return (fu * du - fl * dl) / P

    from scipy.optimize import brentq

    g = lambda rho: float(np.sum(score(rho)))  # noqa: E731
    a, b = -_RHO_BOUND, _RHO_BOUND
    if g(a) <= 0:
        rho = a
    elif g(b) >= 0:
        rho = b
    else:
        rho = brentq(g, a, b, xtol=1e-13)
    return rho, parts(rho)


def mixed_moments(df: pd.DataFrame, items: Sequence[str], ordered: Sequence[str]) -> OrdinalMoments:
    """Sample statistics of ordered and continuous items together, as lavaan's WLSMV (``muthen1984``).

    Parameters
    ----------
    df : pandas.DataFrame
        Complete answers (no missing values).
    items : sequence of str
        All items, in the model's order.
    ordered : sequence of str
        The ordered ones; the others are continuous.

    Returns
    -------
    OrdinalMoments
        ``univariate`` is lavaan's univariate part of ``WLS.obs``: per item in order its
        thresholds (ordered) or mean (continuous), then the continuous items' variances (ML,
        divisor n); ``corr`` and ``pairs`` hold lavaan's ``cov``: polychoric correlations
        between ordered items, polyserial correlation times the standard deviation between an
        ordered and a continuous item, covariances between continuous ones; ``nacov`` is
        lavaan's NACOV of all of these, ``numeric`` the continuous items.

    Notes
    -----
    Two-step estimators (Olsson, Drasgow & Dorans 1982 for the polyserial correlation: the
    continuous item's ML mean and variance and the ordered item's thresholds fixed) and the
    sandwich of Muthen (1984) over the casewise scores, with the cross-derivatives of the
    bivariate log-likelihoods taken as outer products of casewise scores as lavaan does, then
    the delta method from correlations to covariances (lavaan's ``H``). Checked against lavaan
    0.6.14 on ``tests/fixtures/ordinal/hs_mixed.csv``.

    References
    ----------
    Olsson, U., Drasgow, F., & Dorans, N. J. (1982). The polyserial correlation coefficient.
    Psychometrika, 47, 337-347.
    Muthen, B. (1984). A general structural equation model with dichotomous, ordered
    categorical, and continuous latent variable indicators. Psychometrika, 49, 115-132.
    """
    items = list(items)
    ordset = set(ordered)
    oi = [v for v in items if v in ordset]
    ni = [v for v in items if v not in ordset]
    coded = _code_items(df, oi, "error") if oi else None
    n = len(df)
    th = _univariate(coded) if oi else []
    pf = _pairs(coded, th) if len(oi) > 1 else None
    if oi:
        if pf is None:
            if_th = _influence(
                coded,
                th,
                _PairFit(np.zeros(0, int), np.zeros(0, int), np.zeros(0), np.zeros((0, 1, 1)), np.zeros(0, int), []),
            )[0]
            if_oo = np.zeros((n, 0))
        else:
            if_th, if_oo = _influence(coded, th, pf)
    X = {v: pd.to_numeric(df[v], errors="coerce").to_numpy(dtype=float) for v in ni}
    bad = [v for v in ni if np.isnan(X[v]).any()]
    if bad:
        raise InputError(f"continuous item(s) {', '.join(bad)} have missing or non-numeric values")
    mean = {v: float(X[v].mean()) for v in ni}
    var = {v: float(X[v].var()) for v in ni}
    # univariate influence functions of (mean, variance) of each continuous item
    if_num = {}
    for v in ni:
        e = X[v] - mean[v]
        sc = np.column_stack([e / var[v], -0.5 / var[v] + 0.5 * e * e / var[v] ** 2])
        if_num[v] = sc @ np.linalg.inv(sc.T @ sc)
    # univariate layout: thresholds / means in item order, then variances
    th_start, k0 = {}, 0
    for j, v in enumerate(oi):
        th_start[v] = k0
        k0 += th[j].size
    uni_cols, uni_vals, uni_labels, uni_pos = [], [], [], {}
    for v in items:
        if v in ordset:
            j = oi.index(v)
            for k in range(th[j].size):
                uni_pos[(v, "th", k)] = len(uni_vals)
                uni_cols.append(if_th[:, th_start[v] + k])
                uni_vals.append(float(th[j][k]))
                uni_labels.append(f"{v}|t{k + 1}")
        else:
            uni_pos[(v, "mean")] = len(uni_vals)
            uni_cols.append(if_num[v][:, 0])
            uni_vals.append(-mean[v])  # lavaan keeps a continuous item's mean as a "threshold": -mean
            uni_labels.append(f"{v}~1")
    for v in ni:
        uni_pos[(v, "var")] = len(uni_vals)
        uni_cols.append(if_num[v][:, 1])
        uni_vals.append(var[v])
        uni_labels.append(f"{v}~~{v}")
    IFU = np.column_stack(uni_cols)
    p = len(items)
    cols, rows = np.triu_indices(p, 1)
    order = np.lexsort((rows, cols))
    rows, cols = rows[order], cols[order]
    cor = np.eye(p)
    cov_vals, cov_if = [], []
    oo_index = {}
    if pf is not None:
        for k in range(pf.rho.size):
            oo_index[(oi[pf.first[k]], oi[pf.second[k]])] = k
    sd = {v: np.sqrt(var[v]) for v in ni}
    z = {v: (X[v] - mean[v]) / sd[v] for v in ni}
    for i, j in zip(rows, cols):
        a, b = items[i], items[j]  # a: the later item (lavaan's y1 = row), b the earlier
        if a in ordset and b in ordset:
            k = oo_index[(a, b)]
            r = float(pf.rho[k])
            ifr = if_oo[:, k]
            cv, ifc = r, ifr
        elif a not in ordset and b not in ordset:
            r = float(np.mean(z[a] * z[b]))
            za, zb = z[a], z[b]
            r2 = 1 - r * r
            s_r = (r * r2 + (1 + r * r) * za * zb - r * (za * za + zb * zb)) / r2**2
            dmu_a = (za - r * zb) / (r2 * sd[a])
            dmu_b = (zb - r * za) / (r2 * sd[b])
            dv_a = (za - r * zb) / r2 * za / (2 * var[a]) - 1 / (2 * var[a])
            dv_b = (zb - r * za) / r2 * zb / (2 * var[b]) - 1 / (2 * var[b])
            a21 = [
                (uni_pos[(a, "mean")], s_r @ dmu_a),
                (uni_pos[(b, "mean")], s_r @ dmu_b),
                (uni_pos[(a, "var")], s_r @ dv_a),
                (uni_pos[(b, "var")], s_r @ dv_b),
            ]
            ifr = (s_r - sum(c * IFU[:, pos] for pos, c in a21)) / float(s_r @ s_r)
            cv = r * sd[a] * sd[b]
            ifc = (
                sd[a] * sd[b] * ifr
                + r * sd[b] / (2 * sd[a]) * IFU[:, uni_pos[(a, "var")]]
                + r * sd[a] / (2 * sd[b]) * IFU[:, uni_pos[(b, "var")]]
            )
        else:
            xn, on = (a, b) if a not in ordset else (b, a)
            jo = oi.index(on)
            tau = th[jo]
            yk = coded.y[:, jo]
            r, (P, fu, fl, du, dl, R, bu, bl) = _polyserial(z[xn], yk, tau)
            s_r = (fu * du - fl * dl) / P
            dz = (-r / R) * (fu - fl) / P - z[xn]  # d loglik / d z
            dmu = -dz / sd[xn]
            dv = dz * (-z[xn] / (2 * var[xn])) - 1 / (2 * var[xn])
            a21 = [(uni_pos[(xn, "mean")], s_r @ dmu), (uni_pos[(xn, "var")], s_r @ dv)]
            K = tau.size
            for m in range(K):
                dth = (np.where(yk == m, fu, 0.0) - np.where(yk == m + 1, fl, 0.0)) / (R * P)
                a21.append((uni_pos[(on, "th", m)], s_r @ dth))
            ifr = (s_r - sum(c * IFU[:, pos] for pos, c in a21)) / float(s_r @ s_r)
            cv = r * sd[xn]
            ifc = sd[xn] * ifr + r / (2 * sd[xn]) * IFU[:, uni_pos[(xn, "var")]]
        cor[i, j] = cor[j, i] = r
        cov_vals.append(cv)
        cov_if.append(ifc)
    G = np.hstack([IFU, np.column_stack(cov_if)]) if cov_if else IFU.copy()
    for v in ni:
        G[:, uni_pos[(v, "mean")]] *= -1.0  # the statistic is -mean
    nacov = n * (G.T @ G)
    nacov = (nacov + nacov.T) / 2
    cov = cor.copy()
    for i, v in enumerate(items):
        if v not in ordset:
            cov[i, :] *= sd[v]
            cov[:, i] *= sd[v]
    diag = np.diag(nacov)
    thr_rows = []
    for j, v in enumerate(oi):
        lev = coded.levels[j]
        for k in range(th[j].size):
            thr_rows.append((v, f"t{k + 1}", int(lev[k]), int(lev[k + 1]), float(th[j][k])))
    thr = pd.DataFrame(thr_rows, columns=["item", "threshold", "code_below", "code_above", "estimate"])
    thr["se"] = [
        float(np.sqrt(diag[uni_pos[(v, "th", int(t[1:]) - 1)]] / n)) for v, t in zip(thr["item"], thr["threshold"])
    ]
    nu = len(uni_vals)
    pairs = pd.DataFrame(
        {
            "item_a": [items[j] for j in cols],
            "item_b": [items[i] for i in rows],
            "estimate": cov_vals,
            "se": np.sqrt(diag[nu:] / n),
            "empty_cells": 0,
        }
    )
    return OrdinalMoments(
        items=tuple(items),
        n=n,
        thresholds=thr,
        threshold_vector=thr["estimate"].to_numpy(),
        threshold_item=np.repeat(np.arange(len(oi)), [t.size for t in th]) if oi else np.zeros(0, int),
        corr=pd.DataFrame(cov, index=items, columns=items),
        pairs=pairs,
        nacov=nacov,
        wls_weight_diag=1.0 / diag,
        categories={v: tuple(int(c) for c in lev) for v, lev in zip(oi, coded.levels)} if oi else {},
        warnings=tuple(pf.warnings) if pf is not None else (),
        numeric=tuple(ni),
        univariate=np.asarray(uni_vals),
        univariate_labels=tuple(uni_labels),
    )
