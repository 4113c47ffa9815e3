"""Sweeps: the grid a trader types, resuming after an interruption, failures kept, executors agree."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optbt.cli.app import _register_all, app
from optbt.data.dataset import load_dataset
from optbt.dsl.loader import load_strategy
from optbt.engine.loop import run_backtest
from optbt.engine.strategy import Strategy
from optbt.model.errors import ConfigError
from optbt.sweeps.grid import expand_grid, parse_grid, run_id
from optbt.sweeps.run import run_sweep

ROOT = Path(__file__).resolve().parent.parent
STRADDLE = str(ROOT / "strategies_dsl" / "straddle_920.strat")
WEEK = ("2024-01-01", "2024-01-05")  # five trading days of the sample dataset


class Demo(Strategy):
    sl_pct: float = 30.0
    lots: int = 1
    exit_time: str = "15:15"
    side: str = "SELL"
    hedge: bool = False


# -- the grid -----------------------------------------------------------------------------------

def test_lists_and_ranges_give_the_values_a_trader_means():
    grid = parse_grid(["sl_pct=20:50:10", "lots=1,2", "exit_time=15:00..15:20/10", "hedge=yes,no"], Demo)
    assert grid == {"sl_pct": [20.0, 30.0, 40.0, 50.0], "lots": [1, 2],
                    "exit_time": ["15:00", "15:10", "15:20"], "hedge": [True, False]}
    # decimal steps land exactly on the stop, and a time list is not read as a range
    assert parse_grid(["sl_pct=0.1:0.3:0.1"], Demo) == {"sl_pct": [0.1, 0.2, 0.3]}
    assert parse_grid(["sl_pct=10..20/5"], Demo) == {"sl_pct": [10.0, 15.0, 20.0]}
    assert parse_grid(["exit_time=9:20,15:00"], Demo) == {"exit_time": ["09:20", "15:00"]}
    assert parse_grid(["max_cycles=1:3:1"], Demo) == {"max_cycles": [1, 2, 3]}
    assert len(list(expand_grid(parse_grid(["sl_pct=20,30", "lots=1:3:1"], Demo)))) == 6


@pytest.mark.parametrize("spec, message", [
    ("sl_pc=20,30", "has no parameter 'sl_pc' (did you mean 'sl_pct'?)"),
    ("sl_pct", "--grid takes name=values"),
    ("=20", "--grid takes name=values"),
    ("sl_pct=", "has no values"),
    ("sl_pct=20,,30", "empty value"),
    ("sl_pct=20,abc", "expected a number, got 'abc'"),
    ("sl_pct=50:20:10", "ends (20) before it starts (50)"),
    ("sl_pct=20:50:0", "step must be positive"),
    ("sl_pct=20:50:-5", "step must be positive"),
    ("sl_pct=20:50", "a range is start:stop:step"),
    ("sl_pct=20:x:5", "'x' is not a number"),
    ("lots=1:4:0.5", "takes whole numbers"),
    ("lots=1.5,2", "expected a whole number"),
    ("side=BUY:SELL:1", "a range needs a number or time parameter"),
    ("exit_time=15:00..14:00/5", "ends (14:00) before it starts (15:00)"),
    ("exit_time=15:00..15:30/0", "whole number of minutes"),
    ("exit_time=25:00,15:00", "expected a time of day H:MM or HH:MM"),
    ("sl_pct=20,30,20", "listed twice"),
    ("sl_pct=1:1000000:1", "too many"),
])
def test_a_bad_grid_is_refused_with_a_message_that_says_how_to_fix_it(spec, message):
    with pytest.raises(ConfigError) as err:
        parse_grid([spec], Demo)
    assert message in str(err.value)


def test_a_parameter_given_twice_and_an_oversized_grid_are_refused():
    with pytest.raises(ConfigError, match="given twice"):
        parse_grid(["sl_pct=20", "sl_pct=30"], Demo)
    with pytest.raises(ConfigError, match="runs; at most"):
        parse_grid(["sl_pct=1:9000:1", "lots=1:9000:1"], Demo)


def test_dsl_choices_and_declared_sweeps():
    cls = load_strategy(STRADDLE)
    assert cls.sweep_grid() == {"sl_pct": [20.0, 30.0, 40.0, 50.0]}
    assert parse_grid(["sl_pct=20%,25%"], cls) == {"sl_pct": [20.0, 25.0]}


def test_run_ids_are_stable_and_distinct():
    a = run_id({"sl_pct": 20.0, "lots": 1})
    assert a == run_id({"lots": 1, "sl_pct": 20.0})
    assert a != run_id({"sl_pct": 30.0, "lots": 1})


# -- running, resuming, failing -------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(sample_dataset):
    return load_dataset(sample_dataset)


def _results(rows):
    """What a sweep decided, without timings and worker names."""
    return [{k: v for k, v in r.items() if k not in ("seconds", "worker")} for r in rows]


def test_each_run_equals_a_plain_backtest_with_those_parameters(sample, tmp_path):
    grid = {"sl_pct": [20.0, 40.0], "exit_time": ["15:00", "15:15"]}
    outcome = run_sweep(STRADDLE, grid, sample, tmp_path / "s", start=WEEK[0], end=WEEK[1])
    assert [r["status"] for r in outcome.rows] == ["ok"] * 4
    cls = load_strategy(STRADDLE)
    for row in outcome.rows:
        plain = run_backtest(cls, data=sample, start=WEEK[0], end=WEEK[1],
                             params={"sl_pct": row["sl_pct"], "exit_time": row["exit_time"]})
        assert row["total_pnl"] == plain.metrics["total_pnl"]
        assert row["trades"] == plain.metrics["trades"] == 10  # two legs, five days
        assert row["max_drawdown"] == plain.metrics["max_drawdown"]
    assert len({r["total_pnl"] for r in outcome.rows}) > 1  # the parameters matter


def test_serial_process_and_dask_sweeps_give_identical_results(sample, tmp_path):
    pytest.importorskip("distributed")
    grid = {"sl_pct": [20.0, 30.0, 40.0], "exit_time": ["15:00", "15:15"]}
    tables = {}
    for kind in ("serial", "process", "dask"):
        outcome = run_sweep(STRADDLE, grid, sample, tmp_path / kind, executor=kind, workers=2,
                            start=WEEK[0], end=WEEK[1])
        assert len(outcome.executed) == 6, kind
        tables[kind] = _results(outcome.rows)
    assert tables["serial"] == tables["process"] == tables["dask"]
    workers = {r["worker"] for r in run_sweep(STRADDLE, grid, sample, tmp_path / "p2", executor="process",
                                              workers=2, start=WEEK[0], end=WEEK[1]).rows}
    assert len(workers) <= 2  # workers are reused for many runs
    assert os.getpid() not in {int(w.rpartition(":")[2]) for w in workers}


def test_a_signals_strategy_sweeps_through_the_shared_cache_as_it_runs_serially(sample, tmp_path):
    """The shared cache wraps the data source: a strategy that reads the VIX series and the gap
    (whole OHLC bars, not recorded in the cache) must still see them, run for run as serially.
    (Before the fix every run failed: the wrapper had no ohlc_bars.)"""
    spec = str(ROOT / "strategies_dsl" / "vix_gap_strangle.strat")
    grid = {"vix_max": [16.0, 20.0]}
    serial = run_sweep(spec, grid, sample, tmp_path / "serial", start=WEEK[0], end=WEEK[1])
    shared = run_sweep(spec, grid, sample, tmp_path / "shared", executor="process", workers=2,
                       start=WEEK[0], end=WEEK[1])
    assert (tmp_path / "shared" / "cache").exists()
    assert not [r for r in shared.rows if r.get("error")]
    assert _results(serial.rows) == _results(shared.rows)
    assert any(r["trades"] for r in serial.rows)  # the filter lets some days trade


def test_workers_read_each_day_once_through_the_shared_cache(sample, tmp_path):
    """With the memo on, the workers first split the days between them (OUT/cache); then no run
    reads the data again, and the table is the serial sweep's. Off, each worker reads it all."""
    grid = {"sl_pct": [20.0, 30.0, 40.0], "exit_time": ["15:00", "15:15"]}
    serial = run_sweep(STRADDLE, grid, sample, tmp_path / "serial", start=WEEK[0], end=WEEK[1])
    assert not (tmp_path / "serial" / "cache").exists()
    shared = run_sweep(STRADDLE, grid, sample, tmp_path / "shared", executor="process", workers=2,
                       start=WEEK[0], end=WEEK[1])
    (key,) = (tmp_path / "shared" / "cache").iterdir()
    assert sorted(p.name for p in key.iterdir()) == [  # 2 chunks a worker, the five days once
        "2024-01-01_2024-01-01.days", "2024-01-02_2024-01-02.days", "2024-01-03_2024-01-03.days",
        "2024-01-04_2024-01-05.days"]
    logged = [json.loads(line) for line in (tmp_path / "shared" / "runs.jsonl").read_text().splitlines()]
    assert [r["engine"]["queries"] for r in logged] == [0] * 6  # the scouts read the same legs
    res = runner.invoke(app, ["sweep", STRADDLE, "--grid", "sl_pct=20,30,40", "--grid", "exit_time=15:00,15:15",
                              "--start", WEEK[0], "--end", WEEK[1], "--executor", "process", "--workers", "2",
                              "--no-shared-cache", "--out", str(tmp_path / "alone"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "alone" / "cache").exists()
    logged = [json.loads(line) for line in (tmp_path / "alone" / "runs.jsonl").read_text().splitlines()]
    assert sum(r["engine"]["queries"] > 0 for r in logged) >= 1  # a worker's first run reads the days
    assert _results(serial.rows) == _results(shared.rows)
    pnl = {r["run_id"]: r["metrics"]["total_pnl"] for r in logged}
    assert [pnl[r["run_id"]] for r in serial.rows] == [r["total_pnl"] for r in serial.rows]


def test_an_interrupted_sweep_resumes_with_exactly_the_missing_runs(sample, tmp_path):
    grid = {"sl_pct": [20.0, 30.0, 40.0, 50.0], "exit_time": ["15:00", "15:15"]}
    out = tmp_path / "s"
    seen: list[str] = []

    def stop_after_three(row):
        seen.append(row["run_id"])
        if len(seen) == 3:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        run_sweep(STRADDLE, grid, sample, out, start=WEEK[0], end=WEEK[1], on_result=stop_after_three)
    import pyarrow.parquet as pq
    assert pq.read_table(out / "sweep.parquet").num_rows == 3  # nothing finished was lost
    everything = {run_id(p) for p in expand_grid(grid)}
    again = run_sweep(STRADDLE, grid, sample, out, start=WEEK[0], end=WEEK[1])
    assert set(again.executed) == everything - set(seen)
    assert len(again.executed) == 5 and again.skipped == 3
    assert len(again.rows) == 8 and pq.read_table(out / "sweep.parquet").num_rows == 8
    third = run_sweep(STRADDLE, grid, sample, out, start=WEEK[0], end=WEEK[1])
    assert third.executed == [] and third.skipped == 8
    # a wider grid runs only what is new
    wider = dict(grid, exit_time=["15:00", "15:15", "15:20"])
    assert len(run_sweep(STRADDLE, wider, sample, out, start=WEEK[0], end=WEEK[1]).executed) == 4


def test_a_line_cut_short_by_a_crash_is_run_again(sample, tmp_path):
    grid = {"sl_pct": [20.0, 30.0]}
    out = tmp_path / "s"
    run_sweep(STRADDLE, grid, sample, out, start=WEEK[0], end=WEEK[1])
    lines = (out / "runs.jsonl").read_text().splitlines()
    (out / "runs.jsonl").write_text(lines[0] + "\n" + lines[1][: len(lines[1]) // 2])
    again = run_sweep(STRADDLE, grid, sample, out, start=WEEK[0], end=WEEK[1])
    assert again.executed == [json.loads(lines[1])["run_id"]]
    assert run_sweep(STRADDLE, grid, sample, out, start=WEEK[0], end=WEEK[1]).executed == []


def test_a_sweep_folder_refuses_a_different_sweep(sample, tmp_path):
    out = tmp_path / "s"
    run_sweep(STRADDLE, {"sl_pct": [20.0]}, sample, out, start=WEEK[0], end=WEEK[1])
    with pytest.raises(ConfigError, match=r"holds 1 run made from other inputs: --end changed \(2024-01-05 -> 2024-01-10\).*--restart"):
        run_sweep(STRADDLE, {"sl_pct": [20.0]}, sample, out, start=WEEK[0], end="2024-01-10")
    fresh = run_sweep(STRADDLE, {"sl_pct": [20.0]}, sample, out, start=WEEK[0], end="2024-01-10", restart=True)
    assert len(fresh.executed) == 1


FLAKY = '''
from optbt import Strategy

class Flaky(Strategy):
    sl_pct: float = 30.0
    lots: int = 1

    def entry(self, ctx):
        if self.lots == 2:
            raise RuntimeError("two lots are not supported here")
        if ctx.time >= "09:20":
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL", self.lots)})

    def exit_check(self, ctx):
        return ctx.time >= "15:15"
'''


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(sample, tmp_path):
    path = tmp_path / "flaky.py"
    path.write_text(FLAKY)
    grid = {"lots": [1, 2, 3]}
    outcome = run_sweep(f"{path}:Flaky", grid, sample, tmp_path / "s", executor="process", workers=2,
                        start=WEEK[0], end=WEEK[1])
    by_lots = {r["lots"]: r for r in outcome.rows}
    assert by_lots[1]["status"] == by_lots[3]["status"] == "ok"
    assert by_lots[3]["total_pnl"] == pytest.approx(3 * by_lots[1]["total_pnl"])
    assert by_lots[2]["status"] == "error"
    assert "two lots are not supported here" in by_lots[2]["error"]
    assert "flaky.py" in by_lots[2]["error"]  # where in the user's file
    again = run_sweep(f"{path}:Flaky", grid, sample, tmp_path / "s", start=WEEK[0], end=WEEK[1])
    assert again.executed == [run_id({"lots": 2})]  # failed runs are tried again


# -- the command ---------------------------------------------------------------------------------

runner = CliRunner()
_register_all()


def test_sweep_command_prints_the_top_runs_and_writes_the_table(sample_dataset, tmp_path):
    out = tmp_path / "s"
    res = runner.invoke(app, ["sweep", STRADDLE, "--grid", "sl_pct=20,40", "--grid", "exit_time=15:00,15:15",
                              "--start", WEEK[0], "--end", WEEK[1], "--executor", "serial", "--out", str(out),
                              "--metric", "max_drawdown", "--quiet", "--report"])
    assert res.exit_code == 0, res.output
    assert "top 10 runs by max_drawdown (lower is better)" in res.output
    assert "optbt run" in res.output and "--param sl_pct=" in res.output
    assert (out / "sweep.csv").read_text().count("\n") == 5
    assert (out / "report.html").exists()
    res = runner.invoke(app, ["sweep", STRADDLE, "--start", WEEK[0], "--end", WEEK[1],
                              "--executor", "serial", "--out", str(tmp_path / "d"), "--quiet"])
    assert res.exit_code == 0, res.output  # the grid the .strat file declares
    assert "4 runs over sl_pct (4)" in res.output


@pytest.mark.parametrize("args, message", [
    (["--grid", "sl_pc=20"], "did you mean 'sl_pct'"),
    (["--grid", "sl_pct=20", "--metric", "pnl"], "is not a metric"),
    (["--grid", "sl_pct=20", "--executor", "threads"], "--executor must be"),
    (["--grid", "sl_pct=20", "--param", "sl_pct=30"], "both swept"),
    (["--grid", "sl_pct=20", "--workers", "0"], "at least 1"),
    (["--grid", "sl_pct=20", "--memo-mb", "-1"], "--memo-mb must be"),
])
def test_sweep_command_errors_are_one_clear_line(args, message, tmp_path):
    from optbt.cli.app import main
    proc = subprocess.run([sys.executable, "-c", "from optbt.cli.app import main; main()", "sweep", STRADDLE,
                           "--out", str(tmp_path / "s"), "--quiet", *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    del main


def _wait_for_runs(proc: subprocess.Popen, out: Path, n: int) -> Path:
    """Wait until the sweep in ``proc`` has logged ``n`` finished runs (or ended); the log's path."""
    log = out / "runs.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and log.read_text().count("\n") >= n:
            break
        time.sleep(0.02)
    return log


def test_killing_the_command_and_rerunning_it_runs_exactly_the_rest(sample_dataset, tmp_path):
    """The real thing: SIGKILL mid-sweep (no clean-up code runs), then the same command again."""
    out = tmp_path / "s"
    cmd = [sys.executable, "-c", "from optbt.cli.app import main; main()", "sweep", STRADDLE,
           "--grid", "sl_pct=20:75:5", "--executor", "serial", "--memo-mb", "0", "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = _wait_for_runs(proc, out, 2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = {json.loads(line)["run_id"] for line in log.read_text().splitlines() if line.endswith("}")}
    assert 2 <= len(done) < 12, "the sweep should have been killed part-way"
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert f"ran {12 - len(done)}, reused {len(done)}" in " ".join(res.stdout.split())
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(r["run_id"] for r in rows) == sorted({r["run_id"] for r in rows})  # none ran twice
    assert len(rows) == 12


def test_a_sweep_runs_on_a_running_dask_scheduler(sample, tmp_path):
    """``dask://HOST:PORT``: the same sweep on an existing cluster (here one on loopback)."""
    distributed = pytest.importorskip("distributed")
    grid = {"sl_pct": [20.0, 30.0, 40.0, 50.0]}
    serial = run_sweep(STRADDLE, grid, sample, tmp_path / "serial", start=WEEK[0], end=WEEK[1])
    # one worker running two tasks at a time in threads, as `dask worker` does by default
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster:
        address = cluster.scheduler_address.removeprefix("tcp://")
        remote = run_sweep(STRADDLE, grid, sample, tmp_path / "remote", executor=f"dask://{address}",
                           start=WEEK[0], end=WEEK[1])
    assert remote.where == f"Dask scheduler tcp://{address}, 1 worker"
    assert _results(remote.rows) == _results(serial.rows)


@pytest.mark.parametrize("kind", ["strat", "py"])
def test_a_cluster_that_outlives_a_sweep_runs_the_strategy_as_edited_since(sample, tmp_path, kind):
    """A Dask worker keeps what it loaded between tasks (and sweeps): the class of a strategy
    file edited between two sweeps, and the days it read, must not be served to the second.
    Both came back stale before (no shared cache: nothing else in the job changed)."""
    distributed = pytest.importorskip("distributed")
    source = ROOT / ("strategies_dsl/straddle_920.strat" if kind == "strat" else "examples/straddle_920.py")
    path = tmp_path / f"mine{source.suffix}"
    path.write_text(source.read_text())
    spec = str(path) if kind == "strat" else f"{path}:Straddle920"
    grid = {"sl_pct": [20.0, 30.0]} if kind == "strat" else {"sl_pct": [0.2, 0.3]}
    args = dict(start=WEEK[0], end=WEEK[1], shared_cache=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster:
        address = "dask://" + cluster.scheduler_address.removeprefix("tcp://")
        before = run_sweep(spec, grid, sample, tmp_path / "before", executor=address, **args)
        text = path.read_text()
        edited = text.replace("09:20", "10:20") if kind == "strat" else text.replace('"09:20"', '"10:20"')
        assert edited != text
        path.write_text(edited)
        after = run_sweep(spec, grid, sample, tmp_path / "after", executor=address, **args)
    fresh = run_sweep(spec, grid, sample, tmp_path / "fresh", **args)
    assert _results(after.rows) == _results(fresh.rows)
    assert _results(after.rows) != _results(before.rows)  # the edit changes the trades


def test_a_cluster_that_outlives_a_sweep_reads_data_files_rewritten_since(sample_dataset, tmp_path):
    """The same for the data: a worker's remembered days of a file rewritten between two sweeps
    (here a day's option closes, half as much again) are not served to the second sweep."""
    distributed = pytest.importorskip("distributed")
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    import shutil
    week = {f"day=2024-01-0{d}" for d in range(1, 6)}
    data = tmp_path / "data"
    shutil.copytree(sample_dataset, data, ignore=lambda folder, names: [
        n for n in names if Path(folder).name == "options" and n.startswith("day=") and n not in week])
    grid = {"sl_pct": [20.0, 30.0]}
    args = dict(start=WEEK[0], end=WEEK[1], shared_cache=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster:
        address = "dask://" + cluster.scheduler_address.removeprefix("tcp://")
        before = run_sweep(STRADDLE, grid, load_dataset(data), tmp_path / "before", executor=address, **args)
        day = data / "options" / "day=2024-01-03" / "part-0.parquet"
        table = pq.read_table(day)
        i = table.schema.get_field_index("close")
        pq.write_table(table.set_column(i, "close", pc.multiply(table["close"], 1.5)), day)
        after = run_sweep(STRADDLE, grid, load_dataset(data), tmp_path / "after", executor=address, **args)
    fresh = run_sweep(STRADDLE, grid, load_dataset(data), tmp_path / "fresh", **args)
    assert _results(after.rows) == _results(fresh.rows)
    assert _results(after.rows) != _results(before.rows)


def test_an_unreachable_scheduler_is_a_clear_error(sample, tmp_path):
    pytest.importorskip("distributed")
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        run_sweep(STRADDLE, {"sl_pct": [20.0]}, sample, tmp_path / "s", executor="dask://127.0.0.1:9",
                  start=WEEK[0], end=WEEK[1])


@pytest.mark.parametrize("address", ["dask://localhost:abc", "dask://", "dask://localhost", "dask://:8786"])
def test_a_malformed_scheduler_address_is_refused_before_the_folder_is_touched(sample, tmp_path, address):
    with pytest.raises(ConfigError, match=r"dask://HOST:PORT with a port number"):
        run_sweep(STRADDLE, {"sl_pct": [20.0]}, sample, tmp_path / "s", executor=address, start=WEEK[0], end=WEEK[1])
    assert not (tmp_path / "s").exists()


def test_threads_loading_one_strategy_at_once_all_get_the_class(tmp_path):
    """A Dask worker runs tasks in threads: each may be the first to load the strategy."""
    import threading
    text = Path(STRADDLE).read_text().replace("out at 15:15\"", f"out at 15:15 ({tmp_path.name})\"")
    path = tmp_path / "fresh.strat"
    path.write_text(text)  # new text: a module no thread has loaded yet
    barrier, got, errors = threading.Barrier(8), [], []

    def load():
        barrier.wait()
        try:
            got.append(load_strategy(str(path)))
        except Exception as exc:  # noqa: BLE001 - the test reports what went wrong
            errors.append(exc)
    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(got) == 8 and len({id(c) for c in got}) == 1


@pytest.mark.parametrize("executor", ["process", "dask"])
def test_ctrl_c_stops_the_sweep_cleanly_and_keeps_what_finished(executor, sample_dataset, tmp_path):
    """Ctrl-C reaches every process of the terminal's group: workers included."""
    if executor == "dask":
        pytest.importorskip("distributed")
    out = tmp_path / "s"
    cmd = [sys.executable, "-c", "from optbt.cli.app import main; main()", "sweep", STRADDLE,
           "--grid", "sl_pct=20:95:5", "--executor", executor, "--workers", "2", "--memo-mb", "0",
           "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    log = _wait_for_runs(proc, out, 2)
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output
    assert "interrupted" in output and "run the same command again to resume" in " ".join(output.split())
    assert "Traceback" not in output
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.endswith("}")]
    assert rows and all(r["status"] == "ok" for r in rows)  # a run cut short is not recorded as failed


def test_a_parameter_named_like_a_metric_keeps_its_own_column(sample, tmp_path):
    from rich.console import Console

    from optbt.cli.sweep import top_table
    path = tmp_path / "named.py"
    path.write_text(FLAKY.replace("lots: int = 1", "lots: int = 1\n    trades: int = 7"))
    outcome = run_sweep(f"{path}:Flaky", {"trades": [3, 5]}, sample, tmp_path / "s", start=WEEK[0], end=WEEK[1])
    assert [r["param_trades"] for r in outcome.rows] == [3, 5]
    assert all(r["trades"] == 5 for r in outcome.rows)  # the metric: one leg a day for five days
    console = Console(record=True, width=200)
    console.print(top_table(outcome.rows, ["trades"], "total_pnl", 10))
    lines = [line.split("│") for line in console.export_text().splitlines() if line.startswith("│")]
    assert sorted(cells[2].strip() for cells in lines) == ["3", "5"]  # the parameter, not the metric
