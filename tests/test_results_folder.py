"""Results are written whole: the old complete results or the new ones, never a mix, never a stray file."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optbt.dsl.loader import load_strategy
from optbt.engine.loop import run_backtest
from optbt.model.errors import ConfigError
from optbt.results import result as result_module
from optbt.results.folder import check_out, recover
from optbt.results.report import write_report

ROOT = Path(__file__).resolve().parents[1]
STRADDLE = str(ROOT / "strategies_dsl" / "straddle_920.strat")


@pytest.fixture(scope="module")
def results(sample_dataset):
    """Two different results: three days and five days of the sample."""
    cls = load_strategy(STRADDLE)
    short = run_backtest(cls, data=sample_dataset, start="2024-01-01", end="2024-01-03")
    long = run_backtest(cls, data=sample_dataset, start="2024-01-01", end="2024-01-05")
    assert len(short.daily) == 3 and len(long.daily) == 5
    return short, long


def _daily_days(out: Path) -> int:
    with open(out / "daily.csv") as fh:
        return len(list(csv.DictReader(fh)))


def _hidden(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def test_a_rerun_removes_the_report_and_png_of_the_earlier_run(results, tmp_path):
    short, long = results
    out = tmp_path / "o"
    long.write(out, also=[write_report])
    assert {p.name for p in out.iterdir()} == {"trades.csv", "trades.parquet", "daily.csv", "summary.json",
                                               "report.html", "equity.png"}
    short.write(out)
    assert {p.name for p in out.iterdir()} == {"trades.csv", "trades.parquet", "daily.csv", "summary.json"}
    assert _daily_days(out) == 3
    assert _hidden(out) == []


def test_a_write_that_fails_half_way_leaves_the_old_results_untouched(results, tmp_path, monkeypatch):
    short, long = results
    out = tmp_path / "o"
    long.write(out, also=[write_report])
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = result_module._write_csv

    def fail_on_daily(path, columns, rows):
        if path.name == "daily.csv":
            raise KeyboardInterrupt  # Ctrl-C (or any error) in the middle of writing
        real(path, columns, rows)
    monkeypatch.setattr(result_module, "_write_csv", fail_on_daily)
    with pytest.raises(KeyboardInterrupt):
        short.write(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _hidden(out) == []  # the half-written temporary folder is gone


def test_a_crash_between_the_two_renames_is_repaired_by_the_next_write(results, tmp_path):
    short, long = results
    out = tmp_path / "o"
    long.write(out)
    # the state a kill between "OUT -> .OUT.old" and ".OUT.tmp -> OUT" leaves (pid 999999999: gone)
    out.rename(tmp_path / ".o.old-999999999-abcdef")
    (tmp_path / ".o.tmp-999999999-abcdef").mkdir()
    (tmp_path / ".o.tmp-999999999-abcdef" / "trades.csv").write_text("day,cy")  # half written
    assert not out.exists()
    note = recover(out)
    assert "restored the previous results" in note
    assert _daily_days(out) == 5 and _hidden(out) == []
    # and a kill after the second rename: the new results are in place, the old folder is left over
    (tmp_path / ".o.old-999999998-abcdef").mkdir()
    short.write(out)
    assert _daily_days(out) == 3 and _hidden(out) == []


WRITER = """
import sys
from optbt.dsl.loader import load_strategy
from optbt.engine.loop import run_backtest
from optbt.data.sample import default_dataset
out = sys.argv[1]
result = run_backtest(load_strategy(sys.argv[2]), data=default_dataset(quiet=True), start="2024-01-01",
                      end="2024-01-31")
base = list(result.daily)
result.strategy = "copies-1"
result.write(out)
print("ready", len(base), flush=True)
n = 0
while True:  # alternate a 1x and a 40x result as fast as possible until killed
    k = 1 if n % 2 == 0 else 40
    result.strategy = f"copies-{k}"
    result.daily = base * k
    result.write(out)
    n += 1
"""


def test_a_process_killed_at_any_moment_leaves_one_complete_result(tmp_path):
    """SIGKILL (no clean-up code runs) at several moments of a write loop."""
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    out = tmp_path / "o"
    for delay in (0.05, 0.13, 0.21, 0.37):
        proc = subprocess.Popen([sys.executable, str(script), str(out), STRADDLE], stdout=subprocess.PIPE,
                                text=True, cwd=ROOT)
        word, days = proc.stdout.readline().split()
        assert word == "ready" and int(days) > 10
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        recover(out)  # what the next run into OUT does first
        summary = json.loads((out / "summary.json").read_text())
        copies = int(summary["strategy"].split("-")[1])
        assert _daily_days(out) == copies * int(days)  # the daily rows of the summary's own result
        assert {p.name for p in out.iterdir()} == {"trades.csv", "trades.parquet", "daily.csv", "summary.json"}
        assert _hidden(out) == []


def test_results_never_replace_a_folder_that_is_not_optbt_results(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("precious")
    with pytest.raises(ConfigError, match="not an optbt results folder"):
        check_out(home)
    (home / "summary.json").write_text('{"something": "else"}')  # a summary.json optbt did not write
    with pytest.raises(ConfigError, match="not an optbt results folder"):
        check_out(home)
    assert (home / "notes.txt").read_text() == "precious"
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        check_out(home / "notes.txt")
    with pytest.raises(ConfigError, match="notes.txt is a file in the way"):
        check_out(home / "notes.txt" / "out")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_out(empty) == empty  # an empty folder is fine
    (tmp_path / "link").symlink_to(home)
    with pytest.raises(ConfigError, match="is a symbolic link"):
        check_out(tmp_path / "link")
    assert check_out(empty / "sub" / "..") == empty  # ".." is resolved, never renamed


def optbt(*args):
    return subprocess.run([sys.executable, "-m", "optbt.cli.app", *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_run_command_rerun_drops_the_old_report_and_refuses_a_foreign_folder(sample_dataset, tmp_path):
    out = tmp_path / "o"
    week = ["--start", "2024-01-01", "--end", "2024-01-03", "--quiet"]
    r = optbt("run", STRADDLE, "--out", str(out), "--report", *week)
    assert r.returncode == 0, r.stderr
    assert (out / "report.html").exists() and (out / "equity.png").exists()
    r = optbt("run", STRADDLE, "--out", str(out), *week)
    assert r.returncode == 0, r.stderr
    assert not (out / "report.html").exists() and not (out / "equity.png").exists()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    r = optbt("run", STRADDLE, "--out", str(tmp_path / "mine"), *week)
    assert r.returncode == 2
    assert "not an optbt results folder" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "x"


@pytest.mark.parametrize("where, says", [
    ("file/out", "is a file in the way"),
    ("/sys/optbt-results", "cannot write results to /sys/optbt-results"),
])
def test_an_unwritable_out_is_one_line_exit_2(where, says, tmp_path):
    if where.startswith("/sys"):
        try:
            os.mkdir(where)
        except OSError:
            pass  # as expected: nobody, not even root, makes folders in /sys
        else:
            os.rmdir(where)
            pytest.skip("this machine lets us write in /sys")
    (tmp_path / "file").write_text("x")
    target = where if where.startswith("/") else str(tmp_path / where)
    r = optbt("run", STRADDLE, "--out", target, "--quiet", "--end", "2024-01-02")
    assert r.returncode == 2, r.stderr
    assert says in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = optbt("sweep", STRADDLE, "--grid", "sl_pct=20", "--out", target, "--quiet", "--executor", "serial",
              "--end", "2024-01-02")
    assert r.returncode == 2, r.stderr
    assert says.replace("results", "the sweep", 1) in " ".join(r.stderr.split()) and "Traceback" not in r.stderr


def test_a_file_browsers_clutter_neither_blocks_nor_survives_a_rerun(results, tmp_path):
    """A folder opened in Finder gets a .DS_Store (Explorer: Thumbs.db, desktop.ini; macOS on
    other disks: ._ files). Before, the next run into it was refused as holding 'a file optbt
    did not write', and an empty folder so opened as 'not an optbt results folder'. Now such
    files count for nothing: the run replaces the folder; a user's own file is still refused."""
    short, long = results
    out = tmp_path / "o"
    long.write(out)
    for name in (".DS_Store", "Thumbs.db", "desktop.ini", "._daily.csv"):
        (out / name).write_bytes(b"\x00browser")
    assert check_out(out) == out
    short.write(out)
    assert {p.name for p in out.iterdir()} == {"trades.csv", "trades.parquet", "daily.csv", "summary.json"}
    assert _daily_days(out) == 3
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / ".DS_Store").write_bytes(b"\x00")
    assert check_out(fresh) == fresh
    (out / ".notes").write_text("mine")  # a hidden file of the user's is not clutter
    with pytest.raises(ConfigError, match=r"1 file optbt did not write \(\.notes\)"):
        check_out(out)
    (out / ".notes").unlink()
    (out / ".DS_Store").mkdir()  # a folder so named is not a browser's file either
    with pytest.raises(ConfigError, match="did not write"):
        check_out(out)


def test_a_report_saved_under_another_name_goes_with_the_old_results(sample_dataset, tmp_path):
    """optbt run --out DIR, optbt report DIR --out DIR/x.html, optbt run --out DIR: the second run
    was refused, DIR holding 'a file optbt did not write (x.html)'. A report optbt wrote begins
    as every optbt report does (its head), so it now goes with the old results, as report.html does."""
    out = tmp_path / "o"
    week = ["--start", "2024-01-01", "--end", "2024-01-03", "--quiet"]
    r = optbt("run", STRADDLE, "--out", str(out), *week)
    assert r.returncode == 0, r.stderr
    r = optbt("report", str(out), "--out", str(out / "x.html"))
    assert r.returncode == 0, r.stderr
    page = (out / "x.html").read_bytes()
    r = optbt("run", STRADDLE, "--out", str(out), "--start", "2024-01-01", "--end", "2024-01-02", "--quiet")
    assert r.returncode == 0, r.stderr
    assert page.startswith(b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="generator"'
                           b' content="optbt">')
    assert {p.name for p in out.iterdir()} == {"trades.csv", "trades.parquet", "daily.csv", "summary.json"}
    assert _daily_days(out) == 2


def test_a_users_own_page_in_a_results_folder_is_still_refused(results, tmp_path):
    """An html file optbt did not write blocks the run and is named, whatever it begins with."""
    short, long = results
    out = tmp_path / "o"
    long.write(out)
    mine = b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>my notes</title>'
    (out / "notes.html").write_bytes(mine)
    with pytest.raises(ConfigError, match=r"holds results and 1 file optbt did not write \(notes\.html\)"):
        short.write(out)
    assert (out / "notes.html").read_bytes() == mine and _daily_days(out) == 5
    (out / "notes.html").unlink()
    (out / "link.html").symlink_to(write_report(out))  # a link to optbt's report is not optbt's file
    with pytest.raises(ConfigError, match=r"1 file optbt did not write \(link\.html\)"):
        check_out(out)
    (out / "link.html").unlink()
    write_report(out)  # report.html, as before
    short.write(out)
    assert {p.name for p in out.iterdir()} == {"trades.csv", "trades.parquet", "daily.csv", "summary.json"}
    assert _daily_days(out) == 3
