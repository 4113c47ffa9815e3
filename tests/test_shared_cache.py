"""The sweeps' shared day cache: recorded answers equal fresh queries, one fetch per instrument a
day still holds, changed data is never answered from an old cache, a broken file is passed over."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optbt import run_backtest
from optbt.data.dataset import load_dataset
from optbt.data.duckdb_source import DuckDBSource
from optbt.data.shared_cache import Recorder, SharedCacheSource, chunks_in
from optbt.dsl.loader import load_strategy
from optbt.engine.loop import EventEngine
from optbt.sweeps.fingerprint import fingerprint
from optbt.sweeps.warm import cache_folder, chunk_days
from tests.kit import DAY, MemorySource, config, minute
from tests.test_properties import DAY2, EXAMPLES, Wanderer, instruments, market

ROOT = Path(__file__).resolve().parent.parent
CONDOR = load_strategy(str(ROOT / "examples" / "iron_condor.py") + ":IronCondor")
STRADDLE = load_strategy(str(ROOT / "strategies_dsl" / "straddle_920.strat"))
FIRST, LAST = date(2024, 1, 1), date(2024, 1, 12)


def _rows(result):
    return [t.row() for t in result.trades]


def _record(source, folder, strategy=CONDOR, first=FIRST, last=LAST, budget_mb=64.0, **params):
    rec = Recorder(source, first, last, budget_mb)
    run_backtest(strategy, source=rec, start=first, end=last, params=params)
    return rec, rec.write(folder)


def test_recorded_days_answer_exactly_what_fresh_queries_answer(sample_dataset, tmp_path):
    rec, path = _record(DuckDBSource(sample_dataset), tmp_path)
    assert path is not None and path.exists()
    days = DuckDBSource(sample_dataset).trading_days(FIRST, LAST)
    fresh = DuckDBSource(sample_dataset)
    shared = SharedCacheSource(DuckDBSource(sample_dataset), tmp_path)
    und = "NIFTY"
    for day in days:
        assert shared.session(day, und) == fresh.session(day, und)
        assert shared.chain(day, und) == fresh.chain(day, und)
        assert shared.spot_bars(day, und) == fresh.spot_bars(day, und)
        recorded = list(rec.options.get(day, {}))
        assert recorded, "the condor touched four options a day"
        assert shared.option_bars(day, recorded) == fresh.option_bars(day, recorded)
    assert shared.queries == 0  # every answer above came from the file


def test_runs_through_the_cache_equal_fresh_runs_and_read_only_what_it_lacks(sample_dataset, tmp_path):
    _record(DuckDBSource(sample_dataset), tmp_path, sl_pct=40.0)
    for strategy, params in ((CONDOR, {"sl_pct": 20.0}), (STRADDLE, {"sl_pct": 25.0, "exit_time": "15:00"})):
        plain = run_backtest(strategy, source=DuckDBSource(sample_dataset), start=FIRST, end=LAST, params=params)
        shared = SharedCacheSource(DuckDBSource(sample_dataset), tmp_path)
        cached = run_backtest(strategy, source=shared, start=FIRST, end=LAST, params=params)
        assert _rows(cached) == _rows(plain) and cached.metrics == plain.metrics
        assert shared.hits > 0
        if strategy is CONDOR:  # the same legs as the scout's: nothing read at all
            assert cached.engine["queries"] == 0
        else:  # the straddle's ATM legs are not among the condor's wings: read, once a day
            assert 0 < cached.engine["queries"] <= len(cached.daily)
    # days outside the chunk are read from the data as before
    later = run_backtest(STRADDLE, source=SharedCacheSource(DuckDBSource(sample_dataset), tmp_path),
                         start="2024-01-15", end="2024-01-19")
    assert _rows(later) == _rows(run_backtest(STRADDLE, source=DuckDBSource(sample_dataset),
                                              start="2024-01-15", end="2024-01-19"))


@settings(max_examples=max(10, EXAMPLES // 3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(market(days=(DAY, DAY2)),
       st.lists(st.tuples(instruments, instruments, instruments), min_size=1, max_size=6),
       st.lists(st.tuples(instruments, instruments, instruments), min_size=1, max_size=6))
def test_through_the_cache_no_instrument_is_fetched_twice_a_day_nor_one_it_holds(case, scout_plan, plan):
    n, days = case
    with tempfile.TemporaryDirectory() as folder:
        scouted = MemorySource(days, config(n), n)
        rec = Recorder(scouted, DAY, DAY2, 64)
        EventEngine(rec).run(Wanderer(scout_plan))
        rec.write(folder)
        inner = MemorySource(days, config(n), n)
        cached = EventEngine(SharedCacheSource(inner, folder)).run(Wanderer(plan))
    plain = EventEngine(MemorySource(days, config(n), n)).run(Wanderer(plan))
    assert _rows(cached) == _rows(plain)
    for day in days:
        fetched = [i for d, batch in inner.calls if d == day for i in batch]
        assert len(fetched) == len(set(fetched))
        assert not set(fetched) & set(rec.options.get(day, {}))  # what the file holds is never read again


def test_changed_data_gets_another_cache_and_the_old_one_goes(sample_dataset, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(sample_dataset, data)
    config_ = load_dataset(data)
    out = tmp_path / "sweep"
    first = cache_folder(out, fingerprint(str(ROOT / "strategies_dsl" / "straddle_920.strat"), config_, None, None, None))
    first.mkdir(parents=True)
    (first / "2024-01-01_2024-01-12.days").write_bytes(b"old")
    same = cache_folder(out, fingerprint(str(ROOT / "strategies_dsl" / "straddle_920.strat"), config_, None, None, None))
    assert same == first and (first / "2024-01-01_2024-01-12.days").exists()
    one = sorted(data.rglob("*.parquet"))[0]
    st_ = one.stat()
    os.utime(one, ns=(st_.st_atime_ns, st_.st_mtime_ns + 1_000_000_000))  # rewritten: same size, newer
    other = cache_folder(out, fingerprint(str(ROOT / "strategies_dsl" / "straddle_920.strat"), config_, None, None, None))
    assert other != first and not first.exists()


def test_a_broken_or_foreign_file_is_passed_over(sample_dataset, tmp_path):
    (tmp_path / "2024-01-01_2024-01-12.days").write_bytes(b"\x00not a chunk")
    (tmp_path / "notes.txt").write_text("hello")
    shared = SharedCacheSource(DuckDBSource(sample_dataset), tmp_path)
    got = run_backtest(STRADDLE, source=shared, start=FIRST, end=LAST)
    assert _rows(got) == _rows(run_backtest(STRADDLE, source=DuckDBSource(sample_dataset), start=FIRST, end=LAST))
    assert shared.hits == 0 and list(chunks_in(tmp_path)) == [(FIRST, LAST)]


def test_the_budget_bounds_what_is_written_and_answers_stay_right(sample_dataset, tmp_path):
    rec, _ = _record(DuckDBSource(sample_dataset), tmp_path / "small", budget_mb=0.3)
    assert rec.used <= 0.3 * 1024 * 1024
    big, _ = _record(DuckDBSource(sample_dataset), tmp_path / "big")
    assert sum(map(len, rec.options.values())) < sum(map(len, big.options.values()))
    got = run_backtest(CONDOR, source=SharedCacheSource(DuckDBSource(sample_dataset), tmp_path / "small"),
                       start=FIRST, end=LAST)
    assert _rows(got) == _rows(run_backtest(CONDOR, source=DuckDBSource(sample_dataset), start=FIRST, end=LAST))


def test_first_writer_wins_and_tz_aware_times_are_not_written(tmp_path):
    days = {DAY: {"spot": [21000.0] * 3, "options": {}}}
    rec = Recorder(MemorySource(days, config(3), 3), DAY, DAY, 64)
    rec.spot_bars(DAY)
    path = rec.write(tmp_path)
    before = path.read_bytes()
    rec.spots[(DAY, None)] = [(minute(DAY, 0), 1.0, None, None)]
    assert rec.write(tmp_path) == path and path.read_bytes() == before
    aware = Recorder(MemorySource(days, config(3), 3), DAY2, DAY2, 64)
    aware.spots[(DAY2, None)] = [(datetime(2024, 1, 3, 9, 16, tzinfo=timezone.utc), 1.0, None, None)]
    assert aware.write(tmp_path / "aware") is None and not (tmp_path / "aware").exists()


def test_chunks_cover_every_day_once():
    days = [date(2024, 1, d) for d in range(1, 32)]
    for parts in (1, 2, 4, 7, 40):
        pieces = [chunk_days(days, p, parts) for p in range(parts)]
        assert [d for piece in pieces for d in piece] == days
