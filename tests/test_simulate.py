"""validate.power.simulate: population model, item codes, and whole simulated studies."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal, norm

import validate.power.simulate as simulate_module
from instruments._layout import layout, question_columns
from instruments.errors import InputError, SpecError
from instruments.spec import load_spec, specify_id
from validate.power.simulate import (
    Careless,
    default_thresholds,
    population_model,
    simulate_mechanism,
    simulate_study,
)

MINIMAL = Path(__file__).parent / "fixtures" / "specs" / "minimal.yaml"


@pytest.fixture(scope="module")
def mini():
    return load_spec(MINIMAL)


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def _discretised_corr(rho: float, t: np.ndarray) -> float:
    """Exact Pearson correlation of two items cut at ``t`` from a bivariate normal with correlation ``rho``."""
    edges = np.concatenate([[-12.0], t, [12.0]])
    cov = [[1.0, rho], [rho, 1.0]]
    f = np.array([[multivariate_normal.cdf([a, b], mean=[0, 0], cov=cov) for b in edges] for a in edges])
    pmf = f[1:, 1:] - f[:-1, 1:] - f[1:, :-1] + f[:-1, :-1]
    codes = np.arange(len(t) + 1)
    p = pmf.sum(axis=1)
    mean = codes @ p
    var = (codes - mean) ** 2 @ p
    cov_xy = (codes - mean) @ pmf @ (codes - mean)
    return float(cov_xy / var)


# --------------------------------------------------------------------------- population


def test_population_values_by_hand(mini):
    mech = mini.mechanisms["main"]
    pop = population_model(mech, loadings={"DRV1": 0.8}, paths={"DRV -> ACT": 0.5, "ACT -> OUT": 0.4})
    assert pop.exogenous == ("DRV",)
    assert pop.order == ("DRV", "ACT", "OUT")
    assert pop.loadings["DRV1"] == 0.8 and pop.loadings["DRV2"] == 0.7
    # direct path DRV -> OUT defaults to 0 and is left out of the population
    assert pop.paths == {("DRV", "ACT"): 0.5, ("ACT", "OUT"): 0.4}
    assert pop.r_squared == pytest.approx({"ACT": 0.25, "OUT": 0.16})
    assert pop.latent_corr.loc["DRV", "OUT"] == pytest.approx(0.2)
    assert pop.latent_corr.loc["OUT", "OUT"] == pytest.approx(1.0)
    r = pop.item_corr()
    assert r.loc["DRV1", "OUT1"] == pytest.approx(0.8 * 0.7 * 0.2)
    assert r.loc["DRV1", "DRV1"] == 1.0
    par = pop.parameters()
    assert list(par.columns) == ["lhs", "op", "rhs", "value"]
    row = par[(par.lhs == "OUT") & (par.op == "~") & (par.rhs == "ACT")]
    assert row["value"].item() == 0.4
    assert par[(par.lhs == "OUT") & (par.op == "~~")]["value"].item() == pytest.approx(0.84)


def test_direct_path_and_correlated_exogenous(spec):
    mech = spec.mechanisms["producer"]
    pop = population_model(mech, paths={"PID -> POE": 0.1}, exogenous_corr=0.4)
    assert set(pop.exogenous) == {"PID", "PED", "PPO", "PVC"}
    assert pop.latent_corr.loc["PID", "PED"] == pytest.approx(0.4)
    assert pop.paths[("PID", "POE")] == 0.1
    assert len(pop.paths) == 33  # 32 paths at 0.2 + one direct path
    # each activity: 4 predictors at 0.2 with pairwise r = 0.4
    assert pop.r_squared["PAP"] == pytest.approx(4 * 0.04 + 12 * 0.04 * 0.4)


def test_latent_and_continuous_correlations_large_n(spec):
    """n = 20000: a sample correlation has SE <= 1/sqrt(n) = 0.007, so 0.025 is > 3 SE."""
    mech = spec.mechanisms["producer"]
    pop = population_model(mech)
    latent, x = pop.draw(20000, np.random.default_rng(3))
    emp = latent.corr()
    assert np.abs(emp - pop.latent_corr).to_numpy().max() < 0.025
    r = pop.item_corr()
    got = x.corr()
    for a, b in [("PID1", "PID2"), ("PID1", "PAP1"), ("PAP1", "POE3"), ("PVC2", "POK4")]:
        assert got.loc[a, b] == pytest.approx(r.loc[a, b], abs=0.025), (a, b)
    assert r.loc["PID1", "PID2"] == pytest.approx(0.49)


def test_discretised_correlation_matches_exact_value(mini):
    """Codes correlate less than the continuous scores; the exact attenuated value is computed
    from the bivariate normal (rectangle probabilities), and n = 20000 gives SE about 0.006."""
    mech = mini.mechanisms["main"]
    df = simulate_mechanism(mech, mini.scale, 20000, seed=11)
    t = default_thresholds(mini.scale)
    expected = _discretised_corr(0.49, t)
    assert expected < 0.49 - 0.02  # attenuation is real, so the test can tell the two apart
    got = df["ACT1"].corr(df["ACT2"])
    assert got == pytest.approx(expected, abs=0.02)


def test_marginal_shares_follow_thresholds(spec):
    t = default_thresholds(spec.scale)
    assert len(t) == 6 and np.all(np.diff(t) > 0)
    df = simulate_mechanism(spec.mechanisms["consumer"], spec.scale, 20000, seed=5)
    share = df["CVC1"].value_counts(normalize=True).reindex(range(1, 8), fill_value=0).to_numpy()
    expected = np.diff(np.concatenate([[0.0], norm.cdf(t), [1.0]]))
    # SE of a share <= 0.0036 at n = 20000; 0.012 is > 3 SE
    assert np.abs(share - expected).max() < 0.012
    assert df["CVC1"].mean() > 4.3  # agreement side, left-skewed
    assert df["CVC1"].skew() < 0


def test_codes_in_range_and_reverse_items(spec, mini):
    mech = spec.mechanisms["producer"]
    df = simulate_mechanism(mech, spec.scale, 3000, seed=2)
    assert list(df.columns) == mech.item_ids
    assert all(str(dt) == "int64" for dt in df.dtypes)
    assert df.min().min() >= 1 and df.max().max() <= 7
    assert set(np.unique(df.to_numpy())) == set(range(1, 8))
    # the bundled spec has no reverse-keyed item; the minimal spec's DRV3 is one
    assert not any(it.reverse for it in mech.items)
    rev = next(it for it in mini.mechanisms["main"].items if it.reverse)
    first = mini.mechanisms["main"].constructs[rev.construct].items[0]
    dm = simulate_mechanism(mini.mechanisms["main"], mini.scale, 3000, seed=2)
    assert dm[rev.id].corr(dm[first.id]) < -0.2
    assert mini.scale.reverse(dm[rev.id]).corr(dm[first.id]) > 0.2
    assert dm[rev.id].mean() < 3 < dm[first.id].mean()


def test_seed_reproducibility(mini, spec):
    mech = mini.mechanisms["main"]
    a = simulate_mechanism(mech, mini.scale, 50, seed=42)
    b = simulate_mechanism(mech, mini.scale, 50, seed=42)
    c = simulate_mechanism(mech, mini.scale, 50, seed=43)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    g = simulate_mechanism(mech, mini.scale, 50, seed=np.random.default_rng(42))
    pd.testing.assert_frame_equal(a, g)
    kw = {"path_differences": {2: {"PAC -> POE": 0.5}}, "careless": Careless(2, 2, 2, 1), "missing_rate": 0.01}
    s1 = simulate_study(spec, {1: 40, 2: 40, 3: 40}, seed=9, **kw)
    s2 = simulate_study(spec, {1: 40, 2: 40, 3: 40}, seed=9, **kw)
    for m in s1.data:
        pd.testing.assert_frame_equal(s1.data[m], s2.data[m])
    pd.testing.assert_frame_equal(s1.careless, s2.careless)
    s3 = simulate_study(spec, {1: 40, 2: 40, 3: 40}, seed=10, **kw)
    assert not s1.data["producer"].equals(s3.data["producer"])
    # each mechanism has its own stream: simulating one alone gives the same table
    only = simulate_study(spec, {1: 40, 2: 40, 3: 40}, seed=9, mechanisms=["producer"], **kw)
    pd.testing.assert_frame_equal(only.data["producer"], s1.data["producer"])


def test_thresholds_and_group_effects(mini):
    mech = mini.mechanisms["main"]
    df = simulate_mechanism(mech, mini.scale, 2000, seed=1, thresholds=[-1, 0, 1, 2])
    assert df.min().min() == 1 and df.max().max() == 5
    base = simulate_mechanism(mech, mini.scale, 4000, seed=1)
    up = simulate_mechanism(mech, mini.scale, 4000, seed=1, group_effects={"DRV": 1.0})
    # a shift of 1 SD in DRV raises its items by far more than sampling noise
    assert up["DRV1"].mean() - base["DRV1"].mean() > 0.4
    # and carries on to ACT through DRV -> ACT (0.2): smaller, same sign
    diff_act = up["ACT1"].mean() - base["ACT1"].mean()
    assert 0 < diff_act < up["DRV1"].mean() - base["DRV1"].mean()
    x = simulate_mechanism(mech, mini.scale, 10, seed=1, continuous=True)
    assert x.dtypes.iloc[0] == np.float64 and x.shape == (10, 9)


# --------------------------------------------------------------------------- errors


def test_loading_of_one_names_the_item(mini):
    mech = mini.mechanisms["main"]
    with pytest.raises(InputError, match=r"item DRV2: the standardised loading 1 is not between -1 and 1"):
        simulate_mechanism(mech, mini.scale, 10, loadings={"DRV2": 1.0})
    with pytest.raises(InputError, match=r"item DRV1: the standardised loading -1.2 "):
        population_model(mech, loadings=-1.2)
    with pytest.raises(InputError, match=r"loadings: XX1 is not an item of mechanism 'main'"):
        population_model(mech, loadings={"XX1": 0.5})
    with pytest.raises(InputError, match=r"loadings\[DRV1\]: 'a' is not a finite number"):
        population_model(mech, loadings={"DRV1": "a"})


def test_negative_residual_variance_names_the_construct(mini, spec):
    with pytest.raises(
        InputError,
        match=r"construct ACT: the paths into it \(DRV -> ACT = 1.2\) explain "
        r"1.440 of its variance, so its residual variance would be -0.440 <= 0",
    ):
        simulate_mechanism(mini.mechanisms["main"], mini.scale, 10, paths={"DRV -> ACT": 1.2})
    # four correlated predictors at 0.45 each explain 0.81 + 12 * 0.2025 * 0.3 = 1.539
    with pytest.raises(InputError, match=r"construct PAP: .* residual variance would be -0.539 <= 0"):
        population_model(spec.mechanisms["producer"], paths={f"{s} -> PAP": 0.45 for s in ("PID", "PED", "PPO", "PVC")})


def test_other_bad_input(mini):
    mech, sc = mini.mechanisms["main"], mini.scale
    with pytest.raises(InputError, match=r"paths: 'OUT -> DRV' is not a path of mechanism 'main'"):
        population_model(mech, paths={"OUT -> DRV": 0.3})
    with pytest.raises(InputError, match=r"paths: 7 is not a path; expected 'SOURCE -> TARGET'"):
        population_model(mech, paths={7: 0.3})
    with pytest.raises(
        InputError,
        match=r"thresholds: \[1.0, 0.0, 2.0, 3.0\] are not 4 increasing finite "
        r"numbers; expected 4 cut points for the scale 1-5",
    ):
        simulate_mechanism(mech, sc, 10, thresholds=[1, 0, 2, 3])
    with pytest.raises(InputError, match=r"group_effects: 'NOPE' is not a construct of mechanism 'main'"):
        simulate_mechanism(mech, sc, 10, group_effects={"NOPE": 1})
    with pytest.raises(InputError, match=r"n: 0 is not a whole number of respondents >= 1"):
        simulate_mechanism(mech, sc, 0)
    with pytest.raises(InputError, match=r"seed: -1 is not a non-negative whole number"):
        simulate_mechanism(mech, sc, 10, seed=-1)


def test_exogenous_corr_must_be_a_correlation_matrix(spec):
    mech = spec.mechanisms["consumer"]
    with pytest.raises(
        InputError,
        match=r"exogenous_corr: the correlations of CID, CED, CPO, CVC do not form "
        r"a positive definite correlation matrix .*-0.333 < r < 1",
    ):
        population_model(mech, exogenous_corr=-0.5)
    ids = ["CID", "CED", "CPO", "CVC"]
    r = pd.DataFrame(np.eye(4), index=ids, columns=ids)
    r.loc["CID", "CED"] = r.loc["CED", "CID"] = 0.5
    pop = population_model(mech, exogenous_corr=r)
    assert pop.latent_corr.loc["CID", "CED"] == 0.5 and pop.latent_corr.loc["CID", "CPO"] == 0
    with pytest.raises(InputError, match=r"exogenous_corr: the matrix has no row/column for CVC"):
        population_model(mech, exogenous_corr=r.loc[ids[:3], ids[:3]])
    r.loc["CID", "CED"] = 0.2
    with pytest.raises(InputError, match=r"exogenous_corr: expected a symmetric matrix with 1 on the diagonal"):
        population_model(mech, exogenous_corr=r)


# --------------------------------------------------------------------------- study


def test_study_layout_and_groups(spec):
    st = simulate_study(
        spec, {1: 60, 2: 50, 3: 40}, seed=1, path_differences={3: {"CAC -> COE": 0.55}}, group_effects={2: {"CID": 0.5}}
    )
    for m, df in st.data.items():
        mech = spec.mechanisms[m]
        lay = layout(spec, m)
        first, last = question_columns(q for _, q in lay.background), question_columns(q for _, q in lay.closing)
        assert list(df.columns) == ["resp_id", *first, "duration_sec", *[r.id for r in lay.rows], *last]
        rows = [r.id for r in lay.rows]
        assert sorted(rows) == sorted(mech.item_ids + [a.id for a in spec.attention_checks_for(m)])
        assert len(df) == 150 and df["resp_id"].is_unique
        assert df["resp_id"].iloc[0] == ("P0001" if m == "producer" else "C0001")
        assert df["platform"].value_counts().to_dict() == {1: 60, 2: 50, 3: 40}
        for a in spec.attention_checks_for(m):
            assert (df[a.id] == a.expected[0]).all()  # no careless respondents asked for
        items = df[mech.item_ids]
        assert not items.isna().any().any() and items.isin(spec.scale.codes).all().all()
        for _, q in lay.questions:
            if q.choices and q.type == "single":
                assert set(df[q.id].dropna()) <= {c.code for c in q.choices}, q.id
                # nobody simulated gave an answer that ends the survey
                assert not set(df[q.id].dropna()) & set(q.ends_for(m)), q.id
            if q.ask_if is None and q.type != "text":
                assert not df[q.id].isna().any(), q.id
            for ch in q.specify_choices:
                assert (df[specify_id(q, ch)] == "").all()
        assert (df["consent"] == 1).all()
    # routing: creators and people who both create and watch answer the producer survey, viewers the consumer one
    assert set(st.data["producer"]["role"]) == {1, 3} and set(st.data["consumer"]["role"]) == {2}
    prod = st.data["producer"]
    assert prod.loc[prod["earns"] == 2, "monetisation"].isna().all()  # asked only of those who earn
    assert prod.loc[prod["earns"] == 1, "monetisation"].notna().all()
    mins = st.data["consumer"]["daily_minutes"]
    assert mins.between(0, 1440).all() and 20 < mins.median() < 180
    assert st.population[("consumer", 3)].paths[("CAC", "COE")] == 0.55
    assert st.population[("consumer", 1)].paths[("CAC", "COE")] == 0.2
    assert st.population[("producer", 3)].paths == st.population[("producer", 1)].paths
    par = st.parameters()
    sel = par[(par.mechanism == "consumer") & (par.lhs == "COE") & (par.op == "~") & (par.rhs == "CAC")]
    assert sorted(sel["value"]) == [0.2, 0.2, 0.55]
    assert st.careless.empty and list(st.careless.columns) == ["mechanism", "resp_id", "kind", "group", "detail"]


def test_study_careless_and_missing(spec):
    st = simulate_study(
        spec,
        {1: 120, 2: 120, 3: 120},
        seed=4,
        careless=Careless(straightliners=3, speeders=2, attention_failures=2, outliers=2),
        missing_rate=0.02,
        not_applicable_rate=0.05,
    )
    car = st.careless
    na = spec.not_applicable.code
    assert len(car) == 2 * 9
    for m, df in st.data.items():
        items = spec.mechanisms[m].item_ids
        checks = spec.attention_checks_for(m)
        assert len({a.expected[0] for a in checks}) == 2  # two checks expecting different answers
        na_items = spec.not_applicable_items(m)
        c = car[car.mechanism == m]
        assert c["kind"].value_counts().to_dict() == {
            "straightliner": 3,
            "speeder": 2,
            "attention_failure": 2,
            "outlier": 2,
        }
        rows = df.set_index("resp_id")
        median = df["duration_sec"].median()
        for rid, kind in zip(c["resp_id"], c["kind"]):
            answers = rows.loc[rid, items].to_numpy()
            assert not pd.isna(answers).any()  # careless rows are complete
            assert na not in set(answers)  # and never "not applicable"
            passed = [rows.loc[rid, a.id] in a.expected for a in checks]
            if kind == "straightliner":
                assert len(set(answers)) == 1
                assert all(rows.loc[rid, a.id] == answers[0] for a in checks)
                assert not all(passed)  # a straight line cannot pass checks expecting 1 and 7
            elif kind == "speeder":
                assert rows.loc[rid, "duration_sec"] < median / 3
            elif kind == "attention_failure":
                assert not any(passed)
            else:
                assert set(answers) == {1, 7}
        ordinary = df[~df["resp_id"].isin(c["resp_id"])]
        for a in checks:
            assert (ordinary[a.id] == a.expected[0]).all()
        assert ordinary["duration_sec"].min() > median / 3
        share = ordinary[items].isna().to_numpy().mean()
        # 351 x 60 cells: SE of the share about 0.001
        assert share == pytest.approx(0.02, abs=0.005)
        miss = st.missing.set_index("mechanism").loc[m]
        assert miss["n_missing"] == ordinary[items].isna().to_numpy().sum()
        assert miss["n_cells"] == ordinary[items].size
        # "not applicable" (code 8) only on the items that offer it, about 5 % of their answered cells
        other = [i for i in items if i not in na_items]
        assert not (df[other] == na).any().any()
        n_na = int(ordinary[na_items].eq(na).fillna(False).to_numpy().sum())
        assert miss["n_not_applicable"] == n_na
        # 351 x 7 cells at 0.05: SE about 0.0044
        assert n_na / ordinary[na_items].notna().to_numpy().sum() == pytest.approx(0.05, abs=0.02)
        assert not df[["resp_id", "platform", "duration_sec", *[a.id for a in checks]]].isna().any().any()


def test_study_single_group(mini):
    st = simulate_study(mini, 30, seed=0)
    df = st.data["main"]
    assert len(df) == 30 and set(df["platform"]) <= {1, 2, 3}
    assert list(st.population) == [("main", 0)]


def test_study_bad_input(spec, mini):
    with pytest.raises(
        InputError,
        match=r"n_per_group: 9 is not a code of the group question 'platform'; "
        r"expected one of 1, 2, 3, 4",
    ):
        simulate_study(spec, {9: 10})
    with pytest.raises(InputError, match=r"n_per_group\[1\]: -5 is not a whole number of respondents >= 1"):
        simulate_study(spec, {1: -5})
    with pytest.raises(InputError, match=r"n_per_group: is empty"):
        simulate_study(spec, {})
    with pytest.raises(InputError, match=r"path_differences: group 3 is not simulated; expected one of 1, 2"):
        simulate_study(spec, {1: 10, 2: 10}, path_differences={3: {"PAC -> POE": 0.5}})
    with pytest.raises(
        InputError,
        match=r"path_differences\[2\]: 'PAC -> COE' is not a path of any of "
        r"the mechanisms producer, consumer",
    ):
        simulate_study(spec, {1: 10, 2: 10}, path_differences={2: {"PAC -> COE": 0.5}})
    with pytest.raises(
        InputError,
        match=r"careless: 12 careless respondents asked for mechanism 'producer', "
        r"which has only 10 respondents",
    ):
        simulate_study(spec, {1: 10}, careless=Careless(straightliners=12))
    with pytest.raises(InputError, match=r"missing_rate: 0.9 is not a share between 0 and 0.5"):
        simulate_study(spec, {1: 10}, missing_rate=0.9)
    with pytest.raises(InputError, match=r"not_applicable_rate: -0.1 is not a share between 0 and 0.5"):
        simulate_study(spec, {1: 10}, not_applicable_rate=-0.1)
    with pytest.raises(InputError, match=r"loadings: ZZZ1 is not an item of producer"):
        simulate_study(spec, {1: 10}, mechanisms=["producer"], loadings={"ZZZ1": 0.5})
    with pytest.raises(InputError, match=r"group_effects\[1\]: 'CID' is not a construct of producer"):
        simulate_study(spec, {1: 10}, mechanisms=["producer"], group_effects={1: {"CID": 0.5}})
    with pytest.raises(SpecError, match=r"there is no mechanism 'viewer'; expected one of: producer, consumer"):
        simulate_study(spec, {1: 10}, mechanisms=["viewer"])
    with pytest.raises(InputError, match=r"careless: -1 speeders is not a whole number >= 0"):
        simulate_study(spec, {1: 10}, careless=Careless(speeders=-1))
    with pytest.raises(InputError, match=r"seed: 1.5 is not a non-negative whole number"):
        simulate_study(spec, {1: 10}, seed=1.5)
    with pytest.raises(InputError, match=r"n_per_group: 0 is not a whole number of respondents >= 1"):
        simulate_study(spec, 0)
    with pytest.raises(InputError, match=r"paths: 'PAC -> PID' is not a path of mechanism producer"):
        simulate_study(spec, {1: 10}, mechanisms=["producer"], paths={"PAC -> PID": 0.2})
    with pytest.raises(InputError, match=r"the spec has no background question with role: group"):
        simulate_study(_without_group(mini), {1: 10})


def _without_group(spec):
    import dataclasses

    return dataclasses.replace(spec, background=tuple(q for q in spec.background if q.role != "group"))


def test_docstring_examples_run():
    res = doctest.testmod(simulate_module, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0


# --------------------------------------------------------------------------- bundled example data

EXAMPLE = Path(__file__).resolve().parents[1] / "data_templates" / "example"


def _load_make_example():
    import importlib.util

    spec_ = importlib.util.spec_from_file_location("make_example", EXAMPLE / "make_example.py")
    mod = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(mod)
    return mod


def test_bundled_example_is_up_to_date(tmp_path):
    """make_example.py regenerates every bundled file byte for byte."""
    mod = _load_make_example()
    mod.build(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == [
        "README.md",
        "careless_respondents.csv",
        "example_consumer.csv",
        "example_producer.csv",
        "example_responses.xlsx",
        "population_parameters.csv",
    ]
    for name in written:
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name


def test_bundled_example_content(spec):
    total = sum(p.stat().st_size for p in EXAMPLE.iterdir() if p.is_file())
    assert total < 500_000
    book = pd.read_excel(EXAMPLE / "example_responses.xlsx", sheet_name=None, engine="calamine")
    assert list(book) == ["producer", "consumer"]
    careless = pd.read_csv(EXAMPLE / "careless_respondents.csv")
    for mid, df in book.items():
        csv = pd.read_csv(EXAMPLE / f"example_{mid}.csv")
        pd.testing.assert_frame_equal(df, csv, check_dtype=False)
        assert df.columns[0] == "resp_id" and "duration_sec" in df.columns and "ATT1" in df.columns
        assert df["platform"].value_counts().sort_index().to_dict() == {1: 135, 2: 120, 3: 130}
        items = spec.mechanisms[mid].item_ids
        share = df[items].isna().to_numpy().mean()
        assert 0.005 < share < 0.015
        na_items = spec.not_applicable_items(mid)
        n_na = int((df[na_items] == spec.not_applicable.code).to_numpy().sum())
        assert 0.01 < n_na / df[na_items].notna().to_numpy().sum() < 0.04  # 2 % "not applicable"
        kinds = careless.loc[careless.mechanism == mid, "kind"].value_counts().to_dict()
        assert kinds == {"straightliner": 3, "speeder": 2, "attention_failure": 3, "outlier": 2}
        ok = np.ones(len(df), dtype=bool)
        for a in spec.attention_checks_for(mid):
            ok &= df[a.id].isin(a.expected).to_numpy()
        failed = df.loc[~ok, "resp_id"]
        assert set(failed) <= set(careless.loc[careless.mechanism == mid, "resp_id"])
        assert len(failed) >= 3 + 3  # the attention failures and every straight line
    pop = pd.read_csv(EXAMPLE / "population_parameters.csv")
    row = pop[(pop.mechanism == "producer") & (pop.lhs == "POE") & (pop.op == "~") & (pop.rhs == "PAC")]
    assert dict(zip(row["group"], row["value"])) == {1: 0.3, 2: 0.3, 3: 0.55}


# --------------------------------------------------------------------------- second-order constructs

SECOND_ORDER = Path(__file__).parent.parent / "instruments" / "models" / "short_video_vcc_second_order.yaml"
EXAMPLE_SO = Path(__file__).parent.parent / "data_templates" / "example_second_order"


def test_second_order_population_by_hand():
    """A dimension is g * H + disturbance: dimensions of one construct correlate g_i g_j, and through H
    with the rest of the model."""
    mech = load_spec(SECOND_ORDER).mechanisms["producer"]
    pop = population_model(mech, loadings={"PAP": 0.9, "PAC": 0.5}, paths={"PACT -> POUT": 0.5})
    assert pop.second_order_loadings[("PACT", "PAP")] == 0.9
    assert pop.second_order_loadings[("POUT", "POK")] == simulate_module.DEFAULT_SECOND_ORDER_LOADING
    r = pop.latent_corr
    assert r.loc["PAP", "PAC"] == pytest.approx(0.9 * 0.5, abs=1e-12)
    assert r.loc["PAP", "POC"] == pytest.approx(0.9 * 0.5 * 0.8, abs=1e-12)  # PAP <- PACT -> POUT -> POC
    assert pop.residual_variances["PAP"] == pytest.approx(1 - 0.81, abs=1e-12)
    assert pop.order.index("PACT") < pop.order.index("PAP") and "PAP" not in pop.exogenous
    par = pop.parameters()
    assert ((par.lhs == "PACT") & (par.op == "=~") & (par.rhs == "PAC") & (par.value == 0.5)).sum() == 1
    with pytest.raises(InputError, match="dimension PAC: the standardised loading 1 on PACT"):
        population_model(mech, loadings={"PAC": 1.0})
    with pytest.raises(InputError, match="NOPE is not an item or a dimension of a second-order construct"):
        population_model(mech, loadings={"NOPE": 0.5})
    # large n: the sample correlation of two dimensions' latent scores is the population's
    lat, _ = pop.draw(200_000, np.random.default_rng(3))
    assert np.corrcoef(lat["PAP"], lat["PAC"])[0, 1] == pytest.approx(0.45, abs=0.01)


def test_second_order_example_is_up_to_date(tmp_path):
    """data_templates/example_second_order/make_example.py regenerates every bundled file byte for byte."""
    import importlib.util

    spec_ = importlib.util.spec_from_file_location("make_example_so", EXAMPLE_SO / "make_example.py")
    mod = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(mod)
    mod.build(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == [
        "README.md",
        "careless_respondents.csv",
        "example_consumer.csv",
        "example_producer.csv",
        "example_responses.xlsx",
        "population_parameters.csv",
    ]
    for name in written:
        assert (tmp_path / name).read_bytes() == (EXAMPLE_SO / name).read_bytes(), name
    pop = pd.read_csv(EXAMPLE_SO / "population_parameters.csv")
    row = pop[(pop.mechanism == "producer") & (pop.lhs == "PACT") & (pop.op == "=~") & (pop.rhs == "PAP")]
    assert row["value"].tolist() == [0.8, 0.8, 0.8]
