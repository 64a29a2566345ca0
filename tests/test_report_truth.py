"""The report cannot contradict results.json.

Two runs of ``vcc validate`` (one with FIML, direct paths and bootstrap intervals; one grouped on a
column the spec does not declare) are rendered, and every numeric cell of every table of report.html
is read back and compared with the results.json key its column names, to the digits shown. The map
from column header to key is written out here, independently of :mod:`validate.report.tables`, so a
table that reads the wrong key (as Harman's fit row once did) fails. An em dash is allowed only where
results.json has ``null`` and says why (a reason beside the value, or a warning of its section). The
Word tables must show the same text as the page's table of the same number.
"""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import docx
import numpy as np
import pandas as pd
import pytest

from instruments.spec import load_spec
from validate.cli import main
from validate.power.simulate import simulate_study
from validate.report.i18n import t

FIX = Path(__file__).parent / "fixtures"
SPEC = FIX / "specs" / "minimal.yaml"
DASH = "\u2014"
#: A shown value: a number, an interval, "< .001" or the em dash.
NUMERIC = re.compile(r"\u2014|<\s?\.\d+|\[?[\u2212\-]?[\d,]*\.?\d+(,\s[\u2212\-]?[\d,]*\.?\d+\])?")


# --------------------------------------------------------------------------- the two runs


@pytest.fixture(scope="module")
def fiml_run(tmp_path_factory):
    spec = load_spec(SPEC)
    study = simulate_study(
        spec, {1: 150, 2: 150, 3: 150}, paths={"DRV -> ACT": 0.5, "ACT -> OUT": 0.4}, missing_rate=0.02, seed=3
    )
    path = tmp_path_factory.mktemp("data") / "responses.xlsx"
    study.data["main"].to_excel(path, sheet_name="main", index=False)
    out = tmp_path_factory.mktemp("fiml") / "out"
    assert (
        main(
            [
                "validate",
                str(path),
                "--model",
                str(SPEC),
                "--bootstrap",
                "200",
                "--workers",
                "1",
                "--direct-effects",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


@pytest.fixture(scope="module")
def grouped_run(tmp_path_factory):
    df = pd.read_csv(FIX / "structural" / "multigroup_free.csv").rename(columns={"platform": "usage platform"})
    path = tmp_path_factory.mktemp("data") / "export.csv"
    df.to_csv(path, index=False)
    out = tmp_path_factory.mktemp("grouped") / "out"
    assert (
        main(
            [
                "validate",
                str(path),
                "--model",
                str(SPEC),
                "--bootstrap",
                "0",
                "--missing",
                "listwise",
                "--group",
                "usage platform",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


# --------------------------------------------------------------------------- reading the page back


class _Tables(HTMLParser):
    """Every ``<figure data-table>``: number, key, mechanism, headers, rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self.mech = None
        self.cur = None
        self.cell = None
        self.in_num = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and "data-mechanism" in a:
            self.mech = a["data-mechanism"]
        if tag == "figure" and "data-table" in a:
            self.cur = {"key": a["data-table"], "mechanism": self.mech, "number": "", "headers": [], "rows": []}
        elif self.cur is not None:
            if tag == "span" and a.get("class") == "num":
                self.in_num = True
            elif tag == "tr":
                self.cur["rows"].append([])
            elif tag in ("td", "th"):
                self.cell = ""

    def handle_endtag(self, tag):
        if self.cur is None:
            return
        if tag == "span":
            self.in_num = False
        elif tag in ("td", "th") and self.cell is not None:
            self.cur["rows"][-1].append(self.cell)
            self.cell = None
        elif tag == "figure":
            self.cur["headers"] = self.cur["rows"].pop(0)
            self.cur["number"] = self.cur["number"].split()[-1]
            self.tables.append(self.cur)
            self.cur = None

    def handle_data(self, data):
        if self.cur is None:
            return
        if self.in_num:
            self.cur["number"] += data
        elif self.cell is not None:
            self.cell += data


def page_tables(out: Path) -> list[dict]:
    p = _Tables()
    p.feed((out / "report.html").read_text(encoding="utf-8"))
    return p.tables


def _num(s: str) -> tuple[float, int]:
    """A shown number and its decimals: '.123' -> (0.123, 3); '−0.50' -> (-0.5, 2); '1,234' -> (1234, 0)."""
    s = s.replace("\u2212", "-").replace(",", "").strip()
    dec = len(s.split(".")[1]) if "." in s else 0
    return float(s), dec


def check_cell(shown: str, value, why: str | None, where: str) -> None:
    """``shown`` is ``value`` to the digits shown; an em dash only for ``None`` with a reason."""
    if shown == DASH:
        assert value is None, f"{where}: '—' shown but results.json has {value!r}"
        assert why, f"{where}: '—' shown and results.json gives no reason"
        return
    assert value is not None, f"{where}: {shown!r} shown but results.json has null"
    if isinstance(value, (list, tuple)):
        lo, hi = [x.strip() for x in shown.strip("[]").split(",")]
        check_cell(lo, value[0], why, where + " (lower)")
        check_cell(hi, value[1], why, where + " (upper)")
        return
    if shown.startswith("<"):
        assert value < float(shown.lstrip("< ")), (where, shown, value)
        return
    got, dec = _num(shown)
    assert math.isclose(got, value, abs_tol=0.5 * 10**-dec + 1e-9), f"{where}: shows {shown}, results.json {value}"


def check_table(tab: dict, rows: list[dict], columns: dict[str, str], warnings: list, skip=()) -> int:
    """Compare each mapped column of each row; returns how many cells were compared."""
    assert len(tab["rows"]) == len(rows), (tab["key"], len(tab["rows"]), len(rows))
    n = 0
    for i, (cells, src) in enumerate(zip(tab["rows"], rows)):
        for h, key in columns.items():
            if h not in tab["headers"] or (i, key) in skip:
                continue
            shown = cells[tab["headers"].index(h)]
            val = src.get(key) if not isinstance(key, tuple) else [src.get(k) for k in key]
            if isinstance(val, list) and all(v is None for v in val):
                val = None
            why = src.get("reason") or src.get(f"{key}_reason") or (warnings and "; ".join(map(str, warnings)))
            check_cell(shown, val, why, f"{tab['key']} row {i + 1} column {h!r} ({key})")
            n += 1
    return n


FIT = {
    t("c_n_obs"): "n_obs",
    t("c_n_total"): "n_total",
    t("c_chisq"): "chisq",
    t("c_df"): "df",
    t("c_p"): "pvalue",
    t("c_cfi"): "cfi",
    t("c_tli"): "tli",
    t("c_rmsea"): "rmsea",
    t("c_srmr"): "srmr",
    t("c_aic"): "aic",
    t("c_bic"): "bic",
    t("c_rmsea_ci"): ("rmsea_ci_lower", "rmsea_ci_upper"),
}


def check_report(out: Path) -> int:
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    tables = page_tables(out)
    n = 0
    for tab in tables:
        mid = tab["mechanism"]
        m = res["mechanisms"].get(mid) if mid else None
        key = tab["key"]
        if key == "summary":
            rows = []
            for mm in res["mechanisms"].values():
                sec = mm["structural"] if (mm.get("structural") or {}).get("fit") else mm["measurement"]
                rows.append({**sec["fit"], "n_obs": sec["n_obs"], "n_raw": mm["n_raw"], "n_used": mm["n_used"]})
            n += check_table(
                tab,
                rows,
                {
                    t("n_raw"): "n_raw",
                    t("n_used"): "n_used",
                    t("c_n_model"): "n_obs",
                    "CFI": "cfi",
                    "RMSEA": "rmsea",
                    "SRMR": "srmr",
                },
                [],
            )
            continue
        if m is None:
            continue
        meas, struct = m.get("measurement") or {}, m.get("structural") or {}
        if key == "fit":
            secs = [s for s in (meas, meas.get("single_factor_cfa") or {}, struct) if s.get("fit")]
            rows = [{**s["fit"], "n_obs": s.get("n_obs"), "n_total": meas["n_total"]} for s in secs]
            n += check_table(tab, rows, FIT, meas.get("warnings"))
        elif key == "fit_amos":
            secs = [
                s
                for s in (meas, meas.get("single_factor_cfa") or {}, struct)
                if s.get("fit") and (s["fit"].get("nfi") is not None or s["fit"].get("gfi") is not None)
            ]
            cols = {
                t("c_chisq"): "chisq",
                t("c_df"): "df",
                t("c_chisq_df"): "chisq_df",
                **{
                    k.upper(): k
                    for k in (
                        "gfi",
                        "agfi",
                        "nfi",
                        "ifi",
                        "tli",
                        "cfi",
                        "rfi",
                        "pgfi",
                        "pnfi",
                        "rmr",
                        "srmr",
                        "rmsea",
                        "ecvi",
                    )
                },
            }
            n += check_table(tab, [s["fit"] for s in secs], cols, meas.get("warnings"))
        elif key == "validity_amos":
            n += check_table(
                tab,
                list(meas["reliability"].values()),
                {
                    t("c_cr"): "cr",
                    t("c_ave_std"): "ave_std",
                    t("c_msv"): "msv",
                    t("c_asv"): "asv",
                    t("c_maxrh"): "maxrh",
                },
                meas.get("warnings"),
            )
        elif key == "common_method":
            one, ul = meas.get("single_factor_cfa") or {}, (meas.get("common_method") or {}).get("ulmc") or {}
            rows = (
                [meas["fit"]]
                + ([{**one["fit"], **one}] if one else [])
                + ([{**(ul.get("fit") or {}), **ul}] if ul else [])
            )
            diffs = ("chisq_diff", "df_diff", "p_value", "delta_cfi", "delta_rmsea", "method_variance")
            skip = {(0, k) for k in diffs} | ({(1, k) for k in diffs[3:]} if one else set())
            n += check_table(
                tab,
                rows,
                {
                    t("c_chisq"): "chisq",
                    t("c_df"): "df",
                    t("c_cfi"): "cfi",
                    t("c_rmsea"): "rmsea",
                    t("c_chisq_diff"): "chisq_diff",
                    t("c_df_diff"): "df_diff",
                    t("c_p"): "p_value",
                    t("c_delta_cfi"): "delta_cfi",
                    t("c_delta_rmsea"): "delta_rmsea",
                    t("c_method_variance"): "method_variance",
                },
                meas.get("warnings"),
                skip,
            )
        elif key == "marker_cfa":
            cm = meas["common_method"]["marker"]["cfa_marker"]
            tests = {("method_r" if x["comparison"] == "method_vs_method_r" else x["free"]): x for x in cm["tests"]}
            rows = [{**mo, **tests.get(mo["name"], {})} for mo in cm["models"]]
            skip = {
                (i, k)
                for i, mo in enumerate(cm["models"])
                if mo["name"] not in tests
                for k in ("chisq_diff", "df_diff", "p_value")
            }
            n += check_table(
                tab,
                rows,
                {
                    t("c_chisq"): "chisq",
                    t("c_df"): "df",
                    t("c_cfi"): "cfi",
                    t("c_rmsea"): "rmsea",
                    t("c_chisq_diff"): "chisq_diff",
                    t("c_df_diff"): "df_diff",
                    t("c_p"): "p_value",
                },
                meas.get("warnings"),
                skip,
            )
            for i, mo in enumerate(cm["models"]):  # the compared-with column names the model the test is against
                tst = tests.get(mo["name"])
                want = (
                    ""
                    if tst is None
                    else t("m_marker_" + (tst["free"] if mo["name"] == "method_r" else tst["restricted"]))
                )
                assert tab["rows"][i][tab["headers"].index(t("c_compared_with"))] == want
        elif key == "marker_items":
            cm = meas["common_method"]["marker"]["cfa_marker"]
            n += check_table(
                tab,
                cm["items"],
                {
                    t("c_substantive_loading"): "substantive_loading_std",
                    t("c_marker_loading"): "method_loading_std",
                    t("c_method_variance"): "method_variance",
                },
                meas.get("warnings"),
            )
        elif key == "marker_lw":
            lw = meas["common_method"]["marker"]["lindell_whitney"]
            n += check_table(
                tab,
                lw["correlations"],
                {
                    t("c_r_uncorrected"): "r",
                    t("c_p"): "p_value",
                    t("c_r_corrected"): "r_corrected",
                    t("c_t_corrected"): "t_corrected",
                    t("c_p_corrected"): "p_value_corrected",
                },
                meas.get("warnings"),
            )
        elif key == "htmt_ci":
            n += check_table(
                tab,
                meas["htmt_ci"],
                {t("c_htmt"): "estimate", t("c_ci"): ("ci_lower", "ci_upper")},
                meas.get("warnings"),
            )
        elif key == "competing_models":
            skip = {(0, k) for k in ("chisq_diff", "df_diff", "p_value")}
            n += check_table(
                tab,
                meas["competing_models"],
                {
                    t("c_chisq"): "chisq",
                    t("c_df"): "df",
                    t("c_cfi"): "cfi",
                    t("c_tli"): "tli",
                    t("c_rmsea"): "rmsea",
                    t("c_srmr"): "srmr",
                    t("c_chisq_diff"): "chisq_diff",
                    t("c_df_diff"): "df_diff",
                    t("c_p"): "p_value",
                },
                meas.get("warnings"),
                skip,
            )
        elif key == "group_differences":
            recs = m["group_differences"]
            skip = {(i, "df2") for i, r in enumerate(recs) if r["test"] == "welch_t"}
            n += check_table(
                tab,
                recs,
                {
                    t("c_statistic"): "statistic",
                    t("c_df"): "df",
                    t("c_df2"): "df2",
                    t("c_p"): "p_value",
                    t("c_effect"): "effect_size",
                },
                [],
                skip,
            )
        elif key == "loadings":
            n += check_table(
                tab,
                meas["loadings"],
                {
                    t("c_estimate"): "estimate",
                    t("c_se"): "se",
                    t("c_z"): "z",
                    t("c_p"): "p_value",
                    t("c_std_loading"): "std",
                },
                meas.get("warnings"),
            )
        elif key == "reliability":
            n += check_table(
                tab,
                list(meas["reliability"].values()),
                {
                    t("c_alpha"): "alpha",
                    t("c_alpha_std"): "alpha_std",
                    t("c_omega"): "omega",
                    t("c_cr"): "cr",
                    t("c_ave"): "ave",
                },
                meas.get("warnings"),
            )
        elif key == "kmo":
            rows = [
                {"v": meas["kmo"]["overall"]},
                {"v": meas["bartlett"]["chisq"], "df": meas["bartlett"]["df"], "p": meas["bartlett"]["p_value"]},
                {"v": meas["harman"]["first_factor_share"]},
            ]
            # KMO and Harman's share have no df or p: the dash is the table's, not a missing statistic
            n += check_table(
                tab,
                rows,
                {t("c_value"): "v", t("c_df"): "df", t("c_p"): "p"},
                ["KMO and Harman's share have no df or p value"],
            )
        elif key == "descriptives":
            n += check_table(
                tab,
                m["descriptives"],
                {t("c_n"): "n", t("c_mean"): "mean", t("c_sd"): "sd", t("c_skew"): "skew", t("c_kurtosis"): "kurtosis"},
                meas.get("warnings"),
            )
        elif key == "paths":
            n += check_table(
                tab,
                struct["paths"],
                {
                    t("c_estimate"): "estimate",
                    t("c_se"): "se",
                    t("c_z"): "z",
                    t("c_p"): "p_value",
                    t("c_p_holm"): "p_holm",
                    t("c_p_fdr_bh"): "p_fdr_bh",
                    t("c_beta"): "std",
                    t("c_f2"): "f2",
                },
                struct.get("warnings"),
            )
        elif key == "r2":
            n += check_table(tab, [{"r2": v} for v in struct["r2"].values()], {t("c_r2"): "r2"}, [])
        elif key == "chisq_diff":
            n += check_table(
                tab,
                [struct["chisq_diff"]],
                {t("c_chisq_diff"): "chisq_diff", t("c_df_diff"): "df_diff", t("c_p"): "p_value"},
                [],
            )
        elif key == "second_order":
            so = meas["second_order"]
            n += check_table(
                tab,
                so["constructs"],
                {
                    t("c_omega_l1"): "omega_l1",
                    t("c_omega_l2"): "omega_l2",
                    t("c_partial_omega_l1"): "partial_omega_l1",
                    t("c_omega_higher"): "omega_higher",
                    t("c_cr"): "cr",
                    t("c_ave"): "ave",
                },
                meas.get("warnings"),
            )
        elif key == "controls":
            n += check_table(
                tab,
                struct["controls"],
                {t("c_estimate"): "estimate", t("c_se"): "se", t("c_z"): "z", t("c_p"): "p_value", t("c_beta"): "std"},
                struct.get("warnings"),
            )
        elif key == "moderation":
            n += check_table(
                tab,
                struct["moderation"],
                {t("c_estimate"): "estimate", t("c_se"): "se", t("c_z"): "z", t("c_p"): "p_value", t("c_beta"): "std"},
                struct.get("warnings"),
            )
        elif key == "simple_slopes":
            rows = [s for mo in struct["moderation"] for s in mo["simple_slopes"]]
            n += check_table(
                tab,
                rows,
                {
                    t("c_moderator_value"): "moderator_value",
                    t("c_estimate"): "estimate",
                    t("c_se"): "se",
                    t("c_z"): "z",
                    t("c_p"): "p_value",
                    t("c_ci_wald"): ("ci_lower", "ci_upper"),
                },
                struct.get("warnings"),
            )
        elif key == "indirect":
            n += check_table(
                tab,
                struct["indirect"],
                {
                    t("c_estimate"): "estimate",
                    t("c_se"): "se",
                    t("c_beta"): "std",
                    t("c_vaf"): "vaf",
                    t("c_ci"): ("ci_lower", "ci_upper"),
                    t("c_bca"): ("bca_lower", "bca_upper"),
                    t("c_std_ci"): ("std_ci_lower", "std_ci_upper"),
                },
                struct.get("warnings"),
            )
        elif key == "moderated_mediation":
            rows, skip = [], set()
            for mm in struct["moderated_mediation"]:
                skip.add((len(rows), "moderator_value"))  # the index has no moderator value: an empty cell
                rows.append({**(mm["index"] or {}), "reason": mm.get("index_reason") or mm.get("reason")})
                rows += [{**c, "reason": mm.get("reason"), "se_reason": mm.get("se_reason")} for c in mm["conditional"]]
            n += check_table(
                tab,
                rows,
                {
                    t("c_moderator_value"): "moderator_value",
                    t("c_estimate"): "estimate",
                    t("c_se_delta"): "se",
                    t("c_ci"): ("ci_lower", "ci_upper"),
                },
                struct.get("warnings"),
                skip,
            )
        elif key == "invariance":
            inv = m["invariance"]
            tests = {x["model"]: x for x in inv["tests"]}
            rows = [{**inv[lv], **tests.get(lv, {})} for lv in ("configural", "metric", "scalar")]
            cols = {
                t("c_n_obs"): "n_obs",
                t("c_chisq"): "chisq",
                t("c_df"): "df",
                t("c_cfi"): "cfi",
                t("c_rmsea"): "rmsea",
                t("c_srmr"): "srmr",
                t("c_chisq_diff"): "chisq_diff",
                t("c_df_diff"): "df_diff",
                t("c_p"): "p_value",
                t("c_delta_cfi"): "delta_cfi",
                t("c_delta_rmsea"): "delta_rmsea",
            }
            skip = {(0, k) for k in ("chisq_diff", "df_diff", "p_value", "delta_cfi", "delta_rmsea")}
            n += check_table(tab, rows, cols, inv.get("warnings"), skip)
            for i, lv in enumerate(("metric", "scalar"), start=1):  # the verdict is the one in results.json
                assert tab["rows"][i][tab["headers"].index(t("c_verdict"))] == tests[lv]["verdict"]
        elif key == "partial_invariance":
            part = m["invariance"]["partial"]
            rows = [r for lv in ("metric", "scalar") for r in (part.get(lv) or {}).get("released", [])]
            n += check_table(
                tab,
                rows,
                {
                    t("c_score_x2"): "x2",
                    t("c_p"): "p_value",
                    t("c_chisq"): "chisq",
                    t("c_df"): "df",
                    t("c_cfi"): "cfi",
                    t("c_rmsea"): "rmsea",
                },
                [],
            )
        elif key == "mg_tests":
            n += check_table(
                tab,
                m["multigroup"]["equality_tests"],
                {t("c_chisq_diff"): "chisq_diff", t("c_df_diff"): "df_diff", t("c_p"): "p_value"},
                [],
            )
        elif key == "mg_paths":
            mg = m["multigroup"]
            names = (m.get("invariance") or {}).get("level_labels") or {}
            for g, size in mg["n_obs_by_group"].items():
                head = f"{names.get(g, g)} (n = {size}) \u03b2"
                assert head in tab["headers"], (head, tab["headers"])
                rows = [
                    next(p for p in mg["paths"] if p["group"] == g and (p["from"], p["to"]) == (a, b))
                    for a, b in [(p["from"], p["to"]) for p in mg["paths"] if p["group"] == g]
                ]
                n += check_table(tab, rows, {head: "std", f"{names.get(g, g)} p": "p_value"}, mg.get("warnings"))
    return n


def check_word_matches_page(out: Path) -> int:
    """Each Word table shows the text of the page's table with the same number, column by column."""
    page = {tb["number"]: tb for tb in page_tables(out)}
    doc = docx.Document(str(out / "results.docx"))
    captions = [p.text for p in doc.paragraphs if re.fullmatch(r"Table \d+", p.text)]
    assert len(captions) == len(doc.tables)
    n = 0
    for cap, table in zip(captions, doc.tables):
        tb = page[cap.split()[1]]
        grid = [[c.text for c in r.cells] for r in table.rows]
        heads = grid[0]
        assert len(grid) - 1 == len(tb["rows"]), (cap, tb["key"])
        for h in heads:
            if h in tb["headers"]:
                j, k = heads.index(h), tb["headers"].index(h)
                for r_word, r_page in zip(grid[1:], tb["rows"]):
                    if not NUMERIC.fullmatch(r_page[k]):
                        continue  # labels may be shorter in Word (construct ids); the values may not differ
                    assert r_word[j] == r_page[k], (cap, tb["key"], h, r_word[j], r_page[k])
                    n += 1
    return n


# --------------------------------------------------------------------------- the tests


@pytest.mark.slow
def test_fiml_report_cells_are_the_json_values(fiml_run):
    res = json.loads((fiml_run / "results.json").read_text(encoding="utf-8"))
    assert res["mechanisms"]["main"]["missing"] == "fiml"
    keys = {tb["key"] for tb in page_tables(fiml_run)}
    assert {
        "summary",
        "fit",
        "loadings",
        "reliability",
        "kmo",
        "paths",
        "r2",
        "chisq_diff",
        "indirect",
        "fit_amos",
        "validity_amos",
        "common_method",
        "competing_models",
        "htmt_ci",
    } <= keys
    assert check_report(fiml_run) > 150
    assert check_word_matches_page(fiml_run) > 150
    # the Method text and the console line give the n of each model and the missing-data method
    from validate.pipeline import summary_lines

    m = res["mechanisms"]["main"]
    n, total = m["measurement"]["n_obs"], m["measurement"]["n_total"]
    text = "\n".join(p.text for p in docx.Document(str(fiml_run / "results.docx")).paragraphs)
    assert f"Of them, the measurement model (CFA) used {n} of {total}; the structural model used " in text
    assert (
        "with full-information maximum likelihood (FIML). FIML was chosen automatically (--missing auto) "
        f"because {m['missing_detail']['n_incomplete']} respondents left" in text
    )
    assert f"SEM used {m['structural']['n_obs']} of {total} (full-information ML)" in summary_lines("main", m)[0]


@pytest.mark.slow
def test_grouped_report_cells_are_the_json_values(grouped_run):
    res = json.loads((grouped_run / "results.json").read_text(encoding="utf-8"))
    m = res["mechanisms"]["main"]
    assert m["missing"] == "listwise" and m["measurement"]["n_obs"] < m["n_used"]  # listwise left some out
    keys = {tb["key"] for tb in page_tables(grouped_run)}
    assert {"invariance", "mg_tests", "mg_paths", "group_differences"} <= keys
    assert check_report(grouped_run) > 150
    assert check_word_matches_page(grouped_run) > 100


@pytest.fixture(scope="module")
def richer_run(tmp_path_factory):
    """The richer spec (second-order construct, a moderated path, a control) on the issue-15 fixture data."""
    df = pd.read_csv(FIX / "richer" / "richer_data.csv")
    df.insert(0, "platform", [1 + i % 3 for i in range(len(df))])
    df["ATT1"] = 4
    path = tmp_path_factory.mktemp("data") / "richer.csv"
    df.to_csv(path, index=False)
    out = tmp_path_factory.mktemp("richer") / "out"
    assert (
        main(
            [
                "validate",
                str(path),
                "--model",
                str(FIX / "specs" / "richer.yaml"),
                "--bootstrap",
                "100",
                "--workers",
                "1",
                "--missing",
                "listwise",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


@pytest.mark.slow
def test_richer_report_cells_are_the_json_values(richer_run):
    keys = {tb["key"] for tb in page_tables(richer_run)}
    assert {"second_order", "controls", "loadings", "moderation", "simple_slopes", "moderated_mediation"} <= keys
    assert check_report(richer_run) > 100
    assert check_word_matches_page(richer_run) > 100
    # the pipeline's numbers are lavaan's / semTools' (tests/fixtures/richer/richer_reference.R): parameters agree
    # to <= 5.7e-6 (asserted 1e-4), the reliabilities and simple slopes to <= 1.1e-6 (asserted 1e-5)
    from conftest import assert_ref

    ref = json.loads((FIX / "richer" / "richer_reference.json").read_text(encoding="utf-8"))
    m = json.loads((richer_run / "results.json").read_text(encoding="utf-8"))["mechanisms"]["main"]
    (so,) = m["measurement"]["second_order"]["constructs"]
    rl2 = ref["cfa2"]["reliabilityL2"]
    for ours, theirs in (("omega_l1", "omegaL1"), ("omega_l2", "omegaL2"), ("partial_omega_l1", "partialOmegaL1")):
        assert_ref(so[ours], rl2[theirs], 1e-5, ours)
    assert_ref(so["omega_higher"], ref["cfa2"]["compRelSEM_higher"], 1e-5, "omega_higher")
    second = {r["item"]: r for r in m["measurement"]["loadings"] if r.get("second_order")}
    for r in ref["cfa2"]["params"]:
        if r["lhs"] == "HOC" and r["op"] == "=~":
            assert_ref(second[r["rhs"]]["std"], r["std.all"], 1e-5, f"HOC =~ {r['rhs']}")
    (ctl,) = m["structural"]["controls"]
    lav = next(r for r in ref["moderation"]["params"] if (r["lhs"], r["op"], r["rhs"]) == ("ACT", "~", "gender"))
    assert (ctl["variable"], ctl["to"]) == ("gender", "ACT")
    assert_ref([ctl["estimate"], ctl["se"], ctl["std"]], [lav["est"], lav["se"], lav["std.all"]], 1e-4, "control path")
    assert m["structural"]["chisq_diff"]["chisq_diff"] is None and "control" in m["structural"]["chisq_diff"]["reason"]
    (mo,) = m["structural"]["moderation"]
    lav = next(r for r in ref["moderation"]["params"] if (r["lhs"], r["op"], r["rhs"]) == ("ACT", "~", "DRVxMOD"))
    assert_ref([mo["estimate"], mo["se"], mo["std"]], [lav["est"], lav["se"], lav["std.all"]], 1e-4, "interaction")
    assert mo["main_effect_added"] and mo["moderator_effect"]["estimate"] is not None
    for ours, theirs in zip(mo["simple_slopes"], ref["moderation"]["simple_slopes"]):
        assert_ref(
            [ours[k] for k in ("moderator_value", "estimate", "se", "z")],
            [theirs[k] for k in ("moderator_value", "estimate", "se", "z")],
            1e-5,
            "simple slope",
        )
    jn = mo["johnson_neyman"]
    assert_ref([jn["lower"], jn["upper"]], ref["moderation"]["johnson_neyman"], 1e-5, "Johnson-Neyman")
    assert jn["significant"] == "outside"
    (ind,) = m["structural"]["indirect"]  # DRV -> ACT -> HOC passes the moderated path: at MOD's mean
    assert ind["at_moderator_mean"] == ["MOD"]
    # moderated mediation: lavaan := definitions (tests/fixtures/moderated_mediation), achieved 2.3e-6
    mmref = json.loads((FIX / "moderated_mediation" / "moderated_mediation_reference.json").read_text(encoding="utf-8"))
    lav = {r["name"]: r for r in mmref["first_stage"]["defined"]}
    (mm,) = m["structural"]["moderated_mediation"]
    assert_ref([mm["index"]["estimate"], mm["index"]["se"]], [lav["index"]["est"], lav["index"]["se"]], 1e-4, "index")
    assert_ref(
        [c["estimate"] for c in mm["conditional"]],
        [lav[k]["est"] for k in ("ind_minus", "ind_mean", "ind_plus")],
        1e-4,
        "conditional indirect effects",
    )
    assert mm["index"]["ci_lower"] < mm["index"]["estimate"] < mm["index"]["ci_upper"]
    page = (richer_run / "report.html").read_text(encoding="utf-8")
    assert "DRV \u2192 ACT \u2192 HOC passes a moderated path" in page
    assert "Second-order constructs were fitted as factors measured by their dimensions: HOC (D1, D2, D3)" in page
    assert "Control variables entered the structural model as observed covariates (gender \u2192 ACT)" in page
    assert "Moderation (MOD \u00d7 DRV \u2192 ACT) was estimated as a latent interaction" in page
    assert (
        "the index of moderated mediation (Hayes, 2015) were tested with percentile bootstrap intervals: "
        "DRV \u2192 ACT \u2192 HOC (moderator MOD)."
    ) in page
    assert "the conditional indirect effects at \u00b11 SD and the index of moderated mediation are in the" in page


def test_check_cell_can_fail():
    """The comparison itself: a wrong digit, a dash beside a value, a dash without a reason all fail."""
    check_cell(".123", 0.1234, None, "x")
    check_cell("[0.10, 0.20]", [0.1, 0.2], None, "x")
    for shown, value, why in ((".124", 0.1234, None), (DASH, 0.5, "r"), (DASH, None, None), ("0.50", None, "r")):
        with pytest.raises(AssertionError):
            check_cell(shown, value, why, "x")


@pytest.fixture(scope="module")
def marker_run(tmp_path_factory):
    """The minimal model plus a marker question (specs/marker.yaml) on simulated answers with a method effect."""
    spec = load_spec(FIX / "specs" / "marker.yaml")
    study = simulate_study(spec, {1: 120, 2: 120, 3: 120}, paths={"DRV -> ACT": 0.5, "ACT -> OUT": 0.4}, seed=5)
    df = study.data["main"]
    total = df[spec.mechanisms["main"].item_ids].astype(float).sum(axis=1)
    noise = np.random.default_rng(7).standard_normal(len(df))
    # the marker shares the respondents' general agreement with the items (a common method), not the constructs
    df["blue"] = np.clip(np.round(3 + 0.5 * (total - total.mean()) / total.std() + noise), 1, 5).astype(int)
    path = tmp_path_factory.mktemp("data") / "marker.csv"
    df.to_csv(path, index=False)
    out = tmp_path_factory.mktemp("marker") / "out"
    assert (
        main(
            [
                "validate",
                str(path),
                "--model",
                str(FIX / "specs" / "marker.yaml"),
                "--bootstrap",
                "0",
                "--workers",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


@pytest.mark.slow
def test_marker_report_cells_are_the_json_values(marker_run, fiml_run):
    keys = {tb["key"] for tb in page_tables(marker_run)}
    assert {"common_method", "marker_cfa", "marker_items", "marker_lw"} <= keys
    assert check_report(marker_run) > 100
    assert check_word_matches_page(marker_run) > 100
    m = json.loads((marker_run / "results.json").read_text(encoding="utf-8"))["mechanisms"]["main"]
    mk = m["measurement"]["common_method"]["marker"]
    assert mk["markers"] == ["blue"] and mk["cfa_marker"]["single_indicator"] and mk["cfa_marker"]["method_effects"]
    lw = mk["lindell_whitney"]
    assert lw["r_m"] == min(r["r"] for r in lw["marker_correlations"] if r["r"] > 0)
    page = (marker_run / "report.html").read_text(encoding="utf-8")
    assert (
        f"Significant at .05: {lw['n_significant']} of 3 correlations before the correction, "
        f"{lw['n_significant_corrected']} after it." in page
    )
    assert "no marker variable declared" not in page
    # without a marker the run says so once, in results.json and under the common-method table
    cm = json.loads((fiml_run / "results.json").read_text(encoding="utf-8"))["mechanisms"]["main"]["measurement"][
        "common_method"
    ]
    assert cm["marker"] is None and cm["marker_reason"] == "no marker variable declared in the spec"
    page = (fiml_run / "report.html").read_text(encoding="utf-8")
    assert page.count("no marker variable declared in the spec") == 1
    assert not {"marker_cfa", "marker_items", "marker_lw"} & {tb["key"] for tb in page_tables(fiml_run)}


@pytest.mark.slow
def test_runs_follow_the_results_schema(fiml_run, grouped_run, richer_run, marker_run):
    """The runs validate against validate/report/results.schema.json (the contract the writers read)."""
    from validate.report.schema import validate_results

    for out in (fiml_run, grouped_run, richer_run, marker_run):
        res = json.loads((out / "results.json").read_text(encoding="utf-8"))
        assert validate_results(res) == [], out
