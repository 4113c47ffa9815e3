"""The same prices in other file layouts give the same trades, with reads in blocks of days.

Layouts users keep: day folders (what ``optbt data synth`` writes), one file a month with no
folders, and options a file a day with the whole spot in one unpartitioned file. Without day
folders the source learns each file's days from its footer and reads a block of days at once,
so the number of queries does not grow with the number of files.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from optbt.data.synth import generate
from optbt.dsl.loader import load_strategy
from optbt.engine.loop import run_backtest
from tests.kit import config_head

ROOT = Path(__file__).resolve().parents[1]
STRATEGY = str(ROOT / "examples" / "straddle_920.py") + ":Straddle920"




@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    base = tmp_path_factory.mktemp("layouts")
    hive = generate(base / "hive", days=6, seed=3, strikes_each_side=6)
    con = duckdb.connect()
    opts = f"{hive}/options/*/*.parquet"
    spot = f"{hive}/spot/*/*.parquet"
    monthly, single = base / "monthly", base / "single"
    for root in (monthly, single):
        (root / "options").mkdir(parents=True)
        (root / "spot").mkdir(parents=True)
    con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{opts}', hive_partitioning=true) ORDER BY ts) "
                f"TO '{monthly}/options/2024-01.parquet' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{spot}', hive_partitioning=true) ORDER BY ts) "
                f"TO '{monthly}/spot/2024-01.parquet' (FORMAT parquet)")
    days = [r[0] for r in con.execute(f"SELECT DISTINCT day FROM read_parquet('{opts}', hive_partitioning=true) "
                                      "ORDER BY 1").fetchall()]
    for d in days:
        con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{opts}', hive_partitioning=true) "
                    f"WHERE day = '{d}' ORDER BY ts) TO '{single}/options/{d}.parquet' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{spot}', hive_partitioning=true) ORDER BY ts) "
                f"TO '{single}/spot/spot.parquet' (FORMAT parquet)")
    flat = '[options]\npath = "options/*.parquet"\n[spot]\npath = "spot/*.parquet"\n'
    for root in (monthly, single):
        (root / "dataset.toml").write_text(config_head(hive) + flat)
    return {"hive": hive, "monthly": monthly, "single": single, "days": len(days)}


def test_every_layout_gives_the_same_trades(layouts):
    cls = load_strategy(STRATEGY)
    rows = {}
    for name in ("hive", "monthly", "single"):
        res = run_backtest(cls, data=layouts[name])
        rows[name] = [t.row() for t in res.trades]
        assert res.engine["days"] == layouts["days"]
    assert rows["hive"] and rows["hive"] == rows["monthly"] == rows["single"]


def test_without_day_folders_chain_and_spot_come_in_blocks(layouts, tmp_path, monkeypatch):
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", str(tmp_path / "chains"))  # cold: the chain is listed here
    res = run_backtest(load_strategy(STRATEGY), data=layouts["single"])
    # the days with spot (1) and with options (1) + the chain of all 6 days (1) + their spot
    # (1) + per day one fetch of the straddle's two legs (6) + the first day's times of the spot
    # and of the options (2: optbt/data/first_day.py), and its forward-filled option bars (1:
    # optbt/data/fill_hint.py, the files have a volume column), and the order of its option
    # rows (1: optbt/data/row_order.py); a query per day for chain and spot would make 24
    assert res.engine["queries"] == 1 + 1 + 1 + 1 + layouts["days"] + 2 + 1 + 1


def test_with_a_file_a_day_without_folders_a_day_s_options_come_from_that_file_only(layouts):
    """The footers give each file's exact time range, so a day's option query opens the day's
    file, not also its neighbours (the day spans are a day wider on each side)."""
    from optbt.data.duckdb_source import DuckDBSource
    src = DuckDBSource(Path(layouts["single"]) / "dataset.toml")
    opened = []
    run = src._run

    def spy(sql, params):
        if "$k0" in sql:  # the option-bar query (asks for strikes $k0, $k1, ...)
            opened.append(sorted(Path(f).name for f in params["f"]))
        return run(sql, params)
    src._run = spy
    days = src.trading_days()
    res = run_backtest(load_strategy(STRATEGY), source=src)
    assert [t.row() for t in res.trades] == [t.row() for t in run_backtest(load_strategy(STRATEGY),
                                                                           data=layouts["hive"]).trades]
    assert opened == [[f"{d}.parquet"] for d in days if d.isoformat() + ".parquet" in
                      {p.name for p in (Path(layouts["single"]) / "options").iterdir()}]


@pytest.fixture(scope="module")
def by_contract(layouts, tmp_path_factory):
    """The same prices as a file per contract (named after it, no folders) and a file per expiry,
    as per-symbol downloads come; the spot in one file."""
    base = tmp_path_factory.mktemp("by-contract")
    con = duckdb.connect()
    opts = f"{layouts['hive']}/options/*/*.parquet"
    out = {}
    for name, keys in (("contract", "expiry, strike, opt_type"), ("expiry", "expiry")):
        root = base / name
        (root / "options").mkdir(parents=True)
        (root / "spot").mkdir()
        con.execute(f"COPY (SELECT * FROM read_parquet('{layouts['single']}/spot/*.parquet')) "
                    f"TO '{root}/spot/spot.parquet' (FORMAT parquet)")
        groups = con.execute(f"SELECT DISTINCT {keys} FROM read_parquet('{opts}', hive_partitioning=true)").fetchall()
        for n, values in enumerate(groups):
            where = " AND ".join(f"{k.strip()} = ${i}" for i, k in enumerate(keys.split(",")))
            con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{opts}', hive_partitioning=true) "
                        f"WHERE {where.replace('$', '$p')} ORDER BY ts) TO '{root}/options/{n:05d}.parquet' "
                        "(FORMAT parquet)", {f"p{i}": v for i, v in enumerate(values)})
        (root / "dataset.toml").write_text(config_head(layouts["hive"]) + '[options]\npath = "options/*.parquet"\n'
                                           '[spot]\npath = "spot/*.parquet"\n')
        out[name] = root
    # day folders holding a file per contract each (per-day, per-symbol downloads)
    root = base / "day_contract"
    groups = con.execute(f"SELECT DISTINCT day, expiry, strike, opt_type FROM read_parquet('{opts}', "
                         "hive_partitioning=true)").fetchall()
    for n, (d, e, k, o) in enumerate(groups):
        (root / "options" / f"day={d}").mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{opts}', hive_partitioning=true) WHERE day = $d "
                    f"AND expiry = $e AND strike = $k AND opt_type = $o ORDER BY ts) TO "
                    f"'{root}/options/day={d}/{n:05d}.parquet' (FORMAT parquet)", {"d": d, "e": e, "k": k, "o": o})
    import shutil
    shutil.copytree(Path(layouts["hive"]) / "spot", root / "spot")
    (root / "dataset.toml").write_text((Path(layouts["hive"]) / "dataset.toml").read_text())
    out["day_contract"] = root
    return out


def _bar_queries(src) -> list[list[str]]:
    """Spy on a source's option-bar queries (those asking for strikes $k0, ...): their files."""
    opened = []
    run = src._run

    def spy(sql, params):
        if "$k0" in sql:
            opened.append(sorted(Path(f).name for f in params["f"]))
        return run(sql, params)
    src._run = spy
    return opened


def test_a_file_per_contract_or_expiry_gives_the_same_trades_opening_only_the_contracts_files(layouts, by_contract):
    """Hundreds of files alive on a day: a day's query for the straddle's two contracts opens
    the files whose footers allow those contracts (their strike and expiry statistics), not
    every file of the day, and the trades are those of the day folders."""
    from optbt.data.duckdb_source import DuckDBSource
    want = [t.row() for t in run_backtest(load_strategy(STRATEGY), data=layouts["hive"]).trades]
    assert want
    for name, root in by_contract.items():
        src = DuckDBSource(Path(root) / "dataset.toml")
        opened = _bar_queries(src)
        res = run_backtest(load_strategy(STRATEGY), source=src)
        assert [t.row() for t in res.trades] == want, name
        con = duckdb.connect()
        every = sorted(Path(root).glob("options/**/*.parquet"))
        assert len(every) > (2 if name == "expiry" else 20)
        assert len(opened) == layouts["days"]
        for files in opened:  # a straddle: its call's and its put's file, or their expiry's
            assert len(files) == (1 if name == "expiry" else 2)
            held = con.execute("SELECT DISTINCT expiry, strike FROM read_parquet($f)",
                               {"f": [str(f) for f in every if f.name in files]}).fetchall()  # names unique
            assert len({e for e, _ in held}) == 1 and (name == "expiry" or len(held) == 1)


def test_files_whose_footers_cannot_be_trusted_are_still_read(layouts, by_contract, tmp_path):
    """Files written without statistics give no span: they are opened by every day's query.
    Strikes stored as decimals (statistics '21000.00') still rule files out by value. The
    trades stay those of the day folders either way."""
    import shutil

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from optbt.data.duckdb_source import DuckDBSource
    want = [t.row() for t in run_backtest(load_strategy(STRATEGY), data=layouts["hive"]).trades]
    traded = {(t.instrument.expiry, t.instrument.strike) for t in run_backtest(
        load_strategy(STRATEGY), data=layouts["hive"]).trades}
    for case in ("no statistics", "decimal strikes"):
        root = tmp_path / case.replace(" ", "-")
        shutil.copytree(by_contract["contract"], root)
        bare = []
        for f in sorted((root / "options").iterdir()):
            tab = pq.read_table(f)
            if case == "decimal strikes":
                i = tab.schema.get_field_index("strike")
                pq.write_table(tab.set_column(i, "strike", pc.cast(tab["strike"], pa.decimal128(9, 2))), f)
            elif (tab["expiry"][0].as_py(), tab["strike"][0].as_py()) in traded:
                pq.write_table(tab, f, write_statistics=False)  # the traded contracts' files: any contract
                bare.append(f.name)
        src = DuckDBSource(root / "dataset.toml")
        opened = _bar_queries(src)
        res = run_backtest(load_strategy(STRATEGY), source=src)
        assert [t.row() for t in res.trades] == want, case
        if case == "no statistics":  # every day's query opens every file without statistics
            assert bare and all(set(bare) <= set(files) for files in opened)
        else:
            assert all(len(files) == 2 for files in opened)


def test_files_between_with_a_day_index_gives_the_files_of_a_scan():
    """Thousands of files (a file a contract): the day index finds the same files, in the same
    order, as a scan of every file's span, whatever the spans (none, long, one day)."""
    from datetime import date, timedelta

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from optbt.data import table as table_mod
    from optbt.data.table import Table
    base = date(2024, 1, 1)

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.one_of(st.none(), st.tuples(st.integers(0, 120), st.integers(0, 90))), min_size=1, max_size=40),
           st.integers(0, 130), st.integers(0, 40))
    def check(spans, first, length):
        t = object.__new__(Table)
        t.all_files = [f"f{i}" for i in range(len(spans))]
        t.spans = {f"f{i}": (base + timedelta(days=a), base + timedelta(days=a + n))
                   for i, s in enumerate(spans) if s is not None for a, n in [s]}
        t._buckets = None
        lo, hi = base + timedelta(days=first), base + timedelta(days=first + length)
        scan = [f for f in t.all_files if (s := t.spans.get(f)) is None or (s[0] <= hi and lo <= s[1])]
        saved = table_mod._BUCKETED_FROM
        table_mod._BUCKETED_FROM = 1  # the index for any number of files
        try:
            assert t.files_between(lo, hi) == scan
        finally:
            table_mod._BUCKETED_FROM = saved
    check()


def test_no_file_holding_a_contract_asked_for_is_ever_left_out(tmp_path_factory):
    """Whatever strikes and expiries files hold (decimals, NaN, negative, one value or many,
    with or without statistics, DECIMAL or float or integer), a query for some contracts opens
    every file that holds one of them: footers only ever rule out files that cannot."""
    import itertools
    from datetime import date, datetime
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from optbt.data.duckdb_source import DuckDBSource
    counter = itertools.count()
    strikes = st.sampled_from([99.5, 100.0, 100.05, 17.3, 150.0, 21000.0, -5.0, float("nan")])
    expiries = st.sampled_from([date(2024, 1, 4), date(2024, 1, 11), date(2024, 2, 1)])
    files = st.lists(st.tuples(st.lists(st.tuples(strikes, expiries), min_size=1, max_size=4),
                               st.sampled_from(["double", "float", "int", "decimal"]), st.booleans()),
                      min_size=1, max_size=5)

    @settings(max_examples=25, deadline=None)
    @given(files, st.lists(strikes, min_size=1, max_size=3), st.lists(expiries, min_size=1, max_size=2))
    def check(spec, want_k, want_e):
        root = tmp_path_factory.mktemp(f"spans{next(counter)}")
        (root / "o").mkdir()
        held = {}
        for n, (rows, kind, stats) in enumerate(spec):
            ks = [k if kind in ("double", "float") else (float("nan") if k != k else float(int(k))) for k, _ in rows]
            if kind not in ("double", "float"):
                ks = [0.0 if k != k else k for k in ks]  # no NaN in an integer or decimal column
            if kind == "float":  # a 32-bit strike: 17.3 is stored (and read back) as 17.299999237060547
                ks = [float(pa.array([k], pa.float32())[0].as_py()) for k in ks]
            col = (pa.array(ks, pa.float64()) if kind == "double" else
                   pa.array(ks, pa.float32()) if kind == "float" else
                   pa.array([int(k) for k in ks], pa.int64()) if kind == "int" else
                   pa.array([Decimal(str(k)) for k in ks], pa.decimal128(9, 2)))
            tab = pa.table({"ts": [datetime(2024, 1, 2, 9, 16)] * len(rows), "expiry": [e for _, e in rows],
                            "strike": col, "opt_type": ["CE"] * len(rows), "close": [1.0] * len(rows)})
            name = f"f{n}-{kind}.parquet"
            pq.write_table(tab, root / "o" / name, write_statistics=stats)
            held[name] = {(k, e) for k, (_, e) in zip(ks, rows)}
        pq.write_table(pa.table({"ts": [datetime(2024, 1, 2, 9, 16)], "close": [1.0]}), root / "s.parquet")
        (root / "dataset.toml").write_text('name = "x"\n[options]\npath = "o/*.parquet"\n[spot]\npath = "s.parquet"\n'
                                           '[session]\nstart = "09:15"\nend = "09:20"\n')
        os.environ["OPTBT_CHAIN_INDEX"] = "off"
        try:
            src = DuckDBSource(root / "dataset.toml", read_ahead=False)
        except Exception:  # files the table refuses (mixed strike types): nothing to prune
            return
        o = src.options
        # a chain lists strikes as read: a 32-bit column's 17.3 as 17.299999237060547
        want_k = want_k + [float(pa.array([k], pa.float32())[0].as_py()) for k in want_k]
        kept = {Path(f).name for f in o.files_holding(o.all_files, want_k, want_e)}
        for name, pairs in held.items():
            if any(k == w and e in want_e for k, e in pairs for w in want_k):
                assert name in kept, (name, pairs, want_k, want_e, o.strikes, o.expiries)
    saved = os.environ.get("OPTBT_CHAIN_INDEX")
    try:
        check()
    finally:
        if saved is None:
            os.environ.pop("OPTBT_CHAIN_INDEX", None)
        else:
            os.environ["OPTBT_CHAIN_INDEX"] = saved


def test_a_32_bit_strikes_file_is_never_ruled_out_by_its_rounded_statistics(tmp_path, monkeypatch):
    """DuckDB renders a FLOAT column's statistics as the shortest text of the 32-bit value
    ('17.3'), while a query reads it as 17.299999237060547: a span from that text would rule
    out the very file a chain listed 17.299999237060547 from. FLOAT statistics give no span."""
    from datetime import date, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    from optbt.data.duckdb_source import DuckDBSource
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")
    (tmp_path / "o").mkdir()
    for n, k in enumerate((17.3, 103.33)):
        pq.write_table(pa.table({"ts": [datetime(2024, 1, 2, 9, 16)], "expiry": [date(2024, 1, 4)],
                                 "strike": pa.array([k], pa.float32()), "opt_type": ["CE"], "close": [1.0]}),
                       tmp_path / "o" / f"c{n}.parquet")
    pq.write_table(pa.table({"ts": [datetime(2024, 1, 2, 9, 16)], "close": [1.0]}), tmp_path / "s.parquet")
    (tmp_path / "dataset.toml").write_text('name = "x"\n[options]\npath = "o/*.parquet"\n[spot]\npath = "s.parquet"\n'
                                           '[session]\nstart = "09:15"\nend = "09:20"\n')
    src = DuckDBSource(tmp_path / "dataset.toml", read_ahead=False)
    listed = src.chain(date(2024, 1, 2), "NIFTY").strikes_for(date(2024, 1, 4))
    assert listed == (17.299999237060547, 103.33000183105469)
    o = src.options
    assert [Path(f).name for f in o.files_holding(o.all_files, [listed[0]], [date(2024, 1, 4)])] == ["c0.parquet", "c1.parquet"]


def _opened(root, monkeypatch, share: bool):
    """A source on ``root`` read with the shared footer statistics (or with every footer query
    made directly) and no chain index: every footer query really runs."""
    from optbt.data import duckdb_source, footer_stats
    from optbt.data.duckdb_source import DuckDBSource
    least = 2 if share else 10 ** 9
    monkeypatch.setattr(duckdb_source, "MIN_FILES", least)
    monkeypatch.setattr(footer_stats, "MIN_FILES", least)
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")
    src = DuckDBSource(Path(root) / "dataset.toml")
    days = src.option_days()
    some = src.option_days(days[1], days[-2])  # some of the files: their own footers, not the table
    seen = {"spans": src.options.spans, "strikes": src.options.strikes, "expiries": src.options.expiries,
            "times": getattr(src.options, "times", None), "one_underlying": src._one_und,
            "option_days": days, "some_days": some, "trading_days": src.trading_days()}
    res = run_backtest(load_strategy(STRATEGY), source=src)
    return seen, [t.row() for t in res.trades], src


def test_the_shared_footer_statistics_answer_as_the_footers_themselves(by_contract, monkeypatch, tmp_path):
    """optbt/data/footer_stats.py: a dataset of many files is opened with one read of its footer
    statistics, shared by the queries over them (each file's days and contracts, the files of
    one underlying, the days holding options). Every answer, and the trades, equal those of the
    queries made directly; a file without statistics and a subset of the files included."""
    import shutil

    import pyarrow.parquet as pq
    bare = tmp_path / "bare"  # the contract layout with three files written without statistics
    shutil.copytree(by_contract["contract"], bare)
    for victim in sorted((bare / "options").glob("*.parquet"))[3:30:12]:
        pq.write_table(pq.read_table(victim), victim, write_statistics=False)
    for root in (by_contract["contract"], by_contract["expiry"], bare):
        shared, trades, src = _opened(root, monkeypatch, share=True)
        direct, want, plain = _opened(root, monkeypatch, share=False)
        assert src._shared_footers is not None and src._shared_footers.reads == 1, root
        assert plain._shared_footers is None
        assert shared == direct, root
        assert trades == want and want, root
        assert shared["spans"] and shared["strikes"] and shared["one_underlying"]
