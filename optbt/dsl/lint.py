"""``optbt lint``: warnings about programs that are valid but probably not what was meant.

Each rule is a function of the checked unit returning diagnostics; the table RULES lists them
in order. A finding is silenced by a comment ``# lint: allow W001`` on its line (or the line
above), or ``# lint: allow-file W001`` anywhere in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from optbt.dsl import ast as A
from optbt.dsl import never_fires as NF
from optbt.dsl.checks import Unit
from optbt.dsl.diagnostics import Diagnostic
from optbt.dsl.lines import split_lines
from optbt.dsl.values import sweep_count

Rule = Callable[[Unit], list[Diagnostic]]


def _d(code: str, message: str, node, label: str = "", help: str = "") -> Diagnostic:
    span = node.span
    return Diagnostic(code, message, span.line, span.column, span.end_column, label, help)


def _time_value(unit: Unit, e) -> str | None:
    if isinstance(e, A.Time):
        return e.value
    if isinstance(e, A.Name) and e.name in unit.params and isinstance(unit.params[e.name].default, A.Time):
        return unit.params[e.name].default.value
    return None


def unused_parameter(unit: Unit) -> list[Diagnostic]:
    return [_d("W001", f"parameter '{p.name}' is never used", p, "declared here",
               "use it, or remove it") for p in unit.params.values() if p.name not in unit.used]


def _has_exit(unit: Unit) -> bool:
    prog = unit.program
    return bool(prog.of(A.ExitAt) or prog.of(A.ExitWhen) or prog.of(A.MtmRule) or prog.of(A.TrailMtm)
                or prog.of(A.OverallRule) or prog.of(A.Lock) or prog.of(A.CreditRule))


def leg_closed_only_at_eod(unit: Unit) -> list[Diagnostic]:
    """W002: a leg nothing closes before the day's end. Another leg's hit closes it too under
    ``square_off complete``, by an ``exit`` or ``close`` reaction, and a ``move pe.stop to cost``
    gives it a stop (each was reported as closed only at the end of the day)."""
    if _has_exit(unit):
        return []
    prog = unit.program
    covered = {r.leg for r in prog.of(A.LegRule)} | {t.leg for t in prog.of(A.LegTrail)}
    if covered and any(s.mode == "complete" for s in prog.of(A.SquareOff)):
        return []
    for on in prog.of(A.On):
        if on.action.what == "exit":
            return []
        if on.action.what in ("close", "move_to_cost"):
            covered.add(on.action.target)
    if None in covered:
        return []
    return [_d("W002", f"leg '{name}' is only ever closed by the end-of-day close", leg, "",
               "add a stop_loss, target, exit at TIME or exit when ...")
            for name, leg in unit.legs.items() if name not in covered]


def exit_before_entry(unit: Unit) -> list[Diagnostic]:
    out = []
    entry = unit.program.of(A.Entry)
    start = None
    if entry:
        start = _time_value(unit, entry[0].at) if entry[0].at is not None else _time_value(unit, entry[0].start)
    for e in unit.program.of(A.ExitAt):
        end = _time_value(unit, e.at)
        if start and end and end <= start:
            out.append(_d("W003", f"exit at {end} is not after the entry at {start}", e, "",
                          "every position would be closed on the tick after it opens"))
    return out


def wide_stop(unit: Unit) -> list[Diagnostic]:
    """W004: a long leg's stop loss or trailing stop of 100 % or more (of the entry, of the best
    price) puts its level at a price of 0 or below: it never fires. A parameter's default and its
    sweep's values are looked at; a trailing stop was not looked at at all. Which rules, and the
    test, are ``optbt.dsl.never_fires``'s (a run checks its own values with them)."""
    out = []
    for site in NF.sites(unit):
        if site.code != "W004":
            continue
        # a short leg's price can rise any amount: a 200 % stop is a credit trader's stop (sites names long legs)
        # 100 % puts the level at a price of 0, which is no usable price (never a fill): it never fires either
        most = _pct_most(unit, site.amount)
        if most is not None and NF.cannot_fire(most[0]):
            value, said = most
            what = "stop loss" if site.rule == "stop_loss" else "trailing stop"
            out.append(_d("W004", f"a {value:g}%{said} {what} is {'wider than' if value > 100 else 'at'} 100 %",
                          site.node, "", f"{NF.LONG_STOP}; check the number"))
    return out


def cycles_without_exit(unit: Unit) -> list[Diagnostic]:
    cycles = unit.program.of(A.MaxCycles)
    if cycles and cycles[0].n > 1 and not _has_exit(unit) and not unit.program.of(A.LegRule) \
            and not unit.program.of(A.LegTrail):  # trailing ... after: a trailing stop ends legs too
        return [_d("W005", f"max_cycles {cycles[0].n} but nothing ends a cycle before the day's end", cycles[0],
                   "", "add stops, targets or an exit condition so that re-entry can happen")]
    return []


def _constant(e) -> bool:
    if isinstance(e, (A.Name, A.Attr, A.MoneyParam)):
        return False
    if isinstance(e, A.Call) and e.func not in ("abs", "min", "max"):  # indicators and prev_day read the market
        return False
    children = [getattr(e, f) for f in ("operand", "left", "right") if hasattr(e, f)]
    children += list(getattr(e, "operands", [])) + list(getattr(e, "args", []))
    return all(_constant(c) for c in children)


def constant_condition(unit: Unit) -> list[Diagnostic]:
    out = []
    for s in unit.program.statements:
        for field in ("when",):
            cond = getattr(s, field, None)
            if cond is not None and _constant(cond):
                out.append(_d("W006", "this condition never changes", cond, "always the same",
                              "it does not mention spot, time, prices, mtm or a parameter"))
    return out


def mtm_misses_closed_legs(unit: Unit) -> list[Diagnostic]:
    """W007: an MTM stop, target or trailing MTM counts the open legs only; with per-leg stops
    that close one leg at a time (partial square-off), the PnL of a stopped leg is not in it."""
    prog = unit.program
    partial = not any(s.mode == "complete" for s in prog.of(A.SquareOff))
    stops = any(r.rule in ("stop_loss", "trailing") for r in prog.of(A.LegRule))
    if not (partial and stops and len(unit.legs) > 1):
        return []
    return [_d("W007", f"{r.rule} counts the open legs only: after a leg's stop closes it, that leg's loss is not in "
               "the MTM", r, "open legs only", f"to stop on the day's total PnL (realised + open), write "
               f"overall_{r.rule[4:]} {'rs ' + format(r.amount.value, 'g') if r.amount.unit == 'money' else '...'}")
            for r in prog.of(A.MtmRule)] + \
        [_d("W007", "trail_mtm counts the open legs only: after a leg's stop closes it, the MTM it trails leaves "
            "out that leg's PnL", t, "open legs only", "to trail the day's total PnL (realised + open), write "
            "lock at rs ... keep rs ... trail every rs ... by rs ...")
         for t in prog.of(A.TrailMtm)]


def lock_never_arms(unit: Unit) -> list[Diagnostic]:
    """W008: the overall target closes the day at or before the profit that would arm the lock."""
    prog = unit.program
    targets = [r for r in prog.of(A.OverallRule) if r.rule == "overall_target" and isinstance(r.amount, A.Amount)
               and r.amount.unit == "money" and r.amount.value is not None]
    out = []
    for lk in prog.of(A.Lock):
        for t in targets:
            if lk.at.value is not None and t.amount.value <= lk.at.value:
                out.append(_d("W008", f"the lock arms at rs {lk.at.value:g}, but overall_target rs {t.amount.value:g} "
                              "ends the day first", lk, "never arms", "lock at an amount below the overall target"))
    return out


def _exits_made(unit: Unit) -> dict[str, set[str]]:
    """exit kind -> the legs a rule of their own can close that way. A stepped trailing moves the
    stop (its exit is a stop_loss); a leg named in ``move pe.stop to cost`` gets a stop at its
    cost whether it had one or not (``others`` moves only the stops there are)."""
    prog = unit.program
    made: dict[str, set[str]] = {}
    for r in prog.of(A.LegRule):
        made.setdefault(r.rule, set()).update([r.leg] if r.leg else unit.legs)
    for t in prog.of(A.LegTrail):  # stepped trailing moves the stop; trailing after a move is a trailing stop
        made.setdefault("trailing" if t.every is None else "stop_loss", set()).update([t.leg] if t.leg else unit.legs)
    complete = any(s.mode == "complete" for s in prog.of(A.SquareOff))
    for on in prog.of(A.On):  # not a move that acts on a closed leg (W014): it gives no stop
        if on.action.what == "move_to_cost" and on.action.target in unit.legs and not complete \
                and on.action.target != on.leg:
            made.setdefault("stop_loss", set()).add(on.action.target)
    return made


def reentry_never_fires(unit: Unit) -> list[Diagnostic]:
    """A re-entry on an exit no rule of that leg makes (``reentry ce on target ...`` without a target).
    Under ``square_off complete`` any leg's hit closes every leg with its reason, so each leg
    has the exits some leg has (it was reported: 'pe has no stop_loss', and pe re-entered)."""
    prog = unit.program
    made = _exits_made(unit)
    if any(s.mode == "complete" for s in prog.of(A.SquareOff)):
        made = {event: set(unit.legs) for event, legs in made.items() if legs}
    out = []
    for r in prog.of(A.Reentry):
        legs = [r.leg] if r.leg else list(unit.legs)
        never = [name for name in legs if name not in made.get(r.event, set())]
        if len(never) == len(legs):
            out.append(_d("W010", f"this re-entry can never fire: {', '.join(never)} has no {r.event}", r, "",
                          f"add e.g. {r.event} {r.leg or 'each leg'} 30%"))
    return out


def reaction_never_fires(unit: Unit) -> list[Diagnostic]:
    """An ``on`` reaction to an exit its leg never has (``on target(ce): close pe`` with no
    target on ce): it runs after that leg's own hit only, so it never runs, and lint said
    nothing. ``square_off complete`` changes nothing here: the legs a hit closes with it have
    not hit anything themselves."""
    made = _exits_made(unit)
    out = []
    for on in unit.program.of(A.On):
        legs = made.get(on.event, set())
        if on.leg is None and not legs:
            out.append(_d("W010", f"this reaction can never fire: no leg has a {on.event}", on, "",
                          f"add e.g. {on.event} each leg 30%"))
        elif on.leg is not None and on.leg not in legs:
            out.append(_d("W010", f"this reaction can never fire: {on.leg} has no {on.event}", on, "",
                          f"add e.g. {on.event} {on.leg} 30%"))
    return out


def action_on_closed_leg(unit: Unit) -> list[Diagnostic]:
    """W014: a reaction whose action acts on a leg already closed when it runs: its own leg
    (``on stop_loss(ce): move ce.stop to cost``, ``... close ce``), or, under ``square_off
    complete``, any leg (``close pe``, ``move ... stop to cost``). It runs and does nothing; lint
    said nothing. ``exit`` still ends the cycle (no re-entry) and ``open`` opens a leg: not reported."""
    complete = any(s.mode == "complete" for s in unit.program.of(A.SquareOff))
    out = []
    for on in unit.program.of(A.On):
        act = on.action
        if act.what not in ("close", "move_to_cost"):
            continue
        if complete:
            out.append(_d("W014", f"this action does nothing: square_off complete has closed every leg when the "
                          f"{on.event} runs it", on, "", "drop it, or use square_off partial"))
        elif on.leg is not None and act.target == on.leg:
            out.append(_d("W014", f"this action does nothing: {on.leg} is closed by the {on.event} that runs it", on,
                          "", "name another leg, or drop it"))
    return out


def armed_rules(unit: Unit) -> list:
    """The stops, targets and trailing stops armed on a fill, in the order written: a trailing
    distance after a move (``trailing ce 5 pts after 10 pts``) is a trailing stop like any other
    (the stepped ``every ... by`` moves the stop instead and replaces nothing)."""
    return [s for s in unit.program.statements
            if isinstance(s, A.LegRule) or (isinstance(s, A.LegTrail) and s.distance is not None)]


def rule_winners(unit: Unit, rules: list) -> dict:
    """(rule kind, leg) -> the rule that runs on that leg: the last one written."""
    winner: dict = {}
    for r in rules:
        for leg in ([r.leg] if r.leg else unit.legs):
            winner[(r.rule, leg)] = r
    return winner


def replaced_rule(unit: Unit) -> list[Diagnostic]:
    """A stop, target or trailing rule that a later one replaces on every leg it covers: it
    never applies (the runtime arms the rules in the order written; the last one for a leg wins).
    Replacing it on some legs only (``stop_loss each leg 30%``, then ``stop_loss ce 20%``) is
    the usual way to single one leg out and is not reported."""
    rules = armed_rules(unit)
    winner = rule_winners(unit, rules)
    out = []
    for r in rules:
        legs = [r.leg] if r.leg else list(unit.legs)
        if legs and all(winner[(r.rule, leg)] is not r for leg in legs):
            out.append(_d("W011", f"this {r.rule} never applies: a later {r.rule} replaces it on "
                          f"{'every leg' if r.leg is None else r.leg}", r, "replaced further down",
                          "remove one of them (the last rule written for a leg is the one that runs)"))
    return out


def _pct(unit: Unit, amount) -> float | None:
    """A percent amount's value (a parameter's default when it is one), else None."""
    if amount.unit == "pct":
        return amount.value
    if amount.unit == "param" and amount.param in unit.params:
        default = unit.params[amount.param].default
        return default.value if isinstance(default, A.Pct) else None
    return None


def _pct_most(unit: Unit, amount) -> tuple[float, str] | None:
    """The largest percent an amount takes, with how it is said: a literal, a parameter's default,
    or a value of its sweep (``sweep [50%, 120%]``: the sweep's 120 % runs without a target that
    can fire, and lint looked at the default only)."""
    value = _pct(unit, amount)
    p = unit.params.get(amount.param) if amount.unit == "param" else None
    sweep = None if p is None else p.sweep
    most = None
    if isinstance(sweep, A.SweepList):
        most = max((v.value for v in sweep.values if isinstance(v, A.Pct)), default=None)
    elif isinstance(sweep, A.SweepRange) and isinstance(sweep.start, A.Pct) and isinstance(sweep.step, A.Pct):
        most = sweep.start.value + sweep.step.value * (sweep_count(sweep) - 1)
    if most is not None and (value is None or most > value):
        return most, f" (a sweep value of {amount.param})"
    return None if value is None else (value, "")


def unreachable_target(unit: Unit) -> list[Diagnostic]:
    """W012: a target no price can reach. A sold leg's price falls at most to just above 0 (a zero
    price is unusable data), so its percent target of 100 % or more never fires (a leg that a
    `reverse` re-entry may open as a BUY is left out); nor does an MTM percent target of 100 % or
    more when every leg is sold and no re-entry or shift can sell more than the premium counted.
    Which rules, and the test, are ``optbt.dsl.never_fires``'s (a run checks its own values with them)."""
    out = []
    for site in NF.sites(unit):
        most = _pct_most(unit, site.amount) if site.code == "W012" else None
        if most is None or not NF.cannot_fire(most[0]):
            continue
        value, said = most
        if site.rule == "target":
            out.append(_d("W012", f"target {value:g}%{said} can never fire on {', '.join(site.legs)}: "
                          f"{NF.why('target', value)}", site.node, "never reached",
                          "a sold leg's percent target is below 100 % (its price never reaches 0); check the number"))
        else:
            out.append(_d("W012", f"mtm_target {value:g}%{said} can never fire: {NF.why('mtm_target', value)}",
                          site.node, "never reached", "an MTM target below 100 % of the premium, or in money (rs ...)"))
    return out


def _parts(e):
    """Every node of an expression (iterative)."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack += [getattr(node, f) for f in ("operand", "left", "right") if getattr(node, f, None) is not None]
        stack += list(getattr(node, "operands", [])) + list(getattr(node, "args", []))


def range_before_known(unit: Unit) -> list[Diagnostic]:
    """An entry window that closes before a range it reads is known: the condition can never hold."""
    ranges = {r.name: r for r in unit.program.of(A.RangeDecl)}
    out = []
    for e in unit.program.of(A.Entry):
        end = _time_value(unit, e.end) if e.end is not None else None
        if not ranges or e.when is None or end is None:
            continue
        for node in _parts(e.when):
            r = ranges.get(node.obj) if isinstance(node, A.Attr) else None
            if r is not None and end < r.end:
                out.append(_d("W009", f"the entry window ends at {end}, before range {r.name} is known ({r.end})",
                              node, "never known in the window",
                              f"end the window after {r.end}, or end the range earlier"))
    return out


@dataclass(frozen=True, slots=True)
class Session:
    """The session a file is linted against (``optbt lint --data``): ``[session]`` of a
    dataset.toml, read without opening the data (no DuckDB: the times are in the config)."""

    open: str     # "09:30"
    close: str    # "16:00"
    dataset: str  # its name, for the message


def _time_ref(unit: Unit, e) -> tuple[str, str] | None:
    """(the time, how the file wrote it): ``("09:20", "09:20")`` or, for a time parameter,
    ``("09:20", "entry_time (default 09:20)")``: lint sees the default, not a run's --param."""
    value = _time_value(unit, e)
    if value is None:
        return None
    return value, value if isinstance(e, A.Time) else f"{e.name} (default {value})"


def outside_session(unit: Unit, session: Session) -> list[Diagnostic]:
    """W013: a time of the file outside the dataset's session (bars labelled by their end, so the
    first tick is after the open and the last at the close). What each one does, as a run says it
    (the day's note, the run's warning: docs/language.md, Entry)."""
    o, c = session.open, session.close
    where = f"the session {o}–{c} (dataset {session.dataset})"
    out = []

    def say(node, message: str, label: str, help_: str = "move it inside the session") -> None:
        out.append(_d("W013", message, node, label, help_))

    for e in unit.program.of(A.Entry)[:1]:
        at = _time_ref(unit, e.at) if e.at is not None else None
        if at and at[0] >= c:  # none is tried on the day's last tick, the close
            say(e, f"entry at {at[1]} is at or after the close of {where}", "no entry is ever tried")
        elif at and at[0] < o:
            say(e, f"entry at {at[1]} is before the open of {where}", f"entries are tried from the open {o} on")
        start = _time_ref(unit, e.start) if e.start is not None else None
        end = _time_ref(unit, e.end) if e.end is not None else None
        if start and end:
            window = f"the entry window {start[1]}–{end[1]}"
            if end[0] <= o:
                say(e, f"{window} ends at or before the open of {where}", "no entry is ever tried in it")
            elif start[0] >= c:
                say(e, f"{window} starts at or after the close of {where}", "no entry is ever tried in it")
            elif start[0] < o:
                say(e, f"{window} starts before the open of {where}", f"only {o}–{end[0]} of it is in the session")
            elif end[0] > c:
                say(e, f"{window} ends after the close of {where}",
                    f"entries stop before {c} (none on the day's last tick)")
    for x in unit.program.of(A.ExitAt):
        at = _time_ref(unit, x.at)
        if at and at[0] <= o:
            say(x, f"exit at {at[1]} is at or before the open of {where}",
                "the exit rule holds from the first tick: nothing ever enters")
        elif at and at[0] > c:
            say(x, f"exit at {at[1]} is after the close of {where}",
                f"it never holds: what is open closes on the day's last tick, {c} (reason eod)")
    for r in unit.program.of(A.RangeDecl):
        span = f"range {r.name} {r.start} .. {r.end}"
        if r.end <= o:
            say(r, f"{span} ends at or before the open of {where}", "no bar lies in it: its high and low are never known")
        elif r.end > c:
            say(r, f"{span} ends after the close of {where}", "never complete: its high and low are never known")
        elif r.start < o:
            say(r, f"{span} starts before the open of {where}", f"its high and low are of {o}–{r.end} only")
    for leg in unit.program.of(A.LegEntry):
        at = _time_ref(unit, leg.at)
        if at and at[0] >= c:  # no leg opens on the day's last tick, the close
            say(leg, f"leg {leg.leg}'s entry at {at[1]} is at or after the close of {where}",
                "the leg never opens while the other legs trade")
        elif at and at[0] < o:
            say(leg, f"leg {leg.leg}'s entry at {at[1]} is before the open of {where}",
                "the leg is due at once: it opens with the entry")
    return out


RULES: tuple[Rule, ...] = (unused_parameter, leg_closed_only_at_eod, exit_before_entry, wide_stop,
                           cycles_without_exit, constant_condition, mtm_misses_closed_legs, lock_never_arms,
                           reentry_never_fires, reaction_never_fires, range_before_known, replaced_rule,
                           unreachable_target, action_on_closed_leg)

_ALLOW = re.compile(r"#\s*lint:\s*allow(-file)?\s+([A-Z]\d+(?:\s*,\s*[A-Z]\d+)*)")


def lint_text(text: str, limits=None, session: Session | None = None) -> list[Diagnostic]:
    """What ``optbt lint`` reports for a file's text: syntax errors, else check errors, else
    warnings (with a ``session``, ``--data``: also times outside it, W013)."""
    from optbt.dsl.checks import check
    from optbt.dsl.parser import parse_text
    program, diags = parse_text(text)
    if diags:
        return diags
    unit = check(program, limits)
    return unit.diagnostics or lint_unit(unit, text, session)


def lint_unit(unit: Unit, source: str, session: Session | None = None) -> list[Diagnostic]:
    """Every rule's findings, minus the suppressed ones, in line order. The session's rule
    (W013) runs only when a session is given: without ``--data`` lint knows no session."""
    per_line: dict[int, set[str]] = {}
    whole_file: set[str] = set()
    for number, line in enumerate(split_lines(source), start=1):
        for m in _ALLOW.finditer(line):
            codes = {c.strip() for c in m.group(2).split(",")}
            if m.group(1):
                whole_file |= codes
            else:
                per_line.setdefault(number, set()).update(codes)
                per_line.setdefault(number + 1, set()).update(codes)
    found = [d for rule in RULES for d in rule(unit)]
    if session is not None:
        found += outside_session(unit, session)
    kept = [d for d in found if d.code not in whole_file and d.code not in per_line.get(d.line, set())]
    return sorted(kept, key=lambda d: (d.line, d.column, d.code))
