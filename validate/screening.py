"""Screen survey responses: reverse-keying, missingness, careless responding, speeders, outliers.

Every rule is a plain function returning a tidy DataFrame, and :func:`screen`
runs them all with conservative defaults that :class:`ScreeningOptions` can
change or turn off. Each rule's action is ``"flag"`` (listed in the log, kept),
``"drop"`` (listed and removed) or ``"off"``.

Defaults (all documented in :class:`ScreeningOptions`):

========================  ===========================================================  ======
rule                      fires when                                                   action
========================  ===========================================================  ======
``missing``               more than 50% of the mechanism's items are missing           drop
``zero_variance``         every answered item got the same answer (>= 3 answered)      drop
``longstring``            the longest run of identical answers (questionnaire order)   flag
                          covers >= 80% of the mechanism's items
``attention``             an attention check is answered otherwise than instructed,    flag
                          or not answered
``speeder``               ``duration_sec`` < 0.5 x the median duration                 flag
``outlier``               Mahalanobis D^2 with p < .001 (chi-square, df = number of    flag
                          items; complete cases)
========================  ===========================================================  ======

Straight-lining rules look at the raw answers (before reverse-keyed items are
recoded, since a respondent who ticks "5" everywhere, reverse-keyed items
included, is straight-lining). Reverse-keyed items are then recoded
``min + max - x`` in the cleaned data.

References
----------
Johnson, J. A. (2005). Ascertaining the validity of individual protocols from
Web-based personality inventories. *Journal of Research in Personality, 39*(1), 103-129.

Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey
data. *Psychological Methods, 17*(3), 437-455.

Curran, P. G. (2016). Methods for the detection of carelessly invalid responses
in survey data. *Journal of Experimental Social Psychology, 66*, 4-19.

Leiner, D. J. (2019). Too fast, too straight, too weird: Non-reactive indicators
for meaningless data in internet surveys. *Survey Research Methods, 13*(3),
229-248. (Relative speed index: a respondent twice as fast as the median has
index 2, the cut-off our 0.5 x median default corresponds to.)

Greszki, R., Meyer, M., & Schoen, H. (2015). Exploring the effects of removing
"too fast" responses and respondents from web surveys. *Public Opinion
Quarterly, 79*(2), 471-503.

Tabachnick, B. G., & Fidell, L. S. (2013). *Using multivariate statistics*
(6th ed.). Pearson. (Mahalanobis distance evaluated as chi-square with df equal
to the number of variables, p < .001.)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from instruments.errors import InputError
from instruments.outputs import atomic_write, write_csv
from instruments.spec import Mechanism, ModelSpec, Scale
from validate.blas import single_threaded_blas

__all__ = [
    "ScreeningOptions",
    "ScreeningResult",
    "screen",
    "reverse_code",
    "item_missingness",
    "respondent_missingness",
    "longstring",
    "attention_failures",
    "speeders",
    "mahalanobis",
    "LOG_COLUMNS",
    "SUMMARY_COLUMNS",
]

LOG_COLUMNS = ["resp_id", "rule", "detail", "action"]
SUMMARY_COLUMNS = ["rule", "setting", "action", "n_flagged", "n_dropped", "note"]
ACTIONS = ("flag", "drop", "off")


@dataclass
class ScreeningOptions:
    """Settings of :func:`screen`; every rule has a default and can be turned off.

    Parameters
    ----------
    reverse : bool
        Recode reverse-keyed items ``min + max - x`` (default True).
    missing : {"drop", "flag", "off"}
        Respondents with more than ``max_missing`` of the mechanism's items
        missing (default drop, 0.5: more than half the items unanswered leaves
        too little to score the constructs).
    zero_variance : {"drop", "flag", "off"}
        Every answered item has the same answer, with at least
        ``min_answered_for_variance`` items answered (default drop: the clearest
        sign of straight-lining).
    longstring : {"flag", "drop", "off"}
        Longest run of identical consecutive answers >= ``longstring_share`` of
        the mechanism's items, rounded up (default flag at 0.8).
    attention : {"flag", "drop", "off"}
        An attention check answered otherwise than instructed, or skipped (default flag).
    speeder : {"flag", "drop", "off"}
        ``duration_sec`` below ``speed_ratio`` x the median (default flag at 0.5).
    outlier : {"flag", "drop", "off"}
        Mahalanobis D^2 with p < ``outlier_p`` on complete cases (default flag at .001).
    """

    reverse: bool = True
    missing: str = "drop"
    max_missing: float = 0.5
    zero_variance: str = "drop"
    min_answered_for_variance: int = 3
    longstring: str = "flag"
    longstring_share: float = 0.8
    attention: str = "flag"
    speeder: str = "flag"
    speed_ratio: float = 0.5
    outlier: str = "flag"
    outlier_p: float = 0.001

    def __post_init__(self) -> None:
        bad = []
        for name in ("missing", "zero_variance", "longstring", "attention", "speeder", "outlier"):
            v = getattr(self, name)
            if v not in ACTIONS:
                bad.append(f"{name}: {v!r} is not an action; expected one of flag, drop, off")
        for name in ("max_missing", "longstring_share", "speed_ratio", "outlier_p"):
            v = getattr(self, name)
            number = isinstance(v, (int, float)) and not isinstance(v, bool)
            if name == "max_missing":
                ok, rng = number and 0 <= v < 1, "0 <= x < 1"
            else:
                ok, rng = number and 0 < v <= 1, "0 < x <= 1"
            if not ok:
                bad.append(f"{name}: {v!r} is outside {rng}")
        if bad:
            raise InputError("invalid screening options", bad)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ScreeningResult:
    """What :func:`screen` did.

    Attributes
    ----------
    cleaned : DataFrame
        Respondents kept, reverse-keyed items recoded.
    log : DataFrame
        ``resp_id, rule, detail, action`` (``flagged`` or ``dropped``), one row
        per respondent and rule that fired.
    summary : DataFrame
        ``rule, setting, action, n_flagged, n_dropped, note`` per rule.
    item_missing : DataFrame
        :func:`item_missingness` of the input.
    mechanism : str
    options : ScreeningOptions
    """

    cleaned: pd.DataFrame
    log: pd.DataFrame
    summary: pd.DataFrame
    item_missing: pd.DataFrame
    mechanism: str
    options: ScreeningOptions = field(default_factory=ScreeningOptions)

    @property
    def data(self) -> pd.DataFrame:
        """Alias of :attr:`cleaned`."""
        return self.cleaned

    @property
    def dropped(self) -> list[str]:
        return sorted(set(self.log.loc[self.log["action"] == "dropped", "resp_id"]))

    def to_dict(self) -> dict:
        return {
            "mechanism": self.mechanism,
            "options": self.options.to_dict(),
            "n_kept": int(len(self.cleaned)),
            "n_dropped": len(self.dropped),
            "summary": self.summary.to_dict(orient="records"),
        }

    def write(self, out_dir: str | Path, mechanism: str | None = None, *, parquet: bool = True) -> list[Path]:
        """Write ``cleaned_<mechanism>.csv`` / ``.xlsx`` / ``.parquet``, ``screening_log_<mechanism>.csv``
        and ``screening_summary_<mechanism>.csv``, atomically (CSV as UTF-8 with BOM for Excel).

        ``mechanism`` overrides the name used in the file names (default: the mechanism screened).
        """
        from validate.ingest.responses import write_table_xlsx

        out = Path(out_dir)
        m = mechanism or self.mechanism
        paths = [
            write_csv(out / f"cleaned_{m}.csv", self.cleaned),
            write_table_xlsx(
                out / f"cleaned_{m}.xlsx", {"cleaned": self.cleaned, "screening_log": self.log, "summary": self.summary}
            ),
            write_csv(out / f"screening_log_{m}.csv", self.log),
            write_csv(out / f"screening_summary_{m}.csv", self.summary),
        ]
        if parquet:
            paths.append(atomic_write(out / f"cleaned_{m}.parquet", lambda p: self.cleaned.to_parquet(p, index=False)))
        return paths


# --------------------------------------------------------------------------- rules


def _items(df: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    missing = [i for i in items if i not in df.columns]
    if missing:
        raise InputError(
            f"the data have no column for item(s) {', '.join(missing)}; expected columns {', '.join(items)}"
        )
    return df[items].astype(float)


def reverse_code(df: pd.DataFrame, mechanism: Mechanism, scale: Scale) -> pd.DataFrame:
    """Copy of ``df`` with the mechanism's reverse-keyed items recoded ``min + max - x`` (NaN stays NaN)."""
    out = df.copy()
    for it in mechanism.items:
        if it.reverse and it.id in out.columns:
            out[it.id] = scale.reverse(out[it.id].astype(float))
    return out


def item_missingness(df: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Missing answers per item: ``item, n, n_missing, share_missing``."""
    x = _items(df, items)
    n_miss = x.isna().sum()
    return pd.DataFrame(
        {
            "item": items,
            "n": len(x),
            "n_missing": n_miss.to_numpy(dtype=int),
            "share_missing": (n_miss / max(len(x), 1)).to_numpy(dtype=float),
        }
    )


def respondent_missingness(df: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Missing answers per respondent: ``resp_id, n_items, n_missing, share_missing``."""
    x = _items(df, items)
    n_miss = x.isna().sum(axis=1).to_numpy(dtype=int)
    return pd.DataFrame(
        {
            "resp_id": df["resp_id"].to_numpy(),
            "n_items": len(items),
            "n_missing": n_miss,
            "share_missing": n_miss / max(len(items), 1),
        }
    )


def longstring(df: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Straight-lining indices per respondent, in questionnaire (``items``) order.

    Returns
    -------
    DataFrame
        ``resp_id``; ``longstring`` (longest run of identical consecutive
        answers; a missing answer breaks a run); ``n_answered``; ``irv`` (the
        intra-individual response variability, the SD of the answered items,
        ddof=0; NaN with fewer than 2 answers).

    References
    ----------
    Johnson (2005); Curran (2016).
    """
    x = _items(df, items).to_numpy()
    n, k = x.shape
    best = np.zeros(n, dtype=int)
    run = np.zeros(n, dtype=int)
    for j in range(k):
        col = x[:, j]
        ok = ~np.isnan(col)
        same = ok & (j > 0) & (col == (x[:, j - 1] if j > 0 else col))
        run = np.where(same, run + 1, np.where(ok, 1, 0))
        best = np.maximum(best, run)
    answered = (~np.isnan(x)).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        irv = np.where(answered >= 2, np.nanstd(x, axis=1), np.nan) if k else np.full(n, np.nan)
    return pd.DataFrame({"resp_id": df["resp_id"].to_numpy(), "longstring": best, "n_answered": answered, "irv": irv})


def attention_failures(df: pd.DataFrame, checks) -> pd.DataFrame:
    """Attention-check answers: ``resp_id, check, value, expected, passed`` (skipped counts as not passed).

    ``checks`` are :class:`~instruments.spec.AttentionCheck` objects; checks
    without a column in ``df`` are left out.
    """
    rows = []
    for a in checks:
        if a.id not in df.columns:
            continue
        vals = df[a.id].astype(float).to_numpy()
        exp = ", ".join(str(e) for e in a.expected)
        for rid, v in zip(df["resp_id"], vals):
            rows.append(
                {
                    "resp_id": rid,
                    "check": a.id,
                    "value": v,
                    "expected": exp,
                    "passed": bool(not np.isnan(v) and int(v) in a.expected),
                }
            )
    return pd.DataFrame(rows, columns=["resp_id", "check", "value", "expected", "passed"])


def speeders(df: pd.DataFrame, ratio: float = 0.5) -> pd.DataFrame:
    """Respondents faster than ``ratio`` x the median completion time.

    Returns
    -------
    DataFrame
        ``resp_id, duration_sec, median_sec, relative_speed, speeder``;
        ``relative_speed`` is median / duration (Leiner's 2019 relative speed
        index for a single page); ``speeder`` is ``duration_sec < ratio * median``.
        Respondents without a duration are not speeders.
    """
    if "duration_sec" not in df.columns:
        return pd.DataFrame(columns=["resp_id", "duration_sec", "median_sec", "relative_speed", "speeder"])
    d = df["duration_sec"].astype(float)
    med = float(d.median()) if d.notna().any() else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = med / d.to_numpy()
    return pd.DataFrame(
        {
            "resp_id": df["resp_id"].to_numpy(),
            "duration_sec": d.to_numpy(),
            "median_sec": med,
            "relative_speed": rel,
            "speeder": (d < ratio * med).to_numpy() if np.isfinite(med) else False,
        }
    )


def mahalanobis(df: pd.DataFrame, items: list[str], p: float = 0.001) -> pd.DataFrame:
    """Mahalanobis D^2 of each complete case from the item means.

    Returns
    -------
    DataFrame
        ``resp_id, d2, df, p_value, outlier`` for the complete cases, where
        ``p_value`` is the chi-square upper tail with ``df`` = number of items
        and ``outlier`` is ``p_value < p``.

    Notes
    -----
    ``D^2 = (x - m)' S^-1 (x - m)`` with the sample mean ``m`` and covariance
    ``S`` (ddof=1) of the complete cases. A singular ``S`` (an item without
    variance, or more items than cases) is inverted with the Moore-Penrose
    pseudo-inverse; fewer cases than items + 2 return an empty frame.

    References
    ----------
    Tabachnick & Fidell (2013), chapter 4.
    """
    x = _items(df, items)
    ok = x.notna().all(axis=1).to_numpy()
    cols = ["resp_id", "d2", "df", "p_value", "outlier"]
    xs = x.to_numpy()[ok]
    k = len(items)
    if len(xs) < k + 2:
        return pd.DataFrame(columns=cols)
    with single_threaded_blas():  # threads only cost here, badly so on a busy machine (5 s at n = 100,000)
        c = xs - xs.mean(axis=0)
        s = np.cov(xs, rowvar=False, ddof=1)
        inv = np.linalg.pinv(s)
        d2 = np.einsum("ij,jk,ik->i", c, inv, c)
    pv = stats.chi2.sf(d2, k)
    return pd.DataFrame(
        {"resp_id": df["resp_id"].to_numpy()[ok], "d2": d2, "df": k, "p_value": pv, "outlier": pv < p}, columns=cols
    )


# --------------------------------------------------------------------------- screen


def screen(
    df: pd.DataFrame, mechanism: Mechanism | str, spec: ModelSpec, options: ScreeningOptions | None = None
) -> ScreeningResult:
    """Run every screening rule on one mechanism's responses.

    Parameters
    ----------
    df : DataFrame
        One mechanism's data from :func:`validate.ingest.responses.ingest` (``resp_id``,
        item ids, optional ``duration_sec`` and attention-check ids).
    mechanism : Mechanism or str
    spec : ModelSpec
    options : ScreeningOptions, optional
        Defaults as in the module docstring.

    Returns
    -------
    ScreeningResult
        ``cleaned`` keeps the respondents no ``drop`` rule fired on (input order),
        with reverse-keyed items recoded when ``options.reverse``.

    Examples
    --------
    >>> from instruments.spec import load_spec
    >>> from validate.ingest.responses import ingest
    >>> spec = load_spec("tests/fixtures/specs/minimal.yaml")
    >>> data = ingest("tests/fixtures/exports/template.xlsx", spec).data["main"]
    >>> res = screen(data, "main", spec)
    >>> len(res.cleaned), res.dropped
    (8, [])
    """
    opts = options or ScreeningOptions()
    mech = spec.mechanism(mechanism) if isinstance(mechanism, str) else mechanism
    items = mech.item_ids
    if "resp_id" not in df.columns:
        raise InputError("the data have no resp_id column; expected the output of ingest")
    df = df.reset_index(drop=True)
    k = len(items)
    log: list[dict] = []
    summary: list[dict] = []
    drop = np.zeros(len(df), dtype=bool)
    ids = df["resp_id"].to_numpy()

    def record(rule: str, mask: np.ndarray, details: list[str], action: str, setting: str, note: str = ""):
        nonlocal drop
        act = "dropped" if action == "drop" else "flagged"
        if action != "off":
            for i in np.flatnonzero(mask):
                log.append({"resp_id": ids[i], "rule": rule, "detail": details[i], "action": act})
            if action == "drop":
                drop |= mask
        summary.append(
            {
                "rule": rule,
                "setting": setting,
                "action": action,
                "n_flagged": int(mask.sum()) if action != "off" else 0,
                "n_dropped": int(mask.sum()) if action == "drop" else 0,
                "note": note,
            }
        )

    # missingness
    rm = respondent_missingness(df, items)
    mask = (rm["share_missing"] > opts.max_missing).to_numpy() if opts.missing != "off" else np.zeros(len(df), bool)
    record(
        "missing",
        mask,
        [
            f"{m} of {k} items missing ({s:.0%} > {opts.max_missing:.0%})"
            for m, s in zip(rm["n_missing"], rm["share_missing"])
        ],
        opts.missing,
        f"> {opts.max_missing:.0%} of items missing",
    )
    # straight-lining (raw answers, questionnaire order)
    ls = longstring(df, items)
    x = df[items].astype(float).to_numpy()
    answered = ls["n_answered"].to_numpy()
    with np.errstate(invalid="ignore"):
        zero = (answered >= opts.min_answered_for_variance) & (
            np.nanmax(np.where(np.isnan(x), -np.inf, x), axis=1) == np.nanmin(np.where(np.isnan(x), np.inf, x), axis=1)
        )
    vals = np.nanmax(np.where(np.isnan(x), -np.inf, x), axis=1)
    if opts.zero_variance == "off":
        zero = np.zeros(len(df), bool)
    record(
        "zero_variance",
        zero,
        [f"all {a} answered items = {_num(v)}" for a, v in zip(answered, vals)],
        opts.zero_variance,
        f"identical answers to all items (>= {opts.min_answered_for_variance} answered)",
    )
    need = max(2, math.ceil(opts.longstring_share * k))
    long = (ls["longstring"].to_numpy() >= need) if opts.longstring != "off" else np.zeros(len(df), bool)
    record(
        "longstring",
        long,
        [f"longest run of identical answers {r} of {k} items (>= {need})" for r in ls["longstring"]],
        opts.longstring,
        f"run >= {need} of {k} items ({opts.longstring_share:.0%})",
    )
    # attention checks
    checks = spec.attention_checks_for(mech.id)
    present = [a for a in checks if a.id in df.columns]
    if present and opts.attention != "off":
        af = attention_failures(df, present)
        failed = af[~af["passed"]]
        mask = df["resp_id"].isin(failed["resp_id"]).to_numpy()
        det = {}
        for r in failed.itertuples(index=False):
            got = "not answered" if np.isnan(r.value) else f"answered {_num(r.value)}"
            det.setdefault(r.resp_id, []).append(f"{r.check}: {got}, expected {r.expected}")
        record(
            "attention",
            mask,
            ["; ".join(det.get(i, [])) for i in ids],
            opts.attention,
            "answer differs from the instructed one",
        )
    else:
        note = "off" if opts.attention == "off" else "no attention-check column in the data"
        record(
            "attention",
            np.zeros(len(df), bool),
            [""] * len(df),
            "off" if not present else opts.attention,
            "answer differs from the instructed one",
            note,
        )
    # speeders
    if "duration_sec" in df.columns and df["duration_sec"].notna().any() and opts.speeder != "off":
        sp = speeders(df, opts.speed_ratio)
        med = float(sp["median_sec"].iloc[0])
        record(
            "speeder",
            sp["speeder"].to_numpy(dtype=bool),
            [f"{_num(d)} s < {opts.speed_ratio:g} x median {_num(med)} s" for d in sp["duration_sec"]],
            opts.speeder,
            f"duration < {opts.speed_ratio:g} x median",
            f"median {_num(med)} s",
        )
    else:
        note = "off" if opts.speeder == "off" else "the platform gave no duration"
        record(
            "speeder", np.zeros(len(df), bool), [""] * len(df), "off", f"duration < {opts.speed_ratio:g} x median", note
        )
    # multivariate outliers (on respondents not already dropped)
    if opts.outlier != "off":
        keep_idx = np.flatnonzero(~drop)
        md = mahalanobis(df.iloc[keep_idx], items, opts.outlier_p)
        mask = np.zeros(len(df), bool)
        det = [""] * len(df)
        note = f"{len(md)} complete cases"
        if md.empty:
            note = f"not computed: fewer complete cases than items + 2 ({k + 2})"
        else:
            pos = {rid: i for i, rid in zip(keep_idx, df["resp_id"].to_numpy()[keep_idx])}
            for r in md.itertuples(index=False):
                i = pos[r.resp_id]
                det[i] = f"D2 = {r.d2:.2f}, df = {r.df}, p = {r.p_value:.2g} < {opts.outlier_p:g}"
                mask[i] = bool(r.outlier)
        record("outlier", mask, det, opts.outlier, f"Mahalanobis p < {opts.outlier_p:g}", note)
    else:
        record("outlier", np.zeros(len(df), bool), [""] * len(df), "off", f"Mahalanobis p < {opts.outlier_p:g}", "off")
    cleaned = df.loc[~drop].reset_index(drop=True)
    rev = [it.id for it in mech.items if it.reverse]
    if opts.reverse:
        cleaned = reverse_code(cleaned, mech, spec.scale)
    summary.append(
        {
            "rule": "reverse_coded",
            "setting": f"{spec.scale.min} + {spec.scale.max} - x",
            "action": "recode" if opts.reverse else "off",
            "n_flagged": 0,
            "n_dropped": 0,
            "note": ", ".join(rev) if rev else "no reverse-keyed items",
        }
    )
    return ScreeningResult(
        cleaned=cleaned,
        log=pd.DataFrame(log, columns=LOG_COLUMNS),
        summary=pd.DataFrame(summary, columns=SUMMARY_COLUMNS),
        item_missing=item_missingness(df, items),
        mechanism=mech.id,
        options=opts,
    )


def _num(x) -> str:
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not np.isfinite(xf):
        return "NA"
    return str(int(xf)) if xf.is_integer() else f"{xf:.1f}"
