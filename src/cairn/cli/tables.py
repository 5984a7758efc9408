"""`-o table`: results as Rich tables (lists of records) or key/value listings (one record)."""

from __future__ import annotations

from typing import Any


def print_table(data: Any, columns: list[str] | None = None) -> None:
    import sys

    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
    if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        columns = columns or [k for k, v in data[0].items() if not isinstance(v, dict | list)]
        table = Table(box=None, header_style="bold", pad_edge=False)
        for column in columns:
            table.add_column(column.rsplit(".", 1)[-1], overflow="fold")
        for row in data:
            table.add_row(*(_cell(_pick(row, c)) for c in columns))
        console.print(table)
    elif isinstance(data, dict):
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for key, value in data.items():
            if not isinstance(value, dict | list):
                table.add_row(str(key), _cell(value))
        console.print(table)
    elif isinstance(data, list):
        for item in data:
            console.print(_cell(item), markup=False)
    elif data is not None:
        console.print(_cell(data), markup=False)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _pick(row: dict[str, Any], column: str) -> Any:
    """`a.b` reads a nested field."""
    value: Any = row
    for part in column.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
