"""IPMA (validate.pls.ipma) against a data-level computation, its invariances, bad input, and the report map.

seminr has no IPMA; the check is Ringle & Sarstedt's (2016) procedure done by hand on the data: items
rescaled to 0-100, unstandardised weights normalised to sum 1, rescaled construct scores, OLS regressions
of the rescaled scores along the model and their total effects. Achieved agreement 1.3e-15; asserted 1e-9
(room for a different BLAS and stopping one PLS iteration apart).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from instruments.errors import InputError
from validate.pls import fit_pls
from validate.pls.ipma import ipma

C = {"X": ["x1", "x2", "x3"], "M": ["m1", "m2"], "Y": ["y1", "y2", "y3"]}
P = [("X", "M"), ("X", "Y"), ("M", "Y")]


def _data(n=300, seed=4):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    m = 0.5 * x + rng.normal(size=n) * 0.8
    y = 0.3 * x + 0.4 * m + rng.normal(size=n) * 0.7
    cols = {}
    for name, f in (("x", x), ("m", m), ("y", y)):
        for i, it in enumerate(C[name.upper()]):
            cols[it] = np.clip(np.round(4 + (1 - 0.15 * i) * f + rng.normal(size=n) * 0.7), 1, 7)
    cols["m1"] = np.clip(np.round(cols["m1"] * 10 / 7), 1, 10)  # M's first item on a 1-10 scale
    return pd.DataFrame(cols)


SCALES = {it: (1, 10) if it == "m1" else (1, 7) for its in C.values() for it in its}


def test_agrees_with_the_procedure_done_by_hand():
    df = _data()
    res = fit_pls(df, C, P)
    out = ipma(res, ["Y", "M"], SCALES)
    resc = pd.DataFrame({it: (df[it] - SCALES[it][0]) / (SCALES[it][1] - SCALES[it][0]) * 100 for it in df})
    w = res.weights().set_index("item").estimate
    sc = {}
    wn = {}
    for c, its in C.items():
        u = w[its] / resc[its].std()
        wn.update((u / u.sum()).to_dict())
        sc[c] = resc[its] @ (u / u.sum())

    # unstandardised paths by OLS on the rescaled scores, then total effects
    def ols(y, xs):
        X = np.column_stack([np.ones(len(df))] + [sc[x] for x in xs])
        return np.linalg.lstsq(X, sc[y], rcond=None)[0][1:]

    (b_xm,) = ols("M", ["X"])
    b_xy, b_my = ols("Y", ["X", "M"])
    want = {("X", "Y"): b_xy + b_xm * b_my, ("M", "Y"): b_my, ("X", "M"): b_xm}
    for t in ("Y", "M"):
        tv = out["targets"][t]
        assert tv["performance"] == pytest.approx(sc[t].mean(), abs=1e-9)
        for r in tv["constructs"]:
            assert r["importance"] == pytest.approx(want[(r["construct"], t)], abs=1e-9)
            assert r["performance"] == pytest.approx(sc[r["construct"]].mean(), abs=1e-9)
        for r in tv["indicators"]:
            imp = want[(r["construct"], t)]
            assert r["weight"] == pytest.approx(wn[r["item"]], abs=1e-12)
            assert r["importance"] == pytest.approx(wn[r["item"]] * imp, abs=1e-9)
            assert r["performance"] == pytest.approx(resc[r["item"]].mean(), abs=1e-9)
    assert [r["construct"] for r in out["targets"]["M"]["constructs"]] == ["X"]
    assert all(0 <= p <= 100 for p in out["performance"].values()) and not out["warnings"]


def test_the_same_answers_on_a_shifted_scale_give_the_same_map():
    df = _data()
    a = ipma(fit_pls(df, C, P), "Y", SCALES)
    b = ipma(fit_pls(df + 10, C, P), "Y", {k: (lo + 10, hi + 10) for k, (lo, hi) in SCALES.items()})
    for ra, rb in zip(a["targets"]["Y"]["constructs"], b["targets"]["Y"]["constructs"]):
        assert ra["importance"] == pytest.approx(rb["importance"], abs=1e-9)
        assert ra["performance"] == pytest.approx(rb["performance"], abs=1e-9)
    # a wider scale lowers the performance of the same answers
    c = ipma(fit_pls(df, C, P), "Y", {k: (lo, hi + 3) for k, (lo, hi) in SCALES.items()})
    assert c["targets"]["Y"]["performance"] < a["targets"]["Y"]["performance"]


def test_bad_input_and_warnings():
    df = _data()
    res = fit_pls(df, C, P)
    with pytest.raises(InputError, match="--ipma-target Z: not a construct"):
        ipma(res, "Z", SCALES)
    with pytest.raises(InputError, match="--ipma-target X: an exogenous construct"):
        ipma(res, "X", SCALES)
    with pytest.raises(InputError, match="no answer scale .* for item.* y3"):
        ipma(res, "Y", {k: v for k, v in SCALES.items() if k != "y3"})
    out = ipma(res, "Y", {**SCALES, "x1": (2, 7)})
    assert any("outside the scale" in w and "x1" in w for w in out["warnings"])
    neg = df.assign(x3=8 - df.x3 + np.random.default_rng(0).normal(size=len(df)) * 0.01)  # a reversed item
    out = ipma(fit_pls(neg, C, P), "Y", SCALES)
    assert any("negative outer weight" in w and "x3" in w for w in out["warnings"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_map_in_the_reports(lang):
    from docx import Document

    from validate.pls.report import add_pls_docx, pls_tables, render_pls_html
    from validate.report import to_jsonable

    res = fit_pls(_data(), C, P)
    pls = res.to_dict()
    pls["ipma"] = ipma(res, ["Y"], SCALES)
    results = to_jsonable({"mechanisms": {"m": {"pls": pls}}})
    tabs = pls_tables(results, None, "m", lang)
    assert {"pls_ipma_1", "pls_ipma_items_1"} <= set(tabs)
    assert len(tabs["pls_ipma_1"].rows) == 2 and len(tabs["pls_ipma_items_1"].rows) == 5
    html = render_pls_html(results, None, "m", lang)
    assert html.count('data-figure="pls_ipma"') == 1 and "<svg" in html
    assert ("Importance (unstandardised total effect)" if lang == "en" else "重要性（非标准化总效应）") in html
    assert 'data-table="pls_ipma_items"' not in html  # the indicator table stays in the workbook
    doc = Document()
    add_pls_docx(doc, results, None, "m", lang)
    assert len(doc.inline_shapes) == 1
