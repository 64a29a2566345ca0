"""vcc, semopy and lavaan on the same models: accuracy against lavaan 0.6.14, and speed.

Run from the repository root (``python -m pip install ".[peers]"`` installs semopy)::

    python bench/peers.py                 # needs Rscript with lavaan for the lavaan column
    python bench/peers.py --repeat 5

For each model, each program fits the same lavaan syntax by ML on the same data. Accuracy is the
largest |estimate - lavaan| / max(1, |lavaan|) over the free parameters, and the same for the
chi-square and CFI; time is the best of ``--repeat`` fits (lavaan's is measured inside R around
``sem()``, so R's start-up is not counted). Prints a table and writes ``bench/results/peers.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from validate.sem import fit_sem  # noqa: E402

FIX = ROOT / "tests" / "fixtures"
MODELS = {
    "Holzinger-Swineford CFA (n = 301, 9 items)": (
        FIX / "data" / "holzinger_swineford_1939.csv",
        "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9",
    ),
    "PoliticalDemocracy SEM (n = 75, 11 items)": (
        FIX / "data" / "political_democracy.csv",
        "ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem65 =~ y5 + y6 + y7 + y8\n"
        "dem60 ~ ind60\ndem65 ~ ind60 + dem60\ny1 ~~ y5\ny2 ~~ y4 + y6\ny3 ~~ y7\ny4 ~~ y8\ny6 ~~ y8",
    ),
}

R_SCRIPT = r"""
suppressMessages(library(lavaan)); suppressMessages(library(jsonlite))
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1]); m <- paste(readLines(a[2]), collapse = "\n"); rep <- as.integer(a[4])
best <- Inf
for (i in seq_len(rep)) { t0 <- Sys.time(); fit <- sem(m, data = d); best <- min(best, as.numeric(Sys.time() - t0, units = "secs")) }
pe <- parameterEstimates(fit); pe <- pe[pe$op != "~1" & !(pe$se == 0 & pe$op == "=~"), ]
writeLines(toJSON(list(seconds = best, est = pe[, c("lhs", "op", "rhs", "est")],
                       chisq = fitMeasures(fit, "chisq"), cfi = fitMeasures(fit, "cfi")),
                  auto_unbox = TRUE, digits = NA), a[3])
"""


def _key(lhs, op, rhs):
    return (lhs, op, rhs) if op != "~~" else (min(lhs, rhs), op, max(lhs, rhs))


def _err(ours: dict, ref: dict) -> float:
    common = [k for k in ref if k in ours]
    return max(abs(ours[k] - ref[k]) / max(1.0, abs(ref[k])) for k in common) if common else float("nan")


def run_lavaan(data: Path, model: str, repeat: int):
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "fit.R").write_text(R_SCRIPT)
        (t / "model.lav").write_text(model)
        subprocess.run(
            ["Rscript", str(t / "fit.R"), str(data), str(t / "model.lav"), str(t / "out.json"), str(repeat)],
            check=True,
            capture_output=True,
        )
        return json.loads((t / "out.json").read_text())


def run_vcc(df, model, repeat):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fit_sem(model, df)
        best = min(best, time.perf_counter() - t0)
    pt = res.params[res.params.op.isin(["=~", "~", "~~"])]
    est = {_key(r.lhs, r.op, r.rhs): float(r.estimate) for r in pt.itertuples(index=False)}
    return best, est, float(res.fit["chisq"]), float(res.fit["cfi"])


def run_semopy(df, model, repeat):
    try:
        import semopy
    except ImportError:
        return None
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        m = semopy.Model(model)
        m.fit(df)
        best = min(best, time.perf_counter() - t0)
    ins = m.inspect()
    est = {}
    for r in ins.itertuples(index=False):
        # semopy's inspect() lists a loading F =~ x as (x, "~", F)
        lhs, op, rhs = r.lval, r.op, r.rval
        if op == "~" and lhs in m.vars["observed"] and rhs in m.vars["latent"]:
            lhs, op, rhs = rhs, "=~", lhs  # a loading
        est[_key(lhs, op, rhs)] = float(r.Estimate)
    stats = semopy.calc_stats(m).T
    return best, est, float(stats.loc["chi2"].iloc[0]), float(stats.loc["CFI"].iloc[0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    rows = []
    for name, (data, model) in MODELS.items():
        df = pd.read_csv(data)
        lav = run_lavaan(data, model, args.repeat)
        ref = {_key(e["lhs"], e["op"], e["rhs"]): e["est"] for e in lav["est"]} if lav else None
        for prog, out in (("vcc", run_vcc(df, model, args.repeat)), ("semopy", run_semopy(df, model, args.repeat))):
            if out is None:
                rows.append({"model": name, "program": prog, "note": "not installed"})
                continue
            secs, est, chisq, cfi = out
            row = {"model": name, "program": prog, "seconds": secs}
            if ref:
                row.update(
                    est_error=_err(est, ref),
                    chisq_error=abs(chisq - lav["chisq"]) / max(1, lav["chisq"]),
                    cfi_error=abs(cfi - lav["cfi"]),
                    lavaan_seconds=lav["seconds"],
                    speed_vs_lavaan=lav["seconds"] / secs,
                    n_params_compared=len([k for k in ref if k in est]),
                )
            rows.append(row)
        if lav:
            rows.append({"model": name, "program": "lavaan 0.6.14", "seconds": lav["seconds"], "est_error": 0.0})
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    out = ROOT / "bench" / "results" / "peers.json"
    out.write_text(json.dumps({"rows": rows}, indent=2, default=float) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
