"""Fit a PLS path model and assess it: :func:`fit_pls` and its results object.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(size=(200, 1)) * 0.8
>>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(200, 3)) * 0.6, g + rng.normal(size=(200, 3)) * 0.6]),
...                   columns=["x1", "x2", "x3", "y1", "y2", "y3"])
>>> res = fit_pls(df, {"X": ["x1", "x2", "x3"], "Y": ["y1", "y2", "y3"]}, [("X", "Y")])
>>> res.converged, round(float(res.paths().estimate.iloc[0]), 3) == round(float(res.r2().r2.iloc[0]) ** 0.5, 3)
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from instruments.errors import InputError
from validate.measurement.analysis import json_float as _json
from validate.pls.assess import htmt as _htmt
from validate.pls.assess import model_fit, reliability, vif_inner, vif_outer
from validate.pls.bootstrap import Layout, PLSStatistic, inference, statistic_vector
from validate.pls.estimate import Estimate, Structure, estimate
from validate.pls.model import MISSING, SCHEMES, PLSModel, PreparedData, fill_and_correlate, prepare_data
from validate.structural.mediation import enumerate_chains

__all__ = ["fit_pls", "PLSResults"]


@dataclass
class PLSResults:
    """A fitted PLS path model with its assessment (see :func:`fit_pls`).

    Attributes
    ----------
    model : PLSModel
    scheme, consistent, missing : the options used
    n_obs : int
        Rows used.
    iterations : int
        Updates of the outer weights until convergence.
    converged : bool
    weight_change : float
        Sum of the absolute weight changes at the last iteration.
    scores : DataFrame
        Construct scores (standardised), one row per respondent used.
    boot_requested, boot_completed : int
        Bootstrap resamples asked for and completed (0 without a bootstrap).
    warnings : list of str
    """

    model: PLSModel
    scheme: str
    consistent: bool
    missing: str
    data: PreparedData
    est: Estimate
    S: np.ndarray
    st: Structure
    lay: Layout
    scores: pd.DataFrame
    point: np.ndarray
    inf: dict | None = None
    boot_summary: dict | None = None
    level: float = 0.95
    f2_values: dict = field(default_factory=dict)
    fit_values: dict = field(default_factory=dict)
    tol: float = 1e-7
    max_iter: int = 300
    warnings: list = field(default_factory=list)

    # ------------------------------------------------------------------ basics
    @property
    def n_obs(self) -> int:
        return self.data.n_obs

    @property
    def iterations(self) -> int:
        return self.est.iterations

    @property
    def converged(self) -> bool:
        return self.est.converged

    @property
    def weight_change(self) -> float:
        return self.est.weight_change

    @property
    def boot_requested(self) -> int:
        return (self.boot_summary or {}).get("requested", 0)

    @property
    def boot_completed(self) -> int:
        return (self.boot_summary or {}).get("completed", 0)

    def _block(self, name: str) -> slice:
        return self.lay.slices()[name]

    def _rows(self, name: str, base: list[dict]) -> pd.DataFrame:
        sl = self._block(name)
        keys = ("se", "t", "p_value", "ci_lower", "ci_upper", "bca_lower", "bca_upper")
        for r, m in zip(base, range(sl.start, sl.stop)):
            r["estimate"] = float(self.point[m])
            for key in keys:
                r[key] = float(self.inf[key][m]) if self.inf is not None else np.nan
        return pd.DataFrame(base)

    # ------------------------------------------------------------------ tables
    def weights(self) -> pd.DataFrame:
        """Outer weights: ``construct, item, estimate, se, t, p_value, ci_lower, ci_upper, bca_lower, bca_upper``."""
        return self._rows(
            "weights", [{"construct": self.st.names[j], "item": self.st.items[i]} for i, j in self.lay.item_construct]
        )

    def loadings(self) -> pd.DataFrame:
        """Outer loadings (PLSc: consistent loadings of Mode A constructs); columns as :meth:`weights`."""
        return self._rows(
            "loadings", [{"construct": self.st.names[j], "item": self.st.items[i]} for i, j in self.lay.item_construct]
        )

    def paths(self) -> pd.DataFrame:
        """Path coefficients: ``from, to, estimate, se, t, p_value, ci_lower, ci_upper, bca_lower, bca_upper, f2``."""
        n = self.st.names
        df = self._rows("paths", [{"from": n[i], "to": n[j]} for i, j in self.lay.paths])
        df["f2"] = [self.f2_values.get((n[i], n[j]), np.nan) for i, j in self.lay.paths]
        return df

    def r2(self) -> pd.DataFrame:
        """R² of each endogenous construct: ``construct, r2, r2_adj, se, ci_lower, ci_upper, n_predictors``."""
        rows = []
        sl = self._block("r2")
        n = self.n_obs
        for m, j in zip(range(sl.start, sl.stop), self.lay.endogenous):
            k = self.st.preds[j].size
            r2 = float(self.est.r2[j])
            rows.append(
                {
                    "construct": self.st.names[j],
                    "r2": r2,
                    "r2_adj": 1 - (1 - r2) * (n - 1) / (n - k - 1) if n - k - 1 > 0 else np.nan,
                    "se": float(self.inf["se"][m]) if self.inf else np.nan,
                    "ci_lower": float(self.inf["ci_lower"][m]) if self.inf else np.nan,
                    "ci_upper": float(self.inf["ci_upper"][m]) if self.inf else np.nan,
                    "n_predictors": k,
                }
            )
        return pd.DataFrame(rows)

    def reliability(self) -> pd.DataFrame:
        """``construct, mode, n_items, alpha, rho_a, rho_c, ave`` (NaN for Mode B constructs)."""
        rel = reliability(self.est, self.S, self.st)
        return pd.DataFrame(
            {
                "construct": self.st.names,
                "mode": self.model_modes(),
                "n_items": [b.size for b in self.st.blocks],
                "alpha": rel[:, 0],
                "rho_a": rel[:, 1],
                "rho_c": rel[:, 2],
                "ave": rel[:, 3],
            }
        )

    def model_modes(self) -> list[str]:
        return [self.model.modes[c] for c in self.st.names]

    def htmt(self) -> pd.DataFrame:
        """HTMT and HTMT2 of every pair: ``construct_a, construct_b, htmt, se, ci_lower, ci_upper, bca_lower,
        bca_upper, htmt2, htmt2_ci_lower, htmt2_ci_upper``."""
        n = self.st.names
        df = self._rows("htmt", [{"construct_a": n[i], "construct_b": n[j]} for i, j in self.lay.pairs])
        df = df.rename(columns={"estimate": "htmt"}).drop(columns=["t", "p_value"])
        h2 = self._rows("htmt2", [{} for _ in self.lay.pairs])
        df["htmt2"] = h2["estimate"].to_numpy()
        df["htmt2_ci_lower"] = h2["ci_lower"].to_numpy()
        df["htmt2_ci_upper"] = h2["ci_upper"].to_numpy()
        return df

    def htmt_matrix(self, kind: str = "htmt") -> pd.DataFrame:
        """HTMT (or HTMT2) as a construct x construct matrix (NaN on the diagonal)."""
        return pd.DataFrame(_htmt(self.S, self.st, kind), index=self.st.names, columns=self.st.names)

    def construct_correlations(self) -> pd.DataFrame:
        """Correlations of the constructs the paths were estimated from (PLSc: disattenuated)."""
        return pd.DataFrame(self.est.Rc, index=self.st.names, columns=self.st.names)

    def fornell_larcker(self) -> pd.DataFrame:
        """Fornell-Larcker matrix: √AVE on the diagonal, construct correlations below it, NaN above.

        Under PLSc the correlations are the consistent (disattenuated) ones and the AVE comes from the
        consistent loadings.
        """
        R = self.est.Rc.copy()
        J = R.shape[0]
        ave = self.reliability()["ave"].to_numpy()
        out = np.full((J, J), np.nan)
        il = np.tril_indices(J, -1)
        out[il] = R[il]
        out[np.diag_indices(J)] = np.sqrt(ave)
        return pd.DataFrame(out, index=self.st.names, columns=self.st.names)

    def cross_loadings(self) -> pd.DataFrame:
        """Correlation of every item with every construct score (items x constructs)."""
        return pd.DataFrame(self.est.cross, index=self.st.items, columns=self.st.names)

    def vif_outer(self) -> pd.DataFrame:
        """``construct, item, vif``: each indicator regressed on the other indicators of its construct."""
        v = vif_outer(self.S, self.st)
        return pd.DataFrame(
            [
                {"construct": self.st.names[j], "item": self.st.items[i], "vif": float(v[i])}
                for i, j in self.lay.item_construct
            ]
        )

    def vif_inner(self) -> pd.DataFrame:
        """``from, to, vif``: each predictor of an endogenous construct on its other predictors."""
        n = self.st.names
        return pd.DataFrame(
            [{"from": n[i], "to": n[j], "vif": v} for (i, j), v in vif_inner(self.est.Rc, self.st).items()]
        )

    def f2(self) -> pd.DataFrame:
        """``from, to, f2``: ``(R²_incl - R²_excl) / (1 - R²_incl)``, the model re-estimated without the path."""
        return self.paths()[["from", "to", "f2"]].copy()

    def effects(self) -> pd.DataFrame:
        """Total effects of each pair linked by a path or chain: ``from, to, total, direct, total_indirect``,
        the inference of the total effect (``se, t, p_value, ci_lower, ci_upper, bca_lower, bca_upper``) and
        of the total indirect effect (``indirect_se, indirect_t, indirect_p_value, indirect_ci_lower,
        indirect_ci_upper, indirect_bca_lower, indirect_bca_upper``; NaN for a pair with no indirect chain)."""
        n = self.st.names
        df = self._rows("total", [{"from": n[i], "to": n[j]} for i, j in self.lay.total])
        df = df.rename(columns={"estimate": "total"})
        B = self.est.B
        df.insert(3, "direct", [float(B[i, j]) for i, j in self.lay.total])
        ind = self._rows("total_indirect", [{} for _ in self.lay.total])
        df.insert(4, "total_indirect", ind["estimate"].to_numpy())
        has_chain = np.array([any(c[0] == i and c[-1] == j for c in self.lay.chains) for i, j in self.lay.total])
        for key in ("se", "t", "p_value", "ci_lower", "ci_upper", "bca_lower", "bca_upper"):
            df[f"indirect_{key}"] = np.where(has_chain, ind[key].to_numpy(), np.nan)
        return df

    def indirect(self) -> pd.DataFrame:
        """Specific indirect effects: ``chain, from, to, estimate, se, t, p_value, ci_lower, ci_upper, bca_lower,
        bca_upper`` (the product of the chain's path coefficients)."""
        n = self.st.names
        return self._rows(
            "indirect",
            [{"chain": " -> ".join(n[c] for c in ch), "from": n[ch[0]], "to": n[ch[-1]]} for ch in self.lay.chains],
        )

    def fit(self) -> pd.DataFrame:
        """``model, srmr, d_uls, d_g`` for the saturated and the estimated model."""
        return pd.DataFrame([{"model": k, **v} for k, v in self.fit_values.items()])

    def summary(self) -> pd.DataFrame:
        """The path table (as :meth:`paths`)."""
        return self.paths()

    # ------------------------------------------------------------------ results.json
    def to_dict(self) -> dict:
        """The ``pls`` entry of a mechanism in ``results.json`` (NaN becomes null)."""

        def recs(df: pd.DataFrame, cols: Sequence[str]) -> list[dict]:
            return [
                {
                    c: (
                        _json(r[c])
                        if isinstance(r[c], (float, np.floating, int, np.integer)) and not isinstance(r[c], bool)
                        else r[c]
                    )
                    for c in cols
                }
                for _, r in df.iterrows()
            ]

        est_cols = [
            "construct",
            "item",
            "estimate",
            "se",
            "t",
            "p_value",
            "ci_lower",
            "ci_upper",
            "bca_lower",
            "bca_upper",
        ]
        rel = self.reliability()
        h = self.htmt()
        htmt_d: dict = {}
        htmt2_d: dict = {}
        htmt_ci: list = []
        for _, r in h.iterrows():
            htmt_d.setdefault(r.construct_a, {})[r.construct_b] = _json(r.htmt)
            htmt2_d.setdefault(r.construct_a, {})[r.construct_b] = _json(r.htmt2)
            htmt_ci.append(
                {
                    "construct_a": r.construct_a,
                    "construct_b": r.construct_b,
                    "htmt": _json(r.htmt),
                    "ci_lower": _json(r.ci_lower),
                    "ci_upper": _json(r.ci_upper),
                    "bca_lower": _json(r.bca_lower),
                    "bca_upper": _json(r.bca_upper),
                    "htmt2": _json(r.htmt2),
                    "htmt2_ci_lower": _json(r.htmt2_ci_lower),
                    "htmt2_ci_upper": _json(r.htmt2_ci_upper),
                }
            )
        r2 = self.r2()
        fl = self.fornell_larcker()
        cl = self.cross_loadings()
        vo = self.vif_outer()
        vif_o: dict = {}
        for _, r in vo.iterrows():
            vif_o.setdefault(r.construct, {})[r["item"]] = _json(r.vif)
        vif_i: dict = {}
        for _, r in self.vif_inner().iterrows():
            vif_i.setdefault(r["to"], {})[r["from"]] = _json(r.vif)
        fit = {k: {m: _json(v) for m, v in d.items()} for k, d in self.fit_values.items()}
        return {
            "method": "PLS-SEM",
            "scheme": self.scheme,
            "consistent": bool(self.consistent),
            "measurement": (
                "common factors for Mode A constructs (PLSc, Dijkstra & Henseler 2015); Mode B composites"
                if self.consistent
                else "composites (Mode A: correlation weights, Mode B: regression weights), as SmartPLS's PLS algorithm"
            ),
            "modes": dict(zip(self.st.names, self.model_modes())),
            "missing": {
                "method": "mean replacement" if self.missing == "mean" else "listwise deletion",
                "n_replaced": self.data.n_replaced,
                "n_dropped": self.data.n_dropped,
                "replaced_by_item": dict(self.data.replaced_by_item),
            },
            "n_obs": self.n_obs,
            "iterations": self.iterations,
            "converged": bool(self.converged),
            "weight_change": _json(self.weight_change),
            "tolerance": self.tol,
            "max_iterations": self.max_iter,
            "weights": recs(self.weights(), est_cols),
            "loadings": recs(self.loadings(), est_cols),
            "reliability": {
                r.construct: {
                    "mode": r["mode"],
                    "n_items": int(r.n_items),
                    "alpha": _json(r.alpha),
                    "rho_a": _json(r.rho_a),
                    "rho_c": _json(r.rho_c),
                    "ave": _json(r.ave),
                }
                for _, r in rel.iterrows()
            },
            "htmt": htmt_d,
            "htmt2": htmt2_d,
            "htmt_inference": htmt_ci,
            "fornell_larcker": {a: {b: _json(fl.loc[a, b]) for b in fl.columns} for a in fl.index},
            "cross_loadings": {it: {c: _json(cl.loc[it, c]) for c in cl.columns} for it in cl.index},
            "vif_outer": vif_o,
            "vif_inner": vif_i,
            "paths": recs(
                self.paths(),
                ["from", "to", "estimate", "se", "t", "p_value", "ci_lower", "ci_upper", "bca_lower", "bca_upper"],
            ),
            "r2": {r.construct: _json(r.r2) for _, r in r2.iterrows()},
            "r2_adj": {r.construct: _json(r.r2_adj) for _, r in r2.iterrows()},
            "r2_inference": recs(r2, ["construct", "se", "ci_lower", "ci_upper"]),
            "f2": recs(self.f2(), ["from", "to", "f2"]),
            "f2_method": "the model re-estimated without the path (as seminr's fSquared and SmartPLS)",
            "effects": recs(
                self.effects(),
                [
                    "from",
                    "to",
                    "total",
                    "direct",
                    "total_indirect",
                    "se",
                    "t",
                    "p_value",
                    "ci_lower",
                    "ci_upper",
                    "bca_lower",
                    "bca_upper",
                    "indirect_se",
                    "indirect_t",
                    "indirect_p_value",
                    "indirect_ci_lower",
                    "indirect_ci_upper",
                    "indirect_bca_lower",
                    "indirect_bca_upper",
                ],
            ),
            "indirect": recs(
                self.indirect(),
                [
                    "chain",
                    "from",
                    "to",
                    "estimate",
                    "se",
                    "t",
                    "p_value",
                    "ci_lower",
                    "ci_upper",
                    "bca_lower",
                    "bca_upper",
                ],
            ),
            "fit": {
                **(fit.get("estimated") or {}),
                "saturated": fit.get("saturated"),
                "estimated": fit.get("estimated"),
            },
            "fit_note": (
                "model-implied correlations of the composite model (within a composite block the observed "
                "correlations; PLSc common factors: λλ'), Dijkstra & Henseler (2015), as cSEM"
            ),
            "bootstrap": self.boot_summary,
            "level": self.level,
            "warnings": list(self.warnings),
        }


def _estimate_or_raise(S, st, scheme, consistent, tol, max_iter, what="the PLS model") -> Estimate:
    try:
        return estimate(S, st, scheme, consistent, tol, max_iter)
    except np.linalg.LinAlgError:
        raise InputError(
            f"{what} cannot be estimated: a correlation matrix is singular (a Mode B construct with "
            "perfectly collinear items, or predictors whose scores are perfectly collinear)"
        ) from None


def _sub_correlations(S: np.ndarray, items: list[str], sub: PLSModel) -> np.ndarray:
    ix = {it: k for k, it in enumerate(items)}
    idx = [ix[it] for it in sub.items]
    return S[np.ix_(idx, idx)]


def fit_pls(
    data: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]] | PLSModel,
    paths: Sequence[tuple[str, str]] | None = None,
    *,
    modes: Mapping[str, str] | None = None,
    scheme: str = "path",
    consistent: bool = False,
    missing: str = "mean",
    missing_value: float | None = None,
    tol: float = 1e-7,
    max_iter: int = 300,
    bootstrap: int = 0,
    seed: int = 20240601,
    level: float = 0.95,
    bca: bool = True,
    workers: int | None = None,
    executor: Callable | None = None,
    progress: bool = False,
    desc: str = "PLS bootstrap",
) -> PLSResults:
    """Estimate a PLS path model, assess it and (optionally) bootstrap it.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, one numeric column per item.
    constructs : mapping or PLSModel
        Construct -> items, or a ready :class:`~validate.pls.model.PLSModel` (then ``paths`` and
        ``modes`` are not given).
    paths : sequence of (source, target)
    modes : mapping, optional
        Construct -> ``A``/``B`` (or ``reflective``/``formative``); Mode A is the default.
    scheme : {"path", "factorial", "centroid"}
        Inner weighting scheme; path weighting is SmartPLS's default.
    consistent : bool
        PLSc (Dijkstra & Henseler 2015): Mode A constructs are treated as common factors.
    missing : {"mean", "listwise"}
        Mean replacement (seminr's default) or listwise deletion.
    missing_value : float, optional
        A number that marks a missing answer (e.g. -99).
    tol, max_iter : float, int
        Convergence: the sum of absolute changes of the outer weights below ``tol`` (1e-7), at most
        ``max_iter`` (300) iterations.
    bootstrap : int
        Resamples (0: none; 5000 is SmartPLS's recommendation).
    seed : int
        Root of the resamples' seeds.
    level : float
        Confidence level of the intervals.
    bca : bool
        Also BCa intervals (costs one re-estimate per respondent for the jackknife).
    workers, executor, progress
        As :func:`validate.structural.bootstrap.run_bootstrap`.

    Returns
    -------
    PLSResults

    Notes
    -----
    The algorithm is Lohmöller's (1989) as described in :mod:`validate.pls.estimate`. Checked against
    seminr 0.2.1 (the Python port of the R package): weights, loadings, paths, R², reliability, HTMT,
    VIF and f² agree to about 1e-12 on corp_rep and mobi (path and factorial schemes, PLSc, Mode B).

    References
    ----------
    Lohmöller, J.-B. (1989). *Latent variable path modeling with partial least squares*. Physica.
    Dijkstra, T. K., & Henseler, J. (2015). Consistent partial least squares path modeling. *MIS
    Quarterly*, 39, 297-316.
    """
    if isinstance(constructs, PLSModel):
        model = constructs
        if paths is not None or modes is not None:
            raise InputError("fit_pls: paths and modes come from the PLSModel given; do not pass them too")
    else:
        if paths is None:
            raise InputError("fit_pls: no paths given; expected a list of (source, target) pairs")
        model = PLSModel(constructs, paths, modes or {})
    if scheme not in SCHEMES:
        raise InputError(f"--scheme {scheme}: expected one of {', '.join(SCHEMES)}")
    if missing not in MISSING:
        raise InputError(f"PLS missing values: {missing!r}: expected mean (mean replacement) or listwise")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise InputError(f"--bootstrap {bootstrap!r}: expected 0 (no bootstrap) or a positive whole number")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise InputError(f"max_iter {max_iter!r}: expected a whole number >= 1")
    if not 0 < level < 1:
        raise InputError(f"level {level!r}: expected a confidence level between 0 and 1, e.g. 0.95")
    prep = prepare_data(data, model, missing, missing_value)
    Z, S = fill_and_correlate(prep.raw)
    st = Structure.of(model)
    est = _estimate_or_raise(S, st, scheme, consistent, tol, max_iter)
    warnings: list[str] = []
    if not est.converged:
        warnings.append(
            f"the PLS algorithm did not converge in {max_iter} iterations (last change of the weights "
            f"{est.weight_change:.2g} > {tol:g}); the estimates are not reliable"
        )
    if missing == "mean" and prep.n_replaced:
        share = {it: k / prep.raw.shape[0] for it, k in prep.replaced_by_item.items()}
        many = [f"{it} ({100 * s:.1f}%)" for it, s in share.items() if s > 0.05]
        if many:
            warnings.append(
                "more than 5% of the answers are missing and were mean-replaced for "
                + ", ".join(many)
                + "; mean replacement shrinks the variance of these items (Hair et al. 2022 suggest "
                "listwise deletion or another treatment above 5%)"
            )
    if np.any(st.mode_b):
        warnings.append(
            "reliability and AVE are not reported for Mode B (formative) constructs: the criteria "
            "assume reflective measurement (Hair et al. 2022, ch. 5)"
        )
    if consistent and not np.any(~st.mode_b & ~st.single):
        warnings.append("PLSc changes nothing here: no construct is Mode A with more than one item")
    ix = {c: i for i, c in enumerate(st.names)}
    path_ix = [(ix[a], ix[b]) for a, b in model.paths]
    chains = [tuple(ix[c] for c in ch.nodes) for ch in enumerate_chains(list(model.paths))]
    lay = Layout.of(st, path_ix, chains)
    with np.errstate(all="ignore"):
        point = statistic_vector(est, S, st, lay)
    scores = pd.DataFrame(Z @ est.W, columns=st.names)
    # f²: re-estimate without each path
    f2 = {}
    for a, b in model.paths:
        sub = model.without_path(a, b)
        r2_in = float(est.r2[ix[b]])
        r2_out = 0.0
        if sub is not None and b in sub.endogenous:
            sst = Structure.of(sub)
            try:
                e2 = estimate(_sub_correlations(S, st.items, sub), sst, scheme, consistent, tol, max_iter)
                r2_out = float(e2.r2[sst.names.index(b)])
            except np.linalg.LinAlgError:
                r2_out = np.nan
        f2[(a, b)] = (r2_in - r2_out) / (1 - r2_in)
    res = PLSResults(
        model,
        scheme,
        bool(consistent),
        missing,
        prep,
        est,
        S,
        st,
        lay,
        scores,
        point,
        level=level,
        f2_values=f2,
        fit_values=model_fit(est, S, st),
        tol=tol,
        max_iter=max_iter,
        warnings=warnings,
    )
    if bootstrap:
        from validate.structural.bootstrap import jackknife, run_bootstrap

        stat = PLSStatistic(st, lay, scheme, bool(consistent), tol, max_iter)
        boot = run_bootstrap(
            stat,
            prep.raw,
            int(bootstrap),
            stat.k,
            seed=seed,
            workers=workers,
            progress=progress,
            desc=desc,
            executor=executor,
        )
        jack = jackknife(stat, prep.raw, stat.k) if bca else None
        res.inf = inference(point, boot.good(), jack, level)
        res.boot_summary = {
            **boot.summary(),
            "ci": f"percentile{' and BCa' if bca else ''}, {100 * level:g}%",
            "p_value": "two-sided, t distribution with B - 1 degrees of freedom (as SmartPLS)",
        }
        if boot.failed:
            warnings.append(
                f"{boot.failed} of {boot.requested} bootstrap resamples could not be estimated and were "
                "left out: " + "; ".join(f"{v} {k}" for k, v in boot.failures.items())
            )
        if boot.completed < 2:
            warnings.append("fewer than 2 bootstrap resamples completed; no standard errors or intervals")
    return res
