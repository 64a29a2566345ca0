"""The public library interface of ``validate``, in one place (as ``statsmodels.api``).

>>> from validate import api as vcc
>>> spec = vcc.load_spec()                                    # doctest: +SKIP
>>> res = vcc.ingest(["responses.xlsx"], spec)                # doctest: +SKIP
>>> fit = vcc.fit_sem("F =~ x1 + x2 + x3", data)              # doctest: +SKIP

Importing this module loads every statistical module; the ``vcc`` command
imports only what each subcommand needs.
"""

from instruments.spec import load_spec
from validate.ingest.responses import IngestResult, ingest, render_mapping
from validate.measurement.analysis import analyse_measurement
from validate.measurement.descriptives import item_descriptives, mardia
from validate.measurement.efa import bartlett_sphericity, efa, kmo, parallel_analysis
from validate.measurement.reliability import cronbach_alpha, item_total, reliability_from_cfa
from validate.measurement.validity import (
    cross_loadings,
    fornell_larcker,
    harman_single_factor,
    htmt,
)
from validate.pipeline import AnalysisOptions, analyse, run_demo, run_validate
from validate.pls import PLSModel, PLSResults, fit_pls
from validate.pls.higher_order import HOCModel, HOCResults, fit_hoc
from validate.pls.pipeline import run_pls
from validate.power.simulate import population_model, simulate_mechanism, simulate_study
from validate.power.study import PowerResult, power_study
from validate.report import write_report
from validate.screening import ScreeningOptions, ScreeningResult, screen
from validate.sem import SemResult, fit_moments, fit_sem, parse_model
from validate.sem.ordinal import ordinal_moments, polychoric
from validate.sem.wlsmv import difftest
from validate.structural.analysis import (
    analyse_structural,
    compare_mechanisms,
    invariance,
    multigroup_paths,
)
from validate.structural.bootstrap import BootstrapResult, run_bootstrap
from validate.structural.mediation import (
    bca_ci,
    classify_mediation,
    enumerate_chains,
    percentile_ci,
)

__all__ = [
    "AnalysisOptions",
    "BootstrapResult",
    "HOCModel",
    "HOCResults",
    "IngestResult",
    "PLSModel",
    "PLSResults",
    "PowerResult",
    "ScreeningOptions",
    "ScreeningResult",
    "SemResult",
    "analyse",
    "analyse_measurement",
    "analyse_structural",
    "bartlett_sphericity",
    "bca_ci",
    "classify_mediation",
    "compare_mechanisms",
    "cronbach_alpha",
    "cross_loadings",
    "difftest",
    "efa",
    "enumerate_chains",
    "fit_hoc",
    "fit_moments",
    "fit_pls",
    "fit_sem",
    "fornell_larcker",
    "harman_single_factor",
    "htmt",
    "ingest",
    "invariance",
    "item_descriptives",
    "item_total",
    "kmo",
    "load_spec",
    "mardia",
    "multigroup_paths",
    "ordinal_moments",
    "parallel_analysis",
    "parse_model",
    "percentile_ci",
    "polychoric",
    "population_model",
    "power_study",
    "reliability_from_cfa",
    "render_mapping",
    "run_bootstrap",
    "run_demo",
    "run_pls",
    "run_validate",
    "screen",
    "simulate_mechanism",
    "simulate_study",
    "write_report",
]
