"""Reuse you can trust and explain: real server, real steps, real files.

Each test edits something a pipeline depends on and checks which steps ran again, which were
reused, and the one-line explanation for each (every sentence `cairn.plan.explain` documents is
produced here)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cairn.client.local import connect, start_server, stop_server
from cairn.home import Home

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cairn.client import Client

STEP = """\
import pathlib, sys
args = dict(a.split("=", 1) for a in sys.argv[1:])
out = pathlib.Path(args["out"]); out.mkdir(parents=True, exist_ok=True)
src = pathlib.Path(args["data"]) if "data" in args else None
data = "" if src is None else (src / "model.pkl").read_text() if src.is_dir() else src.read_text()
if args.get("fail") == "boom":
    sys.exit("asked to fail")
(out / "model.pkl").write_text(f"{data}|lr={args.get('lr')}|{pathlib.Path('helper.txt').read_text()}")
"""

COMPONENT = """\
name: {name}
type: command
is_deterministic: {deterministic}
inputs:
  data: {{type: uri_file, optional: true}}
  learning_rate: {{type: number, default: 0.01}}
  fail: {{type: string, default: "no"}}
outputs:
  model: {{type: uri_folder}}
code: ./{code}
environment: azureml:AzureML-sklearn-1.0@latest
command: python step.py out=${{{{outputs.model}}}} lr=${{{{inputs.learning_rate}}}} fail=${{{{inputs.fail}}}} $[[data=${{{{inputs.data}}}}]]
"""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    home = Home(tmp_path_factory.mktemp("reuse") / "home")
    start_server(home)
    client = connect(home)
    try:
        yield client
    finally:
        client.close()
        stop_server(home)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for code in ("train_src", "score_src"):
        (tmp_path / code).mkdir()
        (tmp_path / code / "step.py").write_text(STEP)
        (tmp_path / code / "helper.txt").write_text("v1")
    (tmp_path / "train_src" / ".amlignore").write_text("notes.md\n")
    (tmp_path / "train_src" / "notes.md").write_text("first notes")
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    for name, code, deterministic in (
        ("train", "train_src", "true"),
        ("score", "score_src", "true"),
        ("noisy", "score_src", "false"),
    ):
        (tmp_path / f"{name}.yml").write_text(
            COMPONENT.format(name=name, code=code, deterministic=deterministic)
        )
    write_pipeline(tmp_path)
    return tmp_path


def write_pipeline(folder: Path, *, lr: float = 0.01, extra: str = "") -> Path:
    path = folder / "pipeline.yml"
    path.write_text(
        textwrap.dedent(
            f"""\
            type: pipeline
            compute: local
            inputs:
              training_data: {{type: uri_file, path: ./data.csv}}
            jobs:
              train:
                component: ./train.yml
                inputs:
                  data: ${{{{parent.inputs.training_data}}}}
                  learning_rate: {lr}
              score:
                component: ./score.yml
                inputs:
                  data: ${{{{parent.jobs.train.outputs.model}}}}
              other:
                component: ./score.yml
                inputs:
                  learning_rate: 0.5
            """
        )
        + extra
    )
    return path


def run(api: Client, path: Path, **kwargs: Any) -> dict[str, Any]:
    job = api.create_job(path, **kwargs)
    api.wait_job(job["name"], timeout=120)
    return api.show_job(job["name"])


def why(job: dict[str, Any]) -> dict[str, str]:
    return {step: str(entry.get("why")) for step, entry in job["jobs"].items()}


def test_unchanged_resubmission_reuses_every_step_and_says_from_where(
    api: Client, project: Path
) -> None:
    first = run(api, project / "pipeline.yml")
    assert first["status"] == "Completed"
    assert set(why(first).values()) == {"ran: no earlier run with this key"}
    second = run(api, project / "pipeline.yml")
    assert second["status"] == "Completed"
    assert why(second) == {
        step: f"reused from {first['name']}/{step}" for step in ("train", "score", "other")
    }
    assert all(entry["reused"] for entry in second["jobs"].values())
    assert second["jobs"]["train"]["outputs"] == first["jobs"]["train"]["outputs"]  # no copy


def test_code_change_reruns_the_step_and_its_dependents_only(api: Client, project: Path) -> None:
    run(api, project / "pipeline.yml")
    (project / "train_src" / "helper.txt").write_text("v2")
    job = run(api, project / "pipeline.yml")
    reasons = why(job)
    assert reasons["train"] == "ran: code changed (helper.txt)"
    assert reasons["score"] == "ran: input data content changed"
    assert reasons["other"].startswith("reused from ")


def test_an_ignored_file_changes_nothing(api: Client, project: Path) -> None:
    run(api, project / "pipeline.yml")
    (project / "train_src" / "notes.md").write_text("edited notes (listed in .amlignore)")
    job = run(api, project / "pipeline.yml")
    assert all(r.startswith("reused from ") for r in why(job).values())


def test_data_and_parameter_changes_rerun_their_consumers(api: Client, project: Path) -> None:
    run(api, project / "pipeline.yml")
    (project / "data.csv").write_text("a,b\n3,4\n")
    job = run(api, project / "pipeline.yml")
    assert why(job)["train"] == "ran: input data content changed"
    assert why(job)["other"].startswith("reused from ")
    job = run(api, write_pipeline(project, lr=0.1))
    assert why(job)["train"] == "ran: parameter learning_rate 0.01 → 0.1"


def test_force_rerun_and_non_deterministic_steps_always_run(api: Client, project: Path) -> None:
    extra = "  noisy:\n    component: ./noisy.yml\n"
    path = write_pipeline(project, extra=extra)
    run(api, path)
    job = run(api, path)
    assert why(job)["noisy"] == "ran: is_deterministic is false"
    assert why(job)["train"].startswith("reused from ")
    forced = run(api, path, force_rerun=True)
    assert set(why(forced).values()) == {"ran: force_rerun"}
    after = run(api, path)  # force_rerun steps are never offered for reuse later
    assert (
        why(after)["train"]
        == f"reused from {job['jobs']['train']['reused_from'].rsplit('.', 1)[0]}/train"
    )


def test_a_damaged_output_is_made_again_and_the_explanation_names_it(
    api: Client, project: Path
) -> None:
    first = run(api, project / "pipeline.yml")
    model = Path(first["jobs"]["other"]["outputs"]["model"]["path"]) / "model.pkl"
    model.chmod(0o644)
    model.write_text("tampered")
    job = run(api, project / "pipeline.yml")
    assert why(job)["other"] == "ran: earlier outputs missing or altered (model/model.pkl)"
    shutil.rmtree(Path(job["jobs"]["other"]["outputs"]["model"]["path"]))
    again = run(api, project / "pipeline.yml")
    assert why(again)["other"] == "ran: earlier outputs missing or altered (model)"
    assert Path(again["jobs"]["other"]["outputs"]["model"]["path"]).is_dir()


def test_rerun_of_a_failed_job_runs_only_the_failed_step_and_its_dependents(
    api: Client, project: Path
) -> None:
    lines = ["type: pipeline", "compute: local", "inputs:", "  fail: boom", "jobs:"]
    lines.append("  s0: {component: ./train.yml}")
    for i in range(1, 10):
        fail = ", fail: '${{parent.inputs.fail}}'" if i == 6 else ""
        lines.append(
            f"  s{i}: {{component: ./train.yml, inputs: {{data: '${{{{parent.jobs.s{i - 1}.outputs.model}}}}'{fail}}}}}"
        )
    lines.append("  side: {component: ./score.yml}")
    path = project / "chain.yml"
    path.write_text("\n".join(lines) + "\n")
    failed = run(api, path)
    assert failed["status"] == "Failed"
    assert failed["root_failure"]["root_failure"] == "s6"
    rerun = api.rerun_job(failed["name"])
    api.wait_job(rerun["name"], timeout=120)
    job = api.show_job(rerun["name"])
    reasons = why(job)
    reused = sorted(s for s in reasons if reasons[s].startswith("reused from"))
    assert reused == ["s0", "s1", "s2", "s3", "s4", "s5", "side"]
    assert reasons["s6"] == "ran: no earlier run with this key"  # it failed: nothing to reuse
    assert job["jobs"]["s7"]["status"] == "Canceled"  # s6 still fails: same plan, same input


def test_explain_reuse_shows_the_parts_side_by_side(api: Client, project: Path) -> None:
    run(api, project / "pipeline.yml")
    job = run(api, write_pipeline(project, lr=0.2))
    found = api.explain_reuse(job["name"], "train")
    assert found["explanation"] == "ran: parameter learning_rate 0.01 → 0.2"
    assert found["candidate"] is not None
    assert found["parts"]["inputs"]["learning_rate"] == {"literal": "0.2"}
    assert found["candidate"]["parts"]["inputs"]["learning_rate"] == {"literal": "0.01"}
    assert [d["sentence"] for d in found["differences"]] == ["parameter learning_rate 0.01 → 0.2"]


def test_the_reuse_verbs_through_the_cli(tmp_path: Path, project: Path) -> None:
    from tests.cli.conftest import run_cairn

    env = {"CAIRN_HOME": str(tmp_path / "cli-home")}
    try:
        first = run_cairn("job", "create", "-f", str(project / "pipeline.yml"), "--stream", env=env)
        assert first.code == 0, first.err
        assert "ran: no earlier run with this key" in first.out
        name = run_cairn("job", "list", "--query", "[0].name", "-o", "tsv", env=env).out.strip()
        write_pipeline(project, lr=0.3)
        second = run_cairn(
            "job",
            "create",
            "-f",
            str(project / "pipeline.yml"),
            "--from",
            name,
            "--query",
            "name",
            "-o",
            "tsv",
            env=env,
        )
        assert second.code == 0, second.err
        new = second.out.strip()
        assert run_cairn("job", "stream", "-n", new, env=env).code == 0
        shown = run_cairn("job", "explain-reuse", "-n", new, "--step", "train", env=env)
        assert shown.code == 0, shown.err
        assert "ran: parameter learning_rate 0.01 → 0.3" in shown.out
        assert any(
            "inputs.learning_rate.literal" in line and "≠" in line
            for line in shown.out.splitlines()
        )
        again = run_cairn("job", "rerun", "-n", new, "--stream", env=env)
        assert again.code == 0 and "reused from" in again.out
        missing = run_cairn(
            "job", "create", "-f", str(project / "pipeline.yml"), "--from", "no_such_job", env=env
        )
        assert missing.code == 3 and "no_such_job" in missing.err
    finally:
        run_cairn("server", "stop", env=env)
