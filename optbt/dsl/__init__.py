"""The .strat language: parse -> check -> compile onto the engine's Strategy API.

Parser, AST, checks, compiler, runtime, lint, fmt, diagnostics, and the loader that turns a
``file.strat`` or ``file.py:Class`` into a Strategy class. May import: ``optbt.model``,
``data``, ``results`` and ``engine``.

>>> cls = load_strat_text('strategy demo "d"\\nce = add(ATM, CE, SELL)\\nexit at 15:15')
>>> cls.__name__, cls.max_cycles
('Demo', 1)
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from optbt.model.errors import StrategyError

if TYPE_CHECKING:
    from optbt.dsl.compiler import compile_text, load_text
    from optbt.dsl.diagnostics import Diagnostic, StratError
    from optbt.dsl.parser import parse_text

# imported on first use (PEP 562): loading a Python strategy through optbt.dsl.loader must not
# pay for the parser and the AST's pydantic models
_HOMES = {"compile_text": "optbt.dsl.compiler", "load_text": "optbt.dsl.compiler",
          "Diagnostic": "optbt.dsl.diagnostics", "StratError": "optbt.dsl.diagnostics",
          "parse_text": "optbt.dsl.parser"}


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'optbt.dsl' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


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
    """The Strategy subclass compiled from a .strat file (raises StratError with diagnostics).

    A text compiled before loads its compiled module without the front end
    (optbt.dsl.compiled_cache)."""
    from optbt.dsl.compiled_cache import lookup
    text = read_strat(path)
    cls = lookup(text, str(path))
    if cls is not None:
        return cls
    from optbt.dsl.compiler import load_text
    return load_text(text, str(path), remember_text=True)


def load_strat_text(text: str, filename: str = "<strat>"):
    from optbt.dsl.compiler import load_text
    return load_text(text, filename)


__all__ = ["Diagnostic", "StratError", "compile_text", "load_strat", "load_strat_text", "parse_text", "read_strat"]
