"""The HTTP service's tables (issue 11): API keys (hashed) and the append-only decision log.

One database holds the tracker's log and the service's tables, so one chain of migrations
owns them all. The columns are exactly those of ``quyche_rules.service.store`` (spelled out
here, as migrations must be: a later change to that module needs a revision of its own).

A database made by an earlier ``quyche serve`` (``create_all``, no Alembic version) already
has these tables: they are adopted as they are, not created again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "service_api_keys" not in existing:
        op.create_table(
            "service_api_keys",
            sa.Column("key_id", sa.String(16), primary_key=True),
            sa.Column("key_sha256", sa.String(64), nullable=False),
            sa.Column("party", sa.String(100), nullable=True),
            sa.Column("admin", sa.Boolean, nullable=False, default=False),
            sa.Column("label", sa.String(200), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        )
    if "service_decisions" not in existing:
        op.create_table(
            "service_decisions",
            sa.Column("decision_id", sa.String(36), primary_key=True),
            sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("kind", sa.String(20), nullable=False),
            sa.Column("key_id", sa.String(16), nullable=False),
            sa.Column("asked_by_party", sa.String(100), nullable=True),
            sa.Column("parties", sa.Text, nullable=False),
            sa.Column("receipt", sa.Text, nullable=False),
            sa.Column("input", sa.Text, nullable=False),
            sa.Column("result", sa.Text, nullable=False),
        )


def downgrade() -> None:
    op.drop_table("service_decisions")
    op.drop_table("service_api_keys")
