"""One read of the option files' row-group statistics, shared by the queries that open a dataset.

A dataset of thousands of files (a file per contract: ~11,000 a year) is opened by three
queries over every file's footer statistics: the days and contracts each file covers
(:meth:`Table._file_spans`), the files holding one underlying (:meth:`Table.one_underlying`)
and the days that certainly hold option rows (:func:`optbt.data.footers.option_days_from_footers`).
Each ``parquet_metadata`` pass opens and parses every footer again: about 0.7-1 s for 11,000
files, three times in a first run. Here the first of them reads the statistics of the columns
the config maps once, into an Arrow table of this connection, and each query runs its own SQL
over that table instead of ``parquet_metadata($f)``: the same rows, as the table holds exactly
what ``parquet_metadata`` gave for the same files (the same function, the same file list).

Used only for the same list of files as the table's (a query over some of them reads their
footers as before: DuckDB may spell a file's name its own way, so a subset is not picked out
of the table by name), only when every column a query asks for is one the table read, and only
for many files. Anything the shared table cannot answer (another column of ``parquet_metadata``,
an error) is asked of the footers directly, so an unreadable file fails as it always did. A
run whose answers the chain index remembers (every run after the first) asks none of these.

Cost: the table lives until the run knows its days (then it is let go), and reading it at once
takes DuckDB more memory than three aggregating passes: measured on 10,902 files, a first run's
peak RSS 311 MB against 267 MB, for 7.12-8.00 s -> 5.77-5.89 s (docs/performance.md).
"""

from __future__ import annotations

import duckdb

MIN_FILES = 64  # below this a footer pass costs a few milliseconds: nothing to share
VIEW = "optbt_footer_stats"
_FROM = "parquet_metadata($f)"
# what the opening queries read of parquet_metadata (a query reading another column goes direct)
_COLUMNS = ("file_name, row_group_id, row_group_num_rows, path_in_schema, type, stats_min_value, "
            "stats_max_value, stats_null_count, min_is_exact, max_is_exact")


class SharedFooterStats:
    """The statistics of ``columns`` in ``files``, read through ``con`` on the first query that
    can use them."""

    def __init__(self, con, files: list[str], columns: set[str]):
        self.con = con
        self.files = frozenset(files)
        self.n = len(files)
        self.columns = frozenset(columns)
        self._read = False  # the table is registered on con
        self._broken = False  # no table to read from (it could not be made, or was let go)
        self.reads = 0  # footer passes made here (tests count them)

    def answer(self, sql: str, params: dict) -> list[tuple] | None:
        """``sql`` (over ``parquet_metadata($f)``) answered from the shared table, or None: the
        caller asks the footers themselves (and meets any error where it always did)."""
        if self._fits(sql, params) and self._ready(params["f"]):
            try:
                return self.con.execute(sql.replace(_FROM, VIEW),
                                        {k: v for k, v in params.items() if k != "f"}).fetchall()
            except duckdb.Error:
                pass  # a column the table does not hold, say
        return None

    def _fits(self, sql: str, params: dict) -> bool:
        files = params.get("f")
        if self._broken or sql.count(_FROM) != 1 or not isinstance(files, list) or len(files) < MIN_FILES:
            return False
        if len(files) != self.n or frozenset(files) != self.files:
            return False
        asked: set[str] = set()  # the column names the query filters on (its other parameters)
        for name, value in params.items():
            if name == "f":
                continue
            if isinstance(value, str):
                asked.add(value)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                asked.update(value)
            else:
                return False  # a parameter of another kind: not a query this table was made for
        # only a query that keeps the rows of the columns it names: the table holds no others
        return bool(asked) and "WHERE path_in_schema" in sql and asked <= self.columns

    def _ready(self, files: list[str]) -> bool:
        if self._read:
            return True
        try:
            # ORDER BY: the rows come compacted (kept as parquet_metadata gives them, a mostly
            # empty chunk a file took ~200 MB for 11,000 files, against ~60 MB); the queries
            # over them group or key their rows by file, so their order is no answer's
            table = self.con.sql(f"SELECT {_COLUMNS} FROM {_FROM} WHERE path_in_schema IN (SELECT unnest($c)) "
                                 "ORDER BY file_name, row_group_id, path_in_schema",
                                 params={"f": files, "c": sorted(self.columns)}).to_arrow_table()
        except duckdb.Error:
            self._broken = True  # the direct query raises the error where it always did
            return False
        self.reads += 1
        self.con.register(VIEW, table)
        self._read = True
        return True

    def close(self) -> None:
        """Let the table go (once the dataset is open and its days known, nothing asks for it);
        a later query reads the footers directly."""
        self._broken = True
        if self._read:
            self._read = False
            try:
                self.con.unregister(VIEW)
            except duckdb.Error:
                pass
