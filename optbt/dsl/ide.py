"""What an editor asks about a .strat document, as pure functions over its text.

The language server (``optbt/cli/lsp.py``) is a thin shell around these: it converts LSP
positions and calls them, so everything an editor shows is testable without an editor and
without pygls. Positions here are 0-based lines and 0-based columns counted in characters
(code points); the server converts to the client's units. Diagnostics are exactly those of
``optbt lint`` and formatting is exactly ``optbt fmt`` (refused while the text does not parse).

>>> text = 'strategy s "x"\\nce = add(ATM, CE, SELL)\\nstop_loss ce 30\\nexit at 15:15\\n'
>>> [(d.code, d.range.line, d.range.start) for d in diagnostics(text)]
[('E0302', 2, 13)]
>>> definition(text, 2, 10)
Range(line=1, start=0, end_line=1, end=2)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from optbt.dsl import ast as A
from optbt.dsl import glossary
from optbt.dsl.checks import BUILTINS, LEG_ATTRS, Unit, check
from optbt.dsl.compiler import python_names
from optbt.dsl.diagnostics import CODES, Diagnostic
from optbt.dsl.format import format_program
from optbt.dsl.lint import lint_unit
from optbt.dsl.lines import split_lines
from optbt.dsl.parser import parse_text


@dataclass(frozen=True)
class Range:
    """A stretch of one line (or up to ``end_line``), 0-based, end exclusive."""

    line: int
    start: int
    end_line: int
    end: int


@dataclass(frozen=True)
class EditorDiagnostic:
    range: Range
    severity: str          # "error" | "warning"
    code: str
    message: str


@dataclass(frozen=True)
class HoverInfo:
    range: Range
    markdown: str


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str              # statement keyword value type builtin unit parameter leg attribute
    detail: str = ""
    documentation: str = ""


@dataclass(frozen=True)
class TextEdit:
    range: Range
    new_text: str


# -- the document ---------------------------------------------------------------------------------
def findings(text: str) -> list[Diagnostic]:
    """What ``optbt lint`` reports: syntax errors, else check errors, else lint warnings."""
    program, diags = parse_text(text)
    if diags:
        return diags
    unit = check(program)
    return unit.diagnostics or lint_unit(unit, text)


def _unit(text: str) -> Unit:
    """The checked program of the lines that parse (a half-typed line does not hide the rest)."""
    return check(parse_text(text)[0])


def diagnostics(text: str) -> list[EditorDiagnostic]:
    """The lint findings with 0-based ranges; the message carries the label and help."""
    out = []
    for d in findings(text):
        start = max(0, d.column - 1)
        message = d.message + (f" ({d.label})" if d.label else "") + (f"\nhelp: {d.help}" if d.help else "")
        out.append(EditorDiagnostic(Range(d.line - 1, start, d.line - 1, max(start + 1, d.end_column - 1)),
                                    d.severity, d.code, message))
    return out


def format_document(text: str) -> list[TextEdit]:
    """One edit replacing the whole text with ``optbt fmt``'s output; none when it does not parse
    or is already formatted."""
    program, diags = parse_text(text)
    if diags:
        return []
    pretty = format_program(program, text)  # the source keeps descriptions as typed and blank lines
    if pretty == text:
        return []
    lines = text.split("\n")
    return [TextEdit(Range(0, 0, len(lines) - 1, len(lines[-1])), pretty)]


# -- tokens of one line -----------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<comment>\#.*)
  | (?P<string>"(?:[^"\\]|\\.)*"?)
  | (?P<time>\d{1,2}:\d{2})
  | (?P<percent>\d+(?:\.\d+)?%)
  | (?P<interval>\d+[mh](?![A-Za-z0-9_]))
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\.\.|<=|>=|==|!=|[-+*/<>=~:,.()\[\]₹])
""", re.VERBOSE)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    start: int
    end: int


def _tokens(line: str) -> list[_Tok]:
    return [_Tok(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(line)]


def _line(text: str, line: int) -> str:
    lines = split_lines(text)  # the language's one definition of a line (LSP's too: \n, \r\n, \r)
    return lines[line] if 0 <= line < len(lines) else ""


def _at(tokens: list[_Tok], col: int, strict: bool = False) -> int | None:
    """Index of the token under the cursor; unless strict, a word the cursor ends wins over the
    punctuation after it (``leg1|.ltp``), as editors put the cursor after what was typed."""
    under = next((i for i, t in enumerate(tokens) if t.start <= col < t.end), None)
    if strict or (under is not None and tokens[under].kind != "op"):
        return under
    ending = next((i for i, t in enumerate(tokens) if t.end == col and t.kind != "op"), None)
    return ending if ending is not None else under


def _declared_at(unit: Unit, text: str, name: str) -> Range | None:
    """Where a parameter or leg is declared: its name, or the whole add(...) of an unnamed leg."""
    node = unit.params.get(name) or unit.legs.get(name)
    if node is None or node.span is None:
        return None
    line, col = node.span.line - 1, node.span.column - 1
    if getattr(node, "name", None) == name:
        return Range(line, col, line, col + len(name))
    return Range(line, col, line, node.span.end_column - 1)


# -- hover and definition ------------------------------------------------------------------------------
_CODE = re.compile(r"\b[EW]\d{3,4}\b")


def _code_doc(code: str) -> str:
    title, long = CODES[code]
    return f"**{code}** {title}\n\n{long}"


def _symbol_doc(unit: Unit, text: str, name: str) -> str | None:
    where = _declared_at(unit, text, name)
    header = unit.header
    if where is None and header is not None and header.name == name and header.span is not None:
        about = f": {header.description}" if header.description else ""
        return (f"**{name}**: the strategy{about}\n\nCompiled to the class `{python_names(unit)[0]}` "
                f"(`optbt compile FILE.strat` shows it).")
    if where is None:
        return None
    source = _line(text, where.line)
    node = unit.params.get(name) or unit.legs[name]
    declaration = source[node.span.column - 1:node.span.end_column - 1]
    if name in unit.params:
        p = unit.params[name]
        return (f"**{name}**: parameter ({p.type}), line {where.line + 1}\n\n```strat\n{declaration}\n```\n\n"
                f"Set it with `--param {name}=...`; swept by `optbt sweep`.")
    attrs = ", ".join(f"`{name}.{a}`" for a in LEG_ATTRS)
    return f"**{name}**: leg, line {where.line + 1}\n\n```strat\n{declaration}\n```\n\nRead it as {attrs}."


def hover(text: str, line: int, col: int) -> HoverInfo | None:
    """The doc of the word under the cursor (keyword, built-in, unit, leg, parameter, attribute, or a
    diagnostic code in a comment), followed by the long form of any diagnostic covering the cursor."""
    tokens = _tokens(_line(text, line))
    i = _at(tokens, col, strict=True)
    parts: list[str] = []
    rng = None
    if i is not None:
        tok = tokens[i]
        rng = Range(line, tok.start, line, tok.end)
        after_dot = i > 0 and tokens[i - 1].text == "."
        if tok.kind == "comment":
            for m in _CODE.finditer(tok.text):
                if tok.start + m.start() <= col < tok.start + m.end() and m.group() in CODES:
                    rng = Range(line, tok.start + m.start(), line, tok.start + m.end())
                    parts.append(_code_doc(m.group()))
        elif tok.kind == "name" and after_dot and tok.text in glossary.ATTRIBUTES:
            parts.append(glossary.ATTRIBUTES[tok.text])
        elif tok.kind == "name" and after_dot and tok.text in glossary.DOCS:  # move ce.stop
            parts.append(glossary.DOCS[tok.text])
        elif tok.kind == "name":
            doc = _symbol_doc(_unit(text), text, tok.text) or glossary.DOCS.get(tok.text)
            if doc:
                parts.append(doc)
        elif tok.kind == "percent":
            parts.append(glossary.DOCS["%"])
        elif tok.kind == "time":
            parts.append(f"`{tok.text}`: a time of day (HH:MM), compared with `time` and time parameters.")
        elif tok.text in glossary.DOCS:  # ₹
            parts.append(glossary.DOCS[tok.text])
    for d in diagnostics(text):
        if d.range.line == line and d.range.start <= col < d.range.end:
            parts.append(_code_doc(d.code))
            rng = rng or d.range
    if not parts or rng is None:
        return None
    return HoverInfo(rng, "\n\n---\n\n".join(dict.fromkeys(parts)))


def definition(text: str, line: int, col: int) -> Range | None:
    """Where the leg or parameter under the cursor is declared."""
    tokens = _tokens(_line(text, line))
    i = _at(tokens, col)
    if i is None or tokens[i].kind != "name" or (i > 0 and tokens[i - 1].text == "."):
        return None
    return _declared_at(_unit(text), text, tokens[i].text)


# -- completion ------------------------------------------------------------------------------------------
STATEMENTS = ("strategy", "params", "legs", "add", "underlying", "expiry", "max_cycles", "entry", "stop_loss",
              "target", "trailing", "on", "square_off", "shift", "exit", "mtm_stop", "mtm_target", "trail_mtm",
              "costs", "range", "series", "reentry", "wait")
_RULES = ("stop_loss", "target", "trailing")
_TYPES = ("int", "float", "percent", "time", "bool", "choice")
_EXPIRIES = ("nearest", "next", "monthly", "next_monthly", "dte")
_STRIKES = ("ATM", "OTM", "premium", "delta")
_CLOSED_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _words(*words: str) -> list[Completion]:
    return [Completion(w, glossary.KINDS.get(w, "keyword"), glossary.DOCS.get(w, "").split("\n")[0].replace("`", ""),
                       glossary.DOCS.get(w, "")) for w in words]


def _params(unit: Unit, text: str, *types: str) -> list[Completion]:
    return [Completion(n, "parameter", f"{p.type} parameter", _symbol_doc(unit, text, n) or "")
            for n, p in unit.params.items() if not types or p.type in types]


def _legs(unit: Unit, text: str) -> list[Completion]:
    return [Completion(n, "leg", "leg", _symbol_doc(unit, text, n) or "") for n in unit.legs]


def _attributes() -> list[Completion]:
    return [Completion(a, "attribute", f"leg attribute ({t})", glossary.ATTRIBUTES[a]) for a, t in LEG_ATTRS.items()]


def _values(unit: Unit, text: str) -> list[Completion]:
    """Anything that can start a value in a condition."""
    return (_params(unit, text) + _words(*BUILTINS) + _legs(unit, text)
            + _words("not", "true", "false", "rs") + _market_values(unit))


def _crosses(prev: list[str]) -> tuple[str, ...]:
    """``crosses`` may follow a value that no comparison precedes (since and/or/not/when/brackets)."""
    for word in reversed(prev):
        if word in ("when", "and", "or", "not", "("):
            return ("crosses",)
        if word in ("<", "<=", ">", ">=", "==", "!=", "crosses"):
            return ()
    return ()


def _market_values(unit: Unit) -> list[Completion]:
    """Functions, prev, and the file's own series and ranges (optbt.dsl.signals)."""
    from optbt.dsl.functions import FUNCTIONS
    from optbt.dsl.signals import series_names
    names = [Completion(n, "builtin", "series") for n in series_names(unit)]
    names += [Completion(r.name, "builtin", f"range {r.start} .. {r.end}") for r in unit.program.of(A.RangeDecl)]
    return _words(*FUNCTIONS, "prev") + names


def _market_fields(unit: Unit, prev: list[str]) -> list[Completion] | None:
    """What may follow a dot after a market value: ``spot.``, ``vix.prev.``, ``orb.``, ``f(...).``."""
    from optbt.dsl.functions import BAR_FIELDS, DAY_FIELDS, FUNCTIONS
    from optbt.dsl.signals import series_names
    obj = prev[-2]
    if obj == ")":
        depth, i = 0, len(prev) - 2
        while i >= 0:
            depth += {")": 1, "(": -1}.get(prev[i], 0)
            if depth == 0:
                break
            i -= 1
        f = FUNCTIONS.get(prev[i - 1]) if i >= 1 else None
        return [Completion(x, "attribute", f"{f.name} field") for x in f.fields] if f else None
    if obj == "prev":
        return [Completion(x, "attribute", "previous day") for x in DAY_FIELDS]
    if obj in [r.name for r in unit.program.of(A.RangeDecl)]:
        return [Completion(x, "attribute", "range") for x in ("high", "low")]
    if obj == "spot" or obj in series_names(unit):
        return [Completion(x, "attribute", "bar field") for x in (*BAR_FIELDS, "gap", "gap_pct", "prev")]
    return None


def completions(text: str, line: int, col: int) -> list[Completion]:
    """What may come at the cursor, judged from the words before it on its line. The editor filters
    by what is typed; a word being typed is not part of the context."""
    source = _line(text, line)[:col]
    tokens = _tokens(source)
    if tokens and (tokens[-1].kind == "comment" or (
            tokens[-1].kind == "string" and not _CLOSED_STRING.fullmatch(tokens[-1].text))):
        return []  # inside a comment or a description
    if tokens and tokens[-1].kind == "name" and tokens[-1].end == col:
        tokens = tokens[:-1]  # the word being typed
    return _complete(_unit(text), text, [t.text for t in tokens])


def _complete(unit: Unit, text: str, prev: list[str]) -> list[Completion]:
    """Shapes shared by several statements first, then the statement's own table entry, then a
    condition's words."""
    if not prev:
        return _words(*STATEMENTS)
    position = _position_complete(unit, text, prev)
    if position is not None:
        return position
    last, first = prev[-1], prev[0]
    if last == "." and len(prev) >= 2:
        market = _market_fields(unit, prev)
        if market is not None:
            return market
        return _words("stop") if len(prev) >= 3 and prev[-3] == "move" else _attributes()
    if first in ("range", "series"):
        return []  # a declaration: names and times only
    if last == "crosses":
        return _words("above", "below")
    if last == "expiry" or prev[-2:] == ["expiry", "="]:
        return _words(*_EXPIRIES)
    if "add" in prev and "(" in prev and ")" not in prev[prev.index("add"):]:
        return _add_argument(unit, text, prev)
    if first not in STATEMENTS and len(prev) >= 2 and prev[1] in (":", "="):
        return _declaration(prev)
    own = _BY_STATEMENT.get(first)
    found = own(unit, text, prev) if own else None
    if found is not None:
        return found
    if "in" in prev and "(" in prev[prev.index("in"):] and ")" not in prev[prev.index("in"):] and last in ("(", ","):
        return _members(unit, prev)
    if last in ("==", "!=") and len(prev) >= 2 and _choice_options(unit, prev[-2]):
        return _choice_options(unit, prev[-2])
    if _is_value(last):
        return _words("and", "or", "in", *_crosses(prev)) if "when" in prev else []
    return _values(unit, text)


def _declaration(prev: list[str]) -> list[Completion]:
    """``name: type = default sweep ...`` or ``name = add(...)``."""
    last = prev[-1]
    if len(prev) == 2:
        return _words(*_TYPES) if last == ":" else _words("add")
    if prev[1] == ":" and "=" in prev and "sweep" not in prev and last not in ("=", "-", "+"):
        return _words("sweep")
    return _words("step") if "sweep" in prev and len(prev) >= 2 and prev[-2] == ".." else []


def _add_argument(unit: Unit, text: str, prev: list[str]) -> list[Completion]:
    """``add(strike, CE|PE, BUY|SELL, lots, expiry = rule)``, by the argument's place."""
    if prev[-1] not in ("(", ","):
        return []
    nth = prev[prev.index("add"):].count(",")
    by_place = [_words(*_STRIKES), _words("CE", "PE"), _words("BUY", "SELL"),
                _params(unit, text, "int") + _words("expiry")]
    return by_place[nth] if nth < len(by_place) else _words("expiry")


def _on(unit: Unit, text: str, prev: list[str]) -> list[Completion]:
    last = prev[-1]
    if last in ("(", "move", "close", "open"):
        return _legs(unit, text) + (_words("others") if last == "move" else [])
    follows = {"on": _RULES, ":": ("move", "exit", "close", "open"), "stop": ("to",), "to": ("cost",)}
    return _words(*follows.get(last, ()))


def _which_legs(unit: Unit, text: str, prev: list[str]) -> list[Completion] | None:
    """The words right after a per-leg statement's keyword: ``each leg`` or a leg's name (None past them)."""
    if len(prev) == 1:
        return _words("each") + _legs(unit, text)
    return _words("leg") if prev[-1] == "each" else None


def _leg_rule(unit: Unit, text: str, prev: list[str]) -> list[Completion]:
    last = prev[-1]
    which = _which_legs(unit, text, prev)
    if which is not None:
        return which
    if len(prev) in (2, 3) and (last in unit.legs or last == "leg"):
        return _params(unit, text, "percent") + _words("rs", "₹") + (_words("every") if prev[0] == "trailing" else [])
    if last in ("every", "by", "after"):
        return _params(unit, text, "percent") + _words("rs", "₹")
    if re.fullmatch(r"\d+(\.\d+)?", last):
        return _words("pts")
    if prev[0] == "trailing" and (last.endswith("%") or last == "pts" or last in unit.params):
        return _words("by") if prev[-2:-1] == ["every"] or prev[-3:-2] == ["every"] else _words("after")
    return []


def _reentry(unit: Unit, text: str, prev: list[str]) -> list[Completion]:
    """``reentry each leg on stop_loss cost [reverse] max 2``."""
    last = prev[-1]
    which = _which_legs(unit, text, prev)
    if which is not None:
        return which
    if last in unit.legs or last == "leg":
        return _words("on")
    follows = {"on": _RULES, "asap": ("reverse", "max"), "cost": ("reverse", "max"), "momentum": ("reverse", "max"),
               "reverse": ("max",)}
    if last in _RULES:
        return _words("asap", "cost", "momentum")
    if last == "max":
        return _params(unit, text, "int")
    return _words(*follows.get(last, ()))


def _wait(unit: Unit, text: str, prev: list[str]) -> list[Completion]:
    """``wait each leg down 10%``."""
    last = prev[-1]
    which = _which_legs(unit, text, prev)
    if which is not None:
        return which
    if last in unit.legs or last == "leg":
        return _words("up", "down")
    if last in ("up", "down"):
        return _params(unit, text, "percent")
    return _words("pts") if re.fullmatch(r"\d+(\.\d+)?", last) else []


def _mtm_rule(unit: Unit, text: str, prev: list[str]) -> list[Completion]:
    return _params(unit, text, "percent") + _words("rs", "₹") if len(prev) == 1 else []


def _trail_mtm(unit: Unit, text: str, prev: list[str]) -> list[Completion]:
    if len(prev) == 1:
        return _words("after")
    return _words("by") if _is_value(prev[-1]) and "by" not in prev else _words("rs", "₹")


def _shift(unit: Unit, text: str, prev: list[str]) -> list[Completion] | None:
    if len(prev) == 1:
        return _legs(unit, text)
    if len(prev) == 2:
        return _words("to")
    if prev[-1] == "to":
        return _words(*_STRIKES)
    return _words("when") if "when" not in prev and _is_value(prev[-1]) else None


def _entry(unit: Unit, text: str, prev: list[str]) -> list[Completion] | None:
    if "when" in prev:
        return None
    if len(prev) == 1:
        return _words("at", "between", "when") + _legs(unit, text)  # entry pe at 09:45: a staggered leg
    if prev[-1] in ("at", "between", "and"):
        return _params(unit, text, "time")
    if prev[1] in unit.legs:
        return _words("at") if len(prev) == 2 else []
    return _words("and") if prev[1] == "between" and "and" not in prev else _words("when")


def _exit(unit: Unit, text: str, prev: list[str]) -> list[Completion] | None:
    if len(prev) == 1:
        return _words("at", "when")
    if prev[-1] == "at":
        return _params(unit, text, "time")
    if len(prev) == 3 and prev[1] == "at":
        return _words("or")
    return _words("when") if prev[-1] == "or" and "when" not in prev else None


def _costs(unit: Unit, text: str, prev: list[str]) -> list[Completion]:
    if len(prev) == 1:
        return _words("preset", "slippage", "commission")
    if prev[1] == "preset":
        return _words("nse", "us") if len(prev) == 2 else []
    if prev[1] == "slippage":
        return _words("pts") if len(prev) == 3 and re.fullmatch(r"\d+(\.\d+)?", prev[-1]) else []
    if prev[1] == "commission":
        if len(prev) == 2:
            return _words("rs", "₹")
        if prev[-1] == "per":
            return _words("order", "lot")
        return _words("per") if _is_value(prev[-1]) and "per" not in prev else []
    return []


# statement word -> what may come next (None: a condition's words)
_BY_STATEMENT = {
    "on": _on, "stop_loss": _leg_rule, "target": _leg_rule, "trailing": _leg_rule,
    "mtm_stop": _mtm_rule, "mtm_target": _mtm_rule, "trail_mtm": _trail_mtm,
    "square_off": lambda unit, text, prev: _words("partial", "complete") if len(prev) == 1 else [],
    "shift": _shift, "entry": _entry, "exit": _exit, "costs": _costs, "reentry": _reentry, "wait": _wait,
}



# position level (issue 13): the day's PnL, locks, credit exits, the ATM source
def _overall(unit: Unit, text: str, prev: list[str]) -> list[Completion]:
    if len(prev) == 1:
        return _words("rs", "₹") + _params(unit, text, "percent", "float")
    return _words("credit") if not prev[-1] in ("rs", "₹") and "credit" not in prev else []


def _lock(unit: Unit, text: str, prev: list[str]) -> list[Completion]:
    if len(prev) == 1:
        return _words("at")
    follows = {"at": ("rs", "₹"), "keep": ("rs", "₹"), "every": ("rs", "₹"), "by": ("rs", "₹"), "trail": ("every",)}
    if prev[-1] in follows:
        return _words(*follows[prev[-1]])
    if prev[-1] in ("rs", "₹"):
        return _params(unit, text, "int", "float")
    nxt = next((w for w in ("keep", "trail", "by") if w not in prev), None)
    return _words(nxt) if nxt else []


def _position_complete(unit: Unit, text: str, prev: list[str]) -> list[Completion] | None:
    """The words of the position-level forms (issue 13) where they stand; None: not one of them."""
    last, first = prev[-1], prev[0]
    numeric = bool(re.fullmatch(r"\d+(\.\d+)?", last))
    in_add = "add" in prev and "(" in prev and ")" not in prev[prev.index("add"):]
    strike_arg = in_add and "," not in prev[prev.index("add"):] or (first == "shift" and "to" in prev
                                                                      and "when" not in prev)
    if last == "." and len(prev) >= 2 and prev[-2] in unit.legs and strike_arg and "premium" not in prev:
        return _words("strike")
    if strike_arg:
        if last in ("(", "to"):
            return _words(*_STRIKES) + _legs(unit, text)
        if last in ("+", "-") and len(prev) >= 2 and prev[-2] == "ATM":
            return _params(unit, text, "int", "float")
        if last in ("+", "-") and len(prev) >= 2 and prev[-2] == "strike":
            return _params(unit, text, "int", "float")
        if last in ("OTM", "ITM"):
            return _params(unit, text, "int", "percent" if last == "OTM" else "int")
        if "premium" in prev and last not in (".",) and not _is_value(last):
            return _values(unit, text)
        if "ATM" in prev and len(prev) >= 3 and prev[-2] in ("+", "-") and last in unit.params:
            return _words("x")
        if last == "x" and "ATM" in prev:
            return _words("straddle")
        return None
    if first in _RULES or first in ("overall_stop", "overall_target"):
        if last == "x" or (last.endswith("%") and len(prev) == 2):
            return _words("credit")
        if numeric and len(prev) == 2:
            return _words("x")
        if last in ("rs", "₹"):
            return _params(unit, text, "int", "float")
        if first in _RULES and last in unit.params and unit.params[last].type in ("int", "float"):
            return _words("pts")
        if first in _RULES and len(prev) == 3 and prev[1:] == ["each", "leg"] or (len(prev) == 2 and last in unit.legs):
            return _params(unit, text) + _words("rs", "₹") + (_words("every") if first == "trailing" else [])
    if first == "expiry" and len(prev) == 3 and prev[1] == "dte":
        return _params(unit, text, "int")
    return None


STATEMENTS = STATEMENTS + ("overall_stop", "overall_target", "lock", "atm_from")
_STRIKES = _STRIKES + ("ITM",)
_BY_STATEMENT.update({
    "overall_stop": _overall, "overall_target": _overall, "lock": _lock,
    "atm_from": lambda unit, text, prev: _words("spot", "synthetic") if len(prev) == 1 else [],
})


def _members(unit: Unit, prev: list[str]) -> list[Completion]:
    subject = prev[prev.index("in") - 1] if prev.index("in") > 0 else ""
    return _choice_options(unit, subject) or _words(*_WEEKDAYS)


def _choice_options(unit: Unit, subject: str) -> list[Completion]:
    """A choice parameter's options (``mode == `` or ``mode in (``); none for any other name."""
    p = unit.params.get(subject)
    if p is not None and p.type == "choice":
        return [Completion(c, "value", f"option of {subject}") for c in p.choices or []]
    return []


def _is_value(word: str) -> bool:
    """Whether a word ends a value (a number, a name, a closing parenthesis), not a keyword."""
    if word == ")" or re.fullmatch(r"\d+(\.\d+)?%?|\d{1,2}:\d{2}", word):
        return True
    return bool(re.fullmatch(r"[A-Za-z_]\w*", word)) and glossary.KINDS.get(word, "value") in ("value", "builtin")
