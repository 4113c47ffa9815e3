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
    "costs": ("statement", "`costs preset nse` | `costs slippage 0.5 pts` | `costs slippage 0.1%` | "
              "`costs commission rs 20 per order` | `costs commission rs 10 per lot`\n\nThe costs the file "
              "assumes, one setting a line. The command line (`--costs`, `--slippage`, `--commission`) and "
              "`costs=` in Python override them; the dataset's `[costs]` fill in what the file does not set."),
    # -- words inside statements -------------------------------------------------------------
    "preset": ("keyword", "`costs preset nse` | `costs preset us` | `costs preset \"my_broker.toml\"`\n\nA "
               "broker's charges on every executed order (brokerage, STT, exchange, SEBI, stamp, GST, fees), "
               "as contract-note columns in trades.csv."),
    "slippage": ("keyword", "`costs slippage 0.5 pts` | `costs slippage 0.1%`\n\nEvery fill that much worse: "
                 "buys higher, sells lower (points, or a percentage of the price)."),
    "commission": ("keyword", "`costs commission rs 20 per order` | `costs commission rs 10 per lot`\n\nA flat "
                   "amount per executed order (an entry and an exit are two), or per lot of every order."),
    "per": ("keyword", "`costs commission rs 20 per order` | `... per lot`"),
    "order": ("keyword", "`costs commission rs 20 per order`: per executed order (entry and exit each count)."),
    "lot": ("keyword", "`costs commission rs 10 per lot`: per lot of every executed order."),
    "reentry": ("statement", "`reentry each leg on stop_loss cost max 2` | `reentry ce on target asap reverse max 1`"
                "\n\nPer-leg re-entry after that leg's stop_loss, target or trailing stop (AlgoTest RE ASAP / RE "
                "COST / RE MOMENTUM, with `reverse` the opposite side), at most N times a day per exit kind."),
    "wait": ("statement", "`wait ce up 10%` | `wait each leg down 5 pts`\n\nWait-and-trade: when the leg is due, "
             "note the price of the contract it would open; open it once that price moved this far up or down."),
    # -- words inside statements -------------------------------------------------------------
    "asap": ("keyword", "`reentry ... asap`: re-enter at once, the strike chosen again at that tick (RE ASAP)."),
    "momentum": ("keyword", "`reentry ... momentum`: re-enter once the leg's `wait` move is met again, from a "
                 "strike chosen at the exit (RE MOMENTUM)."),
    "reverse": ("keyword", "`reentry ... asap reverse`: the re-entry takes the opposite side of the declared leg."),
    "max": ("keyword", "`reentry ... max 2`: at most that many re-entries a day, per leg and exit kind."),
    "up": ("keyword", "`wait ce up 10%`: open once the premium rose this far."),
    "down": ("keyword", "`wait ce down 10%`: open once the premium fell this far."),
    "every": ("keyword", "`trailing ce every 10 pts by 5 pts`: for every 10 points in the leg's favour, its stop "
              "moves 5 points in its favour (needs a stop_loss on the leg)."),
    "open": ("keyword", "`on stop_loss(ce): open hedge` (a lazy leg: opened only by this action). As a value, a "
             "leg's status: `hedge.status == open`."),
    "waiting": ("value", "A leg's status before it opens (not yet due, waiting for its time, a premium move or a "
                "re-entry): `ce.status == waiting`."),
    "closed": ("value", "A leg's status after it closed, with no re-entry pending: `ce.status == closed`."),
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
    "cost": ("keyword", "`move pe.stop to cost`: the stop moves to the leg's entry price. `reentry ... cost`: "
             "re-enter the same contract when its price comes back to the leg's first entry price (RE COST)."),
    "others": ("keyword", "`on stop_loss: move others.stop to cost`: every leg except the one whose stop fired."),
    "close": ("keyword", "`on target(pe): close ce`: closes that leg."),
    "after": ("keyword", "`trail_mtm after rs 3000 by rs 1000`: the MTM that arms the trailing MTM. "
              "`trailing ce 10 pts after 20 pts`: the leg's move in its favour that starts the trailing."),
    "by": ("keyword", "`trail_mtm after rs 3000 by rs 1000`: how far MTM may fall from its best. "
           "`trailing ce every 10 pts by 5 pts`: how far the stop moves per step."),
    "sweep": ("keyword", "`sweep 20% .. 50% step 10%` | `sweep [1, 2, 3]`\n\nThe values `optbt sweep` uses when no "
              "`--grid` is given. Ranges for numbers and percentages, lists for any type."),
    "step": ("keyword", "`sweep 20% .. 50% step 10%`: the step of a sweep range (above zero)."),
    "premium": ("keyword", "`premium ~ 50` | `premium >= 80` | `premium <= 80`\n\nA strike chosen by its premium "
                "at the tick: closest to, the cheapest at or above, the richest at or below. Only strikes with a "
                "live price count."),
    "delta": ("keyword", "`delta 0.16` | `delta >= 0.16` | `delta <= 0.16`\n\nA strike chosen by its delta at the "
              "tick (absolute value, so puts too): closest to, the smallest at or above, the largest at or below. "
              "Deltas come from each strike's IV (its price and the spot at the tick); only strikes with a live "
              "price count. After a dot, `ce.delta` is an open leg's delta."),
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
    "net_delta": ("builtin", "`net_delta` (number): the open position's delta in lots: side (+1 long, -1 short) x "
                  "lots x delta, summed over the open legs; 0 with nothing open, unknown when a leg's delta is. "
                  "`shift ce to delta 0.5 when net_delta > 0.15`."),
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
    "nse": ("value", "`costs preset nse`: NSE index options as a contract note charges them (brokerage per order, "
            "STT 0.1 % of sells, exchange 0.03503 %, SEBI, stamp 0.003 % of buys, GST 18 %)."),
    "us": ("value", "`costs preset us`: US listed options (commission per contract, ORF, OCC, FINRA TAF and SEC "
           "fees on sells)."),
    "pts": ("unit", "`40 pts`: points of the option's price, for stops and targets."),
    "%": ("unit", "`30%`: a percentage; as a stop or target, of the leg's entry price; in arithmetic a fraction "
          "(130% is 1.3)."),
}

# position level (issue 13): the day's PnL, locks, credit exits, strike forms
_TABLE.update({
    "overall_stop": ("statement", "`overall_stop rs 3000` | `overall_stop 50% credit` | `overall_stop rs risk`\n\n"
                     "Exits everything when the day's total PnL (realised from every leg closed today + the open "
                     "legs) is a loss of the amount; a `credit` amount is of the net credit of the day's entries. "
                     "The day is then over: no re-entry."),
    "overall_target": ("statement", "`overall_target rs 5000` | `overall_target 50% credit`\n\nExits everything "
                       "when the day's total PnL is a profit of the amount. The day is then over: no re-entry."),
    "lock": ("statement", "`lock at rs 2000 keep rs 1000` [`trail every rs 500 by rs 250`]\n\nOnce the day's PnL "
             "reaches the first amount, exits everything when it falls back to the kept amount; with `trail`, the "
             "kept amount rises by the last amount for every further step of the `every` amount. The day is then "
             "over: no re-entry."),
    "atm_from": ("statement", "`atm_from synthetic` | `atm_from spot`\n\nWhere ATM comes from: the spot (default) or "
                 "the synthetic future K + call(K) - put(K) at the spot's ATM strike K."),
    "credit": ("keyword", "`stop_loss 2x credit` | `target 50% credit` | `overall_stop 50% credit`\n\nThe net "
               "credit received at entry: premiums sold minus premiums bought (currency). `2x credit` is a loss of "
               "twice the credit; refused for a position that only buys (E0407)."),
    "keep": ("keyword", "`lock at rs 2000 keep rs 1000`: the day's PnL the lock exits at."),
    "every": ("keyword", "`trail every rs 500 by rs 250`: each further step of profit that raises the lock."),
    "trail": ("keyword", "`lock at ... keep ... trail every rs 500 by rs 250`: the lock rises with the best PnL."),
    "strike": ("keyword", "`add(sell_ce.strike + 200, CE, BUY)`: another leg's strike, plus or minus points (the "
               "listed strike nearest it); that leg's strike is chosen first."),
    "straddle": ("builtin", "`straddle` (number): the ATM straddle's premium at the tick (ATM call + ATM put). "
                 "Strikes: `ATM + 0.5x straddle` (straddle width), `premium ~ straddle * 30%`."),
    "x": ("keyword", "`ATM + k x straddle`: k times the ATM straddle's premium (with a number: `0.5x straddle`)."),
    "ITM": ("value", "`ITM 1` | `ITM n`: strike steps in the money for the leg's type: below ATM for a call, above "
            "for a put."),
    "synthetic": ("value", "`atm_from synthetic`: ATM from call - put parity instead of the spot."),
})
_TABLE["OTM"] = ("value", "`OTM 2%` | `OTM pct`: that far out of the money (spot x 1.02 for a call, x 0.98 for a "
                 "put). `OTM 2` | `OTM n` (a whole number): strike steps out of the money: above ATM for a call, "
                 "below for a put.")

# leg attributes, read after a dot: ce.ltp
ATTRIBUTES: dict[str, str] = {
    "ltp": "`ce.ltp` (number): the leg's last price at the tick (the close, or the mid for quote data). In a file "
           "with leg management, a waiting leg's ltp is the price of the contract it would open (or waits on).",
    "reentries": "`ce.reentries` (number): how many times the leg re-entered today (in this cycle).",
    "status": "`ce.status` (a leg status): waiting, open or closed: `ce.status == open`.",
    "entry_price": "`ce.entry_price` (number): the leg's price at entry (the mid at entry for quote data).",
    "pnl": "`ce.pnl` (money): the leg's PnL in currency, compared with money: `ce.pnl <= -rs 2000`.",
    "iv": "`ce.iv` (percentage): the leg's implied volatility at the tick, from its last price and the spot: "
          "`ce.iv > 30%`. Unknown (the condition is false) below intrinsic or without a price or spot.",
    "delta": "`ce.delta` (number): the option's delta at the tick (a put's is negative), per unit of the "
             "underlying; for the position's, use `net_delta`.",
    "gamma": "`ce.gamma` (number): the option's gamma at the tick (delta per unit of the underlying).",
    "theta": "`ce.theta` (number): the option's theta at the tick, in price points per calendar day.",
    "vega": "`ce.vega` (number): the option's vega at the tick, in price points per volatility point.",
}

DOCS: dict[str, str] = {word: text for word, (_, text) in _TABLE.items()}
KINDS: dict[str, str] = {word: kind for word, (kind, _) in _TABLE.items()}
