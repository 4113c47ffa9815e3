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
            raise DataError(f"{what}: no files match {pattern}, one of the paths in the dataset config"
                            f"{config_line(cfg, what, pattern)} (check it, or remove it from the list)"
                            f"{_csv_advice(pattern)}")
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
    text = [p for p in paths if p.lower().endswith(_TEXT_SUFFIXES)]
    if text:  # read_parquet would stop at it with "No magic bytes found at end of file"
        raise DataError(f"{what}: {text[0]} is a CSV (text) file{f' ({len(text)} such files)' if len(text) > 1 else ''},"
                        f" matched by path{config_line(cfg, what, patterns[0])}{_csv_advice(text[0])}")
    if not paths:
        shown = patterns[0] if len(patterns) == 1 else patterns
        raise DataError(f"{what}: no parquet files match {shown} (path{config_line(cfg, what, patterns[0])}; relative"
                        " paths resolve against the config's folder, or --data-root); check the path and the folder"
                        f"{_csv_advice(patterns[0])}")
    return paths


_TEXT_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".txt")


def _csv_advice(path: str) -> str:
    """How to turn CSV files into the parquet files a dataset reads (for a path naming CSV)."""
    if not path.lower().endswith(_TEXT_SUFFIXES):
        return ""
    return ("; optbt reads parquet, not CSV. Convert CSV files to parquet first, e.g. with DuckDB: COPY (SELECT * FROM read_csv('x.csv')) TO "
            "'x.parquet' (FORMAT parquet); then point path at the parquet files")


def config_line(cfg: DatasetConfig, what: str, resolved: str) -> str:
    r"""Where a table's path is written: `` in /d/dataset.toml, line 7`` (the first line under the
    table's ``[what]`` header that names it), else `` in /d/dataset.toml``, else ``""`` (a config
    not read from a file).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "dataset.toml"
    >>> _ = p.write_text('name = "x"\n[options]\npath = "o.csv"\n[spot]\npath = "s.parquet"\n')
    >>> from optbt.data.dataset import load_dataset
    >>> config_line(load_dataset(p), "options", str(p.parent / "o.csv")) == f" in {p}, line 3"
    True
    """
    file = getattr(cfg, "_file", None)
    if not file:
        return ""
    files = cfg.series[what.removeprefix("series.")] if what.startswith("series.") else getattr(cfg, what, None)
    raw = [files.path] if isinstance(getattr(files, "path", None), str) else list(getattr(files, "path", []) or [])
    written = next((r for r in raw if cfg.resolve(r) == resolved), raw[0] if raw else None)
    try:
        lines = Path(file).read_text(encoding="utf-8-sig").splitlines()
    except OSError:
        return ""
    header = f"[{what}]"
    inside = False
    for n, line in enumerate(lines, 1):
        bare = line.strip()
        if bare.startswith("["):
            inside = bare.split("#")[0].strip() == header
        elif inside and written is not None and written in line:
            return f" in {file}, line {n}"
    return f" in {file}"


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
