"""Simulate Likert survey data from a population model written on a mechanism.

The population is a standardised structural equation model: every latent
variable has variance 1, every item has variance 1 before it is cut into
scale points, and every coefficient is a standardised one. That makes the
population values directly comparable with the standardised estimates
(``std.all`` in lavaan) a fitted model reports.

Functions
---------
population_model
    The standardised population of one mechanism (loadings, paths, the
    exogenous correlations, residual variances and the implied latent
    correlation matrix).
simulate_mechanism
    Item codes (or continuous item scores) for one mechanism and one group.
simulate_study
    A whole study: several groups (platforms), background answers, a
    respondent id, an attention check, completion times, careless respondents
    and missing answers, one table per mechanism.
default_thresholds
    The cut points used when none are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from instruments.errors import InputError
from instruments.spec import Mechanism, ModelSpec, Scale

__all__ = [
    "DEFAULT_BETA",
    "DEFAULT_EXOGENOUS_CORR",
    "DEFAULT_LOADING",
    "DEFAULT_SECOND_ORDER_LOADING",
    "Careless",
    "PopulationModel",
    "SimulatedStudy",
    "default_thresholds",
    "population_model",
    "simulate_mechanism",
    "simulate_study",
]

#: Standardised loading of every item unless told otherwise.
DEFAULT_LOADING = 0.7
#: Standardised coefficient of every (non-direct) path unless told otherwise; direct paths default to 0.
DEFAULT_BETA = 0.2
#: Correlation between every pair of exogenous constructs unless told otherwise.
DEFAULT_EXOGENOUS_CORR = 0.3
#: Standardised loading of every dimension on its second-order construct unless told otherwise.
DEFAULT_SECOND_ORDER_LOADING = 0.8

_CARELESS_KINDS = ("straightliner", "speeder", "attention_failure", "outlier")


# --------------------------------------------------------------------------- population


@dataclass(frozen=True)
class PopulationModel:
    """The standardised population model of one mechanism.

    Attributes
    ----------
    mechanism : str
        The mechanism id.
    order : tuple of str
        Constructs in a topological order (every predictor before its targets).
    exogenous : tuple of str
        Constructs without incoming paths.
    item_construct : dict
        item id -> construct id.
    reverse : dict
        item id -> whether the item is reverse-keyed.
    loadings : dict
        item id -> standardised loading.
    paths : dict
        (source, target) -> standardised coefficient; paths of the spec that
        are not in this dict are absent from the population (coefficient 0).
    residual_variances : dict
        endogenous construct -> variance of its disturbance (``1 - R^2``).
    latent_corr : pandas.DataFrame
        The implied correlation matrix of the latent variables (spec order).
    second_order_loadings : dict
        (second-order construct, dimension) -> standardised loading of the dimension on it
        (empty for a first-order model).
    """

    mechanism: str
    order: tuple[str, ...]
    exogenous: tuple[str, ...]
    item_construct: dict[str, str]
    reverse: dict[str, bool]
    loadings: dict[str, float]
    paths: dict[tuple[str, str], float]
    residual_variances: dict[str, float]
    latent_corr: pd.DataFrame = field(repr=False)
    second_order_loadings: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def items(self) -> list[str]:
        return list(self.item_construct)

    @property
    def r_squared(self) -> dict[str, float]:
        """Endogenous construct -> share of its variance explained by its predictors."""
        return {c: 1.0 - v for c, v in self.residual_variances.items()}

    def item_corr(self) -> pd.DataFrame:
        """Population correlations of the continuous item scores (before cutting into codes).

        ``corr(x_i, x_j) = l_i * l_j * corr(eta_a, eta_b)`` for items ``i`` of
        construct ``a`` and ``j`` of ``b``; the diagonal is 1. Items are keyed
        with their construct (a reverse-keyed item is reversed only when it is
        cut into codes), so every correlation has the sign of the construct's.
        """
        ids = self.items
        lam = np.array([self.loadings[i] for i in ids])
        phi = self.latent_corr.loc[
            [self.item_construct[i] for i in ids], [self.item_construct[i] for i in ids]
        ].to_numpy()
        r = np.outer(lam, lam) * phi
        np.fill_diagonal(r, 1.0)
        return pd.DataFrame(r, index=ids, columns=ids)

    def parameters(self) -> pd.DataFrame:
        """The population values as a tidy table, in lavaan's notation.

        Returns
        -------
        pandas.DataFrame
            Columns ``lhs``, ``op``, ``rhs``, ``value``: ``=~`` rows for the
            loadings (``construct =~ item``), ``~`` rows for the paths
            (``target ~ source``), ``~~`` rows for the exogenous correlations
            and the residual variances of the endogenous constructs, and
            ``r2`` rows for the explained variances.
        """
        rows = [(self.item_construct[i], "=~", i, self.loadings[i]) for i in self.items]
        rows += [(h, "=~", d, g) for (h, d), g in self.second_order_loadings.items()]
        rows += [(t, "~", s, b) for (s, t), b in self.paths.items()]
        ex = list(self.exogenous)
        for a in range(len(ex)):
            for b in range(a + 1, len(ex)):
                rows.append((ex[a], "~~", ex[b], float(self.latent_corr.loc[ex[a], ex[b]])))
        rows += [(c, "~~", c, v) for c, v in self.residual_variances.items()]
        rows += [(c, "r2", c, r2) for c, r2 in self.r_squared.items()]
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "value"])

    def draw(
        self, n: int, rng: np.random.Generator, means: Mapping[str, float] | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Draw latent scores and continuous item scores for ``n`` respondents.

        Parameters
        ----------
        n : int
        rng : numpy.random.Generator
        means : dict, optional
            construct -> shift of its intercept in standard-deviation units
            (a latent mean difference; the shift of a predictor carries on to
            its targets through the paths).

        Returns
        -------
        (latent, items) : two pandas.DataFrame
            Latent scores (one column per construct, spec order) and the
            continuous item scores (one column per item, keyed with the construct).
        """
        means = dict(means or {})
        cons = list(self.latent_corr.index)
        eta: dict[str, np.ndarray] = {}
        ex = list(self.exogenous)
        if ex:
            r = self.latent_corr.loc[ex, ex].to_numpy()
            z = rng.standard_normal((n, len(ex))) @ np.linalg.cholesky(r).T
            for k, c in enumerate(ex):
                eta[c] = z[:, k] + means.get(c, 0.0)
        for c in self.order:
            if c in eta:
                continue
            v = rng.standard_normal(n) * np.sqrt(self.residual_variances[c]) + means.get(c, 0.0)
            for (s, t), b in self.paths.items():
                if t == c:
                    v = v + b * eta[s]
            for (h, d), g in self.second_order_loadings.items():  # a dimension of a second-order construct
                if d == c:
                    v = v + g * eta[h]
            eta[c] = v
        latent = pd.DataFrame({c: eta[c] for c in cons})
        e = rng.standard_normal((n, len(self.items)))
        cols = {}
        for k, i in enumerate(self.items):
            lam = self.loadings[i]
            cols[i] = lam * eta[self.item_construct[i]] + np.sqrt(1.0 - lam * lam) * e[:, k]
        return latent, pd.DataFrame(cols)


def _path_key(key, where: str) -> tuple[str, str]:
    if isinstance(key, str) and "->" in key:
        a, b = (s.strip() for s in key.split("->", 1))
        return a, b
    if isinstance(key, tuple) and len(key) == 2 and all(isinstance(s, str) for s in key):
        return key
    raise InputError(f"{where}: {key!r} is not a path; expected 'SOURCE -> TARGET' or a (source, target) pair")


def _number(v, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
        raise InputError(f"{where}: {v!r} is not a finite number")
    return float(v)


def population_model(
    mechanism: Mechanism,
    *,
    loadings: float | Mapping[str, float] = DEFAULT_LOADING,
    paths: float | Mapping = DEFAULT_BETA,
    exogenous_corr: float | pd.DataFrame = DEFAULT_EXOGENOUS_CORR,
) -> PopulationModel:
    """Build the standardised population model of a mechanism.

    Parameters
    ----------
    mechanism : Mechanism
        From :func:`instruments.spec.load_spec`.
    loadings : float or dict, default 0.7
        One standardised loading for every item, or ``{item_id: loading}``
        (items not named get :data:`DEFAULT_LOADING`). The dict may also name the
        dimensions of a second-order construct, ``{dimension_id: loading}``: the
        dimension's standardised loading on its second-order construct
        (:data:`DEFAULT_SECOND_ORDER_LOADING` when not named).
    paths : float or dict, default 0.2
        One standardised coefficient for every path of the mechanism, or
        ``{"SOURCE -> TARGET": beta}`` (keys may also be ``(source, target)``
        pairs). Paths not named get :data:`DEFAULT_BETA`; direct paths
        (``direct_paths`` in the spec) get 0 unless named.
    exogenous_corr : float or pandas.DataFrame, default 0.3
        The correlation of every pair of exogenous constructs (those with no
        incoming path), or a full correlation matrix indexed by them.

    Returns
    -------
    PopulationModel

    Raises
    ------
    InputError
        A loading with ``|loading| >= 1`` (naming the item); a path that is
        not in the mechanism; a construct whose implied residual variance
        would be ``<= 0`` (naming the construct); an exogenous correlation
        matrix that is not a correlation matrix.

    Notes
    -----
    Exogenous latent variables are multivariate normal with unit variances and
    the given correlations. An endogenous construct is
    ``eta = sum_k beta_k * eta_k + zeta`` with
    ``var(zeta) = 1 - b' Phi_P b`` (``Phi_P`` the correlation matrix of its
    predictors), so every latent variable has variance 1 and the betas are
    standardised coefficients. The latent correlation matrix is built in
    topological order: ``cov(eta, x) = sum_k beta_k cov(eta_k, x)`` for any
    construct ``x`` earlier in the order (the disturbance is independent of
    them). An item is ``x = l * eta + sqrt(1 - l^2) * e``, so ``l`` is its
    standardised loading. A dimension ``d`` of a second-order construct ``H`` is
    ``d = g * H + zeta`` with ``var(zeta) = 1 - g^2`` (``g`` its standardised
    second-order loading), the population of lavaan's ``H =~ d1 + d2 + ...``; the
    dimensions correlate only through ``H``.
    """
    mech = mechanism
    cons = list(mech.constructs)
    item_construct = {it.id: it.construct for it in mech.items}
    reverse = {it.id: it.reverse for it in mech.items}
    dim_of = {d: c.id for c in mech.constructs.values() for d in c.dimensions}

    # second-order loadings
    gam: dict[tuple[str, str], float] = {}
    for d, h in dim_of.items():
        g = (
            _number(loadings.get(d, DEFAULT_SECOND_ORDER_LOADING), f"loadings[{d}]")
            if isinstance(loadings, Mapping)
            else DEFAULT_SECOND_ORDER_LOADING
        )
        if abs(g) >= 1:
            raise InputError(
                f"dimension {d}: the standardised loading {g:g} on {h} is not between -1 and 1 "
                "(exclusive); the dimension's residual variance 1 - loading^2 would be <= 0"
            )
        gam[(h, d)] = g

    # loadings
    lam: dict[str, float] = {}
    if isinstance(loadings, Mapping):
        unknown = [k for k in loadings if k not in item_construct and k not in dim_of]
        if unknown:
            what = "an item" if not dim_of else "an item or a dimension of a second-order construct"
            raise InputError(
                f"loadings: {', '.join(map(str, unknown))} is not {what} of mechanism "
                f"'{mech.id}'; expected one of {', '.join(list(item_construct) + list(dim_of))}"
            )
        for i in item_construct:
            lam[i] = _number(loadings.get(i, DEFAULT_LOADING), f"loadings[{i}]")
    else:
        value = _number(loadings, "loadings")
        lam = {i: value for i in item_construct}
    for i, v in lam.items():
        if abs(v) >= 1:
            raise InputError(
                f"item {i}: the standardised loading {v:g} is not between -1 and 1 "
                "(exclusive); the item's unique variance 1 - loading^2 would be <= 0"
            )

    # paths
    spec_paths = {(p.source, p.target): DEFAULT_BETA for p in mech.paths}
    spec_paths.update({(p.source, p.target): 0.0 for p in mech.direct_paths})
    if isinstance(paths, Mapping):
        beta = {k: v for k, v in spec_paths.items()}
        for key, v in paths.items():
            k = _path_key(key, "paths")
            if k not in spec_paths:
                raise InputError(
                    f"paths: '{k[0]} -> {k[1]}' is not a path of mechanism '{mech.id}' "
                    "(neither in paths nor in direct_paths of the spec)"
                )
            beta[k] = _number(v, f"paths['{k[0]} -> {k[1]}']")
    else:
        value = _number(paths, "paths")
        beta = {k: (value if v else 0.0) for k, v in spec_paths.items()}
        beta.update({(p.source, p.target): 0.0 for p in mech.direct_paths})
    beta = {k: v for k, v in beta.items() if v != 0.0}

    # topological order (paths incl. direct ones define the graph; zero betas too)
    preds: dict[str, list[str]] = {c: [] for c in cons}
    for s, t in spec_paths:
        preds[t].append(s)
    for h, d in gam:  # a dimension follows its second-order construct
        preds[d].append(h)
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(cons):
        progressed = False
        for c in cons:
            if c not in done and all(p in done for p in preds[c]):
                order.append(c)
                done.add(c)
                progressed = True
        if not progressed:  # pragma: no cover - load_spec refuses cycles
            raise InputError(f"mechanism '{mech.id}': the paths form a cycle")
    exogenous = [c for c in cons if not preds[c]]

    # exogenous correlations
    m = len(exogenous)
    if isinstance(exogenous_corr, pd.DataFrame):
        missing = [c for c in exogenous if c not in exogenous_corr.index or c not in exogenous_corr.columns]
        if missing:
            raise InputError(
                f"exogenous_corr: the matrix has no row/column for {', '.join(missing)}; "
                f"expected rows and columns {', '.join(exogenous)}"
            )
        r_ex = exogenous_corr.loc[exogenous, exogenous].to_numpy(dtype=float)
        if not np.allclose(r_ex, r_ex.T) or not np.allclose(np.diag(r_ex), 1.0):
            raise InputError("exogenous_corr: expected a symmetric matrix with 1 on the diagonal")
    else:
        r0 = _number(exogenous_corr, "exogenous_corr")
        r_ex = np.full((m, m), r0)
        np.fill_diagonal(r_ex, 1.0)
    if m and np.linalg.eigvalsh(r_ex).min() <= 1e-10:
        raise InputError(
            f"exogenous_corr: the correlations of {', '.join(exogenous)} do not form a "
            "positive definite correlation matrix (for one common value r with "
            f"{m} constructs, expected {-1 / max(m - 1, 1):.3f} < r < 1)"
        )

    # implied latent covariance, topological order
    idx = {c: k for k, c in enumerate(order)}
    phi = np.zeros((len(cons), len(cons)))
    for a, ca in enumerate(exogenous):
        for b, cb in enumerate(exogenous):
            phi[idx[ca], idx[cb]] = r_ex[a, b]
    resid: dict[str, float] = {}
    for c in order:
        if c in exogenous:
            continue
        src = [(s, b) for (s, t), b in {**beta, **gam}.items() if t == c]
        k = idx[c]
        for x in order[:k]:
            cov = sum(b * phi[idx[s], idx[x]] for s, b in src)
            phi[k, idx[x]] = phi[idx[x], k] = cov
        bvec = np.array([b for _, b in src])
        sidx = [idx[s] for s, _ in src]
        explained = float(bvec @ phi[np.ix_(sidx, sidx)] @ bvec) if src else 0.0
        rv = 1.0 - explained
        if rv <= 1e-9:
            named = ", ".join(f"{s} -> {c} = {b:g}" for s, b in src)
            raise InputError(
                f"construct {c}: the paths into it ({named}) explain {explained:.3f} of its variance, "
                f"so its residual variance would be {rv:.3f} <= 0; expected paths that explain less "
                "than 1 (lower the coefficients or the exogenous correlations)"
            )
        resid[c] = rv
        phi[k, k] = 1.0
    latent_corr = pd.DataFrame(phi, index=order, columns=order).loc[cons, cons]
    return PopulationModel(
        mechanism=mech.id,
        order=tuple(order),
        exogenous=tuple(exogenous),
        item_construct=item_construct,
        reverse=reverse,
        loadings=lam,
        paths={k: beta[k] for k in spec_paths if k in beta},
        residual_variances={c: resid[c] for c in cons if c in resid},
        latent_corr=latent_corr,
        second_order_loadings=gam,
    )


# --------------------------------------------------------------------------- discretising


def default_thresholds(scale: Scale) -> np.ndarray:
    """Default cut points on the standard normal for a ``k``-point scale.

    ``k - 1`` equally spaced thresholds from -2.1 to 1.1 (one threshold at
    -0.5 for a 2-point scale). They put more answers on the agreeing side,
    as agreement scales usually do: for a 7-point scale the expected shares
    of codes 1..7 are about 2, 5, 13, 22, 25, 19 and 14 %, a mean of about
    4.6 and a mild left skew.
    """
    k = scale.max - scale.min + 1
    if k == 2:
        return np.array([-0.5])
    return np.linspace(-2.1, 1.1, k - 1)


def _check_thresholds(thresholds, scale: Scale) -> np.ndarray:
    if thresholds is None:
        return default_thresholds(scale)
    t = np.asarray(thresholds, dtype=float).ravel()
    k = scale.max - scale.min + 1
    if t.size != k - 1 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise InputError(
            f"thresholds: {[round(float(v), 4) for v in t]} are not {k - 1} increasing finite numbers; "
            f"expected {k - 1} cut points for the scale {scale.min}-{scale.max}"
        )
    return t


def _cut(x: np.ndarray, t: np.ndarray, scale: Scale) -> np.ndarray:
    return scale.min + np.digitize(x, t)


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0):
        return np.random.default_rng(seed)
    raise InputError(f"seed: {seed!r} is not a non-negative whole number or a numpy Generator")


def _check_n(n, where: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"{where}: {n!r} is not a whole number of respondents >= 1")
    return int(n)


def _check_means(group_effects, mech: Mechanism, where: str) -> dict[str, float]:
    if not group_effects:
        return {}
    out = {}
    for c, v in group_effects.items():
        if c not in mech.constructs:
            raise InputError(
                f"{where}: '{c}' is not a construct of mechanism '{mech.id}'; "
                f"expected one of {', '.join(mech.constructs)}"
            )
        out[c] = _number(v, f"{where}[{c}]")
    return out


def simulate_mechanism(
    mechanism: Mechanism,
    scale: Scale,
    n: int,
    *,
    loadings: float | Mapping[str, float] = DEFAULT_LOADING,
    paths: float | Mapping = DEFAULT_BETA,
    exogenous_corr: float | pd.DataFrame = DEFAULT_EXOGENOUS_CORR,
    seed: int | np.random.Generator | None = None,
    thresholds=None,
    group_effects: Mapping[str, float] | None = None,
    continuous: bool = False,
) -> pd.DataFrame:
    """Simulate answers of ``n`` respondents to the items of one mechanism.

    Parameters
    ----------
    mechanism : Mechanism
    scale : Scale
        The response scale (``spec.scale``).
    n : int
        Number of respondents.
    loadings, paths, exogenous_corr
        The population, as in :func:`population_model`.
    seed : int or numpy.random.Generator, optional
        The same seed gives the same data.
    thresholds : sequence of float, optional
        ``k - 1`` increasing cut points on the standard-normal item scores for
        a ``k``-point scale; default :func:`default_thresholds`.
    group_effects : dict, optional
        construct -> latent mean (intercept) shift in standard-deviation units.
    continuous : bool, default False
        Return the continuous item scores instead of codes (keyed with the
        construct: reverse-keyed items are not reversed).

    Returns
    -------
    pandas.DataFrame
        One row per respondent, one column per item (spec order), integer
        codes of the scale (``int64``). Reverse-keyed items are stored as a
        respondent would answer them: recoding ``min + max - x`` makes them
        load positively.

    Raises
    ------
    InputError
        As :func:`population_model`, and for bad ``n``, ``thresholds``,
        ``group_effects`` or ``seed``.

    Notes
    -----
    The item score ``x = l * eta + sqrt(1 - l^2) * e`` is cut at the
    thresholds ``t``: code ``min + #{t_j <= x}``. A reverse-keyed item gets
    ``min + max - code``. Cutting attenuates Pearson correlations (a
    7-point item keeps roughly 0.9 of the continuous correlation); the
    population values of :meth:`PopulationModel.item_corr` are those of the
    continuous scores, which a polychoric correlation estimates.

    Examples
    --------
    >>> from instruments.spec import load_spec
    >>> spec = load_spec()
    >>> df = simulate_mechanism(spec.mechanisms["producer"], spec.scale, 5, seed=1)
    >>> df.shape
    (5, 60)
    """
    n = _check_n(n, "n")
    rng = _rng(seed)
    t = _check_thresholds(thresholds, scale)
    means = _check_means(group_effects, mechanism, "group_effects")
    pop = population_model(mechanism, loadings=loadings, paths=paths, exogenous_corr=exogenous_corr)
    _, x = pop.draw(n, rng, means)
    if continuous:
        return x
    return _codes(x, pop, t, scale)


def _codes(x: pd.DataFrame, pop: PopulationModel, t: np.ndarray, scale: Scale) -> pd.DataFrame:
    out = {}
    for i in x.columns:
        c = _cut(x[i].to_numpy(), t, scale)
        out[i] = (scale.min + scale.max - c) if pop.reverse[i] else c
    return pd.DataFrame(out).astype("int64")


# --------------------------------------------------------------------------- study


@dataclass(frozen=True)
class Careless:
    """How many careless respondents to put into each mechanism's data.

    Each replaces an ordinary respondent of a random group, and each shows
    one kind of carelessness only:

    * ``straightliners`` give one code (drawn at random) to every item and
      to the attention check, in an ordinary time;
    * ``speeders`` answer every item at random (uniform codes) in about
      1.5 seconds per question;
    * ``attention_failures`` answer like anyone else but give a wrong code
      (drawn at random from the codes not expected) to every attention check;
    * ``outliers`` give every item the lowest or the highest code at random
      (a large Mahalanobis distance, not a straight line), in an ordinary time.
    """

    straightliners: int = 0
    speeders: int = 0
    attention_failures: int = 0
    outliers: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "straightliner": self.straightliners,
            "speeder": self.speeders,
            "attention_failure": self.attention_failures,
            "outlier": self.outliers,
        }


@dataclass(frozen=True)
class SimulatedStudy:
    """The result of :func:`simulate_study`.

    Attributes
    ----------
    data : dict
        mechanism id -> pandas.DataFrame with columns ``resp_id``, the
        questions of section 1 (consent, screeners, background; a "please
        specify" text column after its question), ``duration_sec``, the
        items and attention checks in questionnaire order, then the closing
        background questions. Answers are integer codes
        (nullable ``Int64``; missing answers are ``<NA>``).
    population : dict
        (mechanism id, group code) -> :class:`PopulationModel`.
    careless : pandas.DataFrame
        Columns ``mechanism``, ``resp_id``, ``kind`` (straightliner, speeder,
        attention_failure, outlier), ``group``, ``detail``.
    missing : pandas.DataFrame
        Columns ``mechanism``, ``n_cells``, ``n_missing``,
        ``n_not_applicable``: the item answers blanked at random, and those
        given the "not applicable" code.
    seed : int or None
    """

    data: dict[str, pd.DataFrame]
    population: dict[tuple[str, int], PopulationModel]
    careless: pd.DataFrame
    missing: pd.DataFrame
    seed: int | None = None

    def parameters(self) -> pd.DataFrame:
        """Population values of every mechanism and group: columns ``mechanism``, ``group``, ``lhs``, ``op``, ``rhs``, ``value``."""
        frames = []
        for (mid, g), pop in self.population.items():
            p = pop.parameters()
            p.insert(0, "group", g)
            p.insert(0, "mechanism", mid)
            frames.append(p)
        return pd.concat(frames, ignore_index=True)


# Plausible answer shares for the bundled background questions, by id and number of choices.
_BACKGROUND_WEIGHTS: dict[tuple[str, int], list[float]] = {
    ("frequency", 4): [0.45, 0.30, 0.18, 0.07],
    ("tenure", 4): [0.12, 0.30, 0.35, 0.23],
    ("tenure", 5): [0.10, 0.18, 0.22, 0.30, 0.20],
    ("years_creating", 5): [0.25, 0.25, 0.20, 0.20, 0.10],
    ("followers", 5): [0.35, 0.30, 0.22, 0.10, 0.03],
    ("earns", 2): [0.55, 0.45],
    ("mcn", 3): [0.15, 0.75, 0.10],
    ("shopping", 4): [0.30, 0.20, 0.35, 0.15],
    ("gender", 3): [0.44, 0.53, 0.03],
    ("gender", 2): [0.46, 0.54],
    ("age", 5): [0.34, 0.30, 0.22, 0.10, 0.04],
    ("education", 4): [0.15, 0.25, 0.45, 0.15],
    ("income", 6): [0.25, 0.28, 0.22, 0.12, 0.05, 0.08],
    ("region", 6): [0.18, 0.22, 0.25, 0.22, 0.12, 0.01],
}
_ROLE_WEIGHTS = {"producer": [0.60, 0.0, 0.40, 0.0, 0.0], "consumer": [0.0, 0.80, 0.20, 0.0, 0.0]}


def _background_answers(q, mid: str, n: int, rng: np.random.Generator):
    """Answers of ``n`` respondents who completed the survey of ``mid``.

    A consent or screener answer that would end the survey is never drawn
    (the respondents simulated are the ones who answered the items); an
    "other" choice is drawn like any other, its "please specify" text left
    empty.
    """
    codes = [c.code for c in q.choices]
    if q.type == "single":
        w = _BACKGROUND_WEIGHTS.get((q.id, len(codes)))
        if q.id == "role" and len(codes) == 5 and mid in _ROLE_WEIGHTS:
            w = _ROLE_WEIGHTS[mid]
        w = np.ones(len(codes)) if w is None else np.asarray(w, dtype=float)
        ends = q.ends_for(mid)
        if ends:
            w = np.where(np.isin(codes, ends), 0.0, w)
            if w.sum() == 0:  # the weights named only answers that end the survey
                w = np.where(np.isin(codes, ends), 0.0, 1.0)
        p = w / np.sum(w)
        return pd.array(rng.choice(codes, size=n, p=p), dtype="Int64")
    if q.type == "multiple":
        out = []
        for _ in range(n):
            k = int(rng.integers(1, min(3, len(codes)) + 1))
            out.append(";".join(str(c) for c in sorted(rng.choice(codes, size=k, replace=False))))
        return out
    if q.type == "number":
        if q.min is not None or q.max is not None:  # a bounded count (minutes a day): log-normal, median 60
            x = np.round(np.exp(np.log(60) + 0.7 * rng.standard_normal(n)))
            x = np.clip(x, q.min if q.min is not None else -np.inf, q.max if q.max is not None else np.inf)
            return pd.array(x.astype(np.int64), dtype="Int64")
        return pd.array(rng.integers(18, 61, size=n), dtype="Int64")
    return [""] * n  # free text left empty


def _question_columns(spec, lay, mid: str, n: int, rng: np.random.Generator, group, single: bool) -> dict:
    """Answers to the questions of one section (``lay.background`` or ``lay.closing``), with specify columns."""
    from instruments.spec import specify_id

    gq = spec.group_question
    cols: dict[str, object] = {}
    for _, q in lay:
        if q is gq and not single:
            cols[q.id] = pd.array(group, dtype="Int64")
        else:
            cols[q.id] = _background_answers(q, mid, n, rng)
        if q.ask_if is not None and q.ask_if.question in cols:
            src = cols[q.ask_if.question]
            asked = np.array([_answered_with(v, q.ask_if.answers) for v in src], dtype=bool)
            v = cols[q.id]
            if isinstance(v, list):
                cols[q.id] = [x if a else None for x, a in zip(v, asked)]
            else:
                cols[q.id] = pd.array([x if a else pd.NA for x, a in zip(v, asked)], dtype=v.dtype)
        for ch in q.specify_choices:
            cols[specify_id(q, ch)] = [""] * n
    return cols


def _answered_with(v, answers) -> bool:
    if v is None or v is pd.NA:
        return False
    if isinstance(v, str):
        return any(str(a) in v.split(";") for a in answers)
    return int(v) in answers


def simulate_study(
    spec: ModelSpec,
    n_per_group: Mapping[int, int] | int,
    *,
    mechanisms: list[str] | None = None,
    loadings: float | Mapping[str, float] = DEFAULT_LOADING,
    paths: float | Mapping = DEFAULT_BETA,
    exogenous_corr: float | pd.DataFrame = DEFAULT_EXOGENOUS_CORR,
    path_differences: Mapping[int, Mapping] | None = None,
    group_effects: Mapping[int, Mapping[str, float]] | None = None,
    thresholds=None,
    careless: Careless | None = None,
    missing_rate: float = 0.0,
    not_applicable_rate: float = 0.0,
    seed: int | None = None,
) -> SimulatedStudy:
    """Simulate a multi-group survey study, one table per mechanism.

    Parameters
    ----------
    spec : ModelSpec
    n_per_group : dict or int
        ``{group_code: n}``, the group codes being codes of the spec's group
        question (the platform); an int is one group of that size (then the
        group question, if any, is answered at random and all respondents
        share one population, stored under group 0).
    mechanisms : list of str, optional
        Mechanism ids to simulate; default all.
    loadings : float or dict
        As in :func:`population_model`; a dict is keyed by item id (ids are
        unique in a spec) or by the id of a second-order construct's dimension
        (its second-order loading), and those of other mechanisms are ignored.
    paths : float or dict
        As in :func:`population_model`; a dict key applies to every simulated
        mechanism that has that path, and a key no mechanism has is an error.
    exogenous_corr : float or pandas.DataFrame
    path_differences : dict, optional
        ``{group_code: {"A -> B": beta}}``: path coefficients that differ in
        one group (they replace the common value there).
    group_effects : dict, optional
        ``{group_code: {construct: shift}}``: latent mean (intercept) shifts.
    thresholds : sequence of float, optional
        As in :func:`simulate_mechanism`.
    careless : Careless, optional
        Careless respondents to inject into each mechanism's data.
    missing_rate : float, default 0
        Share of item answers (not background, not attention checks, not
        the careless respondents' answers) blanked completely at random.
    not_applicable_rate : float, default 0
        Share of the answers to items that offer "not applicable" (the
        ordinary respondents') given that answer, completely at random: the
        cell holds the spec's N/A code (8 by default), as a survey platform
        would export it, and ingest reads it as missing and counts it.
    seed : int, optional
        The same seed gives identical output. Each mechanism draws from its
        own stream (``numpy.random.SeedSequence(seed).spawn``), so dropping
        one mechanism does not change the other's data.

    Returns
    -------
    SimulatedStudy

    Raises
    ------
    InputError
        Bad group codes or sizes, unknown mechanisms, paths or constructs, a
        population with a non-positive residual variance, more careless
        respondents than respondents, or a ``missing_rate`` outside [0, 0.5].

    Notes
    -----
    Rows are shuffled, so groups and careless respondents are interleaved,
    and ``resp_id`` numbers them in that order (``P0001``, ... with the
    mechanism's initial). Completion time ``duration_sec`` is log-normal with
    a median of 30 s plus 7 s per question (sigma 0.3); a speeder takes about
    1.5 s per question. Every ordinary respondent passes the attention check
    (the first expected code).
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise InputError(f"seed: {seed!r} is not a non-negative whole number")
    rng_root = np.random.SeedSequence(seed)
    mids = list(spec.mechanisms) if mechanisms is None else list(mechanisms)
    for m in mids:
        spec.mechanism(m)  # SpecError naming the unknown id
    gq = spec.group_question
    if isinstance(n_per_group, Mapping):
        if not n_per_group:
            raise InputError("n_per_group: is empty; expected {group_code: n, ...}")
        groups = {}
        for g, n in n_per_group.items():
            if gq is None:
                raise InputError(
                    "n_per_group: the spec has no background question with role: group, "
                    "so groups cannot be simulated; pass a single number instead"
                )
            if g not in [c.code for c in gq.choices]:
                raise InputError(
                    f"n_per_group: {g!r} is not a code of the group question '{gq.id}'; "
                    f"expected one of {', '.join(str(c.code) for c in gq.choices)}"
                )
            groups[int(g)] = _check_n(n, f"n_per_group[{g}]")
        single = False
    else:
        groups = {0: _check_n(n_per_group, "n_per_group")}
        single = True
    for name, d in (("path_differences", path_differences), ("group_effects", group_effects)):
        for g in d or {}:
            if g not in groups:
                raise InputError(f"{name}: group {g!r} is not simulated; expected one of {', '.join(map(str, groups))}")
    if isinstance(missing_rate, bool) or not isinstance(missing_rate, (int, float)) or not 0 <= missing_rate <= 0.5:
        raise InputError(f"missing_rate: {missing_rate!r} is not a share between 0 and 0.5")
    if (
        isinstance(not_applicable_rate, bool)
        or not isinstance(not_applicable_rate, (int, float))
        or not 0 <= not_applicable_rate <= 0.5
    ):
        raise InputError(f"not_applicable_rate: {not_applicable_rate!r} is not a share between 0 and 0.5")
    careless = careless or Careless()
    for kind, k in careless.counts().items():
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise InputError(f"careless: {k!r} {kind}s is not a whole number >= 0")
    t = _check_thresholds(thresholds, spec.scale)

    # route dict options to mechanisms, refusing keys that fit nowhere
    def split_paths(d, where):
        if not isinstance(d, Mapping):
            return {m: d for m in mids}
        out = {m: {} for m in mids}
        for key, v in d.items():
            k = _path_key(key, where)
            hit = False
            for m in mids:
                mech = spec.mechanisms[m]
                if k in {(p.source, p.target) for p in list(mech.paths) + list(mech.direct_paths)}:
                    out[m][k] = v
                    hit = True
            if not hit:
                raise InputError(
                    f"{where}: '{k[0]} -> {k[1]}' is not a path of "
                    f"{'mechanism' if len(mids) == 1 else 'any of the mechanisms'} "
                    f"{', '.join(mids)}"
                )
        return out

    common = split_paths(paths, "paths")
    diffs = {g: split_paths(d, f"path_differences[{g}]") for g, d in (path_differences or {}).items()}
    if isinstance(loadings, Mapping):
        all_items = {i for m in mids for i in spec.mechanisms[m].item_ids} | {
            d for m in mids for c in spec.mechanisms[m].constructs.values() for d in c.dimensions
        }
        unknown = [k for k in loadings if k not in all_items]
        if unknown:
            raise InputError(f"loadings: {', '.join(map(str, unknown))} is not an item of {', '.join(mids)}")
    for g, eff in (group_effects or {}).items():
        known = {c for m in mids for c in spec.mechanisms[m].constructs}
        for c in eff:
            if c not in known:
                raise InputError(f"group_effects[{g}]: '{c}' is not a construct of {', '.join(mids)}")

    from instruments._layout import layout

    data, population, careless_rows, missing_rows = {}, {}, [], []
    for m, ss in zip(mids, rng_root.spawn(len(mids))):
        mech = spec.mechanisms[m]
        rng = np.random.default_rng(ss)
        lay = layout(spec, mech)
        item_cols = [r.id for r in lay.rows]
        checks = {a.id: a for a in spec.attention_checks_for(m)}
        dims = {d for c in mech.constructs.values() for d in c.dimensions}
        load_m = (
            {i: v for i, v in loadings.items() if i in mech.item_ids or i in dims}
            if isinstance(loadings, Mapping)
            else loadings
        )
        frames = []
        for g, n in groups.items():
            p = common[m]
            if g in diffs:
                p = (
                    {**p, **diffs[g][m]}
                    if isinstance(p, Mapping)
                    else {**{(q.source, q.target): p for q in mech.paths}, **diffs[g][m]}
                )
            pop = population_model(mech, loadings=load_m, paths=p, exogenous_corr=exogenous_corr)
            population[(m, g)] = pop
            means = {c: v for c, v in (group_effects or {}).get(g, {}).items() if c in mech.constructs}
            _, x = pop.draw(n, rng, means)
            codes = _codes(x, pop, t, spec.scale)
            codes.insert(0, "__group", g)
            frames.append(codes)
        df = pd.concat(frames, ignore_index=True)
        perm = rng.permutation(len(df))
        group = df["__group"].to_numpy()[perm]
        items_only = mech.item_ids
        codes = np.array(df[items_only].to_numpy(dtype=np.int64)[perm], copy=True)
        n_all = len(df)
        att = {
            a.id: np.full(n_all, a.expected[0] if a.expected else spec.scale.min, dtype=np.int64)
            for a in checks.values()
        }
        n_q = len(lay.questions) + len(item_cols)
        duration = np.round(np.exp(np.log(30 + 7 * n_q) + 0.3 * rng.standard_normal(n_all))).astype(np.int64)

        # careless respondents
        counts = careless.counts()
        total = sum(counts.values())
        if total > n_all:
            raise InputError(
                f"careless: {total} careless respondents asked for mechanism '{m}', which has only {n_all} respondents"
            )
        rows = rng.choice(n_all, size=total, replace=False)
        lo, hi = spec.scale.min, spec.scale.max
        k = 0
        kinds = {}
        for kind in _CARELESS_KINDS:
            for _ in range(counts[kind]):
                r = int(rows[k])
                k += 1
                if kind == "straightliner":
                    code = int(rng.integers(lo, hi + 1))
                    codes[r, :] = code
                    for v in att.values():
                        v[r] = code
                    detail = f"every item and check answered {code}"
                elif kind == "speeder":
                    codes[r, :] = rng.integers(lo, hi + 1, size=len(items_only))
                    for v in att.values():
                        v[r] = int(rng.integers(lo, hi + 1))
                    sec = round(n_q * rng.uniform(1.2, 1.8))
                    duration[r] = sec
                    detail = f"random answers in {sec} s"
                elif kind == "attention_failure":
                    parts = []
                    for a in checks.values():
                        wrong = int(rng.choice([c for c in spec.scale.codes if c not in a.expected]))
                        att[a.id][r] = wrong
                        parts.append(f"{a.id} = {wrong}")
                    detail = "answered " + ", ".join(parts) if parts else "the mechanism has no attention check"
                else:
                    codes[r, :] = np.where(rng.random(len(items_only)) < 0.5, lo, hi)
                    detail = f"every item answered {lo} or {hi} at random"
                kinds[r] = (kind, detail)

        # missing answers (ordinary respondents' items only)
        values = codes.astype(float)
        ordinary = np.setdiff1d(np.arange(n_all), rows)
        n_missing = 0
        if missing_rate > 0:
            mask = rng.random((len(ordinary), len(items_only))) < missing_rate
            n_missing = int(mask.sum())
            sub = values[ordinary]
            sub[mask] = np.nan
            values[ordinary] = sub
        # "not applicable" answers (ordinary respondents, items that offer it, answers not already missing)
        n_na = 0
        na_items = [j for j, i in enumerate(items_only) if i in set(spec.not_applicable_items(m))]
        if not_applicable_rate > 0 and na_items:
            sub = values[np.ix_(ordinary, na_items)]
            mask = (rng.random(sub.shape) < not_applicable_rate) & ~np.isnan(sub)
            n_na = int(mask.sum())
            sub[mask] = spec.not_applicable.code
            values[np.ix_(ordinary, na_items)] = sub
        missing_rows.append((m, len(ordinary) * len(items_only), n_missing, n_na))

        # ids, questions, column order
        initial = m[0].upper()
        resp_id = [f"{initial}{i + 1:04d}" for i in range(n_all)]
        for r, (kind, detail) in sorted(kinds.items()):
            careless_rows.append((m, resp_id[r], kind, int(group[r]), detail))
        cols: dict[str, object] = {"resp_id": resp_id}
        cols.update(_question_columns(spec, lay.background, m, n_all, rng, group, single))
        cols["duration_sec"] = pd.array(duration, dtype="Int64")
        pos = {i: j for j, i in enumerate(items_only)}
        for c in item_cols:
            v = att[c] if c in att else values[:, pos[c]]
            cols[c] = pd.array(v, dtype="Float64").astype("Int64") if c not in att else pd.array(v, dtype="Int64")
        cols.update(_question_columns(spec, lay.closing, m, n_all, rng, group, single))
        data[m] = pd.DataFrame(cols)

    careless_df = pd.DataFrame(careless_rows, columns=["mechanism", "resp_id", "kind", "group", "detail"])
    if not careless_df.empty:
        rank = {**{k: i for i, k in enumerate(_CARELESS_KINDS)}, **{m: i for i, m in enumerate(mids)}}
        careless_df = careless_df.sort_values(
            ["mechanism", "kind", "resp_id"], key=lambda s: s.map(rank) if s.name != "resp_id" else s
        ).reset_index(drop=True)
    missing_df = pd.DataFrame(missing_rows, columns=["mechanism", "n_cells", "n_missing", "n_not_applicable"])
    return SimulatedStudy(data, population, careless_df, missing_df, seed)
