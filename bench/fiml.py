"""Time FIML (lavaan's ``missing = "ml"``) against lavaan on the demo's producer model.

The model is the one ``vcc demo`` / ``vcc validate`` fits for the producer mechanism of the
bundled spec (``instruments/models/short_video_vcc.yaml``; at this writing 12 constructs of 5
items, 60 items and 32 paths; ``bench/results/fiml.json`` records the model it was run on)
(``mechanism.lavaan_syntax(structural=True)``), on ``data_templates/example/example_producer.csv``
(385 rows; 43% of them have a hole).

Run from the repository root::

    python bench/fiml.py                          # ours and lavaan (several minutes: lavaan)
    python bench/fiml.py --no-lavaan --repeat 3   # ours only
    python bench/fiml.py --lavaan-resamples 2     # also lavaan's bootstrap (one FIML refit per draw)

What is timed
-------------
* one fit with standard errors and every fit measure: ours ``fit_sem(..., missing="fiml")``;
  lavaan ``sem(..., missing = "ml")`` (estimates, SEs, test) and, separately, ``fitMeasures()``
  (baseline model, the FIML-corrected robust CFI/TLI/RMSEA), with ``estimator`` ML and MLR;
* one bootstrap resample on one worker: draw 385 rows with replacement and refit the estimates
  (no SEs) from the full-sample estimates, as the pipeline does (its ``RefitBootstrapStatistic``:
  ``fit_sem(..., start=full_fit, estimates_only=True)`` and the indirect effects), and with the
  statistic suggested for the pipeline (``FimlRefitStatistic``: ``validate.sem.fiml.fiml_refit``,
  the same estimates without ``fit_sem``'s parameter table and checks); lavaan's
  ``bootstrapLavaan(FUN = "coef")`` does the same work per draw (optional, slow);
* for scale, one complete-data (listwise) ML fit, ours and lavaan's.

Each figure is given as wall-clock time and as CPU time of the process (Python's
``time.process_time``; R's ``proc.time()`` user + system). On a machine shared with other jobs
the wall-clock time depends on the load (it is recorded at the start and the end); the CPU time
much less so. Ratios are lavaan / ours, best of ``--repeat`` runs for ours.

Agreement
---------
lavaan's estimates, SEs (ML: observed information; MLR: sandwich), std.all and fit measures are
compared with ours as ``max |ours - lavaan| / max(1, |lavaan|)``. lavaan's optimiser (nlminb,
``rel.tol = 1e-10`` on the discrepancy) stops short of the optimum by about 1e-6 in the estimates
on a model this size, so lavaan is also run at our estimates (``start = ours, optim.method =
"none", optim.force.converged = TRUE``): its SEs and fit measures there isolate the formulas from
the optimisers.

Writes ``bench/results/fiml.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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

from instruments.outputs import write_text  # noqa: E402
from instruments.spec import load_spec  # noqa: E402
from validate.sem import fit_sem  # noqa: E402
from validate.sem.fiml import fiml_refit  # noqa: E402
from validate.structural.analysis import RefitBootstrapStatistic, SemBootstrapStatistic  # noqa: E402
from validate.structural.mediation import enumerate_chains  # noqa: E402

SPEC = ROOT / "instruments" / "models" / "short_video_vcc.yaml"
DATA = ROOT / "data_templates" / "example" / "example_producer.csv"
MECHANISM = "producer"
FIT_KEYS = (
    "chisq",
    "df",
    "pvalue",
    "baseline_chisq",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_ci_lower",
    "rmsea_ci_upper",
    "srmr",
    "aic",
    "bic",
    "logl",
    "unrestricted_logl",
    "chisq_scaled",
    "pvalue_scaled",
    "chisq_scaling_factor",
    "baseline_chisq_scaled",
    "cfi_scaled",
    "tli_scaled",
    "rmsea_scaled",
    "cfi_robust",
    "tli_robust",
    "rmsea_robust",
)

LAVAAN_R = r"""
suppressMessages({library(lavaan); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)  # DATA.csv MODEL.lav OUT.json ESTIMATORS RESAMPLES OURS_DIR complete|no-complete
data <- read.csv(a[1], check.names = FALSE)
model <- paste(readLines(a[2], warn = FALSE), collapse = "\n")
ests <- strsplit(a[4], ",")[[1]]
B <- as.integer(a[5])
keep <- c("npar","chisq","df","pvalue","baseline.chisq","baseline.df","cfi","tli","rmsea","rmsea.ci.lower",
          "rmsea.ci.upper","srmr","aic","bic","logl","unrestricted.logl","chisq.scaled","pvalue.scaled",
          "chisq.scaling.factor","baseline.chisq.scaled","cfi.scaled","tli.scaled","rmsea.scaled",
          "cfi.robust","tli.robust","rmsea.robust")
cpu <- function(p) p[["user.self"]] + p[["sys.self"]]
tick <- function() { p <- proc.time(); c(wall = p[["elapsed"]], cpu = cpu(p)) }
fitm <- function(f) { fm <- fitMeasures(f); fm <- fm[intersect(keep, names(fm))]
                      as.list(setNames(as.numeric(fm), gsub("\\.", "_", names(fm)))) }
pars <- function(f) parameterEstimates(f, standardized = TRUE)[, c("lhs", "op", "rhs", "est", "se", "std.all")]
out <- list(lavaan = as.character(packageVersion("lavaan")), R = R.version.string, fits = list())
if (a[7] == "complete") {
  t0 <- tick()
  fl <- sem(model, data = data)
  t1 <- tick()
  out$complete_data_ml <- list(wall = t1[["wall"]] - t0[["wall"]], cpu = t1[["cpu"]] - t0[["cpu"]],
                               n = lavInspect(fl, "nobs"))
}
for (est in ests) {
  t0 <- tick()
  fit <- sem(model, data = data, missing = "ml", estimator = est)
  t1 <- tick()
  fm <- fitm(fit)
  t2 <- tick()
  cat(sprintf("  lavaan %s: sem() %.1f s (CPU %.1f s), fitMeasures() %.1f s (CPU %.1f s)\n", est,
              t1[["wall"]] - t0[["wall"]], t1[["cpu"]] - t0[["cpu"]], t2[["wall"]] - t1[["wall"]],
              t2[["cpu"]] - t1[["cpu"]]))
  rec <- list(fit = list(wall = t1[["wall"]] - t0[["wall"]], cpu = t1[["cpu"]] - t0[["cpu"]]),
              fit_measures = list(wall = t2[["wall"]] - t1[["wall"]], cpu = t2[["cpu"]] - t1[["cpu"]]),
              iterations = lavInspect(fit, "iterations"), converged = lavInspect(fit, "converged"),
              parameters = pars(fit), fit_measures_values = fm)
  ours_csv <- file.path(a[6], paste0("ours_", est, ".csv"))
  if (file.exists(ours_csv)) {
    ours <- read.csv(ours_csv, stringsAsFactors = FALSE)
    ours$rhs[is.na(ours$rhs)] <- ""
    f0 <- sem(model, data = data, missing = "ml", estimator = est, start = ours,
              optim.method = "none", optim.force.converged = TRUE)
    p0 <- pars(f0)
    m <- merge(p0, ours, by = c("lhs", "op", "rhs"))
    rec$at_our_estimates <- list(parameters = p0, fit_measures_values = fitm(f0),
                                 start_taken_max_abs_diff = max(abs(m$est.x - m$est.y)))
  }
  if (B > 0 && est == "ML") {
    set.seed(1)
    t3 <- tick()
    bt <- bootstrapLavaan(fit, R = B, FUN = "coef")
    t4 <- tick()
    rec$bootstrap <- list(resamples = B, wall = t4[["wall"]] - t3[["wall"]], cpu = t4[["cpu"]] - t3[["cpu"]])
    cat(sprintf("  lavaan bootstrap: %d resamples %.1f s (CPU %.1f s)\n", B, rec$bootstrap$wall, rec$bootstrap$cpu))
  }
  out$fits[[est]] <- rec
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), a[3])
"""


def model_and_data():
    spec = load_spec(SPEC)
    mech = spec.mechanism(MECHANISM)
    syntax = mech.lavaan_syntax(structural=True, direct=False)
    df = pd.read_csv(DATA)
    items = [i for c in mech.constructs.values() for i in c.item_ids]
    return mech, syntax, df, items


def timed(fn, repeat):
    """Best wall-clock and best CPU time over ``repeat`` calls, and the last result.

    Each call starts cold: the saturated-model pieces that FIML fits of the same data share
    (:func:`validate.sem.robust_fiml.clear_h1_cache`) are forgotten first, as lavaan has none.
    """
    from validate.sem.robust_fiml import clear_h1_cache

    walls, cpus = [], []
    res = None
    for _ in range(repeat):
        clear_h1_cache()
        t, c = time.perf_counter(), time.process_time()
        res = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return {
        "wall": min(walls),
        "cpu": min(cpus),
        "wall_all": [round(w, 4) for w in walls],
        "cpu_all": [round(c, 4) for c in cpus],
    }, res


class FimlRefitStatistic(SemBootstrapStatistic):
    """The suggested FIML statistic: :class:`SemBootstrapStatistic`'s effects, refitted from the
    resample's raw rows by :func:`validate.sem.fiml.fiml_refit` (no parameter table, no data
    checks) instead of ``fit_sem(..., estimates_only=True)``. Same draws to the optimiser's
    tolerance; ``run_bootstrap``'s workers already run one BLAS thread."""

    def __call__(self, rows):
        try:
            with np.errstate(all="ignore"):
                fit = fiml_refit(self.model, [rows], self.theta0, blas_threads_1=False)
        except (ValueError, np.linalg.LinAlgError) as exc:
            return None, f"the model could not be fitted ({type(exc).__name__})"
        if not fit.converged:
            return None, "did not converge"
        if not fit.admissible:
            return None, "inadmissible solution"
        return self.effects(fit.theta), None


def bootstrap_statistics(res, mech, syntax, items):
    """The pipeline's FIML statistic and the suggested one, for the same model and start."""
    factors = list(mech.constructs)
    active = mech.active_paths(False)
    chains = enumerate_chains([(p.source, p.target) for p in active])
    pairs = sorted({(c.source, c.target) for c in chains}, key=lambda t: (factors.index(t[0]), factors.index(t[1])))
    fit_kw = {"estimator": "ML", "missing": "fiml", "kind": "sem", "auto_cov_y": True, "estimates_only": True}
    ov = list(res.spec.ov_names)
    return (
        RefitBootstrapStatistic(syntax, ov, fit_kw, res.params, factors, chains, pairs),
        FimlRefitStatistic(res.spec, res.theta, ov, factors, chains, pairs),
    )


def time_bootstrap(stat, data, B, seed=1):
    """Per-resample time of ``stat`` on ``B`` resamples (one worker, one BLAS thread), and the draws."""
    from validate.blas import single_threaded_blas

    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, len(data), len(data)) for _ in range(B)]
    out = np.full((B, stat.k), np.nan)
    failed = 0
    with single_threaded_blas():
        t, c = time.perf_counter(), time.process_time()
        for b, ii in enumerate(draws):
            eff, why = stat(data[ii])
            failed += why is not None
            if why is None:
                out[b] = eff
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {
        "resamples": B,
        "failed": failed,
        "wall_ms_per_resample": 1000 * wall / B,
        "cpu_ms_per_resample": 1000 * cpu / B,
    }, out


def run_lavaan(syntax, df, items, ours, B, tmp: Path):
    """lavaan's fits, one R process per estimator, run side by side (each timed on its own)."""
    csv, lav = tmp / "data.csv", tmp / "model.lav"
    df[items].to_csv(csv, index=False)
    lav.write_text(syntax + "\n")
    for est, res in ours.items():
        p = res.params[res.params.op.isin(["=~", "~", "~~", "~1"])][["lhs", "op", "rhs", "estimate"]]
        p.rename(columns={"estimate": "est"}).to_csv(tmp / f"ours_{est}.csv", index=False)
    script = tmp / "fiml.R"
    script.write_text(LAVAAN_R)
    procs = {}
    for k, est in enumerate(ours):
        out = tmp / f"lavaan_{est}.json"
        cmd = [
            "Rscript",
            str(script),
            str(csv),
            str(lav),
            str(out),
            est,
            str(B if est == "ML" else 0),
            str(tmp),
            "complete" if k == 0 else "no-complete",
        ]
        procs[est] = (subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), out)
    ref = {"fits": {}}
    for est, (proc, out) in procs.items():
        stdout, stderr = proc.communicate()
        print(stdout, end="", flush=True)
        if proc.returncode != 0:
            raise SystemExit(f"lavaan ({est}) failed:\n{stderr[-2000:]}")
        r = json.loads(out.read_text())
        ref["lavaan"] = r["lavaan"]
        ref["fits"].update(r["fits"])
        if "complete_data_ml" in r:
            ref["complete_data_ml"] = r["complete_data_ml"]
    return ref


def _match(params, ref_rows):
    """Our rows in the order of lavaan's parameter table (``~~`` either way round)."""
    P = params.set_index(["lhs", "op", "rhs"])
    out = []
    for r in ref_rows:
        key = (r["lhs"], r["op"], r["rhs"] or "")
        if key not in P.index and r["op"] == "~~":
            key = (r["rhs"], r["op"], r["lhs"])
        out.append(P.loc[key] if key in P.index else None)
    return out


def agreement(res, params_ref, fit_ref):
    """Largest |ours - lavaan| / max(1, |lavaan|) for estimates, SEs, std.all and fit measures."""

    def rel(a, b):
        return abs(a - b) / max(1.0, abs(b))

    worst = {"estimate": (0.0, None), "se": (0.0, None), "std_all": (0.0, None), "fit": (0.0, None)}
    for r, mine in zip(params_ref, _match(res.params, params_ref)):
        if mine is None or r["op"] in (":=",):
            continue
        name = f"{r['lhs']} {r['op']} {r['rhs']}"
        for k, mk in (("est", "estimate"), ("se", "se"), ("std.all", "std_all")):
            if r.get(k) is None or not np.isfinite(mine[mk]):
                continue
            d = rel(float(mine[mk]), float(r[k]))
            key = "estimate" if k == "est" else mk
            if d > worst[key][0]:
                worst[key] = (d, name)
    for k in FIT_KEYS:
        if k in fit_ref and fit_ref[k] is not None and k in res.fit and res.fit[k] is not None:
            d = rel(float(res.fit[k]), float(fit_ref[k]))
            if d > worst["fit"][0]:
                worst["fit"] = (d, k)
    return {k: {"max_rel_diff": float(v[0]), "where": v[1]} for k, v in worst.items()}


def optimum_check(res, lav_params):
    """Our FIML objective (-2 logl / N) and its largest gradient element at our estimates and at lavaan's."""
    from validate.sem.fiml import Patterns, fiml_grad

    theta = np.array(res.theta, dtype=float)
    rows = _match(res.params, lav_params)
    for r, mine in zip(lav_params, rows):
        if mine is not None and int(mine["free"]) > 0:
            theta[int(mine["free"]) - 1] = float(r["est"])
    pats = [Patterns(Y) for Y in res._data]
    out = {}
    for name, th in (("ours", res.theta), ("lavaan", theta)):
        F, g, _ = fiml_grad(res._cm, th, pats, hessian=False)
        out[name] = {"objective": float(F), "max_abs_gradient": float(np.max(np.abs(g)))}
    out["objective_lavaan_minus_ours"] = out["lavaan"]["objective"] - out["ours"]["objective"]
    out["note"] = (
        "-2 logl / N and its gradient (ours) at both sets of estimates: lavaan's nlminb stops where "
        "the gradient is still about this large, which explains the differences in the estimates"
    )
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each of our fits (best is kept)")
    ap.add_argument("--resamples", type=int, default=100, help="our bootstrap resamples to time")
    ap.add_argument(
        "--lavaan-resamples",
        type=int,
        default=0,
        help="lavaan bootstrap resamples to time (each is a full FIML refit: slow)",
    )
    ap.add_argument("--no-lavaan", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "fiml.json"))
    args = ap.parse_args(argv)
    lavaan = not args.no_lavaan and shutil.which("Rscript") is not None
    if not args.no_lavaan and not lavaan:
        print("Rscript not found: lavaan is not run", flush=True)
    mech, syntax, df, items = model_and_data()
    n_holes = int(df[items].isna().any(axis=1).sum())
    n_patterns = int(len(np.unique(~df[items].isna().to_numpy(), axis=0)))
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "platform": platform.platform(),
            "load_average_at_start": list(os.getloadavg()),
        },
        "model": {
            "spec": str(SPEC.relative_to(ROOT)),
            "mechanism": MECHANISM,
            "data": str(DATA.relative_to(ROOT)),
            "rows": len(df),
            "items": len(items),
            "rows_with_a_hole": n_holes,
            "missing_data_patterns": n_patterns,
            "syntax": syntax,
        },
        "ours": {},
    }
    print(
        f"producer model: {len(items)} items, {len(df)} rows ({n_holes} with a hole, {n_patterns} patterns)", flush=True
    )
    fits = {}
    for est in ("ML", "MLR"):
        fit_sem(syntax, df, missing="fiml", estimator=est)  # warm-up (imports, caches)
        t, res = timed(lambda est=est: fit_sem(syntax, df, missing="fiml", estimator=est), args.repeat)
        fits[est] = res
        result["ours"][f"fiml_fit_{est.lower()}"] = {
            **t,
            "converged": bool(res.converged),
            "iterations": int(res.iterations),
        }
        print(f"  ours FIML {est}: {t['wall']:.3f} s wall, {t['cpu']:.3f} s CPU (best of {args.repeat})", flush=True)
    o = result["ours"]
    o["mlr_over_ml"] = {k: o["fiml_fit_mlr"][k] / o["fiml_fit_ml"][k] for k in ("wall", "cpu")}
    t, _ = timed(lambda: fit_sem(syntax, df, kind="sem"), args.repeat)
    o["complete_data_ml_fit"] = {**t, "n": int(df[items].dropna().shape[0])}
    print(f"  ours complete-data ML (listwise): {t['wall']:.3f} s wall, {t['cpu']:.3f} s CPU", flush=True)
    stat, fast = bootstrap_statistics(fits["ML"], mech, syntax, items)
    data = df[list(fits["ML"].spec.ov_names)].to_numpy(float)
    time_bootstrap(stat, data, 3, seed=99)  # warm-up
    o["bootstrap"], draws = time_bootstrap(stat, data, args.resamples)
    b = o["bootstrap"]
    print(
        f"  ours FIML bootstrap (the pipeline's statistic, fit_sem): {b['wall_ms_per_resample']:.1f} ms wall, "
        f"{b['cpu_ms_per_resample']:.1f} ms CPU per resample ({args.resamples} resamples, one worker, "
        f"{b['failed']} failed)",
        flush=True,
    )
    time_bootstrap(fast, data, 3, seed=99)
    o["bootstrap_suggested_statistic"], draws_fast = time_bootstrap(fast, data, args.resamples)
    bf = o["bootstrap_suggested_statistic"]
    bf["max_abs_diff_of_draws"] = float(np.nanmax(np.abs(draws_fast - draws)))
    bf["note"] = (
        "FimlRefitStatistic: validate.sem.fiml.fiml_refit instead of fit_sem(estimates_only=True), "
        "suggested for validate/structural/analysis.py"
    )
    print(
        f"  ours FIML bootstrap (suggested statistic, fiml_refit): {bf['wall_ms_per_resample']:.1f} ms wall, "
        f"{bf['cpu_ms_per_resample']:.1f} ms CPU per resample (draws differ by <= {bf['max_abs_diff_of_draws']:.1e})",
        flush=True,
    )
    if lavaan:
        with tempfile.TemporaryDirectory(prefix="vcc-bench-fiml-") as tmp:
            print("  lavaan (several minutes) ...", flush=True)
            ref = run_lavaan(syntax, df, items, fits, args.lavaan_resamples, Path(tmp))
        lav = {"version": ref["lavaan"], "complete_data_ml_fit": ref["complete_data_ml"]}
        ratios = {}
        agree = {}
        for est in ("ML", "MLR"):
            r = ref["fits"][est]
            both = {k: r["fit"][k] + r["fit_measures"][k] for k in ("wall", "cpu")}
            lav[f"fiml_fit_{est.lower()}"] = {
                "sem": r["fit"],
                "fitMeasures": r["fit_measures"],
                "sem_plus_fitMeasures": both,
                "iterations": r["iterations"],
                "converged": r["converged"],
            }
            mine = o[f"fiml_fit_{est.lower()}"]
            ratios[f"fiml_fit_{est.lower()}"] = {
                "lavaan_sem_over_ours": {k: r["fit"][k] / mine[k] for k in ("wall", "cpu")},
                "lavaan_sem_plus_fitMeasures_over_ours": {k: both[k] / mine[k] for k in ("wall", "cpu")},
            }
            agree[est] = {
                "lavaan_estimates": agreement(fits[est], r["parameters"], r["fit_measures_values"]),
                "optimum": optimum_check(fits[est], r["parameters"]),
            }
            if "at_our_estimates" in r:
                a0 = r["at_our_estimates"]
                agree[est]["lavaan_at_our_estimates"] = {
                    **agreement(fits[est], a0["parameters"], a0["fit_measures_values"]),
                    "start_taken_max_abs_diff": a0["start_taken_max_abs_diff"],
                }
            if "bootstrap" in r:
                bt = r["bootstrap"]
                lav["bootstrap"] = {
                    **bt,
                    "wall_ms_per_resample": 1000 * bt["wall"] / bt["resamples"],
                    "cpu_ms_per_resample": 1000 * bt["cpu"] / bt["resamples"],
                }
        lav_ml = lav["fiml_fit_ml"]["sem"]
        ratios["bootstrap_1000_resamples_ours_over_one_lavaan_fit"] = {
            "wall": b["wall_ms_per_resample"] / lav_ml["wall"],
            "cpu": b["cpu_ms_per_resample"] / lav_ml["cpu"],
        }
        ratios["bootstrap_1000_resamples_suggested_statistic_over_one_lavaan_fit"] = {
            "wall": bf["wall_ms_per_resample"] / lav_ml["wall"],
            "cpu": bf["cpu_ms_per_resample"] / lav_ml["cpu"],
        }
        if "bootstrap" in lav:
            ratios["bootstrap_per_resample_lavaan_over_ours"] = {
                "wall": lav["bootstrap"]["wall_ms_per_resample"] / b["wall_ms_per_resample"],
                "cpu": lav["bootstrap"]["cpu_ms_per_resample"] / b["cpu_ms_per_resample"],
            }
        ratios["complete_data_ml_fit"] = {
            k: ref["complete_data_ml"][k] / o["complete_data_ml_fit"][k] for k in ("wall", "cpu")
        }
        result["lavaan"] = lav
        result["ratios_lavaan_over_ours"] = ratios
        result["agreement"] = agree
        result["targets"] = {
            "fiml_fit_ml_at_most_1_40_of_lavaan_cpu": bool(ratios["fiml_fit_ml"]["lavaan_sem_over_ours"]["cpu"] >= 40),
            "fiml_fit_ml_at_most_1_40_of_lavaan_wall": bool(
                ratios["fiml_fit_ml"]["lavaan_sem_over_ours"]["wall"] >= 40
            ),
            "bootstrap_resample_at_most_30_ms_cpu": bool(b["cpu_ms_per_resample"] <= 30),
            "bootstrap_resample_at_most_30_ms_wall": bool(b["wall_ms_per_resample"] <= 30),
            "bootstrap_1000_under_one_lavaan_fit_cpu": bool(
                ratios["bootstrap_1000_resamples_ours_over_one_lavaan_fit"]["cpu"] < 1
            ),
            "mlr_within_1_5_of_ml_cpu": bool(o["mlr_over_ml"]["cpu"] <= 1.5),
            "agreement_1e_6_at_our_estimates": bool(
                all(
                    v["max_rel_diff"] <= 1e-6
                    for est in agree
                    for k, v in agree[est].get("lavaan_at_our_estimates", {}).items()
                    if isinstance(v, dict)
                )
            ),
        }
        print(
            "\n  figure                              ours (wall / CPU)      lavaan (wall / CPU)    lavaan/ours (wall / CPU)"
        )
        for est in ("ML", "MLR"):
            m, lv = o[f"fiml_fit_{est.lower()}"], lav[f"fiml_fit_{est.lower()}"]["sem"]
            rr = ratios[f"fiml_fit_{est.lower()}"]["lavaan_sem_over_ours"]
            print(
                f"  one FIML fit with SEs, {est:<3}         {m['wall']:7.3f} / {m['cpu']:6.3f} s    "
                f"{lv['wall']:7.1f} / {lv['cpu']:6.1f} s      {rr['wall']:6.0f}x / {rr['cpu']:5.0f}x"
            )
        lb = lav.get("bootstrap")
        print(
            f"  FIML bootstrap, per resample        {b['wall_ms_per_resample']:7.1f} / {b['cpu_ms_per_resample']:6.1f} ms   "
            + (f"{lb['wall_ms_per_resample']:7.0f} / {lb['cpu_ms_per_resample']:6.0f} ms" if lb else "   (not run)")
        )
        print(
            f"    (suggested statistic)             {bf['wall_ms_per_resample']:7.1f} / {bf['cpu_ms_per_resample']:6.1f} ms"
        )
        cm_, cl = o["complete_data_ml_fit"], ref["complete_data_ml"]
        print(
            f"  complete-data ML fit                {cm_['wall']:7.3f} / {cm_['cpu']:6.3f} s    "
            f"{cl['wall']:7.2f} / {cl['cpu']:6.2f} s"
        )
        r1, r2 = (
            ratios["bootstrap_1000_resamples_ours_over_one_lavaan_fit"],
            ratios["bootstrap_1000_resamples_suggested_statistic_over_one_lavaan_fit"],
        )
        print(
            f"  MLR / ML (ours): {o['mlr_over_ml']['wall']:.2f} wall, {o['mlr_over_ml']['cpu']:.2f} CPU; "
            f"1,000 resamples of ours / one lavaan ML fit: {r1['wall']:.2f} wall, {r1['cpu']:.2f} CPU "
            f"(suggested statistic: {r2['wall']:.2f}, {r2['cpu']:.2f})"
        )
        for est in ("ML", "MLR"):
            for where, a in agree[est].items():
                if where == "optimum":
                    print(
                        f"  {est}: max |gradient| of -2 logl / N at our estimates {a['ours']['max_abs_gradient']:.1e}, "
                        f"at lavaan's {a['lavaan']['max_abs_gradient']:.1e} (objective higher by "
                        f"{a['objective_lavaan_minus_ours']:.1e})"
                    )
                    continue
                print(
                    f"  agreement {est} vs {where}: "
                    + ", ".join(f"{k} {v['max_rel_diff']:.1e}" for k, v in a.items() if isinstance(v, dict))
                )
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, json.dumps(result, indent=2, default=float) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
