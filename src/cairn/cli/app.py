"""The `cairn` command: Azure ML's `az ml` verbs for Cairn.

Imports stay lazy (inside commands) so that `cairn --help` starts fast; every failure ends as one
readable line on stderr with a hint and an exit status per error class (`--debug` shows the
traceback). Exit statuses: 0 success, 1 failure or invalid input, 2 usage error, 3 not found.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import typer

from cairn import __version__
from cairn.cli import component, job, server
from cairn.cli.common import DEBUG_ENV

app = typer.Typer(
    name="cairn",
    help=(
        "Run Azure ML pipeline YAML on this machine, with one auditable record per job.\n\n"
        "\b\nExamples:\n"
        "  cairn job validate --file pipeline.yml\n"
        "  cairn job validate -f pipeline.yml --set settings.default_compute=local -o json\n"
        "  cairn component validate --file train.yml"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
app.add_typer(job.app, name="job")
app.add_typer(component.app, name="component")
app.add_typer(server.app, name="server")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cairn {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Cairn: Azure ML pipeline jobs, run locally."""


def main() -> NoReturn:
    """Entry point of the console script."""
    debug = "--debug" in sys.argv[1:] or os.environ.get(DEBUG_ENV) == "1"
    if "--debug" in sys.argv[1:]:
        os.environ[DEBUG_ENV] = "1"
    try:
        status = app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("Aborted.\n")
        sys.exit(130)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`cairn … | head`): stop quietly, as other Unix tools do.
        _silence_stdout()
        sys.exit(0)
    except SystemExit:
        raise
    except BaseException as exc:
        from cairn.cli.common import render_error

        sys.exit(render_error(exc, debug=debug))
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    sys.exit(status if isinstance(status, int) else 0)


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
