"""The event engine: days, ticks and the per-day state machine.

Per day: session -> spot bars -> clock -> chain -> ``on_day_start`` (False skips the day)
-> ticks. Per tick the state decides the hook: IDLE calls ``entry`` (``try_fill`` moves to
ACTIVE; the tick an entry fills on runs nothing else); ACTIVE calls ``adjust``, then — if
legs are still open — ``exit_check``, and True closes everything. A cycle ends when
everything is closed (by an exit or leg by leg): ``on_exit`` fires, then IDLE if cycles
remain, else DONE; entry resumes on the next tick at the earliest. No entry on the last
tick. On the last tick, after the hooks, an EOD close always fires, then ``on_day_end``.
"""

from __future__ import annotations

import time as _time
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from optbt.data.cache import DayCache, align
from optbt.data.dataset import Costs, DatasetConfig, load_dataset
from optbt.data.source import DataSource
from optbt.engine.clock import session_clock, spot_clock
from optbt.engine.context import BarContext, DayStartContext
from optbt.engine.dayrun import ACTIVE, DONE, IDLE, DayRun
from optbt.engine.fills import CostModel
from optbt.engine.strategy import Strategy
from optbt.model.errors import ConfigError, StrategyError
from optbt.model.expiry import check_rule
from optbt.results.result import BacktestResult, DayRow


class BacktestEngine(Protocol):
    def run(self, strategy: Strategy, start: date | None = None, end: date | None = None,
            progress: Callable[[int, int, date], None] | None = None) -> BacktestResult:
        ...


class EventEngine:
    """Runs one strategy instance over a range of days on one data source."""

    def __init__(self, source: DataSource, costs: CostModel | None = None, max_lag: int | None = None):
        self.source = source
        cfg = source.config
        self.costs = costs or CostModel.from_config(cfg.costs)
        self.max_lag = cfg.entry_max_lag if max_lag is None else max_lag

    def run(self, strategy: Strategy, start: date | None = None, end: date | None = None,
            progress: Callable[[int, int, date], None] | None = None) -> BacktestResult:
        check_rule(strategy.expiry)
        t0 = _time.perf_counter()
        q0 = self.source.queries
        days = self.source.trading_days(start, end)
        stats = {"days": 0, "ticks": 0, "cache_queries": 0, "cache_hits": 0, "instruments_fetched": 0}
        daily: list[DayRow] = []
        for n, day in enumerate(days):
            daily.append(self._run_day(strategy, day, stats))
            if progress is not None:
                progress(n + 1, len(days), day)
        stats["queries"] = self.source.queries - q0
        stats["seconds"] = round(_time.perf_counter() - t0, 4)
        del stats["cache_queries"]
        return BacktestResult.build(strategy, self.source.config, start, end, daily, stats)

    def _run_day(self, strategy: Strategy, day: date, stats: dict) -> DayRow:
        source = self.source
        underlying = strategy.underlying or source.config.underlying
        open_, close = source.session(day, underlying)
        spot_bars = source.spot_bars(day, underlying)
        clock = strategy.clock or (spot_clock if source.config.clock == "spot"
                                   else session_clock(source.config.bar_minutes))
        ticks = list(clock(day, open_, close, [b[0] for b in spot_bars]))
        stats["days"] += 1
        before = len(strategy.closed_trades)
        if not ticks:  # whether the day runs must not depend on bars not yet known
            return DayRow(day, 0.0, 0, 0, True)
        spot = [q[0] if q else None for q in align(ticks, spot_bars).quote]
        chain = source.chain(day, underlying)
        cache = DayCache(source, day, ticks)
        run = DayRun(strategy, day, ticks, spot, chain, cache, source.config, self.costs,
                     underlying, self.max_lag)
        strategy._run = run
        try:
            skipped = self._drive(strategy, run)
        finally:
            strategy._run = None
            stats["ticks"] += len(ticks)
            stats["cache_hits"] += cache.hits
            stats["instruments_fetched"] += cache.fetched
            cache.clear()
        trades = len(strategy.closed_trades) - before
        return DayRow(day, round(run.realised, 10), trades, run.cycles, skipped)

    def _drive(self, strategy: Strategy, run: DayRun) -> bool:
        """Run the day's hooks; an exception in user code becomes a StrategyError saying where."""
        try:
            return self._ticks(strategy, run)
        except (StrategyError, ConfigError):
            raise
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
            raise StrategyError(f"{type(strategy).__name__}.{run.phase} failed on {run.day} at "
                                f"{run.times[run.tick]}: {type(exc).__name__}: {exc}{where}") from exc

    def _ticks(self, strategy: Strategy, run: DayRun) -> bool:
        if strategy.on_day_start(DayStartContext(run)) is False:
            return True
        ctx = BarContext(run)
        last = run.last
        positions = strategy.positions
        entry, adjust, exit_check = strategy.entry, strategy.adjust, strategy.exit_check
        for i in range(last + 1):  # the hot loop: flat on purpose
            run.tick = i
            ctx._move(i)
            state = run.state
            if state is IDLE:
                if i < last:
                    run.phase = "entry"
                    entry(ctx)
            elif state is ACTIVE:
                run.phase = "adjust"
                adjust(ctx)
                if not positions:
                    self._end_cycle(strategy, run, ctx)
                else:
                    run.phase = "exit_check"
                    if exit_check(ctx):
                        strategy.close_all("exit")
                        self._end_cycle(strategy, run, ctx)
            else:
                break
        run.tick = last
        ctx._move(last)
        if positions:
            strategy.close_all("eod")
            self._end_cycle(strategy, run, ctx)
        run.phase = "on_day_end"
        strategy.on_day_end(ctx)
        return False

    @staticmethod
    def _end_cycle(strategy: Strategy, run: DayRun, ctx: BarContext) -> None:
        run.cycles += 1
        run.phase = "on_exit"
        strategy.on_exit(ctx)
        run.state = IDLE if run.cycles < strategy.max_cycles else DONE


def _as_date(value: Any, what: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{what} must be a date like 2024-01-31, got {value!r}") from None


def run_backtest(strategy: Strategy | type[Strategy], data: DatasetConfig | str | Path | None = None,
                 start: Any = None, end: Any = None, params: dict | None = None,
                 source: DataSource | None = None, costs: Costs | CostModel | None = None,
                 progress: Callable[[int, int, date], None] | None = None) -> BacktestResult:
    """Run ``strategy`` over the data and return its result.

    ``data`` is a dataset folder, a ``dataset.toml`` or a config; None uses the embedded
    sample dataset. ``params`` apply when ``strategy`` is a class.
    """
    if isinstance(strategy, type):
        if not issubclass(strategy, Strategy):
            raise StrategyError(f"{strategy.__name__} is not a optbt.Strategy subclass")
        try:
            strategy = strategy(**(params or {}))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    elif params:
        raise ConfigError("params apply to a strategy class; this strategy is already an instance")
    if source is None:
        if data is None:
            from optbt.data.sample import default_dataset
            data = default_dataset()
        from optbt.data.duckdb_source import DuckDBSource
        source = DuckDBSource(data if isinstance(data, DatasetConfig) else load_dataset(data))
    start_d, end_d = _as_date(start, "start"), _as_date(end, "end")
    if start_d and end_d and start_d > end_d:
        raise ConfigError(f"start {start_d} is after end {end_d}")
    if isinstance(costs, Costs):
        costs = CostModel.from_config(costs)
    return EventEngine(source, costs).run(strategy, start_d, end_d, progress)
