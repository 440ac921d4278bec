"""Slow clients: a connection may not hold the server by sending its request slowly.

uvicorn bounds the idle time between two requests on a kept-alive connection
(``timeout_keep_alive``) and the size of a request head (``h11_max_incomplete_event_size``),
but not the time a client takes to send its head or its body: a "slowloris" client
sending one header byte every few seconds, or a body one byte at a time, holds its
connection (and, for a body, a request task) forever. ``TimedH11Protocol`` is uvicorn's own
h11 protocol with two deadlines more, measured from the request's first byte:

- ``QUYCHE_HEADER_TIMEOUT`` (default 10 s): the whole request head must arrive within it;
- ``QUYCHE_BODY_TIMEOUT`` (default 30 s): then the whole body (256 KiB at most by
  default: 70 kbit/s suffices).

Past a deadline the connection is closed; the application sees the client as gone. The
values come from the environment because uvicorn builds the protocol itself, in every
worker process; ``quyche serve`` sets them from its options. In production nginx in front
adds the same bounds per read (``client_header_timeout``, ``client_body_timeout``): see
``docs/security.md``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_ENV = "QUYCHE_HEADER_TIMEOUT"
BODY_TIMEOUT_ENV = "QUYCHE_BODY_TIMEOUT"
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0


def _seconds(var: str, default: float) -> float:
    try:
        value = float(os.environ.get(var, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline for reading each request's head and body."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = _seconds(HEADER_TIMEOUT_ENV, DEFAULT_HEADER_TIMEOUT)
        self.body_timeout = _seconds(BODY_TIMEOUT_ENV, DEFAULT_BODY_TIMEOUT)
        self._read_timer: asyncio.TimerHandle | None = None
        self._reading: str | None = None  # "head" or "body" while a deadline runs

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("head", self.header_timeout)  # a connection that never sends is slow too

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # idle until the next request: uvicorn's keep-alive timer
        self._watch()  # a pipelined request already started

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _watch(self) -> None:
        state = self.conn.their_state
        if state is h11.IDLE:
            if self._reading is None and self.conn.trailing_data[0]:
                self._arm("head", self.header_timeout)  # part of a next head has come
        elif state is h11.SEND_BODY:
            if self._reading != "body":
                self._arm("body", self.body_timeout)
        else:
            self._disarm()

    def _arm(self, what: str, seconds: float) -> None:
        self._disarm()
        self._reading = what
        self._read_timer = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
        self._read_timer = None
        self._reading = None

    def _too_slow(self) -> None:
        self._read_timer = None
        self._reading = None
        if not self.transport.is_closing():
            self.transport.close()
