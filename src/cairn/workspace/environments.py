"""Environments as the plan records them: an identity (hash of the normalised specification, or
the curated/registry name), and how Cairn provides it.

- `venv`: an environment with a conda file gets a uv venv, built once per distinct package set
  (`cairn.envs`); conda-only packages are refused here, at submission, with their names.
- `inherit`: curated and registry environments, and image-only ones (a container would need a
  container runtime), run in the server's own Python — unless the workspace maps the name (for an
  image-only environment: its image, or its registered name) to something else in
  `<home>/workspaces/<ws>/environments.yml`:

      AzureML-sklearn-1.0-ubuntu20.04-py38-cpu: {bin: /opt/envs/sklearn/bin}  # prepared
      sklearn-1.5: {strategy: inherit}                                        # the default
      pytorch-2.0: {strategy: venv, conda_file: ./pytorch.yml}                # built like any
      mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04: {bin: /opt/mpi/bin} # by image

  `strategy: container` is refused at submission: Cairn does not run containers.

The step record says which, and why. Also here: what `cairn environment show` adds about a
registered version's build (`build_state`), and `prune_environments`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML

from cairn.envs.folders import ready, saved_lock
from cairn.envs.prune import prune
from cairn.envs.spec import from_conda
from cairn.errors import CairnError, InvalidSpec, NotFound, Unsupported
from cairn.plan.model import EnvironmentInfo
from cairn.plan.reuse import canonical_hash
from cairn.spec.entities.environment import Environment
from cairn.store.records import AssetKind
from cairn.workspace.specs import split_asset_ref

if TYPE_CHECKING:
    from cairn.store.records import Asset
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
        return _image_mapped(workspace, _inline(value, base_dir, ref=None))
    if value.startswith("file:"):
        if base_dir is None:
            raise InvalidSpec(f"{value}: a registered component cannot name a local file")
        path = (base_dir / value.removeprefix("file:")).resolve()
        return _image_mapped(workspace, _inline(_read_environment(path), path.parent, ref=value))
    if is_curated(value):
        mapped = _mapped(workspace, value, [_short_name(value), value])
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
    info = _registered(asset)
    return _image_mapped(workspace, info, asset.name)


def _registered(asset: Asset) -> EnvironmentInfo:
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


def _image_mapped(workspace: Workspace, info: EnvironmentInfo, *names: str) -> EnvironmentInfo:
    """An image-only environment as the workspace maps its image (or registered name)."""
    image = info.spec.get("image")
    if info.strategy != "inherit" or not isinstance(image, str):
        return info
    mapped = _mapped(workspace, info.ref or image, [image, image.rsplit(":", 1)[0], *names])
    return info if mapped is None else mapped


def _mapped(workspace: Workspace, ref: str, names: list[str]) -> EnvironmentInfo | None:
    """What the workspace's `environments.yml` maps the first of `names` it has to."""
    path = workspace.folder / "environments.yml"
    if not path.exists():
        return None
    try:
        mapping = YAML(typ="safe").load(path.read_text()) or {}
    except Exception as exc:  # ruamel raises several unrelated types for a malformed file
        raise InvalidSpec(f"{path} cannot be read as YAML: {exc}") from exc
    if not isinstance(mapping, dict):
        raise InvalidSpec(f"{path} must map environment names to strategies")
    name = next((n for n in names if n in mapping), None)
    if name is None:
        return None
    entry = mapping[name]
    if not isinstance(entry, dict):
        raise InvalidSpec(f"{path}: `{name}` must map to `{{bin: …}}` or `{{strategy: …}}`")
    strategy = entry.get("strategy", "prepared" if "bin" in entry else "inherit")
    where = f"environment {name} mapped by the workspace ({path.name})"
    if strategy == "venv":
        return _mapped_venv(entry, path, ref, where)
    if strategy == "container":
        raise Unsupported(
            f"{where} to strategy `container`: that needs a container runtime, which Cairn "
            "does not use",
            hint="map it to a prepared environment (`bin:`) or a conda file (`strategy: venv`)",
        )
    if strategy == "prepared":
        prepared = Path(str(entry["bin"])).expanduser()
        if not prepared.is_dir():
            raise NotFound(f"{where} to the prepared environment {prepared}, which does not exist")
        return EnvironmentInfo(
            identity=f"prepared:{name}:{prepared}",
            ref=ref,
            spec={"bin": str(prepared)},
            note=f"{where} to the prepared environment {prepared}",
        )
    if strategy != "inherit":
        raise InvalidSpec(
            f"{path}: `{name}` has strategy `{strategy}`; use inherit, venv or a `bin:` folder"
        )
    return EnvironmentInfo(
        identity=f"prepared:{name}:inherit", ref=ref, note=f"{where}: {INHERIT_NOTE}"
    )


def _mapped_venv(entry: dict[str, Any], path: Path, ref: str, where: str) -> EnvironmentInfo:
    conda = entry.get("conda_file")
    if isinstance(conda, str):
        conda_path = (path.parent / conda).resolve()
        try:
            conda = YAML(typ="safe").load(conda_path.read_text())
        except OSError as exc:
            raise NotFound(f"{where}: conda file {conda_path} cannot be read") from exc
    if not isinstance(conda, dict):
        raise InvalidSpec(f"{where} to strategy `venv` needs a `conda_file` (a path or a mapping)")
    spec = {"conda_file": conda}
    return _provided(spec, canonical_hash(spec), ref, where)


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


def build_state(workspace: Workspace, asset: Asset) -> dict[str, Any]:
    """What `cairn environment show` adds to a registered version: how it is provided and, for a
    venv, whether it is built and its lock (the exact package set every build installs — the
    first build's, kept even when the build itself is pruned)."""
    try:
        info = _image_mapped(workspace, _registered(asset), asset.name)
    except CairnError as exc:
        return {"strategy": "unsupported", "built": False, "lock": [], "note": exc.message}
    if info.strategy != "venv":
        return {"strategy": info.strategy, "built": None, "lock": [], "note": info.note}
    request = info.spec["request"]
    identity = str(request["identity"])
    built = ready(workspace.home.envs, identity)
    lock = built.packages if built else saved_lock(workspace.home.envs, identity)
    return {
        "strategy": "venv",
        "environment_identity": identity,
        "python": request.get("python"),
        "requirements": request.get("requirements", []),
        "built": built is not None,
        "lock": list(lock),
        "note": info.note,
    }


def prune_environments(workspace: Workspace, older_than_s: float) -> dict[str, Any]:
    """Remove built environments (shared by the home's workspaces) that no step has used for
    `older_than_s` seconds; never one a running step uses."""
    if older_than_s < 0:
        raise InvalidSpec("the age to prune after cannot be negative")
    removed = prune(workspace.home.envs, older_than_s)
    return {
        "older_than_s": older_than_s,
        "removed": [
            {
                "identity": p.identity,
                "last_used": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(p.last_used)),
                "size_bytes": p.size_bytes,
                "freed_bytes": p.freed_bytes,
                "finished": p.finished,
            }
            for p in removed
        ],
        "freed_bytes": sum(p.freed_bytes for p in removed),
    }
