"""Time the two-stage bootstrap of a higher-order PLS model against seminr (the PyPI port, same run).

Model: Sarstedt et al.'s (2019) corporate reputation example with the higher-order construct REP
(COMP, LIKE; disjoint two-stage approach, seminr's ``higher_composite(method = two_stage)``), four
Mode B drivers, on seminr's ``corp_rep_data.csv`` (read from the installed package; -99 mean-replaced).

Both sides re-run the two stages in every resample. Ours is timed on one worker process without BCa;
seminr on one core (its default). seminr's time for ``--resamples`` is its time per resample times
``--resamples`` unless ``--seminr-resamples`` equals it. Agreement: with the same resampled rows the
bootstrap SDs of the paths agree to rounding (largest |ours - seminr| / max(1, |seminr|) is printed).

    python bench/pls_hoc.py                   # 1,000 resamples; seminr 200 (scaled)

Prints a summary and writes ``bench/results/pls_hoc.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from instruments.outputs import write_text  # noqa: E402
from validate.pls.higher_order import HOCModel, fit_hoc  # noqa: E402
from validate.structural.bootstrap import resample_indices  # noqa: E402

C = {
    "QUAL": [f"qual_{i}" for i in range(1, 9)],
    "PERF": [f"perf_{i}" for i in range(1, 6)],
    "CSOR": [f"csor_{i}" for i in range(1, 6)],
    "ATTR": [f"attr_{i}" for i in range(1, 4)],
    "COMP": ["comp_1", "comp_2", "comp_3"],
    "LIKE": ["like_1", "like_2", "like_3"],
    "CUSA": ["cusa"],
    "CUSL": ["cusl_1", "cusl_2", "cusl_3"],
}
HOCS = {"REP": ["COMP", "LIKE"]}
PATHS = [(a, "REP") for a in ("QUAL", "PERF", "CSOR", "ATTR")] + [("REP", "CUSA"), ("REP", "CUSL"), ("CUSA", "CUSL")]
MODES = {"QUAL": "B", "PERF": "B", "CSOR": "B", "ATTR": "B"}
SEED = 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--seminr-resamples", type=int, default=200)
    args = ap.parse_args()
    import seminr as sm

    df = pd.read_csv(os.path.join(os.path.dirname(sm.__file__), "datasets", "corp_rep_data.csv"))
    model = HOCModel(C, HOCS, PATHS, MODES)
    t0 = time.perf_counter()
    res = fit_hoc(df, model, missing_value=-99, bootstrap=args.resamples, seed=SEED, workers=1, bca=False)
    ours = time.perf_counter() - t0
    specs = [
        sm.composite(c, it, weights=sm.mode_B) if MODES.get(c) == "B" else sm.composite(c, it) for c, it in C.items()
    ] + [sm.higher_composite("REP", ["COMP", "LIKE"], method="two_stage")]
    m = sm.estimate_pls(
        df, sm.constructs(*specs), sm.relationships(*[sm.paths(a, b) for a, b in PATHS]), missing_value=-99.0
    )
    nb = args.seminr_resamples
    idx = np.array([resample_indices(SEED, b, len(df)) for b in range(nb)])
    t0 = time.perf_counter()
    boot = sm.bootstrap_model(m, nb, indices=idx)
    theirs = (time.perf_counter() - t0) * args.resamples / nb
    # agreement on the same rows: our first nb resamples
    sub = fit_hoc(df, model, missing_value=-99, bootstrap=nb, seed=SEED, workers=1, bca=False)
    ref = sm.summarize(boot).bootstrapped_paths
    p = sub.stage2.paths()
    rows = [f"{a}  ->  {b}" for a, b in zip(p["from"], p["to"])]
    sd = np.array([ref.values[ref.rows.index(r), list(ref.cols).index("Bootstrap SD")] for r in rows])
    err = float(np.max(np.abs(p.se.to_numpy() - sd) / np.maximum(1, np.abs(sd))))
    out = {
        "model": "corp_rep, REP = COMP + LIKE (disjoint two-stage), 4 Mode B drivers",
        "n": len(df),
        "resamples": args.resamples,
        "seminr_resamples_timed": nb,
        "ours_seconds": round(ours, 2),
        "seminr_seconds": round(theirs, 2),
        "ratio_ours_to_seminr": round(ours / theirs, 4),
        "same_rows_sd_max_rel_error": err,
        "completed": res.stage2.boot_completed,
        "machine": platform.platform(),
        "python": platform.python_version(),
    }
    print(json.dumps(out, indent=1))
    write_text(ROOT / "bench" / "results" / "pls_hoc.json", json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
