"""`cairn server …`: the local server of this Cairn home (`start|stop|status|logs`), and
`run` for a team server in the foreground."""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli.common import DebugOption, OutputFormat, OutputOption, QueryOption, emit

app = typer.Typer(
    help="Manage the Cairn server of this Cairn home.", no_args_is_help=True, rich_markup_mode=None
)


@app.command("start")
def start(debug: DebugOption = False) -> None:
    """Start the local server in the background (nothing happens if it runs)."""
    from cairn.client.local import connect

    api = connect()
    typer.echo(f"Cairn server running at {api.base_url}")


@app.command("stop")
def stop(debug: DebugOption = False) -> None:
    """Stop the local server; running steps keep running and are picked up at the next start."""
    from cairn.client.local import stop_server
    from cairn.home import Home

    stopped = stop_server(Home.from_env())
    typer.echo("Cairn server stopped" if stopped else "no Cairn server was running")


@app.command("status")
def status(
    output: OutputOption = OutputFormat.table, query: QueryOption = None, debug: DebugOption = False
) -> None:
    """Whether the local server runs, where, and which version."""
    from cairn.client.local import connect, current
    from cairn.home import Home

    home = Home.from_env()
    info = current(home)
    if info is None:
        emit({"running": False, "home": str(home.root)}, output, query)
        raise typer.Exit(3)
    health = connect(home, start=False).health()
    emit({"running": True, **info, **health}, output, query)


@app.command("logs")
def logs(
    lines: Annotated[int, typer.Option("--tail", help="How many lines from the end.")] = 100,
    debug: DebugOption = False,
) -> None:
    """Print the end of the local server's log."""
    from cairn.home import Home

    path = Home.from_env().logs / "server.log"
    if not path.exists():
        typer.echo(f"no server log yet ({path})")
        return
    for line in path.read_text(errors="replace").splitlines()[-lines:]:
        typer.echo(line)


@app.command("run")
def run(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0: a free one).")] = 0,
    database: Annotated[
        str | None, typer.Option("--database", help="Database URL (PostgreSQL for teams).")
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Run a server in the foreground (for teams: `--host 0.0.0.0 --database postgresql+psycopg://…`).

    Clients reach it with CAIRN_SERVER_URL and CAIRN_TOKEN (the token is in the home's run/token).
    """
    from cairn.server.__main__ import main

    args = ["--host", host, "--port", str(port)]
    if database:
        args += ["--database", database]
    raise typer.Exit(main(args))
