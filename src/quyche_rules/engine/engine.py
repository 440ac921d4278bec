"""The engine: compiles the rulebook once, then answers queries without keeping state.

Flow: event (validated) → fact (only the fields the rules test) → backend (durable-rules or
Python) → fired rule keys → obligations (parties expanded, deadline computed).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel

from quyche_rules.calendar.working_days import WorkingCalendar
from quyche_rules.engine.backends import (
    MEMO_SIZE,
    Backend,
    CompiledTrigger,
    DurableBackend,
    Fact,
    PythonBackend,
    durable_missing,
    durable_version,
)
from quyche_rules.engine.due import Due, count_due
from quyche_rules.engine.facts import compile_triggers, fact_value, get_field, projection
from quyche_rules.errors import QuycheError, excerpt
from quyche_rules.io import resources
from quyche_rules.model.basis import Basis
from quyche_rules.model.event_checks import parse_event, party_fields
from quyche_rules.model.obligations import (
    BasisOut,
    Explanation,
    Obligation,
    ObligationTemplate,
    PartyOut,
    duty_vi,
    form_vi,
    merge_duties,
)
from quyche_rules.model.parties import PartyKind, PartyRegistry
from quyche_rules.rulebook.conditions import describe
from quyche_rules.rulebook.loader import Rule, Rulebook, load_rulebook

if TYPE_CHECKING:  # imported where used: a query without a profile or an explanation pays
    # for neither (the command's start-up, docs/performance.md)
    from quyche_rules.engine.whynot import WhyNot
    from quyche_rules.model.profiles import Profile, ProfileRef

BackendName = Literal["auto", "durable", "python"]

_log = logging.getLogger(__name__)
_fallback_logged = False  # the fallback is announced once per process, not per engine
_fallback_lock = threading.Lock()


@dataclass(frozen=True)
class BackendInUse:
    """Which matcher answers and why. ``quyche --version``, receipts and ``/healthz`` show
    it, so the pure-Python fallback is never mistaken for durable-rules, the engine of
    record (on Python ≥ 3.13 durable-rules needs ``scripts/install-durable-rules``)."""

    name: Literal["durable", "python"]
    #: one line in English (a stable JSON field): ``requested``, or ``auto: …``
    reason: str
    #: the same in Vietnamese, for people
    reason_vi: str


def choose_backend(requested: BackendName = "auto") -> BackendInUse:
    """The backend ``Engine(backend=requested)`` uses. ``durable`` without durable-rules is
    refused (one line saying how to install it); ``auto`` falls back to ``python`` and
    logs one warning per process."""
    global _fallback_logged
    if requested == "python":
        return BackendInUse("python", "requested", "được yêu cầu")
    missing = durable_missing()
    if requested == "durable":
        if missing is not None:
            raise QuycheError(f"backend durable: {missing}")
        return BackendInUse("durable", "requested", "được yêu cầu")
    if missing is None:
        v = durable_version() or "?"
        return BackendInUse(
            "durable",
            f"auto: durable-rules {v} is installed",
            f"tự chọn: durable-rules {v} đã được cài",
        )
    with _fallback_lock:
        if not _fallback_logged:
            _fallback_logged = True
            _log.warning("backend auto → python (không có durable-rules): %s", missing)
    return BackendInUse(
        "python",
        f"auto: {missing}",
        "tự chọn: durable-rules không dùng được trên Python này "
        "(scripts/install-durable-rules cài nó)",
    )


#: bound of an engine's memo of computed deadlines (see ``Engine._due``)
DUE_MEMO_SIZE = 8192


@dataclass(frozen=True)
class DutyEntry:
    """One rule binding a party, and how: by name, as a member of a class, or when an
    event names the party in a given field."""

    rule: Rule
    binds_as: str
    #: the links from the party to the rule's obligated body, as (relation, party id) with
    #: relation ``acts for`` or ``member of``; empty when named or bound through an event
    via: tuple[tuple[str, str], ...] = ()


class Engine:
    """Answers "who must do what towards whom" for events.

    Instances are independent (each compiles its own ruleset), safe to share between
    threads, and deterministic: obligations come sorted by article, clause, point, rule
    id and obligated party.

    Lifecycle: ``close()`` (or ``with Engine() as e:``) frees the durable-rules ruleset at
    once; an engine that is simply dropped frees it when collected. Queries on a closed
    durable engine raise ``QuycheError``. Engines survive ``os.fork()``: the child gets a
    fresh lock and ruleset (see ``backends.DurableBackend``).
    """

    def __init__(
        self,
        rulebook: Rulebook | None = None,
        *,
        backend: BackendName = "auto",
        calendar: WorkingCalendar | None = None,
        profile: ProfileRef = None,
        rules_dir: str | os.PathLike[str] | None = None,
        durable_memo: int = MEMO_SIZE,
    ) -> None:
        """``rules_dir`` loads another rules directory (default: ``$QUYCHE_RULES_DIR``,
        else the packaged rules); its ``calendar/`` is used when present. ``backend`` is
        one of ``auto``, ``durable``, ``python``; anything else is refused.
        ``durable_memo`` bounds the durable backend's memo of answers by projected fact
        (0 turns it off; see ``DurableBackend.match``)."""
        if rulebook is not None and not isinstance(rulebook, Rulebook):
            raise QuycheError(f"rulebook: must be a Rulebook, got {type(rulebook).__name__}")
        if rulebook is not None and rules_dir is not None:
            raise QuycheError("rules_dir: give a rulebook or a rules directory, not both")
        if calendar is not None and not isinstance(calendar, WorkingCalendar):
            raise QuycheError(f"calendar: must be a WorkingCalendar, got {type(calendar).__name__}")
        if not isinstance(backend, str) or backend not in get_args(BackendName):
            raise QuycheError(
                f"backend: must be one of {', '.join(get_args(BackendName))}, "
                f"got {excerpt(backend)}"
            )
        self.rulebook = rulebook if rulebook is not None else load_rulebook(rules_dir)
        if calendar is None and rules_dir is not None:
            own = resources.rules_file(resources.CALENDAR, self.rulebook.directory)
            calendar = WorkingCalendar(own) if own.is_file() else None
        self.calendar = calendar or WorkingCalendar()
        # a deployment profile (issue 8) adds a province's concrete bodies below the
        # regulation's parties; conditions are widened over them at compile time
        self.profile: Profile | None = None
        if profile is not None:
            from quyche_rules.model.profiles import as_profile

            self.profile = as_profile(profile, self.rulebook.parties)
        self.parties: PartyRegistry = (
            self.profile.registry if self.profile is not None else self.rulebook.parties
        )
        self.triggers = compile_triggers(self.rulebook, self.parties)
        self._by_key = {t.key: t for t in self.triggers}
        self._written = {  # the conditions as the rule files write them, for explanations
            f"{r.id}#{i}": describe(t.condition) if t.condition is not None else None
            for r in self.rulebook
            for i, t in enumerate(r.event_triggers)
        }
        self._fields = {k: tuple(sorted(v)) for k, v in projection(self.triggers).items()}
        # output pieces are immutable: build them once, not per query
        self._party_out = {p.id: PartyOut.of(p) for p in self.parties}
        self._basis_out = {r.id: BasisOut.of(r.basis) for r in self.rulebook}
        # issue 10: per (rule, trigger), everything of an obligation that does not depend on
        # the event, built once; a query fills only parties and due date
        self._templates = {t.key: self._template(t) for t in self.triggers}
        self._due_memo: dict[
            tuple[str, Any, Any, int], tuple[dt.date | None, str | None, bool]
        ] = {}
        self._order = {
            rid: n for n, rid in enumerate(sorted(self.rulebook.rules, key=self._rule_sort))
        }
        #: which backend answers and why (``quyche --version``, receipts, ``/healthz``)
        self.backend_choice = choose_backend(backend)
        self.backend: Backend = (
            DurableBackend(self.triggers, memo_size=durable_memo)
            if self.backend_choice.name == "durable"
            else PythonBackend(self.triggers)
        )

    def close(self) -> None:
        """Free the backend's ruleset now (idempotent)."""
        backend = getattr(self, "backend", None)  # __init__ may have failed before it
        if backend is not None:
            backend.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _rule_sort(self, rid: str) -> tuple[Basis, str]:
        return (self.rulebook.rules[rid].basis, rid)

    # --- queries ----------------------------------------------------------------------------

    def fact(self, event: BaseModel) -> Fact:
        """The projected fact: the event type and the fields some rule tests, in a fixed
        (sorted) order, so equal events give equal facts (the durable memo's key)."""
        etype: str = event.type  # type: ignore[attr-defined]
        fact: Fact = {"type": etype}
        for name in self._fields.get(etype, ()):
            value = getattr(event, name)
            if value is not None:
                fact[name] = fact_value(value)
        return fact

    def who_must_be_notified(self, event: Any, *, merge: bool = True) -> list[Obligation]:
        """Every obligation the event gives rise to (notify, consult, invite, report…).

        ``merge=False`` keeps one obligation per rule even where two rules state the same
        duty (``duty_key``): what ``quyche rules check`` reads to find such rules."""
        if self.profile is not None:  # the regulation's own time first (signing, end)
            self.profile.check_raw_date(event)
        ev = parse_event(event, registry=self.parties)
        if self.profile is not None:
            self.profile.check_date(ev.date)
        fact = self.fact(ev)
        keys = self.backend.match(fact)
        first: dict[str, CompiledTrigger] = {}  # per rule, its first matching trigger
        for t in (self._by_key[k] for k in keys):
            if t.rule_id not in first or t.index < first[t.rule_id].index:
                first[t.rule_id] = t
        out: list[Obligation] = []
        for rid in sorted(first, key=self._order.__getitem__):
            out.extend(self._obligations(self._templates[first[rid].key], ev))
        if self.profile is not None:
            out = [self._flag_ended(o) for o in out]
        # one duty, one obligation: two rules stating the same duty for one event are given
        # once, with both rules' conditions (duty_key)
        return merge_duties(out) if merge and len(out) > 1 else out

    def _flag_ended(self, ob: Obligation) -> Obligation:
        """Flag a due date after the obligated body's ``valid_to`` (a profile's body ended
        in a reorganisation): the duty is not silently left to a body that no longer
        exists, nor turned into its consent."""
        end = self.parties.parties[ob.obligated.id].valid_to
        if ob.due is None or end is None or ob.due <= end:
            return ob
        return ob.model_copy(update={"obligated_ends_before_due": end})

    def duties_of(self, party: str) -> list[DutyEntry]:
        """Every rule that binds the party: by name, through a class it belongs to or a body
        it acts for (transitively: lãnh đạo Sở Y tế bears 13.8 acting for Sở Y tế, a member
        of the Bloc's agencies), or whenever an event names it (``@field`` rules such as
        Art. 3.1). A property test holds it to what events actually produce."""
        if not isinstance(party, str):
            raise QuycheError(f"party: must be a party id or name, got {type(party).__name__}")
        p = self.parties.resolve(party)
        ups = self.parties.up(p.id)
        out: list[DutyEntry] = []
        for rid in sorted(self.rulebook.rules, key=self._order.__getitem__):
            rule = self.rulebook.rules[rid]
            if rule.obligated == p.id:
                out.append(DutyEntry(rule, "named"))
            elif rule.obligated in ups:
                via = self._via(p.id, rule.obligated)
                out.append(DutyEntry(rule, ", ".join(f"{r} {q}" for r, q in via), via))
            elif rule.obligated.startswith("@"):
                out.append(DutyEntry(rule, f"when the event names it as {rule.obligated[1:]}"))
        return out

    def _via(self, pid: str, target: str) -> tuple[tuple[str, str], ...]:
        """How ``pid`` comes to bear a duty of ``target``: ``member of C`` when it is in the
        class directly, else the chain of acts-for / member-of links."""
        reg = self.parties
        if target in reg.direct_classes(pid):
            return (("member of", target),)
        path = [pid]
        cur = pid
        while cur != target:  # follow the first link that still leads to the target
            nxt = [
                q
                for q in (reg.parties[cur].acts_for, *sorted(reg.direct_classes(cur)))
                if q is not None and (q == target or target in reg.up(q))
            ]
            cur = nxt[0]
            path.append(cur)
        return tuple(
            ("acts for" if reg.parties[a].acts_for == b else "member of", b)
            for a, b in itertools.pairwise(path)
        )

    def explain_not(self, event: Any, rule_id: str) -> WhyNot:
        """Why ``rule_id`` did (not) fire for ``event``: per trigger of the rule, whether
        it matched and, if not, each condition that failed with the field, the event's
        value and the values needed (``whynot``). Structured, for programs; raises
        ``QuycheError`` (field ``rule_id``) for an unknown rule."""
        rule = self.rulebook.rules.get(rule_id) if isinstance(rule_id, str) else None
        if rule is None:
            raise QuycheError(f"rule_id: unknown rule id {excerpt(rule_id)}", code="unknown_rule")
        from quyche_rules.engine.whynot import why_not

        ev = parse_event(event, registry=self.parties)
        fired = any(o.rule_id == rule.id for o in self.who_must_be_notified(ev))
        etype: str = ev.type
        return why_not(rule, etype, self.fact(ev), self.parties, fired)

    def explain(self, obligation: Obligation) -> Explanation:
        if not isinstance(obligation, Obligation):
            raise QuycheError(f"obligation: must be an Obligation, got {type(obligation).__name__}")
        if obligation.rule_id not in self.rulebook.rules:
            raise QuycheError(f"obligation: unknown rule id {excerpt(obligation.rule_id)}")
        rule = self.rulebook.rules[obligation.rule_id]
        unit = self.rulebook.regulation.unit(rule.basis)
        return Explanation(
            rule_id=rule.id,
            basis=obligation.basis,
            quote=rule.quote,
            clause_text=unit.text if unit else "",
            conditions=obligation.conditions,
            note=rule.note,
            rule_file=rule.file,
            note_vi=rule.note_vi,
        )

    # --- building obligations ---------------------------------------------------------------

    def _parties(self, ref: str, ev: BaseModel) -> list[str]:
        if not ref.startswith("@"):
            return [ref]
        value = getattr(ev, ref[1:])
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    def _context(self, ev: BaseModel) -> tuple[set[str], set[str], set[str]]:
        """What the event says about *which* bodies are meant: every party it names, the
        Bloc agencies they belong to (or its ``agency`` field), and the districts (its
        ``district`` field, or the seats of the bodies it names)."""
        reg = self.parties
        named: set[str] = set()
        for name in party_fields(ev.type):  # type: ignore[attr-defined]
            value = get_field(ev, name)
            if value is None:
                continue
            named.update(value if isinstance(value, list) else [value])
        agency: str | None = get_field(ev, "agency")
        district: str | None = get_field(ev, "district")
        agencies = {agency} if agency else {a for n in named if (a := reg.agency_of(n))}
        if district:
            districts = {district}
        else:
            districts = {d for n in named if (d := reg.parties[n].seat_district)}
        return named, agencies, districts

    def _resolve(
        self, pid: str, ctx: tuple[set[str], set[str], set[str]]
    ) -> tuple[list[str], bool]:
        """A class resolved to the members the event points at: the members it names, else
        those of the agency it concerns, else those seated in its district. ``([], False)``
        means the event points at a member set that is empty (12.2: the agency has no đảng
        đoàn or ban cán sự đảng): nobody. ``([class], True)``: the event says nothing, the
        obligation keeps the class and is flagged ``unresolved_class``."""
        reg = self.parties
        if reg.parties[pid].kind is not PartyKind.CLASS:
            return [pid], False
        named, agencies, districts = ctx
        members = reg.members(pid)
        # a member the event names, or one that a named body acts for (Ban Thường vụ Huyện
        # ủy X names Huyện ủy X; lãnh đạo Sở Y tế names Sở Y tế)
        direct = [m for m in members if m in named or any(m in reg.up(n) for n in named)]
        if direct:
            return direct, False
        if agencies and any(reg.agency_of(m) for m in members):
            return [m for m in members if reg.agency_of(m) in agencies], False
        if districts and any(reg.parties[m].seat_district for m in members):
            return [m for m in members if reg.parties[m].seat_district in districts], False
        return [pid], True

    def _template(self, trig: CompiledTrigger) -> ObligationTemplate:
        """What one (rule, trigger) contributes to every obligation it yields, whatever the
        event: citation, duty, form, conditions, and the parties when the rule names them
        outright (no ``@field``, no class to resolve)."""
        rule = self.rulebook.rules[trig.rule_id]
        written = self._written[trig.key]
        refs = (rule.obligated, *rule.counterparties)
        fixed = all(
            not r.startswith("@") and self.parties.parties[r].kind is not PartyKind.CLASS
            for r in refs
        )
        return ObligationTemplate.of(
            rule_id=rule.id,
            basis=self._basis_out[rule.id],
            quote=rule.quote,
            duty=rule.duty,
            duty_vi=duty_vi(rule.duty),
            form=rule.form,
            form_vi=form_vi(rule.form),
            silence_means=rule.deadline.silence_means if rule.deadline is not None else None,
            event_type=trig.event_type,
            conditions=(f"type = {trig.event_type}",) + ((written,) if written is not None else ()),
            summary_en=rule.summary_en,
            note=rule.note,
            fixed_parties=self._fixed_parties(rule) if fixed else None,
            has_deadline=rule.deadline is not None,
            summary_vi=rule.summary_vi,
            note_vi=rule.note_vi,
        )

    def _fixed_parties(self, rule: Rule) -> tuple[tuple[PartyOut, tuple[PartyOut, ...]], ...]:
        """(obligated, counterparties) of a rule naming only concrete bodies: what
        ``_obligations`` computes for it, once."""
        counter_ids = list(dict.fromkeys(rule.counterparties))
        cps = tuple(self._party_out[c] for c in counter_ids if c != rule.obligated)
        return ((self._party_out[rule.obligated], cps),) if cps else ()

    def _obligations(self, tpl: ObligationTemplate, ev: BaseModel) -> tuple[Obligation, ...]:
        # the document each duty concerns (part of duty_key): the event's reference, set
        # as each obligation is built, never by copying a finished (or shared) one
        document: str | None = ev.reference  # type: ignore[attr-defined]
        if tpl.shared is not None and document is None:  # nothing depends on the event
            return tpl.shared
        rule = self.rulebook.rules[tpl.rule_id]
        due, computation, provisional = self._due(rule, ev) if tpl.has_deadline else (None,) * 3
        pairs: list[tuple[PartyOut, tuple[PartyOut, ...], bool]]
        if tpl.fixed_parties is not None:
            pairs = [(ob, cps, False) for ob, cps in tpl.fixed_parties]
        else:
            pairs = self._party_pairs(rule, ev)
        return tuple(
            tpl.fill(ob, cps, due, computation, bool(provisional), unresolved, document)
            for ob, cps, unresolved in pairs
        )

    def _party_pairs(
        self, rule: Rule, ev: BaseModel
    ) -> list[tuple[PartyOut, tuple[PartyOut, ...], bool]]:
        """(obligated, counterparties, unresolved_class) per obligated body, for a rule whose
        parties depend on the event (``@field`` references or classes to resolve)."""
        ctx_box: list[tuple[set[str], set[str], set[str]]] = []

        def resolve(pid: str) -> tuple[list[str], bool]:
            if self.parties.parties[pid].kind is not PartyKind.CLASS:
                return [pid], False
            if not ctx_box:
                ctx_box.append(self._context(ev))
            return self._resolve(pid, ctx_box[0])

        unresolved: set[str] = set()
        # first-seen order without repeats; a dict, not a list: a class can resolve to
        # hundreds of bodies, and a list's ``in`` made this quadratic
        counter_ids: dict[str, None] = {}
        for ref in rule.counterparties:
            for named_id in self._parties(ref, ev):
                ids, open_class = resolve(named_id)
                if open_class:
                    unresolved.add(named_id)
                counter_ids.update(dict.fromkeys(ids))
        obligated: set[str] = set()
        for named_id in self._parties(rule.obligated, ev):
            ids, open_class = resolve(named_id)
            if open_class:
                unresolved.add(named_id)
            obligated.update(ids)
        out = []
        for ob_id in sorted(obligated):
            cps = [c for c in counter_ids if c != ob_id]
            if not cps:  # a body owes itself nothing
                continue
            out.append(
                (
                    self._party_out[ob_id],
                    tuple(self._party_out[c] for c in cps),
                    ob_id in unresolved or any(c in unresolved for c in cps),
                )
            )
        return out

    def due_of(self, rule_id: str, event: BaseModel) -> tuple[dt.date | None, bool] | None:
        """(due date, provisional) the rule ``rule_id`` gives for a validated event on this
        engine's calendar today; None when the rulebook has no such rule or it carries no
        deadline. The tracker asks it again for a case whose due date was provisional,
        once the year's official arrangement may have been recorded."""
        rule = self.rulebook.rules.get(rule_id)
        if rule is None or rule.deadline is None:
            return None
        due, _how, provisional = self._due(rule, event)
        return due, bool(provisional)

    def _due(self, rule: Rule, ev: BaseModel) -> Due:
        """(due, how it was computed, provisional), memoised by what it depends on: the
        rule, the event's receipt and granted dates, and the calendar (immutable; keyed by
        identity in case ``engine.calendar`` is replaced).
        Bounded: the memo is emptied when full."""
        policy = rule.deadline
        if policy is None:
            return None, None, False
        received = get_field(ev, policy.counted_from)
        granted = get_field(ev, policy.later_of) if policy.later_of else None
        key = (rule.id, received, granted, id(self.calendar))
        hit = self._due_memo.get(key)
        if hit is None:
            if len(self._due_memo) >= DUE_MEMO_SIZE:
                self._due_memo.clear()
            hit = self._due_memo[key] = self._compute_due(rule, received, granted)
        return hit

    def _compute_due(self, rule: Rule, received: dt.date | None, granted: dt.date | None) -> Due:
        policy = rule.deadline
        assert policy is not None  # _due answered the rules without a deadline
        return count_due(
            self.calendar,
            received,
            granted,
            working_days=policy.working_days,
            article=policy.basis.article,
            clause=policy.basis.clause,
            counted_from=policy.counted_from,
            later_of=policy.later_of,
        )


_default: Engine | None = None
_default_lock = threading.Lock()


def _reinit_default_lock() -> None:
    global _default_lock
    _default_lock = threading.Lock()  # another thread may have held it at the fork


os.register_at_fork(after_in_child=_reinit_default_lock)


def default_engine() -> Engine:
    global _default
    with _default_lock:
        if _default is None:
            _default = Engine()
        return _default


def who_must_be_notified(event: Mapping[str, Any] | BaseModel) -> list[Obligation]:
    return default_engine().who_must_be_notified(event)


def duties_of(party: str) -> list[DutyEntry]:
    return default_engine().duties_of(party)


def explain(obligation: Obligation) -> Explanation:
    return default_engine().explain(obligation)
