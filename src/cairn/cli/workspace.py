"""`cairn workspace …`: create, list and show the workspaces of this Cairn server. Every other
command picks one with `--workspace-name/-w` (default `default`)."""

from __future__ import annotations

from typing import Annotated

import typer

from cairn.cli.common import (
    DebugOption,
    OutputFormat,
    OutputOption,
    QueryOption,
    ResourceGroupOption,
    SubscriptionOption,
    client,
    emit,
)

app = typer.Typer(
    help="Create and inspect workspaces (`az ml workspace`).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NameOption = Annotated[
    str, typer.Option("--name", "-n", help="The workspace's name.", show_default=False)
]


@app.command("create")
def create(
    name: NameOption,
    description: Annotated[
        str | None, typer.Option("--description", help="What the workspace is for.")
    ] = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.json,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Create a workspace: its own jobs, assets, computes and datastores.

    \b
    Examples:
      cairn workspace create --name risk --description "flood-risk models"
      cairn job list -w risk
    """
    api = client("default", resource_group, subscription)
    emit(api.create_workspace(name, description), output, query)


@app.command("list")
def list_(
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.table,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """List workspaces.

    \b
    Examples:
      cairn workspace list
      cairn workspace list --query "[].name" -o tsv
    """
    emit(client("default", resource_group, subscription).workspaces(), output, query)


@app.command("show")
def show(
    name: NameOption,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.json,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Show a workspace.

    \b
    Examples:
      cairn workspace show --name risk
    """
    emit(client("default", resource_group, subscription).show_workspace(name), output, query)
