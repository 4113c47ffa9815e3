"""What the files of one table must agree on before any of them is read, from their footers:
one kind of timestamp (tz-aware or naive), one type per column (or types read as one), every
column the config maps, and a hive folder's value where a file stores the key too.

Apart from :mod:`optbt.data.table` because these are refusals, each with its reason: DuckDB
reads a list of files with the first file's schema and a folder's key over the file's own
value, so a file that disagrees would be read wrong without a word. Each function takes the
:class:`~optbt.data.table.Table` being opened (``unify`` sets how it reads: ``scan``,
``types``, ``cast``) and raises when its files cannot be read as one.
"""

from __future__ import annotations

import re

import duckdb

from optbt.data.files import folder_keys
from optbt.data.footers import kind_of
from optbt.data.source import FolderDisagreesError, MixedTimezonesError, UnreadableFileError, WrongTypeError
from optbt.data.sql_text import is_aware, quote_ident
from optbt.model.errors import DataError


def read_schemas(table, con) -> list[tuple]:
    """(file, column, physical type, logical type) of the columns the config uses, from every
    file's footer (about 0.05 ms a file); one file's table needs none of it.

    Every column name the config gives counts, also one the first file lacks (whose types
    are the table's): a column that only later files hold is then refused by :func:`unify`
    like one that only the first file holds, instead of being read as absent from all."""
    used = {n for f in type(table.columns).model_fields if (n := getattr(table.columns, f))}
    if (len(table.all_files) < 2 and table.hive == "false") or not used:  # hive: see folders_agree
        return []
    try:
        rows = table.footers("SELECT file_name, name, type, coalesce(logical_type, converted_type) "
                             "FROM parquet_schema($f) WHERE name IN (SELECT unnest($n))",
                             {"f": table.all_files, "n": sorted(used)})
    except duckdb.Error as exc:
        text = str(exc).splitlines()[0]
        hit = re.search(r"'([^']+)'", text)
        raise UnreadableFileError(hit.group(1) if hit else table.all_files[0],
                                  f"{table.what}: cannot read the files' schemas: {text}") from None
    return [(table.listed(f), name, physical, logical) for f, name, physical, logical in rows]


def check_zones(table, schemas: list[tuple]) -> None:
    """Refuse a table whose files mix tz-aware and naive timestamps (see MixedTimezonesError).

    DuckDB would read them as one column typed like the first file, silently shifting the
    other kind by the zone's offset.
    """
    ts = table.columns.ts
    if not ts or ts not in table.types or not table.types[ts].startswith("TIMESTAMP"):
        return
    aware: set[str] = set()
    naive: set[str] = set()
    for f, name, _physical, logical in schemas:
        if name == ts:
            (aware if "isAdjustedToUTC=1" in (logical or "") else naive).add(f)
    if aware and naive:
        raise MixedTimezonesError(table.what, sorted(aware)[0], sorted(naive)[0])


def unify(table, con, schemas: list[tuple]) -> None:
    """Read files whose column types differ as one table, and refuse files missing a column.

    DuckDB reads a list of files with the first file's schema: a strike column that is
    int64 in one file (pandas, for a day of whole strikes) and float64 in the next had
    17.5 read as 18 in the chain and no trade that day, silently. From the footers (about
    0.05 ms a file): when a column the config uses has different types across files, every
    query of the table reads by name with the types unified (``union_by_name``: int and
    float as DOUBLE, a date and text as text, which the readers then parse as text); when a
    file lacks a used column that others have, the table is refused naming both files.
    """
    kinds: dict[str, dict[str, tuple]] = {}  # column -> file -> (physical, logical type)
    for f, name, physical, logical in schemas:
        kinds.setdefault(name, {})[f] = (physical, logical)
    for name, by_file in kinds.items():  # columns the files hold themselves (hive keys too, see below)
        # a file need not store a key its folder gives (underlying=NIFTY/): the folder's value
        # is read for every row (folders_agree refuses a file that stores another)
        lacking = [f for f in table.all_files if f not in by_file
                   and not (table.hive == "true" and name.lower() in folder_keys(f))]
        if lacking:
            raise DataError(f"{table.what}: {lacking[0]} has no column '{name}', which {next(iter(by_file))} "
                            f"has: every {table.what} file needs the columns the config maps "
                            f"({len(lacking)} file{'s lack' if len(lacking) > 1 else ' lacks'} it); rewrite "
                            "such files with the column, or split them into a dataset of their own")
    drifting = [name for name, by_file in kinds.items() if len(set(by_file.values())) > 1]
    for name in drifting:  # numbers and dates do not unify (DuckDB cannot cast BIGINT to DATE)
        by_kind: dict[str, str] = {}
        for f, (physical, logical) in kinds[name].items():
            by_kind.setdefault(kind_of(physical, logical), f)
        if "number" in by_kind and "time" in by_kind:
            raise DataError(f"{table.what}: column '{name}' holds numbers in {by_kind['number']} but dates or "
                            f"times in {by_kind['time']}; rewrite the odd files with one type (a yyyymmdd "
                            "number, a date or text) so every file reads alike")
    if drifting:
        table.scan = f"hive_partitioning={table.hive}, union_by_name=true"
        desc = con.execute(f"SELECT * FROM read_parquet($f, {table.scan}) LIMIT 0",
                           {"f": table.all_files}).description
        table.types = {d[0]: str(d[1]).upper() for d in desc}
        # a query of one day's files sees those files' own type: cast to the unified one, so
        # every expression built on it reads each file alike
        table.cast = {name: table.types[name] for name in drifting}


def folders_agree(table, con, schemas: list[tuple]) -> None:
    """Refuse a file that stores a hive key the config reads (``underlying``, a date column)
    with another value than its folder's (a NIFTY file under ``underlying=BANKNIFTY/``).

    With ``hive_partitioning = true`` DuckDB reads the folder's value and ignores the file's
    (2.0.1; which one wins is DuckDB's choice, not the data's), so the underlying filter
    would take those rows for BANKNIFTY's, or a date column put them on the folder's day.
    A key nothing reads (a day folder's ``day`` when no column maps it: the day comes from
    the path) changes nothing and is not judged. Only files whose own footer holds such a
    key are looked at, and by their footers' min/max statistics (no rows read); a file
    whose statistics are missing or inexact has that one column read. NULLs in the file
    are no disagreement: the folder supplies the value they lack.
    """
    candidates: dict[tuple[str, str], str] = {}  # (file, key) -> the folder's value
    for f, name, _, _ in schemas:
        folder = folder_keys(f).get(name.lower())
        if folder is not None:  # schemas hold the columns the config maps only
            candidates[(f, name)] = folder
    if not candidates:
        return
    files = sorted({f for f, _ in candidates})
    keys = sorted({k for _, k in candidates})
    try:
        stats = con.execute("SELECT file_name, path_in_schema, stats_min_value, stats_max_value, "
                            "min_is_exact IS NOT false AND max_is_exact IS NOT false FROM parquet_metadata($f) "
                            "WHERE path_in_schema IN (SELECT unnest($k))", {"f": files, "k": keys}).fetchall()
    except duckdb.Error as exc:
        raise UnreadableFileError(files[0], f"{table.what}: cannot read the footers of {files[0]}: "
                                            f"{str(exc).splitlines()[0]}") from None
    values: dict[tuple[str, str], set] = {}  # the file's own values (None: statistics cannot tell)
    for name, key, lo, hi, exact in stats:
        got = values.setdefault((table.listed(name), key), set())
        if lo is None and hi is None:  # a row group of NULLs only (or without statistics: read below)
            got.add(None)
        elif not exact or lo is None or hi is None:
            got.add(None)
        else:
            got.update((lo, hi))
    wrong: list[tuple[str, str, str, str]] = []  # (file, key, folder's value, file's value)
    for (f, key), folder in sorted(candidates.items()):
        own = values.get((f, key), {None})
        if None in own:  # no statistics to settle it: this file's column alone
            try:
                own = {r[0] for r in con.execute(
                    f"SELECT DISTINCT CAST({quote_ident(key)} AS VARCHAR) FROM read_parquet($f, "
                    f"hive_partitioning=false) WHERE {quote_ident(key)} IS NOT NULL", {"f": [f]}).fetchall()}
            except duckdb.Error as exc:
                raise UnreadableFileError(f, f"{table.what}: cannot read {f}: {str(exc).splitlines()[0]}") from None
        odd = sorted(v for v in own if not _same_value(table, con, key, v, folder))
        if odd:
            wrong.append((f, key, folder, odd[0]))
    if wrong:
        f, key, folder, value = wrong[0]
        raise FolderDisagreesError(table.what, f, key, folder, repr(value), len(wrong))


def _same_value(table, con, key: str, value: str, folder: str) -> bool:
    """Does a file's value of hive key ``key`` (as its footer writes it) say what its folder
    says, as a run compares it? Both read as the key's type (the folder's: ``21000`` and
    ``21000.0`` are one strike); the underlying as a run matches it, case and padding aside."""
    if value == folder:
        return True
    if key == table.columns.underlying:
        return value.strip().upper() == folder.strip().upper()
    kind = table.types.get(key, "VARCHAR")
    if any(n in kind for n in ("INT", "DECIMAL", "FLOAT", "DOUBLE")):  # 21000.5 is not the folder's 21001
        kind = "DOUBLE"
    try:
        a, b = con.execute(f"SELECT TRY_CAST($a AS {kind}), TRY_CAST($b AS {kind})",
                           {"a": value, "b": folder}).fetchone()
    except duckdb.Error:
        return False
    return a is not None and a == b


_NUMBERS = ("DOUBLE", "FLOAT", "DECIMAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "REAL",
            "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")
_TIME_FIX = {
    "ts": "a timestamp, or ISO text (2024-01-02 09:16:00); epoch numbers: pd.to_datetime(df[col], unit='s' "
          "or 'ms'); or give the date and the time of day as date = ... and time = ...",
    "time": "a time of day (TIME) or text HH:MM[:SS]; a whole timestamp: map it as ts instead of date and time",
}


def types_readable(table, con, price: str) -> None:
    """Refuse, when the table opens, a column whose type no query can read as what the config
    maps it to: a strike or price that is not a number, a ``ts`` that is neither a timestamp
    nor text, a ``time`` that is neither a time of day nor text.

    A run read text strikes and prices by a plain cast (right until one row said '21,000' or
    '-', then DuckDB's conversion error, naming no file) while ``data check`` called the same
    files an error; a time of day stored as 92000 or as a timestamp failed every query with
    'Unimplemented type for cast'. Now both refuse it alike, naming the column, a file that
    holds it so, and what to write instead. ``price``: the dataset's (with "mid" an option's
    close is never read, so its type does not matter).
    """
    cols = table.columns
    numbers = ["strike", "bid", "ask", "close"] if table.what == "options" else ["close"]
    if table.what == "options" and price == "mid":
        numbers.remove("close")
    for canon in numbers:
        name = getattr(cols, canon, None)
        kind = table.types.get(name) if name else None
        if kind is not None and not kind.startswith(_NUMBERS):
            f = _file_of_other_kind(table, con, name, ("number",))
            raise WrongTypeError(f, f"{table.what}: column '{name}' ({canon}) in {f} is {kind}, not a number; "
                                    f"rewrite it as numbers (pandas: pd.to_numeric(df['{name}']))")
    for canon, fits, kinds in (("ts", ("TIMESTAMP", "VARCHAR"), ("time", "text")),
                               ("time", ("TIME", "VARCHAR"), ("time", "text"))):
        name = getattr(cols, canon, None)
        kind = table.types.get(name) if name else None
        if kind is None or (kind.startswith(fits) and not (canon == "time" and kind.startswith("TIMESTAMP"))):
            continue
        if canon == "time" and is_aware(kind):
            continue  # TIME WITH TIME ZONE: refused with its own reason (Table.ts_expr)
        f = _file_of_other_kind(table, con, name, kinds)
        what = "a timestamp" if canon == "ts" else "a time of day"
        raise WrongTypeError(f, f"{table.what}: column '{name}' ({canon}) in {f} is {kind}, not {what}; "
                                f"write it as {_TIME_FIX[canon]}")


def _file_of_other_kind(table, con, column: str, kinds: tuple[str, ...]) -> str:
    """The first file whose ``column`` is of none of ``kinds`` (number, time, text). Files whose
    types differ are read with one type for all (:func:`unify`: a number and a text column as
    text), which only the files' own footers tell apart; a column of one type in every file is
    that type in the first."""
    if column not in table.cast:
        return table.all_files[0]
    try:
        rows = con.execute("SELECT file_name, type, coalesce(logical_type, converted_type) FROM parquet_schema($f) "
                           "WHERE name = $c", {"f": table.all_files, "c": column}).fetchall()
    except duckdb.Error:
        return table.all_files[0]
    odd = {table.listed(f) for f, physical, logical in rows if kind_of(physical, logical) not in (*kinds, "null")}
    return next((f for f in table.all_files if f in odd), table.all_files[0])
