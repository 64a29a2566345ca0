"""Structural-equation models (CFA/SEM) that reproduce lavaan's ML and MLR results.

>>> from validate.sem import fit_sem
>>> res = fit_sem("visual =~ x1 + x2 + x3", df)      # doctest: +SKIP
>>> res.params, res.fit["cfi"], res.modindices(top=10)  # doctest: +SKIP
"""

from .api import SemResult, fit_sem
from .effects import latent_structure
from .errors import ModelError, ModelSyntaxError, SemError, UnknownVariableError
from .estimate import MomentFit, fit_moments
from .model import CompiledModel, SampleStats
from .syntax import ParTable, parse_model  # noqa: F401

__all__ = [
    "CompiledModel",
    "ModelError",
    "ModelSyntaxError",
    "MomentFit",
    "ParTable",
    "SampleStats",
    "SemError",
    "SemResult",
    "UnknownVariableError",
    "fit_moments",
    "fit_sem",
    "latent_structure",
    "parse_model",
]
