"""Monte Carlo power analysis (validate.power.study): reference values, sanity, reproducibility, errors, outputs."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from instruments.errors import InputError
from instruments.spec import load_spec
from validate.power.simulate import default_thresholds
from validate.power.study import (
    CONVENTIONAL_PATH,
    _context,
    _draw_codes,
    _Effect,
    _Job,
    _replicate,
    load_effects,
    parse_assume_std,
    power_study,
    required_n,
)

MINIMAL = Path(__file__).parent / "fixtures" / "specs" / "minimal.yaml"
FIX = Path(__file__).parent / "fixtures" / "power"


@pytest.fixture(scope="module")
def spec():
    return load_spec(MINIMAL)


@pytest.fixture(scope="module")
def small_study(spec):
    return power_study(spec, "main", ns=[100, 200], replications=12, seed=3, workers=1, progress=False)


# --------------------------------------------------------------------------- one replication vs lavaan


def test_replication_matches_lavaan(spec):
    """Replication 7 at ns[1] = 150 (seed 5): data, estimates, SEs and std.all SEs as lavaan 0.6.14."""
    mech = spec.mechanisms["main"]
    beta = {("DRV", "ACT"): 0.3, ("ACT", "OUT"): 0.3, ("DRV", "OUT"): 0.1}
    eff = (
        _Effect("path", ("DRV", "ACT"), 0.3),
        _Effect("path", ("ACT", "OUT"), 0.3),
        _Effect("direct", ("DRV", "OUT"), 0.1),
        _Effect("indirect", ("DRV", "ACT", "OUT"), 0.09),
    )
    job = _Job(
        mech,
        spec.scale,
        0.7,
        beta,
        0.3,
        tuple(default_thresholds(spec.scale)),
        mech.lavaan_syntax(structural=True, direct=True),
        eff,
        5,
    )
    ctx = _context(job)
    data = pd.read_csv(FIX / "replication.csv")
    codes = _draw_codes(ctx, 5, 1, 150, 7)
    np.testing.assert_array_equal(codes, data[ctx.model.ov_names].to_numpy())
    status, why, out = _replicate(ctx, 5, 1, 150, 7)
    assert status == 0 and why is None
    ref = json.loads((FIX / "lavaan_std_se.json").read_text())["rows"]
    order = [("ACT", "~", "DRV"), ("OUT", "~", "ACT"), ("OUT", "~", "DRV"), ("ind", ":=", "a*b")]
    want = {(r["lhs"], r["op"], r["rhs"]): r for r in ref}
    for j, key in enumerate(order):
        r = want[key]
        np.testing.assert_allclose(out[j, 0], r["est"], rtol=0, atol=1e-6, err_msg=str(key))
        np.testing.assert_allclose(out[j, 1], r["se"], rtol=0, atol=1e-6, err_msg=str(key))
        np.testing.assert_allclose(out[j, 2], r["std_all"], rtol=0, atol=1e-6, err_msg=str(key))
        np.testing.assert_allclose(out[j, 3], r["std_se"], rtol=0, atol=1e-6, err_msg=str(key))


def test_draws_are_the_simulators(spec):
    """A replication's data are simulate_mechanism's codes (same generator) with reverse-keyed items recoded."""
    from validate.power.simulate import simulate_mechanism

    mech = spec.mechanisms["main"]  # the minimal spec has a reverse-keyed item (the bundled one has none)
    scale = spec.scale
    beta = {(p.source, p.target): 0.15 for p in mech.paths}
    eff = tuple(_Effect("path", (p.source, p.target), 0.15) for p in mech.paths)
    job = _Job(mech, scale, 0.7, beta, 0.3, tuple(default_thresholds(scale)), mech.lavaan_syntax(), eff, 42)
    ctx = _context(job)
    rng = np.random.default_rng(np.random.SeedSequence(42, spawn_key=(2, 31)))
    df = simulate_mechanism(mech, scale, 90, loadings=0.7, paths=beta, exogenous_corr=0.3, seed=rng)
    rev = [it.id for it in mech.items if it.reverse]
    assert rev
    df[rev] = scale.min + scale.max - df[rev]
    np.testing.assert_array_equal(_draw_codes(ctx, 42, 2, 90, 31), df[ctx.model.ov_names].to_numpy())


# --------------------------------------------------------------------------- sanity


def test_large_effect_has_power_one(spec):
    res = power_study(
        spec,
        "main",
        ns=[500],
        replications=20,
        seed=11,
        effects={"DRV -> ACT": 0.6, "ACT -> OUT": 0.6},
        workers=1,
        progress=False,
    )
    paths = res.table[res.table["kind"] == "path"]
    assert (paths["power"] == 1.0).all()
    assert (paths["converged"] == 20).all()
    ind = res.table[res.table["kind"] == "indirect"].iloc[0]
    assert ind["population_std"] == pytest.approx(0.36)
    assert ind["power"] == 1.0 and ind["power_joint"] == 1.0
    assert res.required["status"].tolist() == ["at_or_below_min"] * 3
    assert res.overall["n_all_paths"] == 500


def test_zero_path_rejects_at_alpha(spec):
    """The direct path DRV -> OUT is 0 in the population: its rejection rate is the type I error rate.

    400 replications: binomial SD sqrt(.05 * .95 / 400) = .0109; we accept alpha +/- 3 SD = [.017, .083].
    The same replications check the standardised estimates of the non-zero paths: |bias| < .03 and
    coverage within 3 SD (.011) of .95 on both sides at least down to .91.
    """
    res = power_study(
        spec,
        "main",
        ns=[250],
        replications=400,
        seed=2024,
        effects={"DRV -> OUT": 0.0, "DRV -> ACT": 0.3, "ACT -> OUT": 0.3},
        workers=1,
        progress=False,
    )
    t = res.table.set_index("effect")
    assert res.settings["direct_effects"] is True
    zero = t.loc["DRV -> OUT"]
    assert zero["kind"] == "direct" and zero["population_std"] == 0.0
    assert zero["converged"] == 400
    assert 0.017 <= zero["power"] <= 0.083, zero["power"]
    assert math.isnan(zero["relative_bias"])
    for key in ("DRV -> ACT", "ACT -> OUT"):
        assert abs(t.loc[key, "bias"]) < 0.03, (key, t.loc[key, "bias"])
        assert 0.91 <= t.loc[key, "coverage"] <= 0.99, (key, t.loc[key, "coverage"])
    req = res.required.set_index("effect")
    assert req.loc["DRV -> OUT", "status"] == "zero_effect"
    assert "type I error" in req.loc["DRV -> OUT", "note"]


def test_power_grows_with_n_and_conventional_values_are_stated(small_study):
    t = small_study.table
    assert list(t.columns)[:4] == ["n", "kind", "effect", "population_std"]
    assert t["effect"].tolist() == ["DRV -> ACT", "ACT -> OUT", "DRV -> ACT -> OUT"] * 2
    assert (t["population_std"].to_numpy()[:2] == CONVENTIONAL_PATH).all()
    assert t["population_std"].iloc[2] == pytest.approx(CONVENTIONAL_PATH**2)
    p100 = t[t.n == 100]["power"].to_numpy()
    p200 = t[t.n == 200]["power"].to_numpy()
    assert p200.sum() > p100.sum()
    text = " ".join(small_study.assumptions)
    assert "conventional standardised value 0.3" in text
    assert "conventional 0.70" in text
    assert "Direct paths without a stated value are 0" in text
    assert len(small_study.assumptions_zh) == len(small_study.assumptions)
    assert "惯用" in small_study.assumptions_zh[0]


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_same_results_any_workers_or_chunks(spec, small_study):
    again = power_study(spec, "main", ns=[100, 200], replications=12, seed=3, workers=2, chunk=5, progress=False)
    pd.testing.assert_frame_equal(again.table, small_study.table, check_exact=True)
    other = power_study(spec, "main", ns=[100, 200], replications=12, seed=4, workers=1, progress=False)
    assert not other.table["mean_estimate"].equals(small_study.table["mean_estimate"])


def test_replication_seeds_do_not_depend_on_grid_neighbours(spec, small_study):
    # n = 100 is ns[0] in both studies, so its replications are the same draws
    alone = power_study(spec, "main", ns=[100, 300], replications=12, seed=3, workers=1, progress=False)
    a = alone.table[alone.table.n == 100].reset_index(drop=True)
    b = small_study.table[small_study.table.n == 100].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


# --------------------------------------------------------------------------- required n


def test_required_n_cases():
    assert required_n([200, 300, 500], [0.5, 0.7, 0.9]) == (
        400,
        "interpolated",
        "interpolated between n = 300 (power 0.700) and n = 500 (power 0.900)",
    )
    assert required_n([200, 300], [0.85, 0.9])[:2] == (200, "at_or_below_min")
    n, status, note = required_n([200, 300, 500, 800], [0.1, 0.2, 0.3, 0.4])
    assert (n, status) == (None, "not_reached") and note.startswith("> 800")
    assert required_n([200, 300], [float("nan"), float("nan")])[:2] == (None, "unknown")
    # interpolation rounds up: 0.8 is 1/3 of the way from .7 to 1.0 -> 300 + 33.3 -> 334
    assert required_n([300, 400], [0.7, 1.0])[0] == 334


# --------------------------------------------------------------------------- errors


def test_loading_of_one_names_the_item(spec):
    with pytest.raises(InputError, match=r"item DRV2: the standardised loading 1 is not between -1 and 1"):
        power_study(spec, "main", ns=[100], replications=2, loadings={"DRV2": 1.0}, workers=1, progress=False)


def test_negative_residual_variance_names_construct_and_largest_value(tmp_path):
    # the bundled model without its declared effects falls back to the conventional .30 on every path
    import yaml

    from instruments.spec import default_spec_path

    raw = yaml.safe_load(default_spec_path().read_text(encoding="utf-8"))
    for m in raw["mechanisms"].values():
        m.pop("expected_std", None)
    path = tmp_path / "no_effects.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    bundled = load_spec(path)
    with pytest.raises(InputError) as exc:
        power_study(bundled, "producer", ns=[300], replications=2, workers=1, progress=False)
    msg = str(exc.value)
    assert "construct POC: the paths into it" in msg and "residual variance would be" in msg
    assert "the conventional value 0.3, which is too large for this mechanism" in msg
    assert "the largest common value it allows is about 0.29, where the paths would explain nearly all" in msg
    assert "--effects FILE" in msg and "--assume-std" in msg


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"ns": [0, 100]}, r"ns: 0 is not a positive whole number of respondents"),
        ({"ns": [100.5]}, r"ns: 100.5 is not a positive whole number"),
        ({"ns": "200"}, r"ns: '200' is not a list of sample sizes"),
        ({"ns": []}, r"ns: \[\] is not a list of sample sizes"),
        ({"ns": [100, 100]}, r"ns: 100 appears more than once"),
        ({"ns": [9, 100]}, r"ns: 9 is not larger than the 9 items of mechanism 'main'"),
        ({"replications": 0}, r"replications: 0 is not a whole number >= 1"),
        ({"replications": 2.5}, r"replications: 2.5 is not a whole number >= 1"),
        ({"alpha": 1.5}, r"alpha: 1.5 is not a probability between 0 and 1"),
        ({"target": 0}, r"target: 0 is not a probability between 0 and 1"),
        ({"seed": -1}, r"seed: -1 is not a non-negative whole number"),
        ({"effects": {"OUT -> DRV": 0.2}}, r"effects: 'OUT -> DRV' is not a path of mechanism 'main'"),
        ({"effects": {"DRV -> ACT": 1.2}}, r"effects\['DRV -> ACT'\]: the standardised path 1.2 is not between"),
        ({"effects": {"DRV ACT": 0.2}}, r"effects: 'DRV ACT' is not a path; expected 'SOURCE -> TARGET'"),
        ({"effects": {"DRV -> ACT": "big"}}, r"effects\['DRV -> ACT'\]: 'big' is not a finite number"),
        ({"assume_std": -1.0}, r"assume_std: the standardised path -1 is not between -1 and 1"),
        (
            {"effects": {"DRV -> OUT": 0.1}, "direct_effects": False},
            r"effects: a direct path has a stated value but direct_effects is False",
        ),
        ({"workers": 2, "scheduler": "tcp://127.0.0.1:8786"}, r"workers and scheduler: give one"),
        ({"workers": 0}, r"workers: 0 is not a whole number of worker processes >= 1"),
    ],
)
def test_bad_settings(spec, kwargs, message):
    args = {"ns": [100], "replications": 2, "progress": False}
    args.update(kwargs)
    if "workers" not in kwargs and "scheduler" not in kwargs:
        args["workers"] = 1
    with pytest.raises(InputError, match=message):
        power_study(spec, "main", **args)


def test_unknown_and_missing_mechanism(spec):
    with pytest.raises(InputError, match=r"mechanism: 'nope' is not a mechanism of the spec; expected one of main"):
        power_study(spec, "nope", ns=[100], replications=1, workers=1, progress=False)
    with pytest.raises(InputError, match=r"the spec has 2 mechanisms; choose one of producer, consumer"):
        power_study(load_spec(), None, ns=[100], replications=1, workers=1, progress=False)


# --------------------------------------------------------------------------- effects input


def test_load_effects(tmp_path):
    f = tmp_path / "effects.yaml"
    f.write_text(
        "paths:\n  DRV -> ACT: 0.35\n  ACT->OUT: 0.25\nloadings: 0.75\nexogenous_corr: 0.2\n", encoding="utf-8"
    )
    assert load_effects(f) == {
        "effects": {"DRV -> ACT": 0.35, "ACT -> OUT": 0.25},
        "loadings": 0.75,
        "exogenous_corr": 0.2,
    }
    flat = tmp_path / "flat.json"
    flat.write_text('{"DRV -> ACT": 0.4}', encoding="utf-8")
    assert load_effects(flat)["effects"] == {"DRV -> ACT": 0.4}
    per_item = tmp_path / "items.yaml"
    per_item.write_text("paths: {DRV -> ACT: 0.3}\nloadings: {DRV1: 0.8}\n", encoding="utf-8")
    assert load_effects(per_item)["loadings"] == {"DRV1": 0.8}


@pytest.mark.parametrize(
    "text, message",
    [
        ("paths:\n  DRV -> ACT: high\n", r"effects.yaml, paths\['DRV -> ACT'\]: 'high' is not a finite number"),
        ("paths: [1, 2]\n", r"effects.yaml: 'paths' must be a mapping"),
        ("paths: {DRV -> ACT: 0.3}\nbetas: 1\n", r"effects.yaml: unknown key\(s\) betas"),
        ("paths: {DRV -> ACT: 0.3\n", r"effects.yaml, line \d+: not valid YAML/JSON"),
        ("", r"effects.yaml: expected a mapping with 'paths'"),
        ("loadings: one\n", r"effects.yaml, loadings: 'one' is not a finite number"),
    ],
)
def test_load_effects_errors(tmp_path, text, message):
    f = tmp_path / "effects.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_effects(f)


def test_load_effects_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nothere.yaml: cannot read the effects file"):
        load_effects(tmp_path / "nothere.yaml")


def test_parse_assume_std():
    assert parse_assume_std(["DRV->ACT=0.4", "0.2"]) == ({"DRV -> ACT": 0.4}, 0.2)
    assert parse_assume_std([]) == ({}, None)
    with pytest.raises(InputError, match=r"--assume-std DRV->ACT=x: 'x' is not a number"):
        parse_assume_std(["DRV->ACT=x"])
    with pytest.raises(InputError, match=r"--assume-std 0.3: a common value \(0.2\) was already given"):
        parse_assume_std(["0.2", "0.3"])
    with pytest.raises(InputError, match=r"--assume-std big: expected PATH=VALUE"):
        parse_assume_std(["big"])


def test_stated_values_are_used_and_reported(spec):
    eff, common = parse_assume_std(["DRV -> ACT=0.5", "0.1"])
    res = power_study(
        spec,
        "main",
        ns=[100],
        replications=2,
        effects=eff,
        assume_std=common,
        loadings=0.8,
        exogenous_corr=0.1,
        seed=1,
        workers=1,
        progress=False,
    )
    pop = res.table.set_index("effect")["population_std"]
    assert pop["DRV -> ACT"] == 0.5 and pop["ACT -> OUT"] == 0.1
    assert pop["DRV -> ACT -> OUT"] == pytest.approx(0.05)
    text = " ".join(res.assumptions)
    assert "Stated standardised paths: DRV -> ACT = 0.5" in text
    assert "stated common value 0.1: ACT -> OUT" in text
    assert "Every standardised loading is the stated 0.8" in text
    assert "correlate 0.1 with each other (stated)" in text
    loads = res.population[res.population.op == "=~"]["value"]
    assert (loads == 0.8).all()


# --------------------------------------------------------------------------- outputs


def test_write_outputs(small_study, tmp_path):
    evil = dataclasses.replace(small_study, mechanism='=HYPERLINK("http://x")<script>alert(1)</script>')
    paths = evil.write(tmp_path)
    assert sorted(p.name for p in paths) == [
        "power.html",
        "power.json",
        "power.xlsx",
        "power_curve.png",
        "power_curve.svg",
    ]
    doc = json.loads((tmp_path / "power.json").read_text(encoding="utf-8"))
    assert doc["ns"] == [100, 200] and doc["replications"] == 12 and doc["seed"] == 3
    assert len(doc["power"]) == 6 and doc["power"][0]["effect"] == "DRV -> ACT"
    assert doc["power"][0]["power_joint"] is None  # NaN -> null, never NaN in JSON
    assert doc["required_n"][0]["effect"] == "DRV -> ACT"
    assert doc["assumptions"]["zh"] and doc["columns"]["coverage"]["zh"]
    wb = load_workbook(tmp_path / "power.xlsx")
    assert wb.sheetnames == ["power", "required_n", "power_by_n", "assumptions", "columns", "population", "settings"]
    assert [c.value for c in wb["power"][1]][:3] == ["n", "kind", "effect"]
    settings = {r[0].value: r[1].value for r in wb["settings"].iter_rows(min_row=2)}
    assert settings["mechanism"].startswith("'=HYPERLINK")  # never a live formula
    page = (tmp_path / "power.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "data:image/svg+xml;base64," in page and "所需样本量" in page
    assert (tmp_path / "power_curve.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert (tmp_path / "power_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("*.part"))


def test_summary_is_power_by_n(small_study):
    s = small_study.summary()
    assert list(s.columns) == ["effect", "n=100", "n=200"]
    t = small_study.table
    assert s.loc[0, "n=200"] == t[(t.n == 200) & (t.effect == "DRV -> ACT")]["power"].iloc[0]


def test_bundled_model_declares_effects_power_can_use():
    res = power_study(load_spec(), "producer", ns=[300], replications=2, workers=1, progress=False, seed=1)
    assert any("0.2" in a for a in res.assumptions)
