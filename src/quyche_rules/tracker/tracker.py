"""``Tracker``: record events, run each through the engine once, answer "as of" queries.

The engine decides (once, at recording time, and the decision is stored with the rulebook
hash and engine version that produced it); ``model.fold`` derives every state from the log;
the store only persists. A clock is injected: it stamps ``recorded_at`` and gives the
default "as of" date (today in Vietnam, UTC+7, where the bodies work).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.engine import URL, Connection, Engine

from quyche_rules.engine.engine import Engine as RulesEngine
from quyche_rules.errors import QuycheError
from quyche_rules.model.event_checks import parse_event
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.rulebook.loader import Rulebook
from quyche_rules.tracker.authority import Actor, CaseParties, check_actor, check_moves
from quyche_rules.tracker.model import (
    CORRECTED,
    SENDER_FIELD,
    Act,
    Case,
    CaseState,
    DecidedDuty,
    Decision,
    PartyStatus,
    Record,
    TrackerError,
    act_of,
    case_id,
    corrected_due,
    fold_case,
    request_key,
    sender_of,
    status,
    targets_of,
)
from quyche_rules.tracker.rederive import Memo, rederive
from quyche_rules.tracker.rows import NewRecord
from quyche_rules.tracker.status_page import StatusPage, status_page
from quyche_rules.tracker.store import AppendHook, Store
from quyche_rules.tracker.succession import (
    ended_parties,
    endings,
    last_days,
    with_ends,
    with_successions,
)

#: what a caller writes in a record's own transaction, given the connection and the record
Then = Callable[[Connection, "Recorded"], None]

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def rulebook_hash(book: Rulebook) -> str:
    """The content hash of the rulebook that decides (``Rulebook.content_hash``: sha256 of
    every file it was loaded from), recorded with each decision."""
    return book.content_hash


def engine_version(engine: RulesEngine) -> str:
    try:
        version = importlib_metadata.version("quyche-rules")
    except importlib_metadata.PackageNotFoundError:  # pragma: no cover - source checkout
        version = "unknown"
    backend = type(engine.backend).__name__.removesuffix("Backend").lower()
    return f"quyche-rules {version} ({backend})"


@dataclass(frozen=True)
class Recorded:
    """What ``Tracker.record`` acknowledges: the log entry, whether it is new, the cases it
    opened and the recorded cases it acts on (an answer, extension...)."""

    seq: int
    created: bool
    event_type: str
    event_date: dt.date
    opened: tuple[str, ...]
    acts_on: tuple[str, ...]
    no_due: tuple[str, ...]  # rule ids whose due date could not be computed
    #: cases of other documents this record's duties joined: the same duty (basis,
    #: parties, duty, reference) was already followed there, so no second case opened
    joined: tuple[str, ...] = ()


class Tracker:
    """Follows every duty with a deadline to its end, in a database (see ``store``)."""

    def __init__(
        self,
        db: str | Path | URL | Engine | None = None,
        *,
        engine: RulesEngine | None = None,
        clock: Clock = utc_now,
        on_append: Sequence[AppendHook] = (),
    ) -> None:
        self.engine = engine or RulesEngine()
        # on_append: what an upper layer writes in each record's transaction (the outbox)
        self.store = Store(db, on_append=on_append)
        self.clock = clock
        self.rulebook_hash = rulebook_hash(self.engine.rulebook)
        self.engine_version = engine_version(self.engine)
        # the engine's registry: a profile's concrete bodies are parties of the tracker too
        self._parties = self.engine.parties
        self._ended = ended_parties(self._parties)
        self._last_days = last_days(self._parties)
        self._endings = endings(self._parties)  # with the successors: what the fold reads
        self._recounted: dict[str, bool] = {}  # per provisional case: rederive moves it
        self._due_memo: Memo = {}  # rederive's answers: the engine never changes

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def today(self) -> dt.date:
        return self.clock().astimezone(VIETNAM).date()

    def _parse(self, data: Any) -> Any:
        return parse_event(data, registry=self._parties)

    def _parse_stored(self, data: Any) -> Any:
        """A stored event: validated when recorded, so its own model validates it directly
        (no discriminated-union dispatch); a model removed since would fail loudly here."""
        model = EVENT_TYPES.get(str(data.get("type"))) if isinstance(data, dict) else None
        if model is None:
            return self._parse(data)
        return model.model_validate(data, context={"registry": self._parties})

    # --- writing ----------------------------------------------------------------------------

    def prepare(
        self, data: Mapping[str, Any] | BaseModel, *, actor: Actor | None = None
    ) -> NewRecord:
        """Validate and decide, without writing: everything that can refuse the event is
        here (but the cases it may move, checked in the writing transaction:
        ``authority``), so a refused event writes nothing. No I/O, except one read for a
        receipt correction (the request it corrects, ``_redecide``)."""
        if self.engine.profile is not None:  # the regulation's end before its bodies' ends
            self.engine.profile.check_raw_date(data)
        ev = self._parse(data)
        check_actor(actor, sender_of(ev), _sender_field(ev), self._parties)
        if ev.type == CORRECTED:
            duties = self._redecide(ev)
        else:
            duties = tuple(DecidedDuty.of(o) for o in self.engine.who_must_be_notified(ev))
        decision = Decision(duties, self.rulebook_hash, self.engine_version)
        sender = sender_of(ev)
        with_due = [d for d in duties if d.due is not None] if ev.type != CORRECTED else []
        if with_due and ev.reference is None:
            raise TrackerError(
                "reference: required: this event opens a case with a deadline "
                f"({with_due[0].rule_id}) and answers find it by its reference"
            )
        if ev.type == "coordination_extension_needed" and ev.reply_by and not ev.in_reply_to:
            raise TrackerError("in_reply_to: required to move the due date of a request")
        # canonical: the model's field order, no absent fields (the same event always gives
        # the same bytes, which is what the idempotency check compares)
        event_json = ev.model_dump_json(exclude_none=True)
        if ev.reference is not None:
            doc_key = request_key(sender, ev.reference)
        else:
            doc_key = hashlib.sha256(event_json.encode()).hexdigest()
        tkeys = tuple(targets_of(ev))
        return NewRecord(
            doc_key=doc_key,
            event_type=ev.type,
            sender=sender,
            reference=ev.reference,
            event_date=ev.date,
            event_json=event_json,
            decision=decision,
            targets=tkeys,
            cases=tuple(
                (case_id(sender, ev.reference, d.rule_id, d.obligated), d) for d in with_due
            ),
            act=_act(ev, duties) if tkeys else None,
            summary=ev.summary,
        )

    def _redecide(self, ev: Any) -> tuple[DecidedDuty, ...]:
        """A receipt correction's decision: the engine's duties for the recorded request
        with the corrected ``received_on`` (the due dates counted again from it, on the
        same rulebook and calendar as any request). Reads the request from the store (the
        one read ``prepare`` makes); refuses, naming the field, a correction of a request
        that was not recorded, names another body or opened no case, and one whose due
        date would change between provisional and not (a case keeps that flag: see
        ``docs/delivery-and-audit.md``)."""
        ref = ev.in_reply_to
        found = self.store.document(request_key(ev.requester, ref))
        if found is None or found[0] != "coordination_requested":
            raise TrackerError(
                f"in_reply_to: không có văn bản đề nghị {ref!r} của {ev.requester} đã ghi / "
                f"no coordination_requested {ref!r} from {ev.requester} is recorded"
            )
        _, event_json, opened = found
        stored = json.loads(event_json)
        if stored.get("requested") != ev.requested:
            raise TrackerError(
                f"requested: văn bản {ref!r} gửi {stored.get('requested')}, không phải "
                f"{ev.requested} / the request was sent to {stored.get('requested')!r}"
            )
        if not opened:
            raise TrackerError(
                f"in_reply_to: văn bản {ref!r} không mở hồ sơ có hạn nào để đính chính / "
                f"the request {ref!r} opened no case with a due date to correct"
            )
        try:
            request = self._parse({**stored, "received_on": ev.received_on.isoformat()})
        except QuycheError as exc:
            raise TrackerError(f"received_on: {exc}") from None
        duties = tuple(DecidedDuty.of(o) for o in self.engine.who_must_be_notified(request))
        timed = {(d.due, d.due_provisional) for d in duties if d.due is not None}
        if len(timed) != 1:
            raise TrackerError(
                f"received_on: counted from {ev.received_on.isoformat()} the request's duties "
                f"have {len(timed)} due dates; a correction moves one"
            )
        ((due, provisional),) = timed
        if any(p != provisional for _, p in opened):
            raise TrackerError(
                f"received_on: the due date counted from {ev.received_on.isoformat()} "
                f"({due.isoformat()}) is {'' if provisional else 'not '}provisional, the "
                "recorded one is the other way; record a withdrawal and a new request"
            )
        return duties

    def record(
        self,
        data: Mapping[str, Any] | BaseModel,
        *,
        actor: Actor | None = None,
        then: Then | None = None,
    ) -> Recorded:
        """Record one event. Idempotent: the same document (sender + reference) again
        returns the first record; different content under the same reference is refused.
        Returns only once the record is committed.

        ``actor``: who records (``authority.Actor``); None is the local operator of the
        database. Either way the event's sender must hold the role ``authority.MAY_MOVE``
        gives in every case it acts on, else ``AuthorityError`` and nothing is written.

        ``then(conn, recorded)``: written in the record's own transaction (the service's
        decision-log entry): both commit, or neither. ``self.case(..., conn=conn)`` reads
        the cases as that transaction sees them."""
        new = self.prepare(data, actor=actor)
        done: list[Recorded] = []

        def also(conn: Connection, seq: int, created: bool, written: NewRecord) -> None:
            done.clear()
            done.append(self._recorded(written, seq, created, conn))
            if then is not None:
                then(conn, done[0])

        self.store.append(new, self.clock(), self._guard, also)
        return done[0]

    def _recorded(self, new: NewRecord, seq: int, created: bool, conn: Connection) -> Recorded:
        """What ``record`` answers, read in the writing transaction; ``new`` is the record
        as written (a restated duty names the case it joined)."""
        acts_on = tuple(self.store.cases_of(new.targets, conn)) if new.targets else ()
        return Recorded(
            seq=seq,
            created=created,
            event_type=new.event_type,
            event_date=new.event_date,
            opened=tuple(cid for cid, _ in new.cases),
            acts_on=acts_on,
            no_due=tuple(
                d.rule_id
                for d in new.decision.duties
                if d.due is None and d.silence_means is not None
            ),
            joined=tuple(self.store.cases_of(new.joins, conn)) if new.joins else (),
        )

    def record_many(
        self, batch: Sequence[Mapping[str, Any] | BaseModel], *, actor: Actor | None = None
    ) -> list[Recorded]:
        """Record a batch (an import of a backlog) in one transaction: every event is
        validated and decided first, so one bad event records nothing of the batch; the
        error names its position (``[i] field: ...``). ``actor`` as for ``record``."""
        prepared = []
        for i, data in enumerate(batch):
            try:
                prepared.append(self.prepare(data, actor=actor))
            except QuycheError as exc:
                raise type(exc)(f"[{i}] {exc}") from None
        position: dict[str, int] = {}
        for i, n in enumerate(prepared):  # by document: the store may rewrite a record
            position.setdefault(n.doc_key, i)

        def guard(new: NewRecord, found: list[CaseParties]) -> None:
            try:
                self._guard(new, found)
            except QuycheError as exc:
                raise type(exc)(f"[{position[new.doc_key]}] {exc}") from None

        done = self.store.append_many_records(prepared, self.clock(), guard)
        return [
            Recorded(
                seq=seq,
                created=created,
                event_type=new.event_type,
                event_date=new.event_date,
                opened=tuple(cid for cid, _ in written.cases),
                acts_on=(),
                no_due=tuple(
                    d.rule_id
                    for d in new.decision.duties
                    if d.due is None and d.silence_means is not None
                ),
            )
            for new, (seq, created, written) in zip(prepared, done, strict=True)
        ]

    def _guard(self, new: NewRecord, found: list[CaseParties]) -> None:
        check_moves(new.sender, new.act, found, self._parties)

    # --- reading ----------------------------------------------------------------------------

    def cases(self, *, party: str | None = None, as_of: dt.date | None = None) -> list[Case]:
        """Every case (of ``party``) as of a date, by due date: each folded from its facts
        in the store's projection (``model.fold_case``), the same answer as the fold of
        the whole log."""
        day = as_of or self.today()
        pid = self._party(party)
        with _gc_paused():
            out = [
                c
                for seed, acts in self._facts(party=pid, as_of=day)
                if (c := fold_case(seed, acts, day)) is not None
            ]
            out = self._said(out, day)
            return sorted(out, key=lambda c: (c.due, c.id))

    def status(self, party: str | None = None, as_of: dt.date | None = None) -> PartyStatus:
        day = as_of or self.today()
        pid = self._party(party)
        return status(self.cases(party=pid, as_of=day), pid, day)

    def status_page(
        self,
        party: str | None = None,
        as_of: dt.date | None = None,
        *,
        group: str = "owes",
        limit: int = 50,
        after: tuple[dt.date, str] | None = None,
    ) -> StatusPage:
        """One page of one group of ``status`` and every group's count, computed by the
        database (``status_page``): a large body's first page without folding all its
        cases."""
        day = as_of or self.today()
        pid = self._party(party)
        page = status_page(
            self.store,
            pid,
            day,
            group=group,
            limit=limit,
            after=after,
            refresh=self.refresh,
            recount=self._recount,
            ends=self._last_days,
        )
        return replace(page, cases=tuple(self._said(list(page.cases), day)))

    def case(
        self, cid: str, as_of: dt.date | None = None, *, conn: Connection | None = None
    ) -> Case:
        """One case with its full history (by id or an unambiguous prefix of it); with
        ``conn``, as that transaction sees it (``record``'s ``then``)."""
        found = self.store.case_ids(cid, conn)
        if len(found) != 1:
            why = "no such case" if not found else "ambiguous prefix"
            raise TrackerError(f"case: {why}: {cid!r}")
        day = as_of or self.today()
        got = [
            c
            for seed, acts in self._facts(case=found[0], as_of=day, conn=conn)
            if (c := fold_case(seed, acts, day)) is not None
        ]
        if not got:
            raise TrackerError(f"case: {found[0]} does not exist yet on {day.isoformat()}")
        return self._said(got, day)[0]

    def _facts(
        self,
        *,
        party: str | None = None,
        case: str | None = None,
        as_of: dt.date,
        conn: Connection | None = None,
    ) -> list[tuple[Case, list[Act]]]:
        """The store's facts, with provisional due dates counted again on the engine's
        calendar (``rederive``: on read, so a recorded arrangement applies at once)."""
        return self.refresh(self.store.facts(party=party, case=case, as_of=as_of, conn=conn))

    def refresh(
        self, pairs: list[tuple[Case, list[Act]]], *, conn: Connection | None = None
    ) -> list[tuple[Case, list[Act]]]:
        """What the tracker does to the store's facts before folding them: every reader of
        the cases (the delivery sweep and outbox too) folds them through this, so all see
        one case. Provisional due dates are counted again on the engine's calendar
        (``rederive``), and a case owed by a body the profile ends knows that body's last
        day (no consent by silence after it) and its successors (whose answer settles it:
        ``succession.with_ends``). With ``conn``, reads in that (writing) transaction."""
        return with_ends(self._rederive(pairs, conn), self._endings)

    def _rederive(
        self, pairs: list[tuple[Case, list[Act]]], conn: Connection | None = None
    ) -> list[tuple[Case, list[Act]]]:
        """Provisional due dates counted again on the engine's calendar (``rederive``)."""
        return rederive(
            pairs,
            lambda seqs: self.store.events_of(seqs, conn),
            lambda js: self._parse_stored(json.loads(js)),
            self.engine.due_of,
            self._due_memo,
        )

    def _recount(self, conn: Connection, ids: Sequence[str]) -> set[str]:
        """Which of these cases with a provisional due date ``rederive`` changes now.
        Remembered per case for the tracker's life: the answer depends only on the case's
        opening record (never rewritten) and the engine's calendar (loaded once), so a
        status page counts a body's provisional cases in the database and folds only those
        whose due date really moved, instead of all of them on every request."""
        todo = [cid for cid in ids if cid not in self._recounted]
        if todo:
            pairs = self.store.facts(ids=todo, as_of=dt.date.max, conn=conn)
            for (seed, _), (again, _) in zip(pairs, self._rederive(pairs, conn), strict=True):
                moved = (again.due, again.due_provisional) != (seed.due, seed.due_provisional)
                self._recounted[seed.id] = moved
        return {cid for cid in ids if self._recounted.get(cid, True)}

    def _said(self, cases: list[Case], day: dt.date) -> list[Case]:
        """What the profile adds to folded cases on reading: who inherits an open case of
        an ended party (``succession``)."""
        if not self._ended:
            return cases
        return with_successions(cases, self._parties, day, self._ended)

    def log(self) -> list[Record]:
        """The whole log, in recording order."""
        return self.store.all_records(self._parse_stored)

    def ics(self, party: str, as_of: dt.date | None = None) -> bytes:
        """An iCalendar feed of the open deadlines ``party`` owes or is owed: one all-day
        event per case on its due date, UID stable per case (an extension moves the event
        in the subscriber's calendar instead of adding one)."""
        from icalendar import Calendar
        from icalendar import Event as VEvent

        day = as_of or self.today()
        st = self.status(party, day)
        cal = Calendar()
        cal.add("prodid", "-//quyche-rules//tracker//VI")
        cal.add("version", "2.0")
        cal.add("x-wr-calname", f"Hạn phối hợp: {self.name(st.party)}")
        stamp = self.clock().astimezone(dt.UTC)
        seen: set[str] = set()
        for c in (*st.owes, *st.owed_to):
            if c.id in seen:
                continue
            seen.add(c.id)
            ve = VEvent()
            ve.add("uid", f"{c.id}@quyche-rules")
            ve.add("dtstamp", stamp)
            ve.add("dtstart", c.due)
            ve.add("dtend", c.due + dt.timedelta(days=1))
            ve.add(
                "summary",
                f"Hạn trả lời {c.reference}: {self.name(c.obligated)} → {self.name(c.requester)}",
            )
            ve.add(
                "description",
                f"{c.rule_id}; trạng thái: {c.state.value}; hạn ban đầu "
                f"{c.original_due.isoformat()}" + ("; hạn tạm tính" if c.due_provisional else ""),
            )
            ve.add("status", "TENTATIVE" if c.due_provisional else "CONFIRMED")
            cal.add_component(ve)
        return bytes(cal.to_ical())

    # --- helpers ----------------------------------------------------------------------------

    def _party(self, party: str | None) -> str | None:
        if party is None:
            return None
        try:
            return self._parties.resolve(party).id
        except KeyError:
            raise TrackerError(f"party: unknown party {party!r}") from None

    def name(self, pid: str | None) -> str:
        if pid is None:
            return "mọi cơ quan"
        try:
            return self._parties.resolve(pid).name_vi
        except KeyError:
            return pid


def _act(ev: Any, duties: Sequence[DecidedDuty]) -> Act:
    """What the event does to the cases it targets; a correction carries its due date."""
    act = act_of(0, ev)
    return replace(act, reply_by=corrected_due(duties)) if ev.type == CORRECTED else act


def _sender_field(event: Any) -> str:
    """The name of the field ``sender_of`` read (for a one-line refusal)."""
    named = SENDER_FIELD.get(event.type)
    if named is not None:
        return str(named)
    value = sender_of(event)
    for name in type(event).model_fields:
        if name != "type" and value is not None and getattr(event, name, None) == value:
            return str(name)
    return "type"


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a query builds its cases: tens of
    thousands of new, acyclic objects (rows, cases, history entries) otherwise trigger
    full collections that scan them all again and again — measured, this halved the CPU
    time of a status over 11k cases. Reference counting still frees everything; the
    collector resumes (if it was on) when the block ends, even on an error."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


__all__ = ["CaseState", "Recorded", "Tracker", "TrackerError", "rulebook_hash"]
