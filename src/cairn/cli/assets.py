"""`cairn component|data|environment|model create|show|list|archive|restore`: the `az ml` verbs of
versioned assets. The four groups differ only in their noun, so one function adds the verbs to
each group's Typer app; `component validate` lives in `component.py`. `environment prune` is the
one verb of a single group: it removes built environments, not registered versions.

No `from __future__ import annotations` here: the options' help texts name the group, so the
annotations must be evaluated where each command is defined, inside its factory.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

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
    emit,
)

LIST_COLUMNS = ["name", "version", "description", "creation_context.created_at", "archived"]

VersionOption = Annotated[
    str | None, typer.Option("--version", "-v", help="The version.", show_default=False)
]


@dataclass(frozen=True)
class AssetGroup:
    kind: str
    """The API's collection: components, data, environments, models."""
    noun: str
    """The CLI group: component, data, environment, model."""
    example_file: str
    example_name: str
    one: str
    """The noun with its article, for help texts."""


GROUPS = {
    "component": AssetGroup("components", "component", "train.yml", "train_model", "a component"),
    "data": AssetGroup("data", "data", "data.yml", "titanic", "a data asset"),
    "environment": AssetGroup(
        "environments", "environment", "env.yml", "sklearn-env", "an environment"
    ),
    "model": AssetGroup("models", "model", "model.yml", "flood-model", "a model"),
}


def group_app(noun: str, help_text: str) -> typer.Typer:
    """A Typer app for one asset group, with every asset verb."""
    app = typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None)
    add_asset_verbs(app, GROUPS[noun])
    return app


def add_asset_verbs(app: typer.Typer, group: AssetGroup) -> None:
    for register in (_create, _show, _list, _archive, _restore):
        register(app, group)


def _examples(*lines: str) -> str:
    return "\n\n\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines) + "\n"


def _create(app: typer.Typer, group: AssetGroup) -> None:
    def create(
        file: Annotated[
            Path,
            typer.Option("--file", "-f", help=f"The {group.noun} YAML file.", show_default=False),
        ],
        name: Annotated[
            str | None, typer.Option("--name", "-n", help="Override the name in the file.")
        ] = None,
        version: VersionOption = None,
        set_: SetOption = None,
        workspace: WorkspaceOption = "default",
        resource_group: ResourceGroupOption = None,
        subscription: SubscriptionOption = None,
        output: OutputOption = OutputFormat.json,
        query: QueryOption = None,
        debug: DebugOption = False,
    ) -> None:
        from cairn.cli.progress import upload_progress
        from cairn.cli.validation import check_file

        check_file(file)
        api = client(workspace, resource_group, subscription)
        with upload_progress(file.name) as progress:
            created = api.create_asset(
                group.kind,
                file,
                name=name,
                version=version,
                overrides=set_ or [],
                progress=progress,
            )
        emit(created, output, query)

    create.__doc__ = (
        f"Register a new version of {group.one} from its YAML file (local files it names "
        "are uploaded once, by content)."
        + _examples(
            f"cairn {group.noun} create --file {group.example_file}",
            f"cairn {group.noun} create -f {group.example_file} --version 2 --set description=x",
            f"cairn {group.noun} create -f {group.example_file} --query version -o tsv",
        )
    )
    app.command("create")(create)


def _show(app: typer.Typer, group: AssetGroup) -> None:
    def show(
        name: Annotated[
            str, typer.Option("--name", "-n", help=f"The {group.noun}'s name.", show_default=False)
        ],
        version: VersionOption = None,
        label: Annotated[
            str | None, typer.Option("--label", "-l", help="A label, e.g. `latest`.")
        ] = None,
        workspace: WorkspaceOption = "default",
        resource_group: ResourceGroupOption = None,
        subscription: SubscriptionOption = None,
        output: OutputOption = OutputFormat.json,
        query: QueryOption = None,
        debug: DebugOption = False,
    ) -> None:
        from cairn.errors import UsageError

        if version and label:
            raise UsageError("give --version or --label, not both")
        api = client(workspace, resource_group, subscription)
        emit(api.show_asset(group.kind, name, version=version, label=label), output, query)

    show.__doc__ = f"Show one version of {group.one} (default: the latest)." + _examples(
        f"cairn {group.noun} show --name {group.example_name}",
        f"cairn {group.noun} show -n {group.example_name} --version 1",
        f"cairn {group.noun} show -n {group.example_name} --label latest --query version -o tsv",
    )
    app.command("show")(show)


def _list(app: typer.Typer, group: AssetGroup) -> None:
    def list_(
        name: Annotated[
            str | None, typer.Option("--name", "-n", help="Every version of this one.")
        ] = None,
        max_results: Annotated[
            int | None, typer.Option("--max-results", "-r", help="At most this many.")
        ] = None,
        include_archived: Annotated[
            bool, typer.Option("--include-archived", help="Archived ones too.")
        ] = False,
        archived_only: Annotated[
            bool, typer.Option("--archived-only", help="Only archived ones.")
        ] = False,
        workspace: WorkspaceOption = "default",
        resource_group: ResourceGroupOption = None,
        subscription: SubscriptionOption = None,
        output: OutputOption = OutputFormat.table,
        query: QueryOption = None,
        debug: DebugOption = False,
    ) -> None:
        api = client(workspace, resource_group, subscription)
        found: list[dict[str, Any]] = api.list_assets(
            group.kind, name=name, include_archived=include_archived or archived_only
        )
        if archived_only:
            found = [a for a in found if a.get("archived")]
        if max_results is not None:
            found = found[:max_results]
        emit(found, output, query, columns=LIST_COLUMNS)

    list_.__doc__ = (
        f"List {group.kind} (the latest version of each), or every version of one."
        + _examples(
            f"cairn {group.noun} list",
            f'cairn {group.noun} list --name {group.example_name} --query "[].version" -o tsv',
            f"cairn {group.noun} list --include-archived -o json",
        )
    )
    app.command("list")(list_)


def _archive(app: typer.Typer, group: AssetGroup) -> None:
    _toggle(app, group, "archive", archived=True)


def _restore(app: typer.Typer, group: AssetGroup) -> None:
    _toggle(app, group, "restore", archived=False)


def _toggle(app: typer.Typer, group: AssetGroup, verb: str, *, archived: bool) -> None:
    def toggle(
        name: Annotated[
            str, typer.Option("--name", "-n", help=f"The {group.noun}'s name.", show_default=False)
        ],
        version: VersionOption = None,
        workspace: WorkspaceOption = "default",
        resource_group: ResourceGroupOption = None,
        subscription: SubscriptionOption = None,
        output: OutputOption = OutputFormat.json,
        query: QueryOption = None,
        debug: DebugOption = False,
    ) -> None:
        api = client(workspace, resource_group, subscription)
        changed = api.archive_asset(group.kind, name, version=version, archived=archived)
        emit(changed, output, query)

    what = "hidden from `list` (see `--include-archived`)" if archived else "listed again"
    toggle.__doc__ = (
        f"{verb.capitalize()} {group.one}: every version, or one with --version; "
        f"it is {what}."
        + _examples(
            f"cairn {group.noun} {verb} --name {group.example_name}",
            f"cairn {group.noun} {verb} -n {group.example_name} --version 1 -o json",
        )
    )
    app.command(verb)(toggle)


data_app = group_app("data", "Register and inspect data assets (`az ml data`).")


def parse_age(text: str) -> float:
    """`30d`, `12h`, `90m`, `45s` (or plain seconds) → seconds."""
    import re

    from cairn.errors import UsageError

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if match is None:
        raise UsageError(
            f"--older-than {text!r}: give a number with a unit s, m, h or d (e.g. 30d)"
        )
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _prune(app: typer.Typer) -> None:
    def prune(
        older_than: Annotated[
            str,
            typer.Option(
                "--older-than",
                help="Remove builds no step has used for this long: 30d, 12h, 90m, 45s.",
                show_default=False,
            ),
        ],
        workspace: WorkspaceOption = "default",
        resource_group: ResourceGroupOption = None,
        subscription: SubscriptionOption = None,
        output: OutputOption = OutputFormat.table,
        query: QueryOption = None,
        debug: DebugOption = False,
    ) -> None:
        seconds = parse_age(older_than)
        result = client(workspace, resource_group, subscription).prune_environments(seconds)
        if output is not OutputFormat.table or query:
            emit(result, output, query)
            return
        removed = result["removed"]
        if removed:
            emit(removed, output, columns=["identity", "last_used", "size_bytes", "freed_bytes"])
        typer.echo(
            f"removed {len(removed)} built environment{'' if len(removed) == 1 else 's'}, "
            f"freed {result['freed_bytes'] / 1e6:.1f} MB"
        )

    prune.__doc__ = (
        "Remove built environments that no step has used within --older-than (never one a "
        "running step uses). Their locks stay: a later build installs exactly the same packages."
        + _examples(
            "cairn environment prune --older-than 30d",
            "cairn environment prune --older-than 12h -o json",
        )
    )
    app.command("prune")(prune)


environment_app = group_app(
    "environment", "Register, inspect and prune environments (`az ml environment`)."
)
_prune(environment_app)
model_app = group_app("model", "Register and inspect models (`az ml model`).")
