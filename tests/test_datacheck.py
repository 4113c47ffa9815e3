"""`optbt data check` finds each planted defect, with its count; clean data passes."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt.data.check import check_dataset
from optbt.data.dataset import load_dataset

DAY = date(2024, 1, 2)
EXP = date(2024, 1, 4)


def ts(k: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 15) + timedelta(minutes=k)


def clean_rows():
    opts = [{"ts": ts(k), "underlying": "NIFTY", "expiry": EXP, "strike": 21000.0, "opt_type": ot,
             "close": 100.0 + k} for ot in ("CE", "PE") for k in range(1, 6)]
    spot = [{"ts": ts(k), "underlying": "NIFTY", "close": 21000.0 + k} for k in range(1, 6)]
    return opts, spot


def write(tmp_path, opts, spot, extra_toml="", option_columns=""):
    pq.write_table(pa.Table.from_pylist(opts), tmp_path / "options.parquet")
    pq.write_table(pa.Table.from_pylist(spot), tmp_path / "spot.parquet")
    (tmp_path / "dataset.toml").write_text(
        'name = "planted"\n' + extra_toml + '[options]\npath = "options.parquet"\n'
        + (f"columns = {{ {option_columns} }}\n" if option_columns else "")
        + '[spot]\npath = "spot.parquet"\n[session]\nstart = "09:15"\nend = "09:20"\n')
    return tmp_path


def findings(path):
    return {(f.level, f.check): f.count for f in check_dataset(load_dataset(path)).findings}


def test_clean_data_passes(tmp_path):
    assert findings(write(tmp_path, *clean_rows())) == {}


def plant_duplicate(o, s):
    o.insert(1, dict(o[0]))  # next to its twin, so the order stays right


def plant_negative(o, s):
    o[1]["close"] = -1.0


def plant_zero(o, s):
    o[2]["close"] = 0.0
    o[3]["close"] = 0.0


def plant_conflicting_duplicate(o, s):
    o.append({**o[0], "close": 999.0})


def plant_nan(o, s):
    o[1]["close"] = float("nan")
    o[6]["close"] = float("inf")


def plant_expiry_before_day(o, s):
    o[3]["expiry"] = date(2024, 1, 1)


def plant_null_strike(o, s):
    o[3]["strike"] = None


def plant_spot_duplicate(o, s):
    s.append(dict(s[2]))


def plant_spot_nan(o, s):
    s[2]["close"] = float("nan")


def plant_back_in_time(o, s):
    o[0], o[1] = o[1], o[0]


def plant_day_without_spot(o, s):
    o.append({**o[0], "ts": ts(1, date(2024, 1, 3))})


def plant_unknown_type(o, s):
    o[4]["opt_type"] = "XX"


def plant_outside_session(o, s):
    s.append({"ts": ts(-3), "underlying": "NIFTY", "close": 20990.0})


@pytest.mark.parametrize("plant, expected", [
    (plant_duplicate, {("warning", "duplicate_rows"): 1}),
    (plant_conflicting_duplicate, {("error", "conflicting_duplicates"): 1}),
    (plant_nan, {("error", "non_finite_price"): 2}),
    (plant_negative, {("error", "negative_price"): 1}),
    (plant_zero, {("error", "zero_price"): 2}),
    (plant_back_in_time, {}),  # unsorted rows are not an error: the engine sorts
    (plant_expiry_before_day, {("error", "expiry_before_day"): 1}),
    (plant_null_strike, {("error", "bad_strike"): 1}),
    (plant_spot_duplicate, {("warning", "duplicate_rows"): 1}),
    (plant_spot_nan, {("error", "non_finite_price"): 1}),
    (plant_day_without_spot, {("error", "days_without_spot"): 1}),
    (plant_unknown_type, {("error", "unknown_opt_type"): 1}),
    (plant_outside_session, {("warning", "outside_session"): 1}),
])
def test_each_planted_defect_is_found_with_its_count(tmp_path, plant, expected):
    o, s = clean_rows()
    plant(o, s)
    got = findings(write(tmp_path, o, s))
    assert {k: v for k, v in got.items() if k in expected} == expected
    assert [k for k in got if k[0] == "error" and k not in expected] == []


def test_missing_column_and_wrong_type(tmp_path):
    o, s = clean_rows()
    for r in o:
        r["px"] = r.pop("close")
    got = check_dataset(load_dataset(write(tmp_path, o, s)))
    assert [(f.level, f.check) for f in got.findings] == [("error", "missing_column")]
    assert "'close'" in got.findings[0].detail and "px" in got.findings[0].detail

    o, s = clean_rows()
    for r in o:
        r["strike"] = str(r["strike"])
    got = findings(write(tmp_path, o, s))
    assert got == {("error", "wrong_type"): 1}


def test_quote_oddities_are_warnings(tmp_path):
    o, s = clean_rows()
    for r in o:
        r.pop("close")
        r["bid"], r["ask"] = r["ts"].minute - 1.0, r["ts"].minute + 1.0
    o[0]["bid"] = 0.0                        # empty
    o[1]["bid"], o[1]["ask"] = 50.0, 40.0    # crossed
    got = findings(write(tmp_path, o, s, 'price = "mid"\n', 'bid = "bid", ask = "ask"'))
    assert got == {("warning", "zero_price"): 1, ("warning", "crossed_quotes"): 1, ("warning", "empty_quotes"): 1}


def test_cli_exit_codes(tmp_path):
    def run(path):
        return subprocess.run([sys.executable, "-m", "optbt", "data", "check", str(path)],
                              capture_output=True, text=True, timeout=120).returncode
    good = tmp_path / "good"
    good.mkdir()
    assert run(write(good, *clean_rows())) == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    o, s = clean_rows()
    plant_negative(o, s)
    assert run(write(bad, o, s)) == 1
    assert run(tmp_path / "nowhere") == 2


def test_a_finding_names_the_actual_file_and_a_sample_row(tmp_path):
    """Not the glob: the file the bad row is in, and that row."""
    o, s = clean_rows()
    (tmp_path / "o").mkdir()
    pq.write_table(pa.Table.from_pylist(o[:5]), tmp_path / "o" / "a.parquet")
    bad = o[5:]
    bad[2]["close"] = -4.0
    pq.write_table(pa.Table.from_pylist(bad), tmp_path / "o" / "b.parquet")
    pq.write_table(pa.Table.from_pylist(s), tmp_path / "spot.parquet")
    (tmp_path / "dataset.toml").write_text('[options]\npath = "o/*.parquet"\n[spot]\npath = "spot.parquet"\n'
                                           '[session]\nstart = "09:15"\nend = "09:20"\n')
    (f,) = check_dataset(load_dataset(tmp_path)).findings
    assert (f.check, f.count, f.where) == ("negative_price", 1, str(tmp_path / "o" / "b.parquet"))
    assert f.sample == {"ts": "2024-01-02 09:18:00", "underlying": "NIFTY", "expiry": "2024-01-04",
                        "strike": "21000.0", "opt_type": "PE", "close": "-4.0", "bid": "NULL", "ask": "NULL"}


def test_a_user_column_named_filename_does_not_clash(tmp_path):
    o, s = clean_rows()
    for r in o:
        r["filename"] = "mine"
    o[1]["close"] = -1.0
    (f,) = check_dataset(load_dataset(write(tmp_path, o, s))).findings
    assert f.where == str(tmp_path / "options.parquet")


def test_progress_is_reported_up_to_the_total(tmp_path):
    steps = []
    check_dataset(load_dataset(write(tmp_path, *clean_rows())), progress=lambda d, t, label: steps.append((d, t)))
    assert steps and steps[-1][0] == steps[-1][1] and [d for d, _ in steps] == sorted(d for d, _ in steps)


def test_json_is_always_json(tmp_path):
    import json

    def run(*args):
        r = subprocess.run([sys.executable, "-m", "optbt", "data", "check", *map(str, args), "--format", "json"],
                           capture_output=True, text=True, timeout=120)
        return r.returncode, json.loads(r.stdout)
    path = write(tmp_path, *clean_rows())
    code, out = run(path)
    assert code == 0 and out["ok"] is True and out["findings"] == []
    (tmp_path / "spot.parquet").write_text("not parquet")          # unreadable file: a finding naming it
    code, out = run(path)
    assert code == 1 and out["ok"] is False
    assert out["findings"][0]["check"] == "unreadable_file"
    assert out["findings"][0]["where"] == str(tmp_path / "spot.parquet")
    code, out = run(tmp_path / "nowhere")                           # no config: an error in JSON, exit 2
    assert code == 2 and out["ok"] is False and "not found" in out["error"]


# -- extra series ([series.vix]) --------------------------------------------------------------

DAY2 = date(2024, 1, 3)


def with_vix(tmp_path, vix_rows, columns=""):
    """Two clean days of options and spot, and a VIX file; the series declared in dataset.toml."""
    o1, s1 = clean_rows()
    o2 = [{**r, "ts": r["ts"] + timedelta(days=1)} for r in o1]
    s2 = [{**r, "ts": r["ts"] + timedelta(days=1)} for r in s1]
    pq.write_table(pa.Table.from_pylist(vix_rows), tmp_path / "vix.parquet")
    cols = f"columns = {{ {columns} }}\n" if columns else ""
    return write(tmp_path, o1 + o2, s1 + s2, extra_toml=f'[series.vix]\npath = "vix.parquet"\n{cols}')


def vix(day: date = DAY, closes=(14.0, 14.5, 15.0, 15.5, 16.0)):
    return [{"ts": ts(k + 1, day), "close": c} for k, c in enumerate(closes)]


def test_a_clean_series_passes(tmp_path):
    assert findings(with_vix(tmp_path, vix() + vix(DAY2))) == {}


def test_planted_series_defects_are_found_with_their_counts(tmp_path):
    rows = vix(closes=(14.0, float("nan"), 0.0, -1.0, None)) + vix(DAY2)
    rows.append({**rows[5], "close": 99.0})  # a second, different close at DAY2's first minute
    found = findings(with_vix(tmp_path, rows))
    assert found == {("error", "non_finite_price"): 1, ("error", "zero_price"): 1, ("error", "negative_price"): 1,
                     ("warning", "missing_price"): 1, ("error", "conflicting_duplicates"): 1}
    report = check_dataset(load_dataset(tmp_path))
    assert all("series.vix" in f.detail for f in report.findings)  # said of the series, not of the spot


def test_a_day_without_series_bars_is_a_warning_naming_the_day(tmp_path):
    report = check_dataset(load_dataset(with_vix(tmp_path, vix())))  # no VIX on DAY2
    (f,) = report.findings
    assert (f.level, f.check, f.count) == ("warning", "days_without_series", 1)
    assert "2024-01-03" in f.detail and "vix" in f.detail


def test_a_series_column_that_is_not_there_is_an_error_not_a_traceback(tmp_path):
    report = check_dataset(load_dataset(with_vix(tmp_path, vix() + vix(DAY2), columns='close = "last"')))
    (f,) = report.findings
    assert (f.level, f.check) == ("error", "missing_column") and "'last'" in f.detail and "[series.vix" in f.detail


def test_a_tz_aware_series_beside_naive_options_and_spot_is_read_in_exchange_time(tmp_path):
    """VIX written in UTC, options and spot naive (exchange time, Asia/Kolkata): the series is
    converted like any tz-aware table (it once failed: the zone was bound only for options and
    spot), and data check finds nothing."""
    from datetime import timezone

    from optbt.data.duckdb_source import DuckDBSource
    o, s = clean_rows()
    utc = [{"ts": (ts(k) - timedelta(hours=5, minutes=30)).replace(tzinfo=timezone.utc), "close": 14.0 + k}
           for k in range(1, 6)]
    pq.write_table(pa.Table.from_pylist(utc), tmp_path / "vix.parquet")
    path = write(tmp_path, o, s, extra_toml='timezone = "Asia/Kolkata"\n[series.vix]\npath = "vix.parquet"\n')
    assert findings(path) == {}
    bars = DuckDBSource(load_dataset(path)).ohlc_bars(DAY, "vix")
    assert [(b[0], b[4]) for b in bars] == [(ts(k), 14.0 + k) for k in range(1, 6)]


def test_a_series_file_of_two_symbols_without_one_chosen_is_refused_by_the_check_as_by_a_run(tmp_path):
    """The series maps an underlying column but names no underlying to select: a run reads every
    row, so VIX and VVIX at one minute conflict; data check must say so (it once grouped them
    apart and passed a file every run refuses)."""
    rows = [{**r, "sym": "VIX"} for r in vix() + vix(DAY2)] + [{**r, "sym": "VVIX", "close": 90.0} for r in vix()]
    found = findings(with_vix(tmp_path, rows, columns='underlying = "sym"'))
    assert found == {("error", "conflicting_duplicates"): 5}


def _day_rows(day: date, strikes: int = 100, expiries: int = 1) -> list[dict]:
    """A full day of bars for ``strikes`` strikes of both types and ``expiries`` weekly expiries,
    375 minutes: 75,000 rows a (100-strike) expiry."""
    return [{"ts": ts(k, day), "underlying": "NIFTY", "expiry": day + timedelta(days=2 + 7 * e),
             "strike": 20000.0 + 50 * i, "opt_type": ot, "close": 10.0 + i}
            for e in range(expiries) for k in range(1, 376) for i in range(strikes) for ot in ("CE", "PE")]


@pytest.mark.parametrize("order, expiries, strikes, group, noted", [
    ("time", 1, 100, 15_000, True),
    ("contract", 1, 100, 15_000, False),
    ("contract", 3, 40, 30_000, False),   # a row group per expiry: each spans every strike, yet all day
    ("contract", 3, 40, None, False),     # one row group by contract: its first rows are 11 contracts
    ("time", 1, 100, None, True),         # one row group in time order: its first rows, 200 contracts a minute
    ("time", 3, 40, 30_000, True),
])
def test_option_files_in_time_order_get_a_note_that_changes_nothing_else(tmp_path, order, expiries, strikes, group,
                                                                         noted):
    """The same rows, written in time order (every row group a stretch of time) or sorted by
    expiry, strike, time: only time order gets the speed note, and it is a note (exit 0, no
    error or warning added)."""
    rows = _day_rows(DAY, strikes, expiries)
    key = (lambda r: (r["ts"], r["expiry"], r["strike"], r["opt_type"])) if order == "time" else \
        (lambda r: (r["expiry"], r["strike"], r["opt_type"], r["ts"]))
    rows.sort(key=key)
    (tmp_path / "o").mkdir()
    (tmp_path / "s").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "o" / "options.parquet", row_group_size=group)
    pq.write_table(pa.Table.from_pylist([{"ts": ts(k), "underlying": "NIFTY", "close": 21000.0}
                                         for k in range(1, 376)]), tmp_path / "s" / "spot.parquet")
    (tmp_path / "dataset.toml").write_text('name = "order"\nunderlying = "NIFTY"\n[options]\npath = "o/*.parquet"\n'
                                           '[spot]\npath = "s/*.parquet"\n[session]\nstart = "09:15"\nend = "15:30"\n')
    report = check_dataset(load_dataset(tmp_path))
    notes = [f for f in report.notes if f.check == "rows_in_time_order"]
    assert bool(notes) is noted
    assert not report.errors and not report.warnings
    if noted:
        assert notes[0].count == 1 and notes[0].where.endswith("options.parquet")
        assert "optbt data sort" in notes[0].detail
        cli = subprocess.run([sys.executable, "-m", "optbt", "data", "check", str(tmp_path)],
                             capture_output=True, text=True)
        assert cli.returncode == 0 and "1 note(s)" in cli.stdout


def test_rows_dated_another_day_than_their_day_folder_are_an_error(tmp_path):
    """A run takes a file's day from its day=... folder: rows dated another day are never read,
    so their day was skipped (no_options) or traded other strikes while data check said ok."""
    import shutil

    from optbt.data.synth import generate
    data = generate(tmp_path / "d", days=3, seed=7)
    d1, d2 = sorted(p.name for p in (data / "options").iterdir())[:2]
    shutil.rmtree(data / "options" / d2)  # the second day's options end up under the first's folder
    src = generate(tmp_path / "again", days=3, seed=7) / "options" / d2 / "part-0.parquet"
    shutil.copy(src, data / "options" / d1 / "part-1.parquet")
    got = {(f.level, f.check): f for f in check_dataset(load_dataset(data)).findings}
    found = got[("error", "rows_in_another_days_folder")]
    assert found.where.endswith(f"{d1}/part-1.parquet") and found.count == pq.read_metadata(src).num_rows


def test_different_rows_at_one_minute_outside_the_session_are_no_conflict(tmp_path):
    """A run never reads rows outside the session (09:06 is pre-market here), so two different
    closes there cannot stop it: an outside_session warning, not a conflicting_duplicates error."""
    opts, spot = clean_rows()
    opts += [{**opts[0], "ts": ts(-9), "close": 50.0}, {**opts[0], "ts": ts(-9), "close": 51.0}]
    spot += [{**spot[0], "ts": ts(-9), "close": 20000.0}, {**spot[0], "ts": ts(-9), "close": 20001.0}]
    got = findings(write(tmp_path, opts, spot))
    assert ("error", "conflicting_duplicates") not in got
    assert got.get(("warning", "outside_session"))


@pytest.mark.parametrize("field, spelling", [("opt_type", "C"), ("opt_type", "ce"), ("underlying", "nifty ")])
def test_conflicting_rows_that_differ_only_in_spelling_are_conflicts(tmp_path, field, spelling):
    """A run reads C, ce and CE as one call (and ' nifty' as NIFTY): two such rows with different
    closes stop it, so data check must call them a conflict (it grouped by the raw text)."""
    opts, spot = clean_rows()
    opts.append({**opts[2], field: spelling, "close": opts[2]["close"] + 1})
    assert findings(write(tmp_path, opts, spot)).get(("error", "conflicting_duplicates")) == 1


@pytest.mark.parametrize("price, case", [("close", "zero_bid"), ("close", "crossed"), ("mid", "close")])
def test_rows_a_run_reads_the_same_are_no_conflict(tmp_path, price, case):
    """A run compares what it reads of two rows at one minute: the price (close, or the mid) and
    each quote side as it cleans them. Bid 0 and a NULL bid are one missing side; two crossed
    quotes (bid above ask) have no side at all; with price = mid the close is never read."""
    opts, spot = clean_rows()
    for r in opts:
        r["bid"], r["ask"] = r["close"] - 1, r["close"] + 1
    row = opts[2]
    if case == "zero_bid":
        row["bid"], twin = None, {**row, "bid": 0.0}
    elif case == "crossed":
        row["bid"], twin = row["ask"] + 5, {**row, "bid": row["ask"] + 7}
    else:
        twin = {**row, "close": 1.0}
    opts.append(twin)
    got = findings(write(tmp_path, opts, spot, extra_toml=f'price = "{price}"\n',
                         option_columns='bid = "bid", ask = "ask"'))
    assert ("error", "conflicting_duplicates") not in got


# -- the price a run reads ----------------------------------------------------------------------

def quoted(rows):
    """Each option row with a bid 1 under and an ask 1 over its close."""
    for r in rows:
        r["bid"], r["ask"] = r["close"] - 1, r["close"] + 1
    return rows


def mid_bar(path, opt_type: str = "CE", k: int = 3):
    """What a run reads of the 21000 ``opt_type`` at 09:15 + k: (price, bid, ask)."""
    from optbt.data.duckdb_source import DuckDBSource
    from optbt.model.instrument import Instrument
    inst = Instrument("NIFTY", EXP, 21000.0, opt_type)
    src = DuckDBSource(load_dataset(path))
    try:
        return next(b[1:] for b in src.option_bars(DAY, [inst])[inst] if b[0] == ts(k))
    finally:
        src.close()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 0.0, None], ids=repr)
def test_with_price_mid_a_close_no_run_reads_is_no_finding(tmp_path, bad):
    """price = mid: a run prices every bar by the mid of bid and ask and never reads the close,
    so an unusable close changes nothing (data check called a NaN close an error)."""
    opts, spot = clean_rows()
    quoted(opts)[2]["close"] = bad  # CE at 09:18
    path = write(tmp_path, opts, spot, 'price = "mid"\n', 'bid = "bid", ask = "ask"')
    assert findings(path) == {}
    assert mid_bar(path) == (103.0, 102.0, 104.0)


def test_with_price_mid_a_text_close_is_no_wrong_type(tmp_path):
    opts, spot = clean_rows()
    for r in quoted(opts):
        r["close"] = "n/a"
    assert findings(write(tmp_path, opts, spot, 'price = "mid"\n', 'bid = "bid", ask = "ask"')) == {}


@pytest.mark.parametrize("side", ["bid", "ask"])
def test_with_price_mid_a_nan_side_is_judged_as_a_run_reads_it_no_mid_no_bar(tmp_path, side):
    """A NaN bid (or ask) leaves that side unusable and the bar without a mid, so a run reads no
    price there: the NaN is an error naming the column and saying the bar has no mid, and the
    quote is one of the empty ones."""
    opts, spot = clean_rows()
    quoted(opts)[2][side] = float("nan")
    path = write(tmp_path, opts, spot, 'price = "mid"\n', 'bid = "bid", ask = "ask"')
    report = check_dataset(load_dataset(path))
    assert [(f.level, f.check, f.count, f.where) for f in report.findings] == [
        ("error", "non_finite_price", 1, str(path / "options.parquet")),
        ("warning", "empty_quotes", 1, str(path / "options.parquet"))]
    assert f"'{side}' is NaN" in report.findings[0].detail and "no mid" in report.findings[0].detail
    assert mid_bar(path)[0] is None


def test_with_price_close_a_nan_close_is_still_an_error(tmp_path):
    opts, spot = clean_rows()
    quoted(opts)[2]["close"] = float("nan")
    path = write(tmp_path, opts, spot, "", 'bid = "bid", ask = "ask"')
    assert findings(path) == {("error", "non_finite_price"): 1}
    assert mid_bar(path)[0] is None


# -- spot and series duplicates: whole bars, as a run compares them ----------------------------

def whole_bars(rows):
    """Each spot (or series) row as a whole bar: open, high, low around its close, a volume."""
    for r in rows:
        r.update(open=r["close"] - 2, high=r["close"] + 3, low=r["close"] - 4, volume=1000.0)
    return rows


def ohlc_of(path, name="spot"):
    from optbt.data.duckdb_source import DuckDBSource
    src = DuckDBSource(load_dataset(path))
    try:
        return src.ohlc_bars(DAY, name)
    finally:
        src.close()


@pytest.mark.parametrize("part", ["open", "high", "low", "volume"])
def test_spot_duplicates_with_one_close_but_another_bar_are_a_conflict(tmp_path, part):
    """A run reading whole spot bars (spot_bar, indicators, ranges) refuses two rows at one minute
    that differ in any part of the bar; data check compared closes only and called them identical
    duplicates (a warning)."""
    from optbt.data.source import ConflictingBarsError
    opts, spot = clean_rows()
    whole_bars(spot).append({**spot[2], part: spot[2][part] + 1})
    path = write(tmp_path, opts, spot)
    (f,) = check_dataset(load_dataset(path)).findings
    assert (f.level, f.check, f.count, f.where) == ("error", "conflicting_duplicates", 1, str(path / "spot.parquet"))
    assert f.sample["ts"] == "2024-01-02 09:18:00" and f"{part} " in f.detail and "whole bars" in f.detail
    with pytest.raises(ConflictingBarsError):
        ohlc_of(path)


def test_spot_duplicates_a_run_reads_alike_are_a_warning(tmp_path):
    """An open of NaN and one of 0 are both no open to a run (unknown): the rows are one bar."""
    opts, spot = clean_rows()
    whole_bars(spot)[2]["open"] = float("nan")
    spot.append({**spot[2], "open": 0.0})
    path = write(tmp_path, opts, spot)
    (f,) = check_dataset(load_dataset(path)).findings
    assert (f.level, f.check, f.count, f.where) == ("warning", "duplicate_rows", 1, str(path / "spot.parquet"))
    assert len(ohlc_of(path)) == 5


def test_series_duplicates_with_one_close_but_another_volume_are_a_conflict(tmp_path):
    from optbt.data.source import ConflictingBarsError
    rows = whole_bars(vix() + vix(DAY2))
    rows.append({**rows[1], "volume": 5.0})
    path = with_vix(tmp_path, rows)
    (f,) = check_dataset(load_dataset(path)).findings
    assert (f.level, f.check, f.count, f.where) == ("error", "conflicting_duplicates", 1, str(path / "vix.parquet"))
    assert "series.vix" in f.detail and "volume 1000.0 vs 5.0" in f.detail
    with pytest.raises(ConflictingBarsError):
        ohlc_of(path, "vix")


def test_a_spot_bar_column_the_config_maps_but_the_files_lack_is_a_missing_column(tmp_path):
    """Reading whole spot bars, a run stops on a mapped open the files lack; so does the check
    (it compares whole bars), with the finding named as such, not as an unreadable file."""
    opts, spot = clean_rows()
    path = write(tmp_path, opts, spot)
    toml = (path / "dataset.toml").read_text().replace('[spot]\npath = "spot.parquet"\n',
                                                        '[spot]\npath = "spot.parquet"\ncolumns = { open = "o" }\n')
    (path / "dataset.toml").write_text(toml)
    (f,) = check_dataset(load_dataset(path)).findings
    assert (f.level, f.check, f.count, f.where) == ("error", "missing_column", 1, str(path / "spot.parquet"))
    assert "'o'" in f.detail


# -- day checks judge the dataset's underlying, as a run reads it -------------------------------

def two_days(opts, spot, opt_und2: str, spot_und2: str):
    """DAY as clean_rows gives it (NIFTY), and DAY2 the same rows with the underlyings given."""
    opts += [{**r, "ts": r["ts"] + timedelta(days=1), "underlying": opt_und2} for r in list(opts)]
    spot += [{**r, "ts": r["ts"] + timedelta(days=1), "underlying": spot_und2} for r in list(spot)]
    return opts, spot


def skips(path):
    from optbt import run_backtest
    from tests.kit import SellAtmStraddle
    res = run_backtest(SellAtmStraddle, data=load_dataset(path))
    return [(d.day, d.skip_reason) for d in res.daily]


def test_a_day_whose_spot_is_another_underlyings_is_a_day_without_spot(tmp_path):
    """DAY2's option rows are NIFTY's but its spot rows BANKNIFTY's: a NIFTY run visits DAY2 and
    skips it (no_spot); data check counted the BANKNIFTY rows as the day's spot and passed."""
    path = write(tmp_path, *two_days(*clean_rows(), opt_und2="NIFTY", spot_und2="BANKNIFTY"),
                 extra_toml='underlying = "NIFTY"\n')
    (f,) = check_dataset(load_dataset(path)).findings
    assert (f.level, f.check, f.count, f.where) == ("error", "days_without_spot", 1, str(path / "options.parquet"))
    assert f.sample == {"day": "2024-01-03", "underlying": "NIFTY"}
    assert skips(path) == [(DAY, ""), (DAY2, "no_spot")]


def test_a_day_whose_options_are_another_underlyings_is_a_day_without_options(tmp_path):
    path = write(tmp_path, *two_days(*clean_rows(), opt_und2="BANKNIFTY", spot_und2="NIFTY"),
                 extra_toml='underlying = "NIFTY"\n')
    (f,) = check_dataset(load_dataset(path)).findings
    assert (f.level, f.check, f.count, f.where) == ("warning", "days_without_options", 1, str(path / "spot.parquet"))
    assert f.sample == {"day": "2024-01-03", "underlying": "NIFTY"}
    assert skips(path) == [(DAY, ""), (DAY2, "no_options")]


def test_a_day_without_options_names_the_underlying_its_option_rows_are_written_under(tmp_path):
    """DAY2's option file writes the underlying 'NIFTY 50': a run skips the day (no_options) and
    data check said only that DAY2 has no NIFTY options, not what the rows are of."""
    path = write(tmp_path, *two_days(*clean_rows(), opt_und2="NIFTY 50", spot_und2="NIFTY"),
                 extra_toml='underlying = "NIFTY"\n')
    (f,) = check_dataset(load_dataset(path)).findings
    assert f.detail == ("days with spot bars of NIFTY but no option bars of NIFTY (a run skips them): 2024-01-03 "
                        "(the option rows of 2024-01-03 are of 'NIFTY 50' only: another underlying's, or 'NIFTY' "
                        "written another way in some files?)")
    assert skips(path) == [(DAY, ""), (DAY2, "no_options")]


def test_a_day_with_only_unusable_spot_rows_and_no_options_is_named_as_a_day(tmp_path):
    """DAY2 has spot rows, every close zero, and no option rows: the rows were reported (zero_price)
    but not that the day is lost to a run, which trades nothing on it."""
    opts, spot = clean_rows()
    spot += [{**r, "ts": r["ts"] + timedelta(days=1), "close": 0.0} for r in list(spot)]
    path = write(tmp_path, opts, spot)
    got = {f.check: f for f in check_dataset(load_dataset(path)).findings}
    assert set(got) == {"zero_price", "days_without_usable_rows"}
    f = got["days_without_usable_rows"]
    assert (f.level, f.count, f.where) == ("warning", 1, str(path / "spot.parquet"))
    assert f.sample == {"day": "2024-01-03", "underlying": "NIFTY"}
    assert "2024-01-03" in f.detail


def test_the_underlying_is_matched_as_a_run_matches_it(tmp_path):
    """Padding and case are no part of an underlying (' nifty' is NIFTY): no day is missing."""
    path = write(tmp_path, *two_days(*clean_rows(), opt_und2=" nifty", spot_und2="Nifty "),
                 extra_toml='underlying = "NIFTY"\n')
    assert findings(path) == {}
    assert skips(path) == [(DAY, ""), (DAY2, "")]


def test_files_without_the_datasets_underlying_are_said_to_be(tmp_path):
    """Every row is BANKNIFTY's, the dataset's underlying NIFTY: a run of it finds no day, so the
    day checks have nothing to judge; a warning says so and names what the files hold."""
    opts, spot = clean_rows()
    for r in opts + spot:
        r["underlying"] = "BANKNIFTY"
    path = write(tmp_path, opts, spot, extra_toml='underlying = "NIFTY"\n')
    (f,) = check_dataset(load_dataset(path)).findings
    assert (f.level, f.check, f.count, f.where) == ("warning", "underlying_not_in_data", 1,
                                                    str(path / "options.parquet"))
    assert "BANKNIFTY" in f.detail
    assert skips(path) == []


def test_another_underlyings_spot_days_need_no_series_and_no_options(tmp_path):
    """Spot rows of BANKNIFTY on DAY2, nothing else that day: a NIFTY run never visits DAY2, so it
    lacks neither options nor VIX (data check said both)."""
    opts, spot = clean_rows()
    spot += [{**r, "ts": r["ts"] + timedelta(days=1), "underlying": "BANKNIFTY"} for r in list(spot)]
    pq.write_table(pa.Table.from_pylist(vix()), tmp_path / "vix.parquet")
    path = write(tmp_path, opts, spot, extra_toml='underlying = "NIFTY"\n[series.vix]\npath = "vix.parquet"\n')
    assert findings(path) == {}
    assert skips(path) == [(DAY, "")]


def folders(tmp_path, opts, spot):
    """Options and spot in day=YYYY-MM-DD/ folders (a file a day, by each row's date)."""
    for side, rows in (("o", opts), ("s", spot)):
        for day in sorted({r["ts"].date() for r in rows}):
            (tmp_path / side / f"day={day}").mkdir(parents=True)
            pq.write_table(pa.Table.from_pylist([r for r in rows if r["ts"].date() == day]),
                           tmp_path / side / f"day={day}" / "p.parquet")
    (tmp_path / "dataset.toml").write_text(
        'name = "folders"\nunderlying = "NIFTY"\n[options]\npath = "o/*/*.parquet"\nday_partition = "day"\n'
        '[spot]\npath = "s/*/*.parquet"\nday_partition = "day"\n[session]\nstart = "09:15"\nend = "09:20"\n')
    return tmp_path


@pytest.mark.parametrize("side", ["o", "s"])
def test_a_day_folder_of_another_underlying_only_is_a_day_a_run_skips(tmp_path, side):
    """DAY2's folder (of the options, or of the spot) holds BANKNIFTY's rows only, the other side
    has no DAY2 folder: a NIFTY run visits DAY2 (a folder holding rows is a day) and skips it,
    no_spot. data check said nothing: neither side has a NIFTY row that day."""
    opts, spot = clean_rows()
    bank = [{**r, "ts": r["ts"] + timedelta(days=1), "underlying": "BANKNIFTY"} for r in (opts if side == "o" else spot)]
    path = folders(tmp_path, opts + bank if side == "o" else opts, spot + bank if side == "s" else spot)
    (f,) = check_dataset(load_dataset(path)).findings
    assert (f.level, f.check, f.count, f.where) == ("warning", "days_of_other_underlyings", 1,
                                                    str(path / side / "day=2024-01-03" / "p.parquet"))
    assert f.sample == {"day": "2024-01-03", "underlying": "NIFTY"}
    assert "skips them (no_spot): 2024-01-03" in f.detail
    assert skips(path) == [(DAY, ""), (DAY2, "no_spot")]


def test_day_folders_of_both_underlyings_are_no_such_day(tmp_path):
    """DAY2's folders hold both underlyings' rows: a NIFTY day like DAY, nothing to report."""
    opts, spot = clean_rows()
    more = [{**r, "ts": r["ts"] + timedelta(days=1), "underlying": u} for r in opts + spot for u in ("NIFTY", "BANKNIFTY")]
    path = folders(tmp_path, opts + [r for r in more if "strike" in r], spot + [r for r in more if "strike" not in r])
    assert findings(path) == {}
    assert skips(path) == [(DAY, ""), (DAY2, "")]


# -- every finding names a real file ------------------------------------------------------------

def split_options(tmp_path, opts, spot, extra_toml=""):
    """The options in two files, o/a.parquet (the first five rows) and o/b.parquet (the rest)."""
    (tmp_path / "o").mkdir()
    pq.write_table(pa.Table.from_pylist(opts[:5]), tmp_path / "o" / "a.parquet")
    pq.write_table(pa.Table.from_pylist(opts[5:]), tmp_path / "o" / "b.parquet")
    pq.write_table(pa.Table.from_pylist(spot), tmp_path / "spot.parquet")
    (tmp_path / "dataset.toml").write_text(
        'name = "split"\n' + extra_toml + '[options]\npath = "o/*.parquet"\n[spot]\npath = "spot.parquet"\n'
        '[session]\nstart = "09:15"\nend = "09:20"\n')
    return tmp_path


def only(path):
    (f,) = check_dataset(load_dataset(path)).findings
    return f.level, f.check, f.count, f.where


def test_a_spot_table_that_cannot_be_opened_names_a_spot_file_not_the_options_glob(tmp_path):
    opts, spot = clean_rows()
    for r in spot:
        r["px"] = r.pop("close")
    path = split_options(tmp_path, opts, spot)
    assert only(path) == ("error", "missing_column", 1, str(path / "spot.parquet"))


def test_a_file_the_refusal_names_is_where(tmp_path):
    """o/b.parquet lacks the strike column o/a.parquet has: the table is refused naming it."""
    opts, spot = clean_rows()
    for r in opts[5:]:
        del r["strike"]
    path = split_options(tmp_path, opts, spot)
    assert only(path)[1:] == ("missing_column", 1, str(path / "o" / "b.parquet"))


def test_paths_that_match_no_file_name_the_dataset_config(tmp_path):
    path = write(tmp_path, *clean_rows())
    (path / "options.parquet").unlink()
    assert only(path) == ("error", "files", 1, str(path / "dataset.toml"))


def test_the_cli_names_the_config_it_was_given(tmp_path):
    import json
    path = write(tmp_path, *clean_rows())
    (path / "options.parquet").unlink()
    (path / "dataset.toml").rename(path / "mine.toml")
    out = subprocess.run([sys.executable, "-m", "optbt", "data", "check", str(path / "mine.toml"), "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    assert json.loads(out.stdout)["findings"][0]["where"] == str(path / "mine.toml")


def test_a_query_that_fails_on_a_rows_text_names_the_file_of_the_row(tmp_path):
    """A text timestamp in a zone optbt does not read (IST) stops the query with the row's text;
    the finding named that text as the file."""
    opts, spot = clean_rows()
    for r in opts:
        r["ts"] = r["ts"].strftime("%Y-%m-%d %H:%M:%S")
    opts[7]["ts"] += " IST"
    path = split_options(tmp_path, opts, spot)
    assert only(path) == ("error", "unreadable_file", 1, str(path / "o" / "b.parquet"))


def test_rows_without_a_timestamp_name_the_file_that_holds_them(tmp_path):
    opts, spot = clean_rows()
    opts[7]["ts"] = None
    path = split_options(tmp_path, opts, spot)
    found = {f.check: f.where for f in check_dataset(load_dataset(path)).findings}
    assert found["bad_timestamp"] == str(path / "o" / "b.parquet")


def vix_files(tmp_path, rows, columns=""):
    """with_vix, the series in two files (a day each) under vix/, found by a glob."""
    path = with_vix(tmp_path, rows, columns)
    (path / "vix").mkdir()
    for n, day in enumerate((DAY, DAY2)):
        mine = [r for r in rows if str(r["ts"]).startswith(day.isoformat())]
        pq.write_table(pa.Table.from_pylist(mine), path / "vix" / f"{n}.parquet")
    (path / "dataset.toml").write_text((path / "dataset.toml").read_text().replace('"vix.parquet"', '"vix/*.parquet"'))
    return path


def test_series_rows_in_another_days_folder_are_an_error_counted_as_that_only(tmp_path):
    """[series.vix] in day folders, DAY2's five rows (one a NaN) inside day=2024-01-02/: a run
    reads that folder for DAY only, so they were never read (DAY2 had no VIX, silently; a run now
    refuses them). data check said only the day without VIX, and took the NaN for a price a run
    reads; options and spot rows in another day's folder were reported, a series' not."""
    path = with_vix(tmp_path, vix())
    folder = path / "vix" / "day=2024-01-02"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(vix() + vix(DAY2, closes=(14.0, float("nan"), 15.0, 15.5, 16.0))),
                   folder / "p.parquet")
    (path / "dataset.toml").write_text((path / "dataset.toml").read_text().replace(
        'path = "vix.parquet"\n', 'path = "vix/*/*.parquet"\nday_partition = "day"\n'))
    got = {(f.level, f.check): (f.count, f.where) for f in check_dataset(load_dataset(path)).findings}
    assert got == {("error", "rows_in_another_days_folder"): (5, str(folder / "p.parquet")),
                   ("warning", "days_without_series"): (1, str(path / "spot.parquet"))}
    # a run stops at them (docs/data.md, 'Time zones'): DAY2 would have run without its VIX
    from optbt.data.day_folders import RowsInAnotherDaysFolderError
    with pytest.raises(RowsInAnotherDaysFolderError, match="series.vix at 2024-01-03 09:16:00"):
        ohlc_of(path, "vix")


def ohlc_of_day(path, day, name):
    from optbt.data.duckdb_source import DuckDBSource
    src = DuckDBSource(load_dataset(path))
    try:
        return src.ohlc_bars(day, name)
    finally:
        src.close()


def test_a_series_that_cannot_be_opened_names_its_first_file_not_its_glob(tmp_path):
    path = vix_files(tmp_path, vix() + vix(DAY2), columns='close = "last"')
    assert only(path) == ("error", "missing_column", 1, str(path / "vix" / "0.parquet"))


def test_a_series_query_that_fails_names_the_series_file_of_the_row(tmp_path):
    rows = vix() + vix(DAY2)
    for r in rows:
        r["ts"] = r["ts"].strftime("%Y-%m-%d %H:%M:%S")
    rows[6]["ts"] += " IST"  # DAY2's second bar
    path = vix_files(tmp_path, rows)
    assert only(path) == ("error", "unreadable_file", 1, str(path / "vix" / "1.parquet"))


def test_a_wrong_type_in_one_file_of_several_names_that_file(tmp_path):
    """Strikes as numbers in o/a.parquet and as text in o/b.parquet: the files are read as one
    text column, and the finding named o/a.parquet, whose strikes are numbers."""
    opts, spot = clean_rows()
    for r in opts[5:]:
        r["strike"] = str(r["strike"])
    path = split_options(tmp_path, opts, spot)
    assert only(path) == ("error", "wrong_type", 1, str(path / "o" / "b.parquet"))


# -- counts: the rows a finding is about, as a run sees them --------------------------------------

def only_all(path):
    return [(f.level, f.check, f.count, f.where) for f in check_dataset(load_dataset(path)).findings]


def all_findings(path):
    return {(f.level, f.check): (f.count, f.detail) for f in check_dataset(load_dataset(path)).findings}


def test_a_row_of_unknown_type_is_counted_as_that_only(tmp_path):
    """A run never reads a row of an option type it does not know: its NaN close, its expiry
    before the day and its lone minute (gaps) are no findings of their own."""
    opts, spot = clean_rows()
    opts.append({**opts[0], "opt_type": "XX", "close": float("nan"), "expiry": date(2024, 1, 1)})
    got = all_findings(write(tmp_path, opts, spot))
    assert {k: n for k, (n, _) in got.items()} == {("error", "unknown_opt_type"): 1}


def test_rows_of_unreadable_expiries_are_no_conflict(tmp_path):
    """Two rows of one strike and minute whose expiries cannot be read differ in their close: a
    run lists neither, so nothing conflicts (data check called them conflicting duplicates)."""
    opts, spot = clean_rows()
    opts += [{**opts[0], "expiry": None, "close": 1.0}, {**opts[0], "expiry": None, "close": 2.0}]
    got = all_findings(write(tmp_path, opts, spot))
    assert {k: n for k, (n, _) in got.items()} == {("error", "bad_expiry"): 2}


def test_contract_checks_count_in_the_order_a_run_counts_contracts_left_out(tmp_path):
    """A row without expiry and strike is a bad_expiry (as the chain counts it), not also a
    bad_strike; the bad_strike finding says one more row has a bad strike."""
    from optbt.data.duckdb_source import DuckDBSource
    opts, spot = clean_rows()
    opts += [{**opts[0], "expiry": None, "strike": None}, {**opts[1], "strike": None}]
    path = write(tmp_path, opts, spot)
    got = all_findings(path)
    assert {k: n for k, (n, _) in got.items()} == {("error", "bad_expiry"): 1, ("error", "bad_strike"): 1}
    assert "1 more such row not counted here" in got[("error", "bad_strike")][1]
    assert "bad_expiry" in got[("error", "bad_strike")][1]
    src = DuckDBSource(load_dataset(path))
    src.chain(DAY)
    assert (src.ignored["bad_expiry"], src.ignored["bad_strike"]) == (1, 1)
    src.close()


def test_an_unusable_price_outside_the_session_is_only_outside_the_session(tmp_path):
    """A NaN close at 09:10 (options and spot) is never read: an outside_session warning, no error."""
    opts, spot = clean_rows()
    opts.append({**opts[0], "ts": ts(-5), "close": float("nan")})
    spot.append({**spot[0], "ts": ts(-5), "close": float("nan")})
    path = write(tmp_path, opts, spot)
    assert only_all(path) == [("warning", "outside_session", 1, str(path / "options.parquet")),
                              ("warning", "outside_session", 1, str(path / "spot.parquet"))]


def test_an_unusable_price_beside_others_says_how_many_rows_are_left_to_other_findings(tmp_path):
    opts, spot = clean_rows()
    opts[1]["close"] = float("nan")                                        # read: counted
    opts.append({**opts[0], "ts": ts(-5), "close": float("nan")})          # outside the session
    opts.append({**opts[0], "ts": None, "close": float("nan")})            # no time
    got = all_findings(write(tmp_path, opts, spot))
    assert {k: n for k, (n, _) in got.items()} == {("error", "non_finite_price"): 1, ("error", "bad_timestamp"): 1,
                                                   ("warning", "outside_session"): 1}
    detail = got[("error", "non_finite_price")][1]
    assert "2 more such rows not counted here" in detail
    assert "bad_timestamp" in detail and "outside_session" in detail


def test_a_spot_row_without_a_time_is_counted_as_that_only(tmp_path):
    opts, spot = clean_rows()
    spot.append({**spot[0], "ts": None, "close": float("nan")})
    got = all_findings(write(tmp_path, opts, spot))
    assert {k: n for k, (n, _) in got.items()} == {("error", "bad_timestamp"): 1}


def test_a_row_in_another_days_folder_is_counted_as_that_only(tmp_path):
    """Day folders: a run reads day=2024-01-02/'s files for that day only, so a NaN row dated the
    3rd in it is never read: no non_finite_price, and the 3rd is no day without spot (a run has
    no such day: the folders name the days)."""
    opts, spot = clean_rows()
    opts.append({**opts[0], "ts": ts(1, DAY2), "close": float("nan")})
    for side, rows in (("o", opts), ("s", spot)):
        (tmp_path / side / "day=2024-01-02").mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows), tmp_path / side / "day=2024-01-02" / "p.parquet")
    (tmp_path / "dataset.toml").write_text(
        'name = "folders"\n[options]\npath = "o/*/*.parquet"\nday_partition = "day"\n'
        '[spot]\npath = "s/*/*.parquet"\nday_partition = "day"\n[session]\nstart = "09:15"\nend = "09:20"\n')
    assert only_all(tmp_path) == [("error", "rows_in_another_days_folder", 1,
                                   str(tmp_path / "o" / "day=2024-01-02" / "p.parquet"))]
    from optbt.data.day_folders import RowsInAnotherDaysFolderError
    with pytest.raises(RowsInAnotherDaysFolderError, match="a row of options at 2024-01-03 09:16:00"):
        skips(tmp_path)  # the 3rd would have run without it: a run refuses it (it skipped nothing before)


# -- tick data: gaps as a run's clock sees them ---------------------------------------------------

def at(hhmmss: str, day: date = DAY) -> datetime:
    """A time of ``day`` from 'HH:MM:SS[.ffffff]'."""
    return datetime.combine(day, datetime.strptime(hhmmss, "%H:%M:%S.%f" if "." in hhmmss else "%H:%M:%S").time())


def write_ticks(tmp_path, quiet: list[str], bar_minutes: int = 1, bar_label: str = "end", end: str = "09:30",
                session: str = ""):
    """Options in quote ticks on DAY, session 09:15-``end``: the 21000 CE busy (a tick every 10
    seconds from 09:15:05 to 09:30:00, far more rows than clock ticks), the 21000 PE quiet (a
    tick at each of ``quiet``); spot bars every minute. ``session``: more of [session]."""
    def row(t, ot, px):
        return {"ts": t, "underlying": "NIFTY", "expiry": EXP, "strike": 21000.0, "opt_type": ot, "close": px}
    busy = [row(at("09:15:05") + timedelta(seconds=10 * i), "CE", 100.0 + i) for i in range(90)]
    opts = busy + [row(at(q), "PE", 50.0 + i) for i, q in enumerate(quiet)]
    spot = [{"ts": ts(k), "underlying": "NIFTY", "close": 21000.0 + k} for k in range(1, 16)]
    pq.write_table(pa.Table.from_pylist(opts), tmp_path / "options.parquet")
    pq.write_table(pa.Table.from_pylist(spot), tmp_path / "spot.parquet")
    (tmp_path / "dataset.toml").write_text(
        f'name = "ticks"\nunderlying = "NIFTY"\nbar_minutes = {bar_minutes}\nbar_label = "{bar_label}"\n'
        f'[options]\npath = "options.parquet"\n[spot]\npath = "spot.parquet"\n'
        f'[session]\nstart = "09:15"\nend = "{end}"\n{session}')
    return tmp_path


def stale_ticks(path) -> int:
    """What a run sees: the clock ticks at which an option's price is stale or unknown (align)."""
    from optbt.data.cache import align
    from optbt.data.duckdb_source import DuckDBSource
    from optbt.engine.clock import session_ticks
    from optbt.model.instrument import Instrument
    cfg = load_dataset(path)
    src = DuckDBSource(cfg)
    try:
        ticks = session_ticks(*src.session(DAY), cfg.bar_minutes)
        insts = [Instrument("NIFTY", EXP, 21000.0, ot) for ot in ("CE", "PE")]
        bars = src.option_bars(DAY, insts)
        return sum(q is None or q[1] != 0 for i in insts for q in align(ticks, bars[i]).quote)
    finally:
        src.close()


QUIET = ["09:15:30", "09:16:00", "09:20:00", "09:20:00.500000"]


@pytest.mark.parametrize("bar_minutes, bar_label, end, quiet, extra, gaps, bars", [
    # a tick at 09:15:30 and one at 09:16:00 are both the 09:16 tick's (ceiling, not floor): the PE
    # has bars at ticks 1, 5, 6 of 15 -> 12; the CE has all 15, its surplus rows make up for nothing
    (1, "end", "09:30", QUIET, "", 12, ("PE", "3 of 15")),
    # 5-minute clock (09:20, 09:25, 09:30): 09:20:00 is the 09:20 tick's, 09:20:00.5 the 09:25's
    (5, "end", "09:30", QUIET, "", 1, ("PE", "2 of 3")),
    # start labels: known a bar later. PE at 09:16:30, 09:17, 09:21, 09:21:00.5: ticks 2, 6, 7 -> 12;
    # the CE's first row is known at 09:16:05, so the 09:16 tick has none -> 1
    (1, "start", "09:30", QUIET, "", 13, ("PE", "3 of 15")),
    # PE known 09:20:30, 09:21, 09:25 (tick 2), 09:25:00.5 (tick 3); CE from 09:20:05: no 09:20 bar
    (5, "start", "09:30", QUIET, "", 2, ("CE", "2 of 3")),  # a tie: the first
    # a session of 12 minutes: ticks 09:20 and 09:25 only; the PE's 09:26 row belongs to no tick
    (5, "end", "09:27", ["09:15:30", "09:26:00"], "", 1, ("PE", "1 of 2")),
    (5, "end", "09:30", ["09:15:30", "09:26:00"], 'early_close = { "2024-01-02" = "09:27" }\n', 1, ("PE", "1 of 2")),
    # end_from_data: the day ends at its last option bar, the CE's 09:29:55, so a run has ticks 09:16 ..
    # 09:29 (14, not 15): the PE has bars at 3 of them -> 11 (data check counted 15 ticks: 12)
    (1, "end", "09:30", QUIET, "end_from_data = true\n", 11, ("PE", "3 of 14")),
])
def test_gaps_on_tick_data_are_the_clock_ticks_a_run_finds_an_instrument_stale(tmp_path, bar_minutes, bar_label,
                                                                               end, quiet, extra, gaps, bars):
    """Gaps are counted per instrument at the run's clock ticks: a tick at which the instrument
    has no bar known since the tick before. data check once counted distinct minutes (floor, not
    the run's ceiling) of all instruments of a day against minutes / bar_minutes, so a busy
    contract's surplus hid a quiet one's holes (no finding at bar_minutes = 5) and bar_minutes = 1
    was one off."""
    path = write_ticks(tmp_path, quiet, bar_minutes, bar_label, end, extra)
    report = check_dataset(load_dataset(path))
    # ticks labelled by bar start are refused (an error; a run stops on them, test_bar_labels.py);
    # the gaps are still counted on the shifted rows, as for start-labelled minute bars
    assert [f.check for f in report.errors] == (["start_labelled_ticks"] if bar_label == "start" else [])
    got = [f for f in report.findings if f.check == "gaps"]
    assert [(f.level, f.count, f.where) for f in got] == [("warning", gaps, str(path / "options.parquet"))]
    assert (got[0].sample["opt_type"], got[0].sample["bars"]) == bars
    if bar_label == "start":
        from optbt.data.source import StartLabelledTicksError
        with pytest.raises(StartLabelledTicksError):
            stale_ticks(path)
    else:
        assert stale_ticks(path) == gaps


def test_with_the_spot_clock_gaps_are_counted_at_the_spot_bars_times(tmp_path):
    """clock = "spot", spot bars at 09:20, 09:25 and 09:30 only: a run's ticks are those three.
    The PE's rows (09:15:30, 09:16, 09:20 -> the 09:20 tick; 09:20:00.5 -> 09:25) leave it no bar
    at 09:30: 1 gap; the busy CE has all three. data check counted the session's 15 minutes
    (12 gaps, the PE at 3 of 15)."""
    from optbt.data.cache import align
    from optbt.data.duckdb_source import DuckDBSource
    from optbt.engine.clock import spot_clock
    from optbt.model.instrument import Instrument
    path = write_ticks(tmp_path, QUIET)
    pq.write_table(pa.Table.from_pylist([{"ts": ts(k), "underlying": "NIFTY", "close": 21000.0 + k} for k in (5, 10, 15)]),
                   path / "spot.parquet")
    (path / "dataset.toml").write_text((path / "dataset.toml").read_text().replace(
        'bar_label = "end"\n', 'bar_label = "end"\nclock = "spot"\n'))
    report = check_dataset(load_dataset(path))
    got = [f for f in report.findings if f.check == "gaps"]
    assert [(f.level, f.count, f.sample["opt_type"], f.sample["bars"]) for f in got] == [("warning", 1, "PE", "2 of 3")]
    assert 'clock = "spot"' in got[0].detail
    src = DuckDBSource(load_dataset(path))
    try:
        ticks = spot_clock(DAY, *src.session(DAY), [b[0] for b in src.spot_bars(DAY)])
        insts = [Instrument("NIFTY", EXP, 21000.0, ot) for ot in ("CE", "PE")]
        bars = src.option_bars(DAY, insts)
        stale = sum(q is None or q[1] != 0 for i in insts for q in align(ticks, bars[i]).quote)
    finally:
        src.close()
    assert (len(ticks), stale) == (3, 1)


@pytest.mark.parametrize("clock", ["session", "spot"])
def test_run_clock_gaps_in_day_folders_of_two_underlyings(tmp_path, clock):
    """Day folders holding NIFTY and BANKNIFTY, end_from_data: NIFTY's options end at 09:19 (its
    session 09:15-09:19: ticks 09:16 .. 09:19), BANKNIFTY's at 09:20; the spot of each has bars
    at 09:16, 09:17, 09:19 (and 09:20). NIFTY's CE lacks its 09:17 bar. Session clock: NIFTY
    ticks 4, the CE has 3 -> 1 gap; BANKNIFTY ticks 5, complete. Spot clock: NIFTY ticks 09:16,
    09:17, 09:19 (its 09:20 spot bar is after its day's end), the CE has 2 -> 1 gap;
    BANKNIFTY 4 ticks, complete."""
    opts, spot = [], []
    for und, last in (("NIFTY", 4), ("BANKNIFTY", 5)):
        opts += [{"ts": ts(k), "underlying": und, "expiry": EXP, "strike": 21000.0, "opt_type": ot, "close": 100.0 + k}
                 for ot in ("CE", "PE") for k in range(1, last + 1) if not (und == "NIFTY" and ot == "CE" and k == 2)]
        spot += [{"ts": ts(k), "underlying": und, "close": 21000.0 + k} for k in (1, 2, 4, 5)]
    path = folders(tmp_path, opts, spot)
    toml = (path / "dataset.toml").read_text().replace('end = "09:20"\n', 'end = "09:20"\nend_from_data = true\n')
    (path / "dataset.toml").write_text(toml.replace('underlying = "NIFTY"\n', f'underlying = "NIFTY"\nclock = "{clock}"\n'))
    (f,) = check_dataset(load_dataset(path)).findings
    assert (f.check, f.count, f.sample["underlying"], f.sample["opt_type"], f.sample["bars"]) == (
        "gaps", 1, "NIFTY", "CE", "3 of 4" if clock == "session" else "2 of 3")


def test_minute_bars_on_the_grid_have_the_gaps_of_their_missing_minutes(tmp_path):
    """Bars on whole minutes, bar_minutes = 1: a gap is a missing minute of an instrument."""
    opts, spot = clean_rows()
    del opts[7], opts[2]  # PE 09:18, CE 09:18
    del opts[0]           # CE 09:16
    report = check_dataset(load_dataset(write(tmp_path, opts, spot)))
    assert [(f.check, f.count) for f in report.findings] == [("gaps", 3)]
    assert stale_ticks(tmp_path) == 3


# -- tick data: duplicates are exact (instrument, time) keys, found a chunk of days at a time ------

EXACT = "GROUP BY optbt_u, optbt_e, optbt_k, optbt_o, optbt_t HAVING count(*) > 1"  # the exact query's


def write_tick_days(tmp_path):
    """Three days of sub-second option ticks in day folders (spot bars every minute), with
    planted repeats on the 3rd and 4th only (hand-counted: 2 conflicts, 2 identical repeats):

    - 3rd, part-0: CE at 09:16:10.123456 twice, identical (a repeat); CE at 09:17:00.000001 with
      closes 100 and 101 (a conflict); PE at 09:18:30.5 and at 09:18:30.500001, closes 60 and 61
      (one microsecond apart: two bars, no duplicate);
    - 3rd, part-1: PE at 09:19:59.999999 with close 71, part-0 has 70 there (a conflict, across
      two files of the day);
    - 4th: CE at 09:16:00 (on the minute) twice, identical (a repeat), and at 09:16:00.5.
    """
    def row(t, ot, px):
        return {"ts": t, "underlying": "NIFTY", "expiry": date(2024, 1, 11), "strike": 21000.0, "opt_type": ot,
                "close": px}

    days = [DAY, DAY2, date(2024, 1, 4)]
    for n, day in enumerate(days):
        base = [row(at("09:15:00.250000", day) + timedelta(seconds=7.5 * i), ot, 80.0 + i)
                for i in range(40) for ot in ("CE", "PE")]
        parts = {"part-0": base}
        if n == 1:
            base += [row(at("09:16:10.123456", day), "CE", 90.0), row(at("09:16:10.123456", day), "CE", 90.0),
                     row(at("09:17:00.000001", day), "CE", 100.0), row(at("09:17:00.000001", day), "CE", 101.0),
                     row(at("09:18:30.500000", day), "PE", 60.0), row(at("09:18:30.500001", day), "PE", 61.0),
                     row(at("09:19:59.999999", day), "PE", 70.0)]
            parts["part-1"] = [row(at("09:19:59.999999", day), "PE", 71.0)]
        if n == 2:
            base += [row(at("09:16:00", day), "CE", 95.0), row(at("09:16:00", day), "CE", 95.0),
                     row(at("09:16:00.500000", day), "CE", 96.0)]
        for name, rows in parts.items():
            (tmp_path / "o" / f"day={day}").mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(rows), tmp_path / "o" / f"day={day}" / f"{name}.parquet")
        (tmp_path / "s" / f"day={day}").mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist([{"ts": ts(k, day), "underlying": "NIFTY", "close": 21000.0 + k}
                                             for k in range(1, 6)]), tmp_path / "s" / f"day={day}" / "p.parquet")
    (tmp_path / "dataset.toml").write_text(
        'name = "tick days"\nunderlying = "NIFTY"\n[options]\npath = "o/*/*.parquet"\nday_partition = "day"\n'
        '[spot]\npath = "s/*/*.parquet"\nday_partition = "day"\n[session]\nstart = "09:15"\nend = "09:20"\n')
    return tmp_path


@pytest.mark.parametrize("chunk_rows", [None, 1])  # every day in one chunk; a chunk a day
def test_duplicates_among_sub_second_ticks_are_exact_and_read_only_on_their_days(tmp_path, monkeypatch, chunk_rows):
    """Two rows of one instrument at one microsecond are a duplicate (a conflict when the bars a
    run reads differ), a microsecond apart they are two bars. data check once read every file
    at once with a row-by-row query whenever timestamps were off the minute (2.8 GB for 3 M
    ticks); it now reads again only the days whose (instrument, time) keys repeat, a chunk of
    days at a time, and finds the same."""
    from optbt.data import check, check_core
    if chunk_rows:
        monkeypatch.setattr(check_core, "CHUNK_ROWS", chunk_rows)
    path = write_tick_days(tmp_path)
    read: list[list[str]] = []  # the files each exact duplicate query of a chunk read
    q_dicts = check._Checker.q_dicts

    def spy(self, sql, params):
        if EXACT in sql:
            read.append(params["f"])
        return q_dicts(self, sql, params)
    monkeypatch.setattr(check._Checker, "q_dicts", spy)
    report = check_dataset(load_dataset(path))
    got = {f.check: f for f in report.findings if f.check in ("conflicting_duplicates", "duplicate_rows")}
    day2 = path / "o" / "day=2024-01-03"
    conflict, repeats = got["conflicting_duplicates"], got["duplicate_rows"]
    assert (conflict.level, conflict.count, conflict.where) == ("error", 2, str(day2 / "part-0.parquet"))
    assert (conflict.sample["opt_type"], conflict.sample["close"]) == ("CE", "100.0")
    assert "e.g. 1 file(s): price 100.0 vs 101.0" in conflict.detail
    assert (repeats.level, repeats.count, repeats.where) == ("warning", 2, str(day2 / "part-0.parquet"))
    assert (repeats.sample["opt_type"], repeats.sample["close"]) == ("CE", "90.0")
    # only the 3rd's and the 4th's files are read again (in one query, or one a chunk), never the 2nd's
    assert read == [[str(day2 / "part-0.parquet"), str(day2 / "part-1.parquet"),
                     str(path / "o" / "day=2024-01-04" / "part-0.parquet")]] if not chunk_rows else [
        [str(day2 / "part-0.parquet"), str(day2 / "part-1.parquet")],
        [str(path / "o" / "day=2024-01-04" / "part-0.parquet")]]


def test_clean_tick_data_reads_no_file_again_for_duplicates(tmp_path, monkeypatch):
    from optbt.data import check
    path = write_ticks(tmp_path, QUIET)
    seen = []
    q_dicts = check._Checker.q_dicts
    monkeypatch.setattr(check._Checker, "q_dicts",
                        lambda self, sql, params: seen.append(EXACT in sql) or q_dicts(self, sql, params))
    report = check_dataset(load_dataset(path))
    assert [f.check for f in report.findings] == ["gaps"] and not any(seen)


@pytest.mark.parametrize("chunk_rows", [None, 1])
def test_spot_tick_duplicates_are_found_a_block_of_days_at_a_time(tmp_path, monkeypatch, chunk_rows):
    """Spot ticks in day folders, hand-counted: on the 2nd a tick at 09:16:30.25 twice alike (a
    repeat) and at 09:17:10.000001 with closes 21000 and 21001 (a conflict of closes); on the 3rd
    a tick at 09:18:00.5 twice with one close and two opens (a conflict for a run reading whole
    bars) and one at 09:18:00.500001 (no duplicate). The spot's duplicates were one query over
    every spot file (1.1 GB for 60 days of 22,000 ticks); now a block of files (CHUNK_ROWS rows)
    at a time, with the same findings."""
    from optbt.data import check, check_core
    if chunk_rows:
        monkeypatch.setattr(check_core, "CHUNK_ROWS", chunk_rows)

    def bar(t, close, open_=None):
        return {"ts": t, "underlying": "NIFTY", "open": open_ or close, "high": close + 1, "low": close - 1,
                "close": close}
    for n, day in enumerate((DAY, DAY2)):
        spot = [bar(at("09:15:01.500000", day) + timedelta(seconds=3 * i), 21000.0 + i) for i in range(90)]
        if n == 0:
            spot += [bar(at("09:16:30.250000", day), 20900.0)] * 2
            spot += [bar(at("09:17:10.000001", day), 21000.0), bar(at("09:17:10.000001", day), 21001.0)]
        else:
            spot += [bar(at("09:18:00.500000", day), 20950.0, 20949.0), bar(at("09:18:00.500000", day), 20950.0),
                     bar(at("09:18:00.500001", day), 20951.0)]
        for side, rows in (("o", [{"ts": ts(k, day), "underlying": "NIFTY", "expiry": EXP, "strike": 21000.0,
                                   "opt_type": ot, "close": 100.0} for k in range(1, 6) for ot in ("CE", "PE")]),
                           ("s", spot)):
            (tmp_path / side / f"day={day}").mkdir(parents=True)
            pq.write_table(pa.Table.from_pylist(rows), tmp_path / side / f"day={day}" / "p.parquet")
    (tmp_path / "dataset.toml").write_text(
        'name = "spot ticks"\nunderlying = "NIFTY"\n[options]\npath = "o/*/*.parquet"\nday_partition = "day"\n'
        '[spot]\npath = "s/*/*.parquet"\nday_partition = "day"\n[session]\nstart = "09:15"\nend = "09:20"\n')
    read: list[list[str]] = []
    q_dicts = check._Checker.q_dicts

    def spy(self, sql, params):
        if "GROUP BY optbt_u, optbt_t HAVING count(*) > 1" in sql:
            read.append(params["f"])
        return q_dicts(self, sql, params)
    monkeypatch.setattr(check._Checker, "q_dicts", spy)
    got = {f.check: f for f in check_dataset(load_dataset(tmp_path)).findings}
    first = str(tmp_path / "s" / f"day={DAY}" / "p.parquet")
    assert (got["conflicting_duplicates"].count, got["conflicting_duplicates"].where) == (2, first)
    assert ("1 with different closes" in got["conflicting_duplicates"].detail
            and "1 with one close but a different open" in got["conflicting_duplicates"].detail)
    assert got["conflicting_duplicates"].sample["close"] == "21000.0"
    assert (got["duplicate_rows"].count, got["duplicate_rows"].where) == (1, first)
    second = str(tmp_path / "s" / f"day={DAY2}" / "p.parquet")
    assert read == ([[first], [second]] if chunk_rows else [[first, second]])


def test_bid_and_ask_columns_the_config_does_not_map_are_a_note(tmp_path):
    """Files with quotes and a config naming none: a run fills at the close (quote columns are read
    only when named), which a recomputation from the quotes would not. Said as a note; mapped, none."""
    opts, spot = clean_rows()
    opts = [{**r, "Bid": r["close"] - 0.5, "Ask": r["close"] + 0.5} for r in opts]
    path = write(tmp_path, opts, spot)
    report = check_dataset(load_dataset(path))
    (f,) = report.findings
    assert (f.level, f.check, f.where) == ("note", "quotes_not_read", str(path / "options.parquet"))
    assert "'Bid' and 'Ask'" in f.detail and 'bid = "Bid"' in f.detail
    assert not report.errors and not report.warnings  # a note: the exit code stays 0
    mapped = write(tmp_path, opts, spot, option_columns='bid = "Bid", ask = "Ask"')
    assert check_dataset(load_dataset(mapped)).findings == []


# -- forward-filled bars ------------------------------------------------------------------------------

def with_bars(rows, volume=True):
    """The rows as whole bars: open/high/low around the close, volume 10 (with ``volume``)."""
    return [{**r, "open": r["close"] - 1, "high": r["close"] + 1, "low": r["close"] - 2,
             **({"volume": 10} if volume else {})} for r in rows]


def plant_forward_fill(o):
    """The CE's 09:18 and 09:19 bars repeat its 09:17 bar with volume 0 (a vendor's fill); the PE's
    09:18 bar has volume 0 but a new close (a real quiet bar), its 09:19 bar repeats 09:18 with
    volume 5 (a trade at the same prices): only the CE's two are forward-filled, of 10 bars."""
    ce = [r for r in o if r["opt_type"] == "CE"]
    pe = [r for r in o if r["opt_type"] == "PE"]
    for r in ce[2:4]:
        r.update({k: ce[1][k] for k in ("open", "high", "low", "close")}, volume=0)
    pe[2]["volume"] = 0
    pe[3].update({k: pe[2][k] for k in ("open", "high", "low", "close")}, volume=5)


def test_forward_filled_bars_are_a_warning_with_their_share(tmp_path):
    """A vendor fills a minute without trades by repeating the last bar (same open, high, low,
    close; volume 0): a run fills entries and stops at that stale price as if fresh. data check
    said nothing; it now counts such bars (2 of the 10 bars: 20%) and names the file."""
    o, s = clean_rows()
    o = with_bars(o)
    plant_forward_fill(o)
    path = write(tmp_path, o, s)
    report = check_dataset(load_dataset(path))
    (f,) = report.findings
    assert (f.level, f.check, f.count, f.where) == ("warning", "forward_filled_bars", 2, str(path / "options.parquet"))
    assert "2 of 10 option bars (20.0%)" in f.detail
    assert f.sample["opt_type"] == "CE" and f.sample["ts"] == "2024-01-02 09:18:00"  # the first of them


def test_without_a_volume_column_no_bar_is_judged_forward_filled(tmp_path):
    o, s = clean_rows()
    o = with_bars(o, volume=False)
    for r in o[2:4]:  # CE repeats, but nothing says no trade happened
        r.update({k: o[1][k] for k in ("open", "high", "low", "close")})
    assert findings(write(tmp_path, o, s)) == {}


def test_forward_filled_bars_are_found_without_an_underlying_column(tmp_path):
    o, s = clean_rows()
    o = [{k: v for k, v in r.items() if k != "underlying"} for r in with_bars(o)]
    plant_forward_fill(o)
    assert findings(write(tmp_path, o, [{k: v for k, v in r.items() if k != "underlying"} for r in s])) == {
        ("warning", "forward_filled_bars"): 2}


@pytest.mark.parametrize("table", ["series", "options"])
def test_a_series_time_no_spelling_reads_is_filed_as_the_options_would_be(tmp_path, table):
    """A [series.vix] whose text times are day first ('02-01-2024 09:16:00': 2 January or 1
    February) was refused, rightly, but data check filed it as missing_column (its message ends
    '...or store them as a timestamp column'); the same rows in the options are unreadable_file."""
    def day_first(rows):
        return [{**r, "ts": r["ts"].strftime("%d-%m-%Y %H:%M:%S")} for r in rows]
    o, _ = clean_rows()
    if table == "options":
        path = with_vix(tmp_path, vix() + vix(DAY2))
        pq.write_table(pa.Table.from_pylist(day_first(o)), tmp_path / "options.parquet")
        want = str(path / "options.parquet")
    else:
        path = with_vix(tmp_path, day_first(vix() + vix(DAY2)))
        want = str(path / "vix.parquet")
    assert only(path) == ("error", "unreadable_file", 1, want)


def test_a_series_date_column_no_spelling_reads_is_unreadable_file(tmp_path):
    rows = [{"d": r["ts"].strftime("%d-%m-%Y"), "t": r["ts"].strftime("%H:%M"), "close": r["close"]}
            for r in vix() + vix(DAY2)]
    path = with_vix(tmp_path, rows, columns='ts = "", date = "d", time = "t"')
    assert only(path) == ("error", "unreadable_file", 1, str(path / "vix.parquet"))


# -- runs of repeated spot and series bars (a feed that stopped, filled) ---------------------

def walk(n: int = 60, seed: int = 7, volume: float = 0.0) -> list[dict]:
    """``n`` minute bars of an index (volume 0 every bar) from 09:16: a random walk on a 0.05
    tick, each bar's open the last close, high and low around both."""
    import random
    rnd, last, rows = random.Random(seed), 21000.0, []
    for k in range(1, n + 1):
        close = round(last + rnd.choice((-3, -2, -1, 1, 2, 3)) * 0.05 * rnd.randint(1, 20), 2)
        rows.append({"ts": ts(k), "open": last, "high": round(max(last, close) + 0.35, 2),
                     "low": round(min(last, close) - 0.4, 2), "close": close, "volume": volume})
        last = close
    return rows


def repeat(rows: list[dict], first: int, count: int, **extra) -> list[dict]:
    """``rows`` with bars ``first`` .. ``first + count - 1`` (0-based) copies of the bar before them."""
    out = [dict(r) for r in rows]
    for r in out[first:first + count]:
        r.update({k: out[first - 1][k] for k in ("open", "high", "low", "close")}, **extra)
    return out


def with_spot_bars(tmp_path, spot_rows, vix_rows=None):
    """Clean options (as clean_rows) beside ``spot_rows`` in a 09:15-10:15 session; a [series.vix]."""
    o, _ = clean_rows()
    path = write(tmp_path, o, spot_rows, extra_toml='[series.vix]\npath = "vix.parquet"\n' if vix_rows else "")
    if vix_rows:
        pq.write_table(pa.Table.from_pylist(vix_rows), tmp_path / "vix.parquet")
    toml = path / "dataset.toml"
    toml.write_text(toml.read_text().replace('end = "09:20"', 'end = "10:15"'))
    return path


def repeated(path):
    found = [f for f in check_dataset(load_dataset(path)).findings if f.check == "repeated_bars"]
    return [(f.level, f.count, f.where, f.sample["ts"]) for f in found], found


def test_a_spot_feed_filled_by_repeating_its_last_bar_is_a_warning(tmp_path):
    """The spot's 10:00..10:07 bars (8) copy 09:59's open, high, low and close with volume 0 (an
    index: volume 0 on every bar, so the options' rule cannot tell): a run read them as fresh
    spot prices; data check said nothing. Now: repeated_bars, the 8 bars, the first at 10:00."""
    path = with_spot_bars(tmp_path, repeat(walk(), 44, 8))   # bars 45..52 are 10:00..10:07
    got, (f,) = repeated(path)
    assert got == [("warning", 8, str(path / "spot.parquet"), "2024-01-02 10:00:00")]
    assert "8 spot bars, in 1 run(s) of 5 or more" in f.detail and "lag 0" in f.detail


def test_a_series_filled_by_repeating_its_last_bar_is_a_warning_naming_it(tmp_path):
    vix = [{**r, "open": r["open"] / 1000, "high": r["high"] / 1000, "low": r["low"] / 1000,
            "close": r["close"] / 1000} for r in walk(seed=3)]
    path = with_spot_bars(tmp_path, walk(), repeat(vix, 10, 5))  # 09:26..09:30: exactly 5 repeats
    got, (f,) = repeated(path)
    assert got == [("warning", 5, str(path / "vix.parquet"), "2024-01-02 09:26:00")]
    assert "series.vix bars" in f.detail


def test_naturally_equal_bars_are_not_repeated_bars(tmp_path):
    """A quiet index: a bar repeated once, a run of 4 repeats (one short of a fill); a
    stock's 6 prints at one price (volume above 0); 6 repeats after the close (outside the
    session): none is judged a fill."""
    rows = walk()
    rows = repeat(rows, 10, 1)                   # one repeat
    rows = repeat(rows, 20, 4)                   # four in a row
    rows += repeat(walk(70)[60:], 1, 6)          # 10:17..10:22, outside the 09:15-10:15 session
    assert repeated(with_spot_bars(tmp_path, rows))[0] == []
    stock = repeat(walk(volume=100.0), 30, 6, volume=250.0)
    assert repeated(with_spot_bars(tmp_path, stock))[0] == []


def test_a_spot_of_closes_only_is_not_judged_for_repeated_bars(tmp_path):
    rows = [{"ts": r["ts"], "close": r["close"]} for r in repeat(walk(), 44, 8)]
    assert repeated(with_spot_bars(tmp_path, rows))[0] == []


# -- naive expiries at one time of day after the session, without timezone --------------------

def expiries_at(tmp_path, values, kind=None, end: str = "09:20", extra_toml: str = ""):
    """Clean rows whose CE expiries are ``values[0]`` and PE expiries ``values[-1]`` (naive
    timestamps, or text), the session 09:15-``end``."""
    o, s = clean_rows()
    for r in o:
        r["expiry"] = values[0] if r["opt_type"] == "CE" else values[-1]
    path = write(tmp_path, o, s, extra_toml=extra_toml)
    toml = path / "dataset.toml"
    toml.write_text(toml.read_text().replace('end = "09:20"', f'end = "{end}"'))
    return path


def notes(path):
    return [f for f in check_dataset(load_dataset(path)).findings if f.check == "naive_utc_midnights"]


@pytest.mark.parametrize("values, shown, offsets", [
    ([datetime(2024, 1, 3, 18, 30)], "18:30:00", "UTC+05:30"),                     # IST's midnight of the 4th
    (["2024-01-03 18:30:00"], "18:30:00", "UTC+05:30"),                             # the same as text
    ([datetime(2024, 1, 3, 23), datetime(2024, 7, 3, 22)], "22:00:00 or 23:00:00",  # Berlin, winter and summer
     "UTC+02:00 or UTC+01:00"),
], ids=["timestamp", "text", "summer_time"])
def test_naive_expiries_all_at_a_utc_midnights_time_are_noted_without_timezone(tmp_path, values, shown, offsets):
    """Every expiry at 18:30:00, naive, no timezone: the 4th's midnight in IST written in UTC is
    read as the 3rd (a run trades 'NIFTY 2024-01-03 21000 CE'), and data check said nothing. A
    run cannot tell; data check now notes it, with the offset and what timezone would do."""
    path = expiries_at(tmp_path, values)
    (f,) = notes(path)
    assert (f.level, f.where) == ("note", str(path / "options.parquet"))
    assert f.count == len(values)  # distinct expiries
    assert f"the expiries (column 'expiry') are all at {shown} ({len(values)} distinct" in f.detail
    assert f"{shown} UTC is 00:00 of the next day at {offsets}" in f.detail and 'timezone = "Area/City"' in f.detail


@pytest.mark.parametrize("values, end", [
    ([datetime(2024, 1, 4, 15, 30)], "15:30"),                          # the exchange's close: in the session
    ([datetime(2024, 1, 4, 23, 59, 59)], "09:20"),                      # end of the day: no zone's midnight
    ([datetime(2024, 1, 4, 5, 0)], "09:20"),                            # New York's midnight: the same date anyway
    ([datetime(2024, 1, 3, 18, 30), datetime(2024, 1, 4)], "09:20"),    # not one time of day
    ([datetime(2024, 1, 3, 18, 30), datetime(2024, 1, 3, 20, 0)], "09:20"),  # two, not an hour apart
    ([date(2024, 1, 4)], "09:20"),                                      # a DATE has no time
], ids=["close", "23:59:59", "west", "mixed", "two", "date"])
def test_expiries_that_are_no_utc_midnight_are_not_noted(tmp_path, values, end):
    assert notes(expiries_at(tmp_path, values, end=end)) == []


def test_with_timezone_the_note_gives_way_to_the_refusal(tmp_path):
    path = expiries_at(tmp_path, [datetime(2024, 1, 3, 18, 30)], extra_toml='timezone = "Asia/Kolkata"\n')
    found = {(f.level, f.check) for f in check_dataset(load_dataset(path)).findings}
    assert ("error", "timezone") in found and ("note", "naive_utc_midnights") not in found


def test_a_date_column_all_at_a_utc_midnights_time_is_noted(tmp_path):
    """A date+time layout whose date is 2024-01-01 18:30:00 (IST's midnight of the 2nd in UTC):
    without timezone the rows fell on the 1st, silently."""
    o, s = clean_rows()
    o = [{**{k: v for k, v in r.items() if k != "ts"}, "d": datetime(2024, 1, 1, 18, 30), "t": r["ts"].time()}
         for r in o]
    path = write(tmp_path, o, s, option_columns='ts = "", date = "d", time = "t"')
    (f,) = notes(path)
    assert "options: the dates (column 'd') are all at 18:30:00 (1 distinct" in f.detail


def test_one_expirys_strikes_off_the_spots_scale_are_an_error_as_a_run_refuses_them(tmp_path):
    """The monthly's file has its strikes x100 (2100000 for 21000) beside a clean weekly: the
    whole chain's range (21000 to 2100000) holds the spot, so data check passed, while a run
    whose expiry rule picks the monthly stops on that day (its ATM is the monthly's)."""
    from optbt import run_backtest
    from optbt.model.errors import DataError
    from tests.kit import SellAtmStraddle

    class Monthly(SellAtmStraddle):  # sells the ATM straddle at 09:17
        expiry = "monthly"
    o, s = clean_rows()
    o += [{**r, "expiry": date(2024, 1, 25), "strike": r["strike"] * 100} for r in o]
    path = write(tmp_path, o, s)
    f = only(path)
    assert f == ("error", "strikes_off_spot_scale", 1, str(path / "options.parquet"))
    detail = next(x.detail for x in check_dataset(load_dataset(path)).findings)
    assert detail.startswith("2024-01-02 (expiry 2024-01-25): the listed strikes run from 2.1e+06 to 2.1e+06 while "
                             "the spot is 21001, 100x below them")
    assert detail.endswith("a run whose expiry rule picks 2024-01-25 skips the day")
    with pytest.raises(DataError, match="the listed strikes run from 2.1e"):
        run_backtest(Monthly, data=load_dataset(path))
    assert findings(write(tmp_path, *clean_rows())) == {}


@pytest.mark.parametrize("scale, shown", [(100, "2.1e+06"), (0.01, "210")], ids=["x100", "x0.01"])
def test_strikes_of_another_scale_beside_an_expirys_own_are_a_warning(tmp_path, scale, shown):
    """A second file of the weekly with its strikes x100 (or /100): the expiry lists 21000 and
    2100000, the spot 21001 inside that range, so nothing said a thing, and a run listed the
    stray strike as a contract of its own (one a strike by premium may pick)."""
    o, s = clean_rows()
    o += [{**r, "strike": r["strike"] * scale} for r in o]
    path = write(tmp_path, o, s)
    assert only(path) == ("warning", "strikes_of_another_scale", 1, str(path / "options.parquet"))
    (f,) = check_dataset(load_dataset(path)).findings
    assert f.detail.startswith(f"2024-01-02: expiry 2024-01-04 lists 1 strike(s) more than 50x away from the spot "
                               f"(21001): {shown}, beside 1 on its scale (21000 to 21000)")


def test_an_expiry_of_strikes_all_of_other_scales_around_the_spot_is_a_warning(tmp_path):
    """Strikes 210 (/100) and 2100000 (x100) only: their range holds the spot 21001, so the run's
    ATM is 210, the nearest, and nothing said a thing (the check's first version failed on it)."""
    o, s = clean_rows()
    o = [{**r, "strike": k} for r in o for k in (210.0, 2100000.0)]
    path = write(tmp_path, o, s)
    assert only(path) == ("warning", "strikes_of_another_scale", 1, str(path / "options.parquet"))
    (f,) = check_dataset(load_dataset(path)).findings
    assert "lists 2 strike(s) more than 50x away from the spot (21001): 210, 2.1e+06, beside none on its scale" in f.detail


def test_far_wings_within_50x_of_the_spot_are_no_other_scale(tmp_path):
    o, s = clean_rows()
    o += [{**r, "strike": k} for r in o[:1] for k in (500.0, 1000000.0)]  # 42x below, 47.6x above 21001
    assert "strikes_of_another_scale" not in {f.check for f in check_dataset(load_dataset(write(tmp_path, o, s))).findings}


# -- premiums of another unit on some days -----------------------------------------------------

def three_strikes(day: date, scale: float = 1.0, puts: float = 1.0, calls: float = 1.0, expiry: date = EXP,
                  strikes=(20950.0, 21000.0, 21050.0)) -> list[dict]:
    """Six contracts of ``expiry`` (strikes 20950, 21000, 21050, or ``strikes``; CE and PE), closes
    100 + k at 09:15 + k (k = 1..5) times ``scale`` (and ``calls`` or ``puts`` for their side)."""
    return [{"ts": ts(k, day), "underlying": "NIFTY", "expiry": expiry, "strike": strike, "opt_type": ot,
             "close": (100.0 + k) * scale * (calls if ot == "CE" else puts)}
            for strike in strikes for ot in ("CE", "PE") for k in range(1, 6)]


def priced_days(tmp_path, second, first_scale: float = 1.0, extra=(), first: bool = True):
    """DAY's three strikes (times ``first_scale``; none unless ``first``) and ``extra`` rows, then
    DAY2's ``second``; the spot 21001..21005 on both days."""
    _, s = clean_rows()
    return write(tmp_path, (three_strikes(DAY, first_scale) if first else []) + list(extra) + second,
                 s + [{**r, "ts": r["ts"] + timedelta(days=1)} for r in s])


@pytest.mark.parametrize("first, second, previous, opened", [(1, 100, "105.0", "10100.0"), (100, 1, "10500.0", "101.0")],
                         ids=["x100_after", "x100_before"])
def test_a_day_of_premiums_x100_is_a_warning(tmp_path, first, second, previous, opened):
    """DAY2's file holds premiums in paise (x100): 10100 where 101 was meant (or DAY's does).
    Every price is positive and below the spot; a run traded them as written (P&L 100x), data
    check said nothing. Each contract opens at 10100 after closing at 105 the day before:
    96.2x (or 101 after 10500: 0.00962x)."""
    path = priced_days(tmp_path, three_strikes(DAY2, scale=second), first)
    found = [f for f in check_dataset(load_dataset(path)).findings if f.check == "premiums_of_another_scale"]
    (f,) = found
    assert (f.level, f.count, f.where) == ("warning", 1, str(path / "options.parquet"))
    ratio = (101 * second) / (105 * first)  # 96.19... or 0.009619...
    assert f.detail.startswith(f"2024-01-03: the median of 6 contracts, calls and puts alike, opens at {ratio:.3g}x "
                               "its last price of the day before")
    assert f.sample["previous"] == previous and f.sample["first"] == opened


def test_a_gap_day_moving_calls_and_puts_apart_is_no_other_scale(tmp_path):
    """A crash: every put opens 25x its last price, every call at 1/25: calls and puts move
    apart, a change of unit moves them alike. (Every put 25x with the calls unchanged was here
    too, as no other scale: it is one, below: no move lifts the puts 25x and leaves the calls.)"""
    path = priced_days(tmp_path, three_strikes(DAY2, puts=25, calls=1 / 25))
    assert "premiums_of_another_scale" not in {f.check for f in check_dataset(load_dataset(path)).findings}
    path = priced_days(tmp_path, three_strikes(DAY2))
    assert "premiums_of_another_scale" not in {f.check for f in check_dataset(load_dataset(path)).findings}


def scale_found(path):
    return [f for f in check_dataset(load_dataset(path)).findings if f.check == "premiums_of_another_scale"]


@pytest.mark.parametrize("calls, puts, side, rest, jump", [(100, 1, "calls", "puts", 100),
                                                           (1, 100, "puts", "calls", 100), (1, 25, "puts", "calls", 25)],
                         ids=["calls_x100", "puts_x100", "puts_x25"])
def test_one_side_of_a_day_in_another_unit_is_a_warning(tmp_path, calls, puts, side, rest, jump):
    """DAY2's calls only (or puts only) in paise: the median call opens 96.2x its last price
    (10100 after 105), the puts at 0.962x. A run traded them as written; the day's rule saw
    calls and puts apart and said nothing. By put-call parity (call minus put is the forward
    minus the strike, at every strike) a move lifting the calls 96x (about 9,600 points on
    premiums of 100) sinks the puts; they did not move: a change of unit. Puts x25 beside flat
    calls is the same (the old test called it a market move)."""
    path = priced_days(tmp_path, three_strikes(DAY2, calls=calls, puts=puts))
    (f,) = scale_found(path)
    assert (f.level, f.count, f.where) == ("warning", 1, str(path / "options.parquet"))
    ratio, flat = 101 * jump / 105, 101 / 105
    assert f.detail.startswith(f"2024-01-03, expiry 2024-01-04: the median of its 3 {side} opens at {ratio:.3g}x its "
                               f"last price of the day before (e.g. 2024-01-04 20950 {side[0].upper()}E: 105 then "
                               f"{101 * jump:g}), while its 3 {rest} open at {flat:.3g}x theirs: {side} in another "
                               f"unit (paise or cents, x100)?")
    assert f.detail.endswith(f"Rescale the price columns of those rows (the {side} of expiry 2024-01-04 on "
                             "2024-01-03)")
    assert (f.sample["opt_type"], f.sample["previous"], f.sample["first"], f.sample["scaled"]) == \
        (f"{side[0].upper()}E", "105.0", f"{101.0 * jump}", side)


EXP2 = date(2024, 1, 11)
FIVE = (20900.0, 20950.0, 21000.0, 21050.0, 21100.0)


@pytest.mark.parametrize("first, second, ratio", [(1, 100, 101 * 100 / 105), (100, 1, 101 / (105 * 100))],
                         ids=["x100_after", "x100_before"])
def test_one_expiry_of_a_day_in_another_unit_is_a_warning(tmp_path, first, second, ratio):
    """Both days list the weekly (five strikes) and the next week's (three); DAY2's file of the
    next week's holds its premiums x100 (or DAY's does). The day's median call and put are the
    weekly's, unmoved: the day's rule said nothing. The next week's calls and puts jump alike."""
    path = priced_days(tmp_path, three_strikes(DAY2, strikes=FIVE) + three_strikes(DAY2, second, expiry=EXP2),
                       extra=three_strikes(DAY, strikes=FIVE) + three_strikes(DAY, first, expiry=EXP2), first=False)
    (f,) = scale_found(path)
    assert (f.level, f.count, f.where) == ("warning", 1, str(path / "options.parquet"))
    assert f.detail.startswith(f"2024-01-03, expiry 2024-01-11: the median of its 6 calls and puts alike opens at "
                               f"{ratio:.3g}x its last price of the day before (e.g. 2024-01-11 ")
    assert "while the rest of the day does not: premiums of another unit in that expiry's rows" in f.detail
    assert f.detail.endswith("Rescale the price columns of those rows (the calls and puts of expiry 2024-01-11 on "
                             "2024-01-03)")
    assert (f.sample["expiry"], f.sample["scaled"]) == ("2024-01-11", "calls and puts")


def black_scholes_days(tmp_path, gap: float):
    """A weekly expiring on DAY2 (15:30), strikes 20000..22000 step 50, calls and puts priced by
    Black-Scholes at 15 % volatility on DAY's bars (09:16..09:20, spot 21000: about 30 hours
    left) and on DAY2's (spot 21000 x (1 + gap): about 6 hours left, an expiry morning), rounded
    to the 0.05 tick and never below it (the least price an exchange lists)."""
    from optbt.model.greeks import bs_price, year_fraction
    close = datetime(2024, 1, 3, 15, 30)

    def price(ot, spot, strike, t):
        return max(0.05, round(bs_price(ot, spot, strike, year_fraction(t, close), sigma=0.15) / 0.05) * 0.05)
    opts, spot = [], []
    for day, s in ((DAY, 21000.0), (DAY2, 21000.0 * (1 + gap))):
        spot += [{"ts": ts(k, day), "underlying": "NIFTY", "close": s} for k in range(1, 6)]
        opts += [{"ts": ts(k, day), "underlying": "NIFTY", "expiry": DAY2, "strike": float(strike), "opt_type": ot,
                  "close": price(ot, s, strike, ts(k, day))}
                 for strike in range(20000, 22001, 50) for ot in ("CE", "PE") for k in range(1, 6)]
    return write(tmp_path, opts, spot)


@pytest.mark.parametrize("gap", [0.03, -0.03, 0.002, -0.002], ids=["up_3pc", "down_3pc", "quiet_up", "quiet_down"])
def test_black_scholes_days_are_no_other_scale(tmp_path, gap):
    """Real expiry mornings: after a 3 % gap the out-of-the-money side's median opens at about
    1/20 of its close (0.0526x the puts after +3 %, 0.0476x the calls after -3 %) and the other
    side's near 3.9x: apart, and neither side flat, so neither rule says a thing; a quiet night
    leaves both near 1x (time value lost on both)."""
    assert scale_found(black_scholes_days(tmp_path, gap)) == []


def test_clean_synthetic_data_has_no_premiums_of_another_scale(tmp_path):
    """`optbt data synth`'s days (several expiries, each day's chain around its spot) move as a
    market does: no day, expiry or side of them is called rescaled."""
    from optbt.data.synth import generate
    assert scale_found(generate(tmp_path / "d", days=6, seed=7)) == []


# -- naive times written in another zone, without timezone ---------------------------------------

def utc_written_day(tmp_path, hours: float = 5.5, first: int = 1, last: int = 375):
    """A day of NIFTY bars 09:15 + k (k = first..last) IST written ``hours`` earlier (UTC for 5.5),
    naive, no timezone; session 09:15-15:30."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    shift = timedelta(hours=hours)
    o = [{"ts": ts(k) - shift, "underlying": "NIFTY", "expiry": EXP, "strike": 21000.0, "opt_type": ot,
          "close": 100.0 + k} for k in range(first, last + 1) for ot in ("CE", "PE")]
    s = [{"ts": ts(k) - shift, "underlying": "NIFTY", "close": 21000.0 + k} for k in range(first, last + 1)]
    path = write(tmp_path, o, s)
    toml = path / "dataset.toml"
    toml.write_text(toml.read_text().replace('end = "09:20"', 'end = "15:30"'))
    return path


def shifted(path):
    return [(f.level, f.check, f.count, f.where) for f in check_dataset(load_dataset(path)).findings
            if f.check == "times_look_shifted"]


def test_times_written_in_utc_without_timezone_are_a_warning_with_the_offset(tmp_path):
    """A day of IST bars written in UTC (03:46..10:00), no timezone: a run read the 09:16..10:00
    rows (14:46..15:30 IST prices) as the morning's and ignored the rest: an entry at 09:20 sold
    at 435 (14:50's price), exit 0; data check said outside_session only. Now: 330 of 375 spot
    rows outside the session (03:46..09:15), all 375 inside shifted by +05:30 (and the options'
    660 of 750)."""
    path = utc_written_day(tmp_path)
    assert shifted(path) == [("warning", "times_look_shifted", 330, str(path / "spot.parquet")),
                             ("warning", "times_look_shifted", 660, str(path / "options.parquet"))]
    f = next(f for f in check_dataset(load_dataset(path)).findings if f.check == "times_look_shifted")
    assert f.detail.startswith("spot: 330 of 375 rows are known outside the session (09:15-15:30), and 375 would "
                               "be inside it shifted by +05:30: timestamps written as naive times in UTC, for an "
                               "exchange at UTC+05:30")


def test_a_run_warns_of_times_written_in_utc_on_its_first_day(tmp_path):
    """The same day: the run says it (from its first day's times, the query it makes already),
    and trades as before; exchange time and extended hours say nothing."""
    from optbt import run_backtest
    from tests.kit import SellAtmStraddle

    def hints(path):
        return run_backtest(SellAtmStraddle, data=load_dataset(path)).engine.get("data_hints") or []
    got = hints(utc_written_day(tmp_path / "utc"))
    assert [h.split(" times on", 1)[0] for h in got] == ["spot", "options"]
    assert got[0].startswith("spot times on 2024-01-02, the run's first day, run 03:46-10:00: 330 of 375 are outside "
                             "the session (09:15-15:30), all inside it shifted by +05:30.")
    assert hints(utc_written_day(tmp_path / "ist", hours=0)) == []
    assert hints(utc_written_day(tmp_path / "ext", hours=0, first=-315, last=645)) == []


def test_exchange_times_and_extended_hours_are_not_shifted_times(tmp_path):
    """Exchange time; a day 3 hours early (180 of 375 outside: fewer than half); and extended
    hours, 04:00..20:00 (585 of 960 outside, but no shift puts more than 375 inside)."""
    assert shifted(utc_written_day(tmp_path, hours=0)) == []
    assert shifted(utc_written_day(tmp_path, hours=3)) == []
    assert shifted(utc_written_day(tmp_path, hours=0, first=-315, last=645)) == []
