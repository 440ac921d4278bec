"""Several ``quyche serve`` instances on one database, and a load of mixed decisions
spread over them (the instances test and ``benchmarks/bench_instances.py``).

Clients come in pairs: both clients of a pair send the *same* tracker documents at the
same moment, one to each instance, so every document races itself across instances; the
other requests are ``POST /v1/notify`` decisions. Every answer's decision id is kept, so
that the database can be searched afterwards for each one.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

QUYCHE = str(Path(sys.executable).parent / "quyche")
NOTIFY = {
    "type": "coordination_requested",
    "date": "2025-03-03",
    "received_on": "2025-03-03",
    "requester": "Đảng ủy Khối",
    "requested": "Ban Tổ chức Tỉnh ủy",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def instances(db_url: str, count: int, *args: str, wait: float = 60.0) -> Iterator[list[str]]:
    """``count`` instances started at once on ``db_url`` (127.0.0.1, free ports); their
    base URLs once each answers ``/healthz``. Stopped (process group) on the way out."""
    procs: list[subprocess.Popen[bytes]] = []
    bases = []
    env = {**os.environ, "QUYCHE_DB": db_url}
    try:
        for _ in range(count):
            port = free_port()
            cmd = [QUYCHE, "serve", "--port", str(port), "--rate-per-minute", "0", *args]
            procs.append(
                subprocess.Popen(
                    cmd,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + wait
        for proc, base in zip(procs, bases, strict=True):
            while True:
                if proc.poll() is not None:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"{base}: quyche serve exited {proc.returncode}: {err}")
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{base}: not answering after {wait} s")
                time.sleep(0.1)
        yield bases
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@dataclass
class Load:
    """What the clients saw."""

    decisions: set[str] = field(default_factory=set)
    documents: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    #: per tracker document, the log positions the instances answered with
    seqs: dict[str, set[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_load(bases: list[str], key: str, *, clients: int, seconds: float, tag: str) -> Load:
    """``clients`` threads (an even number) for ``seconds``: pairs race each tracker
    document over two instances; between documents, notify decisions."""
    load = Load()
    stop = time.monotonic() + seconds
    barriers = [threading.Barrier(2) for _ in range(clients // 2)]

    def client(n: int) -> None:
        base = bases[n % len(bases)]
        pair, barrier = n // 2, barriers[n // 2]
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            k = 0
            while True:
                try:  # both of a pair stop together, after the same document
                    barrier.wait(timeout=60)
                except threading.BrokenBarrierError:
                    return
                if time.monotonic() > stop:
                    barrier.abort()
                    return
                k += 1
                ref = f"{tag}-{pair}-{k}/CV"
                doc = {**NOTIFY, "reference": ref}
                for path, body in (("/v1/track", doc), ("/v1/notify", NOTIFY)):
                    try:
                        r = http.post(path, json=body)
                    except httpx.HTTPError as exc:
                        with load.lock:
                            load.errors.append(f"{path}: {type(exc).__name__}")
                        continue
                    with load.lock:
                        load.requests += 1
                        if r.status_code != 200:
                            load.errors.append(f"{path}: HTTP {r.status_code} {r.text[:200]}")
                            continue
                        data = r.json()
                        load.decisions.add(data["receipt"]["decision_id"])
                        if path == "/v1/track":
                            load.documents.add(ref)
                            load.seqs.setdefault(ref, set()).add(data["record"]["seq"])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return load


def audit(db_url: str, load: Load, tag: str) -> tuple[int, int]:
    """(decisions answered but not in the log, tracker documents recorded more than
    once) for this load's ``tag``."""
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            logged = {
                r[0] for r in conn.execute(sa.text("SELECT decision_id FROM service_decisions"))
            }
            rows = conn.execute(
                sa.text(
                    "SELECT reference, count(*) FROM tracker_records "
                    "WHERE reference LIKE :p GROUP BY reference"
                ),
                {"p": f"{tag}-%"},
            ).all()
    finally:
        engine.dispose()
    lost = len(load.decisions - logged)
    duplicates = sum(n - 1 for _, n in rows if n > 1)
    return lost, duplicates
