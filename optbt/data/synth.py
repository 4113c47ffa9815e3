"""A deterministic synthetic NIFTY-like dataset, written in the recommended layout.

Why synthetic: the engine must be testable and demonstrable on a fresh machine with no data.
What makes it realistic enough to catch mistakes: a GBM-with-jumps underlying (overnight gaps,
a volatility that changes day to day), Black-Scholes prices with a smile and skew, weekly
Thursday expiries moved to the previous trading day around holidays plus the next weekly and
the monthly, prices rounded to 0.05 and never below 0.05, and gaps in far strikes so stale
prices really occur. Same arguments, byte-identical files.

Layout::

    OUT/dataset.toml
    OUT/options/day=YYYY-MM-DD/part-0.parquet   sorted by (expiry, strike, opt_type, ts)
    OUT/spot/day=YYYY-MM-DD/part-0.parquet      sorted by ts
    OUT/vix/day=YYYY-MM-DD/part-0.parquet       a VIX-like series ([series.vix]), its own random stream
    OUT/.optbt-synth.json                       manifest: every file written, its size and sha256

Volume and open interest are never negative (SQL's ``%`` keeps the sign of a negative
strike index, so the modulo is taken twice). The manifest lets the embedded sample detect a
missing or damaged file, and lets ``generate`` replace exactly the files it wrote before and
nothing else: a folder it did not make is refused unless ``force``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from optbt.model.errors import ConfigError

BARS = 375                 # 09:16 ... 15:30, end-labelled one-minute bars
STEP = 50.0
RATE = 0.065
LOT = 50
_FIXED_HOLIDAYS = {(1, 26), (8, 15), (10, 2), (12, 25)}

# Abramowitz & Stegun 26.2.17 (|error| < 7.5e-8), in Horner form: DuckDB has no erf.
# Macro arguments are always plain columns below, so expansion does not repeat work.
_MACROS = """
CREATE OR REPLACE MACRO ncdf_tail(a) AS exp(-a * a / 2) * 0.3989422804014327 * (
    (1 / (1 + 0.2316419 * a)) * (0.319381530 + (1 / (1 + 0.2316419 * a)) * (-0.356563782
    + (1 / (1 + 0.2316419 * a)) * (1.781477937 + (1 / (1 + 0.2316419 * a)) * (-1.821255978
    + (1 / (1 + 0.2316419 * a)) * 1.330274429)))));
CREATE OR REPLACE MACRO ncdf(x) AS CASE WHEN x >= 0 THEN 1 - ncdf_tail(x) ELSE ncdf_tail(-x) END;
CREATE OR REPLACE MACRO tick(x) AS greatest(0.05, round(x * 20) / 20);
"""

# One row per (minute, instrument). Volatility: a smile and skew in moneyness per sqrt(time).
# Calls price with Black-Scholes at the bar's open/high/low/close spot; puts by parity.
_OPTIONS_SQL = """
WITH rows AS (
    SELECT b.m, b.ts, i.expiry, i.strike, i.opt_type, i.e_idx, i.k_idx, b.o, b.h, b.l, b.c,
           greatest(epoch(i.expiry_close - b.ts) / 31536000.0, 300 / 31536000.0) AS t
    FROM bars b CROSS JOIN insts i
), money AS (
    SELECT *, greatest(-3.0, least(3.0, ln(strike / c) / sqrt(t))) AS mny FROM rows
), vol AS (
    SELECT *, greatest(0.05, least(1.5, $atm_vol * (1 + 0.5 * mny * mny - 0.15 * mny))) AS v,
           exp(-$r * t) AS disc FROM money
), d AS (
    SELECT *, v * sqrt(t) AS vst,
           (ln(o / strike) + ($r + v * v / 2) * t) / (v * sqrt(t)) AS d_o,
           (ln(h / strike) + ($r + v * v / 2) * t) / (v * sqrt(t)) AS d_h,
           (ln(l / strike) + ($r + v * v / 2) * t) / (v * sqrt(t)) AS d_l,
           (ln(c / strike) + ($r + v * v / 2) * t) / (v * sqrt(t)) AS d_c
    FROM vol
), e AS (
    SELECT *, d_o - vst AS f_o, d_h - vst AS f_h, d_l - vst AS f_l, d_c - vst AS f_c FROM d
), calls AS (
    SELECT *,
           o * ncdf(d_o) - strike * disc * ncdf(f_o) AS c_o,
           h * ncdf(d_h) - strike * disc * ncdf(f_h) AS c_h,
           l * ncdf(d_l) - strike * disc * ncdf(f_l) AS c_l,
           c * ncdf(d_c) - strike * disc * ncdf(f_c) AS c_c,
           CAST((CAST(m AS HUGEINT) * 7919 + k_idx * 104729 + e_idx * 15485863
                 + (opt_type = 'CE')::INT * 32452843 + CAST($day_no AS HUGEINT) * 49979687 + $seed)
                * 2654435761 % 4294967296 AS DOUBLE) / 4294967296.0 AS u
    FROM e
)
SELECT ts, 'NIFTY' AS underlying, expiry, strike, opt_type,
       tick(CASE WHEN opt_type = 'CE' THEN c_o ELSE c_o - o + strike * disc END) AS open,
       tick(CASE WHEN opt_type = 'CE' THEN c_h ELSE c_l - l + strike * disc END) AS high,
       tick(CASE WHEN opt_type = 'CE' THEN c_l ELSE c_h - h + strike * disc END) AS low,
       tick(CASE WHEN opt_type = 'CE' THEN c_c ELSE c_c - c + strike * disc END) AS close,
       CAST(((m * 37 + k_idx * 11 + e_idx * 5) % 500 + 500) % 500 + 20 AS BIGINT) AS volume,
       CAST(1000 + (((k_idx * 131 + e_idx * 17 + m) % 900 + 900) % 900) * 10 AS BIGINT) AS oi
FROM calls
WHERE u >= greatest(0.0, (abs(k_idx) - 10) / 30.0 * 0.45)
ORDER BY expiry, strike, opt_type, ts
"""


def trading_calendar(start: date, end: date, seed: int) -> list[date]:
    """Weekdays without holidays: a few fixed ones plus about one seeded holiday a quarter."""
    rng = random.Random(f"holidays-{seed}")
    days, d = [], start
    while d <= end:
        if d.weekday() < 5 and (d.month, d.day) not in _FIXED_HOLIDAYS and rng.random() >= 1 / 60:
            days.append(d)
        d += timedelta(days=1)
    return days


def expiries_for(day: date, calendar: list[date]) -> list[date]:
    """Nearest weekly, next weekly and the monthly listed on ``day`` (Thursdays, moved to the
    previous trading day when Thursday is a holiday)."""
    trading = set(calendar)

    def settle(thursday: date) -> date:
        d = thursday
        while d not in trading and d > thursday - timedelta(days=7):
            d -= timedelta(days=1)
        return d

    thursday = day + timedelta(days=(3 - day.weekday()) % 7)
    weeklies = []
    t = thursday - timedelta(days=7)
    while len(weeklies) < 2:
        e = settle(t)
        if e >= day:
            weeklies.append(e)
        t += timedelta(days=7)
    monthly = None
    year, month = day.year, day.month
    while monthly is None:
        last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        e = settle(last - timedelta(days=(last.weekday() - 3) % 7))
        if e >= day:
            monthly = e
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(set(weeklies) | {monthly})


def _spot_path(days: list[date], seed: int) -> dict[date, tuple[float, list[tuple]]]:
    """Per day: (annual ATM vol, 375 bars of (minute, ts, open, high, low, close))."""
    rng = random.Random(f"spot-{seed}")
    price = 21000.0
    out = {}
    for day in days:
        vol = 0.14 * math.exp(rng.gauss(0, 0.25))
        gap = rng.gauss(0, 0.004) + (rng.gauss(0, 0.015) if rng.random() < 0.05 else 0.0)
        price *= math.exp(gap)
        sigma = vol / math.sqrt(252 * BARS)
        bars, t0 = [], datetime.combine(day, datetime.min.time()) + timedelta(hours=9, minutes=15)
        for m in range(1, BARS + 1):
            o = price
            r = rng.gauss(0, sigma) + (rng.gauss(0, 0.003) if rng.random() < 0.002 else 0.0)
            c = o * math.exp(r)
            h = max(o, c) * (1 + abs(rng.gauss(0, sigma / 2)))
            lo = min(o, c) * (1 - abs(rng.gauss(0, sigma / 2)))
            price = c
            bars.append((m, t0 + timedelta(minutes=m), round(o, 2), round(h, 2), round(lo, 2), round(c, 2)))
        out[day] = (vol, bars)
    return out


def _vix_path(days: list[date], seed: int) -> dict[date, list[tuple]]:
    """A VIX-like series per day: (ts, open, high, low, close) a minute, from its own random
    stream (``vix-SEED``), so that adding it changed no spot or option price. The level
    mean-reverts around 14 overnight and wanders within the day; some days open above 20."""
    rng = random.Random(f"vix-{seed}")
    level = 14.0
    out = {}
    for day in days:
        level = max(8.0, level + 0.35 * (14.0 - level) + rng.gauss(0, 2.2))
        bars, t0 = [], datetime.combine(day, datetime.min.time()) + timedelta(hours=9, minutes=15)
        for m in range(1, BARS + 1):
            o = level
            c = max(5.0, o * math.exp(rng.gauss(0, 0.004)))
            h = max(o, c) * (1 + abs(rng.gauss(0, 0.001)))
            lo = min(o, c) * (1 - abs(rng.gauss(0, 0.001)))
            level = c
            bars.append((t0 + timedelta(minutes=m), round(o, 2), round(h, 2), round(lo, 2), round(c, 2)))
        out[day] = bars
    return out


def _toml(days: int, seed: int, start: date) -> str:
    return f'''# Synthetic data made by `optbt data synth` (seed {seed}): NOT market data.
name = "synthetic NIFTY (seed {seed}, {days} days from {start.isoformat()})"
synthetic = true
underlying = "NIFTY"
timezone = "Asia/Kolkata"
strike_step = {STEP:g}
lot_size = {LOT}
bar_label = "end"
bar_minutes = 1
price = "close"

[options]
path = "options/*/*.parquet"
hive_partitioning = true
day_partition = "day"

[spot]
path = "spot/*/*.parquet"
hive_partitioning = true
day_partition = "day"

[series.vix]
path = "vix/*/*.parquet"
hive_partitioning = true
day_partition = "day"

[session]
start = "09:15"
end = "15:30"

[greeks]
rate = {RATE}                      # the rate the option prices were made with
'''


MANIFEST = ".optbt-synth.json"


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(folder: Path) -> dict | None:
    """The manifest of a folder ``generate`` wrote, or None (absent or unreadable)."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else None


def generate(out: str | Path, days: int = 20, seed: int = 7, start: date = date(2024, 1, 1), *,
             strikes_each_side: int = 40, force: bool = False,
             progress: Callable[[int, int, date], None] | None = None) -> Path:
    """Write ``days`` trading days of synthetic data into ``out``.

    The files are made in a temporary folder beside ``out`` and moved in at the end, so an
    interrupted run leaves ``out`` as it was. An empty or missing ``out`` is simply filled;
    a folder an earlier ``generate`` made (it has the manifest) has exactly its old files
    replaced; any other non-empty folder is refused (ConfigError) unless ``force``, and
    then only files of the same names are overwritten. Other files are never deleted.
    """
    if days < 1:
        raise ConfigError("--days must be at least 1")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file, not a folder")
    old = read_manifest(out) if out.exists() else None
    if out.exists() and old is None and any(out.iterdir()) and not force:
        raise ConfigError(f"--out {out} is not empty and was not made by `optbt data synth`; choose a new or "
                          "empty folder, or pass --force (same-named files are overwritten, nothing else is deleted)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-synth-", dir=out.parent))
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {(exc.strerror or type(exc).__name__).lower()} (in {out.parent});"
                          " choose another --out") from None
    try:
        _write(tmp / "data", days, seed, start, strikes_each_side, progress)
        if not out.exists() or (old is None and not any(out.iterdir())):
            if out.exists():
                out.rmdir()
            os.rename(tmp / "data", out)
        else:
            _move_in(tmp / "data", out, old)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _move_in(new: Path, out: Path, old: dict | None) -> None:
    """Replace the files of an earlier manifest (only those) by the new files."""
    fresh = read_manifest(new)["files"]
    for rel in (old or {}).get("files", {}):
        if rel not in fresh:
            target = out / rel
            if target.is_file():
                target.unlink()
            for parent in target.parents:  # prune the day folders it leaves empty, up to out
                if parent == out or not parent.is_dir() or any(parent.iterdir()):
                    break
                parent.rmdir()
    for rel in list(fresh) + [MANIFEST]:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(new / rel, target)


def _write(out: Path, days: int, seed: int, start: date, strikes_each_side: int,
           progress: Callable[[int, int, date], None] | None) -> None:
    """Write the dataset into a new folder ``out``, the manifest last."""
    import duckdb

    calendar = trading_calendar(start, start + timedelta(days=int(days * 1.6) + 120), seed)
    chosen = calendar[:days]
    (out / "options").mkdir(parents=True)
    (out / "spot").mkdir()
    (out / "vix").mkdir()
    import pyarrow as pa

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = true")  # ORDER BY decides the bytes, not threads
    con.execute(_MACROS)
    path = _spot_path(chosen, seed)
    vix = _vix_path(chosen, seed)
    for n, day in enumerate(chosen):
        vol, bars = path[day]
        center = round(bars[0][2] / STEP) * STEP
        insts = [(e, center + k * STEP, ot, ei, k, datetime.combine(e, datetime.min.time()) + timedelta(hours=15, minutes=30))
                 for ei, e in enumerate(expiries_for(day, calendar))
                 for k in range(-strikes_each_side, strikes_each_side + 1) for ot in ("CE", "PE")]
        con.register("bars", pa.Table.from_pylist(
            [dict(zip(("m", "ts", "o", "h", "l", "c"), b)) for b in bars]))
        con.register("insts", pa.Table.from_pylist(
            [dict(zip(("expiry", "strike", "opt_type", "e_idx", "k_idx", "expiry_close"), i)) for i in insts]))
        for side in ("options", "spot"):
            (out / side / f"day={day.isoformat()}").mkdir()
        opt_file = out / "options" / f"day={day.isoformat()}" / "part-0.parquet"
        con.execute(f"COPY ({_OPTIONS_SQL}) TO '{_sql_path(opt_file)}' "
                    "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 30000)",
                    {"atm_vol": vol, "day_no": day.toordinal(), "seed": seed, "r": RATE})
        spot_file = out / "spot" / f"day={day.isoformat()}" / "part-0.parquet"
        con.execute(f"COPY (SELECT ts, 'NIFTY' AS underlying, o AS open, h AS high, l AS low, c AS close, "
                    f"CAST(1000 + m * 3 AS BIGINT) AS volume FROM bars ORDER BY ts) TO '{_sql_path(spot_file)}' "
                    "(FORMAT parquet, COMPRESSION zstd)")
        vix_dir = out / "vix" / f"day={day.isoformat()}"
        vix_dir.mkdir()
        con.register("vix_bars", pa.Table.from_pylist(
            [dict(zip(("ts", "open", "high", "low", "close"), b)) for b in vix[day]]))
        con.execute(f"COPY (SELECT * FROM vix_bars ORDER BY ts) TO '{_sql_path(vix_dir / 'part-0.parquet')}' "
                    "(FORMAT parquet, COMPRESSION zstd)")
        if progress is not None:
            progress(n + 1, len(chosen), day)
    con.close()
    (out / "dataset.toml").write_text(_toml(days, seed, start))
    (out / "README.md").write_text(
        f"Synthetic NIFTY-like option chains, NOT market data: {days} trading days from {start}, "
        f"seed {seed}.\nMade by `optbt data synth --days {days} --seed {seed} --start {start}`.\n")
    files = sorted(p for p in out.rglob("*") if p.is_file())
    manifest = {"made_by": "optbt data synth", "days": days, "seed": seed, "start": start.isoformat(),
                "files": {p.relative_to(out).as_posix(): {"size": p.stat().st_size, "sha256": file_digest(p)}
                          for p in files}}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def _sql_path(p: Path) -> str:
    """A file path as a SQL string literal body (COPY ... TO takes no parameter)."""
    return str(p).replace("'", "''")
