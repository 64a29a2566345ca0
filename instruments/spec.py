"""The model spec: a theory written as data.

A spec (YAML) declares a response scale (and further named scales with the
same codes), a consent text, screeners, background questions, attention
checks and one or more *mechanisms*. Each mechanism has constructs (with items
in English and Simplified Chinese, a stage, a scale, optional sources) and
paths between constructs; a mechanism may add its own screeners, background
questions and attention checks. Everything downstream -- questionnaires, templates, ingest, CFA,
SEM and the report -- is driven by the :class:`ModelSpec` loaded here.

Loading validates the whole file and reports every problem at once, each with
the file name and the key path (``mechanisms.producer.constructs.PID.items[1].text.zh``).

The questionnaire keys (all optional; a spec without them keeps its meaning)::

    scale: {min: 1, max: 7, kind: agreement, labels: {en: [...], zh: [...]}}
    scales:                      # further scales with the same codes, other labels
      frequency: {kind: frequency, min: 1, max: 7, labels: {en: [Never, ..., Always], zh: [从不, ..., 总是]}}
    not_applicable: {code: 8, label: {en: Not applicable, zh: 不适用}}   # default code: max + 1
    consent: {text: {en, zh}, question?: {en, zh}, agree?: {en, zh}, decline?: {en, zh}, id?: consent}
    screeners:                   # shared; a mechanism may add its own under mechanisms.<m>.screeners
      - {id, text, choices, continue_if: [1]}                 # any other answer ends the survey
      - {id: role, ..., continue_if: {producer: [1, 3], consumer: [2]}}   # routing
    background:                  # shared; mechanisms.<m>.background adds a mechanism's own
      - id: platform
        role: group
        position: start          # or end (demographics last)
        text: {en, zh}
        text_by_mechanism: {producer: {en, zh}}               # the same question worded per mechanism
        choices: [{code: 7, label: {en, zh}, specify: true}]  # "other, please specify"
        ask_if: {question: earns, answers: [1]}               # asked only after those answers
        type: number, min: 0, max: 1440, hint: {en, zh}       # bounds of a number question
      - {id: blue, text: {en, zh}, choices: [...], marker: true}  # a marker variable for common method
                                                              # bias: number or ordered single choice,
                                                              # unrelated to the constructs
    attention_checks: [{id, text, expected: 1}]               # also mechanisms.<m>.attention_checks
    mechanisms:
      producer:
        constructs:
          PAP:
            scale: frequency                                  # a key of scales (default: scale)
            period: {en: the past 3 months, zh: 过去3个月}     # required on a frequency scale
            not_applicable: true                              # every item offers N/A
            randomize: items                                  # platforms that can shuffle the rows
            mode: reflective                                  # or formative (PLS Mode B)
            items:
              - {id, text, source, adaptation: adopted | adapted | self-developed, original: "...",
                 not_applicable: true}
          OUT:
            dimensions: [COST, REV, EXP, COMP]               # a second-order construct: no items
        paths: ["ACT -> OUT"]
        moderations:
          - {path: "ACT -> REV", moderator: EDR}              # EDR moderates the path ACT -> REV
        controls:
          - {variable: tenure, on: [REV, COMP]}               # a background question or data column

An unknown key gets a warning naming the closest known key (``moderation`` ->
``moderations``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError

__all__ = [
    "LANGUAGES",
    "STAGES",
    "ADAPTATIONS",
    "MODES",
    "SCALE_KINDS",
    "Scale",
    "NotApplicable",
    "Consent",
    "Item",
    "Construct",
    "PathSpec",
    "Moderation",
    "Control",
    "Choice",
    "BackgroundQuestion",
    "AttentionCheck",
    "Mechanism",
    "ModelSpec",
    "load_spec",
    "default_spec_path",
    "specify_id",
]

LANGUAGES = ("en", "zh")
#: Stages in the order a path diagram draws them, left to right.
STAGES = ("driver", "proposition", "activity", "outcome")
QUESTION_TYPES = ("single", "multiple", "text", "number")
#: How an item relates to its source: taken word for word, reworded, or written for this study.
ADAPTATIONS = ("adopted", "adapted", "self-developed")
#: Measurement model of a construct (PLS: Mode A / Mode B; CB-SEM fits every construct as reflective).
MODES = ("reflective", "formative")
SCALE_KINDS = ("agreement", "frequency", "other")
POSITIONS = ("start", "end")
SECTIONS = ("consent", "screener", "background")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_PATH = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*->\s*([A-Za-z][A-Za-z0-9_]*)\s*$")


def default_spec_path() -> Path:
    """Path of the bundled short-video value co-creation spec."""
    return Path(str(resources.files("instruments") / "models" / "short_video_vcc.yaml"))


@dataclass(frozen=True)
class Scale:
    """A Likert-type response scale; ``labels[lang]`` has ``max - min + 1`` entries."""

    min: int
    max: int
    labels: dict[str, list[str]]
    name: str = "default"
    kind: str = "agreement"  # agreement | frequency | other
    prompt: dict[str, str] | None = None  # the matrix question; None: the wording for ``kind``

    @property
    def codes(self) -> list[int]:
        return list(range(self.min, self.max + 1))

    def label(self, code: int, lang: str = "en") -> str:
        return self.labels[lang][code - self.min]

    def reverse(self, code):
        """Reverse-key a code (``min + max - x``); works on scalars and arrays."""
        return self.min + self.max - code


@dataclass(frozen=True)
class Item:
    id: str
    text: dict[str, str]
    construct: str
    reverse: bool = False
    source: str | None = None
    adaptation: str | None = None  # adopted | adapted | self-developed
    original: str | None = None  # where the original wording is found (scale, dimension, item)
    not_applicable: bool = False  # the item (or its construct) offers a "not applicable" answer


@dataclass(frozen=True)
class Construct:
    id: str
    label: dict[str, str]
    stage: str
    items: tuple[Item, ...]
    source: str | None = None
    definition: dict[str, str] | None = None
    scale: Scale | None = None  # None: the spec's default scale
    period: dict[str, str] | None = None  # reference period ("the past 3 months")
    not_applicable: bool = False  # every item offers "not applicable"
    randomize: bool = False  # show the items in random order where the platform can
    mode: str = "reflective"  # reflective | formative
    dimensions: tuple[str, ...] = ()  # a second-order construct: its first-order dimensions, no items

    @property
    def item_ids(self) -> list[str]:
        return [it.id for it in self.items]

    @property
    def second_order(self) -> bool:
        """True for a second-order construct (measured by ``dimensions``, not items)."""
        return bool(self.dimensions)


@dataclass(frozen=True)
class PathSpec:
    """A directed path ``source -> target``; ``hypothesis`` is its id (H1, H2, ...)."""

    source: str
    target: str
    hypothesis: str = ""
    direct: bool = False
    expected_std: float | None = None  # the standardised effect a power analysis assumes

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"


@dataclass(frozen=True)
class Moderation:
    """``moderator`` moderates the path ``source -> target`` (a latent interaction)."""

    source: str
    target: str
    moderator: str

    @property
    def product(self) -> str:
        """The name of the latent product term in the fitted syntax (``ACTxEDR``)."""
        return f"{self.source}x{self.moderator}"

    def __str__(self) -> str:
        return f"{self.moderator} moderates {self.source} -> {self.target}"


@dataclass(frozen=True)
class Control:
    """An observed control variable (a background question or a data column) with paths to constructs."""

    variable: str
    on: tuple[str, ...]


@dataclass(frozen=True)
class Choice:
    code: int
    label: dict[str, str]
    specify: bool = False  # "other, please specify": a text box follows when chosen


@dataclass(frozen=True)
class NotApplicable:
    """The "not applicable" answer offered by items or constructs with ``not_applicable: true``.

    Ingest reads it as missing and counts it; it is never a scale point.
    """

    code: int
    label: dict[str, str]


@dataclass(frozen=True)
class Condition:
    """``question`` answered with one of ``answers`` (for ``ask_if``)."""

    question: str
    answers: tuple[int, ...]


@dataclass(frozen=True)
class BackgroundQuestion:
    """A coded question outside the item matrix: the consent question, a screener or a background question.

    ``section`` says which; ``continue_if`` (consent, screeners) maps each
    mechanism id to the answers that go on to the survey (any other answer
    ends it); ``mechanisms`` is empty for a question every mechanism asks.
    """

    id: str
    text: dict[str, str]
    type: str = "single"
    choices: tuple[Choice, ...] = ()
    role: str | None = None  # e.g. "group" for the platform question
    section: str = "background"  # consent | screener | background
    position: str = "start"  # start | end (background questions)
    mechanisms: tuple[str, ...] = ()  # () = every mechanism
    continue_if: dict[str, tuple[int, ...]] = field(default_factory=dict)
    ask_if: Condition | None = None
    text_by_mechanism: dict[str, dict[str, str]] = field(default_factory=dict)
    min: float | None = None  # number questions: the smallest allowed answer
    max: float | None = None
    hint: dict[str, str] | None = None
    #: a marker variable for common method bias (Lindell & Whitney 2001; Williams et al. 2010): a number
    #: or single-choice question theoretically unrelated to the constructs, answered in the same survey
    marker: bool = False

    def text_for(self, mid: str | None) -> dict[str, str]:
        """The question text as the respondents of mechanism ``mid`` see it."""
        return self.text_by_mechanism.get(mid, self.text) if mid else self.text

    def ends_for(self, mid: str) -> tuple[int, ...]:
        """Answer codes that end the survey of mechanism ``mid`` (empty: none do)."""
        if mid not in self.continue_if:
            return ()
        keep = set(self.continue_if[mid])
        return tuple(c.code for c in self.choices if c.code not in keep)

    @property
    def specify_choices(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.specify)

    def asked_in(self, mid: str) -> bool:
        return not self.mechanisms or mid in self.mechanisms

    def code_for(self, answer: str) -> int | None:
        """Code of a choice given its label in any language (case- and width-insensitive)."""
        key = _fold(answer)
        for ch in self.choices:
            if key == _fold(str(ch.code)) or any(key == _fold(t) for t in ch.label.values()):
                return ch.code
        return None


@dataclass(frozen=True)
class AttentionCheck:
    """An instructed-response item ("please choose 'Agree' here")."""

    id: str
    text: dict[str, str]
    expected: tuple[int, ...]
    mechanisms: tuple[str, ...] = ()  # empty: every mechanism


@dataclass(frozen=True)
class Consent:
    """The information text shown first and the agree/decline question (decline ends the survey)."""

    text: dict[str, str]
    question: BackgroundQuestion


@dataclass(frozen=True)
class Mechanism:
    id: str
    label: dict[str, str]
    constructs: dict[str, Construct]
    paths: tuple[PathSpec, ...]
    direct_paths: tuple[PathSpec, ...] = ()
    respondent: dict[str, str] | None = None
    instructions: dict[str, str] | None = None
    moderations: tuple[Moderation, ...] = ()
    controls: tuple[Control, ...] = ()

    @property
    def items(self) -> list[Item]:
        return [it for c in self.constructs.values() for it in c.items]

    @property
    def item_ids(self) -> list[str]:
        return [it.id for it in self.items]

    def constructs_in_stage(self, stage: str) -> list[Construct]:
        return [c for c in self.constructs.values() if c.stage == stage]

    def active_paths(self, direct: bool = False) -> list[PathSpec]:
        """The paths to fit: the spec's paths, plus its direct paths when ``direct``."""
        return list(self.paths) + (list(self.direct_paths) if direct else [])

    @property
    def first_order(self) -> dict[str, Construct]:
        """The constructs measured by items (every construct but the second-order ones)."""
        return {k: c for k, c in self.constructs.items() if not c.second_order}

    @property
    def second_order(self) -> dict[str, Construct]:
        """The second-order constructs (measured by their ``dimensions``)."""
        return {k: c for k, c in self.constructs.items() if c.second_order}

    def lavaan_syntax(
        self, structural: bool = True, direct: bool = False, controls: bool = True, second_order: bool = True
    ) -> str:
        """The model in lavaan syntax: one ``=~`` line per construct, then ``~`` lines.

        A second-order construct is measured by its dimensions
        (``OUT =~ COST + REV + EXP``), as lavaan fits a higher-order factor.
        With ``structural=False`` (or a mechanism without paths) only the
        measurement part is written, which a CFA frees all factor covariances for
        (the second-order factor carries the covariances of its dimensions).
        Controls (``controls=True``) add ``TARGET ~ variable`` for each
        observed control; the data must then hold the control's column.
        ``second_order=False`` writes the first-order constructs only (the
        CFA of the dimensions, all factors correlated).
        Moderations are not written here (their product indicators are built
        from the data; see :mod:`validate.structural.moderation`).
        """
        lines = [f"{c.id} =~ " + " + ".join(c.item_ids) for c in self.constructs.values() if not c.second_order]
        if second_order or structural:
            lines += [f"{c.id} =~ " + " + ".join(c.dimensions) for c in self.constructs.values() if c.second_order]
        if structural:
            by_target: dict[str, list[str]] = {}
            for p in self.active_paths(direct):
                by_target.setdefault(p.target, []).append(p.source)
            if controls:
                for ctl in self.controls:
                    for t in ctl.on:
                        by_target.setdefault(t, []).append(ctl.variable)
            for target, sources in by_target.items():
                lines.append(f"{target} ~ " + " + ".join(sources))
        return "\n".join(lines)


@dataclass(frozen=True)
class ModelSpec:
    """A loaded, validated model spec."""

    name: str
    title: dict[str, str]
    scale: Scale
    mechanisms: dict[str, Mechanism]
    background: tuple[BackgroundQuestion, ...] = ()
    attention_checks: tuple[AttentionCheck, ...] = ()
    scales: dict[str, Scale] = field(default_factory=dict)
    not_applicable: NotApplicable | None = None
    consent: Consent | None = None
    path: Path | None = None
    sha256: str = ""
    warnings: tuple[str, ...] = ()
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    def mechanism(self, mid: str) -> Mechanism:
        if mid not in self.mechanisms:
            raise SpecError(
                f"{self._where()}: there is no mechanism '{mid}'; expected one of: {', '.join(self.mechanisms)}"
            )
        return self.mechanisms[mid]

    def select(self, mechanism: str | None) -> list[Mechanism]:
        """All mechanisms, or the one named (``None`` means all)."""
        return list(self.mechanisms.values()) if mechanism is None else [self.mechanism(mechanism)]

    def attention_checks_for(self, mid: str) -> list[AttentionCheck]:
        return [a for a in self.attention_checks if not a.mechanisms or mid in a.mechanisms]

    def questions_for(self, mid: str, section: str | None = None) -> list[BackgroundQuestion]:
        """The coded questions mechanism ``mid`` asks (consent, screeners, background), in spec order.

        ``background`` holds every such question of the spec; this keeps those
        asked in ``mid`` and, given ``section``, only that section.
        """
        return [q for q in self.background if q.asked_in(mid) and (section is None or q.section == section)]

    def scale_of(self, construct: Construct) -> Scale:
        """The scale a construct's items are answered on (the default scale unless it names another)."""
        return construct.scale or self.scale

    def item_scale(self, item_id: str) -> Scale:
        """The scale of an item, by id (the default scale for an attention check or an unknown id)."""
        for m in self.mechanisms.values():
            for c in m.constructs.values():
                if item_id in c.item_ids:
                    return self.scale_of(c)
        return self.scale

    def not_applicable_items(self, mid: str | None = None) -> list[str]:
        """Ids of the items that offer a "not applicable" answer (of one mechanism, or all)."""
        return [it.id for m in self.select(mid) for c in m.constructs.values() for it in c.items if it.not_applicable]

    def markers_for(self, mid: str) -> list[BackgroundQuestion]:
        """The background questions marked ``marker: true`` that mechanism ``mid`` asks, in spec order."""
        return [q for q in self.questions_for(mid, "background") if q.marker]

    @property
    def group_question(self) -> BackgroundQuestion | None:
        """The background question marked ``role: group`` (the platform), if any."""
        for q in self.background:
            if q.role == "group":
                return q
        return None

    def _where(self) -> str:
        return str(self.path) if self.path else "<spec>"


# --------------------------------------------------------------------------- loading


def load_spec(path: str | Path | None = None) -> ModelSpec:
    """Load and validate a model spec.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file. ``None`` loads the bundled short-video value co-creation model.

    Returns
    -------
    ModelSpec
        ``warnings`` lists problems that do not stop the run (a construct with
        fewer than 3 items, say).

    Raises
    ------
    SpecError
        Listing every problem found, each naming the file and the key.
    """
    p = Path(path) if path is not None else default_spec_path()
    if not p.exists():
        raise SpecError(f"{p}: the model spec file does not exist")
    if p.is_dir():
        raise SpecError(f"{p}: is a folder; expected a YAML model spec file")
    data = p.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{p}: is not UTF-8 text (byte {exc.start}); save the spec as UTF-8") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{p}: is not valid YAML{where}: {problem}") from None
    return _Builder(p, raw, hashlib.sha256(data).hexdigest()).build()


def _fold(s: str) -> str:
    """Case- and width-insensitive key (full-width letters and digits fold to ASCII)."""
    import unicodedata

    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(s))).strip().casefold()


class _Builder:
    def __init__(self, path: Path, raw: Any, sha: str):
        self.path = path
        self.raw = raw
        self.sha = sha
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self._qkeys: dict[int, str] = {}

    # -- helpers
    def err(self, key: str, msg: str) -> None:
        self.errors.append(f"{key}: {msg}" if key else msg)

    def warn(self, key: str, msg: str) -> None:
        self.warnings.append(f"{self.path}: {key}: {msg}")

    def mapping(self, node: Any, key: str, required: bool = True) -> dict:
        if node is None:
            if required:
                self.err(key, "is missing; expected a mapping")
            return {}
        if not isinstance(node, dict):
            self.err(key, f"expected a mapping, found {type(node).__name__} {node!r:.60}")
            return {}
        return node

    def text(self, node: Any, key: str, required: bool = True) -> dict[str, str]:
        """A bilingual text: ``{en: ..., zh: ...}``; a plain string is English only."""
        if node is None:
            if required:
                self.err(key, "is missing; expected {en: ..., zh: ...}")
            return {}
        if isinstance(node, str):
            node = {"en": node}
        if not isinstance(node, dict):
            self.err(key, f"expected {{en: ..., zh: ...}}, found {node!r:.60}")
            return {}
        out = {}
        for lang in LANGUAGES:
            v = node.get(lang)
            if v is None or not str(v).strip():
                name = {"en": "English", "zh": "Chinese (zh)"}[lang]
                self.err(f"{key}.{lang}", f"missing {name} translation")
            else:
                out[lang] = str(v).strip()
        for lang in node:
            if lang not in LANGUAGES:
                self.err(f"{key}.{lang}", f"unknown language '{lang}'; expected one of {', '.join(LANGUAGES)}")
        return out

    def ident(self, value: Any, key: str) -> str | None:
        if not isinstance(value, str) or not _ID.match(value):
            self.err(key, f"{value!r} is not a valid id; expected a letter followed by letters, digits or _")
            return None
        return value

    def known_keys(self, node: dict, key: str, known: set[str], what: str = "unknown key") -> None:
        """Warn about keys this version does not read (a typo would otherwise be ignored silently).

        The warning names the closest known key (``moderation`` -> ``moderations``).
        """
        import difflib

        for k in node:
            if k not in known:
                close = difflib.get_close_matches(str(k), sorted(known), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'? " if close else ""
                self.warn(
                    f"{key}.{k}" if key else str(k), f"{what}; {hint}(known: {', '.join(sorted(known))}); ignored"
                )

    # -- sections
    def build(self) -> ModelSpec:
        raw = self.raw
        if raw is None:
            raise SpecError(f"{self.path}: the model spec is empty")
        if not isinstance(raw, dict):
            raise SpecError(
                f"{self.path}: expected a mapping with keys scale and mechanisms at the top, found {type(raw).__name__}"
            )
        known = {
            "name",
            "title",
            "version",
            "description",
            "scale",
            "scales",
            "not_applicable",
            "consent",
            "screeners",
            "background",
            "attention_checks",
            "mechanisms",
            "references",
            "notes",
        }
        self.known_keys(raw, "", known, "unknown top-level key")
        scale = self.scale(raw.get("scale"))
        scales = self.named_scales(raw.get("scales"), scale)
        na = self.not_applicable(raw.get("not_applicable"), scale)
        mids = [m for m in (raw.get("mechanisms") or {})] if isinstance(raw.get("mechanisms"), dict) else []
        questions: list[BackgroundQuestion] = []
        consent = self.consent(raw.get("consent"), mids)
        if consent is not None:
            questions.append(consent.question)
        questions += self.questions(raw.get("screeners"), "screeners", "screener", (), mids)
        questions += self.questions(raw.get("background"), "background", "background", (), mids)
        mechanisms, extra_q, extra_checks = self.mechanisms(raw.get("mechanisms"), scale, scales, mids)
        questions += extra_q
        checks = self.attention(raw.get("attention_checks"), scale, mechanisms, "attention_checks")
        checks += extra_checks
        self.check_questions(questions, mechanisms)
        self.check_controls(mechanisms, questions)
        self.check_markers(mechanisms, questions)
        self.check_attention(checks, mechanisms, scale)
        self.unique_ids(mechanisms, questions, checks)
        title = raw.get("title")
        title = self.text(title, "title") if title is not None else {"en": str(raw.get("name", self.path.stem))}
        if self.errors:
            raise SpecError(
                f"{self.path}: the model spec has {len(self.errors)} problem{'s' if len(self.errors) > 1 else ''}",
                self.errors,
            )
        return ModelSpec(
            name=str(raw.get("name", self.path.stem)),
            title=title,
            scale=scale,
            mechanisms=mechanisms,
            background=tuple(_ordered(questions)),
            attention_checks=tuple(checks),
            scales=scales,
            not_applicable=na,
            consent=consent,
            path=self.path,
            sha256=self.sha,
            warnings=tuple(self.warnings),
            raw=raw,
        )

    def scale(self, node: Any, key: str = "scale", name: str = "default", default: Scale | None = None) -> Scale:
        node = self.mapping(node, key)
        if node:
            self.known_keys(node, key, {"min", "max", "labels", "kind", "prompt"})
        lo, hi = node.get("min"), node.get("max")
        ok = True
        for k, v in (("min", lo), ("max", hi)):
            if isinstance(v, bool) or not isinstance(v, int):
                if node:
                    self.err(f"{key}.{k}", f"{v!r} is not a whole number; expected e.g. 1 and 7")
                ok = False
        if ok and hi <= lo:
            self.err(key, f"max ({hi}) must be greater than min ({lo})")
            ok = False
        if ok and default is not None and (lo, hi) != (default.min, default.max):
            self.err(
                key,
                f"has the codes {lo}-{hi}; expected the codes of the spec's scale "
                f"({default.min}-{default.max}): every scale shares the codes, only the labels differ",
            )
        labels: dict[str, list[str]] = {}
        lab = self.mapping(node.get("labels"), f"{key}.labels") if node else {}
        for lang in LANGUAGES if lab else ():
            vals = lab.get(lang)
            if not isinstance(vals, list):
                self.err(f"{key}.labels.{lang}", "is missing; expected a list with one label per scale point")
                continue
            if ok and len(vals) != hi - lo + 1:
                self.err(
                    f"{key}.labels.{lang}", f"has {len(vals)} labels; expected {hi - lo + 1} for the scale {lo}-{hi}"
                )
            labels[lang] = [str(v) for v in vals]
        kind = node.get("kind", "agreement" if name == "default" else "other")
        if kind not in SCALE_KINDS:
            self.err(f"{key}.kind", f"unknown kind {kind!r}; expected one of {', '.join(SCALE_KINDS)}")
            kind = "other"
        prompt = self.text(node["prompt"], f"{key}.prompt") if node.get("prompt") is not None else None
        if not ok:
            lo, hi = 1, 7
        return Scale(int(lo), int(hi), labels, name, str(kind), prompt)

    def named_scales(self, node: Any, default: Scale) -> dict[str, Scale]:
        """``scales: {frequency: {kind: frequency, min: 1, max: 7, labels: ...}}``."""
        if node is None:
            return {}
        if not isinstance(node, dict):
            self.err("scales", "expected a mapping of scale names to scales, e.g. {frequency: {min: 1, ...}}")
            return {}
        out = {}
        for name, sc in node.items():
            key = f"scales.{name}"
            if self.ident(name, key) is None:
                continue
            if name == "default":
                self.err(key, "'default' names the spec's own scale (the key scale); choose another name")
                continue
            out[str(name)] = self.scale(sc, key, str(name), default)
        return out

    def not_applicable(self, node: Any, scale: Scale) -> NotApplicable:
        """``not_applicable: {code: 8, label: {en: ..., zh: ...}}``; the defaults: max + 1, "Not applicable"."""
        default_label = {"en": "Not applicable", "zh": "不适用"}
        if node is None:
            return NotApplicable(scale.max + 1, default_label)
        node = self.mapping(node, "not_applicable")
        self.known_keys(node, "not_applicable", {"code", "label"})
        code = node.get("code", scale.max + 1)
        if isinstance(code, bool) or not isinstance(code, int):
            self.err("not_applicable.code", f"{code!r} is not a whole number; expected e.g. {scale.max + 1}")
            code = scale.max + 1
        elif scale.min <= code <= scale.max:
            self.err(
                "not_applicable.code",
                f"{code} is a code of the scale {scale.min}-{scale.max}; expected a "
                f"code outside it (e.g. {scale.max + 1}), so 'not applicable' is never read as an answer",
            )
        label = self.text(node["label"], "not_applicable.label") if node.get("label") is not None else default_label
        return NotApplicable(int(code), label)

    def consent(self, node: Any, mids: list[str]) -> Consent | None:
        """``consent: {text: {en, zh}, question?: {en, zh}, agree?: {en, zh}, decline?: {en, zh}, id?: consent}``."""
        if node is None:
            return None
        node = self.mapping(node, "consent")
        if not node:
            if isinstance(self.raw.get("consent"), dict):
                self.err("consent.text", "is missing; expected the information text {en: ..., zh: ...}")
            return None
        self.known_keys(node, "consent", {"id", "text", "question", "agree", "decline"})
        qid = self.ident(node.get("id", "consent"), "consent.id") or "consent"
        text = self.text(node.get("text"), "consent.text")
        question = (
            self.text(node["question"], "consent.question")
            if node.get("question") is not None
            else {
                "en": "Having read the information above, do you agree to take part in this survey?",
                "zh": "阅读以上说明后，您是否同意参与本次调查？",
            }
        )
        agree = (
            self.text(node["agree"], "consent.agree")
            if node.get("agree") is not None
            else {"en": "Yes, I am 18 or older and agree to take part", "zh": "是，我已年满18周岁并同意参与"}
        )
        decline = (
            self.text(node["decline"], "consent.decline")
            if node.get("decline") is not None
            else {"en": "No, I do not agree", "zh": "否，我不同意"}
        )
        q = BackgroundQuestion(
            qid,
            question,
            "single",
            (Choice(1, agree), Choice(2, decline)),
            section="consent",
            continue_if={m: (1,) for m in mids},
        )
        return Consent(text, q)

    def questions(
        self, node: Any, key: str, section: str, mechanisms: tuple[str, ...], mids: list[str]
    ) -> list[BackgroundQuestion]:
        """Screeners or background questions (a list), shared (``mechanisms=()``) or of one mechanism."""
        if node is None:
            return []
        if not isinstance(node, list):
            self.err(key, "expected a list of questions")
            return []
        out = []
        known = {
            "id",
            "text",
            "type",
            "choices",
            "role",
            "position",
            "ask_if",
            "text_by_mechanism",
            "min",
            "max",
            "hint",
            "marker",
        } | ({"continue_if"} if section == "screener" else set())
        for i, q in enumerate(node):
            qkey = f"{key}[{i}]"
            q = self.mapping(q, qkey)
            if not q:
                continue
            qid = self.ident(q.get("id"), f"{qkey}.id")
            qkey = f"{key}.{qid}" if qid else qkey
            self.known_keys(q, qkey, known)
            qtype = q.get("type", "single")
            if qtype not in QUESTION_TYPES:
                self.err(f"{qkey}.type", f"unknown type {qtype!r}; expected one of {', '.join(QUESTION_TYPES)}")
            choices = []
            raw_choices = q.get("choices") or []
            if qtype in ("single", "multiple") and not raw_choices:
                self.err(f"{qkey}.choices", "a single- or multiple-choice question needs choices")
            if not isinstance(raw_choices, list):
                self.err(f"{qkey}.choices", "expected a list of choices")
                raw_choices = []
            for j, ch in enumerate(raw_choices):
                ck = f"{qkey}.choices[{j}]"
                ch = self.mapping(ch, ck)
                self.known_keys(ch, ck, {"code", "label", "specify"})
                code = ch.get("code", j + 1)
                if isinstance(code, bool) or not isinstance(code, int):
                    self.err(f"{ck}.code", f"{code!r} is not a whole number")
                    code = j + 1
                spec_ = ch.get("specify", False)
                if not isinstance(spec_, bool):
                    self.err(f"{ck}.specify", f"{spec_!r} is not true or false")
                    spec_ = False
                choices.append(Choice(code, self.text(ch.get("label"), f"{ck}.label"), spec_))
            codes = [c.code for c in choices]
            if len(set(codes)) != len(codes):
                self.err(f"{qkey}.choices", f"duplicate choice codes {sorted(codes)}")
            role = q.get("role")
            if role not in (None, "group"):
                self.err(f"{qkey}.role", f"unknown role {role!r}; expected 'group' or nothing")
            position = q.get("position", "start")
            if position not in POSITIONS:
                self.err(f"{qkey}.position", f"unknown position {position!r}; expected start or end")
                position = "start"
            if section == "screener" and "position" in q and position != "start":
                self.err(f"{qkey}.position", "screeners come before the survey; expected start or nothing")
            cont: dict[str, tuple[int, ...]] = {}
            if section == "screener":
                cont = self.continue_if(
                    q.get("continue_if"), f"{qkey}.continue_if", codes, mechanisms or tuple(mids), qtype
                )
            ask = None
            if q.get("ask_if") is not None:
                a = self.mapping(q["ask_if"], f"{qkey}.ask_if")
                self.known_keys(a, f"{qkey}.ask_if", {"question", "answers"})
                ans = a.get("answers")
                ans = ans if isinstance(ans, list) else [ans]
                if not all(isinstance(v, int) and not isinstance(v, bool) for v in ans) or not ans:
                    self.err(f"{qkey}.ask_if.answers", f"{a.get('answers')!r}: expected a list of answer codes")
                    ans = []
                ask = Condition(str(a.get("question")), tuple(ans))
            by_mech = {}
            tbm = q.get("text_by_mechanism")
            if tbm is not None:
                tbm = self.mapping(tbm, f"{qkey}.text_by_mechanism")
                for mm, t in tbm.items():
                    if mm not in mids:
                        self.err(
                            f"{qkey}.text_by_mechanism.{mm}",
                            f"unknown mechanism '{mm}'; expected one of {', '.join(mids)}",
                        )
                    by_mech[str(mm)] = self.text(t, f"{qkey}.text_by_mechanism.{mm}")
            bounds = []
            for b in ("min", "max"):
                v = q.get(b)
                if v is not None and qtype != "number":
                    self.err(f"{qkey}.{b}", f"only a number question has {b}; this one is {qtype}")
                    v = None
                if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                    self.err(f"{qkey}.{b}", f"{v!r} is not a number")
                    v = None
                bounds.append(None if v is None else float(v))
            if None not in bounds and bounds[0] >= bounds[1]:
                self.err(f"{qkey}.max", f"max ({bounds[1]:g}) must be greater than min ({bounds[0]:g})")
            hint = self.text(q["hint"], f"{qkey}.hint") if q.get("hint") is not None else None
            marker = self.marker(q, qkey, section, qtype, role, choices)
            out.append(
                BackgroundQuestion(
                    qid or f"Q{i + 1}",
                    self.text(q.get("text"), f"{qkey}.text"),
                    str(qtype),
                    tuple(choices),
                    role,
                    section,
                    str(position),
                    mechanisms,
                    cont,
                    ask,
                    by_mech,
                    bounds[0],
                    bounds[1],
                    hint,
                    marker,
                )
            )
            self._qkeys[id(out[-1])] = qkey
        return out

    def marker(self, q: dict, qkey: str, section: str, qtype: Any, role: Any, choices: list[Choice]) -> bool:
        """``marker: true``: a numeric background question used as a marker variable for common method bias.

        A marker is theoretically unrelated to the constructs and answered in the same survey
        (Lindell & Whitney, 2001; Williams et al., 2010): a number question, or a single choice whose
        codes are ordered (e.g. a 1-7 agreement item asked outside the constructs' matrix).
        """
        if "marker" not in q:
            return False
        flag = self.flag(q, "marker", qkey)
        if not flag:
            return False
        if section != "background":
            self.err(
                f"{qkey}.marker",
                f"a {section} cannot be a marker variable; declare marker: true on a "
                "background question (a number or a single choice with ordered codes)",
            )
            return False
        if qtype not in ("number", "single"):
            self.err(
                f"{qkey}.marker",
                f"a marker variable must be numeric, but this question is {qtype}; expected "
                "type number, or single with ordered codes (e.g. 1-7)",
            )
            return False
        if role == "group":
            self.err(
                f"{qkey}.marker",
                "the group question (role: group) names categories, not amounts; it cannot be a marker variable",
            )
            return False
        if qtype == "single" and 0 < len(choices) < 3:
            self.warn(
                f"{qkey}.marker",
                f"the marker has only {len(choices)} answers; its correlations are "
                "point-biserial and a weak estimate of common method variance (3 or more ordered answers, "
                "or a number, are recommended)",
            )
        return True

    def check_markers(self, mechanisms: dict[str, Mechanism], questions: list[BackgroundQuestion]) -> None:
        """A marker is theoretically unrelated to the constructs, so it cannot also be a control of the model."""
        markers = {q.id: q for q in questions if q.marker}
        for mid, m in mechanisms.items():
            for i, ctl in enumerate(m.controls):
                q = markers.get(ctl.variable)
                if q is not None and q.asked_in(mid):
                    self.err(
                        f"mechanisms.{mid}.controls[{i}].variable",
                        f"'{ctl.variable}' is a marker variable (marker: true), which by design is unrelated "
                        "to the constructs; a control is a cause the model adjusts for. Use it as one or the "
                        "other",
                    )

    def continue_if(
        self, node: Any, key: str, codes: list[int], mechs: tuple[str, ...], qtype: str
    ) -> dict[str, tuple[int, ...]]:
        """``continue_if: [1]`` (every mechanism) or ``{producer: [1, 3], consumer: [2]}`` (routing)."""
        if node is None:
            self.err(
                key,
                "is missing; a screener names the answers that go on to the survey, e.g. "
                "continue_if: [1] (or per mechanism: {producer: [1, 3], consumer: [2]})",
            )
            return {}
        if qtype != "single":
            self.err(key, f"only a single-choice screener can end the survey; this one is {qtype}")
            return {}

        def codes_of(v, k):
            v = v if isinstance(v, list) else [v]
            good = []
            for x in v:
                if isinstance(x, bool) or not isinstance(x, int) or x not in codes:
                    self.err(
                        k, f"{x!r} is not a choice code of this question; expected one of {', '.join(map(str, codes))}"
                    )
                else:
                    good.append(x)
            if not good and v:
                return ()
            if set(good) >= set(codes):
                self.warn(k, "every answer continues, so this screener screens nobody out")
            return tuple(good)

        if isinstance(node, dict):
            out = {}
            for m, v in node.items():
                if m not in mechs:
                    self.err(f"{key}.{m}", f"unknown mechanism '{m}'; expected one of {', '.join(mechs)}")
                    continue
                out[str(m)] = codes_of(v, f"{key}.{m}")
            for m in mechs:
                if m not in out and m not in node:
                    self.err(
                        key,
                        f"names no answers for mechanism '{m}'; routing lists every mechanism that "
                        "asks the screener (add '" + m + ": [...]')",
                    )
            return out
        return {m: codes_of(node, key) for m in mechs}

    def check_questions(self, questions: list[BackgroundQuestion], mechanisms: dict[str, Mechanism]) -> None:
        """``ask_if`` names an earlier single- or multiple-choice question asked wherever this one is."""
        seen: dict[str, BackgroundQuestion] = {}
        for q in _ordered(questions):
            key = self._qkeys.get(id(q), f"background.{q.id}")
            if q.ask_if is not None:
                k = f"{key}.ask_if.question"
                src = seen.get(q.ask_if.question)
                if src is None:
                    self.err(
                        k,
                        f"'{q.ask_if.question}' is not a question asked before {q.id}; expected the id "
                        "of an earlier screener or background question",
                    )
                else:
                    if src.type not in ("single", "multiple"):
                        self.err(
                            k, f"'{src.id}' is a {src.type} question; expected a single- or multiple-choice question"
                        )
                    if src.mechanisms and not (q.mechanisms and set(q.mechanisms) <= set(src.mechanisms)):
                        self.err(
                            k,
                            f"'{src.id}' is asked only in {', '.join(src.mechanisms)}, "
                            f"but {q.id} is asked in every mechanism",
                        )
                    bad = [a for a in q.ask_if.answers if a not in [c.code for c in src.choices]]
                    if bad:
                        self.err(
                            f"{key}.ask_if.answers",
                            f"{', '.join(map(str, bad))} is not a choice code of "
                            f"'{src.id}'; expected one of {', '.join(str(c.code) for c in src.choices)}",
                        )
            seen[q.id] = q
        groups = [q for q in questions if q.role == "group"]
        if len(groups) > 1:
            self.err("background", "more than one question has role: group; expected at most one")
        for q in groups:
            if q.mechanisms or q.ask_if is not None:
                self.err(
                    f"{self._qkeys.get(id(q), q.id)}.role",
                    "the group question must be asked of everyone in every mechanism (shared, without ask_if)",
                )

    def mechanisms(self, node: Any, scale: Scale, scales: dict[str, Scale], mids: list[str]):
        """The mechanisms, plus the screeners, background questions and attention checks they add."""
        node = self.mapping(node, "mechanisms")
        if isinstance(self.raw.get("mechanisms"), dict) and not node:
            self.err("mechanisms", "is empty; expected at least one mechanism")
        out = {}
        questions: list[BackgroundQuestion] = []
        checks: list[tuple[Any, str]] = []
        for mid, m in node.items():
            key = f"mechanisms.{mid}"
            if self.ident(mid, key) is None:
                continue
            m = self.mapping(m, key)
            if not m:
                continue
            self.known_keys(
                m,
                key,
                {
                    "label",
                    "respondent",
                    "instructions",
                    "constructs",
                    "paths",
                    "direct_paths",
                    "expected_std",
                    "screeners",
                    "background",
                    "attention_checks",
                    "moderations",
                    "controls",
                },
            )
            questions += self.questions(m.get("screeners"), f"{key}.screeners", "screener", (str(mid),), mids)
            questions += self.questions(m.get("background"), f"{key}.background", "background", (str(mid),), mids)
            if m.get("attention_checks") is not None:
                checks.append((m.get("attention_checks"), str(mid)))
            constructs: dict[str, Construct] = {}
            cnode = self.mapping(m.get("constructs"), f"{key}.constructs")
            if m.get("constructs") is not None and not cnode and isinstance(m.get("constructs"), dict):
                self.err(f"{key}.constructs", "is empty; expected at least one construct")
            for cid, c in cnode.items():
                ckey = f"{key}.constructs.{cid}"
                if self.ident(cid, ckey) is None:
                    continue
                c = self.mapping(c, ckey)
                if not c:
                    continue
                self.known_keys(
                    c,
                    ckey,
                    {
                        "label",
                        "stage",
                        "items",
                        "source",
                        "definition",
                        "scale",
                        "period",
                        "not_applicable",
                        "randomize",
                        "mode",
                        "dimensions",
                        "marker",
                    },
                )
                if c.get("marker") is not None and c.get("marker") is not False:
                    self.err(
                        f"{ckey}.marker",
                        "a construct of the model cannot be the marker variable; ask the "
                        "marker items as background questions with marker: true (type single with ordered "
                        "codes, or type number): several marker questions measure one marker factor",
                    )
                stage = c.get("stage")
                if stage not in STAGES:
                    self.err(f"{ckey}.stage", f"unknown stage {stage!r}; expected one of {' | '.join(STAGES)}")
                cscale = None
                if c.get("scale") is not None and c.get("scale") != "default":
                    cscale = scales.get(str(c.get("scale")))
                    if cscale is None:
                        self.err(
                            f"{ckey}.scale",
                            f"unknown scale {c.get('scale')!r}; expected default"
                            + (
                                " or one of the scales: " + ", ".join(scales)
                                if scales
                                else " (declare other scales under the top-level key scales)"
                            ),
                        )
                period = self.text(c["period"], f"{ckey}.period") if c.get("period") is not None else None
                if cscale is not None and cscale.kind == "frequency" and period is None:
                    self.err(
                        f"{ckey}.period",
                        f"a construct on the frequency scale '{cscale.name}' needs a "
                        'reference period, e.g. period: {en: "the past 3 months", zh: "过去3个月"}',
                    )
                c_na = self.flag(c, "not_applicable", ckey)
                randomize = c.get("randomize")
                if randomize not in (None, "items", False, "none"):
                    self.err(f"{ckey}.randomize", f"{randomize!r} is not supported; expected items (or none)")
                mode = c.get("mode", "reflective")
                if mode not in MODES:
                    self.err(f"{ckey}.mode", f"unknown mode {mode!r}; expected reflective or formative")
                    mode = "reflective"
                items = []
                inode = c.get("items")
                dims = self.dimensions(c, ckey)
                if dims is not None:
                    if inode is not None:
                        self.err(
                            f"{ckey}.items",
                            "a second-order construct (with dimensions) has no items of its "
                            "own; remove items or dimensions",
                        )
                    inode = None
                elif not isinstance(inode, list):
                    self.err(
                        f"{ckey}.items",
                        "is missing; expected a list of items (or dimensions: [...] for a second-order construct)",
                    )
                    inode = []
                for j, it in enumerate(inode or []):
                    ikey = f"{ckey}.items[{j}]"
                    it = self.mapping(it, ikey)
                    if not it:
                        continue
                    self.known_keys(
                        it,
                        ikey,
                        {"id", "text", "reverse", "source", "adaptation", "original", "not_applicable", "marker"},
                    )
                    if it.get("marker") is not None and it.get("marker") is not False:
                        self.err(
                            f"{ikey}.marker",
                            "an item of a construct measures that construct, so it cannot be "
                            "the marker variable; ask the marker item as a background question with marker: "
                            "true (type single with ordered codes such as 1-7, or type number), which keeps it "
                            "out of the constructs' CFA",
                        )
                    iid = self.ident(it.get("id"), f"{ikey}.id")
                    rev = self.flag(it, "reverse", ikey)
                    adaptation = it.get("adaptation")
                    if adaptation is not None and adaptation not in ADAPTATIONS:
                        self.err(f"{ikey}.adaptation", f"{adaptation!r}; expected one of {', '.join(ADAPTATIONS)}")
                        adaptation = None
                    src = _opt_str(it.get("source"))
                    if adaptation in ("adopted", "adapted") and not (src or c.get("source")):
                        self.warn(
                            f"{ikey}.source",
                            f"the item is {adaptation} but names no source (on the item "
                            "or its construct); name the work whose item it takes",
                        )
                    na = self.flag(it, "not_applicable", ikey) or c_na
                    items.append(
                        Item(
                            iid or f"?{j}",
                            self.text(it.get("text"), f"{ikey}.text"),
                            str(cid),
                            rev,
                            src,
                            adaptation,
                            _opt_str(it.get("original")),
                            na,
                        )
                    )
                if inode is None:
                    pass
                elif len(inode) < 2:
                    self.err(
                        f"{ckey}.items",
                        f"has {len(inode)} item{'s' if len(inode) != 1 else ''}; "
                        "a construct needs at least 2 (3 or more recommended)",
                    )
                elif len(inode) < 3:
                    self.warn(
                        f"{ckey}.items",
                        f"has only {len(inode)} items; 3 or more are recommended for a stable latent variable",
                    )
                constructs[str(cid)] = Construct(
                    str(cid),
                    self.text(c.get("label"), f"{ckey}.label"),
                    str(stage),
                    tuple(items),
                    _opt_str(c.get("source")),
                    self.text(c["definition"], f"{ckey}.definition") if c.get("definition") else None,
                    cscale,
                    period,
                    c_na,
                    randomize == "items",
                    str(mode),
                    tuple(dims or ()),
                )
            self.check_dimensions(constructs, f"{key}.constructs")
            paths = self.paths(m.get("paths"), f"{key}.paths", constructs)
            direct = self.paths(m.get("direct_paths"), f"{key}.direct_paths", constructs, direct=True)
            self.acyclic(paths + direct, key)
            self.check_dimension_paths(constructs, paths + direct, key)
            moderations = self.moderations(m.get("moderations"), f"{key}.moderations", constructs, paths + direct)
            controls = self.controls(m.get("controls"), f"{key}.controls", constructs)
            expected = self.expected(m.get("expected_std"), f"{key}.expected_std", paths + direct)
            paths = [PathSpec(p.source, p.target, f"H{i + 1}", False, expected(p)) for i, p in enumerate(paths)]
            direct = [
                PathSpec(p.source, p.target, f"H{len(paths) + i + 1}", True, expected(p, explicit=True))
                for i, p in enumerate(direct)
            ]
            out[str(mid)] = Mechanism(
                str(mid),
                self.text(m.get("label"), f"{key}.label"),
                constructs,
                tuple(paths),
                tuple(direct),
                self.text(m["respondent"], f"{key}.respondent") if m.get("respondent") else None,
                self.text(m["instructions"], f"{key}.instructions") if m.get("instructions") else None,
                tuple(moderations),
                tuple(controls),
            )
        extra = []
        for node_, mid in checks:
            extra += self.attention(node_, scale, out, f"mechanisms.{mid}.attention_checks", mid)
        return out, questions, extra

    # -- richer models: second-order constructs, moderations, controls
    def dimensions(self, c: dict, ckey: str) -> list[str] | None:
        """``dimensions: [A, B, C]`` of a second-order construct (None when the key is absent)."""
        if "dimensions" not in c:
            return None
        d = c.get("dimensions")
        if not isinstance(d, list) or not all(isinstance(x, str) for x in d):
            self.err(f"{ckey}.dimensions", f"{d!r:.60} is not a list of construct ids; expected e.g. [COST, REV, EXP]")
            return []
        if len(set(d)) != len(d):
            self.err(
                f"{ckey}.dimensions", f"lists a dimension twice: {', '.join(sorted({x for x in d if d.count(x) > 1}))}"
            )
        if len(d) < 2:
            self.err(
                f"{ckey}.dimensions",
                f"has {len(d)} dimension{'s' if len(d) != 1 else ''}; a second-order "
                "construct needs at least 2 (3 or more to be identified on its own)",
            )
        elif len(d) == 2:
            self.warn(
                f"{ckey}.dimensions",
                "has only 2 dimensions; a second-order factor with 2 dimensions is "
                "identified only through its paths to other constructs (3 or more recommended)",
            )
        return list(d)

    def check_dimensions(self, constructs: dict[str, Construct], key: str) -> None:
        owner: dict[str, str] = {}
        for c in constructs.values():
            for j, d in enumerate(c.dimensions):
                dk = f"{key}.{c.id}.dimensions[{j}]"
                if d == c.id:
                    self.err(dk, f"'{d}' is the construct itself; a dimension must be another construct")
                elif d not in constructs:
                    self.err(
                        dk,
                        f"'{d}' is not a construct of this mechanism; expected one of: "
                        f"{', '.join(k for k in constructs if k != c.id) or '(none declared)'}",
                    )
                elif constructs[d].second_order:
                    self.err(
                        dk,
                        f"'{d}' is itself a second-order construct; dimensions must be measured by items "
                        "(third-order constructs are not supported)",
                    )
                elif d in owner and owner[d] != c.id:
                    self.err(
                        dk,
                        f"'{d}' is already a dimension of {owner[d]}; a dimension belongs to one "
                        "second-order construct",
                    )
                else:
                    owner[d] = c.id

    def check_dimension_paths(self, constructs: dict[str, Construct], paths: list[PathSpec], key: str) -> None:
        for c in constructs.values():
            for p in paths:
                if (p.source == c.id and p.target in c.dimensions) or (p.target == c.id and p.source in c.dimensions):
                    self.err(
                        f"{key}.paths",
                        f"'{p}' joins the second-order construct {c.id} and its own dimension "
                        f"{p.source if p.target == c.id else p.target}; the dimension is already part of "
                        f"{c.id} (drop the path or the dimension)",
                    )

    def moderations(
        self, node: Any, key: str, constructs: dict[str, Construct], paths: list[PathSpec]
    ) -> list[Moderation]:
        if node is None:
            return []
        if not isinstance(node, list):
            self.err(key, 'expected a list like [{path: "ACT -> REV", moderator: EDR}]')
            return []
        out, seen = [], set()
        known = {(p.source, p.target) for p in paths}
        for i, mnode in enumerate(node):
            mk = f"{key}[{i}]"
            mnode = self.mapping(mnode, mk)
            if not mnode:
                continue
            self.known_keys(mnode, mk, {"path", "moderator"})
            pm = _PATH.match(mnode["path"]) if isinstance(mnode.get("path"), str) else None
            mod = mnode.get("moderator")
            if not pm:
                self.err(f"{mk}.path", f'{mnode.get("path")!r} is not a path; expected "FROM -> TO", one of the paths')
                continue
            a, b = pm.groups()
            if (a, b) not in known:
                self.err(
                    f"{mk}.path",
                    f"'{a} -> {b}' is not one of this mechanism's paths or direct_paths; "
                    "add it under paths (a moderator moderates a path of the model)",
                )
                continue
            if not isinstance(mod, str) or mod not in constructs:
                self.err(
                    f"{mk}.moderator",
                    f"{mod!r} is not a construct of this mechanism (a moderator must be in the "
                    f"model); expected one of: {', '.join(constructs)}",
                )
                continue
            if mod in (a, b):
                self.err(
                    f"{mk}.moderator",
                    f"'{mod}' is an end of the path '{a} -> {b}' it moderates; expected a third construct",
                )
                continue
            bad = False
            for role, cid in (("moderator", mod), ("path's source", a)):
                if constructs[cid].second_order:
                    self.err(
                        f"{mk}.{'moderator' if role == 'moderator' else 'path'}",
                        f"the {role} '{cid}' is a second-order construct; latent moderation with product "
                        "indicators needs constructs measured by items",
                    )
                    bad = True
            if (a, b, mod) in seen:
                self.err(mk, f"'{mod}' moderating '{a} -> {b}' is listed twice")
                bad = True
            seen.add((a, b, mod))
            if not bad:
                out.append(Moderation(a, b, mod))
        return out

    def controls(self, node: Any, key: str, constructs: dict[str, Construct]) -> list[Control]:
        if node is None:
            return []
        if not isinstance(node, list):
            self.err(key, "expected a list like [{variable: tenure, on: [REV, COMP]}]")
            return []
        out, seen = [], set()
        for i, cnode in enumerate(node):
            ck = f"{key}[{i}]"
            cnode = self.mapping(cnode, ck)
            if not cnode:
                continue
            self.known_keys(cnode, ck, {"variable", "on"})
            var = self.ident(cnode.get("variable"), f"{ck}.variable")
            on = cnode.get("on")
            if isinstance(on, str):
                on = [on]
            if not isinstance(on, list) or not on:
                self.err(f"{ck}.on", f"{on!r:.60} is not a list of constructs; expected e.g. [REV, COMP]")
                continue
            good = []
            for j, t in enumerate(on):
                if not isinstance(t, str) or t not in constructs:
                    self.err(
                        f"{ck}.on[{j}]",
                        f"{t!r} is not a construct of this mechanism; expected one of: {', '.join(constructs)}",
                    )
                elif t in good:
                    self.err(f"{ck}.on[{j}]", f"'{t}' is listed twice")
                else:
                    good.append(t)
            if var is None:
                continue
            if var in constructs:
                self.err(
                    f"{ck}.variable",
                    f"'{var}' is a construct; a control is an observed column (a background question or a data column)",
                )
                continue
            if var in seen:
                self.err(f"{ck}.variable", f"'{var}' is listed twice; put all its constructs in one 'on' list")
                continue
            seen.add(var)
            if len(good) == len(on):
                out.append(Control(var, tuple(good)))
        return out

    def check_controls(self, mechanisms: dict[str, Mechanism], questions: list[BackgroundQuestion]) -> None:
        """A control must be a column: an item, a background question, or (checked on the data) a data column."""
        qs = {q.id: q for q in questions}
        for mid, m in mechanisms.items():
            items = set(m.item_ids)
            for i, ctl in enumerate(m.controls):
                ck = f"mechanisms.{mid}.controls[{i}].variable"
                q = qs.get(ctl.variable)
                if ctl.variable in items:
                    self.err(
                        ck,
                        f"'{ctl.variable}' is an item of a construct; a control is a column outside the "
                        "constructs (a background question or a data column)",
                    )
                elif q is not None and q.type in ("text", "multiple"):
                    self.err(
                        ck,
                        f"'{ctl.variable}' is a {q.type} question; a control needs a number or a coded single choice",
                    )
                elif q is not None and q.type == "single" and len(q.choices) > 2:
                    self.warn(
                        ck,
                        f"'{ctl.variable}' is a single choice with {len(q.choices)} answers; as a control "
                        "its codes are used as numbers (a linear effect of the code); for categories, add "
                        "0/1 columns to the data and name those as controls",
                    )
                elif q is None:
                    self.warn(
                        ck,
                        f"'{ctl.variable}' is not a background question of this spec; the data must "
                        "hold a numeric column of that name (checked when the model is fitted)",
                    )

    def flag(self, node: dict, name: str, key: str) -> bool:
        v = node.get(name, False)
        if not isinstance(v, bool):
            self.err(f"{key}.{name}", f"{v!r} is not true or false")
            return False
        return v

    def paths(self, node: Any, key: str, constructs: dict[str, Construct], direct: bool = False) -> list[PathSpec]:
        if node is None:
            return []
        if not isinstance(node, list):
            self.err(key, 'expected a list of paths like ["PID -> PACT"]')
            return []
        out, seen = [], set()
        for i, p in enumerate(node):
            pk = f"{key}[{i}]"
            m = _PATH.match(p) if isinstance(p, str) else None
            if not m:
                self.err(pk, f'{p!r} is not a path; expected "FROM -> TO"')
                continue
            a, b = m.groups()
            bad = False
            for end in (a, b):
                if end not in constructs:
                    self.err(
                        pk,
                        f"'{p}' names an unknown construct '{end}'; "
                        f"expected one of: {', '.join(constructs) or '(none declared)'}",
                    )
                    bad = True
            if a == b:
                self.err(pk, f"'{p}' is a path from a construct to itself")
                bad = True
            if (a, b) in seen:
                self.err(pk, f"'{p}' is listed twice")
                bad = True
            seen.add((a, b))
            if not bad:
                out.append(PathSpec(a, b, direct=direct))
        return out

    def expected(self, node: Any, key: str, paths: list[PathSpec]):
        """``expected_std: {default: 0.2, "A -> B": 0.3}`` -> a function path -> value or None.

        ``default`` applies to the paths; a direct path has an expected effect only when named
        (full mediation, a direct effect of 0, is the assumption otherwise).
        """
        if node is None:
            return lambda p, explicit=False: None
        if not isinstance(node, dict):
            self.err(key, 'expected a mapping like {default: 0.2, "A -> B": 0.3}')
            return lambda p, explicit=False: None
        known = {(p.source, p.target) for p in paths}
        values: dict = {}
        for k, v in node.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not -1 < v < 1:
                self.err(f"{key}.{k}", f"{v!r} is not a standardised effect; expected a number between -1 and 1")
                continue
            if k == "default":
                values["default"] = float(v)
                continue
            m = _PATH.match(str(k))
            if not m or (m.group(1), m.group(2)) not in known:
                self.err(f"{key}.{k}", f"'{k}' is not one of this mechanism's paths or direct_paths")
                continue
            values[(m.group(1), m.group(2))] = float(v)
        return lambda p, explicit=False: values.get((p.source, p.target), None if explicit else values.get("default"))

    def acyclic(self, paths: list[PathSpec], key: str) -> None:
        graph: dict[str, list[str]] = {}
        for p in paths:
            graph.setdefault(p.source, []).append(p.target)
        state: dict[str, int] = {}

        def visit(node: str, trail: list[str]) -> list[str] | None:
            state[node] = 1
            for nxt in graph.get(node, []):
                if state.get(nxt) == 1:
                    return trail + [node, nxt]
                if state.get(nxt) is None:
                    found = visit(nxt, trail + [node])
                    if found:
                        return found
            state[node] = 2
            return None

        for start in list(graph):
            if state.get(start) is None:
                cyc = visit(start, [])
                if cyc:
                    loop = cyc[cyc.index(cyc[-1]) :]
                    self.err(
                        f"{key}.paths",
                        "the paths form a cycle "
                        + " -> ".join(loop)
                        + "; expected a recursive model (no feedback loops)",
                    )
                    return

    def attention(
        self,
        node: Any,
        scale: Scale,
        mechanisms: dict[str, Mechanism],
        where: str = "attention_checks",
        mid: str | None = None,
    ) -> list[AttentionCheck]:
        if node is None:
            return []
        if not isinstance(node, list):
            self.err(where, "expected a list")
            return []
        out = []
        for i, a in enumerate(node):
            key = f"{where}[{i}]"
            a = self.mapping(a, key)
            if not a:
                continue
            self.known_keys(a, key, {"id", "text", "expected"} | ({"mechanisms"} if mid is None else set()))
            aid = self.ident(a.get("id"), f"{key}.id")
            exp = a.get("expected")
            exp = exp if isinstance(exp, list) else [exp]
            good = []
            for v in exp:
                if isinstance(v, bool) or not isinstance(v, int) or not scale.min <= v <= scale.max:
                    self.err(f"{key}.expected", f"{v!r} is not a code of the scale {scale.min}-{scale.max}")
                else:
                    good.append(v)
            mechs = a.get("mechanisms") or []
            if isinstance(mechs, str):
                mechs = [mechs]
            for mm in mechs:
                if mm not in mechanisms:
                    self.err(f"{key}.mechanisms", f"unknown mechanism '{mm}'; expected one of {', '.join(mechanisms)}")
            if mid is not None:
                mechs = [mid]
            out.append(
                AttentionCheck(aid or f"ATT{i + 1}", self.text(a.get("text"), f"{key}.text"), tuple(good), tuple(mechs))
            )
            self._qkeys[id(out[-1])] = key
        return out

    def check_attention(self, checks: list[AttentionCheck], mechanisms: dict[str, Mechanism], scale: Scale) -> None:
        """An attention check sits in a block on the spec's own scale; warn when a straight line passes them all."""
        for m in mechanisms.values():
            mine = [a for a in checks if not a.mechanisms or m.id in a.mechanisms]
            if not mine:
                continue
            if not any(c.scale is None for c in m.constructs.values()):
                self.err(
                    f"mechanisms.{m.id}",
                    "has attention checks but no construct on the spec's scale; the "
                    "checks are answered on that scale and sit in its item blocks",
                )
            common = set(scale.codes)
            for a in mine:
                common &= set(a.expected)
            if common and all(a.expected for a in mine):
                ids = ", ".join(a.id for a in mine)
                self.warn(
                    f"mechanisms.{m.id}",
                    f"its attention check(s) {ids} are all passed by answering "
                    f"{min(common)} to every statement (a straight line); use two checks that expect "
                    f"different extreme answers, e.g. {scale.min} and {scale.max}",
                )

    def unique_ids(self, mechanisms, background, checks) -> None:
        # Item ids must be unique within the file: a column maps to one item.
        seen: dict[str, str] = {}

        def claim(ident: str, where: str) -> None:
            if ident in seen and seen[ident] != where:
                self.err(where, f"duplicate id '{ident}' (also used at {seen[ident]})")
            else:
                seen.setdefault(ident, where)

        for m in mechanisms.values():
            for c in m.constructs.values():
                for j, it in enumerate(c.items):
                    claim(it.id, f"mechanisms.{m.id}.constructs.{c.id}.items[{j}].id")
        for q in background:
            claim(q.id, f"{self._qkeys.get(id(q), 'background.' + q.id)}.id")
            for ch in q.specify_choices:
                claim(specify_id(q, ch), f"{self._qkeys.get(id(q), 'background.' + q.id)}.choices (specify)")
        for i, a in enumerate(checks):
            claim(a.id, f"{self._qkeys.get(id(a), f'attention_checks[{i}]')}.id")
        for m in mechanisms.values():
            for cid in m.constructs:
                if cid in seen:
                    self.err(
                        f"mechanisms.{m.id}.constructs.{cid}",
                        f"construct id '{cid}' is also an item or question id ({seen[cid]})",
                    )


def _opt_str(v: Any) -> str | None:
    return None if v is None else str(v)


def _ordered(questions: list[BackgroundQuestion]) -> list[BackgroundQuestion]:
    """Consent, screeners, then background questions, each in spec order (shared before a mechanism's own)."""
    rank = {s: i for i, s in enumerate(SECTIONS)}
    return sorted(questions, key=lambda q: (rank[q.section], q.position == "end"))  # stable


def specify_id(q: BackgroundQuestion, choice: Choice) -> str:
    """Variable of the text box of an "other, please specify" choice: ``<question>_other`` (``_<code>`` if several)."""
    many = len(q.specify_choices) > 1
    return f"{q.id}_other{choice.code}" if many else f"{q.id}_other"
