"""Command-line conventions: --version, an example in every --help, quiet pipes, NO_COLOR, completion."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import optbt

ANSI = re.compile(r"\x1b\[")
COMMANDS = [["run"], ["sweep"], ["report"], ["compile"], ["lint"], ["fmt"], ["explain"], ["lsp"],
            ["data", "synth"], ["data", "check"]]


def _optbt(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optbt", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_version():
    out = _optbt("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"optbt {optbt.__version__}"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_help_shows_an_example(command):
    out = _optbt(*command, "--help", env={"COLUMNS": "200"})
    assert out.returncode == 0
    assert "Example: optbt " + command[0] in " ".join(out.stdout.split())


def test_a_run_into_a_pipe_prints_no_progress_bar_and_no_colour(sample_dataset, tmp_path):
    out = _optbt("run", "strategies_dsl/straddle_920.strat", "--data", str(sample_dataset), "--end", "2024-01-03",
                 "--out", str(tmp_path / "o"), env={"NO_COLOR": "1"})
    assert out.returncode == 0, out.stderr
    assert not ANSI.search(out.stdout + out.stderr)
    assert "━" not in out.stdout and "Straddle920" in out.stdout  # the summary, without the bar


def test_shell_completion_can_be_shown():
    out = _optbt("--show-completion", "bash")
    assert out.returncode == 0 and "complete" in out.stdout
