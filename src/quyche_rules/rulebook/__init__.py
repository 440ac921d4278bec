"""The rule language: the regulation's text parsed into citable units, the rule files
loaded and checked against it, conditions, coverage and the JSON Schemas.

May import: model, calendar, io, errors. ``quyche_rules.rulebook`` keeps the names it had
as a module.
"""

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
