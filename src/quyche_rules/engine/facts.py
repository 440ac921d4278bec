"""From a validated event to the fact a backend matches: compiled triggers, the projection of
the fields some rule tests, and fast field access.

The backend sees only the fields the rules test, so two events that differ elsewhere give
the same fact (and share the memo).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel

from quyche_rules.engine.backends import (
    CompiledTrigger,
)
from quyche_rules.errors import QuycheError
from quyche_rules.model.parties import PartyRegistry
from quyche_rules.rulebook.conditions import expand, fields_of
from quyche_rules.rulebook.loader import Rulebook

_RESERVED = {"id", "sid"}


def compile_triggers(
    book: Rulebook, registry: PartyRegistry | None = None
) -> list[CompiledTrigger]:
    """One compiled trigger per (rule, trigger), its party values widened to every id that
    counts as them in ``registry`` (default: the rulebook's own parties)."""
    reg = registry or book.parties
    out: list[CompiledTrigger] = []
    for rule in book:
        for i, t in enumerate(rule.event_triggers):
            cond = expand(t.condition, reg) if t.condition is not None else None
            out.append(CompiledTrigger(f"{rule.id}#{i}", rule.id, i, t.event_type, cond))
    return out


def projection(triggers: list[CompiledTrigger]) -> dict[str, frozenset[str]]:
    """Per event type, the fields some rule tests: the only ones sent to the backend."""
    fields: dict[str, set[str]] = {}
    for t in triggers:
        fs = fields.setdefault(t.event_type, set())
        if t.condition is not None:
            fs |= fields_of(t.condition)
    bad = set().union(*fields.values()) & _RESERVED if fields else set()
    if bad:
        raise QuycheError(f"event fields {sorted(bad)} collide with durable-rules' own names")
    return {k: frozenset(v) for k, v in fields.items()}


def fact_value(v: Any) -> Any:
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, list | tuple):
        return [fact_value(x) for x in v]
    return v


_FIELD, _ABSENT, _ATTR = 0, 1, 2
_access: dict[tuple[type, str], int] = {}


def get_field(ev: BaseModel, name: str) -> Any:
    """``getattr(ev, name, None)`` without pydantic's slow ``__getattr__`` for a name the
    event type lacks (issue 10: ``agency``, ``district``… are absent from most types;
    events forbid extra fields, so a name that is neither a field nor a class attribute
    is absent)."""
    cls = type(ev)
    how = _access.get((cls, name))
    if how is None:  # once per (type, name)
        fields: Any = cls.model_fields
        how = _FIELD if name in fields else _ATTR if hasattr(cls, name) else _ABSENT
        _access[(cls, name)] = how
    if how == _FIELD:
        return ev.__dict__.get(name)
    if how == _ABSENT:
        return None
    return getattr(ev, name, None)
