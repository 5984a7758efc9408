"""One workspace opened for work: its store, home folders, datastores and secret box."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from cairn.data.datastore_config import datastore_from_record
from cairn.data.locations import DataCatalog
from cairn.data.secretbox import SecretBox
from cairn.data.stat_cache import StatCache
from cairn.store.facade import DEFAULT_WORKSPACE

if TYPE_CHECKING:
    from pathlib import Path

    from cairn.home import Home
    from cairn.store import Store

LOCAL_COMPUTES = ("local", "serverless")
"""Azure's special compute names; they run on the local executor without being created."""


@dataclass
class Workspace:
    home: Home
    store: Store
    name: str = DEFAULT_WORKSPACE
    actor: str = field(default_factory=lambda: os.environ.get("USER") or "local")

    @property
    def folder(self) -> Path:
        return self.home.workspace(self.name)

    @cached_property
    def box(self) -> SecretBox:
        return SecretBox.from_home(self.home.root)

    @cached_property
    def stat_cache(self) -> StatCache:
        self.home.cache.mkdir(parents=True, exist_ok=True)
        return StatCache(self.home.cache)

    def catalog(self) -> DataCatalog:
        """The workspace's datastores as registered now (defaults first, then registered ones)."""
        from cairn.workspace.resources import datastore_record

        configs = [
            datastore_from_record(datastore_record(d), self.box)
            for d in self.store.datastores.list(self.name)
        ]
        return DataCatalog(self.folder, configs, cache=self.stat_cache)

    def close(self) -> None:
        if "stat_cache" in self.__dict__:
            with contextlib.suppress(Exception):
                self.stat_cache.close()
