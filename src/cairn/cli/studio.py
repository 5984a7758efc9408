"""`cairn studio`: print (and with `--open`, open) a link to the web studio that signs the
browser in with a one-time code; the code is spent on first use and expires within minutes, and
the browser keeps an HttpOnly session cookie instead. Also `studio_link`, which `job create
--web` and `job show --web` print."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cairn.cli.common import (
    DebugOption,
    OutputFormat,
    OutputOption,
    QueryOption,
    ResourceGroupOption,
    SubscriptionOption,
    WorkspaceOption,
    client,
    emit,
)

app = typer.Typer(
    rich_markup_mode=None,
    invoke_without_command=True,
)


def studio_link(api: Any, path: str = "/jobs") -> str:
    """A studio link to `path` that signs its first visitor in (one use, a few minutes)."""
    workspace = getattr(api, "workspace", "default")
    if workspace != "default" and "ws=" not in path:
        path += ("&" if "?" in path else "?") + f"ws={workspace}"
    found: dict[str, Any] = api.post("/studio/login-codes", {"next": path})
    return str(found["url"])


@app.callback()
def studio(
    open_: Annotated[
        bool, typer.Option("--open", help="Open the link in a web browser as well.")
    ] = False,
    page: Annotated[
        str, typer.Option("--page", help="The studio page to open, e.g. /jobs/NAME.")
    ] = "/jobs",
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.tsv,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Print a link to the studio that signs you in once (valid for a few minutes).

    \b
    Examples:
      cairn studio
      cairn studio --open
      cairn studio --page /jobs/brave_river_4x7k2m9q
    """
    link = studio_link(client(workspace, resource_group, subscription), page)
    emit({"url": link}, output, query)
    if open_:
        import webbrowser

        if not webbrowser.open(link):
            typer.echo("no web browser found here: open the link above", err=True)
