"""The result of a SEM fit (:class:`SemResult`), shared by every estimator."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ModelError
from .model import CompiledModel, SampleStats
from .syntax import ParTable

__all__ = ["ESTIMATES_ONLY_NOTE", "SemResult"]


ESTIMATES_ONLY_NOTE = (
    "estimates only (estimates_only=True): standard errors, test statistics and fit measures were not computed"
)


@dataclass
class SemResult:
    """Result of :func:`fit_sem`.

    Attributes
    ----------
    converged, admissible : bool
    warnings : list of str
    params : pandas.DataFrame
        lhs, op, rhs, label, group, free, estimate, se, z, p_value, ci_lower,
        ci_upper, std_lv, std_all (fixed parameters: se 0, z/p NaN, as lavaan).
    fit : dict
        Fit measures with lavaan's names (dots replaced by underscores).
    r2 : dict
        ``{var: R2}``; with groups ``{group label: {var: R2}}``.
    n : int
    nobs_per_group : list of int
    group_labels : list
    implied : dict
        ``cov``/``mean`` (lists per group) and ``ov_names``.
    sample_cov, sample_mean : list of ndarray
    vcov : ndarray
        Covariance matrix of the free parameters.
    notes : list of str
        Remarks on statistics that do not exist for the estimator (e.g. no AIC/BIC for WLSMV).
    estimates_only : bool
        Fitted with ``estimates_only=True``: no standard errors, vcov or fit measures.
    missing : {"listwise", "fiml"}
    start_retry : dict or None
        Set when the first fit did not converge or stopped at a negative variance and the model
        was refitted from other starting values (:mod:`validate.sem.retry`): ``first_converged``,
        ``first_admissible``, ``first_chisq``, ``chisq`` (of the kept solution), ``kept`` (which
        start gave it), ``refits``, ``changed`` (did the retry change the solution).
    ordinal : validate.sem.ordinal.OrdinalMoments, list of them, or None
        WLSMV only: thresholds, polychoric correlations, NACOV and weights the model was fitted to
        (``sample_cov`` then holds the polychoric correlations); one per group with groups.
    wlsmv : object or None
        WLSMV only: what :func:`validate.sem.wlsmv.difftest` needs (internal).
    """

    spec: ParTable
    estimator: str
    converged: bool
    admissible: bool
    warnings: list
    params: pd.DataFrame
    fit: dict
    r2: dict
    n: int
    nobs_per_group: list
    group_labels: list
    implied: dict
    sample_cov: list
    sample_mean: list
    theta: np.ndarray
    vcov: np.ndarray | None
    iterations: int
    _cm: CompiledModel = field(repr=False, default=None)
    _stats: SampleStats = field(repr=False, default=None)
    _data: list = field(repr=False, default=None)
    notes: list = field(default_factory=list)
    ordinal: object = field(repr=False, default=None)
    estimates_only: bool = False
    missing: str = "listwise"
    start_retry: dict | None = None
    wlsmv: object = field(repr=False, default=None)

    # ------------------------------------------------------------------
    def modindices(self, top: int | None = None, minimum: float = 0.0) -> pd.DataFrame:
        """Modification indices for fixed-to-zero parameters, sorted by ``mi``.

        Columns: lhs, op, rhs, group, mi, epc, sepc_all (and sepc_lv).
        """
        if self.estimates_only:
            raise ModelError("modification indices need a full fit; this result was fitted with estimates_only=True")
        if self.spec.constraints:
            raise ModelError(
                "modification indices of a model with general constraints ("
                + "; ".join(c.text for c in self.spec.constraints)
                + ") are not implemented"
            )
        out = self._score_tests()
        out = out[out["mi"] >= minimum].sort_values("mi", ascending=False, kind="mergesort")
        out = out.reset_index(drop=True)
        return out.head(top) if top is not None else out

    def _score_tests(self) -> pd.DataFrame:
        """The unsorted modification indices of this fit (ML family); an estimator's own result
        class overrides it (:class:`validate.sem.wlsmv.WlsmvResult`)."""
        from .modindices import modification_indices

        return modification_indices(self)

    def summary(self) -> pd.DataFrame:
        """The parameter table with rounded numbers, like lavaan's summary()."""
        cols = [
            "lhs",
            "op",
            "rhs",
            "label",
            "group",
            "estimate",
            "se",
            "z",
            "p_value",
            "ci_lower",
            "ci_upper",
            "std_lv",
            "std_all",
        ]
        if self.spec.ngroups == 1:
            cols.remove("group")
        return self.params[cols].round(3)

    def to_dict(self) -> dict:
        """JSON-able dictionary (NaN -> None)."""

        def clean(x):
            if isinstance(x, dict):
                return {str(k): clean(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [clean(v) for v in x]
            if isinstance(x, np.ndarray):
                return clean(x.tolist())
            if isinstance(x, (np.floating, float)):
                return None if not math.isfinite(float(x)) else float(x)
            if isinstance(x, (np.integer,)):
                return int(x)
            if isinstance(x, (np.bool_,)):
                return bool(x)
            return x

        params = self.params.drop(columns=["free"]).to_dict(orient="records")
        return clean(
            dict(
                estimator=self.estimator,
                converged=self.converged,
                admissible=self.admissible,
                warnings=list(self.warnings),
                notes=list(self.notes),
                n=self.n,
                nobs_per_group=self.nobs_per_group,
                group_labels=[None if g is None else str(g) for g in self.group_labels],
                parameters=params,
                fit=self.fit,
                r2=self.r2,
                start_retry=self.start_retry,
            )
        )
