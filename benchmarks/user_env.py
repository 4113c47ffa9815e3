"""Fresh processes timed as a user's machine runs them: with Python's bytecode cache.

Python writes each module's compiled bytecode next to it (``__pycache__``) on first import
and reads it afterwards; ``PYTHONDONTWRITEBYTECODE=1`` turns the writing off, so every
process compiles optbt's ~20,000 lines again (about 50 ms a process on the 2-core machine).
Some sandboxes and CI images set it; a user's shell does not. The benchmarks time the
default, and say in their output and JSON when the variable had to be taken out.
"""

from __future__ import annotations

import os

VARIABLE = "PYTHONDONTWRITEBYTECODE"


def with_bytecode_cache() -> bool:
    """Take the variable out of this process's environment (inherited by every subprocess
    the benchmark starts); True when it was set."""
    return os.environ.pop(VARIABLE, None) is not None


def note(removed: bool) -> str:
    return (f"{VARIABLE} was set here and is unset for the timed processes (Python's default: bytecode cached)"
            if removed else "bytecode cache: Python's default")
