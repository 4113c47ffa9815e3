"""Minute bars stamped with their start, read as stamped with their end (the default): each
close used a bar before it was known. A guess from the stamps, so a warning: a run prints it for
its first day, ``data check`` reports ``bars_look_start_labelled`` (optbt/data/label_hint.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow.parquet as pq

from optbt import run_backtest
from optbt.data.check import check_dataset
from optbt.data.dataset import load_dataset
from tests.test_data_trust import DAY, Sell
from tests.test_timezones import put, shifted


def stamped_by_start(tmp_path, **kw):
    """The base day's bars, 09:16 .. 09:22 by their end, stamped 09:15 .. 09:21 (session 09:15-09:22)."""
    return shifted(tmp_path, "Asia/Kolkata", timedelta(minutes=1), **kw)


def hints(path) -> list[str]:
    return run_backtest(Sell, data=load_dataset(path)).engine.get("data_hints", [])


def findings(path) -> list[tuple]:
    return [(f.check, f.count, f.where.rsplit("/", 1)[-1]) for f in check_dataset(load_dataset(path)).findings
            if f.check == "bars_look_start_labelled"]


def test_bars_stamped_with_their_start_are_warned_of_by_a_run_and_by_data_check(tmp_path):
    path = stamped_by_start(tmp_path)
    got = hints(path)
    assert [h.split(" bars look", 1)[0] for h in got] == ["spot", "option"]
    assert got[0].startswith(f"spot bars look labelled by their start: on {DAY}, the run's first day, they run "
                             "09:15-09:21, from the session's open to a bar before its close (09:15-09:22)")
    assert 'set bar_label = "start" (for this table alone: under [spot])' in got[0]
    assert "under [options]" in got[1]
    assert findings(path) == [("bars_look_start_labelled", 1, "s.parquet"), ("bars_look_start_labelled", 1, "o.parquet")]


def test_the_cli_prints_the_warning(tmp_path):
    from tests.test_cli_run import optbt
    out = optbt("run", "tests/kit.py:SellAtmStraddle", "--data", str(stamped_by_start(tmp_path)), "--out",
                str(tmp_path / "out"), "--quiet")
    assert out.returncode == 0
    assert "warning: spot bars look labelled by their start" in " ".join((out.stdout + out.stderr).split())


def test_bars_stamped_with_their_end_or_declared_start_labelled_are_not(tmp_path):
    assert not hints(shifted(tmp_path / "end", "Asia/Kolkata", timedelta(0)))
    assert not findings(tmp_path / "end")
    path = stamped_by_start(tmp_path / "declared")
    (path / "dataset.toml").write_text((path / "dataset.toml").read_text().replace('name = "zones"',
                                                                                  'name = "zones"\nbar_label = "start"'))
    assert not hints(path) and not findings(path)


def test_ticks_between_the_minutes_are_not_taken_for_bars(tmp_path):
    """Rows off the whole minute are ticks or quotes: no bar label to guess."""
    path = stamped_by_start(tmp_path)
    for name in ("o.parquet", "s.parquet"):
        rows = pq.read_table(path / name).to_pylist()
        put(path / name, rows + [{**rows[-1], "ts": rows[-1]["ts"] + timedelta(seconds=20)}])
    assert not hints(path) and not findings(path)


def test_data_check_wants_most_days_alike(tmp_path):
    """One day that starts at the open and stops a bar early among days stamped by their end is a
    gap, not a label: no finding; the other three days stamped alike too, and all four are."""
    path = shifted(tmp_path, "Asia/Kolkata", timedelta(0))
    for name in ("o.parquet", "s.parquet"):
        rows = pq.read_table(path / name).to_pylist()
        later = [{**r, "ts": r["ts"] + timedelta(days=d)} for d in (1, 2) for r in rows]
        early = [{**r, "ts": r["ts"] + timedelta(days=3, minutes=-1)} for r in rows]
        put(path / name, rows + later + early)
    assert not findings(path)
    for name in ("o.parquet", "s.parquet"):
        rows = pq.read_table(path / name).to_pylist()
        put(path / name, [{**r, "ts": r["ts"] - timedelta(minutes=1)} if r["ts"].date() != datetime(2024, 1, 5).date()
                          else r for r in rows])
    assert [(c, n) for c, n, _ in findings(path)] == [("bars_look_start_labelled", 4)] * 2


def test_a_sweep_prints_the_warning_once(tmp_path):
    from tests.test_cli_guards import STRADDLE, optbt
    res = optbt("sweep", STRADDLE, "--data", str(stamped_by_start(tmp_path / "d")), "--out", str(tmp_path / "s"),
                "--grid", "sl_pct=20,30", "--workers", "1", "--quiet")
    text = " ".join(res.output.split())
    assert res.exit_code == 0, res.output
    assert text.count("warning: spot bars look labelled by their start") == 1
    assert text.count("warning: option bars look labelled by their start") == 1
