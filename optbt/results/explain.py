"""What a user must be told about a result that is not what it seems: skips and empty results.

Plain text for the command line to print (only ``optbt/cli`` prints): one warning per skip
reason with its count and first days, and — when no day ran or nothing traded — the most
likely cause: dates outside the data, an underlying the data does not hold, or the leg or
condition that blocked entries most often.
"""

from __future__ import annotations

from optbt.results.result import SKIP_REASONS, BacktestResult

FIRST = 3  # days named per skip reason


def skip_warnings(result: BacktestResult) -> list[str]:
    lines = []
    for reason, rows in result.skips().items():
        days = ", ".join(r.day.isoformat() for r in rows[:FIRST]) + (", ..." if len(rows) > FIRST else "")
        what = SKIP_REASONS.get(reason, reason)
        note = next((r.note for r in rows if r.note), "")
        lines.append(f"skipped {len(rows)} day{'s' * (len(rows) != 1)} ({reason}: {what}): {days}"
                     + (f" — {note}" if note else ""))
    return lines


LEFT_OUT = {"expiry_before_day": "listed with an expiry before its trade date",
            "bad_strike": "listed with a missing, NaN or non-positive strike",
            "bad_expiry": "listed with a missing or unreadable expiry",
            "unknown_opt_type": "listed with an option type not in call_values or put_values",
            "underlying_rows": ("of rows that are no option (no call or put type, and no expiry or strike: the "
                                "underlying's own rows?); never traded, the spot is read from [spot] only")}


def left_out_warnings(result: BacktestResult) -> list[str]:
    """Contracts the data lists but no rule may pick (counted once a day each); data check names them."""
    return left_out_lines(result.engine.get("contracts_left_out") or {})


def data_warnings(result: BacktestResult) -> list[str]:
    """What the source found suspicious in the data (bars that look labelled by their start)."""
    return list(result.engine.get("data_hints") or [])


def data_notes(result: BacktestResult) -> list[str]:
    """What is right but slow in the data's layout (option rows in time order), said as a note."""
    return list(result.engine.get("data_notes") or [])


def time_warnings(result: BacktestResult) -> list[str]:
    """The strategy's own times that did nothing (a staggered leg due after the last tick a leg
    opens on, an exit time after the session's close), once a run."""
    return list(result.engine.get("time_warnings") or [])


def param_warnings(result: BacktestResult) -> list[str]:
    """The stops and targets the run's parameter values keep from ever firing (``--param
    tp_pct=100`` on a sold leg's target), once a run."""
    return list(result.engine.get("param_warnings") or [])


def left_out_lines(counts: dict[str, int]) -> list[str]:
    """The warnings for ``{reason: contract-days}`` (a run's, or a sweep's runs')."""
    return [f"left out {n} contract-day{'s' * (n != 1)} {LEFT_OUT.get(k, k)} (optbt data check names the files)"
            for k, n in counts.items()]


# when no day had a spot (or option) bar in the session, or no leg ever had a price: the rows may
# all lie outside it, timestamps of another zone read as exchange time (data check says so)
OUTSIDE_SESSION = ("  if the data's timestamps are UTC (or another zone) but read as exchange time, its rows lie "
                   "outside the session: `optbt data check` shows where they are (timestamps_look_like_utc, "
                   "outside_session)")


def empty_causes(result: BacktestResult) -> list[str]:
    """Why nothing ran or nothing traded, most likely cause first; [] when trades exist."""
    notes = result.notes
    if not result.daily:
        rng = notes.get("data_range")
        asked = f"{result.start or 'the start'} .. {result.end or 'the end'}"
        if rng:
            return [f"no days to run: the dataset has {notes.get('data_days')} days from {rng[0]} to "
                    f"{rng[1]}, none in {asked}. Choose --start/--end inside that range"]
        held = ", ".join(notes.get("underlyings") or []) or "none"
        return [f"no days to run: the dataset has no spot or option rows for underlying "
                f"'{notes.get('underlying')}'; it holds: {held}"]
    if result.trades:
        return []
    ran = [d for d in result.daily if not d.skipped]
    if not ran:
        lines = [f"no trades: all {len(result.daily)} days were skipped (see the warnings above)"]
        if all(d.skip_reason in ("no_spot", "no_options", "no_ticks") for d in result.daily):
            lines.append(OUTSIDE_SESSION)
        return lines
    blocked = notes.get("entry_blocked") or {}
    lines = [f"no trades: entry never filled on any of the {len(ran)} days that ran"]
    for why, info in list(blocked.items())[:3]:
        example = f"; e.g. {info['example']}" if info.get("example") else ""
        lines.append(f"  most often: {why} — {info['days']} day{'s' * (info['days'] != 1)} "
                     f"(first {', '.join(info['first_days'])}{example})")
    if blocked and all(why.endswith("had no price yet") for why in blocked):
        lines.append(OUTSIDE_SESSION)
    lines.append("  see why, tick by tick: optbt run ... --trace " + ran[0].day.isoformat())
    return lines
