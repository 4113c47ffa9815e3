"""Rows a day folder holds that belong to another exchange day: refused by a run.

With ``day_partition`` a run reads a folder's files (``day=2024-01-02/``) for that day only, so
a row whose time, in exchange time, falls on another day is never read where it belongs: its own
day runs without it (a day skipped as ``no_options``, or a chain short of strikes) while the
result looks whole. The usual cause is a zone: timestamps written in UTC (or the vendor's zone)
as naive values, or folders named after the UTC day. ``data check`` counts every such row
(``rows_in_another_days_folder``); a run stops at the first it reads.

Apart from the readers because the queries that meet such rows (a block's chain listing, a
block's spot rows, a day's whole bars) are owned by others: each hands its rows here.
"""

from __future__ import annotations

from datetime import date, datetime

from optbt.data.sql_text import FILE_COL
from optbt.model.errors import DataError
from optbt.model.timestamps import stamp


class RowsInAnotherDaysFolderError(DataError):
    """A row in a day folder whose exchange-time day is another day (see the module's doc).

    The dataset's error, not a day's: the row's own day would run without it, whichever day the
    run meets it on. ``file`` holds the row, ``at`` is its time (known-at, exchange time),
    ``folder`` the day its folder names."""

    dataset_wide = True

    def __init__(self, file: str, what: str, key: str, at: datetime, folder: date, zone: str | None):
        self.file, self.what, self.at, self.folder = file, what, at, folder
        zone_text = f"exchange time, {zone}" if zone else "exchange time: the config sets no timezone"
        super().__init__(
            f"{file}: a row of {what} at {stamp(at)} ({zone_text}) sits in folder {key}={folder.isoformat()}: a run "
            f"reads a folder's files for that day only, so the row would never be read and {at.date().isoformat()} "
            "would run without it. If the timestamps are not exchange time (UTC, say), write them tz-aware, or as "
            "text with their offset (+00:00), and set timezone = \"Area/City\" to the exchange's zone; otherwise "
            "move such rows to their own day's folder. `optbt data check` counts them all "
            "(rows_in_another_days_folder; docs/data.md, 'Time zones')")


def refuse_in_listing(table, key: str, zone: str | None, rows: list[tuple]) -> list[tuple]:
    """The rows of a block's chain listing (file, expiry, strike, unknown type, last time, first
    known, last known) without their last two values, after refusing a file whose rows' times
    fall on another day than its folder's (``table``: the options, with day folders). Rows of
    an option type the config does not name are not judged: a run reads them as no bar."""
    for f, _e, _k, unknown, _t, lo, hi in rows:
        if unknown:
            continue
        day = table.day_of_file(f)
        for at in (lo, hi):
            if at is not None and at.date() != day:
                raise RowsInAnotherDaysFolderError(table.listed(f), table.what, key, at, day, zone)
    return [r[:5] for r in rows]


def refuse_row(table, key: str, zone: str | None, file: str, at: datetime, day: date) -> None:
    """Refuse one row of ``file`` (in ``day``'s folder) known at ``at`` when that is another day."""
    if at.date() != day:
        raise RowsInAnotherDaysFolderError(table.listed(file), table.what, key, at, day, zone)


def in_own_day(table, key: str, zone: str | None, day: date, rows: list[tuple], known: str, src,
               params: dict) -> list[tuple]:
    """A day's rows (known-at time first) read from ``day``'s folder, refused when one falls on
    another day; the file holding it is looked up only then (one more query)."""
    stray = next((r[0] for r in rows if r[0].date() != day), None)
    if stray is None:
        return rows
    found = src._run(f"SELECT {FILE_COL} FROM read_parquet($f, {table.scan}, filename='{FILE_COL}') "
                     f"WHERE {known} = $at ORDER BY 1 LIMIT 1", {**params, "at": stray})
    file = found[0][0] if found else params["f"][0]
    raise RowsInAnotherDaysFolderError(table.listed(file), table.what, key, stray, day, zone)
