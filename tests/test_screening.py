"""Screening: crafted careless respondents are caught; clean data is left alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import mahalanobis as sp_mahalanobis

from instruments.errors import InputError
from instruments.spec import load_spec
from validate.screening import (
    LOG_COLUMNS,
    SUMMARY_COLUMNS,
    ScreeningOptions,
    attention_failures,
    item_missingness,
    longstring,
    mahalanobis,
    respondent_missingness,
    reverse_code,
    screen,
    speeders,
)

ROOT = Path(__file__).resolve().parent
SPEC = load_spec(ROOT / "fixtures" / "specs" / "minimal.yaml")
MECH = SPEC.mechanisms["main"]
ITEMS = MECH.item_ids


def clean_data(n: int = 60, seed: int = 7) -> pd.DataFrame:
    """One-factor answers on the 1-5 scale (DRV3 reverse-keyed), plausible durations, attention passed."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    x = 3 + 0.9 * f[:, None] + rng.normal(scale=0.7, size=(n, 9))
    x[:, 2] = 6 - x[:, 2]  # DRV3 is reverse-keyed
    x = np.clip(np.rint(x), 1, 5)
    df = pd.DataFrame(x, columns=ITEMS)
    df.insert(0, "resp_id", [f"c{i}" for i in range(n)])
    df.insert(1, "duration_sec", rng.uniform(150, 300, size=n).round())
    df["ATT1"] = 4.0
    return df


def add(df: pd.DataFrame, rid: str, answers, duration=200.0, att=4.0) -> pd.DataFrame:
    row = {"resp_id": rid, "duration_sec": duration, "ATT1": att, **dict(zip(ITEMS, map(float, answers)))}
    return pd.concat([df, pd.DataFrame([row])], ignore_index=True)


def crafted() -> pd.DataFrame:
    df = clean_data()
    df = add(df, "straight", [5] * 9)  # zero variance
    df = add(df, "longrun", [4, 4, 4, 4, 4, 4, 4, 4, 3])  # run of 8 of 9
    df = add(df, "speeder", [4, 4, 2, 4, 3, 4, 4, 3, 4], duration=20)
    df = add(df, "outlier", [5, 1, 5, 1, 5, 1, 5, 1, 5])
    df = add(df, "inattentive", [4, 3, 2, 4, 3, 4, 3, 4, 4], att=1)
    df = add(df, "sparse", [4, np.nan, np.nan, np.nan, np.nan, np.nan, 3, np.nan, 4])
    return df


def fired(res, rule):
    lg = res.log
    return sorted(lg.loc[lg["rule"] == rule, "resp_id"])


def test_clean_data_stays_untouched():
    df = clean_data()
    res = screen(df, "main", SPEC)
    assert res.log.empty, res.log.to_string()
    assert list(res.log.columns) == LOG_COLUMNS
    expected = df.copy()
    expected["DRV3"] = 6 - expected["DRV3"]  # only the reverse-keyed item changes
    pd.testing.assert_frame_equal(res.cleaned, expected)
    assert res.dropped == []


def test_crafted_careless_respondents_are_caught():
    res = screen(crafted(), MECH, SPEC)
    assert fired(res, "zero_variance") == ["straight"]
    assert fired(res, "longstring") == ["longrun", "straight"]
    assert fired(res, "speeder") == ["speeder"]
    assert fired(res, "outlier") == ["outlier"]
    assert fired(res, "attention") == ["inattentive"]
    assert fired(res, "missing") == ["sparse"]
    assert res.dropped == ["sparse", "straight"]  # drop only on the clear rules
    kept = set(res.cleaned["resp_id"])
    assert {"longrun", "speeder", "outlier", "inattentive"} <= kept and "straight" not in kept
    lg = res.log.set_index(["resp_id", "rule"])
    assert lg.loc[("straight", "zero_variance"), "action"] == "dropped"
    assert lg.loc[("straight", "zero_variance"), "detail"] == "all 9 answered items = 5"
    assert lg.loc[("longrun", "longstring"), "detail"] == "longest run of identical answers 8 of 9 items (>= 8)"
    assert lg.loc[("longrun", "longstring"), "action"] == "flagged"
    assert lg.loc[("inattentive", "attention"), "detail"] == "ATT1: answered 1, expected 4"
    assert lg.loc[("sparse", "missing"), "detail"] == "6 of 9 items missing (67% > 50%)"
    assert lg.loc[("speeder", "speeder"), "detail"].startswith("20 s < 0.5 x median")
    assert lg.loc[("outlier", "outlier"), "detail"].startswith("D2 = ")
    sm = res.summary.set_index("rule")
    assert list(res.summary.columns) == SUMMARY_COLUMNS
    assert sm.loc["zero_variance", "n_dropped"] == 1 and sm.loc["longstring", "n_flagged"] == 2
    assert sm.loc["reverse_coded", "note"] == "DRV3"
    d = res.to_dict()
    assert d["n_dropped"] == 2 and d["n_kept"] == len(crafted()) - 2


def test_every_rule_can_be_turned_off_or_made_to_drop():
    off = ScreeningOptions(
        missing="off",
        zero_variance="off",
        longstring="off",
        attention="off",
        speeder="off",
        outlier="off",
        reverse=False,
    )
    df = crafted()
    res = screen(df, "main", SPEC, off)
    assert res.log.empty
    pd.testing.assert_frame_equal(res.cleaned, df)
    strict = ScreeningOptions(attention="drop", speeder="drop", longstring="drop", outlier="drop")
    res = screen(df, "main", SPEC, strict)
    assert res.dropped == ["inattentive", "longrun", "outlier", "sparse", "speeder", "straight"]


def test_invalid_options_are_named():
    with pytest.raises(InputError) as e:
        ScreeningOptions(speeder="remove", max_missing=1.5)
    msg = str(e.value)
    assert "speeder: 'remove' is not an action; expected one of flag, drop, off" in msg
    assert "max_missing: 1.5 is outside 0 <= x < 1" in msg


def test_missing_item_column_is_an_error():
    with pytest.raises(InputError, match="the data have no column for item"):
        screen(clean_data().drop(columns=["OUT3"]), "main", SPEC)


def test_no_duration_and_no_attention_column_are_noted():
    df = clean_data().drop(columns=["duration_sec", "ATT1"])
    sm = screen(df, "main", SPEC).summary.set_index("rule")
    assert sm.loc["speeder", "note"] == "the platform gave no duration"
    assert sm.loc["attention", "note"] == "no attention-check column in the data"


# --------------------------------------------------------------------------- the rules themselves


def test_longstring_and_irv():
    df = pd.DataFrame({"resp_id": ["a", "b", "c"]})
    vals = [[1, 1, 2, 2, 2, 3, 3, 3, 3], [5, 5, np.nan, 5, 5, 5, 1, 1, 1], [np.nan] * 9]
    df = pd.concat([df, pd.DataFrame(vals, columns=ITEMS)], axis=1)
    ls = longstring(df, ITEMS)
    assert ls["longstring"].tolist() == [4, 3, 0]
    assert ls["n_answered"].tolist() == [9, 8, 0]
    assert ls["irv"].iloc[0] == pytest.approx(np.std([1, 1, 2, 2, 2, 3, 3, 3, 3]))
    assert np.isnan(ls["irv"].iloc[2])


def test_mahalanobis_matches_scipy():
    df = clean_data()
    md = mahalanobis(df, ITEMS)
    x = df[ITEMS].to_numpy()
    vi = np.linalg.inv(np.cov(x, rowvar=False))
    ref = [sp_mahalanobis(r, x.mean(axis=0), vi) ** 2 for r in x]
    np.testing.assert_allclose(md["d2"].to_numpy(), ref, rtol=1e-10)
    assert (md["df"] == 9).all()
    from scipy.stats import chi2

    np.testing.assert_allclose(md["p_value"], chi2.sf(ref, 9))
    assert mahalanobis(df.head(5), ITEMS).empty  # too few complete cases


def test_missingness_tables():
    df = crafted()
    im = item_missingness(df, ITEMS).set_index("item")
    assert im.loc["DRV2", "n_missing"] == 1 and im.loc["DRV1", "n_missing"] == 0
    rm = respondent_missingness(df, ITEMS).set_index("resp_id")
    assert rm.loc["sparse", "n_missing"] == 6
    assert rm.loc["sparse", "share_missing"] == pytest.approx(6 / 9)


def test_speeders_and_attention_tables():
    df = crafted()
    sp = speeders(df).set_index("resp_id")
    assert bool(sp.loc["speeder", "speeder"]) and not bool(sp.loc["c0", "speeder"])
    assert sp.loc["speeder", "relative_speed"] == pytest.approx(sp["median_sec"].iloc[0] / 20)
    af = attention_failures(df, SPEC.attention_checks)
    assert af.loc[~af["passed"], "resp_id"].tolist() == ["inattentive"]


def test_reverse_code():
    df = pd.DataFrame({"resp_id": ["a", "b"], **{i: [1.0, np.nan] for i in ITEMS}})
    out = reverse_code(df, MECH, SPEC.scale)
    assert out["DRV3"].tolist()[0] == 5.0 and np.isnan(out["DRV3"].iloc[1])
    assert out["DRV1"].tolist()[0] == 1.0
    assert df["DRV3"].iloc[0] == 1.0  # the input is not changed


def test_write(tmp_path):
    res = screen(crafted(), "main", SPEC)
    paths = res.write(tmp_path)
    assert sorted(p.name for p in paths) == [
        "cleaned_main.csv",
        "cleaned_main.parquet",
        "cleaned_main.xlsx",
        "screening_log_main.csv",
        "screening_summary_main.csv",
    ]
    back = pd.read_csv(tmp_path / "cleaned_main.csv", dtype={"resp_id": str}, encoding="utf-8-sig")
    assert len(back) == len(res.cleaned)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cleaned_main.parquet"), res.cleaned)
    log = pd.read_csv(tmp_path / "screening_log_main.csv", encoding="utf-8-sig")
    assert set(log["rule"]) == {"zero_variance", "longstring", "speeder", "outlier", "attention", "missing"}
