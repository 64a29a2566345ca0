"""Exceptions the toolkit raises for problems a user can fix.

Every error a user can meet is a :class:`VccError`. The command line turns it
into a one-line (or short list) message and exit code 2, never a traceback.
Messages name the offending file, sheet, cell, column or key, the value found
and what was expected.
"""

from __future__ import annotations

__all__ = ["VccError", "SpecError", "InputError", "OutputError"]


class VccError(Exception):
    """Base class of every error that is the user's to fix.

    Parameters
    ----------
    message : str
        The headline, a full sentence.
    problems : list of str, optional
        Further lines, one per problem, shown as a list under the headline.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [])
        self.headline = message
        text = message
        if self.problems:
            text += "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)


class SpecError(VccError, ValueError):
    """A model spec (YAML) that cannot be used, with every problem found."""


class InputError(VccError, ValueError):
    """A data file, option or value that cannot be used."""


class OutputError(VccError, OSError):
    """An output location that cannot be written."""
