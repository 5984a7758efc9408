"""`cairn component …`: the `az ml component` verbs — `validate` here, the asset verbs (create,
show, list, archive, restore) from `assets.py`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cairn.cli.assets import GROUPS, add_asset_verbs
from cairn.cli.common import DebugOption, OutputFormat, OutputOption, QueryOption, SetOption

app = typer.Typer(
    help="Validate and register components (`az ml component`).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

FileOption = Annotated[
    Path, typer.Option("--file", "-f", help="The component YAML file.", show_default=False)
]


@app.command("validate")
def validate(
    file: FileOption,
    set_: SetOption = None,
    output: OutputOption = OutputFormat.table,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Check a component file (command or pipeline component) and the files it names.

    \b
    Examples:
      cairn component validate --file train.yml
      cairn component validate -f train.yml -o json

    """
    from cairn.cli.validation import check_file, print_report
    from cairn.spec.validate import validate_component_file

    check_file(file)
    report = validate_component_file(file, overrides=set_ or [])
    raise typer.Exit(print_report(report, output, query))


add_asset_verbs(app, GROUPS["component"])
