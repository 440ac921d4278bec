"""quyche-rules: the coordination duties of a provincial Quy chế phối hợp công tác, executable.

The public API is re-exported here; see README.md for the contract of each name.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from quyche_rules.calendar.working_days import Deadline, WorkingCalendar
from quyche_rules.engine.engine import DutyEntry, Engine, duties_of, explain, who_must_be_notified
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

try:  # one source of truth: the version pyproject.toml gave the installed distribution
    __version__ = _version("quyche-rules")
except PackageNotFoundError:  # pragma: no cover - imported from a bare checkout
    __version__ = "0+unknown"

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
