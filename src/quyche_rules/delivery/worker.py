"""The delivery worker: claims due messages, POSTs them signed, settles each.

Signing follows the Standard Webhooks specification through its reference package
(``standardwebhooks``): headers ``webhook-id`` (the message id, the same on every retry so
a receiver de-duplicates), ``webhook-timestamp`` and ``webhook-signature`` (HMAC-SHA256 of
``id.timestamp.body`` with the subscription's secret). A 2xx answer delivers; anything else
— a refused connection, a 500, no answer within the timeout — is retried with exponential
back-off and jitter until ``dead_after`` has passed since the message was queued, then the
message is dead-lettered (visible to admins, re-drivable).

A ``mailto:`` endpoint gets the message as an e-mail instead (``delivery.mail``), through
the same claims, retries and dead letters.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from standardwebhooks.webhooks import Webhook

from quyche_rules.calendar import WorkingCalendar
from quyche_rules.delivery import messages as m
from quyche_rules.delivery.mail import MailFailure, SmtpSettings, compose
from quyche_rules.delivery.mail import send as send_mail
from quyche_rules.delivery.outbox import sweep
from quyche_rules.delivery.queue import Backoff, Claimed, claim, settle
from quyche_rules.delivery.subscriptions import mail_address
from quyche_rules.tracker.status_page import Refresh
from quyche_rules.tracker.store import Store

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def signed_headers(msg_id: str, secret: str, body: str, when: dt.datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt (the timestamp is the attempt's)."""
    stamp = when.astimezone(dt.UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, stamp, body),
        "content-type": "application/json; charset=utf-8",
        "user-agent": "quyche-rules-delivery",
    }


@dataclass
class Stats:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    swept: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "retried": self.retried, "dead": self.dead,
                "swept": self.swept}  # fmt: skip


class Worker:
    """One delivery worker. Several may run at once, on one database (see ``outbox``)."""

    def __init__(
        self,
        store: Store,
        *,
        calendar: WorkingCalendar | None = None,
        timeout: float = 10.0,
        backoff: Backoff | None = None,
        batch: int = 10,
        lease: dt.timedelta | None = None,
        clock: Clock = utc_now,
        name_of: m.NameOf = str,
        owner: str | None = None,
        smtp: SmtpSettings | None = None,
        refresh: Refresh | None = None,
    ) -> None:
        self.store = store
        # what the tracker does to the facts it reads (``Tracker.refresh``): the sweep folds
        # the cases a reader sees, provisional due dates counted again included
        self.refresh = refresh
        self.calendar = calendar or WorkingCalendar()
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.batch = batch
        # a claim outlives the slowest batch, so no other worker takes a message this one
        # is still sending; a killed worker's claims lapse after it
        self.lease = lease or dt.timedelta(seconds=timeout * (batch + 1) + 5)
        self.clock = clock
        self.name_of = name_of
        self.owner = owner or f"{os.getpid()}-{secrets.token_hex(4)}"
        self.smtp = smtp  # None: e-mail endpoints wait (retried) until it is configured
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def sweep(self) -> int:
        """Queue what today (in Vietnam) calls for: reminders, overdue, consent."""
        now = self.clock()
        return sweep(self.store, self.calendar, now.astimezone(VIETNAM).date(), now,
                     self.name_of, self.refresh)  # fmt: skip

    def run_once(self, *, do_sweep: bool = True) -> Stats:
        """One pass: sweep, then deliver every message due when the pass started (each at
        most once: a failed one waits for its back-off, in a later pass)."""
        stats = Stats()
        if do_sweep:
            stats.swept = self.sweep()
        start = self.clock()
        while True:
            got = claim(self.store.engine, self.owner, self.clock(), limit=self.batch,
                        lease=self.lease, due_by=start)  # fmt: skip
            if not got:
                return stats
            done: list[str] = []
            failures: list[tuple[Claimed, str]] = []
            permanent: set[str] = set()
            for msg in got:
                if mail_address(msg.url) is not None:
                    failed = self._mail(msg)
                    error = failed.error if failed else None
                    if failed and failed.permanent:
                        permanent.add(msg.message_id)
                else:
                    error = self._send(msg)
                if error is None:
                    done.append(msg.message_id)
                else:
                    failures.append((msg, error))
            dead = settle(self.store.engine, self.clock(), done, failures, self.backoff,
                          permanent)  # fmt: skip
            stats.sent += len(done)
            stats.dead += dead
            stats.retried += len(failures) - dead

    def run(self, stop: threading.Event, *, poll: float = 2.0, sweep_every: float = 300.0) -> None:
        """Deliver until ``stop`` is set: a pass every ``poll`` seconds, a sweep every
        ``sweep_every`` seconds."""
        last_sweep = -sweep_every
        clock = 0.0
        while not stop.is_set():
            self.run_once(do_sweep=clock - last_sweep >= sweep_every)
            if clock - last_sweep >= sweep_every:
                last_sweep = clock
            stop.wait(poll)
            clock += poll

    def _mail(self, msg: Claimed) -> MailFailure | None:
        """E-mail one message; None when the SMTP server accepted it."""
        if self.smtp is None:
            return MailFailure("SMTP not configured (QUYCHE_SMTP_HOST)", False)
        to = mail_address(msg.url)
        assert to is not None
        return send_mail(self.smtp, compose(msg.message_id, to, msg.payload, self.smtp,
                                            self.clock()))  # fmt: skip

    def _send(self, msg: Claimed) -> str | None:
        """POST one message; None when the receiver took it (2xx), else why not."""
        try:
            r = self._client.post(
                msg.url,
                content=msg.payload.encode(),
                headers=signed_headers(msg.message_id, msg.secret, msg.payload, self.clock()),
            )
        except httpx.TimeoutException:
            return f"timeout after {self.timeout:g}s"
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return None if 200 <= r.status_code < 300 else f"HTTP {r.status_code}"
