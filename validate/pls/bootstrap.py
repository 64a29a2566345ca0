"""Bootstrap of a PLS path model: the statistic each resample computes, and the inference.

Every resample re-runs the whole estimator on rows drawn with replacement: the
missing-value treatment (mean replacement with the resample's means), the
standardisation, the PLS algorithm and PLSc. The draws come from
:func:`validate.structural.bootstrap.run_bootstrap` (resample ``b`` seeded by child ``b``
of one :class:`numpy.random.SeedSequence`), so the same seed gives the same draws on
any number of local workers or a Dask cluster (:mod:`validate.executors`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from validate.pls.assess import htmt, total_effects
from validate.pls.estimate import Estimate, Structure, estimate
from validate.pls.model import fill_and_correlate
from validate.structural.mediation import bca_ci, percentile_ci

__all__ = ["Layout", "PLSStatistic", "statistic_vector", "inference"]


@dataclass
class Layout:
    """Which statistic sits where in the vector a resample returns.

    Blocks, in order: ``weights`` and ``loadings`` (one per item), ``paths`` (one per path),
    ``total`` (one per pair connected by a path or a directed chain), ``indirect`` (one per specific
    indirect chain of two or more paths), ``total_indirect`` (total minus direct, one per ``total`` pair), ``htmt`` and ``htmt2`` (one per pair of constructs),
    ``r2`` (one per endogenous construct).
    """

    item_construct: list[tuple[int, int]]
    paths: list[tuple[int, int]]
    total: list[tuple[int, int]]
    chains: list[tuple[int, ...]]
    pairs: list[tuple[int, int]]
    endogenous: list[int]

    @classmethod
    def of(cls, st: Structure, paths: list[tuple[int, int]], chains: list[tuple[int, ...]]) -> Layout:
        ic = [(int(i), j) for j, b in enumerate(st.blocks) for i in b]
        total = sorted({(c[0], c[-1]) for c in chains} | set(paths))
        J = len(st.names)
        pairs = [(i, j) for i in range(J) for j in range(i + 1, J)]
        return cls(ic, list(paths), total, list(chains), pairs, st.endogenous)

    def slices(self) -> dict[str, slice]:
        sizes = [
            ("weights", len(self.item_construct)),
            ("loadings", len(self.item_construct)),
            ("paths", len(self.paths)),
            ("total", len(self.total)),
            ("indirect", len(self.chains)),
            ("total_indirect", len(self.total)),
            ("htmt", len(self.pairs)),
            ("htmt2", len(self.pairs)),
            ("r2", len(self.endogenous)),
        ]
        out, k = {}, 0
        for name, m in sizes:
            out[name] = slice(k, k + m)
            k += m
        return out

    @property
    def k(self) -> int:
        return list(self.slices().values())[-1].stop


def _flat(pairs, J: int) -> np.ndarray:
    return np.array([i * J + j for i, j in pairs], dtype=int)


def statistic_vector(est: Estimate, S: np.ndarray, st: Structure, lay: Layout) -> np.ndarray:
    """The statistics of one fit laid out as :class:`Layout` says."""
    J = len(st.names)
    plan = lay.__dict__.get("_plan")
    if plan is None:  # index arrays built once per layout
        L = max((len(c) for c in lay.chains), default=2)
        edges = np.full((len(lay.chains), L - 1), J * (J + 1) + J, dtype=int)  # padding: a 1 in B_ext
        for k, c in enumerate(lay.chains):
            edges[k, : len(c) - 1] = [c[m] * (J + 1) + c[m + 1] for m in range(len(c) - 1)]
        plan = lay._plan = (
            np.array([i for i, _ in lay.item_construct], dtype=int),
            np.array([j for _, j in lay.item_construct], dtype=int),
            _flat(lay.paths, J),
            _flat(lay.total, J),
            edges,
            _flat(lay.pairs, J),
            np.array(lay.endogenous, dtype=int),
        )
    wi, wj, paths, total, edges, pairs, endo = plan
    B = est.B
    T = total_effects(B)
    B_ext = np.zeros((J + 1, J + 1))
    B_ext[:J, :J] = B
    B_ext[J, J] = 1.0
    chains = np.prod(B_ext.ravel()[edges], axis=1) if len(lay.chains) else np.zeros(0)
    return np.concatenate(
        [
            est.W[wi, wj],
            est.loadings,
            B.ravel()[paths],
            T.ravel()[total],
            chains,
            (T - B).ravel()[total],
            htmt(S, st).ravel()[pairs],
            htmt(S, st, "htmt2").ravel()[pairs],
            est.r2[endo],
        ]
    )


class PLSStatistic:
    """A picklable resample statistic for :func:`validate.structural.bootstrap.run_bootstrap`.

    Called with the resampled raw rows (NaN where missing); returns ``(vector, None)`` or
    ``(None, reason)`` for a resample whose model cannot be estimated (an item without variance,
    a singular Mode B block, no convergence).
    """

    def __init__(self, st: Structure, lay: Layout, scheme: str, consistent: bool, tol: float, max_iter: int):
        self.st, self.lay = st, lay
        self.scheme, self.consistent, self.tol, self.max_iter = scheme, consistent, tol, max_iter

    @property
    def k(self) -> int:
        return self.lay.k

    def __call__(self, rows: np.ndarray):
        zr = fill_and_correlate(rows)
        if zr is None:
            return None, "an item had no variance in the resample"
        try:
            est = estimate(zr[1], self.st, self.scheme, self.consistent, self.tol, self.max_iter)
        except np.linalg.LinAlgError:
            return None, "a singular correlation matrix in the resample"
        if not est.converged:
            return None, f"the PLS algorithm did not converge in {self.max_iter} iterations"
        with np.errstate(all="ignore"):
            return statistic_vector(est, zr[1], self.st, self.lay), None


def inference(point: np.ndarray, draws: np.ndarray, jack: np.ndarray | None, level: float = 0.95) -> dict:
    """Bootstrap SE, t, p and percentile and BCa intervals of every statistic.

    Parameters
    ----------
    point : ndarray (k,)
        Full-sample estimates.
    draws : ndarray (B, k)
        Completed resamples.
    jack : ndarray (n, k), optional
        Leave-one-out estimates for the BCa acceleration; without them no BCa interval.

    Returns
    -------
    dict of ndarray (k,)
        ``se`` (SD of the draws), ``t = estimate / se``, ``p_value`` (two-sided, t distribution with
        B - 1 degrees of freedom, as SmartPLS), ``ci_lower``/``ci_upper`` (percentile, R's quantile
        type 7), ``bca_lower``/``bca_upper`` (Efron 1987).
    """
    k = point.size
    out = {key: np.full(k, np.nan) for key in ("se", "t", "p_value", "ci_lower", "ci_upper", "bca_lower", "bca_upper")}
    nb = draws.shape[0]
    if nb < 2:
        return out
    se = draws.std(axis=0, ddof=1)
    out["se"] = se
    with np.errstate(divide="ignore", invalid="ignore"):
        t = point / se
    out["t"] = np.where(se > 0, t, np.nan)
    out["p_value"] = np.where(se > 0, 2 * stats.t.sf(np.abs(out["t"]), nb - 1), np.nan)
    for m in range(k):
        out["ci_lower"][m], out["ci_upper"][m] = percentile_ci(draws[:, m], level)
        if jack is not None and np.isfinite(point[m]):
            out["bca_lower"][m], out["bca_upper"][m] = bca_ci(draws[:, m], point[m], jack[:, m], level)
    return out
