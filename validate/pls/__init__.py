"""PLS-SEM: the PLS path-modelling algorithm, PLSc, and the assessment SmartPLS reports.

Written from the papers (Lohmöller 1989; Wold 1982; Dijkstra & Henseler 2015; Henseler et
al. 2015; Hair et al. 2022) and checked against seminr, the Python port of the R package
(a test-only oracle). The public entry points:

- :func:`fit_pls` -> :class:`PLSResults` (tidy DataFrames and ``to_dict()``);
- :class:`PLSModel`, the specification (constructs, items, modes A/B, paths);
- :func:`validate.pls.pipeline.run_pls`, one mechanism of a spec in the shape of ``results.json``.
"""

from validate.pls.fit import PLSResults, fit_pls
from validate.pls.model import PLSModel

__all__ = ["PLSModel", "PLSResults", "fit_pls"]
