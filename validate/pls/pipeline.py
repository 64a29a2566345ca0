"""PLS-SEM of one mechanism of a spec, in the shape of ``results.json`` (``mechanisms.<m>.pls``).

:func:`run_pls` is what ``vcc validate --method pls`` (or ``both``) runs for each
mechanism on the ingested and screened responses: it builds the PLS model from
the spec (constructs, items, paths; a construct's ``mode`` when the spec has one,
or a mapping given here), fits it, bootstraps it on the same workers or Dask
cluster as the CB bootstrap, and judges each hypothesis as the CB-SEM analysis
does (supported when the two-sided p-value is below alpha).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from instruments.errors import InputError
from validate.pls.fit import fit_pls
from validate.pls.model import MISSING, SCHEMES, PLSModel

__all__ = ["PLSOptions", "run_pls", "pls_options"]

#: The spec key a construct's measurement mode is read from (``reflective``/``formative`` or ``A``/``B``).
MODE_KEY = "mode"


@dataclass
class PLSOptions:
    """Options of the PLS analysis (``vcc validate --method pls``).

    Attributes
    ----------
    scheme : {"path", "factorial", "centroid"}
        Inner weighting scheme (path, SmartPLS's default).
    consistent : bool
        PLSc: Mode A constructs as common factors (Dijkstra & Henseler 2015).
    missing : {"mean", "listwise"}
        Mean replacement (seminr's default) or listwise deletion.
    bootstrap : int
        Resamples (5000 by default, as SmartPLS recommends; 0 for none).
    modes : mapping
        Construct -> A/B (or reflective/formative), overriding the spec.
    """

    scheme: str = "path"
    consistent: bool = False
    missing: str = "mean"
    bootstrap: int = 5000
    seed: int = 20240601
    alpha: float = 0.05
    workers: int | None = None
    scheduler: str | None = None
    progress: bool = True
    direct_effects: bool = False
    bca: bool = True
    tol: float = 1e-7
    max_iter: int = 300
    modes: Mapping[str, str] = field(default_factory=dict)
    predict_folds: int = 10
    permutations: int = 5000
    group: str | None = None
    ipma_targets: list | None = None
    predict_repetitions: int = 10
    predict_approach: str = "direct"
    moderation: str = "two_stage"
    hoc_approach: str = "disjoint"

    def check(self) -> None:
        if self.scheme not in SCHEMES:
            raise InputError(f"--scheme {self.scheme}: expected one of {', '.join(SCHEMES)}")
        if self.missing not in MISSING:
            raise InputError(f"--pls-missing {self.missing}: expected mean (mean replacement) or listwise")
        if isinstance(self.bootstrap, bool) or not isinstance(self.bootstrap, int) or self.bootstrap < 0:
            raise InputError(f"--bootstrap {self.bootstrap!r}: expected 0 (no bootstrap) or a positive number")
        if 0 < self.bootstrap < 100:
            raise InputError(
                f"--bootstrap {self.bootstrap}: too few resamples for confidence intervals; "
                "expected 0 or at least 100 (5000 recommended)"
            )
        for name, v in (("--predict-folds", self.predict_folds), ("--predict-repetitions", self.predict_repetitions)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InputError(f"{name} {v!r}: expected a whole number (0 to skip PLSpredict)")
        if isinstance(self.permutations, bool) or not isinstance(self.permutations, int) or self.permutations < 20:
            raise InputError(
                f"--permutations {self.permutations!r}: expected a whole number of at least 20 (5000 recommended)"
            )
        if self.predict_folds == 1:
            raise InputError("--predict-folds 1: expected 0 (no PLSpredict) or at least 2 folds (10 recommended)")
        if self.predict_approach not in ("direct", "earliest"):
            raise InputError(
                f"--predict-approach {self.predict_approach}: expected direct (direct antecedents) or "
                "earliest (earliest antecedents)"
            )
        if self.moderation not in ("two_stage", "product_indicator", "orthogonal"):
            raise InputError(
                f"--pls-moderation {self.moderation}: expected two_stage (default), product_indicator or orthogonal"
            )
        if not 0 < self.alpha < 1:
            raise InputError(f"--alpha {self.alpha}: expected a number between 0 and 1, e.g. 0.05")
        if self.hoc_approach not in ("disjoint", "embedded"):
            raise InputError(
                f"--hoc-approach {self.hoc_approach}: expected disjoint (the default, as seminr's "
                "two_stage) or embedded (repeated indicators in stage 1)"
            )


def pls_options(opts=None, **overrides) -> PLSOptions:
    """PLS options from ``vcc validate``'s options object (read defensively) and overrides.

    Reads ``pls_scheme``/``scheme``, ``pls_consistent``/``consistent``, ``pls_missing``, ``pls_modes``,
    ``bootstrap``, ``seed``, ``alpha``, ``workers``, ``scheduler``, ``progress`` and ``direct_effects`` when
    present. The CB option ``missing`` (listwise/fiml) is not PLS's: PLS uses ``pls_missing`` (mean by default).
    """
    out = PLSOptions()
    if opts is not None:

        def get(*names):
            for n in names:
                v = getattr(opts, n, None)
                if v is not None:
                    return v
            return None

        for attr, names in (
            ("scheme", ("pls_scheme", "scheme")),
            ("consistent", ("pls_consistent", "consistent")),
            ("missing", ("pls_missing",)),
            ("modes", ("pls_modes",)),
            ("bootstrap", ("pls_bootstrap", "bootstrap")),
            ("seed", ("seed",)),
            ("alpha", ("alpha",)),
            ("workers", ("workers",)),
            ("scheduler", ("scheduler",)),
            ("progress", ("progress",)),
            ("direct_effects", ("direct_effects",)),
            ("predict_folds", ("pls_predict_folds",)),
            ("permutations", ("pls_permutations",)),
            ("group", ("group",)),
            ("ipma_targets", ("pls_ipma_targets",)),
            ("predict_repetitions", ("pls_predict_repetitions",)),
            ("predict_approach", ("pls_predict_approach",)),
            ("moderation", ("pls_moderation",)),
            ("hoc_approach", ("pls_hoc_approach",)),
        ):
            v = get(*names)
            if v is not None:
                setattr(out, attr, v)
    for k, v in overrides.items():
        if not hasattr(out, k):
            raise TypeError(f"unknown PLS option {k!r}")
        setattr(out, k, v)
    out.check()
    return out


def run_pls(
    df: pd.DataFrame,
    mechanism,
    opts=None,
    *,
    modes: Mapping[str, str] | None = None,
    scales: Mapping[str, tuple[float, float]] | None = None,
    **overrides,
) -> dict:
    """PLS-SEM of one mechanism; returns ``{"pls": {...}}`` for ``results["mechanisms"][id]``.

    Parameters
    ----------
    df : DataFrame
        The mechanism's screened responses (one column per item; reverse-keyed items already recoded).
    mechanism : instruments.spec.Mechanism
    opts : AnalysisOptions or PLSOptions, optional
        ``vcc validate``'s options (see :func:`pls_options` for what is read).
    modes : mapping, optional
        Construct -> A/B/reflective/formative; overrides a ``mode`` in the spec.
    scales : mapping item -> (min, max), optional
        The answer scale of every item, for the IPMA (``pls.ipma``); without it no IPMA is run.
    **overrides
        Any :class:`PLSOptions` field.

    Returns
    -------
    dict
        ``{"pls": entry}`` with the keys of :meth:`validate.pls.fit.PLSResults.to_dict`, and each path
        row extended with ``hypothesis``, ``direct`` and ``supported`` (p < alpha; None without a bootstrap).
        With the spec's moderations or controls also ``moderation``, ``controls`` and
        ``moderation_approach`` (see :meth:`validate.pls.moderation.ModeratedModel.entry`).

    Raises
    ------
    InputError
        A construct without data, an unknown mode, a singular model, bad options.
    """
    po = opts if isinstance(opts, PLSOptions) else pls_options(opts, **overrides)
    if isinstance(opts, PLSOptions) and overrides:
        po = pls_options(opts, **overrides)
    if modes:
        po.modes = {**dict(po.modes or {}), **dict(modes)}
    po.check()
    hoc = None
    if any(c.second_order for c in mechanism.constructs.values()):  # two-stage higher-order constructs
        from validate.pls.higher_order import HOCModel, fit_hoc

        hoc = HOCModel.from_mechanism(mechanism, direct=po.direct_effects, modes=po.modes)
        model = hoc.stage2
    else:
        model = PLSModel.from_mechanism(mechanism, direct=po.direct_effects, modes=po.modes)
    desc = f"{mechanism.id} PLS bootstrap"
    kw = dict(
        scheme=po.scheme,
        consistent=po.consistent,
        missing=po.missing,
        tol=po.tol,
        max_iter=po.max_iter,
        bootstrap=po.bootstrap,
        seed=po.seed,
        level=1 - po.alpha,
        bca=po.bca,
        progress=po.progress,
        desc=desc,
    )
    moderated = None
    if mechanism.moderations or mechanism.controls:  # interaction terms and controls: validate.pls.moderation
        from validate.pls.moderation import ModeratedModel
        from validate.structural.analysis import check_controls

        if hoc is not None:  # validate.pipeline refuses this first; kept for the Python API
            raise InputError(
                f"mechanism {mechanism.id}: PLS-SEM fits second-order constructs and moderations or "
                "controls, but not both in one model in this version"
            )
        check_controls(df, mechanism)
        moderated = ModeratedModel.of(mechanism, model, po.moderation)
    if hoc is not None:
        fitter = lambda **k: fit_hoc(df, hoc, po.hoc_approach, **k)
    elif moderated is not None:
        fitter = lambda **k: moderated.fit(df, **k)
    else:
        fitter = lambda **k: fit_pls(df, model, **k)
    if po.scheduler and po.bootstrap:
        from validate.executors import make_executor

        with make_executor(po.scheduler) as ex:
            res = fitter(executor=ex, **kw)
    else:
        res = fitter(workers=po.workers, **kw)
    hoc_res = None
    if hoc is not None:
        hoc_res, res = res, res.stage2
    pres = res  # the fit PLSpredict and the IPMA start from
    if moderated is not None:
        res, extras = res
        out = moderated.entry(res.to_dict(), res, extras, po.alpha)
        pres = res
        uses = [
            w
            for w, on in (
                ("PLSpredict and CVPAT", po.predict_folds and po.predict_repetitions),
                ("the IPMA", scales is not None),
                ("MICOM and the multigroup analysis", po.group),
            )
            if on
        ]
        if uses:  # these re-estimate the model on parts of the data: the spec's model, without the added terms
            pres = fit_pls(df, model, **{**kw, "bootstrap": 0})
            out["warnings"].append(
                ", ".join(uses) + " use the spec's model without the interaction term(s) and control(s)"
            )
    else:
        out = res.to_dict()
    if hoc_res is not None:
        out["higher_order"] = hoc_res.to_dict()
    hyp = {(p.source, p.target): p for p in mechanism.active_paths(po.direct_effects)}
    for row in out["paths"]:
        p = hyp.get((row["from"], row["to"]))
        row["hypothesis"] = p.hypothesis if p is not None else None
        row["direct"] = bool(p.direct) if p is not None else False
        pv = row.get("p_value")
        row["supported"] = bool(pv < po.alpha) if pv is not None and res.converged else None
        row["f2"] = next((f["f2"] for f in out["f2"] if f["from"] == row["from"] and f["to"] == row["to"]), None)
        vif = (out["vif_inner"].get(row["to"]) or {}).get(row["from"])
        row["vif"] = vif
    out["alpha"] = po.alpha
    out["seed"] = po.seed
    if hoc_res is not None:
        # PLSpredict/CVPAT re-run both stages in every fold, on the training cases only (validate.pls.predict)
        out["predict"], out["cvpat"] = _predict_entry(hoc_res, po, mechanism.id)
        out["ipma"] = _ipma_entry(hoc_res, po, mechanism, scales)
        if po.group:  # on the stage-2 data, as a two-stage model is compared across groups in SmartPLS
            out.update(_groups_entry(hoc_res.stage2_frame(df, po.group), model, po, mechanism.id))
            note = (
                " - on the stage-2 data of the two-stage approach (the dimensions' stage-1 scores, estimated on "
                "all cases, held fixed as the higher-order constructs' indicators)"
            )
            out["micom"]["method"] += note
            out["mga"]["method"] += note
            out["warnings"].append(
                f"--group {po.group}: MICOM and the multigroup analysis ran on the stage-2 data"
                + note[len(" - on the stage-2 data") :]
            )
    else:
        out["predict"], out["cvpat"] = _predict_entry(pres, po, mechanism.id)
        out["ipma"] = _ipma_entry(pres, po, mechanism, scales)
        if po.group:
            out.update(_groups_entry(df, model, po, mechanism.id))
    if not po.bootstrap:
        out["warnings"].append(
            "no bootstrap was run (--bootstrap 0): no standard errors, p-values or intervals, "
            "and no hypothesis is judged"
        )
    if not res.converged:
        out["warnings"].append("no hypothesis is judged: the PLS algorithm did not converge")
    return {"pls": out}


def _predict_entry(res, po: PLSOptions, mid: str) -> tuple[dict, dict]:
    """``pls.predict`` (PLSpredict) and ``pls.cvpat`` from the same predictions, or ``{"skipped": reason}`` twice.

    ``res`` is a :class:`~validate.pls.fit.PLSResults` or a two-stage
    :class:`~validate.pls.higher_order.HOCResults` (both stages re-estimated in every fold).
    """
    from validate.pls.predict import cvpat, pls_predict

    why = None
    fit = getattr(res, "stage2", res)  # a two-stage higher-order fit: its stage 2 is the model the spec states
    if not po.predict_folds or not po.predict_repetitions:
        why = "not requested (--predict-folds 0 or --predict-repetitions 0)"
    elif not fit.converged or not getattr(res, "stage1", fit).converged:
        why = "the PLS algorithm did not converge on the full sample"
    elif po.predict_folds > fit.n_obs // 2:
        why = f"{fit.n_obs} cases are too few for {po.predict_folds}-fold cross-validation"
    if why:
        return {"skipped": why}, {"skipped": why}
    kw = dict(progress=po.progress, desc=f"{mid} PLSpredict")
    if po.scheduler:
        from validate.executors import make_executor

        with make_executor(po.scheduler) as ex:
            pr = pls_predict(
                res, po.predict_folds, po.predict_repetitions, po.predict_approach, po.seed, executor=ex, **kw
            )
    else:
        pr = pls_predict(
            res, po.predict_folds, po.predict_repetitions, po.predict_approach, po.seed, workers=po.workers, **kw
        )
    return pr.to_dict(), cvpat(pr)


def _groups_entry(df: pd.DataFrame, model: PLSModel, po: PLSOptions, mid: str) -> dict:
    """``pls.micom`` and ``pls.mga``: MICOM, then the multigroup tests, for every pair of levels of ``po.group``."""
    from validate.pls.mga import micom_mga

    kw = dict(
        permutations=po.permutations,
        bootstrap=po.bootstrap,
        seed=po.seed,
        scheme=po.scheme,
        consistent=po.consistent,
        missing=po.missing,
        tol=po.tol,
        max_iter=po.max_iter,
        alpha=po.alpha,
        progress=po.progress,
        desc=f"{mid} MICOM",
    )
    if po.scheduler:
        from validate.executors import make_executor

        with make_executor(po.scheduler) as ex:
            res = micom_mga(df, model, po.group, executor=ex, **kw)
    else:
        res = micom_mga(df, model, po.group, workers=po.workers, **kw)
    head = {k: res[k] for k in ("group", "levels", "n", "alpha")}
    micom = {
        **head,
        "method": "MICOM (Henseler, Ringle & Sarstedt 2016): configural, compositional (permutation "
        "of c), equality of composite means and variances (pooled scores, permutation)",
        "pairs": [
            {"groups": p["groups"], "n": p["n"], **p["micom"], "permutations": p["permutations"]}
            if "error" not in p
            else p
            for p in res["pairs"]
        ],
    }
    mga = {
        **head,
        "method": "permutation test (Chin & Dibbern 2010), PLS-MGA (Henseler et al. 2009), parametric "
        "(Keil et al. 2000) and Welch-Satterthwaite tests",
        "judged_by": "p_permutation",
        "pairs": [
            {
                "groups": p["groups"],
                "n": p["n"],
                "micom_verdict": p["micom"]["verdict"],
                **p["mga"],
                "permutations": p["permutations"]["completed"],
            }
            if "error" not in p
            else p
            for p in res["pairs"]
        ],
    }
    if not po.bootstrap:
        mga["note"] = "no bootstrap (--bootstrap 0): PLS-MGA, parametric and Welch-Satterthwaite tests not run"
    return {"micom": micom, "mga": mga}


def _ipma_entry(res, po: PLSOptions, mechanism, scales) -> dict:
    """``pls.ipma`` for the chosen targets (default: the outcome-stage constructs a path points to)."""
    from validate.pls.ipma import ipma

    if scales is None:
        return {"skipped": "no answer scales were given (run through vcc validate, which reads them from the spec)"}
    fit = getattr(res, "stage2", res)  # a two-stage higher-order fit maps its stage 2 (HOCResults.ipma)
    endo = [c for c in fit.st.names if fit.st.preds[fit.st.names.index(c)].size]
    targets = list(po.ipma_targets or [])
    if not targets:
        targets = [c for c in endo if getattr(mechanism.constructs.get(c), "stage", None) == "outcome"]
        targets = targets or [c for c in endo if not any(a == c for a, _ in fit.model.paths)]
    if fit is not res:
        return res.ipma(targets, scales)
    return ipma(res, targets, scales)
