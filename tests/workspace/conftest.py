"""Fixtures for the workspace services: a real Cairn home, a real store and project files.

`workspace` runs on SQLite; `any_workspace` runs each test on SQLite and on PostgreSQL (the
store's own fixtures give a migrated schema per session and emptied tables per test; PostgreSQL
params skip with the reason when no server answers on 127.0.0.1:5432). The Azurite fixtures come
from the data layer's tests, so the emulator is started the same way.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.home import Home
from cairn.store import Store, make_engine, open_store, sqlite_url
from cairn.workspace.context import Workspace
from tests.data.conftest import azurite, container  # noqa: F401 — fixtures used here
from tests.store.conftest import pg_database, pg_engine, sqlite_template  # noqa: F401


class Project:
    """A folder of YAML files and code, as a user keeps next to their pipeline."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    def code(self, folder: str = "src", body: str = "print('train')\n") -> Path:
        return self.write(f"{folder}/train.py", body).parent


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    return Project(root)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    # The secret key comes from the home's key file, never from the developer's environment.
    monkeypatch.delenv("CAIRN_SECRET_KEY", raising=False)
    return Home(tmp_path / "home").ensure()


def _workspace(home: Home, store: Store) -> Iterator[Workspace]:
    opened = Workspace(home, store, actor="tester")
    yield opened
    opened.close()


@pytest.fixture
def workspace(request: pytest.FixtureRequest, home: Home) -> Iterator[Workspace]:
    """A workspace on a fresh SQLite store."""
    shutil.copyfile(request.getfixturevalue("sqlite_template"), home.database)
    store = open_store(sqlite_url(home.database), migrate=False)
    yield from _workspace(home, store)
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_workspace(request: pytest.FixtureRequest, home: Home) -> Iterator[Workspace]:
    """A workspace on each backend."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), home.database)
        engine = make_engine(sqlite_url(home.database))
    else:
        engine = request.getfixturevalue("pg_engine")
    store = open_store(engine, migrate=False)
    yield from _workspace(home, store)
    if request.param == "sqlite":
        engine.dispose()
