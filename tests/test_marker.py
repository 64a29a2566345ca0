"""The marker-variable tests of common method bias: the CFA marker technique against lavaan 0.6.14 and
the Lindell & Whitney correction against R's cor.test and a hand computation (marker_reference.R).

The data (tests/fixtures/lavaan/marker_data.csv) were simulated once with numpy::

    rng = np.random.default_rng(20261214); n = 400
    F = rng.multivariate_normal(0, [[1, .45, .30], [.45, 1, .35], [.30, .35, 1]], n)
    cmv, mk = rng.standard_normal(n), rng.standard_normal(n)
    y(4j+k+1) = l_k F_j + .35 cmv + e * sqrt(1 - l_k^2 - .35^2 + .1),  l = (.8, .7, .6, .5), j = 0..2
    m(k+1)    = l_k mk  + .35 cmv + e * sqrt(1 - l_k^2 - .35^2 + .1),  l = (.8, .7, .6)
    (columns drawn in that order, each e = rng.standard_normal(n); rounded to 4 decimals)
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_ref
from scipy import stats

from validate.measurement.group_differences import construct_scores
from validate.measurement.method_bias import MARKER_FACTOR, cfa_marker, lindell_whitney, marker_syntax

FIX = Path(__file__).parent / "fixtures" / "lavaan"
REF = json.loads((FIX / "marker_reference.json").read_text())
CONSTRUCTS = {
    "A": [f"y{i}" for i in range(1, 5)],
    "B": [f"y{i}" for i in range(5, 9)],
    "C": [f"y{i}" for i in range(9, 13)],
}
# Achieved (relative to max(1, |ref|), over fit measures, Δχ² tests, standardised marker loadings): 4.3e-6 with
# complete data, 1.3e-5 with FIML (both the Δχ² of Method-R, whose fixed correlations come from each program's own
# baseline fit); asserted at 5e-4, about 100x the complete-data error and 40x FIML's.
TOL = 5e-4
# Achieved: 1.5e-15 (the correction is closed-form); asserted at 1e-10.
TOL_LW = 1e-10


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(FIX / "marker_data.csv")


def _with_missing(data):
    """m1 blank in every 8th row and y3 in every 11th (1-based), as marker_reference.R does for FIML."""
    d = data.copy()
    d.loc[d.index[7::8], "m1"] = np.nan
    d.loc[d.index[10::11], "y3"] = np.nan
    return d


@pytest.mark.parametrize(
    "key, markers", [("three_markers", ["m1", "m2", "m3"]), ("one_marker", ["m1"]), ("fiml", ["m1", "m2", "m3"])]
)
def test_cfa_marker_matches_lavaan(data, key, markers):
    if key == "fiml":
        out = cfa_marker(_with_missing(data), CONSTRUCTS, markers, missing="fiml")
        assert out["n_obs"] == len(data)
    else:
        out = cfa_marker(data, CONSTRUCTS, markers)
    ref = REF[key]
    assert out["reason"] is None and out["single_indicator"] == (len(markers) == 1)
    assert [m["name"] for m in out["models"]] == ["cfa", "baseline", "method_c", "method_u", "method_r"]
    assert all(m["converged"] and m["admissible"] for m in out["models"])
    for row in out["models"]:
        for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"):
            assert_ref(row[k], ref["models"][row["name"]][k], TOL, f"{key} {row['name']} {k}")
    assert [t["comparison"] for t in out["tests"]] == [
        "baseline_vs_method_c",
        "method_c_vs_method_u",
        "method_vs_method_r",
    ]
    for row in out["tests"]:
        for k in ("chisq_diff", "df_diff", "p_value"):
            assert_ref(row[k], ref["tests"][row["comparison"]][k], TOL, f"{key} {row['comparison']} {k}")
    assert out["retained"] == ref["retained"]
    # the simulated method factor is there (baseline rejected) and does not bias the correlations here
    assert out["method_effects"] is True
    assert out["biased_correlations"] is (ref["tests"]["method_vs_method_r"]["p_value"] < 0.05)
    assert_ref([r["method_loading_std"] for r in out["items"]], ref["method_loading_std"], TOL, "marker loadings")
    assert_ref(out["method_variance"], ref["method_variance"], TOL, "method variance")
    assert [r["item"] for r in out["items"]] == [i for its in CONSTRUCTS.values() for i in its]


def test_marker_syntax_fixes_what_williams_et_al_fix():
    fixed = {"marker_loadings": {"m1": 0.5}, "marker_residuals": {"m1": 0.25}}
    base = marker_syntax(CONSTRUCTS, ["m1"], "baseline", **fixed)
    assert f"{MARKER_FACTOR} =~ 0.5*m1" in base and "m1 ~~ 0.25*m1" in base and f"{MARKER_FACTOR} ~~ 0*C" in base
    assert "mc*y12" in marker_syntax(CONSTRUCTS, ["m1"], "method_c", **fixed)
    r = marker_syntax(
        CONSTRUCTS, ["m1"], "method_r_u", correlations={("A", "B"): 0.4, ("A", "C"): 0.3, ("B", "C"): 0.2}, **fixed
    )
    assert "A ~~ 0.40000000000000002*B" in r and " + y1 + " in r and "mc*" not in r
    assert "m1 ~~ 0*m1" in marker_syntax(CONSTRUCTS, ["m1"], "cfa")
    with pytest.raises(ValueError, match="needs the CFA's marker loadings"):
        marker_syntax(CONSTRUCTS, ["m1"], "baseline")


def test_lindell_whitney_matches_r(data):
    out = lindell_whitney(construct_scores(data, CONSTRUCTS), data[["m1", "m2", "m3"]])
    ref = REF["lindell_whitney"]
    assert out["n"] == len(data) and out["r_m_rule"] == "smallest_positive"
    assert_ref(out["r_m"], ref["r_m"], TOL_LW, "r_M")
    assert_ref(out["r_m_second"], ref["r_m_second"], TOL_LW, "second-smallest r_M")
    assert_ref([r["r"] for r in out["marker_correlations"]], ref["marker_correlations"], TOL_LW, "marker r")
    for ours, theirs in zip(out["correlations"], ref["correlations"], strict=True):
        assert (ours["construct_a"], ours["construct_b"]) == (theirs["construct_a"], theirs["construct_b"])
        for k in ("r", "p_value", "r_corrected", "t_corrected", "p_value_corrected"):
            assert_ref(ours[k], theirs[k], TOL_LW, f"{ours['construct_a']}-{ours['construct_b']} {k}")
    assert out["n_significant"] == sum(r["p_value"] < 0.05 for r in ref["correlations"])
    assert out["n_significant_corrected"] == sum(r["p_value_corrected"] < 0.05 for r in ref["correlations"])


def test_lindell_whitney_by_hand():
    # r_U = .5, r_M = .2: r_A = .3 / .8 = .375; t = .375 / sqrt((1 - .375^2) / 97) on 97 df
    rng = np.random.default_rng(1)
    z = rng.standard_normal((100, 3))
    L = np.linalg.cholesky(np.array([[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]]))
    x = z - z.mean(0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x.T, bias=True))).T @ L.T  # exactly these correlations
    out = lindell_whitney(pd.DataFrame(x[:, :2], columns=["P", "Q"]), pd.DataFrame({"mk": x[:, 2]}))
    (row,) = out["correlations"]
    assert_ref(out["r_m"], 0.2, 1e-12, "r_M")
    assert_ref(row["r_corrected"], 0.375, 1e-12, "r_A")
    t = 0.375 / np.sqrt((1 - 0.375**2) / 97)
    assert_ref(row["t_corrected"], t, 1e-12, "t")
    assert_ref(row["p_value_corrected"], 2 * stats.t.sf(t, 97), 1e-12, "p")
    assert out["r_m_second"] is not None and abs(out["r_m_second"] - 0.3) < 1e-12


def test_lindell_whitney_without_a_positive_marker_correlation_says_why():
    rng = np.random.default_rng(2)
    s = pd.DataFrame(rng.standard_normal((50, 2)), columns=["P", "Q"])
    out = lindell_whitney(s, pd.DataFrame({"mk": -s["P"] - s["Q"]}))
    assert out["r_m"] is None and "no marker correlates positively" in out["reason"]
    assert out["correlations"][0]["r_corrected"] is None and out["n_significant_corrected"] is None
    flat = lindell_whitney(s, pd.DataFrame({"mk": [3.0] * len(s)}))
    assert flat["r_m"] is None and "the marker mk has the same answer for every respondent" in flat["reason"]
    few = lindell_whitney(s.iloc[:3], pd.DataFrame({"mk": [1.0, 2.0, 3.0]}))
    assert few["r_m"] is None and "only 3 respondents" in few["reason"]


# --------------------------------------------------------------------------- the spec: marker: true

SPECS = Path(__file__).parent / "fixtures" / "specs"


def _spec_with(tmp_path, edit):
    import yaml

    raw = yaml.safe_load((SPECS / "marker.yaml").read_text(encoding="utf-8"))
    edit(raw)
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def _question(raw, qid):
    return next(q for q in raw["background"] if q["id"] == qid)


def test_marker_question_is_read_from_the_spec():
    from instruments.spec import load_spec

    spec = load_spec(SPECS / "marker.yaml")
    assert [q.id for q in spec.markers_for("main")] == ["blue"]
    assert load_spec(SPECS / "minimal.yaml").markers_for("main") == []  # old specs: no marker, still valid
    assert "blue" not in spec.mechanisms["main"].item_ids  # the marker stays out of the constructs' CFA


def _number_marker(raw):
    raw["background"].append(
        {
            "id": "minutes",
            "type": "number",
            "min": 0,
            "max": 1440,
            "marker": True,
            "text": {"en": "Minutes a day", "zh": "每天分钟数"},
        }
    )


def _text_marker(raw):
    raw["background"].append({"id": "note", "type": "text", "marker": True, "text": {"en": "Note", "zh": "备注"}})


def _group_marker(raw):
    _question(raw, "platform")["marker"] = True


def _item_marker(raw):
    raw["mechanisms"]["main"]["constructs"]["DRV"]["items"][0]["marker"] = True


def _construct_marker(raw):
    raw["mechanisms"]["main"]["constructs"]["OUT"]["marker"] = True


def _not_a_flag(raw):
    _question(raw, "blue")["marker"] = "yes"


def _marker_as_control(raw):
    raw["mechanisms"]["main"]["controls"] = [{"variable": "blue", "on": ["ACT"]}]


def _screener_marker(raw):
    raw["screeners"] = [
        {
            "id": "uses",
            "marker": True,
            "text": {"en": "Do you use it?", "zh": "您使用吗？"},
            "choices": [
                {"code": 1, "label": {"en": "Yes", "zh": "是"}},
                {"code": 2, "label": {"en": "No", "zh": "否"}},
            ],
            "continue_if": [1],
        }
    ]


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            _text_marker,
            "background.note.marker: a marker variable must be numeric, but this question is text; "
            "expected type number, or single with ordered codes (e.g. 1-7)",
        ),
        (_group_marker, "background.platform.marker: the group question (role: group) names categories, not amounts"),
        (
            _item_marker,
            "mechanisms.main.constructs.DRV.items[0].marker: an item of a construct measures that construct, "
            "so it cannot be the marker variable; ask the marker item as a background question",
        ),
        (
            _construct_marker,
            "mechanisms.main.constructs.OUT.marker: a construct of the model cannot be the marker variable",
        ),
        (_not_a_flag, "background.blue.marker: 'yes' is not true or false"),
        (_marker_as_control, "mechanisms.main.controls[0].variable: 'blue' is a marker variable (marker: true)"),
        (_screener_marker, "screeners.uses.marker: a screener cannot be a marker variable"),
    ],
)
def test_bad_marker_declarations_exit_2_naming_the_key(tmp_path, capsys, edit, message):
    from validate.cli import main

    assert main(["model", "check", str(_spec_with(tmp_path, edit))]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_number_marker_is_valid_and_a_binary_one_is_warned(tmp_path):
    from instruments.spec import load_spec

    spec = load_spec(_spec_with(tmp_path, _number_marker))
    assert [q.id for q in spec.markers_for("main")] == ["minutes", "blue"]  # survey order (blue is asked at the end)

    def binary(raw):
        _question(raw, "gender")["marker"] = True

    spec = load_spec(_spec_with(tmp_path, binary))
    assert any("background.gender.marker: the marker has only 2 answers" in w for w in spec.warnings)


def test_the_run_says_why_a_marker_test_is_not_there(data):
    from types import SimpleNamespace

    from validate.measurement.analysis import _marker

    warnings: list[str] = []
    ml = SimpleNamespace(estimator="ML", missing="listwise")
    assert _marker(data, CONSTRUCTS, [], ml, warnings) == {
        "marker": None,
        "marker_reason": "no marker variable declared in the spec",
    }
    out = _marker(data, CONSTRUCTS, ["blue"], ml, warnings)
    assert out["marker"] is None and "the responses have no column for the marker variable blue" in out["marker_reason"]
    assert any("marker variable blue" in w for w in warnings)
    flat = _marker(data.assign(k=3), CONSTRUCTS, ["k"], ml, warnings)["marker"]
    assert flat["cfa_marker"] is None and "zero variance in column(s) ['k']" in flat["cfa_marker_reason"]
    wlsmv = _marker(data, CONSTRUCTS, ["m1"], SimpleNamespace(estimator="WLSMV", missing="pairwise"), warnings)[
        "marker"
    ]
    assert wlsmv["cfa_marker"] is None and "not run with WLSMV" in wlsmv["cfa_marker_reason"]
    assert wlsmv["lindell_whitney"]["r_m"] is not None
    both = _marker(data, CONSTRUCTS, ["m1", "m2", "m3"], ml, warnings)["marker"]
    assert both["cfa_marker"]["retained"] == REF["three_markers"]["retained"]
    assert_ref(both["lindell_whitney"]["r_m"], REF["lindell_whitney"]["r_m"], TOL_LW, "r_M through the pipeline")
