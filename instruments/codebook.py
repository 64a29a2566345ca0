"""The codebook: every variable of a mechanism's questionnaire, its codes and labels.

:func:`codebook` and :func:`value_labels` return tidy DataFrames; the writers
put them in ``codebook_<mechanism>.xlsx`` (sheets ``Variables`` and
``Values``) and in two UTF-8 CSV files (``codebook_<mechanism>.csv`` and
``codebook_<mechanism>_values.csv``, with a byte-order mark so Excel opens the
Chinese correctly). Rows are in questionnaire order (see
:mod:`instruments._layout`): background questions, then items and attention
checks as they appear in the item matrix.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from ._layout import layout, save_workbook, scale_label_text, ui
from .outputs import safe_cell, write_bytes
from .spec import ModelSpec, specify_id

__all__ = [
    "CODEBOOK_COLUMNS",
    "VALUE_COLUMNS",
    "add_table_sheet",
    "codebook",
    "value_labels",
    "write_codebook",
]

#: Columns of :func:`codebook`, in order.
CODEBOOK_COLUMNS = [
    "variable",
    "position",
    "kind",
    "mechanism",
    "construct",
    "construct_label_en",
    "construct_label_zh",
    "stage",
    "text_en",
    "text_zh",
    "reverse",
    "type",
    "scale_min",
    "scale_max",
    "value_labels_en",
    "value_labels_zh",
    "expected",
    "source",
    "scale",
    "period_en",
    "period_zh",
    "not_applicable_code",
    "randomize",
    "mode",
    "adaptation",
    "original",
    "ask_if",
    "ends_survey",
]
#: Columns of :func:`value_labels`, in order.
VALUE_COLUMNS = ["mechanism", "variable", "code", "label_en", "label_zh"]


def codebook(spec: ModelSpec, mechanism: str | None = None) -> pd.DataFrame:
    """One row per variable of each selected mechanism's questionnaire.

    Parameters
    ----------
    spec : ModelSpec
    mechanism : str, optional
        A mechanism id; ``None`` means every mechanism (rows stacked).

    Returns
    -------
    pandas.DataFrame
        Columns:

        - ``variable``: the column name in the response data (item, check or question id)
        - ``position``: the question number in the printed questionnaire
        - ``kind``: ``background``, ``item`` or ``attention_check``
        - ``mechanism``: mechanism id
        - ``construct``, ``construct_label_en``, ``construct_label_zh``, ``stage``:
          for items (empty for other kinds)
        - ``text_en``, ``text_zh``: the question or statement
        - ``reverse``: ``True`` for a reverse-keyed item, ``False`` otherwise
        - ``type``: ``likert`` for items and checks; the question type
          (``single``, ``multiple``, ``text``, ``number``) for background questions
        - ``scale_min``, ``scale_max``: the Likert scale (items and checks)
        - ``value_labels_en``, ``value_labels_zh``: ``"1 = ...; 2 = ..."``
        - ``expected``: for attention checks, the accepted codes (``"6"`` or ``"6; 7"``)
        - ``source``: the item's (or else its construct's) source, if given
        - ``scale``: the name of the item's scale (``default`` or a key of
          ``scales``)
        - ``period_en``, ``period_zh``: the construct's reference period
        - ``not_applicable_code``: the N/A code when the item offers it
          (read as missing and counted, never a scale point)
        - ``randomize``: ``items`` when the block's rows are shuffled online
        - ``mode``: ``reflective`` or ``formative`` (items)
        - ``adaptation``: ``adopted``, ``adapted`` or ``self-developed``
        - ``original``: where the original wording is found
        - ``ask_if``: ``question in codes`` for a question asked only after
          some answers; the specify box's question and choice
        - ``ends_survey``: the answer codes that end the survey (``"2"``)

        ``kind`` is ``consent``, ``screener``, ``background``, ``specify``
        (the text of an "other, please specify" choice), ``item`` or
        ``attention_check``. Empty cells are empty strings (``reverse`` is always a bool), so the
        table writes identically to CSV and Excel.
    """
    rows = []
    empty = {
        "scale": "",
        "period_en": "",
        "period_zh": "",
        "not_applicable_code": "",
        "randomize": "",
        "mode": "",
        "adaptation": "",
        "original": "",
        "ask_if": "",
        "ends_survey": "",
    }
    for mech in spec.select(mechanism):
        lay = layout(spec, mech)

        def question(number, q, mech=mech):
            rows.append(
                {
                    "variable": q.id,
                    "position": number,
                    "kind": q.section,
                    "mechanism": mech.id,
                    "construct": "",
                    "construct_label_en": "",
                    "construct_label_zh": "",
                    "stage": "",
                    "text_en": q.text_for(mech.id).get("en", ""),
                    "text_zh": q.text_for(mech.id).get("zh", ""),
                    "reverse": False,
                    "type": q.type,
                    "scale_min": "",
                    "scale_max": "",
                    "value_labels_en": "; ".join(f"{c.code} = {c.label.get('en', '')}" for c in q.choices),
                    "value_labels_zh": "; ".join(f"{c.code} = {c.label.get('zh', '')}" for c in q.choices),
                    "expected": "",
                    "source": "",
                    **empty,
                    "ask_if": (f"{q.ask_if.question} in {', '.join(map(str, q.ask_if.answers))}" if q.ask_if else ""),
                    "ends_survey": "; ".join(str(c) for c in q.ends_for(mech.id)),
                }
            )
            for ch in q.specify_choices:
                rows.append(
                    {
                        "variable": specify_id(q, ch),
                        "position": number,
                        "kind": "specify",
                        "mechanism": mech.id,
                        "construct": "",
                        "construct_label_en": "",
                        "construct_label_zh": "",
                        "stage": "",
                        "text_en": ui("specify_q", "en", label=ch.label.get("en", "")),
                        "text_zh": ui("specify_q", "zh", label=ch.label.get("zh", "")),
                        "reverse": False,
                        "type": "text",
                        "scale_min": "",
                        "scale_max": "",
                        "value_labels_en": "",
                        "value_labels_zh": "",
                        "expected": "",
                        "source": "",
                        **empty,
                        "ask_if": f"{q.id} in {ch.code}",
                    }
                )

        for number, q in lay.background:
            question(number, q)
        for block in lay.blocks:
            c = block.construct
            bsc = block.scale or spec.scale
            for r in block.rows:
                is_item = r.kind == "item"
                rsc = bsc if is_item else spec.scale
                rows.append(
                    {
                        "variable": r.id,
                        "position": r.number,
                        "kind": r.kind,
                        "mechanism": mech.id,
                        "construct": c.id if is_item else "",
                        "construct_label_en": c.label.get("en", "") if is_item else "",
                        "construct_label_zh": c.label.get("zh", "") if is_item else "",
                        "stage": c.stage if is_item else "",
                        "text_en": r.text.get("en", ""),
                        "text_zh": r.text.get("zh", ""),
                        "reverse": bool(is_item and r.item.reverse),
                        "type": "likert",
                        "scale_min": rsc.min,
                        "scale_max": rsc.max,
                        "value_labels_en": scale_label_text(spec, "en", rsc, r.na),
                        "value_labels_zh": scale_label_text(spec, "zh", rsc, r.na),
                        "expected": "" if is_item else "; ".join(str(e) for e in r.check.expected),
                        "source": ((r.item.source or c.source or "") if is_item else ""),
                        "scale": rsc.name,
                        "period_en": (c.period or {}).get("en", "") if is_item else "",
                        "period_zh": (c.period or {}).get("zh", "") if is_item else "",
                        "not_applicable_code": spec.not_applicable.code if r.na else "",
                        "randomize": "items" if c.randomize else "",
                        "mode": c.mode if is_item else "",
                        "adaptation": (r.item.adaptation or "") if is_item else "",
                        "original": (r.item.original or "") if is_item else "",
                        "ask_if": "",
                        "ends_survey": "",
                    }
                )
        for number, q in lay.closing:
            question(number, q)
    return pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)


def value_labels(spec: ModelSpec, mechanism: str | None = None) -> pd.DataFrame:
    """One row per (variable, code): the labels of every coded answer.

    Returns
    -------
    pandas.DataFrame
        Columns ``mechanism``, ``variable``, ``code`` (int), ``label_en``,
        ``label_zh``. Section-1 question choices first, then the scale of each
        item and attention check (with the N/A code where offered), then the
        closing questions' choices.
    """
    rows = []
    na = spec.not_applicable
    for mech in spec.select(mechanism):
        lay = layout(spec, mech)

        def question(q, mech=mech):
            for ch in q.choices:
                rows.append(
                    {
                        "mechanism": mech.id,
                        "variable": q.id,
                        "code": ch.code,
                        "label_en": ch.label.get("en", ""),
                        "label_zh": ch.label.get("zh", ""),
                    }
                )

        for _, q in lay.background:
            question(q)
        for block in lay.blocks:
            for r in block.rows:
                sc = (block.scale or spec.scale) if r.kind == "item" else spec.scale
                for code in sc.codes:
                    rows.append(
                        {
                            "mechanism": mech.id,
                            "variable": r.id,
                            "code": code,
                            "label_en": sc.label(code, "en"),
                            "label_zh": sc.label(code, "zh"),
                        }
                    )
                if r.na:
                    rows.append(
                        {
                            "mechanism": mech.id,
                            "variable": r.id,
                            "code": na.code,
                            "label_en": na.label.get("en", ""),
                            "label_zh": na.label.get("zh", ""),
                        }
                    )
        for _, q in lay.closing:
            question(q)
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)


#: Column widths (characters) for the codebook sheets; others get 14.
_WIDTHS = {
    "variable": 12,
    "position": 9,
    "kind": 15,
    "mechanism": 12,
    "construct": 11,
    "construct_label_en": 28,
    "construct_label_zh": 18,
    "stage": 12,
    "text_en": 60,
    "text_zh": 40,
    "reverse": 9,
    "type": 9,
    "scale_min": 10,
    "scale_max": 10,
    "value_labels_en": 40,
    "value_labels_zh": 34,
    "expected": 10,
    "source": 30,
    "code": 7,
    "label_en": 30,
    "label_zh": 24,
    "period_en": 18,
    "period_zh": 12,
    "original": 30,
    "rule_en": 70,
    "rule_zh": 50,
}


def add_table_sheet(wb, title: str, df: pd.DataFrame):
    """Append ``df`` to workbook ``wb`` as a sheet: bold frozen header, widths, filter, safe cells."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append([safe_cell(str(c)) for c in df.columns])
    for rec in df.itertuples(index=False):
        ws.append([safe_cell(_cell(v)) for v in rec])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDDDDD")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
    wrap = Alignment(wrap_text=True, vertical="top")
    for j, col in enumerate(df.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = _WIDTHS.get(col, 14)
        if col in ("text_en", "text_zh", "value_labels_en", "value_labels_zh", "source"):
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.alignment = wrap
    ws.freeze_panes = "B2"
    if len(df):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{len(df) + 1}"
    return ws


def _cell(v):
    """A DataFrame value as a workbook cell value (numpy scalars to Python, empty to None)."""
    if hasattr(v, "item"):
        v = v.item()
    return None if v == "" else v


def _csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(df.columns)
    for rec in df.itertuples(index=False):
        w.writerow([safe_cell(v.item() if hasattr(v, "item") else v) for v in rec])
    return buf.getvalue().encode("utf-8-sig")


def write_codebook(spec: ModelSpec, out_dir: str | Path, mechanism: str | None = None) -> list[Path]:
    """Write ``codebook_<mechanism>.xlsx``, ``.csv`` and ``_values.csv`` for each selected mechanism.

    Text cells go through :func:`instruments.outputs.safe_cell` in both the
    workbook and the CSV files, so no text can run as a formula. Returns the
    paths written.
    """
    from openpyxl import Workbook

    out_dir = Path(out_dir)
    paths = []
    for mech in spec.select(mechanism):
        cb = codebook(spec, mech.id)
        vl = value_labels(spec, mech.id)
        wb = Workbook()
        wb.remove(wb.active)
        add_table_sheet(wb, "Variables", cb)
        add_table_sheet(wb, "Values", vl)
        paths.append(save_workbook(wb, out_dir / f"codebook_{mech.id}.xlsx"))
        paths.append(write_bytes(out_dir / f"codebook_{mech.id}.csv", _csv_bytes(cb)))
        paths.append(write_bytes(out_dir / f"codebook_{mech.id}_values.csv", _csv_bytes(vl)))
    return paths
