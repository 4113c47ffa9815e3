"""A .strat file loaded a second time skips the front end, and never runs stale code.

The second load of the same text must give a class that behaves exactly as a fresh compile's
(same trades, parameter kinds and rules, source map for run-time errors) without importing
the parser, the AST or the compiler; an edited file, a compiled module changed on disk, a torn
entry, a lower sweep limit or another file name must all compile again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from optbt.dsl import StratError, load_strat

ROOT = Path(__file__).resolve().parents[2]
STRADDLE = (ROOT / "strategies_dsl" / "straddle_920.strat").read_text()
SWEEPING = (ROOT / "strategies_dsl" / "iron_condor_mtm.strat").read_text()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("OPTBT_CACHE_DIR", str(folder))
    monkeypatch.delenv("OPTBT_COMPILED_CACHE", raising=False)
    return folder


def _load_elsewhere(path: Path, cache: Path, env: dict | None = None) -> dict:
    """Load ``path`` in a fresh interpreter: which front-end modules it imported, and the class."""
    code = ("import json, sys\n"
            "from optbt.dsl.loader import load_strategy\n"
            f"cls = load_strategy({str(path)!r})\n"
            "print(json.dumps({'front_end': sorted(m for m in ('optbt.dsl.compiler', 'optbt.dsl.ast', "
            "'optbt.dsl.parser', 'lark') if m in sys.modules), 'name': cls.__name__, "
            "'kinds': cls.PARAM_KINDS, 'rules': {k: list(map(list, v)) for k, v in cls.PARAM_RULES.items()}, "
            "'lines': {str(k): list(v) for k, v in cls.__strat_map__['lines'].items()}, "
            "'source': cls.__strat_source__, 'module': cls.__module__}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OPTBT_CACHE_DIR": str(cache), **(env or {})})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_second_load_skips_the_front_end_and_is_the_same_class(cache, tmp_path):
    path = tmp_path / "straddle.strat"
    path.write_text(STRADDLE)
    first = _load_elsewhere(path, cache)
    second = _load_elsewhere(path, cache)
    assert first["front_end"] == ["lark", "optbt.dsl.ast", "optbt.dsl.compiler", "optbt.dsl.parser"]
    assert second["front_end"] == []
    assert {k: v for k, v in second.items() if k != "front_end"} == {k: v for k, v in first.items() if k != "front_end"}
    assert second["kinds"] and second["lines"]


def test_a_cached_class_trades_as_a_fresh_compile(cache, tmp_path, sample_dataset):
    """On the session's sample dataset: the cache fixture's own cache folder would make the
    sample again (a run without data reads it from there)."""
    from optbt.engine.loop import run_backtest
    path = tmp_path / "condor.strat"
    path.write_text(SWEEPING)
    fresh = load_strat(path)
    sys.modules.pop(fresh.__module__)  # as a new process: the module comes from the cache
    cached = load_strat(path)
    assert cached is not fresh and cached.__module__ == fresh.__module__
    assert (cached.PARAM_KINDS, cached.PARAM_RULES, cached.__strat_map__["lines"]) == (
        fresh.PARAM_KINDS, fresh.PARAM_RULES, fresh.__strat_map__["lines"])
    rows = [[t.row() for t in run_backtest(c, data=sample_dataset).trades] for c in (fresh, cached)]
    assert rows[0] and rows[0] == rows[1]


def test_an_edited_file_compiles_again(cache, tmp_path):
    path = tmp_path / "s.strat"
    path.write_text(STRADDLE)
    assert load_strat(path).__name__ == "Straddle920"
    path.write_text(STRADDLE.replace("strategy straddle_920", "strategy straddle_edited", 1))
    assert "strategy straddle_edited" in path.read_text()
    assert _load_elsewhere(path, cache)["name"] == "StraddleEdited"


def test_a_compiled_module_changed_on_disk_is_not_run(cache, tmp_path):
    path = tmp_path / "s.strat"
    path.write_text(STRADDLE)
    module_file = cache / "compiled" / f"{_load_elsewhere(path, cache)['module']}.py"
    module_file.write_text(module_file.read_text() + "\nraise SystemExit('tampered code ran')\n")
    got = _load_elsewhere(path, cache)
    assert got["front_end"]  # compiled again, and the file put right
    assert "tampered" not in module_file.read_text()


def test_a_torn_entry_is_ignored(cache, tmp_path):
    path = tmp_path / "s.strat"
    path.write_text(STRADDLE)
    load_strat(path)
    entries = list((cache / "compiled").glob("text-*.json"))
    assert len(entries) == 1
    for garbage in ("", "{", json.dumps({"module": 1}), json.dumps({"module": "os", "file": "/etc/passwd",
                                                                     "class": "x", "lines": {}, "param_kinds": {}})):
        entries[0].write_text(garbage)
        assert _load_elsewhere(path, cache)["name"] == "Straddle920"


def test_errors_are_reported_every_time_and_never_remembered(cache, tmp_path):
    path = tmp_path / "bad.strat"
    path.write_text(STRADDLE + "\nexit at 25:99\n")
    for _ in range(2):
        with pytest.raises(StratError):
            load_strat(path)
    assert not list((cache / "compiled").glob("text-*.json"))


def test_a_lower_sweep_limit_is_not_bypassed(cache, tmp_path, monkeypatch):
    path = tmp_path / "condor.strat"
    path.write_text(SWEEPING)
    load_strat(path)
    monkeypatch.setenv("OPTBT_MAX_SWEEP_VALUES", "2")
    with pytest.raises(StratError, match="E0506"):
        load_strat(path)


def test_another_name_is_another_entry_and_off_turns_the_lookup_off(cache, tmp_path):
    a, b = tmp_path / "a.strat", tmp_path / "b.strat"
    a.write_text(STRADDLE)
    b.write_text(STRADDLE)
    assert _load_elsewhere(a, cache)["source"] == str(a)
    assert _load_elsewhere(b, cache)["source"] == str(b)
    assert len(list((cache / "compiled").glob("text-*.json"))) == 2
    assert _load_elsewhere(a, cache, {"OPTBT_COMPILED_CACHE": "off"})["front_end"]


def test_the_stamp_covers_what_compiling_depends_on_beyond_the_language_folder():
    """The engine's Strategy names decide renames, its cost presets which names are known, and
    Python's keywords and builtins which names are taken: editing any of them compiles again."""
    from optbt.dsl.compiled_cache import code_stamp
    stamp = code_stamp()
    for part in ("optbt/engine/strategy.py:", "optbt/engine/charges.py:", "optbt/dsl/compiler.py:", "strat.lark:",
                 "lark/__init__.py:", "pydantic/__init__.py:"):
        assert part in stamp.replace(os.sep, "/")
    assert stamp.startswith(sys.version)


def test_the_cache_keeps_the_most_recently_used_entries_and_a_pruned_file_compiles_again(cache, tmp_path, monkeypatch):
    """Every edit of a file adds an entry and a module: at most KEEP of each stay, the ones used
    last; a file whose entry went is compiled again and runs as before."""
    from optbt.dsl import compiled_cache
    from optbt.dsl.loader import load_strategy
    monkeypatch.setattr(compiled_cache, "KEEP", 3)
    path = tmp_path / "straddle.strat"
    kept_text = STRADDLE + "\n# kept\n"
    path.write_text(kept_text)
    load_strategy(str(path))
    for n in range(5):  # five edits; the first version is loaded again between them (a hit)
        path.write_text(STRADDLE + f"\n# edit {n}\n")
        load_strategy(str(path))
        path.write_text(kept_text)
        assert load_strategy(str(path)).__strat_source__ == str(path)
    folder = cache / "compiled"
    assert len(list(folder.glob("text-*.json"))) == 3
    assert compiled_cache._entry(kept_text, str(path)).exists()  # used last: kept
    edit0 = STRADDLE + "\n# edit 0\n"
    assert not compiled_cache._entry(edit0, str(path)).exists()  # pruned long ago
    path.write_text(edit0)
    again = load_strategy(str(path))  # compiled again, the same rules
    assert again.PARAM_KINDS == load_strategy(str(ROOT / "strategies_dsl" / "straddle_920.strat")).PARAM_KINDS
    assert compiled_cache._entry(edit0, str(path)).exists()
    assert len(list(folder.glob("text-*.json"))) == 3 and len(list(folder.glob("optbt_strat_*.py"))) <= 3


def test_a_cache_folder_that_cannot_be_written_compiles_in_memory(tmp_path, monkeypatch):
    """OPTBT_CACHE_DIR under a file (or on a read-only disk) ended every .strat run in a
    NotADirectoryError traceback, even with --data and OPTBT_COMPILED_CACHE=off. The module now
    runs from memory, and a run-time error still names the .strat statement."""
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("OPTBT_CACHE_DIR", str(blocker / "cache"))
    path = tmp_path / "lots.strat"
    path.write_text('strategy s "s"\nlegs\n    ce = add(ATM, CE, SELL)\nentry at 09:20\nexit at 15:15\n')
    cls = load_strat(path)
    assert cls.__strat_map__["module_file"].startswith("<optbt_strat_s_")
    assert "cannot be written" in cls.__strat_map__["module_file"]
    assert not (blocker / "cache").exists()
    from datetime import date

    from optbt.dsl.runtime import StratRunError

    class Ctx:
        day, time = date(2024, 1, 2), "09:20"
    try:
        raise ValueError("boom")
    except ValueError as exc:  # an error raised outside the generated code: named by the file
        with pytest.raises(StratRunError, match="lots.strat: boom"):
            cls()._failed(exc, Ctx())
