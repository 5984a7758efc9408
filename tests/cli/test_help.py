"""Every command follows the same conventions: examples in its `--help`, and the `az` options on
every command that prints data. Checked on the command tree itself (in-process, fast)."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main

from cairn.cli.app import GROUPS, build

from .conftest import run_cairn

# Commands that print a result (rather than a stream, a log or a message) take `-o` and
# `--query`; those that reach a workspace also take `-w`, `-g` and `--subscription`.
NO_WORKSPACE = {"workspace", "server"}
OFFLINE = {("job", "validate"), ("component", "validate")}  # check files; reach no workspace
PRINTS_NO_DATA = {
    ("job", "stream"),
    ("job", "download"),
    ("job", "run-step"),
    ("compute", "delete"),
    ("datastore", "delete"),
    ("server", "start"),
    ("server", "stop"),
    ("server", "logs"),
    ("server", "run"),
}


def commands() -> list[tuple[str, str, Any]]:
    root = typer.main.get_command(build([]))
    assert set(root.commands) == set(GROUPS)  # type: ignore[attr-defined]
    found = []
    for group_name, group in root.commands.items():  # type: ignore[attr-defined]
        for name, command in group.commands.items():
            found.append((group_name, name, command))
    return found


@pytest.mark.parametrize(("group", "name", "command"), commands(), ids=lambda v: str(v)[:20])
def test_help_has_examples_and_the_az_options(group: str, name: str, command: Any) -> None:
    help_text = command.help or ""
    options = {opt for param in command.params for opt in param.opts}
    assert "--debug" in options
    if group != "server":
        assert "Examples:" in help_text and f"cairn {group} {name}" in help_text
    if (group, name) in PRINTS_NO_DATA:
        return
    assert {"-o", "--output", "--query"} <= options, f"{group} {name}"
    if group not in NO_WORKSPACE and (group, name) not in OFFLINE:
        assert {"-w", "--workspace-name", "-g", "--subscription"} <= options, f"{group} {name}"


def test_the_executable_lists_every_group() -> None:
    shown = run_cairn("--help")
    assert shown.code == 0
    listed = [line.split()[0] for line in shown.out.split("Commands:")[1].splitlines() if line]
    assert listed == list(GROUPS)
    assert run_cairn("data", "create", "--help").out.count("Examples:") == 1
