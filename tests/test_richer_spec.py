"""Spec keys for richer models: second-order constructs, moderations, controls (issue 15)."""

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from instruments.errors import SpecError
from instruments.spec import load_spec

MINIMAL = Path(__file__).parent / "fixtures" / "specs" / "minimal.yaml"


def _construct(cid, stage="activity", n=3):
    return {
        "label": {"en": cid, "zh": cid},
        "stage": stage,
        "items": [{"id": f"{cid}{i}", "text": {"en": f"{cid} item {i}", "zh": f"{cid}题{i}"}} for i in range(1, n + 1)],
    }


def rich_raw():
    """DRV -> ACT (moderated by MOD) -> HOC, HOC a second-order construct of D1..D3; gender controls ACT."""
    raw = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    m = raw["mechanisms"]["main"]
    m["constructs"] = {
        "DRV": _construct("DRV", "driver"),
        "MOD": _construct("MOD", "driver"),
        "ACT": _construct("ACT"),
        "D1": _construct("D1", "outcome"),
        "D2": _construct("D2", "outcome"),
        "D3": _construct("D3", "outcome"),
        "HOC": {"label": {"en": "Outcomes", "zh": "结果"}, "stage": "outcome", "dimensions": ["D1", "D2", "D3"]},
    }
    m["paths"] = ["DRV -> ACT", "ACT -> HOC"]
    m.pop("direct_paths", None)
    m["moderations"] = [{"path": "DRV -> ACT", "moderator": "MOD"}]
    m["controls"] = [{"variable": "gender", "on": ["ACT"]}]
    return raw


def _load(tmp_path, raw):
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_spec(p)


def _problems(tmp_path, raw):
    with pytest.raises(SpecError) as info:
        _load(tmp_path, raw)
    return str(info.value)


def test_rich_spec_loads_and_writes_lavaan_syntax(tmp_path):
    spec = _load(tmp_path, rich_raw())
    m = spec.mechanism("main")
    assert m.constructs["HOC"].second_order and m.constructs["HOC"].dimensions == ("D1", "D2", "D3")
    assert list(m.second_order) == ["HOC"] and "HOC" not in m.first_order
    assert "HOC" not in {it.construct for it in m.items}
    lines = m.lavaan_syntax().splitlines()
    assert "HOC =~ D1 + D2 + D3" in lines
    assert "ACT ~ DRV + gender" in lines and "HOC ~ ACT" in lines
    assert "ACT ~ DRV" in m.lavaan_syntax(controls=False).splitlines()
    assert "HOC =~ D1 + D2 + D3" in m.lavaan_syntax(structural=False).splitlines()
    (mod,) = m.moderations
    assert (mod.source, mod.target, mod.moderator, mod.product) == ("DRV", "ACT", "MOD", "DRVxMOD")
    (ctl,) = m.controls
    assert (ctl.variable, ctl.on) == ("gender", ("ACT",))


def test_old_specs_have_no_richer_parts():
    m = load_spec(MINIMAL).mechanism("main")
    assert m.moderations == () and m.controls == () and not m.second_order


def _edit(fn):
    raw = rich_raw()
    fn(raw["mechanisms"]["main"])
    return raw


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda m: m["constructs"]["HOC"].update(dimensions=["D1", "D2", "NOPE"]),
            r"constructs.HOC.dimensions\[2\]: 'NOPE' is not a construct of this mechanism",
        ),
        (lambda m: m["constructs"]["HOC"].update(dimensions=["D1"]), "has 1 dimension; a second-order construct needs"),
        (
            lambda m: m["constructs"]["HOC"].update(items=m["constructs"]["D1"]["items"]),
            "constructs.HOC.items: a second-order construct .* has no items",
        ),
        (lambda m: m["paths"].append("D1 -> HOC"), "joins the second-order construct HOC and its own dimension D1"),
        (
            lambda m: m["moderations"].append({"path": "DRV -> ACT", "moderator": "ZZZ"}),
            r"moderations\[1\].moderator: 'ZZZ' is not a construct of this mechanism",
        ),
        (
            lambda m: m["moderations"].append({"path": "MOD -> ACT", "moderator": "DRV"}),
            r"moderations\[1\].path: 'MOD -> ACT' is not one of this mechanism's paths",
        ),
        (lambda m: m["moderations"].append({"path": "ACT -> HOC", "moderator": "ACT"}), "is an end of the path"),
        (
            lambda m: m["controls"].append({"variable": "tenure", "on": ["NOPE"]}),
            r"controls\[1\].on\[0\]: 'NOPE' is not a construct",
        ),
        (
            lambda m: m["controls"].append({"variable": "ACT1", "on": ["HOC"]}),
            r"controls\[1\].variable: 'ACT1' is an item of a construct",
        ),
        (lambda m: m["controls"].append({"variable": "DRV", "on": ["HOC"]}), "'DRV' is a construct"),
    ],
)
def test_richer_problems_name_the_key(tmp_path, edit, message):
    import re

    msg = _problems(tmp_path, _edit(edit))
    assert re.search(message, msg), msg


def test_a_control_outside_the_spec_is_a_warning_and_typos_name_the_closest_key(tmp_path):
    raw = rich_raw()
    m = raw["mechanisms"]["main"]
    m["controls"].append({"variable": "tenure", "on": ["HOC"]})
    m["moderation"] = copy.deepcopy(m.pop("moderations"))
    spec = _load(tmp_path, raw)
    text = "\n".join(spec.warnings)
    assert "controls[1].variable: 'tenure' is not a background question" in text
    assert "mechanisms.main.moderation: unknown key; did you mean 'moderations'?" in text
    assert spec.mechanism("main").moderations == ()


def test_model_show_and_questionnaire_handle_a_second_order_construct(tmp_path):
    from instruments._layout import layout
    from instruments.describe import describe_spec

    spec = _load(tmp_path, rich_raw())
    text = describe_spec(spec)
    assert "HOC      Outcomes  (stage: outcome, second-order, dimensions: D1, D2, D3)" in text
    assert "  MOD x DRV -> ACT" in text and "  gender -> ACT" in text
    lay = layout(spec, "main")
    assert [b.construct.id for b in lay.blocks if b.construct.id == "HOC"] == []
    assert sum(len(b.rows) for b in lay.blocks) >= 18


def test_bundled_second_order_variant_has_the_same_items():
    from instruments.spec import default_spec_path

    first = load_spec()
    second = load_spec(default_spec_path().with_name("short_video_vcc_second_order.yaml"))
    assert second.name == "short_video_vcc_second_order"
    for mid, prefix in (("producer", "P"), ("consumer", "C")):
        a, b = first.mechanism(mid), second.mechanism(mid)
        assert a.item_ids == b.item_ids  # the same questionnaire and data
        assert list(b.second_order) == [f"{prefix}ACT", f"{prefix}OUT"]
        assert b.constructs[f"{prefix}ACT"].dimensions == tuple(f"{prefix}A{x}" for x in "PCAR")
        assert b.constructs[f"{prefix}OUT"].dimensions == tuple(f"{prefix}O{x}" for x in "CREK")
        assert [str(p) for p in b.paths] == [f"{prefix}{d} -> {prefix}ACT" for d in ("ID", "ED", "PO", "VC")] + [
            f"{prefix}ACT -> {prefix}OUT"
        ]
        assert len(b.direct_paths) == 4
    assert len(second.warnings) == len(first.warnings)


def test_pls_refuses_second_order_with_moderations_by_name(tmp_path):
    from instruments.errors import InputError
    from validate.pipeline import AnalysisOptions, analyse

    spec = _load(tmp_path, rich_raw())
    with pytest.raises(
        InputError,
        match=r"second-order constructs \(two-stage approach\) and moderations, "
        "controls, but not both in one model",
    ):
        analyse({"main": pd.DataFrame()}, spec, AnalysisOptions(method="pls", bootstrap=0))


def test_a_control_with_more_than_two_categories_is_a_warning(tmp_path):
    raw = rich_raw()
    raw["mechanisms"]["main"]["controls"] = [{"variable": "platform", "on": ["ACT"]}]
    text = "\n".join(_load(tmp_path, raw).warnings)
    assert "controls[0].variable: 'platform' is a single choice with 3 answers" in text
