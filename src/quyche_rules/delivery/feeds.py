"""A calendar a clerk can subscribe to: secret feed tokens, and the iCalendar feed itself.

Calendar applications subscribe to a URL and cannot send an ``Authorization`` header, so
the feed is authorised by a token in its URL (``?token=…``): one per feed, bound to one
body, made, listed and revoked like API keys, and stored only as its sha256 (a token is
192 random bits: a slow hash would buy nothing). The token is ``qcf_<id>_<secret>``; the id
finds the row, the hash of the whole token is compared in constant time.

The feed: one all-day event per open case of the body (owed by it or to it) on its due
date; the UID is the case id (the same in every database, so an extension or a change of
state moves the event instead of adding one); ``SEQUENCE`` is the number of entries in
the case's history, which grows with every change the tracker records or the calendar
brings (an extension, consent arising), so clients that compare it take the update; a
``VALARM`` rings the day before; a provisional due date (a year whose official
arrangement of days off is not recorded yet) says so in Vietnamese.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from quyche_rules.db.delivery_tables import feed_tokens
from quyche_rules.delivery.messages import vn_date
from quyche_rules.tracker.model import STATE_VI


@dataclass(frozen=True)
class FeedToken:
    token_id: str
    party: str
    label: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    def public(self) -> dict[str, Any]:
        return {
            "token_id": self.token_id,
            "party": self.party,
            "label": self.label,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "revoked_at": self.revoked_at.isoformat(timespec="seconds")
            if self.revoked_at
            else None,
        }


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, party: str, label: str | None = None) -> tuple[str, FeedToken]:
    """A new feed token for ``party``: (the token, shown once; its record)."""
    token_id = secrets.token_hex(4)
    token = f"qcf_{token_id}_{secrets.token_urlsafe(24)}"
    rec = FeedToken(token_id, party, label, dt.datetime.now(dt.UTC), None)
    with engine.begin() as conn:
        conn.execute(
            feed_tokens.insert().values(
                token_id=token_id, token_sha256=_sha(token), party=party, label=label,
                created_at=rec.created_at, revoked_at=None,
            )
        )  # fmt: skip
    return token, rec


def list_tokens(engine: Engine, party: str | None = None) -> list[FeedToken]:
    q = sa.select(feed_tokens).order_by(feed_tokens.c.created_at)
    if party is not None:
        q = q.where(feed_tokens.c.party == party)
    with engine.connect() as conn:
        return [
            FeedToken(r.token_id, r.party, r.label, r.created_at, r.revoked_at)
            for r in conn.execute(q)
        ]


def revoke_token(engine: Engine, token_id: str) -> bool:
    with engine.begin() as conn:
        res = conn.execute(
            feed_tokens.update()
            .where(feed_tokens.c.token_id == token_id, feed_tokens.c.revoked_at.is_(None))
            .values(revoked_at=dt.datetime.now(dt.UTC))
        )
    return res.rowcount == 1


def party_of(engine: Engine, token: str) -> str | None:
    """The body a live token opens the feed of; None for any bad, unknown or revoked one."""
    parts = token.split("_", 2)  # the secret part may itself hold "_"
    if len(parts) != 3 or parts[0] != "qcf" or len(token) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(sa.select(feed_tokens).where(feed_tokens.c.token_id == parts[1])).first()
    if row is None or row.revoked_at is not None:
        return None
    return str(row.party) if hmac.compare_digest(row.token_sha256, _sha(token)) else None


def ics_feed(tracker: Any, party: str, as_of: dt.date | None = None) -> bytes:
    """The iCalendar feed of ``party``'s open cases (``tracker`` is a ``tracker.Tracker``)."""
    from icalendar import Alarm, Calendar
    from icalendar import Event as VEvent

    day = as_of or tracker.today()
    st = tracker.status(party, day)
    cal = Calendar()
    cal.add("prodid", "-//quyche-rules//delivery//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Hạn phối hợp: {tracker.name(st.party)}")
    cal.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    stamp = tracker.clock().astimezone(dt.UTC)
    seen: set[str] = set()
    for c in (*st.owes, *st.owed_to):
        if c.id in seen or not c.is_open:
            continue
        seen.add(c.id)
        provisional = " (hạn tạm tính: lịch nghỉ năm này chưa được công bố)"
        ve = VEvent()
        ve.add("uid", f"{c.id}@quyche-rules")
        ve.add("sequence", len(c.history))
        ve.add("dtstamp", stamp)
        ve.add("dtstart", c.due)
        ve.add("dtend", c.due + dt.timedelta(days=1))
        ve.add("transp", "TRANSPARENT")
        ve.add(
            "summary",
            f"Hạn trả lời {c.reference}: {tracker.name(c.obligated)} → "
            f"{tracker.name(c.requester)}" + (" (tạm tính)" if c.due_provisional else ""),
        )
        ve.add(
            "description",
            f"Văn bản {c.reference}, hạn {vn_date(c.due)}"
            + (provisional if c.due_provisional else "")
            + f"; trạng thái: {STATE_VI[c.state]}; căn cứ {c.rule_id}"
            f" (hạn ban đầu {vn_date(c.original_due)}).\n"
            f"Due {c.due.isoformat()}; state {c.state.value}; rule {c.rule_id}.",
        )
        ve.add("status", "TENTATIVE" if c.due_provisional else "CONFIRMED")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Ngày mai đến hạn trả lời văn bản {c.reference}")
        # 09:00 the day before (an all-day event starts at 00:00): in office hours
        alarm.add("trigger", dt.timedelta(hours=-15))
        ve.add_component(alarm)
        cal.add_component(ve)
    return bytes(cal.to_ical())
