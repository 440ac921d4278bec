"""The coordination tracker: every duty with a deadline followed to its end, durably.

``model`` is the pure state machine (log + date → cases), ``rows`` the rows a record writes,
``store`` the SQLite/PostgreSQL persistence, ``tracker`` the facade that records events
through the engine. ``metadata``, ``make_engine``, ``migrate`` and ``resolve_url`` come from
``db`` and are re-exported here for callers of the old paths.

May import: db, engine and the layers below it.
"""

from quyche_rules.db.connect import make_engine, migrate, resolve_url
from quyche_rules.db.tracker_tables import metadata
from quyche_rules.tracker.authority import Actor, AuthorityError
from quyche_rules.tracker.model import Case, CaseState, HistoryEntry, PartyStatus, TrackerError
from quyche_rules.tracker.tracker import Recorded, Tracker, rulebook_hash

__all__ = [
    "Actor",
    "AuthorityError",
    "Case",
    "CaseState",
    "HistoryEntry",
    "PartyStatus",
    "Recorded",
    "Tracker",
    "TrackerError",
    "make_engine",
    "metadata",
    "migrate",
    "resolve_url",
    "rulebook_hash",
]
