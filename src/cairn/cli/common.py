"""What every command shares: output formats, `--query`, `--debug`, and error rendering."""

from __future__ import annotations

import sys
import traceback
from enum import StrEnum
from typing import Annotated, Any

import typer

DEBUG_ENV = "CAIRN_DEBUG"


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    jsonc = "jsonc"
    yaml = "yaml"
    tsv = "tsv"
    none = "none"


OutputOption = Annotated[
    OutputFormat,
    typer.Option(
        "--output",
        "-o",
        help="Output format: table, json, jsonc, yaml, tsv or none.",
        case_sensitive=False,
    ),
]
QueryOption = Annotated[
    str | None,
    typer.Option("--query", help="JMESPath query applied to the JSON result, as in `az`."),
]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show full tracebacks for errors.")]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a key before loading, as `az ml`: --set settings.force_rerun=true "
        "(repeatable).",
        metavar="KEY=VALUE",
    ),
]


def apply_query(data: Any, query: str | None) -> Any:
    if not query:
        return data
    import jmespath
    from jmespath.exceptions import JMESPathError

    from cairn.errors import UsageError

    try:
        return jmespath.search(query, data)
    except JMESPathError as exc:
        raise UsageError(f"--query {query!r} is not valid JMESPath: {exc}") from exc


def emit(
    data: Any, output: OutputFormat, query: str | None = None, *, columns: list[str] | None = None
) -> None:
    """Print a result the way `az` does for the chosen format (`columns` picks and orders the
    fields of a table)."""
    data = apply_query(data, query)
    if output is OutputFormat.none:
        return
    if output in (OutputFormat.json, OutputFormat.jsonc):
        import json

        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    elif output is OutputFormat.yaml:
        from ruamel.yaml import YAML

        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False
        yaml.dump(data, sys.stdout)
    elif output is OutputFormat.tsv:
        sys.stdout.write(to_tsv(data))
    else:
        from cairn.cli.tables import print_table

        print_table(data, columns=None if query else columns)


def to_tsv(data: Any) -> str:
    """`-o tsv` as in `az`: scalars bare, one line per list item, mapping values tab-separated."""
    if data is None:
        return ""
    if isinstance(data, list):
        return "".join(_row(item) for item in data)
    return _row(data)


def _row(item: Any) -> str:
    """One line: a mapping's or a list's scalar values, tab-separated (nested values dropped)."""
    if isinstance(item, dict | list):
        values = item.values() if isinstance(item, dict) else item
        return "\t".join(_scalar(v) for v in values if not isinstance(v, dict | list)) + "\n"
    return _scalar(item) + "\n"


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def render_error(exc: BaseException, *, debug: bool) -> int:
    """Print one readable line (and the traceback with --debug); return the exit status."""
    from typer._click.exceptions import NoArgsIsHelpError

    from cairn.errors import CairnError

    if isinstance(exc, NoArgsIsHelpError):  # `cairn` or `cairn job` alone: the help, as click
        sys.stderr.write(exc.format_message() + "\n")
        return 2
    usage = _usage_error(exc)
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    if usage is not None:
        message, hint = usage
        sys.stderr.write(f"error: {message}\n")
        if hint:
            sys.stderr.write(f"hint: {hint}\n")
        return 2
    if isinstance(exc, CairnError):
        sys.stderr.write(f"error: {exc.message}\n")
        hint = exc.hint or default_hint(exc, sys.argv[1:])
        if hint:
            sys.stderr.write(f"hint: {hint}\n")
        return exc.exit_code
    sys.stderr.write(f"internal error: {type(exc).__name__}: {exc}\n")
    if not debug:
        sys.stderr.write("hint: run again with --debug to see the traceback, and report it\n")
    return 1


_LISTS = {
    "job": "cairn job list",
    "component": "cairn component list",
    "data": "cairn data list",
    "environment": "cairn environment list",
    "model": "cairn model list",
    "compute": "cairn compute list",
    "datastore": "cairn datastore list",
    "workspace": "cairn workspace list",
}


def default_hint(exc: BaseException, argv: list[str]) -> str | None:
    """A hint for errors raised without one, from the error's class and the command group."""
    from cairn.errors import Conflict, NotFound, Unauthenticated

    group = next((a for a in argv if not a.startswith("-")), "")
    if isinstance(exc, NotFound):
        listing = _LISTS.get(group)
        if listing is None:
            return "check the name and the workspace (-w)"
        return f"check the name and the workspace (-w); `{listing}` shows what exists"
    if isinstance(exc, Conflict):
        return f"`{_LISTS[group]}` shows what exists now" if group in _LISTS else None
    if isinstance(exc, Unauthenticated):
        return "the token does not match the server's; check CAIRN_TOKEN or the home's run/token"
    return None


def _usage_error(exc: BaseException) -> tuple[str, str | None] | None:
    from typer._click.exceptions import UsageError as ClickUsageError  # typer vendors click

    if isinstance(exc, ClickUsageError):
        command = exc.ctx.command_path if exc.ctx is not None else "cairn"
        return exc.format_message(), f"see `{command} --help`"
    return None


WorkspaceOption = Annotated[
    str,
    typer.Option(
        "--workspace-name",
        "-w",
        help="The workspace (default: `default`).",
        envvar="CAIRN_WORKSPACE",
    ),
]
ResourceGroupOption = Annotated[
    str | None,
    typer.Option(
        "--resource-group", "-g", help="Accepted for Azure runbooks; ignored.", hidden=True
    ),
]
SubscriptionOption = Annotated[
    str | None,
    typer.Option("--subscription", help="Accepted for Azure runbooks; ignored.", hidden=True),
]


def confirm_delete(what: str, yes: bool) -> None:
    """Ask before deleting, as `az` does, unless --yes or nobody is at a terminal to answer."""
    if yes or not sys.stdin.isatty():
        return
    if not typer.confirm(f"Delete {what}?", default=False, err=True):
        raise typer.Exit(1)


def client(
    workspace: str = "default", resource_group: str | None = None, subscription: str | None = None
) -> Any:
    """A client for the server of this Cairn home (started if it is not running)."""
    for flag, value in (("--resource-group", resource_group), ("--subscription", subscription)):
        if value:
            sys.stderr.write(f"note: {flag} is an Azure setting; Cairn ignores it\n")
    from cairn.client.local import connect

    return connect(workspace=workspace)
