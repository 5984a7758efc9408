"""`cairn datastore …`: the `az ml datastore` verbs — create from Azure's datastore YAML (or
Cairn's `local` folder kind), list, show, delete. Credentials go to the server encrypted at rest
and never come back: `show` and `list` print the public description only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cairn.cli.common import (
    DebugOption,
    OutputFormat,
    OutputOption,
    QueryOption,
    ResourceGroupOption,
    SetOption,
    SubscriptionOption,
    WorkspaceOption,
    client,
    confirm_delete,
    emit,
)

app = typer.Typer(
    help="Register and inspect datastores (`az ml datastore`).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NameOption = Annotated[
    str, typer.Option("--name", "-n", help="The datastore's name.", show_default=False)
]
LIST_COLUMNS = ["name", "type", "is_default"]


@app.command("create")
def create(
    file: Annotated[
        Path, typer.Option("--file", "-f", help="The datastore YAML file.", show_default=False)
    ],
    set_: SetOption = None,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.json,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Register a datastore: `azure_blob` (account key, SAS token or none) or `local` (a folder).

    \b
    Examples:
      cairn datastore create --file blob.yml
      cairn datastore create -f blob.yml --set container_name=raw --query name -o tsv
    """
    from cairn.cli.validation import check_file

    check_file(file)
    api = client(workspace, resource_group, subscription)
    emit(api.create_datastore(file, overrides=set_ or []), output, query)


@app.command("list")
def list_(
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.table,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """List datastores, the built-in `workspaceblobstore` and `workspaceartifactstore` first.

    \b
    Examples:
      cairn datastore list
      cairn datastore list --query "[?type=='azure_blob'].name" -o tsv
    """
    found = client(workspace, resource_group, subscription).resources("datastores")
    emit(found, output, query, columns=LIST_COLUMNS)


@app.command("show")
def show(
    name: NameOption,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.json,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Show a datastore (never its credentials).

    \b
    Examples:
      cairn datastore show --name blob_example
      cairn datastore show -n blob_example --query container_name -o tsv
    """
    api = client(workspace, resource_group, subscription)
    emit(api.resource("datastores", name), output, query)


@app.command("delete")
def delete(
    name: NameOption,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    debug: DebugOption = False,
) -> None:
    """Unregister a datastore (its data stays where it is).

    \b
    Examples:
      cairn datastore delete --name blob_example --yes
    """
    confirm_delete(f"datastore {name}", yes)
    client(workspace, resource_group, subscription).delete_resource("datastores", name)
