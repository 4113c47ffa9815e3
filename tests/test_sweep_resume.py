"""A resume that knows its data: changed inputs are refused and named, one sweep a folder, grids told apart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optbt.data.dataset import load_dataset
from optbt.model.errors import ConfigError
from optbt.sweeps.fingerprint import data_files
from optbt.sweeps.lock import SweepLock
from optbt.sweeps.run import run_sweep

ROOT = Path(__file__).resolve().parent.parent
STRADDLE = str(ROOT / "strategies_dsl" / "straddle_920.strat")
DAYS = ("2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05")


@pytest.fixture()
def week(sample_dataset, tmp_path) -> Path:
    """A dataset folder of its own: the sample's config and its first five days."""
    src, dst = Path(sample_dataset), tmp_path / "data"
    dst.mkdir()
    shutil.copy(src / "dataset.toml", dst / "dataset.toml")
    for kind in ("options", "spot"):
        for day in DAYS:
            shutil.copytree(src / kind / f"day={day}", dst / kind / f"day={day}")
    return dst


def _a_second_later(path: Path) -> None:
    """The file's modification time a second later, as a rewrite would leave it."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def sweep(data: Path, out: Path, grid=None, **kw):
    return run_sweep(STRADDLE, grid or {"sl_pct": [20.0, 30.0]}, load_dataset(data), out, **kw)


def test_the_fingerprint_lists_every_data_file_by_stat(week):
    files = data_files(load_dataset(week))
    assert len(files) == 10  # five days of options and five of spot, one file each
    some = next(iter(files))
    st = os.stat(some)
    assert files[some] == [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]


def test_a_changed_lot_size_refuses_to_resume_and_says_so(week, tmp_path):
    out = tmp_path / "s"
    first = sweep(week, out)
    assert len(first.executed) == 2
    toml = week / "dataset.toml"
    assert "lot_size = 50\n" in toml.read_text()
    toml.write_text(toml.read_text().replace("lot_size = 50\n", "lot_size = 25\n"))
    with pytest.raises(ConfigError, match=r"dataset.toml changed: lot_size 50.0 -> 25.0.*--restart"):
        sweep(week, out)
    again = sweep(week, out, restart=True)
    assert len(again.executed) == 2 and again.skipped == 0
    # PnL is points x lots x lot size: half the lot size, half the PnL
    before = {r["sl_pct"]: r["total_pnl"] for r in first.rows}
    for row in again.rows:
        assert row["total_pnl"] == pytest.approx(before[row["sl_pct"]] / 2)


def test_deleted_and_rewritten_days_refuse_to_resume_and_are_counted(week, tmp_path):
    out = tmp_path / "s"
    sweep(week, out)
    shutil.rmtree(week / "options" / "day=2024-01-05")
    shutil.rmtree(week / "spot" / "day=2024-01-05")
    with pytest.raises(ConfigError, match=r"2 data files removed, first: .*day=2024-01-05/part-0.parquet"):
        sweep(week, out)
    sweep(week, out, restart=True)
    _a_second_later(week / "spot" / "day=2024-01-02" / "part-0.parquet")
    with pytest.raises(ConfigError, match=r"1 data file changed, first: .*day=2024-01-02/part-0.parquet \(modified\)"):
        sweep(week, out)


def test_a_rewritten_series_file_refuses_to_resume(week, sample_dataset, tmp_path):
    """A [series.NAME] file (the VIX a filter reads) is data the runs depend on, like options."""
    for day in DAYS:
        shutil.copytree(Path(sample_dataset) / "vix" / f"day={day}", week / "vix" / f"day={day}")
    assert len(data_files(load_dataset(week))) == 15
    out = tmp_path / "s"
    sweep(week, out)
    _a_second_later(week / "vix" / "day=2024-01-03" / "part-0.parquet")
    with pytest.raises(ConfigError, match=r"1 data file changed, first: .*vix/day=2024-01-03/part-0.parquet"):
        sweep(week, out)


def test_an_edited_helper_module_of_a_python_strategy_refuses_to_resume(week, tmp_path, monkeypatch):
    helper = "optbt_resume_helper_" + tmp_path.name.replace("-", "_")
    (tmp_path / f"{helper}.py").write_text('EXIT = "15:15"\n')
    strat = tmp_path / "mine.py"
    strat.write_text((ROOT / "examples" / "straddle_920.py").read_text().replace(
        'exit_time: str = "15:15"', f"exit_time: str = {helper}.EXIT").replace(
        "from optbt", f"import {helper}\nfrom optbt", 1))
    assert helper in strat.read_text() and f"{helper}.EXIT" in strat.read_text()
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = f"{strat}:Straddle920"
    run_sweep(spec, {"sl_pct": [0.2]}, load_dataset(week), tmp_path / "s")
    (tmp_path / f"{helper}.py").write_text('EXIT = "10:00"\n')
    with pytest.raises(ConfigError, match=rf"a module the strategy imports changed \(.*{helper}.py\)"):
        run_sweep(spec, {"sl_pct": [0.2]}, load_dataset(week), tmp_path / "s")


def test_a_file_replaced_with_its_old_size_and_time_refuses_to_resume(week, tmp_path):
    out = tmp_path / "s"
    sweep(week, out)
    f = week / "options" / "day=2024-01-03" / "part-0.parquet"
    st = os.stat(f)
    shutil.copyfile(f, tmp_path / "copy.parquet")
    (tmp_path / "copy.parquet").replace(f)  # another file in its place (same bytes here: refused all the same)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(ConfigError, match=r"1 data file changed, first: .*day=2024-01-03/part-0.parquet "
                                          r"\(replaced or rewritten in place with its old time"):
        sweep(week, out)


def test_a_resume_after_optbt_itself_changed_is_refused(week, tmp_path, monkeypatch):
    """An upgrade (or an edit of optbt's code) may change results: runs of two engines must
    not share one table. A folder written before the stamp existed is still resumed."""
    import optbt.sweeps.fingerprint as fingerprint
    out = tmp_path / "s"
    sweep(week, out)
    monkeypatch.setattr(fingerprint, "code_stamp", lambda: "another version")
    with pytest.raises(ConfigError, match=r"optbt itself changed since"):
        sweep(week, out)
    fp = json.loads((out / "fingerprint.json").read_text())
    del fp["code"]
    (out / "fingerprint.json").write_text(json.dumps(fp))
    assert sweep(week, out).skipped == 2


def test_other_dates_costs_or_strategy_text_are_named(week, tmp_path):
    from optbt.data.dataset import Costs
    out = tmp_path / "s"
    sweep(week, out, start="2024-01-02")
    with pytest.raises(ConfigError, match=r"--start changed \(2024-01-02 -> not given\)"):
        sweep(week, out)
    with pytest.raises(ConfigError, match=r"cost options changed"):
        sweep(week, out, start="2024-01-02", costs=Costs(slippage=0.5))
    strat = tmp_path / "copy.strat"
    strat.write_text(Path(STRADDLE).read_text())
    run_sweep(str(strat), {"sl_pct": [20.0]}, load_dataset(week), tmp_path / "t")
    strat.write_text(strat.read_text().replace("exit at exit_time", "exit at 15:00"))
    with pytest.raises(ConfigError, match=r"the strategy file changed \(.*copy.strat\)"):
        run_sweep(str(strat), {"sl_pct": [20.0]}, load_dataset(week), tmp_path / "t")


def test_an_edited_charge_schedule_file_refuses_to_resume(week, tmp_path):
    # the file's name and the cost options stay the same; only a rate inside it changes, which
    # changes every run's costs: the sweep must not reuse the runs made with the old rate
    from optbt.data.dataset import Costs
    own = tmp_path / "broker.toml"
    own.write_text('base = "nse"\nname = "mine"\n[charges.brokerage]\nrate = 10\n', encoding="utf-8")
    out = tmp_path / "s"
    sweep(week, out, costs=Costs(preset=str(own)))
    assert sweep(week, out, costs=Costs(preset=str(own))).skipped == 2  # unchanged: resumed
    own.write_text(own.read_text().replace("rate = 10", "rate = 20"))
    with pytest.raises(ConfigError, match=r"the charge schedule's rates changed \(.*broker.toml\)"):
        sweep(week, out, costs=Costs(preset=str(own)))


def test_the_command_refuses_instead_of_reusing_stale_results(week, tmp_path):
    out = tmp_path / "s"
    cmd = [sys.executable, "-m", "optbt.cli.app", "sweep", STRADDLE, "--grid", "sl_pct=20,30,40,50",
           "--data", str(week), "--executor", "serial", "--out", str(out), "--quiet"]
    assert subprocess.run(cmd, capture_output=True, text=True, timeout=300).returncode == 0
    toml = week / "dataset.toml"
    toml.write_text(toml.read_text().replace("lot_size = 50\n", "lot_size = 25\n"))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stdout
    assert "reused" not in r.stdout
    assert "dataset.toml changed: lot_size 50.0 -> 25.0" in " ".join(r.stderr.split())
    assert "Traceback" not in r.stderr


def test_a_folder_in_use_is_refused_and_a_dead_sweeps_lock_is_taken_over(week, tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    lock = SweepLock.acquire(out)  # this test process is "the other sweep"
    try:
        r = subprocess.run([sys.executable, "-m", "optbt.cli.app", "sweep", STRADDLE, "--grid", "sl_pct=20",
                            "--data", str(week), "--executor", "serial", "--out", str(out), "--quiet"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 2
        said = " ".join(r.stderr.split())
        assert f"is in use by pid {os.getpid()} (started " in said and "Traceback" not in said
        assert not (out / "runs.jsonl").exists()
    finally:
        lock.release()
    # a sweep killed with SIGKILL leaves its lock file behind; the kernel has dropped the lock itself
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path;"
                               "from optbt.sweeps.lock import SweepLock; SweepLock.acquire(Path(sys.argv[1]));"
                               "print('held', flush=True); time.sleep(600)", str(out)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    holder.stdout.close()
    assert (out / "sweep.lock").exists()
    notes = []
    outcome = sweep(week, out, on_note=notes.append)
    assert len(outcome.executed) == 2
    assert notes and f"took over the lock of a sweep that is no longer running (pid {holder.pid}" in notes[0]
    assert not (out / "sweep.lock").exists()  # released at the end


def test_two_sweeps_at_once_into_one_folder_never_run_a_point_twice(sample_dataset, tmp_path):
    out = tmp_path / "s"
    cmd = [sys.executable, "-m", "optbt.cli.app", "sweep", STRADDLE, "--grid", "sl_pct=20:70:10",
           "--executor", "serial", "--memo-mb", "0", "--out", str(out), "--quiet"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "runs.jsonl").exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    out1, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    if second.returncode == 0:  # only possible when the first had finished already: then it reused all
        assert "ran 0, reused 6" in " ".join(second.stdout.split())
    else:
        assert second.returncode == 2 and "is in use by pid" in second.stderr
    rows = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and len({r["run_id"] for r in rows}) == 6


def test_a_different_grid_says_what_is_kept_and_what_is_new(week, tmp_path):
    out = tmp_path / "s"
    sweep(week, out, {"sl_pct": [20.0, 30.0]})
    notes: list[str] = []
    second = sweep(week, out, {"sl_pct": [30.0, 40.0]}, on_note=notes.append)
    assert len(second.executed) == 1  # only 40 is new
    assert notes == [f"resuming: 1 of 2 runs of this grid finished earlier in {out}; "
                     "1 earlier run is outside this grid and stays in the table"]
    assert [r["sl_pct"] for r in second.rows] == [30.0, 40.0, 20.0]  # this grid first, then the earlier run
    import pyarrow.parquet as pq
    assert sorted(pq.read_table(out / "sweep.parquet").column("sl_pct").to_pylist()) == [20.0, 30.0, 40.0]
    assert json.loads((out / "sweep.json").read_text())["grid"] == {"sl_pct": [30.0, 40.0, 20.0]}
    notes.clear()
    third = sweep(week, out, {"exit_time": ["15:00"]}, on_note=notes.append)
    assert [r["exit_time"] for r in third.rows] == ["15:00"]
    assert notes == [f"resuming: 0 of 1 runs of this grid finished earlier in {out}; "
                     "3 earlier runs with other parameters (sl_pct) stay in runs.jsonl only"]


def test_a_folder_from_before_fingerprints_is_not_trusted_blindly(week, tmp_path):
    out = tmp_path / "s"
    sweep(week, out)
    (out / "fingerprint.json").unlink()  # as a sweep folder of an older optbt looks
    with pytest.raises(ConfigError, match=r"holds 2 runs but no record of the data.*--restart"):
        sweep(week, out)
    assert len(sweep(week, out, restart=True).executed) == 2


def test_a_new_grid_stopped_before_its_first_run_leaves_no_earlier_grids_table(week, tmp_path, monkeypatch):
    out = tmp_path / "s"
    sweep(week, out, {"sl_pct": [20.0, 30.0]})
    assert (out / "sweep.csv").read_text().count("\n") == 3  # header and two runs
    import optbt.sweeps.run as sweeps_run

    def stopped(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(sweeps_run, "run_one", stopped)
    with pytest.raises(KeyboardInterrupt):
        sweep(week, out, {"exit_time": ["15:00"]}, executor="serial")
    # the earlier runs set other parameters: they stay in runs.jsonl only, never in this grid's table
    assert not (out / "sweep.csv").exists() and not (out / "sweep.parquet").exists()
    assert len((out / "runs.jsonl").read_text().splitlines()) == 2
    monkeypatch.undo()
    again = sweep(week, out, {"exit_time": ["15:00"]})
    assert [r["exit_time"] for r in again.rows] == ["15:00"]
    assert (out / "sweep.csv").read_text().count("\n") == 2
