"""`job download`: a job's outputs as a tar archive in Azure's layout — `named-outputs/<name>/`
for outputs and `artifacts/` for the artifact store folder (`outputs/`, `logs/`, `user_logs/`) —
streamed from a temporary file. A command job's artifacts are `artifacts/` itself; a pipeline's
are one folder per step, `artifacts/<step>/`. A reused step's artifacts are the original's."""

from __future__ import annotations

import contextlib
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import NotFound
from cairn.launcher.protocol import USER_LOGS

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cairn.store import Store
    from cairn.store.records import Job


def named_outputs(store: Store, job: Job) -> dict[str, dict[str, Any]]:
    """Committed outputs by name: a pipeline's own outputs, or a step's outputs."""
    if job.type != "pipeline":
        return dict(job.properties.get("outputs") or {})
    plan = dict(store.jobs.plan(job.id) or {})
    wanted = {
        dest.get("pipeline_output"): (step_id, name)
        for step_id, step in plan.get("steps", {}).items()
        for name, dest in step.get("outputs", {}).items()
        if dest.get("pipeline_output")
    }
    children = {c.node_path: c for c in store.jobs.children(job.id)}
    found: dict[str, dict[str, Any]] = {}
    for output, (step_id, name) in wanted.items():
        child = children.get(step_id)
        committed = (child.properties.get("outputs") or {}).get(name) if child else None
        if committed and output:
            found[output] = committed
    return found


def build_archive(
    store: Store, job: Job, folder: Path, output_name: str | None, include_all: bool
) -> Path:
    outputs = named_outputs(store, job)
    if output_name is not None and output_name not in outputs:
        raise NotFound(
            f"job {job.name} has no committed output `{output_name}`",
            hint="outputs: " + (", ".join(sorted(outputs)) or "none yet"),
        )
    folder.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=folder, suffix=".tar", delete=False)  # noqa: SIM115
    with handle, tarfile.open(fileobj=handle, mode="w") as archive:
        for name, committed in sorted(outputs.items()):
            if output_name is None or name == output_name:
                path = Path(str(committed["path"]))
                if path.exists():
                    archive.add(
                        path,
                        arcname=f"named-outputs/{name}/{path.name}"
                        if path.is_file()
                        else f"named-outputs/{name}",
                    )
        if include_all or output_name is None:
            if job.type != "pipeline":
                _add_artifacts(archive, store, job, "artifacts")
            for child in store.jobs.children(job.id) if job.type == "pipeline" else []:
                step = (child.node_path or child.name).replace("/", ".")
                _add_artifacts(archive, store, child, f"artifacts/{step}")
    return Path(handle.name)


def _add_artifacts(archive: tarfile.TarFile, store: Store, job: Job, arcname: str) -> None:
    """The step's artifact store folder; for a job run before artifacts were kept, its logs."""
    source = job
    if job.reused_from_id is not None and not job.properties.get("artifacts"):
        with contextlib.suppress(NotFound):
            source = store.jobs.get(job.reused_from_id)
    stored = source.properties.get("artifacts") or {}
    folder = Path(str(stored["path"])) if stored.get("path") else None
    if folder is not None and folder.is_dir():
        archive.add(folder, arcname=arcname)
        return
    workdir = source.properties.get("workdir")
    logs = Path(str(workdir)) / USER_LOGS if workdir else None
    if logs is not None and logs.is_dir():
        archive.add(logs, arcname=f"{arcname}/{USER_LOGS}")


def stream_file(path: Path, chunk: int = 1 << 20) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            while block := handle.read(chunk):
                yield block
    finally:
        path.unlink(missing_ok=True)
