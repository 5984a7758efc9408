"""Every command shown in the README, the docs and the examples' READMEs works as written.

The fenced `bash` blocks of each page run in order as one script, as a reader would type them
into one terminal: from the repository root, with `.venv/bin` first on `PATH` and a Cairn home of
the test's own. Each command must exit 0, except one whose trailing comment says `# exits N`,
which must exit N (a run stopped by its data gate, say).

Two kinds of command are run elsewhere: the README's set-up commands (`./dev showcase` is run by
`test_showcase.py`, `./dev test` is CI itself), and a benchmark (`bench/*.py`), which runs here
with flags appended that make it small (argparse keeps the last value of a flag), so its command
line and output format are checked without its minutes of measuring.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import Cairn

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "examples").glob("**/README.md")),
]
RUN_ELSEWHERE = {"./dev showcase", "./dev test"}
SMALL = {
    "bench/cli_latency.py": "--runs 1 --jobs 200 --steps 20",
    "bench/env_bench.py": "--rounds 1 --steps 2 --calls 5",
    "bench/hash_bench.py": "--runs 1 --files 50 --total-mb 2",
    "bench/kill_loop.py": "--rounds 2",
    "bench/launch_overhead.py": "--steps 3 --rounds 1",
    "bench/overhead.py": "--runs 1 --skip-1000",
    "bench/studio_bench.py": "--runs 1 --jobs 200 --no-browser",
    "bench/validate_scale.py": "--runs 1 --sizes 100",
}
_BENCH = re.compile(r"(?:^|\s)(bench/\w+\.py)\b")
BLOCK = re.compile(r"^```bash\n(.*?)^```$", re.M | re.S)
EXITS = re.compile(r"\s+#\s*exits (\d+)\b[^\n]*$")


def commands(markdown: str) -> list[str]:
    """The shell commands of a page's bash blocks in order, continuation lines joined."""
    found: list[str] = []
    for block in BLOCK.findall(markdown):
        pending = ""
        for line in block.splitlines():
            pending += line.lstrip() if pending else line
            if pending.endswith("\\"):
                pending = pending[:-1].rstrip() + " "
                continue
            if pending.strip() and not pending.lstrip().startswith("#"):
                found.append(small(pending))
            pending = ""
    return found


def small(line: str) -> str:
    """A benchmark's command with the flags that make it small appended; others as they are."""
    bench = _BENCH.search(line)
    if bench is None:
        return line
    comment = EXITS.search(line) or re.search(r"\s+#[^\n]*$", line)
    cut = comment.start() if comment else len(line)
    return f"{line[:cut]} {SMALL[bench.group(1)]}{line[cut:]}"


def runnable(line: str) -> bool:
    return line.split("#", 1)[0].strip() not in RUN_ELSEWHERE


def script(lines: list[str]) -> str:
    """One bash script: stop at the first command that exits otherwise than its README says."""
    out = ["set -euo pipefail"]
    for number, line in enumerate(lines, start=1):
        out.append(f"printf '\\n$ %s\\n' {quote(line)}")
        expected = EXITS.search(line)
        if expected is None:
            out.append(line)
            continue
        command, want = line[: expected.start()], expected.group(1)
        out.append(f"rc=0; {command} || rc=$?")
        out.append(
            f'[ "$rc" = {want} ] || {{ echo "command {number} exited $rc, not {want}" >&2; exit 1; }}'
        )
    return "\n".join(out) + "\n"


def quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def test_commands_are_read_as_this_module_says() -> None:
    page = "```bash\na --x \\\n  --y   # two lines\n# a comment\nb   # exits 1: on purpose\n```\n"
    lines = commands(page)
    assert lines == ["a --x --y   # two lines", "b   # exits 1: on purpose"]
    assert "\na --x --y   # two lines\n" in script(lines)
    assert "\nrc=0; b || rc=$?\n" in script(lines)
    for lines, code, reached in (
        (["false  # exits 1", "echo reached"], 0, True),
        (["false", "echo reached"], 1, False),
        (["true  # exits 1", "echo reached"], 1, False),
    ):
        done = subprocess.run(["bash", "-c", script(lines)], capture_output=True, text=True)
        assert (done.returncode, "\nreached\n" in done.stdout) == (code, reached), lines


def test_every_benchmark_has_a_small_size() -> None:
    assert set(SMALL) == {f"bench/{p.name}" for p in (ROOT / "bench").glob("*.py")}
    line = ".venv/bin/python bench/overhead.py --runs 5   # minutes"
    assert small(line) == (
        ".venv/bin/python bench/overhead.py --runs 5 --runs 1 --skip-1000   # minutes"
    )


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


WITH_COMMANDS = [p for p in PAGES if [c for c in commands(p.read_text()) if runnable(c)]]


def test_the_pages_that_show_commands() -> None:
    names = {_name(p) for p in WITH_COMMANDS}
    assert {"README.md", "docs/yaml-compatibility.md", "examples/flood-risk/README.md"} <= names


@pytest.mark.parametrize("page", WITH_COMMANDS, ids=_name)
def test_every_command_shown_works(page: Path, tmp_path: Path) -> None:
    lines = [c for c in commands(page.read_text()) if runnable(c)]
    cairn = Cairn(home=tmp_path / "home", project=ROOT)
    (tmp_path / "tmp").mkdir()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CAIRN_HOME": str(cairn.home),
        "TMPDIR": str(tmp_path / "tmp"),
        "NO_COLOR": "1",
    }
    began = time.monotonic()
    try:
        done = subprocess.run(
            ["bash", "-c", script(lines)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        opened = [open_studio_link(link) for link in STUDIO_LINK.findall(done.stdout)]
    finally:
        cairn.stop()
    print(f"{_name(page)}: {len(lines)} commands in {time.monotonic() - began:.1f} s")
    shown = f"{done.stdout}\n{done.stderr}"
    assert done.returncode == 0, shown[-6000:]
    assert "Traceback" not in shown, shown[-6000:]
    assert [where for where, status in opened if status != 200] == []  # every link leads somewhere


STUDIO_LINK = re.compile(r"http://127\.0\.0\.1:\d+/login\?code=[\w-]+&next=\S+")


def open_studio_link(link: str) -> tuple[str, int]:
    """Follow a printed studio link as a browser would: the login page sets the session cookie,
    then the page it names opens; (that page, its HTTP status)."""
    url = httpx.URL(link)
    target = url.params["next"]
    with httpx.Client(timeout=30) as browser:
        signed_in = browser.get(url)
        if signed_in.status_code != 200:
            return str(url), signed_in.status_code
        return target, browser.get(url.copy_with(path=target, query=None)).status_code
