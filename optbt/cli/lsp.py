"""``optbt lsp``: the .strat language server for editors, on stdin/stdout.

A thin shell over :mod:`optbt.dsl.ide`: it keeps the open documents (pygls does), converts
positions between the client's units (UTF-16 by default) and characters, and turns the
pure answers into LSP types. pygls is an optional extra (``pip install "optbt[lsp]"``), so it
is imported only when the server starts, never when the command line loads.
"""

from __future__ import annotations

import typer

MISSING = 'optbt lsp needs pygls: pip install "optbt[lsp]"'
_KINDS = {"statement": "Keyword", "keyword": "Keyword", "value": "EnumMember", "type": "TypeParameter",
          "builtin": "Variable", "unit": "Unit", "parameter": "Constant", "leg": "Field", "attribute": "Property",
          "function": "Function"}


def register(app: typer.Typer) -> None:
    @app.command("lsp")
    def lsp(
        stdio: bool = typer.Option(False, "--stdio", help="talk over stdin/stdout: the only transport, so this "
                                   "changes nothing (editors pass it)"),
    ) -> None:
        """Run the .strat language server on stdin/stdout, for editors (see editors/vscode).

        Example: optbt lsp  (an editor starts it for *.strat files; needs pip install "optbt\\[lsp]")
        """
        try:
            server = build_server()
        except ImportError:
            typer.secho(f"error: {MISSING}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from None
        server.start_io()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("optbt")
    except PackageNotFoundError:  # a checkout on sys.path, not installed
        return "unknown"


def build_server():
    """The pygls server with every feature registered (raises ImportError without pygls)."""
    from lsprotocol import types as T
    from pygls.lsp.server import LanguageServer

    from optbt.dsl import ide

    server = LanguageServer("optbt", _version())

    def to_range(doc, r: ide.Range) -> T.Range:
        """Characters -> client units (a line past the end, as in the whole-document edit, stays)."""
        return doc.range_to_client_units(T.Range(T.Position(r.line, r.start), T.Position(r.end_line, r.end)))

    def position(doc, pos: T.Position) -> tuple[int, int]:
        p = doc.position_from_client_units(pos)
        return p.line, p.character

    def publish(uri: str) -> None:
        doc = server.workspace.get_text_document(uri)
        severity = {"error": T.DiagnosticSeverity.Error, "warning": T.DiagnosticSeverity.Warning}
        found = [T.Diagnostic(range=to_range(doc, d.range), message=d.message, severity=severity[d.severity],
                              code=d.code, source="optbt") for d in ide.diagnostics(doc.source)]
        server.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=found,
                                                                            version=doc.version))

    @server.feature(T.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls, params: T.DidOpenTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls, params: T.DidChangeTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: T.DidCloseTextDocumentParams) -> None:
        server.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                            diagnostics=[]))

    @server.feature(T.TEXT_DOCUMENT_HOVER)
    def hover(ls, params: T.HoverParams) -> T.Hover | None:
        doc = server.workspace.get_text_document(params.text_document.uri)
        found = ide.hover(doc.source, *position(doc, params.position))
        if found is None:
            return None
        return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=found.markdown),
                       range=to_range(doc, found.range))

    @server.feature(T.TEXT_DOCUMENT_COMPLETION, T.CompletionOptions(trigger_characters=[".", "("]))
    def completion(ls, params: T.CompletionParams) -> T.CompletionList:
        doc = server.workspace.get_text_document(params.text_document.uri)
        items = [T.CompletionItem(label=c.label, kind=getattr(T.CompletionItemKind, _KINDS[c.kind]),
                                  detail=c.detail or None,
                                  documentation=T.MarkupContent(kind=T.MarkupKind.Markdown, value=c.documentation)
                                  if c.documentation else None)
                 for c in ide.completions(doc.source, *position(doc, params.position))]
        return T.CompletionList(is_incomplete=False, items=items)

    @server.feature(T.TEXT_DOCUMENT_DEFINITION)
    def definition(ls, params: T.DefinitionParams) -> T.Location | None:
        doc = server.workspace.get_text_document(params.text_document.uri)
        found = ide.definition(doc.source, *position(doc, params.position))
        return None if found is None else T.Location(uri=doc.uri, range=to_range(doc, found))

    @server.feature(T.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls, params: T.DocumentFormattingParams) -> list[T.TextEdit]:
        doc = server.workspace.get_text_document(params.text_document.uri)
        return [T.TextEdit(range=to_range(doc, e.range), new_text=e.new_text) for e in ide.format_document(doc.source)]

    return server
