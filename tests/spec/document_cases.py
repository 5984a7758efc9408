"""Helpers for the per-kind document tests: write sample files, validate them, and list what
was found as `(code, line)` pairs so tests can state exact expectations.

Every sample's Azure verdict (azure-ai-ml 1.35.2, loaded and validated offline) is written next
to it as `# Azure: accepts` or `# Azure: rejects (...)`; where Cairn's verdict differs the test
says why. The tests do not need Azure's SDK.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from cairn.spec import documents
from cairn.spec.validate import ValidationReport, validate_asset_file, validate_job_file


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write `name → text` (a name ending in `/` makes a folder)."""
    for name, text in files.items():
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def found(report: ValidationReport) -> list[tuple[str, int | None]]:
    return [(d.code, d.line) for d in report.diagnostics.sorted()]


def job(root: Path, name: str) -> ValidationReport:
    return validate_job_file(root / name, cwd=root)


def asset(root: Path, name: str, kind: documents.Kind | None = None) -> ValidationReport:
    return validate_asset_file(root / name, cwd=root, kind=kind)
