"""Assessment of a PLS path model, as SmartPLS and the PLS-SEM primer report it.

Functions on the arrays of :mod:`validate.pls.estimate` (the results object
:class:`validate.pls.fit.PLSResults` turns them into tidy DataFrames):
reliability (Cronbach's α, ρA, ρC, AVE), HTMT and HTMT2, Fornell-Larcker,
outer and inner VIF, total and indirect effects, and the model fit SRMR, d_ULS
and d_G of the saturated and the estimated model.

References
----------
Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2022). *A primer on partial least squares
structural equation modeling (PLS-SEM)* (3rd ed.). Sage.
Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing discriminant validity
in variance-based SEM. *JAMS*, 43, 115-135.
Roemer, E., Schuberth, F., & Henseler, J. (2021). HTMT2 - an improved criterion for assessing
discriminant validity in structural equation modeling. *IMDS*, 121, 2637-2650.
Dijkstra, T. K., & Henseler, J. (2015). Consistent and asymptotically normal PLS estimators for linear
structural equations. *CSDA*, 81, 10-23.
Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with unobservable variables
and measurement error. *JMR*, 18, 39-50.
"""

from __future__ import annotations

import numpy as np

from validate.pls.estimate import Estimate, Structure

__all__ = ["reliability", "htmt", "vif_outer", "vif_inner", "total_effects", "implied_correlations", "model_fit"]


def reliability(est: Estimate, S: np.ndarray, st: Structure) -> np.ndarray:
    """Cronbach's α, ρA, ρC and AVE of each construct, shape (J, 4).

    Notes
    -----
    α is computed from the item correlations (standardised alpha, as SmartPLS and seminr:
    ``k/(k-1) (1 - k / sum(R))``); ρA is Dijkstra & Henseler's; ``ρC = (Σλ)² / ((Σλ)² + Σ(1-λ²))``
    and ``AVE = mean(λ²)`` use the loadings of the fit (the consistent loadings under PLSc).
    A single-item construct has 1 for all four (seminr's convention). Mode B (formative) constructs
    get NaN: the criteria assume reflective measurement (Hair et al. 2022, ch. 5).
    Matches seminr 0.2.1 to 1e-12 on corp_rep and mobi.
    """
    J = len(st.names)
    out = np.full((J, 4), np.nan)
    k0 = 0
    for j, b in enumerate(st.blocks):
        lam = est.loadings[k0 : k0 + b.size]
        k0 += b.size
        if st.mode_b[j]:
            continue
        if st.single[j]:
            out[j] = 1.0
            continue
        k = b.size
        Rj = S[np.ix_(b, b)]
        alpha = k / (k - 1) * (1 - k / Rj.sum())
        s = lam.sum()
        rho_c = s * s / (s * s + np.sum(1 - lam * lam))
        out[j] = (alpha, est.rho_a[j], rho_c, np.mean(lam * lam))
    return out


def htmt(S: np.ndarray, st: Structure, kind: str = "htmt") -> np.ndarray:
    """Heterotrait-monotrait ratio of every pair of constructs, shape (J, J), NaN on the diagonal.

    ``kind="htmt"`` (Henseler et al. 2015): the mean absolute heterotrait correlation over the
    geometric mean of the two mean absolute monotrait correlations. ``kind="htmt2"`` (Roemer et al.
    2021): geometric means throughout. A single-item construct's monotrait mean is taken as 1.
    Absolute correlations are used (as SmartPLS 4 and seminr). Matches seminr's ``htmt`` to 1e-12.
    """
    if kind not in ("htmt", "htmt2"):
        raise ValueError(f"unknown HTMT kind {kind!r}")
    J = len(st.names)
    A = np.abs(S)
    if kind == "htmt2":
        A = np.log(np.maximum(A, 1e-300))  # geometric means: means of logs (a zero correlation gives ~0)
    M = np.zeros((S.shape[0], J))
    for j, b in enumerate(st.blocks):
        M[b, j] = 1.0
    size = M.sum(0)
    sums = M.T @ np.where(np.eye(S.shape[0], dtype=bool), 0.0, A) @ M
    with np.errstate(divide="ignore", invalid="ignore"):
        hetero = sums / np.outer(size, size)
        mono = np.where(size > 1, np.diag(sums) / (size * (size - 1)), 0.0 if kind == "htmt2" else 1.0)
        if kind == "htmt2":
            hetero, mono = np.exp(hetero), np.exp(mono)
        out = hetero / np.sqrt(np.outer(mono, mono))
    np.fill_diagonal(out, np.nan)
    return out


def vif_outer(S: np.ndarray, st: Structure) -> np.ndarray:
    """VIF of each indicator on the other indicators of its construct, ``diag(S_jj^-1)`` (1 for a single item)."""
    out = np.ones(S.shape[0])
    for b in st.blocks:
        if b.size > 1:
            out[b] = np.diag(np.linalg.inv(S[np.ix_(b, b)]))
    return out


def vif_inner(Rc: np.ndarray, st: Structure) -> dict[tuple[int, int], float]:
    """VIF of each predictor of each endogenous construct, ``diag(R_PP^-1)`` (1 for a single predictor).

    seminr leaves a single predictor's VIF blank (NaN); it is 1 by definition (no other predictor).
    ``Rc`` is the matrix the paths are estimated from: under PLSc the disattenuated construct
    correlations (seminr uses the uncorrected score correlations there, which understates the
    collinearity the consistent path estimates face). Matches seminr to 1e-12 without PLSc.
    """
    out = {}
    for j in st.endogenous:
        P = st.preds[j]
        d = np.diag(np.linalg.inv(Rc[np.ix_(P, P)])) if P.size > 1 else np.ones(1)
        for i, v in zip(P, d):
            out[(int(i), j)] = float(v)
    return out


def total_effects(B: np.ndarray) -> np.ndarray:
    """Total effects ``B + B² + ... = (I - B)^-1 - I`` of a recursive model (``B[i, j]`` for ``i -> j``)."""
    J = B.shape[0]
    return np.linalg.solve(np.eye(J) - B.T, np.eye(J)).T - np.eye(J)


def implied_constructs(est: Estimate, st: Structure) -> np.ndarray:
    """Construct correlations implied by the structural model (the estimated model).

    Notes
    -----
    In Bollen's (1989) notation, with exogenous constructs ``ξ`` (their correlations ``Φ`` taken
    from the fit, disattenuated under PLSc), ``η = B η + Γ ξ + ζ`` and the structural disturbances
    uncorrelated with ``ξ`` and with each other, ``Var(ζ_j) = 1 - R²_j``:
    ``Cov(ξ, η) = Φ Γ' (I - B)^-T`` and ``Cov(η) = (I - B)^-1 (Γ Φ Γ' + Ψ) (I - B)^-T``, its
    diagonal then set to 1. This is the construct matrix of cSEM's ``fit()`` (Schuberth, Henseler).
    """
    J = len(st.names)
    endo = st.endo
    exo = np.array([j for j in range(J) if not st.preds[j].size], dtype=int)
    P = est.B.T  # P[j, i]: effect of i on j
    Bee = P[np.ix_(endo, endo)]
    Gam = P[np.ix_(endo, exo)]
    Phi = est.Rc[np.ix_(exo, exo)]
    C = np.linalg.inv(np.eye(endo.size) - Bee)
    psi = np.diag(1.0 - np.nan_to_num(est.r2[endo]))
    exo_endo = Phi @ Gam.T @ C.T
    endo_endo = C @ (Gam @ Phi @ Gam.T + psi) @ C.T
    np.fill_diagonal(endo_endo, 1.0)
    out = np.eye(J)
    out[np.ix_(exo, exo)] = Phi
    out[np.ix_(exo, endo)] = exo_endo
    out[np.ix_(endo, exo)] = exo_endo.T
    out[np.ix_(endo, endo)] = endo_endo
    return out


def implied_correlations(est: Estimate, S: np.ndarray, st: Structure, saturated: bool) -> np.ndarray:
    """Indicator correlation matrix implied by the fitted model.

    Notes
    -----
    Between blocks ``Σ_ij = λ_i Φ_ij λ_j'`` with ``Φ`` the construct correlations (saturated model) or
    those implied by the structural paths (estimated model). Within a composite block (Mode A or B
    without PLSc) the observed correlations are kept (a composite does not restrict them); within a
    common-factor block (PLSc, Mode A) ``λλ'`` with a unit diagonal. This is the composite/common-factor
    model of Dijkstra & Henseler (2015) and Henseler et al. (2014), as the R package cSEM's ``fit()``;
    SmartPLS's own computation is not published in full and may differ for Mode A composites.
    """
    Phi = est.Rc if saturated else implied_constructs(est, st)
    p = S.shape[0]
    lam = np.zeros((p, len(st.names)))
    k = 0
    for j, b in enumerate(st.blocks):
        lam[b, j] = est.loadings[k : k + b.size]
        k += b.size
    Sigma = lam @ Phi @ lam.T
    for j, b in enumerate(st.blocks):
        factor = est.consistent and not (st.mode_b[j] or st.single[j])
        if not factor:
            Sigma[np.ix_(b, b)] = S[np.ix_(b, b)]
    np.fill_diagonal(Sigma, 1.0)
    return Sigma


def model_fit(est: Estimate, S: np.ndarray, st: Structure) -> dict:
    """SRMR, d_ULS and d_G of the saturated and the estimated model.

    Returns
    -------
    dict
        ``{"saturated": {"srmr", "d_uls", "d_g"}, "estimated": {...}}``; ``d_g`` is NaN when the implied
        matrix is not positive definite.

    Notes
    -----
    ``SRMR = sqrt(Σ_{i<=j} (s_ij - σ_ij)² / (p(p+1)/2))``; ``d_ULS = ½ Σ_ij (s_ij - σ_ij)²``;
    ``d_G = ½ Σ_k log(φ_k)²`` with ``φ_k`` the eigenvalues of ``S^-1 Σ`` (Dijkstra & Henseler 2015).
    """
    p = S.shape[0]
    out = {}
    for name, sat in (("saturated", True), ("estimated", False)):
        Sigma = implied_correlations(est, S, st, sat)
        D = S - Sigma
        il = np.tril_indices(p)
        srmr = float(np.sqrt(np.sum(D[il] ** 2) / (p * (p + 1) / 2)))
        d_uls = float(0.5 * np.sum(D * D))
        try:
            ev = np.linalg.eigvals(np.linalg.solve(S, Sigma))
            d_g = float(0.5 * np.sum(np.log(ev.real) ** 2)) if np.all(ev.real > 0) else float("nan")
        except np.linalg.LinAlgError:
            d_g = float("nan")
        out[name] = {"srmr": srmr, "d_uls": d_uls, "d_g": d_g}
    return out
