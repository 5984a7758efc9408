"""Writer processes for the SQLite concurrency and crash tests (run as a script, not collected).

The script imports the store once and then forks its writers, so each writer starts in
milliseconds instead of paying the import again (about 1.5 s on a small CI machine). Forking is
safe here: this process is single-threaded and opens no database connection before it forks.

    store_worker.py concurrent URL JOBS_FILE RESULT_DIR   fork one writer per job list in
                                                          JOBS_FILE; release them together
    store_worker.py crash URL SIDE_FILE                   on each "spawn" line from stdin, fork a
                                                          writer, print its pid, print "reaped"
                                                          once it is gone
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import OperationalError

from cairn.store import JobStatus, MetricPoint, NewJob, Store, open_store

PATH = [JobStatus.PREPARING, JobStatus.RUNNING, JobStatus.FINALIZING, JobStatus.COMPLETED]


def concurrent(url: str, jobs_file: str, result_dir: str) -> int:
    job_lists: list[list[int]] = json.loads(Path(jobs_file).read_text())
    store = open_store(url, migrate=False)
    warm_up = store.jobs.create(
        "default", NewJob(type="command", status=JobStatus.QUEUED), actor="w"
    )
    for status in PATH:  # compiles every statement once, before the fork
        store.jobs.transition(warm_up.id, status, actor="warm-up")
    store.close()  # no connection crosses the fork; the compiled statements do
    gate_read, gate_write = os.pipe()
    pids = []
    for index, job_ids in enumerate(job_lists):
        pid = os.fork()
        if pid == 0:
            os.close(gate_write)
            os._exit(_transition_all(store, job_ids, gate_read, Path(result_dir) / f"{index}.json"))
        pids.append(pid)
    os.close(gate_read)
    os.close(gate_write)  # every writer's read() returns at once: they start together
    failed = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        failed += os.waitstatus_to_exitcode(status) != 0
    return 1 if failed else 0


def _transition_all(store: Store, job_ids: list[int], gate: int, result: Path) -> int:
    os.read(gate, 1)
    done, locked, other = 0, 0, []
    for job_id in job_ids:
        for status in PATH:
            try:
                store.jobs.transition(job_id, status, actor=f"writer-{os.getpid()}")
                done += 1
            except OperationalError as exc:
                if "database is locked" in str(exc):
                    locked += 1
                else:
                    other.append(str(exc))
    result.write_text(json.dumps({"done": done, "locked": locked, "other": other}))
    store.close()
    return 0


def crash(url: str, side_file: str) -> int:
    store = open_store(url, migrate=False)
    _cycle(store, "warm-up", lambda text: None)  # compiles every statement once, here
    store.close()  # no connection crosses the fork; the compiled statements do
    for line in sys.stdin:
        if line.strip() != "spawn":
            break
        pid = os.fork()
        if pid == 0:
            _write_forever(store, side_file)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"reaped {status}", flush=True)
    return 0


def _write_forever(store: Store, side_file: str) -> None:
    """Create jobs, walk them to Completed and log metrics until killed.

    A line goes to the side file only after the store call has returned, i.e. after COMMIT:
    everything in the side file was acknowledged. `begin` marks the start of a call, so the test
    can tell how often the kill landed inside one; `warm` says the first cycle is done.
    """
    side = os.open(side_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def note(text: str) -> None:
        os.write(side, f"{text}\n".encode())

    actor = f"writer-{os.getpid()}"
    _cycle(store, actor, note)
    note(f"warm {os.getpid()}")
    while True:
        _cycle(store, actor, note)


def _cycle(store: Store, actor: str, note: Callable[[str], None]) -> None:
    note("begin")
    job = store.jobs.create("default", NewJob(type="command", status=JobStatus.QUEUED), actor=actor)
    note(f"event {job.id} {job.status}")
    for step, status in enumerate(PATH):
        note("begin")
        points = [MetricPoint("loss", 1.0 / (i + 1), step * 50 + i) for i in range(50)]
        store.metrics.log(job.id, points, actor=actor)
        note(f"metrics {job.id} {step * 50} 50")
        note("begin")
        store.jobs.transition(job.id, status, actor=actor)
        note(f"event {job.id} {status}")


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    sys.exit(concurrent(*args) if mode == "concurrent" else crash(*args))
