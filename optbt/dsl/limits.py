"""Hard limits of the language: what no .strat file may exceed, each with its own code.

They keep every stage bounded (no recursion runs away, nothing is expanded to be counted,
no number turns into ``inf``), so lint, compile, fmt and run answer any input with a
diagnostic. The sweep limits can be raised for one command: ``--max-sweep-values`` /
``--max-sweep-runs`` on ``optbt lint`` and ``optbt compile``, or the environment variables
``OPTBT_MAX_SWEEP_VALUES`` / ``OPTBT_MAX_SWEEP_RUNS`` for every command.

>>> Limits().max_depth, Limits(max_sweep_runs=5).max_sweep_runs
(64, 5)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

MAX_DEPTH = 64              # E0501: brackets, unary minus and `not` nested inside each other
MAX_CHAIN = 240             # E0502: levels of an expression in all (a chain a + b + c counts each +)
MAX_NODES = 1000            # E0502: parts (values and operators) of one expression
MAX_LINE = 4000             # E0503: characters of one line (comments included)
MAX_STATEMENTS = 1000       # E0504: statements in one file
MAX_CODE = 32_768           # E0504: characters of statements in one file (comments not counted)
MAX_ERRORS = 100            # E0504: errors reported before the rest of the file is left unread
MAX_LEGS = 32               # E0504: legs of one strategy
MAX_NUMBER = 1e15           # E0505: magnitude of any number written in the file
MAX_DIGITS = 40             # E0505: digits of one number (longer is refused before it is converted)
MAX_QTY = 100_000           # E0401: lots in one leg (the engine's MAX_LOTS for a lots parameter)
MAX_REENTRIES = 100         # E0405: re-entries of a leg (reentry ... max n)
MAX_CYCLES = 10_000         # E0405: max_cycles
MAX_DTE = 3660              # E0405: days to expiry in an expiry rule
MAX_ATM_OFFSET = 1000       # E0405: strike steps away from ATM
MAX_SWEEP_VALUES = 10_000   # E0506: values one parameter sweeps over
MAX_SWEEP_RUNS = 1_000_000  # E0506: runs of the declared grid (product of the sweeps)


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    try:
        value = int(text) if text else default
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Limits:
    """The limits one check runs with; only the sweep sizes are meant to be raised."""

    max_depth: int = MAX_DEPTH
    max_sweep_values: int = field(default_factory=lambda: _env_int("OPTBT_MAX_SWEEP_VALUES", MAX_SWEEP_VALUES))
    max_sweep_runs: int = field(default_factory=lambda: _env_int("OPTBT_MAX_SWEEP_RUNS", MAX_SWEEP_RUNS))
