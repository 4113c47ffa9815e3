"""Column formats and layouts vendors ship, read right or refused with the fix.

Found by an audit that wrote one tiny day in the shapes real vendors use (other column names,
other types, two underlyings in a file, date and time apart) and compared each run with fills
computed by hand. The day: NIFTY spot 21010, the 2024-01-04 weekly at strike 21000, minute
bars labelled at their end; a bar's close says its minute: CE = 100 + k, PE = 1000 + k, k
minutes after 09:15. ``At0920`` sells the ATM call at 09:20 and buys it back at 09:25, so a
right read fills 105 -> 110. BANKNIFTY rows, where a test has them, are strike 48000 (spot
48010) priced 5000 higher.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt import run_backtest
from optbt.data.check import check_dataset
from optbt.data.dataset import load_dataset
from optbt.model.errors import ConfigError, DataError
from tests.kit import At0920

DAY, EXP = date(2024, 1, 2), date(2024, 1, 4)
RIGHT = [("09:20", 105.0, 110.0)]


def minute(k: int) -> datetime:
    return datetime.combine(DAY, time(9, 15)) + timedelta(minutes=k)


def options(underlying: str = "NIFTY", strike: float = 21000.0, extra: float = 0.0) -> list[dict]:
    return [{"ts": minute(k), "underlying": underlying, "expiry": EXP, "strike": strike, "opt_type": ot,
             "close": float(p) + extra}
            for k in range(1, 16) for ot, p in (("CE", 100 + k), ("PE", 1000 + k))]


def banknifty() -> list[dict]:
    return options("BANKNIFTY", 48000.0, 5000.0)


def spot(underlying: str | None = None, close: float = 21010.0) -> list[dict]:
    return [{"ts": minute(k), **({"underlying": underlying} if underlying else {}), "close": close}
            for k in range(1, 16)]


def write(tmp, opts, spot_rows=None, ocols: str = "", scols: str = 'underlying = ""', extra: str = ""):
    """o.parquet and s.parquet (rows or Arrow tables) and their dataset.toml; session 09:15-09:30."""
    for name, rows in (("o.parquet", opts), ("s.parquet", spot() if spot_rows is None else spot_rows)):
        pq.write_table(rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows), tmp / name)
    (tmp / "dataset.toml").write_text(
        f'name = "vendor"\nstrike_step = 50\n{extra}\n[options]\npath = "o.parquet"\n'
        + (f"columns = {{ {ocols} }}\n" if ocols else "")
        + '[spot]\npath = "s.parquet"\n' + (f"columns = {{ {scols} }}\n" if scols else "")
        + '[session]\nstart = "09:15"\nend = "09:30"\n')
    return tmp


def fills(path, strategy=At0920) -> list[tuple]:
    res = run_backtest(strategy, data=load_dataset(path))
    return [(t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_price) for t in res.trades]


def with_column(rows: list[dict], name: str, values, kind: pa.DataType) -> pa.Table:
    table = pa.Table.from_pylist(rows)
    return table.set_column(table.schema.get_field_index(name), name, pa.array(values, kind))


def checks(path) -> list[tuple]:
    return [(f.level, f.check, f.where) for f in check_dataset(load_dataset(path)).findings if f.level != "note"]


class BankNifty0920(At0920):
    underlying = "BANKNIFTY"


# -- several underlyings in one file ------------------------------------------------------------

def test_a_spot_of_one_underlying_is_not_used_for_another(tmp_path):
    """Options of NIFTY and BANKNIFTY in one file, a spot file without an underlying column (the
    NIFTY spot): a BANKNIFTY run took NIFTY's 21010 as its spot and traded, exit 0. Such a spot
    is the dataset's underlying's only: another underlying is refused, saying what to add."""
    path = write(tmp_path, options() + banknifty())
    assert fills(path) == RIGHT
    with pytest.raises(ConfigError, match=r"'BANKNIFTY'.*the spot files have no underlying column.*NIFTY"):
        fills(path, BankNifty0920)
    both = spot("NIFTY") + spot("BANKNIFTY", 48010.0)
    write(tmp_path, options() + banknifty(), both, scols="")
    assert fills(path, BankNifty0920) == [("09:20", 5105.0, 5110.0)]


def test_options_of_one_underlying_are_not_used_for_another(tmp_path):
    """The reverse: a spot file of two underlyings beside option files without an underlying
    column (NIFTY's options) must not price BANKNIFTY's run with NIFTY's options."""
    opts = [{k: v for k, v in r.items() if k != "underlying"} for r in options()]
    path = write(tmp_path, opts, spot("NIFTY") + spot("BANKNIFTY", 48010.0), scols="")
    assert fills(path) == RIGHT
    with pytest.raises(ConfigError, match=r"'BANKNIFTY'.*the options files have no underlying column"):
        fills(path, BankNifty0920)


# -- the time as a date column and a time column --------------------------------------------------

def date_and_time(dates, times, dkind=pa.string(), tkind=pa.string()) -> pa.Table:
    rows = options()
    base = pa.Table.from_pylist([{k: v for k, v in r.items() if k != "ts"} for r in rows])
    return (base.append_column("d", pa.array([dates(r["ts"]) for r in rows], dkind))
            .append_column("t", pa.array([times(r["ts"]) for r in rows], tkind)))


DATE_TIME = 'ts = "", date = "d", time = "t"'


@pytest.mark.parametrize("dates, kind, shown", [
    (lambda ts: ts.strftime("%d-%m-%Y"), pa.string(), "'02-01-2024'"),   # day first: 2 Jan or 1 Feb
    (lambda ts: ts.strftime("%m/%d/%Y"), pa.string(), "'01/02/2024'"),
    (lambda ts: 20240230, pa.int64(), "20240230"),                       # no such day
], ids=["dd-mm-yyyy", "mm/dd/yyyy", "impossible_yyyymmdd"])
def test_a_date_column_that_reads_as_no_date_is_refused_naming_the_value(tmp_path, dates, kind, shown):
    """Every row's time was NULL: the run skipped the day as no_options and exit 0, as if the
    vendor had sent no options (data check said bad_timestamp: rows without a time). A text
    timestamp in these spellings is refused with its text; so is a date column now."""
    path = write(tmp_path, date_and_time(dates, lambda ts: ts.strftime("%H:%M:%S"), kind), ocols=DATE_TIME)
    with pytest.raises(DataError, match=rf"options: date {shown} \(column 'd'\) is not a date optbt reads"):
        fills(path)
    assert [c for _, c, _ in checks(path)] == ["unreadable_file"]


def test_date_spellings_a_date_column_reads(tmp_path):
    for dates in (lambda ts: ts.strftime("%Y-%m-%d"), lambda ts: ts.strftime("%d-%b-%Y"),
                  lambda ts: ts.strftime("%Y%m%d")):
        path = write(tmp_path, date_and_time(dates, lambda ts: ts.strftime("%H:%M")), ocols=DATE_TIME)
        assert fills(path) == RIGHT


@pytest.mark.parametrize("kind, value", [(pa.int64(), 2024104), (pa.string(), "2024104"), (pa.float64(), 2024104.0)],
                         ids=["int", "text", "float"])
def test_an_expiry_of_seven_digits_is_refused_not_read_as_another_day(tmp_path, kind, value):
    """2024-01-04 written without the month's zero: 2024104 (2024-1-04, or 2024-10-4?). DuckDB's
    %Y%m%d read it as 2024-10-04: the run sold the call of an expiry nine months away (105 -> 110,
    exit 0) and data check was clean. Seven digits are refused, naming column and value; data
    check files it against the file that holds it."""
    rows = options()
    path = write(tmp_path, with_column(rows, "expiry", [value] * len(rows), kind))
    with pytest.raises(DataError, match=r"options: expiries \(column 'expiry'\) hold '?2024104'?, 7 digits: .*"
                                        r"2024-01-04 or 2024-10-04.*20240104.*DATE") as err:
        fills(path)
    assert str(err.value).endswith(f"(in {path / 'o.parquet'})")  # the run names the file too
    assert checks(path) == [("error", "unreadable_file", str(path / "o.parquet"))]


def test_a_date_column_of_seven_digits_is_refused_not_read_as_another_day(tmp_path):
    """The date of a date+time layout, 2024-01-02 as '2024102': read as 2024-10-02."""
    path = write(tmp_path, date_and_time(lambda ts: "2024102", lambda ts: ts.strftime("%H:%M")), ocols=DATE_TIME)
    with pytest.raises(DataError, match=r"options: dates \(column 'd'\) hold '2024102', 7 digits: .*"
                                        r"2024-01-02 or 2024-10-02.*20240102"):
        fills(path)
    assert checks(path) == [("error", "unreadable_file", str(path / "o.parquet"))]


@pytest.mark.parametrize("value", ["24-01-04", "24-1-4", "24/01/04", "24-01-04 15:30:00"])
def test_an_expiry_of_two_digit_years_is_refused_not_read_as_the_year_24(tmp_path, value):
    """2024-01-04 written with a two-digit year: DuckDB reads '24-01-04' as 0024-01-04, so every
    contract was left out as expiry_before_day (no trade, exit 0) and the value was never named.
    Refused, naming column, value, what it reads as and the fix; data check names the file."""
    rows = options()
    path = write(tmp_path, with_column(rows, "expiry", [value] * len(rows), pa.string()))
    with pytest.raises(DataError, match=r"options: expiries \(column 'expiry'\) hold '" + re.escape(value)
                       + r"', read as the year 24 \(0024-01-04\): a two-digit year\? .*4-digit years.*DATE"):
        fills(path)
    assert checks(path) == [("error", "unreadable_file", str(path / "o.parquet"))]


def test_a_date_column_of_two_digit_years_is_refused_not_skipped_as_no_options(tmp_path):
    """The date of a date+time layout as '24-01-02': the rows fell on 0024-01-02 and the day was
    skipped as no_options, exit 0."""
    path = write(tmp_path, date_and_time(lambda ts: ts.strftime("%y-%m-%d"), lambda ts: ts.strftime("%H:%M")),
                 ocols=DATE_TIME)
    with pytest.raises(DataError, match=r"options: dates \(column 'd'\) hold '24-01-02', read as the year 24 "
                                        r"\(0024-01-02\)"):
        fills(path)
    assert checks(path) == [("error", "unreadable_file", str(path / "o.parquet"))]


@pytest.mark.parametrize("value, kind, shown, read", [
    (date(24, 1, 4), pa.date32(), "0024-01-04", None),                 # pyarrow's date(24, 1, 4)
    (datetime(24, 1, 4), pa.timestamp("us"), "0024-01-04", None),
    ("04-Jan-0024", pa.string(), "'04-Jan-0024'", "24 (0024-01-04)"),  # NSE's spelling, the year with zeros
    ("04JAN0024", pa.string(), "'04JAN0024'", "24 (0024-01-04)"),
    ("00240104", pa.string(), "'00240104'", "24 (0024-01-04)"),        # yyyymmdd of the year 24
    (18990104, pa.int64(), "'18990104'", "1899 (1899-01-04)"),
], ids=["date", "timestamp", "dd-Mon-0024", "ddMON0024", "00240104", "int_1899"])
def test_an_expiry_before_1900_is_refused_naming_the_value(tmp_path, value, kind, shown, read):
    """An expiry of the year 24 (a two-digit year stored as the year itself): every contract was
    left out as expiry_before_day (a warning that never named the value; no trade, exit 0).
    Refused like '24-01-04', naming column, value, the year read and the fix."""
    rows = options()
    path = write(tmp_path, with_column(rows, "expiry", [value] * len(rows), kind))
    said = (rf"hold {re.escape(shown)}, a date of the year 24: " if read is None
            else rf"hold {re.escape(shown)}, read as the year {re.escape(read)}: ")
    with pytest.raises(DataError, match=r"options: expiries \(column 'expiry'\) " + said
                       + r"no option expires, and no trading day falls, before 1900: .*full year.*DATE"):
        fills(path)
    assert checks(path) == [("error", "unreadable_file", str(path / "o.parquet"))]


@pytest.mark.parametrize("value, kind", [(date(24, 1, 2), pa.date32()), ("02-Jan-0024", pa.string()),
                                         ("00240102", pa.string())], ids=["date", "dd-Mon-0024", "00240102"])
def test_a_date_column_before_1900_is_refused_not_skipped_as_no_options(tmp_path, value, kind):
    """The date of a date+time layout as date(24, 1, 2): its rows fell on 0024-01-02, the 2nd
    was skipped as no_options (exit 0) and data check failed with DuckDB's 'Out of Range Error'.
    Refused by the footer (the file's smallest day, when the table opens) or by the row's text."""
    path = write(tmp_path, date_and_time(lambda ts: value, lambda ts: ts.strftime("%H:%M"), kind), ocols=DATE_TIME)
    f = str(path / "o.parquet")
    with pytest.raises(DataError, match=rf"options: (column 'd' of {re.escape(f)} holds 0024-01-02 \(its footer's "
                                        r"smallest value\), a day of the year 24|dates \(column 'd'\) hold "
                                        r"'02-Jan-0024', read as the year 24 \(0024-01-02\)): no option expires"):
        fills(path)
    assert checks(path) == [("error", "unreadable_file", f)]


@pytest.mark.parametrize("value", ["04-01-2024", "01/04/2024", "4.1.2024"])
def test_an_expiry_with_the_day_or_month_first_is_refused_naming_the_value(tmp_path, value):
    """A vendor's dd-mm-yyyy (or mm/dd/yyyy) expiry read as no date: every row was a bad_expiry
    (data check's error never named the value), the day ran as no_options, exit 0. Refused as a
    date column so written is; a garbled or missing expiry is still its row's bad_expiry."""
    rows = options()
    path = write(tmp_path, with_column(rows, "expiry", [value] * len(rows), pa.string()))
    with pytest.raises(DataError, match=r"options: expiries \(column 'expiry'\) hold '" + re.escape(value)
                       + r"', with the day or the month first, which cannot be told apart .*2024-01-04.*DATE"):
        fills(path)
    assert checks(path) == [("error", "unreadable_file", str(path / "o.parquet"))]
    garbled = ["04-01-2024x", None] + ["2024-01-04"] * (len(rows) - 2)  # row 1's CE and PE at 09:16
    write(tmp_path, with_column(rows, "expiry", garbled, pa.string()))
    assert fills(path) == RIGHT
    found = [c for _, c, _ in checks(path)]
    assert "bad_expiry" in found and "unreadable_file" not in found  # (and the 09:16 bars' gaps)


@pytest.mark.parametrize("value", ["04-Jan-24", "04JAN24", "04-jan-2024", "2024-01-04"])
def test_two_digit_years_after_a_month_name_are_still_read(tmp_path, value):
    """expiry_format = "auto" reads NSE's 04-Jan-24 and 04JAN24 on purpose: the month's name
    leaves one reading, 2024-01-04."""
    rows = options()
    path = write(tmp_path, with_column(rows, "expiry", [value] * len(rows), pa.string()))
    assert fills(path) == RIGHT
    assert checks(path) == []


@pytest.mark.parametrize("kind, value", [(pa.int64(), 240104), (pa.string(), "240104"), (pa.float64(), 240104.0),
                                         (pa.string(), "202414")], ids=["int", "text", "float", "yyyymd"])
def test_an_expiry_of_six_digits_is_refused_naming_the_value(tmp_path, kind, value):
    """240104 (yymmdd) or 202414 (2024-1-4 without zeros) read as no date: every row was a
    bad_expiry, a warning without the value, and the run traded nothing. Refused like seven
    digits, naming column and value."""
    rows = options()
    path = write(tmp_path, with_column(rows, "expiry", [value] * len(rows), kind))
    shown = str(value).removesuffix(".0")
    with pytest.raises(DataError, match=r"options: expiries \(column 'expiry'\) hold '?" + shown
                       + r"'?, 6 digits: .*yymmdd.*write yyyymmdd with 8 digits.*DATE"):
        fills(path)
    assert checks(path) == [("error", "unreadable_file", str(path / "o.parquet"))]


def test_a_date_column_of_six_digits_is_refused_naming_the_reason(tmp_path):
    path = write(tmp_path, date_and_time(lambda ts: ts.strftime("%y%m%d"), lambda ts: ts.strftime("%H:%M")),
                 ocols=DATE_TIME)
    with pytest.raises(DataError, match=r"options: dates \(column 'd'\) hold '240102', 6 digits: .*yymmdd"):
        fills(path)
    assert checks(path) == [("error", "unreadable_file", str(path / "o.parquet"))]


def utc_dates(tmp_path, hours: float, zone: str = "Asia/Kolkata", table: str = "options", text: bool = False):
    """A date+time layout whose date is a naive TIMESTAMP ``hours`` after midnight of the day
    before the row's (18.5: 2024-01-01 18:30, midnight of the 2nd in IST written in UTC), or its
    ISO text (``text``), its time a TIME; the other table keeps its ts."""
    def dates(ts):
        at = datetime.combine(ts.date() - timedelta(days=1), time()) + timedelta(hours=hours)
        return at.strftime("%Y-%m-%d %H:%M:%S") if text else at
    zoned = f'timezone = "{zone}"'
    if table == "options":
        kind = pa.string() if text else pa.timestamp("us")
        return write(tmp_path, date_and_time(dates, lambda ts: ts.time(), kind, pa.time64("us")),
                     ocols=DATE_TIME, extra=zoned)
    rows = [{"close": r["close"]} for r in spot()]
    base = pa.Table.from_pylist(rows)
    spot_dt = (base.append_column("d", pa.array([dates(r["ts"]) for r in spot()], pa.timestamp("us")))
               .append_column("t", pa.array([r["ts"].time() for r in spot()], pa.time64("us"))))
    return write(tmp_path, options(), spot_dt, scols='underlying = "", ' + DATE_TIME, extra=zoned)


@pytest.mark.parametrize("table, text", [("options", False), ("spot", False), ("options", True)],
                         ids=["options", "spot", "text"])
def test_a_date_column_of_the_exchanges_midnight_written_in_utc_is_refused(tmp_path, table, text):
    """date 2024-01-01 18:30:00 (naive) with time 09:16: midnight of the 2nd in IST written in
    UTC without its zone (pandas' tz_convert("UTC").tz_localize(None) of a date). Its date, the
    1st, was read: the options' rows fell on a day of no spot and the 2nd traded nothing
    (no_options), exit 0. Refused with timezone set, naming column, value and fix, by a run (its
    first day) and by data check (timezone, naming the file)."""
    path = utc_dates(tmp_path, 18.5, table=table, text=text)
    pattern = (rf"{table}: dates \(column 'd'\) hold 2024-01-01 18:30:00, midnight of 2024-01-02 in Asia/Kolkata "
               r"written in UTC.*DATE")
    with pytest.raises(DataError, match=pattern):
        fills(path)
    name = "o.parquet" if table == "options" else "s.parquet"
    found = checks(path)  # then the day a day early: days_without_spot, days_without_options
    assert found[0] == ("error", "timezone", str(path / name)) and [c for _, c, _ in found].count("timezone") == 1


class VixAt0920(At0920):
    """At0920 that enters only when the VIX is known (it reads the series: ctx.series)."""

    def entry(self, ctx):
        if ctx.series("vix") is not None:
            super().entry(ctx)


def series_dates(tmp_path, hours: float, text: bool = False):
    """Clean options and spot (IST) beside a [series.vix] in a date+time layout, its date a naive
    TIMESTAMP (or its ISO text) ``hours`` after midnight of the day before DAY, its time 09:16.."""
    at = datetime.combine(DAY - timedelta(days=1), time()) + timedelta(hours=hours)
    dates = [at.strftime("%Y-%m-%d %H:%M:%S") if text else at] * 15
    vix = pa.table({"d": pa.array(dates, pa.string() if text else pa.timestamp("us")),
                    "t": pa.array([minute(k).time() for k in range(1, 16)], pa.time64("us")),
                    "close": [15.0 + k for k in range(1, 16)]})
    path = write(tmp_path, options(), extra='timezone = "Asia/Kolkata"')
    pq.write_table(vix, tmp_path / "vix.parquet")
    (path / "dataset.toml").write_text((path / "dataset.toml").read_text() + '[series.vix]\npath = "vix.parquet"\n'
                                       'columns = { ts = "", date = "d", time = "t" }\n')
    return path


@pytest.mark.parametrize("text", [False, True], ids=["timestamp", "text"])
def test_a_series_date_column_of_the_exchanges_midnight_written_in_utc_is_refused(tmp_path, text):
    """[series.vix] dated 2024-01-01 18:30:00 (midnight of the 2nd in IST, written in UTC) at
    09:16..09:30: its bars were read as the 1st's, so on the 2nd a strategy that waits for the
    VIX never traded, exit 0 (data check: days_without_series only). Refused as the options' and
    the spot's date columns are: by a run on the first day it reads the series, by data check."""
    path = series_dates(tmp_path, 18.5, text)
    pattern = (r"series.vix: dates \(column 'd'\) hold 2024-01-01 18:30:00, midnight of 2024-01-02 in Asia/Kolkata "
               r"written in UTC.*DATE.*vix.parquet")
    with pytest.raises(DataError, match=pattern):
        fills(path, VixAt0920)
    assert fills(path) == RIGHT  # a strategy that never reads the series is not stopped by it
    assert checks(path)[0] == ("error", "timezone", str(path / "vix.parquet"))


def test_a_series_date_column_at_the_days_own_midnight_is_read_as_before(tmp_path):
    path = series_dates(tmp_path, 24)
    assert fills(path, VixAt0920) == RIGHT
    assert checks(path) == []


@pytest.mark.parametrize("hours, zone", [(24, "Asia/Kolkata"),      # the day's own midnight: a date
                                         (29, "America/New_York"),  # New York's midnight in UTC: the same day
                                         (24 + 9.25, "Asia/Kolkata")])  # the date column holding the time too
def test_a_date_column_of_naive_timestamps_on_the_exchanges_day_is_read_as_before(tmp_path, hours, zone):
    for text in (False, True):
        path = utc_dates(tmp_path, hours, zone, text=text)
        assert fills(path) == RIGHT
        assert checks(path) == []


def test_iso_dates_without_leading_zeros_are_read_as_written(tmp_path):
    """'2024-1-4': year first and the parts apart, one reading only (DuckDB's cast reads it so)."""
    rows = options()
    path = write(tmp_path, with_column(rows, "expiry", ["2024-1-4"] * len(rows), pa.string()))
    assert fills(path) == RIGHT
    path = write(tmp_path, date_and_time(lambda ts: "2024-1-2", lambda ts: ts.strftime("%H:%M")), ocols=DATE_TIME)
    assert fills(path) == RIGHT
    assert checks(path) == []


@pytest.mark.parametrize("times, kind", [
    (lambda ts: int(ts.strftime("%H%M%S")), pa.int64()),             # 92000
    (lambda ts: ts.hour * 3600 + ts.minute * 60, pa.int32()),         # seconds since midnight
    (lambda ts: ts, pa.timestamp("us")),                              # the whole timestamp again
    (lambda ts: float(ts.strftime("%H%M")), pa.float64()),
], ids=["hhmmss_int", "seconds_int", "timestamp", "hhmm_float"])
def test_a_time_column_of_another_type_is_refused_naming_column_file_and_fix(tmp_path, times, kind):
    """DuckDB's own words came out: 'Conversion Error: Unimplemented type for cast (BIGINT ->
    TIME_NS)', with no file and no fix; data check called it an unreadable file."""
    path = write(tmp_path, date_and_time(lambda ts: ts.date(), times, pa.date32(), kind), ocols=DATE_TIME)
    pattern = r"options: column 't' \(time\) in .*o.parquet is [A-Z_0-9()]+, not a time of day"
    with pytest.raises(DataError, match=pattern):
        fills(path)
    assert checks(path) == [("error", "wrong_type", str(path / "o.parquet"))]


def test_a_time_text_that_is_no_time_of_day_is_refused_naming_the_value(tmp_path):
    path = write(tmp_path, date_and_time(lambda ts: ts.date(), lambda ts: ts.strftime("%H.%M"), pa.date32()),
                 ocols=DATE_TIME)
    with pytest.raises(DataError, match=r"options: time '09.16' \(column 't'\) is not a time of day"):
        fills(path)


# -- numbers and timestamps in other types ----------------------------------------------------------

@pytest.mark.parametrize("column, values", [
    ("strike", ["21000"] * 30), ("close", [str(100 + k // 2) for k in range(2, 32)]),
    ("strike", ["21,000"] * 30), ("close", ["-"] * 30),
], ids=["strike_text", "close_text", "strike_with_comma", "close_dash"])
def test_text_strikes_and_prices_are_refused_by_a_run_as_by_data_check(tmp_path, column, values):
    """data check called text strikes and closes an error (wrong_type) while a run cast them and
    traded; '21,000' or '-' then failed with DuckDB's 'Could not convert string', naming no file."""
    path = write(tmp_path, with_column(options(), column, values, pa.string()))
    with pytest.raises(DataError, match=rf"options: column '{column}' \({column}\) in .*o.parquet is VARCHAR, "
                                        rf"not a number; rewrite it as numbers \(pandas: pd.to_numeric"):
        fills(path)
    assert checks(path) == [("error", "wrong_type", str(path / "o.parquet"))]


def test_a_text_close_no_run_reads_is_still_no_refusal(tmp_path):
    """price = "mid" reads bid and ask only: the close's type does not matter (a sell fills at
    the bid, 105 - 1, the buy back at the ask, 110 + 1)."""
    rows = [{**r, "bid": r["close"] - 1, "ask": r["close"] + 1, "close": "n/a"} for r in options()]
    path = write(tmp_path, rows, ocols='bid = "bid", ask = "ask"', extra='price = "mid"')
    assert fills(path) == [("09:20", 104.0, 111.0)]


@pytest.mark.parametrize("table", ["options", "spot"])
@pytest.mark.parametrize("unit, scale", [("s", 1), ("ms", 1000)])
def test_epoch_numbers_as_ts_are_refused_naming_the_file_and_the_fix(tmp_path, table, unit, scale):
    """'options: column 'ts' is BIGINT, not a timestamp' named no file and no fix, and data check
    filed it as missing_column."""
    def epoch(rows):
        return with_column(rows, "ts", [int((r["ts"] - datetime(1970, 1, 1)).total_seconds()) * scale
                                        for r in rows], pa.int64())
    path = write(tmp_path, epoch(options()) if table == "options" else options(),
                 epoch(spot()) if table == "spot" else spot())
    name = "o.parquet" if table == "options" else "s.parquet"
    with pytest.raises(DataError, match=rf"{table}: column 'ts' \(ts\) in .*{name} is BIGINT, not a timestamp; "
                                        r"write it as a timestamp.*pd.to_datetime"):
        fills(path)
    assert checks(path) == [("error", "wrong_type", str(path / name))]


# -- strikes with binary noise ---------------------------------------------------------------------

def test_strikes_in_binary_noise_throughout_trade_as_written(tmp_path):
    path = write(tmp_path, with_column(options(), "strike", [20999.999999] * 30, pa.float64()))
    res = run_backtest(At0920, data=load_dataset(path))
    assert [(t.leg.instrument.strike, t.entry_price, t.exit_price) for t in res.trades] == [(20999.999999, 105.0, 110.0)]


@pytest.mark.parametrize("noisy", [20999.999999, 21000.000001])
def test_one_strike_written_two_ways_is_refused_not_a_silent_miss(tmp_path, noisy):
    """The calls at 21000.0, the puts at 20999.999999 (a float32 file beside a float64 one writes
    17.55 as 17.549999237): the chain listed two strikes, ATM took 21000.0, its put was 'not
    listed' and the straddle never filled, exit 0, no skip. Now the day is a data error naming
    both spellings and the fix (a dataset of that one day: the run stops with it)."""
    from tests.kit import SellAtmStraddle
    rows = [{**r, "strike": noisy} if r["opt_type"] == "PE" else r for r in options()]
    path = write(tmp_path, rows)
    with pytest.raises(DataError, match=rf"options: 2024-01-02, expiry 2024-01-04 lists strikes .*{noisy}.* "
                                        r"one strike written two ways.*round the strike column"):
        run_backtest(SellAtmStraddle, data=load_dataset(path))
    found = check_dataset(load_dataset(path)).findings
    assert [(f.level, f.check, f.count) for f in found if f.level != "note"] == [
        ("error", "strikes_written_two_ways", 1)]
    assert "one strike written two ways" in found[0].detail and repr(noisy) in found[0].detail


# -- an empty file among the others -----------------------------------------------------------------

def test_an_empty_frame_of_untyped_columns_beside_real_files_is_no_refusal(tmp_path):
    """pandas writes an empty DataFrame's object columns with parquet's Null type; such a file
    (no rows) refused the whole dataset: "column 'ts' holds numbers in a_empty.parquet but dates
    or times in b.parquet" (it holds nothing), and data check filed it as missing_column."""
    (tmp_path / "o").mkdir()
    names = ["ts", "underlying", "expiry", "strike", "opt_type", "close"]
    pq.write_table(pa.table({c: pa.array([], pa.null()) for c in names}), tmp_path / "o" / "a_empty.parquet")
    pq.write_table(pa.Table.from_pylist(options()), tmp_path / "o" / "b.parquet")
    path = write(tmp_path, options())
    (path / "o.parquet").unlink()
    (path / "dataset.toml").write_text((path / "dataset.toml").read_text().replace('"o.parquet"', '"o/*.parquet"'))
    assert fills(path) == RIGHT
    assert checks(path) == [("warning", "empty_files", str(path / "o" / "a_empty.parquet"))]


def test_a_series_column_of_a_type_no_query_reads_is_a_wrong_type_finding(tmp_path):
    """[series.vix] with epoch-second times: refused like the options' and the spot's, and data
    check files it as wrong_type (it said missing_column)."""
    vix = [{"ts": int((minute(k) - datetime(1970, 1, 1)).total_seconds()), "close": 15.0} for k in range(1, 16)]
    path = write(tmp_path, options())
    pq.write_table(pa.Table.from_pylist(vix), tmp_path / "vix.parquet")
    (tmp_path / "dataset.toml").write_text((tmp_path / "dataset.toml").read_text()
                                           + '[series.vix]\npath = "vix.parquet"\n')
    assert checks(path) == [("error", "wrong_type", str(path / "vix.parquet"))]


# -- an underlying column under another name ------------------------------------------------------------

@pytest.mark.parametrize("name", ["symbol", "Symbol", "root", "ticker", "name"])
def test_an_unmapped_column_named_like_the_underlying_is_refused_not_ignored(tmp_path, name):
    """Options of NIFTY and BANKNIFTY (its weekly on the 3rd) with the underlying in a 'symbol'
    column: the default 'underlying' was absent, so no row was filtered and the NIFTY run sold
    BANKNIFTY's 48000 call of the 3rd as NIFTY's (5105 -> 5110), exit 0, data check clean."""
    bank = [{**r, "expiry": date(2024, 1, 3)} for r in banknifty()]
    rows = [{(name if k == "underlying" else k): v for k, v in r.items()} for r in options() + bank]
    path = write(tmp_path, rows)
    with pytest.raises(DataError, match=rf"options: the files have no column 'underlying' but one named '{name}'.*"
                                        rf"underlying = \"{name}\".*underlying = \"\""):
        fills(path)
    assert [c for _, c, _ in checks(path)] == ["missing_column"]
    write(tmp_path, rows, ocols=f'underlying = "{name}"')
    assert fills(path) == RIGHT


def renamed(rows: list[dict], name: str, values) -> list[dict]:
    """``rows`` with 'underlying' replaced by a column ``name`` holding ``values(row)``."""
    return [{**{k: v for k, v in r.items() if k != "underlying"}, name: values(r)} for r in rows]


def trading_symbol(r: dict) -> str:
    return f"{r['underlying']}24JAN{int(r['strike'])}{r['opt_type']}"


def occ_symbol(r: dict) -> str:
    return f"{r['underlying']:<6}240104{r['opt_type'][0]}{int(r['strike'] * 1000):08d}"


@pytest.mark.parametrize("stats", [True, False], ids=["footer statistics", "no statistics"])
@pytest.mark.parametrize("values", [trading_symbol, occ_symbol, lambda r: "NIFTY 50", lambda r: "nifty"],
                         ids=["trading symbols", "OCC symbols", "one other spelling", "the name in lower case"])
def test_an_unmapped_symbol_column_of_one_underlying_is_left_unread(tmp_path, values, stats):
    """The common vendor file of one underlying whose 'symbol' holds the trading symbol
    (NIFTY24JAN21000CE) or one name in every row was refused as if it might hold two (map it, or
    set underlying = ""): nothing there needs filtering. With or without footer statistics
    (without, the column is read once to show it). The run and data check go on."""
    rows = renamed(options(), "symbol", values)
    path = write(tmp_path, [])
    pq.write_table(pa.Table.from_pylist(rows), path / "o.parquet", write_statistics=stats)
    assert fills(path) == RIGHT
    assert checks(path) == []


@pytest.mark.parametrize("other", ["BANKNIFTY", "NIFTYNXT50"])
@pytest.mark.parametrize("stats", [True, False], ids=["footer statistics", "no statistics"])
def test_trading_symbols_of_two_underlyings_are_refused(tmp_path, other, stats):
    """NIFTY's and another underlying's trading symbols in one 'symbol' column: refused, naming
    a value of the other (NIFTYNXT50... starts with NIFTY but is no NIFTY contract). Unmapped,
    the NIFTY run would price the other's rows as NIFTY's."""
    bank = [{**r, "expiry": date(2024, 1, 3)} for r in options(other, 48000.0, 5000.0)]
    rows = renamed(options() + bank, "symbol", trading_symbol)
    path = write(tmp_path, [])
    pq.write_table(pa.Table.from_pylist(rows), path / "o.parquet", write_statistics=stats)
    with pytest.raises(DataError, match=rf"one named 'symbol', whose values show another underlying than the "
                                        rf"dataset's 'NIFTY' \('{other}24JAN48000"):
        fills(path)
    assert [c for _, c, _ in checks(path)] == ["missing_column"]


def test_a_spot_symbol_column_of_one_underlying_is_left_unread(tmp_path):
    spot_rows = [{**r, "symbol": "NIFTY 50"} for r in spot()]
    assert fills(write(tmp_path, options(), spot_rows, scols="")) == RIGHT


def test_an_underlying_column_set_to_none_is_not_second_guessed(tmp_path):
    rows = [{("symbol" if k == "underlying" else k): v for k, v in r.items()} for r in options()]
    assert fills(write(tmp_path, rows, ocols='underlying = ""')) == RIGHT


# -- option types the config does not name ----------------------------------------------------------

def test_rows_of_an_option_type_the_config_does_not_name_are_said_not_silently_dropped(tmp_path):
    """Puts spelled 'PA' (not in put_values): a run ignored the rows without a word and said the
    put leg 'had no price yet', hinting at time zones. They are now counted as left-out
    contracts (contracts_left_out: unknown_opt_type, a warning), as bad expiries and strikes
    are; the calls still trade, and a strike only such rows hold is still not listed."""
    rows = [{**r, "opt_type": "PA"} if r["opt_type"] == "PE" else r for r in options()]
    rows += [{**r, "strike": 21050.0, "opt_type": "PA"} for r in options() if r["opt_type"] == "PE"]
    res = run_backtest(At0920, data=load_dataset(write(tmp_path, rows)))
    assert [(t.entry_price, t.exit_price) for t in res.trades] == [(105.0, 110.0)]
    assert res.engine["contracts_left_out"] == {"unknown_opt_type": 2}  # 21000 and 21050, one day
    from optbt.results.explain import left_out_warnings
    assert left_out_warnings(res) == ["left out 2 contract-days listed with an option type not in call_values "
                                      "or put_values (optbt data check names the files)"]


# -- the underlying's own rows in the options files ---------------------------------------------------

UNDERLYING_ROW_SCHEMA = pa.schema([("ts", pa.timestamp("us")), ("underlying", pa.string()), ("expiry", pa.date32()),
                                   ("strike", pa.float64()), ("opt_type", pa.string()), ("close", pa.float64())])


@pytest.mark.parametrize("opt_type, strike, expiry", [
    (None, None, None), ("XX", 0.0, None), ("FUT", None, EXP), ("IDX", 0.0, EXP), (None, 0.0, EXP),
    ("EQ", 21010.0, None),
], ids=["all_null", "xx_zero", "fut_with_expiry", "idx_zero", "null_type_zero", "eq_no_expiry"])
def test_the_underlyings_own_rows_in_the_options_files_are_left_out_and_named(tmp_path, opt_type, strike, expiry):
    """Vendors put the underlying's (or its future's) own rows in the options file: no call or put
    type, and no strike or no expiry. They were never traded, but were counted as an unknown option
    type, and data check's error told the user to add the spelling to call_values or put_values
    (which would list them as calls). Now they are their own left-out reason, underlying_rows:
    the run warns once a day, data check warns with what they are and that the spot comes from
    [spot]; the option's fills are untouched (105 -> 110)."""
    rows = options() + [{"ts": minute(k), "underlying": "NIFTY", "expiry": expiry, "strike": strike,
                         "opt_type": opt_type, "close": 21010.0} for k in range(1, 16)]
    path = write(tmp_path, pa.Table.from_pylist(rows, schema=UNDERLYING_ROW_SCHEMA))
    res = run_backtest(At0920, data=load_dataset(path))
    assert [(t.entry_price, t.exit_price) for t in res.trades] == [(105.0, 110.0)]
    assert res.engine["contracts_left_out"] == {"underlying_rows": 1}  # one day
    from optbt.results.explain import left_out_warnings
    (line,) = left_out_warnings(res)
    assert line.startswith("left out 1 contract-day of rows that are no option") and "[spot]" in line
    report = check_dataset(load_dataset(path))
    (f,) = [f for f in report.findings if f.level != "note"]
    assert (f.level, f.check, f.where, f.count) == ("warning", "underlying_rows", str(path / "o.parquet"), 15)
    assert "call_values" not in f.detail and "[spot]" in f.detail


def test_a_row_of_unknown_type_with_an_expiry_and_strike_is_still_an_unknown_option_type(tmp_path):
    """A NULL type on a row that has an expiry and a strike is an option whose type is missing,
    not the underlying's row: still unknown_opt_type (an error in data check)."""
    rows = options() + [{**r, "strike": 21050.0, "opt_type": None} for r in options() if r["opt_type"] == "PE"]
    path = write(tmp_path, pa.Table.from_pylist(rows, schema=UNDERLYING_ROW_SCHEMA))
    assert run_backtest(At0920, data=load_dataset(path)).engine["contracts_left_out"] == {"unknown_opt_type": 1}
    assert [c for _, c, _ in checks(path)] == ["unknown_opt_type"]


def test_a_dataset_without_a_spot_table_is_refused_saying_the_options_underlying_rows_are_not_read(tmp_path):
    """No [spot]: the underlying's rows in the options files are not read as the spot; the refusal
    said only 'spot: Field required'."""
    path = write(tmp_path, options())
    toml = (path / "dataset.toml").read_text()
    (path / "dataset.toml").write_text(toml.replace('[spot]\npath = "s.parquet"\ncolumns = { underlying = "" }\n', ""))
    with pytest.raises(ConfigError, match=r"no \[spot\] table.*not read as the spot.*\[spot\] path"):
        load_dataset(path)


def test_a_spot_table_that_is_the_options_files_is_refused_not_read_whole(tmp_path):
    """[spot] pointed at the options file (its underlying's rows are in it): every row was read as
    a spot price, so a run stopped at 'conflicting duplicate rows for spot' (101.0 vs 1001.0, the
    options' closes) and data check said conflicting_duplicates. Now refused for what it is, by a
    run and data check, naming the file."""
    rows = options() + [{"ts": minute(k), "underlying": "NIFTY", "expiry": None, "strike": None,
                         "opt_type": None, "close": 21010.0} for k in range(1, 16)]
    path = write(tmp_path, pa.Table.from_pylist(rows, schema=UNDERLYING_ROW_SCHEMA))
    toml = (path / "dataset.toml").read_text()
    (path / "dataset.toml").write_text(toml.replace('path = "s.parquet"', 'path = "o.parquet"'))
    with pytest.raises(DataError, match=r"spot: .*o.parquet holds? the options' 'expiry', 'strike' and 'opt_type'.*"
                                        r"a file of their own"):
        fills(path)
    assert checks(path) == [("error", "files", str(path / "o.parquet"))]


def test_a_run_warns_of_forward_filled_bars_on_its_first_day_and_fills_as_before(tmp_path):
    """The CE's 09:21 and 09:22 bars repeat its 09:20 bar (close 105) with volume 0, a vendor's
    fill: the run's fills are unchanged (105 -> 110), and it now says so of its first day: 2 of
    the day's 30 option bars (6.7%); the files hold no open, high or low, so only the close is
    compared."""
    rows = [{**r, "volume": 10} for r in options()]
    for r in rows:
        if r["opt_type"] == "CE" and r["ts"] in (minute(6), minute(7)):
            r.update(close=105.0, volume=0)
    res = run_backtest(At0920, data=load_dataset(write(tmp_path, rows)))
    assert [(t.entry_price, t.exit_price) for t in res.trades] == [(105.0, 110.0)]
    (hint,) = res.engine["data_hints"]
    assert hint.startswith("options: 2 of 30 option bars on 2024-01-02, the run's first day, (6.7%) have volume 0 "
                           "and repeat their contract's previous bar (close)")
    rows = [{**r, "volume": 10} for r in options()]
    rows[0]["volume"] = 0  # the CE's first bar: volume 0, but it repeats nothing
    res = run_backtest(At0920, data=load_dataset(write(tmp_path, rows)))
    assert "data_hints" not in res.engine


# -- bars wider than bar_minutes --------------------------------------------------------------------

def five_minute_bars(tmp_path, extra: str, spot_every: int = 5):
    """5-minute bars labelled by their start: the 09:20 bar (09:20-09:25) closes at the price of
    09:25, CE 110; known at 09:25, never before."""
    def at(k):
        return datetime.combine(DAY, time(9, 15)) + timedelta(minutes=k)
    opts = [{"ts": at(k), "underlying": "NIFTY", "expiry": EXP, "strike": 21000.0, "opt_type": ot,
             "close": float(p + k + 5)} for k in range(0, 150, 5) for ot, p in (("CE", 100), ("PE", 1000))]
    sp = [{"ts": at(k), "close": 21010.0} for k in range(0, 150, spot_every)]
    path = write(tmp_path, opts, sp, extra=extra)
    text = (path / "dataset.toml").read_text().replace('end = "09:30"', 'end = "11:45"')
    (path / "dataset.toml").write_text(text)
    return path


def test_start_labelled_bars_wider_than_bar_minutes_are_refused_not_read_early(tmp_path):
    """bar_minutes = 1 (the default) shifts a start-labelled bar by one minute: the 09:20 bar of
    5 minutes was used at 09:21, four minutes before it closed (sold at 110, the 09:25 price),
    exit 0; data check said only 'gaps'. Refused naming the spacing and the fix; with
    bar_minutes = 5 the same files fill 105 -> 110."""
    path = five_minute_bars(tmp_path, 'bar_label = "start"')
    with pytest.raises(DataError, match=r"spot bars are 5 minutes apart .* bar_minutes = 1: .* set bar_minutes = 5"):
        fills(path)
    assert ("error", "bars_wider_than_bar_minutes") in {(lv, c) for lv, c, _ in checks(path)}
    assert fills(five_minute_bars(tmp_path, 'bar_label = "start"\nbar_minutes = 5')) == RIGHT


def test_start_labelled_option_bars_wider_than_bar_minutes_beside_a_minute_spot_are_refused(tmp_path):
    path = five_minute_bars(tmp_path, 'bar_label = "start"', spot_every=1)
    with pytest.raises(DataError, match=r"options bars are 5 minutes apart"):
        fills(path)


def test_a_run_names_the_file_of_a_refused_value_among_several(tmp_path):
    """A value refused row by row (here a 7-digit expiry in the second of two option files) came
    out with its column and value but no file: the run now names the file, as data check does."""
    rows = options()
    path = write(tmp_path, rows)
    (tmp_path / "o").mkdir()
    pq.write_table(with_column(rows[10:], "expiry", ["2024104"] * (len(rows) - 10), pa.string()),
                   tmp_path / "o" / "b.parquet")
    pq.write_table(with_column(rows[:10], "expiry", ["2024-01-04"] * 10, pa.string()), tmp_path / "o" / "a.parquet")
    (tmp_path / "o.parquet").unlink()
    (path / "dataset.toml").write_text((path / "dataset.toml").read_text().replace('"o.parquet"', '"o/*.parquet"'))
    with pytest.raises(DataError, match=r"7 digits") as err:
        fills(path)
    assert str(err.value).endswith(f"(in {path / 'o' / 'b.parquet'})")
    assert checks(path) == [("error", "unreadable_file", str(path / "o" / "b.parquet"))]
