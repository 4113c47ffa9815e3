"""One table of what every word of the .strat language means, for editors (hover, completion).

The wording follows docs/language.md; a test checks that every keyword of the grammar, every
built-in and every leg attribute has an entry, so a new keyword cannot ship without its doc.
Diagnostic codes are explained by :data:`optbt.dsl.diagnostics.CODES`, not here.

>>> KINDS["stop_loss"], DOCS["stop_loss"].splitlines()[0]
('statement', '`stop_loss each leg 30%` | `stop_loss ce 40 pts` | `stop_loss pe rs 2000`')
"""

from __future__ import annotations

_STOP_SIDES = ("A short leg's 30 % stop is entry x 1.3, a long leg's entry x 0.7; targets the other way. "
               "Measured on the leg's price at the tick against its price at entry; `rs` amounts are per "
               "position (lots x lot size).")

# word -> (kind, markdown). The first line is the form, the rest what it does.
_TABLE: dict[str, tuple[str, str]] = {
    # -- statements ---------------------------------------------------------------------------
    "strategy": ("statement", '`strategy NAME "description"`\n\nThe header: first line, once. The compiled '
                 "class is NAME in CamelCase (`straddle_920` -> `Straddle920`)."),
    "params": ("statement", "`params`\n\nStarts the parameters: `name: type = default [sweep ...]` below it. "
               "Every parameter can be set with `--param name=value` and swept by `optbt sweep`."),
    "legs": ("statement", "`legs`\n\nStarts the legs: `name = add(strike, CE|PE, BUY|SELL[, lots][, expiry = rule])`."),
    "add": ("statement", "`add(strike, CE|PE, BUY|SELL[, lots][, expiry = rule])`\n\nDeclares a leg. Strikes: "
            "`ATM`, `ATM + 2`, `21000`, `OTM 2%`, `premium ~ 50`, `premium >= 80`, `premium <= 80`. The quantity "
            "is a whole number of lots (default 1); PnL is points x lots x lot size. Unnamed legs are leg1, leg2, ..."),
    "underlying": ("statement", "`underlying NIFTY`\n\nThe underlying traded; default: the dataset's underlying."),
    "expiry": ("statement", "`expiry nearest` | `next` | `monthly` | `next_monthly` | `dte >= 3`\n\nWhich listed "
               "expiry the legs trade (per leg: `add(..., expiry = next)`). Expiries come from the chain the data "
               "lists on the day, never from weekday rules."),
    "max_cycles": ("statement", "`max_cycles N`\n\nUp to N entries a day. After all legs are closed, the next "
                   "entry can happen on the next tick at the earliest, never on the tick of the exit."),
    "entry": ("statement", "`entry at 09:20` | `entry between 09:20 and 10:00` [`when CONDITION`]\n\nWhile no "
              "position is open, every tick at or after the entry time (within the window) whose condition holds "
              "tries to fill all legs at once at that tick's prices; if any leg has no live price, nothing fills "
              "and the next tick tries again. No entry on the day's last tick."),
    "stop_loss": ("statement", "`stop_loss each leg 30%` | `stop_loss ce 40 pts` | `stop_loss pe rs 2000`\n\n"
                  "Closes a leg when its loss reaches the amount. " + _STOP_SIDES + " Also an event: "
                  "`on stop_loss(ce): ...`."),
    "target": ("statement", "`target each leg 50%` | `target ce 40 pts` | `target pe rs 2000`\n\nCloses a leg "
               "when its profit reaches the amount. " + _STOP_SIDES + " Also an event: `on target(pe): ...`."),
    "trailing": ("statement", "`trailing ce 10%`\n\nA stop that trails the leg's best price since entry. Also an "
                 "event: `on trailing: exit`."),
    "on": ("statement", "`on stop_loss(ce): move pe.stop to cost` | `on target(pe): close ce` | `on trailing: exit`"
           "\n\nAn action run right after a leg's stop, target or trailing stop fires (any leg when no leg is named)."),
    "square_off": ("statement", "`square_off partial` | `square_off complete`\n\nWhether a leg's stop closes that "
                   "leg only (partial, the default) or every leg (complete)."),
    "shift": ("statement", "`shift ce to ATM when CONDITION`\n\nCloses the leg and opens the same leg at the new "
              "strike, on the tick the condition holds."),
    "exit": ("statement", "`exit at 15:15` | `exit at TIME or when CONDITION` | `exit when CONDITION`\n\nCloses "
             "every leg. As an `on` action (`on trailing: exit`), exits everything. Whatever happens, the engine "
             "closes anything still open on the day's last tick (reason `eod`)."),
    "mtm_stop": ("statement", "`mtm_stop rs 5000` | `mtm_stop 50%`\n\nExits everything when the position's MTM "
                 "loss reaches the amount (a percent is of the premium: sum of entry prices x lots x lot size)."),
    "mtm_target": ("statement", "`mtm_target rs 5000` | `mtm_target 40%`\n\nExits everything when the position's "
                   "MTM profit reaches the amount (a percent is of the premium at entry)."),
    "trail_mtm": ("statement", "`trail_mtm after rs 3000 by rs 1000`\n\nOnce MTM reaches the first amount, exits "
                  "if MTM falls the second amount from its best."),
    # -- words inside statements -------------------------------------------------------------
    "at": ("keyword", "`entry at TIME` | `exit at TIME`\n\nThe time (09:20 or a time parameter)."),
    "between": ("keyword", "`entry between 09:20 and 10:00`\n\nAn entry window: the first time must be before the "
                "second (E0402)."),
    "and": ("keyword", "`A and B`: both conditions hold. Also `between 09:20 and 10:00`."),
    "or": ("keyword", "`A or B`: either condition holds. Also `exit at 15:15 or when CONDITION`."),
    "not": ("keyword", "`not A`: the condition does not hold."),
    "in": ("keyword", "`weekday in (Mon, Fri)` | `mode in (fast)`\n\nMembership: a weekday or a choice "
           "parameter's options."),
    "when": ("keyword", "`... when CONDITION`\n\nA condition checked on every tick; a value not known yet (no spot "
             "print, a leg not open) makes it false, never an error."),
    "each": ("keyword", "`stop_loss each leg 30%`: the rule applies to every leg, separately."),
    "leg": ("keyword", "`each leg`: every leg, separately."),
    "move": ("keyword", "`on stop_loss(ce): move pe.stop to cost`: moves a leg's stop (or `others`)."),
    "stop": ("keyword", "`move pe.stop to cost`: the leg's stop loss."),
    "to": ("keyword", "`move pe.stop to cost` | `shift ce to ATM when ...`"),
    "cost": ("keyword", "`move pe.stop to cost`: the stop moves to the leg's entry price."),
    "others": ("keyword", "`on stop_loss: move others.stop to cost`: every leg except the one whose stop fired."),
    "close": ("keyword", "`on target(pe): close ce`: closes that leg."),
    "after": ("keyword", "`trail_mtm after rs 3000 by rs 1000`: the MTM that arms the trailing MTM."),
    "by": ("keyword", "`trail_mtm after rs 3000 by rs 1000`: how far MTM may fall from its best."),
    "sweep": ("keyword", "`sweep 20% .. 50% step 10%` | `sweep [1, 2, 3]`\n\nThe values `optbt sweep` uses when no "
              "`--grid` is given. Ranges for numbers and percentages, lists for any type."),
    "step": ("keyword", "`sweep 20% .. 50% step 10%`: the step of a sweep range (above zero)."),
    "premium": ("keyword", "`premium ~ 50` | `premium >= 80` | `premium <= 80`\n\nA strike chosen by its premium "
                "at the tick: closest to, the cheapest at or above, the richest at or below. Only strikes with a "
                "live price count."),
    "ATM": ("value", "`ATM` | `ATM + 2` | `ATM - 3`\n\nThe listed strike nearest the spot at the tick (ties go up); "
            "`ATM + n` moves n strike steps up, for calls and puts alike."),
    "OTM": ("value", "`OTM 2%`: 2 % out of the money (spot x 1.02 for a call, x 0.98 for a put)."),
    "CE": ("value", "A call option."),
    "PE": ("value", "A put option."),
    "BUY": ("value", "A long leg (bought at entry)."),
    "SELL": ("value", "A short leg (sold at entry)."),
    "nearest": ("value", "`expiry nearest`: the first listed expiry on or after the day (the day's own expiry on "
                "expiry day)."),
    "next": ("value", "`expiry next`: the listed expiry after the nearest."),
    "monthly": ("value", "`expiry monthly`: the last listed expiry of the nearest expiry's month."),
    "next_monthly": ("value", "`expiry next_monthly`: the monthly expiry after the nearest monthly."),
    "partial": ("value", "`square_off partial`: a leg's stop closes that leg only (the default)."),
    "complete": ("value", "`square_off complete`: a leg's stop closes every leg."),
    "true": ("value", "The condition that always holds (a bool)."),
    "false": ("value", "The condition that never holds (a bool)."),
    # -- parameter types ----------------------------------------------------------------------
    "int": ("type", "`lots: int = 1 sweep [1, 2, 3]`: a whole number."),
    "float": ("type", "`width: float = 1.5`: a number."),
    "percent": ("type", "`sl_pct: percent = 30% sweep 20% .. 50% step 10%`: a percentage (a fraction in "
                "arithmetic: 130% is 1.3). Stops and targets can take a percent parameter."),
    "bool": ("type", "`hedge: bool = false`: true or false."),
    "choice": ("type", "`mode: choice(fast, slow) = fast`: one of the listed words; test with `mode == fast` or "
               "`mode in (fast)`."),
    # -- built-ins (values at the current tick) -------------------------------------------------
    "spot": ("builtin", "`spot` (number): the underlying's price at the tick."),
    "atm": ("builtin", "`atm` (number): the ATM strike at the tick."),
    "dte": ("builtin", "`dte` (number): days to the traded expiry. In `expiry dte >= 3`, the expiry rule by days "
            "to expiry."),
    "time": ("builtin", "`time` (time): the tick's time, compared with times like 09:20. As a parameter type "
             "(`entry_time: time = 09:20`): a time of day."),
    "mtm": ("builtin", "`mtm` (money): the open position's mark-to-market PnL, compared with money: "
            "`mtm <= -rs 5000`."),
    "pnl": ("builtin", "`pnl` (money): the day's realised + open PnL."),
    "weekday": ("builtin", "`weekday` (weekday): the day of the week: `weekday in (Mon, Tue)`."),
    "day": ("builtin", "`day` (weekday): the same as `weekday`."),
    "Mon": ("value", "Monday, for `weekday in (...)`."),
    "Tue": ("value", "Tuesday, for `weekday in (...)`."),
    "Wed": ("value", "Wednesday, for `weekday in (...)`."),
    "Thu": ("value", "Thursday, for `weekday in (...)`."),
    "Fri": ("value", "Friday, for `weekday in (...)`."),
    "Sat": ("value", "Saturday, for `weekday in (...)`."),
    "Sun": ("value", "Sunday, for `weekday in (...)`."),
    # -- market signals (optbt.dsl.signals) ---------------------------------------------------------
    "gap": ("builtin", "`gap` (number): today's open minus the previous trading day's close, in points; known "
            "once today's first bar is. `vix.gap` for a series."),
    "gap_pct": ("builtin", "`gap_pct` (percent): the gap as a percentage of the previous close: "
                "`abs(gap_pct) < 0.5%`."),
    "prev": ("builtin", "`prev.close` | `prev.high` | `prev.low` | `prev.open` (number): the previous trading day "
             "in the data (weekends and holidays skipped). `vix.prev.close` for a series."),
    "prev_day": ("builtin", "`prev_day(n).close` | `prev_day(n, vix).high` (number): n trading days back, n from 1 to 5."),
    "series": ("statement", "`series vix` | `series vix, nifty_fut`\n\nThe dataset's extra series this file reads "
               "([series.vix] in dataset.toml). Then `vix` is its newest close, `vix.high`, `vix.prev.close`, "
               "`vix.gap`; a series the dataset lacks stops the run before the first day."),
    "range": ("statement", "`range orb 09:15 .. 09:30`\n\nThe spot's high and low over the bars known in "
              "(09:15, 09:30]: `orb.high`, `orb.low`, known from the first tick at or after 09:30, unknown before."),
    "crosses": ("keyword", "`a crosses above b` | `a crosses below b`\n\nOn the previous tick a was at or below b "
                "(above: at or above for below) and now it is past it. Unknown on either tick: false."),
    "above": ("keyword", "`a crosses above b`"),
    "below": ("keyword", "`a crosses below b`"),
    "abs": ("function", "`abs(x)`: the size of x (a number, percentage or money)."),
    "min": ("function", "`min(a, b)`: the smaller; unknown if either is."),
    "max": ("function", "`max(a, b)`: the larger; unknown if either is."),
    "sma": ("function", "`sma(spot, 20[, 5m])`: mean of the last 20 closes. Unknown until 20 bars."),
    "ema": ("function", "`ema(spot, 20[, 5m])`: alpha 2/(n+1), seeded with the SMA of the first n closes."),
    "rsi": ("function", "`rsi(spot, 14[, 5m])`: Wilder's RSI, 0 to 100. Unknown until n + 1 closes."),
    "atr": ("function", "`atr(spot, 14[, 5m])`: Wilder-smoothed true range."),
    "vwap": ("function", "`vwap(spot[, 5m])`: sum(typical x volume) / sum(volume) since the session's open; unknown "
             "without volume."),
    "bollinger": ("function", "`bollinger(spot, 20, 2).upper` | `.middle` | `.lower`: SMA +/- k population "
                  "standard deviations."),
    "supertrend": ("function", "`supertrend(spot, 10, 3)` (the line) | `.direction` (+1 up, -1 down)."),
    # -- units ------------------------------------------------------------------------------------
    "rs": ("unit", "`rs 5000`: money in currency (also `₹5000`). Compares with `mtm`, `pnl`, `leg.pnl`; as a "
           "stop or target, per position."),
    "₹": ("unit", "`₹5000`: money in currency, the same as `rs 5000`."),
    "pts": ("unit", "`40 pts`: points of the option's price, for stops and targets."),
    "%": ("unit", "`30%`: a percentage; as a stop or target, of the leg's entry price; in arithmetic a fraction "
          "(130% is 1.3)."),
}

# leg attributes, read after a dot: ce.ltp
ATTRIBUTES: dict[str, str] = {
    "ltp": "`ce.ltp` (number): the leg's last price at the tick (the close, or the mid for quote data).",
    "entry_price": "`ce.entry_price` (number): the leg's price at entry (the mid at entry for quote data).",
    "pnl": "`ce.pnl` (money): the leg's PnL in currency, compared with money: `ce.pnl <= -rs 2000`.",
}

DOCS: dict[str, str] = {word: text for word, (_, text) in _TABLE.items()}
KINDS: dict[str, str] = {word: kind for word, (kind, _) in _TABLE.items()}
