"""Code generation cannot be steered by text: hostile file names, descriptions and names.

For each case the generated module parses, defines exactly one strategy class, imports only
the runtime (and ``__future__``), does nothing at import but define that class, and compiling
and running it creates no file outside optbt's own cache.
"""

from __future__ import annotations

import ast
import os
from datetime import date
from pathlib import Path

import pytest

from optbt.dsl import StratError, compile_text, load_strat, load_strat_text
from optbt.dsl.parser import STATEMENT_WORDS

BODY = "ce = add(ATM, CE, SELL, lots)\nexit at 15:00\n"
PARAMS = "params\n    lots: int = 1\n"

HOSTILE_FILE_NAMES = [
    'x""";open("PWNED","w").write("pwned");""".strat',
    "x''';open('PWNED','w');'''.strat",
    "bad\\N.strat",
    "back\\slash\\.strat",
    "new\nline.strat",
    "carriage\rreturn.strat",
    "tab\t.strat",
    "quote\".strat",
    "caf\u00e9 \u20b9.strat",
    "\\u0041\\x41.strat",
    "\udcff\udcfe.strat",   # a file name whose bytes are not UTF-8
    "# comment.strat",
]
HOSTILE_DESCRIPTIONS = [
    r'\"\"\" ; import os; os.system(\"echo hi\") ; \"\"\"',
    r"''' ; import os ; '''",
    r"ends in a backslash \\",
    r"line\nbreak and \r and \t",
    "caf\u00e9 \u20b9 \u65e5\u672c",
    r"\u2028 separator and \x00 nul, escaped",
    r"{self.__class__} %s {0}",
]
# names Python, the language's runtime or the Strategy base class already use
HOSTILE_NAMES = ["class", "None", "none", "false_", "int", "float", "str", "bool", "print", "exec",
                 "match", "case", "type", "self", "ctx", "num", "nz", "ne", "annotations", "positions",
                 "closed_trades", "entry", "adjust", "legs", "add", "params", "parameters", "SWEEP",
                 "CHOICES", "PARAM_ATTRS", "lots_of", "close", "square_off", "underlying", "expiry", "clock",
                 "DslStrategy", "Strategy", "object", "Exception", "lambda", "yield", "import"]


def assert_safe_module(source: str) -> ast.ClassDef:
    tree = ast.parse(source)
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert len(classes) == 1
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            assert node.module in ("__future__", "optbt.dsl.runtime", "optbt.dsl.legplan"), node.module
        else:
            # the module docstring and the class: nothing else runs at import
            assert isinstance(node, ast.ClassDef) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    for node in ast.walk(tree):
        assert not isinstance(node, ast.Import)
        if isinstance(node, ast.ImportFrom):
            assert node.module in ("__future__", "optbt.dsl.runtime", "optbt.dsl.legplan")
        if isinstance(node, ast.Name):
            assert node.id not in ("open", "exec", "eval", "__import__", "os", "system", "compile")
    return classes[0]


@pytest.fixture
def in_empty_dir(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.mark.parametrize("filename", HOSTILE_FILE_NAMES, ids=range(len(HOSTILE_FILE_NAMES)))
def test_a_hostile_file_name_is_data(filename, in_empty_dir):
    text = f'strategy named "d"\n{PARAMS}{BODY}'
    source, cls_name, _ = compile_text(text, filename)
    assert_safe_module(source).name == cls_name
    cls = load_strat_text(text, filename)
    assert cls.__doc__ == "d"
    assert list(in_empty_dir.iterdir()) == []


@pytest.mark.parametrize("description", HOSTILE_DESCRIPTIONS, ids=range(len(HOSTILE_DESCRIPTIONS)))
def test_a_hostile_description_is_data(description, in_empty_dir):
    text = f'strategy described "{description}"\n{PARAMS}{BODY}'
    source, cls_name, unit = compile_text(text, "d.strat")
    assert_safe_module(source)
    cls = load_strat_text(text, "d.strat")
    assert cls.__doc__ == unit.header.description
    assert list(in_empty_dir.iterdir()) == []


def test_escapes_in_a_description_mean_what_they_say():
    text = 'strategy s "a\\"b\\\\c\\nd\\te\\u00e9\\x41 caf\u00e9"\n' + PARAMS + BODY
    _, _, unit = compile_text(text, "s.strat")
    assert unit.header.description == 'a"b\\c\nd\te\u00e9A caf\u00e9'


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_names_python_uses_are_renamed_consistently(name):
    text = (f'strategy {name} "d"\nparams\n    {name}: int = 2\n    lots: int = 1\n'
            f"ce = add(ATM, CE, SELL, lots)\nexit when spot > {name} * lots\n")
    if name in STATEMENT_WORDS:  # a statement's first word is the language's: refused, never renamed
        with pytest.raises(StratError) as info:
            compile_text(text, "n.strat")
        assert [d.code for d in info.value.diagnostics] == ["E0103"]
        return
    source, cls_name, _ = compile_text(text, "n.strat")
    assert_safe_module(source)
    assert compile_text(text, "n.strat")[0] == source  # the same file always gets the same names
    cls = load_strat_text(text, "n.strat")
    assert cls.__name__ == cls_name
    assert list(cls.parameters()) == [name, "lots"]
    s = cls(**{name: "3", "lots": "2"})
    assert s.params() == {name: 3, "lots": 2, "max_cycles": 1}
    if cls.PARAM_ATTRS:
        assert f"parameter {name!r} is self.{cls.PARAM_ATTRS[name]}" in source
        assert not hasattr(cls, name) or getattr(cls, name) != 2


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_leg_names_are_only_ever_keys(name):
    if name in STATEMENT_WORDS:
        return
    text = f'strategy s "d"\n{name} = add(ATM, CE, SELL)\nstop_loss {name} 30%\nexit when {name}.ltp > 100\n'
    source, _, _ = compile_text(text, "l.strat")
    assert_safe_module(source)
    assert f"{name!r}: self.add(" in source


def test_a_parameter_named_like_a_type_does_not_change_the_others():
    text = ('strategy s "d"\nparams\n    int: float = 1.5\n    float: int = 2\n    str: int = 3\n'
            "    lots: int = 1\nce = add(ATM, CE, SELL, lots)\nexit when spot > int * float * str\n")
    cls = load_strat_text(text, "s.strat")
    s = cls(lots="2", float="4", int="2.5")
    assert s.params() == {"int": 2.5, "float": 4, "str": 3, "lots": 2, "max_cycles": 1}
    assert type(s.params()["lots"]) is int


def test_strategy_names_that_are_python_words_get_a_class_name_that_is_not(tmp_path):
    names = {"none": "NoneStrategy", "true": "TrueStrategy", "false_": "FalseStrategy",
             "dsl_strategy": "DslStrategyStrategy", "straddle_920": "Straddle920"}
    for name, expected in names.items():
        _, cls_name, _ = compile_text(f'strategy {name} "d"\n{PARAMS}{BODY}', "x.strat")
        assert cls_name == expected


def test_leading_underscores_and_the_languages_words_stay_refused():
    for decl in ("    _x: int = 1", "    __class__: int = 1", "    spot: int = 1", "    others: int = 1",
                 "    true: int = 1", "    Mon: int = 1", "    max_cycles: int = 1"):
        with pytest.raises(StratError) as info:
            compile_text(f'strategy s "d"\nparams\n{decl}\n{BODY}', "s.strat")
        assert "E0103" in {d.code for d in info.value.diagnostics} or "E0101" in {d.code for d in info.value.diagnostics}


def test_running_a_file_with_a_hostile_name_creates_no_file(tmp_path, in_empty_dir, sample_source):
    from optbt.engine.loop import run_backtest
    folder = tmp_path / "strats"
    folder.mkdir()
    path = folder / 'x""";open("PWNED","w").write("pwned");""".strat'
    path.write_text(f'strategy p "d"\n{PARAMS}{BODY}', encoding="utf-8")
    before = set(folder.iterdir())
    result = run_backtest(load_strat(path), source=sample_source, start=date(2024, 1, 2), end=date(2024, 1, 2))
    assert result.trades is not None
    assert set(folder.iterdir()) == before and list(in_empty_dir.iterdir()) == []
    assert not Path("PWNED").exists() and not (folder / "PWNED").exists()
    assert not any(p.name == "PWNED" for p in Path(os.sep).glob("PWNED"))
