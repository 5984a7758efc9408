"""The CLI reference (`docs/cli.md`), generated from the CLI itself so it cannot drift: every
command's `--help`, in the order `cairn --help` lists them. A test regenerates it and compares.

    .venv/bin/python -m cairn.cli.reference docs/cli.md
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from cairn.cli.app import build

WIDTH = 100
HEADER = """\
# Cairn CLI reference

Generated from the CLI itself (`python -m cairn.cli.reference docs/cli.md`); a test fails when
this file is stale. Every command also answers `--help`.

Global behaviour: `-o/--output` (`json`, `jsonc`, `yaml`, `table`, `tsv`, `none`) and `--query`
(JMESPath) on every command that prints data, as `az` has them; `-w/--workspace-name` picks the
workspace; `-g/--resource-group` and `--subscription` are accepted and ignored; `--debug` shows
tracebacks. Exit statuses: 0 success, 1 failure or invalid input, 2 usage error, 3 not found,
4 not allowed.
"""


def render() -> str:
    from typer._click import Context  # typer vendors click; its Context renders help

    root = typer.main.get_command(build([]))
    parts = [HEADER]
    parts.append(_section("cairn", root, Context(root, info_name="cairn", max_content_width=WIDTH)))
    commands: dict[str, Any] = getattr(root, "commands", {})
    for group_name, group in commands.items():
        group_ctx = Context(group, info_name=group_name, max_content_width=WIDTH)
        parts.append(_section(f"cairn {group_name}", group, group_ctx))
        for name, command in getattr(group, "commands", {}).items():
            ctx = Context(command, info_name=f"{group_name} {name}", max_content_width=WIDTH)
            parts.append(_section(f"cairn {group_name} {name}", command, ctx, level=3))
    return "\n".join(parts)


def _section(title: str, command: Any, ctx: Any, level: int = 2) -> str:
    text = (
        command.get_help(ctx).replace("Usage: ", "Usage: cairn ", 1)
        if title != "cairn"
        else command.get_help(ctx)
    )
    text = text.replace("Usage: cairn cairn", "Usage: cairn")
    return f"{'#' * level} `{title}`\n\n```text\n{text.rstrip()}\n```\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if args:
        Path(args[0]).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
