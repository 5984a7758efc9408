"""Benchmark: what the local executor and the step launcher add to every step.

For each workload, N steps run one after another, several rounds:

- floor: the command started directly with `subprocess.run` (the cost of the process itself);
- executor: the same command as a step through `LocalExecutor` — `launch`, wait for the `ended`
  event, `poll` the record — with its output declared, hashed and committed;
- executor without the step host (a fresh `python -m cairn.launcher` per step), for contrast.

Workloads: `python` writes a small output file with the current interpreter
(`python -c "open(out, 'w').write('x')"`); `noop` is `true` with no outputs, which isolates the
per-step overhead from interpreter start-up.

Two measures, both medians over the rounds: wall time per step (what a chain of steps waits), and
CPU time per step (all processes: the step host and the commands it starts, and this
process's executor threads, against the CPU of the command run directly). Wall time on a shared
machine includes waiting for a CPU, so the load average is printed with it; CPU time does not
depend on load. Prints a table, the launcher's phase times, and one JSON line.
Target: overhead well under 10 ms per step.
Usage: .venv/bin/python bench/launch_overhead.py [--steps 20] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cairn.executors.local import LocalExecutor
from cairn.launcher.protocol import LaunchSpec, OutputSpec, StepRecord

TARGET_OVERHEAD_MS = 10.0
WRITE = "import sys; open(sys.argv[1], 'w').write('x')"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)  # seconds per step, one per round
    cpu: list[float] = field(default_factory=list)
    phases: dict[str, list[float]] = field(default_factory=dict)

    def phase(self, name: str, seconds: float) -> None:
        self.phases.setdefault(name, []).append(seconds)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of a process and of its reaped children (its launchers, which the kernel
    reaps for it, count there too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / TICKS


def floor_round(root: Path, workload: str, steps: int, samples: Samples) -> None:
    cpu, start = children_cpu(), time.perf_counter()
    for i in range(steps):
        if workload == "python":
            subprocess.run([sys.executable, "-c", WRITE, str(root / f"floor-{i}.txt")], check=True)
        else:
            subprocess.run(["true"], check=True)
    samples.wall.append((time.perf_counter() - start) / steps)
    samples.cpu.append((children_cpu() - cpu) / steps)


def step_spec(executor: LocalExecutor, root: Path, name: str, workload: str) -> LaunchSpec:
    workdir = root / "steps" / name
    workdir.mkdir(parents=True)
    if workload == "python":
        command = "python -c " + json.dumps(WRITE) + " ${{outputs.out}}"
        outputs = [OutputSpec("out", "uri_file", "rw_mount", str(root / "data" / name), name)]
    else:
        command, outputs = "true", []
    spec = LaunchSpec(
        job_name=name,
        step_id=name,
        workdir=str(workdir),
        command=command,
        outputs=outputs,
        python_bin=str(Path(sys.executable).parent),
    )
    spec = executor.with_notify(spec)
    spec.write()  # the engine's work, outside the measured time
    return spec


def run_one(executor: LocalExecutor, spec: LaunchSpec, samples: Samples) -> None:
    wall_start = time.time()
    start = time.perf_counter()
    executor.launch(spec)
    launched = time.perf_counter()
    while True:
        event = executor.events.get(timeout=60)
        if event.workdir == spec.workdir and event.event == "ended":
            break
    received = time.time()
    record = executor.poll(Path(spec.workdir))
    assert isinstance(record, StepRecord) and record.status == "Completed", record
    t = record.times
    samples.phase("launch()", launched - start)
    samples.phase("to preparing", t["preparing"] - wall_start)
    samples.phase("preparing", t["running"] - t["preparing"])
    samples.phase("running", t["finalizing"] - t["running"])
    samples.phase("finalizing", t["ended"] - t["finalizing"])
    samples.phase("record+event", received - t["ended"])


def executor_round(
    executor: LocalExecutor, root: Path, tag: str, workload: str, steps: int, samples: Samples
) -> None:
    specs = [step_spec(executor, root, f"{tag}-{i}", workload) for i in range(steps)]
    host = executor._host.process.pid if executor._host is not None else None
    cpu = self_cpu() + (process_tree_cpu(host) if host else 0.0)
    start = time.perf_counter()
    for spec in specs:
        run_one(executor, spec, samples)
    samples.wall.append((time.perf_counter() - start) / steps)
    if host:
        time.sleep(0.2)  # let the last launcher exit and be reaped, so its CPU is counted
        samples.cpu.append((self_cpu() + process_tree_cpu(host) - cpu) / steps)


def measure(root: Path, workload: str, steps: int, rounds: int, host: bool) -> dict[str, object]:
    executor = LocalExecutor(root / "run" / f"{workload}-{host}.sock", host=host)
    floor, through = Samples(), Samples()
    try:
        executor_round(executor, root, f"warm-{workload}-{host}", workload, 2, Samples())
        for r in range(rounds):
            floor_round(root, workload, steps, floor)
            executor_round(executor, root, f"{workload}-{host}-{r}", workload, steps, through)
    finally:
        executor.close()
    floor_ms, step_ms = ms(floor.wall), ms(through.wall)
    assert floor_ms is not None and step_ms is not None
    floor_cpu, step_cpu = ms(floor.cpu), ms(through.cpu)
    return {
        "workload": workload,
        "step_host": host,
        "floor_ms": floor_ms,
        "step_ms": step_ms,
        "overhead_ms": round(step_ms - floor_ms, 2),
        "ratio": round(step_ms / floor_ms, 3),
        "floor_cpu_ms": floor_cpu,
        "step_cpu_ms": step_cpu,
        "cpu_overhead_ms": round(step_cpu - floor_cpu, 2) if step_cpu and floor_cpu else None,
        "phases_ms": {name: ms(values) for name, values in through.phases.items()},
    }


def ms(values: list[float]) -> float | None:
    """The median in milliseconds, or None when nothing was measured."""
    return round(statistics.median(values) * 1000, 2) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    # A short folder: Unix socket paths are limited to 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="cairn-launch-", dir="/tmp"))
    load_before = os.getloadavg()[0]
    try:
        results = [
            measure(root, "python", args.steps, args.rounds, host=True),
            measure(root, "noop", args.steps, args.rounds, host=True),
            measure(root, "python", args.steps, max(1, args.rounds // 2), host=False),
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    load = max(load_before, os.getloadavg()[0])
    print(
        f"median per step over {args.rounds} rounds of {args.steps} steps; {os.cpu_count()} CPUs,"
    )
    print(f"load average {load:.2f}")
    print(
        f"{'workload':<8} {'host':<6} {'floor':>7} {'step':>7} {'overhead':>8} {'ratio':>6}"
        f" | {'cpu floor':>9} {'cpu step':>8} {'cpu over':>8}   (ms)"
    )
    for r in results:
        cpu = [r["floor_cpu_ms"], r["step_cpu_ms"], r["cpu_overhead_ms"]]
        shown = [f"{v:>9.2f}" if isinstance(v, float) else f"{'-':>9}" for v in cpu]
        print(
            f"{r['workload']:<8} {'yes' if r['step_host'] else 'no':<6} "
            f"{r['floor_ms']:>7.2f} {r['step_ms']:>7.2f} {r['overhead_ms']:>8.2f} "
            f"{r['ratio']:>6.2f} | {' '.join(shown)}"
        )
    print("phases, median ms: launch() call; launch -> preparing; preparing; running; finalizing;")
    print("  ended -> event received (record written, event sent and read)")
    for r in results:
        phases = r["phases_ms"]
        assert isinstance(phases, dict)
        print(f"  {r['workload']:<8} {'yes' if r['step_host'] else 'no':<6} {phases}")
    print(
        json.dumps(
            {
                "bench": "launch_overhead",
                "steps": args.steps,
                "rounds": args.rounds,
                "cpus": os.cpu_count(),
                "load_average": round(load, 2),
                "target_overhead_ms": TARGET_OVERHEAD_MS,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
