"""Command-line conventions: --version, an example in every --help, quiet pipes, NO_COLOR, completion."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import optbt

ANSI = re.compile(r"\x1b\[")
COMMANDS = [[], ["run"], ["sweep"], ["report"], ["compile"], ["lint"], ["fmt"], ["explain"], ["lsp"],
            ["data"], ["data", "synth"], ["data", "check"], ["data", "sort"]]


def _optbt(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optbt", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_version():
    out = _optbt("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"optbt {optbt.__version__}"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "optbt")
def test_every_command_help_ends_with_an_example(command):
    """As README says: the description's last paragraph is an example of that command."""
    out = _optbt(*command, "--help", env={"COLUMNS": "200"})
    assert out.returncode == 0
    description = out.stdout.split("╭")[0]
    last = [p for p in re.split(r"\n\s*\n", description) if p.strip()][-1]
    assert " ".join(last.split()).startswith(" ".join(["Example: optbt", *command])), last


def test_a_run_into_a_pipe_prints_no_progress_bar_and_no_colour(sample_dataset, tmp_path):
    out = _optbt("run", "strategies_dsl/straddle_920.strat", "--data", str(sample_dataset), "--end", "2024-01-03",
                 "--out", str(tmp_path / "o"), env={"NO_COLOR": "1"})
    assert out.returncode == 0, out.stderr
    assert not ANSI.search(out.stdout + out.stderr)
    assert "━" not in out.stdout and "Straddle920" in out.stdout  # the summary, without the bar


def test_shell_completion_can_be_shown():
    out = _optbt("--show-completion", "bash")
    assert out.returncode == 0 and "complete" in out.stdout
