"""``optbt run``: one backtest from the command line, with progress and a summary table."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from optbt.model.errors import ConfigError, StrategyError

if TYPE_CHECKING:
    from optbt.results.result import BacktestResult

# options that run and sweep share, declared once so their names and help stay the same
DATA_OPTION = typer.Option(None, "--data", help="dataset folder or dataset.toml (default: the embedded sample)")
DATA_ROOT_OPTION = typer.Option(None, "--data-root", help="folder the config's relative paths resolve against")
START_OPTION = typer.Option(None, "--start", help="first day, YYYY-MM-DD")
END_OPTION = typer.Option(None, "--end", help="last day, YYYY-MM-DD")
SLIPPAGE_OPTION = typer.Option(None, "--slippage", help="slippage per fill, in points (or percent with --slippage-pct)")
SLIPPAGE_PCT_OPTION = typer.Option(False, "--slippage-pct", help="read --slippage as a percent of price")
COMMISSION_OPTION = typer.Option(None, "--commission", help="commission per lot per order")
COSTS_OPTION = typer.Option(None, "--costs", help="a broker's charges per order: nse, us, or a .toml schedule "
                            "(brokerage, STT, exchange, SEBI, stamp, GST, fees columns in trades.csv)")
QUIET_OPTION = typer.Option(False, "--quiet", "-q", help="no progress bar")
CAPITAL_OPTION = typer.Option(None, "--capital", min=0.01,
                              help="capital deployed: return and max drawdown as a percentage of it "
                                   "(summary and report)")


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``["sl_pct=30", "entry_time=09:20"]`` -> dict; a malformed pair is a ConfigError.

    >>> parse_params(["sl_pct=30", "entry_time=09:20"])
    {'sl_pct': '30', 'entry_time': '09:20'}
    """
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"--param takes name=value, got {pair!r} (for example --param sl_pct=30)")
        if name in out:
            raise ConfigError(f"--param {name} given twice")
        out[name] = value.strip()
    return out


def resolve_data(data: str | None, data_root: str | None):
    """The dataset config for ``--data`` (folder or .toml), or the embedded sample."""
    from optbt.data.dataset import load_dataset
    if data is None:
        if data_root:
            raise ConfigError("--data-root needs --data (the config whose paths it anchors)")
        from optbt.data.sample import default_dataset
        return load_dataset(default_dataset())
    return load_dataset(data, data_root)


def cost_overrides(config, slippage: float | None, slippage_pct: bool, commission: float | None,
                   preset: str | None = None):
    """The command line's cost settings (only those given), or None when none are given.

    They override the strategy's (a .strat ``costs`` section), which override the dataset's
    (optbt.engine.costing); a preset is checked here, before the run.
    """
    from optbt.engine.costing import checked_preset, partial_costs
    given: dict = {}
    if slippage is not None:
        given.update(slippage=slippage, slippage_unit="percent" if slippage_pct else "points")
    if commission is not None:
        given["commission_per_lot"] = commission
    if preset is not None:
        given["preset"] = checked_preset(preset)
    return partial_costs(given, "--costs") if given else None


def print_dataset(console: Console, config) -> None:
    if config.synthetic:
        console.print(f"[yellow]data: {config.name} — SYNTHETIC, not market data[/yellow] ({config.root})")
    else:
        console.print(f"data: {config.name} ({config.root})")


def format_value(v) -> str:
    """A metric or parameter for a terminal table: '-' for none, thousands separators; an amount
    to 2 decimals from its 4-decimal figure (summary.json's), as the report shows it.

    >>> format_value(None), format_value(1234.5), format_value(42), format_value("15:15")
    ('-', '1,234.50', '42', '15:15')
    >>> format_value(749.9949998)   # summary.json: 749.995
    '750.00'
    """
    if v is None:
        return "-"
    if isinstance(v, float):
        from optbt.results.metrics import money
        return money(v)
    return f"{v:,}" if isinstance(v, int) else str(v)


def summary_table(result: BacktestResult) -> Table:
    from optbt.results.metrics import drawdown_text, metric_text, money, percent
    m, e = result.metrics, result.engine
    title = f"{result.strategy} on {result.dataset['name']}"
    if result.dataset.get("synthetic"):
        title += "  [yellow](SYNTHETIC data)[/yellow]"
    t = Table(title=title, show_header=False)
    t.add_column("metric", style="bold")
    t.add_column("value", justify="right")
    for key in ("total_pnl", "trades", "win_rate", "avg_win", "avg_loss", "profit_factor",
                "max_drawdown", "sharpe", "max_consecutive_losses", "days", "days_traded"):
        t.add_row(key, metric_text(key, m.get(key)))
        if key == "max_drawdown":
            t.add_row("drawdown dates", drawdown_text(m, with_days=False) or "-")
            t.add_row("drawdown days", metric_text("max_drawdown_days", m.get("max_drawdown_days")))
    if result.capital:
        pct = result.on_capital()
        for label, key in (("return on capital", "return_pct"), ("max drawdown on capital", "max_drawdown_pct")):
            value = pct[key]
            t.add_row(label, "-" if value is None else f"{percent(value)} of {money(result.capital)}")
    if any(result.costs.get(k) for k in ("slippage", "commission_per_lot", "commission_per_order", "preset")):
        t.add_row("costs charged", format_value(sum(tr.costs for tr in result.trades))
                  + (f" ({result.costs['preset']})" if result.costs.get("preset") else ""))
    t.add_row("engine", f"{e['days']} day{'' if e['days'] == 1 else 's'}, {e['ticks']:,} ticks, {e['queries']} queries, "
                        f"{e['instruments_fetched']} instruments, {e['seconds']:.2f} s")
    return t


def trace_days(values: list[str]) -> list:
    """``--trace`` values as dates; a malformed one is a ConfigError naming it."""
    from datetime import date
    out = []
    for v in values:
        try:
            out.append(date.fromisoformat(v.strip()))
        except ValueError:
            raise ConfigError(f"--trace takes a day like 2024-01-02, got {v!r}") from None
    return out


@contextmanager
def day_progress(console: Console, name: str, shown: bool):
    """The run's progress bar (days done of days, the day, time left) as ``progress(done, total,
    day)``; nothing when not ``shown`` (``--quiet``, output not a terminal), where rich's progress
    module is not even imported (a few ms of every scripted run's start)."""
    if not shown:
        yield lambda done, total, day: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[day]}"), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(name, total=None, day="")

        def progress(done: int, total: int, day) -> None:
            bar.update(task, completed=done, total=total, day=str(day))
        yield progress


def print_warnings(console: Console, result: BacktestResult) -> None:
    """One line per skip reason (count and first days), then why the result is empty, if it is,
    then the notes on the data's layout (right but slow)."""
    from optbt.results.explain import (data_notes, data_warnings, empty_causes, left_out_warnings, param_warnings,
                                       skip_warnings, time_warnings)
    for line in (param_warnings(result) + data_warnings(result) + skip_warnings(result) + left_out_warnings(result)
                 + time_warnings(result)):
        console.print("warning: " + line, style="yellow", markup=False, highlight=False)
    for line in empty_causes(result):
        console.print(line, style="yellow", markup=False, highlight=False)
    for line in data_notes(result):
        console.print("note: " + line, style="cyan", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        strategy: str = typer.Argument(..., help="path/to/file.py:ClassName or path/to/file.strat"),
        data: str = DATA_OPTION,
        data_root: str = DATA_ROOT_OPTION,
        start: str = START_OPTION,
        end: str = END_OPTION,
        param: list[str] = typer.Option([], "--param", "-p", help="parameter override name=value (repeatable)"),
        out: Path = typer.Option(None, "--out", help="where to write trades/daily/summary (default runs/<strategy>)"),
        slippage: float = SLIPPAGE_OPTION,
        slippage_pct: bool = SLIPPAGE_PCT_OPTION,
        commission: float = COMMISSION_OPTION,
        costs_preset: str = COSTS_OPTION,
        report: bool = typer.Option(False, "--report", help="also write report.html into the output folder"),
        capital: float = CAPITAL_OPTION,
        quiet: bool = QUIET_OPTION,
        strict: bool = typer.Option(False, "--strict",
                                    help="exit 1 when any day was skipped (results are still written)"),
        trace: list[str] = typer.Option([], "--trace", help="record every decision of this day (YYYY-MM-DD, "
                                         "repeatable): trace.jsonl in --out and a timeline here"),
        verbose: bool = typer.Option(False, "--verbose", help="on a failure inside a compiled .strat "
                                     "strategy, also show the generated Python line"),
    ) -> None:
        """Run a backtest and print its summary; trades and metrics go to --out.

        Example: optbt run strategies_dsl/straddle_920.strat --start 2024-01-01 --end 2024-01-31 --param sl_pct=25
        """
        from optbt.cli.terminate import sigterm_as_ctrl_c
        with sigterm_as_ctrl_c():  # kill, like Ctrl-C: nothing written, "terminated", exit 143
            from optbt.dsl.loader import load_strategy
            from optbt.engine.loop import run_backtest
            from optbt.results.folder import check_out

            console = Console(emoji=False)  # ':x:' in a name is text (and the emoji table stays unloaded)
            params = parse_params(param)
            cls = load_strategy(strategy)
            out = check_out(out or Path("runs") / cls.__name__)  # a bad --out fails before the run, not after
            config = resolve_data(data, data_root)
            costs = cost_overrides(config, slippage, slippage_pct, commission, costs_preset)
            print_dataset(console, config)
            with day_progress(console, cls.__name__, shown=not quiet and console.is_terminal) as progress:
                try:
                    result = run_backtest(cls, data=config, start=start, end=end, params=params,
                                          costs=costs, progress=progress, trace=trace_days(trace))
                except StrategyError as exc:
                    detail = getattr(exc, "detail", "")
                    if verbose and detail:
                        raise StrategyError(f"{exc}\n  {detail}") from None
                    raise
            result.capital = capital
            also = []
            if trace:  # trace.jsonl and the report go into the same temporary folder as the trades
                from optbt.results.trace import write_trace
                also.append(lambda folder: write_trace(folder, result.trace))
            if report:
                from optbt.results.report import write_report
                also.append(write_report)
            out_dir = result.write(out, also=also)
            console.print(summary_table(result))
            written = "trades.csv, trades.parquet, daily.csv, summary.json"
            if trace:
                from optbt.results.trace import timeline
                written += ", trace.jsonl"
                for line in timeline(result.trace):
                    console.print(line, markup=False, highlight=False, soft_wrap=True)
            console.print(f"wrote {out_dir}/{written}")
            if report:
                console.print(f"report: {out_dir / 'report.html'} (equity curve: {out_dir / 'equity.png'})")
            print_warnings(console, result)
            if strict and result.skips():
                console.print("[red]--strict: days were skipped (listed above); exit 1[/red]")
                raise typer.Exit(1)
