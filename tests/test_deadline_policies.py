"""Deadline policies (issue 9): silence stands for an opinion only, and a request's own later
reply date is checked against the events of every rule that uses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from quyche_rules.engine.engine import Engine
from quyche_rules.errors import RulebookError
from quyche_rules.rulebook.loader import Rulebook, load_rulebook

#: duties whose deadline may carry "silence = consent": Art. 3.1 deems an *opinion* given
OPINION_DUTIES = {"respond_in_writing", "give_written_opinion", "give_opinion"}


def test_silence_means_only_on_duties_to_give_an_opinion(book: Rulebook) -> None:
    with_deadline = [r for r in book if r.deadline is not None]
    assert {r.deadline.id for r in with_deadline if r.deadline} >= {"art3.1", "art3.1-provide"}
    for r in with_deadline:
        assert r.deadline is not None
        if r.deadline.silence_means is not None:
            assert r.duty in OPINION_DUTIES, f"{r.id}: silence cannot stand for {r.duty}"
    provides = [r for r in with_deadline if r.duty == "provide"]
    assert provides and all(r.deadline and r.deadline.silence_means is None for r in provides)


def test_later_of_must_name_a_field_of_every_triggering_event(rules_copy: Path) -> None:
    p = rules_copy / "deadlines.yaml"
    text = p.read_text(encoding="utf-8")
    p.write_text(text.replace("later_of: reply_by", "later_of: reply_date", 1), encoding="utf-8")
    with pytest.raises(RulebookError) as info:
        load_rulebook(rules_copy)
    assert info.value.field == "deadline" and "reply_date" in str(info.value)


@pytest.mark.parametrize("backend", ["durable", "python"])
def test_the_due_date_is_the_later_of_the_two_and_says_why(
    engines: dict[str, Engine], backend: str
) -> None:
    event = {
        "type": "coordination_requested",
        "date": "2025-02-03",
        "requester": "dang_uy_khoi",
        "requested": "ban_to_chuc_tinh_uy",
        "received_on": "2025-02-03",
    }
    (plain,) = engines[backend].who_must_be_notified(event)
    (later,) = engines[backend].who_must_be_notified({**event, "reply_by": "2025-02-20"})
    (sooner,) = engines[backend].who_must_be_notified({**event, "reply_by": "2025-02-05"})
    assert str(plain.due) == str(sooner.due) == "2025-02-12"
    assert str(later.due) == "2025-02-20"
    assert later.due_computation and "reply_by" in later.due_computation
    assert sooner.due_computation == plain.due_computation
