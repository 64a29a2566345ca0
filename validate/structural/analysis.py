"""The structural model of a mechanism: hypotheses, effect sizes, mediation, platform comparison.

:func:`analyse_structural` fits the SEM that the spec's paths define (lavaan's
``sem()`` defaults: first loading fixed to 1, exogenous constructs correlate,
``auto.cov.y``), tests every path as a hypothesis, enumerates and bootstraps
every indirect effect, and, with a group column, tests measurement invariance
and the equality of each path across groups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from instruments.errors import InputError
from instruments.spec import Mechanism, ModelSpec
from validate.measurement.analysis import fit_dict, guarded, json_float
from validate.structural.bootstrap import bca_jackknife, run_bootstrap
from validate.structural.mediation import (
    Chain,
    bca_ci,
    classify_mediation,
    effect_of_chain,
    enumerate_chains,
    percentile_ci,
    total_effects,
    vaf,
)

__all__ = [
    "analyse_structural",
    "fit_structural",
    "latent_matrices",
    "f_squared",
    "invariance",
    "multigroup_paths",
    "SemBootstrapStatistic",
    "chisq_difference",
    "compare_mechanisms",
]


def fit_structural(df: pd.DataFrame, mechanism: Mechanism, opts, **kw):
    """Fit the mechanism's SEM with the chosen estimator and missing-data handling."""
    from validate.sem import fit_sem

    syntax = kw.pop("syntax", None) or mechanism.lavaan_syntax(structural=True, direct=opts.direct_effects)
    return fit_sem(syntax, df, estimator=opts.estimator, missing=opts.missing, kind="sem",
                   auto_cov_y=opts.auto_cov_y, **kw)


def latent_matrices(params: pd.DataFrame, factors: list[str]):
    """Structural coefficients ``B[to, from]``, residual covariance ``Psi`` and total latent covariance."""
    k = len(factors)
    ix = {f: i for i, f in enumerate(factors)}
    B = np.zeros((k, k))
    Psi = np.zeros((k, k))
    for r in params.itertuples(index=False):
        if r.op == "~" and r.lhs in ix and r.rhs in ix:
            B[ix[r.lhs], ix[r.rhs]] = r.estimate
        elif r.op == "~~" and r.lhs in ix and r.rhs in ix:
            Psi[ix[r.lhs], ix[r.rhs]] = Psi[ix[r.rhs], ix[r.lhs]] = r.estimate
    T = np.linalg.inv(np.eye(k) - B)
    return B, Psi, T @ Psi @ T.T


def _r2_from_cov(cov: np.ndarray, y: int, xs: list[int]) -> float:
    if not xs:
        return 0.0
    C = cov[np.ix_(xs, xs)]
    c = cov[xs, y]
    return float(c @ np.linalg.solve(C, c) / cov[y, y])


def f_squared(cov: np.ndarray, ix: dict[str, int], target: str, predictors: list[str], drop: str) -> float:
    """Cohen's f² of ``drop -> target``: ``(R²_in - R²_out) / (1 - R²_in)``.

    Notes
    -----
    Both R² values come from the model-implied covariance of the latent
    variables, as the regression of ``target`` on its predictors with and
    without ``drop``. This is Cohen's (1988) f² of a path, as SmartPLS reports
    it, without refitting the model for every path.
    """
    y = ix[target]
    xs = [ix[p] for p in predictors]
    r_in = _r2_from_cov(cov, y, xs)
    r_out = _r2_from_cov(cov, y, [ix[p] for p in predictors if p != drop])
    return (r_in - r_out) / (1 - r_in) if r_in < 1 else float("nan")


def chisq_difference(restricted: dict, free: dict, estimator: str = "ML") -> dict:
    """Chi-square difference test of nested models (restricted has more df).

    For MLR the Satorra-Bentler (2001) scaled difference is used:
    ``cd = (df0 c0 - df1 c1) / (df0 - df1)``, ``T = (T0 - T1) / cd`` with the
    unscaled statistics ``T`` and scaling factors ``c``, as lavaan's
    ``lavTestLRT(method = "satorra.bentler.2001")``.
    """
    t0, t1 = restricted.get("chisq"), free.get("chisq")
    d0, d1 = restricted.get("df"), free.get("df")
    if None in (t0, t1, d0, d1) or d0 <= d1:
        return {"chisq_diff": None, "df_diff": None, "p_value": None}
    ddf = d0 - d1
    diff = t0 - t1
    if estimator == "WLSMV":
        return {"chisq_diff": None, "df_diff": ddf, "p_value": None,
                "warning": "the chi-square difference test for WLSMV needs lavaan's scaled-shifted difference "
                           "(DIFFTEST), which is not implemented yet; the unscaled difference is not a valid test"}
    if estimator == "MLR":
        c0, c1 = restricted.get("chisq_scaling_factor"), free.get("chisq_scaling_factor")
        if c0 is None or c1 is None:
            return {"chisq_diff": None, "df_diff": ddf, "p_value": None}
        cd = (d0 * c0 - d1 * c1) / ddf
        if cd <= 0:
            return {"chisq_diff": None, "df_diff": ddf, "p_value": None,
                    "warning": "the scaled chi-square difference is not defined (negative scaling); "
                               "report the unscaled difference with care"}
        diff = diff / cd
    diff = max(diff, 0.0)
    return {"chisq_diff": json_float(diff), "df_diff": json_float(ddf), "p_value": json_float(stats.chi2.sf(diff, ddf))}


# ----------------------------------------------------------------------------- bootstrap


class SemBootstrapStatistic:
    """Indirect effects (raw and standardised) of one resample, refitted from its moments.

    Starts every refit at the full-sample estimates and fits from the resample's
    covariance matrix (and means) only, with the estimator core's Fisher scoring.
    """

    def __init__(self, model, theta0: np.ndarray, ov_names: list[str], factors: list[str],
                 chains: list[Chain], pairs: list[tuple[str, str]]):
        from validate.sem.effects import EffectVector

        self.model = model
        self.theta0 = np.asarray(theta0, float)
        self.ov_names = ov_names
        self.factors = factors
        self.chains = chains
        self.pairs = pairs
        self._effects = EffectVector(model, factors, chains, pairs)

    @property
    def k(self) -> int:
        return 2 * len(self.chains) + 2 * len(self.pairs)

    def effects(self, theta: np.ndarray) -> np.ndarray:
        """Per chain [effect, standardised effect], then per pair [total, total indirect]."""
        return self._effects(theta)

    def __call__(self, rows: np.ndarray):
        from validate.sem import fit_moments

        n = rows.shape[0]
        mean = rows.mean(axis=0)
        Xc = rows - mean
        S = (Xc.T @ Xc) / n  # divisor N, as lavaan's sample covariance
        fit, why = _refit(fit_moments, self.model, [S], [mean], [n], start=self.theta0)
        return (None, why) if why else (self.effects(fit.theta), None)


def _refit(fit, *args, **kwargs):
    """Run one resample's fit; returns ``(result, None)`` or ``(None, reason it cannot be used)``."""
    try:
        with np.errstate(all="ignore"):  # a degenerate resample is caught below, not printed
            r = fit(*args, **kwargs)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return None, f"the model could not be fitted ({type(exc).__name__})"
    if not r.converged:
        return None, "did not converge"
    if not r.admissible:
        return None, _inadmissible_reason(r.warnings)
    return r, None


def _inadmissible_reason(warnings: list[str]) -> str:
    """A short, countable reason: the same kind of failure gives the same text."""
    text = " ".join(warnings).lower()
    if "heywood" in text or "negative variance" in text or "negative" in text:
        return "inadmissible solution (a negative variance: Heywood case)"
    if "positive definite" in text:
        return "inadmissible solution (a latent covariance matrix is not positive definite)"
    return "inadmissible solution"


class RefitBootstrapStatistic:
    """Indirect effects of one resample, refitted from the raw rows with :func:`validate.sem.fit_sem`.

    The general path for the estimators the moment-based refit cannot serve: FIML (rows with
    missing answers are kept) and WLSMV (thresholds and polychoric correlations are recomputed
    for each resample). Slower than :class:`SemBootstrapStatistic`, with the same output.
    """

    def __init__(self, syntax: str, columns: list[str], fit_kw: dict, start_params: pd.DataFrame,
                 factors: list[str], chains: list[Chain], pairs: list[tuple[str, str]]):
        self.syntax = syntax
        self.columns = columns
        self.fit_kw = fit_kw
        self.start = _Start(start_params[["lhs", "op", "rhs", "group", "estimate"]].copy())
        self.factors = factors
        self.chains = chains
        self.pairs = pairs

    @property
    def k(self) -> int:
        return 2 * len(self.chains) + 2 * len(self.pairs)

    def __call__(self, rows: np.ndarray):
        from validate.sem import fit_sem

        df = pd.DataFrame(rows, columns=self.columns)
        r, why = _refit(fit_sem, self.syntax, df, start=self.start, **self.fit_kw)
        if why:
            return None, why
        B, _, cov = latent_matrices(r.params, self.factors)
        return effect_vector(B, cov, self.factors, self.chains, self.pairs), None


@dataclass
class _Start:
    """The part of a fit that ``fit_sem(start=...)`` reads, small enough to send to workers."""

    params: pd.DataFrame


def effect_vector(B, cov, factors, chains, pairs) -> np.ndarray:
    ix = {f: i for i, f in enumerate(factors)}
    sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    tot = total_effects(B)
    out = []
    for c in chains:
        e = effect_of_chain(B, ix, c)
        out += [e, e * sd[ix[c.source]] / sd[ix[c.target]]]
    for x, y in pairs:
        t = tot[ix[y], ix[x]]
        ind = t - B[ix[y], ix[x]]
        out += [t, ind]
    return np.array(out)


# ----------------------------------------------------------------------------- main


def analyse_structural(df: pd.DataFrame, mechanism: Mechanism, spec: ModelSpec, opts,
                       cfa_fit: dict | None = None) -> dict:
    """Structural results of one mechanism in the shape of ``results.json``."""
    warnings: list[str] = []
    out: dict = {"warnings": warnings}
    res = guarded(warnings, "the structural model", fit_structural, df, mechanism, opts)
    if res is None:
        return {"structural": out}
    # the measurement section already reports how many cases listwise deletion removed
    warnings.extend(w for w in res.warnings if "listwise deletion" not in w)
    out["converged"] = bool(res.converged)
    out["admissible"] = bool(res.admissible)
    if not res.converged:
        warnings.append("the structural model did not converge; no path estimates are reported")
        return {"structural": out}
    out["fit"] = fit_dict(res.fit)
    if cfa_fit:
        out["chisq_diff"] = chisq_difference(out["fit"], cfa_fit, opts.estimator)
        out["measurement_fit"] = cfa_fit

    factors = list(mechanism.constructs)
    pt = res.params
    B, Psi, cov = latent_matrices(pt, factors)
    ix = {f: i for i, f in enumerate(factors)}
    active = mechanism.active_paths(opts.direct_effects)
    preds: dict[str, list[str]] = {}
    for p in active:
        preds.setdefault(p.target, []).append(p.source)
    rows = []
    for p in active:
        r = pt[(pt.op == "~") & (pt.lhs == p.target) & (pt.rhs == p.source)].iloc[0]
        pval = json_float(r.p_value)
        rows.append({
            "hypothesis": p.hypothesis, "from": p.source, "to": p.target, "direct": p.direct,
            "estimate": json_float(r.estimate), "se": json_float(r.se), "z": json_float(r.z), "p_value": pval,
            "ci_lower": json_float(r.ci_lower), "ci_upper": json_float(r.ci_upper), "std": json_float(r.std_all),
            "f2": json_float(f_squared(cov, ix, p.target, preds[p.target], p.source)) if res.admissible else None,
            "supported": bool(pval is not None and pval < opts.alpha) if res.admissible else None,
        })
    out["paths"] = rows
    r2 = res.r2 if isinstance(res.r2, dict) else {}
    out["r2"] = {c: (json_float(r2.get(c)) if res.admissible else None) for c in factors if c in preds}
    if not res.admissible:
        warnings.append("the solution is inadmissible, so no hypothesis is judged supported or not, and R², f² "
                        "and bootstrap intervals are not reported; the estimates are shown only to help find the "
                        "problem (see the warnings above)")
    out.update(_indirect(df, mechanism, res, factors, B, cov, active, rows, opts, warnings))
    result = {"structural": out}
    if opts.group:
        result.update(platform_comparison(df, mechanism, spec, opts))
    return result


def _indirect(df, mechanism, res, factors, B, cov, active, path_rows, opts, warnings) -> dict:
    chains = enumerate_chains([(p.source, p.target) for p in active])
    if not chains:
        return {"indirect": [], "effects": []}
    pairs = sorted({(c.source, c.target) for c in chains},
                   key=lambda t: (factors.index(t[0]), factors.index(t[1])))
    point = effect_vector(B, cov, factors, chains, pairs)
    boot = None
    jk = None
    if opts.bootstrap and res.admissible:
        items = list(res.spec.ov_names)  # the model's variable order
        if opts.missing == "fiml" or opts.estimator == "WLSMV":
            # FIML keeps the rows with missing answers; WLSMV recomputes the polychorics per resample.
            data = (df[items] if opts.missing == "fiml" else df[items].dropna()).to_numpy(float)
            syntax = mechanism.lavaan_syntax(structural=True, direct=opts.direct_effects)
            fit_kw = {"estimator": opts.estimator, "missing": opts.missing, "kind": "sem",
                      "auto_cov_y": opts.auto_cov_y, "estimates_only": True}
            stat = RefitBootstrapStatistic(syntax, items, fit_kw, res.params, factors, chains, pairs)
            warnings.append(f"with --missing {opts.missing} / --estimator {opts.estimator} each bootstrap "
                            "resample is refitted from its raw rows; BCa intervals, which would need a "
                            "jackknife refit per respondent, are not computed (percentile intervals are)")
        else:
            data = df[items].dropna().to_numpy(float)
            stat = SemBootstrapStatistic(res.spec, res.theta, items, factors, chains, pairs)
        if getattr(opts, "scheduler", None):
            from validate.executors import make_executor

            with make_executor(opts.scheduler) as ex:
                boot = run_bootstrap(stat, data, opts.bootstrap, stat.k, seed=opts.seed,
                                     progress=opts.progress, desc=f"{mechanism.id} bootstrap", executor=ex)
        else:
            boot = run_bootstrap(stat, data, opts.bootstrap, stat.k, seed=opts.seed, workers=opts.workers,
                                 progress=opts.progress, desc=f"{mechanism.id} bootstrap")
        if isinstance(stat, SemBootstrapStatistic):  # exact jackknife to n = 1,000, influence values above
            from validate.sem.influence import EffectInfluence

            jk = bca_jackknife(stat, data, stat.k, influence=EffectInfluence(res.spec, res.theta, stat.effects))
        if boot.failed:
            warnings.append(f"{boot.failed} of {boot.requested} bootstrap resamples failed and were left out "
                            f"of the intervals: " + "; ".join(f"{v} {k}" for k, v in boot.failures.items()))
    direct = {(p["from"], p["to"]): p for p in path_rows}
    base = 2 * len(chains)
    total_of = {pair: point[base + 2 * j] for j, pair in enumerate(pairs)}
    ind_rows = []
    draws_out = {}
    for i, c in enumerate(chains):
        est, std = point[2 * i], point[2 * i + 1]
        row = {"chain": list(c.nodes), "key": c.key, "estimate": json_float(est), "std": json_float(std),
               "se": None, "ci_lower": None, "ci_upper": None, "bca_lower": None, "bca_upper": None,
               "std_ci_lower": None, "std_ci_upper": None}
        if boot is not None and boot.completed > 1:
            d = boot.good()[:, 2 * i]
            ds = boot.good()[:, 2 * i + 1]
            row["se"] = json_float(np.std(d, ddof=1))
            row["ci_lower"], row["ci_upper"] = map(json_float, percentile_ci(d))
            if jk is not None:
                row["bca_lower"], row["bca_upper"] = map(json_float, bca_ci(d, est, jk[:, 2 * i]))
            row["std_ci_lower"], row["std_ci_upper"] = map(json_float, percentile_ci(ds))
            draws_out[c.key] = [float(x) for x in d[:1000]]
        row["vaf"] = json_float(vaf(est, total_of[(c.source, c.target)]))  # this chain's share of the total effect
        dr = direct.get((c.source, c.target))
        lo, hi = row["ci_lower"], row["ci_upper"]
        row["mediation"] = classify_mediation(
            est, lo if lo is not None else math.nan, hi if hi is not None else math.nan,
            dr["estimate"] if dr else None, dr["p_value"] if dr else None, opts.alpha)
        ind_rows.append(row)
    eff_rows = []
    for j, (x, y) in enumerate(pairs):
        tot, ind = point[base + 2 * j], point[base + 2 * j + 1]
        row = {"from": x, "to": y, "total": json_float(tot), "direct": json_float(tot - ind), "total_indirect": json_float(ind),
               "vaf": json_float(vaf(ind, tot)), "total_ci_lower": None, "total_ci_upper": None,
               "indirect_ci_lower": None, "indirect_ci_upper": None}
        if boot is not None and boot.completed > 1:
            row["total_ci_lower"], row["total_ci_upper"] = map(json_float, percentile_ci(boot.good()[:, base + 2 * j]))
            row["indirect_ci_lower"], row["indirect_ci_upper"] = map(
                json_float, percentile_ci(boot.good()[:, base + 2 * j + 1]))
        eff_rows.append(row)
    out = {"indirect": ind_rows, "effects": eff_rows}
    if boot is not None:
        out["bootstrap"] = {**boot.summary(), "draws": draws_out, "ci": "percentile and BCa, 95%"}
    return out


# ----------------------------------------------------------------------------- groups


def _group_labels(spec: ModelSpec, column: str, levels: list, lang: str) -> dict:
    q = next((b for b in spec.background if b.id == column), None)
    out = {}
    for lv in levels:
        name = str(lv)
        if q is not None:
            for ch in q.choices:
                if str(ch.code) == str(lv) or (isinstance(lv, float) and lv == ch.code):
                    name = ch.label.get(lang, name)
        out[lv] = name
    return out


def check_groups(df: pd.DataFrame, column: str, n_items: int) -> pd.DataFrame:
    if column not in df.columns:
        raise InputError(f"--group {column}: there is no column '{column}' in the responses")
    d = df[df[column].notna()].copy()
    col = d[column]
    if pd.api.types.is_numeric_dtype(col) and np.all(np.mod(col.astype(float), 1) == 0):
        d[column] = col.astype("int64")  # codes 1.0, 2.0 -> 1, 2, so groups are named as answered
    counts = d[column].value_counts()
    tiny = counts[counts < 2]
    if len(tiny):
        shown = ", ".join(f"'{k}' ({v} respondent)" for k, v in tiny.head(5).items())
        more = f" and {len(tiny) - 5} more" if len(tiny) > 5 else ""
        hint = (f"; '{column}' has {len(counts)} different values: is it really a grouping question "
                "(e.g. platform)?" if len(counts) > 10 else "")
        raise InputError(f"--group {column}: group level(s) {shown}{more} have a single respondent; expected at "
                         f"least {n_items + 1} per group; merge or drop these levels{hint}")
    small = counts[counts <= n_items]
    if len(small):
        raise InputError(f"--group {column}: group(s) "
                         + ", ".join(f"'{k}' ({v} respondents)" for k, v in small.head(5).items())
                         + (f" and {len(small) - 5} more" if len(small) > 5 else "")
                         + f" have too few respondents for a {n_items}-item model; expected more than {n_items} "
                           "per group")
    return d


def invariance(df: pd.DataFrame, mechanism: Mechanism, column: str, opts) -> dict:
    """Configural, metric and scalar invariance of the mechanism's CFA across groups.

    Verdicts follow Cheung & Rensvold (2002; ΔCFI ≥ -.010) and Chen (2007;
    ΔRMSEA ≤ .015); the chi-square difference is reported beside them.
    """
    from validate.sem import fit_sem

    syntax = mechanism.lavaan_syntax(structural=False)
    fits = {}
    prev = None
    for name, eq in (("configural", ()), ("metric", ("loadings",)), ("scalar", ("loadings", "intercepts"))):
        r = fit_sem(syntax, df, estimator=opts.estimator, missing=opts.missing, kind="cfa",
                    group=column, group_equal=eq, start=prev)
        fits[name] = (fit_dict(r.fit) if r.converged else None, r)
        prev = r if r.converged else prev
    tests = []
    for a, b in (("configural", "metric"), ("metric", "scalar")):
        fa, fb = fits[a][0], fits[b][0]
        if fa is None or fb is None:
            tests.append({"model": b, "against": a, "verdict": "not computed (a model did not converge)"})
            continue
        d = chisq_difference(fb, fa, opts.estimator)
        key = "cfi_robust" if opts.estimator == "MLR" and fa.get("cfi_robust") is not None else "cfi"
        rkey = "rmsea_robust" if opts.estimator == "MLR" and fa.get("rmsea_robust") is not None else "rmsea"
        dcfi = fb[key] - fa[key]
        drmsea = fb[rkey] - fa[rkey]
        ok = dcfi >= -0.010 and drmsea <= 0.015
        tests.append({"model": b, "against": a, **d, "delta_cfi": json_float(dcfi), "delta_rmsea": json_float(drmsea),
                      "verdict": "supported" if ok else "not supported"})
    first = fits["configural"][1]
    return {"group": column, "levels": [str(x) for x in getattr(first, "group_labels", [])],
            "configural": fits["configural"][0], "metric": fits["metric"][0], "scalar": fits["scalar"][0],
            "tests": tests,
            "criteria": "ΔCFI ≥ -.010 (Cheung & Rensvold, 2002) and ΔRMSEA ≤ .015 (Chen, 2007)"}


def _mg_syntax(mechanism: Mechanism, direct: bool, ngroups: int, equal: tuple[str, str] | None) -> str:
    lines = [f"{c.id} =~ " + " + ".join(c.item_ids) for c in mechanism.constructs.values()]
    by_target: dict[str, list[str]] = {}
    for p in mechanism.active_paths(direct):
        term = p.source
        if equal == (p.source, p.target):
            lab = f"eq_{p.source}_{p.target}"
            term = "c(" + ",".join([lab] * ngroups) + f")*{p.source}"
        by_target.setdefault(p.target, []).append(term)
    lines += [f"{t} ~ " + " + ".join(s) for t, s in by_target.items()]
    return "\n".join(lines)


def multigroup_paths(df: pd.DataFrame, mechanism: Mechanism, column: str, opts, labels: dict) -> dict:
    """Per-group paths under equal loadings, and a chi-square difference test per path."""
    from validate.sem import fit_sem

    ngroups = df[column].nunique()
    free = fit_sem(_mg_syntax(mechanism, opts.direct_effects, ngroups, None), df, estimator=opts.estimator,
                   missing=opts.missing, kind="sem", group=column, group_equal=("loadings",),
                   auto_cov_y=opts.auto_cov_y)
    if not free.converged:
        return {"warnings": ["the multi-group structural model did not converge"]}
    pt = free.params
    glabels = list(getattr(free, "group_labels", range(1, ngroups + 1)))
    rows = []
    for p in mechanism.active_paths(opts.direct_effects):
        sel = pt[(pt.op == "~") & (pt.lhs == p.target) & (pt.rhs == p.source)]
        for r in sel.itertuples(index=False):
            g = glabels[int(r.group) - 1] if 0 < int(r.group) <= len(glabels) else r.group
            rows.append({"hypothesis": p.hypothesis, "from": p.source, "to": p.target, "group": str(g),
                         "group_label": labels.get(g, str(g)), "estimate": json_float(r.estimate), "se": json_float(r.se),
                         "std": json_float(r.std_all), "p_value": json_float(r.p_value)})
    ffit = fit_dict(free.fit)
    tests = []
    for p in mechanism.active_paths(opts.direct_effects):
        con = fit_sem(_mg_syntax(mechanism, opts.direct_effects, ngroups, (p.source, p.target)), df,
                      estimator=opts.estimator, missing=opts.missing, kind="sem", group=column,
                      group_equal=("loadings",), auto_cov_y=opts.auto_cov_y, start=free)
        if not con.converged:
            tests.append({"hypothesis": p.hypothesis, "from": p.source, "to": p.target,
                          "chisq_diff": None, "df_diff": None, "p_value": None,
                          "note": "the constrained model did not converge"})
            continue
        d = chisq_difference(fit_dict(con.fit), ffit, opts.estimator)
        tests.append({"hypothesis": p.hypothesis, "from": p.source, "to": p.target, **d,
                      "differs": bool(d["p_value"] is not None and d["p_value"] < opts.alpha)})
    return {"group": column, "fit": ffit, "paths": rows, "equality_tests": tests,
            "note": "loadings constrained equal across groups (metric invariance) in every model"}


def platform_comparison(df: pd.DataFrame, mechanism: Mechanism, spec: ModelSpec, opts) -> dict:
    warnings: list[str] = []
    d = check_groups(df, opts.group, len(mechanism.item_ids))
    levels = sorted(d[opts.group].unique(), key=lambda v: (str(type(v)), v))
    if len(levels) < 2:
        found = (f"every answered response is in group '{levels[0]}'" if levels
                 else f"the column '{opts.group}' has no answers")
        warnings.append(f"--group {opts.group}: groups cannot be compared because {found}; expected at least "
                        "two groups, so measurement invariance and the multi-group model are not reported")
        return {"invariance": {"group": opts.group, "configural": None, "metric": None, "scalar": None,
                               "warnings": warnings}}
    labels = _group_labels(spec, opts.group, levels, opts.lang)
    inv = guarded(warnings, "measurement invariance", invariance, d, mechanism, opts.group, opts)
    out = {}
    if inv is not None:
        inv["level_labels"] = {str(k): v for k, v in labels.items()}
        inv["warnings"] = warnings
        out["invariance"] = inv
    if mechanism.paths:
        mg = guarded(warnings, "the multi-group structural model", multigroup_paths, d, mechanism, opts.group,
                    opts, labels)
        if mg is not None:
            out["multigroup"] = mg
    if "invariance" not in out:
        out["invariance"] = {"group": opts.group, "configural": None, "metric": None, "scalar": None,
                             "warnings": warnings}
    return out


# ----------------------------------------------------------------------------- mechanisms side by side


def _roles(mechanism: Mechanism) -> dict[str, tuple[str, int]]:
    """Each construct's role: its stage and its position within the stage (1, 2, ...)."""
    seen: dict[str, int] = {}
    out = {}
    for c in mechanism.constructs.values():
        seen[c.stage] = seen.get(c.stage, 0) + 1
        out[c.id] = (c.stage, seen[c.stage])
    return out


def compare_mechanisms(results: dict, spec: ModelSpec) -> dict | None:
    """Paths and indirect effects of every mechanism side by side, matched by construct role.

    Constructs of two mechanisms correspond when they hold the same place in the same stage
    (the first driver of the producer logic and the first driver of the consumer logic, say),
    so a spec for any theory is compared without a mapping. Returns ``None`` with fewer than
    two mechanisms that have paths.

    Returns
    -------
    dict
        ``mechanisms`` (ids), ``paths`` and ``indirect``: rows with ``role`` (the constructs
        of the first mechanism, as the row's name), ``role_label`` (their labels, en and zh)
        and, per mechanism ``m``, ``m`` (its own path or chain), ``m_std``, ``m_p`` (paths)
        or ``m_ci_lower``, ``m_ci_upper`` (the percentile interval of the standardised
        indirect effect) and ``m_supported``.
    """
    mids = [mid for mid, m in results.get("mechanisms", {}).items()
            if (m.get("structural") or {}).get("paths") and mid in spec.mechanisms]
    if len(mids) < 2:
        return None
    roles = {mid: _roles(spec.mechanisms[mid]) for mid in mids}
    by_role = {mid: {v: k for k, v in roles[mid].items()} for mid in mids}
    first = mids[0]

    def key(mid, nodes):
        return tuple(roles[mid][n] for n in nodes)

    path_rows: dict[tuple, dict] = {}
    ind_rows: dict[tuple, dict] = {}
    names = spec.mechanisms[first].constructs

    def new_row(k):
        ids = [by_role[first].get(r) for r in k]
        label = {lang: " -> ".join(names[i].label[lang] if i else f"{r[0]} {r[1]}" for i, r in zip(ids, k))
                 for lang in ("en", "zh")}
        return {"role": _role_name(k, by_role[first]), "role_label": label}

    for mid in mids:
        st = results["mechanisms"][mid]["structural"]
        for p in st.get("paths") or []:
            k = key(mid, (p["from"], p["to"]))
            row = path_rows.setdefault(k, new_row(k))
            row.update({mid: f"{p['from']} -> {p['to']}", f"{mid}_std": p.get("std"),
                        f"{mid}_p": p.get("p_value"), f"{mid}_supported": p.get("supported")})
        for ind in st.get("indirect") or []:
            k = key(mid, ind["chain"])
            row = ind_rows.setdefault(k, new_row(k))
            lo, hi = ind.get("std_ci_lower"), ind.get("std_ci_upper")  # beside the standardised effect
            row.update({mid: " -> ".join(ind["chain"]), f"{mid}_std": ind.get("std"),
                        f"{mid}_ci_lower": lo, f"{mid}_ci_upper": hi,
                        f"{mid}_supported": None if lo is None or hi is None else bool(lo > 0 or hi < 0)})
    return {"mechanisms": mids, "paths": list(path_rows.values()), "indirect": list(ind_rows.values()),
            "matched_by": "construct stage and position within the stage"}


def _role_name(k: tuple, names: dict) -> str:
    return " -> ".join(names.get(r, f"{r[0]} {r[1]}") for r in k)
