"""WLSMV: diagonally weighted least squares on polychoric correlations, as lavaan's ``estimator = "WLSMV"``.

:func:`fit_wlsmv` is what :func:`validate.sem.fit_sem` runs for ``estimator="WLSMV"``.

Model (lavaan's delta parameterisation, one group)
--------------------------------------------------
Every observed variable is an ordered item ``y`` whose answers cut a standard-normal latent
response ``y*`` at thresholds ``t1 < t2 < ...``.  The SEM (loadings, regressions, latent and
residual covariances) is the usual RAM model of :class:`~validate.sem.model.CompiledModel`
written for the ``y*``; their intercepts are 0, their scale factors (``y ~*~ y``) 1 and their
residual variances are *not* free: they are set so that every ``y*`` has variance 1, i.e.
``1 - diag(Sigma_0)`` with ``Sigma_0`` the implied covariance matrix with those residual
variances at 0 (lavaan's ``setResidualElements.LISREL``).  When an item is a predictor of
another item (``y2 ~ y1``) its residual variance reaches ``y2`` too; the residual variances then
solve a small linear system so that the variances are exactly 1 (lavaan keeps the one-pass
formula there, which leaves ``var(y2*) != 1``, and failed to converge on the one such model
tried).  The model-implied
moments are the thresholds themselves and the off-diagonal elements of the implied
correlation matrix, in the order of :attr:`validate.sem.ordinal.OrdinalMoments.wls_obs`.

Estimation
----------
``F = 1/2 (n - 1)/n (s - sigma(theta))' W (s - sigma(theta))`` with ``s`` the sample thresholds
and polychoric correlations and ``W = diag(NACOV)^-1`` (lavaan's ``WLS.VD``), minimised by
Gauss-Newton with back-tracking.  The Jacobian ``Delta`` is analytic: the compiled model's
derivative of the covariances with the residual variances as extra parameters, chained with
``d(residual variances)/d theta = -d diag(Sigma_0)/d theta``.

Inference: robust ("sandwich") standard errors ``(D'WD)^-1 D'W Gamma W D (D'WD)^-1 / (n - 1)``
(lavaan's ``se = "robust.sem"``), the mean-and-variance adjusted ("scaled-shifted") test and
scaled CFI/TLI/RMSEA (:mod:`validate.sem.ordinal`), SRMR on the correlation residuals.

Notes
-----
Checked against lavaan 0.6.14 ``cfa()``/``sem()`` with ``ordered = TRUE, estimator = "WLSMV"``
on ``tests/fixtures/ordinal`` (Holzinger-Swineford in 5 categories: 3-factor CFA and a SEM with
latent regressions, a residual covariance and a defined indirect effect; sparse simulated
7-point and binary items): estimates, standard errors, std.all, thresholds, chi-squares,
CFI/TLI/RMSEA (standard and scaled) and SRMR agree to 1e-6 relative or better (see
``tests/test_sem_wlsmv.py``).

Missing answers: listwise deletion (lavaan's default for WLSMV).  Not implemented: several
groups, exogenous observed covariates (lavaan's ``conditional.x``), continuous indicators mixed
with ordered ones, the theta parameterisation, lavaan's "robust" CFI/TLI/RMSEA
(Savalei 2021), modification indices.

References
----------
Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted least
squares and quadratic estimating equations in latent variable modeling with categorical and
continuous outcomes. Unpublished technical report.
Asparouhov, T., & Muthen, B. (2010). Simple second order chi-square correction. Mplus
technical appendix.
"""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import linalg
from scipy import stats as sps

from validate.sem.ordinal import (
    OrdinalWarning,
    baseline_test,
    dwls_robust_vcov,
    ordinal_moments,
    scaled_shifted_test,
    wlsmv_fit_indices,
)

from . import fitmeasures as fm
from .api import (
    ESTIMATES_ONLY_NOTE,
    SemResult,
    check_data,
    defined_values,
    info_inverse,
    param_names,
    prepare_data,
    standardize,
    start_from,
    wald_table,
)
from .errors import ModelError
from .estimate import start_values
from .model import CompiledModel, SampleStats
from .syntax import parse_model_cached

__all__ = ["fit_wlsmv"]

_Z975 = sps.norm.ppf(0.975)

WLSMV_NOTE = ("logl, unrestricted_logl, aic and bic do not exist for WLSMV (a least-squares "
              "estimator has no likelihood); they are NaN, as lavaan reports NA")


# ----------------------------------------------------------------------------------------
# the model: implied moments and their Jacobian
# ----------------------------------------------------------------------------------------
class _DeltaModel:
    """Implied (thresholds, correlations) of a one-group ordinal model and their Jacobian."""

    def __init__(self, spec, moments):
        pt = spec.partable
        self.core = core = pt[pt["op"] != ":="].reset_index(drop=True)
        self.q = q = spec.nfree
        self.ov = list(spec.ov_names)
        p = len(self.ov)
        ext = core[["lhs", "op", "rhs", "group", "free", "ustart", "exo"]].copy()
        free = ext["free"].to_numpy().copy()
        self.res_rows = np.zeros(p, dtype=np.intp)
        e_op, e_lhs, e_rhs = ext["op"].to_numpy(), ext["lhs"].to_numpy(), ext["rhs"].to_numpy()
        var_row = {}
        for i in np.flatnonzero((e_op == "~~") & (e_lhs == e_rhs)):
            var_row.setdefault(e_lhs[i], i)
        for j, v in enumerate(self.ov):
            self.res_rows[j] = var_row[v]
            free[var_row[v]] = q + 1 + j  # residual variances: extra "parameters", set from theta
        ext["free"] = free
        self.cm = CompiledModel(ext, self.ov, spec.lv_names, 1, False)
        # is an observed variable a cause of anything (y ~ x with an item x)? Then its residual
        # variance reaches other items and the residual variances solve a linear system.
        b = self.cm.blocks[0]
        self.chain = bool(np.any(b.A_c < p)) or bool(np.any(b.A0[:, :p] != 0))
        rr, cc = self.cm.rr, self.cm.cc
        self.diag_rows = np.flatnonzero(rr == cc)
        self.off_rows = np.flatnonzero(rr > cc)
        # thresholds: moment position -> free index / fixed value
        th = moments.thresholds
        pos = {(it, t): k for k, (it, t) in enumerate(zip(th["item"], th["threshold"]))}
        self.nth = len(th)
        self.th_fixed = np.zeros(self.nth)
        self.th_free = np.full(self.nth, -1, dtype=np.intp)
        self.th_row = np.zeros(self.nth, dtype=np.intp)
        ops, lhs, rhs = core["op"].to_numpy(), core["lhs"].to_numpy(), core["rhs"].to_numpy()
        fr, us = core["free"].to_numpy().astype(int), core["ustart"].to_numpy(dtype=float)
        for i in np.flatnonzero(ops == "|"):
            k = pos[(lhs[i], rhs[i])]
            self.th_row[k] = i
            if fr[i] > 0:
                self.th_free[k] = fr[i] - 1
            else:
                self.th_fixed[k] = us[i]
        self.nmom = self.nth + len(self.off_rows)

    def ext(self, theta, s):
        return np.concatenate([theta, s])

    def residuals(self, theta):
        """Residual variances that give every latent response variance 1.

        ``diag(Sigma) = diag(Sigma_0) + M s`` with ``M[j, i] = G[j, i]^2`` (``G`` the total
        effects of the residuals on the observed variables), so ``s = M^-1 (1 - diag(Sigma_0))``.
        When no ordered item is a predictor of another, ``M = I`` and this is lavaan's
        ``1 - diag(Sigma_0)``.
        """
        p = len(self.ov)
        Sigma0, _, _, _, _, _, _, T = self.cm.implied(self.ext(theta, np.zeros(p)), 0, full=True)
        rhs = 1.0 - np.diag(Sigma0)
        M = T[:p, :p] ** 2
        if self.chain:
            try:
                return np.linalg.solve(M, rhs)
            except np.linalg.LinAlgError:
                return np.linalg.lstsq(M, rhs, rcond=None)[0]
        return rhs

    def thresholds(self, theta):
        th = self.th_fixed.copy()
        m = self.th_free >= 0
        th[m] = theta[self.th_free[m]]
        return th

    def implied(self, theta):
        """(moments, Sigma, residual variances)."""
        s = self.residuals(theta)
        Sigma, _ = self.cm.implied(self.ext(theta, s), 0)
        rr, cc = self.cm.rr, self.cm.cc
        mom = np.concatenate([self.thresholds(theta), Sigma[rr[self.off_rows], cc[self.off_rows]]])
        return mom, Sigma, s

    def jacobian(self, theta, s=None):
        """Delta: d moments / d theta (moments x free parameters)."""
        q = self.q
        if s is None:
            s = self.residuals(theta)
        D1 = self.cm.delta(self.ext(theta, s), 0)
        # implicit function theorem on diag(Sigma(theta, s(theta))) = 1
        Js = D1[self.diag_rows, q:]
        Jt = D1[self.diag_rows, :q]
        if self.chain:
            ds = -np.linalg.lstsq(Js, Jt, rcond=None)[0]
        else:
            ds = -Jt  # Js = I
        Dc = D1[self.off_rows, :q] + D1[self.off_rows, q:] @ ds
        Dt = np.zeros((self.nth, q))
        m = self.th_free >= 0
        Dt[np.flatnonzero(m), self.th_free[m]] = 1.0
        return np.vstack([Dt, Dc])


def _objective(dm, theta, obs, w, c):
    mom, _, _ = dm.implied(theta)
    d = obs - mom
    return 0.5 * c * float(d @ (w * d)), d


def _optimize(dm, theta0, obs, w, n, max_iter, tol=1e-10):
    """Gauss-Newton with Armijo back-tracking on the DWLS function; returns (theta, F, conv, its, msg, gmax)."""
    c = (n - 1) / n
    theta = np.asarray(theta0, dtype=float).copy()
    q = dm.q
    F, d = _objective(dm, theta, obs, w, c)
    if q == 0:
        return theta, F, True, 0, "no free parameters", 0.0
    msg = "iteration limit reached"
    converged = False
    gmax = np.inf
    it = 0
    while it < max_iter:
        it += 1
        D = dm.jacobian(theta)
        WD = w[:, None] * D
        g = -c * (WD.T @ d)
        gmax = float(np.max(np.abs(g)))
        if gmax < tol:
            converged, msg = True, "converged"
            break
        H = c * (D.T @ WD)
        try:
            with _warnings.catch_warnings():
                _warnings.simplefilter("error", linalg.LinAlgWarning)
                step = linalg.solve(H, -g, assume_a="sym", check_finite=False)
            if not np.all(np.isfinite(step)):
                raise linalg.LinAlgError
        except (linalg.LinAlgError, linalg.LinAlgWarning, ValueError):
            # (nearly) singular, e.g. at starting values with all regressions 0: damped step
            step = np.linalg.lstsq(H + 1e-6 * np.diag(np.maximum(np.diag(H), 1e-12)) + 1e-10 * np.eye(q),
                                   -g, rcond=None)[0]
        slope = float(g @ step)
        if slope >= 0:
            step, slope = -g, -float(g @ g)
        alpha, accepted = 1.0, False
        for _ in range(40):
            trial = theta + alpha * step
            Ft, dt = _objective(dm, trial, obs, w, c)
            if np.isfinite(Ft) and Ft <= F + 1e-4 * alpha * slope:
                accepted = True
                break
            alpha *= 0.5
        if not accepted:
            if gmax < np.sqrt(tol):
                converged, msg = True, "converged (no further decrease at machine precision)"
            else:
                msg = "line search failed"
            break
        small = F - Ft < 1e-16 * max(1.0, F)
        theta, F, d = trial, Ft, dt
        if small and gmax < np.sqrt(tol):
            converged, msg = True, "converged (no further decrease)"
            break
    return theta, F, converged, it, msg, gmax


# ----------------------------------------------------------------------------------------
# entry point
# ----------------------------------------------------------------------------------------
def _ordered_items(ordered, data, ov_names):
    """Validate ``ordered`` against the model's observed variables; return the ordered ones."""
    if ordered is None or ordered is True:
        return list(ov_names)
    if ordered is False:
        raise ModelError("estimator='WLSMV' needs ordered items; ordered=False leaves none (use "
                         "estimator='ML' or 'MLR' for continuous indicators)")
    if isinstance(ordered, str):
        ordered = [ordered]
    items = list(ordered)
    unknown = [str(v) for v in items if v not in data.columns]
    if unknown:
        raise ModelError(f"ordered item(s) {', '.join(unknown)} are not columns of the data")
    cont = [v for v in ov_names if v not in items]
    if cont:
        raise ModelError("WLSMV with continuous (not ordered) observed variables is not implemented yet: "
                         f"{', '.join(cont)}; add them to ordered=, or leave ordered=None to treat every "
                         "observed variable as ordered")
    return [v for v in ov_names if v in items]


def fit_wlsmv(model: str, data: pd.DataFrame, *, ordered: bool | Sequence[str] | None = None,
              group: str | None = None, missing: str = "listwise", kind: str = "sem",
              auto_cov_y: bool = True, fixed_x: bool = True, max_iter: int = 500,
              start: SemResult | None = None, estimates_only: bool = False):
    """Fit a model to ordered items by WLSMV, like lavaan's ``sem(..., ordered = TRUE, estimator = "WLSMV")``.

    Usually called through :func:`validate.sem.fit_sem` with ``estimator="WLSMV"``.

    Parameters
    ----------
    model : str
        lavaan model syntax; thresholds may be written ``x1 | t1 + t2`` (labels, fixed values).
    data : pandas.DataFrame
        Whole-number answer codes.
    ordered : True, None or sequence of str
        The ordered items. ``None``/``True``: every observed variable of the model. A list must
        include every observed variable of the model (mixing continuous and ordered indicators
        is not implemented); columns of the data that are not in the model are ignored.
    group : None
        Several groups are not implemented yet (a :class:`ModelError` says so).
    missing : {"listwise"}
        Respondents with a missing answer on any model item are left out (lavaan's default).
    kind, auto_cov_y, fixed_x, max_iter, start
        As :func:`validate.sem.fit_sem` (``start`` also gives thresholds).
    estimates_only : bool
        Only the estimates (as :func:`validate.sem.fit_sem`): the polychoric correlations and
        the DWLS weights are computed, the robust standard errors, the scaled-shifted test,
        the baseline model and the fit measures are not.

    Returns
    -------
    SemResult
        ``params`` has lavaan's rows for ordered items: thresholds (``op == "|"``, ``rhs`` ``t1``,
        ``t2``, ...), residual variances (fixed, ``1 -`` explained variance), scale factors
        (``~*~``, 1) and intercepts (0). ``fit`` holds chisq (lavaan's unscaled DWLS statistic,
        ``(n - 1) F``), chisq_scaled (scaled-shifted), df, pvalue(_scaled),
        chisq_scaling_factor, chisq_shift_parameter, baseline_* , cfi, tli, rmsea (+ CI), their
        ``_scaled`` versions, srmr; logl/aic/bic are NaN (see ``notes``). ``r2`` are the
        R-squares of the latent responses. ``ordinal`` holds the
        :class:`~validate.sem.ordinal.OrdinalMoments`.

    Raises
    ------
    ModelError, ModelSyntaxError, UnknownVariableError
        Unusable model, options or data.
    instruments.errors.InputError
        Answer codes that are not whole numbers, an item with one answer category, ...
        (from :func:`validate.sem.ordinal.ordinal_moments`).
    """
    if group is not None:
        raise ModelError("multi-group WLSMV (group=...) is not implemented yet; fit each group separately "
                         "or use estimator='MLR'")
    if missing != "listwise":
        raise ModelError(f"missing={missing!r} is not available with WLSMV; it uses listwise deletion "
                         "(lavaan's default for WLSMV): use missing='listwise'")
    if not isinstance(data, pd.DataFrame):
        raise ModelError("data must be a pandas DataFrame")
    cand = data.columns if ordered is None or ordered is True or ordered is False else (
        [ordered] if isinstance(ordered, str) else list(ordered))
    spec0 = parse_model_cached(model, kind=kind, auto_cov_y=auto_cov_y, fixed_x=fixed_x,
                        ordered={v: None for v in cand if isinstance(v, str)})
    if spec0.ov_x:
        raise ModelError("WLSMV with exogenous observed covariates is not implemented yet "
                         f"({', '.join(spec0.ov_x)}); model them as single-indicator latent variables "
                         "or use fixed_x=False to treat them as ordered items too")
    Ys, labels, _ = prepare_data(spec0, data, None, "listwise")  # unknown / non-numeric columns
    items = _ordered_items(ordered, data, spec0.ov_names)
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", OrdinalWarning)  # kept in mom.warnings
        mom = ordinal_moments(data.loc[:, items], missing="listwise")
    nth = mom.thresholds.groupby("item", sort=False).size().to_dict()
    spec = parse_model_cached(model, kind=kind, auto_cov_y=auto_cov_y, fixed_x=fixed_x, ordered=nth)
    warn: list[str] = list(mom.warnings)
    n_free_th = int(((spec.partable["op"] == "|") & (spec.partable["free"] > 0)).sum())
    warn += check_data(spec, Ys, labels, spec.nfree - n_free_th)  # cases per structural parameter
    n = mom.n
    p = len(spec.ov_names)
    R = mom.corr.to_numpy()
    stats = SampleStats([R], [np.zeros(p)], [n])
    dm = _DeltaModel(spec, mom)
    core, q = dm.core, dm.q
    obs = mom.wls_obs
    w = mom.wls_weight_diag
    gamma = mom.nacov

    # ---- estimation ------------------------------------------------------------------
    theta0 = start_values(dm.cm, core, stats)[:q]
    st = core["start"].to_numpy(dtype=float)
    for k in range(dm.nth):
        f = dm.th_free[k]
        if f >= 0 and not np.isfinite(st[dm.th_row[k]]):
            theta0[f] = obs[k]
    if start is not None:
        theta0 = start_from(theta0, core, start.params)
    theta, F, converged, its, msg, gmax = _optimize(dm, theta0, obs, w, n, max_iter)
    names = param_names(core, q)
    if not converged:
        warn.append(f"the optimiser did not converge after {its} iterations ({msg}; largest gradient "
                    f"{gmax:.2e}); estimates are not trustworthy and standard errors and fit measures "
                    "are not reported")
    df = dm.nmom - q
    if df < 0:
        warn.append(f"the model has more free parameters ({q}) than sample statistics ({dm.nmom}: "
                    f"{dm.nth} thresholds and {dm.nmom - dm.nth} polychoric correlations), i.e. negative "
                    f"degrees of freedom ({df}): it is not identified")
    mom_hat, Sigma, s = dm.implied(theta)
    ext_theta = dm.ext(theta, s)
    D = None if estimates_only else dm.jacobian(theta, s)

    # ---- standard errors ---------------------------------------------------------------
    vcov = None
    if converged and q and not estimates_only:
        info = D.T @ (w[:, None] * D)
        if info_inverse(info, names, warn) is not None:
            vcov = dwls_robust_vcov(D, w, gamma, n)
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None)) if vcov is not None else np.full(q, np.nan)

    # ---- parameter table ------------------------------------------------------------------
    def row_estimates(th):
        ss = dm.residuals(th)
        e = _row_values(dm, core, th, dm.ext(th, ss))
        return e

    est = row_estimates(theta)
    std_lv, std_all = _std(dm, core, ext_theta, est)
    table = wald_table(core, est, se_free, converged, std_lv, std_all)
    if spec.defined:
        table = pd.concat([table, _defined_rows(spec, core, theta, est, std_lv, std_all, vcov,
                                                row_estimates)], ignore_index=True)

    # ---- admissibility ---------------------------------------------------------------------
    problems = []
    if converged:
        for j in np.flatnonzero(s < 0):
            warn.append(f"Heywood case: the residual variance of the latent response of {dm.ov[j]!r} "
                        f"is negative ({s[j]:.4g}), i.e. its loadings explain more than all of its "
                        "variance; the solution is not admissible")
            problems.append(dm.ov[j])
        A, S, _ = dm.cm.matrices(ext_theta, 0)
        for i in range(dm.cm.p, dm.cm.nv):
            if S[i, i] < 0:
                nm = dm.cm.lv_names[i - dm.cm.p]
                warn.append(f"Heywood case: the estimated variance of {nm!r} is negative ({S[i, i]:.4g}); "
                            "the solution is not admissible")
                problems.append(nm)
        if dm.cm.nlv:
            T = np.linalg.inv(dm.cm.eye - A)
            tot = (T @ S @ T.T)[dm.cm.p:, dm.cm.p:]
            if np.min(np.linalg.eigvalsh(tot)) < -1e-10 * max(1.0, np.max(np.abs(tot))):
                warn.append("the model-implied covariance matrix of the latent variables is not positive "
                            "definite; the solution is not admissible")
                problems.append("psi")
        offd = (table["op"] == "~~") & (table["lhs"] != table["rhs"]) & (table["std_all"].abs() > 1)
        for _, r in table[offd].iterrows():
            warn.append(f"the estimated correlation between {r['lhs']!r} and {r['rhs']!r} exceeds 1 in "
                        f"absolute value ({r['std_all']:.3f}); the solution is not admissible")
            problems.append("corr")
    admissible = converged and not problems and (vcov is not None or estimates_only)

    # ---- fit measures ----------------------------------------------------------------------
    notes = [WLSMV_NOTE]
    if estimates_only:
        fit = {"npar": dm.q, "ntotal": n, "fmin": F}
        notes.append(ESTIMATES_ONLY_NOTE)
    else:
        fit = _fit_measures(dm, mom, theta, F, D, Sigma, R, df, converged)

    # ---- R2 --------------------------------------------------------------------------------
    _, _, tot, _, A, S, _, _ = dm.cm.implied(ext_theta, 0, full=True)
    b = dm.cm.blocks[0]
    endo = np.flatnonzero(np.any(A != 0, axis=1) | np.isin(np.arange(dm.cm.nv), b.A_r))
    names_all = dm.cm.ov_names + dm.cm.lv_names
    r2 = {names_all[i]: (float(1 - S[i, i] / tot[i, i]) if tot[i, i] != 0 else np.nan) for i in endo}

    return SemResult(spec=spec, estimator="WLSMV", converged=bool(converged), admissible=bool(admissible),
                     warnings=warn, params=table, fit=fit, r2=r2, n=n, nobs_per_group=[n],
                     group_labels=[None],
                     implied=dict(cov=[Sigma], mean=[np.zeros(p)], ov_names=list(spec.ov_names),
                                  thresholds=[mom_hat[:dm.nth]]),
                     sample_cov=[R], sample_mean=[np.zeros(p)], theta=theta, vcov=vcov,
                     iterations=its, _cm=dm.cm, _stats=stats, _data=Ys, notes=notes,
                     ordinal=mom, estimates_only=estimates_only)


def _row_values(dm, core, theta, ext_theta):
    """Estimate of every row: matrices for the SEM part, theta for thresholds, 1 for ``~*~``."""
    cm = dm.cm
    est = np.full(len(core), np.nan)
    A, S, m = cm.matrices(ext_theta, 0)
    ops = core["op"].to_numpy()
    fr = core["free"].to_numpy().astype(int)
    us = core["ustart"].to_numpy(dtype=float)
    for i in range(len(core)):
        k = cm.row_kind[i]
        if k == 1:
            est[i] = A[cm.row_r[i], cm.row_c[i]]
        elif k == 2:
            est[i] = S[cm.row_r[i], cm.row_c[i]]
        elif k == 3:
            est[i] = m[cm.row_r[i]]
        elif ops[i] in ("|", "~*~"):
            est[i] = theta[fr[i] - 1] if fr[i] > 0 else us[i]
    return est


def _std(dm, core, ext_theta, est):
    """std.lv / std.all: lavaan's rules, with the latent responses' total variances (1)."""
    std_lv, std_all = standardize(dm.cm, core, ext_theta, est)
    tot = np.diag(dm.cm.implied(ext_theta, 0, full=True)[2])
    ops = core["op"].to_numpy()
    lhs = core["lhs"].to_numpy()
    for i in np.flatnonzero((ops == "|") | (ops == "~*~")):
        std_lv[i] = est[i]
        std_all[i] = est[i] / np.sqrt(tot[dm.cm.pos[lhs[i]]]) if ops[i] == "|" else est[i]
    return std_lv, std_all


def _defined_rows(spec, core, theta, est, std_lv, std_all, vcov, row_estimates):
    dvals = defined_values(spec, core, est)
    dse = np.full(len(dvals), np.nan)
    if vcov is not None:
        q = len(theta)
        J = np.zeros((len(dvals), q))
        for k in range(q):
            h = 1e-6 * max(1.0, abs(theta[k]))
            tp, tm = theta.copy(), theta.copy()
            tp[k] += h
            tm[k] -= h
            J[:, k] = (defined_values(spec, core, row_estimates(tp))
                       - defined_values(spec, core, row_estimates(tm))) / (2 * h)
        dse = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, vcov, J), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        dz = dvals / dse
    return pd.DataFrame(dict(lhs=[nm for nm, _ in spec.defined], op=":=",
                             rhs=[ex.text for _, ex in spec.defined],
                             label=[nm for nm, _ in spec.defined], group=0, free=0, estimate=dvals,
                             se=dse, z=dz, p_value=2 * sps.norm.sf(np.abs(dz)),
                             ci_lower=dvals - _Z975 * dse, ci_upper=dvals + _Z975 * dse,
                             std_lv=defined_values(spec, core, std_lv),
                             std_all=defined_values(spec, core, std_all)))


def _fit_measures(dm, mom, theta, F, D, Sigma, R, df, converged):
    n = mom.n
    nan = float("nan")
    out: dict = {"npar": dm.q, "ntotal": n, "fmin": F}
    na = dict(logl=nan, unrestricted_logl=nan, aic=nan, bic=nan)
    if not converged:
        out.update(df=df, chisq=nan, pvalue=nan, **na)
        return out
    T = 2 * n * F  # = (n - 1) d'Wd, lavaan's chisq for DWLS
    base = baseline_test(mom)
    il = np.tril_indices(len(R), -1)
    srmr = float(np.sqrt(np.sum((R - Sigma)[il] ** 2) / (len(R) * (len(R) + 1) / 2)))
    if df > 0:
        test = scaled_shifted_test(T, D, mom.wls_weight_diag, mom.nacov, df)
        out.update(wlsmv_fit_indices(test, base, n))
        out["df_scaled"] = df
        ts = test.stat
    else:
        # saturated (df = 0): lavaan reports chisq 0, no scaling, perfect fit indices
        out.update(chisq=T, df=df, pvalue=nan, chisq_scaled=T, pvalue_scaled=nan,
                   chisq_scaling_factor=nan, chisq_shift_parameter=nan,
                   baseline_chisq=base.stat_unscaled, baseline_df=base.df,
                   baseline_chisq_scaled=base.stat, cfi=1.0, tli=1.0, rmsea=0.0,
                   cfi_scaled=1.0, tli_scaled=1.0, rmsea_scaled=0.0, df_scaled=df)
        ts = T
    out["baseline_pvalue"] = float(sps.chi2.sf(base.stat_unscaled, base.df))
    out["baseline_df_scaled"] = base.df
    out["baseline_pvalue_scaled"] = base.pvalue
    out["baseline_chisq_scaling_factor"] = base.scaling_factor
    out["baseline_chisq_shift_parameter"] = base.shift_parameter
    # RMSEA interval and p(close): lavaan uses n - 1 for (D)WLS
    out["rmsea_ci_lower"], out["rmsea_ci_upper"] = fm.rmsea_ci(T, df, n - 1)
    out["rmsea_pvalue"] = fm.rmsea_pvalue(T, df, n - 1)
    out["rmsea_ci_lower_scaled"], out["rmsea_ci_upper_scaled"] = fm.rmsea_ci(ts, df, n - 1)
    out["rmsea_pvalue_scaled"] = fm.rmsea_pvalue(ts, df, n - 1)
    out["srmr"] = srmr
    out.update(na)
    return out
