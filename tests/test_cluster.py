"""Running bootstrap and power work on a real Dask cluster (validate.executors).

A ``distributed.LocalCluster`` with two worker processes stands in for a
cluster of machines: same scheduler, same protocol, same failure handling.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

# Not importorskip: these tests must run in CI, so a missing Dask is an error, not a silent skip
# (install with: pip install ".[test,cluster]").
import distributed
import numpy as np
import pandas as pd
import pytest

from instruments.errors import InputError
from instruments.spec import load_spec
from validate.executors import ClusterError, DaskExecutor, LocalExecutor, make_executor
from validate.power.study import power_study
from validate.structural.bootstrap import run_bootstrap

MINIMAL = Path(__file__).parent / "fixtures" / "specs" / "minimal.yaml"


# --------------------------------------------------------------------------- picklable helpers
# (the workers import this module)


class MeanStat:
    """Cheap bootstrap statistic: column means."""

    def __call__(self, rows):
        return rows.mean(axis=0), None


class SemPathStat:
    """SEM bootstrap statistic: the structural paths of the minimal model refitted from each resample's moments."""

    def __init__(self):
        from validate.sem import parse_model

        spec = load_spec(MINIMAL)
        self.model = parse_model(spec.mechanisms["main"].lavaan_syntax(structural=True), kind="sem")
        pt = self.model.partable
        self.free = [int(r.free) - 1 for r in pt.itertuples() if r.op == "~"]

    def __call__(self, rows):
        from validate.sem import fit_moments

        fit = fit_moments(self.model, [np.cov(rows, rowvar=False, bias=True)], [rows.mean(axis=0)], [len(rows)])
        if not fit.converged:
            return None, "did not converge"
        return fit.theta[self.free], None


class KillFirstAttempt:
    """Wraps a task function: the first task to run makes its worker process die (os._exit).

    A marker file records the first attempt, so the rescheduled task and all later ones run normally.
    """

    def __init__(self, fn, marker: str):
        self.fn = fn
        self.marker = marker

    def __call__(self, *args):
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return self.fn(*args)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os._exit(1)


def _pid():
    return os.getpid()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as c:
        yield c


@pytest.fixture(scope="module")
def executor(cluster):
    with make_executor(cluster.scheduler_address) as ex:
        yield ex


@pytest.fixture(scope="module")
def spec():
    return load_spec(MINIMAL)


@pytest.fixture(scope="module")
def data():
    from validate.power.simulate import simulate_mechanism

    spec = load_spec(MINIMAL)
    df = simulate_mechanism(spec.mechanisms["main"], spec.scale, 150, paths=0.3, seed=7)
    return df.to_numpy(dtype=float)


# --------------------------------------------------------------------------- same results as local


def test_executor_describes_the_cluster(executor, cluster):
    assert isinstance(executor, DaskExecutor)
    assert executor.n_workers == 2
    assert executor.describe() == f"Dask cluster at {cluster.scheduler_address} (2 workers)"
    assert sorted(executor(pow, [(2, 3), (3, 2), (2, 5)])) == [8, 9, 32]


def test_bootstrap_on_cluster_equals_local(executor, data):
    local = run_bootstrap(MeanStat(), data, 120, data.shape[1], seed=9, workers=1, progress=False)
    remote = run_bootstrap(MeanStat(), data, 120, data.shape[1], seed=9, executor=executor, progress=False)
    assert remote.completed == 120
    np.testing.assert_array_equal(remote.draws, local.draws)


def test_large_data_is_scattered_once_and_gives_the_same_draws(executor):
    # 50,000 x 4 doubles = 1.6 MB > SCATTER_BYTES: sent to the cluster once, as a future
    from validate.executors import SCATTER_BYTES

    big = np.random.default_rng(3).normal(size=(50_000, 4))
    assert big.nbytes > SCATTER_BYTES
    args = executor._scatter_large([(MeanStat(), big, 1), (MeanStat(), big, 2), (MeanStat(), big[:10], 3)])
    assert type(args[0][1]) is distributed.Future and args[0][1] is args[1][1]  # one future for both tasks
    assert isinstance(args[2][1], np.ndarray)  # small arrays travel with their task
    local = run_bootstrap(MeanStat(), big, 24, 4, seed=2, workers=1, progress=False, chunk=6)
    remote = run_bootstrap(MeanStat(), big, 24, 4, seed=2, executor=executor, progress=False, chunk=6)
    np.testing.assert_array_equal(remote.draws, local.draws)


def test_sem_bootstrap_on_cluster_equals_local(executor, data):
    stat = SemPathStat()
    local = run_bootstrap(stat, data, 30, 2, seed=5, workers=1, progress=False, chunk=10)
    remote = run_bootstrap(stat, data, 30, 2, seed=5, executor=executor, progress=False, chunk=10)
    assert remote.completed == local.completed == 30
    np.testing.assert_allclose(remote.draws, local.draws, rtol=0, atol=1e-12)
    assert remote.draws.mean() > 0.1 and remote.draws.std() > 0.01  # real path estimates that vary


def test_power_study_on_cluster_equals_local(executor, spec):
    kw = dict(ns=[120, 200], replications=20, seed=17, progress=False)
    local = power_study(spec, "main", workers=1, **kw)
    remote = power_study(spec, "main", executor=executor, **kw)
    pd.testing.assert_frame_equal(remote.table, local.table, check_exact=True)
    pd.testing.assert_frame_equal(remote.required, local.required, check_exact=True)
    assert remote.settings["run"]["executor"].startswith("Dask cluster at tcp://127.0.0.1:")
    assert (remote.table["replications"] == 20).all()


def test_power_study_connects_by_address(cluster, spec):
    kw = dict(ns=[120], replications=10, seed=4, progress=False)
    remote = power_study(spec, "main", scheduler=cluster.scheduler_address, **kw)
    local = power_study(spec, "main", workers=1, **kw)
    pd.testing.assert_frame_equal(remote.table, local.table, check_exact=True)


def test_structural_bootstrap_statistic_on_cluster_equals_local(executor, spec):
    """The analysis' own SEM bootstrap statistic (indirect effects refitted from moments) on the cluster."""
    from validate.power.simulate import simulate_mechanism
    from validate.sem import fit_sem
    from validate.structural.analysis import SemBootstrapStatistic
    from validate.structural.mediation import enumerate_chains

    mech = spec.mechanisms["main"]
    df = simulate_mechanism(mech, spec.scale, 200, paths=0.4, seed=12)
    df["DRV3"] = spec.scale.min + spec.scale.max - df["DRV3"]  # reverse-keyed item, recoded
    res = fit_sem(mech.lavaan_syntax(structural=True), df)
    assert res.converged
    factors = list(mech.constructs)
    chains = enumerate_chains([(p.source, p.target) for p in mech.paths])
    pairs = [(c.source, c.target) for c in chains]
    items = list(res.spec.ov_names)
    stat = SemBootstrapStatistic(res.spec, res.theta, items, factors, chains, pairs)
    data = df[items].to_numpy(float)
    local = run_bootstrap(stat, data, 40, stat.k, seed=8, workers=1, progress=False, chunk=10)
    remote = run_bootstrap(stat, data, 40, stat.k, seed=8, executor=executor, progress=False, chunk=10)
    assert local.completed == remote.completed == 40
    np.testing.assert_allclose(remote.draws, local.draws, rtol=0, atol=1e-12)
    assert 0.05 < np.mean(remote.draws[:, 0]) < 0.5  # the DRV -> ACT -> OUT indirect effect


# --------------------------------------------------------------------------- a worker dies mid-run


def test_worker_killed_mid_run_loses_nothing(executor, cluster, spec, tmp_path):
    marker = tmp_path / "first_attempt"
    pids_before = set(executor.client.run(_pid).values())

    def killing(fn, args):
        return executor(KillFirstAttempt(fn, str(marker)), args)

    kw = dict(ns=[120, 200], replications=20, seed=23, progress=False, chunk=5)
    remote = power_study(spec, "main", executor=killing, **kw)
    assert marker.exists()
    killed = int(marker.read_text())
    assert killed in pids_before  # a real worker process died...
    assert (remote.table["replications"] == 20).all()  # ...and every replication was still counted
    assert (remote.table["converged"] == 20).all()
    local = power_study(spec, "main", workers=1, **kw)
    pd.testing.assert_frame_equal(remote.table, local.table, check_exact=True)
    # the nanny restarted the dead worker: the cluster is whole again
    executor.client.wait_for_workers(2, timeout=30)
    assert killed not in set(executor.client.run(_pid).values())


def test_bootstrap_survives_a_killed_worker(executor, data, tmp_path):
    marker = tmp_path / "first_attempt"

    def killing(fn, args):
        return executor(KillFirstAttempt(fn, str(marker)), args)

    res = run_bootstrap(MeanStat(), data, 60, data.shape[1], seed=3, executor=killing, progress=False, chunk=10)
    assert marker.exists()
    assert res.completed == 60
    local = run_bootstrap(MeanStat(), data, 60, data.shape[1], seed=3, workers=1, progress=False, chunk=10)
    np.testing.assert_array_equal(res.draws, local.draws)
    executor.client.wait_for_workers(2, timeout=30)


# --------------------------------------------------------------------------- errors


def test_unreachable_scheduler_fails_fast():
    t0 = time.monotonic()
    with pytest.raises(InputError, match=r"cannot reach the Dask scheduler at tcp://127.0.0.1:9; is it running\?"):
        make_executor("tcp://127.0.0.1:9", timeout=2)
    assert time.monotonic() - t0 < 10


def test_unreachable_scheduler_from_power_study_never_runs_locally(spec):
    t0 = time.monotonic()
    with pytest.raises(ClusterError, match=r"cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        power_study(spec, "main", ns=[100], replications=2, scheduler="tcp://127.0.0.1:9", progress=False)
    assert time.monotonic() - t0 < 10


@pytest.mark.parametrize("address", ["127.0.0.1:8786", "http://host:8786", "tcp://host", "tcp://host:port", 8786])
def test_malformed_address(address):
    with pytest.raises(InputError, match=r"is not a Dask scheduler address; expected tcp://HOST:PORT"):
        make_executor(address)


def test_missing_extra_names_it(monkeypatch, spec):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(InputError, match=r"needs the optional extra 'cluster'.*pip install \"vcc-toolkit\[cluster\]\""):
        make_executor("tcp://127.0.0.1:8786")
    with pytest.raises(InputError, match=r"needs the optional extra 'cluster'"):
        power_study(spec, "main", ns=[100], replications=2, scheduler="tcp://127.0.0.1:8786", progress=False)


def test_scheduler_without_workers():
    with distributed.LocalCluster(n_workers=0, processes=True, host="127.0.0.1", dashboard_address=":0") as c:
        with pytest.raises(ClusterError, match=r"has no workers \(waited 1 s\); start some with `dask worker"):
            make_executor(c.scheduler_address, timeout=1)


def test_workers_with_another_toolkit_version_are_refused(cluster, monkeypatch):
    import validate.executors as vc

    monkeypatch.setattr(vc, "toolkit_fingerprint", lambda: "0000000000000000")  # only here, not on the workers
    with pytest.raises(ClusterError, match=r"2 worker\(s\) of the Dask cluster at .* run a different version"):
        make_executor(cluster.scheduler_address)


def test_bad_executor_settings():
    with pytest.raises(InputError, match=r"timeout: 0 is not a positive number of seconds"):
        make_executor("tcp://127.0.0.1:8786", timeout=0)
    with pytest.raises(InputError, match=r"retries: -1 is not a whole number >= 0"):
        make_executor("tcp://127.0.0.1:8786", retries=-1)
    with pytest.raises(InputError, match=r"workers: 0 is not a whole number of worker processes >= 1"):
        LocalExecutor(0)


def test_local_executor_pins_blas_and_runs_everything():
    with make_executor(None, workers=2) as ex:
        assert isinstance(ex, LocalExecutor) and ex.describe() == "2 local worker processes"
        assert sorted(ex(pow, [(2, k) for k in range(6)])) == [1, 2, 4, 8, 16, 32]
    assert make_executor(None, workers=1).describe() == "1 local worker process"


def test_scheduler_lost_mid_run_is_a_clear_error():
    import threading

    c = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    )
    ex = make_executor(c.scheduler_address)
    address = c.scheduler_address
    got = []
    timer = threading.Timer(1.0, c.close)
    timer.start()
    try:
        with pytest.raises(
            ClusterError,
            match=rf"the connection to the Dask scheduler at {address} was lost "
            r"during the run \(FutureCancelledError: .*\); the run was stopped",
        ):
            for r in ex(time.sleep, [(0.4,)] * 30):
                got.append(r)
    finally:
        timer.join()
        ex.close()
        c.close()
    assert 0 < len(got) < 30
