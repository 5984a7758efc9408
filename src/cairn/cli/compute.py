"""`cairn compute …`: the `az ml compute` verbs that mean something locally — create (from
Azure's own compute YAML, or from flags), list, show, delete. A compute is a named pool of step
slots (`max_instances`); `local` is built in."""

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
    help="Create and inspect computes: named pools of step slots (`az ml compute`).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NameOption = Annotated[
    str, typer.Option("--name", "-n", help="The compute's name.", show_default=False)
]
LIST_COLUMNS = ["name", "type", "max_instances", "creation_context.created_at"]


@app.command("create")
def create(
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Azure compute YAML (e.g. amlcompute).")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="The name (overrides the file's).")
    ] = None,
    type_: Annotated[
        str | None,
        typer.Option("--type", "-t", help="local, amlcompute or ray (without --file)."),
    ] = None,
    max_instances: Annotated[
        int | None,
        typer.Option("--max-instances", help="Steps that may run at once on it.", min=1),
    ] = None,
    set_: SetOption = None,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.json,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Create a compute from Azure's compute YAML, or from --name and --type.

    An `amlcompute` cluster runs its steps on this machine, `max_instances` at a time. Pipelines
    name it as `compute: azureml:<name>`.

    \b
    Examples:
      cairn compute create --file cpu-cluster.yml
      cairn compute create --name cpu-cluster --type amlcompute --max-instances 2
      cairn compute create -f cpu-cluster.yml --set max_instances=8 --query name -o tsv
    """
    from cairn.errors import UsageError

    if file is None and not (name and type_):
        raise UsageError(
            "give --file, or --name and --type",
            hint="cairn compute create --name cpu-cluster --type amlcompute",
        )
    if file is not None:
        from cairn.cli.validation import check_file

        check_file(file)
    elif set_:
        raise UsageError("--set changes a --file; without one, use the flags")
    api = client(workspace, resource_group, subscription)
    created = api.create_compute(
        file, name=name, type=type_, max_instances=max_instances, overrides=set_ or []
    )
    emit(created, output, query)


@app.command("list")
def list_(
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.table,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """List computes, the built-in `local` first.

    \b
    Examples:
      cairn compute list
      cairn compute list --query "[].name" -o tsv
    """
    computes = client(workspace, resource_group, subscription).resources("computes")
    emit(computes, output, query, columns=LIST_COLUMNS)


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
    """Show a compute.

    \b
    Examples:
      cairn compute show --name cpu-cluster
      cairn compute show -n cpu-cluster --query max_instances -o tsv
    """
    emit(client(workspace, resource_group, subscription).resource("computes", name), output, query)


@app.command("delete")
def delete(
    name: NameOption,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    workspace: WorkspaceOption = "default",
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    debug: DebugOption = False,
) -> None:
    """Delete a compute (the built-in `local` stays).

    \b
    Examples:
      cairn compute delete --name cpu-cluster --yes
    """
    confirm_delete(f"compute {name}", yes)
    client(workspace, resource_group, subscription).delete_resource("computes", name)
