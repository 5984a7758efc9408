"""`cairn job …` end to end through the real executable and a real local server."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from ruamel.yaml import YAML

from .conftest import ENV, HELLO

if TYPE_CHECKING:
    from .conftest import Cairn

FAILING = """
type: pipeline
display_name: failing
settings:
  default_compute: local
jobs:
  prepare:
    type: command
    command: echo prepared > ${{outputs.done}}/x
    environment: @ENV@
    outputs:
      done:
        type: uri_folder
  crash:
    type: command
    command: ls ${{inputs.after}} && echo "loading shard 7" && echo "shard 7 is corrupt" && exit 3
    environment: @ENV@
    inputs:
      after: ${{parent.jobs.prepare.outputs.done}}
    outputs:
      out:
        type: uri_folder
  report:
    type: command
    command: ls ${{inputs.src}}
    environment: @ENV@
    inputs:
      src: ${{parent.jobs.crash.outputs.out}}
""".replace("@ENV@", ENV)

SLOW = """
type: pipeline
display_name: slow
settings:
  default_compute: local
jobs:
  nap:
    type: command
    command: echo napping && sleep 120
    environment: @ENV@
""".replace("@ENV@", ENV)


@pytest.fixture(scope="module")
def hello(cli: Cairn) -> str:
    """A completed run of HELLO, with `greeting` set from the command line."""
    cli.write("hello.yml", HELLO)
    created = cli.ok(
        "job", "create", "-f", "hello.yml", "--set", "inputs.greeting=bonjour", "-o", "json"
    ).json()
    assert created["status"] in ("NotStarted", "Queued", "Preparing", "Running", "Completed")
    assert created["inputs"]["greeting"] == "bonjour"
    assert cli.wait(created["name"]) == "Completed"
    return str(created["name"])


def test_show_in_every_output_format(cli: Cairn, hello: str) -> None:
    shown = cli.ok("job", "show", "-n", hello).json()  # json is the default
    assert shown["name"] == hello and shown["status"] == "Completed"
    assert set(shown["jobs"]) == {"make", "shout"}
    assert json.loads(cli.ok("job", "show", "-n", hello, "-o", "jsonc").out)["name"] == hello
    assert (
        YAML(typ="safe").load(cli.ok("job", "show", "-n", hello, "-o", "yaml").out)["display_name"]
        == "hello"
    )
    table = cli.ok("job", "show", "-n", hello, "-o", "table").out
    assert any(line.split()[:2] == ["status", "Completed"] for line in table.splitlines())
    tsv = cli.ok("job", "show", "-n", hello, "-o", "tsv").out
    assert hello in tsv.split("\t") and "Completed" in tsv.split("\t")
    assert cli.ok("job", "show", "-n", hello, "-o", "none").out == ""


def test_show_with_query(cli: Cairn, hello: str) -> None:
    assert cli.ok("job", "show", "-n", hello, "--query", "status", "-o", "tsv").out == "Completed\n"
    steps = cli.ok(
        "job", "show", "-n", hello, "--query", "jobs.*.[display_name, status]", "-o", "tsv"
    ).out
    assert sorted(steps.splitlines()) == ["make\tCompleted", "shout\tCompleted"]
    assert cli.ok(
        "job", "show", "-n", hello, "--query", "services.Studio.endpoint", "-o", "tsv"
    ).out
    bad = cli("job", "show", "-n", hello, "--query", "jobs[")
    assert bad.code == 2 and "not valid JMESPath" in bad.err and "Traceback" not in bad.err


def test_list_and_children(cli: Cairn, hello: str) -> None:
    names = cli.ok("job", "list", "--query", "[].name", "-o", "tsv").out.split()
    assert hello in names
    table = cli.ok("job", "list").out
    assert "display_name" in table.splitlines()[0] and hello in table
    children = cli.ok("job", "list", "--parent-job-name", hello, "--query", "[].name", "-o", "tsv")
    assert len(children.out.split()) == 2
    parents = cli.ok("job", "list", "-p", hello, "--query", "[].parent_job_name", "-o", "tsv")
    assert set(parents.out.split()) == {hello}
    assert hello in cli.ok("job", "list", "--experiment-name", "cli-tests", "-o", "tsv").out
    completed = cli.ok("job", "list", "--status", "Completed", "--query", "[].name", "-o", "json")
    assert hello in completed.json()
    assert hello not in cli.ok("job", "list", "--status", "Failed", "-o", "tsv").out
    assert cli.ok("job", "list", "-r", "1", "--query", "length(@)", "-o", "tsv").out == "1\n"


def test_download_one_output_and_everything(cli: Cairn, hello: str) -> None:
    cli.ok("job", "download", "-n", hello, "--output-name", "final", "--download-path", "one")
    loud = cli.project / "one" / "named-outputs" / "final" / "loud.txt"
    assert loud.read_text().strip() == "BONJOUR"
    assert not (cli.project / "one" / "artifacts").exists()
    cli.ok("job", "download", "-n", hello, "--all", "-p", "all")
    assert (cli.project / "all" / "named-outputs" / "final" / "loud.txt").exists()
    logs = sorted(
        p.relative_to(cli.project / "all").as_posix()
        for p in (cli.project / "all" / "artifacts").rglob("std_log.txt")
    )
    assert logs == ["artifacts/make/user_logs/std_log.txt", "artifacts/shout/user_logs/std_log.txt"]
    missing = cli("job", "download", "-n", hello, "--output-name", "nope")
    assert missing.code == 3 and "final" in missing.err


def test_stream_completed_exits_zero(cli: Cairn, hello: str) -> None:
    streamed = cli.ok("job", "stream", "-n", hello)
    assert "[shout]" in streamed.out and "bonjour" in streamed.out
    assert f"{hello}: Completed" in streamed.out


def test_stream_failed_names_the_root_failing_step(cli: Cairn) -> None:
    cli.write("failing.yml", FAILING)
    result = cli("job", "create", "-f", "failing.yml", "--stream", timeout=120)
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    assert ": Failed" in result.out
    assert "root failure: step `crash`" in result.out
    root = result.out[result.out.index("root failure") :]
    assert "shard 7 is corrupt" in root  # the last log lines of the failing step
    name = cli.ok(
        "job", "list", "--status", "Failed", "-r", "1", "--query", "[0].name", "-o", "tsv"
    )
    shown = cli.ok("job", "show", "-n", name.out.strip()).json()
    assert shown["jobs"]["report"]["status"] in ("Canceled", "NotStarted")
    again = cli("job", "stream", "-n", name.out.strip())
    assert again.code == 1 and "root failure: step `crash`" in again.out


def test_cancel_a_running_job(cli: Cairn) -> None:
    cli.write("slow.yml", SLOW)
    name = cli.ok("job", "create", "-f", "slow.yml", "--query", "name", "-o", "tsv").out.strip()
    cli.wait(name, until={"Running"})
    step = cli.ok("job", "list", "-p", name, "--query", "[0].name", "-o", "tsv").out.strip()
    assert cli.wait(step, until={"Running"}) == "Running"
    canceled = cli.ok("job", "cancel", "-n", name, "--query", "status", "-o", "tsv").out.strip()
    assert canceled in ("CancelRequested", "Canceled")
    assert cli.wait(name, timeout=30) == "Canceled"
    assert cli.status(step) == "Canceled"
    again = cli("job", "cancel", "-n", name)
    assert again.code == 1 and "already Canceled" in again.err and "Traceback" not in again.err


def test_create_with_a_name_and_errors(cli: Cairn, hello: str) -> None:
    taken = cli("job", "create", "-f", "hello.yml", "--name", hello)
    assert taken.code == 1 and "already exists" in taken.err
    assert cli("job", "show", "-n", "no_such_job").code == 3
    missing = cli("job", "create", "-f", "nowhere.yml")
    assert missing.code == 2 and "no such file" in missing.err
    cli.write("broken.yml", "type: pipeline\njobs:\n  a:\n    type: command\n")
    invalid = cli("job", "create", "-f", "broken.yml")
    assert invalid.code == 1 and "broken.yml" in invalid.err and "Traceback" not in invalid.err


def test_archive_and_restore(cli: Cairn, hello: str) -> None:
    cli.ok("job", "archive", "-n", hello, "-o", "none")
    assert hello not in cli.ok("job", "list", "--query", "[].name", "-o", "tsv").out.split()
    archived = cli.ok("job", "list", "--archived-only", "--query", "[].name", "-o", "tsv")
    assert archived.out.split() == [hello]
    restored = cli.ok("job", "restore", "-n", hello, "--query", "archived", "-o", "tsv")
    assert restored.out == "false\n"
    assert hello in cli.ok("job", "list", "--query", "[].name", "-o", "tsv").out.split()
