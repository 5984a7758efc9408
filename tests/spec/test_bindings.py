"""Binding expressions and command templates."""

from __future__ import annotations

import pytest

from cairn.spec.bindings import (
    Expression,
    Fragment,
    Kind,
    find_expressions,
    parse_command,
    single_binding,
)


@pytest.mark.parametrize(
    ("text", "kind", "name", "node"),
    [
        ("${{parent.inputs.lr}}", Kind.PARENT_INPUT, "lr", ""),
        ("${{parent.outputs.model}}", Kind.PARENT_OUTPUT, "model", ""),
        ("${{parent.jobs.train.outputs.model}}", Kind.NODE_OUTPUT, "model", "train"),
        ("${{parent.jobs.train.inputs.data}}", Kind.NODE_INPUT, "data", "train"),
        ("${{parent.jobs.train}}", Kind.NODE, "", "train"),
        ("${{inputs.data}}", Kind.INPUT, "data", ""),
        ("${{outputs.model}}", Kind.OUTPUT, "model", ""),
        ("${{search_space.lr}}", Kind.SEARCH_SPACE, "lr", ""),
        ("${{name}}", Kind.NAME, "", ""),
        ("${{output_name}}", Kind.OUTPUT_NAME, "", ""),
        ("${{default_datastore}}", Kind.DEFAULT_DATASTORE, "", ""),
        ("${{ parent.inputs.lr }}", Kind.PARENT_INPUT, "lr", ""),
        ("${{parent.jobs.a.outputs}}", Kind.UNKNOWN, "", "a"),
        ("${{inputs.a-b}}", Kind.UNKNOWN, "", ""),
        ("${{something.else}}", Kind.UNKNOWN, "", ""),
    ],
)
def test_every_form_is_classified(text: str, kind: Kind, name: str, node: str) -> None:
    expr = single_binding(text)
    assert expr is not None
    assert (expr.kind, expr.name, expr.node) == (kind, name, node)


def test_mixed_strings_keep_positions() -> None:
    text = "prefix_${{parent.inputs.a}}_${{parent.inputs.b}}"
    found, problems = find_expressions(text)
    assert problems == []
    assert [e.name for e in found] == ["a", "b"]
    assert text[found[1].start : found[1].end] == "${{parent.inputs.b}}"
    assert single_binding(text) is None


def test_unclosed_and_unknown_expressions_are_problems_not_exceptions() -> None:
    _, problems = find_expressions("a ${{inputs.x b ${{bogus.path}}")
    messages = [p.message for p in problems]
    assert any("not closed" in m for m in messages)


def test_command_template_splits_text_expressions_and_fragments() -> None:
    template, problems = parse_command(
        "python t.py --d ${{inputs.d}} $[[--seed ${{inputs.seed}}]] --o ${{outputs.o}}"
    )
    assert problems == []
    kinds = [type(p) for p in template.parts]
    assert kinds == [str, Expression, str, Fragment, str, Expression]
    assert [(e.name, inside) for e, inside in template.expressions()] == [
        ("d", False),
        ("seed", True),
        ("o", False),
    ]


def test_command_template_problems() -> None:
    _, problems = parse_command("a $[[ b $[[ c ]] ]]")
    assert any("inside another" in p.message for p in problems)
    _, problems = parse_command("a $[[ --x ${{inputs.x}}")
    assert any("not closed by `]]`" in p.message for p in problems)
