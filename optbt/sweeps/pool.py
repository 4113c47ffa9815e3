"""The process pool of a sweep: forked workers where that is safe, fresh interpreters elsewhere.

A spawned worker is a new interpreter: it imports optbt, DuckDB and the language front end
and compiles the strategy again before its first run (about half a second, paid by every
worker) and at the end finalises its whole interpreter. A forked worker starts with all of
that already in memory and ends with ``os._exit``. On two workers that is a good part of a
short sweep, so the pool forks — but only where a fork is known to be safe:

* on Linux only (macOS and Windows spawn, as Python does by default there);
* only when this process has exactly one thread, counted by the kernel
  (``/proc/self/task``), not by Python. The danger of a fork is another thread holding a
  lock at that instant (DuckDB's worker threads, pyarrow's jemalloc thread, a notebook's
  threads): the child would wait for it forever. With one thread no lock can be held by
  anybody else, and an open DuckDB connection always has threads, so a forked worker never
  inherits a live connection: each opens its own, as a spawned one does.

The pool launches all its workers at once when it is made (a forking pool does that at its
first task, before it starts its own manager thread; a no-op task is that first task), so
the check and the forks happen together, before anything else of the sweep starts a thread
(importing pyarrow starts two: a resumed sweep rewrites its tables only once its workers are
started).

A pool worker whose sweep process is killed (SIGKILL: no clean-up runs) would wait for work
forever, with any start method. A forked one asks the kernel to kill it with its parent
(``PR_SET_PDEATHSIG``; where that cannot be asked the pool does not fork); a spawned or
forkserver one has a thread that ends it when the pipe from its parent closes.

A process with threads (a notebook, a test runner, anything that opened DuckDB) cannot fork
safely; on Linux its workers are forks of a ``forkserver`` instead: a fresh single-threaded
interpreter that imports optbt once (and Dask, for Dask's workers) and stays for the
process's life, so later sweeps start their workers at once too. Elsewhere (macOS, Windows)
workers are spawned. ``OPTBT_SWEEP_START=spawn`` forces spawned workers everywhere,
``OPTBT_SWEEP_START=forkserver`` the forkserver where there is one (never a fork of this process).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def thread_count() -> int | None:
    """Threads of this process as the kernel counts them (native ones too); None if unknown."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def _prctl():
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError, ImportError):
        return None


def start_method() -> str:
    """``fork`` when it is safe here and now (see the module docstring), else ``spawn`` (which
    :func:`process_pool` replaces by the forkserver where there is one)."""
    if os.environ.get("OPTBT_SWEEP_START") in ("spawn", "forkserver"):
        return "spawn"
    if not sys.platform.startswith("linux") or thread_count() != 1 or _prctl() is None:
        return "spawn"
    return "fork"


_in_task = False  # in a worker: a run (or a scout) is in progress
_stopping = False  # in a worker: Ctrl-C came; no queued run starts after it


def _on_ctrl_c(signum, frame) -> None:
    """A pool worker's Ctrl-C: a run in progress stops (KeyboardInterrupt, as in the sweep's own
    process, which then says what finished); a worker waiting for work ignores it (raised there,
    multiprocessing prints a traceback from its queue) but remembers it: the runs already in
    the pool's call queue would otherwise each start, read data and be dropped by the sweep."""
    global _stopping
    _stopping = True
    if _in_task:
        raise KeyboardInterrupt


def in_task(fn, *args):
    """``fn(*args)`` as a worker's task: Ctrl-C interrupts it (see :func:`_on_ctrl_c`); after a
    Ctrl-C no task starts (it ends as if interrupted at once)."""
    global _in_task
    if _stopping:
        raise KeyboardInterrupt
    _in_task = True
    try:
        return fn(*args)
    finally:
        _in_task = False


# what the sweep's process may have its own handler for, which a forked worker must not keep
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _worker_signals() -> None:
    """A worker's Ctrl-C and SIGTERM: Ctrl-C stops a run in progress (:func:`_on_ctrl_c`);
    SIGTERM ends the worker, as the pool expects (it ends a broken pool's workers with it),
    not the sweep's "terminated" clean-up a fork would inherit. Signals held back while the
    worker was started (:func:`_forks_held`) arrive now."""
    signal.signal(signal.SIGINT, _on_ctrl_c)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # not on Windows
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _die_with_parent(parent: int) -> None:
    """In a forked worker: be killed when the sweep's process dies, even by SIGKILL."""
    _worker_signals()
    _prctl()(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _started() -> None:
    """The first task: makes a forking pool launch its workers now."""


def optbt_environment() -> dict[str, str]:
    """The ``OPTBT_*`` settings of this process now (what a sweep's workers must run with)."""
    return {k: v for k, v in os.environ.items() if k.startswith("OPTBT_")}


def _exit_with_parent(env: dict[str, str]) -> None:
    """In a spawned or forkserver worker: end when the sweep's process ends, even by SIGKILL
    (left alone it would wait for work forever). A thread waits on the pipe that closes when
    the parent is gone. Ctrl-C is taken through :func:`_on_ctrl_c` (a forkserver worker takes
    it back from the server, which ignores it), so a run in progress stops when the sweep is
    interrupted and an idle worker stays quiet. ``env``: the sweep's ``OPTBT_*`` settings now
    (a forkserver's forks have the environment of when the server started, perhaps a sweep ago)."""
    for k in [k for k in os.environ if k.startswith("OPTBT_") and k not in env]:
        del os.environ[k]
    os.environ.update(env)
    _worker_signals()
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        threading.Thread(target=_exit_when_ready, args=(parent.sentinel,), daemon=True,
                         name="optbt-parent-watch").start()


def _exit_when_ready(sentinel) -> None:
    from multiprocessing.connection import wait
    wait([sentinel])
    os._exit(1)


def process_pool(workers: int) -> tuple[ProcessPoolExecutor, str]:
    """A pool of ``workers`` processes, already launched, and how they were started: forks of
    this process where that is safe, else (Linux) forks of the forkserver, else spawned."""
    method = start_method()
    if method == "spawn" and start_forkserver():
        method = "forkserver"
    ctx = multiprocessing.get_context(method)
    if method != "fork":
        return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_exit_with_parent,
                                   initargs=(optbt_environment(),)), method
    ex = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_die_with_parent,
                             initargs=(os.getpid(),))
    # the objects the workers inherit are frozen for their collector: a worker never runs the
    # clean-up of this process's objects, nor copies their pages by touching them in a collection
    gc.freeze()
    try:
        with _forks_held():
            ex.submit(_started)  # forks every worker here, while this process still has one thread
    finally:
        gc.unfreeze()
    return ex, method


@contextmanager
def _forks_held() -> Iterator[None]:
    """Fork inside with Ctrl-C and SIGTERM held back: a fork keeps this process's handlers until
    its initializer sets its own (:func:`_worker_signals`, which lets what was held arrive), so
    a signal in that instant would run the sweep's handler in the worker (a traceback, a
    "terminated" from a worker). This process gets what was held when the block ends."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def cancel_unstarted(ex, futures) -> None:
    """Cancel the ``futures`` of ``ex`` that have not started, unless ``ex`` is a process pool:
    its shutdown (``cancel_futures=True``) cancels them from the pool's own thread. Cancelling
    them here too raced with the pool breaking in that instant (its workers ended by the same
    SIGTERM as the sweep): the pool's thread then set the error of a future cancelled meanwhile
    and printed an InvalidStateError traceback (CPython gh-107219, fixed in 3.12)."""
    if isinstance(ex, ProcessPoolExecutor):
        return
    for fut in futures:
        fut.cancel()


def interrupt_workers(ex: ProcessPoolExecutor) -> None:
    """Stop the runs in progress on the pool's workers, as a Ctrl-C in the terminal does (it
    reaches every process of the group). For a sweep stopped by a signal its workers did not
    get: ``kill PID`` (SIGTERM to the sweep's process alone), ``kill -INT PID``. Without it
    the pool's shutdown would wait for every run in progress to finish."""
    for pid in list(getattr(ex, "_processes", None) or {}):
        try:
            os.kill(pid, signal.SIGINT)
        except (ProcessLookupError, PermissionError):  # ended already
            pass


# -- the forkserver (Dask's local workers; pool workers of a process with threads) ------------

# what a sweep worker imports before its first task (the engine, the language front end, DuckDB);
# optbt.sweeps.server is imported by the server alone, first: it makes the server ignore Ctrl-C
# and quiets a worker started too late
PRELOAD = ("optbt.sweeps.server", "optbt.sweeps.run", "optbt.engine.loop", "optbt.dsl.loader",
           "optbt.dsl.compiler", "optbt.data.duckdb_source", "optbt.data.shared_cache", "optbt.data.memo")


def quiet_late_start(hook):
    """``hook`` (an excepthook), except for a worker that starts after its sweep stopped.

    A forkserver's worker reads its pool's queues after its fork; when the sweep was stopped
    (Ctrl-C) in that instant, their semaphores are already gone and the worker's start fails
    with FileNotFoundError in ``SemLock.__setstate__``. That worker had nothing to do: its
    traceback, printed under the sweep's ``interrupted``, is dropped. Anything else is printed.
    """
    def excepthook(kind, exc, tb):
        frames = []
        step = tb
        while step is not None:
            frames.append(step.tb_frame.f_code)
            step = step.tb_next
        if issubclass(kind, FileNotFoundError) and frames and frames[-1].co_name == "__setstate__" \
                and frames[-1].co_filename.endswith(os.path.join("multiprocessing", "synchronize.py")):
            return
        hook(kind, exc, tb)
    return excepthook
# native thread pools that would otherwise start at import (numpy's OpenBLAS): the server forks
_ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def start_forkserver(extra: tuple[str, ...] = ()) -> bool:
    """Start this process's ``forkserver`` with optbt (and ``extra``) imported; False where
    there is none to use (not Linux). Returns at once: the server imports in the background.

    The server ignores Ctrl-C, which its forks inherit: Dask's workers keep it so (Ctrl-C is
    for the sweep's process, which closes the cluster), pool workers take it back. It starts
    with Ctrl-C and SIGTERM held back (:func:`_held_for_the_server`) until it ignores Ctrl-C
    (:mod:`optbt.sweeps.server`, its first import), so one in that instant neither ends it
    half-started nor is lost for this process.

    The server is a fresh interpreter that imports what every worker needs once; each worker
    is then a fork of it, ready at once. A fork is safe only from a single-threaded process,
    so the server starts with the native thread pools that numpy (imported by Dask) would
    open set to one thread — nothing else it imports starts a thread. A server this process
    started earlier is reused as it is.
    """
    if not sys.platform.startswith("linux") or os.environ.get("OPTBT_SWEEP_START") == "spawn":
        return False
    from multiprocessing import forkserver, resource_tracker
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([PRELOAD[0], *extra, *PRELOAD[1:]])  # optbt.sweeps.server first
    # the server's start starts multiprocessing's resource tracker first, which unblocks Ctrl-C
    # and SIGTERM when it is started: started here, before they are held
    resource_tracker.ensure_running()
    saved = {k: os.environ.get(k) for k in _ONE_THREAD}
    try:
        os.environ.update({k: "1" for k in _ONE_THREAD})
        with _held_for_the_server():
            forkserver.ensure_running()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return True


@contextmanager
def _held_for_the_server() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while the forkserver starts; one that came meanwhile
    arrives in this process afterwards, as if it came then.

    Blocked signals stay blocked through the server's fork and exec, so it starts with them
    held until :mod:`optbt.sweeps.server` ignores Ctrl-C and lets them in. This process used
    to ignore Ctrl-C instead (the server inherits an ignored signal too), and a Ctrl-C in that
    instant was lost: the sweep ran to its end (2 in 20 tries). A signal is blocked for this
    thread only: one another thread of this process takes meanwhile runs the Python handler
    in this thread at once, which is noted here and raised once the server is started (not
    in the middle of starting it, which would leave it running unrecorded).
    """
    caught: list[int] = []
    replaced: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in _STOP_SIGNALS:
            if callable(signal.getsignal(sig)):  # Python's handler (Ctrl-C's, the sweep's SIGTERM)
                replaced[sig] = signal.signal(sig, lambda signum, frame: caught.append(signum))
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        for sig, handler in replaced.items():
            signal.signal(sig, handler)  # runs the noting handler first for a signal already taken
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # one held for this thread arrives now
    if caught:
        signal.raise_signal(caught[0])
