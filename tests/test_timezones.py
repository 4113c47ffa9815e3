"""Time zones: a result is right in exchange time, or refused with the fix; never a day off.

Each dataset is made here, by hand, on the base day of tests/test_data_trust.py (spot 21010,
the 21000 CE at 100 + k and the PE at 90 - k at 09:15 + k; ``Sell`` sells the straddle at 09:17
and buys it back at 09:20).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt import run_backtest
from optbt.data.check import check_dataset
from optbt.data.dataset import load_dataset
from optbt.data.day_folders import RowsInAnotherDaysFolderError
from tests.test_data_trust import DAY, Sell, option_rows, spot_rows

DAY2 = DAY + timedelta(days=1)


def put(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def day_folders(tmp_path, options: dict, spot: dict):
    """Options and spot in day=YYYY-MM-DD/ folders: ``options``/``spot`` map a folder's day to its rows."""
    for side, by_day in (("o", options), ("s", spot)):
        for day, rows in by_day.items():
            put(tmp_path / side / f"day={day.isoformat()}" / "p.parquet", rows)
    (tmp_path / "dataset.toml").write_text(
        'name = "folders"\nunderlying = "NIFTY"\n[options]\npath = "o/*/*.parquet"\nday_partition = "day"\n'
        '[spot]\npath = "s/*/*.parquet"\nday_partition = "day"\n[session]\nstart = "09:15"\nend = "09:22"\n')
    return tmp_path


def trades_by_day(path):
    res = run_backtest(Sell, data=load_dataset(path))
    return [(d.day, d.skip_reason, d.trades) for d in res.daily]


# -- 1. rows stored in another exchange day's folder -------------------------------------------

def test_clean_day_folders_run_as_before(tmp_path):
    path = day_folders(tmp_path, {DAY: option_rows(DAY), DAY2: option_rows(DAY2)},
                       {DAY: spot_rows(DAY), DAY2: spot_rows(DAY2)})
    assert trades_by_day(path) == [(DAY, "", 2), (DAY2, "", 2)]


def test_a_run_refuses_option_rows_in_another_days_folder(tmp_path):
    """DAY2's option rows sit in DAY's folder: a run read that folder for DAY only, and skipped
    DAY2 as no_options without a word. Now it stops, naming the file, the row's time, the folder
    and the fix; data check still counts the rows."""
    path = day_folders(tmp_path, {DAY: option_rows(DAY) + option_rows(DAY2)},
                       {DAY: spot_rows(DAY), DAY2: spot_rows(DAY2)})
    f = str(path / "o" / "day=2024-01-02" / "p.parquet")
    with pytest.raises(RowsInAnotherDaysFolderError) as err:
        trades_by_day(path)
    text = str(err.value)
    assert text.startswith(f"{f}: a row of options at 2024-01-03 09:22:00 (exchange time: the config sets "
                           "no timezone) sits in folder day=2024-01-02: ")
    assert 'set timezone = "Area/City"' in text and "move such rows to their own day's folder" in text
    got = {(x.level, x.check): (x.count, x.where) for x in check_dataset(load_dataset(path)).findings}
    assert got[("error", "rows_in_another_days_folder")] == (14, f)


def test_a_run_refuses_spot_rows_in_another_days_folder(tmp_path):
    path = day_folders(tmp_path, {DAY: option_rows(DAY), DAY2: option_rows(DAY2)},
                       {DAY: spot_rows(DAY) + spot_rows(DAY2)})
    with pytest.raises(RowsInAnotherDaysFolderError, match=r"s/day=2024-01-02/p.parquet: a row of spot at "
                                                           r"2024-01-03 09:16:00 .* sits in folder day=2024-01-02"):
        trades_by_day(path)


def test_utc_instants_in_folders_of_the_utc_day_are_refused(tmp_path):
    """New York data stored as UTC instants, foldered by the UTC day: 00:30 UTC on the 2nd is 19:30
    New York on the 1st, a row of the 1st in the 2nd's folder (a run read it for the 2nd, silently)."""
    utc = UTC

    def rows(day, closes):  # a spot bar at 10:00 New York and one at 00:30 UTC (19:30 the day before)
        return [{"ts": datetime(day.year, day.month, day.day, 15, 0, tzinfo=utc), "close": closes[0]},
                {"ts": datetime(day.year, day.month, day.day, 0, 30, tzinfo=utc), "close": closes[1]}]
    put(tmp_path / "s" / "day=2024-01-02" / "p.parquet", rows(DAY, (1.0, 2.0)))
    put(tmp_path / "o" / "day=2024-01-02" / "p.parquet",
        [{**r, "ts": r["ts"].replace(tzinfo=utc) + timedelta(hours=5)} for r in option_rows(DAY)])
    (tmp_path / "dataset.toml").write_text(
        'name = "ny"\ntimezone = "America/New_York"\n[options]\npath = "o/*/*.parquet"\nday_partition = "day"\n'
        '[spot]\npath = "s/*/*.parquet"\nday_partition = "day"\n[session]\nstart = "09:30"\nend = "16:00"\n')
    with pytest.raises(RowsInAnotherDaysFolderError, match=r"a row of spot at 2024-01-01 19:30:00 \(exchange "
                                                           r"time, America/New_York\)"):
        trades_by_day(tmp_path)


# -- 2. a date written as an instant at 00:00 UTC ------------------------------------------------

def utc_midnight(day):
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def date_and_time(tmp_path, zone: str, start: str, date_of=utc_midnight, expiry_of=lambda e: e):
    """Options and spot with a date column ``d`` (``date_of(DAY)``) and a time of day ``t``, the
    bars at ``start`` + k minutes; the expiry column holds ``expiry_of(EXP)``."""
    from tests.test_data_trust import EXP
    first = datetime.combine(DAY, datetime.strptime(start, "%H:%M").time())
    o = [{"d": date_of(DAY), "t": (first + timedelta(minutes=r["ts"].minute - 15)).time(), "expiry": expiry_of(EXP),
          "strike": r["strike"], "opt_type": r["opt_type"], "close": r["close"]} for r in option_rows(DAY)]
    s = [{"d": date_of(DAY), "t": (first + timedelta(minutes=r["ts"].minute - 15)).time(), "close": r["close"]}
         for r in spot_rows(DAY)]
    put(tmp_path / "o.parquet", o)
    put(tmp_path / "s.parquet", s)
    end = (first + timedelta(minutes=7)).strftime("%H:%M")
    (tmp_path / "dataset.toml").write_text(
        f'name = "dates"\ntimezone = "{zone}"\n[options]\npath = "o.parquet"\ncolumns = {{ date = "d", time = "t" }}\n'
        f'[spot]\npath = "s.parquet"\ncolumns = {{ date = "d", time = "t" }}\n'
        f'[session]\nstart = "{start}"\nend = "{end}"\n')
    return tmp_path


def test_a_date_column_at_utc_midnight_west_of_utc_is_refused(tmp_path):
    """New York, the date column 2024-01-02 00:00 UTC (pandas' datetime64[ns, UTC] of a date): that
    instant is 19:00 on the 1st in New York, and the run traded on 2024-01-01, every day a day early."""
    from optbt.model.errors import DataError
    path = date_and_time(tmp_path, "America/New_York", "09:30")
    with pytest.raises(DataError, match=r"dates \(column 'd'\) hold 2024-01-02 00:00:00 UTC, midnight in UTC, which "
                                        r"is 2024-01-01 19:00 in America/New_York: .* Store the column as a DATE"):
        trades_by_day(path)


def test_a_date_column_at_utc_midnight_east_of_utc_is_its_own_day(tmp_path):
    """Asia/Kolkata: 00:00 UTC is 05:30 the same day, which is the date meant: read as before."""
    assert trades_by_day(date_and_time(tmp_path, "Asia/Kolkata", "09:15")) == [(DAY, "", 2)]


def test_an_expiry_at_utc_midnight_west_of_utc_is_refused(tmp_path):
    """The expiry 2024-01-04 00:00 UTC is the 3rd in New York: the run sold the 3rd's expiry."""
    from optbt.model.errors import DataError
    path = date_and_time(tmp_path, "America/New_York", "09:30", date_of=lambda d: d, expiry_of=utc_midnight)
    with pytest.raises(DataError, match=r"expiries \(column 'expiry'\) hold 2024-01-04 00:00:00 UTC"):
        trades_by_day(path)


def test_a_date_column_stored_as_a_date_runs_west_of_utc(tmp_path):
    assert trades_by_day(date_and_time(tmp_path, "America/New_York", "09:30", date_of=lambda d: d)) == [(DAY, "", 2)]


# -- 3. expiry_format = "date" with zoned text -----------------------------------------------------

def text_expiry(tmp_path, expiry: str, zone: str = "Asia/Kolkata", fmt: str = "date"):
    """The base day with every option's expiry the text ``expiry``, read with ``expiry_format``."""
    put(tmp_path / "o.parquet", [{**r, "expiry": expiry} for r in option_rows(DAY)])
    put(tmp_path / "s.parquet", spot_rows(DAY))
    (tmp_path / "dataset.toml").write_text(
        f'name = "text expiry"\ntimezone = "{zone}"\n[options]\npath = "o.parquet"\nexpiry_format = "{fmt}"\n'
        '[spot]\npath = "s.parquet"\n[session]\nstart = "09:15"\nend = "09:22"\n')
    return tmp_path


def expiries_sold(path):
    res = run_backtest(Sell, data=load_dataset(path))
    return sorted({t.leg.instrument.expiry for t in res.trades}), res.engine.get("contracts_left_out")


@pytest.mark.parametrize("fmt", ["date", "auto"])
@pytest.mark.parametrize("text, expiry", [
    ("2024-01-03T18:30:00Z", "2024-01-04"),        # 00:00 on the 4th in IST (DuckDB's cast said the 3rd)
    ("2024-01-04T00:00:00+05:30", "2024-01-04"),
    ("2024-01-04 15:30:00+00", "2024-01-04"),      # 21:00 on the 4th in IST
    ("2024-01-04", "2024-01-04"),
])
def test_a_text_expiry_with_a_zone_is_its_exchange_date(tmp_path, fmt, text, expiry):
    """expiry_format = "date" cast zoned text to DATE as DuckDB does, dropping the zone: the 18:30
    UTC expiry of the 3rd (midnight on the 4th in IST) was read as the 3rd, and the run sold a
    contract that does not exist. It is now converted as with "auto"."""
    from datetime import date
    assert expiries_sold(text_expiry(tmp_path, text, fmt=fmt)) == ([date.fromisoformat(expiry)], None)


def test_a_text_expiry_with_a_zone_needs_the_exchange_zone(tmp_path):
    from optbt.model.errors import DataError
    path = text_expiry(tmp_path, "2024-01-03T18:30:00Z")
    (path / "dataset.toml").write_text((path / "dataset.toml").read_text().replace('timezone = "Asia/Kolkata"\n', ""))
    with pytest.raises(DataError, match=r"carry a UTC offset or zone \(2024-01-03T18:30:00Z\); set timezone"):
        expiries_sold(path)


def test_an_expiry_that_is_no_iso_date_is_a_bad_expiry_with_expiry_format_date(tmp_path):
    """'04-Jan-2024' under expiry_format = "date": DuckDB's conversion error stopped the run
    (Conversion Error: invalid date field format); now the contract is left out and counted,
    as with "auto" for text it cannot read, and data check names it (bad_expiry)."""
    path = text_expiry(tmp_path, "04-Jan-2024")
    assert expiries_sold(path) == ([], {"bad_expiry": 1})
    assert ("error", "bad_expiry") in {(f.level, f.check) for f in check_dataset(load_dataset(path)).findings}


def naive_expiry(tmp_path, expiry: datetime, zone: str = "Asia/Kolkata"):
    """The base day with every option's expiry the naive timestamp ``expiry`` (no zone stored)."""
    put(tmp_path / "o.parquet", [{**r, "expiry": expiry} for r in option_rows(DAY)])
    put(tmp_path / "s.parquet", spot_rows(DAY))
    (tmp_path / "dataset.toml").write_text(
        f'name = "naive expiry"\ntimezone = "{zone}"\n[options]\npath = "o.parquet"\n'
        '[spot]\npath = "s.parquet"\n[session]\nstart = "09:15"\nend = "09:22"\n')
    return tmp_path


@pytest.mark.parametrize("stored", [datetime(2024, 1, 3, 18, 30), "2024-01-03 18:30:00"], ids=["timestamp", "text"])
def test_a_naive_expiry_at_the_exchanges_midnight_in_utc_is_refused(tmp_path, stored):
    """2024-01-03 18:30:00, naive: midnight of the 4th in IST written in UTC and stripped of its
    zone (pandas' tz_convert("UTC").tz_localize(None) of the expiry date). Its date was read, the
    3rd: the run sold a contract of the 3rd that does not exist (and on the 4th the real one was
    'expiry_before_day'), exit 0. Refused, naming the column, the value and the fix; data check
    files it as a time-zone finding against the file."""
    from optbt.model.errors import DataError
    path = naive_expiry(tmp_path, stored)
    with pytest.raises(DataError, match=r"expiries \(column 'expiry'\) hold 2024-01-03 18:30:00, midnight of "
                                        r"2024-01-04 in Asia/Kolkata written in UTC.*DATE"):
        expiries_sold(path)
    assert [(f.level, f.check, f.where) for f in check_dataset(load_dataset(path)).findings] == [
        ("error", "timezone", str(path / "o.parquet"))]


@pytest.mark.parametrize("expiry, zone", [
    (datetime(2024, 1, 4, 10, 0), "Asia/Kolkata"),       # 15:30 IST in UTC: the 4th either way
    ("2024-01-04 10:00:00", "Asia/Kolkata"),
    ("2024-01-03T18:30:00Z", "Asia/Kolkata"),            # with its zone: converted, the 4th
    (datetime(2024, 1, 4, 15, 30), "Asia/Kolkata"),      # the close in exchange time
    (datetime(2024, 1, 4, 0, 0), "Asia/Kolkata"),        # a date as a midnight timestamp
    (datetime(2024, 1, 4, 5, 0), "America/New_York"),    # New York's midnight in UTC: the same day
])
def test_naive_expiries_whose_date_is_the_exchange_date_are_read_as_before(tmp_path, expiry, zone):
    from datetime import date
    assert expiries_sold(naive_expiry(tmp_path, expiry, zone)) == ([date(2024, 1, 4)], None)


# -- 6. a dataset path naming CSV files, or nothing ----------------------------------------------

def csv_dataset(tmp_path, options_path: str):
    (tmp_path / "options.csv").write_text("ts,expiry,strike,opt_type,close\n2024-01-02 09:16:00,2024-01-04,21000,CE,100\n")
    put(tmp_path / "s.parquet", spot_rows(DAY))
    (tmp_path / "dataset.toml").write_text(
        f'name = "csv"\n\n[options]\npath = "{options_path}"\n[spot]\npath = "s.parquet"\n')
    return tmp_path


def test_a_csv_file_as_a_dataset_path_is_refused_naming_it_and_the_config_line(tmp_path):
    """read_parquet stopped at it with DuckDB's 'No magic bytes found at end of file'."""
    from optbt.model.errors import DataError
    path = csv_dataset(tmp_path, "options.csv")
    with pytest.raises(DataError) as err:
        trades_by_day(path)
    assert str(err.value).startswith(f"options: {path / 'options.csv'} is a CSV (text) file, matched by path in "
                                     f"{path / 'dataset.toml'}, line 4; optbt reads parquet, not CSV. Convert")
    (f,) = check_dataset(load_dataset(path)).findings
    assert f.check == "files" and "is a CSV (text) file" in f.detail


@pytest.mark.parametrize("written", ["opts.csv", "o/*.csv", "o/*.parquet"])
def test_a_dataset_path_that_matches_nothing_names_it_and_the_config_line(tmp_path, written):
    from optbt.model.errors import DataError
    path = csv_dataset(tmp_path, written)
    with pytest.raises(DataError) as err:
        trades_by_day(path)
    text = str(err.value)
    assert text.startswith(f"options: no parquet files match {path / written} (path in {path / 'dataset.toml'}, "
                           "line 4; ")
    assert ("Convert CSV files to parquet" in text) is written.endswith(".csv")


# -- 5. greeks: time to expiry is elapsed time, across a DST change -------------------------------

@pytest.mark.parametrize("zone, lost_minutes", [("America/New_York", 60), ("Asia/Kolkata", 0), (None, 0)])
def test_time_to_expiry_counts_the_hour_a_dst_change_takes(zone, lost_minutes):
    """Friday 2024-03-08 09:16 New York to the Monday 2024-03-11 09:25 close: US clocks sprang
    forward on Sunday the 10th, so 3 days and 9 minutes of wall clock are an hour less of real
    time. The IV was solved with the hour that never was (a time to expiry 1.4 % too long);
    India has no DST, and without a zone the wall clock is all there is."""
    from datetime import date

    from optbt.engine.loop import EventEngine
    from tests.kit import MemorySource, config, inst
    from tests.test_greeks_at_tick import RATE, SPOT, Probe, bisect_iv
    day, expiry = date(2024, 3, 8), date(2024, 3, 11)
    cfg = config(10, greeks={"rate": RATE}, **({"timezone": zone} if zone else {}))
    probe = Probe(lambda ctx: ctx.greeks(inst(21000, "CE", expiry)))
    source = MemorySource({day: {"spot": [SPOT] * 10, "options": {inst(21000, "CE", expiry): [150.0] * 10}}}, cfg, 10)
    EventEngine(source).run(probe)
    minutes = (3 * 24 * 60 + 9) - lost_minutes
    t = minutes / (365 * 24 * 60)
    assert probe.seen[0][0] == "09:16"
    assert probe.seen[0][1].iv == pytest.approx(bisect_iv(150.0, "CE", SPOT, 21000, t, RATE), rel=1e-7)


# -- 4. naive timestamps that are UTC: timestamps_look_like_utc ----------------------------------

def shifted(tmp_path, zone: str, shift: timedelta, start: str = "09:15", end: str = "09:22", pre_market=False):
    """The base day's rows (09:16 .. 09:22 exchange time) written ``shift`` earlier, naive; the
    config names ``zone`` and the session ``start``-``end`` (the rows' own, before the shift)."""
    first = datetime.combine(DAY, datetime.strptime(start, "%H:%M").time())
    move = first - datetime.combine(DAY, datetime.strptime("09:15", "%H:%M").time()) - shift
    o = [{**r, "ts": r["ts"] + move} for r in option_rows(DAY)]
    s = [{**r, "ts": r["ts"] + move} for r in spot_rows(DAY)]
    if pre_market:
        s.append({**s[0], "ts": s[0]["ts"] - timedelta(minutes=30)})
    put(tmp_path / "o.parquet", o)
    put(tmp_path / "s.parquet", s)
    (tmp_path / "dataset.toml").write_text(
        f'name = "zones"\ntimezone = "{zone}"\n[options]\npath = "o.parquet"\n[spot]\npath = "s.parquet"\n'
        f'[session]\nstart = "{start}"\nend = "{end}"\n')
    return tmp_path


@pytest.mark.parametrize("zone, shift, start, end, hours", [
    ("Asia/Kolkata", timedelta(hours=5, minutes=30), "09:15", "09:22", ("03:46-03:52", "+05:30")),
    ("America/New_York", timedelta(hours=-5), "09:30", "09:37", ("14:31-14:37", "-05:00")),
])
def test_naive_timestamps_at_the_session_less_the_zones_offset_are_an_error(tmp_path, zone, shift, start, end, hours):
    """NSE rows written in UTC without a zone (03:46 for 09:16 IST), New York's likewise (14:31 for
    09:31): data check said days_without_spot and outside_session, not why; now an error for each
    table, naming the file, the hours, the offset and the fix."""
    path = shifted(tmp_path, zone, shift, start, end)
    got = [(f.level, f.check, f.count, f.where) for f in check_dataset(load_dataset(path)).findings
           if f.check == "timestamps_look_like_utc"]
    assert got == [("error", "timestamps_look_like_utc", 7, str(path / "s.parquet")),
                   ("error", "timestamps_look_like_utc", 14, str(path / "o.parquet"))]
    (detail,) = {f.detail.split(": ", 1)[1] for f in check_dataset(load_dataset(path)).findings
                 if f.check == "timestamps_look_like_utc" and f.detail.startswith("spot")}
    assert detail.startswith(f"they run {hours[0]}, the session {start}-{end} less the zone's offset from UTC "
                             f"({hours[1]}); read as exchange time")
    assert "Write them tz-aware (UTC instants), or as text ending in Z or +00:00" in detail


@pytest.mark.parametrize("pre_market", [False, True])
def test_exchange_time_rows_are_not_taken_for_utc(tmp_path, pre_market):
    """Rows in the session (and one pre-market print, outside it either way) are no finding."""
    path = shifted(tmp_path, "Asia/Kolkata", timedelta(0), pre_market=pre_market)
    checks = {f.check for f in check_dataset(load_dataset(path)).findings}
    assert "timestamps_look_like_utc" not in checks
    assert ("outside_session" in checks) is pre_market


@pytest.mark.parametrize("zone, shift, start, end", [
    ("Asia/Kolkata", timedelta(hours=5, minutes=30), "09:15", "09:22"),
    ("America/New_York", timedelta(hours=-5), "09:30", "09:37"),
])
@pytest.mark.parametrize("tables", ["both", "options"])
def test_a_run_refuses_naive_timestamps_that_look_like_utc(tmp_path, zone, shift, start, end, tables):
    """Before, a run read UTC wall-clock rows as exchange time and traded on whatever fell inside
    the session: NSE's 14:50 price filled a "09:20" entry, the 10:00 one its "15:15" exit, exit
    0. Now it stops on its first day with data check's message (the spot's, or the options' when
    only they are UTC), through the CLI with exit 2."""
    from optbt.data.utc_naive import TimestampsLookLikeUtcError
    from tests.test_cli_run import optbt
    path = shifted(tmp_path, zone, shift, start, end)
    if tables == "options":
        first = datetime.combine(DAY, datetime.strptime(start, "%H:%M").time())
        move = first - datetime.combine(DAY, datetime.strptime("09:15", "%H:%M").time())
        put(path / "s.parquet", [{**r, "ts": r["ts"] + move} for r in spot_rows(DAY)])
    what = "spot" if tables == "both" else "options"
    with pytest.raises(TimestampsLookLikeUtcError, match=rf"^{what} timestamps look like UTC, not exchange time "
                                                         rf"\({zone}\): .* times of {DAY} \(the run's first day\) fall"):
        run_backtest(Sell, data=load_dataset(path))
    out = optbt("run", "tests/kit.py:SellAtmStraddle", "--data", str(path), "--out", str(tmp_path / "out"))
    assert out.returncode == 2 and f"{what} timestamps look like UTC" in out.stderr + out.stdout
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Kolkata"])
def test_a_run_on_exchange_time_or_a_zone_at_utc_is_not_refused(tmp_path, zone):
    """Exchange-time rows (with a pre-market print), and rows of a zone at UTC+0 in winter, where
    both readings agree, run as before."""
    path = shifted(tmp_path, zone, timedelta(0), pre_market=True)
    assert run_backtest(Sell, data=load_dataset(path)).trades


def test_a_run_whose_days_are_all_skipped_for_want_of_a_spot_points_to_data_check(tmp_path):
    """Rows of another zone than UTC (three hours off) are not refused on sight: every day is
    skipped, and the run says where to look."""
    from optbt.results.explain import OUTSIDE_SESSION, empty_causes
    path = shifted(tmp_path, "Asia/Kolkata", timedelta(hours=3))
    res = run_backtest(Sell, data=load_dataset(path))
    assert [d.skip_reason for d in res.daily] == ["no_spot"]
    assert empty_causes(res) == ["no trades: all 1 days were skipped (see the warnings above)", OUTSIDE_SESSION]
    assert "`optbt data check`" in OUTSIDE_SESSION


def test_a_run_whose_legs_never_had_a_price_points_to_data_check(tmp_path):
    """The spot in exchange time, the options three hours off: every day runs, no leg ever has a price."""
    from optbt.results.explain import OUTSIDE_SESSION, empty_causes
    path = shifted(tmp_path, "Asia/Kolkata", timedelta(hours=3))
    put(path / "s.parquet", spot_rows(DAY))
    res = run_backtest(Sell, data=load_dataset(path))
    causes = empty_causes(res)
    assert causes[0] == "no trades: entry never filled on any of the 1 days that ran" and OUTSIDE_SESSION in causes


def test_data_check_files_a_utc_midnight_date_or_expiry_as_a_time_zone_error(tmp_path):
    """The refusal a run gives is data check's too, filed as ``timezone`` (its fix is the
    zone's), not as a file that cannot be read."""
    dates = check_dataset(load_dataset(date_and_time(tmp_path / "d", "America/New_York", "09:30")))
    expiries = check_dataset(load_dataset(date_and_time(tmp_path / "e", "America/New_York", "09:30",
                                                        date_of=lambda d: d, expiry_of=utc_midnight)))
    for report, what in ((dates, "dates (column 'd')"), (expiries, "expiries (column 'expiry')")):
        errors = [f for f in report.findings if f.level == "error"]
        assert [(f.check, f.where.rsplit("/", 1)[-1] in ("o.parquet", "s.parquet")) for f in errors] == [("timezone", True)]
        assert f"{what} hold" in errors[0].detail and "midnight in UTC" in errors[0].detail


@pytest.mark.parametrize("stored", ["text", "date and time"])
def test_a_run_refuses_utc_looking_times_stored_as_text_or_a_date_and_a_time(tmp_path, stored):
    """The same refusal whatever form the naive times take: ISO text without a zone (converted
    once per distinct text), a date column and a time column."""
    from optbt.data.utc_naive import TimestampsLookLikeUtcError
    path = shifted(tmp_path, "Asia/Kolkata", timedelta(hours=5, minutes=30))
    for name in ("o.parquet", "s.parquet"):
        rows = pq.read_table(path / name).to_pylist()
        if stored == "text":
            rows = [{**r, "ts": r["ts"].isoformat(sep=" ")} for r in rows]
        else:
            rows = [{**{k: v for k, v in r.items() if k != "ts"}, "d": r["ts"].date(), "t": r["ts"].time()} for r in rows]
        put(path / name, rows)
    if stored == "date and time":
        toml = (path / "dataset.toml").read_text().replace('path = "o.parquet"', 'path = "o.parquet"\ncolumns = { date = "d", time = "t" }')
        (path / "dataset.toml").write_text(toml.replace('path = "s.parquet"', 'path = "s.parquet"\ncolumns = { date = "d", time = "t" }'))
    with pytest.raises(TimestampsLookLikeUtcError, match=r"^spot timestamps look like UTC, .* they run 03:46-03:52"):
        run_backtest(Sell, data=load_dataset(path))
