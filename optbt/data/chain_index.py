"""What each day lists (expiries, strikes, contracts left out, the last bar's time), remembered
on disk, so a dataset's chain is read once: not again by every run, nor by every run of a sweep.

Listing a day's chain means decoding the expiry and strike of every option row, the largest
single cost of a run after the option bars themselves (about a third of a 250-day straddle).
The source lists a block of days in one query; this index keeps each block's answer under a
key made of everything the answer depends on: the query's SQL text and parameters, and the
path, size, modification time (ns), inode and status-change time of every file the query
reads. A file rewritten, added or removed changes the key, and the block is listed afresh; an
old answer is never used.

Where: ``$OPTBT_CHAIN_INDEX`` (a folder), else ``chains/`` in optbt's cache folder
(``$OPTBT_CACHE_DIR``, see :func:`optbt.data.sample.cache_dir`). ``OPTBT_CHAIN_INDEX=off``
turns it off. One file per dataset (its options paths and the SQL text), records appended:
``length (4 bytes) | crc32 (4 bytes) | marshal payload``. marshal loads data only, never code;
a torn or damaged record (a crash, two writers at once) fails its checksum and is skipped,
so the worst case is listing that block again. The days that hold option rows, where the
files' layout makes the source scan every row's time for them (a file a month), are kept the
same way (:meth:`ChainIndex.get_days`), and facts about the files that took a scan to
establish (:meth:`ChainIndex.get_meta`). A file over :data:`MAX_BYTES` starts over;
beyond :data:`MAX_FILES` files the least recently used go.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import struct
import threading
import zlib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

MAX_BYTES = 64 * 1024 * 1024
MAX_FILES = 64
FORMAT = b"optbt-chains-1"
_HEAD = struct.Struct("<II")

Listing = dict[date, tuple[dict[date, list[float]], datetime | None, dict[str, int]]]
"""day -> ({expiry: strikes}, the day's last bar time or None, {reason: contracts left out})."""


def index_dir() -> Path | None:
    """The index folder, or None when ``OPTBT_CHAIN_INDEX`` turns it off."""
    where = os.environ.get("OPTBT_CHAIN_INDEX", "").strip()
    if where.lower() in ("0", "off", "false", "no"):
        return None
    if where:
        return Path(where).expanduser()
    from optbt.data.sample import cache_dir
    return cache_dir() / "chains"


def _stamp(path: str) -> tuple[str, int, int, int, int] | None:
    """A file as the key sees it: size and modification time, and its inode and status-change
    time, which no tool sets back: a file replaced or rewritten with the same size and its old
    modification time restored (``cp -p``, ``rsync -t``, ``touch -r``) is still a new key.
    (A chmod or a new hard link changes the status time too: that block is listed again.)"""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def _t(x: datetime | None) -> tuple | None:
    return None if x is None else (x.year, x.month, x.day, x.hour, x.minute, x.second, x.microsecond)


class ChainIndex:
    """The remembered block listings of one dataset (see the module docstring)."""

    def __init__(self, folder: Path, dataset_key: str):
        self.path = folder / f"{hashlib.sha256(dataset_key.encode()).hexdigest()[:32]}.chains"
        self.hits = 0
        self._blocks: dict[str, Any] | None = None
        self._broken = False
        self._lock = threading.Lock()  # the read-ahead's thread lists blocks too
        self._stamps: dict[str, tuple | None] = {}  # file -> its stamp, taken once (block_key)

    @classmethod
    def open(cls, dataset_key: str) -> "ChainIndex | None":
        folder = index_dir()
        return None if folder is None else cls(folder, dataset_key)

    def block_key(self, sql: str, params: dict, files: list[str]) -> str | None:
        """The key of one listing query; None if a file cannot be stat'ed (then nothing is kept).
        A file is stat'ed once for this index's life (a run's source: thousands of files are
        keyed by several footer queries and every block of days)."""
        seen = self._stamps
        stamps = [seen[f] if f in seen else seen.setdefault(f, _stamp(f)) for f in files]
        if any(s is None for s in stamps):
            return None
        shown = sorted((k, repr(v)) for k, v in params.items() if k != "f")
        return hashlib.sha256(repr((sql, shown, stamps)).encode()).hexdigest()

    def _load(self) -> dict[str, Any]:
        if self._blocks is not None:
            return self._blocks
        self._blocks = {}
        try:
            data = self.path.read_bytes()
        except OSError:
            return self._blocks
        if not data.startswith(FORMAT):
            return self._blocks
        pos, end = len(FORMAT), len(data)
        while pos + _HEAD.size <= end:
            n, crc = _HEAD.unpack_from(data, pos)
            body = data[pos + _HEAD.size:pos + _HEAD.size + n]
            pos += _HEAD.size + n
            if len(body) != n or zlib.crc32(body) != crc:
                continue  # a torn or damaged record: that block is listed again
            try:
                key, payload = marshal.loads(body)
            except (EOFError, ValueError, TypeError):
                continue
            self._blocks[key] = payload
        try:
            os.utime(self.path)  # least recently used files are the ones trimmed
        except OSError:
            pass
        return self._blocks

    def get(self, key: str | None) -> Listing | None:
        if key is None:
            return None
        with self._lock:
            payload = self._load().get(key)
        if payload is None:
            return None
        try:
            out: Listing = {}
            for d, expiries, last, left in payload:
                out[date.fromordinal(d)] = ({date.fromordinal(e): list(ks) for e, ks in expiries},
                                            None if last is None else datetime(*last), dict(left))
        except (TypeError, ValueError):
            return None
        self.hits += 1
        return out

    def get_days(self, key: str | None) -> list[date] | None:
        """The days (with option rows) remembered under ``key`` by :meth:`put_days`, or None."""
        if key is None:
            return None
        with self._lock:
            payload = self._load().get("days:" + key)
        if not isinstance(payload, list) or not all(isinstance(d, int) and d > 0 for d in payload):
            return None
        self.hits += 1
        return [date.fromordinal(d) for d in payload]

    def put_days(self, key: str | None, days: list[date]) -> None:
        """Remember the answer of a query listing days (appended, like :meth:`put`)."""
        if key is None or self._broken:
            return
        self._write("days:" + key, [d.toordinal() for d in days])

    def get_meta(self, key: str | None) -> list | None:
        """What :meth:`put_meta` remembered under ``key`` (a list of ints), or None."""
        if key is None:
            return None
        with self._lock:
            payload = self._load().get("meta:" + key)
        if not isinstance(payload, list) or not all(type(v) is int for v in payload):
            return None
        self.hits += 1
        return payload

    def put_meta(self, key: str | None, value: list[int]) -> None:
        """Remember a fact about the dataset's files (e.g. that its text timestamps are ISO:
        :func:`optbt.data.stored_window.prove_text`) under ``key``, a :meth:`block_key`."""
        if key is None or self._broken:
            return
        self._write("meta:" + key, list(value))

    def get_rows(self, key: str | None, files: list[str]) -> list[tuple] | None:
        """The rows of a footer query over ``files`` remembered under ``key`` by :meth:`put_rows`,
        or None."""
        if key is None:
            return None
        with self._lock:
            payload = self._load().get("rows:" + key)
        try:
            palette, refs = payload
            rows = [((files[f] if type(f) is int else f[0] if type(f) is tuple else f), *palette[i])
                    for f, i in refs]
        except (TypeError, ValueError, IndexError):
            return None
        self.hits += 1
        return rows

    def put_rows(self, key: str | None, rows: list[tuple], files: list[str]) -> None:
        """Remember the rows of a query over the footers of ``files`` (schemas, statistics: each
        row a file's name, then text, numbers, booleans or None), which a dataset of thousands of
        files pays again in every run: a file a contract took 0.1 ms a file and a query
        (:func:`footer_rows`). Kept small: a file as its place in ``files``, the rest of a row
        as its place in a list of the distinct rests (a schema repeats in every file)."""
        if key is None or self._broken:
            return
        place = {os.path.normpath(f): i for i, f in enumerate(files)}
        palette: dict[tuple, int] = {}
        refs = []
        for r in rows:
            name = r[0]
            # a listed file as its place; another name as written; any other value wrapped
            where = place.get(os.path.normpath(name), name) if isinstance(name, str) else (name,)
            refs.append((where, palette.setdefault(tuple(r[1:]), len(palette))))
        payload = [list(palette), refs]
        try:
            marshal.dumps(payload)
        except ValueError:  # a value marshal cannot hold: not kept
            return
        self._write("rows:" + key, payload)

    def put(self, key: str | None, listing: Listing) -> None:
        """Remember a block's listing (appended; errors writing are ignored: it is only a cache)."""
        if key is None or self._broken or any(t is not None and t.tzinfo is not None
                                              for _, t, _ in listing.values()):
            return
        payload = [(d.toordinal(), [(e.toordinal(), tuple(ks)) for e, ks in strikes.items()], _t(last),
                    tuple(sorted(left.items()))) for d, (strikes, last, left) in listing.items()]
        self._write(key, payload)

    def _write(self, key: str, payload: Any) -> None:
        body = marshal.dumps((key, payload))
        record = _HEAD.pack(len(body), zlib.crc32(body)) + body
        with self._lock:
            self._append(key, payload, record)

    def _append(self, key: str, payload: list, record: bytes) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not self.path.exists() or self.path.stat().st_size > MAX_BYTES
            if fresh:
                _trim(self.path.parent)
            # one write() of the whole record with O_APPEND: two processes appending at once
            # (a sweep's workers) land one record after the other, not interleaved
            flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if fresh else os.O_APPEND)
            fd = os.open(self.path, flags, 0o644)
            try:
                os.write(fd, (FORMAT if fresh else b"") + record)
            finally:
                os.close(fd)
        except OSError:
            self._broken = True  # a read-only cache folder: run on without it
            return
        if self._blocks is not None:
            self._blocks[key] = payload


def _trim(folder: Path) -> None:
    """Keep at most MAX_FILES - 1 index files (the least recently used go)."""
    try:
        files = sorted(folder.glob("*.chains"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return
    for p in files[:max(0, len(files) - (MAX_FILES - 1))]:
        try:
            p.unlink()
        except OSError:
            pass


def recall(index: ChainIndex | None, sql: str, params: dict,
           files: list[str]) -> tuple[list | None, Callable[[list[int]], None]]:
    """What ``index`` kept (:meth:`ChainIndex.put_meta`) for the query ``sql`` over ``files``
    (None when nothing, or no index), and the function that keeps an answer for it (a no-op
    without an index): the one pattern of the first-day checks and the text proof, asking the
    index before a query and telling it after."""
    if index is None:
        return None, lambda value: None
    key = index.block_key(sql, params, files)
    return index.get_meta(key), lambda value: index.put_meta(key, value)


def footer_rows(index: ChainIndex | None, sql: str, params: dict,
                run: Callable[[str, dict], list[tuple]]) -> list[tuple]:
    """``run(sql, params)`` over the files ``params["f"]``, or the rows it gave before for the
    same files (path, size, times, inode: :meth:`ChainIndex.block_key`) and the same DuckDB."""
    if index is None:
        return run(sql, params)
    import duckdb
    files = params["f"]
    key = index.block_key(f"{duckdb.__version__}\n{sql}", params, files)
    kept = index.get_rows(key, files)
    if kept is not None:
        return kept
    rows = [tuple(r) for r in run(sql, params)]
    index.put_rows(key, rows, files)
    return rows
