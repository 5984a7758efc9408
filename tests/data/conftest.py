"""Fixtures for the data layer: a stat cache, and a real Azurite blob emulator on loopback.

Azurite is installed into ./.tools by `./dev test` (`ensure_node_tools`). When it is missing the
tests that need it fail with a message saying how to install it — they never skip silently.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cairn.data.datastore_config import parse_datastore
from cairn.data.datastores import open_datastore
from cairn.data.stat_cache import StatCache

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cairn.data.datastore_config import AzureBlobDatastoreConfig
    from cairn.data.datastores import Datastore

REPO = Path(__file__).resolve().parents[2]
AZURITE_BIN = REPO / ".tools" / "node_modules" / ".bin" / "azurite-blob"
# Azurite's documented development account; public by design.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


@dataclass(frozen=True)
class Azurite:
    port: int

    @property
    def account_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _require_azurite() -> None:
    if shutil.which("node") is None:
        pytest.fail(
            "the Azure Blob tests need Node.js (20 or newer) on PATH to run the Azurite "
            "emulator; install Node.js and npm, then run ./dev test",
            pytrace=False,
        )
    if not AZURITE_BIN.exists():
        pytest.fail(
            f"Azurite is not installed at {AZURITE_BIN}; run ./dev test (it installs it with "
            "npm) or: npm install --prefix .tools azurite@3.37.0",
            pytrace=False,
        )


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Azurite exited early:\n{log.read_text()}", pytrace=False)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"Azurite did not listen within 30 s:\n{log.read_text()}", pytrace=False)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    _require_azurite()
    port = _free_port()
    workdir = tmp_path_factory.mktemp("azurite")
    log = workdir / "azurite.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(AZURITE_BIN),
                "--silent",
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(port),
            ],
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_listening(port, proc, log)
        yield Azurite(port)
    finally:
        proc.terminate()
        try:
            # Azurite waits for idle keep-alive connections on a graceful stop; its data is in
            # memory and thrown away anyway, so a short grace period is enough.
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def blob_config(azurite: Azurite, container: str, **credentials: str) -> AzureBlobDatastoreConfig:
    config = parse_datastore(
        {
            "type": "azure_blob",
            "name": "blobstore",
            "account_name": AZURITE_ACCOUNT,
            "container_name": container,
            "account_url": azurite.account_url,
            "credentials": credentials or {"account_key": AZURITE_KEY},
        }
    )
    assert config.type == "azure_blob"
    return config


@pytest.fixture
def container(azurite: Azurite) -> str:
    """A new, empty container in the emulator."""
    from azure.storage.blob import BlobServiceClient

    name = f"t{uuid.uuid4().hex[:20]}"
    conn = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint={azurite.account_url};"
    )
    with BlobServiceClient.from_connection_string(conn) as client:
        client.create_container(name)
    return name


@pytest.fixture
def blob_store(azurite: Azurite, container: str) -> Datastore:
    return open_datastore(blob_config(azurite, container))


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[StatCache]:
    with StatCache(tmp_path / "hash-cache") as handle:
        yield handle
