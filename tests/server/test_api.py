"""The REST API through the Python client, against a real server process: uploads by content,
the checks on what a client sends, and errors that come back as the class the server raised."""

from __future__ import annotations

import subprocess
import textwrap
from typing import TYPE_CHECKING

import pytest

from cairn.client import Client
from cairn.data.hashing import format_hash
from cairn.errors import NotFound, PathNotAllowed, ServerUnavailable, UsageError
from cairn.spec.validate import validate_job_file

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from .conftest import Served

PIPELINE = """
type: pipeline
jobs:
  a:
    type: command
    code: ./src
    command: python run.py
    environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
"""


@pytest.fixture
def api(served: Served) -> Iterator[Client]:
    with Client(served.url, served.token) as client:
        yield client


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "run.py").write_bytes(b"print('x')\n" + bytes(range(256)) * 4096)
    (tmp_path / "pipeline.yml").write_text(textwrap.dedent(PIPELINE))
    return tmp_path / "pipeline.yml"


def test_uploads_send_each_content_once_and_report_bytes(api: Client, project: Path) -> None:
    report = validate_job_file(project)
    seen: list[tuple[int, int]] = []
    first = api.upload_document(
        project, report, progress=lambda sent, total: seen.append((sent, total))
    )
    size = sum(p.stat().st_size for p in (project, project.parent / "src" / "run.py"))
    assert seen and seen[-1] == (size, size)
    assert [sent for sent, _ in seen] == sorted(sent for sent, _ in seen)
    assert (
        set(first["files"]) == {"pipeline.yml", "src/run.py"} and first["entry"] == "pipeline.yml"
    )
    again: list[tuple[int, int]] = []
    assert api.upload_document(project, report, progress=lambda s, t: again.append((s, t))) == first
    assert again == []  # nothing left to send


def test_a_blob_must_hash_to_its_name(api: Client) -> None:
    import blake3

    content = b"some bytes"
    right = format_hash(blake3.blake3(content).digest())
    assert api.request("PUT", f"/blobs/{right}", content=content).json()["hash"] == right
    with pytest.raises(UsageError, match="hash to"):
        api.request("PUT", "/blobs/blake3:" + "1" * 64, content=content)
    with pytest.raises(UsageError, match="not a content hash"):
        api.request("PUT", "/blobs/sha256:abc", content=content)


def test_manifests_are_checked(api: Client) -> None:
    import blake3

    content = b"type: pipeline\njobs: {}\n"
    digest = format_hash(blake3.blake3(content).digest())
    api.request("PUT", f"/blobs/{digest}", content=content)
    with pytest.raises(UsageError, match="both as a file and as a folder"):
        api.post(
            "/workspaces/default/jobs",
            {"files": {"a": digest, "a/p.yml": digest}, "entry": "a/p.yml"},
        )
    with pytest.raises(PathNotAllowed):
        api.post("/workspaces/default/jobs", {"files": {"../p.yml": digest}, "entry": "../p.yml"})
    with pytest.raises(NotFound, match="not uploaded"):
        missing = "blake3:" + "2" * 64
        api.post("/workspaces/default/jobs", {"files": {"p.yml": missing}, "entry": "p.yml"})


def test_bad_queries_are_usage_errors(api: Client) -> None:
    with pytest.raises(UsageError, match="cursor"):
        api.list_jobs(cursor="j99999999999999999999999")
    with pytest.raises(UsageError, match="max_results"):
        api.list_jobs(max_results=5000)
    with pytest.raises(NotFound, match="no job named"):
        api.show_job("no_such_job")
    with pytest.raises(NotFound):
        api.archive_asset("data", "no_such_asset", version="1")


def test_an_unreachable_server_is_server_unavailable(served: Served) -> None:
    with (
        Client("http://127.0.0.1:9", served.token, timeout=2) as dead,
        pytest.raises(ServerUnavailable, match="cannot reach"),
    ):
        dead.health()


def test_a_brief_create_answers_name_and_status_and_the_full_one_the_record(
    api: Client, project: Path
) -> None:
    brief = api.create_job(project, brief=True)
    assert set(brief) == {"name", "status", "warnings"}
    assert brief["status"] == "Queued"
    full = api.create_job(project)
    assert {"name", "status", "jobs", "status_history", "warnings"} <= set(full)
    assert list(full["jobs"]) == ["a"]
    shown = api.show_job(brief["name"])
    assert shown["name"] == brief["name"] and list(shown["jobs"]) == ["a"]


def test_a_submission_from_a_git_repository_records_its_commit(api: Client, project: Path) -> None:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(project.parent), *args], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "first")
    name = api.create_job(project, brief=True)["name"]
    source = api.show_job(name)["source"]
    assert source == {
        "file": str(project.resolve()),
        "commit": git("rev-parse", "HEAD"),
        "dirty": False,
    }
