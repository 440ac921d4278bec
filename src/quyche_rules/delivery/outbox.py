"""The outbox: every message to send, written where its cause is written.

Two sources, one table:

- **caused by a record** (a new obligation, an answer, an escalation): ``OutboxWriter`` is
  the tracker store's ``on_append`` hook, so its rows are inserted in the very transaction
  that appends the record — one commit holds both or neither. A crash can therefore never
  record without a message to send, nor queue a message for a record that was rolled back.
- **caused by time** (a reminder N working days before the due date, overdue, consent by
  silence): nothing is recorded when a day passes, so ``sweep`` folds the cases of every
  subscribed body as of a date and inserts what that date calls for. The id is a hash of
  (subscription, kind, case, date), inserted "if absent", so sweeping again, from two
  workers at once, or after a crash, never sends a second, different message.

Claiming and settling the queue is ``delivery.queue``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from quyche_rules.calendar import WorkingCalendar
from quyche_rules.db.delivery_tables import outbox
from quyche_rules.db.tracker_tables import acts, case_facts, targets
from quyche_rules.delivery import messages as m
from quyche_rules.delivery.subscriptions import Subscription, active
from quyche_rules.tracker.model import ANSWERED as ANSWERED_EVENT
from quyche_rules.tracker.model import (
    CORRECTED,
    DISAGREEMENT,
    EXTENSION,
    Act,
    Case,
    CaseState,
    fold_case,
    seed_case,
)
from quyche_rules.tracker.rows import NewRecord
from quyche_rules.tracker.status_page import Refresh
from quyche_rules.tracker.store import Store

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
STATUSES = (PENDING, DELIVERED, DEAD)


def _row(sub: Subscription, kind: str, mid: str, case_id: str | None,
         payload: dict[str, Any], now: dt.datetime) -> dict[str, Any]:  # fmt: skip
    payload = {"message_id": mid, **payload}
    return {
        "message_id": mid,
        "sub_id": sub.sub_id,
        "party": sub.party,
        "kind": kind,
        "case_id": case_id,
        "payload": m.dumps(payload),
        "created_at": now,
        "since": now,
        "status": PENDING,
        "attempts": 0,
        "next_at": now,
        "lease_until": None,
        "lease_owner": None,
        "last_error": None,
        "delivered_at": None,
    }


def insert_missing(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert the rows whose message id is not there yet (a concurrent sweep may insert the
    same ones: the database decides, never a read-then-write race). Returns rows inserted."""
    if not rows:
        return 0
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(outbox).on_conflict_do_nothing(index_elements=["message_id"])
    # counted from RETURNING: a many-row insert's rowcount is -1 on PostgreSQL (psycopg's
    # batched insert), which made every sweep there report 0 new messages
    res = conn.execute(stmt.returning(outbox.c.message_id), list(rows))
    return len(res.all())


#: ``Tracker.refresh`` in a writing transaction: (facts, connection) → facts
ConnRefresh = Callable[[list[tuple[Case, list[Act]]], Connection], list[tuple[Case, list[Act]]]]


class OutboxWriter:
    """The tracker store's ``on_append`` hook: the messages one new record causes.

    ``refresh``: what the tracker does to the facts it reads (``Tracker.refresh``), run in
    the record's transaction, so a message tells the case a reader sees (a provisional due
    date counted again, a body that ended)."""

    def __init__(self, name_of: m.NameOf = str, refresh: ConnRefresh | None = None) -> None:
        self.name_of = name_of
        self.refresh = refresh

    def __call__(
        self, conn: Connection, batch: Sequence[tuple[NewRecord, int]], now: dt.datetime
    ) -> None:
        """Queue the messages of the records of one transaction: one read of the
        subscriptions and one multi-row insert, whatever the size of the batch."""
        subs = active(conn)
        if not subs:
            return
        by_party: dict[str, list[Subscription]] = {}
        for sub in subs:
            by_party.setdefault(sub.party, []).append(sub)
        rows: list[dict[str, Any]] = []
        for new, seq in batch:
            if new.act is None or new.act.kind != CORRECTED:  # its duties are not new
                rows += self._duty_rows(new, seq, by_party, now)
            if new.act is not None and new.targets:
                rows += self._act_rows(conn, new, seq, by_party, now)
        insert_missing(conn, rows)

    def _duty_rows(self, new: NewRecord, seq: int, by_party: dict[str, list[Subscription]],
                   now: dt.datetime) -> list[dict[str, Any]]:  # fmt: skip
        """A new obligation, to each subscribed body that owes it or is owed it."""
        rows: list[dict[str, Any]] = []
        case_of = {(d.rule_id, d.obligated): cid for cid, d in new.cases}
        for duty in new.decision.duties:
            d = duty.to_json()
            for party in dict.fromkeys((d["obligated"], *d["counterparties"])):
                for sub in by_party.get(party, ()):
                    if m.NEW_OBLIGATION not in sub.kinds:
                        continue
                    mid = m.message_id(sub.sub_id, m.NEW_OBLIGATION, new.doc_key, d["rule_id"],
                                       d["obligated"], d["duty"])  # fmt: skip
                    cid = case_of.get((d["rule_id"], d["obligated"]))
                    payload = m.duty_payload(
                        kind=m.NEW_OBLIGATION, party=sub.party, seq=seq,
                        event_type=new.event_type, reference=new.reference, duty=d,
                        case_id=cid, name_of=self.name_of,
                    )  # fmt: skip
                    rows.append(_row(sub, m.NEW_OBLIGATION, mid, cid, payload, now))
        return rows

    def _act_rows(self, conn: Connection, new: NewRecord, seq: int,
                  by_party: dict[str, list[Subscription]],
                  now: dt.datetime) -> list[dict[str, Any]]:  # fmt: skip
        """An answer or a disagreement: to each subscribed party of the cases it acts on,
        with the case as its fold leaves it on the act's date."""
        assert new.act is not None
        # an extension moves the due date as a correction does ("cần có thêm thời gian ...
        # xác định thời gian phản hồi", Art. 3.1): the bodies that follow the case are
        # told the new date the same way, whatever else they subscribed to
        kind = {ANSWERED_EVENT: m.ANSWERED, DISAGREEMENT: m.ESCALATED,
                CORRECTED: m.DUE_CHANGED, EXTENSION: m.DUE_CHANGED}.get(new.act.kind)  # fmt: skip
        if kind is None:
            return []
        rows: list[dict[str, Any]] = []
        facts = conn.execute(
            sa.select(case_facts).where(case_facts.c.doc_key.in_(list(new.targets)))
        ).all()
        for f in facts:
            parties = dict.fromkeys((f.obligated, *f.counterparties.split(), f.requester))
            subs = [s for p in parties for s in by_party.get(p, ()) if m.wants(s.kinds, kind)]
            if not subs:
                continue
            on_doc = _acts(conn, f.doc_key)
            seed = _seed(f)
            if self.refresh is not None:
                ((seed, _),) = self.refresh([(seed, on_doc)], conn)
            case = fold_case(seed, on_doc, new.act.date)
            if case is None:  # an act dated before the case opened: nothing to tell
                continue
            extra: dict[str, Any] = {}
            if kind == m.DUE_CHANGED:
                before = fold_case(seed, [a for a in on_doc if a.seq != seq], new.act.date)
                if before is None or before.due == case.due:
                    continue  # the act left the due date where it was
                extra["due_before"] = before.due.isoformat()
                extra["cause"] = m.EXTENDED if new.act.kind == EXTENSION else m.RECEIPT_CORRECTED
            for sub in subs:
                mid = m.message_id(sub.sub_id, kind, f.case_id, new.doc_key)
                payload = m.case_payload(
                    kind, sub.party, case, self.name_of,
                    act={"type": new.act.kind, "date": new.act.date.isoformat(),
                         "record_seq": seq}, **extra,
                )  # fmt: skip
                rows.append(_row(sub, kind, mid, f.case_id, payload, now))
        return rows


def _acts(conn: Connection, doc_key: str) -> list[Act]:
    """The acts on one document, this record's included (the store wrote it already, in
    this transaction): the case's fold then says what the act made of it."""
    a = acts
    rows = conn.execute(
        sa.select(a).join(targets, targets.c.record_seq == a.c.record_seq)
        .where(targets.c.doc_key == doc_key)
    ).all()  # fmt: skip
    return [
        Act(
            int(r.record_seq),
            r.event_date,
            r.kind,
            r.requested,
            tuple(r.parties.split()) if r.parties else (),
            r.reply_by,
        )
        for r in rows
    ]


def _seed(f: Any) -> Case:
    return seed_case(
        cid=f.case_id, rule_id=f.rule_id, obligated=f.obligated,
        counterparties=tuple(f.counterparties.split()), requester=f.requester,
        reference=f.reference, opened_seq=int(f.opened_seq), opened_on=f.opened_on,
        opened_type=f.opened_type, due=f.due, due_provisional=bool(f.due_provisional),
        silence_means=f.silence_means,
    )  # fmt: skip


# --- time: reminders, overdue, consent ------------------------------------------------------


def reminder_due(calendar: WorkingCalendar, day: dt.date, due: dt.date, n: int) -> bool:
    """Whether ``day`` is at most ``n`` working days before ``due`` (and not after it):
    counted on the working-day calendar, so a holiday such as Tết does not count."""
    return day <= due and calendar.working_days_between(day, due) <= n


def sweep(
    store: Store,
    calendar: WorkingCalendar,
    day: dt.date,
    now: dt.datetime,
    name_of: m.NameOf = str,
    refresh: Refresh | None = None,
) -> int:
    """Insert the time-caused messages ``day`` calls for; return how many were new.

    ``refresh`` is what the tracker does to the facts it reads before folding them
    (``Tracker.refresh``: a provisional due date counted again once the year's official
    arrangement is recorded...): the sweep must fold the very cases a reader sees, or it
    would remind of, or declare consent on, a due date that no longer counts. A due date
    the refresh moved is said once (``case.due_changed``, cause ``rederived``) to the
    subscribers of a case no act has closed."""
    with store.engine.connect() as conn:
        subs = active(conn)
    by_party: dict[str, list[Subscription]] = {}
    for s in subs:
        by_party.setdefault(s.party, []).append(s)
    rows: list[dict[str, Any]] = []
    for party, mine in by_party.items():
        pairs = store.facts(party=party, as_of=day)
        stored = {seed.id: seed.due for seed, _ in pairs}
        if refresh is not None:
            pairs = refresh(pairs)
        for seed, case_acts in pairs:
            case = fold_case(seed, case_acts, day)
            if case is None:
                continue
            for sub in mine:
                rows += _time_rows(sub, case, calendar, day, now, name_of)
                if seed.due != stored[seed.id]:
                    rows += _rederived_rows(sub, case, stored[seed.id], seed.due, now, name_of)
    if not rows:
        return 0
    with store.engine.begin() as conn:
        return insert_missing(conn, rows)


def _rederived_rows(sub: Subscription, case: Case, before: dt.date, counted: dt.date,
                    now: dt.datetime, name_of: m.NameOf) -> list[dict[str, Any]]:  # fmt: skip
    """The one ``case.due_changed`` of a due date counted again: its id holds the new date,
    so each sweep after it finds it sent, and a second re-count (another estimate) is a
    new message. Not for a case an act closed (answered, withdrawn, escalated): its due
    date no longer asks anything of anyone."""
    if case.closed_on is not None or not m.wants(sub.kinds, m.DUE_CHANGED):
        return []
    # ``counted``: the date the re-count gave (an extension's later date, which the fold
    # may have applied on top, is told by the extension's own message)
    mid = m.message_id(sub.sub_id, m.DUE_CHANGED, case.id, m.REDERIVED, counted.isoformat())
    payload = m.case_payload(
        m.DUE_CHANGED, sub.party, case, name_of,
        due_before=before.isoformat(), cause=m.REDERIVED,
    )  # fmt: skip
    return [_row(sub, m.DUE_CHANGED, mid, case.id, payload, now)]


def _time_rows(sub: Subscription, case: Any, calendar: WorkingCalendar, day: dt.date,
               now: dt.datetime, name_of: m.NameOf) -> list[dict[str, Any]]:  # fmt: skip
    out = []
    wanted: list[tuple[str, dt.date]] = []
    if case.state in (CaseState.AWAITING, CaseState.EXTENDED) and reminder_due(
        calendar, day, case.due, sub.remind_days
    ):
        wanted.append((m.REMINDER, case.due))
    elif case.state is CaseState.CONSENT and case.consent_since is not None:
        wanted.append((m.CONSENT, case.consent_since))
    elif case.state is CaseState.OVERDUE:
        wanted.append((m.OVERDUE, case.due))
    for kind, on in wanted:
        if kind not in sub.kinds:
            continue
        mid = m.message_id(sub.sub_id, kind, case.id, on.isoformat())
        extra: dict[str, Any] = {"as_of": day.isoformat()}
        if kind == m.REMINDER:
            extra["working_days_left"] = calendar.working_days_between(day, case.due)
        out.append(_row(sub, kind, mid, case.id, m.case_payload(kind, sub.party, case, name_of,
                                                              **extra), now))  # fmt: skip
    return out


def attach(tracker: Any) -> Any:
    """Make ``tracker`` (a ``tracker.Tracker``) write the outbox in each record's
    transaction; returns it. Every writer of the log must do this (the CLI and the service
    do), or the messages its records cause are not queued."""
    if not any(isinstance(h, OutboxWriter) for h in tracker.store.on_append):

        def refresh(
            pairs: list[tuple[Case, list[Act]]], conn: Connection
        ) -> list[tuple[Case, list[Act]]]:
            return tracker.refresh(pairs, conn=conn)  # type: ignore[no-any-return]

        tracker.store.on_append.append(OutboxWriter(tracker.name, refresh))
    return tracker
