"""Datasets shaped differently run unchanged once described by a config. Fills by hand.

The base day: spot 21010 (ATM 21000); CE closes 100, 101, ...; PE 90, 89, ... from 09:16.
The strategy sells the straddle at 09:17 and exits at 09:20.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt import run_backtest
from optbt.data.dataset import load_dataset
from optbt.model.errors import ConfigError, DataError
from tests.kit import SellAtmStraddle

DAY, EXP = date(2024, 1, 2), date(2024, 1, 4)


Sell = SellAtmStraddle  # sell the ATM straddle at 09:17, out at 09:20


def minute(k):  # bar k is labelled 09:15 + k minutes
    return datetime(2024, 1, 2, 9, 15) + timedelta(minutes=k)


def write(tmp, options, spot, toml):
    pq.write_table(pa.Table.from_pylist(options), tmp / "o.parquet")
    pq.write_table(pa.Table.from_pylist(spot), tmp / "s.parquet")
    (tmp / "dataset.toml").write_text(toml)
    return tmp


def fills(path, **kw):
    res = run_backtest(Sell, data=load_dataset(path, kw.get("root")))
    return sorted((t.key, t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_ts.strftime("%H:%M"), t.exit_price,
                   t.exit_lag) for t in res.trades)


EXPECTED = [("ce", "09:17", 101.0, "09:20", 104.0, 0), ("pe", "09:17", 89.0, "09:20", 86.0, 0)]


def test_other_column_names_and_spellings_and_integer_expiry(tmp_path):
    opts = [{"when": minute(k), "sym": "nifty", "exp": 20240104, "k": 21000, "cp": cp, "ltp": float(p)}
            for k in range(1, 8) for cp, p in (("C", 99 + k), ("P", 91 - k))]
    spot = [{"when": minute(k), "sym": "nifty", "px": 21010.0} for k in range(1, 8)]
    write(tmp_path, opts, spot, '''name = "renamed"
[options]
path = "o.parquet"
columns = { ts = "when", underlying = "sym", expiry = "exp", strike = "k", opt_type = "cp", close = "ltp" }
[spot]
path = "s.parquet"
columns = { ts = "when", underlying = "sym", close = "px" }
[session]
start = "09:15"
end = "09:22"
''')
    assert fills(tmp_path) == EXPECTED


@pytest.mark.parametrize("ts", ['ts = "", ', ""])  # docs/data.md writes date and time without ts (it failed)
def test_separate_date_and_time_columns_and_call_put_words(tmp_path, ts):
    opts = [{"d": DAY, "t": minute(k).time(), "expiry": EXP, "strike": 21000.0, "right": r, "close": float(p)}
            for k in range(1, 8) for r, p in (("call", 99 + k), ("put", 91 - k))]
    spot = [{"d": DAY, "t": minute(k).time(), "close": 21010.0} for k in range(1, 8)]
    write(tmp_path, opts, spot, '''[options]
path = "o.parquet"
columns = { {ts}date = "d", time = "t", opt_type = "right" }
[spot]
path = "s.parquet"
columns = { {ts}date = "d", time = "t" }
[session]
start = "09:15"
end = "09:22"
'''.replace("{ts}", ts))
    assert fills(tmp_path) == EXPECTED


def test_tz_aware_utc_timestamps_are_converted_to_exchange_time(tmp_path):
    ist = timezone(timedelta(hours=5, minutes=30))
    utc = lambda k: minute(k).replace(tzinfo=ist).astimezone(timezone.utc)  # noqa: E731
    opts = [{"ts": utc(k), "expiry": EXP, "strike": 21000.0, "opt_type": ot, "close": float(p)}
            for k in range(1, 8) for ot, p in (("CE", 99 + k), ("PE", 91 - k))]
    spot = [{"ts": utc(k), "close": 21010.0} for k in range(1, 8)]
    write(tmp_path, opts, spot, '''timezone = "Asia/Kolkata"
[options]
path = "o.parquet"
[spot]
path = "s.parquet"
[session]
start = "09:15"
end = "09:22"
''')
    assert fills(tmp_path) == EXPECTED


def test_start_labelled_bars_are_used_one_bar_later(tmp_path):
    # same rows, but labelled by their opening minute: the bar labelled 09:16 is known at 09:17
    opts = [{"ts": minute(k - 1), "expiry": EXP, "strike": 21000.0, "opt_type": ot, "close": float(p)}
            for k in range(1, 8) for ot, p in (("CE", 99 + k), ("PE", 91 - k))]
    spot = [{"ts": minute(k - 1), "close": 21010.0} for k in range(1, 8)]
    toml = '''bar_label = "%s"
[options]
path = "o.parquet"
[spot]
path = "s.parquet"
[session]
start = "09:15"
end = "09:22"
'''
    write(tmp_path, opts, spot, toml % "start")
    assert fills(tmp_path) == EXPECTED
    write(tmp_path, opts, spot, toml % "end")   # read as end-labelled, every price would come a minute early
    assert fills(tmp_path) != EXPECTED


def test_quotes_fill_at_bid_and_ask_and_empty_or_crossed_quotes_are_stale(tmp_path):
    rows = []
    for k in range(1, 8):
        ce_bid, ce_ask = 99.0 + k, 101.0 + k
        if k == 2:
            ce_bid = 0.0            # empty bid at 09:17: CE not live -> entry waits
        if k == 5:
            ce_bid, ce_ask = 110.0, 100.0   # crossed at 09:20: unusable, the exit uses 09:19's quote
        rows.append({"ts": minute(k), "expiry": EXP, "strike": 21000.0, "opt_type": "CE", "bid": ce_bid, "ask": ce_ask})
        rows.append({"ts": minute(k), "expiry": EXP, "strike": 21000.0, "opt_type": "PE", "bid": 90.0 - k, "ask": 92.0 - k})
    spot = [{"ts": minute(k), "close": 21010.0} for k in range(1, 8)]
    write(tmp_path, rows, spot, '''price = "mid"
[options]
path = "o.parquet"
columns = { bid = "bid", ask = "ask" }
[spot]
path = "s.parquet"
[session]
start = "09:15"
end = "09:22"
''')
    assert fills(tmp_path) == [("ce", "09:18", 102.0, "09:20", 105.0, 1),   # sold at the 09:18 bid, bought at 09:19's ask
                               ("pe", "09:18", 87.0, "09:20", 87.0, 0)]     # sold at bid 87, bought at ask 92 - 5


def test_early_close_override_ends_the_day_early(tmp_path):
    opts = [{"ts": minute(k), "expiry": EXP, "strike": 21000.0, "opt_type": ot, "close": float(p)}
            for k in range(1, 8) for ot, p in (("CE", 99 + k), ("PE", 91 - k))]
    spot = [{"ts": minute(k), "close": 21010.0} for k in range(1, 8)]
    write(tmp_path, opts, spot, '''[options]
path = "o.parquet"
[spot]
path = "s.parquet"
[session]
start = "09:15"
end = "15:30"
early_close = { "2024-01-02" = "09:19" }
''')
    # the day ends at 09:19: the position is closed there by the EOD close
    assert [(k, x, p) for k, _, _, x, p, _ in fills(tmp_path)] == [("ce", "09:19", 103.0), ("pe", "09:19", 87.0)]


def test_config_mistakes_are_named(tmp_path):
    (tmp_path / "dataset.toml").write_text('strik_step = 50\n[options]\npath = "o.parquet"\n[spot]\npath = "s.parquet"\n')
    with pytest.raises(ConfigError, match="strik_step: unknown key"):
        load_dataset(tmp_path)
    opts = [{"ts": minute(1), "expiry": EXP, "strike": 21000.0, "opt_type": "CE", "px": 1.0}]
    write(tmp_path, opts, [{"ts": minute(1), "close": 1.0}], '[options]\npath = "o.parquet"\n[spot]\npath = "s.parquet"\n')
    with pytest.raises(DataError, match="column 'close' .* is not in the files.*columns are: ts, expiry, strike, opt_type, px"):
        run_backtest(Sell, data=tmp_path)


def test_a_root_key_in_the_file_is_refused_not_silently_replaced(tmp_path):
    """``root`` is where relative paths resolve: the config's folder or --data-root. A root written
    in the file was accepted and then replaced without a word."""
    (tmp_path / "dataset.toml").write_text('root = "/data/elsewhere"\n[options]\npath = "o.parquet"\n'
                                           '[spot]\npath = "s.parquet"\n')
    with pytest.raises(ConfigError, match="root is not a dataset.toml key: .* give --data-root DIR"):
        load_dataset(tmp_path)


def test_configured_type_words_any_case_and_padding_and_unknown_types_left_out(tmp_path):
    # " c"/"Call " are calls, "p "/"PUT" puts (call_values/put_values), "X" and NULL are neither: their
    # rows (prices far off) sit at the same strike and times and must never become a leg's bar
    words = {"ce": (" c", "Call "), "pe": ("p ", "PUT")}
    opts = []
    for k in range(1, 8):
        for key, p in (("ce", 99 + k), ("pe", 91 - k)):
            opts.append({"ts": minute(k), "expiry": EXP, "strike": 21000.0, "opt_type": words[key][k % 2],
                         "close": float(p)})
        opts.append({"ts": minute(k), "expiry": EXP, "strike": 21000.0, "opt_type": "X", "close": 500.0})
        opts.append({"ts": minute(k), "expiry": EXP, "strike": 21000.0, "opt_type": None, "close": 600.0})
    spot = [{"ts": minute(k), "close": 21010.0} for k in range(1, 8)]
    write(tmp_path, opts, spot, '[options]\npath = "o.parquet"\ncall_values = ["c", "call"]\nput_values = ["P", "Put"]\n'
                                '[spot]\npath = "s.parquet"\n[session]\nstart = "09:15"\nend = "09:22"\n')
    assert fills(tmp_path) == EXPECTED


def test_ts_with_date_and_time_is_ambiguous_and_refused(tmp_path):
    (tmp_path / "dataset.toml").write_text('[options]\npath = "o.parquet"\ncolumns = { ts = "when", date = "d", '
                                           'time = "t" }\n[spot]\npath = "s.parquet"\n')
    with pytest.raises(ConfigError, match=r"options.columns: give the time as ts, or as date and time, not both"):
        load_dataset(tmp_path)


@pytest.mark.parametrize("side,other", [("bid", "ask"), ("ask", "bid")])
def test_one_quote_side_alone_is_refused_not_ignored(tmp_path, side, other):
    """Quotes are read as a pair: a config naming only ``bid`` filled every sell at the close,
    the bid column never read, with no word. Found by the data-trust audit."""
    (tmp_path / "dataset.toml").write_text(f'[options]\npath = "o.parquet"\ncolumns = {{ {side} = "b1" }}\n'
                                           '[spot]\npath = "s.parquet"\n')
    with pytest.raises(ConfigError, match=rf"options.columns.{side} is set but {other} is not.*Set {other} ="):
        load_dataset(tmp_path)
