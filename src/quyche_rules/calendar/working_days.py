"""The working-day calendar of the Vietnamese civil service, and deadlines counted on it.

Why this module exists: Art. 3.1 of the Quy chế gives the requested body 7 working days
"kể từ khi nhận được văn bản" to answer, and silence past that deadline counts as consent.
A wrong deadline is a wrong legal consequence, so:

* the days off come from the official yearly arrangement recorded, with its sources, in
  ``rules/calendar/vn-civil-service.yaml``; a year not recorded there is estimated from the
  ``holidays`` package and every deadline touching it says so (``provisional``) instead of
  silently guessing;
* counting follows the Bộ luật Dân sự 2015, Điều 147 khoản 2 and 3: when a period is in
  days, or starts with an event (here the receipt of the document), the first day / the day
  of the event is not counted; counting starts the next day.
  Because only working days count, the due date is always a working day, which also
  satisfies Điều 148 khoản 5 (a period ending on a rest day ends on the next working day).

The civil-service week is Monday-Friday: Quyết định 188/1999/QĐ-TTg ngày 17/9/1999, Điều 1
("tuần làm việc 40 giờ trong 5 ngày, nghỉ ngày thứ bẩy và chủ nhật hàng tuần" for cán bộ,
công chức of administrative bodies and political organisations).

Speed: deadlines are computed for every document of a document-management system, so the
calendar precomputes, per contiguous range of years, a prefix count of working days and the
list of working days; ``add_working_days`` is then two list look-ups. Tables are built
lazily under a lock and published as one immutable tuple, so readers never take the lock.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from quyche_rules.calendar.arrangement import (
    MAX_YEAR,
    MIN_YEAR,
    SATURDAY,
    CalendarEntry,
    estimated_year,
    load_arrangement,
)
from quyche_rules.errors import CalendarError
from quyche_rules.io import resources

__all__ = [
    "DEFAULT_CALENDAR_PATH",
    "MAX_YEAR",
    "MIN_YEAR",
    "VN_TZ",
    "CalendarEntry",
    "Deadline",
    "WorkingCalendar",
]

#: The recorded arrangement shipped with the project.
DEFAULT_CALENDAR_PATH: Final[Path] = resources.packaged_rules_dir() / resources.CALENDAR

#: Receipt datetimes carrying a timezone are converted to Vietnamese time before the date
#: is taken: the date of receipt is the date on the receiving office's wall.
VN_TZ: Final[ZoneInfo] = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True, slots=True)
class Deadline:
    """A deadline counted in working days from the receipt of a document.

    ``provisional`` is True when the counted span (received, due] touches a year with no
    recorded official arrangement (its days off were estimated from ``holidays.VN``), or
    contains a recorded date that is unverified or under review. ``provisional_years`` lists
    those years and ``unconfirmed_dates`` those dates, so a caller can say *why*.
    """

    received: date
    working_days: int
    due: date
    provisional: bool
    provisional_years: tuple[int, ...]
    unconfirmed_dates: tuple[date, ...] = ()


# (base ordinal, prefix counts, working days). prefix[i] = number of working days with
# ordinal < base + i, so prefix has one more element than the number of days covered.
_Table = tuple[int, list[int], list[date]]
_EMPTY_TABLE: Final[_Table] = (0, [0], [])


class WorkingCalendar:
    """Working days of Vietnamese cán bộ, công chức, viên chức (Monday-Friday, less days off).

    A year recorded in the calendar YAML is taken from it alone (it lists every weekday off
    and every Saturday worked, each with its source); any other year comes from
    ``holidays.VN`` and makes the deadlines touching it provisional.

    Instances are safe to share between threads.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        """Load and validate the recorded arrangement at ``path`` (default: the one of the
        chosen rules directory, see ``resources.rules_dir``).

        Raises :class:`RulebookError` naming the file and field if the YAML is malformed.
        """
        if path is not None and not isinstance(path, str | os.PathLike):
            raise CalendarError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        self._path = Path(path) if path is not None else resources.rules_file(resources.CALENDAR)
        entries, review = load_arrangement(self._path)
        self._entries: dict[date, CalendarEntry] = {e.day: e for e in entries}
        self._recorded: frozenset[int] = frozenset(review) | frozenset(e.day.year for e in entries)
        self._unconfirmed: tuple[date, ...] = tuple(
            sorted(
                {e.day for e in entries if not e.verified}
                | {d for dates in review.values() for d in dates}
            )
        )
        self._year_cache: dict[int, list[date]] = {}
        self._table: _Table = _EMPTY_TABLE
        self._years: tuple[int, int] | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ introspection

    @property
    def path(self) -> Path:
        """The YAML file the arrangement was read from."""
        return self._path

    @property
    def recorded_years(self) -> frozenset[int]:
        """Years with a recorded official arrangement (deadlines in them are not provisional)."""
        return self._recorded

    def entry(self, d: date) -> CalendarEntry | None:
        """The recorded entry for ``d`` (reason and source), or None if nothing is recorded."""
        return self._entries.get(_as_date(d, "d"))

    # ------------------------------------------------------------------ operations

    def is_working_day(self, d: date | datetime) -> bool:
        """Whether ``d`` is a working day: Monday-Friday not off, or a Saturday/Sunday worked.

        A datetime is reduced to its Vietnamese date first (see :meth:`add_working_days`).
        """
        o = d.toordinal() if type(d) is date else _as_date(d, "d").toordinal()
        base, prefix, _ = self._table
        i = o - base
        if not 0 <= i < len(prefix) - 1:
            base, prefix, _ = self._ensure(o, 0)
            i = o - base
        return prefix[i + 1] != prefix[i]

    def add_working_days(self, start: date | datetime, n: int) -> date:
        """The date on which the ``n``-th working day after ``start`` falls.

        Bộ luật Dân sự 2015, Điều 147 khoản 2-3: the day of receipt is not counted, counting
        starts the next day. So a document received on a Saturday, a holiday or a working
        day gets its first counted day on the next working day after it.

        ``n == 0`` returns ``start`` itself. Reason: the function is defined as the earliest
        date ``d >= start`` with exactly ``n`` working days in ``(start, d]``; for n = 0 that
        is ``start``. This keeps ``working_days_between(start, add_working_days(start, n))
        == n`` and ``add(add(d, a), b) == add(d, a + b)`` true for every n >= 0. It is not a
        legal deadline (``start`` may be a rest day), which is why :meth:`deadline` refuses
        n = 0.

        Receipt as a datetime: the time of day does not matter. Điều 147 counts a period in
        days from the day after the event, whatever its hour, so a document received at
        23:00 has the same deadline as one received at 08:00. Receipt after office hours
        being registered the next working day (văn thư practice) is NOT modelled: neither
        the Quy chế nor the Civil Code says so, and we found no instrument to cite. A naive
        datetime is taken as Vietnamese local time; an aware one is converted to
        Asia/Ho_Chi_Minh before its date is taken.

        Raises :class:`CalendarError` for a negative or non-integer ``n`` (bool included),
        a ``start`` that is not a date, or a result outside the supported years.
        """
        o = start.toordinal() if type(start) is date else _as_date(start, "start").toordinal()
        if type(n) is not int or n < 0:
            _check_n(n, minimum=0)
        if n == 0:
            _year_of(o)  # same supported-years check as every other answer
            return date.fromordinal(o)
        base, prefix, days = self._table
        i = o - base
        if 0 <= i < len(prefix) - 1:
            k = prefix[i + 1] + n - 1
            if k < len(days):
                return days[k]
        base, prefix, days = self._ensure(o, n)
        return days[prefix[o - base + 1] + n - 1]

    def working_days_between(self, a: date | datetime, b: date | datetime) -> int:
        """Number of working days in the interval ``(a, b]`` (0 when ``b <= a``).

        The left end is excluded for the same reason as in :meth:`add_working_days`: the day
        of receipt is not counted. ``working_days_between(received, today) > 7`` is thus the
        test "the 7-working-day period of Art. 3.1 has run out".
        """
        oa = _as_date(a, "a").toordinal()
        ob = _as_date(b, "b").toordinal()
        if ob <= oa:
            return 0
        base, prefix, _ = self._table
        if not (base <= oa and ob - base < len(prefix) - 1):
            self._ensure(oa, 0)
            base, prefix, _ = self._ensure(ob, 0)
        return prefix[ob - base + 1] - prefix[oa - base + 1]

    def deadline(self, received: date | datetime, n: int) -> Deadline:
        """The deadline of ``n`` working days (n >= 1) from ``received``, with its provenance.

        ``n`` must be at least 1: a period of zero days has no day to count under Điều 147,
        and its "due date" could be a rest day, which no deadline can be.
        """
        day = _as_date(received, "received")
        _check_n(n, minimum=1)
        due = self.add_working_days(day, n)
        first = day + timedelta(days=1)
        unconfirmed = tuple(d for d in self._unconfirmed if day < d <= due)
        years = {y for y in range(first.year, due.year + 1) if y not in self._recorded}
        years.update(d.year for d in unconfirmed)
        return Deadline(
            received=day,
            working_days=n,
            due=due,
            provisional=bool(years),
            provisional_years=tuple(sorted(years)),
            unconfirmed_dates=unconfirmed,
        )

    @staticmethod
    def to_ics(
        deadline: Deadline,
        summary: str,
        description: str = "",
        *,
        now: datetime | None = None,
        uid_key: str | None = None,
    ) -> bytes:
        """An iCalendar (RFC 5545) file with one all-day VEVENT on ``deadline.due``.

        The UID is a hash of the deadline and the texts, so exporting the same deadline twice
        updates the event in the user's calendar instead of duplicating it. A provisional
        deadline is exported with STATUS:TENTATIVE and the reason appended to the
        description. ``now`` (DTSTAMP) defaults to the current UTC time; pass it for
        byte-identical output.

        ``uid_key`` (e.g. the document's number, receipt date and span) replaces that hash's
        input: the UID then identifies the *document's* deadline, so two documents received
        the same day get two events, and re-exporting after a corrected due date updates the
        event instead of adding a second one.
        """
        from icalendar import Calendar, Event  # local: only the export needs it

        if not isinstance(deadline, Deadline):
            raise CalendarError(f"deadline must be a Deadline, got {type(deadline).__name__}")
        if not isinstance(summary, str) or not summary.strip():
            raise CalendarError("summary must be a non-empty string")
        if not isinstance(description, str):
            raise CalendarError(f"description must be a string, got {type(description).__name__}")
        if now is None:
            stamp = datetime.now(UTC)
        elif isinstance(now, datetime) and now.utcoffset() is not None:
            stamp = now.astimezone(UTC)  # RFC 5545: DTSTAMP is in UTC
        else:
            raise CalendarError(f"now must be a timezone-aware datetime, got {now!r}")

        if uid_key is not None and not isinstance(uid_key, str):
            raise CalendarError(f"uid_key must be a string, got {type(uid_key).__name__}")
        key = (
            uid_key
            if uid_key is not None
            else "\x1f".join(
                (
                    deadline.received.isoformat(),
                    str(deadline.working_days),
                    deadline.due.isoformat(),
                    summary,
                    description,
                )
            )
        )
        uid = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + "@quyche-rules"
        text = description
        if deadline.provisional:
            years = ", ".join(str(y) for y in deadline.provisional_years)
            note = (
                f"Provisional: no confirmed official holiday arrangement for {years}; "
                "the due date may change."
            )
            text = f"{description}\n\n{note}" if description else note

        cal = Calendar()
        cal.add("prodid", "-//quyche-rules//working-day deadline//VI")
        cal.add("version", "2.0")
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", deadline.due)
        event.add("dtend", deadline.due + timedelta(days=1))
        event.add("summary", summary)
        if text:
            event.add("description", text)
        event.add("status", "TENTATIVE" if deadline.provisional else "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
        result: bytes = cal.to_ical()
        return result

    # ------------------------------------------------------------------ tables

    def _ensure(self, o: int, n: int) -> _Table:
        """Make the published table cover ordinal ``o`` and ``n`` working days after it.

        Slow path, taken once per new year range; builds under the lock and publishes the
        new table with one assignment, so lock-free readers see either table whole.
        """
        year = _year_of(o)
        with self._lock:
            lo, hi = self._years if self._years is not None else (year, year)
            # No look-ahead: a period that runs into the next year extends the table below
            # (issue 10: building an unrecorded year costs tens of ms and needs ``holidays``)
            lo, hi = min(lo, year), max(hi, year)
            while True:
                table = self._table
                if self._years != (lo, hi):
                    table = self._build(lo, hi)
                base, prefix, days = table
                if prefix[o - base + 1] + n - 1 < len(days) or n == 0:
                    return table
                if hi >= MAX_YEAR:
                    raise CalendarError(
                        f"n={n} working days after {date.fromordinal(o).isoformat()} runs past "
                        f"the supported years {MIN_YEAR}-{MAX_YEAR}"
                    )
                hi = min(MAX_YEAR, hi + 1 + n // 240)

    def _build(self, lo: int, hi: int) -> _Table:
        """Assemble and publish the table for years ``lo..hi`` (caller holds the lock)."""
        base = date(lo, 1, 1).toordinal()
        end = date(hi, 12, 31).toordinal()
        prefix = [0] * (end - base + 2)
        days: list[date] = []
        for y in range(lo, hi + 1):
            days.extend(self._year_days(y))
        count = 0
        it = iter(days)
        nxt = next(it, None)
        for i in range(end - base + 1):
            if nxt is not None and nxt.toordinal() == base + i:
                count += 1
                nxt = next(it, None)
            prefix[i + 1] = count
        table: _Table = (base, prefix, days)
        self._table = table
        self._years = (lo, hi)
        return table

    def _year_days(self, year: int) -> list[date]:
        """Sorted working days of ``year`` (caller holds the lock)."""
        cached = self._year_cache.get(year)
        if cached is not None:
            return cached
        if year in self._recorded:
            off = {d for d, e in self._entries.items() if d.year == year and not e.working}
            worked = {d for d, e in self._entries.items() if d.year == year and e.working}
        else:
            off, worked = estimated_year(year)
        first = date(year, 1, 1)
        result: list[date] = []
        for i in range((date(year, 12, 31) - first).days + 1):
            d = first + timedelta(days=i)
            if d in worked if d.weekday() >= SATURDAY else d not in off:
                result.append(d)
        self._year_cache[year] = result
        return result


def _year_of(o: int) -> int:
    year = date.fromordinal(o).year
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CalendarError(
            f"date {date.fromordinal(o).isoformat()} is outside the supported years "
            f"{MIN_YEAR}-{MAX_YEAR}"
        )
    return year


def _as_date(value: object, name: str) -> date:
    """``value`` as a Vietnamese calendar date; see :meth:`WorkingCalendar.add_working_days`."""
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(VN_TZ)
        return value.date()
    if isinstance(value, date):
        return value
    raise CalendarError(f"{name} must be a date or datetime, got {type(value).__name__}: {value!r}")


def _check_n(n: object, *, minimum: int) -> None:
    if type(n) is not int:  # bool is an int subclass: refused on purpose
        raise CalendarError(f"n must be an integer number of working days, got {n!r}")
    if n < minimum:
        raise CalendarError(f"n must be >= {minimum}, got {n}")
