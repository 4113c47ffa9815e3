"""Text -> AST. Each line is parsed on its own by the Lark grammar, so a mistake on one line
is reported without hiding the others, and positions are exact (line, column, caret).

>>> prog, diags = parse_text('strategy demo "x"\\nmax_cycles 2')
>>> [s.kind for s in prog.statements], diags
(['header', 'max_cycles'], [])
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, v_args
from lark.exceptions import UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import PatternStr
from lark.visitors import Transformer_NonRecursive

from optbt.dsl import ast as A
from optbt.dsl import limits as L
from optbt.dsl.diagnostics import Diagnostic
from optbt.dsl.lines import bad_characters, display, has_bad_character, split_lines
from optbt.dsl.literals import LineError, decode_string, number_text, split_comment, to_float, to_int, tree_limits
from optbt.model.errors import did_you_mean

STATEMENT_WORDS = ("strategy", "params", "legs", "underlying", "expiry", "max_cycles", "entry", "stop_loss",
                   "target", "trailing", "on", "square_off", "shift", "exit", "mtm_stop", "mtm_target",
                   "trail_mtm", "add", "costs", "overall_stop", "overall_target", "lock", "atm_from", "reentry", "wait")

_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "INT": "a whole number", "TIME": "a time like 09:20",
    "PERCENT": "a percentage like 30%", "STRING": 'a "description" in double quotes',
    "CMP": "a comparison (<, <=, >, >=, ==, !=)", "SUM_OP": "+ or -", "MUL_OP": "* or /", "SIGN": "+ or -",
    "PREMIUM_CMP": "~ (closest), >= or <=", "$END": "the end of the line",
}


_LEVEL_WORDS = ("stop_loss", "target", "trailing", "mtm_stop", "mtm_target", "trail_mtm", "overall_stop",
                "overall_target", "lock")
_FREE_NAMES = {"entry": "entry_time", "exit": "exit_time", "square_off": "square_off_time", "add": "add_lots",
               "max_cycles": "cycles", "expiry": "expiry_rule", "underlying": "symbol"}


def _free_name(word: str) -> str:
    """A name to suggest for a statement word used as a name: ``target`` -> ``target_pct``."""
    return f"{word}_pct" if word in _LEVEL_WORDS else _FREE_NAMES.get(word, f"my_{word}")


def grammar_text() -> str:
    """The grammar, from the installed package (wheel) or the checkout's grammar/ folder."""
    try:
        return resources.files("optbt").joinpath("grammar/strat.lark").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return (Path(__file__).resolve().parents[2] / "grammar" / "strat.lark").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The LALR parser, built once per process and kept on disk between processes.

    Building the tables takes 60-160 ms; loading them takes about 10. Lark's own cache stores
    them under optbt's cache folder (``$OPTBT_CACHE_DIR`` or ``~/.cache/optbt``), keyed by a
    hash of the grammar, the options and Lark's version, so a changed grammar never loads old
    tables; a cache that cannot be written, or a file another process is half-way through
    writing, only means building them again.
    """
    options = dict(parser="lalr", propagate_positions=True, maybe_placeholders=False)
    text = grammar_text()
    cache = _parser_cache_file()
    return Lark(text, cache=cache, **options) if cache else Lark(text, **options)


def _parser_cache_file() -> str | None:
    import lark

    from optbt.data.sample import cache_dir
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return str(folder / f"strat-parser-lark{lark.__version__}.cache")


def _span(meta, line: int) -> A.Span | None:
    if getattr(meta, "empty", True):
        return None
    return A.Span(line=line, column=meta.column, end_column=meta.end_column)


def _tok_span(tok: Token, line: int) -> A.Span:
    return A.Span(line=line, column=tok.column, end_column=tok.end_column)


@v_args(meta=True)
class _ToAst(Transformer_NonRecursive):
    """Lark tree of one line -> AST node; every node keeps its span (iterative: no recursion)."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line

    def _s(self, meta):
        return _span(meta, self.line)

    # keyword sets ("!" rules) give their text
    def _word(self, meta, c):
        return str(c[0])
    opt_type = side = square_off_mode = expiry_word = rule_kind = mtm_kind = money_unit = cross_dir = _word
    cost_per = _word
    overall_kind = atm_source = _word
    reentry_kind = reverse = move_dir = _word

    def weekday(self, meta, c):
        return A.Word(value=str(c[0]), span=self._s(meta))

    def word(self, meta, c):
        return A.Word(value=str(c[0]), span=self._s(meta))

    def word_list(self, meta, c):
        return list(c)

    # literals and atoms
    def _f(self, tok: Token, strip: str = "") -> float:
        return to_float(tok, self.line, number_text(tok, self.line).rstrip(strip) if strip else None)

    def signed_number(self, meta, c):
        value = self._f(c[-1])
        return A.Num(value=-value if len(c) == 2 and str(c[0]) == "-" else value, span=self._s(meta))

    def number(self, meta, c):
        return A.Num(value=self._f(c[0]), span=self._s(meta))

    def percent(self, meta, c):
        return A.Pct(value=self._f(c[0], "%"), span=self._s(meta))

    def time(self, meta, c):
        hh, mm = str(c[0]).split(":")
        return A.Time(value=f"{int(hh):02d}:{mm}", span=self._s(meta))

    def money(self, meta, c):
        return A.Money(value=self._f(c[-1]), span=self._s(meta))

    def true(self, meta, c):
        return A.Bool(value=True, span=self._s(meta))

    def false(self, meta, c):
        return A.Bool(value=False, span=self._s(meta))

    def name(self, meta, c):
        return A.Name(name=str(c[0]), span=self._s(meta))

    def attr(self, meta, c):
        return A.Attr(obj=str(c[0]), attr=str(c[1]), span=self._s(meta))

    def attr3(self, meta, c):  # vix.prev.close: the object, then the rest as one dotted field
        return A.Attr(obj=str(c[0]), attr=f"{c[1]}.{c[2]}", span=self._s(meta))

    def interval(self, meta, c):
        text = str(c[0])
        n = int(text[:-1])
        return A.Interval(minutes=n * 60 if text.endswith("h") else n, text=text, span=self._s(meta))

    def call(self, meta, c):
        field = str(c[-1]) if len(c) > 1 and isinstance(c[-1], Token) else None
        args = [a for a in c[1:len(c) - (field is not None)] if a is not None]
        return A.Call(func=str(c[0]), args=args, field=field, span=self._s(meta))

    def lookback(self, meta, c):
        return A.Lookback(operand=c[0], n=min(int(str(c[1])), 10**9), span=self._s(meta))

    def crosses(self, meta, c):
        return A.Crosses(direction=c[1], left=c[0], right=c[2], span=self._s(meta))

    # expressions
    def neg(self, meta, c):
        return A.Neg(operand=c[0], span=self._s(meta))

    def binop(self, meta, c):
        return A.BinOp(op=str(c[1]), left=c[0], right=c[2], span=self._s(meta))

    def compare(self, meta, c):
        return A.Compare(op=str(c[1]), left=c[0], right=c[2], span=self._s(meta))

    def member(self, meta, c):
        return A.Member(operand=c[0], items=c[1], span=self._s(meta))

    def not_(self, meta, c):
        return A.Not(operand=c[0], span=self._s(meta))

    def or_expr(self, meta, c):
        return A.BoolOp(op="or", operands=list(c), span=self._s(meta))

    def and_expr(self, meta, c):
        return A.BoolOp(op="and", operands=list(c), span=self._s(meta))

    # statements
    def header(self, meta, c):
        desc = decode_string(str(c[1])[1:-1], self.line, c[1].column + 1) if len(c) > 1 else None
        return A.Header(name=str(c[0]), description=desc, span=self._s(meta))

    def params_header(self, meta, c):
        return A.Section(name="params", span=self._s(meta))

    def legs_header(self, meta, c):
        return A.Section(name="legs", span=self._s(meta))

    def t_int(self, meta, c):
        return ("int", None)

    def t_float(self, meta, c):
        return ("float", None)

    def t_percent(self, meta, c):
        return ("percent", None)

    def t_time(self, meta, c):
        return ("time", None)

    def t_bool(self, meta, c):
        return ("bool", None)

    def t_choice(self, meta, c):
        return ("choice", [str(x) for x in c])

    def sweep_range(self, meta, c):
        return A.SweepRange(start=c[0], stop=c[1], step=c[2], span=self._s(meta))

    def sweep_list(self, meta, c):
        return A.SweepList(values=list(c), span=self._s(meta))

    def param_decl(self, meta, c):
        (ptype, choices) = c[1]
        return A.Param(name=str(c[0]), type=ptype, choices=choices, default=c[2],
                       sweep=c[3] if len(c) > 3 else None, span=self._s(meta))

    def expiry_named(self, meta, c):
        return A.ExpiryRule(word=c[0], span=self._s(meta))

    def expiry_dte(self, meta, c):
        return A.ExpiryRule(op=str(c[0]), days=to_int(c[1], self.line), span=self._s(meta))

    def strike_atm(self, meta, c):
        return A.Strike(how="atm", span=self._s(meta))

    def strike_atm_offset(self, meta, c):
        n = to_int(c[1], self.line)
        return A.Strike(how="atm", offset=-n if str(c[0]) == "-" else n, span=self._s(meta))

    def strike_abs(self, meta, c):
        return A.Strike(how="abs", value=self._f(c[0]), span=self._s(meta))

    def strike_otm(self, meta, c):
        return A.Strike(how="otm", value=self._f(c[0], "%"), span=self._s(meta))

    def strike_premium(self, meta, c):
        if isinstance(c[1], A.Num):  # premium ~ 50: the literal form, as before
            return A.Strike(how="premium", mode=str(c[0]), value=c[1].value, span=self._s(meta))
        return A.StrikeRule(how="premium", mode=str(c[0]), amount=c[1], span=self._s(meta))

    # -- the strike forms of issue 13 (position2) --
    def _ref(self, tok: Token):
        """A strike's amount as an expression: a number, or a parameter's name."""
        span = _tok_span(tok, self.line)
        return A.Name(name=str(tok), span=span) if tok.type == "NAME" else A.Num(value=self._f(tok), span=span)

    def strike_atm_param(self, meta, c):
        return A.StrikeRule(how="atm", sign=-1 if str(c[0]) == "-" else 1, amount=self._ref(c[1]), span=self._s(meta))

    def strike_straddle(self, meta, c):
        tok = c[1]
        amount = self._ref(tok) if tok.type == "NAME" else A.Num(value=self._f(tok, "x"), span=_tok_span(tok, self.line))
        return A.StrikeRule(how="straddle", sign=-1 if str(c[0]) == "-" else 1, amount=amount, span=self._s(meta))

    def strike_otm_param(self, meta, c):
        return A.StrikeRule(how="otm", amount=self._ref(c[0]), span=self._s(meta))

    def strike_otm_steps(self, meta, c):
        return A.StrikeRule(how="otm", amount=self._ref(c[0]), span=self._s(meta))

    def strike_itm_steps(self, meta, c):
        return A.StrikeRule(how="itm", amount=self._ref(c[0]), span=self._s(meta))

    def strike_of_leg(self, meta, c):
        sign = -1 if len(c) > 1 and str(c[1]) == "-" else 1
        return A.StrikeRule(how="leg", leg=str(c[0]), sign=sign, amount=self._ref(c[2]) if len(c) > 2 else None,
                            span=self._s(meta))

    def money_param(self, meta, c):
        return A.MoneyParam(param=str(c[-1]), span=self._s(meta))

    def expiry_dte_param(self, meta, c):
        return A.ExpiryParam(op=str(c[0]), param=str(c[1]), span=self._s(meta))

    def param_pts_amount(self, meta, c):
        return A.Amount(unit="pts", param=str(c[0]), span=self._s(meta))

    def param_money_amount(self, meta, c):
        return A.Amount(unit="money", param=str(c[-1]), span=self._s(meta))

    def pct_credit(self, meta, c):
        return A.CreditAmount(unit="pct", value=self._f(c[0], "%"), span=self._s(meta))

    def times_credit(self, meta, c):
        return A.CreditAmount(unit="times", value=self._f(c[0], "x"), span=self._s(meta))

    def param_credit(self, meta, c):
        return A.CreditAmount(unit="param", param=str(c[0]), span=self._s(meta))

    def overall_rule(self, meta, c):
        return A.OverallRule(rule=c[0], amount=c[1], span=self._s(meta))

    def lock_stmt(self, meta, c):
        every, by = (c[2], c[3]) if len(c) > 2 else (None, None)
        return A.Lock(at=c[0], keep=c[1], every=every, by=by, span=self._s(meta))

    def credit_rule(self, meta, c):
        return A.CreditRule(rule=c[0], amount=c[1], span=self._s(meta))

    def atm_from_stmt(self, meta, c):
        return A.AtmFrom(source=c[0], span=self._s(meta))

    def strike_delta(self, meta, c):
        return A.Strike(how="delta", mode="~", value=self._f(c[0]), span=self._s(meta))

    def strike_delta_param(self, meta, c):
        mode = str(c[0]) if len(c) > 1 else "~"
        return A.StrikeRule(how="delta", mode=mode, amount=self._ref(c[-1]), span=self._s(meta))

    def strike_delta_cmp(self, meta, c):
        return A.Strike(how="delta", mode=str(c[0]), value=self._f(c[1]), span=self._s(meta))

    def leg_decl(self, meta, c):
        c = list(c)
        name = str(c.pop(0)) if isinstance(c[0], Token) else None
        strike, opt_type, side = c[0], c[1], c[2]
        rest = c[3:]
        expiry = rest.pop() if rest and isinstance(rest[-1], (A.ExpiryRule, A.ExpiryParam)) else None
        qty = rest[0] if rest else None
        return A.LegDecl(name=name, strike=strike, opt_type=opt_type, side=side, qty=qty, expiry=expiry,
                         span=self._s(meta))

    def underlying_stmt(self, meta, c):
        return A.Underlying(name=str(c[0]), span=self._s(meta))

    def expiry_stmt(self, meta, c):
        return A.ExpiryStmt(rule=c[0], span=self._s(meta))

    def max_cycles_stmt(self, meta, c):
        return A.MaxCycles(n=to_int(c[0], self.line), span=self._s(meta))

    def entry_at(self, meta, c):
        return ("at", c[0])

    def entry_between(self, meta, c):
        return ("between", c[0], c[1])

    def entry_stmt(self, meta, c):
        at = start = end = when = None
        for part in c:
            if isinstance(part, tuple) and part[0] == "at":
                at = part[1]
            elif isinstance(part, tuple):
                start, end = part[1], part[2]
            else:
                when = part
        return A.Entry(at=at, start=start, end=end, when=when, span=self._s(meta))

    def each_leg(self, meta, c):
        return ("leg", None)

    def one_leg(self, meta, c):
        return ("leg", str(c[0]))

    def pct_amount(self, meta, c):
        return A.Amount(unit="pct", value=self._f(c[0], "%"), span=self._s(meta))

    def pts_amount(self, meta, c):
        return A.Amount(unit="pts", value=self._f(c[0]), span=self._s(meta))

    def money_amount(self, meta, c):
        return A.Amount(unit="money", value=c[0].value, span=self._s(meta))

    def param_amount(self, meta, c):
        return A.Amount(unit="param", param=str(c[0]), span=self._s(meta))

    def leg_rule(self, meta, c):
        return A.LegRule(rule=c[0], leg=c[1][1], amount=c[2], span=self._s(meta))

    def move_leg(self, meta, c):
        return str(c[0])

    def move_others(self, meta, c):
        return "others"

    def move_to_cost(self, meta, c):
        return A.Action(what="move_to_cost", target=c[0], span=self._s(meta))

    def exit_all(self, meta, c):
        return A.Action(what="exit", span=self._s(meta))

    def close_leg(self, meta, c):
        return A.Action(what="close", target=str(c[0]), span=self._s(meta))

    def open_leg(self, meta, c):
        return A.Action(what="open", target=str(c[0]), span=self._s(meta))

    def reentry_stmt(self, meta, c):
        reverse = len(c) == 5
        count = c[-1]
        if count.type == "NAME":
            return A.Reentry(leg=c[0][1], event=c[1], how=c[2], reverse=reverse, max_param=str(count),
                             span=self._s(meta))
        return A.Reentry(leg=c[0][1], event=c[1], how=c[2], reverse=reverse, max=to_int(count, self.line),
                         span=self._s(meta))

    def wait_stmt(self, meta, c):
        return A.Wait(leg=c[0][1], direction=c[1], amount=c[2], span=self._s(meta))

    def leg_entry_stmt(self, meta, c):
        return A.LegEntry(leg=str(c[0]), at=c[1], span=self._s(meta))

    def trail_after_stmt(self, meta, c):
        return A.LegTrail(rule=c[0], leg=c[1][1], distance=c[2], after=c[3], span=self._s(meta))

    def trail_step_stmt(self, meta, c):
        return A.LegTrail(rule=c[0], leg=c[1][1], every=c[2], by=c[3], after=c[4] if len(c) > 4 else None,
                          span=self._s(meta))

    def on_stmt(self, meta, c):
        leg = str(c[1]) if len(c) == 3 else None
        return A.On(event=c[0], leg=leg, action=c[-1], span=self._s(meta))

    def square_off_stmt(self, meta, c):
        return A.SquareOff(mode=c[0], span=self._s(meta))

    def shift_stmt(self, meta, c):
        return A.Shift(leg=str(c[0]), strike=c[1], when=c[2], span=self._s(meta))

    def exit_at(self, meta, c):
        return A.ExitAt(at=c[0], when=c[1] if len(c) > 1 else None, span=self._s(meta))

    def exit_when(self, meta, c):
        return A.ExitWhen(when=c[0], span=self._s(meta))

    def mtm_rule(self, meta, c):
        return A.MtmRule(rule=c[0], amount=c[1], span=self._s(meta))

    def trail_mtm_stmt(self, meta, c):
        return A.TrailMtm(after=c[0], by=c[1], span=self._s(meta))

    # the costs section: one setting a line
    def cost_preset(self, meta, c):
        tok = c[0]
        text = decode_string(str(tok)[1:-1], self.line, tok.column + 1) if tok.type == "STRING" else str(tok)
        return A.CostSetting(setting="preset", preset=text, span=self._s(meta))

    def cost_slippage_pts(self, meta, c):
        return A.CostSetting(setting="slippage", value=self._f(c[0]), unit="pts", span=self._s(meta))

    def cost_slippage_pct(self, meta, c):
        return A.CostSetting(setting="slippage", value=self._f(c[0], "%"), unit="pct", span=self._s(meta))

    def cost_commission(self, meta, c):
        return A.CostSetting(setting="commission", value=c[0].value, unit=c[1], span=self._s(meta))

    def costs_stmt(self, meta, c):
        return c[0].model_copy(update={"span": self._s(meta)})


    def range_stmt(self, meta, c):
        start, end = (self.time(meta, [t]).value for t in (c[1], c[2]))
        return A.RangeDecl(name=str(c[0]), start=start, end=end, span=self._s(meta))

    def series_stmt(self, meta, c):
        return A.SeriesDecl(names=[str(t) for t in c], span=self._s(meta))


def _expected_words(exc: UnexpectedInput) -> list[str]:
    lark = lark_parser()
    words = []
    for name in sorted(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()):
        if name.startswith("__ANON"):
            continue
        if name in _WORDS:
            words.append(_WORDS[name])
            continue
        try:
            pattern = lark.get_terminal(name).pattern
        except KeyError:
            continue
        words.append(f"'{pattern.value}'" if isinstance(pattern, PatternStr) else name.lower())
    return sorted(set(words), key=lambda w: (w.startswith("a "), w))


def _syntax_diagnostic(exc: UnexpectedInput, code_text: str, line: int) -> Diagnostic:
    column = max(1, getattr(exc, "column", 1) or 1)
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        column = len(code_text.rstrip()) + 1
        got = "end of line"
        width = 1
    elif isinstance(exc, UnexpectedToken):
        got = f"'{display(str(exc.token.value))}'"
        width = max(1, len(str(exc.token.value)))
    else:
        got = f"'{display(code_text[column - 1])}'"
        width = 1
        if got == "'\"'":
            return Diagnostic("E0101", "the description has no closing quote", line, column, column + 1,
                              "opened here", 'write it as "what the strategy does" on one line')
    expected = _expected_words(exc)
    word = re.match(r"\s*([A-Za-z_]\w*)", code_text)
    first_word = word.group(1) if word else (code_text.split() or [""])[0]
    declares = re.match(r"^\s*[A-Za-z_]\w*\s*[:=]", code_text)  # a parameter or a named leg
    if first_word not in STATEMENT_WORDS and not declares:
        column = len(code_text) - len(code_text.lstrip()) + 1
        first_word = display(first_word)
        return Diagnostic("E0101", f"unknown statement '{first_word}'", line, column, column + len(first_word),
                          "not a statement", "statements start with one of: " + ", ".join(STATEMENT_WORDS)
                          + did_you_mean(first_word, STATEMENT_WORDS).replace(" (", "; ").rstrip(")"))
    if first_word in STATEMENT_WORDS and re.match(r"^\s*\w+\s*(:|=(?!=))", code_text):
        start = len(code_text) - len(code_text.lstrip()) + 1
        return Diagnostic("E0103", f"'{first_word}' is a keyword and cannot be a name", line, start,
                          start + len(first_word), "a keyword", f"choose another name, e.g. {_free_name(first_word)}")
    costs = _costs_diagnostic(exc, code_text, line, column, width, expected)
    if costs is not None:
        return costs
    if expected == ["'pts'"] and code_text.lstrip().startswith("costs"):  # costs slippage 0.5
        number = re.findall(r"(\d+(?:\.\d+)?)\s*$", code_text[: column - 1])
        value = number[0] if number else "0.5"
        start = code_text.rstrip().rfind(value) + 1 if number else column
        return Diagnostic("E0302", f"'{value}' needs a unit", line, start, start + len(value), "a bare number",
                          f"write {value} pts for points or {value}% for a percentage of the price")
    if expected == ["'pts'"]:  # a number was read where an amount with a unit belongs
        number = re.findall(r"(\d+(?:\.\d+)?)\s*$", code_text[: column - 1])
        value = number[0] if number else "30"
        start = code_text.rstrip().rfind(value) + 1 if number else column
        return Diagnostic("E0302", f"'{value}' needs a unit", line, start, start + len(value), "a bare number",
                          _unit_hint(first_word, value))
    if isinstance(exc, UnexpectedToken) and exc.token.type == "NUMBER" and "a percentage like 30%" in expected:
        return Diagnostic("E0302", f"{got} needs a unit", line, column, column + width, "a bare number",
                          f"write {exc.token.value}% for a percentage of the premium, {exc.token.value} pts for "
                          f"points, or rs {exc.token.value} for money")
    if "'not'" in expected:  # the start of an expression: name the idea, not 20 tokens
        expected = ["a condition or value (for example spot > 21000, or weekday in (Mon, Tue))"]
    shown = ", ".join(expected[:-1]) + (" or " if len(expected) > 1 else "") + expected[-1] if expected else "the end of the line"
    return Diagnostic("E0101", f"unexpected {got}", line, column, column + width, f"expected {shown}",
                      "each statement is one line; see docs/language.md for its forms")


COST_SETTINGS = ("preset", "slippage", "commission")


def _costs_diagnostic(exc: UnexpectedInput, code_text: str, line: int, column: int, width: int,
                      expected: list[str]) -> Diagnostic | None:
    """A mistake in a `costs` line, said in its own words (unknown setting, a commission without rs)."""
    words = code_text.split()
    if not words or words[0] != "costs" or not isinstance(exc, UnexpectedToken):
        return None
    tok = str(exc.token.value)
    if exc.token.type == "NAME" and len(words) > 1 and tok == words[1]:
        return Diagnostic("E0101", f"unknown cost setting '{display(tok)}'", line, column, column + width,
                          "not a cost setting", "write costs preset nse, costs slippage 0.5 pts, "
                          "costs commission rs 20 per order" + did_you_mean(tok, COST_SETTINGS).replace(" (", "; ")
                          .rstrip(")"))
    if len(words) > 1 and words[1] == "preset":
        got = "end of line" if exc.token.type == "$END" else f"'{display(tok)}'"
        return Diagnostic("E0101", f"unexpected {got}", line, column, column + width,
                          "expected a preset name or a \"file.toml\"",
                          'write costs preset nse, costs preset us or costs preset "my_broker.toml"')
    if exc.token.type == "NUMBER" and len(words) > 1 and words[1] == "commission":
        return Diagnostic("E0302", f"'{tok}' needs a unit", line, column, column + width, "a bare number",
                          f"write costs commission rs {tok} per order (or per lot)")
    return None
def _unit_hint(statement: str, value: str) -> str:
    """The units the statement takes (an MTM rule takes no points: never suggest what it refuses)."""
    if statement in ("mtm_stop", "mtm_target"):
        return f"write {value}% for a percentage of the premium at entry, or rs {value} for money"
    if statement in ("overall_stop", "overall_target"):
        return f"write rs {value} for money, or {value}% credit for a percentage of the net credit received"
    return f"write {value}% for a percentage of the entry price, {value} pts for points, or rs {value} for money"


def _limit(code: str, message: str, line: int, help: str) -> Diagnostic:
    return Diagnostic(code, message, line, 1, 2, "", help)


def parse_text(text: str) -> tuple[A.Program, list[Diagnostic]]:
    """Parse a whole file. Returns the program (lines that failed are left out) and diagnostics.

    Lines end only at \\n, \\r\\n or \\r (see :mod:`optbt.dsl.lines`); a line holding a character
    that is not allowed, or longer than the limit, is reported and not parsed. Past the
    statement, code-size or error limits the rest of the file is not read, so that any file is
    answered in bounded time.
    """
    parser = lark_parser()
    statements, comments, diags = [], [], []
    bad_shown = code_chars = 0
    for number, raw in enumerate(split_lines(text), start=1):
        if not raw:
            continue
        if has_bad_character(raw):
            if bad_shown < 10:
                for column, ch, why in bad_characters(raw)[: 10 - bad_shown]:
                    diags.append(Diagnostic("E0104", f"{why} at column {column}", number, column, column + 1,
                                            "not allowed", "a .strat file is plain UTF-8 text; lines end with a "
                                            "line break (\\n or \\r\\n); remove this character"))
                    bad_shown += 1
            continue
        if len(raw) > L.MAX_LINE:
            comment_line = raw.lstrip().startswith("#")
            diags.append(_limit("E0503", f"line {number} has {len(raw):,} characters; at most {L.MAX_LINE:,}",
                                number, "split the comment over several lines" if comment_line else
                                "split it, or move long text into a comment line of its own"))
            continue
        code_text, comment = split_comment(raw)
        if comment is not None:
            comments.append(A.Comment(line=number, text=comment.rstrip(), trailing=bool(code_text.strip())))
        if not code_text.strip():
            continue
        code_chars += len(code_text)
        if len(statements) >= L.MAX_STATEMENTS or code_chars > L.MAX_CODE:
            diags.append(_limit("E0504", f"the file has more than {L.MAX_STATEMENTS:,} statements or "
                                f"{L.MAX_CODE:,} characters of them; the rest is not read", number,
                                "a strategy is a few dozen lines; split the file"))
            break
        if len(diags) >= L.MAX_ERRORS:
            diags.append(_limit("E0504", f"more than {L.MAX_ERRORS} errors; the rest of the file is not read",
                                number, "fix these first"))
            break
        try:
            tree = parser.parse(code_text)
            too_big = tree_limits(tree, number)
            if too_big is not None:
                diags.append(too_big)
                continue
            node = _ToAst(number).transform(tree)
        except UnexpectedInput as exc:
            diags.append(_syntax_diagnostic(exc, code_text, number))
            continue
        except VisitError as exc:  # an error inside the transformer: report it on the line
            inner = exc.orig_exc
            if isinstance(inner, LineError):
                diags.append(inner.diagnostic)
            else:
                diags.append(Diagnostic("E0101", "cannot read this line", number, 1, len(code_text.rstrip()) + 1,
                                        "", "each statement is one line; see docs/language.md for its forms"))
            continue
        statements.append(node)
    return A.Program(statements=statements, comments=comments), diags
