"""A YAML file that has been read: its values, where they came from, and how to point into it.

Every diagnostic about a file is made here, from a location path (`("jobs", "train", "compute")`)
into the file's values, so that checks never deal with lines and columns themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cairn.spec.diagnostics import Diagnostic, Severity
from cairn.spec.yaml_loader import locate

Loc = tuple[str | int, ...]


@dataclass(frozen=True, eq=False)
class Source:
    """One YAML file: `display` is how diagnostics name it, `path` where it is on disk."""

    display: str
    path: Path | None
    root: Any

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in this file start from."""
        return self.path.parent if self.path is not None else Path.cwd()

    def at(self, loc: Sequence[str | int]) -> Any:
        """The value at `loc`, or None where the path does not exist."""
        node = self.root
        for part in loc:
            found, node = child(node, part)
            if not found:
                return None
        return node

    def diag(
        self,
        code: str,
        message: str,
        loc: Sequence[str | int] = (),
        *,
        hint: str | None = None,
        severity: Severity | None = None,
        key: bool = False,
    ) -> Diagnostic:
        """A diagnostic pointing at the value (or, with `key=True`, the key) at `loc`."""
        mark = locate(self.root, loc, key=key)
        if severity is None:
            severity = Severity.WARNING if code.startswith("W") else Severity.ERROR
        return Diagnostic(
            code=code,
            message=message,
            severity=severity,
            file=self.display,
            line=mark[0] + 1 if mark else None,
            column=mark[1] + 1 if mark else None,
            path=dotted(loc),
            hint=hint,
        )


def dotted(loc: Sequence[str | int]) -> str:
    """`("jobs", "train", "inputs", 0)` → `jobs.train.inputs[0]`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def real_loc(root: Any, loc: Sequence[str | int]) -> Loc:
    """The parts of a schema error location that are keys or indexes in the data.

    Union tags (`<command>`) and names of union members are dropped; so is a last part naming a
    key that is absent (a missing key), which callers add back where they want it.
    """
    out: list[str | int] = []
    node = root
    for part in loc:
        found, value = child(node, part)
        if found:
            out.append(part)
            node = value
    return tuple(out)


def child(node: Any, part: str | int) -> tuple[bool, Any]:
    """`(True, node[part])` where `part` is a key of a mapping or an index of a list."""
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None
