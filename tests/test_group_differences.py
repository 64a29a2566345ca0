"""Group differences in construct scores against R (t.test, oneway.test, and the formulas of Hedges' g,
ω² and Games-Howell): tests/fixtures/psych/group_differences_reference.R."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import assert_ref

from validate.measurement.group_differences import construct_scores, group_differences

FIX = Path(__file__).parent / "fixtures" / "psych"
REF = json.loads((FIX / "group_differences_reference.json").read_text())
# Achieved: 7e-11 for the Games-Howell p-values (pingouin's studentized range against R's ptukey),
# 6e-15 elsewhere; asserted at about 100x.
TOL = 1e-8


def _run():
    d = pd.read_csv(FIX / "group_scores.csv")
    out = group_differences(
        d[["score"]],
        {"gender": d["gender"], "platform": d["platform"]},
        labels={"platform": {1: "Douyin", 2: "Kuaishou", 3: "Xiaohongshu"}},
    )
    return out.set_index("by")


def test_welch_t_and_hedges_g_match_r():
    row = _run().loc["gender"]
    ref = REF["welch_t"]
    assert row["test"] == "welch_t" and row["effect_size_type"] == "hedges_g"
    for k in ("statistic", "df", "p_value"):
        assert_ref(row[k], ref[k], TOL, k)
    assert_ref(row["effect_size"], ref["hedges_g"], TOL, "hedges_g")


def test_welch_anova_omega_squared_and_games_howell_match_r():
    row = _run().loc["platform"]
    ref = REF["welch_anova"]
    assert row["test"] == "welch_anova" and row["n_groups"] == 3 and row["n_obs"] == 185
    for k in ("statistic", "df", "df2", "p_value"):
        assert_ref(row[k], ref[k], TOL, k)
    assert_ref(row["effect_size"], ref["omega_squared"], TOL, "omega_squared")
    assert [g["label"] for g in row["groups"]] == ["Douyin", "Kuaishou", "Xiaohongshu"]
    got = {(p["a"], p["b"]): p for p in row["posthoc"]}
    for r in REF["games_howell"]:
        p = got[(r["a"], r["b"])]
        for k in ("diff", "se", "t", "df"):
            assert_ref(p[k], r[k], TOL, f"GH {k}")
        assert_ref(p["p_value"], r["p_value"], TOL, "GH p")


def test_too_few_respondents_are_named_not_tested():
    scores = pd.DataFrame({"A": [1.0, 2.0, 3.0, 4.0, 5.0]})
    out = group_differences(scores, {"tenure": pd.Series([1, 1, 1, 1, 2])})
    row = out.iloc[0]
    assert row["statistic"] is None and "fewer than two groups" in row["reason"] and "2" in row["reason"]


def test_construct_scores_average_the_answered_items():
    df = pd.DataFrame({"a1": [1, 3, np.nan], "a2": [3, np.nan, np.nan]})
    s = construct_scores(df, {"A": ["a1", "a2"]})
    assert s["A"].iloc[0] == 2 and s["A"].iloc[1] == 3 and np.isnan(s["A"].iloc[2])


def test_games_howell_follows_a_significant_anova_only():
    rng = np.random.default_rng(4)  # B: no difference, Welch p = .65
    g = pd.Series(np.repeat([1, 2, 3], 40))
    scores = pd.DataFrame({"A": rng.normal(size=120) + np.repeat([0, 0.8, 1.6], 40), "B": rng.normal(size=120)})
    out = group_differences(scores, {"platform": g}).set_index("construct")
    assert out.loc["A", "p_value"] < 0.05 and len(out.loc["A", "posthoc"]) == 3
    assert out.loc["B", "p_value"] >= 0.05 and out.loc["B", "posthoc"] is None
