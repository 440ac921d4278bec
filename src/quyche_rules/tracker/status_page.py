"""One page of one group of a body's status, and the counts of every group, computed by the
database from the projection instead of folding every case in memory.

A body with 22,000 cases asked for its first 50 ``owes`` used to pay for folding all
22,000 (``model.fold_case`` over ``store.facts``) to throw 21,950 away. Most cases need no
fold at all: their state as of a date follows from their facts and from *which kinds* of
acts reached them, not from the order of those acts. The database classifies each case
of the body opened by ``as_of`` from the acts on its document dated in its window (from
the opening record on, by ``as_of``, as in ``fold_case``):

* **no act that applies**: the case is where time alone put it (``model._lapse``):
  awaiting up to its due date; past it, consent by silence when its rule reads silence so
  and the due date is not provisional, otherwise overdue;
* **answers or withdrawals**, and nothing else that applies (by the obligated body, the
  only acts of those kinds that apply to it): answered or withdrawn — which came first
  decides which, but either way the case is in no group of the status;
* **a disagreement or an extension** — whether a disagreement applies depends on party
  lists, and an extension by the obligated body moves the due date only while the case
  is still open (an order question): *folded* by ``model.fold_case``, the reference, then
  grouped by ``model.status``. Few cases are in this class, and those are exactly the
  ones whose order of events matters.

The counts are the database's sums over the first class plus the folded cases' groups;
the page is the database's keyset page of the first class (by due date, then id) merged
with the folded cases of the group, and the page's cases are then folded with their full
history (``fold_case``), so each item is the very ``Case`` the whole status lists.
``tests/tracker/test_status_page.py`` compares both answers on a varied log.

A body's cases are read in parts that are each one walk of an index (revision 0011): the
cases it is obliged in, by obligated body then due date (the index also holds every column
the classification reads); those where it is only a counterparty, and those where it is
both, by party and role.

Everything is read in one snapshot (SQLite's read transaction; PostgreSQL's
``REPEATABLE READ``), so the counts and the page agree under concurrent records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quyche_rules.db.tracker_tables import acts, case_facts, case_parties, targets
from quyche_rules.tracker.model import (
    ANSWERED,
    CORRECTED,
    DISAGREEMENT,
    EXTENSION,
    WITHDRAWN,
    Act,
    Case,
    fold_case,
    status,
)
from quyche_rules.tracker.store import Store

GROUPS = ("owes", "due_soon", "overdue", "owed_to", "consent", "escalated")

Key = tuple[dt.date, str]
"""Where a page stands: (due date, case id) of its last case."""

Refresh = Callable[[list[tuple[Case, list[Act]]]], list[tuple[Case, list[Act]]]]


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


def _in_window(as_of: dt.date) -> Any:
    """An act dated in the case's window: from the opening record on (event date, then
    sequence number), by ``as_of`` — the acts ``fold_case`` steps on."""
    f, a = case_facts, acts
    return sa.and_(
        a.c.event_date <= as_of,
        sa.or_(
            a.c.event_date > f.c.opened_on,
            sa.and_(a.c.event_date == f.c.opened_on, a.c.record_seq >= f.c.opened_seq),
        ),
    )


def _acts_in_window(as_of: dt.date, kinds: Any) -> Any:
    """EXISTS an act of ``kinds`` on the case's document, in the case's window."""
    t, a = targets, acts
    return sa.exists(
        sa.select(sa.literal(1))
        .select_from(t.join(a, a.c.record_seq == t.c.record_seq))
        .where(t.c.doc_key == case_facts.c.doc_key, _in_window(as_of), kinds)
    )


@dataclass(frozen=True)
class _Side:
    """A part of a body's cases, told apart so each part is one walk of an index: those
    it is obliged in (``obligated = party``: the index by obligated body and due date),
    and those where it is only a counterparty (``case_parties`` by party)."""

    where: Any  # which cases, opened by as_of
    groups: dict[str, Any]  # each group's condition, for the untouched cases


def _sides(party: str | None, as_of: dt.date, soon_days: int) -> list[_Side]:
    f, cp = case_facts, case_parties
    opened = f.c.opened_on <= as_of
    if party is None:
        return [_Side(opened, _groups(as_of, soon_days, obliged=sa.true(), owed=sa.true()))]

    def counterparty_in(obliged: bool) -> Any:
        """``case_id IN`` the cases it is a counterparty to (and obliged in, or not), read
        from the index by party and role: few for most bodies, so the database starts
        there rather than from the body's obliged cases."""
        g = case_facts.alias("owed")
        roles = (
            sa.select(cp.c.case_id)
            .join(g, g.c.case_id == cp.c.case_id)
            .where(
                cp.c.party == party,
                cp.c.role == "counterparty",
                g.c.obligated == party if obliged else g.c.obligated != party,
            )
        )
        return f.c.case_id.in_(roles)

    only_owed = dict.fromkeys(GROUPS, sa.false())
    return [
        # the cases it is obliged in, one walk of the index by obligated body and due date
        _Side(
            sa.and_(f.c.obligated == party, opened),
            _groups(as_of, soon_days, obliged=sa.true(), owed=sa.false()),
        ),
        # those where it is only a counterparty
        _Side(
            sa.and_(counterparty_in(obliged=False), opened),
            _groups(as_of, soon_days, obliged=sa.false(), owed=sa.true()),
        ),
        # and those where it is both (counted above but for what it is owed)
        _Side(
            sa.and_(counterparty_in(obliged=True), opened),
            {
                **only_owed,
                "owed_to": _groups(as_of, soon_days, obliged=sa.false(), owed=sa.true())["owed_to"],
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


def _acts_kinds() -> tuple[Any, Any]:
    """(acts only the fold decides, acts that close a case) — each applying to the case."""
    f, a = case_facts, acts
    by_obligated = a.c.requested == f.c.obligated  # answers, extensions, withdrawals
    # a receipt correction moves the due date back to the case's opening: folded too
    ordered = sa.or_(
        a.c.kind.in_((DISAGREEMENT, CORRECTED)), sa.and_(a.c.kind == EXTENSION, by_obligated)
    )
    closing = sa.and_(a.c.kind.in_((ANSWERED, WITHDRAWN)), by_obligated)
    return ordered, closing


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
    ends: Mapping[str, dt.date] | None = None,
) -> StatusPage:
    """The counts of every group and the page of ``group`` after ``after`` (at most
    ``limit`` cases, by due date then id): the same as ``model.status`` over every
    folded case, cut the same way. ``refresh``: what the tracker does to the facts it
    reads before folding them (provisional due dates counted again, ``rederive``); cases
    with a provisional due date are then folded in memory, as their stored due date may
    no longer be the one that counts. ``ends``: the last day of each body the profile ends
    (``succession.last_days``): a case such a body owes, due after that day, is folded in
    memory too (its silence is not consent, which only the fold says: ``model._lapse``)."""
    if group not in GROUPS:
        raise ValueError(f"group: {group!r} is not one of {', '.join(GROUPS)}")
    f = case_facts
    ordered, closing = _acts_kinds()
    after_end = _after_end(ends or {})
    untouched = sa.and_(
        sa.not_(_acts_in_window(as_of, sa.or_(ordered, closing))),
        sa.not_(f.c.due_provisional) if refresh is not None else sa.true(),
        sa.not_(after_end),
    )
    sides = _sides(party, as_of, soon_days)
    with _snapshot(store) as conn:
        counts = dict.fromkeys(GROUPS, 0)
        listed: list[tuple[Key, Case | None]] = []
        for side in sides:
            sums = sa.select(
                *(sa.func.coalesce(sa.func.sum(sa.case((c, 1), else_=0)), 0)
                  for c in side.groups.values())
            ).where(side.where, untouched)  # fmt: skip
            for g, n in zip(GROUPS, conn.execute(sums).one(), strict=True):
                counts[g] += int(n)
            q = sa.select(f.c.due, f.c.case_id).where(side.where, untouched, side.groups[group])
            if after is not None:
                due, cid = after
                q = q.where(sa.or_(f.c.due > due, sa.and_(f.c.due == due, f.c.case_id > cid)))
            q = q.order_by(f.c.due, f.c.case_id).limit(limit + 1)
            listed += [((due, cid), None) for due, cid in conn.execute(q)]
        mine = sa.or_(*(side.where for side in sides))
        todo_first = _to_fold(conn, mine, as_of, ordered)
        if refresh is not None:
            todo_first += _provisional(conn, mine, as_of, set(todo_first))
        if ends:
            todo_first += _owed_after_end(conn, mine, as_of, after_end, set(todo_first))
        folded = _fold(store, conn, todo_first, as_of, refresh)
        if folded:
            st = status(folded, party, as_of, soon_days=soon_days)
            for g in GROUPS:
                counts[g] += len(getattr(st, g))
            listed += [(_key(c), c) for c in getattr(st, group) if after is None or _key(c) > after]
        listed.sort(key=lambda kc: kc[0])
        listed = listed[: limit + 1]
        more = len(listed) > limit
        listed = listed[:limit]
        todo = [key[1] for key, c in listed if c is None]
        built = {c.id: c for c in _fold(store, conn, todo, as_of, refresh)}
    cases = tuple(c if c is not None else built[key[1]] for key, c in listed)
    return StatusPage(
        party=party,
        as_of=as_of,
        group=group,
        counts=counts,
        cases=cases,
        next_after=_key(cases[-1]) if more and cases else None,
    )


def _to_fold(conn: Connection, mine: Any, as_of: dt.date, ordered: Any) -> list[str]:
    """The cases of ``mine`` with an act in their window that only the fold decides (a
    disagreement, an extension), looked for only among the documents such acts dated by
    ``as_of`` name (read from the acts' side: they are few, and a body's thousands of
    untouched cases are then never probed one by one)."""
    a, t = acts, targets
    keys = list(
        conn.execute(
            sa.select(t.c.doc_key)
            .distinct()
            .select_from(a.join(t, t.c.record_seq == a.c.record_seq))
            .where(a.c.kind.in_((DISAGREEMENT, EXTENSION, CORRECTED)), a.c.event_date <= as_of)
        ).scalars()
    )
    out: list[str] = []
    for i in range(0, len(keys), 500):
        q = sa.select(case_facts.c.case_id).where(
            case_facts.c.doc_key.in_(keys[i : i + 500]), mine, _acts_in_window(as_of, ordered)
        )
        out.extend(conn.execute(q).scalars())
    return out


def _provisional(conn: Connection, mine: Any, as_of: dt.date, known: set[str]) -> list[str]:
    """The cases of ``mine`` opened by ``as_of`` whose due date is provisional (few: only
    those falling in a year whose official arrangement was not recorded)."""
    f = case_facts
    q = sa.select(f.c.case_id).where(mine, f.c.opened_on <= as_of, f.c.due_provisional)
    return [cid for cid in conn.execute(q).scalars() if cid not in known]


def _after_end(ends: Mapping[str, dt.date]) -> Any:
    """A case owed by a body that ended before its (stored) due date. An extension may
    move a due date past the end of a body whose stored one was not: such a case has an
    extension act, and is folded anyway (``_to_fold``)."""
    f = case_facts
    if not ends:
        return sa.false()
    return sa.or_(*(sa.and_(f.c.obligated == pid, f.c.due > day) for pid, day in ends.items()))


def _owed_after_end(
    conn: Connection, mine: Any, as_of: dt.date, after_end: Any, known: set[str]
) -> list[str]:
    """The cases of ``mine`` opened by ``as_of`` owed by a body that ended before their due
    date (few: only the bodies a profile ends)."""
    f = case_facts
    q = sa.select(f.c.case_id).where(mine, f.c.opened_on <= as_of, after_end)
    return [cid for cid in conn.execute(q).scalars() if cid not in known]


def _fold(
    store: Store,
    conn: Connection,
    ids: Sequence[str],
    as_of: dt.date,
    refresh: Refresh | None = None,
) -> list[Case]:
    if not ids:
        return []
    pairs = store.facts(ids=ids, as_of=as_of, conn=conn)
    if refresh is not None:
        pairs = refresh(pairs)
    return [c for seed, found in pairs if (c := fold_case(seed, found, as_of)) is not None]
