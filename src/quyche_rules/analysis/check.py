"""``rules check``: every class's obligations, and what is wrong with them.

* **Duplicates** — two obligations of one class that are the same duty: same basis,
  obligated body, counterparties, duty and document (within a class the document is the
  event's own, so the key is the other four). A clerk would get one letter to write twice.
* **Conflicts** — what the vocabulary itself says cannot hold together for one event:
  a body chairing a meeting or procedure while it is only invited to it
  (``chair_and_invited``), or two bodies, neither acting for the other, each chairing the
  one meeting or procedure the event is about (``two_chairs``).
* **Silent classes** — classes for which no rule fires, merged into readable groups:
  classes that differ in one field only are one group, and a field whose every value is
  in the group reads "any" (so what is left names the fields that make them silent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from quyche_rules.analysis.classes import EventClass, TypeEnumeration, merge
from quyche_rules.analysis.enumeration import (
    ClassResult,
    answer,
    enumerate_all,
    enumeration_date,
)
from quyche_rules.analysis.readings import Reading, load_readings
from quyche_rules.engine.engine import Engine
from quyche_rules.model.event_checks import parse_event
from quyche_rules.model.obligations import DutyKey, Obligation, duty_key
from quyche_rules.model.parties import PartyRegistry
from quyche_rules.model.vocabulary import Duty
from quyche_rules.rulebook.conditions import All, Condition, describe, evaluate

#: a rule whose conditions hold but that binds nobody for the class
NO_ONE = "khớp nhưng không ràng buộc ai / matches but binds no one"
_CHAIRS = (Duty.CHAIR_MEETING, Duty.CHAIR_PROCESS)
_INVITES = (Duty.INVITE, Duty.INVITE_OR_NOTIFY)


@dataclass(frozen=True)
class Duplicate:
    cls: EventClass
    key: DutyKey
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class Conflict:
    cls: EventClass
    kind: str
    parties: tuple[str, ...]
    rule_ids: tuple[str, ...]
    reading_vi: str
    reading_en: str


@dataclass(frozen=True)
class SilentGroup:
    """Silent classes of one type: per field, the value labels they take (``*``: any),
    and why, read on the group's first class: per rule listening to the type, the
    conditions (as written) its events do not meet, or, for a rule whose conditions are
    met, that it binds no one there (a body owes itself nothing)."""

    event_type: str
    when: tuple[tuple[str, tuple[str, ...]], ...]
    classes: int
    unmet: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: why the text is silent there (``rules/silent-readings.yaml``), and how many of the
    #: group's classes no reading covers (0: every class is read)
    readings: tuple[Reading, ...] = ()
    unread: int = 0


@dataclass
class CheckReport:
    profile: str | None
    date: dt.date
    types: list[TypeEnumeration]
    results: list[ClassResult]
    duplicates: list[Duplicate] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    silent: list[SilentGroup] = field(default_factory=list)

    @property
    def refused(self) -> list[ClassResult]:
        return [r for r in self.results if r.error is not None]

    @property
    def ok(self) -> bool:
        return not self.duplicates and not self.conflicts and not self.refused


def check(engine: Engine) -> CheckReport:
    """Enumerate the engine's rulebook (with its profile's bodies) and check every class."""
    on = enumeration_date(engine)
    types = enumerate_all([(engine.rulebook, engine.triggers)], engine.parties, on)
    results = answer(engine, [c for t in types for c in t.classes])
    report = CheckReport(
        engine.profile.file if engine.profile is not None else None, on, types, results
    )
    for r in results:
        report.duplicates.extend(duplicates(r))
        report.conflicts.extend(conflicts(r, engine.parties))
    report.silent = silent_groups(types, results, engine)
    return report


def duplicates(r: ClassResult) -> list[Duplicate]:
    seen: dict[DutyKey, list[str]] = {}
    for ob in r.obligations:
        seen.setdefault(duty_key(ob), []).append(ob.rule_id)
    return [Duplicate(r.cls, k, tuple(ids)) for k, ids in seen.items() if len(ids) > 1]


def conflicts(r: ClassResult, registry: PartyRegistry) -> list[Conflict]:
    out: list[Conflict] = []
    chairs = [ob for ob in r.obligations if ob.duty in _CHAIRS]
    invited = {
        (c.id, ob.rule_id) for ob in r.obligations if ob.duty in _INVITES for c in ob.counterparties
    }
    for ch in chairs:
        for pid, rid in sorted(invited):
            if pid == ch.obligated.id:
                out.append(
                    Conflict(
                        r.cls,
                        "chair_and_invited",
                        (pid,),
                        (ch.rule_id, rid),
                        f"{pid} vừa chủ trì ({ch.rule_id}) vừa chỉ được mời dự ({rid})",
                        f"{pid} both chairs ({ch.rule_id}) and is only invited ({rid})",
                    )
                )
    for i, a in enumerate(chairs):
        for b in chairs[i + 1 :]:
            x, y = a.obligated.id, b.obligated.id
            if a.duty != b.duty or x == y or x in registry.up(y) or y in registry.up(x):
                continue
            out.append(
                Conflict(
                    r.cls,
                    "two_chairs",
                    (x, y),
                    (a.rule_id, b.rule_id),
                    f"hai cơ quan cùng chủ trì một việc: {x} ({a.rule_id}), {y} ({b.rule_id})",
                    f"two bodies chair one matter: {x} ({a.rule_id}), {y} ({b.rule_id})",
                )
            )
    return out


def silent_groups(
    types: Sequence[TypeEnumeration],
    results: Sequence[ClassResult],
    engine: Engine | None = None,
) -> list[SilentGroup]:
    """The silent classes of each type, merged into as few groups as one field at a time
    gives (``classes.merge``)."""
    silent = {id(r.cls) for r in results if r.error is None and not r.obligations}
    book = engine.rulebook.directory if engine is not None else None
    readings = load_readings(book)
    out: list[SilentGroup] = []
    for t in types:
        chosen = [c for c in t.classes if id(c) in silent]
        for when, n in merge(t, chosen):
            inside = [c for c in chosen if _inside(c, when)]
            unmet = why_silent(engine, inside[0]) if engine is not None else ()
            read, unread = readings.of(inside)
            out.append(SilentGroup(t.event_type, when, n, unmet, read, unread))
    return out


def _inside(c: EventClass, when: tuple[tuple[str, tuple[str, ...]], ...]) -> bool:
    labels = {v.field: v.label for v in c.values}
    return all(labels[f] in vals for f, vals in when)


def why_silent(engine: Engine, cls: EventClass) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Per rule listening to the class's type, what keeps it from giving a duty: the
    written conditions the event does not meet (the first trigger of the rule that names
    the type), or ``binds no one`` when they are met."""
    fact = engine.fact(parse_event(cls.event, registry=engine.parties))
    out: list[tuple[str, tuple[str, ...]]] = []
    for t in engine.triggers:
        if t.event_type != cls.event_type or any(r == t.rule_id for r, _ in out):
            continue
        written = engine.rulebook.rules[t.rule_id].event_triggers[t.index].condition
        failing = _failing(written, t.condition, fact) if written is not None else []
        out.append((t.rule_id, tuple(failing) or (NO_ONE,)))
    return tuple(out)


def _failing(written: Condition, compiled: Condition | None, fact: dict[str, Any]) -> list[str]:
    """The written conditions that fail, found by walking the written tree and its
    widened twin together (widening keeps ``all``/``any`` and replaces leaves only)."""
    assert compiled is not None
    if isinstance(written, All) and isinstance(compiled, All):
        return [
            x
            for w, c in zip(written.items, compiled.items, strict=True)
            for x in _failing(w, c, fact)
        ]
    if evaluate(compiled, fact):
        return []
    return [describe(written)]


def to_json(report: CheckReport, *, with_classes: bool = True) -> dict[str, Any]:
    """The report as ``rules check --json`` prints it (schema: ``CHECK_SCHEMA``)."""
    data: dict[str, Any] = {
        "profile": report.profile,
        "date": report.date.isoformat(),
        "ok": report.ok,
        "types": [
            {
                "event_type": t.event_type,
                "fields": list(t.fields),
                "classes": len(t.classes),
                "product": t.product,
                "partitioned": t.partitioned,
                "groups": [list(g) for g in t.groups],
                "skipped": t.skipped,
            }
            for t in report.types
        ],
        "duplicates": [
            {
                "class": d.cls.key,
                "event": d.cls.event,
                "basis": d.key[0],
                "obligated": d.key[1],
                "counterparties": sorted(d.key[2]),
                "duty": d.key[3],
                "rule_ids": list(d.rule_ids),
            }
            for d in report.duplicates
        ],
        "conflicts": [
            {
                "class": c.cls.key,
                "event": c.cls.event,
                "kind": c.kind,
                "parties": list(c.parties),
                "rule_ids": list(c.rule_ids),
                "reading_vi": c.reading_vi,
                "reading_en": c.reading_en,
            }
            for c in report.conflicts
        ],
        "silent": [
            {
                "event_type": g.event_type,
                "when": {f: list(v) for f, v in g.when},
                "classes": g.classes,
                "unmet": {rid: list(v) for rid, v in g.unmet},
                "readings": [{"id": r.id, "vi": r.vi, "en": r.en} for r in g.readings],
                "unread": g.unread,
            }
            for g in report.silent
        ],
        "refused": [{"class": r.cls.key, "error": r.error} for r in report.refused],
    }
    if with_classes:
        data["classes"] = [
            {
                "class": r.cls.key,
                "event_type": r.cls.event_type,
                "values": r.cls.describe(),
                "event": r.cls.event,
                "obligations": [brief(ob) for ob in r.obligations],
            }
            for r in report.results
            if r.error is None
        ]
    return data


def brief(ob: Obligation) -> dict[str, Any]:
    """What identifies an obligation in a check or a diff (the full form is ``notify``'s)."""
    return {
        "rule_id": ob.rule_id,
        "basis": ob.basis.label,
        "obligated": ob.obligated.id,
        "counterparties": [c.id for c in ob.counterparties],
        "duty": ob.duty.value,
        "form": ob.form.value,
        "due": ob.due.isoformat() if ob.due else None,
        "silence_means": ob.silence_means,
    }
