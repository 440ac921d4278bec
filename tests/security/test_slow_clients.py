"""Slow clients (finding 5): slowloris heads and slow bodies are cut at their deadline by
the protocol ``quyche serve`` runs (``service.slowclients.TimedH11Protocol``), against a
live server on 127.0.0.1, while a normal client is still served. The same clients against
uvicorn's plain protocol stay connected: the test can fail."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from quyche_rules.service.slowclients import (
    BODY_TIMEOUT_ENV,
    HEADER_TIMEOUT_ENV,
    TimedH11Protocol,
)

from .live import free_port, serving

HEADER_S, BODY_S = 1.0, 1.5


def _slowloris(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return s


def _slow_body(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(b"POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
              b"\r\nContent-Length: 2000\r\n\r\n{")  # fmt: skip
    return s


def _closed(s: socket.socket) -> bool:
    """Has the server closed ``s``? (readable with EOF, or reset)"""
    try:
        ready, _, _ = select.select([s], [], [], 0)
        if not ready:
            return False
        return s.recv(65536) == b"" or _closed(s)
    except OSError:
        return True


def _drip(socks: dict[str, list[socket.socket]], seconds: float) -> dict[str, int]:
    """Send one more byte on every open socket every 0.2 s for ``seconds``; return how
    many of each kind the server closed."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for kind, group in socks.items():
            for s in group:
                if _closed(s):
                    continue
                with contextlib.suppress(OSError):
                    s.sendall(b"X-Slow: 1\r\n" if kind == "slowloris" else b" ")
        time.sleep(0.2)
    return {kind: sum(_closed(s) for s in group) for kind, group in socks.items()}


def _attack(port: int, n_loris: int, n_body: int, seconds: float) -> dict[str, int]:
    socks = {
        "slowloris": [_slowloris(port) for _ in range(n_loris)],
        "slow body": [_slow_body(port) for _ in range(n_body)],
    }
    try:
        return _drip(socks, seconds)
    finally:
        for group in socks.values():
            for s in group:
                s.close()


def test_slow_clients_are_cut_and_others_served(
    sec_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HEADER_TIMEOUT_ENV, str(HEADER_S))
    monkeypatch.setenv(BODY_TIMEOUT_ENV, str(BODY_S))
    cfg: dict[str, Any] = {"http": TimedH11Protocol, "timeout_keep_alive": 1}
    with serving(sec_app, **cfg) as (host, port):
        start = time.monotonic()
        socks = {
            "slowloris": [_slowloris(port) for _ in range(20)],
            "slow body": [_slow_body(port) for _ in range(5)],
        }
        try:
            ok = httpx.get(f"http://{host}:{port}/healthz", timeout=5)
            closed = _drip(socks, BODY_S + HEADER_S + 1.0)
        finally:
            for group in socks.values():
                for s in group:
                    s.close()
        elapsed = time.monotonic() - start
    print(f"\nslow clients: closed {closed} of 20 slowloris + 5 slow-body in {elapsed:.1f} s")
    assert ok.status_code == 200
    assert closed == {"slowloris": 20, "slow body": 5}


def test_plain_uvicorn_keeps_them_open(sec_app: FastAPI) -> None:
    """The control: without the deadlines, the same clients are still connected."""
    with serving(sec_app, http=H11Protocol) as (_, port):
        closed = _attack(port, 3, 2, HEADER_S + BODY_S)
    assert closed == {"slowloris": 0, "slow body": 0}


def test_quyche_serve_runs_the_timed_protocol(tmp_path: Path) -> None:
    """``quyche serve --header-timeout`` reaches uvicorn's workers: a slowloris against the
    real command is cut, a normal request served."""
    exe = Path(sys.executable).parent / "quyche"
    port = free_port()
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--db", db, "--header-timeout", "1",
         "--body-timeout", "1"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        closed = _attack(port, 3, 2, 2.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    assert closed == {"slowloris": 3, "slow body": 2}
