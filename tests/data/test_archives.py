"""Archives unpack inside their destination or not at all."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from cairn.data.archives import ArchiveLimits, extract_archive
from cairn.errors import Conflict, LimitExceeded, PathNotAllowed, Unsupported


def make_tar(
    path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w"
) -> Path:
    with tarfile.open(path, mode) as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def make_zip(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data in members:
            bundle.writestr(name, data)
    return path


def test_tar_and_zip_extract(tmp_path: Path) -> None:
    tar = make_tar(tmp_path / "a.tar.gz", [("./d/x.txt", b"x"), ("y.txt", b"yy")], mode="w:gz")
    assert extract_archive(tar, tmp_path / "t") == ["d/x.txt", "y.txt"]
    assert (tmp_path / "t" / "d" / "x.txt").read_bytes() == b"x"
    zipped = make_zip(tmp_path / "a.zip", [("d/", b""), ("d/x.txt", b"x"), ("y.txt", b"yy")])
    assert extract_archive(zipped, tmp_path / "z") == ["d/x.txt", "y.txt"]
    assert (tmp_path / "z" / "y.txt").read_bytes() == b"yy"


@pytest.mark.parametrize("name", ["../evil", "/abs/evil", "a/../../evil", "%2e%2e/evil"])
def test_traversal_names_refused(tmp_path: Path, name: str) -> None:
    tar = make_tar(tmp_path / "t.tar", [("ok.txt", b"1"), (name, b"2")])
    with pytest.raises(PathNotAllowed):
        extract_archive(tar, tmp_path / "out-t")
    zipped = make_zip(tmp_path / "z.zip", [("ok.txt", b"1"), (name, b"2")])
    with pytest.raises(PathNotAllowed):
        extract_archive(zipped, tmp_path / "out-z")
    assert not (tmp_path / "out-t").exists() and not (tmp_path / "out-z").exists()
    assert not (tmp_path.parent / "evil").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.tar", "z.zip"]


def test_links_and_devices_refused(tmp_path: Path) -> None:
    for kind, extra in [
        (tarfile.SYMTYPE, "/etc/passwd"),
        (tarfile.LNKTYPE, "ok.txt"),
        (tarfile.CHRTYPE, ""),
        (tarfile.FIFOTYPE, ""),
    ]:
        info = tarfile.TarInfo("bad")
        info.type = kind
        info.linkname = extra
        tar = make_tar(tmp_path / f"{kind!r}.tar", [("ok.txt", b"1"), info])
        with pytest.raises(PathNotAllowed, match="not a regular file"):
            extract_archive(tar, tmp_path / "out")
        assert not (tmp_path / "out").exists()


def test_zip_symlink_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    zipped = make_zip(tmp_path / "l.zip", [(link, b"/etc/passwd")])
    with pytest.raises(PathNotAllowed, match="not a regular file"):
        extract_archive(zipped, tmp_path / "out")


def test_caps(tmp_path: Path) -> None:
    many = make_tar(tmp_path / "many.tar", [(f"f{i}", b"x") for i in range(5)])
    with pytest.raises(LimitExceeded, match="more than 4 members"):
        extract_archive(many, tmp_path / "o1", limits=ArchiveLimits(max_members=4))
    big = make_zip(tmp_path / "big.zip", [("a", b"x" * 600), ("b", b"y" * 600)])
    with pytest.raises(LimitExceeded, match="more than 1000 bytes"):
        extract_archive(big, tmp_path / "o2", limits=ArchiveLimits(max_total_bytes=1000))
    bomb = make_tar(tmp_path / "bomb.tar.gz", [("zeros", b"\0" * 2_000_000)], mode="w:gz")
    assert bomb.stat().st_size < 20_000
    with pytest.raises(LimitExceeded):
        extract_archive(bomb, tmp_path / "o3", limits=ArchiveLimits(max_total_bytes=1_000_000))
    assert not any((tmp_path / n).exists() for n in ("o1", "o2", "o3"))


def test_existing_destination_and_unknown_format(tmp_path: Path) -> None:
    tar = make_tar(tmp_path / "a.tar", [("x", b"1")])
    (tmp_path / "taken").mkdir()
    with pytest.raises(Conflict):
        extract_archive(tar, tmp_path / "taken")
    (tmp_path / "plain.txt").write_text("not an archive")
    with pytest.raises(Unsupported):
        extract_archive(tmp_path / "plain.txt", tmp_path / "o")


def test_duplicate_zip_member_refused(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        zipped = make_zip(tmp_path / "d.zip", [("a", b"1"), ("a", b"2")])
    with pytest.raises(PathNotAllowed, match="twice"):
        extract_archive(zipped, tmp_path / "o")
