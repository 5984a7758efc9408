"""Preparing a step's folder: working copy of the code, inputs, private output locations.

Owns: the layout the command sees —

- `wd/`: a fresh, writable copy of the code snapshot (the snapshot itself is read-only and is
  never written to);
- data inputs in `ro_mount`, `mount`, `eval_mount` and `direct` mode: the local `path` itself, used
  in place; their files are recorded (path, size, mtime) so that a step that changes them fails
  with `input_modified`; in `download` / `eval_download` mode: a private copy under
  `inputs/<name>` (a file input becomes `inputs/<name>/<file name>`), which the step may change;
- outputs: a folder type (`uri_folder`, `mltable`, models) is the empty folder `outputs/<name>/`;
  a `uri_file` output is the path `outputs/<name>/<file name>`, where `<file name>` is the last
  component of the output's destination (`commit_to`), so a script that looks at the extension
  sees the real one; the folder `outputs/<name>/` exists, the file does not.

Must not: run anything, or touch an input's data or an output's destination.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from cairn.launcher.outcome import StepFailure
from cairn.launcher.protocol import OUTPUTS, InputSpec, LaunchSpec, OutputSpec

INPUTS = "inputs"
IN_PLACE_MODES = frozenset({"ro_mount", "mount", "eval_mount", "direct"})
COPY_MODES = frozenset({"download", "eval_download"})
FILE_OUTPUT_TYPES = frozenset({"uri_file"})

Value = str | int | float | bool
Manifest = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class WatchedInput:
    """An input used in place, with the files it held before the command ran."""

    name: str
    path: Path
    before: Manifest


def copy_code(code: str | None, wd: Path) -> None:
    """Create `wd` as a writable copy of the snapshot `code` (empty when there is none)."""
    if code is None:
        wd.mkdir()
        return
    source = Path(code)
    if source.is_file():
        wd.mkdir()
        _copy_file(source, wd / source.name)
        return
    if not source.is_dir():
        raise StepFailure("launch_error", f"code snapshot {code!r} does not exist")
    _copy_tree(source, wd)


def _copy_tree(source: Path, dest: Path) -> None:
    # Hand-written rather than shutil.copytree: the snapshot's folders and files are read-only, and
    # copytree would carry those modes over (a working folder the step cannot write to).
    dest.mkdir()
    with os.scandir(source) as entries:
        for entry in entries:
            target = dest / entry.name
            if entry.is_symlink():
                target.symlink_to(Path(entry.path).readlink())
            elif entry.is_dir():
                _copy_tree(Path(entry.path), target)
            else:
                _copy_file(Path(entry.path), target)


def _copy_file(source: Path, dest: Path) -> None:
    shutil.copyfile(source, dest)
    dest.chmod(stat.S_IMODE(source.stat().st_mode) | stat.S_IWUSR | stat.S_IRUSR)


def prepare_inputs(
    spec: LaunchSpec, workdir: Path
) -> tuple[dict[str, Value | None], list[WatchedInput]]:
    """The value each input renders to (None: unset optional), and the inputs to watch."""
    values: dict[str, Value | None] = {}
    watched: list[WatchedInput] = []
    for item in spec.inputs:
        if item.path is None:
            values[item.name] = _literal(item)
            continue
        source = Path(item.path)
        if not source.exists():
            raise StepFailure("launch_error", f"input {item.name!r}: {item.path!r} does not exist")
        if item.mode in COPY_MODES:
            values[item.name] = str(_download(item, source, workdir))
        elif item.mode in IN_PLACE_MODES:
            values[item.name] = str(source)
            watched.append(WatchedInput(item.name, source, manifest(source)))
        else:
            raise StepFailure("launch_error", f"input {item.name!r}: unknown mode {item.mode!r}")
    return values, watched


def _literal(item: InputSpec) -> Value | None:
    if item.value is not None:
        return item.value
    if item.uri is not None:
        if item.mode == "direct":
            return item.uri  # direct mode hands the step the URI itself, as Azure does
        raise StepFailure(
            "launch_error", f"input {item.name!r}: {item.uri!r} was not made available locally"
        )
    return None


def _download(item: InputSpec, source: Path, workdir: Path) -> Path:
    folder = workdir / INPUTS / item.name
    if source.is_dir():
        folder.parent.mkdir(exist_ok=True)
        _copy_tree(source, folder)
        return folder
    folder.mkdir(parents=True)
    target = folder / source.name
    _copy_file(source, target)
    return target


def manifest(path: Path) -> Manifest:
    """(size, mtime_ns) of every file under `path` (or of `path` itself), by relative path."""
    st = path.stat()
    if not stat.S_ISDIR(st.st_mode):
        return {path.name: (st.st_size, st.st_mtime_ns)}
    found: Manifest = {}
    stack = [(path, "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):  # links are not followed: no cycles
                        stack.append((Path(entry.path), rel + "/"))
                        continue
                    info = entry.stat()
                except OSError:
                    info = entry.stat(follow_symlinks=False)  # a dangling link: watch the link
                found[rel] = (info.st_size, info.st_mtime_ns)
    return found


def find_modified(watched: list[WatchedInput]) -> str | None:
    """A message naming the first changed file of a watched input, or None when all are intact."""
    for item in watched:
        try:
            after = manifest(item.path)
        except FileNotFoundError:
            return f"input {item.name!r} was removed by the step: {item.path}"
        if after == item.before:
            continue
        for rel in sorted(item.before.keys() | after.keys()):
            was, now = item.before.get(rel), after.get(rel)
            if was != now:
                change = "deleted" if now is None else "created" if was is None else "changed"
                return f"input {item.name!r} was modified by the step: {rel} ({change})"
    return None


def prepare_outputs(spec: LaunchSpec, workdir: Path) -> dict[str, Path]:
    """Create each output's private location; the path the step is given, by output name."""
    root = workdir / OUTPUTS
    root.mkdir(exist_ok=True)
    paths: dict[str, Path] = {}
    for output in spec.outputs:
        folder = root / output.name
        folder.mkdir()
        paths[output.name] = folder / file_name(output) if is_file(output) else folder
    return paths


def is_file(output: OutputSpec) -> bool:
    return output.type in FILE_OUTPUT_TYPES


def file_name(output: OutputSpec) -> str:
    """The name a `uri_file` output is written under: its destination's last component."""
    return Path(output.commit_to.rstrip("/")).name or output.name
