"""Validate YAML values against the spec entities and say what is wrong in the user's terms.

pydantic does the validation; this module turns its errors into Cairn diagnostics — the right
code, the file position of the offending key or value, the dotted key path, and a hint ("did you
mean `compute`?", the allowed values) — and reports the keys that Azure would silently ignore.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError
from pydantic_core import ErrorDetails

from cairn.spec.diagnostics import Diagnostic, did_you_mean, one_of
from cairn.spec.entities.base import UNION_CHOICES, OpenEntity
from cairn.spec.source import Loc, Source, real_loc
from cairn.spec.yaml_loader import YDict, YList

M = TypeVar("M", bound=BaseModel)

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "scalar_type": "a string, number or boolean",
}


def validate_as(
    model: type[M], source: Source, at: Loc = (), *, ignored: Sequence[str] = ()
) -> tuple[M | None, list[Diagnostic]]:
    """Validate the values at `at` in `source` as `model`; return the entity (or None) and every
    problem found. Keys named in `ignored` are accepted and reported as ignored (W101)."""
    data = source.at(at) if at else source.root
    if not isinstance(data, dict):
        what = "empty" if data is None else f"{_kind(data)}, not a mapping"
        return None, [source.diag("E004", f"expected a mapping here; this is {what}", at)]
    try:
        entity = model.model_validate(data)
    except ValidationError as exc:
        return None, translate(exc.errors(), model, source, at)
    return entity, list(_ignored_keys(entity, source, at, ignored))


def validate_salvaging(
    model: type[M], source: Source, *, sections: Sequence[str], ignored: Sequence[str] = ()
) -> tuple[M | None, list[Diagnostic], dict[str, set[str]]]:
    """Like `validate_as`, but when the document is invalid, validate it again without the
    broken entries of `sections` (e.g. one bad job under `jobs`) and without broken top-level
    keys, so the remaining checks can still run. Returns the entity of what is left, every
    problem, and the names dropped from each section."""
    entity, problems = validate_as(model, source, ignored=ignored)
    dropped: dict[str, set[str]] = {}
    if entity is not None or not isinstance(source.root, dict):
        return entity, problems, dropped
    try:
        model.model_validate(source.root)
    except ValidationError as exc:
        pruned: dict[str, Any] = dict(source.root)
        for error in exc.errors():
            place = real_loc(source.root, error["loc"])
            head = place[0] if place else (error["loc"][0] if error["loc"] else None)
            if not isinstance(head, str):
                continue
            if head in sections and len(place) >= 2 and isinstance(pruned.get(head), dict):
                name = str(place[1])
                pruned[head] = {k: v for k, v in pruned[head].items() if k != name}
                dropped.setdefault(head, set()).add(name)
            elif head not in sections or len(place) < 2:
                pruned.pop(head, None)
    else:  # pragma: no cover - validate_as just failed on the same data
        return entity, problems, dropped
    try:
        salvaged = model.model_validate(pruned)
    except ValidationError:
        return None, problems, dropped
    # Keys Azure ignores in the valid rest are worth a warning even when something else is wrong.
    problems.extend(_ignored_keys(salvaged, source, (), ignored))
    return salvaged, problems, dropped


def translate(
    errors: Sequence[ErrorDetails], model: type[BaseModel], source: Source, at: Loc
) -> list[Diagnostic]:
    """Turn pydantic errors into diagnostics, merging the branches of one union into one line."""
    by_place: dict[Loc, list[ErrorDetails]] = {}
    for error in errors:
        place = real_loc(source.root, (*at, *error["loc"]))
        by_place.setdefault(place, []).append(error)
    out: list[Diagnostic] = []
    deeper = set()
    for place in by_place:
        for depth in range(len(place)):
            deeper.add(place[:depth])
    for place, group in by_place.items():
        type_errors = [e for e in group if e["type"] in _EXPECTED]
        others = [e for e in group if e["type"] not in _EXPECTED]
        if type_errors and not others and place not in deeper:
            out.append(_wrong_type(type_errors, source, place))
        out.extend(_one(error, model, source, at, place) for error in others)
    return out


def _one(
    error: ErrorDetails, model: type[BaseModel], source: Source, at: Loc, place: Loc
) -> Diagnostic:
    kind = error["type"]
    loc = error["loc"]
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        return source.diag(
            "E101",
            f"unknown key `{last}`{_in(place[:-1])}",
            place,
            key=True,
            hint=did_you_mean(str(last), known) or _allowed_keys_hint(known),
        )
    if kind == "missing":
        return source.diag("E102", f"missing required key `{last}`{_in(place)}", place, key=True)
    if kind == "literal_error":
        expected = _literal_choices(error)
        value = error.get("input")
        return source.diag(
            "E104",
            f"`{value}` is not allowed for `{place[-1] if place else last}`; "
            f"use one of {one_of(expected)}",
            place,
            hint=did_you_mean(str(value), expected),
        )
    if kind in UNION_CHOICES:
        return _bad_union(kind, error, source, place)
    if kind == "bad_reference":
        return source.diag(
            "E109",
            error["msg"],
            place,
            hint="write `azureml:` before a registered asset, or `file:` before a local file",
        )
    if kind in ("value_error", "assertion_error"):
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        return source.diag("E106", message, place)
    if kind == "string_pattern_mismatch":
        return source.diag(
            "E105", f"`{error.get('input')}` does not match the required pattern", place
        )
    return source.diag("E106", error["msg"], place)


def _wrong_type(errors: list[ErrorDetails], source: Source, place: Loc) -> Diagnostic:
    expected = sorted({_EXPECTED[e["type"]] for e in errors})
    if any("<ref>" in e["loc"] for e in errors):
        expected = sorted({*expected, "a mapping"})
    value = errors[0].get("input")
    name = place[-1] if place else "document"
    return source.diag(
        "E103", f"`{name}` should be {' or '.join(expected)}, not {_kind(value)}", place
    )


def _bad_union(kind: str, error: ErrorDetails, source: Source, place: Loc) -> Diagnostic:
    key, choices = UNION_CHOICES[kind]
    value = error.get("input")
    if not isinstance(value, dict):
        name = place[-1] if place else "value"
        return source.diag("E103", f"`{name}` should be a mapping, not {_kind(value)}", place)
    if key not in value:
        return source.diag(
            "E102",
            f"missing required key `{key}`{_in(place)}",
            place,
            key=True,
            hint=f"`{key}` is one of {one_of(choices)}",
        )
    chosen = value[key]
    return source.diag(
        "E104",
        f"`{chosen}` is not a valid `{key}`{_in(place)}; use one of {one_of(choices)}",
        (*place, key),
        hint=did_you_mean(str(chosen), choices),
    )


def _ignored_keys(
    entity: BaseModel, source: Source, at: Loc, ignored: Sequence[str]
) -> Iterator[Diagnostic]:
    for loc, model in walk_entities(entity, at):
        warns = isinstance(model, OpenEntity) and model.warn_unknown
        extras = model.extra_keys() if warns and isinstance(model, OpenEntity) else {}
        known = type(model).known_keys() if isinstance(model, OpenEntity) else []
        for key in extras:
            yield source.diag(
                "W101",
                f"unknown key `{key}`{_in(loc)}: Azure accepts and ignores it, and so does Cairn",
                (*loc, key),
                key=True,
                hint=did_you_mean(key, known),
            )
    for key in ignored:
        if isinstance(source.at(at), dict) and key in source.at(at):
            yield source.diag(
                "W101",
                f"`{key}` is set by the service; Azure ignores it in a file",
                (*at, key),
                key=True,
            )


def walk_entities(entity: BaseModel, loc: Loc) -> Iterator[tuple[Loc, BaseModel]]:
    """Every entity in a tree, parents first, with its location (by YAML key names).

    Iterative, and it skips scalars and raw YAML values (kept as they are under `Any` fields,
    where no entity can be): a 1,000-step pipeline has some 25,000 values to pass over."""
    stack: list[tuple[Loc, Any]] = [(loc, entity)]
    while stack:
        at, value = stack.pop()
        if isinstance(value, BaseModel):
            yield at, value
            items: Iterable[tuple[str | int, Any]] = (
                (key, getattr(value, name)) for name, key in _field_keys(type(value))
            )
        elif isinstance(value, dict):
            items = value.items()
        else:
            items = enumerate(value)
        children = [((*at, k), v) for k, v in items if isinstance(v, _CONTAINERS) and not _raw(v)]
        stack.extend(reversed(children))


_CONTAINERS = (BaseModel, dict, list)


def _raw(value: Any) -> bool:
    return isinstance(value, YDict | YList)


@functools.cache
def _field_keys(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    return tuple((name, field.alias or name) for name, field in model.model_fields.items())


def _known_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    found = _model_at(model, loc)
    return found.known_keys() if found is not None and hasattr(found, "known_keys") else []


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """Follow a schema error location through the model's annotations to the model it names."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _step(annotation: Any, part: str | int) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(part, str) and part.startswith("<"):
        for member in _members(annotation):
            if any(
                isinstance(m, Tag) and m.tag == part for m in getattr(member, "__metadata__", ())
            ):
                return member
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(part, str):
        for name, field in annotation.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    for member in _members(annotation):
        origin = get_origin(_unwrap(member))
        if origin is dict and isinstance(part, str):
            return get_args(_unwrap(member))[1]
        if origin is list and isinstance(part, int):
            return get_args(_unwrap(member))[0]
    return None


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    members = [m for m in _members(annotation) if m is not type(None)]
    if len(members) == 1 and members[0] is not annotation:
        return _unwrap(members[0])
    return annotation


def _members(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (typing.Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


def _literal_choices(error: ErrorDetails) -> list[str]:
    expected = str(error.get("ctx", {}).get("expected", ""))
    # String choices come quoted (`'a', 'b' or 'c,d'`); a choice may itself hold a comma.
    quoted = re.findall(r"'([^']*)'", expected)
    if quoted:
        return quoted
    return [part.strip(" '") for part in expected.replace(" or ", ", ").split(",") if part.strip()]


def _allowed_keys_hint(known: list[str]) -> str | None:
    return f"allowed keys here: {one_of(sorted(known))}" if known else None


def _in(loc: Sequence[str | int]) -> str:
    from cairn.spec.source import dotted

    return f" in `{dotted(loc)}`" if loc else ""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean `{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"the number `{value}`"
    if isinstance(value, str):
        return f"the string `{value}`"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
