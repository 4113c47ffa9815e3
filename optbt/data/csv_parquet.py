"""Results written as parquet: a CSV this package wrote, copied to parquet by DuckDB.

Apart from the DuckDB source, which reads datasets: this is the one place that writes parquet
for results (:mod:`optbt.results`), and it needs nothing of a dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from optbt.data.sql_text import quote_ident
from optbt.model.errors import DataError


def csv_to_parquet(csv_path: str | Path, parquet_path: str | Path, columns: Sequence[tuple[str, str]]) -> None:
    """Write a CSV this package wrote as parquet with the given (name, DuckDB type) columns.

    Results are written with DuckDB, not pyarrow: a run then never imports pyarrow and NumPy
    (about a quarter of a second of start-up) just to save a few hundred rows. The CSV comes
    from Python's csv module (floats as their shortest repr, which DuckDB reads back exactly;
    empty fields are NULL).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("day,pnl\\n2024-01-02,0.1\\n2024-01-03,\\n")
    >>> csv_to_parquet(d / "t.csv", d / "t.parquet", [("day", "DATE"), ("pnl", "DOUBLE")])
    >>> duckdb.sql(f"SELECT * FROM '{d / 't.parquet'}'").fetchall()
    [(datetime.date(2024, 1, 2), 0.1), (datetime.date(2024, 1, 3), None)]
    """
    types = ", ".join(f"{quote_ident(n)}: '{t}'" for n, t in columns)
    src = str(csv_path).replace("'", "''")
    dst = str(parquet_path).replace("'", "''")
    con = duckdb.connect(database=":memory:")
    try:
        con.execute(f"COPY (SELECT * FROM read_csv('{src}', header=true, columns={{{types}}}, "
                    f"nullstr='', quote='\"', escape='\"', auto_detect=false)) TO '{dst}' (FORMAT parquet)")
    except duckdb.Error as exc:
        raise DataError(f"could not write {parquet_path}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
