"""The engine layer: compiles the rulebook once and answers queries statelessly.

May import: rulebook, model, calendar, io, errors. Imported by: scenarios, tracker,
service, pages, cli. ``quyche_rules.engine`` keeps the names it had as a module.
"""

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
