"""The whole enumeration of an engine's rulebook: every event type, every class, and the
obligations the engine gives for each class's representative event.

The enumeration date is one day on which the regulation applies and the most bodies of the
profile exist (a body that ended before it is represented by a live body of its group;
a group with no live body is named in ``skipped``, never dropped silently).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from quyche_rules.analysis.classes import EventClass, TypeEnumeration, enumerate_type
from quyche_rules.engine.backends import CompiledTrigger
from quyche_rules.engine.engine import Engine
from quyche_rules.errors import QuycheError
from quyche_rules.model.event_checks import parse_event
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.model.obligations import Obligation
from quyche_rules.model.parties import PartyRegistry
from quyche_rules.rulebook.loader import Rulebook

#: the enumeration date without a profile: a working Monday inside the regulation's life
DEFAULT_DATE = dt.date(2024, 3, 4)


@dataclass(frozen=True)
class ClassResult:
    """One class and what the engine answers for it (or the one-line refusal)."""

    cls: EventClass
    obligations: tuple[Obligation, ...]
    error: str | None = None


def enumeration_date(engine: Engine) -> dt.date:
    """The day the classes are dated: without a profile ``DEFAULT_DATE``; with one, the
    day in the regulation's life (from its signing, up to its end when the profile records
    one) on which the most of the profile's bodies exist."""
    if engine.profile is None:
        return DEFAULT_DATE
    signed = engine.profile.regulation.signed_on
    # a profile may record when the regulation ceased to apply there
    end: dt.date | None = getattr(engine.profile.regulation, "ended_on", None)
    start = max(signed, DEFAULT_DATE)
    if end is not None and start > end:
        start = signed
    bounds = {start}
    for p in engine.parties:
        for d in (p.valid_from, p.valid_to and p.valid_to + dt.timedelta(days=1)):
            if d is not None and d >= start and (end is None or d <= end):
                bounds.add(d)

    def alive(day: dt.date) -> int:
        return sum(
            1
            for p in engine.parties
            if not ((p.valid_from and day < p.valid_from) or (p.valid_to and day > p.valid_to))
        )

    return max(sorted(bounds), key=alive)


def enumerate_all(
    sources: Sequence[tuple[Rulebook, list[CompiledTrigger]]],
    registry: PartyRegistry,
    on: dt.date,
) -> list[TypeEnumeration]:
    """Every event type's classes under the union of the sources' triggers (one source for
    a check, the old and the new rulebook for a diff)."""
    return [enumerate_type(sources, etype, registry, on) for etype in EVENT_TYPES]


def parse_all(engine: Engine, classes: Iterable[EventClass]) -> list[Any]:
    """Each class's event validated once (a model), or the one-line refusal (a string):
    what ``answer`` and the backends' comparison reuse instead of validating again."""
    out: list[Any] = []
    for c in classes:
        try:
            out.append(parse_event(c.event, registry=engine.parties))
        except QuycheError as exc:
            out.append(str(exc))
    return out


def answer(
    engine: Engine, classes: Sequence[EventClass], parsed: Sequence[Any] | None = None
) -> list[ClassResult]:
    """The engine's obligations for every class; a refused event is kept with its reason.
    ``parsed`` (from ``parse_all`` on an engine with the same bodies) saves validating
    each event again; the engine still runs its checks on the model."""
    out = []
    for i, c in enumerate(classes):
        given: Any = c.event if parsed is None else parsed[i]
        if isinstance(given, str):
            out.append(ClassResult(c, (), given))
            continue
        try:
            obs = tuple(engine.who_must_be_notified(given, merge=False))  # rules, not duties
        except QuycheError as exc:
            out.append(ClassResult(c, (), str(exc)))
            continue
        out.append(ClassResult(c, obs))
    return out
