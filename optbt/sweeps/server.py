"""Imported by a sweep's forkserver alone (:data:`optbt.sweeps.pool.PRELOAD`), never by the sweep:
the workers it forks inherit an excepthook that stays quiet for a worker started after its
sweep stopped (:func:`optbt.sweeps.pool.quiet_late_start`)."""

from __future__ import annotations

import sys

from optbt.sweeps.pool import quiet_late_start

sys.excepthook = quiet_late_start(sys.excepthook)
