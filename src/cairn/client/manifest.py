"""What a client sends with a document: every file it refers to, by relative path and content
hash, laid out under the nearest folder that holds them all."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.data.hashing import hash_path
from cairn.spec.references import referenced_paths

if TYPE_CHECKING:
    from cairn.data.stat_cache import StatCache
    from cairn.spec.validate import ValidationReport

_SKIPPED = frozenset({".git", "__pycache__", ".venv", ".mypy_cache", ".pytest_cache"})


@dataclass
class Manifest:
    root: Path
    entry: str
    files: dict[str, str] = field(default_factory=dict)
    """relative path → content hash"""
    sources: dict[str, Path] = field(default_factory=dict)
    """content hash → a local file with that content"""


def _keep(rel: str, is_dir: bool) -> bool:
    return rel.rsplit("/", 1)[-1] not in _SKIPPED


def build_manifest(
    file: Path, report: ValidationReport, cache: StatCache | None = None, references: bool = True
) -> Manifest:
    """The document and, unless `references` is False, every file or folder it names."""
    document = file.resolve()
    named = referenced_paths(report) if references else []
    paths = [document, *(p for p in named if p != document)]
    root = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in paths]))
    manifest = Manifest(root=root, entry=document.relative_to(root).as_posix())
    for path in paths:
        tree = hash_path(path, cache=cache, select=_keep)
        relative = path.relative_to(root).as_posix()
        if not tree.is_dir:
            manifest.files[relative] = tree.hash
            manifest.sources.setdefault(tree.hash, path)
            continue
        for entry in tree.files:
            name = f"{relative}/{entry.path}" if relative != "." else entry.path
            manifest.files[name] = entry.hash
            manifest.sources.setdefault(entry.hash, path / entry.path)
    return manifest
