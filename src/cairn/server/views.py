"""How records look on the wire: close to what `az ml … show -o json` prints, plus Cairn's own
figures (timings per phase, reuse, root failure).

Child jobs carry their node name as `display_name` and their pipeline's name as
`parent_job_name`, as Azure's do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.store.records import job_timings

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cairn.store.records import Asset, Compute, Job, JobEvent


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def timing(events: Sequence[JobEvent]) -> dict[str, float | None]:
    t = job_timings(events)
    return {
        "queued_s": t.queued_s,
        "preparing_s": t.preparing_s,
        "running_s": t.running_s,
        "finalizing_s": t.finalizing_s,
        "total_s": t.total_s,
    }


def job_summary(job: Job, parent_name: str | None = None) -> dict[str, Any]:
    """A job as `job list` shows it."""
    return {
        "name": job.name,
        "display_name": job.display_name,
        "type": job.type,
        "status": str(job.status),
        "experiment_name": job.experiment_name,
        "compute": job.compute,
        "tags": dict(job.tags),
        "parent_job_name": parent_name,
        "creation_context": {
            "created_at": _time(job.created_at),
            "created_by": job.created_by,
            "created_by_type": "User",
        },
        "status_at": _time(job.status_at),
        "archived": job.archived,
    }


def job_detail(
    job: Job,
    *,
    plan: dict[str, Any] | None,
    events: Sequence[JobEvent],
    children: Sequence[Job] = (),
    children_events: dict[int, list[JobEvent]] | None = None,
    parent_name: str | None = None,
    studio: str = "",
) -> dict[str, Any]:
    """A job as `job show` prints it."""
    out = job_summary(job, parent_name)
    properties = dict(job.properties)
    out.update(
        {
            "description": job.description,
            "properties": properties,
            "services": {"Studio": {"endpoint": f"{studio}/jobs/{job.name}" if studio else ""}},
            "timing": timing(events),
            "status_history": [
                {"status": str(e.status), "at": _time(e.at), "reason": e.reason} for e in events
            ],
            "source": dict(job.source),
        }
    )
    if plan is not None:
        out["inputs"] = {k: input_view(v) for k, v in dict(plan.get("inputs") or {}).items()}
        out["outputs"] = plan.get("outputs", {})
        out["settings"] = plan.get("settings", {})
    if job.type != "pipeline":
        out["outputs"] = properties.get("outputs", {})
    if properties.get("root_failure"):
        out["root_failure"] = properties["root_failure"]
    if children:
        steps = (plan or {}).get("steps", {})
        out["jobs"] = {
            child.node_path or child.node_name or child.name: _child(
                child, steps.get(child.node_path or ""), (children_events or {}).get(child.id, [])
            )
            for child in children
        }
    return out


def input_view(source: Any) -> Any:
    """An input as `az ml job show` prints it: a literal as its value, data as type/mode/path."""
    if not isinstance(source, dict):
        return source
    kind = source.get("kind")
    if kind == "literal":
        return source.get("value")
    if kind == "step_output":
        path = f"${{{{parent.jobs.{source.get('step')}.outputs.{source.get('output')}}}}}"
        return {"type": source.get("type"), "mode": source.get("mode"), "path": path}
    if kind == "data":
        shown = {
            "type": source.get("type"),
            "mode": source.get("mode"),
            "path": f"azureml:{source['asset']}" if source.get("asset") else source.get("uri"),
            "uri": source.get("uri"),
            "content_hash": source.get("content_hash"),
        }
        return {k: v for k, v in shown.items() if v is not None}
    return source


def _child(child: Job, step: dict[str, Any] | None, events: Sequence[JobEvent]) -> dict[str, Any]:
    properties = dict(child.properties)
    entry: dict[str, Any] = {
        "name": child.name,
        "display_name": child.display_name,
        "type": child.type,
        "status": str(child.status),
        "compute": child.compute,
        "timing": timing(events),
        "outputs": properties.get("outputs", {}),
        "reused": child.reused_from_id is not None,
    }
    if properties.get("azureml.reusedrunid"):
        entry["reused_from"] = properties["azureml.reusedrunid"]
    reuse = properties.get("cairn.reuse")
    if isinstance(reuse, dict):
        entry["why"] = reuse.get("explanation")
    if properties.get("reason") and str(child.status) != "Completed":
        entry["reason"] = properties["reason"]
        entry["message"] = properties.get("message")
    if step is not None:
        entry["component"] = step.get("component", {}).get("ref") or step.get("component", {}).get(
            "name"
        )
        entry["depends_on"] = step.get("depends_on", [])
    if events:
        last = events[-1]
        if last.reason and str(last.status) in ("Canceled", "Failed"):
            entry.setdefault("reason", last.reason)
    return entry


def asset_view(asset: Asset) -> dict[str, Any]:
    spec = {k: v for k, v in dict(asset.spec).items() if not k.startswith("_")}
    return {
        "name": asset.name,
        "version": asset.version,
        "kind": str(asset.kind),
        "labels": list(asset.labels),
        "description": asset.description,
        "tags": dict(asset.tags),
        "content_hash": asset.content_hash,
        "archived": asset.archived,
        "creation_context": {"created_at": _time(asset.created_at), "created_by": asset.created_by},
        "produced_by_job_id": asset.produced_by_job_id,
        "spec": spec,
    }


def compute_view(compute: Compute) -> dict[str, Any]:
    return {
        "name": compute.name,
        "type": compute.type,
        "max_instances": compute.max_instances,
        "spec": dict(compute.spec),
        "builtin": False,
        "creation_context": {
            "created_at": _time(compute.created_at),
            "created_by": compute.created_by,
        },
    }
