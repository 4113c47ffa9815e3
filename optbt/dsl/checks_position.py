"""Checks of the position-level constructs (issue 13): the day's overall stop / target, locks,
credit exits, the ATM source, the strike forms that take parameters or follow another leg or
the straddle, amounts and expiry rules written with parameters.

Kinds are checked where the value is used: a strike step is a whole number (an ``int``
parameter), points and money are numbers (``int`` / ``float``), a percentage is a ``percent``
parameter; a parameter of the wrong kind is E0302 (a unit is missing or wrong) with a hint.
Every default and sweep value is checked against the range the value must lie in (E0405).
:mod:`optbt.dsl.checks` calls in here; nothing here is reached by a file that does not use
these constructs.
"""

from __future__ import annotations

from optbt.dsl import ast as A
from optbt.dsl import limits as L
from optbt.dsl.param_rules import RULES, keep
from optbt.dsl.values import article, param_values, show
from optbt.model.errors import did_you_mean

# the attributes a strike expression may read from another leg: its price at the tick (the leg
# opens at this tick's price, so at entry its ltp and entry price are the same number)
STRIKE_LEG_ATTRS = ("ltp", "entry_price")


def _param(unit, name: str, span, what: str, kinds: tuple[str, ...], hint: str):
    """The parameter ``name`` if it exists and is one of ``kinds``; else an error and None."""
    p = unit.params.get(name)
    if p is None:
        unit.error("E0201", f"unknown parameter '{name}'", span, "not a parameter",
                   did_you_mean(name, unit.params).strip(" ()") or "declare it under params")
        return None
    unit.used.add(p.name)
    if p.type not in kinds:
        unit.error("E0302", f"'{p.name}' is {article(p.type)}: {what} takes {' or '.join(kinds)} parameters", span, "", hint)
        return None
    return p


def _values(unit, p) -> list[float]:
    return [v for v in param_values(unit, p.name) if isinstance(v, (int, float)) and not isinstance(v, bool)]


def _each_value(unit, p, span, what: str, rule: str) -> None:
    """Every default and sweep value of ``p`` must satisfy ``rule`` (optbt.dsl.param_rules); the first
    that does not is E0405. The rule is kept for the run too, which checks the values it is given."""
    ok, text = RULES[rule]
    keep(unit.param_rules, p.name, rule, what)
    bad = next((v for v in _values(unit, p) if not ok(v)), None)
    if bad is not None:
        unit.error("E0405", f"{what} must be {text}; '{p.name}' can be {show(bad)}", span)


# -- amounts and expiry rules with parameters ---------------------------------------------------------------
def check_param_amount(unit, amount: A.Amount, allow: tuple[str, ...], what: str) -> None:
    """``sl_pts pts`` and ``rs risk``: a number parameter with its unit written."""
    word = {"pts": "points", "money": "money"}[amount.unit]
    if amount.unit not in allow:
        unit.error("E0302", f"{what} does not take {word}", amount.span, "",
                   "write " + " or ".join({"pct": "a percentage (30%)", "money": "money (rs 3000)",
                                           "pts": "points (40 pts)"}[a] for a in allow))
        return
    written = f"{amount.param} pts" if amount.unit == "pts" else f"rs {amount.param}"
    p = _param(unit, amount.param, amount.span, f"'{written}'", ("int", "float"),
               f"a percent parameter is written alone (stop_loss each leg {amount.param}); "
               f"declare '{amount.param}' as int or float for {word}")
    if p is not None:
        _each_value(unit, p, amount.span, what, "positive")


def check_expiry_param(unit, rule: A.ExpiryParam) -> None:
    if rule.op not in (">=", "<=", "=="):
        unit.error("E0405", f"expiry dte {rule.op} {rule.param} is not a rule", rule.span, "",
                   "write dte >= N, dte <= N or dte == N")
        return
    p = _param(unit, rule.param, rule.span, "an expiry rule", ("int",), "days to expiry are a whole number: "
               f"declare '{rule.param}' as int")
    if p is not None:
        _each_value(unit, p, rule.span, "days to expiry", "dte")


def money_param_type(unit, e: A.MoneyParam) -> str:
    """``rs risk`` in an expression: money, from an int or float parameter."""
    p = _param(unit, e.param, e.span, f"'rs {e.param}'", ("int", "float"),
               f"declare '{e.param}' as float (an amount of money)")
    return "money" if p is not None else "?"


def check_trail_mtm_params(unit, t) -> None:
    """``trail_mtm after rs a by rs b`` with parameters: number parameters, above 0."""
    for m, what in ((t.after, "trail_mtm ... after"), (t.by, "trail_mtm ... by")):
        if isinstance(m, A.MoneyParam):
            p = _param(unit, m.param, m.span, f"'rs {m.param}'", ("int", "float"),
                       f"declare '{m.param}' as float (an amount of money)")
            if p is not None:
                _each_value(unit, p, m.span, what, "positive")
        elif m.value <= 0 and m is t.by:
            unit.error("E0405", "trail_mtm ... by needs an amount above 0", m.span)


# -- strikes -------------------------------------------------------------------------------------------
def check_strike_rule(unit, s: A.StrikeRule, expr_type) -> None:
    a = s.amount
    if s.how in ("atm", "itm", "otm"):
        if isinstance(a, A.Num):
            if not (a.value.is_integer() and a.value <= L.MAX_ATM_OFFSET):
                unit.error("E0405", f"{s.how.upper()} {show(a.value)} is out of range", s.span, "",
                           f"a whole number of strike steps, at most {L.MAX_ATM_OFFSET}")
            return
        kinds = ("int", "percent") if s.how == "otm" else ("int",)
        p = _param(unit, a.name, a.span, "a strike offset", kinds,
                   "strike steps are a whole number: declare it as int (OTM also takes a percent: OTM pct)")
        if p is not None and p.type == "int":
            _each_value(unit, p, a.span, "strike steps", "signed_steps" if s.how == "atm" else "steps")
        elif p is not None:
            _each_value(unit, p, a.span, "OTM %", "positive")
        return
    if s.how == "delta":  # delta d: a float parameter, every value of it a delta between 0 and 1
        p = _param(unit, a.name, a.span, "a delta", ("float",), "a delta is a fraction: declare it as float (d: float = 0.16)")
        if p is not None:
            _each_value(unit, p, a.span, "delta", "delta")
        return
    if s.how in ("straddle", "leg"):
        if a is None:
            pass
        elif isinstance(a, A.Num):
            if s.how == "straddle" and a.value <= 0:
                unit.error("E0405", "the straddle multiple must be above 0", a.span)
        else:
            what = "a straddle multiple" if s.how == "straddle" else "a strike distance in points"
            p = _param(unit, a.name, a.span, what, ("int", "float"),
                       "a percent is not a number of points or a multiple: declare it as float")
            if p is not None and s.how == "straddle":
                _each_value(unit, p, a.span, "the straddle multiple", "positive")
        if s.how == "leg" and s.leg not in unit.legs:
            unit.error("E0201", f"unknown leg '{s.leg}'", s.span, "not a leg",
                       f"legs: {', '.join(unit.legs) or 'none'}{did_you_mean(s.leg, unit.legs)}")
        return
    # premium ~ expression
    t = expr_type(unit, a)
    if t not in ("number", "?"):
        unit.error("E0301", "a premium is a price (a number)", a.span, f"this is {t}",
                   "write premium ~ 50, premium ~ prem (a float parameter) or premium ~ ce.ltp * 50%")
    for attr in _attrs(a):
        if attr.obj in unit.legs and attr.attr not in STRIKE_LEG_ATTRS:
            unit.error("E0203", f"a strike can read another leg's {' or '.join(STRIKE_LEG_ATTRS)}, not its "
                       f"'{attr.attr}'", attr.span, "", f"use {attr.obj}.ltp (its price at the tick)")


def _attrs(e):
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, A.Attr):
            yield node
        elif node is not None:
            stack += [getattr(node, f) for f in ("operand", "left", "right") if hasattr(node, f)]
            stack += list(getattr(node, "operands", []))


def strike_refs(strike) -> set[str]:
    """The legs a leg's strike rule reads (their strike or their price)."""
    if not isinstance(strike, A.StrikeRule):
        return set()
    if strike.how == "leg":
        return {strike.leg}
    if strike.how == "premium":
        return {a.obj for a in _attrs(strike.amount)}
    return set()


def leg_order(unit) -> list[str]:
    """The legs in the order their strikes are worked out: a leg after the legs it refers to,
    otherwise in declaration order. A leg referring to itself or a cycle is E0204."""
    order, state = [], {}
    for start in unit.legs:
        stack = [(start, iter(sorted(strike_refs(unit.legs[start].strike) & set(unit.legs))))]
        if state.get(start) == "done":
            continue
        state[start] = "open"
        while stack:
            name, refs = stack[-1]
            nxt = next(refs, None)
            if nxt is None:
                stack.pop()
                state[name] = "done"
                order.append(name)
            elif state.get(nxt) == "open":
                leg = unit.legs[name]
                path = " -> ".join([n for n, _ in stack] + [nxt])
                unit.error("E0204", f"leg '{name}' takes its strike from '{nxt}', which depends on '{name}'"
                           if nxt != name else f"leg '{name}' takes its strike from itself", leg.strike.span,
                           "a cycle", f"legs referring to each other cannot be opened: {path}")
                return list(unit.legs)
            elif state.get(nxt) != "done":
                state[nxt] = "open"
                stack.append((nxt, iter(sorted(strike_refs(unit.legs[nxt].strike) & set(unit.legs)))))
    return order


def check_leg_order(unit) -> None:
    unit.leg_order = leg_order(unit)


# -- position-level statements ----------------------------------------------------------------------------
def _money(unit, amount: A.Amount, what: str) -> None:
    if amount.param is not None:
        check_param_amount(unit, amount, ("money",), what)
    elif amount.value is not None and amount.value <= 0:
        unit.error("E0405", f"{what} must be above 0", amount.span)


def _sells(unit, node, what: str) -> None:
    if unit.legs and not any(leg.side == "SELL" for leg in unit.legs.values()):
        unit.error("E0407", f"{what} is measured on the net credit received, and this position only buys",
                   node.span, "a debit position", "a credit exit is for spreads and condors that collect a "
                   "credit; for a debit position write the amount in money (rs 3000) or per leg (stop_loss each leg 50%)")


def check_credit_amount(unit, c: A.CreditAmount, what: str) -> None:
    if c.unit == "param":
        p = _param(unit, c.param, c.span, f"'{c.param} credit'", ("percent", "float", "int"),
                   "a percent parameter is a percentage of the credit, a float a multiple of it")
        if p is not None:
            _each_value(unit, p, c.span, what, "positive")
    elif c.value is not None and c.value <= 0:
        unit.error("E0405", f"{what} must be above 0", c.span)


def check_overall(unit, r: A.OverallRule) -> None:
    what = "an overall " + r.rule.split("_", 1)[1]
    a = r.amount
    if isinstance(a, A.CreditAmount):
        check_credit_amount(unit, a, what)
        _sells(unit, r, f"'{r.rule} ... credit'")
    elif a.unit == "money":
        _money(unit, a, what)
    else:
        shown = {"pct": f"{show(a.value)}%", "pts": f"{show(a.value)} pts", "param": a.param}[a.unit]
        unit.error("E0302", f"{what} is money or a share of the net credit, not {shown}", a.span, "",
                   "write rs 3000 (the day's PnL in money), or 50% credit / 2x credit (of the net credit "
                   "received at entry)")
    twins = [s for s in unit.program.of(A.OverallRule) if s.rule == r.rule]
    if twins[0] is not r:
        unit.error("E0202", f"'{r.rule}' appears twice", r.span, "", "keep one")


def check_lock(unit, lk: A.Lock) -> None:
    for amount, what in ((lk.at, "a lock's 'at'"), (lk.keep, "a lock's 'keep'"), (lk.every, "'trail every'"),
                         (lk.by, "'trail ... by'")):
        if amount is not None:
            _money(unit, amount, what)
    bad = next(((a, k) for a in _amounts(unit, lk.at) for k in _amounts(unit, lk.keep) if k >= a), None)
    if bad is not None:
        at, keep = bad
        unit.error("E0405", f"the lock keeps rs {show(keep)} once the day's PnL reaches rs {show(at)}: it would "
                   "exit on the tick it locks", lk.keep.span, "", "keep less than the 'at' amount (for every "
                   "default and sweep value)")
    if lk.at is not None and lk.keep is not None:  # keep below at, for a run's values too
        note_order(unit, lk.keep, lk.at, "a lock's 'keep'", "a lock's 'at'", "below", "above")
    if unit.program.of(A.Lock)[0] is not lk:
        unit.error("E0202", "'lock' appears twice", lk.span, "", "keep one")


def _amounts(unit, amount: A.Amount) -> list[float]:
    """The values an amount can take: a literal, or a number parameter's default and sweep values."""
    if amount.value is not None:
        return [amount.value]
    p = unit.params.get(amount.param or "")
    return _values(unit, p)[:1000] if p is not None and p.type in ("int", "float") else []


def check_credit_rule(unit, r: A.CreditRule) -> None:
    if r.rule == "trailing":
        unit.error("E0302", "a trailing stop follows a leg's price; the credit takes a stop or a target",
                   r.span, "", "write stop_loss 2x credit or target 50% credit; trailing ce 10% for a leg")
        return
    what = "a credit " + ("stop" if r.rule == "stop_loss" else "target")
    check_credit_amount(unit, r.amount, what)
    _sells(unit, r, f"'{r.rule} ... credit'")
    twins = [s for s in unit.program.of(A.CreditRule) if s.rule == r.rule]
    if twins[0] is not r:
        unit.error("E0202", f"'{r.rule} ... credit' appears twice", r.span, "", "keep one")


def check_atm_from(unit, s: A.AtmFrom) -> None:
    if unit.program.of(A.AtmFrom)[0] is not s:
        unit.error("E0202", "'atm_from' appears twice", s.span, "", "keep one")


POSITION_CHECKS = {
    "overall_rule": check_overall,
    "lock": check_lock,
    "credit_rule": check_credit_rule,
    "atm_from": check_atm_from,
}


def note_order(unit, first, second, what_first: str, what_second: str, less: str, more: str) -> None:
    """Keep ``first < second`` for the run too, where either is a parameter (optbt.dsl.param_rules
    pairs): a run given values that break it is refused, as the file's own values are."""
    def ref(x):
        if isinstance(x, A.Name) and x.name in unit.params:
            return x.name, None
        if isinstance(x, A.Time):
            return None, x.value
        if isinstance(x, A.Amount):
            return (x.param, None) if x.param else (None, None if x.value is None else repr(float(x.value)))
        return None, None
    (p1, v1), (p2, v2) = ref(first), ref(second)
    for name, rule, what in ((p1, f"{less}:{p2}" if p2 else f"{less}:={v2}" if v2 else None, what_first),
                             (p2, None if p1 else f"{more}:={v1}" if v1 else None, what_second)):
        if name and rule:
            keep(unit.param_rules, name, rule, what)

