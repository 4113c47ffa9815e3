"""What a strategy sees: the day at its first tick, then one tick at a time.

:class:`BarContext` is created once a day and moved forward by the engine; every accessor
answers for the current tick only (prices come from the day cache at index ``tick``, which
holds nothing known after ``now``). :class:`DayStartContext` is smaller still: the day, the
spot known at the first tick, the listed expiries and ``prefetch``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from optbt.engine.greeks import book
from optbt.engine.livechain import live_prices
from optbt.model.greeks import Greeks
from optbt.model.instrument import Instrument, Leg, Trade
from optbt.model.strikes import pick_strike

if TYPE_CHECKING:
    from optbt.engine.dayrun import DayRun

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class DayStartContext:
    """The day before its first decision: day, spot at the first tick, ATM, expiries, prefetch."""

    __slots__ = ("day", "spot", "atm", "strike_step", "expiries", "weekday", "dte", "_run")

    def __init__(self, run: "DayRun"):
        self._run = run
        self.day: date = run.day
        self.spot: float | None = run.spot[0]
        self.atm: float | None = run.atm_at(0, checked=False)
        self.strike_step: float = run.strike_step
        self.expiries: list[date] = list(run.chain.expiries)
        self.weekday: str = _WEEKDAYS[run.day.weekday()]
        self.dte: int | None = run.dte

    def prev_day(self, n: int = 1, series: str = "spot"):
        """The n-th previous trading day in the data (1 to 5), known before today's first decision:
        ``DaySummary(day, open, high, low, close)`` or None (e.g. skip a day after a wide range)."""
        run = self._run
        return run.market.market.prev_day(series, run.day, n)

    def prefetch(self, items) -> None:
        """Fetch these legs' or instruments' full day in one query.

        A performance hint only: the cache fetches lazily anyway if this is skipped.
        """
        self._run.cache.prefetch(_instrument(x) for x in items)


def _instrument(x: Any) -> Instrument:
    if isinstance(x, Leg):
        return x.instrument
    if isinstance(x, Trade):
        return x.leg.instrument
    if isinstance(x, Instrument):
        return x
    raise TypeError(f"expected a Leg, Trade or Instrument, got {type(x).__name__}")


class BarContext:
    """The current tick. ``now``, ``time``, ``tick`` and ``spot`` move with the engine."""

    __slots__ = ("now", "time", "tick", "spot", "is_last_tick", "day", "weekday", "dte",
                 "strike_step", "lot_size", "expiries", "_run")

    def __init__(self, run: "DayRun"):
        self._run = run
        self.day: date = run.day
        self.weekday: str = _WEEKDAYS[run.day.weekday()]
        self.dte: int | None = run.dte
        self.strike_step: float = run.strike_step
        self.lot_size: float = run.lot_size
        self.expiries: list[date] = list(run.chain.expiries)
        self.now: Any = None
        self.time: str = ""
        self.tick: int = -1
        self.spot: float | None = None
        self.is_last_tick = False

    def _move(self, i: int) -> None:
        run = self._run
        self.tick = i
        self.now = run.ticks[i]
        self.time = run.times[i]
        self.spot = run.spot[i]
        self.is_last_tick = i == run.last

    @property
    def atm(self) -> float | None:
        return self._run.atm_at(self.tick)

    def price(self, what) -> tuple[float, int] | None:
        """``(price, lag)`` of an open position key, a Leg, a Trade or an Instrument at this tick."""
        run = self._run
        if what.__class__ is str:
            series = run.key_series.get(what)
            if series is None:
                run.position(what)  # raises a KeyError naming the open keys
            return series.quote[self.tick]
        return run.cache.series(_instrument(what)).quote[self.tick]

    def ltp(self, what) -> float | None:
        q = self.price(what)
        return None if q is None else q[0]

    def pnl(self, key: str) -> float:
        """An open position's PnL in currency at this tick, after its entry costs."""
        trade = self._run.position(key)
        q = self._run.cache.series(trade.leg.instrument).quote[self.tick]
        return trade.open_pnl(q[0] if q else trade.entry_price)

    @property
    def mtm(self) -> float:
        """Open positions' PnL in currency (after their entry costs)."""
        run = self._run
        i = self.tick
        total = 0.0
        for key, trade in run.strategy.positions.items():
            q = run.key_series[key].quote[i]
            total += trade.open_pnl(q[0] if q else trade.entry_price)
        return total

    @property
    def realised(self) -> float:
        return self._run.realised

    @property
    def day_pnl(self) -> float:
        return self._run.realised + self.mtm

    # -- market signals (optbt.engine.market): read only when asked, never after this tick ---------
    @property
    def spot_bar(self):
        """The newest spot bar known now: ``OhlcQuote(open, high, low, close, volume, lag)``, or
        None before the day's first bar. A field the data lacks is None."""
        return self._run.market.quote("spot", self.tick)

    def series(self, name: str):
        """The newest bar of the dataset's ``[series.NAME]`` known now (an ``OhlcQuote``), or None."""
        return self._run.market.quote(name, self.tick)

    def prev_day(self, n: int = 1, series: str = "spot"):
        """The n-th previous trading day in the data (1 to 5): ``DaySummary(day, open, high, low,
        close)``, or None when the data holds no such day."""
        run = self._run
        return run.market.market.prev_day(series, run.day, n)

    @property
    def gap(self) -> float | None:
        """Today's open minus the previous trading day's close (points), once today's first bar is known."""
        return self._run.market.gap("spot", self.tick)

    @property
    def gap_pct(self) -> float | None:
        """:attr:`gap` as a percentage of the previous close (0.5 means 0.5 %)."""
        return self._run.market.gap_pct("spot", self.tick)

    def gap_of(self, series: str = "spot", pct: bool = False) -> float | None:
        """The gap of the spot or a series: points, or percent of the previous close with ``pct``."""
        market = self._run.market
        return market.gap_pct(series, self.tick) if pct else market.gap(series, self.tick)

    def range(self, start: str, end: str, series: str = "spot") -> tuple[float, float] | None:
        """(high, low) of the bars known in (start, end] today; None before ``end`` (or with no bar)."""
        return self._run.market.range(start, end, self.tick, series)

    def indicator(self, kind: str, *args, series: str = "spot", interval: str | int | None = None,
                  field: str = "value") -> float | None:
        """An indicator on the spot (or a series) now, e.g. ``ctx.indicator("ema", 20)``,
        ``ctx.indicator("rsi", 14, interval="5m")``, ``ctx.indicator("bollinger", 20, 2, field="upper")``.

        None until warm. Fed incrementally from the first day it is asked for, across days in
        date order. ``interval`` (default ``1m``) is bars of that length from the session's open,
        built from the data's rows (on tick data: one-minute bars, not ticks); a bar counts once
        the clock has passed its end.
        """
        return self._indicator_of((kind, args, interval, series, field))

    def _indicator_of(self, key: tuple) -> float | None:
        """:meth:`indicator` with its arguments as one ``(kind, args, interval, series, field)``
        (compiled strategies call this: no arguments packed and unpacked on every tick; private so
        that the context's public names stay the documented ones)."""
        market = self._run.market
        values = market._today.get(key)
        if values is not None:  # asked before today: the day's values are a list, one per tick
            return values[self.tick]
        return market.indicator(*key, self.tick)

    def chain(self, expiry: date | str | None = None) -> list[float]:
        """Strikes listed today for ``expiry`` (default: the strategy's expiry rule)."""
        return list(self._run.chain.strikes_for(self._run.expiry_for(expiry)))

    def strike_by_premium(self, opt_type: str, target: float, mode: str = "closest",
                          expiry: date | str | None = None) -> float | None:
        """The strike whose live price (lag 0) now is closest to / >= / <= ``target``.

        Reads the chain's live prices in one small query for the next few ticks
        (optbt.engine.livechain), or from the day cache when it holds the whole chain or the
        source cannot read a window (then the chain is fetched in a single query).
        Ties go to the strike nearer the money (then the lower strike).
        """
        run = self._run
        exp = run.expiry_for(expiry)
        from optbt.model.instrument import normalise_opt_type
        ot = normalise_opt_type(opt_type)
        insts = [Instrument(run.underlying, exp, k, ot) for k in run.chain.strikes_for(exp)]
        tick = self.tick
        prices = live_prices(run, insts, tick)  # strike -> price of every strike traded on this tick
        return pick_strike(((i.strike, prices[i.strike]) for i in insts if i.strike in prices), target, mode,
                           self.spot or 0.0)

    # -- greeks (optbt.engine.greeks): computed on first use, nothing for strategies without them --
    def greeks(self, what) -> Greeks | None:
        """IV and greeks of an open position key, a Leg, a Trade or an Instrument at this tick.

        From the last known price (the close, or the mid for quotes; ``price(what)`` tells its
        lag) and the spot at this tick; None when unknown (no price or spot yet, a price at or
        below intrinsic, at or after the expiry's close). ``delta`` is the option's own (a put's
        is negative), ``theta`` per calendar day, ``vega`` per volatility point, ``iv`` a
        fraction (0.25 = 25 %).
        """
        run = self._run
        if what.__class__ is str:
            inst = run.position(what).leg.instrument
        else:
            inst = _instrument(what)
        return book(run).at(inst, self.tick)

    @property
    def net_delta(self) -> float | None:
        """The open position's delta in lots: the sum of side (+1 long, -1 short) x lots x
        delta over the open legs; 0.0 with nothing open, None when a leg's delta is unknown."""
        return book(self._run).net_delta(self.tick)

    def strike_by_delta(self, opt_type: str, target: float, mode: str = "closest",
                        expiry: date | str | None = None) -> float | None:
        """The listed strike whose |delta| now is closest to / >= / <= ``target`` (0 < target < 1).

        Only strikes with a live price (lag 0) compete; the expiry's chain of that type is
        fetched in one query the first time. Ties go to the strike nearer the money.
        """
        run = self._run
        return book(run).strike_by_delta(opt_type, target, mode, run.expiry_for(expiry), self.tick)
