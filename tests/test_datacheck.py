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


def plant_back_in_time(o, s):
    o[0], o[1] = o[1], o[0]


def plant_day_without_spot(o, s):
    o.append({**o[0], "ts": ts(1, date(2024, 1, 3))})


def plant_unknown_type(o, s):
    o[4]["opt_type"] = "XX"


def plant_outside_session(o, s):
    s.append({"ts": ts(-3), "underlying": "NIFTY", "close": 20990.0})


@pytest.mark.parametrize("plant, expected", [
    (plant_duplicate, {("error", "duplicate_rows"): 1}),
    (plant_negative, {("error", "negative_price"): 1}),
    (plant_zero, {("error", "zero_price"): 2}),
    (plant_back_in_time, {("error", "time_goes_back"): 1}),
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
