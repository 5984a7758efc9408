"""Pages generated from the code must match the code: regenerate them when this fails
(`python -m cairn.cli.reference docs/cli.md`, `python -m cairn.cli.troubleshooting
docs/troubleshooting.md`)."""

from __future__ import annotations

from pathlib import Path

from cairn.cli import reference, troubleshooting

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_cli_reference_is_current() -> None:
    assert (DOCS / "cli.md").read_text() == reference.render(), (
        "docs/cli.md is stale: run `.venv/bin/python -m cairn.cli.reference docs/cli.md`"
    )


def test_troubleshooting_page_is_current() -> None:
    assert (DOCS / "troubleshooting.md").read_text() == troubleshooting.render(), (
        "docs/troubleshooting.md is stale: run "
        "`.venv/bin/python -m cairn.cli.troubleshooting docs/troubleshooting.md`"
    )


def test_every_error_code_has_a_meaning() -> None:
    text = troubleshooting.render()
    assert "Base of every error" not in text
    for line in text.splitlines():
        if line.startswith("| `"):
            assert line.rstrip(" |").split("|")[-1].strip(), line
