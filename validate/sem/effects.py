"""Structural coefficients and latent covariances straight from a free-parameter vector.

The bootstrap calls this once per resample, so it works on the compiled model's
matrices without building a parameter table.
"""

from __future__ import annotations

import numpy as np

from .estimate import _compiled

__all__ = ["latent_structure"]


def latent_structure(spec, theta: np.ndarray, factors: list[str], group: int = 0):
    """Return ``(B, cov)`` for the latent variables ``factors`` of group ``group``.

    ``B[to, from]`` holds the regression of one latent variable on another and
    ``cov`` the model-implied (total) covariance matrix of the latent variables,
    ``(I - A)^-1 S (I - A)^-T`` restricted to ``factors``.
    """
    cm = _compiled(spec)
    A, S, _ = cm.matrices(np.asarray(theta, float), group)
    names = list(cm.ov_names) + list(cm.lv_names)
    idx = [names.index(f) for f in factors]
    T = np.linalg.inv(np.eye(A.shape[0]) - A)
    tot = T @ S @ T.T
    return A[np.ix_(idx, idx)], tot[np.ix_(idx, idx)]
