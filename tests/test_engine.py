"""The engine: backends agree, queries leave no state, threads and instances are safe, and
each durable-rules trap is handled."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quyche_rules.engine.backends import (
    CompiledTrigger,
    DurableBackend,
    PythonBackend,
    durable_definition,
    reference_match,
)
from quyche_rules.engine.engine import Engine
from quyche_rules.errors import EventError
from quyche_rules.model.event_checks import parse_event
from quyche_rules.model.events import EVENT_TYPES
from quyche_rules.rulebook.conditions import AnyOf, Contains, Eq, In

from .strategies import events, events_near


@settings(max_examples=400, deadline=None)
@given(data=events())
def test_backends_agree_on_generated_events(
    engines: dict[str, Engine], data: dict[str, Any]
) -> None:
    durable, python = engines["durable"], engines["python"]
    ev = parse_event(data)
    fact = python.fact(ev)
    expected = reference_match(python.triggers, fact)
    assert durable.backend.match(fact) == expected
    assert python.backend.match(fact) == expected
    assert durable.who_must_be_notified(data) == python.who_must_be_notified(data)


def test_every_event_trigger_can_fire(engines: dict[str, Engine]) -> None:
    """No trigger is dead: an event built to satisfy its condition fires it (guards
    against conditions that can never hold) on both backends."""
    from hypothesis import find

    python = engines["python"]
    for t in python.triggers:
        ev = find(
            events_near([t]),
            lambda d, t=t: t.key in python.backend.match(python.fact(parse_event(d))),
            settings=settings(max_examples=200, database=None),
        )
        assert t.key in engines["durable"].backend.match(python.fact(parse_event(ev)))


@settings(max_examples=600, deadline=None)
@given(data=st.data())
def test_backends_agree_near_every_rule(engines: dict[str, Engine], data: st.DataObject) -> None:
    durable, python = engines["durable"], engines["python"]
    ev = data.draw(events_near(python.triggers))
    fact = python.fact(parse_event(ev))
    expected = reference_match(python.triggers, fact)
    assert durable.backend.match(fact) == expected == python.backend.match(fact)
    assert durable.who_must_be_notified(ev) == python.who_must_be_notified(ev)


def test_no_state_is_left_behind(engines: dict[str, Engine]) -> None:
    durable = engines["durable"]
    a = {
        "type": "coordination_requested",
        "date": "2025-03-03",
        "requester": "dang_uy_khoi",
        "requested": "ban_to_chuc_tinh_uy",
        "received_on": "2025-03-03",
    }
    b = {"type": "period_started", "date": "2025-01-01", "period": "year"}
    first = durable.who_must_be_notified(a)
    for _ in range(50):  # the same fact again must not raise MessageObservedException
        durable.who_must_be_notified(b)
        assert durable.who_must_be_notified(a) == first


@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_threads_give_the_same_answers_as_one_thread(
    engines: dict[str, Engine], data: st.DataObject
) -> None:
    durable = engines["durable"]
    samples = data.draw(st.lists(events_near(durable.triggers), min_size=60, max_size=60))
    expected = [durable.who_must_be_notified(s) for s in samples]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(4):
            got = list(pool.map(durable.who_must_be_notified, samples))
            assert got == expected


def test_engines_coexist_and_start_no_threads(book: Any) -> None:
    before = threading.active_count()
    e1, e2 = Engine(book, backend="durable"), Engine(book, backend="durable")
    ev = {"type": "period_started", "date": "2025-07-01", "period": "half_year"}
    assert e1.who_must_be_notified(ev) == e2.who_must_be_notified(ev) != []
    assert threading.active_count() == before  # no Host, no timer threads


def test_output_order_is_deterministic(engines: dict[str, Engine]) -> None:
    ev = {"type": "period_started", "date": "2025-01-01", "period": "year"}
    obs = engines["durable"].who_must_be_notified(ev)
    keys = [(o.basis.article, o.basis.clause or 0, o.basis.point or "", o.rule_id) for o in obs]
    assert keys == sorted(keys)


# --- durable-rules traps, on a synthetic ruleset ------------------------------------------------


def _triggers() -> list[CompiledTrigger]:
    ts = [CompiledTrigger(f"r{i}#0", f"r{i}", 0, "a", Eq("x", "on")) for i in range(5)]
    ts.append(CompiledTrigger("or#0", "or", 0, "a", AnyOf((Eq("x", "on"), Eq("y", True)))))
    ts.append(CompiledTrigger("in#0", "in", 0, "a", In("x", ("on", "off"))))
    ts.append(CompiledTrigger("has#0", "has", 0, "a", Contains("l", "p")))
    ts.append(CompiledTrigger("other#0", "other", 0, "b", None))
    return ts


@pytest.mark.parametrize("backend", [DurableBackend, PythonBackend])
def test_a_fact_matching_many_rules_fires_each_once(backend: Any) -> None:
    b = backend(_triggers())
    got = b.match({"type": "a", "x": "on", "y": True, "l": ["p", "q"]})
    assert got == {"r0#0", "r1#0", "r2#0", "r3#0", "r4#0", "or#0", "in#0", "has#0"}
    assert b.match({"type": "c"}) == frozenset()  # MessageNotHandled = no rule, not an error
    assert b.match({"type": "b"}) == {"other#0"}


def test_durable_definition_is_single_pattern_anchored_on_type() -> None:
    for rule in durable_definition(_triggers()).values():
        assert len(rule["all"]) == 1
        m = rule["all"][0]["m"]
        assert m == {"type": "b"} or m["$and"][0] == {"type": "a"}


def test_strict_types_close_the_loose_comparison_trap() -> None:
    # durable-rules would match "1" against 1 and True against 1: the event model refuses them
    base = {
        "type": "meeting_planned",
        "date": "2025-01-01",
        "convened_by": "ubnd_tinh",
        "kind": "ubnd_regular_session",
    }
    for bad in (1, "true", "yes", None):
        with pytest.raises(EventError, match="concerns_bloc"):
            parse_event({**base, "concerns_bloc": bad})


# --- invalid events ------------------------------------------------------------------------------

_junk_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        st.dictionaries(
            st.sampled_from(["type", "date", "requester", "requested", "x", "id", "sid"]),
            _junk_values,
            max_size=5,
        ),
        st.builds(
            lambda t, d: {**d, "type": t},
            st.sampled_from(sorted(EVENT_TYPES)),
            st.dictionaries(st.text(max_size=12), _junk_values, max_size=6),
        ),
        events().flatmap(lambda e: st.sampled_from(sorted(e)).map(lambda k: {**e, k: 12345})),
        _junk_values,
    )
)
def test_invalid_events_raise_the_librarys_error_only(
    engines: dict[str, Engine], data: Any
) -> None:
    try:
        engines["durable"].who_must_be_notified(data)
    except EventError as exc:
        assert str(exc).split(":")[0]  # names a field


def test_one_duty_one_obligation_across_spellings_and_stages(
    engines: dict[str, Engine],
) -> None:
    """duty_key: same basis, obligated, counterparties, duty and document is one duty. Two
    stages of one procedure, and a complaint reported when received and when its review
    opens, give each duty once, with every rule that stated it in its conditions."""
    from quyche_rules.model.obligations import duty_key, merge_duties

    e = engines["python"]
    proc = {
        "type": "personnel_action", "date": "2025-03-04", "reference": "12-CV",
        "action": "reappointment", "conducted_by": "lanh_dao_co_quan_thuoc_khoi",
        "person_in_bloc": True, "person_committee_role": "bi_thu", "received_on": "2025-03-04",
    }  # fmt: skip
    stages = [
        *e.who_must_be_notified({**proc, "stage": "process_started"}),
        *e.who_must_be_notified({**proc, "stage": "decision_planned"}),
    ]
    assert len(stages) > len({duty_key(o) for o in stages})  # each duty stated twice
    merged = merge_duties(stages)
    assert len(merged) == len({duty_key(o) for o in stages})
    assert all(o.document == "12-CV" for o in merged)
    # another document is another duty
    other = e.who_must_be_notified({**proc, "stage": "decision_planned", "reference": "13-CV"})
    assert len(merge_duties([*stages, *other])) == 2 * len(merged)
    subject = {"subject_kind": "member", "subject_in_bloc": True, "reference": "KN-1"}
    received = e.who_must_be_notified(
        {"type": "complaint_received", "date": "2025-03-04", "received_by": "dang_uy_khoi",
         "kind": "complaint", **subject}
    )  # fmt: skip
    opened = e.who_must_be_notified(
        {"type": "inspection_decided", "date": "2025-03-05", "decided_by": "dang_uy_khoi",
         "matter": "complaint", **subject}
    )  # fmt: skip
    notices = [
        o for o in merge_duties([*received, *opened]) if o.rule_id.startswith("art13.4.notify")
    ]
    assert [o.rule_id for o in notices] == ["art13.4.notify-violation-lanh-dao"]
    assert any("complaint_received" in c for c in notices[0].conditions)
    assert any("inspection_decided" in c for c in notices[0].conditions)
