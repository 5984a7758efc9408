"""Benchmark: the engine killed at random moments, N rounds (default 50), every recovery promise
checked after each round. Target: zero violations.

Each round submits a 20-step job, kills the engine process (SIGKILL) at a random moment and
starts another, which adopts the job; of every five rounds one kills the new engine too, soon
after it started, one also cancels its job, and one resubmits the previous round's file so that
every step is reused (see
`tests/engine/kill_loop.py` for the pipeline and the invariants). Engines start cold
(`python -m cairn.engine`) unless `--standby` (an interpreter that imported Cairn ahead of need,
as the tests do).

Prints one line per round, a table of violations by kind and one JSON line.
Usage: .venv/bin/python bench/kill_loop.py [--rounds 50] [--seed 0] [--standby]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# The kill loop lives with the tests that run ten rounds of it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.engine.engines import EnginePool
from tests.engine.kill_loop import Round, run_kill_loop


def kind(violation: str) -> str:
    """A violation without its step name and numbers, to count alike ones together."""
    text = violation.split(": ", 1)[-1] if re.match(r"^[\w/]+: ", violation) else violation
    return re.sub(r"\d+(\.\d+)?", "N", text)[:70]


def show(result: Round) -> None:
    cancel = "-" if result.cancel_after is None else f"{result.cancel_after:.2f}"
    at_kill = " ".join(f"{k}:{v}" for k, v in sorted(result.statuses_at_kill.items()))
    print(
        f"{result.index:>5} {result.mode:<7} {result.kill_after:>6.2f} {cancel:>6} "
        f"{result.status:<10} {result.seconds:>6.2f} {len(result.violations):>4}  {at_kill}",
        flush=True,
    )
    for violation in result.violations:
        print(f"      ! {violation}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--standby", action="store_true", help="start engines warm")
    args = parser.parse_args()
    head = ("round", "mode", "kill@", "cancel", "job", "secs", "viol")
    print("{:>5} {:<7} {:>6} {:>6} {:<10} {:>6} {:>4}".format(*head))
    pool = EnginePool(standby=args.standby)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="cairn-kill-", dir="/tmp") as folder:
            rounds = run_kill_loop(Path(folder), args.rounds, pool, seed=args.seed, on_round=show)
    finally:
        pool.close()
    elapsed = time.monotonic() - started
    kinds = Counter(kind(v) for r in rounds for v in r.violations)
    print(f"\n{'violations by kind':<72} count")
    for text, count in kinds.most_common() or [("(none)", 0)]:
        print(f"{text:<72} {count:>5}")
    total = sum(kinds.values())
    print(
        json.dumps(
            {
                "bench": "kill_loop",
                "rounds": len(rounds),
                "seed": args.seed,
                "engine_start": "standby" if args.standby else "cold",
                "violations": total,
                "rounds_with_violations": sum(1 for r in rounds if r.violations),
                "by_kind": dict(kinds),
                "modes": dict(Counter(r.mode for r in rounds)),
                "job_status": dict(Counter(r.status for r in rounds)),
                "seconds": round(elapsed, 1),
                "median_round_s": sorted(r.seconds for r in rounds)[len(rounds) // 2]
                if rounds
                else None,
            }
        )
    )
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
