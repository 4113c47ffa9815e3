"""optbt: an event-based options backtester with a declarative strategy language.

The public Python API::

    from optbt import Strategy, BarContext, DayStartContext, run_backtest
    result = optbt.backtest("strategies_dsl/straddle_920.strat")   # notebooks: optbt.api

The names below are imported on first use (PEP 562), so ``optbt --help`` and other commands
that need none of them do not pay for the engine, DuckDB or pydantic at start-up. Each name's
home is listed in ``_HOMES``; type checkers and editors see the imports under TYPE_CHECKING.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optbt.api.backtest import backtest
    from optbt.api.result import Result
    from optbt.api.sweep import sweep
    from optbt.data.dataset import DatasetConfig, load_dataset
    from optbt.engine.context import BarContext, DayStartContext
    from optbt.engine.loop import EventEngine, run_backtest
    from optbt.engine.strategy import Strategy
    from optbt.model.errors import ConfigError, DataError, OptbtError, StrategyError
    from optbt.model.instrument import Instrument, Leg, Trade
    from optbt.results.result import BacktestResult

_HOMES = {
    "BarContext": "optbt.engine.context", "DayStartContext": "optbt.engine.context",
    "DatasetConfig": "optbt.data.dataset", "load_dataset": "optbt.data.dataset",
    "EventEngine": "optbt.engine.loop", "run_backtest": "optbt.engine.loop",
    "ConfigError": "optbt.model.errors", "DataError": "optbt.model.errors",
    "OptbtError": "optbt.model.errors", "StrategyError": "optbt.model.errors",
    "Instrument": "optbt.model.instrument", "Leg": "optbt.model.instrument", "Trade": "optbt.model.instrument",
    "BacktestResult": "optbt.results.result", "Strategy": "optbt.engine.strategy",
    "backtest": "optbt.api.backtest", "Result": "optbt.api.result", "sweep": "optbt.api.sweep",
}
__all__ = sorted(_HOMES)
__version__ = "0.1.0"


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'optbt' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once imported, a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
