"""A real HTTP receiver of webhooks on a free loopback port, shared by the webhook and walkthrough tests.

It records every POST and answers with the next queued status (200 when the queue is empty), after
`delay_s`; `wait_for(n)` blocks until `n` POSTs have arrived (for a worker running on its own thread).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WAIT_S = 60.0
"""How long `wait_for` waits before giving up: a bound for a broken worker, never a measured time."""


@dataclass
class Received:
    """One POST the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> Any:
        """The parsed JSON body."""
        return json.loads(self.body)

    def is_signed_with(self, secret: str) -> bool:
        """Check the signature header as a receiver would: HMAC-SHA256 of `<t>.<body>` under `secret`."""
        parts = dict(item.split("=", 1) for item in self.headers["X-Ctx-Signature"].split(","))
        expected = hmac.new(
            secret.encode(), f"{parts['t']}.".encode() + self.body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(parts["v1"], expected)


@dataclass
class Receiver:
    """The receiver's state: what it got, what it answers."""

    statuses: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    got: list[Received] = field(default_factory=list)
    port: int = 0
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str) -> str:
        """The URL of `path` on this receiver."""
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str) -> list[Received]:
        """The POSTs received on `path`."""
        return [r for r in self.got if r.path == path]

    def wait_for(self, count: int) -> list[Received]:
        """Block until at least `count` POSTs have arrived; return every POST. Fails after `WAIT_S`."""
        with self.arrived:
            arrived = self.arrived.wait_for(lambda: len(self.got) >= count, timeout=WAIT_S)
            assert arrived, f"expected {count} POSTs, got {len(self.got)}"
            return list(self.got)


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """Run a receiver on a free loopback port until the block ends."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.arrived:
                state.got.append(Received(self.path, dict(self.headers.items()), body))
                state.arrived.notify_all()
            time.sleep(state.delay_s)
            status = state.statuses.pop(0) if state.statuses else 200
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
