"""A webhook receiver the fault tests control: it listens on 127.0.0.1, verifies every
signature with the receiver side of ``standardwebhooks``, records what arrived, and can be
down (not listening), answer 500, or answer after the sender's timeout."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook

from .faults import Faults


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Receiver(Faults):
    """``fail_first``, ``slow_first``, ``slow_seconds``: the shared fault plan (``Faults``);
    a refused attempt is answered 500."""

    secrets: dict[str, str] = field(default_factory=dict)  # path → whsec
    port: int = field(default_factory=free_port)
    arrived: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (id, payload)
    bad_signatures: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Receiver:
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                wait, refuse = rec.attempt()
                time.sleep(wait)
                if refuse:
                    self.send_response(500)
                    self.end_headers()
                    return
                try:
                    payload = Webhook(rec.secrets[self.path]).verify(body, dict(self.headers))
                except Exception:
                    with rec._lock:
                        rec.bad_signatures += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                with rec._lock:
                    rec.arrived.append((self.headers["webhook-id"], payload))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> Counter[str]:
        with self._lock:
            return Counter(mid for mid, _ in self.arrived)

    def check(self, expected: set[str]) -> dict[str, int]:
        """Every expected message arrived at least once, each duplicate under the same
        webhook-id (payloads carry their id: a duplicate is the same message), signatures
        all verified. Returns the counts the tests print."""
        ids = self.ids()
        with self._lock:
            for mid, payload in self.arrived:
                assert payload["message_id"] == mid, (mid, payload["message_id"])
        lost = expected - set(ids)
        return {
            "expected": len(expected),
            "received": sum(ids.values()),
            "duplicates": sum(n - 1 for n in ids.values()),
            "lost": len(lost),
            "bad_signatures": self.bad_signatures,
            "unexpected": len(set(ids) - expected),
        }


def dump(name: str, counts: dict[str, Any]) -> None:
    print(f"\n[delivery] {name}: {json.dumps(counts, sort_keys=True)}")
