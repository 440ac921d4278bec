"""durable-rules has a per-node ceiling (too many rules anchored on one event type make it
refuse the ruleset): the durable backend splits the triggers into several rulesets, so a
rulebook many times the packaged one compiles and answers exactly as the Python matcher."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quyche_rules.engine.backends import (
    CompiledTrigger,
    DurableBackend,
    PythonBackend,
    reference_match,
)
from quyche_rules.engine.engine import Engine
from quyche_rules.model.event_checks import parse_event

from .strategies import events_near

TIMES = 50


def _times(triggers: list[CompiledTrigger], n: int) -> list[CompiledTrigger]:
    """The rulebook ``n`` times over, each copy with its own keys (as ``n`` distinct rules
    with the same conditions would be)."""
    return [
        replace(t, key=f"{t.key}~{i}", rule_id=f"{t.rule_id}~{i}")
        for i in range(n)
        for t in triggers
    ]


@pytest.fixture(scope="module")
def big(engines: dict[str, Engine]) -> dict[str, Any]:
    triggers = _times(engines["python"].triggers, TIMES)
    return {
        "triggers": triggers,
        "durable": DurableBackend(triggers, memo_size=0),
        "python": PythonBackend(triggers),
    }


def test_the_packaged_rulebook_is_one_ruleset(engines: dict[str, Engine]) -> None:
    assert engines["durable"].backend.rulesets == 1  # type: ignore[attr-defined]


def test_one_ruleset_past_the_ceiling_is_refused(engines: dict[str, Engine]) -> None:
    """The reason for partitioning: the same ×50 rulebook as ONE durable-rules ruleset is
    refused (if a future durable-rules lifts the ceiling, this says so)."""
    from durable import engine as dr

    from quyche_rules.engine.backends import durable_definition

    definition = {
        k: {**v, "run": lambda c: None}
        for k, v in durable_definition(_times(engines["python"].triggers, TIMES)).items()
    }

    class NoHost:
        def get_action(self, name: str) -> Any:
            raise LookupError(name)

    with pytest.raises(Exception, match="107"):
        dr.Ruleset("ceiling_check", NoHost(), definition)


def test_the_rulebook_times_50_compiles_in_several_rulesets(big: dict[str, Any]) -> None:
    assert big["durable"].rulesets > 1
    # every trigger sits in exactly one ruleset
    keys = [k for part in big["durable"]._parts for k in part]
    assert sorted(keys) == sorted(t.key for t in big["triggers"])
    # a second backend with the same rules takes the pooled rulesets once the first is closed
    big["durable"].close()
    again = DurableBackend(big["triggers"], memo_size=0)
    assert again.rulesets == big["durable"].rulesets
    big["durable"] = again


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_the_rulebook_times_50_answers_as_the_python_matcher(
    engines: dict[str, Engine], big: dict[str, Any], data: st.DataObject
) -> None:
    python = engines["python"]
    ev = data.draw(events_near(python.triggers))
    fact = python.fact(parse_event(ev))
    expected = reference_match(big["triggers"], fact)
    assert big["durable"].match(fact) == expected == big["python"].match(fact)
    # every copy of a rule fires together: the answer is the small rulebook's, ×50
    small = reference_match(python.triggers, fact)
    assert len(expected) == TIMES * len(small)
