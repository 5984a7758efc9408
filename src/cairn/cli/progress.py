"""Upload progress for `create` commands: a Rich bar on stderr, only when stderr is a terminal
(scripts and pipes see nothing), gone once the upload ends."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@contextlib.contextmanager
def upload_progress(what: str) -> Iterator[Callable[[int, int], None] | None]:
    """Yields a `progress(sent, total)` callback for the client, or None off a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    bar = Progress(
        TextColumn("uploading {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(what, total=None)

    def update(sent: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=sent, total=total)

    try:
        yield update
    finally:
        if bar.live.is_started:
            bar.stop()
