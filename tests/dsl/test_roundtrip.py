"""Property: random valid programs parse, print back through the formatter, and re-parse to
the same AST (positions aside); formatting formatted text changes nothing; and fmt keeps what
a file means (its compiled Python, diagnostics and lint findings)."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optbt.dsl import StratError, compile_text
from optbt.dsl.ast import without_spans
from optbt.dsl.explain import explain_text
from optbt.dsl.format import format_program, format_source
from optbt.dsl.lint import lint_unit
from optbt.dsl.parser import parse_text
from tests.dsl.fmt_corpus import mutants

NAMES = ["sl", "lots", "entry_time", "spot", "mtm", "time", "dte", "pnl", "weekday", "net_delta"]
LEGS = ["ce", "pe", "hedge"]

number = st.one_of(st.integers(0, 100000).map(str),
                   st.tuples(st.integers(0, 9999), st.integers(1, 99)).map(lambda t: f"{t[0]}.{t[1]:02d}"))
time_lit = st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]:02d}:{t[1]:02d}")
atom = st.one_of(
    number, number.map(lambda n: n + "%"), time_lit, number.map(lambda n: "rs " + n),
    st.sampled_from(["true", "false"]), st.sampled_from(NAMES),
    st.tuples(st.sampled_from(LEGS), st.sampled_from(["ltp", "entry_price", "pnl", "iv", "delta", "gamma", "theta", "vega"])).map(".".join),
    st.lists(st.sampled_from(["Mon", "Tue", "Wed", "Thu", "Fri"]), min_size=1, max_size=3)
    .map(lambda ds: f"(weekday in ({', '.join(ds)}))"),
)


def _operand(text: str) -> str:
    """Brackets where the grammar needs them: `1 + not x` and `a < b + c < d` are not expressions
    (as in Python, and comparisons do not chain); pure arithmetic is left bare to test precedence."""
    logic = ("<", ">", "=", " and ", " or ", "not ", " in ")
    return f"({text})" if any(op in text for op in logic) else text


def combine(children):
    return st.one_of(
        children.map(lambda c: f"-({c})"),
        atom.map(lambda a: f"-{a}" if a[:1].isdigit() or a[:1].isalpha() and " " not in a else f"-({a})"),
        children.map(lambda c: f"not ({c})"),
        children.map(lambda c: f"({c})"),
        st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children)
        .map(lambda t: f"{_operand(t[0])} {t[1]} {_operand(t[2])}"),
        st.tuples(children, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), children)
        .map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        st.tuples(children, st.sampled_from(["and", "or"]), children).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
    )


expr = st.recursive(atom, combine, max_leaves=8)
strike = st.one_of(st.just("ATM"), st.tuples(st.sampled_from(["+", "-"]), st.integers(1, 9)).map(lambda t: f"ATM {t[0]} {t[1]}"),
                   st.integers(100, 50000).map(str), st.integers(1, 9).map(lambda n: f"OTM {n}%"),
                   st.tuples(st.sampled_from(["~", ">=", "<="]), st.integers(1, 500)).map(lambda t: f"premium {t[0]} {t[1]}"),
                   st.tuples(st.sampled_from(["", "~ ", ">= ", "<= "]), st.integers(1, 99))
                   .map(lambda t: f"delta {t[0]}0.{t[1]:02d}"),
                   st.sampled_from(["", "~ ", ">= ", "<= "]).map(lambda m: f"delta {m}sl"))
amount = st.one_of(number.map(lambda n: n + "%"), number.map(lambda n: n + " pts"), number.map(lambda n: "rs " + n),
                   st.just("sl"))
statement = st.one_of(
    st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["int", "float", "percent", "time", "bool"]),
              st.one_of(number, time_lit, st.just("true"))).map(lambda t: f"{t[0]}_p: {t[1]} = {t[2]}"),
    st.tuples(strike, st.sampled_from(["CE", "PE"]), st.sampled_from(["BUY", "SELL"]), st.sampled_from(["", ", 2", ", lots"]))
    .map(lambda t: f"add({t[0]}, {t[1]}, {t[2]}{t[3]})"),
    st.tuples(st.sampled_from(LEGS), strike).map(lambda t: f"{t[0]} = add({t[1]}, CE, SELL)"),
    st.tuples(time_lit, expr).map(lambda t: f"entry at {t[0]} when {t[1]}"),
    st.tuples(time_lit, time_lit).map(lambda t: f"entry between {t[0]} and {t[1]}"),
    st.tuples(st.sampled_from(["stop_loss", "target", "trailing"]), st.sampled_from(["each leg"] + LEGS), amount)
    .map(" ".join),
    st.tuples(time_lit, expr).map(lambda t: f"exit at {t[0]} or when {t[1]}"),
    expr.map(lambda e: f"exit when {e}"),
    st.tuples(st.sampled_from(LEGS), strike, expr).map(lambda t: f"shift {t[0]} to {t[1]} when {t[2]}"),
    st.sampled_from(["on stop_loss(ce): move pe.stop to cost", "on target: exit", "on trailing(pe): close ce",
                     "on stop_loss: move others.stop to cost", "square_off complete", "max_cycles 3",
                     "expiry dte >= 3", "expiry monthly", "underlying NIFTY", "mtm_stop rs 5000",
                     "trail_mtm after rs 2000 by rs 500", "params", "legs"]),
    st.sampled_from(["costs preset nse", 'costs preset "my broker.toml"', 'costs preset "us"', "costs slippage 0.5 pts",
                     "costs slippage 0.10%", "costs commission ₹20 per order", "costs commission rs 7.5 per lot"]),
)
comment = st.sampled_from(["", "  # why", "  # note: 30% stop"])
program = st.lists(st.tuples(statement, comment), min_size=1, max_size=12).map(
    lambda lines: 'strategy prop "a property test"\n' + "\n".join(s + c for s, c in lines) + "\n")


@settings(max_examples=int(os.environ.get("OPTBT_PROPERTY_EXAMPLES", 200)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(program)
def test_format_then_parse_gives_the_same_ast(text):
    first, diags = parse_text(text)
    assert diags == [], diags
    pretty = format_program(first)
    second, diags2 = parse_text(pretty)
    assert diags2 == [], (pretty, diags2)
    assert without_spans(first) == without_spans(second)
    assert format_program(second) == pretty


# -- fmt is an identity on meaning ---------------------------------------------------------------------
# Beyond the AST: the compiled Python, the diagnostics and the lint findings of fmt(x) are those
# of x, and fmt(fmt(x)) == fmt(x), on random programs (hypothesis: descriptions with non-ASCII
# text and escapes, comments everywhere, any finite number) and on a fixed-seed corpus of
# mutants of every library file (tests/dsl/fmt_corpus.py).

EXAMPLES = int(os.environ.get("OPTBT_PROPERTY_EXAMPLES", 200))
text_char = st.characters(whitelist_categories=("L", "N", "P", "S", "Zs"), blacklist_characters='"\\')
escape = st.sampled_from([r"\n", r"\t", r"\r", r"\\", r"\"", r"\'", r"\u20b9", r"\x41", r"\U0001F600"])
description = st.lists(st.one_of(text_char, escape), max_size=12).map(lambda parts: '"' + "".join(parts) + '"')
free_comment = st.text(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs")), max_size=12).map(
    lambda t: "  # " + t)
# any float the language takes: at most 1e15, written with at most 40 digits
any_number = st.floats(min_value=0, max_value=1e15, allow_nan=False, allow_infinity=False).map(
    lambda x: format(Decimal(repr(x)), "f")).filter(lambda text: len(text.replace(".", "")) <= 40)
extreme_statement = st.one_of(
    any_number.map(lambda n: f"stop_loss each leg {n} pts"), any_number.map(lambda n: f"target ce {n}%"),
    any_number.map(lambda n: f"mtm_stop rs {n}"), any_number.map(lambda n: f"fixed = add({n}, PE, BUY)"),
    any_number.map(lambda n: f"exit when spot > {n} or ce.ltp * {n} < 3"),
    st.tuples(any_number, any_number).map(lambda t: f"w_p: float = {t[0]} sweep [{t[1]}, 0.5]"),
)
rich_program = st.tuples(
    description, st.sampled_from(["", "  # head"]),
    st.lists(st.tuples(st.one_of(statement, extreme_statement), st.one_of(comment, free_comment),
                       st.sampled_from(["", "", "\n", "\n   \n", "\n# own line ₹\n"])), min_size=1, max_size=10),
).map(lambda t: f"strategy prop {t[0]}{t[1]}\n" + "".join(s + c + "\n" + gap for s, c, gap in t[2]))


def outcome(text: str):
    """What a file means to optbt: its Python and lint findings, or its diagnostics."""
    try:
        python, _, unit = compile_text(text, "m.strat")
    except StratError as exc:
        return "invalid", [(d.code, d.message) for d in exc.diagnostics]
    return "ok", python, [(d.code, d.message) for d in lint_unit(unit, text)]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rich_program)
def test_fmt_keeps_the_meaning_of_random_programs(text):
    program, diags = parse_text(text)
    assert diags == [], diags
    pretty = format_program(program, text)
    again, diags2 = parse_text(pretty)
    assert diags2 == [], (pretty, diags2)
    assert without_spans(again) == without_spans(program)
    assert outcome(pretty) == outcome(text), pretty
    assert format_program(again, pretty) == pretty
    if outcome(text)[0] == "ok":  # and a valid program can always be explained
        assert explain_text(text).startswith("Strategy prop")


MUTANTS = mutants(int(os.environ.get("OPTBT_FMT_MUTANTS", 30)))
BY_FILE = sorted({name.split("-")[0] for name, _ in MUTANTS})


@pytest.mark.parametrize("stem", BY_FILE)
def test_fmt_is_an_identity_on_meaning_for_the_library_and_its_mutants(stem):
    cases = [(name, text) for name, text in MUTANTS if name.split("-")[0] == stem]
    formatted = 0
    for name, text in cases:
        before = outcome(text)
        if before[0] != "ok":
            continue
        try:
            pretty = format_source(text, "m.strat")
        except StratError as exc:  # compiles, but a number is too large for a float: refused, never written
            assert {d.code for d in exc.diagnostics} == {"E0405"}, (name, str(exc))
            continue
        formatted += 1
        assert outcome(pretty) == before, (name, text, pretty)
        assert without_spans(parse_text(pretty)[0]) == without_spans(parse_text(text)[0]), name
        assert format_source(pretty, "m.strat") == pretty, name
        assert explain_text(pretty) == explain_text(text), name  # fmt changes nothing explain can see
        assert pretty.encode("utf-8").decode("utf-8") == pretty and "\r" not in pretty
    assert formatted >= len(cases) // 2, f"only {formatted} of {len(cases)} mutants of {stem} were valid"
