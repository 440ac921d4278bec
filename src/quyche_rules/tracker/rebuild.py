"""Rebuild the tracker's projection from its log: ``quyche track rebuild [--db URL]``
(default: ``$QUYCHE_DB``, else the default SQLite file). ``python -m
quyche_rules.tracker.rebuild`` still works, for scripts written before the command existed.

The projection (``tracker_case_facts``, ``tracker_acts``) is derived data: written with
each record, backfilled by migration 0003, and recomputable at any time from the log
alone — after a restore of the log from a backup, or to check nothing drifted.
"""

from __future__ import annotations

import argparse
import sys

from quyche_rules.tracker.model import TrackerError
from quyche_rules.tracker.store import Store


def rebuild(db: str | None) -> str:
    """Rebuild the projection of the database ``db``; returns the line to print (how many
    records, and whether the projection had drifted from the log)."""
    store = Store(db)
    try:
        before = store.projection()
        n = store.rebuild_projection()
        changed = store.projection() != before
    finally:
        store.close()
    return f"projection rebuilt from {n} records" + ("; it had drifted" if changed else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m quyche_rules.tracker.rebuild")
    ap.add_argument("--db", help="database URL or SQLite file path")
    args = ap.parse_args(argv)
    try:
        line = rebuild(args.db)
    except TrackerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
