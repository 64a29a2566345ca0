"""Indirect-effect enumeration, effect algebra and bootstrap intervals."""

import numpy as np
import pytest
from scipy import stats

from validate.structural.mediation import (
    Chain,
    bca_ci,
    classify_mediation,
    effect_of_chain,
    enumerate_chains,
    percentile_ci,
    total_effects,
    vaf,
)


def test_enumerates_every_chain_in_paper_order():
    paths = [("D1", "A1"), ("D1", "A2"), ("D2", "A1"), ("A1", "O1"), ("A2", "O1"), ("A1", "O2")]
    keys = [c.key for c in enumerate_chains(paths)]
    assert keys == ["D1->A1->O1", "D1->A2->O1", "D1->A1->O2", "D2->A1->O1", "D2->A1->O2"]


def test_chains_through_two_mediators_and_ending_at_a_mediator():
    keys = {c.key for c in enumerate_chains([("X", "M1"), ("M1", "M2"), ("M2", "Y"), ("X", "Y")])}
    assert keys == {"X->M1->M2", "X->M1->M2->Y", "M1->M2->Y"}
    assert enumerate_chains([("X", "Y")]) == []  # no mediator, no chain


def test_effects_add_up_to_the_total():
    names = ["X", "M1", "M2", "Y"]
    idx = {n: i for i, n in enumerate(names)}
    B = np.zeros((4, 4))
    B[idx["M1"], idx["X"]] = 0.5
    B[idx["M2"], idx["M1"]] = 0.4
    B[idx["Y"], idx["M2"]] = 0.3
    B[idx["M2"], idx["X"]] = 0.2
    B[idx["Y"], idx["X"]] = 0.1
    chains = [
        c
        for c in enumerate_chains([("X", "M1"), ("M1", "M2"), ("M2", "Y"), ("X", "M2"), ("X", "Y")])
        if c.source == "X" and c.target == "Y"
    ]
    ind = sum(effect_of_chain(B, idx, c) for c in chains)
    assert ind == pytest.approx(0.5 * 0.4 * 0.3 + 0.2 * 0.3)
    assert total_effects(B)[idx["Y"], idx["X"]] == pytest.approx(ind + 0.1)


def test_percentile_matches_r_quantile_type_7():
    d = np.arange(1, 101, dtype=float)
    # R: quantile(1:100, c(.025, .975)) -> 3.475, 97.525
    assert percentile_ci(d) == pytest.approx((3.475, 97.525))


def test_bca_matches_scipy_on_the_same_draws():
    rng = np.random.default_rng(5)
    x = rng.exponential(size=60)
    res = stats.bootstrap((x,), np.mean, n_resamples=4000, method="BCa", random_state=5)
    draws = res.bootstrap_distribution
    jack = np.array([np.delete(x, i).mean() for i in range(x.size)])
    lo, hi = bca_ci(draws, x.mean(), jack)
    # Same draws, same z0, acceleration and quantile rule: agreement to rounding.
    assert lo == pytest.approx(res.confidence_interval.low, rel=1e-9)
    assert hi == pytest.approx(res.confidence_interval.high, rel=1e-9)
    # The interval sits right of the percentile interval for a right-skewed statistic.
    plo, phi = percentile_ci(draws)
    assert lo > plo and hi > phi


def test_bca_undefined_when_estimate_outside_draws():
    assert np.isnan(bca_ci(np.ones(50), 2.0, np.ones(10))[0])


@pytest.mark.parametrize(
    "ind,lo,hi,direct,p,expected",
    [
        (0.2, 0.1, 0.3, 0.3, 0.01, "complementary"),
        (0.2, 0.1, 0.3, -0.3, 0.01, "competitive"),
        (0.2, 0.1, 0.3, 0.01, 0.60, "indirect-only"),
        (0.0, -0.1, 0.1, 0.3, 0.01, "direct-only"),
        (0.0, -0.1, 0.1, 0.0, 0.90, "no-effect"),
        (0.2, 0.1, 0.3, None, None, "indirect-no-direct-path"),
        (0.0, -0.1, 0.1, None, None, "no-indirect-no-direct-path"),
        (0.2, np.nan, np.nan, 0.3, 0.01, "undetermined"),
    ],
)
def test_zhao_lynch_chen_classification(ind, lo, hi, direct, p, expected):
    assert classify_mediation(ind, lo, hi, direct, p) == expected


def test_vaf():
    assert vaf(0.2, 0.5) == pytest.approx(0.4)
    assert np.isnan(vaf(0.2, 0.0))
    assert str(Chain(("A", "B", "C"))) == "A -> B -> C"
