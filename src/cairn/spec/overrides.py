"""`--set a.b.c=value`: overrides applied to the raw document before it is validated.

Azure applies them with `pydash.set_` to the loaded YAML dict (`params_override`): missing
levels are created, `a.b[0].c` indexes lists, and a level that is a string (a reference such as
`component: ./x.yml`) cannot be descended into. The value is read as YAML, so `--set x=3` is the
integer 3 and `--set x="3"` the string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cairn.errors import CairnError, UsageError
from cairn.spec.yaml_loader import YDict, load_yaml

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Override:
    path: tuple[str | int, ...]
    value: Any
    text: str


def parse_override(text: str) -> Override:
    """Parse one `a.b.c=value`."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise UsageError(
            f"--set {text!r}: expected KEY=VALUE",
            hint="for example --set settings.force_rerun=true",
        )
    path = _split(key.strip(), text)
    try:
        value = load_yaml(raw, f"--set {key}").root if raw.strip() else ""
    except CairnError as exc:
        raise UsageError(f"--set {text!r}: the value is not valid YAML: {exc}") from exc
    return Override(path, value, text)


def _split(key: str, text: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    position = 0
    for match in _PART.finditer(key):
        gap = key[position : match.start()]
        if gap not in ("", "."):
            raise UsageError(f"--set {text!r}: cannot read the key path {key!r}")
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        position = match.end()
    if position != len(key) or not parts:
        raise UsageError(f"--set {text!r}: cannot read the key path {key!r}")
    return tuple(parts)


def apply_overrides(root: Any, overrides: list[Override]) -> Any:
    """Apply overrides in order; returns the (same, changed) root."""
    if not overrides:
        return root
    if root is None:
        root = YDict()
    if not isinstance(root, dict):
        raise UsageError("--set needs a document that is a mapping")
    for override in overrides:
        node: Any = root
        for index, part in enumerate(override.path):
            last = index == len(override.path) - 1
            if isinstance(node, str):
                raise UsageError(
                    f"--set {override.text!r}: cannot use --set on properties defined by a "
                    f"reference string ({node!r})"
                )
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    raise UsageError(f"--set {override.text!r}: no list item [{part}] there")
            elif not isinstance(node, dict):
                raise UsageError(f"--set {override.text!r}: `{part}` is not inside a mapping")
            if last:
                node[part] = override.value
            else:
                if isinstance(node, dict) and (part not in node or node[part] is None):
                    node[part] = {}
                node = node[part]
    return root
