"""The PLS options of ``vcc validate``: argparse arguments and their translation into analysis options.

Kept in the PLS package so that ``validate/cli.py`` stays thin: it calls
:func:`add_pls_arguments` on the ``validate`` parser and passes
``**pls_fields(args)`` to :class:`validate.pipeline.AnalysisOptions`.
"""

from __future__ import annotations

import argparse

from instruments.errors import InputError

# kept here (not imported from validate.pls.model) so that building the parser loads no numpy/pandas
SCHEMES = ("path", "factorial", "centroid")
MISSING = ("mean", "listwise")

__all__ = [
    "METHODS",
    "HOC_APPROACHES",
    "add_pls_arguments",
    "add_hoc_argument",
    "pls_fields",
    "parse_modes",
    "check_method",
]

#: ``--method``: covariance-based SEM (the default), PLS-SEM, or both side by side.
METHODS = ("cb", "pls", "both")


def add_pls_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--method``, ``--scheme``, ``--consistent``, ``--pls-missing`` and ``--pls-mode``."""
    p.add_argument(
        "--method",
        default="cb",
        choices=METHODS,
        help="cb: covariance-based SEM (default); pls: PLS-SEM; both: the two side by side",
    )
    p.add_argument(
        "--scheme", default="path", choices=SCHEMES, help="PLS inner weighting scheme (default path, as SmartPLS)"
    )
    p.add_argument(
        "--consistent", action="store_true", help="PLSc: Mode A constructs as common factors (Dijkstra & Henseler 2015)"
    )
    p.add_argument(
        "--pls-missing",
        default="mean",
        choices=MISSING,
        help="PLS missing values: mean replacement (default) or listwise deletion",
    )
    p.add_argument(
        "--pls-mode",
        action="append",
        default=[],
        metavar="CONSTRUCT=A|B",
        help="measurement mode of a construct for PLS (A reflective, B formative); repeatable; "
        "overrides the spec's mode",
    )
    p.add_argument(
        "--predict-folds",
        type=int,
        default=10,
        metavar="K",
        help="PLSpredict: folds of the cross-validation (default 10; 0 skips PLSpredict)",
    )
    p.add_argument(
        "--predict-repetitions",
        type=int,
        default=10,
        metavar="R",
        help="PLSpredict: repetitions of the k-fold split (default 10)",
    )
    p.add_argument(
        "--permutations",
        type=int,
        default=5000,
        metavar="B",
        help="PLS with --group: permutations for MICOM and the permutation MGA test (default 5000)",
    )
    p.add_argument(
        "--ipma-target",
        action="append",
        default=[],
        metavar="CONSTRUCT",
        help="PLS importance-performance map for this construct (repeatable; default: every outcome-stage "
        "construct a path points to)",
    )
    p.add_argument(
        "--pls-moderation",
        default="two_stage",
        choices=("two_stage", "product_indicator", "orthogonal"),
        help="PLS interaction terms of the spec's moderations: two_stage (default, as SmartPLS and "
        "seminr), product_indicator or orthogonal",
    )
    p.add_argument(
        "--predict-approach",
        default="direct",
        choices=("direct", "earliest"),
        help="PLSpredict: predict from direct antecedents (default) or earliest antecedents",
    )
    add_hoc_argument(p)


#: ``--hoc-approach``: how PLS estimates the spec's second-order constructs (``dimensions:``).
HOC_APPROACHES = ("disjoint", "embedded")


def add_hoc_argument(p: argparse.ArgumentParser) -> None:
    """Add ``--hoc-approach disjoint|embedded`` (to ``vcc validate`` and ``vcc demo``)."""
    p.add_argument(
        "--hoc-approach",
        default="disjoint",
        choices=HOC_APPROACHES,
        help="PLS second-order constructs: disjoint two-stage approach (default, as seminr's two_stage) "
        "or embedded two-stage approach (repeated indicators in stage 1)",
    )


def parse_modes(pairs: list[str]) -> dict[str, str]:
    """``["PID=B", "PAC=reflective"]`` -> ``{"PID": "B", "PAC": "A"}``; InputError naming a bad pair."""
    from validate.pls.model import normalise_mode

    out: dict[str, str] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise InputError(f"--pls-mode {pair}: expected CONSTRUCT=A or CONSTRUCT=B, e.g. --pls-mode PID=B")
        c, m = (s.strip() for s in pair.split("=", 1))
        if not c:
            raise InputError(f"--pls-mode {pair}: the construct is missing; expected CONSTRUCT=A or CONSTRUCT=B")
        out[c] = normalise_mode(m, f"--pls-mode {pair}")
    return out


def pls_fields(args: argparse.Namespace) -> dict:
    """The :class:`~validate.pipeline.AnalysisOptions` fields of the PLS arguments."""
    return {
        "method": args.method,
        "pls_scheme": args.scheme,
        "pls_consistent": bool(args.consistent),
        "pls_missing": args.pls_missing,
        "pls_modes": parse_modes(args.pls_mode),
        "pls_predict_folds": getattr(args, "predict_folds", 10),
        "pls_predict_repetitions": getattr(args, "predict_repetitions", 10),
        "pls_predict_approach": getattr(args, "predict_approach", "direct"),
        "pls_permutations": getattr(args, "permutations", 5000),
        "pls_moderation": getattr(args, "pls_moderation", "two_stage"),
        "pls_ipma_targets": list(getattr(args, "ipma_target", None) or []) or None,
        "pls_hoc_approach": getattr(args, "hoc_approach", "disjoint"),
    }


def check_method(method: str) -> None:
    """InputError unless ``method`` is cb, pls or both."""
    if method not in METHODS:
        raise InputError(f"--method {method}: expected cb (covariance-based SEM), pls (PLS-SEM) or both")
