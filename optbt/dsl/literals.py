"""The small lexical pieces of the parser: strings and their escapes, numbers and their range,
comments, and the size of a line's parse tree. Each refuses what it cannot represent exactly,
with a diagnostic (never a Python error message).
"""

from __future__ import annotations

from lark import Token, Tree

from optbt.dsl import limits as L
from optbt.dsl.diagnostics import Diagnostic
from optbt.dsl.lines import display


class LineError(Exception):
    """A problem found while turning one line into AST nodes: carries its diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def decode_string(body: str, line: int = 1, column: int = 1) -> str:
    r"""The text of a "description" (without its quotes): escapes decoded by our own rules.

    ``\\ \" \' \n \t \r \xHH \uHHHH \UHHHHHHHH``; anything else after a backslash is
    an error E0105 at its column (``column`` is that of the first character of ``body``).

    >>> decode_string(r'caf\u00e9 \"x\" \\ ok')
    'café "x" \\ ok'
    """
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1: i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        width = _HEX_ESCAPES.get(nxt)
        digits = body[i + 2: i + 2 + width] if width else ""
        if width and len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
            code = int(digits, 16)
            if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                out.append(chr(code))
                i += 2 + width
                continue
        start = column + i
        end = start + 2 + (len(digits) if width else 0)
        raise LineError(Diagnostic("E0105", f"unknown escape '{display(body[i:i + end - start])}' in a string",
                                   line, start, end, "not an escape",
                                   r'escapes are \\ \" \n \t \r \xHH \uHHHH; write \\ for a backslash'))
    return "".join(out)


def number_text(tok: Token, line: int) -> str:
    text = str(tok)
    if len(text.replace(".", "")) > L.MAX_DIGITS:
        raise LineError(Diagnostic("E0505", f"a number of {len(text)} characters is out of range", line,
                                   tok.column, tok.end_column, "too long",
                                   f"numbers are at most {L.MAX_NUMBER:,.0f}"))
    return text


def to_float(tok: Token, line: int, text: str | None = None) -> float:
    """A number token's value, refused (E0505) when it is too long or too large to be exact."""
    text = number_text(tok, line) if text is None else text
    value = float(text)
    if not abs(value) <= L.MAX_NUMBER:
        raise LineError(Diagnostic("E0505", f"{display(str(tok))} is out of range", line, tok.column,
                                   tok.end_column, "too large", f"numbers are at most {L.MAX_NUMBER:,.0f}"))
    return value


def to_int(tok: Token, line: int) -> int:
    return int(number_text(tok, line))


def split_comment(text: str) -> tuple[str, str | None]:
    r"""A line's code and its ``#`` comment (a ``#`` inside a "string" is not one).

    >>> split_comment('strategy s "a # b"  # note')
    ('strategy s "a # b"  ', '# note')
    >>> split_comment('strategy s "ends in \\\\"  # kept')
    ('strategy s "ends in \\\\"  ', '# kept')
    """
    if '"' not in text:
        i = text.find("#")
        return (text, None) if i < 0 else (text[:i], text[i:])
    quoted = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if quoted and ch == "\\":
            i += 2  # the escaped character never closes the string
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return text[:i], text[i:]
        i += 1
    return text, None


EXPR_NODES = {"neg", "not_", "binop", "compare", "member", "or_expr", "and_expr", "call", "lookback", "crosses"}


def tree_limits(tree: Tree, line: int) -> Diagnostic | None:
    """E0501/E0502 for a line whose expression nests or grows past the limits, found without recursion.

    Nesting counts brackets, unary minus and ``not`` (a left-to-right chain ``a + b + c`` is
    flat); the chain limit counts every level, because later stages walk the tree level by level.
    """
    nodes = 0
    stack = [(tree, 0, 0)]
    while stack:
        node, depth, nesting = stack.pop()
        nodes += 1
        meta = node.meta
        if nodes > L.MAX_NODES:
            return Diagnostic("E0502", f"this line has more than {L.MAX_NODES} parts", line, 1, 2, "too large",
                              "split the condition into simpler rules, or use a parameter")
        if nesting > L.MAX_DEPTH:
            col = getattr(meta, "column", 1)
            return Diagnostic("E0501", f"expression nested more than {L.MAX_DEPTH} deep", line, col, col + 1,
                              "too deep", "remove brackets, minus signs or 'not's that cancel out")
        if depth > L.MAX_CHAIN:
            col = getattr(meta, "column", 1)
            return Diagnostic("E0502", f"expression has more than {L.MAX_CHAIN} levels", line, col, col + 1,
                              "too long", "a chain a + b + c + ... counts one level a term; split it up")
        for i, child in enumerate(node.children):
            if isinstance(child, Tree):
                level = child.data in EXPR_NODES
                chained = i == 0 and node.data == "binop" and child.data == "binop"
                stack.append((child, depth + level, nesting + (1 if level and not chained else 0)))
    return None
