"""The official yearly arrangement of days off and swapped working days, as recorded.

Read from ``rules/calendar/vn-civil-service.yaml`` (every defect a one-line error naming the
field); a year not recorded there is estimated from the ``holidays`` package, and the
caller marks such deadlines provisional.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from quyche_rules.errors import RulebookError
from quyche_rules.io.yamlio import RULE_FILE_LIMITS, parse_yaml, read_bounded

#: Supported years. ``holidays.VN`` silently returns *no* holidays from 2101 on (its lunar
#: tables end in 2100), and the Labor Code 2019 rules it applies are meaningless long before
#: 2000; refusing is safer than answering with an empty holiday list.
MIN_YEAR: Final[int] = 2000
MAX_YEAR: Final[int] = 2100

_SCHEMA_VERSION: Final[int] = 1
_ENTRY_KEYS: Final[frozenset[str]] = frozenset(
    {"date", "reason_vi", "reason_en", "source", "verified", "note"}
)
_REVIEW_KEYS: Final[frozenset[str]] = frozenset({"date", "note", "source"})
_YEAR_KEYS: Final[frozenset[str]] = frozenset({"days_off", "working_days", "under_review"})
SATURDAY: Final[int] = 5


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One recorded date of the official arrangement, with the instrument that decided it."""

    day: date
    working: bool
    reason_vi: str
    reason_en: str
    source: str
    verified: bool
    note: str | None


# ---------------------------------------------------------------------- helpers


def estimated_year(year: int) -> tuple[set[date], set[date]]:
    """Weekdays off and weekend days worked of an unrecorded year, from ``holidays.VN``.

    ``holidays`` is imported here, not at module level: it costs tens of ms at start-up and
    only unrecorded years need it (issue 10, cold start)."""
    import holidays

    vn: Any = holidays.country_holidays("VN", years=year)
    off = {d for d in vn if d.year == year and d.weekday() < SATURDAY}
    worked = {d for d in getattr(vn, "weekend_workdays", ()) if d.year == year}
    return off, worked


# ---------------------------------------------------------------------- YAML loading


def load_arrangement(path: Path) -> tuple[list[CalendarEntry], dict[int, list[date]]]:
    """Read and validate the calendar YAML; every defect is a RulebookError naming the field."""
    file = str(path)
    # the one bounded reader of rule files (size, depth, aliases, duplicate keys)
    data = parse_yaml(read_bounded(path, file=file, limits=RULE_FILE_LIMITS), file=file)

    if not isinstance(data, Mapping):
        raise RulebookError("top level must be a mapping", file=file)
    _no_extra_keys(data, frozenset({"schema_version", "years"}), file, "")
    if data.get("schema_version") != _SCHEMA_VERSION:
        raise RulebookError(
            f"schema_version must be {_SCHEMA_VERSION}, got {data.get('schema_version')!r}",
            file=file,
            field="schema_version",
        )
    years = data.get("years")
    if not isinstance(years, Mapping) or not years:
        raise RulebookError("years must be a non-empty mapping", file=file, field="years")

    entries: list[CalendarEntry] = []
    review: dict[int, list[date]] = {}
    for year, body in years.items():
        where = f"years.{year}"
        if type(year) is not int or not MIN_YEAR <= year <= MAX_YEAR:
            raise RulebookError(
                f"year key must be an integer in {MIN_YEAR}..{MAX_YEAR}", file=file, field=where
            )
        if not isinstance(body, Mapping):
            raise RulebookError("must be a mapping", file=file, field=where)
        _no_extra_keys(body, _YEAR_KEYS, file, where)
        if "days_off" not in body:
            raise RulebookError("days_off is required", file=file, field=f"{where}.days_off")
        seen: set[date] = set()
        for kind in ("days_off", "working_days"):
            for i, raw in enumerate(_list(body.get(kind, []), file, f"{where}.{kind}")):
                entry = _entry(raw, year, kind == "working_days", file, f"{where}.{kind}[{i}]")
                if entry.day in seen:
                    raise RulebookError(
                        f"{entry.day.isoformat()} is listed twice",
                        file=file,
                        field=f"{where}.{kind}[{i}].date",
                    )
                seen.add(entry.day)
                entries.append(entry)
        dates: list[date] = []
        for i, raw in enumerate(_list(body.get("under_review", []), file, f"{where}.under_review")):
            f = f"{where}.under_review[{i}]"
            if not isinstance(raw, Mapping):
                raise RulebookError("must be a mapping", file=file, field=f)
            _no_extra_keys(raw, _REVIEW_KEYS, file, f)
            _text(raw, "note", file, f)
            _text(raw, "source", file, f)
            dates.append(_day(raw.get("date"), year, file, f"{f}.date"))
        review[year] = dates
    return entries, review


def _entry(raw: object, year: int, working: bool, file: str, where: str) -> CalendarEntry:
    if not isinstance(raw, Mapping):
        raise RulebookError("must be a mapping", file=file, field=where)
    _no_extra_keys(raw, _ENTRY_KEYS, file, where)
    day = _day(raw.get("date"), year, file, f"{where}.date")
    weekend = day.weekday() >= SATURDAY
    if working and not weekend:
        raise RulebookError(
            f"{day.isoformat()} is a {day.strftime('%A')}; working_days lists only "
            "Saturdays and Sundays worked",
            file=file,
            field=f"{where}.date",
        )
    if not working and weekend:
        raise RulebookError(
            f"{day.isoformat()} is a {day.strftime('%A')}; days_off lists only weekdays",
            file=file,
            field=f"{where}.date",
        )
    verified = raw.get("verified", True)
    if type(verified) is not bool:
        raise RulebookError("verified must be true or false", file=file, field=f"{where}.verified")
    note = raw.get("note")
    if note is not None and (not isinstance(note, str) or not note.strip()):
        raise RulebookError("note must be a non-empty string", file=file, field=f"{where}.note")
    if not verified and note is None:
        raise RulebookError(
            "an unverified entry needs a note saying what is missing",
            file=file,
            field=f"{where}.note",
        )
    return CalendarEntry(
        day=day,
        working=working,
        reason_vi=_text(raw, "reason_vi", file, where),
        reason_en=_text(raw, "reason_en", file, where),
        source=_text(raw, "source", file, where),
        verified=verified,
        note=note,
    )


def _day(value: object, year: int, file: str, field: str) -> date:
    if isinstance(value, datetime):
        raise RulebookError("must be a date (YYYY-MM-DD), not a timestamp", file=file, field=field)
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError as exc:
            raise RulebookError(
                f"not a date (YYYY-MM-DD): {value!r}", file=file, field=field
            ) from exc
    if not isinstance(value, date):
        raise RulebookError(f"must be a date (YYYY-MM-DD), got {value!r}", file=file, field=field)
    if value.year != year:
        raise RulebookError(
            f"{value.isoformat()} is not in the year {year} it is listed under",
            file=file,
            field=field,
        )
    return value


def _text(raw: Mapping[str, object], key: str, file: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulebookError(f"{key} must be a non-empty string", file=file, field=f"{where}.{key}")
    return value


def _list(value: object, file: str, field: str) -> Sequence[object]:
    if not isinstance(value, list):
        raise RulebookError("must be a list", file=file, field=field)
    return value


def _no_extra_keys(
    raw: Mapping[Any, object], allowed: frozenset[str], file: str, where: str
) -> None:
    extra = sorted(str(k) for k in raw if k not in allowed)
    if extra:
        prefix = f"{where}." if where else ""
        raise RulebookError(
            f"unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}",
            file=file,
            field=f"{prefix}{extra[0]}",
        )
