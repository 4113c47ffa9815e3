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


MAX_FILE_BYTES = 16 * 1024 * 1024


def read_strat(path: str | Path) -> str:
    """The file's text. Bytes that are not UTF-8 are kept as surrogate escapes, so that the
    parser reports each of them with line:col (E0104) instead of refusing the whole file."""
    from optbt.dsl.lines import display
    p = Path(path)
    if not p.exists():
        raise StrategyError(f"strategy file not found: {display(str(p))}")
    if p.is_dir():
        raise StrategyError(f"{display(str(p))} is a folder, not a .strat file")
    if not p.is_file():  # a device or a pipe could be endless
        raise StrategyError(f"{display(str(p))} is not a regular file")
    try:
        with p.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise StrategyError(f"cannot read {display(str(p))}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise StrategyError(f"{display(str(p))} is larger than {MAX_FILE_BYTES // 2**20} MB: not a .strat file")
    return data.decode("utf-8", errors="surrogateescape")


def load_strat(path: str | Path):
    """The Strategy subclass compiled from a .strat file (raises StratError with diagnostics)."""
    return load_text(read_strat(path), str(path))


def load_strat_text(text: str, filename: str = "<strat>"):
    return load_text(text, filename)


__all__ = ["Diagnostic", "StratError", "compile_text", "load_strat", "load_strat_text", "parse_text", "read_strat"]
