"""Regenerate the example responses of the second-order variant (deterministic).

Run from the repository root::

    python data_templates/example_second_order/make_example.py

The bundled variant ``instruments/models/short_video_vcc_second_order.yaml`` asks the same
questions as ``short_video_vcc.yaml`` but models the four activities and the four outcomes of each
mechanism as the dimensions of two second-order constructs. The first-order example data
(``data_templates/example``) were drawn from the first-order population, in which the dimensions
do not share one factor, so the second-order model is inadmissible on them. These data are drawn
from a second-order population (:func:`validate.power.simulate.simulate_study` with the
dimensions' second-order loadings), with the same items, item loadings, sample sizes, careless
respondents and missing answers as the first-order example, and are what ``vcc demo --model
second_order`` analyses. Writes, into this folder: ``example_responses.xlsx`` (sheets
``producer``, ``consumer``), ``example_producer.csv``, ``example_consumer.csv``,
``population_parameters.csv``, ``careless_respondents.csv`` and ``README.md``. The same seed and
code give byte-identical files.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:  # runnable from a checkout without installing the package
    import instruments  # noqa: F401
except ImportError:  # pragma: no cover
    sys.path.insert(0, str(HERE.parents[1]))

# ruff: noqa: E402 - the repository root goes on sys.path before the toolkit is imported
import pandas as pd

from instruments.outputs import write_text
from instruments.spec import default_spec_path, load_spec
from validate.power.simulate import SimulatedStudy, default_thresholds, simulate_study

_spec = importlib.util.spec_from_file_location("_first_order_example", HERE.parent / "example" / "make_example.py")
first = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(first)

SPEC_FILE = default_spec_path().with_name("short_video_vcc_second_order.yaml")
SEED = 20261201
#: Standardised loadings of the dimensions on their second-order construct, in dimension order
#: (activities: platform, other population, advertisers, rules; outcomes: cost control, revenue,
#: experience, competitiveness).
_SECOND_ORDER = {"ACT": (0.80, 0.76, 0.72, 0.66), "OUT": (0.78, 0.80, 0.74, 0.70)}
#: Drivers and value proposition -> activities, activities -> outcomes (standardised).
_PATHS = {"ID -> ACT": 0.20, "ED -> ACT": 0.30, "PO -> ACT": 0.25, "VC -> ACT": 0.15, "ACT -> OUT": 0.55}
#: One direct path (partial mediation) per mechanism; the other direct paths are 0.
_DIRECT = {"VC -> OUT": 0.15}
#: One path per mechanism that differs on one platform: {platform: {path: beta}}.
PATH_DIFFERENCES = {
    3: {"PACT -> POUT": 0.70},  # producers on Xiaohongshu: activities pay off more
    2: {"CPO -> CACT": 0.05},  # consumers on Kuaishou: the platform's objectives do not drive activities
}


def loadings_for(spec) -> dict[str, float]:
    """Item loadings (those of the first-order example) and the dimensions' second-order loadings."""
    out = {}
    for m in spec.mechanisms.values():
        for c in m.first_order.values():
            for it, lam in zip(c.items, first._LOADINGS[c.id], strict=True):
                out[it.id] = lam
    for m in spec.mechanisms.values():
        for c in m.second_order.values():
            for d, g in zip(c.dimensions, _SECOND_ORDER[c.id[1:]], strict=True):
                out[d] = g
    return out


def paths_for(prefix: str) -> dict[str, float]:
    out = {}
    for k, b in {**_PATHS, **_DIRECT}.items():
        s, t = (x.strip() for x in k.split("->"))
        out[f"{prefix}{s} -> {prefix}{t}"] = b
    return out


def simulate(spec=None) -> SimulatedStudy:
    """The example study of the second-order variant (no files written)."""
    spec = spec or load_spec(SPEC_FILE)
    return simulate_study(
        spec,
        first.N_PER_PLATFORM,
        loadings=loadings_for(spec),
        paths={**paths_for("P"), **paths_for("C")},
        exogenous_corr=first.EXOGENOUS_CORR,
        path_differences=PATH_DIFFERENCES,
        careless=first.CARELESS,
        missing_rate=first.MISSING_RATE,
        not_applicable_rate=first.NOT_APPLICABLE_RATE,
        seed=SEED,
    )


def _readme(spec, study: SimulatedStudy) -> str:
    platforms = {c.code: c.label["en"] for c in spec.group_question.choices}
    t = default_thresholds(spec.scale)
    out = [
        "# Example responses of the second-order variant (simulated)",
        "",
        "Simulated answers to `instruments/models/short_video_vcc_second_order.yaml`, the variant of the",
        "bundled model in which the four activities and the four outcomes of each mechanism are the",
        "dimensions of two second-order constructs. **They are not real survey data.** `vcc demo --model",
        "second_order` analyses them. The questionnaire, the columns and the codes are those of the",
        "first-order example (`data_templates/example/README.md`); only the population differs: the",
        "first-order example was drawn from a population without second-order factors, on which the",
        "second-order model is inadmissible.",
        "",
        "Regenerate (byte-identical) from the repository root:",
        "",
        "```",
        "python data_templates/example_second_order/make_example.py",
        "```",
        "",
        f"Seed: `{SEED}`; every other setting (item loadings, sample sizes, exogenous correlation",
        f"{first.EXOGENOUS_CORR}, careless respondents, missing answers) is the first-order example's.",
        "",
        "## Population model",
        "",
        "A standardised SEM (every latent variable and continuous item score has variance 1). Each",
        "dimension is `loading * second-order construct + disturbance` (variance 1 - loading^2), so the",
        "dimensions correlate only through their second-order construct (lavaan's `ACT =~ AP + AC + AA + AR`);",
        "items are cut into codes 1-7 at " + ", ".join(f"{v:.2f}" for v in t) + ".",
        "",
    ]
    for mid, mech in spec.mechanisms.items():
        base = study.population[(mid, 1)]
        out += [f"### {mid}: {mech.label['en']}", "", "Second-order loadings (standardised):", ""]
        rows = [
            {
                "construct": c.id,
                "label": c.label["en"],
                "dimensions (loading)": ", ".join(
                    f"{d} {base.second_order_loadings[(c.id, d)]:.2f}" for d in c.dimensions
                ),
            }
            for c in mech.second_order.values()
        ]
        out += [first._md_table(pd.DataFrame(rows)), "", "Paths (standardised; all platforms unless stated):", ""]
        rows = []
        for p in list(mech.paths) + list(mech.direct_paths):
            vals = {g: study.population[(mid, g)].paths.get((p.source, p.target), 0.0) for g in first.N_PER_PLATFORM}
            common = vals[1] if len(set(vals.values())) == 1 else None
            rows.append(
                {
                    "hypothesis": p.hypothesis,
                    "path": f"{p.source} -> {p.target}",
                    "kind": "direct (mediation test)" if p.direct else "structural",
                    "beta": f"{common:.2f}" if common is not None else "differs",
                    "by platform": ""
                    if common is not None
                    else "; ".join(f"{platforms[g]}: {v:.2f}" for g, v in vals.items()),
                }
            )
        out += [first._md_table(pd.DataFrame(rows)), ""]
    out += [
        "Item loadings: those of the first-order example. All values per platform are in",
        "`population_parameters.csv`; the careless respondents are in `careless_respondents.csv`.",
        "",
    ]
    return "\n".join(out)


def build(out_dir: str | Path = HERE) -> SimulatedStudy:
    """Simulate the study and write every file into ``out_dir``."""
    out_dir = Path(out_dir)
    spec = load_spec(SPEC_FILE)
    study = simulate(spec)
    first._xlsx(study, out_dir / "example_responses.xlsx")
    for mid, df in study.data.items():
        write_text(out_dir / f"example_{mid}.csv", first._csv(df))
    write_text(
        out_dir / "population_parameters.csv",
        first._csv(study.parameters().assign(value=lambda d: d["value"].round(6))),
    )
    write_text(out_dir / "careless_respondents.csv", first._csv(study.careless))
    write_text(out_dir / "README.md", _readme(spec, study))
    return study


if __name__ == "__main__":
    build()
    print(f"wrote the example data of the second-order variant into {HERE}")
