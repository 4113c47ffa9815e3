"""Market signals in the language: checks, lowering and words for the constructs that read the
market rather than the trade.

- ``spot.open|high|low|close|volume`` (the newest spot bar known at the tick);
- ``series vix`` declares a dataset series; then ``vix`` (its close), ``vix.high``, ``vix.prev.close``;
- ``prev.close|open|high|low`` and ``prev_day(n).close`` (previous trading days in the data),
  ``gap`` (points) and ``gap_pct`` (percent): today's open against the previous close;
- ``range orb 09:15 .. 09:30`` then ``orb.high`` / ``orb.low``, known from 09:30 on;
- functions from :mod:`optbt.dsl.functions` (``abs``, ``min``, ``max``, indicators);
- ``x[n]`` (x n ticks ago, today) and ``a crosses above b`` / ``crosses below``.

The checks module passes itself in (:func:`typers`, :func:`check_declarations`) instead of being
imported here, so the two never import each other. The compiler records which values need a history (``x[n]``, both sides of a cross) as numbered
*tracked* expressions: the runtime evaluates each once per tick, before the conditions, so a
lookback never depends on whether a condition happened to be evaluated on the previous tick.
"""

from __future__ import annotations

from optbt.dsl import ast as A
from optbt.dsl.functions import BAR_FIELDS, DAY_FIELDS, FUNCTIONS, MAX_LOOKBACK, MAX_PREV_DAYS, signature
from optbt.model.errors import did_you_mean

SPOT = "spot"
MARKET_WORDS = ("prev", "prev_day", "gap", "gap_pct")
_GAP = {"gap": "number", "gap_pct": "percent"}


def _ranges(unit) -> dict[str, A.RangeDecl]:
    return {r.name: r for r in unit.program.of(A.RangeDecl)}


def series_names(unit) -> list[str]:
    return [n for s in unit.program.of(A.SeriesDecl) for n in s.names]


def check_declarations(C, unit) -> None:
    """``range`` and ``series`` statements: names free and well-formed, windows that make sense."""
    taken = set(unit.params) | set(unit.legs)
    seen: set[str] = set()
    for stmt in unit.program.statements:
        if isinstance(stmt, A.RangeDecl):
            names, what = [stmt.name], "range"
        elif isinstance(stmt, A.SeriesDecl):
            names, what = stmt.names, "series"
        else:
            continue
        for name in names:
            C._ident(unit, name, stmt.span, what)
            if name == SPOT or name in MARKET_WORDS:
                unit.error("E0103", f"{what} name '{name}' is a word of the language", stmt.span, "",
                           f"choose another name, e.g. my_{name}")
            elif name in taken or name in seen:
                unit.error("E0202", f"'{name}' is declared twice", stmt.span, "",
                           "parameters, legs, ranges and series need distinct names")
            seen.add(name)
        if isinstance(stmt, A.RangeDecl):
            for t in (stmt.start, stmt.end):
                hh, mm = (int(x) for x in t.split(":"))
                if hh > 23 or mm > 59:
                    unit.error("E0405", f"{t} is not a time of day", stmt.span, "", "times run from 00:00 to 23:59")
            if stmt.start >= stmt.end:
                unit.error("E0405", f"the range ends at {stmt.end}, not after it starts at {stmt.start}", stmt.span,
                           "", "write the earlier time first: range orb 09:15 .. 09:30")


def name_type(unit, e: A.Name) -> str | None:
    """The type of a market name, or None when ``e`` is not one."""
    if e.name in series_names(unit):
        return "number"
    if e.name in ("prev", "prev_day"):
        unit.error("E0203", f"'{e.name}' is not a value by itself", e.span, "",
                   "use prev.close, prev.high, prev.low, prev.open or prev_day(2).close")
        return "?"
    return None


def _source_ok(unit, obj: str) -> bool:
    return obj == SPOT or obj in series_names(unit)


def attr_type(unit, e: A.Attr) -> str | None:
    """The type of ``spot.high``, ``vix.prev.close``, ``prev.close``, ``orb.high``; None when
    ``e.obj`` is none of these (then it is a leg's attribute)."""
    obj, attr = e.obj, e.attr
    if obj in _ranges(unit):
        if attr in ("high", "low"):
            return "number"
        unit.error("E0203", f"ranges have no '{attr}'", e.span, "", f"use {obj}.high or {obj}.low")
        return "?"
    if obj == "prev":
        if attr in DAY_FIELDS:
            return "number"
        unit.error("E0203", f"the previous day has no '{attr}'", e.span, "",
                   f"use prev.{' / prev.'.join(DAY_FIELDS)}{did_you_mean(attr, DAY_FIELDS)}")
        return "?"
    if not _source_ok(unit, obj):
        if "." in attr or attr in BAR_FIELDS or attr in _GAP:
            unit.error("E0201", f"unknown series '{obj}'", e.span, "",
                       f"declare it with: series {obj} (the dataset names it [series.{obj}])"
                       f"{did_you_mean(obj, [SPOT, *series_names(unit)])}")
            return "?"
        return None
    if attr in BAR_FIELDS:
        return "number"
    if attr in _GAP:
        return _GAP[attr]
    if attr.startswith("prev.") and attr[5:] in DAY_FIELDS:
        return "number"
    fields = list(BAR_FIELDS) + list(_GAP) + [f"prev.{f}" for f in DAY_FIELDS]
    unit.error("E0203", f"{obj} has no '{attr}'", e.span, "", f"use one of {', '.join(fields)}"
               f"{did_you_mean(attr, fields)}")
    return "?"


def _whole(e) -> int | None:
    return int(e.value) if isinstance(e, A.Num) and float(e.value).is_integer() else None


def call_type(C, unit, e: A.Call) -> str:
    f = FUNCTIONS.get(e.func)
    if f is None:
        unit.error("E0201", f"unknown function '{e.func}'", e.span, "",
                   f"functions: {', '.join(FUNCTIONS)}{did_you_mean(e.func, FUNCTIONS)}")
        for a in e.args:
            if a.kind != "interval":
                C.expr_type(unit, a)
        return "?"
    if e.field is not None and e.field not in f.fields:
        has = f"it has .{', .'.join(f.fields)}" if f.fields else "it gives one value"
        unit.error("E0203", f"{e.func}(...) has no '.{e.field}'", e.span, "", has + did_you_mean(e.field, f.fields))
        return "?"
    if e.field is None and f.default_field is None:
        unit.error("E0203", f"{e.func}(...) needs a field", e.span, "", f"write {signature(f)}")
        return "?"
    if f.kind == "math":
        if len(e.args) != f.numbers or any(a.kind == "interval" for a in e.args):
            unit.error("E0301", f"{e.func} takes {f.numbers} value(s)", e.span, "", f"write {signature(f)}")
            return "?"
        types = [C.expr_type(unit, a) for a in e.args]
        if "?" in types:
            return "?"
        ok = {"number", "percent", "money"}
        if any(t not in ok for t in types) or len(set(types)) > 1:
            unit.error("E0301", f"{e.func} of {' and '.join(C._a(t) for t in types)}", e.span, "",
                       "its values are numbers, percentages or money, all of one kind")
            return "?"
        return types[0]
    if f.kind == "prev_day":  # prev_day(n) or prev_day(n, vix)
        n = _whole(e.args[0]) if len(e.args) in (1, 2) else None
        if len(e.args) == 2 and not (isinstance(e.args[1], A.Name) and _source_ok(unit, e.args[1].name)):
            unit.error("E0301", "the second argument of prev_day is the spot or a declared series", e.args[1].span,
                       "", "e.g. prev_day(2, vix).close")
            return "?"
        if n is None or not 1 <= n <= MAX_PREV_DAYS:
            unit.error("E0405", f"prev_day takes a whole number of days from 1 to {MAX_PREV_DAYS}", e.span, "",
                       "e.g. prev_day(2).close is the close two trading days back")
            return "?"
        return "number"
    # an indicator: (source, params..., [interval])
    args = list(e.args)
    interval = args.pop() if args and args[-1].kind == "interval" else None
    if any(a.kind == "interval" for a in args):
        unit.error("E0301", "an interval (5m, 1h) comes last", e.span, "", f"write {signature(f)}")
        return "?"
    if len(args) != 1 + len(f.params):
        unit.error("E0301", f"{e.func} takes {1 + len(f.params)} argument(s) and an optional interval", e.span, "",
                   f"write {signature(f)}, e.g. {_example(f)}")
        return "?"
    src = args[0]
    if not (isinstance(src, A.Name) and _source_ok(unit, src.name)):
        unit.error("E0301", f"the first argument of {e.func} is the spot or a declared series", src.span, "",
                   f"e.g. {_example(f)}")
        return "?"
    for arg, whole, pname in zip(args[1:], f.integer, f.params):
        if isinstance(arg, A.Num):
            bad = (whole and _whole(arg) is None) or not 0 < arg.value <= 10_000
        elif isinstance(arg, A.Name) and arg.name in unit.params:
            unit.used.add(arg.name)
            p = unit.params[arg.name]
            bad = p.type not in (("int",) if whole else ("int", "float"))
        else:
            bad = True
        if bad:
            kind = "a whole number from 1 to 10000" if whole else "a number above 0"
            unit.error("E0301", f"the {pname} of {e.func} is {kind}", arg.span, "",
                       f"write a number or an {'int' if whole else 'int or float'} parameter, e.g. {_example(f)}")
            return "?"
    if interval is not None and not 1 <= interval.minutes <= 1440:
        unit.error("E0405", f"interval {interval.text} is not from 1m to 24h", interval.span)
        return "?"
    return "number"


def _example(f) -> str:
    return {"sma": "sma(spot, 20)", "ema": "ema(spot, 20, 5m)", "rsi": "rsi(spot, 14, 5m)", "atr": "atr(spot, 14)",
            "vwap": "vwap(spot)", "bollinger": "bollinger(spot, 20, 2).upper",
            "supertrend": "supertrend(spot, 10, 3)"}.get(f.name, signature(f))


def interval_type(unit, e: A.Interval) -> str:
    unit.error("E0301", f"an interval ({e.text}) is an indicator's last argument", e.span, "",
               "e.g. rsi(spot, 14, 5m)")
    return "?"


def lookback_type(C, unit, e: A.Lookback) -> str:
    t = C.expr_type(unit, e.operand)
    if not 1 <= e.n <= MAX_LOOKBACK:
        unit.error("E0507", f"x[{e.n}] looks back {e.n} ticks; from 1 to {MAX_LOOKBACK}", e.span, "too far",
                   f"a lookback reads today's ticks, at most {MAX_LOOKBACK} back")
        return "?"
    if t not in ("number", "percent", "money", "?"):
        unit.error("E0301", f"x[n] looks back at a number, not {C._a(t)}", e.span)
        return "?"
    return t


def crosses_type(C, unit, e: A.Crosses) -> str:
    lt, rt = C.expr_type(unit, e.left), C.expr_type(unit, e.right)
    if "?" in (lt, rt):
        return "bool"
    if lt != rt or lt not in ("number", "percent", "money"):
        unit.error("E0301", f"{C._a(lt)} cannot cross {C._a(rt)}", e.span, "",
                   "both sides are numbers (or both percentages, or both money), e.g. spot crosses above orb.high")
    return "bool"


def typers(C) -> dict:
    """The typers of the new expression kinds, for :mod:`optbt.dsl.checks` (``C``: that module,
    passed in rather than imported, so that the two modules never import each other)."""
    return {"call": lambda u, e: call_type(C, u, e), "interval": interval_type,
            "lookback": lambda u, e: lookback_type(C, u, e), "crosses": lambda u, e: crosses_type(C, u, e)}


# -- lowering ------------------------------------------------------------------------------------------------
class Signals:
    """What one compiled file reads of the market: tracked expressions and watched indicators."""

    def __init__(self):
        self.tracked: list[str] = []
        self.watched: list[str] = []

    def slot(self, text: str) -> int:
        if text not in self.tracked:
            self.tracked.append(text)
        return self.tracked.index(text)


def lower_name(low, e: A.Name) -> str | None:
    if e.name in _GAP:
        return f"self.gap_of(ctx, 'spot', {e.name == 'gap_pct'})"
    if e.name in series_names(low.unit):
        return f"self.bar_field(ctx, {e.name!r}, 'close')"
    return None


def lower_attr(low, e: A.Attr) -> str | None:
    obj, attr = e.obj, e.attr
    if obj in low.unit.legs:
        return None
    if obj in _ranges(low.unit):
        return f"self.range_field(ctx, {obj!r}, {attr!r})"
    if obj == "prev":
        return f"self.prev_field(ctx, 'spot', 1, {attr!r})"
    if attr in _GAP:
        return f"self.gap_of(ctx, {obj!r}, {attr == 'gap_pct'})"
    if attr.startswith("prev."):
        return f"self.prev_field(ctx, {obj!r}, 1, {attr[5:]!r})"
    return f"self.bar_field(ctx, {obj!r}, {attr!r})"


def _state(low) -> Signals:
    s = getattr(low, "signals", None)
    if s is None:
        s = low.signals = Signals()
    return s


def lower_call(low, e: A.Call) -> str:
    f = FUNCTIONS[e.func]
    if f.kind == "math":
        args = [low.expr(a) for a in e.args]
        if e.func == "abs":
            return f"abs({args[0]})"
        return f"self.f{e.func}({args[0]}, {args[1]})"
    if f.kind == "prev_day":
        src = e.args[1].name if len(e.args) == 2 else SPOT
        return f"self.prev_field(ctx, {src!r}, {_whole(e.args[0])!r}, {e.field!r})"
    args = list(e.args)
    minutes = args.pop().minutes if args and args[-1].kind == "interval" else 1
    nums = []
    for arg, whole in zip(args[1:], f.integer):
        if isinstance(arg, A.Num):
            nums.append(repr(int(arg.value) if whole else arg.value))
        else:
            nums.append(low.expr(arg))
    params = "(" + ", ".join(nums) + ("," if len(nums) == 1 else "") + ")"
    text = f"self.indicator(ctx, {e.func!r}, {args[0].name!r}, {params}, {minutes!r}, {(e.field or 'value')!r})"
    st = _state(low)
    if text not in st.watched:
        st.watched.append(text)
    return text


def lower_lookback(low, e: A.Lookback) -> str:
    slot = _state(low).slot(low.expr(e.operand))
    return f"self.past({slot}, {e.n})"


def lower_crosses(low, e: A.Crosses, negated: bool = False) -> str:
    st = _state(low)
    a, b = st.slot(low.expr(e.left)), st.slot(low.expr(e.right))
    return f"self.crossed({a}, {b}, {e.direction!r}{', True' if negated else ''})"


def members(low, unit) -> list[str]:
    """Class members a file with signals needs: SERIES, RANGES, the tracked and watched values."""
    out = []
    names = series_names(unit)
    if names:
        out.append(f"    SERIES = {tuple(names)!r}")
    ranges = {r.name: (r.start, r.end) for r in unit.program.of(A.RangeDecl)}
    if ranges:
        out.append(f"    RANGES = {ranges!r}")
    st = getattr(low, "signals", None)
    if st is not None and st.tracked:
        # the tracked list may grow while it is written (a lookback inside a tracked value)
        out.append("    TRACKED = (")
        out += [f"        lambda self, ctx: {t}," for t in st.tracked]
        out.append("    )")
    if st is not None and st.watched:
        out.append("    WATCHED = (")
        out += [f"        lambda self, ctx: {w}," for w in st.watched]
        out.append("    )")
    return out


# -- words (explain) ----------------------------------------------------------------------------------------
def words(w, e) -> str | None:
    """Plain words for a market expression (``w`` is explain's Words), None when not one."""
    kind = e.kind
    unit = w.unit
    if kind == "name":
        if e.name == "gap":
            return "the gap (today's open − the previous close, points)"
        if e.name == "gap_pct":
            return "the gap in % of the previous close"
        if e.name in series_names(unit):
            return f"{e.name} (its newest close)"
        return None
    if kind == "attr":
        obj, attr = e.obj, e.attr
        if obj in unit.legs:
            return None
        if obj in _ranges(unit):
            r = _ranges(unit)[obj]
            return f"the {attr} of the range {obj} ({r.start}–{r.end}, known from {r.end})"
        if obj == "prev":
            return f"the previous trading day's {attr}"
        who = "the spot" if obj == SPOT else obj
        if attr in _GAP:
            return f"{who}'s gap{' in %' if attr == 'gap_pct' else ''}"
        if attr.startswith("prev."):
            return f"{who}'s previous-day {attr[5:]}"
        return f"{who}'s {attr} (newest bar)"
    if kind == "call":
        f = FUNCTIONS[e.func]
        if f.kind == "math":
            return f"{f.words} {' and '.join(w(a, 9) for a in e.args)}"
        if f.kind == "prev_day":
            n = _whole(e.args[0])
            who = f"{e.args[1].name}'s " if len(e.args) == 2 and e.args[1].name != SPOT else ""
            return f"{who or 'the '}{e.field} {n} trading day{'s' if n != 1 else ''} back"
        args = list(e.args)
        minutes = args.pop().minutes if args and args[-1].kind == "interval" else None
        nums = ", ".join(w(a, 9) for a in args[1:])
        bars = f"{minutes}-minute bars" if minutes else "1-minute bars"  # the default interval (1m)
        src = "the spot" if args[0].name == SPOT else args[0].name
        field = f" {e.field}" if e.field else ""
        params = f"({nums})" if nums else ""
        return f"the {f.words}{params}{field} of {src} on {bars}"
    if kind == "lookback":
        return f"{w(e.operand, 9)} {e.n} tick{'s' if e.n != 1 else ''} ago"
    if kind == "crosses":
        return f"{w(e.left, 5)} crosses {e.direction} {w(e.right, 5)} (since the previous tick)"
    return None
