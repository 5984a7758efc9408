"""`cairn job …`: the `az ml job` verbs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cairn.cli.common import DebugOption, OutputFormat, OutputOption, QueryOption, SetOption

app = typer.Typer(
    help="Create, watch and inspect jobs (`az ml job`).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

FileOption = Annotated[
    Path, typer.Option("--file", "-f", help="The job YAML file.", show_default=False)
]


@app.command("validate")
def validate(
    file: FileOption,
    set_: SetOption = None,
    output: OutputOption = OutputFormat.table,
    query: QueryOption = None,
    debug: DebugOption = False,
) -> None:
    """Check a job file and everything it refers to, reporting every problem at once.

    Exits 0 when the job is valid (and prints its steps and their dependencies), 1 when it is
    not (listing each problem as file:line:col with a hint), 2 on usage errors.

    \b
    Examples:
      cairn job validate --file pipeline.yml
      cairn job validate -f pipeline.yml --set settings.default_compute=local
      cairn job validate -f pipeline.yml -o json --query "graph.steps[].id"

    """
    from cairn.cli.validation import check_file, print_report
    from cairn.spec.validate import validate_job_file

    check_file(file)
    report = validate_job_file(file, overrides=set_ or [])
    raise typer.Exit(print_report(report, output, query))
