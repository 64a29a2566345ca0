"""An honest convergence check: refit from other starting values when the first fit is doubtful.

:func:`optimize_ml` from the default (moment-based) starting values can stop at a degenerate
solution of a badly fitting model: a residual variance running off to a large negative value
while a latent variance grows without bound, a ridge along which the discrepancy barely changes,
or no convergence at all within the iteration limit.  lavaan, from its own starting values,
may find a better (lower discrepancy, often admissible) solution of the same model.

:func:`retry_ml` refits such a model from

* lavaan's ``start = "simple"`` values (every free parameter 0, except loadings and
  (residual) variances at 1 and, as lavaan's ``"simple"`` does for a mean structure,
  observed intercepts at 0);
* the default starting values again, with a trust-region Newton method (exact second
  derivatives by differencing the analytic gradient), which does not follow the ridge;
* a few perturbed default starts (variances times ``exp(N(0, 0.3^2))``, other parameters plus
  ``N(0, 0.3^2) x max(0.1, |value|)``; a fixed seed, so a refit is reproducible),

and keeps the solution with the lowest discrepancy (the maximum-likelihood estimate); among
solutions within ``1e-9`` of it an admissible one is preferred.  The perturbed starts are tried
only while no admissible solution has been found (they cost a few trust-region runs each).

Notes
-----
Checked on Holzinger-Swineford models with equal intercepts on x2 and x3 (a badly fitting model):
by school, lavaan 0.6.14 finds chi-square 842.037 where the default start did not converge (the
retry finds 842.037); with equal loadings 848.246 (the same after the retry); see
tests/test_sem_battery.py.

References
----------
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of Statistical
Software, 48(2), 1-36 (``start = "simple"``).
Nocedal, J., & Wright, S. J. (2006). Numerical optimization (2nd ed.), ch. 4 (trust-region
Newton).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from .estimate import OptResult, admissibility, gradient_and_information, optimize_ml, start_values
from .model import CompiledModel, SampleStats

__all__ = ["RetryReport", "needs_retry", "retry_ml", "simple_start_values"]

#: seed of the perturbed starts (fixed: the same data give the same fit)
RETRY_SEED = 20261201
N_PERTURBED = 3


def simple_start_values(cm: CompiledModel, partable) -> np.ndarray:
    """lavaan's ``start = "simple"``: 0 for every free parameter, 1 for loadings and variances."""
    theta = np.zeros(cm.nfree)
    free = partable["free"].to_numpy().astype(int)
    ops = partable["op"].to_numpy()
    lhs = partable["lhs"].to_numpy()
    rhs = partable["rhs"].to_numpy()
    for i in range(len(partable)):
        k = free[i] - 1
        if k < 0:
            continue
        if ops[i] == "=~" or (ops[i] == "~~" and lhs[i] == rhs[i]):
            theta[k] = 1.0
    return theta


def needs_retry(cm: CompiledModel, opt: OptResult) -> bool:
    """Refit when the optimiser did not converge or stopped at a negative variance."""
    if not opt.converged:
        return True
    return any(what == "negative variance" for _g, _name, what in admissibility(cm, opt.theta))


def _trust_newton(cm: CompiledModel, stats: SampleStats, theta0, max_iter: int = 60):
    """Trust-region Newton on the ML discrepancy; the Hessian differences the analytic gradient."""
    q = cm.nfree
    cache = {}

    def fg(t):
        key = t.tobytes()
        if key not in cache:
            F, g, _ = gradient_and_information(cm, t, stats, hessian=False)
            if not np.isfinite(F) or g is None:
                F, g = np.inf, None
            cache.clear()
            cache[key] = (F, g)
        return cache[key]

    def fun(t):
        F, _ = fg(t)
        return F if np.isfinite(F) else 1e10

    def jac(t):
        _, g = fg(t)
        return np.zeros(q) if g is None else g

    def hess(t):
        if not cm.meanstructure:  # the analytic exact Hessian is complete without a mean structure
            He = gradient_and_information(cm, t, stats, exact=True)[2]
            return He if He is not None else np.eye(q)
        H = np.zeros((q, q))
        for k in range(q):
            h = 1e-6 * max(1.0, abs(t[k]))
            tp, tm = t.copy(), t.copy()
            tp[k] += h
            tm[k] -= h
            gp = gradient_and_information(cm, tp, stats, hessian=False)[1]
            gm = gradient_and_information(cm, tm, stats, hessian=False)[1]
            if gp is None or gm is None:  # at the edge of the admissible region: expected information
                He = gradient_and_information(cm, t, stats)[2]
                # scipy also asks for the Hessian at proposed points it will reject (F = inf there)
                return He if He is not None else np.eye(q)
            H[:, k] = (gp - gm) / (2 * h)
        return 0.5 * (H + H.T)

    if not np.isfinite(fg(np.asarray(theta0, dtype=float))[0]):
        return None
    try:
        res = optimize.minimize(
            fun,
            np.asarray(theta0, dtype=float),
            jac=jac,
            hess=hess,
            method="trust-exact",
            options=dict(gtol=1e-9, maxiter=max_iter),
        )
    except (np.linalg.LinAlgError, ValueError, FloatingPointError):
        return None
    if not np.isfinite(res.fun) or res.fun >= 1e10:
        return None
    return res.x


@dataclass
class RetryReport:
    """What the retry found: the first fit's and the kept fit's chi-square and where it came from."""

    first_chisq: float
    first_converged: bool
    first_admissible: bool
    chisq: float
    start: str
    tried: int
    changed: bool

    def message(self) -> str:
        if not self.changed:
            return (
                f"the first fit {'did not converge' if not self.first_converged else 'was not admissible'}"
                f"; {self.tried} refits from other starting values (lavaan's 'simple' start, "
                "trust-region Newton, perturbed starts) found no better solution"
            )
        first = (
            "did not converge"
            if not self.first_converged
            else f"stopped at chi-square {self.first_chisq:.4f}"
            + ("" if self.first_admissible else " with a negative variance")
        )
        return (
            f"the fit from the default starting values {first}; a refit from other starting "
            f"values ({self.start}) found a better solution, chi-square {self.chisq:.4f}, which is "
            "reported"
        )


def retry_ml(cm: CompiledModel, partable, stats: SampleStats, opt: OptResult, *, max_iter: int = 500):
    """Refit from other starting values and keep the best solution (see the module notes).

    ``max_iter`` (the caller's iteration limit) also bounds each refit (at most 60 trust-region
    steps and 50 polishing steps).

    Returns
    -------
    opt : OptResult
        The kept solution (``opt`` itself when no refit is better).
    report : RetryReport
    """
    N = stats.ntotal
    first_adm = opt.converged and not needs_retry(cm, opt)
    cands = []  # (F, admissible, theta, where, iterations)
    if opt.converged:
        cands.append((2 * opt.fmin, first_adm, opt.theta, "default", opt.iterations))
    t_default = start_values(cm, partable, stats)
    starts = [
        ("default start, trust-region Newton", t_default, True),
        ("lavaan's 'simple' start", simple_start_values(cm, partable), True),
    ]
    rng = np.random.default_rng(RETRY_SEED)
    var = cm.variance_mask
    for j in range(N_PERTURBED):
        z = rng.normal(0.0, 0.3, cm.nfree)
        t = np.where(var, t_default * np.exp(z), t_default + z * np.maximum(0.1, np.abs(t_default)))
        starts.append((f"perturbed start {j + 1}", t, True))
    tried = 0
    for where, t0, trust_only in starts:
        if where.startswith("perturbed") and any(c[1] for c in cands):
            break  # perturbed starts only while no admissible solution is at hand
        tried += 1
        th = None
        its = 0
        if not trust_only:
            o = optimize_ml(cm, stats, t0, max_iter=max_iter)
            if o.converged:
                th, its = o.theta, o.iterations
        if th is None:
            x = _trust_newton(cm, stats, t0, max_iter=min(60, max_iter))
            if x is None:
                continue
            # polish and apply the usual convergence test
            o = optimize_ml(cm, stats, x, max_iter=min(50, max_iter))
            if not o.converged:
                continue
            th, its = o.theta, o.iterations
        F = 2 * o.fmin
        adm = not any(w == "negative variance" for _g, _n, w in admissibility(cm, th))
        cands.append((F, adm, th, where, its))
    if not cands:
        return opt, RetryReport(np.nan, opt.converged, False, np.nan, "none", tried, False)
    Fmin = min(c[0] for c in cands)
    near = [c for c in cands if c[0] <= Fmin + 1e-9 * max(1.0, abs(Fmin))]
    best = next((c for c in near if c[1]), near[0])
    first_chisq = 2 * opt.fmin * N if opt.converged else np.nan
    changed = best[3] != "default" and (
        not opt.converged or best[0] < 2 * opt.fmin - 1e-9 * max(1.0, Fmin) or (best[1] and not first_adm)
    )
    if not changed:
        return opt, RetryReport(first_chisq, opt.converged, first_adm, first_chisq, "default", tried, False)
    F, _adm, th, where, its = best
    g = gradient_and_information(cm, th, stats, hessian=False)[1]
    new = OptResult(
        th,
        F / 2,
        True,
        opt.iterations + its,
        f"converged (refit from {where})",
        float(np.max(np.abs(g))) if g is not None else np.inf,
    )
    return new, RetryReport(first_chisq, opt.converged, first_adm, F * N, where, tried, True)
