"""One entry point for every instrument: ``write_instruments`` and ``write_templates``.

Files written into ``out_dir`` for each selected mechanism ``<m>``:

=====================================  ==================================================
``questionnaire_<m>_<lang>.html``      printable page; ``<lang>`` en, zh (and ``both``:
                                       Chinese with English beneath, when ``lang="both"``)
``questionnaire_<m>_<lang>.docx``      the same as a Word document
``codebook_<m>.xlsx``                  sheets ``Variables`` and ``Values``
``codebook_<m>.csv``                   the ``Variables`` table (UTF-8 with BOM)
``codebook_<m>_values.csv``            the ``Values`` table
``xlsform_<m>.xlsx``                   XLSForm (ODK / Kobo / SurveyCTO), both languages
``wenjuanxing_<m>_<lang>.txt``         问卷星 text import, per language
``qualtrics_<m>_<lang>.txt``           Qualtrics Advanced Format TXT, per language
``survey_logic_<m>_<lang>.txt``        the logic to set after the Wenjuanxing / Qualtrics
                                       import (end of survey, display logic, randomisation)
``item_adaptation_<m>.xlsx`` / .docx   item sources: adopted / adapted / self-developed
``translation_record_<m>.xlsx`` / .docx  English, Chinese and a back-translation column
``pilot_guide_<lang>.docx``            one page: cognitive interviews, pilot, checks
=====================================  ==================================================

The codebook and the XLSForm are bilingual and always written; the other
formats follow ``lang``. ``write_templates`` writes the Excel response
template (see :mod:`instruments.templates`).

Run ``python -m instruments.generate data_templates`` to regenerate the
committed templates from the bundled spec.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._layout import languages
from .codebook import write_codebook
from .logic import write_logic
from .qualtrics import write_qualtrics
from .questionnaire import write_questionnaire_docx, write_questionnaire_html
from .review import write_review
from .spec import ModelSpec, load_spec
from .templates import write_templates
from .wenjuanxing import write_wenjuanxing
from .xlsform import write_xlsform

__all__ = ["write_instruments", "write_templates"]


def write_instruments(
    spec: ModelSpec, out_dir: str | Path, mechanism: str | None = None, lang: str = "both"
) -> list[Path]:
    """Write every instrument for the selected mechanism(s) into ``out_dir``.

    Parameters
    ----------
    spec : ModelSpec
        A loaded spec (:func:`instruments.load_spec`).
    out_dir : str or Path
        Created if missing; existing files of the same names are replaced
        atomically (checking the folder first is the caller's job, see
        :func:`instruments.outputs.prepare_out_dir`).
    mechanism : str, optional
        A mechanism id; ``None`` means every mechanism.
    lang : {"both", "en", "zh"}
        Languages of the questionnaires, Wenjuanxing and Qualtrics files.

    Returns
    -------
    list of Path
        The files written, in the order of the table above.

    Raises
    ------
    SpecError
        If ``mechanism`` is not in the spec.
    InputError
        If ``lang`` is not one of both, en, zh.
    """
    languages(lang)
    spec.select(mechanism)  # fail before writing anything
    paths: list[Path] = []
    paths += write_questionnaire_html(spec, out_dir, mechanism, lang)
    paths += write_questionnaire_docx(spec, out_dir, mechanism, lang)
    paths += write_codebook(spec, out_dir, mechanism)
    paths += write_xlsform(spec, out_dir, mechanism)
    paths += write_wenjuanxing(spec, out_dir, mechanism, lang)
    paths += write_qualtrics(spec, out_dir, mechanism, lang)
    paths += write_logic(spec, out_dir, mechanism, lang)
    paths += write_review(spec, out_dir, mechanism, lang)
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m instruments.generate OUT_DIR [SPEC]``: write the response templates.

    Writes ``response_template.xlsx`` (every mechanism) and one
    ``response_template_<mechanism>.xlsx`` per mechanism.
    """
    args = sys.argv[1:] if argv is None else argv
    if not args or len(args) > 2:
        print("usage: python -m instruments.generate OUT_DIR [SPEC.yaml]", file=sys.stderr)
        return 2
    spec = load_spec(args[1] if len(args) > 1 else None)
    paths = write_templates(spec, args[0])
    for mid in spec.mechanisms:
        paths += write_templates(spec, args[0], mid)
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
