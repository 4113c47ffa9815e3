"""Percent stops and targets that can never fire: one test for ``optbt lint`` (W004, W012) and
for the values a run is given (``--param``, ``--grid``, ``params=``).

No price is 0 or below (such a price is unusable data, docs/data.md), so a rule whose level a
percent puts at 0 or below never fires: a sold leg's target, or a bought leg's stop loss or
trailing stop, of 100 % or more; and an MTM target of 100 % or more of the premium when every
leg is sold (their MTM reaches the premium only if every price is 0). Lint looks at the file's
own values; a run given ``--param tp_pct=100`` ran with a target that never fires and said
nothing (every day ended at the exit time, as if the target had just never been reached).

A run reads plain data kept beside the compiled class (``__strat_never__``, made by
:func:`run_spec` when the file is loaded), so the runtime imports this module without the AST.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LIMIT = 100.0  # a percent of the price (or of the premium) at or past which the level is 0 or below

# why each kind of rule never fires, as lint and the run say it ({v}: the percent)
SOLD_TARGET = "a sold leg's price would have to fall {v} %, to 0 or below"
ALL_SOLD_MTM = "every leg is sold, and their MTM reaches {v} % of the premium received only if every price falls to 0"
LONG_STOP = "a long leg's price cannot fall more than 100 %, and a price of 0 is no usable price"


def cannot_fire(pct: float) -> bool:
    """Whether a percent stop or target of ``pct`` % on the legs :func:`sites` names is at a
    price of 0 or below (so it never fires).

    >>> cannot_fire(100), cannot_fire(99.95)
    (True, False)
    """
    return pct >= LIMIT


def why(rule: str, pct: float) -> str:
    """Why a ``rule`` of ``pct`` % never fires, in words (``rule`` as written: ``target``,
    ``mtm_target``, ``stop_loss``, ``trailing``)."""
    text = {"target": SOLD_TARGET, "mtm_target": ALL_SOLD_MTM}.get(rule, LONG_STOP)
    return text.format(v=f"{pct:g}")


@dataclass(frozen=True, slots=True)
class Site:
    """A percent rule that never fires once its percent is 100 or more (:func:`cannot_fire`)."""
    code: str                # the lint rule that reports it: "W004" (stops) or "W012" (targets)
    rule: str                # "stop_loss", "trailing", "target" or "mtm_target"
    node: Any                # the statement (its span)
    amount: Any              # its amount (A.Amount): a literal percent or a parameter
    legs: tuple[str, ...]    # the legs on which it never fires; () for an MTM target (the position)


def sites(unit: Any, certain: bool = False) -> list[Site]:
    """The rules of a checked unit that never fire at 100 % or more, in the order written, W004's
    then W012's: a stop loss or trailing stop on a bought leg (lint names a rule over several legs
    when one of them is bought); a target on a sold leg that no ``reverse`` re-entry may open as a
    BUY; an MTM target when every leg is sold and no re-entry or shift sells more than the premium
    counted.

    ``certain`` (a run's warning, which must never be said of a rule that can fire) also leaves
    out a bought leg a ``reverse`` re-entry may open as a SELL, and a stop loss that may move
    (``move LEG.stop to cost``, ``move others.stop to cost``, a stepped ``trailing ... every``):
    moved, it can fire. Lint, which flags the number, names those too."""
    # imported here, not above: the runtime imports this module without the AST
    from optbt.dsl import ast as A

    prog = unit.program
    reversed_ = {leg for r in prog.of(A.Reentry) if r.reverse for leg in ([r.leg] if r.leg else unit.legs)}
    moved: set[str] = set()
    if certain:
        for on in prog.of(A.On):
            if on.action.what == "move_to_cost":
                moved.update(unit.legs if on.action.target == "others" else [on.action.target])
        for t in prog.of(A.LegTrail):
            if t.every is not None:
                moved.update([t.leg] if t.leg else unit.legs)
    out = []
    stops = [(r, r.amount, r.rule) for r in prog.of(A.LegRule) if r.rule in ("stop_loss", "trailing")]
    stops += [(t, t.distance, "trailing") for t in prog.of(A.LegTrail) if t.distance is not None]
    stops.sort(key=lambda s: (s[0].span.line, s[0].span.column))
    for node, amount, rule in stops:
        covered = [node.leg] if node.leg in unit.legs else list(unit.legs)
        legs = [n for n in covered if unit.legs[n].side == "BUY"]
        if certain:
            legs = [n for n in legs if n not in reversed_ and not (rule == "stop_loss" and n in moved)]
        if legs:
            out.append(Site("W004", rule, node, amount, tuple(legs)))
    for r in prog.of(A.LegRule):
        if r.rule == "target":
            covered = [r.leg] if r.leg else list(unit.legs)
            sold = [n for n in covered if n in unit.legs and unit.legs[n].side == "SELL" and n not in reversed_]
            if sold:
                out.append(Site("W012", "target", r, r.amount, tuple(sold)))
    only_sold = unit.legs and all(leg.side == "SELL" for leg in unit.legs.values())
    if only_sold and not prog.of(A.Reentry) and not prog.of(A.Shift):
        out += [Site("W012", "mtm_target", r, r.amount, ()) for r in prog.of(A.MtmRule) if r.rule == "mtm_target"]
    return out


def run_spec(unit: Any) -> dict[str, list]:
    """What a run checks its values against: ``{parameter: [[code, rule, line, [legs]], ...]}``
    for each rule of :func:`sites` (``certain``) whose percent is a parameter. Plain data (JSON),
    kept beside the compiled class as ``__strat_never__``."""
    spec: dict[str, list] = {}
    for s in sites(unit, certain=True):
        if s.amount.unit == "param" and s.amount.param in unit.params:
            spec.setdefault(s.amount.param, []).append([s.code, s.rule, s.node.span.line, list(s.legs)])
    return spec


def run_warnings(spec: dict[str, list], values: dict[str, Any], source: str) -> list[str]:
    """The run's warnings: each rule a parameter's value (``values``, as the run reads them)
    keeps from ever firing, naming the file's line, the parameter, its value and why.

    >>> said = run_warnings({"tp": [["W012", "target", 8, ["ce"]]]}, {"tp": 100.0}, "a.strat")
    >>> print(*said)  # doctest: +NORMALIZE_WHITESPACE
    a.strat:8: target tp = 100% can never fire on ce: a sold leg's price would have to fall 100 %,
    to 0 or below (lint's W012; a value below 100 % can fire)
    >>> run_warnings({"tp": [["W012", "target", 8, ["ce"]]]}, {"tp": 99.5}, "a.strat")
    []
    """
    out = []
    for name, rules in spec.items():
        value = values.get(name)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not cannot_fire(value):
            continue
        for code, rule, line, legs in rules:
            on = f" on {', '.join(legs)}" if legs else ""
            out.append(f"{source}:{line}: {rule} {name} = {value:g}% can never fire{on}: {why(rule, value)} "
                       f"(lint's {code}; a value below {LIMIT:g} % can fire)")
    return out
