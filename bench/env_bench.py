"""Benchmark: what building and using a Python environment costs.

- cold build: a 3-package environment (`tabulate six termcolor`) built by `cairn.envs.build.ensure`
  into a fresh envs folder, against a plain `uv venv && uv pip install` of the same packages with
  the same interpreter; both with uv's cache empty (`UV_CACHE_DIR` a new folder each round:
  downloads included) and with it warm (a shared folder filled once beforehand). Ratio of medians.
- warm: `ensure` of the already-built environment (what every later step pays), median.
- per step: the same one-step pipeline run through a real server and engine (with `force_rerun`,
  so it runs every time), once with that conda environment (already built) and once with a
  curated one (`inherit`: the server's own Python); median preparing + running time of the step
  from its status events. The difference is what an already-built environment adds to a step.

Targets: warm per-step overhead <= 10 ms; cold build within 2x of plain uv.
Run: .venv/bin/python bench/env_bench.py [--rounds 5] [--steps 15]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cairn.client.local import connect, start_server, stop_server
from cairn.envs.build import ensure, uv_binary
from cairn.envs.spec import Request
from cairn.home import Home

PACKAGES = ("tabulate", "six", "termcolor")
TARGET_STEP_MS = 10.0
TARGET_COLD_RATIO = 2.0
CURATED = "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest"


@contextmanager
def uv_cache(folder: Path) -> Iterator[None]:
    old = os.environ.get("UV_CACHE_DIR")
    os.environ["UV_CACHE_DIR"] = str(folder)
    try:
        yield
    finally:
        if old is None:
            del os.environ["UV_CACHE_DIR"]
        else:
            os.environ["UV_CACHE_DIR"] = old


def plain_uv(target: Path) -> float:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    uv = uv_binary()
    start = time.perf_counter()
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(target)], env=env, check=True
    )
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(target / "bin" / "python"), *PACKAGES],
        env=env,
        check=True,
    )
    return time.perf_counter() - start


def cairn_build(envs: Path, request: Request) -> float:
    start = time.perf_counter()
    built = ensure(request, envs, io.StringIO())
    elapsed = time.perf_counter() - start
    assert not built.reused and len(built.packages) == len(PACKAGES), built.packages
    return elapsed


def builds(root: Path, rounds: int) -> dict[str, dict[str, float]]:
    """Median seconds of Cairn's build and plain uv, with uv's cache cold and warm."""
    times: dict[str, list[float]] = {
        "cairn_cold": [],
        "uv_cold": [],
        "cairn_warm": [],
        "uv_warm": [],
    }
    warm_cache = root / "uv-cache-warm"
    with uv_cache(warm_cache):
        plain_uv(root / "prime")  # fill the warm cache once
    for r in range(rounds):
        # Each build gets a new envs folder: no saved lock, the first build of a spec.
        request = Request(None, PACKAGES)
        order = ["cairn", "uv"] if r % 2 == 0 else ["uv", "cairn"]
        for cache in ("cold", "warm"):
            for who in order:
                folder = root / f"{who}-{cache}-{r}"
                cache_dir = warm_cache if cache == "warm" else root / f"uv-cache-{who}-{r}"
                with uv_cache(cache_dir):
                    seconds = plain_uv(folder) if who == "uv" else cairn_build(folder, request)
                times[f"{who}_{cache}"].append(seconds)
    return {k: {"median_s": statistics.median(v), "min_s": min(v)} for k, v in times.items()}


def warm_ensure(root: Path, calls: int) -> float:
    envs = root / "warm-envs"
    request = Request(None, PACKAGES)
    ensure(request, envs, io.StringIO())
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        ensure(request, envs, io.StringIO())
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def write_project(root: Path) -> tuple[Path, Path]:
    (root / "src").mkdir(parents=True)
    (root / "src" / "step.py").write_text("import sys\nprint(sys.executable)\n")
    conda = ["name: bench", "dependencies:", "  - pip", "  - pip:"]
    (root / "conda.yml").write_text("\n".join(conda + [f"      - {p}" for p in PACKAGES]) + "\n")
    paths = []
    for name, environment in (
        ("venv", "\n      conda_file: ./conda.yml"),
        ("inherit", f" {CURATED}"),
    ):
        path = root / f"{name}.yml"
        path.write_text(
            "type: pipeline\ncompute: local\njobs:\n"
            f"  step:\n    type: command\n    code: ./src\n    command: python step.py\n"
            f"    environment:{environment}\n"
        )
        paths.append(path)
    return paths[0], paths[1]


def per_step(root: Path, steps: int) -> dict[str, dict[str, float]]:
    """Median preparing / running seconds of the step, with the venv and with inherit."""
    home = Home(root / "home")
    venv, inherit = write_project(root / "project")
    start_server(home)
    api = connect(home)
    samples: dict[str, dict[str, list[float]]] = {}
    try:
        for path in (venv, inherit):  # warm-up: the build, and the first start of each
            api.wait_job(api.create_job(path, force_rerun=True)["name"], timeout=300)
        for i in range(steps):
            for path in (venv, inherit) if i % 2 == 0 else (inherit, venv):
                name = api.create_job(path, force_rerun=True)["name"]
                api.wait_job(name, timeout=120)
                job = api.show_job(name)
                assert job["status"] == "Completed", job
                timing = job["jobs"]["step"]["timing"]
                bucket = samples.setdefault(path.stem, {"preparing": [], "running": []})
                bucket["preparing"].append(timing["preparing_s"])
                bucket["running"].append(timing["running_s"])
    finally:
        api.close()
        stop_server(home)
    return {
        kind: {
            "preparing_s": statistics.median(b["preparing"]),
            "running_s": statistics.median(b["running"]),
            "step_s": statistics.median(
                p + r for p, r in zip(b["preparing"], b["running"], strict=True)
            ),
        }
        for kind, b in samples.items()
    }


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="cold/warm build rounds")
    parser.add_argument("--steps", type=int, default=15, help="pipeline runs of each kind")
    parser.add_argument("--calls", type=int, default=200, help="warm ensure calls")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cairn-env-bench-"))
    try:
        build = builds(root, args.rounds)
        warm = warm_ensure(root, args.calls)
        step = per_step(root, args.steps)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    cold_ratio = build["cairn_cold"]["median_s"] / build["uv_cold"]["median_s"]
    warm_ratio = build["cairn_warm"]["median_s"] / build["uv_warm"]["median_s"]
    overhead = step["venv"]["step_s"] - step["inherit"]["step_s"]
    prep_overhead = step["venv"]["preparing_s"] - step["inherit"]["preparing_s"]
    print(f"{len(PACKAGES)}-package environment; {os.cpu_count()} CPUs; medians (ms)")
    print(f"{'build':<28} {'cairn':>9} {'plain uv':>9} {'ratio':>6}")
    for cache, ratio in (("cold", cold_ratio), ("warm", warm_ratio)):
        c, u = build[f"cairn_{cache}"]["median_s"], build[f"uv_{cache}"]["median_s"]
        print(f"{'uv cache ' + cache:<28} {ms(c):>9.1f} {ms(u):>9.1f} {ratio:>6.2f}")
    print(f"{'ensure, already built':<28} {ms(warm):>9.3f}")
    print(f"{'step (pipeline)':<28} {'venv':>9} {'inherit':>9} {'diff':>6}")
    for part in ("preparing_s", "running_s", "step_s"):
        v, i = step["venv"][part], step["inherit"][part]
        print(f"  {part.removesuffix('_s'):<26} {ms(v):>9.1f} {ms(i):>9.1f} {ms(v - i):>6.1f}")
    print(
        f"targets: per-step overhead {ms(overhead):.1f} ms (<= {TARGET_STEP_MS:g}); "
        f"cold build {cold_ratio:.2f}x plain uv (<= {TARGET_COLD_RATIO:g}x)"
    )
    print(
        json.dumps(
            {
                "bench": "env_bench",
                "packages": list(PACKAGES),
                "rounds": args.rounds,
                "steps": args.steps,
                "cpus": os.cpu_count(),
                "build_ms": {k: ms(v["median_s"]) for k, v in build.items()},
                "cold_ratio": round(cold_ratio, 3),
                "warm_cache_ratio": round(warm_ratio, 3),
                "ensure_ready_ms": ms(warm),
                "step_ms": {k: {p: ms(x) for p, x in v.items()} for k, v in step.items()},
                "step_overhead_ms": ms(overhead),
                "preparing_overhead_ms": ms(prep_overhead),
                "target_step_overhead_ms": TARGET_STEP_MS,
                "target_cold_ratio": TARGET_COLD_RATIO,
            }
        )
    )


if __name__ == "__main__":
    main()
