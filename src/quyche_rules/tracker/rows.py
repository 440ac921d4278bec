"""The rows one recorded event writes (log, case index, projection) and the projection
rebuilt from the log alone.

Pure functions of a ``NewRecord``: the store writes what they return in one transaction,
and ``rebuild_projection`` (migration 0003's backfill, ``quyche track rebuild``) derives the
same rows from the log, so the projection is never a second source of truth.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quyche_rules.db.tracker_tables import (
    PROJECTION,
    SEP,
    acts,
    case_facts,
    cases,
    records,
)
from quyche_rules.tracker.marks import mark_all
from quyche_rules.tracker.model import (
    CORRECTED,
    RESTATED,
    Act,
    DecidedDuty,
    Decision,
    case_id,
    corrected_due,
    request_key,
)


@dataclass(frozen=True)
class NewRecord:
    """A record ready to append: everything derived from the event before any I/O."""

    doc_key: str
    event_type: str
    sender: str | None
    reference: str | None
    event_date: dt.date
    event_json: str
    decision: Decision
    targets: tuple[str, ...]
    cases: tuple[tuple[str, DecidedDuty], ...]  # (case id, duty)
    act: Act | None = None  # when ``targets``: what the event does to them (seq unset)
    #: documents whose case this record's duties joined (the same duty, stated there
    #: first: ``model.duty_digest``); written as target rows of this record, so the acts
    #: on this record's document reach that case
    joins: tuple[str, ...] = ()
    #: with ``joins``: the act that notes the restated duty in that case's history
    restated: Act | None = None
    summary: str | None = None  # the event's subject (trích yếu), shown with its cases


def target_rows(new: NewRecord, seq: int) -> list[dict[str, Any]]:
    """The ``tracker_targets`` rows of a record: the documents it acts on, and the ones
    whose case its duties joined (an alias: no act row, so the fold reads no act)."""
    return [{"record_seq": seq, "doc_key": k} for k in dict.fromkeys((*new.targets, *new.joins))]


def record_row(new: NewRecord, recorded_at: dt.datetime) -> dict[str, Any]:
    return {
        "doc_key": new.doc_key,
        "event_type": new.event_type,
        "sender": new.sender,
        "reference": new.reference,
        "event_date": new.event_date,
        "event_json": new.event_json,
        "decision_json": decision_json(new.decision),
        "rulebook_hash": new.decision.rulebook_hash,
        "engine_version": new.decision.engine_version,
        "recorded_at": recorded_at,
    }


def case_rows(new: NewRecord, seq: int) -> list[dict[str, Any]]:
    return [
        {
            "case_id": cid,
            "record_seq": seq,
            "doc_key": new.doc_key,
            "rule_id": d.rule_id,
            "due": d.due,
        }
        for cid, d in new.cases
    ]


def party_rows(new: NewRecord) -> list[dict[str, Any]]:
    return [
        {"case_id": cid, "party": p, "role": role}
        for cid, d in new.cases
        for role, ps in (("obligated", (d.obligated,)), ("counterparty", d.counterparties))
        for p in dict.fromkeys(ps)
    ]


def fact_rows(new: NewRecord, seq: int) -> list[dict[str, Any]]:
    return [
        {
            "case_id": cid,
            "doc_key": new.doc_key,
            "rule_id": d.rule_id,
            "obligated": d.obligated,
            "counterparties": SEP.join(d.counterparties),
            "requester": new.sender or "-",
            "reference": new.reference,
            "opened_seq": seq,
            "opened_on": new.event_date,
            "opened_type": new.event_type,
            "due": d.due,
            "due_provisional": d.due_provisional,
            "silence_means": d.silence_means,
            "summary": new.summary,
        }
        for cid, d in new.cases
    ]


def act_rows(new: NewRecord, seq: int) -> list[dict[str, Any]]:
    a = new.act if new.targets else new.restated
    if a is None:
        return []
    return [
        {
            "record_seq": seq,
            "kind": a.kind,
            "event_date": a.date,
            "requested": a.requested,
            "parties": SEP.join(a.parties),
            "reply_by": a.reply_by,
        }
    ]


def projection_of(row: Any) -> NewRecord:
    """What a stored log row (``tracker_records`` columns) contributes to the projection,
    from its stored JSON alone — no rulebook, no engine, no event model — so that any
    database can be rebuilt, and a migration backfill it, whatever the code's events."""
    ev = json.loads(row.event_json)
    duties = tuple(DecidedDuty.from_json(d) for d in json.loads(row.decision_json))
    reference = row.reference
    kind = str(ev["type"])
    with_due = (
        [d for d in duties if d.due is not None]
        if reference is not None and kind != CORRECTED  # a correction opens nothing
        else []
    )
    act = None
    tkeys: tuple[str, ...] = ()
    if ev.get("in_reply_to") is not None:
        ref = ev["in_reply_to"]
        day = dt.date.fromisoformat(ev["date"])
        if kind == "coordination_disagreement":
            parties = tuple(dict.fromkeys([ev["lead_party"], *ev.get("other_parties", [])]))
            act = Act(0, day, kind, None, parties)
            tkeys = tuple(request_key(p, ref) for p in parties)
        else:
            reply = ev.get("reply_by") if kind == "coordination_extension_needed" else None
            act = Act(0, day, kind, ev.get("requested"), (),
                      dt.date.fromisoformat(reply) if reply else None)  # fmt: skip
            if kind == CORRECTED:  # the due date counted again, kept in its decision
                act = replace(act, reply_by=corrected_due(duties))
            tkeys = (request_key(ev.get("requester"), ref),)
    return NewRecord(
        doc_key=row.doc_key,
        event_type=row.event_type,
        sender=row.sender,
        reference=reference,
        event_date=_day(row.event_date),
        event_json=row.event_json,
        decision=Decision(duties, row.rulebook_hash, row.engine_version),
        targets=tkeys,
        cases=tuple((case_id(row.sender, reference, d.rule_id, d.obligated), d) for d in with_due),
        act=act,
        summary=ev.get("summary"),
    )


def _day(v: Any) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


def rebuild_projection(conn: Connection, *, skip: frozenset[str] = frozenset()) -> int:
    """Recompute the projection (``case_facts``, ``acts``) from the log alone, inside the
    caller's transaction; return the number of records read. Used by migration 0003 as
    its backfill and by ``python -m quyche_rules.tracker.rebuild``.

    ``skip`` names columns a migration's schema does not have yet (0003 runs before 0008
    adds ``summary`` and 0012 the marks, which each then backfills itself)."""
    for table in reversed(PROJECTION):
        conn.execute(sa.delete(table))
    n = 0
    last = 0
    while True:  # in chunks: a large log never sits whole in memory
        rows = conn.execute(
            sa.select(records).where(records.c.seq > last).order_by(records.c.seq).limit(2000)
        ).all()
        if not rows:
            if "settled_on" not in skip:
                mark_all(conn)  # each case's marks, from the acts just rebuilt
            return n
        # the cases the index says each record opened: a duty that joined another
        # document's case (``model.joins``) opened none, and is not rebuilt as one
        opened = set(
            conn.execute(
                sa.select(cases.c.case_id).where(
                    cases.c.record_seq.between(int(rows[0].seq), int(rows[-1].seq))
                )
            ).scalars()
        )
        facts: list[dict[str, Any]] = []
        done: list[dict[str, Any]] = []
        for row in rows:
            new = projection_of(row)
            mine = [
                {k: v for k, v in f.items() if k not in skip} for f in fact_rows(new, int(row.seq))
            ]
            facts += [f for f in mine if f["case_id"] in opened]
            joined = [f for f in mine if f["case_id"] not in opened]
            if joined and new.act is None:  # it restated a duty followed elsewhere
                again = Act(0, new.event_date, RESTATED, joined[0]["obligated"])
                new = replace(new, restated=again)
            done += act_rows(new, int(row.seq))
        for table, rows_ in ((case_facts, facts), (acts, done)):
            if rows_:
                conn.execute(table.insert(), rows_)
        n += len(rows)
        last = int(rows[-1].seq)


def decision_json(d: Decision) -> str:
    return json.dumps([x.to_json() for x in d.duties], ensure_ascii=False, sort_keys=True)
