"""Plain words for triggers, fields and values, read from ``phrases.yaml``.

A jurist reads "Khi một cơ quan gửi văn bản đề nghị phối hợp; Lĩnh vực đề nghị: kiểm tra"
more easily than ``coordination_requested [topic = inspection]``. The words are data (the
YAML file beside this module); this module only loads them, checks their shape, and
composes a condition tree (``conditions.py``) into a sentence in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from quyche_rules.errors import RulebookError
from quyche_rules.io.parse_cache import load_yaml
from quyche_rules.io.yamlio import error_message, loc_to_field
from quyche_rules.model.event_checks import condition_fields
from quyche_rules.model.parties import PartyRegistry
from quyche_rules.model.vocabulary import PERIODS
from quyche_rules.rulebook.conditions import All, AnyOf, Condition, Contains, Eq, In
from quyche_rules.rulebook.loader import EventTrigger, Rule

PHRASES_FILE = Path(__file__).resolve().parent / "phrases.yaml"


@dataclass(frozen=True)
class Phrase:
    """The same words in Vietnamese (shown first) and English."""

    vi: str
    en: str

    def fill(self, **values: Phrase) -> Phrase:
        """Fill ``{placeholders}`` of this template with phrases, language by language."""
        return Phrase(
            self.vi.format(**{k: v.vi for k, v in values.items()}),
            self.en.format(**{k: v.en for k, v in values.items()}),
        )

    @staticmethod
    def join(sep: Phrase, items: list[Phrase]) -> Phrase:
        return Phrase(sep.vi.join(i.vi for i in items), sep.en.join(i.en for i in items))


class _PhraseModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    vi: str
    en: str

    def phrase(self) -> Phrase:
        return Phrase(self.vi, self.en)


class _PhrasesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: dict[str, _PhraseModel]
    fields: dict[str, _PhraseModel]
    values: dict[str, dict[str, _PhraseModel]]
    booleans: dict[str, dict[bool, _PhraseModel]]
    templates: dict[str, _PhraseModel]


class Phrasebook:
    """Look-ups that fail loudly, naming the missing entry: a missing phrase is a bug of
    ``phrases.yaml`` that the completeness test catches before any page is written."""

    def __init__(self, data: _PhrasesFile, file: str) -> None:
        self._data = data
        self._file = file

    def _missing(self, where: str) -> RulebookError:
        return RulebookError("no phrase for this entry", file=self._file, field=where)

    def event(self, event_type: str) -> Phrase:
        p = self._data.events.get(event_type)
        if p is None:
            raise self._missing(f"events.{event_type}")
        return p.phrase()

    def field(self, name: str) -> Phrase:
        p = self._data.fields.get(name)
        if p is None:
            raise self._missing(f"fields.{name}")
        return p.phrase()

    def enum_value(self, enum: type[StrEnum], value: str) -> Phrase:
        p = self._data.values.get(enum.__name__, {}).get(value)
        if p is None:
            raise self._missing(f"values.{enum.__name__}.{value}")
        return p.phrase()

    def boolean(self, name: str, value: bool) -> Phrase:
        p = self._data.booleans.get(name, {}).get(value)
        if p is None:
            raise self._missing(f"booleans.{name}.{str(value).lower()}")
        return p.phrase()

    def template(self, name: str) -> Phrase:
        p = self._data.templates.get(name)
        if p is None:
            raise self._missing(f"templates.{name}")
        return p.phrase()

    # --- composed phrases -----------------------------------------------------------------

    def value(self, event_type: str, fld: str, value: str | bool, parties: PartyRegistry) -> Phrase:
        """A value as words: a party's names, a vocabulary word, or a yes/no sentence."""
        info = condition_fields(event_type)[fld]
        if info.kind == "bool":
            assert isinstance(value, bool)
            return self.boolean(fld, value)
        assert isinstance(value, str)
        if info.kind in ("party", "party_list"):
            p = parties.parties[value]
            return Phrase(p.name_vi, p.name_en)
        assert info.enum is not None
        return self.enum_value(info.enum, value)

    def condition(self, cond: Condition, event_type: str, parties: PartyRegistry) -> Phrase:
        """A condition tree as a sentence; a yes/no test reads as its own sentence."""
        t = self.template
        if isinstance(cond, Eq):
            v = self.value(event_type, cond.field, cond.value, parties)
            if isinstance(cond.value, bool):
                return v
            return t("equals").fill(field=self.field(cond.field), value=v)
        if isinstance(cond, In):
            values = [self.value(event_type, cond.field, v, parties) for v in cond.values]
            joined = Phrase.join(t("one_of_joiner"), values)
            return t("equals").fill(field=self.field(cond.field), value=joined)
        if isinstance(cond, Contains):
            v = self.value(event_type, cond.field, cond.value, parties)
            return t("contains").fill(field=self.field(cond.field), value=v)
        items = [self.condition(c, event_type, parties) for c in cond.items]
        if isinstance(cond, All):
            return Phrase.join(t("all_joiner"), items)
        assert isinstance(cond, AnyOf)
        return t("any_of").fill(items=Phrase.join(t("any_joiner"), items))

    def trigger(self, trig: EventTrigger, parties: PartyRegistry) -> Phrase:
        """ "When" in plain words: the period, or the event and its conditions."""
        if trig.period is not None:
            vi, en = PERIODS[trig.period]
            return self.template("period").fill(period=Phrase(vi, en))
        head = self.event(trig.event_type)
        if trig.condition is None:
            return head
        cond = self.condition(trig.condition, trig.event_type, parties)
        return Phrase(f"{head.vi} ({cond.vi})", f"{head.en} ({cond.en})")

    # --- "Khi nào" as a sentence -------------------------------------------------------------

    def _clause(self, cond: Condition, event_type: str, parties: PartyRegistry) -> Phrase:
        """A condition as part of a sentence: "{field} là {value}", yes/no tests as their
        own words, alternatives spelt out with "hoặc" (never a "|")."""
        t = self.template
        if isinstance(cond, Eq):
            v = self.value(event_type, cond.field, cond.value, parties)
            if isinstance(cond.value, bool):
                return v
            return t("s_equals").fill(field=_lower_first(self.field(cond.field)), value=v)
        if isinstance(cond, In):
            values = [self.value(event_type, cond.field, v, parties) for v in cond.values]
            joined = Phrase.join(t("one_of_joiner"), values)
            return t("s_equals").fill(field=_lower_first(self.field(cond.field)), value=joined)
        if isinstance(cond, Contains):
            v = self.value(event_type, cond.field, cond.value, parties)
            return t("s_contains").fill(field=_lower_first(self.field(cond.field)), value=v)
        items = [self._clause(c, event_type, parties) for c in cond.items]
        if isinstance(cond, All):
            return Phrase.join(t("s_all_joiner"), items)
        assert isinstance(cond, AnyOf)
        return t("s_any_of").fill(items=Phrase.join(t("s_any_joiner"), items))

    def sentence(self, trig: EventTrigger, parties: PartyRegistry) -> Phrase:
        """One trigger as a sentence: what happens, then the conditions in words."""
        if trig.period is not None:
            return self.template(f"s_period_{trig.period.value}")
        head = self.event(trig.event_type)
        if trig.condition is None:
            return self.template("s_plain").fill(head=head)
        cond = self._clause(trig.condition, trig.event_type, parties)
        return self.template("s_event").fill(head=head, cond=_lower_first(cond))

    def rule_sentences(self, rule: Rule, parties: PartyRegistry) -> list[Phrase]:
        """Every "when" of a rule as sentences: standing first, then its triggers."""
        out = [self.template("s_standing")] if rule.standing else []
        return out + [self.sentence(t, parties) for t in rule.event_triggers]


def _lower_first(p: Phrase) -> Phrase:
    """A label that starts a sentence elsewhere continues one here ("Giai đoạn" →
    "giai đoạn"), unless it begins with a name (two capitals, as in "Đảng ủy Khối")."""

    def low(s: str) -> str:
        words = s.split(" ", 2)
        if len(words) > 1 and words[1][:1].isupper():
            return s
        return s[:1].lower() + s[1:]

    return Phrase(low(p.vi), low(p.en))


def load_phrasebook(path: Path = PHRASES_FILE) -> Phrasebook:
    data: Any = load_yaml(path)
    try:
        parsed = _PhrasesFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise RulebookError(
            error_message(err), file=path.name, field=loc_to_field(err["loc"])
        ) from None
    return Phrasebook(parsed, path.name)


@cache
def default_phrasebook() -> Phrasebook:
    return load_phrasebook()
