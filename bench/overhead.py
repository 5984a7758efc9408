"""Whole-pipeline overhead: submission to completion with a warm server, against the process floor.

For each shape the same Python processes run (a) directly — in sequence for a chain, with
`xargs -P <slots>` for the parallel part of a fan — and (b) as a Cairn pipeline submitted to a
warm local server, timed from `create_job` to the job's terminal status. The two alternate, run
after run, so that a slow spell of a shared machine slows both; the table gives the median of
each. `cpu ratio` compares CPU time instead (all processes: for Cairn this client, the server,
the step host and the steps; for the floor the steps), which a busy machine moves less than
wall time.

    chain10   10 steps in a chain, each reading the previous step's small file and writing its own
    fan50     1 → 50 parallel → 1
    fan1000   1 → 1000 parallel → 1
    cached    chain10 again with every step reused (no `force_rerun`)

Targets on the 2-core reference machine: chain10 ≤ 1.5× floor, fan50 ≤ 1.3×, fan1000 ≤ 1.3×,
cached chain10 ≤ 0.2 s. Run: .venv/bin/python bench/overhead.py [--runs N] [--skip-1000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cairn.client import Client

STEP = """\
import sys, pathlib
out = pathlib.Path(sys.argv[-1]); out.mkdir(parents=True, exist_ok=True)
total = sum(int(pathlib.Path(p, "n.txt").read_text()) for p in sys.argv[1:-1])
(out / "n.txt").write_text(str(total + 1))
"""

COMPONENT = """\
name: {name}
type: command
inputs:
{inputs}
outputs:
  out: {{type: uri_folder}}
code: ./src
environment: azureml:AzureML-sklearn-1.0@latest
command: python step.py {args} ${{{{outputs.out}}}}
"""


def component(folder: Path, name: str, n_inputs: int) -> None:
    inputs = "\n".join(f"  i{k}: {{type: uri_folder}}" for k in range(n_inputs)) or "  {}"
    if n_inputs == 0:
        inputs = "  {}"
    args = " ".join(f"${{{{inputs.i{k}}}}}" for k in range(n_inputs))
    text = COMPONENT.format(name=name, inputs=inputs, args=args)
    if n_inputs == 0:
        text = text.replace("inputs:\n  {}\n", "")
    (folder / f"{name}.yml").write_text(text)


def write_project(folder: Path) -> None:
    (folder / "src").mkdir(parents=True, exist_ok=True)
    (folder / "src" / "step.py").write_text(STEP)
    component(folder, "first", 0)
    component(folder, "one", 1)


def chain(folder: Path, n: int) -> Path:
    lines = ["type: pipeline", "compute: local", "jobs:", "  s0: {component: ./first.yml}"]
    for i in range(1, n):
        ref = f"${{{{parent.jobs.s{i - 1}.outputs.out}}}}"
        lines.append(f"  s{i}: {{component: ./one.yml, inputs: {{i0: '{ref}'}}}}")
    path = folder / f"chain{n}.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def fan(folder: Path, n: int) -> Path:
    component(folder, f"join{n}", n)
    lines = ["type: pipeline", "compute: local", "jobs:", "  start: {component: ./first.yml}"]
    ref = "${{parent.jobs.start.outputs.out}}"
    for i in range(n):
        lines.append(f"  w{i}: {{component: ./one.yml, inputs: {{i0: '{ref}'}}}}")
    lines.append(f"  end:\n    component: ./join{n}.yml\n    inputs:")
    lines.extend(f"      i{i}: ${{{{parent.jobs.w{i}.outputs.out}}}}" for i in range(n))
    path = folder / f"fan{n}.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def floor_chain(folder: Path, n: int) -> float:
    script = folder / "src" / "step.py"
    work = Path(tempfile.mkdtemp(dir=folder))
    start = time.perf_counter()
    previous: list[str] = []
    for i in range(n):
        out = work / f"s{i}"
        subprocess.run([sys.executable, str(script), *previous, str(out)], check=True)
        previous = [str(out)]
    return time.perf_counter() - start


def floor_fan(folder: Path, n: int, slots: int) -> float:
    script = folder / "src" / "step.py"
    work = Path(tempfile.mkdtemp(dir=folder))
    start = time.perf_counter()
    subprocess.run([sys.executable, str(script), str(work / "start")], check=True)
    names = "\n".join(f"w{i}" for i in range(n))
    subprocess.run(
        [
            "xargs",
            "-P",
            str(slots),
            "-I{}",
            sys.executable,
            str(script),
            str(work / "start"),
            str(work / "{}"),
        ],
        input=names.encode(),
        check=True,
    )
    subprocess.run(
        [sys.executable, str(script), *(str(work / f"w{i}") for i in range(n)), str(work / "end")],
        check=True,
    )
    return time.perf_counter() - start


TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int | None) -> float:
    """CPU seconds of process `pid` and of its children that it has reaped (0 when gone)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICKS


def own_cpu() -> float:
    """CPU seconds of this process and of its reaped children (the floor's steps, git)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def step_host(server: int) -> int | None:
    """The server's step host (a child of the server running `cairn.launcher.host`)."""
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit():
                continue
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == server and b"cairn.launcher.host" in (entry / "cmdline").read_bytes():
                return int(entry.name)
        except (OSError, ValueError, IndexError):
            continue
    return None


def measured(run: Callable[[], float], pids: Callable[[], list[int | None]]) -> tuple[float, float]:
    """Wall seconds of `run()` and the CPU seconds it cost this process and `pids()`."""
    before = own_cpu() + sum(tree_cpu(pid) for pid in pids())
    wall = run()
    return wall, own_cpu() + sum(tree_cpu(pid) for pid in pids()) - before


def cairn_run(api: Client, path: Path, *, force: bool) -> float:
    start = time.perf_counter()
    # As `cairn job create --stream` submits: the answer is the name, the record comes at the end.
    job = api.create_job(path, force_rerun=force, brief=True)
    result = api.wait_job(job["name"], timeout=600)
    elapsed = time.perf_counter() - start
    if result["status"] != "Completed":
        raise SystemExit(f"{path.name}: job {job['name']} ended {result['status']}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-1000", action="store_true")
    args = parser.parse_args()
    slots = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "project"
        folder.mkdir()
        os.environ["CAIRN_HOME"] = str(Path(temp) / "home")
        from cairn.client.local import connect, stop_server
        from cairn.home import Home
        from cairn.server.run import read_server_file

        write_project(folder)
        shapes = {"chain10": chain(folder, 10), "fan50": fan(folder, 50)}
        if not args.skip_1000:
            shapes["fan1000"] = fan(folder, 1000)
        api = connect()
        info = read_server_file(Home.from_env())
        assert info is not None, "the server said where it runs"
        server = int(info["pid"])

        def processes() -> list[int | None]:
            return [server, step_host(server)]

        try:
            cairn_run(api, shapes["chain10"], force=True)  # warm: server, snapshot, uploads
            rows = []
            for shape, path in shapes.items():
                runs = args.runs if shape != "fan1000" else max(1, args.runs // 2)
                n = int(shape.removeprefix("chain").removeprefix("fan"))
                floor_run = (
                    partial(floor_chain, folder, n)
                    if shape.startswith("chain")
                    else partial(floor_fan, folder, n, slots)
                )
                cairn_once = partial(cairn_run, api, path, force=True)
                floors: list[tuple[float, float]] = []
                cairns: list[tuple[float, float]] = []
                for _ in range(runs):  # alternated, so that a slow spell of the machine hits both
                    floors.append(measured(floor_run, list))
                    cairns.append(measured(cairn_once, processes))
                floor = statistics.median(f[0] for f in floors)
                cairn = statistics.median(c[0] for c in cairns)
                cpu = statistics.median(c[1] / f[1] for f, c in zip(floors, cairns, strict=True))
                steps = n if shape.startswith("chain") else n + 2
                rows.append((shape, steps, floor, cairn, (cairn - floor) / steps * 1000, cpu))
            # The forced runs are never offered for reuse (Azure's rule): one plain run first.
            cairn_run(api, shapes["chain10"], force=False)
            cached = statistics.median(
                cairn_run(api, shapes["chain10"], force=False) for _ in range(args.runs)
            )
        finally:
            api.close()
            stop_server(Home.from_env())
    print(
        f"{'shape':<9} {'steps':>5} {'floor s':>8} {'cairn s':>8} {'ratio':>6} {'ms/step':>8} "
        f"{'cpu ratio':>9}"
    )
    for shape, steps, floor, cairn, per_step, cpu in rows:
        print(
            f"{shape:<9} {steps:>5} {floor:8.3f} {cairn:8.3f} {cairn / floor:6.2f} "
            f"{per_step:8.1f} {cpu:9.2f}"
        )
    print(f"{'cached':<9} {10:>5} {'':>8} {cached:8.3f}")
    print(
        json.dumps(
            {
                "slots": slots,
                **{
                    shape: {
                        "floor_s": round(f, 3),
                        "cairn_s": round(c, 3),
                        "ratio": round(c / f, 2),
                        "cpu_ratio": round(cpu, 2),
                    }
                    for shape, _, f, c, _, cpu in rows
                },
                "cached_chain10_s": round(cached, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
