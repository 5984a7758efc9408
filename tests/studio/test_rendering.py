"""The studio's drawing and formatting, in process: the layered layout, the job graph with
collapsed components, the timeline's critical path and idle time, and the filters pages use."""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cairn.server.auth import Permission, Principal
from cairn.server.studio import jobdata
from cairn.server.studio.graph import StepState, draw
from cairn.server.studio.layout import Box, layered_layout
from cairn.server.studio.lineage import _JOB_OUTPUT
from cairn.server.studio.login import safe_next
from cairn.server.studio.sessions import StudioSessions
from cairn.server.studio.templating import duration, query, size
from cairn.server.studio.timeline import chart
from cairn.store.records import JobEvent, job_timings
from cairn.store.status import JobStatus

S = JobStatus


def boxes(*names: str) -> list[Box]:
    return [Box(n, 100, 40) for n in names]


def overlapping(layout: Any) -> list[tuple[str, str]]:
    placed = sorted(layout.nodes.values(), key=lambda p: (p.x, p.y))
    found = []
    for a, b in itertools.pairwise(placed):
        if a.x == b.x and b.y < a.y + a.height:
            found.append((a.id, b.id))
    return found


def test_every_edge_points_right_and_no_boxes_overlap() -> None:
    rng = random.Random(7)
    names = [f"n{i}" for i in range(120)]
    edges = [(f"n{j}", f"n{i}") for i in range(1, 120) for j in rng.sample(range(i), min(2, i))]
    layout = layered_layout(boxes(*names), edges)
    for a, b in edges:
        assert layout.nodes[a].x + layout.nodes[a].width < layout.nodes[b].x
    assert overlapping(layout) == []
    for route in layout.edges:
        xs = [x for x, _ in route.points]
        assert xs == sorted(xs)


def test_trees_and_diamonds_are_drawn_without_crossings() -> None:
    diamond = layered_layout(
        boxes("a", "b", "c", "d"), [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    )
    assert diamond.crossings == 0
    tree_edges = [(f"t{i // 3}", f"t{i}") for i in range(1, 40)]
    tree = layered_layout(boxes(*(f"t{i}" for i in range(40))), tree_edges)
    assert tree.crossings == 0
    # Two chains fed in crossed order untangle.
    crossed = layered_layout(
        boxes("a1", "b1", "a2", "b2", "a3", "b3"),
        [("a1", "a2"), ("b1", "b2"), ("a2", "b3"), ("b2", "a3")],
    )
    assert crossed.crossings == 0


def test_a_source_sits_next_to_its_consumer() -> None:
    layout = layered_layout(boxes("a", "b", "c", "late"), [("a", "b"), ("b", "c"), ("late", "c")])
    assert layout.nodes["late"].x == layout.nodes["b"].x  # not far left with a long edge


def test_a_500_node_pipeline_lays_out_well_within_the_page_budget() -> None:
    rng = random.Random(1)
    names = [f"s{i}" for i in range(500)]
    edges = [
        (f"s{j}", f"s{i}")
        for i in range(1, 500)
        for j in rng.sample(range(max(0, i - 30), i), min(2, i))
    ]
    started = time.perf_counter()
    layout = layered_layout(boxes(*names), edges)
    assert time.perf_counter() - started < 1.0  # ~40 ms here; generous for a busy CI machine
    assert len(layout.nodes) == 500 and overlapping(layout) == []


def plan_with_group() -> dict[str, Any]:
    def step(depends: list[str], inputs: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"depends_on": depends, "inputs": inputs or {}, "display_name": ""}

    out = {"kind": "step_output", "output": "out", "type": "uri_folder", "mode": "ro_mount"}
    return {
        "steps": {
            "load": step([]),
            "prep/clean": step(["load"], {"raw": {**out, "step": "load"}}),
            "prep/split": step(["prep/clean"], {"data": {**out, "step": "prep/clean"}}),
            "train": step(["prep/split"], {"train": {**out, "step": "prep/split"}}),
        },
        "groups": {"prep": {"display_name": "Preparation", "children": ["prep/clean"]}},
    }


def test_the_graph_labels_edges_and_frames_or_collapses_components() -> None:
    plan = plan_with_group()
    states = {
        "load": StepState("Completed", "1.0 s", True),
        "prep/clean": StepState("Completed", "2.0 s", False),
        "prep/split": StepState("Running", "3.0 s", False),
        "train": StepState("NotStarted", "", False),
    }
    drawing = draw(plan, states)
    assert {n.id for n in drawing.nodes} == set(plan["steps"])
    labels = {(e.source, e.target): e.label for e in drawing.edges}
    assert labels[("load", "prep/clean")] == "out → raw"
    assert [f.id for f in drawing.frames] == ["prep"]
    assert next(n for n in drawing.nodes if n.id == "load").reused
    folded = draw(plan, states, ["prep"])
    assert {n.id for n in folded.nodes} == {"load", "prep", "train"}
    group = next(n for n in folded.nodes if n.id == "prep")
    assert group.group and group.status == "Running" and "2 steps" in group.detail
    assert {(e.source, e.target) for e in folded.edges} == {("load", "prep"), ("prep", "train")}
    assert folded.frames == () and folded.groups == (("prep", "Preparation", True),)


@dataclass
class FakeJob:
    status: JobStatus
    name: str = "j"
    id: int = 1
    properties: dict[str, Any] = field(default_factory=dict)
    reused_from_id: int | None = None
    display_name: str = "j"
    status_at: datetime = field(default_factory=lambda: datetime.now(UTC))


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def step(step_id: str, depends: list[str], phases: list[tuple[JobStatus, float]]) -> Any:
    events = tuple(
        JobEvent(i, 1, status, T0 + timedelta(seconds=at), None, None)
        for i, (status, at) in enumerate(phases)
    )
    final = phases[-1][0]
    return jobdata.StepView(
        step_id,
        FakeJob(final),
        events,
        job_timings(events),
        {"depends_on": depends},  # type: ignore[arg-type]
    )


def test_the_timeline_finds_the_critical_path_and_the_idle_time() -> None:
    steps = {
        "a": step("a", [], [(S.QUEUED, 0), (S.RUNNING, 1), (S.COMPLETED, 5)]),
        "b": step("b", ["a"], [(S.QUEUED, 5), (S.RUNNING, 6), (S.COMPLETED, 7)]),
        "c": step("c", ["a"], [(S.QUEUED, 5), (S.PREPARING, 6), (S.RUNNING, 7), (S.COMPLETED, 9)]),
        "d": step("d", ["b", "c"], [(S.QUEUED, 9), (S.RUNNING, 12), (S.COMPLETED, 14)]),
    }
    view = jobdata.JobView(FakeJob(S.COMPLETED), {}, (), steps, None)  # type: ignore[arg-type]
    drawn = chart(view, T0 + timedelta(seconds=20))
    assert drawn.critical == ("a", "c", "d")
    assert drawn.span_s == 14
    assert [round(seconds) for _, _, seconds in drawn.idle] == [1, 1, 3]  # 0–1, 5–6, 9–12 s
    phases = {row.step: [bar.phase for bar in row.bars] for row in drawn.rows}
    assert phases["c"] == ["queued", "preparing", "running"]


def test_a_step_says_why_it_ran_or_was_reused() -> None:
    reused = jobdata.StepView(
        "s",
        FakeJob(S.COMPLETED, reused_from_id=3, properties={"azureml.reusedrunid": "old.s"}),  # type: ignore[arg-type]
        (),
        job_timings([]),
        {},
    )
    assert reused.why() == "reused from old.s"
    explained = jobdata.StepView(
        "s",
        FakeJob(S.COMPLETED, properties={"cairn.reuse": {"explanation": "ran: code changed"}}),  # type: ignore[arg-type]
        (),
        job_timings([]),
        {},
    )
    assert explained.why() == "ran: code changed"


def test_formatting_filters() -> None:
    assert duration(None) == "–" and duration(0.0123) == "12 ms" and duration(3.21) == "3.2 s"
    assert duration(75) == "1 m 15 s" and duration(7325) == "2 h 2 m"
    assert size(6) == "6 B" and size(2048) == "2.0 KiB"
    assert query("/jobs", {"ws": "team"}, status=["Failed", "Canceled"], q="", cursor=None) == (
        "/jobs?ws=team&status=Failed&status=Canceled"
    )
    assert query("/x", {}, path="a&b=<c>") == "/x?path=a%26b%3D%3Cc%3E"


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/jobs/abc?step=a/b", True),
        ("/assets/models/m/1", True),
        ("//evil.example/", False),
        ("https://evil.example/", False),
        ("/\\evil.example", False),
        ("jobs", False),
        ("/jobs\n", False),
    ],
)
def test_login_links_lead_only_to_this_server(target: str, kept: bool) -> None:
    assert (safe_next(target) == target) is kept


def test_login_codes_expire_and_are_spent_once() -> None:
    now = [100.0]
    sessions = StudioSessions(clock=lambda: now[0])
    owner = Principal("owner", frozenset(Permission))
    code = sessions.issue_code(owner)
    stale = sessions.issue_code(owner)
    session = sessions.redeem(code)
    assert session is not None and session.principal == owner
    assert sessions.redeem(code) is None
    now[0] += 301
    assert sessions.redeem(stale) is None
    assert sessions.get(session.id) is not None
    now[0] += 12 * 3600
    assert sessions.get(session.id) is None


def test_lineage_reads_a_job_output_path() -> None:
    found = _JOB_OUTPUT.match("azureml://jobs/brave_river/outputs/model/paths/x")
    assert found is not None and found.groups() == ("brave_river", "model")
