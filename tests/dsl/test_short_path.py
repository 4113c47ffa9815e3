"""adjust()'s short path (legs with stops and nothing else on a tick) trades as the general loop.

optbt.dsl.runtime.DslStrategy.adjust writes out, for a file whose legs carry stops alone (no
targets, trails, shifts, MTM or position rules, signals), the loop it otherwise runs over every
rule kind. Each file below runs twice on the sample data: as it is, and with the short path
switched off; the trades must be the same, and the short path must have been taken in the first
run (else the comparison proves nothing).
"""

from __future__ import annotations

import pytest

from optbt import run_backtest
from optbt.dsl import runtime
from optbt.dsl.loader import load_strategy

HEAD = "legs\n    ce = add(ATM, CE, SELL)\n    pe = add(ATM, PE, SELL)\n\nentry at 09:20\n"
FILES = {
    "partial": HEAD + "stop_loss each leg 20%\nexit at 15:15\n",
    "one_leg_only": HEAD + "stop_loss ce 15%\nexit at 15:15\n",
    "points": HEAD + "stop_loss each leg 12 pts\nexit at 15:15\n",
    "complete": HEAD + "stop_loss each leg 20%\nsquare_off complete\nexit at 15:15\n",
    "complete_cycles": HEAD + "stop_loss each leg 15%\nsquare_off complete\nmax_cycles 3\nexit at 15:15\n",
    "to_cost": HEAD + ("stop_loss each leg 20%\non stop_loss(ce): move pe.stop to cost\n"
                       "on stop_loss(pe): move ce.stop to cost\nexit at 15:15\n"),
    "close_other": HEAD + "stop_loss each leg 20%\non stop_loss(ce): close pe\nexit at 15:15\n",
    "exit_when": HEAD + "stop_loss each leg 25%\nexit at 15:15 or when spot > 1000000\n",
}


def _run(path, sample_source, short: bool, monkeypatch) -> tuple[list, list[bool]]:
    taken: list[bool] = []
    original = runtime.DslStrategy._rule_hit

    def rule_hit(self, ctx, key, rule):
        taken.append(self._stops_only and not self._late_legs)
        return original(self, ctx, key, rule)

    with monkeypatch.context() as m:
        m.setattr(runtime.DslStrategy, "_rule_hit", rule_hit)
        if not short:
            init = runtime.DslStrategy.__init__

            def no_short_path(self, /, **params):
                init(self, **params)
                self._plain_legs = False  # _note_fields then never sets _stops_only
            m.setattr(runtime.DslStrategy, "__init__", no_short_path)
        res = run_backtest(load_strategy(str(path)), source=sample_source, end="2024-02-29")
    return [t.row() for t in res.trades], taken


@pytest.mark.parametrize("name", sorted(FILES))
def test_short_path_trades_as_the_general_loop(name, sample_source, tmp_path, monkeypatch):
    path = tmp_path / f"{name}.strat"
    path.write_text(f'strategy {name} "short path check"\n\n' + FILES[name], encoding="utf-8")
    fast, taken = _run(path, sample_source, True, monkeypatch)
    slow, not_taken = _run(path, sample_source, False, monkeypatch)
    assert len(fast) > 20
    assert any(r["exit_reason"] == "stop_loss" for r in fast), "no stop fired: the file checks nothing"
    assert taken and all(taken), "the short path was not taken where it should be"
    assert not any(not_taken)
    assert fast == slow


def test_short_path_is_not_taken_with_targets(sample_source, tmp_path, monkeypatch):
    """A target beside the stops: the general loop (both kinds, one price read per leg)."""
    path = tmp_path / "targets.strat"
    path.write_text('strategy targets "x"\n\n' + HEAD + "stop_loss each leg 20%\ntarget each leg 30%\n"
                    "exit at 15:15\n", encoding="utf-8")
    _, taken = _run(path, sample_source, True, monkeypatch)
    assert taken and not any(taken)


def test_a_traced_day_records_every_stop_check_even_after_the_short_path_ran(sample_source, tmp_path):
    """``--trace`` sends every level check through ``_hit`` to record it; on a day traced after
    untraced days (whose fills armed the short path) the stops must still be recorded."""
    path = tmp_path / "partial.strat"
    path.write_text('strategy partial "short path check"\n\n' + FILES["partial"], encoding="utf-8")
    plain = run_backtest(load_strategy(str(path)), source=sample_source, end="2024-01-31")
    stopped = sorted({t.day for t in plain.trades if t.exit_reason == "stop_loss"})
    day = next(d for d in stopped if d != min(t.day for t in plain.trades))  # not the first day
    res = run_backtest(load_strategy(str(path)), source=sample_source, end="2024-01-31", trace=[day])
    rules = [r for r in res.trace if r["kind"] == "rule"]
    assert rules and any(r["result"] for r in rules)
    assert [t.row() for t in res.trades] == [t.row() for t in plain.trades]
