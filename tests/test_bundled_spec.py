"""The bundled short-video value co-creation model (instruments/models/short_video_vcc.yaml).

Besides the structure of the theory (two mechanisms, twelve constructs in four stages, the
hypothesised paths), these tests hold the questionnaire to the item review of issue 20: one idea
per item, no negated or absolute wording, behaviours on a frequency scale with a reference
period, outcomes with a reference period, "not applicable" where not everyone can answer, two
attention checks expecting opposite extremes, the background questions a thesis needs, and an
adaptation record for every item.
"""

from __future__ import annotations

import re

import pytest

from instruments.spec import ADAPTATIONS, STAGES, default_spec_path, load_spec

CJK = re.compile(r"[\u4e00-\u9fff]")
STAGE_SIZES = {"driver": 2, "proposition": 2, "activity": 4, "outcome": 4}
PREFIX = {"producer": "P", "consumer": "C"}
AGREEMENT_ZH = ["非常不同意", "不同意", "有点不同意", "中立", "有点同意", "同意", "非常同意"]


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def _bilingual(text: dict, where: str) -> None:
    assert set(text) == {"en", "zh"}, where
    assert text["en"].strip(), where
    assert CJK.search(text["zh"]), f"{where}: zh has no Chinese characters: {text['zh']!r}"
    assert not CJK.search(text["en"]), f"{where}: en contains Chinese characters: {text['en']!r}"


def _items(spec):
    return [(m, c, it) for m in spec.mechanisms.values() for c in m.constructs.values() for it in c.items]


def test_loads_without_warnings(spec):
    assert spec.path == default_spec_path()
    assert spec.name == "short_video_vcc"
    assert spec.warnings == ()
    assert load_spec(default_spec_path()).sha256 == spec.sha256


def test_scales(spec):
    assert (spec.scale.min, spec.scale.max, spec.scale.kind) == (1, 7, "agreement")
    assert spec.scale.labels["zh"] == AGREEMENT_ZH
    assert spec.scale.labels["en"][0] == "Strongly disagree" and spec.scale.labels["en"][-1] == "Strongly agree"
    freq = spec.scales["frequency"]
    assert (freq.min, freq.max, freq.kind) == (1, 7, "frequency")
    assert freq.labels["zh"][0] == "从不" and freq.labels["zh"][-1] == "总是"
    assert spec.not_applicable.code == 8 and spec.not_applicable.label["zh"] == "不适用"


def test_two_mechanisms_with_twelve_constructs(spec):
    assert list(spec.mechanisms) == ["producer", "consumer"]
    for mid, m in spec.mechanisms.items():
        assert len(m.constructs) == 12, mid
        sizes = {s: len(m.constructs_in_stage(s)) for s in STAGES}
        assert sizes == STAGE_SIZES, mid
        for cid, c in m.constructs.items():
            assert cid.startswith(PREFIX[mid]), cid
            assert 4 <= len(c.items) <= 6, cid  # room for the pilot to drop weak items
            assert c.mode == "reflective" and c.randomize, cid
            for it in c.items:
                assert it.id.startswith(cid) and it.id[len(cid) :].isdigit(), it.id
        assert not any(it.reverse for it in m.items), mid  # positively worded items only
        assert m.respondent is not None and m.instructions is not None


def test_scales_and_periods_follow_the_stage(spec):
    for m in spec.mechanisms.values():
        for c in m.constructs.values():
            if c.stage == "activity":  # behaviours: how often, in the past 3 months
                assert spec.scale_of(c).kind == "frequency", c.id
                assert c.period == {"en": "the past 3 months", "zh": "过去3个月"}, c.id
            else:
                assert spec.scale_of(c) is spec.scale, c.id
            if c.stage == "outcome":  # change over a stated period
                assert c.period == {"en": "the past 6 months", "zh": "过去6个月"}, c.id
            if c.stage in ("driver", "proposition"):
                assert c.period is None, c.id


def test_every_text_is_bilingual(spec):
    _bilingual(spec.title, "title")
    _bilingual(spec.consent.text, "consent")
    for q in spec.background:
        _bilingual(q.text, q.id)
        for t in q.text_by_mechanism.values():
            _bilingual(t, q.id)
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
    # Chinese texts were not folded from several YAML lines (no stray spaces between characters)
    for text in [spec.consent.text["zh"], *(m.instructions["zh"] for m in spec.mechanisms.values())]:
        assert not re.search(r"[\u4e00-\u9fff，。；：]\s+[\u4e00-\u9fff]", text), text


def _outside_brackets(text: str) -> str:
    text = re.sub(r"\([^)]*\)|（[^）]*）", "", text)
    return re.sub(r"'[^']*'|“[^”]*”", "", text)  # quoted interface labels ('not interested', “不感兴趣”)


def test_item_wording_review(spec):
    """One idea per item, no negation, no absolutes (the faults the first version had)."""
    for _, c, it in _items(spec):
        en, zh = _outside_brackets(it.text["en"]), _outside_brackets(it.text["zh"])
        assert not re.search(r"\band\b", en), f"{it.id}: 'and' joins two ideas: {it.text['en']}"
        assert "和" not in zh and "、" not in zh and "以及" not in zh, f"{it.id}: {it.text['zh']}"
        assert not re.search(r"\b(not|never|seldom|rarely|no)\b|n't", en, re.I), f"{it.id}: negated: {en}"
        assert not re.search(r"不|没|很少|难以|从不", zh), f"{it.id}: negated: {zh}"
        assert not re.search(r"\b(always|every|all|everyone)\b", en, re.I), f"{it.id}: absolute: {en}"
        assert not re.search(r"总是|每次|所有|一切|非常|都", zh), f"{it.id}: absolute: {zh}"
        if spec.scale_of(c).kind == "frequency":  # a behaviour, not "I would"
            assert "我会" not in it.text["zh"], it.id
    # Chinese wording corrections of the review
    zh_all = " ".join(it.text["zh"] for _, _, it in _items(spec))
    assert "推广什么样的内容" not in zh_all and "共同成长" not in zh_all and "经济实惠" not in zh_all
    assert "巨量星图" in zh_all and "测评" not in zh_all
    assert "DOU+" in zh_all and "粉条" in zh_all and "薯条" in zh_all


def test_not_applicable_where_not_everyone_can_answer(spec):
    na = set(spec.not_applicable_items())
    por = {it.id for it in spec.mechanisms["producer"].constructs["POR"].items}
    cor = {it.id for it in spec.mechanisms["consumer"].constructs["COR"].items}
    assert por | cor | {"PAR2", "POC2", "POC3", "COC2", "COC3"} == na
    assert spec.mechanisms["producer"].constructs["POR"].not_applicable


def test_consent_screeners_and_routing(spec):
    assert spec.consent is not None and "18" in spec.consent.text["en"] and "18" in spec.consent.text["zh"]
    consent = spec.background[0]
    assert consent.section == "consent" and consent.ends_for("producer") == (2,)
    role = next(q for q in spec.background if q.id == "role")
    assert role.section == "screener"
    assert role.continue_if == {"producer": (1, 3), "consumer": (2,)}  # "both" goes to the producers
    assert [q.id for q in spec.questions_for("producer", "screener")] == ["role", "published"]
    assert [q.id for q in spec.questions_for("consumer", "screener")] == ["role", "watched"]


def test_background_questions(spec):
    group = spec.group_question
    assert group is not None and group.id == "platform" and not group.mechanisms
    labels = {c.label["zh"] for c in group.choices}
    assert {"抖音", "快手", "小红书", "微信视频号", "哔哩哔哩（B站）"} <= labels
    assert "抖音/TikTok" not in labels and group.choices[-1].specify  # "other, please specify"
    assert group.code_for("快手") == 2 and group.code_for("Xiaohongshu (RED)") == 3
    assert "publish" in group.text_for("producer")["en"] and "watch" in group.text_for("consumer")["en"]
    shared = {q.id for q in spec.background if not q.mechanisms and q.section == "background"}
    assert {"platform", "frequency", "tenure", "gender", "age", "education", "occupation", "income", "region"} <= shared
    end = {q.id for q in spec.background if q.position == "end"}
    assert {"gender", "age", "education", "occupation", "income", "region"} == end  # demographics last
    producer = {q.id for q in spec.questions_for("producer", "background") if q.mechanisms}
    assert {"followers", "category", "earns", "monetisation", "years_creating", "mcn"} <= producer
    consumer = {q.id for q in spec.questions_for("consumer", "background") if q.mechanisms}
    assert {"daily_minutes", "shopping"} <= consumer
    minutes = next(q for q in spec.background if q.id == "daily_minutes")
    assert (minutes.type, minutes.min, minutes.max) == ("number", 0, 1440)
    # tenure bands leave no gap: each band starts where the one before ends
    tenure = next(q for q in spec.background if q.id == "tenure")
    assert [c.label["en"] for c in tenure.choices] == [
        "Less than 1 year",
        "1 year to less than 2 years",
        "2 years to less than 3 years",
        "3 years to less than 5 years",
        "5 years or more",
    ]


def test_two_attention_checks_expect_opposite_extremes(spec):
    checks = spec.attention_checks
    assert [a.expected for a in checks] == [(1,), (7,)]
    for a in checks:
        label_en, label_zh = spec.scale.label(a.expected[0], "en"), spec.scale.label(a.expected[0], "zh")
        assert f"'{label_en}'" in a.text["en"] and f"“{label_zh}”" in a.text["zh"]
    for mid in spec.mechanisms:
        assert spec.attention_checks_for(mid) == list(checks)


def test_every_item_states_its_adaptation(spec):
    for *_, it in _items(spec):
        assert it.adaptation in ADAPTATIONS, it.id
        if it.adaptation != "self-developed":
            assert it.source and it.original, it.id
    cited = " ".join(filter(None, [c.source for _, c, _ in _items(spec)] + [it.source for *_, it in _items(spec)]))
    assert "Porter" not in cited  # firm-level theory, no scale for a creator's account
    refs = " ".join(spec.raw["references"])
    for work in (
        "Guay",
        "Kankanhalli",
        "Wasko",
        "Cable",
        "Ducoffe",
        "Yi, Y.",
        "Schivinski",
        "Ranjan",
        "Nambisan",
        "Flynn",
        "Venkatesh",
    ):
        assert work in refs, work


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
