"""Engines and transactions: the only place that knows SQLite from PostgreSQL.

SQLite (one file per Cairn home) runs in WAL mode with foreign keys on, `synchronous=FULL` on every
connection (a commit costs about 0.5 ms more than with NORMAL — affordable, and a power cut then
loses nothing acknowledged) and a 30 s busy timeout. pysqlite's own transaction handling is
switched off and every transaction starts with our own `BEGIN`: `BEGIN IMMEDIATE` for writes, so
that two writers queue on the busy timeout at the start instead of failing to upgrade a read lock
half way through, and a deferred `BEGIN` for reads, which never block a writer under WAL. This is
SQLAlchemy's documented pysqlite event recipe.

PostgreSQL is reached through psycopg 3 (`postgresql+psycopg://`); a plain `postgresql://` URL is
taken to mean the same. Row locks (`FOR UPDATE [SKIP LOCKED]`) do there what `BEGIN IMMEDIATE` does
on SQLite. This module must not know about tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware in UTC."""

BUSY_TIMEOUT_S = 30.0
_BEGIN_OPTION = "cairn_sqlite_begin"


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def sqlite_url(path: Path | str) -> str:
    """The URL of the SQLite database file at `path`."""
    return f"sqlite:///{Path(path).resolve()}"


def normalize_url(url: str | URL) -> URL:
    """Parse `url`, choosing psycopg 3 for PostgreSQL when no driver is named."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, *, connect_args: Mapping[str, Any] | None = None) -> Engine:
    """Create an engine for a Cairn database with the settings described above."""
    parsed = normalize_url(url)
    args = dict(connect_args or {})
    if parsed.get_backend_name() == "sqlite":
        args.setdefault("timeout", BUSY_TIMEOUT_S)
        engine = create_engine(parsed, connect_args=args)
        _configure_sqlite(engine)
        return engine
    return create_engine(parsed, connect_args=args, pool_pre_ping=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # None = pysqlite never emits BEGIN/COMMIT on its own; we issue BEGIN in `_on_begin`.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """An engine plus the two kinds of transaction the store uses, and the store's clock."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self.sqlite = is_sqlite(engine)
        self._read_engine = (
            engine.execution_options(**{_BEGIN_OPTION: "DEFERRED"}) if self.sqlite else engine
        )

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in a write transaction, committed on normal exit, rolled back on error."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session in a read-only transaction (never takes SQLite's write lock)."""
        with Session(self._read_engine, expire_on_commit=False) as session, session.begin():
            yield session
            # Nothing to commit; ending the transaction releases the WAL read snapshot.

    def now(self) -> datetime:
        return self.clock()

    def dispose(self) -> None:
        self.engine.dispose()
