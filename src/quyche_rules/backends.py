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

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .conditions import All, Condition, Contains, Eq, In, evaluate

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


class PythonBackend:
    """Event type → list of (key, predicate); pure, so safe from any thread without a lock."""

    name = "python"

    def __init__(self, triggers: list[CompiledTrigger]) -> None:
        self._by_type: dict[str, list[tuple[str, Predicate]]] = {}
        for t in triggers:
            self._by_type.setdefault(t.event_type, []).append(
                (t.key, _compile_predicate(t.condition))
            )

    def match(self, fact: Fact) -> frozenset[str]:
        return frozenset(k for k, p in self._by_type.get(fact["type"], ()) if p(fact))


def reference_match(triggers: list[CompiledTrigger], fact: Fact) -> frozenset[str]:
    """The slow, obviously-right matcher (condition trees interpreted), for tests."""
    return frozenset(
        t.key
        for t in triggers
        if t.event_type == fact["type"] and (t.condition is None or evaluate(t.condition, fact))
    )


# --- durable-rules --------------------------------------------------------------------------


def durable_available() -> bool:
    try:
        import durable.engine  # noqa: F401
    except ImportError:
        return False
    return True


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


_ruleset_names = itertools.count()


class DurableBackend:
    name = "durable"

    def __init__(self, triggers: list[CompiledTrigger]) -> None:
        from durable import engine as dr

        self._dr = dr
        self._lock = threading.Lock()
        self._fired: set[str] = set()
        self._ids = itertools.count()
        definition: dict[str, dict[str, Any]] = {}
        for key, rule in durable_definition(triggers).items():
            definition[key] = {**rule, "run": self._action(key)}
        # a process-unique name: several engines may coexist in one process
        self._ruleset = dr.Ruleset(f"quyche_{next(_ruleset_names)}", _NoHost(), definition)

    def _action(self, key: str) -> Callable[[Any], None]:
        def run(c: Any) -> None:
            self._fired.add(key)

        return run

    def match(self, fact: Fact) -> frozenset[str]:
        with self._lock:
            message = {**fact, "id": f"q{next(self._ids)}", "sid": "0"}
            self._fired.clear()
            try:
                handle = self._ruleset.assert_fact(message)
            except self._dr.MessageNotHandledException:
                return frozenset()
            errors: list[Any] = []
            self._ruleset.do_actions(handle, lambda e, _state: errors.append(e))
            self._ruleset.retract_fact(message)
            if errors and errors[0] is not None:
                raise RuntimeError(f"durable-rules failed on {fact['type']}: {errors[0]}")
            return frozenset(self._fired)
