"""Alembic environment of the tracker: always run from ``store.migrate`` with a connection
already inside a locked transaction (never from an ini file), so it works from a wheel."""

from __future__ import annotations

from alembic import context

from quyche_rules.tracker.store import VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite cannot ALTER most things: future revisions copy tables
)
with context.begin_transaction():
    context.run_migrations()
