"""A problem's ``detail`` (and each ``errors[].detail``) in the reader's language.

The service's and the library's one-line refusals are written in English, as
``<place>: <what>`` (``body.requester: unknown party 'x'``), and some already in both
languages (``<place>: <tiếng Việt> / <English>``) or in the current language (the library's
``_()``). A Vietnamese reader (the default; ``Accept-Language`` picks English) gets:

* the place unchanged: it is a field's name, what a program and a clerk look for;
* a message of ``DETAILS`` — each English refusal as a pattern and its message id in the
  project's catalogue (``i18n``, ``locale/vi``) — in Vietnamese, the values it quotes
  kept as sent and its ISO dates as dd/mm/yyyy;
* of a two-language message, its Vietnamese half; a message already Vietnamese, as is;
* anything else, the Vietnamese words for its ``code`` (``CODES``), never English: a new
  refusal that nobody added here is still answered in Vietnamese, less precisely (the
  English original is one ``Accept-Language: en`` away). ``tests/service/
  test_problem_language.py`` walks the table.

English readers get the detail word for word as before. Machine fields (``type``,
``code``, ``pointer``, ``parameter``) never change with the language.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from quyche_rules.i18n import N_, _, format_date, language

#: a value as refusals quote it: 'x' (Python's repr), "x", or one word
_V = r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\S+)"
_D = r"(\d{4}-\d{2}-\d{2})"
_N = r"(\d+)"

#: English refusal (the part after ``<place>: ``, or the whole line) → message id
DETAILS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), m)
    for p, m in (
        # the library's checks of an event's fields
        (rf"unknown party {_V}", N_("unknown party {0}")),
        (rf"unknown district {_V} \(known: (.*)\)", N_("unknown district {0} (known: {1})")),
        (r"must be a party id or name \(a string\)", N_("must be a party id or name (a string)")),
        (
            rf"{_V} is not a Bloc agency \(a member of (\S+) in the loaded profile\)",
            N_("{0} is not a Bloc agency (a member of {1} in the loaded profile)"),
        ),
        (
            r"must be a date \(YYYY-MM-DD\), not a date-time",
            N_("must be a date (YYYY-MM-DD), not a date-time"),
        ),
        (rf"{_V} is not an ISO date \(YYYY-MM-DD\)", N_("{0} is not an ISO date (YYYY-MM-DD)")),
        (rf"{_V} is not a real date", N_("{0} is not a real date")),
        (r"must be an ISO date \(YYYY-MM-DD\)", N_("must be an ISO date (YYYY-MM-DD)")),
        (
            rf"{_D} is outside the supported years {_N}-{_N}",
            N_("{0} is outside the supported years {1}-{2}"),
        ),
        (
            rf"(.+) exists from (\S+) to (\S+), the event is dated {_D}",
            N_("{0} exists from {1} to {2}, the event is dated {3}"),
        ),
        (
            rf"{_D} is after date {_D} \(the day of the correction\)",
            N_("{0} is after date {1} (the day of the correction)"),
        ),
        (rf"{_D} is before date {_D}", N_("{0} is before date {1}")),
        (
            rf"(.+) ended on {_D}, the request was received {_D}",
            N_("{0} ended on {1}, the request was received {2}"),
        ),
        (
            rf"{_D} is before (.+) was signed \({_D}, profile (\S+)\); it replaced (.+), "
            r"which applies",
            N_("{0} is before {1} was signed ({2}, profile {3}); it replaced {4}, which applies"),
        ),
        (rf"unknown event type {_V} \(known: (.*)\)", N_("unknown event type {0} (known: {1})")),
        (
            rf"unknown event type {_V} \(see GET /v1/schemas/events\)",
            N_("unknown event type {0} (see GET /v1/schemas/events)"),
        ),
        (r"missing; every event names its type", N_("missing; every event names its type")),
        (r"malformed JSON", N_("malformed JSON")),
        (r"cannot be read as UTF-8 JSON", N_("cannot be read as UTF-8 JSON")),
        (r"must be application/json, got (.*)", N_("must be application/json, got {0}")),
        (rf"larger than the limit of {_N} bytes", N_("larger than the limit of {0} bytes")),
        # the tracker's
        (
            r"required: this event opens a case with a deadline \((\S+)\) and answers find "
            r"it by its reference",
            N_(
                "required: this event opens a case with a deadline ({0}) and answers find it "
                "by its reference"
            ),
        ),
        (
            r"required to move the due date of a request",
            N_("required to move the due date of a request"),
        ),
        (
            rf"{_V} from (\S+) is already recorded \(#{_N}\) with different content; record a "
            r"withdrawal or a new reference",
            N_(
                "{0} from {1} is already recorded (#{2}) with different content; record a "
                "withdrawal or a new reference"
            ),
        ),
        (
            rf"{_V} from (\S+) appears twice in the batch with different content",
            N_("{0} from {1} appears twice in the batch with different content"),
        ),
        (r"no such case: (.+)", N_("no such case: {0}")),
        (r"ambiguous prefix: (.+)", N_("ambiguous prefix: {0}")),
        (rf"(\S+) does not exist yet on {_D}", N_("{0} does not exist yet on {1}")),
        (rf"{_V} is not one of (.+)", N_("{0} is not one of {1}")),
        # the service's own
        (r"a bearer API key is required", N_("a bearer API key is required")),
        (r"a valid bearer API key is required", N_("a valid bearer API key is required")),
        (r"unknown or revoked API key", N_("unknown or revoked API key")),
        (rf"this key may not record as {_V}", N_("this key may not record as {0}")),
        (
            r"names no sender; only an administrator's key records it",
            N_("names no sender; only an administrator's key records it"),
        ),
        (r"required for an administrator's key", N_("required for an administrator's key")),
        (rf"no status visible for {_V}", N_("no status visible for {0}")),
        (r"not a cursor this service gave", N_("not a cursor this service gave")),
        (r"no such case", N_("no such case")),
        (r"no such decision", N_("no such decision")),
        (r"no such feed", N_("no such feed")),
        (r"no such active subscription", N_("no such active subscription")),
        (rf"unknown rule id {_V}", N_("unknown rule id {0}")),
        (
            rf"{_V} is not a clause reference like 5\.2\.a",
            N_("{0} is not a clause reference like 5.2.a"),
        ),
        (r"the text has no unit (.+)", N_("the text has no unit {0}")),
        (rf"no Article {_V} in the regulation", N_("no Article {0} in the regulation")),
        (rf"this service does not serve {_V}", N_("this service does not serve {0}")),
        (rf"no such file {_V}", N_("no such file {0}")),
        (rf"docs asset: no such file {_V}", N_("docs asset: no such file {0}")),
        (
            r"a key manages its own body's subscriptions only",
            N_("a key manages its own body's subscriptions only"),
        ),
        (r"deliveries are for administrators", N_("deliveries are for administrators")),
        (r"for administrators only", N_("for administrators only")),
        (
            r"a key reads its own body's decisions only",
            N_("a key reads its own body's decisions only"),
        ),
        (
            rf"rate limit: {_N} requests per minute per key",
            N_("rate limit: {0} requests per minute per key"),
        ),
        # which profile answers (``tenants``)
        (
            rf"this service does not serve profile {_V} \(it serves: (.*)\)",
            N_("this service does not serve profile {0} (it serves: {1})"),
        ),
        (
            rf"the key is bound to profile {_V}, which this service does not serve",
            N_("the key is bound to profile {0}, which this service does not serve"),
        ),
        (
            rf"the key is bound to profile {_V}, not {_V}",
            N_("the key is bound to profile {0}, not {1}"),
        ),
        (
            rf"this service serves {_N} profiles; an administrator's key names one in this "
            r"header \(or is bound to one: (.*)\)",
            N_(
                "this service serves {0} profiles; an administrator's key names one in this "
                "header (or is bound to one: {1})"
            ),
        ),
        (
            rf"the key's body {_V} is in {_N} profiles \((.*)\); name one in this header",
            N_("the key's body {0} is in {1} profiles ({2}); name one in this header"),
        ),
        # the bounded readers of a body (``io``)
        (
            rf"more than {_N} items in one list or mapping",
            N_("more than {0} items in one list or mapping"),
        ),
        (rf"integer longer than {_N} digits", N_("integer longer than {0} digits")),
        (rf"nested deeper than {_N}", N_("nested deeper than {0}")),
        (rf"larger than {_N} bytes", N_("larger than {0} bytes")),
        (rf"not UTF-8 \(byte (.+) at offset {_N}\)", N_("not UTF-8 (byte {0} at offset {1})")),
        (
            r"contains a NUL character \(binary data\?\)",
            N_("contains a NUL character (binary data?)"),
        ),
        (r"internal error", N_("internal error")),
        (r"request: invalid", N_("request: invalid")),
        # Starlette's own words for a path or a method it does not serve
        (r"Not Found", N_("Not Found")),
        (r"Method Not Allowed", N_("Method Not Allowed")),
        # pydantic's, for the fields of a request
        (r"Field required", N_("Field required")),
        (r"Extra inputs are not permitted", N_("Extra inputs are not permitted")),
        (r"Input should be a valid string", N_("Input should be a valid string")),
        (r"Input should be a valid integer(?:,.*)?", N_("Input should be a valid integer")),
        (r"Input should be a valid number(?:,.*)?", N_("Input should be a valid number")),
        (r"Input should be a valid boolean(?:,.*)?", N_("Input should be a valid boolean")),
        (
            r"Input should be a valid date(?: or datetime)?(?:,.*)?",
            N_("Input should be a valid date (YYYY-MM-DD)"),
        ),
        (r"Input should be a valid datetime(?:,.*)?", N_("Input should be a valid datetime")),
        (r"Input should be a valid list", N_("Input should be a valid list")),
        (
            r"Input should be a valid dictionary(?: or object to extract fields from)?",
            N_("Input should be a valid object"),
        ),
        (r"Input should be a valid UUID(?:,.*)?", N_("Input should be a valid UUID")),
        (r"Input should be a valid URL(?:,.*)?", N_("Input should be a valid URL")),
        (rf"Input should be greater than or equal to {_V}", N_("must be at least {0}")),
        (rf"Input should be less than or equal to {_V}", N_("must be at most {0}")),
        (rf"Input should be greater than {_V}", N_("must be greater than {0}")),
        (rf"Input should be less than {_V}", N_("must be less than {0}")),
        (r"Input should be (.+)", N_("must be {0}")),
        (
            rf"String should have at most {_N} characters?",
            N_("must have at most {0} characters"),
        ),
        (
            rf"String should have at least {_N} characters?",
            N_("must have at least {0} characters"),
        ),
        (rf"String should match pattern {_V}", N_("must match the pattern {0}")),
        (
            rf"(?:List|Tuple|Dictionary) should have at most {_N} items? after validation, "
            rf"not {_N}",
            N_("must have at most {0} items, not {1}"),
        ),
        (
            rf"(?:List|Tuple|Dictionary) should have at least {_N} items? after validation, "
            rf"not {_N}",
            N_("must have at least {0} items, not {1}"),
        ),
    )
)

#: the Vietnamese words of a refusal no pattern reads, by its ``code``
CODES: Mapping[str, str] = {
    "missing": N_("Field required"),
    "unknown_party": N_("unknown party"),
    "unknown_rule": N_("unknown rule id"),
    "unknown_event_type": N_("unknown event type"),
    "json_invalid": N_("malformed JSON"),
    "unreadable": N_("the request cannot be read"),
    "unsupported_media_type": N_("unsupported content type"),
    "regulation_ended": N_("the regulation had ceased to apply on that day"),
    "database_unavailable": N_("the database is unavailable; retry later"),
    "invalid_calendar_input": N_("not a date or a number of days the calendar counts"),
}
#: for any other code
OTHER = N_("invalid value (the English detail: Accept-Language: en)")

#: letters only Vietnamese writes (with its diacritics), and English words that mean a
#: line is English whatever names it quotes
_VI = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.I)
_EN = re.compile(
    r"\b(the|is|are|not|no|of|must|should|be|for|this|that|with|unknown|invalid|required|"
    r"cannot|only|has|have|was|were|from|after|before|given|got)\b",
    re.I,
)
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\([^)]*\)")


def is_vietnamese(text: str) -> bool:
    """Vietnamese words and no English ones, once the values it quotes are set aside."""
    bare = _QUOTED.sub(" ", text)
    return bool(_VI.search(bare)) and not _EN.search(bare)


def split(detail: str) -> tuple[str | None, str]:
    """``<place>: <what>`` → (place, what); a line without a place → (None, line). A place
    is one word (``body.requester``, ``Authorization``, ``X-Quyche-Profile``)."""
    place, sep, msg = detail.partition(": ")
    if not sep or not place or " " in place:
        return None, detail
    return place, msg


def localized(detail: str, code: str | None = None) -> str:
    """``detail`` in the current language (see the module docstring)."""
    if language() != "vi":
        return detail
    place, msg = split(detail)
    if place is not None and _match(detail) is not None:  # the whole line is one pattern
        place, msg = None, detail
    said = _vietnamese(msg, code)
    return said if place is None else f"{place}: {said}"


def _match(msg: str) -> str | None:
    for pattern, mid in DETAILS:
        m = pattern.fullmatch(msg)
        if m is not None:
            return _(mid).format(*(_value(g) for g in m.groups()))
    return None


def _value(group: str | None) -> str:
    """A value a pattern read: an ISO date as people read it here, anything else as is."""
    if group is None:
        return ""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", group):
        try:
            return format_date(dt.date.fromisoformat(group))
        except ValueError:
            return group
    return group


def _vietnamese(msg: str, code: str | None) -> str:
    found = _match(msg)
    if found is not None:
        return found
    place, inner = split(msg)  # a refusal quoting another one: ``days: <the calendar's>``
    if place is not None:
        return f"{place}: {_vietnamese(inner, code)}"
    vi, sep, _en = msg.partition(" / ")
    if sep and is_vietnamese(vi):
        return vi
    if is_vietnamese(msg):
        return msg
    return _(CODES.get(code or "", OTHER))


__all__ = ["CODES", "DETAILS", "OTHER", "is_vietnamese", "localized", "split"]
