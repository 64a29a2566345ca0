"""Modification indices (score tests) for parameters fixed at zero.

For every candidate parameter ``j`` (cross-loadings, residual covariances
among observed variables, covariances and regressions among latent
variables) the model is extended with ``j`` free at 0 and, with the
per-observation expected information ``I`` of the extended model and the
per-observation score ``s = -dF/dtheta / 2``,

``mi = N s_j^2 / V_j``, ``epc = s_j / V_j``, ``V_j = I_jj - I_j1 I_11^-1 I_1j``.

Candidates with ``V_j`` below ``eps^(1/3)`` (equivalent to parameters
already free) are dropped, as lavaan does.  With FIML, ``I`` is the expected
information of the missing-data likelihood (each missing-data pattern's
complete-data information of its observed variables) and ``s`` its score.
The information is the expected one whatever the estimator (lavaan's
``modindices(information = "expected")`` default), so MLR gives the same
indices as ML.  ``sepc_all`` standardises the
EPC with the fitted model's total variances (residual variances for
residual covariances).

Notes
-----
Checked against lavaan 0.6.14 ``modindices()`` on the Holzinger-Swineford
3-factor CFA (top-10 mi, epc, sepc.all) with ML and MLR, complete data and
FIML (tests/fixtures/lavaan/holzinger_cfa*_modindices.json).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .estimate import gradient_and_information
from .model import CompiledModel

__all__ = ["candidates", "fiml_information_score", "modification_indices"]


def candidates(spec, pt):
    ov = spec.ov_nox
    rows = []
    for g in range(1, spec.ngroups + 1):
        sub = pt[pt["group"] == g]
        have = set()
        for lhs, op, rhs in zip(sub["lhs"], sub["op"], sub["rhs"]):
            if op == "~~":
                have.add(("~~",) + tuple(sorted((lhs, rhs))))
            else:
                have.add((lhs, op, rhs))
        for f in spec.lv_names:
            for x in ov:
                if (f, "=~", x) not in have:
                    rows.append((f, "=~", x, g))
        for i, a in enumerate(ov):
            for b in ov[i + 1 :]:
                if ("~~",) + tuple(sorted((a, b))) not in have:
                    rows.append((a, "~~", b, g))
        lvs = spec.lv_names
        for i, a in enumerate(lvs):
            for b in lvs[i + 1 :]:
                if ("~~",) + tuple(sorted((a, b))) not in have:
                    rows.append((a, "~~", b, g))
        for a in lvs:
            for b in lvs:
                if a != b and (a, "~", b) not in have and (b, "~", a) not in have:
                    rows.append((a, "~", b, g))
    return rows


def fiml_information_score(cm: CompiledModel, theta, data):
    """FIML: per-case expected information of the missing-data likelihood and score ``dlogl/dtheta / N``."""
    from .fiml import Patterns, fiml_expected_information, fiml_grad

    pats = [Patterns(Y) for Y in data]
    N = sum(p.n for p in pats)
    _, grad, _ = fiml_grad(cm, theta, pats, hessian=False)
    return fiml_expected_information(cm, theta, pats) / N, -0.5 * grad


def modification_indices(res) -> pd.DataFrame:
    """Compute modification indices for a fitted :class:`SemResult`."""
    spec = res.spec
    pt = spec.partable
    core = pt[pt["op"] != ":="].reset_index(drop=True)
    cands = candidates(spec, core)
    cols = ["lhs", "op", "rhs", "group", "mi", "epc", "sepc_lv", "sepc_all"]
    if not cands or not res.converged:
        return pd.DataFrame(columns=cols)
    q = res._cm.nfree
    extra = pd.DataFrame(
        [
            dict(lhs=l, op=o, rhs=r, group=g, free=q + k + 1, ustart=np.nan, exo=0)
            for k, (l, o, r, g) in enumerate(cands)
        ]
    )
    aug = pd.concat([core[["lhs", "op", "rhs", "group", "free", "ustart", "exo"]], extra], ignore_index=True)
    cm = CompiledModel(aug, spec.ov_names, spec.lv_names, spec.ngroups, spec.meanstructure)
    cm.set_exo(res._stats)
    theta = np.concatenate([res.theta, np.zeros(len(cands))])
    if getattr(res, "missing", "listwise") == "fiml":
        info, score = fiml_information_score(cm, theta, res._data)
    else:
        _, grad, H = gradient_and_information(cm, theta, res._stats)
        info = 0.5 * H
        score = -0.5 * grad
    I11 = info[:q, :q]
    I12 = info[:q, q:]
    I22d = np.diag(info)[q:]
    try:
        X = np.linalg.solve(I11, I12)
    except np.linalg.LinAlgError:
        X = np.linalg.lstsq(I11, I12, rcond=None)[0]
    V = I22d - np.einsum("ij,ij->j", I12, X)
    s = score[q:]
    N = res.n
    with np.errstate(divide="ignore", invalid="ignore"):
        V = np.where(V < np.finfo(float).eps ** (1 / 3), np.nan, V)
        mi = N * s * s / V
        epc = s / V
    # standardisation with the fitted model
    tot, par = [], []
    for g in range(spec.ngroups):
        Sigma, mu, T_tot, Tm, A, S, m, T = res._cm.implied(res.theta, g, full=True)
        tot.append(np.diag(T_tot))
        par.append(np.diag(S))
    pos = res._cm.pos
    lvset = set(spec.lv_names)
    sepc_all = np.full(len(cands), np.nan)
    sepc_lv = np.full(len(cands), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, (l, o, r, g) in enumerate(cands):
            vt, vp = tot[g - 1], par[g - 1]
            a, b = pos[l], pos[r]
            if o == "=~":
                sepc_all[k] = epc[k] * np.sqrt(vt[a]) / np.sqrt(vt[b])
                sepc_lv[k] = epc[k] * np.sqrt(vt[a])
            elif o == "~":
                sepc_all[k] = epc[k] * np.sqrt(vt[b]) / np.sqrt(vt[a])
                sepc_lv[k] = sepc_all[k]
            else:
                sepc_all[k] = epc[k] / np.sqrt(vp[a] * vp[b])
                sepc_lv[k] = sepc_all[k] if (l in lvset and r in lvset) else epc[k]
    out = pd.DataFrame(
        dict(
            lhs=[c[0] for c in cands],
            op=[c[1] for c in cands],
            rhs=[c[2] for c in cands],
            group=[c[3] for c in cands],
            mi=mi,
            epc=epc,
            sepc_lv=sepc_lv,
            sepc_all=sepc_all,
        )
    )
    out = out[np.isfinite(out["mi"])].reset_index(drop=True)
    if spec.ngroups == 1:
        out = out.drop(columns=["group"])
    return out
