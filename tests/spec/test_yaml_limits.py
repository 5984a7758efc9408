"""The YAML loader: positions, duplicate keys, YAML 1.1 scalars, merge keys, and the limits that
keep a hostile file (alias bombs, deep nesting, huge files, bad encodings) from costing more than
a clear error — in the library and through the real `cairn` executable."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from cairn.errors import CairnError, LimitExceeded, YamlError
from cairn.spec.validate import validate_job_file
from cairn.spec.yaml_loader import LoadLimits, YDict, YList, load_yaml, locate, read_source

CAIRN = Path(sys.executable).parent / "cairn"
MB = 1 << 20

BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)),
        "",
    ]
)
"""The classic billion laughs: 9 levels of 9 aliases, 9**9 (387 million) strings expanded."""


@contextmanager
def budget(seconds: float, megabytes: float) -> Iterator[None]:
    """Fail unless the block ends (raising or not) within `seconds` and `megabytes` of peak."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert elapsed < seconds, f"took {elapsed:.3f}s, budget {seconds}s"
        assert peak < megabytes * MB, f"peak {peak / MB:.1f} MB, budget {megabytes} MB"


def refused(source: str | bytes, limits: LoadLimits | None = None) -> CairnError:
    with pytest.raises(CairnError) as caught:
        load_yaml(source, "f.yml", limits)
    return caught.value


# --- positions -------------------------------------------------------------------------------


def test_every_key_and_value_keeps_its_line_and_column() -> None:
    text = (
        "name: train\n"  # line 0
        "jobs:\n"  # line 1
        "  fit:\n"  # line 2
        "    inputs: {lr: 0.1, data: ./d}\n"  # line 3
        "    tags:\n"  # line 4
        "      - a\n"  # line 5
        "      -   b\n"  # line 6
    )
    root = load_yaml(text, "f.yml").root
    assert isinstance(root, YDict)
    assert root.mark == (0, 0)
    assert (root.key_marks["name"], root.value_marks["name"]) == ((0, 0), (0, 6))
    assert (root.key_marks["jobs"], root.value_marks["jobs"]) == ((1, 0), (2, 2))
    fit = root["jobs"]["fit"]
    assert (root["jobs"].key_marks["fit"], fit.mark) == ((2, 2), (3, 4))
    inputs = fit["inputs"]
    assert (fit.key_marks["inputs"], inputs.mark) == ((3, 4), (3, 12))
    assert (inputs.key_marks["lr"], inputs.value_marks["lr"]) == ((3, 13), (3, 17))
    assert (inputs.key_marks["data"], inputs.value_marks["data"]) == ((3, 22), (3, 28))
    tags = fit["tags"]
    assert isinstance(tags, YList)
    assert tags == ["a", "b"]
    assert tags.item_marks == [(5, 8), (6, 10)]
    assert locate(root, ("jobs", "fit", "inputs", "data")) == (3, 28)
    assert locate(root, ("jobs", "fit", "inputs", "data"), key=True) == (3, 22)
    assert locate(root, ("jobs", "fit", "tags", 1)) == (6, 10)
    # A missing part points at the nearest ancestor that exists.
    assert locate(root, ("jobs", "fit", "compute")) == (3, 4)


def test_duplicate_keys_are_reported_with_both_lines_and_the_last_is_kept() -> None:
    document = load_yaml("a: 1\nb: 2\na: 3\n", "f.yml")
    assert document.root == {"a": 3, "b": 2}
    [problem] = document.diagnostics
    assert (problem.code, problem.file, problem.line, problem.column) == ("E003", "f.yml", 3, 1)
    assert problem.message == "duplicate key `a` (first at line 1); Azure would keep the last"
    assert problem.hint == "remove one of them"


def test_duplicates_are_reported_in_nested_and_flow_mappings() -> None:
    document = load_yaml("jobs:\n  x: {k: 1, k: 2}\n  x: {}\n", "f.yml")
    found = sorted((d.code, d.line, d.column, d.message) for d in document.diagnostics)
    assert found == [
        ("E003", 2, 13, "duplicate key `k` (first at line 2); Azure would keep the last"),
        ("E003", 3, 3, "duplicate key `x` (first at line 2); Azure would keep the last"),
    ]


# --- YAML 1.1 scalars and merge keys ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", True),
        ("No", False),
        ("on", True),
        ("off", False),
        ("y", "y"),  # PyYAML (Azure) keeps y/n as strings
        ("n", "n"),
        ("true", True),
        ("010", 8),
        ("0x1F", 31),
        ("0b101", 5),
        ("-017", -15),
        ("0o17", "0o17"),
        ("1_000", 1000),
        ("1:30", 90),
        ("1.5e+3", 1500.0),
        ("1.0e-3", 0.001),
        ("1e-3", "1e-3"),  # PyYAML's floats need a dot and a signed exponent
        ("1.5e3", "1.5e3"),
        ("-.inf", float("-inf")),
        ("~", None),
        ("null", None),
        ("", None),
        ("2001-12-14", "2001-12-14"),
        ("'010'", "010"),
        ('"yes"', "yes"),
        ("'~'", "~"),
        ("09", "09"),
        ("1e5", "1e5"),
        ("-_", "-_"),
    ],
)
def test_plain_scalars_resolve_as_yaml_1_1(text: str, value: Any) -> None:
    document = load_yaml(f"v: {text}\n", "f.yml")
    assert document.diagnostics == []
    assert document.root["v"] == value
    assert type(document.root["v"]) is type(value)


def test_explicit_tags_that_do_not_fit_are_diagnostics_not_crashes() -> None:
    text = (
        "a: !!int ''\nb: !!int 1e400:00\nc: !!float x\nd: !!bool maybe\n"
        "e: !!python/object:os.system x\nf: !!int 0o17\ng: !!float 1e5\n"
    )
    document = load_yaml(text, "f.yml")
    assert document.root == {
        "a": "",
        "b": "1e400:00",
        "c": "x",
        "d": "maybe",
        "e": "x",
        "f": 15,
        "g": 100000.0,
    }
    assert [(d.code, d.line, d.message) for d in document.diagnostics] == [
        ("E103", 1, "`` is not a valid int"),
        ("E103", 2, "`1e400:00` is not a valid int"),
        ("E103", 3, "`x` is not a valid float"),
        ("E103", 4, "`maybe` is not a valid bool"),
        ("E005", 5, "YAML tag `tag:yaml.org,2002:python/object:os.system` is not supported"),
    ]


def test_merge_keys_fill_in_without_overriding_written_keys() -> None:
    text = (
        "base: &base {compute: cpu, retries: 1}\n"
        "more: &more {retries: 5, tier: spot}\n"
        "one:\n  <<: *base\n  retries: 3\n"
        "two:\n  <<: [*base, *more]\n"
    )
    document = load_yaml(text, "f.yml")
    assert document.diagnostics == []
    one, two = document.root["one"], document.root["two"]
    assert one == {"compute": "cpu", "retries": 3}
    assert one.value_marks["retries"] == (4, 11)
    assert one.value_marks["compute"] == (0, 22)  # where the merged value was written
    assert two == {"compute": "cpu", "retries": 1, "tier": "spot"}


def test_a_merge_of_something_that_is_not_a_mapping_is_a_diagnostic() -> None:
    document = load_yaml("l: &l [1]\nm: {<<: *l, a: 1}\n", "f.yml")
    assert document.root["m"] == {"a": 1}
    [problem] = document.diagnostics
    assert (problem.code, problem.line) == ("E004", 2)
    assert "merge key" in problem.message


def test_an_anchored_key_can_be_used_as_a_value() -> None:
    assert load_yaml("? &k train\n: 1\nnext: *k\n", "f.yml").root == {"train": 1, "next": "train"}


# --- limits ----------------------------------------------------------------------------------


def test_billion_laughs_is_refused_quickly_in_bounded_memory() -> None:
    with budget(seconds=1.0, megabytes=100):
        error = refused(BOMB)
    assert type(error) is LimitExceeded
    assert error.message == "f.yml:7:8: refused: more than 1,000,000 YAML nodes"
    assert error.details == {"file": "f.yml", "line": 7, "column": 8}
    assert error.hint is not None and "limit" in error.hint


def test_many_aliases_to_a_small_node_are_refused() -> None:
    text = "a: &a x\nl: [" + ", ".join(["*a"] * 1001) + "]\n"
    error = refused(text)
    assert type(error) is LimitExceeded
    assert error.message.endswith("refused: more than 1,000 aliases")
    assert len(load_yaml(text, "f.yml", LoadLimits(max_aliases=1001)).root["l"]) == 1001


@pytest.mark.parametrize(
    "text", ["a: &a [1, *a]\n", "a: &a {b: {c: *a}}\n", "&r [*r]\n", "a: &a\n  - &b [*a]\n"]
)
def test_recursive_aliases_are_refused(text: str) -> None:
    error = refused(text)
    assert type(error) is LimitExceeded
    assert "refers to a node that contains it" in error.message


def test_an_alias_to_an_unknown_anchor_is_a_yaml_error() -> None:
    error = refused("a: *nowhere\n")
    assert type(error) is YamlError
    assert error.message == "f.yml:1:4: alias *nowhere names no anchor"


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    assert load_yaml("[" * 100 + "]" * 100, "f.yml").root is not None
    error = refused("[" * 101 + "]" * 101)
    assert type(error) is LimitExceeded
    assert error.message == "f.yml:1:101: refused: nesting deeper than 100 levels"
    nested = "a:\n" + "".join("  " * i + f"  k{i}:\n" for i in range(12)) + "  " * 13 + "v: 1\n"
    error = refused(nested, LoadLimits(max_depth=10))
    assert "nesting deeper than 10 levels" in error.message


def test_nesting_through_aliases_counts_what_they_expand_to() -> None:
    # Each anchor is shallow where it is written, but every later stage walks the expansion.
    text = "a0: &a0 " + "[" * 60 + "1" + "]" * 60 + "\n"
    text += "a1: &a1 " + "[" * 60 + "*a0" + "]" * 60 + "\n"
    error = refused(text)
    assert type(error) is LimitExceeded
    assert error.message == "f.yml:2:69: refused: nesting deeper than 100 levels (through *a0)"
    assert load_yaml(text, "f.yml", LoadLimits(max_depth=121)).root["a1"] is not None


def test_node_count_limit_is_exact_and_counts_alias_expansions() -> None:
    items = ", ".join(["1"] * 999)
    assert len(load_yaml(f"[{items}]", "f.yml", LoadLimits(max_nodes=1000)).root) == 999
    error = refused(f"[{items}, 1]", LoadLimits(max_nodes=1000))
    assert type(error) is LimitExceeded
    assert error.message.endswith("refused: more than 1,000 YAML nodes")
    # 1 list + 10 scalars, then 6 aliases of 11 nodes each: 1 + 11 + 66 = 78 nodes.
    text = "- &t [" + ", ".join(["0"] * 10) + "]\n" + "- *t\n" * 6
    assert load_yaml(text, "f.yml", LoadLimits(max_nodes=78)).root[6] == [0] * 10
    assert "more than 77 YAML nodes" in refused(text, LoadLimits(max_nodes=77)).message


def test_a_10_mb_file_is_refused_quickly_without_being_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.yml"
    line = b"key_" + b"x" * 90 + b": value\n"
    path.write_bytes(line * (10 * MB // len(line) + 1))
    assert path.stat().st_size > 10 * MB
    # Reading the whole file would allocate 10 MB at once; a 3 MB peak proves it was not.
    with budget(seconds=0.5, megabytes=3), pytest.raises(LimitExceeded) as caught:
        read_source(path, LoadLimits())
    assert caught.value.message == f"{path} is larger than the 1,048,576-byte limit for YAML files"
    assert caught.value.hint is not None and "split the file" in caught.value.hint
    with budget(seconds=0.5, megabytes=3):
        report = validate_job_file(path, cwd=tmp_path)
    [problem] = report.diagnostics
    assert (problem.code, problem.file) == ("E002", "huge.yml")
    assert "larger than the 1,048,576-byte limit" in problem.message
    # The same bytes handed over in memory are refused before decoding.
    with pytest.raises(LimitExceeded, match="larger than the 1,024-byte limit"):
        load_yaml(b"x" * 1025, "f.yml", LoadLimits(max_bytes=1024))


def test_bytes_that_are_not_utf8_are_a_yaml_error(tmp_path: Path) -> None:
    error = refused(b"name: caf\xe9\n")
    assert type(error) is YamlError
    assert error.message == "f.yml is not UTF-8 text (byte 9)"
    assert error.hint == "save the file as UTF-8"
    assert load_yaml(b"\xef\xbb\xbfname: x\n", "f.yml").root == {"name": "x"}  # BOM is fine
    path = tmp_path / "latin1.yml"
    path.write_bytes(b"type: pipeline\ndisplay_name: caf\xe9\n")
    [problem] = validate_job_file(path, cwd=tmp_path).diagnostics
    assert (problem.code, problem.message) == ("E006", "latin1.yml is not UTF-8 text (byte 32)")


def test_a_second_document_is_refused_at_its_separator() -> None:
    assert load_yaml("---\na: 1\n...\n", "f.yml").root == {"a": 1}
    error = refused("a: 1\n---\nb: 2\n")
    assert type(error) is YamlError
    assert error.message == "f.yml:2: a second YAML document; a file holds one"
    assert error.hint is not None and "`---`" in error.hint
    assert error.details == {"file": "f.yml", "line": 2, "column": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1, 2\n", "f.yml:2:1: not valid YAML: did not find expected ',' or ']'"),
        ("a: b: c\n", "f.yml:1:5: not valid YAML: mapping values are not allowed in this context"),
        ("a:\n\t- 1\n", "f.yml:2:1: not valid YAML: found character that cannot start any token"),
    ],
)
def test_syntax_errors_name_the_position(text: str, message: str) -> None:
    error = refused(text)
    assert type(error) is YamlError
    assert error.message.startswith(message)


def test_unreadable_paths_are_yaml_errors(tmp_path: Path) -> None:
    cases: list[tuple[Path, Callable[[str], bool]]] = [
        (tmp_path, lambda m: m.endswith("is a folder, not a YAML file")),
        (tmp_path / "missing.yml", lambda m: m.endswith("does not exist")),
        (tmp_path / "nul\0.yml", lambda m: m.startswith("cannot read")),
        (tmp_path / ("x" * 300 + ".yml"), lambda m: m.startswith("cannot read")),
    ]
    for path, fits in cases:
        with pytest.raises(YamlError) as caught:
            read_source(path, LoadLimits())
        assert fits(caught.value.message), caught.value.message


# --- through the real executable -------------------------------------------------------------


# Linux counts the memory of the process that forked a child into the child's peak RSS (the
# copied or shared pages before `exec`), so a large test worker would inflate the figure. A small,
# fresh Python starts the command and reports the command's own peak.
_MEASURE = """
import os, subprocess, sys
with open(sys.argv[1], "w") as out, open(sys.argv[2], "w") as err:
    proc = subprocess.Popen(sys.argv[3:], stdout=out, stderr=err)
    _, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def run_measured(*args: str, cwd: Path) -> tuple[int, str, str, int]:
    """Run the `cairn` executable; return its exit status, output, errors and peak RSS in KiB."""
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    measured = subprocess.run(
        [sys.executable, "-I", "-c", _MEASURE, str(out), str(err), str(CAIRN), *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    code, rss = (int(word) for word in measured.stdout.split())
    return code, out.read_text(), err.read_text(), rss


def test_cli_refuses_a_yaml_bomb_with_one_readable_error(tmp_path: Path) -> None:
    assert CAIRN.exists(), f"the cairn console script is not installed at {CAIRN}"
    (tmp_path / "bomb.yml").write_text(BOMB)
    start = time.perf_counter()
    code, out, err, max_rss_kib = run_measured(
        "job", "validate", "--file", "bomb.yml", cwd=tmp_path
    )
    elapsed = time.perf_counter() - start
    assert code == 1, out + err
    assert "Traceback" not in out + err
    assert err == ""
    errors = [line for line in out.splitlines() if "error[" in line]
    assert errors == ["bomb.yml:7:8: error[E002]: refused: more than 1,000,000 YAML nodes"]
    assert out.splitlines()[-1] == "bomb.yml: invalid — 1 error, 0 warnings"
    # The whole CLI process: about 45 MiB when its modules are compiled already, more when
    # Python compiles them first; an expanded bomb would need gigabytes.
    assert max_rss_kib < 256 * 1024, f"peak RSS {max_rss_kib / 1024:.0f} MiB"
    assert elapsed < 10, f"took {elapsed:.1f}s"
