"""A small, safe arithmetic-expression evaluator for ``:=`` defined parameters.

Supports numbers, parameter labels, ``+ - * / ^`` (``**`` too), unary minus,
parentheses and a few functions (``sqrt``, ``exp``, ``log``, ``abs``).  Nothing
is passed to :func:`eval`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

from .errors import ModelSyntaxError

__all__ = ["Expression", "parse_expression"]

_TOKEN = re.compile(
    r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|([A-Za-z_.][A-Za-z0-9_.]*)|(\*\*|[-+*/^(),]))"
)
_FUNCS: dict[str, Callable[[float], float]] = {
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "abs": abs,
}


def _tokenize(text: str, line: int | None):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ModelSyntaxError("unexpected character in expression", line, text[pos:].strip()[:10])
        if m.group(1) is not None:
            out.append(("num", float(m.group(1))))
        elif m.group(2) is not None:
            out.append(("name", m.group(2)))
        else:
            out.append(("op", "^" if m.group(3) == "**" else m.group(3)))
        pos = m.end()
    return out


class Expression:
    """A parsed expression; call :meth:`evaluate` with a name -> value mapping.

    Attributes
    ----------
    text : str
        The source text.
    names : set of str
        Labels the expression refers to.
    """

    def __init__(self, text: str, tree, names: set[str]):
        self.text = text
        self._tree = tree
        self.names = names

    def evaluate(self, values: Mapping[str, float]) -> float:
        """Evaluate with ``values[label]`` for every label."""
        return float(_eval(self._tree, values))


def _eval(node, values):
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "name":
        return values[node[1]]
    if kind == "neg":
        return -_eval(node[1], values)
    if kind == "call":
        return _FUNCS[node[1]](_eval(node[2], values))
    a, b = _eval(node[1], values), _eval(node[2], values)
    op = node[0]
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b if b != 0 else float("nan")
    return a**b


def parse_expression(text: str, line: int | None = None) -> Expression:
    """Parse ``text`` into an :class:`Expression` (raises ModelSyntaxError)."""
    toks = _tokenize(text, line)
    pos = 0
    names: set[str] = set()

    def peek():
        return toks[pos] if pos < len(toks) else (None, None)

    def take():
        nonlocal pos
        t = peek()
        pos += 1
        return t

    def expr():
        node = term()
        while peek() in (("op", "+"), ("op", "-")):
            op = take()[1]
            node = (op, node, term())
        return node

    def term():
        node = unary()
        while peek() in (("op", "*"), ("op", "/")):
            op = take()[1]
            node = (op, node, unary())
        return node

    def unary():
        if peek() == ("op", "-"):
            take()
            return ("neg", unary())
        if peek() == ("op", "+"):
            take()
            return unary()
        return power()

    def power():
        base = atom()
        if peek() == ("op", "^"):
            take()
            return ("^", base, unary())
        return base

    def atom():
        kind, val = take()
        if kind == "num":
            return ("num", val)
        if kind == "name":
            if peek() == ("op", "("):
                if val not in _FUNCS:
                    raise ModelSyntaxError("unknown function in expression", line, val)
                take()
                inner = expr()
                if take() != ("op", ")"):
                    raise ModelSyntaxError("missing ')' in expression", line, text)
                return ("call", val, inner)
            names.add(val)
            return ("name", val)
        if (kind, val) == ("op", "("):
            inner = expr()
            if take() != ("op", ")"):
                raise ModelSyntaxError("missing ')' in expression", line, text)
            return inner
        raise ModelSyntaxError("unexpected token in expression", line, str(val) if val is not None else text)

    if not toks:
        raise ModelSyntaxError("empty expression", line, text)
    tree = expr()
    if pos != len(toks):
        raise ModelSyntaxError("unexpected token in expression", line, str(toks[pos][1]))
    return Expression(text, tree, names)
