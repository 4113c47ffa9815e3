"""Warming the shared day cache before a sweep's runs: the cold reading split between workers.

Without it each worker's first run reads every day from parquet, so on two workers the cold
reading is done twice and a sweep with the memo on gains little from the second worker.
Here the days are cut into ``2 x workers`` chunks, handed to the workers as *scout* tasks,
and each scout runs the sweep's first parameter set over its chunk, recording what it reads
into one file of ``OUT/cache/<data key>/`` (:mod:`optbt.data.shared_cache`). Every day is
read from parquet once, by one worker; the runs that follow read the files. A scout's result
is thrown away: every real run is still one process going through all its days in order.

The cache sits in the sweep folder, under a key made from the data's fingerprint (the
dataset config and every data file's path, size and modification time): changed data gets
another key, and folders of other keys are deleted when a sweep opens the folder. It holds
at most ``--memo-mb`` (the scouts stop adding option bars beyond it); ``--no-shared-cache``
turns it off, and it is not used with ``--memo-mb 0`` or the serial executor.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, Executor, Future, wait
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from optbt.model.errors import is_interrupt
from optbt.sweeps.pool import cancel_unstarted, in_task

CHUNKS_PER_WORKER = 2  # a little balancing: a worker done early takes another chunk


def cache_folder(out: Path, fp: dict[str, Any]) -> Path:
    """``OUT/cache/<key of the data>``; other keys' folders (older data) are removed."""
    text = json.dumps([fp.get("dataset"), fp.get("files")], sort_keys=True, default=str)
    key = hashlib.sha1(text.encode()).hexdigest()[:16]
    root = Path(out).resolve() / "cache"  # absolute: a worker may run in another folder
    if root.is_dir():
        for old in root.iterdir():  # only cache folders of ours (a key's 16 hex digits)
            if old.name != key and re.fullmatch(r"[0-9a-f]{16}", old.name):
                shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
    return root / key


def warm_shared_cache(ex: Executor, scout: Callable[..., Any], job: Any, params: dict, workers: int) -> bool:
    """Run ``scout(job, part, parts, params)`` for every chunk on ``ex`` and wait for them
    (``optbt.sweeps.run.scout_one``; a failed scout only leaves its chunk unwritten). True when
    a worker died meanwhile (the pool is then broken: the caller needs a new one)."""
    return _finish(ex, _start(ex, scout, job, params, workers))


@contextmanager
def scouting_ahead(scout: Callable[..., Any], job: Any, params: dict,
                   workers: int) -> Iterator[Callable[[], None] | None]:
    """Scouts on forks of this process, started now, for an executor that takes long to start.

    A Dask LocalCluster needs about half a second of this process (importing Dask, starting
    the scheduler) before its workers take a task; a forked pool is ready at once. So the
    chunks are scouted there while the cluster starts, and the cluster's workers find the
    cache written. Yields the function that waits for the scouts and ends their pool, or None
    where this process cannot fork safely (:func:`optbt.sweeps.pool.start_method`): the
    executor's own workers scout then, as before. Must be entered before anything of the
    executor starts a thread (Dask does on import).
    """
    from optbt.sweeps.pool import interrupt_workers, process_pool, start_method
    if start_method() != "fork":
        yield None
        return
    ex, _ = process_pool(workers)
    try:
        futures = _start(ex, scout, job, params, workers)

        def finish() -> None:
            _finish(ex, futures)
            ex.shutdown(wait=True)
        yield finish
    except BaseException as exc:
        if is_interrupt(exc):  # a signal to this process alone: the scouts stop too
            interrupt_workers(ex)
        raise
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def _start(ex: Executor, scout: Callable[..., Any], job: Any, params: dict, workers: int) -> list[Future]:
    parts = max(1, workers * CHUNKS_PER_WORKER)
    return [ex.submit(in_task, scout, job, part, parts, params) for part in range(parts)]


def _finish(ex: Executor, futures: list[Future]) -> bool:
    """Wait for the scouts; True when one's worker died (its pool is broken)."""
    broke = False
    try:
        wait(futures)
        for fut in futures:
            try:
                fut.result()
            except BrokenExecutor:
                broke = True
            except Exception as exc:
                if is_interrupt(exc):
                    raise KeyboardInterrupt from None
    finally:
        cancel_unstarted(ex, futures)
    return broke


def chunk_days(days: list[date], part: int, parts: int) -> list[date]:
    """The ``part``-th of ``parts`` consecutive slices of ``days`` (as even as can be).

    >>> [chunk_days(list(range(10)), p, 3) for p in range(3)]
    [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]
    """
    n = len(days)
    return days[part * n // parts:(part + 1) * n // parts]
