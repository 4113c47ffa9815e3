"""The error hierarchy users see.

Every error that bad *input* can cause derives from :class:`OptbtError`; the CLI prints its
message as one paragraph and exits with code 2. Anything else is a bug in optbt and is
allowed to show a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class OptbtError(Exception):
    """Base class: an error caused by the user's input, reported without a traceback."""

    exit_code = 2
    prefix = "error: "  # diagnostics that carry their own "error[E...]" set this to ""


class ConfigError(OptbtError):
    """A dataset config, a run option or a parameter is wrong."""


class DataError(OptbtError):
    """The data itself is unusable (missing columns, unreadable files, no days).

    A run skips the day a data error is met on (a conflict is that day's); one that is the
    dataset's as a whole, whatever day it is met on, sets ``dataset_wide`` and stops the run.
    """

    dataset_wide = False


class StrategyError(OptbtError):
    """A strategy could not be loaded or used the API wrongly."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A short " (did you mean 'x'?)" suffix, or "" when nothing is close.

    >>> did_you_mean("sl_pc", ["sl_pct", "exit_time"])
    " (did you mean 'sl_pct'?)"
    >>> did_you_mean("zzz", ["sl_pct"])
    ''
    """
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def is_interrupt(exc: BaseException | None) -> bool:
    """Is this Ctrl-C, perhaps in another exception's clothes?

    Python raises KeyboardInterrupt, but a Ctrl-C that lands inside a DuckDB query comes out of
    DuckDB as its own error (``RuntimeError: Query interrupted`` in DuckDB 1.x/2.x, an
    ``InterruptException`` in others). Code that catches Exception to report a user's
    error asks this first, so an interrupt is never reported as a failed strategy or run.

    >>> is_interrupt(RuntimeError("Query interrupted")), is_interrupt(RuntimeError("boom"))
    (True, False)
    """
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, KeyboardInterrupt) or type(exc).__name__ == "InterruptException":
            return True
        if isinstance(exc, RuntimeError) and str(exc).strip() == "Query interrupted":
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
