"""The DataSource protocol: the only seam between the engine and stored data.

The engine asks four questions, and only these: which days trade, what the chain lists on
a day (known in advance in reality), the spot bars of a day, and the full-day bars of a
batch of option instruments. Every bar comes back as ``(known_at, price, bid, ask)`` where
``known_at`` is the moment the price existed (start-labelled bars already shifted), and
``price`` is None for a bar that cannot be used (see :mod:`optbt.model.prices`); a source may
also leave such bars out, which means the same. Bars come back in time order, one per
``known_at``: identical duplicates are dropped, conflicting ones raise
:class:`ConflictingBarsError`.

Two more questions are optional (the engine asks them only where a source has them, and
does without otherwise): ``ohlc_bars`` (whole bars of the spot and extra series, for market
signals) and ``chain_bars(day, underlying, expiry, opt_type, after, until)`` (every strike of
one expiry and type: its bars known in (after, until], strike -> bars, for reading a chain at
a few ticks without fetching each strike's whole day; see optbt.engine.livechain).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from optbt.model.errors import DataError
from optbt.model.instrument import Instrument
from optbt.model.timestamps import clock_time, stamp

if TYPE_CHECKING:  # the config's pydantic models load only where a dataset is read
    from optbt.data.dataset import DatasetConfig

Bar = tuple[datetime, float | None, float | None, float | None]
"""(known_at, price, bid, ask). bid/ask are None when the data has no quotes."""


@dataclass(frozen=True, slots=True)
class Chain:
    """What is listed on a day: expiries (sorted) and each expiry's strikes (sorted)."""

    day: date
    expiries: tuple[date, ...]
    strikes: dict[date, tuple[float, ...]] = field(default_factory=dict)
    left_out: tuple[tuple[str, int], ...] = ()
    """Listed contracts of the day that are no contract, by reason (e.g. ``("bad_strike", 2)``):
    carried with the chain so a run says what it left out whichever wrapper answered."""

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


class MixedTimezonesError(DataError):
    """Some files of one table carry tz-aware timestamps and others naive ones.

    Refused rather than guessed: comparing the two silently shifts one kind by the zone's
    offset (a 09:20 entry priced at 14:50). ``aware`` and ``naive`` name one file of each kind.
    """

    def __init__(self, what: str, aware: str, naive: str):
        self.what, self.aware, self.naive = what, aware, naive
        super().__init__(
            f"{what}: files mix tz-aware and naive timestamps, e.g. {aware} (tz-aware) and {naive} (naive); "
            "write every file of a table the same way (see docs/data.md, 'Time zones')")


class FolderDisagreesError(DataError):
    """A file under a hive folder (``underlying=BANKNIFTY/``) stores that column itself with
    another value: which one a run reads depends on DuckDB (2.0 reads the folder's), so which
    rows a run trades, or on which day, would rest on that choice. ``file`` names the first such
    file, ``count`` how many files disagree."""

    def __init__(self, what: str, file: str, key: str, folder: str, value: str, count: int):
        self.file, self.count = file, count
        more = f" ({count - 1} more file{'s disagree' if count > 2 else ' disagrees'} with its folder)" if count > 1 else ""
        super().__init__(
            f"{what}: {file} sits in folder {key}={folder} but its own column '{key}' holds {value}{more}; with "
            f"hive_partitioning = true the folder's value is read and the file's is ignored, so its rows would "
            f"be taken for {key} {folder}. Move the file to the folder its rows belong to, or rewrite it without "
            f"the column '{key}' (the folder then says it), or set hive_partitioning = false to read the files' "
            "own column")


class WrongTypeError(DataError):
    """A column whose type cannot be read as what the config maps it to (text strikes, epoch
    integers as ``ts``, a number as a time of day); ``file`` names a file that holds it so."""

    def __init__(self, file: str, message: str):
        self.file = file
        super().__init__(message)


class UnreadableFileError(DataError):
    """A data file that cannot be opened or read as parquet; ``file`` names it."""

    def __init__(self, file: str, message: str):
        self.file = file
        super().__init__(message)


def _shown(prices: list) -> list[str]:
    """Each conflicting price as a trader reads it: ``163.725``, not the ``163.72500000000002``
    a mid's binary arithmetic leaves; exact digits only where the short form would show two
    different prices alike. A price given as text is shown as it is; a bar as its values.

    >>> _shown([109.15, 163.72500000000002]), _shown([1.0000000000001, 1.0]), _shown([(14.0, None)])
    (['109.15', '163.725'], ['1.0000000000001', '1.0'], ['(14.0, None)'])
    """
    def short(p) -> str:
        if isinstance(p, str):
            return p
        if isinstance(p, float):
            return repr(round(p, 8)) if math.isfinite(p) else repr(p)
        if isinstance(p, tuple):
            return "(" + ", ".join(short(x) for x in p) + ")"
        return repr(p)
    out = [short(p) for p in prices]
    if len(set(out)) < len({repr(p) for p in prices}):
        return [p if isinstance(p, str) else repr(p) for p in prices]
    return out


class ConflictingBarsError(DataError):
    """Two rows of one instrument (or the spot) at the same timestamp with different prices.

    Which one is true cannot be known, so a run refuses rather than picking one. ``day`` is
    the trading day it concerns, so that a caller may turn it into a skipped day. The time is
    shown exactly (a tick's seconds and fraction too: two ticks of one minute are no
    duplicate), and the fix asks for one row per minute only of minute bars (``minute_bars``:
    every row of the day on a whole minute); a price given as text is shown as it is (a quote's
    values, named).
    """

    def __init__(self, file: str, what: str, at: datetime, prices: list, day: date, minute_bars: bool = True):
        self.file, self.what, self.at, self.prices, self.day = file, what, at, prices, day
        shown = ", ".join(_shown(prices))
        per = "minute" if minute_bars else "timestamp"
        super().__init__(
            f"{file}: conflicting duplicate rows for {what} at {stamp(at)}: prices {shown}; "
            f"keep one row per instrument and {per} (run `optbt data check` to list them all)")


def start_labelled_ticks(what: str, at: datetime, minutes: int, own: bool) -> str:
    """Why a start-labelled table of ticks is refused and how to fix it (the run's error and
    data check's finding say the same): ``at``, a row's own time, not on a whole minute."""
    key = f"[{what}] bar_label" if own else "bar_label"
    fix = (f'set bar_label = "end" under [{what}] in dataset.toml' if own else
           f'set bar_label = "end" in dataset.toml (or under [{what}], for this table alone)')
    every = "1 minute" if minutes == 1 else f"{minutes} minutes"
    return (f'{what} rows are ticks or quotes, not bars: the row at {stamp(at)} is not on a whole minute, yet '
            f'{key} = "start" makes a run use every row {every} after its timestamp (this one at '
            f'{clock_time(at + timedelta(minutes=minutes))}). bar_label = "start" labels bars by their opening '
            f'minute; tick or quote rows are known at their own time: {fix}')


def wide_bars(what: str, spacing: int, a: datetime, b: datetime, minutes: int) -> str:
    """Why a start-labelled table of bars wider than ``bar_minutes`` is refused and how to fix it
    (the run's error and data check's finding say the same): ``a``, ``b``, two bars' own times."""
    every = "1 minute" if minutes == 1 else f"{minutes} minutes"
    return (f'{what} bars are {spacing} minutes apart (e.g. {stamp(a)} and {stamp(b)}), yet bar_minutes = '
            f'{minutes}: with bar_label = "start" a run uses each bar {every} after its timestamp, '
            f'{spacing - minutes} minutes before the bar closed. Fix the config: set bar_minutes = {spacing} '
            f'(the clock then ticks every {spacing} minutes), or label the bars by their end (timestamp + '
            f'{spacing} minutes) with bar_label = "end"')


class StartLabelledBarsError(DataError):
    """Start-labelled bars wider than ``bar_minutes`` (5-minute bars with the default of 1):
    each would be used ``bar_minutes`` after its opening minute, before it closed (a
    look-ahead on every fill). The dataset's error, not a day's: a run stops."""

    dataset_wide = True

    def __init__(self, file: str, what: str, spacing: int, a: datetime, b: datetime, minutes: int):
        self.file = file
        super().__init__(f"{file}: {wide_bars(what, spacing, a, b, minutes)}")


class StartLabelledTicksError(DataError):
    """Rows a run reads of a table labelled by bar start (``bar_label = "start"``) that are no
    bars: a row between the minutes is a tick or a quote, which the start label would make known
    a bar late, silently changing every fill. The dataset's error, not a day's: a run stops.
    ``file`` holds the row; ``at`` is its own time."""

    dataset_wide = True

    def __init__(self, file: str, what: str, at: datetime, minutes: int, own: bool):
        self.file, self.what, self.at = file, what, at
        super().__init__(f"{file}: {start_labelled_ticks(what, at, minutes, own)}")
