"""Importance-performance map analysis (IPMA; Ringle & Sarstedt 2016) of a fitted PLS model.

For a target construct ``t``:

1. every indicator is rescaled to 0-100 with the minimum and maximum of its answer scale (from the
   spec, e.g. 1-7): ``x* = (x - min) / (max - min) · 100``;
2. the unstandardised weights of the rescaled indicators, ``w_i / sd(x*_i)`` (``w_i`` the standardised
   outer weight), are normalised to sum to 1 within each construct: ``w̃_i``;
3. a construct's rescaled score is ``Σ w̃_i x*_i`` (0-100 when the weights are non-negative) and its
   **performance** is the mean of that score;
4. its **importance** is its unstandardised total effect on the target: the standardised total effect
   times ``sd(score*_t) / sd(score*_j)`` (for the composites of PLS this is exactly the total effect of
   the OLS regressions on the rescaled scores);
5. at the indicator level, importance ``w̃_i`` times its construct's importance, performance the mean of
   ``x*_i``.

Missing answers are mean-replaced as in the estimation. Checked against a data-level computation (the
OLS regressions of the rescaled scores along the model, total effects from them).

References
----------
Ringle, C. M., & Sarstedt, M. (2016). Gain more insight from your PLS-SEM results: The importance-performance
map analysis. *Industrial Management & Data Systems*, 116, 1865-1886.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from instruments.errors import InputError
from validate.pls.assess import total_effects

__all__ = ["ipma"]


def ipma(res, targets: str | Sequence[str], scales: Mapping[str, tuple[float, float]]) -> dict:
    """IPMA of one or more target constructs.

    Parameters
    ----------
    res : PLSResults
    targets : str or sequence of str
        Endogenous constructs to explain.
    scales : mapping item -> (min, max)
        The answer scale of every indicator (the spec's scale of the item's construct).

    Returns
    -------
    dict
        ``{"targets": {target: {"constructs": [{construct, importance, performance}],
        "indicators": [{construct, item, importance, performance, weight}]}}, "performance": {construct:
        performance}, "warnings": [...]}``, the ``ipma`` entry of ``mechanisms.<m>.pls``.

    Notes
    -----
    See the module docstring. Ringle & Sarstedt (2016) require non-negative outer weights: a negative
    weight is reported as a warning (the construct's performance may then leave 0-100).
    """
    st, est = res.st, res.est
    targets = [targets] if isinstance(targets, str) else list(targets)
    for t in targets:
        if t not in st.names:
            raise InputError(
                f"--ipma-target {t}: not a construct of the PLS model; expected one of " + ", ".join(st.names)
            )
        if not st.preds[st.names.index(t)].size:
            raise InputError(
                f"--ipma-target {t}: an exogenous construct has no predecessors to map; expected an "
                "endogenous construct (one a path points to)"
            )
    missing = [it for it in st.items if it not in scales]
    if missing:
        raise InputError("IPMA: no answer scale (min, max) for item(s) " + ", ".join(missing))
    lo = np.array([float(scales[it][0]) for it in st.items])
    hi = np.array([float(scales[it][1]) for it in st.items])
    if np.any(hi <= lo):
        bad = st.items[int(np.argmax(hi <= lo))]
        raise InputError(f"IPMA: the scale of item {bad} has max <= min; expected min < max")
    X = res.data.raw.copy()
    nan = np.isnan(X)
    if nan.any():
        X[nan] = np.take(np.nanmean(X, axis=0), np.nonzero(nan)[1])
    warnings = []
    outside = [st.items[i] for i in range(X.shape[1]) if X[:, i].min() < lo[i] or X[:, i].max() > hi[i]]
    if outside:
        warnings.append(
            "answers outside the scale's minimum and maximum for "
            + ", ".join(outside)
            + ": their performance can leave 0-100"
        )
    R = (X - lo) / (hi - lo) * 100
    sd = R.std(axis=0, ddof=1)
    J = len(st.names)
    w = np.zeros(len(st.items))
    neg = []
    for j, b in enumerate(st.blocks):
        u = est.W[b, j] / sd[b]
        w[b] = u / u.sum()
        neg += [st.items[i] for i in b if est.W[i, j] < 0]
    if neg:
        warnings.append(
            "negative outer weight(s) for " + ", ".join(neg) + ": IPMA assumes non-negative weights "
            "(Ringle & Sarstedt 2016); the performance of their constructs may leave 0-100"
        )
    scores = np.column_stack([R[:, b] @ w[b] for b in st.blocks])
    perf = scores.mean(0)
    ssd = scores.std(0, ddof=1)
    T = total_effects(est.B)
    out = {}
    for t in targets:
        k = st.names.index(t)
        cons, inds = [], []
        for j in range(J):
            if j == k or abs(T[j, k]) == 0:
                continue
            imp = float(T[j, k] * ssd[k] / ssd[j])
            cons.append(
                {
                    "construct": st.names[j],
                    "importance": imp,
                    "performance": float(perf[j]),
                    "importance_standardised": float(T[j, k]),
                }
            )
            for i in st.blocks[j]:
                inds.append(
                    {
                        "construct": st.names[j],
                        "item": st.items[i],
                        "importance": float(w[i] * imp),
                        "performance": float(R[:, i].mean()),
                        "weight": float(w[i]),
                    }
                )
        out[t] = {"performance": float(perf[k]), "constructs": cons, "indicators": inds}
    return {
        "method": "importance-performance map analysis (Ringle & Sarstedt 2016): importance = unstandardised "
        "total effect on the target, performance = mean rescaled (0-100) construct score",
        "targets": out,
        "performance": {c: float(p) for c, p in zip(st.names, perf)},
        "scales": {it: [float(a), float(b)] for it, a, b in zip(st.items, lo, hi)},
        "warnings": warnings,
    }


def ipma_frame(entry: dict, target: str) -> pd.DataFrame:
    """The construct rows of one target as a tidy DataFrame: ``construct, importance, performance``."""
    return pd.DataFrame(entry["targets"][target]["constructs"])
