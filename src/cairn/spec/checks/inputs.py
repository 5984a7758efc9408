"""Values bound to component inputs: required ones given, names declared, types and ranges right."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cairn.spec.bindings import Kind, single_binding
from cairn.spec.checks.context import ports_of
from cairn.spec.diagnostics import did_you_mean, one_of
from cairn.spec.entities.io import (
    DataInput,
    DataPort,
    LiteralInput,
    MLTableInput,
    ModelInput,
    ParameterPort,
)
from cairn.spec.entities.nodes import InlineCommandNode, SweepNode

if TYPE_CHECKING:
    from cairn.spec.checks.context import CheckContext
    from cairn.spec.resolve import LoadedNode, Scope
    from cairn.spec.source import Loc

_DATA = (DataInput, MLTableInput, ModelInput)


def check_scope(scope: Scope, context: CheckContext) -> None:
    for node in scope.nodes.values():
        if isinstance(node.entity, InlineCommandNode):
            continue
        ports = ports_of(node)
        if ports is None:
            continue
        given: dict[str, Any] = dict(getattr(node.entity, "inputs", {}) or {})
        searched = _searched(node)
        for name, port in ports.inputs.items():
            if _required(port) and given.get(name) is None and name not in searched:
                context.add(
                    node.source.diag(
                        "E301",
                        f"job `{node.name}`: required input `{name}` of {ports.owner} has no value",
                        (*node.at, "inputs") if "inputs" in _raw(node) else node.at,
                        hint=f"bind `{name}` under the job's `inputs:`",
                    )
                )
        for name, value in given.items():
            loc = (*node.at, "inputs", name)
            port = ports.inputs.get(name)
            if port is None:
                context.add(
                    node.source.diag(
                        "W301",
                        f"job `{node.name}`: {ports.owner} has no input `{name}`; Azure drops it",
                        loc,
                        key=True,
                        hint=did_you_mean(name, ports.inputs),
                    )
                )
                continue
            _check_value(value, port, loc, node, scope, context)


def _searched(node: LoadedNode) -> set[str]:
    """Trial inputs a sweep fills from its search space, so the node need not bind them."""
    if isinstance(node.entity, SweepNode) and node.entity.search_space:
        return set(node.entity.search_space)
    return set()


def _required(port: Any) -> bool:
    return isinstance(port, ParameterPort | DataPort) and not port.optional and port.default is None


def _check_value(
    value: Any, port: Any, loc: Loc, node: LoadedNode, scope: Scope, context: CheckContext
) -> None:
    if isinstance(value, LiteralInput):
        value, loc = value.value, (*loc, "value")
    if isinstance(port, DataPort):
        if isinstance(value, bool | int | float):
            context.add(
                node.source.diag(
                    "E302",
                    f"input `{loc[-1]}` is data ({port.type}), but the literal `{value}` is given",
                    loc,
                    hint=f"give a mapping, for example `{{type: {port.type}, path: ./data}}`",
                )
            )
        elif isinstance(value, _DATA) and port.type not in (value.type, "path"):
            context.add(
                node.source.diag(
                    "W302",
                    f"input `{loc[-1]}` is `{port.type}`, but `{value.type}` data is given; "
                    "Azure accepts this",
                    (*loc, "type"),
                )
            )
        return
    if not isinstance(port, ParameterPort):
        return
    if isinstance(value, _DATA):
        context.add(
            node.source.diag(
                "E302",
                f"input `{loc[-1]}` is a literal `{port.type}`, but `{value.type}` data is given",
                loc,
            )
        )
        return
    via = ""
    expr = single_binding(value)
    if expr is not None:
        if expr.kind is not Kind.PARENT_INPUT or not scope.is_job:
            return
        bound = scope.entity.inputs.get(expr.name)
        if isinstance(bound, LiteralInput):
            bound = bound.value
        if not isinstance(bound, str | int | float | bool) or single_binding(bound):
            return
        value, via = bound, f" (from pipeline input `{expr.name}`)"
    problem = literal_problem(value, port)
    if problem is not None:
        code, message = problem
        context.add(node.source.diag(code, f"input `{loc[-1]}`{via}: {message}", loc))


def literal_problem(value: Any, port: ParameterPort) -> tuple[str, str] | None:
    """Why a literal does not fit a parameter port, as (code, message), or None."""
    if isinstance(value, str) and "${{" in value:
        return None
    number = _as_number(value, port.type)
    if port.type == "integer" and (number is None or not _integral(number)):
        return "E302", f"`{value}` is not an integer"
    if port.type == "number" and number is None:
        return "E302", f"`{value}` is not a number"
    if port.type == "boolean" and not (
        isinstance(value, bool) or str(value).lower() in ("true", "false")
    ):
        return "E302", f"`{value}` is not a boolean (true or false)"
    if number is not None:
        low, high = _as_number(port.min, "number"), _as_number(port.max, "number")
        if low is not None and number < low:
            return "E303", f"`{value}` is below the minimum {port.min}"
        if high is not None and number > high:
            return "E303", f"`{value}` is above the maximum {port.max}"
    if port.enum and str(value) not in port.enum:
        hint = did_you_mean(str(value), port.enum)
        suffix = f" ({hint})" if hint else ""
        return "E303", f"`{value}` is not one of {one_of(port.enum)}{suffix}"
    return None


def _integral(number: float) -> bool:
    # `.inf` and `.nan` are YAML floats with no integer value (int() would raise).
    return isinstance(number, int) or (math.isfinite(number) and number.is_integer())


def _as_number(value: Any, kind: str) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value  # exact: a huge integer has no float
    if isinstance(value, float):
        return value
    if kind in ("integer", "number") and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _raw(node: LoadedNode) -> dict[str, Any]:
    raw = node.source.at(node.at)
    return raw if isinstance(raw, dict) else {}
