"""How fast the `cairn` command answers: wall time of whole CLI processes, median of several runs.

Run: .venv/bin/python bench/cli_latency.py [--runs N]
Prints a table and one JSON line. Targets (this 2-core machine): `cairn --help` ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CAIRN = str(Path(sys.executable).parent / "cairn")

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


def timed(args: list[str], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = Path(tmp) / "p.yml"
        pipeline.write_text(PIPELINE)
        cases = {
            "python -c pass (floor)": [sys.executable, "-c", "pass"],
            "cairn --help": [CAIRN, "--help"],
            "cairn --version": [CAIRN, "--version"],
            "cairn job validate (2 steps)": [CAIRN, "job", "validate", "-f", str(pipeline)],
        }
        results = {name: timed(args, runs) for name, args in cases.items()}
    width = max(len(n) for n in results)
    print(f"{'command':<{width}}  median ms  min ms")
    for name, (median, best) in results.items():
        print(f"{name:<{width}}  {median * 1000:9.0f}  {best * 1000:6.0f}")
    print(json.dumps({name: round(median * 1000, 1) for name, (median, _) in results.items()}))


if __name__ == "__main__":
    main()
