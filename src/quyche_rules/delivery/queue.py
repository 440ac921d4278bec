"""The queue side of the outbox: claiming due messages, settling their outcomes, and what
an administrator sees and re-drives.

Claiming: a worker takes a batch with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL;
rows another worker is taking are skipped, never waited for) and stamps each with a lease
(owner, until when) in the same short transaction; on SQLite the transaction itself holds
the write lock (``BEGIN IMMEDIATE``), so two claims are serialised. A message whose lease
ran out (its worker was killed) is claimable again: delivery is at least once, and the
receiver de-duplicates on ``webhook-id``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quyche_rules.db.delivery_tables import outbox, subscriptions
from quyche_rules.delivery.outbox import DEAD, DELIVERED, PENDING, STATUSES


@dataclass(frozen=True)
class Claimed:
    message_id: str
    url: str
    secret: str
    payload: str
    attempts: int
    since: dt.datetime


def _aware(v: dt.datetime) -> dt.datetime:
    return v if v.tzinfo is not None else v.replace(tzinfo=dt.UTC)


def claim(engine: Engine, owner: str, now: dt.datetime, *, limit: int = 20,
          lease: dt.timedelta = dt.timedelta(seconds=60),
          due_by: dt.datetime | None = None) -> list[Claimed]:  # fmt: skip
    """Take up to ``limit`` messages due by ``due_by`` (default ``now``) for ``owner``
    until ``now + lease``. A pass gives its start as ``due_by``, so a message it retried
    waits for the next pass instead of being tried again within this one."""
    o = outbox
    with engine.begin() as conn:
        ids = list(
            conn.execute(
                sa.select(o.c.message_id)
                .where(
                    o.c.status == PENDING,
                    o.c.next_at <= (due_by or now),
                    sa.or_(o.c.lease_until.is_(None), o.c.lease_until < now),
                )
                .order_by(o.c.next_at, o.c.message_id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if not ids:
            return []
        conn.execute(
            o.update()
            .where(o.c.message_id.in_(ids))
            .values(lease_owner=owner, lease_until=now + lease)
        )
        rows = conn.execute(
            sa.select(
                o.c.message_id,
                o.c.payload,
                o.c.attempts,
                o.c.since,
                subscriptions.c.url,
                subscriptions.c.secret,
            )
            .join(subscriptions, subscriptions.c.sub_id == o.c.sub_id)
            .where(o.c.message_id.in_(ids))
            .order_by(o.c.next_at, o.c.message_id)
        ).all()
    return [
        Claimed(r.message_id, r.url, r.secret, r.payload, int(r.attempts), _aware(r.since))
        for r in rows
    ]


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off with jitter (a delay drawn between half and all of
    ``base * 2**attempts``, capped at ``cap`` seconds: retries of many messages spread out
    instead of hitting a recovering receiver together); give up ``dead_after`` after
    ``since``."""

    base: float = 1.0
    cap: float = 3600.0
    dead_after: dt.timedelta = dt.timedelta(days=3)

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        top = min(self.cap, self.base * 2 ** min(attempts, 30))
        return (rng or random).uniform(top / 2, top)


def settle(
    engine: Engine,
    now: dt.datetime,
    done: Sequence[str],
    failures: Sequence[tuple[Claimed, str]],
    backoff: Backoff,
    permanent: Collection[str] = (),
) -> int:
    """Record a batch's outcomes in ONE transaction: the delivered, and each failure
    (retry after its back-off, or dead-letter once ``dead_after`` has passed since the
    message was queued, or at once for the ids in ``permanent``: a refusal retrying
    cannot change). A crash before this commit only means those messages are sent
    again (same ``webhook-id``). Returns how many were dead-lettered."""
    dead = 0
    with engine.begin() as conn:
        if done:
            conn.execute(
                outbox.update()
                .where(outbox.c.message_id.in_(list(done)))
                .values(
                    status=DELIVERED,
                    delivered_at=now,
                    lease_until=None,
                    lease_owner=None,
                    attempts=outbox.c.attempts + 1,
                    last_error=None,
                )
            )
        for msg, error in failures:
            attempts = msg.attempts + 1
            gone = msg.message_id in permanent or now - msg.since >= backoff.dead_after
            dead += gone
            conn.execute(
                outbox.update()
                .where(outbox.c.message_id == msg.message_id, outbox.c.status == PENDING)
                .values(
                    attempts=attempts,
                    last_error=error[:500],
                    lease_until=None,
                    lease_owner=None,
                    status=DEAD if gone else PENDING,
                    next_at=now + dt.timedelta(seconds=backoff.delay(attempts)),
                )
            )
    return dead


def counts(engine: Engine, party: str | None = None) -> dict[str, int]:
    q = sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status)
    if party is not None:
        q = q.where(outbox.c.party == party)
    with engine.connect() as conn:
        got = {str(s): int(n) for s, n in conn.execute(q)}
    return {s: got.get(s, 0) for s in STATUSES}


def listing(engine: Engine, *, status: str | None = None, party: str | None = None,
            limit: int = 100) -> list[dict[str, Any]]:  # fmt: skip
    """Messages for an admin (no payload: it may name people): newest first."""
    o = outbox
    q = sa.select(o.c.message_id, o.c.sub_id, o.c.party, o.c.kind, o.c.case_id, o.c.status,
                  o.c.attempts, o.c.created_at, o.c.next_at, o.c.delivered_at,
                  o.c.last_error)  # fmt: skip
    if status is not None:
        q = q.where(o.c.status == status)
    if party is not None:
        q = q.where(o.c.party == party)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(o.c.created_at.desc(), o.c.message_id).limit(limit))
        return [
            {
                k: (_aware(v).isoformat() if isinstance(v, dt.datetime) else v)
                for k, v in r._asdict().items()
            }
            for r in rows
        ]


def redrive(engine: Engine, now: dt.datetime, message_ids: Iterable[str] | None = None) -> int:
    """Put dead messages (all, or these) back in the queue; the give-up clock restarts."""
    q = outbox.update().where(outbox.c.status == DEAD)
    if message_ids is not None:
        q = q.where(outbox.c.message_id.in_(list(message_ids)))
    with engine.begin() as conn:
        res = conn.execute(q.values(status=PENDING, next_at=now, since=now, last_error=None))
    return res.rowcount
