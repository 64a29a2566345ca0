"""The FIML bootstrap's fast refit (FimlRefitStatistic, validate.sem.fiml.fiml_refit) gives the draws the
general refit (RefitBootstrapStatistic through fit_sem) gives, resample by resample."""

from pathlib import Path

import numpy as np

from instruments.spec import load_spec
from validate.power.simulate import simulate_study
from validate.sem import fit_sem
from validate.structural.analysis import FimlRefitStatistic, RefitBootstrapStatistic
from validate.structural.bootstrap import resample_indices
from validate.structural.mediation import enumerate_chains

FIX = Path(__file__).parent / "fixtures"


def test_fast_fiml_refit_matches_the_general_refit():
    spec = load_spec(FIX / "specs" / "minimal.yaml")
    mech = spec.mechanism("main")
    study = simulate_study(spec, {1: 300}, paths={"DRV -> ACT": 0.5, "ACT -> OUT": 0.4}, missing_rate=0.05, seed=2)
    df = study.data["main"]
    syntax = mech.lavaan_syntax(structural=True)
    res = fit_sem(syntax, df, missing="fiml", kind="sem")
    assert res.converged and df[mech.item_ids].isna().any().any()
    factors = list(mech.constructs)
    chains = enumerate_chains([(p.source, p.target) for p in mech.active_paths(False)])
    pairs = sorted({(c.source, c.target) for c in chains}, key=lambda t: (factors.index(t[0]), factors.index(t[1])))
    items = list(res.spec.ov_names)
    fast = FimlRefitStatistic(res.spec, res.theta, items, factors, chains, pairs)
    general = RefitBootstrapStatistic(
        syntax,
        items,
        {"estimator": "ML", "missing": "fiml", "kind": "sem", "auto_cov_y": True, "estimates_only": True},
        res.params,
        factors,
        chains,
        pairs,
    )
    data = df[items].to_numpy(float)
    for b in range(8):
        rows = data[resample_indices(11, b, len(data))]
        (a, why_a), (g, why_g) = fast(rows), general(rows)
        assert why_a is None and why_g is None
        # both stop at the optimiser's tolerance from the same start
        np.testing.assert_allclose(a, g, rtol=0, atol=1e-6)
