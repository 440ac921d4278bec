"""The jurists' scenario files (``tests/scenarios/*.yaml``) on both backends, one test per
scenario and backend so that a failure names the scenario; then the engine's explanation and
``duties_of``. The scenarios themselves, with their stories, live in the YAML files."""

from __future__ import annotations

from pathlib import Path

import pytest

from quyche_rules.engine.engine import Engine
from quyche_rules.rulebook.loader import Rulebook
from quyche_rules.scenarios.scenario import (
    Scenario,
    check_scenarios,
    coverage,
    load_scenario_files,
    run_scenario,
)

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
# shape only at collection time (no rulebook needed); names are checked in a test below
SCENARIOS = load_scenario_files([SCENARIO_DIR])


def test_scenario_files_name_only_what_the_rulebook_has(book: Rulebook) -> None:
    check_scenarios(SCENARIOS, book)


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.id for s in SCENARIOS])
@pytest.mark.parametrize("backend", ["durable", "python"])
def test_scenario(engines: dict[str, Engine], backend: str, sc: Scenario) -> None:
    outcome = run_scenario(engines[backend], sc)
    assert outcome.passed, "\n".join(
        [f"{sc.file}: {sc.id}: {sc.model.story.en}"]
        + ([outcome.error] if outcome.error else [])
        + list(outcome.problems)
    )


def test_every_triggered_clause_has_a_positive_and_a_negative_scenario(book: Rulebook) -> None:
    rows = coverage(book, SCENARIOS)
    assert rows, "no triggered clause found"
    gaps = [r.clause for r in rows if not r.complete]
    assert not gaps, f"clauses lacking a positive or a negative scenario: {gaps}"
    never = [rid for r in rows for rid in r.unexercised_rules]
    assert not never, f"rules no scenario expects to fire: {never}"


def test_explain_gives_quote_clause_and_conditions(engines: dict[str, Engine]) -> None:
    ev = {
        "type": "conclusion_meeting_planned",
        "date": "2025-09-15",
        "advised_by": "co_quan_ubkt_tinh_uy",
        "matter": "inspection",
        "subject_kind": "organisation",
        "subject_in_bloc": True,
    }
    (ob,) = engines["durable"].who_must_be_notified(ev)
    why = engines["durable"].explain(ob)
    assert why.quote in why.clause_text
    assert any("subject_in_bloc = true" in c for c in why.conditions)


def test_duties_of_includes_standing_periodic_and_class_duties(engines: dict[str, Engine]) -> None:
    entries = engines["python"].duties_of("Đảng ủy Công an tỉnh")
    how = {e.rule.id: e.binds_as for e in entries}
    assert how["art15.3.inform-dang-uy-khoi"] == "named"
    assert how["art17.1.implement-dang-uy-khoi"].startswith("member of cac_co_quan")
    assert how["art3.1.respond"].startswith("when the event names it")
    assert any(e.rule.standing for e in entries)
    assert all(e.rule.obligated != "dang_uy_khoi" for e in entries)
    yearly = engines["python"].duties_of("dang_uy_quan_su_tinh")
    assert any(e.rule.periods for e in yearly)
