"""Environments as the plan records them: an identity (hash of the normalised specification, or
the curated/registry name), and how Cairn provides it.

For now every environment runs in the server's own Python (`inherit`), and the step record says
so; building a venv per conda/pip specification is the environments layer's job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML

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
    return EnvironmentInfo(
        identity=asset.content_hash or canonical_hash(dict(asset.spec)),
        ref=f"azureml:{asset.name}:{asset.version}",
        spec=dict(asset.spec),
        note=f"workspace environment {asset.name}:{asset.version}: {INHERIT_NOTE}",
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
    return EnvironmentInfo(
        identity=canonical_hash(spec),
        ref=ref,
        spec=spec,
        note=f"inline environment: {INHERIT_NOTE}",
    )


def _read_environment(path: Path) -> Environment:
    try:
        data = YAML(typ="safe").load(path.read_text())
    except OSError as exc:
        raise NotFound(f"environment file {path} cannot be read: {exc.strerror}") from exc
    try:
        return Environment.model_validate(data)
    except ValueError as exc:
        raise InvalidSpec(f"environment file {path} is not valid: {exc}") from exc
