"""`python -m cairn.server`: run a Cairn server for a Cairn home (foreground).

Binds the socket, writes `run/server.json`, serves the API with the engine in-process, and on
SIGTERM stops accepting requests, stops the engine (running steps keep running) and exits.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import uvicorn

from cairn.engine.loop import EngineConfig
from cairn.home import Home
from cairn.server.app import create_app
from cairn.server.run import announce, bind, ensure_token, forget
from cairn.server.settings import ServerSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cairn.server", description=__doc__)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--database", help="a database URL (default: the home's SQLite file)")
    parser.add_argument("--no-engine", action="store_true", help="serve the API only")
    parser.add_argument("--grace", type=float, default=10.0)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    home = (Home(args.home.resolve()) if args.home else Home.from_env()).ensure()
    token = ensure_token(home)
    sock = bind(args.host, args.port)
    info_url = f"http://{args.host}:{sock.getsockname()[1]}"
    settings = ServerSettings(
        home=home,
        token=token,
        database_url=args.database,
        run_engine=not args.no_engine,
        engine=EngineConfig(grace=args.grace),
        public_url=info_url,
    )
    app = create_app(settings)
    config = uvicorn.Config(app, log_level=args.log_level, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    announce(home, sock)
    try:
        server.run(sockets=[sock])
    finally:
        forget(home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
