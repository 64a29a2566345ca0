"""Moderated mediation (issue 15) against lavaan 0.6.14 := definitions on the product-indicator model.

Reference: tests/fixtures/moderated_mediation/moderated_mediation_reference.R, on the richer fixture data,
the chain DRV -> ACT -> HOC with MOD moderating the first stage (specs/richer.yaml) or the second
(specs/richer_second_stage.yaml). Largest |ours - ref| / max(1, |ref|) achieved: 2.3e-6 (index and
conditional indirect effects; the model's estimates agree with lavaan to the same order), 2.7e-7
(their delta-method SEs), 1.1e-6 (the moderator's SD). Asserted: 1e-4 on the effects, 1e-5 on the SEs
and the SD (~40x the achieved error). The bootstrap intervals are compared with lavaan's
se = "bootstrap" (1,000 draws each, as here) within Monte Carlo error.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_ref

from instruments.spec import Moderation, load_spec
from validate.pipeline import AnalysisOptions
from validate.structural.analysis import analyse_structural
from validate.structural.mediation import Chain
from validate.structural.moderated_mediation import (
    conditional_effects,
    moderated_chains,
    moderated_mediation_rows,
)

FIX = Path(__file__).parent / "fixtures"
REF = json.loads((FIX / "moderated_mediation" / "moderated_mediation_reference.json").read_text(encoding="utf-8"))
DATA = pd.read_csv(FIX / "richer" / "richer_data.csv")
SPECS = {"first_stage": "richer.yaml", "second_stage": "richer_second_stage.yaml"}
LEVELS = ("ind_minus", "ind_mean", "ind_plus")
ETOL = 1e-4  # effects (achieved <= 2.3e-6)
STOL = 1e-5  # delta-method SEs and the moderator's SD (achieved <= 1.1e-6)


def _run(stage: str, bootstrap: int):
    spec = load_spec(FIX / "specs" / SPECS[stage])
    opts = AnalysisOptions(bootstrap=bootstrap, seed=11, workers=1, progress=False, missing="listwise")
    return analyse_structural(DATA, spec.mechanism("main"), spec, opts)["structural"]


def _defined(stage: str, boot: bool = False) -> dict:
    rows = REF[stage]["bootstrap"]["defined"] if boot else REF[stage]["defined"]
    return {r["name"]: r for r in rows}


# --------------------------------------------------------------------------- the algebra


def test_chains_through_a_moderated_path():
    chains = [Chain(("X", "M", "Y")), Chain(("X", "M", "Z", "Y")), Chain(("A", "B", "C"))]
    mods = (Moderation("X", "M", "W"), Moderation("Z", "Y", "V"), Moderation("M", "Z", "W"))
    got = [
        (mc.chain.key, mc.moderator, mc.steps, mc.products, mc.stage, mc.linear)
        for mc in moderated_chains(chains, mods)
    ]
    assert got == [
        ("X->M->Y", "W", (0,), ("XxW",), "first", True),
        ("X->M->Z->Y", "W", (0, 1), ("XxW", "MxW"), "several", False),
        ("X->M->Z->Y", "V", (2,), ("ZxV",), "second", True),
    ]  # A->B->C passes no moderated path


def test_conditional_indirect_effects_and_index_are_hayes_formulas():
    names = ["X", "W", "M", "Y", "XxW", "MxW"]
    ix = {n: i for i, n in enumerate(names)}
    B = np.zeros((6, 6))
    a, a3, b, b3 = 0.5, 0.2, 0.4, -0.1
    B[ix["M"], ix["X"]], B[ix["M"], ix["XxW"]], B[ix["Y"], ix["M"]], B[ix["Y"], ix["MxW"]] = a, a3, b, b3
    cov = np.eye(6)
    cov[ix["W"], ix["W"]] = 2.25  # SD 1.5
    chain = Chain(("X", "M", "Y"))
    (first,) = moderated_chains([chain], (Moderation("X", "M", "W"),))
    got = conditional_effects(B, cov, ix, first)
    assert got == pytest.approx([a3 * b] + [(a + a3 * k * 1.5) * b for k in (-1, 0, 1)], abs=1e-15)
    (second,) = moderated_chains([chain], (Moderation("M", "Y", "W"),))
    got = conditional_effects(B, cov, ix, second)
    assert got == pytest.approx([a * b3] + [a * (b + b3 * k * 1.5) for k in (-1, 0, 1)], abs=1e-15)
    (both,) = moderated_chains([chain], (Moderation("X", "M", "W"), Moderation("M", "Y", "W")))
    got = conditional_effects(B, cov, ix, both)  # quadratic in W: no index, only the conditional effects
    assert got == pytest.approx([(a + a3 * w) * (b + b3 * w) for w in (-1.5, 0, 1.5)], abs=1e-15)
    (row,) = moderated_mediation_rows([both], got, None, None, {"W": 1.5}, "no bootstrap was run")
    assert row["index"] is None and "moderates 2 paths of this chain (X -> M, M -> Y)" in row["index_reason"]
    assert [c["moderator_value"] for c in row["conditional"]] == [-1.5, 0.0, 1.5]
    assert row["conditional"][0]["ci_lower"] is None and row["reason"] == "no bootstrap was run"
    assert row["se_reason"] == "no sampling covariance of the estimates, so no delta-method SE"


# --------------------------------------------------------------------------- against lavaan


@pytest.mark.parametrize("stage", ["first_stage", "second_stage"])
def test_point_estimates_and_delta_ses_match_lavaan(stage):
    st = _run(stage, bootstrap=0)
    assert_ref(st["fit"]["chisq"], REF[stage]["chisq"], 1e-5, "chi-square")
    (mm,) = st["moderated_mediation"]
    ref = _defined(stage)
    assert mm["chain"] == ["DRV", "ACT", "HOC"] and mm["moderator"] == "MOD"
    assert mm["stage"] == stage.split("_")[0]
    assert_ref(mm["moderator_sd_value"], ref["sd_w"]["est"], STOL, "SD of the moderator")
    assert_ref(mm["index"]["estimate"], ref["index"]["est"], ETOL, "index")
    assert_ref(mm["index"]["se"], ref["index"]["se"], STOL, "index SE")
    assert_ref(mm["index"]["z"], ref["index"]["z"], 1e-3, "index z")
    for c, name in zip(mm["conditional"], LEVELS):
        assert_ref(c["estimate"], ref[name]["est"], ETOL, name)
        assert_ref(c["se"], ref[name]["se"], STOL, f"{name} SE")
    assert [c["moderator_sd"] for c in mm["conditional"]] == [-1, 0, 1]
    assert_ref(
        [c["moderator_value"] for c in mm["conditional"]],
        [-ref["sd_w"]["est"], 0, ref["sd_w"]["est"]],
        STOL,
        "moderator values",
    )
    # without resamples there is no interval, and the reason says so
    assert mm["index"]["ci_lower"] is None and "--bootstrap 0" in mm["reason"]
    # the indirect effect of the chain is the conditional one at the moderator's mean
    (ind,) = st["indirect"]
    assert ind["estimate"] == pytest.approx(mm["conditional"][1]["estimate"], abs=1e-12)


def _quantile_band(draws, p, z=3.5):
    """Range of the p-quantile another independent run of as many draws may give: the rank of an
    empirical p-quantile is binomial, so two runs of B draws differ in rank by about sqrt(2 B p (1 - p))."""
    d = np.sort(np.asarray(draws, float))
    B = d.size
    half = z * np.sqrt(2 * B * p * (1 - p))
    return d[int(max(0, np.floor(p * B - half)))], d[int(min(B - 1, np.ceil(p * B + half)))]


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["first_stage", "second_stage"])
def test_bootstrap_intervals_agree_with_lavaan_within_monte_carlo_error(stage):
    st = _run(stage, bootstrap=1000)
    assert st["bootstrap"]["requested"] == REF[stage]["bootstrap"]["requested"] == 1000
    (mm,) = st["moderated_mediation"]
    ref = _defined(stage, boot=True)
    lav_draws = pd.DataFrame(REF[stage]["bootstrap"]["draws"])
    assert len(lav_draws) == REF[stage]["bootstrap"]["completed"] > 990
    n = st["bootstrap"]["completed"]
    for ours, name in [(mm["index"], "index")] + list(zip(mm["conditional"], LEVELS)):
        lo_band = _quantile_band(lav_draws[name], 0.025)
        hi_band = _quantile_band(lav_draws[name], 0.975)
        assert lo_band[0] <= ours["ci_lower"] <= lo_band[1], (name, ours["ci_lower"], lo_band, ref[name]["ci_lower"])
        assert hi_band[0] <= ours["ci_upper"] <= hi_band[1], (name, ours["ci_upper"], hi_band, ref[name]["ci_upper"])
        # the SD of B draws has an SE of about SD / sqrt(2B); two runs, 4 of their SDs
        assert abs(ours["boot_se"] - ref[name]["se"]) < 4 * np.sqrt(2) * ref[name]["se"] / np.sqrt(2 * n), name
        assert ours["excludes_zero"] == (ours["ci_lower"] > 0 or ours["ci_upper"] < 0)
    # the same resamples as the indirect effects: at the moderator's mean the draws are the chain's own
    (ind,) = st["indirect"]
    mid = mm["conditional"][1]
    assert [mid["ci_lower"], mid["ci_upper"]] == pytest.approx([ind["ci_lower"], ind["ci_upper"]], abs=1e-12)
    assert mid["boot_se"] == pytest.approx(ind["se"], abs=1e-12)
    assert mm["ci"] == "percentile bootstrap, 95%" and "reason" not in mm


# --------------------------------------------------------------------------- the report table


def test_table_in_both_languages():
    from validate.report.tables import mechanism_tables

    chain = Chain(("X", "M", "Y"))
    mc = moderated_chains([chain], (Moderation("X", "M", "W"), Moderation("M", "Y", "W")))
    lin = moderated_chains([chain], (Moderation("X", "M", "W"),))
    point = np.array([0.1, 0.2, 0.3, 0.4])
    draws = np.random.default_rng(1).normal(point, 0.05, size=(500, 4))
    rows = moderated_mediation_rows(lin, point, np.full(4, 0.05), draws, {"W": 0.8}, None) + moderated_mediation_rows(
        mc, point[1:], None, None, {"W": 0.8}, "no bootstrap was run (--bootstrap 0), so there is no bootstrap interval"
    )
    res = {"mechanisms": {"main": {"structural": {"moderated_mediation": rows, "bootstrap": {"completed": 500}}}}}
    en = mechanism_tables(res, None, "main", "en")["moderated_mediation"]
    zh = mechanism_tables(res, None, "main", "zh")["moderated_mediation"]
    assert len(en.rows) == 8 and [r["stat"] for r in en.rows[:4]] == [
        "Index of moderated mediation",
        "W \u22121 SD",
        "W Mean",
        "W +1 SD",
    ]
    assert en.rows[0]["estimate"] == 0.1 and en.rows[0]["ci"] == (
        rows[0]["index"]["ci_lower"],
        rows[0]["index"]["ci_upper"],
    )
    assert en.rows[4]["estimate"] is None  # no index: a dash, with the reason in a note
    assert any("moderates 2 paths of this chain" in n for n in en.notes)
    assert any("500 bootstrap draws" in n for n in en.notes)
    assert en.marks[(0, "stat")] == "ok"
    assert zh.title.startswith("有调节的中介效应") and any("没有单一的被调节的中介指数" in n for n in zh.notes)
    assert any("未进行 Bootstrap（--bootstrap 0），因此没有 Bootstrap 置信区间" in n for n in zh.notes)
    assert any("没有 delta 方法标准误" in n for n in zh.notes) and not any("delta-method SE" in n for n in zh.notes)
