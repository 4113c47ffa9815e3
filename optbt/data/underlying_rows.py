"""The underlying's own rows in the options files: never the spot.

Vendors often ship the underlying's (or its future's) bars inside the options file, as rows of
no call or put type with no strike or no expiry. A run never reads them as options (the chain
leaves them out and counts them: ``underlying_rows``) and never as the spot: the spot is the
``[spot]`` table, read whole, every row a price of the underlying. So a dataset without
``[spot]`` is refused saying so, and so is a ``[spot]`` whose files are option files (they
hold the options' expiry, strike and option type): read whole, the options' closes became spot
prices, and the run stopped at "conflicting duplicate rows for spot" without saying why.

Apart from :mod:`optbt.data.table` because it is one rule about two tables, with its message.
"""

from __future__ import annotations

from optbt.model.errors import DataError

SPLIT_HINT = ("write the underlying's rows to a file of their own (DuckDB: COPY (SELECT * FROM 'options.parquet' "
              "WHERE opt_type IS NULL) TO 'spot.parquet', with your files' names and test) and give it as [spot] "
              "path (docs/data.md, 'Contracts that cannot trade')")

NO_SPOT = ("no [spot] table: optbt reads the underlying's price (ATM, strike rules, the spot in conditions) from "
           "[spot] only, and the underlying's own rows in the options files (no call or put type, no strike or "
           "expiry) are not read as the spot; " + SPLIT_HINT)


def refuse_options_as_spot(options_columns, spot) -> None:
    """A DataError when the spot table's files hold the options' expiry, strike and option type
    columns (by the options' names in the config): option files given as ``[spot]``."""
    names = (options_columns.expiry, options_columns.strike, options_columns.opt_type)
    if all(n in spot.types for n in names):
        shown = ", ".join(repr(n) for n in names[:2]) + f" and {names[2]!r}"
        raise DataError(f"spot: {spot.all_files[0]} holds the options' {shown}: it is an option file, but "
                        f"the [spot] table is read whole, every row as the underlying's price (the options' "
                        f"closes too), and the underlying's rows in it are not picked out; {SPLIT_HINT}")
