"""`job explain-reuse` as a table: each part of the reuse key, this run beside the candidate."""

from __future__ import annotations

import json
from typing import Any


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested key parts as `inputs.lr.literal` → value text."""
    if isinstance(value, dict) and value:
        out: dict[str, str] = {}
        for key in sorted(value):
            out.update(flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value if isinstance(value, str) else json.dumps(value)}


def print_explanation(found: dict[str, Any]) -> None:
    import sys

    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    console.print(
        f"{found['job']} / {found['step']}: {found.get('explanation') or 'not decided yet'}",
        style="bold",
        markup=False,
    )
    candidate = found.get("candidate")
    mine = flatten(found.get("parts") or {})
    theirs = flatten(candidate["parts"] or {}) if candidate else {}
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("part")
    table.add_column("this run", overflow="fold")
    table.add_column(candidate["job"] if candidate else "no earlier candidate", overflow="fold")
    table.add_column("")
    for key in sorted(set(mine) | set(theirs)):
        a, b = mine.get(key, "—"), theirs.get(key, "—")
        table.add_row(key, _short(a), _short(b), "" if a == b or not candidate else "≠")
    console.print(table)


def _short(text: str) -> str:
    return text if len(text) <= 48 else text[:22] + "…" + text[-22:]
