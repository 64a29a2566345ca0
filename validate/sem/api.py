"""``fit_sem``: fit a lavaan-syntax model to a data frame and report like lavaan.

Notes
-----
Checked against lavaan 0.6.14 (``cfa()``/``sem()`` with default options, ``missing = "ml"``
with ``estimator = "ML"`` or ``"MLR"``,
``estimator = "MLR"`` and ``group``/``group.equal``) using the fixtures in
``tests/fixtures/lavaan``; see tests/test_sem_*.py for the tolerances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from validate.blas import single_threaded_blas

from . import fitmeasures as fm
from .data import (
    available_case_stats,
    check_data,
    drop_missing_x,
    moment_input,
    moment_stats,
    prepare_data,
    sample_stats,
)
from .errors import ModelError
from .estimate import (
    admissibility,
    chol_inv,
    expected_information,
    optimize_ml,
    start_values,
)
from .inference import Z975, defined_values, info_inverse, param_names, row_values, standardize, wald_table
from .model import CompiledModel, SampleStats
from .result import ESTIMATES_ONLY_NOTE, SemResult
from .start import start_covers, start_from
from .syntax import parse_model_cached
from .wlsmv import fit_wlsmv

__all__ = ["SemResult", "fit_sem"]


# ----------------------------------------------------------------------------
# main entry point
# ----------------------------------------------------------------------------
def fit_sem(
    model: str,
    data: pd.DataFrame,
    *,
    estimator: str = "ML",
    group: str | None = None,
    group_equal: Sequence[str] = (),
    missing: str = "listwise",
    kind: str = "sem",
    auto_cov_y: bool = True,
    fixed_x: bool = True,
    meanstructure: bool | None = None,
    max_iter: int = 500,
    ordered: bool | Sequence[str] | None = None,
    start: SemResult | None = None,
    estimates_only: bool = False,
    std_lv: bool = False,
    orthogonal: bool = False,
    group_partial: Sequence[str] = (),
    se: str = "standard",
    collapse_empty: bool = False,
    sample_cov=None,
    sample_mean=None,
    sample_nobs=None,
    **unknown,
) -> SemResult:
    """Fit a structural-equation model by maximum likelihood, like lavaan's ``sem()``/``cfa()``.

    Parameters
    ----------
    model : str
        lavaan model syntax (see :mod:`validate.sem.syntax`).
    data : pandas.DataFrame
    estimator : {"ML", "MLR", "MLM", "WLSMV"}
        ``"MLR"``: Huber-White SEs and Yuan-Bentler scaled test (lavaan's MLR); with
        ``missing="fiml"`` the sandwich and the test use the missing-data likelihood (observed
        information, casewise scores, the saturated model's EM estimates) and the robust
        CFI/TLI/RMSEA are lavaan's FIML-corrected ones (see :mod:`validate.sem.robust_fiml`).
        ``"MLM"`` (complete data): Satorra-Bentler robust SEs and scaled test, the scaled and
        robust CFI/TLI/RMSEA (see :mod:`validate.sem.mlm`).
        ``"WLSMV"``: ordered (Likert) items, DWLS on polychoric correlations with robust SEs,
        the scaled-shifted test and robust CFI/TLI/RMSEA (lavaan's WLSMV; groups with
        ``group_equal`` including ``"thresholds"``, continuous items beside ordered ones,
        ``missing="pairwise"``; see :mod:`validate.sem.wlsmv`, and
        :func:`validate.sem.wlsmv.difftest` for nested fits).
    group : str, optional
        Column defining groups (in order of first appearance, as lavaan).
    group_equal : sequence of str
        e.g. ``("loadings", "intercepts")``.
    missing : {"listwise", "fiml", "ml.x", "pairwise"}
        ``"fiml"`` (lavaan's ``missing = "ml"``): full-information ML; ``fit`` then also has
        the FIML-corrected ``cfi_robust``, ``tli_robust`` and ``rmsea_robust``. With fixed
        observed covariates (``fixed_x=True``) the cases with a missing covariate are removed
        (with a warning) and the likelihood is conditional on the covariates, as lavaan's
        ``missing = "ml"``; ``"ml.x"`` keeps those cases, with the covariates' moments fixed at
        their saturated (EM) estimates, as lavaan's ``missing = "ml.x"``. With fixed covariates
        the scaled test and the robust CFI/TLI/RMSEA are not computed yet (NaN, with a note).
        ``"pairwise"``: WLSMV only (pairwise polychoric correlations, lavaan's
        ``missing = "pairwise"``).
    kind : {"sem", "cfa", "growth"}
        ``"growth"`` is lavaan's ``growth()`` (observed intercepts fixed at 0, latent means free).
    auto_cov_y, fixed_x, meanstructure, std_lv, orthogonal, group_partial
        lavaan's options of the same name (``auto.cov.y``, ``fixed.x``, ``std.lv``,
        ``group.partial``, ...). With ``fixed_x=False`` the variances, covariances (and means) of
        exogenous observed covariates are free parameters, as in lavaan.
    sample_cov, sample_mean, sample_nobs : optional
        Fit to summary statistics instead of raw data, as lavaan's ``sample.cov``,
        ``sample.mean`` and ``sample.nobs`` (``data`` must then be None): a covariance matrix as a
        DataFrame whose index and columns name the variables (a list of them for groups, with
        ``sample_nobs`` a list of sizes), unbiased (divisor N - 1; rescaled to N as lavaan does),
        and optionally the means (Series or list of Series; needed with a mean structure).
        Estimator ML only, without missing data.
    se : {"standard"}
        Standard errors from the (expected, or observed for FIML) information matrix, robust for
        MLR. Other choices are refused with the supported way (bootstrap intervals of effects are
        made by the structural analysis, see :mod:`validate.structural.bootstrap`).
    max_iter : int
        Iteration limit of the optimiser.
    start : SemResult, optional
        A fit of a closely related model (e.g. the same model with fewer constraints); its
        estimates are the starting values of every parameter with the same ``lhs``, ``op``,
        ``rhs`` and ``group``. Speeds up a series of nested fits; the solution is the same.
    ordered : True or sequence of str, optional
        Ordered items (WLSMV only). With ``estimator="WLSMV"`` and ``ordered=None`` every
        observed variable of the model is treated as ordered.
    estimates_only : bool
        Compute the estimates and nothing that only inference needs: no standard errors or
        ``vcov`` (``se``, ``z``, ``p_value`` and the intervals of free parameters are NaN), no
        fit measures (``fit`` holds ``npar`` and ``ntotal`` only), no baseline model, no
        saturated (h1) EM fit for FIML when ``start`` gives every free parameter, and for
        WLSMV no robust sandwich or scaled-shifted test. ``converged``, ``admissible`` (the same
        checks, without the one on the information matrix), ``warnings``, ``params`` (estimate,
        std_lv, std_all) and ``r2`` are as in a full fit, and the estimates are the same.
        Meant for bootstrap refits (with ``start`` = the full-sample fit); modification indices
        are not available on such a result, and for such an FIML refit ``sample_cov`` and
        ``sample_mean`` hold available-case (pairwise) moments instead of the EM estimates.
    collapse_empty : bool
        WLSMV with ``group``: merge an answer category nobody chose within a group into its
        neighbour (see :func:`validate.sem.wlsmv.fit_wlsmv`).

    Returns
    -------
    SemResult

    Raises
    ------
    ModelSyntaxError, UnknownVariableError, ModelError
    """
    _check_options(unknown, se=se, estimator=estimator)
    extra = dict(std_lv=bool(std_lv), orthogonal=bool(orthogonal), group_partial=group_partial)
    if any(extra.values()) and str(estimator).upper() == "WLSMV":
        raise ModelError(
            "std_lv, orthogonal and group_partial are not available with estimator='WLSMV' "
            "yet; write them in the syntax instead (e.g. 'f =~ NA*x1 + x2; f ~~ 1*f', "
            "'f1 ~~ 0*f2')"
        )
    if sample_cov is not None or sample_mean is not None or sample_nobs is not None:
        extra["moments"] = moment_input(
            data,
            sample_cov,
            sample_mean,
            sample_nobs,
            estimator=estimator,
            missing=missing,
            group=group,
            ordered=ordered,
        )
    with single_threaded_blas():
        return _fit_sem(
            model,
            data,
            estimator=estimator,
            group=group,
            group_equal=group_equal,
            missing=missing,
            kind=kind,
            auto_cov_y=auto_cov_y,
            fixed_x=fixed_x,
            meanstructure=meanstructure,
            max_iter=max_iter,
            ordered=ordered,
            start=start,
            estimates_only=bool(estimates_only),
            collapse_empty=bool(collapse_empty),
            **{k: v for k, v in extra.items() if v},
        )


#: fit_sem's keywords, and lavaan option names a researcher may type -> what to write instead
_FIT_SEM_OPTIONS = (
    "estimator",
    "group",
    "group_equal",
    "group_partial",
    "missing",
    "kind",
    "auto_cov_y",
    "fixed_x",
    "meanstructure",
    "max_iter",
    "ordered",
    "start",
    "estimates_only",
    "std_lv",
    "orthogonal",
    "se",
    "collapse_empty",
    "sample_cov",
    "sample_mean",
    "sample_nobs",
)
_REFUSED_OPTIONS = {
    "test": "the test statistic follows the estimator (ML: chi-square; MLR: also the Yuan-Bentler "
    "scaled test; WLSMV: the scaled-shifted test); choose estimator= instead",
    "bootstrap": "bootstrap intervals of indirect and total effects are made by the structural "
    "analysis (validate.structural.bootstrap; the 'bootstrap' setting of `vcc run`)",
    "parameterization": "WLSMV uses the delta parameterisation only; the theta parameterisation is not implemented",
    "int_ov_free": "use kind='growth' (observed intercepts fixed at 0, latent means free) or write "
    "the intercepts in the syntax ('x1 ~ 0*1')",
    "int_lv_free": "use kind='growth' or write the latent means in the syntax ('f ~ 1')",
    "auto_fix_first": "write the scaling in the syntax ('f =~ NA*x1 + x2; f ~~ 1*f') or use std_lv=True",
    "conditional_x": "fixed_x=True fits the model conditional on the covariates' sample moments",
    "likelihood": "the normal likelihood with divisor N (lavaan's default, likelihood='normal') is used",
    "information": "the expected information is used for complete data (observed for FIML), as lavaan",
    "sampling_weights": "sampling weights are not supported",
    "cluster": "cluster-robust standard errors are not supported",
    "orthogonal_x": "use orthogonal=True, or fix the covariances in the syntax ('f1 ~~ 0*f2')",
    "orthogonal_y": "use orthogonal=True, or fix the covariances in the syntax ('f1 ~~ 0*f2')",
    "std_ov": "standardise the columns of the data before fitting",
}


def _check_options(unknown: dict, *, se, estimator) -> None:
    """Refuse lavaan options that fit_sem does not have, naming the supported way (never ignore one)."""
    from instruments.errors import InputError

    for key in unknown:
        name = str(key).replace(".", "_")
        if name in _FIT_SEM_OPTIONS:
            raise InputError(
                f"fit_sem: option {key!r} is written {name!r} in Python (lavaan's dots become underscores)"
            )
        if name in _REFUSED_OPTIONS:
            raise InputError(f"fit_sem: lavaan's option {key!r} is not supported: {_REFUSED_OPTIONS[name]}")
        raise InputError(f"fit_sem: unknown option {key!r}; the options are {', '.join(_FIT_SEM_OPTIONS)}")
    se_name = "standard" if se is None else str(se).lower()
    if se_name in ("standard", "default"):
        return
    if se_name in ("robust", "robust.huber.white", "robust.sem"):
        want = "estimator='MLR'" if se_name != "robust.sem" else "estimator='WLSMV' (ordered items)"
        raise InputError(
            f"fit_sem: se={se!r} is chosen through the estimator here: use {want} (estimator={estimator!r} was given)"
        )
    if se_name == "bootstrap":
        raise InputError(
            "fit_sem: se='bootstrap' is not supported; "
            + _REFUSED_OPTIONS["bootstrap"]
            + ". Standard errors here come from the information matrix (robust with "
            "estimator='MLR')"
        )
    if se_name == "none":
        raise InputError("fit_sem: se='none' is written estimates_only=True here (no standard errors, no fit measures)")
    raise InputError(
        f"fit_sem: se={se!r} is not supported; the choice is se='standard' "
        "(with estimator='MLR' for robust standard errors)"
    )


_MLM_HINT = "; 'MLM' is available for complete data"


def _fit_sem(
    model,
    data,
    *,
    estimator,
    group,
    group_equal,
    missing,
    kind,
    auto_cov_y,
    fixed_x,
    meanstructure,
    max_iter,
    ordered=None,
    start=None,
    estimates_only=False,
    std_lv=False,
    orthogonal=False,
    group_partial=(),
    collapse_empty=False,
    moments=None,
):
    """Fit one model, in lavaan's steps: syntax -> parameter table -> data and sample statistics ->
    start values -> estimation -> inference (standard errors, parameter table, admissibility) ->
    fit measures and R²."""
    estimator = _check_estimator(estimator, missing, kind)
    if estimator == "WLSMV":
        return fit_wlsmv(
            model,
            data,
            ordered=ordered,
            group=group,
            group_equal=group_equal,
            missing=missing,
            kind=kind,
            auto_cov_y=auto_cov_y,
            fixed_x=fixed_x,
            max_iter=max_iter,
            start=start,
            estimates_only=estimates_only,
            collapse_empty=collapse_empty,
        )
    ml_x, missing = _check_missing(missing, ordered, estimator, fixed_x)
    ngroups = _count_groups(data, group, moments)
    # syntax -> parameter table
    spec = parse_model_cached(
        model,
        ngroups=ngroups,
        group_equal=group_equal,
        kind=kind,
        auto_cov_y=auto_cov_y,
        meanstructure=meanstructure,
        fixed_x=fixed_x,
        missing=missing,
        std_lv=std_lv,
        orthogonal=orthogonal,
        group_partial=group_partial,
    )
    if spec.constraints and missing == "fiml":
        raise ModelError(
            "general constraints ("
            + "; ".join(c.text for c in spec.constraints)
            + ") are not implemented with missing='fiml' yet; use listwise deletion, or "
            "write equality between two labels by giving them the same label"
        )
    pt = spec.partable
    core = pt[pt["op"] != ":="].reset_index(drop=True)
    # a start that gives every free parameter: no preliminary fit (and, for estimates only,
    # no saturated EM fit) is needed
    covered = start is not None and start_covers(core, start.params)
    sample = _sample(spec, data, group, missing, ml_x, moments, cheap=estimates_only and covered)
    cm = CompiledModel(core, spec.ov_names, spec.lv_names, spec.ngroups, spec.meanstructure)
    cm.set_exo(sample.stats)
    warnings = sample.warnings
    # start values -> estimation
    theta0 = start_values(cm, core, sample.stats)
    if start is not None:
        theta0 = start_from(theta0, core, start.params)
    est = _estimate(spec, cm, core, sample, theta0, start=start, covered=covered, max_iter=max_iter)
    theta, converged = est.opt.theta, bool(est.opt.converged)
    names = param_names(core, cm.nfree)
    warnings += _estimation_warnings(spec, cm, est)
    # inference
    vcov, A_obs, B0 = None, None, None
    if converged and cm.nfree and not estimates_only:
        vcov, A_obs, B0 = _vcov(spec, cm, theta, sample, est, estimator, names, warnings)
    se_free = _standard_errors(vcov, cm.nfree, names, warnings)
    table = _parameter_table(spec, cm, core, theta, se_free, vcov, converged)
    implied_cov, implied_mean, problems = _admissibility(spec, cm, theta, sample, table, converged, warnings)
    admissible = converged and not problems and (vcov is not None or (estimates_only and cm.nfree > 0))
    # fit measures
    notes = []
    if estimates_only:
        fit = {"npar": cm.nfree, "ntotal": sample.stats.ntotal}
        notes.append(ESTIMATES_ONLY_NOTE)
    else:
        cons = est.cons
        fit = _fit_measures(
            spec,
            cm,
            theta,
            sample.stats,
            sample.Ys,
            est.opt,
            converged,
            estimator,
            A_obs,
            B0,
            n_eq=0 if cons is None else cons.n_eq,
            a_inv=None if cons is None or A_obs is None else _constrained_a_inv(A_obs, cons, theta, est.cons_active),
            pats=sample.pats,
            h1_logl=sample.h1_logl,
            notes=notes,
        )
    r2 = _r_squared(spec, cm, theta, sample.labels)
    retry_note = est.retry_note
    if retry_note is not None:
        notes.append(retry_note.message())
    if sample.pats is not None and spec.ov_x and not estimates_only:
        _fiml_fixed_x_gaps(fit, notes)
    stats = sample.stats
    return SemResult(
        spec=spec,
        estimator=estimator,
        converged=converged,
        admissible=bool(admissible),
        warnings=warnings,
        params=table,
        fit=fit,
        r2=r2,
        n=stats.ntotal,
        nobs_per_group=list(stats.nobs),
        group_labels=sample.labels,
        implied=dict(cov=implied_cov, mean=implied_mean, ov_names=list(spec.ov_names)),
        sample_cov=stats.cov,
        sample_mean=stats.mean,
        theta=theta,
        vcov=vcov,
        iterations=est.opt.iterations,
        _cm=cm,
        _stats=stats,
        _data=sample.Ys,
        notes=notes,
        estimates_only=estimates_only,
        missing=missing,
        start_retry=None
        if retry_note is None
        else dict(
            first_converged=retry_note.first_converged,
            first_admissible=retry_note.first_admissible,
            first_chisq=retry_note.first_chisq,
            chisq=retry_note.chisq,
            kept=retry_note.start,
            refits=retry_note.tried,
            changed=retry_note.changed,
        ),
    )


def _check_estimator(estimator, missing, kind) -> str:
    """The estimator's name in capitals; refuses one that is not available (naming the nearest)."""
    estimator = str(estimator).upper()
    if estimator not in ("ML", "MLR", "MLM", "WLSMV"):
        hint = ""
        if estimator.startswith("MLM"):
            hint = (
                "; the nearest is 'MLM' (Satorra-Bentler robust standard errors and scaled test; "
                "the scaled-and-shifted test of 'MLMV' is not implemented)"
            )
        elif estimator in ("DWLS", "ULSMV", "WLSM", "WLSMVS", "WLS"):
            hint = "; for ordered (Likert) items use 'WLSMV'"
        raise ModelError(f"estimator {estimator!r} is not supported (use 'ML', 'MLR' or 'WLSMV'){hint or _MLM_HINT}")
    if estimator == "MLM" and missing not in ("listwise", None):
        raise ModelError("estimator='MLM' needs complete data (as in lavaan); with missing='fiml' use estimator='MLR'")
    if kind == "growth" and estimator == "WLSMV":
        raise ModelError("kind='growth' is not available with estimator='WLSMV'")
    return estimator


def _check_missing(missing, ordered, estimator, fixed_x) -> tuple[bool, str]:
    """The ML family's missing-data option: returns (lavaan's ml.x?, "listwise" or "fiml")."""
    if ordered is True or (ordered is not None and ordered is not False and len(ordered) > 0):
        raise ModelError(
            "ordered items need estimator='WLSMV' (lavaan switches to it automatically; "
            f"here estimator={estimator!r} was asked for)"
        )
    if missing not in ("listwise", "fiml", "ml", "ml.x"):
        raise ModelError(f"missing={missing!r} is not supported (use 'listwise', 'fiml' or 'ml.x')")
    # lavaan's ml.x: the covariates' moments fixed at their saturated (EM) estimates, and the cases
    # with a missing covariate kept (missing='ml' drops them)
    ml_x = missing == "ml.x" and bool(fixed_x)
    if missing in ("ml", "ml.x"):
        missing = "fiml"
    return ml_x, missing


def _count_groups(data, group, moments) -> int:
    """The number of groups: the distinct values of the group column (or of the moment lists)."""
    ngroups = 1 if moments is None else len(moments[0])
    if group is not None:
        if not isinstance(data, pd.DataFrame) or group not in data.columns:
            raise ModelError(f"group column {group!r} is not in the data")
        ngroups = int(data[group].dropna().nunique())
        if ngroups < 1:
            raise ModelError(f"group column {group!r} has no values")
    return ngroups


@dataclass
class _Sample:
    """The data of a fit (lavaan's lavdata and lavsamplestats).

    ``Ys``: the data per group (None for summary-statistics input); ``labels``: the group labels;
    ``stats``: the sample (or, for FIML, the saturated EM) moments; ``pats``: the FIML missing-data
    patterns per group (None for complete data); ``h1_logl``: the saturated FIML log-likelihood;
    ``warnings``: about the data (dropped cases, sample size).
    """

    Ys: list | None
    labels: list
    stats: SampleStats
    pats: list | None
    h1_logl: float | None
    warnings: list


def _sample(spec, data, group, missing, ml_x, moments, *, cheap) -> _Sample:
    """Take the model's columns from the data and compute the sample statistics.

    ``cheap`` (an estimates-only FIML refit whose start gives every parameter): available-case
    moments instead of the saturated EM fit.
    """
    if moments is None:
        Ys, labels, n_dropped = prepare_data(spec, data, group, missing)
        warnings = check_data(spec, Ys, labels, spec.nfree)
    else:
        Ys, n_dropped, warnings = None, 0, []
        labels = [None] if spec.ngroups == 1 else list(range(1, spec.ngroups + 1))
    pats = h1_logl = None
    if missing == "fiml":
        from .fiml import Patterns, em_h1

        if spec.ov_x and not ml_x:
            Ys, n_x_dropped = drop_missing_x(spec, Ys, labels)
            if n_x_dropped:
                warnings.append(
                    f"{n_x_dropped} case(s) with missing values on the exogenous covariate(s) "
                    f"{', '.join(spec.ov_x)} were removed (fixed_x=True conditions on the covariates, "
                    "as lavaan's missing='ml'); missing='ml.x' keeps them"
                )
        pats = [Patterns(Y) for Y in Ys]
        if cheap:
            stats = available_case_stats(pats)
        else:
            h1 = [em_h1(pt) for pt in pats]
            stats = SampleStats([h[0] for h in h1], [h[1] for h in h1], [pt.n for pt in pats])
            h1_logl = float(sum(h[2] for h in h1))
    elif moments is not None:
        stats = moment_stats(spec, moments)
    else:
        stats = sample_stats(spec, Ys, labels)
    warnings = list(warnings)
    if n_dropped:
        warnings.append(f"{n_dropped} case(s) with missing values were removed (listwise deletion)")
    return _Sample(Ys, labels, stats, pats, h1_logl, warnings)


@dataclass
class _Estimation:
    """What the optimiser gave: ``opt`` (:class:`~validate.sem.estimate.OptResult`), the
    ``retry_note`` of a refit from other starts (or None), and the general constraints with the
    indices of the active ones (or None)."""

    opt: object
    retry_note: object = None
    cons: object = None
    cons_active: object = None


def _estimate(spec, cm, core, sample, theta0, *, start, covered, max_iter) -> _Estimation:
    """Minimise the ML (complete data) or FIML discrepancy from ``theta0``.

    Complete data: refit from other starts when the first fit is doubtful (no ``start``), then
    under the general constraints. FIML: from the ML solution on the EM moments unless ``start``
    gives every parameter.
    """
    stats = sample.stats
    if sample.pats is None:
        opt = optimize_ml(cm, stats, theta0, max_iter=max_iter)
        retry_note = cons = cons_active = None
        if start is None:
            opt, retry_note = _retry_if_doubtful(cm, core, stats, opt, max_iter)
        if spec.constraints:
            opt, cons, cons_active = _fit_constrained(spec, core, cm, stats, opt, theta0, max_iter)
        return _Estimation(opt, retry_note, cons, cons_active)
    from .estimate import OptResult
    from .fiml import fiml_fit

    if not covered:
        # start from the ML solution on the EM moments (close to the FIML one)
        opt0 = optimize_ml(cm, stats, theta0, max_iter=max_iter)
        if start is None:  # a doubtful start for FIML too: refit the EM-moment fit
            opt0, _ = _retry_if_doubtful(cm, core, stats, opt0, max_iter)
        if opt0.converged:
            theta0 = opt0.theta
    th, Fm, conv, its = fiml_fit(cm, sample.pats, theta0, max_iter=max_iter)
    return _Estimation(
        OptResult(th, Fm / 2, conv, its, "converged" if conv else "FIML optimiser did not converge", 0.0)
    )


def _estimation_warnings(spec, cm, est) -> list[str]:
    """Warnings about the estimation: a refit that changed the solution, no convergence, more free
    parameters than sample moments."""
    out = []
    opt, retry_note = est.opt, est.retry_note
    if retry_note is not None and retry_note.changed:  # the reports show warnings: say it there
        out.append(retry_note.message())
    if not opt.converged:
        out.append(
            f"the optimiser did not converge after {opt.iterations} iterations "
            f"({opt.message}; largest gradient {opt.max_grad:.2e}); estimates are not "
            "trustworthy and standard errors and fit measures are not reported"
        )
    q = cm.nfree
    nx = len(spec.ov_x)
    ndat = spec.ngroups * (
        cm.p * (cm.p + 1) // 2
        + (cm.p if cm.meanstructure else 0)
        - nx * (nx + 1) // 2
        - (nx if cm.meanstructure else 0)
    )
    if q > ndat:
        out.append(
            f"the model has more free parameters ({q}) than sample moments ({ndat}), "
            f"i.e. negative degrees of freedom ({ndat - q}): it is not identified"
        )
    return out


def _vcov(spec, cm, theta, sample, est, estimator, names, warnings):
    """The covariance matrix of the free parameters (lavaan's ``lav_model_vcov``).

    ML: the inverse expected information; FIML: the inverse observed information (after an
    identification check on the expected one); MLR: the sandwich; MLM: Satorra-Bentler; general
    constraints: the projected inverse. Returns (vcov or None, A_obs, B0) - the observed
    information and the casewise score cross-products the robust test needs (None otherwise).
    """
    stats, pats, Ys = sample.stats, sample.pats, sample.Ys
    N = stats.ntotal
    if pats is not None:
        from .fiml import fiml_information

        # identification: the analytic expected information; the SEs: the observed one
        A_obs, E_exp = fiml_information(cm, theta, pats)  # totals over cases
        vcov = B0 = None
        if info_inverse(E_exp, names, warnings) is not None:
            vcov = info_inverse(A_obs, names, warnings)
        if estimator == "MLR" and vcov is not None:
            from .robust_fiml import fiml_casewise_scores, fiml_sandwich

            B0 = fiml_casewise_scores(cm, theta, pats)
            vcov, _ = fiml_sandwich(A_obs, B0)
        return vcov, A_obs, B0
    if estimator == "MLM":
        if est.cons is not None:
            raise ModelError("general constraints with estimator='MLM' are not implemented; use 'ML' or 'MLR'")
        return _mlm_vcov(cm, theta, stats, Ys, names, warnings, spec.ov_x), None, None
    if est.cons is not None:
        return _constrained_vcov(cm, theta, stats, Ys, est.cons, est.cons_active, estimator, names, warnings)
    if estimator == "ML":
        info = expected_information(cm, theta, stats)
        return (info_inverse(info * N, names, warnings) if info is not None else None), None, None
    from .robust import sandwich

    try:
        vcov, A_obs, B0 = sandwich(cm, theta, stats, Ys)
        if info_inverse(A_obs * N, names, warnings) is None:
            vcov = None
        return vcov, A_obs, B0
    except np.linalg.LinAlgError:
        warnings.append(
            "the observed information matrix is singular; robust standard errors "
            "could not be computed (the model may not be identified)"
        )
        return None, None, None


def _standard_errors(vcov, q, names, warnings):
    """Standard errors of the free parameters (NaN without a vcov, or for a negative variance)."""
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None)) if vcov is not None else np.full(q, np.nan)
    if vcov is not None and np.any(np.diag(vcov) < 0):
        bad = [names[k] for k in np.flatnonzero(np.diag(vcov) < 0)]
        warnings.append(f"negative sampling variances for {', '.join(bad)}; their standard errors are NaN")
        se_free = np.where(np.diag(vcov) < 0, np.nan, se_free)
    return se_free


def _parameter_table(spec, cm, core, theta, se_free, vcov, converged) -> pd.DataFrame:
    """The parameter table (lavaan's ``parameterEstimates``): every row with its Wald test and
    standardized values, then the defined (``:=``) parameters with delta-method standard errors."""
    est = row_values(cm, core, theta)
    std_lv, std_all = standardize(cm, core, theta, est)
    table = wald_table(core, est, se_free, converged, std_lv, std_all)
    if not spec.defined:
        return table
    q = cm.nfree
    dvals = defined_values(spec, core, est)
    dstd_lv = defined_values(spec, core, std_lv)
    dstd_all = defined_values(spec, core, std_all)
    dse = np.full(len(dvals), np.nan)
    if vcov is not None:
        J = np.zeros((len(dvals), q))
        for k in range(q):
            h = 1e-6 * max(1.0, abs(theta[k]))
            tp, tm = theta.copy(), theta.copy()
            tp[k] += h
            tm[k] -= h
            J[:, k] = (
                defined_values(spec, core, row_values(cm, core, tp))
                - defined_values(spec, core, row_values(cm, core, tm))
            ) / (2 * h)
        dse = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, vcov, J), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        dz = dvals / dse
    drows = pd.DataFrame(
        dict(
            lhs=[n for n, _ in spec.defined],
            op=":=",
            rhs=[ex.text for _, ex in spec.defined],
            label=[n for n, _ in spec.defined],
            group=0,
            free=0,
            estimate=dvals,
            se=dse,
            z=dz,
            p_value=2 * sps.norm.sf(np.abs(dz)),
            ci_lower=dvals - Z975 * dse,
            ci_upper=dvals + Z975 * dse,
            std_lv=dstd_lv,
            std_all=dstd_all,
        )
    )
    return pd.concat([table, drows], ignore_index=True)


def _admissibility(spec, cm, theta, sample, table, converged, warnings):
    """Heywood cases, correlations beyond 1 and non-positive-definite implied matrices.

    Returns the implied covariance matrices and means per group and the problems found (each
    with a warning appended to ``warnings``).
    """
    labels, stats = sample.labels, sample.stats
    problems = admissibility(cm, theta) if converged else []
    glab = lambda g: "" if spec.ngroups == 1 else f" in group {labels[g]!r}"
    for g, name, _what in problems:
        if name is not None:
            kind_v = "residual variance" if name in spec.ov_names or name in cm.lv_names else "variance"
            warnings.append(
                f"Heywood case: the estimated {kind_v} of {name!r}{glab(g)} is negative "
                f"({cm.matrices(theta, g)[1][cm.pos[name], cm.pos[name]]:.4g}); "
                "the solution is not admissible"
            )
        else:
            warnings.append(
                f"the model-implied covariance matrix of the latent variables{glab(g)} is not "
                "positive definite; the solution is not admissible"
            )
    offd = (table["op"] == "~~") & (table["lhs"] != table["rhs"]) & (table["std_all"].abs() > 1)
    for _, r in table[offd].iterrows():
        warnings.append(
            f"the estimated correlation between {r['lhs']!r} and {r['rhs']!r} exceeds 1 in "
            f"absolute value ({r['std_all']:.3f}); the solution is not admissible"
        )
        problems.append((None, None, "corr"))
    implied_cov, implied_mean = [], []
    for g in range(spec.ngroups):
        Sg, mg = cm.implied(theta, g)
        if not cm.meanstructure:
            mg = stats.mean[g]
        implied_cov.append(Sg)
        implied_mean.append(mg)
        if converged and chol_inv(Sg)[0] is None:
            warnings.append(f"the model-implied covariance matrix{glab(g)} is not positive definite")
            problems.append((g, None, "sigma"))
    return implied_cov, implied_mean, problems


def _r_squared(spec, cm, theta, labels) -> dict:
    """R² of every endogenous variable; with groups ``{group label: {variable: R²}}``."""
    r2_groups = []
    for g in range(spec.ngroups):
        Sigma, mu, tot, Tm, A, S, m, T = cm.implied(theta, g, full=True)
        endo = np.flatnonzero(np.any(A != 0, axis=1) | np.isin(np.arange(cm.nv), cm.blocks[g].A_r))
        d = {}
        names_all = cm.ov_names + cm.lv_names
        for i in endo:
            d[names_all[i]] = float(1 - S[i, i] / tot[i, i]) if tot[i, i] != 0 else np.nan
        r2_groups.append(d)
    return r2_groups[0] if spec.ngroups == 1 else {str(labels[g]): r2_groups[g] for g in range(spec.ngroups)}


def _mlm_vcov(cm, theta, stats, Ys, names, warnings, spec_ov_x=()):
    """Satorra-Bentler robust covariance matrix of the estimates (lavaan's MLM, se='robust.sem')."""
    from .mlm import satorra_bentler

    info = expected_information(cm, theta, stats)
    if info is None or info_inverse(info * stats.ntotal, names, warnings) is None:
        return None
    return satorra_bentler(cm, theta, stats, Ys, x_idx=[cm.ov_names.index(v) for v in spec_ov_x])[0]


def _fit_constrained(spec, core, cm, stats, opt, theta0, max_iter):
    """Refit under the general (``==``, ``<``, ``>``) constraints from the unconstrained solution.

    Returns the optimiser result, the :class:`validate.sem.constraints.ConstraintSet` and the
    indices of the active constraints.
    """
    from .constraints import ConstraintSet, constrained_ml

    cons = ConstraintSet(spec, core)
    start_theta = opt.theta if opt.converged else theta0
    res, active = constrained_ml(cm, stats, cons, start_theta, max_iter=max_iter)
    if not res.converged and opt.converged:  # try once more from the default start
        res2, active2 = constrained_ml(cm, stats, cons, theta0, max_iter=max_iter)
        if res2.converged:
            res, active = res2, active2
    return res, cons, active


def _constrained_a_inv(A_obs, cons, theta, active):
    from .constraints import projected_inverse

    try:
        return projected_inverse(A_obs, cons.jacobian(theta)[active])
    except np.linalg.LinAlgError:
        return None


def _constrained_vcov(cm, theta, stats, Ys, cons, active, estimator, names, warnings):
    """lavaan's constrained covariance matrix of the estimates (see :mod:`validate.sem.constraints`).

    Returns (vcov, A_obs, B0); A_obs and B0 only for MLR.
    """
    from .constraints import projected_inverse

    N = stats.ntotal
    J = cons.jacobian(theta)[active]
    info = expected_information(cm, theta, stats)
    if info is None:
        return None, None, None
    # identification: the information in the directions the constraints leave free
    Pinfo = _null_info(info, J)
    if info_inverse(Pinfo * N, [f"constrained direction {k + 1}" for k in range(len(Pinfo))], warnings) is None:
        return None, None, None
    try:
        if estimator == "ML":
            return projected_inverse(info, J) / N, None, None
        from .robust import sandwich

        _, A_obs, B0 = sandwich(cm, theta, stats, Ys)
        Ai = projected_inverse(A_obs, J)
        B = sum(w * b for w, b in zip(stats.weights, B0))
        return Ai @ B @ Ai / N, A_obs, B0
    except np.linalg.LinAlgError:
        warnings.append(
            "the information matrix restricted by the constraints is singular; standard "
            "errors could not be computed (the model may not be identified)"
        )
        return None, None, None


def _null_info(info, J):
    """The information in the directions the constraints leave free (for the identification check)."""
    from scipy import linalg

    P = linalg.null_space(J) if len(J) else np.eye(len(info))
    return P.T @ info @ P


_FIML_FIXED_X_GAPS = (
    "chisq_scaled",
    "pvalue_scaled",
    "chisq_scaling_factor",
    "baseline_chisq_scaled",
    "baseline_pvalue_scaled",
    "baseline_chisq_scaling_factor",
    "cfi_scaled",
    "tli_scaled",
    "rmsea_scaled",
    "rmsea_ci_lower_scaled",
    "rmsea_ci_upper_scaled",
    "rmsea_pvalue_scaled",
    "cfi_robust",
    "tli_robust",
    "rmsea_robust",
    "rmsea_ci_lower_robust",
    "rmsea_ci_upper_robust",
    "rmsea_pvalue_robust",
)


def _fiml_fixed_x_gaps(fit, notes):
    """FIML with fixed covariates: the scaled test and the FIML-corrected robust fit measures are
    not computed as lavaan computes them yet, so they are NaN with a note (never a wrong number)."""
    gone = [k for k in _FIML_FIXED_X_GAPS if k in fit]
    for k in gone:
        fit[k] = float("nan")
    if gone:
        notes.append(
            "with missing='fiml' and fixed covariates, the scaled test and the robust CFI/TLI/RMSEA "
            "are not computed yet (NaN); the estimates, standard errors and the ML test are"
        )


def _retry_if_doubtful(cm, core, stats, opt, max_iter):
    """Refit from other starting values when the first fit did not converge or has a negative variance.

    Returns the kept optimiser result and a :class:`validate.sem.retry.RetryReport` (None when the
    first fit was not doubtful).
    """
    from .retry import needs_retry, retry_ml

    if cm.nfree == 0 or not needs_retry(cm, opt):
        return opt, None
    return retry_ml(cm, core, stats, opt, max_iter=max_iter)


def _baseline(spec, cm, stats):
    """Independence model: chisq, df, and a compiled baseline model + theta (for MLR).

    As lavaan, the covariances among exogenous covariates stay in the baseline model, fixed at
    their sample values (``fixed_x=True``) or free (``fixed_x=False``, the same chi-square).
    """
    ov_x = list(spec.ov_x) + list(getattr(spec, "ov_x_random", []))
    xi = [cm.ov_names.index(v) for v in ov_x]
    nox = [i for i in range(cm.p) if i not in xi]
    chisq = 0.0
    for g in range(cm.ngroups):
        S = stats.cov[g]
        ld = np.sum(np.log(np.diag(S)[nox]))
        if xi:
            ld += np.linalg.slogdet(S[np.ix_(xi, xi)])[1]
        chisq += stats.nobs[g] * (ld - stats.logdet[g])
    nx = len(xi)
    df = cm.ngroups * (cm.p * (cm.p + 1) // 2 - len(nox) - nx * (nx + 1) // 2)
    return chisq, df


def _baseline_model(spec, cm, stats):
    """The independence (baseline) model compiled, with its parameters at the sample moments (for
    the robust tests of the baseline model)."""
    rows = []
    pid = 0
    theta = []
    for g in range(cm.ngroups):
        for i, v in enumerate(cm.ov_names):
            if v in spec.ov_x:
                continue
            pid += 1
            rows.append(dict(lhs=v, op="~~", rhs=v, group=g + 1, free=pid, ustart=np.nan, exo=0))
            theta.append(stats.cov[g][i, i])
        for a in range(len(spec.ov_x)):
            for b in range(a, len(spec.ov_x)):
                rows.append(
                    dict(lhs=spec.ov_x[a], op="~~", rhs=spec.ov_x[b], group=g + 1, free=0, ustart=np.nan, exo=1)
                )
        # fixed_x=False: the covariances among the covariates are free in the baseline too
        xr = [cm.ov_names.index(v) for v in getattr(spec, "ov_x_random", [])]
        for a in range(len(xr)):
            for b in range(a + 1, len(xr)):
                pid += 1
                rows.append(
                    dict(
                        lhs=cm.ov_names[xr[a]],
                        op="~~",
                        rhs=cm.ov_names[xr[b]],
                        group=g + 1,
                        free=pid,
                        ustart=np.nan,
                        exo=0,
                    )
                )
                theta.append(stats.cov[g][xr[a], xr[b]])
        if cm.meanstructure:
            for i, v in enumerate(cm.ov_names):
                if v in spec.ov_x:
                    rows.append(dict(lhs=v, op="~1", rhs="", group=g + 1, free=0, ustart=np.nan, exo=1))
                else:
                    pid += 1
                    rows.append(dict(lhs=v, op="~1", rhs="", group=g + 1, free=pid, ustart=np.nan, exo=0))
                    theta.append(stats.mean[g][i])
    bpt = pd.DataFrame(rows)
    bcm = CompiledModel(bpt, cm.ov_names, [], cm.ngroups, cm.meanstructure)
    bcm.set_exo(stats)
    return bcm, np.asarray(theta)


def _fit_measures(
    spec,
    cm,
    theta,
    stats,
    Ys,
    opt,
    converged,
    estimator,
    A_obs,
    B0,
    pats=None,
    h1_logl=None,
    notes=None,
    n_eq=0,
    a_inv=None,
):
    """Fit measures (lavaan's ``lav_fit_measures``); ``n_eq`` general equality constraints count as
    parameters fewer (lavaan's npar and df), and ``a_inv`` (their constrained inverse of ``A_obs``)
    replaces ``A_obs^-1`` in the Yuan-Bentler trace.

    In steps: the test and baseline chi-squares, the residual-based indices and log-likelihoods per
    group, GFI/AGFI, the incremental and RMSEA families, information criteria, then the robust
    (scaled) versions for MLR and MLM and the FIML-corrected ones.
    """
    N = stats.ntotal
    G = cm.ngroups
    q = cm.nfree - n_eq
    p = cm.p
    nx = len(spec.ov_x)
    ndat = G * (
        p * (p + 1) // 2 + (p if cm.meanstructure else 0) - nx * (nx + 1) // 2 - (nx if cm.meanstructure else 0)
    )
    df = ndat - q
    out: dict = {"npar": q}
    nan = float("nan")
    if not converged:
        return dict(npar=q, df=df, chisq=nan, pvalue=nan)
    chisq, bchisq, bdf, logl_fiml = _test_statistics(spec, cm, theta, stats, opt, pats, h1_logl)
    logl, logl_h1, srmr_g, srmr_nm_g, rmr_g = _residual_measures(cm, theta, stats)
    w = stats.weights
    out["gfi"] = float(np.sum(w * np.asarray(_gfi_groups(spec, cm, theta, stats, pats))))
    # nel: the modelled sample statistics, lavaan's length(unlist(WLS.obs)) (fixed-x ones included)
    nel = G * (p * (p + 1) // 2 + (p if (cm.meanstructure or pats is not None) else 0))
    out["agfi"] = float(1 - nel / df * (1 - out["gfi"])) if df > 0 else 1.0
    out.update(
        chisq=chisq,
        df=df,
        pvalue=float(sps.chi2.sf(chisq, df)) if df > 0 else nan,
        baseline_chisq=bchisq,
        baseline_df=bdf,
        baseline_pvalue=float(sps.chi2.sf(bchisq, bdf)) if bdf > 0 else nan,
        cfi=fm.cfi(chisq, df, bchisq, bdf),
        tli=fm.tli(chisq, df, bchisq, bdf),
        **fm.incremental_indices(chisq, df, bchisq, bdf),
    )
    out["pgfi"] = fm.pgfi(out["gfi"], nel, df)
    out["chisq_df"] = chisq / df if df > 0 else nan
    out["cfi"] = min(max(out["cfi"], 0.0), 1.0)
    out["rmsea"] = fm.rmsea(chisq, df, N, G)
    out["rmsea_ci_lower"], out["rmsea_ci_upper"] = fm.rmsea_ci(chisq, df, N, G)
    out["rmsea_pvalue"] = fm.rmsea_pvalue(chisq, df, N, G)
    out["srmr"] = float(np.sum(w * np.asarray(srmr_g)))
    out["srmr_nomean"] = float(np.sum(w * np.asarray(srmr_nm_g)))
    out["rmr"] = float(np.sum(w * np.asarray([r[0] for r in rmr_g])))
    out["rmr_nomean"] = float(np.sum(w * np.asarray([r[1] for r in rmr_g])))
    out["ecvi"] = fm.ecvi(chisq, q, N)
    if pats is not None:
        logl, logl_h1 = logl_fiml, h1_logl
    if spec.ov_x:
        # fixed.x: lavaan reports the likelihood conditional on the covariates, less their
        # complete-data log-likelihood at their fixed moments (with FIML: the EM estimates, and
        # every case counted, also under missing='ml.x' where covariates can be missing)
        xi = [cm.ov_names.index(v) for v in spec.ov_x]
        for g in range(G):
            lx = (
                -stats.nobs[g]
                / 2
                * (len(xi) * np.log(2 * np.pi) + np.linalg.slogdet(stats.cov[g][np.ix_(xi, xi)])[1] + len(xi))
            )
            logl -= lx
            logl_h1 -= lx
    out["logl"] = float(logl)
    out["unrestricted_logl"] = float(logl_h1)
    out["aic"] = float(-2 * logl + 2 * q)
    out["bic"] = float(-2 * logl + np.log(N) * q)
    out["ntotal"] = N
    if pats is None and df > 0:
        out.update(
            _robust_test_measures(spec, cm, theta, stats, Ys, estimator, A_obs, B0, a_inv, chisq, df, bchisq, bdf)
        )
    if pats is not None and df > 0:
        out.update(
            _fiml_robust_measures(
                cm,
                theta,
                pats,
                stats,
                estimator,
                A_obs,
                B0,
                chisq,
                df,
                bchisq,
                bdf,
                N,
                G,
                notes if notes is not None else [],
            )
        )
    return out


def _test_statistics(spec, cm, theta, stats, opt, pats, h1_logl):
    """The model's chi-square, the baseline model's chi-square and df, and the FIML log-likelihood
    (None for complete data): ``N F`` and the independence model's closed form, or with FIML twice
    the log-likelihood differences to the saturated (EM) model."""
    chisq = stats.ntotal * 2 * opt.fmin
    bchisq, bdf = _baseline(spec, cm, stats)
    if pats is None:
        return chisq, bchisq, bdf, None
    from .fiml import fiml_loglik

    logl_fiml = fiml_loglik(cm, theta, pats)
    chisq = 2 * (h1_logl - logl_fiml)
    # independence model: each variable's available-case mean and variance
    logl_b = 0.0
    # fixed covariates (complete under missing='ml') stay joint in the baseline; with missing
    # covariates (missing='ml.x') lavaan's baseline treats them as every other variable
    xi = [cm.ov_names.index(v) for v in spec.ov_x]
    if xi and any(np.isnan(pat.Y[:, xi]).any() for pat in pats):
        xi = []
    for pat in pats:
        for j in range(cm.p):
            if j in xi:
                continue
            col = pat.Y[:, j]
            col = col[~np.isnan(col)]
            logl_b += -len(col) / 2 * (np.log(2 * np.pi) + np.log(np.var(col)) + 1)
        if xi:
            X = pat.Y[:, xi]
            Sx = np.atleast_2d(np.cov(X, rowvar=False, bias=True))
            logl_b += -len(X) / 2 * (len(xi) * np.log(2 * np.pi) + np.linalg.slogdet(Sx)[1] + len(xi))
    return chisq, 2 * (h1_logl - logl_b), bdf, logl_fiml


def _residual_measures(cm, theta, stats):
    """Per group: the normal log-likelihoods of the model and the saturated model (summed), and
    SRMR (with and without means) and RMR, Bentler's definitions as lavaan computes them."""
    p = cm.p
    logl = logl_h1 = 0.0
    srmr_g, srmr_nm_g, rmr_g = [], [], []
    for g in range(cm.ngroups):
        Sigma, mu = cm.implied(theta, g)
        if not cm.meanstructure:
            mu = stats.mean[g]
        Vi, logdet = chol_inv(Sigma)
        d = stats.mean[g] - mu
        ng = stats.nobs[g]
        logl += -ng / 2 * (p * np.log(2 * np.pi) + logdet + np.sum(stats.cov[g] * Vi) + d @ Vi @ d)
        logl_h1 += -ng / 2 * (p * np.log(2 * np.pi) + stats.logdet[g] + p)
        s1, s2 = fm.srmr_bentler(stats.cov[g], stats.mean[g], Sigma, mu, cm.meanstructure)
        srmr_g.append(s1)
        srmr_nm_g.append(s2)
        rmr_g.append(fm.rmr(stats.cov[g], stats.mean[g], Sigma, mu, cm.meanstructure))
    return logl, logl_h1, srmr_g, srmr_nm_g, rmr_g


def _gfi_groups(spec, cm, theta, stats, pats):
    """GFI per group: the residuals weighted by lavaan's WLS.V, the h1 expected information at the
    implied moments (pattern by pattern under FIML), the fixed-x block left out (``lav_fit_gfi``)."""
    gfi_g = []
    x_idx = [cm.ov_names.index(v) for v in spec.ov_x] if spec.ov_x else []
    for g in range(cm.ngroups):
        Sigma, mu = cm.implied(theta, g)
        S_g, m_g = stats.cov[g], stats.mean[g]
        if pats is None and not x_idx:
            # complete data, no fixed covariates: e' W e with lavaan's vech weight W is tr((Si E)^2) / 2
            # for the symmetric residual matrix E, so W itself is never formed
            Si = np.linalg.inv(Sigma)  # lavaan's ML weight matrix uses the implied moments
            SiE, SiS = Si @ (S_g - Sigma), Si @ S_g
            t1, t2 = 0.5 * np.vdot(SiE, SiE.T), 0.5 * np.vdot(SiS, SiS.T)
            if cm.meanstructure:
                em = m_g - mu
                t1 += em @ Si @ em
                t2 += m_g @ Si @ m_g
            gfi_g.append(1 - t1 / t2)
            continue
        if pats is not None:
            W = pats[g].expected_information(Sigma, cm.rr, cm.cc)
            with_means = True
            # lavaan's WLS.obs under missing = "ml": pairwise covariances rescaled by (n-1)/n and
            # available-case means, not the EM estimates
            Yg = pd.DataFrame(pats[g].Y)
            n_g = len(Yg)
            S_g = Yg.cov().to_numpy() * (n_g - 1) / n_g
            m_g = Yg.mean().to_numpy()
        else:
            W = fm.normal_weight(np.linalg.inv(Sigma), cm.rr, cm.cc, cm.meanstructure)
            with_means = cm.meanstructure
            if not cm.meanstructure:
                mu = stats.mean[g]
        gfi_g.append(fm.gfi_group(S_g, m_g, Sigma, mu, W, cm.rr, cm.cc, with_means, x_idx))
    return gfi_g


def _robust_test_measures(spec, cm, theta, stats, Ys, estimator, A_obs, B0, a_inv, chisq, df, bchisq, bdf):
    """Complete data: the scaled test and the scaled and robust CFI/TLI/RMSEA - Yuan-Bentler for MLR
    (from the sandwich pieces), Satorra-Bentler for MLM; empty for ML."""
    N, G = stats.ntotal, cm.ngroups
    out = {}
    if estimator == "MLR" and A_obs is not None:
        from .robust import h1_trace, sandwich, yb_trace

        tr_h1 = h1_trace(cm, Ys, stats)
        tr_h0 = (
            yb_trace(A_obs, B0, stats)
            if a_inv is None
            else float(sum(w * np.sum(b * a_inv.T) for w, b in zip(stats.weights, B0)))
        )
        c = (tr_h1 - tr_h0) / df
        bcm, btheta = _baseline_model(spec, cm, stats)
        _, Ab, B0b = sandwich(bcm, btheta, stats, Ys)
        cb = (tr_h1 - yb_trace(Ab, B0b, stats)) / bdf
    elif estimator == "MLM":
        from .mlm import satorra_bentler

        xi = [cm.ov_names.index(v) for v in spec.ov_x]
        c = satorra_bentler(cm, theta, stats, Ys, x_idx=xi)[1] / df
        bcm, btheta = _baseline_model(spec, cm, stats)
        cb = satorra_bentler(bcm, btheta, stats, Ys, x_idx=xi)[1] / bdf
    else:
        return out
    out.update(_scaled_measures(chisq, df, bchisq, bdf, c, cb, N, G))
    out.update(
        cfi_robust=min(max(fm.cfi(chisq, df, bchisq, bdf, c, cb), 0.0), 1.0),
        tli_robust=fm.tli(chisq, df, bchisq, bdf, c, cb),
        **fm.rmsea_robust_measures(chisq, df, N, G, c_hat3=c),
    )
    return out


def _scaled_measures(chisq, df, bchisq, bdf, c, cb, N, G):
    """Scaled test, baseline and CFI/TLI/RMSEA from the scaling factors ``c`` (model), ``cb`` (baseline)."""
    ts, tbs = chisq / c, bchisq / cb
    out = dict(
        chisq_scaled=ts,
        df_scaled=df,
        pvalue_scaled=float(sps.chi2.sf(ts, df)),
        chisq_scaling_factor=c,
        baseline_chisq_scaled=tbs,
        baseline_df_scaled=bdf,
        baseline_pvalue_scaled=float(sps.chi2.sf(tbs, bdf)),
        baseline_chisq_scaling_factor=cb,
        cfi_scaled=min(max(fm.cfi(ts, df, tbs, bdf), 0.0), 1.0),
        tli_scaled=fm.tli(ts, df, tbs, bdf),
        **fm.rmsea_scaled_measures(chisq, df, N, G, scaling_factor=c),
    )
    return out


def _fiml_robust_measures(cm, theta, pats, stats, estimator, A_obs, B0, chisq, df, bchisq, bdf, N, G, notes):
    """FIML: the Yuan-Bentler scaled test (MLR) and the FIML-corrected robust CFI/TLI/RMSEA (ML, MLR).

    What cannot be computed (a singular information matrix) is NaN with a line in ``notes``.
    """
    from .robust_fiml import fiml_corrected, fiml_yb_factors, h1_pieces

    nan = float("nan")
    out = dict(cfi_robust=nan, tli_robust=nan, **fm.rmsea_robust_measures(nan, df, N, G, c_hat3=nan))
    scaled_keys = (
        "chisq_scaled",
        "pvalue_scaled",
        "chisq_scaling_factor",
        "baseline_chisq_scaled",
        "cfi_scaled",
        "tli_scaled",
        *fm.rmsea_scaled_measures(nan, df, N, G, scaling_factor=nan),
    )
    if estimator == "MLR":
        out.update(dict.fromkeys(scaled_keys, nan))
    try:
        h1 = h1_pieces(cm, pats, stats.cov, stats.mean)
    except np.linalg.LinAlgError:
        notes.append(
            "the information matrix of the saturated (h1) FIML model is singular, so the "
            "robust CFI/TLI/RMSEA"
            + (" and the scaled test" if estimator == "MLR" else "")
            + " could not be computed (NaN)"
        )
        return out
    if estimator == "MLR":
        try:
            if A_obs is None or B0 is None:
                raise np.linalg.LinAlgError
            tr, trb = fiml_yb_factors(h1, B0, A_obs, pats)
            out.update(_scaled_measures(chisq, df, bchisq, bdf, tr / df, trb / bdf, N, G))
        except np.linalg.LinAlgError:
            notes.append(
                "the observed information matrix is singular, so the scaled (Yuan-Bentler) "
                "test and the scaled CFI/TLI/RMSEA could not be computed (NaN)"
            )
    try:
        XX3, c3, XX3n, c3n = fiml_corrected(
            cm, theta, pats, h1, stats.cov, stats.mean, df, bdf, "V3" if estimator == "MLR" else "V6"
        )
    except np.linalg.LinAlgError:
        notes.append(
            "the information matrix of the model is singular, so the FIML-corrected robust "
            "CFI/TLI/RMSEA could not be computed (NaN)"
        )
        return out
    out.update(
        cfi_robust=min(max(fm.cfi(XX3, df, XX3n, bdf, c3, c3n), 0.0), 1.0),
        tli_robust=fm.tli(XX3, df, XX3n, bdf, c3, c3n),
        **fm.rmsea_robust_measures(XX3, df, N, G, c_hat3=c3),
    )
    return out
