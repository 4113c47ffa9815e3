"""The on-disk chain index (optbt/data/chain_index.py): a remembered listing is the listing the
dataset gives now, or it is not used. Planted: bad strikes, stale expiries, a rewritten file, a
torn record, a read-only folder."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optbt import run_backtest
from optbt.data.chain_index import ChainIndex
from optbt.data.dataset import load_dataset
from optbt.data.duckdb_source import DuckDBSource
from tests.kit import SellAtmStraddle

DAYS = [date(2024, 1, 2) + timedelta(days=i) for i in range(6)]


def bars(day: date, strikes=(20950.0, 21000.0, 21050.0), expiry: date | None = None, n: int = 6) -> list[dict]:
    e = expiry or day + timedelta(days=2)
    return [{"ts": datetime(day.year, day.month, day.day, 9, 15) + timedelta(minutes=k), "expiry": e,
             "strike": k_, "opt_type": ot, "close": 100.0 + k + (k_ - 21000) / 10}
            for k in range(1, n + 1) for k_ in strikes for ot in ("CE", "PE")]


def dataset(tmp: Path, end_from_data: bool = False) -> Path:
    """Six days, one folder each; day 2 also lists a stale expiry and a NaN strike."""
    for i, d in enumerate(DAYS):
        rows = bars(d)
        if i == 1:
            rows += bars(d, expiry=d - timedelta(days=1)) + bars(d, strikes=(float("nan"),))
        folder = tmp / "options" / f"day={d}"
        folder.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows), folder / "o.parquet")
        sfolder = tmp / "spot" / f"day={d}"
        sfolder.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(
            [{"ts": datetime(d.year, d.month, d.day, 9, 15) + timedelta(minutes=k), "close": 21010.0}
             for k in range(1, 7)]), sfolder / "s.parquet")
    (tmp / "dataset.toml").write_text(
        'name = "idx"\n[options]\npath = "options/*/*.parquet"\nhive_partitioning = true\nday_partition = "day"\n'
        '[spot]\npath = "spot/*/*.parquet"\nhive_partitioning = true\nday_partition = "day"\n'
        f'[session]\nstart = "09:15"\nend = "09:25"\nend_from_data = {"true" if end_from_data else "false"}\n')
    return tmp


def listing(src: DuckDBSource, days=DAYS) -> list:
    return [(src.chain(d), src.session(d)) for d in days]


@pytest.fixture()
def index_at(tmp_path, monkeypatch):
    folder = tmp_path / "index"
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", str(folder))
    return folder


@pytest.mark.parametrize("end_from_data", [False, True])
def test_a_remembered_listing_equals_a_fresh_one(tmp_path, index_at, monkeypatch, end_from_data):
    path = dataset(tmp_path / "d", end_from_data)
    cold = DuckDBSource(load_dataset(path))
    first = listing(cold)
    assert cold._index.hits == 0 and list(index_at.glob("*.chains"))
    warm = DuckDBSource(load_dataset(path))
    q0 = warm.queries
    assert listing(warm) == first and warm._index.hits >= 1
    assert warm.queries - q0 == 0  # nothing listed again: the index answered (the calendar was read before)
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")
    fresh = DuckDBSource(load_dataset(path))
    assert listing(fresh) == first and fresh._chain_index() is None
    # what no rule may pick is said the same way from the index
    assert first[1][0].left_out == (("bad_strike", 1), ("expiry_before_day", 3))
    assert warm.ignored == fresh.ignored == {"bad_strike": 1, "expiry_before_day": 3, "bad_expiry": 0,
                                             "unknown_opt_type": 0, "underlying_rows": 0}
    # and runs agree, trade for trade
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", str(index_at))
    a = run_backtest(SellAtmStraddle, data=load_dataset(path))
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")
    b = run_backtest(SellAtmStraddle, data=load_dataset(path))
    def fills(r):
        return [(t.key, t.entry_ts, t.entry_price, t.exit_ts, t.exit_price, t.pnl) for t in r.trades]
    assert fills(a) == fills(b) and len(a.trades) == 12
    assert a.engine["contracts_left_out"] == b.engine["contracts_left_out"]


def test_a_rewritten_file_is_listed_again(tmp_path, index_at):
    path = dataset(tmp_path / "d")
    listing(DuckDBSource(load_dataset(path)))
    f = path / "options" / f"day={DAYS[3]}" / "o.parquet"
    pq.write_table(pa.Table.from_pylist(bars(DAYS[3], strikes=(20950.0, 21000.0, 21050.0, 21100.0))), f)
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))  # a new file time, as a copy would give
    chain = DuckDBSource(load_dataset(path)).chain(DAYS[3])
    assert chain.strikes_for(chain.expiries[0]) == (20950.0, 21000.0, 21050.0, 21100.0)


def test_a_torn_record_is_skipped_and_the_block_listed_again(tmp_path, index_at):
    path = dataset(tmp_path / "d")
    first = listing(DuckDBSource(load_dataset(path)))
    (f,) = index_at.glob("*.chains")
    f.write_bytes(f.read_bytes()[:-7])  # a crash in the middle of the last write
    src = DuckDBSource(load_dataset(path))
    assert listing(src) == first
    flipped = bytearray(f.read_bytes())
    flipped[len(flipped) // 2] ^= 0xFF  # a damaged byte: its record fails the checksum
    f.write_bytes(bytes(flipped))
    assert listing(DuckDBSource(load_dataset(path))) == first
    f.write_bytes(b"not an index at all")
    assert listing(DuckDBSource(load_dataset(path))) == first


def test_a_folder_that_cannot_be_written_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", str(blocker / "chains"))  # under a file: never a folder
    path = dataset(tmp_path / "d")
    src = DuckDBSource(load_dataset(path))
    assert [c.day for c, _ in listing(src)] == DAYS


def test_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")
    monkeypatch.setenv("OPTBT_CACHE_DIR", str(tmp_path / "cache"))
    listing(DuckDBSource(load_dataset(dataset(tmp_path / "d"))))
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("how", ["replaced", "in_place"])
def test_a_file_rewritten_with_its_size_and_old_time_restored_is_listed_again(tmp_path, index_at, how):
    """``cp -p``, ``rsync -t``, ``touch -r``: the same size and modification time, other rows (here
    the expiries a week later, uncompressed so the size cannot change). Found by review."""
    path = dataset(tmp_path / "d")
    f = path / "options" / f"day={DAYS[3]}" / "o.parquet"
    plain = {"compression": "none", "use_dictionary": False}
    pq.write_table(pa.Table.from_pylist(bars(DAYS[3])), f, **plain)
    before = DuckDBSource(load_dataset(path)).chain(DAYS[3]).expiries
    st = f.stat()
    later = pa.Table.from_pylist(bars(DAYS[3], expiry=DAYS[3] + timedelta(days=9)))
    if how == "replaced":
        pq.write_table(later, f.with_name("new.tmp"), **plain)
        f.with_name("new.tmp").replace(f)
    else:
        pq.write_table(later, f.with_name("new.tmp"), **plain)
        f.write_bytes(f.with_name("new.tmp").read_bytes())  # the same inode, written over
        f.with_name("new.tmp").unlink()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (f.stat().st_size, f.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    after = DuckDBSource(load_dataset(path)).chain(DAYS[3]).expiries
    assert before == (DAYS[3] + timedelta(days=2),) and after == (DAYS[3] + timedelta(days=9),)


def test_the_key_holds_the_query_its_parameters_and_every_file_stamp(tmp_path):
    f = tmp_path / "a.parquet"
    f.write_bytes(b"1")

    def key(*args):  # each run opens its own index (a source's): stamps are taken again
        return ChainIndex(tmp_path / "ix", "d").block_key(*args)
    k = key("SELECT 1", {"und": "NIFTY", "f": [str(f)]}, [str(f)])
    assert k != key("SELECT 2", {"und": "NIFTY"}, [str(f)])
    assert k != key("SELECT 1", {"und": "BANKNIFTY"}, [str(f)])
    same_run = ChainIndex(tmp_path / "ix", "d")
    before = same_run.block_key("SELECT 1", {"und": "NIFTY"}, [str(f)])
    f.write_bytes(b"12")
    assert k != key("SELECT 1", {"und": "NIFTY"}, [str(f)])
    # within one source's life a file is stat'ed once (thousands of files, many queries)
    assert same_run.block_key("SELECT 1", {"und": "NIFTY"}, [str(f)]) == before
    assert key("SELECT 1", {}, [str(tmp_path / "gone.parquet")]) is None


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from(DAYS), min_size=1, max_size=8))
def test_days_asked_in_any_order_get_the_fresh_listing(tmp_path_factory, asked):
    root = tmp_path_factory.mktemp("prop")
    path = dataset(root / "d")
    before = os.environ.get("OPTBT_CHAIN_INDEX")
    os.environ["OPTBT_CHAIN_INDEX"] = "off"
    try:
        fresh = listing(DuckDBSource(load_dataset(path)), asked)
        os.environ["OPTBT_CHAIN_INDEX"] = str(root / "index")
        listing(DuckDBSource(load_dataset(path)), asked[::-1])  # remembers other blocks first
        assert listing(DuckDBSource(load_dataset(path)), asked) == fresh
    finally:
        if before is None:
            os.environ.pop("OPTBT_CHAIN_INDEX", None)
        else:
            os.environ["OPTBT_CHAIN_INDEX"] = before


def with_spot(tmp: Path, name: str, options: str) -> Path:
    """The spot of every day (21010 at each of six minutes) in one file beside the options, and
    a config naming both (a 09:15-09:25 session): the dataset folder."""
    pq.write_table(pa.Table.from_pylist(
        [{"ts": datetime(d.year, d.month, d.day, 9, 15) + timedelta(minutes=k), "close": 21010.0}
         for d in DAYS for k in range(1, 7)]), tmp / "spot.parquet")
    (tmp / "dataset.toml").write_text(
        f'name = "{name}"\n[options]\npath = "{options}"\n[spot]\npath = "spot.parquet"\n'
        '[session]\nstart = "09:15"\nend = "09:25"\n')
    return tmp


def one_file(tmp: Path, days) -> Path:
    """Options of every day in one file (one row group spanning them: its footer cannot say
    which days it holds, so the days with options are found by a scan), spot likewise."""
    tmp.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist([r for d in days for r in bars(d)]), tmp / "options.parquet")
    return with_spot(tmp, "flat", "options.parquet")


def test_the_days_with_options_of_a_scanned_file_are_remembered_until_it_changes(tmp_path, index_at, monkeypatch):
    # days 0-3 hold options, 4-5 only spot: a run must visit the spot-only days and skip them
    path = one_file(tmp_path / "d", DAYS[:4])
    cold = DuckDBSource(load_dataset(path))
    q0 = cold.queries
    assert cold.option_days() == DAYS[:4] and cold.queries - q0 >= 1
    warm = DuckDBSource(load_dataset(path))
    q0 = warm.queries
    assert warm.option_days() == DAYS[:4]
    assert warm.queries - q0 == 0  # no scan, and the footer read remembered too (chain_index.footer_rows)
    assert warm.option_days(DAYS[1], DAYS[2]) == DAYS[1:3]  # another range: its own key
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")
    assert DuckDBSource(load_dataset(path)).option_days() == DAYS[:4]
    # the file rewritten with a fifth day: the new answer, never the remembered one
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", str(index_at))
    f = one_file(tmp_path / "d", DAYS[:5]) / "options.parquet"
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    assert DuckDBSource(load_dataset(path)).option_days() == DAYS[:5]


def per_contract(tmp: Path, strike_of=lambda k: k) -> Path:
    """A file per contract (no folders, one contract's days each), one written without
    statistics, and a day's file holding a NaN strike: what the tables learn from footers."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "options").mkdir(exist_ok=True)
    rows = [r for d in DAYS for r in bars(d, expiry=DAYS[-1])]
    for n, (k, ot) in enumerate(sorted({(r["strike"], r["opt_type"]) for r in rows})):
        mine = [{**r, "strike": strike_of(r["strike"])} for r in rows if (r["strike"], r["opt_type"]) == (k, ot)]
        pq.write_table(pa.Table.from_pylist(mine), tmp / "options" / f"c{n}.parquet", write_statistics=n != 1)
    pq.write_table(pa.Table.from_pylist(bars(DAYS[2], strikes=(float("nan"),), expiry=DAYS[-1])),
                   tmp / "options" / "nan.parquet")
    return with_spot(tmp, "contracts", "options/*.parquet")


def footer_facts(src: DuckDBSource) -> tuple:
    o = src.options
    return (o.types, o.cast, o.spans, o.times, o.strikes, o.expiries, src._one_und, src.option_days(),
            src.trading_days(), [sorted(src.option_bars(d, contracts(src, d)).items()) for d in DAYS])


def contracts(src: DuckDBSource, day: date) -> list:
    from optbt.model.instrument import Instrument
    chain = src.chain(day, "NIFTY")
    return [Instrument("NIFTY", e, k, ot) for e in chain.expiries for k in chain.strikes_for(e) for ot in ("CE", "PE")]


def test_footer_answers_remembered_equal_fresh_reads_and_follow_the_files(tmp_path, index_at, monkeypatch):
    """The tables' footer queries (schemas, time/strike/expiry spans, one underlying, days) are
    remembered in the chain index (a file a contract: thousands of footers in every run); a
    warm source learns exactly what a source without the index reads, and a file rewritten
    with other strikes gives the new answer, never the remembered one."""
    path = per_contract(tmp_path / "d")
    cold = DuckDBSource(load_dataset(path))
    facts = footer_facts(cold)
    assert cold.options.strikes and cold.options.expiries and cold.options.spans
    assert "c1.parquet" not in {Path(f).name for f in cold.options.strikes}  # no statistics: no span
    assert "nan.parquet" not in {Path(f).name for f in cold.options.strikes}  # NaN: no span
    warm = DuckDBSource(load_dataset(path))
    assert warm._index.hits >= 3 and footer_facts(warm) == facts
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")
    assert footer_facts(DuckDBSource(load_dataset(path))) == facts
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", str(index_at))
    per_contract(tmp_path / "d", strike_of=lambda k: k + 100.0)  # every file rewritten, other strikes
    for f in (tmp_path / "d" / "options").iterdir():
        os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    changed = footer_facts(DuckDBSource(load_dataset(path)))
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")
    fresh = footer_facts(DuckDBSource(load_dataset(path)))
    assert changed == fresh and changed[4] != facts[4]
