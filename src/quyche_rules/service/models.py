"""Request and response bodies of the HTTP API.

Events and obligations are the library's own Pydantic models (``events.Event``,
``Obligation``, ``Explanation``): the OpenAPI document is generated from them, so a new
event field reaches the API without being spelled out again here. Only the envelopes that
exist because of HTTP (receipts, batches, look-ups) are defined in this module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from quyche_rules.engine.whynot import TriggerCheck
from quyche_rules.model.obligations import BasisOut, Explanation, Obligation, PartyOut
from quyche_rules.service.receipts import Receipt
from quyche_rules.service.registry import ServiceEvent

BATCH_MAX = 100


class ErrorOut(BaseModel):
    """Every 4xx (and the rare 5xx) answer: one line saying what is wrong and where."""

    detail: str = Field(examples=["body.requester: unknown party 'x'"])


class NotifyOut(BaseModel):
    obligations: list[Obligation]
    receipt: Receipt


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[ServiceEvent] = Field(min_length=1, max_length=BATCH_MAX)


class BatchOut(BaseModel):
    """One result per event, in the order given; each event is its own decision."""

    results: list[NotifyOut]


class DutyOut(BaseModel):
    rule_id: str
    basis: BasisOut
    binds_as: str = Field(description="named, member of <class>, or when the event names it")
    duty: str
    form: str
    counterparties: list[str] = Field(description="party ids, or @field for event-named ones")
    triggers: list[str]
    summary_en: str
    summary_vi: str = ""


class DutiesOut(BaseModel):
    party: PartyOut
    duties: list[DutyOut]
    receipt: Receipt


class DeadlineOut(BaseModel):
    received: dt.date
    working_days: int
    due: dt.date
    provisional: bool
    provisional_years: list[int]
    receipt: Receipt


class ExplainIn(BaseModel):
    """An event and a rule: did the rule fire for the event, and why (or why not)."""

    model_config = ConfigDict(extra="forbid")
    event: ServiceEvent
    rule_id: str = Field(max_length=200)


class ExplainOut(BaseModel):
    rule_id: str
    fired: bool
    required: list[str] = Field(description="the triggers under which the rule fires")
    explanations: list[Explanation] = Field(description="one per obligation the rule gave")
    checks: list[TriggerCheck] = Field(
        default_factory=list,
        description="per trigger of the rule: matched, or each condition that failed with "
        "the field, the event's value and the values needed (Engine.explain_not)",
    )
    receipt: Receipt


class RuleOut(BaseModel):
    id: str
    basis: BasisOut
    quote: str
    obligated: str
    counterparties: list[str]
    duty: str
    form: str
    triggers: list[str]
    deadline_working_days: int | None
    summary_en: str
    note: str | None
    file: str
    summary_vi: str = ""
    note_vi: str | None = None
    when_vi: list[str] = Field(
        default_factory=list, description="every trigger as a Vietnamese sentence"
    )
    when_en: list[str] = Field(default_factory=list, description="the same sentences in English")


class PartyInfo(BaseModel):
    id: str
    name_vi: str
    name_en: str
    kind: str = Field(description="body, or class (a name the text gives to several bodies)")
    members: list[str]
    parent: str | None
    province: str | None = Field(
        default=None,
        description="for a concrete body of the caller's profile, its province (`Đắk Lắk`); "
        "null for a party the regulation itself names",
    )


class RuleBrief(BaseModel):
    id: str
    basis: BasisOut
    summary_en: str
    summary_vi: str = ""


class ClauseOut(BaseModel):
    basis: BasisOut
    anchor: str = Field(description="anchor of the clause in the literate view, e.g. dieu-5-2-a")
    text: str
    rules: list[str]
    non_actionable: str | None = Field(description="why no rule encodes it, when none does")


class CoverageUnit(BaseModel):
    basis: BasisOut
    rules: list[str]
    non_actionable: str | None
    covered: bool


class CoverageOut(BaseModel):
    rules: int
    units: int
    not_accounted_for: int
    items: list[CoverageUnit]


class DecisionOut(BaseModel):
    """A decision as logged: the receipt, the canonical input and the answer given."""

    receipt: Receipt
    kind: str
    asked_by_party: str | None
    parties: list[str]
    input: Any
    result: Any


class KeyOut(BaseModel):
    """One API key as ``quyche keys list --json`` shows it (never the key itself)."""

    key_id: str
    party: str | None
    admin: bool
    label: str | None
    created_at: str = Field(description="ISO 8601 UTC, to the second")
    revoked_at: str | None
    profile: str | None = Field(
        default=None, description="the profile the key is bound to (its name), null for none"
    )


class HealthOut(BaseModel):
    status: str
    backend: str | None = Field(
        default=None, description="engine backend that answers: durable or python"
    )
    backend_reason: str | None = Field(
        default=None,
        description="why: `requested`, or `auto: …` (durable-rules installed, or not "
        "installed on this Python so the pure-Python matcher answers)",
    )


class ReadyOut(BaseModel):
    status: str
    database: bool
    rules: int
    checks: dict[str, str] = Field(
        default_factory=dict,
        description="database, write, disk (SQLite only): 'ok' or why the check failed",
    )
