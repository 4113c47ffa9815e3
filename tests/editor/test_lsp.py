"""The real language server, spawned as ``python -m optbt lsp`` and spoken to in LSP messages over
stdio, as an editor does. One server for the module keeps it quick."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from optbt.cli.app import _register_all, app
from tests.editor.lsp_client import StdioClient

URI = "file:///work/demo.strat"
BROKEN = 'strategy demo "test"\nce = add(ATM, CE, SELL)\nstop_loss ce 30\nexit at 15:15\n'
FIXED = 'strategy demo "test"\nce = add(ATM, CE, SELL)\nstop_loss ce 30%\nexit at 15:15\n'


@pytest.fixture(scope="module")
def server():
    client = StdioClient()
    result = client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    client.notify("initialized", {})
    client.capabilities = result["capabilities"]
    yield client
    assert client.close() == 0


def open_doc(server, uri: str, text: str) -> dict:
    server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "strat", "version": 1,
                                                            "text": text}})
    return server.wait_for("textDocument/publishDiagnostics")


def at(uri: str, line: int, character: int) -> dict:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


def test_initialize_advertises_the_features(server):
    caps = server.capabilities
    assert caps["hoverProvider"] and caps["definitionProvider"] and caps["documentFormattingProvider"]
    assert "." in caps["completionProvider"]["triggerCharacters"]


def test_opening_a_file_with_an_error_publishes_it_with_code_and_range(server):
    published = open_doc(server, URI, BROKEN)
    assert published["uri"] == URI
    [d] = published["diagnostics"]
    assert (d["code"], d["severity"], d["source"]) == ("E0302", 1, "optbt")
    assert d["range"] == {"start": {"line": 2, "character": 13}, "end": {"line": 2, "character": 15}}


def test_a_change_that_fixes_the_error_clears_the_diagnostics(server):
    uri = "file:///work/fixing.strat"
    assert len(open_doc(server, uri, BROKEN)["diagnostics"]) == 1
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": FIXED}]})
    assert server.wait_for("textDocument/publishDiagnostics")["diagnostics"] == []


def test_positions_are_utf16_code_units(server):
    # the emoji is one character but two UTF-16 units: 'extra' starts at character 15, unit 16
    published = open_doc(server, "file:///work/emoji.strat", 'strategy s "\U0001F4C8" extra\n')
    assert published["diagnostics"][0]["range"]["start"] == {"line": 0, "character": 16}


def test_hover_on_a_keyword(server):
    open_doc(server, URI, FIXED)
    result = server.request("textDocument/hover", at(URI, 2, 3))
    assert result["contents"]["kind"] == "markdown"
    assert result["contents"]["value"].startswith("`stop_loss each leg 30%`")
    assert result["range"] == {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 9}}


def test_completion_of_leg_attributes(server):
    uri = "file:///work/typing.strat"
    open_doc(server, uri, FIXED + "exit when ce.")
    result = server.request("textDocument/completion", at(uri, 4, 13))
    assert [i["label"] for i in result["items"]] == ["ltp", "entry_price", "pnl", "reentries", "status", "iv", "delta", "gamma", "theta",
                                                     "vega"]
    assert {i["kind"] for i in result["items"]} == {10}  # CompletionItemKind.Property


def test_definition_of_a_leg(server):
    open_doc(server, URI, FIXED)
    result = server.request("textDocument/definition", at(URI, 2, 11))
    assert result == {"uri": URI, "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 2}}}


def test_formatting_is_one_whole_document_edit(server):
    uri = "file:///work/messy.strat"
    open_doc(server, uri, 'strategy s "x"\nce=add(ATM,CE,SELL)\nexit at 15:15\n')
    edits = server.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                       "options": {"tabSize": 4, "insertSpaces": True}})
    assert edits == [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 3, "character": 0}},
                      "newText": 'strategy s "x"\n\nce = add(ATM, CE, SELL)\n\nexit at 15:15\n'}]


def test_no_formatting_edit_while_the_document_has_a_syntax_error(server):
    uri = "file:///work/half.strat"
    open_doc(server, uri, 'strategy s "x"\nce = add(ATM, CE\n')
    assert server.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                      "options": {"tabSize": 4, "insertSpaces": True}}) == []


# -- the command without the extra ------------------------------------------------------------------
def test_without_pygls_the_command_says_what_to_install(monkeypatch):
    for name in ("pygls", "pygls.lsp", "pygls.lsp.server", "lsprotocol", "lsprotocol.types"):
        monkeypatch.setitem(sys.modules, name, None)  # import of these now fails
    _register_all()
    res = CliRunner().invoke(app, ["lsp"])
    assert res.exit_code == 2
    assert res.stderr.strip() == 'error: optbt lsp needs pygls: pip install "optbt[lsp]"'


def test_the_command_line_loads_without_importing_pygls():
    code = "import sys; from optbt.cli.app import _register_all; _register_all(); print('pygls' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_kind_of_completion_has_an_lsp_kind():
    from lsprotocol.types import CompletionItemKind

    from optbt.cli.lsp import _KINDS
    from optbt.dsl import glossary
    kinds = set(glossary.KINDS.values()) | {"parameter", "leg", "attribute", "keyword"}
    assert kinds <= set(_KINDS)
    assert all(hasattr(CompletionItemKind, name) for name in _KINDS.values())
