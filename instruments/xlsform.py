"""XLSForm: the questionnaire for ODK Collect, Enketo, KoboToolbox and SurveyCTO.

``xlsform_<mechanism>.xlsx`` has the three XLSForm sheets:

* ``survey``: ``type``, ``name``, ``label::English (en)``,
  ``label::Chinese (zh)``, ``hint::English (en)``, ``hint::Chinese (zh)``,
  ``required``, ``appearance``, ``relevant``, ``constraint``,
  ``constraint_message::English (en)``, ``constraint_message::Chinese (zh)``.
  An intro note; the consent text and question in a ``consent`` group; the
  screeners in a ``screening`` group; the background questions in a
  ``field-list`` group ``background`` (``select_one bg_<id>``,
  ``select_multiple bg_<id>``, ``text`` or ``integer``); then one
  ``field-list`` group per item block (the same blocks as the printed
  questionnaire, :mod:`instruments._layout`), each item a ``select_one
  likert`` (``likert_<scale>`` on a named scale, ``..._na`` with the "not
  applicable" answer) with the ``likert`` appearance; then the closing
  background questions in a group ``closing``. The attention check is an
  ordinary ``select_one likert`` row where it sits. Every question is
  required.
* Routing: the consent and each screener *gate* what follows: every later
  group and question is ``relevant`` only when the answers so far continue
  (``${consent} = '1'``), so a declining or screened-out respondent goes
  straight to a closing note (``screened_out``) and the form ends. A question
  with ``ask_if`` is relevant only after those answers (``selected(${q}, 'c')``);
  an "other, please specify" text box only when that choice is selected.
  Number questions with ``min``/``max`` get a ``constraint``.
* ODK and its relatives cannot shuffle the order of questions, so a block with
  ``randomize: items`` keeps the spec's order here (the Wenjuanxing and
  Qualtrics setup notes say where to switch row randomisation on).
* ``choices``: the ``likert`` lists (names are the scale codes, and the N/A
  code) and one ``bg_<id>`` list per choice question (names are the choice
  codes), so the exported data hold the same codes as the response template.
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

from ._layout import ask_if_text, block_prompt, layout, question_text, range_text, save_workbook, ui
from .outputs import safe_cell
from .spec import ModelSpec, specify_id

__all__ = ["CHOICES_COLUMNS", "SETTINGS_COLUMNS", "SURVEY_COLUMNS", "write_xlsform", "xlsform_tables"]

LANG_NAMES = {"en": "English (en)", "zh": "Chinese (zh)"}
SURVEY_COLUMNS = [
    "type",
    "name",
    "label::English (en)",
    "label::Chinese (zh)",
    "hint::English (en)",
    "hint::Chinese (zh)",
    "required",
    "appearance",
    "relevant",
    "constraint",
    "constraint_message::English (en)",
    "constraint_message::Chinese (zh)",
]
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

    mid = mech.id
    survey: list[dict] = []
    intro = {lg: lay.title(lg) + "\n\n" + lay.instructions(lg) for lg in LANG_NAMES}
    survey.append({"type": "note", "name": unique("intro"), **_labels(intro)})
    gates: list[str] = []  # conditions every later question needs

    def passes() -> str:
        return " and ".join(f"({g})" for g in gates)

    def ask(q, relevant_base: str) -> None:
        qtype = {
            "single": f"select_one bg_{q.id}",
            "multiple": f"select_multiple bg_{q.id}",
            "text": "text",
            "number": "integer",
        }[q.type]
        row = {"type": qtype, "name": q.id, **_labels(question_text(lay, q)), "required": "yes"}
        conds = [relevant_base] if relevant_base else []
        if q.ask_if is not None:
            conds.append(" or ".join(f"selected(${{{q.ask_if.question}}}, '{a}')" for a in q.ask_if.answers))
            row.update(_labels({lg: ask_if_text(lay, q, lg) for lg in LANG_NAMES}, "hint"))
        if q.hint:
            row.update(_labels(q.hint, "hint"))
        if conds:
            row["relevant"] = " and ".join(f"({c})" for c in conds) if len(conds) > 1 else conds[0]
        if q.type == "number" and (q.min is not None or q.max is not None):
            parts = ([f". >= {q.min:g}"] if q.min is not None else []) + (
                [f". <= {q.max:g}"] if q.max is not None else []
            )
            row["constraint"] = " and ".join(parts)
            row.update(_labels({lg: range_text(q, lg) for lg in LANG_NAMES}, "constraint_message"))
        survey.append(row)
        for ch in q.specify_choices:
            srow = {
                "type": "text",
                "name": specify_id(q, ch),
                **_labels({lg: ui("specify_q", lg, label=ch.label.get(lg, "")) for lg in LANG_NAMES}),
                "required": "yes",
                "relevant": f"selected(${{{q.id}}}, '{ch.code}')",
            }
            if relevant_base:
                srow["relevant"] = f"({relevant_base}) and ({srow['relevant']})"
            survey.append(srow)
        keep = q.continue_if.get(mid)
        if keep is not None and q.ends_for(mid):
            gates.append(" or ".join(f"${{{q.id}}} = '{c}'" for c in keep))

    first = list(lay.background)
    consent = [q for _, q in first if q.section == "consent"]
    screeners = [q for _, q in first if q.section == "screener"]
    start = [q for _, q in first if q.section == "background"]
    if consent:
        survey.append(
            {
                "type": "begin_group",
                "name": unique("consent_page"),
                **_labels(_ui("consent")),
                "appearance": "field-list",
            }
        )
        survey.append({"type": "note", "name": unique("consent_text"), **_labels(spec.consent.text)})
        ask(consent[0], "")
        survey.append({"type": "end_group", "name": ""})
    if screeners:
        survey.append(
            {
                "type": "begin_group",
                "name": unique("screening"),
                **_labels(_ui("screening")),
                "appearance": "field-list",
                "relevant": passes(),
            }
        )
        for q in screeners:
            ask(q, passes())  # each screener after the gates before it
        survey.append({"type": "end_group", "name": ""})
    if start:
        survey.append(
            {
                "type": "begin_group",
                "name": unique("background"),
                **_labels({lg: f"{ui('section', lg, n=1)} · {ui('background', lg)}" for lg in LANG_NAMES}),
                "appearance": "field-list",
                "relevant": passes(),
            }
        )
        for q in start:
            ask(q, "")
        survey.append({"type": "end_group", "name": ""})
    na = spec.not_applicable
    lists: dict[str, tuple] = {}
    for block in lay.blocks:
        survey.append(
            {
                "type": "begin_group",
                "name": unique(f"section_{block.section}"),
                **_labels(_ui("section", n=block.section)),
                **_labels({lg: block_prompt(block, lg) for lg in LANG_NAMES}, "hint"),
                "appearance": "field-list",
                "relevant": passes(),
            }
        )
        bsc = block.scale or spec.scale
        base = "likert" if bsc.name == "default" else f"likert_{bsc.name}"
        for r in block.rows:
            name = base + ("_na" if r.na else "")
            lists[name] = (bsc, r.na)
            survey.append(
                {
                    "type": f"select_one {name}",
                    "name": r.id,
                    **_labels(r.text),
                    "required": "yes",
                    "appearance": "likert",
                }
            )
        survey.append({"type": "end_group", "name": ""})
    if lay.closing:
        survey.append(
            {
                "type": "begin_group",
                "name": unique("closing"),
                **_labels(
                    {lg: f"{ui('section', lg, n=lay.closing_section)} · {ui('closing', lg)}" for lg in LANG_NAMES}
                ),
                "appearance": "field-list",
                "relevant": passes(),
            }
        )
        for _, q in lay.closing:
            ask(q, "")
        survey.append({"type": "end_group", "name": ""})
    if gates:
        survey.append(
            {
                "type": "note",
                "name": unique("screened_out"),
                **_labels(_ui("screened_out")),
                "relevant": f"not({passes()})",
            }
        )
        survey.append({"type": "note", "name": unique("thanks"), **_labels(_ui("thanks")), "relevant": passes()})
    else:
        survey.append({"type": "note", "name": unique("thanks"), **_labels(_ui("thanks"))})
    for row in survey:  # empty relevance (no gate yet) is no relevance
        if not row.get("relevant"):
            row.pop("relevant", None)

    sc = spec.scale
    if not lists:
        lists["likert"] = (sc, False)
    choices = []
    for name, (bsc, with_na) in sorted(lists.items(), key=lambda kv: kv[0]):
        choices += [
            {"list_name": name, "name": str(c), **_labels({lg: bsc.label(c, lg) for lg in LANG_NAMES})}
            for c in bsc.codes
        ]
        if with_na:
            choices.append({"list_name": name, "name": str(na.code), **_labels(na.label)})
    for _, q in lay.questions:
        for ch in q.choices:
            choices.append({"list_name": f"bg_{q.id}", "name": str(ch.code), **_labels(ch.label)})

    form_id = re.sub(r"[^A-Za-z0-9_]", "_", f"vcc_{spec.name}_{mech.id}")
    title = lay.title("en")
    if lay.title("zh") != title:
        title += " / " + lay.title("zh")
    settings = [
        {
            "form_title": title,
            "form_id": form_id,
            "version": spec.sha256[:10] or "1",
            "default_language": LANG_NAMES["en"],
            "style": "pages",
        }
    ]
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
