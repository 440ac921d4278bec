"""An engine written down as plain data: what ``engine.plain`` answers from without
building a single pydantic model class.

``quyche notify FILE --json`` is started once per letter; after its imports were trimmed,
what remained above ``python -c "import pydantic, yaml"`` was pydantic building model
classes (the event models, the rule file models, the obligations) and its model machinery
itself. Everything those classes decide for one event of the packaged rulebook is a
function of the rulebook, the code and the library versions, so an engine that answered
once is written down here, as JSON data, and ``engine.plain`` answers the next runs from it:

* each event type's fields as a small table (kind, required, default, constraint),
  *derived from the pydantic models* here, at build time, never written by hand: a field
  whose annotation this module does not recognise leaves its event type out, and such
  events are answered by the engine;
* the registry's parties as ``PartyOut`` dumps with the relations the engine resolves
  classes by (members, what each counts as, agency, seat), and its name index;
* the compiled triggers (conditions already widened over the registry), the rules'
  parties and deadline policies, and every (rule, trigger)'s obligation template as the
  ``Obligation``'s own JSON dump, so the answer keeps the model's field order and values.

Built only from an engine without a profile; ``snapshot_cache`` stores it under the key of
the rule files, the code and the versions.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from enum import Enum, StrEnum
from typing import Annotated, Any, Literal, get_args, get_origin

from annotated_types import MaxLen, MinLen
from pydantic import BaseModel, BeforeValidator, Strict
from pydantic.fields import FieldInfo

from quyche_rules.engine.engine import Engine
from quyche_rules.model import field_types
from quyche_rules.model.event_checks import CORRECTS_RECEIPT, party_fields
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.model.obligations import PartyOut
from quyche_rules.model.parties import PartyKind
from quyche_rules.rulebook.conditions import All, AnyOf, Condition, Contains, Eq, In

#: the validators of ``model.field_types`` by the kind of value each makes
_VALIDATORS: dict[Any, str] = {
    field_types._iso_date: "date",
    field_types._clean_text: "text",
    field_types._resolve_party: "party",
    field_types._resolve_agency: "agency",
    field_types._resolve_district: "district",
}


class Unsupported(Exception):
    """A field this module cannot write down: its event type is left to the engine."""


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | str):
        return value
    raise Unsupported(f"default {value!r}")


def _kind(annotation: Any, metadata: list[Any]) -> tuple[list[Any], bool]:
    """``[kind, constraint]`` of one field's annotation, and whether it may be None."""
    nullable = False
    if get_origin(annotation) in (typing.Union, types.UnionType):
        args = get_args(annotation)
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1 or len(args) != 2:
            raise Unsupported(f"union {annotation!r}")
        annotation, nullable = rest[0], True
    meta = list(metadata)
    if get_origin(annotation) is Annotated:
        base, *inner = get_args(annotation)
        annotation, meta = base, [*inner, *meta]
    flat: list[Any] = []
    for m in meta:  # a Field(...) inside Annotated brings its constraints as metadata
        flat.extend(m.metadata if isinstance(m, FieldInfo) else [m])
    made = [_VALIDATORS.get(m.func, "?") for m in flat if isinstance(m, BeforeValidator)]
    min_len = [m.min_length for m in flat if isinstance(m, MinLen)]
    max_len = [m.max_length for m in flat if isinstance(m, MaxLen)]
    known = (BeforeValidator, MinLen, MaxLen, Strict, field_types.PartyField)
    if any(not isinstance(m, known) for m in flat) or len(made) > 1 or "?" in made:
        raise Unsupported(f"metadata {flat!r}")
    if get_origin(annotation) is list:
        (inner_type,) = get_args(annotation)
        inner, inner_null = _kind(inner_type, [])
        if inner != ["party", None] or inner_null or made or max_len or len(min_len) > 1:
            raise Unsupported(f"list {annotation!r}")
        return ["party_list", min_len[0] if min_len else 0], nullable
    if min_len:
        raise Unsupported(f"min_length on {annotation!r}")
    if made == ["text"] and annotation is str and len(max_len) == 1:
        return ["text", max_len[0]], nullable
    if max_len:
        raise Unsupported(f"max_length on {annotation!r}")
    if made == ["date"] and annotation is dt.date:
        return ["date", None], nullable
    if made and made[0] in ("party", "agency", "district") and annotation is str:
        return [made[0], None], nullable
    if made:
        raise Unsupported(f"{made} on {annotation!r}")
    if annotation is bool:  # strict or not, a bool given is that bool; anything else: unsure
        return ["bool", None], nullable
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return ["enum", [e.value for e in annotation]], nullable
    raise Unsupported(f"annotation {annotation!r}")


def event_fields(model: type[BaseModel]) -> dict[str, list[Any]]:
    """Per field but ``type``: ``[kind, constraint, nullable, required, default]``.
    Raises ``Unsupported`` for a model this table cannot describe exactly."""
    fields = model.model_fields
    decorators = model.__pydantic_decorators__
    if model.model_config.get("extra") != "forbid" or any(
        (decorators.model_validators, decorators.field_validators, decorators.validators)
    ):
        raise Unsupported(f"{model.__name__}: model-level validation")
    if get_origin(fields["type"].annotation) is not Literal:
        raise Unsupported(f"{model.__name__}: type")
    out: dict[str, list[Any]] = {}
    for name, f in fields.items():
        if name == "type":
            continue
        if f.alias is not None and f.alias != name:
            raise Unsupported(f"{model.__name__}.{name}: alias")
        (kind, constraint), nullable = _kind(f.annotation, list(f.metadata))
        required = f.is_required()
        default = None if required else _plain(f.get_default(call_default_factory=True))
        out[name] = [kind, constraint, nullable, required, default]
    return out


def _condition(c: Condition) -> list[Any]:
    if isinstance(c, Eq):
        return ["eq", c.field, c.value]
    if isinstance(c, In):
        return ["in", c.field, list(c.values)]
    if isinstance(c, Contains):
        return ["contains", c.field, c.value]
    if isinstance(c, All):
        return ["all", [_condition(i) for i in c.items]]
    if isinstance(c, AnyOf):
        return ["any", [_condition(i) for i in c.items]]
    raise Unsupported(f"condition {c!r}")


def build(engine: Engine) -> dict[str, Any] | None:
    """The engine as plain data (``engine.plain``'s input), or None for an engine with a
    profile (its dates of validity and districts are left to the engine)."""
    if engine.profile is not None:
        return None
    reg = engine.parties
    parties = {
        p.id: {
            "out": PartyOut.of(p).model_dump(mode="json"),
            "class": p.kind is PartyKind.CLASS,
            "members": list(reg.members(p.id)),
            "up": sorted(reg.up(p.id)),
            "agency": reg.agency_of(p.id),
            "seat": p.seat_district,
            "dated": bool(p.valid_from or p.valid_to),
        }
        for p in reg
    }
    events: dict[str, Any] = {}
    for etype, model in EVENT_TYPES.items():
        try:
            fields = event_fields(model)
        except Unsupported:
            continue  # answered by the engine
        events[etype] = {
            "fields": fields,
            "party_fields": list(party_fields(etype)),
            "projection": list(engine._fields.get(etype, ())),
            "corrects_receipt": etype in CORRECTS_RECEIPT,
        }
    triggers: dict[str, list[Any]] = {}
    for t in engine.triggers:
        cond = _condition(t.condition) if t.condition is not None else None
        triggers.setdefault(t.event_type, []).append([t.key, t.rule_id, t.index, cond])
    rules = {}
    for rid, r in engine.rulebook.rules.items():
        policy = r.deadline
        rules[rid] = {
            "order": engine._order[rid],
            "obligated": r.obligated,
            "counterparties": list(r.counterparties),
            "deadline": None
            if policy is None
            else {
                "working_days": policy.working_days,
                "counted_from": policy.counted_from,
                "later_of": policy.later_of,
                "article": policy.basis.article,
                "clause": policy.basis.clause,
            },
        }
    any_party = next(iter(engine._party_out.values()))
    templates = {}
    for key, tpl in engine._templates.items():
        base = tpl.fill(any_party, (), None, None, False, False).model_dump(mode="json")
        fixed = (
            None
            if tpl.fixed_parties is None
            else [[ob.id, [c.id for c in cps]] for ob, cps in tpl.fixed_parties]
        )
        templates[key] = {"base": base, "fixed": fixed, "has_deadline": tpl.has_deadline}
    return {
        "parties": parties,
        "by_name": dict(reg._by_name),
        "district_by_name": dict(reg._district_by_name),
        "events": events,
        "triggers": triggers,
        "rules": rules,
        "templates": templates,
    }
