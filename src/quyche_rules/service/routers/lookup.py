"""The rulebook itself: rules, clauses of the text, coverage, schemas. Static answers
(they change only with the rulebook), so no decision is logged; a valid key is needed all
the same, as for every rule query."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from quyche_rules.model.basis import Basis
from quyche_rules.model.event_checks import events_json_schema
from quyche_rules.model.obligations import BasisOut
from quyche_rules.model.parties import PartyRegistry
from quyche_rules.pages.phrases import default_phrasebook
from quyche_rules.rulebook.loader import Rule, Rulebook
from quyche_rules.service.caching import revalidate
from quyche_rules.service.deps import Caller, Services, Svc
from quyche_rules.service.models import (
    ClauseOut,
    CoverageOut,
    CoverageUnit,
    PartyInfo,
    RuleBrief,
    RuleOut,
)
from quyche_rules.service.paging import Cursor, Limit, page
from quyche_rules.service.tenants import PROFILE_HEADER, profile_name

router = APIRouter(prefix="/v1", tags=["rulebook"])


def coverage_out(book: Rulebook) -> CoverageOut:
    """Every unit of the text and its rules: ``GET /v1/coverage`` and ``quyche rules
    coverage --json`` (one shape)."""
    items = []
    for basis in sorted(book.regulation.units):
        rules = sorted(r.id for r in book.rules_for(basis))
        na = book.non_actionable.get(basis)
        items.append(
            CoverageUnit(
                basis=BasisOut.of(basis),
                rules=rules,
                non_actionable=na.reason if na else None,
                covered=bool(rules) or na is not None,
            )
        )
    return CoverageOut(
        rules=len(book.rules),
        units=len(items),
        not_accounted_for=sum(not i.covered for i in items),
        items=items,
    )


def _fresh(request: Request, response: Response, svc: Services) -> Response | None:
    return revalidate(request, response, svc.etag)


_CLAUSE = re.compile(r"^(?:dieu-)?(\d{1,3})(?:[.-](\d{1,3}))?(?:[.-]([a-zđ]))?$")


def rule_out(rule: Rule, parties: PartyRegistry | None = None) -> RuleOut:
    when = default_phrasebook().rule_sentences(rule, parties) if parties is not None else []
    return RuleOut(
        id=rule.id,
        basis=BasisOut.of(rule.basis),
        quote=rule.quote,
        obligated=rule.obligated,
        counterparties=list(rule.counterparties),
        duty=rule.duty.value,
        form=rule.form.value,
        triggers=rule.trigger_labels(),
        deadline_working_days=rule.deadline.working_days if rule.deadline else None,
        summary_en=rule.summary_en,
        note=rule.note,
        file=rule.file,
        summary_vi=rule.summary_vi,
        note_vi=rule.note_vi,
        when_vi=[p.vi for p in when],
        when_en=[p.en for p in when],
    )


@router.get("/rules", response_model=list[RuleBrief], summary="Every rule, in text order")
def list_rules(
    svc: Svc,
    who: Caller,
    request: Request,
    response: Response,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Any:
    """In text order; ``limit``/``cursor`` page it (``Link: rel="next"``, ``X-Next-Cursor``)."""
    if (hit := _fresh(request, response, svc)) is not None:
        return hit
    book = svc.engine.rulebook
    rules = sorted(book, key=lambda r: (r.basis, r.id))
    order = {r.id: n for n, r in enumerate(rules)}
    got = page(
        rules,
        lambda r: f"{order[r.id]:06d}",
        limit=limit,
        cursor=cursor,
        request=request,
        response=response,
    )
    return [
        RuleBrief(
            id=r.id, basis=BasisOut.of(r.basis), summary_en=r.summary_en, summary_vi=r.summary_vi
        )
        for r in got
    ]


@router.get("/rules/{rule_id}", response_model=RuleOut, summary="One rule with its quote")
def get_rule(rule_id: str, svc: Svc, who: Caller, request: Request, response: Response) -> Any:
    if (hit := _fresh(request, response, svc)) is not None:
        return hit
    rule = svc.engine.rulebook.rules.get(rule_id)
    if rule is None:
        raise HTTPException(404, f"rule_id: unknown rule id {rule_id!r}")
    return rule_out(rule, svc.engine.parties)


@router.get("/clauses/{ref}", response_model=ClauseOut, summary="One clause of the text")
def get_clause(ref: str, svc: Svc, who: Caller, request: Request, response: Response) -> Any:
    """``ref`` is ``5``, ``5.2``, ``5.2.a`` or the anchor ``dieu-5-2-a``."""
    if (hit := _fresh(request, response, svc)) is not None:
        return hit
    m = _CLAUSE.match(ref.strip().lower())
    if m is None:
        raise HTTPException(404, f"ref: {ref[:40]!r} is not a clause reference like 5.2.a")
    art, cl, pt = m.groups()
    basis = Basis(int(art), int(cl) if cl else None, pt)
    book = svc.engine.rulebook
    unit = book.regulation.unit(basis)
    if unit is None:
        raise HTTPException(404, f"ref: the text has no unit {basis}")
    na = book.non_actionable.get(basis)
    return ClauseOut(
        basis=BasisOut.of(basis),
        anchor=basis.anchor,
        text=unit.text,
        rules=[r.id for r in sorted(book.rules_for(basis), key=lambda r: r.id)],
        non_actionable=na.reason if na else None,
    )


@router.get("/coverage", response_model=CoverageOut, summary="Every unit of the text and its rules")
def coverage(svc: Svc, who: Caller, request: Request, response: Response) -> Any:
    if (hit := _fresh(request, response, svc)) is not None:
        return hit
    return coverage_out(svc.engine.rulebook)


@router.get("/parties", response_model=list[PartyInfo], summary="The party registry")
def list_parties(
    svc: Svc,
    who: Caller,
    request: Request,
    response: Response,
    limit: Limit = None,
    cursor: Cursor = None,
) -> Any:
    """Every body and class the regulation names, then the concrete bodies of the
    caller's profile (each with its `province`; the header `X-Quyche-Profile` names the
    profile): the ids events and keys use; ``limit``/``cursor`` page it
    (``Link: rel="next"``, ``X-Next-Cursor``)."""
    if (hit := _fresh(request, response, svc)) is not None:
        return hit
    parties = list(svc.engine.rulebook.parties)  # the registry's order, as before
    profile = svc.engine.profile
    province: dict[str, str] = {}
    if profile is not None:
        response.headers[PROFILE_HEADER] = profile_name(profile)
        parties += [svc.engine.parties.parties[b] for b in profile.body_ids]
        province = dict.fromkeys(profile.body_ids, profile.province)
    order = {p.id: n for n, p in enumerate(parties)}
    got = page(
        parties,
        lambda p: f"{order[p.id]:06d}",
        limit=limit,
        cursor=cursor,
        request=request,
        response=response,
    )
    return [
        PartyInfo(
            id=p.id,
            name_vi=p.name_vi,
            name_en=p.name_en,
            kind=p.kind.value,
            members=list(p.members),
            parent=p.parent,
            province=province.get(p.id),
        )
        for p in got
    ]


@router.get(
    "/schemas/events", response_model=dict[str, Any], summary="JSON Schema of every event type"
)
def schema_events(svc: Svc, who: Caller, request: Request, response: Response) -> Any:
    if (hit := _fresh(request, response, svc)) is not None:
        return hit
    return events_json_schema()
