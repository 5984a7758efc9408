"""A real Cairn server process for the studio tests, pipelines to run on it, and Debian's
Chromium driven by Playwright.

The browser is `/usr/bin/chromium` (`./dev test` installs it with apt when run as root); Playwright never downloads
one. Without it the browser tests fail with a message saying how to install it. Screenshots go to
a temporary folder, or to `docs/images/` when `CAIRN_STUDIO_SCREENSHOTS=1`.
"""

from __future__ import annotations

import os
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from cairn.client.local import start_server, stop_server
from cairn.home import Home
from cairn.server.run import read_token

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ENV = "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest"
TERMINAL = {"Completed", "Failed", "Canceled"}
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def pipeline(body: str) -> str:
    head = """
    $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
    type: pipeline
    settings:
      default_compute: azureml:local
    """
    return textwrap.dedent(head).lstrip() + textwrap.dedent(body).lstrip().replace("@ENV@", ENV)


HELLO = pipeline(
    """
    display_name: hello
    experiment_name: studio-tests
    tags:
      team: search
    inputs:
      greeting: hello
      raw:
        type: uri_folder
        path: azureml:words:1
    outputs:
      final:
        type: uri_folder
    jobs:
      make:
        type: command
        command: cat ${{inputs.raw}}/a.txt && echo ${{inputs.word}} > ${{outputs.out}}/word.txt
        environment: @ENV@
        inputs:
          word: ${{parent.inputs.greeting}}
          raw: ${{parent.inputs.raw}}
        outputs:
          out:
            type: uri_folder
      shout:
        type: command
        command: tr a-z A-Z < ${{inputs.src}}/word.txt > ${{outputs.out}}/loud.txt && echo shouted
        environment: @ENV@
        inputs:
          src: ${{parent.jobs.make.outputs.out}}
        outputs:
          out: ${{parent.outputs.final}}
    """
)

GATED = pipeline(
    """
    display_name: gated
    experiment_name: studio-tests
    inputs:
      gate: /nonexistent
    jobs:
      first:
        type: command
        command: echo first > ${{outputs.done}}/first.txt
        environment: @ENV@
        outputs:
          done:
            type: uri_folder
      wait:
        type: command
        command: >-
          echo waiting; for i in $(seq 1200); do [ -e ${{inputs.gate}} ] && break; sleep 0.1; done;
          echo released > ${{outputs.done}}/wait.txt; echo released
        environment: @ENV@
        inputs:
          gate: ${{parent.inputs.gate}}
          after: ${{parent.jobs.first.outputs.done}}
        outputs:
          done:
            type: uri_folder
      last:
        type: command
        command: echo last
        environment: @ENV@
        inputs:
          before: ${{parent.jobs.wait.outputs.done}}
    """
)

FAILING = pipeline(
    """
    display_name: failing
    experiment_name: studio-tests
    jobs:
      prepare:
        type: command
        command: echo prepared > ${{outputs.out}}/p.txt
        environment: @ENV@
        outputs:
          out:
            type: uri_folder
      explode:
        type: command
        command: echo "reading ${{inputs.src}}"; echo "fatal - the model diverged"; exit 3
        environment: @ENV@
        inputs:
          src: ${{parent.jobs.prepare.outputs.out}}
    """
)


REFRESH = """
$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
type: pipeline
name: refresh
display_name: Refresh one region
inputs:
  word:
    type: string
outputs:
  out:
    type: uri_folder
jobs:
  load:
    type: command
    command: echo ${{inputs.word}} > ${{outputs.out}}/w.txt
    environment: @ENV@
    inputs:
      word: ${{parent.inputs.word}}
    outputs:
      out:
        type: uri_folder
  shape:
    type: command
    command: tr a-z A-Z < ${{inputs.src}}/w.txt > ${{outputs.out}}/s.txt
    environment: @ENV@
    inputs:
      src: ${{parent.jobs.load.outputs.out}}
    outputs:
      out: ${{parent.outputs.out}}
""".replace("@ENV@", ENV)

NESTED = pipeline(
    """
    display_name: regions
    experiment_name: studio-tests
    jobs:
      north:
        type: pipeline
        component: ./refresh.yml
        inputs:
          word: north
      south:
        type: pipeline
        component: ./refresh.yml
        inputs:
          word: south
      merge:
        type: command
        command: cat ${{inputs.a}}/s.txt ${{inputs.b}}/s.txt
        environment: @ENV@
        inputs:
          a: ${{parent.jobs.north.outputs.out}}
          b: ${{parent.jobs.south.outputs.out}}
    """
)


@dataclass
class Studio:
    """A server for one test module, with a project folder to submit pipelines from."""

    home: Home
    project: Path
    url: str
    token: str
    api: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.api = httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
        )

    def client(self) -> Any:
        from cairn.client.client import Client

        return Client(self.url, self.token)

    def write(self, name: str, text: str) -> Path:
        path = self.project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def submit(self, text: str, *overrides: str, file: str = "pipeline.yml") -> str:
        with self.client() as client:
            job = client.create_job(self.write(file, text), overrides=list(overrides))
        return str(job["name"])

    def job(self, name: str) -> dict[str, Any]:
        response = self.api.get(f"/workspaces/default/jobs/{name}")
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found

    def wait(self, name: str, statuses: set[str] = TERMINAL, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while (status := self.job(name)["status"]) not in statuses:
            assert time.monotonic() < deadline, f"{name} still {status} after {timeout} s"
            time.sleep(0.1)
        return status

    def wait_step(self, name: str, step: str, statuses: set[str], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while (status := self.job(name)["jobs"][step]["status"]) not in statuses:
            assert time.monotonic() < deadline, f"{name}/{step} still {status} after {timeout} s"
            time.sleep(0.1)

    def login_url(self, page: str = "/jobs") -> str:
        response = self.api.post("/studio/login-codes", json={"next": page})
        response.raise_for_status()
        return str(response.json()["url"])

    def signed_in(self) -> httpx.Client:
        """An HTTP client holding a studio session cookie (as a browser would)."""
        browser = httpx.Client(base_url=self.url, timeout=60)
        response = browser.get(self.login_url().removeprefix(self.url))
        assert response.status_code == 200, response.text
        return browser


def _register_words(studio: Studio) -> None:
    (studio.project / "words").mkdir(parents=True, exist_ok=True)
    (studio.project / "words" / "a.txt").write_text("some words\n")
    data = studio.write(
        "words.yml",
        "$schema: https://azuremlschemas.azureedge.net/latest/data.schema.json\n"
        "name: words\nversion: 1\ntype: uri_folder\npath: ./words\n",
    )
    with studio.client() as client:
        client.create_asset("data", data)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    root = tmp_path_factory.mktemp("studio")
    home = Home(root / "home")
    info = start_server(home)
    token = read_token(home)
    assert token is not None
    (root / "project").mkdir()
    served = Studio(home, root / "project", str(info["url"]), token)
    _register_words(served)
    try:
        yield served
    finally:
        served.api.close()
        stop_server(home)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Debian's Chromium at {CHROMIUM}: "
            "run `apt-get install -y chromium` (`./dev test` does when run as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 820}, accept_downloads=True)
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    opened.dialogs = dialogs  # type: ignore[attr-defined]
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert errors == [], f"the studio's script failed in the browser: {errors}"


DOCUMENTED = frozenset(
    {
        "studio-job-running.png",
        "studio-job-failed.png",
        "studio-graph-groups.png",
        "studio-timeline.png",
        "studio-compare.png",
        "studio-lineage.png",
    }
)
"""The screenshots the README shows (the others are kept with the test's files)."""


def screenshot(page: Page, name: str, tmp_path: Path) -> Path:
    documenting = os.environ.get("CAIRN_STUDIO_SCREENSHOTS") == "1" and name in DOCUMENTED
    folder = DOCS_IMAGES if documenting else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path))
    return path
