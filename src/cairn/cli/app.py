"""The `cairn` command: Azure ML's `az ml` verbs for Cairn.

Imports stay lazy so that every call starts fast: a command group's module is imported, and its
commands built, only when the command line names that group (`cairn --help` builds them all).
Every failure ends as one readable line on stderr with a hint and an exit status per error class
(`--debug` shows the traceback). Exit statuses: 0 success, 1 failure or invalid input, 2 usage
error, 3 not found, 4 not allowed.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import NoReturn

import typer

from cairn import __version__
from cairn.cli.common import DEBUG_ENV

HELP = (
    "Run Azure ML pipeline YAML on this machine, with one auditable record per job.\n\n"
    "\b\nExamples:\n"
    "  cairn job create --file pipeline.yml --stream\n"
    "  cairn job validate -f pipeline.yml --set settings.default_compute=local -o json\n"
    '  cairn job list --query "[].name" -o tsv\n'
    "  cairn component create --file train.yml\n"
    "  cairn compute create --file cpu-cluster.yml"
)

GROUPS: dict[str, tuple[str, str]] = {
    "job": ("cairn.cli.job", "app"),
    "component": ("cairn.cli.component", "app"),
    "data": ("cairn.cli.assets", "data_app"),
    "environment": ("cairn.cli.assets", "environment_app"),
    "model": ("cairn.cli.assets", "model_app"),
    "compute": ("cairn.cli.compute", "app"),
    "datastore": ("cairn.cli.datastore", "app"),
    "workspace": ("cairn.cli.workspace", "app"),
    "server": ("cairn.cli.server", "app"),
    "studio": ("cairn.cli.studio", "app"),
}
"""Command groups, in the order `cairn --help` lists them: the module and its Typer app."""


def build(argv: list[str]) -> typer.Typer:
    """The `cairn` app with the group `argv` names, or with every group."""
    app = typer.Typer(
        name="cairn",
        help=HELP,
        no_args_is_help=True,
        rich_markup_mode=None,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
    )
    app.callback()(root)
    named = next((a for a in argv if not a.startswith("-")), None)
    groups = [named] if named in GROUPS else [] if "--version" in argv else list(GROUPS)
    for group in groups:
        module, attribute = GROUPS[group]
        app.add_typer(getattr(importlib.import_module(module), attribute), name=group)
    return app


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cairn {__version__}")
        raise typer.Exit()


def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Cairn: Azure ML pipeline jobs, run locally."""


def main() -> NoReturn:
    """Entry point of the console script."""
    from cairn.cli.params import install

    install()
    debug = "--debug" in sys.argv[1:] or os.environ.get(DEBUG_ENV) == "1"
    if "--debug" in sys.argv[1:]:
        os.environ[DEBUG_ENV] = "1"
    try:
        status = build(sys.argv[1:])(standalone_mode=False)
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
