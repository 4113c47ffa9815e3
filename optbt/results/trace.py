"""A traced day on paper: ``trace.jsonl`` (one decision a line) and its timeline in words.

The records come from the engine's tracer (``optbt.engine.trace``): plain dicts with ``day``,
``time``, ``tick``, ``kind`` and the kind's fields. The timeline folds a decision that repeats
unchanged on consecutive ticks (an entry condition still false, a stop not hit) into one line
with its first and last time, so a whole day reads in a screenful.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from optbt.results.metrics import plain_number

# kinds that repeat tick after tick; folded while their signature stays the same
_FOLD = {"entry_condition", "exit_check", "rule", "mtm", "entry_blocked", "entry_not_tried"}


def write_trace(out: str | Path, records: list[dict]) -> Path:
    path = Path(out) / "trace.jsonl"
    with path.open("w") as fh:
        for r in records:
            fh.write(json.dumps({k: _clean(v) for k, v in r.items()}, default=str) + "\n")
    return path


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, list):
        return [_clean(x) for x in v]
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    return v


def _signature(r: dict) -> tuple | None:
    kind = r["kind"]
    if kind not in _FOLD:
        return None
    if kind == "entry_blocked":
        return kind, tuple((leg.get("key"), leg.get("why")) for leg in r.get("legs", []))
    return kind, r.get("rule"), r.get("key"), r.get("result"), r.get("note")


def timeline(records: list[dict]) -> list[str]:
    """The records as lines of text, a day header first, repeats folded."""
    runs: list[list[dict]] = []
    open_runs: dict[tuple, list[dict]] = {}
    for r in records:
        sig = _signature(r)
        if sig is not None:
            sig = (r["day"],) + sig
            run = open_runs.get(sig)
            if run is not None and r["tick"] == run[-1]["tick"] + 1:
                run.append(r)
                continue
            open_runs[sig] = run = [r]
            runs.append(run)
        else:
            runs.append([r])
    return [_line(run) for run in runs]


def _p(x) -> str:
    """A figure of the timeline, as trace.jsonl holds it to the cent at least: six significant
    digits below 10,000 (that is 2 decimals or more), up to 4 decimals above, where six digits
    showed a spot of 20707.95 as 20708 (a rule on it read 'spot 20708 ... false').

    >>> _p(20707.95), _p(-557.4612342), _p(105.0), _p(-0.0), _p(2345678.9), _p(0.00001234567)
    ('20707.95', '-557.461', '105', '0', '2,345,678.90', '0.0000123457')
    """
    if x is None:
        return "-"
    if isinstance(x, float):
        x += 0.0  # no "-0"
        if abs(x) < 1e4:
            return plain_number(f"{x:.6g}")  # 0.00001, not 1e-05
        return f"{x:.4f}".rstrip("0").rstrip(".") if abs(x) < 1e6 else f"{x:,.2f}"
    return str(x)


def _when(run: list[dict]) -> str:
    first, last = run[0], run[-1]
    if not first.get("time"):
        return " " * 11
    if len(run) == 1:
        return f"{first['time']:<11}"
    return f"{first['time']}-{last['time']}"


def _leg(v: dict) -> str:
    where = f"{v.get('key')} {v.get('side', '')} {v.get('instrument', '')}".strip()
    if v.get("usable"):
        return f"{where} {_p(v.get('price'))} (lag {v.get('lag')}) ok"
    price = "" if v.get("price") is None else f" {_p(v['price'])} (lag {v.get('lag')})"
    return f"{where}{price} UNUSABLE: {v.get('why')}"


def _line(run: list[dict]) -> str:
    r, last = run[0], run[-1]
    kind = r["kind"]
    n = f" ({len(run)} ticks)" if len(run) > 1 else ""
    when = _when(run)
    if kind == "day":
        until = f", entries until {r['entry_until']} (exit time {r['exit_time']})" if r.get("entry_until") else ""
        return (f"== {r['day']}: {r['ticks']} ticks {r['first']}-{r['last']}, spot at first tick "
                f"{_p(r['spot'])}, ATM {_p(r['atm'])}, expiry {r['expiry']}{until}")
    if kind == "skip":
        note = f": {r['note']}" if r.get("note") else ""
        return f"== {r['day']}: SKIPPED ({r['reason']}){note}"
    if kind == "absent":
        return f"== {r['day']}: not run: {r['note']}"
    if kind == "entry_condition":
        return (f"{when} entry condition {'TRUE' if r['result'] else 'false'}{n} (spot {_p(r.get('spot'))}"
                f"{'' if r.get('dte') is None else ', dte ' + str(r['dte'])})")
    if kind == "exit_check":
        return f"{when} exit rule {'TRUE: exit everything' if r['result'] else 'false'}{n}"
    if kind == "entry_not_tried":
        return f"{when} entry not tried{n}: {r['note']} (spot {_p(r.get('spot'))})"
    if kind in ("entry_blocked", "shift_blocked"):
        return f"{when} entry tried, NOT filled{n}: " + "; ".join(_leg(v) for v in r.get("legs", []))
    if kind == "fill":
        greeks = (f", IV {r['iv'] * 100:.2f} %, delta {r['delta']:.3f}" if r.get("iv") is not None
                  else ", IV unknown" if "iv" in r else "")
        return (f"{when} FILL {r['key']}: {r['side']} {r['instrument']} at {_p(r['price'])} "
                f"(lag {r['lag']}, {r['reason']}{greeks})")
    if kind == "exit":
        level = f", level {_p(r['level'])}" if r.get("level") is not None else ""
        return (f"{when} EXIT {r['key']}: {r['instrument']} at {_p(r['price'])} (lag {r['lag']}) "
                f"reason {r['reason']}{level}, pnl {_p(r['pnl'])}")
    if kind == "rule":
        prices = _p(r["price"]) if len(run) == 1 else f"{_p(r['price'])} .. {_p(last['price'])}"
        verdict = "HIT" if r["result"] else "not hit"
        cmp = ">=" if (r["rule"] == "stop_loss") == (r.get("side") == "SELL") else "<="
        return (f"{when} {r['rule']} {r['key']}: price {prices} vs level {_p(last['level'])} "
                f"(hit when price {cmp} level): {verdict}{n}")
    if kind == "mtm":
        mtm = _p(r["mtm"]) if len(run) == 1 else f"{_p(r['mtm'])} .. {_p(last['mtm'])}"
        limits = ", ".join(f"{k} {_p(v)}" for k, v in r.get("limits", {}).items())
        return f"{when} MTM {mtm} vs {limits or 'trail'}: {'HIT' if r['result'] else 'not hit'}{n}"
    if kind == "cancelled":
        return f"{when} CANCELLED {r['key']} ({r['waiting']}): {r['note']}"
    if kind == "entry_closed":
        return f"{when} {r['note']}"
    if kind == "no_entry":
        return f"{when} no entry: {r['note']}"
    if kind == "time_warning":
        return f"{when} note: {r['note']}"
    return f"{when} {kind} " + json.dumps({k: v for k, v in r.items() if k not in ('day', 'time', 'tick', 'kind')},
                                           default=str)
