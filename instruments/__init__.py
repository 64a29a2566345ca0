"""From a model spec to the instruments a study fields: questionnaires, codebook, templates."""

from .errors import InputError, OutputError, SpecError, VccError
from .spec import ModelSpec, default_spec_path, load_spec

__all__ = [
    "InputError",
    "ModelSpec",
    "OutputError",
    "SpecError",
    "VccError",
    "default_spec_path",
    "load_spec",
]
