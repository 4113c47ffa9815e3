"""The pre-commit hooks at the repository root: what each runs, on which files, and that the
commands they run pass a clean strategy and fail a bad one."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from optbt.cli.app import _register_all, app

ROOT = Path(__file__).resolve().parents[2]
HOOKS = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
CLEAN = ROOT / "strategies_dsl" / "straddle_920.strat"


def run_hook(hook_id: str, *files: Path) -> int:
    """The hook's entry run as pre-commit does: its words, then the staged file names."""
    words = shlex.split(HOOKS[hook_id]["entry"])
    assert words[0] == "optbt"
    _register_all()
    return CliRunner().invoke(app, [*words[1:], *map(str, files)]).exit_code


def test_two_hooks_on_strat_files():
    assert set(HOOKS) == {"optbt-lint", "optbt-fmt"}
    assert HOOKS["optbt-lint"]["entry"] == "optbt lint" and HOOKS["optbt-fmt"]["entry"] == "optbt fmt --check"
    for hook in HOOKS.values():
        assert hook["language"] == "python"
        files = re.compile(hook["files"])
        assert files.search("strategies/straddle.strat") and not files.search("straddle.strat.bak")


@pytest.mark.parametrize("hook_id", ["optbt-lint", "optbt-fmt"])
def test_a_clean_library_file_passes(hook_id):
    assert run_hook(hook_id, CLEAN) == 0


def test_lint_fails_a_file_with_an_error(tmp_path):
    bad = tmp_path / "bad.strat"
    bad.write_text('strategy s "x"\nce = add(ATM, CE, SELL)\nstop_loss ce 30\nexit at 15:15\n')
    assert run_hook("optbt-lint", bad) == 1


def test_fmt_fails_an_unformatted_file(tmp_path):
    messy = tmp_path / "messy.strat"
    messy.write_text('strategy s "x"\nce=add(ATM,CE,SELL)\nexit at 15:15\n')
    assert run_hook("optbt-fmt", messy) == 1
