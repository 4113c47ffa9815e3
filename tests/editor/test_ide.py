"""The editor's answers (optbt.dsl.ide) as pure functions: positions worked out by hand, 0-based."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lark.lexer import PatternStr
from typer.testing import CliRunner

from optbt.cli.app import _register_all, app
from optbt.dsl import glossary, ide, read_strat
from optbt.dsl.checks import BUILTINS, LEG_ATTRS
from optbt.dsl.diagnostics import CODES
from optbt.dsl.parser import lark_parser

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "strategies_dsl").glob("*.strat"))
MALFORMED = sorted((ROOT / "tests" / "golden" / "malformed").glob("*.strat"))

DOC = """strategy demo "test"
params
    sl_pct: percent = 30%
    lots: int = 1
legs
    ce = add(ATM, CE, SELL, lots)
    add(ATM, PE, SELL)
entry at 09:20
stop_loss each leg sl_pct
exit when ce.pnl <= -rs 2000 or leg1.ltp > 100
"""


def labels(items) -> list[str]:
    return [c.label for c in items]


def complete_after(prefix: str) -> list[str]:
    """Completion at the end of one more line typed below DOC."""
    return labels(ide.completions(DOC + prefix, DOC.count("\n"), len(prefix)))


# -- diagnostics ----------------------------------------------------------------------------------
def test_a_clean_document_has_no_diagnostics():
    assert ide.diagnostics(DOC) == []


def test_a_bare_number_stop_is_E0302_on_the_number():
    text = 'strategy s "x"\nce = add(ATM, CE, SELL)\nstop_loss ce 30\nexit at 15:15\n'
    [d] = ide.diagnostics(text)
    assert (d.code, d.severity) == ("E0302", "error")
    assert d.range == ide.Range(2, 13, 2, 15)  # "stop_loss ce " is 13 characters, "30" is 2
    assert "30 pts" in d.message  # the help travels with the message


def test_an_unknown_name_is_a_check_error_with_its_range():
    text = 'strategy s "x"\nce = add(ATM, CE, SELL)\nexit when spot > sl_pc\n'
    [d] = ide.diagnostics(text)
    assert d.code == "E0201" and d.range == ide.Range(2, 17, 2, 22)


def test_lint_warnings_are_warnings():
    text = 'strategy s "x"\nparams\n    unused: int = 1\nce = add(ATM, CE, SELL)\nexit at 15:15\n'
    [d] = ide.diagnostics(text)
    assert (d.code, d.severity, d.range) == ("W001", "warning", ide.Range(2, 4, 2, 19))


@pytest.mark.parametrize("path", LIBRARY + MALFORMED, ids=lambda p: p.name)
def test_diagnostics_are_those_of_optbt_lint(path):
    _register_all()
    res = CliRunner().invoke(app, ["lint", "--format", "json", str(path)])
    expected = [(d["code"], d["line"] - 1, d["column"] - 1, d["end_column"] - 1) for d in json.loads(res.stdout)]
    got = [(d.code, d.range.line, d.range.start, d.range.end) for d in ide.diagnostics(read_strat(path))]
    assert got == expected


# -- hover ------------------------------------------------------------------------------------------
def grammar_keywords() -> set[str]:
    return {t.pattern.value for t in lark_parser().terminals
            if isinstance(t.pattern, PatternStr) and re.fullmatch(r"[A-Za-z_]+", t.pattern.value)}


def test_every_keyword_built_in_and_attribute_has_a_doc():
    words = grammar_keywords()
    assert {"stop_loss", "trail_mtm", "CE", "next_monthly", "cost", "pts", "Sun"} <= words  # the walk works
    assert sorted(words - set(glossary.DOCS)) == []
    assert sorted(set(BUILTINS) - set(glossary.DOCS)) == []
    assert sorted(set(LEG_ATTRS) - set(glossary.ATTRIBUTES)) == []


def test_hover_on_a_keyword_gives_its_form_and_range():
    h = ide.hover(DOC, 8, 2)
    assert h.range == ide.Range(8, 0, 8, 9)
    assert h.markdown.startswith("`stop_loss each leg 30%`")


def test_hover_on_a_parameter_shows_its_declaration():
    h = ide.hover(DOC, 8, 21)
    assert h.range == ide.Range(8, 19, 8, 25)
    assert "parameter (percent), line 3" in h.markdown and "sl_pct: percent = 30%" in h.markdown


def test_hover_on_legs_named_and_unnamed():
    assert "ce = add(ATM, CE, SELL, lots)" in ide.hover(DOC, 9, 11).markdown
    h = ide.hover(DOC, 9, 33)
    assert h.markdown.startswith("**leg1**: leg, line 7") and "add(ATM, PE, SELL)" in h.markdown


def test_hover_on_the_strategy_name_gives_its_class():
    h = ide.hover(DOC, 0, 10)
    assert h.range == ide.Range(0, 9, 0, 13)
    assert h.markdown.startswith("**demo**: the strategy: test") and "`Demo`" in h.markdown


def test_after_a_dot_pnl_is_the_leg_attribute_not_the_built_in():
    assert ide.hover(DOC, 9, 14).markdown == glossary.ATTRIBUTES["pnl"]
    text = 'strategy s "x"\nce = add(ATM, CE, SELL)\nexit when pnl > rs 1'
    assert ide.hover(text, 2, 11).markdown == glossary.DOCS["pnl"]


def test_hover_on_units_and_literals():
    assert "percentage" in ide.hover(DOC, 2, 23).markdown          # 30%
    assert "time of day" in ide.hover(DOC, 7, 10).markdown         # 09:20
    assert ide.hover(DOC, 9, 22).markdown == glossary.DOCS["rs"]


def test_hover_on_a_code_in_a_suppression_comment_explains_it():
    text = "max_cycles 1  # lint: allow W005"
    h = ide.hover(text, 0, 29)
    assert h.range == ide.Range(0, 28, 0, 32)
    assert h.markdown.startswith("**W005** re-entry without an exit")


def test_hover_on_an_error_adds_the_long_explanation_of_its_code():
    text = 'strategy s "x"\nce = add(ATM, CE, SELL)\nstop_loss ce 30\n'
    h = ide.hover(text, 2, 14)
    assert h.markdown == f"**E0302** missing unit\n\n{CODES['E0302'][1]}"


def test_no_hover_on_blank_space():
    assert ide.hover(DOC, 9, 4) is None and ide.hover(DOC, 40, 0) is None


# -- completion ---------------------------------------------------------------------------------------
def test_line_start_offers_the_statements():
    got = complete_after("")
    assert {"stop_loss", "entry", "exit", "mtm_stop", "trail_mtm", "params", "legs"} <= set(got)
    assert complete_after("sto") == got  # the editor filters what is typed


@pytest.mark.parametrize("prefix, expected", [
    ("stop_loss ", ["each", "ce", "leg1"]),
    ("stop_loss each ", ["leg"]),
    ("stop_loss ce ", ["sl_pct", "lots", "rs", "₹"]),  # parameters (percent alone, numbers + pts) and money
    ("target ce 40 ", ["pts"]),                        # the unit after a bare number
    ("exit when ce.", ["ltp", "entry_price", "pnl", "reentries", "status", "iv", "delta", "gamma", "theta", "vega"]),  # leg attributes
    ("on stop_loss(ce): move leg1.", ["stop"]),
    ("on ", ["stop_loss", "target", "trailing"]),
    ("on target(", ["ce", "leg1"]),
    ("on target(ce): ", ["move", "exit", "close", "open"]),
    ("on target(ce): move ", ["ce", "leg1", "others"]),
    ("x: ", ["int", "float", "percent", "time", "bool", "choice"]),
    ("pe = add(", ["ATM", "OTM", "premium", "delta", "ITM", "ce", "leg1"]),  # legs: leg.strike + 200
    ("pe = add(ATM, ", ["CE", "PE"]),
    ("pe = add(ATM, PE, ", ["BUY", "SELL"]),
    ("pe = add(ATM, PE, SELL, ", ["lots", "expiry"]),   # int parameters for the quantity
    ("pe = add(ATM, PE, SELL, 1, expiry = ", ["nearest", "next", "monthly", "next_monthly", "dte"]),
    ("square_off ", ["partial", "complete"]),
    ("entry ", ["at", "between", "when", "ce", "leg1"]),
    ("entry between 09:20 ", ["and"]),
    ("entry at 09:20 ", ["when"]),
    ("entry when weekday in (", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
    ("exit at 15:15 ", ["or"]),
    ("exit when spot > 21000 ", ["and", "or", "in"]),
    ("trail_mtm ", ["after"]),
    ("trail_mtm after ", ["rs", "₹"]),
    ("trail_mtm after rs 3000 ", ["by"]),
    ("mtm_stop ", ["sl_pct", "rs", "₹"]),
    ("shift ce ", ["to"]),
    ("shift ce to ATM ", ["when"]),
    ("exit at 15:15 or ", ["when"]),
    ("sl2: percent = 30% ", ["sweep"]),
    ("sl2: percent = 30% sweep 20% .. 50% ", ["step"]),
    ("pe = ", ["add"]),
    ("shift ce to ", ["ATM", "OTM", "premium", "delta", "ITM", "ce", "leg1"]),
])
def test_completion_in_context(prefix, expected):
    assert complete_after(prefix) == expected


def test_a_condition_offers_parameters_built_ins_and_legs():
    got = complete_after("exit when ")
    assert {"sl_pct", "lots", "spot", "time", "mtm", "weekday", "ce", "leg1", "not", "rs"} <= set(got)
    kinds = {c.label: c.kind for c in ide.completions(DOC + "exit when ", 10, 10)}
    assert (kinds["sl_pct"], kinds["spot"], kinds["ce"]) == ("parameter", "builtin", "leg")


def test_choice_options_complete_inside_in():
    text = 'strategy s "x"\nparams\n    mode: choice(fast, slow) = fast\nentry when mode in ('
    assert labels(ide.completions(text, 3, 20)) == ["fast", "slow"]


def test_choice_options_complete_after_equals_and_not_equals():
    for op in ("==", "!="):
        text = f'strategy s "x"\nparams\n    mode: choice(fast, slow) = fast\nentry when mode {op} '
        assert labels(ide.completions(text, 3, len(f"entry when mode {op} "))) == ["fast", "slow"]


def test_no_completion_inside_a_comment_or_a_description():
    assert complete_after("exit at 15:15  # at ") == []
    assert complete_after('strategy s "sells the ') == []


# -- definition -----------------------------------------------------------------------------------------
def test_definition_of_a_parameter_is_its_name():
    assert ide.definition(DOC, 8, 21) == ide.Range(2, 4, 2, 10)
    assert ide.definition(DOC, 5, 30) == ide.Range(3, 4, 3, 8)   # lots as a leg quantity


def test_definition_of_a_leg_named_and_unnamed():
    assert ide.definition(DOC, 9, 10) == ide.Range(5, 4, 5, 6)
    assert ide.definition(DOC, 9, 36) == ide.Range(6, 4, 6, 22)  # cursor just after leg1: the add(...)


def test_no_definition_for_keywords_built_ins_and_attributes():
    assert ide.definition(DOC, 9, 1) is None      # exit
    assert ide.definition(DOC, 9, 14) is None     # .pnl
    assert ide.definition("exit when spot > 1", 0, 11) is None


# -- formatting -----------------------------------------------------------------------------------------
def apply(text: str, edits: list[ide.TextEdit]) -> str:
    lines = text.split("\n")
    for e in reversed(edits):
        r = e.range
        head = "\n".join(lines[:r.line] + [lines[r.line][:r.start]])
        tail = "\n".join([lines[r.end_line][r.end:]] + lines[r.end_line + 1:])
        text = head + e.new_text + tail
        lines = text.split("\n")
    return text


def test_formatting_replaces_the_whole_document_with_optbt_fmt_output():
    text = 'strategy s "x"\nlegs\nce=add(ATM,CE,SELL)   # the call\nexit at 15:15'
    edits = ide.format_document(text)
    assert len(edits) == 1 and edits[0].range == ide.Range(0, 0, 3, 13)
    assert apply(text, edits) == 'strategy s "x"\n\nlegs\n    ce = add(ATM, CE, SELL)  # the call\n\nexit at 15:15\n'


def test_no_edit_when_the_document_does_not_parse_or_is_formatted():
    assert ide.format_document('strategy s "x"\nce = add(ATM, CE, SELL\n') == []
    for path in LIBRARY:
        assert ide.format_document(path.read_text()) == []


def _declares(tokens, i: int) -> bool:
    """A name being declared here (a new name cannot be completed): the strategy's, a parameter's,
    a named leg's, or the underlying's."""
    before = tokens[i - 1].text if i else ""
    after = tokens[i + 1].text if i + 1 < len(tokens) else ""
    series = bool(tokens) and tokens[0].text == "series" and before in ("series", ",")
    return before in ("strategy", "underlying", "range") or series or (i == 0 and after in (":", "="))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_every_word_of_the_library_is_offered_where_it_stands(path):
    text = path.read_text()
    missing = []
    for n, line in enumerate(text.splitlines()):
        tokens = [t for t in ide._tokens(line) if t.kind != "comment"]
        for i, tok in enumerate(tokens):
            if tok.kind == "name" and not _declares(tokens, i):
                if tok.text not in labels(ide.completions(text, n, tok.start)):
                    missing.append(f"{n + 1}: {tok.text!r} in {line.strip()!r}")
    assert missing == []


def test_typing_a_file_character_by_character_never_fails():
    text = (ROOT / "strategies_dsl" / "straddle_sl_to_cost.strat").read_text()
    for k in range(len(text) + 1):
        part = text[:k]
        line = part.count("\n")
        col = len(part.split("\n")[-1])
        ide.diagnostics(part), ide.format_document(part), ide.completions(part, line, col)
        ide.hover(part, line, max(0, col - 1)), ide.definition(part, line, col)
