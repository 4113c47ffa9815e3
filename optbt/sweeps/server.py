"""Imported by a sweep's forkserver first (:data:`optbt.sweeps.pool.PRELOAD`): the server ignores
Ctrl-C from here on, and the workers it forks inherit an excepthook that stays quiet for a
worker started after its sweep stopped (:func:`optbt.sweeps.pool.quiet_late_start`).

Only in that server: anything else may import this module too (pytest's doctest collection
imports every module of the package; so do documentation tools), and a process that took the
server's settings would ignore Ctrl-C for good, and so would every program it starts (an
ignored signal stays ignored through exec). The server is ``python -c "from
multiprocessing.forkserver import main; main(...)"``, so that is what is asked for.
"""

from __future__ import annotations

import signal
import sys

from optbt.sweeps.pool import quiet_late_start


def in_the_forkserver() -> bool:
    """Whether this process is a forkserver (multiprocessing's, run as ``python -c``)."""
    return sys.argv[:1] == ["-c"] and "multiprocessing.forkserver" in sys.modules


if in_the_forkserver():
    # Ctrl-C is for the sweep's process. The server started with Ctrl-C and SIGTERM blocked
    # (optbt.sweeps.pool.start_forkserver), so none could end it before this line: a Ctrl-C held
    # meanwhile is dropped by ignoring it, a SIGTERM held meanwhile ends it now.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    sys.excepthook = quiet_late_start(sys.excepthook)
