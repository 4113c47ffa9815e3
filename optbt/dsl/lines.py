"""One definition of a line, and of the characters a .strat file may hold.

Only ``\\n``, ``\\r\\n`` and ``\\r`` end a line: the parser, the linter's suppression
comments and the diagnostics' source excerpts all split with :func:`split_lines`, so a
Unicode line separator or a form feed can never turn a comment into a live statement.
Such characters (and every other control, bidi-override or undecodable character) are an
error E0104 wherever they appear, reported with line:col and shown escaped.

>>> split_lines("a\\r\\nb\\u2028c\\rd")
['a', 'b\\u2028c', 'd']
>>> display("x\\x00\\u2028\\udcff")
'x\\\\x00\\\\u2028\\\\xff'
"""

from __future__ import annotations

import re
import unicodedata

BOM = "\ufeff"
_BREAK = re.compile(r"\r\n|\r|\n")
# bidi controls: text that reads differently from how it parses ("trojan source")
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# anything outside printable text, except a tab (fast path: plain ASCII lines skip the scan)
_SUSPECT = re.compile(r"[^\t\x20-\x7e]")
# the characters bad_character() refuses, as one class: found at C speed
_BAD = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
                  "\ufeff\ud800-\udfff\ue000-\uf8ff\U000f0000-\U0010ffff]")


def split_lines(text: str) -> list[str]:
    """The file's lines (a leading BOM dropped; a trailing line break ends the last line)."""
    if text.startswith(BOM):
        text = text[1:]
    lines = _BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def bad_character(ch: str) -> str | None:
    """Why ``ch`` may not appear in a .strat file, or None when it may."""
    if not _BAD.match(ch):
        return None
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"byte 0x{code - 0xDC00:02x} is not UTF-8 text"
    if 0xD800 <= code <= 0xDFFF:
        return f"{display(ch)} is not a character"
    if ch in _BIDI:
        return f"the bidirectional control {display(ch)} (text would read differently from how it runs)"
    if ch == BOM:
        return "a byte-order mark inside the file"
    if unicodedata.category(ch) == "Co":
        return f"the private-use character {display(ch)}"
    names = {"\x00": "a NUL byte", "\x0c": "a form feed", "\x0b": "a vertical tab", "\x85": "a next-line character",
             "\u2028": "a line separator", "\u2029": "a paragraph separator"}
    return names.get(ch) or f"the control character {display(ch)}"


def bad_characters(line: str) -> list[tuple[int, str, str]]:
    """(1-based column, character, why) for every character of the line that is not allowed."""
    return [(m.start() + 1, m.group(), bad_character(m.group())) for m in _BAD.finditer(line)]


def has_bad_character(line: str) -> bool:
    return _BAD.search(line) is not None


def display_char(ch: str) -> str:
    """How a character is shown in a message: printable ones as they are, others escaped."""
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if ch == "\t" or (ch.isprintable() and ch not in _BIDI):
        return ch
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def display(text: str) -> str:
    """``text`` safe to print on a terminal: every non-printable character escaped."""
    if not _SUSPECT.search(text):
        return text
    return "".join(display_char(ch) for ch in text)


def display_column(line: str, column: int) -> int:
    """The column a 1-based ``column`` of ``line`` has once the line is shown by :func:`display`."""
    return len(display(line[: max(0, column - 1)])) + 1
