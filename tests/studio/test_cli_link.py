"""`cairn studio` and `cairn job show --web` print a link that signs a browser in once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx

from .conftest import HELLO, Studio

CAIRN = Path(sys.executable).parent / "cairn"


def cairn(studio: Studio, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAIRN_HOME": str(studio.home.root), "NO_COLOR": "1"}
    return subprocess.run(
        [str(CAIRN), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_cairn_studio_prints_a_one_time_link(studio: Studio) -> None:
    shown = cairn(studio, "studio")
    assert shown.returncode == 0, shown.stderr
    link = shown.stdout.strip()
    assert link.startswith(f"{studio.url}/login?code=")
    with httpx.Client() as browser:
        assert browser.get(link).status_code == 200
        assert browser.get(f"{studio.url}/jobs").status_code == 200
    with httpx.Client() as other:
        assert other.get(link).status_code == 401  # spent


def test_job_show_web_links_to_the_job_page(studio: Studio) -> None:
    name = studio.submit(HELLO, file="hello.yml")
    shown = cairn(studio, "job", "show", "-n", name, "--web", "--query", "name", "-o", "tsv")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == name
    line = next(x for x in shown.stderr.splitlines() if x.startswith("studio: "))
    link = line.removeprefix("studio: ")
    assert parse_qs(urlparse(link).query)["next"] == [f"/jobs/{name}"]
    with httpx.Client(follow_redirects=False) as browser:
        landed = browser.get(link)
        assert landed.status_code == 200 and f"url=/jobs/{name}" in landed.text
        page = browser.get(f"{studio.url}/jobs/{name}")
        assert page.status_code == 200 and name in page.text
