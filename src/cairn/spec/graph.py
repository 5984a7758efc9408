"""The flat graph of a pipeline: every step (nested pipeline components expanded, each use of a
component its own scoped steps), the data edges between them, and the groups that keep the
hierarchy for display.

Step ids join node names with `/` (`prep/clean`), so a component used twice gives two distinct
sets of steps. Edges follow bindings across pipeline-component boundaries: an inner step that
reads `${{parent.inputs.x}}` depends on whatever the outer job bound to `x`.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cairn.spec.bindings import Kind, single_binding
from cairn.spec.checks.bindings import binding_strings
from cairn.spec.entities.io import LiteralInput, Output
from cairn.spec.entities.nodes import CommandNode, InlineCommandNode, PipelineNode, SweepNode

if TYPE_CHECKING:
    from cairn.spec.resolve import LoadedNode, Scope


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    node: str
    type: str
    component: str
    compute: str | None


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    output: str
    target: str
    input: str


@dataclass
class PipelineGraph:
    steps: list[Step] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        sources: dict[str, set[str]] = {}  # one pass over the edges, not one per step
        for edge in self.edges:
            sources.setdefault(edge.target, set()).add(edge.source)
        return {
            "steps": [
                {
                    "id": s.id,
                    "type": s.type,
                    "component": s.component,
                    "compute": s.compute,
                    "depends_on": sorted(sources.get(s.id, ())),
                }
                for s in self.steps
            ],
            "edges": [
                {"from": f"{e.source}.{e.output}", "to": f"{e.target}.{e.input}"}
                for e in self.edges
            ],
            "groups": self.groups,
            "inputs": self.inputs,
            "outputs": self.outputs,
        }


@dataclass(frozen=True)
class _Frame:
    scope: Scope
    prefix: str
    outer: tuple[_Frame, LoadedNode] | None


def build_graph(root: Scope) -> PipelineGraph:
    graph = PipelineGraph(inputs=list(root.entity.inputs), outputs=list(root.entity.outputs))
    job_compute = getattr(root.entity, "compute", None) or getattr(
        getattr(root.entity, "settings", None), "default_compute", None
    )
    stack: list[tuple[_Frame, int]] = [(_Frame(root, "", None), 0)]
    while stack:
        frame, depth = stack.pop()
        for node in frame.scope.nodes.values():
            step_id = frame.prefix + node.name
            if isinstance(node.entity, PipelineNode):
                inner = node.component.scope if node.component else None
                if inner is not None and depth < 64:
                    graph.groups[step_id] = []
                    stack.append((_Frame(inner, step_id + "/", (frame, node)), depth + 1))
                continue
            compute = getattr(node.entity, "compute", None) or job_compute
            graph.steps.append(
                Step(step_id, node.name, _type(node), _component_label(node), compute)
            )
            if frame.prefix:
                graph.groups.setdefault(frame.prefix[:-1], []).append(step_id)
            for input_name, value in (getattr(node.entity, "inputs", {}) or {}).items():
                for source, output in _sources(value, frame):
                    graph.edges.append(Edge(source, output, step_id, input_name))
    graph.steps = _dependency_order(graph.steps, graph.edges)
    return graph


def _dependency_order(steps: list[Step], edges: list[Edge]) -> list[Step]:
    """Steps after the steps they read from; ties keep the written order (cycles: as written)."""
    position = {s.id: i for i, s in enumerate(steps)}
    waiting = {s.id: 0 for s in steps}
    after: dict[str, list[str]] = {s.id: [] for s in steps}
    for edge in {(e.source, e.target) for e in edges}:
        if edge[0] in waiting and edge[1] in waiting:
            waiting[edge[1]] += 1
            after[edge[0]].append(edge[1])
    # A heap keyed by written position: O(E + N log N), so 10,000 steps take milliseconds.
    ready = [(position[sid], sid) for sid, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, sid = heapq.heappop(ready)
        order.append(sid)
        for nxt in after[sid]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(ready, (position[nxt], nxt))
    placed = set(order)
    order.extend(sid for sid in position if sid not in placed)
    by_id = {s.id: s for s in steps}
    return [by_id[sid] for sid in order]


def _sources(value: Any, frame: _Frame, depth: int = 0) -> list[tuple[str, str]]:
    """The step outputs an input value reads, following bindings out of and into components."""
    if depth > 64:
        return []
    if isinstance(value, LiteralInput):
        value = value.value
    found: list[tuple[str, str]] = []
    for text in binding_strings(value):
        expr = single_binding(text)
        if expr is None:
            continue
        if expr.kind is Kind.NODE_OUTPUT:
            target = frame.scope.nodes.get(expr.node)
            if target is not None:
                found.extend(_output_source(target, expr.name, frame, depth + 1))
        elif expr.kind is Kind.PARENT_INPUT and frame.outer is not None:
            outer_frame, outer_node = frame.outer
            bound = (getattr(outer_node.entity, "inputs", {}) or {}).get(expr.name)
            if bound is not None:
                found.extend(_sources(bound, outer_frame, depth + 1))
    return found


def _output_source(
    node: LoadedNode, output: str, frame: _Frame, depth: int
) -> list[tuple[str, str]]:
    step_id = frame.prefix + node.name
    if not isinstance(node.entity, PipelineNode):
        return [(step_id, output)]
    inner = node.component.scope if node.component else None
    if inner is None or depth > 64:
        return []
    inner_frame = _Frame(inner, step_id + "/", (frame, node))
    for inner_node in inner.nodes.values():
        for name, value in (getattr(inner_node.entity, "outputs", {}) or {}).items():
            text = value.path if isinstance(value, Output) else value
            expr = single_binding(text)
            if expr is not None and expr.kind is Kind.PARENT_OUTPUT and expr.name == output:
                return _output_source(inner_node, name, inner_frame, depth + 1)
    return []


def _type(node: LoadedNode) -> str:
    entity = node.entity
    if isinstance(entity, CommandNode | InlineCommandNode):
        return "command"
    if isinstance(entity, SweepNode):
        return "sweep"
    return str(getattr(entity, "type", "unknown"))


def _component_label(node: LoadedNode) -> str:
    if node.asset_ref:
        return node.asset_ref
    if isinstance(node.entity, InlineCommandNode):
        return "(inline job)"
    if node.component is None:
        return "(not loaded)"
    if node.component.ref:
        return node.component.ref
    return "(inline component)"
