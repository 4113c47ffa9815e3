"""Column formats and layouts vendors ship, read right or refused with the fix.

Found by an audit that wrote one tiny day in the shapes real vendors use (other column names,
other types, two underlyings in a file, date and time apart) and compared each run with fills
computed by hand. The day: NIFTY spot 21010, the 2024-01-04 weekly at strike 21000, minute
bars labelled at their end; a bar's close says its minute: CE = 100 + k, PE = 1000 + k, k
minutes after 09:15. ``At0920`` sells the ATM call at 09:20 and buys it back at 09:25, so a
right read fills 105 -> 110. BANKNIFTY rows, where a test has them, are strike 48000 (spot
48010) priced 5000 higher.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt import run_backtest
from optbt.data.check import check_dataset
from optbt.data.dataset import load_dataset
from optbt.model.errors import ConfigError, DataError
from tests.kit import At0920

DAY, EXP = date(2024, 1, 2), date(2024, 1, 4)
RIGHT = [("09:20", 105.0, 110.0)]


def minute(k: int) -> datetime:
    return datetime.combine(DAY, time(9, 15)) + timedelta(minutes=k)


def options(underlying: str = "NIFTY", strike: float = 21000.0, extra: float = 0.0) -> list[dict]:
    return [{"ts": minute(k), "underlying": underlying, "expiry": EXP, "strike": strike, "opt_type": ot,
             "close": float(p) + extra}
            for k in range(1, 16) for ot, p in (("CE", 100 + k), ("PE", 1000 + k))]


def banknifty() -> list[dict]:
    return options("BANKNIFTY", 48000.0, 5000.0)


def spot(underlying: str | None = None, close: float = 21010.0) -> list[dict]:
    return [{"ts": minute(k), **({"underlying": underlying} if underlying else {}), "close": close}
            for k in range(1, 16)]


def write(tmp, opts, spot_rows=None, ocols: str = "", scols: str = 'underlying = ""', extra: str = ""):
    """o.parquet and s.parquet (rows or Arrow tables) and their dataset.toml; session 09:15-09:30."""
    for name, rows in (("o.parquet", opts), ("s.parquet", spot() if spot_rows is None else spot_rows)):
        pq.write_table(rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows), tmp / name)
    (tmp / "dataset.toml").write_text(
        f'name = "vendor"\nstrike_step = 50\n{extra}\n[options]\npath = "o.parquet"\n'
        + (f"columns = {{ {ocols} }}\n" if ocols else "")
        + '[spot]\npath = "s.parquet"\n' + (f"columns = {{ {scols} }}\n" if scols else "")
        + '[session]\nstart = "09:15"\nend = "09:30"\n')
    return tmp


def fills(path, strategy=At0920) -> list[tuple]:
    res = run_backtest(strategy, data=load_dataset(path))
    return [(t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_price) for t in res.trades]


def with_column(rows: list[dict], name: str, values, kind: pa.DataType) -> pa.Table:
    table = pa.Table.from_pylist(rows)
    return table.set_column(table.schema.get_field_index(name), name, pa.array(values, kind))


def checks(path) -> list[tuple]:
    return [(f.level, f.check, f.where) for f in check_dataset(load_dataset(path)).findings if f.level != "note"]


class BankNifty0920(At0920):
    underlying = "BANKNIFTY"


# -- several underlyings in one file ------------------------------------------------------------

def test_a_spot_of_one_underlying_is_not_used_for_another(tmp_path):
    """Options of NIFTY and BANKNIFTY in one file, a spot file without an underlying column (the
    NIFTY spot): a BANKNIFTY run took NIFTY's 21010 as its spot and traded, exit 0. Such a spot
    is the dataset's underlying's only: another underlying is refused, saying what to add."""
    path = write(tmp_path, options() + banknifty())
    assert fills(path) == RIGHT
    with pytest.raises(ConfigError, match=r"'BANKNIFTY'.*the spot files have no underlying column.*NIFTY"):
        fills(path, BankNifty0920)
    both = spot("NIFTY") + spot("BANKNIFTY", 48010.0)
    write(tmp_path, options() + banknifty(), both, scols="")
    assert fills(path, BankNifty0920) == [("09:20", 5105.0, 5110.0)]


def test_options_of_one_underlying_are_not_used_for_another(tmp_path):
    """The reverse: a spot file of two underlyings beside option files without an underlying
    column (NIFTY's options) must not price BANKNIFTY's run with NIFTY's options."""
    opts = [{k: v for k, v in r.items() if k != "underlying"} for r in options()]
    path = write(tmp_path, opts, spot("NIFTY") + spot("BANKNIFTY", 48010.0), scols="")
    assert fills(path) == RIGHT
    with pytest.raises(ConfigError, match=r"'BANKNIFTY'.*the options files have no underlying column"):
        fills(path, BankNifty0920)
