"""Diagnostics: every problem Cairn finds in a YAML file, with where it is and how to fix it.

A diagnostic names a stable code (`E101`), its severity, the file, line and column (1-based), the
dotted key path, a message and an optional hint ("did you mean `compute`?"). Checks never raise
for a problem in the user's file; they add diagnostics, so that one run reports every problem.
The table of codes here is the single source for error documentation.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    slug: str
    summary: str
    fix: str


_CODES: tuple[CodeInfo, ...] = (
    CodeInfo(
        "E001",
        "yaml-syntax",
        "The file is not valid YAML.",
        "Fix the YAML syntax at the position shown.",
    ),
    CodeInfo(
        "E002",
        "yaml-limit",
        "The file exceeds a safety limit (size, aliases, depth or node count).",
        "Split the file, remove alias chains, or raise the limit deliberately.",
    ),
    CodeInfo(
        "E003",
        "duplicate-key",
        "A mapping has the same key twice; Azure silently keeps the last.",
        "Remove one of the two keys.",
    ),
    CodeInfo(
        "E004",
        "not-a-mapping",
        "The document (or a part that must be a mapping) is not a mapping.",
        "Write `key: value` pairs at that level.",
    ),
    CodeInfo(
        "E005",
        "yaml-tag",
        "The file uses a YAML tag Cairn does not construct.",
        "Remove the tag; plain YAML values are enough.",
    ),
    CodeInfo(
        "E006",
        "unreadable-file",
        "The file cannot be read (missing, a folder, not UTF-8).",
        "Check the path and the file's encoding.",
    ),
    CodeInfo(
        "E101",
        "unknown-key",
        "A key that this part of the schema does not have.",
        "Check the spelling against Azure ML's YAML reference.",
    ),
    CodeInfo("E102", "missing-key", "A required key is missing.", "Add the key."),
    CodeInfo(
        "E103", "wrong-type", "A value has the wrong type.", "Write a value of the type shown."
    ),
    CodeInfo(
        "E104",
        "bad-value",
        "A value is not one of the allowed choices.",
        "Use one of the listed values.",
    ),
    CodeInfo(
        "E105",
        "bad-name",
        "A name does not match the pattern Azure requires.",
        "Use lower-case letters, digits and underscores, starting with a letter.",
    ),
    CodeInfo(
        "E106",
        "invalid-value",
        "A value breaks a rule of the schema.",
        "Change the value as the message says.",
    ),
    CodeInfo(
        "E107", "exclusive-keys", "Two keys that cannot be used together.", "Keep only one of them."
    ),
    CodeInfo(
        "E108",
        "unknown-kind",
        "Cairn cannot tell which kind of document this is.",
        "Add `type:` or `$schema:` as Azure's examples do.",
    ),
    CodeInfo(
        "E109",
        "bad-reference",
        "An asset reference is malformed.",
        "Use `azureml:name:version`, `azureml:name@label` or a local file path.",
    ),
    CodeInfo(
        "E201",
        "bad-expression",
        "A `${{...}}` expression is malformed or not allowed here.",
        "Use one of the forms in Azure's expression reference.",
    ),
    CodeInfo(
        "E202",
        "missing-parent-input",
        "A binding names a pipeline input that is not declared.",
        "Declare the input under the pipeline's `inputs:` or fix the name.",
    ),
    CodeInfo(
        "E203",
        "missing-parent-output",
        "A binding names a pipeline output that is not declared.",
        "Declare the output under the pipeline's `outputs:` or fix the name.",
    ),
    CodeInfo(
        "E204", "missing-node", "A binding names a job that is not in `jobs:`.", "Fix the job name."
    ),
    CodeInfo(
        "E205",
        "missing-node-port",
        "A binding names an output (or input) that the job does not have.",
        "Fix the port name or declare it in the component.",
    ),
    CodeInfo(
        "E206",
        "undeclared-port",
        "A command uses `${{inputs.X}}` or `${{outputs.Y}}` that the component does not declare.",
        "Declare the port or fix the name.",
    ),
    CodeInfo(
        "E207",
        "optional-outside-fragment",
        "An optional input without a default is used outside `$[[ ... ]]`.",
        "Wrap the argument in `$[[ ... ]]` or give the input a default.",
    ),
    CodeInfo(
        "E208",
        "undeclared-hyperparameter",
        "A sweep trial's command uses `${{search_space.X}}` that `search_space` does not define.",
        "Define the hyperparameter under `search_space:` or fix the name.",
    ),
    CodeInfo(
        "E301",
        "missing-required-input",
        "A required component input is not given a value.",
        "Bind the input, or mark it `optional: true`, or give it a default.",
    ),
    CodeInfo(
        "E302",
        "type-mismatch",
        "A value does not fit the type of the input it is bound to.",
        "Pass a value of the input's type.",
    ),
    CodeInfo(
        "E303",
        "out-of-range",
        "A value is outside the input's `min`/`max` or `enum`.",
        "Pass a value within the declared range.",
    ),
    CodeInfo(
        "E401",
        "cycle",
        "Jobs depend on each other in a cycle.",
        "Break the cycle: a job cannot consume its own (indirect) output.",
    ),
    CodeInfo(
        "E402",
        "self-reference",
        "A job consumes its own output.",
        "Bind the input to another job's output.",
    ),
    CodeInfo(
        "E403", "empty-jobs", "A pipeline has no jobs.", "Add at least one job under `jobs:`."
    ),
    CodeInfo(
        "E501",
        "missing-file",
        "A referenced file or folder does not exist.",
        "Fix the path; relative paths start at the folder of the file that names them.",
    ),
    CodeInfo(
        "E502",
        "path-escapes",
        "A referenced path resolves outside the allowed folder.",
        "Keep referenced files inside the project.",
    ),
    CodeInfo(
        "E601",
        "unsupported-node",
        "A job type that Cairn does not run yet.",
        "Run that step in Azure ML, or replace it with a command job.",
    ),
    CodeInfo(
        "E602",
        "unsupported-feature",
        "An Azure ML feature that Cairn does not support yet.",
        "Remove the feature or run the job in Azure ML.",
    ),
    CodeInfo(
        "W101",
        "ignored-key",
        "A key Azure accepts and ignores; Cairn ignores it too.",
        "Remove it or check the spelling.",
    ),
    CodeInfo(
        "W102",
        "dropped-key",
        "A key Azure drops in this position (for example `name` of an inline component).",
        "Remove it.",
    ),
    CodeInfo(
        "W301",
        "unknown-input",
        "A job binds an input its component does not declare; Azure drops it silently.",
        "Fix the name or declare the input.",
    ),
    CodeInfo(
        "W302",
        "lenient-type",
        "A data type differs from the port's type; Azure accepts it.",
        "Pass the port's type to be safe.",
    ),
    CodeInfo(
        "W601",
        "no-compute",
        "No compute is set for a job; Azure rejects such a pipeline (and sends a standalone job "
        "to serverless compute), Cairn runs it on `local`.",
        "Set `compute`, or `settings.default_compute`.",
    ),
)

CODES: dict[str, CodeInfo] = {info.code: info for info in _CODES}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in one place."""

    code: str
    message: str
    severity: Severity = Severity.ERROR
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str = ""
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file or "", self.line or 0, self.column or 0, self.code)

    def format(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.severity.value}[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "hint": self.hint,
        }


@dataclass
class Diagnostics:
    """An ordered, de-duplicated collection of diagnostics."""

    items: list[Diagnostic] = field(default_factory=list)
    _seen: set[Diagnostic] = field(default_factory=set, repr=False)

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic not in self._seen:
            self._seen.add(diagnostic)
            self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if not d.is_error]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate, or `None` when nothing is close."""
    pool = sorted({c for c in candidates if isinstance(c, str)})
    same_letters = [c for c in pool if c.lower() == word.lower() and c != word]
    matches = same_letters or difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if matches:
        return f"did you mean `{matches[0]}`?"
    return None


def one_of(choices: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(f"`{c}`" for c in choices[:limit])
    if len(choices) > limit:
        shown += f", … ({len(choices) - limit} more)"
    return shown
