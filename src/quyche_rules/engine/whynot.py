"""Why a rule did not fire for an event: per trigger, which condition failed, with the
field, the value the event had and the values the rule needed.

The answer is structured (the ``explain=fails`` of OPA, the ``/trace`` of OpenFisca) so
that a client can show "the event's ``stage`` was ``drafting``; Điều 5.2.a needs
``policy_agreed``" without parsing words. It reads the rule's conditions *as written*
(the values a jurist wrote, not the ids they widen to), and decides each one the way the
engine does: the written leaf widened in the engine's registry, then the reference
semantics of ``conditions.evaluate``. ``widened`` says when more bodies than the written
ones would do (an organ, a leadership, a member of a class).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from quyche_rules.errors import json_pointer
from quyche_rules.model.parties import PartyRegistry
from quyche_rules.rulebook.conditions import (
    All,
    Condition,
    Contains,
    Eq,
    In,
    evaluate,
    expand,
)
from quyche_rules.rulebook.loader import EventTrigger, Rule

Test = Literal["equals", "one_of", "contains"]


class FailedCondition(BaseModel):
    """One condition of a trigger that the event did not meet."""

    field: str = Field(description="the event field the condition tests")
    pointer: str = Field(description="the same field as a JSON Pointer into the event")
    test: Test
    had: Any = Field(description="the event's value (null: the event did not give it)")
    needed: list[Any] = Field(description="the values the rule names (any one of them)")
    widened: bool = Field(
        description="bodies counted as a named one (organs, leaderships, class members) "
        "also meet it"
    )
    alternative: str | None = Field(
        default=None,
        description="for a condition inside an 'any' block: which alternative (any.0, any.1…); "
        "the trigger holds when every condition of one alternative holds",
    )


class TriggerCheck(BaseModel):
    """One trigger of the rule, checked against the event."""

    index: int
    event_type: str | None = Field(description="the event type it needs; null for standing")
    matched: bool
    reason: Literal["matched", "other_event_type", "conditions_failed", "standing"]
    failed: list[FailedCondition]


class WhyNot(BaseModel):
    """``Engine.explain_not``: did the rule fire for the event, and per trigger, why not."""

    rule_id: str
    fired: bool
    event_type: str
    triggers: list[TriggerCheck]


def _leaf(
    cond: Eq | In | Contains, fact: dict[str, Any], reg: PartyRegistry, alt: str | None
) -> list[FailedCondition]:
    if evaluate(expand(cond, reg), fact):
        return []
    if isinstance(cond, Eq):
        test: Test = "equals"
        needed: list[Any] = [cond.value]
    elif isinstance(cond, In):
        test, needed = "one_of", list(cond.values)
    else:
        test, needed = "contains", [cond.value]
    widened = expand(cond, reg) != cond
    return [
        FailedCondition(
            field=cond.field,
            pointer=json_pointer(cond.field) or "",
            test=test,
            had=fact.get(cond.field),
            needed=needed,
            widened=widened,
            alternative=alt,
        )
    ]


def _failures(
    cond: Condition, fact: dict[str, Any], reg: PartyRegistry, alt: str | None = None
) -> list[FailedCondition]:
    if isinstance(cond, Eq | In | Contains):
        return _leaf(cond, fact, reg, alt)
    if isinstance(cond, All):
        return [f for c in cond.items for f in _failures(c, fact, reg, alt)]
    branches = [
        _failures(c, fact, reg, f"{alt}.any.{i}" if alt else f"any.{i}")
        for i, c in enumerate(cond.items)
    ]
    if any(not b for b in branches):  # one alternative holds: the block holds
        return []
    return [f for b in branches for f in b]


def check_trigger(
    i: int, t: EventTrigger, etype: str, fact: dict[str, Any], reg: PartyRegistry
) -> TriggerCheck:
    if t.event_type != etype:
        other = FailedCondition(
            field="type",
            pointer="/type",
            test="equals",
            had=etype,
            needed=[t.event_type],
            widened=False,
        )
        return TriggerCheck(
            index=i, event_type=t.event_type, matched=False, reason="other_event_type",
            failed=[other],
        )  # fmt: skip
    failed = _failures(t.condition, fact, reg) if t.condition is not None else []
    return TriggerCheck(
        index=i,
        event_type=t.event_type,
        matched=not failed,
        reason="conditions_failed" if failed else "matched",
        failed=failed,
    )


def why_not(
    rule: Rule, etype: str, fact: dict[str, Any], reg: PartyRegistry, fired: bool
) -> WhyNot:
    checks = [check_trigger(i, t, etype, fact, reg) for i, t in enumerate(rule.event_triggers)]
    if rule.standing:
        checks.append(
            TriggerCheck(
                index=len(checks), event_type=None, matched=False, reason="standing", failed=[]
            )
        )
    return WhyNot(rule_id=rule.id, fired=fired, event_type=etype, triggers=checks)
