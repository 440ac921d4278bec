"""Delivery speed: what the outbox adds to each tracker record, and messages per second
delivered to a local receiver. Printed, never asserted (a shared machine's timings).

    python benchmarks/bench_delivery.py [--n 300] [--messages 500] [--mails 200]

1. Outbox write overhead: the same N requests recorded one per transaction
   (``Tracker.record``, SQLite file, synchronous=FULL) by a tracker without the outbox
   hook and by one with it and two subscriptions (both bodies: two messages per record,
   written in the record's transaction). Same run, same machine: the ratio is the cost.
   The import path (``record_many``, one transaction per 100) is measured the same way,
   where the hook's own work is not hidden behind the fsync.
2. Delivery: M messages queued, one worker, a local receiver (ThreadingHTTPServer on
   127.0.0.1) that verifies each signature with ``standardwebhooks``: messages per second,
   against the same receiver fed the same signed POSTs by a bare httpx loop (the floor).
3. E-mail: M messages to a ``mailto:`` subscription, one worker, a local SMTP server
   (aiosmtpd on 127.0.0.1): messages per second, against the same composed e-mails handed
   to the same server by a bare smtplib loop, one connection per mail as the worker does
   (the floor), and by one reused connection (what batching connections would gain).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quyche_rules.delivery.mail import compose
from quyche_rules.delivery.outbox import attach
from quyche_rules.delivery.queue import claim
from quyche_rules.delivery.subscriptions import subscribe
from quyche_rules.delivery.worker import Worker, signed_headers
from quyche_rules.engine.engine import Engine
from quyche_rules.tracker import Tracker
from tests.delivery.receiver import Receiver
from tests.delivery.smtp_server import Server
from tests.tracker.events import REQUESTED, REQUESTER, request


def record_loop(tracker: Tracker, n: int, tag: str) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        tracker.record(request(f"{tag}{i}/CV", "2026-01-05"))
    return time.perf_counter() - t0


def import_loop(tracker: Tracker, n: int, tag: str) -> float:
    batch = [request(f"{tag}{i}/CV", "2026-01-05") for i in range(n)]
    t0 = time.perf_counter()
    for i in range(0, n, 100):
        tracker.record_many(batch[i : i + 100])
    return time.perf_counter() - t0


def overhead(n: int, engine: Engine, tmp: Path) -> None:
    plain = Tracker(str(tmp / "plain.db"), engine=engine)
    hooked = attach(Tracker(str(tmp / "hooked.db"), engine=engine))
    for party in (REQUESTER, REQUESTED):
        subscribe(hooked.store.engine, party=party, url="http://127.0.0.1:9/x")
    record_loop(plain, 20, "warm")
    record_loop(hooked, 20, "warm")
    for name, loop in (("record (1 tx each)", record_loop), ("import (100 per tx)", import_loop)):
        a = loop(plain, n, name[:3])
        b = loop(hooked, n, name[:3])
        print(f"outbox overhead, {name}: without {a / n * 1000:.2f} ms/record, with "
              f"{b / n * 1000:.2f} ms/record (+{(b - a) / n * 1000:.2f} ms, "
              f"ratio {b / a:.2f}x; 2 messages per record)")  # fmt: skip
    plain.close()
    hooked.close()


def throughput(m: int, engine: Engine, tmp: Path) -> None:
    t = attach(Tracker(str(tmp / "deliver.db"), engine=engine))
    rec = Receiver().start()
    for party in (REQUESTER, REQUESTED):
        sub = subscribe(t.store.engine, party=party, url=f"{rec.url}/{party}")
        rec.secrets[f"/{party}"] = sub.secret
    t.record_many([request(f"{i}/CV", "2026-01-05") for i in range(m // 2)])
    # the floor: the same signed POSTs, read from the outbox first, sent by a bare loop
    msgs = claim(t.store.engine, "bench", _now(), limit=m)
    with httpx.Client() as client:
        t0 = time.perf_counter()
        for msg in msgs:
            headers = signed_headers(msg.message_id, msg.secret, msg.payload, _now())
            client.post(msg.url, content=msg.payload.encode(), headers=headers)
        bare = time.perf_counter() - t0
    with t.store.engine.begin() as conn:  # release the claims for the worker
        from quyche_rules.db.delivery_tables import outbox

        conn.execute(outbox.update().values(lease_until=None, lease_owner=None))
    w = Worker(t.store, timeout=5, batch=50)
    t0 = time.perf_counter()
    stats = w.run_once(do_sweep=False)
    took = time.perf_counter() - t0
    print(
        f"delivery: {stats.sent} messages in {took:.2f} s = {stats.sent / took:.0f} msg/s "
        f"by the worker; bare signed POST loop {len(msgs) / bare:.0f} msg/s; ratio "
        f"{took / bare:.2f}x (the worker also claims and settles them in the database)"
    )
    w.close()
    rec.stop()
    t.close()


def mail_throughput(m: int, engine: Engine, tmp: Path) -> None:
    import smtplib

    t = attach(Tracker(str(tmp / "mail.db"), engine=engine))
    server = Server()
    server.start()
    settings = server.settings(timeout=5)
    subscribe(t.store.engine, party=REQUESTED, url="mailto:vanthu@bannoichinh.example.vn")
    t.record_many([request(f"m{i}/CV", "2026-01-05") for i in range(m)])
    msgs = claim(t.store.engine, "bench", _now(), limit=m)
    mails = [compose(x.message_id, "vanthu@bannoichinh.example.vn", x.payload, settings, _now())
             for x in msgs]  # fmt: skip
    t0 = time.perf_counter()
    for mail in mails:
        with smtplib.SMTP(settings.host, settings.port, timeout=5) as s:
            s.send_message(mail)
    bare = time.perf_counter() - t0
    t0 = time.perf_counter()
    with smtplib.SMTP(settings.host, settings.port, timeout=5) as s:
        for mail in mails:
            s.send_message(mail)
    reused = time.perf_counter() - t0
    with t.store.engine.begin() as conn:  # release the claims for the worker
        from quyche_rules.db.delivery_tables import outbox

        conn.execute(outbox.update().values(lease_until=None, lease_owner=None))
    w = Worker(t.store, timeout=5, batch=50, smtp=settings)
    t0 = time.perf_counter()
    stats = w.run_once(do_sweep=False)
    took = time.perf_counter() - t0
    print(
        f"e-mail: {stats.sent} messages in {took:.2f} s = {stats.sent / took:.0f} msg/s by "
        f"the worker; bare smtplib loop {len(mails) / bare:.0f} msg/s (ratio "
        f"{took / bare:.2f}x), one reused connection {len(mails) / reused:.0f} msg/s "
        f"(ratio {took / reused:.2f}x)"
    )
    w.close()
    server.stop()
    t.close()


def _now():  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--messages", type=int, default=500)
    ap.add_argument("--mails", type=int, default=200)
    args = ap.parse_args()
    engine = Engine(backend="python")
    with tempfile.TemporaryDirectory() as d:
        overhead(args.n, engine, Path(d))
        throughput(args.messages, engine, Path(d))
        mail_throughput(args.mails, engine, Path(d))


if __name__ == "__main__":
    main()
