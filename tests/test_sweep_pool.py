"""How sweep workers start: forked where that is safe, never hanging, never outliving the sweep.

Each check runs in a fresh interpreter: the pytest process itself has threads (pyarrow's,
DuckDB's), so in here the pool always spawns. Answers are what the rule says by itself: a
process with one thread forks, any second thread (a live DuckDB connection, a Python thread)
makes it spawn; the tables are the serial sweep's.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from optbt.data.dataset import load_dataset
from optbt.sweeps.run import WorkerDied, run_sweep

ROOT = Path(__file__).resolve().parent.parent
STRADDLE = str(ROOT / "strategies_dsl" / "straddle_920.strat")
WEEK = ("2024-01-01", "2024-01-05")

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forking is used on Linux only")


def _python(code: str, timeout: float = 120, **env: str) -> str:
    """Run ``code`` in a fresh interpreter; its stdout (fails the test on an error or a hang)."""
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         timeout=timeout, cwd=ROOT, env={**os.environ, **env})
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


@linux_only
def test_only_a_single_threaded_process_forks():
    probe = "from optbt.sweeps.pool import start_method; print(start_method())"
    assert _python(probe) == "fork"
    assert _python("import duckdb; con = duckdb.connect()\n" + probe) == "spawn"  # DuckDB's threads
    assert _python("import threading; threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
                   + probe) == "spawn"
    assert _python(probe, OPTBT_SWEEP_START="spawn") == "spawn"
    # a connection that was closed leaves no thread behind: forking is safe again
    assert _python("import duckdb; duckdb.connect().close()\n" + probe) == "fork"


@linux_only
def test_forked_workers_open_their_own_duckdb_after_the_parent_closed_one():
    """The parent opened, used and closed a connection, then forked: every worker queries (no hang)."""
    out = _python("""
        import duckdb, os
        con = duckdb.connect(); assert con.execute("select 41 + 1").fetchone() == (42,); con.close()
        from optbt.sweeps.pool import process_pool

        def ask(n):
            import duckdb
            c = duckdb.connect()
            return os.getpid(), c.execute("select sum(range) from range($n)", {"n": n}).fetchone()[0]

        ex, method = process_pool(2)
        with ex:
            got = [f.result(timeout=60) for f in [ex.submit(ask, n) for n in (10, 100, 1000, 10000)]]
        print(method, [s for _, s in got], len({p for p, _ in got} - {os.getpid()}))
        """, timeout=90)
    assert out == "fork [45, 4950, 499500, 49995000] 2" or out == "fork [45, 4950, 499500, 49995000] 1"


def _table(path: Path) -> list[dict]:
    with (path / "sweep.csv").open() as fh:
        return [{k: v for k, v in r.items() if k not in ("seconds", "worker")} for r in csv.DictReader(fh)]


@linux_only
def test_a_forked_pool_and_dask_give_the_serial_table(sample_dataset, tmp_path):
    """As the command line runs them (one thread when the pool starts): forked pool workers, and
    Dask workers forked from a server that imported optbt once, match the serial sweep."""
    pytest.importorskip("distributed")
    outs = {}
    for kind in ("process", "dask", "serial"):
        out = tmp_path / kind
        res = subprocess.run([sys.executable, "-m", "optbt", "sweep", STRADDLE, "--grid", "sl_pct=20,40",
                              "--grid", "exit_time=15:00,15:15", "--start", WEEK[0], "--end", WEEK[1],
                              "--data", str(sample_dataset), "--executor", kind, "--workers", "2",
                              "--out", str(out)], capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert res.returncode == 0, res.stdout + res.stderr
        outs[kind] = res.stdout
        assert "Traceback" not in res.stdout + res.stderr
    assert "process pool, 2 workers (fork)" in " ".join(outs["process"].split())
    assert _table(tmp_path / "process") == _table(tmp_path / "serial") == _table(tmp_path / "dask")
    assert len(_table(tmp_path / "serial")) == 4
    # Dask's cache was scouted (on forks of the command, while the cluster started): no run read parquet
    for kind in ("process", "dask"):
        logged = [json.loads(line) for line in (tmp_path / kind / "runs.jsonl").read_text().splitlines()]
        assert [r["engine"]["queries"] for r in logged] == [0] * 4, kind
        assert len(list((tmp_path / kind / "cache").glob("*/*.days"))) == 4  # 2 chunks a worker, five days


@linux_only
def test_the_dask_worker_server_has_one_thread_when_it_forks(sample_dataset, tmp_path):
    """Dask's local workers are forks of one server; a fork is safe only from a single thread
    (numpy, imported by Dask, would start a BLAS thread pool: it is held to one thread)."""
    pytest.importorskip("distributed")
    out = _python(f"""
        import os
        from multiprocessing import forkserver
        from optbt.data.dataset import load_dataset
        from optbt.sweeps.run import run_sweep
        outcome = run_sweep({STRADDLE!r}, {{"sl_pct": [20.0, 40.0]}}, load_dataset({str(sample_dataset)!r}),
                            {str(tmp_path / "d")!r}, executor="dask", workers=2, start={WEEK[0]!r}, end={WEEK[1]!r})
        pid = forkserver._forkserver._forkserver_pid
        print(len(os.listdir(f"/proc/{{pid}}/task")), [r["status"] for r in outcome.rows])
        """, timeout=300)
    assert out == "1 ['ok', 'ok']"


def _wait_for_two_runs(proc: subprocess.Popen, log: Path) -> None:
    """Until the sweep's log holds two finished runs (or the sweep ended, or 120 s passed)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and log.read_text().count("\n") >= 2:
            return
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return "\nState:\tZ" not in fh.read()  # a zombie has ended, it only waits to be reaped
    except FileNotFoundError:
        return False


@linux_only
@pytest.mark.parametrize("start", ["fork", "forkserver", "spawn"])
def test_killing_only_the_sweeps_process_ends_its_workers_and_frees_the_folder(start, sample_dataset, tmp_path):
    """SIGKILL to the sweep's process alone (not its group): no clean-up code runs, yet its
    workers end (a forked one is killed by the kernel with its parent, the others see the pipe
    from their parent close) and the folder's lock is taken over."""
    out = tmp_path / "s"
    cmd = [sys.executable, "-m", "optbt", "sweep", STRADDLE, "--grid", "sl_pct=20:95:5", "--data",
           str(sample_dataset), "--executor", "process", "--workers", "2", "--memo-mb", "0", "--out", str(out),
           "--quiet"]
    env = {**os.environ, "OPTBT_SWEEP_START": start} if start != "fork" else None
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                            start_new_session=True, env=env)
    try:
        log = out / "runs.jsonl"
        _wait_for_two_runs(proc, log)
        workers = {int(json.loads(line)["worker"].rpartition(":")[2]) for line in log.read_text().splitlines()}
        assert proc.poll() is None, "the sweep should still be running"
        assert workers and proc.pid not in workers
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.05)
        assert not [p for p in workers if _alive(p)], "a worker outlived the sweep"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    res = subprocess.run(cmd[:-1], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    text = " ".join(res.stdout.split())
    assert "took over the lock of a sweep that is no longer running" in text
    assert "reused" in text and "in use" not in text


CRASHY = '''
import os
from optbt import Strategy

class Crashy(Strategy):
    lots: int = 1

    def entry(self, ctx):
        if self.lots == 2:
            os._exit(3)  # the worker process ends in the middle of a run
        if ctx.time >= "09:20":
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL", self.lots)})

    def exit_check(self, ctx):
        return ctx.time >= "15:15"
'''


def test_a_worker_that_dies_stops_the_sweep_with_a_message_and_keeps_what_finished(sample_dataset, tmp_path):
    """More runs than the pool holds queued: the runs it held are recorded as failed (tried again
    on resume), the rest are not started, and the sweep says so instead of a traceback."""
    path = tmp_path / "crashy.py"
    path.write_text(CRASHY)
    # 40 runs, at most 8 queued on 2 workers: however long the pool takes to notice the dead
    # worker (the other keeps finishing runs meanwhile, and each frees a queue place), runs remain
    # that were never handed out (with 14 runs, a loaded machine handed them all out first)
    grid = {"lots": list(range(1, 41))}
    out = tmp_path / "s"
    with pytest.raises(WorkerDied, match=r"a worker process died .* did not start \(lots=.*\): run the same command"):
        run_sweep(f"{path}:Crashy", grid, load_dataset(sample_dataset), out, executor="process", workers=2,
                  start=WEEK[0], end=WEEK[1])
    logged = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert 1 <= len(logged) < 40
    assert all(r["status"] == "ok" or r["error"].startswith("worker failed") for r in logged)
    assert any(r["params"]["lots"] == 2 and r["status"] == "error" for r in logged)


SLOW_CRASHY = '''
import os
import time
from optbt import Strategy

class Crashy(Strategy):
    lots: int = 1
    slept = False

    def entry(self, ctx):
        if self.lots == 3:
            os._exit(3)
        if not self.slept:  # every other run takes half a second: the other worker is busy when lots=3 dies
            self.slept = True
            time.sleep(0.5)
        if ctx.time >= "09:20":
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL", self.lots)})

    def exit_check(self, ctx):
        return ctx.time >= "15:15"
'''


def test_a_worker_that_dies_in_a_small_grid_still_stops_the_sweep_and_names_the_runs_not_started(
        sample_dataset, tmp_path):
    """A grid the pool holds whole (5 runs, 2 workers): the runs that never reached a worker were
    once recorded as failed with BrokenProcessPool and the sweep ended as a success (exit 0)
    with no 'did not start' line. Only the runs that can have been in progress are failed now."""
    path = tmp_path / "crashy.py"
    path.write_text(SLOW_CRASHY)
    out = tmp_path / "s"
    with pytest.raises(WorkerDied, match=r"did not start \(lots=.*5\): run the same command again") as info:
        run_sweep(f"{path}:Crashy", {"lots": [1, 2, 3, 4, 5]}, load_dataset(sample_dataset), out,
                  executor="process", workers=2, start=WEEK[0], end=WEEK[1], shared_cache=False)
    assert info.value.exit_code == 1
    logged = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    failed = [r["params"]["lots"] for r in logged if r["status"] != "ok"]
    assert 3 in failed and len(failed) <= 2, logged
    assert all(r["error"].startswith("worker failed: a worker process died") for r in logged if r["status"] != "ok")
    assert "BrokenProcessPool" not in json.dumps(logged)


def test_a_worker_dying_while_reading_the_data_for_the_cache_still_records_the_run(sample_dataset, tmp_path):
    """The shared cache is read with the first run's parameters; when they kill the worker (here
    lots=2 ends its process), the sweep once stopped with every run unstarted, and again on every
    rerun, never saying which run. Now a new pool runs the runs, and the one that dies is recorded."""
    path = tmp_path / "crashy.py"
    path.write_text(CRASHY)
    out = tmp_path / "s"
    try:
        run_sweep(f"{path}:Crashy", {"lots": [2, 3, 4]}, load_dataset(sample_dataset), out, executor="process",
                  workers=2, start=WEEK[0], end=WEEK[1])
    except WorkerDied:
        pass  # runs left unsent by the second pool's breaking are fine: they are said
    logged = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert any(r["params"]["lots"] == 2 and r["status"] == "error" and r["error"].startswith("worker failed")
               for r in logged), logged


@linux_only
@pytest.mark.parametrize("executor", ["process", "dask"])
def test_forkserver_workers_take_the_sweeps_optbt_settings_of_now(sample_dataset, tmp_path, monkeypatch, executor):
    """The forkserver stays for the process's life; its forks once kept the OPTBT_* environment of
    when it started, so a setting changed between two sweeps of a notebook did not reach them."""
    import threading
    stop = threading.Event()
    threading.Thread(target=stop.wait, daemon=True).start()  # threads: the forkserver is used
    strat = str(ROOT / "strategies_dsl" / "vix_gap_strangle.strat")  # declares 4 sweep values
    data = load_dataset(sample_dataset)
    try:
        monkeypatch.setenv("OPTBT_MAX_SWEEP_VALUES", "2")
        first = run_sweep(STRADDLE, {"sl_pct": [20.0, 30.0]}, data, tmp_path / "a", executor="process", workers=2,
                          start=WEEK[0], end=WEEK[0])
        assert first.where == "process pool, 2 workers (forkserver)"
        monkeypatch.setenv("OPTBT_MAX_SWEEP_VALUES", "10000")
        if executor == "dask":
            pytest.importorskip("distributed")
        second = run_sweep(strat, {"vix_max": [16.0, 20.0]}, data, tmp_path / "b", executor=executor, workers=2,
                           start=WEEK[0], end=WEEK[0])
    finally:
        stop.set()
    assert [r["status"] for r in second.rows] == ["ok", "ok"], second.rows


@linux_only
def test_a_process_with_threads_takes_its_workers_from_the_forkserver(sample_dataset, tmp_path):
    """A notebook or test runner has threads, so it cannot fork: its pool workers are forks of
    the forkserver (optbt imported once there), and the table is still the serial one."""
    import threading
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()  # this process now surely has a second thread
    try:
        data = load_dataset(sample_dataset)
        grid = {"sl_pct": [20.0, 40.0], "exit_time": ["15:00", "15:15"]}
        pooled = run_sweep(STRADDLE, grid, data, tmp_path / "p", executor="process", workers=2,
                           start=WEEK[0], end=WEEK[1])
    finally:
        stop.set()
    serial = run_sweep(STRADDLE, grid, data, tmp_path / "s", start=WEEK[0], end=WEEK[1])
    assert pooled.where == "process pool, 2 workers (forkserver)"
    assert _table(tmp_path / "p") == _table(tmp_path / "s") and len(serial.rows) == 4


def _exc_info(fn):
    try:
        fn()
    except Exception as exc:
        return type(exc), exc, exc.__traceback__
    raise AssertionError("no exception")


def test_a_worker_started_after_its_sweep_stopped_prints_no_traceback():
    """Ctrl-C while forkserver workers start: a worker forked after the sweep's queues were gone
    printed a FileNotFoundError traceback from SemLock under 'interrupted' (about 1 in 5 tries
    at the right instant). Its excepthook drops that one failure and prints every other."""
    import multiprocessing.synchronize as ms

    from optbt.sweeps.pool import quiet_late_start
    printed = []
    hook = quiet_late_start(lambda kind, exc, tb: printed.append(kind))
    gone = ms.Lock.__new__(ms.Lock)
    hook(*_exc_info(lambda: gone.__setstate__((0, 1, 1, "/optbt-test-semaphore-that-is-gone"))))
    assert printed == []
    hook(*_exc_info(lambda: open("/optbt-no-such-file")))  # any other missing file is shown
    hook(*_exc_info(lambda: 1 / 0))
    assert printed == [FileNotFoundError, ZeroDivisionError]


@linux_only
def test_forkserver_workers_have_the_quiet_excepthook():
    out = _python("""
        import multiprocessing, sys
        from optbt.sweeps.pool import start_forkserver
        if __name__ == "__main__":
            start_forkserver()
            with multiprocessing.get_context("forkserver").Pool(1) as pool:
                print(pool.apply(eval, ("__import__('sys').excepthook.__qualname__",)))
            print(sys.excepthook.__qualname__)
    """)
    assert out.split() == ["quiet_late_start.<locals>.excepthook", "excepthook"]


@linux_only
def test_a_resumed_sweep_forks_its_workers_too(sample_dataset, tmp_path):
    """Resuming rewrote the folder's tables before the pool started; that imported pyarrow, whose
    threads made the pool take forkserver workers (the start line said so). A resume forks now."""
    out = tmp_path / "s"
    outputs = []
    for grid in ("sl_pct=20,30", "sl_pct=20,30,40,50"):
        res = subprocess.run([sys.executable, "-m", "optbt", "sweep", STRADDLE, "--grid", grid, "--start", WEEK[0],
                              "--end", WEEK[1], "--data", str(sample_dataset), "--workers", "2", "--out", str(out)],
                             capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert res.returncode == 0, res.stdout + res.stderr
        outputs.append(" ".join(res.stdout.split()))
    assert "resuming: 2 of 4 runs" in outputs[1]
    assert "process pool, 2 workers (fork)" in outputs[1], outputs[1]
    assert len(_table(out)) == 4


@linux_only
@pytest.mark.parametrize("start", ["fork", "forkserver"])
def test_ctrl_c_stops_a_pool_of_forked_workers_cleanly(start, sample_dataset, tmp_path):
    """Ctrl-C reaches the whole terminal group: the sweep stops, keeps what finished, no traceback
    (forkserver workers take Ctrl-C back from the server, which ignores it)."""
    out = tmp_path / "s"
    cmd = [sys.executable, "-m", "optbt", "sweep", STRADDLE, "--grid", "sl_pct=20:95:5", "--data",
           str(sample_dataset), "--executor", "process", "--workers", "2", "--memo-mb", "0", "--out", str(out)]
    env = {**os.environ, "OPTBT_SWEEP_START": "forkserver"} if start == "forkserver" else None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                            start_new_session=True, env=env)
    log = out / "runs.jsonl"
    _wait_for_two_runs(proc, log)
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output
    assert f"process pool, 2 workers ({start})" in " ".join(output.split())
    assert "run the same command again to resume" in " ".join(output.split())
    assert "Traceback" not in output
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.endswith("}")]
    assert rows and all(r["status"] == "ok" for r in rows)


SLOW = '''
import time
from optbt import Strategy

class Slow(Strategy):
    lots: int = 1

    def entry(self, ctx):
        if self.lots == 3:
            time.sleep(30)  # the last run takes long: the other worker waits for work meanwhile
        if ctx.time >= "09:20":
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL", self.lots)})

    def exit_check(self, ctx):
        return ctx.time >= "15:15"
'''


@linux_only
@pytest.mark.parametrize("start", ["fork", "forkserver", "spawn"])
def test_ctrl_c_with_a_worker_waiting_for_work_prints_no_traceback(start, sample_dataset, tmp_path):
    """Three runs on two workers, the third slow: once two are logged one worker has nothing
    left to do. Ctrl-C reaches it too; it must stay quiet (it printed multiprocessing's
    traceback from its queue), while the slow run stops and the sweep says what finished."""
    path = tmp_path / "slow.py"
    path.write_text(SLOW)
    out = tmp_path / "s"
    cmd = [sys.executable, "-m", "optbt", "sweep", f"{path}:Slow", "--grid", "lots=1,2,3", "--data",
           str(sample_dataset), "--start", str(WEEK[0]), "--end", str(WEEK[1]), "--executor", "process",
           "--workers", "2", "--memo-mb", "0", "--out", str(out)]
    env = {**os.environ, "OPTBT_SWEEP_START": start} if start != "fork" else None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                            start_new_session=True, env=env)
    _wait_for_two_runs(proc, out / "runs.jsonl")
    time.sleep(0.5)  # the idle worker is back in its queue
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output
    assert time.monotonic() - t0 < 20  # the slow run was stopped, not waited for
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output


PACED = '''
import os
import time
from optbt import Strategy

class Paced(Strategy):
    """A short straddle whose every day waits PACE_SECONDS (given to the interrupted sweep only):
    its runs take long enough for a signal to find most of the grid still to run, and the third
    would take minutes."""

    lots: int = 1

    def on_day_start(self, day):
        time.sleep(float(os.environ.get("PACE_SECONDS", "0")) * (100 if self.lots == 3 else 1))

    def entry(self, ctx):
        if ctx.time >= "09:20":
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL", self.lots)})

    def exit_check(self, ctx):
        return ctx.time >= "15:15"
'''


def _session(sid: int) -> list[int]:
    """The live processes of session ``sid``: a command started in a session of its own, and
    every process it started (workers, the forkserver, multiprocessing's resource tracker)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()  # after the command's name, which may hold spaces
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(name))
    return found


@linux_only
@pytest.mark.parametrize("who, start", [("kill PID", "fork"), ("kill PID", "forkserver"), ("timeout", "fork")])
def test_sigterm_stops_a_sweep_like_ctrl_c_and_the_same_command_resumes_it(who, start, sample_dataset, tmp_path):
    """SIGTERM to the sweep's process alone (``kill PID``) or to its whole group (``timeout``,
    systemd): the runs in progress stop (the third, minutes long, is not waited for), the
    finished ones stay, "terminated", exit 143, no process of the sweep is left; the same command
    then runs the rest, and the table is the uninterrupted sweep's. It ended the process on the
    spot before (exit -15, no message)."""
    path = tmp_path / "paced.py"
    path.write_text(PACED)
    grid = [1, 2, 3, 4, 5, 6]
    out = tmp_path / "s"
    cmd = [sys.executable, "-m", "optbt", "sweep", f"{path}:Paced", "--grid", "lots=" + ",".join(map(str, grid)),
           "--data", str(sample_dataset), "--start", "2024-01-01", "--end", "2024-01-12", "--executor", "process",
           "--workers", "2", "--memo-mb", "0", "--out", str(out)]
    env = {**os.environ, "PACE_SECONDS": "0.1"}  # about a second a run
    if start != "fork":
        env["OPTBT_SWEEP_START"] = start
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            start_new_session=True, env=env)
    try:
        _wait_for_two_runs(proc, out / "runs.jsonl")
        assert proc.poll() is None, proc.communicate()
        started = _session(proc.pid)
        assert len(started) >= 3, started  # the sweep and its two workers at least
        t0 = time.monotonic()
        if who == "kill PID":
            os.kill(proc.pid, signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, (stdout, stderr)
    assert time.monotonic() - t0 < 20  # the third run was stopped, not waited for
    assert stderr.strip().splitlines() == ["terminated"], stderr
    assert "run the same command again to resume" in " ".join(stdout.split())
    assert f"process pool, 2 workers ({start})" in " ".join(stdout.split())
    deadline = time.monotonic() + 20  # the forkserver and the resource tracker end once they see the sweep gone
    while time.monotonic() < deadline and _session(proc.pid):
        time.sleep(0.05)
    assert not _session(proc.pid), "a process of the sweep outlived it"
    logged = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert 2 <= len(logged) < len(grid) and all(r["status"] == "ok" for r in logged), logged
    assert not (out / "sweep.lock").exists()

    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"resuming: {len(logged)} of {len(grid)} runs" in " ".join(res.stdout.split())
    whole = run_sweep(f"{path}:Paced", {"lots": grid}, load_dataset(sample_dataset), tmp_path / "whole",
                      start="2024-01-01", end="2024-01-12")
    assert _table(out) == _table(whole.out) and len(whole.rows) == len(grid)


CTRL_C_AS_THE_SERVER_STARTS = """
import multiprocessing.util, os, signal, sys, threading

real = multiprocessing.util.spawnv_passfds

def spawn(path, args, passfds):
    pid = real(path, args, passfds)
    if "forkserver import main" in args[-1]:  # the sweep's forkserver has just been started
        os.killpg(0, signal.SIGINT)  # Ctrl-C in the terminal at that instant
    return pid

multiprocessing.util.spawnv_passfds = spawn
if os.environ.get("SECOND_THREAD"):  # a thread besides the main one: the signal may go to it
    threading.Thread(target=threading.Event().wait, daemon=True).start()
from optbt.cli.app import main
sys.argv = ["optbt", *sys.argv[1:]]
main()
"""


@linux_only
@pytest.mark.parametrize("threads", ["one thread", "two threads"])
def test_ctrl_c_while_the_forkserver_starts_stops_the_sweep(threads, sample_dataset, tmp_path):
    """Ctrl-C in the instant the sweep's forkserver is started (sent from inside that start).
    The sweep ignored Ctrl-C meanwhile, for the server to inherit that, so the Ctrl-C was lost
    and the sweep ran to its end (2 in 20 tries by hand). Now it stops: 130, "interrupted",
    no traceback, no process left. With a second thread (a process with threads takes its
    workers from the forkserver anyway) the kernel may give the signal to that thread."""
    out = tmp_path / "s"
    env = {**os.environ, "OPTBT_SWEEP_START": "forkserver"}
    if threads == "two threads":
        env["SECOND_THREAD"] = "1"
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C_AS_THE_SERVER_STARTS, "sweep", STRADDLE, "--grid",
                             "sl_pct=20,30", "--start", WEEK[0], "--end", WEEK[1], "--data", str(sample_dataset),
                             "--workers", "2", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            start_new_session=True, env=env)
    try:
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, (stdout, stderr)
    assert stderr.strip().splitlines()[-1] == "interrupted", stderr
    assert "Traceback" not in stdout + stderr
    assert "run the same command again to resume" in " ".join(stdout.split())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _session(proc.pid):
        time.sleep(0.05)
    assert not _session(proc.pid), "a process of the sweep outlived it"


def test_importing_the_forkserver_module_elsewhere_leaves_ctrl_c_alone():
    """optbt.sweeps.server sets the forkserver's signals when it is imported there. Imported by
    anything else (pytest's doctest collection imports every module; so do documentation tools)
    it made that process ignore Ctrl-C, and every program it started after: in the full test
    suite a run's Ctrl-C test then timed out, its child never interrupted."""
    code = ("import signal, sys; import optbt.sweeps.server as s; "
            "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, sys.excepthook is sys.__excepthook__,"
            " s.in_the_forkserver())")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "True", "False"]


def test_after_ctrl_c_a_worker_starts_no_queued_run(monkeypatch):
    """A Ctrl-C that reaches an idle worker (between two runs) must stop the runs already queued
    to it from starting: before, each started, read its data and was dropped by the sweep."""
    from optbt.sweeps import pool

    monkeypatch.setattr(pool, "_stopping", False)
    monkeypatch.setattr(pool, "_in_task", False)
    started = []
    assert pool.in_task(started.append, "first") is None
    pool._on_ctrl_c(signal.SIGINT, None)  # idle: no KeyboardInterrupt here (multiprocessing's queue)
    with pytest.raises(KeyboardInterrupt):
        pool.in_task(started.append, "queued")
    assert started == ["first"]
