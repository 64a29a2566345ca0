"""fit_moments: the fast refit entry point used by the bootstrap."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from validate.sem import fit_moments, fit_sem, parse_model

FIX = Path(__file__).parent / "fixtures"


def test_fit_moments_reproduces_fit_sem():
    ref = json.loads((FIX / "lavaan" / "holzinger_cfa_ml.json").read_text())
    df = pd.read_csv(FIX / "data" / "holzinger_swineford_1939.csv")
    res = fit_sem(ref["model"], df)
    spec = parse_model(ref["model"])
    Y = df[spec.ov_names].to_numpy(float)
    S = np.cov(Y.T, bias=True)
    mf = fit_moments(spec, [S], [Y.mean(0)], [len(Y)], compute_se=True)  # own start values
    assert mf.converged and mf.admissible
    np.testing.assert_allclose(mf.theta, res.theta, rtol=1e-6, atol=1e-8)
    assert abs(mf.chisq - ref["fit"]["chisq"]) < 1e-6
    free_se = res.params.loc[res.params["free"] > 0].drop_duplicates("free").sort_values("free")["se"]
    np.testing.assert_allclose(mf.se, free_se.to_numpy(), rtol=1e-6)


def test_fit_moments_bootstrap_speed():
    rng = np.random.default_rng(0)
    per = [4, 4, 3, 3, 4, 3, 4, 3]
    lines, cols, k = [], [], 0
    lam = np.zeros((28, 8))
    for f, n in enumerate(per):
        names = [f"v{k + i + 1}" for i in range(n)]
        lam[k : k + n, f] = rng.uniform(0.5, 0.9, n)
        k += n
        cols += names
        lines.append(f"F{f + 1} =~ " + " + ".join(names))
    phi = 0.3 + 0.7 * np.eye(8)
    sig = lam @ phi @ lam.T
    sig += np.diag(1 - np.diag(sig))
    n = 500
    Y = rng.multivariate_normal(np.zeros(28), sig, size=n)
    res = fit_sem("\n".join(lines), pd.DataFrame(Y, columns=cols))
    assert res.converged and res.fit["npar"] == 84
    spec = res.spec
    times = []
    for _ in range(20):
        Yb = Y[rng.integers(0, n, n)]
        S = np.cov(Yb.T, bias=True)
        t = time.perf_counter()
        mf = fit_moments(spec, [S], [Yb.mean(0)], [n], start=res.theta)
        times.append(time.perf_counter() - t)
        assert mf.converged
    # a few ms on an idle core; generous bound for loaded CI machines
    assert np.median(times) < 0.05
