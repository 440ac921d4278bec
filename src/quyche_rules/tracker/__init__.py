"""The coordination tracker: every duty with a deadline followed to its end, durably.

``model`` is the pure state machine (log + date → cases), ``store`` the SQLite/PostgreSQL
persistence (its ``metadata``, ``make_engine`` and ``resolve_url`` are reusable by modules
sharing the database), ``tracker`` the facade that records events through the engine.
"""

from .model import Case, CaseState, HistoryEntry, PartyStatus, TrackerError
from .store import make_engine, metadata, migrate, resolve_url
from .tracker import Recorded, Tracker, rulebook_hash

__all__ = [
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
