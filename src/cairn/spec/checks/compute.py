"""Compute: Azure rejects a job with no compute anywhere; Cairn runs it on `local` and warns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.spec.entities.nodes import CommandNode, InlineCommandNode, SweepNode

if TYPE_CHECKING:
    from cairn.spec.checks.context import CheckContext
    from cairn.spec.resolve import Scope


def check_scope(scope: Scope, context: CheckContext) -> None:
    if context.job is None or context.job.default_compute:
        return
    for node in scope.nodes.values():
        entity = node.entity
        if isinstance(entity, CommandNode | SweepNode | InlineCommandNode) and not entity.compute:
            context.add(
                node.source.diag(
                    "W601",
                    f"job `{node.name}` has no compute; Azure would reject this file, Cairn runs "
                    "it on `local`",
                    node.at,
                    key=True,
                    hint="set `compute:` on the job, or `settings.default_compute` on the pipeline",
                )
            )
