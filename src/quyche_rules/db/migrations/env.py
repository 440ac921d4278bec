"""Alembic environment of the shared database: always run from ``store.migrate`` with a
connection already inside a locked transaction (never from an ini file), so it works from
a wheel.

``target_metadata`` lists every table of the database: the tracker's and the HTTP
service's (``service_*``, revision 0002). The service's ``MetaData`` is imported here, in
the migration environment only, never by the tracker's code: the database is shared, the
layers are not.
"""

from __future__ import annotations

from alembic import context

from quyche_rules.db.connect import VERSION_TABLE
from quyche_rules.db.delivery_tables import metadata as delivery_metadata
from quyche_rules.db.service_tables import metadata as service_metadata
from quyche_rules.db.tracker_tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=[metadata, service_metadata, delivery_metadata],
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite cannot ALTER most things: future revisions copy tables
)
with context.begin_transaction():
    context.run_migrations()
