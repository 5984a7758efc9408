"""From Azure's environment definition (a conda file, or pip requirements) to what uv installs.

Conda dependencies that exist on PyPI under the same name are installed from there; a small,
documented table maps the common names that differ (`pytorch` → `torch`); packages that only
exist as conda packages (CUDA toolkits, compilers, system libraries) are refused with their
names, because installing them would need conda itself. `python=3.x` selects an interpreter
already on this machine; nothing downloads an interpreter. A patch-level pin (`python=3.7.6`, common
in Azure's examples) is matched at the minor version, with a note saying so: interpreters on one
machine rarely differ by patch, and refusing them would refuse most published conda files. A range
(`python>=3.8`) is kept as a range; the build uses the server's interpreter when it fits.

Conda version specs translate to pip specifiers: `numpy=1.26` (conda's "1.26.*") becomes
`numpy==1.26.*`, `numpy==1.26.4` stays exact, comparison operators pass through.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from cairn.errors import InvalidSpec, Unsupported

CONDA_TO_PYPI: dict[str, str] = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "tensorflow-gpu": "tensorflow",
    "matplotlib-base": "matplotlib",
    "opencv": "opencv-python",
    "py-opencv": "opencv-python",
    "pytables": "tables",
    "msgpack-python": "msgpack",
    "pyqt": "PyQt5",
    "python-graphviz": "graphviz",
}
"""Conda package names whose PyPI distribution is called differently."""

CONDA_ONLY: frozenset[str] = frozenset(
    {
        # CUDA and other accelerator libraries
        "cudatoolkit",
        "cuda-toolkit",
        "cuda-version",
        "cuda-nvcc",
        "cudnn",
        "nccl",
        "magma-cuda",
        "pytorch-cuda",
        # compilers, runtimes and MPI
        "libgcc",
        "libgcc-ng",
        "libstdcxx-ng",
        "libgfortran-ng",
        "_libgcc_mutex",
        "_openmp_mutex",
        "ld_impl_linux-64",
        "gcc_linux-64",
        "gxx_linux-64",
        "compilers",
        "openmpi",
        "mpich",
        # system libraries (`conda env export` lists them; the interpreter brings its own)
        "blas",
        "libblas",
        "openblas",
        "openssl",
        "ca-certificates",
        "zlib",
        "libzlib",
        "libffi",
        "libuuid",
        "libnsl",
        "libsqlite",
        "libxcrypt",
        "ncurses",
        "readline",
        "sqlite",
        "tk",
        "xz",
        "bzip2",
        # other languages
        "r-base",
        "openjdk",
        "nodejs",
    }
)
"""Conda packages with no PyPI equivalent (system libraries, toolchains, other languages); R
packages (`r-…`) are conda-only too."""

_IGNORED = frozenset({"pip", "setuptools", "wheel", "python"})
_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


@dataclass(frozen=True)
class Request:
    """What to install: a Python version (or None for the server's) and pip requirements."""

    python: str | None
    requirements: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def identity(self) -> str:
        text = json.dumps({"python": self.python, "requirements": sorted(self.requirements)})
        return "env:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def from_conda(document: Any) -> Request:
    """Read a conda environment file (already parsed) into a `Request`."""
    if not isinstance(document, dict):
        raise InvalidSpec("a conda file must be a mapping with `dependencies:`")
    python: str | None = None
    requirements: list[str] = []
    conda_only: list[str] = []
    notes: list[str] = []
    for entry in document.get("dependencies") or []:
        if isinstance(entry, dict):
            for item in entry.get("pip") or []:
                requirements.extend(_pip_line(str(item)))
            continue
        name, spec = _conda_entry(str(entry))
        if name == "python":
            python = _python_version(spec, notes)
        elif name in _IGNORED:
            continue
        elif name in CONDA_ONLY or name.startswith("r-"):
            conda_only.append(name)
        else:
            pypi = CONDA_TO_PYPI.get(name, name)
            if pypi != name:
                notes.append(f"conda package {name} installed from PyPI as {pypi}")
            requirements.append(pypi + _pip_spec(spec))
    if conda_only:
        raise Unsupported(
            "these conda packages have no PyPI equivalent, so Cairn cannot install them without "
            f"conda: {', '.join(sorted(conda_only))}",
            hint="remove them (a CPU build of the Python packages usually suffices), or map the "
            "environment to a prepared one in the workspace settings",
        )
    return Request(python, tuple(dict.fromkeys(requirements)), tuple(notes))


def from_requirements(text: str) -> Request:
    lines = [line for raw in text.splitlines() for line in _pip_line(raw)]
    return Request(None, tuple(dict.fromkeys(lines)))


def _conda_entry(entry: str) -> tuple[str, str]:
    text = entry.strip()
    if "::" in text:  # channel::package
        text = text.split("::", 1)[1]
    match = _REQ.match(text.replace(" ", "") if "=" in text else text)
    if match is None:
        raise InvalidSpec(f"cannot read the conda dependency {entry!r}")
    name, spec = match.group(1).lower(), match.group(2).strip()
    return name, spec


def _pip_spec(spec: str) -> str:
    if not spec:
        return ""
    if spec.startswith(("==", ">=", "<=", "!=", "~=", ">", "<")):
        return spec
    if spec.startswith("="):
        version = spec[1:].split("=", 1)[0]  # conda's `=1.2=build` drops the build string
        return f"=={version}" if version.endswith("*") else f"=={version}.*"
    return spec


def _python_version(spec: str, notes: list[str]) -> str | None:
    """`3.11` for an exact pin (conda's `=3.11`, `3.11`, `==3.11.*`, `=3.11.4`), the specifier
    for a range (`>=3.8,<3.12`), None for a bare `python`."""
    text = spec.replace(" ", "")
    if not text:
        return None
    if text[0] in "<>!~" or "," in text:
        return text
    match = re.fullmatch(r"=?=?(\d+)\.(\d+)((?:\.\d+)*)(\.\*)?(?:=.*)?", text)
    if match is None:
        raise InvalidSpec(f"cannot read the python version {spec!r} in the conda file")
    minor = f"{match.group(1)}.{match.group(2)}"
    if match.group(3):
        notes.append(f"python{spec} matched by any Python {minor} interpreter on this machine")
    return minor


def _pip_line(line: str) -> list[str]:
    text = line.split("#", 1)[0].strip()
    if not text:
        return []
    if text.startswith(("-r", "--requirement", "-c", "--constraint", "-e", "--editable")):
        raise Unsupported(f"pip option {text.split()[0]} in an environment is not supported yet")
    if text.startswith("-"):
        return []  # index options: the machine's configured index applies
    return [text]
