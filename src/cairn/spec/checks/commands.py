"""Commands: every `${{inputs.X}}`/`${{outputs.Y}}` names a declared port, and an optional input
without a default appears only inside `$[[ ... ]]` (where it is dropped when unset)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.spec.bindings import Kind, parse_command
from cairn.spec.diagnostics import did_you_mean
from cairn.spec.entities.component import CommandComponent
from cairn.spec.entities.io import DataPort, ParameterPort
from cairn.spec.entities.nodes import InlineCommandNode

if TYPE_CHECKING:
    from cairn.spec.checks.context import CheckContext
    from cairn.spec.resolve import Scope
    from cairn.spec.source import Loc, Source


def check_all(root: Scope, context: CheckContext) -> None:
    for scope in root.walk():
        for node in scope.nodes.values():
            if isinstance(node.entity, InlineCommandNode):
                check_command(
                    node.entity.command,
                    dict(node.entity.inputs),
                    dict(node.entity.outputs),
                    node.source,
                    (*node.at, "command"),
                    context,
                    declared_ports=False,
                )
            component = node.component
            if (
                component is not None
                and isinstance(component.entity, CommandComponent)
                and context.first_time(component)
            ):
                check_command(
                    component.entity.command,
                    dict(component.entity.inputs),
                    dict(component.entity.outputs),
                    component.source,
                    (*component.at, "command"),
                    context,
                )


def check_command(
    command: str,
    inputs: dict[str, Any],
    outputs: dict[str, Any],
    source: Source,
    loc: Loc,
    context: CheckContext,
    *,
    declared_ports: bool = True,
) -> None:
    """Check one command against the inputs and outputs it may use."""
    template, problems = parse_command(command)
    for problem in problems:
        context.add(source.diag("E201", f"in `command`: {problem.message}", loc))
    for expr, in_fragment in template.expressions():
        if expr.kind in (Kind.INPUT, Kind.OUTPUT):
            side = inputs if expr.kind is Kind.INPUT else outputs
            word = "input" if expr.kind is Kind.INPUT else "output"
            if expr.name not in side:
                context.add(
                    source.diag(
                        "E206",
                        f"`{expr.text}` in `command`: no {word} `{expr.name}` is declared",
                        loc,
                        hint=did_you_mean(expr.name, side) or f"declare it under `{word}s:`",
                    )
                )
            elif expr.kind is Kind.INPUT and declared_ports and not in_fragment:
                port = side[expr.name]
                if _optional_without_default(port):
                    context.add(
                        source.diag(
                            "E207",
                            f"`{expr.text}` in `command`: input `{expr.name}` is optional "
                            "with no default, so it may have no value",
                            loc,
                            hint=f"write it inside `$[[ ... ${{{{inputs.{expr.name}}}}} ]]` "
                            "or give it a default",
                        )
                    )
        elif expr.kind is not Kind.UNKNOWN:
            context.add(
                source.diag(
                    "E201",
                    f"`{expr.text}` cannot be used in a command; use `${{{{inputs.X}}}}` or "
                    "`${{outputs.X}}`",
                    loc,
                )
            )


def _optional_without_default(port: Any) -> bool:
    return (
        isinstance(port, ParameterPort | DataPort) and bool(port.optional) and port.default is None
    )
