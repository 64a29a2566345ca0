"""Moderated mediation: conditional indirect effects and the index of moderated mediation.

A chain ``X -> M -> Y`` whose first stage ``X -> M`` is moderated by ``W`` (the latent
interaction ``XxW`` of :mod:`validate.structural.moderation`) has the conditional indirect effect
``(a + a3 w) b`` at the moderator value ``w``, and the index of moderated mediation ``a3 b``
(Hayes, 2015): the change of the indirect effect per unit of ``W``. When the second stage is
moderated, ``a (b + b3 w)`` and ``a b3``. The functions here are pure: they take the structural
coefficients and latent covariances of a fitted model (or of one bootstrap resample) and return
the statistics; :func:`validate.structural.analysis.analyse_structural` fits the model and runs
the bootstrap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from instruments.spec import Moderation

from .mediation import Chain, percentile_ci

__all__ = [
    "SD_LEVELS",
    "ModeratedChain",
    "moderated_chains",
    "conditional_effects",
    "ModeratedMediationVector",
    "delta_se",
    "moderated_mediation_rows",
    "METHOD",
]

#: The moderator values probed, in SDs of the latent moderator from its mean (0).
SD_LEVELS = (-1, 0, 1)

#: How the effects are computed (shown in the report and results.json).
METHOD = (
    "conditional indirect effects at -1, 0 and +1 SD of the latent moderator (SD from the model-implied "
    "latent variance, as semTools probe2WayMC) and the index of moderated mediation (Hayes, 2015), "
    "with percentile bootstrap intervals from the structural bootstrap's resamples and delta-method "
    "SEs (as lavaan's := definitions)"
)


#: Why a delta-method SE is missing.
SE_REASON = "no sampling covariance of the estimates, so no delta-method SE"


@dataclass(frozen=True)
class ModeratedChain:
    """A chain of the mediation analysis with the steps one moderator moderates.

    Attributes
    ----------
    chain : Chain
    moderator : str
    steps : tuple of int
        Positions of the moderated paths in the chain (0: the first stage ``nodes[0] -> nodes[1]``).
    products : tuple of str
        The latent product of each moderated step (``XxW``), in the order of ``steps``.
    """

    chain: Chain
    moderator: str
    steps: tuple[int, ...]
    products: tuple[str, ...]

    @property
    def linear(self) -> bool:
        """One moderated step: the indirect effect is linear in the moderator and has an index."""
        return len(self.steps) == 1

    @property
    def paths(self) -> list[str]:
        n = self.chain.nodes
        return [f"{n[s]} -> {n[s + 1]}" for s in self.steps]

    @property
    def stage(self) -> str:
        """``first`` (the path from the chain's source), ``second`` (the path into its target),
        ``middle`` (a path between mediators) or ``several``."""
        if not self.linear:
            return "several"
        s = self.steps[0]
        return "first" if s == 0 else "second" if s == len(self.chain.nodes) - 2 else "middle"

    @property
    def width(self) -> int:
        """Length of this chain's block in the statistic vector: the index (when linear), then one
        conditional indirect effect per moderator level."""
        return int(self.linear) + len(SD_LEVELS)


def moderated_chains(
    chains: list[Chain], moderations: tuple[Moderation, ...] | list[Moderation]
) -> list[ModeratedChain]:
    """Every (chain, moderator) pair in which the moderator moderates a path of the chain.

    Parameters
    ----------
    chains : list of Chain
        The indirect chains (:func:`validate.structural.mediation.enumerate_chains`).
    moderations : sequence of Moderation
        The spec's moderations.

    Returns
    -------
    list of ModeratedChain
        In the order of ``chains``, then of the moderators' first appearance in ``moderations``.
        A moderator that moderates two paths of one chain gives one entry with both steps
        (``linear`` is false: the indirect effect is quadratic in it and has no single index).
    """
    out = []
    for c in chains:
        by_mod: dict[str, list[tuple[int, str]]] = {}
        for s, (a, b) in enumerate(zip(c.nodes[:-1], c.nodes[1:])):
            for mo in moderations:
                if (mo.source, mo.target) == (a, b):
                    by_mod.setdefault(mo.moderator, []).append((s, mo.product))
        for w, steps in by_mod.items():
            out.append(ModeratedChain(c, w, tuple(s for s, _ in steps), tuple(p for _, p in steps)))
    return out


def conditional_effects(B: np.ndarray, cov: np.ndarray, ix: dict[str, int], mc: ModeratedChain) -> np.ndarray:
    """The index (when linear) and the conditional indirect effects at :data:`SD_LEVELS` SDs.

    Parameters
    ----------
    B : array (k, k)
        Structural coefficients ``B[to, from]`` among the constructs and latent products.
    cov : array (k, k)
        Model-implied (total) covariance of the same latent variables.
    ix : dict
        Name -> row of ``B``/``cov``.
    mc : ModeratedChain

    Returns
    -------
    ndarray
        ``[index, effect(-SD), effect(0), effect(+SD)]``; without the index when ``mc`` is not linear.

    Notes
    -----
    With ``w = k sd(W)``, the effect is ``prod_s (b_s + [s moderated] b3_s w)``, ``b_s`` the path
    of step ``s`` and ``b3_s`` the path from its latent product; moderators of other steps are at
    their mean (0; the latent variables have mean 0 and the product indicators are double-mean-centred).
    The index is ``b3 prod_{s' != s} b_s'`` (Hayes, 2015, eq. 5 for the first stage; the same for any
    one moderated stage). ``sd(W)`` is the square root of ``W``'s model-implied variance, as
    ``semTools::probe2WayMC``.
    """
    nodes = mc.chain.nodes
    b = np.array([B[ix[nodes[s + 1]], ix[nodes[s]]] for s in range(len(nodes) - 1)])
    b3 = np.zeros_like(b)
    for s, p in zip(mc.steps, mc.products):
        b3[s] = B[ix[nodes[s + 1]], ix[p]]
    sd = float(np.sqrt(max(cov[ix[mc.moderator], ix[mc.moderator]], 0.0)))
    out = []
    if mc.linear:
        s = mc.steps[0]
        out.append(b3[s] * np.prod(np.delete(b, s)))
    out += [float(np.prod(b + b3 * (k * sd))) for k in SD_LEVELS]
    return np.asarray(out, dtype=float)


class ModeratedMediationVector:
    """The statistics of every moderated chain, concatenated, from a fitted model's estimates.

    Parameters
    ----------
    mchains : list of ModeratedChain
    names : list of str
        The constructs, then the latent products (the latent variables the effects need).
    covariates : list of str
        Observed covariates of the structural model (controls), which add to the constructs' total
        variance; read by :meth:`from_params`.

    Notes
    -----
    Called on the free-parameter vector (``theta``) of a fitted model it reads the model's RAM
    matrices (:func:`validate.sem.effects.latent_structure`); :meth:`from_params` reads a parameter
    table instead (the raw-row refits of FIML and WLSMV). The two agree to rounding.
    """

    def __init__(self, mchains: list[ModeratedChain], names: list[str], covariates: list[str] = ()):
        self.mchains = list(mchains)
        self.names = list(names)
        self.covariates = list(covariates)
        self.ix = {n: i for i, n in enumerate(self.names)}

    @property
    def k(self) -> int:
        return sum(mc.width for mc in self.mchains)

    def from_matrices(self, B: np.ndarray, cov: np.ndarray) -> np.ndarray:
        if not self.mchains:
            return np.zeros(0)
        return np.concatenate([conditional_effects(B, cov, self.ix, mc) for mc in self.mchains])

    def from_theta(self, spec, theta: np.ndarray) -> np.ndarray:
        from validate.sem.effects import latent_structure

        B, cov = latent_structure(spec, theta, self.names)
        return self.from_matrices(B, cov)

    def from_params(self, params: pd.DataFrame) -> np.ndarray:
        from validate.sem.effects import latent_matrices

        k = len(self.names)
        B, _, cov = latent_matrices(params, self.names + self.covariates)
        return self.from_matrices(B[:k, :k], cov[:k, :k])


def delta_se(fn, theta: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    """Delta-method standard errors of ``fn(theta)``: ``sqrt(diag(J V J'))``.

    ``J`` by central differences with step ``1e-6 max(1, |theta_k|)``, as
    :func:`validate.sem.fit_sem` computes the SEs of ``:=`` definitions (lavaan's delta method).
    """
    theta = np.asarray(theta, float)
    f0 = np.asarray(fn(theta), float)
    J = np.zeros((f0.size, theta.size))
    for k in range(theta.size):
        h = 1e-6 * max(1.0, abs(theta[k]))
        tp, tm = theta.copy(), theta.copy()
        tp[k] += h
        tm[k] -= h
        J[:, k] = (np.asarray(fn(tp), float) - np.asarray(fn(tm), float)) / (2 * h)
    return np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, np.asarray(vcov, float), J), 0, None))


def _f(x) -> float | None:
    x = None if x is None else float(x)
    return x if x is not None and np.isfinite(x) else None


def moderated_mediation_rows(
    mchains: list[ModeratedChain],
    point: np.ndarray,
    se: np.ndarray | None,
    draws: np.ndarray | None,
    moderator_sd: dict[str, float],
    no_boot: str | None,
    alpha: float = 0.05,
) -> list[dict]:
    """``structural.moderated_mediation``: one row per (chain, moderator).

    Parameters
    ----------
    mchains : list of ModeratedChain
    point : array
        :class:`ModeratedMediationVector` at the full-sample estimates.
    se : array or None
        Its delta-method SEs (``None`` without a sampling covariance).
    draws : array (completed resamples, len(point)) or None
        The same statistics in each successful bootstrap resample.
    moderator_sd : dict
        Model-implied SD of each latent moderator at the full-sample estimates.
    no_boot : str or None
        Why there are no bootstrap intervals (when ``draws`` is None).
    alpha : float
        1 - the interval's level.

    Returns
    -------
    list of dict
        ``chain`` (construct ids), ``key``, ``moderator``, ``moderated_paths`` (``"X -> M"``),
        ``products`` (the latent products), ``stage`` (``first``, ``second``, ``middle``,
        ``several``), ``index`` (``estimate``, ``se`` (delta method), ``z``, ``p_value``,
        ``boot_se`` (SD of the bootstrap draws), ``ci_lower``, ``ci_upper`` (percentile),
        ``excludes_zero``; ``None`` with ``index_reason`` when the moderator moderates several
        paths of the chain), ``conditional`` (per level: ``moderator_sd`` (-1, 0, 1),
        ``moderator_value`` (latent units), ``estimate``, ``se``, ``boot_se``, ``ci_lower``,
        ``ci_upper``, ``excludes_zero``), ``moderator_sd_value`` (the SD used), ``ci``
        (how the interval was made), ``reason`` (when there are no intervals), ``se_reason``
        (when there are no delta-method SEs).

    Notes
    -----
    Hayes (2015): the indirect effect depends on ``W`` if and only if the index differs from zero,
    judged by its bootstrap interval; the conditional effects then say where the indirect effect
    holds. In each bootstrap resample the moderator's SD is that resample's model-implied SD (as a
    lavaan ``:=`` definition with ``sqrt`` of the variance parameter). Checked against lavaan 0.6.14
    ``:=`` definitions on the same product-indicator model (``tests/fixtures/moderated_mediation``,
    first- and second-stage moderation): estimates to 2.3e-6 and delta-method SEs to 2.7e-7, and
    percentile intervals within Monte Carlo error of ``se = "bootstrap"`` with as many draws.

    References
    ----------
    Hayes, A. F. (2015). An index and test of linear moderated mediation. *Multivariate Behavioral
    Research, 50*(1), 1-22.

    Preacher, K. J., Rucker, D. D., & Hayes, A. F. (2007). Addressing moderated mediation
    hypotheses: Theory, methods, and prescriptions. *Multivariate Behavioral Research, 42*(1), 185-227.
    """
    level = 1 - alpha
    out = []
    pos = 0

    def stat(j):
        est = _f(point[j])
        s = _f(se[j]) if se is not None else None
        row = {"estimate": est, "se": s}
        if draws is not None and draws.shape[0] > 1:
            d = draws[:, j]
            lo, hi = percentile_ci(d, level)
            row.update(boot_se=_f(np.std(d, ddof=1)), ci_lower=_f(lo), ci_upper=_f(hi))
        else:
            row.update(boot_se=None, ci_lower=None, ci_upper=None)
        lo, hi = row["ci_lower"], row["ci_upper"]
        row["excludes_zero"] = None if lo is None or hi is None else bool(lo > 0 or hi < 0)
        return row

    for mc in mchains:
        sd = moderator_sd[mc.moderator]
        r = {
            "chain": list(mc.chain.nodes),
            "key": mc.chain.key,
            "moderator": mc.moderator,
            "moderated_paths": mc.paths,
            "products": list(mc.products),
            "stage": mc.stage,
            "moderator_sd_value": _f(sd),
            "method": METHOD,
        }
        if mc.linear:
            ix = stat(pos)
            z = ix["estimate"] / ix["se"] if ix["estimate"] is not None and ix["se"] else None
            ix["z"] = _f(z)
            ix["p_value"] = _f(2 * stats.norm.sf(abs(z))) if z is not None else None
            r["index"] = ix
            pos += 1
        else:
            r["index"] = None
            r["index_reason"] = (
                f"{mc.moderator} moderates {len(mc.steps)} paths of this chain "
                f"({', '.join(mc.paths)}), so the indirect effect is not linear in it and has "
                "no single index of moderated mediation (Hayes, 2015)"
            )
        cond = []
        for k in SD_LEVELS:
            c = stat(pos)
            cond.append({"moderator_sd": k, "moderator_value": _f(k * sd), **c})
            pos += 1
        r["conditional"] = cond
        if se is None or any(c["se"] is None for c in cond):
            r["se_reason"] = SE_REASON
        if draws is None or draws.shape[0] <= 1:
            r["reason"] = no_boot
            r["ci"] = None
        else:
            r["ci"] = f"percentile bootstrap, {level:.0%}"
        out.append(r)
    return out
