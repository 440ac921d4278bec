"""Each case's marks (``tracker.marks``): the first day an act settled it (``settled_on``),
the first day an act only the fold decides reached it (``folded_from``), and whether it
lapses to consent by silence (``lapses_to_consent``); the indexes a body's status page
walks with them (``tracker.status_page``), which replace revision 0011's; and
``tracker_due_counts``, how many cases no act settled each body owes per due date.

With the marks, the cases no act has touched by the date asked are a range of an index by
obligated body, and each group of them (awaiting, due soon, overdue, consent) a range of
due dates in it: a body's counts are sums over its due dates' counts, instead of evaluating
each of its cases — or probing each case's acts — on every request.

Backfilled here by ``tracker.marks.mark_all`` (as revision 0003 calls the tracker's
rebuild): the marks are derived from ``tracker_case_facts``, ``tracker_acts`` and
``tracker_targets`` alone, and ``quyche track rebuild`` computes them again the same way.

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "tracker_case_facts"
COUNTS = "tracker_due_counts"
LAPSE = "ix_tracker_case_facts_obligated_lapse"
FOLDED = "ix_tracker_case_facts_folded"
PROVISIONAL = "ix_tracker_case_facts_provisional"
#: revision 0011's walk by obligated body and due date, which the marks' indexes replace
OLD = "ix_tracker_case_facts_obligated_due"
OLD_COLUMNS = ["obligated", "due", "case_id", "opened_on", "opened_seq", "silence_means",
               "due_provisional", "doc_key"]  # fmt: skip


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("settled_on", sa.Date(), nullable=True))
    op.add_column(TABLE, sa.Column("folded_from", sa.Date(), nullable=True))
    op.add_column(
        TABLE,
        sa.Column("lapses_to_consent", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        COUNTS,
        sa.Column("obligated", sa.String(64), primary_key=True),
        sa.Column("lapses_to_consent", sa.Boolean(), primary_key=True),
        sa.Column("due", sa.Date(), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    from quyche_rules.tracker.marks import mark_all

    mark_all(op.get_bind())
    op.drop_index(OLD, table_name=TABLE)
    op.create_index(
        LAPSE,
        TABLE,
        ["obligated", "settled_on", "lapses_to_consent", "due", "case_id", "opened_on"],
    )
    op.create_index(FOLDED, TABLE, ["obligated", "folded_from"])
    op.create_index(
        PROVISIONAL,
        TABLE,
        ["obligated", "case_id"],
        sqlite_where=sa.text("due_provisional = 1"),
        postgresql_where=sa.text("due_provisional = true"),
    )


def downgrade() -> None:
    op.drop_table(COUNTS)
    for name in (PROVISIONAL, FOLDED, LAPSE):
        op.drop_index(name, table_name=TABLE)
    op.create_index(OLD, TABLE, OLD_COLUMNS)
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("lapses_to_consent")
        batch.drop_column("folded_from")
        batch.drop_column("settled_on")
