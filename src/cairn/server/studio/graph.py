"""The job graph as the studio draws it: steps (or collapsed pipeline components) as boxes
coloured by status, edges labelled `output → input`, expanded components as frames.

Owns: turning a plan and its steps' live state into a drawing (`draw`). Must not: read the store
or render HTML; `layout` places the boxes, the template writes the SVG.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from cairn.server.studio.layout import Box, Layout, layered_layout

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

NODE_W = 184.0
NODE_H = 46.0
FRAME_PAD = 10.0
LABEL_CHARS = 24


@dataclass(frozen=True, slots=True)
class StepState:
    """What the graph shows of one step."""

    status: str
    duration: str
    reused: bool


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    label: str
    title: str
    status: str
    detail: str
    reused: bool
    group: bool
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    path: str
    label: str
    label_x: float
    label_y: float


@dataclass(frozen=True, slots=True)
class Frame:
    id: str
    label: str
    depth: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Drawing:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    frames: tuple[Frame, ...]
    groups: tuple[tuple[str, str, bool], ...]
    """Every pipeline component: (id, display name, collapsed)."""
    width: float
    height: float
    crossings: int


@dataclass(frozen=True)
class Shape:
    """What a drawing keeps between requests: a plan's frozen layout for one set of collapsed
    components (a stored plan never changes, so neither does this)."""

    members: dict[str, list[str]]
    labels: dict[tuple[str, str], str]
    layout: Layout
    folded: list[str]


def shape(plan: Mapping[str, Any], collapsed: Collection[str] = ()) -> Shape:
    steps: Mapping[str, Any] = plan.get("steps") or {}
    groups: Mapping[str, Any] = plan.get("groups") or {}
    folded = sorted((g for g in collapsed if g in groups), key=len)
    members: dict[str, list[str]] = {}
    owner = {}
    for step_id in steps:
        owner[step_id] = _representative(step_id, folded)
        members.setdefault(owner[step_id], []).append(step_id)
    labels = _edge_labels(steps, owner)
    boxes = [Box(node_id, NODE_W, NODE_H) for node_id in members]
    clusters = {node_id: _groups_of(node_id, groups) for node_id in members}
    laid_out = layered_layout(boxes, list(labels), margin=48.0, clusters=clusters)
    return Shape(members, labels, laid_out, folded)


def _groups_of(node_id: str, groups: Mapping[str, Any]) -> tuple[str, ...]:
    """The expanded components a node lies in, outermost first."""
    parts = node_id.split("/")
    return tuple(p for p in ("/".join(parts[:k]) for k in range(1, len(parts))) if p in groups)


def draw(
    plan: Mapping[str, Any],
    states: Mapping[str, StepState],
    collapsed: Collection[str] = (),
    laid_out: Shape | None = None,
) -> Drawing:
    """The drawing of `plan`'s steps with `states` (by step id), `collapsed` components as one
    box each; `laid_out` is the plan's `shape` for the same components, when kept."""
    steps: Mapping[str, Any] = plan.get("steps") or {}
    groups: Mapping[str, Any] = plan.get("groups") or {}
    found = laid_out or shape(plan, collapsed)
    layout = found.layout
    nodes = tuple(
        _node(node_id, ids, steps, groups, states, layout) for node_id, ids in found.members.items()
    )
    edges = tuple(
        _edge(route.source, route.target, route.points, found.labels) for route in layout.edges
    )
    frames = _frames(groups, found.folded, layout)
    listed = tuple(
        (gid, str(groups[gid].get("display_name") or gid), _is_folded(gid, found.folded))
        for gid in sorted(groups)
    )
    return Drawing(nodes, edges, frames, listed, layout.width, layout.height, layout.crossings)


def _representative(step_id: str, folded: list[str]) -> str:
    for group in folded:  # shortest first: the outermost collapsed component wins
        if step_id.startswith(group + "/"):
            return group
    return step_id


def _is_folded(group: str, folded: list[str]) -> bool:
    return any(group == f or group.startswith(f + "/") for f in folded)


def _edge_labels(steps: Mapping[str, Any], owner: Mapping[str, str]) -> dict[tuple[str, str], str]:
    labels: dict[tuple[str, str], list[str]] = {}
    for step_id, step in steps.items():
        target = owner[step_id]
        bound: set[str] = set()
        for input_name, source in (step.get("inputs") or {}).items():
            if isinstance(source, dict) and source.get("kind") == "step_output":
                upstream = str(source.get("step"))
                bound.add(upstream)
                if upstream in owner and owner[upstream] != target:
                    pair = (owner[upstream], target)
                    labels.setdefault(pair, []).append(f"{source.get('output')} → {input_name}")
        for upstream in step.get("depends_on") or []:
            if upstream not in bound and upstream in owner and owner[upstream] != target:
                labels.setdefault((owner[upstream], target), [])
    return {pair: ", ".join(sorted(set(names))) for pair, names in labels.items()}


def _node(
    node_id: str,
    ids: list[str],
    steps: Mapping[str, Any],
    groups: Mapping[str, Any],
    states: Mapping[str, StepState],
    layout: Layout,
) -> Node:
    placed = layout.nodes[node_id]
    if node_id in groups:
        name = str(groups[node_id].get("display_name") or node_id)
        status = _group_status([states[s].status for s in ids if s in states])
        detail = f"{status} · {len(ids)} steps"
        reused = all(states[s].reused for s in ids if s in states) and bool(ids)
        group = True
    else:
        name = str(steps[node_id].get("display_name") or node_id)
        state = states.get(node_id, StepState("NotStarted", "", False))
        status, reused, group = state.status, state.reused, False
        detail = f"{status} · {state.duration}" if state.duration else status
    return Node(
        id=node_id,
        label=name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…",
        title=f"{node_id}: {name}",
        status=status,
        detail=detail,
        reused=reused,
        group=group,
        x=placed.x,
        y=placed.y,
        width=placed.width,
        height=placed.height,
    )


_PRECEDENCE = ("Failed", "CancelRequested", "Running", "Finalizing", "Preparing", "Queued")


def _group_status(statuses: list[str]) -> str:
    for status in _PRECEDENCE:
        if status in statuses:
            return status
    if statuses and all(s == "Completed" for s in statuses):
        return "Completed"
    if "Canceled" in statuses:
        return "Canceled"
    return "Completed" if statuses and "NotStarted" not in statuses else "NotStarted"


def _edge(
    source: str,
    target: str,
    points: tuple[tuple[float, float], ...],
    labels: Mapping[tuple[str, str], str],
) -> Edge:
    path, (x, y) = curve(points)
    return Edge(source, target, path, labels.get((source, target), ""), x, y)


def curve(points: tuple[tuple[float, float], ...]) -> tuple[str, tuple[float, float]]:
    """An SVG path through `points` (horizontal tangents) and where its label goes."""
    parts = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
    for (x0, y0), (x1, y1) in pairwise(points):
        bend = (x1 - x0) / 2
        parts.append(f"C{x0 + bend:.1f},{y0:.1f} {x1 - bend:.1f},{y1:.1f} {x1:.1f},{y1:.1f}")
    middle = len(points) // 2
    (ax, ay), (bx, by) = points[middle - 1], points[middle]
    return " ".join(parts), ((ax + bx) / 2, (ay + by) / 2 - 4)


def _frames(groups: Mapping[str, Any], folded: list[str], layout: Layout) -> tuple[Frame, ...]:
    frames = []
    for gid in sorted(groups, key=lambda g: (g.count("/"), g)):
        if _is_folded(gid, folded):
            continue
        inside = [p for node_id, p in layout.nodes.items() if node_id.startswith(gid + "/")]
        if not inside:
            continue
        depth = gid.count("/")
        pad = FRAME_PAD * (3 - min(depth, 2))
        left = min(p.x for p in inside) - pad
        top = min(p.y for p in inside) - pad - 14
        right = max(p.x + p.width for p in inside) + pad
        bottom = max(p.y + p.height for p in inside) + pad
        label = str(groups[gid].get("display_name") or gid)
        frames.append(Frame(gid, label, depth, left, top, right - left, bottom - top))
    return tuple(frames)
