"""The small condition language of rule triggers, and its checking against event fields.

A ``when:`` mapping in a rule file reads as a jurist would write it::

    when:
      stage: policy_agreed                      # field equals value
      decided_by: [ban_thuong_vu_tinh_uy, ...]  # field is one of the values
      related_bodies: {contains: some_party}    # list field contains the value
      any:                                      # at least one of the mappings holds
        - {subject_kind: organisation, subject_in_bloc: true}
        - {subject_kind: member, subject_managed_by: ban_thuong_vu_dang_uy_khoi}

Several keys in one mapping must all hold. There is no negation: the engine's treatment of
absent fields under negation differs from Python's, and the text never needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .events import FieldInfo, condition_fields
from .parties import PartyRegistry

Scalar = str | bool


@dataclass(frozen=True)
class Eq:
    field: str
    value: Scalar


@dataclass(frozen=True)
class In:
    field: str
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class Contains:
    field: str
    value: str


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


Condition = Eq | In | Contains | All | AnyOf


class ConditionError(ValueError):
    """A ``when:`` block is malformed; ``field`` is the dotted path inside it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _check_value(info: FieldInfo, value: Any, path: str, registry: PartyRegistry) -> Scalar:
    if info.kind == "bool":
        if not isinstance(value, bool):
            raise ConditionError(f"{info.name} is a yes/no field: write true or false", path)
        return value
    if not isinstance(value, str):
        raise ConditionError(f"{info.name} takes a name, got {value!r}", path)
    if info.kind in ("party", "party_list"):
        if value not in registry:
            raise ConditionError(f"unknown party id {value!r}", path)
        return value
    assert info.enum is not None
    allowed = [e.value for e in info.enum]
    if value not in allowed:
        raise ConditionError(f"{value!r} is not one of {allowed}", path)
    return value


def parse_condition(
    when: Any, event_type: str, registry: PartyRegistry, path: str = "when"
) -> Condition:
    """Turn a ``when:`` mapping into a condition tree, checking each field and value
    against the event type so that a typo cannot silently never match."""
    fields = condition_fields(event_type)
    if not isinstance(when, dict) or not when:
        raise ConditionError("must be a non-empty mapping of field: value", path)
    items: list[Condition] = []
    for key, value in when.items():
        here = f"{path}.{key}"
        if key in ("any", "all"):
            if not isinstance(value, list) or not value:
                raise ConditionError(f"{key} takes a non-empty list of mappings", here)
            subs = tuple(
                parse_condition(v, event_type, registry, f"{here}.{i}") for i, v in enumerate(value)
            )
            items.append(AnyOf(subs) if key == "any" else All(subs))
            continue
        info = fields.get(key)
        if info is None:
            raise ConditionError(
                f"event type {event_type!r} has no field {key!r} a rule can test "
                f"(fields: {', '.join(sorted(fields))})",
                here,
            )
        if isinstance(value, dict):
            if set(value) != {"contains"} or info.kind != "party_list":
                raise ConditionError("only {contains: party} on a list of parties", here)
            items.append(Contains(key, str(_check_value(info, value["contains"], here, registry))))
        elif isinstance(value, list):
            if not value or info.kind == "party_list":
                raise ConditionError("a list of values needs a single-valued field", here)
            items.append(
                In(
                    key,
                    tuple(
                        _check_value(info, v, f"{here}.{i}", registry) for i, v in enumerate(value)
                    ),
                )
            )
        else:
            if info.kind == "party_list":
                raise ConditionError("a list of parties is tested with {contains: party}", here)
            items.append(Eq(key, _check_value(info, value, here, registry)))
    return items[0] if len(items) == 1 else All(tuple(items))


def fields_of(cond: Condition) -> set[str]:
    if isinstance(cond, (Eq, In, Contains)):
        return {cond.field}
    return set().union(*(fields_of(c) for c in cond.items))


def evaluate(cond: Condition, fact: dict[str, Any]) -> bool:
    """Reference semantics, shared by the Python backend and by ``explain``."""
    if isinstance(cond, Eq):
        return cond.field in fact and _same(fact[cond.field], cond.value)
    if isinstance(cond, In):
        return cond.field in fact and any(_same(fact[cond.field], v) for v in cond.values)
    if isinstance(cond, Contains):
        return cond.value in fact.get(cond.field, ())
    if isinstance(cond, All):
        return all(evaluate(c, fact) for c in cond.items)
    return any(evaluate(c, fact) for c in cond.items)


def _same(a: Any, b: Scalar) -> bool:
    # strict: True is not 1, "1" is not 1 (the durable-rules trap the event model avoids)
    return type(a) is type(b) and a == b


def describe(cond: Condition) -> str:
    """Human-readable form, used by ``explain`` and ``quyche rules show``."""
    if isinstance(cond, Eq):
        return f"{cond.field} = {_lit(cond.value)}"
    if isinstance(cond, In):
        return f"{cond.field} ∈ {{{', '.join(_lit(v) for v in cond.values)}}}"
    if isinstance(cond, Contains):
        return f"{cond.field} ∋ {cond.value}"
    joiner = " và " if isinstance(cond, All) else " hoặc "
    return "(" + joiner.join(describe(c) for c in cond.items) + ")"


def _lit(v: Scalar) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else v
