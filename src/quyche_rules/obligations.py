"""The answer the library gives: obligations, a public contract.

Field names and meanings are documented in README.md ("Obligation") and change only on
purpose. Each obligation carries its own citation and the conditions that made it fire, so
an explanation costs nothing extra and can always be left on.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from .parties import Party
from .text import Basis
from .vocabulary import DUTIES, FORMS, Duty, Form


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


def duty_vi(d: Duty) -> str:
    return DUTIES[d][0]


def form_vi(f: Form) -> str:
    return FORMS[f][0]
