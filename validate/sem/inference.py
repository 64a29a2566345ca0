"""Inference on the estimates: standard errors, Wald table, standardized solution, defined parameters.

lavaan's ``lav_model_vcov`` (:func:`info_inverse`), ``parameterEstimates`` (:func:`wald_table`),
``lav_standardize`` (:func:`standardize`) and the ``:=`` rows (:func:`defined_values`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from .model import CompiledModel

__all__ = ["Z975", "defined_values", "info_inverse", "param_names", "row_values", "standardize", "wald_table"]

#: the 97.5% quantile of the standard normal (two-sided 95% Wald intervals)
Z975 = sps.norm.ppf(0.975)


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
    return pd.DataFrame(
        dict(
            lhs=core["lhs"],
            op=core["op"],
            rhs=core["rhs"],
            label=core["label"],
            group=core["group"],
            free=free,
            estimate=est,
            se=se,
            z=z,
            p_value=pval,
            ci_lower=np.where(free > 0, est - Z975 * se, est),
            ci_upper=np.where(free > 0, est + Z975 * se, est),
            std_lv=std_lv,
            std_all=std_all,
        )
    )


def row_values(cm: CompiledModel, pt, theta):
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
            elif ops[i] in ("~", "<~"):
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
        warnings.append(
            "the information matrix is singular (smallest eigenvalue "
            f"{ev[0]:.2e}): the model may not be identified; standard errors could not "
            f"be computed. Parameters involved: {', '.join(involved)}"
        )
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
