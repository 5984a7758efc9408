"""Who may call the API: every route declares a permission, nothing answers without the token,
the token file is the owner's alone, and a local server listens on loopback only."""

from __future__ import annotations

import re
import socket
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi.routing import APIRoute

from cairn.home import Home
from cairn.server.app import API, create_app
from cairn.server.auth import CHECKS
from cairn.server.run import ensure_token
from cairn.server.settings import ServerSettings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI
    from fastapi.dependencies.models import Dependant

    from .conftest import Served

SAMPLE = {
    "name": "default",
    "kind": "components",
    "job_name": "some_job",
    "asset_name": "some_asset",
    "compute_name": "some_compute",
    "datastore_name": "some_store",
    "content_hash": "blake3:" + "0" * 64,
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    home = Home(tmp_path_factory.mktemp("routes")).ensure()
    built = create_app(ServerSettings(home=home, token=ensure_token(home), run_engine=False))
    yield built
    built.state.cairn.close()


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every API route; routers included with a prefix are walked too
    (this FastAPI keeps them as included-router entries of `app.routes`)."""
    found: list[tuple[str, APIRoute]] = []
    for entry in app.routes:
        contexts = getattr(entry, "effective_route_contexts", None)
        pairs = (
            [(c.path, c.original_route) for c in contexts()]
            if contexts
            else [(getattr(entry, "path", ""), entry)]
        )
        found += [(path, r) for path, r in pairs if isinstance(r, APIRoute)]
    routes = [(path, r) for path, r in found if path.startswith(API)]
    assert len(routes) >= 25
    return routes


def calls_in(dependant: Dependant) -> set[Any]:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= calls_in(sub)
    return found


def test_every_route_declares_a_permission(app: FastAPI) -> None:
    checks = set(CHECKS.values())
    missing = [
        f"{sorted(route.methods)} {path}"
        for path, route in api_routes(app)
        if not calls_in(route.dependant) & checks
    ]
    assert not missing, f"routes without `require(Permission.…)`: {missing}"


def test_nothing_answers_without_the_token(app: FastAPI, served: Served) -> None:
    routes = api_routes(app)
    with httpx.Client(base_url=served.url, timeout=10) as http:
        for template, route in routes:
            path = re.sub(r"{(\w+)}", lambda m: SAMPLE[m.group(1)], template)
            for method in route.methods:
                for headers in (
                    {},
                    {"Authorization": "Bearer wrong"},
                    {"Authorization": "Basic x"},
                ):
                    answer = http.request(method, path, headers=headers, content=b"{not json")
                    assert answer.status_code == 401, f"{method} {path} {headers}"
                    assert answer.json()["code"] == "unauthenticated"
                    assert "detail" not in answer.json() and set(answer.json()) == {
                        "code",
                        "message",
                        "details",
                    }
        # With the token, the same server answers (the 401s were not an outage).
        ok = http.get(f"{API}/health", headers={"Authorization": f"Bearer {served.token}"})
        assert ok.status_code == 200 and ok.json()["pid"] == served.pid


def test_the_token_file_is_the_owners_alone(served: Served) -> None:
    token = served.home.run / "token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert token.read_text().strip() == served.token and len(served.token) >= 32
    assert stat.S_IMODE(served.home.root.stat().st_mode) == 0o700


def test_the_server_listens_on_loopback_only(served: Served) -> None:
    assert served.host == "127.0.0.1"
    port = int(served.url.rsplit(":", 1)[1])
    listening = [
        line.split()[1]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port
    ]
    assert listening == [f"0100007F:{port:04X}"]
    outward = _outward_address()
    if outward is not None:
        with pytest.raises(OSError), socket.create_connection((outward, port), timeout=2):
            pass


def _outward_address() -> str | None:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else str(address)
