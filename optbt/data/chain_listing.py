"""What a day's chain lists: the rules that turn the rows of a block's listing query into each
day's expiries and strikes, counting apart what no rule may pick (an unreadable expiry, a strike
that is no number above zero, an expiry before the day).

Apart from the DuckDB source because these rules are what a listing *means*: the on-disk index
(:mod:`optbt.data.chain_index`) keeps listings under :data:`INDEX_VERSION`, which must change
whenever :func:`listing_of` does, and the two are easiest to keep in step side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from optbt.data.chain_index import Listing
from optbt.model.errors import DataError
from optbt.model.prices import INF

INDEX_VERSION = 4  # of what a chain listing means (the rules in listing_of): a change makes a new index


def listing_of(days: list[date], rows: list[tuple], day_of_file: Callable[[str], date] | None) -> Listing:
    """The block query's rows (file or day, expiry, strike, of no known option type, last time;
    sorted by expiry, strike) as each day's expiries and strikes, with what no rule may pick
    counted apart (rows of no known type first, as data check counts them: underlying_rows when
    they have no expiry or no strike either, else unknown_opt_type).
    ``day_of_file``: with day folders, a row's first value is its file, whose folder names its
    day (:meth:`Table.day_of_file`); else (None) it is the row's day.

    >>> d = date(2024, 1, 2)
    >>> rows = [("a", date(2024, 1, 1), 100.0, False, None), ("a", date(2024, 1, 4), 100.0, False, None),
    ...         ("b", date(2024, 1, 4), 100.0, False, None)]  # file a and file b, both of day d
    >>> listing_of([d], rows, lambda f: d)
    {datetime.date(2024, 1, 2): ({datetime.date(2024, 1, 4): [100.0]}, None, {'expiry_before_day': 1})}
    """
    out: Listing = {d: ({}, None, {}) for d in days}
    last: dict[date, datetime | None] = dict.fromkeys(days)
    counted: set[tuple] = set()  # (day, reason, expiry, strike) left out
    for f, e, k, unknown, t in rows:
        d = day_of_file(f) if day_of_file is not None else f
        entry = out.get(d)
        if entry is None:  # a day with options but outside the calendar's block
            continue
        if t is not None and not unknown and (last[d] is None or t > last[d]):
            last[d] = t
        strikes, _, left = entry
        why = None
        if unknown and (e is None or k is None or not 0 < k < INF):
            why = "underlying_rows"  # no call or put, no expiry or strike: the underlying's own rows
        elif unknown:  # an option type not in call_values/put_values: no bar, its strike not listed by it
            why = "unknown_opt_type"
        elif e is None:  # a missing or unreadable expiry: no rule can pick it
            why = "bad_expiry"
        elif k is None or not 0 < k < INF:  # a NULL, NaN or non-positive strike is no contract
            why = "bad_strike"
        elif e < d:  # an expiry before its trade date cannot trade; never let a rule pick it
            why = "expiry_before_day"
        if why is not None:
            # once a day whatever files hold it (day folders list each file's rows apart)
            key = (d, why, e, "nan" if k != k else k)
            if key not in counted:
                counted.add(key)
                left[why] = left.get(why, 0) + 1
        else:
            by_e = strikes.setdefault(e, [])
            if not by_e or by_e[-1] != k:  # one strike from several files of a day
                by_e.append(k)
    return {d: (strikes, last[d], left) for d, (strikes, _, left) in out.items()}


# two listed strikes closer than this (relative) are one strike in binary noise: real strikes
# differ by a tick of at least 0.01 in 10^5 (1e-7), float32 rounds at 6e-8 (17.55 -> 17.549999237)
_SAME_STRIKE = 1e-6


def written_two_ways(strikes) -> tuple[float, float] | None:
    """The first two of ``strikes`` (sorted) that are one strike in binary noise, or None.

    >>> written_two_ways([20950.0, 20999.999999, 21000.0]), written_two_ways([17.5, 17.55])
    ((20999.999999, 21000.0), None)
    """
    for a, b in zip(strikes, strikes[1:]):
        if b - a <= _SAME_STRIKE * max(abs(a), abs(b), 1.0):
            return a, b
    return None


def refuse_strikes_written_two_ways(chain, what: str = "options") -> None:
    """A DataError when one expiry of ``chain`` lists two strikes that are one strike written
    two ways (21000.0 and 20999.999999: a float32 file beside a float64 one, or a vendor's
    arithmetic). Each is a contract of its own to the chain: ATM picked one, the other side of
    the straddle was 'not listed' under it and the legs never filled, exit 0. Refused for the
    day (a ``data_error`` skip) rather than guessed: which spelling the run should trade
    is the data's to say, by rounding the column (``data check``: strikes_written_two_ways)."""
    for expiry, strikes in chain.strikes.items():
        pair = written_two_ways(strikes)
        if pair is not None:
            raise DataError(f"{what}: {chain.day}, expiry {expiry} lists strikes {pair[0]!r} and {pair[1]!r}: "
                            f"{TWO_WAYS_FIX}")


TWO_WAYS_FIX = ("one strike written two ways (binary noise, e.g. float32 in some files); round the strike "
                "column when writing the files (pandas: df['strike'] = df['strike'].round(2))")
