"""``report.html``: one self-contained page for a run folder or a sweep folder.

Charts are drawn by matplotlib (the plotting library every Python user already trusts; it
renders to SVG and PNG offline with no JavaScript and no network) and inlined as SVG, so
the file opens anywhere, offline, and can be mailed as it is. ``equity.png`` is written
next to it for terminals and CI artefacts. The output is deterministic: the same folder
gives the same bytes.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from optbt.model.errors import ConfigError, did_you_mean
from optbt.results.folder import REPORT_HEAD
from optbt.results.metrics import (
    cents,
    drawdown_text,
    metric_text,
    money,
    percent,
    plain_number,
    whole,
    win_rate_text,
)

MAX_TRADE_ROWS = 5000  # beyond this the page says so and points at trades.csv
TOP_EQUITY = 5  # equity curves drawn on a sweep's report
INTRADAY_DAYS = 3  # up to this many days, the equity curve steps at each trade's exit
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:28px 0 8px;border-bottom:1px solid #dde1e6;padding-bottom:4px}
.sub{color:#5b6573;margin-bottom:16px}
.banner{background:#fff3cd;border:1px solid #e0b400;color:#6b5200;padding:10px 14px;border-radius:6px;margin:12px 0;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:8px 12px;min-width:120px}
.card .k{font-size:.8em;color:#5b6573}.card .d{font-size:.75em;color:#5b6573}.card .v{font-size:1.2em;font-weight:600}
table{border-collapse:collapse;background:#fff;font-size:.85em}th,td{border:1px solid #dde1e6;padding:3px 7px;text-align:right}
th{background:#eef1f4}td{white-space:nowrap}td.l,th.l{text-align:left}.pos{color:#0a7a32}.neg{color:#b3261e}
.scroll{max-height:520px;overflow:auto;border:1px solid #dde1e6}
figure{margin:0;background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:6px}svg{max-width:100%;height:auto}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:12px}.grid2>div{min-width:0}
details{margin:8px 0}summary{cursor:pointer;color:#1f5fbf}.wide{max-width:100%;overflow-x:auto}
footer{color:#5b6573;font-size:.8em;margin-top:32px}
"""


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt
    plt.rcParams.update({"svg.hashsalt": "optbt", "svg.fonttype": "none", "font.size": 9,
                         "axes.spines.top": False, "axes.spines.right": False})
    return plt


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "optbt"})
    _pyplot().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _num(v: Any) -> str:
    if v is None or v == "":
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return money(v)
    if isinstance(v, int):
        return f"{v:,}"
    return _e(v)


def _digits(v: float) -> str:
    """A number with every digit it has, in positional notation, without a trailing ".0": a
    strike, a percentage parameter, a cost setting (``:g`` wrote 1e-05 and 1e+06).

    >>> _digits(21000.0), _digits(12.625), _digits(0.00001), _digits(1e6)
    ('21000', '12.625', '0.00001', '1000000')
    """
    return plain_number(float(v)).removesuffix(".0")


def _value(v: Any) -> str:
    """A parameter's value as it was run: a float in positional notation (str() wrote 1e-05).

    >>> _value(1e-05), _value(40.0), _value(3), _value("15:15")
    ('0.00001', '40.0', '3', '15:15')
    """
    return plain_number(v) if isinstance(v, float) else str(v)


def _count(n: int, noun: str) -> str:
    """A count with its noun, singular for one.

    >>> _count(1, "day"), _count(3, "trade")
    ('1 day', '3 trades')
    """
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _signed(v: float | None) -> str:
    if v is None:
        return "<td>-</td>"
    shown = cents(v)  # the colour of the figure shown: -0.004 is 0.00, not a loss in red
    cls = "pos" if shown > 0 else "neg" if shown < 0 else ""
    return f'<td class="{cls}">{money(v)}</td>'


def _kv_table(pairs: dict) -> str:
    rows = "".join(f'<tr><th class="l">{_e(k)}</th><td class="l">{_num(v)}</td></tr>' for k, v in pairs.items())
    return f"<table>{rows}</table>"


def _page(title: str, subtitle: str, synthetic: bool, body: str) -> str:
    banner = ('<div class="banner">SYNTHETIC DATA — these numbers come from generated prices,'
              " not from a market. Do not read them as evidence about a real strategy.</div>"
              if synthetic else "")
    return (REPORT_HEAD.decode() + '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>"
            f"<h1>{_e(title)}</h1><div class=\"sub\">{_e(subtitle)}</div>{banner}{body}"
            f"<footer>made by optbt report; charts by matplotlib</footer></main></body></html>\n")


def _read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _float(v: str | None) -> float | None:
    return None if v in (None, "") else float(v)


# -- one run ----------------------------------------------------------------------------------

def _equity(pnl: list[float]):
    """Cumulative PnL and drawdown (≤ 0) from a sequence of PnL steps."""
    equity, peak, dd = [], 0.0, []
    total = 0.0
    for p in pnl:
        total += p
        equity.append(total)
        peak = max(peak, total)
        dd.append(total - peak)
    return equity, dd


def _equity_fig(xs, equity, title: str, ylabel: str = "cumulative PnL"):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 3.4))
    ax.plot(xs, equity, color="#1f5fbf", linewidth=1.4, drawstyle="steps-post" if "exit" in ylabel else "default",
            marker="o" if len(xs) <= 60 else None, markersize=3)
    ax.axhline(0, color="#888", linewidth=0.6)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    return fig


def _drawdown_fig(days, dd):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 2.4))
    ax.fill_between(days, dd, 0, color="#b3261e", alpha=0.35, step="post")
    ax.plot(days, dd, color="#b3261e", linewidth=0.8, drawstyle="steps-post")
    ax.set_ylabel("drawdown")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    return fig


def _histogram_fig(pnl: list[float]):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 3.0))
    if pnl:
        n = min(40, max(5, len(pnl) // 3))
        lo, hi = min(pnl), max(pnl)
        width = (hi - lo) / n or 1.0
        bins = [lo + width * k for k in range(n + 1)]  # one set of edges for both colours
        ax.hist([p for p in pnl if p >= 0], bins=bins, color="#0a7a32", alpha=0.75, label="up days")
        ax.hist([p for p in pnl if p < 0], bins=bins, color="#b3261e", alpha=0.75, label="down days")
        ax.legend(frameon=False)
    ax.set_xlabel("PnL of a traded day")
    ax.set_ylabel("days")
    ax.grid(alpha=0.3)
    return fig


def _monthly_grid(days: list[date], pnl: list[float]) -> str:
    months: dict[tuple[int, int], float] = defaultdict(float)
    for d, p in zip(days, pnl):
        months[(d.year, d.month)] += p
    if not months:
        return "<p>No days.</p>"
    scale = max(abs(v) for v in months.values()) or 1.0
    head = "".join(f"<th>{m}</th>" for m in MONTHS)
    rows = []
    for year in sorted({y for y, _ in months}):
        cells = []
        for m in range(1, 13):
            v = months.get((year, m))
            if v is None:
                cells.append("<td></td>")
                continue
            a = 0.12 + 0.6 * abs(v) / scale
            bg = f"rgba(10,122,50,{a:.2f})" if v >= 0 else f"rgba(179,38,30,{a:.2f})"
            cells.append(f'<td style="background:{bg}">{whole(v)}</td>')
        total = sum(v for (y, _), v in months.items() if y == year)
        rows.append(f'<tr><th class="l">{year}</th>{"".join(cells)}{_signed(total)}</tr>')
    return f'<table><tr><th class="l">year</th>{head}<th>total</th></tr>{"".join(rows)}</table>'


_TRADE_COLS = ("day", "cycle", "key", "strike", "opt_type", "side", "qty", "entry_ts", "entry_price",
               "entry_lag", "exit_ts", "exit_price", "exit_lag", "exit_reason", "costs", "pnl",
               "brokerage", "stt", "exchange", "sebi", "stamp", "gst", "fees", "slippage", "mae", "mfe")
# shown with every digit trades.csv holds, in positional notation
_NUMBER_COLS = frozenset(("strike", "qty", "entry_price", "entry_lag", "exit_price", "exit_lag", "costs",
                          "brokerage", "stt", "exchange", "sebi", "stamp", "gst", "fees", "slippage", "mae", "mfe"))
CHARGE_COLS = ("brokerage", "stt", "exchange", "sebi", "stamp", "gst", "fees")
# what a trader reads first; the rest is one click away (the page never scrolls sideways)
_KEY_COLS = ("day", "leg", "side", "entry", "exit", "exit_reason", "pnl")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _leg(t: dict) -> str:
    """``ce 21000 CE`` — the key, strike and type of a trade, as a trader names a leg."""
    strike = _float(t.get("strike"))
    k = _digits(strike) if strike is not None else ""
    return " ".join(x for x in (t.get("key", ""), k, t.get("opt_type", "")) if x)


def _price(text: str | None) -> str:
    """A number of trades.csv as it holds it, in positional notation: 1e-05 is 0.00001."""
    return "" if text is None else plain_number(str(text))


def _hhmm(ts: str | None) -> str:
    return "" if not ts else str(ts).replace("T", " ")[11:16]


def _minutes(t: dict) -> float | None:
    try:
        return (datetime.fromisoformat(t["exit_ts"]) - datetime.fromisoformat(t["entry_ts"])).total_seconds() / 60
    except (KeyError, TypeError, ValueError):
        return None


def _is_pct(name: str, kinds: dict) -> bool:
    """A percentage parameter shows with a %: the kind the strategy declares (``percent`` in a
    .strat file, ``PARAM_KINDS`` in Python), else a name like ``sl_pct`` (folders written before
    kinds were recorded, and Python strategies that declare none)."""
    if name in kinds:
        return kinds[name] == "percent"
    n = name.lower()
    return n == "pct" or n.endswith(("_pct", "pct_", "_percent")) or n.startswith("pct_")


def _param_text(name: str, v: Any, kinds: dict) -> str:
    if _is_pct(name, kinds) and isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{_digits(v)} %"
    return _value(v)


def _trades_html(trades: list[dict]) -> str:
    if not trades:
        return "<p>No trades.</p>"
    reasons: dict[str, list[float]] = defaultdict(list)
    for t in trades:
        reasons[t["exit_reason"]].append(float(t["pnl"]))
    summary = "".join(f'<tr><td class="l">{_e(r)}</td><td>{len(v)}</td>{_signed(sum(v))}</tr>'
                      for r, v in sorted(reasons.items()))
    out = [f'<h3>By exit reason</h3><table><tr><th class="l">exit reason</th><th>trades</th><th>PnL</th></tr>'
           f"{summary}</table>"]
    shown = trades[:MAX_TRADE_ROWS]
    if len(trades) > len(shown):
        out.append(f"<p>Showing the first {len(shown):,} of {len(trades):,} trades; all of them are in"
                   " trades.csv next to this report.</p>")
    excursions = "mae" in trades[0]  # folders written before MAE/MFE have no such columns
    key_head = "".join(f'<th class="l">{c.replace("_", " ")}</th>' for c in _KEY_COLS)
    key_head += '<th title="max adverse excursion">MAE</th><th title="max favourable excursion">MFE</th>' \
        if excursions else ""
    key_rows = []
    for t in shown:
        extra = f'{_signed(_float(t.get("mae")))}{_signed(_float(t.get("mfe")))}' if excursions else ""
        key_rows.append(f'<tr><td class="l">{_e(t.get("day"))}</td><td class="l">{_e(_leg(t))}</td>'
                        f'<td class="l">{_e(t.get("side"))}</td>'
                        f'<td class="l">{_e(_hhmm(t.get("entry_ts")))} @ {_e(_price(t.get("entry_price")))}</td>'
                        f'<td class="l">{_e(_hhmm(t.get("exit_ts")))} @ {_e(_price(t.get("exit_price")))}</td>'
                        f'<td class="l">{_e(t.get("exit_reason"))}</td>{_signed(_float(t.get("pnl")))}{extra}</tr>')
    out.append(f'<h3>Every trade</h3><div class="scroll"><table><tr>{key_head}</tr>{"".join(key_rows)}</table></div>')
    cols = [c for c in _TRADE_COLS if c in trades[0]]
    head = "".join(f'<th class="l">{c}</th>' for c in cols)
    body = []
    for t in shown:
        cells = []
        for c in cols:
            v = t.get(c, "")
            if c == "pnl":
                cells.append(_signed(_float(v)))
            elif c in ("entry_ts", "exit_ts"):
                cells.append(f'<td class="l">{_e(str(v).replace("T", " "))}</td>')
            elif c in _NUMBER_COLS:
                cells.append(f'<td class="l">{_e(_price(v))}</td>')
            else:
                cells.append(f'<td class="l">{_e(v)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    out.append(f'<details><summary>All columns (lags, prices, costs)</summary><div class="scroll wide"><table>'
               f'<tr>{head}</tr>{"".join(body)}</table></div></details>')
    return "".join(out)


def _total(trades: list[dict], column: str) -> float:
    """A column's sum, a float even with no trades (an amount shows as 0.00, never 0)."""
    return sum((float(t[column]) for t in trades if t.get(column) not in (None, "")), 0.0)


def _trade_stats(trades: list[dict], metrics: dict) -> dict:
    """Expectancy, durations, excursions and costs: what a trader asks after the headline numbers."""
    pnl = [float(t["pnl"]) for t in trades if t.get("pnl") not in (None, "")]
    durations = [m for m in map(_minutes, trades) if m is not None]
    out = {
        "expectancy per trade": (sum(pnl) / len(pnl)) if pnl else None,
        "win rate": win_rate_text(metrics.get("win_rate")),
        "average trade (minutes)": (sum(durations) / len(durations)) if durations else None,
        "longest trade (minutes)": max(durations) if durations else None,
        "costs and slippage charged": _total(trades, "costs") + _total(trades, "slippage"),
    }
    mae = [float(t["mae"]) for t in trades if t.get("mae") not in (None, "")]
    mfe = [float(t["mfe"]) for t in trades if t.get("mfe") not in (None, "")]
    if mae and mfe:
        out.update({"average MAE per trade (worst open PnL)": sum(mae) / len(mae), "worst MAE": min(mae),
                    "average MFE per trade (best open PnL)": sum(mfe) / len(mfe), "best MFE": max(mfe)})
    return out


def _costs_table(trades: list[dict], used: dict) -> str:
    """The costs the run used (settings) and what they came to (totals), as a contract note adds up."""
    rows: dict[str, Any] = {}
    if used:
        unit = " points" if used.get("slippage_unit") == "points" else " % of the price"
        rows["slippage setting"] = f"{_digits(used.get('slippage', 0))}{unit} against each fill"
        rows["commission setting"] = (f"{_digits(used.get('commission_per_lot', 0))} per lot, "
                                      f"{_digits(used.get('commission_per_order', 0))} per order")
        preset = used.get("preset")
        rows["broker charges"] = (f"{preset} ({used.get('currency', '')}, rates effective {used.get('effective', '')})"
                                  if preset else "none")
    charges = {c: _total(trades, c) for c in CHARGE_COLS if any(t.get(c) not in (None, "") for t in trades)}
    costs, slippage = _total(trades, "costs"), _total(trades, "slippage")
    for c, v in charges.items():
        if v:
            rows[f"{c} (total)"] = v
    if charges:
        rows["commission (total)"] = costs - sum(charges.values())
    rows["costs charged (total)"] = costs
    rows["slippage and spread (total, inside the fill prices)"] = slippage
    rows["costs and slippage (total)"] = costs + slippage
    return _kv_table(rows)


def _capital_cards(metrics: dict, capital: float | None) -> tuple[str, dict]:
    """Return and drawdown as a percentage of the capital (``--capital``), when given."""
    if not capital:
        return "", {}
    total, dd = metrics.get("total_pnl"), metrics.get("max_drawdown")

    def pct(v) -> str:  # summary.json's on_capital figure (4 decimals) shown to 2, as the console does
        return percent(round(v / capital * 100, 4)) if isinstance(v, (int, float)) else "-"
    pairs = {"capital": capital, "return on capital": pct(total), "max drawdown on capital": pct(dd)}
    cards = "".join(f'<div class="card"><div class="k">{_e(k)}</div><div class="v">'
                    f'{_num(v) if k == "capital" else _e(v)}</div></div>' for k, v in pairs.items())
    return cards, pairs


def _weekday_table(days: list[date], pnl: list[float], daily: list[dict]) -> str:
    by: dict[int, list[float]] = defaultdict(list)
    for d, p, r in zip(days, pnl, daily):
        if int(r.get("trades") or 0):
            by[d.weekday()].append(p)
    if not by:
        return "<p>No traded days.</p>"
    rows = "".join(f'<tr><th class="l">{WEEKDAYS[w]}</th><td>{len(v)}</td>{_signed(sum(v))}'
                   f'{_signed(sum(v) / len(v))}<td>{_e(win_rate_text(sum(1 for x in v if x > 0) / len(v)))}</td></tr>'
                   for w, v in sorted(by.items()))
    return (f'<table><tr><th class="l">weekday</th><th>days</th><th>PnL</th><th>average</th>'
            f"<th>up days</th></tr>{rows}</table>")


def _read_json(path: Path) -> dict:
    """A results folder's JSON file, or a ConfigError saying which file is damaged."""
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read ({exc}); run the command that wrote it again") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{path} is not what optbt writes there; run the command that wrote it again")
    return value


def _run_report(run_dir: Path, capital: float | None = None) -> tuple[str, bytes]:
    summary = _read_json(run_dir / "summary.json")
    capital = capital if capital is not None else summary.get("capital")
    missing = [n for n in ("daily.csv", "trades.csv") if not (run_dir / n).exists()]
    if missing:  # a report of nothing would pass for a run without trades
        raise ConfigError(f"{run_dir} has summary.json but no {' or '.join(missing)}: the run's results are"
                          " incomplete; run it again")
    daily = _read_csv(run_dir / "daily.csv")
    trades = _read_csv(run_dir / "trades.csv")
    days = [date.fromisoformat(r["day"]) for r in daily]
    pnl = [float(r["pnl"]) for r in daily]
    xs, steps, ylabel = days, pnl, "cumulative PnL"
    if len(days) <= INTRADAY_DAYS and trades:  # a few days: each closed trade is a point, not each day
        closed = sorted(trades, key=lambda t: t["exit_ts"])
        xs = [datetime.fromisoformat(closed[0]["entry_ts"])] + [datetime.fromisoformat(t["exit_ts"]) for t in closed]
        steps = [0.0] + [float(t["pnl"]) for t in closed]
        ylabel = "cumulative realised PnL (at each exit)"
    equity, dd = _equity(steps)
    ds = summary.get("dataset", {})
    title = f"{summary.get('strategy', 'backtest')} on {ds.get('name', 'dataset')}"
    m = summary.get("metrics", {})
    counted = m.get("days") if isinstance(m.get("days"), int) else len(days)  # days the data holds, as the metrics
    subtitle = (f"{summary.get('start')} to {summary.get('end')}, {_count(counted, 'day')}"
                + (f" ({len(days) - counted} more without data)" if len(days) > counted else "")
                + f", {_count(len(trades), 'trade')}")
    dates = drawdown_text(m)  # under the max drawdown's figure: when it happened
    cards = "".join(f'<div class="card"><div class="k">{_e(k.replace("_", " "))}</div>'
                    f'<div class="v">{_e(win_rate_text(m.get(k))) if k == "win_rate" else _num(m.get(k))}</div>'
                    + (f'<div class="d">{_e(dates)}</div>' if k == "max_drawdown" and dates else "") + "</div>"
                    for k in ("total_pnl", "trades", "win_rate", "profit_factor", "max_drawdown", "sharpe",
                              "avg_win", "avg_loss", "max_consecutive_losses", "days_traded"))
    capital_cards, _ = _capital_cards(m, capital)
    cards += capital_cards
    kinds = summary.get("param_kinds") or {}
    params = {k: _param_text(k, v, kinds) for k, v in summary.get("params", {}).items()}
    png = io.BytesIO()
    total = m.get("total_pnl")
    png_title = (title + ("  (SYNTHETIC data)" if ds.get("synthetic") else "")
                 + (f"\n{', '.join(f'{k} {v}' for k, v in params.items())}" if params else "")
                 + (f"\ntotal PnL {money(total)}" if isinstance(total, (int, float)) else ""))
    fig = _equity_fig(xs, equity, png_title, ylabel)
    fig.savefig(png, format="png", dpi=110, bbox_inches="tight", metadata={"Software": "optbt"})
    traded = [p for p, r in zip(pnl, daily) if int(r.get("trades") or 0)]
    body = (f'<h2>Summary</h2><div class="cards">{cards}</div>'
            f"<h2>Equity curve</h2><figure>{_svg(fig)}</figure>"
            + ("<h2>Drawdown of realised PnL at each exit</h2><p>The max drawdown above is measured on daily "
               "closes; with a few days the curves step at each trade's exit, so this one can go deeper.</p>"
               if xs is not days else "<h2>Drawdown</h2>")
            + f"<figure>{_svg(_drawdown_fig(xs, dd))}</figure>"
            f"<h2>Daily PnL</h2><figure>{_svg(_histogram_fig(traded))}</figure>"
            f'<div class="grid2"><div><h2>Monthly PnL</h2><div class="wide">{_monthly_grid(days, pnl)}</div></div>'
            f"<div><h2>By weekday</h2>{_weekday_table(days, pnl, daily)}</div></div>"
            f"<h2>Trades</h2>{_kv_table(_trade_stats(trades, m))}{_trades_html(trades)}"
            f"<h2>Costs</h2>{_costs_table(trades, summary.get('costs') or {})}"
            f'<div class="grid2"><div><h2>Parameters</h2>{_kv_table(params)}</div>'
            f'<div><h2>Engine</h2>{_kv_table(summary.get("engine", {}))}'
            f'<h3>Data</h3>{_kv_table(ds)}</div></div>')
    return _page(title, subtitle, bool(ds.get("synthetic")), body), png.getvalue()


# -- a sweep ----------------------------------------------------------------------------------

def _sweep_rows(sweep_dir: Path) -> list[dict]:
    import pyarrow.parquet as pq
    path = sweep_dir / "sweep.parquet"
    if not path.exists():
        raise ConfigError(f"{sweep_dir} has sweep.json but no sweep.parquet yet: no run has finished")
    try:
        return pq.read_table(path).to_pylist()
    except Exception as exc:  # noqa: BLE001 - pyarrow's errors: a damaged file
        raise ConfigError(f"{path} cannot be read ({str(exc).splitlines()[0]}); rerun the sweep into that folder"
                          " (finished runs are kept) to write it again") from None


_SCALE = {"win_rate": 100}  # metrics charted in other units than sweep.csv holds them


def _axis_label(metric: str) -> str:
    return f"{metric} (%)" if metric in _SCALE else metric


def _heatmap_fig(rows: list[dict], x: str, y: str, metric: str, others: list[str]):
    from optbt.results.ranking import LOWER_IS_BETTER, better
    lower_better = metric in LOWER_IS_BETTER
    plt = _pyplot()
    xs = sorted({r[x] for r in rows})
    ys = sorted({r[y] for r in rows})
    cell: dict[tuple, float] = {}
    idle: set[tuple] = set()  # cells with a run that made no trade
    for r in rows:
        v = r.get(metric)
        k = (r[x], r[y])
        if _no_trades(r):
            idle.add(k)
            continue
        if v is None:
            continue
        if better(metric, v, cell.get(k)):
            cell[k] = v  # with more than two parameters: the best over the others
    nan = float("nan")
    scale = _SCALE.get(metric, 1)  # a win rate is charted in percent, as every table shows it
    grid = [[cell.get((xv, yv), nan) * scale for xv in xs] for yv in ys]
    fig, ax = plt.subplots(figsize=(min(12, 2 + 0.9 * len(xs)), min(9, 1.6 + 0.5 * len(ys))))
    cmap = plt.get_cmap("RdYlGn_r" if lower_better else "RdYlGn").with_extremes(bad="#dddddd")
    im = ax.imshow(grid, cmap=cmap, aspect="auto", origin="lower")
    ax.set_xticks(range(len(xs)), [_value(v) for v in xs], rotation=45 if len(xs) > 8 else 0)
    ax.set_yticks(range(len(ys)), [_value(v) for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    title = f"{metric} by {x} and {y}"
    if others:
        title += f" (best over {', '.join(others)})"
    ax.set_title(title)
    if len(xs) * len(ys) <= 200:
        for i, yv in enumerate(ys):
            for j, xv in enumerate(xs):
                v = cell.get((xv, yv))
                if v is not None:
                    text = win_rate_text(v) if metric == "win_rate" else whole(v) if abs(v) >= 100 else money(v)
                    ax.text(j, i, text, ha="center", va="center",
                            fontsize=7)
                elif (xv, yv) in idle:
                    ax.text(j, i, "no trades", ha="center", va="center", fontsize=7, color="#5b6573")
    fig.colorbar(im, ax=ax, label=_axis_label(metric))
    return fig


def _no_trades(row: dict) -> bool:
    """A finished run that made no trade: ranked last whatever the metric (its drawdown of 0 is
    no achievement), so a chart gives it no value either (it coloured such a cell the best)."""
    return row.get("trades") == 0


def _line_fig(rows: list[dict], x: str, metric: str):
    plt = _pyplot()
    pts = sorted((r[x], r[metric]) for r in rows if r.get(metric) is not None and not _no_trades(r))
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot([_value(p[0]) for p in pts], [p[1] * _SCALE.get(metric, 1) for p in pts], marker="o", color="#1f5fbf")
    ax.set_xlabel(x)
    ax.set_ylabel(_axis_label(metric))
    ax.set_title(f"{metric} by {x}")
    ax.grid(alpha=0.3)
    return fig


def _equity_curves(sweep_dir: Path, top: list[dict], pcols: list[str], col: dict) -> list[tuple[str, list, list]]:
    """(label, days, cumulative PnL) of the given runs, read from the sweep's log."""
    from optbt.results.runlog import read_log
    wanted = {r["run_id"]: r for r in top}
    daily = {row["run_id"]: row["daily"] for row in read_log(sweep_dir / "runs.jsonl")
             if row.get("run_id") in wanted and row.get("status") == "ok" and "daily" in row}
    days = sorted({d for rid in daily for d, _ in daily[rid]})
    if not days:
        return []
    curves = []
    for rid, r in wanted.items():
        if rid not in daily:
            continue
        by_day = dict(daily[rid])
        total, ys = 0.0, []
        for d in days:
            total += by_day.get(d, 0.0)
            ys.append(total)
        label = ", ".join(f"{p}={r[col[p]]}" for p in pcols)
        curves.append((label, [date.fromisoformat(d) for d in days], ys))
    return curves


def _curves_fig(curves: list[tuple[str, list, list]], metric: str):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 3.6))
    for label, xs, ys in curves:
        ax.plot(xs, ys, linewidth=1.2, label=label, drawstyle="steps-post" if len(xs) <= 3 else "default")
    ax.axhline(0, color="#888", linewidth=0.6)
    ax.set_ylabel("cumulative PnL")
    ax.set_title(f"the {len(curves)} best runs by {metric}")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=7)
    fig.autofmt_xdate()
    return fig


def _sweep_report(sweep_dir: Path, x: str | None, y: str | None, metric: str | None) -> tuple[str, None]:
    from optbt.results.ranking import LOWER_IS_BETTER, check_metric, param_column, rank, shown_metrics
    manifest = _read_json(sweep_dir / "sweep.json")
    rows = _sweep_rows(sweep_dir)
    metric = check_metric(metric or "total_pnl")
    names = list(manifest.get("grid", {}))
    col = {n: param_column(n) for n in manifest.get("params", names)}
    varied = [n for n in names if len(manifest["grid"][n]) > 1] or names
    for axis, value in (("--x", x), ("--y", y)):
        if value is not None and value not in names:
            raise ConfigError(f"{axis} {value!r} is not a swept parameter{did_you_mean(value, names)};"
                              f" swept: {', '.join(names)}")
    x = x or (varied[0] if varied else None)
    y = y or next((n for n in varied if n != x), None)
    ok = [r for r in rows if r["status"] == "ok"]
    # a fixed --param changed since earlier runs of the folder: the charts keep this sweep's value
    # (one line must not join runs of lots=1 and lots=2); the tables list every run with it
    fixed = dict(manifest.get("fixed") or {})
    shifted = {n: sorted({_value(r.get(col[n])) for r in ok if n in col} - {_value(v)})
               for n, v in fixed.items() if n in col}
    shifted = {n: vs for n, vs in shifted.items() if vs}
    charted = [r for r in ok if all(_value(r.get(col[n])) == _value(fixed[n]) for n in shifted)]
    note = "".join(f"<p>Charts show the runs with {_e(n)} = {_e(fixed[n])} (this sweep's); the folder also holds "
                   f"runs with {_e(n)} = {_e(', '.join(vs))}, listed in the tables.</p>" for n, vs in shifted.items())
    idle = sum(1 for r in charted if _no_trades(r))
    if idle:
        note += (f"<p>{_count(idle, 'run')} made no trade: no value in the chart (such a run ranks last, its"
                 " drawdown of 0 is no achievement); the tables list {}.</p>".format("it" if idle == 1 else "them"))
    if not any(r.get(metric) is not None and not _no_trades(r) for r in charted):
        chart = f"<h2>Heatmap</h2><p>No finished run with trades has a value for {_e(metric)}; nothing to chart.</p>"
    elif x is not None and y is not None and x != y:
        others = [n for n in names if n not in (x, y)]
        plot = _svg(_heatmap_fig(charted, col[x], col[y], metric, others))
        chart = f"<h2>Heatmap</h2><figure>{plot}</figure>"
    elif x is not None:
        chart = f"<h2>Heatmap</h2><p>One parameter swept: {metric} by {_e(x)}.</p>" \
                f"<figure>{_svg(_line_fig(charted, col[x], metric))}</figure>"
    else:
        chart = "<h2>Heatmap</h2><p>No parameters were swept.</p>"
    pcols = list(col)
    shown = shown_metrics(metric)

    def table(rs: list[dict], with_rank: bool) -> str:
        head = ("<th>#</th>" if with_rank else "") + "".join(f'<th class="l">{_e(p)}</th>' for p in pcols) + \
            "".join(f"<th>{m}</th>" for m in shown)
        body = []
        for n, r in enumerate(rs, 1):
            cells = (f"<td>{n}</td>" if with_rank else "") + \
                "".join(f'<td class="l">{_e(_value(r[col[p]]))}</td>' for p in pcols) + \
                "".join(_signed(r[m]) if m == "total_pnl" else f"<td>{_e(metric_text(m, r[m]))}</td>" for m in shown)
            body.append(f"<tr>{cells}</tr>")
        return f'<div class="scroll"><table><tr>{head}</tr>{"".join(body)}</table></div>'
    failed = [r for r in rows if r["status"] != "ok"]
    fail_html = ("<p>None.</p>" if not failed else
                 "<table><tr>" + "".join(f'<th class="l">{_e(p)}</th>' for p in pcols) +
                 '<th class="l">error</th></tr>' + "".join(
                     "<tr>" + "".join(f'<td class="l">{_e(_value(r[col[p]]))}</td>' for p in pcols) +
                     f'<td class="l">{_e(r["error"])}</td></tr>' for r in failed) + "</table>")
    total = len(manifest.get("runs", []))
    strategy = Path(str(manifest.get("strategy", "sweep")).rpartition(":")[2] or "sweep").name
    title = f"Sweep of {strategy} on {manifest.get('dataset', 'dataset')}"
    subtitle = (f"{len(ok)} of {total} runs finished, {len(failed)} failed; ranked by {metric}"
                f"{' (lower is better)' if metric in LOWER_IS_BETTER else ''}")
    grid = {k: ", ".join(_value(v) for v in vs) for k, vs in manifest.get("grid", {}).items()}
    engine = {k: manifest.get(k) for k in ("executor", "data", "start", "end")}
    engine["costs"] = json.dumps(manifest["costs"]) if manifest.get("costs") else "as the dataset sets them"
    fixed_text = {n: _value(v) + (f" (earlier runs here: {', '.join(shifted[n])})" if n in shifted else "")
                  for n, v in fixed.items()}
    ranked = rank(rows, metric)
    curves = _equity_curves(sweep_dir, ranked[:TOP_EQUITY], pcols, col)
    equity_html = (f"<h2>Equity of the top runs</h2><figure>{_svg(_curves_fig(curves, metric))}</figure>"
                   if curves else "")
    body = (f"{note}{chart}{equity_html}<h2>Top runs</h2>{table(ranked[:20], True)}"
            f"<h2>Failed runs</h2>{fail_html}"
            f'<div class="grid2"><div><h2>Parameters</h2>{_kv_table(grid | fixed_text)}</div>'
            f'<div><h2>Engine</h2>{_kv_table(engine)}</div></div>'
            f"<h2>All runs</h2>{table(rows, False)}")
    return _page(title, subtitle, bool(manifest.get("synthetic")), body), None


def write_report(run_dir: str | Path, out: str | Path | None = None, x: str | None = None,
                 y: str | None = None, metric: str | None = None, capital: float | None = None) -> Path:
    """Write ``report.html`` (and ``equity.png`` for a run) into ``run_dir``; return the HTML path.

    ``capital`` (default: the ``capital`` summary.json recorded, ``optbt run --capital``) adds
    return and max drawdown as percentages of it.
    """
    run_dir = Path(run_dir)
    if capital is not None and (not isinstance(capital, (int, float)) or not capital > 0):
        raise ConfigError(f"capital must be an amount above 0, got {capital!r}")
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir} is not a folder: pass the --out folder of optbt run or optbt sweep")
    if (run_dir / "sweep.json").exists():
        if capital is not None:
            raise ConfigError("--capital applies to a run folder (optbt run --out); this is a sweep")
        page, png = _sweep_report(run_dir, x, y, metric)
    elif (run_dir / "summary.json").exists():
        if x or y or metric:
            raise ConfigError("--x, --y and --metric apply to a sweep folder; this is a single run")
        page, png = _run_report(run_dir, capital)
    else:
        raise ConfigError(f"{run_dir} holds neither summary.json (written by optbt run) nor sweep.json"
                          " (written by optbt sweep)")
    target = Path(out) if out else run_dir / "report.html"
    check_report_target(target, run_dir)
    _replace_file(target, page.encode("utf-8"))
    if png is not None:
        _replace_file(target.parent / "equity.png", png)
    return target


def check_report_target(target: Path, run_dir: Path) -> None:
    """Refuse to write the report of ``run_dir`` into another results folder: beside that
    folder's trades (or sweep table) the page, and a run's ``equity.png``, would be read as its
    own, and would replace the ones it has."""
    folder = Path(os.path.abspath(target)).parent
    if folder == Path(os.path.abspath(run_dir)):
        return
    held = next((n for n in ("summary.json", "sweep.json") if (folder / n).is_file()), None)
    if held:
        raise ConfigError(f"cannot write the report of {run_dir} to {target}: {folder} holds other results"
                          f" ({held}), beside which it would pass for theirs; write it into {run_dir}"
                          " (no --out) or outside any results folder")


def _replace_file(path: Path, data: bytes) -> None:
    """Write beside and rename over: a reader never sees half a report. A place that cannot
    take it is a one-line ConfigError, never a traceback."""
    if path.is_dir():
        raise ConfigError(f"cannot write the report to {path}: it is a folder; give a file name (report.html)")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot write the report to {path}: {(exc.strerror or type(exc).__name__).lower()}"
                          f" (in {path.parent}); choose another --out") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

