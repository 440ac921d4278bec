"""The party registry: every body the regulation names, looked up by id or by name.

Government systems spell bodies many ways (with or without diacritics, abbreviations), so
look-up folds case and diacritics; but the registry keeps each ``name_vi`` exactly as the
regulation writes it, because that is the name a jurist checks against the text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from quyche_rules.errors import RulebookError, UnknownPartyError, excerpt
from quyche_rules.io import resources
from quyche_rules.io.parse_cache import load_yaml
from quyche_rules.io.textnorm import fold, normalize
from quyche_rules.io.yamlio import error_message, loc_to_field

#: The packaged registry (``load_parties()`` follows ``$QUYCHE_RULES_DIR`` when set).
PARTIES_FILE = resources.packaged_rules_dir() / resources.PARTIES
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
#: the class whose members are the Bloc's agencies: ``agency`` links and the event field
#: ``agency`` point at its members (Art. 1.1 "các cơ quan, đơn vị, doanh nghiệp thuộc Khối")
AGENCY_CLASS = "co_quan_thuoc_khoi"
#: Bound of the per-registry memo of resolved party references (see ``resolve``).
RESOLVE_MEMO_SIZE = 4096


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
    # --- relations (issue 8); all optional, so every existing entry keeps its meaning ---
    #: the body (or, for a class, the class) this one is an organ or the leadership of: a
    #: condition naming the principal is met when this one acts
    acts_for: str | None = None
    #: classes this body belongs to (a profile's way of writing a class's ``members``)
    member_of: tuple[str, ...] = ()
    #: the Bloc agency a Party body (đảng đoàn, ban cán sự đảng, Party organisation) belongs to
    agency: str | None = None
    #: id of the district, town or city where the body has its seat (Art. 14)
    seat_district: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    #: the body that took over this one's business when it ended (a profile's
    #: ``succeeded_by``), and the day it did: who inherits the open cases of an ended body
    succeeded_by: str | None = None
    succeeded_on: dt.date | None = None
    #: where a profile took the body from (a public source a reader can check)
    source: str | None = None

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
class District:
    """A district, town or city of a deployment profile (Art. 14 "địa bàn")."""

    id: str
    name_vi: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartyRegistry:
    """Parties by id, and an index of folded names and aliases to ids.

    Relations (issue 8): a body may *act for* another (an organ for the committee, a
    leadership for its agency) and be a *member of* classes. ``subsumed(x)`` is every id
    that counts as ``x`` in a rule condition; ``up(p)`` every id ``p`` counts as. Both are
    computed once per registry and used at load time only, so matching stays a plain
    comparison of ids.
    """

    parties: dict[str, Party]
    _by_name: dict[str, str]
    districts: dict[str, District] = field(default_factory=dict)
    _district_by_name: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_parties(
        cls,
        parties: list[Party],
        *,
        file: str = "parties.yaml",
        section: str = "parties",
        districts: tuple[District, ...] = (),
    ) -> PartyRegistry:
        by_id: dict[str, Party] = {}
        by_name: dict[str, str] = {}
        for p in parties:
            if p.id in by_id:
                raise RulebookError("duplicate party id", file=file, field=f"{section}.{p.id}.id")
            by_id[p.id] = p
        d_by_id = {d.id: d for d in districts}
        for p in parties:
            where = f"{section}.{p.id}"
            if p.parent is not None and p.parent not in by_id:
                raise RulebookError(
                    f"unknown parent {p.parent!r}", file=file, field=f"{where}.parent"
                )
            for m in p.members:
                if m not in by_id:
                    raise RulebookError(
                        f"unknown member {m!r}", file=file, field=f"{where}.members"
                    )
            if p.members and p.kind is not PartyKind.CLASS:
                raise RulebookError("only a class has members", file=file, field=f"{where}.members")
            for c in p.member_of:
                if c not in by_id or by_id[c].kind is not PartyKind.CLASS:
                    raise RulebookError(
                        f"unknown class {c!r}", file=file, field=f"{where}.member_of"
                    )
            if p.acts_for is not None:
                target = by_id.get(p.acts_for)
                if target is None:
                    raise RulebookError(
                        f"acts for unknown party {p.acts_for!r}",
                        file=file,
                        field=f"{where}.acts_for",
                    )
                if target.kind is not p.kind:
                    raise RulebookError(
                        f"a {p.kind.value} acts only for a {p.kind.value} "
                        f"({p.acts_for!r} is a {target.kind.value})",
                        file=file,
                        field=f"{where}.acts_for",
                    )
            if p.agency is not None and (
                p.agency not in by_id or AGENCY_CLASS not in _direct_classes(by_id, p.agency)
            ):
                raise RulebookError(
                    f"{p.agency!r} is not a Bloc agency (a member of {AGENCY_CLASS})",
                    file=file,
                    field=f"{where}.agency",
                )
            if p.seat_district is not None and p.seat_district not in d_by_id:
                raise RulebookError(
                    f"unknown district {p.seat_district!r}",
                    file=file,
                    field=f"{where}.seat_district",
                )
            if p.valid_from and p.valid_to and p.valid_to < p.valid_from:
                raise RulebookError(
                    f"valid_to {p.valid_to} is before valid_from {p.valid_from}",
                    file=file,
                    field=f"{where}.valid_to",
                )
            for i, name in enumerate((p.name_vi, *p.aliases)):
                key = fold(name)
                if by_name.get(key, p.id) != p.id:
                    raise RulebookError(
                        f"name {name!r} is also used by party {by_name[key]!r}",
                        file=file,
                        field=f"{where}.name_vi" if i == 0 else f"{where}.aliases",
                    )
                by_name[key] = p.id
        for p in parties:  # a cycle of acts_for would make "counts as" meaningless
            seen = [p.id]
            nxt = p.acts_for
            while nxt is not None:
                if nxt in seen:
                    raise RulebookError(
                        f"acts_for cycle: {' → '.join([*seen, nxt])}",
                        file=file,
                        field=f"{section}.{p.id}.acts_for",
                    )
                seen.append(nxt)
                nxt = by_id[nxt].acts_for
        d_by_name: dict[str, str] = {}
        for d in districts:
            for name in (d.id, d.name_vi, *d.aliases):
                key = fold(name)
                if d_by_name.get(key, d.id) != d.id:
                    raise RulebookError(
                        f"district name {name!r} is also used by {d_by_name[key]!r}",
                        file=file,
                        field=f"districts.{d.id}",
                    )
                d_by_name[key] = d.id
        return cls(by_id, by_name, d_by_id, d_by_name)

    # --- relations ---------------------------------------------------------------------------

    def direct_classes(self, pid: str) -> frozenset[str]:
        """Classes the party is directly a member of (``member_of`` or a class's ``members``)."""
        return self._classes.get(pid, frozenset())

    @cached_property
    def _classes(self) -> dict[str, frozenset[str]]:
        return {pid: _direct_classes(self.parties, pid) for pid in self.parties}

    @cached_property
    def _up(self) -> dict[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}

        def visit(pid: str, path: tuple[str, ...]) -> frozenset[str]:
            if pid in out:
                return out[pid]
            p = self.parties[pid]
            direct = set(self.direct_classes(pid))
            if p.acts_for is not None:
                direct.add(p.acts_for)
            acc = set(direct)
            for q in direct:
                if q not in path:  # class membership may be circular in principle
                    acc |= visit(q, (*path, q))
            acc.discard(pid)
            out[pid] = frozenset(acc)
            return out[pid]

        for pid in self.parties:
            visit(pid, (pid,))
        return out

    def up(self, pid: str) -> frozenset[str]:
        """Every id the party counts as: bodies it acts for, classes it belongs to, and
        theirs, transitively (itself excluded)."""
        return self._up.get(pid, frozenset())

    @cached_property
    def _down(self) -> dict[str, frozenset[str]]:
        acc: dict[str, set[str]] = {pid: {pid} for pid in self.parties}
        for pid, ups in self._up.items():
            for u in ups:
                acc[u].add(pid)
        return {k: frozenset(v) for k, v in acc.items()}

    def subsumed(self, pid: str) -> frozenset[str]:
        """Every id that satisfies a condition naming ``pid``: itself, what acts for it,
        its members, transitively."""
        return self._down.get(pid, frozenset({pid}))

    def members(self, class_id: str) -> tuple[str, ...]:
        """The concrete bodies directly in a class (what a class obligation resolves to)."""
        members = self._members.get(class_id)
        if members is None:  # not a class with members: the scan gives the same empty answer
            return ()
        return members

    @cached_property
    def _members(self) -> dict[str, tuple[str, ...]]:
        """``members`` of every class, in registry order, computed once (issue 10: it was
        a scan of every party per class per query)."""
        out: dict[str, list[str]] = {}
        for p in self.parties.values():
            if p.kind is PartyKind.BODY:
                for c in self.direct_classes(p.id):
                    out.setdefault(c, []).append(p.id)
        return {c: tuple(ms) for c, ms in out.items()}

    def agency_of(self, pid: str) -> str | None:
        """The Bloc agency a body belongs to: itself if it is one, else through its
        ``agency`` link or the body it acts for."""
        seen: set[str] = set()
        cur: str | None = pid
        while cur is not None and cur not in seen:
            seen.add(cur)
            p = self.parties[cur]
            if p.kind is PartyKind.BODY and AGENCY_CLASS in self.direct_classes(cur):
                return cur
            cur = p.agency if p.agency is not None else p.acts_for
        return None

    def resolve_district(self, ref: str) -> str:
        """A district id from its id or name (diacritic- and case-insensitive)."""
        did = self._district_by_name.get(fold(normalize(ref)))
        if did is None:
            raise KeyError(ref)
        return did

    def extended(
        self, bodies: list[Party], districts: tuple[District, ...], *, file: str
    ) -> PartyRegistry:
        """This registry plus a profile's bodies and districts, validated together so that
        a profile body cannot take a name of the regulation's parties."""
        clash = [b for b in bodies if b.id in self.parties]
        if clash:
            raise RulebookError(
                "id is already a party of rules/parties.yaml",
                file=file,
                field=f"bodies.{clash[0].id}.id",
            )
        base = [p for p in self.parties.values()]
        reg = PartyRegistry.from_parties(
            [*base, *bodies],
            file=file,
            section="bodies",
            districts=(*self.districts.values(), *districts),
        )
        return reg

    def __contains__(self, party_id: object) -> bool:
        return party_id in self.parties

    def __iter__(self) -> Any:
        return iter(self.parties.values())

    @cached_property
    def _resolved(self) -> dict[str, str]:
        """Memo of ``resolve``: raw reference → party id (issue 10: folding a name costs
        microseconds per call, and events repeat the same few names)."""
        return {}

    def resolve(self, ref: str) -> Party:
        """Find a party by id, exact name, or a diacritic- and case-insensitive name.

        Raises ``UnknownPartyError`` (a ``QuycheError`` and a ``KeyError``) when nothing
        matches, so that callers can name the field it came from.

        Successful look-ups are memoised, at most ``RESOLVE_MEMO_SIZE`` of them: names come
        from outside, so the memo stops growing when full (failures are never kept). The
        registry is immutable, so a memoised answer never goes stale. Long references (over
        256 characters) are not kept.
        """
        memo = self._resolved
        pid = memo.get(ref)
        if pid is not None:
            return self.parties[pid]
        party = self._resolve(ref)
        if len(memo) < RESOLVE_MEMO_SIZE and len(ref) <= 256:
            memo[ref] = party.id  # one dict store: atomic, safe between threads
        return party

    def _resolve(self, ref: str) -> Party:
        ref = normalize(ref)
        if ref in self.parties:
            return self.parties[ref]
        pid = self._by_name.get(fold(ref))
        if pid is None:
            raise UnknownPartyError(f"unknown party {excerpt(ref)}")
        return self.parties[pid]


def _direct_classes(by_id: dict[str, Party], pid: str) -> frozenset[str]:
    p = by_id[pid]
    out = set(p.member_of)
    out.update(c.id for c in by_id.values() if c.kind is PartyKind.CLASS and pid in c.members)
    return frozenset(out)


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
