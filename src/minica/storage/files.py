"""Atomic, private file writes: a failed command leaves no partial file behind."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from minica.errors import InvalidInput


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 for the folders minica creates."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def read_input(path: Path, what: str = "", *, error: type[InvalidInput] = InvalidInput) -> bytes:
    """The bytes of a file the user named, or one clear error (missing, or unreadable)."""
    label = f"{what} {path}".strip()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise error(f"{label} does not exist", "check the path") from None
    except OSError as exc:
        raise error(f"cannot read {label}: {exc.strerror}", "check its permissions") from None


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600, exclusive: bool = False) -> None:
    """Write ``data`` to ``path`` all at once: the bytes are written and fsync'd first, and only
    then given the name.

    The file has ``mode`` from its first byte (keys never exist world-readable, not even briefly).
    With ``exclusive`` an existing ``path`` is never replaced (``FileExistsError``).
    """
    fd = _open_unnamed(path)
    if fd is None:
        private_dir(path.parent)
        _write_named(path, data, mode, exclusive)
        return
    try:
        _fill(fd, data, mode)
        os.fsync(fd)
        _name(fd, path, exclusive)
    finally:
        os.close(fd)


class FileWrite(NamedTuple):
    """One file for :func:`atomic_write_all`."""

    path: Path
    data: bytes
    mode: int = 0o600
    exclusive: bool = False


def atomic_write_all(files: Sequence[FileWrite]) -> list[OSError | None]:
    """:func:`atomic_write` for several files, made durable together: each is written without a
    name, one ``syncfs`` per folder makes them all durable (one flush of the disk instead of one
    per file — a third of the time and of the kernel's CPU for small files), then each gets its
    name. What each file got: None, or the error that kept it from being written (the others are
    written all the same).
    """
    syncfs = _syncfs() if len(files) > 1 else None  # one file: its fsync, and no ctypes to import
    if syncfs is None:
        return [_attempt(atomic_write, f.path, f.data, mode=f.mode, exclusive=f.exclusive) for f in files]
    results: list[OSError | None] = [None] * len(files)
    opened: dict[int, int] = {}  # index in files -> its unnamed file
    try:
        for index, file in enumerate(files):
            try:
                fd = _open_unnamed(file.path)
                if fd is None:  # no unnamed files in this folder's file system: one at a time
                    results[index] = _attempt(atomic_write, file.path, file.data, mode=file.mode,
                                              exclusive=file.exclusive)
                    continue
                opened[index] = fd
                _fill(fd, file.data, file.mode)
            except OSError as exc:
                results[index] = exc
        flushed: dict[Path, OSError | None] = {}
        for index, fd in opened.items():
            folder = files[index].path.parent
            if folder not in flushed:
                flushed[folder] = _attempt(syncfs, fd)
            results[index] = results[index] or flushed[folder]
            if results[index] is None:
                results[index] = _attempt(_name, fd, files[index].path, files[index].exclusive)
    finally:
        for fd in opened.values():
            os.close(fd)
    return results


def _attempt(write: Callable[..., None], *args: Any, **kwargs: Any) -> OSError | None:
    try:
        write(*args, **kwargs)
    except OSError as exc:
        return exc
    return None


#: Whether the system gives unnamed files (``O_TMPFILE``) and a ``/proc`` to name them by; turned
#: off at the first folder whose file system has none (Linux on ext4, xfs, btrfs, tmpfs: all do).
_unnamed_files = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")


def _open_unnamed(path: Path) -> int | None:
    """A file without a name in ``path``'s folder (made if missing), open for writing, or None
    where the system has none. Writing there and then linking it in changes the folder once (a
    named temporary changes it three times, each under the folder's lock that parallel writers
    queue for), and a killed process leaves nothing behind."""
    global _unnamed_files
    if not _unnamed_files:
        return None
    flags = os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC
    try:
        try:
            return os.open(path.parent, flags, 0o600)
        except FileNotFoundError:
            private_dir(path.parent)  # made only when missing: a stat per file costs a batch
            return os.open(path.parent, flags, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):  # not on this file system
            _unnamed_files = False
            return None
        raise


def _fill(fd: int, data: bytes, mode: int) -> None:
    os.fchmod(fd, mode)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _name(fd: int, path: Path, exclusive: bool) -> None:
    """Give the unnamed file open as ``fd`` the name ``path``; an existing file is replaced
    unless ``exclusive`` (FileExistsError)."""
    try:
        _link(fd, path)
    except FileExistsError:
        if exclusive:
            raise
        tmp = _temporary_name(path)
        _link(fd, tmp)
        try:
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def _link(fd: int, target: Path | str) -> None:
    """Link the unnamed file open as ``fd`` at ``target`` (FileExistsError if taken)."""
    # Plain os.link calls link(2), which would link the /proc entry itself (EXDEV). Given a
    # src_dir_fd it calls linkat(2) with AT_SYMLINK_FOLLOW, which links the file the entry names;
    # the path is absolute, so linkat ignores which fd that is.
    os.link(f"/proc/self/fd/{fd}", target, src_dir_fd=fd)


def _syncfs() -> Callable[[int], None] | None:
    """syncfs(2) — write and flush everything of the file system ``fd`` is on, OSError if it
    cannot — where the system has it and unnamed files, and reports write errors (Linux 5.8 and
    later: before, a failed write-back went unreported, where fsync reports it)."""
    if not _unnamed_files or not sys.platform.startswith("linux") or _linux_version() < (5, 8):
        return None
    return _libc_syncfs()


@functools.cache
def _linux_version() -> tuple[int, int]:
    numbers = re.match(r"(\d+)\.(\d+)", os.uname().release)
    return (int(numbers.group(1)), int(numbers.group(2))) if numbers else (0, 0)


@functools.cache
def _libc_syncfs() -> Callable[[int], None] | None:
    import ctypes  # here: only groups of files need it

    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):  # pragma: no cover - a libc without syncfs
        return None

    def syncfs(fd: int) -> None:
        if function(fd) != 0:
            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number))

    return syncfs


def _write_named(path: Path, data: bytes, mode: int, exclusive: bool) -> None:
    """A temporary file in the same folder, then a rename (or a link, never replacing)."""
    fd, tmp = _temporary(path)
    try:
        try:
            _fill(fd, data, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        if exclusive:
            os.link(tmp, path)  # fails if path exists; atomic
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _temporary(path: Path) -> tuple[int, str]:
    """A new private file ``.NAME.XXXXXXXX.tmp`` beside ``path``, open for writing (what
    ``tempfile.mkstemp`` does, without importing tempfile and shutil into every command)."""
    while True:
        tmp = _temporary_name(path)
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), tmp
        except FileExistsError:  # pragma: no cover - 2^-32 per existing temporary
            continue


def _temporary_name(path: Path) -> str:
    return str(path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp"))


def temporary_target(file_name: str) -> str | None:
    """The file an :func:`atomic_write` temporary (``.NAME.XXXXXXXX.tmp``) was going to become."""
    if not (file_name.startswith(".") and file_name.endswith(".tmp")):
        return None
    target, dot, _random = file_name[1:-4].rpartition(".")
    return target if dot and target else None
