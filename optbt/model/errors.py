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
    """The data itself is unusable (missing columns, unreadable files, no days)."""


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
