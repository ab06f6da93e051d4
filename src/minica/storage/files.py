"""Atomic, private file writes: a failed command leaves no partial file behind."""

from __future__ import annotations

import contextlib
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
    """Write ``data`` to ``path`` all at once: a temporary file in the same folder, then a rename.

    The file has ``mode`` from its first byte (keys never exist world-readable, not even briefly).
    With ``exclusive`` an existing ``path`` is never replaced (``FileExistsError``).
    """
    private_dir(path.parent)
    fd, tmp = _temporary(path)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
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
        tmp = str(path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp"))
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), tmp
        except FileExistsError:  # pragma: no cover - 2^-32 per existing temporary
            continue


def temporary_target(file_name: str) -> str | None:
    """The file an :func:`atomic_write` temporary (``.NAME.XXXXXXXX.tmp``) was going to become."""
    if not (file_name.startswith(".") and file_name.endswith(".tmp")):
        return None
    target, dot, _random = file_name[1:-4].rpartition(".")
    return target if dot and target else None
