"""The README's first command, `./dev showcase`, run exactly as written from the repository root
(with a Cairn home of the test's own): the flood-risk pipeline runs to `Completed` and the studio
link it prints signs a browser in; running it again reuses every step; the corrupt data set, run
as the flood-risk README says, fails at `validate_data` and trains nothing.

The first run builds the example's environment (a uv venv with scikit-learn and pandas) in the
fresh Cairn home; with uv's package cache warm that takes seconds, with a cold one the download.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.cli.conftest import Cairn

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
STEPS = [
    "validate_data",
    "build_features",
    "train_model",
    "score_scenarios",
    "evaluate",
    "register_model",
    "report_exposure",
    "report_quality",
]
LINK = re.compile(r"^(http://127\.0\.0\.1:\d+)/login\?code=[\w-]+&next=(\S+)$")
ENDED = re.compile(r"^(\w+): (Completed|Failed|Canceled) in [\d.]+ s$", re.M)


def readme_first_command() -> list[str]:
    """The first command of the README's first bash block, without its comment."""
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    return shlex.split(block.splitlines()[0].split("#", 1)[0])


@pytest.fixture
def cairn(tmp_path: Path) -> Iterator[Cairn]:
    """`cairn` in the repository root with a Cairn home of this test's own; its server stops at
    the end, whichever command started it."""
    bound = Cairn(home=tmp_path / "home", project=ROOT, env={"NO_COLOR": "1"})
    try:
        yield bound
    finally:
        bound.stop()


def showcase(cairn: Cairn) -> tuple[str, str, float]:
    """Run the README's first command; (its output, the job it ran, seconds it took)."""
    command = readme_first_command()
    assert command == ["./dev", "showcase"], f"README.md starts with {command}, not the showcase"
    began = time.monotonic()
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "CAIRN_HOME": str(cairn.home), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    took = time.monotonic() - began
    assert done.returncode == 0, f"./dev showcase → {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    ended = ENDED.findall(done.stdout)
    assert len(ended) == 1, done.stdout
    name, status = ended[0]
    assert status == "Completed", done.stdout
    return done.stdout, name, took


def sign_in(link: str, job: str) -> None:
    """Open the printed link as a browser would: it signs in once, then the jobs page lists the
    job and the job's page draws its steps."""
    found = LINK.match(link)
    assert found, f"not a studio sign-in link: {link!r}"
    base = found.group(1)
    with httpx.Client(timeout=30) as browser:
        landing = browser.get(link)
        assert landing.status_code == 200, landing.text
        assert browser.cookies, "the sign-in link set no session cookie"
        refresh = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', landing.text)
        assert refresh, landing.text
        jobs = browser.get(base + refresh.group(1))
        assert jobs.status_code == 200
        assert job in jobs.text
        page = browser.get(f"{base}/jobs/{job}")
        assert page.status_code == 200
        assert all(step in page.text for step in STEPS)
        assert browser.get(link).status_code == 401, "a sign-in link must work only once"


def steps_of(cairn: Cairn, job: str) -> dict[str, Any]:
    shown = cairn.ok("job", "show", "-n", job, "-o", "json").json()
    steps: dict[str, Any] = shown["jobs"]
    assert sorted(steps) == sorted(STEPS)
    return {"status": shown["status"], "properties": shown["properties"], "steps": steps}


def statuses_of(cairn: Cairn, step_job: str) -> list[str]:
    history = cairn.ok("job", "show", "-n", step_job, "--query", "status_history", "-o", "json")
    return [entry["status"] for entry in history.json()]


def test_the_showcase_runs_as_the_readme_says(cairn: Cairn) -> None:
    out, first, took_first = showcase(cairn)
    assert out.count("ran: no earlier run with this key") == len(STEPS), out
    sign_in(out.strip().splitlines()[-1], first)

    out, second, took_second = showcase(cairn)
    assert second != first
    again = steps_of(cairn, second)
    assert again["status"] == "Completed"
    for step, shown in again["steps"].items():
        assert shown["status"] == "Completed", (step, shown)
        assert shown["reused"] is True, (step, shown)
        assert shown["reused_from"] == f"{first}.{step}"
        assert shown["timing"]["running_s"] is None, f"{step} ran again"
    print(f"showcase: first run {took_first:.1f} s, second run {took_second:.1f} s")

    began = time.monotonic()
    corrupt = cairn(
        "job", "create", "--file", "examples/flood-risk/pipeline-corrupt.yml", "--stream"
    )
    print(f"corrupt run: {time.monotonic() - began:.1f} s")
    assert corrupt.code == 1, corrupt.out + corrupt.err
    ended = ENDED.findall(corrupt.out)
    assert len(ended) == 1 and ended[0][1] == "Failed", corrupt.out
    failed = ended[0][0]
    assert "root failure: step `validate_data`" in corrupt.out
    for problem in (
        "8 missing `rainfall_mm` values",
        "5 `rainfall_mm` values outside [0, 1200] (seen: -36.2 to 9999)",
        "1 `elevation_m` value outside [-430, 8850] (seen: -999)",
        "1 missing `slope_pct` value",
        "1 region-month of the window missing: R07 2022-06",
        "data quality check failed: 5 problems",
    ):
        assert problem in corrupt.out, problem

    record = steps_of(cairn, failed)
    assert record["status"] == "Failed"
    assert record["properties"]["root_failure"]["root_failure"] == "validate_data"
    assert record["steps"]["validate_data"]["status"] == "Failed"
    for step in STEPS[1:]:
        shown = record["steps"][step]
        assert shown["status"] == "Canceled", (step, shown)
        assert shown["reason"] == "step `validate_data` failed"
        assert shown["outputs"] == {}, f"{step} wrote outputs"
    assert statuses_of(cairn, f"{failed}.train_model") == ["NotStarted", "Canceled"]
    runs = cairn.home / "workspaces"
    assert list(runs.glob(f"*/runs/{failed}.validate_data")), "run folders are elsewhere"
    for step in STEPS[1:]:
        assert not list(runs.glob(f"*/runs/{failed}.{step}")), f"{step} was started"
