"""What a server is configured with. Built by the caller (CLI, tests); no import-time globals."""

from __future__ import annotations

from dataclasses import dataclass, field

from cairn.engine.loop import EngineConfig
from cairn.home import Home


@dataclass(frozen=True)
class ServerSettings:
    home: Home
    token: str
    """Every API call must carry `Authorization: Bearer <token>`, also on loopback."""
    database_url: str | None = None
    """None: the home's SQLite file."""
    workspace: str = "default"
    run_engine: bool = True
    engine: EngineConfig = field(default_factory=EngineConfig)
    public_url: str = ""
    """The server's own address as clients reach it (for `services.Studio.endpoint`)."""
