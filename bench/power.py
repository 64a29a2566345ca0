"""Replications per second of ``validate.power.study.power_study``: 1 and 2 local workers, and a 2-worker Dask cluster.

Run from the repository root::

    python bench/power.py                       # producer mechanism, n = 300, 120 replications per setting
    python bench/power.py --replications 200 --n 500

The bundled producer mechanism (60 items, 12 constructs, 32 paths, 64 indirect
effects) is simulated with every path at 0.2 (the conventional .30 leaves
its outcomes a negative residual variance). Every setting runs the same
replications with the same seed, and the results are checked to be identical.
Prints the figures and the projected wall time of a 1,000-replication x 4-n
study (n = 200, 300, 500, 800; the time per replication is interpolated
linearly in n between the measured n and n = 800, which the bench also times
on one worker), and writes them to ``bench/results/power.json``. The machine's
load average is recorded too: other work on the machine slows every figure,
the parallel ones most. It is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from instruments.outputs import write_text  # noqa: E402
from instruments.spec import load_spec  # noqa: E402
from validate.executors import make_executor  # noqa: E402
from validate.power.study import power_study  # noqa: E402


def _cpu_local() -> float:
    """CPU seconds used so far by this process and its worker processes (joblib/loky children)."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return total


def _cpu_dask(client) -> float:
    return sum(client.run(time.process_time).values())


REPEAT = 3


def timed(label: str, fn, cpu=_cpu_local) -> tuple[float, float, object]:
    """Best (smallest) wall seconds of ``REPEAT`` runs, its CPU seconds, and the result of ``fn()``.

    The smallest time is the one least slowed by other work on the machine (as ``timeit`` reports).
    """
    best = None
    for _ in range(REPEAT):
        c0 = cpu()
        t0 = time.perf_counter()
        res = fn()
        dt = time.perf_counter() - t0
        dc = cpu() - c0
        if best is None or dt < best[0]:
            best = (dt, dc, res)
    print(f"  {label}: {best[0]:.2f} s wall, {best[1]:.2f} s CPU (best of {REPEAT})", flush=True)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mechanism", default="producer")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--replications", type=int, default=120)
    ap.add_argument("--assume-std", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="runs per setting; the fastest counts")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "power.json"))
    args = ap.parse_args(argv)

    global REPEAT
    REPEAT = max(1, args.repeat)
    spec = load_spec()
    R = args.replications
    kw = dict(ns=[args.n], replications=R, assume_std=args.assume_std, seed=args.seed, progress=False)
    print(
        f"{args.mechanism}, n = {args.n}, {R} replications per setting, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} (other work on the machine slows every figure)",
        flush=True,
    )

    # warm-up (imports, parsing, the loky pool), not timed
    power_study(
        spec,
        args.mechanism,
        ns=[args.n],
        replications=2,
        assume_std=args.assume_std,
        seed=99,
        workers=1,
        progress=False,
    )
    power_study(
        spec,
        args.mechanism,
        ns=[args.n],
        replications=4,
        assume_std=args.assume_std,
        seed=99,
        workers=2,
        progress=False,
        chunk=2,
    )

    t1, c1, r1 = timed("1 local worker", lambda: power_study(spec, args.mechanism, workers=1, **kw))
    t2, c2, r2 = timed("2 local workers", lambda: power_study(spec, args.mechanism, workers=2, **kw))

    from distributed import LocalCluster

    t_start = time.perf_counter()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        with make_executor(cluster.scheduler_address) as ex:
            startup = time.perf_counter() - t_start
            print(f"  LocalCluster start + connect: {startup:.2f} s (not counted)", flush=True)
            power_study(
                spec,
                args.mechanism,
                ns=[args.n],
                replications=4,
                assume_std=args.assume_std,
                seed=99,
                executor=ex,
                progress=False,
                chunk=2,
            )  # warm the workers
            t3, c3, r3 = timed(
                "2-worker Dask LocalCluster",
                lambda: power_study(spec, args.mechanism, executor=ex, **kw),
                cpu=lambda: _cpu_dask(ex.client),
            )
    same = r1.table.equals(r2.table) and r1.table.equals(r3.table)
    num = r1.table.select_dtypes("number").columns
    diff = {k: float((r1.table[num] - r.table[num]).abs().max().max()) for k, r in (("local_2", r2), ("dask", r3))}
    print(f"  identical results in all three settings: {same} (largest difference from 1 worker: {diff})")

    big_n = 800
    R_big = max(20, R // 3)
    t_big, c_big, _ = timed(
        f"1 local worker at n = {big_n} ({R_big} replications)",
        lambda: power_study(
            spec,
            args.mechanism,
            ns=[big_n],
            replications=R_big,
            assume_std=args.assume_std,
            seed=args.seed,
            workers=1,
            progress=False,
        ),
    )
    rate = {"local_1": R / t1, "local_2": R / t2, "dask_local_cluster_2": R / t3}
    rate_big = R_big / t_big
    total = 4 * 1000
    # per-replication cost across the grid 200, 300, 500, 800: interpolate linearly between n and 800
    cost = {k: 1 / v for k, v in rate.items()}
    slope = (1 / rate_big - cost["local_1"]) / (big_n - args.n)
    grid = [200, 300, 500, 800]
    one_worker_study = sum(1000 * (cost["local_1"] + slope * (n - args.n)) for n in grid)
    projected = {k: one_worker_study * rate["local_1"] / v for k, v in rate.items()}
    # CPU seconds per replication do not depend on other work on the machine; an idle machine with
    # k cores runs k workers at about k / (CPU s per replication) replications per second
    cpu_per_rep = {"local_1": c1 / R, "local_2": c2 / R, "dask_local_cluster_2": c3 / R}
    busy = {"local_1": c1 / t1, "local_2": c2 / t2, "dask_local_cluster_2": c3 / t3}
    idle_projection = {
        k: one_worker_study * cpu_per_rep[k] / cost["local_1"] / (1 if k == "local_1" else 2) for k in cpu_per_rep
    }
    print()
    print("CPU seconds per replication (load-independent) and cores kept busy (of 1 or 2):")
    for k in cpu_per_rep:
        print(f"  {k:>22}: {1000 * cpu_per_rep[k]:6.1f} ms, {busy[k]:.2f} cores busy")
    print("replications per second:")
    for k, v in rate.items():
        print(f"  {k:>22}: {v:6.2f}")
    print(f"  {'local_1 at n = 800':>22}: {rate_big:6.2f}")
    print("ratios:")
    print(f"  2 local workers / 1 local worker : {rate['local_2'] / rate['local_1']:.2f}")
    print(f"  Dask 2-worker cluster / 1 worker : {rate['dask_local_cluster_2'] / rate['local_1']:.2f}")
    print(f"  Dask 2-worker cluster / 2 local  : {rate['dask_local_cluster_2'] / rate['local_2']:.2f}")
    print(f"projected wall time of a 1,000-replication x 4-n study ({total} fits, n = 200, 300, 500, 800):")
    for k, v in projected.items():
        print(f"  {k:>22}: {v / 60:6.1f} min")

    print("projected on an idle machine (CPU time per replication / workers):")
    for k, v in idle_projection.items():
        print(f"  {k:>22}: {v / 60:6.1f} min")

    out = {
        "mechanism": args.mechanism,
        "n": args.n,
        "replications": R,
        "repeat_best_of": REPEAT,
        "assume_std": args.assume_std,
        "effects": int(len(r1.table)),
        "items": len(spec.mechanisms[args.mechanism].item_ids),
        "seconds": {"local_1": t1, "local_2": t2, "dask_local_cluster_2": t3, "local_1_n800": t_big},
        "replications_per_second": {**rate, "local_1_n800": rate_big},
        "ratios": {
            "local_2_over_local_1": rate["local_2"] / rate["local_1"],
            "dask_2_over_local_1": rate["dask_local_cluster_2"] / rate["local_1"],
            "dask_2_over_local_2": rate["dask_local_cluster_2"] / rate["local_2"],
        },
        "projected_seconds_1000x4": projected,
        "cpu_seconds": {"local_1": c1, "local_2": c2, "dask_local_cluster_2": c3, "local_1_n800": c_big},
        "cpu_ms_per_replication": {k: 1000 * v for k, v in cpu_per_rep.items()},
        "cores_busy": busy,
        "projected_seconds_1000x4_idle_machine": idle_projection,
        "identical_results": bool(same),
        "largest_difference_from_local_1": diff,
        "load_average_1_5_15_min": list(os.getloadavg()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "measured": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_text(args.out, json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
