"""Dependency cycles among the jobs of one pipeline, named in the order they occur."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cairn.spec.bindings import Kind, find_expressions
from cairn.spec.checks.bindings import binding_strings

if TYPE_CHECKING:
    from cairn.spec.checks.context import CheckContext
    from cairn.spec.resolve import Scope


def dependencies(scope: Scope) -> dict[str, list[str]]:
    """For each job, the jobs whose outputs it consumes (in the order written)."""
    deps: dict[str, list[str]] = {}
    for name, node in scope.nodes.items():
        found: dict[str, None] = {}  # ordered and O(1) to test: a join may read 10,000 jobs
        for value in (getattr(node.entity, "inputs", {}) or {}).values():
            for text in binding_strings(value):
                for expr in find_expressions(text)[0]:
                    if (
                        expr.kind is Kind.NODE_OUTPUT
                        and expr.node in scope.nodes
                        and expr.node != name
                    ):
                        found[expr.node] = None
        deps[name] = list(found)
    return deps


def find_cycles(deps: dict[str, list[str]]) -> list[list[str]]:
    """Each cycle once, as the list of jobs along it (iterative DFS, no recursion limit)."""
    state: dict[str, int] = {}  # 0 unseen, 1 on the path, 2 done
    cycles: list[list[str]] = []
    for start in deps:
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            name, index = stack.pop()
            if index == 0:
                state[name] = 1
                path.append(name)
            children = deps.get(name, [])
            if index < len(children):
                stack.append((name, index + 1))
                child = children[index]
                if state.get(child, 0) == 0:
                    stack.append((child, 0))
                elif state[child] == 1:
                    cycles.append([*path[path.index(child) :], child])
            else:
                state[name] = 2
                path.pop()
    return cycles


def check_scope(scope: Scope, context: CheckContext) -> None:
    for cycle in find_cycles(dependencies(scope)):
        first = scope.nodes[cycle[0]]
        context.add(
            scope.source.diag(
                "E401",
                "dependency cycle: " + " → ".join(cycle),
                first.at,
                key=True,
                hint="a job cannot consume an output that depends on its own outputs",
            )
        )
