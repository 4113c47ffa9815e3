"""Where a sweep's runs execute: this process, a process pool, or Dask distributed.

All of them are ``concurrent.futures`` executors (Dask's through ``Client.get_executor()``),
so the sweep itself does not care which one it was handed.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from optbt.model.errors import ConfigError, did_you_mean, is_interrupt

EXECUTORS = ("serial", "process", "dask")


def check_executor(kind: str) -> str:
    if kind in EXECUTORS:
        return kind
    if kind.startswith("dask://"):
        host, sep, port = kind.removeprefix("dask://").rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"--executor {kind!r}: a Dask scheduler is dask://HOST:PORT with a port number "
                              "(for example dask://10.0.0.5:8786)")
        return kind
    raise ConfigError(f"--executor must be serial, process, dask or dask://HOST:PORT, got {kind!r}"
                      f"{did_you_mean(kind, EXECUTORS)}")


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Worker processes started inside inherit an ignored SIGINT, so a Ctrl-C in the terminal
    (sent to every process of the group) reaches only the sweep, which shuts them down."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def prepare_executor(kind: str) -> None:
    """Start what the executor needs that takes long and needs nothing of the sweep, so it
    runs while the caller compiles the strategy and reads the grid: for ``dask``, the server
    its workers are forked from (:func:`optbt.sweeps.pool.start_forkserver`)."""
    if kind == "dask":
        import importlib.util
        if importlib.util.find_spec("distributed") is None:
            return  # open_executor says what to install
        from optbt.sweeps.pool import start_forkserver
        start_forkserver(("distributed",))


@contextmanager
def _forked_dask_workers() -> Iterator[None]:
    """LocalCluster workers forked from a server with optbt and Dask imported, where there is
    one (Linux); elsewhere Dask's default (spawn)."""
    import dask

    from optbt.sweeps.pool import start_forkserver
    if not start_forkserver(("distributed",)):
        yield
        return
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        yield


def _refused(host_port: str) -> str | None:
    """Why a TCP connection to ``HOST:PORT`` is refused at once (no scheduler listens there), or
    None: reached, or slow to answer (Dask's own timeout then decides)."""
    import socket
    host, _, port = host_port.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=2).close()
    except ConnectionRefusedError as exc:
        return f"connection refused ({exc.strerror or exc}); is `dask scheduler` running there?"
    except (OSError, ValueError):
        return None
    return None


@contextmanager
def open_executor(kind: str, workers: int) -> Iterator[tuple[Executor | None, str]]:
    """(executor, description); ``None`` means run in this process."""
    check_executor(kind)
    if kind == "serial":
        yield None, "serial (this process)"
        return
    if kind == "process":
        from optbt.sweeps.pool import interrupt_workers, process_pool
        # forked workers where that is safe (Linux, this process single-threaded), else spawned
        ex, method = process_pool(workers)
        with ex:
            try:
                yield ex, f"process pool, {workers} worker{'' if workers == 1 else 's'} ({method})"
            except BaseException as exc:
                if is_interrupt(exc):  # SIGTERM (or SIGINT) sent to this process alone stops the runs too
                    interrupt_workers(ex)
                raise
            finally:
                ex.shutdown(wait=True, cancel_futures=True)
        return
    try:
        import logging

        from distributed import Client, LocalCluster

        from optbt.sweeps.pool import optbt_environment
    except ImportError:
        raise ConfigError("the dask executor needs Dask distributed: pip install 'optbt[dask]'") from None
    if kind == "dask":
        # Ctrl-C is for this process: it stops the sweep and closes the cluster
        with _sigint_ignored(), _forked_dask_workers():
            # env: the sweep's OPTBT_* settings of now (workers fork from a server started earlier)
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None,
                                   silence_logs=logging.ERROR, env=optbt_environment())
        client = Client(cluster)
        where = f"Dask LocalCluster on 127.0.0.1, {workers} worker{'' if workers == 1 else 's'}"
    else:
        address = "tcp://" + kind.removeprefix("dask://")
        refused = _refused(kind.removeprefix("dask://"))
        if refused:  # nothing listens there: say so now, not after Dask's 10 s of retries
            raise ConfigError(f"cannot reach the Dask scheduler at {address}: {refused}")
        try:
            client = Client(address, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
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
