"""AST -> readable Python: one DslStrategy subclass per .strat file.

The pipeline is an ordered tuple of passes (parse -> check -> lower). Lowering dispatches by
node kind through tables; a kind with no handler is a hard error, never a silent skip. The
generated source is built only from a checked AST: identifiers passed the identifier rule
(letters, digits, underscores, starting with a letter) and are renamed where Python or the
Strategy base class gives them a meaning (``class`` -> ``class_``, a strategy ``none`` -> class
``NoneStrategy``; the renaming is listed in a comment at the top of the output); every other
piece of user text (file name, description, leg keys, words) is emitted only through
``repr``. Annotations are strings (``from __future__ import annotations``), so a parameter
named ``int`` cannot change what another parameter's annotation means.
"""

from __future__ import annotations

import builtins
import keyword
import os
import re
import sys
import threading
from pathlib import Path

from optbt.dsl import ast as A
from optbt.dsl import signals as _signals
from optbt.dsl import compile_position as CP
from optbt.dsl.checks import Unit, check
from optbt.dsl.values import sweep_values
from optbt.dsl.diagnostics import StratError
from optbt.dsl.limits import Limits
from optbt.dsl.never_fires import run_spec
from optbt.dsl.lines import split_lines
from optbt.dsl.parser import parse_text, split_comment

_PY_TYPE = {"int": "int", "float": "float", "percent": "float", "time": "str", "bool": "bool", "choice": "str"}
_BUILTIN_PY = {"spot": "num(ctx.spot)", "atm": "num(ctx.atm)", "dte": "num(ctx.dte)", "time": "ctx.time",
               "mtm": "ctx.mtm", "pnl": "ctx.day_pnl", "weekday": "ctx.weekday", "day": "ctx.weekday",
               "net_delta": "num(ctx.net_delta)"}
_BUILTIN_PY["straddle"] = "self.straddle_premium(ctx)"  # the ATM straddle's premium (LegStrikes)
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}
_INVERSE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_NUMERIC = frozenset(("number", "percent", "money"))  # kinds compared with the levels' tolerance
_NUMERIC_CMP = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "neq"}
_ATTR_PY = {"ltp": "self.leg_ltp", "entry_price": "self.leg_entry_price", "pnl": "self.leg_pnl",
            "iv": "self.leg_iv", "delta": "self.leg_delta", "gamma": "self.leg_gamma", "theta": "self.leg_theta",
            "vega": "self.leg_vega",
            "reentries": "self.leg_reentries", "status": "self.leg_status"}


def class_name(name: str) -> str:
    """``straddle_920`` -> ``Straddle920``.

    >>> class_name("iron_condor_mtm")
    'IronCondorMtm'
    """
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "Strategy"


def _python_taken() -> frozenset[str]:
    """Names a generated class may not define: Python's words and builtins, the Strategy base
    class's members (methods, class attributes, attributes set on instances) and the generated
    module's own globals."""
    from optbt.dsl.legplan import LegPlanStrategy
    from optbt.dsl.runtime import DslStrategy
    return frozenset(set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins)) | set(dir(DslStrategy))
                     | set(dir(LegPlanStrategy))
                     | {"positions", "closed_trades", "self", "ctx", "num", "nz", "ne", "annotations", "DslStrategy",
                        "lt", "le", "gt", "ge", "eq", "neq",
                        "legs_waiting", "LegPlanStrategy"})


def python_names(unit: Unit) -> tuple[str, dict[str, str]]:
    """(class name, {parameter: attribute}) — the same file always gets the same names.

    A name Python or the base class already uses gets ``_`` appended (more than one if that
    is taken too); a class name gets ``Strategy`` appended.
    """
    taken = _python_taken()
    cls = class_name(unit.header.name)
    if cls in taken:
        cls += "Strategy"
    while cls in taken:
        cls += "_"
    user = set(unit.params) | set(unit.legs)
    attrs: dict[str, str] = {}
    for name in unit.params:
        attr = name
        if attr in taken:
            attr += "_"
            while attr in taken or attr in user or attr in attrs.values():
                attr += "_"
        attrs[name] = attr
    return cls, attrs


def literal_value(lit):
    """A literal's Python value as a parameter default holds it."""
    if lit.kind == "time":
        return lit.value
    if lit.kind in ("num", "pct", "money"):
        return lit.value
    return lit.value  # bool, word


# -- expressions ---------------------------------------------------------------------------------------
class Lowerer:
    """Expression lowering, by node kind."""

    def __init__(self, unit: Unit, attrs: dict[str, str] | None = None):
        self.unit = unit
        self.attrs = attrs or {}

    def expr(self, e) -> str:
        handler = getattr(self, "x_" + e.kind, None)
        if handler is None:
            raise NotImplementedError(f"no lowering for expression kind {e.kind!r}")
        return handler(e)

    def _as_number(self, e) -> str:
        """In arithmetic a percentage is a fraction: 130% -> 1.3, a percent parameter -> p / 100."""
        text = self.expr(e)
        if self.unit.types.get(id(e)) == "percent":
            return repr(e.value / 100) if isinstance(e, A.Pct) else f"({text} / 100)"
        return text

    def x_num(self, e):
        return repr(e.value)

    def x_pct(self, e):
        return repr(e.value)

    def x_time(self, e):
        return repr(e.value)

    def x_money(self, e):
        return repr(e.value)

    def x_bool(self, e):
        return repr(e.value)

    def x_money_param(self, e):
        return f"self.{self.attrs.get(e.param, e.param)}"

    def x_word(self, e):
        return repr(e.value)

    def x_name(self, e):
        if self.unit.types.get(id(e)) in ("status", "word"):  # ce.status == open, mode == fast: a word
            return repr(e.name)
        if e.name in self.unit.params:
            return f"self.{self.attrs.get(e.name, e.name)}"
        return _signals.lower_name(self, e) or _BUILTIN_PY[e.name]

    def x_attr(self, e):
        return _signals.lower_attr(self, e) or f"{_ATTR_PY[e.attr]}(ctx, {e.obj!r})"

    def x_call(self, e):
        return _signals.lower_call(self, e)

    def x_lookback(self, e):
        return _signals.lower_lookback(self, e)

    def x_crosses(self, e):
        return _signals.lower_crosses(self, e)

    def x_neg(self, e):
        return f"-{self.expr(e.operand)}"

    def x_binop(self, e):
        """A chain ``a + b - c`` is written flat (one pair of brackets), walked without recursion,
        so a long sum stays far below Python's nesting limits. Division by zero gives NaN
        (``nz``): the comparison it feeds is then false, as for a value not known yet."""
        spine = []
        node = e
        while node.kind == "binop" and (not spine or _PREC[node.op] >= _PREC[spine[-1].op]):
            spine.append(node)
            node = node.left
        text = self._as_number(node)
        for b in reversed(spine):
            right = self._as_number(b.right)
            text = f"{text} / nz({right})" if b.op == "/" else f"{text} {b.op} {right}"
        return f"({text})"

    def x_compare(self, e):
        return self._compare(e.left, e.op, e.right)

    def _compare(self, left, op, right) -> str:
        """Numbers (prices, money, percentages) compare with the levels' tolerance (``lt(a, b)``
        ... ``neq(a, b)``, optbt.dsl.runtime): prices sit on a decimal grid, and ``(2.40 + 2.80)
        / 2 < 2.6`` must be false. Times, words and statuses compare exactly; ``!=`` is ``ne``.
        Every comparison is false when a side is not known (NaN)."""
        a, b = self._operand(left), self._operand(right)
        types = self.unit.types
        if types.get(id(left)) in _NUMERIC and types.get(id(right)) in _NUMERIC:
            return f"{_NUMERIC_CMP[op]}({a}, {b})"
        if op == "!=":
            return f"ne({a}, {b})"
        return f"{a} {op} {b}"

    def _operand(self, e) -> str:
        """A comparison's side; a condition there is bracketed (Python would chain ``a == b > c``)."""
        text = self.expr(e)
        return f"({text})" if e.kind in ("compare", "boolop", "not", "member") else text

    def x_member(self, e):
        items = ", ".join(repr(w.value) for w in e.items)
        return f"{self.expr(e.operand)} in ({items},)"

    def x_not(self, e):
        return self.negate(e.operand)

    def negate(self, e) -> str:
        """``not`` pushed down to the comparisons (De Morgan), so that a comparison with a value
        not known yet stays false under ``not`` too: ``not (spot > 1)`` is ``spot <= 1``."""
        if e.kind == "not":
            return f"({self.expr(e.operand)})"
        if e.kind == "compare":
            return self._compare(e.left, _INVERSE[e.op], e.right)
        if e.kind == "boolop":
            op = "or" if e.op == "and" else "and"
            return f" {op} ".join(f"({self.negate(o)})" for o in e.operands)
        if e.kind == "member":
            items = ", ".join(repr(w.value) for w in e.items)
            return f"{self.expr(e.operand)} not in ({items},)"
        if e.kind == "crosses":  # unknown stays false under not
            return _signals.lower_crosses(self, e, negated=True)
        return f"not ({self.expr(e)})"

    def x_boolop(self, e):
        return f" {e.op} ".join(f"({self.expr(o)})" for o in e.operands)


# -- statements -------------------------------------------------------------------------------------------
def _strike_py(strike: A.Strike, opt_type: str, low: Lowerer | None = None, pending: str = "{}",
               expiry: str | None = None) -> str:
    """A strike as Python. ``expiry`` is the leg's expiry rule as a Python expression (a
    literal's repr, or the text built from a swept parameter; None: the strategy's): a rule
    that reads prices (delta, premium) picks among the strikes of the leg's own expiry."""
    extra = f", {expiry}" if expiry else ""
    if isinstance(strike, A.StrikeRule) and strike.how == "delta":  # delta d: the parameter's value
        return f"self.strike_delta(ctx, {opt_type!r}, {strike.mode!r}, {low.expr(strike.amount)}{extra})"
    if isinstance(strike, A.StrikeRule):
        return CP.strike_rule_py(strike, opt_type, low, pending, extra)
    if strike.how == "atm":
        return f"self.strike_atm(ctx, {strike.offset!r})"
    if strike.how == "abs":
        return repr(strike.value)
    if strike.how == "otm":
        return f"self.strike_otm(ctx, {opt_type!r}, {strike.value!r})"
    if strike.how == "premium":
        return f"self.strike_premium(ctx, {opt_type!r}, {strike.mode!r}, {strike.value!r}{extra})"
    if strike.how == "delta":
        return f"self.strike_delta(ctx, {opt_type!r}, {strike.mode!r}, {strike.value!r}{extra})"
    raise NotImplementedError(f"no lowering for strike {strike.how!r}")


def cost_settings(lines: list) -> dict:
    """The costs section as the Strategy's COSTS (keys of the dataset's [costs]; see optbt.engine.costing).

    Commission is one setting: a file that gives only a per-order amount charges nothing per lot.
    """
    out: dict = {}
    for c in lines:
        if c.setting == "preset":
            out["preset"] = c.preset
        elif c.setting == "slippage":
            out.update(slippage=c.value, slippage_unit="points" if c.unit == "pts" else "percent")
        else:
            out.setdefault("commission_per_lot", 0.0)
            out.setdefault("commission_per_order", 0.0)
            out[f"commission_per_{c.unit}"] = c.value
    return out


def _expiry_rule(rule: A.ExpiryRule | None) -> str | None:
    if rule is None:
        return None
    if isinstance(rule, A.ExpiryParam):
        return None
    if rule.word is not None:
        return rule.word
    op = "=" if rule.op == "==" else rule.op
    return f"dte{op}{rule.days}"


def _amount_py(amount: A.Amount, attrs: dict[str, str]) -> tuple[str, str]:
    if amount.unit == "param":
        return "pct", f"self.{attrs.get(amount.param, amount.param)}"
    if amount.param is not None:  # sl_pts pts, rs risk
        return amount.unit, f"self.{attrs.get(amount.param, amount.param)}"
    return amount.unit, repr(amount.value)


class Generator:
    """Writes the class, section by section. A section is a list of lines; a line that carries
    out one statement is a ``(text, statement)`` pair, from which the source map is made."""

    def __init__(self, unit: Unit, source_name: str):
        self.unit = unit
        self.source_name = source_name
        self.cls, self.attrs = python_names(unit)
        self.low = Lowerer(unit, self.attrs)
        self.prog = unit.program
        self.line_map: dict[int, A.Span] = {}   # generated line (1-based) -> statement span

    def one(self, kind):
        found = self.prog.of(kind)
        return found[0] if found else None

    def source(self) -> str:
        header = self.unit.header
        doc = f"Compiled by optbt from {self.source_name}: edit the .strat file and compile again."
        out: list = [repr(doc), ""]
        renamed = self.renamed()
        if renamed:
            out += ["# names renamed for Python: " + "; ".join(renamed), ""]
        mixins = CP.mixins(self.unit)
        plan = uses_leg_plan(self.unit)
        base = "LegPlanStrategy" if plan else "DslStrategy"
        out += ["from __future__ import annotations", ""]
        if plan:
            out += ["from optbt.dsl.legplan import LegPlanStrategy"]
        out += ["from optbt.dsl.runtime import DslStrategy, ne, num, nz"]
        at_import = len(out) - 1  # the comparisons with the levels' tolerance join it once known used
        if mixins:
            out.append(f"from optbt.dsl.runtime import {', '.join(mixins)}")
        out += ["", "", f"class {self.cls}({', '.join(mixins + [base])}):",
                f"    {repr(header.description or header.name)}", ""]
        out += self.attributes()
        if plan:
            out += self.plan_attributes()
        methods = [self.legs, self.entry_ready, self.leg_rules, self.on_event, self.shift_rules,
                   self.mtm_rules, self.trail_mtm, self.exit_ready, self.position_rules, self.expiry_property]
        if plan:
            methods += [self.leg_one, self.leg_times, self.leg_waits, self.reentry_rules, self.trail_rules]
        for method in methods:
            body = method()
            if body:
                out += [""] + body
        signals = _signals.members(self.low, self.unit)  # what the file reads of the market, if anything
        if signals:
            out += [""] + signals
        body = "\n".join(item[0] if isinstance(item, tuple) else item for item in out[at_import + 1:])
        used = [name for name in _NUMERIC_CMP.values() if re.search(rf"\b{name}\(", body)]
        if used:
            out[at_import] = f"from optbt.dsl.runtime import {', '.join(['DslStrategy', *sorted({*used, 'ne', 'num', 'nz'})])}"
        lines = []
        for item in out:
            if isinstance(item, tuple):
                item, node = item
                if node.span is not None:
                    self.line_map[len(lines) + 1] = node.span
            lines.append(item)
        return "\n".join(lines) + "\n"

    def renamed(self) -> list[str]:
        out = []
        if self.cls != class_name(self.unit.header.name):
            out.append(f"strategy {self.unit.header.name!r} is class {self.cls}")
        out += [f"parameter {name!r} is self.{attr}" for name, attr in self.attrs.items() if attr != name]
        return out

    def attributes(self) -> list:
        lines = []
        for p in self.unit.params.values():
            value = literal_value(p.default)
            value = int(value) if p.type == "int" else value
            lines.append((f"    {self.attrs[p.name]}: {_PY_TYPE[p.type]} = {value!r}", p))
        renamed = {name: attr for name, attr in self.attrs.items() if attr != name}
        if renamed:
            lines.append(f"    PARAM_ATTRS = {renamed!r}")
        cycles = self.one(A.MaxCycles)
        lines.append(f"    max_cycles = {cycles.n if cycles else 1}")
        und = self.one(A.Underlying)
        if und is not None:
            lines.append(f"    underlying = {und.name!r}")
        exp = self.one(A.ExpiryStmt)
        if exp is None or not isinstance(exp.rule, A.ExpiryParam):  # a parameter's rule is a property
            lines.append(f"    expiry = {_expiry_rule(exp.rule) if exp else 'nearest'!r}")
        atm_from = self.one(A.AtmFrom)
        if atm_from is not None:
            lines.append(f"    atm_source = {atm_from.source!r}")
        sq = self.one(A.SquareOff)
        lines.append(f"    square_off = {sq.mode if sq else 'partial'!r}")
        sweep = {p.name: sweep_values(p) for p in self.unit.params.values() if p.sweep is not None}
        if sweep:
            lines.append(f"    SWEEP = {sweep!r}")
        choices = {p.name: tuple(p.choices or ()) for p in self.unit.params.values() if p.type == "choice"}
        if choices:
            lines.append(f"    CHOICES = {choices!r}")
        rules = {name: tuple(checks) for name, checks in self.unit.param_rules.items() if checks}
        if rules:
            lines.append(f"    PARAM_RULES = {rules!r}")
        costs = cost_settings(self.unit.program.of(A.CostSetting))
        if costs:
            lines.append(f"    COSTS = {costs!r}")
        return lines

    def position_rules(self) -> list:
        return CP.position_rules_py(self)

    def expiry_property(self) -> list:
        return CP.expiry_property(self.unit, self.attrs)

    def qty_py(self, leg) -> str:
        qty = "1" if leg.qty is None else self.low.expr(leg.qty)
        if leg.qty is not None and not isinstance(leg.qty, (A.Num, A.Name)):
            qty = f"self.lots_of({qty})"
        elif isinstance(leg.qty, A.Num):
            qty = repr(int(leg.qty.value))
        return qty

    def expiry_py(self, leg) -> str | None:
        """The leg's own expiry rule as a Python expression, or None (the strategy's)."""
        if isinstance(leg.expiry, A.ExpiryParam):
            return CP.expiry_param_py(leg.expiry, self.attrs)
        expiry = _expiry_rule(leg.expiry)
        return repr(expiry) if expiry else None

    def expiry_arg(self, leg) -> str:
        expiry = self.expiry_py(leg)
        return f", expiry={expiry}" if expiry else ""

    def legs(self) -> list:
        if CP.needs_pending(self.unit):
            return CP.legs_py(self, _strike_py)
        legs = list(self.unit.legs.items())
        lines: list = ["    def legs(self, ctx):"]
        if len(legs) == 1:
            leg = legs[0][1]
            lines.append((f"        strikes = ({_strike_py(leg.strike, leg.opt_type, self.low, expiry=self.expiry_py(leg))},)",
                          leg))
        else:
            lines.append("        strikes = (")
            lines += [(f"            {_strike_py(leg.strike, leg.opt_type, self.low, expiry=self.expiry_py(leg))},", leg)
                      for _, leg in legs]
            lines.append("        )")
        lines += ["        if None in strikes:", "            return None", "        return {"]
        for i, (name, leg) in enumerate(legs):
            qty = "1" if leg.qty is None else self.low.expr(leg.qty)
            if leg.qty is not None and not isinstance(leg.qty, (A.Num, A.Name)):
                qty = f"self.lots_of({qty})"
            elif isinstance(leg.qty, A.Num):
                qty = repr(int(leg.qty.value))
            extra = self.expiry_arg(leg)
            lines.append((f"            {name!r}: self.add(strikes[{i}], {leg.opt_type!r}, {leg.side!r}, {qty}{extra}),",
                          leg))
        lines.append("        }")
        return lines

    def entry_ready(self) -> list:
        entry = self.one(A.Entry)
        if entry is None:
            return []
        parts = []
        if entry.at is not None:
            parts.append(f"ctx.time >= {self.low.expr(entry.at)}")
        if entry.start is not None:
            parts.append(f"{self.low.expr(entry.start)} <= ctx.time <= {self.low.expr(entry.end)}")
        if entry.when is not None:
            parts.append(f"({self.low.expr(entry.when)})")
        return ["    def entry_ready(self, ctx):", (f"        return {' and '.join(parts) or 'True'}", entry)]

    def leg_rules(self) -> list:
        rules = self.prog.of(A.LegRule)
        if not rules:
            return []
        lines: list = ["    def leg_rules(self):", "        return ["]
        for r in rules:
            unit, value = _amount_py(r.amount, self.attrs)
            lines.append((f"            ({r.rule!r}, {r.leg!r}, {unit!r}, {value}),", r))
        return lines + ["        ]"]

    def on_event(self) -> list:
        ons = self.prog.of(A.On)
        if not ons:
            return []
        lines: list = ["    def on_event(self, ctx, event, key):"]
        for on in ons:
            cond = f"event == {on.event!r}" + (f" and key == {on.leg!r}" if on.leg else "")
            act = on.action
            if act.what == "move_to_cost":
                target = "self.others(key)" if act.target == "others" else repr([act.target])
                body = f"self.move_stop_to_cost({target})"
            elif act.what == "exit":
                body = "self.exit_position(event)"
            elif act.what == "close":
                body = f"self.close({act.target!r}, event) if {act.target!r} in self.positions else None"
            elif act.what == "open":
                body = f"self.open_leg(ctx, {act.target!r})"
            else:
                raise NotImplementedError(f"no lowering for action {act.what!r}")
            lines += [(f"        if {cond}:", on), (f"            {body}", on)]
        return lines

    def shift_rules(self) -> list:
        shifts = self.prog.of(A.Shift)
        if not shifts:
            return []
        lines: list = ["    def shift_rules(self, ctx):", "        out = []"]
        for s in shifts:
            leg = self.unit.legs[s.leg]
            strike = _strike_py(s.strike, leg.opt_type, self.low, expiry=self.expiry_py(leg))
            lines += [(f"        if {self.low.expr(s.when)}:", s),
                      (f"            out.append(({s.leg!r}, {strike}))", s)]
        return lines + ["        return out"]

    def mtm_rules(self) -> list:
        rules = self.prog.of(A.MtmRule)
        if not rules:
            return []
        items = ", ".join(f"({r.rule!r}, {_amount_py(r.amount, self.attrs)[0]!r}, {_amount_py(r.amount, self.attrs)[1]})"
                          for r in rules)
        return ["    def mtm_rules(self):", (f"        return [{items}]", rules[0])]

    def trail_mtm(self) -> list:
        t = self.one(A.TrailMtm)
        if t is None:
            return []
        return ["    def trail_mtm(self):", (f"        return ({self.low.expr(t.after)}, {self.low.expr(t.by)})", t)]

    def exit_ready(self) -> list:
        parts = []
        for e in self.prog.statements:
            if isinstance(e, A.ExitAt):
                text = f"ctx.time >= {self.low.expr(e.at)}"
                if e.when is not None:
                    text += f" or ({self.low.expr(e.when)})"
                parts.append((text, e))
            elif isinstance(e, A.ExitWhen):
                parts.append((f"({self.low.expr(e.when)})", e))
        if not parts:
            return []
        if len(parts) == 1:
            lines = ["    def exit_ready(self, ctx):", (f"        return {parts[0][0]}", parts[0][1])]
        else:
            lines = ["    def exit_ready(self, ctx):", "        return ("]
            lines += [(f"            {'or ' if i else ''}{text}", node) for i, (text, node) in enumerate(parts)]
            lines.append("        )")
        if all(isinstance(node, A.ExitAt) and node.when is None for _, node in parts):
            # times compared, nothing that can fail: the engine asks exit_ready itself each tick,
            # without DslStrategy.exit_check's guard (a call less on every tick a position is open)
            lines.append("    exit_check = exit_ready")
        return lines


    # -- leg management (optbt.dsl.legplan) ---------------------------------------------------------
    def plan_attributes(self) -> list:
        from optbt.dsl.checks import lazy_legs
        lines = [f"    LEG_NAMES = {tuple(self.unit.legs)!r}", f"    LAZY = {tuple(lazy_legs(self.unit))!r}"]
        order = tuple(self.unit.leg_order)
        if order and order != tuple(self.unit.legs):  # a leg placed by one declared after it
            lines.append(f"    STRIKE_ORDER = {order!r}")
        return lines

    def leg_one(self) -> list:
        lines: list = ["    def leg_one(self, ctx, name):"]
        for i, (name, leg) in enumerate(self.unit.legs.items()):
            qty = "1" if leg.qty is None else self.low.expr(leg.qty)
            if leg.qty is not None and not isinstance(leg.qty, (A.Num, A.Name)):
                qty = f"self.lots_of({qty})"
            elif isinstance(leg.qty, A.Num):
                qty = repr(int(leg.qty.value))
            extra = self.expiry_arg(leg)
            lines += [f"        {'if' if i == 0 else 'elif'} name == {name!r}:",
                      (f"            strike = {_strike_py(leg.strike, leg.opt_type, self.low, expiry=self.expiry_py(leg))}",
                       leg),
                      (f"            return None if strike is None else self.add(strike, {leg.opt_type!r}, "
                       f"{leg.side!r}, {qty}{extra})", leg)]
        return lines + ["        return None"]

    def leg_times(self) -> list:
        entries = self.prog.of(A.LegEntry)
        if not entries:
            return []
        items = [(f"            {e.leg!r}: {self.low.expr(e.at)},", e) for e in entries]
        return ["    def leg_times(self):", "        return {", *items, "        }"]

    def leg_waits(self) -> list:
        waits = self.prog.of(A.Wait)
        if not waits:
            return []
        chosen: dict[str, A.Wait] = {}
        for w in waits:  # a leg's own rule overrides an each-leg rule
            for name in ([w.leg] if w.leg else list(self.unit.legs)):
                if w.leg or name not in chosen:
                    chosen[name] = w
        lines: list = ["    def leg_waits(self):", "        return {"]
        for name, w in chosen.items():
            unit, value = _amount_py(w.amount, self.attrs)
            lines.append((f"            {name!r}: ({w.direction!r}, {unit!r}, {value}),", w))
        return lines + ["        }"]

    def reentry_rules(self) -> list:
        rules = self.prog.of(A.Reentry)
        if not rules:
            return []
        lines: list = ["    def reentry_rules(self):", "        return ["]
        def count(r):
            return repr(r.max) if r.max_param is None else f"self.{self.attrs.get(r.max_param, r.max_param)}"
        lines += [(f"            ({r.leg!r}, {r.event!r}, {r.how!r}, {r.reverse!r}, {count(r)}),", r) for r in rules]
        return lines + ["        ]"]

    def trail_rules(self) -> list:
        trails = self.prog.of(A.LegTrail)
        if not trails:
            return []

        def pair(a):
            if a is None:
                return "None"
            unit, value = _amount_py(a, self.attrs)
            return f"({unit!r}, {value})"
        lines: list = ["    def trail_rules(self):", "        return ["]
        if any(t.distance is not None for t in trails):
            # a trailing distance after a move and a plain trailing stop are one kind of rule: the
            # last written for a leg runs, so the plain ones are listed here too, in the file's order
            trails = [s for s in self.prog.statements
                      if isinstance(s, A.LegTrail) or (isinstance(s, A.LegRule) and s.rule == "trailing")]
        for t in trails:
            if isinstance(t, A.LegRule):
                lines.append((f"            ({t.leg!r}, {pair(t.amount)}, None, None, None),", t))
            else:
                lines.append((f"            ({t.leg!r}, {pair(t.distance)}, {pair(t.every)}, {pair(t.by)}, "
                              f"{pair(t.after)}),", t))
        return lines + ["        ]"]


_PLAN_STATEMENTS = (A.Reentry, A.Wait, A.LegEntry, A.LegTrail)


def _attrs_in(e):
    """Every leg attribute read in an expression (walked with a stack: expressions can be long)."""
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, A.Attr):
            yield node
        for name in ("operand", "left", "right"):
            child = getattr(node, name, None)
            if child is not None:
                stack.append(child)
        stack.extend(getattr(node, "operands", ()) or ())


def uses_leg_plan(unit: Unit) -> bool:
    """Whether the file needs LegPlanStrategy: a leg that opens later or again, or reads leg state
    that only it knows (status, reentries, the price of a leg the entry condition reads before it
    is open). Every other file compiles exactly as before and pays nothing on a tick."""
    prog = unit.program
    if any(isinstance(s, _PLAN_STATEMENTS) for s in prog.statements):
        return True
    if any(on.action.what == "open" for on in prog.of(A.On)):
        return True
    for s in prog.statements:
        for field in ("when", "qty"):
            e = getattr(s, field, None)
            if e is None or isinstance(e, (str, bool)):
                continue
            for attr in _attrs_in(e):
                if attr.attr in ("status", "reentries") or (attr.attr == "ltp" and isinstance(s, A.Entry)):
                    return True
    return False


# -- the pipeline -------------------------------------------------------------------------------------------
def _parse(state: dict) -> None:
    program, diags = parse_text(state["text"])
    state["program"] = program
    state["diagnostics"] += diags


def _check(state: dict) -> None:
    unit = check(state["program"], state.get("limits"))
    state["unit"] = unit
    if not state["diagnostics"]:  # names and types only make sense on a program that parsed
        state["diagnostics"] += unit.diagnostics


def _lower(state: dict) -> None:
    if state["diagnostics"]:
        return
    gen = Generator(state["unit"], state["name"])
    state["python"] = gen.source()
    state["class"] = gen.cls
    state["unit"].line_map = gen.line_map


PASSES = (_parse, _check, _lower)


def compile_text(text: str, filename: str = "<strat>", limits: Limits | None = None) -> tuple[str, str, Unit]:
    """(python source, class name, checked unit); raises StratError with every diagnostic.

    The unit's ``line_map`` maps lines of the source to the statements they carry out."""
    state = {"text": text, "name": Path(str(filename)).name, "diagnostics": [], "limits": limits}
    for step in PASSES:
        step(state)
    if state["diagnostics"]:
        raise StratError(state["diagnostics"], text, str(filename))
    return state["python"], state["class"], state["unit"]


def load_text(text: str, filename: str = "<strat>", remember_text: bool = False):
    """Compile and load: the Strategy subclass the file describes.

    The generated module is written to the cache (named by its content hash, so it is
    inspectable and written once) and run from those bytes
    (:func:`optbt.dsl.compiled_cache.run_module`). With ``remember_text`` (a file's load)
    which module this text compiled to is remembered, so the next load of the same file skips
    the front end.
    """
    import hashlib

    from optbt.data.sample import cache_dir
    from optbt.dsl.compiled_cache import LOCK, finish_class, remember, run_module

    with LOCK:
        source, cls_name, unit = compile_text(text, filename)
    digest = hashlib.sha1(source.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    module_name = f"optbt_strat_{cls_name.lower()}_{digest}"
    with LOCK:  # threads of one worker may load the same file at once
        module = sys.modules.get(module_name)
        if module is None:
            data = source.encode("utf-8")  # the bytes hashed, on every OS
            module = run_module(module_name, _written(cache_dir() / "compiled", module_name, data), data)
    strat_map = source_map(text, str(filename), module.__file__, unit.line_map)
    kinds = param_kinds(unit)
    # rules a run's --param value can keep from ever firing, too
    facts = {"times": session_times(unit), "never": run_spec(unit)}
    if remember_text:
        remember(text, str(filename), module, cls_name, strat_map, kinds, facts)
    return finish_class(getattr(module, cls_name), filename, strat_map, kinds, facts)


def _written(folder: Path, module_name: str, data: bytes) -> str:
    """The cache file holding ``data`` (written when missing or different), for tracebacks and
    for reading; a folder that cannot be written (``OPTBT_CACHE_DIR`` on a read-only disk, or a
    file in the way) is no error: the module then runs from memory under a name that says so."""
    path = folder / f"{module_name}.py"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            # a name of this process and thread: processes compiling at once never share a tmp file
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
    except OSError:
        return f"<{module_name}: not cached, {folder} cannot be written>"
    return str(path)


def param_kinds(unit: Unit) -> dict[str, str]:
    """What the engine checks when a parameter is set (``Strategy.PARAM_KINDS``): a percent is
    never negative, a time is ``H:MM``, an int used as a leg's quantity is a number of lots."""
    kinds = {p.name: p.type for p in unit.params.values() if p.type in ("percent", "time")}
    for leg in unit.legs.values():
        if isinstance(leg.qty, A.Name) and leg.qty.name in unit.params:
            kinds[leg.qty.name] = "lots"
    kinds.update(CP.param_kinds(unit))
    return kinds


def session_times(unit: Unit) -> dict:
    """The entry's and the exits' times, for the day's note when nothing entered
    (``DslStrategy._session_notes``): an entry window outside the session never holds, and an
    exit time at or before its open stops every entry. Each time is a literal ``"09:16"`` or a
    time parameter's .strat name (read on the instance: ``--param`` values count); a time
    written otherwise is left out. A staggered leg's time (``entry pe at 16:10``) and an exit
    time after the close do nothing on days that trade: the run warns
    (``DslStrategy._time_warnings``). Kept beside the compiled class (``__strat_times__``), not in
    it, so the compiled source is what it was: ``{"between": [start, end], "at": time,
    "exit": [time, ...], "legs": {leg: time}}``, each key only when the file has it."""
    def ref(e) -> str | None:
        if isinstance(e, A.Time):
            return e.value
        if isinstance(e, A.Name) and e.name in unit.params and unit.params[e.name].type == "time":
            return e.name
        return None

    out: dict = {}
    for entry in unit.program.of(A.Entry)[:1]:
        if entry.start is not None and ref(entry.start) and ref(entry.end):
            out["between"] = [ref(entry.start), ref(entry.end)]
        if entry.at is not None and ref(entry.at):
            out["at"] = ref(entry.at)
    exits = [r for r in (ref(e.at) for e in unit.program.of(A.ExitAt)) if r]
    if exits:
        out["exit"] = exits
    legs = {e.leg: ref(e.at) for e in unit.program.of(A.LegEntry) if ref(e.at)}
    if legs:
        out["legs"] = legs
    return out


def source_map(text: str, filename: str, module_file: str, line_map: dict[int, A.Span]) -> dict:
    """What a run-time failure needs to point at the .strat file: for each generated line,
    the statement's line, column and text as written (comment dropped)."""
    lines = split_lines(text)
    rules = {}
    for generated, span in line_map.items():
        written = lines[span.line - 1] if 0 < span.line <= len(lines) else ""
        rules[generated] = (span.line, span.column, split_comment(written)[0].strip())
    return {"file": filename, "module_file": module_file, "lines": rules}
