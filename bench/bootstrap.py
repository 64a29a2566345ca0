"""Time the SEM bootstrap of indirect effects against lavaan, and check the two agree.

Target: 5,000 resamples of a 28-item, 8-construct mechanism (``bench/specs/bench_28.yaml``)
with n = 600 in under 1/10 of lavaan's time on this machine.

Run from the repository root::

    python bench/bootstrap.py                        # 5,000 resamples; lavaan 1,000 (scaled)
    python bench/bootstrap.py --resamples 1000 --repeat 1 --no-lavaan
    python bench/bootstrap.py --lavaan-resamples 5000   # lavaan's full run: several minutes

What is timed, on both sides, is the same work: per resample, draw n rows with
replacement, compute the sample moments, refit the model's estimates (no
standard errors) starting from the full-sample estimates, and compute the
indirect effects. lavaan's ``se = "bootstrap"`` does exactly that per draw
(``lav_bootstrap_internal`` with ``FUN = "coef"``: ``se = "none"``, no h1, no
baseline, start = the fitted model) and evaluates the ``:=`` parameters from the
stored draws afterwards; its time is the ``seconds`` that
``tests/fixtures/lavaan/lavaan_reference.R`` measures around ``sem()`` (the
full-sample fit is included, < 0.1 s). lavaan runs on one core (its default,
``parallel = "no"``); ours is timed with 1 and with 2 worker processes.

lavaan keeps draws whose solution is inadmissible (it only flags them); our
statistic drops them. None are dropped for bench_28; for PoliticalDemocracy
(n = 75, where about 40% of the draws have a negative residual variance) our
statistic keeps them too here, so that both sides summarise the same draws.
Ours is also timed with ``SuggestedStatistic`` (the changes suggested for
``validate/structural/analysis.py``; same draws to ~1e-15); ``--no-suggested`` skips it.

Point estimates: lavaan's default optimiser (nlminb, ``rel.tol = 1e-10`` on the
discrepancy) stops about 1e-5 from the optimum, so the estimates are compared
through lavaan's own gradient, evaluated by lavaan at its estimates and at ours
(``sem(start = ours, do.fit = FALSE)``): ours is the point where it vanishes.

Monte Carlo agreement: a bootstrap quantity differs between two independent
runs (different random draws) by Monte Carlo error only. For the 2.5%/97.5%
percentile bounds the MC standard deviation of one run with B draws is
``sqrt(p (1 - p) / B) / f(q_p)``, with the density ``f`` at the quantile
estimated from our draws by a Gaussian kernel density (Silverman's bandwidth); for a
bootstrap SE it is ``SE sqrt((kurtosis - 1) / (4 B))``. The two runs' SDs are
combined (``sqrt(sd_ours^2 + sd_lavaan^2)``) and a difference passes within
4 combined SDs (for ~50 comparisons, a false alarm in about 1 in 300 runs).

Prints a summary and writes ``bench/results/bootstrap.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
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
from validate.power.simulate import simulate_mechanism  # noqa: E402
from validate.sem import fit_sem  # noqa: E402
from validate.structural.analysis import SemBootstrapStatistic  # noqa: E402
from validate.structural.bootstrap import run_bootstrap  # noqa: E402
from validate.structural.mediation import enumerate_chains, percentile_ci  # noqa: E402

SPEC = ROOT / "bench" / "specs" / "bench_28.yaml"
LAVAAN_R = ROOT / "tests" / "fixtures" / "lavaan" / "lavaan_reference.R"
PD_DATA = ROOT / "tests" / "fixtures" / "data" / "political_democracy.csv"
PD_MODEL = ROOT / "tests" / "fixtures" / "lavaan" / "political_democracy_sem.json"
N = 600
DATA_SEED = 20240601
BOOT_SEED = 1
MC_SDS = 4.0


class PathsAndEffects(SemBootstrapStatistic):
    """The real statistic, plus the path coefficients (to compare their bootstrap SEs).

    Costs a few microseconds per resample over :class:`SemBootstrapStatistic`.
    """

    def __init__(self, *args, path_index=(), keep_inadmissible=False, **kw):
        super().__init__(*args, **kw)
        self.path_index = np.asarray(path_index, dtype=np.intp)
        self.keep_inadmissible = keep_inadmissible

    def __call__(self, rows):
        if not self.keep_inadmissible:
            return super().__call__(rows)
        # as lavaan's bootstrap: keep converged draws even when inadmissible (it only flags them)
        from validate.sem import fit_moments

        S = np.cov(rows, rowvar=False, bias=True)
        fit = fit_moments(self.model, [S], [rows.mean(axis=0)], [rows.shape[0]], start=self.theta0)
        if not fit.converged:
            return None, "did not converge"
        return self.effects(fit.theta), None

    @property
    def k(self) -> int:
        return super().k + len(self.path_index)

    def effects(self, theta):
        return np.concatenate([super().effects(theta), np.asarray(theta)[self.path_index]])


class SuggestedStatistic(PathsAndEffects):
    """:class:`SemBootstrapStatistic` with the changes suggested for it, to time them.

    Moments by one centred product instead of ``np.cov``; effects through
    :class:`validate.sem.effects.EffectVector` (index work done once); no
    BLAS thread switching per call (``run_bootstrap``'s workers already run
    one BLAS thread). Same numbers to ~1e-15.
    """

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        from validate.sem.effects import EffectVector

        self._ev = EffectVector(self.model, self.factors, self.chains, self.pairs)

    def effects(self, theta):
        return np.concatenate([self._ev(theta), np.asarray(theta)[self.path_index]])

    def __call__(self, rows):
        from validate.sem import fit_moments

        n = rows.shape[0]
        mean = rows.mean(axis=0)
        Xc = rows - mean
        S = (Xc.T @ Xc) / n
        try:
            fit = fit_moments(self.model, [S], [mean], [n], start=self.theta0, blas_threads_1=False)
        except (ValueError, np.linalg.LinAlgError) as exc:
            return None, f"the model could not be fitted ({type(exc).__name__})"
        if not fit.converged:
            return None, "did not converge"
        if not fit.admissible and not self.keep_inadmissible:
            return None, "inadmissible solution (" + (fit.warnings[0] if fit.warnings else "Heywood case") + ")"
        return self.effects(fit.theta), None


# ----------------------------------------------------------------------------- models


def bench_model():
    """Data (n = 600, fixed seed), our syntax, lavaan's syntax (labels and := lines), chains."""
    spec = load_spec(SPEC)
    mech = spec.mechanisms["main"]
    df = simulate_mechanism(mech, spec.scale, N, paths=0.35, seed=DATA_SEED)
    factors = list(mech.constructs)
    active = mech.active_paths(False)
    chains = enumerate_chains([(p.source, p.target) for p in active])
    pairs = sorted({(c.source, c.target) for c in chains}, key=lambda t: (factors.index(t[0]), factors.index(t[1])))
    lines = [f"{c.id} =~ " + " + ".join(c.item_ids) for c in mech.constructs.values()]
    by_target: dict[str, list[str]] = {}
    for p in active:
        by_target.setdefault(p.target, []).append(f"p_{p.source}_{p.target}*{p.source}")
    lines += [f"{t} ~ " + " + ".join(s) for t, s in by_target.items()]

    def prod(c):
        return "*".join(f"p_{a}_{b}" for a, b in zip(c.nodes[:-1], c.nodes[1:]))

    for i, c in enumerate(chains):
        lines.append(f"ind{i + 1} := {prod(c)}")
    for x, y in pairs:
        lines.append(f"tind_{x}_{y} := " + " + ".join(prod(c) for c in chains if (c.source, c.target) == (x, y)))
    return dict(
        name="bench_28",
        df=df,
        syntax=mech.lavaan_syntax(),
        lavaan=("\n".join(lines) + "\n"),
        factors=factors,
        chains=chains,
        pairs=pairs,
        paths=[(p.source, p.target) for p in active],
    )


def pd_model():
    ref = json.loads(PD_MODEL.read_text())
    df = pd.read_csv(PD_DATA)
    paths = [("ind60", "dem60"), ("ind60", "dem65"), ("dem60", "dem65")]
    factors = ["ind60", "dem60", "dem65"]
    chains = enumerate_chains(paths)
    pairs = sorted({(c.source, c.target) for c in chains})
    return dict(
        name="political_democracy",
        df=df,
        syntax=ref["model"],
        lavaan=ref["model"] + "\n",
        factors=factors,
        chains=chains,
        pairs=pairs,
        paths=paths,
        keep_inadmissible=True,
    )


def make_statistic(m):
    res = fit_sem(m["syntax"], m["df"], kind="sem")
    if not res.converged:
        raise SystemExit(f"{m['name']}: the full-sample model did not converge")
    pt = res.params
    idx = []
    for x, y in m["paths"]:
        r = pt[(pt.op == "~") & (pt.lhs == y) & (pt.rhs == x)].iloc[0]
        idx.append(int(r.free) - 1)
    items = list(res.spec.ov_names)
    data = m["df"][items].dropna().to_numpy(float)
    args = (res.spec, res.theta, items, m["factors"], m["chains"], m["pairs"])
    kw = dict(path_index=idx, keep_inadmissible=m.get("keep_inadmissible", False))
    return res, PathsAndEffects(*args, **kw), SuggestedStatistic(*args, **kw), data


# ----------------------------------------------------------------------------- timing


def time_ours(stat, data, B, workers, repeat):
    """Seconds of ``repeat`` runs (after one untimed warm-up that starts the worker pool)."""
    run_bootstrap(stat, data, min(B, 50 * workers), stat.k, seed=BOOT_SEED + 1, workers=workers, progress=False)
    times, boot = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        boot = run_bootstrap(stat, data, B, stat.k, seed=BOOT_SEED, workers=workers, progress=False)
        times.append(time.perf_counter() - t)
    return times, boot


def summary_ms(times, B):
    ms = [1000 * t / B for t in times]
    return {
        "seconds": [round(t, 3) for t in times],
        "ms_per_resample_best": round(min(ms), 4),
        "ms_per_resample_median": round(statistics.median(ms), 4),
    }


GRAD_R = r"""
suppressMessages({library(lavaan); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
model <- paste(readLines(a[2]), collapse = "\n")
data <- read.csv(a[1], check.names = FALSE)
fit <- sem(model, data = data)
ours <- read.csv(a[3], stringsAsFactors = FALSE)
fit0 <- sem(model, data = data, start = ours, do.fit = FALSE)
g_lav <- lavaan:::lav_model_gradient(fit@Model, lavsamplestats = fit@SampleStats, lavdata = fit@Data)
g_ours <- lavaan:::lav_model_gradient(fit0@Model, lavsamplestats = fit0@SampleStats, lavdata = fit0@Data)
pe0 <- parameterEstimates(fit0, se = FALSE)
m <- merge(pe0, ours, by = c("lhs", "op", "rhs"))
writeLines(toJSON(list(max_abs_gradient_at_lavaan_estimates = max(abs(g_lav)),
                       max_abs_gradient_at_our_estimates = max(abs(g_ours)),
                       start_taken_max_abs_diff = max(abs(m$est.x - m$est.y))), digits = NA, auto_unbox = TRUE), a[4])
"""


def lavaan_gradients(m, res, tmp: Path):
    """lavaan's own gradient (of its fmin = F/2) at its estimates and at ours (``start = ours``, ``do.fit = FALSE``)."""
    script = tmp / "grad.R"
    script.write_text(GRAD_R)
    ours = res.params[res.params.op.isin(["=~", "~", "~~"])][["lhs", "op", "rhs", "estimate"]]
    ours_csv = tmp / f"{m['name']}_ours.csv"
    ours.rename(columns={"estimate": "est"}).to_csv(ours_csv, index=False)
    csv, lav, out = tmp / f"{m['name']}.csv", tmp / f"{m['name']}.lav", tmp / f"{m['name']}_grad.json"
    proc = subprocess.run(
        ["Rscript", str(script), str(csv), str(lav), str(ours_csv), str(out)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        print(f"  (lavaan's gradient check failed: {proc.stderr[-300:]})")
        return None
    return json.loads(out.read_text())


def run_lavaan(m, B, tmp: Path):
    csv = tmp / f"{m['name']}.csv"
    lav = tmp / f"{m['name']}.lav"
    out = tmp / f"{m['name']}_lavaan.json"
    m["df"].to_csv(csv, index=False)
    lav.write_text(m["lavaan"])
    cmd = ["Rscript", str(LAVAAN_R), str(csv), str(lav), str(out), f"bootstrap={B}", f"seed={BOOT_SEED}"]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"lavaan failed ({' '.join(cmd)}):\n{proc.stderr[-2000:]}")
    ref = json.loads(out.read_text())
    ref["wall_seconds"] = wall
    return ref


# ----------------------------------------------------------------------------- Monte Carlo bounds


def quantile_mc_sd(draws, p, B_other=None):
    """MC SD of the p-quantile with our B and with lavaan's B.

    ``sqrt(p (1 - p) / B) / f(q_p)``; the density ``f`` at the quantile is a
    Gaussian kernel estimate from our draws (Silverman's bandwidth).
    """
    from scipy.stats import gaussian_kde

    d = draws[np.isfinite(draws)]
    q = np.quantile(d, p)
    dens = float(gaussian_kde(d, bw_method="silverman")(q)[0])
    base = np.sqrt(p * (1 - p)) / max(dens, 1e-300)
    return base / np.sqrt(len(d)), (base / np.sqrt(B_other) if B_other else 0.0)


def se_mc_sd(draws, B_other):
    d = draws[np.isfinite(draws)]
    s = np.std(d, ddof=1)
    z = (d - d.mean()) / s
    kurt = float(np.mean(z**4))
    f = np.sqrt(max(kurt - 1, 0.5) / 4)
    return s * f / np.sqrt(len(d)), s * f / np.sqrt(B_other)


def _lavaan_theta(res, parameters):
    """lavaan's estimates as our free-parameter vector."""
    lp = pd.DataFrame(parameters)
    ours = res.params
    theta = np.array(res.theta, dtype=float)
    for r in ours[ours.free > 0].itertuples(index=False):
        sel = lp[(lp.lhs == r.lhs) & (lp.op == r.op) & (lp.rhs == r.rhs)]
        if r.op == "~~" and sel.empty:
            sel = lp[(lp.lhs == r.rhs) & (lp.op == r.op) & (lp.rhs == r.lhs)]
        theta[int(r.free) - 1] = float(sel.est.iloc[0])
    return theta


def _grad_at(res, theta):
    from validate.sem.estimate import gradient_and_information

    F, g, _ = gradient_and_information(res._cm, theta, res._stats, hessian=False)
    return float(F), float(np.max(np.abs(g)))


def compare(res, stat, boot, ref, m, B_lav, lav_grad=None):
    """Point estimates, bootstrap SEs of the paths, percentile CIs of the indirect effects."""
    lp = pd.DataFrame(ref["parameters"])
    lav_theta = _lavaan_theta(res, ref["parameters"])
    est_diff = float(np.max(np.abs(lav_theta - res.theta)))
    F_ours, g_ours = _grad_at(res, res.theta)
    F_lav, g_lav = _grad_at(res, lav_theta)
    point = {
        "max_abs_diff_default_lavaan": est_diff,
        "ml_discrepancy_minus_ours_at_lavaan_estimates": F_lav - F_ours,
        "max_abs_gradient_at_our_estimates": g_ours,
        "max_abs_gradient_at_lavaan_estimates": g_lav,
        "note": "lavaan's default nlminb stops at rel.tol = 1e-10 on the discrepancy, which leaves "
        "parameters accurate to about 1e-5; its estimates have the larger gradient",
    }
    if lav_grad is not None:
        point["lavaan_own_gradient"] = {
            **lav_grad,
            "note": "lavaan's gradient of its fmin (= F/2), evaluated "
            "by lavaan at its estimates and at ours (sem(start = ours, do.fit = FALSE))",
        }
    good = boot.good()
    nchain, npair = len(stat.chains), len(stat.pairs)
    base = 2 * nchain + 2 * npair
    checks = []

    def check(kind, name, ours_v, lav_v, sd_o, sd_l):
        sd = float(np.hypot(sd_o, sd_l))
        z = abs(ours_v - lav_v) / sd if sd > 0 else (0.0 if ours_v == lav_v else np.inf)
        checks.append(
            {
                "what": kind,
                "name": name,
                "ours": round(float(ours_v), 6),
                "lavaan": round(float(lav_v), 6),
                "mc_sd": round(sd, 6),
                "z": round(float(z), 2),
                "ok": bool(z <= MC_SDS),
            }
        )

    for j, (x, y) in enumerate(m["paths"]):
        d = good[:, base + j]
        sel = lp[(lp.op == "~") & (lp.lhs == y) & (lp.rhs == x)]
        sd_o, sd_l = se_mc_sd(d, B_lav)
        check("path bootstrap SE", f"{y} ~ {x}", np.std(d, ddof=1), float(sel.se.iloc[0]), sd_o, sd_l)
    defined = lp[lp.op == ":="].reset_index(drop=True)
    targets = [(2 * i, c.key) for i, c in enumerate(stat.chains)]
    targets += [(2 * nchain + 2 * j + 1, f"total indirect {x}->{y}") for j, (x, y) in enumerate(stat.pairs)]
    if m["name"] == "political_democracy":  # indirect := a*b only
        lav_rows = {0: defined[defined.lhs == "indirect"].iloc[0]}
        targets = targets[:1]
    else:
        lav_rows = {}
        for t, (_col, name) in enumerate(targets):
            lab = f"ind{t + 1}" if t < nchain else "tind_" + name.split(" ")[-1].replace("->", "_")
            lav_rows[t] = defined[defined.lhs == lab].iloc[0]
    for t, (col, name) in enumerate(targets):
        d = good[:, col]
        lo, hi = percentile_ci(d)
        row = lav_rows[t]
        for p, ours_v, lav_v in ((0.025, lo, row.ci_lower), (0.975, hi, row.ci_upper)):
            sd_o, sd_l = quantile_mc_sd(d, p, B_lav)
            check(f"percentile CI {'lower' if p < 0.5 else 'upper'}", name, ours_v, float(lav_v), sd_o, sd_l)
    return {
        "point_estimates": point,
        "mc_bound": f"|ours - lavaan| <= {MC_SDS:g} x sqrt(sd_ours^2 + sd_lavaan^2)",
        "all_within_mc": bool(all(c["ok"] for c in checks)),
        "max_z": max(c["z"] for c in checks),
        "checks": checks,
    }


# ----------------------------------------------------------------------------- main


def bench_one(m, B, B_lav, workers_list, repeat, lavaan: bool, tmp: Path, suggested: bool):
    res, stat, sugg, data = make_statistic(m)
    out = {
        "model": m["name"],
        "n": int(data.shape[0]),
        "items": int(data.shape[1]),
        "free_parameters": int(len(res.theta)),
        "indirect_chains": len(stat.chains),
        "resamples": B,
        "ours": {},
    }
    boot = None
    for w in workers_list:
        times, b = time_ours(stat, data, B, w, repeat)
        boot = boot or b
        out["ours"][f"workers_{w}"] = summary_ms(times, B)
        print(
            f"  ours, {w} worker(s): {out['ours'][f'workers_{w}']['ms_per_resample_best']:.3f} ms/resample best, "
            f"{out['ours'][f'workers_{w}']['ms_per_resample_median']:.3f} median "
            f"({B} resamples x {repeat}; {boot.failed} failed)",
            flush=True,
        )
    out["failed_resamples"] = boot.summary()
    if suggested:
        out["ours_with_suggested_statistic"] = {}
        for w in workers_list:
            times, b = time_ours(sugg, data, B, w, repeat)
            diff = float(np.nanmax(np.abs(b.draws - boot.draws)))
            out["ours_with_suggested_statistic"][f"workers_{w}"] = {
                **summary_ms(times, B),
                "max_abs_diff_of_draws": diff,
            }
            r = out["ours_with_suggested_statistic"][f"workers_{w}"]
            print(
                f"  ours with the suggested statistic, {w} worker(s): {r['ms_per_resample_best']:.3f} ms/resample "
                f"best, {r['ms_per_resample_median']:.3f} median (draws differ by <= {diff:.1e})",
                flush=True,
            )
    if lavaan:
        print(f"  lavaan: {B_lav} resamples ...", flush=True)
        ref = run_lavaan(m, B_lav, tmp)
        ms = 1000 * ref["seconds"] / B_lav
        out["lavaan"] = {
            "version": ref["source"]["lavaan"],
            "resamples": B_lav,
            "seconds": round(ref["seconds"], 3),
            "ms_per_resample": round(ms, 4),
            "note": (
                f"lavaan ran {B_lav} resamples on one core; its time per resample is scaled to {B} resamples"
                if B_lav != B
                else "lavaan ran the same number of resamples"
            ),
        }
        out["lavaan_seconds_scaled_to_resamples"] = round(ms * B / 1000, 2)
        out["ratio_lavaan_over_ours"] = {k: round(ms / v["ms_per_resample_best"], 2) for k, v in out["ours"].items()}
        out["ratio_lavaan_over_ours_median"] = {
            k: round(ms / v["ms_per_resample_median"], 2) for k, v in out["ours"].items()
        }
        if suggested:
            out["ratio_lavaan_over_ours_with_suggested_statistic"] = {
                k: round(ms / v["ms_per_resample_best"], 2) for k, v in out["ours_with_suggested_statistic"].items()
            }
        out["agreement"] = compare(res, stat, boot, ref, m, B_lav, lavaan_gradients(m, res, tmp))
        out["target_under_a_tenth_of_lavaan"] = {k: bool(v >= 10) for k, v in out["ratio_lavaan_over_ours"].items()}
        scaled = f" (scaled to {B}: {out['lavaan_seconds_scaled_to_resamples']:.0f} s)" if B_lav != B else ""
        print(
            f"  lavaan {ref['source']['lavaan']}: {ms:.2f} ms/resample from {B_lav} resamples on one core{scaled}; "
            "lavaan / ours (best): "
            + ", ".join(f"{k}: {v}x" for k, v in out["ratio_lavaan_over_ours"].items())
            + " (median: "
            + ", ".join(f"{k}: {v}x" for k, v in out["ratio_lavaan_over_ours_median"].items())
            + ")",
            flush=True,
        )
        a = out["agreement"]
        pe = a["point_estimates"]
        pe = a["point_estimates"]
        lg = pe.get("lavaan_own_gradient") or {}
        print(
            f"  estimates: max |ours - lavaan| = {pe['max_abs_diff_default_lavaan']:.1e}; max |gradient| of "
            f"lavaan's own objective at lavaan's estimates {lg.get('max_abs_gradient_at_lavaan_estimates', np.nan):.1e}"
            f", at ours {lg.get('max_abs_gradient_at_our_estimates', np.nan):.1e}",
            flush=True,
        )
        print(
            f"  bootstrap SEs of the paths and percentile CIs of the indirect effects within {MC_SDS:g} MC SDs: "
            f"{a['all_within_mc']} (max z = {a['max_z']}, {len(a['checks'])} comparisons)",
            flush=True,
        )
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--resamples", type=int, default=5000)
    ap.add_argument("--lavaan-resamples", type=int, default=1000)
    ap.add_argument("--pd-resamples", type=int, default=1000, help="resamples for PoliticalDemocracy (ours and lavaan)")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts to time")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-lavaan", action="store_true")
    ap.add_argument("--skip-pd", action="store_true")
    ap.add_argument(
        "--no-suggested",
        action="store_true",
        help="do not time the statistic with the changes suggested for validate/structural/analysis.py",
    )
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "bootstrap.json"))
    args = ap.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",")]
    lavaan = not args.no_lavaan and shutil.which("Rscript") is not None
    if not args.no_lavaan and not lavaan:
        print("Rscript not found: lavaan is not run", flush=True)
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "platform": platform.platform(),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "load_average_at_start": list(os.getloadavg()),
        },
        "what_is_timed": "per resample: resample rows, sample moments, ML refit of the estimates from the "
        "full-sample estimates (no SEs), indirect effects; lavaan: se='bootstrap' (estimates "
        "only per draw, FUN='coef'), one core",
        "models": [],
    }
    with tempfile.TemporaryDirectory(prefix="vcc-bench-boot-") as tmp:
        tmp = Path(tmp)
        print(f"bench_28: 28 items, 8 constructs, n = {N}", flush=True)
        result["models"].append(
            bench_one(
                bench_model(),
                args.resamples,
                args.lavaan_resamples,
                workers,
                args.repeat,
                lavaan,
                tmp,
                not args.no_suggested,
            )
        )
        if not args.skip_pd:
            print("PoliticalDemocracy: 11 items, 3 constructs, n = 75", flush=True)
            result["models"].append(
                bench_one(
                    pd_model(),
                    args.pd_resamples,
                    args.pd_resamples,
                    workers,
                    args.repeat,
                    lavaan,
                    tmp,
                    not args.no_suggested,
                )
            )
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
