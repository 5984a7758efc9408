"""From a plan step to a `LaunchSpec`: where each input is on this machine, where each output
is committed, which code and environment the step runs with.

Inputs from local datastores are read in place; inputs in remote datastores are downloaded once
into a content-addressed cache; upstream outputs are the committed outputs of the upstream step
(which, for a reused step, are the original step's). Outputs are committed into local datastores,
and the step's artifacts (logs, `./outputs`, `./logs`) go to Azure's default artifact store folder
for its job name, when that datastore is local.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data.uris import parse_data_ref
from cairn.errors import NotFound, Unsupported
from cairn.launcher.protocol import ArtifactStore, InputSpec, LaunchSpec, OutputSpec
from cairn.plan.model import DataSource, LiteralSource, StepOutputSource
from cairn.plan.sources import ARTIFACT_STORE_PATH, fill_output_path

if TYPE_CHECKING:
    from cairn.data.locations import DataCatalog
    from cairn.home import Home
    from cairn.plan.model import OutputDest, PlanStep


class Materializer:
    """Resolves a workspace's URIs to local paths (downloading remote data into the cache)."""

    def __init__(self, catalog: DataCatalog, home: Home) -> None:
        self.catalog = catalog
        self.home = home

    def local_path(self, uri: str) -> Path:
        location = self.catalog.resolve(parse_data_ref(uri))
        store = self.catalog.datastore(location.datastore)
        local = store.local_path(location.path)
        if local is not None:
            return local
        tree = store.hash_tree(location.path)
        cached = (
            self.home.cache
            / "data"
            / tree.hash.split(":", 1)[-1]
            / (Path(location.path).name or "data")
        )
        if not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            store.get(location.path, cached)
        return cached

    def commit_path(self, dest: OutputDest) -> Path:
        local = self.store_path(dest.uri)
        if local is None:
            raise Unsupported(
                f"output to {dest.uri}: committing outputs to a remote datastore is not supported "
                "yet",
                hint="write outputs to a local datastore (the default `workspaceblobstore`)",
            )
        return local

    def store_path(self, uri: str) -> Path | None:
        """The local path of a datastore URI (None: the datastore is remote)."""
        location = self.catalog.resolve(parse_data_ref(uri))
        return self.catalog.datastore(location.datastore).local_path(location.path)

    def artifact_store(self, job_name: str) -> ArtifactStore | None:
        """Azure's default artifact store folder of a step job (None: not a local folder)."""
        uri = fill_output_path(ARTIFACT_STORE_PATH, job_name, "", "")
        local = self.store_path(uri)
        return ArtifactStore(uri, str(local)) if local is not None else None


def launch_spec(
    step: PlanStep,
    workdir: Path,
    upstream: dict[str, dict[str, dict[str, Any]]],
    materializer: Materializer,
    *,
    grace: float,
    log_cap_bytes: int,
    notify: str | None,
    attempt: int,
) -> LaunchSpec:
    """The launcher's instructions for `step`; `upstream[step][output]` holds committed outputs."""
    inputs = [_input(name, source, upstream, materializer) for name, source in step.inputs.items()]
    for name, port in step.ports.items():
        if name not in step.inputs and port.optional:
            inputs.append(InputSpec(name=name, type=port.type, value=None))
    outputs = [
        OutputSpec(
            name=name,
            type=dest.type,
            mode=dest.mode,
            commit_to=str(materializer.commit_path(dest)),
            uri=dest.uri,
        )
        for name, dest in step.outputs.items()
    ]
    return LaunchSpec(
        job_name=step.name,
        step_id=step.id,
        workdir=str(workdir),
        command=step.command,
        inputs=inputs,
        outputs=outputs,
        code=step.code.location if step.code else None,
        env=dict(step.environment_variables),
        python_bin=_python_bin(step),
        environment=_environment(step, materializer.home),
        timeout=float(step.timeout) if step.timeout else None,
        grace=grace,
        log_cap_bytes=log_cap_bytes,
        instance_count=step.instance_count,
        distribution=step.distribution,
        notify=notify,
        attempt=attempt,
        artifacts=materializer.artifact_store(step.name),
    )


def _python_bin(step: PlanStep) -> str | None:
    """`inherit`: the step's `python` is the server's own interpreter (with its packages), or a
    prepared environment the workspace maps the environment to."""
    if step.environment.strategy == "inherit":
        prepared = step.environment.spec.get("bin") if step.environment.ref else None
        return str(prepared) if prepared else str(Path(sys.executable).parent)
    return None


def _environment(step: PlanStep, home: Home) -> dict[str, Any]:
    """`venv`: what the launcher builds (once per identity) before the step runs; `inherit`:
    only the identity and strategy, which the step's record keeps."""
    if step.environment.strategy != "venv":
        return {"strategy": step.environment.strategy, "identity": step.environment.identity}
    request = step.environment.spec.get("request") or {}
    return {
        "strategy": "venv",
        "identity": request.get("identity"),
        "python": request.get("python"),
        "requirements": list(request.get("requirements") or []),
        "envs": str(home.envs),
    }


def _input(
    name: str,
    source: Any,
    upstream: dict[str, dict[str, dict[str, Any]]],
    materializer: Materializer,
) -> InputSpec:
    if isinstance(source, LiteralSource):
        return InputSpec(name=name, type="string", value=source.value)
    if isinstance(source, DataSource):
        return InputSpec(
            name=name,
            type=source.type,
            mode=source.mode,
            path=str(materializer.local_path(source.uri)),
            uri=source.uri,
            content_hash=source.content_hash,
        )
    assert isinstance(source, StepOutputSource)
    committed = upstream.get(source.step, {}).get(source.output)
    if committed is None:
        raise NotFound(
            f"input `{name}`: step `{source.step}` has no committed output `{source.output}`"
        )
    return InputSpec(
        name=name,
        type=source.type,
        mode=source.mode,
        path=str(committed["path"]),
        uri=str(committed["uri"]),
        content_hash=committed.get("hash"),
    )
