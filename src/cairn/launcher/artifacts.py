"""The artifact store: what a step leaves in Azure's default artifact location.

Owns Azure's rule that, whatever the step's outcome, what it wrote under `./outputs` and `./logs`
of its working directory, and its own logs, end up in the artifact store folder of its job
(`ExperimentRun/dcid.<step job name>/` in `workspaceartifactstore`) as `outputs/`, `logs/` and
`user_logs/`. Both working folders exist before the command starts: Azure's examples write
`./outputs/<file>` without creating the folder.

A node output whose destination is that same folder (the plan gives it to an output named
`artifacts` that has no path of its own) is the artifact folder itself: what the step writes to
`${{outputs.artifacts}}` lands at its top, next to `outputs/`. A consumer of it therefore reads
`${{inputs.x}}/outputs/<file>` for a file the step wrote to `./outputs/<file>` (Azure's
hello-pipeline-default-artifacts example) and `${{inputs.x}}/<file>` for one it wrote to
`${{outputs.artifacts}}/<file>`. It is committed (hashed) only when the step completes.

Cost: a working folder that is missing or empty costs one `scandir`; one that holds files is
renamed into place (copied only across filesystems); the logs are copied, because the server
also reads them in the step folder. A step that runs again under the same job name (a retry)
adds to its folder, a file of the same name replacing the earlier one.
Must not: decide the outcome (the caller turns a failure here into `commit_failed` for a step
that would otherwise complete), or write the record.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.data.hashing import hash_path
from cairn.errors import CairnError
from cairn.launcher.materialize import is_file
from cairn.launcher.outcome import StepFailure
from cairn.launcher.protocol import (
    MANIFEST_FILES,
    USER_LOGS,
    WORKDIR,
    ArtifactStore,
    CommittedOutput,
    LaunchSpec,
    OutputSpec,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

WORKING_FOLDERS = ("outputs", "logs")
"""Folders of the working directory whose content goes to the artifact store."""


def create_working_folders(wd: Path) -> None:
    """`./outputs` and `./logs` in the working directory (a snapshot's own are kept)."""
    for name in WORKING_FOLDERS:
        with contextlib.suppress(FileExistsError):
            (wd / name).mkdir()


def is_artifact_output(output: OutputSpec, store: ArtifactStore | None) -> bool:
    """Whether `output` is the artifact folder itself rather than an output of its own."""
    return (
        store is not None
        and not is_file(output)
        and os.path.normpath(output.commit_to) == os.path.normpath(store.path)
    )


class Artifacts:
    """A step's artifacts, saved once (`save`), whichever phase ends the step."""

    def __init__(self, spec: LaunchSpec, folder: Path) -> None:
        self.spec = spec
        self.folder = folder
        self.saved = False
        self.error: str | None = None

    @property
    def location(self) -> dict[str, str] | None:
        """What the record keeps: the store's `uri` and `path`, once something was saved."""
        store = self.spec.artifacts
        if store is None or not self.saved or self.error is not None:
            return None
        return {"uri": store.uri, "path": store.path}

    def save(self, private: Mapping[str, Path]) -> None:
        """Move the working folders (and the artifact output's private folder) into the store
        and link (or copy) the logs there. Errors are kept in `error`, not raised."""
        store = self.spec.artifacts
        if self.saved or store is None:
            return
        self.saved = True
        dest = Path(store.path)
        wd = self.folder / WORKDIR
        moves = [(wd / name, dest / name) for name in WORKING_FOLDERS]
        moves += [
            (private[o.name], dest)
            for o in self.spec.outputs
            if o.name in private and is_artifact_output(o, store)
        ]
        try:
            for source, target in moves:
                if _has_entries(source):
                    _merge_move(source, target)
            _copy_logs(self.folder / USER_LOGS, dest / USER_LOGS)
        except OSError as error:
            self.error = f"could not store the step's artifacts in {dest}: {error}"

    def committed(self) -> list[CommittedOutput]:
        """The artifact output (when the step has one), hashed as a committed output; a
        `StepFailure` when the artifacts could not be stored."""
        if self.error is not None:
            raise StepFailure("commit_failed", self.error)
        store = self.spec.artifacts
        found = [o for o in self.spec.outputs if is_artifact_output(o, store)]
        if not found or store is None:
            return []
        dest = Path(store.path)
        dest.mkdir(parents=True, exist_ok=True)
        try:
            tree = hash_path(dest)
        except (CairnError, OSError) as error:
            raise StepFailure("commit_failed", f"output {found[0].name!r}: {error}") from error
        files = tree.files
        manifest = {f.path: f.hash for f in files} if len(files) <= MANIFEST_FILES else None
        return [
            CommittedOutput(
                o.name, o.uri, str(dest), tree.hash, tree.total_bytes, len(files), manifest
            )
            for o in found
        ]


def _has_entries(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is not None
    except (FileNotFoundError, NotADirectoryError):
        return False


def _merge_move(source: Path, dest: Path) -> None:
    """Move folder `source` to `dest`; where `dest` exists, move its entries in one by one, a
    folder merged into a folder of the same name, anything else replacing what is there.

    Hand-written: `shutil.move` and `copytree(dirs_exist_ok=True)` either refuse an existing
    destination or copy every byte, where a rename costs nothing."""
    if not dest.is_dir() or dest.is_symlink():
        _remove(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, dest)
        return
    with os.scandir(source) as entries:
        for entry in entries:
            target = dest / entry.name
            if entry.is_dir(follow_symlinks=False) and target.is_dir() and not target.is_symlink():
                _merge_move(Path(entry.path), target)
                continue
            _remove(target)
            shutil.move(entry.path, target)


def _copy_logs(logs: Path, dest: Path) -> None:
    try:
        with os.scandir(logs) as found:
            entries = [e for e in found if e.is_file(follow_symlinks=False)]
    except FileNotFoundError:
        return
    if not entries:
        return
    dest.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        target = dest / entry.name
        _remove(target)
        try:
            # A second name, not a copy: the log is complete and no longer written, and a link
            # costs neither the bytes nor a new inode. Another file system gets a copy.
            os.link(entry.path, target)
        except OSError:
            shutil.copyfile(entry.path, target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()
