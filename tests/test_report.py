"""The report writers: report.html, results.xlsx and results.json from a results dict."""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from instruments.errors import InputError
from instruments.spec import load_spec
from validate import report
from validate.report import apa, render_html, to_jsonable, write_report
from validate.report.figures import histogram_svg, likert_svg, path_diagram_svg

HERE = Path(__file__).parent
FIX = HERE / "fixtures" / "report"
ROOT = HERE.parent
EXAMPLE = json.loads((FIX / "results_example.json").read_text(encoding="utf-8"))
MINIMAL = json.loads((FIX / "results_minimal.json").read_text(encoding="utf-8"))


def example_spec():
    return load_spec(ROOT / EXAMPLE["spec"]["path"])


def example_data(spec):
    return {
        m: pd.read_csv(FIX / f"data_example_{m}.csv")
        for m in spec.mechanisms
        if (FIX / f"data_example_{m}.csv").exists()
    }


class Page(HTMLParser):
    """Collects what the tests look at: tags, attributes, text, diagrams."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.nodes: dict[str, list[str]] = {}
        self.edges: dict[str, list[dict]] = {}
        self.diagram: str | None = None
        self.sections: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "figure" and "diagram" in (a.get("class") or ""):
            self.diagram = a.get("data-mechanism")
        if tag == "section":
            self.sections.add(a.get("id") or "")
        if tag == "g" and self.diagram is not None:
            cls = (a.get("class") or "").split()
            if "node" in cls:
                self.nodes.setdefault(self.diagram, []).append(a["data-construct"])
            if "edge" in cls:
                self.edges.setdefault(self.diagram, []).append(a)
        self.stack.append((tag, a))

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break
        if tag == "figure" and not any(t == "figure" for t, _ in self.stack):
            self.diagram = None

    def handle_data(self, data):
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(self.text)


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    p.close()
    return p


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The example rendered once: all four files in English, the page and workbook in Chinese."""
    spec = example_spec()
    data = example_data(spec)
    out = {"en": write_report(EXAMPLE, spec, tmp_path_factory.mktemp("report_en"), lang="en", data=data)}
    d = tmp_path_factory.mktemp("report_zh")
    (d / "report.html").write_text(render_html(EXAMPLE, spec, "zh", data), encoding="utf-8")
    out["zh"] = {"html": d / "report.html", "xlsx": report.write_xlsx(EXAMPLE, spec, d / "results.xlsx", "zh")}
    return spec, out


# --------------------------------------------------------------------------- apa


def test_apa_number_formats():
    assert apa.fmt_p(0.0004) == "< .001"
    assert apa.fmt_p(0.0) == "< .001"
    assert apa.fmt_p(0.0234) == ".023"
    assert apa.fmt_p(0.05) == ".050"
    assert apa.fmt_num(0.456, 3, leading_zero=False) == ".456"
    assert apa.fmt_num(-0.05, 2, leading_zero=False) == "\u2212.05"
    assert apa.fmt_num(1.234, 2, leading_zero=False) == "1.23"
    assert apa.fmt_num(-0.001, 2) == "0.00"
    assert apa.fmt_num(2.5, 2) == "2.50"
    for bad in (None, float("nan"), float("inf"), "x"):
        assert apa.fmt_num(bad) == apa.MISSING
        assert apa.fmt_p(bad) == apa.MISSING
    assert apa.fmt_ci(0.1, None) == apa.MISSING
    assert apa.fmt_ci(-0.0123, 0.2, 3) == "[\u22120.012, 0.200]"
    assert [apa.stars(p) for p in (0.0009, 0.001, 0.009, 0.049, 0.05, None)] == ["***", "**", "**", "*", "", ""]


# --------------------------------------------------------------------------- json


def test_to_jsonable_turns_nan_and_numpy_into_json():
    obj = {
        "a": np.float64("nan"),
        "b": np.int64(3),
        "c": [np.float32(0.5), float("inf"), -float("inf")],
        "d": np.array([[1, 2], [3, 4]]),
        "e": (np.bool_(True), None),
        5: pd.NA,
        "f": pd.DataFrame({"x": [1.0, np.nan]}),
        "g": Path("a/b"),
    }
    out = to_jsonable(obj)
    assert out == {
        "a": None,
        "b": 3,
        "c": [0.5, None, None],
        "d": [[1, 2], [3, 4]],
        "e": [True, None],
        "5": None,
        "f": [{"x": 1.0}, {"x": None}],
        "g": "a/b",
    }
    assert type(out["b"]) is int and type(out["c"][0]) is float
    json.dumps(out, allow_nan=False)


def _no_constants(name):
    raise AssertionError(f"results.json holds {name}")


def test_json_file_has_no_nan_and_round_trips(tmp_path):
    res = json.loads(json.dumps(MINIMAL))
    res["mechanisms"]["main"]["measurement"]["fit"]["cfi"] = np.float64("nan")
    res["mechanisms"]["main"]["n_used"] = np.int64(117)
    res["mechanisms"]["main"]["structural"]["bootstrap"]["draws"]["DRV->ACT->OUT"] = np.array([0.1, np.inf])
    paths = write_report(res, load_spec(ROOT / "tests/fixtures/specs/minimal.yaml"), tmp_path)
    text = paths["json"].read_text(encoding="utf-8")
    back = json.loads(text, parse_constant=_no_constants)
    assert back["mechanisms"]["main"]["measurement"]["fit"]["cfi"] is None
    assert back["mechanisms"]["main"]["n_used"] == 117
    assert back["mechanisms"]["main"]["structural"]["bootstrap"]["draws"]["DRV->ACT->OUT"] == [0.1, None]
    assert "最小测试模型" in text  # ensure_ascii=False


def test_write_report_writes_four_files(rendered):
    _, out = rendered
    assert sorted(p.name for p in out["en"].values()) == ["report.html", "results.docx", "results.json", "results.xlsx"]
    assert all(p.stat().st_size > 1000 for p in out["en"].values())
    assert sorted(p.name for p in out["en"]["html"].parent.iterdir()) == sorted(p.name for p in out["en"].values())
    back = json.loads(out["en"]["json"].read_text(encoding="utf-8"), parse_constant=_no_constants)
    assert back == EXAMPLE


def test_unknown_language_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"report language 'fr' is not supported; expected one of: en, zh"):
        write_report(MINIMAL, None, tmp_path, lang="fr")
    assert list(tmp_path.iterdir()) == []


def test_a_failing_writer_leaves_no_half_written_file(tmp_path, monkeypatch):
    from openpyxl import Workbook

    def broken_save(self, filename):
        Path(filename).write_bytes(b"PK half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(Workbook, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_report(MINIMAL, load_spec(ROOT / "tests/fixtures/specs/minimal.yaml"), tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["results.json"]  # written before the workbook; no results.xlsx, no .part file


# --------------------------------------------------------------------------- html


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_has_every_section_and_one_diagram_per_mechanism(rendered, lang):
    spec, out = rendered
    html = out[lang]["html"].read_text(encoding="utf-8")
    page = parse(html)
    assert {"overview", "method"} <= page.sections
    for mid, mech in spec.mechanisms.items():
        for sec in ("sample", "descriptives", "measurement", "structural", "groups", "likert"):
            assert f"m-{mid}-{sec}" in page.sections
        assert sorted(page.nodes[mid]) == sorted(mech.constructs)
        paths = EXAMPLE["mechanisms"][mid]["structural"]["paths"]
        edges = page.edges[mid]
        assert len(edges) == len(paths)
        assert {e["data-path"] for e in edges} == {f"{p['from']}->{p['to']}" for p in paths}
        ns = {f"{p['from']}->{p['to']}" for p in paths if p["p_value"] >= 0.05}
        assert ns and {e["data-path"] for e in edges if "ns" in e["class"].split()} == ns
    # tables of the contract are there, with their citations
    keys = {a.get("data-table") for t, a in page.tags if t == "figure"}
    assert {
        "screening_summary",
        "descriptives",
        "fit",
        "fit_criteria",
        "loadings",
        "reliability",
        "htmt",
        "fornell_larcker",
        "paths",
        "r2",
        "indirect",
        "invariance",
        "mg_paths",
        "mg_tests",
    } <= keys
    txt = page.all_text
    for cite in (
        "Hu & Bentler, 1999",
        "Henseler, Ringle & Sarstedt, 2015",
        "Fornell & Larcker, 1981",
        "Cheung & Rensvold, 2002",
    ):
        assert cite in txt
    # one Likert chart per construct
    charts = [
        a for t, a in page.tags if t == "figure" and "chart" in (a.get("class") or "") and a.get("data-construct")
    ]
    assert len(charts) == sum(len(m.constructs) for m in spec.mechanisms.values())


def test_html_is_self_contained_and_runs_no_script(rendered):
    _, out = rendered
    html = out["en"]["html"].read_text(encoding="utf-8")
    page = parse(html)
    assert not [t for t, _ in page.tags if t in ("script", "iframe", "object", "embed", "link")]
    for t, a in page.tags:
        for k in ("src", "href"):
            if k in a:
                assert a[k].startswith(("#", "data:")), (t, a)
        assert not any(k.startswith("on") for k in a), (t, a)
    assert not re.search(r"url\(\s*['\"]?https?:|@import", html)
    # the hostile resp_id of the fixture is shown as text
    assert "<script>alert(1)</script>" in page.all_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_escapes_spec_text(lang):
    spec = load_spec(FIX / "evil.yaml")
    data = {"main": pd.DataFrame({"DRV1": [1, 2, 3, 4, 5], "DRV2": [2, 2, 3, 4, 4], "DRV3": [5, 4, 3, 2, 1]})}
    html = render_html(MINIMAL, spec, lang, data)
    page = parse(html)
    assert not [t for t, _ in page.tags if t in ("script", "b")]
    txt = page.all_text
    assert "<script>alert(1)</script>" in txt  # item text in the descriptives table and the Likert tooltip
    assert ("Activity <b>&amp;</b> more" if lang == "en" else "活动 <b>&amp;</b>") in txt
    assert "&lt;b&gt;&amp;amp;&lt;/b&gt;" in html


def test_html_in_chinese(rendered):
    spec, out = rendered
    html = out["zh"]["html"].read_text(encoding="utf-8")
    page = parse(html)
    assert '<html lang="zh-CN">' in html
    txt = page.all_text
    for s in ("测量模型", "结构模型", "研究假设检验", "平台比较", "方法说明", "支持", "不支持"):
        assert s in txt
    mech = spec.mechanisms["producer"]
    assert all(c.label["zh"] in txt for c in mech.constructs.values())
    assert "Noto Sans CJK SC" in html and "Microsoft YaHei" in html
    # platform codes are shown by their names
    assert spec.group_question.choices[0].label["zh"] in txt


def test_html_shows_a_dash_and_the_reason_for_a_missing_statistic():
    spec = load_spec(ROOT / "tests/fixtures/specs/minimal.yaml")
    page = parse(render_html(MINIMAL, spec, "en"))
    rows = _table_rows(render_html(MINIMAL, spec, "en"), "reliability")
    act = next(r for r in rows if r[0] == "ACT")
    assert act[4] == apa.MISSING  # omega
    assert "omega of ACT not computed: the one-factor model did not converge" in page.all_text
    ind = _table_rows(render_html(MINIMAL, spec, "en"), "indirect")
    assert ind[0][4] == apa.MISSING  # BCa interval
    assert "too few bootstrap draws (10)" in page.all_text


def _table_rows(html: str, key: str) -> list[list[str]]:
    """Cell texts of the first table with data-table=key."""

    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.on = False
            self.rows: list[list[str]] = []
            self.cell = None
            self.done = False

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "figure" and a.get("data-table") == key and not self.done:
                self.on = True
            if self.on and tag == "tr":
                self.rows.append([])
            if self.on and tag == "td":
                self.cell = ""

        def handle_endtag(self, tag):
            if self.on and tag == "td":
                self.rows[-1].append(self.cell)
                self.cell = None
            if self.on and tag == "figure":
                self.on, self.done = False, True

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

    p = P()
    p.feed(html)
    return [r for r in p.rows if r]


def test_hypotheses_table_values_and_apa_style():
    spec = load_spec(ROOT / "tests/fixtures/specs/minimal.yaml")
    rows = _table_rows(render_html(MINIMAL, spec, "en"), "paths")
    assert [r[0] for r in rows] == ["H1", "H2", "H3"]
    h1, h2, h3 = rows
    assert h1[1] == "DRV \u2192 ACT"
    assert (h1[2], h1[3], h1[5], h1[6], h1[7]) == ("0.512", "0.091", "< .001", ".551", "***")
    assert (h3[5], h3[6], h3[7], h3[9]) == (".640", "\u2212.038", "", "not supported")
    assert h2[9] == "supported"


def test_diagram_without_results_draws_the_spec_and_stars_follow_p():
    spec = load_spec(ROOT / "tests/fixtures/specs/minimal.yaml")
    mech = spec.mechanisms["main"]
    svg = path_diagram_svg(mech, None, "en")
    page = parse(f'<figure class="diagram" data-mechanism="main">{svg}</figure>')
    assert sorted(page.nodes["main"]) == ["ACT", "DRV", "OUT"]
    assert [e["data-path"] for e in page.edges["main"]] == ["DRV->ACT", "ACT->OUT"]
    svg = path_diagram_svg(
        mech, MINIMAL["mechanisms"]["main"]["structural"]["paths"], "en", {"ACT": 0.304, "OUT": 0.398}
    )
    assert ".55***" in svg and ".64***" in svg and "\u2212.04<" in svg
    assert "R\u00b2 = .30" in svg and "R\u00b2 = .40" in svg
    assert svg.count('stroke-dasharray="6 4"') == 1  # only the non-significant DRV -> OUT
    # the direct path skips the activity column: drawn as a curve
    assert re.search(r'data-path="DRV-&gt;OUT".*?<path d="M[^"]* C', svg, re.S)


def test_diagram_columns_follow_stages():
    spec = example_spec()
    svg = path_diagram_svg(spec.mechanisms["producer"], None, "en")
    xs = {}
    for cid, cx in re.findall(r'data-construct="(\w+)"><title>\w+</title><ellipse cx="([\d.]+)"', svg):
        xs[cid] = float(cx)
    stage_x = {}
    for c in spec.mechanisms["producer"].constructs.values():
        stage_x.setdefault(c.stage, set()).add(xs[c.id])
    assert all(len(v) == 1 for v in stage_x.values())  # one column per stage
    assert stage_x["driver"] == stage_x["proposition"]  # side by side: no path joins them
    assert max(stage_x["proposition"]) < min(stage_x["activity"]) < min(stage_x["outcome"])


def test_small_figures_handle_empty_and_constant_input():
    assert apa.MISSING in histogram_svg([], None)
    assert "<rect" in histogram_svg([0.2] * 20, (0.2, 0.2))
    spec = load_spec(ROOT / "tests/fixtures/specs/minimal.yaml")
    items = spec.mechanisms["main"].constructs["DRV"].items
    svg = likert_svg(pd.DataFrame({"DRV1": [np.nan, np.nan]}), items, spec.scale, "zh")
    assert "非常同意" in svg and 'data-item="DRV1"' in svg and "(n = 0)" in svg
    # a 5-point scale centred on 3: two "1" answers and two "5" answers balance around the centre
    svg = likert_svg(pd.DataFrame({"DRV1": [1, 1, 5, 5]}), items[:1], spec.scale, "en")
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="18"', svg)]
    assert len(widths) == 2 and math.isclose(widths[0], widths[1])


# --------------------------------------------------------------------------- xlsx


def test_xlsx_numbers_sheets_and_formula_safety(rendered, tmp_path):
    from openpyxl import load_workbook

    spec, out = rendered
    wb = load_workbook(out["en"]["xlsx"])
    names = wb.sheetnames
    assert len(names) == len(set(n.lower() for n in names)) and all(len(n) <= 31 for n in names)
    assert {"producer-loadings", "consumer-paths", "producer-screening_log", "method", "warnings"} <= set(names)
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    ws = wb["producer-loadings"]
    head = [c.value for c in ws[1]]
    assert head == ["Construct", "Item", "B", "SE", "z", "p", "\u03bb (std.)"]
    std = [r[6] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(v, float) for v in std) and len(std) == len(spec.mechanisms["producer"].items)
    assert ws["D2"].value is None  # fixed loading: no SE, an empty cell, not a dash
    log = wb["producer-screening_log"]
    ids = [r[0] for r in log.iter_rows(min_row=2, values_only=True)]
    assert "'=1+1" in ids and "<script>alert(1)</script>" in ids
    assert all(isinstance(v, str) for v in ids)
    ind = wb["producer-indirect"]
    head = [c.value for c in ind[1]]
    assert "95% CI (percentile) (lower)" in head and "95% CI (percentile) (upper)" in head
    lo = [r[head.index("95% CI (percentile) (lower)")] for r in ind.iter_rows(min_row=2, values_only=True)]
    # numbers, not text; a bound of exactly 0 comes back from Excel as the int 0
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in lo)
    draws = wb["producer-bootstrap_draws"]
    assert draws.max_row == 301 and isinstance(draws["A2"].value, float)
    zh = load_workbook(out["zh"]["xlsx"])
    assert [c.value for c in zh["producer-loadings"][1]][:2] == ["构念", "题项"]
    assert zh.sheetnames[0] == "表格目录"


def test_xlsx_keeps_minimal_formula_like_text_as_text(tmp_path):
    from openpyxl import load_workbook

    path = report.write_xlsx(MINIMAL, None, tmp_path / "r.xlsx")
    ws = load_workbook(path)["main-screening_log"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["<script>alert(1)</script>", "'=1+1", "'@SUM(A1)", 17]
    assert rows[2][2] == '\'=HYPERLINK("http://x")'
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_xlsx_p_below_001_reads_as_such(rendered):
    from openpyxl import load_workbook

    wb = load_workbook(rendered[1]["en"]["xlsx"])
    ws = wb["producer-loadings"]
    head = [c.value for c in ws[1]]
    col = head.index("p") + 1
    cells = [ws.cell(row=r, column=col) for r in range(2, ws.max_row + 1)]
    tiny = [c for c in cells if isinstance(c.value, (int, float)) and c.value < 0.001]
    assert tiny, "the example has loadings with p < .001"
    # the number stays a number; its format shows "<.001", never 0.000
    assert all(c.number_format == '[<0.001]"<.001";0.000' for c in tiny)


def test_zh_report_names_screening_rules_in_chinese_and_keeps_no_file_name_title(tmp_path):
    res = json.loads(json.dumps(EXAMPLE))
    res["spec"]["title"] = None  # a spec without a title
    res["mechanisms"]["producer"]["screening"]["summary"] = [  # the rule names screening writes
        {"rule": "missing", "flagged": 0, "dropped": 0},
        {"rule": "zero_variance", "flagged": 2, "dropped": 2},
    ]
    html = render_html(res, example_spec(), "zh")
    page = parse(html)
    assert "缺失题项过多" in page.all_text and "所有题项答案相同" in page.all_text
    rows = [r for r in res["mechanisms"]["producer"]["screening"]["summary"]]
    assert not any(f">{r['rule']}<" in html for r in rows if r["rule"] in ("missing", "zero_variance"))
    assert "<title>验证报告</title>" in html  # not the spec's file name
    assert "<title>Validation report</title>" in render_html(res, example_spec(), "en")


def test_reasons_beside_null_statistics_read_in_chinese():
    from validate.report.i18n import REASONS_ZH, reason_text
    from validate.structural.analysis import chisq_difference, vaf_if_meaningful

    reasons = [
        vaf_if_meaningful(0.2, 0.3, None, 0.1, 0.3)[1],
        vaf_if_meaningful(0.2, 0.3, {"estimate": 0.1}, None, None)[1],
        vaf_if_meaningful(0.2, 0.3, {"estimate": 0.1}, -0.1, 0.3)[1],
        vaf_if_meaningful(0.2, 0.1, {"estimate": -0.1}, 0.1, 0.3)[1],
        chisq_difference({"chisq": 5.0, "df": 3}, {"chisq": 4.0, "df": 3})["reason"],
        chisq_difference({"chisq": None, "df": 3}, {"chisq": 4.0, "df": 2})["reason"],
    ]
    assert vaf_if_meaningful(0.2, 0.3, {"estimate": 0.1}, 0.1, 0.3) == (pytest.approx(2 / 3), None)
    for r in reasons:
        assert r in REASONS_ZH, r  # every reason the analysis writes has its Chinese
        assert reason_text(r, "en") == r and reason_text(r, "zh") != r
