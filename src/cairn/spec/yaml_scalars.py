"""YAML 1.1 plain scalars exactly as PyYAML's `safe_load` (Azure's SDK) reads them.

Hand-written because ruamel.yaml's YAML 1.1 resolver differs from PyYAML where users notice: it
reads `y`/`n` as booleans and `1e-3` as a float, where Azure keeps both as strings (PyYAML's
floats need a dot, and a signed exponent). Timestamps stay strings; nothing here constructs
objects, so tags other than the plain types are refused by the caller.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

STD_TAG = "tag:yaml.org,2002:"
_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}
_IMPLICIT = (  # PyYAML's implicit types for plain scalars, in its order of precedence
    (
        "bool",
        re.compile(r"yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"),
    ),
    (
        "float",
        re.compile(
            r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
            r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
        ),
    ),
    (
        "int",
        re.compile(
            r"[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
            r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"
        ),
    ),
    ("merge", re.compile(r"<<")),
    ("null", re.compile(r"~|null|Null|NULL|")),
)


_FIRST = frozenset("yYnNtTfFoO0123456789+-.~<")
"""What a bool, number, null or merge key can start with."""


def implicit_tag(value: str) -> str:
    """The tag PyYAML gives the plain (unquoted, untagged) scalar `value`."""
    if value and value[0] not in _FIRST:  # most scalars are words, names or paths
        return STD_TAG + "str"
    for kind, pattern in _IMPLICIT:
        if pattern.fullmatch(value):
            return STD_TAG + kind
    return STD_TAG + "str"


def clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"


def _yaml11_bool(text: str) -> bool:
    try:
        return _BOOLS[text.lower()]
    except KeyError:
        raise ValueError(text) from None


def _split_sign(text: str) -> tuple[int, str]:
    text = text.replace("_", "")
    if text.startswith(("+", "-")):
        return (-1 if text[0] == "-" else 1), text[1:]
    return 1, text


def _sexagesimal(text: str) -> float:
    total = 0.0
    for part in text.split(":"):
        total = total * 60 + float(part)
    return total


def _sexagesimal_int(text: str) -> int:
    # In integers, not floats: `!!int 1e400:00` must fail as a bad int, not overflow.
    total = 0
    for part in text.split(":"):
        total = total * 60 + int(part)
    return total


def _yaml11_int(text: str) -> int:
    sign, digits = _split_sign(text)
    if ":" in digits:
        return sign * _sexagesimal_int(digits)
    lowered = digits.lower()
    if lowered.startswith(("0x", "0b", "0o")):
        return sign * int(lowered, 0)
    if len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits, 8)
    return sign * int(digits)


def _yaml11_float(text: str) -> float:
    sign, digits = _split_sign(text)
    lowered = digits.lower()
    if lowered == ".inf":
        return sign * math.inf
    if lowered == ".nan":
        return math.nan
    if ":" in digits:
        return sign * _sexagesimal(digits)
    return sign * float(digits)


_CONSTRUCT: dict[str | None, Callable[[str], Any]] = {
    **dict.fromkeys(("str", "timestamp", "binary", "value", "merge"), lambda text: text),
    "null": lambda text: None,
    "bool": _yaml11_bool,
    "int": _yaml11_int,
    "float": _yaml11_float,
}


def construct_scalar(kind: str | None, text: str) -> Any:
    """The value of `text` tagged `tag:yaml.org,2002:<kind>`. Raises ValueError or OverflowError
    when the text is not of that kind, and KeyError for a kind that is not a plain scalar."""
    return _CONSTRUCT[kind](text)
