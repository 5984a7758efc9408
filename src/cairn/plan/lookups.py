"""What the plan needs from a workspace, as a Protocol the workspace layer implements.

The plan layer stays pure: reading registered assets, snapshotting code, uploading local data and
checking computes are I/O, done by whoever implements `Lookups` (the workspace services in
production, plain in-memory fakes in the plan's own tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from cairn.plan.model import CodeInfo, DataSource, EnvironmentInfo
    from cairn.spec.entities.component import CommandComponent
    from cairn.spec.entities.environment import Environment
    from cairn.spec.entities.pipeline import PipelineComponent


@dataclass(frozen=True)
class RegisteredComponent:
    """A component registered in the workspace (`azureml:name:version`)."""

    entity: CommandComponent | PipelineComponent
    name: str
    version: str
    content_hash: str
    code: CodeInfo | None = None


class Lookups(Protocol):
    @property
    def default_datastore(self) -> str:
        """The workspace's default datastore name (`workspaceblobstore`)."""
        ...

    def registered_component(self, ref: str) -> RegisteredComponent:
        """`azureml:name:version`, `azureml:name@label` or a registry URI; raises NotFound."""
        ...

    def data_asset(self, ref: str, type: str, mode: str) -> DataSource:
        """A registered data or model asset; raises NotFound."""
        ...

    def remote_data(self, uri: str, type: str, mode: str) -> DataSource:
        """A datastore URI, job-output URI or web URL, with its content hash where known."""
        ...

    def local_data(self, path: Path, type: str, mode: str) -> DataSource:
        """A local file or folder, uploaded once by content (Azure's `LocalUpload`)."""
        ...

    def code_snapshot(self, path: Path, additional_includes: Sequence[Path]) -> CodeInfo:
        """Snapshot a `code:` folder or file, honouring `.amlignore`/`.gitignore`."""
        ...

    def environment(self, value: str | Environment, base_dir: Path | None) -> EnvironmentInfo:
        """Resolve an environment reference or inline definition."""
        ...

    def compute(self, name: str) -> str:
        """The canonical name of a compute that exists (`local`/`serverless` always do);
        raises NotFound naming the command that creates it."""
        ...
