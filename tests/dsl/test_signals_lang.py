"""Market signals in the language: diagnostics, fmt, and runs on hand-made days worked out by hand.

Ticks are 09:16, 09:17, ... (tick k = 09:16 + k minutes); ATM is 21000; the data is close-only,
so a range's high and low are the highest and lowest close inside it.
"""

from __future__ import annotations

import pytest

from optbt.dsl import load_strat_text
from optbt.dsl.checks import check
from optbt.dsl.format import format_source
from optbt.dsl.parser import parse_text
from optbt.engine.loop import EventEngine
from optbt.model.errors import ConfigError
from tests.kit import DAY, MemorySource, config, day_data, inst

H = 'strategy t "test"\n'
CALL = "ce = add(ATM, CE, BUY)\n"


def diagnostics(body: str) -> list[tuple[str, str, str]]:
    program, diags = parse_text(H + body)
    if diags:
        return [(d.code, d.message, d.help) for d in diags]
    return [(d.code, d.message, d.help) for d in check(program).diagnostics]


def run(body: str, spot: list, n_ticks: int, **cfg):
    cls = load_strat_text(H + body)
    day = day_data([s + 21000.0 if s is not None else None for s in spot],
                   {inst(21000, "CE"): [float(100 + k) for k in range(n_ticks)]})
    source = MemorySource({DAY: day}, config(n_ticks, **cfg), n_ticks)
    result = EventEngine(source).run(cls())
    return [(t.entry_ts.strftime("%H:%M"), t.exit_ts.strftime("%H:%M"), t.exit_reason) for t in result.trades]


# spot - 21000 per tick:     09:16 09:17 09:18 09:19 09:20 09:21 09:22 09:23 09:24 09:25
SPOT = [0, 4, 2, 3, 5, 6, 1, -1, 2, 2]
ORB = "range orb 09:15 .. 09:18\n" + CALL


def test_crosses_above_a_range_high_fires_on_the_tick_it_crosses():
    # orb.high = max(0, 4, 2) = 4, known from 09:18; 09:19 (3) stays below; 09:20 (5) crosses
    assert run(ORB + "entry when spot crosses above orb.high\nexit at 09:24\n", SPOT, 10) == [
        ("09:20", "09:24", "exit")]


def test_crosses_below_and_exit_on_it():
    # in at 09:16; orb.low = 0; the spot goes below 0 at 09:23 (-1), having been 1 at 09:22
    assert run(ORB + "entry at 09:16\nexit when spot crosses below orb.low\n", SPOT, 10) == [
        ("09:16", "09:23", "exit")]


def test_a_range_is_unknown_before_its_end_so_not_crossing_is_false_too():
    # at 09:18 the previous tick's orb.high was not known: unknown is false, even under not
    assert run(ORB + "entry when not (spot crosses above orb.high)\nexit at 09:24\n", SPOT, 10) == [
        ("09:19", "09:24", "exit")]


def test_lookback_reads_the_previous_ticks_value():
    # spot[1] > 21004 first holds at 09:21 (the 09:20 spot was 21005); spot[2] > 21004 at 09:22
    assert run(CALL + "entry when spot[1] > 21004\nexit at 09:24\n", SPOT, 10) == [("09:21", "09:24", "exit")]
    assert run(CALL + "entry when spot[2] > 21004\nexit at 09:24\n", SPOT, 10) == [("09:22", "09:24", "exit")]


def test_abs_min_max_and_unknown_values():
    # min(spot, spot[1]) > 21002 needs two ticks above 21002: 09:19 (3) and 09:20 (5) -> at 09:20
    assert run(CALL + "entry when min(spot, spot[1]) > 21002\nexit at 09:24\n", SPOT, 10) == [
        ("09:20", "09:24", "exit")]
    # abs(spot - spot[1]) >= 5: |1 - 6| at 09:22
    assert run(CALL + "entry when abs(spot - spot[1]) >= 5\nexit at 09:24\n", SPOT, 10) == [
        ("09:22", "09:24", "exit")]
    # max(spot, orb.high) is unknown until orb.high is known (09:18)
    assert run(ORB + "entry when max(spot, orb.high) > 0\nexit at 09:24\n", SPOT, 10) == [("09:18", "09:24", "exit")]


def test_an_indicator_is_unknown_until_warm():
    # sma(spot, 3) first known at 09:18: (0 + 4 + 2) / 3 = 2 -> 21002 > 21001
    assert run(CALL + "entry when sma(spot, 3) > 21001\nexit at 09:24\n", SPOT, 10) == [("09:18", "09:24", "exit")]


def test_gap_is_unknown_on_the_data_first_day():
    assert run(CALL + "entry when abs(gap_pct) < 5%\n", SPOT, 10) == []


def test_a_series_the_dataset_lacks_stops_the_run_with_the_nearest_name():
    with pytest.raises(ConfigError, match="no series 'vx'.*did you mean 'vix'"):
        run("series vx\n" + CALL + "entry when vx < 20\n", SPOT, 10, series={"vix": {"path": "-"}})


@pytest.mark.parametrize("body,code,words", [
    ("entry when emaa(spot, 20) > 1\n", "E0201", "did you mean 'ema'"),
    ("entry when rsi(spot, 14.5) > 1\n", "E0301", "whole number"),
    ("entry when rsi(spot) > 1\n", "E0301", "takes 2 argument"),
    ("entry when bollinger(spot, 20, 2) > 1\n", "E0203", "needs a field"),
    ("entry when bollinger(spot, 20, 2).uper > 1\n", "E0203", "did you mean 'upper'"),
    ("entry when ema(vix, 20) > 1\n", "E0301", "spot or a declared series"),
    ("entry when ema(spot, 20, 5m, 3) > 1\n", "E0301", "interval (5m, 1h) comes last"),
    ("entry when spot[501] > 1\n", "E0507", "from 1 to 500"),
    ("entry when vix.high > 1\n", "E0201", "series vix"),
    ("entry when prev > 1\n", "E0203", "prev.close"),
    ("entry when prev_day(9).close > 1\n", "E0405", "from 1 to 5"),
    ("entry when prev_day(2, vx).close > 1\n", "E0301", "spot or a declared series"),
    ("entry when spot.hgh > 1\n", "E0203", "did you mean 'high'"),
    ("entry when spot crosses above time\n", "E0301", "cannot cross"),
    ("range orb 09:30 .. 09:15\n", "E0405", "earlier time first"),
    ("range spot 09:15 .. 09:30\n", "E0103", "word of the language"),
    ("entry when abs(spot, 1) > 1\n", "E0301", "takes 1 value"),
])
def test_mistakes_get_a_code_and_a_hint(body, code, words):
    found = diagnostics(CALL + body)
    assert any(c == code and (words in m or words in h) for c, m, h in found), found


def test_fmt_keeps_every_signal_construct_and_is_stable():
    text = (H + "series vix\nrange orb 09:15 .. 09:30\n" + CALL +
            "entry between 09:31 and 14:00 when spot crosses above orb.high and vix < 20 and abs(gap_pct) < 0.5%"
            " and ema(spot, 20) > sma(spot, 50, 15m) and (spot - 1)[3] > prev.close and vix.prev.close < 25\n"
            "exit at 15:00 or when not (spot crosses below orb.low) and rsi(spot, 14, 1h) > 80"
            " or bollinger(spot, 20, 2).upper < prev_day(2).high or supertrend(spot, 10, 3).direction == -1"
            " or prev_day(3, vix).close > 30\n")
    once = format_source(text)
    assert format_source(once) == once
    assert "(spot - 1)[3]" in once and "sma(spot, 50, 15m)" in once and "vix.prev.close" in once


def test_lint_warns_when_the_entry_window_closes_before_its_range_is_known():
    from optbt.dsl.lint import lint_text
    text = H + "range orb 09:15 .. 09:30\n" + CALL + "entry between 09:20 and 09:25 when spot > orb.high\nexit at 15:00\n"
    assert [d.code for d in lint_text(text)] == ["W009"]
    assert lint_text(text.replace("09:25", "09:45")) == []


def test_prev_day_of_a_series_reads_that_series():
    from optbt.dsl.compiler import compile_text
    source, _, _ = compile_text(H + "series vix\n" + CALL + "entry when prev_day(2, vix).close > 20\n")
    assert "self.prev_field(ctx, 'vix', 2, 'close')" in source


NEVER = ("entry never tried to fill (the entry condition never held, or entry() never called try_fill)")


def no_entry_notes(body: str, n_ticks: int = 10) -> list[str]:
    cls = load_strat_text(H + body)
    day = day_data([21000.0] * n_ticks, {inst(21000, "CE"): [100.0] * n_ticks})
    result = EventEngine(MemorySource({DAY: day}, config(n_ticks), n_ticks)).run(cls())
    assert result.trades == []
    return list(result.notes["entry_blocked"])


def test_a_range_ending_at_the_sessions_open_says_so_when_nothing_entered():
    """orb_breakout's 09:15-09:30 range on a session opening at 09:30 (here: a 09:00-09:15 range,
    the session opening at 09:15): no bar lies in it, orb.high is never known and the entry
    never holds. Before, the note said only that the condition never held."""
    assert no_entry_notes("range orb 09:00 .. 09:15\n" + CALL + "entry when spot crosses above orb.high\n"
                          "exit at 09:24\n") == [
        NEVER + "; the range 09:00–09:15 ends at or before the session's open 09:15: no bar lies in it, "
                "so its high and low are never known (move the range inside the session)"]


def test_a_range_ending_after_the_sessions_close_says_so_when_nothing_entered():
    """The session is 09:15-09:25: a 09:20-09:40 range is never complete that day."""
    assert no_entry_notes("range late 09:20 .. 09:40\n" + CALL + "entry when spot > late.high\nexit at 09:24\n") == [
        NEVER + "; the range 09:20–09:40 ends after the session's close 09:25: it is never complete, "
                "so its high and low are never known (move the range inside the session)"]


def test_a_range_starting_before_the_sessions_open_says_what_it_covers_when_nothing_entered():
    """A 09:10-09:18 range on a 09:15 session holds the bars of 09:15-09:18 only."""
    assert no_entry_notes("range orb 09:10 .. 09:18\n" + CALL + "entry when spot > orb.high\nexit at 09:24\n") == [
        NEVER + "; the range 09:10–09:18 starts before the session's open 09:15: its high and low are "
                "of 09:15–09:18 only"]


def test_a_range_inside_the_session_adds_nothing_to_the_note():
    assert no_entry_notes("range orb 09:15 .. 09:18\n" + CALL + "entry when spot > orb.high\nexit at 09:24\n") == [
        NEVER]
