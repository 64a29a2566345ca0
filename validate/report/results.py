"""Typed, schema-checked reading of results.json for the writers.

Every writer (the tables, HTML, Word, Excel, the PLS section) reads results.json through these
views instead of guessing keys with ``dict.get`` and ``{}`` fallbacks. A view knows where it stands
in the schema (:mod:`validate.report.schema`), so

* reading a key the schema does not define raises :class:`ResultsSchemaError` at once - a writer can
  no longer read a key that results.json does not have (this is how a table once read the wrong
  keys and showed "—" beside a value that existed);
* ``view[key]`` is a key the writer needs: when it is absent, :class:`ResultsKeyError` names the
  key and where it was expected (``results.json: mechanisms/consumer/measurement has no key
  'fit'``), never a silent ``{}``;
* ``view.get(key)``, ``view.obj(key)``, ``view.rows(key)`` and ``view.list(key)`` read a key that
  is optional by schema (absent when the analysis did not run, e.g. ``invariance`` without a group
  column): ``None``, an empty view or an empty list when it is absent or null.

How a writer reads results::

    res = Results.of(results)                     # the results.json dict (or a view of it)
    mres = res.mechanism("consumer")              # required: raises naming the mechanism
    mres.measurement.reliability("PU").get("ave") # a named accessor; raises naming the construct
    rel = mres.measurement.obj("reliability")     # optional by schema: an empty view when absent
    for construct, r in rel.items():              # a map: (key, view) pairs
        alpha = r.get("alpha")                    # a number or None (null: not computed)
    for p in mres.structural.paths:               # a list of objects: views (= .rows("paths"))
        p["from"], p.get("p_value")               # p["from"]: needed; .get: optional by schema
    mres.measurement.obj("common_method").obj("ulmc").get("method_variance")  # any schema path

The schema's objects with no listed properties (free-form, e.g. a group's summary statistics) are
read without a key check; :func:`free_form_paths` lists them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .schema import load_schema

__all__ = [
    "Results",
    "MechanismResults",
    "MeasurementResults",
    "Section",
    "StructuralResults",
    "ResultsKeyError",
    "ResultsSchemaError",
    "View",
    "accessor_paths",
    "free_form_paths",
    "plain",
    "schema_node",
]

_ANY = "*"  # a key of an object whose keys are data (mechanism ids, construct ids)
_ITEM = "[]"  # an element of an array


class ResultsSchemaError(KeyError):
    """A writer asked for a key the results.json schema does not define (a bug in the writer)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class ResultsKeyError(KeyError):
    """A key a writer needs is absent from results.json."""

    def __str__(self) -> str:
        return str(self.args[0])


def _sub(node: dict | None, key: str) -> dict | None:
    """The schema of ``key`` inside an object schema ``node``; None when the schema has no such key.

    An object with neither ``properties`` nor an ``additionalProperties`` schema is free-form: any
    key, with an empty (anything) schema.
    """
    if node is None:
        return {}
    if key == _ITEM:
        return node.get("items", {}) if isinstance(node.get("items", {}), dict) else {}
    props = node.get("properties")
    if props is not None and key in props:
        return props[key]
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        return extra
    if props is None:
        return {}
    return None


def schema_node(path: tuple[str, ...]) -> dict | None:
    """The schema at ``path`` (keys, ``"*"`` for any key of a map, ``"[]"`` for an array's items);
    None when the schema does not define that path."""
    node: dict | None = load_schema()
    for key in path:
        if key == _ANY:
            extra = node.get("additionalProperties")
            node = extra if isinstance(extra, dict) else ({} if "properties" not in node else None)
        else:
            node = _sub(node, key)
        if node is None:
            return None
    return node


def free_form_paths() -> list[str]:
    """The places of the schema that say nothing of their content (read without a key check)."""
    out = []

    def walk(node, path):
        if not isinstance(node, dict):
            return
        types = node.get("type")
        types = types if isinstance(types, list) else [types]
        untyped = types == [None] and "items" not in node  # {}: anything
        if (
            ("object" in types or untyped)
            and "properties" not in node
            and not isinstance(node.get("additionalProperties"), dict)
        ):
            out.append("/".join(path) or "(top)")
        for k, v in node.get("properties", {}).items():
            walk(v, path + (k,))
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], path + (_ANY,))
        if isinstance(node.get("items"), dict):
            walk(node["items"], path + (_ITEM,))

    walk(load_schema(), ())
    return out


class View:
    """A read-only view of one JSON object of results.json at a known place in the schema.

    Parameters
    ----------
    data : Mapping or None
        The object (None or absent: an empty view).
    where : tuple of str
        Its place in results.json as the user sees it (``("mechanisms", "consumer", "measurement")``).
    schema : dict
        Its schema (``{}``: free-form).
    """

    __slots__ = ("_data", "_where", "_schema")

    def __init__(self, data: Mapping | None, where: tuple[str, ...] = (), schema: dict | None = None):
        if data is not None and not isinstance(data, Mapping):
            raise TypeError(
                f"results.json: {self.path_of(where)} should be an object, not {type(data).__name__} ({data!r:.60})"
            )
        self._data = data if data is not None else {}
        self._where = tuple(where)
        self._schema = load_schema() if schema is None else schema

    # ---- where ---------------------------------------------------------------------------------
    @staticmethod
    def path_of(where: tuple[str, ...]) -> str:
        return "/".join(where) or "(top)"

    @property
    def path(self) -> str:
        """Where this object stands in results.json (``mechanisms/consumer/measurement``)."""
        return self.path_of(self._where)

    @property
    def raw(self) -> dict:
        """The object itself (a dict; do not change it)."""
        return self._data

    def _key_schema(self, key: str) -> dict:
        sub = _sub(self._schema, str(key))
        if sub is None:
            known = sorted(self._schema.get("properties", {}))
            raise ResultsSchemaError(
                f"results.json schema: {self.path} has no key {key!r} (its keys: "
                f"{', '.join(known)}); add it to validate/report/results.schema.json "
                "if the analysis writes it"
            )
        return sub

    def defines(self, key: str) -> bool:
        """Does the schema define ``key`` here (whether or not this run wrote it)?"""
        return _sub(self._schema, str(key)) is not None

    def has(self, key: str) -> bool:
        """Did this run write ``key`` (null included)? ``key`` must be defined by the schema."""
        self._key_schema(key)
        return key in self._data

    # ---- required ------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        """The value of a key the writer needs; raises :class:`ResultsKeyError` naming it when absent."""
        sub = self._key_schema(key)
        if key not in self._data:
            raise ResultsKeyError(f"results.json: {self.path} has no key {key!r}")
        return self._wrap(key, self._data[key], sub)

    def section(self, key: str) -> View:
        """A required object (raises :class:`ResultsKeyError` naming it when absent or null)."""
        sub = self._key_schema(key)
        value = self._data.get(key)
        if value is None:
            raise ResultsKeyError(f"results.json: {self.path} has no object {key!r}")
        return View(value, self._where + (str(key),), sub)

    # ---- optional by schema --------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        """The value of a key that is optional by schema (``default`` when absent); objects come back
        as views, lists of objects as lists of views."""
        sub = self._key_schema(key)
        if key not in self._data or self._data[key] is None:
            return default
        return self._wrap(key, self._data[key], sub)

    def obj(self, key: str, cls: type | None = None) -> View:
        """An object that is optional by schema: an empty view when it is absent or null (``cls``: a
        view class such as :class:`MeasurementResults`)."""
        sub = self._key_schema(key)
        return (cls or View)(self._data.get(key), self._where + (str(key),), sub)

    def rows(self, key: str) -> list[View]:
        """A list of objects that is optional by schema (empty when absent), each as a view."""
        sub = self._key_schema(key)
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise TypeError(f"results.json: {self.path}/{key} should be a list, not {type(value).__name__}")
        item = _sub(sub, _ITEM)
        return [View(v, self._where + (str(key), str(i)), item) for i, v in enumerate(value)]

    def empty_row(self, key: str) -> View:
        """An empty element of the list of objects ``key`` (for a row another list has and this one
        does not): its keys read as absent."""
        sub = self._key_schema(key)
        return View({}, self._where + (str(key), "-"), _sub(sub, _ITEM))

    def list(self, key: str) -> list:
        """A list of plain values that is optional by schema (empty when absent)."""
        self._key_schema(key)
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise TypeError(f"results.json: {self.path}/{key} should be a list, not {type(value).__name__}")
        return value

    # ---- a map (keys are data: mechanism ids, construct ids) -------------------------------------
    def keys(self) -> list[str]:
        return list(self._data)

    def items(self) -> Iterator[tuple[str, Any]]:
        """(key, value) pairs, objects as views (checked against the schema like :meth:`get`)."""
        for key in self._data:
            yield key, self.get(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data and self._data[key] is not None

    def __len__(self) -> int:
        return len(self._data)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __repr__(self) -> str:
        return f"View({self.path}: {len(self._data)} keys)"

    def _wrap(self, key: str, value: Any, sub: dict) -> Any:
        where = self._where + (str(key),)
        if isinstance(value, Mapping):
            return View(value, where, sub)
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            item = _sub(sub, _ITEM)
            return [View(v, where + (str(i),), item) for i, v in enumerate(value)]
        return value


class Section:
    """A named accessor of a view class: the key ``key`` read as ``kind``.

    ``kind``: ``"obj"`` (an object, an empty view when absent: optional by schema), ``"rows"`` (a
    list of objects, empty when absent), ``"list"`` (a list of values) or ``"get"`` (a value, None when
    absent). ``cls`` is the view class of an object. :func:`accessor_paths` lists every such key,
    and the suite checks each against the schema.
    """

    def __init__(self, key: str, kind: str = "obj", cls: type | None = None, doc: str = ""):
        self.key, self.kind, self.cls = key, kind, cls
        self.__doc__ = doc or f"``{key}`` ({kind}; optional by schema)"

    def __get__(self, view, owner=None):
        if view is None:
            return self
        if self.kind == "obj":
            return view.obj(self.key, self.cls or View)
        return getattr(view, self.kind)(self.key)


class MeasurementResults(View):
    """``mechanisms/<id>/measurement``: the CFA and what is computed from it."""

    __slots__ = ()
    fit = Section("fit", doc="``fit``: the CFA's fit measures (lavaan's names)")
    loadings = Section("loadings", "rows", doc="``loadings``: a row per item (construct, item, estimate, ..., std)")
    warnings = Section("warnings", "list")

    def reliability(self, construct: str) -> View:
        """``reliability/<construct>`` (alpha, omega, cr, ave, ...); raises naming the construct when absent."""
        rel = self.obj("reliability")
        if construct not in rel:
            raise ResultsKeyError(
                f"results.json: {rel.path} has no construct {construct!r} (it has: "
                f"{', '.join(map(str, rel.keys())) or 'none'})"
            )
        return rel.obj(construct)


class StructuralResults(View):
    """``mechanisms/<id>/structural``: the SEM's paths, R², indirect effects and moderation."""

    __slots__ = ()
    fit = Section("fit", doc="``fit``: the SEM's fit measures (lavaan's names)")
    paths = Section("paths", "rows", doc="``paths``: a row per hypothesised path (from, to, estimate, ..., supported)")
    indirect = Section("indirect", "rows", doc="``indirect``: a row per chain (chain, estimate, ci_lower, ...)")
    moderation = Section("moderation", "rows")
    r2 = Section("r2", doc="``r2``: construct -> R²")
    warnings = Section("warnings", "list")


class MechanismResults(View):
    """``mechanisms/<id>``: one mechanism's results. Every section is optional by schema (absent when
    its analysis did not run: ``invariance`` and ``multigroup`` need a group column, ``pls`` the PLS
    method, ``structural`` a structural model): an empty view then."""

    __slots__ = ()
    screening = Section("screening")
    measurement = Section("measurement", cls=MeasurementResults)
    structural = Section("structural", cls=StructuralResults)
    invariance = Section("invariance")
    multigroup = Section("multigroup")
    pls = Section("pls")
    warnings = Section("warnings", "list")


class Results(View):
    """The whole results.json."""

    __slots__ = ()

    @classmethod
    def of(cls, results: Mapping | View | None) -> Results:
        """A view of ``results`` (the results.json dict; a view is returned as it is)."""
        if isinstance(results, Results):
            return results
        if isinstance(results, View):
            return cls(results.raw)
        return cls(results, (), load_schema())

    @property
    def mechanisms(self) -> dict[str, MechanismResults]:
        """``mechanisms`` (required by schema), id -> results, in run order."""
        mech = self.obj("mechanisms")
        return {mid: self.mechanism(mid) for mid in mech}

    def mechanism(self, mid: str) -> MechanismResults:
        """One mechanism's results; raises :class:`ResultsKeyError` naming it when it was not run."""
        mech = self.obj("mechanisms")
        sub = _sub(mech._schema, str(mid))
        data = mech.raw.get(mid)
        if data is None:
            raise ResultsKeyError(
                f"results.json: mechanisms has no mechanism {mid!r} (it has: "
                f"{', '.join(map(str, mech.keys())) or 'none'})"
            )
        return MechanismResults(data, ("mechanisms", str(mid)), sub)


def plain(value: Any) -> Any:
    """A value as plain JSON: a view as its dict, a list of views as a list of dicts (for the figure
    functions and :func:`validate.report.i18n.text`, which take JSON)."""
    if isinstance(value, View):
        return value.raw
    if isinstance(value, list):
        return [v.raw if isinstance(v, View) else v for v in value]
    return value


def accessor_paths() -> list[tuple[str, ...]]:
    """The schema paths the named accessors read (checked by the suite against the schema)."""
    out = [("mechanisms",), ("mechanisms", _ANY), ("mechanisms", _ANY, "measurement", "reliability", _ANY)]

    def walk(cls, path):
        for name in dir(cls):
            acc = getattr(cls, name)
            if isinstance(acc, Section):
                out.append(path + (acc.key,))
                if acc.cls is not None:
                    walk(acc.cls, path + (acc.key,))

    walk(MechanismResults, ("mechanisms", _ANY))
    return out
