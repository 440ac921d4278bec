"""Jurists' scenario files: stories, their events and the obligations the text demands,
run by ``quyche test`` and pytest.

May import: engine, rulebook, model, calendar, io, errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quyche_rules._lazy import exports

if TYPE_CHECKING:
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

__getattr__ = exports(
    __name__,
    {
        "ClauseCoverage": "quyche_rules.scenarios.scenario",
        "ExpectedObligation": "quyche_rules.scenarios.scenario",
        "Key": "quyche_rules.scenarios.scenario",
        "Outcome": "quyche_rules.scenarios.scenario",
        "Scenario": "quyche_rules.scenarios.scenario",
        "ScenarioFileModel": "quyche_rules.scenarios.scenario",
        "ScenarioModel": "quyche_rules.scenarios.scenario",
        "Story": "quyche_rules.scenarios.scenario",
        "check_scenarios": "quyche_rules.scenarios.scenario",
        "clause_id": "quyche_rules.scenarios.scenario",
        "coverage": "quyche_rules.scenarios.scenario",
        "load_scenario_file": "quyche_rules.scenarios.scenario",
        "load_scenario_files": "quyche_rules.scenarios.scenario",
        "load_scenarios": "quyche_rules.scenarios.scenario",
        "run_scenario": "quyche_rules.scenarios.scenario",
        "run_scenarios": "quyche_rules.scenarios.scenario",
        "scenario_paths": "quyche_rules.scenarios.scenario",
        "triggered_rules": "quyche_rules.scenarios.scenario",
    },
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
