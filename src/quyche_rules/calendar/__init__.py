"""The working-day calendar of the Vietnamese civil service and deadlines counted on it.

May import: io, errors. ``quyche_rules.calendar`` keeps the names it had as a module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quyche_rules._lazy import exports

if TYPE_CHECKING:
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

__getattr__ = exports(
    __name__,
    {
        "CalendarEntry": "quyche_rules.calendar.arrangement",
        "DEFAULT_CALENDAR_PATH": "quyche_rules.calendar.working_days",
        "Deadline": "quyche_rules.calendar.working_days",
        "MAX_YEAR": "quyche_rules.calendar.working_days",
        "MIN_YEAR": "quyche_rules.calendar.working_days",
        "SATURDAY": "quyche_rules.calendar.arrangement",
        "VN_TZ": "quyche_rules.calendar.working_days",
        "WorkingCalendar": "quyche_rules.calendar.working_days",
        "estimated_year": "quyche_rules.calendar.arrangement",
        "load_arrangement": "quyche_rules.calendar.arrangement",
    },
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
