"""``results.xlsx``: one sheet per table, numbers kept as numbers.

Every sheet has its header in row 1 (frozen), readable column widths, and every
text cell passed through :func:`instruments.outputs.safe_cell`, so no text from
the data (a respondent id "=1+1", say) can run as a formula. An index sheet
lists each table's title and notes.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from instruments.outputs import atomic_write, safe_cell
from instruments.spec import ModelSpec

from . import apa
from .i18n import t
from .results import Results
from .tables import Table, iter_tables

__all__ = ["write_xlsx", "build_workbook", "SHEET_NAMES", "expand_table", "sheet_name", "write_sheet"]

#: Short sheet names per table key (a mechanism id is put in front).
SHEET_NAMES = {
    "summary": "summary",
    "screening_summary": "screening",
    "screening_log": "screening_log",
    "descriptives": "descriptives",
    "mardia": "mardia",
    "fit": "fit",
    "fit_robust": "fit_robust",
    "fit_criteria": "fit_criteria",
    "loadings": "loadings",
    "reliability": "reliability",
    "htmt": "htmt",
    "fornell_larcker": "fornell_larcker",
    "item_total": "item_total",
    "kmo": "kmo_cmb",
    "modindices": "modindices",
    "paths": "paths",
    "r2": "r2",
    "chisq_diff": "chisq_diff",
    "indirect": "indirect",
    "bootstrap": "bootstrap",
    "invariance": "invariance",
    "mg_paths": "mg_paths",
    "mg_tests": "mg_tests",
    "method": "method",
    "warnings": "warnings",
    "fit_amos": "fit_amos",
    "validity_amos": "validity_amos",
    "common_method": "common_method",
    "competing_models": "competing",
    "group_differences": "group_diff",
    "htmt_ci": "htmt_ci",
    "partial_invariance": "partial_invariance",
    "second_order": "second_order",
    "controls": "controls",
    "moderation": "moderation",
    "simple_slopes": "simple_slopes",
    "marker_cfa": "marker_cfa",
    "marker_items": "marker_items",
    "marker_lw": "marker_lw",
    "moderated_mediation": "mod_mediation",
}

NUMBER_FORMATS = {
    "int": "0",
    "num2": "0.00",
    "num3": "0.000",
    "bounded2": "0.00",
    "bounded3": "0.000",
    "p": '[<0.001]"<.001";0.000',
    "pct": "0.0",
    "ci3": "0.000",
    "ci_b3": "0.000",
}
_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(base: str, used: set[str]) -> str:
    """A valid, unique sheet name of at most 31 characters."""
    name = _BAD.sub("_", base).strip("'") or "sheet"
    name = name[:31]
    if name.lower() not in used:
        used.add(name.lower())
        return name
    for i in range(2, 1000):
        suffix = f"~{i}"
        cand = name[: 31 - len(suffix)] + suffix
        if cand.lower() not in used:
            used.add(cand.lower())
            return cand
    raise RuntimeError("too many sheets")  # pragma: no cover - 1000 tables with one name


def _cell_value(v: Any, kind: str) -> Any:
    """A workbook value: a Python number for numeric kinds, safe text otherwise, None for missing."""
    if v is None or (isinstance(v, str) and v == ""):
        return None
    if kind in ("text", "verdict"):
        if isinstance(v, bool):
            return safe_cell(str(v))
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v if apa.as_float(v) is not None else None
        return safe_cell(str(v))
    f = apa.as_float(v)
    if f is None:
        return None if not isinstance(v, str) else safe_cell(v)
    if kind == "int" and float(f).is_integer():
        return int(f)
    return f


def _width(s: Any) -> int:
    s = "" if s is None else str(s)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def expand_table(tab: Table, lang: str) -> tuple[list[tuple[str, str]], list[list[Any]]]:
    """Headers and rows with each CI column split into its lower and upper bound."""
    heads: list[tuple[str, str]] = []
    for c in tab.columns:
        if c.kind in ("ci3", "ci_b3"):
            heads += [(f"{c.header} ({t('lower', lang)})", c.kind), (f"{c.header} ({t('upper', lang)})", c.kind)]
        else:
            heads.append((c.header or c.key, c.kind))
    rows = []
    for i, r in enumerate(tab.rows):
        out = []
        for c in tab.columns:
            kind = tab.kind(i, c)
            v = r.get(c.key)
            if c.kind in ("ci3", "ci_b3"):
                lo, hi = v if isinstance(v, (tuple, list)) and len(v) == 2 else (None, None)
                out += [_cell_value(lo, kind), _cell_value(hi, kind)]
            else:
                out.append(_cell_value(v, kind))
        rows.append(out)
    return heads, rows


def write_sheet(ws, heads: list[tuple[str, str]], rows: list[list[Any]], kinds_per_row=None) -> None:
    bold = Font(bold=True)
    rule = Border(bottom=Side(style="thin"), top=Side(style="medium"))
    fill = PatternFill("solid", fgColor="F1F5F9")
    ws.append([safe_cell(h) for h, _ in heads])
    for cell in ws[1]:
        cell.font = bold
        cell.border = rule
        cell.fill = fill
        cell.alignment = Alignment(vertical="bottom", wrap_text=True)
    for r in rows:
        ws.append(r)
    for j, (h, kind) in enumerate(heads, start=1):
        fmt = NUMBER_FORMATS.get(kind)
        if fmt:
            for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                for cell in row:
                    if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                        cell.number_format = fmt
        width = max([_width(h)] + [_width(r[j - 1]) if not isinstance(r[j - 1], float) else 8 for r in rows[:500]])
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A2"


def build_workbook(results: dict, spec: ModelSpec | None, lang: str = "en") -> Workbook:
    """The results workbook (not yet saved)."""
    wb = Workbook()
    index = wb.active
    index.title = t("xl_index", lang)[:31]
    used = {index.title.lower()}
    index_rows = []
    for tab in iter_tables(results, spec, lang):
        short = SHEET_NAMES.get(tab.key, tab.key)
        name = sheet_name(f"{tab.mechanism}-{short}" if tab.mechanism else short, used)
        ws = wb.create_sheet(name)
        heads, rows = expand_table(tab, lang)
        write_sheet(ws, heads, rows)
        index_rows.append(
            [
                safe_cell(name),
                safe_cell(tab.mechanism or ""),
                safe_cell(tab.title),
                safe_cell(" ".join(tab.notes)) if tab.notes else None,
            ]
        )
    # bootstrap draws: one column per indirect path
    for mid, m in Results.of(results).mechanisms.items():
        draws = m.structural.obj("bootstrap").obj("draws")
        draws = {k: draws.list(k) for k in draws}
        if not draws:
            continue
        name = sheet_name(f"{mid}-bootstrap_draws", used)
        ws = wb.create_sheet(name)
        keys = list(draws)
        n = max(len(v) for v in draws.values())
        rows = [[_cell_value(draws[k][i], "num3") if i < len(draws[k]) else None for k in keys] for i in range(n)]
        heads = [(k.replace("->", " \u2192 "), "") for k in keys]
        write_sheet(ws, heads, rows)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, float):
                    cell.number_format = "0.0000"
        index_rows.append([safe_cell(name), safe_cell(mid), safe_cell(t("xl_draws", lang)), None])
    write_sheet(
        index,
        [(t("xl_sheet", lang), ""), (t("c_mechanism", lang), ""), (t("xl_title", lang), ""), (t("note", lang), "")],
        index_rows,
    )
    index.column_dimensions["D"].width = 100
    for row in index.iter_rows(min_row=2, min_col=4, max_col=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return wb


def write_xlsx(results: dict, spec: ModelSpec | None, path: str | Path, lang: str = "en") -> Path:
    """Write ``results.xlsx`` atomically (a failure leaves no half-written file under ``path``)."""
    wb = build_workbook(results, spec, lang)
    return atomic_write(path, lambda p: wb.save(p))
