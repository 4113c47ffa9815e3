"""optbt: an event-based options backtester with a declarative strategy language.

The public Python API::

    from optbt import Strategy, BarContext, DayStartContext, run_backtest
"""

from optbt.context import BarContext, DayStartContext
from optbt.dataset import DatasetConfig, load_dataset
from optbt.engine import EventEngine, run_backtest
from optbt.errors import ConfigError, DataError, OptbtError, StrategyError
from optbt.instrument import Instrument, Leg, Trade
from optbt.results import BacktestResult
from optbt.strategy import Strategy

__all__ = [
    "BacktestResult", "BarContext", "ConfigError", "DataError", "DatasetConfig",
    "DayStartContext", "EventEngine", "Instrument", "Leg", "OptbtError", "Strategy",
    "StrategyError", "Trade", "load_dataset", "run_backtest",
]
__version__ = "0.1.0"
