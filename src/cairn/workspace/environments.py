"""Environments as the plan records them: an identity (hash of the normalised specification, or
the curated/registry name), and how Cairn provides it.

- `venv`: an environment with a conda file gets a uv venv, built once per distinct package set
  (`cairn.envs`); conda-only packages are refused here, at submission, with their names.
- `inherit`: curated and registry environments, and image-only ones (a container would need a
  container runtime), run in the server's own Python — unless the workspace maps the name to a
  prepared environment in `<home>/workspaces/<ws>/environments.yml`:

      AzureML-sklearn-1.0-ubuntu20.04-py38-cpu: {bin: /opt/envs/sklearn/bin}
      sklearn-1.5: {strategy: inherit}

The step record says which, and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML

from cairn.envs.spec import from_conda
from cairn.errors import InvalidSpec, NotFound
from cairn.plan.model import EnvironmentInfo
from cairn.plan.reuse import canonical_hash
from cairn.spec.entities.environment import Environment
from cairn.store.records import AssetKind
from cairn.workspace.specs import split_asset_ref

if TYPE_CHECKING:
    from pathlib import Path

    from cairn.workspace.context import Workspace

INHERIT_NOTE = "runs in the server's own Python environment"


def is_curated(ref: str) -> bool:
    """Registry (`azureml://registries/…`) and curated (`azureml:AzureML-…`) environments."""
    name = split_asset_ref(ref)
    return ref.startswith("azureml://registries/") or name.startswith("AzureML-")


def resolve_environment(
    workspace: Workspace, value: str | Environment, base_dir: Path | None
) -> EnvironmentInfo:
    if isinstance(value, Environment):
        return _inline(value, base_dir, ref=None)
    if value.startswith("file:"):
        if base_dir is None:
            raise InvalidSpec(f"{value}: a registered component cannot name a local file")
        path = (base_dir / value.removeprefix("file:")).resolve()
        return _inline(_read_environment(path), path.parent, ref=value)
    if is_curated(value):
        mapped = _mapped(workspace, value)
        if mapped is not None:
            return mapped
        return EnvironmentInfo(
            identity="curated:" + _curated_name(value),
            ref=value,
            note=f"curated or registry environment: {INHERIT_NOTE}",
        )
    try:
        asset = workspace.store.assets.resolve(
            workspace.name, AssetKind.ENVIRONMENT, split_asset_ref(value)
        )
    except NotFound as exc:
        raise NotFound(
            f"environment {value} is not registered in workspace `{workspace.name}`",
            hint="register it with `cairn environment create --file env.yml`",
        ) from exc
    return _provided(
        dict(asset.spec),
        asset.content_hash or canonical_hash(dict(asset.spec)),
        f"azureml:{asset.name}:{asset.version}",
        f"workspace environment {asset.name}:{asset.version}",
    )


def _curated_name(ref: str) -> str:
    # A registry URI keeps its whole path: `…/sklearn-1.5/labels/latest` and
    # `…/pytorch-2.0/labels/latest` are different environments, not both `latest`.
    if ref.startswith("azureml://registries/"):
        return ref.rstrip("/")
    return split_asset_ref(ref)


def registrable(value: str | Environment, base_dir: Path) -> str | dict[str, Any]:
    """How a registered component or pipeline node keeps its environment: references as
    written, inline and `file:` environments as their normalised definition (their files are
    not there when the registered component is used)."""
    if isinstance(value, Environment):
        return normalised_spec(value, base_dir)
    if value.startswith("file:"):
        path = (base_dir / value.removeprefix("file:")).resolve()
        return normalised_spec(_read_environment(path), path.parent)
    return value


def normalised_spec(environment: Environment, base_dir: Path | None) -> dict[str, Any]:
    """The environment's definition with its conda file read in, so its identity is its content."""
    spec = environment.model_dump(
        mode="json",
        by_alias=True,
        exclude_none=True,
        exclude={"name", "version", "description", "tags", "schema_", "creation_context"},
    )
    conda = environment.conda_file
    if isinstance(conda, str):
        if base_dir is None:
            raise InvalidSpec(f"conda file {conda}: no folder to read it from")
        path = (base_dir / conda.removeprefix("file:")).resolve()
        try:
            spec["conda_file"] = YAML(typ="safe").load(path.read_text())
        except OSError as exc:
            raise NotFound(f"conda file {path} cannot be read: {exc.strerror}") from exc
    return spec


def _inline(environment: Environment, base_dir: Path | None, ref: str | None) -> EnvironmentInfo:
    spec = normalised_spec(environment, base_dir)
    return _provided(spec, canonical_hash(spec), ref, "inline environment")


def _provided(spec: dict[str, Any], identity: str, ref: str | None, what: str) -> EnvironmentInfo:
    """`venv` for a conda specification, else `inherit` with the reason."""
    conda = spec.get("conda_file")
    if isinstance(conda, dict):
        request = from_conda(conda)
        notes = "; ".join(request.notes)
        return EnvironmentInfo(
            identity=identity,
            strategy="venv",
            ref=ref,
            spec={
                **spec,
                "request": {
                    "identity": request.identity,
                    "python": request.python,
                    "requirements": list(request.requirements),
                },
            },
            note=f"{what}: a venv built from its conda file" + (f" ({notes})" if notes else ""),
        )
    reason = (
        "an image without a conda file needs a container runtime"
        if spec.get("image") or spec.get("build")
        else "no packages listed"
    )
    return EnvironmentInfo(
        identity=identity, ref=ref, spec=spec, note=f"{what}: {INHERIT_NOTE} ({reason})"
    )


def _mapped(workspace: Workspace, ref: str) -> EnvironmentInfo | None:
    """A prepared environment the workspace maps a curated or registry name to."""
    path = workspace.folder / "environments.yml"
    if not path.exists():
        return None
    mapping = YAML(typ="safe").load(path.read_text()) or {}
    name = _short_name(ref)
    entry = mapping.get(name) if isinstance(mapping, dict) else None
    if not isinstance(entry, dict):
        return None
    prepared = entry.get("bin")
    return EnvironmentInfo(
        identity=f"prepared:{name}:{prepared or 'inherit'}",
        ref=ref,
        spec={"bin": str(prepared)} if prepared else {},
        note=f"environment {name} mapped by the workspace to "
        + (f"the prepared environment {prepared}" if prepared else "the server's own Python"),
    )


def _short_name(ref: str) -> str:
    """`azureml:AzureML-sklearn-1.0@latest` → `AzureML-sklearn-1.0`; a registry URI → its name."""
    if ref.startswith("azureml://registries/"):
        parts = ref.split("/")
        return parts[parts.index("environments") + 1] if "environments" in parts else ref
    return split_asset_ref(ref).split("@", 1)[0].split(":", 1)[0]


def _read_environment(path: Path) -> Environment:
    try:
        data = YAML(typ="safe").load(path.read_text())
    except OSError as exc:
        raise NotFound(f"environment file {path} cannot be read: {exc.strerror}") from exc
    try:
        return Environment.model_validate(data)
    except ValueError as exc:
        raise InvalidSpec(f"environment file {path} is not valid: {exc}") from exc
