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

Parties are matched by *subsumption* (issue 8): a value naming a body is met by the body,
by anything acting for it (an organ, a leadership) and, for a class, by its members. Where
the text singles out one organ on purpose, a rule writes ``{exact: id}`` (or
``{exact: [id, ...]}``; inside a list, ``[id, {exact: id}]``; for a list field,
``{contains: {exact: id}}``) and says why in its note. ``expand`` turns the written
condition into one over plain ids, once per engine, so the matchers (durable-rules
included) still compare ids and stay single-pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quyche_rules.model.event_checks import FieldInfo, condition_fields
from quyche_rules.model.parties import PartyRegistry

Scalar = str | bool
_NO: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Eq:
    field: str
    value: Scalar
    #: party values written ``{exact: id}``: not widened by ``expand``
    exact: frozenset[str] = _NO
    #: the field holds parties (its values are widened by ``expand``)
    parties: bool = False


@dataclass(frozen=True)
class In:
    field: str
    values: tuple[Scalar, ...]
    exact: frozenset[str] = _NO
    parties: bool = False


@dataclass(frozen=True)
class Contains:
    field: str
    value: str
    exact: frozenset[str] = _NO


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
        is_party = info.kind == "party"
        if isinstance(value, dict) and set(value) == {"contains"}:
            if info.kind != "party_list":
                raise ConditionError("only {contains: party} on a list of parties", here)
            inner = value["contains"]
            exact = _is_exact(inner, here)
            v = str(_check_value(info, inner["exact"] if exact else inner, here, registry))
            items.append(Contains(key, v, frozenset({v}) if exact else _NO))
        elif _is_exact_list(value):
            vals, exact_vals = _values(info, [{"exact": v} for v in value["exact"]], here, registry)
            if not is_party:
                raise ConditionError("exact: applies to a field of one party", here)
            items.append(In(key, vals, exact_vals, True))
        elif isinstance(value, list):
            if not value or info.kind == "party_list":
                raise ConditionError("a list of values needs a single-valued field", here)
            vals, exact_vals = _values(info, value, here, registry)
            items.append(In(key, vals, exact_vals, is_party))
        else:
            if info.kind == "party_list":
                raise ConditionError("a list of parties is tested with {contains: party}", here)
            vals, exact_vals = _values(info, [value], here, registry, single=True)
            items.append(Eq(key, vals[0], exact_vals, is_party))
    return items[0] if len(items) == 1 else All(tuple(items))


def _is_exact_list(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"exact"} and isinstance(value["exact"], list)


def _is_exact(value: Any, path: str) -> bool:
    if isinstance(value, dict):
        if set(value) != {"exact"} or not isinstance(value["exact"], str):
            raise ConditionError("write {exact: party_id} (or {exact: [ids]})", path)
        return True
    return False


def _values(
    info: FieldInfo, raw: list[Any], path: str, registry: PartyRegistry, *, single: bool = False
) -> tuple[tuple[Scalar, ...], frozenset[str]]:
    vals: list[Scalar] = []
    exact: set[str] = set()
    for i, v in enumerate(raw):
        here = path if single else f"{path}.{i}"
        if _is_exact(v, here):
            if info.kind != "party":
                raise ConditionError("exact: applies to a field of one party", here)
            checked = _check_value(info, v["exact"], here, registry)
            exact.add(str(checked))
        else:
            checked = _check_value(info, v, here, registry)
        vals.append(checked)
    return tuple(vals), frozenset(exact)


def expand(cond: Condition, registry: PartyRegistry) -> Condition:
    """The condition over plain ids: each party value not marked exact becomes the set of
    ids it subsumes in ``registry`` (the regulation's parties plus a profile's bodies).

    Written values come first, in their order, then the added ids sorted, so the compiled
    ruleset is deterministic."""
    if isinstance(cond, Eq | In):
        written = (cond.value,) if isinstance(cond, Eq) else cond.values
        if not cond.parties:
            return cond
        vals = _widen(written, cond.exact, registry)
        if len(vals) == 1:
            return Eq(cond.field, vals[0], cond.exact, True)
        return In(cond.field, vals, cond.exact, True)
    if isinstance(cond, Contains):
        ids = _widen((cond.value,), cond.exact, registry)
        if len(ids) == 1:
            return cond
        return AnyOf(tuple(Contains(cond.field, str(v), cond.exact) for v in ids))
    items = tuple(expand(c, registry) for c in cond.items)
    return All(items) if isinstance(cond, All) else AnyOf(items)


def _widen(
    written: tuple[Scalar, ...], exact: frozenset[str], registry: PartyRegistry
) -> tuple[Scalar, ...]:
    out: list[Scalar] = list(dict.fromkeys(written))
    extra: set[str] = set()
    for v in written:
        if isinstance(v, str) and v not in exact:
            extra |= registry.subsumed(v)
    out.extend(sorted(extra - set(out)))
    return tuple(out)


def exact_fields(cond: Condition) -> set[str]:
    """Fields on which the condition names some party exactly (for tests and docs)."""
    if isinstance(cond, Eq | In | Contains):
        return {cond.field} if cond.exact else set()
    return set().union(*(exact_fields(c) for c in cond.items))


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
        return f"{cond.field} = {_lit(cond.value, cond.exact)}"
    if isinstance(cond, In):
        return f"{cond.field} ∈ {{{', '.join(_lit(v, cond.exact) for v in cond.values)}}}"
    if isinstance(cond, Contains):
        return f"{cond.field} ∋ {_lit(cond.value, cond.exact)}"
    joiner = " và " if isinstance(cond, All) else " hoặc "
    return "(" + joiner.join(describe(c) for c in cond.items) + ")"


def _lit(v: Scalar, exact: frozenset[str] = _NO) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return f"{v} (exact)" if v in exact else v
