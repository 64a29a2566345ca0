"""Starting values taken from a previous fit (lavaan's ``start = fit``).

The default starting values are :func:`validate.sem.estimate.start_values` (lavaan's ``lav_start``);
:func:`start_from` overwrites them with a related fit's estimates, matched by lhs, op, rhs and group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["start_covers", "start_from"]


def _row_keys(pt: pd.DataFrame):
    return zip(
        pt["lhs"].to_numpy(), pt["op"].to_numpy(), pt["rhs"].to_numpy(), pt["group"].to_numpy().astype(int).tolist()
    )


def _start_estimates(prev: pd.DataFrame) -> dict:
    est = prev["estimate"].to_numpy(dtype=float)
    return {k: v for k, v in zip(_row_keys(prev), est.tolist()) if np.isfinite(v)}


def start_from(theta0, core, prev: pd.DataFrame):
    """Starting values taken from a previous fit's parameter table, matched by lhs, op, rhs and group."""
    theta = np.array(theta0, dtype=float)
    est = _start_estimates(prev)
    for key, k in zip(_row_keys(core), core["free"].to_numpy().astype(int).tolist()):
        if k > 0:
            v = est.get(key)
            if v is not None:
                theta[k - 1] = v
    return theta


def start_covers(core, prev: pd.DataFrame) -> bool:
    """Does ``prev`` give a finite value for every free parameter of ``core``?"""
    est = _start_estimates(prev)
    free = core["free"].to_numpy().astype(int)
    q = int(free.max()) if len(free) else 0
    got = np.zeros(q + 1, dtype=bool)
    for key, k in zip(_row_keys(core), free.tolist()):
        if k > 0 and key in est:
            got[k] = True
    return bool(got[1:].all())
