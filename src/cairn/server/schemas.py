"""Request bodies of the API (responses are the plain JSON of `views`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HashList(Body):
    hashes: list[str] = Field(max_length=100_000)


class Manifest(Body):
    """Files by relative path → content hash (uploaded first to `/blobs`), and which one to read."""

    files: dict[str, str] = Field(default_factory=dict, max_length=200_000)
    entry: str = Field(min_length=1, max_length=4096)
    set: list[str] = Field(default_factory=list, max_length=200)


class JobCreate(Manifest):
    name: str | None = Field(default=None, max_length=255)
    experiment_name: str | None = Field(default=None, max_length=255)
    display_name: str | None = Field(default=None, max_length=255)
    force_rerun: bool = False
    default_experiment_name: str | None = Field(default=None, max_length=255)
    """Used when neither the file nor `experiment_name` names one (Azure: the folder's name)."""
    source: dict[str, str | bool | None] = Field(default_factory=dict, max_length=16)
    """Where the job came from on the client: its file, git commit, uncommitted changes."""
    brief: bool = False
    """Answer with the job's name and status only (a client that follows the job needs no more;
    building the whole record would hold up the job's first step)."""


class AssetCreate(Manifest):
    name: str | None = Field(default=None, max_length=255)
    version: str | None = Field(default=None, max_length=64)


class ComputeCreate(Body):
    manifest: Manifest | None = None
    name: str | None = Field(default=None, max_length=255)
    type: str | None = Field(default=None, max_length=64)
    max_instances: int | None = Field(default=None, ge=1, le=100_000)


class WorkspaceCreate(Body):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    description: str | None = Field(default=None, max_length=1000)
