"""The files a dataset table's paths name, found by name only (none is opened).

Apart from the DuckDB source because finding files is no query: ``optbt data sort`` and the
table (:mod:`optbt.data.table`) find them alike, and a file left out here (a folder this
process cannot list, a broken link, one path of several matching nothing) would take its days
with it without a word, so every such case is refused here, once.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from optbt.data.dataset import DatasetConfig, OptionFiles, SeriesFiles, SpotFiles
from optbt.model.errors import DataError


def find_files(cfg: DatasetConfig, files: OptionFiles | SpotFiles | SeriesFiles, what: str) -> list[str]:
    """The files a table's paths match, by name only (none is opened); a DataError when a
    path of several, or all of them, match nothing, a folder cannot be listed or a link is
    broken: a file left out would take its days with it without a word."""
    patterns = cfg.paths(files)
    paths: list[str] = []
    for pattern in patterns:
        hits = sorted(glob.glob(pattern, recursive=True))
        if not hits and os.path.exists(pattern):
            hits = [pattern]
        if not hits and len(patterns) > 1:  # one path of several finds nothing: say so, never drop it
            raise DataError(f"{what}: no files match {pattern}, one of the paths in the dataset config (check"
                            " it, or remove it from the list)")
        blocked = _unreadable_folders(pattern)
        if blocked:  # glob skips a folder it cannot list: its days would vanish without a word
            raise DataError(f"{what}: cannot read folder {blocked[0]} (permission denied"
                            f"{f', and {len(blocked) - 1} more' if len(blocked) > 1 else ''}); its files would be"
                            " left out. Fix its permissions, or narrow the path in the dataset config")
        for h in hits:
            if os.path.islink(h) and not os.path.exists(h):
                raise DataError(f"{what}: {h} is a symbolic link to a file that does not exist; restore its"
                                " target or remove the link")
        paths.extend(h for h in hits if os.path.isfile(h))
    if not paths:
        raise DataError(f"{what}: no parquet files match {patterns} (check path in the dataset config"
                        " and --data-root)")
    return paths


def _unreadable_folders(pattern: str) -> list[str]:
    """Folders a glob ``pattern`` passes through that this process cannot list (``glob`` skips
    them silently): for ``options/*/*.parquet``, every ``options/*`` folder is tried.

    >>> _unreadable_folders("/nonexistent/*/x.parquet")
    []
    """
    parts = Path(pattern).parts
    out: list[str] = []
    for i in range(1, len(parts)):
        prefix = os.path.join(*parts[:i])
        if not glob.has_magic(prefix) and not glob.has_magic(parts[i]):
            continue
        for folder in (glob.glob(prefix) if glob.has_magic(prefix) else [prefix]):
            if os.path.isdir(folder) and not os.access(folder, os.R_OK | os.X_OK):
                out.append(folder)
    return sorted(set(out))


def folder_keys(path: str) -> dict[str, str]:
    """The hive keys a file's folders give it, in lower case (DuckDB binds names without case),
    with their values: each folder named ``key=value`` (one ``=``, not first), as DuckDB reads
    them with hive partitioning (optbt.data.sort reads them alike).

    >>> folder_keys("/d/Underlying=NIFTY/day=2024-01-02/p.parquet")
    {'underlying': 'NIFTY', 'day': '2024-01-02'}
    """
    folders = path.replace(os.sep, "/").split("/")[:-1]
    return {k.lower(): v for k, v in (f.split("=") for f in folders if f.count("=") == 1 and not f.startswith("="))}
