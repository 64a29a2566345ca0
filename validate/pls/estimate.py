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
    blocks: list[np.ndarray]  # item indices of each construct
    mode_b: np.ndarray  # bool per construct
    single: np.ndarray  # bool per construct: one item
    adj: np.ndarray  # A[i, j] = 1 for a path i -> j
    preds: list[np.ndarray]  # predecessor indices of each construct (empty for exogenous)
    order: list[int]  # a topological order (exogenous first)

    def __post_init__(self):
        # index work done once, so that an iteration is a handful of array operations
        p, J = sum(b.size for b in self.blocks), len(self.names)
        self.mask = np.zeros((p, J))
        for j, b in enumerate(self.blocks):
            self.mask[b, j] = 1.0
        self.item_of = np.concatenate(self.blocks)
        self.construct_of = np.concatenate([np.full(b.size, j) for j, b in enumerate(self.blocks)])
        self.mode_b_multi = [j for j in range(J) if self.mode_b[j] and self.blocks[j].size > 1]
        self.plain = ~(self.mode_b | self.single)
        # the regressions of the path scheme and of the structural model, batched: system k solves
        # R[P, P] b = R[P, j] for endogenous j, padded to the largest P with identity rows
        endo = [j for j in range(J) if self.preds[j].size]
        m = max((self.preds[j].size for j in endo), default=0)
        self.endo = np.array(endo, dtype=int)
        K = len(endo)
        self.sys_a = np.zeros((K, m, m), dtype=int)  # flat indices into R (J*J) of each system matrix
        self.sys_b = np.zeros((K, m), dtype=int)
        self.sys_used = np.zeros((K, m), dtype=bool)
        for k, j in enumerate(endo):
            P = self.preds[j]
            q = P.size
            self.sys_a[k, :q, :q] = P[:, None] * J + P[None, :]
            self.sys_b[k, :q] = P * J + j
            self.sys_used[k, :q] = True
        self.sys_pad = ~(self.sys_used[:, :, None] & self.sys_used[:, None, :])
        self.sys_eye = np.broadcast_to(np.eye(m, dtype=bool), (K, m, m)) & self.sys_pad
        # where each solution goes: B[P, j]
        dest = np.zeros((K, m), dtype=int)
        for k, j in enumerate(endo):
            P = self.preds[j]
            dest[k, : P.size] = P * J + j
        self.sys_dest = dest
        self.succ_mask = self.adj.T.copy()  # E[i, j] = corr for i a successor of j
        self.adj_sym = self.adj + self.adj.T

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
        return cls(
            names,
            items,
            blocks,
            np.array([model.modes[c] == "B" for c in names]),
            np.array([len(model.constructs[c]) == 1 for c in names]),
            adj,
            preds,
            order,
        )

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


def _solve_systems(R: np.ndarray, st: Structure) -> np.ndarray:
    """Solve every endogenous construct's ``R[P, P] b = R[P, j]`` in one batched call; shape (K, m)."""
    flat = R.ravel()
    A = np.where(st.sys_pad, 0.0, flat[st.sys_a])
    A[st.sys_eye] = 1.0
    rhs = np.where(st.sys_used, flat[st.sys_b], 0.0)
    return np.linalg.solve(A, rhs[..., None])[..., 0]


def inner_weights(R: np.ndarray, st: Structure, scheme: str) -> np.ndarray:
    """Inner weights ``E[i, j]``: weight of construct ``i`` in the inner proxy of ``j``."""
    if scheme == "path":
        E = R * st.succ_mask  # successors k of j (j -> k): corr(j, k)
        if st.endo.size:
            E.ravel()[st.sys_dest[st.sys_used]] = _solve_systems(R, st)[st.sys_used]
        return E
    if scheme == "factorial":
        return R * st.adj_sym
    if scheme == "centroid":
        return np.sign(R) * st.adj_sym
    raise ValueError(f"unknown inner weighting scheme {scheme!r}")


def rho_a(W: np.ndarray, S: np.ndarray, st: Structure) -> np.ndarray:
    """Dijkstra-Henseler ρA of each construct from its weights.

    ``rho_A = (w'w)^2 * w'(S - diag S)w / w'(ww' - diag(ww'))w`` (Dijkstra & Henseler 2015,
    eq. 9), 1 for Mode B and single-item constructs (as seminr). ``S`` has a unit diagonal.
    """
    wtw = np.sum(W * W, axis=0)
    num = np.sum(W * (S @ W), axis=0) - wtw  # w'Sw minus the diagonal part w'w
    den = wtw * wtw - np.sum(W**4, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = wtw * wtw * num / den
    return np.where(st.plain, rho, 1.0)


def structural(Rc: np.ndarray, st: Structure) -> tuple[np.ndarray, np.ndarray]:
    """Path coefficients (OLS on the construct correlations) and R²."""
    J = len(st.names)
    B = np.zeros((J, J))
    r2 = np.full(J, np.nan)
    if st.endo.size:
        b = _solve_systems(Rc, st)
        B.ravel()[st.sys_dest[st.sys_used]] = b[st.sys_used]
        rhs = np.where(st.sys_used, Rc.ravel()[st.sys_b], 0.0)
        r2[st.endo] = np.sum(b * rhs, axis=1)
    return B, r2


def estimate(
    S: np.ndarray, st: Structure, scheme: str = "path", consistent: bool = False, tol: float = 1e-7, max_iter: int = 300
) -> Estimate:
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
    mask = st.mask
    prev = mask
    SW = S @ mask
    W = mask / np.sqrt(np.sum(mask * SW, axis=0))
    SW = SW / np.sqrt(np.sum(mask * SW, axis=0))
    diff, it, converged = np.inf, 0, False
    while it < max_iter:
        R = W.T @ SW
        E = inner_weights(R, st, scheme)
        new = (SW @ E) * mask  # Mode A: covariance of each item with its construct's inner proxy
        for j in st.mode_b_multi:  # Mode B: the regression of the inner proxy on the block
            b = st.blocks[j]
            new[b, j] = np.linalg.solve(S[np.ix_(b, b)], new[b, j])
        SW = S @ new
        scale = 1.0 / np.sqrt(np.sum(new * SW, axis=0))
        new *= scale
        SW *= scale
        it += 1
        diff = float(np.abs(new - prev).sum())
        prev = W = new
        if diff < tol:
            converged = True
            break
    R = W.T @ SW
    np.fill_diagonal(R, 1.0)
    cross = SW
    loadings = cross[st.item_of, st.construct_of]
    rho = rho_a(W, S, st)
    Rc = R
    if consistent:
        corr = np.where(st.plain, rho, 1.0)
        Rc = R / np.sqrt(np.outer(corr, corr))
        np.fill_diagonal(Rc, 1.0)
        wtw = np.sum(W * W, axis=0)
        with np.errstate(invalid="ignore"):  # a negative ρA gives NaN loadings, never a silent number
            factor = np.where(st.plain, np.sqrt(rho) / wtw, np.nan)[st.construct_of]
        w = W[st.item_of, st.construct_of]
        loadings = np.where(st.plain[st.construct_of], w * factor, loadings)
    B, r2 = structural(Rc, st)
    return Estimate(W, loadings, cross, R, Rc, B, r2, rho, it, converged, diff, consistent)
