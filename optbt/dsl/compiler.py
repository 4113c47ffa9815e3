"""AST -> readable Python: one DslStrategy subclass per .strat file.

The pipeline is an ordered tuple of passes (parse -> check -> lower). Lowering dispatches by
node kind through tables; a kind with no handler is a hard error, never a silent skip. The
generated source is built only from a checked AST: identifiers were validated (no leading
underscores, no Python keywords, nothing the runtime reserves) and every literal is emitted
with ``repr``, so no user text ever reaches Python as code.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from pathlib import Path

from optbt.dsl import ast as A
from optbt.dsl.checks import Unit, check
from optbt.dsl.diagnostics import StratError
from optbt.dsl.parser import parse_text

_PY_TYPE = {"int": "int", "float": "float", "percent": "float", "time": "str", "bool": "bool", "choice": "str"}
_BUILTIN_PY = {"spot": "num(ctx.spot)", "atm": "num(ctx.atm)", "dte": "num(ctx.dte)", "time": "ctx.time",
               "mtm": "ctx.mtm", "pnl": "ctx.day_pnl", "weekday": "ctx.weekday", "day": "ctx.weekday"}
_ATTR_PY = {"ltp": "self.leg_ltp", "entry_price": "self.leg_entry_price", "pnl": "self.leg_pnl"}


def class_name(name: str) -> str:
    """``straddle_920`` -> ``Straddle920``.

    >>> class_name("iron_condor_mtm")
    'IronCondorMtm'
    """
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "Strategy"


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

    def __init__(self, unit: Unit):
        self.unit = unit

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

    def x_word(self, e):
        return repr(e.value)

    def x_name(self, e):
        if e.name in self.unit.params:
            return f"self.{e.name}"
        return _BUILTIN_PY[e.name]

    def x_attr(self, e):
        return f"{_ATTR_PY[e.attr]}(ctx, {e.obj!r})"

    def x_neg(self, e):
        return f"-{self.expr(e.operand)}"

    def x_binop(self, e):
        return f"({self._as_number(e.left)} {e.op} {self._as_number(e.right)})"

    def x_compare(self, e):
        return f"{self.expr(e.left)} {e.op} {self.expr(e.right)}"

    def x_member(self, e):
        items = ", ".join(repr(w.value) for w in e.items)
        return f"{self.expr(e.operand)} in ({items},)"

    def x_not(self, e):
        return f"not ({self.expr(e.operand)})"

    def x_boolop(self, e):
        return f" {e.op} ".join(f"({self.expr(o)})" for o in e.operands)


# -- statements -------------------------------------------------------------------------------------------
def _strike_py(strike: A.Strike, opt_type: str) -> str:
    if strike.how == "atm":
        return f"self.strike_atm(ctx, {strike.offset!r})"
    if strike.how == "abs":
        return repr(strike.value)
    if strike.how == "otm":
        return f"self.strike_otm(ctx, {opt_type!r}, {strike.value!r})"
    if strike.how == "premium":
        return f"self.strike_premium(ctx, {opt_type!r}, {strike.mode!r}, {strike.value!r})"
    raise NotImplementedError(f"no lowering for strike {strike.how!r}")


def _expiry_rule(rule: A.ExpiryRule | None) -> str | None:
    if rule is None:
        return None
    if rule.word is not None:
        return rule.word
    op = "=" if rule.op == "==" else rule.op
    return f"dte{op}{rule.days}"


def _amount_py(amount: A.Amount) -> tuple[str, str]:
    if amount.unit == "param":
        return "pct", f"self.{amount.param}"
    return amount.unit, repr(amount.value)


class Generator:
    """Writes the class, section by section."""

    def __init__(self, unit: Unit, source_name: str):
        self.unit = unit
        self.source_name = source_name
        self.low = Lowerer(unit)
        self.prog = unit.program

    def one(self, kind):
        found = self.prog.of(kind)
        return found[0] if found else None

    def source(self) -> str:
        header = self.unit.header
        cls = class_name(header.name)
        out = [f'"""Compiled by optbt from {self.source_name}: edit the .strat file and compile again."""',
               "", "from optbt.dsl.runtime import DslStrategy, num", "", "",
               f"class {cls}(DslStrategy):", f"    {repr(header.description or header.name)}", ""]
        out += self.attributes()
        for method in (self.legs, self.entry_ready, self.leg_rules, self.on_event, self.shift_rules,
                       self.mtm_rules, self.trail_mtm, self.exit_ready):
            body = method()
            if body:
                out += [""] + body
        return "\n".join(out) + "\n"

    def attributes(self) -> list[str]:
        lines = []
        for p in self.unit.params.values():
            value = literal_value(p.default)
            value = int(value) if p.type == "int" else value
            lines.append(f"    {p.name}: {_PY_TYPE[p.type]} = {value!r}")
        cycles = self.one(A.MaxCycles)
        lines.append(f"    max_cycles = {cycles.n if cycles else 1}")
        und = self.one(A.Underlying)
        if und is not None:
            lines.append(f"    underlying = {und.name!r}")
        exp = self.one(A.ExpiryStmt)
        lines.append(f"    expiry = {_expiry_rule(exp.rule) if exp else 'nearest'!r}")
        sq = self.one(A.SquareOff)
        lines.append(f"    square_off = {sq.mode if sq else 'partial'!r}")
        sweep = {p.name: sweep_values(p) for p in self.unit.params.values() if p.sweep is not None}
        if sweep:
            lines.append(f"    SWEEP = {sweep!r}")
        choices = {p.name: tuple(p.choices or ()) for p in self.unit.params.values() if p.type == "choice"}
        if choices:
            lines.append(f"    CHOICES = {choices!r}")
        return lines

    def legs(self) -> list[str]:
        names = list(self.unit.legs)
        strikes = [_strike_py(leg.strike, leg.opt_type) for leg in self.unit.legs.values()]
        lines = ["    def legs(self, ctx):", f"        strikes = ({', '.join(strikes)},)",
                 "        if None in strikes:", "            return None", "        return {"]
        for i, (name, leg) in enumerate(zip(names, self.unit.legs.values())):
            qty = "1" if leg.qty is None else self.low.expr(leg.qty)
            if leg.qty is not None and not isinstance(leg.qty, (A.Num, A.Name)):
                qty = f"int({qty})"
            elif isinstance(leg.qty, A.Num):
                qty = repr(int(leg.qty.value))
            expiry = _expiry_rule(leg.expiry)
            extra = f", expiry={expiry!r}" if expiry else ""
            lines.append(f"            {name!r}: self.add(strikes[{i}], {leg.opt_type!r}, {leg.side!r}, {qty}{extra}),")
        lines.append("        }")
        return lines

    def entry_ready(self) -> list[str]:
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
        return ["    def entry_ready(self, ctx):", f"        return {' and '.join(parts) or 'True'}"]

    def leg_rules(self) -> list[str]:
        rules = self.prog.of(A.LegRule)
        if not rules:
            return []
        lines = ["    def leg_rules(self):", "        return ["]
        for r in rules:
            unit, value = _amount_py(r.amount)
            lines.append(f"            ({r.rule!r}, {r.leg!r}, {unit!r}, {value}),")
        return lines + ["        ]"]

    def on_event(self) -> list[str]:
        ons = self.prog.of(A.On)
        if not ons:
            return []
        lines = ["    def on_event(self, ctx, event, key):"]
        for on in ons:
            cond = f"event == {on.event!r}" + (f" and key == {on.leg!r}" if on.leg else "")
            act = on.action
            if act.what == "move_to_cost":
                target = "self.others(key)" if act.target == "others" else repr([act.target])
                body = f"self.move_stop_to_cost({target})"
            elif act.what == "exit":
                body = "self.close_all(event)"
            elif act.what == "close":
                body = f"self.close({act.target!r}, event) if {act.target!r} in self.positions else None"
            else:
                raise NotImplementedError(f"no lowering for action {act.what!r}")
            lines += [f"        if {cond}:", f"            {body}"]
        return lines

    def shift_rules(self) -> list[str]:
        shifts = self.prog.of(A.Shift)
        if not shifts:
            return []
        lines = ["    def shift_rules(self, ctx):", "        out = []"]
        for s in shifts:
            opt = self.unit.legs[s.leg].opt_type
            lines += [f"        if {self.low.expr(s.when)}:",
                      f"            out.append(({s.leg!r}, {_strike_py(s.strike, opt)}))"]
        return lines + ["        return out"]

    def mtm_rules(self) -> list[str]:
        rules = self.prog.of(A.MtmRule)
        if not rules:
            return []
        items = ", ".join(f"({r.rule!r}, {_amount_py(r.amount)[0]!r}, {_amount_py(r.amount)[1]})" for r in rules)
        return ["    def mtm_rules(self):", f"        return [{items}]"]

    def trail_mtm(self) -> list[str]:
        t = self.one(A.TrailMtm)
        if t is None:
            return []
        return ["    def trail_mtm(self):", f"        return ({t.after.value!r}, {t.by.value!r})"]

    def exit_ready(self) -> list[str]:
        parts = []
        for e in self.prog.statements:
            if isinstance(e, A.ExitAt):
                parts.append(f"ctx.time >= {self.low.expr(e.at)}")
                if e.when is not None:
                    parts.append(f"({self.low.expr(e.when)})")
            elif isinstance(e, A.ExitWhen):
                parts.append(f"({self.low.expr(e.when)})")
        if not parts:
            return []
        return ["    def exit_ready(self, ctx):", f"        return {' or '.join(parts)}"]


def sweep_values(p: A.Param) -> list:
    sweep = p.sweep
    if isinstance(sweep, A.SweepList):
        return [literal_value(v) for v in sweep.values]
    start, stop, step = sweep.start.value, sweep.stop.value, sweep.step.value
    values, k = [], 0
    while start + k * step <= stop + 1e-9:
        v = round(start + k * step, 10)
        values.append(int(v) if p.type == "int" else v)
        k += 1
    return values


# -- the pipeline -------------------------------------------------------------------------------------------
def _parse(state: dict) -> None:
    program, diags = parse_text(state["text"])
    state["program"] = program
    state["diagnostics"] += diags


def _check(state: dict) -> None:
    unit = check(state["program"])
    state["unit"] = unit
    if not state["diagnostics"]:  # names and types only make sense on a program that parsed
        state["diagnostics"] += unit.diagnostics


def _lower(state: dict) -> None:
    if state["diagnostics"]:
        return
    state["python"] = Generator(state["unit"], state["name"]).source()


PASSES = (_parse, _check, _lower)


def compile_text(text: str, filename: str = "<strat>") -> tuple[str, str, Unit]:
    """(python source, class name, checked unit); raises StratError with every diagnostic."""
    state = {"text": text, "name": Path(filename).name, "diagnostics": []}
    for step in PASSES:
        step(state)
    if state["diagnostics"]:
        raise StratError(state["diagnostics"], text, filename)
    return state["python"], class_name(state["unit"].header.name), state["unit"]


_LOAD_LOCK = threading.RLock()


def load_text(text: str, filename: str = "<strat>"):
    """Compile and load: the Strategy subclass the file describes.

    The generated module is written to the cache (named by its content hash, so it is
    inspectable and written once) and imported with the standard file loader.
    """
    import hashlib

    from optbt.data.sample import cache_dir

    with _LOAD_LOCK:
        source, cls_name, _ = compile_text(text, filename)
    digest = hashlib.sha1(source.encode()).hexdigest()[:16]
    module_name = f"optbt_strat_{cls_name.lower()}_{digest}"
    with _LOAD_LOCK:  # threads of one worker may load the same file at once
        module = sys.modules.get(module_name)
        if module is None:
            folder = cache_dir() / "compiled"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{module_name}.py"
            if not path.exists() or path.read_text() != source:
                # a name of this process and thread: processes compiling at once never share a tmp file
                tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
                tmp.write_text(source)
                tmp.replace(path)
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[module_name]
                raise
    cls = getattr(module, cls_name)
    cls.__strat_source__ = str(filename)
    return cls
