"""Test kit: an in-memory DataSource and compact day builders.

A test states only what matters: per instrument a list of closes, one per minute from
09:16 (None = no bar that minute). Everything else has a default.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from optbt.data.dataset import DatasetConfig
from optbt.data.source import Chain
from optbt.engine.strategy import Strategy
from optbt.model.instrument import Instrument

DAY = date(2024, 1, 2)          # a Tuesday
EXPIRY = date(2024, 1, 4)       # that week's Thursday
OPEN = "09:15"


def minute(day: date, k: int) -> datetime:
    """The k-th tick of the day (k = 0 -> 09:16, the first bar known after a 09:15 open)."""
    return datetime.combine(day, datetime.strptime(OPEN, "%H:%M").time()) + timedelta(minutes=k + 1)


def config(n_ticks: int = 10, lot_size: float = 1.0, **extra) -> DatasetConfig:
    end = (datetime.strptime(OPEN, "%H:%M") + timedelta(minutes=n_ticks)).strftime("%H:%M")
    raw = {"name": "memory", "underlying": "NIFTY", "strike_step": 50, "lot_size": lot_size,
           "options": {"path": "-"}, "spot": {"path": "-"}, "session": {"start": OPEN, "end": end}}
    raw.update(extra)
    return DatasetConfig.model_validate(raw)


def inst(strike: float, opt_type: str, expiry: date = EXPIRY) -> Instrument:
    return Instrument("NIFTY", expiry, float(strike), opt_type)


class MemorySource:
    """A DataSource over dicts, recording every option_bars call (for the cache tests)."""

    def __init__(self, days: dict, cfg: DatasetConfig | None = None, n_ticks: int = 10):
        self.config = cfg or config(n_ticks)
        self.days = days
        self.queries = 0
        self.calls: list[tuple[date, tuple[Instrument, ...]]] = []
        self.windows: list[tuple] = []

    def trading_days(self, start=None, end=None):
        return [d for d in sorted(self.days) if (start is None or d >= start) and (end is None or d <= end)]

    def session(self, day, underlying=None):
        return self.config.session.bounds(day)

    def chain(self, day, underlying=None):
        self.queries += 1
        opts = self.days[day]["options"]
        strikes: dict[date, set] = {}
        for i in opts:
            strikes.setdefault(i.expiry, set()).add(i.strike)
        return Chain(day, tuple(sorted(strikes)), {e: tuple(sorted(v)) for e, v in strikes.items()})

    def spot_bars(self, day, underlying=None):
        self.queries += 1
        return [(minute(day, k), p, None, None) for k, p in enumerate(self.days[day]["spot"]) if p is not None]

    def ohlc_bars(self, day, name="spot", underlying=None):
        """Whole bars: ``days[day]["bars"][name]`` holds (open, high, low, close, volume) or a close
        (or None) per minute; without it the spot's closes, the rest unknown."""
        self.queries += 1
        table = self.days[day].get("bars", {}).get(name)
        if table is None:
            if name != "spot":
                if name not in self.config.series:
                    from optbt.data.bars import unknown_series
                    raise unknown_series(name, self.config.series)
                return []
            table = self.days[day]["spot"]
        out = []
        for k, b in enumerate(table):
            if b is None:
                continue
            b = b if isinstance(b, tuple) else (None, None, None, float(b), None)
            out.append((minute(day, k), *b))
        return out

    def option_bars(self, day, instruments):
        self.queries += 1
        self.calls.append((day, tuple(instruments)))
        return {i: self._bars(day, i) for i in instruments}

    def _bars(self, day, i):
        series = self.days[day]["options"].get(i, [])
        bars = []
        for k, v in enumerate(series):
            if v is None:
                continue
            if isinstance(v, tuple):  # (price, bid, ask)
                bars.append((minute(day, k), v[0], v[1], v[2]))
            else:
                bars.append((minute(day, k), float(v), None, None))
        return bars

    def chain_bars(self, day, underlying, expiry, opt_type, after, until):
        """Strike -> bars known in (after, until] of every option of one expiry and type (the
        optional DataSource question; recorded in ``windows``)."""
        self.queries += 1
        self.windows.append((day, expiry, opt_type, after, until))
        return {i.strike: [b for b in self._bars(day, i) if (after is None or b[0] > after) and b[0] <= until]
                for i in self.days[day]["options"] if i.expiry == expiry and i.opt_type == opt_type}


def day_data(spot: Sequence[float | None], options: dict) -> dict:
    return {"spot": list(spot), "options": dict(options)}


def straddle_day(ce: Sequence, pe: Sequence, spot: float = 21010.0, strike: float = 21000.0,
                 extra: dict | None = None) -> dict:
    """One day with an ATM call and put (ATM = ``strike`` since spot rounds to it)."""
    n = max(len(ce), len(pe))
    options = {inst(strike, "CE"): list(ce), inst(strike, "PE"): list(pe)}
    options.update(extra or {})
    return day_data([spot] * n, options)


def write_parquet(root, days: dict, n_ticks: int = 10, lot_size: float = 1.0) -> "Path":
    """The same in-memory days as a flat parquet dataset with a dataset.toml (DuckDB path)."""
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    spot_rows, opt_rows = [], []
    for day, data in sorted(days.items()):
        for k, p in enumerate(data["spot"]):
            if p is not None:
                spot_rows.append({"ts": minute(day, k), "underlying": "NIFTY", "close": float(p)})
        for i, series in sorted(data["options"].items()):
            for k, v in enumerate(series):
                if v is None:
                    continue
                row = {"ts": minute(day, k), "underlying": "NIFTY", "expiry": i.expiry, "strike": i.strike,
                       "opt_type": i.opt_type, "close": float(v[0] if isinstance(v, tuple) else v)}
                opt_rows.append(row)
    pq.write_table(pa.Table.from_pylist(spot_rows), root / "spot.parquet")
    pq.write_table(pa.Table.from_pylist(opt_rows), root / "options.parquet")
    end = (datetime.strptime(OPEN, "%H:%M") + timedelta(minutes=n_ticks)).strftime("%H:%M")
    (root / "dataset.toml").write_text(
        f'name = "hand-made"\nunderlying = "NIFTY"\nstrike_step = 50\nlot_size = {lot_size}\n'
        f'[options]\npath = "options.parquet"\n[spot]\npath = "spot.parquet"\n'
        f'[session]\nstart = "{OPEN}"\nend = "{end}"\n')
    return root


class At0920(Strategy):
    """Sell the ATM call at 09:20, buy it back at 09:25 (the time-zone probe: a price that says its
    minute shows any shift)."""

    def entry(self, ctx):
        if ctx.time >= "09:20":
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL")})

    def exit_check(self, ctx):
        return ctx.time >= "09:25"


class SellAtmStraddle(Strategy):
    """Sell the ATM straddle from 09:17 on, out at 09:20 (the usual probe in data tests)."""

    def entry(self, ctx):
        if ctx.time >= "09:17":
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL"), "pe": self.add(ctx.atm, "PE", "SELL")})

    def exit_check(self, ctx):
        return ctx.time >= "09:20"


class DayCacheOnly:
    """A source without ``chain_bars``: strike by delta (or premium) then reads the day cache,
    every strike's whole day, as before the live chain (the reference the live chain must equal)."""

    def __init__(self, source):
        self.source = source
        self.config = source.config

    def __getattr__(self, name):
        if name == "chain_bars":
            raise AttributeError(name)
        return getattr(self.source, name)


FLAT_TABLES = '[options]\npath = "options/*.parquet"\n[spot]\npath = "spot/*.parquet"\n'
"""The [options] and [spot] tables of a copy whose files sit flat in options/ and spot/."""


def config_head(src: Path) -> str:
    """A dataset's config without its [options]/[spot] tables (name, zone, steps, session and
    any [series.*] kept), for a copy of its prices in another layout."""
    keep, skipping = [], False
    for line in (src / "dataset.toml").read_text().splitlines():
        if line.startswith("["):
            skipping = line.split("]")[0].split(".")[0] in ("[options", "[spot")
        if not skipping:
            keep.append(line)
    return "\n".join(keep) + "\n"
