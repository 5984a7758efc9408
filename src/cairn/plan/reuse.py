"""Reuse keys: a hash over everything that decides a step's outputs, with its parts kept.

The parts follow Azure's reuse rule (azure-compat §10): the component's canonical form (command,
interface, distribution, resources, environment variables, limits), the resolved environment,
the code snapshot's content hash, literal inputs as rendered (`str()`), each data input's content
hash (or the upstream step's key and output name), and the output settings (type, mode, path
template). Storing the parts lets `explain-reuse` name what changed.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from cairn.plan.model import DataSource, LiteralSource, ReuseKey, StepOutputSource

if TYPE_CHECKING:
    from cairn.plan.model import PlanStep


def canonical_hash(value: Any) -> str:
    """sha256 of the canonical JSON form (sorted keys, no spaces)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def reuse_key(step: PlanStep, upstream: dict[str, ReuseKey | None]) -> ReuseKey:
    """The key of `step`, given the keys of the steps it reads from."""
    inputs: dict[str, Any] = {}
    for name, source in sorted(step.inputs.items()):
        if isinstance(source, LiteralSource):
            inputs[name] = {"literal": None if source.value is None else str(source.value)}
        elif isinstance(source, DataSource):
            inputs[name] = {
                "data": source.content_hash or source.uri,
                "type": source.type,
                "mode": source.mode,
            }
        elif isinstance(source, StepOutputSource):
            key = upstream.get(source.step)
            inputs[name] = {
                "upstream": key.key if key else None,
                "output": source.output,
                "mode": source.mode,
            }
    parts = {
        "component": step.component.content_hash,
        "environment": step.environment.identity,
        "code": step.code.content_hash if step.code else None,
        "inputs": inputs,
        "outputs": {
            name: {"type": dest.type, "mode": dest.mode, "path": dest.template}
            for name, dest in sorted(step.outputs.items())
        },
        "run": {
            "environment_variables": dict(sorted(step.environment_variables.items())),
            "instance_count": step.instance_count,
            "distribution": step.distribution,
            "timeout": step.timeout,
            "sweep": step.sweep.model_dump(mode="json") if step.sweep else None,
        },
    }
    return ReuseKey(key=canonical_hash(parts), parts=parts)
