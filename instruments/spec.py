"""The model spec: a theory written as data.

A spec (YAML) declares a response scale, background questions, attention
checks and one or more *mechanisms*. Each mechanism has constructs (with items
in English and Simplified Chinese, a stage, optional sources) and paths between
constructs. Everything downstream -- questionnaires, templates, ingest, CFA,
SEM and the report -- is driven by the :class:`ModelSpec` loaded here.

Loading validates the whole file and reports every problem at once, each with
the file name and the key path (``mechanisms.producer.constructs.PID.items[1].text.zh``).
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
    "Scale",
    "Item",
    "Construct",
    "PathSpec",
    "Choice",
    "BackgroundQuestion",
    "AttentionCheck",
    "Mechanism",
    "ModelSpec",
    "load_spec",
    "default_spec_path",
]

LANGUAGES = ("en", "zh")
#: Stages in the order a path diagram draws them, left to right.
STAGES = ("driver", "proposition", "activity", "outcome")
QUESTION_TYPES = ("single", "multiple", "text", "number")
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


@dataclass(frozen=True)
class Construct:
    id: str
    label: dict[str, str]
    stage: str
    items: tuple[Item, ...]
    source: str | None = None
    definition: dict[str, str] | None = None

    @property
    def item_ids(self) -> list[str]:
        return [it.id for it in self.items]


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
class Choice:
    code: int
    label: dict[str, str]


@dataclass(frozen=True)
class BackgroundQuestion:
    id: str
    text: dict[str, str]
    type: str = "single"
    choices: tuple[Choice, ...] = ()
    role: str | None = None  # e.g. "group" for the platform question

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
class Mechanism:
    id: str
    label: dict[str, str]
    constructs: dict[str, Construct]
    paths: tuple[PathSpec, ...]
    direct_paths: tuple[PathSpec, ...] = ()
    respondent: dict[str, str] | None = None
    instructions: dict[str, str] | None = None

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

    def lavaan_syntax(self, structural: bool = True, direct: bool = False) -> str:
        """The model in lavaan syntax: one ``=~`` line per construct, then ``~`` lines.

        With ``structural=False`` (or a mechanism without paths) only the
        measurement part is written, which a CFA frees all factor covariances for.
        """
        lines = [f"{c.id} =~ " + " + ".join(c.item_ids) for c in self.constructs.values()]
        if structural:
            by_target: dict[str, list[str]] = {}
            for p in self.active_paths(direct):
                by_target.setdefault(p.target, []).append(p.source)
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
    path: Path | None = None
    sha256: str = ""
    warnings: tuple[str, ...] = ()
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    def mechanism(self, mid: str) -> Mechanism:
        if mid not in self.mechanisms:
            raise SpecError(
                f"{self._where()}: there is no mechanism '{mid}'; "
                f"expected one of: {', '.join(self.mechanisms)}"
            )
        return self.mechanisms[mid]

    def select(self, mechanism: str | None) -> list[Mechanism]:
        """All mechanisms, or the one named (``None`` means all)."""
        return list(self.mechanisms.values()) if mechanism is None else [self.mechanism(mechanism)]

    def attention_checks_for(self, mid: str) -> list[AttentionCheck]:
        return [a for a in self.attention_checks if not a.mechanisms or mid in a.mechanisms]

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

    # -- sections
    def build(self) -> ModelSpec:
        raw = self.raw
        if raw is None:
            raise SpecError(f"{self.path}: the model spec is empty")
        if not isinstance(raw, dict):
            raise SpecError(f"{self.path}: expected a mapping with keys scale and mechanisms at the top, "
                            f"found {type(raw).__name__}")
        known = {"name", "title", "version", "description", "scale", "background",
                 "attention_checks", "mechanisms", "references", "notes"}
        for k in raw:
            if k not in known:
                self.warn(str(k), f"unknown top-level key (known: {', '.join(sorted(known))}); ignored")
        scale = self.scale(raw.get("scale"))
        background = self.background(raw.get("background"))
        mechanisms = self.mechanisms(raw.get("mechanisms"), scale)
        checks = self.attention(raw.get("attention_checks"), scale, mechanisms)
        self.unique_ids(mechanisms, background, checks)
        title = raw.get("title")
        title = self.text(title, "title") if title is not None else {"en": str(raw.get("name", self.path.stem))}
        if self.errors:
            raise SpecError(
                f"{self.path}: the model spec has {len(self.errors)} problem"
                f"{'s' if len(self.errors) > 1 else ''}",
                self.errors,
            )
        return ModelSpec(
            name=str(raw.get("name", self.path.stem)),
            title=title,
            scale=scale,
            mechanisms=mechanisms,
            background=tuple(background),
            attention_checks=tuple(checks),
            path=self.path,
            sha256=self.sha,
            warnings=tuple(self.warnings),
            raw=raw,
        )

    def scale(self, node: Any) -> Scale:
        node = self.mapping(node, "scale")
        lo, hi = node.get("min"), node.get("max")
        ok = True
        for k, v in (("min", lo), ("max", hi)):
            if isinstance(v, bool) or not isinstance(v, int):
                if node:
                    self.err(f"scale.{k}", f"{v!r} is not a whole number; expected e.g. 1 and 7")
                ok = False
        if ok and hi <= lo:
            self.err("scale", f"max ({hi}) must be greater than min ({lo})")
            ok = False
        labels: dict[str, list[str]] = {}
        lab = self.mapping(node.get("labels"), "scale.labels") if node else {}
        for lang in LANGUAGES if lab else ():
            vals = lab.get(lang)
            if not isinstance(vals, list):
                self.err(f"scale.labels.{lang}", "is missing; expected a list with one label per scale point")
                continue
            if ok and len(vals) != hi - lo + 1:
                self.err(f"scale.labels.{lang}", f"has {len(vals)} labels; expected {hi - lo + 1} "
                         f"for the scale {lo}-{hi}")
            labels[lang] = [str(v) for v in vals]
        if not ok:
            lo, hi = 1, 7
        return Scale(int(lo), int(hi), labels)

    def background(self, node: Any) -> list[BackgroundQuestion]:
        if node is None:
            return []
        if not isinstance(node, list):
            self.err("background", "expected a list of questions")
            return []
        out = []
        for i, q in enumerate(node):
            key = f"background[{i}]"
            q = self.mapping(q, key)
            if not q:
                continue
            qid = self.ident(q.get("id"), f"{key}.id")
            key = f"background.{qid}" if qid else key
            qtype = q.get("type", "single")
            if qtype not in QUESTION_TYPES:
                self.err(f"{key}.type", f"unknown type {qtype!r}; expected one of {', '.join(QUESTION_TYPES)}")
            choices = []
            raw_choices = q.get("choices") or []
            if qtype in ("single", "multiple") and not raw_choices:
                self.err(f"{key}.choices", "a single- or multiple-choice question needs choices")
            for j, ch in enumerate(raw_choices):
                ck = f"{key}.choices[{j}]"
                ch = self.mapping(ch, ck)
                code = ch.get("code", j + 1)
                if isinstance(code, bool) or not isinstance(code, int):
                    self.err(f"{ck}.code", f"{code!r} is not a whole number")
                    code = j + 1
                choices.append(Choice(code, self.text(ch.get("label"), f"{ck}.label")))
            codes = [c.code for c in choices]
            if len(set(codes)) != len(codes):
                self.err(f"{key}.choices", f"duplicate choice codes {sorted(codes)}")
            role = q.get("role")
            if role not in (None, "group"):
                self.err(f"{key}.role", f"unknown role {role!r}; expected 'group' or nothing")
            out.append(BackgroundQuestion(qid or f"Q{i + 1}", self.text(q.get("text"), f"{key}.text"),
                                          qtype, tuple(choices), role))
        if sum(q.role == "group" for q in out) > 1:
            self.err("background", "more than one question has role: group; expected at most one")
        return out

    def mechanisms(self, node: Any, scale: Scale) -> dict[str, Mechanism]:
        node = self.mapping(node, "mechanisms")
        if isinstance(self.raw.get("mechanisms"), dict) and not node:
            self.err("mechanisms", "is empty; expected at least one mechanism")
        out = {}
        for mid, m in node.items():
            key = f"mechanisms.{mid}"
            if self.ident(mid, key) is None:
                continue
            m = self.mapping(m, key)
            if not m:
                continue
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
                stage = c.get("stage")
                if stage not in STAGES:
                    self.err(f"{ckey}.stage", f"unknown stage {stage!r}; expected one of {' | '.join(STAGES)}")
                items = []
                inode = c.get("items")
                if not isinstance(inode, list):
                    self.err(f"{ckey}.items", "is missing; expected a list of items")
                    inode = []
                for j, it in enumerate(inode):
                    ikey = f"{ckey}.items[{j}]"
                    it = self.mapping(it, ikey)
                    if not it:
                        continue
                    iid = self.ident(it.get("id"), f"{ikey}.id")
                    rev = it.get("reverse", False)
                    if not isinstance(rev, bool):
                        self.err(f"{ikey}.reverse", f"{rev!r} is not true or false")
                        rev = False
                    items.append(Item(iid or f"?{j}", self.text(it.get("text"), f"{ikey}.text"),
                                      str(cid), rev, _opt_str(it.get("source"))))
                if len(inode) < 2:
                    self.err(f"{ckey}.items", f"has {len(inode)} item{'s' if len(inode) != 1 else ''}; "
                             "a construct needs at least 2 (3 or more recommended)")
                elif len(inode) < 3:
                    self.warn(f"{ckey}.items", f"has only {len(inode)} items; 3 or more are recommended "
                              "for a stable latent variable")
                constructs[str(cid)] = Construct(
                    str(cid), self.text(c.get("label"), f"{ckey}.label"), str(stage), tuple(items),
                    _opt_str(c.get("source")),
                    self.text(c["definition"], f"{ckey}.definition") if c.get("definition") else None,
                )
            paths = self.paths(m.get("paths"), f"{key}.paths", constructs)
            direct = self.paths(m.get("direct_paths"), f"{key}.direct_paths", constructs, direct=True)
            self.acyclic(paths + direct, key)
            expected = self.expected(m.get("expected_std"), f"{key}.expected_std", paths + direct)
            paths = [PathSpec(p.source, p.target, f"H{i + 1}", False, expected(p))
                     for i, p in enumerate(paths)]
            direct = [PathSpec(p.source, p.target, f"H{len(paths) + i + 1}", True, expected(p, explicit=True))
                      for i, p in enumerate(direct)]
            out[str(mid)] = Mechanism(
                str(mid),
                self.text(m.get("label"), f"{key}.label"),
                constructs,
                tuple(paths),
                tuple(direct),
                self.text(m["respondent"], f"{key}.respondent") if m.get("respondent") else None,
                self.text(m["instructions"], f"{key}.instructions") if m.get("instructions") else None,
            )
        return out

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
                    self.err(pk, f"'{p}' names an unknown construct '{end}'; "
                             f"expected one of: {', '.join(constructs) or '(none declared)'}")
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
        return lambda p, explicit=False: values.get((p.source, p.target),
                                                    None if explicit else values.get("default"))

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
                    loop = cyc[cyc.index(cyc[-1]):]
                    self.err(f"{key}.paths", "the paths form a cycle " + " -> ".join(loop)
                             + "; expected a recursive model (no feedback loops)")
                    return

    def attention(self, node: Any, scale: Scale, mechanisms: dict[str, Mechanism]) -> list[AttentionCheck]:
        if node is None:
            return []
        if not isinstance(node, list):
            self.err("attention_checks", "expected a list")
            return []
        out = []
        for i, a in enumerate(node):
            key = f"attention_checks[{i}]"
            a = self.mapping(a, key)
            if not a:
                continue
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
            out.append(AttentionCheck(aid or f"ATT{i + 1}", self.text(a.get("text"), f"{key}.text"),
                                      tuple(good), tuple(mechs)))
        return out

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
            claim(q.id, f"background.{q.id}.id")
        for i, a in enumerate(checks):
            claim(a.id, f"attention_checks[{i}].id")
        for m in mechanisms.values():
            for cid in m.constructs:
                if cid in seen:
                    self.err(f"mechanisms.{m.id}.constructs.{cid}",
                             f"construct id '{cid}' is also an item or question id ({seen[cid]})")


def _opt_str(v: Any) -> str | None:
    return None if v is None else str(v)
