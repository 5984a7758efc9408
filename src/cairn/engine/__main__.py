"""`python -m cairn.engine [--home H]`: run an engine for a Cairn home in the foreground.

The server runs the engine in-process; this entry point runs it alone (engine workers, and tests
that kill the engine and restart it). Stops on SIGTERM or SIGINT, leaving running steps running.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from cairn.engine.loop import Engine, EngineConfig
from cairn.executors.local import LocalExecutor
from cairn.home import Home
from cairn.store import open_store, sqlite_url
from cairn.workspace.context import Workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cairn.engine", description=__doc__)
    parser.add_argument("--home", type=Path, help="the Cairn home (default: $CAIRN_HOME)")
    parser.add_argument("--workspace", default="default")
    parser.add_argument("--database", help="a database URL (default: the home's SQLite file)")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds between TERM and KILL")
    parser.add_argument("--lease", type=float, default=30.0, help="lease length in seconds")
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=0.5,
        help="seconds between looks at the queue and at running steps",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    home = (Home(args.home.resolve()) if args.home else Home.from_env()).ensure()
    store = open_store(args.database or sqlite_url(home.database))
    workspace = Workspace(home, store, args.workspace, actor="engine")
    executor = LocalExecutor(home.run / f"engine-{args.workspace}.sock")
    config = EngineConfig(
        grace=args.grace,
        lease_seconds=args.lease,
        poll_interval=args.poll_interval,
        claim_interval=args.poll_interval,
    )
    engine = Engine(workspace, executor, config)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: engine.stop())
    try:
        engine.run()
    finally:
        executor.close()
        workspace.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
