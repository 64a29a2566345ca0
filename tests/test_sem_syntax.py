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
    assert _rows(pt, "~~")[-3:] == [("visual", "~~", "textual"), ("visual", "~~", "speed"), ("textual", "~~", "speed")]
    assert not spec.meanstructure


def test_modifiers_labels_and_separators():
    spec = parse_model(
        "f =~ NA*x1 + a*x2 + 0.5*x3 ; f ~~ 1*f  # comment\n y ~ b*f + start(0.2)*x4\nz ~ b*x4\n d := a*b - 1"
    )
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


@pytest.mark.parametrize(
    "text,line,token",
    [
        ("visual =~ x1 + x2 +\n", 1, "x1 + x2 +"),
        ("visual =~ x1 + x2\ntextual =~ x4 + x5@", 2, "x5@"),
        ("f =~ x1 + x2\nf ~~ ", 2, "~~"),
        ("f =~ x1 + x2\nx1 ~*~ x1", 2, "~*~"),
        ("f =~ x1 + x2\nf =~ x1", 2, "f =~ x1"),
        ("f =~ a*x1 + x2\nd := a * zz", 2, "zz"),
        ("just words", 1, "just words"),
    ],
)
def test_syntax_errors_name_line_and_token(text, line, token):
    with pytest.raises(ModelSyntaxError) as ei:
        parse_model(text)
    assert ei.value.line == line
    assert ei.value.token == token
    assert f"line {line}" in str(ei.value) and token in str(ei.value)
    assert isinstance(ei.value, ValueError)


# ---- lavaan options and syntax a researcher writes (issue 19) ---------------------------------
def _row(pt, lhs, op, rhs, group=1):
    sel = pt[(pt.lhs == lhs) & (pt.op == op) & (pt.rhs == rhs) & (pt.group == group)]
    assert len(sel) == 1, (lhs, op, rhs, group)
    return sel.iloc[0]


def test_fixed_x_false_frees_covariances_among_covariates():
    spec = parse_model("visual =~ x1 + x2 + x3\nvisual ~ sex + ageyr", fixed_x=False)
    pt = spec.partable
    assert spec.ov_x == [] and spec.ov_x_random == ["sex", "ageyr"]
    for lhs, rhs in (("sex", "sex"), ("sex", "ageyr"), ("ageyr", "ageyr")):
        assert _row(pt, lhs, "~~", rhs)["free"] > 0
    fixed = parse_model("visual =~ x1 + x2 + x3\nvisual ~ sex + ageyr")
    assert _row(fixed.partable, "sex", "~~", "ageyr")["free"] == 0 and fixed.ov_x == ["sex", "ageyr"]
    assert spec.nfree == fixed.nfree + 3


def test_std_lv_orthogonal_and_single_indicator():
    pt = parse_model(HS, std_lv=True).partable
    assert (pt[pt.op == "=~"]["free"] > 0).all()
    assert (pt[(pt.op == "~~") & (pt.lhs == pt.rhs) & pt.lhs.isin(["visual", "textual", "speed"])]["ustart"] == 1).all()
    pt = parse_model(HS, orthogonal=True).partable
    assert _row(pt, "visual", "~~", "textual")["free"] == 0
    pt = parse_model(HS + "\nvisual ~~ speed", orthogonal=True).partable
    assert _row(pt, "visual", "~~", "speed")["free"] > 0  # written in the syntax: stays free
    pt = parse_model("visual =~ x1 + x2 + x3\nf9 =~ x9\nf9 ~ visual").partable
    assert _row(pt, "x9", "~~", "x9")["free"] == 0 and _row(pt, "x9", "~~", "x9")["ustart"] == 0


def test_std_lv_with_equal_loadings_frees_later_group_variances():
    pt = parse_model(HS, ngroups=2, group_equal=["loadings"], std_lv=True).partable
    assert _row(pt, "visual", "~~", "visual", 1)["free"] == 0
    assert _row(pt, "visual", "~~", "visual", 2)["free"] > 0


def test_group_partial_exempts_parameters():
    spec = parse_model(HS, ngroups=2, group_equal=["loadings", "intercepts"], group_partial=["visual=~x2", "x7 ~ 1"])
    pt = spec.partable
    assert _row(pt, "visual", "=~", "x2", 1)["free"] != _row(pt, "visual", "=~", "x2", 2)["free"]
    assert _row(pt, "x7", "~1", "", 1)["free"] != _row(pt, "x7", "~1", "", 2)["free"]
    assert _row(pt, "visual", "=~", "x3", 1)["free"] == _row(pt, "visual", "=~", "x3", 2)["free"]
    with pytest.raises(ModelSyntaxError, match="cannot read the group_partial entry 'visual'"):
        parse_model(HS, ngroups=2, group_equal=["loadings"], group_partial=["visual"])


def test_growth_defaults():
    spec = parse_model("i =~ 1*t1 + 1*t2 + 1*t3\ns =~ 0*t1 + 1*t2 + 2*t3", kind="growth")
    pt = spec.partable
    assert spec.meanstructure
    assert _row(pt, "t1", "~1", "")["free"] == 0 and _row(pt, "i", "~1", "")["free"] > 0


def test_equal_modifier_and_interaction_term():
    pt = parse_model('visual =~ x1 + x2 + equal("visual=~x2")*x3').partable
    assert _row(pt, "visual", "=~", "x2")["free"] == _row(pt, "visual", "=~", "x3")["free"] > 0
    spec = parse_model("x9 ~ x7 + x8 + x7:x8")
    assert spec.ov_x == ["x7", "x8", "x7:x8"]
    with pytest.raises(ModelSyntaxError, match="can only be a predictor in a regression"):
        parse_model("f =~ x1 + x7:x8")


def test_formative_composite_defaults():
    spec = parse_model("f <~ 1*x1 + x2 + x3\ntextual =~ x4 + x5 + x6\ntextual ~ f")
    pt = spec.partable
    assert spec.lv_names == ["f", "textual"] and spec.ov_x == ["x1", "x2", "x3"]
    assert _row(pt, "f", "~~", "f")["free"] == 0 and _row(pt, "f", "~~", "f")["ustart"] == 0
    assert _row(pt, "f", "<~", "x1")["free"] == 0 and _row(pt, "f", "<~", "x2")["free"] > 0


def test_general_constraints_are_parsed():
    spec = parse_model("visual =~ x1 + a*x2 + b*x3\na + b == 2\nb1 := a*b\na < 0.5\nb > exp(a - 1)")
    assert [c.op for c in spec.constraints] == ["==", "<", ">"]
    assert spec.constraints[1].value({"a": 0.4}) == pytest.approx(0.1)  # holds when >= 0
    with pytest.raises(ModelSyntaxError, match="unknown label in '==' constraint"):
        parse_model("visual =~ x1 + a*x2 + b*x3\na + c == 2")


@pytest.mark.parametrize(
    "model, message",
    [
        ("f =~ x1 + x2\ng <~ f + x3", "a formative composite \\('<~'\\) is formed from observed variables"),
        ('efa("efa")*f1 +\nefa("efa")*f2 =~ x1 + x2 + x3 + x4', "exploratory SEM blocks"),
        ("f =~ x1 + x2 + x3\nx1 ~~ lower(0)*x1", "bounds lower\\(\\) are not supported"),
        ("f =~ x1 + x2\nx1 ~*~ x1", "scale factors"),
        ("level: 1\nf =~ x1 + x2 + x3\nlevel: 2\nf =~ x1 + x2 + x3", "multilevel or block syntax"),
    ],
)
def test_unsupported_syntax_is_refused_by_name(model, message):
    with pytest.raises(ModelSyntaxError, match=message):
        parse_model(model)


def test_unknown_and_unsupported_options_are_refused():
    import pandas as pd

    from instruments.errors import VccError
    from validate.sem import fit_sem

    df = pd.DataFrame({"x1": [1.0, 2, 3, 4], "x2": [2.0, 1, 4, 3], "x3": [1.0, 3, 2, 5]})
    cases = [
        ({"std.lv": True}, "option 'std.lv' is written 'std_lv' in Python"),
        ({"se": "bootstrap"}, "se='bootstrap' is not supported; bootstrap intervals"),
        ({"se": "robust"}, "use estimator='MLR'"),
        ({"test": "satorra.bentler"}, "lavaan's option 'test' is not supported"),
        ({"parameterization": "theta"}, "the theta parameterisation is not implemented"),
        ({"wibble": 1}, "unknown option 'wibble'; the options are estimator, group"),
        ({"estimator": "MLMV"}, "estimator 'MLMV' is not supported .* the nearest is 'MLM'"),
    ]
    for kwargs, message in cases:
        with pytest.raises(VccError, match=message):
            fit_sem("f =~ x1 + x2 + x3", df, **kwargs)


def test_general_constraints_with_fiml_are_refused():
    import numpy as np
    import pandas as pd

    from validate.sem import ModelError, fit_sem

    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(size=(50, 3)), columns=["x1", "x2", "x3"])
    df.iloc[0, 0] = np.nan
    with pytest.raises(
        ModelError, match="general constraints \\(a\\+b == 2\\) are not implemented with missing='fiml'"
    ):
        fit_sem("f =~ x1 + a*x2 + b*x3\na + b == 2", df, missing="fiml")


def test_summary_statistics_input_is_checked():
    import pandas as pd

    from instruments.errors import VccError
    from validate.sem import fit_sem

    cov = pd.DataFrame([[1.0, 0.5, 0.4], [0.5, 1.0, 0.3], [0.4, 0.3, 1.0]], index=list("abc"), columns=list("abc"))
    model = "f =~ a + b + c"
    res = fit_sem(model, None, sample_cov=cov, sample_nobs=100)
    assert res.converged and res.n == 100 and res.fit["df"] == 0
    cases = [
        (dict(sample_cov=cov), "needs both sample_cov and sample_nobs"),
        (dict(sample_cov=cov, sample_nobs=100, estimator="MLR"), "only estimator='ML' without missing data"),
        (dict(sample_cov=cov.to_numpy(), sample_nobs=100), "must be a DataFrame whose index and columns"),
        (dict(sample_cov=cov, sample_nobs=100, meanstructure=True), "a mean structure needs sample_mean"),
        (dict(**{"sample.cov": cov}), "option 'sample.cov' is written 'sample_cov'"),
    ]
    for kwargs, message in cases:
        with pytest.raises(VccError, match=message):
            fit_sem(model, None, **kwargs)
    with pytest.raises(VccError, match="variable 'd' is neither a latent variable"):
        fit_sem("f =~ a + b + d", None, sample_cov=cov, sample_nobs=100)


def test_modindices_refused_with_general_constraints():
    from pathlib import Path

    import pandas as pd

    from validate.sem import ModelError, fit_sem

    hs = pd.read_csv(Path(__file__).parent / "fixtures" / "data" / "holzinger_swineford_1939.csv")
    res = fit_sem(HS.replace("x1 + x2 + x3", "x1 + a*x2 + b*x3") + "\na + b == 2", hs)
    assert res.converged and res.fit["df"] == 25 and res.fit["npar"] == 20
    with pytest.raises(ModelError, match="modification indices of a model with general constraints"):
        res.modindices()
