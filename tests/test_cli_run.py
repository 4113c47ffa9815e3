"""`optbt run` as a user meets it: results on disk, and bad input as one clean paragraph, exit 2."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from optbt.model.instrument import TRADE_COLUMNS
from tests.kit import DAY, straddle_day, write_parquet

ROOT = Path(__file__).resolve().parents[1]
SPEC = str(ROOT / "examples/straddle_920.py") + ":Straddle920"


def optbt(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "optbt.cli.app", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_parquet(tmp_path_factory.mktemp("cli"), {DAY: straddle_day([100 + k for k in range(10)],
                                                                           [90 - k for k in range(10)])})


def test_run_writes_trades_daily_and_summary(data, tmp_path):
    r = optbt("run", SPEC, "--data", str(data), "--out", str(tmp_path / "o"), "--quiet",
              "--param", "entry_time=09:17", "--param", "exit_time=09:20")
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "o/trades.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == TRADE_COLUMNS
    # sold CE at 101 (09:17), bought back at 104 (09:20): -3 points, lot 1
    ce = next(r for r in rows if r["key"] == "ce")
    assert (ce["entry_price"], ce["exit_price"], ce["pnl"], ce["exit_reason"]) == ("101.0", "104.0", "-3.0", "exit")
    summary = json.loads((tmp_path / "o/summary.json").read_text())
    assert summary["params"]["entry_time"] == "09:17"
    assert summary["metrics"]["total_pnl"] == 0.0
    assert summary["dataset"]["synthetic"] is False
    assert set(summary["engine"]) == {"days", "ticks", "queries", "cache_hits", "instruments_fetched", "seconds"}
    assert "1 day, 10 ticks" in r.stdout  # the engine line of a one-day run (it said "1 days")
    assert (tmp_path / "o/daily.csv").read_text().splitlines()[0] == "day,pnl,trades,cycles,skipped,skip_reason"
    assert (tmp_path / "o/trades.parquet").exists()


@pytest.mark.parametrize("args, says", [
    (["run", "nope.py:X"], "strategy file not found: nope.py"),
    (["run", SPEC.replace("Straddle920", "Straddle92")], "did you mean 'Straddle920'"),
    (["run", SPEC, "--param", "sl_pc=20"], "has no parameter 'sl_pc' (did you mean 'sl_pct'?)"),
    (["run", SPEC, "--param", "sl_pct=abc"], "sl_pct: expected a number, got 'abc'"),
    (["run", SPEC, "--param", "sl_pct"], "--param takes name=value"),
    (["run", SPEC, "--start", "2024-13-01"], "start must be a date like 2024-01-31"),
    (["run", SPEC, "--start", "2024-02-01", "--end", "2024-01-01"], "is after end"),
    (["run", SPEC, "--data", "/no/such/place"], "dataset config not found"),
    (["run", "strategy.txt"], "expected path/to/file.py:ClassName or a .strat file"),
])
def test_bad_input_is_one_paragraph_and_exit_code_2(args, says, data):
    if "--data" not in args and args[1] != "nope.py:X":
        args = [*args, "--data", str(data)]
    r = optbt(*args, "--quiet")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert says in r.stderr
    assert "Traceback" not in r.stderr


def test_a_bad_dataset_config_names_the_key(tmp_path, data):
    bad = tmp_path / "dataset.toml"
    bad.write_text((data / "dataset.toml").read_text().replace("strike_step", "strike_stp"))
    r = optbt("run", SPEC, "--data", str(bad), "--quiet")
    assert r.returncode == 2
    assert "strike_stp: unknown key" in r.stderr and "Traceback" not in r.stderr
