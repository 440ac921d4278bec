"""Errors the library raises on purpose.

Every error names the place it is about (file, rule id, field) so that an operator of a
document-management system can fix the input without reading a traceback.
"""

from __future__ import annotations

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


class QuycheError(Exception):
    """Base of every error this library raises on purpose.

    The message is made one line and bounded here, once, so that no caller (CLI, service,
    log) can print a multi-line or unbounded error whatever the input was."""

    def __init__(self, message: str = "") -> None:
        super().__init__(one_line(str(message)))


class RulebookError(QuycheError):
    """A rule, party or source file is malformed or inconsistent."""

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
        super().__init__(f"{prefix}: {message}" if prefix else message)


class EventError(QuycheError):
    """An event given to the engine does not validate."""


class CalendarError(QuycheError):
    """A calendar computation was asked with bad input (negative n, not a date...)."""


class ScenarioError(QuycheError):
    """A scenario file is malformed or names what the rulebook does not have."""

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
        super().__init__(f"{prefix}: {message}" if prefix else message)


class UnknownPartyError(QuycheError, KeyError):
    """A party reference matches no id or name of the registry. Also a ``KeyError``, for
    the callers that caught that before it was a ``QuycheError``."""

    def __str__(self) -> str:  # KeyError's __str__ would repr the message
        return str(self.args[0]) if self.args else ""


class DatabaseError(QuycheError):
    """A database that cannot be named, reached or used (bad ``--db`` URL, missing driver)."""


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
}


class MissingExtraError(QuycheError):
    """An optional dependency is not installed: the message names the extra to install."""

    def __init__(self, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(f"thiếu gói {module}, cài / install: pip install 'quyche-rules[{extra}]'")


def missing_extra(exc: ModuleNotFoundError) -> MissingExtraError | None:
    """The ``MissingExtraError`` for a module an extra brings, else None (a real bug)."""
    top = (exc.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    return MissingExtraError(top, extra) if extra is not None else None
