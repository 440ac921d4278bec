"""Hypothesis strategies for valid events, built from the event model itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from quyche_rules.model.event_checks import CORRECTS_RECEIPT, condition_fields
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.model.parties import default_registry

PARTY_IDS = sorted(p.id for p in default_registry())
dates = st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31))


def _value(kind: str, enum: Any, required: bool) -> st.SearchStrategy[Any]:
    if kind == "party":
        s: st.SearchStrategy[Any] = st.sampled_from(PARTY_IDS)
    elif kind == "party_list":
        return st.lists(st.sampled_from(PARTY_IDS), min_size=1, max_size=3)
    elif kind == "bool":
        s = st.booleans()
    else:
        s = st.sampled_from([e.value for e in enum])
    return s if required else st.one_of(st.none(), s)


@st.composite
def events(draw: st.DrawFn, event_type: str | None = None) -> dict[str, Any]:
    etype = event_type or draw(st.sampled_from(sorted(EVENT_TYPES)))
    model = EVENT_TYPES[etype]
    day = draw(dates)
    data: dict[str, Any] = {"type": etype, "date": day.isoformat()}
    for name, info in condition_fields(etype).items():
        required = model.model_fields[name].is_required()
        value = draw(_value(info.kind, info.enum, required))
        if value is not None:
            data[name] = value
    if etype in CORRECTS_RECEIPT:
        # a correction names a receipt on or before its own date
        data["received_on"] = draw(st.dates(dt.date(2024, 1, 1), day)).isoformat()
    elif "received_on" in model.model_fields and draw(st.booleans()):
        # received_on is never before date (parse_event refuses that pair)
        data["received_on"] = draw(st.dates(day, dt.date(2026, 12, 31))).isoformat()
    # lifecycle events (answers, withdrawals) must name the document they answer: a
    # required text field no rule tests, so it is not among the condition fields
    if "in_reply_to" in model.model_fields and (
        model.model_fields["in_reply_to"].is_required() or draw(st.booleans())
    ):
        data["in_reply_to"] = draw(st.sampled_from(["CV-1/DUK", "123-CV/BNC"]))
    return data


def _witness(draw: st.DrawFn, cond: Any, out: dict[str, Any]) -> None:
    """Set fields so that ``cond`` holds (a random branch of each ``any``)."""
    from quyche_rules.rulebook.conditions import All, AnyOf, Contains, Eq, In

    if isinstance(cond, Eq):
        out[cond.field] = cond.value
    elif isinstance(cond, In):
        out[cond.field] = draw(st.sampled_from(cond.values))
    elif isinstance(cond, Contains):
        out.setdefault(cond.field, []).append(cond.value)
    elif isinstance(cond, All):
        for c in cond.items:
            _witness(draw, c, out)
    elif isinstance(cond, AnyOf):
        _witness(draw, draw(st.sampled_from(cond.items)), out)


@st.composite
def events_near(draw: st.DrawFn, triggers: list[Any]) -> dict[str, Any]:
    """An event built to satisfy a random trigger, then perhaps mutated in one field, so
    that both the firing and the just-not-firing sides of each condition are explored."""
    t = draw(st.sampled_from(triggers))
    data = draw(events(t.event_type))
    forced: dict[str, Any] = {}
    if t.condition is not None:
        _witness(draw, t.condition, forced)
    data.update(forced)
    if draw(st.booleans()):
        fields = condition_fields(t.event_type)
        name = draw(st.sampled_from(sorted(fields)))
        info = fields[name]
        value = draw(_value(info.kind, info.enum, True))
        data[name] = value
    return data
