"""Encodings real vendor files have, read right or refused with the fix (never silently shifted).

Found by an audit that wrote the same minute prices in many encodings and compared the fills
with its own computation. The day: one contract pair at strike 21000 (spot 21010), minute bars
labelled at their end; a bar's price says its minute: CE close = 100 + k, PE = 1000 + k, k
minutes after 09:15. ``At0920`` sells the ATM call at 09:20 and buys it back at 09:25, so a
correct read fills 105 -> 110; a read shifted by IST's offset fills 435 -> 440.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt import run_backtest
from optbt.data.check import check_dataset
from optbt.data.dataset import load_dataset
from optbt.data.duckdb_source import DuckDBSource
from optbt.model.errors import DataError
from optbt.model.instrument import Instrument
from tests.kit import At0920

DAY, DAY2, EXP = date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)
IST = timezone(timedelta(hours=5, minutes=30))
RIGHT = [("09:20", 105.0, 110.0)]


def minute(k: int, day: date = DAY) -> datetime:
    return datetime.combine(day, time(9, 15)) + timedelta(minutes=k)


def options(day: date = DAY, strike=21000.0, **extra) -> list[dict]:
    return [{"ts": minute(k, day), "underlying": "NIFTY", "expiry": EXP, "strike": strike, "opt_type": ot,
             "close": float(p), **extra}
            for k in range(1, 16) for ot, p in (("CE", 100 + k), ("PE", 1000 + k))]


def spot(*days: date) -> list[dict]:
    return [{"ts": minute(k, d), "close": 21010.0} for d in days or (DAY,) for k in range(1, 16)]


def write(tmp, ofiles: dict, sfiles: dict | None = None, extra: str = "", ocols: str = "", opath=None):
    """A dataset of these files (name -> rows or an Arrow table); session 09:15-09:30."""
    for name, rows in {**ofiles, **(sfiles or {"s.parquet": spot()})}.items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows), tmp / name)
    opath = opath or (next(iter(ofiles)) if len(ofiles) == 1 else "o/*.parquet")
    spath = next(iter(sfiles)) if sfiles and len(sfiles) == 1 else "s.parquet" if not sfiles else "s/*.parquet"
    (tmp / "dataset.toml").write_text(
        f'name = "encodings"\nstrike_step = 50\n{extra}\n[options]\npath = "{opath}"\n'
        + (f"columns = {{ {ocols} }}\n" if ocols else "")
        + f'[spot]\npath = "{spath}"\ncolumns = {{ underlying = "" }}\n[session]\nstart = "09:15"\nend = "09:30"\n')
    return tmp


def fills(path) -> list[tuple]:
    res = run_backtest(At0920, data=load_dataset(path))
    return [(t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_price) for t in res.trades]


def with_column(rows: list[dict], name: str, values, kind: pa.DataType) -> pa.Table:
    table = pa.Table.from_pylist(rows)
    return table.set_column(table.schema.get_field_index(name), name, pa.array(values, kind))


# -- time zones in every type DuckDB names ---------------------------------------------------

@pytest.mark.parametrize("unit", ["us", "ns"])
def test_tz_aware_timestamps_in_micro_and_nanoseconds_are_exchange_time(tmp_path, unit):
    """pandas writes datetime64[ns, tz] as TIMESTAMPTZ_NS, which was read as UTC clock time
    (435 -> 440: the 14:50 premiums) and ran without a timezone set."""
    rows, s = options(), spot()
    o = with_column(rows, "ts", [r["ts"].replace(tzinfo=IST) for r in rows], pa.timestamp(unit, tz="Asia/Kolkata"))
    st = with_column(s, "ts", [r["ts"].replace(tzinfo=IST) for r in s], pa.timestamp(unit, tz="Asia/Kolkata"))
    path = write(tmp_path, {"o.parquet": o}, {"s.parquet": st}, extra='timezone = "Asia/Kolkata"')
    assert fills(path) == RIGHT
    text = (tmp_path / "dataset.toml").read_text().replace('timezone = "Asia/Kolkata"', "")
    (tmp_path / "dataset.toml").write_text(text)
    with pytest.raises(DataError, match="carry a time zone; set timezone"):
        fills(path)


def test_a_time_column_with_an_offset_is_refused(tmp_path):
    """TIME WITH TIME ZONE (written here by DuckDB: pyarrow has no such type) lost its offset."""
    import duckdb
    rows = "SELECT DATE '2024-01-02' AS d, CAST(strftime(TIMESTAMP '2024-01-02 09:15' + k * INTERVAL 1 MINUTE, " \
           "'%H:%M:%S') || '+05:30' AS TIMETZ) AS t, {cols} FROM range(1, 16) r(k){more}"
    options_sql = rows.format(cols="'NIFTY' AS underlying, DATE '2024-01-04' AS expiry, 21000.0 AS strike, ot AS "
                              "opt_type, 100.0 + k AS close", more=", (VALUES ('CE'), ('PE')) v(ot)")
    duckdb.execute(f"COPY ({options_sql}) TO '{tmp_path / 'o.parquet'}' (FORMAT parquet)")
    path = write(tmp_path, {}, {"s.parquet": spot()}, ocols='ts = "", date = "d", time = "t"', opath="o.parquet")
    with pytest.raises(DataError, match="'t' \\(time\\) is TIME WITH TIME ZONE: a time of day with a UTC offset"):
        fills(path)


@pytest.mark.parametrize("spelling", ["aware", "int", "text"])
def test_a_date_column_in_other_types_dates_the_bars_right(tmp_path, spelling):
    """A tz-aware date column (IST midnight) put every bar on the previous day; yyyymmdd as an
    integer or text was a raw conversion error."""
    rows = options()
    dates = {"aware": ([datetime.combine(DAY, time(0)).replace(tzinfo=IST)] * len(rows), pa.timestamp("us", tz="UTC")),
             "int": ([20240102] * len(rows), pa.int64()), "text": (["20240102"] * len(rows), pa.string())}[spelling]
    base = pa.Table.from_pylist([{**{k: v for k, v in r.items() if k != "ts"}, "t": r["ts"].time()} for r in rows])
    o = base.append_column("d", pa.array(*dates))
    path = write(tmp_path, {"o.parquet": o}, extra='timezone = "Asia/Kolkata"', ocols='ts = "", date = "d", time = "t"')
    res = run_backtest(At0920, data=load_dataset(path))
    assert [(t.entry_ts, t.entry_price, t.exit_price) for t in res.trades] == [(minute(5), 105.0, 110.0)]


# -- expiries ----------------------------------------------------------------------------------

EXPIRIES = {
    "utc_text": (["2024-01-03T18:30:00Z"], pa.string()),        # the exchange's midnight as a UTC instant
    "aware_ns": ([datetime(2024, 1, 4, tzinfo=IST)], pa.timestamp("ns", tz="Asia/Kolkata")),
    "nse_bhavcopy": (["04-Jan-2024"], pa.string()),
    "nse_symbol": (["04JAN24"], pa.string()),
    "short_year": (["4-Jan-24"], pa.string()),
    "float_yyyymmdd": ([20240104.0], pa.float64()),              # pandas: an int column with a NaN
    "padded_iso": ([" 2024-01-04 "], pa.string()),
}


@pytest.mark.parametrize("name", list(EXPIRIES))
def test_expiry_spellings_are_the_exchange_date(tmp_path, name):
    """The 2024-01-04 weekly, written as vendors write it. A wrong read makes every contract
    bad_expiry (no trade) or dates it a day early (expiry_before_day: next week traded)."""
    values, kind = EXPIRIES[name]
    rows = options()
    o = with_column(rows, "expiry", values * len(rows), kind)
    path = write(tmp_path, {"o.parquet": o}, extra='timezone = "Asia/Kolkata"')
    res = run_backtest(At0920, data=load_dataset(path))
    assert [(t.leg.instrument.expiry, t.entry_price, t.exit_price) for t in res.trades] == [(EXP, 105.0, 110.0)]


def test_a_date_typed_expiry_ignores_a_yyyymmdd_format(tmp_path):
    path = write(tmp_path, {"o.parquet": options()})
    text = (tmp_path / "dataset.toml").read_text().replace('path = "o.parquet"\n',
                                                          'path = "o.parquet"\nexpiry_format = "yyyymmdd"\n')
    (tmp_path / "dataset.toml").write_text(text)
    assert fills(path) == RIGHT


# -- files whose schemas differ ------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["flat", "day_folders"])
def test_a_strike_column_int_in_one_file_and_float_in_the_next_keeps_the_half_strikes(tmp_path, layout):
    """pandas writes whole strikes as int64: DuckDB read both files with the first file's type,
    listed 17.5 as 18 and day 2 had no trade, silently. Day 2 sells the 17.5 call (spot 17.6)."""
    day1 = with_column(options(DAY, 20), "strike", [20] * 30, pa.int64())
    day2 = pa.Table.from_pylist(options(DAY2, 17.5))
    s = [{"ts": minute(k, d), "close": c} for d, c in ((DAY, 20.1), (DAY2, 17.6)) for k in range(1, 16)]
    if layout == "flat":
        path = write(tmp_path, {"o/1.parquet": day1, "o/2.parquet": day2}, {"s.parquet": s})
        text = (tmp_path / "dataset.toml").read_text()
    else:
        path = write(tmp_path, {f"o/day={DAY}/p.parquet": day1, f"o/day={DAY2}/p.parquet": day2}, {"s.parquet": s},
                     opath="o/*/*.parquet")
        text = (tmp_path / "dataset.toml").read_text().replace(
            'path = "o/*/*.parquet"\n', 'path = "o/*/*.parquet"\nhive_partitioning = true\nday_partition = "day"\n')
    (tmp_path / "dataset.toml").write_text(text.replace("strike_step = 50", "strike_step = 0.5"))
    res = run_backtest(At0920, data=load_dataset(path))
    assert [(t.day, t.leg.instrument.strike, t.entry_price) for t in res.trades] == [(DAY, 20.0, 105.0),
                                                                                     (DAY2, 17.5, 105.0)]


def test_an_expiry_text_in_one_file_and_date_in_the_next_trades_both_days(tmp_path):
    day1 = with_column(options(DAY), "expiry", ["2024-01-04"] * 30, pa.string())
    day2 = pa.Table.from_pylist(options(DAY2))
    path = write(tmp_path, {"o/1.parquet": day1, "o/2.parquet": day2}, {"s.parquet": spot(DAY, DAY2)})
    res = run_backtest(At0920, data=load_dataset(path))
    assert [(t.day, t.entry_price) for t in res.trades] == [(DAY, 105.0), (DAY2, 105.0)]


def test_a_file_missing_a_mapped_column_is_refused_naming_it(tmp_path):
    day2 = [{k: v for k, v in r.items() if k != "underlying"} for r in options(DAY2)]
    path = write(tmp_path, {"o/1.parquet": options(DAY), "o/2.parquet": day2}, {"s.parquet": spot(DAY, DAY2)})
    with pytest.raises(DataError, match=r"o/2.parquet has no column 'underlying', which .*o/1.parquet has"):
        fills(path)


# -- the underlying and option-type columns ----------------------------------------------------------

def foreign(rows: list[dict]) -> list[dict]:
    """BANKNIFTY rows at the same strike, expiry and minutes, priced 5000+."""
    return [{**r, "underlying": "BANKNIFTY", "close": r["close"] + 5000} for r in rows]


def test_an_underlying_mapping_the_files_lack_is_refused_not_dropped(tmp_path):
    """A typo (or a case) in the mapping dropped the underlying filter: the NIFTY run traded
    BANKNIFTY's rows. Mapped right, the NIFTY rows are traded."""
    rows = [{("Symbol" if k == "underlying" else k): v for k, v in r.items()} for r in options() + foreign(options())]
    path = write(tmp_path, {"o.parquet": rows}, ocols='underlying = "symbol"')
    with pytest.raises(DataError, match="column 'symbol' \\(for underlying\\) is not in the files \\(did you mean 'Symbol'"):
        fills(path)
    write(tmp_path, {"o.parquet": rows}, ocols='underlying = "Symbol"')
    assert fills(path) == RIGHT
    cased = [{("Underlying" if k == "Symbol" else k): v for k, v in r.items()} for r in rows]
    write(tmp_path, {"o.parquet": cased})
    with pytest.raises(DataError, match="the files have a column 'Underlying', not 'underlying'"):
        fills(path)


def test_padding_in_the_files_underlying_and_in_the_configs_option_types_is_ignored(tmp_path):
    rows = [{**r, "underlying": "NIFTY "} for r in options()] + foreign(options())
    path = write(tmp_path, {"o.parquet": rows})
    text = (tmp_path / "dataset.toml").read_text().replace('path = "o.parquet"\n',
                                                          'path = "o.parquet"\ncall_values = [" CE"]\n')
    (tmp_path / "dataset.toml").write_text(text)
    assert fills(path) == RIGHT


# -- data check reads what a run reads ----------------------------------------------------------------

def test_data_check_reads_text_timestamps_and_finds_what_is_wrong_in_them(tmp_path):
    rows = [{**r, "ts": r["ts"].strftime("%Y-%m-%d %H:%M:%S")} for r in options()]
    rows.append({**rows[8], "close": 999.0})  # CE 09:20 twice: 105 and 999
    s = [{**r, "ts": r["ts"].strftime("%Y-%m-%d %H:%M:%S")} for r in spot()]
    path = write(tmp_path, {"o.parquet": rows}, {"s.parquet": s})
    checks = {(f.level, f.check) for f in check_dataset(load_dataset(path)).findings}
    assert ("error", "conflicting_duplicates") in checks
    assert not any(c == "wrong_type" for _, c in checks)


def test_text_timestamps_day_first_are_refused_naming_the_row(tmp_path):
    """'02-01-2024 09:16:00' is 2 January or 1 February: not read, and said so with the row's text
    (before: DuckDB's "Could not convert string ... to INT64", which named no fix)."""
    rows = [{**r, "ts": r["ts"].strftime("%d-%m-%Y %H:%M:%S")} for r in options()]
    s = [{**r, "ts": r["ts"].strftime("%Y-%m-%d %H:%M:%S")} for r in spot()]
    path = write(tmp_path, {"o.parquet": rows}, {"s.parquet": s})
    with pytest.raises(DataError, match=r"^options: timestamp '02-01-2024 09:\d\d:00' is not ISO 8601 text"):
        fills(path)  # optbt's own words first, not DuckDB's "Invalid Input Error"
    iso = [{**r, "ts": r["ts"].strftime("%Y-%m-%d %H:%M:%S")} for r in options()]
    assert fills(write(tmp_path, {"o.parquet": iso}, {"s.parquet": s})) == RIGHT  # the same rows in ISO

def test_data_check_reads_tz_aware_nanosecond_timestamps_as_a_run_does(tmp_path):
    rows, s = options(), spot()
    o = with_column(rows, "ts", [r["ts"].replace(tzinfo=IST) for r in rows], pa.timestamp("ns", tz="Asia/Kolkata"))
    path = write(tmp_path, {"o.parquet": o}, {"s.parquet": s}, extra='timezone = "Asia/Kolkata"')
    assert [f.check for f in check_dataset(load_dataset(path)).findings if f.level == "error"] == []
    assert fills(path) == RIGHT


def test_numbers_and_dates_in_one_column_across_files_are_refused_naming_both(tmp_path):
    """DuckDB cannot unify BIGINT with DATE: every block holding the odd file failed its days."""
    day2 = with_column(options(DAY2), "expiry", [20240104] * 30, pa.int64())
    path = write(tmp_path, {"o/1.parquet": options(DAY), "o/2.parquet": day2}, {"s.parquet": spot(DAY, DAY2)})
    with pytest.raises(DataError, match=r"column 'expiry' holds numbers in .*2.parquet but dates or times in .*1.parquet"):
        fills(path)


def test_a_bad_row_of_one_day_skips_that_day_only(tmp_path):
    """The chain is listed 16 days to a query: one day's unreadable expiry (a zone abbreviation)
    failed the whole block, skipping the clean days around it. The day is now read alone."""
    day2 = [{**r, "expiry": "2024-01-04 15:30 IST"} if k == 0 else {**r, "expiry": "2024-01-04"}
            for k, r in enumerate(options(DAY2))]
    day1 = [{**r, "expiry": "2024-01-04"} for r in options(DAY)]
    path = write(tmp_path, {"o/1.parquet": day1, "o/2.parquet": day2}, {"s.parquet": spot(DAY, DAY2)},
                 extra='timezone = "Asia/Kolkata"')
    res = run_backtest(At0920, data=load_dataset(path))
    assert [(d.day, d.skip_reason) for d in res.daily] == [(DAY, ""), (DAY2, "data_error")]
    assert [t.day for t in res.trades] == [DAY]


# -- nanoseconds -------------------------------------------------------------------------------

def _ns(moment: datetime, extra_ns: int = 0) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds()) * 10**9 + extra_ns


NS_ENCODINGS = ["naive_ns", "aware_ns", "text_9_digits", "date_and_time_ns"]


@pytest.mark.parametrize("encoding", NS_ENCODINGS)
def test_a_tick_nanoseconds_after_the_entry_tick_is_not_seen_at_it(tmp_path, encoding):
    """A CE print at 09:20:00.000000400 (999) exists 400 ns after the 09:20 tick. DuckDB's cast
    rounded nanoseconds to the nearest microsecond, and its text cast truncated them: the print
    landed on 09:20:00 itself (a conflict with the 09:20 bar, the day lost; alone, a look-ahead).
    Rounded up it is known at 09:20:00.000001, so the 09:21 tick's newer bar hides it: 105 -> 110."""
    rows = options() + [{**options()[0], "ts": minute(5), "close": 999.0}]  # the trap; ts replaced below
    stamps = [_ns(r["ts"]) for r in rows[:-1]] + [_ns(minute(5), 400)]
    s = spot()
    sstamps = [_ns(r["ts"]) for r in s]
    extra, ocols, scols = "", "", ""
    if encoding == "naive_ns":
        o = with_column(rows, "ts", stamps, pa.timestamp("ns"))
        st = with_column(s, "ts", sstamps, pa.timestamp("ns"))
    elif encoding == "aware_ns":  # exchange time written as UTC instants
        shift = 330 * 60 * 10**9
        o = with_column(rows, "ts", [x - shift for x in stamps], pa.timestamp("ns", tz="UTC"))
        st = with_column(s, "ts", [x - shift for x in sstamps], pa.timestamp("ns", tz="UTC"))
        extra = 'timezone = "Asia/Kolkata"'
    elif encoding == "text_9_digits":
        text = [datetime.fromtimestamp(x // 10**9, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
                + f".{x % 10**9:09d}" for x in stamps]
        o = with_column(rows, "ts", text, pa.string())
        st = with_column(s, "ts", sstamps, pa.timestamp("ns"))
    else:  # a date column and a TIME_NS column
        base = pa.Table.from_pylist([{k: v for k, v in r.items() if k != "ts"} for r in rows])
        of_day = [x % (86400 * 10**9) for x in stamps]
        o = base.append_column("d", pa.array([DAY] * len(rows), pa.date32())).append_column(
            "t", pa.array(of_day, pa.time64("ns")))
        st = with_column(s, "ts", sstamps, pa.timestamp("ns"))
        ocols = 'ts = "", date = "d", time = "t"'
    path = write(tmp_path, {"o.parquet": o}, {"s.parquet": st}, extra=extra, ocols=ocols + scols)
    assert fills(path) == RIGHT


def test_nanoseconds_already_on_a_microsecond_are_read_unchanged(tmp_path):
    """pandas writes nanosecond columns whose values are whole microseconds: rounding up
    changes none of them (bars stamped 7 us after each minute are read 7 us after it)."""
    rows, s = options(), spot()
    o = with_column(rows, "ts", [_ns(r["ts"], 7000) for r in rows], pa.timestamp("ns"))
    st = with_column(s, "ts", [_ns(r["ts"]) for r in s], pa.timestamp("ns"))
    src = DuckDBSource(load_dataset(write(tmp_path, {"o.parquet": o}, {"s.parquet": st})))
    bars = src.option_bars(DAY, [Instrument("NIFTY", EXP, 21000.0, "CE")])
    times = [b[0] for b in next(iter(bars.values()))]
    assert times == [minute(k) + timedelta(microseconds=7) for k in range(1, 15)]  # 09:30:00.000007: after the close
    assert [b[0] for b in src.spot_bars(DAY, "NIFTY")] == [minute(k) for k in range(1, 16)]
