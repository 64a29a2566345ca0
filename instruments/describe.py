"""A readable description of a spec: constructs, items, paths and the lavaan syntax to be fitted."""

from __future__ import annotations

from .spec import STAGES, ModelSpec

__all__ = ["describe_spec"]

_HEAD = {
    "en": {
        "scale": "Scale",
        "constructs": "Constructs",
        "paths": "Paths (hypotheses)",
        "direct": "Direct paths",
        "moderations": "Moderations (moderator x path)",
        "controls": "Controls (column -> constructs)",
        "none": "(none: a measurement-only mechanism)",
        "syntax": "lavaan syntax fitted",
        "reverse": "reverse-keyed",
        "items": "items",
        "second_order": "second-order, dimensions",
        "stage": "stage",
        "scale_of": "scale",
        "na": "N/A offered",
        "off": "off; --direct-effects turns them on",
    },
    "zh": {
        "scale": "量表",
        "constructs": "构念",
        "paths": "路径（假设）",
        "direct": "直接路径",
        "moderations": "调节效应（调节变量 x 路径）",
        "controls": "控制变量（列 -> 构念）",
        "none": "（无：仅测量模型）",
        "syntax": "拟合的 lavaan 语法",
        "reverse": "反向计分",
        "items": "个题项",
        "second_order": "二阶构念，维度",
        "stage": "阶段",
        "scale_of": "量表",
        "na": "可选不适用",
        "off": "未启用；使用 --direct-effects 启用",
    },
}


def describe_spec(spec: ModelSpec, mechanism: str | None = None, lang: str = "en", direct: bool = False) -> str:
    """Return the text ``vcc model show`` prints."""
    h = _HEAD[lang]
    out = [
        f"{spec.title.get(lang, spec.name)}  [{spec.path}]",
        f"{h['scale']}: {spec.scale.min}-{spec.scale.max}  "
        f"({spec.scale.labels[lang][0]} ... {spec.scale.labels[lang][-1]})",
    ]
    for m in spec.select(mechanism):
        out += ["", f"== {m.id}: {m.label[lang]} ==", f"{h['constructs']}:"]
        order = sorted(m.constructs.values(), key=lambda c: STAGES.index(c.stage))
        for c in order:
            extra = ""
            if c.scale is not None:
                extra += f", {h['scale_of']} {c.scale.name}"
            if c.period:
                extra += f", {c.period[lang]}"
            if c.mode != "reflective":
                extra += f", {c.mode}"
            if c.second_order:
                out.append(
                    f"  {c.id:<8} {c.label[lang]}  ({h['stage']}: {c.stage}, {h['second_order']}: "
                    f"{', '.join(c.dimensions)}{extra})"
                )
                continue
            out.append(f"  {c.id:<8} {c.label[lang]}  ({h['stage']}: {c.stage}, {len(c.items)} {h['items']}{extra})")
            for it in c.items:
                flag = f"  [{h['reverse']}]" if it.reverse else ""
                flag += f"  [{h['na']}]" if it.not_applicable else ""
                out.append(f"      {it.id:<8} {it.text[lang]}{flag}")
        out.append(f"{h['paths']}:")
        if not m.paths:
            out.append(f"  {h['none']}")
        for p in m.paths:
            out.append(f"  {p.hypothesis:<4} {p.source} -> {p.target}")
        if m.direct_paths:
            state = "" if direct else f"  ({h['off']})"
            out.append(f"{h['direct']}{state}:")
            for p in m.direct_paths:
                out.append(f"  {p.hypothesis:<4} {p.source} -> {p.target}")
        if m.moderations:
            out.append(f"{h['moderations']}:")
            out += [f"  {md.moderator} x {md.source} -> {md.target}" for md in m.moderations]
        if m.controls:
            out.append(f"{h['controls']}:")
            out += [f"  {ct.variable} -> {', '.join(ct.on)}" for ct in m.controls]
        out += [f"{h['syntax']}:"]
        out += ["  " + line for line in m.lavaan_syntax(structural=bool(m.paths), direct=direct).splitlines()]
    return "\n".join(out)
