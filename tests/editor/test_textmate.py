"""The VS Code extension's TextMate grammar, applied with a small tokenizer (tests/editor/textmate.py):
every character but whitespace gets a scope, valid files get no ``invalid`` scope, and every
keyword of the language is highlighted as one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from optbt.dsl import read_strat
from optbt.dsl.lines import has_bad_character, split_lines
from optbt.dsl.parser import parse_text
from tests.editor.test_ide import grammar_keywords
from tests.editor.textmate import Grammar

ROOT = Path(__file__).resolve().parents[2]
VSCODE = ROOT / "editors" / "vscode"
GRAMMAR = Grammar(VSCODE / "syntaxes" / "strat.tmLanguage.json")
LIBRARY = sorted((ROOT / "strategies_dsl").glob("*.strat"))
# malformed files whose characters the language refuses (E0104: control bytes, separators, bytes
# that are not UTF-8) are left out: a highlighter owes them no scope
MALFORMED = [p for p in sorted((ROOT / "tests" / "golden" / "malformed").glob("*.strat"))
             if not any(has_bad_character(line) for line in split_lines(read_strat(p)))]


def scopes_of(line: str) -> list[tuple[str, str]]:
    """(text, innermost scope) of each run of characters with the same scopes."""
    [chars] = GRAMMAR.tokenize([line])
    runs: list[tuple[str, list[str]]] = []
    for ch, sc in zip(line, chars):
        if runs and runs[-1][1] == sc:
            runs[-1] = (runs[-1][0] + ch, sc)
        else:
            runs.append((ch, sc))
    return [(text, sc[-1]) for text, sc in runs if text.strip()]


def unscoped_and_invalid(text: str) -> tuple[list[str], list[str]]:
    lines = text.splitlines()
    unscoped, invalid = [], []
    for n, (line, chars) in enumerate(zip(lines, GRAMMAR.tokenize(lines)), start=1):
        for col, (ch, sc) in enumerate(zip(line, chars), start=1):
            if not ch.isspace() and sc[1:] == []:
                unscoped.append(f"{n}:{col} {ch!r} in {line!r}")
            if any(s.startswith("invalid") for s in sc):
                invalid.append(f"{n}:{col} {ch!r} in {line!r}")
    return unscoped, invalid


def _read(path: Path) -> str:
    return read_strat(path).removeprefix("\ufeff")  # editors do not show a byte-order mark


def is_valid(path: Path) -> bool:
    return parse_text(_read(path))[1] == []


VALID_GOLDENS = [p for p in MALFORMED if is_valid(p)]  # check errors only: the text itself is well formed


@pytest.mark.parametrize("path", LIBRARY + VALID_GOLDENS, ids=lambda p: p.name)
def test_every_character_of_a_valid_file_is_scoped_and_none_invalid(path):
    unscoped, invalid = unscoped_and_invalid(_read(path))
    assert unscoped == [] and invalid == []


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.name)
def test_malformed_files_are_scoped_too(path):
    assert unscoped_and_invalid(_read(path))[0] == []


def test_the_valid_goldens_are_found():
    assert len(LIBRARY) >= 10 and len(VALID_GOLDENS) >= 10  # most malformed cases are check errors


def test_every_keyword_is_highlighted_as_a_keyword_not_a_name():
    plain = [w for w in sorted(grammar_keywords()) if scopes_of(w)[0][1] == "variable.other.strat"]
    assert plain == []


def test_a_line_scoped_by_hand():
    assert scopes_of('    ce = add(ATM + 2, CE, SELL, lots)  # lint: allow W002') == [
        ("ce", "entity.name.type.leg.strat"), ("=", "keyword.operator.assignment.strat"),
        ("add", "support.function.strat"), ("(", "punctuation.section.parens.strat"),
        ("ATM", "constant.language.strike.strat"), ("+", "keyword.operator.arithmetic.strat"),
        ("2", "constant.numeric.strat"), (",", "punctuation.separator.comma.strat"),
        ("CE", "constant.language.option-type.strat"), (",", "punctuation.separator.comma.strat"),
        ("SELL", "constant.language.side.strat"), (",", "punctuation.separator.comma.strat"),
        ("lots", "variable.other.strat"), (")", "punctuation.section.parens.strat"),
        ("#", "punctuation.definition.comment.strat"), ("lint", "keyword.other.lint.strat"),
        (":", "punctuation.separator.strat"), ("allow", "keyword.other.lint.strat"),
        ("W002", "constant.other.diagnostic-code.strat")]


def test_parameters_times_percents_money_and_attributes():
    assert scopes_of("sl_pct: percent = 30% sweep 20% .. 50% step 10%")[:4] == [
        ("sl_pct", "variable.parameter.strat"), (":", "punctuation.separator.type.strat"),
        ("percent", "storage.type.strat"), ("=", "keyword.operator.assignment.strat")]
    assert ("..", "keyword.operator.range.strat") in scopes_of("x: int = 1 sweep 1 .. 3 step 1")
    assert scopes_of("exit at 15:15 or when ce.pnl <= -₹2000") == [
        ("exit", "keyword.control.strat"), ("at", "keyword.other.strat"), ("15:15", "constant.numeric.time.strat"),
        ("or", "keyword.operator.logical.strat"), ("when", "keyword.other.strat"), ("ce", "variable.other.strat"),
        (".", "punctuation.accessor.strat"), ("pnl", "variable.other.property.strat"),
        ("<=", "keyword.operator.comparison.strat"), ("-", "keyword.operator.arithmetic.strat"),
        ("₹", "keyword.other.unit.strat"), ("2000", "constant.numeric.strat")]


def test_a_hash_inside_a_description_is_not_a_comment():
    assert scopes_of('strategy s "a # b"')[-1] == ('"', "punctuation.definition.string.end.strat")
    assert ("a # b", "string.quoted.double.strat") in scopes_of('strategy s "a # b"')


def test_stray_characters_are_invalid():
    assert ("$", "invalid.illegal.strat") in scopes_of("exit when spot > $5")


# The grammar runs on Oniguruma in editors and on Python's re here: keep to what both read alike.
NOT_IN_BOTH = [r"\(\?P", r"\(\?<[A-Za-z]", r"\\[GAzZhHKRX]", r"\\p\{", r"\(\?>", r"[*+?}]\+", r"\(\?[imx]+\)",
               r"\\[dws]"]


def test_grammar_regexes_stay_in_the_common_subset():
    for rx in GRAMMAR.regexes():
        re.compile(rx)
        for bad in NOT_IN_BOTH:
            assert not re.search(bad, rx), f"{rx!r} uses {bad!r}"


# -- the extension folder ------------------------------------------------------------------------------
def test_the_extension_contributes_the_language_grammar_and_client():
    pkg = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    [lang] = pkg["contributes"]["languages"]
    assert lang["id"] == "strat" and lang["extensions"] == [".strat"]
    assert (VSCODE / lang["configuration"]).is_file()
    [grammar] = pkg["contributes"]["grammars"]
    assert grammar["language"] == "strat" and grammar["scopeName"] == GRAMMAR.scope == "source.strat"
    assert (VSCODE / grammar["path"]).resolve() == (VSCODE / "syntaxes" / "strat.tmLanguage.json").resolve()
    assert "onLanguage:strat" in pkg["activationEvents"]
    assert "vscode-languageclient" in pkg["dependencies"]
    main = (VSCODE / pkg["main"]).read_text(encoding="utf-8")
    assert '"lsp"' in main and "LanguageClient" in main


def test_the_language_configuration_knows_comments_and_brackets():
    conf = json.loads((VSCODE / "language-configuration.json").read_text(encoding="utf-8"))
    assert conf["comments"]["lineComment"] == "#"
    assert ["(", ")"] in conf["brackets"] and ["[", "]"] in conf["brackets"]
    assert {"open": '"', "close": '"', "notIn": ["string", "comment"]} in conf["autoClosingPairs"]
