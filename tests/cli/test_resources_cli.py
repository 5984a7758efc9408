"""Assets, computes, datastores and workspaces end to end through the real `cairn` executable,
and how every command fails: one line and a hint, an exit status per class, no traceback."""

from __future__ import annotations

import os
import pty
import subprocess
from typing import TYPE_CHECKING

import pytest

from .conftest import CAIRN, ENV, HELLO

if TYPE_CHECKING:
    from .conftest import Cairn

COMPONENT = """
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: shout
version: 1
display_name: Shout
type: command
inputs:
  word: {type: string}
outputs:
  out: {type: uri_folder}
code: ./src
command: python shout.py ${{inputs.word}} ${{outputs.out}}
environment: @ENV@
""".replace("@ENV@", ENV)

SHOUT_PY = """
import pathlib, sys
pathlib.Path(sys.argv[2], "loud.txt").write_text(sys.argv[1].upper())
print("shouted", sys.argv[1])
"""

CLUSTER = """
$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json
name: cpu-cluster
type: amlcompute
size: STANDARD_DS3_v2
min_instances: 0
max_instances: 1
idle_time_before_scale_down: 120
"""

ON_CLUSTER = """
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
settings:
  default_compute: azureml:cpu-cluster
jobs:
  first:
    component: azureml:cluster_shout:1
    inputs: {word: one}
  second:
    component: azureml:cluster_shout@latest
    compute: azureml:cpu-cluster
    inputs: {word: two}
"""

ACCOUNT_KEY = "c2VjcmV0LWtleS10aGF0LW11c3QtbmV2ZXItYmUtcHJpbnRlZA=="
BLOB = f"""
$schema: https://azuremlschemas.azureedge.net/latest/azureBlob.schema.json
name: blob_example
type: azure_blob
description: Datastore pointing to a blob container.
account_name: mytestblobstore
container_name: data-container
credentials:
  account_key: {ACCOUNT_KEY}
"""


@pytest.fixture(scope="module")
def project(cli: Cairn) -> Cairn:
    cli.write("component.yml", COMPONENT)
    cli.write("src/shout.py", SHOUT_PY)
    cli.write("cluster.yml", CLUSTER)
    cli.write("on-cluster.yml", ON_CLUSTER)
    cli.write("blob.yml", BLOB)
    cli.write("titanic/train.csv", "age,fare\n22,7.25\n")
    cli.write(
        "data.yml",
        """
        $schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
        name: titanic
        description: Passengers.
        path: titanic
        version: 1
        """,
    )
    cli.write("model/MLmodel", "flavors: {}\n")
    cli.write(
        "model.yml",
        """
        $schema: https://azuremlschemas.azureedge.net/latest/model.schema.json
        name: flood-model
        path: model
        type: mlflow_model
        """,
    )
    cli.write(
        "env.yml",
        """
        $schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json
        name: sklearn-env
        version: 1
        image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest
        """,
    )
    return cli


def test_component_create_show_list_archive_restore(project: Cairn) -> None:
    cli = project
    created = cli.ok("component", "create", "--file", "component.yml").json()
    assert (created["name"], created["version"], created["kind"]) == ("shout", "1", "component")
    second = cli.ok(
        "component",
        "create",
        "-f",
        "component.yml",
        "--version",
        "2",
        "--set",
        "display_name=Shout louder",
        "--query",
        "version",
        "-o",
        "tsv",
    )
    assert second.out == "2\n"
    assert (
        cli.ok("component", "show", "-n", "shout", "--query", "version", "-o", "tsv").out == "2\n"
    )
    shown = cli.ok("component", "show", "-n", "shout", "-v", "1", "-o", "yaml").out
    assert "version: '1'" in shown
    latest = cli.ok(
        "component", "show", "-n", "shout", "--label", "latest", "--query", "version", "-o", "tsv"
    )
    assert latest.out == "2\n"
    listed = cli.ok("component", "list").out
    assert listed.splitlines()[0].split()[:2] == ["name", "version"] and "shout" in listed
    versions = cli.ok("component", "list", "-n", "shout", "--query", "[].version", "-o", "tsv")
    assert sorted(versions.out.split()) == ["1", "2"]
    cli.ok("component", "archive", "-n", "shout", "--version", "2", "-o", "none")
    assert (
        cli.ok("component", "show", "-n", "shout", "--query", "version", "-o", "tsv").out == "1\n"
    )
    assert (
        cli.ok("component", "list", "-n", "shout", "--query", "length(@)", "-o", "tsv").out == "1\n"
    )
    archived = cli.ok(
        "component", "list", "--archived-only", "-n", "shout", "--query", "[].version", "-o", "tsv"
    )
    assert archived.out == "2\n"
    cli.ok("component", "restore", "-n", "shout", "-v", "2")
    assert (
        cli.ok("component", "show", "-n", "shout", "--query", "version", "-o", "tsv").out == "2\n"
    )
    both = cli("component", "show", "-n", "shout", "-v", "1", "-l", "latest")
    assert both.code == 2 and "not both" in both.err


@pytest.mark.parametrize(
    ("group", "file", "name"),
    [
        ("data", "data.yml", "titanic"),
        ("model", "model.yml", "flood-model"),
        ("environment", "env.yml", "sklearn-env"),
    ],
)
def test_asset_verbs(project: Cairn, group: str, file: str, name: str) -> None:
    cli = project
    first = cli.ok(group, "create", "-f", file).json()
    assert first["name"] == name
    again = cli.ok(group, "create", "-f", file, "--version", "7", "--query", "version", "-o", "tsv")
    assert again.out == "7\n"
    assert cli.ok(group, "show", "--name", name, "--query", "version", "-o", "tsv").out == "7\n"
    assert (
        cli.ok(
            group, "show", "-n", name, "-v", first["version"], "--query", "name", "-o", "tsv"
        ).out
        == f"{name}\n"
    )
    assert name in cli.ok(group, "list", "--query", "[].name", "-o", "tsv").out.split()
    cli.ok(group, "archive", "--name", name)
    assert name not in cli.ok(group, "list", "--query", "[].name", "-o", "tsv").out.split()
    gone = cli(group, "show", "-n", name)
    assert gone.code == 3 and gone.err.startswith("error: ") and "hint: " in gone.err
    assert (
        cli.ok(
            group, "list", "--include-archived", "-n", name, "--query", "length(@)", "-o", "tsv"
        ).out
        == "2\n"
    )
    cli.ok(group, "restore", "--name", name)
    assert cli.ok(group, "show", "-n", name, "--query", "archived", "-o", "tsv").out == "false\n"


def test_data_upload_is_content_addressed(project: Cairn) -> None:
    cli = project
    one = cli.ok("data", "create", "-f", "data.yml", "--name", "titanic-copy").json()
    two = cli.ok("data", "create", "-f", "data.yml", "--name", "titanic-copy", "-v", "2").json()
    assert one["content_hash"] == two["content_hash"]
    assert one["spec"]["path"] == two["spec"]["path"]


def test_compute_from_azure_yaml_runs_a_pipeline(project: Cairn) -> None:
    cli = project
    cli.ok("component", "create", "--file", "component.yml", "--name", "cluster_shout")
    created = cli.ok("compute", "create", "--file", "cluster.yml").json()
    assert (created["name"], created["type"], created["max_instances"]) == (
        "cpu-cluster",
        "amlcompute",
        1,
    )
    listed = cli.ok("compute", "list", "--query", "[].name", "-o", "tsv").out.split()
    assert listed[0] == "local" and "cpu-cluster" in listed
    assert (
        cli.ok("compute", "show", "-n", "cpu-cluster", "--query", "spec.size", "-o", "tsv").out
        == "STANDARD_DS3_v2\n"
    )
    run = cli("job", "create", "-f", "on-cluster.yml", "--stream", timeout=120)
    assert run.code == 0, run.err
    name = cli.ok("job", "list", "-r", "1", "--query", "[0].name", "-o", "tsv").out.strip()
    computes = cli.ok("job", "list", "-p", name, "--query", "[].compute", "-o", "tsv").out.split()
    assert computes == ["cpu-cluster", "cpu-cluster"]
    assert "shouted one" in run.out and "shouted two" in run.out
    flags = cli.ok(
        "compute",
        "create",
        "-n",
        "tiny",
        "--type",
        "amlcompute",
        "--max-instances",
        "2",
        "--query",
        "max_instances",
        "-o",
        "tsv",
    )
    assert flags.out == "2\n"
    cli.ok("compute", "delete", "-n", "tiny", "--yes")
    assert cli("compute", "show", "-n", "tiny").code == 3
    neither = cli("compute", "create", "--name", "x")
    assert neither.code == 2 and "--type" in neither.err
    builtin = cli("compute", "create", "-n", "local", "--type", "local")
    assert builtin.code == 2 and "built in" in builtin.err


def test_datastores_never_print_secrets(project: Cairn) -> None:
    cli = project
    outputs = [cli.ok("datastore", "create", "--file", "blob.yml")]
    outputs += [
        cli.ok("datastore", "show", "-n", "blob_example", "-o", fmt)
        for fmt in ("json", "yaml", "table", "tsv")
    ]
    outputs += [cli.ok("datastore", "list", "-o", fmt) for fmt in ("json", "table")]
    for result in outputs:
        assert ACCOUNT_KEY not in result.out + result.err
    shown = outputs[1].json()
    assert shown["account_name"] == "mytestblobstore"
    assert shown["credentials"] == {"type": "account_key"}
    names = cli.ok("datastore", "list", "--query", "[].name", "-o", "tsv").out.split()
    assert names[:2] == ["workspaceblobstore", "workspaceartifactstore"] and "blob_example" in names
    builtin = cli.ok("datastore", "show", "-n", "workspaceblobstore").json()
    assert builtin["is_default"] is True and builtin["builtin"] is True
    # A second create of the same name fails after its document was uploaded: no copy stays.
    assert cli("datastore", "create", "--file", "blob.yml").code != 0
    plain = [
        path
        for path in cli.home.rglob("*")
        if path.is_file() and ACCOUNT_KEY.encode() in path.read_bytes()
    ]
    assert plain == [], "the account key is on disk in plain text"
    assert any((cli.home / "cairn.db").read_bytes())  # the scan read the real store
    cli.ok("datastore", "delete", "-n", "blob_example", "-y")
    assert cli("datastore", "show", "-n", "blob_example").code == 3


def test_workspaces(project: Cairn) -> None:
    cli = project
    created = cli.ok("workspace", "create", "--name", "risk", "--description", "flood models")
    assert created.json()["name"] == "risk"
    assert (
        cli.ok("workspace", "show", "-n", "risk", "--query", "description", "-o", "tsv").out
        == "flood models\n"
    )
    names = cli.ok("workspace", "list", "--query", "[].name", "-o", "tsv").out.split()
    assert {"default", "risk"} <= set(names)
    cli.ok("data", "create", "-f", "data.yml", "--name", "risk-only", "-w", "risk")
    assert "risk-only" in cli.ok("data", "list", "-w", "risk", "-o", "tsv").out
    assert "risk-only" not in cli.ok("data", "list", "-o", "tsv").out
    cli.write("hello.yml", HELLO)
    ran = cli("job", "create", "-f", "hello.yml", "-w", "risk", "--stream")
    assert ran.code == 0 and ": Completed" in ran.out, ran.err  # each workspace has its engine
    only = cli.ok("job", "list", "-w", "risk", "--query", "[].experiment_name", "-o", "tsv")
    assert only.out == "cli-tests\n"
    unknown = cli("data", "list", "-w", "nowhere")
    assert unknown.code == 3 and "nowhere" in unknown.err
    taken = cli("workspace", "create", "-n", "risk")
    assert taken.code == 1 and "hint: " in taken.err


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("job", "show"), 2, "Missing option '--name'"),
        (("job", "show", "-n", "x", "--bogus"), 2, "No such option"),
        (("job", "list", "-o", "xml"), 2, "'xml' is not one of"),
        (("job", "list", "-r", "many"), 2, "'many' is not a valid integer"),
        (("compute", "create", "-n", "c", "-t", "local", "--max-instances", "0"), 2, "1"),
        (("data", "create"), 2, "--file"),
        (("compute", "delete", "-n", "nope", "-y"), 3, "nope"),
        (("model", "show", "-n", "nope"), 3, "nope"),
        (("environment", "archive", "-n", "nope"), 3, "nope"),
        (("datastore", "show", "-n", "nope"), 3, "nope"),
        (("workspace", "show", "-n", "nope"), 3, "nope"),
        (("component", "create", "-f", "data.yml"), 1, "data.yml"),
        (("model", "create", "-f", "no-such.yml"), 2, "no such file"),
    ],
)
def test_errors_are_one_line_with_a_hint(
    project: Cairn, args: tuple[str, ...], code: int, says: str
) -> None:
    result = project(*args)
    assert result.code == code, result.err
    assert says in result.err
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert lines[0].startswith("error: ")
    assert any(line.startswith("hint: ") for line in lines)


def test_debug_shows_the_traceback(project: Cairn) -> None:
    result = project("model", "show", "-n", "nope", "--debug")
    assert result.code == 3 and "Traceback" in result.err and "error: " in result.err


def test_upload_progress_shows_on_a_terminal_only(project: Cairn) -> None:
    cli = project
    (cli.project / "big").mkdir()
    (cli.project / "big" / "blob.bin").write_bytes(os.urandom(8 << 20))
    cli.write("big.yml", "name: big\npath: big\ntype: uri_folder\n")
    master, slave = pty.openpty()
    env = {**os.environ, "CAIRN_HOME": str(cli.home), "COLUMNS": "120"}
    with subprocess.Popen(
        [str(CAIRN), "data", "create", "-f", "big.yml", "--query", "name", "-o", "tsv"],
        cwd=cli.project,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    ) as proc:
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the command ended
                break
            if not chunk:
                break
            seen += chunk
        out = proc.stdout.read() if proc.stdout else b""
    os.close(master)
    assert proc.returncode == 0 and out == b"big\n"
    assert b"uploading big.yml" in seen
    again = cli.ok("data", "create", "-f", "big.yml", "-v", "2", "--query", "name", "-o", "tsv")
    assert again.err == ""  # not a terminal: no progress (and nothing left to send)


TO_LOCAL_STORE = """
type: pipeline
settings:
  default_compute: local
jobs:
  save:
    type: command
    command: echo kept > ${{outputs.out}}/kept.txt
    environment: @ENV@
    outputs:
      out:
        type: uri_folder
        path: azureml://datastores/shelf/paths/results/
""".replace("@ENV@", ENV)


def test_a_local_datastore_is_the_folder_the_file_names(project: Cairn) -> None:
    cli = project
    cli.write("shelf/existing.txt", "x" * 1000)
    cli.write("shelf.yml", "name: shelf\ntype: local\npath: ./shelf\n")
    blobs = cli.home / "blobs"
    before = sum(1 for p in blobs.rglob("*") if p.is_file())
    shown = cli.ok("datastore", "create", "-f", "shelf.yml").json()
    assert shown["path"] == str((cli.project / "shelf").resolve())
    assert sum(1 for p in blobs.rglob("*") if p.is_file()) == before  # no copy of the folder kept
    cli.write("to-shelf.yml", TO_LOCAL_STORE)
    ran = cli("job", "create", "-f", "to-shelf.yml", "--stream")
    assert ran.code == 0, ran.out + ran.err
    assert (cli.project / "shelf" / "results" / "kept.txt").read_text() == "kept\n"
