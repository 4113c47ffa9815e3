"""Option prices of another unit on some days (premiums in paise, x100): a warning.

A vendor's files of some days may hold premiums in another unit (paise for rupees, cents for
dollars: x100) while the rest are right. Nothing else looks wrong: every price is positive and
below the spot, the chain and the spot are those of every day, and a run trades the scaled
premiums as written, its P&L on those days 100 times too large. ``data check`` warns,
``premiums_of_another_scale``, of a day on which the contracts' first usable price is, for
the median call and for the median put alike, more than :data:`JUMP` times above (or below)
the same contract's last price of its previous day. A real day moves some contracts that much
(far out-of-the-money options after a gap), but calls and puts the opposite ways; a change of
unit moves both alike. Judged on days with at least :data:`MIN_CONTRACTS` calls and as many
puts that also traded on an earlier day.

Apart from the per-row tallies (:mod:`.check_options`) because it compares each contract
across days (its first and last price of each, joined in Python: one row a contract-day).
"""

from __future__ import annotations

from statistics import median

from optbt.data.check_options import option_projection, read_as_bar
from optbt.model.prices import sql_usable

JUMP = 20.0
"""How many times its previous close the median contract must open at to be called rescaled."""
MIN_CONTRACTS = 3
"""The fewest calls, and puts, with a previous day for a day to be judged."""


def premiums_of_another_scale(ck, chunks: list[list[str]]) -> None:
    """The warning for days whose calls and puts jump by more than JUMP times, alike."""
    price = (f"coalesce(CASE WHEN {sql_usable('optbt_c')} THEN optbt_c END, CASE WHEN {sql_usable('optbt_b')} "
             f"AND {sql_usable('optbt_a')} THEN (optbt_b + optbt_a) / 2 END)")
    sql = (f"SELECT optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o, min(optbt_t), arg_min(optbt_p, optbt_t), "
           f"max(optbt_t), arg_max(optbt_p, optbt_t), min(optbt_file) "
           f"FROM (SELECT *, {price} AS optbt_p FROM ({option_projection(ck)}) WHERE {read_as_bar(ck)}) "
           f"WHERE optbt_p IS NOT NULL GROUP BY optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o")
    days: dict[tuple, list] = {}  # (day, contract) -> [first time, first price, last time, last price, file]
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
    last: dict[tuple, float] = {}  # contract -> its last price on the latest day seen
    ratios: dict = {}  # day -> [(ratio, contract, previous price, first price, file)]
    for (d, c), (_, p0, _, p1, f) in sorted(days.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if c in last:
            ratios.setdefault(d, []).append((p0 / last[c], c, last[c], p0, f))
        last[c] = p1
    flagged = []
    for d in sorted(ratios):
        rs = ratios[d]
        sides = [[r for r, c, *_ in rs if c[3] == side] for side in ("CE", "PE")]
        if min(len(x) for x in sides) < MIN_CONTRACTS:
            continue
        calls, puts = (median(x) for x in sides)
        if (calls > JUMP and puts > JUMP) or (calls < 1 / JUMP and puts < 1 / JUMP):
            m = median(r for r, *_ in rs)
            flagged.append((d, m, len(rs), min(rs, key=lambda x: abs(x[0] - m))))
    if flagged:
        d, m, n, (_, (u, e, k, o), prev, first, f) = flagged[0]
        more = f" ({len(flagged)} days like it)" if len(flagged) > 1 else ""
        ck.find("warning", "premiums_of_another_scale", f, len(flagged),
                f"{d}: the median of {n} contracts, calls and puts alike, opens at {m:.3g}x its last price of the day "
                f"before (e.g. "
                f"{e} {k:g} {o}: {prev:g} then {first:g}): premiums of another unit in some files (paise or cents, "
                f"x100)? A real day moves calls and puts apart, not both that much; a run trades the prices as written. "
                f"Rescale the price columns of those files{more}",
                {"day": d, "expiry": e, "strike": k, "opt_type": o, "previous": prev, "first": first})
