"""The answer the library gives: obligations, a public contract.

Field names and meanings are documented in README.md ("Obligation") and change only on
purpose. Each obligation carries its own citation and the conditions that made it fire, so
an explanation costs nothing extra and can always be left on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from quyche_rules.model.basis import Basis
from quyche_rules.model.parties import Party
from quyche_rules.model.vocabulary import DUTIES, FORMS, Duty, Form


class BasisOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    article: int
    clause: int | None
    point: str | None
    label: str

    @classmethod
    def of(cls, b: Basis) -> BasisOut:
        return cls(article=b.article, clause=b.clause, point=b.point, label=str(b))


class PartyOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name_vi: str
    name_en: str

    @classmethod
    def of(cls, p: Party) -> PartyOut:
        return cls(id=p.id, name_vi=p.name_vi, name_en=p.name_en)


class Obligation(BaseModel):
    """One body's duty towards others, arising from one rule for one event."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    basis: BasisOut
    quote: str
    obligated: PartyOut
    counterparties: tuple[PartyOut, ...]
    duty: Duty
    duty_vi: str
    form: Form
    form_vi: str
    due: dt.date | None
    due_computation: str | None
    due_provisional: bool
    silence_means: str | None
    event_type: str | None
    conditions: tuple[str, ...]
    summary_en: str
    note: str | None
    #: true when a party of the obligation is still a class (e.g. "lãnh đạo các cơ quan
    #: thuộc Khối") because the event did not say which member is meant: narrow it
    unresolved_class: bool = False
    #: the summary and the reading note in Vietnamese (the English fields stay)
    summary_vi: str = ""
    note_vi: str | None = None
    #: the document the duty concerns: the ``reference`` of the event that gave rise to it
    #: (None when the event has none); part of what makes two obligations one duty
    document: str | None = None
    #: the obligated body's last day (``valid_to``) when it falls before ``due``: the body
    #: cannot answer, nor consent by silence, after it ceased to exist; None otherwise
    obligated_ends_before_due: dt.date | None = None


class Explanation(BaseModel):
    """Why an obligation arose: the law text and the conditions that matched."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    basis: BasisOut
    quote: str
    clause_text: str
    conditions: tuple[str, ...]
    note: str | None
    rule_file: str
    note_vi: str | None = None


_new = object.__new__
_set = object.__setattr__


@dataclass(frozen=True)
class ObligationTemplate:
    """Everything of the obligations of one (rule, trigger) that does not depend on the
    event, built once at compile time (issue 10: building 18 fields per obligation per query
    was half the cost of a query).

    ``fill`` makes an ``Obligation`` from the template's field dict plus the event-dependent
    fields, the way ``Obligation.model_construct`` does but without its per-field loop: it
    relies on how pydantic 2 lays out a model instance (``__dict__``,
    ``__pydantic_fields_set__``, ``__pydantic_extra__``, ``__pydantic_private__``), which
    ``tests/test_obligation_template.py`` pins against ``model_construct`` and full
    validation. ``shared`` holds the finished obligations of a template with nothing
    event-dependent (no deadline, fixed parties): obligations are frozen, so every query may
    return the same instances."""

    rule_id: str
    has_deadline: bool
    #: (obligated, counterparties) when the rule names its parties outright, else None
    fixed_parties: tuple[tuple[PartyOut, tuple[PartyOut, ...]], ...] | None
    base: dict[str, Any]
    shared: tuple[Obligation, ...] | None

    @classmethod
    def of(
        cls,
        *,
        rule_id: str,
        basis: BasisOut,
        quote: str,
        duty: Duty,
        duty_vi: str,
        form: Form,
        form_vi: str,
        silence_means: str | None,
        event_type: str,
        conditions: tuple[str, ...],
        summary_en: str,
        note: str | None,
        fixed_parties: tuple[tuple[PartyOut, tuple[PartyOut, ...]], ...] | None,
        has_deadline: bool,
        summary_vi: str = "",
        note_vi: str | None = None,
    ) -> ObligationTemplate:
        # the same keys, in the same order, as Obligation.model_fields
        base: dict[str, Any] = dict.fromkeys(Obligation.model_fields)
        base.update(
            rule_id=rule_id,
            basis=basis,
            quote=quote,
            duty=duty,
            duty_vi=duty_vi,
            form=form,
            form_vi=form_vi,
            due=None,
            due_computation=None,
            due_provisional=False,
            silence_means=silence_means,
            event_type=event_type,
            conditions=conditions,
            summary_en=summary_en,
            note=note,
            unresolved_class=False,
            summary_vi=summary_vi,
            note_vi=note_vi,
        )
        tpl = cls(rule_id, has_deadline, fixed_parties, base, None)
        if fixed_parties is not None and not has_deadline:
            shared = tuple(tpl.fill(ob, cps, None, None, False, False) for ob, cps in fixed_parties)
            object.__setattr__(tpl, "shared", shared)
        return tpl

    def fill(
        self,
        obligated: PartyOut,
        counterparties: tuple[PartyOut, ...],
        due: dt.date | None,
        due_computation: str | None,
        due_provisional: bool,
        unresolved_class: bool,
        document: str | None = None,
    ) -> Obligation:
        """One obligation: the template plus its event-dependent fields. Every value is
        already validated (rulebook, event model), as for ``model_construct``. ``document``
        (the event's ``reference``) is set here, at birth: a ``model_copy`` per obligation
        afterwards cost more than building it."""
        values = self.base.copy()
        values["obligated"] = obligated
        values["counterparties"] = counterparties
        values["due"] = due
        values["due_computation"] = due_computation
        values["due_provisional"] = due_provisional
        values["unresolved_class"] = unresolved_class
        values["document"] = document
        m = _new(Obligation)
        _set(m, "__dict__", values)
        _set(m, "__pydantic_fields_set__", set(_FIELDS_SET))  # own set: model_copy mutates it
        _set(m, "__pydantic_extra__", None)
        _set(m, "__pydantic_private__", None)
        return m


#: what ``model_construct`` records as set when every field is given
_FIELDS_SET = frozenset(Obligation.model_fields)


def duty_vi(d: Duty) -> str:
    return DUTIES[d][0]


def form_vi(f: Form) -> str:
    return FORMS[f][0]


#: what makes two obligations the same duty (see ``duty_key``)
DutyKey = tuple[str, str, frozenset[str], str, str | None]


def duty_key(obligation: Obligation) -> DutyKey:
    """When two obligations are the same duty: the same basis (article, clause, point), the
    same obligated body, the same counterparties (as a set), the same duty and the same
    document (the reference of the event that gave rise to it, None when it has none).

    The rule id and the event type are left out on purpose: one letter reported both as the
    13.4 event and as a ``coordination_requested``, a procedure reported at both
    pre-decision stages, a complaint reported when received and when its review opens — each
    is one duty the text states once, whatever spelling or stage of the facts gave rise to
    it. This is the one definition the engine, the scenario runner and the rulebook check
    all use."""
    return (
        obligation.basis.label,
        obligation.obligated.id,
        frozenset(c.id for c in obligation.counterparties),
        str(obligation.duty.value if hasattr(obligation.duty, "value") else obligation.duty),
        obligation.document,
    )


def merge_duties(obligations: Iterable[Obligation]) -> list[Obligation]:
    """Each duty once (``duty_key``), in first-seen order. The first obligation of a duty
    stands for it; the conditions of every other one that gave rise to it are added to its
    ``conditions`` (named by rule id), so the explanation keeps every triggering fact. Where
    the merged ones disagree on the due date, the earliest known one is kept (the text
    gives one time for one duty; the earliest is the one a clerk must meet)."""
    first: dict[DutyKey, Obligation] = {}
    for ob in obligations:
        key = duty_key(ob)
        kept = first.get(key)
        if kept is None:
            first[key] = ob
            continue
        extra = tuple(
            f"{ob.rule_id}: {c}"
            for c in ob.conditions
            if f"{ob.rule_id}: {c}" not in kept.conditions
        )
        changes: dict[str, Any] = {}
        if extra and ob.conditions != kept.conditions:
            changes["conditions"] = (*kept.conditions, *extra)
        if ob.due is not None and (kept.due is None or ob.due < kept.due):
            changes.update(
                due=ob.due,
                due_computation=ob.due_computation,
                due_provisional=ob.due_provisional,
            )
        if changes:
            first[key] = kept.model_copy(update=changes)
    return list(first.values())
