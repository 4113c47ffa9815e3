"""``optbt fmt``: print a program back as canonical .strat text, its meaning unchanged.

Printing is by node kind (a kind with no printer is an error). Parentheses are added only
where precedence needs them, so format -> parse gives the same AST (spans aside), and
formatting formatted text changes nothing. What the AST does not hold is taken from the
source: a description is written back exactly as it was typed (its escapes, its non-ASCII
text), comments stay on their lines, and a blank line the author left stays (several in a
row become one). Numbers are written in the positional form the grammar reads (never
``1e-07``), with the fewest digits that give back the same float.

:func:`format_source` is what the command uses: it formats only a valid file and proves the
result before returning it (same AST, same comments, same compiled Python, same lint
findings, and formatting it again changes nothing).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from optbt.dsl import ast as A
from optbt.dsl.diagnostics import Diagnostic, StratError
from optbt.dsl.parser import parse_text, split_comment

_PREC = {"boolop_or": 1, "boolop_and": 2, "not": 3, "compare": 4, "member": 4, "crosses": 4, "binop_+": 5, "binop_-": 5,
         "binop_*": 6, "binop_/": 6, "neg": 7}


class FormatError(Exception):
    """The formatter could not prove its output means the same as its input (a bug in optbt)."""


def _prec(e) -> int:
    if e.kind == "boolop":
        return _PREC["boolop_" + e.op]
    if e.kind == "binop":
        return _PREC["binop_" + e.op]
    return _PREC.get(e.kind, 8)


def number(v: float) -> str:
    """A number as a user writes it: positional (the grammar has no exponent), the shortest
    digits that read back as the same float, the sign of -0 kept.

    >>> number(21000.0), number(1.5), number(1e-07), number(1e22), number(-0.0), number(0.1)
    ('21000', '1.5', '0.0000001', '10000000000000000000000', '-0', '0.1')
    >>> float(number(5e-324)) == 5e-324 and float(number(1.7976931348623157e308)) == 1.7976931348623157e308
    True
    """
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"{v} cannot be written as a .strat number")
    text = format(Decimal(repr(v)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def quote(text: str) -> str:
    r"""A description as a "string" that reads back as ``text``: quotes, backslashes and
    characters that do not print are escaped; everything else (``café ₹``) is written as is.

    >>> print(quote('café ₹ "x" a\\b\nc\u2028'))
    "café ₹ \"x\" a\\b\nc\u2028"
    """
    out = []
    for ch in text:
        if ch in _QUOTE:
            out.append(_QUOTE[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


_QUOTE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def expr(e) -> str:
    printer = _EXPR.get(e.kind)
    if printer is None:
        raise NotImplementedError(f"no printer for expression kind {e.kind!r}")
    return printer(e)


def _wrap(child, limit: int, strict: bool = False) -> str:
    text = expr(child)
    p = _prec(child)
    return f"({text})" if (p < limit or (strict and p == limit)) else text


_EXPR = {
    "num": lambda e: number(e.value),
    "pct": lambda e: f"{number(e.value)}%",
    "time": lambda e: e.value,
    "money": lambda e: f"rs {number(e.value)}",
    "money_param": lambda e: f"rs {e.param}",
    "bool": lambda e: "true" if e.value else "false",
    "word": lambda e: e.value,
    "name": lambda e: e.name,
    "attr": lambda e: f"{e.obj}.{e.attr}",
    "neg": lambda e: "-" + _wrap(e.operand, 7),
    "binop": lambda e: f"{_wrap(e.left, _prec(e))} {e.op} {_wrap(e.right, _prec(e), strict=True)}",
    "compare": lambda e: f"{_wrap(e.left, 5)} {e.op} {_wrap(e.right, 5)}",
    "member": lambda e: f"{_wrap(e.operand, 5)} in ({', '.join(w.value for w in e.items)})",
    "not": lambda e: "not " + _wrap(e.operand, 3),
    "boolop": lambda e: f" {e.op} ".join(_wrap(o, _prec(e), strict=True) for o in e.operands),
    "interval": lambda e: e.text,
    "call": lambda e: f"{e.func}({', '.join(expr(a) for a in e.args)})" + (f".{e.field}" if e.field else ""),
    "lookback": lambda e: f"{_wrap(e.operand, 8)}[{e.n}]",
    "crosses": lambda e: f"{_wrap(e.left, 5)} crosses {e.direction} {_wrap(e.right, 5)}",
}


def literal(lit) -> str:
    return expr(lit)


def strike(s: A.Strike) -> str:
    if isinstance(s, A.StrikeRule):
        return strike_rule(s)
    if s.how == "atm":
        return "ATM" if s.offset == 0 else f"ATM {'+' if s.offset > 0 else '-'} {abs(s.offset)}"
    if s.how == "abs":
        return number(s.value)
    if s.how == "otm":
        return f"OTM {number(s.value)}%"
    if s.how == "delta":
        return f"delta {number(s.value)}" if s.mode == "~" else f"delta {s.mode} {number(s.value)}"
    return f"premium {s.mode} {number(s.value)}"


def strike_rule(s: A.StrikeRule) -> str:
    sign = "-" if s.sign < 0 else "+"
    amount = "" if s.amount is None else expr(s.amount)
    if s.how == "atm":
        return f"ATM {sign} {amount}"
    if s.how in ("itm", "otm"):
        return f"{s.how.upper()} {amount}"
    if s.how == "premium":
        return f"premium {s.mode} {amount}"
    if s.how == "delta":
        return f"delta {amount}" if s.mode == "~" else f"delta {s.mode} {amount}"
    if s.how == "straddle":
        times = f"{amount}x" if isinstance(s.amount, A.Num) else f"{amount} x"
        return f"ATM {sign} {times} straddle"
    return f"{s.leg}.strike" + (f" {sign} {amount}" if s.amount is not None else "")


def credit_amount(c: A.CreditAmount) -> str:
    if c.unit == "param":
        return f"{c.param} credit"
    return f"{number(c.value)}{'%' if c.unit == 'pct' else 'x'} credit"


def _overall(s: A.OverallRule) -> str:
    a = s.amount
    return f"{s.rule} {credit_amount(a) if isinstance(a, A.CreditAmount) else amount(a)}"


def _lock(s: A.Lock) -> str:
    text = f"lock at {amount(s.at)} keep {amount(s.keep)}"
    if s.every is not None:
        text += f" trail every {amount(s.every)} by {amount(s.by)}"
    return text


def expiry_rule(r: A.ExpiryRule) -> str:
    if isinstance(r, A.ExpiryParam):
        return f"dte {r.op} {r.param}"
    return r.word if r.word else f"dte {r.op} {r.days}"


def amount(a: A.Amount) -> str:
    if a.param is not None and a.unit in ("pts", "money"):
        return f"{a.param} pts" if a.unit == "pts" else f"rs {a.param}"
    return {"pct": lambda: f"{number(a.value)}%", "pts": lambda: f"{number(a.value)} pts",
            "money": lambda: f"rs {number(a.value)}", "param": lambda: a.param}[a.unit]()


def _header(s: A.Header, lines: list[str] = ()) -> str:
    if s.description is None:
        return f"strategy {s.name}"
    return f"strategy {s.name} {_raw_description(s, list(lines)) or quote(s.description)}"


def _param(p: A.Param) -> str:
    t = f"choice({', '.join(p.choices or [])})" if p.type == "choice" else p.type
    text = f"{p.name}: {t} = {literal(p.default)}"
    if isinstance(p.sweep, A.SweepRange):
        text += f" sweep {literal(p.sweep.start)} .. {literal(p.sweep.stop)} step {literal(p.sweep.step)}"
    elif isinstance(p.sweep, A.SweepList):
        text += f" sweep [{', '.join(literal(v) for v in p.sweep.values)}]"
    return text


def _leg(leg: A.LegDecl) -> str:
    args = [strike(leg.strike), leg.opt_type, leg.side]
    if leg.qty is not None:
        args.append(expr(leg.qty))
    if leg.expiry is not None:
        args.append(f"expiry = {expiry_rule(leg.expiry)}")
    return (f"{leg.name} = " if leg.name else "") + f"add({', '.join(args)})"


def _entry(e: A.Entry) -> str:
    text = "entry"
    if e.at is not None:
        text += f" at {expr(e.at)}"
    if e.start is not None:
        text += f" between {expr(e.start)} and {expr(e.end)}"
    if e.when is not None:
        text += f" when {expr(e.when)}"
    return text


def _on(o: A.On) -> str:
    act = o.action
    what = {"move_to_cost": lambda: f"move {act.target}.stop to cost", "exit": lambda: "exit",
            "close": lambda: f"close {act.target}", "open": lambda: f"open {act.target}"}[act.what]()
    return f"on {o.event}{f'({o.leg})' if o.leg else ''}: {what}"


_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _costs(c: A.CostSetting) -> str:
    if c.setting == "preset":
        return f"costs preset {c.preset if _BARE.match(c.preset) else quote(c.preset)}"
    if c.setting == "slippage":
        return f"costs slippage {number(c.value)}{' pts' if c.unit == 'pts' else '%'}"
    return f"costs commission rs {number(c.value)} per {c.unit}"


def _who(leg: str | None) -> str:
    return "each leg" if leg is None else leg


def _leg_trail(t: A.LegTrail) -> str:
    text = f"{t.rule} {_who(t.leg)} "
    text += amount(t.distance) if t.every is None else f"every {amount(t.every)} by {amount(t.by)}"
    return text + (f" after {amount(t.after)}" if t.after is not None else "")


_STMT = {
    "reentry": lambda s: f"reentry {_who(s.leg)} on {s.event} {s.how}{' reverse' if s.reverse else ''} "
                         f"max {s.max if s.max_param is None else s.max_param}",
    "wait": lambda s: f"wait {_who(s.leg)} {s.direction} {amount(s.amount)}",
    "leg_entry": lambda s: f"entry {s.leg} at {expr(s.at)}",
    "leg_trail": _leg_trail,
    "header": _header,
    "section": lambda s: s.name,
    "param": _param,
    "leg": _leg,
    "underlying": lambda s: f"underlying {s.name}",
    "expiry": lambda s: f"expiry {expiry_rule(s.rule)}",
    "max_cycles": lambda s: f"max_cycles {s.n}",
    "entry": _entry,
    "leg_rule": lambda s: f"{s.rule} {'each leg' if s.leg is None else s.leg} {amount(s.amount)}",
    "on": _on,
    "square_off": lambda s: f"square_off {s.mode}",
    "shift": lambda s: f"shift {s.leg} to {strike(s.strike)} when {expr(s.when)}",
    "exit_at": lambda s: f"exit at {expr(s.at)}" + (f" or when {expr(s.when)}" if s.when is not None else ""),
    "exit_when": lambda s: f"exit when {expr(s.when)}",
    "mtm_rule": lambda s: f"{s.rule} {amount(s.amount)}",
    "trail_mtm": lambda s: f"trail_mtm after {literal(s.after)} by {literal(s.by)}",
    "range": lambda s: f"range {s.name} {s.start} .. {s.end}",
    "series": lambda s: f"series {', '.join(s.names)}",
    "costs": _costs,
    "overall_rule": _overall,
    "lock": _lock,
    "credit_rule": lambda s: f"{s.rule} {credit_amount(s.amount)}",
    "atm_from": lambda s: f"atm_from {s.source}",
}


def statement(s) -> str:
    printer = _STMT.get(s.kind)
    if printer is None:
        raise NotImplementedError(f"no printer for statement kind {s.kind!r}")
    return printer(s)


_LINE_END = re.compile(r"\r\n|\r|\n")
_ALLOW_HERE = re.compile(r"#\s*lint:\s*allow\s")   # suppresses findings on its line and the next


def _raw_description(s: A.Header, lines: list[str]) -> str | None:
    """The header's "string" exactly as typed, when the source at the header's line gives it
    (and it reads back as the same description); else None and the description is quoted anew."""
    if s.span is None or s.description is None or not 0 < s.span.line <= len(lines):
        return None
    code, _ = split_comment(lines[s.span.line - 1])
    if code.count('"') < 2:
        return None
    raw = code[code.index('"'): code.rindex('"') + 1]
    program, diags = parse_text(f"strategy h {raw}")  # read back by the parser's own rules
    same = not diags and program.statements and getattr(program.statements[0], "description", None) == s.description
    return raw if same else None


def _blank_before(prev, s) -> bool:
    """The layout's own blank lines: after the header, around a section and a run of declarations."""
    if prev is None:
        return False
    decl = s.kind in ("param", "leg")
    return s.kind == "section" or prev.kind == "header" or (prev.kind in ("param", "leg") and not decl)


def format_program(prog: A.Program, source: str | None = None) -> str:
    """Canonical text: sections indent their declarations; comments stay with their lines.

    A comment on a line of its own belongs to the statement below it. ``source`` (the text
    ``prog`` was parsed from) supplies what the AST does not keep: the description as typed
    and the author's blank lines (the line numbers of statements and comments tell where they
    were). A blank line is never put after a line that carries a ``# lint: allow`` comment, so
    the suppression keeps covering the line it covered.
    """
    lines = _LINE_END.split(source) if source is not None else []
    trail = {c.line: c.text for c in prog.comments if c.trailing}
    own = sorted((c for c in prog.comments if not c.trailing), key=lambda c: c.line)
    out: list[str] = []

    def blank(layout: bool = False) -> None:
        """A blank line the author left, or (``layout``) one the canonical layout adds."""
        if out and out[-1] != "" and not (layout and _ALLOW_HERE.search(out[-1])):
            out.append("")

    prev = None
    prev_line: int | None = None     # source line of the last thing written
    in_section = False
    k = 0                            # next comment of its own line to place
    for s in prog.statements:
        line = s.span.line if s.span else (prev_line or 0) + 1
        decl = s.kind in ("param", "leg")
        if s.kind == "section":
            in_section = True
        elif not decl:
            in_section = False
        indent = "    " if decl and in_section else ""
        if _blank_before(prev, s):
            blank(layout=True)
        while k < len(own) and own[k].line < line:
            if prev_line is not None and own[k].line > prev_line + 1:
                blank()
            out.append(indent + own[k].text)
            prev_line = own[k].line
            k += 1
        if prev_line is not None and line > prev_line + 1:
            blank()
        text = indent + (_header(s, lines) if s.kind == "header" else statement(s))
        out.append(text + ("  " + trail[line] if line in trail else ""))
        prev, prev_line = s, line
    for c in own[k:]:
        if prev_line is not None and c.line > prev_line + 1:
            blank()
        out.append(c.text)
        prev_line = c.line
    return "\n".join(out).strip("\n") + "\n"


def _non_finite(value):
    """Nodes holding a number too large for a float (a 400-digit literal reads as inf)."""
    if isinstance(value, A.Node | A.Program):
        for name in type(value).model_fields:
            field = getattr(value, name)
            if isinstance(field, float) and not math.isfinite(field):
                yield value
            else:
                yield from _non_finite(field)
    elif isinstance(value, list):
        for item in value:
            yield from _non_finite(item)


def format_source(text: str, filename: str = "<strat>") -> str:
    """The canonical form of a valid .strat text, proven to mean the same.

    Raises :class:`StratError` (every diagnostic) when the text does not compile: a file
    that is not valid is never rewritten. A leading UTF-8 byte-order mark is dropped.
    """
    from optbt.dsl.compiler import compile_text

    text = text.removeprefix("\ufeff")
    python, _, unit = compile_text(text, filename)
    huge = list(_non_finite(unit.program))
    if huge:
        diags = [Diagnostic("E0405", "this number is too large to be represented", n.span.line, n.span.column,
                            n.span.end_column, "too large", "write a number below 1e308")
                 for n in huge if n.span is not None] or [Diagnostic("E0405", "a number is too large", 1, 1, 2)]
        raise StratError(diags, text, filename)
    pretty = format_program(unit.program, text)
    _prove(text, unit, python, pretty, filename)
    return pretty


def _prove(text: str, unit, python: str, pretty: str, filename: str) -> None:
    """Formatted text must give the same AST and comments, the same Python, the same lint
    findings, and be its own canonical form; otherwise FormatError (nothing is written)."""
    from optbt.dsl.compiler import compile_text
    from optbt.dsl.lint import lint_unit

    def fail(what: str) -> FormatError:
        return FormatError(f"fmt would change {what} of {filename}; the file was left as it is "
                           "(a bug in optbt fmt: please report it with the file)")

    program, diags = parse_text(pretty)
    if diags:
        raise fail("the syntax")
    if A.without_spans(program) != A.without_spans(unit.program):
        raise fail("the statements or comments")
    try:
        python2, _, unit2 = compile_text(pretty, filename)
    except StratError:
        raise fail("the validity") from None
    if python2 != python:
        raise fail("the compiled Python")
    findings = [(d.code, d.message) for d in lint_unit(unit, text)]
    if [(d.code, d.message) for d in lint_unit(unit2, pretty)] != findings:
        raise fail("the lint findings")
    if format_program(program, pretty) != pretty:
        raise fail("its own layout on a second pass")
