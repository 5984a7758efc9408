"""`job run-step`: run one step of an earlier job in the foreground, printing its log as it goes."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

from cairn.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

    from cairn.client.client import Client


def run_locally(api: Client, name: str, step: str, folder: Path) -> int:
    """Returns 0 when the step completed."""
    from cairn.launcher.protocol import STD_LOG, USER_LOGS, LaunchSpec, StepRecord, write_atomic
    from cairn.launcher.run import main

    if folder.exists() and any(folder.iterdir()):
        raise UsageError(f"{folder} is not empty", hint="choose another --local-dir or empty it")
    folder.mkdir(parents=True, exist_ok=True)
    spec = LaunchSpec.from_json(_json(api.step_launch_spec(name, step, str(folder))))
    write_atomic(folder / "spec.json", spec.to_json(), durable=False)
    sys.stderr.write(f"running {name} / {step} in {folder}\n")
    done = threading.Event()
    tail = threading.Thread(target=_tail, args=(folder / USER_LOGS / STD_LOG, done), daemon=True)
    tail.start()
    main(folder)
    done.set()
    tail.join(timeout=5)
    record = StepRecord.read(folder)
    if record is None:
        sys.stderr.write("the step ended without a record\n")
        return 1
    sys.stderr.write(f"{record.status} ({record.reason}) {record.message}\n")
    for output in record.outputs:
        sys.stderr.write(f"output {output.name}: {output.path}\n")
    return 0 if record.status == "Completed" else 1


def _json(data: object) -> str:
    import json

    return json.dumps(data)


def _tail(path: Path, done: threading.Event) -> None:
    offset = 0
    while True:
        finished = done.is_set()
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
                offset = handle.tell()
        except FileNotFoundError:
            chunk = b""
        if chunk:
            sys.stdout.write(chunk.decode(errors="replace"))
            sys.stdout.flush()
        if finished:
            return
        done.wait(0.1)
