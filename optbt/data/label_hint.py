"""Minute bars labelled by their start, read as labelled by their end (the default): each bar's
close used at its opening minute, a bar before it was known. A look-ahead of one bar in every
fill and every signal, with nothing in the results to show it.

Vendors differ: NSE minute bars are often stamped 09:15 ... 15:29 (their start), others 09:16
... 15:30 (their end). An end-labelled table whose rows of a day are on whole minutes, with a
row at the session's open, none at its close and one a bar before the close, is most likely
labelled by bar start. That is a guess from the stamps alone, so it is a warning (a run prints
it for its first day, :mod:`optbt.data.first_day`; ``data check`` reports
``bars_look_start_labelled`` over every day), never a refusal: end-labelled bars with a print
at the open and the last bar missing look the same.
"""

from __future__ import annotations

from datetime import date, datetime

from optbt.data.dataset import parse_hhmm
from optbt.data.stored_window import distinct_times


def day_sql(table, known: str, where: str) -> str:
    """SQL: for each day of ``table``'s rows passing ``where`` (distinct known-at times
    ``known``), its first time at or after the open (``$optbt_open``, a TIME), its last at or
    before the close (``$optbt_close``), and whether any time is off the whole minute."""
    return (f"SELECT CAST(optbt_l AS DATE) AS d, "
            f"min(optbt_l) FILTER (WHERE CAST(optbt_l AS TIME) >= $optbt_open), "
            f"max(optbt_l) FILTER (WHERE CAST(optbt_l AS TIME) <= $optbt_close), "
            f"bool_or(epoch_us(optbt_l) % 60000000 <> 0) "
            f"FROM {distinct_times(table, known, where)} WHERE optbt_l IS NOT NULL GROUP BY d ORDER BY d")


def params(config) -> dict:
    return {"optbt_open": parse_hhmm(config.session.start), "optbt_close": parse_hhmm(config.session.end)}


def looks_start_labelled(config, day: date, first: datetime | None, last: datetime | None, off_minute: bool) -> bool:
    """A day whose whole-minute rows start at the open and end a bar before the close."""
    if off_minute or first is None or last is None:
        return False
    open_, close = config.session.bounds(day)
    return first == open_ and last == close - config.bar_length


def message(what: str, config, files_key: str, when: str, first: datetime, last: datetime) -> str:
    """The warning; ``when``: the days it was seen on ("on 2024-01-01, the run's first day,")."""
    return (f"{what} bars look labelled by their start: {when} they run {first:%H:%M}-{last:%H:%M}, from the "
            f"session's open to a bar before its close ({config.session.start}-{config.session.end}), and they "
            f"are read with bar_label = \"end\", so each bar's close is used when the bar opens, "
            f"{config.bar_minutes} minute{'s' * (config.bar_minutes != 1)} before it was known. If the vendor "
            f"stamps bars with their start, set bar_label = \"start\" (for this table alone: under [{files_key}]); "
            f"if they are end-labelled, the bar at the close is missing")
