"""The same synthetic prices in the layouts users keep their data in (benchmark input only).

- ``hive_day``: what ``optbt data synth`` writes — ``options/day=YYYY-MM-DD/*.parquet`` and
  the same for spot, with ``day_partition = "day"``.
- ``monthly``: one options file and one spot file per month, no partition folders.
- ``spot_single``: options one file per day (plain names, no hive folders) and the spot of the
  whole range in one unpartitioned file.
- ``monthly_sorted``, ``spot_single_sorted``: those two after ``optbt data sort`` (each day's
  option rows by expiry, strike, type, time; the same files, rows and spot).
- ``monthly_split``: ``monthly`` after ``optbt data sort --split-days`` (a sorted file a day,
  ``2024-01.2024-01-02.parquet``; the spot month files as they are).
- ``monthly_utc``, ``monthly_datetime``, ``monthly_text``: ``monthly`` with the time stored
  another way (options and spot alike): UTC instants (``TIMESTAMP WITH TIME ZONE``), a
  ``DATE`` date and a ``TIME`` time column, or ISO text in exchange time (``2024-01-02 09:16:00``).
  A run converts each to exchange time (docs/data.md, "Time zones").

- ``contract``: options a file per contract (``NIFTY_20240104_21500_CE.parquet``, every day of
  its life in time order, no folders), as per-symbol downloads come; the spot in one file
  (10,902 files for 250 days, written in about a minute on first use).

Both time-ordered layouts hold their option rows sorted by time, as most vendors' exports do.

Each layout is written once next to the source dataset (``<src>-<layout>/``) with its own
``dataset.toml``; the prices are copied by DuckDB from the source files, so every layout holds
exactly the same rows and a strategy must give the same PnL on all of them.
"""

from __future__ import annotations

import re
from pathlib import Path

LAYOUTS = ("hive_day", "monthly", "spot_single", "monthly_sorted", "spot_single_sorted", "monthly_split",
           "monthly_utc", "monthly_datetime", "monthly_text", "contract")
# how each ``monthly_*`` layout stores the time (DuckDB's SELECT list over a month file's rows),
# and the columns its config then names
_STORED = {
    "utc": ("* REPLACE (timezone($tz, ts) AS ts)", ""),
    "datetime": ("* EXCLUDE (ts), CAST(ts AS DATE) AS date, CAST(ts AS TIME) AS time",
                 '\n[{kind}.columns]\ndate = "date"\ntime = "time"\n'),
    "text": ("* REPLACE (strftime(ts, '%Y-%m-%d %H:%M:%S') AS ts)", ""),
}


def _head(src: Path) -> str:
    """The source config without its [options]/[spot]/[series.*] tables (kept: name, zone, steps, session).

    Series are left out: their paths are relative to the source folder, and ``data sort`` refuses
    a config naming files that are not there. No benchmarked strategy reads a series."""
    text = (src / "dataset.toml").read_text()
    keep, skipping = [], False
    for line in text.splitlines():
        m = re.match(r"^\[(\w+)", line)
        if m:
            skipping = m.group(1) in ("options", "spot", "series")
        if not skipping:
            keep.append(line)
    return "\n".join(keep).rstrip() + "\n"


def make_layout(src: Path, layout: str) -> Path:
    """The dataset folder for ``layout`` (written on first use)."""
    if layout == "hive_day":
        return src
    out = src.parent / f"{src.name}-{layout}"
    if (out / "dataset.toml").exists():
        return out
    base, _, how = layout.rpartition("_")
    if base == "monthly" and how in _STORED:
        return _restored(make_layout(src, base), out, how)
    if how in ("sorted", "split") and base in LAYOUTS:
        import shutil

        from optbt.data.dataset import load_dataset
        from optbt.data.sort import sort_dataset
        unsorted = make_layout(src, base)
        shutil.rmtree(out, ignore_errors=True)  # a copy an interrupted run left half-written
        sort_dataset(load_dataset(unsorted), unsorted / "dataset.toml", out, split_days=how == "split")
        return out
    import duckdb
    con = duckdb.connect()
    (out / "options").mkdir(parents=True, exist_ok=True)
    (out / "spot").mkdir(parents=True, exist_ok=True)
    opts = str(src / "options" / "*" / "*.parquet")
    spot = str(src / "spot" / "*" / "*.parquet")
    cols = "* EXCLUDE (day)"
    if layout == "monthly":
        for kind, glob in (("options", opts), ("spot", spot)):
            months = [r[0] for r in con.execute(
                f"SELECT DISTINCT strftime(ts, '%Y-%m') FROM read_parquet('{glob}', hive_partitioning=true) ORDER BY 1"
            ).fetchall()]
            for m in months:
                con.execute(f"COPY (SELECT {cols} FROM read_parquet('{glob}', hive_partitioning=true) "
                            f"WHERE strftime(ts, '%Y-%m') = '{m}' ORDER BY ts) TO '{out / kind / (m + '.parquet')}' "
                            "(FORMAT parquet)")
        tables = ('[options]\npath = "options/*.parquet"\nhive_partitioning = false\n\n'
                  '[spot]\npath = "spot/*.parquet"\nhive_partitioning = false\n')
    elif layout == "spot_single":
        days = [r[0] for r in con.execute(
            f"SELECT DISTINCT day FROM read_parquet('{opts}', hive_partitioning=true) ORDER BY 1").fetchall()]
        for d in days:
            con.execute(f"COPY (SELECT {cols} FROM read_parquet('{opts}', hive_partitioning=true) "
                        f"WHERE day = '{d}' ORDER BY ts) TO '{out / 'options' / (str(d) + '.parquet')}' (FORMAT parquet)")
        con.execute(f"COPY (SELECT {cols} FROM read_parquet('{spot}', hive_partitioning=true) ORDER BY ts) "
                    f"TO '{out / 'spot' / 'spot.parquet'}' (FORMAT parquet)")
        tables = ('[options]\npath = "options/*.parquet"\nhive_partitioning = false\n\n'
                  '[spot]\npath = "spot/spot.parquet"\nhive_partitioning = false\n')
    elif layout == "contract":
        tmp = out / "by-contract"
        con.execute(f"COPY (SELECT {cols} FROM read_parquet('{opts}', hive_partitioning=true) ORDER BY ts) TO "
                    f"'{tmp}' (FORMAT parquet, PARTITION_BY (expiry, strike, opt_type), WRITE_PARTITION_COLUMNS true)")
        for f in sorted(tmp.glob("expiry=*/strike=*/opt_type=*/*.parquet")):
            e, k, t = (part.split("=", 1)[1] for part in f.parts[-4:-1])
            f.rename(out / "options" / f"NIFTY_{e.replace('-', '')}_{int(float(k))}_{t}.parquet")
        import shutil
        shutil.rmtree(tmp)
        con.execute(f"COPY (SELECT {cols} FROM read_parquet('{spot}', hive_partitioning=true) ORDER BY ts) "
                    f"TO '{out / 'spot' / 'spot.parquet'}' (FORMAT parquet)")
        tables = ('[options]\npath = "options/*.parquet"\nhive_partitioning = false\n\n'
                  '[spot]\npath = "spot/spot.parquet"\nhive_partitioning = false\n')
    else:
        raise ValueError(f"unknown layout {layout!r}; one of {LAYOUTS}")
    (out / "dataset.toml").write_text(_head(src) + "\n" + tables)
    return out


def _restored(monthly: Path, out: Path, how: str) -> Path:
    """The ``monthly`` layout's files with the time stored as ``how`` says (see _STORED)."""
    import shutil

    import duckdb

    from optbt.data.dataset import load_dataset
    select, columns = _STORED[how]
    tz = load_dataset(monthly).timezone
    shutil.rmtree(out, ignore_errors=True)  # a copy an interrupted run left half-written
    con = duckdb.connect()
    tables = []
    for kind in ("options", "spot"):
        (out / kind).mkdir(parents=True)
        for f in sorted((monthly / kind).glob("*.parquet")):
            con.execute(f"COPY (SELECT {select} FROM read_parquet($f) ORDER BY ts) TO '{out / kind / f.name}' "
                        "(FORMAT parquet)", {"f": str(f), "tz": tz} if "$tz" in select else {"f": str(f)})
        tables.append(f'[{kind}]\npath = "{kind}/*.parquet"\nhive_partitioning = false\n'
                      + columns.format(kind=kind))
    (out / "dataset.toml").write_text(_head(monthly) + "\n" + "\n".join(tables))
    return out
