"""The examples do what their READMEs promise: every file validates without a warning; the
predictive-maintenance refresh runs three plants from one nested pipeline component and compares
them; the genomics chain's long step can be followed live, cancelled while it runs, and rerun.

Each test has a Cairn home of its own and runs the real `cairn` from the repository root.
"""

from __future__ import annotations

import csv
import os
import queue
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from ruamel.yaml import YAML

from cairn.spec.validate import validate_component_file, validate_job_file
from tests.cli.conftest import CAIRN, Cairn
from tests.engine.rig import wait_until_gone

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FILES = sorted(path for path in EXAMPLES.rglob("*.yml") if path.parent.name != "environment")
ENDED = re.compile(r"^(\w+): (Completed|Failed|Canceled) in [\d.]+ s$", re.M)
PLANTS = ["hillcrest", "lakeside", "riverside"]
PLANT_STEPS = ["load", "detect", "summarise"]


@pytest.fixture
def cairn(tmp_path: Path) -> Iterator[Cairn]:
    bound = Cairn(home=tmp_path / "home", project=ROOT, env={"NO_COLOR": "1"})
    try:
        yield bound
    finally:
        bound.stop()


def ended(output: str, status: str) -> str:
    """The name of the job whose end `--stream` reported, checking how it ended."""
    found = ENDED.findall(output)
    assert len(found) == 1, output
    assert found[0][1] == status, output
    return str(found[0][0])


def show(cairn: Cairn, job: str) -> dict[str, Any]:
    shown: dict[str, Any] = cairn.ok("job", "show", "-n", job, "-o", "json").json()
    return shown


def download(cairn: Cairn, job: str, output: str, into: Path) -> Path:
    cairn.ok("job", "download", "-n", job, "--output-name", output, "--download-path", str(into))
    return into / "named-outputs" / output


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(EXAMPLES)) for p in FILES])
def test_every_example_file_validates_without_warnings(path: Path) -> None:
    is_job = re.search(r"^\$schema: \S+Job\.schema\.json$", path.read_text(), re.M) is not None
    report = (validate_job_file if is_job else validate_component_file)(path)
    assert report.ok and not report.diagnostics.warnings, report.to_dict()["diagnostics"]


def test_three_plants_refresh_from_one_nested_pipeline_component(
    cairn: Cairn, tmp_path: Path
) -> None:
    pipeline = "examples/predictive-maintenance/pipeline.yml"
    definition = YAML(typ="safe").load(ROOT / pipeline)
    nested = {n: node for n, node in definition["jobs"].items() if node["type"] == "pipeline"}
    assert sorted(nested) == PLANTS
    assert {node["component"] for node in nested.values()} == {"./plant_refresh.yml"}
    assert all(node["inputs"]["plant_id"] == plant for plant, node in nested.items())

    run = cairn("job", "create", "--file", pipeline, "--stream")
    assert run.code == 0, run.out + run.err
    job = ended(run.out, "Completed")
    steps = show(cairn, job)["jobs"]
    assert set(steps) == {f"{p}/{s}" for p in PLANTS for s in PLANT_STEPS} | {"compare_plants"}
    assert all(step["status"] == "Completed" for step in steps.values())
    for step in PLANT_STEPS:  # each plant's step runs the same component
        assert len({steps[f"{plant}/{step}"]["component"] for plant in PLANTS}) == 1

    summaries = {}
    for plant in PLANTS:
        folder = download(cairn, f"{job}.{plant}.summarise", "summary", tmp_path / plant)
        summaries[plant] = (folder / "summary.json").read_text()
        assert f'"plant_id": "{plant}"' in summaries[plant]
    assert len(set(summaries.values())) == len(PLANTS), "the plants' summaries are alike"
    hashes = {steps[f"{p}/summarise"]["outputs"]["summary"]["hash"] for p in PLANTS}
    assert len(hashes) == len(PLANTS)

    comparison = download(cairn, job, "comparison", tmp_path / "comparison")
    ranked = read_csv(comparison / "comparison.csv")
    assert sorted(row["plant_id"] for row in ranked) == PLANTS
    inspect = {row["plant_id"]: row["machines_to_inspect"] for row in ranked}
    assert inspect == {"hillcrest": "HC-2", "lakeside": "LK-1", "riverside": ""}

    stricter = cairn(
        "job", "create", "--file", pipeline, "--set", "inputs.threshold=3.5", "--stream"
    )
    assert stricter.code == 0, stricter.out + stricter.err
    again = show(cairn, ended(stricter.out, "Completed"))["jobs"]
    for name, step in again.items():
        reused = name.endswith("/load")  # the only steps that do not read the threshold
        assert step["reused"] is reused, (name, step)
        if reused:
            assert step["reused_from"] == f"{job}.{name.replace('/', '.')}"


class Follower:
    """`cairn job stream` in the background, its lines collected as they arrive."""

    def __init__(self, cairn: Cairn, job: str) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [str(CAIRN), "job", "stream", "-n", job],
            cwd=ROOT,
            env={**os.environ, "CAIRN_HOME": str(cairn.home), "NO_COLOR": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def until(self, pattern: str, timeout: float) -> str:
        """Wait for a line matching `pattern`, live."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            assert line is not None, "the stream ended early:\n" + "\n".join(self.lines)
            self.lines.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line like {pattern!r} in {timeout} s:\n" + "\n".join(self.lines))

    def finish(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        while (line := self._queue.get(timeout=timeout)) is not None:
            self.lines.append(line)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._reader.join(timeout=10)  # it ends at the end of the output
        assert self.process.stdout is not None
        self.process.stdout.close()


def statuses(cairn: Cairn, job: str) -> list[str]:
    history = cairn.ok("job", "show", "-n", job, "--query", "status_history", "-o", "json")
    return [entry["status"] for entry in history.json()]


def test_follow_cancel_and_rerun_the_long_step(cairn: Cairn, tmp_path: Path) -> None:
    pipeline = "examples/genomics-chain/pipeline.yml"
    created = cairn.ok(
        "job", "create", "--file", pipeline, "--set", "inputs.align_seconds=8",
        "--query", "name", "-o", "tsv",
    )  # fmt: skip
    job = created.out.strip()
    follower = Follower(cairn, job)
    try:
        follower.until(r"^\[align\] \S+ align: +[\d.]+ s +\d+/\d+ reads", timeout=120)
        assert cairn.status(f"{job}.align") == "Running", "the progress line was not live"
        cairn.ok("job", "cancel", "-n", job)
        assert follower.finish(timeout=60) != 0, "stream must exit non-zero unless Completed"
    finally:
        follower.close()
    followed = "\n".join(follower.lines)
    assert ended(followed, "Canceled") == job
    assert not re.search(r"^\[align\] \S+ mapped \d+ of", followed, re.M), "align finished"

    shown = show(cairn, job)
    assert shown["status"] == "Canceled"
    steps = {name: step["status"] for name, step in shown["jobs"].items()}
    assert steps == {
        "qc": "Completed",
        "align": "Canceled",
        "call_variants": "Canceled",
        "annotate": "Canceled",
    }
    assert "Running" in statuses(cairn, f"{job}.align")
    for step in ("call_variants", "annotate"):
        assert statuses(cairn, f"{job}.{step}") == ["NotStarted", "Canceled"]
    workdir = Path(show(cairn, f"{job}.align")["properties"]["workdir"])
    assert wait_until_gone(workdir, timeout=10) == [], "align's processes outlived the cancel"

    rerun = cairn("job", "rerun", "-n", job, "--stream", timeout=180)
    assert rerun.code == 0, rerun.out + rerun.err
    again = show(cairn, ended(rerun.out, "Completed"))["jobs"]
    assert again["qc"]["reused"] is True and again["qc"]["reused_from"] == f"{job}.qc"
    for step in ("align", "call_variants", "annotate"):
        assert again[step]["reused"] is False and again[step]["status"] == "Completed"

    annotated = download(cairn, again["annotate"]["name"], "annotated", tmp_path / "calls")
    calls = read_csv(annotated / "annotated.tsv", "\t")
    truth = read_csv(EXAMPLES / "genomics-chain" / "data" / "truth.tsv", "\t")
    fields = ("pos", "ref", "alt", "genotype")
    assert [tuple(c[f] for f in fields) for c in calls] == [
        tuple(t[f] for f in fields) for t in truth
    ]
