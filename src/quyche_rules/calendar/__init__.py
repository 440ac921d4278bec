"""The working-day calendar of the Vietnamese civil service and deadlines counted on it.

May import: io, errors. ``quyche_rules.calendar`` keeps the names it had as a module.
"""

from quyche_rules.calendar.arrangement import (
    SATURDAY,
    CalendarEntry,
    estimated_year,
    load_arrangement,
)
from quyche_rules.calendar.working_days import (
    DEFAULT_CALENDAR_PATH,
    MAX_YEAR,
    MIN_YEAR,
    VN_TZ,
    Deadline,
    WorkingCalendar,
)

__all__ = [
    "DEFAULT_CALENDAR_PATH",
    "MAX_YEAR",
    "MIN_YEAR",
    "SATURDAY",
    "VN_TZ",
    "CalendarEntry",
    "Deadline",
    "WorkingCalendar",
    "estimated_year",
    "load_arrangement",
]
