"""W013 (``optbt lint --data DATASET``): a time of the file outside the dataset's session.

An NSE file on US data (09:30-16:00) is valid, and ran with notes only: ``entry between 09:16 and
09:25`` never holds, ``exit at 16:30`` never does, ``entry pe at 16:10`` never opens pe. Lint
knew no session; with ``--data`` it reads the dataset.toml's ``[session]`` (never the data) and
names each such time before the run. Messages written out by hand from the session's times.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optbt.dsl.checks import check
from optbt.dsl.lint import Session, lint_unit
from optbt.dsl.parser import parse_text

ROOT = Path(__file__).resolve().parents[2]
US = Session("09:30", "16:00", "us")
AT = "the session 09:30–16:00 (dataset us)"
LEGS = "legs\n    ce = add(ATM, CE, SELL)\n    pe = add(ATM, PE, SELL)\n"


def w013(body: str, params: str = "", session: Session | None = US) -> list[tuple[int, str, str]]:
    text = f'strategy t "t"\n{params}{LEGS}{body}'
    program, diags = parse_text(text)
    assert not diags
    unit = check(program)
    assert not unit.diagnostics
    return [(d.line, d.message, d.label) for d in lint_unit(unit, text, session) if d.code == "W013"]


def test_an_nse_entry_window_on_a_us_session_never_holds():
    assert w013("entry between 09:16 and 09:25\nexit at 15:15\n") == [
        (5, f"the entry window 09:16–09:25 ends at or before the open of {AT}", "no entry is ever tried in it")]


def test_a_window_that_starts_before_the_open_keeps_its_part_inside():
    assert w013("entry between 09:20 and 10:00\nexit at 15:15\n") == [
        (5, f"the entry window 09:20–10:00 starts before the open of {AT}", "only 09:30–10:00 of it is in the session")]


def test_entry_times_before_the_open_and_at_the_close():
    assert w013("entry at 09:20\n") == [
        (5, f"entry at 09:20 is before the open of {AT}", "entries are tried from the open 09:30 on")]
    assert w013("entry at 16:00\n") == [  # the close is the day's last tick: no entry there
        (5, f"entry at 16:00 is at or after the close of {AT}", "no entry is ever tried")]


def test_exit_times_at_the_open_and_after_the_close():
    assert w013("entry at 09:45\nexit at 09:30\n") == [
        (6, f"exit at 09:30 is at or before the open of {AT}",
         "the exit rule holds from the first tick: nothing ever enters")]
    assert w013("entry at 09:45\nexit at 16:30\n") == [
        (6, f"exit at 16:30 is after the close of {AT}",
         "it never holds: what is open closes on the day's last tick, 16:00 (reason eod)")]


def test_ranges_before_and_across_the_open_and_after_the_close():
    body = ("range a 09:15 .. 09:30\nrange b 09:15 .. 09:45\nrange c 15:45 .. 16:15\n"
            "entry at 10:00 when spot > a.high and spot > b.high and spot > c.high\n")
    assert w013(body) == [
        (5, f"range a 09:15 .. 09:30 ends at or before the open of {AT}",
         "no bar lies in it: its high and low are never known"),
        (6, f"range b 09:15 .. 09:45 starts before the open of {AT}", "its high and low are of 09:30–09:45 only"),
        (7, f"range c 15:45 .. 16:15 ends after the close of {AT}", "never complete: its high and low are never known")]


def test_staggered_legs_after_the_close_and_before_the_open():
    assert w013("entry at 09:45\nentry pe at 16:10\nentry ce at 09:20\n") == [
        (6, f"leg pe's entry at 16:10 is at or after the close of {AT}", "the leg never opens while the other legs trade"),
        (7, f"leg ce's entry at 09:20 is before the open of {AT}", "the leg is due at once: it opens with the entry")]


def test_a_time_parameter_s_default_is_looked_at_and_named():
    params = "params\n    t_in: time = 09:20\n    t_out: time = 16:30\n"
    assert w013("entry at t_in\nexit at t_out\n", params=params) == [
        (8, f"entry at t_in (default 09:20) is before the open of {AT}", "entries are tried from the open 09:30 on"),
        (9, f"exit at t_out (default 16:30) is after the close of {AT}",
         "it never holds: what is open closes on the day's last tick, 16:00 (reason eod)")]


@pytest.mark.parametrize("body", [
    "entry at 09:31\nexit at 16:00\n",                               # the first tick and the last: inside
    "entry between 09:30 and 15:59\nexit at 15:45\n",
    "range orb 09:30 .. 09:45\nentry at 10:00 when spot > orb.high\nentry pe at 15:59\n",
])
def test_times_inside_the_session_are_not_reported(body):
    assert w013(body) == []


def test_without_a_session_lint_is_unchanged():
    assert w013("entry between 09:16 and 09:25\nexit at 16:30\nentry pe at 16:10\n", session=None) == []


def test_w013_is_silenced_like_every_code():
    assert w013("entry at 09:20  # lint: allow W013\n") == []


# -- the command ---------------------------------------------------------------------------------
TOML = """name = "us"
underlying = "SPX"
strike_step = 5

[options]
path = "options/*.parquet"

[spot]
path = "spot/*.parquet"

[session]
start = "09:30"
end = "16:00"
"""


def optbt(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optbt", *args], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.fixture
def files(tmp_path):
    (tmp_path / "us").mkdir()
    (tmp_path / "us" / "dataset.toml").write_text(TOML)  # no data files at all: lint never reads them
    strat = tmp_path / "t.strat"
    strat.write_text(f'strategy t "t"\n{LEGS}entry at 09:45\nentry pe at 16:10\nexit at 15:15\n')
    return tmp_path, strat


def test_lint_data_reads_the_session_from_the_config_alone(files):
    tmp, strat = files
    done = optbt("lint", str(strat), "--data", str(tmp / "us"), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [(r["code"], r["line"], r["message"]) for r in json.loads(done.stdout)] == [
        ("W013", 6, f"leg pe's entry at 16:10 is at or after the close of {AT}")]
    strict = optbt("lint", str(strat), "--data", str(tmp / "us" / "dataset.toml"), "--strict")
    assert strict.returncode == 1 and "warning[W013]" in strict.stdout
    assert optbt("lint", str(strat)).returncode == 0  # without --data: no session, nothing to say


def test_lint_data_that_is_not_there_is_refused_in_one_line(files):
    tmp, strat = files
    done = optbt("lint", str(strat), "--data", str(tmp / "nope"))
    assert done.returncode == 2 and done.stderr.strip() == f"error: dataset config not found: {tmp / 'nope'}"


def test_lint_data_does_not_import_duckdb(files):
    """The session is in the config: lint --data must stay a light command (no DuckDB)."""
    tmp, strat = files
    code = (f"import runpy, sys\nsys.argv = ['optbt', 'lint', {str(strat)!r}, '--data', {str(tmp / 'us')!r}]\n"
            "try:\n    runpy.run_module('optbt', run_name='__main__')\n"
            "except SystemExit as exc:\n    print('exit', exc.code, 'duckdb' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "OPTBT_CACHE_DIR": str(tmp / "c")})
    assert done.stdout.split()[-3:] == ["exit", "0", "False"], done.stderr
