"""Values a file can take before it runs: sweeps (counted, never expanded to be counted) and
number expressions over parameters, worked out as the compiled code would work them out.

Used by the checks to validate every default and sweep value of the parameters a quantity,
an amount or an entry window uses (``unit`` is the checks' Unit: its params, sweeps, types).
"""

from __future__ import annotations

import math
from optbt.dsl import ast as A


def sweep_count(sweep: A.SweepRange) -> int:
    """How many values ``start .. stop step s`` has, computed (never by expanding the range).

    >>> sweep_count(A.SweepRange(start=A.Num(value=1), stop=A.Num(value=1e9), step=A.Num(value=1)))
    1000000000
    """
    start, stop, step = sweep.start.value, sweep.stop.value, sweep.step.value
    return math.floor((stop - start + 1e-9) / step) + 1


def sweep_values(p: A.Param) -> list:
    """The values a parameter's sweep declares (call only on a checked, bounded sweep)."""
    sweep = p.sweep
    if isinstance(sweep, A.SweepList):
        return [v.value for v in sweep.values]
    start, step = sweep.start.value, sweep.step.value
    values = [round(start + k * step, 10) for k in range(sweep_count(sweep))]
    return [int(v) for v in values] if p.type == "int" else values


def param_values(unit, name: str) -> list:
    """A parameter's default, then every sweep value (each once, in order)."""
    p = unit.params[name]
    values = [p.default.value]
    if name in unit.sweeps:
        values += [v for v in sweep_values(p) if v not in values]
    return values


def show(v) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:g}" if isinstance(v, float) else str(v)


def params_in(unit, e) -> set:
    """Parameter names an expression reads; None in the set when it reads anything else."""
    out, stack = set(), [e]
    while stack:
        node = stack.pop()
        if isinstance(node, A.Name):
            out.add(node.name if node.name in unit.params else None)
        elif isinstance(node, A.MoneyParam):
            out.add(node.param if node.param in unit.params else None)
        elif isinstance(node, A.Attr):
            out.add(None)
        else:
            stack += [getattr(node, f) for f in ("operand", "left", "right") if hasattr(node, f)]
            stack += list(getattr(node, "operands", []))
    return out


def evaluate(unit, e, env: dict) -> float:
    """A number expression over parameters, as the compiled code works it out (percent in
    arithmetic is a fraction); NaN where Python would fail (division by zero, overflow)."""
    kind = e.kind
    if kind in ("num", "money"):
        return float(e.value)
    if kind == "pct":
        return e.value
    if kind == "name":
        return float(env[e.name]) if e.name in env else math.nan
    if kind == "money_param":
        return float(env[e.param]) if e.param in env else math.nan
    if kind == "neg":
        return -evaluate(unit, e.operand, env)
    if kind == "binop":
        spine = []
        while e.kind == "binop":
            spine.append(e)
            e = e.left
        value = _arith_operand(unit, e, env)
        for node in reversed(spine):
            right = _arith_operand(unit, node.right, env)
            try:
                value = (value + right if node.op == "+" else value - right if node.op == "-"
                         else value * right if node.op == "*" else value / right)
            except (ArithmeticError, ValueError):
                return math.nan
        return value
    return math.nan


def _arith_operand(unit, e, env: dict) -> float:
    value = evaluate(unit, e, env)
    return value / 100 if unit.types.get(id(e)) == "percent" else value


def time_values(unit, ref) -> list[str] | None:
    """The times a time reference can take: a literal, or a time parameter's default and sweep values."""
    if isinstance(ref, A.Time):
        return [ref.value]
    if isinstance(ref, A.Name) and ref.name in unit.params and unit.params[ref.name].type == "time" \
            and isinstance(unit.params[ref.name].default, A.Time):
        return [v for v in param_values(unit, ref.name) if isinstance(v, str)]
    return None


def article(word: str) -> str:
    """``int`` -> ``an int``, ``float`` -> ``a float``: a type's name in a sentence."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"
