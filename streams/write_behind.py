"""A write-behind view of a store: the writes of one record reach the store once per key.

The resolve stage writes about 20 store keys per signal, several of them more than once (a new
entity's profile, the entity counter, the resolver's record of the signal). On a faust table
every write is a changelog record, the stage's largest cost. The worker processes one record
through this view and calls ``flush`` before it moves on (before faust may ack the record), so
the table sees each changed key once, with its final value, and a crash before ``flush`` writes
nothing: the record is read again and processed from the state before it.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

_DELETED = object()


class WriteBehind(MutableMapping[str, Any]):
    """Reads see the pending writes; ``flush`` hands each changed key to ``store`` once."""

    def __init__(self, store: MutableMapping[str, Any]) -> None:
        self.store = store
        self._pending: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        value = self._pending.get(key, self) if self._pending else self
        if value is self:
            return self.store[key]
        if value is _DELETED:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __setitem__(self, key: str, value: Any) -> None:
        self._pending[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._pending[key] = _DELETED

    def __contains__(self, key: object) -> bool:
        value = self._pending.get(key, self) if isinstance(key, str) else self
        return key in self.store if value is self else value is not _DELETED

    def __iter__(self) -> Iterator[str]:
        yield from (k for k, v in self._pending.items() if v is not _DELETED)
        yield from (k for k in self.store if k not in self._pending)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @property
    def pending(self) -> int:
        """Keys changed since the last ``flush``."""
        return len(self._pending)

    def flush(self) -> int:
        """Write every pending change to the store; how many keys were written."""
        pending, self._pending = self._pending, {}
        for key, value in pending.items():
            if value is _DELETED:
                if key in self.store:
                    del self.store[key]
            else:
                self.store[key] = value
        return len(pending)

    def discard(self) -> None:
        """Forget the pending changes."""
        self._pending = {}
