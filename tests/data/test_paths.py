"""Untrusted relative paths are confined to their root, whatever disguise they wear."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.data.paths import clean_relative, confine, ensure_inside
from cairn.errors import PathNotAllowed


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a/b.txt", "a/b.txt"),
        ("./a//b/./c", "a/b/c"),
        ("", ""),
        (".", ""),
        ("a/", "a"),
        ("100%.txt", "100%.txt"),
        ("a%20b", "a%20b"),
        ("..data/x", "..data/x"),
        ("x..", "x.."),
    ],
)
def test_clean_relative_keeps_safe_paths(raw: str, clean: str) -> None:
    assert clean_relative(raw) == clean


@pytest.mark.parametrize(
    "raw",
    [
        "../etc/passwd",
        "a/../../b",
        "a/..",
        "..",
        "/etc/passwd",
        "\\\\server\\share",
        "C:\\Windows",
        "c:/x",
        "a\\..\\..\\b",
        "a\x00b",
        "%2e%2e/secret",
        "%2E%2E%2Fsecret",
        "a/%2e%2e/%2e%2e/b",
        "%252e%252e/x",
        "%2fetc%2fpasswd",
        "a%00b",
        "..%5c..%5cx",
    ],
)
def test_clean_relative_refuses_traversal(raw: str) -> None:
    with pytest.raises(PathNotAllowed) as info:
        clean_relative(raw)
    assert info.value.code == "path_not_allowed"
    assert info.value.http_status == 400


def test_confine_returns_path_inside_root(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    assert confine(tmp_path, "a/new.txt") == tmp_path.resolve() / "a" / "new.txt"
    assert confine(tmp_path, "") == tmp_path.resolve()


def test_confine_refuses_symlink_escape(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside)
    (root / "inner").symlink_to(root / ".")
    with pytest.raises(PathNotAllowed, match="symbolic link"):
        confine(root, "link/file.txt")
    assert confine(root, "inner/file.txt") == root.resolve() / "file.txt"


def test_confine_refuses_absolute_and_parent(tmp_path: Path) -> None:
    for raw in ("/tmp/x", "../x", Path("/etc")):
        with pytest.raises(PathNotAllowed):
            confine(tmp_path, raw)


def test_ensure_inside(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    os.symlink("/etc/hostname", tmp_path / "out")
    assert ensure_inside(tmp_path / "f", tmp_path) == (tmp_path / "f").resolve()
    with pytest.raises(PathNotAllowed, match="points outside"):
        ensure_inside(tmp_path / "out", tmp_path)


_segment = st.sampled_from(["..", ".", "a", "%2e%2e", "%2E.", "b\\..", "", "c%2f..", "..%2f"])


@given(st.lists(_segment, min_size=1, max_size=6))
def test_confined_path_never_leaves_root(segments: list[str]) -> None:
    root = Path("/srv/root")
    raw = "/".join(segments)
    try:
        clean = clean_relative(raw)
    except PathNotAllowed:
        return
    resolved = os.path.normpath(os.path.join(root, clean))
    assert resolved == str(root) or resolved.startswith(str(root) + "/")
    assert ".." not in clean.split("/")
