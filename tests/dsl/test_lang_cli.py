"""The language commands as a user runs them: ``fmt`` never damages a file, ``explain`` says what a
file does (and agrees with the runtime), and compile/lint/fmt/explain follow the exit-code table
(0 ok, 1 lint findings or ``fmt --check`` changes, 2 invalid input, 130 interrupted)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optbt.dsl import load_strat_text
from optbt.dsl.explain import explain_text
from optbt.dsl.runtime import DslStrategy

ROOT = Path(__file__).resolve().parents[2]


def optbt(*args, env=None, cwd=ROOT):
    """Run the real entry point; bytes in, bytes out (nothing decoded by a locale on the way)."""
    full_env = None if env is None else {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "optbt", *map(str, args)], capture_output=True, cwd=cwd,
                          env=full_env, timeout=300)


# -- fmt: the examples of issue 10, byte for byte ------------------------------------------------------
MESSY = ('strategy x "café ₹ a\\nb \\\\"  # note ₹\n'
         "ce = add(ATM, CE, SELL)\n"
         "stop_loss each leg 0.0000001 pts\n"
         "exit at 15:00  # été\n")
# worked out by hand: escapes, non-ASCII and both comments as typed; blank lines after the header
# and after the legs (the layout's); the number in positional form
TIDY = ('strategy x "café ₹ a\\nb \\\\"  # note ₹\n'
        "\n"
        "ce = add(ATM, CE, SELL)\n"
        "\n"
        "stop_loss each leg 0.0000001 pts\n"
        "exit at 15:00  # été\n")


def test_fmt_write_keeps_escapes_comments_non_ascii_and_small_numbers(tmp_path):
    f = tmp_path / "x.strat"
    f.write_bytes(MESSY.encode("utf-8"))
    assert optbt("fmt", "--check", f).returncode == 1
    assert f.read_bytes() == MESSY.encode("utf-8")          # --check changes nothing
    r = optbt("fmt", "--write", f)
    assert r.returncode == 0, r.stderr
    assert f.read_bytes() == TIDY.encode("utf-8")
    r = optbt("fmt", "--write", f)                           # a second pass changes nothing
    assert r.returncode == 0 and f.read_bytes() == TIDY.encode("utf-8")
    assert optbt("fmt", "--check", f).returncode == 0
    cls = load_strat_text(TIDY)
    assert cls.__doc__ == "café ₹ a\nb \\"                  # the description means the same


def test_fmt_prints_utf8_whatever_the_locale(tmp_path):
    f = tmp_path / "x.strat"
    f.write_bytes(MESSY.encode("utf-8"))
    r = optbt("fmt", f, env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"})
    assert r.returncode == 0, r.stderr
    assert r.stdout == TIDY.encode("utf-8")


def test_fmt_drops_a_bom_and_crlf_only_when_asked(tmp_path):
    f = tmp_path / "b.strat"
    raw = '\ufeffstrategy b "b"\r\nce = add(ATM, CE, SELL)\r\nexit at 15:00\r\n'.encode("utf-8")
    f.write_bytes(raw)
    assert optbt("fmt", "--check", f).returncode == 1       # byte for byte, the BOM and CRLF are changes
    assert f.read_bytes() == raw
    assert optbt("fmt", "--write", f).returncode == 0
    assert f.read_bytes() == b'strategy b "b"\n\nce = add(ATM, CE, SELL)\n\nexit at 15:00\n'


@pytest.mark.parametrize("text, code", [
    ('strategy b "b"\nce = add(ATM, CE, SELL\nexit at 15:00\n', "E0101"),         # syntax
    ('strategy b "b"\nce = add(ATM, CE, SELL)\nexit when spot > sl_pc\n', "E0201"),  # unknown name
    ('strategy b "b"\nce = add(ATM, CE, SELL)\nstop_loss each leg ' + "9" * 400 + " pts\n", None),  # no float
])
def test_fmt_on_an_invalid_file_exits_2_with_the_diagnostic_and_never_writes(tmp_path, text, code):
    f = tmp_path / "bad.strat"
    f.write_bytes(text.encode("utf-8"))
    for flags in ((), ("--check",), ("--write",)):
        r = optbt("fmt", *flags, f)
        assert r.returncode == 2, (flags, r.stderr)
        err = r.stderr.decode("utf-8")
        assert "error[" in err and "bad.strat:" in err and "Traceback" not in err
        if code:
            assert f"error[{code}]" in err
        assert r.stdout == b""
        assert f.read_bytes() == text.encode("utf-8")


def test_fmt_write_rewrites_the_valid_files_and_leaves_the_invalid_one(tmp_path):
    good, bad = tmp_path / "good.strat", tmp_path / "bad.strat"
    good.write_text('strategy g "g"\nce=add(ATM,CE,SELL)\nexit at 15:00\n', encoding="utf-8")
    bad.write_text('strategy b "b"\nce = add(ATM, CE, SELL)\nexit at\n', encoding="utf-8")
    r = optbt("fmt", "--write", good, bad)
    assert r.returncode == 2
    assert good.read_text(encoding="utf-8") == 'strategy g "g"\n\nce = add(ATM, CE, SELL)\n\nexit at 15:00\n'
    assert bad.read_text(encoding="utf-8") == 'strategy b "b"\nce = add(ATM, CE, SELL)\nexit at\n'


def test_fmt_keeps_the_authors_blank_lines_and_what_a_lint_suppression_covers(tmp_path):
    text = ('# header comment\n\n\nstrategy s "s"\nce = add(ATM, CE, SELL)\npe = add(ATM, PE, SELL)  # lint: allow W006\n'
            'entry at 09:20 when 1 > 2\n\n\n# exit comment\nexit at 15:00\n')
    f = tmp_path / "s.strat"
    f.write_text(text, encoding="utf-8")
    assert optbt("lint", "--strict", f).returncode == 0     # the allow covers W006 on the line after it
    assert optbt("fmt", "--write", f).returncode == 0
    # no layout blank line after the legs here: it would put the entry out of the allow's reach;
    # the author's blank lines stay, several becoming one
    assert f.read_text(encoding="utf-8") == (
        '# header comment\n\nstrategy s "s"\n\nce = add(ATM, CE, SELL)\npe = add(ATM, PE, SELL)  # lint: allow W006\n'
        'entry at 09:20 when 1 > 2\n\n# exit comment\nexit at 15:00\n')
    assert optbt("lint", "--strict", f).returncode == 0


def test_fmt_check_and_write_exclude_each_other(tmp_path):
    f = tmp_path / "x.strat"
    f.write_bytes(TIDY.encode("utf-8"))
    r = optbt("fmt", "--check", "--write", f)
    assert r.returncode == 2 and b"exclude" in r.stderr


# -- explain -----------------------------------------------------------------------------------------
def test_explain_a_file_and_a_code(tmp_path):
    path = ROOT / "strategies_dsl" / "straddle_920.strat"
    r = optbt("explain", path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode("utf-8") == explain_text(path.read_text(encoding="utf-8"), str(path))
    assert "stop loss on each leg" in r.stdout.decode("utf-8")
    r = optbt("explain", "E0301")
    assert r.returncode == 0 and r.stdout.startswith(b"E0301: type mismatch")


@pytest.mark.parametrize("args", [("explain", "missing.strat"), ("explain", "E9999"), ("explain", "BAD")])
def test_explain_bad_input_exits_2(args):
    r = optbt(*args)
    assert r.returncode == 2 and b"Traceback" not in r.stderr


def test_explain_an_invalid_file_shows_its_diagnostics(tmp_path):
    f = tmp_path / "bad.strat"
    f.write_text('strategy b "b"\nce = add(ATM, CE, SELL)\nstop_loss each leg 30\n', encoding="utf-8")
    r = optbt("explain", f)
    assert r.returncode == 2 and b"error[E0302]" in r.stderr and r.stdout == b""


EXPLAINED = ('strategy lv "levels"\nshort_leg = add(ATM, CE, SELL)\nlong_leg = add(ATM, PE, BUY)\n'
             "{rule} each leg {amount}\nexit at 15:00\n")


@pytest.mark.parametrize("rule", ["stop_loss", "target", "trailing"])
@pytest.mark.parametrize("amount", ["30%", "12.5 pts"])
def test_explained_levels_are_the_runtimes_levels(rule, amount, monkeypatch):
    """The level explain states for a leg entered (or best) at 100 is where the runtime puts it."""
    monkeypatch.setattr("optbt.dsl.explain.WIDTH", 10_000)  # one line a leg
    text = explain_text(EXPLAINED.format(rule=rule, amount=amount))
    unit, value = ("pct", 30.0) if amount == "30%" else ("pts", 12.5)
    for leg, short in (("short_leg", True), ("long_leg", False)):
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(f"{leg} ("))
        side = re.search(r"at or (above|below)", line).group(1)
        if unit == "pct":
            stated = 100 * float(re.search(r"× ([\d.]+)", line).group(1))
        else:
            sign = re.search(r"(?:price|entry) ([+-]) 12\.5 points", line).group(1)
            stated = 100 + (12.5 if sign == "+" else -12.5)
        # runtime: stops sit against the position, targets in its favour, trails against it
        direction = {"stop_loss": -1, "target": 1, "trailing": -1}[rule] * (-1 if short else 1)
        assert stated == pytest.approx(DslStrategy._level(100.0, unit, value, None, direction))
        assert side == ("above" if direction > 0 else "below")


def test_explain_says_which_rule_replaces_another():
    text = explain_text('strategy o "o"\nce = add(ATM, CE, SELL)\npe = add(ATM, PE, SELL)\n'
                        "stop_loss each leg 30%\nstop_loss ce 40 pts\nexit at 15:00\n")
    assert "    ce: replaced by the later stop_loss ce 40 pts" in text
    assert "pe (a short leg): closed when its price is at or above its entry price × 1.3 (30 % above)" in text
    assert "ce (a short leg): closed when its price is at or above its entry price + 40 points" in text


def test_explain_says_the_exit_time_stops_reentries_and_the_engine_agrees(tmp_path):
    text = 'strategy re "re"\nmax_cycles 3\nce = add(ATM, CE, SELL)\nentry at 09:20\nexit at 09:30\n'
    words = " ".join(explain_text(text).split())
    assert "No entry once the exit rule holds: from the exit time on (or while its condition is true) nothing " \
        "opens, even with cycles left." in words
    from optbt import run_backtest
    from optbt.data.synth import generate
    result = run_backtest(load_strat_text(text), data=generate(tmp_path / "d", days=1, seed=1))
    rows = [(r["cycle"], r["entry_ts"].strftime("%H:%M"), r["exit_ts"].strftime("%H:%M"), r["exit_reason"])
            for r in result.trade_rows()]
    assert rows == [(1, "09:20", "09:30", "exit")]  # cycles 2 and 3 would open after 09:30: none does


# -- the exit-code table ---------------------------------------------------------------------------------
GOOD = 'strategy g "g"\n\nce = add(ATM, CE, SELL)\n\nexit at 15:00\n'
WARN = 'strategy w "w"\n\nparams\n    unused: int = 1\n\nce = add(ATM, CE, SELL)\n\nexit at 15:00\n'
UGLY = 'strategy g "g"\nce=add(ATM,CE,SELL)\nexit at 15:00\n'
BAD = 'strategy b "b"\nce = add(ATM, CE, SELL)\nstop_loss each leg 30\n'


@pytest.mark.parametrize("args, code", [
    (("compile", "good"), 0), (("compile", "bad"), 2), (("compile", "missing"), 2),
    (("compile", "--emit", "yaml", "good"), 2),
    (("lint", "good"), 0), (("lint", "warn"), 0), (("lint", "--strict", "warn"), 1), (("lint", "bad"), 1),
    (("lint", "good", "missing"), 2), (("lint", "--format", "xml", "good"), 2),
    (("fmt", "good"), 0), (("fmt", "--check", "good"), 0), (("fmt", "--check", "ugly"), 1),
    (("fmt", "bad"), 2), (("fmt", "--check", "bad"), 2), (("fmt", "missing"), 2),
    (("explain", "good"), 0), (("explain", "E0101"), 0), (("explain", "bad"), 2), (("explain", "E0000"), 2),
    (("lint", "--no-such-option", "good"), 2),
])
def test_exit_codes_follow_the_table(tmp_path, args, code):
    files = {"good": GOOD, "warn": WARN, "ugly": UGLY, "bad": BAD}
    for name, text in files.items():
        (tmp_path / f"{name}.strat").write_text(text, encoding="utf-8")
    argv = [f"{a}.strat" if a in (*files, "missing") else a for a in args]
    r = optbt(*argv, cwd=tmp_path)
    assert r.returncode == code, (argv, r.stdout, r.stderr)
    assert b"Traceback" not in r.stderr


@pytest.mark.parametrize("args", [("compile", "good.strat"), ("lint", "good.strat"), ("fmt", "good.strat"),
                                  ("explain", "good.strat")])
def test_ctrl_c_exits_130(tmp_path, monkeypatch, args):
    from optbt.cli.app import _register_all, app
    from optbt.dsl import parser

    def interrupted():
        raise KeyboardInterrupt

    _register_all()
    (tmp_path / "good.strat").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(parser, "lark_parser", interrupted)  # Ctrl-C arrives while the file is parsed
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output
