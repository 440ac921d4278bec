"""The rule language: the regulation's text parsed into citable units, the rule files
loaded and checked against it, conditions, coverage and the JSON Schemas.

May import: model, calendar, io, errors. ``quyche_rules.rulebook`` keeps the names it had
as a module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quyche_rules._lazy import exports

if TYPE_CHECKING:
    from quyche_rules.rulebook.loader import (
        RULES_DIR,
        ArticleFileModel,
        BasisModel,
        DeadlinePolicy,
        EventTrigger,
        NonActionable,
        NonActionableModel,
        Rule,
        Rulebook,
        RuleModel,
        TriggerModel,
        content_hash_of,
        load_rulebook,
    )

__getattr__ = exports(
    __name__,
    {
        "ArticleFileModel": "quyche_rules.rulebook.loader",
        "BasisModel": "quyche_rules.rulebook.loader",
        "DeadlinePolicy": "quyche_rules.rulebook.loader",
        "EventTrigger": "quyche_rules.rulebook.loader",
        "NonActionable": "quyche_rules.rulebook.loader",
        "NonActionableModel": "quyche_rules.rulebook.loader",
        "RULES_DIR": "quyche_rules.rulebook.loader",
        "Rule": "quyche_rules.rulebook.loader",
        "RuleModel": "quyche_rules.rulebook.loader",
        "Rulebook": "quyche_rules.rulebook.loader",
        "TriggerModel": "quyche_rules.rulebook.loader",
        "content_hash_of": "quyche_rules.rulebook.loader",
        "load_rulebook": "quyche_rules.rulebook.loader",
    },
)

__all__ = [
    "RULES_DIR",
    "ArticleFileModel",
    "BasisModel",
    "DeadlinePolicy",
    "EventTrigger",
    "NonActionable",
    "NonActionableModel",
    "Rule",
    "RuleModel",
    "Rulebook",
    "TriggerModel",
    "content_hash_of",
    "load_rulebook",
]
