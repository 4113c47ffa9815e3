"""``--trace DAY``: every decision of a hand-made day, and the timeline that answers "why?".

The day (ticks 09:16 .. 09:25, ATM 21000, lot 1): the CE closes 100 until 09:18, then 110, 120,
131 (09:21), then 100; the PE has no bar before 09:18, then 90 all day. The .strat straddle
enters at 09:17 with a 30 % stop per leg and exits at 09:23, so by hand:

- 09:16 the entry condition is false (before 09:17);
- 09:17 it holds, the fill is tried: CE 100 at lag 0 is usable, PE has no price yet -> nothing;
- 09:18 both live: sold CE at 100 and PE at 90; stops at 130 and 117;
- 09:19, 09:20 CE 110, 120 < 130: not hit; 09:21 CE 131 >= 130: stop hit, CE out at 131;
- 09:23 the exit rule holds: PE out at 90 (reason exit).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from optbt import Strategy
from optbt.dsl import load_strat_text
from optbt.engine.loop import EventEngine
from optbt.results.trace import timeline
from tests.kit import DAY, MemorySource, config, straddle_day, write_parquet

ROOT = Path(__file__).resolve().parents[1]
CE = [100.0, 100.0, 100.0, 110.0, 120.0, 131.0, 100.0, 100.0, 100.0, 100.0]
PE = [None, None, 90.0, 90.0, 90.0, 90.0, 90.0, 90.0, 90.0, 90.0]
STRAT = ('strategy t "t"\nlegs\n    ce = add(ATM, CE, SELL)\n    pe = add(ATM, PE, SELL)\n'
         'entry at 09:17\nstop_loss each leg 30%\nexit at 09:23\n')
OTHER = date(2024, 1, 3)


def traced(strategy, days=None, trace=(DAY,)):
    days = days or {DAY: straddle_day(CE, PE)}
    return EventEngine(MemorySource(days, config(10), 10)).run(strategy, trace=trace)


def test_every_decision_of_the_day_is_recorded():
    result = traced(load_strat_text(STRAT)())
    recs = result.trace
    blocked = next(r for r in recs if r["kind"] == "entry_blocked")
    assert blocked["time"] == "09:17"
    assert blocked["legs"] == [
        {"key": "ce", "instrument": "NIFTY 2024-01-04 21000 CE", "side": "SELL", "price": 100.0, "lag": 0,
         "usable": True},
        {"key": "pe", "instrument": "NIFTY 2024-01-04 21000 PE", "side": "SELL", "price": None, "lag": None,
         "usable": False, "why": "no price yet today"}]
    fills = [(r["time"], r["key"], r["price"]) for r in recs if r["kind"] == "fill"]
    assert fills == [("09:18", "ce", 100.0), ("09:18", "pe", 90.0)]
    ce_stops = [(r["time"], r["price"], r["level"], r["result"]) for r in recs
                if r["kind"] == "rule" and r["key"] == "ce"]
    assert ce_stops == [("09:19", 110.0, 130.0, False), ("09:20", 120.0, 130.0, False), ("09:21", 131.0, 130.0, True)]
    exits = [(r["time"], r["key"], r["price"], r["reason"], r["level"]) for r in recs if r["kind"] == "exit"]
    assert exits == [("09:21", "ce", 131.0, "stop_loss", 130.0), ("09:23", "pe", 90.0, "exit", None)]
    conditions = [(r["time"], r["result"]) for r in recs if r["kind"] == "entry_condition"]
    assert conditions == [("09:16", False), ("09:17", True), ("09:18", True)]


def test_a_strike_the_day_does_not_list_is_said_to_be_not_listed():
    """A strike typed by hand that the chain lacks (21025 on a 50-point chain) never gets a price
    that day: the trace and the no-trade message said 'no price yet' as if one might come."""
    unlisted = STRAT.replace("ce = add(ATM, CE, SELL)", "ce = add(21025, CE, SELL)")
    result = traced(load_strat_text(unlisted)())
    blocked = next(r for r in result.trace if r["kind"] == "entry_blocked")
    assert blocked["legs"][0]["why"] == "not listed today (no such strike for its expiry)"
    assert blocked["legs"][1]["why"] == "no price yet today"  # the PE is listed, its first bar comes at 09:18
    assert list(result.notes["entry_blocked"]) == [
        "leg 'ce' asked for a contract not listed that day (no such strike for its expiry)"]


def test_the_timeline_folds_repeats_and_reads_as_the_story():
    lines = timeline(traced(load_strat_text(STRAT)()).trace)
    assert lines[0] == ("== 2024-01-02: 10 ticks 09:16-09:25, spot at first tick 21010, ATM 21000, "
                        "expiry 2024-01-04")
    assert "09:16       entry condition false (spot 21010, dte 2)" in lines
    assert ("09:17       entry tried, NOT filled: ce SELL NIFTY 2024-01-04 21000 CE 100 (lag 0) ok; "
            "pe SELL NIFTY 2024-01-04 21000 PE UNUSABLE: no price yet today") in lines
    assert ("09:19-09:20 stop_loss ce: price 110 .. 120 vs level 130 (hit when price >= level): "
            "not hit (2 ticks)") in lines
    assert "09:21       stop_loss ce: price 131 vs level 130 (hit when price >= level): HIT" in lines
    assert ("09:21       EXIT ce: NIFTY 2024-01-04 21000 CE at 131 (lag 0) reason stop_loss, level 130, "
            "pnl -31") in lines
    assert "09:23       exit rule TRUE: exit everything" in lines


def test_only_traced_days_are_recorded_and_the_strategy_is_left_as_it_was():
    s = load_strat_text(STRAT)()
    result = traced(s, {DAY: straddle_day(CE, PE), OTHER: straddle_day(CE, PE)}, trace=(OTHER,))
    assert {r["day"] for r in result.trace} == {"2024-01-03"}
    assert "try_fill" not in vars(s) and "_hit" not in vars(s)  # wrappers removed after the day
    assert len(result.trades) == 4  # tracing changes nothing decided


def test_a_python_strategy_shows_its_tries_and_exit_checks():
    class Sell(Strategy):
        exit_time: str = "09:23"

        def entry(self, ctx):
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL"), "pe": self.add(ctx.atm, "PE", "SELL")})

        def exit_check(self, ctx):
            return ctx.time >= self.exit_time

    recs = traced(Sell()).trace
    assert [r["time"] for r in recs if r["kind"] == "entry_blocked"] == ["09:16", "09:17"]
    assert [(r["time"], r["result"]) for r in recs if r["kind"] == "exit_check"][-1] == ("09:23", True)


def test_a_traced_day_that_is_skipped_or_absent_says_so():
    class Skip(Strategy):
        def on_day_start(self, day):
            return False

    recs = traced(Skip(), trace=(DAY, date(2024, 1, 9))).trace
    assert [(r["day"], r["kind"], r.get("reason")) for r in recs] == [
        ("2024-01-09", "absent", None), ("2024-01-02", "skip", "on_day_start")]


def test_cli_trace_writes_trace_jsonl_and_prints_the_timeline(tmp_path):
    data = write_parquet(tmp_path / "d", {DAY: straddle_day(CE, PE)})
    (tmp_path / "t.strat").write_text(STRAT)
    r = subprocess.run([sys.executable, "-m", "optbt.cli.app", "run", str(tmp_path / "t.strat"), "--data", str(data),
                        "--out", str(tmp_path / "o"), "-q", "--trace", "2024-01-02"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "09:21       stop_loss ce: price 131 vs level 130 (hit when price >= level): HIT" in r.stdout
    recs = [json.loads(line) for line in (tmp_path / "o/trace.jsonl").read_text().splitlines()]
    assert recs[0]["kind"] == "day" and recs[-1]["kind"] == "exit"


class SpotTicks(MemorySource):
    """The straddle day with the spot (and so, with ``clock = "spot"``, the clock) ticking between
    the minutes: 09:16, 09:16:20.5, 09:17:00.25, 09:17:45, then every minute from 09:18."""

    TICKS = ["09:16:00", "09:16:20.5", "09:17:00.25", "09:17:45"] + [f"09:{m}:00" for m in range(18, 26)]

    def spot_bars(self, day, underlying=None):
        return [(datetime.fromisoformat(f"{day} {t}"), 21010.0, None, None) for t in self.TICKS]


def test_a_tick_clock_shows_each_ticks_seconds_and_whole_minutes_as_before():
    src = SpotTicks({DAY: straddle_day(CE, PE)}, config(10, clock="spot"))
    recs = EventEngine(src).run(load_strat_text(STRAT)(), trace=(DAY,)).trace
    conditions = [(r["time"], r["result"]) for r in recs if r["kind"] == "entry_condition"]
    assert conditions[:4] == [("09:16", False), ("09:16:20.5", False), ("09:17:00.25", True), ("09:17:45", True)]
    lines = timeline(recs)
    assert lines[0].startswith("== 2024-01-02: 12 ticks 09:16-09:25, ")
    assert "09:16-09:16:20.5 entry condition false (2 ticks) (spot 21010, dte 2)" in lines
