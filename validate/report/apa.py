"""Number formatting in APA 7 style (American Psychological Association, 2020, sections 6.36-6.40).

Every function takes whatever a results dict may hold (a float, an int, ``None``,
``NaN``) and returns text. A value that is missing or not finite is shown as
:data:`MISSING` (an em dash), never as a number.
"""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

__all__ = [
    "MISSING",
    "BOUNDED",
    "is_missing",
    "as_float",
    "fmt_num",
    "fmt_int",
    "fmt_p",
    "fmt_ci",
    "stars",
]

#: Shown in place of a statistic that could not be computed.
MISSING = "\u2014"

#: Statistics that cannot exceed 1 in absolute value: APA drops the leading zero
#: (".05", not "0.05").
BOUNDED = frozenset(
    {
        "p",
        "p_value",
        "pvalue",
        "skew_p",
        "kurtosis_p",
        "r",
        "std",
        "beta",
        "std_ci_lower",
        "std_ci_upper",
        "cfi",
        "tli",
        "rmsea",
        "srmr",
        "cfi_scaled",
        "tli_scaled",
        "rmsea_scaled",
        "cfi_robust",
        "tli_robust",
        "rmsea_robust",
        "rmsea_ci_lower",
        "rmsea_ci_upper",
        "alpha",
        "alpha_std",
        "omega",
        "cr",
        "ave",
        "htmt",
        "r2",
        "kmo",
        "first_factor_share",
        "r_drop",
        "alpha_if_deleted",
        "delta_cfi",
        "delta_rmsea",
        "vaf",
        "correlation",
        "sepc_all",
    }
)


def is_missing(x: Any) -> bool:
    """True for ``None``, NaN, infinities and anything that is not a number."""
    if x is None or isinstance(x, bool):
        return x is None
    if isinstance(x, Number):
        try:
            return not math.isfinite(float(x))
        except (TypeError, ValueError):
            return True
    return True


def as_float(x: Any) -> float | None:
    """``float(x)``, or ``None`` when ``x`` is missing or not finite."""
    if is_missing(x):
        return None
    return float(x)


def fmt_num(x: Any, digits: int = 2, leading_zero: bool = True) -> str:
    """Format a number with ``digits`` decimals; ``leading_zero=False`` gives ".45" and "-.12".

    A minus sign is the typographic minus (U+2212) as APA asks.
    """
    v = as_float(x)
    if v is None:
        return MISSING
    s = f"{v:.{digits}f}"
    if s.lstrip("-") == f"{0:.{digits}f}":  # "-0.00" -> "0.00"
        s = s.lstrip("-")
    if not leading_zero and abs(v) < 1 and s.lstrip("-").startswith("0."):
        s = s.replace("0.", ".", 1)
    return s.replace("-", "\u2212")


def fmt_int(x: Any) -> str:
    v = as_float(x)
    if v is None:
        return MISSING
    return f"{int(round(v)):d}"


def fmt_p(p: Any, digits: int = 3) -> str:
    """APA p value: ``"< .001"`` below .001, otherwise three decimals without the leading zero."""
    v = as_float(p)
    if v is None:
        return MISSING
    if v < 0.001:
        return "< .001"
    if v > 1:
        v = 1.0
    return fmt_num(v, digits, leading_zero=False)


def fmt_ci(lo: Any, hi: Any, digits: int = 3, leading_zero: bool = True) -> str:
    """``"[0.123, 0.456]"``; an em dash when either bound is missing."""
    if is_missing(lo) or is_missing(hi):
        return MISSING
    return f"[{fmt_num(lo, digits, leading_zero)}, {fmt_num(hi, digits, leading_zero)}]"


def stars(p: Any) -> str:
    """Significance stars: * p < .05, ** p < .01, *** p < .001; empty when not significant or missing."""
    v = as_float(p)
    if v is None:
        return ""
    if v < 0.001:
        return "***"
    if v < 0.01:
        return "**"
    if v < 0.05:
        return "*"
    return ""
