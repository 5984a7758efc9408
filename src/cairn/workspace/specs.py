"""How registered components are stored: the component's own fields as JSON, plus Cairn's
record of its code snapshot under `_cairn`, so a registered component runs exactly the code it
was registered with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidSpec
from cairn.plan.model import CodeInfo
from cairn.spec.entities.component import CommandComponent
from cairn.spec.entities.pipeline import PipelineComponent

if TYPE_CHECKING:
    from collections.abc import Mapping

CAIRN_KEY = "_cairn"


def split_asset_ref(ref: str) -> str:
    """`azureml:name:1` → `name:1`; `azureml:name@latest` → `name@latest`; ARM ids → `name:v`."""
    text = ref.removeprefix("azureml:")
    if text.startswith("/"):
        parts = [p for p in text.split("/") if p]
        if "versions" in parts:
            index = parts.index("versions")
            return f"{parts[index - 1]}:{parts[index + 1]}"
        return parts[-1]
    return text


def component_spec(
    entity: CommandComponent | PipelineComponent, code: CodeInfo | None
) -> dict[str, Any]:
    spec = entity.model_dump(mode="json", by_alias=True, exclude_none=True)
    if code is not None:
        spec[CAIRN_KEY] = {"code": code.model_dump(mode="json")}
    return spec


def component_from_spec(
    spec: Mapping[str, Any],
) -> tuple[CommandComponent | PipelineComponent, CodeInfo | None]:
    data = dict(spec)
    extra = data.pop(CAIRN_KEY, None) or {}
    code = CodeInfo.model_validate(extra["code"]) if "code" in extra else None
    kind = str(data.get("type", "command")).lower()
    try:
        if kind == "pipeline":
            return PipelineComponent.model_validate(data), code
        return CommandComponent.model_validate(data), code
    except ValueError as exc:
        raise InvalidSpec(f"a registered component could not be read back: {exc}") from exc
