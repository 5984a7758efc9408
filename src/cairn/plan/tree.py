"""The pipeline as the compiler walks it: components from files, inline, or the workspace.

Spec's resolver loads what files name; registered components (`azureml:…`) are fetched here
through `Lookups`, so both kinds expand the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cairn.errors import InvalidSpec
from cairn.spec.entities.component import CommandComponent
from cairn.spec.entities.nodes import CommandNode, InlineCommandNode, PipelineNode, SweepNode
from cairn.spec.entities.pipeline import PipelineComponent

if TYPE_CHECKING:
    from cairn.plan.lookups import Lookups
    from cairn.plan.model import CodeInfo
    from cairn.spec.entities.nodes import Node
    from cairn.spec.resolve import LoadedComponent, LoadedNode, Scope


@dataclass
class Comp:
    """A component with what the compiler needs to expand and identify it."""

    entity: CommandComponent | PipelineComponent
    origin: Literal["inline", "file", "registered"]
    ref: str | None
    base_dir: Path | None
    name: str | None = None
    version: str | None = None
    code: CodeInfo | None = None
    nodes: dict[str, TreeNode] = field(default_factory=dict)


@dataclass
class TreeNode:
    name: str
    entity: Node
    base_dir: Path | None
    """The folder of the file the node is written in (local data paths start there)."""
    component: Comp | None


def from_scope(scope: Scope, lookups: Lookups) -> dict[str, TreeNode]:
    """The nodes of a spec scope, with registered components fetched."""
    return {name: _from_loaded_node(node, lookups) for name, node in scope.nodes.items()}


def _from_loaded_node(node: LoadedNode, lookups: Lookups) -> TreeNode:
    base = node.source.base_dir
    if node.asset_ref is not None:
        return TreeNode(node.name, node.entity, base, registered(node.asset_ref, lookups))
    if isinstance(node.entity, InlineCommandNode):
        return TreeNode(node.name, node.entity, base, None)
    if node.component is None:
        raise InvalidSpec(f"job `{node.name}`: its component could not be loaded")
    return TreeNode(node.name, node.entity, base, _from_loaded(node.component, lookups))


def _from_loaded(loaded: LoadedComponent, lookups: Lookups) -> Comp:
    origin: Literal["inline", "file"] = "file" if loaded.ref else "inline"
    comp = Comp(
        loaded.entity,
        origin,
        loaded.ref,
        loaded.base_dir,
        loaded.entity.name,
        loaded.entity.version,
    )
    if loaded.scope is not None:
        comp.nodes = from_scope(loaded.scope, lookups)
    return comp


def registered(ref: str, lookups: Lookups, depth: int = 0) -> Comp:
    """A workspace component and, for pipeline components, its nodes (recursively)."""
    if depth > 32:
        raise InvalidSpec(f"{ref}: registered pipeline components nest more than 32 levels")
    found = lookups.registered_component(ref)
    comp = Comp(found.entity, "registered", ref, None, found.name, found.version, found.code)
    if isinstance(found.entity, PipelineComponent):
        for name, node in found.entity.jobs.items():
            comp.nodes[name] = TreeNode(name, node, None, _node_component(node, lookups, depth))
    return comp


def _node_component(node: Node, lookups: Lookups, depth: int) -> Comp | None:
    if isinstance(node, CommandNode | SweepNode):
        value = node.component if isinstance(node, CommandNode) else node.trial
        if isinstance(value, CommandComponent):
            return Comp(value, "inline", None, None)
        return registered(value, lookups, depth + 1)
    if isinstance(node, PipelineNode):
        return registered(node.component, lookups, depth + 1)
    return None
