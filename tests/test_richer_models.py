"""Richer models (issue 15) against lavaan 0.6.14 / semTools 0.5.6 (tests/fixtures/richer/richer_reference.R).

Largest |ours - ref| / max(1, |ref|) achieved: 1.9e-6 (second-order CFA estimates, SEs, std.all),
4.5e-6 (SEM with a control), 5.7e-6 (moderation model), 3.3e-7 (reliabilityL2, compRelSEM),
1.1e-6 (simple slopes), 3.6e-7 (Johnson-Neyman), 4e-16 (product indicators). The tests assert
1e-4 on parameters and 1e-5 on the derived statistics (~20-30x the achieved error).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_ref

from validate.measurement.higher_order import reliability_l2, second_order_summary
from validate.sem import fit_sem

FIX = Path(__file__).parent / "fixtures" / "richer"
REF = json.loads((FIX / "richer_reference.json").read_text(encoding="utf-8"))
DATA = pd.read_csv(FIX / "richer_data.csv")
MEAS = """DRV =~ DRV1 + DRV2 + DRV3
MOD =~ MOD1 + MOD2 + MOD3
ACT =~ ACT1 + ACT2 + ACT3
D1 =~ D11 + D12 + D13
D2 =~ D21 + D22 + D23
D3 =~ D31 + D32 + D33
HOC =~ D1 + D2 + D3"""
TOL = 1e-5  # derived statistics (achieved <= 1.1e-6)
PTOL = 1e-4  # parameters (achieved <= 5.7e-6)


def _ref_params(section):
    return pd.DataFrame(REF[section]["params"])


def _compare_params(res, section, cols=(("estimate", "est"), ("se", "se"), ("std_all", "std.all"))):
    ref = _ref_params(section)
    got = res.params
    n = 0
    for _, r in ref.iterrows():
        row = got[(got.lhs == r.lhs) & (got.op == r.op) & (got.rhs == r.rhs)]
        assert len(row) == 1, (r.lhs, r.op, r.rhs)
        for ours, theirs in cols:
            assert_ref(float(row[ours].iloc[0]), float(r[theirs]), PTOL, f"{section} {r.lhs}{r.op}{r.rhs} {ours}")
            n += 1
    return n


@pytest.fixture(scope="module")
def cfa2():
    return fit_sem(MEAS, DATA, kind="cfa")


def test_second_order_cfa_matches_lavaan(cfa2):
    assert _compare_params(cfa2, "cfa2") > 100
    assert_ref(cfa2.fit["chisq"], REF["cfa2"]["fit"]["chisq"], TOL, "second-order CFA chi-square")


def test_reliability_l2_matches_semtools(cfa2):
    S = DATA[[c for c in DATA.columns if c.startswith("D")]].cov(ddof=0)
    got = reliability_l2(cfa2.params, "HOC", S)
    ref = REF["cfa2"]["reliabilityL2"]
    assert_ref(got["omega_l1"], ref["omegaL1"], TOL, "omega_l1")
    assert_ref(got["omega_l2"], ref["omegaL2"], TOL, "omega_l2")
    assert_ref(got["partial_omega_l1"], ref["partialOmegaL1"], TOL, "partial_omega_l1")
    assert_ref(got["omega_higher"], REF["cfa2"]["compRelSEM_higher"], TOL, "compRelSEM(higher=)")
    assert got["dimensions"] == ["D1", "D2", "D3"] and len(got["items"]) == 9


def test_second_order_cr_ave_from_standardised_loadings(cfa2):
    ref = _ref_params("cfa2")
    g = ref[(ref.lhs == "HOC") & (ref.op == "=~")]["std.all"].to_numpy()
    out = second_order_summary(cfa2.params, "HOC")
    s = g.sum()
    assert_ref(out["cr"], s**2 / (s**2 + (1 - g**2).sum()), TOL, "second-order CR")
    assert_ref(out["ave"], (g**2).mean(), TOL, "second-order AVE")


def test_structural_model_with_a_control_matches_lavaan():
    res = fit_sem(MEAS + "\nACT ~ DRV + gender\nHOC ~ ACT", DATA)
    assert _compare_params(res, "sem_control") > 100
    assert_ref(res.fit["chisq"], REF["sem_control"]["fit"]["chisq"], TOL, "chi-square with a control")


# --------------------------------------------------------------------------- latent moderation

SPEC = Path(__file__).parent / "fixtures" / "specs" / "richer.yaml"


@pytest.fixture(scope="module")
def mech():
    from instruments.spec import load_spec

    return load_spec(SPEC).mechanism("main")


def test_double_mean_centred_products_match_indprod(mech):
    from validate.structural.moderation import add_products

    d2 = add_products(DATA, mech)
    ref = REF["moderation"]
    assert list(d2.columns[-9:]) == ref["product_names"]
    for name, head in ref["dmc_head"].items():
        assert_ref(d2[name].iloc[:3].to_numpy(), head, 1e-12, name)
    assert abs(d2[ref["product_names"]].mean()).max() < 1e-12  # centred again


def test_moderation_syntax_has_the_product_its_covariances_and_the_main_effect(mech):
    from validate.structural.moderation import moderation_syntax

    syntax, added = moderation_syntax(mech)
    lines = syntax.splitlines()
    assert "ACT ~ DRV + MOD + DRVxMOD + gender" in lines and "HOC ~ ACT" in lines
    assert sum(" ~~ " in ln for ln in lines) == 18  # 9 products, each shares an item with 4 others: 9*4/2
    assert added == ["MOD -> ACT"]


@pytest.fixture(scope="module")
def mod_fit(mech):
    from validate.structural.moderation import add_products, moderation_syntax

    return fit_sem(moderation_syntax(mech)[0], add_products(DATA, mech))


def test_moderation_model_matches_lavaan(mod_fit):
    assert_ref(mod_fit.fit["chisq"], REF["moderation"]["fit"]["chisq"], TOL, "chi-square")
    assert mod_fit.fit["df"] == REF["moderation"]["fit"]["df"]
    assert _compare_params(mod_fit, "moderation") > 200


def test_simple_slopes_and_johnson_neyman_match_probe2waymc(mech, mod_fit):
    import numpy as np
    from scipy import stats

    from validate.structural.analysis import latent_matrices
    from validate.structural.moderation import moderation_rows

    f = list(mech.constructs) + ["DRVxMOD"]
    cov = pd.DataFrame(latent_matrices(mod_fit.params, f)[2], index=f, columns=f)
    (row,) = moderation_rows(mod_fit.params, mod_fit.vcov, cov, mech.moderations, ["MOD -> ACT"])
    ref = REF["moderation"]
    assert_ref(row["moderator_sd"], ref["sd_moderator"], TOL, "SD of the moderator")
    for ours, theirs in zip(row["simple_slopes"], ref["simple_slopes"]):
        for k in ("moderator_value", "estimate", "se", "z"):
            assert_ref(ours[k], theirs[k], TOL, f"simple slope {k}")
        assert_ref(ours["p_value"], 2 * stats.norm.sf(abs(theirs["z"])), TOL, "simple slope p")
    assert [s["moderator_sd"] for s in row["simple_slopes"]] == [-1, 0, 1]
    jn = row["johnson_neyman"]
    assert_ref([jn["lower"], jn["upper"]], ref["johnson_neyman"], TOL, "Johnson-Neyman bounds")
    # at a bound the slope's z is the critical value
    b = np.array([row["simple_slopes"][1]["estimate"], row["estimate"]])
    assert jn["significant"] == "outside" and b[1] ** 2 > 0


def test_johnson_neyman_cases():
    import numpy as np
    from scipy import stats

    from validate.structural.moderation import johnson_neyman

    V = np.diag([0.01, 0.01])
    # a constant slope (no interaction) is significant only near w = 0, where its SE is smallest
    inside = johnson_neyman(np.array([0.5, 0.0]), V)
    half = np.sqrt((0.25 - stats.norm.ppf(0.975) ** 2 * 0.01) / (stats.norm.ppf(0.975) ** 2 * 0.01))
    assert inside["significant"] == "inside"
    assert_ref([inside["lower"], inside["upper"]], [-half, half], 1e-12, "symmetric bounds")
    assert johnson_neyman(np.array([0.0, 0.01]), V)["significant"] == "nowhere"
    assert johnson_neyman(np.array([0.3, 0.5]), V)["significant"] == "outside"


def test_moderation_with_wlsmv_and_a_missing_control_are_input_errors(mech):

    from instruments.errors import InputError
    from instruments.spec import load_spec
    from validate.structural.analysis import analyse_structural, check_controls

    spec = load_spec(SPEC)
    with pytest.raises(InputError, match="controls\\[0\\].variable in the spec\\) is not a column"):
        check_controls(DATA.drop(columns="gender"), mech)
    with pytest.raises(InputError, match="not a number: 'male'"):
        check_controls(DATA.assign(gender=["male"] + [1] * (len(DATA) - 1)), mech)
    from validate.pipeline import AnalysisOptions

    opts = AnalysisOptions(estimator="WLSMV", missing="listwise", bootstrap=0)
    with pytest.raises(InputError, match="use --estimator ML or MLR for a model with moderations"):
        analyse_structural(DATA, mech, spec, opts)


def test_simple_slope_plot_draws_the_three_lines():
    import re

    from validate.report.figures import simple_slopes_svg

    mod = {
        "estimate": 0.2,
        "predictor_sd": 1.0,
        "moderator_sd": 0.5,
        "moderator_effect": {"estimate": 0.3},
        "simple_slopes": [{"moderator_sd": k, "estimate": 0.4 + 0.2 * 0.5 * k} for k in (-1, 0, 1)],
    }
    svg = simple_slopes_svg(mod, ["low", "mean", "high"], title="M x X -> Y")
    lines = re.findall(r'data-moderator-sd="(-?\d)" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"', svg)
    assert [k for k, *_ in lines] == ["-1", "0", "1"]
    rise = [float(y1) - float(y2) for _, _, y1, _, y2 in lines]  # SVG y grows downwards
    assert rise[0] < rise[1] < rise[2] and all(r > 0 for r in rise)  # slopes 0.3, 0.4, 0.5
    assert abs(rise[2] / rise[0] - 0.5 / 0.3) < 0.02
    assert "\u2014" in simple_slopes_svg({"estimate": None}, ["a", "b", "c"])


def test_path_diagram_names_the_dimensions_inside_the_second_order_construct(mech):
    from validate.report.figures import diagram_layout

    nodes = diagram_layout(mech, None).nodes
    assert "D1" not in nodes and "D2" not in nodes  # dimensions without paths of their own
    assert nodes["HOC"].lines == ["Outcomes", "D1/D2/D3"]


# --------------------------------------------------------------------------- the second-order variant's demo

SECOND_ORDER = Path(__file__).parent.parent / "instruments" / "models" / "short_video_vcc_second_order.yaml"


def test_demo_runs_each_variant_on_its_own_example_data(monkeypatch, tmp_path):
    import validate.pipeline as pipeline

    seen = []
    monkeypatch.setattr(pipeline, "run_validate", lambda files, spec, opts, **kw: seen.append((files, spec, opts)))
    pipeline.run_demo(out=tmp_path / "a", model="second_order")
    pipeline.run_demo(out=tmp_path / "b")
    (so_files, so_spec, so_opts), (fo_files, fo_spec, _) = seen
    assert so_spec.name == "short_video_vcc_second_order" and fo_spec.name == "short_video_vcc"
    assert [p.parent.name for p in so_files] == ["example_second_order"] and so_files[0].exists()
    assert [p.parent.name for p in fo_files] == ["example"] and fo_files[0] == pipeline.example_data_path()
    assert so_opts.group == "platform"


@pytest.mark.slow
def test_second_order_variant_runs_cleanly_on_its_example_data(tmp_path):
    """`vcc validate` (what the demo runs) of the second-order variant on its own data: an admissible solution,
    the second-order loadings near the population's, reliabilityL2, the report written."""
    from validate.cli import main
    from validate.pipeline import demo_data_path

    data = demo_data_path(SECOND_ORDER)
    out = tmp_path / "out"
    assert (
        main(
            [
                "validate",
                str(data),
                "--model",
                str(SECOND_ORDER),
                "--mechanism",
                "producer",
                "--bootstrap",
                "100",
                "--workers",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    for name in ("report.html", "results.docx", "results.xlsx", "results.json"):
        assert (out / name).stat().st_size > 1000, name
    m = json.loads((out / "results.json").read_text(encoding="utf-8"))["mechanisms"]["producer"]
    meas, st = m["measurement"], m["structural"]
    assert meas["admissible"] and st["admissible"] and st["converged"]
    assert not [w for w in meas["warnings"] + st["warnings"] if "inadmissible solution" in w and "ULMC" not in w]
    pop = pd.read_csv(data.parent / "population_parameters.csv")
    pop = pop[(pop.mechanism == "producer") & (pop.group == 1) & pop.lhs.isin(["PACT", "POUT"]) & (pop.op == "=~")]
    second = {(r["construct"], r["item"]): r["std"] for r in meas["loadings"] if r.get("second_order")}
    assert len(second) == 8
    for r in pop.itertuples():  # n = 382: a standardised loading's SE is about .04
        assert abs(second[(r.lhs, r.rhs)] - r.value) < 0.15, (r.lhs, r.rhs, second[(r.lhs, r.rhs)], r.value)
    so = {c["construct"]: c for c in meas["second_order"]["constructs"]}
    assert set(so) == {"PACT", "POUT"}
    for c in so.values():
        assert 0.5 < c["omega_l1"] < c["omega_l2"] < 1 and 0.5 < c["partial_omega_l1"] < 1
    assert {(p["from"], p["to"]) for p in st["paths"] if p["supported"]} >= {("PACT", "POUT")}
    page = (out / "report.html").read_text(encoding="utf-8")
    assert (
        "Second-order constructs were fitted as factors measured by their dimensions: PACT (PAP, PAC, PAA, PAR)" in page
    )
