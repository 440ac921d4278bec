"""The engine layer: compiles the rulebook once and answers queries statelessly.

May import: rulebook, model, calendar, io, errors. Imported by: scenarios, tracker,
service, pages, cli. ``quyche_rules.engine`` keeps the names it had as a module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quyche_rules._lazy import exports

if TYPE_CHECKING:
    from quyche_rules.engine.engine import (
        DUE_MEMO_SIZE,
        BackendInUse,
        BackendName,
        DutyEntry,
        Engine,
        choose_backend,
        default_engine,
        duties_of,
        explain,
        who_must_be_notified,
    )
    from quyche_rules.engine.facts import compile_triggers, fact_value, get_field, projection

__getattr__ = exports(
    __name__,
    {
        "BackendInUse": "quyche_rules.engine.engine",
        "BackendName": "quyche_rules.engine.engine",
        "DUE_MEMO_SIZE": "quyche_rules.engine.engine",
        "DutyEntry": "quyche_rules.engine.engine",
        "Engine": "quyche_rules.engine.engine",
        "choose_backend": "quyche_rules.engine.engine",
        "compile_triggers": "quyche_rules.engine.facts",
        "default_engine": "quyche_rules.engine.engine",
        "duties_of": "quyche_rules.engine.engine",
        "explain": "quyche_rules.engine.engine",
        "fact_value": "quyche_rules.engine.facts",
        "get_field": "quyche_rules.engine.facts",
        "projection": "quyche_rules.engine.facts",
        "who_must_be_notified": "quyche_rules.engine.engine",
    },
)

__all__ = [
    "DUE_MEMO_SIZE",
    "BackendInUse",
    "BackendName",
    "DutyEntry",
    "Engine",
    "choose_backend",
    "compile_triggers",
    "default_engine",
    "duties_of",
    "explain",
    "fact_value",
    "get_field",
    "projection",
    "who_must_be_notified",
]
