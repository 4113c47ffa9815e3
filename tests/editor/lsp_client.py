"""A minimal LSP client for tests: spawns ``python -m optbt lsp`` and speaks JSON-RPC over its
stdin/stdout with Content-Length framing, as an editor would."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class StdioClient:
    def __init__(self, timeout: float = 20.0):
        self.timeout = timeout
        self.proc = subprocess.Popen([sys.executable, "-m", "optbt", "lsp"], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.messages: queue.Queue = queue.Queue()
        self.notifications: list[dict] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.decode("ascii").strip()
                if not line:
                    break
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            body = out.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.proc.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.proc.stdin.flush()

    def _next(self) -> dict:
        message = self.messages.get(timeout=self.timeout)
        if message is None:
            raise RuntimeError("the server closed its output: " + self.proc.stderr.read().decode())
        return message

    def request(self, method: str, params) -> object:
        self._next_id += 1
        wanted = self._next_id
        self._send({"id": wanted, "method": method, "params": params})
        while True:
            message = self._next()
            if message.get("id") == wanted and "method" not in message:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message["result"]
            if "method" in message:
                self.notifications.append(message)

    def notify(self, method: str, params) -> None:
        self._send({"method": method, "params": params})

    def wait_for(self, method: str) -> dict:
        """The next notification of this method (earlier ones seen are consumed first)."""
        for i, n in enumerate(self.notifications):
            if n["method"] == method:
                return self.notifications.pop(i)["params"]
        while True:
            message = self._next()
            if message.get("method") == method:
                return message["params"]
            if "method" in message:
                self.notifications.append(message)

    def close(self) -> int:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            return self.proc.wait(timeout=self.timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                stream.close()
