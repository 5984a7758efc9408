"""The checks a pipeline must pass before anything runs.

Each check is a small function over one scope (the pipeline job, or one pipeline component) that
adds diagnostics; `run_checks` runs every check over every scope once, so one run reports every
problem. Azure's own validator misses several of these (azure-compat.md §12): bindings to missing
nodes and inputs, cycles, missing data paths, unknown node input names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.spec.checks import bindings, commands, compute, files, graph, inputs, structure
from cairn.spec.checks.context import CheckContext

if TYPE_CHECKING:
    from cairn.spec.resolve import Scope

SCOPE_CHECKS = (
    structure.check_scope,
    bindings.check_scope,
    inputs.check_scope,
    graph.check_scope,
    files.check_scope,
    compute.check_scope,
)


def run_checks(root: Scope, context: CheckContext) -> None:
    """Run every check over `root` and each pipeline component scope beneath it."""
    structure.check_job(root, context)
    files.check_job_inputs(root, context)
    for scope in root.walk():
        for check in SCOPE_CHECKS:
            check(scope, context)
    commands.check_all(root, context)


__all__ = ["CheckContext", "run_checks"]
