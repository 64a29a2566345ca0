"""Exploratory factor analysis: sampling adequacy, sphericity, number of factors, extraction.

* :func:`kmo` - Kaiser-Meyer-Olkin measure of sampling adequacy (``psych::KMO``).
* :func:`bartlett_sphericity` - Bartlett's test that R is an identity (``psych::cortest.bartlett``).
* :func:`parallel_analysis` - Horn's parallel analysis, PC and FA versions (``psych::fa.parallel``).
* :func:`efa` - minres or ML extraction with oblimin / quartimin / varimax / no rotation
  (``psych::fa`` with GPArotation).

Tables have fixed columns and a ``warnings`` column; NaN statistics always come with a reason.
All randomness goes through a :class:`numpy.random.Generator` made from ``seed``; no global
random state is touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from validate.blas import single_threaded_blas
from validate.measurement.descriptives import (
    ItemDataError,
    TooFewItemsError,
    check_variance,
    item_frame,
    join_reasons,
)

__all__ = ["EFAResult", "FactorAnalysisError", "bartlett_sphericity", "efa", "kmo", "parallel_analysis"]


class FactorAnalysisError(ValueError):
    """A factor model cannot be estimated for the given data and settings."""


def _cor_pairwise(x: pd.DataFrame, what: str) -> np.ndarray:
    r = x.corr(min_periods=3)
    a = r.to_numpy()
    if np.isnan(a).any():
        i, j = np.argwhere(np.isnan(a))[0]
        raise ItemDataError(
            f"items {r.index[i]} and {r.columns[j]} have fewer than 3 answers in common; {what} cannot be computed"
        )
    return a


def _checked(df, items, what, min_items):
    x = item_frame(df, items, min_items=min_items, what=what)
    check_variance(x, what=what)
    return x


# --------------------------------------------------------------------------------------
# KMO and Bartlett
# --------------------------------------------------------------------------------------
def _kaiser_label(msa: float) -> str:
    if not np.isfinite(msa):
        return ""
    for cut, label in (
        (0.9, "marvelous"),
        (0.8, "meritorious"),
        (0.7, "middling"),
        (0.6, "mediocre"),
        (0.5, "miserable"),
    ):
        if msa >= cut:
            return label
    return "unacceptable"


def kmo(df: pd.DataFrame, items: Sequence[str] | None = None) -> pd.DataFrame:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item (``psych::KMO``).

    Parameters
    ----------
    df : DataFrame
        Item responses; pairwise-complete correlations (psych's ``use = "pairwise"``).
    items : sequence of str, optional
        Items (default: all columns), at least 2.

    Returns
    -------
    DataFrame
        First row ``scope = "overall"`` (``item`` empty), then one row per item
        (``scope = "item"``). Columns: ``scope``, ``item``, ``msa``, ``label`` (Kaiser's 1974
        verbal label: marvelous >= .9, meritorious >= .8, middling >= .7, mediocre >= .6,
        miserable >= .5, unacceptable below), ``warnings``.

    Notes
    -----
    With :math:`R` the correlation matrix and :math:`Q` the anti-image (partial) correlations
    :math:`Q_{ij} = -R^{-1}_{ij}/\\sqrt{R^{-1}_{ii}R^{-1}_{jj}}`, off-diagonal sums only:
    :math:`MSA = \\sum r_{ij}^2 / (\\sum r_{ij}^2 + \\sum q_{ij}^2)` and per item
    :math:`MSA_i = \\sum_j r_{ij}^2 / (\\sum_j r_{ij}^2 + \\sum_j q_{ij}^2)`. psych squares the
    entries of ``cov2cor(solve(R))`` whose off-diagonal sign differs from :math:`Q`, which
    does not matter. A singular :math:`R` gives NaN with a warning (psych falls back to
    :math:`R` itself, which is meaningless). Checked against ``psych::KMO`` 2.2.9 on the
    Holzinger-Swineford items, complete and with missing values, within 1e-12.
    Items with MSA < .50 are candidates for removal (Kaiser, 1974; Hair et al., 2019).

    References
    ----------
    Kaiser, H. F. (1974). An index of factorial simplicity. *Psychometrika, 39*(1), 31-36.

    Hair, J. F., Black, W. C., Babin, B. J., & Anderson, R. E. (2019). *Multivariate data
    analysis* (8th ed.). Cengage.
    """
    x = _checked(df, items, "KMO", 2)
    r = _cor_pairwise(x, "KMO")
    names = list(x.columns)
    reasons = []
    if np.linalg.cond(r) > 1e12:
        reasons.append("correlation matrix is singular (some items are linear combinations of others); KMO undefined")
        overall, per = np.nan, np.full(len(names), np.nan)
    else:
        inv = np.linalg.inv(r)
        d = 1 / np.sqrt(np.diag(inv))
        q = inv * np.outer(d, d)
        np.fill_diagonal(q, 0)
        r0 = r.copy()
        np.fill_diagonal(r0, 0)
        overall = float((r0**2).sum() / ((r0**2).sum() + (q**2).sum()))
        per = (r0**2).sum(0) / ((r0**2).sum(0) + (q**2).sum(0))
    if x.isna().any().any():
        reasons.append("pairwise-complete correlations used (missing values present)")
    rows = [
        {
            "scope": "overall",
            "item": "",
            "msa": overall,
            "label": _kaiser_label(overall),
            "warnings": join_reasons(reasons),
        }
    ]
    for n, v in zip(names, per):
        w = list(reasons)
        if np.isfinite(v) and v < 0.5:
            w.append(f"item {n} has MSA {v:.2f} < .50 (unacceptable; consider removing it)")
        rows.append(
            {"scope": "item", "item": n, "msa": float(v), "label": _kaiser_label(v), "warnings": join_reasons(w)}
        )
    return pd.DataFrame(rows, columns=["scope", "item", "msa", "label", "warnings"])


def bartlett_sphericity(df: pd.DataFrame, items: Sequence[str] | None = None) -> pd.DataFrame:
    """Bartlett's (1951) test of sphericity, as ``psych::cortest.bartlett(data)``.

    Parameters
    ----------
    df : DataFrame
        Item responses; pairwise correlations; ``n`` = number of rows (as psych with raw data).
    items : sequence of str, optional
        Items (default all), at least 2.

    Returns
    -------
    DataFrame
        One row: ``statistic`` (chi-square), ``df``, ``p_value``, ``n_obs``, ``n_vars``,
        ``warnings``.

    Notes
    -----
    :math:`\\chi^2 = -\\ln|R| \\,(n - 1 - (2p+5)/6)` on :math:`p(p-1)/2` degrees of freedom.
    Checked against ``psych::cortest.bartlett`` 2.2.9 within 1e-10 (statistic; the p-value,
    1.9e-166 for the Holzinger-Swineford items, within 1e-8 relative). A significant result
    (p < .05) is required before factor analysis (Hair et al., 2019). With missing values,
    ``n_obs`` counts all rows (psych does the same), which overstates the information;
    a warning says so.

    References
    ----------
    Bartlett, M. S. (1951). The effect of standardization on a chi-square approximation in
    factor analysis. *Biometrika, 38*(3/4), 337-344.
    """
    x = _checked(df, items, "Bartlett's test", 2)
    r = _cor_pairwise(x, "Bartlett's test")
    n, p = x.shape
    reasons = []
    sign, logdet = np.linalg.slogdet(r)
    if sign <= 0 or not np.isfinite(logdet):
        stat, pval = np.nan, np.nan
        reasons.append("correlation matrix is singular or not positive definite; Bartlett's test undefined")
    else:
        stat = float(-logdet * (n - 1 - (2 * p + 5) / 6))
        pval = float(stats.chi2.sf(stat, p * (p - 1) / 2))
    if x.isna().any().any():
        reasons.append("pairwise correlations with missing values; n_obs counts all rows (as psych)")
    return pd.DataFrame(
        [
            {
                "statistic": stat,
                "df": p * (p - 1) / 2,
                "p_value": pval,
                "n_obs": n,
                "n_vars": p,
                "warnings": join_reasons(reasons),
            }
        ],
        columns=["statistic", "df", "p_value", "n_obs", "n_vars", "warnings"],
    )


# --------------------------------------------------------------------------------------
# extraction
# --------------------------------------------------------------------------------------
def _smc(r: np.ndarray) -> np.ndarray:
    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # a singular R is reported by the caller
            return 1 - 1 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:  # pragma: no cover - singular R
        return np.max(np.abs(r - np.eye(len(r))), axis=0)


def _top_eig(m: np.ndarray, nf: int):
    w, v = np.linalg.eigh(m)
    return w[::-1], v[:, ::-1]


def minres_fit(r: np.ndarray, nf: int, tol: float = 1e-12):
    """Minimum-residual (ULS) factor extraction as ``psych::fa(fm = "minres")``.

    Minimises :math:`\\sum_{k>nf} e_k(R - \\Psi)^2` over uniquenesses :math:`\\Psi` in
    [.005, max(smc, 1)] (L-BFGS-B with the exact gradient), which at its optimum equals
    psych's off-diagonal residual criterion. Returns (loadings, uniquenesses, info).
    """
    p = r.shape[0]
    start = 1 - _smc(r)
    upper = max(1.0, float(np.max(_smc(r))))

    def fun(psi):
        w, v = _top_eig(r - np.diag(psi), nf)
        e = w[nf:]
        f = float(np.sum(e**2))
        g = -2 * (v[:, nf:] ** 2) @ e
        return f, g

    res = optimize.minimize(
        fun,
        np.clip(start, 0.005, upper),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.005, upper)] * p,
        options={"ftol": tol, "gtol": 1e-10, "maxiter": 5000},
    )
    psi = res.x
    w, v = _top_eig(r - np.diag(psi), nf)
    load = v[:, :nf] * np.sqrt(np.maximum(w[:nf], 0))
    return load, psi, {"converged": bool(res.success), "message": str(res.message), "objective": float(res.fun)}


def _ml_fit(r: np.ndarray, nf: int, tol: float = 1e-12):
    """Maximum-likelihood extraction as ``factanal`` / ``psych::fa(fm = "ml")``."""
    p = r.shape[0]
    start = 1 - _smc(r)
    upper = max(1.0, float(np.max(_smc(r))))

    def fun(psi):
        sc = 1 / np.sqrt(psi)
        sstar = r * np.outer(sc, sc)
        w, v = _top_eig(sstar, nf)
        e = w[nf:]
        f = -float(np.sum(np.log(e) - e) - nf + p)
        load = v[:, :nf] * np.sqrt(np.maximum(w[:nf] - 1, 0))
        load = np.sqrt(psi)[:, None] * load
        g = np.diag(load @ load.T + np.diag(psi) - r) / psi**2
        return f, g

    res = optimize.minimize(
        fun,
        np.clip(start, 0.005, upper),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.005, upper)] * p,
        options={"ftol": tol, "gtol": 1e-10, "maxiter": 5000},
    )
    psi = res.x
    sc = 1 / np.sqrt(psi)
    w, v = _top_eig(r * np.outer(sc, sc), nf)
    load = np.sqrt(psi)[:, None] * (v[:, :nf] * np.sqrt(np.maximum(w[:nf] - 1, 0)))
    return load, psi, {"converged": bool(res.success), "message": str(res.message), "objective": float(res.fun)}


# --------------------------------------------------------------------------------------
# rotations (GPArotation's GPFoblq / stats::varimax)
# --------------------------------------------------------------------------------------
def _oblimin_vgq(lam: np.ndarray, gamma: float):
    k = lam.shape[1]
    x = (lam**2) @ (1 - np.eye(k))
    if gamma != 0:
        p = lam.shape[0]
        x = (np.eye(p) - gamma / p) @ x
    return lam * x, float(np.sum(lam**2 * x) / 4)


def _gpf_oblique(a: np.ndarray, gamma: float = 0.0, eps: float = 1e-8, maxit: int = 5000):
    """Gradient-projection oblique rotation (Jennrich, 2002), GPArotation::GPFoblq."""
    k = a.shape[1]
    t = np.eye(k)
    al = 1.0
    lam = a @ np.linalg.inv(t).T
    gq, f = _oblimin_vgq(lam, gamma)
    g = -(lam.T @ gq @ np.linalg.inv(t)).T
    converged = False
    for _ in range(maxit + 1):
        gp = g - t @ np.diag(np.sum(t * g, axis=0))
        s = np.sqrt(np.sum(gp**2))
        if s < eps:
            converged = True
            break
        al *= 2
        for _ in range(11):
            xm = t - al * gp
            tt = xm / np.sqrt(np.sum(xm**2, axis=0))
            lam = a @ np.linalg.inv(tt).T
            gqt, ft = _oblimin_vgq(lam, gamma)
            if f - ft > 0.5 * s**2 * al:
                break
            al /= 2
        t = tt
        f = ft
        g = -(lam.T @ gqt @ np.linalg.inv(tt)).T
    lam = a @ np.linalg.inv(t).T
    return lam, t.T @ t, converged


def _varimax(x: np.ndarray, eps: float = 1e-5):
    """stats::varimax with Kaiser normalisation (what psych::fa(rotate = "varimax") calls)."""
    p, nc = x.shape
    sc = np.sqrt(np.sum(x**2, axis=1))
    z0 = x / sc[:, None]
    tt = np.eye(nc)
    d = 0.0
    converged = False
    for _ in range(1000):
        z = z0 @ tt
        b = z0.T @ (z**3 - z @ np.diag(np.sum(z**2, axis=0)) / p)
        u, s, vt = np.linalg.svd(b)
        tt = u @ vt
        dpast, d = d, float(np.sum(s))
        if d < dpast * (1 + eps):
            converged = True
            break
    return (z0 @ tt) * sc[:, None], converged


# --------------------------------------------------------------------------------------
# EFA
# --------------------------------------------------------------------------------------
@dataclass
class EFAResult:
    """Result of :func:`efa`; every attribute is a tidy DataFrame with fixed columns.

    Attributes
    ----------
    loadings : DataFrame
        ``item``, ``factor``, ``loading`` (pattern coefficient), ``structure`` (correlation of
        item and factor; equals ``loading`` for orthogonal solutions), one row per item x factor.
    communalities : DataFrame
        ``item``, ``communality`` (:math:`h^2`), ``uniqueness`` (:math:`1-h^2`), ``warnings``.
    factor_correlations : DataFrame
        ``factor_a``, ``factor_b``, ``correlation`` for every ordered pair (identity for
        orthogonal rotations).
    variance : DataFrame
        ``factor``, ``ss_loadings`` (psych's "SS loadings": diag(Phi L'L)), ``proportion``.
    eigenvalues : DataFrame
        ``number``, ``pc`` (eigenvalues of R), ``fa`` (of R with communalities on the diagonal).
    info : dict
        ``method``, ``rotation``, ``n_obs``, ``converged``, ``rotation_converged``, ``warnings``.
    """

    loadings: pd.DataFrame
    communalities: pd.DataFrame
    factor_correlations: pd.DataFrame
    variance: pd.DataFrame
    eigenvalues: pd.DataFrame
    info: dict = field(default_factory=dict)

    def loading_matrix(self) -> pd.DataFrame:
        """Items x factors pattern matrix."""
        m = self.loadings.pivot(index="item", columns="factor", values="loading")
        return m.loc[list(dict.fromkeys(self.loadings["item"])), list(dict.fromkeys(self.loadings["factor"]))]

    def phi_matrix(self) -> pd.DataFrame:
        """Factors x factors correlation matrix."""
        f = list(dict.fromkeys(self.factor_correlations["factor_a"]))
        return self.factor_correlations.pivot(index="factor_a", columns="factor_b", values="correlation").loc[f, f]


_ROTATIONS = ("oblimin", "quartimin", "varimax", "none")


def efa(
    df: pd.DataFrame,
    n_factors: int,
    rotation: str = "oblimin",
    method: str = "minres",
    items: Sequence[str] | None = None,
    gamma: float = 0.0,
) -> EFAResult:
    """Exploratory factor analysis like ``psych::fa(r, nfactors, fm, rotate)``.

    Parameters
    ----------
    df : DataFrame
        Item responses; pairwise-complete correlations (psych's default).
    n_factors : int
        Number of factors, 1 <= n_factors < number of items, and no more than the model's
        degrees of freedom allow (``(p - k)^2 >= p + k``).
    rotation : {"oblimin", "quartimin", "varimax", "none"}
        ``"oblimin"`` with ``gamma = 0`` is direct quartimin (GPArotation's default, used by
        psych); ``"varimax"`` is ``stats::varimax`` with Kaiser normalisation.
    method : {"minres", "ml"}
        Extraction: minimum residual (= unweighted least squares) or maximum likelihood.
    items : sequence of str, optional
        Items (default: all columns), at least 3.
    gamma : float, default 0
        Oblimin's gamma (0 quartimin, .5 biquartimin, 1 covarimin).

    Returns
    -------
    EFAResult
        Tidy tables. Factors are ordered as psych orders them - by diag(Phi L'L) decreasing,
        signs flipped so every column sums to a positive value - and named as psych names
        them: ``MR``/``ML`` plus the factor's position *before* that sorting, so the names may
        read ``MR1, MR3, MR2``.

    Raises
    ------
    FactorAnalysisError
        ``n_factors`` out of range, unknown rotation / method.
    TooFewItemsError, ZeroVarianceError, NonNumericItemError, ItemDataError
        Bad item data.

    Notes
    -----
    Extraction minimises the ULS (minres) or ML discrepancy over uniquenesses with L-BFGS-B
    and the exact gradient, starting from 1 - SMC, bounds [.005, 1], like psych 2.2.9.
    Loadings are the first ``n_factors`` eigenvectors of :math:`R - \\Psi` scaled by root
    eigenvalues (ML: of :math:`\\Psi^{-1/2}R\\Psi^{-1/2}`). Communalities are row sums of
    squared unrotated loadings, invariant to rotation. Oblique rotation is Jennrich's (2002)
    gradient projection algorithm as GPArotation's ``GPFoblq`` (identity start, no
    normalisation), run to a gradient norm of 1e-8 instead of GPArotation's 1e-5 - the same
    optimum, converged further. The oblimin criterion can have several local optima; like
    psych (one start, ``n.rotations = 1``) we report the one reached from the unrotated
    solution.

    Checked against psych 2.2.9 + GPArotation 2022.10-2 on the nine Holzinger-Swineford
    items (minres/oblimin, ML/oblimin, minres/varimax, minres/none with 3 factors,
    minres/oblimin with 2): loadings, communalities and factor correlations within 1e-4
    absolute after matching factors (observed: 1.2e-5; see ``tests/test_efa.py``); psych
    stops its optimiser at looser tolerances, which accounts for the remaining difference.
    Factor order and names (``MR1, MR3, MR2``) come out as psych's. With a Heywood case
    (a uniqueness at the .005 bound) psych minimises the off-diagonal residuals and we the
    equivalent-in-the-interior full ULS criterion; on Holzinger-Swineford with 4 and 5
    factors communalities still agree within 2e-4 (not in the test suite).

    References
    ----------
    Jennrich, R. I. (2002). A simple general method for oblique rotation. *Psychometrika,
    67*(1), 7-19.

    Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and software
    for arbitrary rotation criteria in factor analysis. *Educational and Psychological
    Measurement, 65*(5), 676-696.

    Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals (minres).
    *Psychometrika, 31*(3), 351-368.

    Revelle, W. (2022). *psych* (R package version 2.2.9).
    """
    if rotation not in _ROTATIONS:
        raise FactorAnalysisError(f"rotation must be one of {', '.join(_ROTATIONS)}; got {rotation!r}")
    if method not in ("minres", "ml"):
        raise FactorAnalysisError(f"method must be 'minres' or 'ml', got {method!r}")
    x = _checked(df, items, "factor analysis", 3)
    p = x.shape[1]
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)) or not 1 <= n_factors < p:
        raise FactorAnalysisError(f"n_factors must be an integer from 1 to {p - 1} for {p} items, got {n_factors!r}")
    dof = ((p - n_factors) ** 2 - (p + n_factors)) / 2
    if dof < 0:
        raise FactorAnalysisError(
            f"{n_factors} factors are too many for {p} items (model degrees of freedom {dof:g} < 0)"
        )
    r = _cor_pairwise(x, "factor analysis")
    if np.linalg.eigvalsh(r)[0] <= 1e-10:
        raise FactorAnalysisError(
            "the item correlation matrix is singular or not positive definite (linearly dependent items?)"
        )
    reasons: list[str] = []
    if x.isna().any().any():
        reasons.append("pairwise-complete correlations used (missing values present)")
    fit = minres_fit if method == "minres" else _ml_fit
    with single_threaded_blas():
        load, psi, info = fit(r, n_factors)
    if not info["converged"]:
        reasons.append(f"extraction did not converge: {info['message']}")
    # psych: flip unrotated columns to positive sums
    signs = np.sign(load.sum(axis=0))
    signs[signs == 0] = 1
    load = load * signs
    h2 = np.sum(load**2, axis=1)
    phi = np.eye(n_factors)
    rot_converged = True
    if n_factors > 1 and rotation in ("oblimin", "quartimin"):
        load, phi, rot_converged = _gpf_oblique(load, gamma if rotation == "oblimin" else 0.0)
    elif n_factors > 1 and rotation == "varimax":
        load, rot_converged = _varimax(load)
    elif n_factors == 1 and rotation != "none":
        reasons.append("a single factor cannot be rotated; unrotated solution returned")
    if not rot_converged:
        reasons.append("rotation did not converge")
    signs = np.sign(load.sum(axis=0))
    signs[signs == 0] = 1
    load = load * signs
    phi = phi * np.outer(signs, signs)
    order = np.arange(n_factors)
    if n_factors > 1:
        order = np.argsort(-np.diag(phi @ load.T @ load), kind="stable")
        load = load[:, order]
        phi = phi[np.ix_(order, order)]
    prefix = "MR" if method == "minres" else "ML"
    # psych names factors before sorting them, so names keep the pre-sort number (MR1, MR3, MR2)
    fnames = [f"{prefix}{i + 1}" for i in order]
    names = list(x.columns)
    if (h2 > 1).any():
        reasons.append("Heywood case: communality > 1 for " + ", ".join(n for n, h in zip(names, h2) if h > 1))
    if (psi <= 0.005 + 1e-8).any():
        reasons.append(
            "uniqueness at the lower bound .005 for " + ", ".join(n for n, u in zip(names, psi) if u <= 0.005 + 1e-8)
        )
    structure = load @ phi
    loadings = pd.DataFrame(
        [
            {"item": names[i], "factor": fnames[j], "loading": float(load[i, j]), "structure": float(structure[i, j])}
            for i in range(p)
            for j in range(n_factors)
        ],
        columns=["item", "factor", "loading", "structure"],
    )
    comm = pd.DataFrame(
        {
            "item": names,
            "communality": h2,
            "uniqueness": 1 - h2,
            "warnings": ["communality > 1 (Heywood case)" if h > 1 else "" for h in h2],
        },
        columns=["item", "communality", "uniqueness", "warnings"],
    )
    fc = pd.DataFrame(
        [
            {"factor_a": a, "factor_b": b, "correlation": float(phi[i, j])}
            for i, a in enumerate(fnames)
            for j, b in enumerate(fnames)
        ],
        columns=["factor_a", "factor_b", "correlation"],
    )
    ss = np.diag(phi @ load.T @ load)
    var = pd.DataFrame(
        {"factor": fnames, "ss_loadings": ss, "proportion": ss / p}, columns=["factor", "ss_loadings", "proportion"]
    )
    rr = r.copy()
    np.fill_diagonal(rr, h2)
    ev = pd.DataFrame(
        {"number": np.arange(1, p + 1), "pc": np.linalg.eigvalsh(r)[::-1], "fa": np.linalg.eigvalsh(rr)[::-1]},
        columns=["number", "pc", "fa"],
    )
    return EFAResult(
        loadings=loadings,
        communalities=comm,
        factor_correlations=fc,
        variance=var,
        eigenvalues=ev,
        info={
            "method": method,
            "rotation": rotation if n_factors > 1 else "none",
            "n_obs": len(x),
            "converged": info["converged"],
            "rotation_converged": rot_converged,
            "warnings": join_reasons(reasons),
        },
    )


# --------------------------------------------------------------------------------------
# parallel analysis
# --------------------------------------------------------------------------------------
def _fa_values(r: np.ndarray) -> np.ndarray:
    load, _, _ = minres_fit(r, 1, tol=2.2e-9)  # R optim's default factr = 1e7 (psych)
    rr = r.copy()
    np.fill_diagonal(rr, np.sum(load**2, axis=1))
    return np.linalg.eigvalsh(rr)[::-1]


PARALLEL_DATA_MAX_N = 5000
"""Up to this many rows parallel analysis simulates whole data sets; above, Wishart moments."""


def null_correlation(rng: np.random.Generator, n: int, p: int, method: str = "data") -> np.ndarray:
    """Correlation matrix of ``n`` independent standard-normal rows of ``p`` variables.

    Parameters
    ----------
    rng : numpy.random.Generator
    n, p : int
        Rows (at least 2) and variables.
    method : {"data", "moments"}
        ``"data"`` draws the ``n x p`` values and correlates them (``O(n p^2)``, as psych);
        ``"moments"`` draws the cross-product matrix directly (``O(p^3)``, whatever ``n``).

    Returns
    -------
    ndarray, shape (p, p)

    Notes
    -----
    The centred cross-product matrix of ``n`` i.i.d. :math:`N(0, I_p)` rows is Wishart
    :math:`W_p(n - 1, I)`, and Bartlett's (1933) decomposition draws it as :math:`A A^\\top`
    with :math:`A` lower triangular, :math:`A_{ii} = \\sqrt{\\chi^2_{n-1-i}}`
    (:math:`i = 0, \\dots, p-1`) and :math:`A_{ij} \\sim N(0, 1)` below the diagonal; scaling it
    to unit diagonal gives a correlation matrix with exactly the distribution of the simulated
    data's. ``tests/test_efa.py`` compares the eigenvalue distributions of the two methods.

    References
    ----------
    Bartlett, M. S. (1933). On the theory of statistical regression. *Proceedings of the Royal
    Society of Edinburgh, 53*, 260-283.
    """
    if method == "data":
        return np.corrcoef(rng.standard_normal((n, p)), rowvar=False)
    if method != "moments":
        raise ValueError(f"method must be 'data' or 'moments', got {method!r}")
    a = np.tril(rng.standard_normal((p, p)), -1)
    a[np.diag_indices(p)] = np.sqrt(rng.chisquare(n - 1 - np.arange(p)))
    w = a @ a.T
    d = 1.0 / np.sqrt(np.diag(w))
    c = w * d[:, None] * d[None, :]
    np.fill_diagonal(c, 1.0)
    return c


def parallel_analysis(
    df: pd.DataFrame,
    n_iter: int = 100,
    seed: int | np.random.Generator | None = None,
    quantile: float = 0.95,
    items: Sequence[str] | None = None,
    fa: bool = True,
    simulate: str = "auto",
) -> pd.DataFrame:
    """Horn's (1965) parallel analysis with principal components and principal factors.

    Parameters
    ----------
    df : DataFrame
        Item responses; pairwise-complete correlations for the observed data.
    n_iter : int, default 100
        Number of simulated data sets (psych's default is 20).
    seed : int or numpy Generator, optional
        Seed for :func:`numpy.random.default_rng` (or a Generator to draw from). Results are
        reproducible for a fixed seed; they cannot reproduce R's random numbers.
    quantile : float, default .95
        Percentile of the simulated eigenvalues that observed eigenvalues must exceed (psych
        always uses its ``quant`` = .95 for the suggestion).
    items : sequence of str, optional
        Items (default all), at least 3.
    fa : bool, default True
        Also compute the factor-analysis version (eigenvalues of the reduced correlation matrix
        of a one-factor minres solution, as psych). Costs one minres fit per simulated set.
    simulate : {"auto", "data", "moments"}
        How each random correlation matrix is drawn (:func:`null_correlation`): ``"data"``
        simulates ``n x p`` normal values, as psych; ``"moments"`` draws the Wishart
        cross-product matrix directly, with the same distribution at a cost independent of
        ``n``; ``"auto"`` (default) uses ``"data"`` up to :data:`PARALLEL_DATA_MAX_N` rows and
        ``"moments"`` above (recorded in ``result.attrs["simulate"]``).

    Returns
    -------
    DataFrame
        One row per eigenvalue number with columns ``number``, ``observed_pc``,
        ``simulated_pc_mean``, ``simulated_pc_quantile``, ``retain_pc``, ``observed_fa``,
        ``simulated_fa_mean``, ``simulated_fa_quantile``, ``retain_fa``, ``warnings``
        (``*_fa`` NaN when ``fa=False``). ``retain_*`` is True for the leading run of
        eigenvalues above the simulated quantile. The suggestions are in
        ``result.attrs["n_components"]`` and ``result.attrs["n_factors"]`` (psych's ``ncomp``
        and ``nfact``) and equal the number of ``True`` in ``retain_pc`` / ``retain_fa``.

    Notes
    -----
    Random data: ``n`` x ``p`` independent standard normal values (``n`` = number of rows),
    Pearson correlations, as ``psych::fa.parallel(sim = TRUE)`` (above 5,000 rows, by default,
    their correlation matrix is drawn from its Wishart distribution instead); psych additionally
    resamples the observed data, which we do not (psych's suggestion uses the simulated
    normal data). The suggestion is the number of leading observed eigenvalues larger than
    the ``quantile`` of the simulated ones. Observed eigenvalues were checked against
    ``psych::fa.parallel`` 2.2.9 (PC within 1e-12, FA within 1e-5); the simulated means and
    the suggested numbers (3 components, 3 factors for Holzinger-Swineford) agree up to Monte
    Carlo error (1000 iterations each: PC means within .005, FA means within .011 - random
    one-factor fits often end at a Heywood bound, where our ULS criterion and psych's
    off-diagonal one differ slightly). The FA version tends to suggest too many factors in large samples; the PC
    version is the classic Horn test (Hayton et al., 2004).

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    *Psychometrika, 30*(2), 179-185.

    Hayton, J. C., Allen, D. G., & Scarpello, V. (2004). Factor retention decisions in
    exploratory factor analysis: A tutorial on parallel analysis. *Organizational Research
    Methods, 7*(2), 191-205.
    """
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValueError(f"n_iter must be a positive integer, got {n_iter!r}")
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be between 0 and 1, got {quantile!r}")
    if simulate not in ("auto", "data", "moments"):
        raise ValueError(f"simulate must be 'auto', 'data' or 'moments', got {simulate!r}")
    x = _checked(df, items, "parallel analysis", 3)
    n, p = x.shape
    if n < 3:
        raise TooFewItemsError(f"parallel analysis needs at least 3 rows, got {n}")
    r = _cor_pairwise(x, "parallel analysis")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if simulate == "auto":
        simulate = "data" if n <= PARALLEL_DATA_MAX_N else "moments"
    obs_pc = np.linalg.eigvalsh(r)[::-1]
    sim_pc = np.empty((n_iter, p))
    sim_fa = np.full((n_iter, p), np.nan)
    with single_threaded_blas():
        obs_fa = _fa_values(r) if fa else np.full(p, np.nan)
        for i in range(n_iter):
            c = null_correlation(rng, n, p, simulate)
            sim_pc[i] = np.linalg.eigvalsh(c)[::-1]
            if fa:
                sim_fa[i] = _fa_values(c)
    q_pc = np.quantile(sim_pc, quantile, axis=0)
    q_fa = np.quantile(sim_fa, quantile, axis=0) if fa else np.full(p, np.nan)

    def leading(obs, q):
        above = obs > q
        k = int(np.argmin(above)) if not above.all() else p
        return np.arange(p) < k, k

    retain_pc, ncomp = leading(obs_pc, q_pc)
    retain_fa, nfact = leading(obs_fa, q_fa) if fa else (np.zeros(p, bool), np.nan)
    reasons = []
    if x.isna().any().any():
        reasons.append("pairwise-complete correlations used (missing values present)")
    if ncomp == p:
        reasons.append("all component eigenvalues exceed the simulated ones")
    if not fa:
        reasons.append("FA version not computed (fa=False)")
    out = pd.DataFrame(
        {
            "number": np.arange(1, p + 1),
            "observed_pc": obs_pc,
            "simulated_pc_mean": sim_pc.mean(axis=0),
            "simulated_pc_quantile": q_pc,
            "retain_pc": retain_pc,
            "observed_fa": obs_fa,
            "simulated_fa_mean": sim_fa.mean(axis=0) if fa else np.full(p, np.nan),
            "simulated_fa_quantile": q_fa,
            "retain_fa": retain_fa,
            "warnings": join_reasons(reasons),
        }
    )
    out.attrs["n_components"] = ncomp
    out.attrs["n_factors"] = nfact
    out.attrs["n_iter"] = n_iter
    out.attrs["quantile"] = quantile
    out.attrs["simulate"] = simulate
    return out
