"""Shape of a pipeline: jobs present, `jobs` xor `component`, node names, node types Cairn runs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cairn.spec.entities.nodes import UNSUPPORTED_NODE_TYPES, UnsupportedNode

if TYPE_CHECKING:
    from cairn.spec.checks.context import CheckContext
    from cairn.spec.resolve import Scope

NODE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
"""Azure's rule for node names (`NodeNameStr`: a Python identifier in lower case)."""


def check_job(root: Scope, context: CheckContext) -> None:
    job = context.job
    if job is None:
        return
    raw = root.source.root if isinstance(root.source.root, dict) else {}
    if job.component is not None and raw.get("jobs"):
        context.add(
            root.source.diag(
                "E107",
                "`jobs` and `component` cannot be used together in a pipeline job",
                ("component",),
                key=True,
                hint="either list the jobs here, or point `component` at a pipeline component",
            )
        )


def check_scope(scope: Scope, context: CheckContext) -> None:
    # Read the file, not the entity: jobs left out of the entity as invalid are reported already.
    if not _raw(scope).get("jobs") and not (
        context.job is not None and scope.is_job and context.job.component
    ):
        context.add(
            scope.source.diag(
                "E403",
                "the pipeline has no jobs",
                (*scope.at, "jobs") if "jobs" in _raw(scope) else scope.at,
                hint="add at least one job under `jobs:`",
            )
        )
    for name, node in scope.nodes.items():
        if not NODE_NAME.match(name):
            context.add(
                scope.source.diag(
                    "E105",
                    f"job name `{name}` is not valid: use lower-case letters, digits and "
                    "underscores, not starting with a digit",
                    node.at,
                    key=True,
                    hint=f"for example `{_suggest(name)}`",
                )
            )
        if isinstance(node.entity, UnsupportedNode):
            kind = node.entity.type.lower()
            feature = UNSUPPORTED_NODE_TYPES.get(kind, kind)
            context.add(
                scope.source.diag(
                    "E601",
                    f"job `{name}` is of type `{kind}`: Cairn does not run {feature} yet",
                    (*node.at, "type"),
                    hint="run this pipeline in Azure ML, or replace the step with a command job",
                )
            )


def _raw(scope: Scope) -> dict[str, object]:
    raw = scope.source.at(scope.at) if scope.at else scope.source.root
    return raw if isinstance(raw, dict) else {}


def _suggest(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9_]", "_", name.lower())
    return cleaned if cleaned and not cleaned[0].isdigit() else f"_{cleaned}"
