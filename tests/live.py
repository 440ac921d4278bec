"""``quyche serve`` as a real process for the tests that need the process itself (the Java
client against the command operators run, a server killed with SIGKILL, the wheel installed
outside the checkout): started on 127.0.0.1 and a free port, polled until it answers, and
stopped when the block ends, whatever happened in it.

``tests/security/live.py`` is the in-thread variant, for tests that need real sockets but
not a process of their own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .security.live import free_port

#: the ``quyche`` command of the venv running the tests
QUYCHE = Path(sys.executable).with_name("quyche")


@dataclass(frozen=True)
class Served:
    base: str  # http://127.0.0.1:<port>, no trailing slash
    proc: subprocess.Popen[bytes]
    log: Path  # what the process wrote (stdout and stderr)


@contextmanager
def quyche_serve(
    *args: str,
    log: Path,
    command: Path = QUYCHE,
    probe: str = "/readyz",
    cwd: Path | None = None,
    start_timeout: float = 90.0,
) -> Iterator[Served]:
    """Run ``quyche serve --port <free> *args`` until the block ends.

    Ready is the first 200 from ``probe``; a process that exits first, or is not ready
    within ``start_timeout`` seconds, fails the test with the end of its log. At the end it
    gets SIGTERM (a graceful stop, as an operator's) and, 15 s later, SIGKILL to its whole
    process group; a test that already killed it is fine."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(command), "serve", "--port", str(port), *args],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                if httpx.get(base + probe, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"quyche serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield Served(base, proc, log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
