"""``backtest``: one call from a notebook to a result.

``strategy`` may be a ``.strat`` path, ``path/file.py:Class``, ``.strat`` source text, a
:class:`~optbt.Strategy` subclass or an instance. ``data`` is a dataset folder, a
``dataset.toml`` or a loaded config; None uses the embedded (synthetic) sample. ``costs`` is a
preset name (``"nse"``, ``"us"``), a ``.toml`` charge schedule, or a dict of the dataset's
``[costs]`` keys (``slippage``, ``slippage_unit``, ``commission_per_lot``,
``commission_per_order``, ``preset``): the settings it gives override the strategy's
(a ``.strat`` ``costs`` section), which override the dataset's.

>>> r = backtest('''strategy demo "sell the 09:20 straddle"
... legs
...     ce = add(ATM, CE, SELL)
...     pe = add(ATM, PE, SELL)
... entry at 09:20
... exit at 15:15''', start="2024-01-01", end="2024-01-05")   # doctest: +SKIP
>>> r.summary["metrics"]["trades"]                               # doctest: +SKIP
10
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optbt.api.result import Result
from optbt.data.dataset import Costs, DatasetConfig, load_dataset
from optbt.engine.strategy import Strategy
from optbt.engine.costing import checked_preset, partial_costs
from optbt.model.errors import ConfigError

_COST_KEYS = tuple(Costs.model_fields)


def _strategy(strategy: Any):
    """A Strategy class or instance from whatever a notebook user passes."""
    if isinstance(strategy, Strategy) or (isinstance(strategy, type) and issubclass(strategy, Strategy)):
        return strategy
    if isinstance(strategy, type):
        raise ConfigError(f"{strategy.__name__} is not a subclass of optbt.Strategy")
    if isinstance(strategy, Path):
        strategy = str(strategy)
    if not isinstance(strategy, str):
        raise ConfigError("strategy must be a .strat path, 'file.py:Class', .strat source text or a "
                          f"Strategy subclass, not {type(strategy).__name__}")
    text = strategy.strip()
    if "\n" in text or text.startswith("strategy "):  # source text, not a path
        from optbt.dsl import load_strat_text
        return load_strat_text(strategy, "<notebook>")
    from optbt.dsl.loader import load_strategy
    return load_strategy(text)


def _config(data: Any, data_root: Any) -> DatasetConfig:
    if isinstance(data, DatasetConfig):
        return data
    if data is None:
        if data_root is not None:
            raise ConfigError("data_root needs data (the config whose paths it anchors)")
        from optbt.data.sample import default_dataset
        return load_dataset(default_dataset(quiet=True))
    return load_dataset(data, data_root)


def _costs(config: DatasetConfig, costs: Any) -> Costs | None:
    """The caller's cost settings, only those given (they override the strategy's and the dataset's)."""
    if costs is None:
        return None
    if isinstance(costs, Costs):
        return costs
    if isinstance(costs, (str, Path)):  # a preset name or a schedule file
        costs = {"preset": str(costs)}
    if not isinstance(costs, dict):
        raise ConfigError(f"costs must be a preset name (nse, us), a .toml path or a dict of "
                          f"{', '.join(_COST_KEYS)}, not {type(costs).__name__}")
    costs = dict(costs)
    if "slippage" in costs:
        costs.setdefault("slippage_unit", "points")
    if costs.get("preset") is not None:
        costs["preset"] = checked_preset(costs["preset"])
    return partial_costs(costs)


def backtest(strategy: Any, data: Any = None, start: Any = None, end: Any = None,
             params: dict | None = None, costs: dict | str | Path | Costs | None = None,
             data_root: Any = None) -> Result:
    """Run ``strategy`` and return a :class:`~optbt.api.result.Result` (tables, summary, report)."""
    from optbt.engine.loop import run_backtest
    strat = _strategy(strategy)
    config = _config(data, data_root)
    result = run_backtest(strat, data=config, start=start, end=end, params=params,
                          costs=_costs(config, costs))
    return Result(result)
