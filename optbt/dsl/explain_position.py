"""``optbt explain`` for the position-level constructs (issue 13): the strike forms that take
parameters or follow another leg or the straddle, the ATM source, the day's overall stop /
target / lock and the credit exits. The words follow :mod:`optbt.dsl.position`.
"""

from __future__ import annotations

from optbt.dsl import ast as A
from optbt.dsl.format import number


def _amount(a, words) -> str:
    if a is None:
        return ""
    if isinstance(a, A.Num):
        return number(a.value)
    return words(a)


def _plural(n: float, word: str) -> str:
    return f"{number(n)} {word}{'' if n == 1 else 's'}"


def strike_rule_words(s: A.StrikeRule, opt_type: str, words) -> str:
    amount = _amount(s.amount, words)
    if s.how == "atm":
        return f"ATM {'+' if s.sign > 0 else '-'} {amount} strike steps ({'above' if s.sign > 0 else 'below'} ATM)"
    if s.how in ("itm", "otm"):
        p = words.unit.params.get(getattr(s.amount, "name", ""))
        if s.how == "otm" and p is not None and p.type == "percent":
            return (f"{amount} out of the money (for a {'call: the lowest strike at or above the spot × (1 + p/100)' if opt_type == 'CE' else 'put: the highest strike at or below the spot × (1 - p/100)'})")
        into = s.how == "itm"
        up = (opt_type == "PE") == into
        steps = _plural(s.amount.value, "strike step") if isinstance(s.amount, A.Num) else f"{amount} strike steps"
        return (f"{steps} {'in' if into else 'out of'} the money ({'above' if up else 'below'} ATM for a "
                f"{'put' if opt_type == 'PE' else 'call'})")
    if s.how == "premium":
        return {"~": "at the strike whose premium is closest to ", ">=": "at the strike with the lowest premium at or above ",
                "<=": "at the strike with the highest premium at or below "}[s.mode] + words(s.amount) + \
            " (worked out at the tick of entry; another leg's price is that of the contract chosen for it on " \
            "the same tick; among strikes with a live price)"
    if s.how == "delta":
        return {"~": f"at the strike whose delta (in absolute value) is closest to {amount}",
                ">=": f"at the strike with the smallest delta (in absolute value) at or above {amount}",
                "<=": f"at the strike with the largest delta (in absolute value) at or below {amount}"}[s.mode] + \
            " (among strikes with a live price at the tick, from their IV; ties go to the strike nearer the money)"
    if s.how == "straddle":
        return (f"at the listed strike nearest ATM {'+' if s.sign > 0 else '-'} {amount} × the ATM straddle's "
                "premium (the ATM call's price + the ATM put's, at the tick)")
    shift = "" if s.amount is None else f" {'+' if s.sign > 0 else '-'} {amount} points"
    return f"at the listed strike nearest {s.leg}'s strike{shift} ({s.leg}'s strike is chosen first)"


def expiry_param_words(rule: A.ExpiryParam, words) -> str:
    n = words.param(rule.param)
    return {">=": f"the first listed expiry at least {n} days away",
            "<=": f"the last listed expiry at most {n} days away",
            "==": f"the listed expiry exactly {n} days away"}.get(rule.op, f"dte {rule.op} {n}")


def _money(a: A.Amount, words) -> str:
    return f"rs {number(a.value)}" if a.param is None else f"rs {words.param(a.param)}"


def _credit(c, words) -> str:
    if c.unit == "param":
        p = words.unit.params[c.param]
        size = (f"{words.param(c.param)} of the net credit" if p.type == "percent"
                else f"{words.param(c.param)} × the net credit")
    elif c.unit == "pct":
        size = f"{number(c.value)} % of the net credit"
    else:
        size = f"{number(c.value)} × the net credit"
    return size


def position_section(unit, words) -> list[str]:
    prog = unit.program
    out = []
    atm = prog.of(A.AtmFrom)
    if atm and atm[0].source == "synthetic":
        out.append("ATM is taken from the synthetic future, not the spot: at each tick, K + call(K) - put(K) at the "
                   "spot's ATM strike K (live prices of that tick), then the listed strike nearest it; while "
                   "either price is missing, ATM is not known and the entry waits.")
    credits = prog.of(A.CreditRule)
    if credits:
        out.append("The position against its net credit (premiums sold minus premiums bought at entry, in "
                   "currency; its PnL counts its legs closed since the entry and its open legs):")
        for r in credits:
            if r.rule == "stop_loss":
                out.append(f"  credit stop: every leg is closed (exit reason credit_stop) when the position has lost "
                           f"{_credit(r.amount, words)} or more")
            else:
                out.append(f"  credit target: every leg is closed (exit reason credit_target) when the position has "
                           f"gained {_credit(r.amount, words)} or more")
        out.append("  A credit exit ends the cycle; an entry that pays a net debit stops the run (E0407).")
    rules, locks = prog.of(A.OverallRule), prog.of(A.Lock)
    if rules or locks:
        out.append("The day as a whole (the day's PnL: realised from every leg closed today + the open legs' PnL, "
                   "after costs):")
        for r in rules:
            a = r.amount
            size = (_credit(a, words) + " of the day's entries" if isinstance(a, A.CreditAmount)
                    else _money(a, words))
            if r.rule == "overall_stop":
                out.append(f"  overall stop: every open leg is closed (exit reason overall_stop) when the day's PnL "
                           f"is a loss of {size} or more")
            else:
                out.append(f"  overall target: every open leg is closed (exit reason overall_target) when the day's "
                           f"PnL is a profit of {size} or more")
        for lk in locks:
            text = (f"  lock: once the day's PnL reaches {_money(lk.at, words)}, every open leg is closed (exit reason "
                    f"lock) when it falls back to {_money(lk.keep, words)}")
            if lk.every is not None:
                text += (f", a level raised by {_money(lk.by, words)} for every {_money(lk.every, words)} the best PnL "
                         f"since has gone beyond {_money(lk.at, words)}")
            out.append(text)
        out.append("  Once one of these fires the day is over: no entry again that day, whatever max_cycles allows.")
    return out


def tick_steps(unit) -> list[str]:
    prog = unit.program
    steps = []
    credit = [{"stop_loss": "the credit stop", "target": "the credit target"}[r.rule] for r in prog.of(A.CreditRule)
              if r.rule != "trailing"]
    if credit:
        steps.append(", then ".join(credit))
    day = [{"overall_stop": "the overall stop", "overall_target": "the overall target"}[r.rule]
           for r in prog.of(A.OverallRule)] + ["the lock"] * bool(prog.of(A.Lock))
    if day:
        steps.append(", then ".join(day) + " (on the day's PnL)")
    return steps


def end_ways(unit) -> list[str]:
    prog = unit.program
    ways = [{"stop_loss": "the credit stop", "target": "the credit target"}.get(r.rule, "") for r in prog.of(A.CreditRule)]
    ways += [{"overall_stop": "the overall stop", "overall_target": "the overall target"}[r.rule]
             for r in prog.of(A.OverallRule)]
    ways += ["the lock"] * bool(prog.of(A.Lock))
    return [w for w in ways if w]
