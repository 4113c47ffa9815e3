"""Which real file a ``data check`` finding names when what failed is not a row it selected.

Every finding's ``where`` is a real path, the first in path order. A row's finding takes the
file from the row; two other failures need this module: opening a table (the message may
name a file, a folder or nothing, and the table's file list may not exist yet) and a query
over many files (DuckDB's message may quote a row's text, never its file). Only the failure
path pays for it.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable

from optbt.model.errors import DataError


class QueryFailed(DataError):
    """A check query failed; ``file`` is the first file (path order) it fails on by itself."""

    def __init__(self, message: str, file: str | None):
        super().__init__(message)
        self.file = file


def listed_files(patterns: list[str]) -> list[str]:
    """The files ``patterns`` find in the order a run lists them (each pattern's matches sorted,
    patterns in config order), links included; for a table that could not be opened.

    >>> listed_files(["/nonexistent/*.parquet"])
    []
    """
    out: list[str] = []
    for pattern in patterns:
        hits = sorted(glob.glob(pattern, recursive=True))
        if not hits and os.path.lexists(pattern):
            hits = [pattern]
        out += [h for h in hits if os.path.isfile(h) or os.path.islink(h)]
    return out


def named_path(text: str, files: list[str]) -> str | None:
    """The one of ``files`` that ``text`` names first (what a refusal is about comes first: "b
    has no column 'close', which a has"); else the first existing absolute path in it (a
    folder that cannot be listed, a dangling link); else None.

    >>> named_path("/x/b.parquet has no column 'close', which /x/a.parquet has", ["/x/a.parquet", "/x/b.parquet"])
    '/x/b.parquet'
    """
    named = [(text.find(f), -len(f), f) for f in files if f in text]
    if named:
        return min(named)[2]
    for m in re.finditer(r"/[^\s'\",;()\[\]]+", text):
        path = m.group(0).rstrip(".:")
        if os.path.lexists(path):
            return path
    return None


def first_failing(files: list[str], fails: Callable[[list[str]], bool]) -> str:
    """The first of ``files`` on which ``fails`` is true by itself, given that it is on all of
    them: the left half is tried first, so about log2(n) queries.

    >>> first_failing(["a", "b", "c", "d"], lambda fs: "c" in fs)
    'c'
    """
    while len(files) > 1:
        half = files[:len(files) // 2]
        files = half if fails(half) else files[len(files) // 2:]
    return files[0]
