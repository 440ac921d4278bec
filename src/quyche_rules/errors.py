"""Errors the library raises on purpose.

Every error names the place it is about (file, rule id, field) so that an operator of a
document-management system can fix the input without reading a traceback.
"""

from __future__ import annotations


class QuycheError(Exception):
    """Base of every error this library raises on purpose."""


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
