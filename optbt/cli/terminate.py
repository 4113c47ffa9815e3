"""SIGTERM stops a command the way Ctrl-C does, where a command stopped part-way must clean up.

``kill PID``, a job scheduler's time limit and ``timeout`` send SIGTERM, whose default action
ends the process on the spot: no ``finally`` and no clean-up run, so ``data sort`` left a
half-written copy that a later run would read as a dataset. Inside :func:`sigterm_as_ctrl_c`
the signal raises :class:`Terminated` (a KeyboardInterrupt) in the main thread, and one that
lands inside a DuckDB query interrupts the query as Ctrl-C does: the clean-up Ctrl-C runs, runs
for it too. The command then says "terminated" and exits 143 (128 + SIGTERM, as shells report
a process ended by it), where Ctrl-C says "interrupted" and exits 130.

Used by ``run``, ``sweep`` and ``data sort``. A sweep's pool workers must still end on SIGTERM
(the pool ends a broken pool's workers with it), so a forked worker puts the default back
before anything else (``optbt.sweeps.pool``), and the sweep stops its workers' runs itself: a
``kill PID`` reaches its process alone, where a Ctrl-C in the terminal reaches them all.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from optbt.model.errors import is_interrupt

TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where a Ctrl-C would be, so the same clean-up runs."""


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """Run the block with SIGTERM raising :class:`Terminated`; a block it stopped ends the
    command with "terminated" and exit code 143. The previous handler is back afterwards.

    A second SIGTERM while the first one's clean-up runs is ignored (it would stop the clean-up
    half-way); a DuckDB query stopped by the signal raises its own error, not the handler's,
    so what the block raised is matched to the signal by the flag the handler sets.
    """
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return
    received: list[int] = []

    def stop(signum, frame):
        if not received:
            received.append(signum)
            raise Terminated()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    except BaseException as exc:
        if received and is_interrupt(exc):
            typer.secho("terminated", fg=typer.colors.YELLOW, err=True)
            raise typer.Exit(TERMINATED) from None
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
