"""Edges where an independent re-implementation of the reading rules (docs/data.md) disagreed
with the DuckDB source; each test failed before its fix. Fills worked out by hand.

The day: bars labelled at their end from 09:16 to 09:25 (session 09:15-09:25), spot 21010
(ATM 21000), expiry 2024-01-04; SellAtmStraddle sells the ATM straddle at 09:17, out at 09:20.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt import run_backtest
from optbt.data.dataset import load_dataset
from optbt.data.duckdb_source import DuckDBSource
from optbt.model.instrument import Instrument
from tests.kit import SellAtmStraddle

DAY, DAY2, EXP = date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)
DAY3 = EXP  # a third day (the expiry day)
SESSION = '[session]\nstart = "09:15"\nend = "09:25"\n'


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time())


def minutes(day: date) -> list[datetime]:
    return [at(day, "09:15") + timedelta(minutes=k) for k in range(1, 11)]


def legs(day: date, **extra) -> list[dict]:
    """CE closes 100, 101, ... and PE 90, 89, ... from 09:16, strike 21000."""
    return [{"ts": t, "expiry": EXP, "strike": 21000.0, "opt_type": ot, "close": float(p), **extra}
            for k, t in enumerate(minutes(day)) for ot, p in (("CE", 100 + k), ("PE", 90 - k))]


def spot(day: date) -> list[dict]:
    return [{"ts": t, "close": 21010.0} for t in minutes(day)]


def write(folder, files: dict[str, list[dict]], config: str):
    for rel, rows in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), path)
    (folder / "dataset.toml").write_text(config + SESSION)
    return folder


def fills(folder, **kw):
    res = run_backtest(SellAtmStraddle, data=load_dataset(folder), **kw)
    return sorted((t.key, t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_price) for t in res.trades), res


def test_a_one_sided_quote_keeps_its_usable_side(tmp_path):
    """CE at 09:17: bid 99, ask NULL -> a sell fills at the bid 99 (it was the close: the NULL ask
    made the crossed-quote test NULL, which dropped the bid too). PE: bid NULL -> the close."""
    rows = legs(DAY)
    for r in rows:
        r["bid"], r["ask"] = r["close"] - 1, r["close"] + 1
        if r["ts"] == at(DAY, "09:17"):
            if r["opt_type"] == "CE":
                r["ask"] = None
            else:
                r["bid"] = None
    folder = write(tmp_path, {"o.parquet": rows, "s.parquet": spot(DAY)},
                   '[options]\npath = "o.parquet"\ncolumns = { bid = "bid", ask = "ask" }\n'
                   '[spot]\npath = "s.parquet"\n')
    src = DuckDBSource(load_dataset(folder))
    ce, pe = (Instrument("NIFTY", EXP, 21000.0, ot) for ot in ("CE", "PE"))
    got = src.option_bars(DAY, [ce, pe])
    assert [b for b in got[ce] if b[0] == at(DAY, "09:17")] == [(at(DAY, "09:17"), 101.0, 100.0, None)]
    assert [b for b in got[pe] if b[0] == at(DAY, "09:17")] == [(at(DAY, "09:17"), 89.0, None, 90.0)]
    # sells fill at the bid where there is one: CE at 100 (bid), PE at its close 89 (no bid);
    # out at 09:20 buying at the asks: CE 104 + 1, PE 86 + 1
    assert fills(folder)[0] == [("ce", "09:17", 100.0, 105.0), ("pe", "09:17", 89.0, 87.0)]


@pytest.mark.parametrize("layout", ["day_folders", "one_file"])
def test_a_spot_conflict_outside_the_session_is_ignored_on_every_layout(tmp_path, layout):
    """Two different spot closes at 09:05, before the 09:15 open, on both days: outside the
    session, ignored as the options' are (it stopped the run with day folders, and skipped day 2
    only with one spot file, or nothing when the run started on day 2)."""
    early = [{"ts": at(d, "09:05"), "close": c} for d in (DAY, DAY2) for c in (20990.0, 20995.0)]
    if layout == "day_folders":
        files = {f"spot/day={d}/s.parquet": spot(d) + [r for r in early if r["ts"].date() == d] for d in (DAY, DAY2)}
        spot_cfg = '[spot]\npath = "spot/*/*.parquet"\nhive_partitioning = true\nday_partition = "day"\n'
    else:
        files = {"spot/s.parquet": spot(DAY) + spot(DAY2) + early}
        spot_cfg = '[spot]\npath = "spot/*.parquet"\n'
    files["o.parquet"] = legs(DAY) + legs(DAY2)
    folder = write(tmp_path, files, '[options]\npath = "o.parquet"\n' + spot_cfg)
    got, res = fills(folder)
    assert len(got) == 4 and not [d for d in res.daily if d.skipped]
    assert len(fills(folder, start=DAY2)[0]) == 2


@pytest.mark.parametrize("kind", ["int", "text"])
def test_an_impossible_yyyymmdd_expiry_is_that_rows_bad_expiry_not_the_blocks_failure(tmp_path, kind):
    """20240230 on one row of the last day: left out and counted (an integer one failed every
    day of the block's listing)."""
    def e(d: date):
        v = int(d.strftime("%Y%m%d"))
        return v if kind == "int" else str(v)
    files = {"spot/s.parquet": spot(DAY) + spot(DAY2)}
    for d in (DAY, DAY2):
        rows = [{**r, "expiry": e(EXP)} for r in legs(d)]
        if d == DAY2:
            rows.append({**rows[0], "strike": 21050.0, "expiry": 20240230 if kind == "int" else "20240230"})
        files[f"options/day={d}/o.parquet"] = rows
    folder = write(tmp_path, files, '[options]\npath = "options/*/*.parquet"\nhive_partitioning = true\n'
                                    'day_partition = "day"\n[spot]\npath = "spot/s.parquet"\n')
    got, res = fills(folder)
    assert len(got) == 4 and res.engine["contracts_left_out"] == {"bad_expiry": 1}


def test_a_time_zone_aware_expiry_is_the_exchanges_date(tmp_path):
    """2024-01-03 18:30 UTC is 2024-01-04 00:00 in Kolkata: the contract expires on the 4th
    (DuckDB's own cast gave the machine zone's date, the 3rd on a UTC machine)."""
    utc = timezone.utc
    rows = [{**r, "expiry": datetime(2024, 1, 3, 18, 30, tzinfo=utc)} for r in legs(DAY)]
    folder = write(tmp_path, {"o.parquet": rows, "s.parquet": spot(DAY)},
                   'timezone = "Asia/Kolkata"\n[options]\npath = "o.parquet"\n[spot]\npath = "s.parquet"\n')
    assert DuckDBSource(load_dataset(folder)).chain(DAY).expiries == (EXP,)
    assert len(fills(folder)[0]) == 2
    (tmp_path / "dataset.toml").write_text('[options]\npath = "o.parquet"\n[spot]\npath = "s.parquet"\n' + SESSION)
    with pytest.raises(Exception, match=r"expiries \(column .expiry.\) carry a time zone.*set timezone"):
        DuckDBSource(load_dataset(folder))


def test_a_row_without_a_time_lists_no_strike_on_any_layout(tmp_path):
    """A row with no time is on no day: its strike 21000 must not enter the chain because of the
    folder it sits in (spot 21030 would pick ATM 21050 — the timeless row's — and find no bars)."""
    timeless = {"ts": None, "expiry": EXP, "strike": 21050.0, "opt_type": "CE", "close": 5.0}
    rows = [r for r in legs(DAY)] + [{**r, "strike": 21100.0} for r in legs(DAY)]
    spot_rows = [{**r, "close": 21040.0} for r in spot(DAY)]
    for name, files, cfg in [
        ("folders", {f"options/day={DAY}/o.parquet": rows + [timeless]},
         '[options]\npath = "options/*/*.parquet"\nhive_partitioning = true\nday_partition = "day"\n'),
        ("flat", {"options/o.parquet": rows + [timeless]}, '[options]\npath = "options/*.parquet"\n'),
    ]:
        folder = write(tmp_path / name, {**files, "s.parquet": spot_rows}, cfg + '[spot]\npath = "s.parquet"\n')
        assert DuckDBSource(load_dataset(folder)).chain(DAY).strikes_for(EXP) == (21000.0, 21100.0), name
        # ATM of 21040 is 21050 (not listed): the nearest listed strike is 21000
        assert [(k, p) for k, _, p, _ in fills(folder)[0]] == [("ce", 101.0), ("pe", 89.0)], name


def test_a_strike_held_only_by_rows_of_no_known_type_is_not_listed(tmp_path):
    """21050 appears only with opt_type "X" and NULL: those rows are ignored everywhere, so the
    chain must not offer it (ATM of spot 21040 picked it and then found no call or put)."""
    rows = legs(DAY) + [{**r, "strike": 21100.0} for r in legs(DAY)]
    rows += [{**r, "strike": 21050.0, "opt_type": ot} for r in legs(DAY)[:4] for ot in ("X", None)]
    spot_rows = [{**r, "close": 21040.0} for r in spot(DAY)]
    folder = write(tmp_path, {"o.parquet": rows, "s.parquet": spot_rows},
                   '[options]\npath = "o.parquet"\n[spot]\npath = "s.parquet"\n')
    assert DuckDBSource(load_dataset(folder)).chain(DAY).strikes_for(EXP) == (21000.0, 21100.0)
    assert [(k, p) for k, _, p, _ in fills(folder)[0]] == [("ce", 101.0), ("pe", 89.0)]


def test_the_underlying_test_is_left_out_only_where_the_footers_prove_every_row_matches(tmp_path):
    """Files of several days without day folders. Day 1's file holds NIFTY only (in lower case
    on day 4): its query need not test each row. Day 2's file also holds BANKNIFTY rows at the
    same contract and minutes, priced 500+ (in a later row group); day 3's a NULL-underlying row
    priced 999. Those two keep the test, and no foreign price reaches the legs on any day."""
    d3, d4 = date(2024, 1, 1), date(2023, 12, 29)
    foreign = [{**r, "underlying": "BANKNIFTY", "close": 500.0 + i} for i, r in enumerate(legs(DAY2))]
    files = {"o/1.parquet": legs(DAY, underlying="NIFTY"),
             "o/2.parquet": legs(DAY2, underlying="NIFTY") + foreign,
             "o/3.parquet": legs(d3, underlying="NIFTY") + [{**legs(d3)[4], "underlying": None, "close": 999.0}],
             "o/4.parquet": legs(d4, underlying="nifty"),
             "s.parquet": [r for d in (d4, d3, DAY, DAY2) for r in spot(d)]}
    for rel, rows in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), tmp_path / rel, row_group_size=20)
    (tmp_path / "dataset.toml").write_text('underlying = "NIFTY"\n[options]\npath = "o/*.parquet"\n'
                                           '[spot]\npath = "s.parquet"\ncolumns = { underlying = "" }\n' + SESSION)
    src = DuckDBSource(load_dataset(tmp_path))
    sqls = []
    run = src._run
    src._run = lambda sql, params: sqls.append(sql) or run(sql, params)
    tested = {}
    for day in (d4, d3, DAY, DAY2):
        ce, pe = (Instrument("NIFTY", EXP, 21000.0, ot) for ot in ("CE", "PE"))
        sqls.clear()
        got = src.option_bars(day, [ce, pe])
        assert [b[1] for b in got[ce]] == [100.0 + k for k in range(10)], day
        assert [b[1] for b in got[pe]] == [90.0 - k for k in range(10)], day
        tested[day] = 'upper(trim(CAST("underlying"' in sqls[-1]
    assert tested == {d4: False, d3: True, DAY: False, DAY2: True}
    # each of day 2's row groups holds one underlying, but not the same one: BANKNIFTY's bars
    # are BANKNIFTY's alone (a file judged by one row group would have let NIFTY's rows in)
    bank = Instrument("BANKNIFTY", EXP, 21000.0, "CE")
    assert [b[1] for b in src.option_bars(DAY2, [bank])[bank]] == [500.0 + 2 * k for k in range(10)]
    # the run agrees: sold at 09:17 (CE 101, PE 89), bought back at 09:20 (CE 104, PE 86), each day
    trades, res = fills(tmp_path)
    assert trades == sorted([("ce", "09:17", 101.0, 104.0), ("pe", "09:17", 89.0, 86.0)] * 4)


class BuyAtmStraddle(SellAtmStraddle):
    def entry(self, ctx):
        if ctx.time >= "09:17":
            self.try_fill({"ce": self.add(ctx.atm, "CE", "BUY"), "pe": self.add(ctx.atm, "PE", "BUY")})


@pytest.mark.parametrize("later_bid", [False, True])
def test_a_contract_never_bid_all_day_still_buys_at_its_asks(tmp_path, later_bid):
    """Far wings often have no bid. A day with no bid on any bar was taken for data without quotes:
    buys filled at the close, and one bid at 09:25 changed the 09:17 fill (a look-ahead). CE asks
    are close + 0.5, never a bid (but at 09:25 when planted); PE quotes both sides (close -/+ 1)."""
    rows = legs(DAY)
    for r in rows:
        if r["opt_type"] == "CE":
            r["bid"], r["ask"] = None, r["close"] + 0.5
            if later_bid and r["ts"] == at(DAY, "09:25"):
                r["bid"] = r["close"] - 0.5
        else:
            r["bid"], r["ask"] = r["close"] - 1, r["close"] + 1
    folder = write(tmp_path, {"o.parquet": rows, "s.parquet": spot(DAY)},
                   '[options]\npath = "o.parquet"\ncolumns = { bid = "bid", ask = "ask" }\n'
                   '[spot]\npath = "s.parquet"\n')
    # 09:17: CE close 101 -> ask 101.5; PE close 89 -> ask 90. 09:20: CE sells at its close 104
    # (no bid), PE at its bid 86 - 1 = 85
    trades = run_backtest(BuyAtmStraddle, data=load_dataset(folder)).trades
    assert sorted((t.key, t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_price) for t in trades) == \
        [("ce", "09:17", 101.5, 104.0), ("pe", "09:17", 90.0, 85.0)]


def _day_folders(tmp_path, empty: dict[str, date], spot_days=(DAY, DAY2), option_days=(DAY, DAY2)):
    """Two whole days in day folders, plus ``empty``: {"options" or "spot": day} a file of that
    table's columns and no row, in a folder of that day."""
    files = {f"spot/day={d}/s.parquet": spot(d) for d in spot_days}
    files.update({f"options/day={d}/o.parquet": legs(d) for d in option_days})
    folder = write(tmp_path, files, '[options]\npath = "options/*/*.parquet"\nhive_partitioning = true\n'
                   'day_partition = "day"\n[spot]\npath = "spot/*/*.parquet"\nhive_partitioning = true\n'
                   'day_partition = "day"\n')
    for what, d in empty.items():
        rows = legs(DAY) if what == "options" else spot(DAY)
        path = folder / what / f"day={d}" / "empty.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows).slice(0, 0), path)  # the schema, no row
    return folder


@pytest.mark.parametrize("empty", [{"options": DAY3}, {"spot": DAY3}, {"options": DAY3, "spot": DAY3}],
                         ids=["options", "spot", "both"])
def test_a_day_folder_of_empty_files_is_no_day(tmp_path, empty):
    """A file with a schema and no row in a folder of a day of its own: no row falls on that day,
    so it is no day to a run, as without day folders (it was visited and skipped as no_spot)."""
    folder = _day_folders(tmp_path, empty)
    got, res = fills(folder)
    assert [(d.day, d.skip_reason) for d in res.daily] == [(DAY, ""), (DAY2, "")]
    assert res.summary["skips"] == {} and res.engine["days"] == 2 and len(got) == 4
    src = DuckDBSource(load_dataset(folder))
    assert src.trading_days() == [DAY, DAY2] and src.option_days() == [DAY, DAY2]
    with pytest.raises(Exception, match="the dataset has 2 days from 2024-01-02 to 2024-01-03"):
        fills(folder, start=DAY3)


def test_an_empty_spot_file_on_a_day_with_options_still_skips_it_as_no_spot(tmp_path):
    """Only a folder day without any row goes: a day with option rows and an empty spot file is
    a day without spot, visited and skipped as before."""
    folder = _day_folders(tmp_path, {"spot": DAY3}, option_days=(DAY, DAY2, DAY3))
    _, res = fills(folder)
    assert [(d.day, d.skip_reason) for d in res.daily] == [(DAY, ""), (DAY2, ""), (DAY3, "no_spot")]


def test_data_check_names_empty_files_and_the_days_they_do_not_make(tmp_path):
    from optbt.data.check import check_dataset
    folder = _day_folders(tmp_path, {"options": DAY3})
    found = [f for f in check_dataset(load_dataset(folder)).findings if f.check == "empty_files"]
    assert [(f.level, f.where, f.count) for f in found] == [
        ("warning", str(folder / "options" / f"day={DAY3}" / "empty.parquet"), 1)]
    assert "1 day folder holds no other file, so it adds no day to a run: 2024-01-04" in found[0].detail
    assert [f for f in check_dataset(load_dataset(_day_folders(tmp_path / "full", {}))).findings
            if f.check == "empty_files"] == []


def test_identical_spot_rows_with_a_nan_volume_are_one_bar_not_a_conflict(tmp_path):
    """A pandas volume column with a NaN: two identical copies of a spot minute were refused as
    'conflicting duplicate rows ... (.., nan), (.., nan)' (NaN never equals itself), though
    data check called them the identical duplicates they are. A volume that is no number is an
    unknown volume (None)."""
    import math
    minute = [datetime(2024, 1, 2, 9, 15) + timedelta(minutes=k) for k in range(1, 6)]
    o = [{"ts": t, "underlying": "NIFTY", "expiry": date(2024, 1, 4), "strike": 21000.0, "opt_type": ot,
          "close": 100.0} for t in minute for ot in ("CE", "PE")]
    s = [{"ts": t, "underlying": "NIFTY", "open": 1.0, "high": 2.0, "low": 0.5, "close": 21000.0 + k,
          "volume": math.nan} for k, t in enumerate(minute, 1)]
    pq.write_table(pa.Table.from_pylist(o), tmp_path / "o.parquet")
    pq.write_table(pa.Table.from_pylist(s + [dict(s[2])]), tmp_path / "s.parquet")
    (tmp_path / "dataset.toml").write_text('name = "x"\n[options]\npath = "o.parquet"\n[spot]\npath = "s.parquet"\n'
                                           '[session]\nstart = "09:15"\nend = "09:20"\n')
    bars = DuckDBSource(load_dataset(tmp_path)).ohlc_bars(date(2024, 1, 2))
    assert [b[4] for b in bars] == [21001.0, 21002.0, 21003.0, 21004.0, 21005.0]
    assert all(b[5] is None for b in bars)
