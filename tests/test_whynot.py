"""``Engine.explain_not``: per trigger, which condition failed, with the field, the value
the event had and the values needed; consistent with what the engine fires."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from quyche_rules.engine.engine import Engine
from quyche_rules.errors import QuycheError

ROOT = Path(__file__).resolve().parents[1]
RULE = "art10.2.notify-dang-doan-hdnd"  # task_deployed by dang_uy_khoi ∧ related ∋ văn phòng
TASK = {
    "type": "task_deployed",
    "date": "2025-03-03",
    "deployed_by": "dang_uy_khoi",
    "related_bodies": ["van_phong_doan_dbqh_va_hdnd_tinh"],
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(backend="python")


def test_a_failed_condition_names_field_value_and_needed(engine: Engine) -> None:
    event = {**TASK, "related_bodies": ["ban_to_chuc_tinh_uy"]}
    why = engine.explain_not(event, RULE)
    assert not why.fired and why.event_type == "task_deployed"
    (trigger,) = why.triggers
    assert trigger.reason == "conditions_failed" and not trigger.matched
    (failed,) = trigger.failed
    assert (failed.field, failed.pointer, failed.test) == (
        "related_bodies",
        "/related_bodies",
        "contains",
    )
    assert failed.had == ["ban_to_chuc_tinh_uy"]
    assert failed.needed == ["van_phong_doan_dbqh_va_hdnd_tinh"]


def test_a_fired_rule_shows_its_trigger_matched(engine: Engine) -> None:
    why = engine.explain_not(TASK, RULE)
    assert why.fired and why.triggers[0].matched and why.triggers[0].failed == []


def test_another_event_type_fails_on_type(engine: Engine) -> None:
    event = {"type": "period_started", "date": "2025-01-02", "period": "year"}
    failed = engine.explain_not(event, RULE).triggers[0].failed
    assert [(f.field, f.had, f.needed) for f in failed] == [
        ("type", "period_started", ["task_deployed"])
    ]


def test_unknown_rule_is_a_structured_error(engine: Engine) -> None:
    with pytest.raises(QuycheError) as info:
        engine.explain_not(TASK, "no.such.rule")
    assert (info.value.field, info.value.code) == ("rule_id", "unknown_rule")


def test_agrees_with_the_engine_on_every_rule(engine: Engine) -> None:
    """For the example events, a rule fired exactly when one of its triggers matched."""
    for path in sorted((ROOT / "examples" / "events").glob("*.yaml"))[:8]:
        event = yaml.safe_load(path.read_text(encoding="utf-8"))
        fired = {o.rule_id for o in engine.who_must_be_notified(event)}
        for rule_id in engine.rulebook.rules:
            why = engine.explain_not(event, rule_id)
            assert why.fired == (rule_id in fired), (path.name, rule_id)
            assert why.fired == any(t.matched for t in why.triggers), (path.name, rule_id)
