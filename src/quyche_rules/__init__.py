"""quyche-rules: the coordination duties of a provincial Quy chế phối hợp công tác, executable.

The public API is re-exported here; see README.md for the contract of each name.
"""

from .calendar import Deadline, WorkingCalendar
from .engine import DutyEntry, Engine, duties_of, explain, who_must_be_notified
from .errors import CalendarError, EventError, QuycheError, RulebookError
from .events import EVENT_TYPES, events_json_schema, parse_event
from .obligations import Explanation, Obligation
from .profiles import Profile, ProfileError, load_profile, profile_from_env
from .rulebook import Rulebook, load_rulebook

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
    "WorkingCalendar",
    "duties_of",
    "events_json_schema",
    "explain",
    "load_profile",
    "load_rulebook",
    "parse_event",
    "profile_from_env",
    "who_must_be_notified",
]
