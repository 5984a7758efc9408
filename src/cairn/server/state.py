"""What a running server holds: the store, the workspaces it has opened, and their engines.

An engine claims only its own workspace's jobs, so the server runs one per workspace: for every
workspace that exists when it starts (adopting what a previous server left running), and for a
new workspace when its first job is submitted. Each engine has its own local executor.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cairn.engine.loop import Engine
from cairn.executors.local import LocalExecutor
from cairn.store import open_store, sqlite_url
from cairn.workspace.context import Workspace

if TYPE_CHECKING:
    from cairn.server.settings import ServerSettings
    from cairn.store import Store


@dataclass
class _Running:
    engine: Engine
    executor: LocalExecutor
    thread: threading.Thread


@dataclass
class ServerState:
    settings: ServerSettings
    store: Store
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    _engines: dict[str, _Running] = field(default_factory=dict)
    _started: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _engine_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: ServerSettings) -> ServerState:
        settings.home.ensure()
        store = open_store(settings.database_url or sqlite_url(settings.home.database))
        return cls(settings, store)

    def workspace(self, name: str, actor: str = "api") -> Workspace:
        """The named workspace (which must exist in the store), opened once."""
        with self._lock:
            if name not in self.workspaces:
                self.store.workspaces.get(name)  # NotFound for an unknown workspace
                self.workspaces[name] = Workspace(self.settings.home, self.store, name)
            opened = self.workspaces[name]
        return Workspace(opened.home, opened.store, opened.name, actor=actor)

    @property
    def engine(self) -> Engine | None:
        """The engine of the server's default workspace (None when engines are off)."""
        running = self._engines.get(self.settings.workspace)
        return running.engine if running else None

    def start_engines(self) -> None:
        """Start an engine for every workspace (at server start)."""
        if not self.settings.run_engine:
            return
        self._started = True
        for workspace in self.store.workspaces.list():
            self.engine_for(workspace.name)

    def engine_for(self, name: str) -> Engine | None:
        """The engine of workspace `name`, started on first use; None when engines are off."""
        if not (self.settings.run_engine and self._started):
            return None
        with self._engine_lock:
            running = self._engines.get(name)
            if running is None:
                running = self._engines[name] = self._start(name)
        return running.engine

    def _start(self, name: str) -> _Running:
        home = self.settings.home
        executor = LocalExecutor(home.run / f"executor-{name}.sock")
        workspace = Workspace(home, self.store, name, actor="engine")
        config = dataclasses.replace(
            self.settings.engine, owner=f"{self.settings.engine.owner}:{name}"
        )
        engine = Engine(workspace, executor, config)
        thread = threading.Thread(target=engine.run, name=f"cairn-engine-{name}", daemon=True)
        thread.start()
        return _Running(engine, executor, thread)

    def close(self) -> None:
        with self._engine_lock:
            self._started = False
            running = list(self._engines.values())
            self._engines.clear()
        for each in running:
            each.engine.stop()
        for each in running:
            each.thread.join(timeout=10)
            each.executor.close()
        for workspace in self.workspaces.values():
            with contextlib.suppress(Exception):
                workspace.close()
        self.store.close()
