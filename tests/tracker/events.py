"""Event builders for the tracker tests (a request and the lifecycle events on it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from quyche_rules.engine.engine import Engine
from quyche_rules.model.event_checks import parse_event
from quyche_rules.tracker.model import DecidedDuty, Decision, Record, sender_of

REQUESTER = "dang_uy_khoi"
REQUESTED = "ban_noi_chinh_tinh_uy"


def _d(d: dt.date | str) -> str:
    return d if isinstance(d, str) else d.isoformat()


def request(
    ref: str,
    received: dt.date | str,
    *,
    requester: str = REQUESTER,
    requested: str = REQUESTED,
    date: dt.date | str | None = None,
) -> dict[str, Any]:
    return {
        "type": "coordination_requested",
        "date": _d(date or received),
        "reference": ref,
        "requester": requester,
        "requested": requested,
        "received_on": _d(received),
    }


def answer(
    ref: str, on: dt.date | str, *, requester: str = REQUESTER, requested: str = REQUESTED
) -> dict[str, Any]:
    return {
        "type": "coordination_answered",
        "date": _d(on),
        "requester": requester,
        "requested": requested,
        "in_reply_to": ref,
    }


def extension(
    ref: str,
    on: dt.date | str,
    reply_by: dt.date | str | None,
    *,
    requester: str = REQUESTER,
    requested: str = REQUESTED,
    own_ref: str | None = None,
) -> dict[str, Any]:
    e: dict[str, Any] = {
        "type": "coordination_extension_needed",
        "date": _d(on),
        "requester": requester,
        "requested": requested,
        "in_reply_to": ref,
    }
    if reply_by is not None:
        e["reply_by"] = _d(reply_by)
    if own_ref is not None:
        e["reference"] = own_ref
    return e


def disagreement(
    ref: str, on: dt.date | str, *, lead: str = REQUESTER, others: tuple[str, ...] = (REQUESTED,)
) -> dict[str, Any]:
    return {
        "type": "coordination_disagreement",
        "date": _d(on),
        "lead_party": lead,
        "other_parties": list(others),
        "in_reply_to": ref,
    }


def withdrawal(
    ref: str, on: dt.date | str, *, requester: str = REQUESTER, requested: str = REQUESTED
) -> dict[str, Any]:
    return {
        "type": "coordination_withdrawn",
        "date": _d(on),
        "requester": requester,
        "requested": requested,
        "in_reply_to": ref,
    }


def records(engine: Engine, events: list[dict[str, Any]]) -> list[Record]:
    """An in-memory log (no database): what the pure model is tested on."""
    out = []
    for seq, data in enumerate(events, start=1):
        ev = parse_event(data)
        duties = tuple(DecidedDuty.of(o) for o in engine.who_must_be_notified(ev))
        out.append(Record(seq, ev, Decision(duties, "test", "test"), sender_of(ev)))
    return out


def correction(
    ref: str,
    on: dt.date | str,
    received: dt.date | str,
    *,
    requester: str = REQUESTER,
    requested: str = REQUESTED,
) -> dict[str, Any]:
    return {
        "type": "coordination_receipt_corrected",
        "date": _d(on),
        "requester": requester,
        "requested": requested,
        "in_reply_to": ref,
        "received_on": _d(received),
    }
