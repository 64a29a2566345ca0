"""WLSMV: diagonally weighted least squares on polychoric correlations, as lavaan's ``estimator = "WLSMV"``.

:func:`fit_wlsmv` is what :func:`validate.sem.fit_sem` runs for ``estimator="WLSMV"``.

Model (lavaan's delta parameterisation)
---------------------------------------
Every observed variable is an ordered item ``y`` whose answers cut a standard-normal latent
response ``y*`` at thresholds ``t1 < t2 < ...``.  The SEM (loadings, regressions, latent and
residual covariances) is the usual RAM model of :class:`~validate.sem.model.CompiledModel`
written for the ``y*``; their intercepts are 0, their scale factors ``Delta`` (``y ~*~ y``) 1,
and their residual variances are *not* free: they are set so that every ``y*`` has variance
``1 / Delta^2``, i.e. ``1 / Delta^2 - diag(Sigma_0)`` with ``Sigma_0`` the implied covariance
matrix with those residual variances at 0 (lavaan's ``setResidualElements.LISREL``).  When an
item is a predictor of another item (``y2 ~ y1``) its residual variance reaches ``y2`` too; the
residual variances then solve a small linear system so that the variances are exact (lavaan
keeps the one-pass formula there, which leaves ``var(y2*)`` off, and failed to converge on the
one such model tried).  The model-implied moments of each group are the thresholds
``(tau - mu*) Delta`` and the off-diagonal elements of ``Delta Sigma* Delta``, in the order of
:attr:`validate.sem.ordinal.OrdinalMoments.wls_obs`.

Several groups (``group=``, ``group_equal=``) follow lavaan's identification: configural
(everything free per group, latent means 0), metric (``"loadings"``), scalar
(``"loadings", "thresholds"``: the scale factors and the latent means are then free in every
group but the first).  Every group must use every answer category (lavaan's rule); an empty
one is named, or merged into its neighbour with ``collapse_empty=True``.

Estimation
----------
``F = 1/2 sum_g (n_g - 1)/N (s_g - sigma_g)' W_g (s_g - sigma_g)`` with ``s_g`` a group's
sample thresholds and polychoric correlations and ``W_g = diag(NACOV_g)^-1`` (lavaan's
``WLS.VD``), minimised by Gauss-Newton with back-tracking.  The Jacobian ``Delta`` is
analytic: the compiled model's derivative of the covariances and means with the residual
variances as extra parameters, chained with the implicit derivative of the residual variances
and the scale factors.

Inference: robust ("sandwich") standard errors ``E^-1 B E^-1 / (N - G)`` with
``E = sum_g f_g D_g' W_g D_g``, ``B = sum_g f_g D_g' W_g Gamma_g W_g D_g``, ``f_g = n_g / N``
(lavaan's ``se = "robust.sem"``), the mean-and-variance adjusted ("scaled-shifted") test,
standard, scaled and robust CFI/TLI/RMSEA (:mod:`validate.sem.ordinal`; the robust ones are
lavaan's ``lav_fit_catml_dwls``, Savalei 2021), SRMR on the correlation residuals,
:func:`difftest` (DIFFTEST) between nested fits and modification indices
(:func:`wlsmv_modindices`).

Notes
-----
Checked against lavaan 0.6.14 ``cfa()``/``sem()`` with ``ordered = TRUE, estimator = "WLSMV"``
on ``tests/fixtures/ordinal`` (Holzinger-Swineford in 5 categories: 3-factor CFA and a SEM with
latent regressions, a residual covariance and a defined indirect effect; sparse simulated
7-point and binary items; the CFA by school at three invariance levels, DIFFTEST between them
and for one path; ``missing = "pairwise"``; modification indices): fit measures, robust
indices and tests agree to 4e-7 relative or better, estimates and standard errors to 8e-6
(lavaan's optimiser stops earlier than ours) (see ``tests/test_sem_wlsmv.py`` and
``tests/test_sem_wlsmv_complete.py``).

Missing answers: listwise deletion (lavaan's default for WLSMV) or ``missing="pairwise"``
(ordered items only). Continuous items beside ordered ones (``ordered=`` a subset): their
means, variances, polyserial correlations and covariances as lavaan (:func:`validate.sem.ordinal.mixed_moments`).
Not implemented: exogenous observed covariates (lavaan's ``conditional.x``), the theta
parameterisation.

References
----------
Asparouhov, T., & Muthen, B. (2006). Robust chi square difference testing with mean and
variance adjusted test statistics. Mplus Web Notes, 10.
Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted least
squares and quadratic estimating equations in latent variable modeling with categorical and
continuous outcomes. Unpublished technical report.
Asparouhov, T., & Muthen, B. (2010). Simple second order chi-square correction. Mplus
technical appendix.
Savalei, V. (2021). Improving fit indices in structural equation modeling with categorical
data. Multivariate Behavioral Research, 56(3), 390-407.
"""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg
from scipy import stats as sps

from instruments.errors import InputError
from validate.sem.ordinal import (
    OrdinalWarning,
    baseline_test,
    catml_robust_test,
    mixed_moments,
    ordinal_moments,
    scaled_shifted_test,
    wlsmv_fit_indices,
)

from . import fitmeasures as fm
from .data import check_data, prepare_data
from .errors import ModelError
from .estimate import start_values
from .inference import Z975, defined_values, info_inverse, param_names, standardize, wald_table
from .model import CompiledModel, SampleStats
from .modindices import candidates
from .result import ESTIMATES_ONLY_NOTE, SemResult
from .start import start_from
from .syntax import parse_model_cached

__all__ = ["WlsmvResult", "fit_wlsmv", "difftest", "empty_categories", "collapse_empty_categories"]

#: What this engine offers beyond one complete-data group (read by ``validate.missing.wlsmv_supports``):
#: pairwise deletion (``missing="pairwise"``) and several groups with ``group_equal``.
CAPABILITIES = frozenset({"pairwise", "group"})

WLSMV_NOTE = (
    "logl, unrestricted_logl, aic and bic do not exist for WLSMV (a least-squares "
    "estimator has no likelihood); they are NaN, as lavaan reports NA"
)


# ----------------------------------------------------------------------------------------
# the model: implied moments and their Jacobian
# ----------------------------------------------------------------------------------------
class _DeltaModel:
    """Implied (thresholds, correlations) of an ordinal model, every group, and their Jacobian.

    Per group ``g`` the latent responses have the RAM covariance ``Sigma*`` and mean ``mu*``
    (latent means may be free in later groups), scale factors ``Delta`` (``y ~*~ y``: 1, or
    free in later groups when thresholds are equal) and residual variances set so that
    ``diag(Sigma*) = 1 / Delta^2``. The moments are the thresholds ``(tau - mu*) Delta`` and
    the off-diagonal elements of ``Delta Sigma* Delta`` (lavaan's delta parameterisation).
    """

    def __init__(self, spec, moments):
        if not isinstance(moments, (list, tuple)):
            moments = [moments]
        pt = spec.partable
        self.core = core = pt[pt["op"] != ":="].reset_index(drop=True)
        self.q = q = spec.nfree
        self.ov = list(spec.ov_names)
        self.G = G = spec.ngroups
        p = len(self.ov)
        ext = core[["lhs", "op", "rhs", "group", "free", "ustart", "exo"]].copy()
        free = ext["free"].to_numpy().copy()
        e_op, e_lhs, e_rhs = ext["op"].to_numpy(), ext["lhs"].to_numpy(), ext["rhs"].to_numpy()
        e_grp = ext["group"].to_numpy().astype(int) - 1
        fr, us = core["free"].to_numpy().astype(int), core["ustart"].to_numpy(dtype=float)
        ovpos = {v: j for j, v in enumerate(self.ov)}
        numeric = set(getattr(moments[0], "numeric", ()) or ())
        self.ordmask = np.array([v not in numeric for v in self.ov])
        self.oidx = np.flatnonzero(self.ordmask)
        self.nidx = np.flatnonzero(~self.ordmask)
        self.res_rows = np.full((G, p), -1, dtype=np.intp)
        self.sc_fixed = np.ones((G, p))
        self.sc_free = np.full((G, p), -1, dtype=np.intp)
        for i in range(len(ext)):
            g = e_grp[i]
            if e_op[i] == "~~" and e_lhs[i] == e_rhs[i] and e_lhs[i] in ovpos and e_lhs[i] not in numeric:
                j = ovpos[e_lhs[i]]
                if self.res_rows[g, j] < 0:
                    self.res_rows[g, j] = i
                    free[i] = q + 1 + g * p + j  # residual variances: extra "parameters"
            elif e_op[i] == "~*~" and e_lhs[i] in ovpos:
                j = ovpos[e_lhs[i]]
                if fr[i] > 0:
                    self.sc_free[g, j] = fr[i] - 1
                else:
                    self.sc_fixed[g, j] = us[i]
        ext["free"] = free
        self.cm = CompiledModel(ext, self.ov, spec.lv_names, G, True)
        self.chain = [bool(np.any(b.A_c < p)) or bool(np.any(b.A0[:, :p] != 0)) for b in self.cm.blocks]
        rr, cc = self.cm.rr, self.cm.cc
        self.diag_rows = np.flatnonzero(rr == cc)
        self.off_rows = np.flatnonzero(rr > cc)
        self.pstar = len(rr)
        # thresholds per group: moment position -> free index / fixed value / item
        self.th_fixed, self.th_free, self.th_row, self.th_item = [], [], [], []
        ops, lhs, rhs, grp = core["op"].to_numpy(), core["lhs"].to_numpy(), core["rhs"].to_numpy(), e_grp
        self.th_pos, self.mean_pos, self.var_pos, self.nuni_g = [], [], [], []
        for g, mom in enumerate(moments):
            th = mom.thresholds
            pos = {(it, t): k for k, (it, t) in enumerate(zip(th["item"], th["threshold"]))}
            nth = len(th)
            labels = list(getattr(mom, "univariate_labels", ()) or ())
            if labels:
                lpos = {lab: k for k, lab in enumerate(labels)}
                self.th_pos.append(
                    np.array([lpos[f"{it}|{t}"] for it, t in zip(th["item"], th["threshold"])], dtype=np.intp)
                )
                self.mean_pos.append(np.array([lpos[f"{self.ov[j]}~1"] for j in self.nidx], dtype=np.intp))
                self.var_pos.append(np.array([lpos[f"{self.ov[j]}~~{self.ov[j]}"] for j in self.nidx], dtype=np.intp))
                self.nuni_g.append(len(labels))
            else:
                self.th_pos.append(np.arange(nth, dtype=np.intp))
                self.mean_pos.append(np.zeros(0, dtype=np.intp))
                self.var_pos.append(np.zeros(0, dtype=np.intp))
                self.nuni_g.append(nth)
            tf, tfree, trow = np.zeros(nth), np.full(nth, -1, dtype=np.intp), np.zeros(nth, dtype=np.intp)
            for i in np.flatnonzero((ops == "|") & (grp == g)):
                k = pos[(lhs[i], rhs[i])]
                trow[k] = i
                if fr[i] > 0:
                    tfree[k] = fr[i] - 1
                else:
                    tf[k] = us[i]
            self.th_fixed.append(tf)
            self.th_free.append(tfree)
            self.th_row.append(trow)
            self.th_item.append(np.array([ovpos[it] for it in th["item"]], dtype=np.intp))
        self.nth_g = [len(t) for t in self.th_fixed]
        self.nmom_g = [k + len(self.off_rows) for k in self.nuni_g]
        self.offsets = np.concatenate([[0], np.cumsum(self.nmom_g)]).astype(int)
        self.nmom = int(self.offsets[-1])
        # single-group names kept for callers
        self.nth = self.nth_g[0]

    def ext(self, theta, s):
        return np.concatenate([theta, np.ravel(s)])

    def scales(self, theta, g):
        sc = self.sc_fixed[g].copy()
        m = self.sc_free[g] >= 0
        sc[m] = theta[self.sc_free[g][m]]
        return sc

    def residuals(self, theta):
        """Residual variances (groups x items) that give every latent response variance ``1 / Delta^2``.

        ``diag(Sigma) = diag(Sigma_0) + M s`` with ``M[j, i] = G[j, i]^2`` (``G`` the total
        effects of the residuals on the observed variables), so
        ``s = M^-1 (1 / Delta^2 - diag(Sigma_0))``. When no ordered item is a predictor of
        another, ``M = I`` and this is lavaan's ``1 / Delta^2 - diag(Sigma_0)``.
        """
        p = len(self.ov)
        e0 = self.ext(theta, np.zeros(self.G * p))
        out = np.zeros((self.G, p))
        o = self.oidx
        for g in range(self.G):
            Sigma0, _, _, _, _, _, _, T = self.cm.implied(e0, g, full=True)
            rhs = (1.0 / self.scales(theta, g) ** 2 - np.diag(Sigma0))[o]
            if self.chain[g]:
                M = (T[:p, :p] ** 2)[np.ix_(o, o)]
                try:
                    out[g, o] = np.linalg.solve(M, rhs)
                except np.linalg.LinAlgError:
                    out[g, o] = np.linalg.lstsq(M, rhs, rcond=None)[0]
            else:
                out[g, o] = rhs
        return out

    def thresholds(self, theta, g=0):
        th = self.th_fixed[g].copy()
        m = self.th_free[g] >= 0
        th[m] = theta[self.th_free[g][m]]
        return th

    def implied_groups(self, theta, s=None):
        """Per group: (moments, implied correlation matrix, implied thresholds); and ``s``."""
        if s is None:
            s = self.residuals(theta)
        e = self.ext(theta, s)
        rr, cc = self.cm.rr, self.cm.cc
        out = []
        for g in range(self.G):
            Sig, mu = self.cm.implied(e, g)
            sc = self.scales(theta, g)
            R = sc[:, None] * Sig * sc[None, :]
            it = self.th_item[g]
            th = (self.thresholds(theta, g) - mu[it]) * sc[it]
            uni = np.zeros(self.nuni_g[g])
            uni[self.th_pos[g]] = th
            uni[self.mean_pos[g]] = -mu[self.nidx]  # lavaan: a continuous item's "threshold" is -mean
            uni[self.var_pos[g]] = R[self.nidx, self.nidx]
            out.append((np.concatenate([uni, R[rr[self.off_rows], cc[self.off_rows]]]), R, th))
        return out, s

    def implied(self, theta):
        """(moments of every group stacked, implied correlation matrix of group 1, residual variances)."""
        groups, s = self.implied_groups(theta)
        return np.concatenate([m for m, _, _ in groups]), groups[0][1], s

    def jacobian(self, theta, s=None):
        """Delta: d moments / d theta (moments of every group stacked x free parameters)."""
        return np.vstack(self.jacobian_groups(theta, s))

    def jacobian_groups(self, theta, s=None):
        q, p = self.q, len(self.ov)
        if s is None:
            s = self.residuals(theta)
        e = self.ext(theta, s)
        rr, cc = self.cm.rr, self.cm.cc
        ro, co = rr[self.off_rows], cc[self.off_rows]
        out = []
        for g in range(self.G):
            D1 = self.cm.delta(e, g)
            if D1.shape[1] < e.size:  # continuous items' slots of the extra parameters are unused
                D1 = np.hstack([D1, np.zeros((D1.shape[0], e.size - D1.shape[1]))])
            Sig, mu = self.cm.implied(e, g)
            sc = self.scales(theta, g)
            dsc = np.zeros((p, q))
            m = self.sc_free[g] >= 0
            dsc[np.flatnonzero(m), self.sc_free[g][m]] = 1.0
            rc = slice(q + g * p, q + (g + 1) * p)
            o = self.oidx
            Js = D1[self.diag_rows[o]][:, q + g * p + o]
            Jt = D1[self.diag_rows[o], :q]
            target = -2.0 * sc[o, None] ** -3 * dsc[o] - Jt  # implicit function theorem
            ds = np.zeros((p, q))
            ds[o] = np.linalg.lstsq(Js, target, rcond=None)[0] if self.chain[g] else target
            dS = D1[self.off_rows, :q] + D1[self.off_rows, rc] @ ds
            dR = (sc[ro] * sc[co])[:, None] * dS + (Sig[ro, co])[:, None] * (
                sc[co][:, None] * dsc[ro] + sc[ro][:, None] * dsc[co]
            )
            dmu = D1[self.pstar :, :q] + D1[self.pstar :, rc] @ ds
            it = self.th_item[g]
            tau = self.thresholds(theta, g)
            dtau = np.zeros((len(tau), q))
            mt = self.th_free[g] >= 0
            dtau[np.flatnonzero(mt), self.th_free[g][mt]] = 1.0
            dth = (dtau - dmu[it]) * sc[it][:, None] + (tau - mu[it])[:, None] * dsc[it]
            duni = np.zeros((self.nuni_g[g], q))
            duni[self.th_pos[g]] = dth
            if self.nidx.size:
                nd = self.diag_rows[self.nidx]
                duni[self.mean_pos[g]] = -dmu[self.nidx]
                duni[self.var_pos[g]] = D1[nd, :q] + D1[nd, rc] @ ds
            out.append(np.vstack([duni, dR]))
        return out


def _objective(dm, theta, obs, w):
    mom, _, _ = dm.implied(theta)
    d = obs - mom
    return 0.5 * float(d @ (w * d)), d


def _optimize(dm, theta0, obs, w, max_iter, tol=1e-10):
    """Gauss-Newton with Armijo back-tracking on ``F = d' w d / 2``; returns (theta, F, conv, its, msg, gmax).

    ``w`` holds each group's DWLS weights times ``(n_g - 1) / N`` (lavaan's objective).
    """
    theta = np.asarray(theta0, dtype=float).copy()
    q = dm.q
    F, d = _objective(dm, theta, obs, w)
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
        g = -(WD.T @ d)
        gmax = float(np.max(np.abs(g)))
        if gmax < tol:
            converged, msg = True, "converged"
            break
        H = D.T @ WD
        try:
            with _warnings.catch_warnings():
                _warnings.simplefilter("error", linalg.LinAlgWarning)
                step = linalg.solve(H, -g, assume_a="sym", check_finite=False)
            if not np.all(np.isfinite(step)):
                raise linalg.LinAlgError
        except (linalg.LinAlgError, linalg.LinAlgWarning, ValueError):
            # (nearly) singular, e.g. at starting values with all regressions 0: damped step
            step = np.linalg.lstsq(
                H + 1e-6 * np.diag(np.maximum(np.diag(H), 1e-12)) + 1e-10 * np.eye(q), -g, rcond=None
            )[0]
        slope = float(g @ step)
        if slope >= 0:
            step, slope = -g, -float(g @ g)
        alpha, accepted = 1.0, False
        for _ in range(40):
            trial = theta + alpha * step
            try:
                Ft, dt = _objective(dm, trial, obs, w)
            except np.linalg.LinAlgError:
                Ft = np.inf
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
# data: items, groups, empty categories
# ----------------------------------------------------------------------------------------
def _ordered_items(ordered, data, ov_names):
    """Validate ``ordered`` against the model's observed variables; return the ordered ones."""
    if ordered is None or ordered is True:
        return list(ov_names)
    if ordered is False:
        raise ModelError(
            "estimator='WLSMV' needs ordered items; ordered=False leaves none (use "
            "estimator='ML' or 'MLR' for continuous indicators)"
        )
    if isinstance(ordered, str):
        ordered = [ordered]
    items = list(ordered)
    unknown = [str(v) for v in items if v not in data.columns]
    if unknown:
        raise ModelError(f"ordered item(s) {', '.join(unknown)} are not columns of the data")
    ords = [v for v in ov_names if v in items]
    if not ords:
        raise ModelError(
            "estimator='WLSMV' needs at least one ordered item of the model in ordered= "
            f"(got {', '.join(map(str, items))}); use estimator='ML' or 'MLR' for continuous items"
        )
    return ords


def _code(v):
    v = v.item() if isinstance(v, np.generic) else v
    return int(v) if isinstance(v, float) and v.is_integer() else v


def empty_categories(data: pd.DataFrame, items: Sequence[str], group: str) -> pd.DataFrame:
    """Answer categories that nobody chose within a group, though they were chosen in another.

    Parameters
    ----------
    data : pandas.DataFrame
        Answer codes and the group column (rows with a missing group are ignored).
    items : sequence of str
        Ordered items.
    group : str
        Group column.

    Returns
    -------
    pandas.DataFrame
        One row per empty category: ``item``, ``group`` (the group's value), ``category``
        (the answer code nobody in that group chose). Empty when every group used every
        category of every item, which lavaan's multi-group WLSMV needs (it stops with "some
        categories of variable `x` are empty in group g").
    """
    d = data[data[group].notna()]
    rows = []
    for it in items:
        col = pd.to_numeric(d[it], errors="coerce")
        allc = np.unique(col.dropna().to_numpy())
        for lab in pd.unique(d[group]):
            have = set(np.unique(col[d[group] == lab].dropna().to_numpy()).tolist())
            rows += [(it, _code(lab), _code(c)) for c in allc if c not in have]
    return pd.DataFrame(rows, columns=["item", "group", "category"])


def collapse_empty_categories(data: pd.DataFrame, items: Sequence[str], group: str):
    """Merge every answer category that is empty in some group into its neighbour.

    The lowest empty code of an item is merged into the next lower code that was chosen (into
    the next higher one when it is the item's lowest code), for every group alike, and the
    search repeats until every group uses every remaining category.

    Returns
    -------
    (pandas.DataFrame, list of str)
        The recoded copy of ``data`` (the input is not changed) and one sentence per merge,
        naming the item, the codes and the group where the category was empty.
    """
    out = data.copy()
    notes = []
    for it in items:
        while True:
            emp = empty_categories(out, [it], group)
            if emp.empty:
                break
            col = pd.to_numeric(out[it], errors="coerce")
            codes = sorted(np.unique(col[out[group].notna()].dropna().to_numpy()).tolist())
            c = min(emp["category"])
            k = codes.index(c)
            nb = codes[k - 1] if k > 0 else codes[k + 1]
            where = ", ".join(repr(g) for g in emp.loc[emp["category"] == c, "group"])
            out[it] = col.where(col != c, nb)
            notes.append(
                f"item {it}: answer code {_code(c)} merged into {_code(nb)} for every group "
                f"(nobody chose {_code(c)} in group {where})"
            )
    return out, notes


def _group_data(data, items, group, missing, collapse_empty):
    """Rows per group (labels in order of first appearance, as lavaan), after the empty-category check."""
    d = data[data[group].notna()] if group is not None else data
    notes: list[str] = []
    if group is not None:
        emp = empty_categories(d, items, group)
        if not emp.empty:
            if not collapse_empty:
                lines = [
                    f"item {r.item}, group {r.group!r}: nobody chose answer code {r.category}"
                    for r in emp.itertuples(index=False)
                ]
                raise InputError(
                    f"{len(emp)} answer categor{'y is' if len(emp) == 1 else 'ies are'} empty within a group, so "
                    'the groups cannot share thresholds (lavaan stops here too: "some categories of '
                    'variable ... are empty in group ..."); merge each empty category into its neighbour '
                    "with collapse_empty=True (--collapse-empty), or leave the item out",
                    lines,
                )
            d, notes = collapse_empty_categories(d, items, group)
        labels = list(pd.unique(d[group]))
        parts = [d[d[group] == lab] for lab in labels]
    else:
        labels, parts = [None], [d]
    return labels, parts, notes


# ----------------------------------------------------------------------------------------
# entry point
# ----------------------------------------------------------------------------------------
def fit_wlsmv(
    model: str,
    data: pd.DataFrame,
    *,
    ordered: bool | Sequence[str] | None = None,
    group: str | None = None,
    group_equal: Sequence[str] = (),
    missing: str = "listwise",
    kind: str = "sem",
    auto_cov_y: bool = True,
    fixed_x: bool = True,
    max_iter: int = 500,
    start: SemResult | None = None,
    estimates_only: bool = False,
    collapse_empty: bool = False,
):
    """Fit a model to ordered items by WLSMV, like lavaan's ``sem(..., ordered = TRUE, estimator = "WLSMV")``.

    Usually called through :func:`validate.sem.fit_sem` with ``estimator="WLSMV"``.

    Parameters
    ----------
    model : str
        lavaan model syntax; thresholds may be written ``x1 | t1 + t2`` (labels, fixed values).
    data : pandas.DataFrame
        Whole-number answer codes (and the group column).
    ordered : True, None or sequence of str
        The ordered items. ``None``/``True``: every observed variable of the model. A list must
        include every observed variable of the model (mixing continuous and ordered indicators
        is not implemented); columns of the data that are not in the model are ignored.
    group : str, optional
        Column defining groups (in order of first appearance, as lavaan). Every group must use
        every answer category of every item (see ``collapse_empty``).
    group_equal : sequence of str
        lavaan's ``group.equal``: ``"loadings"`` (metric invariance), ``"thresholds"`` (with
        loadings: scalar invariance; the scale factors ``y ~*~ y`` and the latent means are then
        free in every group but the first, lavaan's delta-parameterisation defaults), and the
        other kinds of :data:`validate.sem.syntax.GROUP_EQUAL_CHOICES`.
    missing : {"listwise", "pairwise"}
        ``"listwise"``: respondents with a missing answer on any model item are left out
        (lavaan's default). ``"pairwise"``: every answer is used, thresholds from each item's
        answers, polychoric correlations and NACOV from each pair's complete answers (lavaan's
        ``missing = "pairwise"``).
    kind, auto_cov_y, fixed_x, max_iter, start
        As :func:`validate.sem.fit_sem` (``start`` also gives thresholds).
    estimates_only : bool
        Only the estimates (as :func:`validate.sem.fit_sem`): the polychoric correlations and
        the DWLS weights are computed, the robust standard errors, the scaled-shifted test,
        the baseline model and the fit measures are not.
    collapse_empty : bool
        With ``group``: merge each answer category that nobody chose within some group into its
        neighbour (:func:`collapse_empty_categories`), for every group alike, and say so in
        ``notes``. Without it such a category is an :class:`~instruments.errors.InputError`
        naming the item, the group and the category.

    Returns
    -------
    SemResult
        ``params`` has lavaan's rows for ordered items: thresholds (``op == "|"``, ``rhs`` ``t1``,
        ``t2``, ...), residual variances (fixed, ``1 / Delta^2 -`` explained variance), scale
        factors (``~*~``) and intercepts (0). ``fit`` holds chisq (lavaan's unscaled DWLS
        statistic, ``sum_g (n_g - 1) d_g' W_g d_g``), chisq_scaled (scaled-shifted), df,
        pvalue(_scaled), chisq_scaling_factor, chisq_shift_parameter, baseline_*, cfi, tli,
        rmsea (+ CI), their ``_scaled`` versions, the robust ``cfi_robust``, ``tli_robust``,
        ``rmsea_robust`` (+ ``rmsea_ci_lower_robust``, ``rmsea_ci_upper_robust``, p-values;
        :func:`validate.sem.ordinal.catml_robust_test`), srmr; logl/aic/bic are NaN (see
        ``notes``). ``r2`` are the R-squares of the latent responses (per group label with
        groups). ``ordinal`` holds the :class:`~validate.sem.ordinal.OrdinalMoments` (a list,
        one per group, with groups).

    Raises
    ------
    ModelError, ModelSyntaxError, UnknownVariableError
        Unusable model, options or data.
    instruments.errors.InputError
        Answer codes that are not whole numbers, an item with one answer category, a category
        empty within a group, ... (from :func:`validate.sem.ordinal.ordinal_moments`).
    """
    if missing not in ("listwise", "pairwise"):
        raise ModelError(
            f"missing={missing!r} is not available with WLSMV; use 'listwise' (lavaan's default) "
            "or 'pairwise' (pairwise polychoric correlations)"
        )
    if not isinstance(data, pd.DataFrame):
        raise ModelError("data must be a pandas DataFrame")
    if group is not None and group not in data.columns:
        raise ModelError(f"group column {group!r} is not in the data")
    cand = (
        data.columns
        if ordered is None or ordered is True or ordered is False
        else ([ordered] if isinstance(ordered, str) else list(ordered))
    )
    spec0 = parse_model_cached(
        model, kind=kind, auto_cov_y=auto_cov_y, fixed_x=fixed_x, ordered={v: None for v in cand if isinstance(v, str)}
    )
    if spec0.ov_x:
        raise ModelError(
            "WLSMV with exogenous observed covariates is not implemented yet "
            f"({', '.join(spec0.ov_x)}); model them as single-indicator latent variables "
            "or use fixed_x=False to treat them as ordered items too"
        )
    if group is not None and group in spec0.ov_names:
        raise ModelError(
            f"group column {group!r} is also an observed variable of the model; "
            "choose a grouping column that is not an item"
        )
    prepare_data(spec0, data, group, "listwise")  # unknown / non-numeric columns
    items = _ordered_items(ordered, data, spec0.ov_names)
    continuous = [v for v in spec0.ov_names if v not in items]
    if continuous and missing == "pairwise":
        raise ModelError(
            "missing='pairwise' with continuous items mixed with ordered ones is not implemented; "
            "use missing='listwise'"
        )
    if missing == "listwise":
        used = data.dropna(subset=list(spec0.ov_names))
    else:  # pairwise: only respondents without a single answer are left out
        used = data[data[items].notna().any(axis=1)]
    if group is not None:
        used = used[used[group].notna()]
    labels, parts, collapse_notes = _group_data(used, items, group, missing, collapse_empty)
    G = len(labels)
    if group is not None and G < 2:
        raise ModelError(
            f"group column {group!r} has {G} group(s) with complete answers; a multi-group model needs at least 2"
        )
    moms = []
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", OrdinalWarning)  # kept in mom.warnings
        for lab, part in zip(labels, parts):
            try:
                if continuous:
                    moms.append(mixed_moments(part, list(spec0.ov_names), items))
                else:
                    moms.append(ordinal_moments(part.loc[:, items], missing=missing))
            except InputError as exc:
                if lab is None:
                    raise
                raise InputError(f"group {lab!r}: {exc.args[0]}", *exc.args[1:]) from None
    nth = moms[0].thresholds.groupby("item", sort=False).size().to_dict()
    spec = parse_model_cached(
        model,
        ngroups=G,
        group_equal=tuple(group_equal or ()),
        kind=kind,
        auto_cov_y=auto_cov_y,
        fixed_x=fixed_x,
        ordered=nth,
    )
    n_dropped = len(data) - len(used) if group is None else int(data[group].notna().sum()) - len(used)
    warn: list[str] = []
    for lab, mom in zip(labels, moms):
        pre = "" if lab is None else f"group {lab!r}: "
        warn += [pre + w for w in mom.warnings]
    if n_dropped > 0:
        base = data if group is None else data[data[group].notna()]
        gone = base[items].isna().any(axis=1) if missing == "listwise" else base[items].isna().all(axis=1)
        rows = [_code(v) for v in base.index[gone]]
        shown = ", ".join(repr(r) for r in rows[:10])
        more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
        warn.insert(0, f"{len(rows)} respondent(s) with missing answers left out: rows {shown}{more}")
    Ys = [part.loc[:, spec.ov_names].to_numpy(dtype=float) for part in parts]
    n_free_th = len(set(spec.partable.loc[(spec.partable["op"] == "|") & (spec.partable["free"] > 0), "free"]))
    warn += check_data(spec, Ys, labels, spec.nfree - n_free_th)  # cases per structural parameter
    nobs = [m.n for m in moms]
    N = int(sum(nobs))
    p = len(spec.ov_names)
    Rs = [m.corr.to_numpy() for m in moms]
    dm = _DeltaModel(spec, moms)
    means = []
    for g, m in enumerate(moms):
        mv = np.zeros(p)
        mv[dm.nidx] = -m.univariate_vector[dm.mean_pos[g]]
        means.append(mv)
    stats = SampleStats(Rs, means, nobs)
    core, q = dm.core, dm.q
    obs = np.concatenate([m.wls_obs for m in moms])
    wg = [m.wls_weight_diag for m in moms]
    w_eff = np.concatenate([(n - 1) / N * w for n, w in zip(nobs, wg)])

    # ---- estimation ------------------------------------------------------------------
    theta0 = start_values(dm.cm, core, stats)[:q]
    st = core["start"].to_numpy(dtype=float)
    for g in range(G):
        for k in range(dm.nth_g[g]):
            f = dm.th_free[g][k]
            if f >= 0 and not np.isfinite(st[dm.th_row[g][k]]):
                theta0[f] = moms[g].wls_obs[dm.th_pos[g][k]]
        for f in dm.sc_free[g][dm.sc_free[g] >= 0]:
            theta0[f] = 1.0
    if start is not None:
        theta0 = start_from(theta0, core, start.params)
    theta, F, converged, its, msg, gmax = _optimize(dm, theta0, obs, w_eff, max_iter)
    names = param_names(core, q)
    if not converged:
        warn.append(
            f"the optimiser did not converge after {its} iterations ({msg}; largest gradient "
            f"{gmax:.2e}); estimates are not trustworthy and standard errors and fit measures "
            "are not reported"
        )
    df = dm.nmom - q
    if df < 0:
        warn.append(
            f"the model has more free parameters ({q}) than sample statistics ({dm.nmom}: "
            "thresholds and polychoric correlations), i.e. negative "
            f"degrees of freedom ({df}): it is not identified"
        )
    groups_hat, s = dm.implied_groups(theta)
    ext_theta = dm.ext(theta, s)
    Dg = None if estimates_only else dm.jacobian_groups(theta, s)
    fg = np.asarray(nobs, dtype=float) / N

    # ---- standard errors ---------------------------------------------------------------
    vcov = None
    E = None
    if converged and q and not estimates_only:
        E = sum(f * D.T @ (w[:, None] * D) for f, D, w in zip(fg, Dg, wg))
        if info_inverse(E, names, warn) is not None:
            Ei = np.linalg.inv(E)
            B = sum(f * (w[:, None] * D).T @ m.nacov @ (w[:, None] * D) for f, D, w, m in zip(fg, Dg, wg, moms))
            vcov = Ei @ B @ Ei / (N - G)
            vcov = (vcov + vcov.T) / 2
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None)) if vcov is not None else np.full(q, np.nan)

    # ---- parameter table ------------------------------------------------------------------
    def row_estimates(th):
        return _row_values(dm, core, th, dm.ext(th, dm.residuals(th)))

    est = row_estimates(theta)
    std_lv, std_all = _std(dm, core, ext_theta, est)
    table = wald_table(core, est, se_free, converged, std_lv, std_all)
    if spec.defined:
        table = pd.concat(
            [table, _defined_rows(spec, core, theta, est, std_lv, std_all, vcov, row_estimates)], ignore_index=True
        )

    # ---- admissibility ---------------------------------------------------------------------
    problems = []
    glab = lambda g: "" if G == 1 else f" in group {labels[g]!r}"
    if converged:
        for g in range(G):
            for j in np.flatnonzero(s[g] < 0):
                warn.append(
                    f"Heywood case: the residual variance of the latent response of {dm.ov[j]!r}"
                    f"{glab(g)} is negative ({s[g][j]:.4g}), i.e. its loadings explain more than all "
                    "of its variance; the solution is not admissible"
                )
                problems.append(dm.ov[j])
            A, S, _ = dm.cm.matrices(ext_theta, g)
            for j in dm.nidx:
                if S[j, j] < 0:
                    warn.append(
                        f"Heywood case: the estimated residual variance of {dm.ov[j]!r}{glab(g)} is "
                        f"negative ({S[j, j]:.4g}); the solution is not admissible"
                    )
                    problems.append(dm.ov[j])
            for i in range(dm.cm.p, dm.cm.nv):
                if S[i, i] < 0:
                    nm = dm.cm.lv_names[i - dm.cm.p]
                    warn.append(
                        f"Heywood case: the estimated variance of {nm!r}{glab(g)} is negative "
                        f"({S[i, i]:.4g}); the solution is not admissible"
                    )
                    problems.append(nm)
            if dm.cm.nlv:
                T = np.linalg.inv(dm.cm.eye - A)
                tot = (T @ S @ T.T)[dm.cm.p :, dm.cm.p :]
                if np.min(np.linalg.eigvalsh(tot)) < -1e-10 * max(1.0, np.max(np.abs(tot))):
                    warn.append(
                        "the model-implied covariance matrix of the latent variables"
                        f"{glab(g)} is not positive definite; the solution is not admissible"
                    )
                    problems.append("psi")
        offd = (table["op"] == "~~") & (table["lhs"] != table["rhs"]) & (table["std_all"].abs() > 1)
        for _, r in table[offd].iterrows():
            warn.append(
                f"the estimated correlation between {r['lhs']!r} and {r['rhs']!r} exceeds 1 in "
                f"absolute value ({r['std_all']:.3f}); the solution is not admissible"
            )
            problems.append("corr")
    admissible = converged and not problems and (vcov is not None or estimates_only)

    # ---- fit measures ----------------------------------------------------------------------
    notes = [WLSMV_NOTE] + collapse_notes
    holes = int(used[items].isna().any(axis=1).sum())
    if missing == "pairwise" and holes:
        notes.append(
            f"{holes} respondent(s) with missing answers kept: thresholds from each item's answers and "
            "polychoric correlations from each pair's complete answers (lavaan's missing = 'pairwise')"
        )
    state = None
    if estimates_only:
        fit = {"npar": dm.q, "ntotal": N, "fmin": F}
        notes.append(ESTIMATES_ONLY_NOTE)
    else:
        state = _WlsmvState(
            delta=Dg,
            w=wg,
            gamma=[m.nacov for m in moms],
            nobs=nobs,
            chisq=2 * N * F if converged else np.nan,
            df=df,
            obs=obs,
        )
        fit = _fit_measures(dm, moms, theta, F, Dg, groups_hat, df, converged, E, notes)

    # ---- R2 --------------------------------------------------------------------------------
    r2_groups = []
    names_all = dm.cm.ov_names + dm.cm.lv_names
    for g in range(G):
        _, _, tot, _, A, S, _, _ = dm.cm.implied(ext_theta, g, full=True)
        b = dm.cm.blocks[g]
        endo = np.flatnonzero(np.any(A != 0, axis=1) | np.isin(np.arange(dm.cm.nv), b.A_r))
        r2_groups.append({names_all[i]: (float(1 - S[i, i] / tot[i, i]) if tot[i, i] != 0 else np.nan) for i in endo})
    r2 = r2_groups[0] if G == 1 else {str(labels[g]): r2_groups[g] for g in range(G)}
    return WlsmvResult(
        spec=spec,
        estimator="WLSMV",
        converged=bool(converged),
        admissible=bool(admissible),
        warnings=warn,
        params=table,
        fit=fit,
        r2=r2,
        n=N,
        nobs_per_group=list(nobs),
        group_labels=labels,
        implied=dict(
            cov=[R for _, R, _ in groups_hat],
            mean=[np.zeros(p)] * G,
            ov_names=list(spec.ov_names),
            thresholds=[th for _, _, th in groups_hat],
        ),
        sample_cov=Rs,
        sample_mean=[np.zeros(p)] * G,
        theta=theta,
        vcov=vcov,
        iterations=its,
        _cm=dm.cm,
        _stats=stats,
        _data=Ys,
        notes=notes,
        ordinal=moms[0] if G == 1 else moms,
        estimates_only=estimates_only,
        wlsmv=state,
        missing=missing,
    )


class WlsmvResult(SemResult):
    """A WLSMV fit: a :class:`~validate.sem.result.SemResult` whose modification indices are the
    DWLS score tests (:func:`wlsmv_modindices`)."""

    def _score_tests(self) -> pd.DataFrame:
        return wlsmv_modindices(self)


@dataclass
class _WlsmvState:
    """What :func:`difftest` needs from a WLSMV fit (per group: Delta, weights, NACOV, n)."""

    delta: list
    w: list
    gamma: list
    nobs: list
    chisq: float
    df: int
    obs: np.ndarray


def _row_values(dm, core, theta, ext_theta):
    """Estimate of every row: matrices for the SEM part, theta for thresholds and scale factors."""
    cm = dm.cm
    est = np.full(len(core), np.nan)
    mats = [cm.matrices(ext_theta, g) for g in range(cm.ngroups)]
    ops = core["op"].to_numpy()
    fr = core["free"].to_numpy().astype(int)
    us = core["ustart"].to_numpy(dtype=float)
    for i in range(len(core)):
        k = cm.row_kind[i]
        A, S, m = mats[cm.row_group[i]]
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
    """std.lv / std.all: lavaan's rules, with the latent responses' total variances."""
    std_lv, std_all = standardize(dm.cm, core, ext_theta, est)
    tots = [np.diag(dm.cm.implied(ext_theta, g, full=True)[2]) for g in range(dm.cm.ngroups)]
    ops = core["op"].to_numpy()
    lhs = core["lhs"].to_numpy()
    grp = core["group"].to_numpy().astype(int) - 1
    for i in np.flatnonzero((ops == "|") | (ops == "~*~")):
        std_lv[i] = est[i]
        std_all[i] = est[i] / np.sqrt(tots[grp[i]][dm.cm.pos[lhs[i]]]) if ops[i] == "|" else est[i]
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
            J[:, k] = (
                defined_values(spec, core, row_estimates(tp)) - defined_values(spec, core, row_estimates(tm))
            ) / (2 * h)
        dse = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, vcov, J), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        dz = dvals / dse
    return pd.DataFrame(
        dict(
            lhs=[nm for nm, _ in spec.defined],
            op=":=",
            rhs=[ex.text for _, ex in spec.defined],
            label=[nm for nm, _ in spec.defined],
            group=0,
            free=0,
            estimate=dvals,
            se=dse,
            z=dz,
            p_value=2 * sps.norm.sf(np.abs(dz)),
            ci_lower=dvals - Z975 * dse,
            ci_upper=dvals + Z975 * dse,
            std_lv=defined_values(spec, core, std_lv),
            std_all=defined_values(spec, core, std_all),
        )
    )


def _block_diag(mats):
    return linalg.block_diag(*mats) if len(mats) > 1 else np.asarray(mats[0])


def _fit_measures(dm, moms, theta, F, Dg, groups_hat, df, converged, E, notes):
    nobs = [m.n for m in moms]
    N = int(sum(nobs))
    G = len(moms)
    fg = np.asarray(nobs, dtype=float) / N
    nan = float("nan")
    out: dict = {"npar": dm.q, "ntotal": N, "fmin": F}
    na = dict(logl=nan, unrestricted_logl=nan, aic=nan, bic=nan)
    if not converged:
        out.update(df=df, chisq=nan, pvalue=nan, **na)
        return out
    T = 2 * N * F  # = sum_g (n_g - 1) d_g' W_g d_g, lavaan's chisq for DWLS
    V = np.concatenate([f * m.wls_weight_diag for f, m in zip(fg, moms)])
    gamma_all = _block_diag([m.nacov / f for f, m in zip(fg, moms)])
    D = np.vstack(Dg)
    base = baseline_test(moms)
    srmr = 0.0
    for f, m, (_, Rh, _) in zip(fg, moms, groups_hat):
        R = m.corr.to_numpy()  # lavaan's srmr_bentler_nomean: residuals over the sample SDs
        sd = np.sqrt(np.diag(R))
        il = np.tril_indices(len(R))
        srmr += f * float(np.sqrt(np.sum(((R - Rh) / np.outer(sd, sd))[il] ** 2) / (len(R) * (len(R) + 1) / 2)))
    nr = N - G  # lavaan's N for the RMSEA of (D)WLS
    if df > 0:
        test = scaled_shifted_test(T, D, V, gamma_all, df)
        out.update(wlsmv_fit_indices(test, base, N, ngroups=G))
        out["df_scaled"] = df
        ts = test.stat
    else:
        # saturated (df = 0): lavaan reports chisq 0, no scaling, perfect fit indices
        out.update(
            chisq=T,
            df=df,
            pvalue=nan,
            chisq_scaled=T,
            pvalue_scaled=nan,
            chisq_scaling_factor=nan,
            chisq_shift_parameter=nan,
            baseline_chisq=base.stat_unscaled,
            baseline_df=base.df,
            baseline_chisq_scaled=base.stat,
            cfi=1.0,
            tli=1.0,
            rmsea=0.0,
            cfi_scaled=1.0,
            tli_scaled=1.0,
            rmsea_scaled=0.0,
            df_scaled=df,
        )
        ts = T
    out["baseline_pvalue"] = float(sps.chi2.sf(base.stat_unscaled, base.df))
    out["baseline_df_scaled"] = base.df
    out["baseline_pvalue_scaled"] = base.pvalue
    out["baseline_chisq_scaling_factor"] = base.scaling_factor
    out["baseline_chisq_shift_parameter"] = base.shift_parameter
    out["rmsea_ci_lower"], out["rmsea_ci_upper"] = fm.rmsea_ci(T, df, nr, G)
    out["rmsea_pvalue"] = fm.rmsea_pvalue(T, df, nr, G)
    out["rmsea_ci_lower_scaled"], out["rmsea_ci_upper_scaled"] = fm.rmsea_ci(ts, df, nr, G)
    out["rmsea_pvalue_scaled"] = fm.rmsea_pvalue(ts, df, nr, G)
    out["srmr"] = srmr
    out.update(_robust_measures(dm, moms, Dg, groups_hat, df, E, base, notes))
    out.update(na)
    return out


def _robust_measures(dm, moms, Dg, groups_hat, df, E, base, notes):
    """lavaan's robust CFI/TLI/RMSEA for categorical data (``lav_fit_catml_dwls``), or NaN with a note."""
    nobs = [m.n for m in moms]
    N, G = int(sum(nobs)), len(moms)
    nan = float("nan")
    out = dict(cfi_robust=nan, tli_robust=nan, **fm.rmsea_robust_measures(nan, df, N - G, G, c_hat3=nan))
    if df <= 0 or E is None:
        return out
    if any(m.numeric for m in moms):
        notes.append(
            "the robust CFI/TLI/RMSEA are not reported (NaN): with continuous items among the "
            "ordered ones lavaan 0.6.14 gives NA too; compare the scaled CFI/TLI/RMSEA instead"
        )
        return out
    core = dm.core
    th_rows = core["op"].isin(["|", "~1"]).to_numpy()
    fr = core["free"].to_numpy().astype(int)
    shared = set(fr[th_rows & (fr > 0)]) & set(fr[~th_rows & (fr > 0)])
    th_labels = core.loc[th_rows & (fr > 0), "free"]
    if th_labels.duplicated().any() or shared:
        notes.append(
            "the robust CFI/TLI/RMSEA are not reported (NaN): with thresholds held equal across "
            "groups (scalar invariance) lavaan 0.6.14 cannot compute them either (its ML refit "
            "on the polychoric correlations drops the thresholds and their equality constraints); "
            "compare the scaled CFI/TLI/RMSEA instead"
        )
        return out
    q_cat = len(set(fr[~th_rows & (fr > 0)]))
    try:
        rob = catml_robust_test(
            [m.corr.to_numpy() for m in moms],
            [R for _, R, _ in groups_hat],
            nobs,
            [D[m.threshold_vector.size :] for D, m in zip(Dg, moms)],
            [m.wls_weight_diag[m.threshold_vector.size :] for m in moms],
            [m.nacov[m.threshold_vector.size :, m.threshold_vector.size :] for m in moms],
            np.linalg.inv(E),
            sum(len(m.pairs) for m in moms) - q_cat,
        )
    except (ValueError, np.linalg.LinAlgError) as exc:
        notes.append(f"the robust CFI/TLI/RMSEA could not be computed (NaN): {exc}")
        return out
    if rob is None:
        notes.append(
            "the robust CFI/TLI/RMSEA are not reported (NaN): a polychoric correlation matrix is "
            "not positive definite, and lavaan gives NA there too"
        )
        return out
    out["cfi_robust"] = min(max(fm.cfi(rob.stat, df, rob.stat_null, base.df, rob.c_hat, rob.c_hat_null), 0.0), 1.0)
    out["tli_robust"] = fm.tli(rob.stat, df, rob.stat_null, base.df, rob.c_hat, rob.c_hat_null)
    out.update(fm.rmsea_robust_measures(rob.stat, rob.df, N - G, G, c_hat3=rob.c_hat))
    return out


# ----------------------------------------------------------------------------------------
# DIFFTEST
# ----------------------------------------------------------------------------------------
def _state_of(res, what):
    if not isinstance(res, SemResult) or res.estimator != "WLSMV":
        raise ModelError(f"difftest: the {what} model must be a WLSMV fit (fit_sem(..., estimator='WLSMV'))")
    if res.estimates_only or res.wlsmv is None:
        raise ModelError(f"difftest: the {what} model was fitted with estimates_only=True; refit it in full")
    if not res.converged:
        raise ModelError(f"difftest: the {what} model did not converge")
    return res.wlsmv


def difftest(restricted: SemResult, free: SemResult) -> dict:
    """Scaled-shifted chi-square difference test of two nested WLSMV models (Mplus' DIFFTEST).

    Parameters
    ----------
    restricted : SemResult
        The model with more constraints (more degrees of freedom), e.g. metric invariance.
    free : SemResult
        The less constrained model it is nested in, e.g. configural invariance, fitted to the
        same data, items and groups.

    Returns
    -------
    dict
        ``chisq_diff`` (the scaled-shifted difference statistic), ``df_diff``, ``p_value``,
        ``chisq_diff_unscaled`` (``T0 - T1`` of the unscaled DWLS statistics, not a valid test
        on its own), ``scaling_a`` and ``shift_b`` (``chisq_diff = a (T0 - T1) + b``),
        ``method`` (``"satorra.2000"``).

    Raises
    ------
    ModelError
        Not two full WLSMV fits of the same data, or ``restricted`` without more degrees of
        freedom than ``free``.

    Notes
    -----
    lavaan's ``lavTestLRT(free, restricted)`` for WLSMV (``method = "satorra.2000"``,
    ``scaled.shifted = TRUE``, ``A.method = "delta"``), from Satorra (2000) and Asparouhov &
    Muthen (2006, 2010): with the Jacobians ``Delta1`` (free model) and ``Delta0``
    (restricted), ``H = Delta1^+ Delta0`` and ``A`` the orthogonal complement of ``H`` (the
    constraints in the free model's parameters); ``P = sum_g f_g Delta1g' W_g Delta1g``
    (``f_g = n_g / N``) and ``M = P^-1 A' (A P^-1 A')^+ A P^-1``;
    ``tr1 = sum_g f_g tr(W_g Gamma_g W_g Delta1g M Delta1g')``, ``U = W Delta1 M Delta1' W`` with
    ``W = bdiag(W_g)`` and ``tr2 = tr((U bdiag(f_g Gamma_g))^2)``; ``a = sqrt(m / tr2)``,
    ``b = m - a tr1`` and the statistic ``a (T0 - T1) + b`` on ``m = df0 - df1`` degrees of
    freedom. Matches lavaan 0.6.14 to 1e-6 on the configural/metric/scalar models of the
    two-school ordinal Holzinger-Swineford data and a per-path equality test
    (``tests/fixtures/ordinal/wlsmv_complete.json``).

    References
    ----------
    Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample analysis of moment
    structures. In Heijmans, Pollock & Satorra (Eds.), Innovations in multivariate statistical
    analysis (pp. 233-247). Kluwer.
    Asparouhov, T., & Muthen, B. (2006). Robust chi square difference testing with mean and
    variance adjusted test statistics. Mplus Web Notes, 10.
    """
    s0, s1 = _state_of(restricted, "restricted"), _state_of(free, "free")
    if list(s0.nobs) != list(s1.nobs) or s0.obs.shape != s1.obs.shape or not np.allclose(s0.obs, s1.obs):
        raise ModelError(
            "difftest: the two models were not fitted to the same data (items, groups and respondents must be the same)"
        )
    m = int(s0.df - s1.df)
    if m <= 0:
        raise ModelError(
            f"difftest: the restricted model must have more degrees of freedom than the free one "
            f"(got {s0.df} and {s1.df}); pass (restricted, free) in that order"
        )
    tol = np.sqrt(np.finfo(float).eps)
    D1, D0 = np.vstack(s1.delta), np.vstack(s0.delta)
    H = np.linalg.pinv(D1, rcond=tol) @ D0
    Q, Rq = np.linalg.qr(H, mode="complete")
    rank = np.linalg.matrix_rank(H)
    A = Q[:, rank:].T
    N = float(sum(s1.nobs))
    fg = np.asarray(s1.nobs, dtype=float) / N
    P = sum(f * D.T @ (w[:, None] * D) for f, D, w in zip(fg, s1.delta, s1.w))
    Pi = np.linalg.inv(P)
    APA = A @ Pi @ A.T
    keep = ~((np.abs(APA.sum(axis=0)) < tol) & (np.abs(APA.sum(axis=1)) < tol))
    A = A[keep]
    M = Pi @ A.T @ np.linalg.pinv(A @ Pi @ A.T, rcond=tol) @ A @ Pi
    tr1 = 0.0
    for f, D, w, Gm in zip(fg, s1.delta, s1.w, s1.gamma):
        WD = w[:, None] * D
        tr1 += f * float(np.sum((Gm @ WD) * (WD @ M)))  # tr(W Gamma W D M D')
    w_all = np.concatenate(s1.w)
    U = (w_all[:, None] * D1) @ M @ (D1.T * w_all[None, :])
    UG = U @ _block_diag([f * Gm for f, Gm in zip(fg, s1.gamma)])
    tr2 = float(np.sum(UG * UG.T))
    a = np.sqrt(m / tr2)
    b = m - a * tr1
    t0t1 = float(s0.chisq - s1.chisq)
    stat = a * t0t1 + b
    return {
        "chisq_diff": float(stat),
        "df_diff": m,
        "p_value": float(sps.chi2.sf(stat, m)),
        "chisq_diff_unscaled": t0t1,
        "scaling_a": float(a),
        "shift_b": float(b),
        "method": "satorra.2000",
    }


# ----------------------------------------------------------------------------------------
# modification indices
# ----------------------------------------------------------------------------------------
def wlsmv_modindices(res: SemResult) -> pd.DataFrame:
    """Modification indices of a WLSMV fit, as lavaan's ``modindices()``.

    Parameters
    ----------
    res : SemResult
        A converged WLSMV fit (not ``estimates_only``).

    Returns
    -------
    pandas.DataFrame
        Columns ``lhs``, ``op``, ``rhs`` (``group`` with groups), ``mi``, ``epc``, ``sepc_lv``,
        ``sepc_all``: one row per parameter the model leaves out (cross-loadings, residual
        covariances of the items, covariances and regressions among latent variables) and per
        fixed parameter (marker loadings, scale factors ``~*~``, latent means) whose release
        is identified; the others (information below ``eps^(1/3)``) are left out, as lavaan does.

    Raises
    ------
    ModelError
        A fit that is not full and converged.

    Notes
    -----
    The DWLS score test (lavaan ``modindices()`` with ``information = "expected"``): with the
    model extended by the candidates (at their current values), ``Delta_g`` its Jacobian,
    ``d_g = s_g - sigma_g``, ``W_g`` the DWLS weights and ``f_g = n_g / N``, the score is
    ``g = -sum_g f_g (n_g - 1) / n_g Delta_g' W_g d_g`` and the information
    ``I = sum_g f_g Delta_g' W_g Delta_g``; ``mi = N g_j^2 / V_j`` and ``epc = -g_j / V_j`` with
    ``V_j = I_jj - I_j1 I_11^-1 I_1j`` (equality constraints: shared parameters). ``sepc_all``
    standardises the EPC with the latent responses' total variances (residual variances for
    residual covariances). Matches lavaan 0.6.14 on the ordinal Holzinger-Swineford CFA (one
    group) and its metric model by school to 1e-5 (``wlsmv_complete.json``).
    """
    from types import SimpleNamespace

    if res.estimates_only or res.wlsmv is None or not res.converged:
        raise ModelError("modification indices need a full, converged WLSMV fit")
    spec = res.spec
    G = spec.ngroups
    pt = spec.partable
    core = pt[pt["op"] != ":="].reset_index(drop=True)
    cols = ["lhs", "op", "rhs"] + (["group"] if G > 1 else []) + ["mi", "epc", "sepc_lv", "sepc_all"]
    moms = res.ordinal if isinstance(res.ordinal, list) else [res.ordinal]
    numeric = set(moms[0].numeric)
    q = spec.nfree
    base = core[["lhs", "op", "rhs", "group", "free", "ustart", "exo"]].copy()
    fr = base["free"].to_numpy().copy()
    ops, lhs, rhs = base["op"].to_numpy(), base["lhs"].to_numpy(), base["rhs"].to_numpy()
    ovset = set(spec.ov_names)
    cands, start = [], []
    for i in range(len(base)):
        if fr[i] != 0 or base["exo"].iat[i]:
            continue
        ordered_var = ops[i] == "~~" and lhs[i] == rhs[i] and lhs[i] in ovset and lhs[i] not in numeric
        if ops[i] in ("=~", "~*~", "~1", "~~", "~") and not ordered_var:
            fr[i] = q + len(cands) + 1  # a fixed parameter released at its value
            cands.append((lhs[i], ops[i], rhs[i], int(base["group"].iat[i])))
            start.append(float(base["ustart"].iat[i]))
    base["free"] = fr
    for a, o, b, g in candidates(spec, core):
        cands.append((a, o, b, g))
        start.append(0.0)
    if not cands:
        return pd.DataFrame(columns=cols)
    K = len(cands)
    nfix = K - len(candidates(spec, core))
    extra = pd.DataFrame(
        [
            dict(lhs=a, op=o, rhs=b, group=g, free=q + nfix + k + 1, ustart=np.nan, exo=0)
            for k, (a, o, b, g) in enumerate(cands[nfix:])
        ]
    )
    aug = pd.concat([base, extra], ignore_index=True) if len(extra) else base
    ns = SimpleNamespace(partable=aug, nfree=q + K, ov_names=spec.ov_names, lv_names=spec.lv_names, ngroups=G)
    dma = _DeltaModel(ns, moms)
    th = np.concatenate([res.theta, np.asarray(start, dtype=float)])
    Dg = dma.jacobian_groups(th)
    groups_hat, _ = dma.implied_groups(th)
    N = res.n
    nobs = [m.n for m in moms]
    score = np.zeros(q + K)
    info = np.zeros((q + K, q + K))
    for D, m, (mom, _, _), n in zip(Dg, moms, groups_hat, nobs):
        w, fg = m.wls_weight_diag, n / N
        score -= fg * (n - 1) / n * (D.T @ (w * (m.wls_obs - mom)))  # lavaan's (n - 1) / n objective
        info += fg * D.T @ (w[:, None] * D)
    I11, I12 = info[:q, :q], info[:q, q:]
    V = np.diag(info)[q:] - np.einsum("ij,ij->j", I12, np.linalg.solve(I11, I12))
    s = score[q:]
    with np.errstate(divide="ignore", invalid="ignore"):
        V = np.where(V < np.finfo(float).eps ** (1 / 3), np.nan, V)
        mi = N * s * s / V
        epc = -s / V
    dm = _DeltaModel(spec, moms)
    ext = dm.ext(res.theta, dm.residuals(res.theta))
    vt, vp = [], []
    for g in range(G):
        _, _, T_tot, _, _, S, _, _ = dm.cm.implied(ext, g, full=True)
        vt.append(np.diag(T_tot))
        vp.append(np.diag(S))
    pos = dm.cm.pos
    lvset = set(spec.lv_names)
    sepc_all = np.full(K, np.nan)
    sepc_lv = np.full(K, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, (a_, o, b_, g) in enumerate(cands):
            t_, p_ = vt[g - 1], vp[g - 1]
            a = pos[a_]
            b = pos.get(b_, a)
            if o == "=~":
                sepc_all[k] = epc[k] * np.sqrt(t_[a]) / np.sqrt(t_[b])
                sepc_lv[k] = epc[k] * np.sqrt(t_[a])
            elif o == "~":
                sepc_all[k] = epc[k] * np.sqrt(t_[b]) / np.sqrt(t_[a])
                sepc_lv[k] = sepc_all[k]
            elif o == "~~":
                sepc_all[k] = epc[k] / np.sqrt(p_[a] * p_[b])
                sepc_lv[k] = sepc_all[k] if (a_ in lvset and b_ in lvset) else epc[k]
            elif o == "~1":
                sepc_all[k] = epc[k] / np.sqrt(t_[a])
                sepc_lv[k] = sepc_all[k] if a_ in lvset else epc[k]
            else:  # ~*~
                sepc_all[k] = sepc_lv[k] = epc[k]
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
    return out[cols]
