"""Azure's public example pipelines of the basic kind, run end to end, unchanged.

The pipelines are the conformance corpus files written in the shapes of Azure's examples (see
`tests/conformance/index.yml`, `mirrors:`), run as they are; where a corpus file cannot run here
(its environment needs TensorFlow) or a shape is missing from it, a runnable file of the same
shape lives in `tests/engine/azure_examples/`. The only thing done beforehand is what an Azure
user does once: create the computes they name, from Azure's own `amlcompute` YAML.

Every pipeline is submitted at once to one server; each test then waits for its own and checks
that it completed, that its outputs lie where Azure would put them (the default
`azureml/<step job name>/<output>/` in `workspaceblobstore`, or the path the file asks for), that
data flowed between steps, and that each step's logs and `./outputs` reached the artifact store
(`workspaceartifactstore/ExperimentRun/dcid.<step job name>/`)."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cairn.client.local import connect, start_server, stop_server
from cairn.home import Home

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cairn.client import Client

CORPUS = Path(__file__).parents[1] / "conformance" / "corpus" / "valid"
OWN = Path(__file__).parent / "azure_examples"
DATA = CORPUS.parent / "_data"

COMPUTE = """\
$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json
name: {name}
type: amlcompute
size: {size}
min_instances: 0
max_instances: 4
idle_time_before_scale_down: 120
"""

EXAMPLES = {
    name: CORPUS / name / "pipeline.yml"
    for name in (
        "single_inline",
        "hello_pipeline_io",
        "default_artifacts",
        "settings",
        "customize_output_file",
        "customize_output_folder",
        "e2e_local_components",
        "basic_component",
        "component_with_io",
        "basic_pipeline",
        "pipeline_with_data",
        "local_data_input",
        "nested_pipeline",
        "pytorch_hello",
        "inline_components",
        "parent_outputs",
        "optional_args",
        "limits_env_vars",
    )
} | {
    name: OWN / name / "pipeline.yml"
    for name in ("tensorflow_hello", "artifacts_from_outputs", "component_image_env")
}


class Run:
    """One submitted example: its job, waited for once."""

    def __init__(self, api: Client, home: Home, name: str) -> None:
        self.api = api
        self.home = home
        self.name = name
        self._job: dict[str, Any] | None = None

    @property
    def job(self) -> dict[str, Any]:
        if self._job is None:
            self.api.wait_job(self.name, timeout=90)
            self._job = self.api.show_job(self.name)
        return self._job

    def logs(self) -> str:
        return self.api.job_logs(self.name)

    def blob(self, *parts: str) -> Path:
        return self.home.workspace("default") / "datastores" / "workspaceblobstore" / Path(*parts)

    def default_output(self, step: str, output: str) -> Path:
        """Checks the output's URI and location are Azure's default ones; its folder (for a
        reused step, that of the step it reused)."""
        entry = self.job["jobs"][step]
        job_name = entry.get("reused_from") or entry["name"]
        committed = self.job["jobs"][step]["outputs"][output]
        assert committed["uri"] == (
            f"azureml://datastores/workspaceblobstore/paths/azureml/{job_name}/{output}/"
        )
        folder = self.blob("azureml", job_name, output)
        assert Path(committed["path"]) == folder and folder.is_dir()
        return folder

    def artifacts(self, step: str) -> Path:
        """Checks the step's artifact store record; its folder (for a reused step, those of the
        step it reused, as Azure does)."""
        entry = self.job["jobs"][step]
        job_name = entry.get("reused_from") or entry["name"]
        stored = self.api.show_job(job_name)["properties"]["artifacts"]
        assert stored["uri"] == (
            f"azureml://datastores/workspaceartifactstore/paths/ExperimentRun/dcid.{job_name}/"
        )
        folder = Path(stored["path"])
        assert folder == (
            self.home.workspace("default")
            / "datastores"
            / "workspaceartifactstore"
            / "ExperimentRun"
            / f"dcid.{job_name}"
        )
        assert (folder / "user_logs" / "std_log.txt").is_file()
        return folder


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, Home]]:
    root = tmp_path_factory.mktemp("azx")
    home = Home(root / "home")
    start_server(home)
    client = connect(home)
    try:
        for name, size in (("cpu-cluster", "STANDARD_DS3_v2"), ("gpu-cluster", "STANDARD_NC6")):
            file = root / f"{name}.yml"
            file.write_text(COMPUTE.format(name=name, size=size))
            client.create_compute(file)
        yield client, home
    finally:
        client.close()
        stop_server(home)


@pytest.fixture(scope="module")
def runs(api: tuple[Client, Home]) -> dict[str, Run]:
    """Every example submitted before the first test waits for one: they run side by side."""
    client, home = api
    return {
        name: Run(client, home, client.create_job(path)["name"]) for name, path in EXAMPLES.items()
    }


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_completes_with_its_logs_in_the_artifact_store(runs: dict[str, Run], example: str) -> None:
    run = runs[example]
    steps = run.job["jobs"]
    assert run.job["status"] == "Completed", (run.job, run.logs())
    assert steps and all(s["status"] == "Completed" for s in steps.values()), steps
    for path in steps:
        run.artifacts(path)


def test_single_inline_step(runs: dict[str, Run]) -> None:
    run = runs["single_inline"]
    assert "[greet] " in run.logs() and "good morning from a single step" in run.logs()
    assert run.job["jobs"]["greet"]["compute"] == "cpu-cluster"


def test_hello_pipeline_io_passes_a_folder(runs: dict[str, Run]) -> None:
    run = runs["hello_pipeline_io"]
    note = run.default_output("write_note", "note_folder") / "note.txt"
    assert note.read_text() == "note for the next step\n"
    assert re.search(r"\[read_note\] \S+ note for the next step", run.logs())


def test_default_artifacts_output_is_the_artifact_folder(runs: dict[str, Run]) -> None:
    run = runs["default_artifacts"]
    folder = run.artifacts("produce")
    committed = run.job["jobs"]["produce"]["outputs"]["artifacts"]
    assert Path(committed["path"]) == folder and committed["uri"].startswith(
        "azureml://datastores/workspaceartifactstore/paths/ExperimentRun/dcid."
    )
    assert (folder / "logs" / "when.txt").read_text().strip()
    assert set(committed["manifest"]) == {"logs/when.txt", "user_logs/std_log.txt"}
    assert "when.txt" in run.logs()  # `ls -R` of the consumer's input
    assert not run.blob("azureml", run.job["jobs"]["produce"]["name"]).exists()


def test_artifacts_from_the_working_folders(runs: dict[str, Run], tmp_path: Path) -> None:
    run = runs["artifacts_from_outputs"]
    folder = run.artifacts("leave_notes")
    assert (folder / "outputs" / "planet.txt").read_text() == "planet\n"
    assert (folder / "logs" / "progress.log").read_text() == "ok\n"
    assert "leaving notes" in (folder / "user_logs" / "std_log.txt").read_text()
    assert re.search(r"\[read_notes\] \S+ planet\n\[read_notes\] \S+ ok", run.logs())
    reader = run.artifacts("read_notes")
    assert sorted(p.name for p in reader.iterdir()) == ["user_logs"]  # wrote nothing else
    archive = run.api.download_job(run.name, tmp_path / "all.tar", include_all=True)
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {
        "artifacts/leave_notes/outputs/planet.txt",
        "artifacts/leave_notes/logs/progress.log",
        "artifacts/leave_notes/user_logs/std_log.txt",
        "artifacts/read_notes/user_logs/std_log.txt",
    } <= names


def test_settings_apply(runs: dict[str, Run]) -> None:
    run = runs["settings"]
    assert run.job["experiment_name"] == "settings_showcase"
    assert run.job["settings"]["force_rerun"] is True
    assert all(s["compute"] == "cpu-cluster" for s in run.job["jobs"].values())
    assert "[first] " in run.logs() and "[second] " in run.logs()


def test_customize_output_file(runs: dict[str, Run]) -> None:
    run = runs["customize_output_file"]
    step_name = run.job["jobs"]["write_greeting"]["name"]
    committed = run.job["jobs"]["write_greeting"]["outputs"]["greeting"]
    greeting = run.blob("greetings", step_name, "greeting.txt")
    assert committed["uri"] == (
        f"azureml://datastores/workspaceblobstore/paths/greetings/{step_name}/greeting.txt"
    )
    assert Path(committed["path"]) == greeting and greeting.read_text() == "hello there\n"


def test_customize_output_folder(runs: dict[str, Run]) -> None:
    run = runs["customize_output_folder"]
    step_name = run.job["jobs"]["write_files"]["name"]
    numbers = run.blob("custom", step_name, "numbers")
    assert sorted(p.read_text() for p in numbers.iterdir()) == ["1\n", "2\n", "3\n"]
    assert Path(run.job["jobs"]["write_files"]["outputs"]["numbers"]["path"]) == numbers


@pytest.mark.parametrize("example", ["e2e_local_components", "inline_components"])
def test_fit_apply_judge(runs: dict[str, Run], example: str) -> None:
    run = runs[example]
    rows = sum(len(p.read_text().splitlines()) for p in (DATA / "rows").glob("*.csv"))
    params = json.loads((run.default_output("fit", "model") / "params.json").read_text())
    expected = {"e2e_local_components": (20, 1.5), "inline_components": (30, 0.05)}[example]
    assert (params["rounds"], params["step_size"]) == expected
    predictions = run.default_output("apply", "predictions") / "predictions.txt"
    assert predictions.read_text() == "0\n" * rows
    report = run.default_output("judge", "report") / "report.md"
    assert report.read_text() == f"rows scored: {rows}\n"


def test_basic_component_and_basic_pipeline(runs: dict[str, Run]) -> None:
    assert "hello from a component" in runs["basic_component"].logs()
    logs = runs["basic_pipeline"].logs()
    for step in ("a", "b", "c"):
        assert re.search(rf"\[step_{step}\] \S+ this is step {step}", logs)
    assert {s["compute"] for s in runs["basic_pipeline"].job["jobs"].values()} == {"local"}


def test_component_with_io(runs: dict[str, Run]) -> None:
    run = runs["component_with_io"]
    copied = run.default_output("copy_rows", "copied_rows") / "values.csv"
    source = CORPUS / "component_with_io" / "data" / "values.csv"
    assert copied.read_text() == source.read_text()
    assert "first copy" in run.logs()  # the string input with a space reached the command whole


def test_component_with_an_image_environment(runs: dict[str, Run], tmp_path: Path) -> None:
    run = runs["component_image_env"]
    counts = run.default_output("count_job", "counts") / "counts.txt"
    assert counts.read_text() == "measurements.csv 3\n"
    assert "lines counted" in run.logs()
    archive = run.api.download_job(run.name, tmp_path / "one.tar", output_name="pipeline_counts")
    with tarfile.open(archive) as tar:
        assert "named-outputs/pipeline_counts/counts.txt" in tar.getnames()


def test_pipeline_with_data_flows_through_three_steps(runs: dict[str, Run]) -> None:
    run = runs["pipeline_with_data"]
    published = run.default_output("publish", "annotated")
    originals = {p.name for p in (DATA / "rows").glob("*.csv")}
    assert {p.name for p in published.iterdir()} == originals | {"NOTE.txt"}
    assert (published / "NOTE.txt").read_text() == (DATA / "note.txt").read_text()
    assert run.default_output("tidy", "cleaned").is_dir()


def test_local_data_input(runs: dict[str, Run]) -> None:
    run = runs["local_data_input"]
    lines = len((DATA / "note.txt").read_text().splitlines())
    assert re.search(rf"\[show_file\] \S+ {lines} \S+/inputs/one_file/note\.txt", run.logs())
    cleaned = run.default_output("tidy", "cleaned")
    assert {p.name for p in cleaned.iterdir()} == {p.name for p in (DATA / "rows").glob("*.csv")}


def test_nested_pipeline_components(runs: dict[str, Run]) -> None:
    run = runs["nested_pipeline"]
    assert set(run.job["jobs"]) >= {
        "compare/short_run/tidy",
        "compare/short_run/fit",
        "compare/long_run/fit",
        "compare/score",
        "compare/report",
    }
    short = json.loads(
        (run.default_output("compare/short_run/fit", "model") / "params.json").read_text()
    )
    long = json.loads(
        (run.default_output("compare/long_run/fit", "model") / "params.json").read_text()
    )
    assert (short["rounds"], long["rounds"]) == (5, 50)
    report = run.default_output("compare/report", "report") / "report.md"
    assert report.read_text() == "rows scored: 0\n"  # a model folder holds no CSV rows


def test_pytorch_distribution(runs: dict[str, Run]) -> None:
    run = runs["pytorch_hello"]
    user_logs = run.artifacts("ranks") / "user_logs"
    seen = set()
    for rank in range(4):
        text = (user_logs / f"std_log_process_{rank}.txt").read_text()
        found = re.search(
            r"world=(\d) rank=(\d) local=(\d) node=(\d) master=127\.0\.0\.1:(\d+)", text
        )
        assert found is not None, text
        seen.add(found.groups()[:4])
    assert seen == {
        ("4", "0", "0", "0"),
        ("4", "1", "1", "0"),
        ("4", "2", "0", "1"),
        ("4", "3", "1", "1"),
    }


def test_tensorflow_distribution(runs: dict[str, Run]) -> None:
    run = runs["tensorflow_hello"]
    user_logs = run.artifacts("show_workers") / "user_logs"
    configs = [
        json.loads((user_logs / f"std_log_process_{rank}.txt").read_text().split(" ", 1)[1])
        for rank in range(2)
    ]
    assert [c["task"] for c in configs] == [
        {"type": "worker", "index": 0},
        {"type": "worker", "index": 1},
    ]
    assert configs[0]["cluster"] == configs[1]["cluster"]
    assert len(configs[0]["cluster"]["worker"]) == 2


def test_parent_outputs(runs: dict[str, Run]) -> None:
    run = runs["parent_outputs"]
    assert set(run.job["outputs"]) == {"cleaned_rows", "trained_model"}
    assert (run.default_output("fit", "model") / "params.json").is_file()
    assert run.default_output("tidy", "cleaned").is_dir()


def test_optional_arguments(runs: dict[str, Run]) -> None:
    logs = runs["optional_args"].logs()
    assert re.search(r"\[without_extras\] \S+ hello Ada shout=False\n", logs)
    assert re.search(
        r"\[with_extras\] \S+ hello Grace shout=False --times 3 --sign-off see you --attach \S+/note\.txt",
        logs,
    )


def test_limits_and_environment_variables(runs: dict[str, Run]) -> None:
    run = runs["limits_env_vars"]
    assert re.search(r"\[inline_step\] \S+ hello, limit is ten minutes", run.logs())
    assert run.default_output("component_step", "cleaned").is_dir()


READ_ARTIFACTS = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
jobs:
  read_earlier:
    command: cat ${{{{inputs.declared}}}} ${{{{inputs.logs}}}}
    environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
    compute: azureml:cpu-cluster
    inputs:
      declared:
        type: uri_file
        path: azureml://jobs/{declared}/outputs/artifacts/paths/outputs/planet.txt
      logs:
        type: uri_file
        path: azureml://jobs/{undeclared}/outputs/artifacts/paths/user_logs/std_log.txt
"""


def test_a_step_job_downloads_and_is_addressed_as_azure_does(
    runs: dict[str, Run], tmp_path: Path
) -> None:
    """A step's artifacts download as `artifacts/` itself, and `azureml://jobs/<step>/outputs/
    artifacts/paths/…` names a file in them, whether or not the step declared an output named
    `artifacts` (how Azure's examples register what a job wrote to `./outputs`)."""
    run = runs["artifacts_from_outputs"]
    step_name = run.job["jobs"]["leave_notes"]["name"]
    archive = run.api.download_job(step_name, tmp_path / "step.tar", include_all=True)
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"artifacts/outputs/planet.txt", "named-outputs/artifacts/outputs/planet.txt"} <= names
    greet = runs["single_inline"].job["jobs"]["greet"]["name"]
    pipeline = tmp_path / "read.yml"
    pipeline.write_text(READ_ARTIFACTS.format(declared=step_name, undeclared=greet))
    later = Run(run.api, run.home, run.api.create_job(pipeline)["name"])
    assert later.job["status"] == "Completed", later.logs()
    assert re.search(r"\[read_earlier\] \S+ planet\n", later.logs())
    assert "good morning from a single step" in later.logs()
