"""What a running server holds: the store, the workspaces it has opened, and its engine."""

from __future__ import annotations

import contextlib
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
class ServerState:
    settings: ServerSettings
    store: Store
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    engine: Engine | None = None
    _engine_thread: threading.Thread | None = None
    _executor: LocalExecutor | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

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

    def start_engine(self) -> None:
        if not self.settings.run_engine or self.engine is not None:
            return
        home = self.settings.home
        self._executor = LocalExecutor(home.run / f"executor-{self.settings.workspace}.sock")
        workspace = Workspace(home, self.store, self.settings.workspace, actor="engine")
        self.engine = Engine(workspace, self._executor, self.settings.engine)
        self._engine_thread = threading.Thread(
            target=self.engine.run, name="cairn-engine", daemon=True
        )
        self._engine_thread.start()

    def close(self) -> None:
        if self.engine is not None:
            self.engine.stop()
        if self._engine_thread is not None:
            self._engine_thread.join(timeout=10)
        if self._executor is not None:
            self._executor.close()
        for workspace in self.workspaces.values():
            with contextlib.suppress(Exception):
                workspace.close()
        self.store.close()
