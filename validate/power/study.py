"""Monte Carlo power analysis: how many respondents a mechanism's paths and indirect effects need.

Sample-size planning as simsem, semPower's simulation mode and Mplus'
``MONTECARLO`` do it: draw many data sets from a population model, fit the
model to each, and count how often each hypothesis is detected.

Population
    The mechanism's standardised population (:func:`validate.power.simulate.population_model`):
    latent variables with variance 1, standardised loadings and paths, items
    with variance 1 cut into the spec's scale points at the simulator's default
    thresholds (:func:`validate.power.simulate.default_thresholds`). The values are
    the ones the user states; where none are stated, values the spec declares
    (a path attribute ``expected_std``; no spec declares any today) or
    conventional ones (:data:`CONVENTIONAL_LOADING` .70,
    :data:`CONVENTIONAL_PATH` .30; direct paths 0). Every value that was not
    stated is listed in :attr:`PowerResult.assumptions`.
Replication
    Replication ``r`` at the ``i``-th sample size draws its data from a
    generator seeded by ``SeedSequence(seed, spawn_key=(i, r))`` and nothing
    else, so the same seed gives identical results on one process, many local
    processes, or a Dask cluster (:mod:`validate.executors`). Reverse-keyed items
    are analysed recoded (as the validation pipeline does), the model is the
    mechanism's lavaan syntax (first loading fixed to 1) fitted by ML from the
    sample moments (:func:`validate.sem.fit_moments`, lavaan's ``sem()``
    defaults), with expected-information standard errors.

Functions
---------
power_study
    Run the study; returns a :class:`PowerResult` (tables, required n, plot,
    ``write(out_dir)``).
required_n
    Smallest sample size reaching a target power, interpolated on the grid.
load_effects
    Read expected effects (paths, loadings, exogenous correlation) from YAML/JSON.
parse_assume_std
    ``["A -> B=0.3", "0.25"]`` (command-line values) -> effects and a common value.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from instruments.errors import InputError
from instruments.spec import Mechanism, ModelSpec, Scale
from validate.power.simulate import DEFAULT_EXOGENOUS_CORR, default_thresholds, population_model
from validate.structural.bootstrap import progress_bar
from validate.structural.mediation import enumerate_chains

__all__ = [
    "CONVENTIONAL_LOADING",
    "CONVENTIONAL_PATH",
    "PowerResult",
    "load_effects",
    "parse_assume_std",
    "power_study",
    "required_n",
]

#: Standardised loading of every item when none is stated.
CONVENTIONAL_LOADING = 0.70
#: Standardised coefficient of every hypothesised path when none is stated.
CONVENTIONAL_PATH = 0.30

_Z975 = float(sps.norm.ppf(0.975))

# status of one replication
_OK, _INADMISSIBLE, _NOT_CONVERGED, _FAILED = 0, 1, 2, 3

#: Columns of :attr:`PowerResult.table`, with their meaning in English and Chinese.
COLUMNS: dict[str, tuple[str, str]] = {
    "n": ("sample size", "样本量"),
    "kind": (
        "path (hypothesised), direct (spec's direct path) or indirect (chain of paths)",
        "路径（假设）、直接路径或间接效应（路径链）",
    ),
    "effect": ("the path 'A -> B' or the chain 'A -> M -> B'", "路径“A -> B”或路径链“A -> M -> B”"),
    "population_std": (
        "standardised population value (product of the paths for a chain)",
        "总体标准化值（路径链为各路径之积）",
    ),
    "replications": ("replications run at this n", "该样本量下的重复次数"),
    "converged": (
        "replications that converged with standard errors (the power denominator)",
        "收敛且可计算标准误的重复次数（检验力的分母）",
    ),
    "converged_share": ("converged / replications", "收敛比例"),
    "admissible_share": (
        "share of replications that converged to an admissible solution "
        "(no negative variance, positive definite latent covariance)",
        "收敛且解可接受（无负方差、潜变量协方差正定）的比例",
    ),
    "power": (
        "share of converged replications with p < alpha (Wald z of the unstandardised estimate; "
        "for a chain the delta-method (Sobel) z of the product)",
        "收敛重复中 p < alpha 的比例（非标准化估计的 Wald z；路径链用 delta 法（Sobel）z）",
    ),
    "power_mcse": (
        "Monte Carlo standard error of power, sqrt(power (1 - power) / converged)",
        "检验力的蒙特卡洛标准误",
    ),
    "power_joint": (
        "chains only: share of converged replications in which every path of the chain has "
        "p < alpha (joint-significance test)",
        "仅路径链：链上每条路径均 p < alpha 的比例（联合显著性检验）",
    ),
    "mean_estimate": (
        "mean unstandardised estimate (first loading of each construct fixed to 1)",
        "非标准化估计均值（每个构念第一个载荷固定为 1）",
    ),
    "mean_se": ("mean standard error of the unstandardised estimate", "非标准化估计标准误均值"),
    "mean_std_estimate": ("mean standardised estimate (std.all)", "标准化估计均值（std.all）"),
    "bias": ("mean_std_estimate - population_std", "标准化估计均值减总体值"),
    "relative_bias": (
        "bias / population_std (empty when the population value is 0)",
        "相对偏差 = 偏差 / 总体值（总体值为 0 时为空）",
    ),
    "sd_std_estimate": (
        "standard deviation of the standardised estimates across replications (the empirical standard error)",
        "标准化估计在重复间的标准差（经验标准误）",
    ),
    "mean_std_se": ("mean delta-method standard error of the standardised estimate", "标准化估计 delta 法标准误均值"),
    "coverage": (
        "share of converged replications whose 95% Wald interval of the standardised estimate contains population_std",
        "标准化估计 95% Wald 区间覆盖总体值的比例",
    ),
}


# --------------------------------------------------------------------------- effects input


def _num(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
        raise InputError(f"{where}: {v!r} is not a finite number")
    return float(v)


def _path_key(key: Any, where: str) -> tuple[str, str]:
    if isinstance(key, tuple) and len(key) == 2 and all(isinstance(s, str) for s in key):
        return key[0].strip(), key[1].strip()
    if isinstance(key, str) and "->" in key:
        a, b = (s.strip() for s in key.split("->", 1))
        if a and b and "->" not in b:
            return a, b
    raise InputError(f"{where}: {key!r} is not a path; expected 'SOURCE -> TARGET', e.g. 'DRV -> ACT'")


def load_effects(path: str | Path) -> dict:
    """Read the expected standardised effects of a power study from a YAML or JSON file.

    Parameters
    ----------
    path : str or Path
        A mapping with ``paths`` (``"A -> B": value``), and optionally
        ``loadings`` (one value, or ``item: value``) and ``exogenous_corr``
        (one value). A file with only ``"A -> B": value`` entries at the top
        level is read as ``paths``.

    Returns
    -------
    dict
        Keys ``effects``, ``loadings``, ``exogenous_corr`` (``None`` when absent),
        ready for :func:`power_study`.

    Raises
    ------
    InputError
        The file cannot be read or parsed, or an entry is not a number,
        naming the file and the key.

    Examples
    --------
    ``effects.yaml``::

        paths:
          DRV -> ACT: 0.35
          ACT -> OUT: 0.25
        loadings: 0.75
    """
    import yaml

    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the effects file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: the effects file is not UTF-8 text; save it as UTF-8") from None
    try:
        doc = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{where}: not valid YAML/JSON ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(doc, Mapping) or not doc:
        raise InputError(
            f"{path}: expected a mapping with 'paths' (\"A -> B\": value), and optionally "
            "'loadings' and 'exogenous_corr'"
        )
    known = {"paths", "loadings", "exogenous_corr"}
    if not any(k in known for k in doc):
        doc = {"paths": dict(doc)}
    unknown = [str(k) for k in doc if k not in known]
    if unknown:
        raise InputError(f"{path}: unknown key(s) {', '.join(unknown)}; expected paths, loadings, exogenous_corr")
    paths = doc.get("paths") or {}
    if not isinstance(paths, Mapping):
        raise InputError(f"{path}: 'paths' must be a mapping of \"SOURCE -> TARGET\": value")
    effects = {}
    for k, v in paths.items():
        a, b = _path_key(k, f"{path}, paths")
        effects[f"{a} -> {b}"] = _num(v, f"{path}, paths['{a} -> {b}']")
    loadings = doc.get("loadings")
    if isinstance(loadings, Mapping):
        loadings = {str(k): _num(v, f"{path}, loadings['{k}']") for k, v in loadings.items()}
    elif loadings is not None:
        loadings = _num(loadings, f"{path}, loadings")
    ex = doc.get("exogenous_corr")
    if ex is not None:
        ex = _num(ex, f"{path}, exogenous_corr")
    return {"effects": effects, "loadings": loadings, "exogenous_corr": ex}


def parse_assume_std(values: Sequence[str]) -> tuple[dict[str, float], float | None]:
    """Parse command-line values ``PATH=VALUE`` (one path) or ``VALUE`` (every other path).

    Returns
    -------
    (effects, assume_std)
        ``{"A -> B": value}`` and the common value (``None`` when not given).

    Raises
    ------
    InputError
        A value that is not a number, a malformed path, or two common values.

    Examples
    --------
    >>> parse_assume_std(["DRV->ACT=0.4", "0.2"])
    ({'DRV -> ACT': 0.4}, 0.2)
    """
    effects: dict[str, float] = {}
    common = None
    for item in values:
        text = str(item).strip()
        if "=" in text:
            key, _, val = text.rpartition("=")
            a, b = _path_key(key, f"--assume-std {text}")
            try:
                effects[f"{a} -> {b}"] = _num(float(val), f"--assume-std {text}")
            except ValueError:
                raise InputError(
                    f"--assume-std {text}: {val.strip()!r} is not a number; expected PATH=VALUE, e.g. 'DRV -> ACT=0.3'"
                ) from None
        else:
            if common is not None:
                raise InputError(
                    f"--assume-std {text}: a common value ({common:g}) was already given; "
                    "give one VALUE for all paths and PATH=VALUE for the others"
                )
            try:
                common = _num(float(text), f"--assume-std {text}")
            except ValueError:
                raise InputError(
                    f"--assume-std {text}: expected PATH=VALUE (e.g. 'DRV -> ACT=0.3') or one VALUE for every path"
                ) from None
    return effects, common


# --------------------------------------------------------------------------- the job sent to workers


@dataclass(frozen=True)
class _Effect:
    kind: str  # "path" | "direct" | "indirect"
    nodes: tuple[str, ...]
    population_std: float

    @property
    def key(self) -> str:
        return " -> ".join(self.nodes)


@dataclass(frozen=True)
class _Job:
    """Everything a worker needs to run replications (picklable, small)."""

    mechanism: Mechanism
    scale: Scale
    loadings: Any
    paths: dict
    exogenous_corr: float
    thresholds: tuple
    syntax: str
    effects: tuple
    seed: int

    def cache_key(self) -> str:
        return json.dumps(
            [
                self.mechanism.id,
                self.syntax,
                repr(self.loadings),
                sorted((f"{s}->{t}", b) for (s, t), b in self.paths.items()),
                self.exogenous_corr,
                list(self.thresholds),
            ]
        )


class _Context:
    """Per-process state built once per job: the population, the parsed model, index arrays."""

    def __init__(self, job: _Job):
        from validate.sem import CompiledModel, parse_model

        self.pop = population_model(
            job.mechanism, loadings=job.loadings, paths=job.paths, exogenous_corr=job.exogenous_corr
        )
        self.model = parse_model(job.syntax, kind="sem")
        pm = self.model
        self.cm = CompiledModel(pm.partable, pm.ov_names, pm.lv_names, pm.ngroups, pm.meanstructure)
        self.t = np.asarray(job.thresholds, dtype=float)
        self.smin = job.scale.min
        items = self.pop.items
        self.cols = np.array([items.index(v) for v in pm.ov_names])
        cm = self.cm
        p = cm.p
        lv = {name: i for i, name in enumerate(cm.lv_names)}
        self.lv = lv
        b = cm.blocks[0]
        lat = set(b.A_k[(b.A_r >= p) & (b.A_c >= p)].tolist()) | set(b.S_k[(b.S_r >= p) & (b.S_c >= p)].tolist())
        self.lat_k = np.array(sorted(lat), dtype=np.intp)
        pt = pm.partable
        free_of = {}
        for r in pt.itertuples(index=False):
            if r.op == "~" and r.free > 0:
                free_of[(r.rhs, r.lhs)] = int(r.free) - 1
        self.effects = job.effects
        self.path_free = np.array([free_of[e.nodes] if e.kind != "indirect" else -1 for e in job.effects])
        # latent block of the RAM matrices: fixed part and the free cells
        self.B0 = b.A0[p:, p:].copy()
        self.P0 = b.S0[p:, p:].copy()
        ma = (b.A_r >= p) & (b.A_c >= p)
        self.B_r, self.B_c, self.B_k = b.A_r[ma] - p, b.A_c[ma] - p, b.A_k[ma]
        ms = (b.S_r >= p) & (b.S_c >= p)
        self.P_r, self.P_c, self.P_k = b.S_r[ms] - p, b.S_c[ms] - p, b.S_k[ms]
        # every effect as a product of up to L entries B[to, from]; padding points at a cell set to 1
        L = max(len(e.nodes) - 1 for e in job.effects)
        k = len(lv)
        self.pad = k  # B is extended by one row and column holding 1 at [k, k]
        self.e_to = np.full((len(job.effects), L), k, dtype=np.intp)
        self.e_from = np.full((len(job.effects), L), k, dtype=np.intp)
        for j, e in enumerate(job.effects):
            for a in range(len(e.nodes) - 1):
                self.e_from[j, a] = lv[e.nodes[a]]
                self.e_to[j, a] = lv[e.nodes[a + 1]]
        self.e_src = np.array([lv[e.nodes[0]] for e in job.effects], dtype=np.intp)
        self.e_tgt = np.array([lv[e.nodes[-1]] for e in job.effects], dtype=np.intp)

    def values(self, thetas: np.ndarray) -> np.ndarray:
        """Unstandardised then standardised value of every effect, one row per row of ``thetas``.

        ``B`` (paths among constructs) and ``Psi`` (their (residual) (co)variances)
        are filled for every row at once; the total latent covariance is
        ``T Psi T'`` with ``T = (I - B)^-1``; a chain's value is the product of
        its ``B`` entries and its standardised value that product times
        ``sd(source) / sd(target)`` (lavaan's std.all).
        """
        thetas = np.atleast_2d(thetas)
        m, k = len(thetas), len(self.B0)
        B = np.zeros((m, k + 1, k + 1))
        B[:, :k, :k] = self.B0
        B[:, self.B_r, self.B_c] = thetas[:, self.B_k]
        B[:, k, k] = 1.0
        Psi = np.broadcast_to(self.P0, (m, k, k)).copy()
        Psi[:, self.P_r, self.P_c] = thetas[:, self.P_k]
        Psi[:, self.P_c, self.P_r] = thetas[:, self.P_k]
        Bl = B[:, :k, :k]
        T = np.linalg.inv(np.eye(k) - Bl)
        cov = T @ Psi @ np.swapaxes(T, 1, 2)
        sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 1e-300, None))
        raw = np.prod(B[:, self.e_to, self.e_from], axis=2)
        std = raw * sd[:, self.e_src] / sd[:, self.e_tgt]
        return np.concatenate([raw, std], axis=1)


_CONTEXTS: dict[str, _Context] = {}


def _context(job: _Job) -> _Context:
    key = job.cache_key()
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        if len(_CONTEXTS) > 8:
            _CONTEXTS.clear()
        ctx = _CONTEXTS[key] = _Context(job)
    return ctx


def _draw_codes(ctx: _Context, seed: int, n_index: int, n: int, r: int) -> np.ndarray:
    """Item codes of replication ``r`` at the ``n_index``-th sample size, reverse-keyed items recoded.

    Equal to :func:`validate.power.simulate.simulate_mechanism` with the same
    generator followed by recoding reverse-keyed items (``min + max - code``).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(n_index, r)))
    _, x = ctx.pop.draw(n, rng)
    return ctx.smin + np.digitize(x.to_numpy()[:, ctx.cols], ctx.t)


def _replicate(ctx: _Context, seed: int, n_index: int, n: int, r: int):
    """One replication: (status, reason, array (E, 4) of est, se, std, std_se)."""
    from validate.sem import SemError, fit_moments
    from validate.sem.estimate import expected_information
    from validate.sem.model import SampleStats

    E = len(ctx.effects)
    out = np.full((E, 4), np.nan)
    Y = _draw_codes(ctx, seed, n_index, n, r).astype(float)
    mean = Y.mean(axis=0)
    S = np.cov(Y, rowvar=False, bias=True)
    if np.any(np.diag(S) <= 0):
        return _FAILED, "an item got the same answer from every simulated respondent", out
    try:
        fit = fit_moments(ctx.model, [S], [mean], [n], compute_se=False)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, SemError) as exc:
        return _FAILED, f"the model could not be fitted ({type(exc).__name__})", out
    if not fit.converged:
        return _NOT_CONVERGED, "did not converge", out
    theta = fit.theta
    try:
        info = expected_information(ctx.cm, theta, SampleStats([S], [mean], [n]))
        V = np.linalg.inv(info * n) if info is not None else None
    except np.linalg.LinAlgError:
        V = None
    if V is None or not np.all(np.isfinite(np.diag(V))) or np.any(np.diag(V) <= 0):
        return _FAILED, "standard errors could not be computed (singular information matrix)", out
    # delta method over the latent-structure parameters (paths, latent (co)variances):
    # central differences, all perturbed parameter vectors evaluated in one batch
    k = ctx.lat_k
    h = 1e-6 * np.maximum(1.0, np.abs(theta[k]))
    steps = np.zeros((2 * len(k) + 1, len(theta)))
    steps[1 + np.arange(len(k)), k] = h
    steps[1 + len(k) + np.arange(len(k)), k] = -h
    vals = ctx.values(theta[None, :] + steps)
    f0 = vals[0]
    J = ((vals[1 : 1 + len(k)] - vals[1 + len(k) :]) / (2 * h[:, None])).T
    var = np.einsum("ij,jk,ik->i", J, V[np.ix_(k, k)], J)
    se_all = np.sqrt(np.clip(var, 0, None))
    out[:, 0] = f0[:E]
    out[:, 1] = se_all[:E]
    out[:, 2] = f0[E:]
    out[:, 3] = se_all[E:]
    # paths: exactly lavaan's estimate and standard error
    pf = ctx.path_free
    is_path = pf >= 0
    out[is_path, 0] = theta[pf[is_path]]
    out[is_path, 1] = np.sqrt(np.diag(V)[pf[is_path]])
    status = _OK if fit.admissible else _INADMISSIBLE
    return status, ("inadmissible solution" if status else None), out


def _power_chunk(job: _Job, n_index: int, n: int, r0: int, r1: int):
    """Replications ``r0 .. r1-1`` at the ``n_index``-th sample size (runs on a worker)."""
    from validate.blas import single_threaded_blas

    ctx = _context(job)
    values = np.full((r1 - r0, len(job.effects), 4), np.nan)
    status = np.zeros(r1 - r0, dtype=np.int8)
    reasons: Counter = Counter()
    with single_threaded_blas():
        for j, r in enumerate(range(r0, r1)):
            st, why, vals = _replicate(ctx, job.seed, n_index, n, r)
            values[j] = vals
            status[j] = st
            if why:
                reasons[why] += 1
    return n_index, r0, values, status, reasons


# --------------------------------------------------------------------------- results


def required_n(ns: Sequence[int], power: Sequence[float], target: float = 0.8) -> tuple[int | None, str, str]:
    """Smallest sample size at which ``power`` reaches ``target``, interpolated on the grid.

    Parameters
    ----------
    ns : sequence of int
        Increasing sample sizes.
    power : sequence of float
        Power at each sample size (NaN where it could not be estimated).
    target : float

    Returns
    -------
    (n, status, note)
        ``status`` is ``"interpolated"`` (linear interpolation between the two
        grid points around the first crossing, rounded up), ``"at_or_below_min"``
        (already reached at the smallest n; ``n`` is that n), ``"not_reached"``
        (``n`` is None; note ``"> max n"``) or ``"unknown"`` (no power
        estimate at all).

    Examples
    --------
    >>> required_n([200, 300, 500], [0.5, 0.7, 0.9])
    (400, 'interpolated', 'interpolated between n = 300 (power 0.700) and n = 500 (power 0.900)')
    """
    ns = list(ns)
    pw = [float(x) for x in power]
    if not any(math.isfinite(x) for x in pw):
        return None, "unknown", "no converged replication"
    for i, x in enumerate(pw):
        if math.isfinite(x) and x >= target:
            if i == 0:
                return ns[0], "at_or_below_min", f"<= {ns[0]} (power {x:.3f} at the smallest n)"
            j = i - 1
            while j >= 0 and not math.isfinite(pw[j]):
                j -= 1
            if j < 0:
                return ns[i], "at_or_below_min", f"<= {ns[i]} (power {x:.3f})"
            n0, p0, n1, p1 = ns[j], pw[j], ns[i], x
            n_req = n1 if p1 == p0 else n0 + (target - p0) * (n1 - n0) / (p1 - p0)
            n_req = int(math.ceil(n_req - 1e-9))
            return (
                n_req,
                "interpolated",
                (f"interpolated between n = {n0} (power {p0:.3f}) and n = {n1} (power {p1:.3f})"),
            )
    last = [x for x in pw if math.isfinite(x)][-1]
    return None, "not_reached", f"> {ns[-1]} (power {last:.3f} at the largest n)"


def wilson_interval(power: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Monte Carlo 95% interval of a power estimated from ``n`` replications (Wilson score interval).

    Notes
    -----
    ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` (Wilson, 1927); unlike ``p ± z·mcse`` it stays
    inside 0-1 and is not of width 0 when every replication rejects. With 100 replications a power of .80
    has the interval [.71, .87]; with 1,000, [.77, .82].

    Examples
    --------
    >>> [round(x, 3) for x in wilson_interval(0.8, 100)]
    [0.711, 0.867]
    """
    if not n or not math.isfinite(power):
        return math.nan, math.nan
    z2 = z * z
    centre = (power + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(power * (1 - power) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def json_clean(x):
    if isinstance(x, Mapping):
        return {str(k): json_clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return json_clean(x.tolist())
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(float(x)) else None
    if x is pd.NA or x is None:
        return None
    return x


@dataclass
class PowerResult:
    """The result of :func:`power_study`.

    Attributes
    ----------
    mechanism : str
    ns : list of int
    replications : int
    seed : int
    alpha, target : float
    table : pandas.DataFrame
        One row per sample size and effect; columns in :data:`COLUMNS`
        (``n, kind, effect, population_std, replications, converged,
        converged_share, admissible_share, power, power_mcse, power_joint,
        mean_estimate, mean_se, mean_std_estimate, bias, relative_bias,
        sd_std_estimate, mean_std_se, coverage``).
    required : pandas.DataFrame
        One row per effect: ``kind, effect, population_std, n_required``
        (nullable integer), ``n_required_ci_lower`` and ``n_required_ci_upper``
        (the n reaching the target at the upper and lower end of each power's
        Monte Carlo interval, :func:`wilson_interval`; missing when not reached
        within the grid), ``status`` (see :func:`required_n`, or
        ``"zero_effect"``), ``note``.
    overall : dict
        ``n_all_paths``: the smallest n at which every hypothesised path with a
        non-zero population value reaches the target (None when one does not
        within the grid), with ``note``.
    assumptions, assumptions_zh : list of str
        Every value the population took that the user did not state, the
        tests used and how coverage is computed (English, Chinese).
    failures : dict
        n -> {reason: count} for replications that did not converge, failed,
        or converged to an inadmissible solution.
    population : pandas.DataFrame
        The population values (lavaan notation, from
        :meth:`validate.power.simulate.PopulationModel.parameters`).
    settings : dict
        Model syntax, thresholds, methods; ``run`` holds the executor and timing.
    """

    mechanism: str
    ns: list
    replications: int
    seed: int
    alpha: float
    target: float
    table: pd.DataFrame
    required: pd.DataFrame
    overall: dict
    assumptions: list
    assumptions_zh: list
    failures: dict
    population: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Power of each effect (rows) at each n (columns)."""
        wide = self.table.pivot(index="effect", columns="n", values="power")
        order = list(dict.fromkeys(self.table["effect"]))
        wide = wide.loc[order]
        wide.columns = [f"n={c}" for c in wide.columns]
        return wide.reset_index()

    def console_table(self, kinds: Sequence[str] = ("path", "direct", "indirect")) -> pd.DataFrame:
        """The table ``vcc power`` prints: one row per effect, text cells.

        Columns: ``effect``, ``assumed β`` (the population standardised value simulated), one
        ``n=N`` column per sample size with the power and its Monte Carlo 95% interval
        (:func:`wilson_interval`), and ``n for power T`` with the interval of that n (grid
        interpolation at both ends of the power intervals; ``> max`` when not reached).
        """
        rows = []
        req = self.required.set_index("effect")
        for key in dict.fromkeys(self.table["effect"]):
            sub = self.table[self.table["effect"] == key].sort_values("n")
            kind = sub["kind"].iloc[0]
            if kind not in kinds:
                continue
            row = {"effect": key, "assumed β": f"{sub['population_std'].iloc[0]:.2f}"}
            for r in sub.itertuples(index=False):
                lo, hi = wilson_interval(r.power, int(r.converged))
                row[f"n={r.n}"] = "—" if not math.isfinite(r.power) else f"{r.power:.2f} [{lo:.2f}, {hi:.2f}]"
            q = req.loc[key]
            top = f"> {self.ns[-1]}"

            def show(v, top=top):
                return top if v is pd.NA or v is None or (isinstance(v, float) and math.isnan(v)) else str(int(v))

            if q["status"] == "zero_effect":
                cell = "— (effect 0: power is the type I error)"
            elif q["status"] == "unknown":
                cell = "— (no converged replication)"
            else:
                cell = f"{show(q['n_required'])} [{show(q['n_required_ci_lower'])}, {show(q['n_required_ci_upper'])}]"
            row[f"n for power {self.target:g}"] = cell
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """JSON-able dictionary (NaN -> None) of everything in the result."""
        return json_clean(
            {
                "mechanism": self.mechanism,
                "ns": self.ns,
                "replications": self.replications,
                "seed": self.seed,
                "alpha": self.alpha,
                "target": self.target,
                "assumptions": {"en": self.assumptions, "zh": self.assumptions_zh},
                "overall": self.overall,
                "required_n": self.required.astype(object).where(self.required.notna(), None).to_dict("records"),
                "power": self.table.to_dict("records"),
                "failures": self.failures,
                "population": self.population.to_dict("records"),
                "columns": {k: {"en": v[0], "zh": v[1]} for k, v in COLUMNS.items()},
                "settings": self.settings,
            }
        )

    # ----------------------------------------------------------------- outputs
    def plot(self, fmt: str = "svg") -> bytes:
        """The power curves (power against n per effect, a dashed line at the target) as SVG or PNG bytes."""
        from validate.report.power import plot_power

        return plot_power(self, fmt)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``power.json``, ``power.xlsx``, ``power_curve.svg``, ``power_curve.png`` and ``power.html``.

        Every file is written atomically (:mod:`instruments.outputs`); text in
        workbook cells is made safe (:func:`instruments.outputs.safe_cell`) and
        text in the HTML page is escaped.
        """
        from instruments.outputs import atomic_write, write_bytes, write_text
        from validate.report.power import power_html, write_power_xlsx

        out = Path(out_dir)
        svg = self.plot("svg")
        png = self.plot("png")
        paths = [
            write_text(
                out / "power.json", json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
            ),
            atomic_write(out / "power.xlsx", lambda p: write_power_xlsx(self, p)),
            write_bytes(out / "power_curve.svg", svg),
            write_bytes(out / "power_curve.png", png),
            write_text(out / "power.html", power_html(self, svg)),
        ]
        return paths


def _aggregate(
    effects: Sequence[_Effect], ns: list[int], values: np.ndarray, status: np.ndarray, alpha: float
) -> pd.DataFrame:
    """values: (len(ns), R, E, 4); status: (len(ns), R)."""
    zcrit = float(sps.norm.isf(alpha / 2))
    rows = []
    path_pos = {e.nodes: j for j, e in enumerate(effects) if e.kind != "indirect"}
    for i, n in enumerate(ns):
        st = status[i]
        conv = st <= _INADMISSIBLE
        R = st.size
        nc = int(conv.sum())
        v = values[i][conv]  # (nc, E, 4)
        with np.errstate(divide="ignore", invalid="ignore"):
            sig = np.abs(v[:, :, 0] / v[:, :, 1]) > zcrit  # (nc, E)
        for j, e in enumerate(effects):
            est, se, std, sse = (v[:, j, k] for k in range(4))
            pop = e.population_std
            row = {
                "n": n,
                "kind": e.kind,
                "effect": e.key,
                "population_std": pop,
                "replications": R,
                "converged": nc,
                "converged_share": nc / R,
                "admissible_share": float(np.mean(st == _OK)),
            }
            if nc:
                pw = float(np.mean(sig[:, j]))
                joint = np.nan
                if e.kind == "indirect":
                    cols = [path_pos[(e.nodes[a], e.nodes[a + 1])] for a in range(len(e.nodes) - 1)]
                    joint = float(np.mean(np.all(sig[:, cols], axis=1)))
                lo, hi = std - _Z975 * sse, std + _Z975 * sse
                mstd = float(np.mean(std))
                row.update(
                    power=pw,
                    power_mcse=math.sqrt(pw * (1 - pw) / nc),
                    power_joint=joint,
                    mean_estimate=float(np.mean(est)),
                    mean_se=float(np.mean(se)),
                    mean_std_estimate=mstd,
                    bias=mstd - pop,
                    relative_bias=(mstd - pop) / pop if pop != 0 else np.nan,
                    sd_std_estimate=float(np.std(std, ddof=1)) if nc > 1 else np.nan,
                    mean_std_se=float(np.mean(sse)),
                    coverage=float(np.mean((lo <= pop) & (pop <= hi))),
                )
            rows.append(row)
    df = pd.DataFrame(rows)
    for c in COLUMNS:
        if c not in df:
            df[c] = np.nan
    return df[list(COLUMNS)]


def _required_table(effects, table: pd.DataFrame, ns: list[int], target: float) -> tuple[pd.DataFrame, dict]:
    rows = []
    for e in effects:
        sub = table[table["effect"] == e.key].sort_values("n")
        if e.population_std == 0:
            rows.append(
                {
                    "kind": e.kind,
                    "effect": e.key,
                    "population_std": 0.0,
                    "n_required": None,
                    "status": "zero_effect",
                    "note": "population value 0: the power column is the type I error rate",
                }
            )
            continue
        n_req, status, note = required_n(sub["n"].tolist(), sub["power"].tolist(), target)
        bounds = [wilson_interval(p, int(c)) for p, c in zip(sub["power"], sub["converged"])]
        # the n reaching the target where power is at the top / bottom of its Monte Carlo interval
        n_lo = required_n(sub["n"].tolist(), [b[1] for b in bounds], target)[0]
        n_hi = required_n(sub["n"].tolist(), [b[0] for b in bounds], target)[0]
        rows.append(
            {
                "kind": e.kind,
                "effect": e.key,
                "population_std": e.population_std,
                "n_required": n_req,
                "n_required_ci_lower": n_lo,
                "n_required_ci_upper": n_hi,
                "status": status,
                "note": note,
            }
        )
    req = pd.DataFrame(
        rows,
        columns=[
            "kind",
            "effect",
            "population_std",
            "n_required",
            "n_required_ci_lower",
            "n_required_ci_upper",
            "status",
            "note",
        ],
    )
    for c in ("n_required", "n_required_ci_lower", "n_required_ci_upper"):
        req[c] = pd.array(req[c].tolist(), dtype="Int64")
    hyp = req[(req["kind"] == "path") & (req["status"] != "zero_effect")]
    if hyp.empty:
        overall = {"n_all_paths": None, "note": "no hypothesised path with a non-zero population value"}
    elif hyp["n_required"].isna().any():
        missing = hyp.loc[hyp["n_required"].isna(), "effect"].tolist()
        overall = {
            "n_all_paths": None,
            "note": f"> {ns[-1]}: {len(missing)} path(s) do not reach power {target:g} within the grid "
            f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''})",
        }
    else:
        k = int(hyp["n_required"].max())
        overall = {
            "n_all_paths": k,
            "note": f"every hypothesised path reaches power {target:g} at n = {k} (the largest of the per-path values)",
        }
    return req, overall


# --------------------------------------------------------------------------- validation


def _check_ns(ns) -> list[int]:
    if isinstance(ns, (str, bytes)) or not isinstance(ns, Sequence) or len(ns) == 0:
        raise InputError(f"ns: {ns!r} is not a list of sample sizes; expected e.g. [200, 300, 500, 800]")
    out = []
    for v in ns:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InputError(f"ns: {v!r} is not a positive whole number of respondents")
        out.append(int(v))
    dup = sorted({v for v in out if out.count(v) > 1})
    if dup:
        raise InputError(f"ns: {', '.join(map(str, dup))} appears more than once; expected distinct sample sizes")
    return sorted(out)


def _resolve_spec(spec) -> ModelSpec:
    if isinstance(spec, ModelSpec):
        return spec
    from instruments.spec import load_spec

    return load_spec(spec)


def _population(mech: Mechanism, effects: Mapping[str, float], assume_std: float | None, loadings, exogenous_corr):
    """The population values and the assumption texts (en, zh)."""
    en: list[str] = []
    zh: list[str] = []
    spec_paths = {(p.source, p.target): p for p in mech.paths}
    direct = {(p.source, p.target): p for p in mech.direct_paths}
    stated: dict[tuple[str, str], float] = {}
    for key, v in (effects or {}).items():
        k = _path_key(key, "effects")
        if k not in spec_paths and k not in direct:
            raise InputError(
                f"effects: '{k[0]} -> {k[1]}' is not a path of mechanism '{mech.id}'; expected one "
                f"of {', '.join(f'{s} -> {t}' for s, t in list(spec_paths) + list(direct))}"
            )
        val = _num(v, f"effects['{k[0]} -> {k[1]}']")
        if abs(val) >= 1:
            raise InputError(
                f"effects['{k[0]} -> {k[1]}']: the standardised path {val:g} is not between -1 and 1 (exclusive)"
            )
        stated[k] = val
    if assume_std is not None:
        assume_std = _num(assume_std, "assume_std")
        if abs(assume_std) >= 1:
            raise InputError(f"assume_std: the standardised path {assume_std:g} is not between -1 and 1 (exclusive)")
    declared = {
        k: float(p.expected_std)
        for k, p in {**spec_paths, **direct}.items()
        if getattr(p, "expected_std", None) is not None and k not in stated
    }
    default_paths = [k for k in spec_paths if k not in stated and k not in declared]
    common = assume_std if assume_std is not None else CONVENTIONAL_PATH
    beta = {**{k: common for k in default_paths}, **declared, **stated}
    default_direct = [k for k in direct if k not in stated and k not in declared]
    beta.update({k: 0.0 for k in default_direct})
    if stated:
        en.append(f"Stated standardised paths: {', '.join(f'{s} -> {t} = {v:g}' for (s, t), v in stated.items())}.")
        zh.append(f"用户给定的标准化路径：{'，'.join(f'{s} -> {t} = {v:g}' for (s, t), v in stated.items())}。")
    if declared:
        en.append(f"Paths declared in the spec: {', '.join(f'{s} -> {t} = {v:g}' for (s, t), v in declared.items())}.")
        zh.append(f"模型文件声明的路径：{'，'.join(f'{s} -> {t} = {v:g}' for (s, t), v in declared.items())}。")
    if default_paths:
        names = ", ".join(f"{s} -> {t}" for s, t in default_paths)
        if assume_std is not None:
            en.append(f"Every other hypothesised path was given the stated common value {common:g}: {names}.")
            zh.append(f"其余假设路径取用户给定的统一值 {common:g}：{names}。")
        else:
            en.append(
                f"No effect size was stated for {len(default_paths)} hypothesised path(s) and the spec "
                f"declares none; they were given the conventional standardised value {common:g} "
                f"(a medium effect): {names}."
            )
            zh.append(
                f"{len(default_paths)} 条假设路径未给定效应量，模型文件也未声明；采用惯用的标准化值 "
                f"{common:g}（中等效应）：{names}。"
            )
    if default_direct:
        names = ", ".join(f"{s} -> {t}" for s, t in default_direct)
        en.append(f"Direct paths without a stated value are 0 in the population (full mediation): {names}.")
        zh.append(f"未给定值的直接路径在总体中为 0（完全中介）：{names}。")
    # loadings
    if loadings is None:
        lam: Any = CONVENTIONAL_LOADING
        en.append(
            f"Every standardised loading is the conventional {CONVENTIONAL_LOADING:.2f} "
            "(none stated, none declared in the spec)."
        )
        zh.append(f"所有标准化载荷取惯用值 {CONVENTIONAL_LOADING:.2f}（未给定，模型文件也未声明）。")
    elif isinstance(loadings, Mapping):
        lam = {str(k): _num(v, f"loadings['{k}']") for k, v in loadings.items()}
        rest = [i for i in mech.item_ids if i not in lam]
        en.append(
            f"Stated loadings for {len(lam)} item(s)"
            + (f"; the other {len(rest)} item(s) have the conventional {CONVENTIONAL_LOADING:.2f}." if rest else ".")
        )
        zh.append(
            f"{len(lam)} 个题项使用给定载荷"
            + (f"；其余 {len(rest)} 个题项取惯用值 {CONVENTIONAL_LOADING:.2f}。" if rest else "。")
        )
        lam = {**{i: CONVENTIONAL_LOADING for i in rest}, **lam}
    else:
        lam = _num(loadings, "loadings")
        en.append(f"Every standardised loading is the stated {lam:g}.")
        zh.append(f"所有标准化载荷取给定值 {lam:g}。")
    if exogenous_corr is None:
        exo = DEFAULT_EXOGENOUS_CORR
        en.append(f"Exogenous constructs correlate {exo:g} with each other (the simulator's default).")
        zh.append(f"外生构念之间的相关取模拟器默认值 {exo:g}。")
    else:
        exo = _num(exogenous_corr, "exogenous_corr")
        en.append(f"Exogenous constructs correlate {exo:g} with each other (stated).")
        zh.append(f"外生构念之间的相关取给定值 {exo:g}。")
    try:
        pop = population_model(mech, loadings=lam, paths=beta, exogenous_corr=exo)
    except InputError as exc:
        hint = []
        if default_paths and not stated and not declared:
            vmax = _largest_common(mech, default_paths, beta, lam, exo)
            how = "stated" if assume_std is not None else "conventional"
            hint.append(
                f"every hypothesised path was given the {how} value {common:g}, which is too large for "
                "this mechanism (the paths into a construct explain all of its variance); the largest "
                f"common value it allows is about {vmax:.2f}, where the paths would explain nearly all "
                "of the variance; realistic values are smaller"
            )
        hint.append(
            "state the effects you expect: an effects file (--effects FILE) or --assume-std "
            "PATH=VALUE / --assume-std VALUE"
        )
        raise InputError(exc.headline, problems=exc.problems + hint) from None
    return pop, beta, lam, exo, en, zh


def _largest_common(mech, default_paths, beta, lam, exo) -> float:
    lo, hi = 0.0, 0.999
    for _ in range(30):
        mid = (lo + hi) / 2
        try:
            population_model(mech, loadings=lam, paths={**beta, **{k: mid for k in default_paths}}, exogenous_corr=exo)
            lo = mid
        except InputError:
            hi = mid
    return math.floor(lo * 100) / 100


# --------------------------------------------------------------------------- main


def power_study(
    spec: ModelSpec | str | Path | None,
    mechanism_id: str | None,
    ns: Sequence[int] = (200, 300, 500, 800),
    replications: int = 1000,
    *,
    effects: Mapping[str, float] | None = None,
    assume_std: float | None = None,
    loadings: float | Mapping[str, float] | None = None,
    exogenous_corr: float | None = None,
    direct_effects: bool | None = None,
    seed: int = 20240601,
    workers: int | None = None,
    scheduler: str | None = None,
    alpha: float = 0.05,
    target: float = 0.8,
    progress: bool = True,
    chunk: int | None = None,
    executor: Callable | None = None,
) -> PowerResult:
    """Monte Carlo power of every path and indirect effect of a mechanism at several sample sizes.

    Parameters
    ----------
    spec : ModelSpec, path or None
        The model spec (a path is loaded with :func:`instruments.spec.load_spec`;
        ``None`` loads the bundled model).
    mechanism_id : str or None
        The mechanism; may be ``None`` when the spec has only one.
    ns : sequence of int, default (200, 300, 500, 800)
        Sample sizes (positive, distinct, each larger than the number of items).
    replications : int, default 1000
        Data sets simulated and fitted at each sample size.
    effects : dict, optional
        ``{"SOURCE -> TARGET": standardised value}`` for paths (and direct paths) of the mechanism.
    assume_std : float, optional
        Common standardised value of every hypothesised path not in ``effects``
        (default: the spec's declared values, else :data:`CONVENTIONAL_PATH`).
        Direct paths not in ``effects`` are 0.
    loadings : float or dict, optional
        Standardised loadings: one value, or ``{item: value}`` (others
        :data:`CONVENTIONAL_LOADING`); default :data:`CONVENTIONAL_LOADING`.
    exogenous_corr : float, optional
        Correlation of the exogenous constructs (default 0.3).
    direct_effects : bool, optional
        Fit the spec's direct paths too. Default: only when ``effects`` names one.
    seed : int
        Root of every replication's :class:`numpy.random.SeedSequence`.
    workers : int, optional
        Local worker processes (default: all cores; 1 runs in this process).
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a Dask scheduler to run on instead (needs the
        ``cluster`` extra); never falls back to local workers.
    alpha : float, default 0.05
        Two-sided significance level of the tests.
    target : float, default 0.8
        Power to reach.
    progress : bool
        Show a progress bar on standard error.
    chunk : int, optional
        Replications per task (default: about 1/20 of ``replications``,
        between 5 and 50). Does not change the results.
    executor : callable, optional
        ``executor(fn, list_of_arg_tuples) -> iterator of results``; overrides
        ``workers``/``scheduler`` (see :mod:`validate.executors`).

    Returns
    -------
    PowerResult

    Raises
    ------
    InputError
        Unknown mechanism or path; a standardised loading or path of 1 or more
        (naming the item or path); paths that would leave a construct a
        negative residual variance (naming the construct, with the largest
        common value that works when the values were conventional); bad
        ``ns``, ``replications``, ``alpha``, ``target``, ``seed``,
        ``workers``; an unreachable scheduler or a missing ``cluster`` extra.

    Notes
    -----
    *Tests.* A path is significant when ``|est / se| > z(1 - alpha/2)`` for the
    unstandardised ML estimate and its expected-information standard error
    (lavaan's default z test). An indirect effect (a chain ``A -> M -> B``,
    :func:`validate.structural.mediation.enumerate_chains`) is significant by the
    delta-method (first-order Sobel) z of the product of its paths, computed
    with the full covariance matrix of the estimates; ``power_joint``
    reports the joint-significance test (every path of the chain significant)
    as well. The delta-method test is conservative for products when the paths
    are small; the joint test is closer to the bootstrap the analysis uses
    (MacKinnon et al. 2002), so read both.

    *Denominator.* Power, bias and coverage are over the replications that
    converged with computable standard errors, inadmissible ones included (as
    Mplus does); ``converged_share`` and ``admissible_share`` say how many that is.

    *Bias and coverage.* Population values are standardised on the continuous
    latent scale. The estimates compared with them are the standardised
    (``std.all``) estimates of each replication; the 95% interval is the Wald
    interval ``std +/- 1.96 se`` with the delta-method standard error of the
    standardised value (as lavaan's ``standardizedSolution()``). Cutting items
    into scale points attenuates their correlations; this lands mostly in the
    loadings, which std.all path estimates divide out, but not fully (skewed
    thresholds, few points): what is left shows in ``bias``, and it lowers
    ``coverage`` as n grows. Coverage near .95 means the standardised
    estimates and their standard errors can be trusted at that n; below about
    .91 (more than 3 Monte Carlo SDs below .95 at 1,000 replications) they are
    biased or too confident. Unstandardised estimates are reported
    (``mean_estimate``) but not compared, since their population value on the
    code scale is not known in closed form.

    *Reproducibility.* Replication ``r`` at ``ns[i]`` (``ns`` sorted) uses
    ``SeedSequence(seed, spawn_key=(i, r))``; chunking and the executor do not
    change any number.

    References
    ----------
    Muthén, L. K., & Muthén, B. O. (2002). How to use a Monte Carlo study to decide on
    sample size and determine power. Structural Equation Modeling, 9(4), 599-620.
    MacKinnon, D. P., Lockwood, C. M., Hoffman, J. M., West, S. G., & Sheets, V. (2002).
    A comparison of methods to test mediation and other intervening variable effects.
    Psychological Methods, 7(1), 83-104.

    Examples
    --------
    The bundled model's producer mechanism, every path at .2 (a real study uses
    about 1,000 replications):

    >>> res = power_study(None, "producer", ns=[100, 200], replications=2, assume_std=0.2,
    ...                   seed=1, workers=1, progress=False)
    >>> res.table.shape  # 2 n x (32 paths + 64 indirect effects), 19 columns
    (192, 19)
    >>> res.required.columns.tolist()
    ['kind', 'effect', 'population_std', 'n_required', 'n_required_ci_lower', 'n_required_ci_upper', 'status', 'note']
    """
    started = time.time()
    ns = _check_ns(ns)
    if isinstance(replications, bool) or not isinstance(replications, (int, np.integer)) or replications < 1:
        raise InputError(f"replications: {replications!r} is not a whole number >= 1")
    replications = int(replications)
    for name, v in (("alpha", alpha), ("target", target)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1:
            raise InputError(f"{name}: {v!r} is not a probability between 0 and 1 (exclusive)")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed: {seed!r} is not a non-negative whole number")
    seed = int(seed)
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1):
        raise InputError(f"chunk: {chunk!r} is not a whole number >= 1")
    if scheduler is not None and workers is not None and executor is None:
        raise InputError("workers and scheduler: give one; with a Dask scheduler the cluster's workers do the work")

    spec = _resolve_spec(spec)
    if mechanism_id is None:
        if len(spec.mechanisms) != 1:
            raise InputError(
                f"mechanism: the spec has {len(spec.mechanisms)} mechanisms; choose one of "
                f"{', '.join(spec.mechanisms)} (--mechanism M)"
            )
        mechanism_id = next(iter(spec.mechanisms))
    if mechanism_id not in spec.mechanisms:
        raise InputError(
            f"mechanism: '{mechanism_id}' is not a mechanism of the spec; expected one of {', '.join(spec.mechanisms)}"
        )
    mech = spec.mechanisms[mechanism_id]
    if not mech.paths:
        raise InputError(f"mechanism '{mech.id}' has no paths; a power study needs hypothesised paths")
    p_items = len(mech.item_ids)
    small = [n for n in ns if n <= p_items]
    if small:
        raise InputError(
            f"ns: {', '.join(map(str, small))} is not larger than the {p_items} items of mechanism "
            f"'{mech.id}'; the sample covariance matrix would be singular"
        )

    pop, beta, lam, exo, assumptions, assumptions_zh = _population(
        mech, effects or {}, assume_std, loadings, exogenous_corr
    )
    direct_named = any(
        _path_key(k, "effects") in {(p.source, p.target) for p in mech.direct_paths} for k in (effects or {})
    )
    if direct_effects is None:
        direct_effects = direct_named
    elif not direct_effects and direct_named:
        raise InputError(
            "effects: a direct path has a stated value but direct_effects is False; "
            "fit the direct paths (--direct-effects) or leave the direct path out"
        )
    active = mech.active_paths(bool(direct_effects))
    if direct_effects and mech.direct_paths:
        assumptions.append("The fitted model includes the spec's direct paths.")
        assumptions_zh.append("拟合的模型包含模型文件中的直接路径。")
    syntax = mech.lavaan_syntax(structural=True, direct=bool(direct_effects))

    eff: list[_Effect] = [
        _Effect("direct" if p.direct else "path", (p.source, p.target), float(beta.get((p.source, p.target), 0.0)))
        for p in active
    ]
    for c in enumerate_chains([(p.source, p.target) for p in active]):
        v = 1.0
        for a in range(len(c.nodes) - 1):
            v *= beta.get((c.nodes[a], c.nodes[a + 1]), 0.0)
        eff.append(_Effect("indirect", tuple(c.nodes), float(v)))
    assumptions += [
        f"Items are cut into the scale {spec.scale.min}-{spec.scale.max} at the simulator's default thresholds "
        f"({', '.join(f'{x:.2f}' for x in default_thresholds(spec.scale))} on the standard-normal item score); "
        "reverse-keyed items are analysed recoded.",
        "Each replication is fitted by ML from its sample moments (lavaan sem() defaults, first loading fixed "
        "to 1); paths are tested with the Wald z of the unstandardised estimate, indirect effects with the "
        "delta-method (Sobel) z of the product (power) and the joint-significance test (power_joint).",
        "Coverage: share of converged replications whose 95% Wald interval of the standardised estimate "
        "(delta-method standard error) contains the standardised population value on the continuous latent "
        "scale; cutting items into scale points can bias standardised estimates a little, which shows in bias "
        "and lowers coverage.",
        f"alpha = {alpha:g} (two-sided), target power = {target:g}; power is over converged replications, "
        "inadmissible ones included.",
    ]
    assumptions_zh += [
        f"题项得分按模拟器默认阈值（标准正态题项得分上的 "
        f"{', '.join(f'{x:.2f}' for x in default_thresholds(spec.scale))}）"
        f"切分为 {spec.scale.min}-{spec.scale.max} 级量表；反向题重新编码后分析。",
        "每次重复用样本矩以 ML 拟合（lavaan sem() 默认设置，每个构念第一个载荷固定为 1）；路径用非标准化估计的 "
        "Wald z 检验，间接效应用乘积的 delta 法（Sobel）z 检验（power），并报告联合显著性检验（power_joint）。",
        "覆盖率：收敛重复中标准化估计的 95% Wald 区间（delta 法标准误）包含连续潜变量尺度上标准化总体值的比例；"
        "题项离散化会使标准化估计略有偏差，体现在偏差列中并降低覆盖率。",
        f"alpha = {alpha:g}（双侧），目标检验力 = {target:g}；检验力以收敛的重复为分母，包括不可接受解。",
    ]

    job = _Job(
        mechanism=mech,
        scale=spec.scale,
        loadings=lam,
        paths=beta,
        exogenous_corr=exo,
        thresholds=tuple(float(x) for x in default_thresholds(spec.scale)),
        syntax=syntax,
        effects=tuple(eff),
        seed=seed,
    )
    _context(job)  # parse the model here first: syntax problems surface before any worker starts

    chunk = chunk or max(5, min(50, replications // 20 or 1))
    args = [
        (job, i, n, r0, min(r0 + chunk, replications)) for i, n in enumerate(ns) for r0 in range(0, replications, chunk)
    ]
    E = len(eff)
    values = np.full((len(ns), replications, E, 4), np.nan)
    status = np.full((len(ns), replications), _FAILED, dtype=np.int8)
    seen = np.zeros((len(ns), replications), dtype=bool)
    reasons = {n: Counter() for n in ns}

    own = None
    if executor is None:
        from validate.executors import make_executor

        executor = own = make_executor(scheduler, workers=workers)
    where = executor.describe() if hasattr(executor, "describe") else "a custom executor"
    bar = progress_bar(len(ns) * replications, f"{mech.id} power", progress, unit="replication")
    try:
        for i, r0, vals, st, why in executor(_power_chunk, args):
            k = len(st)
            values[i, r0 : r0 + k] = vals
            status[i, r0 : r0 + k] = st
            seen[i, r0 : r0 + k] = True
            reasons[ns[i]].update(why)
            bar.update(k)
    finally:
        bar.close()
        if own is not None:
            own.close()
    if not seen.all():  # pragma: no cover - an executor that dropped tasks
        raise InputError(f"{int((~seen).sum())} replications were not returned by {where}; run again")

    table = _aggregate(eff, ns, values, status, alpha)
    required, overall = _required_table(eff, table, ns, target)
    return PowerResult(
        mechanism=mech.id,
        ns=ns,
        replications=replications,
        seed=seed,
        alpha=float(alpha),
        target=float(target),
        table=table,
        required=required,
        overall=overall,
        assumptions=assumptions,
        assumptions_zh=assumptions_zh,
        failures={str(n): dict(c) for n, c in reasons.items()},
        population=pop.parameters(),
        settings={
            "model_syntax": syntax,
            "spec_sha256": getattr(spec, "sha256", None),
            "scale": [spec.scale.min, spec.scale.max],
            "thresholds": list(job.thresholds),
            "direct_effects": bool(direct_effects),
            "chunk": chunk,
            "seeding": "replication r at ns[i] uses numpy SeedSequence(seed, spawn_key=(i, r))",
            "indirect_test": "delta-method (Sobel) z of the product; power_joint: joint significance",
            "run": {
                "executor": where,
                "elapsed_seconds": round(time.time() - started, 3),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            },
        },
    )
