"""JSON Schemas of what goes in (events) and what comes out (obligations), for systems not
written in Python. Both declare their dialect (``$schema``), and dates are
``{"type": "string", "format": "date"}`` so a validator can check them.
"""

from __future__ import annotations

from typing import Any

from quyche_rules.model.event_checks import events_json_schema
from quyche_rules.model.obligations import Obligation

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def events_schema() -> dict[str, Any]:
    """JSON Schema of one event (a discriminated union on ``type``)."""
    return {"$schema": DIALECT, **events_json_schema()}


def obligation_schema() -> dict[str, Any]:
    """JSON Schema of one obligation as ``Obligation.model_dump(mode="json")`` gives it."""
    schema = Obligation.model_json_schema(mode="serialization")
    schema["title"] = "quyche-rules obligation"
    return schema


def obligations_schema() -> dict[str, Any]:
    """JSON Schema of ``quyche notify --json``: an array of obligations, each also naming
    the event file it came from (``event_file``)."""
    item = obligation_schema()
    defs = item.pop("$defs", {})
    item["properties"] = {
        "event_file": {"type": "string", "description": "the event file ('-' for stdin)"},
        **item["properties"],
    }
    item["required"] = ["event_file", *item.get("required", [])]
    return {
        "$schema": DIALECT,
        "title": "quyche notify --json output",
        "type": "array",
        "items": item,
        "$defs": defs,
    }
