"""Charges per executed order against contract notes worked out by hand from the preset rates."""

from __future__ import annotations

import pytest

from optbt.engine.charges import CHARGE_COLUMNS, load_schedule
from optbt.model.errors import ConfigError


def test_nse_sell_order_contract_note():
    # sell 2 lots of 50 at 100.00: premium 10,000
    note = load_schedule("nse").order("SELL", 100.0, 2, 50)
    assert note == pytest.approx({
        "brokerage": 20.0,                       # per executed order
        "stt": 10.0,                             # 0.1 % of 10,000 (sell side)
        "exchange": 3.503,                       # 0.03503 % of 10,000
        "sebi": 0.01,                            # Rs 10 a crore
        "stamp": 0.0,                            # buy side only
        "gst": 0.18 * (20 + 3.503 + 0.01),       # 4.23234
        "fees": 0.0,
    })


def test_nse_buy_order_contract_note():
    # buy back 2 lots of 50 at 80.00: premium 8,000
    note = load_schedule("nse").order("BUY", 80.0, 2, 50)
    assert note == pytest.approx({"brokerage": 20.0, "stt": 0.0, "exchange": 2.8024, "sebi": 0.008,
                                  "stamp": 0.24, "gst": 0.18 * 22.8104, "fees": 0.0})
    assert sum(note.values()) == pytest.approx(27.156272)


def test_us_orders_per_contract_with_fees_on_sells():
    us = load_schedule("us")
    # sell 3 contracts at 2.50 (x100): 1.95 commission; ORF+OCC 3 x 0.04795, TAF 3 x 0.00279,
    # SEC 27.80 per million of 750 proceeds
    sell = us.order("SELL", 2.50, 3, 100)
    assert sell["brokerage"] == pytest.approx(1.95)
    assert sell["fees"] == pytest.approx(0.14385 + 0.00837 + 0.02085)
    buy = us.order("BUY", 1.00, 3, 100)
    assert buy["fees"] == pytest.approx(0.14385)
    assert set(sell) == set(CHARGE_COLUMNS)


def test_overrides_and_user_files(tmp_path):
    zero = load_schedule("nse", {"brokerage": 0})
    assert zero.order("SELL", 100.0, 2, 50)["gst"] == pytest.approx(0.18 * 3.513)
    own = tmp_path / "broker.toml"
    own.write_text('name = "flat"\n[charges.brokerage]\nbasis = "contract"\nrate = 1.5\n', encoding="utf-8")
    assert load_schedule(own).order("BUY", 10.0, 4, 1)["brokerage"] == pytest.approx(6.0)


@pytest.mark.parametrize("spec, overrides, message", [
    ("nsee", None, "did you mean 'nse'"),
    ("nse", {"brokrage": 0}, "no charge 'brokrage'.*did you mean 'brokerage'"),
    ("nse", {"stt": -1}, "rate must be a number >= 0"),
    ("nse", {"stt": float("nan")}, "rate must be a number >= 0"),
    ("nse", {"stt": {"basis": "lots"}}, "basis must be one of"),
    ("nse", {"stt": {"side": "sell"}}, "side must be BUY or SELL"),
    ("nse", {"levy": {"basis": "premium", "rate": 0.1}}, "column 'levy'"),
    ("nse", {"brokerag": {"rate": 0}}, "unknown charge 'brokerag'; did you mean 'brokerage'\\?"),
])
def test_bad_schedules_are_clear_errors(spec, overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_schedule(spec, overrides)


def test_gst_may_only_name_charges_listed_before_it(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[charges.gst]\nbasis = "charges"\nof = ["brokerage"]\nrate = 0.18\n'
                   '[charges.brokerage]\nbasis = "order"\nrate = 20\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="must name charges listed before it"):
        load_schedule(bad)


def test_a_user_file_may_start_from_a_preset(tmp_path):
    own = tmp_path / "cheap.toml"
    own.write_text('base = "nse"\nname = "cheap"\n[charges.brokerage]\nrate = 10\n', encoding="utf-8")
    cheap = load_schedule(own)
    assert cheap.name == "cheap" and cheap.effective == "2024-10-01"  # the rest comes from the preset
    # sell 2 lots of 50 at 100: brokerage 10, STT 10, exchange 3.503, SEBI 0.01, GST 18 % of 13.513
    assert sum(cheap.order("SELL", 100.0, 2, 50).values()) == pytest.approx(10 + 10 + 3.503 + 0.01 + 0.18 * 13.513)
    typo = tmp_path / "typo.toml"
    typo.write_text('base = "nse"\n[charges.brokerag]\nrate = 0\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown charge 'brokerag'; did you mean 'brokerage'\\?"):
        load_schedule(typo)
    levy = tmp_path / "levy.toml"  # a whole new charge over the preset is added after its charges
    levy.write_text('base = "nse"\n[charges.levy]\nbasis = "order"\nrate = 1\ncolumn = "fees"\n', encoding="utf-8")
    assert [c.name for c in load_schedule(levy).charges][-1] == "levy"
    nobasis = tmp_path / "nobasis.toml"
    nobasis.write_text('[charges.brokerage]\nrate = 0\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="charges.brokerage has no basis: set basis = one of order"):
        load_schedule(nobasis)
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "nsee"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="base must be one of nse, us.*did you mean 'nse'"):
        load_schedule(bad)
