"""The Cairn home: one folder (`CAIRN_HOME`, default `~/.cairn`) that holds a whole installation.

Pointing `CAIRN_HOME` elsewhere gives a fully separate installation (tests and scripts rely on
this). This module only computes paths; it creates folders on request and reads nothing else.

    cairn.db                      the metadata store (SQLite, unless a database URL is configured)
    secret.key                    the key that encrypts datastore credentials (0600)
    cache/                        stat cache, downloads of remote data
    envs/                         built environments
    run/                          the local server's port, pid and token files, executor sockets
    logs/                         the local server's log
    blobs/                        files clients uploaded (job and asset documents, code), by hash
    staging/<hash>/               an upload laid out as the client had it, read by the server
    workspaces/<name>/
        datastores/<datastore>/   workspaceblobstore and workspaceartifactstore
        snapshots/<hash>/         code snapshots, stored once by content
        runs/<step job>/<n>/      the launcher's work folder of attempt n of a step
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "CAIRN_HOME"
TOKEN_ENV = "CAIRN_TOKEN"  # noqa: S105 - the name of a variable: a server's token for the CLI
SECRET_KEY_ENV = "CAIRN_SECRET_KEY"  # noqa: S105 - a variable name: the datastore-credential key


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Home:
        env = os.environ if environ is None else environ
        raw = env.get(HOME_ENV) or str(Path("~/.cairn").expanduser())
        return cls(Path(raw).expanduser().resolve())

    def ensure(self) -> Home:
        for folder in (self.root, self.cache, self.run, self.logs, self.envs):
            folder.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        return self

    @property
    def database(self) -> Path:
        return self.root / "cairn.db"

    @property
    def secret_key(self) -> Path:
        return self.root / "secret.key"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def envs(self) -> Path:
        return self.root / "envs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def workspace(self, name: str) -> Path:
        return self.root / "workspaces" / name

    def snapshots(self, workspace: str) -> Path:
        return self.workspace(workspace) / "snapshots"

    def runs(self, workspace: str) -> Path:
        return self.workspace(workspace) / "runs"

    def step_workdir(self, workspace: str, step_job: str, attempt: int) -> Path:
        return self.runs(workspace) / step_job / str(attempt)
