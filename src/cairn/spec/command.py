"""Render a component's `command` into a bash script that never executes a value as code.

Azure substitutes input values into the command text and hands the result to a shell, so an input
value `x; touch /tmp/pwned` runs `touch`. Cairn's safe reading (ARCHITECTURE.md): values never
enter the script text at all. Every `${{inputs.X}}` / `${{outputs.Y}}` becomes a reference to an
environment variable (`AZURE_ML_INPUT_X`, `AZURE_ML_OUTPUT_Y`, which Azure also sets) that holds
the value, written so that it expands to exactly one word wherever it stands:

- outside quotes: `"${AZURE_ML_INPUT_X}"` (quoted, so no word splitting or globbing);
- inside double quotes: `${AZURE_ML_INPUT_X}`;
- inside single quotes: `'"${AZURE_ML_INPUT_X}"'` (close the quote, expand, reopen).

A shell expands a variable's value but never parses it again as commands, so no value can become
code however the quoting is tracked. (Stricter than Azure: a value with spaces stays one argument.)
The `display` form, with values shell-quoted in place, is for logs and `job show` only.

Literal values render with Python `str()`, as Azure's SDK does: `True`, `0.001`, `20`.
Hand-written: the quote tracking is a small state machine; no library renders this grammar.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from cairn.errors import InvalidSpec
from cairn.spec.bindings import CommandTemplate, Expression, Fragment, Kind, parse_command

Value = str | int | float | bool


class _Quote(Enum):
    NONE = 0
    SINGLE = 1
    DOUBLE = 2


@dataclass(frozen=True, slots=True)
class RenderedCommand:
    """`script` runs under `bash -c` with `env` added to the environment."""

    script: str
    env: dict[str, str]
    display: str


def render_value(value: Value) -> str:
    """A literal as Azure renders it (Python `str()`)."""
    return str(value)


def variable_for(expr: Expression) -> str:
    prefix = "AZURE_ML_OUTPUT_" if expr.kind is Kind.OUTPUT else "AZURE_ML_INPUT_"
    return prefix + expr.name


def render_command(
    command: str | CommandTemplate,
    inputs: Mapping[str, Value | None],
    outputs: Mapping[str, str],
) -> RenderedCommand:
    """Substitute `inputs` (name → value, None when unset) and `outputs` (name → path).

    Raises `InvalidSpec` for an expression that is neither an input nor an output, or names one
    that was not given; the checks report those before anything runs."""
    template = parse_command(command)[0] if isinstance(command, str) else command
    env: dict[str, str] = {}
    script: list[str] = []
    display: list[str] = []
    state: list[_Quote] = [_Quote.NONE]
    for part in template.parts:
        if isinstance(part, str):
            script.append(part)
            display.append(part)
            state = _scan(part, state)
        elif isinstance(part, Expression):
            script.append(_reference(part, state[-1], inputs, outputs, env))
            display.append(_shown(env[variable_for(part)], state[-1]))
        elif _fragment_present(part, inputs):
            fragment_state = state
            for piece in _fragment_parts(part):
                if isinstance(piece, str):
                    script.append(piece)
                    display.append(piece)
                    fragment_state = _scan(piece, fragment_state)
                else:
                    script.append(_reference(piece, fragment_state[-1], inputs, outputs, env))
                    display.append(_shown(env[variable_for(piece)], fragment_state[-1]))
            state = fragment_state
    return RenderedCommand("".join(script), env, "".join(display))


def _reference(
    expr: Expression,
    state: _Quote,
    inputs: Mapping[str, Value | None],
    outputs: Mapping[str, str],
    env: dict[str, str],
) -> str:
    if expr.kind is Kind.INPUT or expr.kind is Kind.SEARCH_SPACE:
        value = inputs.get(expr.name)
        if expr.name not in inputs or value is None:
            raise InvalidSpec(
                f"{expr.text} has no value", hint="bind the input or make it optional"
            )
        env[variable_for(expr)] = render_value(value)
    elif expr.kind is Kind.OUTPUT:
        if expr.name not in outputs:
            raise InvalidSpec(f"{expr.text} names no output of the component")
        env[variable_for(expr)] = outputs[expr.name]
    else:
        raise InvalidSpec(f"{expr.text} cannot be used in a command")
    name = "${" + variable_for(expr) + "}"
    if state is _Quote.DOUBLE:
        return name
    if state is _Quote.SINGLE:
        return "'\"" + name + "\"'"
    return '"' + name + '"'


def _shown(value: str, state: _Quote) -> str:
    """How the value reads in place, quoted for its context (for display only)."""
    if state is _Quote.DOUBLE:
        return "".join("\\" + c if c in '\\"$`' else c for c in value)
    if state is _Quote.SINGLE:
        return value.replace("'", "'\\''")
    return shlex.quote(value)


def _fragment_present(fragment: Fragment, inputs: Mapping[str, Value | None]) -> bool:
    return all(
        inputs.get(e.name) is not None
        for e in fragment.expressions
        if e.kind in (Kind.INPUT, Kind.SEARCH_SPACE)
    )


def _fragment_parts(fragment: Fragment) -> list[str | Expression]:
    parts: list[str | Expression] = []
    cursor = fragment.start + 3
    for expr in fragment.expressions:
        parts.append(fragment.text[cursor - fragment.start - 3 : expr.start - fragment.start - 3])
        parts.append(expr)
        cursor = expr.end
    parts.append(fragment.text[cursor - fragment.start - 3 :])
    return [p for p in parts if p != ""]


def _scan(text: str, state: _Quote | list[_Quote]) -> list[_Quote]:
    """The quoting context after `text` (bash rules, simplified): a stack whose top is the
    current quote state; `$(` and backticks open a fresh unquoted context."""
    stack = list(state) if isinstance(state, list) else [state]
    escaped = False
    previous = ""
    for char in text:
        top = stack[-1]
        if escaped:
            escaped = False
        elif top is _Quote.SINGLE:
            if char == "'":
                stack[-1] = _Quote.NONE
        elif char == "\\":
            escaped = True
        elif char == "(" and previous == "$":
            stack.append(_Quote.NONE)
        elif char == ")" and top is _Quote.NONE and len(stack) > 1:
            stack.pop()
        elif char == "`":
            if top is _Quote.NONE and len(stack) > 1:
                stack.pop()
            else:
                stack.append(_Quote.NONE)
        elif top is _Quote.DOUBLE:
            if char == '"':
                stack[-1] = _Quote.NONE
        elif char == "'":
            stack[-1] = _Quote.SINGLE
        elif char == '"':
            stack[-1] = _Quote.DOUBLE
        previous = char
    return stack
