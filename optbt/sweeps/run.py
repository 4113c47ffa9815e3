"""Parameter sweeps: one strategy, a grid of parameter sets, any ``concurrent.futures`` executor.

A sweep is a list of independent runs. Each run is a fresh strategy instance on the same
data, so the runs can go to any executor: in this process (``serial``), to a
``ProcessPoolExecutor`` (``process``), or to Dask distributed through its
``Client.get_executor()`` (``dask`` starts a ``LocalCluster`` on loopback,
``dask://HOST:PORT`` joins a running scheduler). Workers are long-lived: each keeps the
loaded strategy class and one DuckDB connection for every run it is handed.

Nothing is lost when a sweep stops: every finished run is appended to ``OUT/runs.jsonl``
(flushed before the next one is taken) and ``OUT/sweep.parquet``/``sweep.csv`` are rebuilt
from that log. A run's id is a hash of its parameter values, so running the same command
again executes exactly the runs that have no result yet. A run that fails is recorded with
its error and the sweep goes on; failed runs are tried again on the next resume.

The grid is :mod:`optbt.sweeps.grid`, the executors :mod:`optbt.sweeps.executors`, the folder
:mod:`optbt.sweeps.store`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import socket
import threading
import time as _time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from optbt.data.dataset import Costs, DatasetConfig
from optbt.data.memo import DEFAULT_BUDGET_MB, MemoSource, MemoStore
from optbt.model.errors import ConfigError, OptbtError, is_interrupt
from optbt.results.folder import cannot_write, is_report
from optbt.sweeps.executors import check_executor, open_executor
from optbt.sweeps.fingerprint import fingerprint
from optbt.sweeps.grid import expand_grid, run_id
from optbt.sweeps.lock import SweepLock
from optbt.sweeps.pool import cancel_unstarted, in_task
from optbt.sweeps.store import SweepStore, check_sweep_out
from optbt.sweeps.warm import cache_folder, chunk_days, scouting_ahead, warm_shared_cache


class WorkerDied(OptbtError):
    """The executor broke mid-sweep: the runs in progress were recorded as failed, the rest not
    run. Exit 1, like a sweep whose every run failed: the input was fine, the sweep is not done."""

    exit_code = 1


@dataclass(frozen=True)
class SweepJob:
    """Everything a worker needs besides the parameters: picklable, small, the same for every run.

    ``strategy`` is a path (``file.py:Class`` or ``file.strat``) that each worker loads
    itself, so nothing but text and the dataset config crosses process or machine borders.
    On a cluster the strategy file and the dataset must be at the same path on every worker.
    """

    strategy: str
    data: DatasetConfig
    start: str | None = None
    end: str | None = None
    costs: Costs | None = None
    threads: int | None = None  # DuckDB threads per worker; None keeps the source's default
    memo_mb: float = DEFAULT_BUDGET_MB  # what each worker keeps of the data between runs (0: nothing)
    shared_cache: str | None = None  # the shared day cache's folder (optbt.sweeps.warm), None: not used
    # what the sweep's inputs hash to (optbt.sweeps.fingerprint: the strategy file's bytes, every
    # data file's size and time, the costs): a worker that outlives a sweep (a Dask cluster's)
    # must not keep the class or the data it loaded for a file since edited
    stamp: str = ""

    @cached_property  # asked before every run; the config it hashes never changes
    def key(self) -> str:
        text = json.dumps([self.strategy, self.data.model_dump(mode="json"), self.start, self.end,
                           self.costs.model_dump(mode="json") if self.costs else None, self.threads,
                           self.memo_mb, self.shared_cache, self.stamp],
                          sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()


class _WorkerState(threading.local):
    """Per worker thread: the job's key, its strategy class and its DuckDB source.

    A process-pool worker has one thread; a Dask worker may run several tasks at once in
    threads, and a DuckDB connection must not be shared between concurrent queries.
    """

    key: str | None = None
    cls: Any = None
    source: Any = None


_WORKER = _WorkerState()


_MEMO: dict[str, MemoStore] = {}  # one per process, shared by its threads: job key -> store
_MEMO_LOCK = threading.Lock()


def _drop_memo() -> None:
    """Forget this process's remembered data (call with _MEMO_LOCK held)."""
    for store in _MEMO.values():
        store.clear()
    _MEMO.clear()


def _memo_store(job: SweepJob) -> MemoStore:
    with _MEMO_LOCK:
        store = _MEMO.get(job.key)
        if store is None:
            _drop_memo()  # a new job (another sweep): the old data goes
            store = _MEMO[job.key] = MemoStore(job.memo_mb)
        return store


def _worker_state(job: SweepJob):
    w = _WORKER
    if w.key != job.key:
        from optbt.data.duckdb_source import DuckDBSource
        from optbt.dsl.loader import load_strategy
        if w.source is not None:
            w.source.close()
            w.key = w.source = None
        # a worker given one DuckDB thread shares the cores with others: no read-ahead thread too
        source = DuckDBSource(job.data, read_ahead=job.threads is None or job.threads > 1)
        if job.threads:
            source.con.execute(f"SET threads = {int(job.threads)}")
        if job.shared_cache:
            from optbt.data.shared_cache import SharedCacheSource
            source = SharedCacheSource(source, job.shared_cache)
        if job.memo_mb > 0:
            source = MemoSource(source, store=_memo_store(job))
        w.cls, w.source, w.key = load_strategy(job.strategy), source, job.key
    return w.cls, w.source


def _release_worker() -> None:
    """Drop this thread's worker state (a serial sweep's memory goes back when it ends)."""
    w = _WORKER
    if w.source is not None:
        w.source.close()
    w.key = w.cls = w.source = None
    with _MEMO_LOCK:
        _drop_memo()


def run_one(job: SweepJob, params: dict) -> dict:
    """One backtest of the sweep (runs in a worker): a row of metrics, or the error it hit."""
    from optbt.engine.loop import run_backtest
    t0 = _time.perf_counter()
    row: dict[str, Any] = {"run_id": run_id(params), "params": params,
                           "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        cls, source = _worker_state(job)
        result = run_backtest(cls, source=source, start=job.start, end=job.end, params=params,
                              costs=job.costs)
        row.update(status="ok", error=None, metrics=dict(result.metrics),
                   engine={k: result.engine[k] for k in ("days", "ticks", "queries", "contracts_left_out", "data_hints",
                                                          "data_notes", "time_warnings", "param_warnings")
                           if k in result.engine},
                   # days with PnL only (the rest are 0): enough for the report's equity curves
                   daily=[[d.day.isoformat(), round(d.pnl, 6)] for d in result.daily if d.pnl])
    except (Exception, SystemExit) as exc:  # a sys.exit() in user code fails its run, not the sweep
        if is_interrupt(exc):  # Ctrl-C is the user stopping the sweep, not this run failing
            raise KeyboardInterrupt from None
        if isinstance(exc, OptbtError):
            row.update(status="error", error=f"{exc}", metrics={}, engine={})
        else:  # a bug in user code or optbt must not end the sweep
            row.update(status="error", error=f"{type(exc).__name__}: {exc}", metrics={}, engine={})
    row["seconds"] = round(_time.perf_counter() - t0, 4)
    return row


def scout_one(job: SweepJob, part: int, parts: int, params: dict) -> str | None:
    """In a worker: record chunk ``part`` of ``parts`` of the days into the shared cache."""
    from optbt.data.shared_cache import Recorder, chunk_name
    from optbt.engine.loop import run_backtest

    try:
        cls, source = _worker_state(job)
        days = chunk_days(source.trading_days(_as_day(job.start), _as_day(job.end)), part, parts)
        if not days:
            return None
        folder = Path(job.shared_cache)
        if (folder / chunk_name(days[0], days[-1])).exists():
            return None
        recorder = Recorder(source, days[0], days[-1], job.memo_mb / parts)
        try:
            run_backtest(cls, source=recorder, start=days[0], end=days[-1], params=params, costs=job.costs)
        except Exception as exc:  # the scout's own result does not matter; what it read is still true
            if is_interrupt(exc):
                raise
        written = recorder.write(folder)
        return str(written) if written else None
    except Exception as exc:
        if is_interrupt(exc):
            raise KeyboardInterrupt from None
        return None  # a cache that could not be made: the runs read the data themselves


def _as_day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _split(spec: str) -> tuple[str, str]:
    """``file.py:Class`` -> (file.py, ":Class"); ``file.strat`` -> (file.strat, "")."""
    head, sep, name = spec.rpartition(":")
    return (head, sep + name) if head.endswith(".py") else (spec, "")


def absolute_spec(spec: str) -> str:
    """The strategy spec with an absolute path: workers may run in another folder."""
    path, name = _split(spec)
    return str(Path(path).resolve()) + name


def file_sha1(spec: str) -> str:
    path = Path(_split(spec)[0])
    return hashlib.sha1(path.read_bytes()).hexdigest() if path.exists() else ""


@dataclass
class SweepOutcome:
    out: Path
    rows: list[dict]  # flat rows of the whole grid (finished ones), grid order
    executed: list[str]  # run ids run by this call
    skipped: int  # finished earlier, not run again
    where: str

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.rows if r["status"] != "ok"]


def run_sweep(strategy: str, grid: dict[str, list], data: DatasetConfig, out: str | Path,
              executor: str = "serial", workers: int = 2, fixed: dict | None = None,
              start: Any = None, end: Any = None, costs: Costs | None = None,
              restart: bool = False, memo_mb: float = DEFAULT_BUDGET_MB, duckdb_threads: int | None = None,
              shared_cache: bool = True,
              on_start: Callable[[int, int, str, list[dict]], None] | None = None,
              on_result: Callable[[dict], None] | None = None,
              on_note: Callable[[str], None] | None = None) -> SweepOutcome:
    """Run every parameter set of ``grid`` not yet finished in ``out``; see the module docstring.

    ``on_start(todo, skipped, where, finished_rows)`` is called once before the first run and
    ``on_result(row)`` after each run is recorded (raising from it stops the sweep; what
    finished is kept). ``on_note(text)`` hears what the user should know before the runs: a
    lock taken over from a sweep that died, what is kept of the folder's earlier runs.
    The folder is locked for the whole call (:mod:`optbt.sweeps.lock`); its runs are reused
    only when they were made from the same inputs (:mod:`optbt.sweeps.fingerprint`).
    ``shared_cache`` (with the memo on and more than one worker) first splits the reading of
    the days between the workers (:mod:`optbt.sweeps.warm`); False reads as before.
    """
    check_executor(executor)
    strategy = absolute_spec(str(strategy))
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    if not memo_mb >= 0 or memo_mb == float("inf"):  # NaN compares false with everything
        raise ConfigError(f"--memo-mb must be 0 (off) or more, got {memo_mb}")
    if duckdb_threads is not None and duckdb_threads < 1:
        raise ConfigError(f"--duckdb-threads must be at least 1, got {duckdb_threads}")
    start = None if start is None else str(start)
    end = None if end is None else str(end)
    runs = list(expand_grid(grid, fixed))
    ids = [run_id(p) for p in runs]
    manifest = {
        "strategy": strategy, "strategy_sha1": file_sha1(strategy),
        "data": str(data.root), "dataset": data.name, "synthetic": data.synthetic,
        "start": start, "end": end,
        "costs": costs.model_dump(mode="json") if costs else None,
        "grid": {k: list(v) for k, v in grid.items()}, "fixed": fixed or {},
        "params": list(runs[0]) if runs else [], "runs": ids,
    }
    out = Path(out)
    check_sweep_out(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = SweepLock.acquire(out)
    except OSError as exc:
        raise cannot_write(out, exc, "the sweep") from None
    try:
        if lock.note and on_note:
            on_note(lock.note)
        fp = fingerprint(strategy, data, start, end, costs)
        store = SweepStore.open(out, manifest, fp, restart)
        note = adopt_earlier(store, ids)
        store.save_manifest()
        # an earlier grid's tables never stand for this one, even if stopped now: they go at once,
        # and this grid's are written once the workers are started (writing them imports pyarrow,
        # whose threads would keep the pool from forking: see optbt.sweeps.pool)
        stale = [out / name for name in ("sweep.parquet", "sweep.csv") if (out / name).exists()]
        for path in stale:
            path.unlink()
        if note and on_note:
            on_note(note)
        # reports drawn from the earlier tables (report.html, or one saved under another name, which
        # optbt.results.folder.is_report knows): they would pass for this sweep's
        reports = sorted(p for p in out.iterdir()
                         if not p.name.startswith(".") and ((p.name == "report.html" and p.is_file()) or is_report(p)))
        for report in reports:
            report.unlink()
            if on_note:
                on_note(f"removed {report}: it showed the folder's earlier runs; --report (or optbt report"
                        f" {out}) writes it for this sweep")
        sharing = shared_cache and memo_mb > 0 and executor != "serial" and workers > 1
        cache = cache_folder(out, fp) if sharing else None
        stamp = hashlib.sha1(json.dumps(fp, sort_keys=True, default=str).encode()).hexdigest()
        return _run(store, job_args=(strategy, data, start, end, costs, memo_mb, cache, stamp), ids=ids, runs=runs,
                    executor=executor, workers=workers, duckdb_threads=duckdb_threads,
                    on_start=on_start, on_result=on_result, tables_due=bool(stale))
    finally:
        lock.release()


def adopt_earlier(store: SweepStore, ids: list[str]) -> str | None:
    """Decide what the table shows of runs the folder held before this sweep; say it in a line.

    The rule: the table holds this grid's runs (in grid order), then every earlier run of the
    folder that sets the same parameters (a narrower, wider or shifted grid of them), whose
    values join the manifest's grid so reports chart them too. Earlier runs that set other
    parameters cannot share the table's columns: they stay in ``runs.jsonl`` and are counted.
    """
    if not store.rows:
        return None
    manifest = store.manifest
    names = set(manifest["params"])
    in_grid = set(ids)
    kept = sum(1 for rid in ids if store.rows.get(rid, {}).get("status") == "ok")
    outside = [rid for rid, row in store.rows.items() if rid not in in_grid and set(row["params"]) == names]
    other = [row for rid, row in store.rows.items() if rid not in in_grid and set(row["params"]) != names]
    manifest["runs"] = list(ids) + outside
    for rid in outside:
        for name, values in manifest["grid"].items():
            value = store.rows[rid]["params"][name]
            if value not in values:
                values.append(value)
    parts = [f"resuming: {kept} of {len(ids)} runs of this grid finished earlier in {store.out}"]
    if outside:
        one = len(outside) == 1
        parts.append(f"{len(outside)} earlier run{' is' if one else 's are'} outside this grid"
                     f" and stay{'s' if one else ''} in the table")
    if other:
        sets = sorted({", ".join(sorted(row["params"])) or "none" for row in other})
        parts.append(f"{len(other)} earlier run{'s' if len(other) != 1 else ''} with other parameters"
                     f" ({'; '.join(sets)}) stay in runs.jsonl only")
    return "; ".join(parts)


def _run(store: SweepStore, job_args: tuple, ids: list[str], runs: list[dict], executor: str, workers: int,
         duckdb_threads: int | None, on_start, on_result, tables_due: bool = False) -> "SweepOutcome":
    strategy, data, start, end, costs, memo_mb, cache, stamp = job_args
    done = store.finished()
    todo = [(rid, p) for rid, p in zip(ids, runs) if rid not in done]
    if duckdb_threads is not None:
        threads = duckdb_threads
    elif executor == "serial":
        threads = None  # the source's default
    elif executor.startswith("dask://"):
        threads = 1  # a remote worker runs one task per core in threads, each with its own connection
    else:
        threads = max(1, (os.cpu_count() or 1) // min(workers, max(1, len(todo))))
    job = SweepJob(strategy, data, start, end, costs, threads, memo_mb, str(cache) if cache else None, stamp)
    executed: list[str] = []
    where = "nothing to run"
    try:
        if not todo:
            if on_start:
                on_start(0, len(ids), where, [store.rows[i] for i in ids if i in done])
        else:
            n = min(workers, len(todo))  # no idle workers
            scouting = job.shared_cache is not None and len(todo) > 1
            # a LocalCluster takes long to start: its cache is scouted on forks of this process meanwhile

            def record(rows: Iterator[dict]) -> None:
                for row in rows:
                    store.add(row)
                    executed.append(row["run_id"])
                    if on_result:
                        on_result(row)
            broke = False
            with scouting_ahead(scout_one, job, todo[0][1], n) if scouting and executor == "dask" \
                    else nullcontext() as scouted, open_executor(executor, n) as (ex, where):
                if on_start:
                    on_start(len(todo), len(ids) - len(todo), where, [store.rows[i] for i in ids if i in done])
                if scouted is not None:
                    scouted()
                elif scouting and ex is not None:
                    broke = warm_shared_cache(ex, scout_one, job, todo[0][1], n)
                if not broke:
                    if tables_due:  # the workers are started: pyarrow's threads no longer matter
                        store.write_tables()
                    record(_execute(ex, job, todo))
            if broke:  # a worker died reading the data with the first run's parameters: a new pool
                with open_executor(executor, n) as (ex, where):  # runs each run itself, so a run that
                    if tables_due:                              # kills its worker is recorded as failed
                        store.write_tables()
                    record(_execute(ex, job, todo))
    finally:
        if executor == "serial":
            _release_worker()
        store.manifest["executor"] = where
        store.save_manifest()
        store.write_tables()
    return SweepOutcome(store.out, store.table(), executed, len(ids) - len(todo), where)


def _execute(ex: Executor | None, job: SweepJob, todo: list[tuple[str, dict]]) -> Iterator[dict]:
    if ex is None:
        for _rid, params in todo:
            yield run_one(job, params)
        return
    # keep a few runs queued per worker, not the whole grid: a stop cancels little work
    pending: dict[Future, dict] = {}
    queue = iter(todo)
    workers = getattr(ex, "_max_workers", 0) or 0
    limit = 4 * max(1, workers or 8)

    unsent: list[dict] = []  # set when the executor broke (a worker died): runs never handed out
    order = {rid: n for n, (rid, _p) in enumerate(todo)}
    died = False

    def top_up() -> None:
        if unsent:
            return
        for _rid, params in itertools.islice(queue, max(0, limit - len(pending))):
            try:
                pending[ex.submit(in_task, run_one, job, params)] = params
            except BrokenExecutor:
                unsent.append(params)
                unsent.extend(p for _r, p in queue)
                return
    top_up()
    try:
        while pending and not died:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken: list[dict] = []
            for fut in [f for f in pending if f in finished]:  # in the order they were handed out
                params = pending.pop(fut)
                try:
                    yield fut.result()
                except BrokenExecutor:  # a worker died: every run the pool holds breaks with it
                    broken.append(params)
                except Exception as exc:
                    yield _worker_failed(params, f"{type(exc).__name__}: {exc}")
            if broken:
                died = True
                yield from _pool_broken(broken, pending, workers, unsent, order)
                unsent.extend(p for _r, p in queue)
            else:
                top_up()
        if died or unsent:
            unsent.sort(key=lambda p: order[run_id(p)])
            not_started = (f" and {len(unsent)} run{'s' if len(unsent) != 1 else ''} did not start{_named(unsent)}"
                           if unsent else "")
            raise WorkerDied("a worker process died (killed, out of memory, or the strategy ended its process),"
                             f" so the pool stopped; the runs in progress are recorded as failed{not_started}:"
                             " run the same command again to run them")
    finally:
        cancel_unstarted(ex, pending)


def _pool_broken(broken: list[dict], pending: dict[Future, dict], workers: int, unsent: list[dict],
                 order: dict[str, int]) -> Iterator[dict]:
    """A process pool broke (a worker died): every future it still had fails with it, runs that
    never reached a worker too. A pool hands its runs out in order and a worker takes one at a
    time, so of the runs without a result only the first ``workers`` (in the order they were
    handed out) can have started: they are recorded as failed, the rest go to ``unsent``
    (tried on the next resume either way)."""
    wait(pending)  # the pool fails them all at once
    for fut in list(pending):
        params = pending.pop(fut)
        try:
            yield fut.result()
        except BrokenExecutor:
            broken.append(params)
        except Exception as exc:
            yield _worker_failed(params, f"{type(exc).__name__}: {exc}")
    broken.sort(key=lambda p: order[run_id(p)])
    started = broken[:workers] if workers else broken
    for params in started:
        yield _worker_failed(params, "a worker process died during this run or one beside it (killed, out of"
                                     " memory, or the strategy ended its process)")
    unsent.extend(broken[len(started):])


def _named(runs: list[dict], most: int = 3) -> str:
    """`` (x=5, x=6 and 3 more)``: the first few runs by their parameters."""
    if not runs:
        return ""
    shown = ", ".join(" ".join(f"{k}={v}" for k, v in p.items()) or "defaults" for p in runs[:most])
    return f" ({shown}{f' and {len(runs) - most} more' if len(runs) > most else ''})"


def _worker_failed(params: dict, why: str) -> dict:
    return {"run_id": run_id(params), "params": params, "worker": "?", "status": "error",
            "error": f"worker failed: {why}", "metrics": {}, "engine": {}, "seconds": None}
