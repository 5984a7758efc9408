"""Helpers for spec tests: write a small project of YAML files into a temp folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)
