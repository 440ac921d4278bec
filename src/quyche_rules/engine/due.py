"""A duty's due date and the sentence that says how it was counted.

One function for the engine and for its plain path (``engine.plain``), which must give the
same bytes and imports no pydantic: so it takes the deadline policy's plain values.
"""

from __future__ import annotations

import datetime as dt

from quyche_rules.calendar.working_days import WorkingCalendar

Due = tuple[dt.date | None, str | None, bool]
"""(due date, how it was counted, whether the count is provisional)."""


def count_due(
    calendar: WorkingCalendar,
    received: dt.date | None,
    granted: dt.date | None,
    *,
    working_days: int,
    article: int,
    clause: int | None,
    counted_from: str,
    later_of: str | None,
) -> Due:
    """``working_days`` after ``received`` (the first day not counted), or the later date
    ``granted`` by the request itself (Art. 3.1 "quá thời hạn theo văn bản đề nghị": a
    request may grant more time than the text, never less)."""
    if received is None:
        return (
            None,
            f"{working_days} working days from receipt ({article}.{clause}); "
            f"{counted_from} not given",
            False,
        )
    d = calendar.deadline(received, working_days)
    how = (
        f"{working_days} working days after {received.isoformat()} "
        f"(Điều {article}.{clause}; first day not counted, Civil Code 2015 Art. 147)"
    )
    if d.provisional:
        how += "; provisional: no official holiday arrangement recorded for " + ", ".join(
            str(y) for y in d.provisional_years
        )
    if granted is not None and granted > d.due:
        how = (
            f"{granted.isoformat()}, the reply date the request grants ({later_of}), "
            f"later than the {how}"
        )
        return granted, how, False
    return d.due, how, d.provisional
