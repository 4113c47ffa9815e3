"""Reads the next block of days in a background thread while the engine runs this one.

:class:`~optbt.data.duckdb_source.DuckDBSource` reads spot bars and chains 16 days to a query
(``READ_AHEAD_DAYS``). Without this module the engine stops at every 16th day and waits for
the next block; with it, when a block is installed the query for the block after it starts
at once on a second thread with its own DuckDB connection (DuckDB runs a query without holding
the GIL), so on a machine with a free core the wait disappears from the run's wall time.

Why this cannot change a result or look ahead:

- The background runs the very function the main thread would run for that block (same
  query, same block boundaries), and its answer is used only when the main thread asks for
  exactly the day that block starts at; any other day reads as before and the background's
  answer is dropped.
- The answer is installed, counted (``queries``, ``ignored``) and checked (conflicting spot
  rows raise on the day they belong to, in ``spot_bars``) on the main thread when that day is
  asked for, as without read-ahead: nothing happens earlier, or for a day the run does not
  reach. A background read that failed (a bad file) is dropped and the main thread reads again,
  so the error is raised where and when it always was.
- What was read stays in this object until the day is asked for; a strategy sees a day's data
  through the engine, one tick at a time.

Memory: at most ``MAX_PENDING`` blocks waiting. Nothing is read past the last day of the
range the run asked for. Turn it off with ``OPTBT_READ_AHEAD=0`` (to debug) or
``DuckDBSource(..., read_ahead=False)``; sweep workers given one DuckDB thread run without
it (the other worker already uses the other core).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor

ENV = "OPTBT_READ_AHEAD"
MAX_PENDING = 4  # blocks read ahead and not yet asked for (a chain and a spot block per underlying)
_FAILED = object()


def enabled_by_env() -> bool:
    """False when ``OPTBT_READ_AHEAD`` is 0, false, no or off.

    >>> import os; os.environ["OPTBT_READ_AHEAD"] = "off"; enabled_by_env()
    False
    >>> del os.environ["OPTBT_READ_AHEAD"]; enabled_by_env()
    True
    """
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "false", "no", "off")


class ReadAhead:
    """One background reader with its own connection, ``connect()``, made on first use."""

    def __init__(self, connect: Callable):
        self._connect = connect
        self._con = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict[Hashable, Future] = {}
        self.stats = {"used": 0, "dropped": 0, "failed": 0}

    def submit(self, key: Hashable, read: Callable) -> None:
        """Start ``read(con)`` in the background, to be taken once under ``key``."""
        if key in self._pending:
            return
        while len(self._pending) >= MAX_PENDING:  # the oldest was never asked for
            self._drop(next(iter(self._pending)))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="optbt-read-ahead")
        self._pending[key] = self._pool.submit(self._call, read)

    def take(self, key: Hashable):
        """What was read for ``key`` (waiting for it if needed), or None: not read ahead, or failed."""
        future = self._pending.pop(key, None)
        if future is None:
            return None
        out = future.result()
        if out is _FAILED:
            self.stats["failed"] += 1
            return None
        self.stats["used"] += 1
        return out

    def _drop(self, key: Hashable) -> None:
        self._pending.pop(key).cancel()
        self.stats["dropped"] += 1

    def close(self) -> None:
        """Stop the reader: waiting reads are cancelled, a running one interrupted and awaited."""
        for key in list(self._pending):
            self._drop(key)
        if self._pool is not None:
            con = self._con
            if con is not None:
                try:
                    con.interrupt()
                except Exception:  # noqa: BLE001 - nothing running
                    pass
            self._pool.shutdown(wait=True, cancel_futures=True)
            if self._con is not None:
                self._con.close()
            self._pool = self._con = None

    def _call(self, read: Callable):
        """In the reader's thread (which alone uses the connection, made there: ~20 ms)."""
        try:
            if self._con is None:
                self._con = self._connect()
            return read(self._con)
        except Exception:  # noqa: BLE001 - the main thread reads again and meets the error itself
            return _FAILED
