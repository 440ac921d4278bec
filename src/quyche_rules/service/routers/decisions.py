"""The decision log, read back by id: only by a key allowed to see it (else 404)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException

from quyche_rules.service.auth import may_read
from quyche_rules.service.deps import Caller, Svc
from quyche_rules.service.models import DecisionOut
from quyche_rules.service.receipts import Receipt

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/decisions/{decision_id}", response_model=DecisionOut, summary="A logged decision")
def get_decision(decision_id: str, svc: Svc, who: Caller) -> Any:
    """The receipt, the canonical input and the answer, as given at the time. Visible to an
    administrator, to the key that asked, and to every body the decision names; to anyone
    else it does not exist (404)."""
    missing = HTTPException(404, "decision_id: no such decision")
    try:
        uuid.UUID(decision_id)
    except ValueError:
        raise missing from None
    rec = svc.store.get_decision(decision_id)
    if rec is None or not may_read(
        who, rec.parties, svc.engine.rulebook.parties, asked_by_key=rec.key_id
    ):
        raise missing
    return DecisionOut(
        receipt=Receipt.model_validate(rec.receipt),
        kind=rec.kind,
        asked_by_party=rec.asked_by_party,
        parties=list(rec.parties),
        input=rec.input,
        result=rec.result,
    )
