"""atomic_write: a file appears under its name only whole and fsync'd, with its mode from the
start, and a failed write leaves the folder as it was — with unnamed files (O_TMPFILE) and with
the named temporaries used where the file system has none."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from minica.storage import files
from minica.storage.files import FileWrite, atomic_write, atomic_write_all


@pytest.fixture(params=["unnamed", "named"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test runs both ways; "named" is what a file system without O_TMPFILE gets."""
    if request.param == "named":
        real_open = os.open

        def no_tmpfile(path: object, flags: int, *args: int, **kwargs: int) -> int:
            if flags & getattr(os, "O_TMPFILE", 0) == getattr(os, "O_TMPFILE", -1):
                raise OSError(errno.EOPNOTSUPP, "Operation not supported")
            return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "open", no_tmpfile)
    monkeypatch.setattr(files, "_unnamed_files", hasattr(os, "O_TMPFILE"))
    yield request.param


def test_a_new_file_has_its_bytes_and_mode_and_nothing_else_is_left(tmp_path: Path, way: str) -> None:
    atomic_write(tmp_path / "out" / "signed.xml", b"<Invoice/>", mode=0o644)
    atomic_write(tmp_path / "out" / "key.pem", b"secret")
    assert sorted(os.listdir(tmp_path / "out")) == ["key.pem", "signed.xml"]
    assert (tmp_path / "out" / "signed.xml").read_bytes() == b"<Invoice/>"
    assert stat.S_IMODE((tmp_path / "out" / "signed.xml").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "out" / "key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o700
    assert files._unnamed_files == (way == "unnamed")  # each way was the one taken


def test_replaces_unless_exclusive(tmp_path: Path, way: str) -> None:
    target = tmp_path / "signed.xml"
    atomic_write(target, b"first")
    atomic_write(target, b"second", mode=0o644)
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    with pytest.raises(FileExistsError):
        atomic_write(target, b"third", exclusive=True)
    assert target.read_bytes() == b"second"
    assert os.listdir(tmp_path) == ["signed.xml"]


def test_the_name_appears_only_after_the_bytes_are_synced(
    tmp_path: Path, way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "signed.xml"
    seen: list[tuple[bool, bytes]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        reader = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY)  # the file being written, named or not
        try:
            seen.append((target.exists(), os.pread(reader, 100, 0)))
        finally:
            os.close(reader)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    atomic_write(target, b"<Invoice/>", exclusive=True)
    assert seen == [(False, b"<Invoice/>")]


def test_a_failed_write_leaves_the_folder_as_it_was(tmp_path: Path, way: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "signed.xml").write_bytes(b"old")

    def disk_full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    for target in (tmp_path / "signed.xml", tmp_path / "new.xml"):
        with pytest.raises(OSError, match="No space"):
            atomic_write(target, b"new")
    assert os.listdir(tmp_path) == ["signed.xml"]
    assert (tmp_path / "signed.xml").read_bytes() == b"old"


# --- several files made durable together -------------------------------------------------------


def test_a_group_is_written_whole_each_file_with_its_own_outcome(tmp_path: Path, way: str) -> None:
    (tmp_path / "taken.xml").write_bytes(b"old")
    results = atomic_write_all([
        FileWrite(tmp_path / "a.xml", b"<A/>", 0o644),
        FileWrite(tmp_path / "taken.xml", b"new", 0o644, exclusive=True),
        FileWrite(tmp_path / "sub" / "b.xml", b"<B/>"),
    ])  # fmt: skip
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], FileExistsError)
    assert (tmp_path / "a.xml").read_bytes() == b"<A/>" and (tmp_path / "sub" / "b.xml").read_bytes() == b"<B/>"
    assert (tmp_path / "taken.xml").read_bytes() == b"old"
    assert stat.S_IMODE((tmp_path / "a.xml").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "sub" / "b.xml").stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["a.xml", "sub", "taken.xml"]  # no temporaries


@pytest.mark.skipif(files._syncfs() is None, reason="no syncfs: each file is fsync'd on its own")
def test_a_group_gets_its_names_only_after_one_flush_made_it_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets = [tmp_path / f"{n}.xml" for n in range(3)]
    flushes: list[list[bool]] = []
    real = files._syncfs()
    assert real is not None

    def syncfs(fd: int) -> None:
        flushes.append([t.exists() for t in targets])
        real(fd)

    monkeypatch.setattr(files, "_syncfs", lambda: syncfs)
    monkeypatch.setattr(os, "fsync", lambda fd: pytest.fail("a group is flushed once, not file by file"))
    assert atomic_write_all([FileWrite(t, b"<Invoice/>") for t in targets]) == [None, None, None]
    assert flushes == [[False, False, False]]
    assert all(t.read_bytes() == b"<Invoice/>" for t in targets)


@pytest.mark.skipif(files._syncfs() is None, reason="no syncfs: each file is fsync'd on its own")
def test_a_failed_flush_names_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(files, "_syncfs", lambda: failing)
    results = atomic_write_all([FileWrite(tmp_path / "a.xml", b"a"), FileWrite(tmp_path / "b.xml", b"b")])
    assert [r.errno if r else None for r in results] == [errno.EIO, errno.EIO]
    assert os.listdir(tmp_path) == []
