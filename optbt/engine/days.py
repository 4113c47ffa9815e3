"""Which days a run visits, which underlying it may trade, when entries stop, why none filled.

Small questions the loop asks once per run or once per day, kept out of the loop so that it
reads as the state machine it is.

- **Days**: the union of the days with spot bars and the days with option rows in the range.
  A day with options but no spot is visited (and skipped as ``no_spot``), never dropped.
- **Underlying**: a strategy naming an underlying the dataset does not hold is an error at
  run start that lists what the dataset holds (else: zero trades and no word); so is one
  other than the dataset's when the spot or option files have no underlying column (they
  are the dataset's underlying's: another would be priced off them without a word).
- **Entry deadline**: no entry at or after the strategy's exit time — ``entry_until`` when
  the class sets a time, else (by default) its ``exit_time`` parameter when it declares one.
- **Why no entry**: the leg that blocked most, and why: no price yet, a price too old, or a
  contract the day's chain does not list.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from optbt.data.source import DataSource
from optbt.model.errors import ConfigError, DataError


def run_days(source: DataSource, start: date | None, end: date | None) -> list[date]:
    """Days with spot bars or option rows in [start, end], in order.

    ``option_days`` is optional on a DataSource: one without it gives the spot's days only.
    """
    days = set(source.trading_days(start, end))
    option_days = getattr(source, "option_days", None)
    if option_days is not None:
        days.update(option_days(start, end))
    return sorted(days)


def dataset_underlyings(source: DataSource) -> list[str]:
    """The underlyings the dataset holds (its configured one when the files have no such column)."""
    listed = getattr(source, "underlyings", None)
    found = listed() if listed is not None else []
    return sorted(found) or [source.config.underlying]


def data_hints(source: DataSource, kind: str = "hints") -> list[str]:
    """Warnings the source found in the data (optbt/data/label_hint.py), or with ``kind="notes"``
    what is right but slow in its layout (optbt/data/row_order.py), also through the wrappers
    that hand it on (the memo, the shared cache: ``.source``)."""
    while source is not None:
        hints = getattr(source, kind, None)
        if hints is not None:
            return list(hints)
        source = getattr(source, "source", None)
    return []


def check_underlying(source: DataSource, strategy: Any) -> None:
    """A ConfigError when the strategy's ``underlying`` is not one the dataset holds."""
    wanted = getattr(strategy, "underlying", None)
    if not wanted or str(wanted).upper() == str(source.config.underlying).upper():
        return  # the configured one: checked (cheaply) by the days the run finds
    try:
        held = dataset_underlyings(source)
    except DataError:
        return
    if str(wanted).upper() not in {u.upper() for u in held}:
        raise ConfigError(f"{type(strategy).__name__} trades underlying '{wanted}', which dataset "
                          f"'{source.config.name}' does not hold; it holds: {', '.join(held)}. "
                          "Fix the strategy's underlying (or point --data at a dataset that has it)")
    # a table without an underlying column is the configured underlying's: reading it for
    # another would price BANKNIFTY's options off NIFTY's spot (or the reverse), without a word
    lacking = getattr(source, "without_underlying", None)
    for what in lacking() if lacking is not None else []:
        raise ConfigError(f"{type(strategy).__name__} trades underlying '{wanted}', but the {what} files have no "
                          f"underlying column: they are read as {source.config.underlying}'s (the dataset's "
                          f"underlying), never another's. Add the underlying's name to the {what} files and "
                          f"map it under [{what}.columns] (underlying = \"...\"), or give {wanted} a dataset "
                          f"of its own with underlying = \"{wanted}\"")


def entry_deadline(strategy: Any) -> str | None:
    """"HH:MM" from which the engine tries no entry (``Strategy.entry_until``), or None.

    ``entry_until = "exit_time"`` (the default) takes the strategy's ``exit_time`` parameter
    when it has one; a compiled .strat strategy sets None and guards entries by its exit rules.
    """
    from optbt.engine.strategy import has_seconds, normalise_time
    value = getattr(strategy, "entry_until", None)
    inferred = value == "exit_time"
    if inferred:
        value = getattr(strategy, "exit_time", None)
    if value is None or value == "":
        return None
    try:  # whole minutes, as every time parameter: "15:14:30" is refused, never cut to 15:14
        return normalise_time(value, "entry_until")
    except ValueError:
        if inferred and not has_seconds(value):  # an exit_time that is not a time of day (say, minutes): no deadline
            return None
        name = "exit_time (the entry deadline by default)" if inferred else "entry_until"
        raise ConfigError(f"{type(strategy).__name__}.{name} must be a time of day in whole minutes like "
                          f"15:15 (the clock compares HH:MM), got {value!r}") from None


def listed(run: Any, instrument: Any) -> bool:
    """Whether the day's chain lists ``instrument``'s expiry and strike (a strike typed by hand,
    ``add(21025, CE, SELL)`` on a 50-point chain, never has a price that day)."""
    chain = getattr(run, "chain", None)
    return chain is None or instrument.strike in chain.strikes_for(instrument.expiry)


def note_session_times(strategy: Any, run: Any) -> None:
    """On a day without an entry, add to ``run.window_notes`` why the strategy's own times kept
    it from being tried: an entry window or time outside the session, an exit time at or before
    its open. Only a strategy that knows its times says (a compiled .strat file:
    ``DslStrategy._session_notes``); a Python strategy's ``entry()`` is its own code."""
    notes = getattr(strategy, "_session_notes", None)
    session = getattr(run, "session", None)
    if notes is None or session is None or not isinstance(session[0], datetime):
        return
    open_, close = session
    for why in notes(f"{open_:%H:%M}", f"{close:%H:%M}", run.times, run.entry_end):
        run.window_notes[why] = None


def note_time_warnings(strategy: Any, run: Any) -> None:
    """Set ``run.time_notes``: the strategy's own times that do nothing today though the day
    may trade (a staggered leg due after the last tick a leg opens on, an exit time after the
    day's last tick), for the run's warnings and ``--trace``. Only a compiled .strat file knows
    its times (``DslStrategy._time_warnings``)."""
    warn = getattr(strategy, "_time_warnings", None)
    session = getattr(run, "session", None)
    if warn is None or session is None or not isinstance(session[0], datetime):
        return
    open_, close = session
    run.time_notes = warn(f"{open_:%H:%M}", f"{close:%H:%M}", run.times, run.entry_end)


def why_no_entry(run: Any) -> tuple[str, str]:
    """(the most frequent reason a day's entries failed, in words; an example instrument).
    What ``run.window_notes`` says (a range or an entry time outside the session) follows an
    entry never tried, or not tried for a reason the strategy gave (the exit rule holds)."""
    windows = "".join("; " + why for why in getattr(run, "window_notes", ()))
    if not run.blocked:
        until = (f" before the exit time {run.times[run.entry_end]}, after which no entry is tried"
                 if run.entry_end < run.last else "")
        return ("entry never tried to fill" + until + " (the entry condition never held, or "
                "entry() never called try_fill)" + windows, "")
    (key, inst, kind), _ = max(run.blocked.items(), key=lambda kv: kv[1])
    example = "" if inst is None else str(inst)
    if kind == "no_price":
        if inst is not None and not listed(run, inst):
            return f"leg '{key}' asked for a contract not listed that day (no such strike for its expiry)", example
        return f"leg '{key}' had no price yet", example
    if kind == "stale":
        return f"leg '{key}' had only a price older than entry_max_lag={run.max_lag} ticks", example
    return kind + windows, example  # a reason the strategy gave (Strategy.note_blocked)
