"""A .strat file can never run code; the CLI commands behave as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optbt.dsl import StratError, compile_text, load_strat_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text, code", [
    ('strategy __init__ "x"\nce = add(ATM, CE, SELL)', "E0103"),
    ('strategy x "x"\nparams\n    __class__: int = 1\nce = add(ATM, CE, SELL)', "E0103"),
    ('strategy x "x"\nparams\n    spot: int = 1\nce = add(ATM, CE, SELL)', "E0103"),
    ('strategy x "x"\nce = add(ATM, CE, SELL)\nexit when __import__ > 1', "E0201"),
    ('strategy x "x"\nce = add(ATM, CE, SELL)\nexit when os.system > 1', "E0201"),
    ('strategy x "x"\n__import__ = add(ATM, CE, SELL)', "E0103"),
    ('strategy x "a"; import os\nce = add(ATM, CE, SELL)', "E0101"),
    ('strategy x "x"\nce = add(ATM, CE, SELL)\nexit when ce.__class__ > 1', "E0203"),
])
def test_hostile_inputs_are_rejected_with_a_diagnostic(text, code):
    with pytest.raises(StratError) as info:
        compile_text(text, "hostile.strat")
    assert code in {d.code for d in info.value.diagnostics}


def test_quotes_and_newlines_in_a_description_stay_data():
    text = 'strategy x "\\"\\"\\" ; import os; x = \\"\\nnew line"\nce = add(ATM, CE, SELL)\nexit at 15:00'
    source, _, _ = compile_text(text, "x.strat")
    cls = load_strat_text(text)
    assert cls.__doc__ == '""" ; import os; x = "\nnew line'
    assert "import os" not in source.replace(repr(cls.__doc__), "")


def optbt(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "optbt", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_compile_writes_python_that_runs_with_identical_trades(tmp_path, sample_dataset):
    out = tmp_path / "straddle.py"
    r = optbt("compile", "strategies_dsl/straddle_920.strat", "-o", str(out))
    assert r.returncode == 0, r.stderr
    runs = []
    for spec in ("strategies_dsl/straddle_920.strat", f"{out}:Straddle920"):
        r = optbt("run", spec, "--data", str(sample_dataset), "--end", "2024-01-20", "--quiet",
                  "--out", str(tmp_path / spec.split("/")[-1].replace(":", "_")))
        assert r.returncode == 0, r.stderr
        runs.append((tmp_path / spec.split("/")[-1].replace(":", "_") / "trades.csv").read_text())
    assert runs[0] == runs[1] and runs[0].count("\n") > 5


def test_compile_emits_the_ast_as_json():
    r = optbt("compile", "strategies_dsl/straddle_920.strat", "--emit", "ast")
    ast = json.loads(r.stdout)
    assert ast["kind"] == "program" and ast["statements"][0]["kind"] == "header"


def test_lint_exit_codes_and_json(tmp_path):
    warn = tmp_path / "warn.strat"
    warn.write_text('strategy w "w"\nparams\n    unused: int = 1\nce = add(ATM, CE, SELL)\nexit at 15:00\n')
    assert optbt("lint", str(warn)).returncode == 0
    assert optbt("lint", "--strict", str(warn)).returncode == 1
    findings = json.loads(optbt("lint", "--format", "json", str(warn)).stdout)
    assert [(f["code"], f["line"]) for f in findings] == [("W001", 3)]
    warn.write_text(warn.read_text().replace("unused: int = 1", "unused: int = 1  # lint: allow W001"))
    assert optbt("lint", "--strict", str(warn)).returncode == 0
    bad = tmp_path / "bad.strat"
    bad.write_text('strategy b "b"\nce = add(ATM, CE, SELL)\nstop_loss each leg 30\n')
    r = optbt("lint", str(bad))
    assert r.returncode == 1 and "E0302" in r.stdout and "Traceback" not in r.stderr


def test_lint_rules(tmp_path):
    from optbt.dsl.checks import check
    from optbt.dsl.lint import lint_unit
    from optbt.dsl.parser import parse_text
    text = ('strategy l "l"\nmax_cycles 2\nce = add(ATM, CE, SELL)\npe = add(ATM, PE, BUY)\n'
            'entry at 10:00 when 1 > 2\nstop_loss pe 150%\n')
    unit = check(parse_text(text)[0])
    codes = [d.code for d in lint_unit(unit, text)]
    assert codes == ["W002", "W006", "W004"]
    text2 = 'strategy l "l"\nmax_cycles 2\nce = add(ATM, CE, SELL)\nentry at 10:00\nexit at 09:30\n'
    assert [d.code for d in lint_unit(check(parse_text(text2)[0]), text2)] == ["W003"]
    text3 = 'strategy l "l"\nmax_cycles 2\nce = add(ATM, CE, SELL)\n'
    assert "W005" in [d.code for d in lint_unit(check(parse_text(text3)[0]), text3)]


def test_fmt_check_and_write(tmp_path):
    f = tmp_path / "f.strat"
    f.write_text('strategy   f   "f"\nce=add( ATM ,CE,SELL )   # the leg\nexit   at 15:00\n')
    assert optbt("fmt", "--check", str(f)).returncode == 1
    assert optbt("fmt", "--write", str(f)).returncode == 0
    assert f.read_text() == 'strategy f "f"\n\nce = add(ATM, CE, SELL)  # the leg\n\nexit at 15:00\n'
    assert optbt("fmt", "--check", str(f)).returncode == 0


def test_explain_and_unknown_code():
    assert "missing unit" in optbt("explain", "E0302").stdout
    r = optbt("explain", "E9999")
    assert r.returncode == 2 and "unknown code" in r.stderr


def test_every_library_strategy_is_formatted_and_lints_clean():
    files = sorted(str(p) for p in (ROOT / "strategies_dsl").glob("*.strat"))
    assert len(files) >= 8
    assert optbt("lint", "--strict", *files).returncode == 0
    assert optbt("fmt", "--check", *files).returncode == 0
