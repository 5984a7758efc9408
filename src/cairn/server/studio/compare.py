"""Comparing two jobs step by step: parameters, input content hashes, code (down to the files
that differ), environment, and the durations side by side.

Owns: the comparison (`compare_jobs`) and its page. Must not: change anything. Code snapshots
are compared file by file only when both lie on this server, at most `MAX_FILES` files each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import blake3
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from cairn.plan.explain import compare as compare_parts
from cairn.server.auth import Permission, require
from cairn.server.studio import jobdata
from cairn.server.studio.deps import StudioWorkspace, page
from cairn.server.studio.templating import StudioRoute

if TYPE_CHECKING:
    from collections.abc import Mapping

router = APIRouter(route_class=StudioRoute, include_in_schema=False)
MAX_FILES = 2000
JobName = Annotated[str, Query(max_length=255)]


@dataclass(frozen=True)
class Change:
    what: str
    name: str
    left: Any
    right: Any


@dataclass(frozen=True)
class StepComparison:
    step: str
    left: jobdata.StepView | None
    right: jobdata.StepView | None
    changes: list[Change] = field(default_factory=list)
    code_files: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)


def _inputs(view: jobdata.JobView, step: jobdata.StepView) -> dict[str, tuple[str, Any]]:
    """Each input as (kind, the value or content hash that identifies it)."""
    found: dict[str, tuple[str, Any]] = {}
    for name, source in (step.plan.get("inputs") or {}).items():
        kind = source.get("kind")
        if kind == "literal":
            found[name] = ("parameter", source.get("value"))
        elif kind == "data":
            found[name] = ("input hash", source.get("content_hash") or source.get("uri"))
        else:
            upstream = view.steps.get(str(source.get("step")))
            outputs = upstream.job.properties.get("outputs") if upstream else None
            committed = (outputs or {}).get(source.get("output")) or {}
            found[name] = ("input hash", committed.get("hash"))
    return found


def _file_hashes(location: str | None) -> dict[str, str] | None:
    root = Path(location) if location else None
    if root is None or not root.is_dir():
        return None
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest = blake3.blake3()
            with path.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
            found[path.relative_to(root).as_posix()] = digest.hexdigest()
            if len(found) >= MAX_FILES:
                break
    return found


def _code_files(left: Mapping[str, Any] | None, right: Mapping[str, Any] | None) -> list[str]:
    a = _file_hashes((left or {}).get("location"))
    b = _file_hashes((right or {}).get("location"))
    if a is None or b is None:
        return []
    return sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))


def _step(step_id: str, left: jobdata.JobView, right: jobdata.JobView) -> StepComparison:
    a, b = left.steps.get(step_id), right.steps.get(step_id)
    if a is None or b is None:
        return StepComparison(step_id, a, b)
    changes = []
    ins_a, ins_b = _inputs(left, a), _inputs(right, b)
    for name in sorted(set(ins_a) | set(ins_b)):
        kind_a, value_a = ins_a.get(name, ("input", None))
        kind_b, value_b = ins_b.get(name, ("input", None))
        if value_a != value_b:
            changes.append(Change(kind_b if name in ins_b else kind_a, name, value_a, value_b))
    code_a, code_b = a.plan.get("code") or {}, b.plan.get("code") or {}
    files: list[str] = []
    if code_a.get("content_hash") != code_b.get("content_hash"):
        changes.append(
            Change("code", "snapshot", code_a.get("content_hash"), code_b.get("content_hash"))
        )
        files = _code_files(code_a, code_b)
    env_a, env_b = a.plan.get("environment") or {}, b.plan.get("environment") or {}
    if env_a.get("identity") != env_b.get("identity"):
        changes.append(
            Change("environment", "identity", env_a.get("identity"), env_b.get("identity"))
        )
    if a.plan.get("command") != b.plan.get("command"):
        changes.append(Change("command", "template", a.plan.get("command"), b.plan.get("command")))
    parts_a = (a.plan.get("reuse") or {}).get("parts")
    parts_b = (b.plan.get("reuse") or {}).get("parts")
    why = (
        [d.sentence() for d in compare_parts(parts_b, parts_a)]
        if isinstance(parts_a, dict) and isinstance(parts_b, dict)
        else []
    )
    return StepComparison(step_id, a, b, changes, files, why)


def compare_jobs(left: jobdata.JobView, right: jobdata.JobView) -> list[StepComparison]:
    order = list(left.steps) + [s for s in right.steps if s not in left.steps]
    return [_step(step_id, left, right) for step_id in order]


@router.get("/compare", dependencies=[require(Permission.READ)])
def compare_page(
    request: Request, workspace: StudioWorkspace, a: JobName = "", b: JobName = ""
) -> Response:
    context: dict[str, Any] = {"a": a, "b": b, "rows": None}
    if a and b:
        cache = request.app.state.studio_cache
        left = jobdata.load_job(workspace.store, workspace.name, a, cache)
        right = jobdata.load_job(workspace.store, workspace.name, b, cache)
        context.update(left=left, right=right, rows=compare_jobs(left, right))
    return page(request, workspace, "compare.html", title="Compare jobs", **context)
