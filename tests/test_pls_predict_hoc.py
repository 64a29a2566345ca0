"""PLSpredict and CVPAT of two-stage higher-order models: both stages re-estimated on the training cases of each fold.

seminr has no PLSpredict of a two-stage model, so the reference is built by hand per fold from parts that are
checked against seminr elsewhere: ``fit_hoc`` on the training rows (tests/test_pls_higher_order.py), the held-out
dimension scores from its stage-1 weights and the training means/SDs (computed here with pandas), and the
first-order ``pls_predict`` (tests/test_pls_predict.py) on the stage-2 data set so built.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from validate.pls.fit import fit_pls
from validate.pls.higher_order import HOCModel, fit_hoc
from validate.pls.predict import _hoc_plan, cvpat, fold_assignment, hoc_predict_fold, pls_predict

FIX = Path(__file__).parent / "fixtures"
DIMS = ("A1", "A2", "A3")


def _data(n=160, seed=3, missing=True):
    """DRV -> ACT (dimensions A1..A3) -> OUT, three items each, a few answers missing."""
    rng = np.random.default_rng(seed)
    drv = rng.normal(size=n)
    act = 0.5 * drv + np.sqrt(0.75) * rng.normal(size=n)
    out = 0.6 * act + 0.8 * rng.normal(size=n)
    cols, blocks = {}, {}

    def block(name, f):
        blocks[name] = [f"{name}{i + 1}" for i in range(3)]
        for it in blocks[name]:
            cols[it] = np.round(3 + f + 0.7 * rng.normal(size=n), 1)

    block("DRV", drv)
    block("OUT", out)
    for d in DIMS:
        block(d, 0.85 * act + np.sqrt(1 - 0.85**2) * rng.normal(size=n))
    df = pd.DataFrame(cols)
    if missing:
        for r, c in [(4, "A12"), (17, "OUT2"), (33, "DRV1"), (90, "A31"), (120, "OUT1")]:
            df.loc[r, c] = np.nan
    return df, blocks


def _model(blocks, mode="B"):
    return HOCModel(blocks, {"ACT": list(DIMS)}, [("DRV", "ACT"), ("ACT", "OUT")], {"ACT": mode})


def test_fold_never_uses_the_held_out_cases():
    """A held-out row's prediction depends on the training rows and its own answers only: changing the other
    held-out rows (the estimation would move if they entered stage 1 or stage 2) leaves it bit for bit alike."""
    df, blocks = _data()
    res = fit_hoc(df, _model(blocks), "disjoint")
    plan = _hoc_plan(res, "direct")
    raw = res.raw
    test = fold_assignment(raw.shape[0], 5, 1, 0) == 0
    tr, te = raw[~test], raw[test]
    got = hoc_predict_fold(plan, tr, te)
    assert got[3] is None
    rng = np.random.default_rng(9)
    te2 = te.copy()
    te2[1:] = np.round(rng.uniform(1, 5, size=te2[1:].shape), 1)  # every other held-out answer replaced
    moved = hoc_predict_fold(plan, tr, te2)
    for a, b in zip(got[:3], moved[:3]):
        np.testing.assert_array_equal(a[0], b[0])
    assert np.abs(got[0][1:] - moved[0][1:]).max() > 0.1  # the replaced rows' own predictions do move
    # ... while the training rows do enter: one changed training row moves every prediction
    tr2 = tr.copy()
    tr2[0] = 5.0
    assert np.abs(hoc_predict_fold(plan, tr2, te)[0][0] - got[0][0]).max() > 1e-6


def _reference_fold(df, model, approach, pred_approach, test):
    """One fold by hand: fit_hoc on the training rows, held-out scores from its weights, first-order pls_predict."""
    train_df, test_df = df[~test].reset_index(drop=True), df[test].reset_index(drop=True)
    fit = fit_hoc(train_df, model, approach)
    items = list(fit.base)
    mu = train_df[items].mean()  # pandas: NaN skipped, as the training mean replacement
    filled_tr = train_df[items].fillna(mu)
    filled_te = test_df[items].fillna(mu)
    sd = filled_tr.std(ddof=1)
    w = fit.stage1.weights()
    load1 = fit.stage1.loadings().set_index(["construct", "item"]).estimate

    def stage2_frame(filled):
        z = (filled - mu) / sd
        out = {}
        for ind in model.stage2.constructs.values():
            for it in ind:
                if it in DIMS:
                    ww = w[w.construct == it]
                    out[it] = z[list(ww.item)].to_numpy() @ ww.estimate.to_numpy()
                else:
                    out[it] = filled[it].to_numpy()
        return pd.DataFrame(out)

    s2 = pd.concat([stage2_frame(filled_tr), stage2_frame(filled_te)], ignore_index=True)
    ntr = len(train_df)
    fit2 = fit_pls(s2, model.stage2)
    pr = pls_predict(fit2, approach=pred_approach, fold_ids=np.r_[np.zeros(ntr, int), np.ones(len(test_df), int)])
    pred2 = pd.DataFrame(pr.pls[0, ntr:], columns=pr.items)
    tr2 = s2.iloc[:ntr]
    pls, lm = {}, {}
    src = {"direct": {"OUT": ["ACT"], "ACT": ["DRV"]}, "earliest": {"OUT": ["DRV"], "ACT": ["DRV"]}}[pred_approach]
    manifest = {"DRV": model.constructs["DRV"], "ACT": [it for d in DIMS for it in model.constructs[d]]}
    for c2 in pr.items:
        if c2 in DIMS:  # a dimension score -> its items through the stage-1 loadings
            z = (pred2[c2] - tr2[c2].mean()) / tr2[c2].std(ddof=1)
            targets = [(it, z * load1[(c2, it)] * sd[it] + mu[it]) for it in model.constructs[c2]]
            owner = "ACT"
        else:
            targets = [(c2, pred2[c2])]
            owner = "OUT"
        for it, p in targets:
            pls[it] = p.to_numpy()
            X = np.column_stack([np.ones(ntr)] + [filled_tr[x] for c in src[owner] for x in manifest[c]])
            Xt = np.column_stack([np.ones(len(test_df))] + [filled_te[x] for c in src[owner] for x in manifest[c]])
            beta = np.linalg.lstsq(X, filled_tr[it].to_numpy(), rcond=None)[0]
            lm[it] = Xt @ beta
    return pls, lm, mu


@pytest.mark.parametrize("approach,pred_approach,mode", [("disjoint", "direct", "B"), ("embedded", "earliest", "A")])
def test_matches_a_by_hand_two_stage_reference(approach, pred_approach, mode):
    """Every held-out prediction (PLS, LM, IA) of one repetition against the reference built fold by fold."""
    df, blocks = _data()
    model = _model(blocks, mode)
    res = fit_hoc(df, model, approach)
    fids = fold_assignment(len(df), 4, 5, 0)
    pr = pls_predict(res, approach=pred_approach, fold_ids=fids)
    assert pr.failed_folds == 0 and pr.higher_order
    # every item of the endogenous OUT and of the endogenous higher-order construct's dimensions is predicted
    assert sorted(pr.items) == sorted(blocks["OUT"] + [it for d in DIMS for it in blocks[d]])
    assert set(pr.constructs) == {"OUT", "ACT"}
    worst = 0.0
    for k in range(4):
        test = fids == k
        pls, lm, mu = _reference_fold(df, model, approach, pred_approach, test)
        for q, it in enumerate(pr.items):
            for got, ref in ((pr.pls[0, test, q], pls[it]), (pr.lm[0, test, q], lm[it])):
                worst = max(worst, np.max(np.abs(got - ref) / np.maximum(1, np.abs(ref))))
            np.testing.assert_allclose(pr.ia[0, test, q], mu[it], rtol=0, atol=1e-12)
    # achieved ~2e-15 (both paths run the same PLS iterations on the same training correlations); 1e-12 leaves
    # room for another BLAS's rounding
    assert worst < 1e-12, worst


def test_a_leaky_fold_would_differ():
    """The reference can fail: stage-1 scores from all cases (the shortcut this replaces) give other predictions."""
    df, blocks = _data(missing=False)
    model = _model(blocks)
    res = fit_hoc(df, model, "disjoint")
    fids = fold_assignment(len(df), 4, 5, 0)
    pr = pls_predict(res, fold_ids=fids)
    leaky = pls_predict(res.stage2, fold_ids=fids)  # stage 2 only, on scores estimated from every case
    q = pr.items.index("OUT1")
    assert np.abs(pr.pls[0, :, q] - leaky.pls[0, :, leaky.items.index("OUT1")]).max() > 1e-6


def test_cvpat_of_a_higher_order_model():
    df, blocks = _data()
    pr = pls_predict(fit_hoc(df, _model(blocks), "disjoint"), folds=5, repetitions=2)
    cv = cvpat(pr)
    assert {t["construct"] for t in cv["tests"]} == {"overall", "OUT", "ACT"}
    d = pr.to_dict()
    assert "both stages re-estimated in every fold" in d["method"] and "stage-1 loadings" in d["approach_note"]
    assert d["n_items"] == 12 and all(np.isfinite(r["q2_predict"]) for r in d["items"])


@pytest.mark.slow
def test_pipeline_reports_predict_and_cvpat_for_the_second_order_spec(tmp_path):
    from instruments.spec import load_spec
    from validate.cli import main
    from validate.power.simulate import simulate_study
    from validate.report.schema import validate_results

    spec_path = FIX / "specs" / "pls_second_order.yaml"
    study = simulate_study(load_spec(spec_path), 150, paths={"DRV -> ACT": 0.5, "ACT -> OUT": 0.4}, seed=11)
    data = tmp_path / "responses.csv"
    study.data["main"].to_csv(data, index=False)
    out = tmp_path / "out"
    args = ["validate", str(data), "--model", str(spec_path), "--method", "pls", "--bootstrap", "0"]
    assert main(args + ["--workers", "1", "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert validate_results(res) == []
    pls = res["mechanisms"]["main"]["pls"]
    pred, cv = pls["predict"], pls["cvpat"]
    assert "skipped" not in pred and "skipped" not in cv
    assert pred["folds"] == 10 and pred["repetitions"] == 10 and pred["failed_folds"] == 0
    items = {r["item"]: r["construct"] for r in pred["items"]}
    assert items == {
        **{f"OUT{k}": "OUT" for k in (1, 2, 3)},
        **{f"A{d}{k}": "ACT" for d in (1, 2, 3) for k in (1, 2, 3)},
    }
    assert all(r["q2_predict"] is not None for r in pred["items"])
    assert {t["construct"] for t in cv["tests"]} == {"overall", "OUT", "ACT"}
    ipma = pls["ipma"]
    assert "skipped" not in ipma and [r["construct"] for r in ipma["targets"]["OUT"]["constructs"]] == ["DRV", "ACT"]
    assert "dimensions' rescaled (0-100) stage-1 scores" in ipma["method"]


@pytest.mark.parametrize("approach", ["disjoint", "embedded"])
def test_ipma_of_a_higher_order_model_agrees_with_the_procedure_done_by_hand(approach):
    """Dimensions' rescaled stage-1 scores as the HOC's indicators; importance from OLS along the model."""
    df, blocks = _data(missing=False)
    df = df.clip(1, 5)
    res = fit_hoc(df, _model(blocks), approach)
    scales = {c: (1, 5) for c in df}
    scales["OUT1"] = (1, 7)  # another scale for one item
    out = res.ipma(["OUT", "ACT"], scales)
    resc = pd.DataFrame({it: (df[it] - scales[it][0]) / (scales[it][1] - scales[it][0]) * 100 for it in df})

    def composite(frame, weights):
        u = weights / frame[list(weights.index)].std()
        return frame[list(weights.index)] @ (u / u.sum())

    w1 = res.stage1.weights()
    w2 = res.stage2.weights()
    dims = pd.DataFrame({d: composite(resc, w1[w1.construct == d].set_index("item").estimate) for d in DIMS})
    sc = {
        "DRV": composite(resc, w2[w2.construct == "DRV"].set_index("item").estimate),
        "OUT": composite(resc, w2[w2.construct == "OUT"].set_index("item").estimate),
        "ACT": composite(dims, w2[w2.construct == "ACT"].set_index("item").estimate),
    }

    def ols(y, x):
        X = np.column_stack([np.ones(len(df)), sc[x]])
        return np.linalg.lstsq(X, sc[y], rcond=None)[0][1]

    b_da, b_ao = ols("ACT", "DRV"), ols("OUT", "ACT")
    want = {("DRV", "OUT"): b_da * b_ao, ("ACT", "OUT"): b_ao, ("DRV", "ACT"): b_da}
    for t in ("OUT", "ACT"):
        tv = out["targets"][t]
        assert tv["performance"] == pytest.approx(sc[t].mean(), abs=1e-9)
        for r in tv["constructs"]:
            assert r["importance"] == pytest.approx(want[(r["construct"], t)], abs=1e-9)
            assert r["performance"] == pytest.approx(sc[r["construct"]].mean(), abs=1e-9)
    # the HOC's "indicators" are its dimensions, their performance the mean rescaled dimension score
    act = [r for r in out["targets"]["OUT"]["indicators"] if r["construct"] == "ACT"]
    assert [r["item"] for r in act] == list(DIMS)
    for r in act:
        assert r["performance"] == pytest.approx(dims[r["item"]].mean(), abs=1e-9)
    assert out["scales"]["A11"] == [1.0, 5.0] and out["scales"]["OUT1"] == [1.0, 7.0] and "A1" not in out["scales"]
    assert all(0 <= p <= 100 for p in out["performance"].values())
