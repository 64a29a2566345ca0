"""The results.json contract: its JSON Schema, shipped with the package and printed by ``vcc schema``.

``results.json`` is what the analysis hands to every writer (HTML, Word, Excel) and to programs
that read a run. ``schema_version`` (the first key of every results.json) names the version of
:data:`SCHEMA_FILE` it follows. A key added to results.json must be added to the schema, or the
suite's schema test fails (``tests/test_schema.py`` validates real runs: the demo, a grouped run,
WLSMV, MLR and PLS).

Numbers are ``number or null``: a statistic that cannot be computed is null, with its reason in a
``reason``/``warnings`` field beside it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

__all__ = ["SCHEMA_VERSION", "SCHEMA_FILE", "load_schema", "schema_text", "validate_results"]

#: The version of the results.json contract. Bump the minor version when keys are added, the major
#: version when a key is renamed or removed or changes meaning.
SCHEMA_VERSION = "1.0"
SCHEMA_FILE = "results.schema.json"


def schema_text() -> str:
    """The JSON Schema of results.json, as shipped."""
    return resources.files("validate.report").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def load_schema() -> dict:
    """The JSON Schema of results.json as a dict."""
    return json.loads(schema_text())


def validate_results(results: dict) -> list[str]:
    """Check ``results`` against the schema; returns the problems (path: message), empty when valid.

    Needs the ``jsonschema`` package (in the ``test`` extras); it is a development check, not a step
    of a run.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    out = []
    for err in sorted(validator.iter_errors(results), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(top)"
        out.append(f"{where}: {err.message[:300]}")
    return out
