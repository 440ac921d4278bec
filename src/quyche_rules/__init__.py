"""quyche-rules: the coordination duties of a provincial Quy chế phối hợp công tác, executable.

The public API is re-exported here; see README.md for the contract of each name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quyche_rules._lazy import exports

if TYPE_CHECKING:
    from quyche_rules.calendar.working_days import Deadline, WorkingCalendar
    from quyche_rules.engine.engine import (
        DutyEntry,
        Engine,
        duties_of,
        explain,
        who_must_be_notified,
    )
    from quyche_rules.errors import (
        CalendarError,
        EventError,
        QuycheError,
        RulebookError,
        UnknownPartyError,
    )
    from quyche_rules.model.event_checks import events_json_schema, parse_event
    from quyche_rules.model.events import EVENT_TYPES
    from quyche_rules.model.obligations import Explanation, Obligation
    from quyche_rules.model.profiles import Profile, ProfileError, load_profile, profile_from_env
    from quyche_rules.rulebook.loader import Rulebook, load_rulebook

_exported = exports(
    __name__,
    {
        "CalendarError": "quyche_rules.errors",
        "Deadline": "quyche_rules.calendar.working_days",
        "DutyEntry": "quyche_rules.engine.engine",
        "EVENT_TYPES": "quyche_rules.model.events",
        "Engine": "quyche_rules.engine.engine",
        "EventError": "quyche_rules.errors",
        "Explanation": "quyche_rules.model.obligations",
        "Obligation": "quyche_rules.model.obligations",
        "Profile": "quyche_rules.model.profiles",
        "ProfileError": "quyche_rules.model.profiles",
        "QuycheError": "quyche_rules.errors",
        "Rulebook": "quyche_rules.rulebook.loader",
        "RulebookError": "quyche_rules.errors",
        "UnknownPartyError": "quyche_rules.errors",
        "WorkingCalendar": "quyche_rules.calendar.working_days",
        "duties_of": "quyche_rules.engine.engine",
        "events_json_schema": "quyche_rules.model.event_checks",
        "explain": "quyche_rules.engine.engine",
        "load_profile": "quyche_rules.model.profiles",
        "load_rulebook": "quyche_rules.rulebook.loader",
        "parse_event": "quyche_rules.model.event_checks",
        "profile_from_env": "quyche_rules.model.profiles",
        "who_must_be_notified": "quyche_rules.engine.engine",
    },
)


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read on demand: importlib.metadata costs a cold start ~30 ms
        from importlib.metadata import PackageNotFoundError, version

        try:  # one source of truth: the version pyproject.toml gave the distribution
            value = version("quyche-rules")
        except PackageNotFoundError:  # pragma: no cover - imported from a bare checkout
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    return _exported(name)


__all__ = [
    "EVENT_TYPES",
    "CalendarError",
    "Deadline",
    "DutyEntry",
    "Engine",
    "EventError",
    "Explanation",
    "Obligation",
    "Profile",
    "ProfileError",
    "QuycheError",
    "Rulebook",
    "RulebookError",
    "UnknownPartyError",
    "WorkingCalendar",
    "__version__",
    "duties_of",
    "events_json_schema",
    "explain",
    "load_profile",
    "load_rulebook",
    "parse_event",
    "profile_from_env",
    "who_must_be_notified",
]
