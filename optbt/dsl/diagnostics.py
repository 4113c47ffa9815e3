"""Diagnostics a trader can act on: code, message, where, the line with a caret, a hint.

Rendered like rustc::

    error[E0201]: unknown name 'sl_pc'
     --> straddle.strat:12:20
       |
    12 | stop_loss each leg sl_pc
       |                    ^^^^^ not a parameter, leg or built-in
       = help: did you mean 'sl'?

Every code has a title and a long explanation (``optbt explain E0201``); the table is the
single source for both.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from optbt.dsl.lines import display, display_column, split_lines
from optbt.model.errors import OptbtError

CODES: dict[str, tuple[str, str]] = {
    "E0101": ("syntax error", "The line does not fit the grammar of any statement. The message says what was "
              "expected at the caret. Each statement is one line; see docs/language.md for every form."),
    "E0102": ("missing or misplaced header", "A .strat file starts with `strategy NAME \"description\"`, once."),
    "E0103": ("bad identifier", "Names are lower-case words: letters, digits and underscores, starting with a "
              "letter (`sl_pct`, `ce`). Leading underscores and dunder names are refused: a .strat file can "
              "never reach Python internals."),
    "E0104": ("character not allowed", "A .strat file is UTF-8 text whose lines end with \\n, \\r\\n or \\r. "
              "Control characters (NUL, form feed, vertical tab, ...), Unicode line and paragraph separators "
              "(U+2028, U+2029, U+0085), bidirectional controls and bytes that are not UTF-8 are refused "
              "wherever they appear, comments and strings included, so that a file always means what it "
              "shows. The message gives line:col and shows the character escaped. A byte-order mark at the "
              "very start of the file is accepted."),
    "E0105": ("unknown escape", "Inside a \"description\" a backslash starts an escape: \\\\ (a backslash), "
              "\\\" (a quote), \\n, \\t, \\r, \\xHH, \\uHHHH or \\UHHHHHHHH. Any other character after a "
              "backslash is an error; write \\\\ for a backslash of its own."),
    "E0201": ("unknown name", "The name is not a parameter, a leg or a built-in (spot, time, mtm, pnl, dte, "
              "weekday, atm). Declare parameters under `params` and legs under `legs`."),
    "E0202": ("duplicate declaration", "A parameter or leg name is declared twice, or a statement that may "
              "appear once (underlying, expiry, max_cycles, square_off, entry) appears again."),
    "E0203": ("unknown leg attribute", "Legs have `ltp` (last price), `entry_price` and `pnl` (currency)."),
    "E0301": ("type mismatch", "The operands of an operator have kinds it does not take: a time (09:20) can "
              "only be compared with a time, money (rs 5000) with money, a price with a price; + - * / take "
              "numbers, percentages and money (not times, weekdays, choices or conditions); a unary minus "
              "takes a number, a percentage or money; < <= > >= do not order weekdays, choices or true/false."),
    "E0302": ("missing unit", "Amounts of money are written with their unit (`rs 5000` or `₹5000`); stops and "
              "targets as `30%`, `40 pts` or `rs 3000`. A bare number is ambiguous there."),
    "E0303": ("not a condition", "`when` and `entry ... when` take a condition (true or false), such as "
              "`spot > 21000` or `weekday in (Mon, Tue)`; so do `and`, `or` and `not`."),
    "E0401": ("bad quantity", "A leg's quantity is a whole number of lots, from 1 to 100,000. An expression "
              "over parameters (`lots * 2`) is worked out for every default and sweep value of the "
              "parameters it uses, and each must give such a number."),
    "E0402": ("contradictory times", "An entry window must start before it ends, within one day."),
    "E0403": ("bad default", "A parameter's default must have the parameter's type: `percent` takes 30%, "
              "`time` takes 09:20, `int` a whole number, `bool` true or false, `choice` one of its options."),
    "E0404": ("bad sweep", "A sweep range needs start <= stop and a step above zero, all of the parameter's type; "
              "a sweep list takes values of the parameter's type."),
    "E0405": ("bad value", "A value is out of range: max_cycles from 1 to 10,000, a percentage or amount above 0, "
              "a strike above 0, a time of day from 00:00 to 23:59, an expiry rule `dte >= N`, `dte <= N` or "
              "`dte == N` with N up to 3660, an ATM offset up to 1000 steps. Parameters are checked at "
              "their default and at every sweep value."),
    "E0406": ("no legs", "A strategy needs at least one `add(...)` leg."),
    "E0420": ("unknown cost preset", "`costs preset` takes a preset shipped with optbt (`nse`: NSE index "
              "options, `us`: US listed options) or a charge schedule file in double quotes ending in .toml "
              "(`costs preset \"my_broker.toml\"`, relative to the .strat file's folder)."),
    "E0501": ("nested too deeply", "An expression nests brackets, unary minus signs and `not`s at most 64 "
              "deep. Remove the ones that cancel out, or split the rule."),
    "E0502": ("expression too large", "An expression has at most 1,000 parts and 240 levels (a chain "
              "a + b + c counts one level a term). Split the rule, or use a parameter."),
    "E0503": ("line too long", "A line has at most 4,000 characters."),
    "E0504": ("file too large", "A file holds at most 1,000 statements and 32,768 characters of them "
              "(comments do not count), and a strategy at most 32 legs. Past these limits, or past 100 "
              "errors, the rest of the file is not read."),
    "E0505": ("number out of range", "A number is written with at most 40 digits and is at most "
              "1,000,000,000,000,000 in size, so that every value is exact and finite (never inf or nan)."),
    "E0506": ("sweep too large", "A parameter sweeps over at most 10,000 values and the declared grid (the "
              "product of all sweeps) has at most 1,000,000 runs; sizes are computed, never expanded. Raise "
              "the limits with --max-sweep-values / --max-sweep-runs (lint, compile) or the environment "
              "variables OPTBT_MAX_SWEEP_VALUES / OPTBT_MAX_SWEEP_RUNS."),
    "E0507": ("lookback too far", "`x[n]` reads the value x had n ticks ago today, n from 1 to 500: the "
              "history is kept per tick, so a bound keeps memory flat. For older values use an indicator on a "
              "longer interval (ema(spot, 20, 15m)) or prev.close / prev_day(n)."),
    "E0410": ("leg setting needs another", "A leg-management setting needs a rule it builds on: `reentry ... "
              "momentum` needs a `wait` rule for that leg (the move it waits for again); `trailing ... every` "
              "moves the leg's stop, so it needs a `stop_loss` covering that leg; `after` and `every` belong to "
              "`trailing` only; a leg opened only by an `open` action (a lazy leg) cannot also have its own "
              "entry time; at least one leg must open without an action, and a lazy leg must be opened on the "
              "exit of a leg that opens (`on stop_loss(ce): open ce` never opens ce)."),
    "E0411": ("never known where it is read", "`entry ... when` is tried only while no leg is open, so a leg's "
              "`entry_price` or `pnl` is never known there and the entry would never happen. A leg's `ltp` is "
              "known there: the price of the contract the leg would open."),
    "W001": ("unused parameter", "A parameter is declared but nothing uses it."),
    "W002": ("leg only closed at end of day", "No stop, target, trailing stop, exit time or exit condition "
             "covers this leg, and no other leg's hit closes it (`square_off complete`, an `exit` or `close` reaction, "
             "a stop given by `move LEG.stop to cost`): it is only ever closed by the engine's EOD close."),
    "W003": ("exit before entry", "The exit time is at or before the entry time: every trade would exit at once."),
    "W004": ("stop loss or trailing stop of 100 % or wider on a long leg", "A stop of 100 % of the premium or "
             "more on a long (BUY) leg can never trigger: its price cannot fall more than 100 %, and a price of 0 is no usable "
             "price (data optbt never fills or stops at). Check the number. It is not "
             "reported for short (SELL) legs, whose price can rise any amount (a 200 % stop is a credit "
             "trader's stop); a rule over several legs is reported when one of them is long. Likewise a trailing stop "
             "of 100 % or more of a long leg's best price (`trailing ce 100%`: a level of 0). A parameter's default "
             "and the values of its sweep are looked at; a run warns of its own value (`--param`) where it is "
             "certain."),
    "W005": ("re-entry without an exit", "max_cycles > 1 but nothing ends a cycle before the EOD close, so the "
             "extra cycles can never happen."),
    "W006": ("condition is constant", "The condition does not depend on anything that changes: it is always "
             "true or always false."),
    "W009": ("range read before it is known", "The entry window ends before a range its condition reads is "
             "known (a range is unknown until its end time), so the condition can never hold."),
    "W011": ("rule replaced by a later one", "Stops, targets and trailing stops are armed in the order written: "
             "for each leg the last one written is the one that runs. A rule that a later one replaces on every "
             "leg it covers never applies (a swept parameter in it changes nothing)."),
    "W012": ("target that can never fire", "A sold leg's price falls at most to its smallest tick above 0 (a zero "
             "price is unusable data), so its percent target of 100 % or more never fires: `target ce 100%` on a "
             "SELL leg waits for a price of 0. Likewise `mtm_target 100%` (or more) when every leg is sold and no "
             "re-entry or shift sells more than the premium counted: the MTM reaches the premium only if every "
             "price is 0. A leg a `reverse` re-entry may open as a BUY, and positions with a bought leg, are not "
             "reported. A parameter's default and the values of its sweep are looked at; a run warns of its own value "
             "(`--param`, `--grid`). Write a target below 100 % "
             "(e.g. 90%), or one in points or money."),
    "W013": ("time outside the dataset's session", "With `optbt lint --data DATASET`, a time of the file (entry "
             "time or window, exit time, range, a staggered leg's time; a time parameter's default) lies outside "
             "the dataset's session (`[session]` of its dataset.toml; bars are labelled by their end, so the "
             "first tick is after the open). An NSE habit on US data: `entry between 09:16 and 09:25` on a "
             "09:30-16:00 session never holds, `exit at 09:20` holds from the first tick so nothing enters, "
             "`entry pe at 16:10` never opens pe while the other legs trade, `exit at 16:30` never holds (the day's "
             "last tick closes what is open, reason eod). A run says the same in its notes and warnings; lint says "
             "it before the run. Move the time inside the session."),
    "W010": ("re-entry or reaction that can never fire", "A `reentry ... on stop_loss` (or target, trailing) "
             "covers a leg with no such rule: that exit never happens, so the re-entry never does. Likewise an "
             "`on target(ce): ...` reaction with no target on ce (a reaction runs after its leg's own hit only). "
             "Under `square_off complete` "
             "any leg's hit closes every leg with its reason, so for a re-entry every leg has the exits some leg has."),
    "W014": ("action that does nothing", "An `on` reaction runs after its leg's hit has closed that leg: "
             "`on stop_loss(ce): move ce.stop to cost` or `... close ce` acts on a closed leg and does nothing. "
             "Under `square_off complete` the hit has closed every leg, so any `close` or `move ... stop to cost` "
             "does nothing (an `exit` still ends the cycle, cancelling re-entries; `open` still opens its leg)."),
}
# position level (issue 13)
CODES.update({
    "E0204": ("strike cycle", "A leg may take its strike from another leg (`w = add(sell_ce.strike + 200, CE, BUY)`, "
              "`premium ~ sell_ce.ltp * 50%`); the legs it refers to are worked out first, at the same tick. A leg "
              "that refers to itself, or legs that refer to each other in a circle, cannot be opened."),
    "E0407": ("credit exit on a debit position", "`stop_loss 2x credit`, `target 50% credit` and "
              "`overall_stop 50% credit` are measured on the net credit received at entry (premiums sold minus "
              "premiums bought). A position that only buys pays a debit: write its stop in money (rs 3000) or "
              "per leg instead. A position whose entry pays a net debit stops the run with this message."),
    "W007": ("MTM stop misses closed legs", "`mtm_stop` / `mtm_target` count the open legs only. With per-leg stops "
             "and partial square-off, the loss of a leg already stopped is not in the MTM, so the day can lose "
             "more than the MTM stop without firing. `overall_stop rs N` watches the day's total PnL (realised + "
             "open). `trail_mtm` trails the same open-legs MTM: a leg its own stop closes leaves it, which moves the "
             "MTM while the day's PnL stays; `lock at rs A keep rs K trail every rs E by rs B` trails the day's "
             "total PnL."),
    "W008": ("lock never arms", "The lock arms once the day's PnL reaches its `at` amount, but an overall target "
             "at or below that amount closes everything and ends the day first: the lock can never fire."),
})


SHOWN_CHARS = 200  # of a source line in a rendered diagnostic, when what it points at is within them


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    line: int
    column: int           # 1-based
    end_column: int       # exclusive, 1-based
    label: str = ""
    help: str = ""

    @property
    def severity(self) -> str:
        return "warning" if self.code.startswith("W") else "error"

    def render(self, source: str, filename: str, lines: list[str] | None = None) -> str:
        """The rustc-like block; the line is shown with unprintable characters escaped."""
        lines = split_lines(source) if lines is None else lines
        raw = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        if len(raw) > SHOWN_CHARS and self.end_column <= SHOWN_CHARS:  # a line too long to show whole
            raw = raw[:SHOWN_CHARS]
            text = display(raw) + f" … ({len(lines[self.line - 1]):,} characters)"
        else:
            text = display(raw)
        start = display_column(raw, self.column)
        end = display_column(raw, self.end_column) if self.end_column <= len(raw) + 1 else \
            start + max(1, self.end_column - self.column)
        width = len(str(self.line))
        caret = " " * (start - 1) + "^" * max(1, end - start)
        out = [f"{self.severity}[{self.code}]: {display(self.message)}",
               f"{' ' * width}--> {display(filename)}:{self.line}:{self.column}",
               f"{' ' * width} |",
               f"{self.line} | {text}",
               f"{' ' * width} | {caret}{(' ' + display(self.label)) if self.label else ''}"]
        if self.help:
            out.append(f"{' ' * width} = help: {display(self.help)}")
        return "\n".join(out)

    def as_dict(self, filename: str) -> dict:
        return {"file": display(filename), "severity": self.severity, **asdict(self)}


class StratError(OptbtError):
    """A .strat file has errors; the message is every diagnostic, rendered."""

    prefix = ""

    def __init__(self, diagnostics: list[Diagnostic], source: str, filename: str):
        self.diagnostics = diagnostics
        self.source = source
        self.filename = filename
        errors = [d for d in diagnostics if d.severity == "error"]
        summary = f"{len(errors)} error{'s' if len(errors) != 1 else ''} in {display(filename)}"
        lines = split_lines(source)
        super().__init__("\n\n".join(d.render(source, filename, lines) for d in diagnostics) + f"\n\n{summary}")


def render_all(diagnostics: list[Diagnostic], source: str, filename: str, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps([d.as_dict(filename) for d in diagnostics], indent=2)
    lines = split_lines(source)
    return "\n\n".join(d.render(source, filename, lines) for d in diagnostics)


def explain(code: str) -> str:
    """The long form of a code, for ``optbt explain``."""
    key = code.strip().upper()
    if key not in CODES:
        from optbt.model.errors import ConfigError, did_you_mean
        raise ConfigError(f"unknown code {code!r}{did_you_mean(key, CODES)}; codes: {', '.join(CODES)}")
    title, text = CODES[key]
    return f"{key}: {title}\n\n{text}"
