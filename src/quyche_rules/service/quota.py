"""Bounded storage: how many decisions one key may have stored per day, and the compact
form in which a decision's input is stored.

**The quota** is separate from the per-second rate limit (``auth.RateLimiter``): a rate
limit protects the CPU now, the quota bounds what one key adds to the log per day (at
the default rate a single key could otherwise add gigabytes a day, and a full disk stops
every write). The count is in the database (``service_key_days``, incremented in the
transaction that stores the decisions), so every instance on one database shares it.
The count is checked twice: before a decision is made (``check``, cheap, so an
over-quota key costs no engine time; from the count this process last read or committed,
at most ``key_cache_seconds`` old, so a busy key costs no read), and again by the upsert
that increments it in the writing transaction (``store.QuotaExceeded`` rolls everything
back), which holds exactly even when a key's requests arrive together. Over it: 429 with
``Retry-After`` until midnight in Vietnam (UTC+7), when the day turns.

**The compact input**: the receipt holds ``input_sha256``, the hash of the whole
canonical input; the log keeps only what the rules read (the fields a condition may
test), the dates deadlines count from, the ids (parties, agency, district) and
``reference``/``in_reply_to`` (what an audit follows). Free text (``summary``) is not
stored: it is the bulk of an event's bytes and may name a person. ``--store-full-input``
keeps everything.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from fastapi import HTTPException

from quyche_rules.model.event_checks import condition_fields
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.service.auth import Principal
from quyche_rules.service.deps import Services
from quyche_rules.service.store import VIETNAM, vietnam_day

#: kept in the compact input besides the fields a condition may test
AUDIT_FIELDS = frozenset(
    {"type", "date", "received_on", "reply_by", "reference", "in_reply_to", "agency", "district"}
)


def seconds_to_midnight(now: dt.datetime) -> int:
    """Seconds from ``now`` until the next midnight in Vietnam (at least 1)."""
    local = now.astimezone(VIETNAM)
    nxt = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), VIETNAM)
    return max(1, math.ceil((nxt - local).total_seconds()))


def check(svc: Services, who: Principal, n: int = 1, now: dt.datetime | None = None) -> None:
    """429 if storing ``n`` more decisions would take ``who`` over its day's quota."""
    check_kept(svc, who, n, now, read=True)


def check_kept(
    svc: Services,
    who: Principal,
    n: int = 1,
    now: dt.datetime | None = None,
    *,
    read: bool = False,
) -> bool:
    """``check`` from the count this process last read or committed for the key's day
    (at most ``key_cache_seconds`` old, the staleness keys have too), with no I/O: True
    when that decided (429 raised if over), False when the database must be read
    (``read=True`` reads it here). The count may miss another instance's latest
    decisions, so this is only the cheap early refusal: the exact one is the upsert in
    the writing transaction (``store.QuotaExceeded``)."""
    limit = svc.settings.decisions_per_day
    if limit <= 0 or n <= 0:
        return True
    now = now or dt.datetime.now(dt.UTC)
    day = vietnam_day(now)
    used = svc.store.known_decisions_on(who.key_id, day, svc.settings.key_cache_seconds)
    if used is None:
        if not read:
            return False
        used = svc.store.decisions_on(who.key_id, day)
    if used + n > limit:
        raise refusal(limit, now)
    return True


def refusal(limit: int, now: dt.datetime | None = None) -> HTTPException:
    """The 429 of a key over its quota: by ``check`` before deciding, or by the store's
    count in the writing transaction (``store.QuotaExceeded``), which holds exactly
    when a key's requests arrive together."""
    return HTTPException(
        429,
        f"quota: khoá này đã lưu đủ {limit} quyết định hôm nay (giờ Việt Nam) / this key "
        f"stored its {limit} decisions of the day (Vietnam time); retry after midnight",
        {"Retry-After": str(seconds_to_midnight(now or dt.datetime.now(dt.UTC)))},
    )


def _compact_event(event: Any) -> Any:
    if not isinstance(event, dict) or event.get("type") not in EVENT_TYPES:
        return event
    keep = AUDIT_FIELDS | set(condition_fields(str(event["type"])))
    return {k: v for k, v in event.items() if k in keep}


def stored_input(svc: Services, canonical: Any) -> Any:
    """What the decision log stores of a canonical input (see the module docstring)."""
    if svc.settings.store_full_input or not isinstance(canonical, dict):
        return canonical
    if "type" in canonical:
        return _compact_event(canonical)
    if isinstance(canonical.get("event"), dict):
        return {**canonical, "event": _compact_event(canonical["event"])}
    return canonical
