"""Jurists' scenario files: stories, their events and the obligations the text demands,
run by ``quyche test`` and pytest.

May import: engine, rulebook, model, calendar, io, errors.
"""

from quyche_rules.scenarios.scenario import (
    ClauseCoverage,
    ExpectedObligation,
    Key,
    Outcome,
    Scenario,
    ScenarioFileModel,
    ScenarioModel,
    Story,
    check_scenarios,
    clause_id,
    coverage,
    load_scenario_file,
    load_scenario_files,
    load_scenarios,
    run_scenario,
    run_scenarios,
    scenario_paths,
    triggered_rules,
)

__all__ = [
    "ClauseCoverage",
    "ExpectedObligation",
    "Key",
    "Outcome",
    "Scenario",
    "ScenarioFileModel",
    "ScenarioModel",
    "Story",
    "check_scenarios",
    "clause_id",
    "coverage",
    "load_scenario_file",
    "load_scenario_files",
    "load_scenarios",
    "run_scenario",
    "run_scenarios",
    "scenario_paths",
    "triggered_rules",
]
