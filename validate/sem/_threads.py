"""Keep BLAS single-threaded around the small-matrix hot loops.

Multi-threaded OpenBLAS on 10-100 x 10-100 matrices is slower than one
thread and, on a loaded machine, dramatically so (measured: 330 ms vs 5 ms
per refit of a 28-indicator model).  ``threadpoolctl`` is used when it is
installed; otherwise this is a no-op.
"""

from __future__ import annotations

import contextlib

try:  # optional dependency
    from threadpoolctl import ThreadpoolController
    _CONTROLLER = ThreadpoolController()
except Exception:  # pragma: no cover - threadpoolctl missing or broken
    _CONTROLLER = None


def single_threaded_blas():
    """Context manager limiting BLAS to one thread (no-op without threadpoolctl)."""
    if _CONTROLLER is None:
        return contextlib.nullcontext()
    return _CONTROLLER.limit(limits=1, user_api="blas")
