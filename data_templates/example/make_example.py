"""Regenerate the bundled example responses (deterministic).

Run from the repository root::

    python data_templates/example/make_example.py

It simulates both mechanisms of the bundled short-video value co-creation
model with :func:`validate.power.simulate.simulate_study` (seed :data:`SEED`) and
writes, into this folder:

* ``example_responses.xlsx`` -- one sheet per mechanism (``producer``,
  ``consumer``) in the toolkit's template layout;
* ``example_producer.csv``, ``example_consumer.csv`` -- the same data as CSV
  (UTF-8, empty cell = missing answer);
* ``population_parameters.csv`` -- the population values (``mechanism``,
  ``group``, ``lhs``, ``op``, ``rhs``, ``value``, lavaan notation);
* ``careless_respondents.csv`` -- the careless respondents injected;
* ``README.md`` -- the population model and the injected problems, in words.

The same seed and code give byte-identical files.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:  # runnable from a checkout without installing the package
    import instruments  # noqa: F401
except ImportError:  # pragma: no cover
    sys.path.insert(0, str(HERE.parents[1]))

# ruff: noqa: E402 - the repository root goes on sys.path before the toolkit is imported
import pandas as pd
from openpyxl import Workbook

from instruments._layout import save_workbook
from instruments.outputs import safe_cell, write_text
from instruments.spec import load_spec
from validate.power.simulate import (
    Careless,
    SimulatedStudy,
    default_thresholds,
    simulate_study,
)

SEED = 20240601
#: Respondents per platform code (1 Douyin/TikTok, 2 Kuaishou, 3 Xiaohongshu), each mechanism.
N_PER_PLATFORM = {1: 135, 2: 120, 3: 130}
EXOGENOUS_CORR = 0.3
MISSING_RATE = 0.01
#: Share of the answers to items that offer "not applicable" given that answer (code 8).
NOT_APPLICABLE_RATE = 0.02
CARELESS = Careless(straightliners=3, speeders=2, attention_failures=3, outliers=2)

# Standardised loadings per construct, in item order (five items each; the spec has no
# reverse-keyed items). A weak item or two per mechanism, as a pilot usually finds.
_LOADINGS = {
    "PID": (0.80, 0.78, 0.74, 0.76, 0.62),
    "PED": (0.72, 0.66, 0.74, 0.70, 0.60),
    "PPO": (0.76, 0.80, 0.74, 0.70, 0.66),
    "PVC": (0.72, 0.70, 0.74, 0.76, 0.68),
    "PAP": (0.70, 0.74, 0.68, 0.58, 0.66),
    "PAC": (0.80, 0.74, 0.72, 0.70, 0.66),
    "PAA": (0.82, 0.78, 0.72, 0.74, 0.70),
    "PAR": (0.68, 0.62, 0.72, 0.74, 0.64),
    "POC": (0.74, 0.76, 0.66, 0.70, 0.68),
    "POR": (0.84, 0.80, 0.76, 0.72, 0.78),
    "POE": (0.78, 0.74, 0.72, 0.70, 0.80),
    "POK": (0.76, 0.70, 0.78, 0.72, 0.74),
    "CID": (0.80, 0.78, 0.74, 0.72, 0.60),
    "CED": (0.74, 0.76, 0.72, 0.64, 0.66),
    "CPO": (0.76, 0.78, 0.72, 0.70, 0.68),
    "CVC": (0.74, 0.70, 0.72, 0.66, 0.78),
    "CAP": (0.68, 0.72, 0.66, 0.70, 0.58),
    "CAC": (0.80, 0.78, 0.74, 0.66, 0.70),
    "CAA": (0.72, 0.76, 0.80, 0.70, 0.68),
    "CAR": (0.70, 0.72, 0.66, 0.68, 0.62),
    "COC": (0.76, 0.74, 0.72, 0.70, 0.68),
    "COR": (0.80, 0.74, 0.70, 0.66, 0.78),
    "COE": (0.76, 0.72, 0.74, 0.70, 0.80),
    "COK": (0.74, 0.76, 0.72, 0.70, 0.66),
}

# Path coefficients, common to all platforms. Rows: predictors; columns: targets in the order
# of the stage (activities: platform, other population, advertisers, rules; outcomes: cost
# control, revenue, experience, competitiveness). Some are 0 (hypotheses a good analysis rejects).
_FRONT_TO_ACTIVITY = {  # driver/proposition -> (AP, AC, AA, AR)
    "ID": (0.15, 0.30, 0.00, 0.10),
    "ED": (0.30, 0.15, 0.35, 0.10),
    "PO": (0.25, 0.10, 0.15, 0.30),
    "VC": (0.10, 0.25, 0.10, 0.00),
}
_ACTIVITY_TO_OUTCOME = {  # activity -> (OC, OR, OE, OK)
    "AP": (0.35, 0.15, 0.20, 0.10),
    "AC": (0.10, 0.20, 0.30, 0.25),
    "AA": (0.05, 0.40, 0.00, 0.15),
    "AR": (0.15, 0.00, 0.10, 0.10),
}
#: One direct path (partial mediation) per mechanism; every other direct path is 0.
_DIRECT = {"VC -> OK": 0.15}
#: One path per mechanism that differs on one platform: {platform: {path: beta}}.
PATH_DIFFERENCES = {
    3: {"PAC -> POE": 0.55},  # producers on Xiaohongshu: interacting with viewers pays off more
    2: {"CAA -> COR": 0.05},  # consumers on Kuaishou: dealing with advertisers brings no gains
}


def _fixed(x: float, digits: int) -> str:
    """``x`` to ``digits`` decimals, the same on every machine.

    Population values such as R^2 = 0.3215 sit on a rounding tie; the last bit of the float
    differs between BLAS builds, so the value is first rounded to 9 decimals (far below any
    printed digit) to land on one float before it is formatted.
    """
    return f"{round(float(x), 9):.{digits}f}"


def _and(ids: list) -> str:
    names = [f"`{a.id}`" for a in ids]
    return " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]


def paths_for(prefix: str) -> dict[str, float]:
    """The common path coefficients of one mechanism (prefix P or C)."""
    out = {}
    acts, outs = ("AP", "AC", "AA", "AR"), ("OC", "OR", "OE", "OK")
    for src, row in _FRONT_TO_ACTIVITY.items():
        for tgt, b in zip(acts, row):
            out[f"{prefix}{src} -> {prefix}{tgt}"] = b
    for src, row in _ACTIVITY_TO_OUTCOME.items():
        for tgt, b in zip(outs, row):
            out[f"{prefix}{src} -> {prefix}{tgt}"] = b
    for k, b in _DIRECT.items():
        s, t = (x.strip() for x in k.split("->"))
        out[f"{prefix}{s} -> {prefix}{t}"] = b
    return out


def loadings_for(spec) -> dict[str, float]:
    out = {}
    for m in spec.mechanisms.values():
        for c in m.constructs.values():
            for it, lam in zip(c.items, _LOADINGS[c.id], strict=True):
                out[it.id] = lam
    return out


def simulate(spec=None) -> SimulatedStudy:
    """The example study (no files written)."""
    spec = spec or load_spec()
    return simulate_study(
        spec,
        N_PER_PLATFORM,
        loadings=loadings_for(spec),
        paths={**paths_for("P"), **paths_for("C")},
        exogenous_corr=EXOGENOUS_CORR,
        path_differences=PATH_DIFFERENCES,
        careless=CARELESS,
        missing_rate=MISSING_RATE,
        not_applicable_rate=NOT_APPLICABLE_RATE,
        seed=SEED,
    )


def _xlsx(study: SimulatedStudy, path: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for mid, df in study.data.items():
        ws = wb.create_sheet(mid)
        ws.append([safe_cell(c) for c in df.columns])
        for row in df.itertuples(index=False):
            ws.append([None if pd.isna(v) else (int(v) if not isinstance(v, str) else safe_cell(v)) for v in row])
        ws.freeze_panes = "B2"
    save_workbook(wb, path)


def _csv(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, lineterminator="\n", na_rep="")


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def _readme(spec, study: SimulatedStudy) -> str:
    platforms = {c.code: c.label["en"] for c in spec.group_question.choices}
    t = default_thresholds(spec.scale)
    sc, na = spec.scale, spec.not_applicable
    checks = spec.attention_checks_for("producer")
    expected = ", ".join(f"`{a.id}` = {a.expected[0]} ({sc.label(a.expected[0], 'en')})" for a in checks)
    out = [
        "# Example responses (simulated)",
        "",
        "Simulated answers to the bundled model `instruments/models/short_video_vcc.yaml`, for trying",
        "the toolkit and for tests. **They are not real survey data.** The population they were drawn",
        "from is stated below, so an analysis of them can be checked against the truth.",
        "",
        "Regenerate (byte-identical) from the repository root:",
        "",
        "```",
        "python data_templates/example/make_example.py",
        "```",
        "",
        f"Seed: `{SEED}` (`validate.power.simulate.simulate_study(..., seed={SEED})`; every setting is in",
        "`make_example.py`).",
        "",
        "## Files",
        "",
        "| file | content |",
        "| --- | --- |",
        "| `example_responses.xlsx` | sheets `producer` and `consumer`, the toolkit's template layout |",
        "| `example_producer.csv`, `example_consumer.csv` | the same data as CSV (UTF-8; empty = missing) |",
        (
            "| `population_parameters.csv` | population values per mechanism and platform "
            "(`mechanism, group, lhs, op, rhs, value`, lavaan notation) |"
        ),
        "| `careless_respondents.csv` | the careless respondents injected (`mechanism, resp_id, kind, group, detail`) |",
        "",
        "Columns, in questionnaire order (`instruments._layout`): `resp_id`, the consent, screener",
        'and background questions of section 1 (a `..._other` text column follows an "other, please',
        'specify" question and is left empty), `duration_sec`, the items with the attention checks',
        f"{_and(checks)} among them, then the closing background questions. Answers are integer codes:",
        f"items {sc.min}-{sc.max} on their construct's scale (agreement: 1 = {sc.labels['en'][0]} / "
        f"{sc.labels['zh'][0]} ... {sc.max} = {sc.labels['en'][-1]} / {sc.labels['zh'][-1]}; "
        + "; ".join(
            f"{name}: 1 = {o.labels['en'][0]} / {o.labels['zh'][0]} ... {o.max} = {o.labels['en'][-1]} / "
            f"{o.labels['zh'][-1]}"
            for name, o in spec.scales.items()
        )
        + f"), and {na.code} = {na.label['en']} / {na.label['zh']} on the items that offer it",
        f"({', '.join(f'`{i}`' for i in spec.not_applicable_items())}); the toolkit reads {na.code} there as "
        "missing and counts it. Background questions use the codes of the spec. Only respondents who",
        "gave consent and passed the screeners are simulated (no answer that ends the survey appears).",
        "",
        "## Sample",
        "",
        "| mechanism | " + " | ".join(f"{platforms[g]} ({g})" for g in N_PER_PLATFORM) + " | total |",
        "| --- | " + " | ".join("---" for _ in N_PER_PLATFORM) + " | --- |",
    ]
    for mid, df in study.data.items():
        counts = df["platform"].value_counts()
        out.append(f"| {mid} | " + " | ".join(str(int(counts.get(g, 0))) for g in N_PER_PLATFORM) + f" | {len(df)} |")
    out += [
        "",
        "## Population model",
        "",
        "A standardised SEM: every latent variable and every continuous item score has variance 1, so",
        "all values below are standardised (compare them with `std.all` estimates).",
        "",
        "* The four exogenous constructs of each mechanism (internal and external drivers, platform",
        f"  objectives, value content) are multivariate normal with all correlations {EXOGENOUS_CORR}.",
        "* Each endogenous construct is the weighted sum of its predictors plus a disturbance whose",
        "  variance makes its total variance 1 (its residual variance is 1 - R^2 below).",
        "* Each item is `loading * construct + sqrt(1 - loading^2) * error`, cut into codes 1-7 at the",
        "  thresholds " + ", ".join(f"{v:.2f}" for v in t) + " (standard-normal scale), which gives the",
        "  upper-leaning distribution usual for such scales (expected shares of codes 1-7 for an item",
        "  with mean 0: about 2, 5, 13, 22, 25, 19, 14 %); the same thresholds serve the frequency items.",
        "  Latent means are equal across platforms.",
        "",
    ]
    for mid, mech in spec.mechanisms.items():
        base = study.population[(mid, 1)]
        out += [f"### {mid}: {mech.label['en']}", "", "Loadings:", ""]
        rows = []
        for c in mech.constructs.values():
            rows.append(
                {
                    "construct": c.id,
                    "label": c.label["en"],
                    "scale": spec.scale_of(c).name,
                    "items (loading)": ", ".join(
                        f"{i.id}{' (R)' if i.reverse else ''} {base.loadings[i.id]:.2f}" for i in c.items
                    ),
                }
            )
        legend = ["(R) = reverse-keyed.", ""] if any(i.reverse for i in mech.items) else []
        out += [
            _md_table(pd.DataFrame(rows)),
            "",
            *legend,
            "Paths (standardised coefficients; all platforms unless stated):",
            "",
        ]
        rows = []
        for p in list(mech.paths) + list(mech.direct_paths):
            vals = {g: study.population[(mid, g)].paths.get((p.source, p.target), 0.0) for g in N_PER_PLATFORM}
            common = vals[1] if len(set(vals.values())) == 1 else None
            differs = "" if common is not None else "; ".join(f"{platforms[g]}: {v:.2f}" for g, v in vals.items())
            rows.append(
                {
                    "hypothesis": p.hypothesis,
                    "path": f"{p.source} -> {p.target}",
                    "kind": "direct (mediation test)" if p.direct else "structural",
                    "beta": f"{common:.2f}" if common is not None else "differs",
                    "by platform": differs,
                }
            )
        out += [_md_table(pd.DataFrame(rows)), ""]
        r2 = {g: study.population[(mid, g)].r_squared for g in N_PER_PLATFORM}
        rows = [
            {"construct": c, **{f"R^2 {platforms[g]}": _fixed(r2[g][c], 3) for g in N_PER_PLATFORM}}
            for c in base.r_squared
        ]
        out += ["Explained variance of the endogenous constructs:", "", _md_table(pd.DataFrame(rows)), ""]
    out += ["### Platform difference", ""]
    for g, d in PATH_DIFFERENCES.items():
        for k, v in d.items():
            s, tgt = (x.strip() for x in k.split("->"))
            mid = next(m for m in spec.mechanisms if s in spec.mechanisms[m].constructs)
            b = study.population[(mid, 1)].paths.get((s, tgt), 0.0)
            out.append(
                f"* {mid}: `{k}` is {v:.2f} on {platforms[g]} (platform code {g}) and {b:.2f} on the "
                "other platforms; everything else is the same on every platform."
            )
    out += [
        "",
        "## Injected problems",
        "",
        "Careless respondents replace ordinary ones (each shows one kind of problem):",
        "",
    ]
    out += [
        _md_table(
            study.careless.assign(group=study.careless["group"].map(platforms)).rename(columns={"group": "platform"})
        ),
        "",
    ]
    out += [
        "* straightliner: one code for every item and every attention check (the checks expect different",
        "  answers, so a straight line fails at least one);",
        (
            "* speeder: random answers in about 1.5 s per question (ordinary median about "
            f"{int(study.data['producer']['duration_sec'].median())} s);"
        ),
        f"* attention_failure: ordinary answers but a wrong code for every attention check (expected {expected});",
        f"* outlier: every item {sc.min} or {sc.max} at random (a multivariate outlier, not a straight line).",
        "",
        f"Every other respondent answers the attention checks as expected ({expected}). Missing answers: item",
        f"answers of the ordinary respondents blanked completely at random with probability {MISSING_RATE};",
        f'"{na.label["en"]}" ({na.code}) given completely at random with probability {NOT_APPLICABLE_RATE} on the',
        "items that offer it:",
        "",
        _md_table(study.missing),
        "",
    ]
    return "\n".join(out)


def build(out_dir: str | Path = HERE) -> SimulatedStudy:
    """Simulate the example study and write every file into ``out_dir``."""
    out_dir = Path(out_dir)
    spec = load_spec()
    study = simulate(spec)
    _xlsx(study, out_dir / "example_responses.xlsx")
    for mid, df in study.data.items():
        write_text(out_dir / f"example_{mid}.csv", _csv(df))
    write_text(
        out_dir / "population_parameters.csv", _csv(study.parameters().assign(value=lambda d: d["value"].round(6)))
    )
    write_text(out_dir / "careless_respondents.csv", _csv(study.careless))
    write_text(out_dir / "README.md", _readme(spec, study))
    return study


if __name__ == "__main__":
    build()
    print(f"wrote the example data into {HERE}")
