"""Dataset configs: how a folder of parquet files maps onto optbt's option and spot bars.

Real datasets differ in paths, column names, option-type spellings, timezones, sessions and,
most dangerously, in what a bar's timestamp means. A ``dataset.toml`` says all of that once,
so that no code is written for any one dataset. Every field is documented in the README
("Dataset configs"); unknown keys are an error (a typo must not be silently ignored).

>>> cfg = DatasetConfig.model_validate({"options": {"path": "o.parquet"}, "spot": {"path": "u.parquet"}})
>>> cfg.bar_label, cfg.price, cfg.session.start
('end', 'close', '09:15')
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from optbt.data.underlying_rows import NO_SPOT
from optbt.data.utc_naive import offset_text
from optbt.model.errors import ConfigError, did_you_mean

_HHMM = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")
# tz database names that are a fixed offset all year, not a place: "EST" is UTC-05:00 in July
# too, while New York is then at UTC-04:00, so every summer day would be read an hour off
_FIXED_OFFSET_ZONE = re.compile(r"^(EST|MST|HST|Etc/GMT[+-]\d+)$", re.IGNORECASE)


def parse_hhmm(value: str) -> time:
    """A time of day from "HH:MM" or "HH:MM:SS".

    >>> parse_hhmm("09:20")
    datetime.time(9, 20)
    """
    text = str(value).strip()
    if not _HHMM.match(text):
        raise ValueError(f"expected a time of day like 09:20, got {value!r}")
    parts = [int(p) for p in text.split(":")]
    return time(*parts)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _TimeColumns(_Strict):
    """``date`` + ``time`` columns given without ``ts``: the time is theirs (the default
    ``ts = "ts"`` would otherwise be looked for and not found); ``ts`` with them is ambiguous."""

    @model_validator(mode="before")
    @classmethod
    def _date_and_time(cls, data):
        if isinstance(data, dict) and data.get("date") and data.get("time"):
            if data.get("ts"):
                raise ValueError("give the time as ts, or as date and time, not both (ts = \"\" to use date and time)")
            data = {**data, "ts": None}
        return data


class OptionColumns(_TimeColumns):
    """Canonical name = the column in your files. Only ``ts`` (or ``date`` + ``time``),
    ``expiry``, ``strike``, ``opt_type`` and a price (``close``, or ``bid`` + ``ask``) are
    required; ``underlying`` may be left out when the files hold one underlying."""

    ts: str | None = "ts"
    date: str | None = None
    time: str | None = None
    underlying: str | None = "underlying"
    expiry: str = "expiry"
    strike: str = "strike"
    opt_type: str = "opt_type"
    open: str | None = "open"
    high: str | None = "high"
    low: str | None = "low"
    close: str | None = "close"
    volume: str | None = "volume"
    oi: str | None = "oi"
    bid: str | None = None
    ask: str | None = None


class SpotColumns(_TimeColumns):
    ts: str | None = "ts"
    date: str | None = None
    time: str | None = None
    underlying: str | None = "underlying"
    open: str | None = "open"
    high: str | None = "high"
    low: str | None = "low"
    close: str = "close"
    volume: str | None = "volume"  # optional like open/high/low: a column the files lack is unknown


class SeriesColumns(SpotColumns):
    """An extra series' columns: as the spot's, but its files usually hold one series (no
    underlying column)."""

    underlying: str | None = None


class OptionFiles(_Strict):
    path: str | list[str] = Field(description="file, glob or list of them; relative to the config")
    hive_partitioning: bool = False
    day_partition: str | None = Field(
        default=None, description="hive key holding the trading day, e.g. 'day' (enables pruning)")
    columns: OptionColumns = OptionColumns()
    call_values: list[str] = ["CE", "C", "CALL"]
    put_values: list[str] = ["PE", "P", "PUT"]
    expiry_format: Literal["auto", "date", "yyyymmdd"] = "auto"
    bar_label: Literal["end", "start"] | None = None  # this table's own; default: the dataset's

    @field_validator("call_values", "put_values")
    @classmethod
    def _trimmed(cls, values: list[str]) -> list[str]:
        """As the files' option types are read: padding is no part of a value (" CE" is CE)."""
        return [v.strip() for v in values]


class SpotFiles(_Strict):
    path: str | list[str]
    hive_partitioning: bool = False
    day_partition: str | None = None
    columns: SpotColumns = SpotColumns()
    bar_label: Literal["end", "start"] | None = None  # this table's own; default: the dataset's


class SeriesFiles(_Strict):
    """``[series.NAME]``: another series read beside the spot (VIX, India VIX, a future, ...).

    Read lazily a day at a time like the spot, within the same session, under the same
    known-at rule; ``bar_label`` defaults to the dataset's."""

    path: str | list[str]
    hive_partitioning: bool = False
    day_partition: str | None = None
    columns: SeriesColumns = SeriesColumns()
    bar_label: Literal["end", "start"] | None = None
    underlying: str | None = Field(default=None, description="rows kept when columns.underlying is set")


class Session(_Strict):
    """Regular trading hours in exchange time. Bars known outside (start, end] are ignored."""

    start: str = "09:15"
    end: str = "15:30"
    early_close: dict[str, str] = Field(default_factory=dict, description="'YYYY-MM-DD' = 'HH:MM'")
    end_from_data: bool = False

    @field_validator("start", "end")
    @classmethod
    def _time(cls, v: str) -> str:
        parse_hhmm(v)
        return v

    @field_validator("early_close")
    @classmethod
    def _early(cls, v: dict[str, str]) -> dict[str, str]:
        for day, hhmm in v.items():
            date.fromisoformat(day)
            parse_hhmm(hhmm)
        return v

    def bounds(self, day: date) -> tuple[datetime, datetime]:
        """(open, close) of ``day`` as naive exchange-time datetimes."""
        end = self.early_close.get(day.isoformat(), self.end)
        return datetime.combine(day, parse_hhmm(self.start)), datetime.combine(day, parse_hhmm(end))


class Costs(_Strict):
    """Zero unless set: slippage moves every fill against you; commission is per lot per order
    (and/or a flat amount per order); ``preset`` adds a broker's charges as a contract note
    lists them (brokerage, STT, exchange, SEBI, stamp, GST, fees)."""

    # never negative (a negative cost is a profit), never NaN or infinite (every PnL would be)
    slippage: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    slippage_unit: Literal["points", "percent"] = "points"
    commission_per_lot: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    commission_per_order: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    # a broker's charges per executed order (optbt.engine.charges): "nse", "us" or a .toml path
    preset: str | None = None

    @model_validator(mode="after")
    def _percent_below_100(self) -> "Costs":
        if self.slippage_unit == "percent" and self.slippage >= 100:
            raise ValueError(f"slippage of {self.slippage:g} percent would fill sells at 0 or below; give a percent "
                             "under 100 (or points, without percent)")
        return self


class GreeksSetup(_Strict):
    """How IV and greeks are read off option prices (``[greeks]``; see docs/data.md).

    ``rate`` and ``dividend_yield`` are annual, continuously compounded (0.065 = 6.5 %);
    ``model = "black76"`` when the dataset's spot series is the future/forward the options
    are written on (index futures options); ``expiry_close`` is the time of day an expiry
    stops trading, by default the session's end on the expiry day (early closes included).
    """

    rate: float = Field(default=0.0, ge=-1.0, le=1.0)
    dividend_yield: float = Field(default=0.0, ge=-1.0, le=1.0)
    model: Literal["black_scholes", "black76"] = "black_scholes"
    expiry_close: str | None = None

    @field_validator("expiry_close")
    @classmethod
    def _close(cls, v: str | None) -> str | None:
        if v is not None:
            parse_hhmm(v)
        return v


class DatasetConfig(_Strict):
    name: str = "dataset"
    synthetic: bool = False
    underlying: str = Field(default="NIFTY", description="the underlying a run trades (padding ignored)")
    timezone: str | None = Field(
        default=None, description="exchange timezone; tz-aware timestamps are converted to it")
    strike_step: float = Field(default=50.0, gt=0, allow_inf_nan=False)  # a negative step puts ATM's wings inside
    # a negative lot turns every PnL's sign; one above a billion units overflows the metrics
    lot_size: float = Field(default=1.0, gt=0, le=1e9, allow_inf_nan=False)
    # NSE moved NIFTY's lot from 50 to 25 to 75 within a year: at one size, a run over years scaled
    # every trade of the other periods wrong. Trade day (from which on) -> the lot size
    lot_size_from: dict[date, float] = Field(default_factory=dict, description="lot size changes by trade day")
    bar_label: Literal["end", "start"] = "end"
    bar_minutes: int = Field(default=1, ge=1)
    price: Literal["close", "last", "mid"] = "close"
    entry_max_lag: int = Field(default=0, ge=0, description="ticks of staleness allowed at entry")
    clock: Literal["session", "spot"] = "session"
    options: OptionFiles
    spot: SpotFiles
    session: Session = Session()
    costs: Costs = Costs()
    series: dict[str, SeriesFiles] = Field(default_factory=dict, description="extra series by name: [series.vix]")
    greeks: GreeksSetup = GreeksSetup()
    root: str | None = Field(default=None, description="folder relative paths resolve against")
    # the dataset.toml it was read from (load_dataset), for messages that point at a line of it;
    # private: no part of what a run or a sweep's fingerprint reads
    _file: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _prices_exist(self) -> "DatasetConfig":
        cols = self.options.columns
        if self.price == "mid" and not (cols.bid and cols.ask):
            raise ValueError("price = 'mid' needs options.columns.bid and options.columns.ask")
        if bool(cols.bid) != bool(cols.ask):  # one side alone is never read: fills would ignore it
            given, missing = ("bid", "ask") if cols.bid else ("ask", "bid")
            raise ValueError(f"options.columns.{given} is set but {missing} is not: quotes are read as a pair "
                             f"(buys fill at the ask, sells at the bid). Set {missing} = \"<your column>\" too, "
                             f"or remove {given} to fill at the price")
        if self.price in ("close", "last") and not cols.close:
            raise ValueError(f"price = '{self.price}' needs options.columns.close")
        for tbl in (cols, self.spot.columns):
            if not tbl.ts and not (tbl.date and tbl.time):
                raise ValueError("give columns.ts, or columns.date and columns.time")
        return self

    @field_validator("lot_size_from")
    @classmethod
    def _lot_sizes(cls, v: dict[date, float]) -> dict[date, float]:
        for day, size in v.items():
            if not 0 < size <= 1e9:  # NaN fails too
                raise ValueError(f"the lot size from {day} is {size!r}: give a number above 0 and at most 1e9")
        return dict(sorted(v.items()))

    def lot_size_on(self, day: date) -> float:
        """The lot size of trades entered on ``day``: the last of ``lot_size_from`` on or before
        it, else ``lot_size``.

        >>> cfg = DatasetConfig(lot_size=50, lot_size_from={date(2024, 4, 26): 25},
        ...                     options={"path": "o.parquet"}, spot={"path": "s.parquet"})
        >>> cfg.lot_size_on(date(2024, 4, 25)), cfg.lot_size_on(date(2024, 4, 26))
        (50.0, 25.0)
        """
        size = self.lot_size
        for since, value in self.lot_size_from.items():  # sorted by day; a handful of changes
            if since > day:
                break
            size = value
        return size

    @field_validator("underlying")
    @classmethod
    def _underlying_trimmed(cls, v: str) -> str:
        return v.strip()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        """A zone name the tz database knows (checked here, not at the first query)."""
        if v is None:
            return v
        import zoneinfo
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            known = zoneinfo.available_timezones()
            if known:  # no tz database on this machine: DuckDB (ICU) judges it at the first query
                raise ValueError(f"unknown time zone {v!r}{did_you_mean(v, sorted(known))}; give an "
                                 "Area/City name such as \"Asia/Kolkata\" or \"America/New_York\"") from None
            return v
        if v.lower() in ("localtime", "factory"):  # this machine's zone, or the tz database's placeholder
            raise ValueError(f"time zone {v!r} is not an exchange's: results would change with the machine "
                             "that runs them; give the exchange's Area/City name, such as \"Asia/Kolkata\" or "
                             "\"America/New_York\"")
        offset = zoneinfo.ZoneInfo(v).utcoffset(datetime(2024, 1, 1))
        if _FIXED_OFFSET_ZONE.match(v) and offset:
            raise ValueError(f"time zone {v!r} is a fixed offset (UTC{offset_text(offset)} all "
                             "year), not an exchange's local time: where clocks change in summer, tz-aware "
                             "timestamps would be read an hour off on every summer day; give the exchange's "
                             "Area/City name, such as \"America/New_York\" or \"America/Chicago\"")
        return v

    @field_validator("series")
    @classmethod
    def _series_names(cls, v: dict) -> dict:
        for name in v:
            if not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", name) or name in ("spot", "prev", "prev_day", "gap", "gap_pct"):
                raise ValueError(f"series name {name!r}: use letters, digits and underscores, starting with a letter, "
                                 "and not spot, prev, prev_day, gap or gap_pct (strategies read it by this name)")
        return v

    @property
    def bar_length(self) -> timedelta:
        return timedelta(minutes=self.bar_minutes)

    def label_of(self, files: "OptionFiles | SpotFiles | SeriesFiles") -> str:
        """The bar_label of one table: its own (``[spot] bar_label = "start"``), else the
        dataset's. Vendors differ: a spot labelled by bar start beside option bars labelled by
        their end is common, so each table may say its own.

        >>> cfg = DatasetConfig.model_validate({"bar_label": "start", "options": {"path": "o"},
        ...                                     "spot": {"path": "s", "bar_label": "end"}})
        >>> cfg.label_of(cfg.options), cfg.label_of(cfg.spot)
        ('start', 'end')
        """
        return files.bar_label or self.bar_label

    def shift_of(self, files: "OptionFiles | SpotFiles | SeriesFiles") -> timedelta:
        """How long after its timestamp a row of the table is known: one bar when it is labelled
        by its opening minute (``bar_label = "start"``), else none."""
        return self.bar_length if self.label_of(files) == "start" else timedelta(0)

    @property
    def has_quotes(self) -> bool:
        return bool(self.options.columns.bid and self.options.columns.ask)

    def resolve(self, pattern: str) -> str:
        """A path from the config, made absolute against ``root``."""
        p = Path(pattern).expanduser()
        if p.is_absolute() or self.root is None:
            return str(p)
        return str(Path(self.root) / p)

    def paths(self, files: "OptionFiles | SpotFiles | SeriesFiles") -> list[str]:
        raw = [files.path] if isinstance(files.path, str) else list(files.path)
        return [self.resolve(p) for p in raw]


def config_file(path: str | Path) -> Path:
    """The config file a dataset argument names: the file itself, or a folder's dataset.toml."""
    p = Path(path).expanduser()
    return p / "dataset.toml" if p.is_dir() else p


def load_dataset(path: str | Path, data_root: str | Path | None = None) -> DatasetConfig:
    """Read a dataset config: a ``dataset.toml`` file, or a folder that holds one.

    Relative paths inside resolve against ``data_root`` when given (``--data-root``), else
    against the config file's own folder.
    """
    p = config_file(path)
    if not p.exists():
        hint = " (a dataset folder must contain dataset.toml)" if p.name == "dataset.toml" else ""
        raise ConfigError(f"dataset config not found: {p}{hint}")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8-sig"))  # a BOM (Windows editors) is no error
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not a dataset config (not UTF-8 text); give the dataset.toml file or the"
                          " folder that holds it") from None
    except OSError as exc:
        what = "is a folder" if p.is_dir() else (exc.strerror or type(exc).__name__).lower()
        raise ConfigError(f"dataset config {p}: {what}; give a readable dataset.toml or the folder that holds it") from None
    if "root" in raw:  # it would be replaced below without a word
        raise ConfigError(f"{p}: root is not a dataset.toml key: relative paths resolve against the config's own"
                          " folder; to resolve them elsewhere give --data-root DIR (data_root= in Python)")
    if "options" in raw and "spot" not in raw:  # pydantic said only 'spot: Field required'
        raise ConfigError(f"{p}: {NO_SPOT}")
    root = Path(data_root).expanduser() if data_root else p.parent
    raw["root"] = str(root.resolve())
    try:
        cfg = DatasetConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{p}: invalid dataset config:\n{format_validation(exc)}") from None
    cfg._file = str(p)
    return cfg


def format_validation(exc: ValidationError) -> str:
    """Pydantic errors as 'field.path: message' lines a user can act on."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; every key is listed in docs/data.md)"
        elif err["type"] == "value_error":  # our own checks' words, without pydantic's prefix
            msg = msg.removeprefix("Value error, ")
        lines.append(f"  {loc}: {msg}")
    return "\n".join(lines)
