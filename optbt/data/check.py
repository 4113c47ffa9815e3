"""``optbt data check``: find what is wrong with a dataset before a backtest trusts it.

"Corrupt data is worse than no data": every finding names the actual file it was found in
(the first one, in path order), a sample row and how many rows (or days) are affected.
Errors (exit 1) make a backtest wrong or make the run refuse; warnings are the normal
awkwardness of real data that the engine handles (crossed or empty quotes, identical
duplicates, gaps, prints outside the session) and are reported so that a user knows.
Notes change nothing a run gives: they say how to make runs faster (rows kept in time order).

What a price may be is decided by :mod:`optbt.model.prices`, the same rule a run uses.
Unsorted rows are not a finding: the engine sorts what it reads.

Speed: the option files are read in a few aggregate queries (one per block of days, for the
progress bar and for memory: CHUNK_DAYS days, CHUNK_ROWS rows), never one query per day or per
check. Distinct minutes and clock ticks per instrument and day are counted with bitmaps
(``bitstring_agg`` over the minute of the day, and over the run's clock tick a bar belongs
to), which is what keeps duplicate and gap detection a single pass on minute bars; times off
the minute (ticks) are told apart exactly, a block at a time. The exact duplicate query runs
again only on the instruments and days whose (instrument, time) keys repeat, a block at a
time; the spot's and a series' by blocks of CHUNK_ROWS rows (:func:`.check_duplicates.repeats`).

This module runs the checks in order (:func:`check_dataset`) and turns a dataset that cannot be
opened into a finding; the checks live in their own modules, each one kind of finding:
:mod:`.check_report` (the report), :mod:`.check_core` (the checker and the SQL every check
shares), :mod:`.check_files` (types, empty files, misplaced rows, start-labelled ticks, row
order), :mod:`.check_options` (the option rows' tallies), :mod:`.check_duplicates`,
:mod:`.check_stale` (forward-filled bars), :mod:`.check_price_scale` (a day's premiums in another
unit), :mod:`.check_days` (the spot, the series and the
days a run visits; runs of repeated spot and series bars: :mod:`.check_repeated_bars`), and
:mod:`.check_expiry_times` (naive expiries or dates that look like a midnight written in UTC).
"""

from __future__ import annotations

import os

from optbt.data import (check_days, check_duplicates, check_expiry_times, check_files, check_labels, check_options,
                        check_price_scale, check_stale, check_zones, date_midnights)
from optbt.data.check_core import Progress, file_chunks
from optbt.data.check_core import Checker as _Checker
from optbt.data.check_report import CheckReport, Finding
from optbt.data.check_where import QueryFailed, listed_files, named_path
from optbt.data.dataset import DatasetConfig
from optbt.data.source import FolderDisagreesError, MixedTimezonesError, UnreadableFileError, WrongTypeError
from optbt.data.zoned_dates import MIDNIGHT_IN_UTC, NAIVE_UTC
from optbt.model.errors import ConfigError, DataError

__all__ = ["CheckReport", "Finding", "check_dataset"]


def _opening_failed(config: DatasetConfig, text: str, config_path: str | None) -> str:
    """The file a table's refusal to open is about: the file (or folder) its message names,
    else the first file of the table it names (options, spot, series.NAME), else (no file
    found at all) the dataset config that holds the paths."""
    tables = {"spot": config.spot, **{f"series.{n}": f for n, f in config.series.items()}}
    files = next((t for name, t in tables.items() if text.startswith(f"{name}:")), config.options)
    listed = listed_files(config.paths(files))
    if config_path is None:
        config_path = os.path.join(config.root or ".", "dataset.toml")
        config_path = config_path if os.path.exists(config_path) else (config.root or ".")
    return named_path(text, listed) or (listed[0] if listed else config_path)


def _folder_disagrees(exc: FolderDisagreesError) -> Finding:
    """A table refused because files store a hive key with another value than their folder's:
    an error naming the first such file, counting the files."""
    return Finding("error", "column_disagrees_with_folder", exc.file, exc.count, str(exc))


def check_dataset(config: DatasetConfig, progress: Progress | None = None,
                  config_path: str | None = None) -> CheckReport:
    """Run every check. ``progress(done, total, label)`` is called after each step.

    Files that cannot be opened or read become an error finding (never an exception), so a
    caller can always print a report. ``config_path``: the dataset.toml, named by a finding
    when no file of the dataset can be (by default the one in ``config.root``).
    """
    from optbt.data.duckdb_source import DuckDBSource

    report = CheckReport(config.name)
    add = report.findings.append
    try:
        src = DuckDBSource(config)
    except MixedTimezonesError as exc:
        add(Finding("error", "mixed_timezones", exc.aware, 1, str(exc),
                    {"tz_aware_file": exc.aware, "naive_file": exc.naive}))
        return report
    except UnreadableFileError as exc:
        add(Finding("error", "unreadable_file", exc.file, 1, str(exc)))
        return report
    except FolderDisagreesError as exc:
        add(_folder_disagrees(exc))
        return report
    except WrongTypeError as exc:
        add(Finding("error", "wrong_type", exc.file, 1, str(exc)))
        return report
    except DataError as exc:
        text = str(exc)
        check = ("missing_column" if "column" in text else "timezone" if "time zone" in text
                 else "unreadable_file" if "cannot read" in text else "files")
        add(Finding("error", check, _opening_failed(config, text, config_path), 1, text))
        return report
    try:
        checker = _Checker(config, src, report, progress)
        if not check_files.types(checker):
            return report
        check_files.empty_files(checker)
        check_zones.looks_like_utc(checker)
        check_zones.looks_shifted(checker)
        date_midnights.check_table(checker, "spot", src.spot)
        date_midnights.check_table(checker, "options", src.options)
        for what, table, field, label in (("options", src.options, "expiry", "expiries"),
                                          ("options", src.options, "date", "dates"), ("spot", src.spot, "date", "dates")):
            check_expiry_times.utc_written_times(checker, what, table, field, label)
        check_labels.bars_look_start_labelled(checker)
        check_files.start_labelled_rows(checker, config.options, src.options, src._opt_known)
        check_files.start_labelled_rows(checker, config.spot, src.spot, src._spot_known)
        chunks = file_chunks(src.options, checker.file_rows(src.options))
        total = len(chunks) + 2
        tallies = check_options.options(checker, chunks, 0, total)
        # the tally counted the options' misplaced rows by day: only those days' files are read again
        check_files.misplaced_rows(checker, src.options,
                                   [f for d in tallies["misplaced_days"] for f in src.options.files_for(d)])
        check_files.misplaced_rows(checker, src.spot, src.spot.all_files)
        check_options.left_out(checker, tallies)
        check_options.option_findings(checker, tallies)
        check_duplicates.option_duplicates(checker, tallies)
        check_stale.forward_filled(checker, chunks)
        check_price_scale.premiums_of_another_scale(checker, chunks)
        checker.step(len(chunks) + 1, total, "duplicates")
        check_files.row_order(checker)
        check_files.unread_quotes(checker)
        spot_days = check_days.spot(checker)
        check_days.days(checker, tallies["days"], spot_days, tallies["any_days"])
        check_days.strike_scale(checker, tallies["days"], spot_days)
        checker.step(total, total, "spot")
        for name in config.series:  # each series on its own: one broken file does not hide the others' findings
            try:
                check_days.series_days(checker, name, check_days.series(checker, name), spot_days)
            except FolderDisagreesError as exc:
                add(_folder_disagrees(exc))
            except WrongTypeError as exc:
                add(Finding("error", "wrong_type", exc.file, 1, str(exc)))
            except QueryFailed as exc:  # a row refused while read: filed as the options' and spot's are
                text = str(exc) if str(exc).startswith(f"series.{name}") else f"series.{name}: {exc}"
                where = exc.file or _opening_failed(config, text, config_path)
                add(Finding("error", _refused_as(text), where, 1, text))
            except (DataError, ConfigError) as exc:
                text = str(exc) if str(exc).startswith(f"series.{name}") else f"series.{name}: {exc}"
                where = getattr(exc, "file", None) or _opening_failed(config, text, config_path)
                add(Finding("error", "missing_column" if "column" in text else "unreadable_file", where, 1, text))
    except DataError as exc:
        where = getattr(exc, "file", None) or named_path(str(exc), src.options.all_files + src.spot.all_files)
        add(Finding("error", _refused_as(str(exc)), where or src.options.all_files[0], 1, str(exc)))
    finally:
        src.close()
    order = {"error": 0, "warning": 1, "note": 2}
    report.findings.sort(key=lambda f: order.get(f.level, 2))
    return report


def _refused_as(text: str) -> str:
    """The check of a row a query refused while the files were read: a date or expiry written as
    a UTC midnight is a time-zone finding (its fix is the zone's, docs/data.md "Time zones"),
    anything else a file that cannot be read as described."""
    return "timezone" if MIDNIGHT_IN_UTC in text or NAIVE_UTC in text else "unreadable_file"
