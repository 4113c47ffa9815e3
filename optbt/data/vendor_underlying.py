"""Whether an unmapped column named as vendors name the underlying (``symbol``, ``root``, ...)
can be left unread.

Left unmapped while the default ``underlying`` column is absent, no row is filtered by
underlying: files holding NIFTY's and BANKNIFTY's rows were read as one chain, and a NIFTY run
sold BANKNIFTY's call, exit 0. Refusing every such column, though, refused the common file of
one underlying whose ``symbol`` holds the trading symbol (``NIFTY24JAN21500CE``) or the
underlying's own name: nothing there needs filtering. So the column is judged by what it holds:

- one value in every row (whatever its spelling): one underlying, fine;
- only the dataset's underlying and its trading symbols (the underlying's name followed by a
  digit, after spaces in OCC's padded roots: ``NIFTY24JAN...``, ``SPY   240119C...``; never
  ``NIFTYNXT50...``, ``BANKNIFTY...`` or ``SPXW...``): fine;
- anything else: refused by the caller, naming values that show it.

The footers' min/max statistics settle most files without reading a row: strings sort
byte-wise, so when the smallest and largest value both start with the name and a digit, every
value between them does too. Otherwise one query looks for a counter-example (it stops at the
first two), which reads the column once per run, and only on this path.
"""

from __future__ import annotations

import duckdb

from optbt.data.sql_text import quote_ident


def _trading_prefix(value: str | None, name: str) -> int | None:
    """How many spaces stand between ``name`` and a digit at the start of ``value`` (OCC pads a
    root to six: ``SPY   240119C00470000``), or None when ``value`` is no trading symbol of it."""
    if not value or not value.startswith(name):
        return None
    rest = value[len(name):]
    digits = rest.lstrip(" ")
    return len(rest) - len(digits) if digits[:1].isdigit() else None


def other_values(con, files: list[str], scan: str, column: str, underlying: str) -> list[str]:
    """Values of ``column`` (text) that show another underlying than ``underlying`` (at most
    two), or ``[]`` when the files hold one underlying."""
    try:
        lo, hi, exact = con.execute(
            "SELECT min(stats_min_value), max(stats_max_value), bool_and(stats_min_value IS NOT NULL AND "
            "stats_max_value IS NOT NULL) FROM parquet_metadata($f) WHERE path_in_schema = $c",
            {"f": files, "c": column}).fetchone()
    except duckdb.Error:
        lo = hi = exact = None
    if exact:
        if lo == hi:
            return []
        # strings sort byte-wise: when the smallest and the largest start with the name, the same
        # run of spaces and a digit, so does every value between them
        for name in {underlying, underlying.upper()}:
            pad = _trading_prefix(lo, name)
            if pad is not None and pad == _trading_prefix(hi, name):
                return []
    name = underlying.upper()
    quoted = quote_ident(column)
    value = f"upper(trim(CAST({quoted} AS VARCHAR)))"
    ours = (f"({value} = $u OR (starts_with({value}, $u) "
            f"AND substr(ltrim(substr({value}, $n + 1)), 1, 1) BETWEEN '0' AND '9'))")
    args = {"f": files, "u": name, "n": len(name)}
    src = f"read_parquet($f, {scan})"
    others = [r[0] for r in con.execute(
        f"SELECT DISTINCT {quoted} FROM {src} WHERE {quoted} IS NOT NULL AND NOT {ours} LIMIT 2", args).fetchall()]
    if len(others) == 1 and con.execute(f"SELECT 1 FROM {src} WHERE {ours} LIMIT 1", args).fetchone() is None:
        return []  # one value in every row, not the dataset's name: its single underlying, spelled its way
    return [str(v) for v in others]
