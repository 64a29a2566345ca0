"""``fit_sem``: fit a lavaan-syntax model to a data frame and report like lavaan.

Notes
-----
Checked against lavaan 0.6.14 (``cfa()``/``sem()`` with default options, ``missing = "ml"``
with ``estimator = "ML"`` or ``"MLR"``,
``estimator = "MLR"`` and ``group``/``group.equal``) using the fixtures in
``tests/fixtures/lavaan``; see tests/test_sem_*.py for the tolerances.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from validate.blas import single_threaded_blas

from . import fitmeasures as fm
from .errors import ModelError, UnknownVariableError
from .estimate import (
    admissibility,
    chol_inv,
    expected_information,
    optimize_ml,
    start_values,
)
from .model import CompiledModel, SampleStats
from .syntax import ModelSpec, parse_model_cached

__all__ = ["SemResult", "fit_sem"]

_Z975 = sps.norm.ppf(0.975)


# ----------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------
def prepare_data(spec: ModelSpec, data, group, missing):
    if not isinstance(data, pd.DataFrame):
        raise ModelError("data must be a pandas DataFrame")
    ov = spec.ov_names
    absent = [v for v in ov if v not in data.columns]
    if absent:
        v = absent[0]
        raise UnknownVariableError(
            f"variable {v!r} is neither a latent variable (left of =~) nor a column of the data"
            + (f"; also missing: {absent[1:]}" if len(absent) > 1 else ""),
            spec.var_lines.get(v), v)
    if group is not None and group not in data.columns:
        raise ModelError(f"group column {group!r} is not in the data")
    cols = list(ov) + ([group] if group is not None else [])
    df = data[cols].copy()
    bad = []
    for v in ov:
        if not pd.api.types.is_numeric_dtype(df[v]):
            conv = pd.to_numeric(df[v], errors="coerce")
            if conv.notna().sum() < df[v].notna().sum():
                bad.append(v)
            df[v] = conv
    if bad:
        raise ModelError(f"non-numeric values in column(s) {bad}; recode them as numbers first")
    if group is not None:
        df = df[df[group].notna()]
    n_before = len(df)
    if missing == "listwise":
        df = df.dropna(subset=ov)
    else:  # FIML: only cases with every variable missing are dropped (as lavaan)
        df = df[df[ov].notna().any(axis=1)]
    if group is not None:
        labels = list(pd.unique(df[group]))
    else:
        labels = [None]
    Ys = []
    for lab in labels:
        sub = df if lab is None else df[df[group] == lab]
        Ys.append(sub[ov].to_numpy(dtype=float))
    return Ys, labels, n_before - len(df)


def wald_table(core: pd.DataFrame, est, se_free, converged: bool, std_lv, std_all) -> pd.DataFrame:
    """The parameter table: estimates with SE, z, two-sided p and the 95% Wald interval.

    Fixed parameters get SE 0, z NaN and the estimate as both bounds, as lavaan prints them;
    every SE is NaN when the optimiser did not converge.
    """
    free = core["free"].to_numpy().astype(int)
    q = len(se_free) if se_free is not None else 0
    se = np.where(free > 0, se_free[np.maximum(free - 1, 0)] if q else np.nan, 0.0)
    if not converged:
        se = np.where(free > 0, np.nan, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(free > 0, est / se, np.nan)
    pval = 2 * sps.norm.sf(np.abs(z))
    return pd.DataFrame(dict(lhs=core["lhs"], op=core["op"], rhs=core["rhs"], label=core["label"],
                             group=core["group"], free=free, estimate=est, se=se, z=z, p_value=pval,
                             ci_lower=np.where(free > 0, est - _Z975 * se, est),
                             ci_upper=np.where(free > 0, est + _Z975 * se, est),
                             std_lv=std_lv, std_all=std_all))


def _row_keys(pt: pd.DataFrame):
    return zip(pt["lhs"].to_numpy(), pt["op"].to_numpy(), pt["rhs"].to_numpy(),
               pt["group"].to_numpy().astype(int).tolist())


def _start_estimates(prev: pd.DataFrame) -> dict:
    est = prev["estimate"].to_numpy(dtype=float)
    return {k: v for k, v in zip(_row_keys(prev), est.tolist()) if np.isfinite(v)}


def start_from(theta0, core, prev: pd.DataFrame):
    """Starting values taken from a previous fit's parameter table, matched by lhs, op, rhs and group."""
    theta = np.array(theta0, dtype=float)
    est = _start_estimates(prev)
    for key, k in zip(_row_keys(core), core["free"].to_numpy().astype(int).tolist()):
        if k > 0:
            v = est.get(key)
            if v is not None:
                theta[k - 1] = v
    return theta


def check_data(spec, Ys, labels, nfree):
    p = len(spec.ov_names)
    ntotal = sum(len(Y) for Y in Ys)
    for Y, lab in zip(Ys, labels):
        where = "" if lab is None else f" in group {lab!r}"
        if len(Y) < 2:
            raise ModelError(f"too few rows{where}: {len(Y)} complete case(s)")
        empty = [spec.ov_names[i] for i in np.flatnonzero(np.isnan(Y).all(axis=0))]
        if empty:  # possible with FIML; nanstd would warn and call the column constant
            raise ModelError(f"no observed values{where} in column(s) {empty}: every case is missing")
        sd = np.nanstd(Y, axis=0)
        zero = [spec.ov_names[i] for i in np.flatnonzero(~(sd > 1e-12 * np.maximum(1.0, np.abs(np.nanmean(Y, axis=0)))))]
        if zero:
            raise ModelError(f"zero variance{where} in column(s) {zero}: every case has the same value")
        if len(Y) < p:
            raise ModelError(f"too few rows{where}: {len(Y)} complete cases for {p} observed variables "
                             f"({', '.join(spec.ov_names)})")
    if ntotal <= nfree:
        return [f"only {ntotal} cases for {nfree} free parameters; estimates and standard errors of a model "
                "this size are unstable at this sample size (a common rule asks for 5-10 cases per parameter)"]
    return []


def _sample_stats(spec, Ys, labels):
    covs, means = [], []
    for Y, lab in zip(Ys, labels):
        m = Y.mean(axis=0)
        E = Y - m
        S = E.T @ E / len(Y)
        ev, evec = np.linalg.eigh(S / np.sqrt(np.outer(np.diag(S), np.diag(S))))
        if ev[0] < 1e-10:
            v = evec[:, 0]
            involved = [spec.ov_names[i] for i in np.flatnonzero(np.abs(v) > 0.1)]
            where = "" if lab is None else f" in group {lab!r}"
            raise ModelError(f"the sample covariance matrix{where} is not positive definite: "
                             f"column(s) {involved} are (nearly) linearly dependent")
        covs.append(S)
        means.append(m)
    return SampleStats(covs, means, [len(Y) for Y in Ys])


# ----------------------------------------------------------------------------
# result
# ----------------------------------------------------------------------------
@dataclass
class SemResult:
    """Result of :func:`fit_sem`.

    Attributes
    ----------
    converged, admissible : bool
    warnings : list of str
    params : pandas.DataFrame
        lhs, op, rhs, label, group, free, estimate, se, z, p_value, ci_lower,
        ci_upper, std_lv, std_all (fixed parameters: se 0, z/p NaN, as lavaan).
    fit : dict
        Fit measures with lavaan's names (dots replaced by underscores).
    r2 : dict
        ``{var: R2}``; with groups ``{group label: {var: R2}}``.
    n : int
    nobs_per_group : list of int
    group_labels : list
    implied : dict
        ``cov``/``mean`` (lists per group) and ``ov_names``.
    sample_cov, sample_mean : list of ndarray
    vcov : ndarray
        Covariance matrix of the free parameters.
    notes : list of str
        Remarks on statistics that do not exist for the estimator (e.g. no AIC/BIC for WLSMV).
    estimates_only : bool
        Fitted with ``estimates_only=True``: no standard errors, vcov or fit measures.
    missing : {"listwise", "fiml"}
    ordinal : validate.sem.ordinal.OrdinalMoments or None
        WLSMV only: thresholds, polychoric correlations, NACOV and weights the model was fitted to
        (``sample_cov`` then holds the polychoric correlations).
    """

    spec: ModelSpec
    estimator: str
    converged: bool
    admissible: bool
    warnings: list
    params: pd.DataFrame
    fit: dict
    r2: dict
    n: int
    nobs_per_group: list
    group_labels: list
    implied: dict
    sample_cov: list
    sample_mean: list
    theta: np.ndarray
    vcov: np.ndarray | None
    iterations: int
    _cm: CompiledModel = field(repr=False, default=None)
    _stats: SampleStats = field(repr=False, default=None)
    _data: list = field(repr=False, default=None)
    notes: list = field(default_factory=list)
    ordinal: object = field(repr=False, default=None)
    estimates_only: bool = False
    missing: str = "listwise"

    # ------------------------------------------------------------------
    def modindices(self, top: int | None = None, minimum: float = 0.0) -> pd.DataFrame:
        """Modification indices for fixed-to-zero parameters, sorted by ``mi``.

        Columns: lhs, op, rhs, group, mi, epc, sepc_all (and sepc_lv).
        """
        if self.estimator == "WLSMV":
            raise ModelError("modification indices are not implemented for WLSMV yet")
        if self.estimates_only:
            raise ModelError("modification indices need a full fit; this result was fitted with "
                             "estimates_only=True")
        from .modindices import modification_indices
        out = modification_indices(self)
        out = out[out["mi"] >= minimum].sort_values("mi", ascending=False, kind="mergesort")
        out = out.reset_index(drop=True)
        return out.head(top) if top is not None else out

    def summary(self) -> pd.DataFrame:
        """The parameter table with rounded numbers, like lavaan's summary()."""
        cols = ["lhs", "op", "rhs", "label", "group", "estimate", "se", "z", "p_value",
                "ci_lower", "ci_upper", "std_lv", "std_all"]
        if self.spec.ngroups == 1:
            cols.remove("group")
        return self.params[cols].round(3)

    def to_dict(self) -> dict:
        """JSON-able dictionary (NaN -> None)."""
        def clean(x):
            if isinstance(x, dict):
                return {str(k): clean(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [clean(v) for v in x]
            if isinstance(x, np.ndarray):
                return clean(x.tolist())
            if isinstance(x, (np.floating, float)):
                return None if not math.isfinite(float(x)) else float(x)
            if isinstance(x, (np.integer,)):
                return int(x)
            if isinstance(x, (np.bool_,)):
                return bool(x)
            return x
        params = self.params.drop(columns=["free"]).to_dict(orient="records")
        return clean(dict(estimator=self.estimator, converged=self.converged, admissible=self.admissible,
                          warnings=list(self.warnings), notes=list(self.notes), n=self.n,
                          nobs_per_group=self.nobs_per_group,
                          group_labels=[None if g is None else str(g) for g in self.group_labels],
                          parameters=params, fit=self.fit, r2=self.r2))


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def _row_values(cm: CompiledModel, pt, theta):
    """Estimate for every (non-:=) row read from the filled matrices."""
    est = np.full(len(pt), np.nan)
    mats = [cm.matrices(theta, g) for g in range(cm.ngroups)]
    for i in range(len(pt)):
        k = cm.row_kind[i]
        if k == 0:
            continue
        A, S, m = mats[cm.row_group[i]]
        if k == 1:
            est[i] = A[cm.row_r[i], cm.row_c[i]]
        elif k == 2:
            est[i] = S[cm.row_r[i], cm.row_c[i]]
        else:
            est[i] = m[cm.row_r[i]]
    return est


def standardize(cm: CompiledModel, pt, theta, est):
    """std.lv and std.all for each row (lavaan's definitions)."""
    n = len(pt)
    std_lv = np.full(n, np.nan)
    std_all = np.full(n, np.nan)
    lvset = set(cm.lv_names)
    ops = pt["op"].to_numpy()
    lhs = pt["lhs"].to_numpy()
    rhs = pt["rhs"].to_numpy()
    info = []
    for g in range(cm.ngroups):
        Sigma, mu, tot, Tm, A, S, m, T = cm.implied(theta, g, full=True)
        info.append((np.diag(tot), np.diag(S)))
    with np.errstate(invalid="ignore", divide="ignore"):
        for i in range(n):
            k = cm.row_kind[i]
            if k == 0:
                continue
            var_tot, var_par = info[cm.row_group[i]]
            e = est[i]
            if ops[i] == "=~":
                f, x = cm.pos[lhs[i]], cm.pos[rhs[i]]
                sf, sx = np.sqrt(var_tot[f]), np.sqrt(var_tot[x])
                std_lv[i] = e * sf / (sx if rhs[i] in lvset else 1.0)
                std_all[i] = e * sf / sx
            elif ops[i] == "~":
                y, x = cm.pos[lhs[i]], cm.pos[rhs[i]]
                sy, sx = np.sqrt(var_tot[y]), np.sqrt(var_tot[x])
                std_lv[i] = e * (sx if rhs[i] in lvset else 1.0) / (sy if lhs[i] in lvset else 1.0)
                std_all[i] = e * sx / sy
            elif ops[i] == "~~":
                a, b = cm.pos[lhs[i]], cm.pos[rhs[i]]
                if a == b:
                    std_all[i] = e / var_tot[a]
                    std_lv[i] = e / var_tot[a] if lhs[i] in lvset else e
                else:
                    den = np.sqrt(var_par[a] * var_par[b])
                    std_all[i] = e / den
                    both_lv = lhs[i] in lvset and rhs[i] in lvset
                    if both_lv:
                        std_lv[i] = e / den
                    elif lhs[i] in lvset or rhs[i] in lvset:
                        lv_i = a if lhs[i] in lvset else b
                        std_lv[i] = e / np.sqrt(var_par[lv_i])
                    else:
                        std_lv[i] = e
            elif ops[i] == "~1":
                a = cm.pos[lhs[i]]
                sd = np.sqrt(var_tot[a])
                std_all[i] = e / sd
                std_lv[i] = e / sd if lhs[i] in lvset else e
    return std_lv, std_all


def _label_map(pt, values):
    """label -> value for user labels and plabels (first occurrence)."""
    out = {}
    labels = pt["label"].to_numpy()
    plabels = pt["plabel"].to_numpy()
    for i in range(len(pt)):
        if pt["op"].iat[i] == ":=":
            continue
        if labels[i] and labels[i] not in out:
            out[labels[i]] = values[i]
        if plabels[i] and plabels[i] not in out:
            out[plabels[i]] = values[i]
    return out


def defined_values(spec, pt, values):
    vals = _label_map(pt, values)
    res = []
    for name, ex in spec.defined:
        try:
            v = ex.evaluate(vals)
        except (ZeroDivisionError, OverflowError, ValueError):
            v = float("nan")
        vals[name] = v
        res.append(v)
    return np.asarray(res, dtype=float)


def info_inverse(info, names, warnings):
    """Invert an information matrix, with a warning (and NaN) when singular."""
    q = len(info)
    if q == 0:
        return np.zeros((0, 0))
    d = np.sqrt(np.abs(np.diag(info)))
    d[d == 0] = 1.0
    R = info / np.outer(d, d)
    ev, evec = np.linalg.eigh(R)
    if ev[0] < 1e-10 * max(1.0, ev[-1]):
        v = evec[:, 0]
        involved = [names[k] for k in np.flatnonzero(np.abs(v) > 0.1)]
        warnings.append("the information matrix is singular (smallest eigenvalue "
                        f"{ev[0]:.2e}): the model may not be identified; standard errors could not "
                        f"be computed. Parameters involved: {', '.join(involved)}")
        return None
    return np.linalg.inv(info)


def param_names(pt, q):
    names = [None] * q
    free = pt["free"].to_numpy().astype(int)
    grp = pt["group"].to_numpy().astype(int)
    lhs, op, rhs = pt["lhs"].to_numpy(), pt["op"].to_numpy(), pt["rhs"].to_numpy()
    multi = len(grp) and grp.max() > 1
    for i in range(len(pt)):
        k = free[i] - 1
        if k >= 0 and names[k] is None:
            suffix = f" (group {grp[i]})" if multi else ""
            names[k] = f"{lhs[i]} {op[i]} {rhs[i]}".strip() + suffix
    return names


def _start_covers(core, prev: pd.DataFrame) -> bool:
    """Does ``prev`` give a finite value for every free parameter of ``core``?"""
    est = _start_estimates(prev)
    free = core["free"].to_numpy().astype(int)
    q = int(free.max()) if len(free) else 0
    got = np.zeros(q + 1, dtype=bool)
    for key, k in zip(_row_keys(core), free.tolist()):
        if k > 0 and key in est:
            got[k] = True
    return bool(got[1:].all())


def _available_case_stats(pats):
    """Cheap moments for starting values: available-case means, pairwise covariances."""
    covs, means = [], []
    for pat in pats:
        Y = pat.Y
        m = np.nanmean(Y, axis=0)
        M = (~np.isnan(Y)).astype(float)
        E = np.where(M > 0, Y - m, 0.0)
        cnt = np.maximum(M.T @ M, 1.0)
        covs.append((E.T @ E) / cnt)
        means.append(m)
    return SampleStats(covs, means, [pat.n for pat in pats])


# ----------------------------------------------------------------------------
# main entry point
# ----------------------------------------------------------------------------
def fit_sem(model: str, data: pd.DataFrame, *, estimator: str = "ML", group: str | None = None,
            group_equal: Sequence[str] = (), missing: str = "listwise", kind: str = "sem",
            auto_cov_y: bool = True, fixed_x: bool = True, meanstructure: bool | None = None,
            max_iter: int = 500, ordered: bool | Sequence[str] | None = None,
            start: SemResult | None = None, estimates_only: bool = False) -> SemResult:
    """Fit a structural-equation model by maximum likelihood, like lavaan's ``sem()``/``cfa()``.

    Parameters
    ----------
    model : str
        lavaan model syntax (see :mod:`validate.sem.syntax`).
    data : pandas.DataFrame
    estimator : {"ML", "MLR", "WLSMV"}
        ``"MLR"``: Huber-White SEs and Yuan-Bentler scaled test (lavaan's MLR); with
        ``missing="fiml"`` the sandwich and the test use the missing-data likelihood (observed
        information, casewise scores, the saturated model's EM estimates) and the robust
        CFI/TLI/RMSEA are lavaan's FIML-corrected ones (see :mod:`validate.sem.robust_fiml`).
        ``"WLSMV"``: ordered (Likert) items, DWLS on polychoric correlations with robust SEs and
        the scaled-shifted test (lavaan's WLSMV; one group, listwise deletion; see
        :mod:`validate.sem.wlsmv`).
    group : str, optional
        Column defining groups (in order of first appearance, as lavaan).
    group_equal : sequence of str
        e.g. ``("loadings", "intercepts")``.
    missing : {"listwise", "fiml"}
        ``"fiml"`` (lavaan's ``missing = "ml"``): full-information ML; ``fit`` then also has
        the FIML-corrected ``cfi_robust``, ``tli_robust`` and ``rmsea_robust``.
    kind : {"sem", "cfa"}
    auto_cov_y, fixed_x, meanstructure
        lavaan's options of the same name.
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

    Returns
    -------
    SemResult

    Raises
    ------
    ModelSyntaxError, UnknownVariableError, ModelError
    """
    with single_threaded_blas():
        return _fit_sem(model, data, estimator=estimator, group=group, group_equal=group_equal,
                        missing=missing, kind=kind, auto_cov_y=auto_cov_y, fixed_x=fixed_x,
                        meanstructure=meanstructure, max_iter=max_iter, ordered=ordered, start=start,
                        estimates_only=bool(estimates_only))


ESTIMATES_ONLY_NOTE = ("estimates only (estimates_only=True): standard errors, test statistics and fit "
                       "measures were not computed")


def _fit_sem(model, data, *, estimator, group, group_equal, missing, kind, auto_cov_y, fixed_x,
             meanstructure, max_iter, ordered=None, start=None, estimates_only=False):
    estimator = str(estimator).upper()
    if estimator not in ("ML", "MLR", "WLSMV"):
        raise ModelError(f"estimator {estimator!r} is not supported (use 'ML', 'MLR' or 'WLSMV')")
    if estimator == "WLSMV":
        from .wlsmv import fit_wlsmv
        return fit_wlsmv(model, data, ordered=ordered, group=group, missing=missing, kind=kind,
                         auto_cov_y=auto_cov_y, fixed_x=fixed_x, max_iter=max_iter, start=start,
                         estimates_only=estimates_only)
    if ordered is True or (ordered is not None and ordered is not False and len(ordered) > 0):
        raise ModelError("ordered items need estimator='WLSMV' (lavaan switches to it automatically; "
                         f"here estimator={estimator!r} was asked for)")
    if missing not in ("listwise", "fiml", "ml"):
        raise ModelError(f"missing={missing!r} is not supported (use 'listwise' or 'fiml')")
    if missing == "ml":
        missing = "fiml"
    ngroups = 1
    if group is not None:
        if not isinstance(data, pd.DataFrame) or group not in data.columns:
            raise ModelError(f"group column {group!r} is not in the data")
        ngroups = int(data[group].dropna().nunique())
        if ngroups < 1:
            raise ModelError(f"group column {group!r} has no values")
    spec = parse_model_cached(model, ngroups=ngroups, group_equal=group_equal, kind=kind,
                       auto_cov_y=auto_cov_y, meanstructure=meanstructure, fixed_x=fixed_x,
                       missing=missing)
    Ys, labels, n_dropped = prepare_data(spec, data, group, missing)
    size_warnings = check_data(spec, Ys, labels, spec.nfree)
    pats = None
    h1_logl = None
    pt = spec.partable
    core = pt[pt["op"] != ":="].reset_index(drop=True)
    # a start that gives every free parameter: no preliminary fit (and, for estimates only,
    # no saturated EM fit) is needed
    covered = start is not None and _start_covers(core, start.params)
    if missing == "fiml":
        from .fiml import Patterns, em_h1
        if spec.ov_x:
            raise ModelError("FIML with fixed exogenous covariates is not implemented yet "
                             f"({', '.join(spec.ov_x)}); use fixed_x=False")
        pats = [Patterns(Y) for Y in Ys]
        if estimates_only and covered:
            stats = _available_case_stats(pats)
        else:
            h1 = [em_h1(pt) for pt in pats]
            stats = SampleStats([h[0] for h in h1], [h[1] for h in h1], [pt.n for pt in pats])
            h1_logl = float(sum(h[2] for h in h1))
    else:
        stats = _sample_stats(spec, Ys, labels)
    cm = CompiledModel(core, spec.ov_names, spec.lv_names, spec.ngroups, spec.meanstructure)
    cm.set_exo(stats)
    warnings: list[str] = list(size_warnings)
    if n_dropped:
        warnings.append(f"{n_dropped} case(s) with missing values were removed (listwise deletion)")

    theta0 = start_values(cm, core, stats)
    if start is not None:
        theta0 = start_from(theta0, core, start.params)
    if pats is None:
        opt = optimize_ml(cm, stats, theta0, max_iter=max_iter)
    else:
        from .estimate import OptResult
        from .fiml import fiml_fit
        if not covered:
            # start from the ML solution on the EM moments (close to the FIML one)
            opt0 = optimize_ml(cm, stats, theta0, max_iter=max_iter)
            if opt0.converged:
                theta0 = opt0.theta
        th, Fm, conv, its = fiml_fit(cm, pats, theta0, max_iter=max_iter)
        opt = OptResult(th, Fm / 2, conv, its, "converged" if conv else "FIML optimiser did not converge", 0.0)
    theta = opt.theta
    converged = bool(opt.converged)
    if not converged:
        warnings.append(f"the optimiser did not converge after {opt.iterations} iterations "
                        f"({opt.message}; largest gradient {opt.max_grad:.2e}); estimates are not "
                        "trustworthy and standard errors and fit measures are not reported")
    q = cm.nfree
    names = param_names(core, q)
    nx = len(spec.ov_x)
    ndat = spec.ngroups * (cm.p * (cm.p + 1) // 2 + (cm.p if cm.meanstructure else 0)
                           - nx * (nx + 1) // 2 - (nx if cm.meanstructure else 0))
    if q > ndat:
        warnings.append(f"the model has more free parameters ({q}) than sample moments ({ndat}), "
                        f"i.e. negative degrees of freedom ({ndat - q}): it is not identified")

    # ---- standard errors --------------------------------------------------
    vcov = None
    N = stats.ntotal
    A_obs = B0 = None
    if converged and q and not estimates_only:
        if pats is not None:
            from .fiml import fiml_information
            # identification: the analytic expected information; the SEs: the observed one
            A_obs, E_exp = fiml_information(cm, theta, pats)  # totals over cases
            vcov = None
            if info_inverse(E_exp, names, warnings) is not None:
                vcov = info_inverse(A_obs, names, warnings)
            if estimator == "MLR" and vcov is not None:
                from .robust_fiml import fiml_casewise_scores, fiml_sandwich
                B0 = fiml_casewise_scores(cm, theta, pats)
                vcov, _ = fiml_sandwich(A_obs, B0)
        elif estimator == "ML":
            info = expected_information(cm, theta, stats)
            inv = info_inverse(info * N, names, warnings) if info is not None else None
            vcov = inv
        else:
            from .robust import sandwich
            try:
                vcov, A_obs, B0 = sandwich(cm, theta, stats, Ys)
                if info_inverse(A_obs * N, names, warnings) is None:
                    vcov = None
            except np.linalg.LinAlgError:
                warnings.append("the observed information matrix is singular; robust standard errors "
                                "could not be computed (the model may not be identified)")
                vcov = None
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None)) if vcov is not None else np.full(q, np.nan)
    if vcov is not None and np.any(np.diag(vcov) < 0):
        bad = [names[k] for k in np.flatnonzero(np.diag(vcov) < 0)]
        warnings.append(f"negative sampling variances for {', '.join(bad)}; their standard errors are NaN")
        se_free = np.where(np.diag(vcov) < 0, np.nan, se_free)

    # ---- parameter table ----------------------------------------------------
    est = _row_values(cm, core, theta)
    std_lv, std_all = standardize(cm, core, theta, est)
    table = wald_table(core, est, se_free, converged, std_lv, std_all)
    if spec.defined:
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
                J[:, k] = (defined_values(spec, core, _row_values(cm, core, tp))
                           - defined_values(spec, core, _row_values(cm, core, tm))) / (2 * h)
            dse = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, vcov, J), 0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            dz = dvals / dse
        drows = pd.DataFrame(dict(lhs=[n for n, _ in spec.defined], op=":=",
                                  rhs=[ex.text for _, ex in spec.defined],
                                  label=[n for n, _ in spec.defined], group=0, free=0, estimate=dvals,
                                  se=dse, z=dz, p_value=2 * sps.norm.sf(np.abs(dz)),
                                  ci_lower=dvals - _Z975 * dse, ci_upper=dvals + _Z975 * dse,
                                  std_lv=dstd_lv, std_all=dstd_all))
        table = pd.concat([table, drows], ignore_index=True)

    # ---- admissibility --------------------------------------------------------
    problems = admissibility(cm, theta) if converged else []
    glab = (lambda g: "" if spec.ngroups == 1 else f" in group {labels[g]!r}")
    for g, name, _what in problems:
        if name is not None:
            kind_v = "residual variance" if name in spec.ov_names or name in cm.lv_names else "variance"
            warnings.append(f"Heywood case: the estimated {kind_v} of {name!r}{glab(g)} is negative "
                            f"({cm.matrices(theta, g)[1][cm.pos[name], cm.pos[name]]:.4g}); "
                            "the solution is not admissible")
        else:
            warnings.append(f"the model-implied covariance matrix of the latent variables{glab(g)} is not "
                            "positive definite; the solution is not admissible")
    offd = (table["op"] == "~~") & (table["lhs"] != table["rhs"]) & (table["std_all"].abs() > 1)
    for _, r in table[offd].iterrows():
        warnings.append(f"the estimated correlation between {r['lhs']!r} and {r['rhs']!r} exceeds 1 in "
                        f"absolute value ({r['std_all']:.3f}); the solution is not admissible")
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
    admissible = converged and not problems and (vcov is not None or (estimates_only and q > 0))

    # ---- fit measures ---------------------------------------------------------
    notes = []
    if estimates_only:
        fit = {"npar": q, "ntotal": N}
        notes.append(ESTIMATES_ONLY_NOTE)
    else:
        fit = _fit_measures(spec, cm, theta, stats, Ys, opt, converged, estimator, A_obs, B0,
                            pats=pats, h1_logl=h1_logl, notes=notes)

    # ---- R2 -----------------------------------------------------------------------
    r2_groups = []
    for g in range(spec.ngroups):
        Sigma, mu, tot, Tm, A, S, m, T = cm.implied(theta, g, full=True)
        endo = np.flatnonzero(np.any(A != 0, axis=1) | np.isin(np.arange(cm.nv), cm.blocks[g].A_r))
        d = {}
        names_all = cm.ov_names + cm.lv_names
        for i in endo:
            d[names_all[i]] = float(1 - S[i, i] / tot[i, i]) if tot[i, i] != 0 else np.nan
        r2_groups.append(d)
    r2 = r2_groups[0] if spec.ngroups == 1 else {str(labels[g]): r2_groups[g] for g in range(spec.ngroups)}

    return SemResult(spec=spec, estimator=estimator, converged=converged, admissible=bool(admissible),
                     warnings=warnings, params=table, fit=fit, r2=r2, n=N,
                     nobs_per_group=list(stats.nobs), group_labels=labels,
                     implied=dict(cov=implied_cov, mean=implied_mean, ov_names=list(spec.ov_names)),
                     sample_cov=stats.cov, sample_mean=stats.mean, theta=theta, vcov=vcov,
                     iterations=opt.iterations, _cm=cm, _stats=stats, _data=Ys, notes=notes,
                     estimates_only=estimates_only, missing=missing)


def _baseline(spec, cm, stats):
    """Independence model: chisq, df, and a compiled baseline model + theta (for MLR)."""
    ov_x = [v for v in spec.ov_x]
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
                rows.append(dict(lhs=spec.ov_x[a], op="~~", rhs=spec.ov_x[b], group=g + 1, free=0,
                                 ustart=np.nan, exo=1))
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


def _fit_measures(spec, cm, theta, stats, Ys, opt, converged, estimator, A_obs, B0, pats=None,
                  h1_logl=None, notes=None):
    N = stats.ntotal
    G = cm.ngroups
    q = cm.nfree
    p = cm.p
    nx = len(spec.ov_x)
    ndat = G * (p * (p + 1) // 2 + (p if cm.meanstructure else 0)
                - nx * (nx + 1) // 2 - (nx if cm.meanstructure else 0))
    df = ndat - q
    out: dict = {"npar": q}
    nan = float("nan")
    if not converged:
        return dict(npar=q, df=df, chisq=nan, pvalue=nan)
    F = 2 * opt.fmin
    chisq = N * F
    bchisq, bdf = _baseline(spec, cm, stats)
    if pats is not None:
        from .fiml import fiml_loglik
        logl_fiml = fiml_loglik(cm, theta, pats)
        chisq = 2 * (h1_logl - logl_fiml)
        # independence model: each variable's available-case mean and variance
        logl_b = 0.0
        for pat in pats:
            for j in range(p):
                col = pat.Y[:, j]
                col = col[~np.isnan(col)]
                logl_b += -len(col) / 2 * (np.log(2 * np.pi) + np.log(np.var(col)) + 1)
        bchisq = 2 * (h1_logl - logl_b)
    logl = 0.0
    logl_h1 = 0.0
    srmr_g, srmr_nm_g = [], []
    for g in range(G):
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
    w = stats.weights
    gfi_g = []
    for g in range(G):
        Sg = stats.cov[g]
        Sigma, mu = cm.implied(theta, g)
        Si = np.linalg.inv(Sigma)  # lavaan's ML weight matrix uses the implied moments
        # e' W e with lavaan's vech weight W is tr((Si E)^2) / 2 for the symmetric matrix E
        SiE, SiS = Si @ (Sg - Sigma), Si @ Sg
        t1, t2 = 0.5 * np.vdot(SiE, SiE.T), 0.5 * np.vdot(SiS, SiS.T)
        if cm.meanstructure:
            em = stats.mean[g] - mu
            t1 += em @ Si @ em
            t2 += stats.mean[g] @ Si @ stats.mean[g]
        gfi_g.append(1 - t1 / t2)
    out["gfi"] = float(np.sum(w * np.asarray(gfi_g)))
    out["agfi"] = float(1 - ndat / df * (1 - out["gfi"])) if df > 0 else 1.0
    out.update(chisq=chisq, df=df, pvalue=float(sps.chi2.sf(chisq, df)) if df > 0 else nan,
               baseline_chisq=bchisq, baseline_df=bdf,
               baseline_pvalue=float(sps.chi2.sf(bchisq, bdf)) if bdf > 0 else nan,
               cfi=fm.cfi(chisq, df, bchisq, bdf), tli=fm.tli(chisq, df, bchisq, bdf),
               nfi=(bchisq - chisq) / bchisq if df > 0 else 1.0)
    out["cfi"] = min(max(out["cfi"], 0.0), 1.0)
    out["rmsea"] = fm.rmsea(chisq, df, N, G)
    out["rmsea_ci_lower"], out["rmsea_ci_upper"] = fm.rmsea_ci(chisq, df, N, G)
    out["rmsea_pvalue"] = fm.rmsea_pvalue(chisq, df, N, G)
    out["srmr"] = float(np.sum(w * np.asarray(srmr_g)))
    out["srmr_nomean"] = float(np.sum(w * np.asarray(srmr_nm_g)))
    if pats is not None:
        logl, logl_h1 = logl_fiml, h1_logl
    if spec.ov_x and pats is None:
        # fixed.x: lavaan reports the likelihood conditional on the covariates
        xi = [cm.ov_names.index(v) for v in spec.ov_x]
        for g in range(G):
            lx = -stats.nobs[g] / 2 * (len(xi) * np.log(2 * np.pi)
                                       + np.linalg.slogdet(stats.cov[g][np.ix_(xi, xi)])[1] + len(xi))
            logl -= lx
            logl_h1 -= lx
    out["logl"] = float(logl)
    out["unrestricted_logl"] = float(logl_h1)
    out["aic"] = float(-2 * logl + 2 * q)
    out["bic"] = float(-2 * logl + np.log(N) * q)
    out["ntotal"] = N
    if estimator == "MLR" and A_obs is not None and df > 0 and pats is None:
        from .robust import h1_trace, sandwich, yb_trace
        tr_h1 = h1_trace(cm, Ys, stats)
        c = (tr_h1 - yb_trace(A_obs, B0, stats)) / df
        bcm, btheta = _baseline_model(spec, cm, stats)
        _, Ab, B0b = sandwich(bcm, btheta, stats, Ys)
        cb = (tr_h1 - yb_trace(Ab, B0b, stats)) / bdf
        out.update(_scaled_measures(chisq, df, bchisq, bdf, c, cb, N, G))
        out.update(cfi_robust=min(max(fm.cfi(chisq, df, bchisq, bdf, c, cb), 0.0), 1.0),
                   tli_robust=fm.tli(chisq, df, bchisq, bdf, c, cb),
                   **fm.rmsea_robust_measures(chisq, df, N, G, c_hat3=c))
    if pats is not None and df > 0:
        out.update(_fiml_robust_measures(cm, theta, pats, stats, estimator, A_obs, B0,
                                         chisq, df, bchisq, bdf, N, G, notes if notes is not None else []))
    return out


def _scaled_measures(chisq, df, bchisq, bdf, c, cb, N, G):
    """Scaled test, baseline and CFI/TLI/RMSEA from the scaling factors ``c`` (model), ``cb`` (baseline)."""
    ts, tbs = chisq / c, bchisq / cb
    out = dict(chisq_scaled=ts, df_scaled=df, pvalue_scaled=float(sps.chi2.sf(ts, df)),
               chisq_scaling_factor=c, baseline_chisq_scaled=tbs, baseline_df_scaled=bdf,
               baseline_pvalue_scaled=float(sps.chi2.sf(tbs, bdf)),
               baseline_chisq_scaling_factor=cb,
               cfi_scaled=min(max(fm.cfi(ts, df, tbs, bdf), 0.0), 1.0),
               tli_scaled=fm.tli(ts, df, tbs, bdf),
               **fm.rmsea_scaled_measures(chisq, df, N, G, scaling_factor=c))
    return out


def _fiml_robust_measures(cm, theta, pats, stats, estimator, A_obs, B0, chisq, df, bchisq, bdf, N, G,
                          notes):
    """FIML: the Yuan-Bentler scaled test (MLR) and the FIML-corrected robust CFI/TLI/RMSEA (ML, MLR).

    What cannot be computed (a singular information matrix) is NaN with a line in ``notes``.
    """
    from .robust_fiml import fiml_corrected, fiml_yb_factors, h1_pieces
    nan = float("nan")
    out = dict(cfi_robust=nan, tli_robust=nan, **fm.rmsea_robust_measures(nan, df, N, G, c_hat3=nan))
    scaled_keys = ("chisq_scaled", "pvalue_scaled", "chisq_scaling_factor", "baseline_chisq_scaled",
                   "cfi_scaled", "tli_scaled", *fm.rmsea_scaled_measures(nan, df, N, G, scaling_factor=nan))
    if estimator == "MLR":
        out.update(dict.fromkeys(scaled_keys, nan))
    try:
        h1 = h1_pieces(cm, pats, stats.cov, stats.mean)
    except np.linalg.LinAlgError:
        notes.append("the information matrix of the saturated (h1) FIML model is singular, so the "
                     "robust CFI/TLI/RMSEA" + (" and the scaled test" if estimator == "MLR" else "")
                     + " could not be computed (NaN)")
        return out
    if estimator == "MLR":
        try:
            if A_obs is None or B0 is None:
                raise np.linalg.LinAlgError
            tr, trb = fiml_yb_factors(h1, B0, A_obs, pats)
            out.update(_scaled_measures(chisq, df, bchisq, bdf, tr / df, trb / bdf, N, G))
        except np.linalg.LinAlgError:
            notes.append("the observed information matrix is singular, so the scaled (Yuan-Bentler) "
                         "test and the scaled CFI/TLI/RMSEA could not be computed (NaN)")
    try:
        XX3, c3, XX3n, c3n = fiml_corrected(cm, theta, pats, h1, stats.cov, stats.mean, df, bdf,
                                            "V3" if estimator == "MLR" else "V6")
    except np.linalg.LinAlgError:
        notes.append("the information matrix of the model is singular, so the FIML-corrected robust "
                     "CFI/TLI/RMSEA could not be computed (NaN)")
        return out
    out.update(cfi_robust=min(max(fm.cfi(XX3, df, XX3n, bdf, c3, c3n), 0.0), 1.0),
               tli_robust=fm.tli(XX3, df, XX3n, bdf, c3, c3n),
               **fm.rmsea_robust_measures(XX3, df, N, G, c_hat3=c3))
    return out
