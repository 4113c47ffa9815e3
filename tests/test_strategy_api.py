"""The Python strategy API's small contracts: parameters, expiry rules, metrics."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from datetime import date, time
from pathlib import Path

import pytest

from optbt import Strategy
from optbt.cli.run import parse_params
from optbt.engine.strategy import coerce
from optbt.model.errors import StrategyError
from optbt.model.expiry import resolve_expiry
from optbt.results.metrics import compute_metrics


class P(Strategy):
    sl_pct: float = 30.0
    lots: int = 1
    trail: bool = False
    at: time = time(9, 20)
    name: str = "x"
    max_cycles = 2


def test_parameters_are_the_annotated_attributes_with_defaults():
    assert P.parameters() == {"sl_pct": (float, 30.0), "lots": (int, 1), "trail": (bool, False),
                              "at": (time, time(9, 20)), "name": (str, "x")}


def test_text_parameters_are_coerced_through_the_annotation():
    s = P(sl_pct="25.5", lots="3", trail="yes", at="10:05", name=7)
    assert (s.sl_pct, s.lots, s.trail, s.at, s.name) == (25.5, 3, True, time(10, 5), "7")


def test_max_cycles_is_overridable_and_unannotated_attributes_are_not_parameters():
    assert P(max_cycles="3").max_cycles == 3
    assert P().params()["max_cycles"] == 2
    assert "max_cycles" not in P.parameters()


def test_each_instance_owns_its_state():
    a, b = P(), P(sl_pct=10)
    a.positions["x"] = object()
    assert b.positions == {} and P.sl_pct == 30.0 and a.sl_pct == 30.0


@pytest.mark.parametrize("kwargs, message", [
    ({"sl_pc": 1}, "has no parameter 'sl_pc' (did you mean 'sl_pct'?)"),
    ({"lots": "2.5"}, "lots: expected a whole number"),
    ({"trail": "maybe"}, "trail: expected true or false"),
    ({"at": "25:99:1x"}, "expected a time of day"),
    ({"max_cycles": 0}, "max_cycles must be at least 1"),
])
def test_bad_parameters_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        P(**kwargs)


def test_coerce_keeps_integers_whole():
    with pytest.raises(ValueError):
        coerce(2.5, int)
    assert coerce(2.0, int) == 2


def test_param_pairs_parse():
    assert parse_params(["a=1", "b = x=y"]) == {"a": "1", "b": "x=y"}


LISTED = [date(2024, 1, 25), date(2024, 2, 1), date(2024, 2, 8), date(2024, 2, 29), date(2024, 3, 28)]


@pytest.mark.parametrize("rule, day, expected", [
    ("nearest", date(2024, 1, 25), date(2024, 1, 25)),        # expiry day itself is nearest (0DTE)
    ("nearest", date(2024, 1, 26), date(2024, 2, 1)),
    ("next", date(2024, 1, 26), date(2024, 2, 8)),
    ("monthly", date(2024, 1, 22), date(2024, 1, 25)),        # the month's last listed expiry
    ("monthly", date(2024, 1, 26), date(2024, 2, 29)),
    ("next_monthly", date(2024, 1, 26), date(2024, 3, 28)),
    ("2024-02-08", date(2024, 1, 26), date(2024, 2, 8)),
    ("2024-02-09", date(2024, 1, 26), None),                  # not listed
    ("dte>=10", date(2024, 1, 26), date(2024, 2, 8)),
    ("dte<=10", date(2024, 1, 26), date(2024, 2, 1)),
    ("dte=13", date(2024, 1, 26), date(2024, 2, 8)),
    ("nearest_weekly", date(2024, 3, 29), None),              # nothing left
])
def test_expiry_rules(rule, day, expected):
    assert resolve_expiry(rule, day, LISTED) == expected


def test_unknown_expiry_rule_lists_the_accepted_ones():
    with pytest.raises(ValueError, match="use one of nearest, next, monthly"):
        resolve_expiry("thursday", date(2024, 1, 1), LISTED)


def test_metrics_worked_by_hand():
    trades = [300.0, -100.0, -50.0, 200.0, -25.0]
    daily = [200.0, -150.0, 175.0, 0.0]
    m = compute_metrics(trades, daily, [2, 2, 1, 0])
    assert m["total_pnl"] == 325.0
    assert m["win_rate"] == 0.4
    assert m["avg_win"] == 250.0 and m["avg_loss"] == round(-175 / 3, 4)
    assert m["profit_factor"] == round(500 / 175, 4)
    assert m["max_drawdown"] == 150.0                    # 200 -> 50
    assert m["max_consecutive_losses"] == 2
    assert m["days_traded"] == 3
    mean = 225 / 4
    std = (((200 - mean) ** 2 + (-150 - mean) ** 2 + (175 - mean) ** 2 + mean ** 2) / 3) ** 0.5
    assert m["sharpe"] == round(mean / std * 252 ** 0.5, 4)


def test_metrics_without_losses_or_trades():
    assert compute_metrics([10.0], [10.0])["profit_factor"] is None
    empty = compute_metrics([], [])
    assert (empty["trades"], empty["win_rate"], empty["sharpe"]) == (0, None, None)


def test_a_python_file_edited_since_it_was_loaded_is_loaded_as_it_is_now(tmp_path):
    """One process loading a file twice (a notebook, a Dask worker between sweeps): an edit is
    seen, and an unchanged file gives the very same class (pickling and caches rely on it)."""
    from optbt.dsl.loader import load_strategy
    path = tmp_path / "mine.py"
    body = "from optbt import Strategy\n\nclass Mine(Strategy):\n    entry_time: str = {!r}\n"
    path.write_text(body.format("09:20"))
    first = load_strategy(f"{path}:Mine")
    assert load_strategy(f"{path}:Mine") is first
    path.write_text(body.format("10:20"))
    assert load_strategy(f"{path}:Mine").entry_time == "10:20"
    path.write_text("this is not python (\n")
    with pytest.raises(StrategyError, match="syntax error"):
        load_strategy(f"{path}:Mine")
    path.unlink()
    with pytest.raises(StrategyError, match="not found"):
        load_strategy(f"{path}:Mine")


def test_a_helper_module_the_strategy_imports_is_imported_again_when_it_changed(tmp_path, monkeypatch):
    """``import my_exit_rule`` beside the strategy, edited in a notebook between two runs: the
    next load sees it (found by review: the strategy was re-imported, the helper was not)."""
    from optbt.dsl.loader import helper_files, load_strategy
    helper = "optbt_test_helper_" + tmp_path.name.replace("-", "_")
    (tmp_path / f"{helper}.py").write_text('EXIT = "15:15"\n')
    path = tmp_path / "mine.py"
    path.write_text(f"from optbt import Strategy\nimport {helper}\n\nclass Mine(Strategy):\n"
                    f"    exit_time: str = {helper}.EXIT\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    first = load_strategy(f"{path}:Mine")
    assert first.exit_time == "15:15"
    assert list(helper_files(path)) == [str((tmp_path / f"{helper}.py").resolve())]
    assert load_strategy(f"{path}:Mine") is first  # nothing changed: the same class
    (tmp_path / f"{helper}.py").write_text('EXIT = "10:00"  # earlier\n')
    assert load_strategy(f"{path}:Mine").exit_time == "10:00"


def test_a_helper_edited_in_the_same_second_at_the_same_size_is_not_served_from_its_pyc(tmp_path, monkeypatch):
    """Python trusts a helper's cached bytecode by the source's size and modification second;
    an edit that keeps both (a quick fix of one character) must still be seen."""
    from optbt.dsl.loader import load_strategy
    helper = "optbt_test_samesec_" + tmp_path.name.replace("-", "_")
    source = tmp_path / f"{helper}.py"
    source.write_text('EXIT = "15:15"\n')
    stamp = os.stat(source).st_mtime_ns
    path = tmp_path / "mine.py"
    path.write_text(f"from optbt import Strategy\nimport {helper}\n\nclass Mine(Strategy):\n"
                    f"    exit_time: str = {helper}.EXIT\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert load_strategy(f"{path}:Mine").exit_time == "15:15"
    assert Path(importlib.util.cache_from_source(str(source))).exists()  # Python cached it
    source.write_text('EXIT = "10:15"\n')  # the same size
    os.utime(source, ns=(stamp, stamp))  # and the same modification time
    assert load_strategy(f"{path}:Mine").exit_time == "10:15"
