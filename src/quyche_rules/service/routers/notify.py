"""Who must be notified: one event, a batch, and why a rule did (not) fire."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel

from quyche_rules.model.obligations import Obligation
from quyche_rules.service.bodyread import KeyFirstRoute
from quyche_rules.service.decide import (
    Pending,
    answer_body,
    commit,
    commit_async,
    event_parties,
    prepare,
)
from quyche_rules.service.deps import Caller, Services, Svc
from quyche_rules.service.models import BatchIn, BatchOut, ExplainIn, ExplainOut, NotifyOut
from quyche_rules.service.registry import ServiceEvent

router = APIRouter(prefix="/v1", tags=["decisions"], route_class=KeyFirstRoute)


def decide_event(svc: Services, event: BaseModel) -> tuple[list[Obligation], Pending]:
    """One event's obligations and its decision, not yet logged: shared with the fast
    path (``service.fastpath``), so both answer from the same code."""
    obligations = svc.engine.who_must_be_notified(event)
    canonical = event.model_dump(mode="json")
    result = [o.model_dump(mode="json") for o in obligations]
    parties = event_parties(event, obligations)
    return obligations, prepare(svc, "notify", canonical, parties, result)


@router.post("/notify", response_model=NotifyOut, summary="Obligations arising from one event")
async def notify(event: Annotated[ServiceEvent, Body()], svc: Svc, who: Caller) -> Any:
    """Every obligation the event gives rise to, each citing its clause, with a receipt.

    The event is one of the types in `GET /v1/schemas/events` (a union on `type`); parties
    may be given by registry id or by name, with or without diacritics."""
    # On the event loop, on purpose: the engine answers in well under a millisecond (less
    # than a hop to a worker thread costs), the key check was this request's one hop, and
    # the wait for the durable commit holds no thread. The answer is rendered from the
    # JSON already made for the log: the same bytes NotifyOut would give, built once.
    _, pending = decide_event(svc, event)
    await commit_async(svc, who, [pending])
    return Response(answer_body(pending), media_type="application/json")


@router.post("/notify/batch", response_model=BatchOut, summary="Obligations for many events")
def notify_batch(batch: BatchIn, svc: Svc, who: Caller) -> Any:
    """Up to 100 events; each is its own decision with its own receipt. All are logged in
    one transaction, and one invalid event refuses the whole batch (422 naming its index)."""
    done = [decide_event(svc, ev) for ev in batch.events]
    commit(svc, who, [p for _, p in done])
    return BatchOut(results=[NotifyOut(obligations=o, receipt=p.receipt) for o, p in done])


@router.post("/explain", response_model=ExplainOut, summary="Why a rule did or did not fire")
def explain(body: ExplainIn, svc: Svc, who: Caller) -> Any:
    """For an event and a rule id: whether the rule fired, the triggers under which it
    fires, and for each obligation it gave the quote, the clause text, the conditions that
    matched and the jurist's note; and per trigger, which condition failed, with the
    field, the event's value and the values it needed (``checks``)."""
    rule = svc.engine.rulebook.rules.get(body.rule_id)
    if rule is None:
        raise HTTPException(404, f"rule_id: unknown rule id {body.rule_id!r}")
    obligations = [o for o in svc.engine.who_must_be_notified(body.event) if o.rule_id == rule.id]
    explanations = [svc.engine.explain(o) for o in obligations]
    checks = svc.engine.explain_not(body.event, rule.id).triggers
    canonical = {"event": body.event.model_dump(mode="json"), "rule_id": rule.id}
    result = [e.model_dump(mode="json") for e in explanations]
    pending = prepare(svc, "explain", canonical, event_parties(body.event, obligations), result)
    commit(svc, who, [pending])
    return ExplainOut(
        rule_id=rule.id,
        fired=bool(obligations),
        required=rule.trigger_labels(),
        explanations=explanations,
        checks=checks,
        receipt=pending.receipt,
    )
