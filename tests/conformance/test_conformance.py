"""Cairn's verdicts on the conformance corpus, held against what Azure's own SDK decides.

`corpus/` holds pipeline and component files; `index.yml` records for each one Azure's verdict
(written by `record_oracle.py`, which runs Microsoft's azure-ai-ml offline — CI never needs it),
the verdict Cairn must give, the set of diagnostic codes it must produce, and the reason wherever
Cairn is deliberately stricter or more lenient than Azure.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import cairn.spec
from cairn.spec.diagnostics import CODES
from cairn.spec.validate import (
    ValidationReport,
    validate_asset_file,
    validate_component_file,
    validate_job_file,
)

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
ENTRIES: list[dict[str, Any]] = YAML(typ="safe").load((HERE / "index.yml").read_text("utf-8"))
CASE_GROUPS = ("valid", "warnings", "invalid", "components")
VERDICTS = ("pass", "fail")
VALIDATORS = {
    "job": validate_job_file,
    "component": validate_component_file,
    "asset": validate_asset_file,
}

NOT_FROM_FILES = {
    "E502": "no spec check resolves paths against an allowed root yet",
    "E602": "no spec check flags an unsupported feature inside a supported node yet",
}
"""Codes that no file can make the spec layer produce today, and why."""


def validate(entry: dict[str, Any]) -> ValidationReport:
    return VALIDATORS[entry["as"]](CORPUS / entry["file"], cwd=CORPUS)


def _param(entry: dict[str, Any]) -> Any:
    marks = []
    if entry.get("known_bug"):
        marks.append(pytest.mark.xfail(reason=entry["known_bug"], strict=True))
    return pytest.param(entry, id=entry["file"], marks=marks)


@pytest.mark.parametrize("entry", [_param(e) for e in ENTRIES])
def test_cairn_gives_the_recorded_verdict_and_codes(entry: dict[str, Any]) -> None:
    report = validate(entry)
    verdict = "pass" if report.ok else "fail"
    codes = sorted({d.code for d in report.diagnostics})
    shown = "\n".join(d.format() for d in report.diagnostics.sorted())
    assert (verdict, codes) == (entry["cairn"], sorted(entry["codes"])), shown


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_cairn_agrees_with_azure_or_says_why_not(entry: dict[str, Any]) -> None:
    oracle = entry["oracle"]["verdict"]
    # `skip`: Azure's loaders cannot tell what the file is, so they give no verdict at all.
    assert oracle in (*VERDICTS, "skip"), "run record_oracle.py to record Azure's verdict"
    assert entry["cairn"] in VERDICTS
    reason = str(entry.get("difference") or "").strip()
    if entry["cairn"] == oracle:
        assert not reason, "the verdicts agree; drop the stale `difference`"
    else:
        assert reason, f"Azure says {oracle}, Cairn {entry['cairn']}: give a `difference`"
    if oracle == "fail":
        assert str(entry["oracle"].get("excerpt") or "").strip(), "keep an excerpt of the error"


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_entry_is_well_formed(entry: dict[str, Any]) -> None:
    assert (CORPUS / entry["file"]).is_file()
    assert entry["as"] in VALIDATORS
    assert str(entry.get("about") or "").strip()
    codes = entry["codes"]
    assert codes == sorted(set(codes)), "codes are a sorted set"
    assert set(codes) <= set(CODES)
    has_error = any(code.startswith("E") for code in codes)
    assert has_error == (entry["cairn"] == "fail"), "an error code is what makes a file fail"


def test_corpus_is_indexed_once_per_case() -> None:
    files = [e["file"] for e in ENTRIES]
    assert len(files) == len(set(files))
    assert len(files) >= 60
    indexed = {tuple(Path(f).parts[:2]) for f in files}
    cases = {
        (group, case.name)
        for group in CASE_GROUPS
        for case in (CORPUS / group).iterdir()
        if case.is_dir()
    }
    assert cases == indexed, "every case folder has an entry, and every entry a case folder"


def test_every_code_a_file_can_trigger_is_in_the_corpus() -> None:
    covered = {code for e in ENTRIES if not e.get("known_bug") for code in e["codes"]}
    assert set(NOT_FROM_FILES) <= set(CODES)
    missing = set(CODES) - set(NOT_FROM_FILES) - covered
    assert not missing, f"add a corpus file that produces {sorted(missing)}"
    # Keep the exceptions honest: the moment the spec layer can emit one, it needs a file.
    emitted = _codes_in_spec_source()
    assert not emitted & set(NOT_FROM_FILES), "a code listed as impossible is now emitted"
    assert emitted <= covered, f"emitted but never produced: {sorted(emitted - covered)}"


def _codes_in_spec_source() -> set[str]:
    root = Path(cairn.spec.__file__).parent
    found: set[str] = set()
    for path in root.rglob("*.py"):
        if path.name != "diagnostics.py":
            found.update(re.findall(r"[\"']([EW]\d{3})[\"']", path.read_text("utf-8")))
    return found & set(CODES)
