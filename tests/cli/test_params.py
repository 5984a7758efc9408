"""`cairn.cli.params` coerces simple option values itself (bypassing Typer's per-call pydantic
adapters): the values it accepts and the usage errors it gives, in-process through click's runner
and through the real executable."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from cairn.cli.params import install

from .conftest import run_cairn


class Colour(Enum):
    red = "red"
    blue = "blue"


def probe_app() -> typer.Typer:
    install()
    built = getattr(typer.core, "build_runtime_param", None)
    assert getattr(built, "_cairn_fast", False)  # the fast path is on
    app = typer.Typer()

    @app.command()
    def probe(
        count: Annotated[int, typer.Option()] = 1,
        ratio: Annotated[float, typer.Option()] = 0.5,
        flag: Annotated[bool, typer.Option("--flag/--no-flag")] = False,
        colour: Annotated[Colour, typer.Option()] = Colour.red,
        where: Annotated[Path | None, typer.Option()] = None,
        tag: Annotated[list[str] | None, typer.Option()] = None,
    ) -> None:
        typer.echo(repr((count, ratio, flag, colour.value, where, tag)))

    return app


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        ([], "(1, 0.5, False, 'red', None, None)"),
        (
            ["--count", "3", "--ratio", "2", "--flag", "--colour", "blue", "--where", "x"],
            "(3, 2.0, True, 'blue', PosixPath('x'), None)",
        ),
        (["--tag", "a", "--tag", "b"], "(1, 0.5, False, 'red', None, ['a', 'b'])"),
    ],
)
def test_simple_values_are_coerced_as_typer_would(argv: list[str], shown: str) -> None:
    result = CliRunner().invoke(probe_app(), argv)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == shown


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--count", "three"], "'three' is not a valid integer"),
        (["--ratio", "x"], "'x' is not a valid number"),
        (["--colour", "green"], "green"),
    ],
)
def test_bad_values_are_usage_errors(argv: list[str], says: str) -> None:
    result = CliRunner().invoke(probe_app(), argv)
    assert result.exit_code == 2
    assert says in result.output


def test_the_real_cli_refuses_a_bad_number_with_exit_2(tmp_path: Path) -> None:
    result = run_cairn(
        "job", "list", "--max-results", "many", env={"CAIRN_HOME": str(tmp_path / "home")}
    )
    assert result.code == 2
    assert "not a valid integer" in result.err
    assert "Traceback" not in result.err
