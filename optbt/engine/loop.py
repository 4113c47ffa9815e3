"""The event engine: days, ticks and the per-day state machine.

Days: every day with spot or option rows in the range (``engine/days.py``). A day that cannot
run is skipped with a reason (``no_spot``, ``no_ticks``, ``no_options``, ``no_expiry``,
``data_error``, ``on_day_start``), never dropped and never fatal to the run; only an error
that is the whole dataset's (``DataError.dataset_wide``: a start-labelled table of ticks)
stops it, on whichever day it is met.

Per day: session -> spot bars -> clock -> chain -> ``on_day_start`` (False skips the day)
-> ticks. Per tick the state decides the hook: IDLE calls ``entry`` (``try_fill`` moves to
ACTIVE; the tick an entry fills on runs nothing else); ACTIVE calls ``adjust``, then — if
legs are still open — ``exit_check``, and True closes everything. A cycle ends when
everything is closed (by an exit or leg by leg): ``on_exit`` fires, then IDLE if cycles
remain, else DONE; entry resumes on the next tick at the earliest. No entry on the last
tick, nor at or after the strategy's exit time (``entry_deadline``). On the last tick, after
the hooks, an EOD close always fires, then ``on_day_end``.
"""

from __future__ import annotations

import time as _time
from bisect import bisect_left
import traceback
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from optbt.data.cache import DayCache, align
from optbt.data.dataset import Costs, DatasetConfig, load_dataset
from optbt.data.source import DataSource
from optbt.engine.clock import session_clock, spot_clock
from optbt.engine.context import BarContext, DayStartContext
from optbt.engine.costing import cost_model, describe, effective_costs
from optbt.engine.days import (check_underlying, data_hints, dataset_underlyings, entry_deadline,
                               note_session_times, note_time_warnings, run_days, why_no_entry)
from optbt.engine.dayrun import ACTIVE, DONE, IDLE, DayRun, NoExpiry
from optbt.engine.fills import CostModel
from optbt.engine.market import DayMarket, Market
from optbt.engine.strategy import Strategy
from optbt.engine.trace import Tracer, absent, exact_times, skip_record
from optbt.model.errors import ConfigError, DataError, StrategyError, is_interrupt
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
        self._base_costs = self.costs = costs or CostModel.from_config(cfg.costs)
        self._own_costs = costs is None  # then a strategy's COSTS apply over the dataset's (run())
        self.max_lag = cfg.entry_max_lag if max_lag is None else max_lag

    def run(self, strategy: Strategy, start: date | None = None, end: date | None = None,
            progress: Callable[[int, int, date], None] | None = None,
            trace: Iterable[date] = ()) -> BacktestResult:
        """Run every day in [start, end] that has spot or options; ``trace`` days are recorded.

        A strategy instance runs once: its trades, open legs and whatever state its own code
        keeps would carry into a second run (pass the class, or a new instance)."""
        if getattr(strategy, "_optbt_has_run", False):
            raise StrategyError(f"this {type(strategy).__name__} instance has run already: its trades and the "
                                "state it keeps would carry into this run; pass the class (with params) or a "
                                f"new instance, e.g. {type(strategy).__name__}(...)")
        check_rule(strategy.expiry)
        check_underlying(self.source, strategy)
        strategy._optbt_has_run = True
        self.costs = self._base_costs  # an engine run again: the last strategy's COSTS do not stay
        if self._own_costs and strategy.COSTS:  # the .strat costs section over the dataset's [costs]
            cfg = self.source.config
            self.costs = cost_model(effective_costs(cfg.costs, strategy.COSTS, None, cfg.root))
        self._deadline = entry_deadline(strategy)
        self._market = Market(self.source, strategy.underlying or self.source.config.underlying)
        self._market.check_series(getattr(strategy, "SERIES", ()))
        t0 = _time.perf_counter()
        q0 = self.source.queries
        days = run_days(self.source, start, end)
        self._market.first_day = days[0] if days else None
        if not days and (start is not None or end is not None):  # bad dates: refused, results kept
            every = run_days(self.source, None, None)
            if every:
                raise ConfigError(f"no days to run: the dataset has {len(every)} day{'s' * (len(every) != 1)} from {every[0]} to {every[-1]},"
                                  f" none in {start or 'the start'} .. {end or 'the end'}. Choose --start/--end"
                                  " inside that range")
        stats = {"days": 0, "ticks": 0, "cache_queries": 0, "cache_hits": 0, "instruments_fetched": 0}
        # rules the run's parameter values keep from ever firing (a compiled .strat file knows its rules)
        param_warnings = getattr(strategy, "_param_warnings", list)()
        daily: list[DayRow] = []
        self._blocks: dict[str, dict] = {}
        self._trace_days = set(trace)
        self._trace: list[dict] = [absent(d) for d in sorted(self._trace_days - set(days))]
        self._first_error: DataError | None = None
        self._left_out: dict[str, int] = {}
        self._time_notes: dict[str, None] = {}  # the strategy's times that did nothing (the run's warnings)
        for n, day in enumerate(days):
            try:
                row = self._run_day(strategy, day, stats)
            except DataError as exc:  # confined to this day: skip it, say why, go on
                if exc.dataset_wide:  # the dataset's, met on this day (a start-labelled table of ticks)
                    raise
                self._first_error = self._first_error or exc
                row = DayRow(day, 0.0, 0, 0, True, "data_error", str(exc))
            if row.skipped and day in self._trace_days:
                self._trace.append(skip_record(row))
            daily.append(row)
            if progress is not None:
                progress(n + 1, len(days), day)
        if self._first_error is not None and all(d.skip_reason == "data_error" for d in daily):
            raise self._first_error  # not one day could be read: the dataset is broken, not a day of it
        stats["queries"] = self.source.queries - q0
        stats["seconds"] = round(_time.perf_counter() - t0, 4)
        if self._left_out:  # contracts the chain refused (e.g. an expiry before its trade date): said, not dropped
            stats["contracts_left_out"] = dict(sorted(self._left_out.items()))
        if self._time_notes:  # a staggered leg or an exit time the session never reaches
            stats["time_warnings"] = list(self._time_notes)
        if param_warnings:  # --param tp_pct=100 on a sold leg's target: it never fires
            stats["param_warnings"] = param_warnings
        hints = data_hints(self.source)
        if hints:  # what the data looked like on the first day (bars labelled by their start?)
            stats["data_hints"] = hints
        layout = data_hints(self.source, "notes")
        if layout:  # right but slow: option rows in time order (optbt data sort writes them in read order)
            stats["data_notes"] = layout
        del stats["cache_queries"]
        notes = self._notes(strategy, days, daily, start, end)
        result = BacktestResult.build(strategy, self.source.config, start, end, daily, stats, notes, self._trace)
        result.costs = describe(self.costs)
        return result

    def _notes(self, strategy: Strategy, days: list[date], daily: list[DayRow], start, end) -> dict:
        """What explains an empty result; computed only when the result is empty."""
        notes: dict = {}
        if not days:
            every = run_days(self.source, None, None)
            notes["data_range"] = [every[0].isoformat(), every[-1].isoformat()] if every else None
            notes["data_days"] = len(every)
            notes["underlying"] = strategy.underlying or self.source.config.underlying
            if not every:
                notes["underlyings"] = dataset_underlyings(self.source)
        elif not strategy.closed_trades and self._blocks:
            ranked = sorted(self._blocks.items(), key=lambda kv: -len(kv[1]["days"]))
            notes["entry_blocked"] = {why: {"days": len(b["days"]), "example": b["example"],
                                            "first_days": [d.isoformat() for d in b["days"][:3]]}
                                      for why, b in ranked}
        return notes

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
        if not spot_bars:
            return DayRow(day, 0.0, 0, 0, True, "no_spot")
        if not ticks:  # whether the day runs must not depend on bars not yet known
            return DayRow(day, 0.0, 0, 0, True, "no_ticks")
        spot = [q[0] if q else None for q in align(ticks, spot_bars).quote]
        if spot.count(None) == len(spot):
            return DayRow(day, 0.0, 0, 0, True, "no_spot", "no usable spot bar by the session's last tick")
        chain = source.chain(day, underlying)
        for why, n in chain.left_out:  # counted for the days run, whichever wrapper listed the chain
            self._left_out[why] = self._left_out.get(why, 0) + n
        if not chain.expiries:
            return DayRow(day, 0.0, 0, 0, True, "no_options")
        cache = DayCache(source, day, ticks)
        run = DayRun(strategy, day, ticks, spot, chain, cache, source.config, self.costs,
                     underlying, self.max_lag)
        if run.expiry is None:
            listed = ", ".join(e.isoformat() for e in chain.expiries)
            return DayRow(day, 0.0, 0, 0, True, "no_expiry",
                          f"expiry rule {strategy.expiry!r} matches none of {listed}")
        run.session = (open_, close)
        run.market = DayMarket(self._market, run)
        strategy._run = run
        traced = day in self._trace_days
        if traced:
            run.tracer = Tracer(run, strategy, self._trace)
        try:
            skipped = self._drive(strategy, run)
        except (DataError, NoExpiry) as exc:  # the day is skipped whole: none of its trades count
            if isinstance(exc, DataError) and exc.dataset_wide:
                raise
            strategy.positions.clear()
            del strategy.closed_trades[before:]
            reason = "data_error" if isinstance(exc, DataError) else "no_expiry"
            if isinstance(exc, DataError):
                self._first_error = self._first_error or exc
            return DayRow(day, 0.0, 0, 0, True, reason, str(exc))
        finally:
            if traced:
                run.tracer.uninstall()
            strategy._run = None
            stats["ticks"] += len(ticks)
            stats["cache_hits"] += cache.hits
            stats["instruments_fetched"] += cache.fetched
            cache.clear()
        trades = len(strategy.closed_trades) - before
        if not skipped and not run.cycles:
            why, example = why_no_entry(run)
            self._blocks.setdefault(why, {"days": [], "example": example})["days"].append(day)
        if skipped:
            return DayRow(day, 0.0, 0, 0, True, "on_day_start")
        return DayRow(day, round(run.realised, 10), trades, run.cycles, False)

    def _drive(self, strategy: Strategy, run: DayRun) -> bool:
        """Run the day's hooks; an exception in user code becomes a StrategyError saying where."""
        try:
            return self._ticks(strategy, run)
        except (StrategyError, ConfigError, DataError):  # data errors (e.g. conflicting rows) stay data errors
            raise
        except (Exception, SystemExit) as exc:  # sys.exit() in a hook is a failure too, never a silent end
            if is_interrupt(exc):  # Ctrl-C inside a DuckDB query: an interrupt, not a strategy failure
                raise KeyboardInterrupt from None
            frames = traceback.extract_tb(exc.__traceback__)
            where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
            at = exact_times(run)[run.tick]  # a tick clock's seconds too, as the trace shows them
            raise StrategyError(f"{type(strategy).__name__}.{run.phase} failed on {run.day} at "
                                f"{at}: {type(exc).__name__}: {exc}{where}") from exc

    def _ticks(self, strategy: Strategy, run: DayRun) -> bool:
        if strategy.on_day_start(DayStartContext(run)) is False:
            return True
        ctx = BarContext(run)
        last = run.last
        # no entry on the last tick, nor at or after the strategy's exit time (entry_deadline)
        entry_end = last if self._deadline is None else min(last, _first_at(run.times, self._deadline))
        run.entry_end = entry_end
        if run.tracer is not None:
            run.tracer.start(entry_end, self._deadline)
        positions = strategy.positions
        entry, adjust, exit_check = strategy.entry, strategy.adjust, strategy.exit_check
        for i in range(last + 1):  # the hot loop: flat on purpose
            run.tick = i
            ctx._move(i)
            state = run.state
            if state is IDLE:
                if i < entry_end:
                    run.phase = "entry"
                    entry(ctx)
            elif state is ACTIVE:
                run.phase = "adjust"
                adjust(ctx)
                if not positions and not strategy.legs_waiting:  # a waiting leg keeps the cycle open
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
        if positions or (run.state is ACTIVE and strategy.legs_waiting):
            strategy.close_all("eod")
            self._end_cycle(strategy, run, ctx)
        run.phase = "on_day_end"
        strategy.on_day_end(ctx)
        if not run.cycles:  # why not, where the strategy's own times say (before the tracer records it)
            note_session_times(strategy, run)
        note_time_warnings(strategy, run)
        for why in run.time_notes:  # said once a run, in the order first met
            self._time_notes.setdefault(why, None)
        return False

    @staticmethod
    def _end_cycle(strategy: Strategy, run: DayRun, ctx: BarContext) -> None:
        run.cycles += 1
        strategy.legs_waiting.clear()  # nothing waits past the end of its cycle
        run.phase = "on_exit"
        strategy.on_exit(ctx)
        run.state = IDLE if run.cycles < strategy.max_cycles else DONE


def _first_at(times: list[str], hhmm: str) -> int:
    """The first tick index whose time is at or after ``hhmm`` (len(times) when none is).

    Ticks are in time order and "HH:MM" sorts as time, so a bisection (a scan would cost a
    few percent of a day's run).
    """
    return bisect_left(times, hhmm)


def _as_date(value: Any, what: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{what} must be a date like 2024-01-31, got {value!r}") from None


_PACKAGE = str(Path(__file__).resolve().parents[1])  # optbt's own files (a ValueError there is a parameter's)


def run_backtest(strategy: Strategy | type[Strategy], data: DatasetConfig | str | Path | None = None,
                 start: Any = None, end: Any = None, params: dict | None = None,
                 source: DataSource | None = None, costs: Costs | dict | CostModel | None = None,
                 progress: Callable[[int, int, date], None] | None = None,
                 trace: Iterable[Any] = ()) -> BacktestResult:
    """Run ``strategy`` over the data and return its result.

    ``data`` is a dataset folder, a ``dataset.toml`` or a config; None uses the embedded
    sample dataset. ``params`` apply when ``strategy`` is a class. ``trace`` lists days whose
    decisions are recorded in ``result.trace`` (``optbt run --trace DAY``). ``costs`` (a
    :class:`Costs` counting only the fields it was given, or a dict of them) override the
    strategy's ``COSTS``, which override the dataset's (:mod:`optbt.engine.costing`); a
    :class:`CostModel` is used as it is.
    """
    if isinstance(strategy, type):
        if not issubclass(strategy, Strategy):
            raise StrategyError(f"{strategy.__name__} is not a optbt.Strategy subclass")
        cls = strategy
        try:
            strategy = cls(**(params or {}))
        except (StrategyError, ConfigError):
            raise
        except (Exception, SystemExit) as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            if isinstance(exc, ValueError) and frames and frames[-1].filename.startswith(_PACKAGE):
                raise ConfigError(str(exc)) from None  # a parameter's value: coerce_param names it
            # the user's own __init__ failed: say which class and where, not a traceback
            where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
            raise StrategyError(f"creating {cls.__name__} failed: {type(exc).__name__}: {exc}{where}") from None
    elif params:
        raise ConfigError("params apply to a strategy class; this strategy is already an instance")
    start_d, end_d = _as_date(start, "start"), _as_date(end, "end")
    if start_d and end_d and start_d > end_d:
        raise ConfigError(f"start {start_d} is after end {end_d}")
    trace_days = [_as_date(d, "trace day") for d in trace]
    owned = source is None  # a source made here is closed here (its connection, its read-ahead thread)
    if owned:
        if data is None:
            from optbt.data.sample import default_dataset
            data = default_dataset()
        from optbt.data.duckdb_source import DuckDBSource
        source = DuckDBSource(data if isinstance(data, DatasetConfig) else load_dataset(data))
    try:
        if not isinstance(costs, CostModel):  # run > strategy (.strat costs section) > dataset
            costs = cost_model(effective_costs(source.config.costs, strategy.COSTS, costs, source.config.root))
        return EventEngine(source, costs).run(strategy, start_d, end_d, progress, trace_days)
    finally:
        if owned:
            source.close()
