"""Benchmark: hashing a 1 GB folder of 10,000 files, first time and again through the stat cache.

Generates the folder once (bench/out/hash-1g/, reused while its parameters match), warms the page
cache, then for several rounds times:

- baselines, the same bytes hashed with BLAKE3 the straightforward ways, given the file list
  up front (no directory walk): one thread reading and hashing file after file; a thread pool of
  one task per file; and the `b3sum` binary over the file list when it is installed;
- `hash_path` with an empty stat cache (walk, hash, Merkle root, cache writes) — the first hash;
- `hash_path` again with the filled cache — the re-hash of an unchanged folder.

Prints a table and one JSON line. Targets: first hash <= 1.3 x the fastest baseline; re-hash <= 100
ms. Usage: .venv/bin/python bench/hash_bench.py [--runs 5] [--files 10000] [--total-mb 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from blake3 import blake3

from cairn.data.hashing import RACY_WINDOW_NS, hash_path
from cairn.data.stat_cache import StatCache

OUT = Path(__file__).resolve().parent / "out"
FIRST_RATIO_TARGET = 1.3
REHASH_TARGET_MS = 100.0


def file_sizes(count: int, total: int, seed: int = 7) -> list[int]:
    """Log-normal sizes (many small files, a few of several MB) scaled to add up to `total`."""
    rng = random.Random(seed)
    weights = [rng.lognormvariate(0.0, 1.6) for _ in range(count)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[0] += total - sum(sizes)
    return sizes


def generate(root: Path, count: int, total: int) -> list[Path]:
    meta = root.with_suffix(".json")
    params = {"count": count, "total": total, "version": 1}
    paths = [root / f"d{i % 100:02d}" / f"f{i:05d}.bin" for i in range(count)]
    if meta.exists() and json.loads(meta.read_text()) == params:
        return paths
    shutil.rmtree(root, ignore_errors=True)
    for path, size in zip(paths, file_sizes(count, total), strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
    meta.write_text(json.dumps(params))
    return paths


def wait_out_racy_window(paths: list[Path]) -> None:
    """Files younger than the racy window are never cached; let the newest one age past it."""
    newest = max(p.stat().st_mtime_ns for p in paths)
    remaining = (newest + RACY_WINDOW_NS - time.time_ns()) / 1e9
    if remaining > 0:
        time.sleep(remaining + 0.1)


def hash_one(path: Path) -> bytes:
    with path.open("rb") as handle:
        return blake3(handle.read()).digest()


def sequential(paths: list[Path]) -> None:
    for path in paths:
        hash_one(path)


def pool_per_file(paths: list[Path]) -> None:
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        list(pool.map(hash_one, paths))


def b3sum(binary: str, paths: list[Path]) -> None:
    for start in range(0, len(paths), 2000):
        chunk = [str(p) for p in paths[start : start + 2000]]
        subprocess.run([binary, "--no-names", *chunk], check=True, stdout=subprocess.DEVNULL)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(args: argparse.Namespace) -> dict[str, object]:
    load_before = os.getloadavg()[0]
    root = OUT / "hash-1g"
    paths = generate(root, args.files, args.total_mb * 1024 * 1024)
    wait_out_racy_window(paths)
    sequential(paths)  # warm the page cache so every contender reads from memory
    baselines: dict[str, Callable[[], None]] = {
        "baseline: 1 thread, read + blake3": lambda: sequential(paths),
        "baseline: thread pool, 1 task per file": lambda: pool_per_file(paths),
    }
    if binary := shutil.which("b3sum"):
        baselines["baseline: b3sum binary"] = lambda: b3sum(binary, paths)
    times: dict[str, list[float]] = {name: [] for name in baselines}
    times["cairn: first hash (empty stat cache)"] = []
    times["cairn: re-hash, unchanged (stat cache)"] = []
    digest = ""
    for _ in range(args.runs):
        for name, fn in baselines.items():
            times[name].append(timed(fn))
        with tempfile.TemporaryDirectory() as cache_dir, StatCache(Path(cache_dir)) as cache:
            start = time.perf_counter()
            first = hash_path(root, cache=cache)
            times["cairn: first hash (empty stat cache)"].append(time.perf_counter() - start)
            start = time.perf_counter()
            again = hash_path(root, cache=cache)
            times["cairn: re-hash, unchanged (stat cache)"].append(time.perf_counter() - start)
            assert again.hash == first.hash and again.bytes_read == 0, "cache missed"
            digest = first.hash
    medians = {name: statistics.median(values) for name, values in times.items()}
    best_name = min(baselines, key=lambda n: medians[n])
    first_s = medians["cairn: first hash (empty stat cache)"]
    rehash_ms = medians["cairn: re-hash, unchanged (stat cache)"] * 1000
    total = sum(p.stat().st_size for p in paths)
    print_table(medians, times, total)
    ratio = first_s / medians[best_name]
    return {
        "bench": "hash_folder",
        "files": len(paths),
        "bytes": total,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        # Other work on the machine skews every figure; the 1-minute load average tells how much.
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "python": sys.version.split()[0],
        "medians_s": {name: round(value, 4) for name, value in medians.items()},
        "best_baseline": best_name,
        "first_hash_ratio": round(ratio, 3),
        "first_hash_ratio_target": FIRST_RATIO_TARGET,
        "rehash_ms": round(rehash_ms, 1),
        "rehash_ms_target": REHASH_TARGET_MS,
        "pass": ratio <= FIRST_RATIO_TARGET and rehash_ms <= REHASH_TARGET_MS,
        "hash": digest,
    }


def print_table(medians: dict[str, float], times: dict[str, list[float]], total: int) -> None:
    print(f"{'contender':42} {'median s':>9} {'min s':>8} {'max s':>8} {'GB/s':>6}")
    for name, median in medians.items():
        values = times[name]
        rate = total / median / 1e9
        print(f"{name:42} {median:9.4f} {min(values):8.4f} {max(values):8.4f} {rate:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--total-mb", type=int, default=1024)
    result = run(parser.parse_args())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
