"""``report.html``: one self-contained page (inline CSS and SVG, no script, no external URL).

Rendered with Jinja2 with autoescaping on, so every text that comes from the
spec or the data is shown, never run. The figures are SVG strings built by
:mod:`.figures`, which escapes its own text; they are the only values marked safe.
"""

from __future__ import annotations

import jinja2
from markupsafe import Markup

from instruments.spec import ModelSpec

from . import apa
from .figures import FONT_STACK, histogram_svg, likert_svg, path_diagram_svg, simple_slopes_svg
from .i18n import REFERENCES, t, text
from .results import Results, plain
from .tables import (
    NUMBERED_TABLES,
    Table,
    all_warnings,
    comparison_tables,
    construct_label,
    mechanism_tables,
    method_paragraphs,
    method_rows,
    missing_name,
    model_section,
    path_label,
    summary_table,
)

__all__ = ["render_html", "view_table"]

#: Rows of a long table shown in the page (the workbook has them all).
MAX_ROWS = {"screening_log": 200, "descriptives": None, "mg_paths": 300}
#: Long tables shown folded (a <details> element, no script needed).
COLLAPSED = {"screening_log", "item_total", "compare_indirect", "fit_amos", "group_differences"}

CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#d1d5db; --ok:#166534; --okbg:#dcfce7; --fail:#991b1b;
        --failbg:#fee2e2; --warnbg:#fef3c7; --accent:#2166ac; }
* { box-sizing: border-box; }
body { font-family: %(font)s; color: var(--ink); margin: 0; background: #f8fafc; line-height: 1.5; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; }
header h1 { font-size: 26px; margin: 0 0 4px; }
header .sub { color: var(--muted); margin: 0 0 16px; }
h2 { font-size: 22px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; margin-top: 44px; }
h3 { font-size: 18px; margin-top: 30px; color: #111827; }
nav.toc { background: #f1f5f9; border-radius: 6px; padding: 10px 18px; margin: 12px 0 20px; }
nav.toc ul { margin: 4px 0; padding-left: 20px; }
nav.toc a { color: var(--accent); text-decoration: none; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 12px; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.kpi .v { font-size: 22px; font-weight: 600; }
.kpi .k { color: var(--muted); font-size: 13px; }
figure.tbl { margin: 18px 0 22px; overflow-x: auto; }
figure.tbl figcaption { margin-bottom: 6px; }
figure.tbl figcaption .num { font-weight: bold; display: block; }
figure.tbl figcaption .title { font-style: italic; }
table { border-collapse: collapse; font-size: 13.5px; font-variant-numeric: tabular-nums; }
thead th { border-top: 2px solid var(--ink); border-bottom: 1px solid var(--ink); padding: 5px 10px;
           text-align: center; font-weight: 600; vertical-align: bottom; }
tbody td { padding: 3px 10px; text-align: right; white-space: nowrap; }
tbody td.text { text-align: left; white-space: normal; min-width: 60px; }
tbody td.wide { min-width: 240px; max-width: 420px; }
tbody tr:last-child td { border-bottom: 2px solid var(--ink); }
td.ok { color: var(--ok); } td.fail { color: var(--fail); background: var(--failbg); }
td.warn { background: var(--warnbg); } td.ns { color: var(--muted); }
td.verdict.ok { background: var(--okbg); }
.notes { font-size: 12.5px; color: #374151; margin: 6px 0 0; max-width: 1000px; }
.notes p { margin: 2px 0; }
.notes .lead { font-style: italic; }
.warnbox { border-left: 4px solid #d97706; background: #fffbeb; padding: 8px 14px; margin: 12px 0; font-size: 14px; }
.warnbox ul { margin: 4px 0; padding-left: 20px; }
details { margin: 12px 0; } details > summary { cursor: pointer; color: var(--accent); font-weight: 600; }
.missing { color: var(--muted); font-style: italic; }
figure.diagram { margin: 12px 0 24px; overflow-x: auto; }
figure.diagram svg { max-width: 100%%; height: auto; border: 1px solid #e5e7eb; border-radius: 6px; }
figure.diagram figcaption, figure.chart figcaption { font-size: 13px; color: #374151; margin-top: 4px; }
.hists { display: grid; grid-template-columns: repeat(auto-fill, minmax(255px, 1fr)); gap: 8px; }
.hists figure { margin: 0; border: 1px solid #e5e7eb; border-radius: 4px; padding: 2px; }
figure.chart { margin: 8px 0 18px; overflow-x: auto; }
figure.chart svg { max-width: 100%%; height: auto; }
dl.method { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; }
dl.method dt { font-weight: 600; } dl.method dd { margin: 0; word-break: break-all; }
ol.refs { font-size: 13px; padding-left: 20px; } ol.refs li { margin-bottom: 3px; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; }
@media print { body { background: #fff; } main { padding: 0; } h2 { break-before: page; }
               figure, table { break-inside: avoid; } }
""" % {"font": FONT_STACK}

TEMPLATE = r"""<!DOCTYPE html>
<html lang="{{ html_lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{{ generator }}">
<title>{{ doc_title }}</title>
<style>{{ css }}</style>
</head>
<body>
<main>
<header>
<h1>{{ doc_title }}</h1>
<p class="sub">{{ generated }}</p>
</header>
<nav class="toc"><strong>{{ S.contents }}</strong>
<ul>
<li><a href="#overview">{{ S.overview }}</a></li>
{% for m in mechs %}<li><a href="#m-{{ m.anchor }}">{{ m.title }}</a></li>
{% endfor %}<li><a href="#method">{{ S.sec_method }}</a></li>
</ul></nav>

{% macro tbl(tb) %}{% if tb %}{% if tb.collapse %}<details><summary>{{ S.table }} {{ tb.number }}. {{ tb.title }} ({{ tb.n }})</summary>{% endif %}
<figure class="tbl" id="{{ tb.anchor }}" data-table="{{ tb.key }}">
<figcaption><span class="num">{{ S.table }} {{ tb.number }}</span><span class="title">{{ tb.title }}</span></figcaption>
<table>
<thead><tr>{% for h in tb.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in tb.rows %}<tr>{% for c in row %}<td class="{{ c.cls }}">{{ c.text }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% if tb.notes %}<div class="notes">{% for n in tb.notes %}<p>{% if loop.first %}<span class="lead">{{ S.note_lead }}</span> {% endif %}{{ n }}</p>{% endfor %}</div>{% endif %}
</figure>{% if tb.collapse %}</details>{% endif %}{% endif %}{% endmacro %}

{% macro warnbox(ws) %}{% if ws %}<div class="warnbox"><strong>{{ S.warnings }}</strong><ul>
{% for w in ws %}<li>{{ w }}</li>{% endfor %}</ul></div>{% endif %}{% endmacro %}

<section id="overview">
<h2>{{ S.overview }}</h2>
{{ tbl(summary) }}
{% for c in comparison %}{{ tbl(c) }}{% endfor %}
{{ warnbox(global_warnings) }}
</section>

{% for m in mechs %}
<section class="mechanism" id="m-{{ m.anchor }}" data-mechanism="{{ m.id }}">
<h2>{{ S.mechanism }}{{ S.colon }}{{ m.title }}</h2>
{{ warnbox(m.warnings) }}

<section id="m-{{ m.anchor }}-sample" data-section="sample">
<h3>{{ S.sec_sample }}</h3>
<div class="kpis">
<div class="kpi"><div class="v">{{ m.n_raw }}</div><div class="k">{{ S.n_raw }}</div></div>
<div class="kpi"><div class="v">{{ m.n_dropped }}</div><div class="k">{{ S.n_dropped }}</div></div>
<div class="kpi"><div class="v">{{ m.n_used }}</div><div class="k">{{ S.n_used }}</div></div>
<div class="kpi"><div class="v">{{ m.n_obs }}</div><div class="k">{{ S.c_n_model }} ({{ m.missing }})</div></div>
</div>
{{ tbl(m.t.screening_summary) }}
{{ tbl(m.t.screening_log) }}
</section>

<section id="m-{{ m.anchor }}-descriptives" data-section="descriptives">
<h3>{{ S.sec_descriptives }}</h3>
{% if m.t.descriptives or m.t.mardia %}{{ tbl(m.t.descriptives) }}{{ tbl(m.t.mardia) }}{% else %}<p class="missing">{{ S.not_run }}</p>{% endif %}
</section>

<section id="m-{{ m.anchor }}-measurement" data-section="measurement">
<h3>{{ S.sec_measurement }}</h3>
{% if m.has_measurement %}
{{ tbl(m.t.fit) }}{{ tbl(m.t.fit_robust) }}{{ tbl(m.t.fit_criteria) }}{{ tbl(m.t.fit_amos) }}{{ tbl(m.t.loadings) }}
{{ tbl(m.t.reliability) }}{{ tbl(m.t.validity_amos) }}{{ tbl(m.t.second_order) }}{{ tbl(m.t.htmt) }}{{ tbl(m.t.htmt_ci) }}{{ tbl(m.t.fornell_larcker) }}
{{ tbl(m.t.item_total) }}{{ tbl(m.t.kmo) }}{{ tbl(m.t.common_method) }}{{ tbl(m.t.marker_cfa) }}{{ tbl(m.t.marker_items) }}{{ tbl(m.t.marker_lw) }}{{ tbl(m.t.competing_models) }}
{{ tbl(m.t.modindices) }}
{% else %}<p class="missing">{{ S.not_run }}</p>{% endif %}
</section>

<section id="m-{{ m.anchor }}-structural" data-section="structural">
<h3>{{ S.sec_structural }}</h3>
<figure class="diagram" data-mechanism="{{ m.id }}">
{{ m.diagram }}
<figcaption><strong>{{ S.figure }} {{ m.fig_number }}.</strong> {{ S.sec_diagram }}{{ S.colon }}{{ m.title }}. {{ S.note_diagram }}</figcaption>
</figure>
{% if m.has_structural %}
<h3 id="m-{{ m.anchor }}-hypotheses">{{ S.sec_hypotheses }}</h3>
{{ tbl(m.t.paths) }}{{ tbl(m.t.r2) }}{{ tbl(m.t.chisq_diff) }}{{ tbl(m.t.controls) }}
{{ tbl(m.t.moderation) }}{{ tbl(m.t.simple_slopes) }}
{% if m.slopes %}<figure class="chart"><div class="hists">
{% for h in m.slopes %}<figure data-moderation="{{ h.key }}">{{ h.svg }}</figure>
{% endfor %}</div><figcaption><strong>{{ S.figure }} {{ m.slopes_number }}.</strong> {{ S.fig_simple_slopes }}{{ S.colon }}{{ S.note_fig_simple_slopes }}</figcaption></figure>{% endif %}
{% else %}<p class="missing">{{ S.not_run }}</p>{% endif %}
{% if m.t.indirect %}
<h3 id="m-{{ m.anchor }}-indirect">{{ S.sec_indirect }}</h3>
{{ tbl(m.t.indirect) }}{{ tbl(m.t.bootstrap) }}{{ tbl(m.t.moderated_mediation) }}
{% if m.hists %}<figure class="chart"><div class="hists">
{% for h in m.hists %}<figure data-chain="{{ h.chain }}">{{ h.svg }}</figure>
{% endfor %}</div><figcaption><strong>{{ S.figure }} {{ m.hist_number }}.</strong> {{ S.note_histogram }}</figcaption></figure>{% endif %}
{% endif %}
</section>

<section id="m-{{ m.anchor }}-groups" data-section="groups">
<h3>{{ S.sec_groups }}</h3>
{% if m.t.invariance or m.t.mg_paths or m.t.mg_tests or m.t.group_differences %}
{{ tbl(m.t.invariance) }}{{ tbl(m.t.partial_invariance) }}{{ tbl(m.t.mg_tests) }}{{ tbl(m.t.mg_paths) }}
{{ tbl(m.t.group_differences) }}
{% else %}<p class="missing">{{ S.not_run }}</p>{% endif %}
</section>

<section id="m-{{ m.anchor }}-likert" data-section="likert">
<h3>{{ S.sec_likert }}</h3>
{% if m.likert %}{% for ch in m.likert %}<figure class="chart" data-construct="{{ ch.construct }}">{{ ch.svg }}</figure>
{% endfor %}<div class="notes"><p><span class="lead">{{ S.note_lead }}</span> {{ S.note_likert }}</p></div>
{% else %}<p class="missing">{{ S.not_run }}</p>{% endif %}
</section>
{{ m.pls_html }}
</section>
{% endfor %}

<section id="method" data-section="method">
<h2>{{ S.sec_method }}</h2>
<p>{{ method_intro }}</p>
{% for p in method_text %}<p class="method-n">{{ p }}</p>
{% endfor %}<dl class="method">
{% for k, v in method %}<dt>{{ k }}</dt><dd>{{ v }}</dd>
{% endfor %}</dl>
<h3>{{ S.meth_conventions }}</h3>
<ul>{% for c in conventions %}<li>{{ c }}</li>{% endfor %}</ul>
<h3>{{ S.warnings }}</h3>
{% if all_warnings and S.warnings_original %}<p class="notes">{{ S.warnings_original }}</p>{% endif %}
{% if all_warnings %}<ul>{% for where, w in all_warnings %}<li>{% if where %}<strong>{{ where }}</strong>{{ S.colon }}{% endif %}{{ w }}</li>{% endfor %}</ul>
{% else %}<p>{{ S.no_warnings }}</p>{% endif %}
<h3>{{ S.references }}</h3>
<ol class="refs">{% for r in references %}<li>{{ r }}</li>{% endfor %}</ol>
</section>
<footer>{{ generated }} &middot; {{ S.spec }}: {{ spec_name }} &middot; SHA-256 {{ spec_sha }}</footer>
</main>
</body>
</html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False)
_TEMPLATE = _ENV.from_string(TEMPLATE)


class _Strings(dict):
    def __getattr__(self, key: str) -> str:
        return self[key]


def view_table(tb: Table | None, counter: list[int], anchor: str, lang: str) -> dict | None:
    """The table as the template shows it. ``counter`` is [tables, supplementary tables] so far: a table in
    :data:`NUMBERED_TABLES` (or a summary or comparison table) takes the next number, as in the Word report;
    a table only the page shows takes the next S number."""
    if tb is None:
        return None
    if tb.mechanism is None or tb.key in NUMBERED_TABLES:
        counter[0] += 1
        number = str(counter[0])
    else:
        counter[1] += 1
        number = f"S{counter[1]}"
    limit = MAX_ROWS.get(tb.key)
    rows = []
    for i in range(len(tb.rows) if limit is None else min(limit, len(tb.rows))):
        cells = []
        for col in tb.columns:
            kind = tb.kind(i, col)
            cls = ["text"] if kind in ("text", "verdict") else []
            if kind == "verdict":
                cls.append("verdict")
            if col.key in ("text", "detail"):
                cls.append("wide")
            mark = tb.marks.get((i, col.key))
            if mark == "ok" and kind != "verdict" and col.key != "chain":
                mark = None  # colour only what fails a cut-off, and the verdicts
            if mark:
                cls.append(mark)
            cells.append({"text": tb.format(i, col), "cls": " ".join(cls)})
        rows.append(cells)
    notes = list(tb.notes)
    if limit is not None and len(tb.rows) > limit:
        notes.append(t("more_rows", lang, shown=limit, total=len(tb.rows)))
    if any(c["text"] == apa.MISSING for r in rows for c in r):
        notes.append(t("missing_reason", lang))
    return {
        "key": tb.key,
        "title": tb.title,
        "number": number,
        "anchor": f"{anchor}-t-{tb.key}",
        "collapse": tb.key in COLLAPSED and len(tb.rows) > 12,
        "n": len(tb.rows),
        "headers": [c.header for c in tb.columns],
        "rows": rows,
        "notes": notes,
    }


def render_html(results: dict, spec: ModelSpec | None, lang: str = "en", data: dict | None = None) -> str:
    """The report page as a string.

    Parameters
    ----------
    results : dict
        The results dict (see :func:`validate.report.write_report`).
    spec : ModelSpec or None
        Gives construct and item labels, stages for the path diagram and the scale for the Likert charts.
    lang : {"en", "zh"}
    data : dict of str to pandas.DataFrame, optional
        Cleaned item responses (codes) per mechanism, for the Likert charts.
    """
    S = _Strings(
        {
            k: t(k, lang)
            for k in (
                "contents",
                "overview",
                "mechanism",
                "warnings",
                "note_lead",
                "colon",
                "no_warnings",
                "not_run",
                "note",
                "table",
                "figure",
                "sec_sample",
                "sec_descriptives",
                "sec_measurement",
                "sec_structural",
                "sec_diagram",
                "sec_hypotheses",
                "sec_indirect",
                "sec_groups",
                "sec_likert",
                "sec_method",
                "n_raw",
                "n_used",
                "n_dropped",
                "spec",
                "note_diagram",
                "note_histogram",
                "note_likert",
                "fig_simple_slopes",
                "note_fig_simple_slopes",
                "meth_conventions",
                "references",
                "c_n_model",
                "warnings_original",
            )
        }
    )
    counter = [0, 0]
    fig = [0]
    fig_s = [0]
    results = Results.of(results)
    sp = results.obj("spec")
    tk = results.obj("toolkit")
    title = text(plain(sp.get("title")), lang)  # None when the spec declares no title: never the file name
    doc_title = f"{title} \u2014 {t('report_title', lang)}" if title else t("report_title", lang)
    generated = t(
        "generated",
        lang,
        created=results.get("created") or apa.MISSING,
        toolkit=tk.get("name") or "vcc",
        version=tk.get("version") or "",
    )
    summary = view_table(summary_table(results, spec, lang), counter, "overview", lang)
    comparison = [view_table(tb, counter, "overview", lang) for tb in comparison_tables(results, lang)]
    mechs = []
    for mid, mres in results.mechanisms.items():
        mech = spec.mechanisms.get(mid) if spec is not None else None
        anchor = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(mid))
        tabs = mechanism_tables(results, spec, mid, lang)
        order = [
            "screening_summary",
            "screening_log",
            "descriptives",
            "mardia",
            "fit",
            "fit_robust",
            "fit_criteria",
            "fit_amos",
            "loadings",
            "reliability",
            "validity_amos",
            "second_order",
            "htmt",
            "htmt_ci",
            "fornell_larcker",
            "item_total",
            "kmo",
            "common_method",
            "marker_cfa",
            "marker_items",
            "marker_lw",
            "competing_models",
            "modindices",
            "paths",
            "r2",
            "chisq_diff",
            "controls",
            "moderation",
            "simple_slopes",
            "indirect",
            "bootstrap",
            "moderated_mediation",
            "invariance",
            "partial_invariance",
            "mg_tests",
            "mg_paths",
            "group_differences",
        ]
        views = {k: view_table(tabs.get(k), counter, f"m-{anchor}", lang) for k in order}
        struct = mres.structural
        mtitle = text(plain(mres.get("label")), lang) or (text(mech.label, lang) if mech is not None else str(mid))
        fig[0] += 1
        diagram = path_diagram_svg(
            mech,
            [p.raw for p in struct.rows("paths")],
            lang,
            struct.obj("r2").raw,
            id_prefix=f"pd-{anchor}",
            title=f"{t('sec_diagram', lang)}: {mtitle}",
        )
        fig_number = fig[0]
        hists = []
        draws = struct.obj("bootstrap").obj("draws")
        for ind in struct.rows("indirect"):
            chain = [str(c) for c in ind.list("chain")]
            key = "->".join(chain)
            if key in draws:
                hists.append(
                    {
                        "chain": key,
                        "svg": Markup(
                            histogram_svg(
                                draws.list(key),
                                (ind.get("ci_lower"), ind.get("ci_upper")),
                                title=" \u2192 ".join(chain),
                            )
                        ),
                    }
                )
        hist_number = None
        if hists:  # only the page shows the histograms: a supplementary number keeps Figure n as in Word
            fig_s[0] += 1
            hist_number = f"S{fig_s[0]}"
        slopes = []
        for mo in struct.rows("moderation"):
            slopes.append(
                {
                    "key": f"{mo.get('moderator')}:{mo.get('from')}->{mo.get('to')}",
                    "svg": Markup(
                        simple_slopes_svg(
                            mo.raw,
                            [f"{mo.get('moderator')} {t(k, lang)}" for k in ("v_minus_sd", "v_mean", "v_plus_sd")],
                            title=f"{mo.get('moderator')} \u00d7 {path_label(mo.get('from'), mo.get('to'))}",
                            x_label=str(mo.get("from")),
                            y_label=str(mo.get("to")),
                        )
                    ),
                }
            )
        slopes_number = None
        if slopes:  # page only (like the histograms): a supplementary number keeps Figure n as in Word
            fig_s[0] += 1
            slopes_number = f"S{fig_s[0]}"
        likert = []
        df = (data or {}).get(mid)
        if df is not None and mech is not None and spec is not None:
            for c in mech.first_order.values():
                likert.append(
                    {
                        "construct": c.id,
                        "svg": Markup(
                            likert_svg(
                                df, c.items, spec.scale, lang, title=f"{construct_label(mech, c.id, lang)} ({c.id})"
                            )
                        ),
                    }
                )
        from validate.pls.report import render_pls_html

        pls_html = Markup(render_pls_html(results, spec, mid, lang, counter))
        nr, nu = mres.get("n_raw"), mres.get("n_used")
        mw = [str(w) for w in mres.list("warnings")]
        for sec in ("measurement", "structural", "invariance", "multigroup"):  # the sections with warnings
            mw += [str(w) for w in mres.obj(sec).list("warnings")]
        mechs.append(
            {
                "id": mid,
                "anchor": anchor,
                "title": mtitle,
                "t": _Strings(views),
                "n_raw": apa.fmt_int(nr),
                "n_used": apa.fmt_int(nu),
                "n_obs": apa.fmt_int(model_section(mres)[1].get("n_obs")),
                "missing": missing_name(mres.get("missing"), lang) or apa.MISSING,
                "n_dropped": apa.fmt_int(nr - nu)
                if isinstance(nr, (int, float)) and isinstance(nu, (int, float))
                else apa.MISSING,
                "warnings": mw,
                "diagram": Markup(diagram),
                "fig_number": fig_number,
                "hists": hists,
                "hist_number": hist_number,
                "likert": likert,
                "slopes": slopes,
                "slopes_number": slopes_number,
                "pls_html": pls_html,
                "has_measurement": bool(mres.measurement),
                "has_structural": bool(struct.rows("paths")),
            }
        )
    html = _TEMPLATE.render(
        html_lang="zh-CN" if lang == "zh" else "en",
        generator=f"{tk.get('name') or 'vcc'} {tk.get('version') or ''}",
        css=Markup(CSS),
        doc_title=doc_title,
        generated=generated,
        S=S,
        mechs=mechs,
        summary=summary,
        comparison=comparison,
        global_warnings=[str(w) for w in results.list("warnings")],
        method_intro=t("method_intro", lang, toolkit=tk.get("name") or "vcc", version=tk.get("version") or ""),
        method=method_rows(results, lang),
        method_text=method_paragraphs(results, lang),
        conventions=[t(k, lang) for k in ("conv_marker", "conv_exo", "conv_auto_cov_y", "conv_std")],
        all_warnings=all_warnings(results),
        references=REFERENCES,
        spec_name=sp.get("name") or apa.MISSING,
        spec_sha=sp.get("sha256") or apa.MISSING,
    )
    return html
