"""SQLite under real processes: concurrent writers and writers killed with SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cairn.store import JobStatus, NewJob, Store, make_engine, open_store, sqlite_url
from cairn.store.models import JobEventRow, MetricRow

WORKER = Path(__file__).with_name("store_worker.py")
PROCESSES = 4
TRANSITIONS_EACH = 300  # four per job: Preparing, Running, Finalizing, Completed


def _worker(*args: str, pipes: bool = False) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    stream = subprocess.PIPE if pipes else None
    command = [sys.executable, str(WORKER), *args]
    return subprocess.Popen(command, env=env, text=True, stdin=stream, stdout=stream)


@pytest.fixture
def sqlite_store(tmp_path: Path, sqlite_template: Path) -> Store:
    path = tmp_path / "cairn.db"
    path.write_bytes(sqlite_template.read_bytes())
    return open_store(sqlite_url(path), migrate=False)


@pytest.mark.slow
def test_four_processes_write_transitions_without_locks_or_losses(
    tmp_path: Path, sqlite_store: Store
) -> None:
    store = sqlite_store
    per_process = TRANSITIONS_EACH // 4
    job_lists = [
        [
            store.jobs.create(
                "default", NewJob(type="command", status=JobStatus.QUEUED), actor="t"
            ).id
            for _ in range(per_process)
        ]
        for _ in range(PROCESSES)
    ]
    (tmp_path / "jobs.json").write_text(json.dumps(job_lists))
    (tmp_path / "results").mkdir()
    url = sqlite_url(tmp_path / "cairn.db")
    began = time.perf_counter()
    worker = _worker("concurrent", url, str(tmp_path / "jobs.json"), str(tmp_path / "results"))
    assert worker.wait(timeout=120) == 0
    elapsed = time.perf_counter() - began
    results = [json.loads(p.read_text()) for p in sorted((tmp_path / "results").iterdir())]
    assert len(results) == PROCESSES
    assert [r["locked"] for r in results] == [0] * PROCESSES
    assert [r["other"] for r in results] == [[]] * PROCESSES
    assert [r["done"] for r in results] == [TRANSITIONS_EACH] * PROCESSES
    all_ids = [job_id for ids in job_lists for job_id in ids]
    with store.database.read() as session:
        query = select(func.count()).where(JobEventRow.job_id.in_(all_ids))
        written = session.scalar(query)
    assert written == PROCESSES * TRANSITIONS_EACH + len(all_ids)  # + each job's Queued event
    assert {store.jobs.get(job_id).status for job_id in all_ids} == {JobStatus.COMPLETED}
    print(f"{PROCESSES}x{TRANSITIONS_EACH} transitions in {elapsed:.2f} s "
          f"({PROCESSES * TRANSITIONS_EACH / elapsed:.0f}/s)")  # fmt: skip
    store.close()


@pytest.mark.slow
def test_sigkill_mid_transaction_loses_no_acknowledged_write(
    tmp_path: Path, sqlite_store: Store
) -> None:
    sqlite_store.close()
    url = sqlite_url(tmp_path / "cairn.db")
    side = tmp_path / "acknowledged.txt"
    zygote = _worker("crash", url, str(side), pipes=True)
    assert zygote.stdin is not None and zygote.stdout is not None
    rng = random.Random(20)
    mid_call = 0
    try:
        for _ in range(20):
            zygote.stdin.write("spawn\n")
            zygote.stdin.flush()
            pid = int(zygote.stdout.readline())
            _wait_for_line(side, f"warm {pid}")
            time.sleep(rng.uniform(0.0, 0.1))
            os.kill(pid, signal.SIGKILL)
            assert zygote.stdout.readline().startswith("reaped")
            lines = side.read_text().splitlines()
            mid_call += bool(lines) and lines[-1] == "begin"
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=30)
        zygote.stdout.close()

    acknowledged = [
        line.split()
        for line in side.read_text().splitlines()
        if line.startswith(("event", "metrics"))
    ]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            events = {
                (j, s) for j, s in conn.execute(select(JobEventRow.job_id, JobEventRow.status))
            }
            metric_rows = conn.execute(select(MetricRow.job_id, MetricRow.step))
            metrics = {(job, step) for job, step in metric_rows}
    finally:
        engine.dispose()
    lost = []
    for kind, job, *rest in acknowledged:
        if kind == "event" and (int(job), rest[0]) not in events:
            lost.append((kind, job, *rest))
        if kind == "metrics":
            first, count = int(rest[0]), int(rest[1])
            if not all((int(job), first + i) in metrics for i in range(count)):
                lost.append((kind, job, *rest))
    assert len(acknowledged) > 100
    assert lost == []
    print(f"{len(acknowledged)} acknowledged writes; {mid_call}/20 kills landed inside a call")
    assert mid_call >= 5  # the kills really did interrupt transactions


def _wait_for_line(path: Path, wanted: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and wanted in path.read_text().splitlines():
            return
        time.sleep(0.005)
    raise AssertionError(f"{wanted!r} never appeared in {path}")
