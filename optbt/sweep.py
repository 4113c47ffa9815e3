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

>>> grid = {"sl_pct": [20.0, 30.0], "exit_time": ["15:00", "15:15"]}
>>> [p for p in expand_grid(grid)][:2]
[{'sl_pct': 20.0, 'exit_time': '15:00'}, {'sl_pct': 20.0, 'exit_time': '15:15'}]
>>> run_id({"sl_pct": 20.0}) == run_id({"sl_pct": 20})
False
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import socket
import threading
import time as _time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from optbt.dataset import Costs, DatasetConfig
from optbt.errors import ConfigError, OptbtError, did_you_mean
from optbt.strategy import Strategy, coerce

MAX_RUNS = 100_000
MAX_VALUES = 10_000
# metrics where a smaller number is the better result
LOWER_IS_BETTER = frozenset({"max_drawdown", "max_consecutive_losses"})
METRICS = ("total_pnl", "sharpe", "profit_factor", "win_rate", "avg_win", "avg_loss",
           "max_drawdown", "max_consecutive_losses", "trades", "days_traded")
META_COLUMNS = ("run", "run_id", "status", "error", "seconds", "worker")
_HHMM = re.compile(r"^\d{1,2}:\d{2}$")


# -- the grid ---------------------------------------------------------------------------------

def sweepable(cls: type[Strategy]) -> dict[str, tuple[Any, Any]]:
    """What a grid may name: the declared parameters plus ``max_cycles``."""
    params = dict(cls.parameters())
    params.setdefault("max_cycles", (int, cls.max_cycles))
    return params


def _is_time(typ: Any, default: Any) -> bool:
    from datetime import time
    return typ is time or (typ is str and isinstance(default, str) and bool(_HHMM.match(default)))


def _number(text: str, name: str) -> Decimal:
    try:
        d = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        raise ConfigError(f"--grid {name}: {text!r} is not a number") from None
    if not d.is_finite():
        raise ConfigError(f"--grid {name}: {text!r} is not a finite number")
    return d


def _minutes(text: str, name: str) -> int:
    from optbt.dataset import parse_hhmm
    try:
        t = parse_hhmm(text.strip())
    except (ValueError, ConfigError) as exc:
        raise ConfigError(f"--grid {name}: {text!r} is not a time like 09:20 ({exc})") from None
    return t.hour * 60 + t.minute


def _range(name: str, typ: Any, default: Any, start: str, stop: str, step: str) -> list:
    """Inclusive range ``start..stop`` by ``step`` (minutes for time parameters)."""
    if _is_time(typ, default):
        a, b = _minutes(start, name), _minutes(stop, name)
        s = step.strip().lower().removesuffix("m").removesuffix("min")
        if ":" in s:
            s = str(_minutes(s, name))
        if not s.isdigit() or int(s) <= 0:
            raise ConfigError(f"--grid {name}: time step must be a whole number of minutes, got {step!r}")
        if b < a:
            raise ConfigError(f"--grid {name}: range ends ({stop}) before it starts ({start})")
        n = (b - a) // int(s) + 1
        if n > MAX_VALUES:
            raise ConfigError(f"--grid {name}: {n} values is too many (at most {MAX_VALUES})")
        return [f"{m // 60:02d}:{m % 60:02d}" for m in range(a, b + 1, int(s))]
    if typ not in (int, float):
        kind = getattr(typ, "__name__", str(typ))
        raise ConfigError(f"--grid {name}: a range needs a number or time parameter, {name} is {kind};"
                          f" list the values instead ({name}=a,b,c)")
    a, b, s = _number(start, name), _number(stop, name), _number(step, name)
    if s <= 0:
        raise ConfigError(f"--grid {name}: step must be positive, got {step!r}")
    if b < a:
        raise ConfigError(f"--grid {name}: range ends ({stop}) before it starts ({start})")
    if typ is int and any(x != x.to_integral_value() for x in (a, b, s)):
        raise ConfigError(f"--grid {name}: {name} takes whole numbers; start, stop and step must be whole")
    n = int((b - a) // s) + 1
    if n > MAX_VALUES:
        raise ConfigError(f"--grid {name}: {n} values is too many (at most {MAX_VALUES})")
    values = [a + s * k for k in range(n)]  # exact decimal steps: 0.1:0.3:0.1 gives 0.3, not 0.30000000000000004
    return [int(v) if typ is int else float(v) for v in values]


def _values(name: str, text: str, typ: Any, default: Any, choices: Sequence[str] | None) -> list:
    if not text:
        raise ConfigError(f"--grid {name}= has no values (for example --grid {name}=20,30,40)")
    if ".." in text:  # start..stop/step (any ordered parameter)
        span, sep, step = text.partition("/")
        start, _, stop = span.partition("..")
        if not sep or not start.strip() or not stop.strip():
            raise ConfigError(f"--grid {name}: a range is start..stop/step, got {text!r}"
                              f" (for example {name}=20..50/10)")
        raw: list = _range(name, typ, default, start, stop, step)
    elif ":" in text and not _is_time(typ, default):
        parts = text.split(":")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise ConfigError(f"--grid {name}: a range is start:stop:step, got {text!r}"
                              f" (for example {name}=20:50:10)")
        raw = _range(name, typ, default, *parts)
    else:
        raw = [v.strip() for v in text.split(",")]
        if any(not v for v in raw):
            raise ConfigError(f"--grid {name}: empty value in {text!r} (values are separated by commas)")
    values = []
    for v in raw:
        try:
            value = coerce(v, typ, name)
        except ValueError as exc:
            raise ConfigError(f"--grid {exc}") from None
        if _is_time(typ, default):
            value = f"{_minutes(str(value), name) // 60:02d}:{_minutes(str(value), name) % 60:02d}"
        if choices is not None and value not in choices:
            raise ConfigError(f"--grid {name}: {value!r} is not one of {', '.join(choices)}")
        if value in values:
            raise ConfigError(f"--grid {name}: {v!r} is listed twice")
        values.append(value)
    return values


def parse_grid(specs: Sequence[str], cls: type[Strategy]) -> dict[str, list]:
    """``["sl_pct=20:50:10", "exit_time=15:00,15:15"]`` -> ``{name: [values]}``, checked and typed.

    Lists are ``a,b,c``; ranges are inclusive, ``start:stop:step`` for numbers or
    ``start..stop/step`` for numbers and times (step in minutes).
    """
    declared = sweepable(cls)
    choices = getattr(cls, "CHOICES", {}) or {}
    grid: dict[str, list] = {}
    for spec in specs:
        name, sep, text = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"--grid takes name=values, got {spec!r}"
                              " (for example --grid sl_pct=20,30,40 or --grid sl_pct=20:50:10)")
        if name not in declared:
            raise ConfigError(f"--grid {name}: {cls.__name__} has no parameter '{name}'"
                              f"{did_you_mean(name, declared)}; parameters: {', '.join(declared)}")
        if name in grid:
            raise ConfigError(f"--grid {name} is given twice; put all its values in one --grid")
        typ, default = declared[name]
        grid[name] = _values(name, text.strip(), typ, default, choices.get(name))
    total = 1
    for values in grid.values():
        total *= len(values)
    if total > MAX_RUNS:
        raise ConfigError(f"the grid has {total:,} runs; at most {MAX_RUNS:,} in one sweep")
    return grid


def default_grid(cls: type[Strategy]) -> dict[str, list]:
    """The sweep ranges a strategy declares (``sweep`` in a .strat params block)."""
    grid = cls.sweep_grid() if hasattr(cls, "sweep_grid") else {}
    if not grid:
        raise ConfigError(f"{cls.__name__} declares no sweep ranges: pass --grid name=values"
                          " (for example --grid sl_pct=20:50:10)")
    return grid


def expand_grid(grid: dict[str, list], fixed: dict[str, Any] | None = None) -> Iterator[dict]:
    """Every combination, last parameter varying fastest; ``fixed`` values go into each run."""
    names = list(grid)
    for combo in itertools.product(*(grid[n] for n in names)):
        params = dict(fixed or {})
        params.update(zip(names, combo))
        yield params


def run_id(params: dict) -> str:
    """A stable id for a parameter set (its values and their types), the key for resuming."""
    text = json.dumps(sorted((k, type(v).__name__, v) for k, v in params.items()), default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


# -- the job and the worker side --------------------------------------------------------------

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

    @property
    def key(self) -> str:
        text = json.dumps([self.strategy, self.data.model_dump(mode="json"), self.start, self.end,
                           self.costs.model_dump(mode="json") if self.costs else None, self.threads],
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


def _worker_state(job: SweepJob):
    w = _WORKER
    if w.key != job.key:
        from optbt.duckdb_source import DuckDBSource
        from optbt.loader import load_strategy
        if w.source is not None:
            w.source.close()
            w.key = w.source = None
        source = DuckDBSource(job.data)
        if job.threads:
            source.con.execute(f"SET threads = {int(job.threads)}")
        w.cls, w.source, w.key = load_strategy(job.strategy), source, job.key
    return w.cls, w.source


def run_one(job: SweepJob, params: dict) -> dict:
    """One backtest of the sweep (runs in a worker): a row of metrics, or the error it hit."""
    from optbt.engine import run_backtest
    t0 = _time.perf_counter()
    row: dict[str, Any] = {"run_id": run_id(params), "params": params,
                           "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        cls, source = _worker_state(job)
        result = run_backtest(cls, source=source, start=job.start, end=job.end, params=params,
                              costs=job.costs)
        row.update(status="ok", error=None, metrics=dict(result.metrics),
                   engine={k: result.engine[k] for k in ("days", "ticks", "queries")})
    except OptbtError as exc:
        row.update(status="error", error=f"{exc}", metrics={}, engine={})
    except Exception as exc:  # a bug in user code or optbt must not end the sweep
        row.update(status="error", error=f"{type(exc).__name__}: {exc}", metrics={}, engine={})
    row["seconds"] = round(_time.perf_counter() - t0, 4)
    return row


# -- executors --------------------------------------------------------------------------------

EXECUTORS = ("serial", "process", "dask")


def check_executor(kind: str) -> str:
    if kind in EXECUTORS or kind.startswith("dask://"):
        return kind
    raise ConfigError(f"--executor must be serial, process, dask or dask://HOST:PORT, got {kind!r}"
                      f"{did_you_mean(kind, EXECUTORS)}")


@contextmanager
def open_executor(kind: str, workers: int) -> Iterator[tuple[Executor | None, str]]:
    """(executor, description); ``None`` means run in this process."""
    check_executor(kind)
    if kind == "serial":
        yield None, "serial (this process)"
        return
    if kind == "process":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        # spawn: fresh interpreters that own their DuckDB connection, the same on every OS
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as ex:
            try:
                yield ex, f"process pool, {workers} workers"
            finally:
                ex.shutdown(wait=True, cancel_futures=True)
        return
    try:
        import logging

        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("the dask executor needs Dask distributed: pip install 'optbt[dask]'") from None
    if kind == "dask":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
        where = f"Dask LocalCluster on 127.0.0.1, {workers} workers"
    else:
        address = "tcp://" + kind.removeprefix("dask://")
        try:
            client = Client(address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        cluster = None
        n = len(client.scheduler_info().get("workers", {}))
        where = f"Dask scheduler {address}, {n} worker{'' if n == 1 else 's'}"
    try:
        yield client.get_executor(pure=False), where
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# -- the store: what is finished, streamed to disk --------------------------------------------

@dataclass
class SweepStore:
    """``OUT/sweep.json`` (what was swept), ``runs.jsonl`` (the log), ``sweep.parquet``/``.csv``."""

    out: Path
    manifest: dict
    rows: dict[str, dict] = field(default_factory=dict)  # run_id -> latest row
    _last_write: float = 0.0

    @classmethod
    def open(cls, out: Path, manifest: dict, restart: bool = False) -> "SweepStore":
        out.mkdir(parents=True, exist_ok=True)
        log, mpath = out / "runs.jsonl", out / "sweep.json"
        if restart:
            for name in ("runs.jsonl", "sweep.json", "sweep.parquet", "sweep.csv"):
                (out / name).unlink(missing_ok=True)
        if mpath.exists():
            old = json.loads(mpath.read_text())
            for key in ("strategy_sha1", "data", "start", "end", "costs"):
                if old.get(key) != manifest.get(key):
                    raise ConfigError(
                        f"{out} holds a sweep with a different {key.replace('_sha1', ' file')} "
                        f"({old.get(key)!r}, now {manifest.get(key)!r}); resume it with the same"
                        " command, use another --out, or pass --restart to discard it")
        store = cls(out, manifest)
        if log.exists():
            text = log.read_text()
            if text and not text.endswith("\n"):  # killed mid-line: start the next entry on a line of its own
                with log.open("a") as fh:
                    fh.write("\n")
            for line in text.splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:  # a line cut short when the sweep was killed
                    continue
                store.rows[row["run_id"]] = row
        mpath.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        return store

    def finished(self) -> set[str]:
        return {k for k, r in self.rows.items() if r["status"] == "ok"}

    def add(self, row: dict) -> None:
        with (self.out / "runs.jsonl").open("a") as fh:
            fh.write(json.dumps(row, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.rows[row["run_id"]] = row
        if _time.monotonic() - self._last_write >= 1.0:  # the log is the record; tables follow it
            self.write_tables()

    def table(self) -> list[dict]:
        """Flat rows of the current grid, in grid order."""
        order = self.manifest["runs"]
        names = self.manifest["params"]
        flat = []
        for n, rid in enumerate(order):
            row = self.rows.get(rid)
            if row is None:
                continue
            out: dict[str, Any] = {"run": n, "run_id": rid}
            for name in names:
                col = name if name not in META_COLUMNS and name not in METRICS else f"param_{name}"
                out[col] = row["params"].get(name)
            for m in METRICS:
                out[m] = row["metrics"].get(m)
            out.update(status=row["status"], error=row["error"], seconds=row["seconds"],
                       worker=row["worker"], params_json=json.dumps(row["params"], sort_keys=True))
            flat.append(out)
        return flat

    def write_tables(self) -> None:
        import csv

        import pyarrow as pa
        import pyarrow.parquet as pq
        rows = self.table()
        self._last_write = _time.monotonic()
        if not rows:
            return
        tmp = self.out / ".sweep.parquet.tmp"
        pq.write_table(pa.Table.from_pylist(rows), tmp)
        os.replace(tmp, self.out / "sweep.parquet")
        tmp = self.out / ".sweep.csv.tmp"
        with tmp.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, self.out / "sweep.csv")


def file_sha1(spec: str) -> str:
    path = Path(spec.rpartition(":")[0] if spec.rpartition(":")[0].endswith(".py") else spec)
    return hashlib.sha1(path.read_bytes()).hexdigest() if path.exists() else ""


def better(metric: str, a: Any, b: Any) -> bool:
    """Is ``a`` a better value of ``metric`` than ``b``? (None is never better.)"""
    if a is None:
        return False
    if b is None:
        return True
    return a < b if metric in LOWER_IS_BETTER else a > b


def rank(rows: list[dict], metric: str) -> list[dict]:
    """Finished runs, best first by ``metric`` (runs without a value last, then grid order)."""
    ok = [r for r in rows if r["status"] == "ok"]
    have = [r for r in ok if r.get(metric) is not None]
    missing = [r for r in ok if r.get(metric) is None]
    have.sort(key=lambda r: (r[metric] if metric in LOWER_IS_BETTER else -r[metric], r["run"]))
    return have + missing


# -- running ----------------------------------------------------------------------------------

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
              restart: bool = False,
              on_start: Callable[[int, int, str, list[dict]], None] | None = None,
              on_result: Callable[[dict], None] | None = None) -> SweepOutcome:
    """Run every parameter set of ``grid`` not yet finished in ``out``; see the module docstring.

    ``on_start(todo, skipped, where, finished_rows)`` is called once before the first run and
    ``on_result(row)`` after each run is recorded (raising from it stops the sweep; what
    finished is kept).
    """
    check_executor(executor)
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    start = None if start is None else str(start)
    end = None if end is None else str(end)
    runs = list(expand_grid(grid, fixed))
    ids = [run_id(p) for p in runs]
    manifest = {
        "strategy": strategy, "strategy_sha1": file_sha1(strategy),
        "data": str(data.root), "dataset": data.name, "synthetic": data.synthetic,
        "start": start, "end": end,
        "costs": costs.model_dump(mode="json") if costs else None,
        "grid": grid, "fixed": fixed or {}, "params": list(runs[0]) if runs else [], "runs": ids,
    }
    store = SweepStore.open(Path(out), manifest, restart)
    done = store.finished()
    todo = [(rid, p) for rid, p in zip(ids, runs) if rid not in done]
    if executor == "serial":
        threads = None  # the source's default
    elif executor.startswith("dask://"):
        threads = 1  # a remote worker runs one task per core in threads, each with its own connection
    else:
        threads = max(1, (os.cpu_count() or 1) // min(workers, max(1, len(todo))))
    job = SweepJob(strategy, data, start, end, costs, threads)
    executed: list[str] = []
    where = "nothing to run"
    try:
        if not todo:
            if on_start:
                on_start(0, len(ids), where, [store.rows[i] for i in ids if i in done])
        else:
            with open_executor(executor, min(workers, len(todo))) as (ex, where):  # no idle workers
                if on_start:
                    on_start(len(todo), len(ids) - len(todo), where, [store.rows[i] for i in ids if i in done])
                for row in _execute(ex, job, todo):
                    store.add(row)
                    executed.append(row["run_id"])
                    if on_result:
                        on_result(row)
    finally:
        store.manifest["executor"] = where
        (store.out / "sweep.json").write_text(json.dumps(store.manifest, indent=2, default=str) + "\n")
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
    limit = 4 * max(1, getattr(ex, "_max_workers", 0) or 8)

    def top_up() -> None:
        for _rid, params in itertools.islice(queue, max(0, limit - len(pending))):
            pending[ex.submit(run_one, job, params)] = params
    top_up()
    try:
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                params = pending.pop(fut)
                try:
                    yield fut.result()
                except Exception as exc:  # the worker itself died (killed, out of memory)
                    yield {"run_id": run_id(params), "params": params, "worker": "?",
                           "status": "error", "error": f"worker failed: {type(exc).__name__}: {exc}",
                           "metrics": {}, "engine": {}, "seconds": None}
            top_up()
    finally:
        for fut in pending:
            fut.cancel()
