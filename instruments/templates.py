"""Excel response templates: where responses are typed in (or pasted) for ingest.

:func:`write_templates` writes one workbook:

* ``response_template.xlsx`` with every mechanism when ``mechanism`` is
  ``None``; ``response_template_<mechanism>.xlsx`` with that mechanism only
  when one is named.

Its sheets:

* ``Instructions``: how to fill it in, in English and Chinese (one column
  each), with the scale labels;
* one sheet per mechanism, named by the mechanism id: row 1 holds the column
  ids and nothing else (machine-readable, frozen): ``resp_id``, the background
  question ids, then the item ids in questionnaire order with the attention
  check where it sits (see :mod:`instruments._layout`). Rows 2 to
  ``1 + MAX_ROWS`` carry a drop-down list of the allowed codes: the scale codes
  on item and check columns, the choice codes on single-choice background
  columns, whole numbers on number questions;
* ``Codebook``: :func:`instruments.codebook.codebook` for the mechanisms in the
  workbook (texts, constructs, reverse flags, codes and labels).

The workbook is reproducible: fixed document dates and zip entry dates, so
regenerating from the same spec gives the same bytes, and ``data_templates/``
(generated from the bundled spec) can be checked for drift by the tests.
"""

from __future__ import annotations

from pathlib import Path

from ._layout import Layout, layout, save_workbook, scale_label_text
from .codebook import add_table_sheet, codebook
from .errors import SpecError
from .outputs import safe_cell
from .spec import ModelSpec

__all__ = ["MAX_ROWS", "RESERVED_SHEETS", "response_template", "template_filename", "write_templates"]

#: Number of data rows that carry the drop-down validation lists.
MAX_ROWS = 5000
#: Sheet names used by the template besides the mechanism sheets.
RESERVED_SHEETS = ("Instructions", "Codebook")


def template_filename(mechanism: str | None = None) -> str:
    """``response_template.xlsx``, or ``response_template_<mechanism>.xlsx`` for one mechanism."""
    return "response_template.xlsx" if mechanism is None else f"response_template_{mechanism}.xlsx"


def _check_sheet_name(spec: ModelSpec, mid: str) -> None:
    where = str(spec.path) if spec.path else "<spec>"
    if len(mid) > 31:
        raise SpecError(
            f"{where}: mechanisms.{mid}: the mechanism id is {len(mid)} characters long; "
            "expected at most 31, the longest Excel sheet name"
        )
    if mid.casefold() in (s.casefold() for s in RESERVED_SHEETS):
        raise SpecError(
            f"{where}: mechanisms.{mid}: the mechanism id clashes with the template's "
            f"'{mid}' sheet; expected an id other than {' or '.join(RESERVED_SHEETS)}"
        )


def _instructions(spec: ModelSpec, lays: list[Layout]) -> list[tuple[str, str]]:
    sc = spec.scale
    mechs = ", ".join(lay.mechanism.id for lay in lays)
    multiple = any(q.type == "multiple" for lay in lays for _, q in lay.questions)
    rows = [
        (
            f"{spec.title.get('en', spec.name)}: response template",
            f"{spec.title.get('zh', spec.title.get('en', spec.name))}：数据录入模板",
        ),
        ("", ""),
        (
            f"Enter the responses on the sheet named after the mechanism ({mechs}): one row per respondent.",
            f"请在以机制命名的工作表（{mechs}）中录入数据：每位受访者占一行。",
        ),
        (
            "Column resp_id: a respondent id, unique within the sheet (e.g. 1, 2, 3 or the survey platform's id).",
            "resp_id 列：受访者编号，在同一工作表内不得重复（如 1、2、3，或问卷平台导出的编号）。",
        ),
        (
            "Enter the code (the number) of each answer, not its label. The drop-down lists show the codes allowed.",
            "请录入每个答案的代码（数字），而不是文字标签。下拉列表显示允许的代码。",
        ),
        (
            f"Statements are answered on the scale {sc.min}-{sc.max}: {scale_label_text(spec, 'en')}.",
            f"陈述题采用 {sc.min}-{sc.max} 量表：{scale_label_text(spec, 'zh')}。",
        ),
    ]
    used = {spec.scale_of(c).name for lay in lays for c in lay.mechanism.constructs.values()}
    for name, other in spec.scales.items():
        if name in used:
            rows.append(
                (
                    f"Statements on the {name} scale (Codebook column scale = {name}) use the same codes: "
                    f"{scale_label_text(spec, 'en', other)}.",
                    f"{name} 量表的题目（Codebook 中 scale = {name}）使用相同的代码："
                    f"{scale_label_text(spec, 'zh', other)}。",
                )
            )
    na = spec.not_applicable
    if any(r.na for lay in lays for r in lay.rows):
        rows.append(
            (
                f"Statements that offer “{na.label['en']}” (Codebook column not_applicable_code): enter {na.code} "
                "for that answer. It is read as missing and counted, never as a scale point.",
                f"可选“{na.label['zh']}”的题目（Codebook 中 not_applicable_code 列）：该答案录入 {na.code}。"
                "工具将其视为缺失并计数，不作为量表分值。",
            )
        )
    rows += [
        (
            (
                "Reverse-worded statements: enter the answer exactly as the respondent gave it; "
                "the toolkit reverse-codes them itself."
            ),
            "反向题：请按受访者的原始作答录入，不要自行反向计分；工具会自动处理。",
        ),
        (
            "The attention-check column (ATT...): enter the answer as given, like any other statement.",
            "注意力检测题（ATT 开头的列）：与其他题目一样，按原始作答录入。",
        ),
        (
            "A blank cell means a missing answer. Do not type 0, NA, -, 99 or any other code for missing.",
            "空白单元格表示缺失值。请勿用 0、NA、-、99 等代码表示缺失。",
        ),
        (
            (
                "Background questions: the codes and their labels are on the Codebook sheet "
                "(columns value_labels_en / value_labels_zh)."
            ),
            "基本信息题：各选项代码及含义见 Codebook 工作表（value_labels_en / value_labels_zh 列）。",
        ),
    ]
    if multiple:
        rows.append(
            (
                "Multiple-choice questions: enter the codes of all options chosen, separated by commas (1,3).",
                "多选题：录入所有被选选项的代码，用英文逗号分隔（如 1,3）。",
            )
        )
    rows += [
        (
            "Do not rename, reorder, insert or delete columns or sheets, and keep row 1 (the column ids) as it is.",
            "请勿重命名、调整顺序、插入或删除列和工作表，并保持第 1 行（列名）不变。",
        ),
        (
            "The Codebook sheet lists every column: its question text in both languages, construct and reverse flag.",
            "Codebook 工作表列出了每一列对应的题目（中英文）、所属构念及是否为反向题。",
        ),
        ("", ""),
        (f"Model spec: {spec.name} (sha256 {spec.sha256[:12]})", f"模型规格：{spec.name}（sha256 {spec.sha256[:12]}）"),
    ]
    return rows


def response_template(spec: ModelSpec, mechanism: str | None = None):
    """Build the response template workbook (not saved).

    Parameters
    ----------
    spec : ModelSpec
    mechanism : str, optional
        One mechanism id, or ``None`` for all.

    Returns
    -------
    openpyxl.Workbook

    Raises
    ------
    SpecError
        If a mechanism id cannot be a sheet name (longer than 31 characters,
        or ``Instructions``/``Codebook``), or ``mechanism`` is unknown.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    mechs = spec.select(mechanism)
    for m in mechs:
        _check_sheet_name(spec, m.id)
    lays = [layout(spec, m) for m in mechs]
    sc = spec.scale
    wb = Workbook()
    ins = wb.active
    ins.title = "Instructions"
    ins.append(["English", "中文"])
    for en, zh in _instructions(spec, lays):
        ins.append([safe_cell(en) or None, safe_cell(zh) or None])
    ins.column_dimensions["A"].width = 90
    ins.column_dimensions["B"].width = 70
    for row in ins.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in ins[1]:
        cell.font = Font(bold=True)
    ins["A2"].font = ins["B2"].font = Font(bold=True, size=13)

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDDDDD")
    last = 1 + MAX_ROWS
    codes = ",".join(str(c) for c in sc.codes)
    for lay in lays:
        ws = wb.create_sheet(lay.mechanism.id)
        cols = ["resp_id"] + lay.columns
        ws.append(cols)
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
        ws.freeze_panes = "B2"
        ws.column_dimensions["A"].width = 12
        letters = {c: get_column_letter(j) for j, c in enumerate(cols, start=1)}
        for c in cols[1:]:
            ws.column_dimensions[letters[c]].width = max(8, len(c) + 3)
        # coded questions: one validation each
        for _, q in lay.questions:
            col = letters[q.id]
            if q.type == "single":
                qcodes = ",".join(str(ch.code) for ch in q.choices)
                dv = DataValidation(type="list", formula1=f'"{qcodes}"', allow_blank=True)
                dv.error = (
                    f"Enter one of the codes {qcodes} (blank = missing) / 请输入代码 {qcodes} 之一（空白表示缺失）"
                )
            elif q.type == "number":
                dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
                dv.error = "Enter a whole number (blank = missing) / 请输入整数（空白表示缺失）"
            else:
                continue
            dv.errorTitle = f"{q.id}"
            dv.showErrorMessage = True
            dv.add(f"{col}2:{col}{last}")
            ws.add_data_validation(dv)
        # items and checks: one validation for the scale codes, one for the scale codes and the N/A code
        na = spec.not_applicable
        for with_na in (False, True):
            cols_ = [r.id for r in lay.rows if r.na == with_na]
            if not cols_:
                continue
            allowed = codes + (f",{na.code}" if with_na else "")
            dv = DataValidation(type="list", formula1=f'"{allowed}"', allow_blank=True)
            if with_na:
                dv.error = (
                    f"Enter a code {sc.min}-{sc.max}, or {na.code} for {na.label['en']} (blank = missing) / "
                    f"请输入 {sc.min}-{sc.max} 的代码，或 {na.code} 表示{na.label['zh']}（空白表示缺失）"
                )
            else:
                dv.error = (
                    f"Enter a code {sc.min}-{sc.max} (blank = missing) / "
                    f"请输入 {sc.min}-{sc.max} 的代码（空白表示缺失）"
                )
            dv.errorTitle = "Scale / 量表"
            dv.showErrorMessage = True
            for a, b in _runs([cols.index(c) + 1 for c in cols_]):  # contiguous columns as one range
                dv.add(f"{get_column_letter(a)}2:{get_column_letter(b)}{last}")
            ws.add_data_validation(dv)
    add_table_sheet(wb, "Codebook", codebook(spec, mechanism))
    wb.active = 0
    return wb


def _runs(idx: list[int]) -> list[tuple[int, int]]:
    """Sorted column numbers as (first, last) runs of consecutive numbers."""
    out: list[tuple[int, int]] = []
    for j in sorted(idx):
        if out and j == out[-1][1] + 1:
            out[-1] = (out[-1][0], j)
        else:
            out.append((j, j))
    return out


def write_templates(spec: ModelSpec, out_dir: str | Path, mechanism: str | None = None) -> list[Path]:
    """Write the response template workbook into ``out_dir``.

    Parameters
    ----------
    spec : ModelSpec
    out_dir : str or Path
    mechanism : str, optional
        ``None`` writes ``response_template.xlsx`` with a sheet per mechanism;
        a mechanism id writes ``response_template_<mechanism>.xlsx`` with that one.

    Returns
    -------
    list of Path
        The one workbook written.
    """
    wb = response_template(spec, mechanism)
    return [save_workbook(wb, Path(out_dir) / template_filename(mechanism))]
