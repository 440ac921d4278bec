"""Liveness (the process answers) and readiness (rules compiled, database reachable)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from quyche_rules.service.deps import Svc
from quyche_rules.service.models import HealthOut, ReadyOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
def healthz(svc: Svc) -> Any:
    """Alive, and which engine answers: an operator sees at once whether the pure-Python
    fallback stands in for durable-rules."""
    choice = svc.engine.backend_choice
    return HealthOut(status="ok", backend=choice.name, backend_reason=choice.reason)


@router.get("/readyz", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
def readyz(svc: Svc) -> Any:
    db = svc.store.ping()
    body = ReadyOut(
        status="ok" if db else "unavailable", database=db, rules=len(svc.engine.rulebook.rules)
    )
    return body if db else JSONResponse(body.model_dump(), status_code=503)
