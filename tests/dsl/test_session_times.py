"""A .strat file's entry window, entry time or exit time outside the session is named in a
no-entry day's note (and in ``--trace``), as a range outside it is (test_signals_lang.py).

``entry between 09:16 and 09:25`` (an NSE habit) run on US data, whose session is 09:30-16:00,
never enters; each day's note said only "entry never tried to fill (the entry condition never
held, or entry() never called try_fill)". The days here are a hand-made US session: the kit's
minute bars moved from 09:15 to 09:30, ticks 09:31 .. 16:00 (390 of them), one ATM call priced
all day. The expected notes are written out by hand from the session's times.
"""

from __future__ import annotations

import json
from datetime import timedelta

from optbt.dsl import load_strat, load_strat_text
from optbt.engine.loop import EventEngine
from optbt.engine.strategy import Strategy
from optbt.results.explain import empty_causes
from optbt.results.trace import timeline
from tests.kit import DAY, MemorySource, config, day_data, inst

N = 390  # 09:31 .. 16:00
LATER = timedelta(minutes=15)  # the kit's first bar is 09:16; here 09:31
NEVER = "entry never tried to fill (the entry condition never held, or entry() never called try_fill)"
H = 'strategy t "test"\nlegs\n    ce = add(ATM, CE, BUY)\n'


class UsSession(MemorySource):
    """The kit's in-memory days on a 09:30-16:00 session: every bar 15 minutes later."""

    def spot_bars(self, day, underlying=None):
        return [(b[0] + LATER, *b[1:]) for b in super().spot_bars(day, underlying)]

    def ohlc_bars(self, day, name="spot", underlying=None):
        return [(b[0] + LATER, *b[1:]) for b in super().ohlc_bars(day, name, underlying)]

    def option_bars(self, day, instruments):
        return {i: [(b[0] + LATER, *b[1:]) for b in bars] for i, bars in super().option_bars(day, instruments).items()}


def us_run(strategy, trace=()):
    day = day_data([21000.0] * N, {inst(21000, "CE"): [100.0] * N})
    source = UsSession({DAY: day}, config(N, session={"start": "09:30", "end": "16:00"}), N)
    return EventEngine(source).run(strategy, trace=trace)


def notes(body: str, **params) -> list[str]:
    result = us_run(load_strat_text(H + body)(**params))
    assert result.trades == []
    return list(result.notes["entry_blocked"])


def test_an_entry_window_before_the_open_is_named():
    assert notes("entry between 09:16 and 09:25\nexit at 15:15\n") == [
        NEVER + "; the entry window 09:16–09:25 ends before the session's open 09:30: no entry is tried in it "
                "(move it inside the session)"]


def test_an_entry_window_after_the_close_is_named():
    assert notes("entry between 16:10 and 16:20\n") == [
        NEVER + "; the entry window 16:10–16:20 starts after the session's close 16:00: no entry is tried in it "
                "(move it inside the session)"]


def test_an_entry_window_between_the_ticks_tried_is_named_with_them():
    """09:15-09:30 ends at the open itself: the first tick is 09:31 (bars labelled by their end)."""
    assert notes("entry between 09:15 and 09:30\n") == [
        NEVER + "; the entry window 09:15–09:30 holds none of the ticks on which an entry is tried, 09:31 to 15:59"]


def test_an_entry_time_after_the_close_is_named():
    assert notes("entry at 16:10\n") == [
        NEVER + "; the entry time 16:10 is after the session's close 16:00: no entry is tried (move it inside "
                "the session)"]


def test_an_entry_time_on_the_last_tick_says_no_entry_is_tried_there():
    assert notes("entry at 16:00\n") == [
        NEVER + "; the entry time 16:00 is after the last tick on which an entry is tried, 15:59 (none is "
                "tried on the day's last tick, 16:00)"]


def test_an_exit_time_before_the_open_is_named_after_the_exit_rules_block():
    """The entry holds from 09:31 on, but so does ``time >= 09:20``: every tick's entry is refused."""
    assert notes("entry at 09:45\nexit at 09:20\n") == [
        ("the exit rule already holds (at or after the exit time); the exit time 09:20 is at or before the "
         "session's open 09:30: the exit rule holds from the first tick, so no entry is tried (move it inside "
         "the session)")]


P = "params\n    p_start: time = 09:16\n    p_end: time = 09:25\n"


def test_a_window_of_parameters_is_read_with_the_run_s_values():
    body = P + "legs\n    ce = add(ATM, CE, BUY)\nentry between p_start and p_end\nexit at 15:15\n"
    cls = load_strat_text('strategy t "test"\n' + body)
    assert list(us_run(cls()).notes["entry_blocked"]) == [
        NEVER + "; the entry window 09:16–09:25 (parameters p_start, p_end) ends before the session's open "
                "09:30: no entry is tried in it (move it inside the session)"]
    assert list(us_run(cls(p_start="16:05", p_end="16:30")).notes["entry_blocked"]) == [
        NEVER + "; the entry window 16:05–16:30 (parameters p_start, p_end) starts after the session's close "
                "16:00: no entry is tried in it (move it inside the session)"]
    inside = us_run(cls(p_start="09:40", p_end="10:00"))
    assert [(t.entry_ts.strftime("%H:%M"), t.exit_ts.strftime("%H:%M")) for t in inside.trades] == [("09:40", "15:15")]


def test_times_inside_the_session_add_nothing():
    assert notes("entry between 09:31 and 15:00 when spot > 99999\nexit at 15:15\n") == [NEVER]


def test_a_python_strategy_is_not_second_guessed():
    """The engine cannot see a Python strategy's window: its note stays as it was."""

    class Early(Strategy):
        def entry(self, ctx):
            if "09:16" <= ctx.time <= "09:25":
                self.try_fill({"ce": self.add(ctx.atm, "CE", "BUY")})

    result = us_run(Early())
    assert result.trades == [] and list(result.notes["entry_blocked"]) == [NEVER]


def test_the_run_s_warning_and_the_trace_say_it():
    strategy = load_strat_text(H + "entry between 09:16 and 09:25\n")()
    result = us_run(strategy, trace=[DAY])
    why = ("the entry window 09:16–09:25 ends before the session's open 09:30: no entry is tried in it "
           "(move it inside the session)")
    assert f"  most often: {NEVER}; {why} — 1 day (first {DAY.isoformat()})" in empty_causes(result)
    assert timeline(result.trace)[-1] == f"16:00       no entry: {why}"


def test_a_file_loaded_again_from_the_compiled_cache_keeps_its_times(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTBT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("OPTBT_COMPILED_CACHE", raising=False)
    path = tmp_path / "early.strat"
    path.write_text(H + "entry between 09:16 and 09:25\nexit at 15:15\n")
    load_strat(path)  # compiled, and remembered
    entries = list((tmp_path / "cache" / "compiled").glob("text-*.json"))
    assert [json.loads(e.read_text())["times"] for e in entries] == [{"between": ["09:16", "09:25"], "exit": ["15:15"]}]
    again = load_strat(path)  # from the entry, without the front end
    assert again.__strat_times__ == {"between": ["09:16", "09:25"], "exit": ["15:15"]}
    result = us_run(again())
    assert list(result.notes["entry_blocked"]) == [
        NEVER + "; the entry window 09:16–09:25 ends before the session's open 09:30: no entry is tried in it "
                "(move it inside the session)"]


def test_orb_breakout_s_range_on_a_us_session_is_named_in_the_trace_too():
    """orb_breakout's own lines: the range 09:15-09:30 holds no bar of a session opening at 09:30;
    its 09:31-13:00 window is inside the session and adds nothing."""
    body = ("range orb 09:15 .. 09:30\nentry between 09:31 and 13:00 when spot crosses above orb.high\n"
            "exit at 15:15\n")
    result = us_run(load_strat_text(H + body)(), trace=[DAY])
    why = ("the range 09:15–09:30 ends at or before the session's open 09:30: no bar lies in it, so its high and "
           "low are never known (move the range inside the session)")
    assert list(result.notes["entry_blocked"]) == [f"{NEVER}; {why}"]
    assert timeline(result.trace)[-1] == f"16:00       no entry: {why}"


# -- times that do nothing on days that trade: the run's warning (once) and the trace ------------------
# A staggered leg due after the last tick a leg opens on never opens while the other legs trade, and
# an exit time after the close never holds (what is open closes at the day's end, reason eod); the
# day traded, so no day's note said a word. Tick k is 09:31 + k minutes: 09:45 is k = 14, 15:15 is
# k = 344, 16:00 (the last) is k = 389.


def time_warnings(result) -> list[str]:
    from optbt.results.explain import time_warnings as warnings  # new with these warnings
    return warnings(result)

S = 'strategy t "test"\nlegs\n    ce = add(ATM, CE, SELL)\n    pe = add(ATM, PE, SELL)\n'


def k(hhmm: str) -> int:
    h, m = map(int, hhmm.split(":"))
    return h * 60 + m - (9 * 60 + 31)


def two_legs(strategy, trace=()):
    """CE at 100 until 15:00, 80 from then; PE at 90 until 10:00, 70 from then."""
    ce = [100.0 if i < k("15:00") else 80.0 for i in range(N)]
    pe = [90.0 if i < k("10:00") else 70.0 for i in range(N)]
    day = day_data([21000.0] * N, {inst(21000, "CE"): ce, inst(21000, "PE"): pe})
    source = UsSession({DAY: day}, config(N, session={"start": "09:30", "end": "16:00"}), N)
    return EventEngine(source).run(strategy, trace=trace)


def fills(result) -> list[tuple]:
    return [(t.key, t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_ts.strftime("%H:%M"), t.exit_price,
             t.exit_reason) for t in result.trades]


def test_a_staggered_leg_after_the_close_is_named_while_the_other_leg_trades():
    result = two_legs(load_strat_text(S + "entry at 09:45\nentry pe at 16:10\nexit at 15:15\n")(), trace=[DAY])
    assert fills(result) == [("ce", "09:45", 100.0, "15:15", 80.0, "exit")]
    why = ("leg pe's entry at 16:10 is after the session's close 16:00: the leg never opens while the other legs "
           "trade (move it inside the session)")
    assert time_warnings(result) == [why]
    assert timeline(result.trace)[-1] == f"16:00       note: {why}"
    from rich.console import Console

    from optbt.cli.run import print_warnings
    console = Console(record=True, width=400)
    print_warnings(console, result)
    assert console.export_text().splitlines() == [f"warning: {why}"]


def test_a_staggered_leg_on_the_day_s_last_tick_is_named_with_the_last_tick_a_leg_opens_on():
    result = two_legs(load_strat_text(S + "entry at 09:45\nentry pe at 16:00\n")())
    assert fills(result) == [("ce", "09:45", 100.0, "16:00", 80.0, "eod")]
    assert time_warnings(result) == [
        "leg pe's entry at 16:00 is after the last tick on which a leg opens, 15:59 (none opens on the day's last "
        "tick, 16:00): the leg never opens while the other legs trade"]


def test_a_staggered_leg_at_or_after_the_exit_time_is_named_with_it():
    result = two_legs(load_strat_text(S + "entry at 09:45\nentry pe at 15:20\nexit at 15:15\n")())
    assert fills(result) == [("ce", "09:45", 100.0, "15:15", 80.0, "exit")]
    assert time_warnings(result) == [
        "leg pe's entry at 15:20 is after the last tick on which a leg opens, 15:14 (none opens at or after the "
        "exit time, 15:15): the leg never opens while the other legs trade"]


def test_a_staggered_leg_of_a_parameter_is_read_with_the_run_s_value():
    cls = load_strat_text(S.replace("legs\n", "params\n    pe_at: time = 16:10\nlegs\n")
                          + "entry at 09:45\nentry pe at pe_at\nexit at 15:15\n")
    late = two_legs(cls())
    assert time_warnings(late) == [
        "leg pe's entry at 16:10 (parameter pe_at) is after the session's close 16:00: the leg never opens while "
        "the other legs trade (move it inside the session)"]
    inside = two_legs(cls(pe_at="10:30"))
    assert fills(inside) == [("ce", "09:45", 100.0, "15:15", 80.0, "exit"), ("pe", "10:30", 70.0, "15:15", 70.0, "exit")]
    assert time_warnings(inside) == []


def test_a_staggered_leg_before_the_open_opens_with_the_entry_and_adds_nothing():
    """``entry pe at 09:20`` on a 09:30 session: due at 09:20 or the first tick after, so at the entry."""
    result = two_legs(load_strat_text(S + "entry at 09:45\nentry pe at 09:20\nexit at 15:15\n")())
    assert fills(result) == [("ce", "09:45", 100.0, "15:15", 80.0, "exit"), ("pe", "09:45", 90.0, "15:15", 70.0, "exit")]
    assert time_warnings(result) == []


def test_an_exit_time_after_the_close_is_named_and_the_legs_close_at_the_day_s_end():
    result = two_legs(load_strat_text(S + "entry at 09:45\nexit at 16:30\n")(), trace=[DAY])
    assert fills(result) == [("ce", "09:45", 100.0, "16:00", 80.0, "eod"), ("pe", "09:45", 90.0, "16:00", 70.0, "eod")]
    why = ("the exit time 16:30 is after the session's close 16:00: what is still open closes on the day's last "
           "tick, 16:00 (reason eod) (move it inside the session)")
    assert time_warnings(result) == [why]
    assert timeline(result.trace)[-1] == f"16:00       note: {why}"


def test_an_exit_time_at_the_close_closes_on_its_last_tick_and_adds_nothing():
    result = two_legs(load_strat_text(S + "entry at 09:45\nexit at 16:00\n")())
    assert fills(result) == [("ce", "09:45", 100.0, "16:00", 80.0, "exit"), ("pe", "09:45", 90.0, "16:00", 70.0, "exit")]
    assert time_warnings(result) == []


def test_an_exit_time_parameter_after_the_close_is_named_once_a_run():
    cls = load_strat_text(S.replace("legs\n", "params\n    out: time = 15:15\nlegs\n") + "entry at 09:45\nexit at out\n")
    day = day_data([21000.0] * N, {inst(21000, "CE"): [100.0] * N, inst(21000, "PE"): [90.0] * N})
    nxt = DAY + timedelta(days=1)
    source = UsSession({DAY: day, nxt: day}, config(N, session={"start": "09:30", "end": "16:00"}), N)
    result = EventEngine(source).run(cls(out="16:45"))
    assert [t.exit_reason for t in result.trades] == ["eod"] * 4
    assert time_warnings(result) == [
        "the exit time 16:45 (parameter out) is after the session's close 16:00: what is still open closes on the "
        "day's last tick, 16:00 (reason eod) (move it inside the session)"]
