"""XLSForm: the questionnaire for ODK Collect, Enketo, KoboToolbox and SurveyCTO.

``xlsform_<mechanism>.xlsx`` has the three XLSForm sheets:

* ``survey``: ``type``, ``name``, ``label::English (en)``,
  ``label::Chinese (zh)``, ``hint::English (en)``, ``hint::Chinese (zh)``,
  ``required``, ``appearance``. An intro note; the background questions in a
  ``field-list`` group (``select_one bg_<id>``, ``select_multiple bg_<id>``,
  ``text`` or ``integer``); then one ``field-list`` group per item block (the
  same blocks as the printed questionnaire, :mod:`instruments._layout`), each
  item a ``select_one likert`` with the ``likert`` appearance. The attention
  check is an ordinary ``select_one likert`` row where it sits. Every question
  is required.
* ``choices``: the ``likert`` list (names are the scale codes) and one
  ``bg_<id>`` list per choice question (names are the choice codes), so the
  exported data hold the same codes as the response template.
* ``settings``: ``form_title``, ``form_id`` (``vcc_<spec name>_<mechanism>``),
  ``version`` (the first 10 hex digits of the spec's sha256, so a changed spec
  gives a new version), ``default_language`` (``English (en)``) and
  ``style`` ``pages`` (one group per screen in Enketo).

The file converts with ``pyxform`` (checked in the tests). Text cells pass
through :func:`instruments.outputs.safe_cell`.
"""

from __future__ import annotations

import re
from pathlib import Path

from ._layout import layout, save_workbook, ui
from .outputs import safe_cell
from .spec import ModelSpec

__all__ = ["CHOICES_COLUMNS", "SETTINGS_COLUMNS", "SURVEY_COLUMNS", "write_xlsform", "xlsform_tables"]

LANG_NAMES = {"en": "English (en)", "zh": "Chinese (zh)"}
SURVEY_COLUMNS = ["type", "name", "label::English (en)", "label::Chinese (zh)", "hint::English (en)",
                  "hint::Chinese (zh)", "required", "appearance"]
CHOICES_COLUMNS = ["list_name", "name", "label::English (en)", "label::Chinese (zh)"]
SETTINGS_COLUMNS = ["form_title", "form_id", "version", "default_language", "style"]


def _labels(text: dict[str, str], kind: str = "label") -> dict[str, str]:
    return {f"{kind}::{LANG_NAMES[lg]}": text.get(lg, text.get("en", "")) for lg in LANG_NAMES}


def _ui(key: str, **fmt) -> dict[str, str]:
    return {lg: ui(key, lg, **fmt) for lg in LANG_NAMES}


def xlsform_tables(spec: ModelSpec, mechanism: str) -> dict[str, list[dict]]:
    """The XLSForm of one mechanism as rows of the ``survey``, ``choices`` and ``settings`` sheets.

    Returns
    -------
    dict
        ``{"survey": [...], "choices": [...], "settings": [...]}``, each a list
        of dicts keyed by the column names in :data:`SURVEY_COLUMNS`,
        :data:`CHOICES_COLUMNS` and :data:`SETTINGS_COLUMNS`.
    """
    lay = layout(spec, mechanism)
    mech = lay.mechanism
    taken = set(lay.columns)

    def unique(name: str) -> str:
        while name in taken:
            name += "_"
        taken.add(name)
        return name

    survey: list[dict] = []
    intro = {lg: lay.title(lg) + "\n\n" + lay.instructions(lg) for lg in LANG_NAMES}
    survey.append({"type": "note", "name": unique("intro"), **_labels(intro)})
    if lay.background:
        survey.append({"type": "begin_group", "name": unique("background"),
                       **_labels({lg: f"{ui('section', lg, n=1)} · {ui('background', lg)}" for lg in LANG_NAMES}),
                       "appearance": "field-list"})
        for _, q in lay.background:
            qtype = {"single": f"select_one bg_{q.id}", "multiple": f"select_multiple bg_{q.id}",
                     "text": "text", "number": "integer"}[q.type]
            survey.append({"type": qtype, "name": q.id, **_labels(q.text), "required": "yes"})
        survey.append({"type": "end_group", "name": ""})
    for block in lay.blocks:
        survey.append({"type": "begin_group", "name": unique(f"section_{block.section}"),
                       **_labels(_ui("section", n=block.section)),
                       **_labels(_ui("matrix_prompt"), "hint"), "appearance": "field-list"})
        for r in block.rows:
            survey.append({"type": "select_one likert", "name": r.id, **_labels(r.text), "required": "yes",
                           "appearance": "likert"})
        survey.append({"type": "end_group", "name": ""})
    survey.append({"type": "note", "name": unique("thanks"), **_labels(_ui("thanks"))})

    sc = spec.scale
    choices = [{"list_name": "likert", "name": str(c),
                **_labels({lg: sc.label(c, lg) for lg in LANG_NAMES})} for c in sc.codes]
    for _, q in lay.background:
        for ch in q.choices:
            choices.append({"list_name": f"bg_{q.id}", "name": str(ch.code), **_labels(ch.label)})

    form_id = re.sub(r"[^A-Za-z0-9_]", "_", f"vcc_{spec.name}_{mech.id}")
    title = lay.title("en")
    if lay.title("zh") != title:
        title += " / " + lay.title("zh")
    settings = [{"form_title": title, "form_id": form_id, "version": spec.sha256[:10] or "1",
                 "default_language": LANG_NAMES["en"], "style": "pages"}]
    return {"survey": survey, "choices": choices, "settings": settings}


def write_xlsform(spec: ModelSpec, out_dir: str | Path, mechanism: str | None = None) -> list[Path]:
    """Write ``xlsform_<mechanism>.xlsx`` for each selected mechanism; returns the paths."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    paths = []
    cols = {"survey": SURVEY_COLUMNS, "choices": CHOICES_COLUMNS, "settings": SETTINGS_COLUMNS}
    for mech in spec.select(mechanism):
        tables = xlsform_tables(spec, mech.id)
        wb = Workbook()
        wb.remove(wb.active)
        for sheet, rows in tables.items():
            ws = wb.create_sheet(sheet)
            ws.append(cols[sheet])
            for row in rows:
                ws.append([safe_cell(row.get(c)) if row.get(c) not in (None, "") else None for c in cols[sheet]])
            for cell in ws[1]:
                cell.font = Font(bold=True)
            ws.freeze_panes = "A2"
            for j, c in enumerate(cols[sheet], start=1):
                ws.column_dimensions[get_column_letter(j)].width = 45 if c.startswith(("label", "hint")) else 18
        paths.append(save_workbook(wb, Path(out_dir) / f"xlsform_{mech.id}.xlsx"))
    return paths
