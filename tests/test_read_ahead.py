"""Reading the next block of days in the background changes nothing a run gives.

Hand-made days (blocks of two days, so a run of eight days reads six blocks ahead): each day
``i`` the spot is 21010 every minute (ATM 21000), the 21000 CE closes 100 + 10 i + k and the
PE 90 - k at 09:15 + k. ``SellAtmStraddle`` sells both at 09:17 (or the first minute both are
live) and buys back at 09:20. Planted on some days: a missing bar, identical duplicates,
a day without options, a day without spot, a bad strike, an expiry before its day, and on
the last day conflicting spot rows. Every answer below is worked out from these rules by
hand; each run is made with read-ahead on and off, in day folders and in flat files.
"""

from __future__ import annotations

import math
import threading
from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optbt import run_backtest
from optbt.data import duckdb_source
from optbt.data.dataset import load_dataset
from optbt.data.duckdb_source import DuckDBSource
from optbt.data.source import ConflictingBarsError
from tests.kit import SellAtmStraddle

EXP = date(2024, 1, 25)
DAYS = [date(2024, 1, d) for d in (2, 3, 4, 5, 8, 9, 10, 11, 12)]
NO_OPTIONS, NO_SPOT, CONFLICT = date(2024, 1, 5), date(2024, 1, 9), date(2024, 1, 12)
MISSING_CE_0917, DUPLICATED = date(2024, 1, 3), date(2024, 1, 4)
BAD_STRIKE, STALE_EXPIRY = date(2024, 1, 2), date(2024, 1, 10)


def at(day: date, k: int) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 15) + timedelta(minutes=k)


def rows_of(day: date) -> tuple[list[dict], list[dict]]:
    i = DAYS.index(day)
    opts = [{"ts": at(day, k), "expiry": EXP, "strike": 21000.0, "opt_type": ot, "close": float(p)}
            for k in range(1, 8) for ot, p in (("CE", 100 + 10 * i + k), ("PE", 90 - k))]
    spot = [{"ts": at(day, k), "close": 21010.0} for k in range(1, 8)]
    if day == MISSING_CE_0917:
        opts = [r for r in opts if not (r["opt_type"] == "CE" and r["ts"] == at(day, 2))]
    if day == DUPLICATED:
        opts += [dict(r) for r in opts[:6]]
        spot += [dict(r) for r in spot[:3]]
    if day == NO_OPTIONS:
        opts = []
    if day == NO_SPOT:
        spot = []
    if day == BAD_STRIKE:
        opts += [{**r, "strike": math.nan, "close": 1.0} for r in opts[:4]]
    if day == STALE_EXPIRY:
        opts += [{**r, "expiry": date(2024, 1, 4), "close": r["close"] + 1000} for r in opts]
    if day == CONFLICT:
        spot += [{"ts": at(day, 3), "close": 18800.0}]
    return opts, spot


TOML = '''name = "read-ahead"
underlying = "NIFTY"
[options]
path = "{o}"
{op}
[spot]
path = "{s}"
{sp}
[session]
start = "09:15"
end = "09:22"
'''


def write(root, folders: bool):
    root.mkdir(parents=True, exist_ok=True)
    for day in DAYS:
        opts, spot = rows_of(day)
        for side, rows in (("options", opts), ("spot", spot)):
            if not rows:
                continue
            where = root / side / (f"day={day}" if folders else "") / ("part.parquet" if folders else f"{day}.parquet")
            where.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist([{**r, "underlying": "NIFTY"} for r in rows]), where)
    if folders:
        part = 'hive_partitioning = true\nday_partition = "day"'
        (root / "dataset.toml").write_text(TOML.format(o="options/*/*.parquet", s="spot/*/*.parquet", op=part, sp=part))
    else:
        flat = "hive_partitioning = false"
        (root / "dataset.toml").write_text(TOML.format(o="options/*.parquet", s="spot/*.parquet", op=flat, sp=flat))
    return root


@pytest.fixture(autouse=True)
def no_chain_index(monkeypatch):
    """Query counts compared between runs: each run lists its chains itself (the chain index,
    warm after the first run, would answer the second's; it has its own test below)."""
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    base = tmp_path_factory.mktemp("read_ahead")
    return {"folders": write(base / "folders", True), "flat": write(base / "flat", False)}


def run(path, read_ahead: bool, start=None, end=None, block: int = 2):
    """(trades, daily rows, queries, left-out counts, read-ahead stats) of one run."""
    old = duckdb_source.READ_AHEAD_DAYS
    duckdb_source.READ_AHEAD_DAYS = block
    source = DuckDBSource(load_dataset(path), read_ahead=read_ahead)
    try:
        res = run_backtest(SellAtmStraddle, source=source, start=start, end=end)
        stats = dict(source._ahead.stats) if source._ahead is not None else None
        return ([(t.entry_ts.date(), t.key, t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_price)
                 for t in res.trades],
                [(r.day, r.skipped, r.skip_reason, r.note, r.pnl) for r in res.daily],
                res.engine["queries"], dict(source.ignored), stats)
    finally:
        duckdb_source.READ_AHEAD_DAYS = old
        source.close()


def expected_trades(days):
    out = []
    for day in days:
        if day in (NO_OPTIONS, NO_SPOT, CONFLICT):
            continue
        i = DAYS.index(day)
        k = 3 if day == MISSING_CE_0917 else 2  # the CE has no 09:17 bar that day: both sold at 09:18
        out += [(day, "ce", f"09:1{5 + k}", 100.0 + 10 * i + k, 100.0 + 10 * i + 5),
                (day, "pe", f"09:1{5 + k}", 90.0 - k, 85.0)]
    return out


@pytest.mark.parametrize("layout", ["folders", "flat"])
def test_read_ahead_gives_the_same_run_as_day_by_day_reads(datasets, layout):
    last = STALE_EXPIRY + timedelta(days=1)  # up to the 11th: the conflicting 12th is never reached
    on = run(datasets[layout], True, end=last)
    off = run(datasets[layout], False, end=last)
    assert on[:4] == off[:4]
    days = [d for d in DAYS if d <= last]
    assert on[0] == expected_trades(days)
    skipped = {row[0]: row[2] for row in on[1] if row[1]}
    assert skipped == {NO_OPTIONS: "no_options", NO_SPOT: "no_spot"}
    # one contract-day with a NaN strike, one listed with an expiry before its day
    assert on[3] == {"bad_strike": 1, "expiry_before_day": 1, "bad_expiry": 0, "unknown_opt_type": 0,
                     "underlying_rows": 0}
    assert on[4]["used"] >= 3 and on[4]["failed"] == 0  # the blocks after the first came from the background


@pytest.mark.parametrize("layout", ["folders", "flat"])
def test_read_ahead_with_a_chain_index_gives_the_same_run(datasets, layout, tmp_path, monkeypatch):
    # the background lists the next block through the index: cold (it writes the listing) and
    # warm (it reads it) give the run made without either
    last = STALE_EXPIRY + timedelta(days=1)
    off = run(datasets[layout], False, end=last)
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", str(tmp_path / "chains"))
    cold = run(datasets[layout], True, end=last)
    warm = run(datasets[layout], True, end=last)
    for got in (cold, warm):
        assert (got[0], got[1], got[3]) == (off[0], off[1], off[3])
    assert warm[2] < cold[2]  # the warm run listed no chain by query


@pytest.mark.parametrize("layout", ["folders", "flat"])
def test_a_conflict_is_raised_for_its_day_only_when_the_run_reaches_it(datasets, layout):
    # blocks of three: the 12th is read (in the background) while the 10th and 11th run
    before = run(datasets[layout], True, end=CONFLICT - timedelta(days=1), block=3)
    assert before[0] == expected_trades([d for d in DAYS if d < CONFLICT])
    assert [row for row in before[1] if row[2] == "data_error"] == []
    for read_ahead in (True, False):
        whole = run(datasets[layout], read_ahead, block=3)
        errors = [row for row in whole[1] if row[2] == "data_error"]
        assert [row[0] for row in errors] == [CONFLICT]  # that day is skipped, no other
        assert "conflicting duplicate rows for spot NIFTY at 2024-01-12 09:18:00" in errors[0][3]
        assert whole[0] == before[0]


def test_a_failed_background_read_is_read_again_on_the_main_thread(datasets, monkeypatch):
    calls = []

    def broken(self, sql, params):
        calls.append(sql)
        raise OSError("disk went away")
    monkeypatch.setattr(duckdb_source._Counted, "__call__", broken)
    on = run(datasets["folders"], True, end=STALE_EXPIRY)
    off = run(datasets["folders"], False, end=STALE_EXPIRY)
    assert calls and on[4]["failed"] >= 1 and on[4]["used"] == 0
    assert on[:4] == off[:4]


def test_nothing_is_read_past_the_end_of_the_run_and_close_stops_the_reader(datasets):
    source = DuckDBSource(load_dataset(datasets["folders"]))
    old = duckdb_source.READ_AHEAD_DAYS
    duckdb_source.READ_AHEAD_DAYS = 2
    try:
        run_backtest(SellAtmStraddle, source=source, end=date(2024, 1, 4))
        assert all(day <= date(2024, 1, 4) for _, day, _ in source._ahead._pending)
        assert any(t.name.startswith("optbt-read-ahead") for t in threading.enumerate())
    finally:
        duckdb_source.READ_AHEAD_DAYS = old
        source.close()
    assert source._ahead._pool is None and not source._ahead._pending


def test_the_environment_turns_it_off(datasets, monkeypatch):
    monkeypatch.setenv("OPTBT_READ_AHEAD", "0")
    source = DuckDBSource(load_dataset(datasets["folders"]))
    assert source._ahead is None
    source.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=st.sampled_from(["folders", "flat"]), first=st.integers(0, len(DAYS) - 1),
       length=st.integers(1, len(DAYS)), block=st.integers(1, 5))
def test_property_read_ahead_on_equals_off_for_any_range_and_block(datasets, layout, first, length, block):
    start = DAYS[first]
    end = DAYS[min(first + length, len(DAYS)) - 1]
    outcomes = []
    for read_ahead in (True, False):
        try:
            outcomes.append(run(datasets[layout], read_ahead, start, end, block)[:4])
        except ConflictingBarsError as exc:
            outcomes.append(("conflict", exc.day, str(exc)))
    assert outcomes[0] == outcomes[1]
    if end < CONFLICT:
        assert outcomes[0][0] == expected_trades([d for d in DAYS if start <= d <= end])


class UsesPrevDay(SellAtmStraddle):
    """The straddle, also reading yesterday's bar each tick (which looks up the whole calendar)."""

    def adjust(self, ctx):
        ctx.prev_day()
        super().adjust(ctx)


@pytest.mark.parametrize("strategy", [SellAtmStraddle, UsesPrevDay])
def test_nothing_is_read_ahead_past_the_runs_last_day_nor_twice(datasets, strategy, monkeypatch):
    monkeypatch.setattr(duckdb_source, "READ_AHEAD_DAYS", 2)
    source = DuckDBSource(load_dataset(datasets["folders"]), read_ahead=True)
    asked = []
    submit = source._ahead.submit
    monkeypatch.setattr(source._ahead, "submit", lambda key, read: (asked.append(key), submit(key, read))[1])
    last = DAYS[5]
    try:
        run_backtest(strategy, source=source, end=last)
    finally:
        source.close()
    assert asked and all(day <= last for _, day, _ in asked), asked
    assert len(asked) == len(set(asked)), asked  # no block read ahead twice


def test_a_run_closes_the_source_it_made_and_its_reader(datasets, monkeypatch):
    monkeypatch.setattr(duckdb_source, "READ_AHEAD_DAYS", 2)

    def readers():
        return [t for t in threading.enumerate() if t.name.startswith("optbt-read-ahead")]
    before = len(readers())
    for _ in range(3):
        run_backtest(SellAtmStraddle, data=datasets["folders"])
    assert len(readers()) == before
