"""Fixtures for the store's contract suite: every `store` test runs on SQLite and PostgreSQL.

SQLite: each test gets its own database file, copied from one migrated template.
PostgreSQL (127.0.0.1:5432, database `test`): the session migrates a fresh schema once and drops
it at the end; each test starts from emptied tables. `CAIRN_TEST_PG_URL` overrides the server.
If PostgreSQL does not answer, the PostgreSQL params skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from cairn.store import Store, make_engine, open_store, sqlite_url, upgrade
from cairn.store.models import Base

PG_URLS = [
    os.environ.get("CAIRN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "postgresql+psycopg://root@127.0.0.1:5432/test",
]


@dataclass
class FakeClock:
    """A controllable clock; every reading moves it on by one microsecond so events stay ordered."""

    now: datetime = field(default_factory=lambda: datetime(2030, 1, 1, tzinfo=UTC))

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass(frozen=True)
class PgDatabase:
    url: str
    schema: str

    @property
    def connect_args(self) -> dict[str, Any]:
        return {"options": f"-csearch_path={self.schema}"}

    def engine(self) -> Engine:
        return make_engine(self.url, connect_args=self.connect_args)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _reachable_pg_url() -> tuple[str | None, str]:
    errors = []
    for url in PG_URLS:
        try:
            with psycopg.connect(_libpq(url), connect_timeout=3):
                return url, ""
        except psycopg.Error as exc:
            errors.append(f"{url}: {str(exc).strip().splitlines()[0]}")
    return None, "; ".join(errors)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[PgDatabase]:
    """A freshly migrated schema for this test session, dropped afterwards."""
    url, why = _reachable_pg_url()
    if url is None:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 ({why})")
    schema = f"cairn_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    database = PgDatabase(url, schema)
    try:
        engine = database.engine()
        upgrade(engine)
        engine.dispose()
        yield database
    finally:
        with psycopg.connect(_libpq(url), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file that each test copies (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("template") / "cairn.db"
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _reset_pg(engine: Engine) -> None:
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(
            text(
                "INSERT INTO workspaces (name, description, created_at) "
                "VALUES ('default', 'The default workspace', now())"
            )
        )


@pytest.fixture
def pg_engine(pg_database: PgDatabase) -> Iterator[Engine]:
    """An engine on the emptied PostgreSQL schema, for tests of PostgreSQL-only behaviour."""
    engine = pg_database.engine()
    _reset_pg(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty, migrated database of each backend (with only `default`)."""
    if request.param == "sqlite":
        path = tmp_path / "cairn.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(sqlite_url(path))
        yield engine
        engine.dispose()
    else:
        yield request.getfixturevalue("pg_engine")


@pytest.fixture
def store(backend: Engine, clock: FakeClock) -> Iterator[Store]:
    """The store on each backend, with a fake clock."""
    opened = open_store(backend, migrate=False, clock=clock)
    yield opened
    opened.close()
