"""Option files whose rows are in time order: a note in a run, so that a slow layout is named
where its cost is felt (``data check`` says it of the footers: ``rows_in_time_order``).

A run asks each day for the bars of the few contracts it holds. Files sorted by expiry, strike,
type and time (day folders as ``optbt data synth`` writes them, or a copy ``optbt data sort``
wrote) let that query skip most of the day's rows; files in time order (a file a month, most
vendors' exports, a day's file written minute by minute) hold every contract at each minute,
so the query decodes every row of the day to find its few contracts (README, "Performance":
month files 1.33x the single-query floor, 0.93x sorted, 0.74x split by day). The results are
the same either way: this is about speed only, and the note says so.

Judged on the run's first day from the first :data:`SAMPLE` rows of its option files, in file
order (``LIMIT`` on a scan returns them in order): rows in time order hold many contracts at a
few times (many rows at each), rows by contract few contracts at many times. Unlike the footer rule of data check,
this tells a file of one row group apart too. Files of fewer than :data:`MIN_ROWS` rows in all
are not judged (a small day costs little whichever way it is written). One query, remembered
in the chain index with the other first-day checks, so later runs of the dataset ask nothing.
"""

from __future__ import annotations

from datetime import date

from optbt.data.chain_index import recall
from optbt.model.errors import DataError

SAMPLE = 4096
"""Rows read, from the start of the day's files, to judge their order."""
MIN_ROWS = 60_000
"""The fewest rows the day's option files must hold in all to be judged (data check's too)."""
ROWS_PER_TIME = 32
"""Rows in time order: the sample holds at least this many rows at each of its times, on average
(every contract at each minute; by contract, a time holds one row of each of the sample's few
contracts, about 4096 / 375 = 11 for minute bars)."""
MIN_CONTRACTS = 64
"""And at least this many contracts (a day of a few contracts is cheap in any order)."""

ADVICE = ("Results are right either way; for speed, `optbt data sort DATA --out NEW` writes a copy with each "
          "day's rows by expiry, strike, type and time, and `--split-days` a file a day for files of many "
          "days (README, Performance)")
"""How to get the fast layout: data check's note ends the same way."""


def in_time_order(rows: int, contracts: int, times: int) -> bool:
    """Whether a sample of ``rows`` rows in file order, holding ``contracts`` contracts at
    ``times`` distinct times, is in time order (every contract at each minute) rather than by
    contract (each contract over the whole session before the next)."""
    return contracts >= MIN_CONTRACTS and rows >= ROWS_PER_TIME * max(times, 1)


def sample_sql(src) -> str:
    """The query judging files ``$f``: their rows in all, then of their first :data:`SAMPLE` rows
    of underlying ``$und`` in file order, how many, at how many times, of how many contracts."""
    o = src.options
    return (f"SELECT (SELECT count(*) FROM read_parquet($f, {o.scan})), count(*), count(DISTINCT optbt_t), "
            f"count(DISTINCT (optbt_e, optbt_k, optbt_o)) FROM (SELECT {src._opt_known} AS optbt_t, "
            f"{o.col('expiry')} AS optbt_e, {src._raw_strike} AS optbt_k, {src._raw_opt_type} AS optbt_o "
            f"FROM read_parquet($f, {o.scan}) WHERE {src._opt_und} LIMIT {SAMPLE})")


def judged(counts) -> bool:
    """Whether :func:`sample_sql`'s answer says rows in time order, in files large enough to matter."""
    rows, sampled, times, contracts = counts
    return rows >= MIN_ROWS and in_time_order(sampled, contracts, times)


def row_order_note(src, day: date) -> str | None:
    """The note for the option files of ``day`` (a run's first), or None when they are in
    read order, small, or cannot be judged."""
    files = src.options.files_for(day)
    if not files:
        return None
    sql, params = sample_sql(src), src._params(f=files, und=src._und())
    kept, keep = recall(src._chain_index(), sql, params, files)
    if kept is not None and len(kept) == 4:
        counts = kept
    else:
        try:
            (counts,) = src._run(sql, params)
        except DataError:
            return None  # a value the day's own queries refuse, with their own message
        counts = [int(n) for n in counts]
        keep(counts)
    if not judged(counts):
        return None
    _, _, times, contracts = counts
    name = files[0].replace("\\", "/").rsplit("/", 1)[-1]
    return (f"the option files keep rows in time order (the first {SAMPLE:,} rows of {day}'s files, from "
            f"{name}, hold {contracts} contracts at {times} times), so each day's query decodes every row of "
            f"the day to find the few contracts a run holds. {ADVICE}")
