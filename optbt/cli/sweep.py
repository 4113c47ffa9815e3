"""``optbt sweep``: a strategy over a parameter grid, with progress, resume and a top-runs table."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from optbt.cli.run import (
    COMMISSION_OPTION,
    COSTS_OPTION,
    DATA_OPTION,
    DATA_ROOT_OPTION,
    END_OPTION,
    QUIET_OPTION,
    SLIPPAGE_OPTION,
    SLIPPAGE_PCT_OPTION,
    START_OPTION,
    cost_overrides,
    parse_params,
    print_dataset,
    resolve_data,
)
from optbt.data.memo import DEFAULT_BUDGET_MB
from optbt.results.metrics import metric_text, plain_number
from optbt.results.ranking import LOWER_IS_BETTER, METRICS, check_metric, param_column, rank, shown_metrics


def format_param(v) -> str:
    """A parameter as it was run, every digit kept (sweep.csv's value): not an amount to 2 decimals,
    which showed a 12.625 % stop as 12.62.

    >>> format_param(12.625), format_param(40.0), format_param("15:15"), format_param(None), format_param(1e-05)
    ('12.625', '40', '15:15', '-', '0.00001')
    """
    if v is None:
        return "-"
    if isinstance(v, float):
        text = plain_number(v)  # 0.00001, not 1e-05
        return text[:-2] if text.endswith(".0") else text
    return str(v)


def top_table(rows: list[dict], names: list[str], metric: str, top: int) -> Table:
    """The best ``top`` finished runs by ``metric``; besides the grid's parameters, any other
    that differs between the rows (a fixed --param changed since earlier runs in the folder)."""
    held = [json.loads(r["params_json"]) for r in rows if r.get("params_json")]
    others = sorted({k for p in held for k in p} - set(names))
    names = names + [k for k in others if len({json.dumps(p.get(k), default=str) for p in held}) > 1]
    t = Table(title=f"top {top} runs by {metric}" + (" (lower is better)" if metric in LOWER_IS_BETTER else ""))
    t.add_column("#", justify="right")
    for name in names:
        t.add_column(name, style="cyan")
    shown = shown_metrics(metric)
    for m in shown:
        t.add_column(m, justify="right", style="bold" if m == metric else None)
    for n, row in enumerate(rank(rows, metric)[:top], 1):
        params = json.loads(row.get("params_json") or "{}")
        t.add_row(str(n), *(format_param(row.get(param_column(c), params.get(c))) for c in names),
                  *(metric_text(m, row[m]) for m in shown))
    return t


def register(app: typer.Typer) -> None:
    @app.command("sweep")
    def sweep(
        strategy: str = typer.Argument(..., help="path/to/file.py:ClassName or path/to/file.strat"),
        grid: list[str] = typer.Option([], "--grid", "-g", help="name=v1,v2,... or name=start:stop:step "
                                       "(numbers) or name=09:20..10:00/5 (times, step in minutes); repeatable."
                                       " Default: the ranges the strategy declares"),
        param: list[str] = typer.Option([], "--param", "-p", help="fixed parameter name=value for every run"),
        data: str = DATA_OPTION,
        data_root: str = DATA_ROOT_OPTION,
        start: str = START_OPTION,
        end: str = END_OPTION,
        workers: int = typer.Option(None, "--workers", "-w", help="parallel workers (default: one per core)"),
        executor: str = typer.Option("process", "--executor", "-e",
                                     help="process | serial | dask (LocalCluster on 127.0.0.1) | dask://HOST:PORT"),
        out: Path = typer.Option(None, "--out", help="output folder (default sweeps/<strategy>); rerun to resume"),
        metric: str = typer.Option("total_pnl", "--metric", "-m", help=f"rank runs by: {', '.join(METRICS)}"),
        top: int = typer.Option(10, "--top", min=1, help="how many runs the final table shows"),
        restart: bool = typer.Option(False, "--restart", help="discard the runs already in --out and start over"),
        duckdb_threads: int = typer.Option(None, "--duckdb-threads", help="DuckDB threads per worker (default:"
                                           " cores / workers; 2 for serial)"),
        memo_mb: float = typer.Option(DEFAULT_BUDGET_MB, "--memo-mb", help="MB of data each worker keeps between"
                                      " runs, so later runs read less (0: read everything every run)"),
        shared_cache: bool = typer.Option(True, "--shared-cache/--no-shared-cache",
                                          help="workers first split the reading of the days between them into"
                                          " OUT/cache (with the memo on and 2+ workers); off: each reads all"),
        slippage: float = SLIPPAGE_OPTION,
        slippage_pct: bool = SLIPPAGE_PCT_OPTION,
        commission: float = COMMISSION_OPTION,
        costs_preset: str = COSTS_OPTION,
        report: bool = typer.Option(False, "--report", help="also write report.html (heatmap, top runs)"),
        quiet: bool = QUIET_OPTION,
    ) -> None:
        """Run a strategy over a grid of parameters; results stream to OUT/sweep.parquet and .csv.

        Example: optbt sweep strategies_dsl/straddle_920.strat --grid sl_pct=20:50:10 --grid exit_time=15:00,15:15
        """
        from optbt.cli.terminate import sigterm_as_ctrl_c
        with sigterm_as_ctrl_c():  # kill, like Ctrl-C: workers stopped, finished runs kept, "terminated", exit 143
            from optbt.dsl.loader import load_strategy
            from optbt.sweeps.executors import check_executor, prepare_executor
            from optbt.sweeps.grid import default_grid, grid_size, parse_fixed, parse_grid
            from optbt.sweeps.run import run_sweep

            console = Console()
            check_metric(metric)
            check_executor(executor)
            prepare_executor(executor)  # Dask's worker server starts importing while the strategy compiles
            if workers is None:
                workers = 1 if executor == "serial" else max(1, os.cpu_count() or 1)
            cls = load_strategy(strategy)
            values = parse_grid(grid, cls) if grid else default_grid(cls)
            fixed = parse_fixed(parse_params(param), cls, values)
            config = resolve_data(data, data_root)
            costs = cost_overrides(config, slippage, slippage_pct, commission, costs_preset)
            out_dir = out or Path("sweeps") / cls.__name__
            total = grid_size(values)
            print_dataset(console, config)
            console.print(f"sweep: {cls.__name__}, {total} runs over "
                          + ", ".join(f"{k} ({len(v)})" for k, v in values.items()) + f" -> {out_dir}")

            best: dict = {"value": None, "params": None, "row": None}
            failed = [0]
            # imported here: every command's module is imported when optbt starts (cli/app.py)
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)
            progress = Progress(TextColumn("[bold]runs"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[best]}"),
                                console=console, disable=quiet or not console.is_terminal, transient=False)
            task = progress.add_task("runs", total=total, best="")

            def note_best(row: dict) -> None:
                # ranked as the final table is: a run without trades is never the best (its drawdown
                # of 0 showed as the best while the table put it last)
                flat = {"status": "ok", "run": 0, **(row.get("metrics") or {})}
                if best["row"] is None or rank([best["row"], flat], metric)[0] is flat:
                    best.update(value=flat.get(metric), params=row["params"], row=flat)

            left_out: dict[str, int] = {}  # the runs read the same days: the most any run counted
            hints: dict[str, None] = {}  # what the data looked like (the same for every run): said once
            notes: dict[str, None] = {}  # what is right but slow in the data's layout: said once

            def note_warnings(row: dict) -> None:
                """What a run's engine warned of, kept for the end (a run reused from an earlier
                sweep of the folder counts too: resumed, the sweep said none of its warnings)."""
                engine = row.get("engine") or {}
                for why, n in engine.get("contracts_left_out", {}).items():
                    left_out[why] = max(n, left_out.get(why, 0))
                hints.update(dict.fromkeys(engine.get("data_hints", [])))
                # a staggered leg or exit time the session never reaches (a parameter's value: per run)
                hints.update(dict.fromkeys(engine.get("time_warnings", [])))
                # a stop or target a run's parameter value keeps from ever firing (--grid tp_pct=80,100)
                hints.update(dict.fromkeys(engine.get("param_warnings", [])))
                notes.update(dict.fromkeys(engine.get("data_notes", [])))  # right but slow: the layout

            def on_start(todo: int, skipped: int, where: str, earlier: list[dict]) -> None:
                for row in earlier:
                    note_best(row)
                    note_warnings(row)
                console.print(f"executor: {where}")
                progress.update(task, completed=skipped, total=total)
                progress.start()

            def on_result(row: dict) -> None:
                note_warnings(row)
                if row["status"] != "ok":
                    failed[0] += 1
                    console.print(f"[red]run {row['params']} failed:[/red] {row['error']}", highlight=False)
                else:
                    note_best(row)
                shown_params = " ".join(f"{k}={format_param(v)}" for k, v in best["params"].items())
                text = (f"best {metric} {metric_text(metric, best['value'])} ({shown_params})"
                        if best["params"] else "")
                progress.update(task, advance=1, best=text + (f"  [red]{failed[0]} failed[/red]" if failed[0] else ""))

            try:
                outcome = run_sweep(str(strategy), values, config, out_dir, executor=executor, workers=workers,
                                    fixed=fixed, start=start, end=end, costs=costs, restart=restart, memo_mb=memo_mb,
                                    duckdb_threads=duckdb_threads, shared_cache=shared_cache,
                                    on_start=on_start, on_result=on_result,
                                    on_note=lambda text: console.print(text, highlight=False, soft_wrap=True))
            except KeyboardInterrupt:  # the command line says "interrupted" and exits 130
                progress.stop()
                console.print(f"finished runs are kept in {out_dir}; run the same command again to resume")
                raise
            finally:
                progress.stop()
            rows = outcome.rows
            if any(r["status"] == "ok" for r in rows):
                console.print(top_table(rows, list(values), metric, top))
                best_row = rank(rows, metric)[0]  # may be an earlier run outside this grid: its own parameters
                best_params = json.loads(best_row["params_json"])
                args = [f"--param {shlex.quote(f'{k}={v}')}" for k, v in best_params.items()]
                for flag, value in (("--data", data), ("--data-root", data_root), ("--start", start), ("--end", end),
                                    ("--slippage", slippage), ("--commission", commission), ("--costs", costs_preset)):
                    if value is not None:
                        args.append(f"{flag} {shlex.quote(str(value))}")
                if slippage_pct:
                    args.append("--slippage-pct")
                console.print(f"best run again, with its trades: optbt run {shlex.quote(str(strategy))} "
                              + " ".join(args), highlight=False, soft_wrap=True)
            from optbt.results.explain import left_out_lines
            for line in [*hints, *left_out_lines(left_out)]:
                console.print("warning: " + line, style="yellow", markup=False, highlight=False, soft_wrap=True)
            for line in notes:
                console.print("note: " + line, style="cyan", markup=False, highlight=False, soft_wrap=True)
            bad = outcome.failed
            if bad:
                console.print(f"[red]{len(bad)} of {len(rows)} runs failed[/red] (errors in the 'error' column);"
                              " they are tried again when you rerun the command")
            console.print(f"ran {len(outcome.executed)}, reused {outcome.skipped}; "
                          f"full table: {out_dir}/sweep.csv and sweep.parquet")
            if report:
                from optbt.results.report import write_report
                console.print(f"report: {write_report(out_dir, metric=metric)}")
            if rows and len(bad) == len(rows):
                raise typer.Exit(1)
