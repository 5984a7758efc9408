"""Shared by `job validate` and `component validate`: run the validator, print the result."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.cli.common import OutputFormat, emit

if TYPE_CHECKING:
    from cairn.spec.validate import ValidationReport


def print_report(report: ValidationReport, output: OutputFormat, query: str | None) -> int:
    """Print the report in the chosen format; return the exit status (1 when invalid)."""
    if output is not OutputFormat.table or query:
        emit(report.to_dict(), output, query)
        return 0 if report.ok else 1
    from rich.console import Console

    # On a pipe, tables keep one row per line (for grep) rather than wrapping at 80 columns.
    out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
    for diagnostic in report.diagnostics.sorted():
        style = "red" if diagnostic.is_error else "yellow"
        first, _, rest = diagnostic.format().partition("\n")
        out.print(first, style=style, markup=False)
        if rest:
            out.print(rest, style="dim", markup=False)
    errors, warnings = len(report.diagnostics.errors), len(report.diagnostics.warnings)
    if not report.ok:
        out.print(
            f"{report.file}: invalid — {errors} error{'s' * (errors != 1)}, "
            f"{warnings} warning{'s' * (warnings != 1)}",
            style="bold red",
            markup=False,
        )
        return 1
    _print_summary(report, out)
    return 0


def _print_summary(report: ValidationReport, out: object) -> None:
    from rich.console import Console
    from rich.table import Table

    assert isinstance(out, Console)
    warnings = len(report.diagnostics.warnings)
    suffix = f" ({warnings} warning{'s' * (warnings != 1)})" if warnings else ""
    out.print(f"{report.file}: valid {report.kind}{suffix}", style="bold green", markup=False)
    graph = report.graph
    if graph is None:
        return
    out.print(
        f"{len(graph.steps)} steps, {len(graph.edges)} edges, "
        f"{len(graph.groups)} nested pipeline{'s' * (len(graph.groups) != 1)}",
        markup=False,
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("step", "type", "component", "compute", "after"):
        table.add_column(column, overflow="fold")
    after: dict[str, list[str]] = {}
    for edge in graph.edges:
        after.setdefault(edge.target, [])
        if edge.source not in after[edge.target]:
            after[edge.target].append(edge.source)
    for step in graph.steps:
        table.add_row(
            step.id,
            step.type,
            step.component,
            step.compute or "local",
            ", ".join(after.get(step.id, [])) or "-",
        )
    out.print(table)
    if graph.inputs:
        out.print("inputs:  " + ", ".join(graph.inputs), markup=False)
    if graph.outputs:
        out.print("outputs: " + ", ".join(graph.outputs), markup=False)


def check_file(path: Path) -> None:
    """A missing or unreadable --file is a usage error (exit 2), as for `az`."""
    from cairn.errors import UsageError

    if not path.exists():
        raise UsageError(f"--file {path}: no such file", hint="check the path")
    if path.is_dir():
        raise UsageError(f"--file {path}: is a folder; name the YAML file in it")
    if not sys.platform.startswith("win") and not path.stat().st_mode & 0o444:
        raise UsageError(f"--file {path}: not readable")
