"""The coordination tracker over HTTP: record an event, a body's status as of a date, one
case's history, an iCalendar feed of open deadlines.

Who may do what (``auth``):

* ``POST /v1/track``: the *sender* of the event must be the key's body or a body it acts
  for (administrators record anything). The sender is the tracker's own
  (``tracker.model.sender_of``, the same field that keys idempotency): ``requested`` for
  ``coordination_extension_needed`` and ``coordination_answered`` (the requested body
  writes them), otherwise the event's first single-party field — ``requester``,
  ``raised_by``, ``lead_party``, ``issued_by``, ``convened_by`` ... (table in the README).
  Events with no such field (``issue_arose``, ``personnel_action``, ``travel_abroad``,
  ``period_started``) name no sender: only an administrator records them. Recording as
  another body is **403**: the refusal depends only on the key and on the request's own
  body, so it discloses nothing stored (a 404 would wrongly say the path does not exist).
* ``GET /v1/track/status`` and ``/v1/track/ics``: a body's own status only (default: the
  key's body); another body's is 404. Administrators may ask for any body (or, for the
  status, all bodies).
* ``GET /v1/track/cases/{id}``: 404, never 403, unless the key's body is a party to the
  case (obligated, a counterparty or the requester), so a probe cannot tell a foreign case
  from a missing one.

The JSON of a status and of a case is ``tracker.model.status_to_json``/``case_to_json``,
the very functions behind ``quyche track status --json`` and ``show --json``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from quyche_rules.errors import QuycheError
from quyche_rules.model.field_types import StrictDate
from quyche_rules.service import quota
from quyche_rules.service.auth import Principal, may_act_as, may_read
from quyche_rules.service.bodyread import KeyFirstRoute
from quyche_rules.service.decide import Pending, decided, event_parties, log_record
from quyche_rules.service.deps import Caller, Services, Svc
from quyche_rules.service.paging import Cursor, Limit, decode, encode, link_next
from quyche_rules.service.receipts import Receipt
from quyche_rules.service.registry import ServiceEvent
from quyche_rules.service.store import QuotaExceeded
from quyche_rules.tracker.authority import Actor, AuthorityError
from quyche_rules.tracker.changes import changes_of
from quyche_rules.tracker.model import SENDER_FIELD, Case, case_to_json, sender_of, status_to_json
from quyche_rules.tracker.tracker import Recorded

router = APIRouter(prefix="/v1/track", tags=["tracker"], route_class=KeyFirstRoute)

_CASE_ID = re.compile(r"^c[0-9a-f]{15}$")

AsOf = Annotated[
    StrictDate | None, Query(description="date YYYY-MM-DD (default: today in Vietnam)")
]
PartyQ = Annotated[
    str | None,
    Query(max_length=200, description="party id or name (default: the key's own body)"),
]


class HistoryOut(BaseModel):
    seq: int | None = Field(description="record number in the log; null for a lapse of time")
    date: dt.date
    kind: str
    text: str


class SuccessionOut(BaseModel):
    """A party of an open case that ended, and who took over its business."""

    party: str
    role: str = Field(description="obligated or counterparty")
    ended_on: dt.date
    succeeded_by: str | None = Field(description="the successor the profile records")
    succeeded_on: dt.date | None
    inheritor: str | None = Field(
        description="the body holding the business on the date asked (end of the chain)"
    )


class CaseOut(BaseModel):
    """One case: a duty with a due date, followed to its end (``case_to_json``)."""

    id: str
    rule_id: str
    obligated: str
    counterparties: list[str]
    requester: str
    reference: str
    summary: str | None = Field(
        None, description="the request's subject (its summary, trích yếu); null if none given"
    )
    opened_on: dt.date
    original_due: dt.date
    due: dt.date
    due_provisional: bool
    silence_means: str | None
    state: str = Field(description="awaiting, extended, answered, answered_late, consent, ...")
    state_vi: str
    consent_since: dt.date | None
    closed_on: dt.date | None
    successions: list[SuccessionOut] = Field(
        default_factory=list,
        description="parties of the open case that ended by the date, with who inherits",
    )
    history: list[HistoryOut]


GROUPS = ("owes", "due_soon", "overdue", "owed_to", "consent", "escalated")


class StatusOut(BaseModel):
    """``quyche track status --json`` (what a body owes and is owed as of a date), plus
    ``counts``; with ``limit``, one page of one ``group`` (the other lists empty)."""

    party: str | None
    as_of: dt.date
    owes: list[CaseOut]
    due_soon: list[CaseOut]
    overdue: list[CaseOut]
    owed_to: list[CaseOut]
    consent: list[CaseOut]
    escalated: list[CaseOut]
    counts: dict[str, int] = Field(
        default_factory=dict, description="cases per group, whatever the page shows"
    )


class RecordOut(BaseModel):
    seq: int = Field(description="position in the tracker's append-only log")
    created: bool = Field(description="false: the same document was recorded before")
    event_type: str
    event_date: dt.date
    sender: str | None


class ChangeOut(BaseModel):
    case_id: str
    change: str = Field(
        description="opened, answered, extension, escalated, disagreement, withdrawn or "
        "receipt_corrected"
    )
    state: str = Field(description="the case's state after it, as of the event's date")
    text: str = Field(description="the case history's line for it")


class ActorOut(BaseModel):
    key_id: str
    party: str | None = Field(description="the key's body; null for an administrator's key")
    admin: bool
    acting_as: str | None = Field(description="the sender the event was recorded as")


class TrackOut(BaseModel):
    record: RecordOut
    opened: list[CaseOut] = Field(description="cases this event opened, as of its date")
    acts_on: list[CaseOut] = Field(description="recorded cases it answers, extends, ...")
    no_due: list[str] = Field(description="rule ids with a reply duty but no due date")
    changes: list[ChangeOut] = Field(
        default_factory=list,
        description="every case this document opened or moved, and how (for a repeat of "
        "a recorded document: what its first recording did)",
    )
    recorded_by: ActorOut | None = Field(
        default=None, description="who recorded it; an administrator acting for a body says so"
    )
    receipt: Receipt


def _own_party(svc: Services, who: Principal, party: str | None, *, required: bool) -> str | None:
    """The body a status or feed is about: resolved, and visible to ``who`` (else 404)."""
    if party is None:
        if who.admin:
            if required:
                raise HTTPException(422, "party: required for an administrator's key")
            return None
        return who.party
    try:
        pid = svc.engine.parties.resolve(party).id
    except KeyError:
        pid = None
    if pid is None or not (who.admin or pid == who.party):
        # unknown and foreign look the same: nothing to learn by probing
        raise HTTPException(404, f"party: no status visible for {party[:60]!r}")
    return pid


def _sender_field(event: Any) -> str:
    """The name of the field ``sender_of`` read (for the one-line refusal)."""
    value = sender_of(event)
    named = SENDER_FIELD.get(event.type)
    if named is not None:
        return str(named)
    fields: dict[str, Any] = type(event).model_fields
    for name in fields:
        if name != "type" and getattr(event, name, None) == value:
            return str(name)
    return "type"


def _case_parties(c: Case) -> tuple[str, ...]:
    return (c.obligated, *c.counterparties, c.requester)


@router.post("", response_model=TrackOut, summary="Record one coordination event")
def record(event: Annotated[ServiceEvent, Body()], svc: Svc, who: Caller) -> Any:
    """Record a request, answer, extension, disagreement, withdrawal or any event with a
    deadline; the tracker runs it through the engine once and opens a case per duty with a
    due date. Idempotent: the same document (sender + reference) again returns the first
    record (`created: false`); other content under the same reference is refused (422)."""
    sender = sender_of(event)
    if not (who.admin or (sender is not None and may_act_as(who, sender, svc.engine.parties))):
        if sender is None:
            raise HTTPException(
                403, "body.type: names no sender; only an administrator's key records it"
            )
        raise HTTPException(
            403, f"body.{_sender_field(event)}: this key may not record as {sender!r}"
        )
    t = svc.tracker
    actor = Actor(party=None, admin=True, key_id=who.key_id) if who.admin else (
        Actor(party=who.party, key_id=who.key_id))  # fmt: skip
    quota.check(svc, who)
    canonical = event.model_dump(mode="json")
    receipt = svc.receipts.make(canonical)
    stored = quota.stored_input(svc, canonical)
    logged: list[Any] = []

    def log_decision(conn: Connection, r: Recorded) -> None:
        """The decision-log entry, in the record's own transaction: both or neither."""
        logged.clear()
        opened = [t.case(cid, r.event_date, conn=conn) for cid in r.opened]
        moved = [t.case(cid, r.event_date, conn=conn) for cid in r.acts_on]
        acting = [c for c in moved if may_read(who, _case_parties(c), svc.engine.parties)]
        result = {
            "record": {
                "seq": r.seq,
                "created": r.created,
                "event_type": r.event_type,
                "event_date": r.event_date.isoformat(),
                "sender": sender,
            },
            "opened": [case_to_json(c) for c in opened],
            "acts_on": [case_to_json(c) for c in acting],
            "no_due": list(r.no_due),
            "changes": changes_of(r.seq, opened, moved),
            "recorded_by": {
                "key_id": who.key_id,
                "party": who.party,
                "admin": who.admin,
                "acting_as": sender,
            },
        }
        parties = list(event_parties(event))
        for c in (*opened, *acting):
            parties.extend(p for p in _case_parties(c) if p not in parties)
        pending = Pending("track", stored, tuple(parties), result, receipt)
        svc.store.insert_decisions(conn, [log_record(who, pending)])
        logged.append(pending)

    try:
        t.record(event, actor=actor, then=log_decision)
    except AuthorityError as exc:
        raise HTTPException(403, f"body.{exc}") from None
    except QuotaExceeded as exc:  # counted in the record's transaction: nothing was kept
        raise quota.refusal(exc.limit) from None
    except QuycheError as exc:
        raise HTTPException(422, f"body.{exc}" if ": " in str(exc) else str(exc)) from None
    pending = logged[0]
    decided(svc, [pending])
    result = pending.result
    return {**result, "receipt": pending.receipt}


@router.get("/status", response_model=StatusOut, summary="What a body owes and is owed")
def status(
    svc: Svc,
    who: Caller,
    request: Request,
    response: Response,
    party: PartyQ = None,
    as_of: AsOf = None,
    group: Annotated[
        Literal["owes", "due_soon", "overdue", "owed_to", "consent", "escalated"] | None,
        Query(description="with limit: the group to page through (default: owes)"),
    ] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Any:
    """The morning question, as of a date: what the body owes (awaiting, due soon,
    overdue), what is owed to it, what became consent by silence (Art. 3.1) and what was
    reported up (Art. 2.2). The same JSON as `quyche track status --json`, plus `counts`
    per group. With `limit`, one page of `group` (by due date, then id; `Link: rel="next"`
    and `X-Next-Cursor` when more follow) and the other groups empty."""
    pid = _own_party(svc, who, party, required=False)
    if limit is None:
        return status_to_json(svc.tracker.status(pid, as_of))  # counts included
    chosen = group or "owes"
    # the page and the counts come from the database (tracker.status_page): a body with
    # tens of thousands of cases is not folded whole for one page
    got = svc.tracker.status_page(
        pid, as_of, group=chosen, limit=limit, after=None if cursor is None else _after(cursor)
    )
    out: dict[str, Any] = {"party": got.party, "as_of": got.as_of.isoformat()}
    out.update({g: [] for g in GROUPS})
    out[chosen] = [case_to_json(c) for c in got.cases]
    out["counts"] = got.counts
    if got.next_after is not None:
        due, cid = got.next_after
        link_next(encode(f"{due.isoformat()}|{cid}"), limit=limit, request=request,
                  response=response)  # fmt: skip
    return out


def _after(cursor: str) -> tuple[dt.date, str]:
    """The (due date, case id) a status cursor stands for (``due|id``, as it always was)."""
    due, _, cid = decode(cursor).partition("|")
    try:
        return dt.date.fromisoformat(due), cid
    except ValueError:
        raise HTTPException(422, "cursor: not a cursor this service gave") from None


@router.get("/cases/{case_id}", response_model=CaseOut, summary="One case and its history")
def case(case_id: str, svc: Svc, who: Caller, as_of: AsOf = None) -> Any:
    """The case with its full history as of a date (the same JSON as `quyche track show
    --json`). 404 when there is no such case *or* the key's body is not a party to it."""
    missing = HTTPException(404, "case_id: no such case")
    if not _CASE_ID.match(case_id):
        raise missing  # full ids only: a prefix search would tell what exists
    try:
        c = svc.tracker.case(case_id, as_of)
    except QuycheError:
        raise missing from None
    if not may_read(who, _case_parties(c), svc.engine.parties):
        raise missing
    return case_to_json(c)


@router.get(
    "/ics",
    summary="iCalendar feed of a body's open deadlines",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {"schema": {"type": "string"}}}}},
)
def ics(svc: Svc, who: Caller, party: PartyQ = None, as_of: AsOf = None) -> Response:
    """One all-day event per open case the body owes or is owed, on its due date; the UID
    is stable per case, so an extension moves the event in a subscribed calendar."""
    pid = _own_party(svc, who, party, required=True)
    assert pid is not None
    data = svc.tracker.ics(pid, as_of)
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{pid}.ics"'},
    )
