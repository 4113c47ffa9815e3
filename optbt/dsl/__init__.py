"""The .strat language: parse -> check -> compile onto the engine's Strategy API.

Parser, AST, checks, compiler, runtime, lint, fmt, diagnostics, and the loader that turns a
``file.strat`` or ``file.py:Class`` into a Strategy class. May import: ``optbt.model``,
``data``, ``results`` and ``engine``.

>>> cls = load_strat_text('strategy demo "d"\\nce = add(ATM, CE, SELL)\\nexit at 15:15')
>>> cls.__name__, cls.max_cycles
('Demo', 1)
"""

from __future__ import annotations

from pathlib import Path

from optbt.dsl.compiler import compile_text, load_text
from optbt.dsl.diagnostics import Diagnostic, StratError
from optbt.dsl.parser import parse_text
from optbt.model.errors import StrategyError


def read_strat(path: str | Path) -> str:
    p = Path(path)
    if not p.exists():
        raise StrategyError(f"strategy file not found: {p}")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise StrategyError(f"{p} is not UTF-8 text") from None


def load_strat(path: str | Path):
    """The Strategy subclass compiled from a .strat file (raises StratError with diagnostics)."""
    return load_text(read_strat(path), str(path))


def load_strat_text(text: str, filename: str = "<strat>"):
    return load_text(text, filename)


__all__ = ["Diagnostic", "StratError", "compile_text", "load_strat", "load_strat_text", "parse_text", "read_strat"]
