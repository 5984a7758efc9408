"""The kill loop, 10 rounds: an engine process killed (SIGKILL) at a random moment of a 20-step
job and restarted, then every recovery promise checked (see `tests/engine/kill_loop.py`;
`bench/kill_loop.py` runs more rounds and prints a table)."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import pytest

from tests.engine.engines import EnginePool
from tests.engine.kill_loop import run_kill_loop

ROUNDS = 10


@pytest.mark.slow  # about 30 s: ten jobs of twenty steps, eleven engine processes
def test_ten_kills_at_random_moments_break_no_promise(engine_pool: EnginePool) -> None:
    with tempfile.TemporaryDirectory(prefix="cairn-kill-", dir="/tmp") as folder:
        rounds = run_kill_loop(Path(folder), ROUNDS, engine_pool, seed=20261126)
    assert len(rounds) == ROUNDS
    findings = {r.index: r.violations for r in rounds if r.violations}
    assert findings == {}
    # The kills landed in different phases of the job: some before any step ended, some with
    # steps still waiting, some after the end.
    seen = Counter(status for r in rounds for status in r.statuses_at_kill)
    assert seen["Completed"] >= 2 and seen["NotStarted"] + seen["Queued"] >= 2
