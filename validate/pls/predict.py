"""PLSpredict (Shmueli et al. 2016, 2019): out-of-sample prediction of the endogenous indicators.

The sample is split into ``k`` folds (10 by default) and the split repeated ``r`` times
(10 by default, as SmartPLS 4). For each fold the PLS model is estimated on the other
folds (the training sample) and the held-out cases are predicted:

1. the held-out indicators are standardised with the training means and SDs (a missing
   answer takes the training mean);
2. construct scores ``Y = Z W`` with the training weights;
3. endogenous scores are predicted from the structural model with the training path
   coefficients: *direct antecedents* (``direct``; each endogenous construct from the scores
   of its own predecessors, as seminr's ``predict_DA``) or *earliest antecedents*
   (``earliest``; only the exogenous scores are used and the predictions are propagated
   through the model, as seminr's ``predict_EA``);
4. each endogenous indicator is predicted as ``loading * predicted score``, put back on the
   item's scale with the training SD and mean.

Benchmarks, on the same folds: **LM**, the ordinary least-squares regression of each endogenous
indicator on the indicators of its construct's direct antecedents (``direct``) or on all
exogenous constructs' indicators (``earliest``), fitted on the training sample; **IA**, the
training mean of the indicator (the naive benchmark of Q²predict).

Per indicator and repetition, over the held-out cases with an observed answer:
``RMSE = sqrt(mean(e²))``, ``MAE = mean(|e|)`` and ``Q²predict = 1 - Σ e_PLS² / Σ e_IA²``; the
reported values are their means over the repetitions (with the SD over repetitions of the
PLS RMSE), as cSEM's ``predict()`` averages its measures over repetitions.

Checked against seminr 0.2.1's ``predict_pls`` (one repetition, the same fold assignment
passed in): PLS and LM predictions of every held-out case agree to ~1e-13.

**Higher-order constructs** (a :class:`~validate.pls.higher_order.HOCResults`, the two-stage
approaches): in every fold *both* stages are estimated on the training cases only (:func:`hoc_predict_fold`).
Stage 1 on the training items (mean replacement and standardisation with the training means and SDs);
the dimension scores of the training and the held-out cases are ``Z W1`` with the training stage-1
weights; stage 2 on the training cases' items and dimension scores; the held-out cases are predicted from
that training model as above. Predicted: the items of the endogenous first-order constructs, and the
items of the dimensions of an endogenous higher-order construct, as
``l1 * l2 * (predicted HOC score)`` (``l2`` the dimension's stage-2 loading, ``l1`` the item's stage-1
loading on its dimension, both from the training sample), put on the item's scale; they are listed under
the higher-order construct (CVPAT tests them together). The LM benchmark regresses each predicted item on
the items of the antecedent (or exogenous) constructs, a higher-order construct's being its dimensions'
items. seminr has no PLSpredict of a two-stage model; checked fold by fold against ``fit_hoc`` on the
training cases (itself checked against seminr's ``two_stage``), held-out scores computed by hand and the
first-order PLSpredict of the stage-2 data so built (~2e-15; tests/test_pls_predict_hoc.py).

References
----------
Shmueli, G., Ray, S., Velasquez Estrada, J. M., & Chatla, S. B. (2016). The elephant in the room:
Predictive performance of PLS models. *Journal of Business Research*, 69, 4552-4564.
Shmueli, G., Sarstedt, M., Hair, J. F., Cheah, J.-H., Ting, H., Vaithilingam, S., & Ringle, C. M.
(2019). Predictive model assessment in PLS-SEM: guidelines for using PLSpredict. *European Journal of
Marketing*, 53, 2322-2347.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from instruments.errors import InputError
from validate.pls.estimate import Structure, estimate

__all__ = [
    "APPROACHES",
    "PLSPredictResult",
    "pls_predict",
    "fold_assignment",
    "predict_fold",
    "hoc_predict_fold",
    "cvpat",
]

#: Prediction approaches: direct antecedents (seminr's default) and earliest antecedents.
APPROACHES = ("direct", "earliest")
#: What PLSpredict of a two-stage higher-order model predicts (``approach_note`` of ``pls.predict``).
HOC_NOTE = (
    "higher-order constructs: in every fold stage 1 and stage 2 are estimated on the training cases only and the "
    "held-out cases' dimension scores come from the training stage-1 weights; the items of an endogenous "
    "higher-order construct's dimensions are predicted through the dimensions' stage-2 loadings and the items' "
    "stage-1 loadings (listed under the higher-order construct)"
)


def fold_assignment(n: int, k: int, seed: int, rep: int) -> np.ndarray:
    """Fold (0..k-1) of each of ``n`` cases in repetition ``rep``: contiguous blocks of a seeded permutation.

    The permutation comes from child ``rep`` of ``SeedSequence(seed)``, so a repetition's folds do not
    depend on how many repetitions are run. Fold sizes differ by at most one.
    """
    perm = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(rep,))).permutation(n)
    out = np.empty(n, dtype=int)
    out[perm] = (np.arange(n) * k) // n
    return out


def _fill(raw: np.ndarray, means: np.ndarray) -> np.ndarray:
    nan = np.isnan(raw)
    if not nan.any():
        return raw
    X = raw.copy()
    X[nan] = np.take(means, np.nonzero(nan)[1])
    return X


@dataclass
class _Plan:
    st: Structure
    scheme: str
    consistent: bool
    tol: float
    max_iter: int
    approach: str
    endo_items: np.ndarray  # indices of the endogenous constructs' items
    lm_x: list[np.ndarray] = field(default_factory=list)  # per endogenous item: predictor item indices


def _plan(st: Structure, scheme, consistent, tol, max_iter, approach) -> _Plan:
    J = len(st.names)
    exo = [j for j in range(J) if not st.preds[j].size]
    endo_items = np.array([i for j in st.endogenous for i in st.blocks[j]], dtype=int)
    plan = _Plan(st, scheme, consistent, tol, max_iter, approach, endo_items)
    for i in endo_items:
        j = st.construct_of[i]
        src = st.preds[j] if approach == "direct" else exo
        plan.lm_x.append(np.concatenate([st.blocks[c] for c in src]).astype(int))
    return plan


def predict_fold(plan: _Plan, train: np.ndarray, test: np.ndarray):
    """PLS, LM and IA predictions of the endogenous items of the ``test`` rows from a model fitted to ``train``.

    Returns ``(pls, lm, ia, None)`` (arrays of shape (n_test, q)) or ``(None, None, None, reason)``.
    """
    st = plan.st
    means = np.nanmean(train, axis=0)
    Xtr = _fill(train, means)
    n = Xtr.shape[0]
    mu = Xtr.mean(0)
    Xc = Xtr - mu
    sd = np.sqrt((Xc * Xc).sum(0) / (n - 1))
    if not np.all(sd > 1e-12 * (1 + np.abs(Xtr).max(0))):
        return None, None, None, "an item had no variance in a training sample"
    Ztr = Xc / sd
    S = (Ztr.T @ Ztr) / (n - 1)
    np.fill_diagonal(S, 1.0)
    try:
        est = estimate(S, st, plan.scheme, plan.consistent, plan.tol, plan.max_iter)
    except np.linalg.LinAlgError:
        return None, None, None, "a singular correlation matrix in a training sample"
    if not est.converged:
        return (
            None,
            None,
            None,
            f"the PLS algorithm did not converge in {plan.max_iter} iterations in a training sample",
        )
    Xte = _fill(test, mu)
    Y = ((Xte - mu) / sd) @ est.W
    B = est.B
    J = len(st.names)
    exo = np.array([not st.preds[j].size for j in range(J)])
    if plan.approach == "direct":
        P = Y @ B
        P[:, exo] = Y[:, exo]
    else:
        P = np.where(exo[None, :], Y, 0.0)
        for j in st.order:
            if not exo[j]:
                P[:, j] = P @ B[:, j]
    ei = plan.endo_items
    pls = P[:, st.construct_of[ei]] * est.loadings[ei] * sd[ei] + mu[ei]
    lm = np.empty_like(pls)
    ones_tr = np.ones((n, 1))
    ones_te = np.ones((Xte.shape[0], 1))
    cache: dict = {}
    for q, (i, x) in enumerate(zip(ei, plan.lm_x)):
        key = tuple(x)
        if key not in cache:
            D = np.hstack([ones_tr, Xtr[:, x]])
            cache[key] = (np.linalg.pinv(D), np.hstack([ones_te, Xte[:, x]]))
        Dp, Dte = cache[key]
        lm[:, q] = Dte @ (Dp @ Xtr[:, i])
    ia = np.broadcast_to(mu[ei], pls.shape).copy()
    return pls, lm, ia, None


@dataclass
class _HOCPlan:
    """PLSpredict of a two-stage higher-order model: both stages are re-estimated in every fold."""

    two: object  # validate.pls.higher_order.TwoStage (stage-1 and stage-2 models, column maps)
    plan2: _Plan  # the stage-2 model's plan (its "items" are stage-2 columns: items and dimension scores)
    endo_items: np.ndarray  # base column of each predicted item
    col2: np.ndarray  # the stage-2 column (position in plan2.endo_items) each prediction comes from
    load1: np.ndarray  # the stage-1 item (index into the stage-1 items) of a dimension's item, -1 for an item
    lm_x: list[np.ndarray] = field(default_factory=list)  # per predicted item: predictor base columns
    names: list = field(default_factory=list)  # construct (stage 2) of each predicted item


def _hoc_plan(res, approach: str) -> _HOCPlan:
    """The fold plan of a :class:`~validate.pls.higher_order.HOCResults`: which items are predicted and how."""
    from validate.pls.higher_order import TwoStage

    r2 = res.stage2
    two = TwoStage(res.model, res.approach, res.base, None, r2.scheme, bool(r2.consistent), r2.tol, r2.max_iter)
    st2, st1 = two.st2, two.st1
    plan2 = _plan(st2, r2.scheme, r2.consistent, r2.tol, r2.max_iter, approach)

    def base_cols(c2: int) -> list[int]:  # a stage-2 column -> the base items behind it
        kind, j = two.src2[c2]
        return [j] if kind == "item" else [int(two.idx1[i]) for i in st1.blocks[j]]

    J = len(st2.names)
    exo = [j for j in range(J) if not st2.preds[j].size]
    items, col2, load1, lm_x, names = [], [], [], [], []
    for q, c2 in enumerate(plan2.endo_items):
        j = st2.construct_of[c2]
        src = st2.preds[j] if approach == "direct" else exo
        x = np.array(sorted({b for c in src for i in st2.blocks[c] for b in base_cols(i)}), dtype=int)
        kind, jj = two.src2[c2]
        targets = [(jj, -1)] if kind == "item" else [(int(two.idx1[i]), int(i)) for i in st1.blocks[jj]]
        for b, i1 in targets:
            items.append(b)
            col2.append(q)
            load1.append(i1)
            lm_x.append(x)
            names.append(st2.names[j])
    return _HOCPlan(two, plan2, np.array(items, dtype=int), np.array(col2, dtype=int), np.array(load1), lm_x, names)


def hoc_predict_fold(hp: _HOCPlan, train: np.ndarray, test: np.ndarray):
    """PLS, LM and IA predictions of a two-stage model's endogenous items for ``test`` rows, fitted on ``train`` only.

    ``train`` and ``test`` are rows of every item (``HOCResults.base`` order, NaN where missing). Stage 1 is
    estimated on the training rows (missing answers take the training mean; items standardised with the training
    means and SDs); the dimension scores of training and held-out rows are ``Z W1`` with the training weights
    and the held-out items standardised with the training means and SDs; stage 2 is estimated on the training
    rows' items and scores (:func:`predict_fold`), which predicts the held-out stage-2 columns. An item of an
    endogenous first-order construct is predicted as in a first-order model; an item of a dimension of an
    endogenous higher-order construct as ``l1 * (predicted standardised dimension score)`` (``l1`` its training
    stage-1 loading; the dimension score is predicted as ``l2 * predicted HOC score``, ``l2`` its stage-2 loading),
    on the item's scale with the training SD and mean. LM: OLS of the item on the items of the antecedent constructs
    (a higher-order construct's: its dimensions' items) on the training rows; IA: the training mean.

    Returns ``(pls, lm, ia, None)`` or ``(None, None, None, reason)``.
    """
    two = hp.two
    means = np.nanmean(train, axis=0)
    Xtr = _fill(train, means)
    Xte = _fill(test, means)
    n = Xtr.shape[0]
    mu = Xtr.mean(0)
    sd = np.sqrt(((Xtr - mu) ** 2).sum(0) / (n - 1))
    if not np.all(sd > 1e-12 * (1 + np.abs(Xtr).max(0))):
        return None, None, None, "an item had no variance in a training sample"
    Z1tr = ((Xtr - mu) / sd)[:, two.idx1]
    S1 = (Z1tr.T @ Z1tr) / (n - 1)
    np.fill_diagonal(S1, 1.0)
    try:
        est1 = estimate(S1, two.st1, two.scheme, two.consistent, two.tol, two.max_iter)
    except np.linalg.LinAlgError:
        return None, None, None, "a singular correlation matrix in stage 1 of a training sample"
    if not est1.converged:
        return None, None, None, f"stage 1 did not converge in {two.max_iter} iterations in a training sample"
    Y1tr = Z1tr @ est1.W
    Y1te = ((Xte - mu) / sd)[:, two.idx1] @ est1.W

    def stage2(X, Y):
        return np.column_stack([Y[:, j] if kind == "score" else X[:, j] for kind, j in two.src2])

    X2tr = stage2(Xtr, Y1tr)
    pls2, _, _, why = predict_fold(hp.plan2, X2tr, stage2(Xte, Y1te))
    if why is not None:
        return None, None, None, why.replace("training sample", "training sample (stage 2)")
    ei2 = hp.plan2.endo_items
    mu2 = X2tr.mean(0)[ei2]
    sd2 = np.sqrt(((X2tr[:, ei2] - mu2) ** 2).sum(0) / (n - 1))
    z2 = (pls2 - mu2) / sd2  # predicted standardised stage-2 columns
    ei = hp.endo_items
    dim = hp.load1 >= 0
    l1 = np.where(dim, est1.loadings[np.maximum(hp.load1, 0)], 1.0)
    pls = z2[:, hp.col2] * l1 * sd[ei] + mu[ei]
    lm = np.empty_like(pls)
    ones_tr, ones_te = np.ones((n, 1)), np.ones((Xte.shape[0], 1))
    cache: dict = {}
    for q, (i, x) in enumerate(zip(ei, hp.lm_x)):
        key = tuple(x)
        if key not in cache:
            cache[key] = (np.linalg.pinv(np.hstack([ones_tr, Xtr[:, x]])), np.hstack([ones_te, Xte[:, x]]))
        Dp, Dte = cache[key]
        lm[:, q] = Dte @ (Dp @ Xtr[:, i])
    ia = np.broadcast_to(mu[ei], pls.shape).copy()
    return pls, lm, ia, None


@dataclass
class PLSPredictResult:
    """PLSpredict of a fitted model (see :func:`pls_predict`).

    Attributes
    ----------
    items : list of str
        The endogenous indicators predicted.
    constructs : list of str
        The construct of each of them.
    pls, lm, ia : ndarray (r, n, q)
        Out-of-sample predictions of every case in every repetition (NaN where a fold failed).
    actual : ndarray (n, q)
        The observed answers (NaN where missing).
    folds, repetitions, approach, seed
        The settings used.
    failed_folds : int
        Folds whose training model could not be estimated (their cases have no prediction).
    """

    items: list
    constructs: list
    pls: np.ndarray
    lm: np.ndarray
    ia: np.ndarray
    actual: np.ndarray
    folds: int
    repetitions: int
    approach: str
    seed: int | None
    failed_folds: int = 0
    failure_reasons: dict = field(default_factory=dict)
    higher_order: bool = False  # a two-stage model with higher-order constructs (both stages re-run per fold)

    def _per_rep(self, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        e = self.actual[None] - pred
        with np.errstate(invalid="ignore"):
            rmse = np.sqrt(np.nanmean(e * e, axis=1))
            mae = np.nanmean(np.abs(e), axis=1)
        sse = np.nansum(e * e, axis=1)
        return rmse, mae, sse

    def metrics(self) -> pd.DataFrame:
        """Per indicator: ``construct, item, pls_rmse, pls_mae, lm_rmse, lm_mae, ia_rmse, ia_mae, q2_predict,
        pls_rmse_sd, pls_minus_lm_rmse, pls_minus_lm_mae`` (means over repetitions; ``pls_rmse_sd`` is the SD
        of the PLS RMSE over repetitions, NaN with one repetition)."""
        pr, pm, ps = self._per_rep(self.pls)
        lr, lmae, _ = self._per_rep(self.lm)
        ir, im, isse = self._per_rep(self.ia)
        with np.errstate(invalid="ignore", divide="ignore"):
            q2 = 1 - ps / isse
        rows = []
        for q, (c, it) in enumerate(zip(self.constructs, self.items)):
            rows.append(
                {
                    "construct": c,
                    "item": it,
                    "pls_rmse": pr[:, q].mean(),
                    "pls_mae": pm[:, q].mean(),
                    "lm_rmse": lr[:, q].mean(),
                    "lm_mae": lmae[:, q].mean(),
                    "ia_rmse": ir[:, q].mean(),
                    "ia_mae": im[:, q].mean(),
                    "q2_predict": q2[:, q].mean(),
                    "pls_rmse_sd": pr[:, q].std(ddof=1) if self.repetitions > 1 else np.nan,
                }
            )
        df = pd.DataFrame(rows)
        df["pls_minus_lm_rmse"] = df.pls_rmse - df.lm_rmse
        df["pls_minus_lm_mae"] = df.pls_mae - df.lm_mae
        return df

    def verdict(self, metric: str = "rmse") -> str | None:
        """Shmueli et al.'s (2019) reading: ``none`` (some Q²predict ≤ 0, or PLS worse than LM for every
        indicator), ``low`` (PLS better for a minority), ``medium`` (a majority), ``high`` (all); None when
        an indicator's metrics cannot be computed."""
        m = self.metrics()
        d = m[f"pls_minus_lm_{metric}"].to_numpy()
        if not np.all(np.isfinite(d)) or not np.all(np.isfinite(m.q2_predict)):
            return None
        if np.any(m.q2_predict <= 0):
            return "none"
        better = int(np.sum(d < 0))
        if better == len(d):
            return "high"
        if better == 0:
            return "none"
        return "medium" if better > len(d) / 2 else "low"

    def to_dict(self) -> dict:
        """The ``predict`` entry of ``mechanisms.<m>.pls`` in ``results.json``."""
        from validate.measurement.analysis import json_float as _json

        m = self.metrics()
        cols = [
            "construct",
            "item",
            "q2_predict",
            "pls_rmse",
            "pls_mae",
            "lm_rmse",
            "lm_mae",
            "ia_rmse",
            "ia_mae",
            "pls_rmse_sd",
            "pls_minus_lm_rmse",
            "pls_minus_lm_mae",
        ]
        note = (
            "direct antecedents: each endogenous construct predicted from the scores of its predictors"
            if self.approach == "direct"
            else "earliest antecedents: predictions propagated from the exogenous constructs"
        )
        if self.higher_order:
            note += "; " + HOC_NOTE
        return {
            "method": "PLSpredict (Shmueli et al. 2019)"
            + (
                " of the two-stage higher-order model, both stages re-estimated in every fold"
                if self.higher_order
                else ""
            ),
            "approach": self.approach,
            "approach_note": note,
            "folds": self.folds,
            "repetitions": self.repetitions,
            "seed": self.seed,
            "benchmarks": {
                "lm": "OLS of each indicator on the antecedent constructs' indicators"
                + (" (a higher-order construct's: its dimensions' items)" if self.higher_order else ""),
                "ia": "training-sample mean of the indicator",
            },
            "items": [
                {c: (_json(r[c]) if c not in ("construct", "item") else r[c]) for c in cols} for _, r in m.iterrows()
            ],
            "n_items": len(m),
            "pls_lower_rmse_than_lm": int(np.sum(m.pls_minus_lm_rmse < 0)),
            "pls_lower_mae_than_lm": int(np.sum(m.pls_minus_lm_mae < 0)),
            "q2_predict_positive": int(np.sum(m.q2_predict > 0)),
            "verdict_rmse": self.verdict("rmse"),
            "verdict_mae": self.verdict("mae"),
            "failed_folds": self.failed_folds,
            "failure_reasons": dict(self.failure_reasons),
        }


def _predict_repetition(plan: _Plan, raw: np.ndarray, f: np.ndarray, folds: int, r: int):
    """One repetition: every fold's held-out predictions (NaN for a fold that fails) and the failure reasons."""
    from validate.blas import single_threaded_blas

    n, q = raw.shape[0], plan.endo_items.size
    out = [np.full((n, q), np.nan) for _ in range(3)]
    reasons: dict = {}
    with single_threaded_blas():
        for k in range(folds):
            test = f == k
            if not test.any():
                continue
            fold = hoc_predict_fold if isinstance(plan, _HOCPlan) else predict_fold
            pls, lm, ia, why = fold(plan, raw[~test], raw[test])
            if why is not None:
                reasons[why] = reasons.get(why, 0) + 1
            else:
                out[0][test], out[1][test], out[2][test] = pls, lm, ia
    return r, out[0], out[1], out[2], reasons


def pls_predict(
    res,
    folds: int = 10,
    repetitions: int = 10,
    approach: str = "direct",
    seed: int = 20240601,
    fold_ids: np.ndarray | None = None,
    progress: bool = False,
    desc: str = "PLSpredict",
    workers: int | None = 1,
    executor=None,
) -> PLSPredictResult:
    """PLSpredict of a fitted model: k-fold cross-validated predictions of the endogenous indicators.

    Parameters
    ----------
    res : PLSResults or HOCResults
        A fit from :func:`validate.pls.fit_pls` (its data, model, scheme, PLSc and stopping rule are used), or a
        two-stage fit from :func:`validate.pls.higher_order.fit_hoc` (both stages re-run in every fold; see the
        module docstring for what is predicted).
    folds : int
        k (10 by default); between 2 and the number of cases.
    repetitions : int
        r (10 by default).
    approach : {"direct", "earliest"}
        Direct antecedents or earliest antecedents.
    seed : int
        Root of the fold assignments (:func:`fold_assignment`).
    fold_ids : ndarray (r, n) or (n,), optional
        A fold assignment to use instead (integers 0..k-1), e.g. to reproduce another program's folds.
    progress : bool
        A progress bar over the r x k estimations.
    workers, executor
        Repetitions run on local worker processes (``workers`` > 1; 1 or None run them in this process, as
        100 small fits rarely repay starting processes) or on an executor (see :mod:`validate.executors`);
        the result does not depend on either.

    Returns
    -------
    PLSPredictResult
        Its :meth:`~PLSPredictResult.metrics` has per indicator Q²predict, RMSE and MAE of PLS, LM and IA.

    Notes
    -----
    See the module docstring for the computation. ``Q²predict = 1 - Σ(y - ŷ_PLS)² / Σ(y - ȳ_train)²``
    (Shmueli et al. 2019). Checked against seminr's ``predict_pls`` with the same folds (1e-13).
    """
    from validate.structural.bootstrap import progress_bar

    if approach not in APPROACHES:
        raise InputError(
            f"PLSpredict approach {approach!r}: expected direct (direct antecedents) or earliest (earliest antecedents)"
        )
    hoc = getattr(res, "stage2", None) is not None and getattr(res, "raw", None) is not None
    raw = res.raw if hoc else res.data.raw
    n = raw.shape[0]
    if fold_ids is not None:
        fid = np.atleast_2d(np.asarray(fold_ids, dtype=int))
        if fid.shape[1] != n:
            raise InputError(f"PLSpredict: a fold assignment for {fid.shape[1]} cases was given; the model uses {n}")
        folds = int(fid.max()) + 1
        repetitions = fid.shape[0]
    for name, v, lo in (("folds", folds, 2), ("repetitions", repetitions, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise InputError(f"PLSpredict {name} {v!r}: expected a whole number of at least {lo}")
    if folds > n // 2:
        raise InputError(
            f"PLSpredict: {folds} folds for {n} cases; expected at most {n // 2} (each training "
            "sample needs cases to estimate the model)"
        )
    if hoc:
        plan = _hoc_plan(res, approach)
        items, constructs = [res.base[i] for i in plan.endo_items], list(plan.names)
    else:
        st = res.st
        plan = _plan(st, res.scheme, res.consistent, res.tol, res.max_iter, approach)
        items = [st.items[i] for i in plan.endo_items]
        constructs = [st.names[st.construct_of[i]] for i in plan.endo_items]
    if not plan.endo_items.size:
        raise InputError("PLSpredict: the model has no endogenous construct to predict")
    q = plan.endo_items.size
    out = {k: np.full((repetitions, n, q), np.nan) for k in ("pls", "lm", "ia")}
    failures: dict = {}
    nfail = 0
    assign = [fid[r] if fold_ids is not None else fold_assignment(n, folds, seed, r) for r in range(repetitions)]
    args = [(plan, raw, assign[r], folds, r) for r in range(repetitions)]
    bar = progress_bar(repetitions * folds, desc, progress, unit="fold")
    try:
        if executor is not None:
            results = executor(_predict_repetition, args)
        elif not workers or workers == 1 or repetitions == 1:
            results = (_predict_repetition(*a) for a in args)
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=workers, return_as="generator_unordered")(
                delayed(_predict_repetition)(*a) for a in args
            )
        for r, pls, lm, ia, reasons in results:
            out["pls"][r], out["lm"][r], out["ia"][r] = pls, lm, ia
            for why, c in reasons.items():
                nfail += c
                failures[why] = failures.get(why, 0) + c
            bar.update(folds)
    finally:
        bar.close()
    return PLSPredictResult(
        items,
        constructs,
        out["pls"],
        out["lm"],
        out["ia"],
        raw[:, plan.endo_items],
        folds,
        repetitions,
        approach,
        None if fold_ids is not None else seed,
        nfail,
        failures,
        hoc,
    )


def cvpat(pr: PLSPredictResult) -> dict:
    """CVPAT (Liengaard et al. 2021): does PLS predict better out of sample than the IA and LM benchmarks?

    Uses the cross-validated predictions of :func:`pls_predict` (same folds, repetitions and approach). Per
    case ``i``, the loss ``L_i`` is the mean squared prediction error over the construct's indicators (over
    all endogenous indicators for the overall test), averaged over the repetitions; ``D_i = L_i(benchmark) -
    L_i(PLS)``. The test is the paired t-test of Liengaard et al.: ``t = mean(D) / (sd(D) / sqrt(n))`` with
    ``n - 1`` degrees of freedom, one-sided (H1: PLS has the smaller loss, ``mean(D) > 0``).

    Returns
    -------
    dict
        ``{"tests": [{construct, benchmark, loss_pls, loss_benchmark, difference, t, df, p_value,
        pls_better}], ...}`` with ``construct`` ``"overall"`` for the whole model; ``pls_better`` is
        ``p_value < 0.05``.

    References
    ----------
    Liengaard, B. D., Sharma, P. N., Hult, G. T. M., Jensen, M. B., Sarstedt, M., Hair, J. F., & Ringle, C. M.
    (2021). Prediction: Coveted, yet forsaken? Introducing a cross-validated predictive ability test in
    partial least squares path modeling. *Decision Sciences*, 52, 362-392.
    """
    from scipy import stats

    from validate.measurement.analysis import json_float as _json

    def loss(pred, cols):
        e = (pr.actual[None, :, cols] - pred[:, :, cols]) ** 2
        with warnings.catch_warnings():  # a case without any observed answer has no loss (NaN), left out
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(np.nanmean(e, axis=2), axis=0)  # per case: mean over items, then repetitions

    groups = [("overall", np.arange(len(pr.items)))]
    for c in dict.fromkeys(pr.constructs):
        groups.append((c, np.array([q for q, cc in enumerate(pr.constructs) if cc == c])))
    tests = []
    for name, cols in groups:
        lp = loss(pr.pls, cols)
        for bench, pred in (("ia", pr.ia), ("lm", pr.lm)):
            lb = loss(pred, cols)
            d = lb - lp
            d = d[np.isfinite(d)]
            n = d.size
            sd = d.std(ddof=1) if n > 1 else np.nan
            t = d.mean() / (sd / np.sqrt(n)) if n > 1 and sd > 0 else np.nan
            p = float(stats.t.sf(t, n - 1)) if np.isfinite(t) else np.nan
            tests.append(
                {
                    "construct": name,
                    "benchmark": bench,
                    "loss_pls": _json(np.nanmean(lp)),
                    "loss_benchmark": _json(np.nanmean(lb)),
                    "difference": _json(d.mean() if n else np.nan),
                    "t": _json(t),
                    "df": n - 1,
                    "p_value": _json(p),
                    "pls_better": bool(p < 0.05) if np.isfinite(p) else None,
                }
            )
    return {
        "method": "CVPAT (Liengaard et al. 2021): paired one-sided t-test of the out-of-sample losses",
        "approach": pr.approach,
        "folds": pr.folds,
        "repetitions": pr.repetitions,
        "loss": "mean squared prediction error of the indicators, per case, averaged over repetitions",
        "tests": tests,
    }
