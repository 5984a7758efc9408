"""Why a step ran or was reused, in one line, from the parts of its reuse key.

Comparing a step's key parts with those of the nearest earlier run of the same step names the
first thing that changed, in the order a user thinks of it: code, parameters, input data,
environment, the component itself, output settings, run settings. The sentences are part of
Cairn's interface (the CLI and the studio show them; tests check them):

    reused from <job>/<step>
    ran: force_rerun
    ran: is_deterministic is false
    ran: code changed (<file>)
    ran: parameter <name> <old> → <new>
    ran: input <name> content changed
    ran: earlier outputs missing or altered (<output>/<file>)
    ran: no earlier run with this key
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_ORDER = ("code", "parameter", "input", "environment", "component", "outputs", "run")


@dataclass(frozen=True)
class Difference:
    part: str
    name: str
    old: Any = None
    new: Any = None

    def sentence(self) -> str:
        if self.part == "code":
            return f"code changed ({self.name})" if self.name else "code changed"
        if self.part == "parameter":
            return f"parameter {self.name} {_shown(self.old)} → {_shown(self.new)}"
        if self.part == "input":
            return f"input {self.name} content changed"
        if self.part == "environment":
            return "environment changed"
        if self.part == "component":
            return "component changed"
        if self.part == "outputs":
            return f"output {self.name} settings changed"
        return f"run settings changed ({self.name})"


def compare(new: dict[str, Any], old: dict[str, Any]) -> list[Difference]:
    """Every difference between two reuse-key parts, most telling first."""
    found: list[Difference] = []
    if new.get("code") != old.get("code"):
        found.append(Difference("code", ""))
    new_inputs, old_inputs = new.get("inputs", {}), old.get("inputs", {})
    for name in sorted(set(new_inputs) | set(old_inputs)):
        a, b = old_inputs.get(name), new_inputs.get(name)
        if a == b:
            continue
        if _literal(a) or _literal(b):
            found.append(Difference("parameter", name, _value(a), _value(b)))
        else:
            found.append(Difference("input", name))
    if new.get("environment") != old.get("environment"):
        found.append(Difference("environment", ""))
    if new.get("component") != old.get("component"):
        found.append(Difference("component", ""))
    for name in sorted(set(new.get("outputs", {})) | set(old.get("outputs", {}))):
        if new.get("outputs", {}).get(name) != old.get("outputs", {}).get(name):
            found.append(Difference("outputs", name))
    new_run, old_run = new.get("run", {}), old.get("run", {})
    for name in sorted(set(new_run) | set(old_run)):
        if new_run.get(name) != old_run.get(name):
            found.append(Difference("run", name))
    found.sort(key=lambda d: _ORDER.index(d.part))
    return found


def ran_because(differences: list[Difference]) -> str:
    if not differences:
        return "ran: no earlier run with this key"
    return "ran: " + differences[0].sentence()


def _literal(entry: Any) -> bool:
    return isinstance(entry, dict) and "literal" in entry


def _value(entry: Any) -> Any:
    if isinstance(entry, dict) and "literal" in entry:
        return entry["literal"]
    return None


def _shown(value: Any) -> str:
    return "(unset)" if value is None else str(value)
