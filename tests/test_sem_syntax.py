"""Model syntax parsing and lavaan's default parameter table."""

from __future__ import annotations

import pytest

from validate.sem import ModelSyntaxError, parse_model

HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _rows(pt, op=None):
    sub = pt if op is None else pt[pt["op"] == op]
    return [(r.lhs, r.op, r.rhs) for r in sub.itertuples()]


def test_cfa_defaults_match_lavaan():
    spec = parse_model(HS)
    pt = spec.partable
    assert spec.nfree == 21 and len(pt) == 24
    first = pt[(pt["op"] == "=~") & (pt["rhs"].isin(["x1", "x4", "x7"]))]
    assert (first["free"] == 0).all() and (first["ustart"] == 1).all()
    assert _rows(pt, "~~")[-3:] == [("visual", "~~", "textual"), ("visual", "~~", "speed"),
                                    ("textual", "~~", "speed")]
    assert not spec.meanstructure


def test_modifiers_labels_and_separators():
    spec = parse_model("f =~ NA*x1 + a*x2 + 0.5*x3 ; f ~~ 1*f  # comment\n y ~ b*f + start(0.2)*x4\n"
                       "z ~ b*x4\n d := a*b - 1")
    pt = spec.partable
    row = lambda l, o, r: pt[(pt.lhs == l) & (pt.op == o) & (pt.rhs == r)].iloc[0]
    assert row("f", "=~", "x1")["free"] > 0
    assert row("f", "=~", "x3")["free"] == 0 and row("f", "=~", "x3")["ustart"] == 0.5
    assert row("f", "~~", "f")["free"] == 0
    assert row("y", "~", "f")["free"] == row("z", "~", "x4")["free"]  # shared label b
    assert row("y", "~", "x4")["start"] == 0.2
    assert spec.ov_x == ["x4"]  # fixed.x covariate
    assert row("x4", "~~", "x4")["exo"] == 1 and row("x4", "~~", "x4")["free"] == 0
    assert row("d", ":=", "a*b-1")["label"] == "d"


def test_auto_cov_y_switch():
    m = "f1 =~ x1 + x2 + x3\nf2 =~ x4 + x5 + x6\nf3 =~ x7 + x8 + x9\nf2 ~ f1\nf3 ~ f1"
    on = _rows(parse_model(m).partable, "~~")
    off = _rows(parse_model(m, auto_cov_y=False).partable, "~~")
    assert ("f2", "~~", "f3") in on and ("f2", "~~", "f3") not in off


def test_group_equal_shares_parameters():
    spec = parse_model(HS, ngroups=2, group_equal=("loadings", "intercepts"))
    pt = spec.partable
    l1 = pt[(pt.group == 1) & (pt.op == "=~")]["free"].tolist()
    l2 = pt[(pt.group == 2) & (pt.op == "=~")]["free"].tolist()
    assert l1 == l2
    means2 = pt[(pt.group == 2) & (pt.op == "~1") & (pt.lhs == "visual")]
    assert means2["free"].iloc[0] > 0  # latent means freed in group 2
    assert spec.nfree == 48 and spec.meanstructure


@pytest.mark.parametrize("text,line,token", [
    ("visual =~ x1 + x2 +\n", 1, "x1 + x2 +"),
    ("visual =~ x1 + x2\ntextual =~ x4 + x5@", 2, "x5@"),
    ("f =~ x1 + x2\nf ~~ ", 2, "~~"),
    ("f =~ x1 + x2\ng <~ x3", 2, "<~"),
    ("f =~ x1 + x2\nf =~ x1", 2, "f =~ x1"),
    ("f =~ a*x1 + x2\nd := a * zz", 2, "zz"),
    ("just words", 1, "just words"),
])
def test_syntax_errors_name_line_and_token(text, line, token):
    with pytest.raises(ModelSyntaxError) as ei:
        parse_model(text)
    assert ei.value.line == line
    assert ei.value.token == token
    assert f"line {line}" in str(ei.value) and token in str(ei.value)
    assert isinstance(ei.value, ValueError)
