"""Figures of the report: path diagrams, bootstrap histograms and diverging Likert bars.

Every figure is SVG text with the text kept as text (so Chinese labels render
with whatever CJK font the reader's machine has, see :data:`FONT_STACK`).
The path diagram also renders to PNG through matplotlib (for the Word report)
from the same layout (:func:`diagram_layout`).

Every text taken from the spec or the data is escaped.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from instruments.spec import STAGES, Mechanism, Scale

from . import apa
from .i18n import text

__all__ = [
    "FONT_STACK",
    "Node",
    "Edge",
    "Layout",
    "diagram_layout",
    "path_diagram_svg",
    "path_diagram_png",
    "histogram_svg",
    "simple_slopes_svg",
    "likert_svg",
    "cjk_font_path",
    "font_families",
    "figure_rc",
    "has_cjk_font",
]

#: CSS font-family stack that finds a Simplified Chinese font on Linux, Windows and macOS.
FONT_STACK = (
    "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', "
    "'WenQuanYi Micro Hei', 'Droid Sans Fallback', 'Helvetica Neue', Arial, sans-serif"
)

INK = "#1f2937"
GREY = "#9ca3af"
ACCENT = "#2166ac"

STAGE_NAMES = {
    "driver": {"en": "Drivers", "zh": "驱动因素"},
    "proposition": {"en": "Value propositions", "zh": "价值主张"},
    "activity": {"en": "Co-creation activities", "zh": "价值共创活动"},
    "outcome": {"en": "Outcomes", "zh": "价值共创结果"},
}


def _e(s: Any) -> str:
    return escape(str(s), quote=True)


def _f(x: float) -> str:
    """Compact coordinate."""
    return f"{x:.1f}".rstrip("0").rstrip(".") if abs(x) < 1e6 else str(x)


def _text_width(s: str, size: float) -> float:
    """Estimated width in px of ``s`` at font size ``size`` (CJK characters are square)."""
    w = 0.0
    for ch in s:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            w += 1.0
        elif ch in "il.,:;'|!":
            w += 0.3
        elif ch.isupper() or ch in "mwMW":
            w += 0.68
        else:
            w += 0.54
    return w * size


def _wrap(s: str, size: float, width: float, max_lines: int = 2) -> list[str]:
    """Wrap ``s`` into lines no wider than ``width``: at spaces for Latin text, anywhere for CJK."""
    if _text_width(s, size) <= width:
        return [s]
    tokens = re.findall(r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|\s+", s)
    lines, cur = [], ""
    for tok in tokens:
        if cur and _text_width((cur + tok).rstrip(), size) > width:
            lines.append(cur.rstrip())
            cur = tok.lstrip()
        else:
            cur += tok
    if cur.strip():
        lines.append(cur.rstrip())
    if len(lines) > max_lines:
        keep = lines[:max_lines]
        last = keep[-1]
        while last and _text_width(last + "\u2026", size) > width:
            last = last[:-1]
        keep[-1] = last.rstrip() + "\u2026"
        lines = keep
    return lines


# --------------------------------------------------------------------------- path diagram layout


@dataclass
class Node:
    id: str
    lines: list[str]
    x: float
    y: float
    rx: float
    ry: float
    stage: str
    r2: str | None = None


@dataclass
class Edge:
    source: str
    target: str
    hypothesis: str
    sig: bool | None
    label: str
    #: two points (straight) or four (cubic Bezier)
    points: list[tuple[float, float]]
    label_xy: tuple[float, float] = (0.0, 0.0)
    tooltip: str = ""
    direct: bool = False
    #: degrees, clockwise on screen (SVG convention)
    label_angle: float = 0.0

    def at(self, u: float) -> tuple[float, float]:
        p = self.points
        if len(p) == 2:
            return (p[0][0] + u * (p[1][0] - p[0][0]), p[0][1] + u * (p[1][1] - p[0][1]))
        a = (1 - u) ** 3, 3 * (1 - u) ** 2 * u, 3 * (1 - u) * u**2, u**3
        return (sum(a[i] * p[i][0] for i in range(4)), sum(a[i] * p[i][1] for i in range(4)))


@dataclass
class Layout:
    width: float
    height: float
    nodes: dict[str, Node]
    edges: list[Edge]
    headers: list[tuple[float, str]] = field(default_factory=list)
    font_size: float = 13.0


def _columns(
    mech: Mechanism | None, node_ids: list[str], pairs: list[tuple[str, str]], stages: dict[str, str]
) -> dict[str, int]:
    """Column of each construct: stages left to right; a stage shares the previous column when
    no path joins the two (drivers and value propositions side by side as antecedents)."""
    col: dict[str, int] = {}
    cur = -1
    prev: set[str] = set()
    for st in STAGES + ("",):
        members = [n for n in node_ids if stages.get(n, "") == st]
        if not members:
            continue
        linked = any((a in prev and b in members) or (b in prev and a in members) for a, b in pairs)
        if cur < 0 or linked:
            cur += 1
            prev = set(members)
        else:
            prev |= set(members)
        for n in members:
            col[n] = cur
    return col


def diagram_layout(
    mech: Mechanism | None,
    paths: Sequence[dict] | None,
    lang: str = "en",
    r2: dict | None = None,
    font_size: float = 13.0,
    compact: bool = False,
) -> Layout:
    """Place constructs in columns by stage and route one arrow per path.

    Parameters
    ----------
    mech : Mechanism or None
        The spec's mechanism: constructs, labels, stages and (when ``paths`` is empty) the paths.
    paths : list of dict
        ``structural.paths`` of the results (``from``, ``to``, ``hypothesis``, ``std``, ``p_value``).
        Without it the spec's paths are drawn without coefficients.
    lang : {"en", "zh"}
    r2 : dict, optional
        ``{construct: R2}`` written under the endogenous constructs.
    font_size : float
        Text size in px; the ellipses keep their size, so a larger font wraps labels sooner.
    compact : bool
        Columns closer together (for a printed page, where the text must stay legible).
    """
    r2 = r2 or {}
    if paths:
        plist = [p for p in paths if isinstance(p, dict) and p.get("from") and p.get("to")]
    elif mech is not None:
        plist = [{"from": p.source, "to": p.target, "hypothesis": p.hypothesis} for p in mech.paths]
    else:
        plist = []
    # a second-order construct is drawn with its dimensions named inside it; a dimension gets a node of its
    # own only when a path of the results names it
    dims = {d for c in mech.constructs.values() for d in c.dimensions} if mech is not None else set()
    named = {str(p[k]) for p in plist for k in ("from", "to")}
    node_ids = [n for n in mech.constructs if n not in dims or n in named] if mech is not None else []
    for p in plist:
        for end in (str(p["from"]), str(p["to"])):
            if end not in node_ids:
                node_ids.append(end)
    stages = {c.id: c.stage for c in mech.constructs.values()} if mech is not None else {}
    pairs = [(str(p["from"]), str(p["to"])) for p in plist]
    direct_pairs = {(p.source, p.target) for p in mech.direct_paths} if mech is not None else set()
    # unknown constructs (in the results but not the spec) go one column right of their sources
    col = _columns(mech, [n for n in node_ids if n in stages], pairs, stages)
    for n in node_ids:
        if n not in col:
            srcs = [col[a] for a, b in pairs if b == n and a in col]
            col[n] = (max(srcs) + 1) if srcs else 0
    ncol = max(col.values(), default=0) + 1
    fs = font_size
    rx, ry = 84.0, 34.0 + max(0.0, font_size - 13) * 2
    gap_x = (270.0 if compact else 330.0) if ncol > 1 else 0
    gap_y = 104.0 if compact else 112.0
    by_col: dict[int, list[str]] = {}
    for n in node_ids:
        by_col.setdefault(col[n], []).append(n)
    for c in by_col:
        by_col[c].sort(key=lambda n: (STAGES.index(stages[n]) if stages.get(n) in STAGES else 9, node_ids.index(n)))
    tallest = max((len(v) for v in by_col.values()), default=1)
    # arcs for paths that skip a column or stay in it need room above and below
    skip = [(a, b) for a, b in pairs if abs(col[a] - col[b]) != 1]
    n_up = (len(skip) + 1) // 2
    n_down = len(skip) // 2
    arc_step = 22.0
    top = 56.0 + n_up * arc_step + (14 if n_up else 0)
    body_h = (tallest - 1) * gap_y + 2 * ry + 22
    left = 30.0 + rx
    nodes: dict[str, Node] = {}
    for c, members in by_col.items():
        offset = (tallest - len(members)) * gap_y / 2
        for i, n in enumerate(members):
            cons = mech.constructs.get(n) if mech is not None else None
            label = text(cons.label, lang, n) if cons is not None else n
            lines = _wrap(label, fs, 2 * rx - 26)
            if cons is not None and cons.dimensions:
                lines = _wrap(label, fs, 2 * rx - 26, max_lines=2) + _wrap(
                    "/".join(cons.dimensions), fs, 2 * rx - 12, max_lines=2
                )
            v = apa.as_float(r2.get(n))
            nodes[n] = Node(
                n,
                lines,
                left + c * gap_x,
                top + ry + offset + i * gap_y,
                rx,
                ry,
                stages.get(n, ""),
                None if v is None else "R\u00b2 = " + apa.fmt_num(v, 2, False),
            )
    width = left + (ncol - 1) * gap_x + rx + 30
    height = top + body_h + n_down * arc_step + (24 if n_down else 0) + 10
    headers = []
    for c, members in sorted(by_col.items()):
        sts = []
        for n in members:
            s = stages.get(n, "")
            if s and s not in sts:
                sts.append(s)
        name = " \u00b7 ".join(text(STAGE_NAMES.get(s), lang, s) for s in sts)
        headers.append((left + c * gap_x, name))

    ys = [nd.y for nd in nodes.values()] or [0]
    y_top, y_bot = min(ys) - ry, max(ys) + ry
    edges: list[Edge] = []
    up = down = 0
    for p in plist:
        a, b = str(p["from"]), str(p["to"])
        na, nb = nodes[a], nodes[b]
        std, pv = p.get("std"), p.get("p_value")
        if std is None and p.get("estimate") is not None and "std" not in p:
            std = p.get("estimate")
        sig = None if apa.as_float(pv) is None else apa.as_float(pv) < 0.05
        has_num = apa.as_float(std) is not None
        label = (apa.fmt_num(std, 2, leading_zero=False) + apa.stars(pv)) if has_num else (apa.MISSING if paths else "")
        hyp = str(p.get("hypothesis") or "")
        tip = f"{hyp}: {a} \u2192 {b}".strip(": ")
        if has_num:
            tip += f"; \u03b2 = {apa.fmt_num(std, 3, False)}, p {_p_tip(pv)}"
        if col[a] - col[b] == -1 or (col[a] - col[b] == 1):
            (x0, y0), (x1, y1) = _ell_point(na, nb.x, nb.y), _ell_point(nb, na.x, na.y)
            pts = [(x0, y0), (x1, y1)]
        else:
            going_up = up <= down if (na.y + nb.y) / 2 <= (y_top + y_bot) / 2 or down >= n_down else False
            if going_up:
                level = y_top - 26 - up * arc_step
                up += 1
            else:
                level = y_bot + 26 + down * arc_step
                down += 1
            # cubic with both control points on ``level``: the curve's middle reaches
            # (y0 + y3) / 8 + 0.75 * Y, solve for Y so the middle sits on ``level``
            Y = (level - (na.y + nb.y) / 8) / 0.75
            dxs = 1 if nb.x >= na.x else -1
            if col[a] == col[b]:
                dxs = 1
            c1 = (na.x + dxs * max(60.0, abs(nb.x - na.x) * 0.25), Y)
            c2 = (nb.x - dxs * max(60.0, abs(nb.x - na.x) * 0.25), Y)
            if col[a] == col[b]:
                c1 = (na.x + rx + 60, Y)
                c2 = (nb.x + rx + 60, Y)
            p0 = _ell_point(na, c1[0], c1[1])
            p3 = _ell_point(nb, c2[0], c2[1])
            pts = [p0, c1, c2, p3]
        edges.append(Edge(a, b, hyp, sig, label, pts, tooltip=tip, direct=(a, b) in direct_pairs))
    _place_labels(edges, nodes, fs - 2)
    return Layout(width, height, nodes, edges, headers, fs)


def _p_tip(p: Any) -> str:
    s = apa.fmt_p(p)
    return s if s.startswith("<") or s == apa.MISSING else "= " + s


def _ell_point(n: Node, tx: float, ty: float) -> tuple[float, float]:
    """Where the line from the centre of ``n`` towards (tx, ty) leaves its ellipse."""
    dx, dy = tx - n.x, ty - n.y
    d = math.sqrt((dx / n.rx) ** 2 + (dy / n.ry) ** 2) or 1.0
    return n.x + dx / d, n.y + dy / d


def _place_labels(edges: list[Edge], nodes: dict[str, Node], size: float) -> None:
    """Put each coefficient on its arrow, turned along it, where it overlaps no node and no
    other label (greedy; a label is approximated by a row of discs)."""
    placed: list[tuple[float, float, float]] = []  # discs (x, y, r) of the labels placed so far

    def discs(x, y, ang, w, h):
        r = h / 2 + 1.5
        n = max(2, int(math.ceil(w / h)) + 1)
        ca, sa = math.cos(ang), math.sin(ang)
        return [
            (
                x + (-w / 2 + r * 0.8 + i * (w - 1.6 * r) / (n - 1)) * ca,
                y + (-w / 2 + r * 0.8 + i * (w - 1.6 * r) / (n - 1)) * sa,
                r,
            )
            for i in range(n)
        ]

    def cost_of(ds):
        tot = 0.0
        for x, y, r in ds:
            for px, py, pr in placed:
                d = math.hypot(x - px, y - py)
                if d < r + pr:
                    tot += (r + pr - d) * 4
            for nd in nodes.values():
                # inside the ellipse grown by r
                v = ((x - nd.x) / (nd.rx + r)) ** 2 + ((y - nd.y) / (nd.ry + r)) ** 2
                if v < 1:
                    tot += (1 - v) * 60
                if nd.r2 and abs(x - nd.x) < 34 + r and abs(y - (nd.y + nd.ry + 11)) < 7 + r:
                    tot += 20
        return tot

    cands = (0.5, 0.42, 0.58, 0.34, 0.66, 0.27, 0.73, 0.46, 0.54, 0.38, 0.62, 0.3, 0.7, 0.22, 0.78)
    for e in edges:
        if not e.label:
            e.label_xy = e.at(0.5)
            continue
        w = _text_width(e.label, size) + 6
        h = size + 3
        best = None
        for u in cands:
            x, y = e.at(u)
            x2, y2 = e.at(min(1.0, u + 0.01))
            x1, y1 = e.at(max(0.0, u - 0.01))
            ang = math.atan2(y2 - y1, x2 - x1)
            if ang > math.pi / 2:
                ang -= math.pi
            elif ang < -math.pi / 2:
                ang += math.pi
            ds = discs(x, y, ang, w, h)
            cost = cost_of(ds) + abs(u - 0.5) * 6
            if best is None or cost < best[0]:
                best = (cost, x, y, ang, ds)
            if cost <= abs(u - 0.5) * 6 + 0.5:
                break
        _, x, y, ang, ds = best
        placed.extend(ds)
        e.label_xy = (x, y)
        e.label_angle = math.degrees(ang)


# --------------------------------------------------------------------------- path diagram: SVG


def path_diagram_svg(
    mech: Mechanism | None,
    paths: Sequence[dict] | None,
    lang: str = "en",
    r2: dict | None = None,
    *,
    id_prefix: str = "pd",
    title: str | None = None,
) -> str:
    """The path diagram as an inline ``<svg>`` element.

    Each construct is a ``<g class="node" data-construct="ID">`` (an ellipse with its label),
    each path a ``<g class="edge sig|ns|na" data-path="A->B">`` (an arrow with the standardised
    coefficient and stars). Non-significant paths are grey and dashed.
    """
    lay = diagram_layout(mech, paths, lang, r2)
    pid = re.sub(r"[^A-Za-z0-9_-]", "_", id_prefix)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="path-diagram" role="img" '
        f'viewBox="0 0 {_f(lay.width)} {_f(lay.height)}" width="{_f(lay.width)}" height="{_f(lay.height)}" '
        f'font-family="{_e(FONT_STACK)}" font-size="{_f(lay.font_size)}">'
    ]
    if title:
        out.append(f"<title>{_e(title)}</title>")
    out.append("<defs>")
    for cls, colr in (("sig", INK), ("ns", GREY), ("na", INK)):
        out.append(
            f'<marker id="{pid}-arrow-{cls}" viewBox="0 0 10 10" refX="9.5" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colr}"/></marker>'
        )
    out.append("</defs>")
    out.append(f'<rect x="0" y="0" width="{_f(lay.width)}" height="{_f(lay.height)}" fill="#ffffff"/>')
    for x, name in lay.headers:
        out.append(
            f'<text x="{_f(x)}" y="22" text-anchor="middle" font-weight="bold" fill="#4b5563" '
            f'font-size="{_f(lay.font_size)}">{_e(name)}</text>'
        )
    # edges first, so nodes are drawn over their ends
    for e in lay.edges:
        cls = "na" if e.sig is None else ("sig" if e.sig else "ns")
        colr = GREY if cls == "ns" else INK
        dash = ' stroke-dasharray="6 4"' if cls == "ns" else ""
        width = "1.6" if cls != "ns" else "1.2"
        p = e.points
        if len(p) == 2:
            d = f"M{_f(p[0][0])},{_f(p[0][1])} L{_f(p[1][0])},{_f(p[1][1])}"
        else:
            d = (
                f"M{_f(p[0][0])},{_f(p[0][1])} C{_f(p[1][0])},{_f(p[1][1])} "
                f"{_f(p[2][0])},{_f(p[2][1])} {_f(p[3][0])},{_f(p[3][1])}"
            )
        out.append(
            f'<g class="edge {cls}{" direct" if e.direct else ""}" data-path="{_e(e.source + "->" + e.target)}" '
            f'data-hypothesis="{_e(e.hypothesis)}"><title>{_e(e.tooltip)}</title>'
            f'<path d="{d}" fill="none" stroke="{colr}" stroke-width="{width}"{dash} '
            f'marker-end="url(#{pid}-arrow-{cls})"/>'
        )
        if e.label:
            lx, ly = e.label_xy
            w = _text_width(e.label, lay.font_size - 2) + 6
            rot = f' transform="rotate({_f(e.label_angle)} {_f(lx)} {_f(ly)})"' if abs(e.label_angle) > 0.5 else ""
            out.append(
                f'<g class="coef"{rot}><rect x="{_f(lx - w / 2)}" y="{_f(ly - 7.5)}" width="{_f(w)}" '
                f'height="15" rx="3" fill="#ffffff" fill-opacity="0.95"/>'
                f'<text x="{_f(lx)}" y="{_f(ly + 4)}" text-anchor="middle" font-size="{_f(lay.font_size - 2)}" '
                f'fill="{colr}">{_e(e.label)}</text></g>'
            )
        out.append("</g>")
    for n in lay.nodes.values():
        out.append(
            f'<g class="node" data-construct="{_e(n.id)}"><title>{_e(n.id)}</title>'
            f'<ellipse cx="{_f(n.x)}" cy="{_f(n.y)}" rx="{_f(n.rx)}" ry="{_f(n.ry)}" fill="#eef4fb" '
            f'stroke="{ACCENT}" stroke-width="1.5"/>'
        )
        lh = lay.font_size + 2
        total = len(n.lines) * lh + 11
        y0 = n.y - total / 2 + lay.font_size - 1
        for i, line in enumerate(n.lines):
            out.append(f'<text x="{_f(n.x)}" y="{_f(y0 + i * lh)}" text-anchor="middle" fill="{INK}">{_e(line)}</text>')
        out.append(
            f'<text x="{_f(n.x)}" y="{_f(y0 + len(n.lines) * lh - 1)}" text-anchor="middle" font-size="10" '
            f'fill="#6b7280">{_e(n.id)}</text>'
        )
        if n.r2:
            out.append(
                f'<text class="r2" x="{_f(n.x)}" y="{_f(n.y + n.ry + 15)}" text-anchor="middle" '
                f'font-size="{_f(lay.font_size - 2)}" fill="{ACCENT}">{_e(n.r2)}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


# --------------------------------------------------------------------------- path diagram: PNG


#: Families with Latin letters, digits and Greek, tried first for every glyph.
LATIN_FAMILIES = ("DejaVu Sans",)
#: Families with Simplified Chinese glyphs, in order of preference; matplotlib falls back to them glyph by
#: glyph. Droid Sans Fallback has no Latin letters, so it may never be the only font of a text.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Noto Sans CJK JP",
    "Droid Sans Fallback",
)


def _installed() -> dict[str, str]:
    from matplotlib import font_manager

    return {f.name: f.fname for f in font_manager.fontManager.ttflist}


def font_families() -> list[str]:
    """The font family list of every figure: a Latin family first, then each installed CJK family.

    Matplotlib (3.6 or later) takes each glyph from the first family of the list that has it, so Latin
    letters and digits come from DejaVu Sans and Chinese characters from the CJK font, whatever that is.
    """
    have = _installed()
    fams = [f for f in LATIN_FAMILIES if f in have] or ["DejaVu Sans"]
    return fams + [f for f in CJK_FAMILIES if f in have]


def has_cjk_font() -> bool:
    """Whether a font with Simplified Chinese glyphs is installed (matplotlib's font list)."""
    return cjk_font_path() is not None


def cjk_font_path() -> str | None:
    """A font file with Simplified Chinese glyphs known to matplotlib, or ``None``."""
    have = _installed()
    for name in CJK_FAMILIES:
        if name in have:
            return have[name]
    return None


def figure_rc() -> dict:
    """Matplotlib settings for one figure (used in ``rc_context``, never set globally)."""
    return {"font.family": font_families(), "axes.unicode_minus": True}


def path_diagram_png(
    mech: Mechanism | None,
    paths: Sequence[dict] | None,
    lang: str = "en",
    r2: dict | None = None,
    dpi: int = 150,
    font_size: float = 14.0,
    compact: bool = False,
) -> tuple[bytes, str]:
    """The path diagram as PNG bytes, drawn with matplotlib from :func:`diagram_layout`.

    Returns
    -------
    (png, lang_used)
        ``lang_used`` is ``"en"`` when Chinese was asked for but no CJK font exists on this machine.
    """
    import matplotlib

    if lang == "zh" and cjk_font_path() is None:
        lang = "en"
    with matplotlib.rc_context(figure_rc()):
        return _diagram_png(mech, paths, lang, r2, dpi, font_size, compact), lang


def _diagram_png(mech, paths, lang, r2, dpi, font_size, compact) -> bytes:
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse, FancyArrowPatch
    from matplotlib.path import Path as MPath

    lay = diagram_layout(mech, paths, lang, r2, font_size=font_size, compact=compact)
    scale = 1 / 96  # px -> inch
    fig = Figure(figsize=(lay.width * scale, lay.height * scale), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.axis("off")
    pt = 72 / 96  # px font size -> pt

    def txt(x, y, s, size, **kw):
        ax.text(x, y, s, fontsize=size * pt, ha="center", va="center", **kw)

    for x, name in lay.headers:
        txt(x, 18, name, lay.font_size, color="#4b5563", fontweight="bold")
    for e in lay.edges:
        ns = e.sig is False
        colr = GREY if ns else INK
        if len(e.points) == 2:
            verts, codes = e.points, [MPath.MOVETO, MPath.LINETO]
        else:
            verts, codes = e.points, [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4]
        arrow = FancyArrowPatch(
            path=MPath(verts, codes),
            arrowstyle="-|>,head_length=5,head_width=2.5",
            color=colr,
            lw=1.2 if ns else 1.5,
            linestyle=(0, (5, 3)) if ns else "-",
            shrinkA=0,
            shrinkB=0,
        )
        ax.add_patch(arrow)
        if e.label:
            lx, ly = e.label_xy
            txt(
                lx,
                ly,
                e.label,
                lay.font_size - 2,
                color=colr,
                rotation=-e.label_angle,
                rotation_mode="anchor",
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.95),
                zorder=2.5,
            )
    for n in lay.nodes.values():
        ax.add_patch(Ellipse((n.x, n.y), 2 * n.rx, 2 * n.ry, fc="#eef4fb", ec=ACCENT, lw=1.4, zorder=3))
        lh = lay.font_size + 2
        total = len(n.lines) * lh + 11
        y0 = n.y - total / 2 + lh / 2
        for i, line in enumerate(n.lines):
            txt(n.x, y0 + i * lh, line, lay.font_size, color=INK, zorder=4)
        txt(n.x, y0 + len(n.lines) * lh - 2, n.id, 10, color="#6b7280", zorder=4)
        if n.r2:
            txt(n.x, n.y + n.ry + 11, n.r2, lay.font_size - 2, color=ACCENT, zorder=4)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


# --------------------------------------------------------------------------- bootstrap histogram


def histogram_svg(
    draws: Sequence[float] | None,
    ci: tuple[Any, Any] | None = None,
    *,
    title: str = "",
    width: float = 250,
    height: float = 118,
    bins: int = 30,
) -> str:
    """A small SVG histogram of bootstrap draws with the CI shaded and a line at 0."""
    x = np.asarray([v for v in (draws or []) if apa.as_float(v) is not None], dtype=float)
    pad_l, pad_r, pad_t, pad_b = 8.0, 8.0, 20.0, 22.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="histogram" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'width="{_f(width)}" height="{_f(height)}" font-family="{_e(FONT_STACK)}" font-size="10">',
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#ffffff"/>',
    ]
    if title:
        out.append(
            f'<text x="{_f(width / 2)}" y="13" text-anchor="middle" font-size="11" fill="{INK}">{_e(title)}</text>'
        )
    if x.size < 2:
        out.append(
            f'<text x="{_f(width / 2)}" y="{_f(height / 2)}" text-anchor="middle" fill="#6b7280">'
            f"{apa.MISSING}</text></svg>"
        )
        return "".join(out)
    lo, hi = float(x.min()), float(x.max())
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    span = hi - lo
    lo -= span * 0.04
    hi += span * 0.04
    counts, edges = np.histogram(x, bins=bins, range=(lo, hi))
    pw, ph = width - pad_l - pad_r, height - pad_t - pad_b

    def sx(v):
        return pad_l + (v - lo) / (hi - lo) * pw

    cl, cu = (apa.as_float(ci[0]), apa.as_float(ci[1])) if ci else (None, None)
    if cl is None or cu is None:
        cl, cu = (float(v) for v in np.percentile(x, [2.5, 97.5]))
    out.append(
        f'<rect x="{_f(sx(max(cl, lo)))}" y="{_f(pad_t)}" width="{_f(max(0.0, sx(min(cu, hi)) - sx(max(cl, lo))))}" '
        f'height="{_f(ph)}" fill="#dbeafe"/>'
    )
    m = counts.max() or 1
    bw = pw / bins
    for c, e0 in zip(counts, edges[:-1]):
        if c:
            h = c / m * (ph - 2)
            out.append(
                f'<rect x="{_f(sx(e0) + 0.5)}" y="{_f(pad_t + ph - h)}" width="{_f(max(bw - 1, 0.5))}" '
                f'height="{_f(h)}" fill="{ACCENT}"/>'
            )
    out.append(
        f'<line x1="{_f(pad_l)}" x2="{_f(pad_l + pw)}" y1="{_f(pad_t + ph)}" y2="{_f(pad_t + ph)}" '
        f'stroke="{INK}" stroke-width="0.8"/>'
    )
    if lo <= 0 <= hi:
        out.append(
            f'<line class="zero" x1="{_f(sx(0))}" x2="{_f(sx(0))}" y1="{_f(pad_t - 2)}" y2="{_f(pad_t + ph)}" '
            f'stroke="#b2182b" stroke-width="1.2"/>'
        )
    for v, anchor in ((lo, "start"), (hi, "end")):
        out.append(
            f'<text x="{_f(sx(v))}" y="{_f(height - 7)}" text-anchor="{anchor}" fill="#4b5563">'
            f"{_e(apa.fmt_num(v, 3))}</text>"
        )
    if lo <= 0 <= hi and sx(0) - pad_l > 40 and pad_l + pw - sx(0) > 40:
        out.append(f'<text x="{_f(sx(0))}" y="{_f(height - 7)}" text-anchor="middle" fill="#b2182b">0</text>')
    out.append("</svg>")
    return "".join(out)


def simple_slopes_svg(
    mod: dict,
    labels: Sequence[str],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    width: float = 300,
    height: float = 200,
) -> str:
    """A simple-slope plot of one moderation (``structural.moderation[i]``) as SVG.

    Three lines, the predicted outcome ``b1 x + b2 w + b3 x w`` (latent units; latent means are 0 and
    the product is double-mean-centred) across the predictor from -2 to +2 SD, at the moderator's
    -1 SD, mean and +1 SD (``labels`` names them). A dash when a coefficient is missing.
    """
    b1 = apa.as_float(
        next((s.get("estimate") for s in mod.get("simple_slopes") or [] if s.get("moderator_sd") == 0), None)
    )
    b2 = apa.as_float((mod.get("moderator_effect") or {}).get("estimate"))
    b3 = apa.as_float(mod.get("estimate"))
    sx_, sw = apa.as_float(mod.get("predictor_sd")), apa.as_float(mod.get("moderator_sd"))
    pad_l, pad_r, pad_t, pad_b = 40.0, 70.0, 22.0, 30.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="simple-slopes" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'width="{_f(width)}" height="{_f(height)}" font-family="{_e(FONT_STACK)}" font-size="10">',
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#ffffff"/>',
    ]
    if title:
        out.append(
            f'<text x="{_f(width / 2)}" y="14" text-anchor="middle" font-size="11" fill="{INK}">{_e(title)}</text>'
        )
    if None in (b1, b2, b3, sx_, sw):
        out.append(
            f'<text x="{_f(width / 2)}" y="{_f(height / 2)}" text-anchor="middle" fill="#6b7280">'
            f"{apa.MISSING}</text></svg>"
        )
        return "".join(out)
    xs = np.array([-2 * sx_, 2 * sx_])
    lines = [(k, (b1 + b3 * k * sw) * xs + b2 * k * sw) for k in (-1, 0, 1)]
    ys = np.concatenate([y for _, y in lines])
    lo, hi = float(ys.min()), float(ys.max())
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    span = hi - lo
    lo, hi = lo - 0.06 * span, hi + 0.06 * span
    pw, ph = width - pad_l - pad_r, height - pad_t - pad_b

    def px(v):
        return pad_l + (v - xs[0]) / (xs[1] - xs[0]) * pw

    def py(v):
        return pad_t + (hi - v) / (hi - lo) * ph

    out.append(
        f'<line x1="{_f(pad_l)}" x2="{_f(pad_l + pw)}" y1="{_f(pad_t + ph)}" y2="{_f(pad_t + ph)}" '
        f'stroke="{INK}" stroke-width="0.8"/><line x1="{_f(pad_l)}" x2="{_f(pad_l)}" y1="{_f(pad_t)}" '
        f'y2="{_f(pad_t + ph)}" stroke="{INK}" stroke-width="0.8"/>'
    )
    styles = {-1: ("#2166ac", "4 3"), 0: (INK, ""), 1: ("#b2182b", "")}
    for (k, y), lab in zip(lines, labels):
        color, dash = styles[k]
        out.append(
            f'<line class="slope" data-moderator-sd="{k}" x1="{_f(px(xs[0]))}" y1="{_f(py(y[0]))}" '
            f'x2="{_f(px(xs[1]))}" y2="{_f(py(y[1]))}" stroke="{color}" stroke-width="1.6"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/>"
        )
        out.append(f'<text x="{_f(pad_l + pw + 4)}" y="{_f(py(y[1]) + 3)}" fill="{color}">{_e(lab)}</text>')
    for v, anchor in ((xs[0], "start"), (0.0, "middle"), (xs[1], "end")):
        out.append(
            f'<text x="{_f(px(v))}" y="{_f(pad_t + ph + 12)}" text-anchor="{anchor}" fill="#4b5563">'
            f"{_e(apa.fmt_num(v, 2))}</text>"
        )
    for v in (lo, hi):
        out.append(
            f'<text x="{_f(pad_l - 3)}" y="{_f(py(v) + 3)}" text-anchor="end" fill="#4b5563">'
            f"{_e(apa.fmt_num(v, 2))}</text>"
        )
    if x_label:
        out.append(
            f'<text x="{_f(pad_l + pw / 2)}" y="{_f(height - 4)}" text-anchor="middle" fill="{INK}">'
            f"{_e(x_label)}</text>"
        )
    if y_label:
        out.append(
            f'<text x="10" y="{_f(pad_t + ph / 2)}" text-anchor="middle" fill="{INK}" '
            f'transform="rotate(-90 10 {_f(pad_t + ph / 2)})">{_e(y_label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- Likert bars


_RDBU = {
    2: ["#ef8a62", "#67a9cf"],
    3: ["#ef8a62", "#d4d4d4", "#67a9cf"],
    4: ["#ca0020", "#f4a582", "#92c5de", "#0571b0"],
    5: ["#ca0020", "#f4a582", "#d4d4d4", "#92c5de", "#0571b0"],
    6: ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"],
    7: ["#b2182b", "#ef8a62", "#fddbc7", "#d4d4d4", "#d1e5f0", "#67a9cf", "#2166ac"],
    8: ["#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#d1e5f0", "#92c5de", "#4393c3", "#2166ac"],
    9: ["#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#d4d4d4", "#d1e5f0", "#92c5de", "#4393c3", "#2166ac"],
}
_DARK = {"#b2182b", "#ca0020", "#d6604d", "#2166ac", "#0571b0", "#4393c3"}


def _palette(k: int) -> list[str]:
    """Diverging colours (ColorBrewer RdBu) for a scale of ``k`` points, neutral grey in the middle."""
    if k in _RDBU:
        return list(_RDBU[k])
    # longer scales: interpolate in the 9-colour palette
    base = _RDBU[9]
    return [base[round(i * 8 / (k - 1))] for i in range(k)]


def likert_svg(
    data, items: Sequence[Any], scale: Scale, lang: str = "en", *, title: str = "", width: float = 820
) -> str:
    """Diverging stacked bars of the answers to ``items``, centred on the neutral point.

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses (codes); columns not in ``items`` are ignored, missing answers excluded.
    items : list of instruments.spec.Item
    scale : Scale
        The response scale (codes ``scale.min`` .. ``scale.max`` and their labels).
    """
    codes = scale.codes
    k = len(codes)
    colours = _palette(k)
    rows = []
    for it in items:
        if it.id not in data.columns:
            continue
        col = data[it.id]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            vals = col.to_numpy(dtype=float, na_value=np.nan)  # the same cells as the loop below, at C speed
            vals = vals[np.isfinite(vals)]
        else:
            vals = np.asarray([v for v in col.tolist() if apa.as_float(v) is not None], dtype=float)
        n = vals.size
        pct = [(float((vals == c).sum()) / n * 100 if n else 0.0) for c in codes]
        rows.append((it, n, pct))
    row_h, bar_h = 26.0, 18.0
    label_w = 96.0
    top = 30.0 if title else 8.0
    axis_h = 22.0
    legend_h = 26.0 * math.ceil(k / 4) if lang == "en" else 26.0 * math.ceil(k / 7)
    height = top + max(len(rows), 1) * row_h + axis_h + legend_h + 6
    plot_w = width - label_w - 20
    cx = label_w + plot_w / 2
    unit = plot_w / 2 / 100  # px per percent
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="likert" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'width="{_f(width)}" height="{_f(height)}" font-family="{_e(FONT_STACK)}" font-size="11">',
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#ffffff"/>',
    ]
    if title:
        out.append(f'<text x="8" y="18" font-size="13" font-weight="bold" fill="{INK}">{_e(title)}</text>')
    if not rows:
        out.append(f'<text x="{_f(cx)}" y="{_f(top + 16)}" text-anchor="middle" fill="#6b7280">{apa.MISSING}</text>')
    mid = (k - 1) / 2
    ybase = top + max(len(rows), 1) * row_h
    out.append(
        f'<line x1="{_f(cx)}" x2="{_f(cx)}" y1="{_f(top - 2)}" y2="{_f(ybase + 2)}" stroke="{INK}" stroke-width="1"/>'
    )
    for r, (it, n, pct) in enumerate(rows):
        y = top + r * row_h + (row_h - bar_h) / 2
        # left extent: all disagreeing answers plus half of the neutral ones
        left = sum(p for i, p in enumerate(pct) if i < mid) + (pct[int(mid)] / 2 if k % 2 else 0)
        x = cx - left * unit
        name = it.id + (" (R)" if getattr(it, "reverse", False) else "")
        tip = f"{it.id}: {text(it.text, lang)} (n = {n})"
        out.append(
            f'<g class="likert-row" data-item="{_e(it.id)}"><title>{_e(tip)}</title>'
            f'<text x="{_f(label_w - 8)}" y="{_f(y + bar_h / 2 + 4)}" text-anchor="end" fill="{INK}">{_e(name)}</text>'
        )
        for i, p in enumerate(pct):
            w = p * unit
            if w > 0:
                out.append(f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" height="{_f(bar_h)}" fill="{colours[i]}"/>')
                if w >= 26:
                    dark = colours[i] in _DARK
                    out.append(
                        f'<text x="{_f(x + w / 2)}" y="{_f(y + bar_h / 2 + 4)}" text-anchor="middle" '
                        f'font-size="10" fill="{"#ffffff" if dark else INK}">{p:.0f}</text>'
                    )
            x += w
        out.append("</g>")
    for v in (-100, -50, 0, 50, 100):
        xx = cx + v * unit
        out.append(
            f'<line x1="{_f(xx)}" x2="{_f(xx)}" y1="{_f(ybase + 2)}" y2="{_f(ybase + 6)}" stroke="{INK}"/>'
            f'<text x="{_f(xx)}" y="{_f(ybase + 17)}" text-anchor="middle" fill="#4b5563">{abs(v)}%</text>'
        )
    labels = scale.labels.get(lang) or scale.labels.get("en") or [str(c) for c in codes]
    per_row = 4 if lang == "en" else 7
    lx0, ly = label_w, ybase + axis_h + 8
    col_w = plot_w / per_row
    for i, (lab, colr) in enumerate(zip(labels, colours)):
        xx = lx0 + (i % per_row) * col_w
        yy = ly + (i // per_row) * 22
        out.append(
            f'<rect x="{_f(xx)}" y="{_f(yy)}" width="12" height="12" fill="{colr}" stroke="#9ca3af" '
            f'stroke-width="0.5"/><text x="{_f(xx + 17)}" y="{_f(yy + 10)}" fill="{INK}">'
            f"{_e(f'{codes[i]} {lab}')}</text>"
        )
    out.append("</svg>")
    return "".join(out)
