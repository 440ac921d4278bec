"""The party registry: every body the regulation names, looked up by id or by name.

Government systems spell bodies many ways (with or without diacritics, abbreviations), so
look-up folds case and diacritics; but the registry keeps each ``name_vi`` exactly as the
regulation writes it, because that is the name a jurist checks against the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import resources
from .errors import RulebookError, UnknownPartyError, excerpt
from .text import fold, normalize
from .yamlio import error_message, load_yaml, loc_to_field

#: The packaged registry (``load_parties()`` follows ``$QUYCHE_RULES_DIR`` when set).
PARTIES_FILE = resources.packaged_rules_dir() / resources.PARTIES
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class PartyKind(StrEnum):
    BODY = "body"
    CLASS = "class"


class Party(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name_vi: str
    name_en: str
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    kind: PartyKind
    members: tuple[str, ...] = ()
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("must be lower-case ASCII letters, digits and underscores")
        return v


class _PartiesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parties: list[Party] = Field(min_length=1)


@dataclass(frozen=True)
class PartyRegistry:
    """Parties by id, and an index of folded names and aliases to ids."""

    parties: dict[str, Party]
    _by_name: dict[str, str]

    @classmethod
    def from_parties(cls, parties: list[Party], *, file: str = "parties.yaml") -> PartyRegistry:
        by_id: dict[str, Party] = {}
        by_name: dict[str, str] = {}
        for p in parties:
            if p.id in by_id:
                raise RulebookError("duplicate party id", file=file, field=f"parties.{p.id}")
            by_id[p.id] = p
        for p in parties:
            if p.parent is not None and p.parent not in by_id:
                raise RulebookError(
                    f"unknown parent {p.parent!r}", file=file, field=f"parties.{p.id}.parent"
                )
            for m in p.members:
                if m not in by_id:
                    raise RulebookError(
                        f"unknown member {m!r}", file=file, field=f"parties.{p.id}.members"
                    )
            if p.members and p.kind is not PartyKind.CLASS:
                raise RulebookError(
                    "only a class has members", file=file, field=f"parties.{p.id}.members"
                )
            for name in (p.name_vi, *p.aliases):
                key = fold(name)
                if by_name.get(key, p.id) != p.id:
                    raise RulebookError(
                        f"name {name!r} is also used by party {by_name[key]!r}",
                        file=file,
                        field=f"parties.{p.id}",
                    )
                by_name[key] = p.id
        return cls(by_id, by_name)

    def __contains__(self, party_id: object) -> bool:
        return party_id in self.parties

    def __iter__(self) -> Any:
        return iter(self.parties.values())

    def resolve(self, ref: str) -> Party:
        """Find a party by id, exact name, or a diacritic- and case-insensitive name.

        Raises ``UnknownPartyError`` (a ``QuycheError`` and a ``KeyError``) when nothing
        matches, so that callers can name the field it came from.
        """
        ref = normalize(ref)
        if ref in self.parties:
            return self.parties[ref]
        pid = self._by_name.get(fold(ref))
        if pid is None:
            raise UnknownPartyError(f"unknown party {excerpt(ref)}")
        return self.parties[pid]


def load_parties(path: Path | None = None) -> PartyRegistry:
    path = path if path is not None else resources.rules_file(resources.PARTIES)
    data = load_yaml(path)
    try:
        parsed = _PartiesFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise RulebookError(
            error_message(err), file=path.name, field=loc_to_field(err["loc"])
        ) from None
    return PartyRegistry.from_parties(parsed.parties, file=path.name)


@cache
def default_registry() -> PartyRegistry:
    return load_parties()
