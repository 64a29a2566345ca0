"""The PLS algorithm (Lohmöller 1989; Wold 1982) and its consistent version PLSc (Dijkstra & Henseler 2015).

Everything is computed from the indicators' correlation matrix ``S`` (the
indicators are standardised with the sample SD, so the construct scores
``Y = Z W`` have ``cov(Y) = W' S W``): one iteration costs a few small matrix
products, whatever the sample size, which is what makes a 5,000-resample
bootstrap fast.

The iteration, from the initial weights 1 (SmartPLS's default):

1. scale each construct's weights so that its score has variance 1:
   ``w_j <- w_j / sqrt(w_j' S_jj w_j)``;
2. inner weights ``E`` from the construct correlations ``R = W' S W``:
   *path* (predecessors of ``j`` get the coefficients of the regression of ``j`` on them,
   successors get their correlation with ``j``), *factorial* (the correlation with
   every adjacent construct) or *centroid* (its sign);
3. inner proxies ``Z E``; new outer weights from their covariances with the items
   ``C = S W E``: Mode A ``w_j = C_j``, Mode B ``w_j = S_jj^{-1} C_j``;
4. stop when the sum of absolute changes of the (scaled) weights is below the
   tolerance (1e-7, as SmartPLS and seminr), at most ``max_iter`` (300) times.

Then loadings ``L = S W`` (masked to each block), path coefficients by OLS on ``R``
and R². PLSc corrects the correlations of the Mode A constructs with their
reliability ρA, ``R_c[i, j] = R[i, j] / sqrt(ρA_i ρA_j)``, and estimates the paths
and R² from ``R_c``; the consistent loadings are ``w sqrt(ρA) / (w'w)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from validate.pls.model import PLSModel

__all__ = ["Structure", "Estimate", "estimate", "rho_a"]


@dataclass
class Structure:
    """The index arrays of a :class:`PLSModel` (picklable, for the bootstrap workers)."""

    names: list[str]
    items: list[str]
    blocks: list[np.ndarray]      # item indices of each construct
    mode_b: np.ndarray            # bool per construct
    single: np.ndarray            # bool per construct: one item
    adj: np.ndarray               # A[i, j] = 1 for a path i -> j
    preds: list[np.ndarray]       # predecessor indices of each construct (empty for exogenous)
    order: list[int]              # a topological order (exogenous first)

    @classmethod
    def of(cls, model: PLSModel) -> Structure:
        names = model.names
        ix = {c: i for i, c in enumerate(names)}
        items = model.items
        blocks, k = [], 0
        for c in names:
            m = len(model.constructs[c])
            blocks.append(np.arange(k, k + m))
            k += m
        J = len(names)
        adj = np.zeros((J, J))
        for a, b in model.paths:
            adj[ix[a], ix[b]] = 1.0
        preds = [np.array([ix[a] for a in model.predecessors(c)], dtype=int) for c in names]
        order = [j for j in range(J) if not preds[j].size]  # exogenous first, then endogenous topologically
        seen = set(order)
        while len(order) < J:
            for j in range(J):
                if j not in seen and all(int(i) in seen for i in preds[j]):
                    order.append(j)
                    seen.add(j)
        return cls(names, items, blocks, np.array([model.modes[c] == "B" for c in names]),
                   np.array([len(model.constructs[c]) == 1 for c in names]), adj, preds, order)

    @property
    def endogenous(self) -> list[int]:
        return [j for j in range(len(self.names)) if self.preds[j].size]


@dataclass
class Estimate:
    """Point estimates of one PLS run (arrays in the order of :class:`Structure`).

    Attributes
    ----------
    W : ndarray (p, J)
        Outer weights (zero outside each construct's block); scores ``Z @ W`` have variance 1.
    loadings : ndarray (p,)
        Each item's loading on its construct (PLSc: the consistent loadings for Mode A constructs).
    cross : ndarray (p, J)
        Correlations of every item with every construct score.
    R : ndarray (J, J)
        Correlations of the construct scores.
    Rc : ndarray (J, J)
        Construct correlations the paths are estimated from: ``R``, or under PLSc ``R`` corrected for
        attenuation with ρA.
    B : ndarray (J, J)
        Path coefficients, ``B[i, j]`` for ``i -> j``.
    r2 : ndarray (J,)
        R² of each endogenous construct (NaN for exogenous ones).
    rho_a : ndarray (J,)
        Dijkstra-Henseler ρA (1 for Mode B and single-item constructs).
    """

    W: np.ndarray
    loadings: np.ndarray
    cross: np.ndarray
    R: np.ndarray
    Rc: np.ndarray
    B: np.ndarray
    r2: np.ndarray
    rho_a: np.ndarray
    iterations: int
    converged: bool
    weight_change: float
    consistent: bool


def _scale(W: np.ndarray, S: np.ndarray) -> np.ndarray:
    var = np.einsum("ij,ik,kj->j", W, S, W)
    return W / np.sqrt(var)


def inner_weights(R: np.ndarray, st: Structure, scheme: str) -> np.ndarray:
    """Inner weights ``E[i, j]``: weight of construct ``i`` in the inner proxy of ``j``."""
    A = st.adj
    if scheme == "path":
        E = R * A.T  # successors k of j (j -> k): corr(j, k)
        for j in st.endogenous:
            P = st.preds[j]
            E[P, j] = np.linalg.solve(R[np.ix_(P, P)], R[P, j])
        return E
    adj = A + A.T
    if scheme == "factorial":
        return R * adj
    if scheme == "centroid":
        return np.sign(R) * adj
    raise ValueError(f"unknown inner weighting scheme {scheme!r}")


def rho_a(W: np.ndarray, S: np.ndarray, st: Structure) -> np.ndarray:
    """Dijkstra-Henseler ρA of each construct from its weights.

    ``rho_A = (w'w)^2 * w'(S - diag S)w / w'(ww' - diag(ww'))w`` (Dijkstra & Henseler 2015,
    eq. 9), 1 for Mode B and single-item constructs (as seminr).
    """
    out = np.ones(len(st.names))
    for j, b in enumerate(st.blocks):
        if st.mode_b[j] or st.single[j]:
            continue
        w = W[b, j]
        Sj = S[np.ix_(b, b)]
        wtw = w @ w
        num = w @ Sj @ w - np.sum(w * w * np.diag(Sj))
        den = wtw * wtw - np.sum(w**4)
        out[j] = wtw * wtw * num / den
    return out


def structural(Rc: np.ndarray, st: Structure) -> tuple[np.ndarray, np.ndarray]:
    """Path coefficients (OLS on the construct correlations) and R²."""
    J = len(st.names)
    B = np.zeros((J, J))
    r2 = np.full(J, np.nan)
    for j in st.endogenous:
        P = st.preds[j]
        b = np.linalg.solve(Rc[np.ix_(P, P)], Rc[P, j])
        B[P, j] = b
        r2[j] = b @ Rc[P, j]
    return B, r2


def estimate(S: np.ndarray, st: Structure, scheme: str = "path", consistent: bool = False,
             tol: float = 1e-7, max_iter: int = 300) -> Estimate:
    """Run the PLS algorithm on the indicator correlation matrix ``S``.

    Parameters
    ----------
    S : ndarray (p, p)
        Correlations of the standardised indicators, in ``st.items`` order.
    st : Structure
    scheme : {"path", "factorial", "centroid"}
    consistent : bool
        Apply PLSc to the Mode A constructs with more than one item.
    tol, max_iter
        Stop when the sum of absolute changes of the weights falls below ``tol``, or after
        ``max_iter`` updates.

    Returns
    -------
    Estimate

    Raises
    ------
    numpy.linalg.LinAlgError
        A singular correlation matrix (a Mode B block or a set of predictors with collinear scores).
    """
    p, J = S.shape[0], len(st.names)
    W = np.zeros((p, J))
    for j, b in enumerate(st.blocks):
        W[b, j] = 1.0
    prev = W.copy()
    W = _scale(W, S)
    diff, it, converged = np.inf, 0, False
    while it < max_iter:
        R = W.T @ S @ W
        E = inner_weights(R, st, scheme)
        C = S @ (W @ E)
        new = np.zeros_like(W)
        for j, b in enumerate(st.blocks):
            if st.mode_b[j] and b.size > 1:
                new[b, j] = np.linalg.solve(S[np.ix_(b, b)], C[b, j])
            else:
                new[b, j] = C[b, j]
        new = _scale(new, S)
        it += 1
        diff = float(np.abs(new - prev).sum())
        prev = W = new
        if diff < tol:
            converged = True
            break
    R = W.T @ S @ W
    np.fill_diagonal(R, 1.0)
    cross = S @ W
    loadings = np.array([cross[i, j] for j, b in enumerate(st.blocks) for i in b])
    rho = rho_a(W, S, st)
    Rc = R
    if consistent:
        corr = np.where(st.mode_b | st.single, 1.0, rho)
        Rc = R / np.sqrt(np.outer(corr, corr))
        np.fill_diagonal(Rc, 1.0)
        k = 0
        for j, b in enumerate(st.blocks):
            w = W[b, j]
            if not (st.mode_b[j] or st.single[j]):
                loadings[k:k + b.size] = w * np.sqrt(rho[j]) / (w @ w)
            k += b.size
    B, r2 = structural(Rc, st)
    return Estimate(W, loadings, cross, R, Rc, B, r2, rho, it, converged, diff, consistent)
