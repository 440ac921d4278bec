"""Questions about a body or a date: duties of a party, the Art. 3.1 deadline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from quyche_rules.errors import QuycheError
from quyche_rules.model.field_types import StrictDate
from quyche_rules.model.obligations import BasisOut, PartyOut
from quyche_rules.service.decide import commit, prepare
from quyche_rules.service.deps import Caller, Svc
from quyche_rules.service.models import DeadlineOut, DutiesOut, DutyOut

router = APIRouter(prefix="/v1", tags=["decisions"])


@router.get("/duties/{party}", response_model=DutiesOut, summary="Every rule binding a body")
def duties(party: str, svc: Svc, who: Caller) -> Any:
    """Standing, periodic and event-triggered duties of ``party`` (id or name)."""
    try:
        p = svc.engine.rulebook.parties.resolve(party)
    except KeyError:
        raise HTTPException(404, f"party: unknown party {party[:60]!r}") from None
    entries = svc.engine.duties_of(p.id)
    out = [
        DutyOut(
            rule_id=e.rule.id,
            basis=BasisOut.of(e.rule.basis),
            binds_as=e.binds_as,
            duty=e.rule.duty.value,
            form=e.rule.form.value,
            counterparties=list(e.rule.counterparties),
            triggers=e.rule.trigger_labels(),
            summary_en=e.rule.summary_en,
            summary_vi=e.rule.summary_vi,
        )
        for e in entries
    ]
    pending = prepare(
        svc, "duties", {"party": p.id}, [p.id], [d.model_dump(mode="json") for d in out]
    )
    commit(svc, who, [pending])
    return DutiesOut(party=PartyOut.of(p), duties=out, receipt=pending.receipt)


@router.get("/deadline", response_model=DeadlineOut, summary="N working days after receipt")
def deadline(
    received: Annotated[StrictDate, Query(description="date of receipt, YYYY-MM-DD")],
    svc: Svc,
    who: Caller,
    days: Annotated[int, Query(ge=1, le=366, description="working days (Art. 3.1: 7)")] = 7,
) -> Any:
    """The due date ``days`` working days after ``received``: the day of receipt is not
    counted (Civil Code 2015 Art. 147); provisional when a year's holidays are not yet
    officially arranged."""
    try:
        d = svc.engine.calendar.deadline(received, days)
    except QuycheError as exc:
        raise HTTPException(422, f"days: {exc}") from None
    result = {
        "due": d.due.isoformat(),
        "provisional": d.provisional,
        "provisional_years": list(d.provisional_years),
    }
    canonical = {"received": received.isoformat(), "working_days": days}
    pending = prepare(svc, "deadline", canonical, [], result)
    commit(svc, who, [pending])
    return DeadlineOut(
        received=d.received,
        working_days=d.working_days,
        due=d.due,
        provisional=d.provisional,
        provisional_years=list(d.provisional_years),
        receipt=pending.receipt,
    )
