"""quyche-rules: the coordination duties of a provincial Quy chế phối hợp công tác, executable.

The public API is re-exported here; see README.md for the contract of each name.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .calendar import Deadline, WorkingCalendar
from .engine import DutyEntry, Engine, duties_of, explain, who_must_be_notified
from .errors import CalendarError, EventError, QuycheError, RulebookError, UnknownPartyError
from .events import EVENT_TYPES, events_json_schema, parse_event
from .obligations import Explanation, Obligation
from .profiles import Profile, ProfileError, load_profile, profile_from_env
from .rulebook import Rulebook, load_rulebook

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
