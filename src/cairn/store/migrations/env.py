"""Alembic environment for the store, configured from code (`cairn.store.migrate`).

The caller hands over an open connection inside a transaction in `config.attributes`; this module
never builds an engine or reads an ini file. Migrations must stay portable: one history for
SQLite and PostgreSQL (SQLite alterations go through batch mode).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from cairn.store.models import Base

# Any constant works; it only has to be the same for every Cairn process migrating one database.
_PG_MIGRATION_LOCK = 0x6361_6972_6E00


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if _connection is None:
    raise RuntimeError("run Cairn migrations through cairn.store.migrate, not the alembic CLI")
_run(_connection)
