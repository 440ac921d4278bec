"""Who wants to be told what: webhook subscriptions of a body, on the shared database.

An endpoint is an http(s) URL (a webhook) or ``mailto:`` and one address (an e-mail,
``delivery.mail``).

A subscription belongs to one body (``party``): it is created by that body's key or by an
admin for it, and it receives only what concerns that body. Its signing secret follows the
Standard Webhooks format (``whsec_`` + base64 of 32 random bytes); it is returned once, at
creation, and kept as is because the worker must sign with it.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from quyche_rules.db.delivery_tables import subscriptions
from quyche_rules.delivery.messages import DEFAULT_REMIND_DAYS, KINDS
from quyche_rules.errors import QuycheError

SEP = " "


class DeliveryError(QuycheError):
    """A subscription, message or feed the delivery layer refuses; nothing was written."""


@dataclass(frozen=True)
class Subscription:
    sub_id: str
    party: str
    url: str
    secret: str
    kinds: tuple[str, ...]
    remind_days: int
    created_by: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    def public(self) -> dict[str, object]:
        """What may be shown after creation: everything but the secret."""
        return {
            "id": self.sub_id,
            "party": self.party,
            "url": self.url,
            "kinds": list(self.kinds),
            "remind_days": self.remind_days,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


MAILTO = "mailto:"
#: one plain address: no display name, no list, no query (``?cc=…``), nothing a mail header
#: could be split on; a domain of letters, digits, dots and hyphens
ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def mail_address(url: str) -> str | None:
    """The address of a ``mailto:`` endpoint (e-mail, ``delivery.mail``); None for any
    other endpoint; a ``DeliveryError`` for a ``mailto:`` that is not one plain address."""
    if not url.lower().startswith(MAILTO):
        return None
    addr = url[len(MAILTO) :]
    if len(addr) > 254 or not ADDRESS.fullmatch(addr):
        raise DeliveryError(f"url: not one e-mail address after mailto: {url!r}")
    return addr


def check_url(url: str) -> str:
    """An http(s) URL (webhooks) or ``mailto:`` one address (e-mail)."""
    if mail_address(url) is not None:
        return url
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. "http://[": an unclosed IPv6 address
        ok = False
    if not ok or any(c.isspace() for c in url):
        raise DeliveryError(f"url: not an http(s) URL: {url!r}")
    return url


def check_kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return tuple(KINDS)
    out = tuple(dict.fromkeys(kinds))
    for k in out:
        if k not in KINDS:
            raise DeliveryError(f"kinds: unknown kind {k!r} (known: {', '.join(KINDS)})")
    if not out:
        raise DeliveryError("kinds: at least one kind")
    return out


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def subscribe(
    engine: Engine,
    *,
    party: str,
    url: str,
    kinds: Iterable[str] | None = None,
    remind_days: int = DEFAULT_REMIND_DAYS,
    created_by: str | None = None,
    now: dt.datetime | None = None,
) -> Subscription:
    """Create a subscription; the returned record carries the secret (shown once)."""
    if type(remind_days) is not int or not 0 <= remind_days <= 30:
        raise DeliveryError(
            f"remind_days: a whole number of working days 0-30, not {remind_days!r}"
        )
    sub = Subscription(
        sub_id="sub_" + secrets.token_hex(6),
        party=party,
        url=check_url(url),
        secret=new_secret(),
        kinds=check_kinds(kinds),
        remind_days=remind_days,
        created_by=created_by,
        created_at=now or dt.datetime.now(dt.UTC),
        revoked_at=None,
    )
    with engine.begin() as conn:
        conn.execute(
            subscriptions.insert().values(
                sub_id=sub.sub_id,
                party=sub.party,
                url=sub.url,
                secret=sub.secret,
                kinds=SEP.join(sub.kinds),
                remind_days=sub.remind_days,
                created_by=sub.created_by,
                created_at=sub.created_at,
                revoked_at=None,
            )
        )
    return sub


def _sub(row: sa.Row[tuple[object, ...]]) -> Subscription:
    d = row._asdict()
    return Subscription(
        sub_id=d["sub_id"],
        party=d["party"],
        url=d["url"],
        secret=d["secret"],
        kinds=tuple(str(d["kinds"]).split(SEP)),
        remind_days=int(d["remind_days"]),
        created_by=d["created_by"],
        created_at=d["created_at"],
        revoked_at=d["revoked_at"],
    )


def active(conn: Connection, parties: Iterable[str] | None = None) -> list[Subscription]:
    """The subscriptions not revoked (of these parties), inside the caller's transaction."""
    q = sa.select(subscriptions).where(subscriptions.c.revoked_at.is_(None))
    if parties is not None:
        wanted = sorted(set(parties))
        if not wanted:
            return []
        q = q.where(subscriptions.c.party.in_(wanted))
    return [_sub(r) for r in conn.execute(q.order_by(subscriptions.c.sub_id))]


def list_subscriptions(engine: Engine, party: str | None = None) -> list[Subscription]:
    q = sa.select(subscriptions).order_by(subscriptions.c.created_at, subscriptions.c.sub_id)
    if party is not None:
        q = q.where(subscriptions.c.party == party)
    with engine.connect() as conn:
        return [_sub(r) for r in conn.execute(q)]


def get(engine: Engine, sub_id: str) -> Subscription | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(subscriptions).where(subscriptions.c.sub_id == sub_id)).first()
    return None if row is None else _sub(row)


def unsubscribe(engine: Engine, sub_id: str, now: dt.datetime | None = None) -> bool:
    """Revoke (never delete: outbox rows still name it); False if unknown or revoked."""
    with engine.begin() as conn:
        res = conn.execute(
            subscriptions.update()
            .where(subscriptions.c.sub_id == sub_id, subscriptions.c.revoked_at.is_(None))
            .values(revoked_at=now or dt.datetime.now(dt.UTC))
        )
    return res.rowcount == 1
