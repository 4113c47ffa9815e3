"""The bound on the stored time (optbt/data/stored_window.py) never drops a row of its window.

Each query ANDs the bound beside the exact filter on exchange time, so it may only ever let
through *more* rows: the property test checks that on DuckDB itself, for every stored form of
time, in zones with and without DST (and half- and quarter-hour offsets), with windows drawn
around DST changes and at random. The end-to-end tests read one multi-day month file stored
each way, with and without the bound, and compare everything a run reads.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from optbt.data import block_reads, duckdb_source, stored_window
from optbt.data.dataset import DatasetConfig, load_dataset
from optbt.data.duckdb_source import DuckDBSource
from optbt.data.sql_text import bound
from optbt.data.table import Table
from optbt.model.instrument import Instrument

ZONES = ["America/New_York", "Asia/Kolkata", "Australia/Sydney", "Europe/London", "UTC", "Asia/Kathmandu"]
# local wall times in each zone's DST gaps and folds of 2024 (Kathmandu's move to +05:45 in 1986)
EDGES = {"America/New_York": [datetime(2024, 3, 10, 2, 30), datetime(2024, 11, 3, 1, 30)],
         "Europe/London": [datetime(2024, 3, 31, 1, 30), datetime(2024, 10, 27, 1, 30)],
         "Australia/Sydney": [datetime(2024, 4, 7, 2, 30), datetime(2024, 10, 6, 2, 30)],
         "Asia/Kathmandu": [datetime(1986, 1, 1, 0, 7)]}
OFFSETS = [timezone(timedelta(hours=-12)), timezone(timedelta(hours=-5)), UTC,
           timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=5, minutes=45)),
           timezone(timedelta(hours=14))]


def _offset_text(off: timezone, rnd: random.Random) -> str:
    if off is UTC:
        return rnd.choice(["Z", " UTC", "+00:00", "z"])
    m = int(off.utcoffset(None).total_seconds() // 60)
    sign, m = ("+" if m >= 0 else "-"), abs(m)
    return rnd.choice([f"{sign}{m // 60:02d}:{m % 60:02d}", f" {sign}{m // 60:02d}{m % 60:02d}"])


def _local_text(t: datetime, rnd: random.Random) -> str:
    sep = rnd.choice([" ", "T"])
    if t.time() == time(0) and rnd.random() < 0.3:  # midnight written as the day before's 24:00
        return f"{(t.date() - timedelta(days=1)).isoformat()}{sep}24:00:00"
    frac = rnd.choice(["", f".{t.microsecond:06d}", f".{t.microsecond:06d}{rnd.randrange(1000):03d}"])
    return t.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + frac


def _day_and_time(t: datetime, rnd: random.Random) -> tuple[date, str]:
    if t.time() == time(0) and rnd.random() < 0.5:
        return t.date() - timedelta(days=1), "24:00:00"
    return t.date(), t.time().isoformat()


def _yyyymmdd(d: date, rnd: random.Random) -> int:
    # eight digits: an unpadded one (2024113: 2024-01-13 or 2024-11-03) is refused by every query
    # (optbt/data/unpadded_dates.py), which the bound must leave to the exact filter (test below)
    return d.year * 10000 + d.month * 100 + d.day


def _number_and_time(t: datetime, rnd: random.Random) -> tuple[int, str]:
    d, of_day = _day_and_time(t, rnd)
    return _yyyymmdd(d, rnd), of_day


def _stamp_and_time(t: datetime, rnd: random.Random) -> tuple[datetime, str]:
    """A date column holding a naive timestamp: its date counts, not its hour."""
    d, of_day = _day_and_time(t, rnd)
    return datetime.combine(d, time(rnd.randrange(24))), of_day


def _zoned_text(x: datetime, rnd: random.Random) -> str:
    off = rnd.choice(OFFSETS)
    return x.astimezone(off).strftime(f"%Y-%m-%d{rnd.choice(' T')}%H:%M:%S") + _offset_text(off, rnd)


# form -> (columns, SELECT list over the values a and b, a row's (a, b) from its instant and local time)
FORMS = {
    "aware": ({}, "a AS ts", lambda x, t, r: (x, 0)),
    "aware_ns": ({}, "CAST(make_timestamp_ns(epoch_ns(a) + b) AS TIMESTAMPTZ_NS) AS ts",
                 lambda x, t, r: (x, r.randrange(1000))),
    "naive_ns": ({}, "make_timestamp_ns(epoch_ns(CAST(a AS TIMESTAMP)) + b) AS ts",
                 lambda x, t, r: (t, r.randrange(1000))),
    "naive": ({}, "CAST(a AS TIMESTAMP) AS ts", lambda x, t, r: (t, 0)),
    "naive_s": ({}, "CAST(CAST(a AS TIMESTAMP) AS TIMESTAMP_S) AS ts", lambda x, t, r: (t, 0)),
    "date_date": ({"date": "date", "time": "time"}, "CAST(a AS DATE) AS date, CAST(b AS TIME) AS time",
                  lambda x, t, r: _day_and_time(t, r)),
    "date_int": ({"date": "date", "time": "time"}, "CAST(a AS INTEGER) AS date, CAST(b AS TIME) AS time",
                 lambda x, t, r: _number_and_time(t, r)),
    "date_float": ({"date": "date", "time": "time"}, "CAST(a AS DOUBLE) AS date, CAST(b AS TIME) AS time",
                   lambda x, t, r: _number_and_time(t, r)),
    "date_timestamp": ({"date": "date", "time": "time"}, "CAST(a AS TIMESTAMP) AS date, CAST(b AS TIME_NS) AS time",
                       lambda x, t, r: _stamp_and_time(t, r)),
    "text_local": ({}, "CAST(a AS VARCHAR) AS ts", lambda x, t, r: (_local_text(t, r), 0)),
    "text_zoned": ({}, "CAST(a AS VARCHAR) AS ts", lambda x, t, r: (_zoned_text(x, r), 0)),
}


def _table(path, tz: str, columns: dict) -> tuple[duckdb.DuckDBPyConnection, Table]:
    cfg = DatasetConfig.model_validate({"timezone": tz, "options": {"path": str(path), "columns": columns},
                                        "spot": {"path": str(path)}})
    con = duckdb.connect()
    return con, Table(con, cfg, cfg.options, "options")




def near(zone: str):
    """A local time within 90 minutes of one of ``zone``'s DST changes (else of a year's turn)."""
    edges = EDGES.get(zone, [datetime(2024, 1, 1)])
    return st.builds(lambda e, m: e + timedelta(minutes=m), st.sampled_from(edges), st.integers(-90, 90))


@st.composite
def windows(draw) -> tuple[str, datetime, datetime]:
    """(zone, lo, hi): each end near a DST change, or anywhere (hi up to three days after lo)."""
    zone = draw(st.sampled_from(ZONES))
    lo = draw(st.one_of(near(zone), st.datetimes(datetime(1995, 1, 1), datetime(2035, 12, 31))))
    hi = draw(st.one_of(near(zone), st.builds(lambda m: lo + timedelta(minutes=m), st.integers(0, 3 * 1440))))
    return (zone, lo, hi) if lo <= hi else (zone, hi, lo)


# rows: minutes from the window's start (False) or end (True), most of them near it
rows = st.lists(st.tuples(st.booleans(), st.one_of(st.integers(-150, 150), st.integers(-3 * 1440, 3 * 1440))),
                min_size=1, max_size=40)


@pytest.mark.parametrize("form", list(FORMS))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(window=windows(), seed=st.integers(0, 2 ** 32 - 1), spread=rows)
@example(window=("America/New_York", datetime(2024, 11, 3), datetime(2024, 11, 3, 1, 30)), seed=1,
         spread=[(True, -m) for m in range(0, 60, 5)])  # hi in the fold: rows of its second reading
@example(window=("America/New_York", datetime(2024, 3, 10, 2, 30), datetime(2024, 3, 10, 5)), seed=1,
         spread=[(False, m) for m in range(0, 60, 5)])  # lo in the gap: rows just after it
def test_the_bound_keeps_every_row_of_the_window(tmp_path_factory, form, window, seed, spread):
    columns, select, make = FORMS[form]
    rnd = random.Random(seed)
    zone, lo, hi = window
    lo = lo.replace(second=rnd.choice([0, 0, 59]), microsecond=rnd.choice([0, 0, 999999]))
    hi = max(lo, hi)
    a, b = [], []
    for at_end, m in spread:  # rows around the window's ends (either reading of a time in a fold or gap)
        end = (hi if at_end else lo).replace(tzinfo=ZoneInfo(zone), fold=rnd.randrange(2)).astimezone(UTC)
        x = end + timedelta(minutes=m, seconds=rnd.choice([0, 0, 30]), microseconds=rnd.choice([0, 1, 999999]))
        va, vb = make(x, x.astimezone(ZoneInfo(zone)).replace(tzinfo=None), rnd)
        a.append(va)
        b.append(vb)
    path = tmp_path_factory.mktemp(form) / "t.parquet"
    writer = duckdb.connect()
    writer.execute("SET TimeZone = 'UTC'")
    writer.execute(f"COPY (SELECT {select} FROM (SELECT unnest($a) AS a, unnest($b) AS b)) TO '{path}' "
                   "(FORMAT parquet)", {"a": a, "b": b})
    con, table = _table(path, zone, columns)
    if form.startswith("text"):
        table.prove_text(con, zone)
        assert table.text_days is not None  # every text here is ISO and converts
    where, params = table.stored_window(lo, hi, zone)
    assert where  # every form here is bounded
    exact = table.ts_expr(zone)
    sql = (f"SELECT count(*) FILTER (WHERE NOT coalesce(TRUE{where}, false)), count(*) FROM read_parquet($f) "
           f"WHERE {exact} BETWEEN $lo AND $hi")
    dropped, _ = con.execute(sql, bound(sql, {"f": str(path), "lo": lo, "hi": hi, "tz": zone, **params})).fetchone()
    assert dropped == 0, (form, zone, lo, hi, where, params)


def test_an_unpadded_yyyymmdd_date_is_left_to_its_refusal_not_bounded_away(tmp_path):
    """2024113 (2024-01-13 or 2024-11-03) beside 20240102: the bound on a window of the 2nd keeps
    the row, so the exact reading refuses it rather than a query quietly leaving it out."""
    path = tmp_path / "t.parquet"
    duckdb.connect().execute(f"COPY (SELECT * FROM (VALUES (20240102, TIME '09:16'), (2024113, TIME '09:16')) "
                             f"AS v(date, time)) TO '{path}' (FORMAT parquet)")
    con, table = _table(path, "Asia/Kolkata", {"date": "date", "time": "time"})
    where, params = table.stored_window(datetime(2024, 1, 2, 9), datetime(2024, 1, 2, 16), "Asia/Kolkata")
    assert where
    sql = f"SELECT count(*) FROM read_parquet($f) WHERE TRUE{where} AND {table.ts_expr('Asia/Kolkata')} IS NOT NULL"
    with pytest.raises(duckdb.Error, match=r"dates \(column 'date'\) hold 2024113, 7 digits"):
        con.execute(sql, bound(sql, {"f": str(path), "tz": "Asia/Kolkata", **params})).fetchall()


def _proven_texts(tmp_path, second: str) -> Table:
    """A table of text timestamps '2024-01-02 09:16:00' and ``second``, its text proof taken."""
    path = tmp_path / "t.parquet"
    duckdb.connect().execute(f"COPY (SELECT * FROM (VALUES ('2024-01-02 09:16:00'), ('{second}'))"
                             f" t(ts)) TO '{path}' (FORMAT parquet)")
    con, table = _table(path, "Asia/Kolkata", {})
    table.prove_text(con, "Asia/Kolkata")
    return table


@pytest.mark.parametrize("second", [
    " 2024-01-03 09:16:00",  # not ISO at its start: text order is not date order
    # a value the exact conversion refuses (an abbreviation for a zone) fails every query of its
    # files, as before: no bound may hide it from the days it is not on
    "2024-01-03 09:16:00 IST"])
def test_text_not_iso_or_refused_is_not_bounded(tmp_path, second):
    table = _proven_texts(tmp_path, second)
    assert table.text_days is None and not table.text_plain
    assert table.stored_window(datetime(2024, 1, 2, 9, 15), datetime(2024, 1, 2, 15, 30), "Asia/Kolkata") == ("", {})


def test_day_folders_get_no_bound(tmp_path):
    folder = tmp_path / "day=2024-01-02"
    folder.mkdir()
    duckdb.connect().execute(f"COPY (SELECT TIMESTAMPTZ '2024-01-02 03:46:00+00' AS ts) TO '{folder / 'a.parquet'}'"
                             " (FORMAT parquet)")
    cfg = DatasetConfig.model_validate({"timezone": "Asia/Kolkata", "spot": {"path": "-"}, "options": {
        "path": str(tmp_path / "*" / "*.parquet"), "hive_partitioning": True, "day_partition": "day"}})
    table = Table(duckdb.connect(), cfg, cfg.options, "options")
    assert table.stored_window(datetime(2024, 1, 2, 9, 15), datetime(2024, 1, 2, 15, 30), "Asia/Kolkata") == ("", {})


# -- a window within one day on dates and times: read off the raw columns, exactly -----------------
def _same_rows(con, table: Table, path, lo: datetime, hi: datetime, zone: str = "Asia/Kolkata") -> bool:
    """The rows stored_window.exact_window picks are those of exchange time in (lo, hi]; False
    where it declines (the exact filter then stays)."""
    got = stored_window.exact_window(table, lo, hi, stored_window.SteadyZone(con, zone))
    if got is None:
        return False
    where, params = got
    known = table.ts_expr(zone)
    exact = f"SELECT * FROM read_parquet($f) WHERE {known} > $lo AND {known} <= $hi ORDER BY ALL"
    raw = f"SELECT * FROM read_parquet($f) WHERE TRUE{where} ORDER BY ALL"
    assert (con.execute(raw, bound(raw, {"f": str(path), **params})).fetchall()
            == con.execute(exact, bound(exact, {"f": str(path), "lo": lo, "hi": hi, "tz": zone})).fetchall())
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day=st.dates(date(1990, 1, 1), date(2035, 12, 31)), ends=st.tuples(st.times(), st.times()),
       seed=st.integers(0, 2 ** 32 - 1), spread=rows)
@example(day=date(2024, 1, 2), ends=(time(0), time(23, 59, 59, 999999)), seed=1,  # the whole day: midnights
         spread=[(at_end, m) for at_end in (False, True) for m in (-1441, -1440, -1, 0, 1, 1440)])
def test_a_window_within_one_day_on_dates_and_times_picks_the_same_rows(tmp_path_factory, day, ends, seed, spread):
    """The filter on the raw DATE and TIME (stored_window.exact_window) keeps exactly the rows whose
    exchange time lies in (lo, hi]: rows near both ends, of the days before and after, a
    midnight written as the day before's 24:00, microseconds either side, NULLs."""
    rnd = random.Random(seed)
    lo, hi = (datetime.combine(day, t) for t in sorted(ends))
    if lo == hi:
        hi = lo + timedelta(microseconds=1)
        if hi.date() != day:
            return
    days, times = [None, day], [time(9, 16).isoformat(), None]  # a row without a date, one without a time
    for at_end, m in spread:
        x = (hi if at_end else lo) + timedelta(minutes=m, microseconds=rnd.choice([0, 0, 1, -1]))
        d, of_day = _day_and_time(x, rnd)
        days.append(d)
        times.append(of_day)
    path = tmp_path_factory.mktemp("exact") / "t.parquet"
    duckdb.connect().execute(f"COPY (SELECT CAST(a AS DATE) AS date, CAST(b AS TIME) AS time FROM (SELECT "
                             f"unnest($a) AS a, unnest($b) AS b)) TO '{path}' (FORMAT parquet)", {"a": days, "b": times})
    con, table = _table(path, "Asia/Kolkata", {"date": "date", "time": "time"})
    assert _same_rows(con, table, path, lo, hi)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(window=windows(), sep=st.sampled_from([" ", "T"]), seed=st.integers(0, 2 ** 32 - 1), spread=rows)
def test_text_of_one_fixed_width_picks_a_windows_rows_by_its_text(tmp_path_factory, window, sep, seed, spread):
    """Every value YYYY-MM-DD HH:MM:SS (one separator): the comparison of the text itself
    (stored_window.exact_window) keeps exactly the rows the parsed time keeps, lo and hi at
    any microsecond."""
    rnd = random.Random(seed)
    _, lo, hi = window
    lo = lo.replace(microsecond=rnd.choice([0, 0, 1, 999999]))
    hi = hi.replace(microsecond=rnd.choice([0, 0, 1, 999999]))
    if not lo < hi:
        return
    texts = [None]
    for at_end, m in spread:
        x = (hi if at_end else lo) + timedelta(minutes=m, seconds=rnd.choice([-1, 0, 0, 1]))
        texts.append(x.strftime(f"%Y-%m-%d{sep}%H:%M:%S"))
    path = tmp_path_factory.mktemp("fixed") / "t.parquet"
    duckdb.connect().execute(f"COPY (SELECT unnest($a) AS ts) TO '{path}' (FORMAT parquet)", {"a": texts})
    con, table = _table(path, "Asia/Kolkata", {})
    table.prove_text(con, "Asia/Kolkata")
    assert table.text_fixed == sep and table.text_plain
    assert _same_rows(con, table, path, lo, hi)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(window=windows(), seed=st.integers(0, 2 ** 32 - 1), spread=rows)
@example(window=("Asia/Kolkata", datetime(2024, 1, 2, 9, 15), datetime(2024, 1, 2, 15, 30)), seed=1,
         spread=[(at_end, m) for at_end in (False, True) for m in (-1440, -331, -330, -1, 0, 1, 330, 1440)])
def test_instants_of_a_steady_offset_pick_a_windows_rows_by_the_instant(tmp_path_factory, window, seed, spread):
    """tz-aware instants: where the zone's offset does not change near the window, comparing the
    instants (stored_window.exact_window) keeps exactly the rows the converted time keeps; rows
    of both readings of a time in a fold or gap, in zones with and without summer time."""
    rnd = random.Random(seed)
    zone, lo, hi = window
    lo = lo.replace(microsecond=rnd.choice([0, 0, 1, 999999]))
    if not lo < hi:
        return
    instants_ = [None]
    for at_end, m in spread:
        end = (hi if at_end else lo).replace(tzinfo=ZoneInfo(zone), fold=rnd.randrange(2)).astimezone(UTC)
        instants_.append(end + timedelta(minutes=m, microseconds=rnd.choice([0, 0, 1, -1])))
    path = tmp_path_factory.mktemp("instants") / "t.parquet"
    writer = duckdb.connect()
    writer.execute("SET TimeZone = 'UTC'")
    writer.execute(f"COPY (SELECT unnest($a) AS ts) TO '{path}' (FORMAT parquet)", {"a": instants_})
    con, table = _table(path, zone, {})
    _same_rows(con, table, path, lo, hi, zone)


@pytest.mark.parametrize("zone, day, steady_", [
    ("Asia/Kolkata", date(2024, 1, 2), True),
    ("UTC", date(2024, 3, 10), True),
    ("America/New_York", date(2024, 3, 10), False),  # the day summer time starts
    ("America/New_York", date(2024, 3, 12), False),  # two days after: within the margin
    ("America/New_York", date(2024, 3, 8), False),  # two days before
    ("America/New_York", date(2024, 3, 14), True),
    ("Europe/London", date(2024, 10, 28), False),  # the day after it ends
    ("Not/AZone", date(2024, 1, 2), False),
])
def test_instants_are_compared_only_where_the_zones_offset_is_steady(tmp_path, zone, day, steady_):
    path = tmp_path / "t.parquet"
    duckdb.connect().execute(f"COPY (SELECT TIMESTAMPTZ '2024-01-02 03:46:00+00' AS ts) TO '{path}' (FORMAT parquet)")
    con, table = _table(path, zone if zone != "Not/AZone" else "UTC", {})
    lo, hi = datetime.combine(day, time(9, 15)), datetime.combine(day, time(15, 30))
    steady = stored_window.SteadyZone(con, zone)
    assert (stored_window.exact_window(table, lo, hi, steady) is not None) is steady_
    assert stored_window.exact_window(table, lo, hi + timedelta(days=2), steady) is None  # a window of days
    assert stored_window.exact_window(table, lo, hi) is None  # a caller without the zone's offsets


@pytest.mark.parametrize("other", [
    "2024-01-02T09:17:00",  # the other separator: ' ' sorts before 'T'
    "2024-01-02 09:17",  # no seconds
    "2024-01-02 09:17:00.5",  # a fraction
    "2024-01-01 24:00:00",  # midnight as the day before's 24:00
    "2024-01-02 09:17:00+05:30"])  # an offset
def test_text_not_of_one_fixed_width_is_not_compared_as_text(tmp_path, other):
    table = _proven_texts(tmp_path, other)
    assert table.text_fixed == ""
    assert stored_window.exact_window(table, datetime(2024, 1, 2, 9), datetime(2024, 1, 2, 16)) is None


@pytest.mark.parametrize("columns, select, lo, hi", [
    ({"date": "date", "time": "time"}, "DATE '2024-01-02' AS date, TIME '09:16' AS time",
     datetime(2024, 1, 2, 15), datetime(2024, 1, 3, 9)),  # across midnight
    ({"date": "date", "time": "time"}, "DATE '2024-01-02' AS date, CAST(TIME '09:16' AS TIME_NS) AS time",
     datetime(2024, 1, 2, 9), datetime(2024, 1, 2, 16)),  # nanoseconds round up to the next microsecond
    ({"date": "date", "time": "time"}, "20240102 AS date, TIME '09:16' AS time",
     datetime(2024, 1, 2, 9), datetime(2024, 1, 2, 16)),  # a yyyymmdd number
    ({"date": "date", "time": "time"}, "DATE '2024-01-02' AS date, '09:16:00' AS time",
     datetime(2024, 1, 2, 9), datetime(2024, 1, 2, 16)),  # text: refused row by row when not a time
    ({}, "TIMESTAMP '2024-01-02 09:16' AS ts", datetime(2024, 1, 2, 9), datetime(2024, 1, 2, 16)),
])
def test_other_stored_times_keep_the_exact_filter(tmp_path, columns, select, lo, hi):
    path = tmp_path / "t.parquet"
    duckdb.connect().execute(f"COPY (SELECT {select}) TO '{path}' (FORMAT parquet)")
    _, table = _table(path, "Asia/Kolkata", columns)
    assert stored_window.exact_window(table, lo, hi, stored_window.SteadyZone(duckdb.connect(), "Asia/Kolkata")) is None


# -- end to end: a month file stored each way reads as the naive one ------------------------------
ZONE = "America/New_York"  # the days span its DST change of 2024-03-10
STORED = {  # form -> (SELECT list over a naive exchange-time row, its [columns] lines)
    "naive": ("*", ""),
    "utc": ("* REPLACE (timezone($tz, ts) AS ts)", ""),
    "date_time": ("* EXCLUDE (ts), CAST(ts AS DATE) AS date, CAST(ts AS TIME) AS time", 'date = "date"\ntime = "time"\n'),
    "int_time": ("* EXCLUDE (ts), CAST(strftime(ts, '%Y%m%d') AS INTEGER) AS d, CAST(ts AS TIME) AS t",
                 'date = "d"\ntime = "t"\n'),
    "text": ("* REPLACE (strftime(ts, '%Y-%m-%d %H:%M:%S') AS ts)", ""),
    "text_zoned": ("* REPLACE (strftime(timezone('UTC', timezone($tz, ts)), '%Y-%m-%dT%H:%M:%S') || 'Z' AS ts)", ""),
}


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """Eight synthetic days from 2024-03-06, each stored form in one options and one spot file of
    small row groups (so that a day's query skips some), the zone New York's."""
    from optbt.data.synth import generate
    root = tmp_path_factory.mktemp("stored")
    src = generate(root / "synth", days=8, start=date(2024, 3, 6), strikes_each_side=4)
    con = duckdb.connect()
    out = {}
    for form, (select, columns) in STORED.items():
        folder = root / form
        folder.mkdir()
        for kind in ("options", "spot"):
            con.execute(f"COPY (SELECT {select} FROM (SELECT * EXCLUDE (day) FROM read_parquet($f, "
                        f"hive_partitioning=true) ORDER BY ts)) TO '{folder / kind}.parquet' "
                        "(FORMAT parquet, ROW_GROUP_SIZE 4096)",
                        {"f": str(src / kind / "*" / "*.parquet"), **({"tz": ZONE} if "$tz" in select else {})})
        tables = "".join(f'[{k}]\npath = "{k}.parquet"\n' + (f"[{k}.columns]\n{columns}" if columns else "")
                         for k in ("options", "spot"))
        (folder / "dataset.toml").write_text(f'underlying = "NIFTY"\ntimezone = "{ZONE}"\nstrike_step = 50\n'
                                             f'[session]\nstart = "09:15"\nend = "15:30"\n{tables}')
        out[form] = folder
    return out


def _everything(folder, end_from_data: bool = False) -> dict:
    """What a run reads of every day: days, chains, sessions (``end_from_data``: ended by the
    day's last option bar, which the chain listing reads), spot and whole bars, some contracts'
    bars and a chain's bars in a window."""
    cfg = load_dataset(folder)
    if end_from_data:
        cfg = cfg.model_copy(update={"session": cfg.session.model_copy(update={"end_from_data": True})})
    src = DuckDBSource(cfg, read_ahead=False)
    days = src.trading_days()
    got = {"days": days, "option_days": src.option_days(), "some_days": src.option_days(days[2], days[4])}
    for d in days:
        chain = src.chain(d)
        open_, close = src.session(d)
        spot = src.spot_bars(d)
        e = chain.expiries[0]
        k = chain.strikes[e][len(chain.strikes[e]) // 2]
        insts = [Instrument("NIFTY", e, k, "CE"), Instrument("NIFTY", e, k, "PE")]
        got[d] = (chain, (open_, close), spot, src.ohlc_bars(d), src.option_bars(d, insts),
                  src.chain_bars(d, None, e, "PE", open_ + timedelta(minutes=30), open_ + timedelta(minutes=90)))
    src.close()
    return got


@pytest.fixture(scope="module")
def naive_reads(month):
    return {end: _everything(month["naive"], end) for end in (False, True)}


@pytest.mark.parametrize("end_from_data", [False, True])
@pytest.mark.parametrize("form", [f for f in STORED if f != "naive"])
def test_a_month_file_reads_the_same_with_the_bound_without_it_and_naive(month, naive_reads, form, end_from_data,
                                                                         monkeypatch):
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")
    with_bound = _everything(month[form], end_from_data)
    assert with_bound == naive_reads[end_from_data]
    assert len(with_bound["days"]) == 8 and all(with_bound[d][4] for d in with_bound["days"])
    monkeypatch.setattr(Table, "bound_stored", False)  # the code before: exact filters only, every row converted
    for module in (block_reads, duckdb_source):
        monkeypatch.setattr(module, "costly", lambda table: False)
    assert _everything(month[form], end_from_data) == with_bound


def test_start_labelled_dates_and_times_read_as_the_naive_file(month, tmp_path, monkeypatch):
    """Bars labelled by their start are known a minute later: the one-day window on the raw date
    and time (stored_window.exact_window) is taken a minute earlier, as the exact filter is."""
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")
    reads = []
    for form in ("naive", "date_time"):
        folder = tmp_path / form
        folder.mkdir()
        text = (month[form] / "dataset.toml").read_text()
        for kind in ("options", "spot"):
            text = text.replace(f'path = "{kind}.parquet"', f"path = {str(month[form] / kind) + '.parquet'!r}")
        (folder / "dataset.toml").write_text('bar_label = "start"\n' + text)
        reads.append(_everything(folder))
    assert reads[0] == reads[1] and all(reads[1][d][4] for d in reads[1]["days"])


@pytest.mark.parametrize("form", ["utc", "date_time", "text", "text_zoned"])
def test_the_bound_is_in_the_queries(month, form, monkeypatch):
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")
    src = DuckDBSource(load_dataset(month[form]), read_ahead=False)
    d = src.trading_days()[3]  # the calendar: every stored time, no window
    seen = []
    run = src._run
    src._run = lambda sql, params: seen.append(sql) or run(sql, params)
    e = src.chain(d).expiries[0]
    src.chain_bars(d, None, e, "CE", None, src.session(d)[1])
    listing, bars = seen  # the listing, the bars
    assert "$sw0" in listing and "$sw1" in listing
    if form in ("date_time", "text"):  # the raw date and time, or the text, replace the exact filter
        assert "$xt0" in bars and src._opt_known not in bars.split(" WHERE ")[1]
    else:
        assert "$sw0" in bars and "$sw1" in bars
    src.close()


def test_proven_plain_text_is_cast_as_written_with_the_full_conversions_result(tmp_path):
    """Text proven ISO with no zone anywhere is read by a plain cast instead of the per-row
    parsing of what follows the time: the same instant for every spelling the parsing reads
    (a 'T', fractions to nanoseconds, 24:00:00, a date alone); any zone keeps the parsing."""
    rnd = random.Random(7)
    start = datetime(2024, 1, 1)
    texts = [_local_text(start + timedelta(seconds=rnd.randrange(400 * 86400), microseconds=rnd.randrange(10**6)),
                         rnd) for _ in range(400)] + ["2024-01-02", "2024-01-02 09:16", "2024-01-01T24:00:00"]
    path = tmp_path / "t.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT unnest($t) AS ts) TO '{path}' (FORMAT parquet)", {"t": texts})
    con, table = _table(path, "Asia/Kolkata", {})
    full = table.ts_expr("Asia/Kolkata")
    table.prove_text(con, "Asia/Kolkata")
    assert table.text_plain
    plain = table.ts_expr("Asia/Kolkata")
    assert plain != full and "regexp" not in plain
    sql = f"SELECT ts, {full}, {plain} FROM read_parquet($f)"
    rows = con.execute(sql, bound(sql, {"f": str(path), "tz": "Asia/Kolkata"})).fetchall()
    assert len(rows) == len(texts) and all(a == b for _, a, b in rows)
    zoned = tmp_path / "z.parquet"
    con.execute(f"COPY (SELECT unnest($t) AS ts) TO '{zoned}' (FORMAT parquet)", {"t": texts[:5] + ["2024-01-02 09:16+05:30"]})
    con, table = _table(zoned, "Asia/Kolkata", {})
    table.prove_text(con, "Asia/Kolkata")
    assert table.text_days is not None and not table.text_plain


def test_text_proof_is_remembered(month, tmp_path, monkeypatch):
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", str(tmp_path / "chains"))
    first = DuckDBSource(load_dataset(month["text_zoned"]), read_ahead=False)
    assert first.options.text_days is not None and first.spot.text_days is not None
    assert first._index.hits == 0
    first.close()
    from optbt.data.chain_index import ChainIndex
    found, get_meta = [], ChainIndex.get_meta
    monkeypatch.setattr(ChainIndex, "get_meta", lambda self, key: found.append(m := get_meta(self, key)) or m)
    second = DuckDBSource(load_dataset(month["text_zoned"]), read_ahead=False)
    assert len(found) == 2 and None not in found  # options' and spot's proofs, read from the index, not scanned
    assert (second.options.text_days, second.spot.text_days) == (first.options.text_days, first.spot.text_days)
    second.close()


# -- option days from the footers of UTC instants ---------------------------------------------------
def _utc_options(root, files: dict) -> DuckDBSource:
    (root / "o").mkdir()
    for name, local_times in files.items():
        rows = ", ".join(f"(TIMESTAMPTZ '{t.replace(tzinfo=ZoneInfo('Asia/Kolkata')).isoformat()}', 'NIFTY', "
                         "DATE '2024-01-25', 21000.0, 'CE', 100.0)" for t in local_times)
        duckdb.connect().execute(f"COPY (SELECT * FROM (VALUES {rows}) t(ts, underlying, expiry, strike, opt_type, "
                                 f"close)) TO '{root / 'o' / name}' (FORMAT parquet)")
    duckdb.connect().execute(f"COPY (SELECT TIMESTAMP '2024-01-02 09:16' AS ts, 'NIFTY' AS underlying, 21010.0 AS close)"
                             f" TO '{root / 's.parquet'}' (FORMAT parquet)")
    (root / "dataset.toml").write_text('underlying = "NIFTY"\ntimezone = "Asia/Kolkata"\n[options]\n'
                                       'path = "o/*.parquet"\n[spot]\npath = "s.parquet"\n')
    return DuckDBSource(load_dataset(root), read_ahead=False)


def test_utc_footers_settle_days_clear_of_midnight(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")
    src = _utc_options(tmp_path, {
        "a.parquet": [datetime(2024, 1, 2, 9, 16), datetime(2024, 1, 2, 15, 30)],  # settled: the 2nd
        "b.parquet": [datetime(2024, 1, 3, 9, 16), datetime(2024, 1, 4, 15, 30)],  # settled: the 3rd and 4th
        # 01:00 is within three hours of midnight: were the offset to fall back between its two rows,
        # one could be on the 8th; the file is scanned
        "c.parquet": [datetime(2024, 1, 9, 1, 0), datetime(2024, 1, 9, 15, 30)],
    })
    known, unsettled = src._option_days_from_footers(src.options.all_files, "NIFTY")
    assert known == {date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)}
    assert [f.rsplit("/", 1)[-1] for f in unsettled] == ["c.parquet"]
    assert src.option_days() == [date(2024, 1, d) for d in (2, 3, 4, 9)]
    src.close()
