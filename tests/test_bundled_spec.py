"""The bundled short-video value co-creation model (instruments/models/short_video_vcc.yaml)."""

from __future__ import annotations

import re

import pytest

from instruments.spec import STAGES, default_spec_path, load_spec

CJK = re.compile(r"[\u4e00-\u9fff]")
STAGE_SIZES = {"driver": 2, "proposition": 2, "activity": 4, "outcome": 4}
PREFIX = {"producer": "P", "consumer": "C"}


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def _bilingual(text: dict, where: str) -> None:
    assert set(text) == {"en", "zh"}, where
    assert text["en"].strip(), where
    assert CJK.search(text["zh"]), f"{where}: zh has no Chinese characters: {text['zh']!r}"
    assert not CJK.search(text["en"]), f"{where}: en contains Chinese characters: {text['en']!r}"


def test_loads_without_warnings(spec):
    assert spec.path == default_spec_path()
    assert spec.name == "short_video_vcc"
    assert spec.warnings == ()
    assert load_spec(default_spec_path()).sha256 == spec.sha256


def test_scale_is_seven_point_agreement(spec):
    assert (spec.scale.min, spec.scale.max) == (1, 7)
    assert spec.scale.labels["en"][0] == "Strongly disagree"
    assert spec.scale.labels["en"][-1] == "Strongly agree"
    assert spec.scale.labels["zh"][0] == "非常不同意"
    assert spec.scale.labels["zh"][-1] == "非常同意"
    assert len(spec.scale.labels["zh"]) == 7


def test_two_mechanisms_with_twelve_constructs(spec):
    assert list(spec.mechanisms) == ["producer", "consumer"]
    for mid, m in spec.mechanisms.items():
        assert len(m.constructs) == 12, mid
        sizes = {s: len(m.constructs_in_stage(s)) for s in STAGES}
        assert sizes == STAGE_SIZES, mid
        for cid, c in m.constructs.items():
            assert cid.startswith(PREFIX[mid]), cid
            assert 3 <= len(c.items) <= 5, cid
            for it in c.items:
                assert it.id.startswith(cid) and it.id[len(cid):].isdigit(), it.id
        n_rev = sum(it.reverse for it in m.items)
        assert 1 <= n_rev <= 2, (mid, n_rev)
        assert m.respondent is not None and m.instructions is not None


def test_every_text_is_bilingual(spec):
    _bilingual(spec.title, "title")
    for q in spec.background:
        _bilingual(q.text, q.id)
        for ch in q.choices:
            _bilingual(ch.label, f"{q.id}.{ch.code}")
    for a in spec.attention_checks:
        _bilingual(a.text, a.id)
    for mid, m in spec.mechanisms.items():
        _bilingual(m.label, mid)
        _bilingual(m.respondent, f"{mid}.respondent")
        _bilingual(m.instructions, f"{mid}.instructions")
        for c in m.constructs.values():
            _bilingual(c.label, c.id)
            assert c.definition is not None, c.id
            _bilingual(c.definition, f"{c.id}.definition")
            for it in c.items:
                _bilingual(it.text, it.id)


def test_background_and_attention_check(spec):
    ids = [q.id for q in spec.background]
    assert ids[0] == "platform"
    assert {"platform", "frequency", "tenure", "role", "gender", "age"} <= set(ids)
    group = spec.group_question
    assert group is not None and group.id == "platform"
    assert [c.code for c in group.choices] == [1, 2, 3, 4]
    assert group.code_for("快手") == 2
    assert group.code_for("Xiaohongshu (RED)") == 3
    assert len(spec.attention_checks) == 1
    att = spec.attention_checks[0]
    assert att.expected == (6,)
    assert spec.scale.label(6) == "Agree"  # the text asks for 'Agree'
    assert "'Agree'" in att.text["en"] and "同意" in att.text["zh"]
    for mid in spec.mechanisms:
        assert spec.attention_checks_for(mid) == [att]


def test_paths(spec):
    for mid, m in spec.mechanisms.items():
        stage = {cid: c.stage for cid, c in m.constructs.items()}
        front = [c for c in m.constructs if stage[c] in ("driver", "proposition")]
        acts = [c for c in m.constructs if stage[c] == "activity"]
        outs = [c for c in m.constructs if stage[c] == "outcome"]
        expected = {(a, b) for a in front for b in acts} | {(a, b) for a in acts for b in outs}
        got = [(p.source, p.target) for p in m.paths]
        assert len(got) == 32 and set(got) == expected, mid
        direct = [(p.source, p.target) for p in m.direct_paths]
        assert len(direct) == 16 and set(direct) == {(a, b) for a in front for b in outs}, mid
        assert all(p.direct for p in m.direct_paths)
        assert [p.hypothesis for p in m.active_paths(direct=True)] == [f"H{i}" for i in range(1, 49)]


def test_lavaan_syntax(spec):
    for m in spec.mechanisms.values():
        lines = m.lavaan_syntax().splitlines()
        measurement = [ln for ln in lines if "=~" in ln]
        assert len(measurement) == 12
        for c in m.constructs.values():
            assert f"{c.id} =~ " + " + ".join(c.item_ids) in measurement
        regressions = [ln for ln in lines if " ~ " in ln]
        assert len(regressions) == 8  # 4 activities + 4 outcomes
        assert len(m.lavaan_syntax(structural=False).splitlines()) == 12
        with_direct = m.lavaan_syntax(direct=True)
        outcome = m.constructs_in_stage("outcome")[0].id
        line = next(ln for ln in with_direct.splitlines() if ln.startswith(f"{outcome} ~ "))
        assert len(line.split(" ~ ")[1].split(" + ")) == 8  # 4 activities + 4 direct
