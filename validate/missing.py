"""Which missing-data method a mechanism's models use, and why (``--missing``).

``auto`` (the default) follows what Mplus and AMOS do and reviewers expect: full-information ML
whenever an analysed item cell is empty, complete-data ML otherwise, and with WLSMV pairwise
deletion (lavaan's ``missing = "pairwise"``). The reason is kept for the report's Method section.
"""

from __future__ import annotations

import pandas as pd

from instruments.errors import InputError

__all__ = ["MISSING_CHOICES", "choose_missing", "wlsmv_supports", "resolve_options"]

#: Values of ``--missing``; ``auto`` picks one of the others per mechanism (see :func:`choose_missing`).
MISSING_CHOICES = ("auto", "fiml", "listwise", "pairwise")


def wlsmv_supports(feature: str) -> bool:
    """Whether the WLSMV engine offers ``feature`` (``"pairwise"`` deletion or multi-group ``"group"``).

    The engine declares what it can do in ``validate.sem.wlsmv.CAPABILITIES`` (a set of names); an
    engine without the attribute offers neither.
    """
    from validate.sem import wlsmv

    return feature in set(getattr(wlsmv, "CAPABILITIES", ()))


def choose_missing(df: pd.DataFrame, items: list[str], estimator: str, requested: str = "auto") -> dict:
    """The missing-data method of one mechanism and why it was used.

    Parameters
    ----------
    df : pandas.DataFrame
        The screened responses of the mechanism.
    items : list of str
        The mechanism's item columns (the analysed cells).
    estimator : {"ML", "MLR", "WLSMV"}
    requested : {"auto", "fiml", "listwise", "pairwise"}
        ``--missing``. ``auto`` (the default) uses full-information ML when any analysed item cell is
        empty and complete-data ML otherwise (Mplus and AMOS do the same); with WLSMV it uses pairwise
        deletion, lavaan's ``missing = "pairwise"``.

    Returns
    -------
    dict
        ``method`` (``"fiml"``, ``"listwise"`` or ``"pairwise"``), ``requested``, ``reason`` (a sentence),
        ``n_incomplete`` (respondents with at least one empty item cell) and ``n_empty_cells``.

    Raises
    ------
    InputError
        ``auto`` with WLSMV on data with holes while the engine has no pairwise deletion: the message
        names ``--missing listwise``, the one honest choice left.
    """
    X = df[[i for i in items if i in df.columns]]
    holes = X.isna()
    n_inc = int(holes.any(axis=1).sum())
    n_cells = int(holes.to_numpy().sum())
    base = {"requested": requested, "n_incomplete": n_inc, "n_empty_cells": n_cells}
    if requested != "auto":
        why = {
            "fiml": "full-information ML was requested (--missing fiml): every respondent with at least one "
            "answered item is used",
            "listwise": "listwise deletion was requested (--missing listwise): respondents with an empty item "
            "cell are left out",
            "pairwise": "pairwise deletion was requested (--missing pairwise): each polychoric correlation uses "
            "every respondent who answered both items",
        }[requested]
        return {"method": requested, **base, "reason": why}
    if n_inc == 0:
        return {
            "method": "listwise",
            **base,
            "reason": "--missing auto: no analysed item cell is empty, so every respondent is used "
            "(complete-data estimation)",
        }
    if estimator == "WLSMV":
        if not wlsmv_supports("pairwise"):
            raise InputError(
                f"--missing auto with --estimator WLSMV: {n_inc} respondent(s) have {n_cells} empty "
                'item cell(s), and pairwise deletion with WLSMV (lavaan\'s missing = "pairwise") is '
                "not available in this version of the engine yet; use --missing listwise to leave "
                "these respondents out, or --estimator ML/MLR, which use full-information ML"
            )
        return {
            "method": "pairwise",
            **base,
            "reason": f"--missing auto with WLSMV: {n_inc} respondent(s) have {n_cells} empty item cell(s); "
            'pairwise deletion (lavaan\'s missing = "pairwise") keeps them',
        }
    return {
        "method": "fiml",
        **base,
        "reason": f"--missing auto: {n_inc} respondent(s) have {n_cells} empty item cell(s), so full-information "
        'ML (lavaan\'s missing = "ml") keeps every respondent with at least one answered item',
    }


def resolve_options(opts, df: pd.DataFrame, items: list[str]):
    """``opts`` with ``missing`` resolved for these data (``auto`` -> ``fiml``, ``listwise`` or ``pairwise``)."""
    if getattr(opts, "missing", None) != "auto":
        return opts
    from dataclasses import replace

    return replace(opts, missing=choose_missing(df, items, opts.estimator, "auto")["method"])
