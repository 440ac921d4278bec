"""The event classes a rulebook can tell apart, enumerated exhaustively.

Every condition tests one field against finitely many values (party ids after widening,
enum values, booleans), so two events whose fields satisfy the same *atoms* (the tests
``field ∈ S`` and ``list ∋ one of S`` of every trigger) fire the same triggers. Per event
type, each field's values are grouped by the atoms they satisfy (their *signature*): values
with one signature are interchangeable for every rule, and the values no condition names
form one "any other value" group. A class is one choice of group per field; its
representative event takes one value from each group.

Fields a rule names as ``@field`` (the obligated body or a counterparty comes from the
event) are enumerated as well, against the bodies the type's rules name outright: whether
``requested`` *is* Đảng ủy Khối decides whether two rules give the same duty twice, though
no condition tests it.

The product over fields is enumerated whole when it is at most ``MAX_CLASSES``. Beyond that
it is split honestly: fields that no trigger (and no rule's parties) joins are independent,
so each group of joined fields is enumerated on its own with the other fields at their
"any other value"; the report says so (``partitioned``). Nothing is ever sampled. (Two
rules of different groups then meet only where the other groups are at "any other
value"; a duplicate between them elsewhere would need the product. No type of today's
rulebook is partitioned: the largest, ``personnel_action``, has all its fields joined, so
its 25,920 classes are enumerated whole.)
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from quyche_rules.engine.backends import CompiledTrigger
from quyche_rules.model.event_checks import FieldInfo, condition_fields
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.model.parties import PartyKind, PartyRegistry
from quyche_rules.rulebook.conditions import All, AnyOf, Condition, Contains, Eq, In, Scalar
from quyche_rules.rulebook.loader import Rulebook

#: above this many classes for one event type, its fields are enumerated group by group
MAX_CLASSES = 20_000
#: the event types no rule listens to on purpose (lifecycle events of the tracker)
OTHER = "(khác / other)"
#: in a merged group, a field that takes every value
ANY = "*"
ABSENT = "(không có / absent)"


@dataclass(frozen=True)
class Atom:
    """One test a trigger makes of one field: the field holds (or, for a list, contains)
    one of ``values``. ``key`` names the trigger and the test's place in it."""

    key: str
    field: str
    values: frozenset[Scalar]
    #: the compiled trigger it belongs to ("" for a ``@field`` party test)
    trigger: str = ""


@dataclass(frozen=True)
class ValueClass:
    """A group of values of one field that every atom treats alike.

    ``members`` are the values (party ids, enum values, booleans) of the group, empty for
    "absent"; ``rep`` is the value the representative event carries (a list for a list
    field); ``label`` is how a reader sees it."""

    field: str
    signature: frozenset[str]
    members: tuple[Scalar, ...]
    rep: Any
    label: str

    @property
    def is_other(self) -> bool:
        return not self.signature


@dataclass(frozen=True)
class EventClass:
    """One class: an event type and one value group per enumerated field."""

    event_type: str
    values: tuple[ValueClass, ...]
    event: dict[str, Any]

    @property
    def key(self) -> str:
        """A stable name of the class: the type and each field's label."""
        parts = [f"{v.field}={v.label}" for v in self.values]
        return self.event_type + ("[" + ", ".join(parts) + "]" if parts else "")

    def describe(self) -> dict[str, Any]:
        return {
            v.field: {"value": v.label, "members": [_plain(m) for m in v.members]}
            for v in self.values
        }


@dataclass
class TypeEnumeration:
    """The classes of one event type, and how they were obtained."""

    event_type: str
    fields: tuple[str, ...]
    product: int
    partitioned: bool
    groups: tuple[tuple[str, ...], ...]
    classes: list[EventClass] = field(default_factory=list)
    #: values left out because no body of their group exists on the enumeration date
    skipped: list[str] = field(default_factory=list)


def _plain(v: Any) -> Any:
    return v if isinstance(v, bool | str) else str(v)


# --- atoms ----------------------------------------------------------------------------------


def atoms_of(cond: Condition | None, key: str) -> list[Atom]:
    """The atoms of a compiled (widened) condition. A widened ``{contains: class}`` is an
    ``any`` of ``contains`` on one field: one atom "the list holds one of these", since the
    language has no negation and the two read the same."""
    out: list[Atom] = []

    def walk(c: Condition, path: str) -> None:
        if isinstance(c, Eq):
            out.append(Atom(path, c.field, frozenset([c.value]), key))
        elif isinstance(c, In):
            out.append(Atom(path, c.field, frozenset(c.values), key))
        elif isinstance(c, Contains):
            out.append(Atom(path, c.field, frozenset([c.value]), key))
        elif isinstance(c, AnyOf) and _one_list_field(c):
            fld = c.items[0].field  # type: ignore[union-attr]
            vals = frozenset(i.value for i in c.items)  # type: ignore[union-attr]
            out.append(Atom(path, fld, vals, key))
        else:
            assert isinstance(c, All | AnyOf)
            for i, sub in enumerate(c.items):
                walk(sub, f"{path}.{i}")

    if cond is not None:
        walk(cond, key)
    return out


def _one_list_field(c: AnyOf) -> bool:
    return all(isinstance(i, Contains) for i in c.items) and (
        len({i.field for i in c.items if isinstance(i, Contains)}) == 1
    )


def party_refs(book: Rulebook, event_type: str) -> dict[str, set[str]]:
    """Per ``@field`` some rule of ``event_type`` takes a party from, the bodies the type's
    rules name outright: the values that decide whether two rules bind the same body."""
    rules = [r for r in book if any(t.event_type == event_type for t in r.event_triggers)]
    named = {p for r in rules for p in (r.obligated, *r.counterparties) if not p.startswith("@")}
    refs: dict[str, set[str]] = {}
    for r in rules:
        for p in (r.obligated, *r.counterparties):
            if p.startswith("@"):
                refs.setdefault(p[1:], set()).update(named)
    return refs


# --- value classes per field -----------------------------------------------------------------


def _valid(registry: PartyRegistry, pid: str, on: dt.date) -> bool:
    p = registry.parties[pid]
    return not ((p.valid_from and on < p.valid_from) or (p.valid_to and on > p.valid_to))


def _candidates(info: FieldInfo, registry: PartyRegistry) -> list[Scalar]:
    if info.kind == "bool":
        return [True, False]
    if info.kind == "enum":
        assert info.enum is not None
        return [e.value for e in info.enum]
    # bodies before classes, so an "other" body stands for the group when there is one
    ids = sorted(registry.parties, key=lambda p: (registry.parties[p].kind is PartyKind.CLASS, p))
    return list(ids)


def _label(
    members: tuple[Scalar, ...], signature: frozenset[str], party: bool, max_shown: int = 3
) -> str:
    """How a reader sees a value group: its values (the first few), or "other" for the
    parties no condition names (there are many) and for more than a few enum values."""
    if not signature and (party or len(members) > max_shown):
        return OTHER
    shown = [_plain(m) if not isinstance(m, bool) else ("true" if m else "false") for m in members]
    if len(shown) <= max_shown:
        return "|".join(str(s) for s in shown)
    return "|".join(str(s) for s in shown[:max_shown]) + f"|…(+{len(shown) - max_shown})"


def value_classes(
    name: str,
    info: FieldInfo,
    atoms: list[Atom],
    registry: PartyRegistry,
    on: dt.date,
    *,
    optional: bool,
    taken: set[str],
    skipped: list[str],
) -> list[ValueClass]:
    """The value groups of one scalar field, or, for a list field, of one element."""
    mine = [a for a in atoms if a.field == name]
    groups: dict[frozenset[str], list[Scalar]] = {}
    for v in _candidates(info, registry):
        sig = frozenset(a.key for a in mine if any(_same(v, x) for x in a.values))
        groups.setdefault(sig, []).append(v)
    out: list[ValueClass] = []
    for sig, members in sorted(groups.items(), key=lambda kv: _sig_order(kv[0], kv[1])):
        rep: Any = members[0]
        if info.kind in ("party", "party_list"):
            live = [m for m in members if isinstance(m, str) and _valid(registry, m, on)]
            fresh = [m for m in live if m not in taken] or live
            if not fresh:
                skipped.append(f"{name}: {', '.join(map(str, members))} (not in force on {on})")
                continue
            rep = fresh[0]
            if not sig:
                taken.add(str(rep))
        party = info.kind in ("party", "party_list")
        # a reader sees the classes a condition names first ("co_quan_thuoc_khoi"), then
        # the bodies in them; the representative is a body
        shown = sorted(members, key=lambda m: _display_order(registry, m)) if party else members
        out.append(ValueClass(name, sig, tuple(members), rep, _label(tuple(shown), sig, party)))
    if optional and info.kind == "party" and not any(vc.is_other for vc in out):
        out.append(ValueClass(name, frozenset(), (), None, ABSENT))
    return out


def _display_order(registry: PartyRegistry, m: Scalar) -> tuple[bool, str]:
    p = registry.parties.get(str(m))
    return (p is None or p.kind is not PartyKind.CLASS, str(m))


def _sig_order(sig: frozenset[str], members: list[Scalar]) -> tuple[bool, str]:
    return (not sig, str(members[0]))


def _same(a: Scalar, b: Scalar) -> bool:
    return type(a) is type(b) and a == b


def list_classes(elements: list[ValueClass], may_be_empty: bool) -> list[ValueClass]:
    """The groups of a list field: which element groups it holds, up to what the atoms
    see (the union of the elements' signatures). An "other" element alone stands for
    every list no atom sees."""
    states: dict[frozenset[str], list[ValueClass]] = {}
    if may_be_empty:
        states[frozenset()] = []
    for el in sorted(elements, key=lambda e: len(e.signature)):
        if el.is_other:
            states.setdefault(frozenset(), [el])
            continue
        new: dict[frozenset[str], list[ValueClass]] = {el.signature: [el]}
        for sig, els in states.items():
            union = sig | el.signature
            if union not in states and union not in new:
                new[union] = [e for e in els if not e.is_other] + [el]
        for sig, els in new.items():
            states.setdefault(sig, els)
    out = []
    for sig, els in sorted(states.items(), key=lambda kv: (len(kv[0]), sorted(kv[0]))):
        members = tuple(m for e in els for m in e.members)
        label = "[" + ", ".join(e.label for e in els) + "]" if els else "[]"
        out.append(
            ValueClass(els[0].field if els else "", sig, members, [e.rep for e in els], label)
        )
    return out


# --- the enumeration ------------------------------------------------------------------------


def enumerate_type(
    sources: Sequence[tuple[Rulebook, list[CompiledTrigger]]],
    event_type: str,
    registry: PartyRegistry,
    on: dt.date,
    *,
    max_classes: int = MAX_CLASSES,
) -> TypeEnumeration:
    """Every class of ``event_type`` under the union of the sources' compiled triggers
    (a source is a rulebook and its triggers; a diff enumerates two at once, so both
    rulebooks' classes are the same classes)."""
    mine: list[tuple[str, CompiledTrigger]] = []
    atoms: list[Atom] = []
    refs: dict[str, set[str]] = {}
    for n, (book, triggers) in enumerate(sources):
        for t in triggers:
            if t.event_type == event_type:
                mine.append((f"{n}:", t))
                atoms.extend(atoms_of(t.condition, f"{n}:{t.key}"))
        for fld, named in party_refs(book, event_type).items():
            refs.setdefault(fld, set()).update(named)
    for fld, named in sorted(refs.items()):
        atoms.extend(Atom(f"@{fld}={p}", fld, frozenset([p])) for p in sorted(named))
    infos = condition_fields(event_type)
    model = EVENT_TYPES[event_type]
    names = sorted({a.field for a in atoms})
    taken: set[str] = set()
    skipped: list[str] = []
    per_field: dict[str, list[ValueClass]] = {}
    for name in names:
        info = infos[name]
        f = model.model_fields[name]
        optional = f.default is None
        if info.kind == "party_list":
            els = value_classes(
                name, info, atoms, registry, on, optional=False, taken=taken, skipped=skipped
            )
            may_be_empty = not any(getattr(m, "min_length", 0) for m in f.metadata)
            lists = list_classes(els, may_be_empty)
            per_field[name] = [
                ValueClass(name, v.signature, v.members, v.rep, v.label) for v in lists
            ]
        else:
            per_field[name] = value_classes(
                name, info, atoms, registry, on, optional=optional, taken=taken, skipped=skipped
            )
    product = 1
    for vcs in per_field.values():
        product *= max(1, len(vcs))
    groups = _joined_fields(mine, atoms, names, sources)
    partitioned = product > max_classes and len(groups) > 1
    enum = TypeEnumeration(
        event_type, tuple(names), product, partitioned, tuple(groups), skipped=skipped
    )
    base = _base_event(model, event_type, on, registry, taken)
    if not partitioned:
        combos: Iterator[tuple[ValueClass, ...]] = itertools.product(*(per_field[n] for n in names))
        enum.classes = [_make(event_type, combo, base) for combo in combos]
        return enum
    seen: set[str] = set()
    for group in groups:
        fixed = [_other(per_field[n]) for n in names if n not in group]
        for combo in itertools.product(*(per_field[n] for n in group)):
            values = tuple(sorted((*combo, *fixed), key=lambda v: names.index(v.field)))
            ec = _make(event_type, values, base)
            if ec.key not in seen:
                seen.add(ec.key)
                enum.classes.append(ec)
    return enum


def _other(vcs: list[ValueClass]) -> ValueClass:
    return next((v for v in vcs if v.is_other), vcs[-1])


def _joined_fields(
    triggers: list[tuple[str, CompiledTrigger]],
    atoms: list[Atom],
    names: list[str],
    sources: Sequence[tuple[Rulebook, list[CompiledTrigger]]],
) -> list[tuple[str, ...]]:
    """Fields joined by a trigger (tested together) or by a rule (tested by its trigger and
    taken as its parties): connected groups, each enumerable on its own."""
    parent = {n: n for n in names}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(fs: set[str]) -> None:
        fl = sorted(fs)
        for a, b in itertools.pairwise(fl):
            parent[find(a)] = find(b)

    by_rule: dict[tuple[int, str], set[str]] = {}
    for prefix, t in triggers:
        fs = {a.field for a in atoms if a.trigger == prefix + t.key}
        join(fs)
        by_rule.setdefault((int(prefix[:-1]), t.rule_id), set()).update(fs)
    for (n, rid), fs in by_rule.items():
        rule = sources[n][0].rules[rid]
        refs = {p[1:] for p in (rule.obligated, *rule.counterparties) if p.startswith("@")}
        join(fs | (refs & set(names)))
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(find(name), []).append(name)
    return [tuple(g) for g in sorted(groups.values())]


def _base_event(
    model: type[BaseModel], event_type: str, on: dt.date, registry: PartyRegistry, taken: set[str]
) -> dict[str, Any]:
    """The fields every class of the type shares: the date, a receipt on the same day
    (so due dates are computed), and a plain value for each required field no rule
    looks at."""
    event: dict[str, Any] = {"type": event_type, "date": on.isoformat()}
    infos = condition_fields(event_type)
    for name, f in model.model_fields.items():
        if name in ("type", "date"):
            continue
        if name == "received_on":
            event[name] = on.isoformat()
            continue
        if f.default is not PydanticUndefined or f.default_factory is not None:
            continue
        info = infos.get(name)
        if info is None:
            event[name] = "—"
        elif info.kind == "bool":
            event[name] = False
        elif info.kind == "enum":
            assert info.enum is not None
            event[name] = next(iter(info.enum)).value
        else:
            pid = next(
                p
                for p in _candidates(info, registry)
                if isinstance(p, str) and p not in taken and _valid(registry, p, on)
            )
            taken.add(pid)
            event[name] = [pid] if info.kind == "party_list" else pid
    return event


def _make(event_type: str, values: tuple[ValueClass, ...], base: dict[str, Any]) -> EventClass:
    event = dict(base)
    for v in values:
        if v.rep is None:
            event.pop(v.field, None)
        else:
            event[v.field] = v.rep
    return EventClass(event_type, values, event)


Group = tuple[tuple[tuple[str, tuple[str, ...]], ...], int]


def merge(t: TypeEnumeration, chosen: Sequence[EventClass]) -> list[Group]:
    """Classes of one type as few readable groups: classes that differ in one field only
    become one group taking the union of that field's values (repeated until nothing
    merges); a field whose every value is in the group is left out (it reads "any"), so
    what is left names the fields that make the group what it is. Each group comes with
    the number of classes in it."""
    domains = [{v.label for c in t.classes for v in c.values if v.field == f} for f in t.fields]
    cubes: dict[tuple[frozenset[str], ...], int] = {
        tuple(frozenset([v.label]) for v in c.values): 1 for c in chosen
    }
    changed = True
    while changed:
        changed = False
        for i in range(len(t.fields)):
            merged: dict[tuple[frozenset[str], ...], tuple[frozenset[str], int]] = {}
            for cube, n in cubes.items():
                rest = cube[:i] + cube[i + 1 :]
                vals, m = merged.get(rest, (frozenset(), 0))
                merged[rest] = (vals | cube[i], m + n)
            if len(merged) < len(cubes):
                changed = True
            cubes = {(*rest[:i], vals, *rest[i:]): n for rest, (vals, n) in merged.items()}
    out: list[Group] = []
    for cube, n in sorted(cubes.items(), key=lambda kv: [sorted(s) for s in kv[0]]):
        when = tuple(
            (f, tuple(sorted(vals)))
            for f, vals, dom in zip(t.fields, cube, domains, strict=True)
            if vals != dom
        )
        out.append((when, n))
    return out
