"""General equality and inequality constraints (lavaan's ``==``, ``<``, ``>`` with expressions).

``a + b == 2``, ``b1 == (b2 + b3)^2``, ``a < 0.5``, ``b1 > exp(b2 + b3)``: each constraint is a
function ``c(theta)`` of the labelled parameters (and of ``:=`` defined parameters), held at
``c = 0`` (``==``) or ``c >= 0`` (``<``, ``>``, written as lavaan does: ``lhs - rhs`` or
``rhs - lhs``).  An ``==`` between two plain labels is applied by sharing the parameter instead
(:mod:`validate.sem.syntax`) and is not handled here.

Estimation
----------
Sequential quadratic programming on the ML discrepancy ``F``: each step solves the KKT system

    [[H, J'], [J, 0]] [d; -lambda] = [-g; -c]

for the equality constraints and the active inequality constraints (``H`` the expected
information of ``F`` plus the curvature of the constraints weighted by their multipliers,
``J`` the constraint Jacobian by central differences), with an Armijo line search on the
``l1`` merit function ``F + mu sum |c|``.  An outer active-set loop adds a violated inequality
and drops an active one whose multiplier has the wrong sign, until the solution satisfies every
constraint and the Karush-Kuhn-Tucker conditions (gradient of the Lagrangian below ``1e-9``).

Standard errors
---------------
As lavaan 0.6 (``lav_model_information_augment_invert``): with ``H`` the Jacobian of the
equality and active inequality constraints, the covariance matrix of the estimates is the
upper-left block of the (generalised) inverse of the bordered information matrix
``[[I + H'H, H'], [H, 0]]``, which equals ``P (P' I P)^-1 P'`` with ``P`` a basis of the null
space of ``H``.  For MLR the same constrained inverse of the observed information is both bread
of the sandwich.  Degrees of freedom gain one per equality constraint (inequality constraints do
not count) and ``npar`` loses one, as lavaan reports them.

Notes
-----
Checked against lavaan 0.6.14 on the battery (tests/fixtures/lavaan/battery.json): ``a + b == 2``,
``a == 2*b^2``, an active and an inactive inequality on a Holzinger-Swineford loading, and the
tutorial's ``b1 == (b2 + b3)^2`` with and without ``b1 > exp(b2 + b3)``.

References
----------
Nocedal, J., & Wright, S. J. (2006). Numerical optimization (2nd ed.), ch. 18 (SQP).
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of Statistical
Software, 48(2), 1-36.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from .errors import ModelError
from .estimate import OptResult, gradient_and_information, objective

__all__ = ["ConstraintSet", "constrained_ml", "projected_inverse"]


class ConstraintSet:
    """The general constraints of a model as functions of the free-parameter vector.

    Parameters
    ----------
    spec : ParTable
        With ``spec.constraints`` (see :class:`validate.sem.syntax.Constraint`).
    core : pandas.DataFrame
        The parameter table without ``:=`` rows (the rows of the compiled model).
    """

    def __init__(self, spec, core):
        self.constraints = list(spec.constraints)
        self.defined = list(spec.defined)
        self.is_eq = np.array([c.op == "==" for c in self.constraints], dtype=bool)
        free = core["free"].to_numpy().astype(int)
        ustart = core["ustart"].to_numpy(dtype=float)
        self._names = {}  # label -> ("free", k) | ("fixed", value)
        for lab_col in ("label", "plabel"):
            for i, lab in enumerate(core[lab_col].to_numpy()):
                if lab and lab not in self._names:
                    self._names[lab] = ("free", free[i] - 1) if free[i] > 0 else ("fixed", ustart[i])
        self.n_eq = int(self.is_eq.sum())

    def __len__(self):
        return len(self.constraints)

    def _labels(self, theta):
        vals = {n: (theta[v] if kind == "free" else v) for n, (kind, v) in self._names.items()}
        for name, ex in self.defined:
            try:
                vals[name] = ex.evaluate(vals)
            except (ZeroDivisionError, OverflowError, ValueError):
                vals[name] = float("nan")
        return vals

    def values(self, theta) -> np.ndarray:
        """``c(theta)``: 0 when an equality holds, >= 0 when an inequality holds."""
        vals = self._labels(np.asarray(theta, dtype=float))
        out = np.empty(len(self.constraints))
        for j, c in enumerate(self.constraints):
            try:
                out[j] = c.value(vals)
            except (ZeroDivisionError, OverflowError, ValueError):
                out[j] = np.nan
        return out

    def jacobian(self, theta) -> np.ndarray:
        """``dc/dtheta`` (constraints x free parameters), central differences."""
        theta = np.asarray(theta, dtype=float)
        J = np.zeros((len(self.constraints), len(theta)))
        for k in range(len(theta)):
            h = 1e-6 * max(1.0, abs(theta[k]))
            tp, tm = theta.copy(), theta.copy()
            tp[k] += h
            tm[k] -= h
            J[:, k] = (self.values(tp) - self.values(tm)) / (2 * h)
        return J

    def curvature(self, theta, lam, idx) -> np.ndarray:
        """``sum_j lam_j d2c_j/dtheta2`` over the constraints ``idx`` (differences of the Jacobian)."""
        theta = np.asarray(theta, dtype=float)
        q = len(theta)
        C = np.zeros((q, q))
        if not len(idx) or not np.any(lam):
            return C
        for k in range(q):
            h = 1e-4 * max(1.0, abs(theta[k]))
            tp, tm = theta.copy(), theta.copy()
            tp[k] += h
            tm[k] -= h
            C[:, k] = lam @ ((self.jacobian(tp)[idx] - self.jacobian(tm)[idx]) / (2 * h))
        return 0.5 * (C + C.T)


def projected_inverse(info, J) -> np.ndarray:
    """Upper-left block of the inverse of ``[[info + J'J, J'], [J, 0]]`` (lavaan's constrained inverse).

    Equals ``P (P' info P)^-1 P'`` with ``P`` an orthonormal basis of the null space of ``J``.
    Raises ``numpy.linalg.LinAlgError`` when ``P' info P`` is singular.
    """
    if J is None or len(J) == 0:
        return np.linalg.inv(info)
    P = linalg.null_space(J)
    M = P.T @ info @ P
    return P @ np.linalg.inv(M) @ P.T


def _kkt_step(H, g, J, c):
    q, m = H.shape[0], J.shape[0]
    K = np.zeros((q + m, q + m))
    K[:q, :q] = H
    K[:q, q:] = J.T
    K[q:, :q] = J
    rhs = np.concatenate([-g, -c])
    try:
        sol = linalg.solve(K, rhs, assume_a="sym", check_finite=False)
    except (linalg.LinAlgError, ValueError):
        sol = linalg.lstsq(K, rhs)[0]
    return sol[:q], -sol[q:]  # step, multipliers (g = J' lambda at the solution)


def _sqp(cm, stats, cons, theta, active, max_iter, tol):
    """Equality-constrained SQP on the constraints ``active`` (indices); returns theta, F, lam, its, ok."""
    lam = np.zeros(len(active))
    mu = 10.0
    it = 0
    F, g, H = gradient_and_information(cm, theta, stats)
    if not np.isfinite(F):
        return theta, np.inf, lam, it, False
    while it < max_iter:
        it += 1
        c = cons.values(theta)[active] if len(active) else np.zeros(0)
        J = cons.jacobian(theta)[active] if len(active) else np.zeros((0, len(theta)))
        if len(active):
            lam_ls = linalg.lstsq(J.T, g)[0]
            kkt = np.max(np.abs(g - J.T @ lam_ls))
        else:
            lam_ls, kkt = lam, np.max(np.abs(g))
        if kkt < tol * max(1.0, abs(F)) and (not len(c) or np.max(np.abs(c)) < 1e-10):
            return theta, F, lam_ls, it, True
        Hbase = H
        if kkt < 1e-2:  # near the solution: the exact Hessian (Newton), as optimize_ml does
            He = gradient_and_information(cm, theta, stats, exact=True)[2]
            if He is not None:
                Hbase = He
        Hl = Hbase + cons.curvature(theta, -lam, active) if len(active) else Hbase
        if np.linalg.eigvalsh(Hl)[0] <= 0:
            Hl = H
        d, lam_new = _kkt_step(Hl, g, J, c)
        if not np.all(np.isfinite(d)):
            return theta, F, lam, it, False
        small = np.max(np.abs(d) / np.maximum(1.0, np.abs(theta)))
        if small < 1e-10 and (not len(c) or np.max(np.abs(c)) < 1e-10):
            return theta + d, F, lam_new, it, True  # the step is below what F can resolve
        if small < 1e-6:  # the quadratic model is exact to rounding here: take the full step
            theta = theta + d
            lam = lam_new
            F, g, H = gradient_and_information(cm, theta, stats)
            if not np.isfinite(F):
                return theta, np.inf, lam, it, False
            continue
        mu = max(mu, 2.0 * np.max(np.abs(lam_new), initial=0.0) + 1.0)
        merit = F + mu * np.sum(np.abs(c))
        slope = g @ d - mu * np.sum(np.abs(c))
        alpha = 1.0
        for _ in range(40):
            trial = theta + alpha * d
            Ft = objective(cm, trial, stats)
            ct = cons.values(trial)[active] if len(active) else np.zeros(0)
            if (
                np.isfinite(Ft)
                and np.all(np.isfinite(ct))
                and Ft + mu * np.sum(np.abs(ct)) <= merit + 1e-4 * alpha * min(slope, 0.0) + 1e-15 * max(1.0, F)
            ):
                break
            alpha *= 0.5
        else:
            ok = kkt < np.sqrt(tol) * max(1.0, abs(F)) and (not len(c) or np.max(np.abs(c)) < 1e-8)
            return theta, F, lam_ls, it, ok
        theta = trial
        lam = lam_new
        F, g, H = gradient_and_information(cm, theta, stats)
    return theta, F, lam, it, False


def constrained_ml(cm, stats, cons: ConstraintSet, theta0, *, max_iter: int = 500, tol: float = 1e-9):
    """Minimise the ML discrepancy under the general constraints (see the module notes).

    Returns
    -------
    opt : OptResult
    active : ndarray of int
        Indices of the constraints that hold with equality at the solution (every ``==`` and the
        binding inequalities): the rows of the Jacobian used for the standard errors.
    """
    theta = np.array(theta0, dtype=float)
    eq = list(np.flatnonzero(cons.is_eq))
    ineq = [j for j in range(len(cons)) if not cons.is_eq[j]]
    c0 = cons.values(theta)
    if not np.all(np.isfinite(c0)):
        raise ModelError(
            "a constraint cannot be evaluated at the starting values ("
            + "; ".join(cons.constraints[j].text for j in np.flatnonzero(~np.isfinite(c0)))
            + ")"
        )
    act_in = [j for j in ineq if c0[j] < 0]
    total_it = 0
    seen = set()
    for _ in range(4 * len(cons) + 4):
        active = np.asarray(eq + act_in, dtype=int)
        th, F, lam, its, ok = _sqp(cm, stats, cons, theta, active, max_iter, tol)
        total_it += its
        if not ok:
            g = gradient_and_information(cm, th, stats, hessian=False)[1]
            return OptResult(
                th,
                F / 2,
                False,
                total_it,
                "constrained optimiser did not converge",
                float(np.max(np.abs(g))) if g is not None else np.inf,
            ), active
        theta = th
        c = cons.values(theta)
        violated = [j for j in ineq if j not in act_in and c[j] < -1e-10]
        # multipliers of active inequalities: g = J' lam; an inequality c >= 0 binds when lam >= 0
        # (F would decrease by moving into the feasible side otherwise)
        lam_in = {j: lam[k] for k, j in enumerate(active) if j in act_in}
        release = [j for j, v in lam_in.items() if v < -1e-8]
        key = (tuple(sorted(act_in)), tuple(violated), tuple(release))
        if not violated and not release:
            break
        if key in seen:
            break
        seen.add(key)
        if violated:
            act_in = sorted(set(act_in) | {min(violated, key=lambda j: c[j])})
        else:
            act_in = sorted(set(act_in) - {min(release, key=lambda j: lam_in[j])})
    g = gradient_and_information(cm, theta, stats, hessian=False)[1]
    active = np.asarray(eq + act_in, dtype=int)
    return OptResult(
        theta, F / 2, True, total_it, "converged (constrained)", float(np.max(np.abs(g))) if g is not None else np.inf
    ), active
