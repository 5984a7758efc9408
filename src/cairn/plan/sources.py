"""Where each input of each step gets its value, and where each output goes.

Bindings are followed across pipeline-component boundaries: `${{parent.inputs.x}}` inside a
component reads what the node that uses the component bound to `x` (or the port's default), and
`${{parent.jobs.sub.outputs.y}}` reads the inner step that binds `${{parent.outputs.y}}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidSpec
from cairn.plan.model import DataSource, LiteralSource, OutputDest, StepOutputSource
from cairn.spec.bindings import EXPRESSION, Kind, classify, single_binding
from cairn.spec.checks.files import is_local_path, local_path
from cairn.spec.entities.io import (
    DataInput,
    DataPort,
    LiteralInput,
    MLTableInput,
    ModelInput,
    Output,
    OutputPort,
    ParameterPort,
)
from cairn.spec.entities.nodes import PipelineNode

if TYPE_CHECKING:
    from pathlib import Path

    from cairn.plan.lookups import Lookups
    from cairn.plan.model import InputSource
    from cairn.plan.tree import Comp, TreeNode
    from cairn.spec.entities.pipeline import PipelineJob

DEFAULT_OUTPUT_PATH = (
    "azureml://datastores/${{default_datastore}}/paths/azureml/${{name}}/${{output_name}}/"
)
ARTIFACT_STORE_PATH = (
    "azureml://datastores/workspaceartifactstore/paths/ExperimentRun/dcid.${{name}}/"
)
"""Azure's default artifact store folder of a step: its logs and what it wrote under `./outputs`
and `./logs`. A folder output named `ARTIFACTS_OUTPUT` with no path of its own is that folder."""
ARTIFACTS_OUTPUT = "artifacts"
_DATA_VALUES = (DataInput, MLTableInput, ModelInput)


@dataclass
class Frame:
    """One level of the pipeline as it is expanded: the job itself, or one use of a component."""

    prefix: str
    nodes: dict[str, TreeNode]
    parent: Frame | None = None
    via: TreeNode | None = None
    """The pipeline node (in `parent`) whose component this frame expands."""

    def child(self, node: TreeNode) -> Frame:
        assert node.component is not None
        return Frame(f"{self.prefix}{node.name}/", node.component.nodes, self, node)


class Sources:
    """Resolves inputs and outputs for the compiler; shared caches live here."""

    def __init__(
        self,
        job: PipelineJob,
        job_dir: Path | None,
        lookups: Lookups,
        job_name: str,
        datastore: str,
    ) -> None:
        self.job = job
        self.job_dir = job_dir
        self.lookups = lookups
        self.job_name = job_name
        self.datastore = datastore
        self.job_component: Comp | None = None

    # -- inputs --------------------------------------------------------------------------------

    def node_input(self, node: TreeNode, name: str, frame: Frame, port: Any) -> InputSource | None:
        value = (getattr(node.entity, "inputs", {}) or {}).get(name)
        if value is None:
            return _default(port)
        return self.value(value, frame, node.base_dir, port, f"{frame.prefix}{node.name}.{name}")

    def value(
        self,
        value: Any,
        frame: Frame | None,
        base: Path | None,
        port: Any,
        where: str,
        depth: int = 0,
    ) -> InputSource | None:
        if depth > 64:
            raise InvalidSpec(f"{where}: bindings nest too deeply")
        if isinstance(value, LiteralInput):
            value = value.value
        if isinstance(value, _DATA_VALUES):
            return self._data(value, frame, base, port, where, depth)
        if isinstance(value, str) and "${{" in value:
            return self._binding(value, frame, port, where, depth)
        return LiteralSource(value=value)

    def _binding(
        self, text: str, frame: Frame | None, port: Any, where: str, depth: int
    ) -> InputSource | None:
        expr = single_binding(text)
        if expr is None:
            return LiteralSource(value=self._interpolate(text, frame, where, depth))
        if expr.kind is Kind.PARENT_INPUT:
            return self.parent_input(expr.name, frame, port, where, depth + 1)
        if expr.kind is Kind.NODE_OUTPUT and frame is not None:
            return self.step_output(expr.node, expr.name, frame, port, where, depth + 1)
        if expr.kind is Kind.NODE_INPUT and frame is not None:
            target = frame.nodes.get(expr.node)
            if target is None:
                raise InvalidSpec(f"{where}: no job `{expr.node}`")
            return self.node_input(target, expr.name, frame, port)
        if expr.kind is Kind.NAME:
            return LiteralSource(value=self.job_name)
        raise InvalidSpec(f"{where}: `{text}` cannot be resolved here")

    def _interpolate(self, text: str, frame: Frame | None, where: str, depth: int) -> str:
        def replace(match: Any) -> str:
            expr = classify(match.group(1))
            if expr.kind is Kind.NAME:
                return self.job_name
            if expr.kind is not Kind.PARENT_INPUT:
                raise InvalidSpec(f"{where}: only pipeline inputs can be mixed into text")
            source = self.parent_input(expr.name, frame, None, where, depth + 1)
            if not isinstance(source, LiteralSource):
                raise InvalidSpec(f"{where}: `{match.group(0)}` is data, not text")
            return "" if source.value is None else str(source.value)

        return EXPRESSION.sub(replace, text)

    def parent_input(
        self, name: str, frame: Frame | None, port: Any, where: str, depth: int
    ) -> InputSource | None:
        if frame is None or frame.parent is None or frame.via is None:
            return self._job_input(name, port, where, depth)
        bound = (getattr(frame.via.entity, "inputs", {}) or {}).get(name)
        outer_port = _port(frame.via.component, name)
        if bound is None:
            return _default(outer_port)
        return self.value(bound, frame.parent, frame.via.base_dir, port or outer_port, where, depth)

    def _job_input(self, name: str, port: Any, where: str, depth: int) -> InputSource | None:
        value = self.job.inputs.get(name)
        if value is None:
            return _default(_port(self.job_component, name))
        return self.value(value, None, self.job_dir, port, where, depth)

    def step_output(
        self, node_name: str, output: str, frame: Frame, port: Any, where: str, depth: int
    ) -> StepOutputSource:
        target = frame.nodes.get(node_name)
        if target is None or (target.component is None and not hasattr(target.entity, "command")):
            raise InvalidSpec(f"{where}: no job `{node_name}` with outputs")
        if isinstance(target.entity, PipelineNode) and target.component is not None:
            inner = frame.child(target)
            for inner_node in inner.nodes.values():
                for out_name, value in (getattr(inner_node.entity, "outputs", {}) or {}).items():
                    expr = single_binding(value.path if isinstance(value, Output) else value)
                    if expr is not None and expr.kind is Kind.PARENT_OUTPUT and expr.name == output:
                        return self.step_output(
                            inner_node.name, out_name, inner, port, where, depth + 1
                        )
            raise InvalidSpec(f"{where}: no job inside `{node_name}` binds its output `{output}`")
        out_port = output_ports(target).get(output)
        kind = getattr(out_port, "type", None) or "uri_folder"
        mode = (getattr(port, "mode", None) if isinstance(port, DataPort) else None) or "ro_mount"
        return StepOutputSource(
            step=f"{frame.prefix}{node_name}", output=output, type=kind, mode=mode
        )

    def _data(
        self, value: Any, frame: Frame | None, base: Path | None, port: Any, where: str, depth: int
    ) -> InputSource | None:
        mode = value.mode or getattr(port, "mode", None) or "ro_mount"
        path = value.path
        if path is None:
            raise InvalidSpec(f"{where}: a data input needs `path`")
        if "${{" in path:
            bound = self._binding(path, frame, port, where, depth + 1)
            if isinstance(bound, StepOutputSource):
                return bound.model_copy(update={"mode": value.mode or bound.mode})
            if isinstance(bound, DataSource):
                return bound.model_copy(update={"mode": value.mode or bound.mode})
            return bound
        if path.startswith("azureml:") and not path.startswith("azureml://"):
            return self.lookups.data_asset(path, value.type, mode)
        if is_local_path(path):
            if base is None:
                raise InvalidSpec(f"{where}: a registered component cannot name a local path")
            return self.lookups.local_data(local_path(path, base), value.type, mode)
        return self.lookups.remote_data(path, value.type, mode)

    # -- outputs -------------------------------------------------------------------------------

    def outputs(self, node: TreeNode, frame: Frame, step_name: str) -> dict[str, OutputDest]:
        dests: dict[str, OutputDest] = {}
        given = getattr(node.entity, "outputs", {}) or {}
        for name, port in output_ports(node).items():
            if not isinstance(port, OutputPort | Output):
                continue  # literal (primitive) outputs have no destination
            settings, pipeline_output = self._output_settings(given.get(name), frame)
            kind = (settings.type if settings else None) or port.type or "uri_folder"
            mode = (settings.mode if settings else None) or port.mode or "rw_mount"
            template = (settings.path if settings and settings.path else None) or (
                ARTIFACT_STORE_PATH
                if name == ARTIFACTS_OUTPUT and kind == "uri_folder"
                else DEFAULT_OUTPUT_PATH
            )
            register = None
            if settings is not None and settings.name:
                register = (
                    f"{settings.name}:{settings.version}" if settings.version else settings.name
                )
            dests[name] = OutputDest(
                type=kind,
                mode="rw_mount" if mode == "mount" else mode,
                uri=self._fill(template, step_name, name),
                template=template,
                register_as=register,
                pipeline_output=pipeline_output,
            )
        return dests

    def _output_settings(self, value: Any, frame: Frame) -> tuple[Output | None, str | None]:
        expr = single_binding(value.path if isinstance(value, Output) else value)
        if expr is None or expr.kind is not Kind.PARENT_OUTPUT:
            return (value if isinstance(value, Output) else None), None
        if frame.parent is None or frame.via is None:
            job_output = self.job.outputs.get(expr.name)
            return job_output, expr.name
        outer = (getattr(frame.via.entity, "outputs", {}) or {}).get(expr.name)
        return self._output_settings(outer, frame.parent)

    def _fill(self, template: str, step_name: str, output: str) -> str:
        return fill_output_path(template, step_name, output, self.datastore)


def fill_output_path(template: str, step_name: str, output: str, datastore: str) -> str:
    """An output path template with `${{name}}`, `${{output_name}}`, `${{default_datastore}}`."""
    return (
        template.replace("${{default_datastore}}", datastore.removeprefix("azureml:"))
        .replace("${{name}}", step_name)
        .replace("${{output_name}}", output)
    )


def input_ports(node: TreeNode) -> dict[str, Any]:
    if node.component is not None:
        return dict(node.component.entity.inputs)
    inputs = getattr(node.entity, "inputs", {}) or {}
    return {name: _inline_port(value) for name, value in inputs.items()}


def output_ports(node: TreeNode) -> dict[str, Any]:
    if node.component is not None:
        return dict(node.component.entity.outputs)
    outputs = getattr(node.entity, "outputs", {}) or {}
    return {
        name: value if isinstance(value, Output) else Output() for name, value in outputs.items()
    }


def _inline_port(value: Any) -> Any:
    if isinstance(value, _DATA_VALUES):
        return DataPort(type=value.type, mode=value.mode)
    return None


def _port(component: Comp | None, name: str) -> Any:
    if component is None:
        return None
    return component.entity.inputs.get(name)


def _default(port: Any) -> InputSource | None:
    if isinstance(port, ParameterPort) and port.default is not None:
        return LiteralSource(value=port.default)
    if isinstance(port, DataPort) and port.default is not None:
        return DataSource(type=port.type, mode=port.mode or "ro_mount", uri=port.default)
    return None
