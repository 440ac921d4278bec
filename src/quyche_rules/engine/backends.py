"""Two interchangeable matchers over the same compiled rules.

``DurableBackend`` is the engine of record: the rules are compiled into a durable-rules
ruleset. ``PythonBackend`` evaluates the same condition trees in plain Python; it runs where
durable-rules does not build (Python ≥ 3.13) and serves as the oracle of a differential test.

How durable-rules is driven, and why (each point is a trap of the library, tested):

* Every query is asserted as a *fact*, not posted as an event: a posted event is consumed by
  the first rule it matches, while a fact fires every matching rule. The fact is retracted at
  once, so no query leaves state that changes a later answer.
* The ruleset is used through ``durable.engine.Ruleset`` directly, without ``Host``: a Host
  starts timer threads that never stop and that dispatch pending actions from another
  thread, racing with the caller.
* Facts carry a fresh ``id`` per query (asserting the same id twice raises
  ``MessageObservedException``); an unmatched fact raises ``MessageNotHandledException``,
  which means "no rule", not an error.
* The ruleset is not thread-safe: one lock per backend serialises queries.
* Actions take one parameter (two would make them asynchronous), only record the rule name,
  and cannot raise; the engine would swallow the exception anyway.
* ``$or`` fires once per matching branch: fired names are collected into a set.
* Values compare loosely and strings as bytes: facts hold only the fields the rules test,
  typed by the event model and NFC-normalised (see ``events.py``). Every rule is a single
  pattern anchored on the event type (joins crash the library).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import platform
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Protocol

from quyche_rules.errors import QuycheError, excerpt
from quyche_rules.rulebook.conditions import All, Condition, Contains, Eq, In, evaluate

Fact = dict[str, Any]


@dataclass(frozen=True)
class CompiledTrigger:
    """One (rule, trigger) pair: ``key`` is ``<rule id>#<trigger index>``."""

    key: str
    rule_id: str
    index: int
    event_type: str
    condition: Condition | None


class Backend(Protocol):
    name: str

    def match(self, fact: Fact) -> frozenset[str]:
        """Keys of every compiled trigger the fact satisfies."""
        ...

    def close(self) -> None:
        """Free what the backend holds outside Python's heap; idempotent."""
        ...


# --- plain Python ---------------------------------------------------------------------------

Predicate = Callable[[Fact], bool]


def _compile_predicate(cond: Condition | None) -> Predicate:
    if cond is None:
        return lambda fact: True
    if isinstance(cond, Eq):
        f, v, t = cond.field, cond.value, type(cond.value)
        return lambda fact: type(fact.get(f)) is t and fact.get(f) == v
    if isinstance(cond, In):
        f, vs, t = cond.field, frozenset(cond.values), type(cond.values[0])
        return lambda fact: type(fact.get(f)) is t and fact.get(f) in vs
    if isinstance(cond, Contains):
        f, cv = cond.field, cond.value
        return lambda fact: cv in fact.get(f, ())
    subs = [_compile_predicate(c) for c in cond.items]
    if isinstance(cond, All):
        return lambda fact: all(p(fact) for p in subs)
    return lambda fact: any(p(fact) for p in subs)


def _required(cond: Condition | None) -> dict[str, frozenset[Any]]:
    """Per field, the values a fact *must* hold there for ``cond`` to be true (a superset is
    fine): what the matcher's index may file the trigger under."""
    if cond is None or isinstance(cond, Contains):
        return {}
    if isinstance(cond, Eq):
        return {cond.field: frozenset([cond.value])}
    if isinstance(cond, In):
        return {cond.field: frozenset(cond.values)}
    subs = [_required(c) for c in cond.items]
    if isinstance(cond, All):  # every branch holds: any one branch's requirement holds
        out: dict[str, frozenset[Any]] = {}
        for req in subs:
            for f, vs in req.items():
                out[f] = out[f] & vs if f in out else vs
        return out
    # AnyOf: a field every branch requires, with the union of their values
    common = set(subs[0]).intersection(*subs[1:]) if subs else set()
    return {f: frozenset().union(*(req[f] for req in subs)) for f in common}


class _TypeMatcher:
    """The matcher of one event type: its triggers filed by the value of one discriminating
    field (the one leaving the fewest triggers to test, as OPA indexes rules), so a fact is
    tested only against the triggers that may match it. Each bucket, and the triggers that
    do not constrain that field, get a matcher of their own indexed the same way on another
    field: a decision tree over the fields. Match time stays near flat as rules about other
    values are added."""

    __slots__ = ("every", "field", "index", "rest")

    def __init__(
        self,
        entries: list[tuple[str, Condition | None, Predicate]],
        used: frozenset[str] = frozenset(),
    ) -> None:
        reqs = [_required(c) for _, c, _ in entries]
        # per field: how many triggers it files, and the fullest bucket a fact can open
        counts: dict[str, int] = {}
        buckets: dict[str, dict[Any, int]] = {}
        for req in reqs:
            for f, vs in req.items():
                if f not in used:
                    counts[f] = counts.get(f, 0) + 1
                    per = buckets.setdefault(f, {})
                    for v in vs:
                        per[(type(v), v)] = per.get((type(v), v), 0) + 1

        def worst(f: str) -> int:  # triggers tested at most: the fullest bucket + the rest
            return max(buckets[f].values()) + len(entries) - counts[f]

        best = min(sorted(counts), key=worst) if counts else None
        self.every = tuple((k, p) for k, _, p in entries)
        useful = best is not None and counts[best] > 1 and worst(best) < len(entries)
        self.field: str | None = best if useful else None
        self.index: dict[tuple[type, Any], _TypeMatcher] = {}
        self.rest: _TypeMatcher | None = None
        if self.field is None:
            return
        index: dict[tuple[type, Any], list[tuple[str, Condition | None, Predicate]]] = {}
        rest: list[tuple[str, Condition | None, Predicate]] = []
        for entry, req in zip(entries, reqs, strict=True):
            if self.field in req:
                for v in req[self.field]:
                    index.setdefault((type(v), v), []).append(entry)
            else:
                rest.append(entry)
        used = used | {self.field}
        # a bucket is indexed again on another field (a decision tree over the fields)
        self.index = {v: _TypeMatcher(es, used) for v, es in index.items()}
        self.rest = _TypeMatcher(rest, used) if rest else None

    def match(self, fact: Fact) -> list[str]:
        if self.field is None:
            return [k for k, p in self.every if p(fact)]
        v = fact.get(self.field)
        try:
            sub = self.index.get((type(v), v))
        except TypeError:  # an unhashable value (a list): no index, test them all
            return [k for k, p in self.every if p(fact)]
        found = sub.match(fact) if sub is not None else []
        if self.rest is not None:
            found += self.rest.match(fact)
        return found


class PythonBackend:
    """Event type → a generated matcher (``_TypeMatcher``); pure, so safe from any thread
    without a lock."""

    name = "python"

    def __init__(self, triggers: list[CompiledTrigger]) -> None:
        by_type: dict[str, list[tuple[str, Condition | None, Predicate]]] = {}
        for t in triggers:
            by_type.setdefault(t.event_type, []).append(
                (t.key, t.condition, _compile_predicate(t.condition))
            )
        self._matchers = {et: _TypeMatcher(es) for et, es in by_type.items()}

    def match(self, fact: Fact) -> frozenset[str]:
        m = self._matchers.get(fact["type"])
        return frozenset(m.match(fact)) if m is not None else frozenset()

    def close(self) -> None:
        """Nothing to free: the predicates are ordinary Python objects."""


def reference_match(triggers: list[CompiledTrigger], fact: Fact) -> frozenset[str]:
    """The slow, obviously-right matcher (condition trees interpreted), for tests."""
    return frozenset(
        t.key
        for t in triggers
        if t.event_type == fact["type"] and (t.condition is None or evaluate(t.condition, fact))
    )


# --- durable-rules --------------------------------------------------------------------------


def durable_available() -> bool:
    return durable_missing() is None


def durable_missing() -> str | None:
    """Why durable-rules cannot be used on this Python (one line), or None when it imports.

    On Python ≥ 3.13 the released 2.0.28 does not build; ``scripts/install-durable-rules``
    builds it patched (docs/durable-rules.md), so the message says how to get it."""
    try:
        import durable.engine  # noqa: F401
    except ImportError as exc:
        missing = exc.name in ("durable", "durable.engine")
        what = "is not installed" if missing else f"does not load ({exc})"
        return (
            f"durable-rules {what} on Python {platform.python_version()}; "
            "build it with scripts/install-durable-rules PYTHON (see docs/durable-rules.md)"
        )
    return None


def durable_version() -> str | None:
    """The installed durable-rules distribution's version (``+quyche.N``: the patched
    build of ``scripts/install-durable-rules``), or None."""
    try:
        return metadata.version("durable-rules")
    except metadata.PackageNotFoundError:
        return None


def _to_durable(cond: Condition) -> dict[str, Any]:
    if isinstance(cond, Eq):
        return {cond.field: cond.value}
    if isinstance(cond, In):
        return {"$or": [{cond.field: v} for v in cond.values]}
    if isinstance(cond, Contains):
        return {"$iany": {cond.field: {"$i": cond.value}}}
    op = "$and" if isinstance(cond, All) else "$or"
    return {op: [_to_durable(c) for c in cond.items]}


def durable_definition(triggers: list[CompiledTrigger]) -> dict[str, dict[str, Any]]:
    """The ruleset in durable-rules' JSON form (without actions), for inspection and tests."""
    out: dict[str, dict[str, Any]] = {}
    for t in triggers:
        anchor: dict[str, Any] = {"type": t.event_type}
        pattern = anchor if t.condition is None else {"$and": [anchor, _to_durable(t.condition)]}
        out[t.key] = {"all": [{"m": pattern}]}
    return out


class _NoHost:
    """What ``durable.engine.Ruleset`` needs of a host: nothing, as actions are callables."""

    def get_action(self, name: str) -> Any:
        raise LookupError(name)


#: Default bound of the durable backend's memo of answers by projected fact (issue 10).
MEMO_SIZE = 4096

#: durable-rules has fixed-size lists in C. At compile time (``rules.h``: 128 successors of
#: one kind, 256 rules ending at one node, 512 hash buckets) it refuses a ruleset that
#: overflows one (``ERR_RULE_LIMIT_EXCEEDED``, ``…_EXISTS_…``, ``…_BETA_…``: 106-108); an
#: ``$or`` counts once per branch, so the limit is no fixed number of rules (the packaged
#: rulebook repeated ×20 compiles, ×25 does not). When asserting a fact (``events.c``) it
#: keeps at most 64 matching nodes pending (``ERR_MAX_STACK_SIZE``, 303): a ruleset with many
#: rules of one type that a fact satisfies at once fails at query time. So the backend
#: splits the triggers into rulesets of at most ``PER_TYPE_CAP`` triggers of one event type
#: (``partition``), compiles each by trial (a ruleset that still overflows is split in two
#: halves, ``_compile``), and asserts a fact only into the rulesets that hold its type. The
#: packaged rulebook (at most a dozen triggers per type) stays one ruleset.
PER_TYPE_CAP = 32
_LIMIT_CODES = ("106", "107", "108")

#: ``tests/test_speed_paths.py`` compiles the rulebook ×``DURABLE_HEADROOM`` as ONE ruleset:
#: it fails when the rulebook nears the point where it needs more than one (still correct,
#: see ``partition``; worth knowing).
DURABLE_HEADROOM = 4


def partition(
    triggers: list[CompiledTrigger], cap: int = PER_TYPE_CAP
) -> list[list[CompiledTrigger]]:
    """The triggers in rulesets of at most ``cap`` triggers per event type, order kept: the
    ``k``-th ruleset takes the ``k``-th run of ``cap`` triggers of every type."""
    count: dict[str, int] = {}
    parts: list[list[CompiledTrigger]] = [[]]
    for t in triggers:
        k = count.get(t.event_type, 0) // cap
        count[t.event_type] = count.get(t.event_type, 0) + 1
        while len(parts) <= k:
            parts.append([])
        parts[k].append(t)
    return parts


_ruleset_names = itertools.count()
_SID = "0"  # every query runs in one durable-rules session; each fact is retracted after use

# --- the C rulesets: pooled and reused, never deleted ----------------------------------------
#
# durable-rules cannot free a ruleset that has answered a query: its C ``createStateNode``
# leaves ``context.messages`` and ``context.stateFact`` uninitialised, and ``deleteState``
# then ``free()``s whatever the heap held there (``munmap_chunk(): invalid pointer``, SIGABRT,
# seen in the tracker's CLI tests once the heap was reused); deleting the ruleset without its
# state leaks the state (~1 MB). So a closed or collected engine gives its ruleset back to a
# pool keyed by the ruleset's definition, and the next engine with the same rules takes it:
# the memory held is bounded by the number of engines alive at once, not by how many were
# ever made (flat RSS under churn), and nothing is ever freed that C might still misuse.
# Every call into the C engine runs under ``_C_LOCK``: its handle table is process-wide.

_C_LOCK = threading.RLock()


class _Slot:
    """One C ruleset with what its actions write to: reused whole by the next owner."""

    def __init__(self, ruleset: Any, fired: set[str]) -> None:
        self.ruleset = ruleset
        self.fired = fired
        self.ids = itertools.count()  # fact ids stay fresh across owners


_POOL: dict[str, list[_Slot]] = {}  # idle slots by definition hash
_TOO_BIG: set[str] = set()  # definitions durable-rules refused for a full node list


def _release(key: str, box: list[_Slot]) -> None:
    """Give the slot in ``box`` back to the pool (once). Pure Python, no C call, so it is
    safe in a finalizer, whatever thread or C call the collector interrupts."""
    if box:
        _POOL.setdefault(key, []).append(box.pop())


class DurableBackend:
    """The durable-rules matcher. Its C ruleset (about 2.25 MB) lives outside Python's
    heap: ``close()``, the context manager of the engine, or collection (a
    ``weakref.finalize``) return it to a pool where the next engine with the same rules
    finds it (see above: durable-rules cannot safely free it).

    Fork-safe: in a child process the locks are replaced (another thread may have held them
    at the fork) and the ruleset is rebuilt on first use (another thread may have been
    inside it), see ``_after_fork_in_child``."""

    name = "durable"

    def __init__(self, triggers: list[CompiledTrigger], *, memo_size: int = MEMO_SIZE) -> None:
        """``memo_size``: how many answers to keep by projected fact (0: none; see
        ``match``)."""
        from durable import engine as dr

        if type(memo_size) is not int or memo_size < 0:
            raise QuycheError(f"memo_size: must be an integer ≥ 0, got {excerpt(memo_size)}")
        self._dr = dr
        self._lock = threading.Lock()
        self._memo_size = memo_size
        self._memo: OrderedDict[tuple[Any, ...], frozenset[str]] = OrderedDict()
        self._memo_lock = threading.Lock()
        self.memo_hits = 0
        self.memo_misses = 0
        self._closed = False
        self._stale = False  # set in a forked child: rebuild before use
        self._parts: list[dict[str, dict[str, Any]]] = []  # each ruleset's definition
        self._boxes: list[list[_Slot]] = []
        keys: list[str] = []
        #: for each event type, the rulesets that hold it: a fact is asserted only there
        self._route: dict[str, tuple[int, ...]] = {}
        with _C_LOCK:
            for part in partition(triggers):
                self._compile(part, keys)
        self._finalizers = [
            weakref.finalize(self, _release, key, box)
            for key, box in zip(keys, self._boxes, strict=True)
        ]
        _LIVE.add(self)

    @property
    def rulesets(self) -> int:
        """How many C rulesets this backend holds (see ``_compile``)."""
        return len(self._parts)

    def _compile(self, triggers: list[CompiledTrigger], keys: list[str]) -> None:
        """Add ``triggers`` as one ruleset (an idle one from the pool when the same rules
        were compiled before), or, when durable-rules refuses it for a full node list, as
        the rulesets of its two halves. Runs under ``_C_LOCK``."""
        definition = durable_definition(triggers)
        key = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()
        idle = _POOL.get(key)
        slot = idle.pop() if idle else None
        if slot is None and key not in _TOO_BIG:
            try:
                slot = self._build(definition)
            except self._dr.durable_rules_engine.error as exc:
                if not any(code in str(exc) for code in _LIMIT_CODES) or len(triggers) < 2:
                    raise
                _TOO_BIG.add(key)
        if slot is None:  # known to overflow: its halves, each tried the same way
            half = len(triggers) // 2
            self._compile(triggers[:half], keys)
            self._compile(triggers[half:], keys)
            return
        index = len(self._parts)
        self._parts.append(definition)
        self._boxes.append([slot])
        keys.append(key)
        for etype in dict.fromkeys(t.event_type for t in triggers):
            self._route[etype] = (*self._route.get(etype, ()), index)

    def _build(self, rules: dict[str, dict[str, Any]]) -> _Slot:
        fired: set[str] = set()
        definition = {key: {**rule, "run": _action(fired, key)} for key, rule in rules.items()}
        # a process-unique name: several engines may coexist in one process
        name = f"quyche_{next(_ruleset_names)}"
        return _Slot(self._dr.Ruleset(name, _NoHost(), definition), fired)

    def _slot(self, part: int) -> _Slot:
        if self._closed:
            raise QuycheError("engine: closed; create a new Engine")
        if self._stale:
            # the parent's copies may be mid-update: leave them and build fresh ones
            for box, rules in zip(self._boxes, self._parts, strict=True):
                box.clear()
                box.append(self._build(rules))
            self._stale = False
        return self._boxes[part][0]

    def close(self) -> None:
        with _C_LOCK, self._lock:
            self._closed = True
            for finalizer in self._finalizers:
                finalizer()

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        self._memo_lock = threading.Lock()
        self._stale = not self._closed

    def match(self, fact: Fact) -> frozenset[str]:
        """The triggers durable-rules fires for ``fact``.

        Memo (issue 10): the answer depends on the projected fact alone (each fact is
        retracted after use, no state carries over), so the last ``memo_size`` answers are
        kept by fact, least recently used evicted. durable-rules still decides every fact
        it has not seen; the differential tests compare memo hits with fresh answers."""
        if self._memo_size == 0:
            return self._match(fact)
        key = tuple((k, tuple(v) if type(v) is list else v) for k, v in fact.items())
        with self._memo_lock:
            if self._closed:
                raise QuycheError("engine: closed; create a new Engine")
            hit = self._memo.get(key)
            if hit is not None:
                self._memo.move_to_end(key)
                self.memo_hits += 1
                return hit
        answer = self._match(fact)
        with self._memo_lock:
            self.memo_misses += 1
            self._memo[key] = answer
            if len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)
        return answer

    def _match(self, fact: Fact) -> frozenset[str]:
        with _C_LOCK, self._lock:
            fired: set[str] = set()
            for part in self._route.get(fact["type"], ()):
                fired |= self._match_in(self._slot(part), fact)
            if self._closed:  # a type no rule names: still refused on a closed engine
                raise QuycheError("engine: closed; create a new Engine")
            return frozenset(fired)

    def _match_in(self, slot: _Slot, fact: Fact) -> set[str]:
        message = {**fact, "id": f"q{next(slot.ids)}", "sid": _SID}
        slot.fired.clear()
        try:
            handle = slot.ruleset.assert_fact(message)
        except self._dr.MessageNotHandledException:
            return set()
        errors: list[Any] = []
        slot.ruleset.do_actions(handle, lambda e, _state: errors.append(e))
        slot.ruleset.retract_fact(message)
        if errors and errors[0] is not None:
            raise RuntimeError(f"durable-rules failed on {fact['type']}: {errors[0]}")
        return set(slot.fired)


def _action(fired: set[str], key: str) -> Callable[[Any], None]:
    def run(c: Any) -> None:
        fired.add(key)

    return run


_LIVE: weakref.WeakSet[DurableBackend] = weakref.WeakSet()


def _reinit_in_child() -> None:
    global _C_LOCK
    _C_LOCK = threading.RLock()  # another thread may have held it at the fork
    _POOL.clear()  # idle rulesets may be mid-update by a parent thread: never reuse them
    for backend in list(_LIVE):
        backend._after_fork_in_child()


os.register_at_fork(after_in_child=_reinit_in_child)
