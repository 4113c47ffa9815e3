"""A DataSource that remembers what it read, for sweeps: many runs over the same days.

A sweep worker runs one strategy with different parameters over the same data again and
again; most of a run's time is spent reading bars it read in the previous run. This wrapper
keeps spot bars, chains, sessions and each instrument's full day, up to a memory budget,
and asks the wrapped source only for what it does not hold. The data is immutable for the
life of a sweep, so a remembered day is exactly what a new query would return.

The budget is filled in the order days are first read and then kept (no eviction): runs
read days in order, and with least-recently-used eviction a working set one day larger than
the budget would evict each day just before it is needed again. With a budget that holds a
part of the data, that part is served from memory and the rest is read as before.

A single backtest does not use this: its memory stays flat in the number of days.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from optbt.instrument import Instrument
from optbt.source import Bar, Chain, DataSource

BAR_BYTES = 160  # a (datetime, float, float|None, float|None) tuple with its objects, roughly
DEFAULT_BUDGET_MB = 256


class MemoSource:
    """Wraps a DataSource; same answers, fewer queries (see the module docstring)."""

    def __init__(self, source: DataSource, budget_mb: float = DEFAULT_BUDGET_MB):
        self.source = source
        self.config = source.config
        self.budget = int(budget_mb * 1024 * 1024)
        self.used = 0
        self.hits = 0
        self._days: dict[tuple, list[date]] = {}
        self._sessions: dict[tuple, tuple[datetime, datetime]] = {}
        self._chains: dict[tuple, Chain] = {}
        self._spots: dict[tuple, list[Bar]] = {}
        self._options: dict[tuple[date, Instrument], list[Bar]] = {}

    @property
    def queries(self) -> int:
        return self.source.queries

    def _room(self, n_bars: int) -> bool:
        size = n_bars * BAR_BYTES + 200
        if self.used + size > self.budget:
            return False
        self.used += size
        return True

    def trading_days(self, start: date | None = None, end: date | None = None) -> list[date]:
        key = (start, end)
        if key not in self._days:
            self._days[key] = self.source.trading_days(start, end)
        return list(self._days[key])

    def session(self, day: date, underlying: str | None = None) -> tuple[datetime, datetime]:
        key = (day, underlying)
        hit = self._sessions.get(key)
        if hit is None:
            hit = self.source.session(day, underlying)
            if self._room(0):
                self._sessions[key] = hit
        return hit

    def chain(self, day: date, underlying: str | None = None) -> Chain:
        key = (day, underlying)
        hit = self._chains.get(key)
        if hit is None:
            hit = self.source.chain(day, underlying)
            if self._room(sum(len(v) for v in hit.strikes.values()) // 4):
                self._chains[key] = hit
        return hit

    def spot_bars(self, day: date, underlying: str | None = None) -> list[Bar]:
        key = (day, underlying)
        hit = self._spots.get(key)
        if hit is None:
            hit = self.source.spot_bars(day, underlying)
            if self._room(len(hit)):
                self._spots[key] = hit
        return hit

    def option_bars(self, day: date, instruments: Sequence[Instrument]) -> dict[Instrument, list[Bar]]:
        out: dict[Instrument, list[Bar]] = {}
        missing: list[Instrument] = []
        for inst in instruments:
            bars = self._options.get((day, inst))
            if bars is None:
                missing.append(inst)
            else:
                out[inst] = bars
                self.hits += 1
        if missing:
            fetched = self.source.option_bars(day, missing)
            for inst in missing:
                bars = fetched.get(inst, [])
                out[inst] = bars
                if self._room(len(bars)):
                    self._options[(day, inst)] = bars
        return out

    def close(self) -> None:
        self._sessions.clear()
        self._chains.clear()
        self._spots.clear()
        self._options.clear()
        self.used = 0
        closer = getattr(self.source, "close", None)
        if closer is not None:
            closer()
