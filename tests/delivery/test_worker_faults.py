"""Fault tests of the delivery worker against a local receiver this test controls: down for
a while, answering 500, answering after the timeout, the worker SIGKILLed mid-delivery,
two workers at once. Every message arrives at least once, none is lost, every duplicate
carries the same webhook-id, every signature verifies (the receiver side of
standardwebhooks). Each test is bounded in time and prints its counts."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from quyche_rules.db.delivery_tables import outbox
from quyche_rules.delivery.outbox import DEAD
from quyche_rules.delivery.queue import Backoff, counts, redrive
from quyche_rules.delivery.subscriptions import subscribe
from quyche_rules.delivery.worker import Stats, Worker
from quyche_rules.tracker import Tracker
from quyche_rules.tracker.store import Store

from ..tracker.events import REQUESTED, REQUESTER, request
from .receiver import Receiver, dump

FAST = Backoff(base=0.02, cap=0.2)


def queue(t: Tracker, receiver: Receiver, n: int = 10) -> set[str]:
    """Subscribe both bodies to the receiver and record ``n`` requests: 2n messages."""
    for party in (REQUESTER, REQUESTED):
        sub = subscribe(t.store.engine, party=party, url=f"{receiver.url}/{party}")
        receiver.secrets[f"/{party}"] = sub.secret
    t.record_many([request(f"{i}/CV", "2026-01-05") for i in range(n)])
    with t.store.engine.connect() as c:
        return set(c.execute(sa.select(outbox.c.message_id)).scalars())


def drain(worker: Worker, engine: sa.Engine, seconds: float = 20.0) -> Stats:
    """Run passes until nothing is pending (bounded)."""
    total = Stats()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s = worker.run_once(do_sweep=False)
        total.sent += s.sent
        total.retried += s.retried
        total.dead += s.dead
        if counts(engine)["pending"] == 0:
            return total
        time.sleep(0.05)
    raise AssertionError(f"still pending after {seconds}s: {counts(engine)}")


def report(name: str, receiver: Receiver, expected: set[str], stats: Stats,
           engine: sa.Engine) -> dict[str, int]:  # fmt: skip
    got = receiver.check(expected)
    got.update(sent=stats.sent, retried=stats.retried, dead_lettered=stats.dead)
    dump(name, got)
    assert got["lost"] == 0 and got["bad_signatures"] == 0 and got["unexpected"] == 0
    assert counts(engine) == {"pending": 0, "delivered": len(expected), "dead": 0}
    return got


def test_receiver_down_for_a_while(tracker: Tracker, receiver: Receiver) -> None:
    expected = queue(tracker, receiver)
    w = Worker(tracker.store, timeout=1, backoff=FAST)
    first = w.run_once(do_sweep=False)  # nobody listens: every attempt fails, none is lost
    assert first.sent == 0 and first.retried == len(expected)
    receiver.start()
    stats = drain(w, tracker.store.engine)
    stats.retried += first.retried
    got = report("receiver down", receiver, expected, stats, tracker.store.engine)
    assert got["duplicates"] == 0
    w.close()


def test_receiver_answers_500(tracker: Tracker, receiver: Receiver) -> None:
    expected = queue(tracker, receiver)
    receiver.fail_first = 7
    receiver.start()
    w = Worker(tracker.store, timeout=1, backoff=FAST)
    stats = drain(w, tracker.store.engine)
    got = report("500s", receiver, expected, stats, tracker.store.engine)
    assert stats.retried == 7 and got["duplicates"] == 0
    w.close()


def test_receiver_answers_after_the_timeout(tracker: Tracker, receiver: Receiver) -> None:
    """A slow receiver did get the message: the retry is a duplicate with the same id."""
    expected = queue(tracker, receiver, n=3)
    receiver.slow_first, receiver.slow_seconds = 2, 0.6
    receiver.start()
    w = Worker(tracker.store, timeout=0.25, backoff=FAST)
    stats = drain(w, tracker.store.engine)
    time.sleep(0.7)  # let the slow handlers finish recording
    got = report("slow past timeout", receiver, expected, stats, tracker.store.engine)
    assert stats.retried == 2 and got["duplicates"] == 2


def test_dead_letter_then_redrive(tracker: Tracker, receiver: Receiver) -> None:
    expected = queue(tracker, receiver, n=1)
    w = Worker(tracker.store, timeout=0.5,
               backoff=Backoff(base=0.01, cap=0.02, dead_after=dt.timedelta(0)))  # fmt: skip
    stats = w.run_once(do_sweep=False)
    assert stats.dead == len(expected)
    assert counts(tracker.store.engine)["dead"] == len(expected)
    receiver.start()
    assert redrive(tracker.store.engine, dt.datetime.now(dt.UTC)) == len(expected)
    stats = drain(Worker(tracker.store, timeout=1, backoff=FAST), tracker.store.engine)
    stats.dead = len(expected)
    report("dead letter + redrive", receiver, expected, stats, tracker.store.engine)


_CHILD = """
import datetime as dt, sys
from quyche_rules.delivery.worker import Worker
from quyche_rules.tracker.store import Store
w = Worker(Store(sys.argv[1]), timeout=30, batch=5, lease=dt.timedelta(seconds=1))
w.run_once(do_sweep=False)
"""


def test_worker_sigkilled_mid_delivery(tracker: Tracker, receiver: Receiver,
                                       db_url: str) -> None:  # fmt: skip
    expected = queue(tracker, receiver, n=5)
    receiver.slow_first, receiver.slow_seconds = 1, 0.5
    receiver.start()
    child = subprocess.Popen([sys.executable, "-c", _CHILD, db_url])
    end = time.monotonic() + 20
    while receiver.attempts < 1:  # the child is inside its first POST
        assert time.monotonic() < end and child.poll() is None
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    assert counts(tracker.store.engine)["pending"] == len(expected)  # nothing settled
    # its claims lapse after the lease; another worker then delivers everything
    stats = drain(Worker(tracker.store, timeout=2, backoff=FAST), tracker.store.engine)
    time.sleep(0.6)  # let the killed child's slow request finish recording
    got = report("SIGKILL mid-delivery", receiver, expected, stats, tracker.store.engine)
    assert got["duplicates"] <= 1  # at most the one the child was sending


def test_two_workers_at_once(tracker: Tracker, receiver: Receiver, db_url: str) -> None:
    expected = queue(tracker, receiver, n=20)
    receiver.slow_first, receiver.slow_seconds = 10**6, 0.01  # each answer takes 10 ms
    receiver.start()
    results: list[Stats] = []
    stores = [Store(db_url), Store(db_url)]

    def run(store: Store) -> None:
        results.append(drain(Worker(store, timeout=5, batch=3, backoff=FAST), store.engine))

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    total = Stats(sent=sum(r.sent for r in results), retried=sum(r.retried for r in results))
    got = report("two workers", receiver, expected, total, tracker.store.engine)
    assert got["duplicates"] == 0 and total.sent == len(expected)
    assert all(r.sent > 0 for r in results)  # both took part
    for s in stores:
        s.close()


def test_signature_headers_verify_and_differ_per_secret(tmp_path: Path) -> None:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    from quyche_rules.delivery.subscriptions import new_secret
    from quyche_rules.delivery.worker import signed_headers

    a, b = new_secret(), new_secret()
    h = signed_headers("msg_1", a, '{"x":1}', dt.datetime.now(dt.UTC))
    assert Webhook(a).verify('{"x":1}', h) == {"x": 1}
    try:
        Webhook(b).verify('{"x":1}', h)
    except WebhookVerificationError:
        pass
    else:
        raise AssertionError("a wrong secret verified")
    assert DEAD == "dead"
