"""Per-key daily counts of stored decisions: what the service's quota reads.

One row per (key, day in Vietnam), incremented in the transaction that stores the
decisions, so several service instances on one database share the count. Counting starts
at this revision: decisions stored before it are not counted against anyone's day.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("service_key_days"):
        return  # made by ``metadata.create_all`` before Alembic adopted the database
    op.create_table(
        "service_key_days",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("decisions", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("service_key_days")
