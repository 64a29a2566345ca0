"""Time the PLS-SEM bootstrap against seminr (the PyPI port, same run), and check the two agree.

Target (issue 16): 5,000 resamples of the bundled producer mechanism (60 items, 12 constructs,
32 paths; the bundled example responses after screening) in at most 1/10 of seminr's time.

Run from the repository root::

    python bench/pls.py                               # 5,000 resamples; seminr 500 (scaled)
    python bench/pls.py --seminr-resamples 5000       # seminr's full run (a few minutes)
    python bench/pls.py --resamples 1000 --repeat 1

What is timed, on both sides, is the bootstrap alone (the full-sample fit is done before):
per resample, draw n rows with replacement, mean-replace the missing cells with the resample's
means, standardise, run the PLS algorithm (path scheme, tolerance 1e-7, at most 300
iterations), and keep the statistics. seminr keeps paths, loadings, weights, HTMT and total
effects; ours keeps those plus the specific indirect effects, HTMT2 and R², so ours does a
little more work. seminr runs on one core (its default, ``cores=None``); ours is timed with
1 and 2 worker processes, without BCa (the jackknife BCa needs, n more fits, timed separately).
seminr's time for 5,000 resamples is its measured time per resample times 5,000 unless
``--seminr-resamples 5000`` is given.

Agreement: (1) with the same resampled rows (seminr's ``indices=``), the bootstrap SDs of the
paths agree to rounding; (2) between the two independent timed runs (different random draws)
the bootstrap SDs of the paths agree within Monte Carlo error (4 combined SDs, the SD of a
bootstrap SD being ``SE sqrt((kurtosis - 1) / (4 B))``).

Prints a summary and writes ``bench/results/pls.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from instruments.outputs import write_text  # noqa: E402
from instruments.spec import load_spec  # noqa: E402
from validate.pls import PLSModel, fit_pls  # noqa: E402
from validate.pls.bootstrap import PLSStatistic  # noqa: E402
from validate.structural.bootstrap import jackknife, resample_indices, run_bootstrap  # noqa: E402

MECHANISM = "producer"
SEED = 1
MC_SDS = 4.0


def load_data():
    from validate.ingest.responses import ingest
    from validate.pipeline import example_data_path
    from validate.screening import screen

    spec = load_spec()
    mech = spec.mechanism(MECHANISM)
    res = ingest([example_data_path()], spec, mechanism=MECHANISM)
    df = screen(res.data[MECHANISM], mech, spec).data
    return mech, df[mech.item_ids]


def seminr_model(sm, mech, df):
    mm = sm.constructs(*[sm.composite(c, list(v.item_ids)) for c, v in mech.constructs.items()])
    rel = sm.relationships(*[sm.paths(p.source, p.target) for p in mech.active_paths(False)])
    return sm.estimate_pls(df, mm, rel)


def sd_of_sd(draws: np.ndarray) -> np.ndarray:
    """Monte Carlo SD of a bootstrap SD estimated from ``draws`` (B x k)."""
    B = draws.shape[0]
    z = (draws - draws.mean(0)) / draws.std(0, ddof=1)
    kurt = np.mean(z**4, axis=0)
    return draws.std(0, ddof=1) * np.sqrt((kurt - 1) / (4 * B))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resamples", type=int, default=5000)
    ap.add_argument("--seminr-resamples", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "pls.json"))
    args = ap.parse_args(argv)
    try:
        import seminr as sm
    except ImportError:
        print("seminr is not installed (pip install seminr; Python >= 3.11); nothing to compare with", file=sys.stderr)
        return 2
    mech, df = load_data()
    model = PLSModel.from_mechanism(mech)
    res = fit_pls(df, model)
    n, p = res.data.raw.shape
    print(
        f"{MECHANISM}: n = {n}, {p} items, {len(model.names)} constructs, {len(model.paths)} paths, "
        f"{len(res.lay.chains)} indirect chains; {res.iterations} iterations",
        flush=True,
    )
    stat = PLSStatistic(res.st, res.lay, "path", False, 1e-7, 300)
    load0 = os.getloadavg()

    ours: dict = {}
    draws_ours = None
    for workers in (1, 2):
        secs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            boot = run_bootstrap(stat, res.data.raw, args.resamples, stat.k, seed=SEED, workers=workers, progress=False)
            secs.append(time.perf_counter() - t)
            draws_ours = boot.good()
        ours[f"workers_{workers}"] = {
            "seconds": [round(s, 3) for s in secs],
            "ms_per_resample_best": round(1000 * min(secs) / args.resamples, 4),
            "ms_per_resample_median": round(1000 * statistics.median(secs) / args.resamples, 4),
        }
        print(f"ours, {workers} worker(s): {min(secs):.2f} s for {args.resamples} resamples", flush=True)
    t = time.perf_counter()
    jackknife(stat, res.data.raw, stat.k)
    ours["bca_jackknife_seconds"] = round(time.perf_counter() - t, 3)

    m = seminr_model(sm, mech, df)
    t = time.perf_counter()
    sboot = sm.bootstrap_model(m, args.seminr_resamples, seed=SEED)
    s_secs = time.perf_counter() - t
    s_ms = 1000 * s_secs / args.seminr_resamples
    s_full = s_ms * args.resamples / 1000
    print(
        f"seminr, 1 core: {s_secs:.2f} s for {args.seminr_resamples} resamples "
        f"({s_ms:.2f} ms each; {s_full:.1f} s for {args.resamples})",
        flush=True,
    )

    # agreement (1): same resampled rows, 50 resamples
    nb = 50
    idx = np.array([resample_indices(SEED, b, n) for b in range(nb)])
    same = fit_pls(df, model, bootstrap=nb, seed=SEED, workers=1, bca=False)
    ref = sm.summarize(sm.bootstrap_model(m, nb, indices=idx)).bootstrapped_paths
    col = list(ref.cols).index("Bootstrap SD")
    paths = same.paths()
    rows = [f"{a}  ->  {b}" for a, b in zip(paths["from"], paths["to"])]
    same_err = float(np.max(np.abs(paths.se.to_numpy() - np.array([ref.values[ref.rows.index(r), col] for r in rows]))))

    # agreement (2): the timed runs, Monte Carlo error
    sl = res.lay.slices()["paths"]
    d_ours = draws_ours[:, sl]
    d_sem = np.array([[b.get(a, c) for a, c in zip(paths["from"], paths["to"])] for b in sboot.boot_paths])
    diff = d_ours.std(0, ddof=1) - d_sem.std(0, ddof=1)
    mc = np.sqrt(sd_of_sd(d_ours) ** 2 + sd_of_sd(d_sem) ** 2)
    worst = float(np.max(np.abs(diff) / mc))

    best = {k: min(v["seconds"]) for k, v in ours.items() if k.startswith("workers_")}
    ratios = {k: round(s_full / v, 2) for k, v in best.items()}
    print(f"seminr / ours: {ratios}  (target >= 10)")
    print(
        f"same resamples: largest |SD difference| of the paths {same_err:.2e}; independent runs: largest "
        f"|SD difference| / MC SD {worst:.2f} (pass < {MC_SDS})"
    )
    out = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "seminr": sm.__version__,
            "platform": platform.platform(),
            "load_average_at_start": load0,
            "load_average_at_end": os.getloadavg(),
        },
        "what_is_timed": "bootstrap only: per resample, resample rows, mean replacement, standardise, PLS algorithm "
        "(path scheme, tol 1e-7), statistics (ours: weights, loadings, paths, total and specific "
        "indirect effects, HTMT, HTMT2, R²; seminr: paths, loadings, weights, HTMT, total effects); "
        "seminr on one core (its default)",
        "model": {
            "mechanism": MECHANISM,
            "n": n,
            "items": p,
            "constructs": len(model.names),
            "paths": len(model.paths),
            "indirect_chains": len(res.lay.chains),
        },
        "resamples": args.resamples,
        "ours": ours,
        "seminr": {
            "resamples_timed": args.seminr_resamples,
            "seconds": round(s_secs, 3),
            "ms_per_resample": round(s_ms, 4),
            "seconds_for_resamples": round(s_full, 2),
            "scaled": args.seminr_resamples != args.resamples,
        },
        "ratio_seminr_over_ours": ratios,
        "target_ratio": 10,
        "meets_target": {k: v >= 10 for k, v in ratios.items()},
        "agreement": {
            "same_resamples_max_abs_sd_diff_paths": same_err,
            "independent_runs_max_sd_diff_in_mc_sds": round(worst, 3),
            "mc_sds_allowed": MC_SDS,
            "passes": bool(same_err < 1e-8 and worst < MC_SDS),
        },
    }
    write_text(args.out, json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
