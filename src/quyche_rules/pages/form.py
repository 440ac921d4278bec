"""The "Ask" form, generated from the events' JSON Schema.

The schema (``events_json_schema()``) gives each event type's fields, which are required,
their vocabularies and defaults; ``condition_fields`` says which fields name parties (shown
as a choice of the registry's bodies). A field added to an event model therefore appears in
the form with no change here — only its label in ``phrases.yaml``, which a test demands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from quyche_rules.model.event_checks import condition_fields, events_json_schema
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.model.parties import PartyRegistry
from quyche_rules.pages.phrases import Phrase, Phrasebook

Control = Literal["date", "text", "select", "party", "parties", "checkbox"]


@dataclass(frozen=True)
class Option:
    value: str
    label: Phrase


@dataclass(frozen=True)
class FieldControl:
    name: str
    id: str
    label: Phrase
    control: Control
    required: bool
    options: tuple[Option, ...] = ()
    default: str | bool | None = None


@dataclass(frozen=True)
class EventForm:
    type: str
    label: Phrase
    fields: tuple[FieldControl, ...]


def _shape(prop: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an optional field (``anyOf: [X, null]``)."""
    for branch in prop.get("anyOf", []):
        if branch.get("type") != "null":
            return {**branch, **{k: v for k, v in prop.items() if k != "anyOf"}}
    return prop


def event_forms(phrases: Phrasebook, parties: PartyRegistry) -> list[EventForm]:
    """One fieldset per event type, in the order of the schema's discriminator mapping."""
    schema = events_json_schema()
    defs = schema["$defs"]
    party_options = tuple(Option(p.id, Phrase(p.name_vi, p.name_en)) for p in parties)
    forms: list[EventForm] = []
    for etype in EVENT_TYPES:
        model = defs[schema["discriminator"]["mapping"][etype].rsplit("/", 1)[1]]
        required = set(model.get("required", []))
        infos = condition_fields(etype)
        fields: list[FieldControl] = []
        for name, raw in model["properties"].items():
            if name == "type":
                continue
            prop = _shape(raw)
            info = infos.get(name)
            control: Control
            options: tuple[Option, ...] = ()
            default = prop.get("default")
            if info is not None and info.kind == "party_list":
                control, options = "parties", party_options
            elif info is not None and info.kind == "party":
                control, options = "party", party_options
            elif prop.get("type") == "boolean":
                control = "checkbox"
            elif "$ref" in prop:
                enum_name = prop["$ref"].rsplit("/", 1)[1]
                enum_cls = info.enum if info is not None else None
                assert enum_cls is not None and enum_cls.__name__ == enum_name
                control = "select"
                options = tuple(
                    Option(v, phrases.enum_value(enum_cls, v)) for v in defs[enum_name]["enum"]
                )
            elif prop.get("format") == "date":
                control = "date"
            else:
                control = "text"
            fields.append(
                FieldControl(
                    name=name,
                    id=f"f-{etype}-{name}",
                    label=phrases.field(name),
                    control=control,
                    required=name in required,
                    options=options,
                    default=default if isinstance(default, str | bool) else None,
                )
            )
        forms.append(EventForm(etype, phrases.event(etype), tuple(fields)))
    return forms
