"""Differences in construct scores between groups of respondents (platform, gender, age band, ...).

One row per construct and grouping question: Welch's t test for two groups (Hedges' g), Welch's
ANOVA for more (ω², with Games-Howell post hoc comparisons). The tests come from pingouin, which
agrees with R's ``t.test`` and ``oneway.test`` (tests/fixtures/psych/group_differences_reference.R).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["COLUMNS", "construct_scores", "group_differences", "omega_squared"]

#: The columns of :func:`group_differences`.
COLUMNS = [
    "construct",
    "by",
    "test",
    "n_groups",
    "n_obs",
    "statistic",
    "df",
    "df2",
    "p_value",
    "effect_size",
    "effect_size_type",
    "groups",
    "posthoc",
    "reason",
]


def construct_scores(df: pd.DataFrame, constructs: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Unit-weighted construct scores: the mean of each respondent's answered items of the construct.

    A respondent who answered none of a construct's items has a missing score for it.
    """
    return pd.DataFrame(
        {c: df[list(items)].astype(float).mean(axis=1, skipna=True) for c, items in constructs.items()}, index=df.index
    )


def omega_squared(values: np.ndarray, groups: np.ndarray) -> float:
    r"""ω² of a one-way design: :math:`(SS_b - (k-1) MS_w) / (SS_t + MS_w)` (Hays, 1963)."""
    levels = pd.unique(groups)
    grand = values.mean()
    ss_b = sum(len(values[groups == g]) * (values[groups == g].mean() - grand) ** 2 for g in levels)
    ss_t = float(np.sum((values - grand) ** 2))
    k, n = len(levels), len(values)
    ms_w = (ss_t - ss_b) / (n - k)
    return float((ss_b - (k - 1) * ms_w) / (ss_t + ms_w))


def group_differences(
    scores: pd.DataFrame,
    by: Mapping[str, pd.Series],
    *,
    labels: Mapping[str, Mapping] | None = None,
    min_group: int = 2,
    posthoc_alpha: float = 0.05,
) -> pd.DataFrame:
    """Welch tests of every construct score across the groups of every grouping variable.

    Parameters
    ----------
    scores : pandas.DataFrame
        Construct scores (respondents x constructs), e.g. from :func:`construct_scores`.
    by : mapping
        Grouping name -> a Series aligned with ``scores`` (missing values leave the respondent out
        of that comparison).
    labels : mapping, optional
        Grouping name -> {code: label} for the group names in the output.
    min_group : int, default 2
        Groups with fewer respondents are left out of the test (and named in ``reason``).
    posthoc_alpha : float, default .05
        Games-Howell comparisons follow a Welch ANOVA significant at this level (the usual protected
        procedure); after a non-significant one ``posthoc`` is None.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: ``test`` is ``welch_t`` (two groups; ``effect_size`` Hedges' g of
        the first group against the second) or ``welch_anova`` (``df``/``df2`` the numerator and
        denominator df; ``effect_size`` ω²); ``groups`` a list of {group, label, n, mean, sd};
        ``posthoc`` the Games-Howell comparisons (a, b, diff, se, t, df, p_value, hedges_g) for
        ANOVAs significant at ``posthoc_alpha``; ``reason`` says why a test was not computed (its statistics are then None).

    References
    ----------
    Welch, B. L. (1951). On the comparison of several mean values: an alternative approach.
    *Biometrika, 38*, 330-336. Games, P. A., & Howell, J. F. (1976). Pairwise multiple comparison
    procedures with unequal n's and/or variances. *Journal of Educational Statistics, 1*, 113-125.
    """
    import pingouin as pg

    labels = labels or {}
    rows = []
    for name, g in by.items():
        g = pd.Series(g, index=scores.index)
        for c in scores.columns:
            d = pd.DataFrame({"y": scores[c], "g": g}).dropna()
            counts = d["g"].value_counts()
            small = sorted(counts[counts < min_group].index.tolist(), key=str)
            d = d[d["g"].isin(counts[counts >= min_group].index)]
            levels = sorted(d["g"].unique().tolist(), key=lambda v: (str(type(v)), v))
            lab = labels.get(name, {})
            groups = [
                {
                    "group": _plain(v),
                    "label": str(lab.get(v, v)),
                    "n": int((d.g == v).sum()),
                    "mean": float(d.y[d.g == v].mean()),
                    "sd": float(d.y[d.g == v].std(ddof=1)),
                }
                for v in levels
            ]
            row = {
                "construct": c,
                "by": name,
                "n_groups": len(levels),
                "n_obs": int(len(d)),
                "groups": groups,
                "posthoc": None,
                "reason": None,
                "statistic": None,
                "df": None,
                "df2": None,
                "p_value": None,
                "effect_size": None,
            }
            note = (
                f"; groups with fewer than {min_group} respondents left out: {', '.join(map(str, small))}"
                if small
                else ""
            )
            if len(levels) < 2:
                row.update(
                    test=None,
                    effect_size_type=None,
                    reason=f"fewer than two groups with {min_group} or more respondents" + note,
                )
            elif len(levels) == 2:
                a, b = (d.y[d.g == v].to_numpy() for v in levels)
                t = pg.ttest(a, b, correction=True)
                row.update(
                    test="welch_t",
                    statistic=float(t["T"].iloc[0]),
                    df=float(t["dof"].iloc[0]),
                    p_value=float(t["p_val"].iloc[0] if "p_val" in t else t["p-val"].iloc[0]),
                    effect_size=float(pg.compute_effsize(a, b, eftype="hedges")),
                    effect_size_type="hedges_g",
                    reason=note.lstrip("; ") or None,
                )
            else:
                w = pg.welch_anova(d, dv="y", between="g")
                p_omnibus = float(w["p_unc"].iloc[0] if "p_unc" in w else w["p-unc"].iloc[0])
                row.update(
                    test="welch_anova",
                    statistic=float(w["F"].iloc[0]),
                    df=float(w["ddof1"].iloc[0]),
                    df2=float(w["ddof2"].iloc[0]),
                    p_value=p_omnibus,
                    effect_size=omega_squared(d.y.to_numpy(), d.g.to_numpy()),
                    effect_size_type="omega_squared",
                    reason=note.lstrip("; ") or None,
                )
                if p_omnibus < posthoc_alpha:
                    gh = pg.pairwise_gameshowell(d, dv="y", between="g")
                    pcol = "pval" if "pval" in gh else "p-val"
                    row["posthoc"] = [
                        {
                            "a": _plain(r.A),
                            "b": _plain(r.B),
                            "diff": float(r.diff),
                            "se": float(r.se),
                            "t": float(r.T),
                            "df": float(r.df),
                            "p_value": float(getattr(r, pcol)),
                            "hedges_g": float(r.hedges),
                        }
                        for r in gh.itertuples(index=False)
                    ]
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def _plain(v):
    """A JSON-able group code (numpy scalars become Python numbers)."""
    return v.item() if hasattr(v, "item") else v
