"""``optbt fmt``: print a program back as canonical .strat text, comments kept.

Printing is by node kind (a kind with no printer is an error). Parentheses are added only
where precedence needs them, so format -> parse gives the same AST (spans aside), and
formatting formatted text changes nothing.
"""

from __future__ import annotations

from optbt.dsl import ast as A

_PREC = {"boolop_or": 1, "boolop_and": 2, "not": 3, "compare": 4, "member": 4, "binop_+": 5, "binop_-": 5,
         "binop_*": 6, "binop_/": 6, "neg": 7}


def _prec(e) -> int:
    if e.kind == "boolop":
        return _PREC["boolop_" + e.op]
    if e.kind == "binop":
        return _PREC["binop_" + e.op]
    return _PREC.get(e.kind, 8)


def number(v: float) -> str:
    """A number as a user writes it.

    >>> number(21000.0), number(1.5)
    ('21000', '1.5')
    """
    return str(int(v)) if float(v).is_integer() else repr(v)


def expr(e) -> str:
    printer = _EXPR.get(e.kind)
    if printer is None:
        raise NotImplementedError(f"no printer for expression kind {e.kind!r}")
    return printer(e)


def _wrap(child, limit: int, strict: bool = False) -> str:
    text = expr(child)
    p = _prec(child)
    return f"({text})" if (p < limit or (strict and p == limit)) else text


_EXPR = {
    "num": lambda e: number(e.value),
    "pct": lambda e: f"{number(e.value)}%",
    "time": lambda e: e.value,
    "money": lambda e: f"rs {number(e.value)}",
    "bool": lambda e: "true" if e.value else "false",
    "word": lambda e: e.value,
    "name": lambda e: e.name,
    "attr": lambda e: f"{e.obj}.{e.attr}",
    "neg": lambda e: "-" + _wrap(e.operand, 7),
    "binop": lambda e: f"{_wrap(e.left, _prec(e))} {e.op} {_wrap(e.right, _prec(e), strict=True)}",
    "compare": lambda e: f"{_wrap(e.left, 5)} {e.op} {_wrap(e.right, 5)}",
    "member": lambda e: f"{_wrap(e.operand, 5)} in ({', '.join(w.value for w in e.items)})",
    "not": lambda e: "not " + _wrap(e.operand, 3),
    "boolop": lambda e: f" {e.op} ".join(_wrap(o, _prec(e), strict=True) for o in e.operands),
}


def literal(lit) -> str:
    return expr(lit)


def strike(s: A.Strike) -> str:
    if s.how == "atm":
        return "ATM" if s.offset == 0 else f"ATM {'+' if s.offset > 0 else '-'} {abs(s.offset)}"
    if s.how == "abs":
        return number(s.value)
    if s.how == "otm":
        return f"OTM {number(s.value)}%"
    return f"premium {s.mode} {number(s.value)}"


def expiry_rule(r: A.ExpiryRule) -> str:
    return r.word if r.word else f"dte {r.op} {r.days}"


def amount(a: A.Amount) -> str:
    return {"pct": lambda: f"{number(a.value)}%", "pts": lambda: f"{number(a.value)} pts",
            "money": lambda: f"rs {number(a.value)}", "param": lambda: a.param}[a.unit]()


def _header(s: A.Header) -> str:
    if s.description is None:
        return f"strategy {s.name}"
    text = s.description.replace("\\", "\\\\").replace('"', '\\"')
    return f'strategy {s.name} "{text}"'


def _param(p: A.Param) -> str:
    t = f"choice({', '.join(p.choices or [])})" if p.type == "choice" else p.type
    text = f"{p.name}: {t} = {literal(p.default)}"
    if isinstance(p.sweep, A.SweepRange):
        text += f" sweep {literal(p.sweep.start)} .. {literal(p.sweep.stop)} step {literal(p.sweep.step)}"
    elif isinstance(p.sweep, A.SweepList):
        text += f" sweep [{', '.join(literal(v) for v in p.sweep.values)}]"
    return text


def _leg(leg: A.LegDecl) -> str:
    args = [strike(leg.strike), leg.opt_type, leg.side]
    if leg.qty is not None:
        args.append(expr(leg.qty))
    if leg.expiry is not None:
        args.append(f"expiry = {expiry_rule(leg.expiry)}")
    return (f"{leg.name} = " if leg.name else "") + f"add({', '.join(args)})"


def _entry(e: A.Entry) -> str:
    text = "entry"
    if e.at is not None:
        text += f" at {expr(e.at)}"
    if e.start is not None:
        text += f" between {expr(e.start)} and {expr(e.end)}"
    if e.when is not None:
        text += f" when {expr(e.when)}"
    return text


def _on(o: A.On) -> str:
    act = o.action
    what = {"move_to_cost": lambda: f"move {act.target}.stop to cost", "exit": lambda: "exit",
            "close": lambda: f"close {act.target}"}[act.what]()
    return f"on {o.event}{f'({o.leg})' if o.leg else ''}: {what}"


_STMT = {
    "header": _header,
    "section": lambda s: s.name,
    "param": _param,
    "leg": _leg,
    "underlying": lambda s: f"underlying {s.name}",
    "expiry": lambda s: f"expiry {expiry_rule(s.rule)}",
    "max_cycles": lambda s: f"max_cycles {s.n}",
    "entry": _entry,
    "leg_rule": lambda s: f"{s.rule} {'each leg' if s.leg is None else s.leg} {amount(s.amount)}",
    "on": _on,
    "square_off": lambda s: f"square_off {s.mode}",
    "shift": lambda s: f"shift {s.leg} to {strike(s.strike)} when {expr(s.when)}",
    "exit_at": lambda s: f"exit at {expr(s.at)}" + (f" or when {expr(s.when)}" if s.when is not None else ""),
    "exit_when": lambda s: f"exit when {expr(s.when)}",
    "mtm_rule": lambda s: f"{s.rule} {amount(s.amount)}",
    "trail_mtm": lambda s: f"trail_mtm after {literal(s.after)} by {literal(s.by)}",
}


def statement(s) -> str:
    printer = _STMT.get(s.kind)
    if printer is None:
        raise NotImplementedError(f"no printer for statement kind {s.kind!r}")
    return printer(s)


def format_program(prog: A.Program) -> str:
    """Canonical text: sections indent their declarations; comments stay with their lines."""
    lead: dict[int, list[str]] = {}
    trail: dict[int, str] = {}
    stmt_lines = [s.span.line for s in prog.statements if s.span]
    for c in prog.comments:
        if c.trailing:
            trail[c.line] = c.text
        else:
            following = next((ln for ln in stmt_lines if ln > c.line), None)
            lead.setdefault(following if following is not None else 10 ** 9, []).append(c.text)
    out: list[str] = []
    in_section = False
    prev = None
    for s in prog.statements:
        decl = s.kind in ("param", "leg")
        if s.kind == "section" or (prev is not None and prev.kind in ("header",)) or (
                prev is not None and prev.kind in ("param", "leg") and not decl):
            if out and out[-1] != "":
                out.append("")
        if s.kind == "section":
            in_section = True
        elif not decl:
            in_section = False
        indent = "    " if decl and in_section else ""
        line = s.span.line if s.span else None
        for c in lead.get(line, []):
            out.append(indent + c)
        text = indent + statement(s)
        if line in trail:
            text += "  " + trail[line]
        out.append(text)
        prev = s
    for c in lead.get(10 ** 9, []):
        out.append(c)
    return "\n".join(out).rstrip() + "\n"
