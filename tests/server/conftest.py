"""A real Cairn server process on loopback, for the API tests of one module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from cairn.client.local import start_server, stop_server
from cairn.home import Home
from cairn.server.run import read_token

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclass(frozen=True)
class Served:
    home: Home
    url: str
    token: str
    pid: int
    host: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = Home(tmp_path_factory.mktemp("server") / "home")
    info = start_server(home)
    token = read_token(home)
    assert token is not None
    try:
        yield Served(home, str(info["url"]), token, int(info["pid"]), str(info["host"]))
    finally:
        stop_server(home)
