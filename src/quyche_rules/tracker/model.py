"""The tracker's state machine: recorded events and a date in, cases out. No I/O, no clock.

A *case* is one obligation with a due date (Art. 3.1's answer, and every rule that borrows
its deadline: 5.2.a, 5.2.c, 15.2, 15.4) followed to its end. Its state is a pure fold of
the log: the records whose event is dated on or before the "as of" date, in the order of
(event date, sequence number). Nothing here reads a clock, so any date — past or future —
gives the state the regulation assigns to it on that day, and the same log always gives
the same answer (the store relies on this: it keeps the log and, derived from it, the
facts each case's fold reads — never a state).

Readings of the text (Art. 3.1), each tested:

- Silence becomes consent the day after the due date, never before: the answer is owed
  "trong thời gian 7 ngày làm việc", so the whole due day is still in time.
- An answer dated on or before the due date is on time; one dated later is late, and the
  case keeps the date consent by silence arose (a late answer does not erase that it did).
- An extension ("cần có thêm thời gian ... xác định thời gian phản hồi") moves the due date
  to the reply date it fixes, never earlier: the text lets the requested body ask for
  *more* time, nothing lets it shorten the time the regulation gives. An extension dated
  after the due date changes nothing: consent by silence had already arisen (see the note
  of rule ``art3.1.notify-extension``). One without a reply date changes nothing either.
- A disagreement on the request (Art. 2.2) makes the case escalated: the lead body reports
  up, and silence can no longer be read as consent once the parties said they disagree.
- A withdrawal by the requester ends the case whatever its state, unless already answered.
- A due date counted on a year with no recorded official arrangement is provisional: past
  it the case is overdue (flagged ``due_provisional``), never consent by silence.
- A request addressed to a body that ended (``valid_to`` in the profile: merged, dissolved)
  before the due date never becomes consent by silence: past the due date the case is
  overdue. The text deems the *requested body* to agree "và cùng chịu trách nhiệm về vấn
  đề đã được trao đổi phối hợp" — a shared responsibility no body that had ceased to exist
  can take on — and its silence is not a choice it made over the whole of "thời gian 7
  ngày làm việc kể từ khi nhận được văn bản" (it was not there at the end of it). Its
  successor inherits the open case (``succession``), but it is not the body the request
  was addressed to, nor did its own 7 days run from a receipt: nothing lets its silence
  count either. The reader sets ``obligated_ended_on`` from the profile (``succession``);
  a body ending on the due date itself had the whole time, and its silence counts.
- The successor of such a body *does* answer for it. Art. 3.1 puts the answer on "cơ quan
  được đề nghị phối hợp trả lời cho cơ quan đề nghị biết ý kiến tham gia bằng văn bản";
  once the requested body has ended, the body holding its business (the profile's
  ``succeeded_by`` from ``succeeded_on``, the end of the chain on the act's date:
  ``succession.inheritor``) is the one the request now waits on, so an answer, an
  extension ("cơ quan được lấy ý kiến thông báo ... và xác định thời gian phản hồi") or a
  withdrawal naming that body as ``requested``, dated on a day it holds the business, acts
  on the inherited case exactly as the ended body's own would: the written answer settles
  it (on time or late against the same due date). What stays as it was is silence: the
  successor's silence is still not consent (above). An act naming the successor before
  it took over, or any other body, changes nothing. The reader sets
  ``obligated_heirs`` from the profile (``succession.heirs``), with the last day.
- A correction of the day the request was received (``coordination_receipt_corrected``)
  counts Art. 3.1's 7 working days again from the corrected day: from the correction's
  date on, the case is folded as if the request had been recorded with the right day (a
  fact corrected, not a new step: an answer is on time or late against the corrected due
  date, consent by silence arises the day after it, an extension must pass it). Before the
  correction's date the case shows what the log knew then. The latest correction counts;
  each one is a line of the history (so a calendar sees a change).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from quyche_rules.errors import QuycheError
from quyche_rules.model.events import CoordinationDisagreement, CoordinationExtensionNeeded
from quyche_rules.model.field_types import PartyField
from quyche_rules.model.obligations import Obligation

ONE_DAY = dt.timedelta(days=1)

# the event types of the lifecycle the fold steps on (any other acting event only lets
# time pass)
ANSWERED = "coordination_answered"
EXTENSION = "coordination_extension_needed"
DISAGREEMENT = "coordination_disagreement"
WITHDRAWN = "coordination_withdrawn"
CORRECTED = "coordination_receipt_corrected"
#: not an event type: a record stating a duty that another document's case already follows
#: (``joins``) steps that case with this act, so its history keeps every triggering fact
RESTATED = "restated"


class TrackerError(QuycheError):
    """A record the tracker refuses (conflicting duplicate, missing reference, bad
    database URL): nothing was written."""


class CaseState(StrEnum):
    AWAITING = "awaiting"  # chờ trả lời
    EXTENDED = "extended"  # đã xin thêm thời gian, chờ trả lời đến hạn mới
    ANSWERED_ON_TIME = "answered_on_time"  # đã trả lời đúng hạn
    ANSWERED_LATE = "answered_late"  # đã trả lời quá hạn
    CONSENT = "consent"  # quá hạn không phản hồi: được xem là đồng ý (Điều 3.1)
    OVERDUE = "overdue"  # quá hạn, where silence means nothing (no such rule today)
    ESCALATED = "escalated"  # không thống nhất, báo cáo lên (Điều 2.2)
    WITHDRAWN = "withdrawn"  # bên đề nghị rút văn bản


OPEN_STATES = frozenset({CaseState.AWAITING, CaseState.EXTENDED, CaseState.OVERDUE})

STATE_VI: Mapping[CaseState, str] = {
    CaseState.AWAITING: "chờ trả lời",
    CaseState.EXTENDED: "đã gia hạn, chờ trả lời",
    CaseState.ANSWERED_ON_TIME: "đã trả lời đúng hạn",
    CaseState.ANSWERED_LATE: "đã trả lời quá hạn",
    CaseState.CONSENT: "quá hạn không phản hồi: xem là đồng ý",
    CaseState.OVERDUE: "quá hạn",
    CaseState.ESCALATED: "không thống nhất, báo cáo cấp trên",
    CaseState.WITHDRAWN: "đã rút đề nghị",
}


@dataclass(frozen=True)
class DecidedDuty:
    """The part of an obligation the log keeps: enough to follow it, and its rule id to
    explain it again later (the rulebook hash says which rulebook decided it)."""

    rule_id: str
    obligated: str
    counterparties: tuple[str, ...]
    duty: str
    due: dt.date | None
    due_provisional: bool
    silence_means: str | None
    #: the basis label ("Điều 3.1"): with the parties, the duty and the document, what
    #: makes two duties one (``duty_digest``); None in decisions recorded before it was kept
    basis: str | None = None

    @classmethod
    def of(cls, ob: Obligation) -> DecidedDuty:
        return cls(
            rule_id=ob.rule_id,
            obligated=ob.obligated.id,
            counterparties=tuple(c.id for c in ob.counterparties),
            duty=str(ob.duty.value if hasattr(ob.duty, "value") else ob.duty),
            due=ob.due,
            due_provisional=ob.due_provisional,
            silence_means=ob.silence_means,
            basis=ob.basis.label,
        )

    def to_json(self) -> dict[str, Any]:
        out = {
            "rule_id": self.rule_id,
            "obligated": self.obligated,
            "counterparties": list(self.counterparties),
            "duty": self.duty,
            "due": self.due.isoformat() if self.due else None,
            "due_provisional": self.due_provisional,
            "silence_means": self.silence_means,
        }
        if self.basis is not None:
            out["basis"] = self.basis
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> DecidedDuty:
        return cls(
            rule_id=d["rule_id"],
            obligated=d["obligated"],
            counterparties=tuple(d["counterparties"]),
            duty=d["duty"],
            due=dt.date.fromisoformat(d["due"]) if d["due"] else None,
            due_provisional=bool(d["due_provisional"]),
            silence_means=d["silence_means"],
            basis=d.get("basis"),
        )


@dataclass(frozen=True)
class Decision:
    """What the engine decided for one event, and which rulebook and engine decided it."""

    duties: tuple[DecidedDuty, ...]
    rulebook_hash: str
    engine_version: str


@dataclass(frozen=True)
class Record:
    """One entry of the append-only log: a validated event and the decision taken for it.
    ``sender`` is the body that sent the event's document (None when no party sends it)."""

    seq: int
    event: Any
    decision: Decision
    sender: str | None


@dataclass(frozen=True)
class Act:
    """What a record acting on a document (``in_reply_to``) brings to the fold: the facts
    of its event the lifecycle reads, and nothing else. Both folds step on these — the
    reference ``fold`` of the log and ``fold_case`` over the store's projection — so the
    projection holds exactly what the fold needs, and is rebuildable from the log."""

    seq: int
    date: dt.date
    kind: str  # the event type
    requested: str | None  # the body the request was sent to (answers, extensions...)
    parties: tuple[str, ...] = ()  # a disagreement: the lead party first, then the others
    # an extension: the reply date it fixes; a receipt correction: the due date counted
    # again from the corrected day of receipt (by the engine, when it was recorded)
    reply_by: dt.date | None = None


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    date: dt.date
    kind: str
    text: str


@dataclass(frozen=True)
class Succession:
    """A party of an open case that has ended by the "as of" date (``valid_to`` in the
    profile) and, when the profile records one, the body that took over its business
    (``succeeded_by`` from ``succeeded_on``) and the one holding it on that date
    (``inheritor``: the end of the chain of successors). Said so a clerk knows whom to
    ask or answer: the case keeps its parties; what the successor does for it (its answer
    settles it) is the fold's (``_applies``, the module docstring's reading)."""

    party: str
    role: str  # obligated | counterparty
    ended_on: dt.date
    succeeded_by: str | None
    succeeded_on: dt.date | None
    inheritor: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "role": self.role,
            "ended_on": self.ended_on.isoformat(),
            "succeeded_by": self.succeeded_by,
            "succeeded_on": self.succeeded_on.isoformat() if self.succeeded_on else None,
            "inheritor": self.inheritor,
        }


Heir = tuple[str, dt.date, dt.date | None]
"""A body holding an ended body's business, from which day to which (None: still does):
the days ``succession.inheritor`` names it."""


@dataclass(frozen=True)
class Ended:
    """What the reader knows of a body the profile ends: its last day (``valid_to``) and
    the bodies holding its business after it (``Heir``), in the order they took over."""

    last_day: dt.date
    heirs: tuple[Heir, ...] = ()


@dataclass(frozen=True)
class Case:
    """One duty with a deadline, as of a date."""

    id: str
    rule_id: str
    obligated: str
    counterparties: tuple[str, ...]
    requester: str
    reference: str
    opened_seq: int
    opened_on: dt.date
    original_due: dt.date
    due: dt.date
    due_provisional: bool
    silence_means: str | None
    state: CaseState
    consent_since: dt.date | None = None
    closed_on: dt.date | None = None
    history: tuple[HistoryEntry, ...] = field(default=())
    #: the case's parties that ended by the "as of" date, with who inherits (open cases)
    successions: tuple[Succession, ...] = field(default=())
    #: the request's subject (its ``summary``, trích yếu), for people finding the case
    summary: str | None = None
    #: the last day of the obligated body when the profile ends it (set on reading, by
    #: ``succession.with_ends``): past a due date after it, silence is not consent
    obligated_ended_on: dt.date | None = None
    #: the bodies holding the ended obligated body's business, and on which days (set on
    #: reading, with ``obligated_ended_on``): their answer acts for it (``_applies``)
    obligated_heirs: tuple[Heir, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


# --- identities -----------------------------------------------------------------------------


def _h(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def request_key(sender: str | None, reference: str) -> str:
    """The identity of a document: its reference and the body that sent it."""
    return _h("doc", sender or "-", reference)


def case_id(sender: str | None, reference: str, rule_id: str, obligated: str) -> str:
    """Stable id of a case, the same in every database and every run (iCalendar UIDs)."""
    return "c" + _h("case", sender or "-", reference, rule_id, obligated)[:15]


def duty_digest(d: DecidedDuty, reference: str | None) -> str | None:
    """The tracker's form of ``model.obligations.duty_key``: the same basis, obligated
    body, counterparties (as a set), duty and document is one duty. One letter recorded
    twice — as the 13.4/13.6 event and as a ``coordination_requested`` — is one duty to
    answer, followed as ONE case. None when the decision did not keep the basis (recorded
    before it was kept) or there is no document: such a duty is never merged."""
    if d.basis is None or reference is None:
        return None
    return _h("duty", d.basis, d.obligated, *sorted(set(d.counterparties)), "|", d.duty,
              reference)  # fmt: skip


def sibling_keys(d: DecidedDuty, sender: str | None, reference: str) -> list[str]:
    """The documents that may state the same duty as ``d`` under the same reference: sent
    by no party (a 13.4/13.6 personnel event names no sender), by a counterparty or by the
    obligated body. Looked up by document key (an index), never by scanning references."""
    senders = dict.fromkeys([None, *d.counterparties, d.obligated])
    return [request_key(s, reference) for s in senders if s != sender]


# Who sends the document an event reports. The first party field is the sender for every
# event type but these (declared requester first, sent by the requested body).
SENDER_FIELD: Mapping[str, str] = {
    "coordination_extension_needed": "requested",
    "coordination_answered": "requested",
}


def sender_of(event: Any) -> str | None:
    """The body that sent the document the event reports, or None if no party field."""
    name = SENDER_FIELD.get(event.type)
    if name is not None:
        return str(getattr(event, name))
    for fname in _party_fields(type(event)):
        value = getattr(event, fname)
        if isinstance(value, str):
            return value
    return None


_PARTY_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {}


def _party_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The party fields of an event model, in declaration order (computed once per model:
    a bulk import asks it for every event)."""
    got = _PARTY_FIELDS.get(model)
    if got is None:
        got = _PARTY_FIELDS[model] = tuple(
            fname
            for fname, info in model.model_fields.items()
            if fname != "type" and any(isinstance(m, PartyField) for m in info.metadata)
        )
    return got


def targets_of(event: Any) -> list[str]:
    """Request keys of the documents a lifecycle event acts on (answers, extensions,
    disagreements, withdrawals); empty for any other event."""
    ref = getattr(event, "in_reply_to", None)
    if ref is None:
        return []
    if isinstance(event, CoordinationDisagreement):
        parties = [event.lead_party, *event.other_parties]
        return [request_key(p, ref) for p in dict.fromkeys(parties)]
    return [request_key(event.requester, ref)]


def act_of(seq: int, event: Any) -> Act:
    """The facts of a lifecycle event the fold reads (see ``Act``)."""
    if isinstance(event, CoordinationDisagreement):
        parties = tuple(dict.fromkeys([event.lead_party, *event.other_parties]))
        return Act(seq, event.date, event.type, None, parties)
    reply_by = event.reply_by if isinstance(event, CoordinationExtensionNeeded) else None
    return Act(seq, event.date, event.type, getattr(event, "requested", None), (), reply_by)


def seed_case(
    *,
    cid: str,
    rule_id: str,
    obligated: str,
    counterparties: tuple[str, ...],
    requester: str,
    reference: str,
    opened_seq: int,
    opened_on: dt.date,
    opened_type: str,
    due: dt.date,
    due_provisional: bool,
    silence_means: str | None,
    summary: str | None = None,
) -> Case:
    """A case as the record that opens it leaves it: awaiting an answer by ``due``."""
    return _build(
        id=cid,
        rule_id=rule_id,
        obligated=obligated,
        counterparties=counterparties,
        requester=requester,
        reference=reference,
        opened_seq=opened_seq,
        opened_on=opened_on,
        original_due=due,
        due=due,
        due_provisional=due_provisional,
        silence_means=silence_means,
        state=CaseState.AWAITING,
        consent_since=None,
        closed_on=None,
        successions=(),
        history=(
            HistoryEntry(
                opened_seq,
                opened_on,
                "opened",
                f"{opened_type} {reference}: {rule_id}, due {due.isoformat()}",
            ),
        ),
        summary=summary,
        obligated_ended_on=None,
        obligated_heirs=(),
    )


def cases_opened(record: Record) -> list[Case]:
    """The cases a record opens: one per decided duty with a due date."""
    ev = record.event
    if ev.reference is None or ev.type == CORRECTED:  # a correction opens nothing
        return []
    return [
        seed_case(
            cid=case_id(record.sender, ev.reference, d.rule_id, d.obligated),
            rule_id=d.rule_id,
            obligated=d.obligated,
            counterparties=d.counterparties,
            requester=record.sender or "-",
            reference=ev.reference,
            opened_seq=record.seq,
            opened_on=ev.date,
            opened_type=ev.type,
            due=d.due,
            due_provisional=d.due_provisional,
            silence_means=d.silence_means,
            summary=ev.summary,
        )
        for d in record.decision.duties
        if d.due is not None
    ]


# --- the fold -------------------------------------------------------------------------------

_CASE_FIELDS = frozenset(Case.__dataclass_fields__)


def _build(**fields: Any) -> Case:
    """``Case(**fields)`` without the frozen dataclass's per-field ``object.__setattr__``:
    a status over tens of thousands of cases builds each one, and this is 4x cheaper.
    Every field must be given (checked), so the result equals ``Case(**fields)``."""
    if fields.keys() != _CASE_FIELDS:
        raise TypeError(f"Case fields: {sorted(fields.keys() ^ _CASE_FIELDS)}")
    case = object.__new__(Case)
    case.__dict__.update(fields)
    return case


def _evolve(case: Case, **changes: Any) -> Case:
    """``dataclasses.replace`` for a Case, without its per-call field introspection (the
    fold's hot path: every lapse and every step)."""
    new = object.__new__(Case)
    new.__dict__.update(case.__dict__, **changes)
    return new


def _lapse(case: Case, today: dt.date) -> Case:
    """Apply the passing of time: past the due date an open case lapses (Art. 3.1)."""
    if case.state not in (CaseState.AWAITING, CaseState.EXTENDED) or today <= case.due:
        return case
    since = case.due + ONE_DAY
    if case.silence_means == "consent" and case.due_provisional:
        # a due date counted on an estimated year (no official arrangement recorded) is a
        # guess: consent by silence cannot arise on a guessed date, the case stays overdue
        note = HistoryEntry(
            -1,
            since,
            "overdue",
            f"no answer by {case.due.isoformat()} (provisional due date: no consent "
            "until the year's official arrangement is recorded)",
        )
        return _evolve(case, state=CaseState.OVERDUE, history=(*case.history, note))
    ended = case.obligated_ended_on
    if case.silence_means == "consent" and ended is not None and ended < case.due:
        # the requested body was gone before its time to answer ran out: its silence is
        # not consent, and no other body's is (see the module docstring)
        note = HistoryEntry(
            -1,
            since,
            "overdue",
            f"no answer by {case.due.isoformat()} ({case.obligated} ended on "
            f"{ended.isoformat()}, before the due date: no consent by silence)",
        )
        return _evolve(case, state=CaseState.OVERDUE, history=(*case.history, note))
    if case.silence_means == "consent":
        note = HistoryEntry(
            -1, since, "consent", f"no answer by {case.due.isoformat()}: deemed consent"
        )
        return _evolve(
            case,
            state=CaseState.CONSENT,
            consent_since=since,
            history=(*case.history, note),
        )
    note = HistoryEntry(-1, since, "overdue", f"no answer by {case.due.isoformat()}")
    return _evolve(case, state=CaseState.OVERDUE, history=(*case.history, note))


#: the acts naming the requested body that its successor's name stands in for (see the
#: module docstring): the answer and extension it sends, the withdrawal sent to it
INHERITED_ACTS = frozenset({ANSWERED, EXTENSION, WITHDRAWN})


def heir_acting(heirs: Iterable[Heir], act: Act) -> bool:
    """Whether ``act`` names, as its requested body, one holding the ended obligated
    body's business on the act's date (``heirs``: ``Case.obligated_heirs``)."""
    if act.kind not in INHERITED_ACTS:
        return False
    day = act.date
    return any(
        p == act.requested and since <= day and (until is None or day <= until)
        for p, since, until in heirs
    )


def _applies(case: Case, act: Act) -> bool:
    if act.kind == RESTATED:
        return bool(case.obligated == act.requested)
    if act.kind == DISAGREEMENT:
        return case.obligated in act.parties or any(p in act.parties for p in case.counterparties)
    if case.obligated == act.requested:
        return True
    return bool(case.obligated_heirs) and heir_acting(case.obligated_heirs, act)


def _step(case: Case, act: Act) -> Case:
    case = _lapse(case, act.date)
    s = case.state

    def note(kind: str, text: str, **changes: Any) -> Case:
        entry = HistoryEntry(act.seq, act.date, kind, text)
        return _evolve(case, history=(*case.history, entry), **changes)

    if act.kind == RESTATED:
        return note("restated", f"the same duty stated again by record #{act.seq}")
    if act.requested != case.obligated and act.kind in INHERITED_ACTS:
        # the successor's act (``_applies``): said, so a clerk sees who settled the case
        case = note(
            "succession",
            f"{act.requested} acts as the successor of {case.obligated}, which ended on "
            f"{case.obligated_ended_on.isoformat() if case.obligated_ended_on else '?'}",
        )
    if act.kind == ANSWERED:
        if s in (CaseState.AWAITING, CaseState.EXTENDED):
            return note("answered", "answered on time", state=CaseState.ANSWERED_ON_TIME,
                        closed_on=act.date)  # fmt: skip
        if s in (CaseState.CONSENT, CaseState.OVERDUE):
            return note("answered", f"answered late (due {case.due.isoformat()})",
                        state=CaseState.ANSWERED_LATE, closed_on=act.date)  # fmt: skip
        return note("answered", f"answer received; case already {s.value}")
    if act.kind == EXTENSION:
        if s not in (CaseState.AWAITING, CaseState.EXTENDED):
            return note("extension", f"extension ignored: case already {s.value}")
        if act.reply_by is None:
            return note("extension", "extension without a reply date: due unchanged")
        if act.reply_by <= case.due:
            return note(
                "extension",
                f"reply date {act.reply_by.isoformat()} not after due "
                f"{case.due.isoformat()}: due unchanged (an extension never shortens)",
            )
        return note(
            "extension",
            f"extended: due {case.due.isoformat()} → {act.reply_by.isoformat()}",
            state=CaseState.EXTENDED,
            due=act.reply_by,
            # the reply date the requested body fixed is a date, not a count on an
            # estimated calendar: no longer provisional
            due_provisional=False,
        )
    if act.kind == DISAGREEMENT:
        if s is CaseState.WITHDRAWN:
            return note("disagreement", "disagreement noted; request already withdrawn")
        return note(
            "escalated",
            f"parties disagree: {act.parties[0]} reports up (Điều 2.2)",
            state=CaseState.ESCALATED,
            closed_on=act.date,
        )
    if act.kind == WITHDRAWN:
        if s in (CaseState.ANSWERED_ON_TIME, CaseState.ANSWERED_LATE):
            return note("withdrawn", f"withdrawal noted; case already {s.value}")
        return note("withdrawn", "request withdrawn", state=CaseState.WITHDRAWN, closed_on=act.date)
    return case


def order(records: Iterable[Record]) -> list[Record]:
    """The order the fold applies records in: event date, then recording order."""
    return sorted(records, key=lambda r: (r.event.date, r.seq))


def with_end(seed: Case, end: Ended | None) -> Case:
    """A seed whose obligated body the profile ends, with what the fold reads of that end
    (``obligated_ended_on``, ``obligated_heirs``); unchanged when it does not end."""
    if end is None:
        return seed
    return _evolve(seed, obligated_ended_on=end.last_day, obligated_heirs=end.heirs)


def fold(
    records: Iterable[Record], as_of: dt.date, *, ends: Mapping[str, Ended] | None = None
) -> dict[str, Case]:
    """Every case as of ``as_of``: the pure function of the log the store relies on (the
    reference its projection is tested against). ``ends``: the bodies the profile ends
    (``succession.endings``), as every reader of the tracker knows them: a case such a
    body owes is folded with its end and its successors (see the module docstring)."""
    ends = ends or {}
    cases: dict[str, Case] = {}
    by_request: dict[str, list[str]] = {}
    ordered = order(records)
    # corrections of a receipt reach back to the case's opening (see the module docstring)
    corrections: dict[str, list[Act]] = {}
    for rec in ordered:
        if rec.event.date <= as_of and rec.event.type == CORRECTED:
            for key in targets_of(rec.event):
                corrections.setdefault(key, []).append(correction_act(rec))
    standing = joins(ordered)
    for rec in ordered:
        if rec.event.date > as_of:
            break
        for c in cases_opened(rec):
            key = request_key(rec.sender, c.reference)
            stands = standing.get((rec.seq, c.id))
            if stands is not None:  # the same duty, stated by another document first
                by_request.setdefault(key, []).append(stands)
                again = Act(rec.seq, rec.event.date, RESTATED, c.obligated)
                if stands in cases and _applies(cases[stands], again):
                    cases[stands] = _step(cases[stands], again)
                continue
            if c.id in cases:  # the same request recorded twice is one case
                continue
            cases[c.id] = corrected(with_end(c, ends.get(c.obligated)), corrections.get(key, ()))
            by_request.setdefault(key, []).append(c.id)
        if rec.event.type == CORRECTED:
            continue
        for key in targets_of(rec.event):
            ids = by_request.get(key, ())
            if not ids:
                continue
            act = act_of(rec.seq, rec.event)
            for cid in dict.fromkeys(ids):
                if cid in cases and _applies(cases[cid], act):
                    cases[cid] = _step(cases[cid], act)
    return {cid: _lapse(c, as_of) for cid, c in cases.items()}


def joins(records: Iterable[Record]) -> dict[tuple[int, str], str]:
    """Which cases are not opened because their duty is already a case: (record seq, the
    case id it would open) → the case that stands for the duty. The first record (in
    recording order, as the store writes them) to state a duty opens its case; a later
    one stating the same duty (``duty_digest``) joins it, and the acts on its document
    reach that case."""
    first: dict[str, str] = {}
    out: dict[tuple[int, str], str] = {}
    for rec in sorted(records, key=lambda r: r.seq):
        ref = rec.event.reference
        for d in rec.decision.duties:
            if d.due is None or ref is None:
                continue
            digest = duty_digest(d, ref)
            if digest is None or rec.sender not in (None, *d.counterparties, d.obligated):
                continue  # the store looks for siblings among these senders only
            cid = case_id(rec.sender, ref, d.rule_id, d.obligated)
            stands = first.setdefault(digest, cid)
            if stands != cid:
                out[(rec.seq, cid)] = stands
    return out


def fold_case(seed: Case, acts: Sequence[Act], as_of: dt.date) -> Case | None:
    """One case as of ``as_of`` from its seed and the acts on its document, in any order:
    the same answer as ``fold`` of the whole log gives for it (None: not opened yet). An
    act counts from the record that opened the case on, in the log's order (event date,
    then sequence number), exactly as in ``fold``."""
    if seed.opened_on > as_of:
        return None
    if not acts:
        return _lapse(seed, as_of)
    start = (seed.opened_on, seed.opened_seq)
    ordered = [a for a in sorted(acts, key=lambda a: (a.date, a.seq)) if a.date <= as_of]
    case = corrected(seed, [a for a in ordered if a.kind == CORRECTED])
    for act in ordered:
        if act.kind != CORRECTED and (act.date, act.seq) >= start and _applies(case, act):
            case = _step(case, act)
    return _lapse(case, as_of)


def correction_act(rec: Record) -> Act:
    """A receipt correction as the fold reads it: ``reply_by`` is the due date the engine
    counted from the corrected day, kept in the record's decision when it was recorded."""
    return replace(act_of(rec.seq, rec.event), reply_by=corrected_due(rec.decision.duties))


def corrected_due(duties: Iterable[DecidedDuty]) -> dt.date | None:
    """The due date a receipt correction's decision carries (the tracker refuses one
    whose duties disagree on it)."""
    return next((d.due for d in duties if d.due is not None), None)


def corrected(seed: Case, corrections: Iterable[Act]) -> Case:
    """The seed of a case with the corrections of its request's receipt applied (those
    from its opening record on that apply to it, in the log's order; the last one's due
    date counts). Each leaves a history line, so the case's history — and a calendar
    event's SEQUENCE — grows with every correction."""
    start = (seed.opened_on, seed.opened_seq)
    case = seed
    for act in corrections:
        if (act.date, act.seq) < start or act.reply_by is None or not _applies(case, act):
            continue
        entry = HistoryEntry(
            act.seq,
            act.date,
            "receipt_corrected",
            f"receipt date corrected: due {case.due.isoformat()} → {act.reply_by.isoformat()}",
        )
        case = _evolve(case, due=act.reply_by, original_due=act.reply_by,
                       history=(*case.history, entry))  # fmt: skip
    return case


# --- views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartyStatus:
    """What a body owes and is owed as of a date: the clerk's morning question."""

    party: str | None
    as_of: dt.date
    owes: tuple[Case, ...]
    due_soon: tuple[Case, ...]
    overdue: tuple[Case, ...]
    owed_to: tuple[Case, ...]
    consent: tuple[Case, ...]
    escalated: tuple[Case, ...]


def involves(case: Case, party: str | None) -> bool:
    return party is None or case.obligated == party or party in case.counterparties


def status(
    cases: Iterable[Case], party: str | None, as_of: dt.date, *, soon_days: int = 3
) -> PartyStatus:
    """Group the cases a body is party to. ``due_soon``: open, due within ``soon_days``
    calendar days; ``overdue``: open past the due date (only where silence is not consent);
    ``consent``: every case that became consent by silence."""

    def key(c: Case) -> tuple[dt.date, str]:
        return (c.due, c.id)

    mine = sorted((c for c in cases if involves(c, party)), key=key)
    owes = [c for c in mine if c.is_open and (party is None or c.obligated == party)]
    return PartyStatus(
        party=party,
        as_of=as_of,
        owes=tuple(owes),
        due_soon=tuple(
            c
            for c in owes
            if c.state is not CaseState.OVERDUE and (c.due - as_of).days <= soon_days
        ),
        overdue=tuple(c for c in owes if c.state is CaseState.OVERDUE),
        owed_to=tuple(
            c for c in mine if c.is_open and (party is None or party in c.counterparties)
        ),
        consent=tuple(c for c in mine if c.state is CaseState.CONSENT),
        escalated=tuple(c for c in mine if c.state is CaseState.ESCALATED),
    )


def case_to_json(c: Case) -> dict[str, Any]:
    """The JSON form of a case (CLI ``--json`` and the HTTP service share it)."""

    def day(d: dt.date | None) -> str | None:
        return d.isoformat() if d else None

    return {
        "id": c.id,
        "rule_id": c.rule_id,
        "obligated": c.obligated,
        "counterparties": list(c.counterparties),
        "requester": c.requester,
        "reference": c.reference,
        "summary": c.summary,
        "opened_on": day(c.opened_on),
        "original_due": day(c.original_due),
        "due": day(c.due),
        "due_provisional": c.due_provisional,
        "silence_means": c.silence_means,
        "state": c.state.value,
        "state_vi": STATE_VI[c.state],
        "consent_since": day(c.consent_since),
        "closed_on": day(c.closed_on),
        "successions": [x.to_json() for x in c.successions],
        "history": [
            {
                "seq": h.seq if h.seq >= 0 else None,
                "date": day(h.date),
                "kind": h.kind,
                "text": h.text,
            }
            for h in c.history
        ],
    }


def status_to_json(s: PartyStatus) -> dict[str, Any]:
    """The status as JSON: one list per group and ``counts`` (cases per group), the one
    shape of ``quyche track status --json`` and ``GET /v1/track/status``."""
    groups = ("owes", "due_soon", "overdue", "owed_to", "consent", "escalated")
    return {
        "party": s.party,
        "as_of": s.as_of.isoformat(),
        **{g: [case_to_json(c) for c in getattr(s, g)] for g in groups},
        "counts": {g: len(getattr(s, g)) for g in groups},
    }
