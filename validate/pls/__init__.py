"""PLS-SEM: the PLS path-modelling algorithm, PLSc, and the assessment SmartPLS reports.

Written from the papers (Lohmöller 1989; Wold 1982; Dijkstra & Henseler 2015; Henseler et
al. 2015; Hair et al. 2022) and checked against seminr, the Python port of the R package
(a test-only oracle). The public entry points:

- :func:`fit_pls` -> :class:`PLSResults` (tidy DataFrames and ``to_dict()``);
- :class:`PLSModel`, the specification (constructs, items, modes A/B, paths);
- :func:`validate.pls.pipeline.run_pls`, one mechanism of a spec in the shape of ``results.json``.
"""

__all__ = ["PLSModel", "PLSResults", "fit_pls"]


def __getattr__(name: str):
    # loaded on first use, so that ``vcc --help`` (which imports validate.pls.cli) stays fast
    if name in ("PLSResults", "fit_pls"):
        from validate.pls import fit

        return getattr(fit, name)
    if name == "PLSModel":
        from validate.pls.model import PLSModel

        return PLSModel
    raise AttributeError(f"module 'validate.pls' has no attribute {name!r}")
