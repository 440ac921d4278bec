"""View models: the rulebook arranged for reading, with every word already chosen.

Templates only lay these out; they never look anything up. Everything comes from the parsed
text, the rule files, the registry and ``phrases.yaml`` — nothing is spelled out here, so a
new rule, party or field shows on the pages without touching this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from quyche_rules.engine.engine import DutyEntry, Engine
from quyche_rules.model.basis import Basis
from quyche_rules.model.parties import PartyKind
from quyche_rules.model.vocabulary import DUTIES, FORMS
from quyche_rules.pages.phrases import Phrase, Phrasebook
from quyche_rules.rulebook.loader import Rule

Coverage = Literal["covered", "non-actionable", "missing"]
TriggerKind = Literal["standing", "periodic", "event"]
#: the order of the groups on a body's page
TRIGGER_KINDS: tuple[TriggerKind, ...] = ("standing", "periodic", "event")


def anchor(basis: Basis) -> str:
    """The clause's fragment (``Basis.anchor``), kept as a function for the templates."""
    return basis.anchor


def basis_en(basis: Basis) -> str:
    """The clause's label in English ("Art. 3.1"), beside ``str(basis)`` ("Điều 3.1")."""
    return "Art. " + str(basis).removeprefix("Điều ")


@dataclass(frozen=True)
class Links:
    """Where pages live, so the same templates serve the static site and the HTTP service.

    ``root`` is prepended to every link: ``""`` or ``"../"`` for static files opened from
    disk, ``"/"`` (or a mount path) when served."""

    root: str = ""
    literate: str = "index.html"
    bodies: str = "bodies/index.html"
    body: str = "bodies/{id}.html"
    static: str = "static/"
    article: str = "articles/{n}.html"

    def to_literate(self, basis: Basis | None = None) -> str:
        return self.root + self.literate + (f"#{anchor(basis)}" if basis else "")

    def to_bodies(self) -> str:
        return self.root + self.bodies

    def to_body(self, party_id: str) -> str:
        return self.root + self.body.format(id=party_id)

    def to_static(self, name: str) -> str:
        return self.root + self.static + name

    def to_article(self, number: int) -> str:
        """An Article's own page: its text and rules, printable on its own."""
        return self.root + self.article.format(n=number)


#: links for the HTTP service (issue 11): the literate view at ``/``
SERVED = Links(
    root="/",
    literate="",
    bodies="bodies/",
    body="bodies/{id}",
    static="static/",
    article="articles/{n}",
)


@dataclass(frozen=True)
class Who:
    """A party as shown: its names, and a link to its duties page when it is a party."""

    name: Phrase
    party_id: str | None
    href: str | None


@dataclass(frozen=True)
class RuleView:
    id: str
    basis_label: str
    basis_href: str
    obligated: Who
    counterparties: tuple[Who, ...]
    duty: Phrase
    form: Phrase
    triggers: tuple[Phrase, ...]
    kinds: tuple[TriggerKind, ...]
    deadline: Phrase
    quote: str
    summary_en: str
    note: str | None
    summary_vi: str = ""
    note_vi: str | None = None
    #: for the literate view's filters: the duty's code, the parties' ids, a deadline or not
    duty_code: str = ""
    party_ids: tuple[str, ...] = ()
    has_deadline: bool = False
    basis_en: str = ""


@dataclass
class UnitView:
    label: str
    anchor: str
    text: str
    own_anchor: bool  # False for an article-level unit: the article's section holds the id
    status: Coverage
    reason: str | None
    reason_vi: str | None = None
    rules: list[RuleView] = field(default_factory=list)
    label_en: str = ""


@dataclass
class ArticleView:
    number: int
    title: str
    anchor: str
    units: list[UnitView]

    def count(self, status: Coverage) -> int:
        return sum(1 for u in self.units if u.status == status)


@dataclass(frozen=True)
class DutyView:
    rule: RuleView
    binds: Phrase


@dataclass(frozen=True)
class BodyPage:
    party: Who
    kind: PartyKind
    groups: tuple[tuple[TriggerKind, tuple[DutyView, ...]], ...]
    total: int


@dataclass(frozen=True)
class BodyIndexEntry:
    who: Who
    kind: PartyKind
    duties: int


def trigger_kinds(rule: Rule) -> tuple[TriggerKind, ...]:
    """The groups a rule belongs to on a body's page (a rule may be in several)."""
    kinds: list[TriggerKind] = []
    if rule.standing:
        kinds.append("standing")
    if any(t.period is not None for t in rule.event_triggers):
        kinds.append("periodic")
    if any(t.period is None for t in rule.event_triggers):
        kinds.append("event")
    return tuple(kinds)


class ViewBuilder:
    """Builds view models from one engine (its rulebook and registry) and the phrasebook."""

    def __init__(self, engine: Engine, phrases: Phrasebook, links: Links) -> None:
        self.engine = engine
        self.book = engine.rulebook
        # the registry in force: the regulation's parties plus a profile's bodies, if any
        self.parties = engine.parties
        self.phrases = phrases
        self.links = links

    def who(self, ref: str) -> Who:
        if ref.startswith("@"):
            label = self.phrases.field(ref[1:])
            return Who(self.phrases.template("party_from_event").fill(field=label), None, None)
        p = self.parties.parties[ref]
        return Who(Phrase(p.name_vi, p.name_en), p.id, self.links.to_body(p.id))

    def rule(self, rule: Rule) -> RuleView:
        words, gloss, _ = DUTIES[rule.duty]
        form_vi, form_en = FORMS[rule.form]
        triggers = self.phrases.rule_sentences(rule, self.parties)
        if rule.deadline is None:
            deadline = self.phrases.template("no_deadline")
        else:
            days = str(rule.deadline.working_days)
            deadline = self.phrases.template("deadline").fill(days=Phrase(days, days))
            if rule.deadline.silence_means == "consent":
                consent = self.phrases.template("silence_consent")
                deadline = Phrase(f"{deadline.vi}; {consent.vi}", f"{deadline.en}; {consent.en}")
        return RuleView(
            id=rule.id,
            basis_label=str(rule.basis),
            basis_href=self.links.to_literate(rule.basis),
            obligated=self.who(rule.obligated),
            counterparties=tuple(self.who(c) for c in rule.counterparties),
            duty=Phrase(words, gloss),
            form=Phrase(form_vi, form_en),
            triggers=tuple(triggers),
            kinds=trigger_kinds(rule),
            deadline=deadline,
            quote=rule.quote,
            summary_en=rule.summary_en,
            note=rule.note,
            summary_vi=rule.summary_vi,
            note_vi=rule.note_vi,
            duty_code=rule.duty.value,
            party_ids=tuple(p for p in (rule.obligated, *rule.counterparties) if p[:1] != "@"),
            has_deadline=rule.deadline is not None,
            basis_en=basis_en(rule.basis),
        )

    def articles(self) -> list[ArticleView]:
        """Every article of the text, each unit with its rules or the reason for none."""
        reg = self.book.regulation
        by_basis: dict[Basis, list[Rule]] = {}
        for r in self.book:
            by_basis.setdefault(r.basis, []).append(r)
        out: list[ArticleView] = []
        for number in sorted(reg.titles):
            units: list[UnitView] = []
            for basis, unit in reg.units.items():
                if basis.article != number:
                    continue
                rules = sorted(by_basis.get(basis, []), key=lambda r: r.id)
                na = self.book.non_actionable.get(basis)
                status: Coverage = (
                    "covered" if rules else "non-actionable" if na is not None else "missing"
                )
                units.append(
                    UnitView(
                        label=str(basis),
                        anchor=anchor(basis),
                        text=unit.text,
                        own_anchor=basis.clause is not None,
                        status=status,
                        reason=na.reason if na is not None else None,
                        reason_vi=na.reason_vi if na is not None else None,
                        rules=[self.rule(r) for r in rules],
                        label_en=basis_en(basis),
                    )
                )
            out.append(ArticleView(number, reg.titles[number], anchor(Basis(number)), units))
        return out

    def body_index(self) -> list[BodyIndexEntry]:
        return [
            BodyIndexEntry(self.who(p.id), p.kind, len(self.engine.duties_of(p.id)))
            for p in self.parties
        ]

    def body(self, party_id: str) -> BodyPage:
        """All of a party's duties (``Engine.duties_of``), grouped standing / periodic / event."""
        p = self.parties.resolve(party_id)
        entries = self.engine.duties_of(p.id)
        groups: dict[TriggerKind, list[DutyView]] = {k: [] for k in TRIGGER_KINDS}
        for e in entries:
            view = DutyView(self.rule(e.rule), self._binds(e))
            for kind in view.rule.kinds:
                groups[kind].append(view)
        return BodyPage(
            party=self.who(p.id),
            kind=p.kind,
            groups=tuple((k, tuple(groups[k])) for k in TRIGGER_KINDS),
            total=len(entries),
        )

    def _binds(self, entry: DutyEntry) -> Phrase:
        """How the rule reaches the party, in words, from what ``Engine.duties_of`` found:
        named, through an event field, or through its chain of acts-for / member-of links."""
        rule = entry.rule
        if rule.obligated.startswith("@"):
            return self.phrases.template("binds_event").fill(
                field=self.phrases.field(rule.obligated[1:])
            )
        if not entry.via:
            return self.phrases.template("binds_named")
        steps = []
        for relation, pid in entry.via:
            q = self.parties.parties[pid]
            name = "binds_acts_for" if relation == "acts for" else "binds_member"
            steps.append(self.phrases.template(name).fill(party=Phrase(q.name_vi, q.name_en)))
        return Phrase(", ".join(x.vi for x in steps), ", ".join(x.en for x in steps))
