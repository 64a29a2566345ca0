"""The measurement model of one mechanism: descriptives, reliability, validity and the CFA.

:func:`analyse_measurement` runs every check a thesis reports on the cleaned
data of a mechanism and returns the ``measurement`` (and ``descriptives``)
sections of the results dict. Each statistic comes from the module that owns
it (:mod:`validate.measurement.descriptives`, :mod:`validate.measurement.reliability`,
:mod:`validate.measurement.validity`, :mod:`validate.measurement.efa`, :mod:`validate.sem`); this
module only wires them together and turns a statistic that cannot be computed
into ``None`` with the reason in ``warnings``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from instruments.errors import InputError
from instruments.spec import Mechanism, ModelSpec

__all__ = ["analyse_measurement", "fit_cfa", "cfa_matrices", "FIT_KEYS"]

#: Fit measures carried into results.json, lavaan's names with underscores.
FIT_KEYS = (
    "npar",
    "chisq",
    "df",
    "pvalue",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_ci_lower",
    "rmsea_ci_upper",
    "rmsea_pvalue",
    "srmr",
    "aic",
    "bic",
    "logl",
    "baseline_chisq",
    "baseline_df",
    "chisq_scaled",
    "df_scaled",
    "pvalue_scaled",
    "chisq_scaling_factor",
    "chisq_shift_parameter",
    "cfi_scaled",
    "tli_scaled",
    "rmsea_scaled",
    "rmsea_ci_lower_scaled",
    "rmsea_ci_upper_scaled",
    "cfi_robust",
    "tli_robust",
    "rmsea_robust",
    "rmsea_ci_lower_robust",
    "rmsea_ci_upper_robust",
    # the AMOS-style set (lavaan's definitions): chi-square/df, incremental and absolute indices
    "chisq_df",
    "nfi",
    "ifi",
    "rfi",
    "rni",
    "gfi",
    "agfi",
    "pgfi",
    "pnfi",
    "rmr",
    "ecvi",
)


def json_float(x: Any) -> float | None:
    """A JSON-able float, or None for NaN/inf/None."""
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def fit_dict(fit: dict) -> dict:
    return {k: json_float(fit[k]) for k in FIT_KEYS if k in fit}


def guarded(warnings: list[str], what: str, fn: Callable, *args, **kwargs):
    """Run one statistic; a user-data problem becomes a warning and None, never a crash."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        warnings.append(f"{what} could not be computed: {exc}")
        return None


def fit_cfa(df: pd.DataFrame, mechanism: Mechanism, opts, *, single_factor: bool = False):
    """Fit the CFA of a mechanism (correlated factors) or the one-factor model (Harman's CFA)."""
    from validate.sem import fit_sem

    if single_factor:
        syntax = "CMV =~ " + " + ".join(mechanism.item_ids)
    else:
        # first-order constructs only, all correlated (a second-order construct is fitted apart)
        syntax = mechanism.lavaan_syntax(structural=False, second_order=False)
    return fit_sem(syntax, df, estimator=opts.estimator, missing=opts.missing, kind="cfa")


def cfa_matrices(params: pd.DataFrame, items: list[str], factors: list[str]):
    """Loadings (items x factors), residual covariance (items x items) and factor covariance.

    Built from a lavaan-style parameter table (``lhs``, ``op``, ``rhs``, ``estimate``).
    """
    lam = pd.DataFrame(0.0, index=items, columns=factors)
    theta = pd.DataFrame(0.0, index=items, columns=items)
    psi = pd.DataFrame(0.0, index=factors, columns=factors)
    for r in params.itertuples(index=False):
        if r.op == "=~" and r.lhs in factors and r.rhs in items:
            lam.loc[r.rhs, r.lhs] = r.estimate
        elif r.op == "~~":
            if r.lhs in items and r.rhs in items:
                theta.loc[r.lhs, r.rhs] = theta.loc[r.rhs, r.lhs] = r.estimate
            elif r.lhs in factors and r.rhs in factors:
                psi.loc[r.lhs, r.rhs] = psi.loc[r.rhs, r.lhs] = r.estimate
    return lam, theta, psi


def _records(df: pd.DataFrame | None) -> list[dict]:
    if df is None:
        return []
    out = []
    for rec in df.to_dict(orient="records"):
        out.append(
            {
                k: (
                    json_float(v)
                    if isinstance(v, (float, np.floating, int, np.integer)) and not isinstance(v, bool)
                    else v
                )
                for k, v in rec.items()
            }
        )
    return out


def analyse_measurement(df: pd.DataFrame, mechanism: Mechanism, spec: ModelSpec, opts) -> dict:
    """All measurement statistics of one mechanism.

    Returns
    -------
    dict
        ``{"descriptives": [...], "mardia": {...}, "measurement": {...}}`` in the
        shape of ``results.json`` (see :mod:`validate.report`).
    """
    from validate.measurement import descriptives, reliability, validity
    from validate.missing import resolve_options

    opts = resolve_options(opts, df, [i for i in mechanism.item_ids if i in df.columns])
    warnings: list[str] = []
    items = mechanism.item_ids
    constructs = {c.id: c.item_ids for c in mechanism.first_order.values()}
    missing_cols = [i for i in items if i not in df.columns]
    if missing_cols:
        raise InputError(
            f"mechanism {mechanism.id}: the responses have no column for item(s) "
            f"{', '.join(missing_cols)}; expected one column per item of the spec"
        )
    X = df[items].astype(float)
    complete = X.dropna()
    out: dict = {}
    if len(complete) == 0 and len(X):
        # Every complete-case statistic would otherwise blame the first item; name the real cause once.
        empty = [i for i in items if X[i].isna().all()]
        cause = (
            f"item(s) {', '.join(empty)} have no answers at all (all {len(X)} responses are empty)"
            if empty
            else f"none of the {len(X)} respondents answered every item"
        )
        warnings.append(
            f"mechanism {mechanism.id}: {cause}; statistics that need complete responses "
            "(Mardia's test, KMO, Bartlett's test, parallel analysis, EFA, Harman's test and, with "
            "listwise deletion, the CFA and SEM) cannot be computed; check the export or mapping "
            "of these columns"
        )

    answered = [i for i in items if X[i].notna().any()]  # an item nobody answered spoils no other's row
    if len(answered) < len(items):
        warnings.append(
            "item descriptives of "
            + ", ".join(i for i in items if i not in answered)
            + " could not be computed: the item has no observed values (all missing)"
        )
    desc = (
        guarded(
            warnings,
            "item descriptives",
            descriptives.item_descriptives,
            X,
            answered,
            scale_min=spec.scale.min,
            scale_max=spec.scale.max,
        )
        if answered
        else None
    )
    if desc is not None:
        item_construct = {i: c for c, its in constructs.items() for i in its}
        desc = desc.rename(columns={"skewness": "skew"})
        desc.insert(1, "construct", desc["item"].map(item_construct))
    out["descriptives"] = _records(desc)
    mard = (
        guarded(warnings, "Mardia's multivariate normality test", descriptives.mardia, complete, items)
        if len(complete)
        else None
    )
    out["mardia"] = _records(mard)

    meas: dict = {"warnings": warnings, "n_complete": int(len(complete))}
    alpha = _per_construct(warnings, "Cronbach's alpha", reliability.cronbach_alpha, X, constructs)
    itot = _per_construct(warnings, "item-total correlations", reliability.item_total, X, constructs)
    meas["item_total"] = _records(itot)

    # ---- CFA
    cfa = guarded(warnings, "the CFA", fit_cfa, df, mechanism, opts)
    rel_tab = None
    fcorr = None
    if cfa is not None:
        warnings.extend(f"CFA: {w}" for w in cfa.warnings)
        meas["converged"] = bool(cfa.converged)
        meas["n_obs"] = int(cfa.n)  # the respondents the CFA used (lavaan's "used N")
        meas["admissible"] = bool(cfa.admissible)
        usable = cfa.converged
        meas["fit"] = fit_dict(cfa.fit) if usable else None
        pt = cfa.params
        load = pt[(pt.op == "=~")]
        meas["loadings"] = (
            [
                {
                    "construct": r.lhs,
                    "item": r.rhs,
                    "estimate": json_float(r.estimate),
                    "se": json_float(r.se),
                    "z": json_float(r.z),
                    "p_value": json_float(r.p_value),
                    "std": json_float(r.std_all),
                    **(
                        {
                            "fixed": True,
                            "reason": "fixed at 1 to set the factor's scale (marker item), so it has no z or p",
                        }
                        if int(r.free) == 0
                        else {"fixed": False}
                    ),
                }
                for r in load.itertuples(index=False)
            ]
            if usable
            else []
        )
        factors = list(constructs)
        lam, theta, psi = cfa_matrices(pt, items, factors)
        sd = np.sqrt(np.clip(np.diag(psi.to_numpy()), 0, None))
        with np.errstate(invalid="ignore", divide="ignore"):
            fc = psi.to_numpy() / np.outer(sd, sd)
        fcorr = pd.DataFrame(fc, index=factors, columns=factors)
        if usable and cfa.admissible:
            meas["factor_correlations"] = _square_dict(fcorr)
            rel_tab = guarded(
                warnings,
                "CR and AVE",
                reliability.reliability_from_cfa,
                lam,
                theta,
                psi,
                reliability.sample_covariance(complete, items),
            )
            if opts.estimator == "WLSMV":
                meas["notes"] = [
                    "With WLSMV, omega (CR) and AVE are computed on the latent-response scale "
                    "of the polychoric correlations (delta parameterisation); semTools' categorical "
                    "omega (Green & Yang, 2009) is on the scale of the observed sum score and differs. "
                    "Alpha uses Pearson covariances, as psych::alpha does."
                ]
        else:
            meas["factor_correlations"] = None
            warnings.append(
                "factor correlations, omega, CR and AVE are not reported because the CFA "
                + ("did not converge" if not cfa.converged else "solution is inadmissible")
            )
        mi = guarded(warnings, "modification indices", cfa.modindices, 10) if usable else None
        meas["modindices"] = _records(mi)
    else:
        meas["fit"] = None
        meas["n_obs"] = None  # the CFA could not be fitted; the reason is in the warnings
        meas["loadings"] = []
    summary = None
    if rel_tab is not None and meas.get("loadings"):
        std = pd.DataFrame(meas["loadings"])[["construct", "item", "std"]].astype({"std": float})
        summary = guarded(warnings, "CR, MSV, ASV and MaxR(H)", reliability.convergent_discriminant_summary, std, fcorr)
    meas["reliability"] = _reliability(constructs, alpha, rel_tab, summary)

    out["group_differences"] = _group_differences(df, X, constructs, spec, opts, warnings)

    # ---- discriminant validity
    ht = guarded(warnings, "HTMT", validity.htmt, X, constructs) if len(constructs) > 1 else None
    if ht is not None:
        meas["htmt"] = _square_dict(validity.htmt_matrix(ht))
    else:
        meas["htmt"] = None
    meas["htmt_ci"] = None
    if ht is not None and getattr(opts, "bootstrap", 0):
        # the rows the structural bootstrap resamples, in its order: resample b is the same respondents
        rows = X if opts.missing in ("fiml", "pairwise") else X.dropna()
        hb = guarded(
            warnings,
            "bootstrap intervals of HTMT",
            validity.htmt_bootstrap,
            rows,
            constructs,
            opts.bootstrap,
            opts.seed,
        )
        meas["htmt_ci"] = _records(hb)
    if rel_tab is not None and fcorr is not None and len(constructs) > 1:
        ave = rel_tab.set_index("construct")["ave"]
        fl = guarded(warnings, "the Fornell-Larcker criterion", validity.fornell_larcker, ave, fcorr)
        meas["fornell_larcker"] = _records(fl)
    cl = guarded(warnings, "cross-loadings", validity.cross_loadings, X, constructs)
    meas["cross_loadings"] = _records(cl)

    # ---- exploratory checks and common method bias
    meas.update(_exploratory(complete, items, len(constructs), opts, warnings) if len(complete) else {})
    harm = (
        guarded(warnings, "Harman's single-factor test", validity.harman_single_factor, complete, items)
        if len(complete)
        else None
    )
    if harm is not None and len(harm):
        rows = _records(harm)
        first = next((r for r in rows if r["method"] == "pca"), rows[0])
        meas["harman"] = {"first_factor_share": first["share"], "method": first["method"], "rows": rows}
    else:
        meas["harman"] = None
    if len(constructs) > 1 and cfa is not None and cfa.converged:
        one = guarded(warnings, "the single-factor CFA", fit_cfa, df, mechanism, opts, single_factor=True)
        if one is not None and one.converged:
            f1, fk = one.fit, cfa.fit
            d_chi = f1["chisq"] - fk["chisq"]
            d_df = f1["df"] - fk["df"]
            from scipy import stats

            meas["single_factor_cfa"] = {
                "fit": fit_dict(f1),
                "n_obs": int(one.n),
                "chisq_diff": json_float(d_chi),
                "df_diff": json_float(d_df),
                "p_value": json_float(stats.chi2.sf(d_chi, d_df)) if d_df > 0 else None,
            }
        elif one is not None:
            warnings.append("the single-factor CFA did not converge; the comparison with the full CFA is not reported")
        meas.update(
            _method_bias(
                df, constructs, cfa, one, fcorr, opts, warnings, markers=[q.id for q in spec.markers_for(mechanism.id)]
            )
        )
    if mechanism.second_order:
        meas["second_order"] = _second_order(df, mechanism, cfa, complete, opts, warnings)
        meas["loadings"] = meas.get("loadings", []) + meas["second_order"].pop("loadings")
    out["measurement"] = meas
    return out


def _second_order(df, mechanism: Mechanism, cfa, complete: pd.DataFrame, opts, warnings: list[str]) -> dict:
    """The second-order CFA: its fit, the second-order loadings and each second-order construct's reliability.

    Returns ``results.json``'s ``measurement.second_order``: ``syntax``, ``converged``, ``admissible``,
    ``n_obs``, ``fit``, ``chisq_first_order`` (the first-order CFA's chi-square) and
    ``target_coefficient`` (its ratio to the second-order chi-square, Marsh & Hocevar, 1985: near 1
    when the second-order factor explains the dimensions' covariances), ``constructs`` (rows:
    ``construct``, ``dimensions``, ``omega_l1``, ``omega_l2``, ``partial_omega_l1``, ``omega_higher``,
    ``cr``, ``ave``; ``None`` with ``reason`` when the fit cannot carry them) and ``loadings`` (rows
    shaped as ``measurement.loadings`` with ``second_order: true``, moved there by the caller).
    """
    from validate.measurement import higher_order, reliability
    from validate.sem import fit_sem

    syntax = mechanism.lavaan_syntax(structural=False)
    out: dict = {
        "syntax": syntax,
        "converged": False,
        "admissible": False,
        "n_obs": None,
        "fit": None,
        "chisq_first_order": None,
        "target_coefficient": None,
        "constructs": [],
        "loadings": [],
        "method": "second-order CFA (each second-order factor measured by its dimensions, as lavaan's "
        "OUT =~ COST + REV + ...); reliability as semTools reliabilityL2 and compRelSEM(higher=)",
    }
    fit = guarded(
        warnings,
        "the second-order CFA",
        fit_sem,
        syntax,
        df,
        estimator=opts.estimator,
        missing=opts.missing,
        kind="cfa",
    )
    empty = [
        {
            "construct": c.id,
            "dimensions": list(c.dimensions),
            "omega_l1": None,
            "omega_l2": None,
            "partial_omega_l1": None,
            "omega_higher": None,
            "cr": None,
            "ave": None,
        }
        for c in mechanism.second_order.values()
    ]
    if fit is None or not fit.converged:
        why = "the second-order CFA could not be fitted" if fit is None else "the second-order CFA did not converge"
        out["constructs"] = [{**r, "reason": why} for r in empty]
        return out
    warnings.extend(f"second-order CFA: {w}" for w in fit.warnings if "listwise deletion" not in w)
    out.update(converged=True, admissible=bool(fit.admissible), n_obs=int(fit.n), fit=fit_dict(fit.fit))
    if cfa is not None and cfa.converged and opts.estimator == "ML":
        c1, c2 = float(cfa.fit["chisq"]), float(fit.fit["chisq"])
        out["chisq_first_order"] = json_float(c1)
        out["target_coefficient"] = json_float(c1 / c2) if c2 > 0 else None
    pt = fit.params
    seconds = set(mechanism.second_order)
    out["loadings"] = [
        {
            "construct": r.lhs,
            "item": r.rhs,
            "estimate": json_float(r.estimate),
            "se": json_float(r.se),
            "z": json_float(r.z),
            "p_value": json_float(r.p_value),
            "std": json_float(r.std_all),
            "second_order": True,
            **(
                {
                    "fixed": True,
                    "reason": "fixed at 1 to set the factor's scale (marker dimension), so it has no z or p",
                }
                if int(r.free) == 0
                else {"fixed": False}
            ),
        }
        for r in pt[(pt.op == "=~") & pt.lhs.isin(seconds)].itertuples(index=False)
    ]
    if not fit.admissible:
        out["constructs"] = [{**r, "reason": "the second-order CFA solution is inadmissible"} for r in empty]
        return out
    items = [i for c in mechanism.first_order.values() for i in c.item_ids]
    S = reliability.sample_covariance(complete, items) if opts.missing == "listwise" and len(complete) else None
    rows = []
    for c in mechanism.second_order.values():
        rl = guarded(warnings, f"omega of the second-order construct {c.id}", higher_order.reliability_l2, pt, c.id, S)
        cr = guarded(
            warnings, f"CR and AVE of the second-order construct {c.id}", higher_order.second_order_summary, pt, c.id
        )
        row = {"construct": c.id, "dimensions": list(c.dimensions)}
        for k in ("omega_l1", "omega_l2", "partial_omega_l1", "omega_higher"):
            row[k] = json_float(rl[k]) if rl and rl[k] is not None else None
        row["cr"] = json_float(cr["cr"]) if cr else None
        row["ave"] = json_float(cr["ave"]) if cr else None
        if row["omega_higher"] is None and rl:
            row["omega_higher_reason"] = (
                "needs the sample covariance of complete responses (listwise deletion); "
                f"not computed with missing={opts.missing}"
            )
        rows.append(row)
    out["constructs"] = rows
    return out


def _group_differences(df, X, constructs, spec, opts, warnings) -> list[dict]:
    """Welch tests of the construct scores by each single-choice background question and by --group."""
    from validate.measurement import group_differences as gd

    lang = getattr(opts, "lang", "en") or "en"
    by, labels = {}, {}
    for q in spec.background:
        if q.type == "single" and q.choices and q.id in df.columns:
            by[q.id] = df[q.id]
            labels[q.id] = {c.code: c.label.get(lang) or c.label.get("en") for c in q.choices}
    group = getattr(opts, "group", None)
    if group and group in df.columns and group not in by:
        by[group] = df[group]
    if not by:
        return []
    scores = gd.construct_scores(X, constructs)
    return _records(
        guarded(warnings, "group differences in construct scores", gd.group_differences, scores, by, labels=labels)
    )


def _method_bias(df, constructs, cfa, one, fcorr, opts, warnings, markers=()) -> dict:
    """ULMC (``common_method.ulmc``), the marker tests (``common_method.marker``) and the competing-model table."""
    from validate.measurement import method_bias

    kwargs = {"estimator": opts.estimator, "missing": opts.missing}
    mark = _marker(df, constructs, list(markers), opts, warnings)
    reason = "the CFA solution is inadmissible" if not cfa.admissible else None
    if reason:
        return {"common_method": {"ulmc": None, "reason": reason, **mark}, "competing_models": None}
    ul = guarded(
        warnings, "the ULMC method-factor model", method_bias.ulmc, df, constructs, cfa.fit, start=cfa, **kwargs
    )
    if ul is not None and ul.get("reason"):
        warnings.append(f"common method (ULMC): {ul['reason']}")
    one_fit = one.fit if one is not None and one.converged else None
    comp = guarded(
        warnings,
        "the competing-model CFAs",
        method_bias.competing_models,
        df,
        constructs,
        cfa.fit,
        fcorr,
        one_factor_fit=one_fit,
        **kwargs,
    )
    return {"common_method": {"ulmc": ul, **mark}, "competing_models": comp}


def _marker(df, constructs, markers: list[str], opts, warnings: list[str]) -> dict:
    """``common_method.marker`` (and ``marker_reason``): the Lindell & Whitney correction and the CFA marker technique.

    ``marker`` is None with ``marker_reason`` when the spec declares no marker variable or the
    responses lack its column; otherwise ``{"markers", "lindell_whitney", "cfa_marker",
    "cfa_marker_reason"}`` (see :func:`validate.measurement.method_bias.lindell_whitney` and
    :func:`~validate.measurement.method_bias.cfa_marker`); a part that cannot be computed is None
    with its reason.
    """
    from validate.measurement import method_bias
    from validate.measurement.group_differences import construct_scores

    if not markers:
        return {"marker": None, "marker_reason": "no marker variable declared in the spec"}
    absent = [m for m in markers if m not in df.columns]
    if absent:
        why = (
            f"the responses have no column for the marker variable{'s' if len(absent) > 1 else ''} "
            f"{', '.join(absent)} declared in the spec (marker: true)"
        )
        warnings.append(f"common method (marker): {why}")
        return {"marker": None, "marker_reason": why}
    items = [i for its in constructs.values() for i in its]
    data = df[items].astype(float).join(df[markers].apply(pd.to_numeric, errors="coerce"))
    lw = guarded(
        warnings,
        "the Lindell & Whitney marker correction",
        method_bias.lindell_whitney,
        construct_scores(data[items], constructs),
        data[markers],
    )
    if lw is not None and lw.get("reason"):
        warnings.append(f"common method (Lindell & Whitney): {lw['reason']}")
    out: dict = {"markers": list(markers), "lindell_whitney": lw, "cfa_marker": None, "cfa_marker_reason": None}
    if opts.estimator == "WLSMV":
        out["cfa_marker_reason"] = (
            "the CFA marker technique is fitted by maximum likelihood on numeric markers; "
            "it is not run with WLSMV (ordered items)"
        )
    else:
        seen = len(warnings)
        cm = guarded(
            warnings,
            "the CFA marker technique",
            method_bias.cfa_marker,
            data,
            constructs,
            markers,
            estimator=opts.estimator,
            missing=opts.missing,
        )
        out["cfa_marker"] = cm
        if cm is None:
            out["cfa_marker_reason"] = (
                warnings[-1] if len(warnings) > seen else "the CFA marker technique could not be computed"
            )
        elif cm.get("reason"):
            warnings.append(f"common method (CFA marker technique): {cm['reason']}")
    return {"marker": out}


def _per_construct(warnings: list[str], what: str, fn: Callable, X: pd.DataFrame, constructs: dict):
    """Run a per-construct statistic construct by construct, so one bad construct spoils no other."""
    parts = [guarded(warnings, f"{what} of {c}", fn, X, {c: items}) for c, items in constructs.items()]
    parts = [p for p in parts if p is not None]
    return pd.concat(parts, ignore_index=True) if parts else None


def _reliability(
    constructs: dict, alpha: pd.DataFrame | None, rel: pd.DataFrame | None, summary: pd.DataFrame | None = None
) -> dict:
    """Per construct: alpha, semTools' omega and AVE, and the AMOS-style CR, AVE, MSV, ASV and MaxR(H).

    ``cr`` is the composite reliability on the standardised solution (Fornell & Larcker 1981, as
    AMOS users report it); ``omega`` is semTools' ``reliability()`` omega on the unstandardised
    estimates. ``ave`` is semTools' ``avevar``; ``ave_std`` the mean squared standardised loading.
    """
    out = {}
    a = alpha.set_index("construct") if alpha is not None else None
    r = rel.set_index("construct") if rel is not None else None
    v = summary.set_index("construct") if summary is not None else None
    for c in constructs:
        row = {
            "alpha": None,
            "alpha_std": None,
            "omega": None,
            "cr": None,
            "ave": None,
            "ave_std": None,
            "msv": None,
            "asv": None,
            "maxrh": None,
        }
        if a is not None and c in a.index:
            row["alpha"] = json_float(a.loc[c, "raw_alpha"])
            row["alpha_std"] = json_float(a.loc[c, "std_alpha"])
        if r is not None and c in r.index:
            row["omega"] = json_float(r.loc[c, "omega"])
            row["ave"] = json_float(r.loc[c, "ave"])
        if v is not None and c in v.index:
            row["cr"] = json_float(v.loc[c, "cr_std"])
            for k in ("ave_std", "msv", "asv", "maxrh"):
                row[k] = json_float(v.loc[c, k])
        out[c] = row
    return out


def _square_dict(m: pd.DataFrame) -> dict:
    return {str(i): {str(j): json_float(m.loc[i, j]) for j in m.columns} for i in m.index}


def _exploratory(complete: pd.DataFrame, items: list[str], n_factors: int, opts, warnings: list[str]) -> dict:
    """KMO, Bartlett's test, parallel analysis and an oblimin EFA with one factor per construct."""
    from validate.measurement import efa

    out: dict = {}
    kmo = guarded(warnings, "KMO", efa.kmo, complete[items])
    if kmo is not None:
        overall = kmo[kmo["scope"] == "overall"]
        per = kmo[kmo["scope"] == "item"]
        out["kmo"] = {
            "overall": json_float(overall["msa"].iloc[0]) if len(overall) else None,
            "label": overall["label"].iloc[0] if len(overall) else None,
            "items": {r.item: json_float(r.msa) for r in per.itertuples(index=False)},
        }
    bart = _records(guarded(warnings, "Bartlett's test of sphericity", efa.bartlett_sphericity, complete[items]))
    out["bartlett"] = (
        {"chisq": bart[0]["statistic"], "df": bart[0]["df"], "p_value": bart[0]["p_value"]} if bart else None
    )
    pa = guarded(warnings, "parallel analysis", efa.parallel_analysis, complete[items], n_iter=100, seed=opts.seed)
    out["parallel_analysis"] = _records(pa)
    fit = guarded(warnings, "the exploratory factor analysis", efa.efa, complete[items], n_factors)
    if fit is not None:
        out["efa"] = {
            "n_factors": n_factors,
            "rotation": "oblimin",
            "method": "minres",
            "loadings": _records(fit.loadings),
            "communalities": _records(fit.communalities),
            "factor_correlations": _records(fit.factor_correlations),
        }
    return out
