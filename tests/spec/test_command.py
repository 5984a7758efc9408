"""Command rendering: Azure's `str()` semantics, optional fragments, and no shell injection."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cairn.errors import InvalidSpec
from cairn.spec.command import render_command


def run(script: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_literals_render_like_azure() -> None:
    rendered = render_command(
        "t --flag ${{inputs.flag}} --lr ${{inputs.lr}} --n ${{inputs.n}}",
        {"flag": False, "lr": 1e-3, "n": 20},
        {},
    )
    assert rendered.display == "t --flag False --lr 0.001 --n 20"
    assert rendered.env == {
        "AZURE_ML_INPUT_flag": "False",
        "AZURE_ML_INPUT_lr": "0.001",
        "AZURE_ML_INPUT_n": "20",
    }


def test_optional_fragment_dropped_when_unset_and_kept_when_set() -> None:
    command = "t $[[--seed ${{inputs.seed}}]] $[[--lr ${{inputs.lr}}]]"
    rendered = render_command(command, {"seed": None, "lr": 0.1}, {})
    assert rendered.display == "t  --lr 0.1"


@pytest.mark.parametrize(
    "template",
    [
        "echo ${{inputs.msg}} > out.txt",
        'echo "${{inputs.msg}}" > out.txt',
        "echo 'pre${{inputs.msg}}post' > out.txt",
        "echo x $[[--m ${{inputs.msg}}]] > out.txt",
        'echo "$(printf %s ${{inputs.msg}})" > out.txt',
    ],
)
def test_values_are_never_run_as_code(tmp_path: Path, template: str) -> None:
    marker = tmp_path / "pwned"
    payloads = [
        f"x; touch {marker}",
        f"$(touch {marker})",
        f"`touch {marker}`",
        f"' ; touch {marker} ; '",
        f'" ; touch {marker} ; "',
        f"a\ntouch {marker}",
        f"x && touch {marker} #",
    ]
    for payload in payloads:
        rendered = render_command(template, {"msg": payload}, {})
        run(rendered.script, rendered.env, tmp_path)
        assert not marker.exists(), f"{payload!r} in {template!r} ran as code"
        written = (tmp_path / "out.txt").read_text()
        assert payload in written, f"{payload!r} did not arrive intact: {written!r}"


def test_single_quoted_context_keeps_the_surrounding_text(tmp_path: Path) -> None:
    rendered = render_command("printf %s 'a${{inputs.v}}b'", {"v": "it's"}, {})
    assert run(rendered.script, rendered.env, tmp_path) == "ait'sb"


def test_value_with_spaces_is_one_argument(tmp_path: Path) -> None:
    rendered = render_command("printf '[%s]' ${{inputs.v}}", {"v": "two words *"}, {})
    assert run(rendered.script, rendered.env, tmp_path) == "[two words *]"


def test_outputs_render_as_paths(tmp_path: Path) -> None:
    target = tmp_path / "out dir"
    target.mkdir()
    rendered = render_command("echo hi > ${{outputs.o}}/f.txt", {}, {"o": str(target)})
    run(rendered.script, rendered.env, tmp_path)
    assert (target / "f.txt").read_text() == "hi\n"


def test_missing_values_are_errors() -> None:
    with pytest.raises(InvalidSpec, match="has no value"):
        render_command("t ${{inputs.x}}", {"x": None}, {})
    with pytest.raises(InvalidSpec, match="no output"):
        render_command("t ${{outputs.y}}", {}, {})
    with pytest.raises(InvalidSpec, match="cannot be used in a command"):
        render_command("t ${{parent.inputs.x}}", {}, {})
