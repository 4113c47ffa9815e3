"""Lowering of the position-level constructs (issue 13) to Python; :mod:`optbt.dsl.compiler`
calls in here only for a file that uses them, so every other file compiles to the same code
as before (and pays nothing more on a tick).

Leg strikes that refer to other legs are worked out in dependency order (``unit.leg_order``)
into a local ``pending`` dict of legs, then returned in declaration order; a leg's price read
by a strike (``premium ~ sell_ce.ltp * 50%``) is the price of the contract chosen for it on
this tick (``LegStrikes.pending_price``).
"""

from __future__ import annotations

from optbt.dsl import ast as A
from optbt.dsl.checks_position import strike_refs

def uses_name(node, name: str) -> bool:
    """Whether the program (or node) reads the built-in ``name`` anywhere."""
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, A.Name) and x.name == name:
            return True
        if isinstance(x, (A.Node, A.Program)):
            stack += [getattr(x, f) for f in type(x).model_fields if f != "span"]
        elif isinstance(x, list):
            stack += x
    return False


def mixins(unit) -> list[str]:
    """The runtime mixins the compiled class takes (none for a file without the constructs)."""
    prog = unit.program
    out = []
    if prog.of(A.OverallRule) or prog.of(A.Lock) or prog.of(A.CreditRule):
        out.append("PositionRules")
    strikes = [leg.strike for leg in unit.legs.values()] + [s.strike for s in prog.of(A.Shift)]
    if prog.of(A.AtmFrom) or any(isinstance(s, A.StrikeRule) and s.how != "delta" for s in strikes) or \
            ("straddle" not in unit.params and uses_name(prog, "straddle")):
        out.append("LegStrikes")
    return out


def _ref(low, e, as_int: bool = False) -> str:
    """A strike amount: a number literal or a parameter."""
    if isinstance(e, A.Num):
        return repr(int(e.value)) if as_int else repr(e.value)
    return low.expr(e)


def strike_rule_py(s: A.StrikeRule, opt_type: str, low, pending: str = "{}", expiry: str = "") -> str:
    """A strike rule as Python; ``expiry`` is ``", <the leg's expiry rule>"`` or "" (the strategy's)."""
    if s.how == "atm":
        steps = _ref(low, s.amount, True)
        return f"self.strike_steps(ctx, {'-' if s.sign < 0 else ''}{steps})"
    if s.how in ("itm", "otm"):
        if s.how == "otm" and isinstance(s.amount, A.Name) and s.amount.name in low.unit.params \
                and low.unit.params[s.amount.name].type == "percent":  # OTM pct: a percentage out
            return f"self.strike_otm(ctx, {opt_type!r}, {low.expr(s.amount)})"
        return f"self.strike_moneyness(ctx, {opt_type!r}, {_ref(low, s.amount, True)}, {s.how == 'itm'!r})"
    if s.how == "premium":
        target = strike_lowerer(low, pending).expr(s.amount)
        return f"self.strike_premium_of(ctx, {opt_type!r}, {s.mode!r}, {target}{expiry})"
    if s.how == "straddle":
        return f"self.strike_straddle(ctx, {'-' if s.sign < 0 else ''}{_ref(low, s.amount)})"
    if s.how == "leg":
        points = "" if s.amount is None else f", {'-' if s.sign < 0 else ''}{_ref(low, s.amount)}"
        return f"self.strike_from(ctx, {pending}, {s.leg!r}{points})"
    raise NotImplementedError(f"no lowering for strike {s.how!r}")


def strike_lowerer(low, pending: str):
    """Expressions inside a strike rule: another leg's ``ltp`` / ``entry_price`` is the price of
    the contract chosen for it on this tick (``pending``), everything else as in any expression."""
    class StrikeLowerer(type(low)):  # the compiler's Lowerer (not imported: the compiler imports this module)
        def x_attr(self, e):
            return f"self.pending_price(ctx, {pending}, {e.obj!r})"

    return StrikeLowerer(low.unit, low.attrs)


def legs_py(gen, strike_py) -> list:
    """``legs()`` for a file whose strikes refer to other legs: each strike in dependency order,
    into ``pending``; nothing opens while any strike is unknown."""
    unit = gen.unit
    lines: list = ["    def legs(self, ctx):", "        pending = {}"]
    for name in unit.leg_order or list(unit.legs):
        leg = unit.legs[name]
        lines.append((f"        strike = {strike_py(leg.strike, leg.opt_type, gen.low, 'pending', gen.expiry_py(leg))}",
                      leg))
        lines += ["        if strike is None:", "            return None"]
        lines.append((f"        pending[{name!r}] = self.add(strike, {leg.opt_type!r}, {leg.side!r}, "
                      f"{gen.qty_py(leg)}{gen.expiry_arg(leg)})", leg))
    lines.append("        return {" + ", ".join(f"{n!r}: pending[{n!r}]" for n in unit.legs) + "}")
    return lines


def needs_pending(unit) -> bool:
    return any(strike_refs(leg.strike) for leg in unit.legs.values())


def position_rules_py(gen) -> list:
    """``position_rules()``: the overall rules, the lock and the credit exits as data."""
    prog, attrs = gen.prog, gen.attrs
    items = []

    def value(amount) -> str:
        return repr(amount.value) if amount.param is None else f"self.{attrs.get(amount.param, amount.param)}"

    def credit(c: A.CreditAmount) -> tuple[str, str]:
        if c.unit != "param":
            return c.unit, repr(c.value)
        p = gen.unit.params[c.param]
        return ("pct" if p.type == "percent" else "times"), f"self.{attrs.get(c.param, c.param)}"

    for r in prog.of(A.OverallRule):
        unit, v = credit(r.amount) if isinstance(r.amount, A.CreditAmount) else ("money", value(r.amount))
        items.append((f"            {r.rule!r}: ({unit!r}, {v}),", r))
    for lk in prog.of(A.Lock)[:1]:
        every = "None" if lk.every is None else value(lk.every)
        by = "None" if lk.by is None else value(lk.by)
        items.append((f"            'lock': ({value(lk.at)}, {value(lk.keep)}, {every}, {by}),", lk))
    for r in prog.of(A.CreditRule):
        name = "credit_stop" if r.rule == "stop_loss" else "credit_target"
        unit, v = credit(r.amount)
        items.append((f"            {name!r}: ({unit!r}, {v}),", r))
    if not items:
        return []
    return ["    def position_rules(self):", "        return {"] + items + ["        }"]


def expiry_param_py(rule: A.ExpiryParam, attrs: dict) -> str:
    op = "=" if rule.op == "==" else rule.op
    return f"'dte{op}' + str(int(self.{attrs.get(rule.param, rule.param)}))"


def expiry_property(unit, attrs: dict) -> list:
    exp = unit.program.of(A.ExpiryStmt)
    if not exp or not isinstance(exp[0].rule, A.ExpiryParam):
        return []
    return ["    @property", "    def expiry(self):", (f"        return {expiry_param_py(exp[0].rule, attrs)}", exp[0])]


def param_kinds(unit) -> dict[str, str]:
    """Kinds of the parameters written with a unit (``sl_pts pts``, ``rs risk``): the engine then
    refuses a negative ``--param`` value for them as it does for percentages."""
    prog = unit.program
    amounts = [r.amount for r in prog.of(A.LegRule)] + [r.amount for r in prog.of(A.MtmRule)]
    amounts += [r.amount for r in prog.of(A.OverallRule) if isinstance(r.amount, A.Amount)]
    for lk in prog.of(A.Lock):
        amounts += [a for a in (lk.at, lk.keep, lk.every, lk.by) if a is not None]
    kinds = {}
    for a in amounts:
        if a.param is not None and a.unit in ("pts", "money") and a.param in unit.params:
            kinds[a.param] = "points" if a.unit == "pts" else "money"
    strikes = [leg.strike for leg in unit.legs.values()] + [s.strike for s in prog.of(A.Shift)]
    for s in strikes:
        if isinstance(s, A.StrikeRule) and s.how == "delta" and isinstance(s.amount, A.Name) \
                and s.amount.name in unit.params:
            kinds[s.amount.name] = "delta"
    rules = [e.rule for e in prog.of(A.ExpiryStmt)] + [leg.expiry for leg in unit.legs.values()]
    for rule in rules:
        if isinstance(rule, A.ExpiryParam) and rule.param in unit.params:
            kinds[rule.param] = "days"
    return kinds
