"""Reports of a validation run: ``report.html``, ``results.xlsx``, ``results.docx`` and ``results.json``.

:func:`write_report` renders a *results dict* (the output of the analysis, see
below) in English or Simplified Chinese. Each file is written atomically.

The results dict
----------------
Keys may be missing or ``None``. A statistic that could not be computed is
``None``, with the reason in a ``"warnings"`` list at the nearest level; the
reports show an em dash and the reason, never a number::

    {"toolkit": {"name", "version"}, "spec": {"name", "path", "sha256", "title": {en, zh}},
     "options": {"estimator", "missing" (auto|fiml|listwise|pairwise, as asked), "invalid" (stop|missing),
                 "group", "bootstrap", "seed", "lang", "direct_effects", "alpha"},
     "software": {...}, "created": "ISO time", "warnings": [str],
     "invalid_cells": {"n", "action", "cells": [{file, sheet, cell, column, resp_id, value, problem, expected}]},
     "mechanisms": {"<id>": {"label", "n_raw", "n_used", "missing" (fiml|listwise|pairwise, as used),
                             "missing_detail": {method, requested, reason, n_incomplete, n_empty_cells},
                             "invalid_cells", "warnings", "screening", "descriptives", "mardia",
                             "measurement", "structural", "invariance", "multigroup"}}}

The n of each model (lavaan's "used N of M"): ``measurement.n_obs``, ``measurement.single_factor_cfa.n_obs``
and ``structural.n_obs`` with ``n_total`` (M, the screened responses) and ``missing`` beside them;
``invariance.<configural|metric|scalar>.n_obs`` and ``.n_obs_by_group``; ``multigroup.n_obs`` and
``multigroup.n_obs_by_group`` (the free multi-group model), ``multigroup.tests_baseline.n_obs``.
A ``null`` statistic has its reason beside it (``reason``, ``<key>_reason``) or in the section's
``warnings``.

``tests/fixtures/report/results_example.json`` is a complete example.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from instruments.outputs import write_text
from instruments.spec import ModelSpec

from .excel import build_workbook, write_xlsx
from .html import render_html
from .i18n import check_lang
from .word import build_document, write_docx

__all__ = [
    "REPORT_FILES",
    "build_document",
    "build_workbook",
    "render_html",
    "to_jsonable",
    "write_docx",
    "write_json",
    "write_report",
    "write_xlsx",
]

#: The files :func:`write_report` writes, by kind.
REPORT_FILES = {"html": "report.html", "xlsx": "results.xlsx", "docx": "results.docx", "json": "results.json"}


def to_jsonable(obj: Any) -> Any:
    """A copy of ``obj`` that :func:`json.dumps` accepts with ``allow_nan=False``.

    NaN and infinities become ``None``; numpy scalars and arrays become Python numbers and
    lists; pandas objects become lists of records (DataFrame), lists (Series) or ``None``
    (``pd.NA``, ``NaT``); tuples and sets become lists; paths and dates become text.
    """
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return [to_jsonable(v) for v in sorted(obj, key=str)]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (_dt.datetime, _dt.date)):
        return obj.isoformat()
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return to_jsonable(float(obj))
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, pd.DataFrame):
        return to_jsonable(obj.to_dict(orient="records"))
    if isinstance(obj, pd.Series):
        return to_jsonable(obj.tolist())
    if isinstance(obj, pd.Timestamp):
        return None if pd.isna(obj) else obj.isoformat()
    if obj is pd.NA or obj is pd.NaT:
        return None
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    if hasattr(obj, "item"):
        return to_jsonable(obj.item())
    return str(obj)


def write_json(results: dict, path: str | Path) -> Path:
    """Write ``results.json`` (UTF-8, indented, no NaN) atomically."""
    text = json.dumps(to_jsonable(results), ensure_ascii=False, indent=2, allow_nan=False)
    return write_text(path, text + "\n")


def write_report(
    results: dict, spec: ModelSpec | None, out_dir: str | Path, *, lang: str = "en", data: dict | None = None
) -> dict[str, Path]:
    """Write the four report files into ``out_dir``.

    Parameters
    ----------
    results : dict
        The results dict (see the module docstring).
    spec : ModelSpec
        The model spec the results come from (labels, stages, items, scale).
    out_dir : Path
        An existing or new folder (the command line checks it with ``prepare_out_dir``).
    lang : {"en", "zh"}
        Language of headings, labels and notes.
    data : dict of str to pandas.DataFrame, optional
        Cleaned item responses (codes) per mechanism id, for the Likert charts.

    Returns
    -------
    dict
        ``{"json": path, "xlsx": path, "html": path, "docx": path}``.

    Raises
    ------
    InputError
        If ``lang`` is not a report language.
    OutputError
        If a file cannot be written.
    """
    check_lang(lang)
    out = Path(out_dir)
    clean = to_jsonable(results)
    paths = {"json": write_json(clean, out / REPORT_FILES["json"])}
    paths["xlsx"] = write_xlsx(clean, spec, out / REPORT_FILES["xlsx"], lang)
    paths["html"] = write_text(out / REPORT_FILES["html"], render_html(clean, spec, lang, data))
    paths["docx"] = write_docx(clean, spec, out / REPORT_FILES["docx"], lang)
    return {k: paths[k] for k in ("html", "xlsx", "docx", "json")}
