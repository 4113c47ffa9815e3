"""optbt: an event-based options backtester with a declarative strategy language.

The public Python API::

    from optbt import Strategy, BarContext, DayStartContext, run_backtest
"""

from optbt.data.dataset import DatasetConfig, load_dataset
from optbt.engine.context import BarContext, DayStartContext
from optbt.engine.loop import EventEngine, run_backtest
from optbt.engine.strategy import Strategy
from optbt.model.errors import ConfigError, DataError, OptbtError, StrategyError
from optbt.model.instrument import Instrument, Leg, Trade
from optbt.model.levels import at_or_above, at_or_below, crossed_down, crossed_up
from optbt.results.result import BacktestResult

__all__ = [
    "BacktestResult", "BarContext", "ConfigError", "DataError", "DatasetConfig",
    "DayStartContext", "EventEngine", "Instrument", "Leg", "OptbtError", "Strategy",
    "StrategyError", "Trade", "at_or_above", "at_or_below", "crossed_down", "crossed_up",
    "load_dataset", "run_backtest",
]
__version__ = "0.1.0"
