"""Ingest survey responses: map export columns to the spec's items and name every bad cell.

:func:`ingest` reads one or more response files -- the toolkit's own Excel/CSV
template, Wenjuanxing (问卷星) exports "按序号" (codes) and "按文本" (choice
text), Qualtrics CSV/XLSX exports with two or three header rows, Google Forms
and Microsoft Forms -- and returns one tidy DataFrame per mechanism:
``resp_id``, the background question ids, ``duration_sec`` when the platform
records it, the item ids (float codes, NaN for missing) and any attention-check
ids.

How a column finds its item (first rule that applies wins):

1. an explicit mapping file (``column header -> item id``) given by the user;
2. a platform metadata column (``序号``, ``所用时间``, ``ResponseId``,
   ``Duration (in seconds)``, ``Timestamp``, ``Start time`` ...);
3. the item id itself (``DRV1``) in any header row;
4. the item text, in English or Chinese, compared after NFKC normalisation,
   case folding, and removing punctuation, spaces and a leading question number
   (``5、``, ``Q5.``, ``5.``). A matrix stem before the statement is tolerated
   (Qualtrics ``stem - statement``, Google ``Question [Row]``, Wenjuanxing
   ``5、(子项)``): the header matches when it *ends with* the statement
   (the longest such statement wins).

A sheet belongs to the mechanism whose items match most of its columns (a
template sheet named after a mechanism id belongs to that mechanism).

Problems come in two kinds. *Cell problems* (a value outside the scale, text
that is not a scale label, a non-integer) make the cell missing and are listed
in :attr:`IngestResult.problems`, each naming file, sheet, cell (``F17``),
column header, value and what was expected. *File problems* (an empty,
password-protected or non-spreadsheet file, an HTML page saved as ``.xls``
without lxml, merged cells, formulas, a required item column missing, an item
column appearing twice, a duplicate respondent id) stop the run with one
:class:`~instruments.errors.InputError` listing every problem found.

Respondent ids: ``resp_id`` in the template, ``序号`` (Wenjuanxing), ``ResponseId``
(Qualtrics), ``ID`` (Microsoft Forms); Google Forms has none, so responses are
numbered 1, 2, 3. When several files are stacked, numbered ids (Google,
Wenjuanxing, Microsoft Forms: each survey counts from 1) are prefixed with the
file name (``wave2:17``); other ids must be unique across the files.

Rows that are not real responses: Qualtrics survey previews, spam and generated
test responses (``Status`` ``Survey Preview``/1, ``Spam``/8, ``Survey Test``/2,
...) are always left out, and unfinished responses (``Finished`` False/0, or
``Progress`` < 100 without a ``Finished`` column) unless
``keep_unfinished=True``; a warning names them (count and response ids) and
:attr:`IngestResult.left_out` lists them.

Wenjuanxing "按序号" exports a multiple-choice question as one 0/1 column per
option (``7、(搞笑)``, ``7、(美食)``); when every option label is a choice of
one ``type: multiple`` background question (and the stem, if the header has
one, is its text), the columns become that question's column of ``;``-joined
chosen codes, as in the "按文本" export.

Missing values that are not problems: an empty cell, ``NA``/``N/A``,
Wenjuanxing ``(跳过)`` and its codes ``-2`` and ``-3`` (skipped; skipped by
logic), Qualtrics ``-99`` (seen but unanswered).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from instruments.errors import InputError
from instruments.outputs import atomic_write, safe_cell, write_csv
from instruments.spec import ModelSpec
from validate.ingest.formats import (
    FORMATS,
    RawSheet,
    cell_name,
    column_letter,
    detect_platform,
    fold,
    meta_role,
    qualtrics_finished,
    qualtrics_status,
    read_file,
    scan_xlsx_structure,
)

__all__ = [
    "IngestResult",
    "ingest",
    "read_mapping",
    "render_mapping",
    "strip_number",
    "text_key",
    "write_table_xlsx",
    "MAPPING_COLUMNS",
    "PROBLEM_COLUMNS",
    "LEFT_OUT_COLUMNS",
]

MAPPING_COLUMNS = ["file", "sheet", "column", "header", "mapped_to", "how"]
PROBLEM_COLUMNS = ["file", "sheet", "cell", "column", "resp_id", "value", "problem", "expected"]
SOURCE_COLUMNS = ["file", "sheet", "format", "variant", "mechanism", "header_rows", "n_responses"]
LEFT_OUT_COLUMNS = ["file", "sheet", "row", "resp_id", "reason", "value"]
NA_COLUMNS = ["mechanism", "variable", "n_not_applicable"]
#: How many respondent ids a warning names before "... and N more".
_MAX_IDS_SHOWN = 20

#: Cell texts read as "no answer" in every format (compared case-folded).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "(跳过)", "跳过", "(空)", "--"})
#: Numeric codes a platform uses for "skipped".
SKIP_CODES = {"wjx": frozenset({-2.0, -3.0}), "qualtrics": frozenset({-99.0})}
#: Mapping-file targets that mean "ignore this column".
IGNORE_TARGETS = frozenset({"", "-", "ignore", "skip", "忽略"})
#: Mapping-file targets for metadata.
META_TARGETS = {"resp_id": "resp_id", "duration_sec": "duration"}
_MULTI_SPLIT = re.compile(r"[┋|;,，；、]")
_LEADING_NUMBER = re.compile(r"^\s*(?:q|第)?\s*\d+(?:[._]\d+)*\s*(?:[、.:)\]]|题|\s)\s*", re.I)
_MAX_HEADER_SCAN = 10
#: Wenjuanxing "按序号" option column of a multiple-choice question: ``7、(搞笑)`` or ``7、您常看...？(搞笑)``.
_OPTION_HEADER = re.compile(r"^\s*(\d+)\s*[、.]?\s*(.*?)\s*\(([^()]+)\)\s*$")
#: Sheets that are never responses (the template's own codebook and instructions).
IGNORED_SHEETS = frozenset(
    {
        "codebook",
        "instructions",
        "readme",
        "about",
        "notes",
        "编码表",
        "说明",
        "填写说明",
        "变量说明",
        "codebook 编码表",
        "instructions 说明",
    }
)


# --------------------------------------------------------------------------- text keys


def text_key(s: Any) -> str:
    """Comparison key for headers and labels.

    NFKC normalisation (full-width letters, digits and punctuation become
    ASCII), case folding, then every punctuation mark, symbol, space and
    control character removed.

    Examples
    --------
    >>> text_key("５、我有创作的动力。") == text_key("5 我有创作的动力")
    True
    >>> text_key("Strongly  Agree!")
    'stronglyagree'
    """
    s = unicodedata.normalize("NFKC", str(s)).casefold()
    return "".join(ch for ch in s if unicodedata.category(ch)[0] not in "PZSC")


def strip_number(s: str) -> str:
    return _LEADING_NUMBER.sub("", unicodedata.normalize("NFKC", str(s)), count=1)


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class _Target:
    id: str
    kind: str  # item | background | attention
    mechanisms: tuple[str, ...]  # () = every mechanism


class _Matcher:
    """Finds the spec entry (item, background or attention question) a header names."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self.targets: dict[str, _Target] = {}
        texts: list[tuple[str, _Target]] = []
        for m in spec.mechanisms.values():
            for it in m.items:
                t = _Target(it.id, "item", (m.id,))
                self.targets[it.id] = t
                texts += [(x, t) for x in it.text.values()]
        for q in spec.background:
            t = _Target(q.id, "background", ())
            self.targets[q.id] = t
            texts += [(x, t) for x in q.text.values()]
            texts += [(x, t) for v in q.text_by_mechanism.values() for x in v.values()]
        for a in spec.attention_checks:
            mechs = tuple(a.mechanisms) or tuple(spec.mechanisms)
            t = _Target(a.id, "attention", mechs)
            self.targets[a.id] = t
            texts += [(x, t) for x in a.text.values()]
        self.by_id = {k.casefold(): t for k, t in self.targets.items()}
        self.by_text: dict[str, list[_Target]] = {}
        for x, t in texts:
            k = text_key(x)
            if k and t not in self.by_text.setdefault(k, []):
                self.by_text[k].append(t)
        # Suffix matching only for keys long enough not to match by accident.
        self.suffix_keys = sorted((k for k in self.by_text if len(k) >= 4), key=len, reverse=True)

    def by_identifier(self, cell: Any) -> _Target | None:
        if not _filled(cell):
            return None
        s = unicodedata.normalize("NFKC", str(cell)).strip()
        t = self.by_id.get(s.casefold())
        if t is None:
            t = self.by_id.get(strip_number(s).strip().casefold())
        return t

    def by_statement(self, cell: Any) -> list[_Target]:
        if not _filled(cell):
            return []
        raw = str(cell)
        if raw.lstrip().startswith("{"):
            return []  # Qualtrics ImportId JSON
        for k in (text_key(strip_number(raw)), text_key(raw)):
            if k in self.by_text:
                return list(self.by_text[k])
        k = text_key(raw)
        for sk in self.suffix_keys:
            if len(sk) < len(k) and k.endswith(sk):
                return list(self.by_text[sk])
        return []


# --------------------------------------------------------------------------- result


@dataclass
class IngestResult:
    """What :func:`ingest` found.

    Attributes
    ----------
    data : dict of str -> DataFrame
        One DataFrame per mechanism found: ``resp_id`` (str), background ids
        (float codes; ``;``-joined codes for multiple choice; text),
        ``duration_sec`` (float) when the platform records it, item ids (float
        codes, NaN for missing) and attention-check ids.
    mapping : DataFrame
        Columns ``file, sheet, column, header, mapped_to, how``: ``column`` is
        the spreadsheet letter, ``how`` one of ``id``, ``text``, ``mapping``
        (the user's mapping file), ``metadata``, ``filter`` (Qualtrics
        ``Status``, ``Finished``, ``Progress``: used to leave rows out, not
        read; ``Finished``/``Progress`` are ``""`` with ``keep_unfinished``),
        ``choice`` (a Wenjuanxing 0/1 option column of a multiple-choice
        question, ``mapped_to`` ``question=code``) or ``""`` (not used).
    problems : DataFrame
        Cell problems, columns ``file, sheet, cell, column, resp_id, value,
        problem, expected``. Each listed cell was read as missing.
    format : str
        The format detected (``template``, ``wjx``, ``qualtrics``, ``google``,
        ``msforms``, ``generic``), or ``mixed`` for files of several formats.
    sources : DataFrame
        One row per sheet read: ``file, sheet, format, variant, mechanism,
        header_rows, n_responses`` (``variant`` is ``codes`` or ``text``).
    warnings : list of str
        Things worth knowing that did not stop the run, among them one line
        per sheet naming the Qualtrics responses left out (survey previews,
        spam, test responses, unfinished responses) or kept
        (``keep_unfinished=True``), with their counts and respondent ids.
    not_applicable : DataFrame
        Columns ``mechanism, variable, n_not_applicable``: one row per item
        that offers "not applicable" (``not_applicable: true`` in the spec),
        with the number of respondents who chose it. Those answers are
        missing in ``data`` (never a scale point) and are not cell problems.
    left_out : DataFrame
        The rows left out, columns ``file, sheet, row, resp_id, reason,
        value``: ``row`` is the spreadsheet row, ``reason`` one of
        ``survey-preview``, ``spam``, ``survey-test``, ``unfinished``, and
        ``value`` what decided it (``Status = Survey Preview``,
        ``Finished = False, Progress = 40``).
    """

    data: dict[str, pd.DataFrame]
    mapping: pd.DataFrame
    problems: pd.DataFrame
    format: str
    sources: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SOURCE_COLUMNS))
    warnings: list[str] = field(default_factory=list)
    left_out: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LEFT_OUT_COLUMNS))
    not_applicable: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NA_COLUMNS))

    def summary(self) -> pd.DataFrame:
        """Per mechanism: ``mechanism, n_responses, n_items, n_missing_cells, n_problems``."""
        rows = []
        for mid, df in self.data.items():
            items = [c for c in df.columns if c not in ("resp_id", "duration_sec")]
            rows.append(
                {
                    "mechanism": mid,
                    "n_responses": len(df),
                    "n_columns": len(items),
                    "n_missing_cells": int(df[items].isna().sum().sum()) if items else 0,
                    "n_problems": int((self.problems["resp_id"].isin(df["resp_id"])).sum()),
                }
            )
        return pd.DataFrame(rows, columns=["mechanism", "n_responses", "n_columns", "n_missing_cells", "n_problems"])

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``mapping.csv``, ``problems.csv``, ``problems.xlsx``, ``responses_<mechanism>.csv``
        and, when the platform marked responses as previews, spam or unfinished, ``left_out.csv``.

        CSV files are UTF-8 with a BOM so that Excel (also Chinese Excel) opens
        them correctly. Every file is written atomically.
        """
        out = Path(out_dir)
        paths = [
            _write_csv(out / "mapping.csv", self.mapping),
            _write_csv(out / "problems.csv", self.problems),
            write_table_xlsx(out / "problems.xlsx", {"problems": self.problems}),
        ]
        if len(getattr(self, "left_out", [])):
            paths.append(_write_csv(out / "left_out.csv", self.left_out))
        if len(self.not_applicable):
            paths.append(_write_csv(out / "not_applicable.csv", self.not_applicable))
        for mid, df in self.data.items():
            paths.append(_write_csv(out / f"responses_{mid}.csv", df))
        return paths


def _write_csv(path: Path, df: pd.DataFrame) -> Path:
    return write_csv(path, df)


def write_table_xlsx(path: str | Path, frames: Mapping[str, pd.DataFrame]) -> Path:
    """Write DataFrames to one workbook (a sheet each) atomically; text cells go through ``safe_cell``."""
    from openpyxl import Workbook

    def writer(tmp: Path) -> None:
        wb = Workbook(write_only=True)
        for name, df in frames.items():
            ws = wb.create_sheet(title=str(name)[:31])
            ws.append([safe_cell(str(c)) for c in df.columns])
            for row in df.itertuples(index=False, name=None):
                ws.append([_xlsx_value(v) for v in row])
        wb.save(tmp)

    return atomic_write(path, writer)


def _xlsx_value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (pd.Timestamp,)):
        return v.to_pydatetime()
    if isinstance(v, (str, int, float, bool, _dt.datetime, _dt.date)):
        return safe_cell(v)
    return safe_cell(str(v))


def render_mapping(result: IngestResult | pd.DataFrame) -> str:
    """The column mapping as plain text, for ``vcc ingest --print-mapping``.

    One block per file and sheet; one line per column: letter, header, the id
    it maps to and how (``id``, ``text``, ``mapping``, ``metadata``), or
    ``(not used)``.
    """
    mp = result.mapping if isinstance(result, IngestResult) else result
    if mp is None or mp.empty:
        return "no columns were read / 未读取任何列\n"
    lines = []
    for (f, s), g in mp.groupby(["file", "sheet"], sort=False):
        used = int((g["mapped_to"] != "").sum())
        lines.append(f"{f}{', sheet ' + s if s else ''}: {used} of {len(g)} columns used / 已使用 {used} 列")
        heads = [_clip(str(h), 60) for h in g["header"]]
        used += int((g["how"] == "filter").sum())
        width = max((_width(h) for h in heads), default=10)
        for r, header in zip(g.itertuples(index=False), heads):
            if r.how == "filter":
                target = "(filter: leaves out previews, spam, unfinished / 筛选列)"
            else:
                target = f"-> {r.mapped_to} ({r.how})" if r.mapped_to else "(not used / 未使用)"
            pad = " " * (width - _width(header))
            lines.append(f"  {r.column:>3}  {header}{pad}  {target}")
    return "\n".join(lines) + "\n"


def _width(s: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def _clip(s: str, n: int) -> str:
    out, w = "", 0
    for ch in s:
        w += _width(ch)
        if w > n - 3:
            return out + "..."
        out += ch
    return out


# --------------------------------------------------------------------------- mapping files


def read_mapping(path: str | Path, spec: ModelSpec | None = None, extra_targets=()) -> dict[str, str]:
    """Read a mapping file: column header -> item id (or ``ignore``).

    CSV: two columns, header then item id (a first row ``column,item`` is
    skipped). YAML: a mapping ``{header: item_id}``.

    Raises
    ------
    InputError
        The file cannot be read, or names ids that are not in the spec
        (each listed with its line). ``extra_targets`` are further names a column may be mapped to
        (the column asked for with ``--group``).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: the mapping file does not exist")
    data = p.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    pairs: list[tuple[str, str, int]] = []
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"{p}: is not valid YAML ({str(exc).splitlines()[0]})") from None
        if not isinstance(raw, dict):
            raise InputError(f"{p}: expected a mapping of 'column header: item id' lines")
        for i, (k, v) in enumerate(raw.items()):
            pairs.append((str(k), "" if v is None else str(v), i + 1))
    else:
        import csv
        import io

        rows = list(csv.reader(io.StringIO(text)))
        for i, row in enumerate(rows):
            if not row or not any(c.strip() for c in row):
                continue
            if len(row) < 2:
                raise InputError(f"{p}, line {i + 1}: expected two columns 'column header,item id', found {row[0]!r}")
            if (
                i == 0
                and fold(row[0]) in ("column", "header", "列", "列名")
                and fold(row[1]) in ("item", "item_id", "id", "mapped_to", "题目", "题号")
            ):
                continue
            pairs.append((row[0], row[1].strip(), i + 1))
    out: dict[str, str] = {}
    bad = []
    known = set()
    if spec is not None:
        known = set(_Matcher(spec).targets) | set(META_TARGETS) | set(extra_targets)
    for header, target, line in pairs:
        t = target.strip()
        if fold(t) in IGNORE_TARGETS:
            t = ""
        elif spec is not None and t not in known:
            close = [k for k in known if k.casefold() == t.casefold()]
            if close:
                t = close[0]
            else:
                bad.append(
                    f"line {line}: '{header}' -> '{target}': '{target}' is not an item, background "
                    "or attention-check id of the model spec (or resp_id, duration_sec, ignore)"
                )
                continue
        out[header] = t
    if bad:
        raise InputError(f"{p}: the mapping file names {len(bad)} unknown id(s)", bad)
    return out


# --------------------------------------------------------------------------- ingest


@dataclass
class _Column:
    j: int
    header: str
    cells: list[Any]
    target: str = ""  # item/background/attention id, or resp_id / duration_sec / start / end
    how: str = ""
    role: str = ""  # item | background | attention | resp_id | duration | start | end | meta | ""
    candidates: list[_Target] = field(default_factory=list)
    part_of: tuple[str, int] | None = None  # (question id, choice code): one 0/1 column of a multiple choice


@dataclass
class _Block:
    mechanism: str
    frame: pd.DataFrame
    generated_ids: bool
    id_cells: list[str]
    where: str
    path: Path
    sequential_ids: bool = False  # numbered 1, 2, 3 per survey (Wenjuanxing 序号, MS Forms ID)


class _Run:
    def __init__(
        self,
        spec: ModelSpec,
        fmt: str,
        mapping: dict[str, str] | None,
        mechanism: str | None,
        keep_unfinished: bool = False,
        extra_columns: Mapping[str, str] | None = None,
    ):
        self.spec = spec
        self.extra_columns = dict(extra_columns or {})
        self.keep_unfinished = keep_unfinished
        self.left_out: list[dict] = []
        self.fmt = fmt
        self.mapping = {text_key(k): v for k, v in (mapping or {}).items()}
        self.mapping_used: set[str] = set()
        self.mechanism = mechanism
        self.matcher = _Matcher(spec)
        self.errors: list[str] = []
        self.problems: list[dict] = []
        self.mapping_rows: list[dict] = []
        self.sources: list[dict] = []
        self.warnings: list[str] = []
        self.labels = _scale_lookup(spec)
        self.na_counts: dict[tuple[str, str], int] = {}
        s = spec.scale
        self.scale_expected = (
            f"a whole number {s.min}-{s.max} or a scale label "
            f"({' / '.join(s.labels.get('en', []))}; {' / '.join(s.labels.get('zh', []))})"
        )

    # ------------------------------------------------------------------ one sheet
    def sheet(self, raw: RawSheet) -> _Block | None | str:
        grid = raw.grid
        if grid.shape[0] == 0 or grid.shape[1] == 0 or not _any_filled(grid):
            return "empty"
        top = [list(grid.iloc[r]) for r in range(min(_MAX_HEADER_SCAN, grid.shape[0]))]
        platform, h = detect_platform(top)
        fmt = "template" if self.fmt == "csv" else self.fmt
        if fmt != "auto" and fmt != platform:
            platform, h = fmt, -1
        if h < 0:
            h = self._best_header_row(top, platform)
            if h < 0:
                return "nomatch"
        header_rows = [h] + self._extra_header_rows(grid, h)
        cols = self._columns(grid, header_rows, platform)
        scores = self._scores(cols)
        mid = self._choose_mechanism(raw, scores)
        if mid is None:
            return "nomatch"
        if isinstance(mid, list):
            self.errors.append(
                f"{raw.where}: the columns match items of several mechanisms equally "
                f"({', '.join(f'{m}: {n}' for m, n in mid)}); name one with --mechanism"
            )
            return "error"
        self._resolve(cols, mid)
        self._multiple_parts(cols)
        for c in cols:
            mapped, how = (c.target, c.how) if c.role != "meta" else ("", "")
            if c.role in ("status", "finished", "progress"):
                # used to leave rows out, not read into the data
                used = c.role == "status" or not self.keep_unfinished
                mapped, how = "", "filter" if used else ""
            elif c.part_of is not None:
                mapped = f"{c.part_of[0]}={c.part_of[1]}"
            self.mapping_rows.append(
                {
                    "file": raw.path.name,
                    "sheet": raw.sheet,
                    "column": column_letter(c.j),
                    "header": c.header,
                    "mapped_to": mapped,
                    "how": how,
                }
            )
        n_err = len(self.errors)
        self._structure(raw, cols, mid)
        first = header_rows[-1] + 1
        data = grid.iloc[first:]
        keep = _row_filled(data)
        data = data[keep]
        n_rows = len(data)
        if n_rows:
            data = self._leave_out(raw, cols, data)
        rows = data.index.to_numpy()  # 0-based grid rows -> spreadsheet row = +1
        if n_rows == 0:
            self.errors.append(
                f"{raw.where}: has a header row but no responses below it (row {first + 1} on "
                "is empty); expected one row per respondent"
            )
        elif len(data) == 0:
            hint = (
                ""
                if self.keep_unfinished
                else " (unfinished ones can be kept with keep_unfinished=True / --keep-unfinished)"
            )
            self.errors.append(
                f"{raw.where}: all {n_rows} responses were left out as survey previews, spam, "
                f"test or unfinished responses (see the warnings); expected at least one real, "
                f"finished response{hint}"
            )
        if len(self.errors) > n_err:
            return "error"
        extra = self._extra(raw, cols)
        if len(self.errors) > n_err:
            return "error"
        frame, generated, id_cells, variant = self._code(raw, cols, data, rows, mid, platform)
        for name, c in extra.items():
            frame[name] = [_extra_value(v) for v in data.iloc[:, c.j]]
        self.sources.append(
            {
                "file": raw.path.name,
                "sheet": raw.sheet,
                "format": platform,
                "variant": variant,
                "mechanism": mid,
                "header_rows": len(header_rows),
                "n_responses": len(frame),
            }
        )
        return _Block(
            mid, frame, generated, id_cells, raw.where, raw.path, sequential_ids=platform in ("wjx", "msforms")
        )

    def _extra(self, raw: RawSheet, cols: list[_Column]) -> dict[str, _Column]:
        """The columns asked for by name (``extra_columns``): by header, or by question title without its number."""
        found: dict[str, _Column] = {}
        for name, option in self.extra_columns.items():
            key = text_key(name)
            hit = [c for c in cols if c.role == "extra" and c.target == name] or [
                c for c in cols if key and key in (text_key(c.header), text_key(strip_number(c.header)))
            ]
            if hit:
                found[name] = hit[0]
                continue
            headers = [str(c.header) for c in cols if str(c.header).strip()]
            close = difflib.get_close_matches(str(name), headers, n=1, cutoff=0.0)
            self.errors.append(
                f"{raw.where}: {option} {name}: there is no column headed '{name}'"
                + (
                    f"; the closest header is '{_short(close[0], 60)}' (column {column_letter(next(c.j for c in cols if str(c.header) == close[0]))})"
                    if close
                    else ""
                )
                + f"; expected one of the file's headers: {', '.join(repr(_short(h, 40)) for h in headers[:40])}"
                + (f" and {len(headers) - 40} more" if len(headers) > 40 else "")
            )
        return found

    def _leave_out(self, raw: RawSheet, cols: list[_Column], data: pd.DataFrame) -> pd.DataFrame:
        """Drop Qualtrics survey previews, spam, test and (unless kept) unfinished responses; warn with their ids."""
        status = next((c for c in cols if c.role == "status"), None)
        finished = next((c for c in cols if c.role == "finished"), None)
        progress = next((c for c in cols if c.role == "progress"), None)
        if status is None and finished is None and progress is None:
            return data
        id_col = next((c for c in cols if c.role == "resp_id"), None)
        rows = data.index.to_numpy()
        ids = [
            (_id_text(v) if id_col is not None else "") or f"row{r + 1}"
            for v, r in zip(data.iloc[:, id_col.j] if id_col is not None else [None] * len(rows), rows)
        ]
        drop = np.zeros(len(data), dtype=bool)
        groups: dict[str, list[int]] = {}  # reason -> positions
        values: dict[int, str] = {}
        if status is not None:
            for k, v in enumerate(data.iloc[:, status.j]):
                kind, text = qualtrics_status(v)
                if kind is not None:
                    drop[k] = True
                    groups.setdefault(kind, []).append(k)
                    values[k] = f"Status = {text}"
        unfinished: list[int] = []
        why: set[str] = set()
        fin = data.iloc[:, finished.j].tolist() if finished is not None else [None] * len(data)
        prog = data.iloc[:, progress.j].tolist() if progress is not None else [None] * len(data)
        for k, (f, g) in enumerate(zip(fin, prog)):
            if drop[k]:
                continue
            done = qualtrics_finished(f)
            pct = float(g) if _is_number(g) else None
            if done is False:
                unfinished.append(k)
                why.add("Finished = False")
                values[k] = "Finished = False" + (f", Progress = {_num(pct)}" if pct is not None else "")
            elif done is None and pct is not None and pct < 100:
                unfinished.append(k)
                why.add("Progress < 100")
                values[k] = f"Progress = {_num(pct)}"
        if unfinished and not self.keep_unfinished:
            drop[unfinished] = True
        parts = []
        names = {"survey-preview": "survey-preview", "spam": "spam", "survey-test": "survey-test"}
        zh = {"survey-preview": "预览", "spam": "垃圾", "survey-test": "测试"}
        for kind in ("survey-preview", "spam", "survey-test"):
            ks = groups.get(kind, [])
            if ks:
                texts = sorted({values[k].split(" = ", 1)[1] for k in ks})
                parts.append(
                    f"{len(ks)} {names[kind]} response(s) left out / 已剔除{zh[kind]}作答 {len(ks)} 份 "
                    f"(Status = {' / '.join(texts)}): {_id_list([ids[k] for k in ks])}"
                )
        if unfinished:
            reason = " or ".join(sorted(why))
            if self.keep_unfinished:
                parts.append(
                    f"{len(unfinished)} unfinished response(s) kept (keep_unfinished=True) / "
                    f"保留未完成作答 {len(unfinished)} 份 ({reason}): "
                    f"{_id_list([ids[k] for k in unfinished])}"
                )
            else:
                parts.append(
                    f"{len(unfinished)} unfinished response(s) left out / 已剔除未完成作答 "
                    f"{len(unfinished)} 份 ({reason}): {_id_list([ids[k] for k in unfinished])}"
                )
        if parts:
            self.warnings.append(f"{raw.where}: " + "; ".join(parts))
        for k in np.flatnonzero(drop):
            reason = next((kind for kind, ks in groups.items() if k in ks), "unfinished")
            self.left_out.append(
                {
                    "file": raw.path.name,
                    "sheet": raw.sheet,
                    "row": int(rows[k]) + 1,
                    "resp_id": ids[k],
                    "reason": reason,
                    "value": values[k],
                }
            )
        return data[~drop]

    def _multiple_parts(self, cols: list[_Column]) -> None:
        """Wenjuanxing "按序号": one 0/1 column per option (``7、(搞笑)``) of a multiple-choice background question."""
        multiple = [q for q in self.spec.background if q.type == "multiple" and q.choices]
        if not multiple:
            return
        taken = {c.target for c in cols if c.target}
        groups: dict[str, list[tuple[_Column, str, str]]] = {}
        for c in cols:
            if c.role or c.candidates or c.how:
                continue
            for cell in c.cells:
                m = _OPTION_HEADER.match(unicodedata.normalize("NFKC", str(cell))) if _filled(cell) else None
                if m:
                    groups.setdefault(m.group(1), []).append((c, m.group(2).strip(), m.group(3).strip()))
                    break
        for _number, parts in groups.items():
            stems = {text_key(stem) for _, stem, _ in parts if text_key(stem)}
            found = []
            for q in multiple:
                if q.id in taken:
                    continue
                if stems and not stems <= {text_key(t) for t in q.text.values()}:
                    continue
                codes = [q.code_for(label) for _, _, label in parts]
                if all(code is not None for code in codes) and len(set(codes)) == len(codes):
                    found.append((q, codes))
            if len(found) != 1:
                continue  # no question, or several: leave the columns unmapped
            q, codes = found[0]
            taken.add(q.id)
            for (c, _, _), code in zip(parts, codes):
                c.part_of, c.role, c.how = (q.id, int(code)), "choice", "choice"

    def _best_header_row(self, top: list[list], platform: str) -> int:
        best, best_n = -1, 0
        for r, row in enumerate(top):
            n = 0
            for c in row:
                if not _filled(c):
                    continue
                if (
                    text_key(c) in self.mapping
                    or self.matcher.by_identifier(c)
                    or self.matcher.by_statement(c)
                    or meta_role(platform, c) in ("resp_id", "duration")
                ):
                    n += 1
            if n > best_n:
                best, best_n = r, n
        return best

    def _extra_header_rows(self, grid: pd.DataFrame, h: int) -> list[int]:
        """Rows right under the header that are header rows too (Qualtrics question text, ImportId)."""
        extra = []
        for r in range(h + 1, min(h + 4, grid.shape[0])):
            cells = [c for c in grid.iloc[r] if _filled(c)]
            if not cells:
                break
            if any(str(c).lstrip().startswith('{"ImportId"') for c in cells):
                extra.append(r)
                continue
            if any(_is_number(c) for c in cells):
                break
            n_text = sum(1 for c in cells if self.matcher.by_statement(c))
            if n_text >= 1:
                extra.append(r)
                continue
            break
        return extra

    def _columns(self, grid: pd.DataFrame, header_rows: list[int], platform: str) -> list[_Column]:
        cols = []
        for j in range(grid.shape[1]):
            cells = [grid.iat[r, j] for r in header_rows]
            shown = [str(c).strip() for c in cells if _filled(c) and not str(c).lstrip().startswith("{")]
            header = " | ".join(dict.fromkeys(shown))
            col = _Column(j, header, cells)
            if not shown and not _filled_any(grid.iloc[header_rows[-1] + 1 :, j]):
                continue  # an empty column
            # (1) the user's mapping file
            for c in cells:
                k = text_key(c) if _filled(c) else None
                if k is not None and k in self.mapping:
                    self.mapping_used.add(k)
                    tgt = self.mapping[k]
                    col.how = "mapping"
                    if tgt == "":
                        col.role = "meta"
                    elif tgt in META_TARGETS:
                        col.role, col.target = META_TARGETS[tgt], tgt
                    elif tgt in self.extra_columns:  # mapped to the --group column
                        col.role, col.target = "extra", tgt
                    else:
                        col.candidates = [self.matcher.targets[tgt]]
                    break
            if col.how:
                cols.append(col)
                continue
            # (2) platform metadata
            for c in cells:
                role = meta_role(platform, c) if _filled(c) else None
                if role:
                    col.role, col.how = role, "metadata"
                    col.target = {"resp_id": "resp_id", "duration": "duration_sec"}.get(role, "")
                    break
            if col.how:
                cols.append(col)
                continue
            # (3) id, (4) text
            for c in cells:
                t = self.matcher.by_identifier(c)
                if t is not None:
                    col.candidates, col.how = [t], "id"
                    break
            if not col.how:
                for c in cells:
                    ts = self.matcher.by_statement(c)
                    if ts:
                        col.candidates, col.how = ts, "text"
                        break
            cols.append(col)
        return cols

    def _scores(self, cols: list[_Column]) -> dict[str, int]:
        scores = {m: 0 for m in self.spec.mechanisms}
        for c in cols:
            seen = set()
            for t in c.candidates:
                if t.kind == "item":
                    seen.update(t.mechanisms)
            for m in seen:
                scores[m] += 1
        return scores

    def _choose_mechanism(self, raw: RawSheet, scores: dict[str, int]):
        if self.mechanism is not None:
            return self.mechanism if scores.get(self.mechanism, 0) > 0 else None
        if raw.sheet in self.spec.mechanisms and scores[raw.sheet] > 0:
            return raw.sheet
        top = max(scores.values()) if scores else 0
        if top == 0:
            return None
        best = [(m, n) for m, n in scores.items() if n == top]
        return best[0][0] if len(best) == 1 else best

    def _resolve(self, cols: list[_Column], mid: str) -> None:
        for c in cols:
            if not c.candidates:
                continue
            ok = [t for t in c.candidates if not t.mechanisms or mid in t.mechanisms]
            if ok:
                t = ok[0]
                c.target, c.role = t.id, t.kind
            else:
                c.how = ""  # an item of another mechanism: not used here

    def _structure(self, raw: RawSheet, cols: list[_Column], mid: str) -> None:
        where = raw.where
        by_target: dict[str, list[_Column]] = {}
        for c in cols:
            if c.target:
                by_target.setdefault(c.target, []).append(c)
        for tgt, cs in by_target.items():
            if len(cs) > 1:
                what = (
                    "the respondent id"
                    if tgt == "resp_id"
                    else ("the duration" if tgt == "duration_sec" else f"'{tgt}'")
                )
                listed = ", ".join(f"{column_letter(c.j)} ('{_short(c.header)}')" for c in cs)
                self.errors.append(
                    f"{where}: columns {listed} all map to {what}; expected one column "
                    "per item (delete the extra column or map it elsewhere with --mapping)"
                )
        mech = self.spec.mechanism(mid)
        missing = [it for it in mech.items if it.id not in by_target]
        for it in missing:
            self.errors.append(
                f'{where}: no column for item {it.id} of mechanism {mid} ("{it.text.get("en", "")}" / '
                f'"{it.text.get("zh", "")}"); expected a column headed {it.id} or with the item text '
                "(or map a column to it with --mapping)"
            )
        found: dict = {}
        if raw.kind == "xlsx" and raw.sheet:
            found = scan_xlsx_structure(raw.path, [raw.sheet], merged=raw.merged is None).get(raw.sheet, {})
        merged = raw.merged if raw.merged is not None else found.get("merged", [])
        if merged:
            rngs = ", ".join(merged[:10]) + (", ..." if len(merged) > 10 else "")
            self.errors.append(
                f"{where}: has merged cells ({rngs}); expected one header cell per column "
                "and one value per cell -- unmerge them (Home > Merge & Center) and save again"
            )
        if found.get("n_formulas"):
            n = found["n_formulas"]
            cells = ", ".join(found["formulas"])
            self.errors.append(
                f"{where}: {n} cell(s) hold formulas instead of values ({cells}"
                f"{', ...' if n > len(found['formulas']) else ''}); expected plain values "
                "-- copy the sheet and Paste Special > Values, then save again"
            )

    # ------------------------------------------------------------------ coding
    def _code(self, raw: RawSheet, cols: list[_Column], data: pd.DataFrame, rows: np.ndarray, mid: str, platform: str):
        n = len(data)
        fname, sheet = raw.path.name, raw.sheet
        out: dict[str, Any] = {}
        # respondent ids
        id_col = next((c for c in cols if c.role == "resp_id"), None)
        id_cells: list[str] = []
        if id_col is not None:
            ids = np.array([_id_text(v) for v in data.iloc[:, id_col.j]], dtype=object)
            blank = ids == ""
            for k in np.flatnonzero(blank):
                self._problem(
                    fname,
                    sheet,
                    rows[k],
                    id_col.j,
                    id_col.header,
                    f"row{rows[k] + 1}",
                    "",
                    f"the respondent id is empty; the row was given the id row{rows[k] + 1}",
                    "a respondent id",
                )
                ids[k] = f"row{rows[k] + 1}"
            id_cells = [cell_name(r, id_col.j) for r in rows]
            generated = False
        else:
            ids = np.array([str(i + 1) for i in range(n)], dtype=object)
            generated = True
        out["resp_id"] = ids
        skip = SKIP_CODES.get(platform, frozenset())
        for q in self.spec.background:
            c = next((c for c in cols if c.target == q.id), None)
            if c is not None:
                out[q.id] = self._code_background(fname, sheet, c, data, rows, ids, q, skip)
                continue
            parts = [c for c in cols if c.part_of is not None and c.part_of[0] == q.id]
            if parts:
                out[q.id] = self._code_choice_columns(fname, sheet, parts, data, rows, ids, skip)
        dur = next((c for c in cols if c.role == "duration"), None)
        start = next((c for c in cols if c.role == "start"), None)
        end = next((c for c in cols if c.role == "end"), None)
        if dur is not None:
            out["duration_sec"] = self._code_duration(fname, sheet, dur, data, rows, ids)
        elif start is not None and end is not None:
            t0 = pd.to_datetime(pd.Series(data.iloc[:, start.j].to_numpy()), errors="coerce", format="mixed")
            t1 = pd.to_datetime(pd.Series(data.iloc[:, end.j].to_numpy()), errors="coerce", format="mixed")
            out["duration_sec"] = (t1 - t0).dt.total_seconds().to_numpy(dtype=float)
        mech = self.spec.mechanism(mid)
        n_text = n_num = 0
        data = self._not_applicable(mid, cols, data)
        for it in mech.items:
            c = next(c for c in cols if c.target == it.id)
            vals, nt, nn = self._code_scale(fname, sheet, c, data, rows, ids, skip)
            out[it.id] = vals
            n_text += nt
            n_num += nn
        for a in self.spec.attention_checks_for(mid):
            c = next((c for c in cols if c.target == a.id), None)
            if c is not None:
                out[a.id] = self._code_scale(fname, sheet, c, data, rows, ids, skip)[0]
        frame = pd.DataFrame(out)
        frame["resp_id"] = frame["resp_id"].astype(object)
        variant = "text" if n_text > n_num else "codes"
        return frame, generated, id_cells, variant

    def _not_applicable(self, mid: str, cols: list[_Column], data: pd.DataFrame) -> pd.DataFrame:
        """Blank the "not applicable" answers of the items that offer it, and count them.

        A cell is "not applicable" when it holds the spec's N/A code (``8`` by
        default) or its label in either language ("Not applicable", "不适用").
        Items that do not offer it are left alone (there the code is outside
        the scale, a cell problem).
        """
        na = self.spec.not_applicable
        items = [it for it in self.spec.mechanism(mid).items if it.not_applicable]
        if na is None or not items:
            return data
        keys = {text_key(v) for v in na.label.values()}

        def is_na(v) -> bool:
            if not _filled(v) or isinstance(v, (bool, np.bool_)):
                return False
            if isinstance(v, (int, float, np.integer, np.floating)):
                return float(v) == na.code
            t = unicodedata.normalize("NFKC", str(v)).strip()
            try:
                return float(t) == na.code
            except ValueError:
                return text_key(t) in keys

        out = data.copy()
        for it in items:
            c = next(c for c in cols if c.target == it.id)
            mask = np.array([is_na(v) for v in out.iloc[:, c.j]], dtype=bool)
            key = (mid, it.id)
            self.na_counts[key] = self.na_counts.get(key, 0) + int(mask.sum())
            if mask.any():
                out.iloc[np.flatnonzero(mask), c.j] = None
        return out

    def _problem(self, f, sheet, row0, j, header, resp_id, value, problem, expected) -> None:
        self.problems.append(
            {
                "file": f,
                "sheet": sheet,
                "cell": cell_name(row0, j),
                "column": header,
                "resp_id": resp_id,
                "value": value,
                "problem": problem,
                "expected": expected,
                "_order": (len(self.sources), int(row0), j),
            }
        )

    def _code_scale(self, f, sheet, c: _Column, data, rows, ids, skip):
        lo, hi = self.spec.scale.min, self.spec.scale.max
        codes, uniq = pd.factorize(data.iloc[:, c.j], use_na_sentinel=True)
        vals = np.full(len(uniq), np.nan)
        bad: list[str | None] = [None] * len(uniq)
        n_text = n_num = 0
        counts = np.bincount(codes[codes >= 0], minlength=len(uniq)) if len(uniq) else np.array([])
        for k, v in enumerate(uniq):
            x, problem, is_text = _classify_scale(v, lo, hi, skip, self.labels)
            vals[k] = x
            bad[k] = problem
            if not np.isnan(x):
                if is_text:
                    n_text += counts[k]
                else:
                    n_num += counts[k]
        out = np.where(codes >= 0, vals[np.maximum(codes, 0)] if len(uniq) else np.nan, np.nan).astype(float)
        for k, problem in enumerate(bad):
            if problem is None:
                continue
            for pos in np.flatnonzero(codes == k):
                self._problem(
                    f, sheet, rows[pos], c.j, c.header, ids[pos], _show(uniq[k]), problem, self.scale_expected
                )
        return out, n_text, n_num

    def _code_background(self, f, sheet, c: _Column, data, rows, ids, q, skip):
        codes, uniq = pd.factorize(data.iloc[:, c.j], use_na_sentinel=True)
        numeric = q.type == "single" or q.type == "number"
        vals: list[Any] = []
        bad: list[str | None] = []
        for v in uniq:
            x, problem = _classify_background(v, q, skip)
            vals.append(x)
            bad.append(problem)
        if numeric:
            arr = np.array([np.nan if x is None else float(x) for x in vals] + [np.nan], dtype=float)
        else:
            arr = np.array(list(vals) + [None], dtype=object)
        out = arr[np.where(codes >= 0, codes, len(uniq))]
        if q.choices:
            exp = "one of " + ", ".join(
                f"{ch.code} ({ch.label.get('en', '')} / {ch.label.get('zh', '')})" for ch in q.choices
            )
        else:
            exp = "a number" if q.type == "number" else "text"
        for k, problem in enumerate(bad):
            if problem is None:
                continue
            for pos in np.flatnonzero(codes == k):
                self._problem(f, sheet, rows[pos], c.j, c.header, ids[pos], _show(uniq[k]), problem, exp)
        return out

    def _code_choice_columns(self, f, sheet, parts: list[_Column], data, rows, ids, skip):
        """0/1 option columns -> ``;``-joined sorted codes of the chosen options (None when nothing is chosen)."""
        chosen: list[list[int]] = [[] for _ in range(len(data))]
        for c in sorted(parts, key=lambda c: c.part_of[1]):
            code = c.part_of[1]
            for k, v in enumerate(data.iloc[:, c.j]):
                if not _filled(v) or (
                    isinstance(v, str) and unicodedata.normalize("NFKC", v).strip().casefold() in MISSING_TOKENS
                ):
                    continue
                x = float(unicodedata.normalize("NFKC", str(v)).strip()) if _is_number(v) else None
                if x is not None and x in skip:
                    continue
                if x == 1:
                    chosen[k].append(code)
                elif x != 0:
                    self._problem(
                        f,
                        sheet,
                        rows[k],
                        c.j,
                        c.header,
                        ids[k],
                        _show(v),
                        f"'{_show(v)}' is not 0 or 1 in an option column of question {c.part_of[0]}",
                        "1 (chosen) or 0 (not chosen)",
                    )
        return np.array([";".join(str(x) for x in sorted(set(ch))) if ch else None for ch in chosen], dtype=object)

    def _code_duration(self, f, sheet, c: _Column, data, rows, ids):
        col = data.iloc[:, c.j]
        codes, uniq = pd.factorize(col, use_na_sentinel=True)
        vals = np.full(len(uniq) + 1, np.nan)
        for k, v in enumerate(uniq):
            x = _parse_duration(v)
            if x is None:
                for pos in np.flatnonzero(codes == k):
                    self._problem(
                        f,
                        sheet,
                        rows[pos],
                        c.j,
                        c.header,
                        ids[pos],
                        _show(v),
                        f"'{_show(v)}' is not a duration",
                        "seconds, e.g. 185 or 185秒 or 3分5秒",
                    )
            else:
                vals[k] = x
        return vals[np.where(codes >= 0, codes, len(uniq))]


def _scale_lookup(spec: ModelSpec) -> dict[str, int]:
    """Scale label -> code, for the spec's scale and its named scales (they share the codes)."""
    out = {}
    for s in [spec.scale, *spec.scales.values()]:
        for labels in s.labels.values():
            for i, lab in enumerate(labels):
                out.setdefault(text_key(lab), s.min + i)
    return out


def _classify_scale(v, lo, hi, skip, labels) -> tuple[float, str | None, bool]:
    """(code or NaN, problem or None, answered-with-text)."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return np.nan, None, False
    if isinstance(v, (bool, np.bool_)):
        return np.nan, f"{v} is not a scale code", False
    if isinstance(v, (int, float, np.integer, np.floating)):
        x = float(v)
    elif isinstance(v, str):
        t = unicodedata.normalize("NFKC", v).strip()
        if t.casefold() in MISSING_TOKENS:
            return np.nan, None, False
        try:
            x = float(t)
        except ValueError:
            code = labels.get(text_key(t))
            if code is not None:
                return float(code), None, True
            return np.nan, f"'{v}' is not a label of the scale", False
    elif isinstance(v, (_dt.date, _dt.time, pd.Timestamp)):
        return np.nan, f"{v} is a date or time, not a scale code", False
    else:
        return np.nan, f"{v!r} is not a scale code", False
    if x in skip:
        return np.nan, None, False
    if not np.isfinite(x) or not float(x).is_integer():
        return np.nan, f"{_num(x)} is not a whole number", False
    if not lo <= x <= hi:
        return np.nan, f"{_num(x)} is outside the scale {lo}-{hi}", False
    return x, None, False


def _classify_background(v, q, skip) -> tuple[Any, str | None]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None, None
    t = unicodedata.normalize("NFKC", str(v)).strip() if isinstance(v, str) else v
    if isinstance(t, str) and t.casefold() in MISSING_TOKENS:
        return None, None
    if _is_number(t) and float(t) in skip:
        return None, None
    codes = {ch.code for ch in q.choices}
    if q.type == "number":
        return (float(t), None) if _is_number(t) else (None, f"'{v}' is not a number")
    if q.type == "text":
        return str(v), None

    def one(part):
        if _is_number(part):
            x = float(part)
            return int(x) if x.is_integer() and int(x) in codes else None
        return q.code_for(str(part))

    if q.type == "multiple" and isinstance(t, str):
        parts = [p.strip() for p in _MULTI_SPLIT.split(t) if p.strip()]
        got = [one(p) for p in parts]
        unknown = [p for p, g in zip(parts, got) if g is None]
        if unknown:
            return None, f"'{unknown[0]}' is not a choice of question {q.id}"
        return ";".join(str(g) for g in sorted(set(got))), None
    code = one(t)
    if code is None:
        return None, f"'{_show(v)}' is not a choice of question {q.id}"
    return (float(code) if q.type == "single" else str(code)), None


_DUR = re.compile(
    r"^(?:(\d+(?:\.\d+)?)\s*(?:小时|时|h))?\s*(?:(\d+(?:\.\d+)?)\s*(?:分钟|分|m|min))?\s*"
    r"(?:(\d+(?:\.\d+)?)\s*(?:秒|s|sec))?$",
    re.I,
)


def _parse_duration(v) -> float | None:
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v) if np.isfinite(v) and v >= 0 else None
    if isinstance(v, _dt.timedelta):
        return v.total_seconds()
    t = unicodedata.normalize("NFKC", str(v)).strip()
    if t.casefold() in MISSING_TOKENS:
        return np.nan
    if _is_number(t):
        x = float(t)
        return x if x >= 0 else None
    m = _DUR.match(t)
    if m and any(m.groups()):
        h, mi, s = (float(g) if g else 0.0 for g in m.groups())
        return h * 3600 + mi * 60 + s
    m = re.match(r"^(\d+):(\d{1,2}):(\d{1,2})$", t)
    if m:
        return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))
    return None


def _id_list(ids: list[str]) -> str:
    shown = ", ".join(ids[:_MAX_IDS_SHOWN])
    return shown + (f", ... and {len(ids) - _MAX_IDS_SHOWN} more" if len(ids) > _MAX_IDS_SHOWN else "")


def _filled(c) -> bool:
    if c is None:
        return False
    if isinstance(c, float) and np.isnan(c):
        return False
    return not (isinstance(c, str) and not c.strip())


def _filled_any(s: pd.Series) -> bool:
    return any(_filled(v) for v in s)


def _any_filled(grid: pd.DataFrame) -> bool:
    for r in range(grid.shape[0]):  # usually stops at the first row
        if any(_filled(v) for v in grid.iloc[r]):
            return True
    return False


def _row_filled(df: pd.DataFrame) -> np.ndarray:
    if df.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    arr = df.to_numpy(dtype=object)
    empty = pd.isna(arr) | (arr == "")
    filled = ~empty.all(axis=1)
    # whitespace-only cells also count as empty (rare; checked only where needed)
    return filled


def _is_number(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (int, float, np.integer, np.floating)):
        return not (isinstance(v, float) and np.isnan(v))
    try:
        float(unicodedata.normalize("NFKC", str(v)).strip())
        return True
    except ValueError:
        return False


def _extra_value(v) -> Any:
    """A cell of a column carried as it is (``extra_columns``): numbers as numbers, text trimmed, blanks None."""
    if not _filled(v):
        return None
    if _is_number(v):
        x = float(unicodedata.normalize("NFKC", str(v)).strip()) if isinstance(v, str) else float(v)
        return int(x) if x.is_integer() else x
    return unicodedata.normalize("NFKC", str(v)).strip()


def _num(x: float) -> str:
    return str(int(x)) if np.isfinite(x) and float(x).is_integer() else f"{x:g}"


def _show(v) -> str:
    if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _id_text(v) -> str:
    if not _filled(v):
        return ""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return unicodedata.normalize("NFKC", str(v)).strip()


def _short(s: str, n: int = 40) -> str:
    s = str(s)
    return s if len(s) <= n else s[: n - 3] + "..."


def ingest(
    paths: str | Path | Iterable[str | Path],
    spec: ModelSpec,
    *,
    fmt: str = "auto",
    mapping: str | Path | Mapping[str, str] | None = None,
    mechanism: str | None = None,
    keep_unfinished: bool = False,
    extra_columns: Mapping[str, str] | None = None,
) -> IngestResult:
    """Read response files and return one tidy DataFrame per mechanism.

    Parameters
    ----------
    paths : path or list of paths
        ``.xlsx``, ``.xls`` (also HTML saved as ``.xls``) or ``.csv`` files.
        Files for the same mechanism are stacked.
    spec : ModelSpec
        The model spec whose items, scale and background questions the columns
        are matched against.
    fmt : str
        ``auto`` (default) or one of ``template``, ``csv``, ``wjx``,
        ``qualtrics``, ``google``, ``msforms``, ``generic`` to force the layout.
    mapping : path or dict, optional
        Column header -> item id (``ignore`` to skip a column); overrides the
        automatic mapping. A CSV or YAML file, see :func:`read_mapping`.
    mechanism : str, optional
        Read only columns of this mechanism (needed when a file matches several
        mechanisms equally).
    keep_unfinished : bool
        Keep Qualtrics responses with ``Finished`` = False/0 (or, without a
        ``Finished`` column, ``Progress`` < 100). By default they are left
        out. Survey previews, spam and generated test responses (``Status``
        ``Survey Preview``/1, ``Spam``/8, ``Survey Test``/2 ...) are always
        left out. Either way a warning names them with their counts and ids,
        and :attr:`IngestResult.left_out` lists the rows left out.
    extra_columns : dict of str to str, optional
        Columns the spec does not declare to carry into the data as they are, by column header or
        question title (a Wenjuanxing title without its number): ``{name: option}``, where ``option``
        is the command-line option that asked for it (``"--group"``) and starts the message when a
        file has no such column. The data gets a column called ``name``.

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        Listing every file problem found (each naming file, sheet, cell or
        column, value and what was expected). The error carries the column
        mapping found so far as ``.mapping`` (a DataFrame) for
        ``--print-mapping``.

    Examples
    --------
    >>> from instruments.spec import load_spec
    >>> spec = load_spec("tests/fixtures/specs/minimal.yaml")
    >>> res = ingest("tests/fixtures/exports/template.xlsx", spec)
    >>> list(res.data), res.format
    (['main'], 'template')
    >>> res.data["main"].shape
    (8, 14)
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}'; expected one of: {', '.join(FORMATS)}")
    if mechanism is not None:
        spec.mechanism(mechanism)
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("no response files given; expected at least one .xlsx, .xls or .csv file")
    if isinstance(mapping, (str, Path)):
        mapping = read_mapping(mapping, spec, extra_targets=tuple(extra_columns or ()))
    run = _Run(
        spec,
        fmt,
        dict(mapping) if mapping else None,
        mechanism,
        keep_unfinished=keep_unfinished,
        extra_columns=extra_columns,
    )
    blocks: list[_Block] = []
    for p in paths:
        try:
            sheets = read_file(p)
        except InputError as exc:
            run.errors.append(str(exc))
            continue
        outcomes = []
        used = [
            raw
            for raw in sheets
            if fold(raw.sheet) not in IGNORED_SHEETS
            and not any(fold(raw.sheet).startswith(w) for w in ("codebook", "instructions"))
        ]
        if any(_looks_template(raw) for raw in used):
            used = [raw for raw in used if _looks_template(raw)]  # a template: only response sheets
        for raw in used:
            res = run.sheet(raw)
            outcomes.append(res)
            if isinstance(res, _Block):
                blocks.append(res)
        if not any(isinstance(o, _Block) for o in outcomes) and "error" not in outcomes:
            if all(o == "empty" for o in outcomes):
                run.errors.append(f"{p.name}: the file is empty (no cells with values); expected survey responses")
            else:
                which = f"mechanism {mechanism}" if mechanism else "the model spec"
                heads = _headers_preview(sheets)
                run.errors.append(
                    f"{p.name}: no column matches an item of {which}{' (columns: ' + heads + ')' if heads else ''}; "
                    "expected columns headed by item ids (e.g. "
                    f"{', '.join(_first_items(spec, mechanism))}) or by the item texts, or a --mapping file"
                )
    for k in run.mapping:
        if k not in run.mapping_used:
            run.warnings.append(f"mapping: the header '{k}' matched no column of the input files")
    data = _combine(run, blocks)
    mp = pd.DataFrame(run.mapping_rows, columns=MAPPING_COLUMNS)
    if run.errors:
        n = len(run.errors)
        err = InputError(
            f"{n} problem{'s' if n > 1 else ''} in the response file{'s' if len(paths) > 1 else ''}; "
            "nothing was ingested",
            run.errors,
        )
        err.mapping = mp
        raise err
    formats = sorted({s["format"] for s in run.sources})
    # in reading order: file by file, row by row, left to right
    ordered = sorted(run.problems, key=lambda d: d["_order"])
    problems = pd.DataFrame(ordered, columns=PROBLEM_COLUMNS)
    return IngestResult(
        data=data,
        mapping=mp,
        problems=problems,
        format=formats[0] if len(formats) == 1 else "mixed",
        sources=pd.DataFrame(run.sources, columns=SOURCE_COLUMNS),
        warnings=run.warnings,
        left_out=pd.DataFrame(run.left_out, columns=LEFT_OUT_COLUMNS),
        not_applicable=pd.DataFrame(
            [{"mechanism": m, "variable": v, "n_not_applicable": n} for (m, v), n in run.na_counts.items()],
            columns=NA_COLUMNS,
        ),
    )


def _combine(run: _Run, blocks: list[_Block]) -> dict[str, pd.DataFrame]:
    data: dict[str, pd.DataFrame] = {}
    by_mech: dict[str, list[_Block]] = {}
    for b in blocks:
        by_mech.setdefault(b.mechanism, []).append(b)
    for mid, bs in by_mech.items():
        frames = []
        seen: dict[str, str] = {}
        dups: list[str] = []
        for b in bs:
            f = b.frame
            prefixed = (b.generated_ids or b.sequential_ids) and len(bs) > 1
            if prefixed:
                # several surveys each numbered from 1: keep the ids apart by file name
                f = f.assign(resp_id=[f"{b.path.stem}:{i}" for i in f["resp_id"]])
            if not b.generated_ids:
                for rid, cell in zip(f["resp_id"], b.id_cells):
                    here = f"{b.where}, cell {cell}"
                    if rid in seen:
                        dups.append(
                            f"respondent id '{rid}' appears twice: {seen[rid]} and {here}; "
                            "expected each respondent once (remove the duplicate response)"
                        )
                    else:
                        seen[rid] = here
            frames.append(f)
        if dups:
            run.errors.extend(dups[:50])
            if len(dups) > 50:
                run.errors.append(f"... and {len(dups) - 50} more duplicate respondent ids")
        mech = run.spec.mechanism(mid)
        cols = (
            ["resp_id"]
            + [q.id for q in run.spec.background]
            + list(run.extra_columns)
            + ["duration_sec"]
            + mech.item_ids
            + [a.id for a in run.spec.attention_checks_for(mid)]
        )
        df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        data[mid] = df[[c for c in cols if c in df.columns]].reset_index(drop=True)
    return data


def _looks_template(raw: RawSheet) -> bool:
    g = raw.grid
    if g.shape[0] == 0:
        return False
    top = [list(g.iloc[r]) for r in range(min(_MAX_HEADER_SCAN, g.shape[0]))]
    return detect_platform(top)[0] == "template"


def _headers_preview(sheets: list[RawSheet]) -> str:
    for raw in sheets:
        if raw.grid.shape[0]:
            heads = [str(c) for c in raw.grid.iloc[0] if _filled(c)]
            if heads:
                s = ", ".join(heads[:6])
                return s + (", ..." if len(heads) > 6 else "")
    return ""


def _first_items(spec: ModelSpec, mechanism: str | None) -> list[str]:
    ms = spec.select(mechanism)
    return ms[0].item_ids[:3] if ms else []
