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
from validate.sem.effects import latent_matrices
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
    "wlsmv_difftest",
    "compare_mechanisms",
]


def structural_syntax(mechanism: Mechanism, direct: bool = False) -> str:
    """The structural model fitted: the spec's paths and controls, and each moderation's latent product."""
    if mechanism.moderations:
        from validate.structural.moderation import moderation_syntax

        return moderation_syntax(mechanism, direct)[0]
    return mechanism.lavaan_syntax(structural=True, direct=direct)


def fit_structural(df: pd.DataFrame, mechanism: Mechanism, opts, **kw):
    """Fit the mechanism's SEM with the chosen estimator and missing-data handling.

    With moderations, ``df`` must hold the product indicators
    (:func:`validate.structural.moderation.add_products`).
    """
    from validate.sem import fit_sem

    syntax = kw.pop("syntax", None) or structural_syntax(mechanism, opts.direct_effects)
    return fit_sem(
        syntax, df, estimator=opts.estimator, missing=opts.missing, kind="sem", auto_cov_y=opts.auto_cov_y, **kw
    )


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
    if None in (t0, t1, d0, d1):
        return {
            "chisq_diff": None,
            "df_diff": None,
            "p_value": None,
            "reason": "a chi-square or its degrees of freedom is not available",
        }
    if d0 <= d1:
        return {
            "chisq_diff": None,
            "df_diff": json_float(d0 - d1),
            "p_value": None,
            "reason": "the models have the same degrees of freedom (they are equivalent: the structural part "
            "is saturated), so there is nothing to test"
            if d0 == d1
            else "the first model is not the more restricted one",
        }
    ddf = d0 - d1
    diff = t0 - t1
    if estimator == "WLSMV":
        return {
            "chisq_diff": None,
            "df_diff": ddf,
            "p_value": None,
            "reason": "the chi-square difference test for WLSMV needs lavaan's scaled-shifted difference "
            "(DIFFTEST), which is not implemented yet; the unscaled difference is not a valid test",
        }
    if estimator == "MLR":
        c0, c1 = restricted.get("chisq_scaling_factor"), free.get("chisq_scaling_factor")
        if c0 is None or c1 is None:
            return {
                "chisq_diff": None,
                "df_diff": ddf,
                "p_value": None,
                "reason": "a scaling factor of the robust test is not available",
            }
        cd = (d0 * c0 - d1 * c1) / ddf
        if cd <= 0:
            return {
                "chisq_diff": None,
                "df_diff": ddf,
                "p_value": None,
                "reason": "the scaled chi-square difference is not defined (negative scaling); "
                "report the unscaled difference with care",
            }
        diff = diff / cd
    diff = max(diff, 0.0)
    return {
        "chisq_diff": json_float(diff),
        "df_diff": json_float(ddf),
        "p_value": json_float(stats.chi2.sf(diff, ddf)),
        "method": "Satorra-Bentler (2001) scaled difference" if estimator == "MLR" else "likelihood-ratio test",
    }


def wlsmv_difftest(restricted, free) -> dict:
    """DIFFTEST of two nested WLSMV fits (:func:`validate.sem.wlsmv.difftest`) in the shape of
    :func:`chisq_difference`, with ``test`` naming it."""
    from validate.sem import ModelError
    from validate.sem.wlsmv import difftest

    try:
        d = difftest(restricted, free)
    except ModelError as exc:
        return {"chisq_diff": None, "df_diff": None, "p_value": None, "warning": str(exc)}
    return {
        "chisq_diff": json_float(d["chisq_diff"]),
        "df_diff": json_float(d["df_diff"]),
        "p_value": json_float(d["p_value"]),
        "test": "DIFFTEST: scaled-shifted chi-square difference (lavaan's lavTestLRT, satorra.2000)",
    }


# ----------------------------------------------------------------------------- bootstrap


class SemBootstrapStatistic:
    """Indirect effects (raw and standardised) of one resample, refitted from its moments.

    Starts every refit at the full-sample estimates and fits from the resample's
    covariance matrix (and means) only, with the estimator core's Fisher scoring.
    """

    def __init__(
        self,
        model,
        theta0: np.ndarray,
        ov_names: list[str],
        factors: list[str],
        chains: list[Chain],
        pairs: list[tuple[str, str]],
        extra=None,
    ):
        from validate.sem.effects import EffectVector

        self.model = model
        self.theta0 = np.asarray(theta0, float)
        self.ov_names = ov_names
        self.factors = factors
        self.chains = chains
        self.pairs = pairs
        self.extra = extra  # e.g. a ModeratedMediationVector: its statistics follow the effects
        self._effects = EffectVector(model, factors, chains, pairs)

    @property
    def k(self) -> int:
        return 2 * len(self.chains) + 2 * len(self.pairs) + (self.extra.k if self.extra is not None else 0)

    def effects(self, theta: np.ndarray) -> np.ndarray:
        """Per chain [effect, standardised effect], then per pair [total, total indirect]; then ``extra``'s."""
        out = self._effects(theta)
        if self.extra is not None:
            out = np.concatenate([out, self.extra.from_theta(self.model, theta)])
        return out

    def __call__(self, rows: np.ndarray):
        from validate.sem import fit_moments

        n = rows.shape[0]
        mean = rows.mean(axis=0)
        Xc = rows - mean
        S = (Xc.T @ Xc) / n  # divisor N, as lavaan's sample covariance
        fit, why = _refit(fit_moments, self.model, [S], [mean], [n], start=self.theta0)
        return (None, why) if why else (self.effects(fit.theta), None)


class FimlRefitStatistic:
    """Indirect effects of one resample refitted by FIML from its raw rows, with
    :func:`validate.sem.fiml.fiml_refit` from the full-sample estimates.

    The same draws as :class:`RefitBootstrapStatistic` with ``missing="fiml"`` (to the optimiser's
    tolerance, 3e-17 on the demo's producer model in ``bench/fiml.py``), without building a
    parameter table and checking the data for every resample: about half the time. Used for ML and
    MLR (the estimates are the same) with one group, no fixed covariates and no constraints.
    """

    def __init__(
        self,
        model,
        theta0: np.ndarray,
        ov_names: list[str],
        factors: list[str],
        chains: list[Chain],
        pairs: list[tuple[str, str]],
        extra=None,
    ):
        self._moments = SemBootstrapStatistic(model, theta0, ov_names, factors, chains, pairs, extra)

    @property
    def k(self) -> int:
        return self._moments.k

    def __call__(self, rows: np.ndarray):
        from validate.sem.fiml import fiml_refit

        m = self._moments
        try:
            with np.errstate(all="ignore"):
                fit = fiml_refit(m.model, [rows], m.theta0, blas_threads_1=False)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            return None, f"the model could not be fitted ({type(exc).__name__})"
        if not fit.converged:
            return None, "did not converge"
        if not fit.admissible:
            return None, "inadmissible solution"
        return m.effects(fit.theta), None


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

    def __init__(
        self,
        syntax: str,
        columns: list[str],
        fit_kw: dict,
        start_params: pd.DataFrame,
        factors: list[str],
        chains: list[Chain],
        pairs: list[tuple[str, str]],
        covariates: tuple[str, ...] = (),
        extra=None,
    ):
        self.extra = extra  # e.g. a ModeratedMediationVector: its statistics follow the effects
        self.syntax = syntax
        self.covariates = list(covariates)  # observed controls: part of the constructs' total variance
        self.columns = columns
        self.fit_kw = fit_kw
        self.start = _Start(start_params[["lhs", "op", "rhs", "group", "estimate"]].copy())
        self.factors = factors
        self.chains = chains
        self.pairs = pairs

    @property
    def k(self) -> int:
        return 2 * len(self.chains) + 2 * len(self.pairs) + (self.extra.k if self.extra is not None else 0)

    def __call__(self, rows: np.ndarray):
        from validate.sem import fit_sem

        df = pd.DataFrame(rows, columns=self.columns)
        r, why = _refit(fit_sem, self.syntax, df, start=self.start, **self.fit_kw)
        if why:
            return None, why
        k = len(self.factors)
        B, _, cov = latent_matrices(r.params, self.factors + self.covariates)
        B, cov = B[:k, :k], cov[:k, :k]
        out = effect_vector(B, cov, self.factors, self.chains, self.pairs)
        if self.extra is not None:
            out = np.concatenate([out, self.extra.from_params(r.params)])
        return out, None


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


def analyse_structural(
    df: pd.DataFrame, mechanism: Mechanism, spec: ModelSpec, opts, cfa_fit: dict | None = None
) -> dict:
    """Structural results of one mechanism in the shape of ``results.json``."""
    from validate.missing import resolve_options

    opts = resolve_options(opts, df, mechanism.item_ids)  # called directly, --missing auto is decided here
    check_controls(df, mechanism)
    warnings: list[str] = []
    out: dict = {"warnings": warnings}
    added: list[str] = []
    if mechanism.moderations:
        from validate.structural.moderation import add_products, moderation_syntax

        if opts.estimator == "WLSMV":
            raise InputError(
                f"mechanism {mechanism.id}: the spec's moderations are fitted with product indicators, "
                "which are not ordered categories; use --estimator ML or MLR for a model with "
                "moderations (WLSMV would treat each product as an ordinal item)"
            )
        df = add_products(df, mechanism)
        added = moderation_syntax(mechanism, opts.direct_effects)[1]
        for a in added:
            warnings.append(
                f"the moderator's main effect {a} is not a path of the spec; it was added to the model "
                "because an interaction is interpreted beside both main effects (it is not a hypothesis)"
            )
    res = guarded(warnings, "the structural model", fit_structural, df, mechanism, opts)
    if res is None:
        return {"structural": out}
    # the measurement section already reports how many cases listwise deletion removed
    warnings.extend(w for w in res.warnings if "listwise deletion" not in w)
    out["converged"] = bool(res.converged)
    out["admissible"] = bool(res.admissible)
    out["n_obs"] = int(res.n)  # the respondents the SEM used (lavaan's "used N")
    if not res.converged:
        warnings.append("the structural model did not converge; no path estimates are reported")
        return {"structural": out}
    out["fit"] = fit_dict(res.fit)
    if cfa_fit:
        # The structural model restricts the CFA's free factor covariances to the paths: the test says
        # whether those restrictions hold (Anderson & Gerbing, 1988). It is not a test of direct paths.
        out["chisq_diff"] = {
            **chisq_difference(out["fit"], cfa_fit, opts.estimator),
            "models": "structural model against the measurement model (CFA)",
        }
        extra = (
            [f"the control variable(s) {', '.join(c.variable for c in mechanism.controls)}"]
            if mechanism.controls
            else []
        ) + (["the product indicators of the latent interaction(s)"] if mechanism.moderations else [])
        if extra:
            out["chisq_diff"].update(
                chisq_diff=None,
                df_diff=None,
                p_value=None,
                reason="the structural model also holds "
                + " and ".join(extra)
                + ", which the CFA does not; the two models are fitted to different variables, so their "
                "chi-squares cannot be compared",
            )
        out["measurement_fit"] = cfa_fit

    factors = list(mechanism.constructs)
    pt = res.params
    # controls are observed covariates: their paths add to the constructs' total variance
    k = len(factors)
    products = [mo.product for mo in mechanism.moderations]
    allf = factors + list(dict.fromkeys(products)) + [c.variable for c in mechanism.controls]
    B, Psi, cov_all = latent_matrices(pt, allf)
    B, Psi, cov = B[:k, :k], Psi[:k, :k], cov_all[:k, :k]
    ix = {f: i for i, f in enumerate(factors)}
    active = mechanism.active_paths(opts.direct_effects)
    preds: dict[str, list[str]] = {}
    for p in active:
        preds.setdefault(p.target, []).append(p.source)
    rows = []
    for p in active:
        r = pt[(pt.op == "~") & (pt.lhs == p.target) & (pt.rhs == p.source)].iloc[0]
        pval = json_float(r.p_value)
        rows.append(
            {
                "hypothesis": p.hypothesis,
                "from": p.source,
                "to": p.target,
                "direct": p.direct,
                "estimate": json_float(r.estimate),
                "se": json_float(r.se),
                "z": json_float(r.z),
                "p_value": pval,
                "ci_lower": json_float(r.ci_lower),
                "ci_upper": json_float(r.ci_upper),
                "std": json_float(r.std_all),
                "f2": json_float(f_squared(cov, ix, p.target, preds[p.target], p.source)) if res.admissible else None,
                "supported": bool(pval is not None and pval < opts.alpha) if res.admissible else None,
            }
        )
    out["adjust"] = _adjust_p(rows, opts, res.admissible)
    out["paths"] = rows
    if mechanism.controls:
        out["controls"] = control_rows(pt, mechanism)
    if mechanism.moderations:
        from validate.structural.moderation import moderation_rows

        mods = moderation_rows(
            pt,
            res.vcov,
            pd.DataFrame(cov_all, index=allf, columns=allf),
            mechanism.moderations,
            added,
            getattr(opts, "alpha", 0.05),
        )
        for row in mods:
            row["supported"] = bool(row["p_value"] < opts.alpha) if res.admissible else None
        out["moderation"] = mods
        if opts.group:
            warnings.append(
                "the comparison of paths across groups fits the model without the moderation's product term(s)"
            )
    r2 = res.r2 if isinstance(res.r2, dict) else {}
    out["r2"] = {c: (json_float(r2.get(c)) if res.admissible else None) for c in factors if c in preds}
    if not res.admissible:
        warnings.append(
            "the solution is inadmissible, so no hypothesis is judged supported or not, and R², f² "
            "and bootstrap intervals are not reported; the estimates are shown only to help find the "
            "problem (see the warnings above)"
        )
    out.update(_indirect(df, mechanism, res, factors, B, cov, active, rows, opts, warnings))
    if mechanism.moderations:
        # a chain through a moderated path is the indirect effect at the moderator's mean (0)
        moderated = {(mo.source, mo.target): mo.moderator for mo in mechanism.moderations}
        for row in out.get("indirect", []):
            chain = row.get("chain") or []
            mods = [moderated[(a, b)] for a, b in zip(chain[:-1], chain[1:]) if (a, b) in moderated]
            if mods:
                row["at_moderator_mean"] = mods
    result = {"structural": out}
    if opts.group:
        result.update(platform_comparison(df, mechanism, spec, opts))
    return result


def check_controls(df: pd.DataFrame, mechanism: Mechanism) -> None:
    """Every control of the spec must be a numeric column of the responses (else :class:`InputError`)."""
    for i, ctl in enumerate(mechanism.controls):
        where = f"the control '{ctl.variable}' (mechanisms.{mechanism.id}.controls[{i}].variable in the spec)"
        if ctl.variable not in df.columns:
            raise InputError(
                f"mechanism {mechanism.id}: {where} is not a column of the responses; expected a "
                "background question of the spec or a numeric data column of that name"
            )
        col = df[ctl.variable]
        num = pd.to_numeric(col, errors="coerce")
        bad = col[num.isna() & col.notna()]
        if len(bad):
            raise InputError(
                f"mechanism {mechanism.id}: {where} has a value that is not a number: "
                f"{bad.iloc[0]!r} (respondent {bad.index[0]}); a control must be numeric "
                "(code a category as 0/1)"
            )
        if num.nunique(dropna=True) < 2:
            raise InputError(
                f"mechanism {mechanism.id}: {where} has the same value for every respondent; a control must vary"
            )


def control_rows(params: pd.DataFrame, mechanism: Mechanism) -> list[dict]:
    """``structural.controls``: one row per control path, apart from the hypotheses.

    Rows: ``variable``, ``to``, ``estimate``, ``se``, ``z``, ``p_value``, ``ci_lower``,
    ``ci_upper``, ``std`` (lavaan's ``std.all``: with ``fixed.x`` the control's observed SD is used).
    """
    pt = params
    out = []
    for ctl in mechanism.controls:
        for t in ctl.on:
            r = pt[(pt.op == "~") & (pt.lhs == t) & (pt.rhs == ctl.variable)].iloc[0]
            out.append(
                {
                    "variable": ctl.variable,
                    "to": t,
                    "estimate": json_float(r.estimate),
                    "se": json_float(r.se),
                    "z": json_float(r.z),
                    "p_value": json_float(r.p_value),
                    "ci_lower": json_float(r.ci_lower),
                    "ci_upper": json_float(r.ci_upper),
                    "std": json_float(r.std_all),
                }
            )
    return out


def _indirect(df, mechanism, res, factors, B, cov, active, path_rows, opts, warnings) -> dict:
    chains = enumerate_chains([(p.source, p.target) for p in active])
    if not chains:
        return {"indirect": [], "effects": []}
    extra = _moderated_mediation_vector(mechanism, chains)
    pairs = sorted({(c.source, c.target) for c in chains}, key=lambda t: (factors.index(t[0]), factors.index(t[1])))
    point = effect_vector(B, cov, factors, chains, pairs)
    boot = None
    jk = None
    if opts.bootstrap and res.admissible:
        items = list(res.spec.ov_names)  # the model's variable order
        if opts.missing in ("fiml", "pairwise") or opts.estimator == "WLSMV":
            # FIML and pairwise WLSMV keep the rows with missing answers; WLSMV recomputes the
            # polychorics per resample.
            data = (df[items] if opts.missing in ("fiml", "pairwise") else df[items].dropna()).to_numpy(float)
            syntax = structural_syntax(mechanism, opts.direct_effects)
            fit_kw = {
                "estimator": opts.estimator,
                "missing": opts.missing,
                "kind": "sem",
                "auto_cov_y": opts.auto_cov_y,
                "estimates_only": True,
            }
            spec_ = res.spec
            extra_cols = tuple(dict.fromkeys(mo.product for mo in mechanism.moderations)) + tuple(
                c.variable for c in mechanism.controls
            )
            if (
                opts.missing == "fiml"
                and opts.estimator in ("ML", "MLR")
                and spec_.ngroups == 1
                and not spec_.ov_x
                and not getattr(spec_, "constraints", None)
                and not extra_cols
            ):
                stat = FimlRefitStatistic(spec_, res.theta, items, factors, chains, pairs, extra)
            else:
                stat = RefitBootstrapStatistic(
                    syntax, items, fit_kw, res.params, factors, chains, pairs, extra_cols, extra
                )
            how = {"fiml": "full-information ML", "pairwise": "pairwise deletion"}.get(opts.missing, "listwise data")
            warnings.append(
                f"with {how} and the {opts.estimator} estimator each bootstrap "
                "resample is refitted from its raw rows; BCa intervals, which would need a "
                "jackknife refit per respondent, are not computed (percentile intervals are)"
            )
        else:
            data = df[items].dropna().to_numpy(float)
            stat = SemBootstrapStatistic(res.spec, res.theta, items, factors, chains, pairs, extra)
        if getattr(opts, "scheduler", None):
            from validate.executors import make_executor

            with make_executor(opts.scheduler) as ex:
                boot = run_bootstrap(
                    stat,
                    data,
                    opts.bootstrap,
                    stat.k,
                    seed=opts.seed,
                    progress=opts.progress,
                    desc=f"{mechanism.id} bootstrap",
                    executor=ex,
                )
        else:
            boot = run_bootstrap(
                stat,
                data,
                opts.bootstrap,
                stat.k,
                seed=opts.seed,
                workers=opts.workers,
                progress=opts.progress,
                desc=f"{mechanism.id} bootstrap",
            )
        if isinstance(stat, SemBootstrapStatistic):  # exact jackknife to n = 1,000, influence values above
            from validate.sem.influence import EffectInfluence

            jk = bca_jackknife(stat, data, stat.k, influence=EffectInfluence(res.spec, res.theta, stat.effects))
        if boot.failed:
            warnings.append(
                f"{boot.failed} of {boot.requested} bootstrap resamples failed and were left out "
                f"of the intervals: " + "; ".join(f"{v} {k}" for k, v in boot.failures.items())
            )
    no_boot = (
        "no bootstrap was run (--bootstrap 0), so there is no SE or interval"
        if not opts.bootstrap
        else "the solution is inadmissible, so no bootstrap was run"
        if not res.admissible
        else "too few bootstrap resamples succeeded for an SE or interval"
    )
    direct = {(p["from"], p["to"]): p for p in path_rows}
    base = 2 * len(chains)
    total_of = {pair: point[base + 2 * j] for j, pair in enumerate(pairs)}
    ind_rows = []
    draws_out = {}
    for i, c in enumerate(chains):
        est, std = point[2 * i], point[2 * i + 1]
        row = {
            "chain": list(c.nodes),
            "key": c.key,
            "estimate": json_float(est),
            "std": json_float(std),
            "se": None,
            "ci_lower": None,
            "ci_upper": None,
            "bca_lower": None,
            "bca_upper": None,
            "std_ci_lower": None,
            "std_ci_upper": None,
        }
        if boot is not None and boot.completed > 1:
            d = boot.good()[:, 2 * i]
            ds = boot.good()[:, 2 * i + 1]
            row["se"] = json_float(np.std(d, ddof=1))
            row["ci_lower"], row["ci_upper"] = map(json_float, percentile_ci(d))
            if jk is not None:
                row["bca_lower"], row["bca_upper"] = map(json_float, bca_ci(d, est, jk[:, 2 * i]))
            row["std_ci_lower"], row["std_ci_upper"] = map(json_float, percentile_ci(ds))
            draws_out[c.key] = [float(x) for x in d[:1000]]
            if jk is None:
                row["bca_reason"] = (
                    "BCa needs a jackknife refit per respondent, which is not done when each "
                    "resample is refitted from its raw rows"
                )
        else:
            row["reason"] = no_boot
        dr = direct.get((c.source, c.target))
        lo, hi = row["ci_lower"], row["ci_upper"]
        row["mediation"] = classify_mediation(
            est,
            lo if lo is not None else math.nan,
            hi if hi is not None else math.nan,
            dr["estimate"] if dr else None,
            dr["p_value"] if dr else None,
            opts.alpha,
        )
        row["vaf"], row["vaf_reason"] = vaf_if_meaningful(est, total_of[(c.source, c.target)], dr, lo, hi)
        ind_rows.append(row)
    eff_rows = []
    for j, (x, y) in enumerate(pairs):
        tot, ind = point[base + 2 * j], point[base + 2 * j + 1]
        row = {
            "from": x,
            "to": y,
            "total": json_float(tot),
            "direct": json_float(tot - ind),
            "total_indirect": json_float(ind),
            "total_ci_lower": None,
            "total_ci_upper": None,
            "indirect_ci_lower": None,
            "indirect_ci_upper": None,
        }
        if boot is not None and boot.completed > 1:
            row["total_ci_lower"], row["total_ci_upper"] = map(json_float, percentile_ci(boot.good()[:, base + 2 * j]))
            row["indirect_ci_lower"], row["indirect_ci_upper"] = map(
                json_float, percentile_ci(boot.good()[:, base + 2 * j + 1])
            )
        else:
            row["reason"] = no_boot
        row["vaf"], row["vaf_reason"] = vaf_if_meaningful(
            ind, tot, direct.get((x, y)), row["indirect_ci_lower"], row["indirect_ci_upper"]
        )
        eff_rows.append(row)
    out = {"indirect": ind_rows, "effects": eff_rows}
    if extra is not None:
        good = boot.good()[:, len(point) :] if boot is not None and boot.completed > 1 else None
        no_ci = (
            "no bootstrap was run (--bootstrap 0), so there is no bootstrap interval"
            if not opts.bootstrap
            else no_boot
            if not res.admissible
            else "too few bootstrap resamples succeeded for an interval"
        )
        out["moderated_mediation"] = _moderated_mediation(extra, res, good, no_ci, opts.alpha)
    if boot is not None:
        out["bootstrap"] = {
            **boot.summary(),
            "draws": draws_out,
            "ci": "percentile and BCa, 95%" if jk is not None else "percentile, 95% (BCa not computed)",
        }
    return out


def _moderated_mediation_vector(mechanism: Mechanism, chains: list[Chain]):
    """The statistics of every chain through a moderated path (None when there is none)."""
    from validate.structural.moderated_mediation import ModeratedMediationVector, moderated_chains

    mchains = moderated_chains(chains, mechanism.moderations)
    if not mchains:
        return None
    names = list(mechanism.constructs) + list(dict.fromkeys(mo.product for mo in mechanism.moderations))
    return ModeratedMediationVector(mchains, names, [c.variable for c in mechanism.controls])


def _moderated_mediation(extra, res, draws, no_boot: str, alpha: float) -> list[dict]:
    """``structural.moderated_mediation`` (:func:`validate.structural.moderated_mediation.moderated_mediation_rows`)."""
    from validate.structural.moderated_mediation import delta_se, moderated_mediation_rows

    def fn(theta):
        return extra.from_theta(res.spec, theta)

    point = fn(res.theta)
    se = None
    if res.vcov is not None and np.shape(res.vcov) == (res.theta.size, res.theta.size):
        se = delta_se(fn, res.theta, res.vcov)
    from validate.sem.effects import latent_structure

    cov = latent_structure(res.spec, res.theta, extra.names)[1]
    sd = {w: float(np.sqrt(max(cov[extra.ix[w], extra.ix[w]], 0.0))) for w in {mc.moderator for mc in extra.mchains}}
    return moderated_mediation_rows(extra.mchains, point, se, draws, sd, no_boot, alpha)


def vaf_if_meaningful(indirect: float, total: float, direct_row: dict | None, ci_lower, ci_upper):
    """VAF (``indirect / total``) where it is a share, else ``None`` with the reason.

    Parameters
    ----------
    indirect, total : float
        The indirect effect (of one chain, or all chains of a pair) and the total effect of the pair.
    direct_row : dict or None
        The estimated direct path of the pair (a row of ``structural.paths``), or ``None`` when the
        model has no direct path.
    ci_lower, ci_upper : float or None
        The bootstrap interval of the indirect effect.

    Returns
    -------
    (float or None, str or None)
        The VAF and ``None``, or ``None`` and why it is not reported.

    Notes
    -----
    Hair et al. (2014) read VAF = indirect / (indirect + direct) as the share of the total effect that
    is mediated. It is a share only when a direct effect is estimated (without one the model fixes the
    direct effect at 0 and the VAF is 1 by construction), when the indirect effect differs from zero, and
    when the indirect and direct effects have the same sign (otherwise, in inconsistent or competitive
    mediation, the ratio falls outside 0-1; Zhao, Lynch & Chen, 2010, report the types instead).

    References
    ----------
    Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2014). A primer on partial least squares
    structural equation modeling (PLS-SEM). Sage.
    """
    if direct_row is None or direct_row.get("estimate") is None:
        return (
            None,
            "no direct path is estimated (the model fixes the direct effect at 0), so VAF is 1 by "
            "construction and says nothing",
        )
    if ci_lower is None or ci_upper is None:
        return None, "no bootstrap interval of the indirect effect"
    if not (ci_lower > 0 or ci_upper < 0):
        return None, "the indirect effect does not differ from zero (its interval includes 0)"
    d = direct_row["estimate"]
    if np.sign(indirect) != np.sign(d) or not np.isfinite(total) or total == 0:
        return (
            None,
            "the indirect and direct effects have opposite signs (competitive mediation), so the "
            "ratio is not a share of the total effect",
        )
    v = vaf(indirect, total)
    if not 0 <= v <= 1:  # one chain against another of opposite sign
        return None, "the ratio falls outside 0-1 (other chains of the pair have the opposite sign)"
    return json_float(v), None


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
        hint = (
            f"; '{column}' has {len(counts)} different values: is it really a grouping question (e.g. platform)?"
            if len(counts) > 10
            else ""
        )
        raise InputError(
            f"--group {column}: group level(s) {shown}{more} have a single respondent; expected at "
            f"least {n_items + 1} per group; merge or drop these levels{hint}"
        )
    small = counts[counts <= n_items]
    if len(small):
        raise InputError(
            f"--group {column}: group(s) "
            + ", ".join(f"'{k}' ({v} respondents)" for k, v in small.head(5).items())
            + (f" and {len(small) - 5} more" if len(small) > 5 else "")
            + f" have too few respondents for a {n_items}-item model; expected more than {n_items} "
            "per group"
        )
    return d


#: What a configural model must reach before invariance can be judged: (index, comparison, cut-off).
CONFIGURAL_CRITERIA = (("cfi", ">=", 0.90), ("rmsea", "<=", 0.08))
#: Fewest respondents per free parameter of each group's model (Bentler & Chou, 1987).
MIN_CASES_PER_PARAMETER = 5.0


def _index_key(fit: dict, name: str, estimator: str) -> str:
    """The CFI/RMSEA a reader of this estimator expects: robust for MLR, scaled for WLSMV."""
    for sfx in {"MLR": ("_robust", "_scaled"), "WLSMV": ("_scaled",)}.get(estimator, ()):
        if fit.get(name + sfx) is not None:
            return name + sfx
    return name


def _by_group(res) -> dict:
    glabels = list(getattr(res, "group_labels", []) or [])
    return {str(g): int(n) for g, n in zip(glabels, getattr(res, "nobs_per_group", []) or [])}


def configural_check(
    fit: dict | None, n_by_group: dict, ngroups: int, estimator: str, labels: dict | None = None
) -> dict:
    """Whether the configural model is good enough for invariance to be judged.

    Returns
    -------
    dict
        ``established`` (bool), ``reason`` (None or a sentence), ``criteria`` (text), ``cfi``/``rmsea``
        (the values read and their keys ``cfi_key``/``rmsea_key``), ``fits`` (both cut-offs met),
        ``npar_per_group``, ``smallest_group``, ``smallest_n``, ``cases_per_parameter`` (the smallest
        group's n over the free parameters of one group), ``enough_cases`` and ``min_cases_per_parameter``.

    Notes
    -----
    Measurement invariance compares constrained models with the configural one, so the comparison is
    meaningful only when the configural model fits (Putnick & Bornstein, 2016); the cut-offs are CFI ≥ .90
    and RMSEA ≤ .08, and each group needs about five respondents per free parameter (Bentler & Chou, 1987).
    """
    crit = (
        "configural CFI ≥ .90 and RMSEA ≤ .08, and at least "
        f"{MIN_CASES_PER_PARAMETER:g} respondents per free parameter in every group"
    )
    out = {"criteria": crit, "min_cases_per_parameter": MIN_CASES_PER_PARAMETER}
    if not fit:
        return {**out, "established": False, "reason": "the configural model did not converge"}
    ck, rk = _index_key(fit, "cfi", estimator), _index_key(fit, "rmsea", estimator)
    cfi, rmsea, npar = fit.get(ck), fit.get(rk), fit.get("npar")
    per = npar / ngroups if npar else None
    cpp = (min(n_by_group.values()) / per) if per and n_by_group else None
    out.update(
        {
            "cfi": cfi,
            "cfi_key": ck,
            "rmsea": rmsea,
            "rmsea_key": rk,
            "npar_per_group": json_float(per),
            "cases_per_parameter": json_float(cpp),
        }
    )
    why = []
    if cfi is None or rmsea is None:
        why.append("the configural CFI or RMSEA is not available")
    else:
        if not cfi >= 0.90:
            why.append(f"the configural model fits badly (CFI = {cfi:.3f} < .90)")
        if not rmsea <= 0.08:
            why.append(f"the configural model fits badly (RMSEA = {rmsea:.3f} > .08)")
    if n_by_group:
        small = min(n_by_group, key=n_by_group.get)
        out.update({"smallest_group": small, "smallest_n": n_by_group[small]})
    out["fits"] = bool(cfi is not None and rmsea is not None and cfi >= 0.90 and rmsea <= 0.08)
    out["enough_cases"] = bool(cpp is None or cpp >= MIN_CASES_PER_PARAMETER)
    if cpp is not None and cpp < MIN_CASES_PER_PARAMETER:
        small = min(n_by_group, key=n_by_group.get)
        name = {str(k): v for k, v in (labels or {}).items()}.get(str(small), small)  # the answer's label
        why.append(
            f"group '{name}' has {n_by_group[small]} respondents for {per:.0f} free parameters per group "
            f"({cpp:.2f} per parameter; at least {MIN_CASES_PER_PARAMETER:g} are needed)"
        )
    return {**out, "established": not why, "reason": "; ".join(why) if why else None}


#: Why the scalar models of a spec with second-order constructs fix those constructs' means.
SECOND_ORDER_SCALAR_NOTE = (
    "in the scalar models the items' intercepts are equal across groups, the dimensions' intercepts are "
    "free in all but the first group and the second-order constructs' means are fixed at 0: freeing every "
    "latent mean, as lavaan's group.equal does, leaves a second-order model unidentified"
)


def invariance(df: pd.DataFrame, mechanism: Mechanism, column: str, opts, labels: dict | None = None) -> dict:
    """Configural, metric and scalar invariance of the mechanism's CFA across groups.

    Returns
    -------
    dict
        ``group``, ``levels``, ``configural``/``metric``/``scalar`` (fit dicts, each with ``n_obs`` and
        ``n_obs_by_group``), ``tests`` (``model``, ``against``, ``chisq_diff``, ``df_diff``, ``p_value``,
        ``delta_cfi``, ``delta_rmsea``, ``verdict``: ``supported``, ``not supported`` or ``not established``,
        ``reason``), ``configural_check`` (see :func:`configural_check`) and ``criteria``.

    Notes
    -----
    A step is ``supported`` when ΔCFI ≥ -.010 (Cheung & Rensvold, 2002) and ΔRMSEA ≤ .015 (Chen, 2007),
    and only when the configural model itself is established (:func:`configural_check`); otherwise the
    verdict is ``not established`` with the reason. The chi-square difference is reported beside them.
    With WLSMV the scalar level holds loadings and thresholds equal (lavaan's delta parameterisation),
    the difference test is DIFFTEST and ΔCFI/ΔRMSEA use the scaled indices (lavaan gives no robust ones
    once thresholds are equal); ``collapsed_categories`` lists the answer categories merged with
    ``opts.collapse_empty``.
    """
    from validate.missing import resolve_options
    from validate.sem import fit_sem

    opts = resolve_options(opts, df, mechanism.item_ids)
    wlsmv = opts.estimator == "WLSMV"
    extra = {"collapse_empty": bool(getattr(opts, "collapse_empty", False))} if wlsmv else {}
    syntax = mechanism.lavaan_syntax(structural=False)
    # lavaan frees every latent mean in groups 2+ once intercepts (or thresholds) are equal; with a
    # second-order construct that leaves its mean and its dimensions' intercepts unidentified, so the
    # scalar models fix the second-order means at 0 (the dimensions' intercepts carry the group means).
    hocs = list(mechanism.second_order)
    scalar_syntax = syntax + "".join(f"\n{h} ~ 0*1" for h in hocs)
    fits = {}
    prev = None
    for name, eq in (
        ("configural", ()),
        ("metric", ("loadings",)),
        ("scalar", ("loadings", "thresholds" if wlsmv else "intercepts")),
    ):
        r = fit_sem(
            scalar_syntax if name == "scalar" else syntax,
            df,
            estimator=opts.estimator,
            missing=opts.missing,
            kind="cfa",
            group=column,
            group_equal=eq,
            start=prev,
            **extra,
        )
        f = None
        if r.converged:
            f = {**fit_dict(r.fit), "n_obs": int(r.n), "n_obs_by_group": _by_group(r)}
        fits[name] = (f, r)
        prev = r if r.converged else prev
    first = fits["configural"][1]
    check = configural_check(
        fits["configural"][0], _by_group(first), len(_by_group(first)) or 1, opts.estimator, labels
    )
    tests = []
    for a, b in (("configural", "metric"), ("metric", "scalar")):
        fa, fb = fits[a][0], fits[b][0]
        if fa is None or fb is None:
            tests.append(
                {
                    "model": b,
                    "against": a,
                    "chisq_diff": None,
                    "df_diff": None,
                    "p_value": None,
                    "delta_cfi": None,
                    "delta_rmsea": None,
                    "verdict": "not established",
                    "reason": "a model did not converge",
                }
            )
            continue
        d = wlsmv_difftest(fits[b][1], fits[a][1]) if wlsmv else chisq_difference(fb, fa, opts.estimator)
        key = _index_key(fa, "cfi", opts.estimator)
        rkey = _index_key(fa, "rmsea", opts.estimator)
        dcfi = fb[key] - fa[key] if fb.get(key) is not None and fa.get(key) is not None else None
        drmsea = fb[rkey] - fa[rkey] if fb.get(rkey) is not None and fa.get(rkey) is not None else None
        if not check["established"]:
            verdict, reason = "not established", check["reason"]
        elif dcfi is None or drmsea is None:
            verdict, reason = "not established", f"{key} or {rkey} is not available"
        else:
            ok = dcfi >= -0.010 and drmsea <= 0.015
            verdict, reason = ("supported" if ok else "not supported"), None
        tests.append(
            {
                "model": b,
                "against": a,
                **d,
                "delta_cfi": json_float(dcfi),
                "delta_rmsea": json_float(drmsea),
                "delta_basis": key.replace("cfi", "").strip("_") or "standard",
                "verdict": verdict,
                "reason": reason,
            }
        )
    partial = _partial_invariance(df, syntax, column, opts, fits, tests, check, scalar_syntax)
    return {
        "group": column,
        "levels": [str(x) for x in getattr(first, "group_labels", [])],
        "collapsed_categories": [n for n in first.notes if "merged into" in n],
        "configural": fits["configural"][0],
        "metric": fits["metric"][0],
        "scalar": fits["scalar"][0],
        "tests": tests,
        "configural_check": check,
        "partial": partial,
        "criteria": "ΔCFI ≥ -.010 (Cheung & Rensvold, 2002) and ΔRMSEA ≤ .015 (Chen, 2007), judged only when "
        + check["criteria"],
        "second_order_means": (
            {"constructs": hocs, "fixed_at": 0.0, "reason": SECOND_ORDER_SCALAR_NOTE} if hocs else None
        ),
    }


def _adjust_p(rows: list[dict], opts, admissible: bool) -> dict:
    """Holm and Benjamini-Hochberg p-values over the family of hypothesised paths (``p_holm``,
    ``p_fdr_bh`` in each row); ``supported`` is judged by the one ``opts.adjust`` names.

    The family is every path of the model that has a p-value (direct paths included when fitted), as
    ``statsmodels.stats.multitest.multipletests`` computes them (Holm, 1979; Benjamini & Hochberg, 1995).
    """
    from statsmodels.stats.multitest import multipletests

    method = getattr(opts, "adjust", "none") or "none"
    idx = [i for i, r in enumerate(rows) if r.get("p_value") is not None]
    for r in rows:
        r["p_holm"] = r["p_fdr_bh"] = None
    if idx:
        p = np.array([rows[i]["p_value"] for i in idx], dtype=float)
        for key, m in (("p_holm", "holm"), ("p_fdr_bh", "fdr_bh")):
            adj = multipletests(p, method=m)[1]
            for i, v in zip(idx, adj):
                rows[i][key] = json_float(v)
    if method != "none" and admissible:
        key = {"holm": "p_holm", "fdr_bh": "p_fdr_bh"}[method]
        for r in rows:
            r["supported"] = bool(r[key] is not None and r[key] < opts.alpha)
    return {
        "method": method,
        "family_size": len(idx),
        "judged_by": {"none": "p_value", "holm": "p_holm", "fdr_bh": "p_fdr_bh"}[method],
    }


def _partial_invariance(df, syntax, column, opts, fits, tests, check, scalar_syntax=None) -> dict | None:
    """Partial metric and scalar invariance for the levels that were not supported (see
    :func:`validate.structural.partial.partial_invariance`); None when every level held or was not judged."""
    from validate.sem import SemError, fit_sem
    from validate.structural.partial import partial_invariance

    verdicts = {t["model"]: t["verdict"] for t in tests}
    if not check["established"] or "not supported" not in verdicts.values():
        return None
    if opts.estimator == "WLSMV":
        return {"reason": "the partial invariance search uses score tests, which are not available with WLSMV"}
    out: dict = {}
    released_metric: list[str] = []
    metric_ok = verdicts.get("metric") == "supported"
    metric_fit = fits["metric"][1]
    for level, eq in (("metric", ("loadings",)), ("scalar", ("loadings", "intercepts"))):
        if level == "scalar" and not metric_ok:
            out[level] = {
                "level": level,
                "established": False,
                "released": [],
                "reason": "scalar invariance is not searched because metric invariance, full or "
                "partial, was not established",
            }
            continue
        if verdicts.get(level) != "not supported":
            continue
        base_release = released_metric if level == "scalar" else []

        def fit_level(released, eq=eq, base_release=base_release, level=level):
            return fit_sem(
                (scalar_syntax or syntax) if level == "scalar" else syntax,
                df,
                estimator=opts.estimator,
                missing=opts.missing,
                kind="cfa",
                group=column,
                group_equal=eq,
                group_partial=list(base_release) + list(released),
            )

        start = fit_level([]) if base_release else fits[level][1]
        previous = fits["configural"][1] if level == "metric" else metric_fit
        try:
            res = partial_invariance(level, fit_level, start, previous)
        except (SemError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:  # reported, never fatal
            out[level] = {
                "level": level,
                "established": False,
                "released": [],
                "reason": f"the partial invariance search failed: {exc}",
            }
            continue
        final = res.pop("result")
        res["fit"] = {**fit_dict(final.fit), "n_obs": int(final.n)}
        out[level] = res
        if level == "metric":
            metric_ok = res["established"]
            released_metric = [r["parameter"] for r in res["released"]]
            metric_fit = final
    return out or None


def _mg_syntax(mechanism: Mechanism, direct: bool, ngroups: int, equal: tuple[str, str] | None) -> str:
    lines = [ln for ln in mechanism.lavaan_syntax(structural=False).splitlines()]  # incl. second-order factors
    by_target: dict[str, list[str]] = {}
    for ctl in mechanism.controls:
        for t in ctl.on:
            by_target.setdefault(t, []).append(ctl.variable)
    for p in mechanism.active_paths(direct):
        term = p.source
        if equal == (p.source, p.target):
            lab = f"eq_{p.source}_{p.target}"
            term = "c(" + ",".join([lab] * ngroups) + f")*{p.source}"
        by_target.setdefault(p.target, []).append(term)
    lines += [f"{t} ~ " + " + ".join(s) for t, s in by_target.items()]
    return "\n".join(lines)


def multigroup_paths(df: pd.DataFrame, mechanism: Mechanism, column: str, opts, labels: dict) -> dict:
    """Per-group paths of the free multi-group model, and a chi-square difference test per path.

    Returns
    -------
    dict
        ``group``; ``fit``, ``n_obs``, ``n_obs_by_group`` of the free model (every parameter free in every
        group, as lavaan's ``sem(model, group = g)``); ``paths`` (``hypothesis``, ``from``, ``to``, ``group``,
        ``group_label``, ``estimate``, ``se``, ``std``, ``p_value``) from that free model; ``tests_baseline``
        (``fit``, ``constraints``) and ``equality_tests`` (``hypothesis``, ``from``, ``to``, ``chisq_diff``,
        ``df_diff``, ``p_value``, ``differs``, ``constrained``); ``note``.

    Notes
    -----
    Each equality test compares a model with equal loadings and this path equal across groups against
    the model with equal loadings only (metric invariance), so that the paths compared are on the same
    scale. The per-group paths agree with lavaan 0.6.14's free multi-group ``sem()`` (checked to 1e-4 in
    ``tests/test_structural.py`` against ``tests/fixtures/structural/multigroup_free.json``).
    """
    from validate.missing import resolve_options
    from validate.sem import fit_sem

    opts = resolve_options(opts, df, mechanism.item_ids)

    ngroups = df[column].nunique()
    wlsmv = opts.estimator == "WLSMV"
    extra = {"collapse_empty": bool(getattr(opts, "collapse_empty", False))} if wlsmv else {}
    free = fit_sem(
        _mg_syntax(mechanism, opts.direct_effects, ngroups, None),
        df,
        estimator=opts.estimator,
        missing=opts.missing,
        kind="sem",
        group=column,
        auto_cov_y=opts.auto_cov_y,
        **extra,
    )
    if not free.converged:
        return {"warnings": ["the free multi-group structural model did not converge"]}
    pt = free.params
    glabels = list(getattr(free, "group_labels", range(1, ngroups + 1)))
    rows = []
    for p in mechanism.active_paths(opts.direct_effects):
        sel = pt[(pt.op == "~") & (pt.lhs == p.target) & (pt.rhs == p.source)]
        for r in sel.itertuples(index=False):
            g = glabels[int(r.group) - 1] if 0 < int(r.group) <= len(glabels) else r.group
            rows.append(
                {
                    "hypothesis": p.hypothesis,
                    "from": p.source,
                    "to": p.target,
                    "group": str(g),
                    "group_label": labels.get(g, str(g)),
                    "estimate": json_float(r.estimate),
                    "se": json_float(r.se),
                    "std": json_float(r.std_all),
                    "p_value": json_float(r.p_value),
                }
            )
    out = {
        "group": column,
        "fit": fit_dict(free.fit),
        "n_obs": int(free.n),
        "n_obs_by_group": _by_group(free),
        "paths": rows,
        "warnings": [f"free multi-group model: {w}" for w in free.warnings if "listwise deletion" not in w],
    }
    base = fit_sem(
        _mg_syntax(mechanism, opts.direct_effects, ngroups, None),
        df,
        estimator=opts.estimator,
        missing=opts.missing,
        kind="sem",
        group=column,
        group_equal=("loadings",),
        auto_cov_y=opts.auto_cov_y,
        start=free,
        **extra,
    )
    constrained = "loadings equal across groups, and this path equal across groups"
    if not base.converged:
        out["warnings"].append(
            "the multi-group model with equal loadings did not converge, so the paths are not tested for equality"
        )
        out["equality_tests"] = []
        return out
    bfit = fit_dict(base.fit)
    out["tests_baseline"] = {"fit": bfit, "n_obs": int(base.n), "constraints": "loadings equal across groups"}
    tests = []
    paths = list(mechanism.active_paths(opts.direct_effects))
    kw = dict(
        estimator=opts.estimator,
        missing=opts.missing,
        kind="sem",
        group=column,
        group_equal=("loadings",),
        auto_cov_y=opts.auto_cov_y,
        **extra,
    )
    syntaxes = [_mg_syntax(mechanism, opts.direct_effects, ngroups, (p.source, p.target)) for p in paths]
    fitted = _equality_fits(syntaxes, df, kw, base, wlsmv, getattr(opts, "workers", None))
    for p, con in zip(paths, fitted):
        if not con.converged:
            tests.append(
                {
                    "hypothesis": p.hypothesis,
                    "from": p.source,
                    "to": p.target,
                    "chisq_diff": None,
                    "df_diff": None,
                    "p_value": None,
                    "differs": None,
                    "constrained": constrained,
                    "reason": "the constrained model did not converge",
                }
            )
            continue
        d = wlsmv_difftest(con, base) if wlsmv else chisq_difference(fit_dict(con.fit), bfit, opts.estimator)
        tests.append(
            {
                "hypothesis": p.hypothesis,
                "from": p.source,
                "to": p.target,
                **d,
                "differs": bool(d["p_value"] < opts.alpha) if d["p_value"] is not None else None,
                "constrained": constrained,
            }
        )
    out["equality_tests"] = tests
    out["note"] = (
        "per-group paths: the free multi-group model (no equality constraints); equality tests: loadings "
        "and the tested path constrained equal, against loadings constrained equal"
    )
    return out


def _equality_fit(syntax: str, df: pd.DataFrame, kw: dict, start_params: pd.DataFrame, lrt=None):
    """One per-path equality model (run in a worker): ``(converged, fit dict)``, small to send back.

    With ``lrt`` (see :func:`_lrt_base`) the model is fitted for its estimates only and its
    chi-square and df are those of the base model plus the likelihood-ratio difference (all the
    equality test reads), instead of a full fit with standard errors and every fit measure.
    """
    from validate.blas import single_threaded_blas
    from validate.sem import fit_sem

    with single_threaded_blas():  # one task per core, as the bootstrap's workers
        if lrt is None:
            con = fit_sem(syntax, df, start=_Start(start_params), **kw)
            return _FitSummary(bool(con.converged), dict(con.fit) if con.converged else {})
        con = fit_sem(syntax, df, start=_Start(start_params), estimates_only=True, **kw)
        return _FitSummary(bool(con.converged), _lrt_fit(con, lrt) if con.converged else {})


def _lrt_base(base) -> dict | None:
    """What :func:`_lrt_fit` needs of the equal-loadings model, or None when a full fit is needed.

    Only for ML with FIML and no fixed covariates: there the chi-square of a nested model is
    ``2 (logl_h1 - logl)``, so the difference from the base model is ``2 (logl_base - logl)``,
    read from the FIML log-likelihoods of the two fits (the same saturated model). MLR needs the
    constrained model's scaling factor, and complete-data fits are cheap, so they keep full fits.
    """
    from validate.sem.fiml import Patterns, fiml_loglik

    if base.estimator != "ML" or getattr(base, "missing", None) != "fiml" or base.spec.ov_x or base.spec.constraints:
        return None
    pats = [Patterns(Y) for Y in base._data]
    return {
        "logl": float(fiml_loglik(base._cm, base.theta, pats)),
        "chisq": float(base.fit["chisq"]),
        "df": float(base.fit["df"]),
        "npar": int(base.fit["npar"]),
    }


def _lrt_fit(con, lrt: dict) -> dict:
    """``chisq`` and ``df`` of a constrained FIML fit (estimates only) from the base model's (see
    :func:`_lrt_base`): ``chisq = chisq_base + 2 (logl_base - logl)``, ``df = df_base + npar_base - npar``."""
    from validate.sem.fiml import Patterns, fiml_loglik

    pats = [Patterns(Y) for Y in con._data]
    logl = float(fiml_loglik(con._cm, con.theta, pats))
    npar = int(con.fit["npar"])
    return {
        "chisq": lrt["chisq"] + 2.0 * (lrt["logl"] - logl),
        "df": lrt["df"] + lrt["npar"] - npar,
        "npar": npar,
        "logl_fiml": logl,
        "note": "estimates only; chi-square from the likelihood ratio with the equal-loadings model",
    }


@dataclass
class _FitSummary:
    """What the equality tests read of a constrained fit (its convergence and fit measures)."""

    converged: bool
    fit: dict


def _equality_fits(syntaxes: list[str], df: pd.DataFrame, kw: dict, base, wlsmv: bool, workers: int | None):
    """Fit the per-path equality models, in parallel worker processes when there are several paths.

    Each model starts from the equal-loadings model's estimates, as one sequential fit would; the
    results are the same. WLSMV keeps the full results (DIFFTEST needs their internals) and runs in
    this process. With ML and FIML (see :func:`_lrt_base`) each model is fitted for its estimates
    only, and its chi-square is the base model's plus the likelihood-ratio difference.
    """
    from validate.sem import fit_sem

    if wlsmv:
        return [fit_sem(sx, df, start=base, **kw) for sx in syntaxes]
    lrt = _lrt_base(base)
    start = base.params[["lhs", "op", "rhs", "group", "estimate"]].copy()
    if len(syntaxes) < 4:
        if lrt is None:
            return [fit_sem(sx, df, start=base, **kw) for sx in syntaxes]
        return [_equality_fit(sx, df, kw, start, lrt) for sx in syntaxes]
    from joblib import Parallel, delayed

    from validate.structural.bootstrap import default_workers

    n_jobs = min(len(syntaxes), workers or default_workers())
    if n_jobs < 2:
        return [_equality_fit(sx, df, kw, start, lrt) for sx in syntaxes]
    return Parallel(n_jobs=n_jobs)(delayed(_equality_fit)(sx, df, kw, start, lrt) for sx in syntaxes)


def platform_comparison(df: pd.DataFrame, mechanism: Mechanism, spec: ModelSpec, opts) -> dict:
    from validate.missing import resolve_options

    opts = resolve_options(opts, df, mechanism.item_ids)
    warnings: list[str] = []
    d = check_groups(df, opts.group, len(mechanism.item_ids))
    levels = sorted(d[opts.group].unique(), key=lambda v: (str(type(v)), v))
    if len(levels) < 2:
        found = (
            f"every answered response is in group '{levels[0]}'"
            if levels
            else f"the column '{opts.group}' has no answers"
        )
        warnings.append(
            f"--group {opts.group}: groups cannot be compared because {found}; expected at least "
            "two groups, so measurement invariance and the multi-group model are not reported"
        )
        return {
            "invariance": {
                "group": opts.group,
                "configural": None,
                "metric": None,
                "scalar": None,
                "warnings": warnings,
            }
        }
    labels = _group_labels(spec, opts.group, levels, opts.lang)
    inv = guarded(warnings, "measurement invariance", invariance, d, mechanism, opts.group, opts, labels)
    out = {}
    if inv is not None:
        chk = inv.get("configural_check") or {}
        if not chk.get("established", True):
            warnings.append(
                f"measurement invariance across {opts.group} is not established, so no step is called "
                f"supported: {chk.get('reason')} (criteria: {chk.get('criteria')})"
            )
        inv["level_labels"] = {str(k): v for k, v in labels.items()}
        inv["warnings"] = warnings
        out["invariance"] = inv
    if mechanism.paths:
        mg = guarded(
            warnings, "the multi-group structural model", multigroup_paths, d, mechanism, opts.group, opts, labels
        )
        if mg is not None:
            out["multigroup"] = mg
    if "invariance" not in out:
        out["invariance"] = {
            "group": opts.group,
            "configural": None,
            "metric": None,
            "scalar": None,
            "warnings": warnings,
        }
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
    mids = [
        mid
        for mid, m in results.get("mechanisms", {}).items()
        if (m.get("structural") or {}).get("paths") and mid in spec.mechanisms
    ]
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
        label = {
            lang: " -> ".join(names[i].label[lang] if i else f"{r[0]} {r[1]}" for i, r in zip(ids, k))
            for lang in ("en", "zh")
        }
        return {"role": _role_name(k, by_role[first]), "role_label": label}

    for mid in mids:
        st = results["mechanisms"][mid]["structural"]
        for p in st.get("paths") or []:
            k = key(mid, (p["from"], p["to"]))
            row = path_rows.setdefault(k, new_row(k))
            row.update(
                {
                    mid: f"{p['from']} -> {p['to']}",
                    f"{mid}_std": p.get("std"),
                    f"{mid}_p": p.get("p_value"),
                    f"{mid}_supported": p.get("supported"),
                }
            )
        for ind in st.get("indirect") or []:
            k = key(mid, ind["chain"])
            row = ind_rows.setdefault(k, new_row(k))
            lo, hi = ind.get("std_ci_lower"), ind.get("std_ci_upper")  # beside the standardised effect
            row.update(
                {
                    mid: " -> ".join(ind["chain"]),
                    f"{mid}_std": ind.get("std"),
                    f"{mid}_ci_lower": lo,
                    f"{mid}_ci_upper": hi,
                    f"{mid}_supported": None if lo is None or hi is None else bool(lo > 0 or hi < 0),
                }
            )
    return {
        "mechanisms": mids,
        "paths": list(path_rows.values()),
        "indirect": list(ind_rows.values()),
        "matched_by": "construct stage and position within the stage",
    }


def _role_name(k: tuple, names: dict) -> str:
    return " -> ".join(names.get(r, f"{r[0]} {r[1]}") for r in k)
