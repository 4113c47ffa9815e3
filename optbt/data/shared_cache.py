"""The shared day cache: what one sweep worker read, written once to disk for every worker.

With the memo on, a sweep worker's first run reads everything from parquet and its later
runs read nothing; on two workers each pays that cold first run, so the pool gained little
over one process. Here the cold reading is split instead: before the runs, each worker takes
a chunk of the days, runs the sweep's first parameter set over it through a
:class:`Recorder` (a *scout*: its result is thrown away) and writes what it read — each day's
session, chain, spot bars and the full-day bars of every option it touched — into one chunk
file. The runs then read through a :class:`SharedCacheSource`, which answers from those
files and asks the wrapped source only for what they lack. A scout starts its chunk with a
fresh strategy, so it may touch other instruments than a real run would on some days; that
only costs speed (the real run reads them), never correctness: the cache holds what the
source answered, for exactly the questions asked, and every real run is still one process
going through all its days in order.

A file holds a chunk's days only and is handed out one day at a time, for the day asked: no
later day reaches a strategy early. Files are written to a temporary name and renamed, so a
reader sees a whole file or none (the first writer of a chunk wins; another writer's copy
of the same chunk is dropped). The folder is named by the caller after the data's
fingerprint (:mod:`optbt.sweeps.fingerprint`: the config and every data file's path, size and
modification time), so changed data is never answered from an old cache.

The format is :mod:`marshal` of plain numbers, strings and tuples (times once per chunk,
bars as indices into them): loading it runs no code, unlike a pickle, and needs neither
pyarrow nor NumPy in the worker. A recording holds at most ``budget_mb`` (estimated like the
memo's), then stops adding option bars; a chunk that holds tz-aware times is not written.
"""

from __future__ import annotations

import marshal
import os
import tempfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from optbt.data.memo import BAR_BYTES
from optbt.data.source import Bar, Chain, DataSource
from optbt.model.instrument import Instrument

FORMAT = 2  # 2: a chain carries the contracts it left out
SUFFIX = ".days"


class _Passthrough:
    """What both wrappers below hand straight to the source they wrap, never recorded: the
    calendars, and where that source has them the whole OHLC bars of the spot and the extra
    series (optbt.engine.market reads them for spot.high, ranges, indicators, VIX ...) and a
    chain's bars in a window of ticks (optbt.engine.livechain, for strikes chosen by delta)."""

    def __init__(self, source: DataSource):
        self.source = source
        self.config = source.config
        ohlc = getattr(source, "ohlc_bars", None)
        if ohlc is not None:  # optional in the DataSource protocol: present only when the source has it
            self.ohlc_bars = ohlc
        window = getattr(source, "chain_bars", None)
        if window is not None:  # optional too: a chain's bars in a window of ticks (strike by delta)
            self.chain_bars = window

    def trading_days(self, start: date | None = None, end: date | None = None) -> list[date]:
        return self.source.trading_days(start, end)

    def option_days(self, start: date | None = None, end: date | None = None) -> list[date]:
        inner = getattr(self.source, "option_days", None)
        return inner(start, end) if inner is not None else []

    def underlyings(self) -> list[str]:
        inner = getattr(self.source, "underlyings", None)
        return inner() if inner is not None else []

    def without_underlying(self) -> list[str]:
        inner = getattr(self.source, "without_underlying", None)
        return inner() if inner is not None else []


class Recorder(_Passthrough):
    """Wraps a DataSource; same answers, and remembers those for days in ``[first, last]``."""

    def __init__(self, source: DataSource, first: date, last: date, budget_mb: float):
        super().__init__(source)
        self.first, self.last = first, last
        self.budget = int(budget_mb * 1024 * 1024)
        self.used = 0
        self.sessions: dict[tuple, tuple[datetime, datetime]] = {}
        self.chains: dict[tuple, Chain] = {}
        self.spots: dict[tuple, list[Bar]] = {}
        self.options: dict[date, dict[Instrument, list[Bar]]] = {}

    @property
    def queries(self) -> int:
        return self.source.queries

    def _mine(self, day: date) -> bool:
        return self.first <= day <= self.last

    def session(self, day: date, underlying: str | None = None) -> tuple[datetime, datetime]:
        out = self.source.session(day, underlying)
        if self._mine(day):
            self.sessions[(day, underlying)] = out
        return out

    def chain(self, day: date, underlying: str | None = None) -> Chain:
        out = self.source.chain(day, underlying)
        if self._mine(day):
            self.chains[(day, underlying)] = out
        return out

    def spot_bars(self, day: date, underlying: str | None = None) -> list[Bar]:
        out = self.source.spot_bars(day, underlying)
        if self._mine(day) and self._fits(len(out)):
            self.spots[(day, underlying)] = out
        return out

    def option_bars(self, day: date, instruments: Sequence[Instrument]) -> dict[Instrument, list[Bar]]:
        out = self.source.option_bars(day, instruments)
        if self._mine(day):
            kept = self.options.setdefault(day, {})
            for inst in instruments:
                bars = out.get(inst, [])
                if inst not in kept and self._fits(len(bars)):
                    kept[inst] = bars
        return out

    def _fits(self, n_bars: int) -> bool:
        size = n_bars * BAR_BYTES + 200
        if self.used + size > self.budget:
            return False
        self.used += size
        return True

    def write(self, folder: str | Path) -> Path | None:
        """Write what was recorded as the chunk file of ``[first, last]``; None if not written.

        Atomic: a temporary file renamed into place. An existing file of the chunk is kept
        (first writer wins). Nothing is written when a time carries a time zone.
        """
        folder = Path(folder)
        target = folder / chunk_name(self.first, self.last)
        if target.exists():
            return target
        data = _encode(self)
        if data is None:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".writing-", suffix=SUFFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            if target.exists():  # another worker finished the same chunk first
                os.unlink(tmp)
            else:
                os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return target


def chunk_name(first: date, last: date) -> str:
    return f"{first.isoformat()}_{last.isoformat()}{SUFFIX}"


def chunks_in(folder: str | Path) -> dict[tuple[date, date], Path]:
    """The chunk files in ``folder``: (first, last) -> path (unreadable names are ignored)."""
    out: dict[tuple[date, date], Path] = {}
    try:
        names = os.listdir(folder)
    except OSError:
        return out
    for name in names:
        if name.startswith(".") or not name.endswith(SUFFIX):
            continue
        first, _, last = name[: -len(SUFFIX)].partition("_")
        try:
            out[(date.fromisoformat(first), date.fromisoformat(last))] = Path(folder) / name
        except ValueError:
            continue
    return out


# -- the file format ---------------------------------------------------------------------------

def _encode(rec: Recorder) -> bytes | None:
    times: dict[datetime, int] = {}

    def t(value: datetime) -> int:
        i = times.get(value)
        if i is None:
            i = times[value] = len(times)
        return i

    def bars(series: list[Bar]) -> list:
        return [(t(b[0]), b[1], b[2], b[3]) for b in series]

    def inst(i: Instrument) -> tuple:
        return (i.underlying, i.expiry.toordinal(), i.strike, i.opt_type)

    payload: dict[str, Any] = {
        "format": FORMAT, "first": rec.first.toordinal(), "last": rec.last.toordinal(),
        "sessions": [(d.toordinal(), u, t(o), t(c)) for (d, u), (o, c) in rec.sessions.items()],
        "chains": [(d.toordinal(), u, [(e.toordinal(), tuple(ch.strikes_for(e))) for e in ch.expiries],
                    ch.left_out) for (d, u), ch in rec.chains.items()],
        "spots": [(d.toordinal(), u, bars(v)) for (d, u), v in rec.spots.items()],
        "options": [(d.toordinal(), [(inst(i), bars(v)) for i, v in by_inst.items()])
                    for d, by_inst in rec.options.items()],
    }
    if any(x.tzinfo is not None for x in times):
        return None
    payload["times"] = [(x.year, x.month, x.day, x.hour, x.minute, x.second, x.microsecond) for x in times]
    return marshal.dumps(payload)


class Chunk:
    """One chunk file, decoded: answers keyed like the DataSource's questions."""

    __slots__ = ("first", "last", "sessions", "chains", "spots", "options")

    def __init__(self, data: bytes):
        payload = marshal.loads(data)
        if payload.get("format") != FORMAT:
            raise ValueError("another format")
        times = [datetime(*x) for x in payload["times"]]
        day = date.fromordinal
        self.first, self.last = day(payload["first"]), day(payload["last"])
        self.sessions = {(day(d), u): (times[o], times[c]) for d, u, o, c in payload["sessions"]}
        self.chains = {}
        for d, u, listing, left_out in payload["chains"]:
            expiries = tuple(day(e) for e, _ in listing)
            self.chains[(day(d), u)] = Chain(day(d), expiries, {day(e): ks for e, ks in listing},
                                             tuple(tuple(x) for x in left_out))
        self.spots = {(day(d), u): [(times[i], p, b, a) for i, p, b, a in v] for d, u, v in payload["spots"]}
        self.options: dict[date, dict[Instrument, list[Bar]]] = {}
        for d, series in payload["options"]:
            self.options[day(d)] = {Instrument(u, day(e), k, o): [(times[i], p, b, a) for i, p, b, a in v]
                                    for (u, e, k, o), v in series}


class SharedCacheSource(_Passthrough):
    """Wraps a DataSource; same answers, read from the chunk files of ``folder`` where they hold them.

    Days are asked in order, so one chunk is held in memory at a time (memory stays flat; a
    MemoSource above keeps what it has room for). A file that cannot be read is passed over:
    the wrapped source answers instead.
    """

    def __init__(self, source: DataSource, folder: str | Path):
        super().__init__(source)
        self.folder = Path(folder)
        self.hits = 0
        self._files: dict[tuple[date, date], Path] = {}
        self._chunk: Chunk | None = None
        self._bad: set[Path] = set()
        self._looked: date | None = None

    @property
    def queries(self) -> int:
        return self.source.queries

    def _for(self, day: date) -> Chunk | None:
        chunk = self._chunk
        if chunk is not None and chunk.first <= day <= chunk.last:
            return chunk
        path = self._path(day)
        if path is None:
            return None
        try:
            self._chunk = Chunk(path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError, KeyError):
            self._bad.add(path)
            return None
        return self._chunk

    def _path(self, day: date) -> Path | None:
        for (first, last), path in self._files.items():
            if first <= day <= last and path not in self._bad:
                return path
        if self._looked != day:  # a chunk written since the folder was last listed
            self._looked = day
            self._files = chunks_in(self.folder)
            return self._path(day)
        return None

    def _lookup(self, table: str, day: date, key: tuple) -> Any:
        chunk = self._for(day)
        if chunk is None:
            return None
        hit = getattr(chunk, table).get(key)
        if hit is not None:
            self.hits += 1
        return hit

    def session(self, day: date, underlying: str | None = None) -> tuple[datetime, datetime]:
        hit = self._lookup("sessions", day, (day, underlying))
        return hit if hit is not None else self.source.session(day, underlying)

    def chain(self, day: date, underlying: str | None = None) -> Chain:
        hit = self._lookup("chains", day, (day, underlying))
        return hit if hit is not None else self.source.chain(day, underlying)

    def spot_bars(self, day: date, underlying: str | None = None) -> list[Bar]:
        hit = self._lookup("spots", day, (day, underlying))
        return hit if hit is not None else self.source.spot_bars(day, underlying)

    def option_bars(self, day: date, instruments: Sequence[Instrument]) -> dict[Instrument, list[Bar]]:
        chunk = self._for(day)
        held = chunk.options.get(day, {}) if chunk is not None else {}
        out: dict[Instrument, list[Bar]] = {}
        missing = []
        for inst in instruments:
            bars = held.get(inst)
            if bars is None:
                missing.append(inst)
            else:
                out[inst] = bars
        if len(missing) < len(instruments):
            self.hits += 1
        if missing:
            fetched = self.source.option_bars(day, missing)
            for inst in missing:
                out[inst] = fetched.get(inst, [])
        return out

    def close(self) -> None:
        closer = getattr(self.source, "close", None)
        if closer is not None:
            closer()
