"""Latent moderation: double-mean-centred product indicators, simple slopes, Johnson-Neyman.

A spec's ``moderations: [{path: "ACT -> REV", moderator: EDR}]`` is fitted as a latent
interaction ``ACTxEDR`` measured by the products of every ACT item with every EDR item, each
item mean-centred, the product centred again (Lin et al., 2010), with residual covariances
between the products that share an item (Marsh, Wen & Hau, 2004). This is
``semTools::indProd(match = FALSE, meanC = TRUE, doubleMC = TRUE)`` plus those covariances;
the simple slopes are ``semTools::probe2WayMC``.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from instruments.spec import Mechanism, Moderation

__all__ = [
    "METHOD",
    "product_indicators",
    "add_products",
    "moderation_syntax",
    "simple_slopes",
    "johnson_neyman",
    "coefficient_vcov",
]

#: How the interaction is estimated (shown in the report and results.json).
METHOD = (
    "latent interaction with double-mean-centred product indicators (Lin et al., 2010): every pair of "
    "the two constructs' items, residual covariances between products sharing an item; as semTools "
    "indProd(match = FALSE, meanC = TRUE, doubleMC = TRUE); simple slopes as semTools probe2WayMC"
)


def product_names(x_items: list[str], m_items: list[str]) -> list[str]:
    """Names of the product indicators, ``x.m`` in semTools' order (the x item varies slowest)."""
    return [f"{x}.{m}" for x in x_items for m in m_items]


def product_indicators(df: pd.DataFrame, x_items: list[str], m_items: list[str]) -> pd.DataFrame:
    """Double-mean-centred products of every x item with every m item.

    Parameters
    ----------
    df : pandas.DataFrame
        The responses (numeric item columns).
    x_items, m_items : list of str
        The items of the predictor and of the moderator.

    Returns
    -------
    pandas.DataFrame
        One column per pair, named ``x.m`` (semTools' names), in ``df``'s row order.

    Notes
    -----
    ``p = (x - mean(x)) (m - mean(m))``, then ``p - mean(p)``; means over the available values
    (``na.rm``), as ``semTools::indProd(match = FALSE, meanC = TRUE, residualC = FALSE,
    doubleMC = TRUE)``, with which it agrees to 1e-12 (``tests/fixtures/richer``).

    References
    ----------
    Lin, G.-C., Wen, Z., Marsh, H. W., & Lin, H.-S. (2010). Structural equation models of latent
    interactions: Clarification of orthogonalizing and double-mean-centering strategies.
    *Structural Equation Modeling, 17*(3), 374-391.
    """
    X = df[x_items].apply(pd.to_numeric, errors="coerce").astype(float)
    M = df[m_items].apply(pd.to_numeric, errors="coerce").astype(float)
    X = X - X.mean()
    M = M - M.mean()
    out = {}
    for x in x_items:
        for m in m_items:
            p = X[x] * M[m]
            out[f"{x}.{m}"] = p - p.mean()
    return pd.DataFrame(out, index=df.index)


def add_products(df: pd.DataFrame, mechanism: Mechanism) -> pd.DataFrame:
    """``df`` with the product indicators of every moderation of ``mechanism`` appended."""
    extra = [
        product_indicators(df, mechanism.constructs[mo.source].item_ids, mechanism.constructs[mo.moderator].item_ids)
        for mo in mechanism.moderations
    ]
    if not extra:
        return df
    new = pd.concat(extra, axis=1)
    new = new.loc[:, ~new.columns.duplicated()]
    return pd.concat([df.drop(columns=[c for c in new.columns if c in df.columns]), new], axis=1)


def _shared_pairs(prods: list[str]) -> list[tuple[str, str]]:
    out = []
    for a, b in combinations(prods, 2):
        xa, ma = a.split(".", 1)
        xb, mb = b.split(".", 1)
        if xa == xb or ma == mb:
            out.append((a, b))
    return out


def moderation_syntax(mechanism: Mechanism, direct: bool = False) -> tuple[str, list[str]]:
    """The structural model with each moderation's latent product; also the main effects it adds.

    Returns
    -------
    syntax : str
        The measurement part (with second-order constructs), ``XxM =~`` the product indicators,
        their residual covariances, and per target ``T ~ sources + moderator + XxM + controls``.
    added : list of str
        ``"M -> T"`` for each moderator main effect the spec lacked and the model adds (an
        interaction is interpretable only beside both main effects).
    """
    lines = mechanism.lavaan_syntax(structural=False).splitlines()
    by_target: dict[str, list[str]] = {}
    for p in mechanism.active_paths(direct):
        by_target.setdefault(p.target, []).append(p.source)
    added = []
    for mo in mechanism.moderations:
        x = mechanism.constructs[mo.source].item_ids
        m = mechanism.constructs[mo.moderator].item_ids
        prods = product_names(x, m)
        lines.append(f"{mo.product} =~ " + " + ".join(prods))
        lines += [f"{a} ~~ {b}" for a, b in _shared_pairs(prods)]
        preds = by_target.setdefault(mo.target, [])
        if mo.moderator not in preds:
            preds.append(mo.moderator)
            added.append(f"{mo.moderator} -> {mo.target}")
        if mo.product not in preds:
            preds.append(mo.product)
    for ctl in mechanism.controls:
        for t in ctl.on:
            by_target.setdefault(t, []).append(ctl.variable)
    lines += [f"{t} ~ " + " + ".join(s) for t, s in by_target.items()]
    return "\n".join(lines), added


def coefficient_vcov(params: pd.DataFrame, vcov: np.ndarray, target: str, names: list[str]):
    """Estimates and their sampling covariance for the regressions ``target ~ names``."""
    rows = [params[(params.op == "~") & (params.lhs == target) & (params.rhs == n)].iloc[0] for n in names]
    est = np.array([float(r.estimate) for r in rows])
    idx = [int(r.free) - 1 for r in rows]
    if min(idx) < 0:
        raise ValueError("a coefficient of the interaction is fixed; simple slopes need free coefficients")
    return est, np.asarray(vcov)[np.ix_(idx, idx)]


def simple_slopes(b: np.ndarray, V: np.ndarray, values, alpha: float = 0.05) -> list[dict]:
    """Slope of X at moderator values ``w``: ``b1 + b3 w`` with its delta-method SE.

    Parameters
    ----------
    b : array (2,)
        ``[b1, b3]``: the path X -> Y and the interaction XxM -> Y.
    V : array (2, 2)
        Their sampling covariance.
    values : sequence of float
        Moderator values (latent units; the latent moderator has mean 0).
    alpha : float

    Returns
    -------
    list of dict
        ``moderator_value``, ``estimate``, ``se``, ``z``, ``p_value``, ``ci_lower``, ``ci_upper``.

    Notes
    -----
    ``se(w)^2 = V11 + 2 w V13 + w^2 V33``, z-test against the normal, as
    ``semTools::probe2WayMC`` (checked against it on ``tests/fixtures/richer``).

    References
    ----------
    Preacher, K. J., Curran, P. J., & Bauer, D. J. (2006). Computational tools for probing
    interactions in multiple linear regression, multilevel modeling, and latent curve analysis.
    *Journal of Educational and Behavioral Statistics, 31*(4), 437-448.
    """
    zc = stats.norm.ppf(1 - alpha / 2)
    out = []
    for w in values:
        est = b[0] + b[1] * w
        se = float(np.sqrt(max(V[0, 0] + 2 * w * V[0, 1] + w * w * V[1, 1], 0.0)))
        z = est / se if se > 0 else float("nan")
        out.append(
            {
                "moderator_value": float(w),
                "estimate": float(est),
                "se": se,
                "z": float(z),
                "p_value": float(2 * stats.norm.sf(abs(z))),
                "ci_lower": float(est - zc * se),
                "ci_upper": float(est + zc * se),
            }
        )
    return out


def johnson_neyman(b: np.ndarray, V: np.ndarray, alpha: float = 0.05) -> dict:
    """The moderator values at which the slope of X is significant (Johnson-Neyman technique).

    Returns
    -------
    dict
        ``lower``, ``upper`` (the boundaries, latent units; ``None`` when there are none),
        ``significant`` (``"outside"``: significant below ``lower`` and above ``upper``;
        ``"inside"``: between them; ``"everywhere"``, ``"nowhere"``) and ``alpha``.

    Notes
    -----
    The boundaries solve ``(b1 + b3 w)^2 = z^2 (V11 + 2 w V13 + w^2 V33)``, z the normal
    quantile at ``1 - alpha/2``: ``A w^2 + B w + C = 0`` with ``A = b3^2 - z^2 V33``,
    ``B = 2 (b1 b3 - z^2 V13)``, ``C = b1^2 - z^2 V11``; the slope is significant where
    ``A w^2 + B w + C > 0``.

    References
    ----------
    Bauer, D. J., & Curran, P. J. (2005). Probing interactions in fixed and multilevel regression:
    Inferential and graphical techniques. *Multivariate Behavioral Research, 40*(3), 373-400.
    """
    z2 = stats.norm.ppf(1 - alpha / 2) ** 2
    A = b[1] ** 2 - z2 * V[1, 1]
    B = 2 * (b[0] * b[1] - z2 * V[0, 1])
    C = b[0] ** 2 - z2 * V[0, 0]
    disc = B * B - 4 * A * C
    if A == 0 or disc < 0:
        sig = "everywhere" if (A > 0 or (A == 0 and C > 0)) else "nowhere"
        return {"lower": None, "upper": None, "significant": sig, "alpha": alpha}
    r = sorted([(-B - np.sqrt(disc)) / (2 * A), (-B + np.sqrt(disc)) / (2 * A)])
    return {"lower": float(r[0]), "upper": float(r[1]), "significant": "outside" if A > 0 else "inside", "alpha": alpha}


def _path(params: pd.DataFrame, target: str, source: str) -> dict:
    r = params[(params.op == "~") & (params.lhs == target) & (params.rhs == source)].iloc[0]
    return {
        "estimate": float(r.estimate),
        "se": float(r.se),
        "z": float(r.z),
        "p_value": float(r.p_value),
        "std": float(r.std_all),
    }


def moderation_rows(
    params: pd.DataFrame,
    vcov: np.ndarray | None,
    latent_cov: pd.DataFrame,
    moderations: tuple[Moderation, ...],
    added: list[str],
    alpha: float = 0.05,
) -> list[dict]:
    """``structural.moderation``: one row per moderation.

    Rows: ``path``, ``from``, ``to``, ``moderator``, ``product`` (the latent product's name),
    ``estimate``, ``se``, ``z``, ``p_value``, ``ci_lower``, ``ci_upper``, ``std`` (of the
    interaction path ``product -> to``; lavaan's ``std.all``), ``moderator_sd`` and
    ``predictor_sd`` (model-implied SDs of the latent moderator and predictor), ``main_effect_added`` (the model added ``moderator -> to``),
    ``moderator_effect`` (that main effect: ``estimate``, ``se``, ``z``, ``p_value``, ``std``),
    ``method``, ``simple_slopes`` (at -1, 0, +1 SD: ``moderator_sd`` (-1/0/1),
    ``moderator_value``, ``estimate``, ``se``, ``z``, ``p_value``, ``ci_lower``, ``ci_upper``) and
    ``johnson_neyman`` (:func:`johnson_neyman`).
    """
    out = []
    for mo in moderations:
        r = params[(params.op == "~") & (params.lhs == mo.target) & (params.rhs == mo.product)].iloc[0]
        sd = float(np.sqrt(latent_cov.loc[mo.moderator, mo.moderator]))
        sd_x = float(np.sqrt(latent_cov.loc[mo.source, mo.source]))
        row = {
            "path": f"{mo.source} -> {mo.target}",
            "from": mo.source,
            "to": mo.target,
            "moderator": mo.moderator,
            "product": mo.product,
            "estimate": float(r.estimate),
            "se": float(r.se),
            "z": float(r.z),
            "p_value": float(r.p_value),
            "ci_lower": float(r.ci_lower),
            "ci_upper": float(r.ci_upper),
            "std": float(r.std_all),
            "moderator_sd": sd,
            "predictor_sd": sd_x,
            "main_effect_added": f"{mo.moderator} -> {mo.target}" in added,
            "moderator_effect": _path(params, mo.target, mo.moderator),
            "method": METHOD,
        }
        if vcov is None:
            row.update(
                simple_slopes=[],
                johnson_neyman=None,
                reason="no sampling covariance of the estimates, so no simple slopes",
            )
        else:
            b, V = coefficient_vcov(params, vcov, mo.target, [mo.source, mo.product])
            row["simple_slopes"] = [
                {**s, "moderator_sd": k} for k, s in zip((-1, 0, 1), simple_slopes(b, V, [-sd, 0.0, sd], alpha))
            ]
            row["johnson_neyman"] = johnson_neyman(b, V, alpha)
        out.append(row)
    return out
