"""Lineage: for an asset version, the job step that produced it, the steps and data upstream of
that step, and the jobs that consumed it, as a graph one can walk from a model to its data.

A producer is the asset's recorded `produced_by_job_id`, or the job its path named when it was
registered from a job output (`azureml://jobs/<job>/outputs/<output>`). Upstream of the producing
step come the steps it depends on in its pipeline and, for each, the registered data and model
versions it read (which may have producers of their own, followed `MAX_HOPS` assets deep).

Must not: change anything or render HTML.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cairn.errors import NotFound
from cairn.server.studio.graph import curve
from cairn.server.studio.layout import Box, layered_layout
from cairn.store.records import AssetKind

if TYPE_CHECKING:
    from cairn.store import Store
    from cairn.store.records import Asset, Job

MAX_HOPS = 3
MAX_NODES = 300
_JOB_OUTPUT = re.compile(r"^azureml://jobs/([^/]+)/outputs/([^/]+)")


@dataclass(frozen=True, slots=True)
class LineageNode:
    id: str
    kind: str
    """`asset`, `step` or `uri`."""
    label: str
    detail: str
    job: str | None = None
    step: str | None = None
    asset: tuple[str, str, str] | None = None
    """(kind, name, version) of an asset node."""
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0


@dataclass(frozen=True, slots=True)
class LineageEdge:
    path: str
    label: str
    label_x: float
    label_y: float


@dataclass(frozen=True, slots=True)
class Lineage:
    nodes: tuple[LineageNode, ...]
    edges: tuple[LineageEdge, ...]
    width: float
    height: float
    producer: tuple[str, str] | None
    """(job, step) that produced the asset."""
    consumers: tuple[tuple[str, str, str], ...]
    """(job, step, input) of each use."""


class _Builder:
    def __init__(self, store: Store, workspace: str) -> None:
        self.store = store
        self.workspace = workspace
        self.nodes: dict[str, LineageNode] = {}
        self.edges: dict[tuple[str, str], str] = {}
        self.plans: dict[int, dict[str, Any]] = {}

    def asset_node(self, asset: Asset) -> str:
        node_id = f"asset:{asset.id}"
        self.nodes.setdefault(
            node_id,
            LineageNode(
                node_id,
                "asset",
                f"{asset.name}:{asset.version}",
                str(asset.kind),
                asset=(str(asset.kind), asset.name, asset.version),
            ),
        )
        return node_id

    def step_node(self, parent: Job, step_id: str) -> str:
        node_id = f"step:{parent.name}/{step_id}"
        self.nodes.setdefault(
            node_id,
            LineageNode(
                node_id, "step", step_id, parent.display_name, job=parent.name, step=step_id
            ),
        )
        return node_id

    def plan(self, parent: Job) -> dict[str, Any]:
        if parent.id not in self.plans:
            self.plans[parent.id] = dict(self.store.jobs.plan(parent.id) or {})
        return self.plans[parent.id]

    def producer(self, asset: Asset) -> tuple[Job, str] | None:
        """(pipeline job, step id) that wrote the asset's content, where known."""
        job: Job | None = None
        output: str | None = None
        if asset.produced_by_job_id is not None:
            job = self.store.jobs.get(asset.produced_by_job_id)
            output = asset.produced_by_output
        else:
            match = _JOB_OUTPUT.match(str(asset.spec.get("origin") or asset.spec.get("path") or ""))
            if match is None:
                return None
            try:
                job = self.store.jobs.get_by_name(self.workspace, match.group(1))
            except NotFound:
                return None
            output = match.group(2)
        if job.parent_id is not None:
            return self.store.jobs.get(job.parent_id), str(job.node_path or job.node_name)
        for step_id, step in (self.plan(job).get("steps") or {}).items():
            for name, dest in (step.get("outputs") or {}).items():
                if dest.get("pipeline_output") == output or (output is None and name):
                    return job, step_id
        return None

    def upstream(self, parent: Job, step_id: str, hops: int) -> None:
        """The steps and assets `step_id` of `parent` depends on, transitively."""
        steps = self.plan(parent).get("steps") or {}
        queue = deque([step_id])
        seen = {step_id}
        while queue and len(self.nodes) < MAX_NODES:
            current = queue.popleft()
            target = self.step_node(parent, current)
            for input_name, source in (steps.get(current, {}).get("inputs") or {}).items():
                kind = source.get("kind")
                if kind == "step_output":
                    up = str(source.get("step"))
                    self.edges[(self.step_node(parent, up), target)] = (
                        f"{source.get('output')} → {input_name}"
                    )
                    if up not in seen:
                        seen.add(up)
                        queue.append(up)
                elif kind == "data":
                    self.data_input(source, target, input_name, hops)

    def data_input(self, source: dict[str, Any], target: str, input_name: str, hops: int) -> None:
        if source.get("asset"):
            kind = AssetKind.MODEL if "model" in str(source.get("type")) else AssetKind.DATA
            try:
                asset = self.store.assets.resolve(self.workspace, kind, str(source["asset"]))
            except NotFound:
                return
            node = self.asset_node(asset)
            self.edges[(node, target)] = input_name
            if hops < MAX_HOPS:
                self.follow_producer(asset, hops + 1)
            return
        uri = str(source.get("uri") or "")
        node_id = f"uri:{uri}"
        short = uri if len(uri) <= 28 else "…" + uri[-27:]
        self.nodes.setdefault(node_id, LineageNode(node_id, "uri", short, "data path"))
        self.edges[(node_id, target)] = input_name

    def follow_producer(self, asset: Asset, hops: int) -> tuple[str, str] | None:
        found = self.producer(asset)
        if found is None:
            return None
        parent, step_id = found
        self.edges[(self.step_node(parent, step_id), self.asset_node(asset))] = "output"
        self.upstream(parent, step_id, hops)
        return parent.name, step_id


def lineage(store: Store, workspace: str, asset: Asset) -> Lineage:
    builder = _Builder(store, workspace)
    start = builder.asset_node(asset)
    producer = builder.follow_producer(asset, 0)
    consumers = []
    for use in store.assets.uses_of(asset.id)[:50]:
        step_job = store.jobs.get(use.job_id)
        parent = store.jobs.get(step_job.parent_id) if step_job.parent_id else step_job
        step_id = str(step_job.node_path or step_job.node_name or step_job.name)
        builder.edges[(start, builder.step_node(parent, step_id))] = use.input_name
        consumers.append((parent.name, step_id, use.input_name))
    return _placed(builder, producer, tuple(consumers))


def _placed(
    builder: _Builder, producer: tuple[str, str] | None, consumers: tuple[tuple[str, str, str], ...]
) -> Lineage:
    boxes = [Box(node_id, 184.0, 46.0) for node_id in builder.nodes]
    layout = layered_layout(boxes, list(builder.edges))
    nodes = tuple(
        LineageNode(
            n.id,
            n.kind,
            n.label,
            n.detail,
            n.job,
            n.step,
            n.asset,
            layout.nodes[n.id].x,
            layout.nodes[n.id].y,
            184.0,
            46.0,
        )
        for n in builder.nodes.values()
    )
    edges = []
    for route in layout.edges:
        path, (x, y) = curve(route.points)
        edges.append(LineageEdge(path, builder.edges.get((route.source, route.target), ""), x, y))
    return Lineage(nodes, tuple(edges), layout.width, layout.height, producer, consumers)
