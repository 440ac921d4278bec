"""The rulebook: rule files validated against the regulation, the parties and the events.

Data flows one way: YAML files → these models → the compiler (``engine.py``). Everything
that can be checked without running an event is checked here, at load time, and reported
with the file, the rule id and the field, so that a jurist editing a rule file learns what
is wrong before any government system sees a wrong answer.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from quyche_rules.errors import RulebookError
from quyche_rules.io import resources
from quyche_rules.io.parse_cache import cache_dir, load_yaml
from quyche_rules.io.textnorm import normalize
from quyche_rules.io.yamlio import (
    RULE_FILE_LIMITS,
    error_message,
    loc_to_field,
    read_bounded,
    recording_reads,
)
from quyche_rules.model.basis import Basis
from quyche_rules.model.event_checks import condition_fields
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.model.parties import Party, PartyRegistry, load_parties
from quyche_rules.model.vocabulary import PERIODS, Duty, Form, Period
from quyche_rules.rulebook import compiled
from quyche_rules.rulebook.conditions import (
    Condition,
    ConditionError,
    Eq,
    In,
    describe,
    parse_condition,
)
from quyche_rules.rulebook.text import Regulation, load_regulation

#: The packaged rules directory (``load_rulebook()`` follows ``$QUYCHE_RULES_DIR`` when set).
RULES_DIR = resources.packaged_rules_dir()
_RULE_ID = re.compile(r"^art(\d+)(?:\.(\d+)(?:\.([a-zđ]))?)?\.[a-z0-9][a-z0-9-]*$")


class BasisModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    article: int = Field(ge=1)
    clause: int | None = Field(default=None, ge=1)
    point: str | None = Field(default=None, pattern=r"^[a-zđ]$")

    def to_basis(self) -> Basis:
        return Basis(self.article, self.clause, self.point)


class TriggerModel(BaseModel):
    """Exactly one of: an event (with optional conditions), a period, or standing."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    event: str | None = None
    when: dict[str, Any] | None = None
    period: Period | None = None
    standing: bool | None = None

    @field_validator("standing")
    @classmethod
    def _standing_true(cls, v: bool | None) -> bool | None:
        if v is False:
            raise ValueError("write standing: true, or leave it out")
        return v

    def kind(self) -> str:
        present = [k for k in ("event", "period", "standing") if getattr(self, k) is not None]
        if len(present) != 1:
            raise ValueError("a trigger has exactly one of event, period, standing")
        if self.when is not None and self.event is None:
            raise ValueError("when: goes with event:")
        return present[0]


class RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    id: str
    basis: BasisModel
    quote: str = Field(min_length=1)
    triggers: list[TriggerModel] = Field(min_length=1)
    obligated: str
    counterparties: list[str] = Field(min_length=1)
    duty: Duty
    form: Form = Form.UNSPECIFIED
    deadline: str | None = None
    summary_en: str = Field(min_length=1)
    #: the summary a Vietnamese reader sees first; required, written from the quoted text
    summary_vi: str = Field(min_length=1)
    note: str | None = None
    #: the reading note in Vietnamese; required exactly when ``note`` (English) is given
    note_vi: str | None = None


class NonActionableModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    basis: BasisModel
    reason: str = Field(min_length=1)
    #: why the unit states no duty, in Vietnamese (the English ``reason`` stays)
    reason_vi: str = Field(min_length=1)


class ArticleFileModel(BaseModel):
    # built on first use (``defer_build``): a load from the compiled cache validates no file
    model_config = ConfigDict(extra="forbid", defer_build=True)
    article: int = Field(ge=1)
    title: str
    rules: list[RuleModel] = Field(default_factory=list)
    non_actionable: list[NonActionableModel] = Field(default_factory=list)


class DeadlinePolicy(BaseModel):
    """A deadline the text sets (OpenFisca-style: a parameter with its legal reference)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    basis: BasisModel
    quote: str
    working_days: int = Field(ge=1)
    counted_from: str
    #: issue 9: an event field with a later date the request grants; due = the later of two
    later_of: str | None = None
    silence_means: str | None = None
    silence_quote: str | None = None
    extension_quote: str | None = None


class _DeadlinesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policies: list[DeadlinePolicy]


# --- compiled, validated rules ---------------------------------------------------------------


@dataclass(frozen=True)
class EventTrigger:
    """A trigger after compilation: periods become ``period_started`` events."""

    event_type: str
    condition: Condition | None
    period: Period | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    basis: Basis
    quote: str
    obligated: str
    counterparties: tuple[str, ...]
    duty: Duty
    form: Form
    summary_en: str
    note: str | None
    deadline: DeadlinePolicy | None
    event_triggers: tuple[EventTrigger, ...]
    standing: bool
    file: str
    #: Vietnamese summary and note (the loader refuses a rule without them)
    summary_vi: str = ""
    note_vi: str | None = None

    def trigger_labels(self) -> list[str]:
        """The triggers in words, as the CLI and the HTTP service show them."""
        labels = []
        for t in self.event_triggers:
            if t.period is not None:
                labels.append(f"period: {t.period.value} ({PERIODS[t.period][0]})")
            else:
                cond = f" [{describe(t.condition)}]" if t.condition is not None else ""
                labels.append(f"event: {t.event_type}{cond}")
        if self.standing:
            labels.append("standing")
        return labels

    @property
    def periods(self) -> tuple[Period, ...]:
        return tuple(t.period for t in self.event_triggers if t.period is not None)


@dataclass(frozen=True)
class NonActionable:
    basis: Basis
    reason: str
    file: str
    reason_vi: str = ""


@dataclass
class Rulebook:
    regulation: Regulation
    parties: PartyRegistry
    rules: dict[str, Rule] = field(default_factory=dict)
    non_actionable: dict[Basis, NonActionable] = field(default_factory=dict)
    deadlines: dict[str, DeadlinePolicy] = field(default_factory=dict)
    #: sha256 (hex) over every file the rulebook was loaded from; see ``content_hash_of``.
    content_hash: str = ""
    #: the directory the rulebook was loaded from
    directory: Path | None = None

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules.values())

    def rules_for(self, basis: Basis) -> list[Rule]:
        return [r for r in self.rules.values() if r.basis == basis]


_PERIOD_VALUES: dict[Period, tuple[str, ...]] = {
    Period.YEARLY: ("year",),
    Period.HALF_YEARLY: ("year", "half_year"),
}


def _period_trigger(period: Period) -> EventTrigger:
    values = _PERIOD_VALUES[period]
    cond: Condition = Eq("period", values[0]) if len(values) == 1 else In("period", values)
    return EventTrigger("period_started", cond, period)


def _fail(msg: str, file: str, rule_id: str | None, fld: str | None) -> RulebookError:
    return RulebookError(msg, file=file, rule_id=rule_id, field=fld)


def _compile_rule(
    m: RuleModel,
    file: str,
    article: int,
    book: Rulebook,
) -> Rule:
    rid = m.id
    idm = _RULE_ID.match(rid)
    basis = m.basis.to_basis()
    if idm is None:
        raise _fail(
            "id must look like art5.2.a.notify (article.clause.point.slug)", file, rid, "id"
        )
    id_basis = Basis(int(idm.group(1)), _opt_int(idm.group(2)), idm.group(3))
    if id_basis != basis:
        raise _fail(f"id names {id_basis} but basis is {basis}", file, rid, "id")
    if basis.article != article:
        raise _fail(
            f"basis is Art. {basis.article} in the file of Art. {article}", file, rid, "basis"
        )
    unit = book.regulation.unit(basis)
    if unit is None:
        raise _fail(f"{basis} does not exist in the text", file, rid, "basis")
    if normalize(m.quote) not in unit.text:
        raise _fail(f"quote is not verbatim in {basis} of the text", file, rid, "quote")

    triggers: list[EventTrigger] = []
    standing = False
    for i, t in enumerate(m.triggers):
        where = f"triggers.{i}"
        try:
            kind = t.kind()
        except ValueError as exc:
            raise _fail(str(exc), file, rid, where) from None
        if kind == "standing":
            standing = True
        elif kind == "period":
            assert t.period is not None
            triggers.append(_period_trigger(t.period))
        else:
            assert t.event is not None
            if t.event not in EVENT_TYPES:
                raise _fail(f"unknown event type {t.event!r}", file, rid, f"{where}.event")
            cond = None
            if t.when is not None:
                try:
                    cond = parse_condition(t.when, t.event, book.parties, "when")
                except ConditionError as exc:
                    raise _fail(str(exc), file, rid, f"{where}.{exc.field}") from None
            triggers.append(EventTrigger(t.event, cond))

    for fld, ref in [("obligated", m.obligated)] + [
        (f"counterparties.{i}", c) for i, c in enumerate(m.counterparties)
    ]:
        _check_party_ref(ref, triggers, book.parties, file, rid, fld)
    deadline = None
    if m.deadline is not None:
        deadline = book.deadlines.get(m.deadline)
        if deadline is None:
            raise _fail(f"unknown deadline policy {m.deadline!r}", file, rid, "deadline")
        for et in triggers:
            for need in filter(None, (deadline.counted_from, deadline.later_of)):
                if need not in EVENT_TYPES[et.event_type].model_fields:
                    raise _fail(
                        f"event {et.event_type!r} has no {need!r} to count from",
                        file,
                        rid,
                        "deadline",
                    )
    return Rule(
        id=rid,
        basis=basis,
        quote=normalize(m.quote),
        obligated=m.obligated,
        counterparties=tuple(m.counterparties),
        duty=m.duty,
        form=m.form,
        summary_en=normalize(m.summary_en),
        note=normalize(m.note) if m.note else None,
        summary_vi=_vietnamese(m.summary_vi, file, rid, "summary_vi"),
        note_vi=_note_vi(m, file, rid),
        deadline=deadline,
        event_triggers=tuple(triggers),
        standing=standing,
        file=file,
    )


def _opt_int(s: str | None) -> int | None:
    return int(s) if s is not None else None


def _check_party_ref(
    ref: str,
    triggers: list[EventTrigger],
    parties: PartyRegistry,
    file: str,
    rid: str,
    fld: str,
) -> None:
    """A party is a registry id, or ``@field`` naming a party field of every event that
    triggers the rule (the body is then taken from the event)."""
    if not ref.startswith("@"):
        if ref not in parties:
            raise _fail(f"unknown party id {ref!r}", file, rid, fld)
        return
    name = ref[1:]
    if not triggers:
        raise _fail(f"{ref} needs an event trigger to take the party from", file, rid, fld)
    for t in triggers:
        info = condition_fields(t.event_type).get(name)
        if info is None or info.kind not in ("party", "party_list"):
            raise _fail(f"event {t.event_type!r} has no party field {name!r}", file, rid, fld)


def load_rulebook(
    rules_dir: str | os.PathLike[str] | None = None,
    *,
    source: Path | None = None,
    require_complete: bool = True,
) -> Rulebook:
    """Load and cross-check everything under ``rules_dir`` (default: ``$QUYCHE_RULES_DIR``,
    else the packaged rules, see ``resources.rules_dir``).

    Raises ``RulebookError`` naming file, rule id and field on the first problem found.
    An incomplete rulebook is refused here, at load time (``require_complete``): every
    article of the text must have its file and every unit a rule or a ``non_actionable``
    reason. A missing or emptied article file once loaded 126 of 138 rules and answered
    "no obligation" with success. Only ``quyche rules coverage`` loads without the check,
    to show the gaps.
    """
    if not isinstance(require_complete, bool):
        raise RulebookError("require_complete must be a bool")
    if source is not None and not isinstance(source, str | os.PathLike):
        raise RulebookError("source must be a path (str or os.PathLike)")
    directory = resources.rules_dir(rules_dir)
    source_path = Path(source) if source is not None else directory / resources.SOURCE
    parties_path = directory / resources.PARTIES
    deadlines_path = directory / resources.DEADLINES
    with recording_reads() as seen:
        files = sorted((directory / resources.ARTICLES).glob("*.yaml"))
        paths = [source_path, parties_path, deadlines_path, *files]
        content_hash = _cached_hash(directory, paths, seen) if files else None
        hit = _from_compiled(content_hash, directory) if content_hash is not None else None
        if hit is not None:
            book, articles = hit
        else:
            regulation = load_regulation(source_path)
            parties = load_parties(parties_path)
            book = Rulebook(regulation=regulation, parties=parties, directory=directory)
            _load_deadlines(deadlines_path, book)
            if not files:
                raise RulebookError("no rule files", file=str(directory / resources.ARTICLES))
            articles = {}
            for path in files:
                number = _load_article(path, book)
                if number in articles:
                    raise RulebookError(
                        f"Art. {number} is also in {articles[number]}",
                        file=path.name,
                        field="article",
                    )
                articles[number] = path.name
            content_hash = None  # the files were read again: store under what was parsed
    if require_complete:
        _check_complete(book, set(articles))
    if content_hash is not None:  # rebuilt from the entry of exactly these bytes
        book.content_hash = content_hash
        return book
    book.content_hash = content_hash_of(directory, paths, seen)
    if (where := compiled.entry_path(book.content_hash)) is not None:
        compiled.write(where, compiled.to_data(book, articles))
    return book


def _cached_hash(directory: Path, paths: list[Path], seen: dict[Path, bytes]) -> str | None:
    """The rulebook's ``content_hash`` of these files, read now (bounded, as the loader
    reads them), when the compiled cache is on; else None."""
    if cache_dir() is None:
        return None
    for p in paths:
        read_bounded(p, file=p.name, limits=RULE_FILE_LIMITS)
    return content_hash_of(directory, paths, seen)


def _from_compiled(content_hash: str, directory: Path) -> tuple[Rulebook, dict[int, str]] | None:
    """The rulebook of these files rebuilt from the compiled cache, and its articles; None
    when there is no entry or it does not rebuild (the files are then validated as if there
    were none)."""
    entry = compiled.entry_path(content_hash)
    data = compiled.read(entry) if entry is not None else None
    if data is None:
        return None
    try:
        parties = [Party.model_validate(d) for d in data["parties"]]
        book = Rulebook(
            regulation=compiled.regulation_from(data["regulation"]),
            parties=PartyRegistry.from_parties(parties, file=resources.PARTIES),
            directory=directory,
        )
        for d in data["deadlines"]:
            policy = DeadlinePolicy.model_validate(d)
            book.deadlines[policy.id] = policy
        for d in data["rules"]:
            kw = compiled.rule_fields(d, book.deadlines)
            kw["event_triggers"] = tuple(EventTrigger(*t) for t in kw["event_triggers"])
            book.rules[kw["id"]] = Rule(**kw)
        for n in data["non_actionable"]:
            na = NonActionable(*compiled.non_actionable_fields(n))
            book.non_actionable[na.basis] = na
        articles = {int(n): str(f) for n, f in data["articles"]}
    except (LookupError, TypeError, ValueError, RulebookError):
        return None  # pydantic's ValidationError is a ValueError
    return book, articles


def content_hash_of(
    directory: Path, paths: list[Path], read: Mapping[Path, bytes] | None = None
) -> str:
    """sha256 (hex) over the files in order of their path relative to ``directory``; each
    contributes its relative path, a NUL, its length and its bytes, so a renamed or moved
    file changes the hash as a changed byte does. The same files give the same hash on
    every machine (names use ``/``). ``read`` holds the bytes already read by the loader
    (by resolved path): those are hashed, not a second read of the file."""
    digest = hashlib.sha256()
    base = directory.resolve()
    named = []
    for p in paths:
        resolved = p.resolve()  # once: each resolve is a system call per path component
        try:
            rel = resolved.relative_to(base).as_posix()
        except ValueError:  # a source given from elsewhere
            rel = p.name
        named.append((rel, p, resolved))
    for rel, p, resolved in sorted(named):
        known = read.get(resolved) if read is not None else None
        data = known if known is not None else p.read_bytes()
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


#: letters only Vietnamese writes (with its tone marks): a text without any is not Vietnamese
_VI_LETTERS = re.compile(
    "[ăâđêôơưĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]"
)


def _vietnamese(text: str, file: str, rule_id: str | None, field: str) -> str:
    """A ``*_vi`` text, normalised; refused when it carries no Vietnamese letter at all, which
    catches an English sentence pasted in place of the translation."""
    text = normalize(text)
    if not _VI_LETTERS.search(text):
        raise RulebookError(
            "not Vietnamese (no Vietnamese letter): write it in Vietnamese with diacritics",
            file=file,
            rule_id=rule_id,
            field=field,
        )
    return text


def _note_vi(m: RuleModel, file: str, rule_id: str) -> str | None:
    """A rule with a reading note must give it in Vietnamese too (and not the other way:
    an untranslatable Vietnamese-only note would leave English readers without it)."""
    if m.note and not m.note_vi:
        raise RulebookError(
            "note has no Vietnamese note_vi", file=file, rule_id=rule_id, field="note_vi"
        )
    if m.note_vi and not m.note:
        raise RulebookError("note_vi has no English note", file=file, rule_id=rule_id, field="note")
    return _vietnamese(m.note_vi, file, rule_id, "note_vi") if m.note_vi else None


def _check_complete(book: Rulebook, articles: set[int]) -> None:
    missing_files = sorted(set(book.regulation.titles) - articles)
    if missing_files:
        shown = ", ".join(f"Điều {a}" for a in missing_files[:5])
        raise RulebookError(
            f"incomplete rulebook: no rule file for {shown}"
            + (f" and {len(missing_files) - 5} more" if len(missing_files) > 5 else ""),
            file=resources.ARTICLES,
        )
    covered = {r.basis for r in book.rules.values()} | set(book.non_actionable)
    missing = [b for b in book.regulation.units if b not in covered]
    if missing:
        shown = ", ".join(str(b) for b in missing[:5])
        raise RulebookError(
            f"incomplete rulebook: {len(missing)} unit(s) of the text have neither a rule nor "
            f"a non_actionable reason: {shown}" + (" …" if len(missing) > 5 else ""),
            file=resources.ARTICLES,
        )


def _load_deadlines(path: Path, book: Rulebook) -> None:
    try:
        parsed = _DeadlinesFile.model_validate(load_yaml(path))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise RulebookError(
            error_message(err), file=path.name, field=loc_to_field(err["loc"])
        ) from None
    for i, p in enumerate(parsed.policies):
        if not book.regulation.contains(p.basis.to_basis(), p.quote):
            raise RulebookError(
                "quote not verbatim in its basis", file=path.name, field=f"policies.{i}"
            )
        book.deadlines[p.id] = p


def _load_article(path: Path, book: Rulebook) -> int:
    file = path.name
    data = load_yaml(path)
    try:
        parsed = ArticleFileModel.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        rule_id = None
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            rules = data.get("rules") if isinstance(data, dict) else None
            if isinstance(rules, list) and loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
                rid = rules[loc[1]].get("id")
                rule_id = rid if isinstance(rid, str) else None
        raise RulebookError(
            error_message(err), file=file, rule_id=rule_id, field=loc_to_field(loc)
        ) from None
    title = book.regulation.titles.get(parsed.article)
    if title is None:
        raise RulebookError(f"Art. {parsed.article} is not in the text", file=file, field="article")
    if normalize(parsed.title) != title:
        raise RulebookError(f"title differs from the text ({title!r})", file=file, field="title")
    for m in parsed.rules:
        if m.id in book.rules:
            other = book.rules[m.id].file
            raise RulebookError(
                f"duplicate rule id (also in {other})", file=file, rule_id=m.id, field="id"
            )
        book.rules[m.id] = _compile_rule(m, file, parsed.article, book)
    for i, na in enumerate(parsed.non_actionable):
        b = na.basis.to_basis()
        if b.article != parsed.article or book.regulation.unit(b) is None:
            raise RulebookError(
                f"{b} is not a unit of this article", file=file, field=f"non_actionable.{i}"
            )
        reason_vi = _vietnamese(na.reason_vi, file, None, f"non_actionable.{i}.reason_vi")
        book.non_actionable[b] = NonActionable(b, normalize(na.reason), file, reason_vi)
    return parsed.article
