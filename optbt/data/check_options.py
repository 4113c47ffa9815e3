"""The checks of the option rows: one tally a block of days of every per-row check (each row
counted by the first layer a run stops reading it at), gaps at the run's clock ticks, and the
instruments and days whose times repeat, with a sample row for each finding.

Apart from the spot's and the series' checks (:mod:`.check_days`) because the options are
most of a dataset and are read in a few aggregate queries grouped by (run's day, instrument):
the contract's layers judged once a group, only the folder and the time row by row.
"""

from __future__ import annotations

from optbt.data.chain_listing import TWO_WAYS_FIX, written_two_ways
from optbt.data.check_core import INSTRUMENT_DAY, MINUTE_US, Check, layered, level_sql
from optbt.data.sql_text import FILE_COL
from optbt.model.prices import sql_price, sql_usable


def option_layers(ck) -> list[tuple[str, str]]:
    """Where a run stops reading an option row, in order (see layered): no time; no option at
    all (no known type, and no expiry or strike: the underlying's rows); an option type it does
    not know; a contract its chain leaves out (expiry, then strike, then an
    expiry before the day, counted in that order as a run counts contracts_left_out); a file
    in another day's folder; a time outside the session. What passes all is read as a bar."""
    return contract_layers() + row_layers(ck)


def contract_layers() -> list[tuple[str, str]]:
    """The layers of a contract: one value for every row of an (instrument, day), the tally's
    group, so the tally judges them once a group (a run's day is NULL without a time)."""
    return [("bad_timestamp", "optbt_rd IS NOT NULL"), ("underlying_rows", UNDERLYING_ROWS_PASS),
            ("unknown_opt_type", "optbt_ot IS NOT NULL"),
            ("bad_expiry", "optbt_e IS NOT NULL"), ("bad_strike", sql_usable("optbt_k")),
            ("expiry_before_day", "optbt_e >= optbt_rd")]


# a row of no known option type that has no expiry or no strike either is no option: the
# underlying's (or its future's) own rows, as vendors ship them (chain_listing.listing_of: the same)
UNDERLYING_ROWS_PASS = f"optbt_ot IS NOT NULL OR (optbt_e IS NOT NULL AND {sql_usable('optbt_k')})"


def row_layers(ck) -> list[tuple[str, str]]:
    """The layers of one row of a listed contract: its folder, its time."""
    layers = [("rows_in_another_days_folder", "CAST(optbt_t AS DATE) = optbt_fd")] if ck.o.by_day else []
    return layers + [("outside_session", ck.inside("optbt_t"))]


def in_chain(ck) -> str:
    """SQL: the row is a contract a run's chain lists (it passes the layers up to expiry_before_day)."""
    layers = option_layers(ck)
    return f"optbt_lv > {next(i for i, (n, _) in enumerate(layers) if n == 'expiry_before_day')}"


def read_as_bar(ck) -> str:
    """SQL: a run reads the row as a bar of its instrument (it passes every layer)."""
    return f"optbt_lv = {len(option_layers(ck))}"


def option_checks(ck) -> list[Check]:
    """Each per-row check of the option rows, judging the rows a run reads that far."""
    cfg = ck.config
    out = [
        ("warning", "underlying_rows", f"NOT coalesce({UNDERLYING_ROWS_PASS}, false)",
         ("rows of no call or put type with no expiry or no strike: the underlying's own rows (or a future's), as "
          "vendors ship them? They are never read as options, and never as the spot, which is read from [spot] "
          "only; nothing to do unless they are options whose type, expiry or strike is lost")),
        ("error", "unknown_opt_type", "optbt_ot IS NULL",
         f"option types not in call_values {cfg.options.call_values} or put_values "
         f"{cfg.options.put_values}: add the spelling to the config (the rows are never used)"),
        ("error", "bad_expiry", "optbt_e IS NULL", "expiry is NULL or not a date: the row is ignored"),
        ("error", "bad_strike", f"NOT coalesce({sql_usable('optbt_k')}, false)",
         "strike is NULL, NaN, infinite or not above zero: the row is no contract and is ignored"),
        ("error", "expiry_before_day", "optbt_e < optbt_rd",
         "expiry before the trade date: such contracts are never listed in the chain"),
        ("warning", "outside_session", f"NOT {ck.inside('optbt_t')}",
         "option bars known outside the session (ignored; bar_label is taken into account)"),
    ]
    for canon, col, unusable in read_prices(ck):
        name = getattr(cfg.options.columns, canon)
        quote = canon in ("bid", "ask")
        if not quote:
            out.append(("warning", "missing_price", f"{col} IS NULL",
                        f"'{name}' is NULL: the bar is no bar (the price goes stale, with its lag)"))
        out += [
            ("error", "non_finite_price", f"NOT isfinite({col})", f"'{name}' is NaN or infinite ({unusable})"),
            ("error", "negative_price", f"isfinite({col}) AND {col} < 0", f"'{name}' below zero ({unusable})"),
            ("warning" if quote else "error", "zero_price", f"{col} = 0",
             f"'{name}' is zero" + (" (empty quote side: " if quote else " (") + f"{unusable})"),
        ]
    if cfg.has_quotes:
        b_ok, a_ok = sql_usable("optbt_b"), sql_usable("optbt_a")
        out += [
            ("warning", "crossed_quotes", f"{b_ok} AND {a_ok} AND optbt_b > optbt_a",
             "bid above ask: the quote is unusable (both sides)"),
            ("warning", "empty_quotes", f"NOT coalesce({b_ok} AND {a_ok}, false)",
             "missing, zero or unusable bid or ask: that side is unusable for fills"
             + (" and the mid is no price" if cfg.price == "mid" else "")),
        ]
    return layered(option_layers(ck), out)


def read_prices(ck) -> list[tuple[str, str, str]]:
    """(canonical name, projected column, what a run makes of an unusable value) of each option
    price column a run reads: the close, unless ``price = "mid"`` (a run then prices a bar by
    the mid of bid and ask and never reads the close: a NaN there changes nothing), and the bid
    and ask when the config maps both (the sides fills use; with the mid, its price too)."""
    cfg, types = ck.config, ck.o.types
    out = []
    if cfg.price != "mid" and cfg.options.columns.close in types:
        out.append(("close", "optbt_c", "unusable: the bar is no bar"))
    if cfg.has_quotes:
        side = "unusable for fills on that side"
        if cfg.price == "mid":  # the run's price is sql_mid: one unusable side and the bar has none
            side += ", and the bar has no mid, so it is no bar"
        out += [(canon, col, side) for canon, col in (("bid", "optbt_b"), ("ask", "optbt_a"))
                if getattr(cfg.options.columns, canon) in types]
    return out


def option_projection(ck, level: bool = True, extra: str = "") -> str:
    """The option rows as a run tells them apart, with the run's day (:meth:`Checker.run_day`) and,
    with ``level``, how many of option_layers each row passes (``optbt_lv``); ``extra``: more
    columns of the files (SQL, each with its alias and a leading comma)."""
    src, o, cols = ck.src, ck.o, ck.config.options.columns
    und = o.col("underlying", required=False) or "NULL"
    prices = []
    for canon, alias in (("close", "optbt_c"), ("bid", "optbt_b"), ("ask", "optbt_a")):
        name = getattr(cols, canon)
        # a close no run reads (price = mid) is shown in samples as far as it reads as a number
        cast = "TRY_CAST" if canon == "close" and ck.config.price == "mid" else "CAST"
        prices.append(f"{cast}({o.col(canon)} AS DOUBLE) AS {alias}" if name and name in o.types
                      else f"CAST(NULL AS DOUBLE) AS {alias}")
    # an instrument as a run tells them apart: option type by the call/put spellings (C, ce and
    # CE are one), underlying without case or padding; unknown types keep their cleaned text
    rows = (f"SELECT {FILE_COL}, {src._opt_known} AS optbt_t, {src._expiry} AS optbt_e, "
            f"CAST({src._raw_strike} AS DOUBLE) AS optbt_k, coalesce({src._opt_type}, {src._raw_opt_type}) "
            f"AS optbt_o, {src._opt_type} AS optbt_ot, upper(trim(CAST({und} AS VARCHAR))) AS optbt_u, "
            f"{', '.join(prices)}{extra} FROM read_parquet($f, {o.scan}, filename='{FILE_COL}')")
    dated = f"SELECT *, {ck.run_day(o)} FROM ({rows})"
    return f"SELECT *, {level_sql(option_layers(ck))} FROM ({dated})" if level else dated


def run_ticks(ck) -> None:
    """The clock ticks a run has, per day and underlying of the options, as two tables in
    the check's connection: ``optbt_ticks`` (day, underlying, time, k: the k-th tick) and
    ``optbt_nticks`` (day, underlying, ticks).

    A run's session opens at the configured start and closes at the configured end (early
    closes included) or, with ``end_from_data``, at the day's last option bar of its
    underlying (of a known option type, as the chain reads it) when that lies inside. Its
    ticks are every ``bar_minutes`` from the open up to the close, or with ``clock =
    "spot"`` the times of the spot bars it reads (a usable close of its underlying, in the
    session, in the day's own folder). One read of the option files (their times only), and
    of the spot's for the spot clock; only with these settings."""
    src, o, sp, cfg = ck.src, ck.o, ck.s, ck.config
    ec = cfg.session.early_close
    end = "$end"
    if ec:
        end = f"(CASE optbt_cd {' '.join(f'WHEN $ecd{n} THEN $ect{n}' for n in range(len(ec)))} ELSE $end END)"
    last = ("max(optbt_t) FILTER (WHERE optbt_ot IS NOT NULL)" if cfg.session.end_from_data
            else "CAST(NULL AS TIMESTAMP)")
    sessions = (f"SELECT optbt_cd, optbt_ckey, optbt_open, CASE WHEN optbt_last > optbt_open AND optbt_last < "
                f"optbt_close THEN optbt_last ELSE optbt_close END AS optbt_close FROM (SELECT optbt_cd, "
                f"optbt_ckey, optbt_cd + $start AS optbt_open, optbt_cd + {end} AS optbt_close, optbt_last FROM "
                f"(SELECT optbt_rd AS optbt_cd, {ck.run_und('r')} AS optbt_ckey, {last} AS optbt_last FROM "
                f"({option_projection(ck, level=False)}) r WHERE optbt_rd IS NOT NULL GROUP BY ALL))")
    params = {**ck.params(), "f": o.all_files}
    if cfg.clock == "spot":
        sund = sp.col("underlying", required=False)
        rows = (f"SELECT {FILE_COL}, {src._spot_known} AS optbt_t, "
                f"{f'upper(trim(CAST({sund} AS VARCHAR)))' if sund else 'NULL'} AS optbt_u, "
                f"{sql_price(src._spot_close)} AS optbt_p FROM read_parquet($sf, {sp.scan}, filename='{FILE_COL}')")
        spot = (f"SELECT DISTINCT optbt_fd, optbt_t, optbt_u FROM (SELECT *, "
                f"{ck.run_day(sp).replace('$optbt_pat', '$optbt_spat')} FROM ({rows})) "
                f"WHERE optbt_p IS NOT NULL AND optbt_t IS NOT NULL")
        match = "(s.optbt_u = c.optbt_ckey)" if sund else "TRUE"
        ticks = (f"SELECT optbt_cd, optbt_ckey, optbt_ctt, CAST(row_number() OVER (PARTITION BY optbt_cd, "
                 f"optbt_ckey ORDER BY optbt_ctt) AS INTEGER) AS optbt_ctk FROM (SELECT DISTINCT c.optbt_cd, "
                 f"c.optbt_ckey, s.optbt_t AS optbt_ctt FROM ({sessions}) c JOIN ({spot}) s ON {match} AND "
                 f"coalesce(s.optbt_fd, c.optbt_cd) = c.optbt_cd AND s.optbt_t > c.optbt_open "
                 f"AND s.optbt_t <= c.optbt_close)")
        params["sf"] = sp.all_files
        if sp.by_day is not None:
            params["optbt_spat"] = sp._key.pattern
    else:
        step = cfg.bar_minutes * 60_000_000
        ticks = (f"SELECT optbt_cd, optbt_ckey, optbt_open + to_microseconds(optbt_ctk * {step}) AS optbt_ctt, "
                 f"CAST(optbt_ctk AS INTEGER) AS optbt_ctk FROM (SELECT *, unnest(range(1, (epoch_us(optbt_close) "
                 f"- epoch_us(optbt_open)) // {step} + 1)) AS optbt_ctk FROM ({sessions}))")
    ck.run(f"CREATE OR REPLACE TEMP TABLE optbt_ticks AS {ticks}", params)
    ck.run("CREATE OR REPLACE TEMP TABLE optbt_nticks AS SELECT optbt_cd, optbt_ckey, count(*) AS optbt_cn "
             "FROM optbt_ticks GROUP BY ALL", {})


def on_run_ticks(ck, rows: str) -> str:
    """SQL: option ``rows`` (a projection) with ``optbt_tk``, the run tick (:func:`run_ticks`)
    each belongs to: the first at or after its known-at time on its day, as a run aligns bars;
    NULL after the day's last tick (or without a time)."""
    return (f"SELECT r0.*, k.optbt_ctk AS optbt_tk FROM ({rows}) r0 ASOF LEFT JOIN optbt_ticks k ON "
            f"r0.optbt_rd = k.optbt_cd AND {ck.run_und('r0')} = k.optbt_ckey AND r0.optbt_t <= k.optbt_ctt")


def options(ck, chunks: list[list[str]], step0: int, total: int) -> dict:
    """Per-row checks, duplicates (by bitmap) and gaps over the option files; returns the tallies.

    Rows are grouped by (run's day, instrument): the contract layers (option_layers) are one
    value a group, judged once a group from its keys (``optbt_cl``, how many it passes);
    only the folder and the time are judged row by row (``optbt_rl``). A check of the
    contract is then a sum over groups; a check of the row counts its rows in the groups
    of listed contracts. Rows such a check leaves to other findings are counted afterwards
    (:func:`left_out`), only for the checks that hit.
    """
    checks = option_checks(ck)
    cl_layers, rl_layers = contract_layers(), row_layers(ck)
    c_all, r_all = len(cl_layers), len(rl_layers)
    own = [int(c.scope.rsplit(" ", 1)[1]) for c in checks]  # "optbt_lv >= k": the check's layer
    per_group, per_day = [], []
    for i, c in enumerate(checks):
        if own[i] < c_all:  # a contract check: its condition is on the group's keys
            per_day.append(f"sum(optbt_n) FILTER (WHERE optbt_cl = {own[i]}) AS n{i}, "
                           f"sum(optbt_n) FILTER (WHERE optbt_cl < {own[i]} AND {c.cond}) AS x{i}")
        else:
            per_group.append(f"count(*) FILTER (WHERE {c.cond} AND optbt_rl >= {own[i] - c_all}) AS a{i}")
            per_day.append(f"sum(a{i}) FILTER (WHERE optbt_cl = {c_all}) AS n{i}, NULL AS x{i}")
    per_group += [f"count(*) FILTER (WHERE optbt_rl = {r}) AS h{r}" for r in range(r_all)]
    per_day += [f"sum(h{r}) FILTER (WHERE optbt_cl = {c_all}) AS h{r}" for r in range(r_all)]
    # rows dated another day than their folder's, of any contract (rows_in_another_days_folder)
    per_day.append("sum(h0) AS optbt_mis" if ck.o.by_day is not None else "0 AS optbt_mis")
    row_level = " ".join(f"WHEN NOT coalesce({sql}, false) THEN {i}" for i, (_, sql) in enumerate(rl_layers))
    contract_level = " ".join(f"WHEN NOT coalesce({sql}, false) THEN {i}" for i, (_, sql) in enumerate(cl_layers))
    # duplicates among the rows a run reads as bars, per instrument and day: on whole minutes
    # (minute bars), those rows less their distinct minutes (a bitmap of the minute of the day;
    # > 0: a repeated (instrument, time) key); off the minute (ticks), counted here and told
    # apart by :func:`tick_repeats` (a count of distinct times here would cost every minute-bar
    # dataset twice the time: DuckDB aggregates a whole group otherwise with a DISTINCT in it)
    on_grid = f"optbt_rl = {r_all} AND epoch_us(optbt_t) % {MINUTE_US} = 0"
    minute = f"CAST((epoch_us(optbt_t) // {MINUTE_US}) % 1440 AS INTEGER)"
    # gaps: the clock ticks (at most 1440 a day) at which an instrument has a bar read as one
    # (any row a run reads that far: an unusable price is its own finding, not a gap), counted
    # per instrument and day (a busy contract's ticks never make up for a quiet one's holes).
    # An instrument's day is the run's (a folder's rows are that day's), of a listed contract.
    tick = f"bitstring_agg({ck.tick_of('optbt_t')}, 1, 1440)"
    ticked = f"optbt_rl = {r_all} AND {ck.by_last_tick('optbt_t')}"
    rows = f"SELECT *, CASE {row_level} ELSE {r_all} END AS optbt_rl FROM ({option_projection(ck, level=False)})"
    ticks_in, grouped, want = f"bit_count({tick} FILTER (WHERE {ticked}))", "SELECT * FROM g", ""
    if ck.run_clock():  # the ticks a run has (run_ticks): each bar on the first at or after it
        rows, ticks_in = on_run_ticks(ck, rows), f"count(DISTINCT optbt_tk) FILTER (WHERE optbt_rl = {r_all})"
        grouped = ("SELECT g.*, coalesce(optbt_cn, 0) AS optbt_want FROM g LEFT JOIN optbt_nticks "
                   f"ON g.optbt_rd = optbt_cd AND {ck.run_und('g')} = optbt_ckey")
        want = f"sum(optbt_want) FILTER (WHERE optbt_cl = {c_all}) AS optbt_want, "
    sql = (f"WITH r AS ({rows}), "
           f"g AS (SELECT optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o, optbt_ot, count(*) AS optbt_n, "
           f"count(*) FILTER (WHERE {on_grid}) - coalesce(bit_count(bitstring_agg({minute}, 0, 1439) "
           f"FILTER (WHERE {on_grid})), 0) AS optbt_rep, "
           f"count(*) FILTER (WHERE optbt_rl = {r_all} AND NOT ({on_grid})) AS optbt_off, "
           f"{ticks_in} AS optbt_in, "
           f"min({FILE_COL}) AS optbt_f, {', '.join(per_group)} "
           f"FROM r GROUP BY optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o, optbt_ot), "
           f"c AS (SELECT *, CASE {contract_level} ELSE {c_all} END AS optbt_cl FROM ({grouped})) "
           f"SELECT optbt_rd AS optbt_d, {want}count(*) FILTER (WHERE optbt_cl = {c_all}) AS optbt_g, "
           f"sum(optbt_n) AS optbt_n, sum(optbt_n) FILTER (WHERE optbt_cl < {c_all}) AS optbt_bad, "
           f"list({INSTRUMENT_DAY}) FILTER (WHERE optbt_cl = {c_all} AND optbt_rep > 0) AS optbt_dup, "
           # the day's listed (underlying, expiry, strike)s: one strike written two ways (tally_day)
           f"list(DISTINCT [optbt_u, CAST(optbt_e AS VARCHAR), CAST(optbt_k AS VARCHAR)]) "
           f"FILTER (WHERE optbt_cl = {c_all}) AS optbt_ks, "
           f"sum(optbt_off) FILTER (WHERE optbt_cl = {c_all}) AS optbt_off, "
           f"sum(coalesce(optbt_in, 0)) FILTER (WHERE optbt_cl = {c_all}) "
           f"AS optbt_in, min(optbt_f) AS optbt_f, "
           f"min(optbt_f) FILTER (WHERE {ck.runs(ck.o)}) AS optbt_uf, {', '.join(per_day)} "
           f"FROM c GROUP BY optbt_d ORDER BY optbt_d")
    # days: the days with option rows of the run's underlying (its first file); any_days: of any;
    # unread: day -> rows that failed a layer before each row layer (for left_out)
    tallies = {"checks": checks, "own": own, "n": [0] * len(checks), "x": [0] * len(checks),
               "first": [None] * len(checks), "days": {}, "any_days": 0, "dup_keys": [],
               "gaps": 0, "null_ts": 0, "unread": {}, "misplaced_days": []}
    base = ck.params()
    if ck.run_clock():
        run_ticks(ck)
    for c, files in enumerate(chunks):
        tallies["dup_keys"].append({})  # this chunk's: day -> its instruments with repeated times
        off = 0
        for row in ck.q_dicts(sql, {**base, "f": files}):
            tally_day(ck, tallies, row, r_all)
            off += row["optbt_off"] or 0
        if off:
            tick_repeats(ck, files, tallies["dup_keys"][-1])
        ck.step(step0 + c + 1, total, f"options {c + 1}/{len(chunks)}")
    return tallies


def tick_repeats(ck, files: list[str], found: dict) -> None:
    """Add to ``found`` (day -> instruments) the (day, instrument)s of ``files`` (one chunk)
    whose rows a run reads as bars repeat a time off the whole minute (ticks): an exact
    count, which holds the (instrument, time) keys of one chunk at a time (CHUNK_ROWS)."""
    key = "optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o"
    rows = ck.q(f"WITH r AS ({option_projection(ck)}) SELECT optbt_rd, list(DISTINCT {INSTRUMENT_DAY}) "
                  f"FROM (SELECT {key} FROM r WHERE {read_as_bar(ck)} AND epoch_us(optbt_t) % {MINUTE_US} "
                  f"<> 0 GROUP BY {key}, optbt_t HAVING count(*) > 1) GROUP BY ALL",
                  {**ck.params(), "f": files})
    for d, keys in rows:
        found[d] = sorted(set(found.get(d, [])) | set(keys))


def tally_day(ck, tallies: dict, row: dict, r_all: int) -> None:
    """Add one day's row of the tally query (day None: the rows without a time)."""
    d, checks = row["optbt_d"], tallies["checks"]
    for i in range(len(checks)):  # rows left to other findings, where a contract's keys tell
        tallies["x"][i] += row[f"x{i}"] or 0
    # rows a run stops at before each row layer: of contracts it does not list, or of an earlier row layer
    before, stopped = row["optbt_bad"] or 0, []
    for r in range(r_all + 1):
        stopped.append(before)
        before += row.get(f"h{r}") or 0
    if any(stopped):
        tallies["unread"][d] = stopped
    if d is None:  # rows without a timestamp
        tallies["null_ts"] += row["optbt_n"]
        tallies["null_ts_file"] = min(tallies.get("null_ts_file") or row["optbt_f"], row["optbt_f"])
        return
    tallies["any_days"] += 1
    if row["optbt_uf"] is not None:
        tallies["days"][d] = row["optbt_uf"]
    if row["optbt_dup"]:
        tallies["dup_keys"][-1][d] = row["optbt_dup"]
    listed: dict[tuple, list[float]] = {}
    for u, e, k in row["optbt_ks"] or []:
        listed.setdefault((u, e), []).append(float(k))
    for (u, e), strikes in sorted(listed.items(), key=str):
        pair = written_two_ways(sorted(strikes))
        if pair is not None:  # as a run's chain refuses it: that day is its data_error
            tallies.setdefault("two_ways", []).append((d, u, e, pair, row["optbt_f"]))
    if row["optbt_mis"]:  # d is the folder's day: its files hold them
        tallies["misplaced_days"].append(d)
    want = row["optbt_want"] or 0 if "optbt_want" in row else row["optbt_g"] * ck.minutes(d)
    missing = max(0, want - (row["optbt_in"] or 0))
    tallies["gaps"] += missing
    if missing and "gap_day" not in tallies:
        tallies["gap_day"] = d
    for i in range(len(checks)):
        n = row[f"n{i}"]
        if n:
            tallies["n"][i] += n
            if tallies["first"][i] is None:  # rows come in day order
                tallies["first"][i] = d


def left_out(ck, t: dict) -> None:
    """For each check of a row that hit, the rows with its defect a run stops at before it
    (left to another finding, said in its detail), read again only on the days that hold
    any such row (every file when rows without a time are among them)."""
    c_all = len(contract_layers())
    wanted = [i for i, c in enumerate(t["checks"]) if t["n"][i] and t["own"][i] >= c_all]
    days = {d for d, stopped in t["unread"].items() for i in wanted if stopped[t["own"][i] - c_all]}
    if not days:
        return
    o = ck.o
    if None in days or o.by_day is None:
        files = o.all_files
    else:
        files = [f for d in sorted(days) for f in o.files_for(d)]
    cols = ", ".join(f"count(*) FILTER (WHERE {t['checks'][i].cond} AND NOT {t['checks'][i].scope}) AS x{i}"
                     for i in wanted)
    (row,) = ck.q_dicts(f"WITH r AS ({option_projection(ck)}) SELECT {cols} FROM r "
                          f"WHERE optbt_lv < {max(t['own'][i] for i in wanted)}", {**ck.params(), "f": files})
    for i in wanted:
        t["x"][i] += row[f"x{i}"]


def option_findings(ck, t: dict) -> None:
    """One finding per check that hit; its sample row comes from a query on the first day it hit."""
    sample = ("struct_pack(file := optbt_file, ts := optbt_t, underlying := optbt_u, expiry := optbt_e, "
              "strike := optbt_k, opt_type := optbt_o, close := optbt_c, bid := optbt_b, ask := optbt_a)")
    for i, c in enumerate(t["checks"]):
        if not t["n"][i]:
            continue
        d = t["first"][i]
        files = ck.o.files_for(d) if ck.o.by_day is not None and d in ck.o.by_day else ck.o.all_files
        hit = ck.q(f"WITH r AS ({option_projection(ck)}) SELECT {sample} AS s FROM r "
                     f"WHERE {c.cond} AND {c.scope} ORDER BY optbt_file, optbt_t LIMIT 1",
                     {**ck.params(), "f": files})
        s = hit[0][0] if hit else None
        ck.find(c.level, c.name, s["file"] if s else files[0], t["n"][i], c.detail_for(t["x"][i]), s)
    if t.get("two_ways"):
        d, u, e, (a, b), f = t["two_ways"][0]
        ck.find("error", "strikes_written_two_ways", f, len(t["two_ways"]),
                f"days whose chain lists two strikes a millionth apart (first: {d}, {u} expiry {e}: {a!r} and "
                f"{b!r}): {TWO_WAYS_FIX}; a run skips such a day as data_error")
    if t["null_ts"]:
        ck.find("error", "bad_timestamp", t["null_ts_file"], t["null_ts"],
                  "option rows with no timestamp (NULL): they are never used")
    if t["gaps"]:
        d = t["gap_day"]
        files = ck.o.files_for(d) if ck.o.by_day is not None and d in ck.o.by_day else ck.o.all_files
        # the sample: that day's instrument with bars at the fewest clock ticks
        if ck.run_clock():
            hit = ck.q_dicts(f"WITH r AS ({on_run_ticks(ck, option_projection(ck))}) SELECT "
                               f"min({FILE_COL}) AS file, optbt_rd AS day, optbt_u AS underlying, optbt_e AS expiry, "
                               f"optbt_k AS strike, optbt_o AS opt_type, count(DISTINCT optbt_tk) AS bars, "
                               f"any_value(coalesce(optbt_cn, 0)) AS optbt_of FROM r LEFT JOIN optbt_nticks ON "
                               f"optbt_rd = optbt_cd AND {ck.run_und('r')} = optbt_ckey "
                               f"WHERE {read_as_bar(ck)} AND optbt_rd = $gd GROUP BY day, underlying, expiry, "
                               f"strike, opt_type ORDER BY bars, underlying, expiry, strike, opt_type LIMIT 1",
                               {**ck.params(), "f": files, "gd": d})
        else:
            hit = ck.q_dicts(f"WITH r AS ({option_projection(ck)}) SELECT min({FILE_COL}) AS file, "
                               f"optbt_rd AS day, optbt_u AS underlying, optbt_e AS expiry, optbt_k AS strike, "
                               f"optbt_o AS opt_type, count(DISTINCT {ck.tick_of('optbt_t')}) AS bars FROM r "
                               f"WHERE {read_as_bar(ck)} AND {ck.by_last_tick('optbt_t')} AND optbt_rd = $gd "
                               f"GROUP BY ALL ORDER BY bars, underlying, expiry, strike, opt_type LIMIT 1",
                               {**ck.params(), "f": files, "gd": d})
        s = hit[0] if hit else None
        if s:
            s["bars"] = f"{s['bars']} of {s.pop('optbt_of') if 'optbt_of' in s else ck.minutes(d)}"
        bar = ck.config.bar_minutes
        every = "minute" if bar == 1 else f"{bar} minutes"
        ticks = (f"every {every} of the session" if ck.config.clock == "session" else
                 "the spot's bar times, clock = \"spot\"")
        if ck.config.session.end_from_data:
            ticks += ", up to the day's last option bar (end_from_data)"
        ck.find("warning", "gaps", s["file"] if s else files[0], t["gaps"],
                  f"clock ticks ({ticks}) at which an instrument a run's chain lists has "
                  "no bar known since the tick before (its price is stale there, with its lag), counted per "
                  "instrument; a row with an unusable price is that price's finding, not a gap", s)
