"""A pydantic model kept in one private JSON file: the gateway's tokens, the webhook signing
secrets, the explorer's analyst accounts.

Reading a missing file gives the model's empty value; changes happen under an exclusive lock
beside the file and replace it atomically (``core.private_files``). Every failure is raised as
the owner's own error, built by ``error(path, problem)``."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

import structlog
from pydantic import BaseModel, ValidationError

from core.exceptions import KetenlinkError
from core.private_files import locked, write_private

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)
Stamp = tuple[int, int, int]
"""A file's inode, modification time (ns) and size: a change of any means new content."""


class PrivateModelFile(Generic[M]):
    """One ``model`` in the 0600 JSON file ``path``; ``what`` names it in errors and logs."""

    def __init__(self, path: Path, model: type[M], what: str,
                 error: Callable[[Path, str], KetenlinkError]) -> None:
        self.path, self._model, self._what, self._error = path, model, what, error

    def read(self) -> M:
        """The file's content; the empty model when there is no file."""
        try:
            return self._model.model_validate_json(self.path.read_bytes())
        except FileNotFoundError:
            return self._model()
        except OSError as exc:
            raise self._error(self.path, f"cannot be read ({exc.strerror})") from exc
        except ValidationError as exc:
            raise self._error(self.path, f"is not a valid {self._what}: "
                                         f"{str(exc).splitlines()[0]}") from exc

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the file's exclusive lock: read, change and write inside it."""
        try:
            with locked(self.path):
                yield
        except OSError as exc:
            raise self._error(self.path, f"cannot be locked ({exc.strerror})") from exc

    def write(self, content: M) -> None:
        """Replace the file with ``content``, atomically and 0600."""
        data = json.dumps(content.model_dump(mode="json"), indent=2, sort_keys=True).encode()
        try:
            write_private(self.path, data + b"\n")
        except OSError as exc:
            raise self._error(self.path, f"cannot be written ({exc.strerror})") from exc

    def stamp(self) -> Stamp | None:
        """The file's stamp, or None when there is no file; warns when others may read it."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        if st.st_mode & 0o077:
            log.warning("private_file.permissions", file=self._what, path=str(self.path),
                        mode=oct(st.st_mode & 0o777), expected="0o600")
        return (st.st_ino, st.st_mtime_ns, st.st_size)
