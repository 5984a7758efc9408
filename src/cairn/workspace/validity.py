"""Turning a validation report with errors into one `InvalidSpec` that carries every problem."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.errors import InvalidSpec

if TYPE_CHECKING:
    from cairn.spec.validate import ValidationReport


def require_valid(report: ValidationReport, what: str) -> None:
    """Raise `InvalidSpec` listing every error (with file:line:col) when the report has any."""
    errors = report.diagnostics.errors
    if not errors:
        return
    shown = "\n".join(d.format() for d in sorted(errors, key=lambda d: d.sort_key())[:20])
    more = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
    raise InvalidSpec(
        f"{what} {report.file} is not valid ({len(errors)} error{'s' * (len(errors) != 1)}):\n"
        f"{shown}{more}",
        hint=f"run `cairn {what} validate --file {report.file}` to see warnings too",
        details={"diagnostics": [d.to_dict() for d in report.diagnostics.sorted()]},
    )
