"""Every figure renders its Latin letters, digits and Chinese characters with real glyphs.

Each matplotlib figure (the Word path diagram, the power curves) is drawn in English and Chinese with
warnings turned into errors: a glyph missing from every font of the list ("Glyph ... missing from
font(s)") fails the test. The case that once drew letters as empty boxes, a machine whose only CJK
font is Droid Sans Fallback (no Latin glyphs), is rebuilt by narrowing the CJK font list to it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from instruments.spec import load_spec
from validate.power.study import power_study
from validate.report import figures
from validate.report.power import plot_power

SPEC = load_spec(Path(__file__).parent / "fixtures" / "specs" / "minimal.yaml")
MECH = SPEC.mechanisms["main"]
PATHS = [
    {"from": "DRV", "to": "ACT", "std": 0.52, "p_value": 0.0001},
    {"from": "ACT", "to": "OUT", "std": -0.31, "p_value": 0.2},
]


@pytest.fixture(scope="module")
def power_result():
    return power_study(SPEC, "main", ns=[100, 150], replications=4, seed=1, workers=1, progress=False)


def _cjk_sets():
    have = figures._installed()
    sets = [("default", figures.CJK_FAMILIES)]
    if "Droid Sans Fallback" in have:
        sets.append(("droid only", ("Droid Sans Fallback",)))
    return sets


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name,cjk", _cjk_sets())
def test_figures_have_every_glyph(monkeypatch, power_result, lang, name, cjk):
    monkeypatch.setattr(figures, "CJK_FAMILIES", cjk)
    if lang == "zh" and not figures.has_cjk_font():
        pytest.skip("no font with Chinese glyphs on this machine")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph 25105 missing from font(s) DejaVu Sans" becomes an error
        png, used = figures.path_diagram_png(MECH, PATHS, lang, {"ACT": 0.27, "OUT": 0.1})
        assert used == lang and png[:8] == b"\x89PNG\r\n\x1a\n"
        for fmt in ("png", "svg"):
            assert len(plot_power(power_result, fmt, lang=lang)) > 1000


def test_latin_comes_first_and_cjk_is_a_fallback(monkeypatch):
    fams = figures.font_families()
    assert fams[0] == "DejaVu Sans"  # letters and digits are never taken from a CJK-only font
    monkeypatch.setattr(figures, "CJK_FAMILIES", ("No Such Font",))
    assert figures.font_families() == ["DejaVu Sans"] and not figures.has_cjk_font()
    png, used = figures.path_diagram_png(MECH, PATHS, "zh")
    assert used == "en"  # said in the report's note (note_diagram_english), never boxes
