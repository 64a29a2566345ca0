"""The PLS path model: constructs, their items and modes, the structural paths, and the data.

A :class:`PLSModel` is the specification (what is measured by what, which construct
explains which); :func:`prepare_data` turns a data frame into the standardised
indicator matrix the algorithm works on, with missing values handled by mean
replacement or listwise deletion. Every check a user can fail raises
:class:`instruments.errors.InputError` naming the construct, item or column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from instruments.errors import InputError

__all__ = ["PLSModel", "prepare_data", "MODES", "SCHEMES", "MISSING"]

#: Outer modes: A (correlation weights; reflective in SmartPLS) and B (regression weights; formative).
MODES = ("A", "B")
#: Inner weighting schemes.
SCHEMES = ("path", "factorial", "centroid")
#: Missing-value treatments.
MISSING = ("mean", "listwise")

_MODE_WORDS = {"a": "A", "b": "B", "reflective": "A", "formative": "B", "mode_a": "A", "mode_b": "B", "composite": "A"}


def normalise_mode(value, where: str) -> str:
    """``A``/``B`` from ``A``, ``B``, ``reflective`` or ``formative`` (any case); InputError otherwise."""
    if isinstance(value, str) and value.strip().lower() in _MODE_WORDS:
        return _MODE_WORDS[value.strip().lower()]
    raise InputError(f"{where}: mode {value!r} is not known; expected A (reflective) or B (formative)")


@dataclass(frozen=True)
class PLSModel:
    """A PLS path model.

    Parameters
    ----------
    constructs : mapping of str to sequence of str
        Construct -> its indicator columns, in order. A construct may have one item.
    paths : sequence of (source, target)
        The structural paths; the graph must be acyclic and every construct must take part in at
        least one path.
    modes : mapping of str to str, optional
        Construct -> ``"A"`` (Mode A, correlation weights; the default) or ``"B"`` (Mode B, regression
        weights). ``"reflective"`` and ``"formative"`` are accepted as the same.

    Attributes
    ----------
    names : list of str
        Constructs in the order given.
    items : list of str
        Indicators, block by block.
    """

    constructs: Mapping[str, Sequence[str]]
    paths: Sequence[tuple[str, str]]
    modes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.constructs, Mapping) or not self.constructs:
            raise InputError("PLS model: no constructs given; expected a mapping construct -> list of items")
        blocks: dict[str, tuple[str, ...]] = {}
        owner: dict[str, str] = {}
        for c, items in self.constructs.items():
            items = (items,) if isinstance(items, str) else tuple(items)
            if not items:
                raise InputError(f"PLS model: construct {c} has no items; expected at least one")
            for it in items:
                if it in owner:
                    raise InputError(
                        f"PLS model: item {it} is given for both {owner[it]} and {c}; "
                        "expected each item in one construct"
                    )
                owner[it] = c
            blocks[str(c)] = tuple(map(str, items))
        object.__setattr__(self, "constructs", blocks)
        paths = []
        for p in self.paths:
            if len(p) != 2:
                raise InputError(f"PLS model: path {p!r} is not a pair (source, target)")
            a, b = map(str, p)
            for c in (a, b):
                if c not in blocks:
                    raise InputError(
                        f"PLS model: path {a} -> {b} names {c}, which is not a construct; "
                        f"expected one of {', '.join(blocks)}"
                    )
            if a == b:
                raise InputError(f"PLS model: path {a} -> {b} points to itself")
            if (a, b) not in paths:
                paths.append((a, b))
        if not paths:
            raise InputError("PLS model: no structural paths; PLS needs at least one path between constructs")
        object.__setattr__(self, "paths", tuple(paths))
        used = {c for p in paths for c in p}
        lonely = [c for c in blocks if c not in used]
        if lonely:
            raise InputError(
                f"PLS model: construct(s) {', '.join(lonely)} take part in no path; the PLS "
                "algorithm needs every construct linked to another (add a path or leave it out)"
            )
        modes = {}
        for c, m in dict(self.modes or {}).items():
            if c not in blocks:
                raise InputError(f"PLS model: a mode is given for {c}, which is not a construct")
            modes[c] = normalise_mode(m, f"PLS model, construct {c}")
        object.__setattr__(self, "modes", {c: modes.get(c, "A") for c in blocks})
        self._check_acyclic()

    def _check_acyclic(self) -> None:
        succ: dict[str, list[str]] = {}
        for a, b in self.paths:
            succ.setdefault(a, []).append(b)
        state: dict[str, int] = {}

        def visit(n: str, trail: list[str]) -> None:
            state[n] = 1
            for m in succ.get(n, []):
                if state.get(m) == 1:
                    cyc = trail[trail.index(m) :] + [m] if m in trail else [n, m]
                    raise InputError(
                        "PLS model: the paths form a cycle (" + " -> ".join(cyc) + "); PLS "
                        "path models must be recursive"
                    )
                if m not in state:
                    visit(m, trail + [m])
            state[n] = 2

        for c in self.constructs:
            if c not in state:
                visit(c, [c])

    @property
    def names(self) -> list[str]:
        return list(self.constructs)

    @property
    def items(self) -> list[str]:
        return [it for c in self.constructs for it in self.constructs[c]]

    def predecessors(self, c: str) -> list[str]:
        return [a for a, b in self.paths if b == c]

    @property
    def endogenous(self) -> list[str]:
        return [c for c in self.constructs if self.predecessors(c)]

    def without_path(self, source: str, target: str) -> PLSModel | None:
        """The model with one path removed (constructs left without a path dropped); None if nothing is left."""
        paths = [p for p in self.paths if p != (source, target)]
        if not paths:
            return None
        used = {c for p in paths for c in p}
        return PLSModel(
            {c: v for c, v in self.constructs.items() if c in used},
            paths,
            {c: m for c, m in self.modes.items() if c in used},
        )

    @classmethod
    def from_mechanism(cls, mechanism, direct: bool = False, modes: Mapping[str, str] | None = None) -> PLSModel:
        """The PLS model of one mechanism of a spec.

        ``modes`` (construct -> A/B/reflective/formative) overrides the spec; otherwise a
        construct's ``mode`` attribute is read when the spec has one (``reflective``/``formative`` or
        ``A``/``B``), and Mode A is the default.
        """
        blocks = {cid: list(c.item_ids) for cid, c in mechanism.constructs.items()}
        paths = [(p.source, p.target) for p in mechanism.active_paths(direct)]
        used = {x for p in paths for x in p}
        blocks = {c: v for c, v in blocks.items() if c in used}
        found = {}
        for cid, c in mechanism.constructs.items():
            m = getattr(c, "mode", None)
            if m is not None and cid in blocks:
                found[cid] = normalise_mode(m, f"mechanisms.{mechanism.id}.constructs.{cid}.mode")
        for cid, m in dict(modes or {}).items():
            if cid not in blocks:
                raise InputError(
                    f"--pls-mode {cid}={m}: {cid} is not a construct of mechanism {mechanism.id} "
                    f"that takes part in a path; expected one of {', '.join(blocks)}"
                )
            found[cid] = normalise_mode(m, f"mode of construct {cid}")
        return cls(blocks, paths, found)


@dataclass
class PreparedData:
    """Indicator data ready for the PLS algorithm.

    Attributes
    ----------
    raw : ndarray, shape (n, p)
        The indicator values (NaN where missing) of the rows kept, in :attr:`PLSModel.items` order.
    n_obs : int
        Rows used.
    n_dropped : int
        Rows removed by listwise deletion (0 under mean replacement).
    n_replaced : int
        Cells replaced by their column mean (0 under listwise deletion).
    """

    raw: np.ndarray
    items: list[str]
    missing: str
    n_obs: int
    n_dropped: int = 0
    n_replaced: int = 0
    replaced_by_item: dict = field(default_factory=dict)


def prepare_data(
    data: pd.DataFrame, model: PLSModel, missing: str = "mean", missing_value: float | None = None
) -> PreparedData:
    """Select, check and (listwise) filter the indicator columns.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, one column per item.
    model : PLSModel
    missing : {"mean", "listwise"}
        Mean replacement (seminr's default; done again inside every bootstrap resample) or
        listwise deletion.
    missing_value : float, optional
        A code that marks a missing answer (e.g. -99), turned into NaN first.

    Returns
    -------
    PreparedData
    """
    if missing not in MISSING:
        raise InputError(f"missing values: {missing!r} is not known; expected mean (mean replacement) or listwise")
    if not isinstance(data, pd.DataFrame):
        raise InputError("PLS data: expected a pandas DataFrame with one column per item")
    items = model.items
    absent = [it for it in items if it not in data.columns]
    if absent:
        raise InputError(
            f"PLS data: no column for item(s) {', '.join(absent)}; expected one column per item of the model"
        )
    X = data[items]
    bad = [c for c in items if not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        c = bad[0]
        v = next((v for v in X[c] if not _is_number(v)), None)
        raise InputError(f"PLS data: column {c} holds {v!r}, which is not a number; expected numeric answers")
    raw = X.to_numpy(dtype=float, copy=True)
    if missing_value is not None:
        raw[raw == float(missing_value)] = np.nan
    if np.isinf(raw).any():
        raise InputError("PLS data: infinite values in " + ", ".join(np.array(items)[np.isinf(raw).any(0)]))
    n0 = raw.shape[0]
    nan = np.isnan(raw)
    empty = [it for it, e in zip(items, nan.all(0)) if e]
    if empty:
        raise InputError(f"PLS data: item(s) {', '.join(empty)} have no observed values; expected answers")
    out = PreparedData(raw, items, missing, n0)
    if missing == "listwise":
        keep = ~nan.any(1)
        out.raw = raw[keep]
        out.n_obs = int(keep.sum())
        out.n_dropped = int(n0 - keep.sum())
    else:
        out.n_replaced = int(nan.sum())
        out.replaced_by_item = {it: int(k) for it, k in zip(items, nan.sum(0)) if k}
    if out.n_obs < 3:
        raise InputError(
            f"PLS data: {out.n_obs} complete row(s) after listwise deletion; expected at least 3 "
            "(use mean replacement or collect more responses)"
        )
    sd = np.nanstd(out.raw, axis=0, ddof=1)
    const = [it for it, s in zip(items, sd) if not s > 0]
    if const:
        raise InputError(
            f"PLS data: item(s) {', '.join(const)} have the same answer in every row (no variance); "
            "a PLS indicator must vary"
        )
    return out


def _is_number(v) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def fill_and_correlate(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Mean-replace NaN cells, standardise the columns (sample SD) and return ``(Z, R)``.

    Returns None when a column has no variance (a degenerate bootstrap resample).
    """
    X = raw
    nan = np.isnan(X)
    if nan.any():
        if nan.all(0).any():
            return None
        X = X.copy()
        means = np.nanmean(X, axis=0)
        X[nan] = np.take(means, np.nonzero(nan)[1])
    n = X.shape[0]
    Xc = X - X.mean(0)
    sd = np.sqrt((Xc * Xc).sum(0) / (n - 1))
    if not np.all(sd > 1e-12 * (1 + np.abs(X).max(0))):
        return None
    Z = Xc / sd
    R = (Z.T @ Z) / (n - 1)
    np.fill_diagonal(R, 1.0)
    return Z, R
