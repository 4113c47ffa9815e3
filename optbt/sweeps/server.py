"""Imported by a sweep's forkserver alone, first (:data:`optbt.sweeps.pool.PRELOAD`), never by the
sweep: the server ignores Ctrl-C from here on, and the workers it forks inherit an excepthook
that stays quiet for a worker started after its sweep stopped
(:func:`optbt.sweeps.pool.quiet_late_start`)."""

from __future__ import annotations

import signal
import sys

from optbt.sweeps.pool import quiet_late_start

# Ctrl-C is for the sweep's process. The server started with Ctrl-C and SIGTERM blocked
# (optbt.sweeps.pool.start_forkserver), so none could end it before this line: a Ctrl-C held
# meanwhile is dropped by ignoring it, a SIGTERM held meanwhile ends it now.
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})

sys.excepthook = quiet_late_start(sys.excepthook)
