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
from scipy.linalg import lapack

from validate.blas import single_threaded_blas

from .model import CompiledModel, SampleStats

__all__ = [
    "MomentFit",
    "OptResult",
    "casewise_scores",
    "cov_hessian",
    "expected_information",
    "fit_moments",
    "gradient_and_information",
    "objective",
    "optimize_ml",
    "refit_newton",
    "start_values",
]


@dataclass
class OptResult:
    theta: np.ndarray
    fmin: float  # F / 2, lavaan's fmin
    converged: bool
    iterations: int
    message: str
    max_grad: float


def chol_inv(Sigma):
    """Cholesky-based inverse and log-determinant; None when not positive definite."""
    L, info = lapack.dpotrf(Sigma, lower=1, clean=1)
    if info != 0:
        return None, None
    logdet = 2.0 * np.sum(np.log(L.diagonal()))
    Li, info = lapack.dtrtri(L, lower=1)
    if info != 0:
        return None, None
    return Li.T @ Li, logdet


def objective(cm: CompiledModel, theta, stats: SampleStats) -> float:
    """Pooled ML discrepancy ``F`` (``inf`` if an implied matrix is not PD)."""
    total = 0.0
    for g in range(cm.ngroups):
        try:
            Sigma, mu = cm.implied(theta, g)
        except np.linalg.LinAlgError:
            return np.inf
        Vi, logdet = chol_inv(Sigma)
        if Vi is None:
            return np.inf
        S = stats.cov[g]
        f = logdet + np.vdot(S, Vi) - stats.logdet[g] - cm.p
        if cm.meanstructure:
            d = stats.mean[g] - mu
            f += d @ Vi @ d
        total += stats.weights[g] * f
    return float(total) if np.isfinite(total) else np.inf


def cov_hessian(st, Vi, W, ZW, Z, exact):
    """Expected (or exact) Hessian of the covariance part of F_g on the cells.

    Every cell's ``dSigma = u v' + v u'`` has ``u``, ``v`` among the rows of
    ``Z`` (:meth:`_State.basis`), so all the ``u_k' M v_l`` products are
    gathered from ``Z M Z'`` (2 nv + 1 square) instead of a product of the
    stacked ``[U; V]`` (2 ncells square).  With ``Q = Z Vi Z'`` the expected
    part is ``2 (Puu Pvv + Puv Puv')``; the exact Hessian adds
    ``2 tr(M dS_k Vi dS_l)`` with ``M = Vi (S - Sigma) Vi = -W`` and
    ``tr(W d2Sigma_kl)``, whose second derivatives only involve A-cells
    (A x A and A x S).
    """
    b = st.b
    Q = (Z @ Vi) @ Z.T
    Quu, Qvv, Quv = Q.take(b.z_uu), Q.take(b.z_vv), Q.take(b.z_uv)
    Hc = Quu * Qvv
    Hc += Quv * Quv.T
    if exact:
        QW = ZW @ Z.T  # Z W Z' = -Z M Z'
        Ruv = QW.take(b.z_uv)
        Hc -= Quv.T * Ruv
        Hc -= Qvv * QW.take(b.z_uu)
        Hc -= Quu * QW.take(b.z_vv)
        Hc -= Quv * Ruv.T
    Hc *= b.z_s2
    Hc *= 2.0
    if exact:
        add_sigma_curvature(st, QW, Hc)
    return Hc


def add_sigma_curvature(st, QW, Hc):
    """Add ``tr(W d2Sigma / dcell_k dcell_l)`` to the cell Hessian ``Hc`` (in place).

    ``QW = Z W Z'`` with ``Z`` = :meth:`_State.basis` and ``W`` the symmetric matrix with
    ``dF = tr(W dSigma)``; only A x A and A x S cells have second derivatives of Sigma.
    """
    b = st.b
    nA, nS = b.nA, b.nS
    if nA:
        nv = st.cm.nv
        T = st.T
        K = QW[:nv, :nv]  # G' W G
        L = QW[nv : 2 * nv, :nv]  # T S G' W G
        Tot = st.total()
        # A x A: 2 [T[b,i] L[j,a] + T[j,a] L[b,i] + Tot[j,b] K[a,i]]
        t1 = T.take(b.h_ji)
        z = t1 * L.take(b.h_ji).T
        aa = z + z.T
        aa += Tot.take(b.h_jj) * K.take(b.h_ii)
        aa *= 2.0
        Hc[:nA, :nA] += aa
        if nS:
            as_ = T.take(b.h_ja) * K.take(b.h_ib)
            as_ += T.take(b.h_jb) * K.take(b.h_ia)
            as_ *= 2.0 * b.h_ssc[None, :]
            Hc[:nA, nA : nA + nS] += as_
            Hc[nA : nA + nS, :nA] += as_.T
    return Hc


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
        try:
            st = cm.state(theta, g)
        except np.linalg.LinAlgError:
            return np.inf, None, None
        Vi, logdet = chol_inv(st.Sigma)
        if Vi is None:
            return np.inf, None, None
        w = stats.weights[g]
        S = stats.cov[g]
        f = logdet + np.vdot(S, Vi) - stats.logdet[g] - cm.p
        SS = S
        if cm.meanstructure:
            d = stats.mean[g] - st.mu
            Vd = Vi @ d
            f += d @ Vd
            SS = S + np.outer(d, d)
        W = Vi - Vi @ SS @ Vi
        Z = st.basis()
        ZW = Z @ W
        # dF/dcell = tr(W dSigma) = 2 u' W v
        gc = np.einsum("ij,ij->i", ZW.take(b.z_u, axis=0), Z.take(b.z_v, axis=0))
        gc *= 2.0 * b.z_su
        if cm.meanstructure:
            dmu = st.dmu()
            gc -= 2.0 * (dmu @ Vd)
        F += w * f
        if b.cell_inv is not None:
            grad += w * gc.take(b.cell_inv)
        else:
            grad += w * (b.agg @ gc)
        if hessian:
            Hc = cov_hessian(st, Vi, W, ZW, Z, exact)
            if cm.meanstructure:
                Hc += 2.0 * ((dmu @ Vi) @ dmu.T)
            if b.cell_inv is not None:
                H += w * Hc.take(b.cell_inv2).reshape(q, q)
            else:
                H += w * (b.agg @ Hc @ b.agg.T)
    return F, grad, H


def _factor_solve(H, g):
    """``(cholesky_factor, x)`` with ``H x = g``; ``(None, None)`` when ``H`` is not positive definite."""
    c, x, info = lapack.dposv(H, g, lower=1)
    if info != 0 or not np.all(np.isfinite(x)):
        return None, None
    return c, x


def _solve_pd(H, g):
    """Solve ``H x = g`` by Cholesky; None when ``H`` is not positive definite."""
    _, x, info = lapack.dposv(H, g, lower=1)
    if info != 0 or not np.all(np.isfinite(x)):
        return None
    return x


def expected_information(cm: CompiledModel, theta, stats: SampleStats):
    """Per-observation expected information ``sum_g (N_g/N) I_g`` (lavaan's convention)."""
    _, _, H = gradient_and_information(cm, theta, stats)
    return None if H is None else 0.5 * H


def optimize_ml(
    cm: CompiledModel,
    stats: SampleStats,
    theta0,
    *,
    max_iter: int = 500,
    tol: float = 1e-9,
    newton_switch: float = 1e-2,
) -> OptResult:
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
        return OptResult(
            theta, np.inf, False, 0, "starting values give a non-positive-definite implied covariance matrix", np.inf
        )
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
        step = _solve_pd(H, g)
        if step is None and exact:
            _, _, H = gradient_and_information(cm, theta, stats)  # back to expected
            exact = False
            step = _solve_pd(H, g)
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

        res = optimize.minimize(
            fun, theta, jac=True, method="L-BFGS-B", options=dict(maxiter=5000, ftol=1e-15, gtol=1e-10)
        )
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


def refit_newton(
    cm: CompiledModel,
    stats: SampleStats,
    theta0,
    *,
    tol: float = 1e-9,
    step_tol: float = 1e-5,
    chord_tol: float = 1e-7,
    lazy: float = 1e-3,
    max_iter: int = 15,
) -> OptResult:
    """Newton's method with the exact Hessian, for refits from a start near the optimum.

    Meant for refits from the full-sample estimates (the bootstrap), where
    :func:`optimize_ml`'s scoring phase and line searches are wasted work:

    * positive variances are stepped on the log scale (``v = exp(phi)``),
      where the ML discrepancy is far closer to quadratic (a Newton step in
      ``v`` overshoots by tens of percent one standard error away); a
      variance that a step would shrink by more than 40% goes back to the
      linear scale (its optimum may be zero or negative);
    * the first step uses the expected information at ``theta0`` (it does not
      depend on the data, so it is computed once per start vector and cached);
    * once a step is below ``lazy`` in every parameter, the Hessian is no
      longer recomputed (chord steps; the Hessian is then accurate to about
      the step size, so each chord step gains about three digits).

    Stops when the gradient meets :func:`optimize_ml`'s criterion or, after
    taking it, when a Newton step is below ``step_tol`` (error of the order
    of ``step_tol**2``) or a chord step below ``chord_tol`` in every
    parameter; ``fmin`` is then the quadratic model's prediction.  Gives up
    (``converged=False``, ``theta`` = the last accepted point, from which
    :func:`optimize_ml` can take over) when a step is not a clear descent
    step, no positive-definite matrix is at hand, or more than ``max_iter``
    steps are needed.  A full step that does not decrease the discrepancy
    enough is halved (Armijo), and where the exact Hessian is indefinite the
    expected information gives the step.
    """
    theta = np.array(theta0, dtype=float)
    q = cm.nfree

    def give_up(why, F=np.inf):
        return OptResult(theta, F / 2, False, it, f"Newton refit gave up: {why}", np.inf)

    it = 0
    if q == 0:
        return give_up("no free parameters")
    logv = cm.variance_mask & (theta > 0)
    H0 = _start_information(cm, theta, stats)
    F, g, H = gradient_and_information(cm, theta, stats, hessian=H0 is None, exact=True)
    if not np.isfinite(F):
        return give_up("the start is not admissible")
    if H0 is not None:
        H = H0
    fresh = H0 is None
    factor = None  # Cholesky factor of the current (log-scale) Hessian, reused by chord steps
    dstride = slice(None, None, q + 1)
    while it < max_iter:
        gmax = np.max(np.abs(g))
        small_grad = gmax < tol * max(1.0, abs(F))
        J = np.where(logv, theta, 1.0)
        gp = g * J
        step = None
        if factor is not None:  # chord step: the Hessian (and its scaling) of an earlier point
            step, info = lapack.dpotrs(factor, gp, lower=1)
            if info != 0 or not np.all(np.isfinite(step)):
                step = None
        if step is None:
            Hp = H * np.outer(J, J)
            if logv.any():
                Hl = Hp.copy()
                Hl.ravel()[dstride] += gp * logv
                factor, step = _factor_solve(Hl, gp)
            if step is None:
                factor, step = _factor_solve(Hp, gp)
        if step is None and not fresh:
            _, _, H = gradient_and_information(cm, theta, stats, exact=True)
            fresh, factor = True, None
            continue
        if step is None:  # the exact Hessian is indefinite here: one scoring step
            _, _, HE = gradient_and_information(cm, theta, stats)
            factor, step = _factor_solve(HE * np.outer(J, J), gp)
            factor = None
        slope = -1.0 if step is None else gp @ step
        if not slope > 0:
            if small_grad:
                return OptResult(theta, F / 2, True, it, "converged", float(gmax))
            return give_up("no descent direction", F)
        shrink = logv & (step > 0.5)
        if shrink.any():  # a variance heading for zero: back to the linear scale
            logv &= ~shrink
            factor = None
            continue
        it += 1
        smax = np.max(np.abs(step))
        trial = np.where(logv, theta * np.exp(-step), theta - step)
        if small_grad or smax < (step_tol if fresh else chord_tol):
            # the last (tiny) step is taken without evaluating F again
            return OptResult(trial, (F - 0.5 * slope) / 2, True, it, "converged (Newton step)", float(gmax))
        need_h = smax >= lazy
        Fn, gn, Hn = gradient_and_information(cm, trial, stats, hessian=need_h, exact=True)
        # Armijo, with room for rounding in F once the steps are tiny
        slack = 1e-14 * max(1.0, abs(F))
        if not (np.isfinite(Fn) and Fn <= F - 1e-4 * slope + slack):
            alpha = 0.5
            for _ in range(20):  # back-tracking on the objective alone
                trial = np.where(logv, theta * np.exp(-alpha * step), theta - alpha * step)
                if objective(cm, trial, stats) <= F - 1e-4 * alpha * slope + slack:
                    break
                alpha *= 0.5
            else:
                return give_up("no step decreased the discrepancy", F)
            need_h = True
            Fn, gn, Hn = gradient_and_information(cm, trial, stats, exact=True)
        theta, F, g = trial, Fn, gn
        if need_h:
            H, factor = Hn, None
        fresh = need_h
    return give_up("iteration limit", F)


def _start_information(cm: CompiledModel, theta0, stats: SampleStats):
    """Expected Hessian at ``theta0`` (data-free), cached per start vector; None with fixed.x."""
    if cm.has_exo:
        return None
    key = (theta0.tobytes(), stats.weights.tobytes())
    cache = getattr(cm, "_start_info", None)
    if cache is not None and cache[0] == key:
        return cache[1]
    _, _, H = gradient_and_information(cm, theta0, stats)
    if H is None:
        return None
    cm._start_info = (key, H)
    return H


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
        Vi, _ = chol_inv(Sigma)
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


def compiled_model(spec):
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
    for g, _b in enumerate(cm.blocks):
        A, S, m = cm.matrices(theta, g)
        d = np.diag(S)
        names = cm.ov_names + cm.lv_names
        for i in np.flatnonzero(d < 0):
            problems.append((g, names[i], "negative variance"))
        if cm.nlv:
            Tl = cm.inverse_i_minus_a(A)[cm.p :]
            tot = Tl @ S @ Tl.T
            if lapack.dpotrf(tot, lower=1)[1] == 0:  # positive definite: the common case
                continue
            if np.min(np.linalg.eigvalsh(tot)) < -1e-10 * max(1.0, np.max(np.abs(tot))):
                problems.append((g, None, "latent covariance matrix not positive definite"))
    return problems


def fit_moments(
    spec_or_partable,
    S_list,
    mean_list,
    n_list,
    start=None,
    compute_se=False,
    max_iter: int = 200,
    tol: float = 1e-9,
    blas_threads_1: bool = True,
) -> MomentFit:
    """Fit a parsed model from sample moments only (fast path for resampling).

    Parameters
    ----------
    spec_or_partable : ParTable or CompiledModel
        The model; compiling is cached on the ParTable, so pass the same
        object on every call.
    S_list, mean_list, n_list : sequences (one entry per group)
        Covariance matrices with divisor N (ordered as ``spec.ov_names``),
        mean vectors and sample sizes.
    start : ndarray, optional
        Starting values (e.g. the full-sample estimates).  With a start the
        fit is :func:`refit_newton` (Newton steps from the start; about five
        for a bootstrap resample), falling back to :func:`optimize_ml` from
        where it stopped if it gives up; without one, moment-based start
        values and :func:`optimize_ml`.
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
            return fit_moments(
                spec_or_partable, S_list, mean_list, n_list, start, compute_se, max_iter, tol, blas_threads_1=False
            )
    cm = compiled_model(spec_or_partable)
    stats = SampleStats(list(S_list), list(mean_list), list(n_list))
    cm.set_exo(stats)
    from_start = True
    if start is None:
        pt = getattr(spec_or_partable, "partable", None)
        if pt is None:
            raise ValueError("start values are required when passing a CompiledModel")
        start = start_values(cm, pt, stats)
        from_start = False
    res = None
    if from_start:
        res = refit_newton(cm, stats, start, tol=tol)
        if not res.converged:
            it0 = res.iterations
            res = optimize_ml(cm, stats, res.theta if np.isfinite(res.fmin) else start, max_iter=max_iter, tol=tol)
            res.iterations += it0
    else:
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
    return MomentFit(
        res.theta,
        res.fmin,
        2 * stats.ntotal * res.fmin,
        res.converged,
        res.converged and not problems,
        res.iterations,
        se,
        warn,
    )
