"""Fuzzing the spec layer: valid pipelines (with component files) are mutated at random — keys
deleted, added or duplicated, values replaced, bindings scrambled, text truncated, bytes flipped,
lines re-indented — and validated. Whatever the input, validation must end in a
`ValidationReport` or a `CairnError`; any other exception is a bug, and Hypothesis reports the
smallest mutation that causes it.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from cairn.errors import CairnError
from cairn.spec.validate import ValidationReport, validate_component_file, validate_job_file
from cairn.spec.yaml_loader import load_yaml

pytestmark = pytest.mark.fuzz

TRAIN = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: train
type: command
inputs:
  data: {type: uri_folder}
  epochs: {type: integer, min: 1, max: 50, default: 3}
  lr: {type: number, optional: true}
  mode: {type: string, enum: [fast, slow], default: fast}
outputs:
  model: {type: uri_folder}
code: ../src
environment: azureml:AzureML-sklearn-1.0@latest
command: >-
  python train.py --data ${{inputs.data}} --epochs ${{inputs.epochs}}
  $[[--lr ${{inputs.lr}}]] --mode ${{inputs.mode}} --out ${{outputs.model}}
"""

PREP = """\
name: prep
type: command
inputs:
  raw: {type: uri_folder}
  sample: {type: boolean, default: false}
outputs:
  clean: {type: uri_folder}
environment:
  image: python:3.11-slim
  conda_file: ./conda.yml
command: python prep.py ${{inputs.raw}} ${{inputs.sample}} ${{outputs.clean}}
"""

INNER = """\
type: pipeline
name: inner
inputs:
  data: {type: uri_folder}
outputs:
  model: {type: uri_folder}
jobs:
  clean:
    type: command
    component: ../components/prep.yml
    inputs: {raw: "${{parent.inputs.data}}"}
  fit:
    type: command
    component: file:../components/train.yml
    inputs: {data: "${{parent.jobs.clean.outputs.clean}}", epochs: 5}
    outputs: {model: "${{parent.outputs.model}}"}
"""

CHAIN = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: chain
experiment_name: fuzz
settings:
  default_compute: azureml:cpu-cluster
  continue_on_step_failure: true
inputs:
  raw: {type: uri_folder, path: ./data}
  epochs: 7
outputs:
  final: {type: uri_folder, mode: rw_mount}
jobs:
  prep:
    type: command
    component: ./components/prep.yml
    inputs: {raw: "${{parent.inputs.raw}}", sample: true}
  train:
    type: command
    component: ./components/train.yml
    compute: azureml:gpu
    inputs:
      data: ${{parent.jobs.prep.outputs.clean}}
      epochs: ${{parent.inputs.epochs}}
      lr: {value: 0.01}
    outputs:
      model: ${{parent.outputs.final}}
"""

NESTED = """\
type: pipeline
settings: {default_compute: local}
inputs:
  raw: {type: uri_folder, path: ./data}
jobs:
  first:
    type: pipeline
    component: ./parts/inner.yml
    inputs: {data: "${{parent.inputs.raw}}"}
  second:
    type: pipeline
    component: ./parts/inner.yml
    inputs: {data: "${{parent.jobs.first.outputs.model}}"}
"""

INLINE = """\
type: pipeline
compute: local
inputs:
  greeting: hello
  count: 3
jobs:
  say:
    command: echo ${{inputs.text}} > ${{outputs.out}}/x.txt
    environment: azureml:AzureML-sklearn-1.0@latest
    inputs: {text: "${{parent.inputs.greeting}}", n: "${{parent.inputs.count}}"}
    outputs: {out: {type: uri_folder}}
  copy:
    command: cp -r ${{inputs.src}} ${{outputs.dst}}
    code: ./src
    environment: {image: "python:3.11"}
    inputs: {src: "${{parent.jobs.say.outputs.out}}"}
    outputs: {dst: {type: uri_folder}}
"""

SWEEP = """\
type: pipeline
settings: {default_compute: local}
inputs:
  raw: {type: uri_folder, path: ./data}
jobs:
  tune:
    type: sweep
    trial: ./components/train.yml
    sampling_algorithm: random
    search_space:
      lr: {type: uniform, min_value: 0.001, max_value: 0.1}
      epochs: {type: choice, values: [1, 5, 10]}
    objective: {goal: maximize, primary_metric: accuracy}
    limits: {max_total_trials: 4, max_concurrent_trials: 2}
    inputs:
      data: ${{parent.inputs.raw}}
      lr: ${{search_space.lr}}
      epochs: ${{search_space.epochs}}
"""

RUNS_COMPONENT = """\
type: pipeline
compute: local
component: ./parts/inner.yml
inputs:
  data: {type: uri_folder, path: ./data}
"""

FILES = {
    "components/train.yml": TRAIN,
    "components/prep.yml": PREP,
    "components/conda.yml": "dependencies: [python=3.11]\n",
    "parts/inner.yml": INNER,
    "chain.yml": CHAIN,
    "nested.yml": NESTED,
    "inline.yml": INLINE,
    "sweep.yml": SWEEP,
    "runs_component.yml": RUNS_COMPONENT,
}
PIPELINES = ("chain.yml", "nested.yml", "inline.yml", "sweep.yml", "runs_component.yml")
COMPONENTS = {  # a component file → the pipelines that use it
    "components/train.yml": ("chain.yml", "sweep.yml", "nested.yml"),
    "components/prep.yml": ("chain.yml", "runs_component.yml"),
    "parts/inner.yml": ("nested.yml", "runs_component.yml"),
}

# --- the project on disk ---------------------------------------------------------------------


class Corpus:
    """The valid project, restored before each example so that mutations never accumulate."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in ("src", "data"):
            (root / folder).mkdir(exist_ok=True)
        self.restore()

    def restore(self) -> None:
        for name, text in FILES.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def put(self, name: str, data: bytes) -> Path:
        self.restore()
        path = self.root / name
        path.write_bytes(data)
        return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("fuzz"))


# --- what may be generated -------------------------------------------------------------------

KEYS = (
    "type", "name", "component", "trial", "command", "environment", "code", "compute",
    "inputs", "outputs", "jobs", "settings", "path", "mode", "value", "default", "optional",
    "min", "max", "enum", "image", "conda_file", "build", "search_space", "objective", "limits",
    "sampling_algorithm", "default_compute", "version", "resources", "distribution", "identity",
    "$schema", "additional_includes", "early_termination", "<<",
)  # fmt: skip
WORDS = (
    "command", "pipeline", "sweep", "uri_folder", "uri_file", "mltable", "integer", "number",
    "boolean", "string", "parallel", "automl", "prep", "train", "fit", "clean", "first", "raw",
    "data", "model", "epochs", "lr", "local", "azureml:cpu", "azureml:x:1", "azureml:x@latest",
    "./components/train.yml", "./parts/inner.yml", "../components/prep.yml", "file:./nested.yml",
    "./chain.yml", "./data", "../src", "/", "..", "./missing.yml", "file:", "", " ", "~", "yes",
    "010", "1e-3", "nan", "-.inf", "0x1F",
)  # fmt: skip
PARTS = (
    "parent", "inputs", "outputs", "jobs", "name", "output_name", "default_datastore",
    "search_space", "prep", "train", "first", "say", "raw", "epochs", "clean", "model", "data",
    "", " ", "a-b", "1x", "${{", "}}",
)  # fmt: skip

OS_REFUSED = ("./x\0y.yml", "./" + "n" * 300 + ".yml", "./" + "d/" * 2100 + "x.yml")
"""Paths the OS refuses outright: a NUL byte, a name over 255 bytes, a path over 4,096 bytes."""
ODD_PATHS = (
    *OS_REFUSED, ".", "/", "/dev/null", "./components", "./chain.yml", "./nested.yml",
    "./parts/inner.yml", "./components/conda.yml", "../../../../../../etc/passwd", "file:",
    "file://", "file:///tmp", "~/x.yml", " ./components/train.yml ", "C:\\x\\y.yml",
    "\\\\server\\share", "./dätä", "azureml:", "azureml:x", "azureml://registries/r/x",
)  # fmt: skip

# Surrogates cannot be written as UTF-8; NUL bytes come from ODD_PATHS, where they are aimed.
text_chars = st.characters(exclude_categories=("Cs",), exclude_characters="\0")


@st.composite
def bindings(draw: st.DrawFn) -> str:
    """`${{...}}` and `$[[...]]` strings put together from plausible and broken parts."""
    parts = draw(st.lists(st.sampled_from(PARTS) | st.text(text_chars, max_size=4), max_size=6))
    inner = draw(st.sampled_from((".", "..", " . "))).join(parts)
    opening = draw(st.sampled_from(("${{", "${{ ", "${", "$[[ ${{", "${{{")))
    closing = draw(st.sampled_from(("}}", " }}", "}", "", "}} ]]", "}}}")))
    around = draw(st.sampled_from(("", "x ", "--a ", "${{parent.inputs.raw}} ")))
    return around + opening + inner + closing + draw(st.sampled_from(("", " tail", "${{")))


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(text_chars, max_size=12),
    st.text(st.sampled_from("ab/._-:\\ "), min_size=200, max_size=400),  # long, odd paths
    bindings(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(KEYS) | st.text(text_chars, max_size=6), inner, max_size=3
        )
    ),
    max_leaves=8,
)


# --- mutations ---------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """The loader's values as plain dicts and lists (what the mutations and the dumper use)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def places(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in the tree (the root excluded)."""
    if not isinstance(value, dict | list):
        return []
    found: list[tuple[Any, ...]] = []
    for key, child in value.items() if isinstance(value, dict) else enumerate(value):
        found.append((*at, key))
        found.extend(places(child, (*at, key)))
    return found


def parent_of(root: Any, place: tuple[Any, ...]) -> Any:
    node = root
    for part in place[:-1]:
        node = node[part]
    return node


def mutate_tree(draw: st.DrawFn, root: Any) -> None:
    for _ in range(draw(st.integers(1, 3))):
        where = places(root)
        place = draw(st.sampled_from(where)) if where else ()
        action = draw(st.sampled_from(("delete", "replace", "insert", "path", "binding")))
        if action in ("path", "binding"):  # aim at the strings: paths, references, bindings
            strings = [p for p in where if isinstance(parent_of(root, p)[p[-1]], str)]
            place = draw(st.sampled_from(strings)) if strings else place
        note(f"{action} at {place}")
        if not place:
            return
        parent, last = parent_of(root, place), place[-1]
        if action == "path":
            parent[last] = draw(st.sampled_from(ODD_PATHS))
        elif action == "binding":
            parent[last] = draw(bindings())
        elif action == "delete":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(values)
        else:
            target = parent[last] if isinstance(parent[last], dict) else parent
            if isinstance(target, dict):
                target[draw(st.sampled_from(KEYS) | st.text(text_chars, max_size=8))] = draw(values)
            else:
                target.insert(draw(st.integers(0, len(target))), draw(values))


def dump(root: Any, flow: bool) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    yaml.allow_unicode = True
    yaml.width = 4096
    buffer = io.StringIO()
    yaml.dump(root, buffer)
    return buffer.getvalue()


def mutate_text(draw: st.DrawFn, text: str) -> bytes:
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(draw(st.integers(0, 2))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(
            st.sampled_from(("duplicate", "indent", "dedent", "binding", "swap", "tab", "none"))
        )
        note(f"text: {action} line {index + 1}")
        if action == "duplicate":
            lines.insert(index + draw(st.integers(0, 3)), lines[index])
        elif action == "indent":
            lines[index] = " " * draw(st.integers(1, 5)) + lines[index]
        elif action == "dedent":
            lines[index] = lines[index][draw(st.integers(1, 4)) :]
        elif action == "binding":
            cut = draw(st.integers(0, len(lines[index])))
            lines[index] = lines[index][:cut] + draw(bindings()) + lines[index][cut:]
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif action == "tab":
            lines[index] = "\t" + lines[index]
    data = bytearray("".join(lines).encode("utf-8"))
    if data and draw(st.booleans()):
        for _ in range(draw(st.integers(1, 3))):
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= draw(st.integers(1, 255))
        note("bytes flipped")
    if data and draw(st.integers(0, 4)) == 0:
        cut = draw(st.integers(0, len(data)))
        note(f"truncated at byte {cut}")
        del data[cut:]
    return bytes(data)


@st.composite
def mutated(draw: st.DrawFn, name: str) -> bytes:
    """The file `name`, mutated as a tree, dumped, then (maybe) mutated as text."""
    text = FILES[name]
    if draw(st.integers(0, 5)) > 0:
        root = plain(load_yaml(text, name).root)
        mutate_tree(draw, root)
        text = dump(root, flow=draw(st.booleans()))
    data = mutate_text(draw, text)
    note(f"{name}:\n{data.decode('utf-8', 'replace')}")
    return data


overrides = st.lists(
    st.builds(
        lambda path, value: f"{path}={value}",
        st.lists(st.sampled_from((*KEYS, "train", "prep", "[0]", "[7]")), min_size=1, max_size=4)
        .map(".".join)
        .map(lambda p: p.replace(".[", "[")),
        st.sampled_from(WORDS) | st.text(text_chars, max_size=8),
    ),
    max_size=2,
)


# --- the property ------------------------------------------------------------------------------


def ends_well(run: Callable[[], ValidationReport]) -> None:
    """Validation ends in a report (that can be printed and serialised) or a `CairnError`."""
    try:
        report = run()
    except CairnError as exc:
        assert exc.message
        return
    assert isinstance(report, ValidationReport)
    for diagnostic in report.diagnostics.sorted():
        assert diagnostic.format()
    json.dumps(report.to_dict())
    if report.ok:
        assert report.entity is not None or report.kind is not None


EXAMPLES = int(os.environ.get("CAIRN_FUZZ_EXAMPLES", "300"))
"""Examples per fuzz test; CI keeps the default, a longer hunt sets CAIRN_FUZZ_EXAMPLES=5000."""

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_the_corpus_is_valid(corpus: Corpus) -> None:
    for name in PIPELINES:
        report = validate_job_file(corpus.root / name, cwd=corpus.root)
        assert report.ok, [d.format() for d in report.diagnostics]
        assert report.graph is not None and report.graph.steps
    for name in COMPONENTS:
        report = validate_component_file(corpus.root / name, cwd=corpus.root)
        assert report.ok, [d.format() for d in report.diagnostics]


@FUZZ
@given(data=st.data())
def test_mutated_pipelines_validate_or_raise_cairn_errors(
    corpus: Corpus, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(PIPELINES))
    path = corpus.put(name, data.draw(mutated(name)))
    ends_well(lambda: validate_job_file(path, cwd=corpus.root))


@FUZZ
@given(data=st.data())
def test_mutated_components_validate_or_raise_cairn_errors(
    corpus: Corpus, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(COMPONENTS)))
    path = corpus.put(name, data.draw(mutated(name)))
    ends_well(lambda: validate_component_file(path, cwd=corpus.root))
    for user in COMPONENTS[name]:
        ends_well(lambda user=user: validate_job_file(corpus.root / user, cwd=corpus.root))


@FUZZ
@given(name=st.sampled_from(PIPELINES), sets=overrides)
def test_random_overrides_validate_or_raise_cairn_errors(
    corpus: Corpus, name: str, sets: list[str]
) -> None:
    corpus.restore()
    note(f"--set {sets}")
    ends_well(lambda: validate_job_file(corpus.root / name, overrides=sets, cwd=corpus.root))


@settings(max_examples=2 * EXAMPLES, deadline=None)
@given(text=st.text(text_chars, max_size=200) | st.binary(max_size=200))
def test_arbitrary_text_loads_or_raises_cairn_errors(text: str | bytes) -> None:
    try:
        document = load_yaml(text, "f.yml")
    except CairnError as exc:
        assert exc.message
        return
    for diagnostic in document.diagnostics:
        assert diagnostic.line is not None and diagnostic.line >= 1


# --- what fuzzing found ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (OS_REFUSED[0], "embedded null byte"),
        (OS_REFUSED[1], "File name too long"),
        (OS_REFUSED[2], "File name too long"),
    ],
    ids=("nul", "long-name", "long-path"),
)
def test_data_code_and_environment_paths_the_os_refuses_are_diagnostics(
    corpus: Corpus, bad: str, reason: str
) -> None:
    corpus.restore()
    root = plain(load_yaml(INLINE, "inline.yml").root)
    root["inputs"]["raw"] = {"type": "uri_folder", "path": bad}
    root["jobs"]["copy"]["code"] = bad
    root["jobs"]["copy"]["environment"] = {"image": "python:3.11", "conda_file": bad}
    job = corpus.put("inline.yml", dump(root, flow=False).encode())
    report = validate_job_file(job, cwd=corpus.root)
    found = sorted(
        (d.code, d.path, d.message.endswith(f"is not a usable path: {reason}"))
        for d in report.diagnostics
    )
    assert found == [
        ("E501", "inputs.raw.path", True),
        ("E501", "jobs.copy.code", True),
        ("E501", "jobs.copy.environment.conda_file", True),
    ]


@pytest.mark.parametrize("bad", OS_REFUSED, ids=("nul", "long-name", "long-path"))
def test_component_paths_the_os_refuses_are_diagnostics(corpus: Corpus, bad: str) -> None:
    corpus.restore()
    root = plain(load_yaml(CHAIN, "chain.yml").root)
    root["jobs"]["train"]["component"] = bad
    job = corpus.put("chain.yml", dump(root, flow=False).encode())
    report = validate_job_file(job, cwd=corpus.root)
    assert [d.code for d in report.diagnostics if d.path == "jobs.train.component"] == ["E501"]


def test_keys_added_by_overrides_point_at_the_mapping_that_holds_them(corpus: Corpus) -> None:
    corpus.restore()
    report = validate_job_file(
        corpus.root / "chain.yml", overrides=["component=./nowhere.yml"], cwd=corpus.root
    )
    found = {(d.code, d.line, d.column) for d in report.diagnostics}
    assert ("E501", 1, 1) in found  # `component` was not in the file: the document itself
    assert ("E107", 1, 1) in found


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (".inf", [("epochs", "E302", "`inf` is not an integer"), ("lr", None, None)]),
        (".nan", [("epochs", "E302", "`nan` is not an integer"), ("lr", None, None)]),
        ("-.inf", [("epochs", "E302", "`-inf` is not an integer"), ("lr", None, None)]),
        ("1" + "0" * 400, [("epochs", "E303", "is above the maximum 50"), ("lr", None, None)]),
    ],
)
def test_numbers_floats_cannot_hold_are_checked_without_crashing(
    corpus: Corpus, value: str, expected: list[tuple[str, str | None, str | None]]
) -> None:
    corpus.restore()
    text = CHAIN.replace("epochs: ${{parent.inputs.epochs}}", f"epochs: {value}")
    job = corpus.put(
        "chain.yml", text.replace("lr: {value: 0.01}", f"lr: {{value: {value}}}").encode()
    )
    report = validate_job_file(job, cwd=corpus.root)
    for name, code, words in expected:
        found = [d for d in report.diagnostics if d.path.startswith(f"jobs.train.inputs.{name}")]
        assert [(d.code, words in d.message) for d in found] == ([(code, True)] if code else [])
