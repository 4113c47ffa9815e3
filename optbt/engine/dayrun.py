"""One day of one strategy: the state its hooks and contexts read, for that day only.

A :class:`DayRun` is built by the engine at a day's first tick and dropped at its end. It
holds the day's ticks, the spot known at each, the chain, the day cache and the state machine
(IDLE -> ACTIVE -> DONE). The strategy and both contexts hold it, which is why it lives
below them: this module imports neither (it only needs what :class:`RunOwner` names).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from optbt.data.cache import DayCache
from optbt.data.dataset import DatasetConfig
from optbt.data.source import Chain
from optbt.engine.fills import CostModel
from optbt.model.errors import DataError, StrategyError
from optbt.model.expiry import resolve_expiry
from optbt.model.instrument import Instrument, Trade
from optbt.model.strikes import nearest_strike, off_scale, off_scale_message


class RunOwner(Protocol):
    """What a day run needs of its strategy (the Strategy base class provides it)."""

    expiry: Any
    positions: dict[str, Trade]


IDLE, ACTIVE, DONE = "IDLE", "ACTIVE", "DONE"


class NoExpiry(StrategyError):
    """No listed expiry matches a rule today: the engine skips the day (reason ``no_expiry``)."""
_HHMM = tuple(f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60))


class DayRun:
    """Everything about one day that the strategy's hooks and contexts may use, for this day only."""

    def __init__(self, strategy: RunOwner, day: date, ticks: list, spot: list, chain: Chain,
                 cache: DayCache, config: DatasetConfig, costs: CostModel, underlying: str,
                 max_lag: int):
        self.strategy = strategy
        self.day = day
        self.ticks = ticks
        self.last = len(ticks) - 1
        self.times = ([_HHMM[t.hour * 60 + t.minute] for t in ticks] if ticks and hasattr(ticks[0], "hour")
                      else [str(t) for t in ticks])
        self.spot = spot
        self.chain = chain
        self.cache = cache
        self.costs = costs
        self.underlying = underlying
        self.strike_step = config.strike_step
        self.lot_size = config.lot_size_on(day)
        self.max_lag = max_lag
        self.config = config
        self.greek_book = None  # optbt.engine.greeks.GreekBook, made when a greek is first asked for
        self.live_chains: dict = {}  # (expiry, opt_type) -> optbt.engine.livechain.LiveChain, on first use
        self.tick = 0
        self.phase = "on_day_start"
        self.state = IDLE
        self.cycles = 0
        self.realised = 0.0
        self.failed_fills = 0
        # why entries failed today: (leg key, instrument, "no_price" | "stale") -> ticks.
        # Written only when a fill fails, read once at day end (zero-trade diagnosis, --trace)
        self.blocked: dict[tuple, int] = {}
        self.session: tuple | None = None  # (open, close), set by the engine (a range outside it is noted)
        self.window_notes: dict[str, None] = {}  # why a range is never known today (ordered, no repeats)
        self.time_notes: list[str] = []  # the strategy's times that do nothing today (engine.days.note_time_warnings)
        self.tracer = None  # set on --trace days only (optbt.engine.trace)
        self.entry_end = self.last  # the first tick on which no entry is tried (engine sets it)
        self.key_series: dict = {}  # open position key -> its Series (str hashes are cached)
        self.market = None  # the day's market signals (optbt.engine.market.DayMarket), set by the engine
        self._expiry_memo: dict[Any, date] = {}
        default = self.expiry = self.expiry_for(None, strict=False)
        self.dte = (default - day).days if default else None
        self._atm_listed = chain.strikes_for(default) if default else ()
        self._atm_memo: dict[int, float | None] = {}

    def now(self):
        return self.ticks[self.tick]

    def expiry_for(self, rule: Any, strict: bool = True) -> date | None:
        rule = self.strategy.expiry if rule is None else rule
        if isinstance(rule, date):
            return rule
        hit = self._expiry_memo.get(rule)
        if hit is None:
            hit = resolve_expiry(rule, self.day, self.chain.expiries)
            if hit is None and strict:
                listed = ", ".join(e.isoformat() for e in self.chain.expiries) or "none"
                raise NoExpiry(f"{self.day}: no listed expiry matches rule {rule!r} (listed: {listed})")
            self._expiry_memo[rule] = hit
        return hit

    def atm_at(self, i: int, checked: bool = True) -> float | None:
        """ATM at tick ``i``: the listed strike nearest the spot. ``checked``: a spot more than
        3x outside the listed strikes (strikes in thousandths of a dollar, the spot of another
        instrument) is a DataError, which skips the day, rather than the chain's edge strike
        as ATM; the day-start context and the trace's header only show it (False)."""
        if i in self._atm_memo:
            return self._atm_memo[i]
        s = self.spot[i]
        atm = None if s is None else nearest_strike(s, self.strike_step, self._atm_listed)
        if not checked:
            return atm
        listed = self._atm_listed
        where = off_scale(s, listed[0], listed[-1]) if atm is not None and listed else None
        if where is not None:
            raise DataError(off_scale_message(self.day, s, listed[0], listed[-1], where))
        self._atm_memo[i] = atm
        return atm

    def position(self, key: str) -> Trade:
        try:
            return self.strategy.positions[key]
        except KeyError:
            open_keys = ", ".join(self.strategy.positions) or "none"
            raise KeyError(f"no open position '{key}' (open: {open_keys})") from None

    def fill_quote(self, instrument: Instrument, side: str) -> tuple[float, int, float] | None:
        """(fill price, lag, mark) for an order at this tick, or None when nothing is known yet.

        The mark is the tick's price (close, or mid for quote data) before bid/ask and slippage.
        """
        s = self.cache.series(instrument)
        i = self.tick
        q = s.quote[i]
        if q is None:
            return None
        return self.costs.price(side, q[0], s.bid[i], s.ask[i]), q[1], q[0]

    def activate(self) -> None:
        self.state = ACTIVE
