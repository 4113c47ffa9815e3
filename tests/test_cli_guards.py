"""Bad input at the command line: refused in one line with exit 2, never a traceback, never a
silently different result, and never a user's file deleted. Each case was found by an audit
that ran every command with broken paths, configs and values; each test failed before its fix.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from optbt.cli.app import _register_all, app
from optbt.model.errors import OptbtError
from tests.kit import DAY, straddle_day, write_parquet

ROOT = Path(__file__).resolve().parents[1]
STRADDLE = str(ROOT / "strategies_dsl" / "straddle_920.strat")
SPEC = str(ROOT / "examples/straddle_920.py") + ":Straddle920"
WEEK = ("--start", "2024-01-01", "--end", "2024-01-02")
runner = CliRunner()
_register_all()


def optbt(*args: str) -> SimpleNamespace:
    """The command in this process, as ``optbt.cli.app.main`` ends it: an optbt error is its
    message and exit code (2 for bad input); anything else escaping is a bug (a traceback)."""
    res = runner.invoke(app, [str(a) for a in args])
    exc, code, output = res.exception, res.exit_code, res.output
    if isinstance(exc, OptbtError):
        code, output = exc.exit_code, output + f"{exc.prefix}{exc}"
    else:
        assert exc is None or isinstance(exc, SystemExit), (args, output, exc)
    return SimpleNamespace(exit_code=code, output=output, stdout=res.stdout)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_parquet(tmp_path_factory.mktemp("guards"), {DAY: straddle_day([100 + k for k in range(10)],
                                                                              [90 - k for k in range(10)])})


def with_config(src: Path, dst: Path, edit) -> Path:
    """A copy of the dataset ``src`` whose dataset.toml is ``edit(text)`` (files linked, not copied)."""
    dst.mkdir()
    for f in src.iterdir():
        if f.name != "dataset.toml":
            os.symlink(f, dst / f.name)
    (dst / "dataset.toml").write_text(edit((src / "dataset.toml").read_text()))
    return dst


# -- folders a command writes into ----------------------------------------------------------------

def test_a_sweep_refuses_a_folder_of_other_files_and_deletes_none_of_them(sample_dataset, tmp_path):
    """``OUT/cache/*`` of other names used to be removed as stale caches (exit 0, no word)."""
    project = tmp_path / "project"
    (project / "cache" / "important").mkdir(parents=True)
    (project / "cache" / "important" / "data.txt").write_text("mine")
    (project / "notes.txt").write_text("mine too")
    res = optbt("sweep", STRADDLE, "--data", sample_dataset, "--out", project, "--grid", "sl_pct=20,30", *WEEK,
                "--workers", "2", "--quiet")
    assert res.exit_code == 2 and "it is not a sweep's folder" in res.output and "notes.txt" in res.output
    assert (project / "cache" / "important" / "data.txt").read_text() == "mine"
    assert sorted(p.name for p in project.iterdir()) == ["cache", "notes.txt"]


def test_a_sweeps_report_saved_under_another_name_does_not_block_resuming_it(sample_dataset, tmp_path):
    """optbt sweep --out S, optbt report S --out S/x.html, optbt sweep --out S again was refused:
    S held 'a file a sweep does not write (x.html)'. optbt's report is known by its head, so the
    sweep resumes and removes it, as it removes report.html (both show the earlier runs); a page
    of the user's is still refused."""
    out = tmp_path / "s"
    sweep = ("sweep", STRADDLE, "--data", sample_dataset, "--out", out, "--grid", "sl_pct=20", *WEEK,
             "--executor", "serial", "--quiet")
    assert optbt(*sweep).exit_code == 0
    assert optbt("report", out, "--out", out / "x.html").exit_code == 0
    res = optbt(*sweep)
    assert res.exit_code == 0, res.output
    assert not (out / "x.html").exists() and (out / "sweep.csv").is_file()
    (out / "mine.html").write_text('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>mine')
    res = optbt(*sweep)
    assert res.exit_code == 2 and "1 file a sweep does not write (mine.html)" in " ".join(res.output.split())


def test_a_file_browsers_clutter_does_not_block_resuming_a_sweep(sample_dataset, tmp_path):
    """A sweep folder opened in Explorer gets Thumbs.db and desktop.ini: the sweep refused to
    resume ('2 files a sweep does not write'), where a run's folder already let them be."""
    out = tmp_path / "s"
    sweep = ("sweep", STRADDLE, "--data", sample_dataset, "--out", out, "--grid", "sl_pct=20", *WEEK,
             "--executor", "serial", "--quiet")
    assert optbt(*sweep).exit_code == 0
    (out / "Thumbs.db").write_bytes(b"\x00")
    (out / "desktop.ini").write_text("[.ShellClassInfo]\n")
    res = optbt(*sweep)
    assert res.exit_code == 0, res.output
    (out / "Thumbs.db").unlink()
    (out / "Thumbs.db").mkdir()  # a folder so named is no browser's file: still refused
    res = optbt(*sweep)
    assert res.exit_code == 2 and "Thumbs.db" in res.output


def test_a_run_folder_and_a_sweep_folder_never_take_each_others_results(sample_dataset, tmp_path):
    run_out, sweep_out = tmp_path / "run", tmp_path / "sweep"
    assert optbt("run", STRADDLE, "--data", sample_dataset, "--out", run_out, *WEEK, "--quiet").exit_code == 0
    res = optbt("sweep", STRADDLE, "--data", sample_dataset, "--out", run_out, "--grid", "sl_pct=20", *WEEK,
                "--executor", "serial", "--quiet")
    assert res.exit_code == 2 and "summary.json" in res.output
    assert optbt("sweep", STRADDLE, "--data", sample_dataset, "--out", sweep_out, "--grid", "sl_pct=20", *WEEK,
                 "--executor", "serial", "--quiet").exit_code == 0
    res = optbt("run", STRADDLE, "--data", sample_dataset, "--out", sweep_out, *WEEK, "--quiet")
    assert res.exit_code == 2 and "not an optbt results folder" in res.output
    assert (sweep_out / "runs.jsonl").exists() and (run_out / "summary.json").exists()


def test_a_run_over_days_the_data_lacks_is_refused_and_keeps_the_earlier_results(data, tmp_path):
    out = tmp_path / "o"
    assert optbt("run", SPEC, "--data", data, "--out", out, "--quiet").exit_code == 0
    before = (out / "trades.csv").read_text()
    res = optbt("run", SPEC, "--data", data, "--out", out, "--quiet", "--start", "2025-01-01", "--end", "2025-01-31")
    assert res.exit_code == 2 and "none in 2025-01-01 .. 2025-01-31" in res.output
    assert "the dataset has 1 day from 2024-01-02 to 2024-01-02" in res.output
    assert (out / "trades.csv").read_text() == before


# -- dataset configs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("key, value, message", [
    ("lot_size", "-50", "greater than 0"), ("lot_size", "nan", "finite number"), ("lot_size", "1e300", "less than"),
    ("strike_step", "-50", "greater than 0"), ("strike_step", "inf", "finite number"),
])
def test_a_lot_size_or_strike_step_that_would_turn_results_is_refused(data, tmp_path, key, value, message):
    """-50 lots made every PnL's sign flip; a negative step sold the condor's wings inside it."""
    was = {"lot_size": "lot_size = 1.0", "strike_step": "strike_step = 50"}[key]
    folder = with_config(data, tmp_path / "d", lambda t: t.replace(was, f"{key} = {value}"))
    assert f"{key} = {value}" in (folder / "dataset.toml").read_text()
    res = optbt("run", SPEC, "--data", folder, "--out", tmp_path / "o", "--quiet")
    assert res.exit_code == 2 and key in res.output and message in res.output


@pytest.mark.parametrize("args, message", [
    (["--slippage", "-1"], "greater than or equal to 0"), (["--commission", "-5"], "greater than or equal to 0"),
    (["--slippage", "nan"], "finite number"), (["--commission", "inf"], "finite number"),
    (["--slippage", "200", "--slippage-pct"], "percent under 100"),
])
def test_costs_that_would_pay_the_trader_or_poison_every_pnl_are_refused(data, tmp_path, args, message):
    res = optbt("run", SPEC, "--data", data, "--out", tmp_path / "o", "--quiet", *args)
    assert res.exit_code == 2 and message in res.output


def test_a_dataset_config_that_is_not_a_readable_toml_file_is_one_line(data, tmp_path):
    folder = tmp_path / "d"
    (folder / "dataset.toml").mkdir(parents=True)
    res = optbt("run", SPEC, "--data", folder, "--out", tmp_path / "o", "--quiet")
    assert res.exit_code == 2 and "is a folder" in res.output
    res = optbt("run", SPEC, "--data", data / "options.parquet", "--out", tmp_path / "o", "--quiet")
    assert res.exit_code == 2 and "not UTF-8 text" in res.output
    bom = with_config(data, tmp_path / "bom", lambda t: "\ufeff" + t)  # as Windows editors save it
    assert optbt("run", SPEC, "--data", bom, "--out", tmp_path / "o", "--quiet").exit_code == 0


def test_files_a_config_names_are_never_dropped_silently(data, tmp_path):
    """A second path matching nothing, and a link to a missing file, used to be skipped."""
    listed = with_config(data, tmp_path / "list", lambda t: t.replace(
        'path = "options.parquet"', 'path = ["options.parquet", "options_2025/*.parquet"]'))
    res = optbt("run", SPEC, "--data", listed, "--out", tmp_path / "o", "--quiet")
    assert res.exit_code == 2 and "no files match" in res.output and "options_2025" in res.output
    linked = with_config(data, tmp_path / "link", lambda t: t.replace('path = "options.parquet"',
                                                                      'path = "opt/*.parquet"'))
    (linked / "opt").mkdir()
    os.symlink(data / "options.parquet", linked / "opt" / "a.parquet")
    os.symlink(tmp_path / "gone.parquet", linked / "opt" / "b.parquet")
    res = optbt("run", SPEC, "--data", linked, "--out", tmp_path / "o", "--quiet")
    assert res.exit_code == 2 and "b.parquet is a symbolic link to a file that does not exist" in res.output


# -- strategies that exit or fail --------------------------------------------------------------------

@pytest.mark.parametrize("body, message", [
    ("import sys\nsys.exit(0)\n", "called sys.exit(0); a strategy file must not exit"),
    ("class S(Strategy):\n    def entry(self, ctx):\n        raise SystemExit(0)\n", "S.entry failed on"),
    ("class S(Strategy):\n    def __init__(self, **kw):\n        super().__init__(**kw)\n        int('abc')\n",
     "creating S failed: ValueError: invalid literal"),
])
def test_a_strategy_that_exits_or_fails_is_reported_never_a_silent_exit_0(data, tmp_path, body, message):
    path = tmp_path / "s.py"
    path.write_text("from optbt import Strategy\n" + body + ("" if "class S" in body else "class S(Strategy):\n    pass\n"))
    res = optbt("run", f"{path}:S", "--data", data, "--out", tmp_path / "o", "--quiet")
    assert res.exit_code == 2 and message in res.output and "s.py" in res.output
    assert not (tmp_path / "o").exists()


# -- the language commands' files --------------------------------------------------------------------

def test_compile_never_overwrites_a_strat_file_and_reports_unwritable_targets(tmp_path):
    src = tmp_path / "s.strat"
    src.write_text(Path(STRADDLE).read_text())
    res = optbt("compile", src, "-o", src)
    assert res.exit_code == 2 and "would overwrite a .strat file" in res.output
    assert src.read_text() == Path(STRADDLE).read_text()
    (tmp_path / "adir").mkdir()
    for target, message in ((tmp_path / "adir", "it is a folder"), (tmp_path / "nodir" / "x.py", "no such file")):
        res = optbt("compile", src, "-o", target)
        assert res.exit_code == 2 and message in res.output
    res = optbt("compile", src, "-o", tmp_path / "out.txt")
    assert res.exit_code == 0 and "run it with" not in res.output  # not a .py file: not runnable as written


def test_fmt_write_on_a_link_formats_the_file_and_keeps_the_link(tmp_path):
    real, link = tmp_path / "real.strat", tmp_path / "link.strat"
    real.write_text(Path(STRADDLE).read_text().replace("stop_loss each leg sl_pct", "stop_loss   each leg   sl_pct"))
    link.symlink_to(real)
    assert optbt("fmt", "--write", link).exit_code == 0
    assert link.is_symlink() and optbt("fmt", "--check", real).exit_code == 0


def test_lint_counts_a_file_it_could_not_read(tmp_path):
    res = optbt("lint", tmp_path / "missing.strat", STRADDLE)
    assert res.exit_code == 2 and "1 file checked; 1 could not be read" in res.output
    res = optbt("lint", "--format", "json", tmp_path / "missing.strat")
    report = json.loads(res.stdout[res.stdout.index("["):])
    assert res.exit_code == 2 and [(r["code"], r["severity"]) for r in report] == [("unreadable", "error")]


def test_lint_warns_of_a_stop_a_later_one_replaces_on_every_leg(tmp_path):
    """The swept sl_pct changed nothing: a later fixed stop replaced it, and lint said clean."""
    path = tmp_path / "s.strat"
    path.write_text(Path(STRADDLE).read_text() + "stop_loss each leg 10%\n")
    res = optbt("lint", "--strict", path)
    assert res.exit_code == 1 and "W011" in res.output and "this stop_loss never applies" in res.output
    single = tmp_path / "one.strat"  # singling out one leg is not reported
    single.write_text(Path(STRADDLE).read_text() + "stop_loss ce 10%\n")
    assert optbt("lint", "--strict", single).exit_code == 0


# -- reports and cost schedules --------------------------------------------------------------------------

def test_report_on_damaged_results_says_which_file(data, tmp_path):
    out = tmp_path / "o"
    assert optbt("run", SPEC, "--data", data, "--out", out, "--quiet").exit_code == 0
    (out / "daily.csv").unlink()
    res = optbt("report", out)
    assert res.exit_code == 2 and "no daily.csv" in res.output
    (out / "summary.json").write_text("{\n")
    res = optbt("report", out)
    assert res.exit_code == 2 and "summary.json cannot be read" in res.output
    res = optbt("report", out, "--out", tmp_path / "nodir" / "r.html")
    assert res.exit_code == 2


@pytest.mark.parametrize("text, message", [
    ('charges = "x"\n', "charges must be a table"),
    ('base = "nse"\ncharges = 5\n', "charges must be a table"),
    ('[charges.brokerage]\nbasis = "order"\nrate = 1\n[charges.gst]\nbasis = "charges"\nrate = 1\nof = 5\n',
     "of must be a list of charge names"),
])
def test_a_broken_charge_schedule_is_one_line(data, tmp_path, text, message):
    schedule = tmp_path / "c.toml"
    schedule.write_text(text)
    res = optbt("run", SPEC, "--data", data, "--out", tmp_path / "o", "--quiet", "--costs", schedule)
    assert res.exit_code == 2 and message in res.output


def test_the_best_run_command_a_sweep_prints_keeps_its_costs(sample_dataset, tmp_path):
    res = optbt("sweep", STRADDLE, "--data", sample_dataset, "--out", tmp_path / "s", "--grid", "sl_pct=20,30",
                *WEEK, "--executor", "serial", "--costs", "nse")
    assert res.exit_code == 0 and "--costs nse" in res.output.split("best run again")[1]


# -- parameters of Python strategies ------------------------------------------------------------------

def test_python_parameters_of_date_optional_and_literal_types_are_checked():
    from datetime import date
    from typing import Literal, Optional

    from optbt.engine.strategy import coerce
    assert coerce("2024-01-04", date) == date(2024, 1, 4) and coerce("3", int | None) == 3
    assert coerce("none", Optional[date]) is None and coerce("b", Literal["a", "b"]) == "b"
    for value, typ in (("2024-13-01", date), ("x", int | None), ("c", Literal["a", "b"])):
        with pytest.raises(ValueError, match="p: expected"):
            coerce(value, typ, "p")


# -- smaller messages -------------------------------------------------------------------------------

def test_a_results_folder_holding_a_users_file_is_not_replaced(data, tmp_path):
    out = tmp_path / "o"
    assert optbt("run", SPEC, "--data", data, "--out", out, "--quiet").exit_code == 0
    (out / "notes.txt").write_text("mine")
    res = optbt("run", SPEC, "--data", data, "--out", out, "--quiet")
    assert res.exit_code == 2 and "optbt did not write (notes.txt)" in res.output
    assert (out / "notes.txt").read_text() == "mine"


def test_a_misspelt_timezone_is_refused_when_the_config_is_read(data, tmp_path):
    folder = with_config(data, tmp_path / "d", lambda t: 'timezone = "Asia/Kolkatta"\n' + t)
    res = optbt("run", SPEC, "--data", folder, "--out", tmp_path / "o", "--quiet")
    assert res.exit_code == 2 and "dataset.toml" in res.output and "did you mean 'Asia/Kolkata'" in res.output


def test_a_strategy_path_with_a_colon_in_a_folder_name_loads(data, tmp_path):
    folder = tmp_path / "a:b"
    folder.mkdir()
    (folder / "s.py").write_text(Path(SPEC.rpartition(":")[0]).read_text())
    assert optbt("run", f"{folder / 's.py'}:Straddle920", "--data", data, "--out", tmp_path / "o", "--quiet",
                 ).exit_code == 0


def test_explain_refuses_what_is_neither_a_strat_file_nor_a_code(tmp_path):
    res = optbt("explain", SPEC.rpartition(":")[0])
    assert res.exit_code == 2 and "explain takes a .strat file or a diagnostic code" in res.output


def test_a_too_long_comment_line_is_shown_cut_with_the_right_help(tmp_path):
    path = tmp_path / "s.strat"
    path.write_text(Path(STRADDLE).read_text() + "# " + "x" * 200_000 + "\n")
    res = optbt("lint", path)
    assert res.exit_code == 1 and "split the comment over several lines" in res.output
    assert "… (200,002 characters)" in res.output and len(res.output) < 5_000


def test_a_parameter_default_of_the_wrong_kind_reads_as_english(tmp_path):
    path = tmp_path / "s.strat"
    path.write_text(Path(STRADDLE).read_text().replace("    lots: int = 1\n", "    lots: int = 1.5\n"))
    res = optbt("lint", path)
    assert "is not a whole number" in res.output and "expected a value like 1" in res.output, res.output


def test_a_day_folder_this_process_cannot_list_is_refused_not_skipped(tmp_path, monkeypatch):
    """glob skips a folder it cannot list, so that day's options vanished (a no_options skip).
    Tests run as root, who may list anything: the permission is taken away through os.access."""
    import optbt.data.duckdb_source as source
    from optbt.data.dataset import load_dataset
    from optbt.model.errors import DataError
    rows = write_parquet(tmp_path / "flat", {DAY: straddle_day([100.0] * 10, [90.0] * 10)})
    folder = tmp_path / "days"
    (folder / "options" / f"day={DAY}").mkdir(parents=True)
    os.replace(rows / "options.parquet", folder / "options" / f"day={DAY}" / "p.parquet")
    os.replace(rows / "spot.parquet", folder / "spot.parquet")
    (folder / "dataset.toml").write_text((rows / "dataset.toml").read_text().replace(
        'path = "options.parquet"', 'path = "options/*/*.parquet"\nhive_partitioning = true\nday_partition = "day"'))
    blocked = str(folder / "options" / f"day={DAY}")
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == blocked else real(p, mode))
    with pytest.raises(DataError, match=f"cannot read folder {blocked}"):
        source.DuckDBSource(load_dataset(folder))


# -- numbers that must agree (an audit recomputed metrics, reports and sweep rows) -------------------------

def test_a_sweep_over_a_python_time_parameter_runs_every_point_and_prints_a_runnable_command(sample_dataset, tmp_path):
    """Each call crashed after one run (a time is no JSON) and the command said exit_time=15:15:00."""
    path = tmp_path / "t.py"
    path.write_text("from datetime import time\nfrom optbt import Strategy\n\nclass T(Strategy):\n"
                    "    exit_time: time = time(15, 15)\n    def entry(self, ctx):\n        pass\n")
    out = tmp_path / "s"
    res = optbt("sweep", f"{path}:T", "--data", sample_dataset, "--out", out, "--grid", "exit_time=14:00,15:15",
                *WEEK, "--executor", "serial", "--quiet")
    assert res.exit_code == 0, res.output
    assert len((out / "runs.jsonl").read_text().splitlines()) == 2
    assert [line.split(",")[2] for line in (out / "sweep.csv").read_text().splitlines()[1:]] == ["14:00", "15:15"]


def test_ranking_puts_runs_that_never_lost_first_and_runs_that_never_traded_last():
    from optbt.results.ranking import rank
    rows = [dict(run=0, status="ok", trades=4, profit_factor=0.0, avg_loss=-5.0, avg_win=None, max_drawdown=20.0),
            dict(run=1, status="ok", trades=4, profit_factor=None, avg_loss=None, avg_win=5.0, max_drawdown=0.0),
            dict(run=2, status="ok", trades=0, profit_factor=None, avg_loss=None, avg_win=None, max_drawdown=0.0)]
    for metric in ("profit_factor", "avg_loss", "max_drawdown"):
        assert [r["run"] for r in rank(rows, metric)] == [1, 0, 2], metric


def test_the_top_table_shows_a_fixed_parameter_that_differs_between_the_folders_runs(sample_dataset, tmp_path):
    out = tmp_path / "s"
    for lots in ("1", "2"):
        res = optbt("sweep", STRADDLE, "--data", sample_dataset, "--out", out, "--grid", "sl_pct=20,30", *WEEK,
                    "--param", f"lots={lots}", "--executor", "serial", "--report")
        assert res.exit_code == 0, res.output
    header = next(line for line in res.output.splitlines() if "sl_pct" in line and "total_pnl" in line)
    assert "lots" in header
    assert "2 (earlier runs here: 1)" in (out / "report.html").read_text()


def test_capital_percentages_are_in_the_summary_and_a_flat_leg_is_0(data, tmp_path):
    out = tmp_path / "o"
    res = optbt("run", SPEC, "--data", data, "--out", out, "--capital", "100000")
    summary = json.loads((out / "summary.json").read_text())
    pnl, dd = summary["metrics"]["total_pnl"], summary["metrics"]["max_drawdown"]
    assert summary["on_capital"] == {"return_pct": round(pnl / 1000, 4), "max_drawdown_pct": round(dd / 1000, 4)}
    assert "max drawdown on capital" in res.output
    from optbt.results.metrics import compute_metrics
    from optbt.results.result import _plain
    assert repr(compute_metrics([], [])["total_pnl"]) == "0.0" and repr(_plain(-0.0)) == "0.0"
