"""Validation of events beyond their fields, and what rules may test of them.

``parse_event`` is the one entry point for every caller (CLI, library, HTTP): it validates
the fields, then the checks across fields and against the bodies' validity dates.
``condition_fields``/``party_fields`` tell the rule loader and the compiler which fields a
condition may name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ValidationError,
)

from quyche_rules.errors import EventError, validation_code
from quyche_rules.io.yamlio import loc_to_field
from quyche_rules.model.events import EVENT_MODELS, EVENT_TYPES, event_adapter
from quyche_rules.model.field_types import PartyField
from quyche_rules.model.parties import PartyRegistry, default_registry


def parse_event(data: Any, *, registry: PartyRegistry | None = None) -> Any:
    """Validate a mapping (from JSON or YAML) into an event, or raise ``EventError`` naming
    the first offending field."""
    if registry is not None and not isinstance(registry, PartyRegistry):
        raise EventError(f"registry: must be a PartyRegistry, got {type(registry).__name__}")
    if isinstance(data, BaseModel) and type(data) in EVENT_MODELS:
        # a model built elsewhere (the HTTP service validates with pydantic alone) has
        # passed the field checks, not these: they are run here on every path
        return _checked(data, registry)
    if not isinstance(data, dict):
        raise EventError("event: must be a mapping with a 'type' field")
    etype = data.get("type")
    if not isinstance(etype, str) or etype not in EVENT_TYPES:
        known = ", ".join(sorted(EVENT_TYPES))
        raise EventError(
            f"type: unknown event type {etype!r} (known: {known})",
            code="missing" if etype is None else "unknown_event_type",
        )
    try:
        event = EVENT_TYPES[etype].model_validate(data, context={"registry": registry})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [p for p in err["loc"] if p != etype]
        msg = err["msg"].removeprefix("Value error, ")
        raise EventError(
            f"{loc_to_field(loc)}: {msg}",
            field=".".join(str(p) for p in loc) or None,
            code=validation_code(err["type"], err["msg"]),
        ) from None
    return _checked(event, registry)


def _checked(event: Any, registry: PartyRegistry | None) -> Any:
    """The checks across fields and against the registry's validity dates."""
    # A document cannot be received before the event that sent it: such a pair is a data
    # entry error, and counting a deadline from it would give a wrong answer silently.
    received = getattr(event, "received_on", None)
    if event.type in CORRECTS_RECEIPT:
        # its received_on is another document's (the request's, checked when the tracker
        # re-reads the request with it); a receipt cannot be later than its correction
        if received is not None and received > event.date:
            raise EventError(
                f"received_on: {received.isoformat()} is after date {event.date.isoformat()} "
                "(the day of the correction)"
            )
        received = None
    elif received is not None and received < event.date:
        raise EventError(
            f"received_on: {received.isoformat()} is before date {event.date.isoformat()}"
        )
    reg = registry or default_registry()
    check_validity(event, reg)
    if received is not None:
        check_receiver(event, received, reg)
    return event


#: event types whose ``received_on`` corrects the receipt of a recorded request
CORRECTS_RECEIPT = frozenset({"coordination_receipt_corrected"})

#: the field naming the body that receives the request an event reports
RECEIVER_FIELDS = {
    "coordination_requested": "requested",
    "verification_requested": "requested_from",
}


def check_receiver(ev: Any, received: Any, registry: PartyRegistry) -> None:
    """The receiving side in time: a request received after the receiving body ended
    (``valid_to``) is refused like any other use of an ended body; it cannot owe an answer
    counted from a day it no longer existed. Raises ``EventError`` naming the field."""
    name = RECEIVER_FIELDS.get(ev.type)
    pid = getattr(ev, name, None) if name else None
    if pid is None:
        return
    p = registry.parties[pid]
    if p.valid_to and received > p.valid_to:
        raise EventError(
            f"received_on: {p.name_vi} ended on {p.valid_to}, the request was received {received}"
        )


def check_validity(ev: Any, registry: PartyRegistry) -> None:
    """A body named by the event must exist on the event's date (a profile's
    ``valid_from``/``valid_to``): a merged or renamed agency cannot bear a duty after it is
    gone. Raises ``EventError`` naming the field."""
    for name in (*party_fields(ev.type), "agency"):
        value = getattr(ev, name, None)
        for pid in value if isinstance(value, list) else [value] if value else []:
            p = registry.parties[pid]
            if (p.valid_from and ev.date < p.valid_from) or (p.valid_to and ev.date > p.valid_to):
                span = f"{p.valid_from or '…'} to {p.valid_to or '…'}"
                raise EventError(
                    f"{name}: {p.name_vi} exists from {span}, the event is dated {ev.date}"
                )


# --- field introspection, for the rule loader and the compiler -------------------------------


@dataclass(frozen=True)
class FieldInfo:
    """What a rule may say about one event field."""

    name: str
    kind: Literal["party", "bool", "enum", "party_list"]
    enum: type[StrEnum] | None = None


def _describe(name: str, annotation: Any, metadata: list[Any]) -> FieldInfo | None:
    if any(isinstance(m, PartyField) for m in metadata):
        return FieldInfo(name, "party")
    args = [a for a in get_args(annotation) if a is not type(None)]
    base = args[0] if args and get_origin(annotation) is not list else annotation
    if get_origin(annotation) is list:
        inner = get_args(annotation)[0]
        if any(isinstance(m, PartyField) for m in getattr(inner, "__metadata__", ())):
            return FieldInfo(name, "party_list")
        return None
    if get_origin(base) is Annotated:
        inner_meta = base.__metadata__
        if any(isinstance(m, PartyField) for m in inner_meta):
            return FieldInfo(name, "party")
        base = get_args(base)[0]
    if base is bool:
        return FieldInfo(name, "bool")
    if isinstance(base, type) and issubclass(base, StrEnum):
        return FieldInfo(name, "enum", base)
    return None


def condition_fields(event_type: str) -> dict[str, FieldInfo]:
    """The fields of an event type that a rule condition may test."""
    return dict(_condition_fields(event_type))


@cache
def _condition_fields(event_type: str) -> dict[str, FieldInfo]:
    """``condition_fields`` computed once per event type (the models are fixed at import;
    issue 10: introspecting them per query cost a third of a query). Unknown types raise
    ``KeyError`` and are not cached."""
    model = EVENT_TYPES[event_type]
    out: dict[str, FieldInfo] = {}
    for name, f in model.model_fields.items():
        if name == "type":
            continue
        info = _describe(name, f.annotation, list(f.metadata))
        if info is not None:
            out[name] = info
    return out


def events_json_schema() -> dict[str, Any]:
    """JSON Schema of every event (a discriminated union on ``type``)."""
    schema = event_adapter().json_schema()
    schema["title"] = "quyche-rules event"
    return schema


@cache
def party_fields(event_type: str) -> tuple[str, ...]:
    """The fields of an event type that name parties (``party`` or ``party_list``), in model
    order; computed once per type, for the query path."""
    return tuple(
        n for n, i in _condition_fields(event_type).items() if i.kind in ("party", "party_list")
    )
