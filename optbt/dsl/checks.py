"""Semantic checks: names resolve, kinds of value agree, declarations make sense.

Produces a :class:`Unit` (the program, its symbols, each expression's type) that the compiler
lowers and the linter reads. Types are words: number, percent, money, time, bool, weekday,
word, and ``choice:NAME`` for a choice parameter's values.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
from dataclasses import dataclass, field

from optbt.dsl import ast as A
from optbt.dsl import signals as _signals
from optbt.dsl import checks_position as P
from optbt.dsl import limits as L
from optbt.dsl.diagnostics import Diagnostic
from optbt.dsl.param_rules import keep
from optbt.dsl.values import article, evaluate, param_values, params_in, show, sweep_count, time_values
from optbt.model.errors import did_you_mean

BUILTINS = {"spot": "number", "atm": "number", "dte": "number", "time": "time", "mtm": "money",
            "pnl": "money", "weekday": "weekday", "day": "weekday", "gap": "number", "gap_pct": "percent",
            "net_delta": "number"}
LEG_ATTRS = {"ltp": "number", "entry_price": "number", "pnl": "money",
             "reentries": "number", "status": "status",
             "iv": "percent", "delta": "number", "gamma": "number", "theta": "number", "vega": "number"}
LEG_STATUS = ("waiting", "open", "closed")  # the words leg.status compares with
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# names the language itself gives a meaning (a parameter or leg of that name would hide it).
# Python keywords, builtins and the Strategy API's names are fine: the compiler renames them.
RESERVED = {"others", "max_cycles", "true", "false", "not", "and", "or", "in", "rs", "each"} | set(BUILTINS) \
    | set(WEEKDAYS)
# position level (issue 13): the ATM straddle's premium is a value; "credit" and "straddle" are words
BUILTINS["straddle"] = "number"
RESERVED |= {"credit", "straddle"}
_PARAM_TYPES = {"int": "number", "float": "number", "percent": "percent", "time": "time", "bool": "bool"}


@dataclass
class Unit:
    """A program with what the checks learned about it."""

    program: A.Program
    diagnostics: list[Diagnostic] = field(default_factory=list)
    params: dict[str, A.Param] = field(default_factory=dict)
    legs: dict[str, A.LegDecl] = field(default_factory=dict)   # unnamed legs get leg1, leg2, ...
    types: dict[int, str] = field(default_factory=dict)        # id(expr) -> type
    used: set[str] = field(default_factory=set)                # parameter names referenced
    limits: L.Limits = field(default_factory=L.Limits)
    sweeps: dict[str, int] = field(default_factory=dict)      # parameter -> values of its valid sweep
    line_map: dict = field(default_factory=dict)              # set by the compiler: generated line -> span
    leg_order: list = field(default_factory=list)             # legs in the order their strikes are chosen
    param_rules: dict = field(default_factory=dict)           # parameter -> [(rule, what)]: ranges a run re-checks

    @property
    def header(self) -> A.Header | None:
        found = self.program.of(A.Header)
        return found[0] if found else None

    def error(self, code: str, message: str, span: A.Span | None, label: str = "", help: str = "") -> None:
        line, col, end = (span.line, span.column, span.end_column) if span else (1, 1, 2)
        self.diagnostics.append(Diagnostic(code, message, line, col, end, label, help))


def param_type(p: A.Param) -> str:
    return f"choice:{p.name}" if p.type == "choice" else _PARAM_TYPES[p.type]


def literal_type(lit) -> str:
    return {"num": "number", "pct": "percent", "time": "time", "money": "money", "bool": "bool",
            "word": "word"}[lit.kind]


def check(program: A.Program, limits: L.Limits | None = None) -> Unit:
    """All checks, in order; diagnostics accumulate on the unit."""
    unit = Unit(program, limits=limits or L.Limits())
    for step in (_header, _declarations, _signal_declarations, _defaults_and_sweeps, _statements, _leg_plan,
                 _quantities, P.check_leg_order):
        step(unit)
    return unit


def _ident(unit: Unit, name: str, span, what: str) -> None:
    """The identifier rule; parameters and legs also may not take a word the language gives a meaning."""
    reserved = RESERVED if what != "strategy" else set()
    if not _IDENT.match(name) or name in reserved:
        if name in reserved:
            unit.error("E0103", f"{what} name '{name}' is a word of the language", span, "not allowed here",
                       f"'{name}' already means something in a .strat file; choose another name, e.g. my_{name}")
            return
        why = "starts with an underscore" if name.startswith("_") else "has characters not allowed"
        unit.error("E0103", f"{what} name '{name}' {why}", span, "not allowed here",
                   "use a lower-case name of letters, digits and underscores, starting with a letter")


def _header(unit: Unit) -> None:
    stmts = unit.program.statements
    headers = unit.program.of(A.Header)
    if not headers:
        unit.error("E0102", "the file has no header", stmts[0].span if stmts else None, "",
                   'start the file with: strategy my_strategy "what it does"')
        return
    if stmts[0] is not headers[0]:
        unit.error("E0102", "the header must be the first statement", headers[0].span)
    for extra in headers[1:]:
        unit.error("E0202", "a second header", extra.span, "", "a file holds one strategy")
    _ident(unit, headers[0].name, headers[0].span, "strategy")


def _declarations(unit: Unit) -> None:
    auto = 0
    for stmt in unit.program.statements:
        if isinstance(stmt, A.Param):
            _ident(unit, stmt.name, stmt.span, "parameter")
            if stmt.name in unit.params:
                unit.error("E0202", f"parameter '{stmt.name}' is declared twice", stmt.span)
            unit.params[stmt.name] = stmt
        elif isinstance(stmt, A.LegDecl):
            if stmt.name is None:
                auto += 1
                name = f"leg{auto}"
            else:
                name = stmt.name
                _ident(unit, name, stmt.span, "leg")
            if name in unit.legs or name in unit.params:
                unit.error("E0202", f"'{name}' is declared twice", stmt.span, "", "legs and parameters need distinct names")
            unit.legs[name] = stmt
            if len(unit.legs) == L.MAX_LEGS + 1:
                unit.error("E0504", f"more than {L.MAX_LEGS} legs", stmt.span, "", "a strategy has at most "
                           f"{L.MAX_LEGS} legs")
    if not unit.legs and unit.header is not None:
        unit.error("E0406", "the strategy has no legs", unit.header.span, "", "add a leg: ce = add(ATM, CE, SELL)")
    for kind in (A.Underlying, A.ExpiryStmt, A.MaxCycles, A.SquareOff, A.Entry, A.TrailMtm):
        for extra in unit.program.of(kind)[1:]:
            unit.error("E0202", f"'{extra.kind}' appears twice", extra.span, "", "keep one; join conditions with and/or")


def _value_fits(p: A.Param, lit) -> bool:
    t = literal_type(lit)
    if p.type in ("int", "float"):
        return t == "number" and (p.type == "float" or float(lit.value).is_integer())
    if p.type == "choice":
        return t == "word" and lit.value in (p.choices or [])
    return t == _PARAM_TYPES[p.type]


def _defaults_and_sweeps(unit: Unit) -> None:
    examples = {"int": "1", "float": "1.5", "percent": "30%", "time": "09:20", "bool": "true"}
    runs, biggest = 1, None
    for p in unit.params.values():
        if isinstance(p.default, A.Time):
            _time_literal(unit, p.default)
        if not _value_fits(p, p.default):
            want = f"one of {', '.join(p.choices or [])}" if p.type == "choice" else f"a value like {examples[p.type]}"
            unit.error("E0403", f"default of '{p.name}' is not {_a(p.type)}", p.default.span, f"expected {want}")
        if p.type == "choice" and p.choices and len(set(p.choices)) != len(p.choices):
            unit.error("E0202", f"'{p.name}' lists a choice twice", p.span)
        sweep = p.sweep
        if sweep is None:
            continue
        values = [sweep.start, sweep.stop, sweep.step] if isinstance(sweep, A.SweepRange) else sweep.values
        bad = [v for v in values if not _value_fits(p, v)]
        if bad:
            unit.error("E0404", f"sweep values of '{p.name}' must be {p.type} values", bad[0].span)
            continue
        for v in values:
            if isinstance(v, A.Time):
                _time_literal(unit, v)
        if isinstance(sweep, A.SweepRange):
            if p.type in ("time", "bool", "choice"):
                unit.error("E0404", f"a {p.type} parameter sweeps over a list: sweep [a, b, c]", sweep.span)
                continue
            if sweep.step.value <= 0 or sweep.start.value > sweep.stop.value:
                unit.error("E0404", "a sweep range needs start <= stop and a step above zero", sweep.span)
                continue
        count = sweep_count(sweep) if isinstance(sweep, A.SweepRange) else len(sweep.values)
        if count > unit.limits.max_sweep_values:
            unit.error("E0506", f"'{p.name}' sweeps over {count:,} values; at most {unit.limits.max_sweep_values:,}",
                       sweep.span, "too many", "use a larger step, or raise the limit with --max-sweep-values")
            continue
        unit.sweeps[p.name] = count
        runs *= count
        biggest = biggest or p
    if runs > unit.limits.max_sweep_runs and biggest is not None:
        unit.error("E0506", f"the declared sweeps make {runs:,} runs; at most {unit.limits.max_sweep_runs:,}",
                   biggest.sweep.span, "", "sweep fewer values, or raise the limit with --max-sweep-runs")


def _statements(unit: Unit) -> None:
    for stmt in unit.program.statements:
        handler = _STATEMENT_CHECKS.get(stmt.kind)
        if handler is not None:
            handler(unit, stmt)


def _leg_ref(unit: Unit, name: str | None, span) -> None:
    if name is not None and name not in unit.legs:
        unit.error("E0201", f"unknown leg '{name}'", span, "not a leg",
                   f"legs: {', '.join(unit.legs) or 'none'}{did_you_mean(name, unit.legs)}")


def _strike(unit: Unit, strike: A.Strike) -> None:
    if isinstance(strike, A.StrikeRule):
        return P.check_strike_rule(unit, strike, expr_type)
    if strike.how in ("abs", "otm", "premium") and strike.value <= 0:
        unit.error("E0405", "the strike value must be above 0", strike.span)
    if strike.how == "delta" and not 0 < strike.value < 1:
        unit.error("E0405", f"delta {show(strike.value)} is out of range", strike.span, "a delta is between 0 and 1",
                   f"write delta {show(strike.value / 100)} for a {show(strike.value)}-delta option"
                   if 1 <= strike.value < 100 else "write e.g. delta 0.16 for a 16-delta option")
    if strike.how == "atm" and abs(strike.offset) > L.MAX_ATM_OFFSET:
        unit.error("E0405", f"ATM {strike.offset:+d} is out of range", strike.span, "",
                   f"at most {L.MAX_ATM_OFFSET} strike steps from ATM")


def _check_leg(unit: Unit, leg: A.LegDecl) -> None:
    _strike(unit, leg.strike)
    if leg.expiry is not None:
        _expiry_rule(unit, leg.expiry)
    if leg.qty is not None:
        t = expr_type(unit, leg.qty)
        if t not in ("number", "?"):
            unit.error("E0301", "a quantity is a number of lots", leg.qty.span, f"this is {_a(t)}")
        elif isinstance(leg.qty, A.Name) and leg.qty.name in unit.params:
            p = unit.params[leg.qty.name]
            if p.type != "int":
                unit.error("E0401", f"'{p.name}' is {article(p.type)}; a quantity needs an int parameter", leg.qty.span)


def _expiry_rule(unit: Unit, rule: A.ExpiryRule) -> None:
    if isinstance(rule, A.ExpiryParam):
        return P.check_expiry_param(unit, rule)
    if rule.word is not None:
        return
    if rule.op not in (">=", "<=", "=="):
        unit.error("E0405", f"expiry dte {rule.op} {rule.days} is not a rule", rule.span, "",
                   f"write dte >= N, dte <= N or dte == N (for 'more than {rule.days} days': "
                   f"dte >= {(rule.days or 0) + 1})")
    elif rule.days is not None and rule.days > L.MAX_DTE:
        unit.error("E0405", f"{rule.days} days to expiry is out of range", rule.span, "",
                   f"at most {L.MAX_DTE} days")


def _quantities(unit: Unit) -> None:
    """Every leg's quantity, worked out for every default and sweep value of the parameters it uses.

    Only when the file is otherwise clean (the values are then known to have their types)."""
    if unit.diagnostics:
        return
    for leg in unit.legs.values():
        if leg.qty is None:
            continue
        read = params_in(unit, leg.qty)
        if None in read:
            continue  # depends on the market (spot, prices): checked at run time
        names = sorted(read)
        choices = [param_values(unit, n) for n in names]
        if math.prod(len(c) for c in choices) <= 10_000:
            combos = itertools.product(*choices)
        else:  # one parameter at a time, the others at their defaults
            combos = (tuple(c[0] if j != i else v for j, c in enumerate(choices))
                      for i, values in enumerate(choices) for v in values)
        for combo in combos:
            env = dict(zip(names, combo))
            value = evaluate(unit, leg.qty, env)
            if not (math.isfinite(value) and value.is_integer() and 1 <= value <= L.MAX_QTY):
                at = " at " + ", ".join(f"{k}={show(v)}" for k, v in env.items()) if env else ""
                unit.error("E0401", f"the quantity is {show(value)} lots{at}", leg.qty.span,
                           "not a whole number of lots", f"a leg trades 1 to {L.MAX_QTY:,} whole lots")
                break


def _time_ref(unit: Unit, ref, what: str) -> None:
    t = expr_type(unit, ref)
    if t != "time":
        unit.error("E0301", f"{what} takes a time", ref.span, f"this is {_a(t)}", "write a time like 09:20 or a time parameter")


def _condition(unit: Unit, expr, what: str) -> None:
    t = expr_type(unit, expr)
    if t not in ("bool", "?"):
        unit.error("E0303", f"{what} needs a condition", expr.span, f"this is {_a(t)}",
                   "compare it with something, e.g. spot > 21000")


def _check_entry(unit: Unit, e: A.Entry) -> None:
    for ref in (e.at, e.start, e.end):
        if ref is not None:
            _time_ref(unit, ref, "entry")
    starts, ends = time_values(unit, e.start), time_values(unit, e.end)
    if starts and ends and len(starts) * len(ends) <= 1_000_000:
        empty = next(((a, b) for a in starts for b in ends if a >= b), None)
        if empty is not None:
            at = "" if isinstance(e.start, A.Time) and isinstance(e.end, A.Time) else \
                " at " + ", ".join(f"{ref.name}={v}" for ref, v in zip((e.start, e.end), empty) if isinstance(ref, A.Name))
            unit.error("E0402", f"the entry window {empty[0]}-{empty[1]} is empty{at}", e.span, "",
                       "the first time must be before the second" + (" (for every default and sweep value)"
                                                                      if at else ""))
    P.note_order(unit, e.start, e.end, "the entry window's start", "the entry window's end", "before", "after")
    if e.when is not None:
        _condition(unit, e.when, "entry ... when")


def _amount(unit: Unit, amount: A.Amount, allow: tuple[str, ...], what: str) -> None:
    if amount.param is not None and amount.unit != "param":  # sl_pts pts, rs risk
        return P.check_param_amount(unit, amount, allow, what)
    if amount.unit == "param":
        p = unit.params.get(amount.param)
        if p is None:
            unit.error("E0201", f"unknown parameter '{amount.param}'", amount.span, "not a parameter",
                       did_you_mean(amount.param, unit.params).strip(" ()") or "declare it under params")
            return
        unit.used.add(p.name)
        if p.type != "percent":
            unit.error("E0302", f"'{p.name}' is {article(p.type)}: {what} needs a unit", amount.span, "",
                       "declare it as percent (30%), or write the amount as 40 pts or rs 3000")
        elif _value_fits(p, p.default):
            keep(unit.param_rules, p.name, "positive", what)  # a run given 0% is refused too
            zero = [v for v in param_values(unit, p.name) if isinstance(v, (int, float)) and v <= 0]
            if zero:
                unit.error("E0405", f"{what} must be above 0; '{p.name}' can be {show(zero[0])}%", amount.span)
    elif amount.unit not in allow:
        words = {"pct": "a percentage (30%)", "pts": "points (40 pts)", "money": "money (rs 3000)"}
        unit.error("E0302", f"{what} is {' or '.join(words[a] for a in allow)}", amount.span)
    elif amount.value is not None and amount.value <= 0:
        unit.error("E0405", f"{what} must be above 0", amount.span)


def _check_leg_rule(unit: Unit, r: A.LegRule) -> None:
    _leg_ref(unit, r.leg, r.span)
    _amount(unit, r.amount, ("pct", "pts", "money"), f"a {r.rule.replace('_', ' ')}")


def _check_on(unit: Unit, on: A.On) -> None:
    _leg_ref(unit, on.leg, on.span)
    if on.action.target not in (None, "others"):
        _leg_ref(unit, on.action.target, on.action.span)


def _check_shift(unit: Unit, s: A.Shift) -> None:
    _leg_ref(unit, s.leg, s.span)
    _strike(unit, s.strike)
    _condition(unit, s.when, "shift ... when")


def _check_exit_at(unit: Unit, e: A.ExitAt) -> None:
    _time_ref(unit, e.at, "exit at")
    if e.when is not None:
        _condition(unit, e.when, "exit ... when")


def _check_max_cycles(unit: Unit, m: A.MaxCycles) -> None:
    if m.n < 1 or m.n > L.MAX_CYCLES:
        unit.error("E0405", f"max_cycles must be from 1 to {L.MAX_CYCLES:,}", m.span)


def _check_trail_mtm(unit: Unit, t: A.TrailMtm) -> None:
    if isinstance(t.after, A.MoneyParam) or isinstance(t.by, A.MoneyParam):
        return P.check_trail_mtm_params(unit, t)
    if t.by.value <= 0:
        unit.error("E0405", "trail_mtm ... by needs an amount above 0", t.by.span)


def _cost_key(c: A.CostSetting) -> str:
    return f"commission per {c.unit}" if c.setting == "commission" else c.setting


def _check_costs(unit: Unit, c: A.CostSetting) -> None:
    """A known preset (or a .toml file), a slippage below 100 %, each setting once."""
    from optbt.engine.charges import PRESETS
    if c.setting == "preset" and c.preset not in PRESETS and not c.preset.endswith(".toml"):
        unit.error("E0420", f"unknown cost preset '{c.preset}'", c.span, "not a preset",
                   f"presets: {', '.join(PRESETS)}, or a \"file.toml\"{did_you_mean(c.preset, PRESETS)}")
    if c.setting == "slippage" and c.unit == "pct" and c.value >= 100:
        unit.error("E0405", "slippage must be below 100% of the price", c.span, "", "for example costs slippage 0.1%")
    same = [o for o in unit.program.of(A.CostSetting) if _cost_key(o) == _cost_key(c)]
    if same[0] is not c:
        unit.error("E0202", f"'costs {_cost_key(c)}' appears twice", c.span, "", "keep one")


# -- leg management: re-entry, wait-and-trade, staggered and lazy legs, trailing after/every ------------
MAX_REENTRIES = L.MAX_REENTRIES


def lazy_legs(unit: Unit) -> list[str]:
    """Legs opened only by an ``open`` action (AlgoTest's lazy legs), in declaration order."""
    opened = {on.action.target for on in unit.program.of(A.On) if on.action.what == "open"}
    return [name for name in unit.legs if name in opened]


def _check_reentry(unit: Unit, r: A.Reentry) -> None:
    _leg_ref(unit, r.leg, r.span)
    if r.max_param is not None:
        p = unit.params.get(r.max_param)
        if p is None:
            unit.error("E0201", f"unknown parameter '{r.max_param}'", r.span, "not a parameter",
                       did_you_mean(r.max_param, unit.params).strip(" ()") or "declare it under params: n_re: int = 2")
            return
        unit.used.add(p.name)
        if p.type != "int":
            unit.error("E0401", f"'{p.name}' is {article(p.type)}; a re-entry count needs an int parameter", r.span)
            return
        keep(unit.param_rules, p.name, "reentries", "a re-entry count")  # --param/--grid values too
        values = param_values(unit, p.name) if _value_fits(p, p.default) else []
        bad = [v for v in values if not 1 <= v <= MAX_REENTRIES]
        if bad:
            unit.error("E0405", f"a re-entry count is from 1 to {MAX_REENTRIES}; '{p.name}' can be {show(bad[0])}",
                       r.span)
    elif not 1 <= r.max <= MAX_REENTRIES:
        unit.error("E0405", f"a re-entry count is from 1 to {MAX_REENTRIES}", r.span, "",
                   "write max 1 for one re-entry a day")


def _check_wait(unit: Unit, w: A.Wait) -> None:
    _leg_ref(unit, w.leg, w.span)
    _amount(unit, w.amount, ("pct", "pts"), "a premium move")


def _check_leg_entry(unit: Unit, e: A.LegEntry) -> None:
    _leg_ref(unit, e.leg, e.span)
    _time_ref(unit, e.at, "entry LEG at")


def _check_leg_trail(unit: Unit, t: A.LegTrail) -> None:
    _leg_ref(unit, t.leg, t.span)
    if t.rule != "trailing":
        unit.error("E0410", f"'{'every' if t.every is not None else 'after'}' belongs to trailing, not {t.rule}",
                   t.span, "", f"write trailing {t.leg or 'each leg'} ... or drop the '{'every' if t.every else 'after'}' part")
        return
    for amount, what in ((t.distance, "a trailing distance"), (t.every, "a trailing step"),
                         (t.by, "a trailing move"), (t.after, "a move before trailing starts")):
        if amount is not None:
            _amount(unit, amount, ("pct", "pts", "money"), what)


def _covers(rule_leg: str | None, leg: str) -> bool:
    return rule_leg is None or rule_leg == leg


def _entry_reads_open_legs(unit: Unit) -> None:
    """``entry when ce.pnl > ...``: no leg is open while an entry is tried, so a leg's entry price
    or PnL is never known there and the entry would silently never happen: refused (E0411)."""
    for entry in unit.program.of(A.Entry):
        stack = [entry.when] if entry.when is not None else []
        while stack:
            node = stack.pop()
            if isinstance(node, A.Attr) and node.attr in ("entry_price", "pnl"):
                unit.error("E0411", f"{node.obj}.{node.attr} is never known when an entry is tried", node.span,
                           "no leg is open before the entry",
                           f"the entry would never happen; use {node.obj}.ltp (the price of the contract it "
                           "would open), or move the condition to exit when / shift ... when")
            stack += [getattr(node, f) for f in ("operand", "left", "right") if getattr(node, f, None) is not None]
            stack += list(getattr(node, "operands", ()) or ())


def _lazy_never_open(unit: Unit, lazy: list[str]) -> None:
    """A lazy leg opened only by actions on the exits of legs that never open (``on stop_loss(ce):
    open ce``: ce is lazy, so it never opens and its stop never runs the action). Such a leg
    silently never traded; it is refused as a file whose every leg an action opens is."""
    opens = [on for on in unit.program.of(A.On) if on.action.what == "open"]
    reach = {name for name in unit.legs if name not in lazy}
    grown = True
    while grown:
        grown = False
        for on in opens:
            if on.action.target not in reach and (on.leg is None or on.leg in reach):
                reach.add(on.action.target)
                grown = True
    for name in lazy:
        if name not in reach:
            first = next(on for on in opens if on.action.target == name)
            again = (f"to open {name} again after its own {first.event}, write 'reentry {name} on {first.event} "
                     f"asap max 1' instead" if first.leg == name else
                     f"open it on the stop or target of a leg that opens at the entry, or drop the 'open {name}'")
            unit.error("E0410", f"leg '{name}' never opens: only an action opens it, on the exit of a leg that "
                       "is itself never open", first.span, "", again)


def _leg_plan(unit: Unit) -> None:
    """What needs the whole program: duplicates, and settings that build on another setting."""
    prog = unit.program
    if unit.diagnostics:
        return
    _entry_reads_open_legs(unit)
    lazy = lazy_legs(unit)
    if lazy and len(lazy) == len(unit.legs):
        first = next(on for on in prog.of(A.On) if on.action.what == "open")
        unit.error("E0410", "every leg is opened only by an action", first.span, "",
                   "at least one leg must open at the entry; the others can open on its stop or target")
    elif lazy:
        _lazy_never_open(unit, lazy)
    timed: set[str] = set()
    for e in prog.of(A.LegEntry):
        if e.leg in timed:
            unit.error("E0202", f"leg '{e.leg}' has two entry times", e.span)
        timed.add(e.leg)
        if e.leg in lazy:
            unit.error("E0410", f"leg '{e.leg}' is opened by an action; it cannot also have an entry time",
                       e.span, "", f"drop this line, or the 'open {e.leg}' action")
    seen: set[tuple] = set()
    for r in prog.of(A.Reentry):
        key = (r.leg, r.event)
        if key in seen:
            unit.error("E0202", f"two re-entry rules on {r.event} for {r.leg or 'each leg'}", r.span, "",
                       "keep one; a leg's own rule overrides an each-leg rule")
        seen.add(key)
        if r.how == "momentum":
            legs = [r.leg] if r.leg else list(unit.legs)
            waits = prog.of(A.Wait)
            missing = [name for name in legs if not any(_covers(w.leg, name) for w in waits)]
            if missing:
                unit.error("E0410", f"re-entry on momentum needs a wait rule for '{missing[0]}'", r.span, "",
                           f"add e.g.: wait {missing[0]} down 10%  (the move the re-entry waits for)")
    seen_w: set = set()
    for w in prog.of(A.Wait):
        if w.leg in seen_w:
            unit.error("E0202", f"two wait rules for {w.leg or 'each leg'}", w.span)
        seen_w.add(w.leg)
    stops = [r for r in prog.of(A.LegRule) if r.rule == "stop_loss"]
    for t in prog.of(A.LegTrail):
        if t.every is None:
            continue
        legs = [t.leg] if t.leg else list(unit.legs)
        missing = [name for name in legs if not any(_covers(s.leg, name) for s in stops)]
        if missing:
            unit.error("E0410", f"trailing every ... moves the stop of '{missing[0]}', which has no stop_loss",
                       t.span, "", f"add e.g.: stop_loss {missing[0]} 30%")


_STATEMENT_CHECKS = {
    "leg": _check_leg,
    "entry": _check_entry,
    "leg_rule": _check_leg_rule,
    "on": _check_on,
    "shift": _check_shift,
    "exit_at": _check_exit_at,
    "exit_when": lambda u, e: _condition(u, e.when, "exit when"),
    "mtm_rule": lambda u, m: _amount(u, m.amount, ("pct", "money"), "an MTM " + m.rule[4:]),
    "max_cycles": _check_max_cycles,
    "expiry": lambda u, e: _expiry_rule(u, e.rule),
    "trail_mtm": _check_trail_mtm,
    "costs": _check_costs,
    "reentry": _check_reentry,
    "wait": _check_wait,
    "leg_entry": _check_leg_entry,
    "leg_trail": _check_leg_trail,
}
_STATEMENT_CHECKS.update(P.POSITION_CHECKS)


# -- expression types ---------------------------------------------------------------------------------
def expr_type(unit: Unit, e) -> str:
    """The type of ``e`` (recorded on the unit); reports mismatches. "?" after an error."""
    t = _TYPERS[e.kind](unit, e)
    unit.types[id(e)] = t
    return t


def _name_type(unit: Unit, e: A.Name) -> str:
    if e.name in unit.params:
        unit.used.add(e.name)
        return param_type(unit.params[e.name])
    if e.name in BUILTINS:
        return BUILTINS[e.name]
    if e.name in unit.legs:
        unit.error("E0203", f"'{e.name}' is a leg, not a value", e.span, "",
                   f"use {e.name}.ltp, {e.name}.entry_price or {e.name}.pnl")
        return "?"
    market = _signals.name_type(unit, e)
    if market is not None:
        return market
    scope = list(unit.params) + list(BUILTINS) + list(unit.legs) + _signals.series_names(unit)
    unit.error("E0201", f"unknown name '{e.name}'", e.span, "not a parameter, leg or built-in",
               did_you_mean(e.name, scope).strip(" ()") or "declare parameters under params")
    return "?"


def _attr_type(unit: Unit, e: A.Attr) -> str:
    market = _signals.attr_type(unit, e)  # spot.high, vix.prev.close, prev.close, orb.high
    if market is not None:
        return market
    if e.obj not in unit.legs:
        _leg_ref(unit, e.obj, e.span)
        return "?"
    if e.attr not in LEG_ATTRS:
        unit.error("E0203", f"legs have no '{e.attr}'", e.span, "",
                   f"use one of {', '.join(LEG_ATTRS)}{did_you_mean(e.attr, LEG_ATTRS)}")
        return "?"
    return LEG_ATTRS[e.attr]


def _arith_type(unit: Unit, e: A.BinOp) -> str:
    """A chain ``a + b - c`` is typed walking down its left side (no recursion along the chain)."""
    spine = []
    node = e
    while node.kind == "binop":
        spine.append(node)
        node = node.left
    lt = expr_type(unit, node)
    for b in reversed(spine):
        lt = _arith_pair(unit, b, lt, expr_type(unit, b.right))
        unit.types[id(b)] = lt
    return lt


def _arith_pair(unit: Unit, e: A.BinOp, lt: str, rt: str) -> str:
    if "?" in (lt, rt):
        return "?"
    num = {"number", "percent"}
    if lt in num and rt in num:
        return "number"
    if lt == rt == "money" and e.op in "+-":
        return "money"
    if e.op in "*/" and lt == "money" and rt in num:
        return "money"
    if e.op == "*" and rt == "money" and lt in num:
        return "money"
    unit.error("E0302" if "money" in (lt, rt) else "E0301", f"cannot {e.op} {_a(lt)} and {_a(rt)}", e.span, "",
               "amounts of money are written rs 5000" if "money" in (lt, rt) else "")
    return "?"


_KIND = {"number": "a number", "percent": "a percentage", "money": "money", "time": "a time", "bool": "a condition",
         "weekday": "a weekday", "word": "a word", "status": "a leg status", "int": "a whole number",
         "float": "a number", "choice": "a choice", "?": "a value of another kind"}


def _a(kind: str) -> str:
    """A kind of value in words: ``money``, ``a number``, ``a choice of mode``."""
    return f"a choice of {kind.split(':', 1)[1]}" if kind.startswith("choice:") else _KIND.get(kind, f"a {kind}")


def _neg_type(unit: Unit, e: A.Neg) -> str:
    t = expr_type(unit, e.operand)
    if t in ("number", "percent", "money", "?"):
        return t
    unit.error("E0301", f"cannot negate {_a(t)}", e.span, "a minus sign takes a number, a percentage or money",
               "compare first, then combine conditions with not: not (spot < 1)" if t == "bool" else "")
    return "?"


def _status_compare(unit: Unit, e: A.Compare) -> bool:
    """``ce.status == open``: a leg's status compares (== and !=) with waiting, open or closed."""
    sides = (e.left, e.right)
    attr = next((s for s in sides if isinstance(s, A.Attr) and s.attr == "status"), None)
    if attr is None:
        return False
    other = e.right if attr is e.left else e.left
    expr_type(unit, attr)
    if e.op not in ("==", "!="):
        unit.error("E0301", "a leg's status compares with == and !=", e.span, "", "write ce.status == open")
    elif not (isinstance(other, A.Name) and other.name in LEG_STATUS):
        unit.error("E0301", "a leg's status is waiting, open or closed", other.span, "",
                   f"write {attr.obj}.status == open" + (did_you_mean(other.name, LEG_STATUS)
                                                         if isinstance(other, A.Name) else ""))
    else:
        unit.types[id(other)] = "status"
    return True


def _choice_compare(unit: Unit, e: A.Compare) -> bool:
    """``mode == fast``, ``slow != mode``: a bare word beside a choice parameter is one of its
    options, not a name (the parameter's options are words, like a leg's status)."""
    for param, other in ((e.left, e.right), (e.right, e.left)):
        if not (isinstance(param, A.Name) and isinstance(other, A.Name)):
            continue
        p = unit.params.get(param.name)
        if p is None or p.type != "choice":
            continue
        known = set(unit.params) | set(BUILTINS) | set(unit.legs) | set(_signals.series_names(unit))
        if other.name not in (p.choices or []) and other.name in known:
            continue
        expr_type(unit, param)
        unit.types[id(other)] = "word"
        if e.op not in ("==", "!="):
            unit.error("E0301", f"'{e.op}' does not order a choice", e.span, "",
                       f"a choice compares with == and != (or in (...)): {param.name} == {other.name}")
        else:
            _choice_word(unit, param_type(p), A.Word(value=other.name, span=other.span))
        return True
    return False


def _compare_type(unit: Unit, e: A.Compare) -> str:
    if (isinstance(e.left, A.Attr) or isinstance(e.right, A.Attr)) and _status_compare(unit, e):
        return "bool"
    if _choice_compare(unit, e):
        return "bool"
    lt, rt = expr_type(unit, e.left), expr_type(unit, e.right)
    if "?" in (lt, rt):
        return "bool"
    pair = {lt, rt}
    ordered = e.op not in ("==", "!=")
    if ordered and (pair & {"bool", "word", "weekday"} or any(t.startswith("choice:") for t in pair)):
        unit.error("E0301", f"'{e.op}' does not order {_a(lt)} and {_a(rt)}", e.span, "",
                   "weekdays, choices and true/false compare with == and != (or in (...))")
        return "bool"
    if lt == rt and (lt not in ("bool", "word") or (lt == "bool" and not ordered)):
        return "bool"
    if pair <= {"number", "percent"} and lt != rt:
        unit.error("E0301", f"cannot compare {_a(lt)} with {_a(rt)}", e.span, "",
                   _iv_hint(e) or "a percentage compares with a percentage parameter; prices compare with numbers")
        return "bool"
    if "money" in pair and "number" in pair:
        unit.error("E0302", "money compares with money", e.span, "a bare number",
                   "write the amount with its unit, e.g. rs 5000")
        return "bool"
    choice = next((t for t in pair if t.startswith("choice:")), None)
    if choice and "word" in pair and e.op in ("==", "!="):
        word = e.right if rt == "word" else e.left
        _choice_word(unit, choice, word)
        return "bool"
    if lt == rt == "weekday" or (pair == {"weekday", "word"} and e.op in ("==", "!=")):
        return "bool"
    hint = "write a time like 09:20" if "time" in pair else ""
    unit.error("E0301", f"cannot compare {_a(lt)} with {_a(rt)}", e.span, "", hint)
    return "bool"


def _iv_hint(e: A.Compare) -> str:
    """The fix for ``ce.iv > 0.3``: an IV is a percentage in the language."""
    for side, other in ((e.left, e.right), (e.right, e.left)):
        if isinstance(side, A.Attr) and side.attr == "iv":
            shown = f"{show(other.value * 100)}%" if isinstance(other, A.Num) else "30%"
            return f"{side.obj}.iv is a percentage: write {side.obj}.iv {e.op} {shown}"
    return ""


def _choice_word(unit: Unit, choice: str, word: A.Word) -> None:
    options = unit.params[choice.split(":", 1)[1]].choices or []
    if word.value not in options:
        unit.error("E0201", f"'{word.value}' is not one of {', '.join(options)}", word.span, "",
                   did_you_mean(word.value, options).strip(" ()"))


def _member_type(unit: Unit, e: A.Member) -> str:
    t = expr_type(unit, e.operand)
    if t == "weekday":
        for w in e.items:
            if w.value not in WEEKDAYS:
                unit.error("E0201", f"'{w.value}' is not a weekday", w.span, "", "weekdays are Mon Tue Wed Thu Fri")
    elif t.startswith("choice:"):
        for w in e.items:
            _choice_word(unit, t, w)
    elif t == "status":
        for w in e.items:
            if w.value not in LEG_STATUS:
                unit.error("E0201", f"'{w.value}' is not a leg status", w.span, "",
                           "a leg is waiting, open or closed" + did_you_mean(w.value, LEG_STATUS))
    elif t != "?":
        unit.error("E0301", f"'in (...)' needs a weekday or a choice parameter, not {_a(t)}", e.operand.span)
    return "bool"


def _bool_operands(unit: Unit, operands, span) -> str:
    for op in operands:
        t = expr_type(unit, op)
        if t not in ("bool", "?"):
            unit.error("E0303", f"and/or/not combine conditions; this is {_a(t)}", op.span)
    return "bool"


def _time_literal(unit: Unit, e: A.Time) -> str:
    hh, mm = (int(x) for x in e.value.split(":"))
    if hh > 23 or mm > 59:
        unit.error("E0405", f"{e.value} is not a time of day", e.span, "", "times run from 00:00 to 23:59")
    return "time"


_TYPERS = {
    "num": lambda u, e: "number", "pct": lambda u, e: "percent", "time": _time_literal,
    "money": lambda u, e: "money", "bool": lambda u, e: "bool", "word": lambda u, e: "word",
    "name": _name_type, "attr": _attr_type,
    "neg": lambda u, e: _neg_type(u, e),
    "binop": _arith_type, "compare": _compare_type, "member": _member_type,
    "not": lambda u, e: _bool_operands(u, [e.operand], e.span),
    "boolop": lambda u, e: _bool_operands(u, e.operands, e.span),
}


def _signal_declarations(unit: Unit) -> None:
    _signals.check_declarations(sys.modules[__name__], unit)


_TYPERS.update(_signals.typers(sys.modules[__name__]))  # calls, intervals, x[n], crosses (optbt.dsl.signals)
_TYPERS["money_param"] = P.money_param_type
