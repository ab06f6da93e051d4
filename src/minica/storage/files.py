"""Atomic, private file writes: a failed command leaves no partial file behind."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

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
    try:
        written = _write_unnamed(path, data, mode, exclusive)
    except FileNotFoundError:
        if path.parent.is_dir():
            raise
        private_dir(path.parent)  # made only when missing: a folder's stat per file costs a batch
        written = _write_unnamed(path, data, mode, exclusive)
    if not written:
        private_dir(path.parent)
        _write_named(path, data, mode, exclusive)


#: Whether the folders' file system gives unnamed files (``O_TMPFILE``) that ``/proc`` can name;
#: learnt at the first write (Linux on ext4, xfs, btrfs, tmpfs: yes).
_unnamed_files = hasattr(os, "O_TMPFILE")


def _write_unnamed(path: Path, data: bytes, mode: int, exclusive: bool) -> bool:
    """Write into a file without a name, then link it in: one change to the folder (a named
    temporary costs three, each under the folder's lock, which parallel writers queue for), and a
    killed process leaves nothing behind. False when this system cannot."""
    global _unnamed_files
    if not _unnamed_files:
        return False
    try:
        fd = os.open(path.parent, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):  # not on this file system
            _unnamed_files = False
            return False
        raise
    try:
        os.fchmod(fd, mode)
        _write_all(fd, data)
        os.fsync(fd)
        try:
            _link(fd, path)  # fails if path exists; atomic
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
        except FileNotFoundError:
            if os.path.exists(f"/proc/self/fd/{fd}"):  # the folder went away
                raise
            _unnamed_files = False  # no /proc to name it
            return False
    finally:
        os.close(fd)
    return True


def _link(fd: int, target: Path | str) -> None:
    """Give the unnamed file open as ``fd`` the name ``target`` (FileExistsError if taken)."""
    # Plain os.link calls link(2), which would link the /proc entry itself (EXDEV). Given a
    # src_dir_fd it calls linkat(2) with AT_SYMLINK_FOLLOW, which links the file the entry names;
    # the path is absolute, so linkat ignores which fd that is.
    os.link(f"/proc/self/fd/{fd}", target, src_dir_fd=fd)


def _write_named(path: Path, data: bytes, mode: int, exclusive: bool) -> None:
    """A temporary file in the same folder, then a rename (or a link, never replacing)."""
    fd, tmp = _temporary(path)
    try:
        try:
            os.fchmod(fd, mode)
            _write_all(fd, data)
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


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


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
