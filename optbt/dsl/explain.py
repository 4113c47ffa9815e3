"""``optbt explain FILE.strat``: what a strategy will do, in plain words.

The text is derived from the checked program and states what the runtime does with it
(optbt/dsl/runtime.py and the engine's day loop), not what the author may have meant: stops
are measured on the leg's price at the tick against its price at entry, a short leg's stop sits
above that price and a long leg's below, rules fire in the runtime's order, and when two rules
of one kind cover a leg the one written later replaces the other. Each section is a function
of the unit; :func:`explain_unit` joins them.
"""

from __future__ import annotations

import textwrap

from optbt.dsl import ast as A
from optbt.dsl import signals as _signals
from optbt.dsl.checks import Unit
from optbt.dsl import explain_position as EP
from optbt.dsl.format import number, quote, statement
from optbt.dsl.lint import armed_rules, rule_winners

RULE_WORDS = {"stop_loss": "stop loss", "target": "target", "trailing": "trailing stop"}
RULES_WORDS = {"stop_loss": "stop losses", "target": "targets", "trailing": "trailing stops"}
WIDTH = 100  # lines are wrapped here, continuation lines indented under their start
EXPIRY_WORDS = {
    "nearest": "the nearest listed expiry (on expiry day, that day's own)",
    "next": "the listed expiry after the nearest",
    "monthly": "the monthly expiry (the last listed expiry in the nearest expiry's month)",
    "next_monthly": "the next monthly expiry (the last listed expiry in the month after that)",
}
BUILTIN_WORDS = {"spot": "the spot", "atm": "the ATM strike", "dte": "the number of days to expiry", "time": "the time",
                 "mtm": "the MTM", "pnl": "the day's PnL", "weekday": "the weekday", "day": "the weekday",
                 "net_delta": "the position's net delta (in lots)"}
BUILTIN_WORDS["straddle"] = "the ATM straddle's premium"
ATTR_WORDS = {"ltp": "price", "entry_price": "entry price", "pnl": "PnL", "reentries": "number of re-entries",
              "status": "status", "iv": "implied volatility",
              "delta": "delta", "gamma": "gamma", "theta": "theta (per day)", "vega": "vega (per vol point)"}
CMP_WORDS = {"<": "is below", "<=": "is at most", ">": "is above", ">=": "is at least", "==": "is", "!=": "is not"}
TIME_CMP_WORDS = {"<": "is before", "<=": "is at or before", ">": "is after", ">=": "is at or after",
                  "==": "is", "!=": "is not"}
OPS = {"+": "+", "-": "-", "*": "×", "/": "÷"}
_MARKET_KINDS = ("name", "attr", "call", "lookback", "crosses")


def explain_text(text: str, filename: str = "<strat>") -> str:
    """The plain-words account of a .strat text (raises StratError when it is not valid)."""
    from optbt.dsl.compiler import compile_text

    _, cls_name, unit = compile_text(text.removeprefix("\ufeff"), filename)
    return explain_unit(unit, cls_name)


def explain_unit(unit: Unit, cls_name: str) -> str:
    words = Words(unit)
    sections = [_title(unit, cls_name), _parameters(unit, words), _instrument(unit, words),
                _entry(unit, words), _leg_rules(unit, words), _reactions(unit), _leg_plan(unit, words),
                _shifts(unit, words), _mtm(unit, words), EP.position_section(unit, words), _exit(unit, words),
                _tick_order(unit), _ends(unit, words), _costs(unit)]
    return "\n\n".join("\n".join(_wrap(line) for line in s) for s in sections if s) + "\n"


def _wrap(line: str) -> str:
    indent = len(line) - len(line.lstrip(" "))
    return textwrap.fill(line, WIDTH, subsequent_indent=" " * (indent + 4 if indent else 0), break_on_hyphens=False,
                         break_long_words=False)


def _value(lit) -> str:
    """A literal as a trader reads it: 30 %, rs 5000, 09:20, 1.5."""
    if lit.kind == "money_param":
        return f"rs {lit.param}"
    if lit.kind == "pct":
        return f"{number(lit.value)} %"
    if lit.kind == "money":
        return f"rs {number(lit.value)}"
    if lit.kind == "num":
        return number(lit.value)
    if lit.kind == "bool":
        return "true" if lit.value else "false"
    return str(lit.value)


def _factor(x: float) -> str:
    """1 + 30 / 100 -> 1.3 (a product's float noise rounded away)."""
    return number(float(f"{x:.12g}"))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class Words:
    """Expressions in words: names become what they are (``ce.ltp`` -> ce's price), a parameter
    shows its default, comparisons read as sentences; arithmetic keeps its symbols."""

    def __init__(self, unit: Unit):
        self.unit = unit

    def param(self, name: str) -> str:
        return f"{name} ({_value(self.unit.params[name].default)} by default)"

    def __call__(self, e, outer: int = 0) -> str:
        text, prec = self._words(e)
        return f"({text})" if prec < outer else text

    def _words(self, e) -> tuple[str, int]:
        kind = e.kind
        if kind in ("num", "pct", "money", "bool", "word", "time"):
            return _value(e), 9
        if kind == "name" and self.unit.types.get(id(e)) in ("status", "word"):
            return e.name, 9
        market = _signals.words(self, e) if kind in _MARKET_KINDS else None
        if market is not None:
            return market, (4 if kind == "crosses" else 9)
        if kind == "money_param":
            return f"rs {self.param(e.param)}", 9
        if kind == "name":
            return (self.param(e.name) if e.name in self.unit.params else BUILTIN_WORDS[e.name]), 9
        if kind == "attr":
            return f"{e.obj}'s {ATTR_WORDS[e.attr]}", 9
        if kind == "neg":
            return "-" + self(e.operand, 8), 8
        if kind == "binop":
            prec = 6 if e.op in "*/" else 5
            return f"{self(e.left, prec)} {OPS[e.op]} {self(e.right, prec + 1)}", prec
        if kind == "compare":
            timed = "time" in (self.unit.types.get(id(e.left)), self.unit.types.get(id(e.right)))
            verb = (TIME_CMP_WORDS if timed else CMP_WORDS)[e.op]
            return f"{self(e.left, 5)} {verb} {self(e.right, 5)}", 4
        if kind == "member":
            items = [w.value for w in e.items]
            listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
            return f"{self(e.operand, 5)} is {listed}", 4
        if kind == "not":  # never "is not ...": not (x < y) is true when x is unknown, x >= y is false
            return f"not ({self(e.operand)})", 3
        if kind == "boolop":
            prec = 1 if e.op == "or" else 2
            return f" {e.op} ".join(self(o, prec + 1) for o in e.operands), prec
        raise NotImplementedError(f"no words for expression kind {kind!r}")

    def time_ref(self, e) -> str:
        return self.param(e.name) if isinstance(e, A.Name) else self(e)


# -- sections ------------------------------------------------------------------------------------------
def _title(unit: Unit, cls_name: str) -> list[str]:
    h = unit.header
    title = f"Strategy {h.name}" + (f": {quote(h.description)}" if h.description is not None else "")
    return [title, f"(compiled to the Python class {cls_name})"]


def _parameters(unit: Unit, words: Words) -> list[str]:
    if not unit.params:
        return []
    rows = []
    for p in unit.params.values():
        kind = f"choice of {', '.join(p.choices or [])}" if p.type == "choice" else p.type
        sweep = ""
        if isinstance(p.sweep, A.SweepRange):
            sweep = (f"swept from {_value(p.sweep.start)} to {_value(p.sweep.stop)} "
                     f"in steps of {_value(p.sweep.step)}")
        elif isinstance(p.sweep, A.SweepList):
            sweep = "swept over " + ", ".join(_value(v) for v in p.sweep.values)
        rows.append((p.name, kind, _value(p.default), sweep))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    out = ["Parameters (set one with --param NAME=VALUE; optbt sweep uses the sweep values):"]
    for r in rows:
        out.append(("  " + "  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3]).rstrip())
    return out


def _expiry_words(rule: A.ExpiryRule, words: Words | None = None) -> str:
    if isinstance(rule, A.ExpiryParam):
        return EP.expiry_param_words(rule, words)
    if rule.word:
        return EXPIRY_WORDS[rule.word]
    n = _plural(rule.days, "day")
    return {">=": f"the first listed expiry at least {n} away",
            "<=": f"the last listed expiry at most {n} away",
            "==": f"the listed expiry exactly {n} away"}.get(rule.op, f"the listed expiry with dte {rule.op} {rule.days}")


def _strike_words(s: A.Strike, opt_type: str, words: Words | None = None) -> str:
    if isinstance(s, A.StrikeRule):
        return EP.strike_rule_words(s, opt_type, words)
    if s.how == "atm":
        if s.offset == 0:
            return "at the money (ATM: the listed strike nearest the spot, ties going up)"
        steps = _plural(abs(s.offset), "strike step")
        return f"{steps} {'above' if s.offset > 0 else 'below'} ATM"
    if s.how == "abs":
        return f"at the strike {number(s.value)}"
    if s.how == "otm":
        factor = 1 + s.value / 100 if opt_type == "CE" else 1 - s.value / 100
        return f"{number(s.value)} % out of the money (the listed strike nearest the spot × {_factor(factor)})"
    if s.how == "delta":
        target = number(s.value)
        return {"~": f"at the strike whose delta (in absolute value) is closest to {target}",
                ">=": f"at the strike with the smallest delta (in absolute value) at or above {target}",
                "<=": f"at the strike with the largest delta (in absolute value) at or below {target}"}[s.mode] + \
            " (among strikes with a live price at the tick, from their IV; ties go to the strike nearer the money)"
    target = number(s.value)
    return {"~": f"at the strike whose premium is closest to {target}",
            ">=": f"at the strike with the lowest premium at or above {target}",
            "<=": f"at the strike with the highest premium at or below {target}"}[s.mode] + \
        " (among strikes with a live price at the tick; ties go to the strike nearer the money)"


def _quantity(leg: A.LegDecl, words: Words) -> str:
    q = leg.qty
    if q is None:
        return "1 lot"
    if isinstance(q, A.Num):
        return _plural(int(q.value), "lot")
    if isinstance(q, A.Name):
        return f"{words(q)} lots"
    return f"{words(q)} lots (rounded down to a whole number)"


def _instrument(unit: Unit, words: Words) -> list[str]:
    und = unit.program.of(A.Underlying)
    exp = unit.program.of(A.ExpiryStmt)
    rule = exp[0].rule if exp else A.ExpiryRule(word="nearest")
    out = ["What it trades:",
           "  underlying: " + (und[0].name if und else "the dataset's underlying"),
           f"  expiry: {_expiry_words(rule, words)}, chosen each day from the expiries the data lists",
           "  legs, opened together at one tick's prices (all of them or none):"]
    if _plan_step(unit) or unit.program.of(A.LegEntry) or any(o.action.what == "open" for o in unit.program.of(A.On)):
        out[-1] = ("  legs (those that open at the entry open together, all of them or none; the others as said "
                   "under 'Legs that open later'):")
    for name, leg in unit.legs.items():
        side = "sell" if leg.side == "SELL" else "buy"
        kind = "call (CE)" if leg.opt_type == "CE" else "put (PE)"
        line = f"    {name}: {side} the {kind} {_strike_words(leg.strike, leg.opt_type, words)}, {_quantity(leg, words)}"
        if leg.expiry is not None:
            line += f"; expiry: {_expiry_words(leg.expiry, words)}"
        out.append(line)
    return out


def _cycles(unit: Unit) -> int:
    m = unit.program.of(A.MaxCycles)
    return m[0].n if m else 1


def _entry(unit: Unit, words: Words) -> list[str]:
    entries = unit.program.of(A.Entry)
    e = entries[0] if entries else A.Entry()
    if e.at is not None:
        when = f"on every tick at or after {words.time_ref(e.at)}"
    elif e.start is not None:
        when = f"on every tick from {words.time_ref(e.start)} to {words.time_ref(e.end)} (both included)"
    else:
        when = "on every tick of the day"
    if e.when is not None:
        when += f" on which {words(e.when)}"
    n = _cycles(unit)
    out = ["When it enters:",
           f"  While no position is open, {when}, it tries to open every leg at that tick's prices.",
           "  If a leg has no live price, nothing opens and the next tick tries again.",
           "  Nothing else runs on the tick of the entry; there is no entry on the day's last tick."]
    if n == 1:
        out.append("  At most one entry a day (max_cycles 1).")
    else:
        out.append(f"  Up to {n} entries a day (max_cycles {n}): once every leg is closed, it may enter "
                   "again under the same conditions, from the next tick on.")
    return out


def _amount_words(a: A.Amount, words: Words) -> str:
    if a.param is not None and a.unit == "pts":
        return f"{words.param(a.param)} points"
    if a.param is not None and a.unit == "money":
        return f"rs {words.param(a.param)}"
    if a.unit == "param":
        return words.param(a.param)
    if a.unit == "pct":
        return f"{number(a.value)} %"
    if a.unit == "pts":
        return f"{number(a.value)} points"
    return f"rs {number(a.value)}"


def _level(rule: str, a: A.Amount, short: bool, words: Words) -> str:
    """Where the rule closes a leg, exactly as the runtime computes it (runtime._level/_hit)."""
    up = {"stop_loss": short, "target": not short, "trailing": short}[rule]
    side = "above" if up else "below"
    base = "its entry price" if rule != "trailing" else (
        "the lowest price since entry" if short else "the highest price since entry")
    sign = "+" if up else "-"
    if a.unit in ("pct", "param"):
        if a.unit == "pct":
            factor = f"× {_factor(1 + (1 if up else -1) * a.value / 100)}"
            size = f"{number(a.value)} % {side}"
        else:
            factor = f"× (1 {sign} {a.param})"
            size = f"{_value(words.unit.params[a.param].default)} {side} by default"
        level = f"{base} {factor} ({size})"
    elif a.unit == "pts":
        level = f"{base} {sign} {_amount_words(a, words)}"
    else:
        level = f"{base} {sign} {_amount_words(a, words)} ÷ (its lots × the lot size) points"
    return f"its price is at or {side} {level}"


def _leg_rules(unit: Unit, words: Words) -> list[str]:
    rules = unit.program.of(A.LegRule)
    if not rules:
        return []
    # the runtime arms rules in the order written: a later one (a trailing after a move too) replaces an earlier one
    winner = rule_winners(unit, armed_rules(unit))
    out = ["Stops, targets and trailing stops, on each leg's price at the tick (the close, or the mid for "
           "quote data) against its price at entry (for quote data, the mid at entry):"]
    for r in rules:
        target = "each leg" if r.leg is None else r.leg
        out.append(f"  {RULE_WORDS[r.rule]} on {target}, {_amount_words(r.amount, words)}:")
        for name in ([r.leg] if r.leg else unit.legs):
            leg = unit.legs[name]
            short = leg.side == "SELL"
            if winner[(r.rule, name)] is not r:
                later = winner[(r.rule, name)]
                out.append(f"    {name}: replaced by the later {statement(later)}")
                continue
            out.append(f"    {name} ({'a short' if short else 'a long'} leg): closed when "
                       f"{_level(r.rule, r.amount, short, words)}")
    mode = unit.program.of(A.SquareOff)
    if mode and mode[0].mode == "complete":
        out.append("  A hit closes every open leg at that tick's price (square_off complete); "
                   "the exit reason is the rule's name.")
        prog = unit.program
        if prog.of(A.LegEntry) or prog.of(A.Wait) or prog.of(A.Reentry) or \
                any(on.action.what == "open" for on in prog.of(A.On)):
            out.append("  It ends the position: a leg not open yet in the cycle (staggered, waiting for a move, "
                       "lazy, a pending re-entry) no longer opens; the legs it closes may re-enter.")
    else:
        out.append("  A hit closes only that leg, at that tick's price (square_off partial); "
                   "the exit reason is the rule's name.")
    return out


def _event_words(on: A.On) -> str:
    rule = RULE_WORDS[on.event]
    return f"after {on.leg}'s {rule}" if on.leg else f"after any leg's {rule}"


def _reactions(unit: Unit) -> list[str]:
    ons = unit.program.of(A.On)
    if not ons:
        return []
    out = ["Reactions to a leg's exit (run at once, on the same tick, in the order written):"]
    for on in ons:
        act = on.action
        if act.what == "move_to_cost" and act.target == "others":
            what = ("the stops of the other open legs move to their entry prices (cost), and a leg already "
                    "beyond its moved stop closes on this tick; a leg with no stop loss keeps none")
        elif act.what == "move_to_cost":
            what = (f"{act.target}'s stop moves to its entry price (cost), if {act.target} is open, and it "
                    f"closes on this tick if its price is already beyond it")
        elif act.what == "close":
            again = "; it does not re-enter" if unit.program.of(A.Reentry) else ""
            what = f"{act.target} is closed too, if open (exit reason {on.event}{again})"
        elif act.what == "open":
            what = f"{act.target} opens (a lazy leg: only this opens it), its strike chosen then, if not already open"
        else:
            what = (f"every open leg is closed (exit reason {on.event}) and the cycle ends: no leg re-enters "
                    "or opens again in it")
        out.append(f"  {_event_words(on)}: {what}")
    return out


def _plan_step(unit: Unit) -> str:
    prog = unit.program
    parts = []
    if prog.of(A.Reentry):
        parts.append("re-entries of the legs closed at this tick")
    if prog.of(A.Wait) or prog.of(A.LegEntry) or prog.of(A.Reentry):
        parts.append("waiting legs whose time, premium move or cost came open (in leg order)")
    return ", then ".join(parts)


def _leg_plan(unit: Unit, words: Words) -> list[str]:
    """Re-entries, wait-and-trade, staggered and lazy legs, trailing after/every (optbt.dsl.legplan)."""
    from optbt.dsl.checks import lazy_legs
    prog = unit.program
    out = []
    for e in prog.of(A.LegEntry):
        out.append(f"  {e.leg} is a staggered leg: it opens at {words.time_ref(e.at)} or the first tick after it "
                   "(its strike chosen then), not with the others")
    for name in lazy_legs(unit):
        out.append(f"  {name} is a lazy leg: it opens only when an 'open {name}' reaction runs")
    for w in prog.of(A.Wait):
        who = "each leg" if w.leg is None else w.leg
        out.append(f"  wait-and-trade on {who}: when the leg is due, the price of the contract it would open is "
                   f"noted; it opens once that price is {_amount_words(w.amount, words)} "
                   f"{'above' if w.direction == 'up' else 'below'} it or more")
    how_words = {"asap": "at once, its strike chosen again at that tick",
                 "cost": "in the same contract once its price comes back to the leg's first entry price",
                 "momentum": "once its wait-and-trade move is met again, from the price at the exit of a strike "
                             "chosen again at that tick"}
    cycles = prog.of(A.MaxCycles)
    # the count is the cycle's (as ce.reentries): with one cycle a day, that is the day's
    per = "a day" if not cycles or cycles[0].n == 1 else "in each cycle"
    for r in prog.of(A.Reentry):
        who = "each leg" if r.leg is None else r.leg
        side = " on the opposite side (reverse)" if r.reverse else ""
        out.append(f"  re-entry on {who} after its {RULE_WORDS[r.event]}: it opens again{side} "
                   f"{how_words[r.how]}; at most "
                   f"{_plural(r.max, 'time') if r.max_param is None else words.param(r.max_param) + ' times'} {per}")
    for t in prog.of(A.LegTrail):
        who = "each leg" if t.leg is None else t.leg
        if t.every is None:
            winner = rule_winners(unit, armed_rules(unit))
            lost = [n for n in ([t.leg] if t.leg else unit.legs) if winner[("trailing", n)] is not t]
            out.append(f"  trailing stop on {who} of {_amount_words(t.distance, words)}, starting only once the "
                       f"price moved {_amount_words(t.after, words)} in the leg's favour"
                       + (f" (replaced on {', '.join(lost)} by a later trailing rule)" if lost else ""))
        else:
            first = _amount_words(t.after or t.every, words)
            out.append(f"  stepped trailing on {who}: its stop moves {_amount_words(t.by, words)} in its favour when "
                       f"the price has moved {first} in the leg's favour, and again for every further "
                       f"{_amount_words(t.every, words)}")
    if not out:
        return []
    return ["Legs that open later, or again (no leg opens on the day's last tick or once the exit rule "
            "holds):"] + out


def _shifts(unit: Unit, words: Words) -> list[str]:
    shifts = unit.program.of(A.Shift)
    if not shifts:
        return []
    out = ["Shifts (every tick while the leg is open):"]
    for s in shifts:
        leg = unit.legs[s.leg]
        out.append(f"  when {words(s.when)}: {s.leg} is closed (exit reason shift) and the same leg opens "
                   f"{_strike_words(s.strike, leg.opt_type, words)}, if that is another strike with a live price at the "
                   "tick; its stops and targets are set again from the new entry price")
    return out


def _mtm(unit: Unit, words: Words) -> list[str]:
    rules = unit.program.of(A.MtmRule)
    trail = unit.program.of(A.TrailMtm)
    if not rules and not trail:
        return []
    out = ["The whole position (MTM: the open legs' PnL in currency after entry costs; legs already closed "
           "are not in it):"]
    for r in rules:
        a = r.amount
        if a.unit == "money":
            limit = f"rs {number(a.value)}"
        else:
            limit = (f"{_amount_words(a, words)} of the premium at entry (the sum of the legs' entry "
                     "prices × lots × lot size)")
        if r.rule == "mtm_stop":
            out.append(f"  MTM stop: every leg is closed (exit reason mtm_stop) when the MTM shows a loss of at "
                       f"least {limit}")
        else:
            out.append(f"  MTM target: every leg is closed (exit reason mtm_target) when the MTM shows a profit of "
                       f"at least {limit}")
    for t in trail:
        out.append(f"  trailing MTM: once the MTM has reached {words(t.after)}, every leg is closed (exit reason "
                   f"trail_mtm) when it falls {words(t.by)} or more below its best since then")
    return out


def _time_default(unit: Unit, e) -> str | None:
    if isinstance(e, A.Time):
        return e.value
    if isinstance(e, A.Name) and isinstance(unit.params[e.name].default, A.Time):
        return unit.params[e.name].default.value
    return None


def _exit(unit: Unit, words: Words) -> list[str]:
    parts, times = [], []
    for e in unit.program.statements:
        if isinstance(e, A.ExitAt):
            times.append(_time_default(unit, e.at))
            parts.append(f"at {words.time_ref(e.at)} or the first tick after it"
                         + (f", or as soon as {words(e.when)}" if e.when is not None else ""))
        elif isinstance(e, A.ExitWhen):
            parts.append(f"as soon as {words(e.when)}")
    out = ["Exit:"]
    if parts:
        out.append("  Every open leg is closed (exit reason exit) " + "; or ".join(parts) + ".")
    if parts:
        out.append("  No entry once the exit rule holds: from the exit time on (or while its condition is true)"
                   " nothing opens, even with cycles left.")
    out.append("  Whatever happens, anything still open is closed on the day's last tick (exit reason eod).")
    return out


def _tick_order(unit: Unit) -> list[str]:
    prog = unit.program
    kinds = {r.rule for r in prog.of(A.LegRule)} | {"trailing" for t in prog.of(A.LegTrail) if t.every is None}
    steps = []
    per_leg = [RULES_WORDS[k] for k in ("stop_loss", "target", "trailing") if k in kinds]
    if per_leg:
        step = ", then ".join(per_leg) + (", leg by leg" if len(unit.legs) > 1 else "")
        if prog.of(A.On):
            step += "; each hit is followed at once by its reactions"
        steps.append(step)
    if prog.of(A.Shift):
        steps.append("shifts")
    plan = _plan_step(unit)
    mtm = [{"mtm_stop": "the MTM stop", "mtm_target": "the MTM target"}[r.rule] for r in prog.of(A.MtmRule)]
    mtm += ["the trailing MTM"] * bool(prog.of(A.TrailMtm))
    if mtm:
        steps.append(", then ".join(mtm))
    steps += EP.tick_steps(unit)
    if plan:
        steps.append(plan)
    if prog.of(A.ExitAt) or prog.of(A.ExitWhen):
        steps.append("the exit time and exit conditions")
    out = ["On each tick while a position is open, in this order:"]
    if not steps:
        return out + ["  nothing is checked: the legs stay open until the day's last tick"]
    out += [f"  {i}. {s}" for i, s in enumerate(steps, start=1)]
    if len(steps) > 1 or per_leg:
        out.append("  A leg closed by an earlier rule is not looked at by later ones.")
    return out


def _ends(unit: Unit, words: Words) -> list[str]:
    prog = unit.program
    kinds = {r.rule for r in prog.of(A.LegRule)} | {"trailing" for t in prog.of(A.LegTrail) if t.every is None}
    ways = [RULES_WORDS[k] for k in ("stop_loss", "target", "trailing") if k in kinds]
    if any(o.action.what in ("exit", "close") for o in prog.of(A.On)):
        ways.append("reactions")
    ways += [{"mtm_stop": "the MTM stop", "mtm_target": "the MTM target"}[r.rule] for r in prog.of(A.MtmRule)]
    ways += ["the trailing MTM"] * bool(prog.of(A.TrailMtm))
    ways += EP.end_ways(unit)
    if prog.of(A.ExitAt) or prog.of(A.ExitWhen):
        ways.append("the exit")
    ways.append("the close on the day's last tick")
    listed = ways[0] if len(ways) == 1 else ", ".join(ways[:-1]) + " or " + ways[-1]
    n = _cycles(unit)
    after = ("the day is done (max_cycles 1)" if n == 1 else
             f"it may enter again, up to {n} entries in the day")
    waits = " and no leg waits to open (or re-enter)" if (_plan_step(unit) or prog.of(A.LegEntry)) else ""
    out = ["A cycle ends when every leg is closed" + waits + ", by " + listed + f"; then {after}.",
           "The day ends at its last tick: no entry there, and anything open is closed."]
    if any(getattr(s, "when", None) is not None for s in prog.statements):
        out.append("A condition that uses a value not known yet (no spot yet, a leg that is not open) is false.")
        from optbt.dsl.compiler import uses_leg_plan
        if uses_leg_plan(unit):
            out.append("A leg waiting to open has a price: that of the contract it waits on, or else would open now "
                       "(its strike chosen at the tick); its status is waiting, open or closed.")
    return out


_PRESET_WORDS = {"nse": "NSE index options (brokerage per order, STT on sells, exchange and SEBI charges, "
                        "stamp duty on buys, GST)",
                 "us": "US listed options (commission per contract, ORF, OCC, FINRA TAF and SEC fees)"}


def _costs(unit: Unit) -> list[str]:
    """The costs section in words; nothing when the file has none (the dataset's costs apply)."""
    lines = unit.program.of(A.CostSetting)
    if not lines:
        return []
    out = ["Costs assumed (the command line's --slippage, --commission and --costs, or costs= in Python, "
           "override them; the dataset's [costs] apply to what the file does not set):"]
    for c in lines:
        if c.setting == "preset":
            what = _PRESET_WORDS.get(c.preset, f"the schedule in {c.preset}")
            out.append(f"  a broker's charges on every executed order, entry and exit: {what}; in trades.csv "
                       "by contract-note line")
        elif c.setting == "slippage":
            size = f"{number(c.value)} points" if c.unit == "pts" else f"{number(c.value)} % of the price"
            out.append(f"  slippage: every fill {size} worse (buys higher, sells lower)")
        else:
            each = "executed order (an entry and an exit are two)" if c.unit == "order" else "lot of every order"
            out.append(f"  commission: rs {number(c.value)} per {each}")
    return out
