"""``optbt data sort``: a copy of a dataset whose option files are in read order, same rows.

The copy must hold exactly the source's rows (defects included: a NaN price, a NULL strike, a
conflicting duplicate are kept, not mended), in the order runs read them (each day's rows by
expiry, strike, type, time), give the same trades as the source, and never touch the source.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from optbt.data.check import check_dataset
from optbt.data.dataset import load_dataset
from optbt.data.sort import sort_dataset
from optbt.data.synth import generate
from optbt.dsl.loader import load_strategy
from optbt.engine.loop import run_backtest
from optbt.model.errors import ConfigError, DataError
from tests.kit import FLAT_TABLES as FLAT
from tests.kit import config_head

ROOT = Path(__file__).resolve().parents[1]
STRATEGY = str(ROOT / "examples" / "straddle_920.py") + ":Straddle920"




@pytest.fixture(scope="module")
def hive(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("sort") / "hive", days=4, seed=5, strikes_each_side=4)


def _monthly(hive: Path, out: Path, defects: bool = True) -> Path:
    """The hive dataset as one file in time order (the layout data sort is for), with planted
    defects far from the traded strikes: a NaN close, a NULL strike, a conflicting duplicate."""
    con = duckdb.connect()
    (out / "options").mkdir(parents=True)
    (out / "spot").mkdir()
    con.execute(f"CREATE TABLE o AS SELECT * EXCLUDE (day) FROM read_parquet('{hive}/options/*/*.parquet', "
                "hive_partitioning=true)")
    if defects:
        far = "(SELECT max(strike) FROM o)"
        con.execute(f"UPDATE o SET close = 'nan'::DOUBLE WHERE strike = {far} AND opt_type = 'CE' "
                    "AND ts = (SELECT min(ts) + INTERVAL 30 MINUTE FROM o)")
        con.execute(f"INSERT INTO o SELECT * REPLACE (close + 1 AS close) FROM o WHERE strike = {far} "
                    "AND opt_type = 'PE' AND ts = (SELECT min(ts) + INTERVAL 40 MINUTE FROM o)")
        con.execute("INSERT INTO o SELECT * REPLACE (NULL AS strike) FROM o LIMIT 1")
    con.execute(f"COPY (SELECT * FROM o ORDER BY ts) TO '{out}/options/2024-01.parquet' "
                "(FORMAT parquet, ROW_GROUP_SIZE 2048)")
    con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{hive}/spot/*/*.parquet', hive_partitioning=true) "
                f"ORDER BY ts) TO '{out}/spot/2024-01.parquet' (FORMAT parquet)")
    shutil.copytree(hive / "vix", out / "vix")  # the [series.vix] files, as they are
    (out / "dataset.toml").write_text(config_head(hive) + FLAT)
    return out


def _rows(files: str) -> list[tuple]:
    """Every row of the files, as a sorted list (NaN and NULL compare as text)."""
    con = duckdb.connect()
    return sorted(tuple(map(repr, r)) for r in con.execute(f"SELECT * FROM read_parquet('{files}')").fetchall())


def _trades(data: Path) -> list:
    return [t.row() for t in run_backtest(load_strategy(STRATEGY), data=str(data)).trades]


def test_the_copy_holds_the_same_rows_in_read_order_and_trades_the_same(hive, tmp_path):
    src = _monthly(hive, tmp_path / "monthly")
    before = {p: p.stat().st_mtime_ns for p in src.rglob("*")}
    report = sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "sorted", row_group_rows=1000)
    out = tmp_path / "sorted"
    assert {p: p.stat().st_mtime_ns for p in src.rglob("*")} == before  # the source is not touched
    assert (report.option_files, report.linked, report.copied) == (1, 1 + 4, 0)  # spot, vix a day
    assert _rows(f"{out}/options/*.parquet") == _rows(f"{src}/options/*.parquet")  # defects kept
    assert report.rows == len(_rows(f"{src}/options/*.parquet"))
    # read order: by day, then expiry, strike, type, time (the NULL strike last in its day)
    con = duckdb.connect()
    got = con.execute(f"SELECT CAST(ts AS DATE), expiry, strike, opt_type, ts FROM read_parquet('{out}/options/*.parquet', "
                      "file_row_number=true) ORDER BY file_row_number").fetchall()
    key = [(d, e, k is None, k or 0.0, o, t) for d, e, k, o, t in got]
    assert key == sorted(key)
    assert (out / "spot" / "2024-01.parquet").stat().st_ino == (src / "spot" / "2024-01.parquet").stat().st_ino
    assert (out / "dataset.toml").read_text() == (src / "dataset.toml").read_text()
    codec = "SELECT DISTINCT compression FROM parquet_metadata('{}')"
    assert con.execute(codec.format(f"{out}/options/*.parquet")).fetchall() == \
        con.execute(codec.format(f"{src}/options/*.parquet")).fetchall() == [("SNAPPY",)]  # as the source
    assert _trades(out) == _trades(src) == _trades(hive)
    # data check noted the time order of the source, and has no such note on the copy
    notes = lambda d: [f.check for f in check_dataset(load_dataset(d)).findings if f.level == "note"]  # noqa: E731
    assert "rows_in_time_order" in notes(src) and "rows_in_time_order" not in notes(out)


def test_day_folders_are_mirrored_file_for_file(hive, tmp_path):
    sort_dataset(load_dataset(hive), hive / "dataset.toml", tmp_path / "sorted")
    out = tmp_path / "sorted"
    names = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet"))  # noqa: E731
    assert names(out) == names(hive)
    assert _rows(f"{out}/options/*/*.parquet") == _rows(f"{hive}/options/*/*.parquet")
    assert _trades(out) == _trades(hive)


def test_time_zone_aware_files_sort_by_the_exchange_day(hive, tmp_path):
    """Timestamps stored in UTC: the day and the order are the exchange's (the config's zone)."""
    src = tmp_path / "utc"
    _monthly(hive, src, defects=False)
    con = duckdb.connect()
    for part in ("options", "spot"):
        f = src / part / "2024-01.parquet"
        con.execute(f"COPY (SELECT * REPLACE (timezone('Asia/Kolkata', ts) AS ts) FROM read_parquet('{f}') "
                    f"ORDER BY ts) TO '{f}.utc' (FORMAT parquet, ROW_GROUP_SIZE 2048)")
        (f.parent / (f.name + ".utc")).replace(f)
    assert "TIME ZONE" in con.execute(f"DESCRIBE SELECT ts FROM '{src}/options/2024-01.parquet'").fetchone()[1]
    text = (src / "dataset.toml").read_text()
    (src / "dataset.toml").write_text('timezone = "Asia/Kolkata"\n' + "\n".join(
        line for line in text.splitlines() if not line.startswith("timezone")) + "\n")
    sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "sorted", row_group_rows=1000)
    assert _rows(f"{tmp_path}/sorted/options/*.parquet") == _rows(f"{src}/options/*.parquet")
    assert _trades(tmp_path / "sorted") == _trades(src) == _trades(hive)


def test_a_copy_that_lost_a_row_is_refused_and_not_kept(hive, tmp_path, monkeypatch):
    import optbt.data.sort as sort
    src = _monthly(hive, tmp_path / "monthly", defects=False)
    monkeypatch.setattr(sort, "_COPY", sort._COPY.replace(" ORDER BY", " AND opt_type = 'CE' ORDER BY"))  # drops rows
    with pytest.raises(DataError, match="does not hold the same rows"):
        sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "sorted")
    assert not list((tmp_path / "sorted").rglob("*.parquet*"))
    with pytest.raises(DataError, match="files a day do not hold the same rows"):
        sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "split", split_days=True)
    assert not list((tmp_path / "split").rglob("*.parquet*"))


def _with_timeless_row(src: Path) -> None:
    """A row with no time at all (NULL ts) added to the month file: kept, in a file of its own."""
    f = src / "options" / "2024-01.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_parquet('{f}') UNION ALL (SELECT * REPLACE (NULL AS ts) "
                f"FROM read_parquet('{f}') LIMIT 1)) TO '{f}.new' (FORMAT parquet, ROW_GROUP_SIZE 2048)")
    Path(f"{f}.new").replace(f)


def test_split_days_writes_a_file_a_day_with_the_same_rows_and_trades(hive, tmp_path):
    src = _monthly(hive, tmp_path / "monthly")  # NaN close, NULL strike, conflicting duplicate
    _with_timeless_row(src)
    days = sorted(p.name.removeprefix("day=") for p in (hive / "options").iterdir())
    report = sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "split", split_days=True,
                          row_group_rows=1000)
    out = tmp_path / "split"
    names = sorted(p.name for p in (out / "options").iterdir())
    assert names == sorted([f"2024-01.{d}.parquet" for d in days] + ["2024-01.no-time.parquet"])
    assert (report.option_files, report.written) == (1, len(days) + 1)
    assert _rows(f"{out}/options/*.parquet") == _rows(f"{src}/options/*.parquet")  # every row, defects kept
    assert report.rows == len(_rows(f"{src}/options/*.parquet"))
    con = duckdb.connect()
    for d in days:  # a file holds its day only, in read order
        f = out / "options" / f"2024-01.{d}.parquet"
        got = con.execute(f"SELECT CAST(ts AS DATE), expiry, strike, opt_type, ts FROM read_parquet('{f}', "
                          "file_row_number=true) ORDER BY file_row_number").fetchall()
        assert {str(r[0]) for r in got} == {d}
        key = [(e, k is None, k or 0.0, o, t) for _, e, k, o, t in got]
        assert key == sorted(key)
    assert con.execute(f"SELECT count(*), count(ts) FROM '{out}/options/2024-01.no-time.parquet'").fetchone() == (1, 0)
    assert (out / "dataset.toml").read_text() == (src / "dataset.toml").read_text()
    assert _trades(out) == _trades(src) == _trades(hive)


def test_split_days_refuses_a_config_that_would_not_find_the_files_a_day(hive, tmp_path):
    src = _monthly(hive, tmp_path / "monthly", defects=False)
    named = src / "named.toml"  # names the month file itself: the copy's config would find no file a day
    named.write_text(config_head(hive) + '[options]\npath = "options/2024-01.parquet"\n[spot]\npath = "spot/*.parquet"\n')
    with pytest.raises(ConfigError, match=r"does not match options/2024-01\.\d{4}-\d{2}-\d{2}\.parquet and 3 more.*nothing was kept"):
        sort_dataset(load_dataset(named), named, tmp_path / "split", split_days=True)
    assert not (tmp_path / "split").exists()
    done = subprocess.run([sys.executable, "-m", "optbt", "data", "sort", str(named), "--out", str(tmp_path / "split"),
                           "--split-days"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--split-days" in done.stderr and "Traceback" not in done.stderr
    done = subprocess.run([sys.executable, "-m", "optbt", "data", "sort", str(src), "--out", str(tmp_path / "split"),
                           "--split-days"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "as 4 file(s) a day" in done.stdout


def test_split_days_into_a_folder_under_a_linked_one(hive, tmp_path):
    """--out under a symlinked folder (a bigger disk): the check compares real paths (it failed)."""
    src = _monthly(hive, tmp_path / "monthly", defects=False)
    (tmp_path / "disk").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "disk")
    report = sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "link" / "split", split_days=True)
    assert report.written == 4 and _trades(tmp_path / "link" / "split") == _trades(hive)


def test_split_days_keeps_a_file_of_one_day_under_its_name(hive, tmp_path):
    sort_dataset(load_dataset(hive), hive / "dataset.toml", tmp_path / "split", split_days=True)
    names = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet"))  # noqa: E731
    assert names(tmp_path / "split") == names(hive)
    assert _trades(tmp_path / "split") == _trades(hive)


def test_bad_places_are_refused_with_a_reason(hive, tmp_path):
    src = _monthly(hive, tmp_path / "monthly", defects=False)
    cfg = load_dataset(src)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("mine")
    with pytest.raises(ConfigError, match="not an empty folder"):
        sort_dataset(cfg, src / "dataset.toml", tmp_path / "full")
    with pytest.raises(ConfigError, match="outside the dataset folder"):
        sort_dataset(cfg, src / "dataset.toml", src / "sorted")
    for rows in (10, 2**63):
        with pytest.raises(ConfigError, match="from 1000 to"):
            sort_dataset(cfg, src / "dataset.toml", tmp_path / "new", row_group_rows=rows)
    with pytest.raises(ConfigError, match="without"):  # the copy's config would read it as a glob
        sort_dataset(cfg, src / "dataset.toml", tmp_path / "sorted [v2]")
    absolute = tmp_path / "absolute.toml"
    absolute.write_text(config_head(hive) + f'[options]\npath = "{src}/options/*.parquet"\n[spot]\npath = "spot/*.parquet"\n')
    with pytest.raises(ConfigError, match="is absolute"):
        sort_dataset(load_dataset(absolute, src), absolute, tmp_path / "new")
    shutil.copytree(src / "options", tmp_path / "elsewhere" / "options")
    outside = src / "inner.toml"
    outside.write_text(config_head(hive) + '[options]\npath = "../elsewhere/options/*.parquet"\n[spot]\npath = "spot/*.parquet"\n')
    with pytest.raises(ConfigError, match="lies outside the dataset folder"):
        sort_dataset(load_dataset(outside), outside, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_cli_sorts_and_says_what_it_wrote(hive, tmp_path):
    src = _monthly(hive, tmp_path / "monthly", defects=False)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "optbt", "data", "sort", *map(str, args)],
                              capture_output=True, text=True, timeout=120)
    done = run(src, "--out", tmp_path / "sorted")
    assert done.returncode == 0, done.stderr
    assert "sorted 1 option file(s)" in done.stdout and "5 spot/series file(s) linked" in done.stdout
    again = run(src, "--out", tmp_path / "sorted")
    assert again.returncode == 2 and "not an empty folder" in again.stderr and "Traceback" not in again.stderr
    missing = run(tmp_path / "nowhere", "--out", tmp_path / "other")
    assert missing.returncode == 2 and "dataset config not found" in missing.stderr


def test_a_hive_folder_key_used_as_a_column_is_sorted_by_and_stays_in_the_folders(hive, tmp_path):
    """options/underlying=NIFTY/day=.../x.parquet, the underlying only in the folder names."""
    src = tmp_path / "keyed"
    (src / "options").mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * EXCLUDE (underlying) FROM read_parquet('{hive}/options/*/*.parquet', "
                f"hive_partitioning=true)) TO '{src}/options/underlying=NIFTY' (FORMAT parquet, PARTITION_BY (day))")
    shutil.copytree(hive / "spot", src / "spot")
    shutil.copytree(hive / "vix", src / "vix")
    (src / "dataset.toml").write_text((hive / "dataset.toml").read_text().replace(
        'path = "options/*/*.parquet"', 'path = "options/*/*/*.parquet"'))
    sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "sorted")
    out = tmp_path / "sorted"
    names = lambda root: sorted(str(p.relative_to(root)) for p in (root / "options").rglob("*.parquet"))  # noqa: E731
    assert names(out) == names(src)
    assert _rows(f"{out}/options/*/*/*.parquet") == _rows(f"{src}/options/*/*/*.parquet")  # no column added
    assert _trades(out) == _trades(src) == _trades(hive)


def test_a_linked_folder_keeps_its_name_and_a_dataset_cost_file_comes_along(hive, tmp_path):
    """options/ a symlink to another disk; ``[costs] preset = "broker.toml"`` beside the config."""
    mono = _monthly(hive, tmp_path / "monthly", defects=False)
    src = tmp_path / "linked"
    src.mkdir()
    (src / "options").symlink_to(mono / "options")
    for part in ("spot", "vix"):
        shutil.copytree(mono / part, src / part)
    (src / "broker.toml").write_text('base = "nse"\n')
    (src / "dataset.toml").write_text((mono / "dataset.toml").read_text() + '\n[costs]\npreset = "broker.toml"\n')
    report = sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "sorted")
    out = tmp_path / "sorted"
    assert (out / "options" / "2024-01.parquet").is_file() and not (out / "options").is_symlink()
    assert (out / "broker.toml").read_text() == 'base = "nse"\n' and report.option_files == 1
    with_costs = _trades(src)
    assert with_costs == _trades(out) and with_costs != _trades(hive)  # the broker's charges applied
    outside = tmp_path / "outside.toml"
    outside.write_text('base = "nse"\n')
    (src / "dataset.toml").write_text((mono / "dataset.toml").read_text() + '\n[costs]\npreset = "../outside.toml"\n')
    with pytest.raises(ConfigError, match="preset '../outside.toml' lies outside"):
        sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "sorted2")


def test_a_failure_part_way_leaves_no_copy_behind(hive, tmp_path, monkeypatch):
    import optbt.data.sort as sort
    src = _monthly(hive, tmp_path / "monthly", defects=False)
    shutil.copy(src / "options" / "2024-01.parquet", src / "options" / "2024-02.parquet")
    done = []
    sort_file = sort._sort_file

    def second_fails(*args):
        if done:
            raise (KeyboardInterrupt() if len(done) > 1 else DataError("options file 2024-02.parquet: unreadable"))
        done.append(sort_file(*args))
        return done[-1]
    monkeypatch.setattr(sort, "_sort_file", second_fails)
    with pytest.raises(DataError, match="2024-02.parquet"):
        sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "sorted")
    assert done and not (tmp_path / "sorted").exists()  # the first file was written, then removed
    (tmp_path / "empty").mkdir()
    done.append(0)  # now Ctrl-C, into a folder the user made
    with pytest.raises(KeyboardInterrupt):
        sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "empty")
    assert (tmp_path / "empty").is_dir() and not list((tmp_path / "empty").iterdir())


def test_an_out_folder_that_cannot_be_made_is_an_error_not_a_traceback(hive, tmp_path):
    src = _monthly(hive, tmp_path / "monthly", defects=False)
    (tmp_path / "afile").write_text("x")
    done = subprocess.run([sys.executable, "-m", "optbt", "data", "sort", str(src), "--out", str(tmp_path / "afile" / "sub")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "cannot write" in done.stderr and "Traceback" not in done.stderr


def test_columns_sharing_a_name_up_to_case_are_refused_not_renamed(hive, tmp_path):
    """DuckDB reads the second of `close`/`Close` as `Close_1`: the copy would not have the
    file's columns, so the file is refused with the fix."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    src = _monthly(hive, tmp_path / "monthly", defects=False)
    f = src / "options" / "2024-01.parquet"
    t = pq.read_table(f)
    pq.write_table(t.append_column(pa.field("Close", pa.float64()), t.column("close")), f)
    with pytest.raises(DataError, match="two columns share a name"):
        sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "sorted")
    assert not (tmp_path / "sorted").exists()


def test_progress_names_the_file_being_sorted(hive, tmp_path):
    src = _monthly(hive, tmp_path / "monthly", defects=False)
    seen = []
    sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "sorted",
                 progress=lambda done, total, f: seen.append((done, total, f)))
    assert seen == [(0, 1, str(Path("options") / "2024-01.parquet")), (1, 1, "")]


def _keeping_the_day_column(hive: Path, out: Path, value: str, config: str | None = None) -> Path:
    """The hive dataset whose option files keep their ``day=`` folder key as a column of their
    own too (pandas and Spark writers may), the column's value the SQL ``value`` of each row."""
    shutil.copytree(hive, out)
    con = duckdb.connect()
    for f in sorted((out / "options").glob("*/*.parquet")):
        con.execute(f"COPY (SELECT *, {value} AS day FROM read_parquet('{f}', hive_partitioning=false) ORDER BY ts) "
                    f"TO '{f}.new' (FORMAT parquet)")
        Path(f"{f}.new").replace(f)
    if config is not None:
        (out / "dataset.toml").write_text(config)
    return out


def test_a_file_that_keeps_its_folder_key_as_a_column_keeps_its_own_values(hive, tmp_path):
    """``day=2024-01-02/`` over a file with a ``day`` column of its own, a pandas timestamp: a run
    reads the folder's value, so the copy keeps the file's and reads to the same trades (refused
    before: the copy held the folder's DATE in place of the file's timestamp)."""
    src = _keeping_the_day_column(hive, tmp_path / "kept", "CAST(CAST(ts AS DATE) AS TIMESTAMP)")
    for split in (False, True):
        out = tmp_path / f"sorted-{split}"
        report = sort_dataset(load_dataset(src), src / "dataset.toml", out, split_days=split)
        assert report.option_files == report.written == 4
        assert _rows(f"{out}/options/*/*.parquet") == _rows(f"{src}/options/*/*.parquet")  # the file's own values
        con = duckdb.connect()
        assert con.execute(f"SELECT DISTINCT typeof(day) FROM read_parquet('{out}/options/*/*.parquet', "
                           "hive_partitioning=false)").fetchall() == [("TIMESTAMP",)]
        assert _trades(out) == _trades(src) == _trades(hive)


@pytest.mark.parametrize("value", ["CAST(CAST(ts AS DATE) AS TIMESTAMP)", "CAST(ts AS DATE) + 1"])
def test_a_kept_folder_key_that_a_run_reads_sorts_by_the_folder_and_keeps_the_files_value(hive, tmp_path, value):
    """The config reads the day from the folder key (date = "day", time = "tod") and the files
    keep their own ``day``, a timestamp of the folder's day: a run reads the folder's day, on the
    copy as on the source, and the rows are in the order of the day a run reads. A file whose own
    ``day`` says the next day is refused by the run and by the sort alike (which day its rows
    trade on would rest on DuckDB's choice of the folder's value: tests/test_hive_folders.py)."""
    config = config_head(hive) + (
        '[options]\npath = "options/*/*.parquet"\nhive_partitioning = true\nday_partition = "day"\n'
        '[options.columns]\nts = ""\ndate = "day"\ntime = "tod"\n'
        '[spot]\npath = "spot/*/*.parquet"\nhive_partitioning = true\nday_partition = "day"\n')
    src = _keeping_the_day_column(hive, tmp_path / "kept", value, config)
    con = duckdb.connect()
    for f in sorted((src / "options").glob("*/*.parquet")):  # the time of day apart, as the config says
        con.execute(f"COPY (SELECT * EXCLUDE (ts), CAST(ts AS TIME) AS tod FROM read_parquet('{f}', "
                    f"hive_partitioning=false) ORDER BY tod) TO '{f}.new' (FORMAT parquet)")
        Path(f"{f}.new").replace(f)
    out = tmp_path / "sorted"
    if value.endswith("+ 1"):
        from optbt.data.source import FolderDisagreesError
        with pytest.raises(FolderDisagreesError, match="but its own column 'day' holds"):
            sort_dataset(load_dataset(src), src / "dataset.toml", out)
        with pytest.raises(FolderDisagreesError):
            _trades(src)
        return
    sort_dataset(load_dataset(src), src / "dataset.toml", out)
    assert _rows(f"{out}/options/*/*.parquet") == _rows(f"{src}/options/*/*.parquet")
    got = con.execute(f"SELECT filename, expiry, strike, opt_type, tod FROM read_parquet('{out}/options/*/*.parquet', "
                      "file_row_number=true, filename=true) ORDER BY filename, file_row_number").fetchall()
    assert got == sorted(got)  # each file's rows by expiry, strike, type, time
    assert _trades(out) == _trades(src) == _trades(hive) != []


# `optbt data sort` that writes its first option file, then waits to be stopped: in Python
# ("sleep") or inside a DuckDB query ("duckdb"), the two places a signal can land
STALLING_SORT = """
import sys, time
from pathlib import Path
import optbt.data.sort as sort
from optbt.cli.app import main

mark, how, *args = sys.argv[1:]
sort_file = sort._sort_file

def stalls_after_the_first_file(con, *a, **k):
    rows = sort_file(con, *a, **k)
    Path(mark).touch()
    if how == "duckdb":
        con.execute("SELECT count(*) FROM range(100000000000)").fetchall()
    else:
        time.sleep(120)
    return rows

sort._sort_file = stalls_after_the_first_file
sys.argv = ["optbt", "data", "sort", *args]
main()
"""


@pytest.mark.parametrize("how, split, given", [("sleep", False, False), ("duckdb", False, False),
                                               ("duckdb", True, False), ("sleep", True, True)])
def test_sigterm_part_way_leaves_no_copy_and_says_terminated(hive, tmp_path, how, split, given):
    """kill (SIGTERM) stops a sort as Ctrl-C does: what it wrote is removed, one line, exit 143
    (128 + SIGTERM). It ended the process on the spot before, leaving a half-written copy."""
    src = _monthly(hive, tmp_path / "monthly", defects=False)
    out, mark = tmp_path / "sorted", tmp_path / "written"
    if given:  # an empty folder the user made stays, empty
        out.mkdir()
    cmd = [sys.executable, "-c", STALLING_SORT, str(mark), how, str(src), "--out", str(out)] + ["--split-days"] * split
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 120
    while not mark.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if not mark.exists():
        proc.kill()
        pytest.fail(f"the sort never wrote its first file: {proc.communicate(timeout=60)}")
    assert list(out.rglob("*.parquet"))  # half made
    time.sleep(0.5)  # into the wait (or the query)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, (stdout, stderr)
    assert stderr.strip().splitlines() == ["terminated"], stderr
    if given:
        assert out.is_dir() and not list(out.iterdir())
    else:
        assert not out.exists()


def test_a_series_file_is_linked_as_it_is_without_being_read(hive, tmp_path):
    """A [series.vix] file no run of this strategy reads, and that cannot be read at all: the
    copy links it as it is, as the source holds it (the sort refused: "cannot read the files'
    schemas", while every run that does not read VIX ran)."""
    src = _monthly(hive, tmp_path / "monthly", defects=False)
    bad = sorted((src / "vix").glob("*/*.parquet"))[1]
    bad.write_bytes(b"not parquet")
    report = sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "sorted")
    copy = tmp_path / "sorted" / bad.relative_to(src)
    assert report.linked == 1 + 4 and copy.stat().st_ino == bad.stat().st_ino
    assert _trades(tmp_path / "sorted") == _trades(src) == _trades(hive)


def test_a_series_whose_files_are_missing_is_refused_with_the_fix(hive, tmp_path):
    src = _monthly(hive, tmp_path / "monthly", defects=False)
    shutil.rmtree(src / "vix")
    with pytest.raises(DataError, match=r"series\.vix: no parquet files match .*vix.*remove \[series\.vix\] from the "
                                        r"config.*nothing was written"):
        sort_dataset(load_dataset(src), src / "dataset.toml", tmp_path / "sorted")
    assert not (tmp_path / "sorted").exists()
    done = subprocess.run([sys.executable, "-m", "optbt", "data", "sort", str(src), "--out", str(tmp_path / "sorted")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "remove [series.vix]" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "sorted").exists()
