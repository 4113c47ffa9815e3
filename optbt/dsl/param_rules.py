"""The ranges a parameter's values must lie in, by name: checked on the file's default and sweep
values (E0405) and again on every value a run is given (``--param``, ``--grid``, ``params=``).

Why by name: the compiled class carries ``PARAM_RULES = {param: ((rule, what), ...)}`` as plain
data (written with ``repr``), and the runtime looks the test up here. A value the file could not
hold (``OTM n`` with ``n = -2`` picks an in-the-money strike) is refused at the start of the run,
with what it is used for, instead of quietly trading another strike.
"""

from __future__ import annotations

from typing import Any, Callable

from optbt.dsl import limits as L


def _whole(v: float) -> bool:
    return float(v).is_integer()


RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "positive": (lambda v: v > 0, "above 0"),
    "dte": (lambda v: 0 <= v <= L.MAX_DTE and _whole(v), f"a whole number from 0 to {L.MAX_DTE}"),
    "steps": (lambda v: _whole(v) and 0 <= v <= L.MAX_ATM_OFFSET,
              f"a whole number of at most {L.MAX_ATM_OFFSET} steps, not below 0"),
    "signed_steps": (lambda v: _whole(v) and abs(v) <= L.MAX_ATM_OFFSET,
                     f"a whole number of at most {L.MAX_ATM_OFFSET} steps"),
    "delta": (lambda v: 0 < v < 1, "between 0 and 1 (0.16 for a 16-delta option)"),
    "reentries": (lambda v: _whole(v) and 1 <= v <= L.MAX_REENTRIES, f"a whole number from 1 to {L.MAX_REENTRIES}"),
}


def keep(rules: dict[str, list], name: str, rule: str, what: str) -> None:
    """Record that parameter ``name`` must satisfy ``rule`` (said as ``what``) in a run too."""
    checks = rules.setdefault(name, [])
    if (rule, what) not in checks:
        checks.append((rule, what))


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# Rules between two values: "before:OTHER" / "below:OTHER" (this value must be less than the
# other parameter's; "after"/"above": more) or "before:=VALUE" ... (than a value written in the
# file). Checked when a run is given all its values; one value alone (``param_refusal``) checks
# only those against a written value.


def _pair(name: str, v: Any, rule: str, what: str, values: dict[str, Any]) -> str | None:
    kind, _, other = rule.partition(":")
    if other.startswith("="):
        w: Any = other[1:]
        if is_number(v):
            w = float(w)
        shown = other[1:]
    elif other in values:
        w, shown = values[other], f"{other} ({values[other]!s})"
    else:
        return None
    if type(v) is not type(w) and not (is_number(v) and is_number(w)):
        return None
    ok = v < w if kind in ("before", "below") else v > w
    return None if ok else f"{name}: {what} must be {kind} {shown}; got {v!s}"


def broken(rules: dict[str, tuple[tuple[str, str], ...]], values: dict[str, Any]) -> str | None:
    """The first rule a value breaks, said for the user; None when every value fits."""
    for name, checks in rules.items():
        if name not in values:
            continue
        v = values[name]
        for rule, what in checks:
            if ":" in rule:
                why = _pair(name, v, rule, what, values)
                if why is not None:
                    return why
                continue
            if not is_number(v):
                continue
            ok, text = RULES[rule]
            if not ok(v):
                return f"{name}: {what} must be {text}; got {v:g}"
    return None
