"""IV and greeks at the tick, and strikes chosen by delta, for one day run.

A :class:`GreekBook` is made the first time a strategy asks for a greek on a day (a strategy
that never asks pays nothing) and dropped with the day. It reads only what is known at the
tick: the option's price from the day cache at index ``tick`` (the close, or the mid for quote
data) and the spot known at that tick. The model is Black-Scholes-Merton with the dataset's
``[greeks]`` rate and dividend yield, or Black-76 when the config says the spot series is the
future; time to expiry is counted in minutes to the expiry's session close, so 0DTE options
have greeks until the last minute (elapsed minutes: a DST change in between counts its real
hour when the dataset names its zone). Results are memoised per (instrument, tick).

Unknown is ``None``, never an exception: no spot, no price, a price at or below intrinsic,
a clock that holds no timestamps, or a tick at or after the expiry's close.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from optbt.data.dataset import parse_hhmm
from optbt.engine.livechain import live_prices
from optbt.model.greeks import Greeks, greeks, year_fraction
from optbt.model.instrument import Instrument, normalise_opt_type
from optbt.model.strikes import pick_strike

if TYPE_CHECKING:
    from optbt.engine.dayrun import DayRun

MODES = ("closest", "ge", "le")


class GreekBook:
    """The day's greeks: what the contexts' ``greeks``, ``net_delta`` and ``strike_by_delta`` read."""

    def __init__(self, run: "DayRun"):
        setup = run.config.greeks
        self._run = run
        self.rate = setup.rate
        self.dividend_yield = setup.dividend_yield
        self.model = "black76" if setup.model == "black76" else "bs"
        self._close_time: time | None = parse_hhmm(setup.expiry_close) if setup.expiry_close else None
        self._session = run.config.session
        self._closes: dict[date, datetime] = {}
        self._memo: dict[tuple[Instrument, int], Greeks | None] = {}
        # the exchange's zone: time to expiry is elapsed time, so a DST change in between counts
        # its real hour (a Friday-to-Monday span over a US spring-forward is an hour shorter)
        self._zone = ZoneInfo(run.config.timezone) if run.config.timezone else None
        self._instants: dict[int, datetime] = {}  # tick -> its instant (UTC), once a tick

    def expiry_close(self, expiry: date) -> datetime:
        """When ``expiry`` stops trading: ``expiry_close`` or the session's end that day."""
        hit = self._closes.get(expiry)
        if hit is None:
            hit = (datetime.combine(expiry, self._close_time) if self._close_time is not None
                   else self._session.bounds(expiry)[1])
            self._closes[expiry] = hit
        return hit

    def _instant(self, wall: datetime) -> datetime:
        """A wall-clock time as an instant (UTC), so that a difference of two is elapsed time
        (Python subtracts two times of one zone by their wall clocks, DST or not); naive and
        without a dataset zone: the wall clock, as before."""
        if wall.tzinfo is not None:
            return wall.astimezone(UTC)
        if self._zone is None:
            return wall
        return wall.replace(tzinfo=self._zone).astimezone(UTC)

    def at(self, instrument: Instrument, tick: int) -> Greeks | None:
        """IV and greeks of ``instrument`` from its last known price at ``tick`` (any lag)."""
        key = (instrument, tick)
        memo = self._memo
        if key in memo:
            return memo[key]
        run = self._run
        q = run.cache.series(instrument).quote[tick]
        g = None if q is None else self._from_price(instrument, tick, q[0])
        memo[key] = g
        return g

    def _from_price(self, instrument: Instrument, tick: int, price: float) -> Greeks | None:
        run = self._run
        spot = run.spot[tick]
        now = run.ticks[tick]
        if spot is None or not isinstance(now, datetime):
            return None
        close = self.expiry_close(instrument.expiry)
        if now.tzinfo is not None:  # a clock of zoned timestamps: the close is in the same zone
            close = close.replace(tzinfo=now.tzinfo)
        at = self._instants.get(tick)
        if at is None:
            at = self._instants[tick] = self._instant(now)
        t = year_fraction(at, self._instant(close))
        if not t > 0.0:
            return None
        return greeks(price, instrument.opt_type, spot, instrument.strike, t, self.rate, self.dividend_yield,
                      self.model)

    def strike_by_delta(self, opt_type: str, target: float, mode: str, expiry: date, tick: int) -> float | None:
        """The listed strike of ``expiry`` whose |delta| is closest to / >= / <= ``target``.

        Only strikes with a live price (lag 0) and a known IV at ``tick`` compete. Their prices
        come from a live chain (optbt.engine.livechain: one small query for the next few ticks)
        or, when the day cache already holds the whole chain or the source cannot read a
        window, from the day cache (the whole chain of that expiry and type in one query the
        first time): the same prices either way. Ties go to the strike nearer the money, then
        the lower strike.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be 'closest', 'ge' or 'le', not {mode!r}")
        if not 0.0 < target < 1.0:
            raise ValueError(f"a delta target is between 0 and 1 (0.16 for a 16-delta option), not {target!r}")
        run = self._run
        ot = normalise_opt_type(opt_type)
        insts = [Instrument(run.underlying, expiry, k, ot) for k in run.chain.strikes_for(expiry)]
        prices = live_prices(run, insts, tick)
        memo = self._memo

        def live():  # (strike, |delta|) of every strike traded on this tick with a known IV
            for inst in insts:
                price = prices.get(inst.strike)
                if price is not None:
                    key = (inst, tick)  # as at(): the price at lag 0 is the last known one
                    if key in memo:
                        g = memo[key]
                    else:
                        g = memo[key] = self._from_price(inst, tick, price)
                    if g is not None:
                        yield inst.strike, abs(g.delta)
        return pick_strike(live(), target, mode, run.spot[tick] or 0.0)

    def net_delta(self, tick: int) -> float | None:
        """Open positions' delta in lots: sum of side x lots x option delta (None if one is unknown)."""
        total = 0.0
        for trade in self._run.strategy.positions.values():
            g = self.at(trade.leg.instrument, tick)
            if g is None:
                return None
            total += trade.leg.sign * trade.qty * g.delta
        return total


def book(run: "DayRun") -> GreekBook:
    """The run's greek book, made on first use."""
    b = run.greek_book
    if b is None:
        b = run.greek_book = GreekBook(run)
    return b
