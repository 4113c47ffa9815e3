"""A results folder replaced whole: the old complete results or the new ones, never a mix.

A run writes into a hidden temporary folder beside ``OUT`` (same parent, so the same
filesystem, so ``rename`` is atomic) and swaps it into place at the end:

1. ``OUT`` → ``.OUT.old-PID-XXXX`` (only when ``OUT`` exists),
2. ``.OUT.tmp-PID-XXXX`` → ``OUT``,
3. the old folder is deleted.

A kill before step 1 leaves the old results (and a temporary folder that the next write
into ``OUT`` deletes); a kill after step 2 leaves the new results (and an old folder the
next write deletes). A kill *between* 1 and 2 leaves no ``OUT`` but a complete
``.OUT.old-*``: the next write into ``OUT`` (and :func:`check_out`, which the commands call
before they start) puts it back first. Files of an earlier run that this run did not write
(a ``report.html``, an ``equity.png``, a report saved under another name) go with the old folder.

Replacing is refused when ``OUT`` does not look like results optbt wrote (a folder with
other files and no optbt ``summary.json``, or a file), so a typo such as ``--out ~`` can
never delete anything else.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from optbt.model.errors import ConfigError

MARKER = "summary.json"
# every file a run (and its --report, --trace) writes: a results folder holding others is not
# replaced, since replacing it whole would delete them (a user's notes.txt)
RUN_FILES = frozenset({MARKER, "trades.csv", "trades.parquet", "daily.csv", "report.html", "equity.png",
                       "trace.jsonl"})
# what file browsers leave in any folder they show (Finder's .DS_Store and ._ files, Explorer's
# Thumbs.db and desktop.ini): not the user's work, so they neither make a results folder foreign
# (a run into a folder opened in Finder was refused) nor survive its replacement
OS_CLUTTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
# how every report optbt writes begins (optbt.results.report writes it): a report saved under
# another name (optbt report DIR --out DIR/x.html) is optbt's, so it no longer blocks the next
# run into DIR, and goes with the old results as report.html does
REPORT_HEAD = b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="optbt">'


def is_clutter(p: Path) -> bool:
    """A file a file browser made (see OS_CLUTTER), not a folder."""
    return (p.name in OS_CLUTTER or p.name.startswith("._")) and not p.is_dir()


def is_report(p: Path) -> bool:
    """A file (not a link) that begins as an optbt report does (REPORT_HEAD): a user's own page,
    whatever its name, does not."""
    if p.is_symlink() or not p.is_file():
        return False
    try:
        with p.open("rb") as fh:
            return fh.read(len(REPORT_HEAD)) == REPORT_HEAD
    except OSError:
        return False


def _ours(p: Path) -> bool:
    """A file a run, its --report, --trace or a later ``optbt report`` wrote."""
    return (p.name in RUN_FILES and not p.is_dir()) or is_report(p)


def first_names(names: list[str], most: int = 3) -> str:
    """The first few of ``names`` for a message, "..." when there are more.

    >>> first_names(["a", "b"]), first_names(["a", "b", "c", "d"])
    ('a, b', 'a, b, c, ...')
    """
    return ", ".join(names[:most]) + (", ..." if len(names) > most else "")


def _siblings(out: Path, kind: str) -> list[Path]:
    """``.OUT.old-*`` or ``.OUT.tmp-*`` beside ``out``, oldest first."""
    try:
        found = [(p.lstat().st_mtime_ns, p) for p in out.parent.glob(f".{out.name}.{kind}-*")]
    except OSError:
        return []
    return [p for _, p in sorted(found)]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_alive(path: Path) -> bool:
    """Is the process that made this ``.OUT.tmp-PID-XXXX`` (or ``.old-``) still at work on it?"""
    try:
        pid = int(path.name.rpartition("-")[0].rpartition("-")[2])
    except ValueError:
        return False
    return pid != os.getpid() and _pid_alive(pid)


def recover(out: Path) -> str | None:
    """Repair what a write killed part-way left beside ``out``; a note when results came back."""
    note = None
    olds = [p for p in _siblings(out, "old") if not _owner_alive(p)]
    if olds and not out.exists():
        # killed between the two renames: the newest old folder is the last complete result
        olds[-1].rename(out)
        note = f"restored the previous results in {out} (a write into it had been cut short)"
        olds = olds[:-1]
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)
    for tmp in _siblings(out, "tmp"):
        if not _owner_alive(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return note


def _optbt_summary(folder: Path) -> bool:
    """Is ``folder/summary.json`` one that optbt wrote?"""
    try:
        summary = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and {"strategy", "metrics", "engine"} <= set(summary)


def looks_like_results(folder: Path) -> bool:
    """Does ``folder`` hold a run optbt wrote and nothing else (its files only, no sub-folders)?
    A sweep written into it since, or a file of the user's, is not a run's to delete."""
    return _optbt_summary(folder) and not any(not _ours(p) for p in folder.iterdir() if not is_clutter(p))


def cannot_write(out: Path, exc: OSError, what: str = "results") -> ConfigError:
    """One line for an OS refusal to write ``out``: what, where, and what to do."""
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        blocker = next((p for p in (out, *out.parents) if p.is_file()), None)
        if blocker is not None:
            return ConfigError(f"cannot write {what} to {out}: {blocker} is a file in the way;"
                               " choose another --out")
    reason = exc.strerror or type(exc).__name__
    return ConfigError(f"cannot write {what} to {out}: {reason.lower()} (in {out.parent});"
                       " choose another --out")


def absolute(out: str | Path) -> Path:
    """``out`` as an absolute path with "." and ".." resolved: a real name to rename."""
    return Path(os.path.abspath(Path(out).expanduser()))


def check_out(out: str | Path) -> Path:
    """``out`` as an absolute path, checked before a run starts: may results replace it?

    Repairs a write cut short (see the module docstring), refuses a file or a folder that is
    not optbt results, and makes sure the parent folder can be created and written.
    """
    out = absolute(out)
    try:
        parent_ok = out.parent.is_dir()
    except OSError:
        parent_ok = False
    if parent_ok:
        recover(out)
    if out.is_symlink():
        raise ConfigError(f"--out {out} is a symbolic link; give the folder it points to"
                          f" ({os.path.realpath(out)}) or another --out")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file, not a folder; choose a folder for the results")
    if out.is_dir():
        entries = [p for p in out.iterdir() if not is_clutter(p)]
        if entries and not looks_like_results(out):
            if _optbt_summary(out):
                others = sorted(p.name for p in entries if not _ours(p))
                raise ConfigError(f"--out {out} holds results and {len(others)} file{'s' if len(others) != 1 else ''}"
                                  f" optbt did not write ({first_names(others)});"
                                  " results replace their folder whole, which would delete them: move them out,"
                                  " or choose another --out")
            raise ConfigError(f"--out {out} holds {len(entries)} other file{'s' if len(entries) != 1 else ''}"
                              f" and no optbt {MARKER}: it is not an optbt results folder, and results"
                              " replace their folder whole; choose a new or empty folder")
    probe = out.parent / f".{out.name}.tmp-{os.getpid()}-probe"
    try:  # the parent must exist and take a new folder: the temporary one goes there
        out.parent.mkdir(parents=True, exist_ok=True)
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise cannot_write(out, exc) from None
    return out


def _fsync_tree(folder: Path) -> None:
    """Flush the new files (and the folder) to disk before the swap makes them the results."""
    for p in folder.iterdir():
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def replacing(out: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder; when the block ends cleanly it becomes ``out`` whole.

    On any exception (Ctrl-C included) the temporary folder is deleted and ``out`` is left
    as it was.
    """
    out = check_out(out)
    tag = f"{os.getpid()}-{secrets.token_hex(3)}"
    tmp = out.parent / f".{out.name}.tmp-{tag}"
    try:
        tmp.mkdir()
    except OSError as exc:
        raise cannot_write(out, exc) from None
    try:
        yield tmp
        _fsync_tree(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = out.parent / f".{out.name}.old-{tag}"
    try:
        if out.exists():
            out.rename(old)
        tmp.rename(out)
    except OSError as exc:
        if old.exists() and not out.exists():
            old.rename(out)
        shutil.rmtree(tmp, ignore_errors=True)
        raise cannot_write(out, exc) from None
    shutil.rmtree(old, ignore_errors=True)
