"""Turning a question into a logged decision: answer, receipt, and one append to the log.

Kept apart from the routers so that the tracker endpoints (``POST /v1/track``) log their
decisions the same way, with the same receipts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from quyche_rules.model.obligations import Obligation
from quyche_rules.service.auth import Principal
from quyche_rules.service.deps import Services
from quyche_rules.service.quota import check, refusal, stored_input
from quyche_rules.service.receipts import Receipt
from quyche_rules.service.store import DecisionRecord, QuotaExceeded


@dataclass(frozen=True)
class Pending:
    """A decision computed but not yet logged."""

    kind: str
    input: Any
    parties: tuple[str, ...]
    result: Any
    receipt: Receipt


def event_parties(event: BaseModel, obligations: Iterable[Obligation] = ()) -> tuple[str, ...]:
    """Every party id the event names (in any party field) or the answer names."""
    from quyche_rules.model.event_checks import condition_fields

    out: list[str] = []
    etype: str = event.type  # type: ignore[attr-defined]
    for name, info in condition_fields(etype).items():
        if info.kind not in ("party", "party_list"):
            continue
        value = getattr(event, name)
        for pid in value if isinstance(value, list) else [value]:
            if pid is not None and pid not in out:
                out.append(pid)
    for o in obligations:
        for p in (o.obligated, *o.counterparties):
            if p.id not in out:
                out.append(p.id)
    return tuple(out)


def prepare(
    svc: Services, kind: str, canonical_input: Any, parties: Iterable[str], result: Any
) -> Pending:
    receipt = svc.receipts.make(canonical_input)  # the hash of the whole input
    return Pending(kind, stored_input(svc, canonical_input), tuple(parties), result, receipt)


def log_record(who: Principal, p: Pending) -> DecisionRecord:
    """The decision-log row of one pending decision."""
    return DecisionRecord(
        decision_id=p.receipt.decision_id,
        decided_at=p.receipt.decided_at,
        kind=p.kind,
        key_id=who.key_id,
        asked_by_party=who.party,
        parties=p.parties,
        receipt=p.receipt.model_dump(mode="json"),
        input=p.input,
        result=p.result,
    )


def commit(svc: Services, who: Principal, pending: list[Pending]) -> None:
    """Append the decisions in one transaction (shared with other requests' by the group
    commit): the answer is sent only once it is logged; over the key's daily quota, 429
    and nothing is logged (``quota``)."""
    check(svc, who, len(pending))
    try:
        svc.log.append([log_record(who, p) for p in pending])
    except QuotaExceeded as exc:  # requests of one key that passed ``check`` together
        raise refusal(exc.limit) from None
    decided(svc, pending)


def decided(svc: Services, pending: list[Pending]) -> None:
    """Count committed decisions in the metrics."""
    if svc.metrics is not None:
        for p in pending:
            svc.metrics.decided(p.kind, p.result)
