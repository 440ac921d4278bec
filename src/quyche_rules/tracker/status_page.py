"""One page of one group of a body's status, and the counts of every group, computed by the
database from the projection instead of folding every case in memory.

A body with 22,000 cases asked for its first 50 ``owes`` used to pay for folding all
22,000 (``model.fold_case`` over ``store.facts``) to throw 21,950 away. Most cases need no
fold at all: their state as of a date follows from their facts and from *which kinds* of
acts reached them, not from the order of those acts. Each case carries the first day an
act of each kind reached it (its marks, ``tracker.marks``), so the database classifies
each case of the body opened by ``as_of`` by comparing dates:

* **no act by** ``as_of`` (``settled_on`` later, or none): the case is where time alone
  put it (``model._lapse``): awaiting up to its due date; past it, consent by silence when
  its rule reads silence so and the due date is not provisional, otherwise overdue;
* **closed by** ``as_of`` (an answer or a withdrawal by the obligated body), and nothing
  else that applies: answered or withdrawn — which came first decides which, but either
  way the case is in no group of the status;
* **folded from a day by** ``as_of`` (a disagreement, a receipt correction, an extension
  by the obligated body — their effect depends on order and party lists): *folded* by
  ``model.fold_case``, the reference, then grouped by ``model.status``. Few cases are in
  this class, and those are exactly the ones whose order of events matters. So are the
  cases whose provisional due date now counts differently (``rederive``): which ones is
  the caller's ``recount`` (the tracker remembers the answer for each case).

For the cases the body is obliged in, the first class is counted without reading a case:
each group is a range of due dates among the cases no act ever settled, and
``tracker_due_counts`` holds how many there are per due date (``_ranges``); the few such
sums miscount (settled only after ``as_of``, not yet opened) are counted one by one. The
cases where it is a counterparty (few for most bodies) are classified case by case. The
page is the keyset page of the first class (by due date, then id, walking the marks'
indexes) merged with the folded cases of the group, and the page's cases are then folded
with their full history (``fold_case``), so each item is the very ``Case`` the whole
status lists. ``tests/tracker/test_status_page.py`` compares both answers on a varied log.

A request costs four statements, each gathering what it can (``_first_look``,
``_Batch``): under load a round trip to the database costs more than these statements.

Everything is read in one snapshot (SQLite's read transaction; PostgreSQL's
``REPEATABLE READ``), so the counts and the page agree under concurrent records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quyche_rules.db.tracker_tables import case_facts, case_parties, due_counts
from quyche_rules.tracker.marks import heir_acted
from quyche_rules.tracker.model import Act, Case, fold_case, status
from quyche_rules.tracker.store import Store

GROUPS = ("owes", "due_soon", "overdue", "owed_to", "consent", "escalated")

Key = tuple[dt.date, str]
"""Where a page stands: (due date, case id) of its last case."""

Refresh = Callable[[list[tuple[Case, list[Act]]]], list[tuple[Case, list[Act]]]]
Recount = Callable[[Connection, Sequence[str]], set[str]]
"""Which of these cases (all with a provisional due date) ``Refresh`` would change."""

#: at most this many changed provisional cases are left out of the database's count by
#: id; beyond, every provisional case is folded (the answer is the same, only slower)
_MAX_EXCLUDED = 500


@dataclass(frozen=True)
class StatusPage:
    party: str | None
    as_of: dt.date
    group: str
    counts: dict[str, int]
    cases: tuple[Case, ...]
    next_after: Key | None  # the last case's key when more follow, else None


@contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    conn = store.engine.connect().execution_options(read_only=True)
    if store.engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    with conn, conn.begin():
        yield conn


@dataclass(frozen=True)
class _Side:
    """A part of a body's cases, told apart so each part is one walk of an index: those
    it is obliged in (``obligated = party``: the index by obligated body and due date),
    and those it is a counterparty to (``case_parties`` by party and role)."""

    where: Any  # which cases, opened by as_of
    groups: dict[str, Any]  # each group's condition, for the untouched cases
    #: the body's own obliged cases, counted as ranges of the marks' indexes (``_ranges``)
    ranged: bool = False


def _sides(party: str | None, as_of: dt.date, soon_days: int, *, owed: bool) -> list[_Side]:
    f, cp = case_facts, case_parties
    opened = f.c.opened_on <= as_of
    if party is None:
        return [_Side(opened, _groups(as_of, soon_days, obliged=sa.true(), owed=sa.true()))]
    obliged = _Side(
        sa.and_(f.c.obligated == party, opened),
        _groups(as_of, soon_days, obliged=sa.true(), owed=sa.false()),
        ranged=True,
    )
    if not owed:
        return [obliged]
    # the cases it is a counterparty to, read from the index by party and role (few for
    # most bodies, so the database starts there rather than from the body's obliged
    # cases), all in one walk: what it is owed; and, when it is not also the obligated
    # body (whose side counted it), the consent by silence. The Party Committee of the
    # Bloc is owed nearly every case of the province: each walk of its 22,000 cases costs
    # a look-up of each, so there is one per statement, not one per kind of case.
    owed_to = sa.select(cp.c.case_id).where(cp.c.party == party, cp.c.role == "counterparty")
    groups = _groups(as_of, soon_days, obliged=sa.false(), owed=sa.true())
    return [
        obliged,
        _Side(
            sa.and_(f.c.case_id.in_(owed_to), opened),
            {
                **dict.fromkeys(GROUPS, sa.false()),
                "owed_to": groups["owed_to"],
                "consent": sa.and_(groups["consent"], f.c.obligated != party),
            },
        ),
    ]


def _groups(as_of: dt.date, soon_days: int, *, obliged: Any, owed: Any) -> dict[str, Any]:
    """Each group's condition on a case no act has touched: where time alone put it."""
    f = case_facts
    awaiting = f.c.due >= as_of
    lapsed = f.c.due < as_of
    consent_rule = sa.and_(f.c.silence_means == "consent", f.c.due_provisional == sa.false())
    consent = sa.and_(lapsed, consent_rule)
    overdue = sa.and_(lapsed, sa.not_(consent_rule))
    is_open = sa.or_(awaiting, overdue)
    soon = as_of + dt.timedelta(days=soon_days)
    return {
        "owes": sa.and_(is_open, obliged),
        "due_soon": sa.and_(awaiting, obliged, f.c.due <= soon),
        "overdue": sa.and_(overdue, obliged),
        "owed_to": sa.and_(is_open, owed),
        "consent": consent,
        "escalated": sa.false(),
    }


def _key(c: Case) -> Key:
    return (c.due, c.id)


def status_page(
    store: Store,
    party: str | None,
    as_of: dt.date,
    *,
    group: str,
    limit: int,
    after: Key | None = None,
    soon_days: int = 3,
    refresh: Refresh | None = None,
    recount: Recount | None = None,
    ends: Mapping[str, dt.date] | None = None,
) -> StatusPage:
    """The counts of every group and the page of ``group`` after ``after`` (at most
    ``limit`` cases, by due date then id): the same as ``model.status`` over every
    folded case, cut the same way. ``refresh``: what the tracker does to the facts it
    reads before folding them (provisional due dates counted again, ``rederive``); the
    cases with a provisional due date that ``recount`` says it changes are then folded in
    memory, as their stored due date is no longer the one that counts (without
    ``recount``: every case with a provisional due date). ``ends``: the last day of each
    body the profile ends (``succession.last_days``): a case such a body owes, due after
    that day, is folded in memory too (its silence is not consent, which only the fold
    says: ``model._lapse``)."""
    if group not in GROUPS:
        raise ValueError(f"group: {group!r} is not one of {', '.join(GROUPS)}")
    f = case_facts
    with _snapshot(store) as conn:
        sides = _sides(party, as_of, soon_days, owed=True)
        owed, todo_first, prov = _first_look(
            conn, party, sides, as_of, provisional=refresh is not None
        )
        if not owed:  # the sides where it is a counterparty are empty: not asked
            sides = [s for s in sides if s.ranged]
        # the cases time alone would place, but which are folded: a provisional due date
        # that counts differently now
        moved: Any = None
        if refresh is not None:
            changed = set(prov) if recount is None else recount(conn, prov)
            if len(changed) > _MAX_EXCLUDED:
                changed = set(prov)
                moved = f.c.due_provisional == sa.true()
            elif changed:
                moved = f.c.case_id.in_(sorted(changed))
            todo_first += [c for c in prov if c in changed]
        if ends:
            # owed by a body that ended before the due date: folded, never counted by time
            after_end = _after_end(ends)
            mine = sa.or_(*(f.c.obligated == party if s.ranged else s.where for s in sides))
            # ... and one a successor acted on, which only the fold applies (``marks``)
            ended, heirs = _ended_folded(conn, mine, as_of, after_end, ends, set(todo_first))
            todo_first += ended
            moved = after_end if moved is None else sa.or_(moved, after_end)
            if heirs:
                moved = sa.or_(moved, f.c.case_id.in_(heirs))
        page = _Page(group, limit, after)
        batch = _Batch()
        for side in sides:
            if side.ranged:
                _ranges(batch, side, party, as_of, soon_days, moved, page)
                continue
            where = sa.and_(side.where, _unsettled(as_of), _not(moved))
            batch.add(side, where)
            batch.keys.append(page.keys(sa.and_(where, side.groups[group])))
        counts = batch.counts(conn)
        keys = batch.listed(conn)[: limit + 1]
        # the facts of the folded cases and of those the page may list, read at once
        pairs = _facts(store, conn, [*todo_first, *(cid for _, cid in keys)], as_of, refresh)
        first = set(todo_first)
        built = {c.id: c for c in _fold_pairs(pairs, as_of)}
        folded = [c for cid, c in built.items() if cid in first]
        listed: list[tuple[Key, Case | None]] = [(k, None) for k in keys]
        if folded:
            st = status(folded, party, as_of, soon_days=soon_days)
            for g in GROUPS:
                counts[g] += len(getattr(st, g))
            listed += [(_key(c), c) for c in getattr(st, group) if after is None or _key(c) > after]
        listed.sort(key=lambda kc: kc[0])
        listed = listed[: limit + 1]
        more = len(listed) > limit
        listed = listed[:limit]
    cases = tuple(c if c is not None else built[key[1]] for key, c in listed)
    return StatusPage(
        party=party,
        as_of=as_of,
        group=group,
        counts=counts,
        cases=cases,
        next_after=_key(cases[-1]) if more and cases else None,
    )


def _first_look(
    conn: Connection, party: str | None, sides: list[_Side], as_of: dt.date, *, provisional: bool
) -> tuple[bool, list[str], list[str]]:
    """In one statement: whether ``party`` is a counterparty to any case, the cases of
    every side folded from a day by ``as_of`` (few: an index of the marks), and — when
    ``provisional`` — the other cases with a provisional due date (few too)."""
    f, cp = case_facts, case_parties
    # whether it is owed anything: probed once (a CTE), in the index's order (PostgreSQL
    # would walk the table for a party it expects often, and drops the order of an EXISTS
    # subquery), so the parts where it is a counterparty cost nothing when it is none's
    probe = (
        sa.select(cp.c.party)
        .where(cp.c.party == party, cp.c.role == "counterparty")
        .order_by(cp.c.party, cp.c.role, cp.c.case_id)
        .limit(1)
        .cte("owed_any")
    )
    owed = sa.exists(sa.select(probe.c.party))
    parts = []
    folded_by = f.c.folded_from <= as_of
    for side in sides:
        if not side.ranged:
            # the cases it is owed (or every body's): one walk gives both kinds, a case
            # folded from a day by as_of being folded whatever its due date
            gate = sa.true() if party is None else owed
            k = sa.case((folded_by, "f"), else_="p") if provisional else sa.literal("f")
            which = (
                sa.or_(folded_by, f.c.due_provisional == sa.true()) if provisional else folded_by
            )
            parts.append(
                sa.select(k.label("k"), f.c.case_id.label("id")).where(gate, side.where, which)
            )
            continue
        got = sa.select(sa.literal("f").label("k"), f.c.case_id.label("id"))
        # its own: folded from a day by as_of (opened by then: the marks are never earlier
        # than the opening), by the index of the marks alone
        mine = f.c.obligated == party
        parts.append(got.where(mine, folded_by))
        if provisional:
            got = sa.select(sa.literal("p").label("k"), f.c.case_id.label("id"))
            # all of them (the partial index alone): one not yet opened on as_of is in no
            # count, and its facts are not read as of that day
            parts.append(got.where(mine, f.c.due_provisional == sa.true()))
    if party is not None:
        parts.append(sa.select(sa.literal("o").label("k"), sa.literal("").label("id")).where(owed))
    found: dict[str, dict[str, None]] = {"f": {}, "p": {}, "o": {}}
    for k, cid in conn.execute(sa.union_all(*parts)):
        found[k][cid] = None
    folded = list(found["f"])
    return (
        party is None or bool(found["o"]),
        folded,
        [c for c in found["p"] if c not in found["f"]],
    )


@dataclass
class _Batch:
    """The counts and the page keys a status needs, gathered to be asked in one statement
    each: under load every round trip to the database costs more than these small
    statements do."""

    #: statements of one row, each column weighing on some groups: (group, +1 or -1)
    sums: list[tuple[Any, list[list[tuple[str, int]]]]] = field(default_factory=list)
    keys: list[Any] = field(default_factory=list)  # (due, case_id) statements, ordered

    def add(self, side: _Side, where: Any, sign: int = 1) -> None:
        """Add (or with ``sign`` -1, take away) the groups of the cases meeting ``where``,
        each case's group evaluated by the database (``side.groups``)."""
        q = sa.select(
            *(sa.func.coalesce(sa.func.sum(sa.case((c, 1), else_=0)), 0).label(f"n{j}")
              for j, c in enumerate(side.groups.values()))
        ).where(where)  # fmt: skip
        self.sums.append((q, [[(g, sign)] for g in GROUPS]))

    def counts(self, conn: Connection) -> dict[str, int]:
        counts = dict.fromkeys(GROUPS, 0)
        if not self.sums:
            return counts
        subs = [q.subquery(f"c{i}") for i, (q, _) in enumerate(self.sums)]
        joined = subs[0]
        for sub in subs[1:]:
            joined = joined.join(sub, sa.true())
        row = conn.execute(sa.select(*(c for sub in subs for c in sub.c)).select_from(joined))
        weights = [w for _, ws in self.sums for w in ws]
        for n, weighs in zip(row.one(), weights, strict=True):
            for g, sign in weighs:
                counts[g] += sign * int(n)
        return counts

    def listed(self, conn: Connection) -> list[Key]:
        """Every statement's keys, merged in (due date, id) order."""
        if not self.keys:
            return []
        subs = [q.subquery(f"k{i}") for i, q in enumerate(self.keys)]
        q = sa.union_all(*(sa.select(sub.c.due, sub.c.case_id) for sub in subs))
        return sorted((due, cid) for due, cid in conn.execute(q))


def _not(moved: Any) -> Any:
    """Not one of the cases folded instead of counted (``moved``: a condition, or None)."""
    return sa.true() if moved is None else sa.not_(moved)


def _unsettled(as_of: dt.date) -> Any:
    """No act settled the case by ``as_of``: time alone placed it (``marks``)."""
    return sa.or_(case_facts.c.settled_on.is_(None), case_facts.c.settled_on > as_of)


@dataclass(frozen=True)
class _Page:
    """Which keys a page asks for: of ``group``, after ``after``, at most ``limit`` + 1
    (the one more tells that more follow)."""

    group: str
    limit: int
    after: Key | None

    def keys(self, where: Any) -> Any:
        """The statement of the first keys of the cases meeting ``where``, in (due date,
        id) order."""
        f = case_facts
        q = sa.select(f.c.due, f.c.case_id).where(where)
        if self.after is not None:
            due, cid = self.after
            q = q.where(f.c.due >= due, sa.tuple_(f.c.due, f.c.case_id) > sa.tuple_(due, cid))
        return q.order_by(f.c.due, f.c.case_id).limit(self.limit + 1)


def _ranges(
    batch: _Batch,
    side: _Side,
    party: str | None,
    as_of: dt.date,
    soon_days: int,
    moved: Any | None,
    page: _Page,
) -> None:
    """The counts and page keys of the cases ``party`` is obliged in, without reading
    each case.

    Among the cases no act ever settled (``settled_on`` None), each group is a range of
    due dates: awaiting and due soon over both values of ``lapses_to_consent``, overdue and
    consent within one. The counts sum ``tracker_due_counts`` over those ranges (a row per
    due date, kept by ``marks``); the page walks the same ranges of the marks' indexes.
    Then the few the ranges miscount are evaluated one by one: added, those settled only
    after ``as_of`` (for a recent date: the acts of the last days); taken away, those not
    yet opened on ``as_of`` (all in the awaiting range: ``marks`` keeps ``opened_on <=
    due`` for every case counted by time) and those folded instead (``moved``)."""
    f = case_facts
    soon = as_of + dt.timedelta(days=soon_days)
    clear = sa.and_(f.c.obligated == party, f.c.settled_on.is_(None))
    # both values named, so the range is one walk of the index per value
    awaiting = sa.and_(clear, f.c.lapses_to_consent.in_([False, True]), f.c.due >= as_of)
    ranges = {
        "awaiting": awaiting,
        "due_soon": sa.and_(awaiting, f.c.due <= soon),
        "overdue": sa.and_(clear, f.c.lapses_to_consent == sa.false(), f.c.due < as_of),
        "consent": sa.and_(clear, f.c.lapses_to_consent == sa.true(), f.c.due < as_of),
    }
    dc = due_counts
    sums = {
        "awaiting": dc.c.due >= as_of,
        "due_soon": sa.and_(dc.c.due >= as_of, dc.c.due <= soon),
        "overdue": sa.and_(dc.c.lapses_to_consent == sa.false(), dc.c.due < as_of),
        "consent": sa.and_(dc.c.lapses_to_consent == sa.true(), dc.c.due < as_of),
    }
    total = sa.func.coalesce(sa.func.sum(dc.c.n), 0)
    each = [
        sa.select(total).where(dc.c.obligated == party, c).scalar_subquery().label(f"r{j}")
        for j, c in enumerate(sums.values())
    ]
    owes, due_soon, overdue, consent = ("owes", 1), ("due_soon", 1), ("overdue", 1), ("consent", 1)
    batch.sums.append((sa.select(*each), [[owes], [due_soon], [owes, overdue], [consent]]))
    opened = f.c.opened_on <= as_of
    later = sa.and_(f.c.obligated == party, f.c.settled_on > as_of, opened, _not(moved))
    batch.add(side, later)
    batch.add(side, sa.and_(awaiting, f.c.opened_on > as_of), sign=-1)
    if moved is not None:
        batch.add(side, sa.and_(clear, opened, moved), sign=-1)
    listing = {
        "owes": ("awaiting", "overdue"),
        "due_soon": ("due_soon",),
        "overdue": ("overdue",),
        "consent": ("consent",),
    }
    for r in listing.get(page.group, ()):
        batch.keys.append(page.keys(sa.and_(ranges[r], opened, _not(moved))))
    batch.keys.append(page.keys(sa.and_(later, side.groups[page.group])))


def _after_end(ends: Mapping[str, dt.date]) -> Any:
    """A case owed by a body that ended before its (stored) due date. An extension may
    move a due date past the end of a body whose stored one was not: such a case has an
    extension act, and is folded anyway (``marks``: ``folded_from``)."""
    f = case_facts
    if not ends:
        return sa.false()
    return sa.or_(*(sa.and_(f.c.obligated == pid, f.c.due > day) for pid, day in ends.items()))


def _ended_folded(
    conn: Connection,
    mine: Any,
    as_of: dt.date,
    after_end: Any,
    ends: Mapping[str, dt.date],
    known: set[str],
) -> tuple[list[str], list[str]]:
    """In one statement: the cases of ``mine`` opened by ``as_of`` that are folded because
    of an ended obligated body (few: only the bodies a profile ends) — due after its end, or
    acted on by another body (its successor) by ``as_of`` (``marks.heir_acted``) — not
    already in ``known``; and, of those, the ones of the second kind only (the condition
    ``after_end`` already names the first)."""
    f = case_facts
    heir = heir_acted(ends, as_of)
    q = sa.select(f.c.case_id, sa.case((after_end, False), else_=True)).where(
        mine, f.c.opened_on <= as_of, sa.or_(after_end, heir)
    )
    rows = [(cid, bool(only_heir)) for cid, only_heir in conn.execute(q) if cid not in known]
    return [cid for cid, _ in rows], [cid for cid, only_heir in rows if only_heir]


def _facts(
    store: Store,
    conn: Connection,
    ids: Sequence[str],
    as_of: dt.date,
    refresh: Refresh | None = None,
) -> list[tuple[Case, list[Act]]]:
    if not ids:
        return []
    pairs = store.facts(ids=ids, as_of=as_of, conn=conn)
    return refresh(pairs) if refresh is not None else pairs


def _fold_pairs(pairs: Sequence[tuple[Case, list[Act]]], as_of: dt.date) -> list[Case]:
    return [c for seed, found in pairs if (c := fold_case(seed, found, as_of)) is not None]
