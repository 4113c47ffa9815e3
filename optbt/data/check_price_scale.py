"""Option prices of another unit on some days (premiums in paise, x100): a warning.

A vendor's files of some days may hold premiums in another unit (paise for rupees, cents for
dollars: x100) while the rest are right: a whole day's files, one expiry's, or only the calls
(or the puts) of an expiry. Nothing else looks wrong: every price is positive and below the
spot, the chain and the spot are those of every day, and a run trades the scaled premiums as
written, its P&L on those days 100 times too large. ``data check`` warns,
``premiums_of_another_scale``, comparing each contract's first usable price of a day with its
own last price of its previous day (their ratio), at the median of a group of contracts:

- a day, or one expiry of it, whose median call and median put alike open more than
  :data:`JUMP` times above (or below 1/:data:`JUMP` of) their previous close. A real day moves
  some contracts that much (far out-of-the-money options after a gap), but calls and puts the
  opposite ways; a change of unit moves both alike;
- an expiry whose calls (or puts) open, at their median, more than :data:`JUMP` times above
  their previous close while its puts (calls) stay within :data:`FLAT` of theirs. By put-call
  parity a strike's call and put change by the same amount but for the spot's move (call minus
  put is the forward minus the strike), so the spot's move that lifts the median call 20x, some
  19 times its premium, sinks the puts of those strikes by about as much; it does not leave them
  flat: one side in another unit. Only a jump up is judged this way: one side falling 20x beside a flat other
  side is a real expiry morning (the out-of-the-money side of a chain off the spot dies
  overnight, by time alone, while the in-the-money side keeps its value), so a side in another
  unit on the first days of the data only (whose fall back on the first day in the right unit
  is all there is to see) is not found. Black-Scholes prices can still make such a jump when an
  expiry's strikes (those judged) lie around a middle 4 % or more away from the spot, a day or
  more before its expiry, and the spot gaps 1.5 to 4.5 % toward them (measured on a grid of
  chains, gaps, volatilities and times): the warning says a unit is the likely cause, not the
  only one.

Judged on groups with at least :data:`MIN_CONTRACTS` calls and as many puts that also traded
on an earlier day. The finding names the first day so flagged, its expiry and side, and a
contract, and counts the days.

Apart from the per-row tallies (:mod:`.check_options`) because it compares each contract
across days (its first and last price of each, joined in Python: one row a contract-day).
"""

from __future__ import annotations

from statistics import median

from optbt.data.check_options import option_projection, read_as_bar
from optbt.model.prices import sql_usable

JUMP = 20.0
"""How many times its previous close the median contract must open at to be called rescaled."""
FLAT = 2.0
"""The other side of an expiry stays flat when its median contract opens within this factor of
its previous close (1/2 to 2 times): a quiet morning's calls and puts, out-of-the-money ones
losing a night's time value. An expiry morning's at-the-money ones open at about half (after a
weekend, or at a high volatility, lower): there a side in another unit beside them is missed."""
MIN_CONTRACTS = 3
"""The fewest calls, and puts, with a previous day for a day (or an expiry) to be judged."""

SIDES = {"CE": "calls", "PE": "puts"}


def premiums_of_another_scale(ck, chunks: list[list[str]]) -> None:
    """The warning for days, expiries or one side of an expiry whose premiums jump more than
    JUMP times as only a change of unit moves them."""
    flagged = []  # (day, expiry or None for the whole day, the sides scaled, their ratios, the other side's or None)
    for d, rs in sorted(_ratios(_contract_days(ck, chunks)).items()):
        flagged += _flags(d, rs)
    if not flagged:
        return
    days = len({d for d, *_ in flagged})
    d, e, scaled, rs, other = flagged[0]
    m = _median(rs)
    _, (_, ex, k, o), prev, first, f = min(rs, key=lambda x: abs(x[0] - m))
    sample = {"day": d, "expiry": ex, "strike": k, "opt_type": o, "previous": prev, "first": first}
    example = f"e.g. {ex} {k:g} {o}: {prev:g} then {first:g}"
    if e is None:
        more = f" ({days} days like it)" if days > 1 else ""
        ck.find("warning", "premiums_of_another_scale", f, days,
                f"{d}: the median of {len(rs)} contracts, calls and puts alike, opens at {m:.3g}x its last price of "
                f"the day before ({example}): premiums of another unit in some files (paise or cents, x100)? A real "
                f"day moves calls and puts apart, not both that much; a run trades the prices as written. "
                f"Rescale the price columns of those files{more}", sample)
        return
    which = " and ".join(SIDES[s] for s in scaled)
    more = f" ({len(flagged)} like it in all, on {days} day{'s' if days > 1 else ''})" if len(flagged) > 1 else ""
    said = f"{d}, expiry {e}: the median of its {len(rs)} {which}"
    if other is None:
        said += (f" alike opens at {m:.3g}x its last price of the day before ({example}), while the rest of the day "
                 f"does not: premiums of another unit in that expiry's rows (paise or cents, x100)? A real day moves "
                 f"calls and puts apart, not both that much")
    else:
        rest = SIDES["PE" if scaled == ("CE",) else "CE"]
        said += (f" opens at {m:.3g}x its last price of the day before ({example}), while its {len(other)} {rest} "
                 f"open at {_median(other):.3g}x theirs: {which} in another unit (paise or cents, x100)? A move "
                 f"lifting the {which} that much drops the {rest} of the same strikes (put-call parity), it does not "
                 f"leave them flat")
    ck.find("warning", "premiums_of_another_scale", f, days,
            f"{said}; a run trades the prices as written. Rescale the price columns of those rows (the {which} of "
            f"expiry {e} on {d}){more}", {**sample, "scaled": which})


def _contract_days(ck, chunks: list[list[str]]) -> dict[tuple, list]:
    """(day, contract) -> [first time, first usable price, last time, last price, first file]: a
    contract's day may span files (and chunks), so each chunk's figures are merged here."""
    price = (f"coalesce(CASE WHEN {sql_usable('optbt_c')} THEN optbt_c END, CASE WHEN {sql_usable('optbt_b')} "
             f"AND {sql_usable('optbt_a')} THEN (optbt_b + optbt_a) / 2 END)")
    sql = (f"SELECT optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o, min(optbt_t), arg_min(optbt_p, optbt_t), "
           f"max(optbt_t), arg_max(optbt_p, optbt_t), min(optbt_file) "
           f"FROM (SELECT *, {price} AS optbt_p FROM ({option_projection(ck)}) WHERE {read_as_bar(ck)}) "
           f"WHERE optbt_p IS NOT NULL GROUP BY optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o")
    days: dict[tuple, list] = {}
    for files in chunks:
        for d, u, e, k, o, t0, p0, t1, p1, f in ck.q(sql, {**ck.params(), "f": files}):
            got = days.get((d, (u, e, k, o)))
            if got is None:
                days[(d, (u, e, k, o))] = [t0, p0, t1, p1, f]
                continue
            if t0 < got[0]:
                got[0:2] = t0, p0
            if t1 > got[2]:
                got[2:4] = t1, p1
            got[4] = min(got[4], f)
    return days


def _ratios(days: dict[tuple, list]) -> dict:
    """day -> [(first price / previous day's last, contract, previous price, first price, file)]
    for each contract that also traded on an earlier day (its latest one)."""
    last: dict[tuple, float] = {}  # contract -> its last price on the latest day seen
    ratios: dict = {}
    for (d, c), (_, p0, _, p1, f) in sorted(days.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if c in last:
            ratios.setdefault(d, []).append((p0 / last[c], c, last[c], p0, f))
        last[c] = p1
    return ratios


def _flags(d, rs: list) -> list[tuple]:
    """The day whole if its calls and puts jump alike; else each of its expiries whose calls and
    puts jump alike, or whose calls or puts alone jump up beside a flat other side."""
    if _alike(*_sides(rs)):
        return [(d, None, ("CE", "PE"), rs, None)]
    found = []
    for u, e in sorted({c[:2] for _, c, *_ in rs}, key=str):  # an expiry of an underlying
        calls, puts = _sides([x for x in rs if x[1][:2] == (u, e)])
        if _alike(calls, puts):
            found.append((d, e, ("CE", "PE"), calls + puts, None))
        for side, other in ((calls, puts), (puts, calls)):
            if _lifted_alone(side, other):
                found.append((d, e, (side[0][1][3],), side, other))
    return found


def _sides(rs: list) -> tuple[list, list]:
    return [x for x in rs if x[1][3] == "CE"], [x for x in rs if x[1][3] == "PE"]


def _judged(*groups: list) -> bool:
    return all(len(g) >= MIN_CONTRACTS for g in groups)


def _alike(calls: list, puts: list) -> bool:
    """Calls and puts both open more than JUMP times above their previous close, or both below
    1/JUMP of it: no market moves them alike that much."""
    if not _judged(calls, puts):
        return False
    c, p = _median(calls), _median(puts)
    return (c > JUMP and p > JUMP) or (c < 1 / JUMP and p < 1 / JUMP)


def _lifted_alone(side: list, other: list) -> bool:
    """One side opens more than JUMP times above its previous close while the other side of the
    same expiry stays within FLAT of its own (put-call parity: see the module's docstring)."""
    if not _judged(side, other):
        return False
    return _median(side) > JUMP and 1 / FLAT <= _median(other) <= FLAT


def _median(group: list) -> float:
    """The group's median ratio (of an even count, the mean of the middle two)."""
    return median(r for r, *_ in group)
