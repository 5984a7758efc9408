"""docs/yaml-compatibility.md must say what Cairn does with each snippet it shows.

Every ```yaml block of the page is a complete job file whose first line states the result:

    # expect: valid                       no diagnostics; `job create` would accept it
    # expect: valid W101                  only these warnings; `job create` would accept it
    # expect: E601                        exactly these diagnostic codes (errors and warnings)
    # expect: valid; create: unsupported  validates, but `job create` refuses it with that error
                                          code (`unsupported`, `not_found`, …)

Each snippet is validated as `cairn job validate` does (`validate_job_file`); a snippet that
validates is then submitted as `cairn job create` does on the server (`submit_job`, against a
fresh Cairn home and SQLite store, with no engine: nothing runs), which compiles its plan and
resolves its computes, environments and data. What happens later, while a step runs, is stated in
the page's text and tested by the engine and launcher tests, not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cairn.errors import CairnError
from cairn.home import Home
from cairn.spec.diagnostics import CODES
from cairn.spec.validate import validate_job_file
from cairn.store import open_store, sqlite_url
from cairn.workspace.context import Workspace
from cairn.workspace.jobs import submit_job

if TYPE_CHECKING:
    from collections.abc import Iterator

PAGE = Path(__file__).resolve().parents[2] / "docs" / "yaml-compatibility.md"
_BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_EXPECT = re.compile(r"^# expect: (?P<verdict>[^;\n]+?)(?:; create: (?P<create>[a-z_]+))?\n")


@dataclass(frozen=True)
class Snippet:
    line: int
    text: str
    valid: bool
    codes: frozenset[str]
    create: str | None

    @property
    def id(self) -> str:
        return f"line{self.line}"


def _error_codes() -> set[str]:
    found: set[str] = set()
    stack: list[type[CairnError]] = [CairnError]
    while stack:
        cls = stack.pop()
        found.add(cls.code)
        stack.extend(cls.__subclasses__())
    return found


def snippets() -> list[Snippet]:
    text = PAGE.read_text()
    found = []
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 2
        body = match.group(1)
        expect = _EXPECT.match(body)
        assert expect is not None, (
            f"{PAGE.name}:{line}: a yaml snippet must start with `# expect: …` (see this test)"
        )
        words = expect.group("verdict").split()
        valid = words[0] == "valid"
        codes = frozenset(words[1:] if valid else words)
        found.append(Snippet(line, body, valid, codes, expect.group("create")))
    return found


SNIPPETS = snippets()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    home = Home(tmp_path_factory.mktemp("compat") / "home").ensure()
    store = open_store(sqlite_url(home.database))
    opened = Workspace(home, store, actor="docs")
    yield opened
    opened.close()
    store.close()


def test_the_page_has_snippets_and_their_codes_exist() -> None:
    assert len(SNIPPETS) >= 30, "the compatibility page lost its snippets"
    for snippet in SNIPPETS:
        unknown = snippet.codes - set(CODES)
        assert not unknown, f"{PAGE.name}:{snippet.line}: no diagnostic code {sorted(unknown)}"
        assert snippet.valid or snippet.codes, f"{PAGE.name}:{snippet.line}: expect what?"
        if snippet.create is not None:
            assert snippet.create in _error_codes(), (
                f"{PAGE.name}:{snippet.line}: no error code `{snippet.create}`"
            )
            assert snippet.valid, f"{PAGE.name}:{snippet.line}: only a valid file is submitted"


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_snippet_gives_the_stated_result(
    snippet: Snippet, workspace: Workspace, tmp_path: Path
) -> None:
    file = tmp_path / "pipeline.yml"
    file.write_text(snippet.text)
    report = validate_job_file(file)
    where = f"{PAGE.name}:{snippet.line}"
    found = sorted({d.code for d in report.diagnostics})
    shown = "\n".join(d.format() for d in report.diagnostics.sorted())
    assert found == sorted(snippet.codes), f"{where}: expected {sorted(snippet.codes)}\n{shown}"
    assert report.ok == snippet.valid, f"{where}: valid is {report.ok}\n{shown}"
    if not snippet.valid:
        return
    if snippet.create is None:
        submit_job(workspace, file)
        return
    with pytest.raises(CairnError) as raised:
        submit_job(workspace, file)
    assert raised.value.code == snippet.create, f"{where}: {raised.value.code}: {raised.value}"
