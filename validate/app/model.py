"""The Model page's work: check a spec's text, apply form edits, describe it, write instruments.

Every check is :func:`instruments.spec.load_spec` on the text, so the messages
are those of ``vcc model check``, with the file named as the user knows it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from instruments.errors import VccError

__all__ = ["check_spec_text", "load_named", "apply_form", "form_view", "write_downloads"]


def load_named(path: Path | None, name: str):
    """``load_spec(path)`` with messages naming ``name`` instead of the stored path."""
    from instruments.spec import load_spec

    try:
        spec = load_spec(path)
    except VccError as exc:
        if path is not None:
            _rename(exc, str(path), name)
        raise
    return spec


def _rename(exc: VccError, old: str, new: str) -> None:
    exc.headline = exc.headline.replace(old, new)
    exc.problems = [p.replace(old, new) for p in exc.problems]
    exc.args = (str(exc.args[0]).replace(old, new),) if exc.args else exc.args


def check_spec_text(text: str, name: str = "model.yaml") -> dict:
    """Check a spec given as text, as ``vcc model check NAME`` would.

    Returns
    -------
    dict
        ``ok`` (bool); ``message`` (the command's line: ``NAME: OK: ...`` or the
        error's headline); ``problems`` (one line per problem); ``warnings``;
        ``mechanisms`` and ``items`` (counts, when ok).
    """
    from instruments.spec import load_spec

    with tempfile.TemporaryDirectory(prefix="vcc-check-") as tmp:
        p = Path(tmp) / (os.path.basename(name) or "model.yaml")
        p.write_text(text, encoding="utf-8")
        try:
            spec = load_spec(p)
        except VccError as exc:
            _rename(exc, str(p), name)
            return {"ok": False, "message": exc.headline, "problems": exc.problems, "warnings": []}
    n_items = sum(len(m.items) for m in spec.mechanisms.values())
    warnings = [w.replace(str(p), name) for w in spec.warnings]
    return {
        "ok": True,
        "message": f"{name}: OK: {len(spec.mechanisms)} mechanism(s), {n_items} items, {len(warnings)} warning(s)",
        "problems": [],
        "warnings": warnings,
        "mechanisms": len(spec.mechanisms),
        "items": n_items,
    }


def form_view(raw: dict) -> list[dict]:
    """What the edit form shows: per mechanism its label, constructs (label, stage, items) and paths."""
    out = []
    for mid, m in (raw.get("mechanisms") or {}).items():
        if not isinstance(m, dict):
            continue
        cons = []
        for cid, c in (m.get("constructs") or {}).items():
            if not isinstance(c, dict):
                continue
            items = [it for it in (c.get("items") or []) if isinstance(it, dict)]
            cons.append(
                {
                    "id": cid,
                    "label": _lang(c.get("label")),
                    "stage": c.get("stage", ""),
                    "items": [
                        {"id": it.get("id", ""), "text": _lang(it.get("text")), "reverse": bool(it.get("reverse"))}
                        for it in items
                    ],
                }
            )
        out.append(
            {
                "id": mid,
                "label": _lang(m.get("label")),
                "constructs": cons,
                "paths": "\n".join(str(p) for p in (m.get("paths") or [])),
                "direct_paths": "\n".join(str(p) for p in (m.get("direct_paths") or [])),
            }
        )
    return out


def _lang(v) -> dict:
    return (
        {"en": str(v.get("en", "")), "zh": str(v.get("zh", ""))}
        if isinstance(v, dict)
        else {"en": str(v or ""), "zh": ""}
    )


def apply_form(raw: dict, form: dict) -> dict:
    """Apply the edit form's fields to the spec's YAML data; returns the edited copy.

    Field names: ``m|MID|label|LANG``, ``c|MID|CID|label|LANG``, ``c|MID|CID|stage``,
    ``i|MID|CID|K|text|LANG``, ``i|MID|CID|K|reverse`` (present when ticked),
    ``p|MID|paths``, ``p|MID|direct_paths`` (one path per line); ``x|MID|CID|K`` removes
    an item and ``n|MID|CID|id``/``text|LANG``/``reverse`` adds one. Fields that name nothing
    in the spec are ignored; the edited spec is then checked as a whole by ``load_spec``.
    """
    import copy

    data = copy.deepcopy(raw)
    mechs = data.get("mechanisms") or {}
    ticked = {k for k in form if k.startswith("i|") and k.endswith("|reverse")}
    for mid, m in mechs.items():
        if not isinstance(m, dict):
            continue
        for cid, c in (m.get("constructs") or {}).items():
            if not isinstance(c, dict):
                continue
            for k, it in enumerate(c.get("items") or []):
                # an unticked box is absent from a form: only items the form showed lose the flag
                if isinstance(it, dict) and f"i|{mid}|{cid}|{k}|text|en" in form:
                    if f"i|{mid}|{cid}|{k}|reverse" in ticked:
                        it["reverse"] = True
                    else:
                        it.pop("reverse", None)
    for key, value in list(form.items()):
        parts = key.split("|")
        value = str(value)
        try:
            if parts[0] == "m" and len(parts) == 4:
                _set_lang(mechs[parts[1]], "label", parts[3], value)
            elif parts[0] == "c" and len(parts) == 5 and parts[3] == "label":
                _set_lang(mechs[parts[1]]["constructs"][parts[2]], "label", parts[4], value)
            elif parts[0] == "c" and len(parts) == 4 and parts[3] == "stage":
                mechs[parts[1]]["constructs"][parts[2]]["stage"] = value.strip()
            elif parts[0] == "i" and len(parts) == 6 and parts[4] == "text":
                item = mechs[parts[1]]["constructs"][parts[2]]["items"][int(parts[3])]
                _set_lang(item, "text", parts[5], value)
            elif parts[0] == "p" and len(parts) == 3 and parts[2] in ("paths", "direct_paths"):
                lines = [ln.strip() for ln in value.splitlines() if ln.strip()]
                if lines:
                    mechs[parts[1]][parts[2]] = lines
                else:
                    mechs[parts[1]].pop(parts[2], None)
        except (KeyError, IndexError, TypeError, ValueError):
            continue
    _add_and_remove_items(mechs, form)
    return data


def _add_and_remove_items(mechs: dict, form: dict) -> None:
    """``x|MID|CID|K`` (ticked) removes item K; ``n|MID|CID|id`` (non-empty) adds an item with
    ``n|MID|CID|text|LANG`` and ``n|MID|CID|reverse``. Removal runs first, so indices are the form's."""
    for mid, m in mechs.items():
        if not isinstance(m, dict):
            continue
        for cid, c in (m.get("constructs") or {}).items():
            if not isinstance(c, dict) or not isinstance(c.get("items"), list):
                continue
            c["items"] = [it for k, it in enumerate(c["items"]) if f"x|{mid}|{cid}|{k}" not in form]
            new_id = str(form.get(f"n|{mid}|{cid}|id", "")).strip()
            if new_id:
                item = {
                    "id": new_id,
                    "text": {lang: str(form.get(f"n|{mid}|{cid}|text|{lang}", "")) for lang in ("en", "zh")},
                }
                if f"n|{mid}|{cid}|reverse" in form:
                    item["reverse"] = True
                c["items"].append(item)


def _set_lang(node: dict, key: str, lang: str, value: str) -> None:
    if lang not in ("en", "zh"):
        return
    cur = node.get(key)
    if not isinstance(cur, dict):
        cur = {}
        node[key] = cur
    cur[lang] = value


def dump_yaml(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


def write_downloads(spec, out: Path) -> list[Path]:
    """Every instrument (``write_instruments``, both languages) and the Excel template(s) into ``out``."""
    from instruments.generate import write_instruments, write_templates

    out.mkdir(parents=True, exist_ok=True)
    paths = list(write_instruments(spec, out, lang="both"))
    paths += write_templates(spec, out)
    return paths
