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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.engine import URL, Engine

from quyche_rules.engine.engine import Engine as RulesEngine
from quyche_rules.errors import QuycheError
from quyche_rules.model.event_checks import parse_event
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.rulebook.loader import Rulebook
from quyche_rules.tracker.authority import Actor, CaseParties, check_actor, check_moves
from quyche_rules.tracker.model import (
    SENDER_FIELD,
    Case,
    CaseState,
    DecidedDuty,
    Decision,
    PartyStatus,
    Record,
    TrackerError,
    act_of,
    case_id,
    fold_case,
    request_key,
    sender_of,
    status,
    targets_of,
)
from quyche_rules.tracker.rows import NewRecord
from quyche_rules.tracker.store import AppendHook, Store

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
        """Validate and decide, without I/O: everything that can refuse the event is here
        (but the cases it may move, checked in the writing transaction: ``authority``),
        so a refused event writes nothing."""
        ev = self._parse(data)
        check_actor(actor, sender_of(ev), _sender_field(ev), self._parties)
        duties = tuple(DecidedDuty.of(o) for o in self.engine.who_must_be_notified(ev))
        decision = Decision(duties, self.rulebook_hash, self.engine_version)
        sender = sender_of(ev)
        with_due = [d for d in duties if d.due is not None]
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
            act=act_of(0, ev) if tkeys else None,
            summary=ev.summary,
        )

    def record(
        self, data: Mapping[str, Any] | BaseModel, *, actor: Actor | None = None
    ) -> Recorded:
        """Record one event. Idempotent: the same document (sender + reference) again
        returns the first record; different content under the same reference is refused.
        Returns only once the record is committed.

        ``actor``: who records (``authority.Actor``); None is the local operator of the
        database. Either way the event's sender must hold the role ``authority.MAY_MOVE``
        gives in every case it acts on, else ``AuthorityError`` and nothing is written."""
        new = self.prepare(data, actor=actor)
        seq, created = self.store.append(new, self.clock(), self._guard)
        acts_on = tuple(self.store.cases_of(new.targets)) if new.targets else ()
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
        position = {id(n): i for i, n in enumerate(prepared)}

        def guard(new: NewRecord, found: list[CaseParties]) -> None:
            try:
                self._guard(new, found)
            except QuycheError as exc:
                raise type(exc)(f"[{position[id(new)]}] {exc}") from None

        done = self.store.append_many(prepared, self.clock(), guard)
        return [
            Recorded(
                seq=seq,
                created=created,
                event_type=new.event_type,
                event_date=new.event_date,
                opened=tuple(cid for cid, _ in new.cases),
                acts_on=(),
                no_due=tuple(
                    d.rule_id
                    for d in new.decision.duties
                    if d.due is None and d.silence_means is not None
                ),
            )
            for new, (seq, created) in zip(prepared, done, strict=True)
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
                for seed, acts in self.store.facts(party=pid, as_of=day)
                if (c := fold_case(seed, acts, day)) is not None
            ]
            return sorted(out, key=lambda c: (c.due, c.id))

    def status(self, party: str | None = None, as_of: dt.date | None = None) -> PartyStatus:
        day = as_of or self.today()
        pid = self._party(party)
        return status(self.cases(party=pid, as_of=day), pid, day)

    def case(self, cid: str, as_of: dt.date | None = None) -> Case:
        """One case with its full history (by id or an unambiguous prefix of it)."""
        found = self.store.case_ids(cid)
        if len(found) != 1:
            why = "no such case" if not found else "ambiguous prefix"
            raise TrackerError(f"case: {why}: {cid!r}")
        day = as_of or self.today()
        got = [
            c
            for seed, acts in self.store.facts(case=found[0], as_of=day)
            if (c := fold_case(seed, acts, day)) is not None
        ]
        if not got:
            raise TrackerError(f"case: {found[0]} does not exist yet on {day.isoformat()}")
        return got[0]

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
