"""Time and peak memory of ``vcc validate`` at n = 1,000, 10,000 and 100,000 respondents.

Targets (issue 21): ``vcc validate --bootstrap 1000`` (complete-data ML) on 100,000
respondents x 28 items in at most 2 minutes and 2 GB on 2 cores, and time from 10,000 to
100,000 growing at most 12x (a growth exponent of at most log10(12) = 1.08).

Run from the repository root::

    python bench/scale.py                          # n = 1,000, 10,000, 100,000; --bootstrap 1000
    python bench/scale.py --n 1000,10000 --bootstrap 200
    python bench/scale.py --fiml                   # also the FIML fit's time and memory per n
    python bench/scale.py --xlsx                   # also ingest + screening of an .xlsx file

The data are the 28-item, 8-construct benchmark model (``bench/specs/bench_28.yaml``)
simulated by :func:`validate.power.simulate.simulate_mechanism` (paths .35, a fixed seed), written
to a CSV file (and an .xlsx workbook with ``--xlsx``) in ``$TMPDIR/vcc-bench-scale/``. Each
run is the real command line, ``python -m validate.cli validate --model bench_28.yaml
--bootstrap B --workers 2``, in a child process: ingest, screening, measurement (descriptives,
Mardia, reliability, validity, KMO, parallel analysis, EFA, CFA), the structural model with its
bootstrap and BCa intervals, and the HTML, Word, Excel and JSON reports.

What is measured per n: wall time; CPU time of the child and the processes it waited for
(``RUSAGE_CHILDREN``), and of the whole process tree including the bootstrap's worker
processes (``tree_cpu_seconds``, each process's user + system time as last seen by the poll
every 0.05 s, so it can miss the last 0.05 s of a process); peak memory as the largest sum of the resident set sizes of the child
and all its descendants (polled every 0.05 s with psutil; shared library pages are counted
once per process, so this overstates the true peak), and the largest single process among
all the children waited for so far (``ru_maxrss``; cumulative over the runs of one call). The machine is shared, so the load average at start and end is recorded:
wall time under load overstates what a quiet 2-core machine needs; CPU time does not, and the
whole tree's CPU time is an upper bound on the wall time of a run that gets its two cores
(``meets_targets.cpu_seconds_of_tree``).

Growth exponent between two sizes: ``log(t2 / t1) / log(n2 / n1)`` (1 = linear).

Prints a table and writes ``bench/results/scale.json``. It is not a timed test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from instruments.outputs import write_text  # noqa: E402
from instruments.spec import load_spec  # noqa: E402
from validate.power.simulate import simulate_mechanism  # noqa: E402

SPEC = ROOT / "bench" / "specs" / "bench_28.yaml"
OUT = ROOT / "bench" / "results" / "scale.json"
DATA_SEED = 20240601
TARGET_SECONDS = 120.0
TARGET_BYTES = 2 * 2**30
TARGET_GROWTH = 12.0


def data_file(folder: Path, n: int, xlsx: bool = False) -> Path:
    """The simulated responses of ``n`` respondents (cached)."""
    csv = folder / f"bench28_{n}.csv"
    if not csv.exists():
        spec = load_spec(SPEC)
        df = simulate_mechanism(spec.mechanisms["main"], spec.scale, n, paths=0.35, seed=DATA_SEED)
        df.insert(0, "resp_id", np.arange(1, n + 1))
        tmp = csv.with_suffix(".tmp")
        df.to_csv(tmp, index=False)
        tmp.replace(csv)
    if not xlsx:
        return csv
    book = folder / f"bench28_{n}.xlsx"
    if not book.exists():
        import pandas as pd
        from openpyxl import Workbook

        df = pd.read_csv(csv)
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("main")
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([int(v) for v in row])
        tmp = folder / f"bench28_{n}.tmp.xlsx"
        wb.save(tmp)
        tmp.replace(book)
    return book


def run_measured(cmd: list[str], env: dict | None = None, poll: float = 0.05) -> dict:
    """Run ``cmd``; wall and CPU seconds, peak summed RSS of its process tree, return code."""
    try:
        import psutil
    except ImportError:  # psutil comes with the test extras (dask.distributed)
        psutil = None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_tree = 0
    cpu_seen: dict[int, float] = {}  # pid -> last user + system seconds seen (workers included)
    if psutil is not None:
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                procs = [root, *root.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                        t = p.cpu_times()
                        cpu_seen[p.pid] = t.user + t.system
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        pass
                peak_tree = max(peak_tree, total)
            except psutil.NoSuchProcess:
                pass
            time.sleep(poll)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "tree_cpu_seconds": sum(cpu_seen.values()) or None,
        "peak_tree_rss_bytes": peak_tree or None,
        # ru_maxrss of RUSAGE_CHILDREN: the largest single process among all children waited for so far
        "max_child_rss_so_far_bytes": after.ru_maxrss * 1024,
        "returncode": proc.returncode,
        "stderr_tail": err[-2000:] if proc.returncode else "",
        "stdout_last_line": out.strip().splitlines()[-1] if out.strip() else "",
    }


def growth(rows: list[dict], key: str) -> list[dict]:
    out = []
    for a, b in zip(rows, rows[1:]):
        ta, tb = a[key], b[key]
        if ta and tb:
            out.append(
                {
                    "from_n": a["n"],
                    "to_n": b["n"],
                    "ratio": tb / ta,
                    "exponent": math.log(tb / ta) / math.log(b["n"] / a["n"]),
                }
            )
    return out


def ingest_and_screen(path: Path) -> dict:
    """In-process seconds of ingest and screening of one file."""
    from validate.ingest.responses import ingest
    from validate.screening import screen

    spec = load_spec(SPEC)
    t = time.perf_counter()
    res = ingest(path, spec)
    t1 = time.perf_counter()
    screen(res.data["main"], "main", spec)
    t2 = time.perf_counter()
    return {"file": path.suffix.lstrip("."), "ingest_seconds": t1 - t, "screen_seconds": t2 - t1}


def fiml_child(path: str, share: float) -> None:
    """Child process of ``--fiml``: fit the measurement model by FIML with ``share`` MCAR holes."""
    import pandas as pd

    from validate.sem import fit_sem

    spec = load_spec(SPEC)
    mech = spec.mechanisms["main"]
    df = pd.read_csv(path)[mech.item_ids].astype(float)
    rng = np.random.default_rng(1)
    holes = rng.random(df.shape) < share
    df = df.mask(holes)
    t = time.perf_counter()
    res = fit_sem(mech.lavaan_syntax(structural=True), df, missing="fiml", kind="sem")
    print(
        json.dumps(
            {
                "fit_seconds": time.perf_counter() - t,
                "converged": bool(res.converged),
                "patterns": int(df.isna().drop_duplicates().shape[0]),
            }
        )
    )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", default="1000,10000,100000", help="sample sizes (comma-separated)")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--fiml", action="store_true", help="also time a FIML fit (5%% MCAR missing) per n")
    ap.add_argument("--xlsx", action="store_true", help="also time ingest + screening of an .xlsx workbook")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--fiml-child", nargs=2, metavar=("CSV", "SHARE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.fiml_child:
        fiml_child(args.fiml_child[0], float(args.fiml_child[1]))
        return
    sizes = [int(s) for s in args.n.split(",")]
    folder = Path(tempfile.gettempdir()) / "vcc-bench-scale"
    folder.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "platform": platform.platform(),
            "load_average_at_start": list(os.getloadavg()),
        },
        "what_is_timed": f"python -m validate.cli validate --model bench/specs/bench_28.yaml "
        f"--bootstrap {args.bootstrap} --workers {args.workers} (28 items, complete data, ML)",
        "targets": {
            "n": 100000,
            "wall_seconds": TARGET_SECONDS,
            "peak_bytes": TARGET_BYTES,
            "growth_10k_to_100k": TARGET_GROWTH,
        },
        "validate": [],
        "ingest_screen": [],
        "fiml": [],
    }
    print(f"{'n':>8} {'wall s':>8} {'cpu s':>8} {'tree cpu s':>11} {'peak tree GB':>13} {'max child GB':>13}")
    for n in sizes:
        csv = data_file(folder, n)
        outdir = folder / f"out_{n}"
        cmd = [
            sys.executable,
            "-m",
            "validate.cli",
            "validate",
            "--model",
            str(SPEC),
            "--bootstrap",
            str(args.bootstrap),
            "--workers",
            str(args.workers),
            "--out",
            str(outdir),
            "--force",
            str(csv),
        ]
        r = run_measured(cmd, env=env)
        r["n"] = n
        r.pop("stdout_last_line")
        r["load_average_at_end"] = list(os.getloadavg())
        if r["returncode"] != 0:
            print(r["stderr_tail"], file=sys.stderr)
            raise SystemExit(f"vcc validate failed at n = {n}")
        res = json.loads((outdir / "results.json").read_text())
        ind = res["mechanisms"]["main"]["structural"]["indirect"] if "mechanisms" in res else None
        r["bca_reported"] = bool(ind) and all(i.get("bca_lower") is not None for i in ind)
        result["validate"].append(r)
        tree = r["peak_tree_rss_bytes"]
        print(
            f"{n:>8} {r['wall_seconds']:>8.1f} {r['cpu_seconds']:>8.1f} {r['tree_cpu_seconds'] or float('nan'):>11.1f} "
            f"{(tree or float('nan')) / 2**30:>13.2f} {r['max_child_rss_so_far_bytes'] / 2**30:>13.2f}"
        )
        for path in [csv] + ([data_file(folder, n, xlsx=True)] if args.xlsx else []):
            s = ingest_and_screen(path)
            s["n"] = n
            result["ingest_screen"].append(s)
            print(f"{'':>8} ingest {s['file']}: {s['ingest_seconds']:.2f} s, screening {s['screen_seconds']:.2f} s")
        if args.fiml:
            f = run_measured([sys.executable, str(Path(__file__).resolve()), "--fiml-child", str(csv), "0.05"], env=env)
            f["n"] = n
            if f["returncode"] == 0:
                f.update(json.loads(f.pop("stdout_last_line")))
            result["fiml"].append(f)
            print(
                f"{'':>8} FIML fit (5% MCAR, {f.get('patterns')} patterns): {f.get('fit_seconds', float('nan')):.1f} s "
                f"fit, {f['tree_cpu_seconds'] or float('nan'):.1f} s CPU in all, peak "
                f"{(f['peak_tree_rss_bytes'] or float('nan')) / 2**30:.2f} GB"
            )
    result["growth"] = {
        "wall": growth(result["validate"], "wall_seconds"),
        "cpu": growth(result["validate"], "cpu_seconds"),
        "tree_cpu": growth(result["validate"], "tree_cpu_seconds"),
    }
    for g in result["growth"]["wall"]:
        cpu = next(c for c in result["growth"]["cpu"] if c["to_n"] == g["to_n"])
        print(
            f"{g['from_n']:>8} -> {g['to_n']:<8} wall x{g['ratio']:.2f} (exponent {g['exponent']:.2f}), "
            f"cpu x{cpu['ratio']:.2f} (exponent {cpu['exponent']:.2f})"
        )
    big = next((r for r in result["validate"] if r["n"] == 100000), None)
    if big is not None:
        tenk = next((g for g in result["growth"]["wall"] if (g["from_n"], g["to_n"]) == (10000, 100000)), None)
        peak = big["peak_tree_rss_bytes"] or big["max_child_rss_so_far_bytes"]
        cpu = big["tree_cpu_seconds"] or big["cpu_seconds"]
        result["meets_targets"] = {
            "wall_seconds": big["wall_seconds"] <= TARGET_SECONDS,
            # the whole tree's CPU time bounds the wall time of a run that gets its 2 cores
            # (a busy shared machine inflates wall time, not CPU time)
            "cpu_seconds_of_tree": cpu <= TARGET_SECONDS,
            "peak_bytes": peak <= TARGET_BYTES,
            "growth_10k_to_100k": None if tenk is None else tenk["ratio"] <= TARGET_GROWTH,
        }
        print("targets at n = 100,000:", result["meets_targets"])
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    write_text(Path(args.out), json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
