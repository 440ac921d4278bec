"""``rules diff``: the exact impact of an edit, class by class.

Both rulebooks are enumerated together (the atoms of both), so a class means the same
events on either side; for each class the obligations of the old and of the new rulebook
are compared by what identifies a duty (``check.brief``: rule, basis, parties, duty,
form, due date, what silence means). Only the classes whose obligations change are listed:
two identical rulebooks give an empty diff.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from quyche_rules.analysis.check import brief
from quyche_rules.analysis.classes import EventClass, TypeEnumeration, merge
from quyche_rules.analysis.enumeration import (
    answer,
    enumerate_all,
    enumeration_date,
    parse_all,
)
from quyche_rules.engine.engine import Engine


@dataclass(frozen=True)
class ClassChange:
    cls: EventClass
    appeared: tuple[dict[str, Any], ...]
    disappeared: tuple[dict[str, Any], ...]
    old_error: str | None = None
    new_error: str | None = None


@dataclass(frozen=True)
class ChangeGroup:
    """Changed classes of one type with the same change, merged (``classes.merge``)."""

    event_type: str
    when: tuple[tuple[str, tuple[str, ...]], ...]
    classes: int
    appeared: tuple[dict[str, Any], ...]
    disappeared: tuple[dict[str, Any], ...]
    old_error: str | None
    new_error: str | None


@dataclass
class DiffReport:
    profile: str | None
    date: dt.date
    types: list[TypeEnumeration]
    changes: list[ClassChange]
    #: event types whose rules, bodies and calendar are equal on both sides: their
    #: obligations are equal by construction, so their classes were not asked again
    unchanged_types: list[str] = field(default_factory=list)
    groups: list[ChangeGroup] = field(default_factory=list)

    @property
    def classes(self) -> int:
        return sum(len(t.classes) for t in self.types)


def _key(ob: dict[str, Any]) -> str:
    return json.dumps(ob, sort_keys=True, ensure_ascii=False)


def _same_bodies_and_calendar(old: Engine, new: Engine) -> bool:
    if list(old.parties) != list(new.parties):
        return False
    a, b = old.calendar.path, new.calendar.path
    return a == b or a.read_bytes() == b.read_bytes()


def _same_rules_for(old: Engine, new: Engine, event_type: str) -> bool:
    """Whether the two engines answer every event of the type alike: the same compiled
    triggers (conditions after widening, in order) of the same rules (quote, parties,
    duty, form, deadline)."""
    a = [t for t in old.triggers if t.event_type == event_type]
    b = [t for t in new.triggers if t.event_type == event_type]
    if a != b:
        return False
    return all(old.rulebook.rules[t.rule_id] == new.rulebook.rules[t.rule_id] for t in a)


def diff(old: Engine, new: Engine, *, skip_unchanged: bool = True) -> DiffReport:
    """Every class whose obligations differ between the two engines (same profile).
    ``skip_unchanged=False`` asks every class again, even of the types whose rules,
    bodies and calendar are equal (the benchmark compares the two)."""
    on = enumeration_date(new)
    types = enumerate_all(
        [(old.rulebook, old.triggers), (new.rulebook, new.triggers)], new.parties, on
    )
    same_env = _same_bodies_and_calendar(old, new)
    unchanged = [
        t.event_type
        for t in types
        if skip_unchanged and same_env and _same_rules_for(old, new, t.event_type)
    ]
    classes = [c for t in types if t.event_type not in unchanged for c in t.classes]
    parsed = parse_all(new, classes) if same_env else None
    before = answer(old, classes, parsed)
    after = answer(new, classes, parsed)
    changes: list[ClassChange] = []
    for b, a in zip(before, after, strict=True):
        olds = {_key(x): x for x in map(brief, b.obligations)}
        news = {_key(x): x for x in map(brief, a.obligations)}
        gone = tuple(olds[k] for k in olds if k not in news)
        came = tuple(news[k] for k in news if k not in olds)
        if gone or came or b.error != a.error:
            changes.append(ClassChange(a.cls, came, gone, b.error, a.error))
    profile = new.profile.file if new.profile is not None else None
    return DiffReport(profile, on, types, changes, unchanged, groups(types, changes))


def groups(types: list[TypeEnumeration], changes: list[ClassChange]) -> list[ChangeGroup]:
    """The changed classes as readable groups: per type and per identical change."""
    out: list[ChangeGroup] = []
    for t in types:
        same: dict[str, list[ClassChange]] = {}
        for c in changes:
            if c.cls.event_type == t.event_type:
                what = [list(map(_key, c.appeared)), list(map(_key, c.disappeared))]
                same.setdefault(json.dumps([*what, c.old_error, c.new_error]), []).append(c)
        for cs in same.values():
            first = cs[0]
            for when, n in merge(t, [c.cls for c in cs]):
                out.append(
                    ChangeGroup(
                        t.event_type,
                        when,
                        n,
                        first.appeared,
                        first.disappeared,
                        first.old_error,
                        first.new_error,
                    )
                )
    return out


def to_json(report: DiffReport) -> dict[str, Any]:
    """The diff as ``rules diff --json`` prints it (schema: ``DIFF_SCHEMA``)."""
    return {
        "profile": report.profile,
        "date": report.date.isoformat(),
        "classes": report.classes,
        "unchanged_types": report.unchanged_types,
        "groups": [
            {
                "event_type": g.event_type,
                "when": {f: list(v) for f, v in g.when},
                "classes": g.classes,
                "appeared": list(g.appeared),
                "disappeared": list(g.disappeared),
                "old_error": g.old_error,
                "new_error": g.new_error,
            }
            for g in report.groups
        ],
        "changed": [
            {
                "class": c.cls.key,
                "event_type": c.cls.event_type,
                "values": c.cls.describe(),
                "event": c.cls.event,
                "appeared": list(c.appeared),
                "disappeared": list(c.disappeared),
                "old_error": c.old_error,
                "new_error": c.new_error,
            }
            for c in report.changes
        ],
    }
