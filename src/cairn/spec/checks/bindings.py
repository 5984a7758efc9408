"""Bindings in node inputs, outputs and compute: every name they use must exist.

`${{parent.inputs.X}}` needs a pipeline input X; `${{parent.jobs.N.outputs.O}}` a job N with an
output O (not the job itself); `${{parent.outputs.X}}` in a node output a pipeline output X.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.spec.bindings import Expression, Kind, find_expressions
from cairn.spec.checks.context import ports_of, scope_inputs, scope_outputs
from cairn.spec.diagnostics import did_you_mean
from cairn.spec.entities.io import DataInput, LiteralInput, MLTableInput, ModelInput, Output
from cairn.spec.entities.nodes import CommandNode, InlineCommandNode, SweepNode

if TYPE_CHECKING:
    from cairn.spec.checks.context import CheckContext
    from cairn.spec.resolve import LoadedNode, Scope
    from cairn.spec.source import Loc

_SYSTEM = (Kind.NAME, Kind.OUTPUT_NAME, Kind.DEFAULT_DATASTORE)


def check_scope(scope: Scope, context: CheckContext) -> None:
    for node in scope.nodes.values():
        for name, value in node.entity.inputs.items() if hasattr(node.entity, "inputs") else ():
            loc = (*node.at, "inputs", name)
            for text, at in _strings_of_input(value, loc):
                _check_input_text(text, at, node, scope, context)
        outputs = getattr(node.entity, "outputs", {}) or {}
        for name, value in outputs.items():
            _check_output(value, (*node.at, "outputs", name), node, scope, context)
        if isinstance(node.entity, CommandNode | SweepNode | InlineCommandNode):
            compute = node.entity.compute
            if compute is not None:
                _check_input_text(compute, (*node.at, "compute"), node, scope, context)


def binding_strings(value: Any) -> list[str]:
    """The strings of an input value that may hold expressions."""
    return [text for text, _ in _strings_of_input(value, ())]


def _strings_of_input(value: Any, loc: Loc) -> list[tuple[str, Loc]]:
    if isinstance(value, str):
        return [(value, loc)]
    if isinstance(value, LiteralInput) and isinstance(value.value, str):
        return [(value.value, (*loc, "value"))]
    if isinstance(value, DataInput | MLTableInput | ModelInput) and value.path:
        return [(value.path, (*loc, "path"))]
    return []


def _check_input_text(
    text: str, loc: Loc, node: LoadedNode, scope: Scope, context: CheckContext
) -> None:
    expressions, problems = find_expressions(text)
    for problem in problems:
        context.add(scope.source.diag("E201", problem.message, loc))
    for expr in expressions:
        if expr.kind is Kind.PARENT_INPUT:
            _need_parent_input(expr, loc, scope, context)
        elif expr.kind in (Kind.NODE_OUTPUT, Kind.NODE_INPUT, Kind.NODE):
            _need_node_port(expr, loc, node, scope, context)
        elif expr.kind in (Kind.INPUT, Kind.OUTPUT):
            context.add(
                scope.source.diag(
                    "E201",
                    f"`{expr.text}` is for commands; in a job's inputs, refer to the pipeline "
                    f"with `${{{{parent.{expr.kind.value}.{expr.name}}}}}`",
                    loc,
                )
            )
        elif expr.kind is Kind.PARENT_OUTPUT:
            context.add(
                scope.source.diag(
                    "E201", f"`{expr.text}` cannot be read as an input; bind an output to it", loc
                )
            )


def _need_parent_input(expr: Expression, loc: Loc, scope: Scope, context: CheckContext) -> None:
    declared = scope_inputs(scope)
    if expr.name not in declared and not scope.is_broken("inputs", expr.name):
        where = "pipeline job" if scope.is_job else "pipeline component"
        context.add(
            scope.source.diag(
                "E202",
                f"`{expr.text}`: the {where} has no input `{expr.name}`",
                loc,
                hint=did_you_mean(expr.name, declared)
                or "declare it under the pipeline's `inputs:`",
            )
        )


def _need_node_port(
    expr: Expression, loc: Loc, node: LoadedNode, scope: Scope, context: CheckContext
) -> None:
    if expr.node == node.name and expr.kind is Kind.NODE_OUTPUT:
        context.add(
            scope.source.diag(
                "E402",
                f"`{expr.text}`: job `{node.name}` cannot consume its own output",
                loc,
                hint="bind the input to another job's output",
            )
        )
        return
    target = scope.nodes.get(expr.node)
    if target is None and scope.is_broken("jobs", expr.node):
        return
    if target is None:
        context.add(
            scope.source.diag(
                "E204",
                f"`{expr.text}`: there is no job `{expr.node}` in this pipeline",
                loc,
                hint=did_you_mean(expr.node, [*scope.nodes, *scope.broken.get("jobs", ())]),
            )
        )
        return
    if expr.kind is Kind.NODE:
        return
    ports = ports_of(target)
    if ports is None:
        return
    side = ports.outputs if expr.kind is Kind.NODE_OUTPUT else ports.inputs
    word = "output" if expr.kind is Kind.NODE_OUTPUT else "input"
    if expr.name not in side:
        context.add(
            scope.source.diag(
                "E205",
                f"`{expr.text}`: job `{expr.node}` has no {word} `{expr.name}`",
                loc,
                hint=did_you_mean(expr.name, side) or _listing(word, side),
            )
        )


def _check_output(
    value: Any, loc: Loc, node: LoadedNode, scope: Scope, context: CheckContext
) -> None:
    text = value if isinstance(value, str) else value.path if isinstance(value, Output) else None
    if text is None:
        return
    if isinstance(value, Output):
        loc = (*loc, "path")
    expressions, problems = find_expressions(text)
    for problem in problems:
        context.add(scope.source.diag("E201", problem.message, loc))
    declared = scope_outputs(scope)
    for expr in expressions:
        if expr.kind is Kind.PARENT_OUTPUT:
            if expr.name not in declared and not scope.is_broken("outputs", expr.name):
                where = "pipeline job" if scope.is_job else "pipeline component"
                context.add(
                    scope.source.diag(
                        "E203",
                        f"`{expr.text}`: the {where} has no output `{expr.name}`",
                        loc,
                        hint=did_you_mean(expr.name, declared)
                        or "declare it under the pipeline's `outputs:`",
                    )
                )
        elif expr.kind not in _SYSTEM:
            context.add(
                scope.source.diag(
                    "E201",
                    f"`{expr.text}` cannot be used in an output; use `${{{{parent.outputs.X}}}}`",
                    loc,
                )
            )
    if isinstance(value, str) and not expressions:
        context.add(
            scope.source.diag(
                "E201",
                f"output `{loc[-1]}` must be `${{{{parent.outputs.X}}}}` or a mapping of settings",
                loc,
            )
        )


def _listing(word: str, ports: dict[str, Any]) -> str:
    if not ports:
        return f"it declares no {word}s"
    return f"its {word}s: " + ", ".join(f"`{p}`" for p in sorted(ports))
