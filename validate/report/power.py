"""The outputs of a power study: curves (SVG, PNG), the workbook and the HTML page.

:meth:`validate.power.study.PowerResult.write` calls these.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from validate.power.study import COLUMNS, json_clean

if TYPE_CHECKING:
    from validate.power.study import PowerResult

__all__ = ["plot_power", "power_html", "write_power_xlsx"]


def plot_power(res: PowerResult, fmt: str, lang: str | None = None) -> bytes:
    """The power curves (one panel per kind of effect) as PNG or SVG bytes.

    ``lang`` ``"en"`` labels in English, ``"zh"`` in both languages; by default both when a CJK font is
    installed. Text uses :func:`validate.report.figures.figure_rc`: DejaVu Sans for Latin glyphs with the
    installed CJK fonts as fallbacks, so no glyph is drawn as an empty box.
    """
    import matplotlib
    from matplotlib.figure import Figure

    from validate.report.figures import figure_rc, has_cjk_font

    zh = has_cjk_font() if lang is None else (lang == "zh" and has_cjk_font())
    kinds = [
        ("path", "Paths", "路径"),
        ("direct", "Direct paths", "直接路径"),
        ("indirect", "Indirect effects", "间接效应"),
    ]
    present = [k for k in kinds if (res.table["kind"] == k[0]).any()]
    rc = {**figure_rc(), "svg.fonttype": "path", "svg.hashsalt": "vcc-power", "font.size": 9}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(5.2 * len(present), 4.4), layout="constrained")
        axes = fig.subplots(1, len(present), squeeze=False)[0]
        for ax, (kind, en, zh_t) in zip(axes, present):
            sub = res.table[res.table["kind"] == kind]
            keys = list(dict.fromkeys(sub["effect"]))
            for key in keys:
                s = sub[sub["effect"] == key].sort_values("n")
                ax.plot(s["n"], s["power"], marker="o", ms=3, lw=1.2, label=key)
            ax.axhline(res.target, ls="--", color="#444444", lw=1)
            ax.set_ylim(-0.02, 1.02)
            ax.set_xticks(res.ns)
            ax.grid(alpha=0.3)
            title = f"{en} / {zh_t}" if zh else en
            ax.set_title(title)
            ax.set_xlabel("Sample size n / 样本量" if zh else "Sample size n")
            ax.set_ylabel(f"Power (alpha = {res.alpha:g}) / 检验力" if zh else f"Power (alpha = {res.alpha:g})")
            if len(keys) <= 16:
                ax.legend(fontsize=7, loc="lower right", frameon=False)
            else:
                ax.text(0.02, 0.02, f"{len(keys)} effects; see the table", transform=ax.transAxes, fontsize=7)
        buf = io.BytesIO()
        meta = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buf, format=fmt, dpi=150, metadata=meta)
    return buf.getvalue()


def write_power_xlsx(res: PowerResult, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from instruments.outputs import safe_cell

    wb = Workbook()
    bold = Font(bold=True)

    def sheet(ws, df: pd.DataFrame):
        ws.append([safe_cell(str(c)) for c in df.columns])
        for cell in ws[1]:
            cell.font = bold
        for row in df.itertuples(index=False):
            ws.append([safe_cell(json_clean(v)) for v in row])

    ws = wb.active
    ws.title = "power"
    sheet(ws, res.table)
    sheet(wb.create_sheet("required_n"), res.required.astype(object).where(res.required.notna(), None))
    sheet(wb.create_sheet("power_by_n"), res.summary())
    sheet(wb.create_sheet("assumptions"), pd.DataFrame({"en": res.assumptions, "zh": res.assumptions_zh}))
    sheet(
        wb.create_sheet("columns"),
        pd.DataFrame([(k, v[0], v[1]) for k, v in COLUMNS.items()], columns=["column", "meaning_en", "meaning_zh"]),
    )
    sheet(wb.create_sheet("population"), res.population)
    settings = [
        ("mechanism", res.mechanism),
        ("ns", ", ".join(map(str, res.ns))),
        ("replications", res.replications),
        ("seed", res.seed),
        ("alpha", res.alpha),
        ("target", res.target),
        ("n_all_paths", res.overall.get("n_all_paths")),
        ("n_all_paths_note", res.overall.get("note")),
    ]
    settings += [
        (k, json.dumps(json_clean(v), ensure_ascii=False) if isinstance(v, (dict, list)) else json_clean(v))
        for k, v in res.settings.items()
    ]
    sheet(wb.create_sheet("settings"), pd.DataFrame(settings, columns=["setting", "value"]))
    wb.save(path)


def _fmt(v, digits: int = 3) -> str:
    v = json_clean(v)
    if v is None:
        return "\u2014"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _html_table(df: pd.DataFrame, headers: dict[str, str] | None = None) -> str:
    e = html.escape
    head = "".join(f"<th>{e(headers.get(c, c) if headers else str(c))}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{e(_fmt(v))}</td>" for v in row) + "</tr>" for row in df.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STATUS = {
    "interpolated": "interpolated / 插值",
    "at_or_below_min": "reached at the smallest n / 最小样本量即已达到",
    "not_reached": "not reached / 未达到",
    "zero_effect": "zero effect / 零效应",
    "unknown": "unknown / 未知",
}


def power_html(res: PowerResult, svg: bytes) -> str:
    e = html.escape
    from validate.report.figures import FONT_STACK

    img = base64.b64encode(svg).decode("ascii")
    req = res.required.copy()
    req["n_required"] = [None if pd.isna(v) else str(int(v)) for v in req["n_required"]]
    req["status"] = [_STATUS.get(v, v) for v in req["status"]]
    heads = {
        "kind": "kind / 类型",
        "effect": "effect / 效应",
        "population_std": "population std / 总体标准化值",
        "n_required": f"n for power {res.target:g} / 所需样本量",
        "status": "status / 状态",
        "note": "note / 说明",
    }
    detail_cols = [
        "n",
        "kind",
        "effect",
        "population_std",
        "converged_share",
        "admissible_share",
        "power",
        "power_mcse",
        "power_joint",
        "mean_std_estimate",
        "bias",
        "relative_bias",
        "coverage",
    ]
    legend = "".join(f"<li><code>{e(c)}</code>: {e(COLUMNS[c][0])}<br>{e(COLUMNS[c][1])}</li>" for c in detail_cols)
    assumptions = "".join(
        f"<li>{e(a)}<br><span lang='zh-CN'>{e(b)}</span></li>" for a, b in zip(res.assumptions, res.assumptions_zh)
    )
    fails = (
        "".join(
            f"<li>n = {e(str(n))}: " + e("; ".join(f"{v} {k}" for k, v in c.items())) + "</li>"
            for n, c in res.failures.items()
            if c
        )
        or "<li>none / 无</li>"
    )
    overall = res.overall.get("note", "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(f"Power analysis / 检验力分析: {res.mechanism}")}</title>
<style>
body {{ font-family: {FONT_STACK}; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1f2937; }}
table {{ border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1.5rem; }}
th, td {{ border-bottom: 1px solid #d1d5db; padding: 0.25rem 0.5rem; text-align: left; }}
th {{ background: #f3f4f6; }}
img {{ max-width: 100%; }}
.small {{ font-size: 0.85rem; color: #4b5563; }}
</style></head><body>
<h1>{e(f"Monte Carlo power analysis / 蒙特卡洛检验力分析: {res.mechanism}")}</h1>
<p>{
        e(
            f"{res.replications} replications at each n = {', '.join(map(str, res.ns))}; seed {res.seed}; "
            f"alpha {res.alpha:g}; target power {res.target:g}."
        )
    }<br>
<span lang="zh-CN">{
        e(
            f"每个样本量 {', '.join(map(str, res.ns))} 重复 {res.replications} 次；随机种子 {res.seed}；"
            f"alpha {res.alpha:g}；目标检验力 {res.target:g}。"
        )
    }</span></p>
<h2>Sample size needed / 所需样本量</h2>
<p><strong>{e(overall)}</strong></p>
{_html_table(req, heads)}
<h2>Power curves / 检验力曲线</h2>
<img alt="power against sample size" src="data:image/svg+xml;base64,{img}">
<h2>Power by n / 各样本量下的检验力</h2>
{_html_table(res.summary())}
<h2>Assumptions / 假设</h2>
<ul>{assumptions}</ul>
<h2>Details / 详细结果</h2>
{_html_table(res.table[detail_cols])}
<ul class="small">{legend}</ul>
<h2>Replications that failed or were inadmissible / 未收敛或不可接受的重复</h2>
<ul>{fails}</ul>
<p class="small">{e("Every number comes from power.json; the full table with all columns is in power.xlsx.")}<br>
{e("所有数字来自 power.json；包含全部列的完整表格见 power.xlsx。")}</p>
</body></html>
"""
