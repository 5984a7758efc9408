"""Run the store's Alembic migrations from code — no alembic.ini at run time.

The one portable migration history lives in `cairn/store/migrations/versions/` and is shipped in
the package; `upgrade` brings a database to head. Upgrades are safe to start from several
processes at once: on SQLite the migration runs inside `BEGIN IMMEDIATE`, on PostgreSQL under a
transaction-scoped advisory lock (see `migrations/env.py`).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from cairn.store.db import make_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(target: Engine | str | URL, revision: str = "head") -> None:
    """Migrate the database behind `target` (an engine or a URL) to `revision`."""
    engine = target if isinstance(target, Engine) else make_engine(target)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if engine is not target:
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or `None` for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of Cairn."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
