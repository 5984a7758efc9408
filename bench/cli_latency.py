"""How fast the `cairn` command answers: wall time of whole CLI processes, median of several runs.

Run: .venv/bin/python bench/cli_latency.py [--runs N] [--jobs 100000] [--steps 1000]
Prints a table and one JSON line. Targets (this 2-core machine):
  `cairn --help` ≤ 300 ms; `cairn job list` with 100,000 jobs in the store ≤ 500 ms;
  `cairn job show` of a 1,000-step pipeline ≤ 500 ms (both against a warm local server).

The 100,000 jobs are written straight into the home's database before the server starts (batch
inserts, seconds); the 1,000-step pipeline is really submitted, on a compute of one slot, and
shown while its steps queue. For the two server-bound commands the table also gives the server's
share: the same request from an already-connected client in this process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CAIRN = str(Path(sys.executable).parent / "cairn")
ENV = "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest"
TARGETS_MS = {
    "cairn --help": 300,
    "cairn job list (100k jobs)": 500,
    "cairn job show (1k steps)": 500,
}

PIPELINE = """\
type: pipeline
compute: local
jobs:
  a:
    command: echo ${{inputs.x}} > ${{outputs.o}}/x
    environment: azureml:env:1
    inputs: {x: 1}
    outputs: {o: {type: uri_folder}}
  b:
    command: cat ${{inputs.x}}/x
    environment: azureml:env:1
    inputs: {x: "${{parent.jobs.a.outputs.o}}"}
"""


def timed(
    args: list[str], runs: int, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """Median and best wall time, and median CPU time (user + system) of the command's process:
    the CPU figure barely moves when other work loads the machine; wall time does."""
    samples, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(args, capture_output=True, check=False, env=env)
        samples.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {done.stderr.decode()[-2000:]}")
    return statistics.median(samples), min(samples), statistics.median(cpu)


def timed_call(call: Any, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def fill_store(home: Path, count: int) -> None:
    """`count` finished top-level jobs in the default workspace, inserted in batches."""
    from sqlalchemy import insert, select

    from cairn.home import Home
    from cairn.store import open_store, sqlite_url
    from cairn.store.models import JobEventRow, JobRow, WorkspaceRow

    store = open_store(sqlite_url(Home(home).ensure().database))
    store.workspaces.get("default")
    engine = store.database.engine
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        workspace = conn.execute(select(WorkspaceRow.id).where(WorkspaceRow.name == "default"))
        ws = workspace.scalar_one()
        first = (conn.execute(select(JobRow.id).order_by(JobRow.id.desc())).scalar() or 0) + 1
        for offset in range(0, count, 10_000):
            ids = range(first + offset, first + min(offset + 10_000, count))
            at = [start + timedelta(seconds=i) for i in ids]
            conn.execute(
                insert(JobRow),
                [
                    {
                        "id": i,
                        "workspace_id": ws,
                        "name": f"bench_job_{i:07d}",
                        "parent_id": None,
                        "node_name": None,
                        "node_path": None,
                        "type": "command",
                        "status": "Completed",
                        "status_at": t,
                        "display_name": f"bench {i}",
                        "experiment_name": "bench",
                        "description": None,
                        "properties": {},
                        "compute": "local",
                        "created_by": "bench",
                        "created_at": t,
                        "source": {},
                        "plan": None,
                        "reuse_key": None,
                        "reuse_key_parts": None,
                        "reused_from_id": None,
                        "lease_owner": None,
                        "lease_expires_at": None,
                        "heartbeat_at": None,
                        "archived": False,
                    }
                    for i, t in zip(ids, at, strict=True)
                ],
            )
            conn.execute(
                insert(JobEventRow),
                [
                    {"job_id": i, "status": s, "at": t, "reason": None, "detail": None}
                    for i, t in zip(ids, at, strict=True)
                    for s in ("Queued", "Completed")
                ],
            )
    store.close()


def wide_pipeline(folder: Path, steps: int) -> Path:
    lines = ["type: pipeline", "settings:", "  default_compute: azureml:one-slot", "jobs:"]
    for i in range(steps):
        lines += [
            f"  s{i:04d}:",
            "    type: command",
            f"    command: sleep 600 && echo s{i:04d}",
            f"    environment: {ENV}",
        ]
    path = folder / f"wide-{steps}.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_cli(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([CAIRN, *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"cairn {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    results: dict[str, tuple[float, float, float]] = {}
    server_ms: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pipeline = folder / "p.yml"
        pipeline.write_text(PIPELINE)
        home = folder / "home"
        env = {**os.environ, "CAIRN_HOME": str(home)}
        cases = {
            "python -c pass (floor)": [sys.executable, "-c", "pass"],
            "cairn --help": [CAIRN, "--help"],
            "cairn --version": [CAIRN, "--version"],
            "cairn job validate (2 steps)": [CAIRN, "job", "validate", "-f", str(pipeline)],
        }
        results.update({name: timed(cmd, args.runs) for name, cmd in cases.items()})

        started = time.perf_counter()
        fill_store(home, args.jobs)
        print(f"# inserted {args.jobs:,} jobs in {time.perf_counter() - started:.1f} s")
        from cairn.client.local import connect, stop_server
        from cairn.home import Home

        os.environ["CAIRN_HOME"] = str(home)
        api = connect()
        try:
            run_cli(
                [
                    "compute",
                    "create",
                    "-n",
                    "one-slot",
                    "--type",
                    "amlcompute",
                    "--max-instances",
                    "1",
                    "-o",
                    "none",
                ],
                env,
            )
            started = time.perf_counter()
            wide = run_cli(
                [
                    "job",
                    "create",
                    "-f",
                    str(wide_pipeline(folder, args.steps)),
                    "--query",
                    "name",
                    "-o",
                    "tsv",
                ],
                env,
            ).strip()
            print(f"# submitted {args.steps} steps in {time.perf_counter() - started:.1f} s")
            label = f"cairn job list ({args.jobs // 1000}k jobs)"
            results[label] = timed([CAIRN, "job", "list"], args.runs, env)
            server_ms[label] = timed_call(lambda: api.list_jobs(max_results=50), args.runs)
            label = f"cairn job show ({args.steps // 1000}k steps)"
            results[label] = timed([CAIRN, "job", "show", "-n", wide], args.runs, env)
            server_ms[label] = timed_call(lambda: api.show_job(wide), args.runs)
            shown = api.show_job(wide)
            assert len(shown["jobs"]) == args.steps, len(shown["jobs"])
            run_cli(["job", "cancel", "-n", wide, "-o", "none"], env)
            api.wait_job(wide, timeout=60)  # its running step is stopped before the server
        finally:
            api.close()
            stop_server(Home.from_env())
    report(results, server_ms)


def report(results: dict[str, tuple[float, float, float]], server_ms: dict[str, float]) -> None:
    width = max(len(n) for n in results)
    print(f"{'command':<{width}}  median ms  min ms  cpu ms  server ms  target ms")
    for name, (median, best, cpu) in results.items():
        server = f"{server_ms[name] * 1000:9.0f}" if name in server_ms else " " * 9
        target = TARGETS_MS.get(name)
        missed = target is not None and median * 1000 > target
        mark = "" if target is None else f"  {target:>9}" + (" MISSED" if missed else "")
        print(
            f"{name:<{width}}  {median * 1000:9.0f}  {best * 1000:6.0f}  {cpu * 1000:6.0f}"
            f"  {server}{mark}"
        )
    print(
        json.dumps(
            {
                "median_ms": {name: round(m * 1000, 1) for name, (m, _, _) in results.items()},
                "min_ms": {name: round(b * 1000, 1) for name, (_, b, _) in results.items()},
                "cpu_ms": {name: round(c * 1000, 1) for name, (_, _, c) in results.items()},
                "server_ms": {name: round(s * 1000, 1) for name, s in server_ms.items()},
                "targets_ms": TARGETS_MS,
                "load_avg_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
