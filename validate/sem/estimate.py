"""Maximum-likelihood estimation from sample moments.

The discrepancy is lavaan's normal-theory ML function per group,
``F_g = log|Sigma| + tr(S Sigma^-1) - log|S| - p + (ybar - mu)' Sigma^-1 (ybar - mu)``
(``S`` with divisor ``N_g``), pooled as ``F = sum_g (N_g / N) F_g``.  lavaan's
``fmin`` is ``F / 2`` and its test statistic is ``chisq = N * F``.

Minimisation is Fisher scoring (Gauss-Newton with the expected information)
with Armijo back-tracking, falling back to scipy's L-BFGS-B when scoring
stalls.  Equality constraints are handled by parameter sharing.

Notes
-----
Estimates agree with lavaan 0.6.14 to about 1e-7 relative on the Holzinger-
Swineford, Political Democracy and multi-group fixtures.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, optimize

from ._threads import single_threaded_blas
from .model import CompiledModel, SampleStats

__all__ = [
    "MomentFit",
    "OptResult",
    "casewise_scores",
    "expected_information",
    "fit_moments",
    "gradient_and_information",
    "objective",
    "optimize_ml",
    "start_values",
]


@dataclass
class OptResult:
    theta: np.ndarray
    fmin: float            # F / 2, lavaan's fmin
    converged: bool
    iterations: int
    message: str
    max_grad: float


def _chol_inv(Sigma):
    """Cholesky-based inverse and log-determinant; None when not positive definite."""
    try:
        L = linalg.cholesky(Sigma, lower=True, check_finite=False)
    except (linalg.LinAlgError, ValueError):
        return None, None
    logdet = 2.0 * np.sum(np.log(np.diag(L)))
    Li = linalg.solve_triangular(L, np.eye(len(Sigma)), lower=True, check_finite=False)
    return Li.T @ Li, logdet


def objective(cm: CompiledModel, theta, stats: SampleStats) -> float:
    """Pooled ML discrepancy ``F`` (``inf`` if an implied matrix is not PD)."""
    total = 0.0
    for g in range(cm.ngroups):
        try:
            Sigma, mu = cm.implied(theta, g)
        except np.linalg.LinAlgError:
            return np.inf
        Vi, logdet = _chol_inv(Sigma)
        if Vi is None:
            return np.inf
        S = stats.cov[g]
        f = logdet + np.sum(S * Vi) - stats.logdet[g] - cm.p
        if cm.meanstructure:
            d = stats.mean[g] - mu
            f += d @ Vi @ d
        total += stats.weights[g] * f
    return float(total) if np.isfinite(total) else np.inf


def _exact_extra(cm: CompiledModel, theta, g, Vi, W, SS, Sigma, U, V):
    """Exact-minus-expected Hessian of F_g on the cells (covariance part).

    ``d2F = E[d2F] + 2 tr(M dS_k Vi dS_l) + tr(W d2Sigma_kl)`` with
    ``M = Vi (S - Sigma) Vi``; second derivatives of Sigma only involve
    A-cells (A x A and A x S).
    """
    b = cm.blocks[g]
    M = Vi @ (SS - Sigma) @ Vi
    UV, VV = U @ Vi, V @ Vi
    UM, VM = U @ M, V @ M
    Quu, Qvv, Quv, Qvu = UV @ U.T, VV @ V.T, UV @ V.T, VV @ U.T
    Muu, Mvv, Muv, Mvu = UM @ U.T, VM @ V.T, UM @ V.T, VM @ U.T
    T2 = Qvu * Mvu.T + Qvv * Muu.T + Quu * Mvv.T + Quv * Muv.T
    extra = 2.0 * T2
    nA, nS = b.nA, b.nS
    if nA:
        A, S, m = cm.matrices(theta, g)
        T = np.linalg.inv(cm.eye - A)
        G = T[: cm.p]
        K = G.T @ W @ G
        C = T @ S @ G.T
        L = C @ W @ G
        Tot = T @ S @ T.T
        i, j = b.A_r, b.A_c
        Tt, Lt = T.T, L.T
        # A x A: 2 [T[b,i] L[j,a] + T[j,a] L[b,i] + Tot[j,b] K[a,i]]
        aa = 2.0 * (Tt[np.ix_(i, j)] * L[np.ix_(j, i)] + T[np.ix_(j, i)] * Lt[np.ix_(i, j)]
                    + Tot[np.ix_(j, j)] * K[np.ix_(i, i)])
        extra[:nA, :nA] += aa
        if nS:
            a_, b_ = b.S_r, b.S_c
            sc = np.where(a_ == b_, 0.5, 1.0)
            as_ = 2.0 * (T[np.ix_(j, a_)] * K[np.ix_(i, b_)] + T[np.ix_(j, b_)] * K[np.ix_(i, a_)]) * sc[None, :]
            extra[:nA, nA:nA + nS] += as_
            extra[nA:nA + nS, :nA] += as_.T
    return extra


def gradient_and_information(cm: CompiledModel, theta, stats: SampleStats, hessian=True, exact=False):
    """Pooled ``F``, its gradient and its expected Hessian (= 2 x information).

    With ``exact=True`` the Hessian is the exact second derivative of ``F``
    (mean-structure curvature terms that vanish when the means fit are
    omitted); used for the final Newton steps.

    Returns
    -------
    F : float
    grad : ndarray (q,)
    H : ndarray (q, q) or None
        ``sum_g w_g E[d2 F_g]``; the per-observation expected information is
        ``H / 2``.
    """
    q = cm.nfree
    F = 0.0
    grad = np.zeros(q)
    H = np.zeros((q, q)) if hessian else None
    for g in range(cm.ngroups):
        b = cm.blocks[g]
        Sigma, mu, U, V, dmu = cm.cells(theta, g)
        Vi, logdet = _chol_inv(Sigma)
        if Vi is None:
            return np.inf, None, None
        w = stats.weights[g]
        S = stats.cov[g]
        f = logdet + np.sum(S * Vi) - stats.logdet[g] - cm.p
        SS = S
        if cm.meanstructure:
            d = stats.mean[g] - mu
            Vd = Vi @ d
            f += d @ Vd
            SS = S + np.outer(d, d)
        W = Vi - Vi @ SS @ Vi
        gc = 2.0 * np.einsum("ij,ij->i", U @ W, V)
        if cm.meanstructure:
            gc -= 2.0 * (dmu @ Vd)
        F += w * f
        grad += w * (b.agg @ gc)
        if hessian:
            UV = U @ Vi
            VV = V @ Vi
            Puu = UV @ U.T
            Pvv = VV @ V.T
            Puv = UV @ V.T
            Hc = 2.0 * (Puu * Pvv + Puv * Puv.T)
            if cm.meanstructure:
                Hc += 2.0 * (dmu @ Vi @ dmu.T)
            if exact:
                Hc += _exact_extra(cm, theta, g, Vi, W, SS, Sigma, U, V)
            H += w * (b.agg @ Hc @ b.agg.T)
    return F, grad, H


def expected_information(cm: CompiledModel, theta, stats: SampleStats):
    """Per-observation expected information ``sum_g (N_g/N) I_g`` (lavaan's convention)."""
    _, _, H = gradient_and_information(cm, theta, stats)
    return None if H is None else 0.5 * H


def optimize_ml(cm: CompiledModel, stats: SampleStats, theta0, *, max_iter: int = 500,
                tol: float = 1e-9, newton_switch: float = 1e-2) -> OptResult:
    """Minimise the ML discrepancy from ``theta0``.

    Convergence: max |dF/dtheta| < ``tol`` (scaled by ``max(1, F)``), or no
    further decrease of ``F`` at machine precision with a gradient below
    ``sqrt(tol)``.
    """
    theta = np.array(theta0, dtype=float)
    q = cm.nfree
    if q == 0:
        F = objective(cm, theta, stats)
        return OptResult(theta, F / 2, np.isfinite(F), 0, "no free parameters", 0.0)
    F, g, H = gradient_and_information(cm, theta, stats)
    if not np.isfinite(F):
        return OptResult(theta, np.inf, False, 0, "starting values give a non-positive-definite implied covariance matrix", np.inf)
    it = 0
    msg = "iteration limit reached"
    converged = False
    stalled = False
    exact = False  # is H the exact Hessian?
    while it < max_iter:
        it += 1
        gmax = np.max(np.abs(g))
        if gmax < tol * max(1.0, abs(F)):
            converged, msg = True, "converged"
            break
        step = None
        if exact:
            try:
                cf = linalg.cho_factor(H, check_finite=False)
                step = linalg.cho_solve(cf, g, check_finite=False)
            except (linalg.LinAlgError, ValueError):
                step = None
                _, _, H = gradient_and_information(cm, theta, stats)  # back to expected
                exact = False
        try:
            if step is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", linalg.LinAlgWarning)
                    step = linalg.solve(H, g, assume_a="sym", check_finite=False)
            if not np.all(np.isfinite(step)):
                raise linalg.LinAlgError
        except (linalg.LinAlgError, ValueError):
            step = linalg.lstsq(H + 1e-8 * np.eye(q) * max(1.0, np.trace(H) / q), g)[0]
        slope = g @ step
        if slope <= 0:  # not a descent direction: use the gradient
            step = g / max(1.0, np.linalg.norm(g))
            slope = g @ step
        want_exact = gmax < newton_switch
        trial = theta - step
        Fn, gn, Hn = gradient_and_information(cm, trial, stats, exact=want_exact)
        accepted = np.isfinite(Fn) and Fn <= F - 1e-4 * slope
        if not accepted:
            alpha = 0.5
            for _ in range(40):
                trial = theta - alpha * step
                Ft = objective(cm, trial, stats)
                if Ft <= F - 1e-4 * alpha * slope:
                    accepted = True
                    break
                alpha *= 0.5
            if accepted:
                Fn, gn, Hn = gradient_and_information(cm, trial, stats, exact=want_exact)
        if not accepted:
            # no decrease possible: at the numerical minimum or stuck
            if gmax < np.sqrt(tol) * max(1.0, abs(F)):
                converged, msg = True, "converged (no further decrease at machine precision)"
            else:
                stalled = True
                msg = "line search failed"
            break
        theta, g, H, exact = trial, gn, Hn, want_exact
        if abs(F - Fn) < 1e-16 * max(1.0, abs(F)) and np.max(np.abs(g)) < np.sqrt(tol):
            F = Fn
            converged, msg = True, "converged (no further decrease)"
            break
        F = Fn
    if stalled or (not converged and it >= max_iter and max_iter >= 50):
        # fall back to quasi-Newton, then polish with scoring
        def fun(t):
            Fv, gv, _ = gradient_and_information(cm, t, stats, hessian=False)
            if not np.isfinite(Fv):
                return 1e10, np.zeros(q)
            return Fv, gv
        res = optimize.minimize(fun, theta, jac=True, method="L-BFGS-B",
                                options=dict(maxiter=5000, ftol=1e-15, gtol=1e-10))
        if res.fun < F:
            theta = res.x
            F, g, H = gradient_and_information(cm, theta, stats)
            if g is not None and np.max(np.abs(g)) < np.sqrt(tol):
                converged, msg = True, "converged (quasi-Newton fallback)"
                sub = optimize_ml(cm, stats, theta, max_iter=50, tol=tol) if max_iter >= 50 else None
                if sub is not None and sub.converged and sub.fmin * 2 <= F + 1e-12:
                    return OptResult(sub.theta, sub.fmin, True, it + res.nit + sub.iterations, msg, sub.max_grad)
    gmax = float(np.max(np.abs(g))) if g is not None else np.inf
    return OptResult(theta, F / 2, converged, it, msg, gmax)


def start_values(cm: CompiledModel, partable, stats: SampleStats) -> np.ndarray:
    """Moment-based starting values.

    Loadings and factor variances come from the first principal axis of
    each factor's indicator covariance block, scaled to the fixed marker
    loading; residual variances are half the observed variances (as in
    lavaan's "simple" start); regressions, covariances and latent means
    start at 0, intercepts at the sample means.  A ``start`` column value
    in the parameter table overrides.
    """
    q = cm.nfree
    acc = np.zeros(q)
    cnt = np.zeros(q)
    pt = partable
    ops = pt["op"].to_numpy()
    lhs = pt["lhs"].to_numpy()
    rhs = pt["rhs"].to_numpy()
    free = pt["free"].to_numpy().astype(int)
    ustart = pt["ustart"].to_numpy(dtype=float)
    ustart_col = pt["start"].to_numpy(dtype=float)
    grp = pt["group"].to_numpy().astype(int) - 1
    ovpos = {n: i for i, n in enumerate(cm.ov_names)}
    for g in range(cm.ngroups):
        S = stats.cov[g]
        mean = stats.mean[g]
        rows_g = np.flatnonzero(grp == g)
        load: dict[tuple, float] = {}
        psi: dict[str, float] = {}
        for f in cm.lv_names:
            idx = [i for i in rows_g if ops[i] == "=~" and lhs[i] == f and rhs[i] in ovpos]
            if not idx:
                continue
            inds = [ovpos[rhs[i]] for i in idx]
            sub = S[np.ix_(inds, inds)]
            if len(inds) == 1:
                lvec = np.array([np.sqrt(max(sub[0, 0], 1e-8) * 0.5)])
            else:
                ev, evec = np.linalg.eigh(sub)
                lam = max(ev[-1] - np.mean(ev[:-1]), ev[-1] * 0.5, 1e-8)
                lvec = evec[:, -1] * np.sqrt(lam)
                if lvec.sum() < 0:
                    lvec = -lvec
            marker = [k for k, i in enumerate(idx) if free[i] == 0 and np.isfinite(ustart[i]) and ustart[i] != 0]
            if marker:
                k = marker[0]
                lm = lvec[k] if abs(lvec[k]) > 1e-3 else np.sign(lvec[k] + 1e-12) * 1e-3
                scale = ustart[idx[k]] / lm
                for kk, i in enumerate(idx):
                    load[(f, rhs[i])] = lvec[kk] * scale
                psi[f] = (1.0 / scale) ** 2
            else:
                vrow = [i for i in rows_g if ops[i] == "~~" and lhs[i] == f and rhs[i] == f]
                v = ustart[vrow[0]] if vrow and free[vrow[0]] == 0 and np.isfinite(ustart[vrow[0]]) else 1.0
                for kk, i in enumerate(idx):
                    load[(f, rhs[i])] = lvec[kk] / np.sqrt(max(v, 1e-8))
                psi[f] = v
        for i in rows_g:
            k = free[i] - 1
            if k < 0:
                continue
            op = ops[i]
            if np.isfinite(ustart_col[i]):
                val = ustart_col[i]
            elif op == "=~":
                val = load.get((lhs[i], rhs[i]), 1.0)
            elif op == "~":
                val = 0.0
            elif op == "~~":
                if lhs[i] == rhs[i]:
                    if lhs[i] in ovpos:
                        val = 0.5 * S[ovpos[lhs[i]], ovpos[lhs[i]]]
                    else:
                        val = psi.get(lhs[i], 0.05)
                else:
                    val = 0.0
            elif op == "~1":
                val = mean[ovpos[lhs[i]]] if lhs[i] in ovpos else 0.0
            else:
                continue
            acc[k] += val
            cnt[k] += 1
    theta = np.where(cnt > 0, acc / np.maximum(cnt, 1), 0.1)
    return theta


def casewise_scores(cm: CompiledModel, theta, data_list, stats: SampleStats):
    """Per-observation gradients of the log-likelihood (one row per case).

    Without a mean structure the means are the sample means (saturated),
    as in lavaan.  Returns a list (per group) of (N_g, q) arrays.
    """
    out = []
    rr, cc = cm.rr, cm.cc
    for g in range(cm.ngroups):
        Y = data_list[g]
        Sigma, mu = cm.implied(theta, g)
        if not cm.meanstructure:
            mu = stats.mean[g]
        Vi, _ = _chol_inv(Sigma)
        Dt = cm.delta(theta, g)  # (pstar[+p], q)
        E = Y - mu
        Uc = E @ Vi  # (n, p) rows = Vi e_i
        cov_part = -0.5 * cm.vech_w * (Vi[rr, cc][None, :] - Uc[:, rr] * Uc[:, cc])
        if cm.meanstructure:
            s = np.hstack([cov_part, Uc])
        else:
            s = cov_part
        out.append(s @ Dt)
    return out


@dataclass
class MomentFit:
    """Result of :func:`fit_moments`."""

    theta: np.ndarray
    fmin: float
    chisq: float
    converged: bool
    admissible: bool
    iterations: int
    se: np.ndarray | None = None
    warnings: list = field(default_factory=list)


def _compiled(spec):
    if isinstance(spec, CompiledModel):
        return spec
    cm = getattr(spec, "_compiled_model", None)
    if cm is None:
        cm = CompiledModel(spec.partable, spec.ov_names, spec.lv_names, spec.ngroups, spec.meanstructure)
        try:
            object.__setattr__(spec, "_compiled_model", cm)
        except AttributeError:  # e.g. a frozen or slotted spec: compile every call
            pass
    return cm


def admissibility(cm: CompiledModel, theta):
    """List of problems: negative variances, non-PD latent covariance matrices."""
    problems = []
    for g, b in enumerate(cm.blocks):
        A, S, m = cm.matrices(theta, g)
        d = np.diag(S)
        names = cm.ov_names + cm.lv_names
        for i in np.flatnonzero(d < 0):
            problems.append((g, names[i], "negative variance"))
        lv = slice(cm.p, cm.nv)
        if cm.nlv:
            T = np.linalg.inv(cm.eye - A)
            tot = (T @ S @ T.T)[lv, lv]
            if np.min(np.linalg.eigvalsh(tot)) < -1e-10 * max(1.0, np.max(np.abs(tot))):
                problems.append((g, None, "latent covariance matrix not positive definite"))
    return problems


def fit_moments(spec_or_partable, S_list, mean_list, n_list, start=None, compute_se=False,
                max_iter: int = 200, tol: float = 1e-9, blas_threads_1: bool = True) -> MomentFit:
    """Fit a parsed model from sample moments only (fast path for resampling).

    Parameters
    ----------
    spec_or_partable : ModelSpec or CompiledModel
        The model; compiling is cached on the ModelSpec, so pass the same
        object on every call.
    S_list, mean_list, n_list : sequences (one entry per group)
        Covariance matrices with divisor N (ordered as ``spec.ov_names``),
        mean vectors and sample sizes.
    start : ndarray, optional
        Starting values (e.g. the full-sample estimates).
    compute_se : bool
        Also return expected-information standard errors.
    max_iter, tol
        Optimiser limits (gradient tolerance on the pooled ML discrepancy).
    blas_threads_1 : bool
        Limit BLAS to one thread during the fit (needs ``threadpoolctl``).
        Callers that already limit threads (e.g. in a worker process) can
        pass False to save the ~0.1 ms of switching.

    Returns
    -------
    MomentFit
        ``theta`` (free-parameter vector), ``fmin``, ``chisq``,
        ``converged``, ``admissible``, ``iterations`` and optionally ``se``.
    """
    if blas_threads_1:
        with single_threaded_blas():
            return fit_moments(spec_or_partable, S_list, mean_list, n_list, start, compute_se,
                               max_iter, tol, blas_threads_1=False)
    cm = _compiled(spec_or_partable)
    stats = SampleStats(list(S_list), list(mean_list), list(n_list))
    cm.set_exo(stats)
    if start is None:
        pt = getattr(spec_or_partable, "partable", None)
        if pt is None:
            raise ValueError("start values are required when passing a CompiledModel")
        start = start_values(cm, pt, stats)
    res = optimize_ml(cm, stats, start, max_iter=max_iter, tol=tol)
    warn = []
    problems = admissibility(cm, res.theta) if res.converged else []
    for g, name, what in problems:
        warn.append(f"{what}{' for ' + name if name else ''} (group {g + 1})")
    se = None
    if compute_se and res.converged:
        info = expected_information(cm, res.theta, stats)
        try:
            se = np.sqrt(np.diag(np.linalg.inv(info * stats.ntotal)))
        except np.linalg.LinAlgError:
            se = np.full(cm.nfree, np.nan)
    return MomentFit(res.theta, res.fmin, 2 * stats.ntotal * res.fmin, res.converged,
                     res.converged and not problems, res.iterations, se, warn)
