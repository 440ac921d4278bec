"""Liveness (the process answers) and readiness (rules compiled, the database answers and
accepts a write, free disk above the threshold: ``service.readiness``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from quyche_rules.service.deps import Svc
from quyche_rules.service.models import HealthOut, ReadyOut
from quyche_rules.service.readiness import OK, checks

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
def healthz(svc: Svc) -> Any:
    """Alive, and which engine answers: an operator sees at once whether the pure-Python
    fallback stands in for durable-rules."""
    choice = svc.engine.backend_choice
    return HealthOut(status="ok", backend=choice.name, backend_reason=choice.reason)


@router.get("/readyz", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
def readyz(svc: Svc) -> Any:
    found = checks(svc.store.engine, min_free_bytes=svc.settings.min_free_disk_mb * 2**20)
    ready = all(v == OK for v in found.values())
    body = ReadyOut(
        status="ok" if ready else "unavailable",
        database=found["database"] == OK,
        rules=len(svc.engine.rulebook.rules),
        checks=found,
    )
    if ready:
        return body
    return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})
