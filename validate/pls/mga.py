"""MICOM and PLS multigroup analysis (MGA) between every pair of groups (e.g. platforms).

**MICOM** (Henseler, Ringle & Sarstedt 2016), for each pair of groups:

1. *configural invariance*: the same indicators, data treatment and algorithm settings in both
   groups -- true by construction here (one spec, one set of options); reported, with whether each
   group's model converged;
2. *compositional invariance*: ``c_j``, the correlation between construct ``j``'s scores computed on
   the pooled data with group 1's and with group 2's weights,
   ``c = w1' S w2 / sqrt(w1' S w1 · w2' S w2)`` (``S`` the pooled indicator correlations), against
   its permutation distribution: the group labels are permuted, both groups re-estimated, ``c``
   recomputed. Invariance is established when ``c`` is not below the 5% quantile of the permuted
   values (``p = (#{c* <= c} + 1) / (B + 1)`` > .05). A one-item construct has ``c = 1``;
3. *equality of composite means and variances*: scores from the pooled estimation (pooled
   standardisation and weights); the difference of the group means and the log of the ratio of the
   group variances against their permutation distributions (95% interval from the 2.5% and 97.5%
   quantiles; two-sided ``p = (#{|d*| >= |d|} + 1) / (B + 1)``).

Full invariance (all three steps for every construct) allows pooling the data; partial invariance
(steps 1 and 2) allows comparing the groups' path coefficients.

**MGA**, for each pair and path, ``diff = β1 - β2`` with

- the *permutation test* (Chin & Dibbern 2010): the same permutations as MICOM, two-sided
  ``p = (#{|diff*| >= |diff|} + 1) / (B + 1)``;
- *Henseler's PLS-MGA* (Henseler, Ringle & Sinkovics 2009; Sarstedt et al. 2011) from each group's
  bootstrap: ``p = 1 - (1/B²) Σ_j Σ_k Θ(2β̄1 - β1j - 2β̄2 + β2k)`` (one-sided, as seminr's
  ``estimate_pls_mga``: small when group 1's coefficient is larger) and the two-sided ``2 min(p, 1 - p)``;
- the *parametric test* (Keil et al. 2000): ``t = diff / (sqrt(((n1-1)² se1² + (n2-1)² se2²) / (n1+n2-2))
  · sqrt(1/n1 + 1/n2))``, ``n1 + n2 - 2`` degrees of freedom;
- the *Welch-Satterthwaite test*: ``t = diff / sqrt((n1-1)/n1 se1² + (n2-1)/n2 se2²)``, degrees of freedom
  ``(Σ (ng-1)/ng seg²)² / Σ ((ng-1)/ng² seg⁴) - 2`` (SmartPLS's formula).

Permutations run in chunks on the local workers or a Dask executor with a progress bar; permutation
``b`` takes its labels from child ``b`` of ``SeedSequence(seed)``, so results do not depend on the
number of workers.

References
----------
Henseler, J., Ringle, C. M., & Sarstedt, M. (2016). Testing measurement invariance of composites using
partial least squares. *International Marketing Review*, 33, 405-431.
Henseler, J., Ringle, C. M., & Sinkovics, R. R. (2009). The use of partial least squares path modeling in
international marketing. *Advances in International Marketing*, 20, 277-319.
Chin, W. W., & Dibbern, J. (2010). An introduction to a permutation based procedure for multi-group PLS
analysis. In *Handbook of Partial Least Squares* (pp. 171-193). Springer.
Keil, M., et al. (2000). A cross-cultural study on escalation of commitment behavior in software
projects. *MIS Quarterly*, 24, 299-325.
Sarstedt, M., Henseler, J., & Ringle, C. M. (2011). Multigroup analysis in partial least squares (PLS)
path modeling. *Advances in International Marketing*, 22, 195-218.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from instruments.errors import InputError
from validate.blas import single_threaded_blas
from validate.pls.estimate import Structure, estimate
from validate.pls.model import PLSModel, fill_and_correlate, prepare_data

__all__ = ["henseler_p", "permutation_labels", "compare_groups", "micom_mga"]


def henseler_p(boot1: np.ndarray, boot2: np.ndarray) -> float:
    """Henseler's PLS-MGA p-value (one-sided; small when group 1's coefficient is larger).

    ``p = 1 - (1/(B1 B2)) Σ_j Σ_k Θ(2 mean(b1) - b1_j - 2 mean(b2) + b2_k)``, Θ the unit step (0 at 0).
    """
    b1 = np.asarray(boot1, float)
    b2 = np.sort(np.asarray(boot2, float))
    left = 2 * b1.mean() - b1 - 2 * b2.mean()
    # count pairs with left_j + b2_k > 0, i.e. b2_k > -left_j
    favourable = b2.size - np.searchsorted(b2, -left, side="right")
    return float(1 - favourable.sum() / (b1.size * b2.size))


def permutation_labels(seed: int, b: int, n: int, n1: int) -> np.ndarray:
    """Row indices of group 1 (first ``n1``) and group 2 (the rest) in permutation ``b``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b,))).permutation(n)


class _PermStat:
    """Picklable: two groups' raw rows -> (c per construct, path differences) or a failure reason."""

    def __init__(
        self,
        st: Structure,
        Sp: np.ndarray,
        path_ix: np.ndarray,
        scheme: str,
        consistent: bool,
        tol: float,
        max_iter: int,
    ):
        self.st, self.Sp, self.path_ix = st, Sp, path_ix
        self.scheme, self.consistent, self.tol, self.max_iter = scheme, consistent, tol, max_iter

    @property
    def k(self) -> int:
        return len(self.st.names) + self.path_ix.size

    def fit(self, rows):
        zr = fill_and_correlate(rows)
        if zr is None:
            return None, "an item had no variance in a group"
        try:
            e = estimate(zr[1], self.st, self.scheme, self.consistent, self.tol, self.max_iter)
        except np.linalg.LinAlgError:
            return None, "a singular correlation matrix in a group"
        if not e.converged:
            return None, f"the PLS algorithm did not converge in {self.max_iter} iterations in a group"
        return e, None

    def __call__(self, g1: np.ndarray, g2: np.ndarray):
        e1, why = self.fit(g1)
        if why:
            return None, why
        e2, why = self.fit(g2)
        if why:
            return None, why
        W1, W2, S = e1.W, e2.W, self.Sp
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.sum(W1 * (S @ W2), 0) / np.sqrt(np.sum(W1 * (S @ W1), 0) * np.sum(W2 * (S @ W2), 0))
        return np.concatenate([c, e1.B.ravel()[self.path_ix] - e2.B.ravel()[self.path_ix]]), None


def _perm_chunk(stat: _PermStat, raw: np.ndarray, n1: int, seed: int, start: int, stop: int):
    out = np.full((stop - start, stat.k), np.nan)
    reasons: Counter = Counter()
    with single_threaded_blas():
        for j, b in enumerate(range(start, stop)):
            perm = permutation_labels(seed, b, raw.shape[0], n1)
            vec, why = stat(raw[perm[:n1]], raw[perm[n1:]])
            if why is None and np.all(np.isfinite(vec)):
                out[j] = vec
            else:
                reasons[why or "the statistic was not finite"] += 1
    return start, out, reasons


def _run_permutations(stat, raw, n1, n_perm, seed, workers, executor, progress, desc):
    from validate.structural.bootstrap import default_workers, progress_bar

    workers = workers or default_workers()
    chunk = max(10, min(200, n_perm // (workers * 8) or 10))
    args = [(stat, raw, n1, seed, s, min(s + chunk, n_perm)) for s in range(0, n_perm, chunk)]
    draws = np.full((n_perm, stat.k), np.nan)
    failures: Counter = Counter()
    bar = progress_bar(n_perm, desc, progress, unit="permutation")
    try:
        if executor is not None:
            results = executor(_perm_chunk, args)
        elif workers == 1 or len(args) == 1:
            results = (_perm_chunk(*a) for a in args)
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=workers, return_as="generator_unordered")(delayed(_perm_chunk)(*a) for a in args)
        for start, out, reasons in results:
            draws[start : start + len(out)] = out
            failures.update(reasons)
            bar.update(len(out))
    finally:
        bar.close()
    return draws, failures


def _group_bootstrap(model, raw, scheme, consistent, tol, max_iter, n_boot, seed, workers, executor, progress, desc):
    """Each path's bootstrap draws in one group (completed resamples only)."""
    from validate.pls.bootstrap import Layout, PLSStatistic
    from validate.structural.bootstrap import run_bootstrap

    st = Structure.of(model)
    ix = {c: i for i, c in enumerate(st.names)}
    lay = Layout.of(st, [(ix[a], ix[b]) for a, b in model.paths], [])
    stat = PLSStatistic(st, lay, scheme, consistent, tol, max_iter)
    boot = run_bootstrap(
        stat, raw, n_boot, stat.k, seed=seed, workers=workers, progress=progress, desc=desc, executor=executor
    )
    return boot.good()[:, lay.slices()["paths"]], boot


def _pvalue_ge(perm: np.ndarray, obs: np.ndarray) -> np.ndarray:
    good = np.isfinite(perm)
    return (np.sum((np.abs(perm) >= np.abs(obs) - 1e-12) & good, 0) + 1) / (good.sum(0) + 1)


def compare_groups(
    raw1: np.ndarray,
    raw2: np.ndarray,
    model: PLSModel,
    *,
    permutations: int = 5000,
    bootstrap: int = 5000,
    seed: int = 20240601,
    scheme: str = "path",
    consistent: bool = False,
    tol: float = 1e-7,
    max_iter: int = 300,
    alpha: float = 0.05,
    workers: int | None = None,
    executor=None,
    progress: bool = False,
    desc: str = "MICOM",
    boots: tuple | None = None,
    names: tuple[str, str] = ("1", "2"),
) -> dict:
    """MICOM and MGA of one pair of groups (rows of prepared indicator data, NaN where missing).

    Parameters
    ----------
    raw1, raw2 : ndarray (n_g, p)
        Indicator values of each group in ``model.items`` order.
    model : PLSModel
    permutations : int
        Permutations of the group labels (MICOM step 2 and 3, permutation MGA); 5000 by default.
    bootstrap : int
        Resamples per group for PLS-MGA and the parametric tests (0: those tests are not run).
    boots : (draws1, draws2), optional
        Each group's bootstrap path draws (B, n_paths) already run (reused across pairs).

    Returns
    -------
    dict
        ``micom`` (``configural``, ``compositional``, ``means_variances``, ``verdict``) and ``mga``
        (``paths``: ``from, to, beta_1, beta_2, diff, p_permutation, p_henseler, p_henseler_two_sided,
        se_1, se_2, t_parametric, df_parametric, p_parametric, t_welch, df_welch, p_welch``), with
        ``permutations`` (requested, completed, failure reasons).
    """
    st = Structure.of(model)
    J = len(st.names)
    ix = {c: i for i, c in enumerate(st.names)}
    path_pairs = [(ix[a], ix[b]) for a, b in model.paths]
    path_ix = np.array([i * J + j for i, j in path_pairs], dtype=int)
    raw = np.vstack([raw1, raw2])
    n1, n2 = raw1.shape[0], raw2.shape[0]
    zp = fill_and_correlate(raw)
    if zp is None:
        raise InputError("MICOM: an item has no variance in the pooled data of " + " and ".join(names))
    Zp, Sp = zp
    stat = _PermStat(st, Sp, path_ix, scheme, consistent, tol, max_iter)
    obs, why = stat(raw1, raw2)
    if why:
        raise InputError(
            f"MICOM {names[0]} vs {names[1]}: the model cannot be estimated in each group ({why}); "
            "expected more respondents per group or fewer items"
        )
    e1, _ = stat.fit(raw1)
    e2, _ = stat.fit(raw2)
    pooled = estimate(Sp, st, scheme, consistent, tol, max_iter)
    scores = Zp @ pooled.W

    def step3(lab1):
        s1, s2 = scores[lab1], scores[~lab1]
        return s1.mean(0) - s2.mean(0), np.log(s1.var(0, ddof=1) / s2.var(0, ddof=1))

    first = np.zeros(n1 + n2, dtype=bool)
    first[:n1] = True
    d_mean, d_var = step3(first)
    draws, failures = _run_permutations(stat, raw, n1, permutations, seed, workers, executor, progress, desc)
    ok = np.all(np.isfinite(draws), 1)
    pm = np.full((permutations, J), np.nan)
    pv = np.full((permutations, J), np.nan)
    for b in range(permutations):  # step 3 under the same permutations (pooled scores do not change)
        lab = np.zeros(n1 + n2, dtype=bool)
        lab[permutation_labels(seed, b, n1 + n2, n1)[:n1]] = True
        pm[b], pv[b] = step3(lab)
    c_perm = draws[ok, :J]
    comp, mv = [], []
    nok = int(ok.sum())
    for j, c in enumerate(st.names):
        q05 = float(np.quantile(c_perm[:, j], 0.05)) if nok else np.nan
        p_c = float((np.sum(c_perm[:, j] <= obs[j] + 1e-12) + 1) / (nok + 1)) if nok else np.nan
        single = bool(st.single[j])
        comp.append(
            {
                "construct": c,
                "c": float(obs[j]),
                "q05": q05,
                "p_value": p_c,
                "invariant": True if single else (bool(p_c > alpha) if nok else None),
                "single_item": single,
            }
        )
        row = {"construct": c}
        for key, d, dist in (("mean", d_mean[j], pm[:, j]), ("log_var_ratio", d_var[j], pv[:, j])):
            lo, hi = np.quantile(dist, [alpha / 2, 1 - alpha / 2])
            p = float(_pvalue_ge(dist[:, None], np.array([d]))[0])
            row.update(
                {
                    f"{key}_diff": float(d),
                    f"{key}_ci_lower": float(lo),
                    f"{key}_ci_upper": float(hi),
                    f"{key}_p_value": p,
                    f"{key}_equal": bool(lo <= d <= hi),
                }
            )
        mv.append(row)
    compositional = all(r["invariant"] for r in comp)
    full = compositional and all(r["mean_equal"] and r["log_var_ratio_equal"] for r in mv)
    verdict = "full" if full else ("partial" if compositional else "none")
    # MGA
    diff = obs[J:]
    p_perm = _pvalue_ge(draws[ok, J:], diff) if nok else np.full(diff.size, np.nan)
    if boots is None and bootstrap:
        m1 = _group_bootstrap(
            model,
            raw1,
            scheme,
            consistent,
            tol,
            max_iter,
            bootstrap,
            seed,
            workers,
            executor,
            progress,
            f"{desc} bootstrap {names[0]}",
        )[0]
        m2 = _group_bootstrap(
            model,
            raw2,
            scheme,
            consistent,
            tol,
            max_iter,
            bootstrap,
            seed,
            workers,
            executor,
            progress,
            f"{desc} bootstrap {names[1]}",
        )[0]
        boots = (m1, m2)
    rows = []
    for k, (i, j) in enumerate(path_pairs):
        b1, b2 = float(e1.B[i, j]), float(e2.B[i, j])
        r = {
            "from": st.names[i],
            "to": st.names[j],
            "beta_1": b1,
            "beta_2": b2,
            "diff": b1 - b2,
            "p_permutation": float(p_perm[k]),
        }
        if boots is not None and boots[0].shape[0] > 1 and boots[1].shape[0] > 1:
            d1, d2 = boots[0][:, k], boots[1][:, k]
            ph = henseler_p(d1, d2)
            se1, se2 = float(d1.std(ddof=1)), float(d2.std(ddof=1))
            dfp = n1 + n2 - 2
            sp = np.sqrt(((n1 - 1) ** 2 * se1**2 + (n2 - 1) ** 2 * se2**2) / dfp) * np.sqrt(1 / n1 + 1 / n2)
            a1, a2 = (n1 - 1) / n1 * se1**2, (n2 - 1) / n2 * se2**2
            dfw = (a1 + a2) ** 2 / ((n1 - 1) / n1**2 * se1**4 + (n2 - 1) / n2**2 * se2**4) - 2
            tp_, tw = (b1 - b2) / sp, (b1 - b2) / np.sqrt(a1 + a2)
            r.update(
                {
                    "p_henseler": ph,
                    "p_henseler_two_sided": 2 * min(ph, 1 - ph),
                    "se_1": se1,
                    "se_2": se2,
                    "t_parametric": float(tp_),
                    "df_parametric": dfp,
                    "p_parametric": float(2 * stats.t.sf(abs(tp_), dfp)),
                    "t_welch": float(tw),
                    "df_welch": float(dfw),
                    "p_welch": float(2 * stats.t.sf(abs(tw), dfw)),
                }
            )
        else:
            r.update(
                {
                    k2: None
                    for k2 in (
                        "p_henseler",
                        "p_henseler_two_sided",
                        "se_1",
                        "se_2",
                        "t_parametric",
                        "df_parametric",
                        "p_parametric",
                        "t_welch",
                        "df_welch",
                        "p_welch",
                    )
                }
            )
        r["differs"] = bool(r["p_permutation"] < alpha) if np.isfinite(r["p_permutation"]) else None
        rows.append(r)
    return {
        "groups": list(names),
        "n": [int(n1), int(n2)],
        "micom": {
            "configural": {
                "established": bool(e1.converged and e2.converged),
                "note": "same indicators, data treatment and PLS settings in both groups (one spec and "
                "one set of options); both group models converged"
                if e1.converged and e2.converged
                else "a group's model did not converge",
            },
            "compositional": comp,
            "means_variances": mv,
            "verdict": verdict,
        },
        "mga": {"paths": rows, "bootstrap": int(min(boots[0].shape[0], boots[1].shape[0])) if boots is not None else 0},
        "permutations": {
            "requested": int(permutations),
            "completed": nok,
            "failure_reasons": dict(failures),
            "seed": seed,
        },
    }


def micom_mga(
    df: pd.DataFrame,
    model: PLSModel,
    group: str,
    *,
    permutations: int = 5000,
    bootstrap: int = 5000,
    seed: int = 20240601,
    scheme: str = "path",
    consistent: bool = False,
    missing: str = "mean",
    tol: float = 1e-7,
    max_iter: int = 300,
    alpha: float = 0.05,
    workers: int | None = None,
    executor=None,
    progress: bool = False,
    desc: str = "MICOM",
) -> dict:
    """MICOM and MGA for every pair of the levels of column ``group`` (see :func:`compare_groups`).

    Returns
    -------
    dict
        ``{"group": column, "levels": [...], "n": {level: n}, "pairs": [compare_groups(...) per pair],
        "method": ..., "alpha": alpha}`` -- the ``micom``/``mga`` entries of ``mechanisms.<m>.pls``. A pair
        whose groups cannot be estimated is ``{"groups", "n", "error"}`` (its reason), not a stop.
    """
    if group not in df.columns:
        raise InputError(f"--group {group}: there is no column '{group}' in the responses")
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or permutations < 20:
        raise InputError(f"--permutations {permutations!r}: expected a whole number of at least 20 (5000 recommended)")
    d = df[df[group].notna()]
    col = d[group]
    if pd.api.types.is_numeric_dtype(col) and np.all(np.mod(col.astype(float), 1) == 0):
        d = d.assign(**{group: col.astype("int64")})  # codes 1.0, 2.0 -> 1, 2, so groups are named as answered
    levels = list(pd.unique(d[group]))
    try:
        levels = sorted(levels)
    except TypeError:
        pass
    if len(levels) < 2:
        raise InputError(
            f"--group {group}: one group only ({levels[0] if levels else 'none'}); MICOM compares two or more groups"
        )
    raws, bad = {}, {}
    for lv in levels:  # a group whose data cannot carry the model is reported, not a reason to stop the run
        try:
            raws[lv] = prepare_data(d[d[group] == lv], model, missing).raw
        except InputError as e:
            bad[lv] = f"group {lv}: {e}"
    boots = {}
    if bootstrap:
        for lv in raws:
            boots[lv] = _group_bootstrap(
                model,
                raws[lv],
                scheme,
                consistent,
                tol,
                max_iter,
                bootstrap,
                seed,
                workers,
                executor,
                progress,
                f"{desc} bootstrap {lv}",
            )[0]
    pairs = []
    for a, b in combinations(levels, 2):
        n = [int(raws[g].shape[0]) if g in raws else int((d[group] == g).sum()) for g in (a, b)]
        if a in bad or b in bad:
            pairs.append({"groups": [str(a), str(b)], "n": n, "error": bad.get(a) or bad.get(b)})
            continue
        try:
            pairs.append(
                compare_groups(
                    raws[a],
                    raws[b],
                    model,
                    permutations=permutations,
                    bootstrap=bootstrap,
                    seed=seed,
                    scheme=scheme,
                    consistent=consistent,
                    tol=tol,
                    max_iter=max_iter,
                    alpha=alpha,
                    workers=workers,
                    executor=executor,
                    progress=progress,
                    desc=f"{desc} {a} vs {b}",
                    boots=(boots[a], boots[b]) if bootstrap else None,
                    names=(str(a), str(b)),
                )
            )
        except InputError as e:
            pairs.append({"groups": [str(a), str(b)], "n": n, "error": str(e)})
    return {
        "group": group,
        "levels": [str(lv) for lv in levels],
        "n": {str(lv): int(raws[lv].shape[0]) if lv in raws else int((d[group] == lv).sum()) for lv in levels},
        "alpha": alpha,
        "pairs": pairs,
        "method": "MICOM (Henseler et al. 2016) and MGA: permutation test (Chin & Dibbern 2010), PLS-MGA "
        "(Henseler et al. 2009), parametric and Welch-Satterthwaite tests",
    }
