"""Delivery and audit over HTTP.

* ``GET /v1/calendar/{body}.ics?token=…``: the calendar feed a clerk subscribes to by
  URL only (calendar applications send no header); the token (``quyche deliver feeds
  create``) opens exactly one body's feed; any other token, or another body, is 404.
* ``POST/GET /v1/subscriptions``, ``DELETE /v1/subscriptions/{id}``: a body's webhook
  endpoints — a body's key manages its own, an administrator any body's (``party``).
* ``GET /v1/deliveries``: the outbox by state and its messages (no payload), admins only.
* ``GET /v1/decisions``: the decision log a page at a time (``from``, ``to``, ``body``,
  ``rule``, ``cursor``): an administrator sees all, a body the decisions naming it. Free
  text that may name a person is masked unless an administrator asks ``unmasked=true``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from quyche_rules.delivery import audit, feeds, queue
from quyche_rules.delivery import subscriptions as subs
from quyche_rules.delivery.messages import DEFAULT_REMIND_DAYS
from quyche_rules.errors import QuycheError
from quyche_rules.model.field_types import StrictDate
from quyche_rules.service.auth import Principal, may_read
from quyche_rules.service.bodyread import KeyFirstRoute
from quyche_rules.service.deps import Caller, Services, Svc

router = APIRouter(tags=["delivery"], route_class=KeyFirstRoute)


def _resolve(svc: Services, party: str, place: str) -> str:
    try:
        return svc.engine.parties.resolve(party).id
    except KeyError:
        raise HTTPException(422, f"{place}: unknown party {party!r}") from None


def _own(svc: Services, who: Principal, party: str | None) -> str:
    """The body a request is about: the key's own; an administrator names one."""
    if who.admin:
        if party is None:
            raise HTTPException(422, "party: required for an administrator's key")
        return _resolve(svc, party, "party")
    assert who.party is not None
    if party is not None and _resolve(svc, party, "party") != who.party:
        raise HTTPException(403, "party: a key manages its own body's subscriptions only")
    return who.party


@router.get(
    "/v1/calendar/{body}.ics",
    summary="iCalendar feed of a body's open deadlines, by URL with a feed token",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {"schema": {"type": "string"}}}}},
)
def calendar_feed(
    svc: Svc,
    body: str,
    token: Annotated[str, Query(max_length=200, description="the feed token")],
) -> Response:
    missing = HTTPException(404, "calendar: no such feed")
    pid = feeds.party_of(svc.store.engine, token)
    if pid is None:
        raise missing
    try:
        if svc.engine.parties.resolve(body).id != pid:
            raise missing
    except KeyError:
        raise missing from None
    return Response(
        feeds.ics_feed(svc.tracker, pid),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{pid}.ics"',
                 "Cache-Control": "private, max-age=300"},
    )  # fmt: skip


class SubscriptionIn(BaseModel):
    url: str = Field(
        max_length=2000, description="the endpoint: http(s):// (a webhook) or mailto:address"
    )
    party: str | None = Field(default=None, max_length=200, description="admins: the body")
    kinds: list[str] | None = Field(default=None, max_length=20)
    remind_days: int = Field(default=DEFAULT_REMIND_DAYS, ge=0, le=30)


@router.post("/v1/subscriptions", status_code=201, summary="subscribe a webhook endpoint")
def subscribe(svc: Svc, who: Caller, body: SubscriptionIn) -> dict[str, Any]:
    """Returns the signing secret ONCE (``secret``), with the subscription."""
    pid = _own(svc, who, body.party)
    try:
        sub = subs.subscribe(svc.store.engine, party=pid, url=body.url, kinds=body.kinds,
                             remind_days=body.remind_days, created_by=who.key_id)  # fmt: skip
    except QuycheError as exc:
        raise HTTPException(422, str(exc)) from None
    return {**sub.public(), "secret": sub.secret}


@router.get("/v1/subscriptions", summary="a body's subscriptions (admins: all)")
def list_subscriptions(svc: Svc, who: Caller) -> list[dict[str, Any]]:
    party = None if who.admin else who.party
    return [s.public() for s in subs.list_subscriptions(svc.store.engine, party)]


@router.delete("/v1/subscriptions/{sub_id}", status_code=204, summary="revoke a subscription")
def unsubscribe(svc: Svc, who: Caller, sub_id: str) -> Response:
    sub = subs.get(svc.store.engine, sub_id)
    if sub is None or not (who.admin or sub.party == who.party) or sub.revoked_at is not None:
        raise HTTPException(404, "subscription: no such active subscription")
    subs.unsubscribe(svc.store.engine, sub_id)
    return Response(status_code=204)


@router.get("/v1/deliveries", summary="the outbox: counts and messages (admins)")
def deliveries(
    svc: Svc,
    who: Caller,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|dead)$")] = None,
    party: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    if not who.admin:
        raise HTTPException(403, "Authorization: deliveries are for administrators")
    pid = _resolve(svc, party, "party") if party else None
    e = svc.store.engine
    return {"counts": queue.counts(e, pid),
            "items": queue.listing(e, status=status, party=pid, limit=limit)}  # fmt: skip


@router.get("/v1/decisions", summary="the decision log, a page at a time")
def decisions(
    svc: Svc,
    who: Caller,
    start: Annotated[StrictDate | None, Query(alias="from", description="first day (UTC)")] = None,
    end: Annotated[StrictDate | None, Query(alias="to", description="day after the last")] = None,
    body: Annotated[str | None, Query(max_length=200, description="decisions naming it")] = None,
    rule: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    unmasked: Annotated[bool, Query(description="admins: keep free text")] = False,
) -> dict[str, Any]:
    party = _resolve(svc, body, "body") if body else None
    if not who.admin:
        if unmasked:
            raise HTTPException(403, "unmasked: for administrators only")
        if party is not None and not may_read(who, [party], svc.engine.parties):
            raise HTTPException(403, "body: a key reads its own body's decisions only")
        party = party or who.party
    try:
        after = audit.decode_cursor(cursor) if cursor else None
    except ValueError:
        raise HTTPException(400, "cursor: not a cursor this service gave") from None
    items, nxt = audit.decisions_page(svc.store.engine, start=start, end=end, party=party,
                                      rule=rule, after=after, limit=limit,
                                      unmasked=unmasked)  # fmt: skip
    return {"items": items, "next_cursor": nxt}
