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

Each instrument's day is also remembered aligned to the day's clock (:meth:`MemoSource.aligned`,
the as-of merge :func:`optbt.data.cache.align` does): a sweep's runs share their clock, and
aligning was a fifth of a warm run's time. The alignment is kept with the clock it was made
for, in place of the bars (about half their memory), and reused only for an equal clock; it is
a function of the bars and the clock alone, so a reused one is the one the run would make. A
run on another clock reads the bars again.

A single backtest does not use this: its memory stays flat in the number of days.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from optbt.data.cache import Series, align
from optbt.data.source import Bar, Chain, DataSource
from optbt.model.instrument import Instrument

BAR_BYTES = 160  # a (datetime, float, float|None, float|None) tuple with its objects, roughly
DEFAULT_BUDGET_MB = 256


def _room(n_bars: int) -> int:
    """The budget an entry of ``n_bars`` bars takes (kept and given back alike)."""
    return n_bars * BAR_BYTES + 200


class MemoStore:
    """What is remembered, shared by every MemoSource of a process (a Dask worker's threads
    each have their own DuckDB connection but one memory and one budget)."""

    def __init__(self, budget_mb: float = DEFAULT_BUDGET_MB):
        self.budget = int(budget_mb * 1024 * 1024)
        self.used = 0
        self.lock = threading.Lock()
        self.days: dict[tuple, list[date]] = {}
        self.sessions: dict[tuple, tuple[datetime, datetime]] = {}
        self.chains: dict[tuple, Chain] = {}
        self.spots: dict[tuple, list[Bar]] = {}
        self.options: dict[tuple[date, Instrument], list[Bar]] = {}
        self.windows: dict[tuple, dict[float, list[Bar]]] = {}  # chain_bars answers
        self.aligned: dict[tuple[date, Instrument], tuple[tuple, Series]] = {}  # (the clock's ticks, the series)

    def keep(self, table: dict, key: Any, value: Any, n_bars: int) -> bool:
        """Remember ``value`` if it fits in the budget (filled once, never evicted); whether it is kept."""
        size = _room(n_bars)
        with self.lock:
            if key in table or self.used + size > self.budget:
                return False
            self.used += size
            table[key] = value
            return True

    def drop(self, table: dict, key: Any, n_bars: int) -> None:
        """Forget what :meth:`keep` kept under ``key`` and give its room back."""
        with self.lock:
            if table.pop(key, None) is not None:
                self.used -= _room(n_bars)

    def clear(self) -> None:
        with self.lock:
            for table in (self.days, self.sessions, self.chains, self.spots, self.options, self.windows,
                          self.aligned):
                table.clear()
            self.used = 0


class MemoSource:
    """Wraps a DataSource; same answers, fewer queries (see the module docstring)."""

    def __init__(self, source: DataSource, budget_mb: float = DEFAULT_BUDGET_MB, store: MemoStore | None = None):
        self.source = source
        self.config = source.config
        self.store = store if store is not None else MemoStore(budget_mb)
        if getattr(source, "chain_bars", None) is not None:  # optional: only where the source has it
            self.chain_bars = self._chain_bars

    @property
    def used(self) -> int:
        return self.store.used

    @property
    def queries(self) -> int:
        return self.source.queries

    def _recall(self, table: dict, key: Any, fetch: Callable[[], Any], n_bars: Callable[[Any], int]) -> Any:
        """The remembered answer for ``key``, or ``fetch()``'s, kept if it fits."""
        hit = table.get(key)
        if hit is None:
            hit = fetch()
            self.store.keep(table, key, hit, n_bars(hit))
        return hit

    def trading_days(self, start: date | None = None, end: date | None = None) -> list[date]:
        return list(self._recall(self.store.days, (start, end), lambda: self.source.trading_days(start, end),
                                 lambda days: len(days) // 4))

    def option_days(self, start: date | None = None, end: date | None = None) -> list[date]:
        inner = getattr(self.source, "option_days", None)
        if inner is None:
            return []
        return list(self._recall(self.store.days, ("options", start, end), lambda: inner(start, end),
                                 lambda days: len(days) // 4))

    def underlyings(self) -> list[str]:
        inner = getattr(self.source, "underlyings", None)
        return inner() if inner is not None else []

    def without_underlying(self) -> list[str]:
        inner = getattr(self.source, "without_underlying", None)
        return inner() if inner is not None else []

    def session(self, day: date, underlying: str | None = None) -> tuple[datetime, datetime]:
        return self._recall(self.store.sessions, (day, underlying), lambda: self.source.session(day, underlying),
                            lambda _: 0)

    def chain(self, day: date, underlying: str | None = None) -> Chain:
        return self._recall(self.store.chains, (day, underlying), lambda: self.source.chain(day, underlying),
                            lambda chain: sum(len(v) for v in chain.strikes.values()) // 4)

    def spot_bars(self, day: date, underlying: str | None = None) -> list[Bar]:
        return self._recall(self.store.spots, (day, underlying), lambda: self.source.spot_bars(day, underlying),
                            len)

    def option_bars(self, day: date, instruments: Sequence[Instrument]) -> dict[Instrument, list[Bar]]:
        out: dict[Instrument, list[Bar]] = {}
        missing: list[Instrument] = []
        options = self.store.options
        for inst in instruments:
            bars = options.get((day, inst))
            if bars is None:
                missing.append(inst)
            else:
                out[inst] = bars
        if missing:
            fetched = self.source.option_bars(day, missing)
            for inst in missing:
                bars = fetched.get(inst, [])
                out[inst] = bars
                self.store.keep(options, (day, inst), bars, len(bars))
        return out

    def aligned(self, day: date, instruments: Sequence[Instrument], ticks: list,
                nones: list | None = None) -> dict[Instrument, Series]:
        """Each instrument's day aligned to ``ticks`` (:func:`optbt.data.cache.align`), as the
        day cache would align :meth:`option_bars`' answer, remembered with the ticks it was made
        for: an earlier run's series is handed out only for an equal clock."""
        out: dict[Instrument, Series] = {}
        missing: list[Instrument] = []
        kept = self.store.aligned
        clock = tuple(ticks)  # a copy: what the series was made for, whatever becomes of the list
        for inst in instruments:
            hit = kept.get((day, inst))
            if hit is not None and hit[0] == clock:
                out[inst] = hit[1]
            else:
                missing.append(inst)
        if missing:
            bars = self.option_bars(day, missing)
            store = self.store
            for inst in missing:
                got = bars.get(inst, ())
                out[inst] = series = align(ticks, got, nones)
                # the series stands in for the bars (about half their memory): a run on this clock
                # needs no bars again, one on another clock reads them again; the budget then holds
                # as many days as with bars alone, or more
                if store.keep(kept, (day, inst), (clock, series), len(ticks) // 2) and \
                        store.options.get((day, inst)) is got:
                    store.drop(store.options, (day, inst), len(got))
        return out

    def _chain_bars(self, day: date, underlying: str | None, expiry: date, opt_type: str,
                    after: datetime | None, until: datetime) -> dict[float, list[Bar]]:
        """One expiry and type's bars in a window of the day (a strategy choosing strikes by
        delta reads these), remembered by the window: a sweep's runs ask the same ones."""
        return self._recall(self.store.windows, (day, underlying, expiry, opt_type, after, until),
                            lambda: self.source.chain_bars(day, underlying, expiry, opt_type, after, until),
                            lambda found: sum(map(len, found.values())))

    def ohlc_bars(self, day: date, name: str = "spot", underlying: str | None = None) -> list:
        """Whole bars of the spot or an extra series, remembered like the spot's closes."""
        return self._recall(self.store.spots, ("ohlc", day, name, underlying),
                            lambda: self.source.ohlc_bars(day, name, underlying), len)

    def close(self) -> None:
        closer = getattr(self.source, "close", None)
        if closer is not None:
            closer()
