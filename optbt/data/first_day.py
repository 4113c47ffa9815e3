"""What a run checks of the data on its first day, before trading it: naive timestamps that look
like UTC and a date column of the exchange's midnights written in UTC (refused:
:mod:`optbt.data.utc_naive`, :mod:`optbt.data.date_midnights`), bars that look labelled by their
start, forward-filled option bars and, without ``timezone``, times that fit the session only
shifted by one offset (warned of: :mod:`optbt.data.label_hint`, :mod:`optbt.data.fill_hint`,
:func:`optbt.data.utc_naive.fitting_offset`).
``data check`` applies these rules to every day.

One query a table (and one for the options' forward-filled bars), over that day's distinct known-at times (a day of options repeats each
minute for every contract), its files bounded as a day's query is. The answer is remembered in
the chain index under the query and the files' stamps, so a later run of the dataset, and every
run of a sweep after the first, asks nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from optbt.data import date_midnights
from optbt.data.chain_index import recall
from optbt.data.fill_hint import forward_filled
from optbt.data.fill_hint import message as fill_message
from optbt.data.label_hint import looks_start_labelled
from optbt.data.label_hint import message as label_message
from optbt.data.stored_window import costly, distinct_times
from optbt.data.utc_naive import (TimestampsLookLikeUtcError, as_utc, fitting_offset, looks_like_utc, naive,
                                  shifted_message)
from optbt.data.utc_naive import message as utc_message

_EPOCH = datetime(1970, 1, 1)
_NONE = -(1 << 62)  # a missing time, in the index's list of ints


def _us(t: datetime | None) -> int:
    return _NONE if t is None else (t - _EPOCH) // timedelta(microseconds=1)


def _at(us: int) -> datetime | None:
    return None if us == _NONE else _EPOCH + timedelta(microseconds=us)


def check_first_day(src, day: date) -> list[str]:
    """The warnings for ``day`` (a run's first); raises TimestampsLookLikeUtcError."""
    cfg, hints = src.config, []
    open_, close = cfg.session.bounds(day)
    start = datetime.combine(day, time())
    end = start + timedelta(days=1)
    for what, key, files_cfg, table, known, shift, und in (
            ("spot", "spot", cfg.spot, src.spot, src._spot_known, src._spot_shift, src._spot_und),
            ("options", "options", cfg.options, src.options, src._opt_known, src._shift, src._opt_und)):
        utc = bool(cfg.timezone) and naive(table)
        label = cfg.label_of(files_cfg) == "end"
        files = table.files_for(day)
        date_midnights.check_first_day(src, what, table, files, day)
        if not files or not (utc or label):
            continue
        n, outside, outside_utc, at, first, last, l_first, l_last, off = _day_times(
            src, table, known, shift, und, files, utc, start, end, open_, close)
        if utc and looks_like_utc(n, outside, outside_utc):
            raise TimestampsLookLikeUtcError(
                utc_message(what, cfg, first.time(), last.time(), outside, n, at, f" of {day} (the run's first day)",
                            "times") + "; `optbt data check` checks every table whole")
        if not cfg.timezone and n and outside > n / 2 and (offset := fitting_offset(first, last, open_, close)):
            hints.append(shifted_message(what, cfg, day, outside, n, first, last, offset))
        if label and looks_start_labelled(cfg, day, l_first, l_last, bool(off)):
            hints.append(label_message(what.removesuffix("s"), cfg, key, f"on {day}, the run's first day,",
                                       l_first, l_last) + " (`optbt data check` judges every day)")
    filled = forward_filled(src, day)
    if filled is not None and filled[1]:
        hints.append(fill_message(src, day, *filled))
    return hints


def _day_times(src, table, known: str, shift, und: str, files: list[str], utc: bool, start: datetime,
               end: datetime, open_: datetime, close: datetime) -> tuple:
    """(times, outside the session, outside it read as UTC (0 unless ``utc``), the first outside,
    first, last; first at or after the open, last at or before the close; any off the minute)."""
    window, bounds = src._window(table, shift, start, end)
    # the day's exact bound goes into the scan where it is a cast (statistics prune on it), else
    # onto the converted distinct times
    exact = "" if costly(table) else f" AND {known} >= $start AND {known} < $end"
    inside = "(optbt_l > $open AND optbt_l <= $close)"
    inside_utc = f"({as_utc('optbt_l')} > $open AND {as_utc('optbt_l')} <= $close)" if utc else "TRUE"
    sql = (f"SELECT count(*), count(*) FILTER (WHERE NOT {inside}), count(*) FILTER (WHERE NOT {inside_utc}), "
           f"min(optbt_l) FILTER (WHERE NOT {inside}), min(optbt_l), max(optbt_l), "
           f"min(optbt_l) FILTER (WHERE optbt_l >= $open), max(optbt_l) FILTER (WHERE optbt_l <= $close), "
           f"bool_or(epoch_us(optbt_l) % 60000000 <> 0) "
           f"FROM {distinct_times(table, known, f'{und}{window}{exact}')} "
           f"WHERE optbt_l >= $start AND optbt_l < $end")
    params = src._params(f=files, und=src._und(), open=open_, close=close, start=start, end=end, **bounds)
    kept, keep = recall(src._chain_index(), sql, params, files)
    if kept is not None and len(kept) == 9:
        n, outside, outside_utc, at, first, last, l_first, l_last, off = kept
        return n, outside, outside_utc, _at(at), _at(first), _at(last), _at(l_first), _at(l_last), off
    (row,) = src._run(sql, params)
    n, outside, outside_utc, at, first, last, l_first, l_last, off = row
    if all(t is None or t.tzinfo is None for t in (at, first, last, l_first, l_last)):
        keep([n, outside, outside_utc, _us(at), _us(first), _us(last), _us(l_first), _us(l_last), int(bool(off))])
    return n, outside, outside_utc, at, first, last, l_first, l_last, int(bool(off))
