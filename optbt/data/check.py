"""``optbt data check``: find what is wrong with a dataset before a backtest trusts it.

"Corrupt data is worse than no data": every finding names the files it looked at and how
many rows are affected. Errors (exit 1) make a backtest wrong; warnings are the normal
awkwardness of real data that the engine handles (crossed or empty quotes, gaps, prints
outside the session) and are reported so that a user knows they are there.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from optbt.data.dataset import DatasetConfig
from optbt.model.errors import DataError

_NUMERIC = ("DOUBLE", "FLOAT", "DECIMAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "REAL", "UBIGINT", "UINTEGER")


@dataclass(frozen=True, slots=True)
class Finding:
    level: str      # "error" | "warning"
    check: str      # a short stable name
    where: str      # the files (glob) it concerns
    count: int      # rows (or days, instruments) affected
    detail: str


@dataclass
class CheckReport:
    dataset: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def to_json(self) -> str:
        return json.dumps({"dataset": self.dataset, "ok": not self.errors,
                           "findings": [asdict(f) for f in self.findings]}, indent=2)


def _numeric(kind: str) -> bool:
    return kind.startswith(_NUMERIC)


def check_dataset(config: DatasetConfig) -> CheckReport:
    """Run every check; a dataset whose files cannot even be opened raises DataError."""
    import duckdb

    from optbt.data.duckdb_source import DuckDBSource, quote_ident

    report = CheckReport(config.name)
    add = report.findings.append
    try:
        src = DuckDBSource(config)
    except DataError as exc:
        text = str(exc)
        check = "missing_column" if "column" in text else "files"
        add(Finding("error", check, ", ".join(config.paths(config.options)), 1, text))
        return report
    con = src.con
    o, s = src.options, src.spot
    o_where, s_where = ", ".join(config.paths(config.options)), ", ".join(config.paths(config.spot))
    scan_o = f"read_parquet($f, hive_partitioning={o.hive})"
    scan_s = f"read_parquet($f, hive_partitioning={s.hive})"
    fo, fs = {"f": o.all_files}, {"f": s.all_files}

    def one(sql: str, params: dict):
        try:
            return con.execute(sql, params).fetchone()
        except duckdb.Error as exc:
            raise DataError(f"check query failed: {str(exc).splitlines()[0]}") from None

    # -- types ----------------------------------------------------------------------------
    cols = config.options.columns
    for canon in ("strike", "close", "bid", "ask"):
        name = getattr(cols, canon)
        if name and name in o.types and not _numeric(o.types[name]):
            add(Finding("error", "wrong_type", o_where, 1, f"options column '{name}' ({canon}) is {o.types[name]}, not a number"))
    if cols.ts and cols.ts in o.types and not o.types[cols.ts].startswith("TIMESTAMP"):
        add(Finding("error", "wrong_type", o_where, 1, f"options column '{cols.ts}' (ts) is {o.types[cols.ts]}, not a timestamp"))
    scols = config.spot.columns
    if scols.close in s.types and not _numeric(s.types[scols.close]):
        add(Finding("error", "wrong_type", s_where, 1, f"spot column '{scols.close}' (close) is {s.types[scols.close]}, not a number"))
    if any(f.check == "wrong_type" for f in report.findings):
        return report

    known, exp, strike, otype = src._opt_known, src._expiry, src._strike, src._opt_type
    tz = {"tz": config.timezone} if src._uses_tz else {}
    types = {"calls": [v.upper() for v in config.options.call_values],
             "puts": [v.upper() for v in config.options.put_values]}

    # -- option types ---------------------------------------------------------------------
    (bad_types,) = one(f"SELECT count(*) FROM {scan_o} WHERE ({otype}) IS NULL", {**fo, **types})
    if bad_types:
        add(Finding("error", "unknown_opt_type", o_where, bad_types,
                    f"option types not in call_values {config.options.call_values} or put_values "
                    f"{config.options.put_values}: add the spelling to the config"))

    # -- duplicates and order -------------------------------------------------------------
    (dups,) = one(f"SELECT count(*) FROM (SELECT count(*) AS optbt_n FROM {scan_o} GROUP BY {exp}, {strike}, "
                  f"{quote_ident(cols.opt_type)}, {known} HAVING optbt_n > 1)", {**fo, **tz})
    if dups:
        add(Finding("error", "duplicate_rows", o_where, dups, "(instrument, ts) appears more than once"))
    (back,) = one(f"SELECT count(*) FROM (SELECT optbt_file AS optbt_f, {known} AS optbt_t, lag({known}) OVER (PARTITION BY optbt_file, "
                  f"{exp}, {strike}, {quote_ident(cols.opt_type)} ORDER BY file_row_number) AS optbt_prev "
                  f"FROM read_parquet($f, hive_partitioning={o.hive}, filename='optbt_file', file_row_number=true)) "
                  f"WHERE optbt_t < optbt_prev", {**fo, **tz})
    if back:
        add(Finding("error", "time_goes_back", o_where, back, "rows of an instrument are not in time order within a file"))

    # -- prices -----------------------------------------------------------------------------
    for canon in ("close", "bid", "ask"):
        name = getattr(cols, canon)
        if not name or name not in o.types:
            continue
        q = quote_ident(name)
        (neg,) = one(f"SELECT count(*) FROM {scan_o} WHERE {q} < 0", fo)
        if neg:
            add(Finding("error", "negative_price", o_where, neg, f"'{name}' below zero"))
        (zero,) = one(f"SELECT count(*) FROM {scan_o} WHERE {q} = 0", fo)
        if zero:
            level = "warning" if canon in ("bid", "ask") else "error"
            add(Finding(level, "zero_price", o_where, zero,
                        f"'{name}' is zero" + (" (empty quote: unusable for fills, the price goes stale)" if level == "warning" else "")))
    if config.has_quotes:
        b, a = quote_ident(cols.bid), quote_ident(cols.ask)
        (crossed,) = one(f"SELECT count(*) FROM {scan_o} WHERE {b} > 0 AND {a} > 0 AND {b} > {a}", fo)
        if crossed:
            add(Finding("warning", "crossed_quotes", o_where, crossed, "bid above ask: the bar is unusable for fills"))
        (empty,) = one(f"SELECT count(*) FROM {scan_o} WHERE {b} IS NULL OR {a} IS NULL OR {b} <= 0 OR {a} <= 0", fo)
        if empty:
            add(Finding("warning", "empty_quotes", o_where, empty, "missing or zero bid/ask: the bar is unusable for fills"))

    # -- days, sessions, gaps ------------------------------------------------------------------
    opt_days = {r[0] for r in con.execute(f"SELECT DISTINCT CAST({known} AS DATE) FROM {scan_o}", {**fo, **tz}).fetchall()}
    spot_days = {r[0] for r in con.execute(f"SELECT DISTINCT CAST({src._spot_known} AS DATE) FROM {scan_s}",
                                           {**fs, **tz}).fetchall()}
    missing = sorted(opt_days - spot_days)
    if missing:
        add(Finding("error", "days_without_spot", s_where, len(missing),
                    "days with option bars but no spot bars: " + ", ".join(d.isoformat() for d in missing[:5])
                    + (" ..." if len(missing) > 5 else "")))
    _session_checks(config, src, con, report, scan_o, scan_s, fo, fs, tz, o_where, s_where, sorted(opt_days & spot_days))
    return report


def _session_checks(config, src, con, report, scan_o, scan_s, fo, fs, tz, o_where, s_where, days) -> None:
    """Rows known outside the session (ignored by the engine) and minutes with no bar."""
    from optbt.data.duckdb_source import quote_ident

    add = report.findings.append
    outside_o = outside_s = 0
    gaps = 0
    bar = config.bar_minutes
    for day in days:
        open_, close = config.session.bounds(day)
        p = {"open": open_, "close": close, "d": day}
        (n,) = con.execute(f"SELECT count(*) FROM {scan_o} WHERE CAST({src._opt_known} AS DATE) = $d AND "
                           f"({src._opt_known} <= $open OR {src._opt_known} > $close)", {**fo, **tz, **p}).fetchone()
        outside_o += n
        (n,) = con.execute(f"SELECT count(*) FROM {scan_s} WHERE CAST({src._spot_known} AS DATE) = $d AND "
                           f"({src._spot_known} <= $open OR {src._spot_known} > $close)", {**fs, **tz, **p}).fetchone()
        outside_s += n
        minutes = int((close - open_).total_seconds() // 60 // bar)
        (n,) = con.execute(f"SELECT coalesce(sum($m - bars), 0) FROM (SELECT count(DISTINCT {src._opt_known}) AS bars "
                           f"FROM {scan_o} WHERE CAST({src._opt_known} AS DATE) = $d AND {src._opt_known} > $open "
                           f"AND {src._opt_known} <= $close GROUP BY {src._expiry}, {src._strike}, "
                           f"{quote_ident(config.options.columns.opt_type)})", {**fo, **tz, **p, "m": minutes}).fetchone()
        gaps += int(n)
    if outside_o:
        add(Finding("warning", "outside_session", o_where, outside_o,
                    "option bars known outside the session (ignored; bar_label is taken into account)"))
    if outside_s:
        add(Finding("warning", "outside_session", s_where, outside_s,
                    "spot prints known outside the session, e.g. pre/post-market (ignored)"))
    if gaps:
        add(Finding("warning", "gaps", o_where, gaps,
                    "instrument-minutes inside the session with no bar (prices go stale there, with their lag)"))
