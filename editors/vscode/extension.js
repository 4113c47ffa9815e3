// The optbt extension: .strat highlighting comes from syntaxes/; everything else (diagnostics,
// hover, completion, go-to-definition, formatting) from the language server `optbt lsp`.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("optbt");
  const serverOptions = {
    command: config.get("lsp.command", "optbt"),
    args: config.get("lsp.args", ["lsp"]),
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "strat" },
      { scheme: "untitled", language: "strat" },
    ],
  };
  client = new LanguageClient("optbt", "optbt .strat language server", serverOptions, clientOptions);
  client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `optbt lsp did not start (${err.message}). Install it with: pip install "optbt[lsp]", ` +
        "or set optbt.lsp.command to the optbt of your virtual environment."
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
