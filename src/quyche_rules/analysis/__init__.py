"""The exhaustive analysis of a rulebook: every event class the rules can tell apart
(``classes``), the check of each class's obligations (``check``) and the diff of two
rulebooks class by class (``diff``)."""

from quyche_rules.analysis.check import CheckReport, check
from quyche_rules.analysis.classes import EventClass, TypeEnumeration, enumerate_type
from quyche_rules.analysis.diff import DiffReport, diff
from quyche_rules.analysis.enumeration import answer, enumerate_all, enumeration_date

__all__ = [
    "CheckReport",
    "DiffReport",
    "EventClass",
    "TypeEnumeration",
    "answer",
    "check",
    "diff",
    "enumerate_all",
    "enumerate_type",
    "enumeration_date",
]
