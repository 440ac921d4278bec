"""Deployment profiles: one province's concrete bodies, below the regulation's parties.

The regulation names classes ("lãnh đạo các cơ quan thuộc Khối", "các huyện ủy, thị ủy,
thành ủy"); a document-management system names bodies ("lãnh đạo Sở Y tế", "Huyện ủy Krông
Búk"). A profile lists those bodies with their relations (``member_of`` a class of
``rules/parties.yaml``, ``acts_for`` the body they are an organ or leadership of, ``agency``
for a Party body of an agency, ``seat_district``) and their validity, so that conditions
match them and class obligations resolve to them. It also states what the text leaves
blank: the regulation's number and signing date (Art. 18: in force from signing).

A profile only *adds* bodies: it cannot redefine a party of the regulation, so every rule
keeps the meaning the rule files give it. Bad profiles are refused with the file, the body
id and the field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from quyche_rules.errors import EventError, RulebookError
from quyche_rules.io.parse_cache import load_yaml
from quyche_rules.io.resources import packaged_profiles
from quyche_rules.io.yamlio import error_message, loc_to_field, recording_reads
from quyche_rules.model.parties import District, Party, PartyKind, PartyRegistry, default_registry

#: environment variable naming the profile the CLI (and ``profile_from_env``) loads: a
#: packaged profile's name (``dak-lak``) or a file's path
PROFILE_ENV = "QUYCHE_PROFILE"
#: ``QuycheError.code`` of an event dated after the regulation ceased to apply in the
#: province (``regulation.ended_on``): the CLI, the library and the service's problem say it
REGULATION_ENDED = "regulation_ended"
_ID = r"^[a-z][a-z0-9_]*$"
#: what a packaged profile's name looks like: no directory, no suffix
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


class ProfileError(RulebookError):
    """A profile file is malformed or inconsistent (file, ``bodies.<id>.<field>``)."""


class RegulationInfo(BaseModel):
    """What Art. 18 leaves to the signing: the number, the date, what it replaces; and,
    when the regulation ceased to apply in the province, the day, why and where that is
    written (``ended_on``, ``ended_reason``, ``ended_source``: all three or none), with the
    last day of each of the regulation's own parties that ended there (``parties_ended``).

    An end is data a reader must be able to check, like a body's: no source, no end."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    number: str | None = Field(default=None, min_length=1)
    signed_on: dt.date
    replaces: str = Field(min_length=1)
    source: str = Field(min_length=1)
    ended_on: dt.date | None = None
    ended_reason: str | None = Field(default=None, min_length=1)
    ended_source: str | None = Field(default=None, min_length=1)
    parties_ended: dict[str, dt.date] = Field(default_factory=dict)

    @field_validator("signed_on", "ended_on", mode="before")
    @classmethod
    def _no_datetime(cls, v: Any) -> Any:
        if isinstance(v, dt.datetime):
            raise ValueError("must be a date (YYYY-MM-DD), not a date-time")
        return v

    @model_validator(mode="after")
    def _end_is_sourced(self) -> RegulationInfo:
        given = [f for f in ("ended_on", "ended_reason", "ended_source") if getattr(self, f)]
        if given and len(given) < 3:
            missing = next(
                f for f in ("ended_on", "ended_reason", "ended_source") if f not in given
            )
            raise ValueError(
                f"{missing} is required with {given[0]} (an end needs its day, "
                "its reason and its source)"
            )
        if self.ended_on is not None and self.ended_on < self.signed_on:
            raise ValueError(f"ended_on {self.ended_on} is before signed_on {self.signed_on}")
        return self


class DistrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=_ID)
    name_vi: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    source: str | None = None


class BodyModel(BaseModel):
    """One concrete body. ``source`` is required: a reader must be able to check it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=_ID)
    name_vi: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    member_of: tuple[str, ...] = ()
    acts_for: str | None = None
    agency: str | None = None
    seat_district: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    #: the body that took over when this one ended, from ``succeeded_on`` (default: the day
    #: after ``valid_to``); the successor must exist on that day
    succeeded_by: str | None = Field(default=None, pattern=_ID)
    succeeded_on: dt.date | None = None
    source: str = Field(min_length=1)
    note: str | None = None

    @field_validator("valid_from", "valid_to", "succeeded_on", mode="before")
    @classmethod
    def _no_datetime(cls, v: Any) -> Any:
        if isinstance(v, dt.datetime):
            raise ValueError("must be a date (YYYY-MM-DD), not a date-time")
        return v

    def to_party(self) -> Party:
        return Party(
            id=self.id,
            name_vi=self.name_vi,
            name_en=self.name_en,
            aliases=self.aliases,
            kind=PartyKind.BODY,
            note=self.note,
            acts_for=self.acts_for,
            member_of=self.member_of,
            agency=self.agency,
            seat_district=self.seat_district,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            succeeded_by=self.succeeded_by,
            succeeded_on=self.successor_from,
            source=self.source,
        )

    @property
    def successor_from(self) -> dt.date | None:
        """The day the successor takes over: ``succeeded_on``, else the day after
        ``valid_to`` (None without a successor or an end)."""
        if self.succeeded_by is None:
            return None
        if self.succeeded_on is not None:
            return self.succeeded_on
        return self.valid_to + dt.timedelta(days=1) if self.valid_to else None


class ProfileFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    province: str = Field(min_length=1)
    description: str | None = None
    regulation: RegulationInfo
    districts: list[DistrictModel] = Field(default_factory=list)
    bodies: list[BodyModel] = Field(min_length=1)


@dataclass(frozen=True)
class Profile:
    """A loaded, validated profile and the registry it makes (regulation + bodies)."""

    file: str
    province: str
    regulation: RegulationInfo
    registry: PartyRegistry
    body_ids: tuple[str, ...]
    #: sha256 of the file's bytes: receipts name the profile by file name *and* content, so
    #: an audit can tell two editions of ``dak-lak.yaml`` apart (None: built in memory)
    sha256: str | None = None

    @property
    def label(self) -> str:
        """How a receipt names the profile: ``dak-lak.yaml sha256:<hex>``."""
        return self.file if self.sha256 is None else f"{self.file} sha256:{self.sha256}"

    def check_date(self, date: dt.date) -> None:
        """Refuse an event dated before the regulation was signed (Art. 18: in force from
        signing; before it Quy chế 03-QC/TU of 29/7/2016 applied, whose duties this
        rulebook does not encode). Refusing, not flagging: an answer under the wrong
        regulation is worse than none."""
        number = self.regulation.number or "this regulation"
        if date < self.regulation.signed_on:
            raise EventError(
                f"date: {date} is before {number} was signed ({self.regulation.signed_on}, "
                f"profile {self.file}); it replaced {self.regulation.replaces}, which applies"
            )
        end = self.regulation.ended_on
        if end is not None and date > end:
            # the same refusal as before the signing: no duty of this regulation exists
            # after it ceased to apply, whatever body the event names. In the reader's
            # language (the library's is English unless told), with its own code, so the
            # CLI, the service and a program say and tell apart the same thing
            vi, say = _reader_language()
            raise EventError(
                "date: "
                + say(
                    "{date} is after {number} ceased to apply in {province} ({end}, profile "
                    "{file}): {reason}",
                    date=date.strftime("%d/%m/%Y") if vi else date.isoformat(),
                    number=self.regulation.number or say("this regulation"),
                    province=self.province,
                    end=end.strftime("%d/%m/%Y") if vi else end.isoformat(),
                    file=self.file,
                    reason=self.regulation.ended_reason,
                ),
                code=REGULATION_ENDED,
            )

    def check_raw_date(self, data: Any) -> None:
        """``check_date`` on an event not yet validated (a mapping or a model), so that an
        event after the regulation's end is refused for that reason first, not for a body
        of the regulation that ended with it. A date that does not parse is left to the
        event's own validation, which names it."""
        raw = data.get("date") if isinstance(data, dict) else getattr(data, "date", None)
        if isinstance(raw, str):
            try:
                raw = dt.date.fromisoformat(raw)
            except ValueError:
                return
        if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            self.check_date(raw)


def _reader_language() -> tuple[bool, Callable[..., str]]:
    """(whether the reader reads Vietnamese, the translating function). The catalogue
    needs Babel, which the core install does not carry (only the ``[cli]``/``[service]``
    extras do): without it, English, as the library speaks unless told."""
    try:
        from quyche_rules.i18n import _, language
    except ModuleNotFoundError:

        def english(message: str, /, **values: object) -> str:
            return message.format(**values) if values else message

        return False, english
    return language() == "vi", _


ProfileRef = Profile | str | Path | None


def find_profile(ref: str | os.PathLike[str]) -> Path:
    """The file of a profile named by ``ref``: a path (as given, relative to the current
    directory), or the name of a profile shipped in the package (``dak-lak``), so that an
    installed wheel can use its profiles without knowing where pip put them. An existing
    file wins over a packaged profile of the same name: a path always means what it says."""
    given = os.fspath(ref)
    path = Path(given)
    if _NAME.fullmatch(given) and not path.exists():
        shipped = packaged_profiles()
        if given in shipped:
            return shipped[given]
        names = ", ".join(shipped) or "none"
        raise ProfileError(
            f"no such file, and no packaged profile of that name (packaged: {names})",
            file=given,
        )
    return path


def load_profile(path: str | Path, registry: PartyRegistry | None = None) -> Profile:
    """Read and validate a profile (a file's path or a packaged profile's name) against
    the regulation's parties.

    Raises ``ProfileError`` naming the path as given when it cannot be read, else the
    file's name, the body id and the field."""
    given = os.fspath(path)
    path = find_profile(given)
    file = path.name  # how receipts name the profile (with its hash): not where it lies
    try:
        with recording_reads() as read:  # hash the bytes parsed, without reading again
            data = load_yaml(path)
    except RulebookError as exc:  # also a directory, no permission... (read_bounded)
        where = given if exc.file == file else exc.file
        raise ProfileError(exc.message, file=where, line=exc.line) from None
    try:
        parsed = ProfileFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        if len(loc) >= 2 and loc[0] in ("bodies", "districts") and isinstance(loc[1], int):
            items = data.get(loc[0]) if isinstance(data, dict) else None
            item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, str) and ident:
                loc[1] = ident
        raise ProfileError(error_message(err), file=file, field=loc_to_field(loc)) from None
    base = registry or default_registry()
    seen: set[str] = set()
    for b in parsed.bodies:
        if b.id in seen:
            raise ProfileError("duplicate body id", file=file, field=f"bodies.{b.id}.id")
        seen.add(b.id)
    districts = tuple(District(d.id, d.name_vi, d.aliases) for d in parsed.districts)
    base = _with_ends(base, parsed.regulation, file)
    try:
        reg = base.extended([b.to_party() for b in parsed.bodies], districts, file=file)
    except ProfileError:
        raise
    except RulebookError as exc:
        raise ProfileError(exc.message, file=exc.file, field=exc.field) from None
    for b in parsed.bodies:
        _check_successor(b, reg, file)
    digest = hashlib.sha256(read[path.resolve()]).hexdigest()
    return Profile(
        file,
        parsed.province,
        parsed.regulation,
        reg,
        tuple(b.id for b in parsed.bodies),
        sha256=digest,
    )


def _with_ends(base: PartyRegistry, reg: RegulationInfo, file: str) -> PartyRegistry:
    """The regulation's parties with the last days the profile records for them in this
    province (``regulation.parties_ended``): an event naming one after it is refused like
    any other use of an ended body. Only the regulation's own parties: a profile body
    says its own ``valid_to``."""
    if not reg.parties_ended:
        return base
    for pid, end in reg.parties_ended.items():
        p = base.parties.get(pid)
        where = f"regulation.parties_ended.{pid}"
        if p is None:
            raise ProfileError("not a party of rules/parties.yaml", file=file, field=where)
        if p.valid_from is not None and end < p.valid_from:
            raise ProfileError(f"{end} is before valid_from {p.valid_from}", file=file, field=where)
    parties = [
        p.model_copy(update={"valid_to": reg.parties_ended[p.id]})
        if p.id in reg.parties_ended
        else p
        for p in base.parties.values()
    ]
    return PartyRegistry.from_parties(
        parties,
        file=file,
        section="regulation.parties_ended",
        districts=tuple(base.districts.values()),
    )


def _check_successor(b: BodyModel, reg: PartyRegistry, file: str) -> None:
    """A successor must be another known body that exists on the day it takes over, and
    only an ended body has one (refused with the file, the body and the field)."""
    where = f"bodies.{b.id}"
    if b.succeeded_by is None:
        if b.succeeded_on is not None:
            raise ProfileError("needs succeeded_by", file=file, field=f"{where}.succeeded_on")
        return
    if b.valid_to is None:
        raise ProfileError(
            "needs valid_to: only a body that ended has a successor",
            file=file,
            field=f"{where}.succeeded_by",
        )
    succ = reg.parties.get(b.succeeded_by)
    if succ is None or succ.id == b.id:
        why = "a body cannot succeed itself" if succ is not None else "unknown body"
        raise ProfileError(f"{why} {b.succeeded_by!r}", file=file, field=f"{where}.succeeded_by")
    day = b.successor_from
    assert day is not None  # valid_to is set
    if day <= b.valid_to:
        raise ProfileError(
            f"{day} is not after valid_to {b.valid_to}", file=file, field=f"{where}.succeeded_on"
        )
    if (succ.valid_from and day < succ.valid_from) or (succ.valid_to and day > succ.valid_to):
        span = f"{succ.valid_from or '…'} to {succ.valid_to or '…'}"
        raise ProfileError(
            f"{succ.id} exists from {span}, not on {day}, the day it takes over",
            file=file,
            field=f"{where}.succeeded_by",
        )


def profile_from_env(registry: PartyRegistry | None = None) -> Profile | None:
    """The profile named by ``QUYCHE_PROFILE``, or None when it is unset or empty."""
    path = os.environ.get(PROFILE_ENV, "").strip()
    return load_profile(path, registry) if path else None


def as_profile(ref: ProfileRef, registry: PartyRegistry) -> Profile | None:
    """``Engine(profile=...)`` accepts a loaded profile, a path to one or a packaged
    profile's name (``"dak-lak"``)."""
    if ref is None:
        return None
    if isinstance(ref, Profile):
        missing = [pid for pid in registry.parties if pid not in ref.registry.parties]
        if missing:
            raise ProfileError(
                f"was loaded against another party registry (lacks {missing[0]!r}): load it "
                "with this rulebook's parties",
                file=ref.file,
            )
        return ref
    return load_profile(ref, registry)
