"""The migration history builds exactly the ORM's schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, event
from sqlalchemy.exc import IntegrityError

from cairn.store import make_engine, open_store, sqlite_url, upgrade
from cairn.store.migrate import current_revision, head_revision
from cairn.store.models import Base


def _diffs(engine: Engine, metadata: MetaData) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_migrations_match_the_models(backend: Engine) -> None:
    assert current_revision(backend) == head_revision()
    assert _diffs(backend, Base.metadata) == []


def test_the_comparison_does_see_a_difference(backend: Engine) -> None:
    # Guards the test above against passing vacuously.
    changed = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    Table("workspaces", changed, Column("colour", String(10)), extend_existing=True)
    Table("extra", changed, Column("id", Integer, primary_key=True))
    kinds = {diff[0] for diff in _diffs(backend, changed) if isinstance(diff, tuple)}
    assert {"add_column", "add_table"} <= kinds


def test_upgrade_is_idempotent_and_seeds_the_default_workspace(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "home" / "cairn.db")
    (tmp_path / "home").mkdir()
    upgrade(url)
    upgrade(url)
    store = open_store(url)
    try:
        assert [w.name for w in store.workspaces.list()] == ["default"]
    finally:
        store.close()


def test_sqlite_connections_use_the_documented_settings(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "cairn.db"))
    try:
        with engine.connect() as conn:
            settings = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
        assert settings == {
            "journal_mode": "wal",
            "synchronous": 2,  # FULL
            "foreign_keys": 1,
            "busy_timeout": 30000,
        }
    finally:
        engine.dispose()


def test_sqlite_write_transactions_begin_immediate(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "cairn.db"))
    upgrade(engine)
    statements: list[str] = []
    event.listen(
        engine, "before_cursor_execute", lambda *args: statements.append(args[2]), named=False
    )
    store = open_store(engine, migrate=False)
    try:
        store.computes.create("default", "c", "amlcompute", actor="ann")
        store.computes.get("default", "c")
    finally:
        store.close()
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE", "BEGIN DEFERRED"]


def test_foreign_keys_are_enforced(backend: Engine) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"), backend.begin() as conn:
        conn.exec_driver_sql("INSERT INTO job_tags (job_id, key, value) VALUES (987654, 'k', 'v')")


def test_the_known_head_revision_is_alembics_head() -> None:
    from cairn.store.facade import HEAD_REVISION
    from cairn.store.migrate import head_revision

    assert head_revision() == HEAD_REVISION
