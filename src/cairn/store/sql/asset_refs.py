"""Asset references (`name`, `name:version`, `name@label`) and the messages for failed lookups.

Pure functions: parsing, version ordering and the wording of `NotFound` errors, kept apart from
the SQL so that their exact text is easy to read and test. `latest` is the most recently
created version that is not archived (how Azure ML resolves `@latest`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cairn.errors import NotFound, UsageError

LATEST = "latest"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class AssetRef:
    name: str
    version: str | None = None
    label: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}:{self.version}"
        return f"{self.name}@{self.label or LATEST}"


def parse_ref(ref: str) -> AssetRef:
    """Split `name:version`, `name@label` or `name` (which means `name@latest`)."""
    if "@" in ref:
        name, _, label = ref.partition("@")
        parsed = AssetRef(name, label=label)
    elif ":" in ref:
        name, _, version = ref.partition(":")
        parsed = AssetRef(name, version=version)
    else:
        parsed = AssetRef(ref, label=LATEST)
    check_name(parsed.name, what="asset reference", ref=ref)
    part = parsed.version if parsed.version is not None else parsed.label
    if part is None or not _PART.match(part):
        raise UsageError(
            f"invalid asset reference {ref!r}: expected name, name:version or name@label"
        )
    return parsed


def check_name(name: str, *, what: str = "asset name", ref: str | None = None) -> None:
    if not _NAME.match(name):
        shown = ref if ref is not None else name
        raise UsageError(
            f"invalid {what} {shown!r}: names use letters, digits, '_', '-' and '.', "
            "starting with a letter or digit"
        )


def check_version(version: str) -> None:
    if not _PART.match(version):
        raise UsageError(
            f"invalid version {version!r}: use letters, digits, '_', '-' and '.' (at most 64)"
        )


def check_label(label: str) -> None:
    if label == LATEST:
        raise UsageError("the label 'latest' is implicit and cannot be set or removed")
    if not _PART.match(label):
        raise UsageError(f"invalid label {label!r}: use letters, digits, '_', '-' and '.'")


def version_number(version: str) -> int | None:
    """The integer value of an all-digit version (what auto-increment counts from)."""
    return int(version) if version.isdigit() else None


def version_order(versions: Sequence[str]) -> list[str]:
    """Integer versions by value, then the others alphabetically."""
    return sorted(versions, key=lambda v: (0, int(v), "") if v.isdigit() else (1, 0, v))


def no_such_name(kind: str, name: str, similar: Sequence[str]) -> NotFound:
    message = f"no {kind} named {name}"
    if similar:
        message += f"; similar names: {', '.join(similar)}"
    return NotFound(message, details={"kind": kind, "name": name, "similar": list(similar)})


def no_such_version(kind: str, ref: AssetRef, versions: Sequence[str]) -> NotFound:
    ordered = version_order(versions)
    return NotFound(
        f"{kind} {ref} not found — these versions exist: {', '.join(ordered)}",
        details={"kind": kind, "name": ref.name, "version": ref.version, "versions": ordered},
    )


def no_such_label(
    kind: str, ref: AssetRef, labels: Sequence[str], versions: Sequence[str]
) -> NotFound:
    details = {"kind": kind, "name": ref.name, "label": ref.label, "labels": sorted(labels)}
    if ref.label == LATEST:
        ordered = version_order(versions)
        return NotFound(
            f"{kind} {ref} not found — every version is archived: {', '.join(ordered)}",
            details={**details, "versions": ordered},
        )
    shown = ", ".join(sorted(labels)) if labels else "none"
    return NotFound(f"{kind} {ref} not found — these labels exist: {shown}", details=details)
