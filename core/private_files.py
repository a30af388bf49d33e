"""Files only their owner may read: everything the project writes under ``var/`` holds personal
data or secrets (signals, logs, the graph, tokens), so folders it creates are 0700 and files 0600.

Small secret files (gateway tokens, webhook secrets) get an exclusive lock beside the file and an
atomic, fsynced, 0600 write. Child processes (the Java servers, the platform services) run with
``PRIVATE_UMASK``, so what they create is private too. Everything raises ``OSError``; callers turn
it into their own error."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal, TextIO, cast

PRIVATE_UMASK = 0o077
"""The umask of child processes: their new files 0600, their new folders 0700."""


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner may enter: created 0700 with missing parents (also
    0700), or an existing one of ours set to 0700. Returns ``path``."""
    missing = []
    parent = path
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
    if path.stat().st_uid == os.getuid():
        path.chmod(0o700)
    return path


def open_private(path: Path, mode: Literal["w", "a"], newline: str | None = None) -> TextIO:
    """Open ``path`` for writing UTF-8 text as a 0600 file (an existing one set to 0600)."""
    return cast(TextIO, os.fdopen(_private_fd(path, mode), mode, encoding="utf-8",
                                  newline=newline))


def open_private_binary(path: Path, mode: Literal["wb", "ab"]) -> BinaryIO:
    """Open ``path`` for writing bytes as a 0600 file (an existing one set to 0600)."""
    return cast(BinaryIO, os.fdopen(_private_fd(path, mode), mode))


def _private_fd(path: Path, mode: str) -> int:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    fd = os.open(path, flags | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_private_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` as a 0600 file (in place; not atomic)."""
    with os.fdopen(_private_fd(path, "w"), "w", encoding=encoding) as out:
        out.write(text)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` (creating the folder 0700 when missing)."""
    private_dir(path.parent)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_private(path: Path, data: bytes) -> None:
    """Write to a 0600 temporary file beside ``path``, fsync, rename it over ``path``, fsync
    the folder: readers see the old or the new content, never a part."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                               suffix=".tmp")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
