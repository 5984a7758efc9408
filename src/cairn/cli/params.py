"""Fast coercion of the simple option values every `cairn` command takes.

Why this exists: Typer coerces each option's value through a pydantic `TypeAdapter` that it
builds on every call, options left unset included. Importing pydantic and building a dozen
adapters costs about 80 ms per `cairn` call — a quarter of what `cairn job list` may take in all.
Cairn's options are simple: `str`, `int`, `float`, `bool`, `Path`, an `Enum`, optional or
repeated; click has already split them from argv. `install()` coerces those in plain Python, the
way Typer would, and leaves every other parameter (ranges, parsers, path checks, other types)
to Typer. If Typer's internals change shape, `install()` changes nothing.

This module owns only that coercion; it must not change what any option accepts.
"""

from __future__ import annotations

import os
import types
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

if TYPE_CHECKING:
    from collections.abc import Callable

_CONSTRAINTS = ("parser", "min", "max", "clamp", "formats", "path_type", "exists", "resolve_path")
_PATH_CHECKS = {"file_okay": True, "dir_okay": True, "writable": False, "allow_dash": False}


def install() -> None:
    """Route simple parameters around Typer's pydantic coercion (idempotent)."""
    try:
        from typer import _coercion, core
        from typer._click.exceptions import BadParameter
        from typer._param_types import coerce_cli_choice
    except ImportError:
        return
    original = getattr(core, "build_runtime_param", None)
    base = getattr(_coercion, "RuntimeParam", None)
    if original is None or base is None or getattr(original, "_cairn_fast", False):
        return

    @dataclass(frozen=True)
    class SimpleRuntimeParam(base):  # type: ignore[misc, valid-type]
        convert: Callable[[Any], Any]

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return self.convert(value)
            except (TypeError, ValueError) as exc:
                raise BadParameter(str(exc), ctx=ctx, param=param) from exc

    def build(descriptor: Any) -> Any:
        info = descriptor.parameter_info
        simple = (
            getattr(descriptor, "file_annotation", None) is None
            and not any(getattr(info, name, None) for name in _CONSTRAINTS)
            and all(getattr(info, k, v) == v for k, v in _PATH_CHECKS.items())
        )
        convert = _converter(descriptor.annotation, info, coerce_cli_choice) if simple else None
        if convert is None:
            return original(descriptor)
        return SimpleRuntimeParam(
            annotation=descriptor.annotation, parameter_info=info, convert=convert
        )

    build._cairn_fast = True  # type: ignore[attr-defined]
    core.build_runtime_param = build  # type: ignore[attr-defined]


def _converter(
    annotation: Any, info: Any, choose: Callable[..., Any]
) -> Callable[[Any], Any] | None:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return _converter(inner[0], info, choose) if len(inner) == 1 else None
    if origin is list:
        item = _converter(get_args(annotation)[0], info, choose)
        if item is None:
            return None
        return lambda value: [
            item(v) for v in (value if isinstance(value, list | tuple) else [value])
        ]
    if origin is not None:
        return None
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        choices = tuple(annotation)
        sensitive = bool(getattr(info, "case_sensitive", True))
        return lambda value: choose(value, choices=choices, case_sensitive=sensitive)
    return _SCALARS.get(annotation)


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a valid string.")
    return value


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a valid integer.")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid integer.") from None


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid number.") from None


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "t", "yes", "y", "on"):
        return True
    if text in ("0", "false", "f", "no", "n", "off"):
        return False
    raise ValueError(f"{value!r} is not a valid boolean.")


def _as_path(value: Any) -> Path:
    path = value if isinstance(value, Path) else Path(value)
    # As Typer does by default: a path that exists must be readable.
    if path.exists() and not os.access(path, os.R_OK):
        raise ValueError(f"path {str(value)!r} is not readable.")
    return path


_SCALARS: dict[Any, Callable[[Any], Any]] = {
    str: _as_str,
    int: _as_int,
    float: _as_float,
    bool: _as_bool,
    Path: _as_path,
}
