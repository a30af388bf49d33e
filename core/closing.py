"""``Closing``: the context manager of a resource that has a ``close``."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """A ``with`` block over the object closes it on the way out; subclasses define ``close``."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
