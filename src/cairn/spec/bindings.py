"""Azure ML's binding expressions: `${{...}}` and the `$[[ ... ]]` optional fragments of commands.

Hand-written because no library parses this small grammar. The expression syntax follows the
SDK's own pattern (`\\$\\{\\{\\s*(\\S*?)\\s*\\}\\}`); the forms and where each is valid are in
azure-compat.md §4. Parsing never raises: problems come back as `BindingProblem`s so the checks
can report them with positions.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

EXPRESSION = re.compile(r"\$\{\{\s*(\S*?)\s*\}\}")
_OPENING = re.compile(r"\$\{\{")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FRAGMENT = re.compile(r"\$\[\[")


class Kind(StrEnum):
    PARENT_INPUT = "parent.inputs"
    PARENT_OUTPUT = "parent.outputs"
    NODE_OUTPUT = "parent.jobs.outputs"
    NODE_INPUT = "parent.jobs.inputs"
    NODE = "parent.jobs"
    INPUT = "inputs"
    OUTPUT = "outputs"
    SEARCH_SPACE = "search_space"
    NAME = "name"
    OUTPUT_NAME = "output_name"
    DEFAULT_DATASTORE = "default_datastore"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Expression:
    """One `${{...}}` occurrence: its text, where it is in its string, and what it names."""

    text: str
    start: int
    end: int
    kind: Kind
    name: str = ""
    node: str = ""

    @property
    def inner(self) -> str:
        match = EXPRESSION.fullmatch(self.text)
        return match.group(1) if match else self.text


@dataclass(frozen=True, slots=True)
class BindingProblem:
    message: str
    start: int


def classify(inner: str, start: int = 0, end: int = 0, text: str = "") -> Expression:
    """What `inner` (the part between `${{` and `}}`) refers to."""
    parts = inner.split(".")
    text = text or f"${{{{{inner}}}}}"
    kind, name, node = Kind.UNKNOWN, "", ""
    if parts[0] == "parent" and len(parts) == 3 and parts[1] in ("inputs", "outputs"):
        kind = Kind.PARENT_INPUT if parts[1] == "inputs" else Kind.PARENT_OUTPUT
        name = parts[2]
    elif parts[0] == "parent" and len(parts) >= 3 and parts[1] == "jobs":
        node = parts[2]
        if len(parts) == 3:
            kind = Kind.NODE
        elif len(parts) == 5 and parts[3] in ("outputs", "inputs"):
            kind = Kind.NODE_OUTPUT if parts[3] == "outputs" else Kind.NODE_INPUT
            name = parts[4]
    elif len(parts) == 2 and parts[0] in ("inputs", "outputs", "search_space"):
        kind = {"inputs": Kind.INPUT, "outputs": Kind.OUTPUT}.get(parts[0], Kind.SEARCH_SPACE)
        name = parts[1]
    elif len(parts) == 1 and parts[0] in ("name", "output_name", "default_datastore"):
        kind = Kind(parts[0])
    if (name and not _NAME.match(name)) or (node and not _NAME.match(node)):
        kind, name, node = Kind.UNKNOWN, "", ""
    return Expression(text=text, start=start, end=end, kind=kind, name=name, node=node)


def find_expressions(text: str) -> tuple[list[Expression], list[BindingProblem]]:
    """Every `${{...}}` in `text`, and problems such as an unclosed `${{`."""
    if "${{" not in text:  # most values hold no expression; checks call this for every one
        return [], []
    found, problems = _scan(text)
    return list(found), list(problems)


@functools.lru_cache(maxsize=4096)
def _scan(text: str) -> tuple[tuple[Expression, ...], tuple[BindingProblem, ...]]:
    # Cached: the checks, the dependency graph and the step graph each read the same strings.
    found: list[Expression] = []
    covered: set[int] = set()
    for match in EXPRESSION.finditer(text):
        found.append(classify(match.group(1), match.start(), match.end(), match.group(0)))
        covered.add(match.start())
    problems: list[BindingProblem] = []
    for opening in _OPENING.finditer(text):
        if opening.start() not in covered:
            problems.append(BindingProblem("`${{` is not closed by `}}`", opening.start()))
    for expr in found:
        if expr.kind is Kind.UNKNOWN:
            problems.append(
                BindingProblem(f"`{expr.text}` is not a binding expression Azure knows", expr.start)
            )
    return tuple(found), tuple(problems)


def single_binding(value: object) -> Expression | None:
    """The expression if `value` is exactly one `${{...}}` and nothing else."""
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    match = EXPRESSION.fullmatch(stripped)
    if match is None:
        return None
    return classify(match.group(1), 0, len(stripped), stripped)


@dataclass(frozen=True, slots=True)
class Fragment:
    """`$[[ ... ]]`: emitted only when every input named inside has a value."""

    text: str
    start: int
    end: int
    expressions: tuple[Expression, ...]


@dataclass(frozen=True, slots=True)
class CommandTemplate:
    """A command split into literal text, expressions and optional fragments, in order."""

    text: str
    parts: tuple[str | Expression | Fragment, ...]

    def expressions(self) -> list[tuple[Expression, bool]]:
        """Every expression with whether it sits inside an optional fragment."""
        out: list[tuple[Expression, bool]] = []
        for part in self.parts:
            if isinstance(part, Expression):
                out.append((part, False))
            elif isinstance(part, Fragment):
                out.extend((e, True) for e in part.expressions)
        return out


def parse_command(text: str) -> tuple[CommandTemplate, list[BindingProblem]]:
    """Split a component's `command` into its parts."""
    parts: list[str | Expression | Fragment] = []
    problems: list[BindingProblem] = []
    position = 0
    for opening in _FRAGMENT.finditer(text):
        if opening.start() < position:
            problems.append(BindingProblem("`$[[` inside another `$[[ ... ]]`", opening.start()))
            continue
        close = text.find("]]", opening.end())
        if close < 0:
            problems.append(BindingProblem("`$[[` is not closed by `]]`", opening.start()))
            break
        parts.extend(_text_parts(text[position : opening.start()], position, problems))
        body = text[opening.end() : close]
        expressions, inner_problems = find_expressions(body)
        shifted = tuple(_shift(e, opening.end()) for e in expressions)
        problems.extend(BindingProblem(p.message, p.start + opening.end()) for p in inner_problems)
        parts.append(Fragment(body, opening.start(), close + 2, shifted))
        position = close + 2
    parts.extend(_text_parts(text[position:], position, problems))
    return CommandTemplate(text, tuple(parts)), problems


def _text_parts(text: str, offset: int, problems: list[BindingProblem]) -> list[str | Expression]:
    expressions, found_problems = find_expressions(text)
    problems.extend(BindingProblem(p.message, p.start + offset) for p in found_problems)
    parts: list[str | Expression] = []
    cursor = 0
    for expr in expressions:
        if expr.start > cursor:
            parts.append(text[cursor : expr.start])
        parts.append(_shift(expr, offset))
        cursor = expr.end
    if cursor < len(text):
        parts.append(text[cursor:])
    return parts


def _shift(expr: Expression, offset: int) -> Expression:
    return Expression(
        expr.text, expr.start + offset, expr.end + offset, expr.kind, expr.name, expr.node
    )
