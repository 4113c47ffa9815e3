"""The DataSource protocol: the only seam between the engine and stored data.

The engine asks four questions, and only these: which days trade, what the chain lists on
a day (known in advance in reality), the spot bars of a day, and the full-day bars of a
batch of option instruments. Every bar comes back as ``(known_at, price, bid, ask)`` where
``known_at`` is the moment the price existed (start-labelled bars already shifted), and
``price`` is None for a bar that cannot be used (empty or crossed quote, zero price).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from optbt.data.dataset import DatasetConfig
from optbt.model.instrument import Instrument

Bar = tuple[datetime, float | None, float | None, float | None]
"""(known_at, price, bid, ask). bid/ask are None when the data has no quotes."""


@dataclass(frozen=True, slots=True)
class Chain:
    """What is listed on a day: expiries (sorted) and each expiry's strikes (sorted)."""

    day: date
    expiries: tuple[date, ...]
    strikes: dict[date, tuple[float, ...]] = field(default_factory=dict)

    def strikes_for(self, expiry: date) -> tuple[float, ...]:
        return self.strikes.get(expiry, ())


@runtime_checkable
class DataSource(Protocol):
    config: DatasetConfig
    queries: int

    def trading_days(self, start: date | None = None, end: date | None = None) -> list[date]:
        """Days that have spot bars, in order, within [start, end]."""
        ...

    def session(self, day: date) -> tuple[datetime, datetime]:
        """(open, close) of the day's session; bars known in (open, close] are used."""
        ...

    def chain(self, day: date, underlying: str) -> Chain:
        ...

    def spot_bars(self, day: date, underlying: str) -> list[Bar]:
        ...

    def option_bars(self, day: date, instruments: Sequence[Instrument]) -> dict[Instrument, list[Bar]]:
        """Full-day bars of each instrument in one query; instruments without data map to []."""
        ...


def unique(items: Iterable) -> list:
    """Items in first-seen order without repeats."""
    return list(dict.fromkeys(items))
