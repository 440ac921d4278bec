"""Tests of the working-day calendar (issue 4).

The expected dates below were counted BY HAND on a printed calendar from the official
arrangements (Thông báo 5015/TB-LĐTBXH, Công văn 2450/VPCP-KGVX, Thông báo 6150/TB-BLĐTBXH,
Công văn 12729/VPCP-KGVX, Thông báo 9441/TB-BNV; see rules/calendar/vn-civil-service.yaml),
never with the code under test. Counting rule: the day of receipt is day 0 (Bộ luật Dân sự
2015, Điều 147 khoản 2), then every working day counts once.
"""

from __future__ import annotations

import random
import threading
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import holidays
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from quyche_rules.calendar.working_days import DEFAULT_CALENDAR_PATH, Deadline, WorkingCalendar
from quyche_rules.errors import CalendarError, RulebookError

REPO_CALENDAR = Path(__file__).resolve().parents[1] / "rules" / "calendar" / "vn-civil-service.yaml"


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


CAL = WorkingCalendar()  # shared by the hypothesis tests (fixtures and @given do not mix well)


# --------------------------------------------------------------------------- the data


# Every Monday-Friday off and every Saturday/Sunday worked, typed in from the notices.
EXPECTED_WEEKDAYS_OFF: dict[int, list[str]] = {
    # 5015/TB-LĐTBXH: Tết 8-12/2 + 13, 14/2 in lieu of the weekend; 2/9 + 3/9.
    # 2450/VPCP-KGVX: Monday 29/4 off, Saturday 4/5 worked. Statutory: 1/1, 18/4, 30/4, 1/5.
    2024: ["01-01", "02-08", "02-09", "02-12", "02-13", "02-14", "04-18", "04-29", "04-30",
           "05-01", "09-02", "09-03"],
    # 6150/TB-BLĐTBXH: Tết 27-31/1; Friday 2/5 off, Saturday 26/4 worked; 1/9 + 2/9.
    # Statutory: 1/1, 7/4 (Giỗ Tổ), 30/4, 1/5.
    2025: ["01-01", "01-27", "01-28", "01-29", "01-30", "01-31", "04-07", "04-30", "05-01",
           "05-02", "09-01", "09-02"],
    # 12729/VPCP-KGVX: Friday 2/1 off, Saturday 10/1 worked. 9441/TB-BNV: Tết 16-20/2;
    # 1/9 + 2/9, Monday 31/8 off, Saturday 22/8 worked. Giỗ Tổ on Sunday 26/4 -> 27/4 in
    # lieu (BLLĐ Điều 111.3). 30/4, 1/5 statutory. 24/11 Ngày Văn hóa Việt Nam.
    2026: ["01-01", "01-02", "02-16", "02-17", "02-18", "02-19", "02-20", "04-27", "04-30",
           "05-01", "08-31", "09-01", "09-02", "11-24"],
}  # fmt: skip
EXPECTED_WEEKENDS_WORKED: dict[int, list[str]] = {
    2024: ["05-04"],
    2025: ["04-26"],
    2026: ["01-10", "08-22"],
}


def _days(year: int, mmdd: list[str]) -> set[date]:
    return {date.fromisoformat(f"{year}-{md}") for md in mmdd}


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_day_of_the_recorded_years_matches_the_notices(
    cal: WorkingCalendar, year: int
) -> None:
    off = _days(year, EXPECTED_WEEKDAYS_OFF[year])
    worked = _days(year, EXPECTED_WEEKENDS_WORKED[year])
    d = date(year, 1, 1)
    while d.year == year:
        expected = (d in worked) if d.weekday() >= 5 else (d not in off)
        assert cal.is_working_day(d) is expected, d
        d += timedelta(days=1)
    assert year in cal.recorded_years


# Weekday sets as (in YAML but not in holidays, in holidays but not in YAML) for days off,
# then the same for weekend days worked. Any change here (e.g. a holidays release adding
# the 2026 New Year swap) must be looked at by a human, hence the exact comparison.
KNOWN_DISAGREEMENTS: dict[int, tuple[set[date], set[date], set[date], set[date]]] = {
    2024: (set(), set(), set(), set()),
    2025: (set(), set(), set(), set()),
    # holidays 0.109 misses the Tết Dương lịch 2026 swap of Công văn 12729/VPCP-KGVX.
    2026: ({date(2026, 1, 2)}, set(), {date(2026, 1, 10)}, set()),
}


@pytest.mark.parametrize("year", sorted(KNOWN_DISAGREEMENTS))
def test_yaml_agrees_with_holidays_package_except_documented_cases(
    cal: WorkingCalendar, year: int
) -> None:
    vn = holidays.country_holidays("VN", years=year)
    hol_off = {d for d in vn if d.year == year and d.weekday() < 5}
    hol_worked = {d for d in getattr(vn, "weekend_workdays", ()) if d.year == year}
    yaml_off = {
        d
        for d in (date(year, 1, 1) + timedelta(days=i) for i in range(366))
        if d.year == year and d.weekday() < 5 and (e := cal.entry(d)) and not e.working
    }
    yaml_worked = {
        d
        for d in (date(year, 1, 1) + timedelta(days=i) for i in range(366))
        if d.year == year and (e := cal.entry(d)) and e.working
    }
    found = (
        yaml_off - hol_off,
        hol_off - yaml_off,
        yaml_worked - hol_worked,
        hol_worked - yaml_worked,
    )
    assert found == KNOWN_DISAGREEMENTS[year], (
        f"holidays {getattr(holidays, '__version__', '?')} vs YAML changed for {year}; "
        "re-check the notices and update KNOWN_DISAGREEMENTS and the YAML header"
    )


def test_every_entry_names_its_source(cal: WorkingCalendar) -> None:
    for year in (2024, 2025, 2026):
        for d in (date(year, 1, 1) + timedelta(days=i) for i in range(365)):
            e = cal.entry(d)
            if e is not None:
                assert e.source.strip() and e.reason_vi.strip() and e.reason_en.strip()
                assert e.verified or e.note


def test_culture_day_is_off_only_from_2026(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2025, 11, 24))  # Monday, no instrument yet
    assert not cal.is_working_day(date(2026, 11, 24))
    entry = cal.entry(date(2026, 11, 24))
    assert entry is not None and entry.verified is False and "28/2026/QH16" in entry.source


# --------------------------------------------------------------------------- table tests

# (received, n, due, why) -- all counted by hand, see the module docstring.
TABLE = [
    (date(2024, 3, 1), 7, date(2024, 3, 12), "Friday receipt: Mon 4 .. Fri 8, Mon 11, Tue 12"),
    (date(2024, 3, 2), 7, date(2024, 3, 12), "Saturday receipt: first counted day Mon 4/3"),
    (date(2024, 3, 3), 7, date(2024, 3, 12), "Sunday receipt"),
    (date(2024, 2, 7), 7, date(2024, 2, 23), "eve of Tết 2024: 8-14/2 off -> 15, 16, 19..23"),
    (date(2024, 4, 25), 7, date(2024, 5, 8), "26/4, then 2, 3, Sat 4/5 (worked), 6, 7, 8"),
    (date(2024, 4, 26), 7, date(2024, 5, 9), "across 27/4-1/5 2024, Sat 4/5 worked"),
    (date(2024, 4, 30), 7, date(2024, 5, 9), "received on a holiday (30/4)"),
    (date(2024, 5, 4), 7, date(2024, 5, 14), "received on the swapped working Saturday"),
    (date(2024, 8, 30), 7, date(2024, 9, 12), "across 2/9/2024: 31/8-3/9 off"),
    (date(2024, 12, 31), 7, date(2025, 1, 10), "year end 2024: 1/1/2025 off"),
    (date(2025, 1, 24), 7, date(2025, 2, 11), "eve of Tết 2025: 25/1-2/2 off"),
    (date(2025, 1, 28), 7, date(2025, 2, 11), "received during Tết 2025"),
    (date(2025, 4, 25), 1, date(2025, 4, 26), "the swapped Saturday 26/4/2025 counts"),
    (date(2025, 4, 25), 7, date(2025, 5, 8), "26/4, 28, 29, then 30/4-4/5 off, 5..8/5"),
    (date(2025, 4, 26), 7, date(2025, 5, 9), "received on the swapped Saturday 2025"),
    (date(2025, 8, 29), 7, date(2025, 9, 11), "across 2/9/2025: 30/8-2/9 off"),
    (date(2025, 11, 21), 7, date(2025, 12, 2), "24/11/2025 is an ordinary Monday"),
    (date(2025, 12, 26), 7, date(2026, 1, 8), "year end 2025: 1/1 and 2/1/2026 off"),
    (date(2025, 12, 26), 10, date(2026, 1, 12), "... and Saturday 10/1/2026 worked"),
    (date(2026, 2, 13), 7, date(2026, 3, 3), "eve of Tết 2026: 14-22/2 off"),
    (date(2026, 8, 21), 7, date(2026, 9, 3), "Sat 22/8 worked, 29/8-2/9 off"),
    (date(2026, 8, 28), 7, date(2026, 9, 11), "across 2/9/2026"),
    (date(2026, 11, 20), 7, date(2026, 12, 2), "across 24/11/2026 (Tuesday off)"),
    (date(2026, 12, 24), 7, date(2027, 1, 5), "into 2027: 1/1/2027 off (estimated)"),
    (date(2023, 12, 29), 7, date(2024, 1, 10), "from 2023: 30-31/12 weekend, 1/1 off"),
]


@pytest.mark.parametrize(("received", "n", "due", "why"), TABLE, ids=[t[3] for t in TABLE])
def test_add_working_days_table(
    cal: WorkingCalendar, received: date, n: int, due: date, why: str
) -> None:
    assert cal.add_working_days(received, n) == due
    assert cal.working_days_between(received, due) == n


@pytest.mark.parametrize(
    ("received", "due", "years", "unconfirmed"),
    [
        (date(2024, 3, 1), date(2024, 3, 12), (), ()),
        (date(2024, 12, 31), date(2025, 1, 10), (), ()),
        (date(2025, 12, 26), date(2026, 1, 8), (), ()),
        # 2027 is not recorded: its Tết/swaps are unknown, so the deadline says so.
        (date(2026, 12, 24), date(2027, 1, 5), (2027,), ()),
        # The first counted days (30-31/12/2023) fall in an unrecorded year.
        (date(2023, 12, 29), date(2024, 1, 10), (2023,), ()),
        # Receipt on 31/12/2023 itself: the span (31/12, due] is all in 2024.
        (date(2023, 12, 31), date(2024, 1, 10), (), ()),
        # 24/11/2026 is unverified; 23/11 and 28/11 are under review (proposed swap).
        (
            date(2026, 11, 20),
            date(2026, 12, 2),
            (2026,),
            (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 28)),
        ),
    ],
)
def test_deadline_provisional(
    cal: WorkingCalendar,
    received: date,
    due: date,
    years: tuple[int, ...],
    unconfirmed: tuple[date, ...],
) -> None:
    dl = cal.deadline(received, 7)
    assert dl == Deadline(
        received=received,
        working_days=7,
        due=due,
        provisional=bool(years),
        provisional_years=years,
        unconfirmed_dates=unconfirmed,
    )


def test_deadline_is_frozen(cal: WorkingCalendar) -> None:
    dl = cal.deadline(date(2024, 3, 1), 7)
    with pytest.raises(FrozenInstanceError):
        dl.due = date(2024, 3, 13)  # type: ignore[misc]


# --------------------------------------------------------------------------- n == 0


def test_zero_working_days_is_the_start_itself(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(date(2024, 3, 2), 0) == date(2024, 3, 2)  # a Saturday
    assert cal.add_working_days(date(2024, 3, 4), 0) == date(2024, 3, 4)
    assert cal.working_days_between(date(2024, 3, 2), date(2024, 3, 2)) == 0


def test_deadline_refuses_zero_days(cal: WorkingCalendar) -> None:
    with pytest.raises(CalendarError, match="n must be >= 1"):
        cal.deadline(date(2024, 3, 1), 0)


# --------------------------------------------------------------------------- datetimes


def test_time_of_day_does_not_matter(cal: WorkingCalendar) -> None:
    late = datetime(2024, 3, 1, 23, 59)  # naive = Vietnamese local time
    early = datetime(2024, 3, 1, 0, 1)
    assert cal.add_working_days(late, 7) == cal.add_working_days(early, 7) == date(2024, 3, 12)
    assert cal.deadline(late, 7).received == date(2024, 3, 1)


def test_aware_datetime_is_converted_to_vietnam_time(cal: WorkingCalendar) -> None:
    # 18:00 UTC on Thursday 29/2 is 01:00 on Friday 1/3 in Hà Nội.
    utc = datetime(2024, 2, 29, 18, 0, tzinfo=UTC)
    assert cal.deadline(utc, 7).received == date(2024, 3, 1)
    assert cal.add_working_days(utc, 7) == date(2024, 3, 12)
    # Had the UTC date been taken, Thursday 29/2 would give Monday 11/3.
    assert cal.add_working_days(date(2024, 2, 29), 7) == date(2024, 3, 11)
    ict = datetime(2024, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=7)))
    assert cal.add_working_days(ict, 7) == date(2024, 3, 12)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("n", [-1, -30, True, False, 1.0, 7.5, "7", None, [7]])
def test_bad_n(cal: WorkingCalendar, n: object) -> None:
    with pytest.raises(CalendarError, match=r"^n must"):
        cal.add_working_days(date(2024, 3, 1), n)  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match=r"^n must"):
        cal.deadline(date(2024, 3, 1), n)  # type: ignore[arg-type]


@pytest.mark.parametrize("start", ["2024-03-01", 20240301, None, 1.5, (2024, 3, 1)])
def test_bad_start(cal: WorkingCalendar, start: object) -> None:
    with pytest.raises(CalendarError, match=r"^start must be a date"):
        cal.add_working_days(start, 7)  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match=r"^received must be a date"):
        cal.deadline(start, 7)  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match=r"^d must be a date"):
        cal.is_working_day(start)  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match=r"^a must be a date"):
        cal.working_days_between(start, date(2024, 3, 1))  # type: ignore[arg-type]


def test_outside_supported_years(cal: WorkingCalendar) -> None:
    with pytest.raises(CalendarError, match="outside the supported years"):
        cal.add_working_days(date(2101, 1, 3), 1)
    with pytest.raises(CalendarError, match="outside the supported years"):
        cal.is_working_day(date(1999, 12, 31))
    with pytest.raises(CalendarError, match="outside the supported years"):
        cal.add_working_days(date(2101, 1, 3), 0)
    with pytest.raises(CalendarError, match="runs past the supported years"):
        cal.add_working_days(date(2100, 12, 1), 30)


def test_working_days_between_empty_interval(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(date(2024, 3, 12), date(2024, 3, 1)) == 0
    assert cal.working_days_between(date(2024, 1, 1), date(2024, 12, 31)) == 251


# --------------------------------------------------------------------------- hypothesis

DATES = st.dates(min_value=date(2022, 1, 1), max_value=date(2032, 12, 31))
SMALL_N = st.integers(min_value=0, max_value=60)


def _naive_count(a: date, b: date) -> int:
    """Working days in (a, b], one day at a time."""
    count, d = 0, a + timedelta(days=1)
    while d <= b:
        count += CAL.is_working_day(d)
        d += timedelta(days=1)
    return count


@settings(max_examples=300, deadline=None)
@given(DATES, st.integers(min_value=1, max_value=60))
def test_due_is_a_working_day(d: date, n: int) -> None:
    due = CAL.add_working_days(d, n)
    assert due > d
    assert CAL.is_working_day(due)


@settings(max_examples=300, deadline=None)
@given(DATES, DATES, SMALL_N)
def test_monotone_in_start(d1: date, d2: date, n: int) -> None:
    lo, hi = sorted((d1, d2))
    assert CAL.add_working_days(lo, n) <= CAL.add_working_days(hi, n)


@settings(max_examples=300, deadline=None)
@given(DATES, SMALL_N, SMALL_N)
def test_monotone_in_n(d: date, n1: int, n2: int) -> None:
    lo, hi = sorted((n1, n2))
    assert CAL.add_working_days(d, lo) <= CAL.add_working_days(d, hi)
    if lo < hi:
        assert CAL.add_working_days(d, lo) < CAL.add_working_days(d, hi)


@settings(max_examples=300, deadline=None)
@given(DATES, SMALL_N, SMALL_N)
def test_additive_from_a_working_day(d: date, a: int, b: int) -> None:
    assume(CAL.is_working_day(d))
    assert CAL.add_working_days(CAL.add_working_days(d, a), b) == CAL.add_working_days(d, a + b)


@settings(max_examples=200, deadline=None)
@given(DATES, SMALL_N)
def test_exactly_n_working_days_in_span(d: date, n: int) -> None:
    due = CAL.add_working_days(d, n)
    assert _naive_count(d, due) == n
    assert CAL.working_days_between(d, due) == n
    if n >= 1:  # due is the first date reaching n: the day before has one fewer
        assert _naive_count(d, due - timedelta(days=1)) == n - 1


@settings(max_examples=200, deadline=None)
@given(DATES, st.integers(min_value=-30, max_value=120))
def test_working_days_between_matches_naive_loop(a: date, offset: int) -> None:
    b = a + timedelta(days=offset)
    assert CAL.working_days_between(a, b) == (_naive_count(a, b) if b > a else 0)


@settings(max_examples=200, deadline=None)
@given(
    DATES,
    st.one_of(
        st.integers(max_value=-1),
        st.booleans(),
        st.floats(allow_nan=True),
        st.text(max_size=5),
        st.none(),
        st.lists(st.integers(), max_size=2),
    ),
)
def test_bad_n_always_raises(d: date, n: object) -> None:
    with pytest.raises(CalendarError):
        CAL.add_working_days(d, n)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.none(), st.binary()))
def test_bad_start_always_raises(start: object) -> None:
    with pytest.raises(CalendarError):
        CAL.add_working_days(start, 7)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- ICS


def test_to_ics_all_day_event_with_stable_uid(cal: WorkingCalendar) -> None:
    dl = cal.deadline(date(2025, 1, 24), 7)
    stamp = datetime(2025, 1, 24, 9, 0, tzinfo=UTC)
    raw = WorkingCalendar.to_ics(dl, "Trả lời đề nghị phối hợp", "Điều 3.1", now=stamp)
    assert raw == cal.to_ics(dl, "Trả lời đề nghị phối hợp", "Điều 3.1", now=stamp)
    event = Calendar.from_ical(raw).walk("VEVENT")[0]
    assert event.decoded("dtstart") == date(2025, 2, 11)
    assert event.decoded("dtend") == date(2025, 2, 12)
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["summary"]) == "Trả lời đề nghị phối hợp"
    other = cal.to_ics(dl, "Another summary", now=stamp)
    assert Calendar.from_ical(other).walk("VEVENT")[0]["uid"] != event["uid"]


def test_to_ics_marks_provisional(cal: WorkingCalendar) -> None:
    dl = cal.deadline(date(2026, 12, 24), 7)
    event = Calendar.from_ical(cal.to_ics(dl, "Hạn trả lời")).walk("VEVENT")[0]
    assert str(event["status"]) == "TENTATIVE"
    assert "2027" in str(event["description"])


@pytest.mark.parametrize(
    ("summary", "kwargs"),
    [("", {}), (None, {}), ("ok", {"now": datetime(2025, 1, 1)}), ("ok", {"now": "x"})],
)
def test_to_ics_bad_input(cal: WorkingCalendar, summary: object, kwargs: dict[str, object]) -> None:
    dl = cal.deadline(date(2025, 1, 24), 7)
    with pytest.raises(CalendarError):
        cal.to_ics(dl, summary, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- loading


def test_default_path_is_the_repository_file() -> None:
    assert DEFAULT_CALENDAR_PATH == REPO_CALENDAR
    assert WorkingCalendar().path == REPO_CALENDAR
    assert WorkingCalendar(REPO_CALENDAR).recorded_years == frozenset({2024, 2025, 2026})


_GOOD_ENTRY = """\
      - date: {d}
        reason_vi: x
        reason_en: x
        source: Thông báo số 1/TB-X ngày 01/01/2030
"""


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "cal.yaml"
    p.write_text(body, encoding="utf-8")
    return p


def test_custom_file_overrides_the_default(tmp_path: Path) -> None:
    body = "schema_version: 1\nyears:\n  2030:\n    days_off:\n" + _GOOD_ENTRY.format(
        d="2030-03-04"
    )
    c = WorkingCalendar(_write(tmp_path, body))
    assert c.recorded_years == frozenset({2030})
    assert not c.is_working_day(date(2030, 3, 4))  # listed
    assert c.is_working_day(date(2030, 1, 1))  # a recorded year lists every day off
    assert c.deadline(date(2030, 3, 1), 1).due == date(2030, 3, 5)
    assert c.deadline(date(2030, 3, 1), 1).provisional is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("schema_version: 2\nyears: {}\n", "schema_version"),
        ("schema_version: 1\nyears: {}\n", "years"),
        ("schema_version: 1\nyears: {}\nextra: 1\n", "extra"),
        ("schema_version: 1\nyears:\n  2030:\n    working_days: []\n", "years.2030.days_off"),
        (
            "schema_version: 1\nyears:\n  2030:\n    days_off:\n"
            + _GOOD_ENTRY.format(d="2030-03-02"),  # a Saturday
            "years.2030.days_off[0].date",
        ),
        (
            "schema_version: 1\nyears:\n  2030:\n    days_off: []\n    working_days:\n"
            + _GOOD_ENTRY.format(d="2030-03-04"),  # a Monday
            "years.2030.working_days[0].date",
        ),
        (
            "schema_version: 1\nyears:\n  2030:\n    days_off:\n"
            + _GOOD_ENTRY.format(d="2031-03-04"),
            "years.2030.days_off[0].date",
        ),
        (
            "schema_version: 1\nyears:\n  2030:\n    days_off:\n"
            + _GOOD_ENTRY.format(d="2030-03-04")
            + _GOOD_ENTRY.format(d="2030-03-04"),
            "years.2030.days_off[1].date",
        ),
        (
            "schema_version: 1\nyears:\n  2030:\n    days_off:\n"
            + _GOOD_ENTRY.format(d="2030-03-04")
            + "        verified: false\n",
            "years.2030.days_off[0].note",
        ),
        (
            "schema_version: 1\nyears:\n  2030:\n    days_off:\n"
            + _GOOD_ENTRY.format(d="2030-03-04")
            + "        verified: 'yes'\n",
            "years.2030.days_off[0].verified",
        ),
        (
            "schema_version: 1\nyears:\n  2030:\n    days_off:\n"
            + _GOOD_ENTRY.format(d="2030-03-04").replace("source", "sorce"),
            "years.2030.days_off[0].sorce",
        ),
        (
            "schema_version: 1\nyears:\n  2030:\n    days_off:\n"
            + _GOOD_ENTRY.format(d="2030-03-04").replace("reason_vi: x", "reason_vi: ''"),
            "years.2030.days_off[0].reason_vi",
        ),
        (
            "schema_version: 1\nyears:\n  2030:\n    days_off:\n"
            + _GOOD_ENTRY.format(d="not-a-date"),
            "years.2030.days_off[0].date",
        ),
        ("schema_version: 1\nyears:\n  1990:\n    days_off: []\n", "years.1990"),
        (
            "schema_version: 1\nyears:\n  2030:\n    days_off: []\n    under_review:\n"
            "      - date: 2030-03-04\n        note: n\n",
            "years.2030.under_review[0].source",
        ),
    ],
)
def test_malformed_yaml_names_file_and_field(tmp_path: Path, body: str, field: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(RulebookError) as info:
        WorkingCalendar(path)
    assert info.value.file == str(path)
    assert info.value.field == field


def test_yaml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "schema_version: 1\nyears: [\n")
    with pytest.raises(RulebookError, match="malformed YAML") as info:
        WorkingCalendar(path)
    assert info.value.file == str(path) and info.value.line is not None
    with pytest.raises(RulebookError, match="cannot read"):
        WorkingCalendar(tmp_path / "missing.yaml")


# --------------------------------------------------------------------------- threads


def test_concurrent_first_use_gives_the_same_answers() -> None:
    rng = random.Random(4)
    lo, hi = date(2024, 1, 1).toordinal(), date(2030, 12, 31).toordinal()
    queries = [(date.fromordinal(rng.randint(lo, hi)), rng.randint(0, 30)) for _ in range(3000)]
    reference = WorkingCalendar()
    expected = [reference.add_working_days(d, n) for d, n in queries]

    shared = WorkingCalendar()  # cold: every thread races to build the tables
    results: list[list[date]] = [[] for _ in range(8)]
    errors: list[BaseException] = []

    def work(slot: int) -> None:
        try:
            order = list(range(len(queries)))
            random.Random(slot).shuffle(order)
            got = {i: shared.add_working_days(*queries[i]) for i in order}
            results[slot] = [got[i] for i in range(len(queries))]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == expected for r in results)
