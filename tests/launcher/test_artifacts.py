"""The artifact store: `./outputs`, `./logs` and the step's logs, whatever the outcome; the node
output that is the artifact folder itself; a second attempt adding to the folder."""

from __future__ import annotations

import json
from pathlib import Path

from cairn.data.hashing import hash_path
from cairn.launcher.protocol import ArtifactStore, LaunchSpec, OutputSpec
from tests.launcher.steps import make_spec, output, run_step


def store(root: Path, job: str = "job-step") -> ArtifactStore:
    folder = root / "artifactstore" / "ExperimentRun" / f"dcid.{job}"
    uri = f"azureml://datastores/workspaceartifactstore/paths/ExperimentRun/dcid.{job}/"
    return ArtifactStore(uri, str(folder))


def artifact_output(where: ArtifactStore) -> OutputSpec:
    return OutputSpec("artifacts", "uri_folder", "rw_mount", where.path, where.uri)


def files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()
    }


def test_working_folders_exist_and_reach_the_store(tmp_path: Path) -> None:
    where = store(tmp_path)
    spec = make_spec(
        tmp_path,
        "echo hi && echo 1 > ./outputs/one.txt && mkdir outputs/deep && echo 2 > outputs/deep/two"
        " && echo note > ./logs/run.log && echo kept > ${{outputs.model}}/m",
        outputs=[output(tmp_path, "model")],
        artifacts=where,
    )
    record = run_step(spec)
    assert record.status == "Completed", record
    assert record.artifacts == {"uri": where.uri, "path": where.path}
    stored = files(Path(where.path))
    assert {k: v for k, v in stored.items() if not k.startswith("user_logs/")} == {
        "outputs/one.txt": "1\n",
        "outputs/deep/two": "2\n",
        "logs/run.log": "note\n",
    }
    assert stored["user_logs/std_log.txt"].endswith(" hi\n")
    assert [o.name for o in record.outputs] == ["model"]  # the artifact store is not an output
    assert (tmp_path / "datastore" / "model" / "m").read_text() == "kept\n"


def test_a_step_that_writes_nothing_there_leaves_only_its_logs(tmp_path: Path) -> None:
    where = store(tmp_path)
    spec = make_spec(tmp_path, "test -d outputs && test -d logs && echo quiet", artifacts=where)
    record = run_step(spec)
    assert record.status == "Completed", record
    assert sorted(files(Path(where.path))) == ["user_logs/std_log.txt"]


def test_a_failed_step_keeps_its_artifacts_and_commits_no_output(tmp_path: Path) -> None:
    where = store(tmp_path)
    spec = make_spec(
        tmp_path,
        "echo partial > outputs/partial.txt && echo oops && exit 3",
        outputs=[output(tmp_path, "model"), artifact_output(where)],
        artifacts=where,
    )
    record = run_step(spec)
    assert (record.status, record.reason, record.outputs) == ("Failed", "exit_code", [])
    assert record.artifacts == {"uri": where.uri, "path": where.path}
    stored = files(Path(where.path))
    assert stored["outputs/partial.txt"] == "partial\n"
    assert stored["user_logs/std_log.txt"].endswith(" oops\n")
    assert not (tmp_path / "datastore" / "model").exists()


def test_the_artifacts_output_is_the_artifact_folder(tmp_path: Path) -> None:
    where = store(tmp_path)
    spec = make_spec(
        tmp_path,
        "echo top > ${{outputs.artifacts}}/top.txt && echo inner > ./outputs/inner.txt",
        outputs=[artifact_output(where)],
        artifacts=where,
    )
    record = run_step(spec)
    assert record.status == "Completed", record
    (committed,) = record.outputs
    folder = Path(where.path)
    assert (committed.name, committed.path, committed.uri) == ("artifacts", str(folder), where.uri)
    assert committed.content_hash == hash_path(folder).hash
    assert committed.manifest is not None
    assert set(committed.manifest) == {"top.txt", "outputs/inner.txt", "user_logs/std_log.txt"}
    # The command was given a private folder, like any output; its content was moved out.
    private = Path(spec.workdir) / "outputs" / "artifacts"
    assert not private.exists() or not any(private.iterdir())


def test_a_second_attempt_adds_to_the_folder(tmp_path: Path) -> None:
    where = store(tmp_path)
    first = make_spec(
        tmp_path,
        "echo old > outputs/a.txt && echo old > outputs/b.txt && echo first",
        name="first",
        artifacts=where,
    )
    assert run_step(first).status == "Completed"
    second = make_spec(
        tmp_path, "echo new > outputs/b.txt && echo second", name="second", artifacts=where
    )
    assert run_step(second).status == "Completed"
    stored = files(Path(where.path))
    assert (stored["outputs/a.txt"], stored["outputs/b.txt"]) == ("old\n", "new\n")
    assert stored["user_logs/std_log.txt"].endswith(" second\n")


def test_without_an_artifact_store_nothing_is_kept(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "echo 1 > outputs/x.txt")
    record = run_step(spec)
    assert (record.status, record.artifacts) == ("Completed", None)
    assert not (tmp_path / "artifactstore").exists()


def test_a_snapshot_with_its_own_outputs_file_still_runs(tmp_path: Path) -> None:
    code = tmp_path / "snapshot"
    code.mkdir()
    (code / "outputs").write_text("a file, not a folder")
    (code / "logs").mkdir()
    (code / "logs" / "old.log").write_text("from the snapshot")
    where = store(tmp_path)
    spec = make_spec(tmp_path, "cat outputs", code=str(code), artifacts=where)
    record = run_step(spec)
    assert record.status == "Completed", record
    stored = files(Path(where.path))
    assert stored["logs/old.log"] == "from the snapshot"
    assert "outputs" not in stored  # not a folder: nothing of it is an artifact


def test_spec_round_trips_with_its_artifact_store(tmp_path: Path) -> None:
    where = store(tmp_path)
    spec = make_spec(tmp_path, "true", artifacts=where)
    again = LaunchSpec.from_json(spec.to_json())
    assert again == spec and again.artifacts == where
    assert json.loads(spec.to_json())["artifacts"] == {"uri": where.uri, "path": where.path}
