"""The .strat AST: frozen pydantic nodes, tagged by ``kind``, each with its source ``span``.

The span lives in its own field so that "same program" comparisons can drop it
(:func:`without_spans`); ``optbt compile --emit ast`` prints ``Program.model_dump_json``.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field


class Span(BaseModel):
    model_config = ConfigDict(frozen=True)
    line: int
    column: int
    end_column: int


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    span: Span | None = None


# -- expressions ---------------------------------------------------------------------------------
class Num(Node):
    kind: Literal["num"] = "num"
    value: float


class Pct(Node):
    kind: Literal["pct"] = "pct"
    value: float  # 30% -> 30.0


class Time(Node):
    kind: Literal["time"] = "time"
    value: str  # "09:20"


class Money(Node):
    kind: Literal["money"] = "money"
    value: float


class MoneyParam(Node):
    """``rs risk``: a number parameter used as money (in conditions: ``pnl <= -rs risk``)."""
    kind: Literal["money_param"] = "money_param"
    param: str


class Bool(Node):
    kind: Literal["bool"] = "bool"
    value: bool


class Word(Node):
    """A bare word used as a value: a weekday, or a choice parameter's option."""
    kind: Literal["word"] = "word"
    value: str


class Name(Node):
    kind: Literal["name"] = "name"
    name: str


class Attr(Node):
    kind: Literal["attr"] = "attr"
    obj: str
    attr: str


class Neg(Node):
    kind: Literal["neg"] = "neg"
    operand: "Expr"


class BinOp(Node):
    kind: Literal["binop"] = "binop"
    op: Literal["+", "-", "*", "/"]
    left: "Expr"
    right: "Expr"


class Compare(Node):
    kind: Literal["compare"] = "compare"
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    left: "Expr"
    right: "Expr"


class Member(Node):
    kind: Literal["member"] = "member"
    operand: "Expr"
    items: list[Word]


class Not(Node):
    kind: Literal["not"] = "not"
    operand: "Expr"


class BoolOp(Node):
    kind: Literal["boolop"] = "boolop"
    op: Literal["and", "or"]
    operands: list["Expr"]


class Interval(Node):
    """A bar interval written as a function's last argument: ``5m``, ``15m``, ``1h``."""
    kind: Literal["interval"] = "interval"
    minutes: int
    text: str


class Call(Node):
    """``name(args)`` with an optional ``.field``: a function of optbt.dsl.functions."""
    kind: Literal["call"] = "call"
    func: str
    args: list["Expr"]
    field: str | None = None


class Lookback(Node):
    """``x[n]``: the value of x n ticks ago (today)."""
    kind: Literal["lookback"] = "lookback"
    operand: "Expr"
    n: int


class Crosses(Node):
    """``a crosses above b``: a was at or below b on the previous tick and is above it now."""
    kind: Literal["crosses"] = "crosses"
    direction: Literal["above", "below"]
    left: "Expr"
    right: "Expr"


Expr = Annotated[Union[Num, Pct, Time, Money, Bool, Word, Name, Attr, Neg, BinOp, Compare, Member, Not, BoolOp,
                       Interval, Call, Lookback, Crosses, MoneyParam],
                 Field(discriminator="kind")]
Literal_ = Annotated[Union[Num, Pct, Time, Money, Bool, Word], Field(discriminator="kind")]


# -- pieces of statements ---------------------------------------------------------------------------
class SweepRange(Node):
    kind: Literal["sweep_range"] = "sweep_range"
    start: Literal_
    stop: Literal_
    step: Literal_


class SweepList(Node):
    kind: Literal["sweep_list"] = "sweep_list"
    values: list[Literal_]


class ExpiryRule(Node):
    kind: Literal["expiry_rule"] = "expiry_rule"
    word: str | None = None     # nearest | next | monthly | next_monthly
    op: str | None = None       # with dte: >=, <=, ==, ...
    days: int | None = None


class Strike(Node):
    kind: Literal["strike"] = "strike"
    how: Literal["atm", "abs", "otm", "premium", "delta"]
    offset: int = 0             # atm: strike steps
    value: float = 0.0          # abs: the strike; otm: percent; premium: target premium; delta: |delta|
    mode: str | None = None     # premium, delta: "~", ">=", "<="


class StrikeRule(Node):
    """The strike forms of issue 13 (the literal ATM / OTM % / premium forms stay ``Strike``):

    - ``atm``: ATM +/- ``amount`` strike steps, ``amount`` an int parameter (``ATM + off``);
    - ``itm`` / ``otm``: ``amount`` strike steps into / out of the money for the leg's option
      type (``ITM 1`` is below ATM for a CE, above it for a PE); an ``otm`` amount that is a
      percent parameter is ``OTM p%`` (``OTM pct``);
    - ``premium``: the strike whose premium is ``mode`` (~, >=, <=) the value of ``amount``,
      an expression (``premium ~ prem``, ``premium ~ sell_ce.ltp * 50%``, ``premium ~ straddle * 30%``);
    - ``leg``: another leg's strike +/- ``amount`` points (``sell_ce.strike + 200``);
    - ``straddle``: ATM +/- ``amount`` x the ATM straddle premium (``ATM + 0.5x straddle``);
    - ``delta``: the strike by delta with a float parameter as the target (``delta d``,
      ``delta >= d``; a literal target stays ``Strike``).
    """
    kind: Literal["strike_rule"] = "strike_rule"
    how: Literal["atm", "itm", "otm", "premium", "leg", "straddle", "delta"]
    amount: "Expr | None" = None
    sign: int = 1
    mode: str | None = None     # premium: "~", ">=", "<="
    leg: str | None = None      # leg: the leg whose strike this one follows


class ExpiryParam(Node):
    """``dte <= d`` with ``d`` an int parameter (so the expiry rule can be swept)."""
    kind: Literal["expiry_param"] = "expiry_param"
    op: str
    param: str


class CreditAmount(Node):
    """A multiple or a percentage of the net credit received at entry: ``2x credit``,
    ``50% credit``, or a parameter (``m credit``: a float is a multiple, a percent a percentage)."""
    kind: Literal["credit_amount"] = "credit_amount"
    unit: Literal["times", "pct", "param"]
    value: float | None = None
    param: str | None = None


class Amount(Node):
    kind: Literal["amount"] = "amount"
    unit: Literal["pct", "pts", "money", "param"]
    value: float | None = None
    param: str | None = None


class Action(Node):
    kind: Literal["action"] = "action"
    what: Literal["move_to_cost", "exit", "close", "open"]
    target: str | None = None   # a leg name, or "others" for move_to_cost


# -- statements ------------------------------------------------------------------------------------
class Header(Node):
    kind: Literal["header"] = "header"
    name: str
    description: str | None = None


class Section(Node):
    kind: Literal["section"] = "section"
    name: Literal["params", "legs"]


class Param(Node):
    kind: Literal["param"] = "param"
    name: str
    type: Literal["int", "float", "percent", "time", "bool", "choice"]
    choices: list[str] | None = None
    default: Literal_
    sweep: SweepRange | SweepList | None = None


class LegDecl(Node):
    kind: Literal["leg"] = "leg"
    name: str | None
    strike: Annotated[Union[Strike, StrikeRule], Field(discriminator="kind")]
    opt_type: Literal["CE", "PE"]
    side: Literal["BUY", "SELL"]
    qty: Expr | None = None
    expiry: Annotated[Union[ExpiryRule, ExpiryParam], Field(discriminator="kind")] | None = None


class Underlying(Node):
    kind: Literal["underlying"] = "underlying"
    name: str


class ExpiryStmt(Node):
    kind: Literal["expiry"] = "expiry"
    rule: Annotated[Union[ExpiryRule, ExpiryParam], Field(discriminator="kind")]


class MaxCycles(Node):
    kind: Literal["max_cycles"] = "max_cycles"
    n: int


class Entry(Node):
    kind: Literal["entry"] = "entry"
    at: Expr | None = None
    start: Expr | None = None   # between start and end
    end: Expr | None = None
    when: Expr | None = None


class LegRule(Node):
    kind: Literal["leg_rule"] = "leg_rule"
    rule: Literal["stop_loss", "target", "trailing"]
    leg: str | None             # None: each leg
    amount: Amount


class On(Node):
    kind: Literal["on"] = "on"
    event: Literal["stop_loss", "target", "trailing"]
    leg: str | None
    action: Action


class SquareOff(Node):
    kind: Literal["square_off"] = "square_off"
    mode: Literal["partial", "complete"]


class Shift(Node):
    kind: Literal["shift"] = "shift"
    leg: str
    strike: Annotated[Union[Strike, StrikeRule], Field(discriminator="kind")]
    when: Expr


class ExitAt(Node):
    kind: Literal["exit_at"] = "exit_at"
    at: Expr
    when: Expr | None = None


class ExitWhen(Node):
    kind: Literal["exit_when"] = "exit_when"
    when: Expr


class OverallRule(Node):
    """``overall_stop`` / ``overall_target`` on the day's total PnL (realised + open)."""
    kind: Literal["overall_rule"] = "overall_rule"
    rule: Literal["overall_stop", "overall_target"]
    amount: "Amount | CreditAmount"


class Lock(Node):
    """``lock at X keep Y [trail every A by B]``: once the day's PnL reaches X, exit when it falls
    back to the lock, Y (raised by B for every A the best PnL since went beyond X)."""
    kind: Literal["lock"] = "lock"
    at: "Amount"
    keep: "Amount"
    every: "Amount | None" = None
    by: "Amount | None" = None


class CreditRule(Node):
    """``stop_loss 2x credit`` / ``target 50% credit``: the position against its net credit."""
    kind: Literal["credit_rule"] = "credit_rule"
    rule: Literal["stop_loss", "target", "trailing"]
    amount: CreditAmount


class AtmFrom(Node):
    """``atm_from synthetic``: ATM from the call - put parity (synthetic future), not the spot."""
    kind: Literal["atm_from"] = "atm_from"
    source: Literal["spot", "synthetic"]


class MtmRule(Node):
    kind: Literal["mtm_rule"] = "mtm_rule"
    rule: Literal["mtm_stop", "mtm_target"]
    amount: Amount


class TrailMtm(Node):
    kind: Literal["trail_mtm"] = "trail_mtm"
    after: Annotated[Union[Money, MoneyParam], Field(discriminator="kind")]
    by: Annotated[Union[Money, MoneyParam], Field(discriminator="kind")]


class RangeDecl(Node):
    """``range orb 09:15 .. 09:30``: the spot's high and low over that window, known once it closed."""
    kind: Literal["range"] = "range"
    name: str
    start: str
    end: str


class SeriesDecl(Node):
    """``series vix``: the dataset's extra series this file reads, by name."""
    kind: Literal["series"] = "series"
    names: list[str]


class CostSetting(Node):
    """One line of the costs section: `costs preset nse`, `costs slippage 0.5 pts` (or `0.1%`),
    `costs commission rs 20 per order` (or `per lot`)."""
    kind: Literal["costs"] = "costs"
    setting: Literal["preset", "slippage", "commission"]
    preset: str | None = None   # a preset name (nse, us) or a .toml file
    value: float | None = None
    unit: Literal["pts", "pct", "order", "lot"] | None = None


# -- leg management (optbt.dsl.legplan runs them) ---------------------------------------------------------
class Reentry(Node):
    """``reentry each leg on stop_loss cost max 2``: open the leg again after that exit."""
    kind: Literal["reentry"] = "reentry"
    leg: str | None             # None: each leg
    event: Literal["stop_loss", "target", "trailing"]
    how: Literal["asap", "cost", "momentum"]
    reverse: bool = False
    max: int | None = None      # a count, or
    max_param: str | None = None  # an int parameter's name


class Wait(Node):
    """``wait ce up 10%``: open the leg only once its premium moved that far from when it became due."""
    kind: Literal["wait"] = "wait"
    leg: str | None
    direction: Literal["up", "down"]
    amount: Amount


class LegEntry(Node):
    """``entry pe at 09:45``: a staggered leg, opened at its own time."""
    kind: Literal["leg_entry"] = "leg_entry"
    leg: str
    at: Expr


class LegTrail(Node):
    """``trailing ce 10 pts after 20 pts`` (distance) or ``trailing ce every 10 pts by 5 pts [after 20 pts]``."""
    kind: Literal["leg_trail"] = "leg_trail"
    rule: Literal["stop_loss", "target", "trailing"]   # only trailing is valid (checks say so)
    leg: str | None
    distance: Amount | None = None
    every: Amount | None = None
    by: Amount | None = None
    after: Amount | None = None


Statement = Annotated[Union[Header, Section, Param, LegDecl, Underlying, ExpiryStmt, MaxCycles, Entry, LegRule, On,
                            SquareOff, Shift, ExitAt, ExitWhen, MtmRule, TrailMtm, RangeDecl, SeriesDecl, CostSetting,
                            OverallRule, Lock, CreditRule, AtmFrom, Reentry, Wait, LegEntry, LegTrail],
                      Field(discriminator="kind")]


class Comment(BaseModel):
    model_config = ConfigDict(frozen=True)
    line: int
    text: str
    trailing: bool   # after a statement on the same line


class Program(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["program"] = "program"
    statements: list[Statement]
    comments: list[Comment] = []

    def of(self, kind: type) -> list:
        return [s for s in self.statements if isinstance(s, kind)]


for _cls in (Neg, BinOp, Compare, Member, Not, BoolOp, Call, Lookback, Crosses, StrikeRule, OverallRule, Lock):
    _cls.model_rebuild()


def without_spans(value):
    """A dump with every ``span`` (and comment line number) removed: for "same AST" checks."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, dict):
        return {k: without_spans(v) for k, v in value.items() if k not in ("span", "line")}
    if isinstance(value, list):
        return [without_spans(v) for v in value]
    return value
