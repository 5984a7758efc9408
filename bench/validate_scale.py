"""How validation scales with the size of a pipeline: `validate_job_file` on pipelines of 100, 1,000
and 10,000 steps in three shapes, with components in their own files as users write them.

- chain:  s0 → s1 → … → sN-1, every step the same command component file;
- fanout: split → N-2 workers → join (the join component declares one input per worker);
- nested: a pipeline component of 10 steps, used 10 times by a pipeline component that the job
  uses N/100 times (two levels of pipeline components; N steps in all).

Timing is in-process with warm imports (one warm-up validation first): the median wall time of
several runs, and their median CPU time (process time), which other load on a shared machine
disturbs less. Memory is the tracemalloc peak of one more run, measured apart from the timed runs
because tracing slows Python down. A file over the 1 MiB default `LoadLimits.max_bytes` is
validated with the limit raised, and the table says so.

Run: .venv/bin/python bench/validate_scale.py [--runs N] [--sizes 100,1000] [--profile chain:1000]
Prints a table and one JSON line; `json s` is the time `report.to_dict()` and `json.dumps` add
(what `cairn job validate -o json` prints). Target (2-core machine): 1,000 steps in under 1 s,
and time growing about linearly with size.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from cairn.spec.validate import ValidationReport, validate_job_file
from cairn.spec.yaml_loader import LoadLimits

DEFAULT_LIMITS = LoadLimits()
SCHEMA = "https://azuremlschemas.azureedge.net/latest"

STEP = f"""\
$schema: {SCHEMA}/commandComponent.schema.json
name: step
version: "1"
type: command
inputs:
  data: {{type: uri_folder, optional: true}}
  n: {{type: integer, default: 1, min: 0}}
outputs:
  out: {{type: uri_folder}}
code: ../src
environment: azureml:AzureML-sklearn-1.0@latest
command: >-
  python step.py $[[--data ${{{{inputs.data}}}}]] --n ${{{{inputs.n}}}}
  --out ${{{{outputs.out}}}}
"""


def _step(name: str, component: str, data: str, extra: str = "") -> str:
    return (
        f"  {name}:\n"
        f"    type: command\n"
        f"    component: {component}\n"
        f"    inputs:\n"
        f"      data: ${{{{{data}}}}}\n"
        f"      n: {len(name)}\n"
        f"{extra}"
    )


def _job_header(title: str) -> str:
    return (
        f"$schema: {SCHEMA}/pipelineJob.schema.json\n"
        f"type: pipeline\n"
        f"display_name: {title}\n"
        f"settings:\n  default_compute: azureml:cpu-cluster\n"
        f"inputs:\n  raw: {{type: uri_folder, path: ./data}}\n"
        f"outputs:\n  final: {{type: uri_folder}}\n"
        f"jobs:\n"
    )


def write_chain(root: Path, size: int) -> Path:
    parts = [_job_header(f"chain-{size}")]
    for i in range(size):
        data = "parent.inputs.raw" if i == 0 else f"parent.jobs.s{i - 1}.outputs.out"
        last = "    outputs:\n      out: ${{parent.outputs.final}}\n" if i == size - 1 else ""
        parts.append(_step(f"s{i}", "./components/step.yml", data, last))
    path = root / f"chain_{size}.yml"
    path.write_text("".join(parts))
    return path


def write_fanout(root: Path, size: int) -> Path:
    workers = size - 2
    join = [
        f"$schema: {SCHEMA}/commandComponent.schema.json\n"
        f"name: join_{workers}\ntype: command\ninputs:\n"
    ]
    join += [f"  part{i}: {{type: uri_folder, optional: true}}\n" for i in range(workers)]
    join.append("outputs:\n  out: {type: uri_folder}\ncode: ../src\n")
    join.append("environment: azureml:AzureML-sklearn-1.0@latest\ncommand: >-\n  python join.py")
    join += [f"\n  $[[--part ${{{{inputs.part{i}}}}}]]" for i in range(workers)]
    join.append("\n  --out ${{outputs.out}}\n")
    (root / "components" / f"join_{workers}.yml").write_text("".join(join))
    parts = [_job_header(f"fanout-{size}")]
    parts.append(_step("split", "./components/step.yml", "parent.inputs.raw"))
    for i in range(workers):
        parts.append(_step(f"w{i}", "./components/step.yml", "parent.jobs.split.outputs.out"))
    parts.append(
        f"  join:\n    type: command\n    component: ./components/join_{workers}.yml\n"
        "    outputs:\n      out: ${{parent.outputs.final}}\n    inputs:\n"
    )
    parts += [f"      part{i}: ${{{{parent.jobs.w{i}.outputs.out}}}}\n" for i in range(workers)]
    path = root / f"fanout_{size}.yml"
    path.write_text("".join(parts))
    return path


def _pipeline_component(name: str, uses: str, count: int, prefix: str, kind: str) -> str:
    head = (
        f"$schema: {SCHEMA}/pipelineComponent.schema.json\n"
        f"type: pipeline\nname: {name}\n"
        "inputs:\n  data: {type: uri_folder}\noutputs:\n  out: {type: uri_folder}\njobs:\n"
    )
    body = []
    for i in range(count):
        data = "parent.inputs.data" if i == 0 else f"parent.jobs.{prefix}{i - 1}.outputs.out"
        last = "    outputs:\n      out: ${{parent.outputs.out}}\n" if i == count - 1 else ""
        if kind == "command":
            body.append(_step(f"{prefix}{i}", uses, data, last))
        else:
            body.append(
                f"  {prefix}{i}:\n    type: pipeline\n    component: {uses}\n"
                f"    inputs:\n      data: ${{{{{data}}}}}\n{last}"
            )
    return head + "".join(body)


def write_nested(root: Path, size: int) -> Path:
    parts_dir = root / "parts"
    parts_dir.mkdir(exist_ok=True)
    (parts_dir / "block10.yml").write_text(
        _pipeline_component("block10", "../components/step.yml", 10, "s", "command")
    )
    (parts_dir / "block100.yml").write_text(
        _pipeline_component("block100", "./block10.yml", 10, "b", "pipeline")
    )
    parts = [_job_header(f"nested-{size}")]
    uses = size // 100
    for i in range(uses):
        data = "parent.inputs.raw" if i == 0 else f"parent.jobs.g{i - 1}.outputs.out"
        last = "    outputs:\n      out: ${{parent.outputs.final}}\n" if i == uses - 1 else ""
        parts.append(
            f"  g{i}:\n    type: pipeline\n    component: ./parts/block100.yml\n"
            f"    inputs:\n      data: ${{{{{data}}}}}\n{last}"
        )
    path = root / f"nested_{size}.yml"
    path.write_text("".join(parts))
    return path


SHAPES: dict[str, Callable[[Path, int], Path]] = {
    "chain": write_chain,
    "fanout": write_fanout,
    "nested": write_nested,
}


def project(root: Path) -> None:
    for folder in ("src", "data", "components"):
        (root / folder).mkdir(exist_ok=True)
    (root / "components" / "step.yml").write_text(STEP)


def biggest_file(root: Path, job: Path) -> int:
    return max(p.stat().st_size for p in [job, *root.glob("components/*.yml")])


def limits_for(size_bytes: int) -> LoadLimits:
    if size_bytes <= DEFAULT_LIMITS.max_bytes:
        return DEFAULT_LIMITS
    return LoadLimits(max_bytes=2 * size_bytes)


def validate(job: Path, root: Path, limits: LoadLimits) -> ValidationReport:
    report = validate_job_file(job, limits=limits, cwd=root)
    if not report.ok:
        problems = [d.format() for d in report.diagnostics.errors[:5]]
        raise SystemExit(f"{job.name} should be valid: {problems}")
    return report


def measure(shape: str, size: int, root: Path, runs: int) -> dict[str, object]:
    job = SHAPES[shape](root, size)
    largest = biggest_file(root, job)
    limits = limits_for(largest)
    samples, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        report = validate(job, root, limits)
        samples.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    start = time.perf_counter()
    json.dumps(report.to_dict())  # what `cairn job validate -o json` adds
    as_json = time.perf_counter() - start
    tracemalloc.start()
    validate(job, root, limits)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.graph is not None
    return {
        "shape": shape,
        "size": size,
        "steps": len(report.graph.steps),
        "edges": len(report.graph.edges),
        "largest_file_kib": round(largest / 1024, 1),
        "max_bytes_raised": limits is not DEFAULT_LIMITS,
        "median_s": round(statistics.median(samples), 4),
        "min_s": round(min(samples), 4),
        "cpu_s": round(statistics.median(cpu), 4),
        "us_per_step": round(statistics.median(samples) / size * 1e6, 1),
        "json_s": round(as_json, 4),
        "peak_mib": round(peak / (1 << 20), 1),
        "warnings": len(report.diagnostics.warnings),
    }


def print_table(rows: list[dict[str, object]]) -> None:
    header = (
        f"{'shape':<7} {'steps':>6} {'edges':>6} {'file KiB':>9} {'limit':>8} "
        f"{'median s':>9} {'min s':>7} {'cpu s':>7} {'µs/step':>8} {'json s':>7} {'peak MiB':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        limit = "raised" if row["max_bytes_raised"] else "default"
        print(
            f"{row['shape']:<7} {row['steps']:>6} {row['edges']:>6} "
            f"{row['largest_file_kib']:>9} {limit:>8} {row['median_s']:>9.3f} "
            f"{row['min_s']:>7.3f} {row['cpu_s']:>7.3f} {row['us_per_step']:>8} "
            f"{row['json_s']:>7.3f} {row['peak_mib']:>9}"
        )


def profile(target: str, root: Path) -> None:
    shape, _, size_text = target.partition(":")
    size = int(size_text)
    job = SHAPES[shape](root, size)
    limits = limits_for(biggest_file(root, job))
    profiler = cProfile.Profile()
    profiler.enable()
    validate(job, root, limits)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (median)")
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--profile", metavar="SHAPE:SIZE", help="print a cProfile of one case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project(root)
        validate(write_chain(root, 3), root, DEFAULT_LIMITS)  # warm imports and caches
        if args.profile:
            profile(args.profile, root)
            return
        rows = []
        for size in (int(s) for s in args.sizes.split(",")):
            for shape in args.shapes.split(","):
                runs = args.runs if size < 10_000 else max(1, args.runs // 2)
                rows.append(measure(shape, size, root, runs))
                print(f"  {shape} {size}: {rows[-1]['median_s']} s", file=sys.stderr)
    print_table(rows)
    print(json.dumps({"benchmark": "validate_scale", "mode": "in-process, warm", "rows": rows}))


if __name__ == "__main__":
    main()
