"""``optbt data sort``: a copy of a dataset whose option files are in the order runs read them.

A run asks, each day, for the bars of the few contracts it holds. Files whose rows are in
time order (a file a month, most vendors' exports) keep every strike in every row group, so
no row group can be skipped and each day's query decodes the whole day, often twice, where a
row group straddles two days. Written with each day's rows sorted by expiry, strike, type and
time, in row groups of ~30,000 rows, the same query decodes a few row groups (README,
"Performance": about a fifth less time a year on a file a month).

The copy mirrors the dataset folder: every option file is rewritten under the same relative
name with the same columns and rows (checked file by file: row count and an order-free hash
of every row, before the file is moved into place), spot and series files are hard-linked
(copied when the folder is on another file system), and the config is copied as it is, so
the copy is a dataset of its own (``optbt run ... --data OUT``). Nothing in the source
folder is written, and no row is dropped, mended or de-duplicated: runs on the copy read
exactly what they read on the original, faster.

``split_days``: an option file holding several exchange days becomes one file a day beside
its place, ``<name>.<YYYY-MM-DD>.parquet`` (rows with no time: ``<name>.no-time.parquet``),
each sorted as above. A day's query then weighs one small file instead of every row group
of a month (README, "Performance"). The copied config must find exactly those files (a glob
such as ``options/*.parquet`` does; a config naming ``options/2024-01.parquet`` does not):
that is checked after writing, and the copy is refused and removed otherwise.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from optbt.data.dataset import DatasetConfig, load_dataset
from optbt.data.duckdb_source import DuckDBSource
from optbt.data.files import find_files
from optbt.data.sql_text import bound, quote_ident
from optbt.data.table import Table
from optbt.model.errors import ConfigError, DataError

ROW_GROUP_ROWS = 30_720  # rows per row group written: a day's few contracts fall in few of them
MAX_ROW_GROUP_ROWS = 10_000_000
_COPY = ("COPY (SELECT {cols} FROM {rows} WHERE {where} ORDER BY {order}) "
         "TO {to} (FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE {row_group})")
_CODECS = {"UNCOMPRESSED": "uncompressed", "SNAPPY": "snappy", "GZIP": "gzip", "ZSTD": "zstd",
           "BROTLI": "brotli", "LZ4": "lz4", "LZ4_RAW": "lz4_raw"}
_SELECT = "SELECT * FROM read_parquet($f, hive_partitioning=false)"  # a file's own columns, no hive keys


@dataclass(frozen=True)
class SortReport:
    """What ``sort_dataset`` wrote."""

    out: Path
    option_files: int
    rows: int
    linked: int  # spot and series files hard-linked into the copy
    copied: int  # spot and series files copied (the copy is on another file system)
    written: int = 0  # option files written (more than option_files when split by day)


def _sql_text(path: str) -> str:
    """A path as a SQL string literal (COPY ... TO takes no parameter)."""
    return "'" + path.replace("'", "''") + "'"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _relative(files: list[str], root: Path, what: str) -> list[tuple[str, str]]:
    """(file, its path relative to the dataset folder as the config names it) for each file;
    refuses a file outside the folder. Taken by name, not through symlinks: a folder of the
    dataset that is a link (to a bigger disk) keeps its name in the copy, where the copied
    config looks for it."""
    out = []
    base = os.path.abspath(root)
    for f in files:
        rel = os.path.relpath(os.path.abspath(f), base)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
            raise ConfigError(f"{what} file {f} lies outside the dataset folder {root}: data sort mirrors "
                              "that folder, so every data file must be under it (give --data-root, or "
                              "move the files and make the config's paths relative)")
        out.append((f, rel))
    return out


def _check_out(out: Path, root: Path) -> None:
    if any(c in str(out.absolute()) for c in "*?["):
        raise ConfigError(f"--out {out}: give a folder name without *, ? or [ (optbt reads a config's paths "
                          "as glob patterns, so the copy could not be read)")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"--out {out}: exists and is not an empty folder; give a new folder")
    if _inside(out, root) or _inside(root, out):
        raise ConfigError(f"--out {out}: give a folder outside the dataset folder {root} (a copy inside it "
                          "would be matched by the config's own globs)")


def _cost_file(config: DatasetConfig, root: Path, config_file: Path) -> list[tuple[str, str]]:
    """The dataset's ``[costs] preset`` file, when it is a file named relative to the dataset
    folder (the copy's config names it there too); a preset name or an absolute path needs none."""
    spec = config.costs.preset
    if not spec or Path(spec).expanduser().is_absolute():
        return []
    path = Path(root) / spec
    if not path.is_file():
        return []  # a preset by name (nse, us), or a file that is missing for the source's runs too
    try:
        return _relative([str(path)], root, "costs preset")
    except ConfigError:
        raise ConfigError(f"{config_file}: [costs] preset {spec!r} lies outside the dataset folder {root}, so "
                          "the copy's config would name another file; give its absolute path, or move it "
                          "into the dataset folder") from None


def _series_files(config: DatasetConfig, root: Path) -> list[tuple[str, str]]:
    """Every ``[series.NAME]`` file, by name: the copy links them as they are, so none is opened
    (a file a run never reads, of a series no strategy uses, is no reason to refuse the copy).
    A series whose paths match nothing is refused: the copy would not be the dataset the
    config describes, and the fix is the user's (restore the files, fix the path, or remove
    the table)."""
    out = []
    for name, files in config.series.items():
        what = f"series.{name}"
        try:
            found = find_files(config, files, what)
        except DataError as exc:
            raise DataError(f"{exc}. data sort copies every file the config names: restore the files or fix the "
                            f"path; if no strategy reads {what}, remove [{what}] from the config. Then sort "
                            "again (nothing was written)") from None
        out += _relative(found, root, what)
    return out


def _link_or_copy(src: str, dst: Path) -> bool:
    """Hard-link ``src`` at ``dst``; copy it when that is not possible. True when linked."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
        return True
    except OSError:
        shutil.copy2(src, dst)
        return False


def sort_dataset(config: DatasetConfig, config_file: Path, out: Path, *, row_group_rows: int = ROW_GROUP_ROWS,
                 split_days: bool = False, progress: Callable[[int, int, str], None] | None = None) -> SortReport:
    """Write a copy of the dataset under ``out`` with its option files sorted for reading.

    ``config_file`` is the config ``config`` was read from (copied verbatim as
    ``out/dataset.toml``); ``progress(done, total, file)`` is called before each option file
    is sorted (``done`` of ``total`` finished) and once at the end. ``split_days``: a file of
    several days is written as a file a day (see the module docstring).
    Raises ConfigError for a bad ``out`` or a data file outside the dataset folder, DataError
    when a file cannot be read, or when a written file does not hold its source's rows
    (nothing is left half-written: each file is written beside its place, checked, then moved).
    """
    if not 1_000 <= row_group_rows <= MAX_ROW_GROUP_ROWS:
        raise ConfigError(f"--row-group-rows must be from 1000 to {MAX_ROW_GROUP_ROWS:,}, got {row_group_rows}")
    root = Path(config.root or config_file.parent)
    out = Path(out).expanduser()
    _check_out(out, root)
    for files in (config.options, config.spot, *config.series.values()):
        for pattern in [files.path] if isinstance(files.path, str) else files.path:
            if Path(pattern).expanduser().is_absolute():
                raise ConfigError(f"{config_file}: path {pattern!r} is absolute, so a copy of the config would "
                                  "still read the original files; make the config's paths relative to the "
                                  "dataset folder (or give --data-root) and sort again")
    src = DuckDBSource(config, read_ahead=False)
    made = not out.exists()
    try:
        options = _relative(src.options.all_files, root, "options")
        others = _relative(src.spot.all_files, root, "spot")
        others += _series_files(config, root)
        others += _cost_file(config, root, config_file)
        o = src.options
        day = f"CAST({src._opt_known} AS DATE)"  # the exchange day a row is known on
        key = [day, src._raw_expiry, src._raw_strike, o.col("opt_type"), src._opt_known]
        und = o.col("underlying", required=False)
        if und:  # symbols kept apart within a day
            key.insert(1, und)
        params = src._params()
        try:
            out.mkdir(parents=True, exist_ok=True)
            rows = 0
            made_files: list[Path] = []
            checked = False
            if split_days:  # the copy's config is there to be asked which files it finds
                shutil.copyfile(config_file, out / "dataset.toml")
            for n, (path, rel) in enumerate(options):
                if progress:  # the file being sorted now
                    progress(n, len(options), rel)
                if split_days:
                    count, names = _split_file(src.con, path, out / rel, key, day, params, row_group_rows, o.hive)
                    if not checked and len(names) > 1:  # new names: refused at once if the config misses them
                        _check_found(out, config, made_files + names, all_written=False)
                        checked = True
                else:
                    count, names = _sort_file(src.con, path, out / rel, key, params, row_group_rows, o.hive), [out / rel]
                rows += count
                made_files += names
            if progress:
                progress(len(options), len(options), "")
            linked = copied = 0
            written = {rel for _, rel in options}
            for path, rel in dict.fromkeys(others):  # a file both spot and series is placed once
                if rel in written:  # also an options file: its sorted copy holds the same rows
                    continue
                written.add(rel)
                if _link_or_copy(path, out / rel):
                    linked += 1
                else:
                    copied += 1
            shutil.copyfile(config_file, out / "dataset.toml")
            if split_days:
                _check_found(out, config, made_files)
        except OSError as exc:
            raise DataError(f"--out {out}: cannot write {exc.filename or out}: {exc.strerror or exc}") from None
    except BaseException:
        _remove_copy(out, made)  # an error or Ctrl-C: no half-made copy is left to be run
        raise
    finally:
        src.close()
    return SortReport(out=out, option_files=len(options), rows=rows, linked=linked, copied=copied,
                      written=len(made_files))


def _remove_copy(out: Path, made: bool) -> None:
    """Remove what this sort wrote: the folder it made, or the contents of the empty folder it
    was given."""
    if made:
        shutil.rmtree(out, ignore_errors=True)
    elif out.is_dir():
        for p in out.iterdir():
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() and not p.is_symlink() else p.unlink(missing_ok=True)


def _codec(con, path: str) -> str:
    """The compression of the source file (its first column chunk's), kept in the copy: the
    copy reads as fast as the source where the query is the same; zstd when it is one DuckDB
    cannot write."""
    row = con.execute("SELECT compression FROM parquet_metadata($f) LIMIT 1", {"f": [path]}).fetchone()
    return _CODECS.get(str(row[0]).upper() if row else "", "zstd")


def _check_found(out: Path, config: DatasetConfig, made: list[Path], all_written: bool = True) -> None:
    """The copy's config must find exactly the option files written (new names when split);
    ``all_written=False``: only that it finds those written so far."""
    copy = load_dataset(out)  # as a run on the copy reads it
    con = duckdb.connect()
    try:
        found = {Path(f).resolve() for f in Table(con, copy, copy.options, "options").all_files}
    except DataError:  # it finds no file at all
        found = set()
    finally:
        con.close()
    wanted = {p.resolve() for p in made}  # both real paths: --out may lie under a linked folder
    if found != wanted and (all_written or not wanted <= found):
        missing = sorted(os.path.relpath(p, out.resolve()) for p in wanted - found)
        extra = sorted(os.path.relpath(p, out.resolve()) for p in found - wanted)
        what = (f"does not match {missing[0]}" + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
                if missing else f"also matches {extra[0]}")
        raise ConfigError(f"--split-days: the config's options path {config.options.path!r} {what}, so the "
                          "copy would not read the files a day; use a glob such as 'options/*.parquet' in the "
                          "config (the files become NAME.YYYY-MM-DD.parquet beside each source file) or sort "
                          "without --split-days; nothing was kept")


def _split_file(con, path: str, dst: Path, key: list[str], day: str, params: dict, row_group_rows: int,
                hive: str) -> tuple[int, list[Path]]:
    """Write ``path``'s rows as one sorted file per exchange day beside ``dst``
    (``NAME.YYYY-MM-DD.parquet``; ``NAME.no-time.parquet`` for rows without a time); a file
    of one day keeps its name. (rows, files written), checked together against the source."""
    sql = f"SELECT DISTINCT {day} FROM read_parquet($f, hive_partitioning={hive})"
    try:
        days = [r[0] for r in con.execute(sql, bound(sql, {**params, "f": [path]})).fetchall()]
    except duckdb.Error as exc:
        raise DataError(f"options file {path}: cannot be read: {str(exc).splitlines()[0]}") from None
    if len(days) <= 1:
        return _sort_file(con, path, dst, key, params, row_group_rows, hive), [dst]
    stem = dst.name[:-len(".parquet")] if dst.name.endswith(".parquet") else dst.name
    parts = [(d, dst.with_name(f"{stem}.{d.isoformat() if d is not None else 'no-time'}.parquet"))
             for d in sorted(days, key=lambda d: (d is None, d))]
    written: list[Path] = []
    try:
        for d, part in parts:
            where = f"{day} IS NULL" if d is None else f"{day} = $optbt_day"
            _sort_file(con, path, part, key, {**params, "optbt_day": d}, row_group_rows, hive, where=where,
                       check=False)
            written.append(part)
        check = f"SELECT count(*), sum(hash(t)) FROM ({_SELECT}) t"
        before = con.execute(check, {"f": [path]}).fetchone()
        after = con.execute(check, {"f": [str(p) for p in written]}).fetchone()
    except duckdb.Error as exc:
        raise DataError(f"options file {path}: cannot be split by day: {str(exc).splitlines()[0]}") from None
    if before != after:
        raise DataError(f"options file {path}: its files a day do not hold the same rows ({before[0]:,} rows "
                        f"read, {after[0]:,} written); nothing was kept")
    return int(before[0]), written


def _sort_file(con, path: str, dst: Path, key: list[str], params: dict, row_group_rows: int, hive: str,
               where: str = "TRUE", check: bool = True) -> int:
    """Write ``path``'s rows sorted by ``key`` (expressions, as a run reads the file) to
    ``dst``; the rows written, checked.

    The file's own columns are written (not hive folder keys, which the copy's folders keep),
    but the order may use those keys, as the config may map a column to one. ``where``: only
    those rows (a day of a file being split); ``check=False`` leaves the check to the caller."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".optbt-sorting")
    try:
        own = [d[0] for d in con.execute(f"{_SELECT} LIMIT 0", {"f": [path]}).description]
        # DuckDB renames a column whose name another one has already, up to case (x -> x_1):
        # the copy would not have the file's columns
        stored = {r[0] for r in con.execute("SELECT name FROM parquet_schema($f)", {"f": [path]}).fetchall()}
        renamed = [c for c in own if c not in stored]
        if renamed:
            raise DataError(f"options file {path}: two columns share a name (up to case), so DuckDB reads one "
                            f"as {', '.join(renamed)} and cannot write them apart; rename one and sort again")
        shadowed = _shadowed(path, own) if hive == "true" else []
        if shadowed:
            rows, cols, where, order = _beside_folder_keys(path, own, shadowed, key, where)
        else:
            rows, cols = f"read_parquet($f, hive_partitioning={hive})", ", ".join(map(quote_ident, own))
            order = ", ".join(f"{k} NULLS LAST" for k in key)
        sql = _COPY.format(cols=cols, rows=rows, where=where, order=order, to=_sql_text(str(tmp)),
                           row_group=int(row_group_rows), codec=_codec(con, path))
        con.execute(sql, bound(sql, {**params, "f": [path]}))
        if not check:
            os.replace(tmp, dst)
            return 0
        # same rows, in any order: the count and the sum of every row's hash, source and copy
        sums = f"SELECT count(*), sum(hash(t)) FROM ({_SELECT}) t"
        before = con.execute(sums, {"f": [path]}).fetchone()
        after = con.execute(sums, {"f": [str(tmp)]}).fetchone()
    except duckdb.Error as exc:
        tmp.unlink(missing_ok=True)
        raise DataError(f"options file {path}: cannot be sorted: {str(exc).splitlines()[0]}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if before != after:
        tmp.unlink(missing_ok=True)
        raise DataError(f"options file {path}: the sorted copy does not hold the same rows "
                        f"({before[0]:,} rows read, {after[0]:,} written); nothing was kept for it")
    os.replace(tmp, dst)
    return int(before[0])


def _folder_keys(path: str) -> list[str]:
    """The hive keys DuckDB reads from ``path``'s folder names: each folder named ``key=value``
    (one ``=``, not first), the file's own name aside.

    >>> _folder_keys("/data/underlying=NIFTY/day=2024-01-02/part-0.parquet")
    ['underlying', 'day']
    """
    folders = path.replace(os.sep, "/").split("/")[:-1]
    return [f.split("=")[0] for f in folders if f.count("=") == 1 and not f.startswith("=")]


def _shadowed(path: str, own: list[str]) -> list[str]:
    """The file's own columns that a folder key of the same name (up to case, as DuckDB binds
    names) hides from a hive read: ``date=2024-01-02/`` over a file that keeps its ``date``
    column too (pandas and Spark writers may). A run reads the folder's value; the file's own
    value is what the copy must keep."""
    keys = {k.lower() for k in _folder_keys(path)}
    return [c for c in own if c.lower() in keys]


def _beside_folder_keys(path: str, own: list[str], shadowed: list[str], key: list[str],
                        where: str) -> tuple[str, str, str, str]:
    """(rows, columns, where, order) of a COPY of a file whose own columns ``shadowed`` share
    a name with its folder keys: the rows read once as stored, beside the folder keys as a run
    reads them (one value a file), so the order and ``where`` are a run's and the columns
    written are the file's own values. A hive read alone would write the folder's value in
    place of the file's (another type, or another day), and the copy would be refused as not
    holding its source's rows. The sort key and ``where`` are worked out inside, under names
    of their own: a column written back under its name would take the place of the folder
    key's in a plain ``ORDER BY name``."""
    hidden = {c: f"optbt_own_{i}" for i, c in enumerate(shadowed)}
    renamed = ", ".join(f"{quote_ident(c)} AS {quote_ident(n)}" for c, n in hidden.items())
    folder = ", ".join(map(quote_ident, dict.fromkeys(_folder_keys(path))))
    keys = ", ".join(f"{k} AS optbt_sort_{i}" for i, k in enumerate(key))
    rows = (f"(SELECT *, {keys}, ({where}) AS optbt_sort_keep FROM "
            f"(SELECT * RENAME ({renamed}) FROM read_parquet($f, hive_partitioning=false)) CROSS JOIN "
            f"(SELECT DISTINCT {folder} FROM read_parquet($f, hive_partitioning=true)))")
    cols = ", ".join(f"{quote_ident(hidden[c])} AS {quote_ident(c)}" if c in hidden else quote_ident(c) for c in own)
    order = ", ".join(f"optbt_sort_{i} NULLS LAST" for i in range(len(key)))
    return rows, cols, "optbt_sort_keep", order
