"""Indirect effects along a spec's paths: enumeration, effect algebra, bootstrap intervals, classification.

The functions here are pure: they take the structural coefficients of a fitted
model (a matrix ``B`` with ``B[to, from]`` the path from ``from`` to ``to``)
and bootstrap draws, and return tidy tables. Fitting lives in
:mod:`validate.structural.analysis`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "Chain",
    "enumerate_chains",
    "effect_of_chain",
    "total_effects",
    "percentile_ci",
    "bca_ci",
    "classify_mediation",
    "vaf",
]


@dataclass(frozen=True)
class Chain:
    """A directed chain of constructs ``X -> M1 [-> M2 ...] -> Y`` with at least one mediator."""

    nodes: tuple[str, ...]

    @property
    def source(self) -> str:
        return self.nodes[0]

    @property
    def target(self) -> str:
        return self.nodes[-1]

    @property
    def mediators(self) -> tuple[str, ...]:
        return self.nodes[1:-1]

    @property
    def key(self) -> str:
        return "->".join(self.nodes)

    def __str__(self) -> str:
        return " -> ".join(self.nodes)


def enumerate_chains(paths: list[tuple[str, str]]) -> list[Chain]:
    """Every directed chain of two or more paths in a recursive path model.

    Parameters
    ----------
    paths : list of (source, target)
        The structural paths; the graph must be acyclic (the spec loader ensures it).

    Returns
    -------
    list of Chain
        Ordered by source, then target, then mediators, in the order constructs
        first appear in ``paths``: the order a paper would list them.

    Notes
    -----
    Chains through more than one mediator (``X -> M1 -> M2 -> Y``) are included,
    and so are chains that end at a mediator (``X -> M1 -> M2``): each is a
    specific indirect effect of its first construct on its last.
    """
    order: dict[str, int] = {}
    succ: dict[str, list[str]] = {}
    for a, b in paths:
        for n in (a, b):
            order.setdefault(n, len(order))
        succ.setdefault(a, []).append(b)
    chains: list[tuple[str, ...]] = []

    def walk(trail: tuple[str, ...]) -> None:
        for nxt in succ.get(trail[-1], []):
            t = trail + (nxt,)
            if len(t) >= 3:
                chains.append(t)
            walk(t)

    for start in order:
        walk((start,))
    chains.sort(key=lambda t: (order[t[0]], order[t[-1]], [order[n] for n in t[1:-1]]))
    return [Chain(t) for t in chains]


def effect_of_chain(B: np.ndarray, index: dict[str, int], chain: Chain) -> float:
    """Product of the path coefficients along ``chain`` (``B[to, from]``)."""
    idx = [index[n] for n in chain.nodes]
    return float(np.prod([B[idx[k + 1], idx[k]] for k in range(len(idx) - 1)]))


def total_effects(B: np.ndarray) -> np.ndarray:
    """Total effects ``(I - B)^-1 - I`` of every construct on every other (``[to, from]``)."""
    k = B.shape[0]
    return np.linalg.solve(np.eye(k) - B, np.eye(k)) - np.eye(k)


def percentile_ci(draws: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval, using the same quantile rule as R's ``quantile(type = 7)``."""
    d = np.asarray(draws, dtype=float)
    d = d[np.isfinite(d)]
    if d.size < 2:
        return (np.nan, np.nan)
    a = (1 - level) / 2
    lo, hi = np.quantile(d, [a, 1 - a])
    return float(lo), float(hi)


def bca_ci(draws: np.ndarray, estimate: float, jackknife: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Bias-corrected and accelerated bootstrap interval (Efron 1987).

    Parameters
    ----------
    draws : array
        Bootstrap replicates of the statistic.
    estimate : float
        The statistic on the full sample.
    jackknife : array
        Leave-one-out values of the statistic (for the acceleration): exact, or their
        linearisation ``estimate - U / (n - 1)`` from the influence values ``U``
        (:func:`validate.structural.bootstrap.bca_jackknife`); the acceleration is the same
        formula in either case.

    Notes
    -----
    ``z0 = Phi^-1(#{draws < estimate} / B)``, acceleration
    ``a = sum(d^3) / (6 (sum d^2)^1.5)`` with ``d = mean(jack) - jack``; the
    interval takes the quantiles ``Phi(z0 + (z0 + z) / (1 - a (z0 + z)))`` of
    the draws for ``z = Phi^-1(alpha/2), Phi^-1(1-alpha/2)``. This is the BCa
    interval of Efron & Tibshirani (1993, ch. 14), as in R's ``boot.ci``.
    Efron (1987, eq. 6.7) defines ``a`` from the empirical influence values ``U``,
    ``a = sum(U^3) / (6 (sum U^2)^1.5)``; ``d`` is their jackknife estimate, or exactly
    ``U / (n - 1)`` (minus its mean, zero) for linearised values.

    References
    ----------
    Efron, B. (1987). Better bootstrap confidence intervals. JASA, 82, 171-185.
    """
    d = np.asarray(draws, dtype=float)
    d = d[np.isfinite(d)]
    if d.size < 2 or not np.isfinite(estimate):
        return (np.nan, np.nan)
    prop = (np.sum(d < estimate) + 0.5 * np.sum(d == estimate)) / d.size
    if prop <= 0 or prop >= 1:  # the estimate lies outside the bootstrap distribution
        return (np.nan, np.nan)
    z0 = stats.norm.ppf(prop)
    jk = np.asarray(jackknife, dtype=float)
    jk = jk[np.isfinite(jk)]
    dd = jk.mean() - jk if jk.size else np.zeros(1)
    den = 6.0 * np.sum(dd**2) ** 1.5
    acc = float(np.sum(dd**3) / den) if den > 0 else 0.0
    a = (1 - level) / 2
    z = stats.norm.ppf([a, 1 - a])
    adj = stats.norm.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z)))
    lo, hi = np.quantile(d, adj)
    return float(lo), float(hi)


def _excludes_zero(lo: float, hi: float) -> bool | None:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    return lo > 0 or hi < 0


def classify_mediation(
    indirect: float, ind_lo: float, ind_hi: float, direct: float | None, direct_p: float | None, alpha: float = 0.05
) -> str:
    """Zhao, Lynch & Chen (2010) type of a mediation.

    Returns one of ``complementary`` (partial), ``competitive`` (partial),
    ``indirect-only`` (full), ``direct-only`` (no mediation), ``no-effect``; when the model
    has no direct path, ``indirect-no-direct-path`` or ``no-indirect-no-direct-path`` (Zhao et
    al.'s types need the direct effect); ``undetermined`` when the interval could not be computed.

    References
    ----------
    Zhao, X., Lynch, J. G., & Chen, Q. (2010). Reconsidering Baron and Kenny:
    Myths and truths about mediation analysis. Journal of Consumer Research, 37, 197-206.
    """
    sig_ind = _excludes_zero(ind_lo, ind_hi)
    if sig_ind is None:
        return "undetermined"
    if direct is None or direct_p is None or not np.isfinite(direct_p):
        return "indirect-no-direct-path" if sig_ind else "no-indirect-no-direct-path"
    sig_dir = direct_p < alpha
    if sig_ind and sig_dir:
        return "complementary" if np.sign(indirect) == np.sign(direct) else "competitive"
    if sig_ind:
        return "indirect-only"
    return "direct-only" if sig_dir else "no-effect"


MEDIATION_LABELS = {
    "complementary": {"en": "complementary (partial) mediation", "zh": "互补型（部分）中介"},
    "competitive": {"en": "competitive (partial) mediation", "zh": "竞争型（部分）中介"},
    "indirect-only": {"en": "indirect-only (full) mediation", "zh": "仅间接（完全）中介"},
    "direct-only": {"en": "direct-only (no mediation)", "zh": "仅直接（无中介）"},
    "no-effect": {"en": "no effect", "zh": "无效应"},
}


def vaf(indirect: float, total: float) -> float:
    """Variance accounted for, ``indirect / total`` (Hair et al. 2014); NaN when total is 0."""
    if total == 0 or not np.isfinite(total):
        return float("nan")
    return float(indirect / total)


def chains_frame(chains: list[Chain]) -> pd.DataFrame:
    """A tidy listing of chains: ``key``, ``source``, ``target``, ``mediators``, ``length``."""
    return pd.DataFrame(
        {
            "key": [c.key for c in chains],
            "source": [c.source for c in chains],
            "target": [c.target for c in chains],
            "mediators": [" -> ".join(c.mediators) for c in chains],
            "length": [len(c.nodes) - 1 for c in chains],
        }
    )
