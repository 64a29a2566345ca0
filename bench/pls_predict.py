"""Time PLSpredict and PLS-MGA against seminr (the PyPI port, same run), and check the two agree.

On the bundled producer mechanism (the example responses after screening):

- PLSpredict, 10 folds, one repetition, direct antecedents, the same fold assignment on both sides
  (seminr's ``ordering`` with R's ``cut`` blocks): time per run, and the largest relative difference of
  the held-out PLS and LM predictions;
- PLS-MGA between platforms 1 and 2 with ``--resamples`` bootstrap resamples per group, the same
  resampled rows on both sides (seminr's ``group1_indices``/``group2_indices``): time, and the largest
  difference of Henseler's p. Ours runs on one worker for a like-for-like time.

Run from the repository root: ``python bench/pls_predict.py [--resamples 500] [--repeat 3]``.
Prints a summary and writes ``bench/results/pls_predict.json``.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from instruments.outputs import write_text  # noqa: E402
from instruments.spec import load_spec  # noqa: E402
from validate.pls import PLSModel, fit_pls  # noqa: E402
from validate.pls.mga import micom_mga  # noqa: E402
from validate.pls.predict import pls_predict  # noqa: E402
from validate.structural.bootstrap import resample_indices  # noqa: E402

MECHANISM = "producer"
SEED = 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resamples", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "pls_predict.json"))
    args = ap.parse_args(argv)
    try:
        import seminr as sm
        from seminr.predict.predict_pls import cut_folds
    except ImportError:
        print("seminr is not installed (pip install seminr; Python >= 3.11); nothing to compare with", file=sys.stderr)
        return 2
    from validate.ingest.responses import ingest
    from validate.pipeline import example_data_path
    from validate.screening import screen

    spec = load_spec()
    mech = spec.mechanism(MECHANISM)
    df = screen(ingest([example_data_path()], spec, mechanism=MECHANISM).data[MECHANISM], mech, spec).data
    df = df[df.platform.isin([1, 2])].reset_index(drop=True)
    items = df[mech.item_ids]
    items = items.fillna(items.mean())  # seminr replaces once on the full sample; give both the same data
    model = PLSModel.from_mechanism(mech)
    mm = sm.constructs(*[sm.composite(c, list(v.item_ids)) for c, v in mech.constructs.items()])
    rel = sm.relationships(*[sm.paths(p.source, p.target) for p in mech.active_paths(False)])
    ref = sm.estimate_pls(items, mm, rel)
    res = fit_pls(items, model)
    n = res.n_obs
    order = np.random.default_rng(SEED).permutation(n)
    fid = np.empty(n, dtype=int)
    fid[order] = np.array(cut_folds(n, 10)) - 1
    t_ours, t_ref = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        ours = pls_predict(res, fold_ids=fid)
        t_ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        pr = sm.predict_pls(ref, technique=sm.predict_DA, no_folds=10, ordering=[int(i) for i in order])
        t_ref.append(time.perf_counter() - t)
    cols = list(pr.items.pls_out_of_sample.cols)
    ix = [cols.index(c) for c in ours.items]
    err = max(
        float(np.max(np.abs(a - b) / np.maximum(1, np.abs(b))))
        for a, b in (
            (ours.pls[0], pr.items.pls_out_of_sample.values[:, ix]),
            (ours.lm[0], pr.items.lm_out_of_sample.values[:, ix]),
        )
    )
    print(
        f"PLSpredict 10 folds: ours {min(t_ours):.2f} s, seminr {min(t_ref):.2f} s "
        f"(ratio {min(t_ours) / min(t_ref):.3f}); largest relative difference {err:.2g}",
        flush=True,
    )

    keep = (df.platform == 1).to_numpy()
    n1, n2 = int(keep.sum()), int((~keep).sum())
    B = args.resamples
    i1 = np.array([resample_indices(SEED, b, n1) for b in range(B)])
    i2 = np.array([resample_indices(SEED, b, n2) for b in range(B)])
    t = time.perf_counter()
    mga_ref = sm.estimate_pls_mga(ref, keep, nboot=B, group1_indices=i1, group2_indices=i2)
    t_mga_ref = time.perf_counter() - t
    t = time.perf_counter()
    mine = micom_mga(
        items.assign(g=np.where(keep, 1, 2)), model, "g", permutations=20, bootstrap=B, seed=SEED, workers=1
    )
    t_mga = time.perf_counter() - t
    rows = mine["pairs"][0]["mga"]["paths"]
    err_mga = max(abs(r.pls_mga_p - x["p_henseler"]) for r, x in zip(mga_ref, rows))
    print(
        f"PLS-MGA {B} resamples per group: ours {t_mga:.2f} s (including 20 MICOM permutations), seminr "
        f"{t_mga_ref:.2f} s (ratio {t_mga / t_mga_ref:.3f}); largest |Δ Henseler p| {err_mga:.2g}",
        flush=True,
    )
    out = {
        "mechanism": MECHANISM,
        "n": n,
        "items": len(model.items),
        "paths": len(model.paths),
        "predict": {
            "ours_seconds": [round(s, 3) for s in t_ours],
            "seminr_seconds": [round(s, 3) for s in t_ref],
            "ratio_best": round(min(t_ours) / min(t_ref), 4),
            "largest_relative_difference": err,
        },
        "mga": {
            "resamples": B,
            "ours_seconds": round(t_mga, 3),
            "seminr_seconds": round(t_mga_ref, 3),
            "ratio": round(t_mga / t_mga_ref, 4),
            "largest_henseler_p_difference": err_mga,
        },
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "seminr": sm.__version__ if hasattr(sm, "__version__") else None,
    }
    write_text(Path(args.out), json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
