"""A fixed-seed corpus of valid-looking variations of the library files, for ``fmt``.

Each mutant applies a few edits a person could make to a library file without meaning to
change the strategy's structure: other numbers (tiny, huge, padded), a description with
non-ASCII text and escapes, comments everywhere (non-ASCII, quotes, ``#``, a trailing
backslash, lint suppressions), odd spacing, extra blank lines, CRLF line ends, ``₹`` for
``rs``, ``9:20`` for ``09:20``, a rule repeated. Some mutants are not valid programs (a decimal
where a whole number belongs); the tests skip those and check that most are valid.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "strategies_dsl").glob("*.strat"))

NUMBERS = ["0.0000001", "0.1", "2.5", "007", "1.000", "99999.99", "3", "123456789012345678901234567890",
           "0." + "0" * 300 + "1", "1" + "0" * 300, "0." + "0" * 323 + "5",
           str(int(1.7976931348623157e308)), "42.42424242424242424242"]
DESCRIPTIONS = [r'"café ₹ ü 日本 ∑"', r'"line\nbreak and \t tab"', r'"ends in a backslash \\"',
                r'"a \"quote\" inside"', r'"\u20b9 \x41 \U0001F600 \' \r kept"', '""', r'"# not a comment"',
                r'"\\\\ two"', '"tab\tinside"']
COMMENTS = ["# café ₹ 日本", '# say "hi" # twice', "# ends in \\", "#", "# lint: allow W001",
            "# lint: allow-file W002", "#no space", "# тест ∑ ✓"]
_NUMBER = re.compile(r"(?<![\w:.])\d+(?:\.\d+)?(?![\w:.])")


def _numbers(lines: list[str], rng: random.Random) -> None:
    # not in sweeps: a tiny step would ask the compiler for ~10^300 values (a limit of its own)
    spots = [(i, m) for i, line in enumerate(lines) if not line.lstrip().startswith("strategy")
             for m in _NUMBER.finditer(line.split("#")[0].split("sweep")[0])]
    if spots:
        i, m = rng.choice(spots)
        lines[i] = lines[i][:m.start()] + rng.choice(NUMBERS) + lines[i][m.end():]


def _description(lines: list[str], rng: random.Random) -> None:
    for i, line in enumerate(lines):
        if line.startswith("strategy "):
            name = line.split()[1]
            lines[i] = f"strategy {name} {rng.choice(DESCRIPTIONS)}"
            if rng.random() < 0.5:
                lines[i] += "  " + rng.choice(COMMENTS)
            return


def _trailing_comment(lines: list[str], rng: random.Random) -> None:
    code = [i for i, line in enumerate(lines) if line.strip() and "#" not in line]
    if code:
        i = rng.choice(code)
        lines[i] += rng.choice(["  ", " ", "\t"]) + rng.choice(COMMENTS)


def _own_line_comment(lines: list[str], rng: random.Random) -> None:
    lines.insert(rng.randrange(len(lines) + 1), rng.choice(["", "    ", "\t"]) + rng.choice(COMMENTS))


def _spacing(lines: list[str], rng: random.Random) -> None:
    i = rng.randrange(len(lines))
    line = lines[i]
    if line.lstrip().startswith(("strategy", "#")) or not line.strip():
        return
    code, sep, comment = line.partition("#")
    if rng.random() < 0.5:
        code = re.sub(r" +", lambda m: rng.choice([" ", "  ", "\t", " \t "]), code)
    else:
        code = re.sub(r"\s*([(),])\s*", r"\1", code)
    lines[i] = rng.choice(["", " ", "\t  "]) + code + sep + comment + rng.choice(["", " ", "\t"])


def _blank_lines(lines: list[str], rng: random.Random) -> None:
    lines.insert(rng.randrange(len(lines) + 1), rng.choice(["", "   ", "\t"]))


def _money(lines: list[str], rng: random.Random) -> None:
    for i, line in enumerate(lines):
        if "rs " in line and not line.startswith("strategy"):
            lines[i] = line.replace("rs ", rng.choice(["₹", "₹ ", "rs   "]), 1)
            return


def _times(lines: list[str], rng: random.Random) -> None:
    for i, line in enumerate(lines):
        if re.search(r"\b0\d:\d\d", line):
            lines[i] = re.sub(r"\b0(\d:\d\d)", r"\1", line, count=1)
            return


def _repeat_rule(lines: list[str], rng: random.Random) -> None:
    """A second stop/target/trail for the same legs (the later one replaces the earlier)."""
    rules = [i for i, line in enumerate(lines) if line.lstrip().startswith(("stop_loss", "target", "trailing"))]
    if rules:
        i = rng.choice(rules)
        lines.insert(i + rng.randint(0, 1) * 2, lines[i].split("#")[0].rstrip())


EDITS = (_repeat_rule, _numbers, _numbers, _description, _trailing_comment, _own_line_comment, _spacing, _spacing,
         _blank_lines, _money, _times)


def mutants(count_per_file: int, seed: int = 10) -> list[tuple[str, str]]:
    """(name, text) pairs: every library file as it is, then ``count_per_file`` mutants of each."""
    rng = random.Random(seed)
    out = []
    for path in LIBRARY:
        text = path.read_text(encoding="utf-8")
        out.append((path.stem, text))
        for k in range(count_per_file):
            lines = text.splitlines()
            for _ in range(rng.randint(1, 5)):
                rng.choice(EDITS)(lines, rng)
            sep = rng.choice(["\n", "\n", "\r\n"])
            out.append((f"{path.stem}-{k}", sep.join(lines) + rng.choice([sep, sep, ""])))
    return out
