"""Load a pipeline and everything it refers to into one tree of scopes, nodes and components.

A scope is one pipeline definition — the pipeline job, or a pipeline component file — with its
nodes. A node holds its component: written inline, loaded from a file (relative to the file that
names it, `file:` accepted), or left as a reference to a registered asset (`azureml:…`) for the
plan to resolve against a workspace. Each component file is read once however often it is used;
a pipeline component that includes itself is reported, not followed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.errors import CairnError
from cairn.spec.diagnostics import Diagnostic, Diagnostics
from cairn.spec.entities.component import COMPONENT_NAME, CommandComponent
from cairn.spec.entities.nodes import (
    CommandNode,
    InlineCommandNode,
    Node,
    PipelineNode,
    SweepNode,
)
from cairn.spec.entities.pipeline import PipelineComponent, PipelineJob
from cairn.spec.schema import validate_as, validate_salvaging
from cairn.spec.source import Loc, Source
from cairn.spec.yaml_loader import LoadLimits, load_yaml, read_source

if TYPE_CHECKING:
    from collections.abc import Iterator


def is_asset_reference(text: str) -> bool:
    """`azureml:name:version`, `azureml:name@label` or a registry URI, not a local file."""
    return text.startswith("azureml:")


@dataclass(eq=False)
class LoadedComponent:
    """A component with the file it is written in and where in that file."""

    entity: CommandComponent | PipelineComponent
    source: Source
    at: Loc
    ref: str | None = None
    scope: Scope | None = None
    broken: bool = False
    """Some of it was invalid and left out; its interface may be incomplete."""

    @property
    def base_dir(self) -> Path:
        return self.source.base_dir


@dataclass(eq=False)
class LoadedNode:
    """A node of a scope, with its component where it could be loaded."""

    name: str
    entity: Node
    source: Source
    at: Loc
    component: LoadedComponent | None = None
    asset_ref: str | None = None

    @property
    def is_pipeline(self) -> bool:
        return isinstance(self.entity, PipelineNode)


@dataclass(eq=False)
class Scope:
    """One pipeline definition: the job itself, or a pipeline component."""

    entity: PipelineJob | PipelineComponent
    source: Source
    at: Loc
    nodes: dict[str, LoadedNode] = field(default_factory=dict)
    broken: dict[str, set[str]] = field(default_factory=dict)
    """Entries left out because they are invalid (`jobs`, `inputs`, `outputs` → names); checks
    treat them as present but unknown, so one bad job does not hide the rest."""

    def is_broken(self, section: str, name: str) -> bool:
        return name in self.broken.get(section, ())

    @property
    def is_job(self) -> bool:
        return isinstance(self.entity, PipelineJob)

    def walk(self, seen: set[int] | None = None) -> Iterator[Scope]:
        """This scope and every pipeline component scope under it, each once."""
        seen = set() if seen is None else seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield self
        for node in self.nodes.values():
            if node.component is not None and node.component.scope is not None:
                yield from node.component.scope.walk(seen)


class Resolver:
    """Reads component files on demand, once each, collecting diagnostics as it goes."""

    def __init__(
        self, diagnostics: Diagnostics, limits: LoadLimits, cwd: Path | None = None
    ) -> None:
        self.diagnostics = diagnostics
        self.limits = limits
        self.cwd = cwd or Path.cwd()
        self._components: dict[Path, LoadedComponent | None] = {}
        self._resolved: dict[tuple[Path, str], Path] = {}  # (folder, reference): resolved path
        self._loading: list[Path] = []
        self.files: list[Path] = []
        """Every YAML file read, in order (what a client must send along with the job)."""

    # -- files ---------------------------------------------------------------------------------

    def read(self, path: Path, at_source: Source | None = None, at: Loc = ()) -> Source | None:
        """Read a YAML file into a `Source`, reporting what stops it (as a diagnostic)."""
        display = self.display(path)
        try:
            document = load_yaml(read_source(path, self.limits), display, self.limits)
        except CairnError as exc:
            self.diagnostics.add(_file_problem(exc, display, at_source, at))
            return None
        self.diagnostics.extend(document.diagnostics)
        self.files.append(path)
        return Source(display, path, document.root)

    def display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.cwd))
        except ValueError:
            return str(path)

    # -- scopes --------------------------------------------------------------------------------

    def scope(self, entity: PipelineJob | PipelineComponent, source: Source, at: Loc = ()) -> Scope:
        scope = Scope(entity, source, at)
        for name, node in entity.jobs.items():
            node_at = (*at, "jobs", name)
            loaded = LoadedNode(name, node, source, node_at)
            self._attach_component(loaded)
            scope.nodes[name] = loaded
        return scope

    def _attach_component(self, node: LoadedNode) -> None:
        entity = node.entity
        if isinstance(entity, InlineCommandNode):
            return
        if isinstance(entity, CommandNode | SweepNode):
            key = "component" if isinstance(entity, CommandNode) else "trial"
            value = entity.component if isinstance(entity, CommandNode) else entity.trial
            at = (*node.at, key)
            if isinstance(value, CommandComponent):
                node.component = LoadedComponent(value, node.source, at)
                self._warn_named_inline(node.component)
            elif is_asset_reference(value):
                node.asset_ref = value
            else:
                node.component = self.component_file(value, node.source, at, "command")
        elif isinstance(entity, PipelineNode):
            at = (*node.at, "component")
            if is_asset_reference(entity.component):
                node.asset_ref = entity.component
            else:
                node.component = self.component_file(entity.component, node.source, at, "pipeline")

    def component_file(
        self, ref: str, source: Source, at: Loc, expect: str
    ) -> LoadedComponent | None:
        """Load the component file `ref` names (relative to `source`), once."""
        relative = ref[len("file:") :] if ref.startswith("file:") else ref
        key = (source.base_dir, relative)  # a pipeline of a thousand nodes names a few files
        try:
            path = self._resolved.get(key)
            if path is None:
                path = self._resolved[key] = (source.base_dir / relative).resolve()
            exists = path in self._components or path.is_file()  # no stat for a file read
            is_dir = not exists and path.is_dir()
        except (OSError, ValueError) as exc:
            # NUL bytes, names longer than the OS allows, unreadable folders.
            self.diagnostics.add(
                source.diag("E501", f"component `{ref}` cannot be read as a path: {exc}", at)
            )
            return None
        if path in self._loading:
            cycle = " → ".join(self.display(p) for p in [*self._loading, path])
            self.diagnostics.add(
                source.diag("E401", f"pipeline component includes itself: {cycle}", at)
            )
            return None
        if path in self._components:
            return self._components[path]
        if not exists:
            what = "folder, not a component file" if is_dir else "file that does not exist"
            self.diagnostics.add(
                source.diag(
                    "E501",
                    f"component `{ref}` is a {what} ({self.display(path)})",
                    at,
                    hint="paths are relative to the folder of the file that names them",
                )
            )
            self._components[path] = None
            return None
        self._loading.append(path)
        try:
            loaded = self._load_component(path, source, at, expect)
        finally:
            self._loading.pop()
        self._components[path] = loaded
        return loaded

    def _load_component(
        self, path: Path, source: Source, at: Loc, expect: str
    ) -> LoadedComponent | None:
        file_source = self.read(path, source, at)
        if file_source is None:
            return None
        kind = _component_kind(file_source.root)
        if kind != expect:
            self.diagnostics.add(
                source.diag(
                    "E104",
                    f"`{self.display(path)}` is a {kind or 'document of unknown type'}, but a "
                    f"{expect} component is needed here",
                    at,
                )
            )
            return None
        if expect == "command":
            command, problems = validate_as(CommandComponent, file_source)
            self.diagnostics.extend(problems)
            if command is None:
                return None
            return LoadedComponent(command, file_source, (), ref=str(source.at(at)))
        pipeline, problems, dropped = validate_salvaging(
            PipelineComponent, file_source, sections=("jobs", "inputs", "outputs")
        )
        self.diagnostics.extend(problems)
        if pipeline is None:
            return None
        loaded = LoadedComponent(pipeline, file_source, (), ref=str(source.at(at)))
        loaded.scope = self.scope(pipeline, file_source)
        loaded.scope.broken = dropped
        if dropped:
            loaded.broken = True
        return loaded

    def _warn_named_inline(self, component: LoadedComponent) -> None:
        raw = component.source.at(component.at)
        for key in ("name", "version"):
            if isinstance(raw, dict) and key in raw:
                self.diagnostics.add(
                    component.source.diag(
                        "W102",
                        f"`{key}` of an inline component is dropped (the component is anonymous)",
                        (*component.at, key),
                        key=True,
                    )
                )


def check_component_name(component: LoadedComponent, diagnostics: Diagnostics) -> None:
    """A component registered on its own must have a valid name (Azure `ComponentNameStr`)."""
    name = component.entity.name
    if name is None:
        diagnostics.add(component.source.diag("E102", "missing required key `name`", component.at))
    elif not COMPONENT_NAME.match(name):
        diagnostics.add(
            component.source.diag(
                "E105",
                f"component name `{name}` is not valid: use lower-case letters, digits and "
                "underscores, starting with a letter",
                (*component.at, "name"),
                hint=f"for example `{_suggest_name(name)}`",
            )
        )


def _suggest_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_") or "component"
    return cleaned if cleaned[0].isalpha() else f"c_{cleaned}"


def _component_kind(root: object) -> str | None:
    if not isinstance(root, dict):
        return None
    kind = root.get("type")
    schema = str(root.get("$schema", ""))
    if isinstance(kind, str):
        return kind.lower()
    if "pipelineComponent" in schema:
        return "pipeline"
    if "commandComponent" in schema or "command" in root:
        return "command"
    return None


def _file_problem(exc: CairnError, display: str, source: Source | None, at: Loc) -> Diagnostic:
    details = exc.details
    code = "E002" if exc.code == "limit_exceeded" else "E001"
    if "line" in details:
        return Diagnostic(
            code,
            exc.message.split(": ", 1)[-1] if ": " in exc.message else exc.message,
            file=str(details.get("file", display)),
            line=int(details["line"]),
            column=int(details.get("column", 1)),
            hint=exc.hint,
        )
    if source is not None:
        return source.diag(code if code == "E002" else "E006", exc.message, at, hint=exc.hint)
    return Diagnostic(code if code == "E002" else "E006", exc.message, file=display, hint=exc.hint)
