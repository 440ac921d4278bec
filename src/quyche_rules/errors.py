"""Errors the library raises on purpose.

Every error names the place it is about (file, rule id, field) so that an operator of a
document-management system can fix the input without reading a traceback.
"""

from __future__ import annotations

import re
from typing import Any

#: Longest message an error carries: a 50 MB party name must not become a 50 MB line.
MAX_MESSAGE = 400


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` on one line: control characters (newlines included) escaped, cut to
    ``limit`` characters with an ellipsis. Logs and terminals get one line per error."""
    if len(text) > limit * 4:  # do not escape megabytes only to cut them
        text = text[: limit * 4]
    out = "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii")
        for c in text
    )
    return out if len(out) <= limit else out[: limit - 1] + "…"


def excerpt(value: Any, limit: int = 40, *, quote: bool = True) -> str:
    """A short, one-line rendering of an offending value: ``'Ban Tổ ch…' (5000 chars)``."""
    if isinstance(value, str):
        shown = repr(value[: limit + 1]) if quote else value[: limit + 1]
        if len(value) > limit:
            cut = repr(value[:limit]) if quote else value[:limit]
            return one_line(f"{cut}… ({len(value)} chars)", limit * 4)
        return one_line(shown, limit * 4)
    text = repr(value) if quote else str(value)
    return one_line(text, limit)


#: A message that starts with a field path (``date: …``, ``parties.0: …``) names it there.
_FIELD_PREFIX = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*): ")


def json_pointer(field: str | None) -> str | None:
    """A dotted field path (``parties.0``) as an RFC 6901 JSON Pointer (``/parties/0``),
    the form RFC 9457 problem details and JSON Schema tools use to name a place."""
    if field is None:
        return None
    if field in ("", "(root)"):
        return ""
    parts = (p.replace("~", "~0").replace("/", "~1") for p in field.split("."))
    return "/" + "/".join(parts)


def validation_code(kind: str, message: str) -> str:
    """The ``code`` of one pydantic validation error: pydantic's own error type (``missing``,
    ``extra_forbidden``, ``literal_error``, ``json_invalid`` … — stable across its versions),
    except that this library's value errors say what they are (``unknown_party``)."""
    if kind != "value_error":
        return kind
    text = message.removeprefix("Value error, ")
    if text.startswith("unknown party"):
        return "unknown_party"
    if text.startswith("unknown district"):
        return "unknown_district"
    return "invalid"


class QuycheError(Exception):
    """Base of every error this library raises on purpose.

    The message is made one line and bounded here, once, so that no caller (CLI, service,
    log) can print a multi-line or unbounded error whatever the input was.

    Besides the message, every error carries the same place and kind in structured form,
    so that the CLI (``--json``), the HTTP service (RFC 9457 ``errors``) and a Python
    caller report one thing three ways without parsing text: ``code`` (a stable
    snake_case word, e.g. ``missing``, ``unknown_party``, ``invalid``), ``field`` (the
    dotted path of the input field, when the error is about one) and ``pointer`` (the
    same place as a JSON Pointer)."""

    #: the kind of error when the raiser named none; subclasses give their own
    default_code = "invalid"

    def __init__(
        self, message: str = "", *, field: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(one_line(str(message)))
        self.code: str = code or self.default_code
        if field is None:  # the raisers write "field: what is wrong"; read the place there
            m = _FIELD_PREFIX.match(str(message))
            field = m.group(1) if m else None
        self.field: str | None = field

    @property
    def pointer(self) -> str | None:
        """``field`` as a JSON Pointer (``/parties/0``), None when no field is named."""
        return json_pointer(self.field)


class RulebookError(QuycheError):
    """A rule, party or source file is malformed or inconsistent."""

    default_code = "invalid_rulebook"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        rule_id: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.file = file
        self.rule_id = rule_id
        self.field = field
        self.line = line
        self.message = message
        where = []
        if file is not None:
            where.append(f"{file}:{line}" if line is not None else file)
        if rule_id is not None:
            where.append(f"rule {rule_id}")
        if field is not None:
            where.append(f"field {field}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message, field=field)


class EventError(QuycheError):
    """An event given to the engine does not validate. ``field`` names the offending
    field (``requester``, ``parties.0``), ``code`` says how it failed (pydantic's error
    type, e.g. ``missing``, ``literal_error``, or ``invalid``)."""

    default_code = "invalid_event"


class CalendarError(QuycheError):
    """A calendar computation was asked with bad input (negative n, not a date...)."""

    default_code = "invalid_calendar_input"


class ScenarioError(QuycheError):
    """A scenario file is malformed or names what the rulebook does not have."""

    default_code = "invalid_scenario"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        scenario: str | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.scenario = scenario
        self.field = field
        self.message = message
        where = [w for w in (file, f"scenario {scenario}" if scenario else None) if w]
        if field is not None:
            where.append(f"field {field}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message, field=field)


class UnknownPartyError(QuycheError, KeyError):
    """A party reference matches no id or name of the registry. Also a ``KeyError``, for
    the callers that caught that before it was a ``QuycheError``."""

    default_code = "unknown_party"

    def __str__(self) -> str:  # KeyError's __str__ would repr the message
        return str(self.args[0]) if self.args else ""


class DatabaseError(QuycheError):
    """A database that cannot be named, reached or used (bad ``--db`` URL, missing driver)."""

    default_code = "database_unavailable"


#: The extra of ``pyproject.toml`` that brings each optional top-level module. The core
#: (``pip install quyche-rules``) is what a Python system embeds; everything a person or a
#: server uses on top of it is an extra, so a missing one is named, not a traceback.
EXTRA_OF_MODULE = {
    "typer": "cli",
    "click": "cli",
    "rich": "cli",
    "icalendar": "cli",
    "sqlalchemy": "tracker",
    "alembic": "tracker",
    "platformdirs": "tracker",
    "psycopg": "postgresql",
    "psycopg2": "postgresql",
    "jinja2": "pages",
    "babel": "cli",
    "standardwebhooks": "delivery",
    "httpx": "delivery",
    "fastapi": "service",
    "starlette": "service",
    "uvicorn": "service",
    "fastapi_offline": "service",
    "prometheus_client": "service",
}


class MissingExtraError(QuycheError):
    """An optional dependency is not installed: the message names the extra to install."""

    default_code = "missing_extra"

    def __init__(self, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(f"thiếu gói {module}, cài / install: pip install 'quyche-rules[{extra}]'")


def missing_extra(exc: ModuleNotFoundError) -> MissingExtraError | None:
    """The ``MissingExtraError`` for a module an extra brings, else None (a real bug)."""
    top = (exc.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    return MissingExtraError(top, extra) if extra is not None else None
