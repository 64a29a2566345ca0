"""Read a subset of lavaan model syntax and build a lavaan-like parameter table.

Supported operators: ``=~`` (measured by), ``<~`` (formative composite), ``~``
(regressed on; observed interaction terms ``x1:x2`` as predictors), ``~~``
(covariance), ``~ 1`` (intercept / mean), ``|`` (thresholds of an ordered
item, ``x1 | t1 + t2``; only with ``ordered=``), ``:=`` (defined parameter)
and ``==``, ``<``, ``>`` (constraints: between two labels by sharing the
parameter, otherwise as expressions of labels, :mod:`validate.sem.constraints`).
Modifiers: ``label*var``, ``1*var`` (fixed), ``NA*var`` (free),
``start(0.5)*var``, ``label("a")*var``, ``equal("f=~x2")*var`` and per-group
vectors ``c(a, b)*var`` / ``c(1, NA)*var``.  ESEM ``efa()`` blocks, multilevel
``level:`` blocks, ``~*~``, ``rv()``, ``prior()`` and ``lower()``/``upper()``
are refused by name.  Comments start with ``#`` or ``!``;
statements are separated by new lines or ``;``; a line without an operator
continues the previous statement.

Notes
-----
The defaults reproduce lavaan 0.6's ``sem()``/``cfa()`` (checked against the
parameter tables lavaan 0.6.14 prints for the fixtures in
``tests/fixtures/lavaan``): auto.fix.first, auto.var, auto.cov.lv.x,
auto.cov.y, auto.fix.single, fixed.x (variances/covariances/means of exogenous
observed covariates fixed at their sample values; free with ``fixed_x=False``),
meanstructure for multiple groups, ``group.equal``/``group.partial`` with
latent means freed in groups after the first when intercepts are constrained,
``std.lv``, ``orthogonal`` and ``growth()`` (checked on the battery in
tests/fixtures/lavaan/battery.json).

With ``ordered=`` (WLSMV) the defaults are lavaan's for ordered indicators in
the delta parameterisation: free thresholds ``x | t1``, ``t2``, ...; scale
factors ``x ~*~ x`` fixed at 1; intercepts fixed at 0; a mean structure; and
residual variances that are not free parameters but follow from the others
(``1 - explained variance``; their ``ustart`` is NaN, filled in by
:mod:`validate.sem.wlsmv`).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ModelSyntaxError
from .expr import Expression, parse_expression

__all__ = ["GROUP_EQUAL_CHOICES", "Constraint", "ParTable", "parse_model", "parse_statements"]

GROUP_EQUAL_CHOICES = (
    "loadings",
    "intercepts",
    "means",
    "regressions",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
    "thresholds",
)

_IDENT = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_INTERACTION = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*(:[A-Za-z_.][A-Za-z0-9_.]*)+$")
_EQUAL_REF = "__equal__:"
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_EFA = re.compile(r"\befa\s*\(")
_OPS = re.compile(r":=|=~|~~|~\*~|<~|==|~|<|>|\|")


@dataclass
class _Mod:
    fixed: tuple | None = None  # per-group fixed values (None = free in that group)
    label: tuple | None = None  # per-group labels
    start: tuple | None = None
    free: bool = False  # NA* given


@dataclass
class Statement:
    """One flattened model statement (one lhs, one op, one rhs)."""

    lhs: str
    op: str
    rhs: str
    line: int
    mod: _Mod = field(default_factory=_Mod)


def _strip_comment(line: str) -> str:
    for ch in "#!":
        k = line.find(ch)
        if k >= 0:
            line = line[:k]
    return line


def _split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside parentheses (so ``c(a, b)*x + y`` splits on the ``+`` only)."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _split_plus(text: str) -> list[str]:
    return _split_top(text, "+")


def _split_star(text: str) -> list[str]:
    return _split_top(text, "*")


def _atom_value(tok: str, line: int):
    """Return ('num', v) | ('na', None) | ('label', s)."""
    tok = tok.strip().strip("'\"") if tok.strip()[:1] in "'\"" else tok.strip()
    if _NUMBER.match(tok):
        return ("num", float(tok))
    if tok == "NA":
        return ("na", None)
    if _IDENT.match(tok):
        return ("label", tok)
    raise ModelSyntaxError("cannot read modifier", line, tok)


def _vector(inner: str, line: int) -> list:
    return [_atom_value(x, line) for x in inner.split(",")]


def _parse_modifier(mod: _Mod, text: str, line: int) -> None:
    text = text.strip()
    if not text:
        raise ModelSyntaxError("empty modifier before '*'", line, "*")
    m = re.match(r"^(start|label|equal|c)\s*\((.*)\)$", text)
    if m:
        fun, inner = m.group(1), m.group(2)
        if fun == "start":
            inner2 = inner.strip()
            m2 = re.match(r"^c\s*\((.*)\)$", inner2)
            vals = _vector(m2.group(1) if m2 else inner2, line)
            if any(k != "num" for k, _ in vals):
                raise ModelSyntaxError("start() needs numbers", line, text)
            mod.start = tuple(v for _, v in vals)
            return
        if fun == "equal" and _OPS.search(inner):
            # equal("textual=~x5"): the same value as another parameter, named by lhs op rhs
            target = inner.strip().strip("'\"").replace(" ", "")
            mod.label = (_EQUAL_REF + target,)
            return
        vals = _vector(inner, line)
        if fun in ("label", "equal"):
            if any(k != "label" for k, _ in vals):
                raise ModelSyntaxError(f"{fun}() needs names", line, text)
            mod.label = tuple(v for _, v in vals)
            return
        kinds = {k for k, _ in vals}
        if kinds <= {"num", "na"}:
            mod.fixed = tuple(v for _, v in vals)
        elif kinds <= {"label", "na"}:
            mod.label = tuple(v for _, v in vals)
        else:
            raise ModelSyntaxError("c() mixes numbers and labels", line, text)
        return
    kind, val = _atom_value(text, line)
    if kind == "num":
        mod.fixed = (val,)
    elif kind == "na":
        mod.free = True
    else:
        mod.label = (val,)


def parse_statements(model: str) -> tuple[list[Statement], list[tuple[str, str, int]]]:
    """Split model text into flat statements.

    Returns
    -------
    statements : list of Statement
        ``=~``, ``~``, ``~~``, ``~1`` and ``==`` statements.
    defined : list of (name, expression text, line)
        ``:=`` statements, in order.
    """
    if not isinstance(model, str) or not model.strip():
        raise ModelSyntaxError("the model text is empty")
    chunks: list[list] = []  # [text, line]
    for lineno, raw in enumerate(model.splitlines(), start=1):
        if re.match(r"^\s*(level|group|block)\s*:", _strip_comment(raw)):
            raise ModelSyntaxError(
                "multilevel or block syntax ('level: 1', 'group: a') is not supported; for groups "
                "use the group= option with group_equal/group_partial, or c(...) modifier vectors",
                lineno,
                _strip_comment(raw).strip(),
            )
        if _EFA.search(_strip_comment(raw)):
            raise ModelSyntaxError(
                'exploratory SEM blocks (efa("...")* modifiers) are not supported; run an '
                "exploratory factor analysis (validate.measurement.efa) to choose the items, then "
                "write the confirmatory model with '=~'",
                lineno,
                _EFA.search(raw).group(0),
            )
        for kw, what in (
            ("rv(", "random-variance modifiers rv()"),
            ("prior(", "Bayesian priors prior()"),
            ("lower(", "bounds lower()"),
            ("upper(", "bounds upper()"),
        ):
            if re.search(r"(^|[^A-Za-z0-9_.])" + re.escape(kw), _strip_comment(raw)):
                raise ModelSyntaxError(
                    f"{what} are not supported; write an inequality constraint "
                    "instead (label the parameter, then e.g. 'a > 0')"
                    if kw in ("lower(", "upper(")
                    else f"{what} are not supported",
                    lineno,
                    kw[:-1],
                )
        for piece in _strip_comment(raw).split(";"):
            piece = piece.strip()
            if not piece:
                continue
            if (
                not _OPS.search(piece)
                or piece.startswith("+")
                or (chunks and chunks[-1][0].rstrip().endswith(("+", "*")))
            ):
                if not chunks:
                    raise ModelSyntaxError("statement has no operator (=~, ~, ~~, :=)", lineno, piece)
                chunks[-1][0] = chunks[-1][0] + " " + piece
                continue
            chunks.append([piece, lineno])

    statements: list[Statement] = []
    defined: list[tuple[str, str, int]] = []
    for text, lineno in chunks:
        m = _OPS.search(text)
        op = m.group(0)
        lhs_txt, rhs_txt = text[: m.start()].strip(), text[m.end() :].strip()
        if op == "~*~":
            raise ModelSyntaxError(
                "operator '~*~' (scale factors) is not supported; scale factors of "
                "ordered items are fixed at 1 (delta parameterisation)",
                lineno,
                op,
            )

        if not lhs_txt:
            raise ModelSyntaxError("missing left-hand side", lineno, op)
        if not rhs_txt:
            raise ModelSyntaxError("missing right-hand side", lineno, op)
        if op == ":=":
            if not _IDENT.match(lhs_txt):
                raise ModelSyntaxError("bad name for a defined parameter", lineno, lhs_txt)
            defined.append((lhs_txt, rhs_txt.replace(" ", ""), lineno))
            continue
        if op in ("==", "<", ">"):
            statements.append(Statement(lhs_txt.replace(" ", ""), op, rhs_txt.replace(" ", ""), lineno))
            continue
        if _OPS.search(_QUOTED.sub("", rhs_txt)):
            raise ModelSyntaxError(
                "more than one operator in a statement", lineno, _OPS.search(_QUOTED.sub("", rhs_txt)).group(0)
            )
        lhs_list = _split_plus(lhs_txt)
        for lv in lhs_list:
            if not _IDENT.match(lv):
                raise ModelSyntaxError("bad variable name", lineno, lv)
        for term in _split_plus(rhs_txt):
            if not term:
                raise ModelSyntaxError("empty term (two '+' in a row or trailing '+')", lineno, rhs_txt)
            pieces = _split_star(term)
            var = pieces[-1]
            mod = _Mod()
            for p in pieces[:-1]:
                _parse_modifier(mod, p, lineno)
            if var == "1" and op == "~":
                for lv in lhs_list:
                    statements.append(Statement(lv, "~1", "", lineno, mod))
                continue
            if op == "~" and _INTERACTION.match(var):
                pass  # observed interaction term: the product column is made from the data
            elif ":" in var and _INTERACTION.match(var):
                raise ModelSyntaxError(
                    f"an interaction term ({var}) can only be a predictor in a regression ('~'); "
                    "for a latent interaction, build product indicators first",
                    lineno,
                    var,
                )
            elif not _IDENT.match(var):
                raise ModelSyntaxError("bad variable name", lineno, var)
            for lv in lhs_list:
                statements.append(Statement(lv, op, var, lineno, mod))
    return statements, defined


def _uniq(seq: Iterable[str]) -> list[str]:
    out, seen = [], set()
    for s in seq:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


@dataclass
class ParTable:
    """A parsed model: the parameter table plus variable lists.

    Attributes
    ----------
    partable : pandas.DataFrame
        One row per parameter: id, lhs, op, rhs, user, group, free (1-based
        index into the free-parameter vector; 0 = fixed; rows sharing a value
        share the index), ustart, start, label, plabel, exo, line.
    ov_names, lv_names : list of str
        Observed and latent variables in lavaan's order.
    ov_x : list of str
        Exogenous observed covariates whose moments are fixed at sample values
        (``fixed_x=True``).
    ov_x_random : list of str
        Exogenous observed covariates with free moments (``fixed_x=False``); lavaan's baseline
        model keeps their covariances.
    ngroups : int
    meanstructure : bool
    defined : list of (name, Expression)
    nfree : int
    constraints : list of Constraint
        General ``==``/``<``/``>`` constraints (an ``==`` between two plain labels is applied by
        sharing the parameter instead and is not listed).
    """

    partable: pd.DataFrame
    ov_names: list
    lv_names: list
    ov_x: list
    ngroups: int
    meanstructure: bool
    defined: list
    nfree: int
    var_lines: dict
    group_equal: tuple = ()
    constraints: list = field(default_factory=list)
    ov_x_random: list = field(default_factory=list)

    @property
    def ov_nox(self) -> list:
        return [v for v in self.ov_names if v not in self.ov_x]


def _check_ordered(stmts, ordered, ov_names):
    """Threshold statements and user rows that the delta parameterisation does not allow."""
    for s in stmts:
        if s.op == "|":
            if s.lhs not in ov_names:
                raise ModelSyntaxError(
                    "thresholds ('|') given for a variable that is not an observed variable of the model", s.line, s.lhs
                )
            if s.lhs not in ordered:
                raise ModelSyntaxError(
                    f"thresholds ('|') need {s.lhs!r} to be an ordered item (estimator='WLSMV' with ordered=...)",
                    s.line,
                    f"{s.lhs} | {s.rhs}",
                )
            n = ordered[s.lhs]
            m = re.match(r"^t(\d+)$", s.rhs)
            if n is None and m and int(m.group(1)) >= 1:
                continue
            if not m or n is None or not 1 <= int(m.group(1)) <= n:
                if n is None:
                    raise ModelSyntaxError("thresholds are named t1, t2, ...", s.line, f"{s.lhs} | {s.rhs}")
                raise ModelSyntaxError(
                    f"{s.lhs!r} has {n + 1} observed answer categories, so its thresholds are t1 to t{n}",
                    s.line,
                    f"{s.lhs} | {s.rhs}",
                )
        elif s.lhs in ordered and ((s.op == "~~" and s.rhs == s.lhs) or s.op == "~1"):
            what = "residual variance" if s.op == "~~" else "intercept"
            raise ModelSyntaxError(
                f"the {what} of the ordered item {s.lhs!r} is not a free parameter with "
                "WLSMV (delta parameterisation: intercepts are 0 and residual variances "
                "are 1 minus the explained variance); remove this statement",
                s.line,
                f"{s.lhs} {s.op} {s.rhs}".strip(),
            )


def _modval(tup, g):
    if tup is None:
        return None
    if len(tup) == 1:
        return tup[0]
    if g >= len(tup):
        raise ModelSyntaxError(f"modifier vector has {len(tup)} elements but there are more groups")
    return tup[g]


def parse_model(
    model: str,
    *,
    ngroups: int = 1,
    group_equal: Sequence[str] = (),
    kind: str = "sem",
    auto_cov_y: bool = True,
    meanstructure: bool | None = None,
    fixed_x: bool = True,
    missing: str = "listwise",
    ordered: Mapping[str, int] | None = None,
    std_lv: bool = False,
    orthogonal: bool = False,
    group_partial: Sequence[str] = (),
) -> ParTable:
    """Parse lavaan syntax and apply ``sem()``/``cfa()`` defaults.

    Parameters
    ----------
    model : str
        lavaan model syntax.
    ngroups : int
        Number of groups (blocks).
    group_equal : sequence of str
        Any of ``GROUP_EQUAL_CHOICES``; parameters of these kinds are held
        equal across groups (by sharing a free-parameter index).
    kind : {"sem", "cfa", "growth"}
        ``"sem"`` and ``"cfa"`` apply the same defaults (as in lavaan); ``"growth"`` is lavaan's
        ``growth()``: a mean structure, observed intercepts fixed at 0 and latent means free.
    auto_cov_y : bool
        Let residuals of purely dependent variables covary (lavaan default).
    meanstructure : bool or None
        ``None`` = lavaan's default (True with several groups, FIML, or
        intercepts in the syntax).
    fixed_x : bool
        Treat exogenous observed covariates as fixed (lavaan default).
    missing : str
        Only used for the meanstructure default.
    ordered : mapping of str to int, optional
        Ordered (ordinal) observed variables and their number of thresholds
        (answer categories - 1), for WLSMV; ``None`` as a count means "not known
        yet" (no default thresholds, any ``t<k>`` accepted). Adds lavaan's delta-parameterisation
        defaults for them (see the module notes) and allows ``|`` statements.
        Keys that are not observed variables of the model are ignored.
    std_lv : bool
        lavaan's ``std.lv``: latent variances (residual variances of endogenous latent
        variables) fixed at 1 and every loading free, instead of the first loading fixed at 1.
        With groups and equal loadings the latent variances of later groups are free.
    orthogonal : bool
        lavaan's ``orthogonal``: the default covariances between latent variables are fixed at
        0 (covariances written in the syntax stay free).
    group_partial : sequence of str
        Parameters exempt from ``group_equal``, written as lavaan does (``"visual=~x2"``,
        ``"x7~1"``, ``"x1~~x1"``).

    Returns
    -------
    ParTable

    Raises
    ------
    ModelSyntaxError
        With the line number and the offending token.

    Notes
    -----
    The steps of lavaan's ``lavParTable``: the statements (:func:`parse_statements`), the variable
    lists (``lav_partable_vnames``), one block of user rows plus the defaults (``lav_partable_flat``),
    the block replicated over the groups with each row free or fixed, the free-parameter indices
    shared by labels, ``group_equal`` and ``==`` (``lav_partable_labels``), then the defined
    parameters and the general constraints.
    """
    if kind not in ("sem", "cfa", "growth"):
        raise ModelSyntaxError(f"kind must be 'sem', 'cfa' or 'growth', not {kind!r}")
    group_equal = tuple(group_equal or ())
    for ge in group_equal:
        if ge not in GROUP_EQUAL_CHOICES:
            raise ModelSyntaxError(f"unknown group_equal entry {ge!r}; choose from {GROUP_EQUAL_CHOICES}")
    partial = _parse_group_partial(group_partial)
    growth = kind == "growth"
    stmts, defined_raw = parse_statements(model)
    stmts, eq_stmts, con_stmts = _split_constraints(stmts)
    v = _variables(stmts, fixed_x)
    ordered = {n: (None if k is None else int(k)) for n, k in (ordered or {}).items() if n in v.ov_names}
    _check_ordered(stmts, ordered, v.ov_names)
    if meanstructure is None or ordered or growth:  # lavaan: categorical data always have a mean structure
        meanstructure = ngroups > 1 or missing == "fiml" or any(s.op == "~1" for s in stmts) or bool(ordered) or growth
    rows = _block_rows(
        stmts,
        v,
        ordered,
        std_lv=std_lv,
        orthogonal=orthogonal,
        auto_cov_y=auto_cov_y,
        meanstructure=meanstructure,
        growth=growth,
    )
    out = _group_rows(rows, v.lv_set, ngroups, group_equal, std_lv)
    by_label, nfree = _free_indices(out, len(rows), ngroups, group_equal, partial, eq_stmts)
    known = set(by_label) | {r["plabel"] for r in out}
    defined = _defined_parameters(out, defined_raw, known)
    constraints = _general_constraints(out, con_stmts, by_label, known)
    pt = pd.DataFrame(out)
    pt = pt[["id", "lhs", "op", "rhs", "user", "group", "free", "ustart", "start", "exo", "label", "plabel", "line"]]
    return ParTable(
        partable=pt,
        ov_names=v.ov_names,
        lv_names=v.lv_names,
        ov_x=v.ov_x,
        ngroups=ngroups,
        meanstructure=bool(meanstructure),
        defined=defined,
        nfree=nfree,
        var_lines=v.var_lines,
        group_equal=group_equal,
        constraints=constraints,
        ov_x_random=list(v.ov_x_random),
    )


def _split_constraints(stmts):
    """Split off the constraints: (parameter statements, ``==`` between two plain labels - applied by
    sharing the parameter -, general ``==``/``<``/``>`` constraints)."""
    con_stmts = [s for s in stmts if s.op in ("==", "<", ">")]
    stmts = [s for s in stmts if s.op not in ("==", "<", ">")]
    eq_stmts = [s for s in con_stmts if s.op == "==" and _IDENT.match(s.lhs) and _IDENT.match(s.rhs)]
    con_stmts = [s for s in con_stmts if s not in eq_stmts]
    return stmts, eq_stmts, con_stmts


@dataclass
class _Variables:
    """The variable lists of a model, as lavaan's ``lav_partable_vnames`` names them."""

    var_lines: dict
    lv_names: list
    lv_set: set
    lv_formative: set
    v_ind: list
    ov_names: list
    ov_x: list
    ov_nox: list
    ov_x_random: list
    lv_x: list
    lvov_y: list


def _variables(stmts, fixed_x) -> _Variables:
    """Observed and latent variables in lavaan's order, the exogenous covariates, and the line
    where each variable first appears; refuses a variable that is its own indicator or predictor."""
    var_lines: dict[str, int] = {}
    for s in stmts:
        var_lines.setdefault(s.lhs, s.line)
        if s.rhs and s.op != "|":
            var_lines.setdefault(s.rhs, s.line)

    # latent variables: measured ('=~') and formative composites ('<~', lavaan's lv.formative,
    # whose residual variance is fixed at 0 and whose predictors are exogenous covariates)
    lv_names = _uniq(s.lhs for s in stmts if s.op in ("=~", "<~"))
    lv_set = set(lv_names)
    lv_formative = set(_uniq(s.lhs for s in stmts if s.op == "<~"))
    for s_ in stmts:
        if s_.op == "<~" and s_.rhs in lv_set:
            raise ModelSyntaxError(
                f"a formative composite ('<~') is formed from observed variables here; {s_.rhs!r} is latent",
                s_.line,
                f"{s_.lhs} <~ {s_.rhs}",
            )
    v_ind = _uniq(s.rhs for s in stmts if s.op == "=~")
    eqs_y = _uniq(s.lhs for s in stmts if s.op == "~")
    eqs_x = _uniq(s.rhs for s in stmts if s.op in ("~", "<~"))
    ov_ind = [v for v in v_ind if v not in lv_set]
    ov_y_dep = [v for v in eqs_y if v not in lv_set and v not in ov_ind]
    ov_x = [v for v in eqs_x if v not in lv_set and v not in ov_ind and v not in ov_y_dep]
    ov_cov = []
    for s in stmts:
        if s.op == "~~":
            for v in (s.lhs, s.rhs):
                if v not in lv_set:
                    ov_cov.append(v)
    ov_int = [s.lhs for s in stmts if s.op == "~1" and s.lhs not in lv_set]
    ov_tmp = _uniq(ov_ind + ov_y_dep + ov_x)
    ov_names = ov_tmp + [v for v in _uniq(ov_cov + ov_int) if v not in ov_tmp]
    # lavaan: a covariate with a user-written (co)variance or intercept is not exogenous
    mentioned = {s.lhs for s in stmts if s.op in ("~~", "~1")} | {s.rhs for s in stmts if s.op == "~~"}
    ov_x = [v for v in ov_x if v not in mentioned]
    ov_nox = [v for v in ov_names if v not in ov_x]
    # fixed.x = FALSE: the covariates keep their own block of (now free) variances, covariances
    # and means, in lavaan's order; only the fixed ones are 'ov_x' of the spec
    ov_x_random = [] if fixed_x else ov_x
    if not fixed_x:
        ov_x = []
    lv_x = [v for v in lv_names if v not in v_ind and v not in eqs_y]
    lv_y = [v for v in lv_names if v in eqs_y and v not in v_ind and v not in eqs_x]
    ov_y = [v for v in ov_names if v in eqs_y and v not in v_ind and v not in eqs_x and v not in lv_set]
    for s in stmts:
        if s.op == "=~" and s.lhs == s.rhs:
            raise ModelSyntaxError("a latent variable cannot be its own indicator", s.line, s.lhs)
        if s.op == "~" and s.lhs == s.rhs:
            raise ModelSyntaxError("a variable cannot be regressed on itself", s.line, s.lhs)
    return _Variables(
        var_lines=var_lines,
        lv_names=lv_names,
        lv_set=lv_set,
        lv_formative=lv_formative,
        v_ind=v_ind,
        ov_names=ov_names,
        ov_x=ov_x,
        ov_nox=ov_nox,
        ov_x_random=ov_x_random,
        lv_x=lv_x,
        lvov_y=lv_y + ov_y,
    )


def _single_indicators(stmts, lv_set) -> set:
    """lavaan's auto.fix.single: the only indicator of a latent variable (an indicator of nothing
    else), whose residual variance is fixed at 0."""
    n_ind: dict[str, int] = {}
    for s_ in stmts:
        if s_.op == "=~":
            n_ind[s_.lhs] = n_ind.get(s_.lhs, 0) + 1
    ind_count: dict[str, int] = {}
    for s_ in stmts:
        if s_.op == "=~":
            ind_count[s_.rhs] = ind_count.get(s_.rhs, 0) + 1
    return {
        s_.rhs
        for s_ in stmts
        if s_.op == "=~" and n_ind[s_.lhs] == 1 and s_.lhs != s_.rhs and ind_count[s_.rhs] == 1 and s_.rhs not in lv_set
    }


def _block_rows(stmts, v, ordered, *, std_lv, orthogonal, auto_cov_y, meanstructure, growth) -> list[dict]:
    """One block of the parameter table (lavaan's ``lav_partable_flat``): the user's rows, then the
    default (residual) variances, covariances, thresholds, scale factors and intercepts.

    Each row: lhs, op, rhs, user, mod (the modifiers), auto_fix (the first loading, fixed at 1),
    exo, line and default_fixed (the value of a row fixed by default, None when free).
    """
    lv_set = v.lv_set
    single_ind = _single_indicators(stmts, lv_set)
    rows: list[dict] = []
    seen: dict[tuple, int] = {}

    def key_of(lhs, op, rhs):
        if op == "~~":
            return (op,) + tuple(sorted((lhs, rhs)))
        return (lhs, op, rhs)

    first_ind: dict[str, str] = {}
    for s in stmts:
        if s.op == "=~":
            first_ind.setdefault(s.lhs, s.rhs)
    for s in stmts:
        k = key_of(s.lhs, s.op, s.rhs)
        if k in seen:
            raise ModelSyntaxError("parameter specified twice", s.line, f"{s.lhs} {s.op} {s.rhs}".strip())
        seen[k] = len(rows)
        mod = s.mod
        auto_fix = s.op == "=~" and first_ind[s.lhs] == s.rhs and mod.fixed is None and not mod.free and not std_lv
        std_var = 1.0 if (std_lv and s.op == "~~" and s.lhs == s.rhs and s.lhs in lv_set) else None
        rows.append(
            dict(
                lhs=s.lhs,
                op=s.op,
                rhs=s.rhs,
                user=1,
                mod=mod,
                auto_fix=auto_fix,
                exo=0,
                line=s.line,
                default_fixed=std_var,
            )
        )

    def add_default(lhs, op, rhs, fixed_value=None, exo=0):
        k = key_of(lhs, op, rhs)
        if k in seen:
            return
        seen[k] = len(rows)
        rows.append(
            dict(
                lhs=lhs,
                op=op,
                rhs=rhs,
                user=0,
                mod=_Mod(),
                auto_fix=False,
                exo=exo,
                line=None,
                default_fixed=fixed_value,
            )
        )

    ov_names, ov_x, ov_x_random, lv_x, lvov_y = v.ov_names, v.ov_x, v.ov_x_random, v.lv_x, v.lvov_y
    for n in ov_names:
        for k in range(ordered.get(n) or 0):
            add_default(n, "|", f"t{k + 1}")
    for n in v.ov_nox + v.lv_names:
        if n in ov_x_random:
            continue
        # residual variances of ordered items follow from the other parameters (delta)
        fixed_var = np.nan if n in ordered else (0.0 if n in single_ind else None)
        if std_lv and n in lv_set:
            fixed_var = 1.0
        if n in v.lv_formative:
            fixed_var = 0.0
        add_default(n, "~~", n, fixed_value=fixed_var)
    lv_cov_fixed = 0.0 if orthogonal else None
    if len(lv_x) > 1:
        for i in range(len(lv_x)):
            for j in range(i + 1, len(lv_x)):
                add_default(lv_x[i], "~~", lv_x[j], fixed_value=lv_cov_fixed)
    if auto_cov_y and len(lvov_y) > 1:
        for i in range(len(lvov_y)):
            for j in range(i + 1, len(lvov_y)):
                both_lv = lvov_y[i] in lv_set and lvov_y[j] in lv_set
                add_default(lvov_y[i], "~~", lvov_y[j], fixed_value=lv_cov_fixed if both_lv else None)
    for j in range(len(ov_x)):
        for i in range(j, len(ov_x)):
            add_default(ov_x[j], "~~", ov_x[i], fixed_value=np.nan, exo=1)
    for j in range(len(ov_x_random)):
        for i in range(j, len(ov_x_random)):
            add_default(ov_x_random[j], "~~", ov_x_random[i])
    for n in ov_names:
        if n in ordered:
            add_default(n, "~*~", n, fixed_value=1.0)
    if meanstructure:
        for n in ov_names:
            if n in ov_x:
                add_default(n, "~1", "", fixed_value=np.nan, exo=1)
            else:
                add_default(n, "~1", "", fixed_value=0.0 if (n in ordered or growth) else None)
        for n in v.lv_names:
            add_default(n, "~1", "", fixed_value=None if growth else 0.0)
    return rows


def _category(r, lv_set):
    """The ``group_equal`` kind of a row ("loadings", "intercepts", ...; None for none)."""
    op, lhs, rhs = r["op"], r["lhs"], r["rhs"]
    if op == "=~":
        return "loadings"
    if op == "|":
        return "thresholds"
    if op in ("~", "<~"):
        return "regressions" if op == "~" else "composite.loadings"
    if op == "~1":
        return "means" if lhs in lv_set else "intercepts"
    if op == "~~":
        both_lv = lhs in lv_set and rhs in lv_set
        if lhs == rhs:
            return "lv.variances" if lhs in lv_set else "residuals"
        if both_lv:
            return "lv.covariances"
        if lhs not in lv_set and rhs not in lv_set:
            return "residual.covariances"
    return None


def _group_rows(rows, lv_set, ngroups, group_equal, std_lv) -> list[dict]:
    """The block replicated over the groups, each row free or fixed (``is_free``, ``ustart``) by
    its modifiers and lavaan's defaults, with its id, plabel and ``group_equal`` category."""
    out = []
    for g in range(ngroups):
        for r in rows:
            mod: _Mod = r["mod"]
            fixed = _modval(mod.fixed, g)
            label = _modval(mod.label, g) or ""
            start = _modval(mod.start, g)
            if fixed is not None:
                free, ustart = False, fixed
            elif mod.free:
                free, ustart = True, np.nan
            elif r["auto_fix"]:
                free, ustart = False, 1.0
            elif r["default_fixed"] is not None:
                free, ustart = False, r["default_fixed"]
            else:
                free, ustart = True, np.nan
            # lavaan frees latent means in later groups when intercepts (or thresholds) are equal
            if (
                r["op"] == "~1"
                and r["lhs"] in lv_set
                and r["user"] == 0
                and g > 0
                and ("intercepts" in group_equal or "thresholds" in group_equal)
                and "means" not in group_equal
            ):
                free, ustart = True, np.nan
            # ... and, delta parameterisation, the scale factors when thresholds are equal
            if r["op"] == "~*~" and r["user"] == 0 and g > 0 and "thresholds" in group_equal:
                free, ustart = True, np.nan
            # ... and, with std.lv, latent variances in later groups when loadings are equal
            if (
                std_lv
                and r["op"] == "~~"
                and r["lhs"] == r["rhs"]
                and r["lhs"] in lv_set
                and r["user"] == 0
                and g > 0
                and "loadings" in group_equal
                and "lv.variances" not in group_equal
            ):
                free, ustart = True, np.nan
            out.append(
                dict(
                    lhs=r["lhs"],
                    op=r["op"],
                    rhs=r["rhs"],
                    user=r["user"],
                    group=g + 1,
                    is_free=free,
                    ustart=ustart,
                    start=np.nan if start is None else start,
                    label=label,
                    exo=r["exo"],
                    line=r["line"],
                    cat=_category(r, lv_set),
                )
            )
    for i, r in enumerate(out):
        r["id"] = i + 1
        r["plabel"] = f".p{i + 1}."
    return out


def _free_indices(out, nrow, ngroups, group_equal, partial, eq_stmts):
    """Number the free parameters (``free``, 1-based; 0 = fixed): rows sharing a label, held equal by
    ``group_equal`` (unless in ``partial``), by ``equal("...")`` or by ``a == b`` share one index.

    Changes ``out`` in place; returns (rows by label, number of free parameters).
    """
    parent = list(range(len(out)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i, j):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    equal_refs = []  # equal("lhs op rhs"): (row, referenced row)
    row_of = {(r["group"], _partial_key(r["lhs"], r["op"], r["rhs"])): i for i, r in enumerate(out)}
    for i, r in enumerate(out):
        if r["label"].startswith(_EQUAL_REF):
            ref_txt = r["label"][len(_EQUAL_REF) :]
            r["label"] = ""
            m = re.match(r"^([A-Za-z_.][A-Za-z0-9_.:]*)(=~|~~|~)(.+)$", ref_txt)
            key = None
            if m:
                lhs_, op_, rhs_ = m.groups()
                key = (lhs_, "~1", "") if (op_ == "~" and rhs_ == "1") else _partial_key(lhs_, op_, rhs_)
            j = row_of.get((r["group"], key))
            if j is None:
                raise ModelSyntaxError("equal() names a parameter that is not in the model", r["line"], ref_txt)
            equal_refs.append((i, j))
    by_label: dict[str, list[int]] = {}
    for i, r in enumerate(out):
        if r["label"]:
            by_label.setdefault(r["label"], []).append(i)
    for _lab, idx in by_label.items():
        frees = [i for i in idx if out[i]["is_free"]]
        fixeds = [i for i in idx if not out[i]["is_free"]]
        if frees and fixeds:
            # a label shared by a fixed and a free cell: fix them all to the fixed value
            val = out[fixeds[0]]["ustart"]
            for i in frees:
                out[i]["is_free"], out[i]["ustart"] = False, val
            frees = []
        for i in frees[1:]:
            union(frees[0], i)
    if ngroups > 1 and group_equal:
        for g in range(1, ngroups):
            for t in range(nrow):
                r1, rg = out[t], out[g * nrow + t]
                if (
                    rg["cat"] in group_equal
                    and r1["is_free"]
                    and rg["is_free"]
                    and not rg["label"]
                    and _partial_key(rg["lhs"], rg["op"], rg["rhs"]) not in partial
                ):
                    union(t, g * nrow + t)
                    rg["label"] = r1["label"] or r1["plabel"]
                    if not r1["label"]:
                        r1["label"] = r1["plabel"]
    for i, j in equal_refs:
        if out[i]["is_free"] and out[j]["is_free"]:
            union(i, j)
        elif out[i]["is_free"]:
            out[i]["is_free"], out[i]["ustart"] = False, out[j]["ustart"]
    for s in eq_stmts:
        for side in (s.lhs, s.rhs):
            if side not in by_label:
                raise ModelSyntaxError("unknown label in '==' constraint", s.line, side)
        a, b = by_label[s.lhs][0], by_label[s.rhs][0]
        if not (out[a]["is_free"] and out[b]["is_free"]):
            raise ModelSyntaxError("'==' constraint involves a fixed parameter", s.line, f"{s.lhs} == {s.rhs}")
        union(a, b)
    free_idx: dict[int, int] = {}
    for i, r in enumerate(out):
        if r["is_free"]:
            root = find(i)
            if root not in free_idx:
                free_idx[root] = len(free_idx) + 1
            r["free"] = free_idx[root]
        else:
            r["free"] = 0
    return by_label, len(free_idx)


def _defined_parameters(out, defined_raw, known) -> list[tuple[str, Expression]]:
    """The ``:=`` parameters as (name, expression); appends their rows to ``out`` and their names
    to ``known`` (the labels an expression may use)."""
    defined: list[tuple[str, Expression]] = []
    for name, text, line in defined_raw:
        ex = parse_expression(text, line)
        missing_names = [n for n in ex.names if n not in known]
        if missing_names:
            raise ModelSyntaxError("unknown label in defined parameter", line, missing_names[0])
        if name in known:
            raise ModelSyntaxError("defined parameter name is already a label", line, name)
        known.add(name)
        defined.append((name, ex))
        out.append(
            dict(
                id=len(out) + 1,
                lhs=name,
                op=":=",
                rhs=text,
                user=1,
                group=0,
                is_free=False,
                ustart=np.nan,
                start=np.nan,
                label=name,
                exo=0,
                line=line,
                cat=None,
                plabel="",
                free=0,
            )
        )
    return defined


def _general_constraints(out, con_stmts, by_label, known) -> list[Constraint]:
    """The general (nonlinear) equality and inequality constraints on known, free labels."""
    constraints = []
    for s_ in con_stmts:
        lhs_ex, rhs_ex = parse_expression(s_.lhs, s_.line), parse_expression(s_.rhs, s_.line)
        for nm in sorted(lhs_ex.names | rhs_ex.names):
            if nm not in known:
                raise ModelSyntaxError(f"unknown label in '{s_.op}' constraint", s_.line, nm)
            if nm in by_label and not any(out[i]["is_free"] for i in by_label[nm]):
                raise ModelSyntaxError(f"'{s_.op}' constraint involves a fixed parameter", s_.line, nm)
        constraints.append(Constraint(lhs_ex, s_.op, rhs_ex, s_.line))
    return constraints


def _partial_key(lhs: str, op: str, rhs: str) -> tuple:
    if op == "~~":
        return (op,) + tuple(sorted((lhs, rhs)))
    return (lhs, op, rhs)


def _parse_group_partial(group_partial) -> set:
    """``("visual=~x2", "x7~1")`` -> a set of parameter keys (``~~`` in either order)."""
    if isinstance(group_partial, str):
        group_partial = [group_partial]
    keys = set()
    for item in group_partial or ():
        text = str(item).replace(" ", "")
        m = re.match(r"^([A-Za-z_.][A-Za-z0-9_.:]*)(=~|~~|~|\|)(.+)$", text)
        if not m:
            raise ModelSyntaxError(
                f"cannot read the group_partial entry {item!r}; write it like 'visual=~x2', 'x7~1' or 'x1~~x1'"
            )
        lhs, op, rhs = m.groups()
        if op == "~" and rhs == "1":
            keys.add((lhs, "~1", ""))
        else:
            keys.add(_partial_key(lhs, op, rhs))
    return keys


@dataclass
class Constraint:
    """A general constraint ``lhs op rhs`` on labelled parameters (``op`` is ``==``, ``<`` or ``>``).

    ``value(labels)`` is ``lhs - rhs`` for ``==`` and ``>`` and ``rhs - lhs`` for ``<``, so the
    constraint holds when it is 0 (``==``) or >= 0 (``<``, ``>``), lavaan's convention.
    """

    lhs: Expression
    op: str
    rhs: Expression
    line: int

    @property
    def text(self) -> str:
        return f"{self.lhs.text} {self.op} {self.rhs.text}"

    @property
    def names(self) -> set:
        return self.lhs.names | self.rhs.names

    def value(self, labels) -> float:
        d = self.lhs.evaluate(labels) - self.rhs.evaluate(labels)
        return -d if self.op == "<" else d


@functools.lru_cache(maxsize=64)
def _parse_cached(model, ngroups, group_equal, kind, auto_cov_y, meanstructure, fixed_x, missing, ordered, extra=()):
    return parse_model(
        model,
        ngroups=ngroups,
        group_equal=group_equal,
        kind=kind,
        auto_cov_y=auto_cov_y,
        meanstructure=meanstructure,
        fixed_x=fixed_x,
        missing=missing,
        ordered=None if ordered is None else dict(ordered),
        **dict(extra),
    )


def parse_model_cached(
    model: str,
    *,
    ngroups: int = 1,
    group_equal: Sequence[str] = (),
    kind: str = "sem",
    auto_cov_y: bool = True,
    meanstructure: bool | None = None,
    fixed_x: bool = True,
    missing: str = "listwise",
    ordered: Mapping[str, int] | None = None,
    std_lv: bool = False,
    orthogonal: bool = False,
    group_partial: Sequence[str] = (),
) -> ParTable:
    """:func:`parse_model` with a cache: repeated fits of one model (bootstrap refits) parse it once.

    Returns a fresh :class:`ParTable` each call (own copies of the parameter table and the
    lists), so a caller that changes one cannot change the next. Errors are not cached.
    """
    if isinstance(model, str) and (ordered is None or isinstance(ordered, Mapping)):
        try:
            key_ordered = None if ordered is None else tuple(ordered.items())
            extra = tuple(
                (k, v)
                for k, v in (
                    ("std_lv", bool(std_lv)),
                    ("orthogonal", bool(orthogonal)),
                    (
                        "group_partial",
                        tuple([group_partial] if isinstance(group_partial, str) else group_partial or ()),
                    ),
                )
                if v
            )
            spec = _parse_cached(
                model,
                int(ngroups),
                tuple(group_equal),
                kind,
                bool(auto_cov_y),
                meanstructure,
                bool(fixed_x),
                missing,
                key_ordered,
                extra,
            )
        except TypeError:  # unhashable argument: parse without the cache
            spec = None
        if spec is not None:
            return dataclasses.replace(
                spec,
                partable=spec.partable.copy(),
                ov_names=list(spec.ov_names),
                lv_names=list(spec.lv_names),
                ov_x=list(spec.ov_x),
                defined=list(spec.defined),
                var_lines=dict(spec.var_lines),
                constraints=list(spec.constraints),
                ov_x_random=list(spec.ov_x_random),
            )
    return parse_model(
        model,
        ngroups=ngroups,
        group_equal=group_equal,
        kind=kind,
        auto_cov_y=auto_cov_y,
        meanstructure=meanstructure,
        fixed_x=fixed_x,
        missing=missing,
        ordered=ordered,
        std_lv=std_lv,
        orthogonal=orthogonal,
        group_partial=group_partial,
    )
