"""The spec loader: a valid spec loads, and every problem is named by file and key."""

from pathlib import Path

import pytest
import yaml

from instruments.errors import SpecError
from instruments.spec import load_spec

MINIMAL = Path(__file__).parent / "fixtures" / "specs" / "minimal.yaml"


def _raw():
    return yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))


def _write(tmp_path, raw, name="spec.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def _problems(tmp_path, raw):
    p = _write(tmp_path, raw)
    with pytest.raises(SpecError) as info:
        load_spec(p)
    msg = str(info.value)
    assert str(p) in msg  # every message names the file
    return info.value, msg


def test_minimal_loads():
    spec = load_spec(MINIMAL)
    m = spec.mechanism("main")
    assert list(m.constructs) == ["DRV", "ACT", "OUT"]
    assert m.item_ids == ["DRV1", "DRV2", "DRV3", "ACT1", "ACT2", "ACT3", "OUT1", "OUT2", "OUT3"]
    assert [str(p) for p in m.paths] == ["DRV -> ACT", "ACT -> OUT"]
    assert [p.hypothesis for p in m.paths] == ["H1", "H2"]
    assert m.direct_paths[0].hypothesis == "H3" and m.direct_paths[0].direct
    assert m.constructs["DRV"].items[2].reverse is True
    assert spec.scale.codes == [1, 2, 3, 4, 5]
    assert spec.scale.label(5, "zh") == "非常同意"
    assert spec.scale.reverse(2) == 4
    assert spec.group_question.id == "platform"
    assert spec.group_question.code_for("小红书") == 3
    assert spec.group_question.code_for("ＫＵＡＩＳＨＯＵ") == 2  # full-width, any case
    assert spec.attention_checks_for("main")[0].expected == (4,)
    assert len(spec.sha256) == 64
    # one check expecting 'Agree' is passed by a straight line of 4s: the only warning
    assert len(spec.warnings) == 1 and "passed by answering 4 to every statement" in spec.warnings[0]


def test_lavaan_syntax_with_and_without_direct_paths():
    m = load_spec(MINIMAL).mechanism("main")
    assert m.lavaan_syntax().splitlines()[3:] == ["ACT ~ DRV", "OUT ~ ACT"]
    assert m.lavaan_syntax(direct=True).splitlines()[4] == "OUT ~ ACT + DRV"
    assert "~ " not in m.lavaan_syntax(structural=False).replace("=~", "")


def test_unknown_mechanism_is_named():
    with pytest.raises(SpecError, match="no mechanism 'nope'; expected one of: main"):
        load_spec(MINIMAL).mechanism("nope")


def test_unknown_construct_in_path(tmp_path):
    raw = _raw()
    raw["mechanisms"]["main"]["paths"].append("DRV -> XYZ")
    _, msg = _problems(tmp_path, raw)
    assert "mechanisms.main.paths[2]: 'DRV -> XYZ' names an unknown construct 'XYZ'" in msg
    assert "expected one of: DRV, ACT, OUT" in msg


def test_malformed_path(tmp_path):
    raw = _raw()
    raw["mechanisms"]["main"]["paths"] = ["DRV => ACT"]
    _, msg = _problems(tmp_path, raw)
    assert "mechanisms.main.paths[0]: 'DRV => ACT' is not a path; expected \"FROM -> TO\"" in msg


def test_cyclic_paths(tmp_path):
    raw = _raw()
    raw["mechanisms"]["main"]["paths"].append("OUT -> DRV")
    _, msg = _problems(tmp_path, raw)
    assert "mechanisms.main.paths: the paths form a cycle" in msg
    assert "DRV -> ACT -> OUT -> DRV" in msg


def test_duplicate_item_id(tmp_path):
    raw = _raw()
    raw["mechanisms"]["main"]["constructs"]["OUT"]["items"][2]["id"] = "ACT1"
    _, msg = _problems(tmp_path, raw)
    assert (
        "mechanisms.main.constructs.OUT.items[2].id: duplicate id 'ACT1' "
        "(also used at mechanisms.main.constructs.ACT.items[0].id)"
    ) in msg


def test_construct_with_one_item_is_an_error(tmp_path):
    raw = _raw()
    raw["mechanisms"]["main"]["constructs"]["ACT"]["items"] = raw["mechanisms"]["main"]["constructs"]["ACT"]["items"][
        :1
    ]
    _, msg = _problems(tmp_path, raw)
    assert "mechanisms.main.constructs.ACT.items: has 1 item; a construct needs at least 2" in msg


def test_construct_with_two_items_is_a_warning(tmp_path):
    raw = _raw()
    raw["mechanisms"]["main"]["constructs"]["ACT"]["items"] = raw["mechanisms"]["main"]["constructs"]["ACT"]["items"][
        :2
    ]
    spec = load_spec(_write(tmp_path, raw))
    new = [w for w in spec.warnings if "straight line" not in w]  # the fixture's one-check warning aside
    assert len(new) == 1
    assert "mechanisms.main.constructs.ACT.items: has only 2 items; 3 or more are recommended" in new[0]


def test_missing_translation(tmp_path):
    raw = _raw()
    del raw["mechanisms"]["main"]["constructs"]["DRV"]["items"][1]["text"]["zh"]
    raw["mechanisms"]["main"]["label"]["en"] = "  "
    _, msg = _problems(tmp_path, raw)
    assert "mechanisms.main.constructs.DRV.items[1].text.zh: missing Chinese (zh) translation" in msg
    assert "mechanisms.main.label.en: missing English translation" in msg
    assert "has 2 problems" in msg


def test_label_count_must_match_scale(tmp_path):
    raw = _raw()
    raw["scale"]["labels"]["zh"] = raw["scale"]["labels"]["zh"][:4]
    _, msg = _problems(tmp_path, raw)
    assert "scale.labels.zh: has 4 labels; expected 5 for the scale 1-5" in msg


def test_unknown_stage(tmp_path):
    raw = _raw()
    raw["mechanisms"]["main"]["constructs"]["ACT"]["stage"] = "mediator"
    _, msg = _problems(tmp_path, raw)
    assert (
        "mechanisms.main.constructs.ACT.stage: unknown stage 'mediator'; expected one of "
        "driver | proposition | activity | outcome" in msg
    )


def test_attention_check_expected_outside_scale(tmp_path):
    raw = _raw()
    raw["attention_checks"][0]["expected"] = 9
    _, msg = _problems(tmp_path, raw)
    assert "attention_checks[0].expected: 9 is not a code of the scale 1-5" in msg


def test_measurement_only_mechanism_loads(tmp_path):
    raw = _raw()
    del raw["mechanisms"]["main"]["paths"]
    del raw["mechanisms"]["main"]["direct_paths"]
    m = load_spec(_write(tmp_path, raw)).mechanism("main")
    assert m.paths == () and "~ " not in m.lavaan_syntax(structural=False).replace("=~", "")


def test_another_theory_with_other_ids_loads(tmp_path):
    raw = {
        "scale": {"min": 1, "max": 3, "labels": {"en": ["No", "Maybe", "Yes"], "zh": ["否", "也许", "是"]}},
        "mechanisms": {
            "tam": {
                "label": {"en": "TAM", "zh": "技术接受模型"},
                "constructs": {
                    "PU": {
                        "label": {"en": "Usefulness", "zh": "有用性"},
                        "stage": "driver",
                        "items": [{"id": f"PU{i}", "text": {"en": f"useful {i}", "zh": f"有用{i}"}} for i in (1, 2, 3)],
                    },
                    "BI": {
                        "label": {"en": "Intention", "zh": "意向"},
                        "stage": "outcome",
                        "items": [{"id": f"BI{i}", "text": {"en": f"intend {i}", "zh": f"意向{i}"}} for i in (1, 2, 3)],
                    },
                },
                "paths": ["PU -> BI"],
            }
        },
    }
    spec = load_spec(_write(tmp_path, raw))
    assert spec.mechanism("tam").lavaan_syntax() == "PU =~ PU1 + PU2 + PU3\nBI =~ BI1 + BI2 + BI3\nBI ~ PU"


def test_not_yaml(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("scale: {min: 1, max: 7\nmechanisms: [", encoding="utf-8")
    with pytest.raises(SpecError, match=r"bad.yaml: is not valid YAML at line \d+, column \d+"):
        load_spec(p)


def test_empty_and_missing_files(tmp_path):
    p = tmp_path / "empty.yaml"
    p.write_text("", encoding="utf-8")
    with pytest.raises(SpecError, match="empty.yaml: the model spec is empty"):
        load_spec(p)
    with pytest.raises(SpecError, match="nothere.yaml: the model spec file does not exist"):
        load_spec(tmp_path / "nothere.yaml")


def test_bad_ids_and_scale(tmp_path):
    raw = _raw()
    raw["scale"]["max"] = "seven"
    raw["mechanisms"]["main"]["constructs"]["DRV"]["items"][0]["id"] = "1DRV"
    _, msg = _problems(tmp_path, raw)
    assert "scale.max: 'seven' is not a whole number" in msg
    assert "mechanisms.main.constructs.DRV.items[0].id: '1DRV' is not a valid id" in msg


def test_expected_std_for_power_analysis(tmp_path):
    raw = _raw()
    raw["mechanisms"]["main"]["expected_std"] = {"default": 0.2, "ACT -> OUT": 0.35}
    m = load_spec(_write(tmp_path, raw)).mechanism("main")
    assert [p.expected_std for p in m.paths] == [0.2, 0.35]
    assert m.direct_paths[0].expected_std is None  # direct paths: only when named
    raw["mechanisms"]["main"]["expected_std"] = {"ACT -> DRV": 0.2, "default": 1.5}
    _, msg = _problems(tmp_path, raw)
    assert "mechanisms.main.expected_std.ACT -> DRV: 'ACT -> DRV' is not one of this mechanism's paths" in msg
    assert "mechanisms.main.expected_std.default: 1.5 is not a standardised effect" in msg


# --------------------------------------------------------------------------- questionnaire features

FEATURES = Path(__file__).parent / "fixtures" / "specs" / "features.yaml"


def _features():
    return yaml.safe_load(FEATURES.read_text(encoding="utf-8"))


def test_features_spec_loads_and_old_specs_stay_valid():
    spec = load_spec(FEATURES)
    assert spec.warnings == ()
    old = load_spec(MINIMAL)  # no consent, screeners, scales or N/A: all defaults
    assert old.consent is None and old.scales == {} and old.not_applicable.code == 6
    assert all(q.section == "background" and q.position == "start" for q in old.background)
    c = old.mechanism("main").constructs["DRV"]
    assert (c.scale, c.period, c.not_applicable, c.randomize, c.mode) == (None, None, False, False, "reflective")


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda r: r["mechanisms"]["creator"]["constructs"]["INT"].update(scale="freq"),
            "mechanisms.creator.constructs.INT.scale: unknown scale 'freq'; expected default or one of the scales: "
            "frequency",
        ),
        (
            lambda r: r["mechanisms"]["creator"]["constructs"]["INT"].pop("period"),
            "mechanisms.creator.constructs.INT.period: a construct on the frequency scale 'frequency' needs a "
            "reference period",
        ),
        (
            lambda r: r["mechanisms"]["creator"]["constructs"]["MOT"].update(randomize="rows"),
            "mechanisms.creator.constructs.MOT.randomize: 'rows' is not supported; expected items (or none)",
        ),
        (
            lambda r: r["mechanisms"]["creator"]["constructs"]["MOT"].update(mode="formativ"),
            "mechanisms.creator.constructs.MOT.mode: unknown mode 'formativ'; expected reflective or formative",
        ),
        (
            lambda r: r["mechanisms"]["creator"]["constructs"]["MOT"]["items"][0].update(adaptation="adopt"),
            "mechanisms.creator.constructs.MOT.items[0].adaptation: 'adopt'; expected one of adopted, adapted, "
            "self-developed",
        ),
        (
            lambda r: r["mechanisms"]["creator"]["constructs"]["INC"].update(not_applicable="yes"),
            "mechanisms.creator.constructs.INC.not_applicable: 'yes' is not true or false",
        ),
        (
            lambda r: r["not_applicable"].update(code=3),
            "not_applicable.code: 3 is a code of the scale 1-5; expected a code outside it",
        ),
        (
            lambda r: r["scales"]["frequency"].update(
                max=7, labels={"en": list("abcdefg"), "zh": list("甲乙丙丁戊己庚")}
            ),
            "scales.frequency: has the codes 1-7; expected the codes of the spec's scale (1-5)",
        ),
        (
            lambda r: r["scales"]["frequency"].update(kind="often"),
            "scales.frequency.kind: unknown kind 'often'; expected one of agreement, frequency, other",
        ),
        (lambda r: r["consent"].pop("text"), "consent.text: is missing"),
        (
            lambda r: r["screeners"][0].pop("continue_if"),
            "screeners.role.continue_if: is missing; a screener names the answers that go on to the survey",
        ),
        (
            lambda r: r["screeners"][0].update(continue_if=[9]),
            "screeners.role.continue_if: 9 is not a choice code of this question; expected one of 1, 2, 3",
        ),
        (
            lambda r: r["screeners"][0].update(continue_if={"creator": [1]}),
            "screeners.role.continue_if: names no answers for mechanism 'viewer'",
        ),
        (
            lambda r: r["screeners"][0].update(continue_if={"creator": [1], "viewer": [2], "editor": [3]}),
            "screeners.role.continue_if.editor: unknown mechanism 'editor'; expected one of creator, viewer",
        ),
        (
            lambda r: r["background"][1].update(position="middle"),
            "background.gender.position: unknown position 'middle'; expected start or end",
        ),
        (
            lambda r: r["mechanisms"]["creator"]["background"][1].update(ask_if={"question": "income", "answers": [1]}),
            "mechanisms.creator.background.income_source.ask_if.question: 'income' is not a question asked before "
            "income_source",
        ),
        (
            lambda r: r["mechanisms"]["creator"]["background"][1].update(ask_if={"question": "earns", "answers": [7]}),
            "mechanisms.creator.background.income_source.ask_if.answers: 7 is not a choice code of 'earns'",
        ),
        (
            lambda r: r["background"][0]["text_by_mechanism"].update(editor={"en": "x", "zh": "某"}),
            "background.platform.text_by_mechanism.editor: unknown mechanism 'editor'",
        ),
        (
            lambda r: r["background"][1].update(min=0),
            "background.gender.min: only a number question has min; this one is single",
        ),
        (
            lambda r: r["mechanisms"]["creator"]["background"][2].update(min=30),
            "mechanisms.creator.background.hours.max: max (24) must be greater than min (30)",
        ),
        (
            lambda r: r["background"][0]["choices"][2].update(specify="yes"),
            "background.platform.choices[2].specify: 'yes' is not true or false",
        ),
        (
            lambda r: r["background"].append({"id": "platform_other", "type": "text", "text": {"en": "x", "zh": "某"}}),
            "duplicate id 'platform_other'",
        ),
    ],
)
def test_feature_problems_name_the_key(tmp_path, edit, message):
    raw = _features()
    edit(raw)
    _, msg = _problems(tmp_path, raw)
    assert message in msg


def test_feature_warnings(tmp_path):
    raw = _features()
    raw["mechanisms"]["creator"]["constructs"]["MOT"]["randomise"] = "items"  # a typo of randomize
    raw["mechanisms"]["creator"]["constructs"]["MOT"]["items"][2].update(adaptation="adapted")  # no source
    raw["attention_checks"][1]["expected"] = 1  # both checks now expect 1
    spec = load_spec(_write(tmp_path, raw))
    text = "\n".join(spec.warnings)
    assert "mechanisms.creator.constructs.MOT.randomise: unknown key" in text
    assert "mechanisms.creator.constructs.MOT.items[2].source: the item is adapted but names no source" in text
    assert (
        "mechanisms.creator: its attention check(s) ATT1, ATT2 are all passed by answering 1 to every "
        "statement (a straight line)"
    ) in text
    assert len(spec.warnings) == 4  # the straight-line warning for each mechanism


def test_attention_checks_need_a_block_on_the_spec_scale(tmp_path):
    raw = _features()
    for c in raw["mechanisms"]["creator"]["constructs"].values():
        c["scale"], c["period"] = "frequency", {"en": "the past month", "zh": "过去1个月"}
    _, msg = _problems(tmp_path, raw)
    assert "mechanisms.creator: has attention checks but no construct on the spec's scale" in msg
