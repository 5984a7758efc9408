"""Fixtures for the engine tests that run real pipelines."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.engines import EnginePool
from tests.engine.rig import Rig, wait_until_gone


@pytest.fixture(scope="session")
def engine_pool() -> Iterator[EnginePool]:
    """Starts engine processes warm (see `engines.py`), for every test that needs them."""
    pool = EnginePool(standby=True)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def rig() -> Iterator[Rig]:
    """A Cairn home with its store; the test creates computes, then calls `rig.start()`.

    The folder is under /tmp: the executor's Unix socket path must stay short. When the test
    ends, no process of any of its steps may be left running."""
    with tempfile.TemporaryDirectory(prefix="cairn-eng-", dir="/tmp") as folder:
        test_rig = Rig(Path(folder))
        try:
            yield test_rig
        finally:
            test_rig.close()
        left = wait_until_gone(test_rig.home.root, timeout=5.0)
        assert left == [], f"step processes outlived the test: {left}"
