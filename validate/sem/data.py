"""Data for a SEM fit: the model's columns of a data frame, checks, and the sample statistics.

lavaan's ``lav_data`` and ``lav_samplestats`` steps: :func:`prepare_data` takes the model's observed
variables (and product terms) from the data, per group; :func:`check_data` refuses data a model cannot
be fitted to; :func:`sample_stats` (complete data), :func:`available_case_stats` (FIML starts) and
:func:`moment_stats` (summary-statistics input) give the :class:`~validate.sem.model.SampleStats`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import ModelError, UnknownVariableError
from .model import SampleStats
from .syntax import ParTable

__all__ = [
    "available_case_stats",
    "check_data",
    "drop_missing_x",
    "moment_input",
    "moment_stats",
    "prepare_data",
    "sample_stats",
]


def prepare_data(spec: ParTable, data, group, missing):
    if not isinstance(data, pd.DataFrame):
        raise ModelError("data must be a pandas DataFrame")
    ov = spec.ov_names
    data = _with_interactions(data, ov)
    absent = [v for v in ov if v not in data.columns]
    if absent:
        v = absent[0]
        raise UnknownVariableError(
            f"variable {v!r} is neither a latent variable (left of =~) nor a column of the data"
            + (f"; also missing: {absent[1:]}" if len(absent) > 1 else ""),
            spec.var_lines.get(v),
            v,
        )
    if group is not None and group not in data.columns:
        raise ModelError(f"group column {group!r} is not in the data")
    cols = list(ov) + ([group] if group is not None else [])
    df = data[cols].copy()
    bad = []
    for v in ov:
        if not pd.api.types.is_numeric_dtype(df[v]):
            conv = pd.to_numeric(df[v], errors="coerce")
            if conv.notna().sum() < df[v].notna().sum():
                bad.append(v)
            df[v] = conv
    if bad:
        raise ModelError(f"non-numeric values in column(s) {bad}; recode them as numbers first")
    if group is not None:
        df = df[df[group].notna()]
    n_before = len(df)
    if missing == "listwise":
        df = df.dropna(subset=ov)
    else:  # FIML: only cases with every variable missing are dropped (as lavaan)
        df = df[df[ov].notna().any(axis=1)]
    if group is not None:
        labels = list(pd.unique(df[group]))
    else:
        labels = [None]
    Ys = []
    for lab in labels:
        sub = df if lab is None else df[df[group] == lab]
        Ys.append(sub[ov].to_numpy(dtype=float))
    return Ys, labels, n_before - len(df)


def _with_interactions(data: pd.DataFrame, ov) -> pd.DataFrame:
    """Add the product column of every observed interaction term (``x7:x8``) the model names.

    As lavaan: the product of the raw (uncentred) columns, made before listwise deletion; a column
    of the data that already has the name is used as it is.
    """
    inter = [v for v in ov if ":" in v and v not in data.columns]
    if not inter:
        return data
    extra = {}
    for v in inter:
        parts = v.split(":")
        absent = [c for c in parts if c not in data.columns]
        if absent:
            continue  # reported as an unknown variable below
        prod = None
        for c in parts:
            col = pd.to_numeric(data[c], errors="coerce")
            prod = col if prod is None else prod * col
        extra[v] = prod
    return data.assign(**extra) if extra else data


def check_data(spec, Ys, labels, nfree):
    p = len(spec.ov_names)
    ntotal = sum(len(Y) for Y in Ys)
    for Y, lab in zip(Ys, labels):
        where = "" if lab is None else f" in group {lab!r}"
        if len(Y) < 2:
            raise ModelError(f"too few rows{where}: {len(Y)} complete case(s)")
        empty = [spec.ov_names[i] for i in np.flatnonzero(np.isnan(Y).all(axis=0))]
        if empty:  # possible with FIML; nanstd would warn and call the column constant
            raise ModelError(f"no observed values{where} in column(s) {empty}: every case is missing")
        sd = np.nanstd(Y, axis=0)
        zero = [
            spec.ov_names[i] for i in np.flatnonzero(~(sd > 1e-12 * np.maximum(1.0, np.abs(np.nanmean(Y, axis=0)))))
        ]
        if zero:
            raise ModelError(f"zero variance{where} in column(s) {zero}: every case has the same value")
        if len(Y) < p:
            raise ModelError(
                f"too few rows{where}: {len(Y)} complete cases for {p} observed variables ({', '.join(spec.ov_names)})"
            )
    if ntotal <= nfree:
        return [
            f"only {ntotal} cases for {nfree} free parameters; estimates and standard errors of a model "
            "this size are unstable at this sample size (a common rule asks for 5-10 cases per parameter)"
        ]
    return []


def sample_stats(spec, Ys, labels):
    covs, means = [], []
    for Y, lab in zip(Ys, labels):
        m = Y.mean(axis=0)
        E = Y - m
        S = E.T @ E / len(Y)
        ev, evec = np.linalg.eigh(S / np.sqrt(np.outer(np.diag(S), np.diag(S))))
        if ev[0] < 1e-10:
            v = evec[:, 0]
            involved = [spec.ov_names[i] for i in np.flatnonzero(np.abs(v) > 0.1)]
            where = "" if lab is None else f" in group {lab!r}"
            raise ModelError(
                f"the sample covariance matrix{where} is not positive definite: "
                f"column(s) {involved} are (nearly) linearly dependent"
            )
        covs.append(S)
        means.append(m)
    return SampleStats(covs, means, [len(Y) for Y in Ys])


def available_case_stats(pats):
    """Cheap moments for starting values: available-case means, pairwise covariances."""
    covs, means = [], []
    for pat in pats:
        Y = pat.Y
        m = np.nanmean(Y, axis=0)
        M = (~np.isnan(Y)).astype(float)
        E = np.where(M > 0, Y - m, 0.0)
        cnt = np.maximum(M.T @ M, 1.0)
        covs.append((E.T @ E) / cnt)
        means.append(m)
    return SampleStats(covs, means, [pat.n for pat in pats])


def drop_missing_x(spec, Ys, labels):
    """FIML with fixed covariates: drop the cases with a missing covariate (lavaan's missing='ml').

    Returns the data per group and the number of cases dropped; refuses when a group is left
    without cases.
    """
    xi = [spec.ov_names.index(v) for v in spec.ov_x]
    out, dropped = [], 0
    for Y, lab in zip(Ys, labels):
        keep = ~np.isnan(Y[:, xi]).any(axis=1)
        dropped += int((~keep).sum())
        if not keep.any():
            where = "" if lab is None else f" in group {lab!r}"
            raise ModelError(
                f"every case{where} has a missing value on the covariate(s) "
                f"{', '.join(spec.ov_x)}; use missing='ml.x' or fixed_x=False"
            )
        out.append(Y[keep])
    return out, dropped


def moment_input(data, sample_cov, sample_mean, sample_nobs, *, estimator, missing, group, ordered):
    """Check lavaan-style summary-statistics input; returns (covs, means or None, nobs) per group."""
    from instruments.errors import InputError

    if data is not None:
        raise InputError("fit_sem: give either data or sample_cov/sample_nobs, not both")
    if sample_cov is None or sample_nobs is None:
        raise InputError("fit_sem: summary-statistics input needs both sample_cov and sample_nobs")
    if str(estimator).upper() != "ML" or missing not in ("listwise", None) or group is not None or ordered:
        raise InputError(
            "fit_sem: with sample_cov only estimator='ML' without missing data is possible "
            "(MLR, FIML and WLSMV need the raw data; groups are given as lists, not group=)"
        )
    covs = list(sample_cov) if isinstance(sample_cov, (list, tuple)) else [sample_cov]
    nobs = list(sample_nobs) if isinstance(sample_nobs, (list, tuple)) else [sample_nobs]
    means = None
    if sample_mean is not None:
        means = list(sample_mean) if isinstance(sample_mean, (list, tuple)) else [sample_mean]
    if len(nobs) != len(covs) or (means is not None and len(means) != len(covs)):
        raise InputError(
            f"fit_sem: {len(covs)} covariance matrices but {len(nobs)} sample sizes"
            + ("" if means is None else f" and {len(means)} mean vectors")
        )
    for k, C in enumerate(covs):
        if not isinstance(C, pd.DataFrame) or list(C.index) != list(C.columns):
            raise InputError(
                f"fit_sem: sample_cov[{k}] must be a DataFrame whose index and columns are the same variable names"
            )
        if means is not None and not isinstance(means[k], pd.Series):
            raise InputError(f"fit_sem: sample_mean[{k}] must be a Series indexed by variable name")
        if not (isinstance(nobs[k], (int, np.integer)) and nobs[k] > 1):
            raise InputError(f"fit_sem: sample_nobs[{k}] must be a whole number above 1, not {nobs[k]!r}")
    return covs, means, [int(n) for n in nobs]


def moment_stats(spec, moments):
    """SampleStats from lavaan-style summary statistics (covariances rescaled by (N - 1) / N)."""
    covs, means, nobs = moments
    ov = spec.ov_names
    S_list, m_list = [], []
    for k, (C, n) in enumerate(zip(covs, nobs)):
        absent = [v for v in ov if v not in C.columns]
        if absent:
            v = absent[0]
            raise UnknownVariableError(
                f"variable {v!r} is neither a latent variable (left of =~) nor a variable of sample_cov",
                spec.var_lines.get(v),
                v,
            )
        S = C.loc[ov, ov].to_numpy(dtype=float) * (n - 1) / n
        if not np.allclose(S, S.T, rtol=1e-10, atol=1e-12) or np.linalg.eigvalsh(S)[0] <= 0:
            raise ModelError(f"sample_cov[{k}] is not a symmetric positive definite matrix")
        if means is not None:
            miss = [v for v in ov if v not in means[k].index]
            if miss:
                raise ModelError(f"sample_mean[{k}] has no value for {miss}")
            m = means[k].loc[ov].to_numpy(dtype=float)
        elif spec.meanstructure:
            raise ModelError("a mean structure needs sample_mean as well as sample_cov")
        else:
            m = np.zeros(len(ov))
        S_list.append(S)
        m_list.append(m)
    return SampleStats(S_list, m_list, nobs)
