"""Where resampling and simulation work runs: local worker processes or a Dask cluster.

An *executor* is a callable ``executor(fn, list_of_arg_tuples) -> iterator of
results`` that runs ``fn(*args)`` for every tuple and yields the results in
any order, as they finish. :func:`validate.structural.bootstrap.run_bootstrap` and
:func:`validate.power.study.power_study` take one through their ``executor=``
argument. Every task seeds its own random numbers from a
:class:`numpy.random.SeedSequence` keyed by the task's replication numbers,
never from worker state, so the same seed gives the same results whichever
executor runs the tasks, in whatever order.

Functions
---------
make_executor
    A local executor (``scheduler=None``: joblib loky worker processes) or a
    Dask executor connected to ``tcp://HOST:PORT``.

Classes
-------
LocalExecutor
    ``workers`` local processes (1 runs the tasks in this process).
DaskExecutor
    Tasks submitted to an existing Dask distributed cluster; results are
    yielded as they complete; tasks of a worker that dies are rescheduled,
    and failed tasks are retried.

Notes
-----
Dask is an optional extra: ``pip install "vcc-toolkit[cluster]"`` (which
installs ``dask[distributed]``). Every Dask worker needs the same version of
the toolkit installed as the machine that submits the work; the executor
checks this when it connects (a fingerprint of the toolkit's statistical
source files) and refuses workers that differ.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import numpy as np

from instruments.errors import InputError
from validate.blas import single_threaded_blas

__all__ = ["ClusterError", "DaskExecutor", "LocalExecutor", "make_executor", "toolkit_fingerprint"]

#: Name of the optional dependency group that installs Dask.
CLUSTER_EXTRA = "cluster"

_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+):(\d{1,5})$")


class ClusterError(InputError):
    """The Dask cluster cannot be used (unreachable, no workers, workers without the toolkit, tasks lost)."""


# --------------------------------------------------------------------------- helpers


def toolkit_fingerprint() -> str:
    """SHA-256 (first 16 hex digits) of the toolkit's statistical source files.

    Covers ``validate/*.py``, ``validate/sem/*.py`` and ``validate/pls/*.py``: two machines with the
    same fingerprint compute the same numbers from the same seed.
    """
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(list(root.glob("*.py")) + list(root.glob("sem/*.py")) + list(root.glob("pls/*.py"))):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _worker_fingerprint() -> str:  # runs on each Dask worker
    return toolkit_fingerprint()


def _pinned_call(fn: Callable, args: tuple) -> Any:
    """Run ``fn(*args)`` with BLAS limited to one thread (one task per core, no oversubscription)."""
    with single_threaded_blas():
        return fn(*args)


def _import_distributed():
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise InputError(
            "running on a Dask cluster needs the optional extra 'cluster', which is not installed; "
            'install it with: pip install "vcc-toolkit[cluster]" (or: pip install "dask[distributed]"), '
            "or leave out --scheduler to run on local worker processes"
        ) from None
    return distributed


# --------------------------------------------------------------------------- local


class LocalExecutor:
    """Run tasks on ``workers`` local processes (joblib loky); 1 runs them in this process.

    BLAS is limited to one thread inside every task.
    """

    def __init__(self, workers: int | None = None):
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise InputError(f"workers: {workers!r} is not a whole number of worker processes >= 1")
        self.workers = workers or max(1, os.cpu_count() or 1)

    def __call__(self, fn: Callable, args: Iterable[tuple]) -> Iterator:
        args = list(args)
        if self.workers == 1 or len(args) <= 1:
            return (_pinned_call(fn, a) for a in args)
        from joblib import Parallel, delayed

        return Parallel(n_jobs=min(self.workers, len(args)), return_as="generator_unordered")(
            delayed(_pinned_call)(fn, a) for a in args
        )

    def describe(self) -> str:
        return f"{self.workers} local worker process{'es' if self.workers != 1 else ''}"

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# --------------------------------------------------------------------------- dask


SCATTER_BYTES = 1_000_000
"""Arguments larger than this are scattered to a Dask cluster once instead of sent with every task."""


class DaskExecutor:
    """Submit tasks to a Dask distributed scheduler and yield results as they finish.

    Use :func:`make_executor` to build one. Each task is submitted with
    ``pure=False`` (never deduplicated) and ``retries``: a task that raises is
    run again up to ``retries`` times, and the tasks of a worker that dies are
    rescheduled on the other workers by the scheduler. The executor is a
    context manager; :meth:`close` disconnects the client (the cluster keeps
    running).
    """

    def __init__(self, client, address: str, retries: int = 3):
        self.client = client
        self.address = address
        self.retries = retries

    @property
    def n_workers(self) -> int:
        try:
            return len(self.client.scheduler_info().get("workers", {}))
        except Exception:  # pragma: no cover - scheduler gone
            return 0

    def describe(self) -> str:
        n = self.n_workers
        return f"Dask cluster at {self.address} ({n} worker{'s' if n != 1 else ''})"

    def __call__(self, fn: Callable, args: Iterable[tuple]) -> Iterator:
        return self._run(fn, list(args))

    def _run(self, fn: Callable, args: list[tuple]) -> Iterator:
        distributed = _import_distributed()
        from distributed import as_completed

        args = self._scatter_large(args)
        futures = [self.client.submit(_pinned_call, fn, a, pure=False, retries=self.retries) for a in args]
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                try:
                    result = fut.result()
                except distributed.KilledWorker as exc:
                    raise ClusterError(
                        f"the Dask cluster at {self.address} lost a task: it was running on workers that "
                        f"died {exc.args[0] if exc.args else ''} several times in a row; the workers may be "
                        "running out of memory or being stopped. Check the worker logs and run again"
                    ) from None
                except (
                    OSError,
                    distributed.comm.CommClosedError,
                    TimeoutError,
                    CancelledError,
                    asyncio.CancelledError,
                ) as exc:
                    raise ClusterError(
                        f"the connection to the Dask scheduler at {self.address} was lost during the run "
                        f"({type(exc).__name__}: {_one_line(exc)}); the run was stopped. Check the scheduler "
                        "and run again"
                    ) from None
                fut.release()
                yield result
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                try:
                    self.client.cancel(pending)
                except Exception:  # pragma: no cover - best effort on the way out
                    pass

    def _scatter_large(self, args: list[tuple]) -> list[tuple]:
        """Send each large array in the tasks' arguments to the cluster once, not once per task.

        An array of more than :data:`SCATTER_BYTES` (e.g. the respondents' data, 22 MB at
        100,000 x 28) is scattered and replaced by its future, which Dask resolves to the same
        array on the worker; the results are unchanged.
        """
        sent: dict[int, Any] = {}
        out = []
        for a in args:
            items = list(a)
            for i, v in enumerate(items):
                if isinstance(v, np.ndarray) and v.nbytes > SCATTER_BYTES:
                    if id(v) not in sent:
                        sent[id(v)] = self.client.scatter(v, hash=False)
                    items[i] = sent[id(v)]
            out.append(tuple(items))
        return out

    def close(self) -> None:
        try:
            self.client.close(timeout=2)
        except Exception:  # pragma: no cover - best effort
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def make_executor(scheduler: str | None = None, timeout: float = 5, *, workers: int | None = None, retries: int = 3):
    """An executor for :func:`~validate.structural.bootstrap.run_bootstrap` and :func:`~validate.power.study.power_study`.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running Dask scheduler, ``tcp://HOST:PORT`` (or
        ``tls://HOST:PORT``). ``None`` runs on local worker processes.
    timeout : float, default 5
        Seconds to wait for the scheduler (and for at least one worker).
    workers : int, optional
        Local worker processes when ``scheduler`` is ``None`` (default: all
        cores; 1 runs in this process).
    retries : int, default 3
        Times a failed task is run again on the cluster.

    Returns
    -------
    LocalExecutor or DaskExecutor
        ``executor(fn, list_of_arg_tuples) -> iterator of results`` (in
        completion order); also a context manager with ``close()`` and
        ``describe()``.

    Raises
    ------
    InputError
        A malformed address; Dask not installed (naming the ``cluster``
        extra); and, as :class:`ClusterError`, a scheduler that cannot be
        reached within ``timeout`` seconds, a cluster without workers, or
        workers that cannot run this version of the toolkit. A scheduler that
        was asked for is never replaced by local workers silently.

    Examples
    --------
    >>> with make_executor(None, workers=1) as ex:
    ...     sorted(ex(pow, [(2, 3), (3, 2)]))
    [8, 9]
    """
    if scheduler is None:
        return LocalExecutor(workers)
    if not isinstance(scheduler, str) or not _ADDRESS.match(scheduler.strip()):
        raise InputError(
            f"scheduler: {scheduler!r} is not a Dask scheduler address; expected "
            "tcp://HOST:PORT, e.g. tcp://192.168.1.10:8786"
        )
    address = scheduler.strip()
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise InputError(f"timeout: {timeout!r} is not a positive number of seconds")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InputError(f"retries: {retries!r} is not a whole number >= 0")
    _import_distributed()
    from distributed import Client

    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address}; is it running? Start one with "
            f"`dask scheduler` and workers with `dask worker {address}` on each machine, check the "
            f"host, port and firewall, or leave out --scheduler to run on local workers "
            f"({type(exc).__name__}: {_one_line(exc)})"
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError):
            raise ClusterError(
                f"the Dask scheduler at {address} has no workers (waited {timeout:g} s); "
                f"start some with `dask worker {address}`"
            ) from None
        mine = toolkit_fingerprint()
        try:
            theirs = client.run(_worker_fingerprint)
        except Exception as exc:  # any failure to run our code on a worker
            raise ClusterError(
                f"the workers of the Dask cluster at {address} cannot run the toolkit "
                f"({type(exc).__name__}: {_one_line(exc)}); install the same version of vcc-toolkit on every "
                'worker machine (pip install "vcc-toolkit[cluster]")'
            ) from None
        differ = sorted(w for w, fp in theirs.items() if fp != mine)
        if differ:
            raise ClusterError(
                f"{len(differ)} worker(s) of the Dask cluster at {address} run a different version of the "
                "toolkit, so the same seed could give different results; install the same version "
                "everywhere",
                problems=[f"{w}: fingerprint {theirs[w]} (here: {mine})" for w in differ],
            )
    except BaseException:
        client.close()
        raise
    return DaskExecutor(client, address, retries)
