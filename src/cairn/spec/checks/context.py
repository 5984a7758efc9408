"""What the checks share: where to report, the job being checked, and the ports of each node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cairn.spec.entities.nodes import InlineCommandNode

if TYPE_CHECKING:
    from cairn.spec.diagnostics import Diagnostic, Diagnostics
    from cairn.spec.entities.pipeline import PipelineJob
    from cairn.spec.resolve import LoadedNode, Scope


@dataclass
class CheckContext:
    diagnostics: Diagnostics
    job: PipelineJob | None
    seen: set[int] = field(default_factory=set)

    def add(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.add(diagnostic)

    def first_time(self, thing: object) -> bool:
        """True the first time a (shared) component is visited, so it is checked once."""
        if id(thing) in self.seen:
            return False
        self.seen.add(id(thing))
        return True


@dataclass(frozen=True)
class Ports:
    """A node's declared inputs and outputs (name → port entity, or the value for inline jobs)."""

    inputs: dict[str, Any]
    outputs: dict[str, Any]
    owner: str


def ports_of(node: LoadedNode) -> Ports | None:
    """The node's interface, or None where it is not known here (a registered component)."""
    entity = node.entity
    if isinstance(entity, InlineCommandNode):
        return Ports(dict(entity.inputs), dict(entity.outputs), f"job `{node.name}`")
    component = node.component
    if component is None or component.broken:
        return None
    owner = f"component `{component.ref}`" if component.ref else "the inline component"
    return Ports(dict(component.entity.inputs), dict(component.entity.outputs), owner)


def scope_inputs(scope: Scope) -> dict[str, Any]:
    return dict(scope.entity.inputs)


def scope_outputs(scope: Scope) -> dict[str, Any]:
    return dict(scope.entity.outputs)
