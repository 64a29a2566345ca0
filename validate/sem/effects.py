"""Structural coefficients and latent covariances straight from a free-parameter vector.

The bootstrap calls this once per resample, so it works on the compiled model's
matrices without building a parameter table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .estimate import compiled_model

__all__ = ["EffectVector", "latent_matrices", "latent_structure"]


def _factor_index(cm, factors) -> np.ndarray:
    names = list(cm.ov_names) + list(cm.lv_names)
    return np.asarray([names.index(f) for f in factors], dtype=np.intp)


def latent_structure(spec, theta: np.ndarray, factors: list[str], group: int = 0):
    """Return ``(B, cov)`` for the latent variables ``factors`` of group ``group``.

    ``B[to, from]`` holds the regression of one latent variable on another and
    ``cov`` the model-implied (total) covariance matrix of the latent variables,
    ``(I - A)^-1 S (I - A)^-T`` restricted to ``factors``.
    """
    cm = compiled_model(spec)
    A, S, _ = cm.matrices(np.asarray(theta, float), group)
    idx = _factor_index(cm, factors)
    Tf = cm.inverse_i_minus_a(A)[idx]  # rows of (I - A)^-1 for the factors
    return A[np.ix_(idx, idx)], Tf @ S @ Tf.T


class EffectVector:
    """Indirect, standardised indirect, total and total indirect effects from ``theta``.

    The same vector as ``validate.structural.analysis._effect_vector(*latent_structure(...), ...)``
    -- per chain ``[effect, standardised effect]``, then per (source, target)
    pair ``[total effect, total indirect effect]`` -- with the index work done
    once, for the bootstrap's per-resample call.

    Parameters
    ----------
    spec : ParTable
        The fitted model (``SemResult.spec``).
    factors : list of str
        The latent variables, in the order of the mechanism.
    chains : list of Chain
        Each with ``nodes`` (source, mediators..., target).
    pairs : list of (str, str)
    group : int
    """

    def __init__(self, spec, factors, chains, pairs, group: int = 0):
        self.spec = spec
        self.group = group
        cm = compiled_model(spec)
        self.idx = _factor_index(cm, factors)
        k = len(factors)
        self.k = k
        ix = {f: i for i, f in enumerate(factors)}
        longest = max((len(c.nodes) - 1 for c in chains), default=1)
        pad = k * k  # index of an appended 1.0
        steps = np.full((len(chains), longest), pad, dtype=np.intp)
        for r, c in enumerate(chains):
            for s, (a, b) in enumerate(zip(c.nodes[:-1], c.nodes[1:])):
                steps[r, s] = ix[b] * k + ix[a]  # B[to, from]
        self.steps = steps
        self.src = np.asarray([ix[c.source] for c in chains], dtype=np.intp)
        self.tgt = np.asarray([ix[c.target] for c in chains], dtype=np.intp)
        self.pair_cell = np.asarray([ix[y] * k + ix[x] for x, y in pairs], dtype=np.intp)
        self.nchains, self.npairs = len(chains), len(pairs)
        self.eye = np.eye(k)

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        B, cov = self._structure(theta)
        Bx = np.append(B.ravel(), 1.0)
        eff = Bx[self.steps].prod(axis=1)
        sd = np.sqrt(np.clip(cov.diagonal(), 1e-300, None))
        out = np.empty(2 * self.nchains + 2 * self.npairs)
        out[0 : 2 * self.nchains : 2] = eff
        out[1 : 2 * self.nchains : 2] = eff * sd[self.src] / sd[self.tgt]
        if self.npairs:
            tot = (np.linalg.solve(self.eye - B, self.eye) - self.eye).ravel()[self.pair_cell]
            base = 2 * self.nchains
            out[base::2] = tot
            out[base + 1 :: 2] = tot - B.ravel()[self.pair_cell]
        return out

    def _structure(self, theta):
        cm = compiled_model(self.spec)
        A, S, _ = cm.matrices(np.asarray(theta, float), self.group)
        Tf = cm.inverse_i_minus_a(A)[self.idx]
        return A[np.ix_(self.idx, self.idx)], Tf @ S @ Tf.T


def latent_matrices(params: pd.DataFrame, factors: list[str]):
    """Structural coefficients ``B[to, from]``, residual covariance ``Psi`` and total latent covariance."""
    k = len(factors)
    ix = {f: i for i, f in enumerate(factors)}
    B = np.zeros((k, k))
    Psi = np.zeros((k, k))
    for r in params.itertuples(index=False):
        if r.op == "~" and r.lhs in ix and r.rhs in ix:
            B[ix[r.lhs], ix[r.rhs]] = r.estimate
        elif r.op == "~~" and r.lhs in ix and r.rhs in ix:
            Psi[ix[r.lhs], ix[r.rhs]] = Psi[ix[r.rhs], ix[r.lhs]] = r.estimate
    T = np.linalg.inv(np.eye(k) - B)
    return B, Psi, T @ Psi @ T.T
