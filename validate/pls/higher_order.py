"""Higher-order constructs in PLS-SEM: the disjoint and the embedded two-stage approaches.

A higher-order construct (HOC) is measured by lower-order constructs (LOCs, its
*dimensions*), which are measured by items; the spec writes it as
``dimensions: [COST, REV, EXP, COMP]`` on a construct without items. PLS needs
indicators for every construct, so the HOC is estimated in two stages
(Sarstedt, Hair, Cheah, Becker & Ringle 2019; Becker, Klein & Wetzels 2012):

**Stage 1** gives the LOC scores.

- *Disjoint* (the default, as seminr's ``higher_composite(method = two_stage)``):
  the HOC is left out; each path into the HOC is drawn into every one of its
  dimensions, each path out of it from every dimension (``A -> HOC`` becomes
  ``A -> LOC_k``, ``HOC -> Y`` becomes ``LOC_k -> Y``).
- *Embedded*: the repeated-indicator model. The HOC is measured by all items of
  its dimensions (copies of the item columns), keeps its own paths, and is linked
  to its dimensions by paths ``HOC -> LOC_k`` when it is reflective (Mode A) or
  ``LOC_k -> HOC`` when it is formative (Mode B); the repeated indicators are
  measured in the HOC's mode (Mode A for reflective-reflective, Mode B for
  reflective-formative HOCs; Becker et al. 2012).

**Stage 2** estimates the model the spec states: the HOC's indicators are the
stage-1 LOC scores (standardised), every other construct keeps its items, and the
dimensions themselves leave the model. The structural paths, R², effects and the
HOC's measurement (loadings, weights, reliability, HTMT, VIF) come from stage 2;
the LOCs' own measurement (item loadings, reliability) from stage 1.

The HOC's mode is the spec's ``mode`` of the second-order construct:
``reflective`` (Mode A; a reflective-reflective HOC, judged by its loadings, α,
ρA, ρC, AVE and HTMT) or ``formative`` (Mode B; a reflective-formative HOC, judged
by its weights, their bootstrap significance and VIF).

Every bootstrap resample re-runs both stages on the resampled rows (as seminr's
``bootstrap_model`` of a two-stage model does), so the intervals carry the
uncertainty of the stage-1 scores.
PLSpredict and CVPAT likewise re-run both stages on the training cases of every
fold (:func:`validate.pls.predict.hoc_predict_fold`), so no held-out case enters the
dimension scores the training model is estimated from.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> x = rng.normal(size=300); h = 0.5 * x + rng.normal(size=300) * 0.85
>>> cols = {f"x{k}": x + rng.normal(size=300) * 0.5 for k in range(3)}
>>> for d in ("D1", "D2", "D3"):
...     f = 0.9 * h + rng.normal(size=300) * 0.45
...     cols.update({f"{d}{k}": f + rng.normal(size=300) * 0.5 for k in range(3)})
>>> blocks = {"X": ["x0", "x1", "x2"], **{d: [f"{d}{k}" for k in range(3)] for d in ("D1", "D2", "D3")}}
>>> model = HOCModel(blocks, {"H": ["D1", "D2", "D3"]}, [("X", "H")])
>>> res = fit_hoc(pd.DataFrame(cols), model)          # disjoint two-stage approach
>>> res.stage2.model.constructs["H"]                  # stage 2: H measured by its dimensions' scores
('D1', 'D2', 'D3')
>>> bool(res.measurement().loading.min() > 0.8), res.model.kind("H")
(True, 'reflective-reflective')

References
----------
Becker, J.-M., Klein, K., & Wetzels, M. (2012). Hierarchical latent variable models in PLS-SEM:
guidelines for using reflective-formative type models. *Long Range Planning*, 45, 359-394.
Sarstedt, M., Hair, J. F., Cheah, J.-H., Becker, J.-M., & Ringle, C. M. (2019). How to specify,
estimate, and validate higher-order constructs in PLS-SEM. *Australasian Marketing Journal*, 27, 197-211.
Ringle, C. M., Sarstedt, M., & Straub, D. W. (2012). A critical look at the use of PLS-SEM in MIS
Quarterly. *MIS Quarterly*, 36, iii-xiv.
van Riel, A. C. R., Henseler, J., Kemény, I., & Sasovova, Z. (2017). Estimating hierarchical constructs
using consistent partial least squares: the case of second-order composites of common factors.
*Industrial Management & Data Systems*, 117, 459-477.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from instruments.errors import InputError
from validate.measurement.analysis import json_float as _json
from validate.pls.bootstrap import Layout, inference, statistic_vector
from validate.pls.estimate import Estimate, Structure, estimate
from validate.pls.model import PLSModel, fill_and_correlate, normalise_mode, prepare_data

__all__ = ["APPROACHES", "HOCModel", "HOCResults", "fit_hoc"]

#: Two-stage approaches: disjoint (seminr's ``two_stage``; the default) and embedded (repeated indicators first).
APPROACHES = ("disjoint", "embedded")
#: A repeated indicator's column name in the embedded approach's stage 1: ``HOC.item`` (a spec id has no dot).
_COPY = "{hoc}.{item}"


@dataclass(frozen=True)
class HOCModel:
    """A PLS path model with higher-order constructs.

    Parameters
    ----------
    constructs : mapping of str to sequence of str
        First-order constructs -> their items (the dimensions among them).
    hocs : mapping of str to sequence of str
        Higher-order construct -> its dimensions (first-order constructs; at least 2; each in one HOC).
    paths : sequence of (source, target)
        The structural paths, between first- and higher-order constructs. A dimension takes part in no
        path of its own (it is part of its HOC).
    modes : mapping, optional
        Construct (first- or higher-order) -> A/B (reflective/formative). A HOC in Mode B is
        reflective-formative; in Mode A (the default) reflective-reflective.

    Attributes
    ----------
    order : list of str
        Every construct, first- and higher-order, in the order given (constructs, then HOCs).
    """

    constructs: Mapping[str, Sequence[str]]
    hocs: Mapping[str, Sequence[str]]
    paths: Sequence[tuple[str, str]]
    modes: Mapping[str, str] = field(default_factory=dict)
    order: tuple[str, ...] = ()

    def __post_init__(self):
        blocks = {str(c): tuple(map(str, (v,) if isinstance(v, str) else v)) for c, v in self.constructs.items()}
        hocs = {str(h): tuple(map(str, d)) for h, d in (self.hocs or {}).items()}
        if not hocs:
            raise InputError("PLS model: no higher-order construct given; expected HOC -> [dimensions]")
        owner: dict[str, str] = {}
        for h, dims in hocs.items():
            if h in blocks:
                raise InputError(
                    f"PLS model: {h} is given both as a construct with items and as a higher-order "
                    "construct; expected one of the two"
                )
            if len(dims) < 2:
                raise InputError(
                    f"PLS model: higher-order construct {h} has {len(dims)} dimension(s); expected at least 2"
                )
            for d in dims:
                if d not in blocks:
                    raise InputError(
                        f"PLS model: {d}, a dimension of {h}, is not a construct measured by items; "
                        f"expected one of {', '.join(blocks)}"
                    )
                if d in owner:
                    raise InputError(
                        f"PLS model: {d} is a dimension of both {owner[d]} and {h}; expected each "
                        "dimension in one higher-order construct"
                    )
                owner[d] = h
        items = {it for v in blocks.values() for it in v}
        clash = sorted(items & set(blocks) | items & set(hocs))
        if clash:
            raise InputError(
                f"PLS model: {', '.join(clash)} is both an item and a construct; the two-stage approach "
                "names the stage-2 indicators of a higher-order construct by its dimensions"
            )
        paths = [tuple(map(str, p)) for p in self.paths]
        for a, b in paths:
            for c in (a, b):
                if c in owner:
                    raise InputError(
                        f"PLS model: path {a} -> {b} names {c}, a dimension of the higher-order construct "
                        f"{owner[c]}; in the two-stage approach a dimension takes part only through "
                        f"{owner[c]} (draw the path from or to {owner[c]})"
                    )
        order = list(self.order) or list(blocks) + list(hocs)
        object.__setattr__(self, "constructs", blocks)
        object.__setattr__(self, "hocs", hocs)
        object.__setattr__(self, "paths", tuple(paths))
        modes = {}
        for c, m in dict(self.modes or {}).items():
            if c not in blocks and c not in hocs:
                raise InputError(f"PLS model: a mode is given for {c}, which is not a construct")
            modes[c] = normalise_mode(m, f"PLS model, construct {c}")
        object.__setattr__(self, "modes", {c: modes.get(c, "A") for c in order})
        object.__setattr__(self, "order", tuple(order))
        _ = self.stage2  # the model the spec states: paths named right, acyclic, every construct linked
        self.stage1("disjoint")

    @property
    def dimensions(self) -> list[str]:
        """Every dimension of every HOC, HOC by HOC."""
        return [d for dims in self.hocs.values() for d in dims]

    def kind(self, hoc: str) -> str:
        """``reflective-reflective`` (HOC in Mode A) or ``reflective-formative`` (Mode B).

        The first word names the LOCs' measurement; a LOC in Mode B makes it ``formative-...``.
        """
        low = "formative" if all(self.modes[d] == "B" for d in self.hocs[hoc]) else "reflective"
        return f"{low}-{'formative' if self.modes[hoc] == 'B' else 'reflective'}"

    @property
    def stage2(self) -> PLSModel:
        """The stage-2 model: each HOC measured by its dimensions' scores (columns named by the dimensions)."""
        low = set(self.dimensions)
        blocks = {c: (self.hocs[c] if c in self.hocs else self.constructs[c]) for c in self.order if c not in low}
        used = {c for p in self.paths for c in p}
        blocks = {c: v for c, v in blocks.items() if c in used}
        return PLSModel(blocks, self.paths, {c: self.modes[c] for c in blocks})

    def stage1(self, approach: str) -> PLSModel:
        """The stage-1 model of ``approach`` (``disjoint`` or ``embedded``; see the module docstring)."""
        if approach not in APPROACHES:
            raise InputError(f"--hoc-approach {approach}: expected disjoint (the default) or embedded")
        first = [c for c in self.order if c not in self.hocs]
        if approach == "disjoint":
            paths = list(self.paths)
            for h, dims in self.hocs.items():  # as seminr: antecedents to every dimension, then dimensions to outcomes
                ante = [a for a, b in paths if b == h]
                if ante:
                    paths = [p for p in paths if p[1] != h] + [(a, d) for a in ante for d in dims]
                outs = [b for a, b in paths if a == h]
                if outs:
                    paths = [p for p in paths if p[0] != h] + [(d, b) for d in dims for b in outs]
            used = {c for p in paths for c in p}
            return PLSModel(
                {c: self.constructs[c] for c in first if c in used},
                paths,
                {c: self.modes[c] for c in first if c in used},
            )
        paths = list(self.paths)
        for h, dims in self.hocs.items():
            paths += [(d, h) for d in dims] if self.modes[h] == "B" else [(h, d) for d in dims]
        used = {c for p in paths for c in p}
        blocks = {}
        for c in self.order:
            if c not in used:
                continue
            blocks[c] = (
                [_COPY.format(hoc=c, item=it) for d in self.hocs[c] for it in self.constructs[d]]
                if c in self.hocs
                else self.constructs[c]
            )
        return PLSModel(blocks, paths, {c: self.modes[c] for c in blocks})

    def without_path(self, source: str, target: str) -> HOCModel | PLSModel | None:
        """The model with one path removed (for f²): constructs, HOCs and dimensions left without a path dropped.

        A :class:`PLSModel` when no HOC is left in a path; None when no path is left.
        """
        paths = [p for p in self.paths if p != (source, target)]
        if not paths:
            return None
        used = {c for p in paths for c in p}
        hocs = {h: d for h, d in self.hocs.items() if h in used}
        low = {d for dims in hocs.values() for d in dims}
        blocks = {c: v for c, v in self.constructs.items() if c in used or c in low}
        modes = {c: m for c, m in self.modes.items() if c in blocks or c in hocs}
        if not hocs:
            return PLSModel(blocks, paths, modes)
        return HOCModel(blocks, hocs, paths, modes, tuple(c for c in self.order if c in blocks or c in hocs))

    def copies(self) -> dict[str, str]:
        """Embedded stage 1: repeated-indicator column -> the item it repeats."""
        return {
            _COPY.format(hoc=h, item=it): it for h, dims in self.hocs.items() for d in dims for it in self.constructs[d]
        }

    @classmethod
    def from_mechanism(cls, mechanism, direct: bool = False, modes: Mapping[str, str] | None = None) -> HOCModel:
        """The model of one mechanism of a spec whose constructs include second-order ones (``dimensions``).

        A HOC's measurement mode is its ``mode`` in the spec (``reflective``: Mode A, ``formative``: Mode B),
        overridden by ``modes`` (``--pls-mode``).
        """
        paths = [(p.source, p.target) for p in mechanism.active_paths(direct)]
        used = {x for p in paths for x in p}
        hocs = {cid: tuple(c.dimensions) for cid, c in mechanism.constructs.items() if c.second_order and cid in used}
        low = {d for dims in hocs.values() for d in dims}
        blocks = {
            cid: list(c.item_ids)
            for cid, c in mechanism.constructs.items()
            if not c.second_order and (cid in used or cid in low)
        }
        order = [cid for cid in mechanism.constructs if cid in blocks or cid in hocs]
        found = {}
        for cid, c in mechanism.constructs.items():
            m = getattr(c, "mode", None)
            if m is not None and cid in order:
                found[cid] = normalise_mode(m, f"mechanisms.{mechanism.id}.constructs.{cid}.mode")
        for cid, m in dict(modes or {}).items():
            if cid not in order:
                raise InputError(
                    f"--pls-mode {cid}={m}: {cid} is not a construct of mechanism {mechanism.id} "
                    f"that takes part in a path; expected one of {', '.join(order)}"
                )
            found[cid] = normalise_mode(m, f"mode of construct {cid}")
        return cls(blocks, hocs, paths, found, tuple(order))


class TwoStage:
    """Both stages from the indicator rows: the point estimate and one bootstrap resample.

    Picklable (index arrays only), so the bootstrap runs on the local workers or a Dask cluster.
    Called with rows of the items (``base`` order, NaN where missing); returns ``(vector, None)`` or
    ``(None, reason)``. The vector is the stage-2 statistics (:func:`validate.pls.bootstrap.statistic_vector`)
    followed by the stage-1 weights and loadings.
    """

    def __init__(
        self,
        hm: HOCModel,
        approach: str,
        base: list[str],
        lay2: Layout | None,
        scheme: str,
        consistent: bool,
        tol: float,
        max_iter: int,
    ):
        self.m1 = hm.stage1(approach)
        self.m2 = hm.stage2
        self.st1, self.st2 = Structure.of(self.m1), Structure.of(self.m2)
        col = {it: k for k, it in enumerate(base)}
        copies = hm.copies()
        self.idx1 = np.array([col[copies.get(it, it)] for it in self.m1.items], dtype=int)
        low = set(hm.dimensions)
        ix1 = {c: j for j, c in enumerate(self.st1.names)}
        # stage-2 columns: an item (from the rows) or a dimension's stage-1 score
        self.src2 = [("score", ix1[it]) if it in low and it in ix1 else ("item", col[it]) for it in self.m2.items]
        self.lay2 = lay2
        self.scheme, self.consistent, self.tol, self.max_iter = scheme, consistent, tol, max_iter
        self.k1 = 2 * len(self.m1.items)

    @property
    def k(self) -> int:
        return self.lay2.k + self.k1

    def stages(self, rows: np.ndarray):
        """``(est1, S1, Z1, est2, S2, X2)`` of the rows, or a reason string when a stage cannot be estimated."""
        zr = fill_and_correlate(rows)
        if zr is None:
            return "an item had no variance in the sample"
        Z, _ = zr
        Z1 = Z[:, self.idx1]
        n = Z.shape[0]
        S1 = (Z1.T @ Z1) / (n - 1)
        np.fill_diagonal(S1, 1.0)
        try:
            est1 = estimate(S1, self.st1, self.scheme, self.consistent, self.tol, self.max_iter)
        except np.linalg.LinAlgError:
            return "a singular correlation matrix in stage 1"
        if not est1.converged:
            return f"stage 1 did not converge in {self.max_iter} iterations"
        Y = Z1 @ est1.W
        X2 = np.column_stack([Y[:, j] if kind == "score" else Z[:, j] for kind, j in self.src2])
        X2 = (X2 - X2.mean(0)) / X2.std(0, ddof=1)
        S2 = (X2.T @ X2) / (n - 1)
        np.fill_diagonal(S2, 1.0)
        try:
            est2 = estimate(S2, self.st2, self.scheme, self.consistent, self.tol, self.max_iter)
        except np.linalg.LinAlgError:
            return "a singular correlation matrix in stage 2"
        if not est2.converged:
            return f"stage 2 did not converge in {self.max_iter} iterations"
        return est1, S1, Z1, est2, S2, X2

    def vector(self, est1: Estimate, est2: Estimate, S2: np.ndarray) -> np.ndarray:
        st1 = self.st1
        with np.errstate(all="ignore"):
            return np.concatenate(
                [statistic_vector(est2, S2, self.st2, self.lay2), est1.W[st1.item_of, st1.construct_of], est1.loadings]
            )

    def __call__(self, rows: np.ndarray):
        out = self.stages(rows)
        if isinstance(out, str):
            return None, out
        est1, _, _, est2, S2, _ = out
        return self.vector(est1, est2, S2), None


@dataclass
class HOCResults:
    """A two-stage PLS fit: ``stage2`` is the model the spec states, ``stage1`` gave the LOC scores.

    Attributes
    ----------
    model : HOCModel
    approach : {"disjoint", "embedded"}
    stage1, stage2 : validate.pls.fit.PLSResults
        ``stage2`` carries the two-stage bootstrap (both stages re-run in every resample); ``stage1``'s
        weights and loadings carry it too.
    rows : ndarray
        Positions of the data rows used (listwise deletion drops some).
    raw : ndarray (n, p)
        The items of the rows used, in ``base`` order (NaN where missing): PLSpredict re-runs both stages on
        them in every fold (:func:`validate.pls.predict.pls_predict`).
    base : list of str
        The item columns of ``raw`` (every item once).
    """

    model: HOCModel
    approach: str
    stage1: object
    stage2: object
    warnings: list = field(default_factory=list)
    rows: np.ndarray | None = None  # positions of the data rows used (listwise deletion drops some)
    raw: np.ndarray | None = None  # the items of the rows used (``base`` order, NaN where missing): for PLSpredict
    base: list | None = None  # the item columns of ``raw`` (every item once)

    def stage2_frame(self, data: pd.DataFrame, *columns: str) -> pd.DataFrame:
        """The stage-2 data (items and dimension scores, standardised) with ``columns`` of ``data`` beside them.

        Used for the multigroup analysis of a two-stage model (the group column); the rows are those used.
        """
        r2 = self.stage2
        out = pd.DataFrame(r2.data.raw, columns=r2.model.items)
        for c in columns:
            out[c] = data[c].to_numpy()[self.rows if self.rows is not None else slice(None)]
        return out

    def ipma(self, targets, scales: Mapping[str, tuple[float, float]]) -> dict:
        """IPMA (:func:`validate.pls.ipma.ipma`) of the two-stage model, on the dimensions' rescaled scores.

        A higher-order construct's indicators have no answer scale, so its dimensions' rescaled (0-100) stage-1
        scores are used as its indicators (Ringle & Sarstedt's 2016 rescaled construct scores, computed for the
        dimensions in stage 1 and carried into stage 2 as the two-stage approach carries the scores): each
        dimension's score is ``Σ w̃_i x*_i`` with its items rescaled to 0-100 and its
        stage-1 weights unstandardised and normalised to sum to 1 (``w̃_i ∝ w_i / sd(x*_i)``); stage 2 is then
        estimated on these scores (on a scale 0-100) and the other constructs' items. A dimension's score is an
        increasing linear function of its standardised stage-1 score when its weights' sum is positive, so
        stage 2's estimates are unchanged (checked); otherwise the IPMA is refused.

        Parameters
        ----------
        targets : str or sequence of str
            Endogenous stage-2 constructs.
        scales : mapping item -> (min, max)
            The answer scale of every item.

        Returns
        -------
        dict
            :func:`validate.pls.ipma.ipma`'s entry; ``method`` says how the higher-order constructs were mapped,
            and ``warnings`` names a negative stage-1 weight. ``{"skipped": reason}`` when a dimension's weights
            sum to a negative number (or stage 2 on the rescaled scores differs from the fit).
        """
        from validate.pls.fit import fit_pls
        from validate.pls.ipma import ipma

        r1, r2 = self.stage1, self.stage2
        items = list(self.base)
        absent = [it for it in items if it not in scales]
        if absent:
            raise InputError("IPMA: no answer scale (min, max) for item(s) " + ", ".join(absent))
        X = pd.DataFrame(self.raw, columns=items)
        X = X.fillna(X.mean())  # mean replacement, as in the estimation
        w1 = r1.weights()
        data, sc, neg = {}, {}, []
        low = set(self.model.dimensions)
        for it in r2.model.items:
            if it not in low:
                data[it], sc[it] = self.raw[:, items.index(it)], tuple(scales[it])
                continue
            ww = w1[w1.construct == it]
            its = list(ww.item)
            lo = np.array([float(scales[i][0]) for i in its])
            hi = np.array([float(scales[i][1]) for i in its])
            R = (X[its].to_numpy() - lo) / (hi - lo) * 100
            u = ww.estimate.to_numpy() / R.std(0, ddof=1)
            if not u.sum() > 0:
                return {
                    "skipped": f"the stage-1 weights of dimension {it} sum to a negative number: its rescaled "
                    "score would run against its standardised score (IPMA assumes non-negative weights)"
                }
            neg += [i for i, v in zip(its, ww.estimate) if v < 0]
            data[it], sc[it] = R @ (u / u.sum()), (0.0, 100.0)
        fit = fit_pls(
            pd.DataFrame(data),
            r2.model,
            scheme=r2.scheme,
            missing="mean",
            tol=r2.tol,
            max_iter=r2.max_iter,
        )
        if not np.allclose(fit.est.B, r2.est.B, atol=1e-8) or not np.allclose(fit.est.W, r2.est.W, atol=1e-8):
            return {"skipped": "stage 2 on the rescaled dimension scores did not reproduce the two-stage fit"}
        out = ipma(fit, targets, sc)
        out["method"] += "; a higher-order construct's indicators are its dimensions' rescaled (0-100) stage-1 scores"
        if neg:
            out["warnings"].append(
                "negative stage-1 weight(s) for " + ", ".join(neg) + ": IPMA assumes non-negative weights "
                "(Ringle & Sarstedt 2016); the performance of their dimensions may leave 0-100"
            )
        # the answer scales of the items (a dimension's rescaled score, on 0-100, is not an answer scale)
        out["scales"] = {it: [float(scales[it][0]), float(scales[it][1])] for it in items}
        return out

    def measurement(self) -> pd.DataFrame:
        """The HOCs' measurement (stage 2), one row per dimension.

        Columns: ``construct, dimension, mode, type, loading, loading_se, loading_p_value, loading_ci_lower,
        loading_ci_upper, weight, weight_se, weight_t, weight_p_value, weight_ci_lower, weight_ci_upper,
        weight_bca_lower, weight_bca_upper, vif``.
        """
        r2 = self.stage2
        ld = r2.loadings().set_index(["construct", "item"])
        wt = r2.weights().set_index(["construct", "item"])
        vif = r2.vif_outer().set_index(["construct", "item"]).vif
        rows = []
        for h, dims in self.model.hocs.items():
            if h not in r2.st.names:
                continue
            for d in dims:
                lo, w = ld.loc[(h, d)], wt.loc[(h, d)]
                rows.append(
                    {
                        "construct": h,
                        "dimension": d,
                        "mode": self.model.modes[h],
                        "type": self.model.kind(h),
                        "loading": lo.estimate,
                        "loading_se": lo.se,
                        "loading_p_value": lo.p_value,
                        "loading_ci_lower": lo.ci_lower,
                        "loading_ci_upper": lo.ci_upper,
                        "weight": w.estimate,
                        "weight_se": w.se,
                        "weight_t": w.t,
                        "weight_p_value": w.p_value,
                        "weight_ci_lower": w.ci_lower,
                        "weight_ci_upper": w.ci_upper,
                        "weight_bca_lower": w.bca_lower,
                        "weight_bca_upper": w.bca_upper,
                        "vif": float(vif.loc[(h, d)]),
                    }
                )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """``pls.higher_order`` of ``results.json`` (NaN becomes null)."""
        r1, r2 = self.stage1, self.stage2
        meas = self.measurement()
        rel = r2.reliability().set_index("construct")
        ht = r2.htmt_matrix()
        hocs = []
        for h, dims in self.model.hocs.items():
            if h not in r2.st.names:
                continue
            rows = meas[meas.construct == h]
            reflective = self.model.modes[h] == "A"
            rr = rel.loc[h]
            entry = {
                "construct": h,
                "dimensions": list(dims),
                "mode": self.model.modes[h],
                "type": self.model.kind(h),
                "loadings": [
                    {
                        "dimension": r.dimension,
                        "estimate": _json(r.loading),
                        "se": _json(r.loading_se),
                        "p_value": _json(r.loading_p_value),
                        "ci_lower": _json(r.loading_ci_lower),
                        "ci_upper": _json(r.loading_ci_upper),
                    }
                    for r in rows.itertuples()
                ],
                "weights": [
                    {
                        "dimension": r.dimension,
                        "estimate": _json(r.weight),
                        "se": _json(r.weight_se),
                        "t": _json(r.weight_t),
                        "p_value": _json(r.weight_p_value),
                        "ci_lower": _json(r.weight_ci_lower),
                        "ci_upper": _json(r.weight_ci_upper),
                        "bca_lower": _json(r.weight_bca_lower),
                        "bca_upper": _json(r.weight_bca_upper),
                        "vif": _json(r.vif),
                    }
                    for r in rows.itertuples()
                ],
                "reliability": (
                    {"alpha": _json(rr.alpha), "rho_a": _json(rr.rho_a), "rho_c": _json(rr.rho_c), "ave": _json(rr.ave)}
                    if reflective
                    else None
                ),
                "htmt": ({c: _json(ht.loc[h, c]) for c in ht.columns if c != h} if reflective else None),
            }
            if not reflective:
                entry["note"] = (
                    "a formative (Mode B) higher-order construct is judged by its weights, their "
                    "bootstrap significance and VIF; reliability, AVE and HTMT assume reflective "
                    "measurement and are not reported (Sarstedt et al. 2019)"
                )
            hocs.append(entry)
        d1 = r1.to_dict()
        low = set(self.model.dimensions)
        keep = lambda c: c in low  # noqa: E731  the stage-1 measurement reported: the dimensions'
        s1 = {
            "model": {
                "constructs": {c: list(v) for c, v in r1.model.constructs.items()},
                "paths": [[a, b] for a, b in r1.model.paths],
                "modes": dict(r1.model.modes),
            },
            "converged": d1["converged"],
            "iterations": d1["iterations"],
            "loadings": [r for r in d1["loadings"] if keep(r["construct"])],
            "weights": [r for r in d1["weights"] if keep(r["construct"])],
            "reliability": {c: v for c, v in d1["reliability"].items() if keep(c)},
            "htmt": {a: {b: v for b, v in row.items() if keep(b)} for a, row in d1["htmt"].items() if keep(a)},
            "paths": d1["paths"] if self.approach == "embedded" else [],
        }
        s1["htmt"] = {a: row for a, row in s1["htmt"].items() if row}
        if self.approach == "disjoint":
            s1["paths_note"] = (
                "the stage-1 paths stand in for the higher-order construct's paths and are not "
                "reported; the structural model is stage 2's"
            )
            del s1["paths"]
        else:
            s1["paths_note"] = (
                "the repeated-indicator model of stage 1 (paths between a higher-order construct and "
                "its dimensions included); the structural model is stage 2's"
            )
        return {
            "approach": self.approach,
            "method": (
                (
                    "disjoint two-stage approach: stage 1 links the dimensions directly to the constructs the "
                    "higher-order construct is related to (as seminr's two_stage)"
                )
                if self.approach == "disjoint"
                else (
                    "embedded two-stage approach: stage 1 is the repeated-indicator model (the higher-order "
                    "construct measured by all items of its dimensions)"
                )
            )
            + "; stage 2 measures each higher-order construct by its dimensions' stage-1 scores "
            "(Becker, Klein & Wetzels 2012; Sarstedt et al. 2019); every bootstrap resample re-runs "
            "both stages",
            "constructs": hocs,
            "stage1": s1,
            "stage2": {
                "constructs": {c: list(v) for c, v in r2.model.constructs.items()},
                "note": "the paths, R², effects, f², fit and the measurement of the other constructs in this "
                "PLS entry are stage 2's",
            },
            "warnings": list(self.warnings),
        }


def fit_hoc(
    data: pd.DataFrame,
    model: HOCModel,
    approach: str = "disjoint",
    *,
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
    desc: str = "PLS two-stage bootstrap",
) -> HOCResults:
    """Estimate a PLS path model with higher-order constructs by the two-stage approach.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, one numeric column per item.
    model : HOCModel
    approach : {"disjoint", "embedded"}
        Stage 1 without the HOCs (disjoint; seminr's ``two_stage``) or as the repeated-indicator model
        (embedded).
    scheme, consistent, missing, missing_value, tol, max_iter, bootstrap, seed, level, bca, workers, executor,
    progress, desc
        As :func:`validate.pls.fit.fit_pls`; the same settings run both stages. PLSc (``consistent``) is refused:
        a second-order composite of common factors needs a correction of its own (van Riel et al. 2017). Mean replacement (or
        listwise deletion) is done once on all items, before stage 1.

    Returns
    -------
    HOCResults
        ``stage2`` is a :class:`~validate.pls.fit.PLSResults` of the model the spec states (its ``to_dict()``
        is the ``pls`` entry), ``stage1`` the fit that gave the dimension scores, and ``to_dict()`` the
        ``pls.higher_order`` entry.

    Notes
    -----
    Stage 2's indicators of a HOC are its dimensions' stage-1 scores ``Y = Z W`` (unit variance), so a
    Mode A HOC's loadings are the correlations of the dimension scores with the HOC score and a Mode B HOC's
    weights the regression of the HOC's inner proxy on them. The disjoint approach matches seminr 0.2.1's
    ``higher_composite(method = two_stage)`` to about 1e-14 (weights, loadings, paths, R², reliability,
    HTMT, VIF of both stages, corp_rep and mobi; tests/test_pls_higher_order.py); the embedded approach
    matches the two stages built by hand in seminr (the repeated-indicator model, then its scores as
    indicators) to the same precision.

    References
    ----------
    Becker, Klein & Wetzels (2012); Sarstedt et al. (2019): see the module docstring.
    """
    from validate.pls.fit import fit_pls

    if approach not in APPROACHES:
        raise InputError(f"--hoc-approach {approach}: expected disjoint (the default) or embedded")
    if not isinstance(model, HOCModel):
        raise InputError("fit_hoc: expected a HOCModel (first-order constructs, higher-order constructs, paths)")
    if consistent:  # PLSc would make the HOC a common factor of its dimensions' scores: not the two-stage model
        raise InputError(
            f"--consistent (PLSc) with the higher-order construct(s) {', '.join(model.hocs)}: not "
            "supported in this version (a second-order composite of common factors needs its own "
            "correction); run without --consistent"
        )
    kw = dict(scheme=scheme, consistent=consistent, tol=tol, max_iter=max_iter, level=level)
    base_model = model.stage1("disjoint")  # every item once
    prep = prepare_data(data, base_model, missing, missing_value)
    base = base_model.items
    two = TwoStage(model, approach, base, None, scheme, bool(consistent), tol, max_iter)
    out = two.stages(prep.raw)
    if isinstance(out, str):
        raise InputError(
            f"the two-stage PLS model cannot be estimated: {out} (a Mode B block with perfectly "
            "collinear indicators, or predictors whose scores are perfectly collinear)"
        )
    _, _, Z1, _, _, X2 = out
    # the stage fits as results objects (same numbers as the stages above; assessed as any PLS model)
    df1 = pd.DataFrame(Z1, columns=two.m1.items)
    res1 = fit_pls(df1, two.m1, missing="mean", **kw)
    df2 = pd.DataFrame(X2, columns=two.m2.items)
    res2 = fit_pls(df2, two.m2, missing="mean", **kw)
    # the data treatment is stage 1's: report it on the items
    res2.missing = res1.missing = missing
    for attr in ("n_obs", "n_dropped", "n_replaced", "replaced_by_item"):
        setattr(res2.data, attr, getattr(prep, attr))
        setattr(res1.data, attr, getattr(prep, attr))
    warnings = list(res2.warnings)  # stage 2's data are complete: no missing-value warning of its own
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
    res2.warnings = warnings
    res2.f2_values = _f2(model, approach, prep.raw, base, res2, scheme, bool(consistent), tol, max_iter)
    hoc_warn = []
    if not res1.converged:
        hoc_warn.append(
            f"stage 1 of the two-stage approach did not converge in {max_iter} iterations; the "
            "dimension scores are not reliable"
        )
    for h in model.hocs:
        if len(model.hocs[h]) == 2 and model.modes[h] == "A":
            hoc_warn.append(
                f"{h} has 2 dimensions: its reliability rests on one correlation (3 or more dimensions recommended)"
            )
    X = data[base].to_numpy(dtype=float, copy=True)
    if missing_value is not None:
        X[X == float(missing_value)] = np.nan
    rows = np.flatnonzero(~np.isnan(X).any(1)) if missing == "listwise" else np.arange(len(data))
    res = HOCResults(model, approach, res1, res2, hoc_warn, rows, prep.raw, list(base))
    if bootstrap:
        from validate.structural.bootstrap import jackknife, run_bootstrap

        two.lay2 = res2.lay
        boot = run_bootstrap(
            two,
            prep.raw,
            int(bootstrap),
            two.k,
            seed=seed,
            workers=workers,
            progress=progress,
            desc=desc,
            executor=executor,
        )
        jack = jackknife(two, prep.raw, two.k) if bca else None
        k2 = res2.lay.k
        m1 = len(two.m1.items)
        s1 = res1.lay.slices()
        point = np.concatenate([res2.point, res1.point[s1["weights"]], res1.point[s1["loadings"]]])
        inf = inference(point, boot.good(), jack, level)
        res2.inf = {k: v[:k2] for k, v in inf.items()}
        inf1 = {k: np.full(res1.lay.k, np.nan) for k in inf}
        for k, v in inf.items():
            inf1[k][s1["weights"]] = v[k2 : k2 + m1]
            inf1[k][s1["loadings"]] = v[k2 + m1 :]
        res1.inf = inf1
        summary = {
            **boot.summary(),
            "ci": f"percentile{' and BCa' if bca else ''}, {100 * level:g}%",
            "p_value": "two-sided, t distribution with B - 1 degrees of freedom (as SmartPLS)",
        }
        res2.boot_summary = res1.boot_summary = summary
        if boot.failed:
            res2.warnings.append(
                f"{boot.failed} of {boot.requested} bootstrap resamples could not be estimated and "
                "were left out: " + "; ".join(f"{v} {k}" for k, v in boot.failures.items())
            )
        if boot.completed < 2:
            res2.warnings.append("fewer than 2 bootstrap resamples completed; no standard errors or intervals")
    return res


def _f2(
    model: HOCModel,
    approach: str,
    raw: np.ndarray,
    base: list[str],
    res2,
    scheme: str,
    consistent: bool,
    tol: float,
    max_iter: int,
) -> dict:
    """f² of every stage-2 path, ``(R²_incl - R²_excl) / (1 - R²_incl)``, both stages re-run without the path.

    Without the path the HOC's stage 1 changes too (disjoint: the antecedent's paths to every dimension go),
    so the whole two-stage estimator is re-run, as seminr's ``fSquared`` of a two-stage model.
    """
    st = res2.st
    Z, _ = fill_and_correlate(raw)
    col = {it: k for k, it in enumerate(base)}
    out = {}
    for a, b in model.paths:
        r2_in = float(res2.est.r2[st.names.index(b)])
        sub = model.without_path(a, b)
        r2_out = 0.0
        try:
            if isinstance(sub, HOCModel):
                got = TwoStage(sub, approach, base, None, scheme, consistent, tol, max_iter).stages(raw)
                if isinstance(got, str):
                    r2_out = np.nan
                else:
                    st2 = Structure.of(sub.stage2)
                    r2_out = float(got[3].r2[st2.names.index(b)]) if b in sub.stage2.endogenous else 0.0
            elif sub is not None and b in sub.endogenous:
                idx = [col[it] for it in sub.items]
                Zs = Z[:, idx]
                S = (Zs.T @ Zs) / (Zs.shape[0] - 1)
                np.fill_diagonal(S, 1.0)
                sst = Structure.of(sub)
                r2_out = float(estimate(S, sst, scheme, consistent, tol, max_iter).r2[sst.names.index(b)])
        except np.linalg.LinAlgError:
            r2_out = np.nan
        out[(a, b)] = (r2_in - r2_out) / (1 - r2_in)
    return out
