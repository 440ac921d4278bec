"""Who inherits an open case whose party has ended: the profile's ``succeeded_by``.

A reorganisation ends bodies (a department merged into another, the district committees
of 30/6/2025) while their cases are still open. The case itself keeps its parties — it is
the duty the text gave on the day of the request — and the tracker says, next to it, which
party ended on which day and who took over its business, so a clerk knows whom to ask or
answer. Read from the engine's registry (the profile), on each read: a successor recorded
in the profile later applies to every case already recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import replace

from quyche_rules.model.parties import PartyRegistry
from quyche_rules.tracker.model import Act, Case, Ended, Heir, Succession, with_end


def ended_parties(registry: PartyRegistry) -> frozenset[str]:
    """The parties with an end date: when there is none, no case needs looking at."""
    return frozenset(p.id for p in registry if p.valid_to is not None)


def last_days(registry: PartyRegistry) -> dict[str, dt.date]:
    """Each ended party's last day (``valid_to``)."""
    return {p.id: p.valid_to for p in registry if p.valid_to is not None}


def heirs(registry: PartyRegistry, pid: str) -> tuple[Heir, ...]:
    """The bodies holding ``pid``'s business after it ended, each with the days it does:
    exactly the days ``inheritor`` names it (each step of the chain needs the previous
    body ended and the successor taken over, so a body holds it from the latest of those
    days to its own last day)."""
    out: list[Heir] = []
    p = registry.parties[pid]
    since: dt.date | None = None
    seen = {pid}
    while p.valid_to is not None:
        nxt = p.succeeded_by
        if nxt is None or nxt not in registry.parties or nxt in seen:
            break
        start = p.valid_to + dt.timedelta(days=1)
        if p.succeeded_on is not None:
            start = max(start, p.succeeded_on)
        since = start if since is None else max(since, start)
        p = registry.parties[nxt]
        seen.add(nxt)
        out.append((p.id, since, p.valid_to))
    return tuple(out)


def endings(registry: PartyRegistry) -> dict[str, Ended]:
    """Each ended party's last day and successors: what the fold reads of the profile
    (``model.fold``'s ``ends``, and ``with_ends`` on the tracker's reads)."""
    return {
        p.id: Ended(p.valid_to, heirs(registry, p.id)) for p in registry if p.valid_to is not None
    }


def with_ends(
    pairs: list[tuple[Case, list[Act]]], ends: Mapping[str, Ended]
) -> list[tuple[Case, list[Act]]]:
    """Each seed whose obligated body ended, with that body's last day
    (``Case.obligated_ended_on``) and successors (``Case.obligated_heirs``): the fold then
    never reads its silence past a due date after that day as consent, and applies a
    successor's answer to it (``model._lapse`` and ``model._applies``, where the readings
    are written). On reading, like the successions said: an end recorded in the profile
    later applies to every case already recorded."""
    if not ends:
        return pairs
    return [(with_end(seed, ends.get(seed.obligated)), acts) for seed, acts in pairs]


def inheritor(registry: PartyRegistry, pid: str, as_of: dt.date) -> str | None:
    """The body holding ``pid``'s business on ``as_of``: its successor, or that one's
    successor when it ended too (the profile's dates make the chain finite: each takes
    over after the previous one ended). None when the chain stops at an ended body."""
    p = registry.parties[pid]
    while p.valid_to is not None and p.valid_to < as_of:
        nxt = p.succeeded_by
        if nxt is None or nxt not in registry.parties:
            return None
        if p.succeeded_on is not None and p.succeeded_on > as_of:
            return None  # the successor has not taken over yet
        p = registry.parties[nxt]
    return p.id


def successions(case: Case, registry: PartyRegistry, as_of: dt.date) -> tuple[Succession, ...]:
    """The parties of ``case`` that ended before ``as_of``, with their successors."""
    out: list[Succession] = []
    roles = [(case.obligated, "obligated"), *((c, "counterparty") for c in case.counterparties)]
    for pid, role in roles:
        p = registry.parties.get(pid)
        if p is None or p.valid_to is None or p.valid_to >= as_of:
            continue
        out.append(
            Succession(
                party=pid,
                role=role,
                ended_on=p.valid_to,
                succeeded_by=p.succeeded_by,
                succeeded_on=p.succeeded_on,
                inheritor=inheritor(registry, pid, as_of),
            )
        )
    return tuple(out)


def with_successions(
    cases: Iterable[Case], registry: PartyRegistry, as_of: dt.date, ended: frozenset[str]
) -> list[Case]:
    """Each open case with its ended parties said (``Case.successions``); closed cases and
    cases of living parties unchanged."""
    out: list[Case] = []
    for c in cases:
        if c.is_open and (c.obligated in ended or not ended.isdisjoint(c.counterparties)):
            found = successions(c, registry, as_of)
            if found:
                c = replace(c, successions=found)
        out.append(c)
    return out
