"""One sweep at a time in a folder: ``OUT/sweep.lock``.

Two sweeps appending to one log would run every point twice and interleave their tables.
The lock is an ``flock`` on ``OUT/sweep.lock``, which holds the owner's pid, host and start
time for the message. The kernel drops an ``flock`` when its process dies, however it dies,
so a lock left by a killed sweep is never an obstacle: the next sweep takes it over and says
so. (``flock`` is POSIX; on a network filesystem it is only as good as the server's locks.)
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import datetime
from pathlib import Path

from optbt.model.errors import ConfigError

NAME = "sweep.lock"

_HELD: set[int] = set()  # descriptors of the locks this process holds


def _drop_in_child() -> None:
    """A forked sweep worker must not keep the folder locked after the sweep's process dies:
    it closes its copies of the lock descriptors (closing a copy never unlocks the parent's)."""
    for fd in _HELD:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_in_child)


class SweepLock:
    """Held from :meth:`acquire` until :meth:`release` (or the process's end)."""

    def __init__(self, path: Path, fd: int, note: str | None):
        self.path = path
        self.fd = fd
        self.note = note  # set when a lock of a sweep that is gone was taken over

    @classmethod
    def acquire(cls, out: Path) -> "SweepLock":
        path = out / NAME
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = _describe(_read(fd))
                os.close(fd)
                raise ConfigError(f"{out} is in use by {owner}; wait for that sweep to end, stop it,"
                                  " or use another --out") from None
            try:  # the holder before us may have unlinked the file after we opened it: lock the one on disk
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        before = _read(fd)
        note = None
        if before:
            note = f"took over the lock of a sweep that is no longer running ({_describe(before)})"
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": datetime.now().astimezone().isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        _HELD.add(fd)
        return cls(path, fd, note)

    def release(self) -> None:
        if self.fd < 0:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            _HELD.discard(self.fd)
            os.close(self.fd)  # closing drops the flock
            self.fd = -1


def _read(fd: int) -> dict:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(info: dict) -> str:
    """``pid 4242 on host (started 2026-11-25T14:02:11+00:00)``."""
    if not info:
        return "another sweep"
    host = info.get("host")
    where = f" on {host}" if host and host != socket.gethostname() else ""
    return f"pid {info.get('pid', '?')}{where} (started {info.get('started', '?')})"
