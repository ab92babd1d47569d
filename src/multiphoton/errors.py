"""The package's exceptions.

Every error the user can cause is a :class:`MultiphotonError` (a ``ValueError``)
whose message names the file, row or field, what was wrong, and what to do.
"""
from __future__ import annotations

__all__ = ["MultiphotonError", "InputError", "UsageError", "OutputError", "FitError", "UnsupportedError"]


class MultiphotonError(ValueError):
    """Base class of every error raised deliberately by multiphoton."""


class InputError(MultiphotonError):
    """Bad input: a file, manifest field or array that cannot be used as given.

    The message says where (file, row, column or field), what was wrong, and
    what to do about it.
    """


class UsageError(MultiphotonError):
    """A command used wrongly (an unknown ``--only`` quantity or ``--sample`` id): exit status 2."""


class OutputError(UsageError):
    """An output location that may not or cannot be written (exit status 2): a non-empty or
    foreign ``--out``, one holding an input, one claimed by another run, read-only or full."""


class FitError(MultiphotonError):
    """A fit or estimate that did not converge or that the data cannot support."""


class UnsupportedError(InputError):
    """A valid file that this analysis cannot use (e.g. a PTU T2 file for a decay)."""
