"""E-mail delivery against a real local SMTP server (aiosmtpd) this test controls: delivered
with a Vietnamese subject and text (English below, dates dd/mm/yyyy), the server down then
up (retried, none lost), answering after the timeout (a duplicate, the same Message-ID),
refusing the recipient (a dead letter at once, re-drivable). Each test is bounded and
prints its counts."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from quyche_rules.db.delivery_tables import outbox
from quyche_rules.delivery.mail import SmtpSettings
from quyche_rules.delivery.outbox import attach
from quyche_rules.delivery.queue import Backoff, counts, listing, redrive
from quyche_rules.delivery.subscriptions import DeliveryError, subscribe
from quyche_rules.delivery.worker import Stats, Worker
from quyche_rules.engine.engine import Engine
from quyche_rules.tracker import Tracker

from ..tracker.events import REQUESTED, request
from .receiver import dump
from .smtp_server import Server

FAST = Backoff(base=0.02, cap=0.2)
CLERK = "vanthu@bannoichinh.example.vn"


@pytest.fixture
def smtp() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def mail_tracker(tmp_path: Path, py_engine: Engine) -> Iterator[Tracker]:
    t = attach(Tracker(str(tmp_path / "mail.db"), engine=py_engine))
    yield t
    t.close()


def queue(t: Tracker, n: int) -> set[str]:
    """The requested body's clerk subscribed by e-mail; ``n`` requests: n messages."""
    subscribe(t.store.engine, party=REQUESTED, url=f"mailto:{CLERK}")
    t.record_many([request(f"{i}-CV/ĐUK", "2026-01-05") for i in range(n)])
    with t.store.engine.connect() as c:
        return set(c.execute(sa.select(outbox.c.message_id)).scalars())


def drain(w: Worker, engine: sa.Engine, seconds: float = 15.0) -> Stats:
    total = Stats()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s = w.run_once(do_sweep=False)
        total.sent += s.sent
        total.retried += s.retried
        total.dead += s.dead
        if counts(engine)["pending"] == 0:
            return total
        time.sleep(0.05)
    raise AssertionError(f"still pending after {seconds}s: {counts(engine)}")


def test_an_e_mail_in_vietnamese_with_a_stable_message_id(
    mail_tracker: Tracker, smtp: Server
) -> None:
    (mid,) = queue(mail_tracker, 1)
    smtp.start()
    w = Worker(mail_tracker.store, smtp=smtp.settings(), backoff=FAST)
    assert w.run_once(do_sweep=False).sent == 1
    (mail,) = smtp.inbox.mails
    assert mail["Message-ID"] == f"<{mid}@quyche-rules>" and mail["To"] == CLERK
    assert mail["Auto-Submitted"] == "auto-generated"
    assert str(mail["Subject"]) == (
        "[Phối hợp] Nghĩa vụ mới: văn bản 0-CV/ĐUK, hạn 13/01/2026 / New obligation"
    )
    text = mail.get_content()
    assert text.startswith("Nghĩa vụ mới (art3.1.respond): ")
    for line in (
        "Văn bản: 0-CV/ĐUK",
        "Hạn: 13/01/2026",
        "Căn cứ: art3.1.respond",
        f"Mã thư: {mid}",
        "New obligation: document 0-CV/ĐUK, due 13/01/2026",
    ):
        assert line in text
    assert text.index("Hạn: 13/01/2026") < text.index("-- English --")
    assert "2026-01-13" not in text  # dates for people, never ISO
    assert counts(mail_tracker.store.engine) == {"pending": 0, "delivered": 1, "dead": 0}
    w.close()


def test_server_down_then_up_none_lost(mail_tracker: Tracker, smtp: Server) -> None:
    expected = queue(mail_tracker, 8)
    w = Worker(mail_tracker.store, smtp=smtp.settings(), backoff=FAST)
    first = w.run_once(do_sweep=False)  # nothing listens on the port yet
    assert first.sent == 0 and first.retried == len(expected)
    assert {d["last_error"] for d in listing(mail_tracker.store.engine)} == {
        "SMTP ConnectionRefusedError"
    }
    smtp.start()
    stats = drain(w, mail_tracker.store.engine)
    got = smtp.inbox.count(expected)
    got.update(sent=stats.sent, retried=first.retried + stats.retried, dead_lettered=stats.dead)
    dump("e-mail: server down, then up", got)
    assert got["lost"] == got["duplicates"] == got["unexpected"] == 0
    assert counts(mail_tracker.store.engine) == {"pending": 0, "delivered": 8, "dead": 0}
    w.close()


def test_a_451_is_retried_and_none_lost(mail_tracker: Tracker, smtp: Server) -> None:
    """A temporary refusal (451) is retried: the message arrives once, later."""
    expected = queue(mail_tracker, 3)
    smtp.inbox.fail_first = 2
    smtp.start()
    w = Worker(mail_tracker.store, smtp=smtp.settings(), backoff=FAST)
    stats = drain(w, mail_tracker.store.engine)
    got = smtp.inbox.count(expected)
    got.update(sent=stats.sent, retried=stats.retried, dead_lettered=stats.dead)
    dump("e-mail: 451 twice", got)
    assert got["lost"] == got["duplicates"] == got["unexpected"] == 0
    assert stats.retried == 2 and smtp.inbox.attempts == 5
    w.close()


def test_answer_after_the_timeout_is_a_duplicate_with_the_same_message_id(
    mail_tracker: Tracker, smtp: Server
) -> None:
    expected = queue(mail_tracker, 3)
    smtp.inbox.slow_first, smtp.inbox.slow_seconds = 1, 1.5
    smtp.start()
    w = Worker(mail_tracker.store, smtp=smtp.settings(timeout=0.5), backoff=FAST)
    stats = drain(w, mail_tracker.store.engine)
    time.sleep(1.2)  # let the slow answer finish
    got = smtp.inbox.count(expected)
    got.update(sent=stats.sent, retried=stats.retried, dead_lettered=stats.dead)
    dump("e-mail: answered after the timeout", got)
    assert got["lost"] == 0 and got["duplicates"] == 1 and stats.retried == 1
    w.close()


def test_a_refused_recipient_is_a_dead_letter_at_once(mail_tracker: Tracker, smtp: Server) -> None:
    expected = queue(mail_tracker, 2)
    smtp.inbox.refuse.add(CLERK)
    smtp.start()
    w = Worker(mail_tracker.store, smtp=smtp.settings(), backoff=FAST)
    stats = w.run_once(do_sweep=False)
    e = mail_tracker.store.engine
    assert (stats.sent, stats.dead) == (0, 2)
    assert counts(e) == {"pending": 0, "delivered": 0, "dead": 2}
    assert {d["last_error"] for d in listing(e, status="dead")} == {"SMTP 550: recipient refused"}
    # the address fixed on the server's side: re-driven, delivered
    smtp.inbox.refuse.clear()
    assert redrive(e, dt.datetime.now(dt.UTC)) == 2
    again = drain(w, e)
    got = smtp.inbox.count(expected)
    got.update(sent=again.sent, retried=0, dead_lettered=stats.dead)
    dump("e-mail: recipient refused, re-driven", got)
    assert got["lost"] == 0 and counts(e)["delivered"] == 2
    w.close()


def test_mail_settings_and_addresses_are_checked_in_one_line(mail_tracker: Tracker) -> None:
    assert SmtpSettings.from_env({}) is None
    s = SmtpSettings.from_env({"QUYCHE_SMTP_HOST": "smtp.example.vn", "QUYCHE_SMTP_USER": "u",
                               "QUYCHE_SMTP_PASSWORD": "bí-mật"})  # fmt: skip
    assert s is not None and (s.port, s.security) == (587, "starttls")
    assert "bí-mật" not in repr(s)
    with pytest.raises(DeliveryError, match=r"^QUYCHE_SMTP_PORT: "):
        SmtpSettings.from_env({"QUYCHE_SMTP_HOST": "h", "QUYCHE_SMTP_PORT": "x"})
    with pytest.raises(DeliveryError, match=r"^QUYCHE_SMTP_SECURITY: "):
        SmtpSettings.from_env({"QUYCHE_SMTP_HOST": "h", "QUYCHE_SMTP_SECURITY": "ssl3"})
    e = mail_tracker.store.engine
    for bad in (f"mailto:{CLERK}\r\nBcc: x@y.z", f"mailto:{CLERK},x@y.z", "mailto:",
                f"mailto:Văn thư <{CLERK}>", f"mailto:{CLERK}?cc=x@y.z"):  # fmt: skip
        with pytest.raises(DeliveryError, match=r"^url: not one e-mail address"):
            subscribe(e, party=REQUESTED, url=bad)
    # with no SMTP settings an e-mail waits in the queue (retried), it is not lost
    queue(mail_tracker, 1)
    w = Worker(mail_tracker.store, backoff=FAST)
    assert w.run_once(do_sweep=False).retried == 1
    assert listing(e)[0]["last_error"] == "SMTP not configured (QUYCHE_SMTP_HOST)"
    w.close()
