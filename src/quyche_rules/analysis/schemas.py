"""JSON Schemas (draft 2020-12) of ``quyche rules check --json`` and ``quyche rules diff
--json``, for systems that read them; ``quyche rules schema check|diff`` prints them and a
test validates real output against them."""

from __future__ import annotations

from typing import Any

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_STR_LIST = {"type": "array", "items": {"type": "string"}}
_NULL_STR = {"type": ["string", "null"]}
_DATE = {"type": "string", "format": "date"}


def _obj(props: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": [k for k in props if k not in optional],
        "additionalProperties": False,
    }


_DEFS: dict[str, Any] = {
    "obligation": _obj(
        {
            "rule_id": {"type": "string"},
            "basis": {"type": "string", "description": "article.clause.point, e.g. 3.1"},
            "obligated": {"type": "string", "description": "party id"},
            "counterparties": _STR_LIST,
            "duty": {"type": "string"},
            "form": {"type": "string"},
            "due": {"type": ["string", "null"], "format": "date"},
            "silence_means": _NULL_STR,
        }
    ),
    "values": {
        "type": "object",
        "description": "per enumerated field, the value group of the class and its members",
        "additionalProperties": _obj(
            {
                "value": {"type": "string"},
                "members": {"type": "array", "items": {"type": ["string", "boolean"]}},
            }
        ),
    },
    "event": {
        "type": "object",
        "description": "the class's representative event (a valid event of its type)",
        "required": ["type", "date"],
    },
}


def check_schema() -> dict[str, Any]:
    """Schema of ``quyche rules check --json``."""
    ref = {"$ref": "#/$defs/obligation"}
    return {
        "$schema": DIALECT,
        "title": "quyche rules check --json output",
        **_obj(
            {
                "profile": _NULL_STR,
                "date": _DATE,
                "ok": {"type": "boolean"},
                "types": {
                    "type": "array",
                    "items": _obj(
                        {
                            "event_type": {"type": "string"},
                            "fields": _STR_LIST,
                            "classes": {"type": "integer", "minimum": 1},
                            "product": {"type": "integer", "minimum": 1},
                            "partitioned": {"type": "boolean"},
                            "groups": {"type": "array", "items": _STR_LIST},
                            "skipped": _STR_LIST,
                        }
                    ),
                },
                "duplicates": {
                    "type": "array",
                    "items": _obj(
                        {
                            "class": {"type": "string"},
                            "event": {"$ref": "#/$defs/event"},
                            "basis": {"type": "string"},
                            "obligated": {"type": "string"},
                            "counterparties": _STR_LIST,
                            "duty": {"type": "string"},
                            "rule_ids": _STR_LIST,
                        }
                    ),
                },
                "conflicts": {
                    "type": "array",
                    "items": _obj(
                        {
                            "class": {"type": "string"},
                            "event": {"$ref": "#/$defs/event"},
                            "kind": {"enum": ["chair_and_invited", "two_chairs"]},
                            "parties": _STR_LIST,
                            "rule_ids": _STR_LIST,
                            "reading_vi": {"type": "string"},
                            "reading_en": {"type": "string"},
                        }
                    ),
                },
                "silent": {
                    "type": "array",
                    "items": _obj(
                        {
                            "event_type": {"type": "string"},
                            "when": {"type": "object", "additionalProperties": _STR_LIST},
                            "classes": {"type": "integer", "minimum": 1},
                            "unmet": {
                                "type": "object",
                                "description": "per rule listening to the type, the written "
                                "conditions the group's first class does not meet",
                                "additionalProperties": _STR_LIST,
                            },
                            "readings": {
                                "type": "array",
                                "description": "why the text is silent there "
                                "(rules/silent-readings.yaml), Vietnamese and English",
                                "items": _obj(
                                    {
                                        "id": {"type": "string"},
                                        "vi": {"type": "string"},
                                        "en": {"type": "string"},
                                    }
                                ),
                            },
                            "unread": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "classes of the group no reading covers",
                            },
                        }
                    ),
                },
                "refused": {
                    "type": "array",
                    "items": _obj({"class": {"type": "string"}, "error": {"type": "string"}}),
                },
                "classes": {
                    "type": "array",
                    "items": _obj(
                        {
                            "class": {"type": "string"},
                            "event_type": {"type": "string"},
                            "values": {"$ref": "#/$defs/values"},
                            "event": {"$ref": "#/$defs/event"},
                            "obligations": {"type": "array", "items": ref},
                        }
                    ),
                },
            },
            optional=("classes",),
        ),
        "$defs": _DEFS,
    }


def diff_schema() -> dict[str, Any]:
    """Schema of ``quyche rules diff --json``."""
    ref = {"$ref": "#/$defs/obligation"}
    return {
        "$schema": DIALECT,
        "title": "quyche rules diff --json output",
        **_obj(
            {
                "profile": _NULL_STR,
                "date": _DATE,
                "classes": {"type": "integer", "minimum": 0},
                "unchanged_types": {
                    "description": "event types whose rules, bodies and calendar are equal "
                    "on both sides (their classes cannot change and are not asked again)",
                    **_STR_LIST,
                },
                "groups": {
                    "type": "array",
                    "description": "the changed classes merged per type and identical change",
                    "items": _obj(
                        {
                            "event_type": {"type": "string"},
                            "when": {"type": "object", "additionalProperties": _STR_LIST},
                            "classes": {"type": "integer", "minimum": 1},
                            "appeared": {"type": "array", "items": ref},
                            "disappeared": {"type": "array", "items": ref},
                            "old_error": _NULL_STR,
                            "new_error": _NULL_STR,
                        }
                    ),
                },
                "changed": {
                    "type": "array",
                    "items": _obj(
                        {
                            "class": {"type": "string"},
                            "event_type": {"type": "string"},
                            "values": {"$ref": "#/$defs/values"},
                            "event": {"$ref": "#/$defs/event"},
                            "appeared": {"type": "array", "items": ref},
                            "disappeared": {"type": "array", "items": ref},
                            "old_error": _NULL_STR,
                            "new_error": _NULL_STR,
                        }
                    ),
                },
            }
        ),
        "$defs": _DEFS,
    }
