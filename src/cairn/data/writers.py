"""A file writer that publishes its file only when it is closed without an error.

Owns: `CommitOnClose`, the writer behind `Datastore.open(path, "wb")`: bytes go to a temporary
file; a clean close hands that file to a commit callback (rename into place, or upload); an
exception inside the `with` block, or `discard()`, throws the bytes away and publishes nothing.
Must not: know where the file ends up.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

_PUBLISHED_MODE = 0o644


class CommitOnClose(io.BufferedWriter):
    """Write to a temporary file in `folder` (the system's when None); commit it on close."""

    def __init__(self, folder: Path | None, commit: Callable[[Path], object]) -> None:
        handle, name = tempfile.mkstemp(dir=folder, prefix=".cairn-write-")
        self._temp = Path(name)
        self._commit = commit
        self._settled = False
        super().__init__(io.FileIO(handle, "wb"))

    def close(self) -> None:
        if self._settled:
            return
        self._settled = True
        try:
            super().close()
            self._temp.chmod(_PUBLISHED_MODE)
            self._commit(self._temp)
        finally:
            self._temp.unlink(missing_ok=True)

    def discard(self) -> None:
        """Drop what was written; nothing is published."""
        if self._settled:
            return
        self._settled = True
        super().close()
        self._temp.unlink(missing_ok=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()
