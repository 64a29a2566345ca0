"""Exceptions raised by the structural-equation estimator."""

from __future__ import annotations

from instruments.errors import InputError

__all__ = ["ModelError", "ModelSyntaxError", "SemError", "UnknownVariableError"]


class SemError(InputError):
    """Base class of every error raised by :mod:`validate.sem`.

    An :class:`instruments.errors.InputError` (so a ``ValueError`` and a ``VccError``): the model,
    data or option is the user's to fix, and the command line reports it with exit code 2.
    """


class ModelSyntaxError(SemError):
    """The model text could not be read.

    Parameters
    ----------
    message : str
        Plain-English description of the problem.
    line : int, optional
        1-based line number in the model text.
    token : str, optional
        The offending piece of text.
    """

    def __init__(self, message: str, line: int | None = None, token: str | None = None):
        self.line = line
        self.token = token
        where = []
        if line is not None:
            where.append(f"line {line}")
        if token is not None:
            where.append(f"at {token!r}")
        full = f"{message} ({', '.join(where)})" if where else message
        super().__init__(full)


class ModelError(SemError):
    """The model cannot be fitted to these data (bad data, unusable model...)."""


class UnknownVariableError(ModelSyntaxError, ModelError):
    """The model names a variable that is neither latent nor a data column."""
