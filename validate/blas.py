"""One BLAS thread around the toolkit's small-matrix work.

Multi-threaded OpenBLAS on 10-100 x 10-100 matrices is slower than one thread
and, on a loaded machine, dramatically so (measured: 330 ms against 5 ms per
refit of a 28-indicator model; up to 50 times slower inside scipy's L-BFGS-B).
Every fit, optimiser and worker chunk runs inside :func:`single_threaded_blas`;
the previous limit is restored on exit.
"""

from __future__ import annotations

from threadpoolctl import ThreadpoolController

__all__ = ["single_threaded_blas"]

_CONTROLLER = ThreadpoolController()


def single_threaded_blas():
    """Context manager limiting BLAS to one thread, restoring the previous limit on exit."""
    return _CONTROLLER.limit(limits=1, user_api="blas")
