"""Compile a validated pipeline into its `Plan`.

Walks the pipeline from the job down through every pipeline component (each use expanded under its
own scoped id), resolves every step's component, code, environment, compute, inputs and outputs
through `Lookups`, orders the steps by their dependencies, and computes reuse keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidSpec
from cairn.plan.model import (
    ComponentInfo,
    Group,
    JobSettings,
    Plan,
    PlanStep,
    Port,
    ReuseKey,
    StepOutputSource,
    SweepSpec,
)
from cairn.plan.reuse import canonical_hash, reuse_key
from cairn.plan.sources import Frame, Sources, input_ports
from cairn.plan.tree import TreeNode, from_scope
from cairn.spec.checks.files import local_path
from cairn.spec.entities.component import CommandComponent
from cairn.spec.entities.io import DataPort, ParameterPort
from cairn.spec.entities.nodes import CommandNode, InlineCommandNode, PipelineNode, SweepNode

if TYPE_CHECKING:
    from cairn.plan.lookups import Lookups
    from cairn.plan.model import CodeInfo, EnvironmentInfo, InputSource
    from cairn.spec.entities.pipeline import PipelineJob
    from cairn.spec.resolve import Scope

_IDENTITY_EXCLUDES = {"name", "version", "display_name", "description", "tags", "schema_"}


def compile_plan(
    job: PipelineJob,
    scope: Scope,
    lookups: Lookups,
    *,
    job_name: str,
    experiment_name: str,
) -> Plan:
    """The plan of a validated pipeline job (`scope` is the validation report's scope)."""
    settings = job.settings
    datastore = (settings.default_datastore or lookups.default_datastore).removeprefix("azureml:")
    sources = Sources(
        job, scope.source.path.parent if scope.source.path else None, lookups, job_name, datastore
    )
    compiler = _Compiler(job, lookups, sources, job_name)
    nodes = from_scope(scope, lookups)
    top = nodes.get("pipeline")
    if job.component is not None and top is not None and top.component is not None:
        # A job that runs a pipeline component: its steps are the component's, unprefixed.
        sources.job_component = top.component
        nodes = top.component.nodes
    compiler.walk(Frame("", nodes))
    steps = _ordered(compiler.steps)
    return Plan(
        job_name=job_name,
        display_name=job.display_name or job_name,
        experiment_name=job.experiment_name or experiment_name,
        description=job.description,
        tags=dict(job.tags or {}),
        properties=dict(job.properties or {}),
        settings=JobSettings(
            continue_on_step_failure=(
                True
                if settings.continue_on_step_failure is None
                else settings.continue_on_step_failure
            ),
            force_rerun=bool(settings.force_rerun),
            default_datastore=datastore,
            default_compute=job.default_compute,
        ),
        inputs=compiler.job_inputs(),
        outputs={
            dest.pipeline_output: dest
            for step in steps.values()
            for dest in step.outputs.values()
            if dest.pipeline_output
        },
        steps=_with_reuse_keys(steps),
        groups=compiler.groups,
    )


class _Compiler:
    def __init__(self, job: PipelineJob, lookups: Lookups, sources: Sources, job_name: str) -> None:
        self.job = job
        self.lookups = lookups
        self.sources = sources
        self.job_name = job_name
        self.steps: dict[str, PlanStep] = {}
        self.groups: dict[str, Group] = {}
        self._code: dict[tuple[str, ...], CodeInfo] = {}
        self._computes: dict[str, str] = {}

    def walk(self, frame: Frame, depth: int = 0) -> None:
        if depth > 64:
            raise InvalidSpec("pipeline components nest more than 64 levels")
        for node in frame.nodes.values():
            step_id = frame.prefix + node.name
            if isinstance(node.entity, PipelineNode):
                if node.component is None:
                    raise InvalidSpec(f"job `{step_id}`: its pipeline component was not loaded")
                inner = frame.child(node)
                self.groups[step_id] = Group(
                    id=step_id,
                    display_name=node.entity.display_name or node.name,
                    component=node.component.ref or node.component.name or "(inline)",
                    children=[inner.prefix + name for name in inner.nodes],
                )
                self.walk(inner, depth + 1)
            elif isinstance(node.entity, CommandNode | SweepNode | InlineCommandNode):
                self.steps[step_id] = self.step(node, frame, step_id)
            else:
                raise InvalidSpec(f"job `{step_id}` is of a type Cairn does not run")

    def step(self, node: TreeNode, frame: Frame, step_id: str) -> PlanStep:
        entity = node.entity
        name = f"{self.job_name}.{step_id.replace('/', '.')}"
        comp = node.component
        ports = input_ports(node)
        inputs: dict[str, InputSource] = {}
        for port_name, port in ports.items():
            source = self.sources.node_input(node, port_name, frame, port)
            if source is not None:
                inputs[port_name] = source
        if isinstance(entity, InlineCommandNode):
            for given in entity.inputs:
                if given not in inputs:
                    source = self.sources.node_input(node, given, frame, None)
                    if source is not None:
                        inputs[given] = source
        command_component = comp.entity if comp is not None else None
        command = (
            command_component.command
            if isinstance(command_component, CommandComponent)
            else getattr(entity, "command", "")
        )
        resources = getattr(entity, "resources", None) or getattr(
            command_component, "resources", None
        )
        distribution = getattr(entity, "distribution", None) or getattr(
            command_component, "distribution", None
        )
        limits = getattr(entity, "limits", None)
        return PlanStep(
            id=step_id,
            name=name,
            node=node.name,
            display_name=getattr(entity, "display_name", None) or node.name,
            kind="sweep" if isinstance(entity, SweepNode) else "command",
            component=self._component_info(node),
            command=command or "",
            ports={k: _port(v) for k, v in ports.items() if v is not None},
            inputs=inputs,
            outputs=self.sources.outputs(node, frame, name),
            code=self._code_of(node),
            environment=self._environment_of(node),
            environment_variables=_env_vars(getattr(entity, "environment_variables", None)),
            compute=self._compute_of(node, frame, step_id),
            instance_count=(resources.instance_count or 1) if resources else 1,
            distribution=distribution.model_dump(mode="json", exclude_none=True)
            if distribution
            else None,
            timeout=limits.timeout if limits else None,
            is_deterministic=_deterministic(node),
            depends_on=sorted({s.step for s in inputs.values() if isinstance(s, StepOutputSource)}),
            sweep=_sweep(entity) if isinstance(entity, SweepNode) else None,
        )

    def _component_info(self, node: TreeNode) -> ComponentInfo:
        comp = node.component
        if comp is None:
            dump = node.entity.model_dump(mode="json", exclude=_IDENTITY_EXCLUDES | {"compute"})
            return ComponentInfo(origin="inline", content_hash=canonical_hash(dump))
        dump = comp.entity.model_dump(mode="json", exclude=_IDENTITY_EXCLUDES)
        return ComponentInfo(
            origin=comp.origin,
            ref=comp.ref,
            name=comp.name,
            version=comp.version,
            content_hash=canonical_hash(dump),
        )

    def _code_of(self, node: TreeNode) -> CodeInfo | None:
        comp = node.component
        if comp is not None and comp.code is not None:
            return comp.code
        entity: Any = comp.entity if comp is not None else node.entity
        base = comp.base_dir if comp is not None else node.base_dir
        code = getattr(entity, "code", None)
        if not code or base is None:
            return None
        includes = tuple(getattr(entity, "additional_includes", None) or ())
        key = (str(base), code, *includes)
        if key not in self._code:
            self._code[key] = self.lookups.code_snapshot(
                local_path(code, base), [local_path(i, base) for i in includes]
            )
        return self._code[key]

    def _environment_of(self, node: TreeNode) -> EnvironmentInfo:
        override = getattr(node.entity, "environment", None)
        if override is not None:
            return self.lookups.environment(override, node.base_dir)
        comp = node.component
        if comp is None or not isinstance(comp.entity, CommandComponent):
            raise InvalidSpec(f"job `{node.name}` has no environment")
        return self.lookups.environment(comp.entity.environment, comp.base_dir)

    def _compute_of(self, node: TreeNode, frame: Frame, step_id: str) -> str:
        value = getattr(node.entity, "compute", None)
        if isinstance(value, str) and "${{" in value:
            source = self.sources.value(value, frame, node.base_dir, None, f"{step_id}.compute")
            value = getattr(source, "value", None)
            if not isinstance(value, str):
                raise InvalidSpec(f"job `{step_id}`: `compute` must resolve to a compute name")
        name = (value or self.job.default_compute or "local").removeprefix("azureml:")
        if name not in self._computes:
            self._computes[name] = self.lookups.compute(name)
        return self._computes[name]

    def job_inputs(self) -> dict[str, InputSource]:
        out: dict[str, InputSource] = {}
        for name, value in self.job.inputs.items():
            source = self.sources.value(value, None, self.sources.job_dir, None, f"inputs.{name}")
            if source is not None:
                out[name] = source
        return out


def _port(port: Any) -> Port:
    if isinstance(port, ParameterPort):
        default = port.default
        return Port(type=port.type, optional=bool(port.optional), default=default)
    if isinstance(port, DataPort):
        return Port(type=port.type, optional=bool(port.optional))
    return Port(type="string")


def _env_vars(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {}


def _deterministic(node: TreeNode) -> bool:
    comp = node.component
    if comp is not None:
        return bool(comp.entity.is_deterministic)
    flag = getattr(node.entity, "is_deterministic", None)
    return True if flag is None else bool(flag)


def _sweep(node: SweepNode) -> SweepSpec:
    algorithm = node.sampling_algorithm
    return SweepSpec(
        search_space={k: v.model_dump(mode="json") for k, v in (node.search_space or {}).items()},
        sampling_algorithm=(
            algorithm if isinstance(algorithm, str) or algorithm is None else algorithm.model_dump()
        )
        or "random",
        objective=node.objective.model_dump(mode="json"),
        limits=node.limits.model_dump(mode="json"),
        early_termination=node.early_termination.model_dump(mode="json")
        if node.early_termination
        else None,
    )


def _ordered(steps: dict[str, PlanStep]) -> dict[str, PlanStep]:
    """Steps in dependency order (Kahn's algorithm; ties keep the written order)."""
    remaining = {sid: set(step.depends_on) for sid, step in steps.items()}
    dependents: dict[str, list[str]] = {sid: [] for sid in steps}
    for sid, deps in remaining.items():
        for dep in deps:
            if dep not in steps:
                raise InvalidSpec(f"step `{sid}` depends on unknown step `{dep}`")
            dependents[dep].append(sid)
    ready = [sid for sid, deps in remaining.items() if not deps]
    order: list[str] = []
    while ready:
        sid = ready.pop(0)
        order.append(sid)
        for dependent in dependents[sid]:
            remaining[dependent].discard(sid)
            if not remaining[dependent]:
                ready.append(dependent)
    if len(order) != len(steps):
        stuck = sorted(set(steps) - set(order))
        raise InvalidSpec("dependency cycle among steps: " + ", ".join(stuck))
    return {sid: steps[sid] for sid in order}


def _with_reuse_keys(steps: dict[str, PlanStep]) -> dict[str, PlanStep]:
    keys: dict[str, ReuseKey | None] = {}
    out: dict[str, PlanStep] = {}
    for sid, step in steps.items():
        key = reuse_key(step, keys)
        keys[sid] = key
        out[sid] = step.model_copy(update={"reuse": key})
    return out
