"""The engine's answer from its snapshot (``engine.snapshot``), with plain dicts: no pydantic.

This is the start-up path of ``quyche notify FILE --json`` (``cli.fast``), where building
the model classes cost more than everything else the command does. It answers only when it
is *sure* to give the engine's answer: an event it would have to judge is handed back
(``None``) and the engine answers it, so every refusal and every error line stays the
engine's own. "Sure" means: a mapping whose ``type`` the snapshot describes, no field the
model does not have, every required field present, and each value of a form the model
takes as it is — a string that is a strict ISO date in the supported years (or a date),
printable NFC text within its length, a party or district named by id or by a name the
registry's index knows, a value of the field's vocabulary, a real boolean, a non-empty
list of parties — with ``received_on`` not before ``date`` and no named body that has dates
of validity. Anything else (``null`` for an optional field, a number for a date, a party
it cannot find, a control character…) is left to the engine.

The steps after validation are the engine's, step for step (``Engine.who_must_be_notified``,
``_obligations``, ``_party_pairs``, ``_context``, ``_resolve``, ``_compute_due`` and
``model.obligations.merge_duties``), on the snapshot's data; ``tests/test_engine_plain.py``
holds the two to the same bytes on every bundled example and scenario event, and on events
changed field by field.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any

from quyche_rules.calendar.working_days import WorkingCalendar
from quyche_rules.engine.due import count_due
from quyche_rules.io import resources
from quyche_rules.io.textnorm import fold, normalize

# as ``model.field_types`` (its years, its date form, its forbidden characters); a test
# holds them equal
MIN_EVENT_YEAR = 2000
MAX_EVENT_YEAR = 2100
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FORBIDDEN_TEXT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


class Unsure(Exception):
    """The event is one the engine must judge."""


Obligation = dict[str, Any]


class PlainEngine:
    """Answers events from a snapshot; ``answer`` returns None when unsure."""

    def __init__(self, snapshot: dict[str, Any], calendar: WorkingCalendar) -> None:
        self.parties: dict[str, dict[str, Any]] = snapshot["parties"]
        self.up = {pid: frozenset(p["up"]) for pid, p in self.parties.items()}
        self.by_name: dict[str, str] = snapshot["by_name"]
        self.district_by_name: dict[str, str] = snapshot["district_by_name"]
        self.events: dict[str, dict[str, Any]] = snapshot["events"]
        self.triggers: dict[str, list[list[Any]]] = snapshot["triggers"]
        self.rules: dict[str, dict[str, Any]] = snapshot["rules"]
        self.templates: dict[str, dict[str, Any]] = snapshot["templates"]
        self.calendar = calendar

    @classmethod
    def for_rules(cls, snapshot: dict[str, Any], rules_dir: Path) -> PlainEngine:
        """With the calendar ``Engine(rules_dir=rules_dir)`` uses: the rules directory's
        own when it has one, else the packaged one."""
        own = resources.rules_file(resources.CALENDAR, rules_dir)
        return cls(snapshot, WorkingCalendar(own) if own.is_file() else WorkingCalendar())

    # --- the event ---------------------------------------------------------------------------

    def answer(self, data: Any) -> list[Obligation] | None:
        """The obligations as ``Obligation.model_dump(mode="json")`` gives them, or None."""
        try:
            ev = self.event(data)
        except Unsure:
            return None
        return self.obligations(ev)

    def _party(self, value: Any) -> str:
        if type(value) is not str:
            raise Unsure
        ref = normalize(value)
        pid = ref if ref in self.parties else self.by_name.get(fold(ref))
        if pid is None:
            raise Unsure
        return pid

    def _value(self, kind: str, constraint: Any, value: Any) -> Any:
        if kind == "date":
            if type(value) is str:
                if not _ISO_DATE.fullmatch(value):
                    raise Unsure
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    raise Unsure from None
            if type(value) is not dt.date or not MIN_EVENT_YEAR <= value.year <= MAX_EVENT_YEAR:
                raise Unsure
            return value
        if kind == "text":
            if type(value) is not str or _FORBIDDEN_TEXT.search(value):
                raise Unsure
            text = normalize_nfc(value)
            if len(text) > constraint:
                raise Unsure
            return text
        if kind == "party":
            return self._party(value)
        if kind == "party_list":
            if type(value) is not list or len(value) < constraint:
                raise Unsure
            return [self._party(v) for v in value]
        if kind == "agency":
            agency = self.parties[self._party(value)]["agency"]
            if agency is None:
                raise Unsure
            return agency
        if kind == "district":
            if type(value) is not str:
                raise Unsure
            did = self.district_by_name.get(fold(normalize(value)))
            if did is None:
                raise Unsure
            return did
        if kind == "enum":
            if type(value) is not str or value not in constraint:
                raise Unsure
            return value
        if kind == "bool":
            if type(value) is not bool:
                raise Unsure
            return value
        raise Unsure

    def event(self, data: Any) -> dict[str, Any]:
        """The event as the model would hold it (enums as their values), or ``Unsure``."""
        if type(data) is not dict:
            raise Unsure
        etype = data.get("type")
        spec = self.events.get(etype) if type(etype) is str else None
        if spec is None:
            raise Unsure
        fields: dict[str, list[Any]] = spec["fields"]
        if any(k != "type" and k not in fields for k in data):
            raise Unsure
        ev: dict[str, Any] = {"type": etype}
        for name, (kind, constraint, _nullable, required, default) in fields.items():
            if name in data:
                ev[name] = self._value(kind, constraint, data[name])
            elif required:
                raise Unsure
            else:
                ev[name] = list(default) if isinstance(default, list) else default
        # ``model.event_checks._checked``: what it would refuse is the engine's to say
        received = ev.get("received_on")
        if spec["corrects_receipt"]:
            if received is not None and received > ev["date"]:
                raise Unsure
        elif received is not None and received < ev["date"]:
            raise Unsure
        for name in (*spec["party_fields"], "agency"):
            value = ev.get(name)
            for pid in value if isinstance(value, list) else [value] if value else []:
                if self.parties[pid]["dated"]:
                    raise Unsure
        return ev

    # --- matching ---------------------------------------------------------------------------

    def obligations(self, ev: dict[str, Any]) -> list[Obligation]:
        etype: str = ev["type"]
        fact = {"type": etype}
        for name in self.events[etype]["projection"]:
            if ev[name] is not None:
                fact[name] = ev[name]
        first: dict[str, tuple[int, str]] = {}  # per rule, its first matching trigger
        for key, rule_id, index, cond in self.triggers.get(etype, ()):
            if (cond is None or _holds(cond, fact)) and (
                rule_id not in first or index < first[rule_id][0]
            ):
                first[rule_id] = (index, key)
        out: list[Obligation] = []
        for rid in sorted(first, key=lambda r: self.rules[r]["order"]):
            out.extend(self._obligations(first[rid][1], rid, ev))
        merged = _merge_duties(out) if len(out) > 1 else out
        for ob in merged:
            if isinstance(ob["due"], dt.date):
                ob["due"] = ob["due"].isoformat()
        return merged

    # --- building obligations (as ``Engine``) ---------------------------------------------

    def _obligations(self, key: str, rid: str, ev: dict[str, Any]) -> list[Obligation]:
        tpl = self.templates[key]
        rule = self.rules[rid]
        document = ev.get("reference")
        due, how, provisional = self._due(rule, ev) if tpl["has_deadline"] else (None,) * 3
        out = self.parties
        if tpl["fixed"] is not None:
            pairs = [(ob, cps, False) for ob, cps in tpl["fixed"]]
        else:
            pairs = self._party_pairs(rule, ev)
        made = []
        for ob, cps, unresolved in pairs:
            o = dict(tpl["base"])
            o["obligated"] = out[ob]["out"]
            o["counterparties"] = [out[c]["out"] for c in cps]
            o["due"] = due
            o["due_computation"] = how
            o["due_provisional"] = bool(provisional)
            o["unresolved_class"] = unresolved
            o["document"] = document
            made.append(o)
        return made

    def _refs(self, ref: str, ev: dict[str, Any]) -> list[str]:
        if not ref.startswith("@"):
            return [ref]
        value = ev.get(ref[1:])
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    def _context(self, ev: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
        named: set[str] = set()
        for name in self.events[ev["type"]]["party_fields"]:
            value = ev.get(name)
            if value is None:
                continue
            named.update(value if isinstance(value, list) else [value])
        agency = ev.get("agency")
        district = ev.get("district")
        parties = self.parties
        agencies = {agency} if agency else {a for n in named if (a := parties[n]["agency"])}
        districts = {district} if district else {d for n in named if (d := parties[n]["seat"])}
        return named, agencies, districts

    def _resolve(
        self, pid: str, ctx: tuple[set[str], set[str], set[str]]
    ) -> tuple[list[str], bool]:
        parties = self.parties
        named, agencies, districts = ctx
        members: list[str] = parties[pid]["members"]
        direct = [m for m in members if m in named or any(m in self.up[n] for n in named)]
        if direct:
            return direct, False
        if agencies and any(parties[m]["agency"] for m in members):
            return [m for m in members if parties[m]["agency"] in agencies], False
        if districts and any(parties[m]["seat"] for m in members):
            return [m for m in members if parties[m]["seat"] in districts], False
        return [pid], True

    def _party_pairs(
        self, rule: dict[str, Any], ev: dict[str, Any]
    ) -> list[tuple[str, list[str], bool]]:
        ctx_box: list[tuple[set[str], set[str], set[str]]] = []

        def resolve(pid: str) -> tuple[list[str], bool]:
            if not self.parties[pid]["class"]:
                return [pid], False
            if not ctx_box:
                ctx_box.append(self._context(ev))
            return self._resolve(pid, ctx_box[0])

        unresolved: set[str] = set()
        counter_ids: list[str] = []
        for ref in rule["counterparties"]:
            for named_id in self._refs(ref, ev):
                ids, open_class = resolve(named_id)
                if open_class:
                    unresolved.add(named_id)
                for pid in ids:
                    if pid not in counter_ids:
                        counter_ids.append(pid)
        obligated: set[str] = set()
        for named_id in self._refs(rule["obligated"], ev):
            ids, open_class = resolve(named_id)
            if open_class:
                unresolved.add(named_id)
            obligated.update(ids)
        out = []
        for ob_id in sorted(obligated):
            cps = [c for c in counter_ids if c != ob_id]
            if not cps:
                continue
            out.append((ob_id, cps, ob_id in unresolved or any(c in unresolved for c in cps)))
        return out

    def _due(
        self, rule: dict[str, Any], ev: dict[str, Any]
    ) -> tuple[dt.date | None, str | None, bool]:
        policy = rule["deadline"]
        if policy is None:
            return None, None, False
        received: dt.date | None = ev.get(policy["counted_from"])
        later_of = policy["later_of"]
        granted: dt.date | None = ev.get(later_of) if later_of else None
        return count_due(
            self.calendar,
            received,
            granted,
            working_days=policy["working_days"],
            article=policy["article"],
            clause=policy["clause"],
            counted_from=policy["counted_from"],
            later_of=later_of,
        )


def normalize_nfc(text: str) -> str:
    """NFC, as ``model.field_types`` brings free text to it."""
    return unicodedata.normalize("NFC", text)


def _holds(cond: list[Any], fact: dict[str, Any]) -> bool:
    """``rulebook.conditions.evaluate`` on a condition written as data."""
    kind = cond[0]
    if kind == "eq":
        return cond[1] in fact and _same(fact[cond[1]], cond[2])
    if kind == "in":
        return cond[1] in fact and any(_same(fact[cond[1]], v) for v in cond[2])
    if kind == "contains":
        return bool(cond[2] in fact.get(cond[1], ()))
    if kind == "all":
        return all(_holds(c, fact) for c in cond[1])
    if kind == "any":
        return any(_holds(c, fact) for c in cond[1])
    raise Unsure


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and bool(a == b)


def _merge_duties(obligations: list[Obligation]) -> list[Obligation]:
    """``model.obligations.merge_duties`` on dumped obligations."""
    first: dict[tuple[Any, ...], Obligation] = {}
    for ob in obligations:
        key = (
            ob["basis"]["label"],
            ob["obligated"]["id"],
            frozenset(c["id"] for c in ob["counterparties"]),
            ob["duty"],
            ob["document"],
        )
        kept = first.get(key)
        if kept is None:
            first[key] = ob
            continue
        extra = [
            f"{ob['rule_id']}: {c}"
            for c in ob["conditions"]
            if f"{ob['rule_id']}: {c}" not in kept["conditions"]
        ]
        changes: dict[str, Any] = {}
        if extra and ob["conditions"] != kept["conditions"]:
            changes["conditions"] = [*kept["conditions"], *extra]
        if ob["due"] is not None and (kept["due"] is None or ob["due"] < kept["due"]):
            changes.update(
                due=ob["due"],
                due_computation=ob["due_computation"],
                due_provisional=ob["due_provisional"],
            )
        if changes:
            first[key] = {**kept, **changes}
    return list(first.values())
