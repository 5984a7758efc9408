"""`cairn job validate` and `cairn component validate` through the real executable."""

from __future__ import annotations

import json
from pathlib import Path

from ruamel.yaml import YAML

from cairn import __version__

from .conftest import run_cairn

VALID = """\
type: pipeline
display_name: hello
settings:
  default_compute: local
inputs:
  greeting: hello
jobs:
  say:
    command: echo ${{inputs.text}} > ${{outputs.out}}/x.txt
    environment: azureml:AzureML-sklearn-1.0@latest
    inputs: {text: "${{parent.inputs.greeting}}"}
    outputs: {out: {type: uri_folder}}
  copy:
    command: cp -r ${{inputs.src}} ${{outputs.dst}}
    environment: azureml:AzureML-sklearn-1.0@latest
    inputs: {src: "${{parent.jobs.say.outputs.out}}"}
    outputs: {dst: {type: uri_folder}}
"""

INVALID = """\
type: pipeline
settings:
  default_compute: local
jobs:
  say:
    command: echo hi
    environment: azureml:env
    compte: x
  copy:
    command: cp ${{inputs.src}} .
    environment: azureml:env
    inputs: {src: "${{parent.jobs.sai.outputs.out}}"}
"""


def write(tmp_path: Path, text: str, name: str = "pipeline.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_version_and_help() -> None:
    result = run_cairn("--version")
    assert (result.code, result.out.strip()) == (0, f"cairn {__version__}")
    result = run_cairn("--help")
    assert result.code == 0
    assert "job" in result.out and "component" in result.out
    result = run_cairn("job", "validate", "--help")
    assert result.code == 0 and "Examples" in result.out


def test_valid_pipeline_prints_its_graph(tmp_path: Path) -> None:
    result = run_cairn("job", "validate", "--file", str(write(tmp_path, VALID)))
    assert result.code == 0, result.err
    assert "valid pipeline job" in result.out
    assert "2 steps, 1 edges" in result.out
    copy_line = next(line for line in result.out.splitlines() if line.startswith("copy"))
    assert copy_line.split()[-1] == "say"


def test_invalid_pipeline_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, INVALID)
    result = run_cairn("job", "validate", "-f", str(path))
    assert result.code == 1
    assert "Traceback" not in result.out + result.err
    assert f"{path}:8:5: error[E101]: unknown key `compte` in `jobs.say`" in result.out
    assert f"{path}:12:19: error[E204]:" in result.out
    assert "hint: did you mean `say`?" in result.out
    assert "hint: did you mean `compute`?" in result.out
    assert "invalid — 2 errors, 0 warnings" in result.out


def test_output_formats_and_query(tmp_path: Path) -> None:
    path = str(write(tmp_path, INVALID))
    result = run_cairn("job", "validate", "-f", path, "-o", "json")
    data = json.loads(result.out)
    assert result.code == 1
    assert data["valid"] is False
    assert [d["code"] for d in data["diagnostics"]] == ["E101", "E204"]
    result = run_cairn("job", "validate", "-f", path, "-o", "yaml")
    assert YAML(typ="safe").load(result.out)["errors"] == 2
    valid = str(write(tmp_path, VALID, "ok.yml"))
    result = run_cairn("job", "validate", "-f", valid, "--query", "graph.steps[].id", "-o", "tsv")
    assert (result.code, result.out) == (0, "say\ncopy\n")
    result = run_cairn("job", "validate", "-f", valid, "--query", "valid", "-o", "tsv")
    assert result.out == "true\n"


def test_usage_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    for args in (
        ("job", "validate"),
        ("job", "validate", "--file", str(tmp_path / "missing.yml")),
        ("job", "validate", "--file", str(tmp_path)),
        ("job", "validate", "-f", str(write(tmp_path, VALID)), "-o", "xml"),
        ("job", "validate", "-f", str(write(tmp_path, VALID)), "--set", "no-equals"),
        ("job", "frobnicate"),
    ):
        result = run_cairn(*args)
        assert result.code == 2, (args, result)
        assert result.err.startswith("error: "), (args, result.err)
        assert "Traceback" not in result.err


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    args = ("job", "validate", "-f", str(write(tmp_path, VALID)), "--set", "x")
    assert "Traceback" not in run_cairn(*args).err
    result = run_cairn(*args, "--debug")
    assert result.code == 2
    assert "Traceback" in result.err


def test_component_validate(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    good = write(
        tmp_path,
        "name: hello\ntype: command\ncode: ./src\nenvironment: azureml:env:1\n"
        "inputs: {n: {type: integer}}\ncommand: echo ${{inputs.n}}\n",
        "c.yml",
    )
    assert run_cairn("component", "validate", "-f", str(good)).code == 0
    bad = write(tmp_path, "name: Hello-World\ncommand: echo\nenvironment: azureml:e\n", "d.yml")
    result = run_cairn("component", "validate", "-f", str(bad))
    assert result.code == 1 and "error[E105]" in result.out
