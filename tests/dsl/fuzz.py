"""A mutation fuzzer for .strat files: mutants of the library, and what each must survive.

Mutations: delete, duplicate or swap tokens and lines; insert keywords; extreme numbers;
Unicode separators and control characters; hostile names and strings. For every mutant,
lint / compile / fmt answer with the project's own diagnostics and never another exception,
within a time guard; a mutant that compiles runs on the sample data without a crash; fmt
round-trips (idempotent, same program).

Used by tests/dsl/test_fuzz.py (a few hundred mutants in every run; more with
``OPTBT_FUZZ_MUTANTS=20000``).
"""

from __future__ import annotations

import ast
import random
import re
import signal
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "strategies_dsl").glob("*.strat"))

_TOKEN = re.compile(r"\s+|\"(?:[^\"\\\n]|\\.)*\"|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?%?|\d{1,2}:\d{2}|[^\sA-Za-z0-9_]")
KEYWORDS = ["strategy", "params", "legs", "underlying", "expiry", "max_cycles", "entry", "stop_loss", "target",
            "trailing", "on", "square_off", "shift", "exit", "mtm_stop", "mtm_target", "trail_mtm", "add", "at",
            "when", "between", "and", "or", "not", "in", "each", "leg", "move", "stop", "to", "cost", "others",
            "close", "sweep", "step", "..", "ATM", "OTM", "premium", "delta", "net_delta", "CE", "PE", "BUY", "SELL", "dte", "nearest",
            "true", "false", "int", "float", "percent", "time", "bool", "choice", "rs", "₹", "pts", "(", ")",
            ",", ":", "=", "-", "+", "*", "/", "<", ">=", "==", "!=", "~", "[", "]", ".", "\"", "#", "\\",
            "costs", "preset", "slippage", "commission", "per", "order", "lot", "nse"]
NUMBERS = ["0", "-0", "00", "0.0", "1", "-1", "0.5", "99:99", "24:00", "23:59", "00:00", "9" * 17, "1" + "0" * 15,
           "1" + "0" * 16, "9" * 400, "1" + "0" * 309, "0." + "0" * 330 + "1", "4294967296", "1e309", "0%",
           "100000000000000%", "rs 0", "₹99999999999999999", "1 .. 1000000000 step 1", "0.0000001"]
SEPARATORS = ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\x00", "\ufeff", "\u202e", "\udcff", "\udc80",
              "\r", "\n", "\r\n", "\t", "\xa0", "\u200b", "\x1b[31m", "\x7f", "\U0001F600"]
NAMES = ["class", "None", "none", "true", "false_", "int", "float", "str", "bool", "positions", "__init__",
         "__class__", "self", "ctx", "match", "case", "type", "_", "print", "exec", "eval", "__import__", "add",
         "entry", "adjust", "legs", "SWEEP", "CHOICES", "PARAM_ATTRS", "lots_of", "num", "nz", "DslStrategy",
         "annotations", "spot", "others", "max_cycles", "params", "close", "a" * 300, "x" * 5000, "int_",
         "Mon", "CE", "ATM", "lambda", "yield", "async", "await", "global", "object", "Exception"]
STRINGS = ['"x\\"\\"\\" ; import os; x = \\""', '"\\N{BULLET}"', '"bad\\N"', '"\\\\"', '"caf\u00e9 \u20b9"',
           '"\\u2028"', '"\\x00"', '"""', '"\\"', '"a\\qb"', '"\\ud800"', '"' + "y" * 5000 + '"', '"#"',
           '"\\\\" # comment']


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _edit_tokens(rng: random.Random, text: str, op: str) -> str:
    toks = tokens(text)
    words = [i for i, t in enumerate(toks) if not t.isspace()]
    if not words:
        return text
    i = rng.choice(words)
    if op == "delete":
        del toks[i]
    elif op == "duplicate":
        toks.insert(i, toks[i] + rng.choice(["", " "]))
    elif op == "swap":
        j = rng.choice(words)
        toks[i], toks[j] = toks[j], toks[i]
    elif op == "keyword":
        toks.insert(i, rng.choice(KEYWORDS) + " ")
    elif op == "number":
        nums = [k for k in words if toks[k][:1].isdigit()] or [i]
        toks[rng.choice(nums)] = rng.choice(NUMBERS)
    elif op == "name":
        names = [k for k in words if toks[k][:1].isalpha() or toks[k][:1] == "_"] or [i]
        toks[rng.choice(names)] = rng.choice(NAMES)
    elif op == "string":
        strs = [k for k in words if toks[k].startswith('"')] or [i]
        toks[rng.choice(strs)] = rng.choice(STRINGS)
    elif op == "nest":
        k = rng.choice([2, 10, 70, 300])
        toks.insert(i, rng.choice(["(" * k, "-" * k, "not " * k, "spot + " * k, "(spot + " * k]))
    return "".join(toks)


def _edit_lines(rng: random.Random, text: str, op: str) -> str:
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    if op == "delete_line":
        del lines[i]
    elif op == "duplicate_line":
        lines.insert(i, lines[i] * rng.choice([1, 1, 2, 40]))
    elif op == "swap_lines":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "separator":
        line = lines[i]
        k = rng.randrange(len(line) + 1)
        lines[i] = line[:k] + rng.choice(SEPARATORS) + line[k:]
    return "\n".join(lines)


FILE_NAMES = ["mutant.strat", 'x""";open("PWNED","w").write("pwned");""".strat', "bad\\N.strat", "new\nline.strat",
              "caf\u00e9.strat", "\udcff.strat", "q'\"'.strat", "\\.strat"]

TOKEN_OPS = ("delete", "duplicate", "swap", "keyword", "number", "name", "string", "nest")
LINE_OPS = ("delete_line", "duplicate_line", "swap_lines", "separator")


def mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.choice([1, 1, 2, 3])):
        op = rng.choice(TOKEN_OPS + LINE_OPS)
        text = _edit_tokens(rng, text, op) if op in TOKEN_OPS else _edit_lines(rng, text, op)
    return text


def mutants(seed: int, count: int):
    """(file name, text) of each mutant; the same seed always gives the same mutants."""
    rng = random.Random(seed)
    sources = [p.read_text(encoding="utf-8") for p in LIBRARY]
    for _ in range(count):
        text = mutate(rng, rng.choice(sources))
        yield rng.choice(FILE_NAMES) if rng.random() < 0.2 else "mutant.strat", text


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang("no answer within the time guard")


@dataclass
class Report:
    mutants: int = 0
    compiled: int = 0
    ran: int = 0
    seconds: float = 0.0
    findings: dict = field(default_factory=dict)      # class -> first mutant text
    fmt_findings: dict = field(default_factory=dict)  # fmt round-trip classes (tolerant)

    def add(self, kind: str, exc: BaseException | None, text: str, fmt: bool = False) -> None:
        if exc is not None:
            tb = traceback.extract_tb(exc.__traceback__)
            where = f"{Path(tb[-1].filename).name}:{tb[-1].name}" if tb else ""
            key = f"{kind}: {type(exc).__name__} at {where}"
        else:
            key = kind
        target = self.fmt_findings if fmt else self.findings
        target.setdefault(key, text)


def check_mutant(text: str, report: Report, run, guard_seconds: float = 20.0, filename: str = "mutant.strat") -> None:
    """Every stage on one mutant; what goes wrong is recorded in ``report`` by class."""
    from optbt.dsl import StratError
    from optbt.dsl.ast import without_spans
    from optbt.dsl.compiler import compile_text, source_map
    from optbt.dsl.diagnostics import Diagnostic, render_all
    from optbt.dsl.lint import lint_text
    from optbt.dsl.parser import parse_text
    from optbt.model.errors import OptbtError

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, guard_seconds)
    try:
        stage = "lint"
        try:
            diags = lint_text(text)
            assert all(isinstance(d, Diagnostic) for d in diags)
            rendered = render_all(diags, text, filename)
            rendered.encode("utf-8")  # printable: no raw surrogates reach the terminal
            assert "\x00" not in rendered and "\u2028" not in rendered and "\x1b" not in rendered
            stage = "fmt"
            program, parse_errors = parse_text(text)
            if not parse_errors:
                _fmt_roundtrip(text, program, report, without_spans)
            stage = "compile"
            try:
                source, cls_name, unit = compile_text(text, filename)
            except StratError as exc:
                str(exc).encode("utf-8")
                return
            report.compiled += 1
            stage = "emit"
            unit.program.model_dump_json()
            stage = "load"
            tree = ast.parse(source)
            assert sum(isinstance(n, ast.ClassDef) for n in tree.body) == 1
            assert all(n.module in ("__future__", "optbt.dsl.runtime", "optbt.dsl.legplan") for n in ast.walk(tree)
                       if isinstance(n, ast.ImportFrom)) and not any(isinstance(n, ast.Import) for n in ast.walk(tree))
            namespace: dict = {"__name__": "optbt_fuzz_mutant"}
            exec(compile(source, "<mutant>", "exec"), namespace)
            cls = namespace[cls_name]
            cls.__strat_map__ = source_map(text, filename, "<mutant>", unit.line_map)
            stage = "run"
            try:
                run(cls)
                report.ran += 1
            except OptbtError:
                report.ran += 1
        except Hang as exc:
            report.add(f"{stage}: hang", exc, text)
        except Exception as exc:  # noqa: BLE001 - every other exception is a finding
            report.add(stage, exc, text)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _fmt_roundtrip(text: str, program, report: Report, without_spans) -> None:
    from optbt.dsl.format import format_program
    from optbt.dsl.parser import parse_text
    try:
        once = format_program(program)
        program2, diags = parse_text(once)
        if diags:
            report.add("fmt: output does not parse", None, text, fmt=True)
            return
        if without_spans(program2) != without_spans(program):
            report.add("fmt: meaning changed", None, text, fmt=True)
        if format_program(program2) != once:
            report.add("fmt: not idempotent", None, text, fmt=True)
    except Exception as exc:  # noqa: BLE001
        report.add("fmt", exc, text, fmt=True)


def fuzz(seed: int, count: int, run) -> Report:
    report = Report()
    start = time.perf_counter()
    for filename, text in mutants(seed, count):
        report.mutants += 1
        check_mutant(text, report, run, filename=filename)
    report.seconds = time.perf_counter() - start
    return report
