"""Which files of a `code:` folder go into its snapshot, as Azure ML decides it.

Owns: reading the folder's ignore file — `.amlignore` if present, else `.gitignore`, only at the top
of the folder (Azure ML reads no nested ignore files either) — with gitignore semantics through
`pathspec`, plus the names Cairn always leaves out: `__pycache__` (Azure ML's component upload
leaves it out too) and `.git` (its content changes with every commit and would defeat reuse; the
source commit is recorded separately).
Must not: walk folders or copy files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pathspec

if TYPE_CHECKING:
    from pathlib import Path

AML_IGNORE = ".amlignore"
GIT_IGNORE = ".gitignore"
ALWAYS_IGNORED = frozenset({"__pycache__", ".git"})


@dataclass(frozen=True)
class IgnoreRules:
    """A compiled ignore file; `source` names the file it came from (None when there is none)."""

    spec: pathspec.GitIgnoreSpec
    source: str | None

    def keeps(self, rel: str, is_dir: bool) -> bool:
        """The `select` callback for `walk_files`: False for ignored files and folders."""
        if rel.rsplit("/", 1)[-1] in ALWAYS_IGNORED:
            return False
        # A trailing slash lets directory-only patterns ("build/") prune the whole folder.
        return not self.spec.match_file(rel + "/" if is_dir else rel)


def load_ignore_rules(folder: Path) -> IgnoreRules:
    """The ignore rules of `folder`: `.amlignore` takes precedence over `.gitignore`."""
    for name in (AML_IGNORE, GIT_IGNORE):
        candidate = folder / name
        if candidate.is_file():
            lines = candidate.read_text(encoding="utf-8", errors="replace").splitlines()
            return IgnoreRules(pathspec.GitIgnoreSpec.from_lines(lines), name)
    return IgnoreRules(pathspec.GitIgnoreSpec.from_lines([]), None)
