"""No silent wrong answers from bad data: each planted defect, what a run does with it.

Every dataset is made here, by hand. The base day (2024-01-02, expiry 2024-01-04): spot
21010 every minute (ATM 21000); the 21000 CE closes 100 + k and the PE 90 - k at 09:15 + k.
``Sell`` sells the ATM straddle at 09:17 (or the first tick after where both legs are live)
and exits at 09:20. So with clean data: CE sold 102, bought back 105; PE sold 88, back 85.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt import run_backtest
from optbt.data.check import check_dataset
from optbt.data.dataset import load_dataset
from optbt.data.duckdb_source import DuckDBSource
from optbt.data.source import ConflictingBarsError, MixedTimezonesError
from optbt.model.errors import DataError
from tests.kit import At0920, SellAtmStraddle

DAY, EXP = date(2024, 1, 2), date(2024, 1, 4)
IST = timezone(timedelta(hours=5, minutes=30))


Sell = SellAtmStraddle  # sell the ATM straddle at 09:17, out at 09:20


def minute(k: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 15) + timedelta(minutes=k)


def option_rows(day: date = DAY, n: int = 7) -> list[dict]:
    return [{"ts": minute(k, day), "expiry": EXP, "strike": 21000.0, "opt_type": ot, "close": float(p)}
            for k in range(1, n + 1) for ot, p in (("CE", 100 + k), ("PE", 90 - k))]


def spot_rows(day: date = DAY, n: int = 7) -> list[dict]:
    return [{"ts": minute(k, day), "close": 21010.0} for k in range(1, n + 1)]


TOML = '''name = "planted"
{extra}
[options]
path = "{opath}"
{ocols}
[spot]
path = "{spath}"
[session]
start = "09:15"
end = "09:22"
'''


def write(tmp, options, spot, extra="", ocols="", ofiles=None, sfiles=None):
    """Write a dataset; ``ofiles``/``sfiles`` split rows over several files (name -> rows)."""
    ofiles = ofiles or {"o.parquet": options}
    sfiles = sfiles or {"s.parquet": spot}
    for name, rows in {**ofiles, **sfiles}.items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows), tmp / name)
    opath = next(iter(ofiles)) if len(ofiles) == 1 else "o/*.parquet"
    spath = next(iter(sfiles)) if len(sfiles) == 1 else "s/*.parquet"
    (tmp / "dataset.toml").write_text(TOML.format(extra=extra, opath=opath, spath=spath,
                                                  ocols=f"columns = {{ {ocols} }}" if ocols else ""))
    return tmp


def fills(path):
    res = run_backtest(Sell, data=load_dataset(path))
    return sorted((t.key, t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_ts.strftime("%H:%M"), t.exit_price)
                  for t in res.trades)


def found(path):
    return {(f.level, f.check): f for f in check_dataset(load_dataset(path)).findings}


CLEAN = [("ce", "09:17", 102.0, "09:20", 105.0), ("pe", "09:17", 88.0, "09:20", 85.0)]


def test_clean_base_day(tmp_path):
    path = write(tmp_path, option_rows(), spot_rows())
    assert fills(path) == CLEAN
    assert found(path) == {}


# -- 1. the usable-price rule --------------------------------------------------------------

UNUSABLE = [math.nan, math.inf, -math.inf, 0.0, -3.0, None]


@pytest.mark.parametrize("bad", UNUSABLE, ids=repr)
def test_an_unusable_option_price_is_no_bar(tmp_path, bad):
    # the CE's 09:17 close is unusable: the entry waits for 09:18, where both legs are live
    o = option_rows()
    o[2 * 1]["close"] = bad  # CE at k=2 (09:17)
    path = write(tmp_path, o, spot_rows())
    assert fills(path) == [("ce", "09:18", 103.0, "09:20", 105.0), ("pe", "09:18", 87.0, "09:20", 85.0)]
    checks = set(found(path))
    expected = {None: ("warning", "missing_price"), 0.0: ("error", "zero_price"),
                -3.0: ("error", "negative_price")}.get(bad, ("error", "non_finite_price"))
    assert expected in checks


def test_an_unusable_exit_price_exits_at_the_last_usable_one_with_its_lag(tmp_path):
    o = option_rows()
    o[2 * 4]["close"] = math.nan  # CE at 09:20: the exit takes 09:19's 104 with lag 1
    path = write(tmp_path, o, spot_rows())
    res = run_backtest(Sell, data=load_dataset(path))
    ce = next(t for t in res.trades if t.key == "ce")
    assert (ce.exit_price, ce.exit_lag) == (104.0, 1)
    assert math.isfinite(res.metrics["total_pnl"])
    assert res.metrics["total_pnl"] == pytest.approx((102 - 104) + (88 - 85))


@pytest.mark.parametrize("bad", UNUSABLE, ids=repr)
def test_an_unusable_spot_keeps_the_last_usable_spot(tmp_path, bad):
    # spot at 09:17 unusable: ATM still comes from 21010 (09:16), never from NaN or 0
    s = spot_rows()
    s[1]["close"] = bad
    path = write(tmp_path, option_rows(), s)
    assert fills(path) == CLEAN
    expected = {None: ("warning", "missing_price"), 0.0: ("error", "zero_price"),
                -3.0: ("error", "negative_price")}.get(bad, ("error", "non_finite_price"))
    f = found(path)[expected]
    assert f.where == str(tmp_path / "s.parquet") and f.count == 1 and f.sample["ts"] == "2024-01-02 09:17:00"


def quotes(tmp_path, ce_quote_at_17):
    rows = []
    for k in range(1, 8):
        b, a = (99.0 + k, 101.0 + k) if k != 2 else ce_quote_at_17
        rows.append({"ts": minute(k), "expiry": EXP, "strike": 21000.0, "opt_type": "CE", "bid": b, "ask": a})
        rows.append({"ts": minute(k), "expiry": EXP, "strike": 21000.0, "opt_type": "PE",
                     "bid": 89.0 - k, "ask": 91.0 - k})
    return write(tmp_path, rows, spot_rows(), 'price = "mid"', 'bid = "bid", ask = "ask"')


@pytest.mark.parametrize("quote, check", [
    ((110.0, 100.0), "crossed_quotes"),        # crossed
    ((101.0, None), "empty_quotes"),           # one-sided: no ask
    ((None, 103.0), "empty_quotes"),           # one-sided: no bid
    ((math.nan, 103.0), "non_finite_price"),   # NaN bid
    ((101.0, math.inf), "non_finite_price"),   # infinite ask
])
def test_a_crossed_or_one_sided_quote_is_not_a_price(tmp_path, quote, check):
    # mid data: the CE at 09:17 has no usable mid, so the entry waits for 09:18 and sells at its bid
    path = quotes(tmp_path, quote)
    assert fills(path) == [("ce", "09:18", 102.0, "09:20", 106.0), ("pe", "09:18", 86.0, "09:20", 86.0)]
    assert any(c == check for _, c in found(path))


def test_identical_duplicates_are_used_once(tmp_path):
    o = option_rows()
    o.insert(0, dict(o[4]))      # CE 09:17 again, first in the file
    s = spot_rows() + [dict(spot_rows()[3])]
    path = write(tmp_path, o, s)
    assert fills(path) == CLEAN
    f = found(path)
    assert set(f) == {("warning", "duplicate_rows")}
    assert f[("warning", "duplicate_rows")].count == 1  # the option's, and then the spot's
    assert [(x.level, x.check, x.count) for x in check_dataset(load_dataset(path)).findings] == [
        ("warning", "duplicate_rows", 1), ("warning", "duplicate_rows", 1)]


def test_an_unusable_row_beside_a_usable_one_is_no_conflict(tmp_path):
    o = option_rows() + [{**option_rows()[2], "close": math.nan}]  # CE 09:17 again, as NaN
    s = spot_rows() + [{**spot_rows()[1], "close": 0.0}]          # spot 09:17 again, as 0
    path = write(tmp_path, o, s)
    assert fills(path) == CLEAN
    f = found(path)
    assert ("error", "conflicting_duplicates") not in f
    assert ("error", "non_finite_price") in f and ("error", "zero_price") in f


def test_a_conflicting_option_duplicate_is_a_run_error_naming_file_instrument_and_minute(tmp_path):
    o = option_rows()
    o.append({**o[2], "close": 250.0})  # CE 09:17 again with another price, in the second file
    path = write(tmp_path, None, spot_rows(), ofiles={"o/a.parquet": o[:-1], "o/b.parquet": o[-1:]})
    with pytest.raises(ConflictingBarsError) as err:
        fills(path)
    msg = str(err.value)
    assert isinstance(err.value, DataError) and err.value.day == DAY
    assert "o/a.parquet" in msg or "o/b.parquet" in msg
    assert "NIFTY" in msg and "21000" in msg and "CE" in msg and "2024-01-02 09:17" in msg
    assert "102.0" in msg and "250.0" in msg
    f = found(path)[("error", "conflicting_duplicates")]
    assert f.count == 1 and f.sample["ts"] == "2024-01-02 09:17:00" and f.where.endswith(".parquet")


def test_a_conflicting_spot_duplicate_is_a_run_error(tmp_path):
    s = spot_rows() + [{"ts": minute(2), "close": 18800.0}]
    path = write(tmp_path, option_rows(), s)
    with pytest.raises(ConflictingBarsError, match=r"s\.parquet: conflicting duplicate rows for spot NIFTY at "
                                                   r"2024-01-02 09:17:00"):
        fills(path)
    assert found(path)[("error", "conflicting_duplicates")].count == 1


def test_a_conflict_on_minute_bars_asks_for_one_row_per_minute(tmp_path):
    path = write(tmp_path, option_rows(), spot_rows() + [{"ts": minute(2), "close": 18800.0}])
    with pytest.raises(ConflictingBarsError, match=r"at 2024-01-02 09:17:00: .*one row per instrument and minute"):
        fills(path)


def test_a_conflicting_tick_names_its_exact_time_and_asks_for_one_row_per_timestamp(tmp_path):
    # spot ticks between the minutes; two of them at 09:17:30.25 with different prices
    tick = minute(2) + timedelta(seconds=30, milliseconds=250)
    s = spot_rows() + [{"ts": minute(2) + timedelta(seconds=12), "close": 21010.0},
                       {"ts": tick, "close": 21010.0}, {"ts": tick, "close": 21011.0}]
    path = write(tmp_path, option_rows(), sorted(s, key=lambda r: r["ts"]))
    with pytest.raises(ConflictingBarsError) as err:
        fills(path)
    msg = str(err.value)
    assert "spot NIFTY at 2024-01-02 09:17:30.25: prices 21010.0, 21011.0" in msg
    assert "one row per instrument and timestamp" in msg and "and minute" not in msg
    assert found(path)[("error", "conflicting_duplicates")].sample["ts"] == "2024-01-02 09:17:30.25"


def test_a_conflicting_quote_names_its_bids_and_asks(tmp_path):
    # quote data (no close): the CE quoted twice at 09:17:00.5, bid 101 / ask 103 and bid 100 / ask 103
    rows = [{"ts": minute(k), "expiry": EXP, "strike": 21000.0, "opt_type": ot, "bid": p - 1, "ask": p + 1}
            for k in range(1, 8) for ot, p in (("CE", 100.0 + k), ("PE", 90.0 - k))]
    at = minute(2) + timedelta(milliseconds=500)
    rows += [{"ts": at, "expiry": EXP, "strike": 21000.0, "opt_type": "CE", "bid": b, "ask": 103.0}
             for b in (101.0, 100.0)]
    path = write(tmp_path, rows, spot_rows(), 'price = "mid"', 'bid = "bid", ask = "ask", close = ""')
    with pytest.raises(ConflictingBarsError) as err:
        fills(path)
    msg = str(err.value)
    assert ("21000 CE at 2024-01-02 09:17:00.5: prices mid 102.0 (bid 101.0, ask 103.0), "
            "mid 101.5 (bid 100.0, ask 103.0); keep one row per instrument and timestamp") in msg


def test_an_expiry_before_the_trade_date_is_never_picked(tmp_path):
    # a stale contract listed "expiring" 2024-01-01 with other prices: 'nearest' must still be 2024-01-04
    o = option_rows() + [{**r, "expiry": date(2024, 1, 1), "close": r["close"] + 1000} for r in option_rows()]
    path = write(tmp_path, o, spot_rows())
    assert fills(path) == CLEAN
    src = DuckDBSource(load_dataset(path))
    assert src.chain(DAY).expiries == (EXP,) and src.ignored["expiry_before_day"] == 1
    f = found(path)[("error", "expiry_before_day")]
    assert f.count == 14 and f.sample["expiry"] == "2024-01-01"
    # the run says so too: in summary.json's engine stats and as a warning on the console
    from optbt.results.explain import left_out_warnings
    result = run_backtest(Sell, data=path)
    assert result.engine["contracts_left_out"] == {"expiry_before_day": 1}
    assert left_out_warnings(result) == ["left out 1 contract-day listed with an expiry before its trade date "
                                         "(optbt data check names the files)"]


def test_a_missing_expiry_is_left_out_and_said(tmp_path):
    # two rows of a strike without an expiry: never picked, and the run says so (it used to be silent)
    from optbt.results.explain import left_out_warnings
    o = option_rows() + [{**r, "expiry": None, "strike": 18700.0} for r in option_rows()[:2]]
    path = write(tmp_path, o, spot_rows())
    assert fills(path) == CLEAN
    result = run_backtest(Sell, data=path)
    assert result.engine["contracts_left_out"] == {"bad_expiry": 1}
    assert left_out_warnings(result) == ["left out 1 contract-day listed with a missing or unreadable expiry "
                                         "(optbt data check names the files)"]


def test_contracts_left_out_count_the_same_however_a_days_rows_are_split_into_files(tmp_path):
    # the stale contract's rows in one file, or split by time over two files of its day folder
    stale = [{**r, "expiry": date(2024, 1, 1)} for r in option_rows()]
    rows = option_rows() + stale
    one = write(tmp_path / "one", rows, spot_rows())
    early = [r for r in rows if r["ts"] <= minute(3)]
    late = [r for r in rows if r["ts"] > minute(3)]
    two = write(tmp_path / "two", rows, spot_rows(),
                ofiles={f"o/day={DAY}/a.parquet": early, f"o/day={DAY}/b.parquet": late})
    toml = (two / "dataset.toml").read_text().replace('path = "o/*.parquet"', 'path = "o/*/*.parquet"\nday_partition = "day"')
    (two / "dataset.toml").write_text(toml)
    counts = [run_backtest(Sell, data=p).engine["contracts_left_out"] for p in (one, two)]
    assert counts == [{"expiry_before_day": 1}] * 2


def test_contracts_left_out_are_counted_for_the_days_run_whichever_wrapper_answers(tmp_path):
    # day 1 lists a stale contract (expiry before the trade date), day 2 is clean
    day2 = date(2024, 1, 3)
    o = option_rows() + [{**r, "expiry": date(2024, 1, 1)} for r in option_rows()] + option_rows(day2)
    path = write(tmp_path, o, spot_rows() + spot_rows(day2))
    cfg = load_dataset(path)
    from optbt.data.memo import MemoSource
    from optbt.data.shared_cache import Recorder, SharedCacheSource
    # only day 2 run: nothing of day 1 may be reported, though the chain is listed in blocks of days
    assert "contracts_left_out" not in run_backtest(Sell, data=cfg, start=day2).engine
    # a memo answers the second run's chain from memory: the count still comes with it
    memo = MemoSource(DuckDBSource(cfg))
    for _ in range(2):
        assert run_backtest(Sell, source=memo).engine["contracts_left_out"] == {"expiry_before_day": 1}
    # the shared day cache of sweeps: recorded by one process, read by another
    rec = Recorder(DuckDBSource(cfg), DAY, day2, 64)
    assert run_backtest(Sell, source=rec).engine["contracts_left_out"] == {"expiry_before_day": 1}
    assert rec.write(tmp_path / "cache") is not None
    shared = SharedCacheSource(DuckDBSource(cfg), tmp_path / "cache")
    assert run_backtest(Sell, source=shared).engine["contracts_left_out"] == {"expiry_before_day": 1}
    assert shared.hits > 0


@pytest.mark.parametrize("bad", [None, math.nan, -50.0])
def test_a_bad_strike_is_no_contract(tmp_path, bad):
    o = option_rows() + [{**r, "strike": bad, "close": 1.0} for r in option_rows()[:4]]
    path = write(tmp_path, o, spot_rows())
    assert fills(path) == CLEAN
    src = DuckDBSource(load_dataset(path))
    assert src.chain(DAY).strikes_for(EXP) == (21000.0,) and src.ignored["bad_strike"] == 1
    assert found(path)[("error", "bad_strike")].count == 4


def test_days_with_options_but_no_usable_spot_and_the_reverse(tmp_path):
    d2, d3 = date(2024, 1, 3), date(2024, 1, 4)
    o = option_rows() + option_rows(d2)
    s = spot_rows() + [{**r, "close": math.nan} for r in spot_rows(d2)] + spot_rows(d3)
    path = write(tmp_path, o, s)
    f = found(path)
    no_spot = f[("error", "days_without_spot")]
    assert no_spot.count == 1 and "2024-01-03" in no_spot.detail and "none usable" in no_spot.detail
    no_opts = f[("warning", "days_without_options")]
    assert no_opts.count == 1 and "2024-01-04" in no_opts.detail


# -- 2. time is one thing ------------------------------------------------------------------

def minute_priced(ts_of, tz=None):
    """Rows whose price says its exchange minute: CE close = 100 + k (k minutes after 09:15)."""
    typ = pa.timestamp("us", tz=tz)
    o = [{"ts": ts_of(k), "expiry": EXP, "strike": 21000.0, "opt_type": ot, "close": float(p)}
         for k in range(1, 400) for ot, p in (("CE", 100 + k), ("PE", 1000 - k))]
    s = [{"ts": ts_of(k), "close": 21010.0} for k in range(1, 400)]
    schema_o = pa.schema([("ts", typ), ("expiry", pa.date32()), ("strike", pa.float64()), ("opt_type", pa.string()),
                          ("close", pa.float64())])
    schema_s = pa.schema([("ts", typ), ("close", pa.float64())])
    return pa.Table.from_pylist(o, schema_o), pa.Table.from_pylist(s, schema_s)


def entry_0920(path):
    res = run_backtest(At0920, data=load_dataset(path))
    return [(t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_price) for t in res.trades]


def utc_of(k):
    return minute(k).replace(tzinfo=IST).astimezone(timezone.utc)


WIDE = '"Asia/Kolkata"\n'


def tz_write(tmp, ofiles, sfiles):
    path = write(tmp, None, None, f"timezone = {WIDE}", ofiles=ofiles, sfiles=sfiles)
    text = (tmp / "dataset.toml").read_text().replace('end = "09:22"', 'end = "15:30"')
    (tmp / "dataset.toml").write_text(text)
    return path


def test_spot_aware_and_options_naive_is_valid_and_has_no_look_ahead(tmp_path):
    o_naive, _ = minute_priced(minute)
    _, s_aware = minute_priced(utc_of, "UTC")
    path = tz_write(tmp_path, {"o.parquet": o_naive}, {"s.parquet": s_aware})
    assert entry_0920(path) == [("09:20", 105.0, 110.0)]  # the 09:20 price, not 14:50's
    assert [f for f in check_dataset(load_dataset(path)).findings if f.level == "error"] == []


def test_all_aware_dataset_has_no_look_ahead(tmp_path):
    o_aware, s_aware = minute_priced(utc_of, "UTC")
    path = tz_write(tmp_path, {"o.parquet": o_aware}, {"s.parquet": s_aware})
    assert entry_0920(path) == [("09:20", 105.0, 110.0)]
    assert [f for f in check_dataset(load_dataset(path)).findings if f.level == "error"] == []


@pytest.mark.parametrize("aware_first", [True, False])
def test_a_table_mixing_aware_and_naive_files_is_refused_naming_one_of_each(tmp_path, aware_first):
    o_naive, s_naive = minute_priced(minute)
    o_aware, _ = minute_priced(utc_of, "UTC")
    half = o_naive.num_rows // 2
    a, b = (o_aware.slice(0, half), o_naive.slice(half)) if aware_first else (o_naive.slice(0, half),
                                                                              o_aware.slice(half))
    path = tz_write(tmp_path, {"o/1.parquet": a, "o/2.parquet": b}, {"s.parquet": s_naive})
    aware, naive = ("o/1.parquet", "o/2.parquet") if aware_first else ("o/2.parquet", "o/1.parquet")
    with pytest.raises(MixedTimezonesError) as err:
        entry_0920(path)
    assert f"{aware} (tz-aware)" in str(err.value) and f"{naive} (naive)" in str(err.value)
    f = found(path)[("error", "mixed_timezones")]
    assert f.where == str(tmp_path / aware) and f.sample["naive_file"] == str(tmp_path / naive)


def test_text_timestamps_with_an_offset_are_converted_not_truncated(tmp_path):
    # the same instants as text: some rows as UTC with 'Z', others as naive exchange time
    def text(k):
        return utc_of(k).strftime("%Y-%m-%dT%H:%M:%SZ") if k % 2 else minute(k).strftime("%Y-%m-%d %H:%M:%S")
    o = [{"ts": text(k), "expiry": EXP, "strike": 21000.0, "opt_type": ot, "close": float(p)}
         for k in range(1, 30) for ot, p in (("CE", 100 + k), ("PE", 1000 - k))]
    s = [{"ts": text(k), "close": 21010.0} for k in range(1, 30)]
    path = tz_write(tmp_path, {"o.parquet": o}, {"s.parquet": s})
    assert entry_0920(path) == [("09:20", 105.0, 110.0)]
    text_toml = (tmp_path / "dataset.toml").read_text().replace(f"timezone = {WIDE}", "")
    (tmp_path / "dataset.toml").write_text(text_toml)
    with pytest.raises(DataError, match="UTC offset or zone .*; set timezone"):
        entry_0920(path)


# every way a text timestamp names its zone that optbt reads: the entry is the 09:20 price
# (CE close = 100 + minutes after 09:15) whichever zone the text was written in
TEXT_ZONES = [("Z", timezone.utc), ("z", timezone.utc), (" UTC", timezone.utc), (" utc", timezone.utc),
              (" GMT", timezone.utc), ("+00:00", timezone.utc), (" +0000", timezone.utc), ("+00", timezone.utc),
              ("+05:30", IST), (" +05:30", IST), ("+0530", IST), (" Asia/Kolkata", IST),
              ("+04:00", timezone(timedelta(hours=4))), (" Asia/Dubai", timezone(timedelta(hours=4))),
              ("-05:00", timezone(timedelta(hours=-5)))]


@pytest.mark.parametrize("suffix,zone", TEXT_ZONES, ids=[z for z, _ in TEXT_ZONES])
def test_text_timestamps_name_their_zone_in_any_common_spelling(tmp_path, suffix, zone):
    def text(k):  # odd minutes in the named zone, even ones as naive exchange time
        if k % 2:
            return minute(k).replace(tzinfo=IST).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") + suffix
        return minute(k).strftime("%Y-%m-%d %H:%M:%S")
    o = [{"ts": text(k), "expiry": EXP, "strike": 21000.0, "opt_type": ot, "close": float(p)}
         for k in range(1, 30) for ot, p in (("CE", 100 + k), ("PE", 1000 - k))]
    s = [{"ts": text(k), "close": 21010.0} for k in range(1, 30)]
    path = tz_write(tmp_path, {"o.parquet": o}, {"s.parquet": s})
    assert entry_0920(path) == [("09:20", 105.0, 110.0)]


@pytest.mark.parametrize("suffix", [" IST", " EST", " UTC+5", " Kolkata"])
def test_text_timestamps_in_a_zone_that_cannot_be_read_safely_are_refused_with_the_text(tmp_path, suffix):
    # DuckDB's plain cast drops such a zone silently (09:16 GMT would read as 09:16 exchange time)
    o = [{"ts": minute(k).strftime("%Y-%m-%d %H:%M:%S") + (suffix if k == 7 else ""), "expiry": EXP,
          "strike": 21000.0, "opt_type": ot, "close": float(p)}
         for k in range(1, 30) for ot, p in (("CE", 100 + k), ("PE", 1000 - k))]
    s = [{"ts": minute(k).strftime("%Y-%m-%d %H:%M:%S"), "close": 21010.0} for k in range(1, 30)]
    path = tz_write(tmp_path, {"o.parquet": o}, {"s.parquet": s})
    with pytest.raises(DataError, match=re.escape(f"09:22:00{suffix}' ends in '{suffix.strip()}'")):
        entry_0920(path)


@pytest.mark.parametrize("partitioned", [True, False])
def test_null_timestamps_and_bad_spot_rows_in_both_layouts(tmp_path, partitioned):
    """The read-ahead path (day partitions) and the plain one: NULL timestamps and NaN spots are no bars."""
    s = spot_rows() + [{"ts": None, "close": 21010.0}]
    s[1]["close"] = math.nan
    o = option_rows() + [{**option_rows()[0], "ts": None, "close": 1.0}]
    o[2]["close"] = math.nan  # CE 09:17
    day = f"day={DAY.isoformat()}"
    path = write(tmp_path, None, None, ofiles={f"o/{day}/p.parquet": o}, sfiles={f"s/{day}/p.parquet": s})
    text = (tmp_path / "dataset.toml").read_text()
    for side in "os" if partitioned else "":
        text = text.replace(f'path = "{side}/{day}/p.parquet"',
                            f'path = "{side}/*/*.parquet"\nhive_partitioning = true\nday_partition = "day"')
    (tmp_path / "dataset.toml").write_text(text)
    assert (DuckDBSource(load_dataset(path)).spot.by_day is not None) == partitioned
    assert fills(path) == [("ce", "09:18", 103.0, "09:20", 105.0), ("pe", "09:18", 87.0, "09:20", 85.0)]
    f = found(path)
    assert f[("error", "bad_timestamp")].count == 1 and f[("error", "non_finite_price")].count == 1


def test_a_sweep_says_which_contracts_it_left_out(tmp_path):
    o = option_rows() + [{**r, "expiry": date(2024, 1, 1)} for r in option_rows()]
    path = write(tmp_path, o, spot_rows())
    strat = tmp_path / "s.strat"
    strat.write_text("strategy s\n\nparams\n    sl_pct: percent = 30%\n\nexpiry nearest\n\nlegs\n"
                     "    ce = add(ATM, CE, SELL)\n\nentry at 09:17\nstop_loss each leg sl_pct\nexit at 09:20\n")
    from typer.testing import CliRunner

    from optbt.cli.app import _register_all, app
    _register_all()
    res = CliRunner().invoke(app, ["sweep", str(strat), "--grid", "sl_pct=20,40", "--data", str(path / "dataset.toml"),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "left out 1 contract-day listed with an expiry before its trade date" in " ".join(res.output.split())
    logged = [json.loads(line) for line in (tmp_path / "out" / "runs.jsonl").read_text().splitlines()]
    assert [r["engine"]["contracts_left_out"] for r in logged] == [{"expiry_before_day": 1}] * 2


def test_a_conflict_shows_prices_as_a_trader_reads_them_not_binary_noise():
    """A mid's arithmetic leaves 163.72500000000002; the message said so. Now 163.725, with the
    exact digits kept only where two different prices would otherwise read alike."""
    from optbt.data.source import ConflictingBarsError
    err = ConflictingBarsError("f.parquet", "spot", datetime(2024, 1, 2, 9, 17), [109.15, 163.72500000000002],
                               date(2024, 1, 2))
    assert "prices 109.15, 163.725;" in str(err)
    close = ConflictingBarsError("f.parquet", "spot", datetime(2024, 1, 2, 9, 17), [1.0000000000001, 1.0],
                                 date(2024, 1, 2))
    assert "prices 1.0000000000001, 1.0;" in str(close)
