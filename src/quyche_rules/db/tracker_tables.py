"""The tracker's tables (SQLAlchemy Core): the append-only log, the case index and the
projection the status queries read.

Defined here, below the tracker and the service, so the one Alembic chain in
``db/migrations`` can name every table of the database without importing an upper layer.
What each table holds and why is told in ``tracker/store.py``.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: rowid alias

records = sa.Table(
    "tracker_records",
    metadata,
    sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
    sa.Column("doc_key", sa.String(64), nullable=False, unique=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("sender", sa.String(64), nullable=True),
    sa.Column("reference", sa.Text(), nullable=True),
    sa.Column("event_date", sa.Date(), nullable=False),
    sa.Column("event_json", sa.Text(), nullable=False),
    sa.Column("decision_json", sa.Text(), nullable=False),
    sa.Column("rulebook_hash", sa.String(64), nullable=False),
    sa.Column("engine_version", sa.String(100), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

cases = sa.Table(
    "tracker_cases",
    metadata,
    sa.Column("case_id", sa.String(32), primary_key=True),
    sa.Column("record_seq", _SEQ, sa.ForeignKey("tracker_records.seq"), nullable=False),
    sa.Column("doc_key", sa.String(64), nullable=False, index=True),
    sa.Column("rule_id", sa.String(100), nullable=False),
    sa.Column("due", sa.Date(), nullable=False),
)

case_parties = sa.Table(
    "tracker_case_parties",
    metadata,
    sa.Column("case_id", sa.String(32), sa.ForeignKey("tracker_cases.case_id"), primary_key=True),
    sa.Column("party", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), primary_key=True),  # obligated | counterparty
    sa.Index("ix_tracker_case_parties_party_case", "party", "case_id"),
)

targets = sa.Table(
    "tracker_targets",
    metadata,
    sa.Column("record_seq", _SEQ, sa.ForeignKey("tracker_records.seq"), primary_key=True),
    sa.Column("doc_key", sa.String(64), primary_key=True),
    sa.Index("ix_tracker_targets_doc_key", "doc_key"),
)

# --- the projection: what each case's fold reads, derived from the log (revision 0003) ---

case_facts = sa.Table(
    "tracker_case_facts",
    metadata,
    sa.Column("case_id", sa.String(32), sa.ForeignKey("tracker_cases.case_id"), primary_key=True),
    sa.Column("doc_key", sa.String(64), nullable=False, index=True),
    sa.Column("rule_id", sa.String(100), nullable=False),
    sa.Column("obligated", sa.String(64), nullable=False),
    sa.Column("counterparties", sa.Text(), nullable=False),  # ids joined by SEP, in order
    sa.Column("requester", sa.String(64), nullable=False),
    sa.Column("reference", sa.Text(), nullable=False),
    sa.Column("opened_seq", _SEQ, nullable=False),
    sa.Column("opened_on", sa.Date(), nullable=False),
    sa.Column("opened_type", sa.String(64), nullable=False),
    sa.Column("due", sa.Date(), nullable=False),
    sa.Column("due_provisional", sa.Boolean(), nullable=False),
    sa.Column("silence_means", sa.String(32), nullable=True),
    # the request's subject (its ``summary``, trích yếu), so a clerk finds a case by what
    # the letter is about, not by its hash (revision 0008); None when the event had none
    sa.Column("summary", sa.Text(), nullable=True),
    # the case's marks (revision 0012; what each means and why: ``tracker.marks``): the
    # first day an act settled it or made it one the fold decides, the first day of the
    # latter, and whether it lapses to consent by silence. Derived from ``acts`` in each
    # record's transaction and by the rebuild, so which cases time alone placed is a range
    # of an index, and a body's counts are counts of ranges
    sa.Column("settled_on", sa.Date(), nullable=True),
    sa.Column("folded_from", sa.Date(), nullable=True),
    sa.Column("lapses_to_consent", sa.Boolean(), nullable=False, server_default=sa.false()),
)

# a body's status page walks the cases no act has settled by obligated body, whether they
# lapse to consent, and due date (revision 0012, replacing 0011's index): each group is a
# range of it (awaiting and due soon: one per value of ``lapses_to_consent``)
sa.Index(
    "ix_tracker_case_facts_obligated_lapse",
    case_facts.c.obligated,
    case_facts.c.settled_on,
    case_facts.c.lapses_to_consent,
    case_facts.c.due,
    case_facts.c.case_id,
    case_facts.c.opened_on,
)
# the few cases of a body that are folded: from an act only the fold decides (revision 0012)
sa.Index("ix_tracker_case_facts_folded", case_facts.c.obligated, case_facts.c.folded_from)
# ... and its cases with a provisional due date, counted again on reading (revision 0012)
sa.Index(
    "ix_tracker_case_facts_provisional",
    case_facts.c.obligated,
    case_facts.c.case_id,
    sqlite_where=case_facts.c.due_provisional == sa.true(),
    postgresql_where=case_facts.c.due_provisional == sa.true(),
)
# ... and the cases where it is a counterparty (revision 0011)
sa.Index(
    "ix_tracker_case_parties_party_role",
    case_parties.c.party,
    case_parties.c.role,
    case_parties.c.case_id,
)

# how many cases no act has settled each body owes per due date, and whether they lapse to
# consent (revision 0012; ``tracker.marks``): a body's counts sum a few hundred of these
# rows (one per due date) instead of counting tens of thousands of cases
due_counts = sa.Table(
    "tracker_due_counts",
    metadata,
    sa.Column("obligated", sa.String(64), primary_key=True),
    sa.Column("lapses_to_consent", sa.Boolean(), primary_key=True),
    sa.Column("due", sa.Date(), primary_key=True),
    sa.Column("n", sa.Integer(), nullable=False),
)

acts = sa.Table(
    "tracker_acts",
    metadata,
    sa.Column("record_seq", _SEQ, sa.ForeignKey("tracker_records.seq"), primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("event_date", sa.Date(), nullable=False),
    sa.Column("requested", sa.String(64), nullable=True),
    sa.Column("parties", sa.Text(), nullable=False),  # ids joined by SEP, lead first
    sa.Column("reply_by", sa.Date(), nullable=True),
)

SEP = " "  # party ids are ASCII identifiers: a space never occurs in one
PROJECTION = (case_facts, acts)
